//! The council's meetings and their minutes (issue 24, second part).
//!
//! A meeting has a time, a place and an agenda; the muhtar records who attended and then
//! the minutes (tutanak). **The minutes of a held meeting are frozen**: recording them
//! marks the meeting held and keeps their SHA-256; afterwards neither the minutes nor the
//! attendance change ([`MeetingError::Held`]; the stores refuse it too, with
//! `StoreError::Frozen`, inside the write's transaction).

use super::{MemberId, Proposal, ProposalId, ProposalStatus};
use crate::ids::{MuhtarlikCode, TenantId};
use crate::request::InputError;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The most agenda items a meeting may have.
pub const MAX_AGENDA_ITEMS: usize = 30;
/// The longest minutes, in characters.
pub const MAX_MINUTES_CHARS: usize = 20_000;

/// A meeting id: a random UUID.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct MeetingId(pub Uuid);

impl std::fmt::Display for MeetingId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl std::str::FromStr for MeetingId {
    type Err = uuid::Error;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        s.trim().parse().map(MeetingId)
    }
}

/// A meeting's minutes, as recorded once: the text, when, and the text's SHA-256.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Minutes {
    /// The text (1 to [`MAX_MINUTES_CHARS`] characters, several lines).
    pub text: String,
    /// When they were recorded.
    pub recorded_at: DateTime<Utc>,
    /// SHA-256 (lower-case hex) of the text's UTF-8 bytes.
    pub sha256: String,
}

impl Minutes {
    /// Checks the text and makes the minutes with its hash. The text is kept as given
    /// but for surrounding blank space (line endings normalised to `\n`, so the hash does
    /// not depend on the writer's system).
    pub fn new(text: &str, recorded_at: DateTime<Utc>) -> Result<Minutes, InputError> {
        let text = text.replace("\r\n", "\n").trim().to_owned();
        if text.is_empty() {
            return Err(InputError::Empty { field: "minutes" });
        }
        let len = text.chars().count();
        if len > MAX_MINUTES_CHARS {
            return Err(InputError::TooLong {
                field: "minutes",
                len,
                max: MAX_MINUTES_CHARS,
            });
        }
        let sha256 = crate::document::sha256_hex(text.as_bytes());
        Ok(Minutes {
            text,
            recorded_at,
            sha256,
        })
    }

    /// Whether the stored hash is the text's.
    pub fn intact(&self) -> bool {
        crate::document::sha256_hex(self.text.as_bytes()) == self.sha256
    }
}

/// A meeting as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Meeting {
    /// Id.
    pub id: MeetingId,
    /// Tenant.
    pub tenant: TenantId,
    /// The council's muhtarlık.
    pub muhtarlik: MuhtarlikCode,
    /// When it meets.
    pub at: DateTime<Utc>,
    /// Where (1–200 characters, one line).
    pub place: String,
    /// The agenda items, in order (1–30 items of 1–300 characters). An item for a
    /// proposal (see `proposals`) reads `Öneri: <its title>`.
    pub agenda: Vec<String>,
    /// The council's proposals on this meeting's agenda, in the order of their items
    /// (first on the agenda).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub proposals: Vec<ProposalId>,
    /// The members who attended, sorted by id, each once.
    pub attendance: Vec<MemberId>,
    /// The minutes, once recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub minutes: Option<Minutes>,
    /// Held: the minutes are recorded, and neither they nor the attendance change.
    pub held: bool,
    /// When it was scheduled (recorded).
    pub created_at: DateTime<Utc>,
}

impl Meeting {
    /// Records who attended (replacing an earlier list), until the minutes are recorded.
    pub fn set_attendance(&mut self, members: &[MemberId]) -> Result<(), MeetingError> {
        self.check_open()?;
        self.attendance = attendance(members);
        Ok(())
    }

    /// Records the minutes and marks the meeting held: the minutes and the attendance are
    /// frozen from now on.
    pub fn record_minutes(&mut self, minutes: Minutes) -> Result<(), MeetingError> {
        self.check_open()?;
        self.minutes = Some(minutes);
        self.held = true;
        Ok(())
    }

    /// [`MeetingError::Held`] once the minutes are recorded.
    pub fn check_open(&self) -> Result<(), MeetingError> {
        if self.held {
            return Err(MeetingError::Held {
                meeting: self.id.to_string(),
            });
        }
        Ok(())
    }
}

/// An attendance list as kept: sorted by member id, each member once.
pub fn attendance(members: &[MemberId]) -> Vec<MemberId> {
    let set: std::collections::BTreeSet<MemberId> = members.iter().copied().collect();
    set.into_iter().collect()
}

/// What the muhtar gives to schedule a meeting.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewMeeting {
    /// When it meets.
    pub at: DateTime<Utc>,
    /// Where (1–200 characters, one line).
    pub place: String,
    /// The agenda items (1 to [`MAX_AGENDA_ITEMS`] with the proposals, each 1–300
    /// characters, one line).
    pub agenda: Vec<String>,
    /// Proposals of the council on its agenda ([`super::ProposalStatus::OnAgenda`]) to
    /// discuss: each becomes an item `Öneri: <title>` ahead of the others
    /// ([`NewMeeting::with_proposals`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub proposals: Vec<ProposalId>,
}

/// A one-line text of 1 to `max` characters, trimmed.
fn line(field: &'static str, text: &str, max: usize) -> Result<String, InputError> {
    let t = text.trim().to_owned();
    if t.is_empty() {
        return Err(InputError::Empty { field });
    }
    let len = t.chars().count();
    if len > max {
        return Err(InputError::TooLong { field, len, max });
    }
    if t.contains(['\n', '\r']) {
        return Err(InputError::Invalid {
            field,
            message: "one line".into(),
        });
    }
    Ok(t)
}

impl NewMeeting {
    /// Puts `proposals` (those named in [`NewMeeting::proposals`], as the store holds
    /// them) on the agenda: an item `Öneri: <title>` each, in the order named, ahead of
    /// the other items. Each must be a proposal of `muhtarlik`'s council, on the agenda,
    /// named once; otherwise an error naming the field `proposals`.
    pub fn with_proposals(
        mut self,
        muhtarlik: &MuhtarlikCode,
        proposals: &[Proposal],
    ) -> Result<Self, InputError> {
        let mut items = Vec::with_capacity(self.proposals.len() + self.agenda.len());
        for (i, id) in self.proposals.iter().enumerate() {
            if self.proposals[..i].contains(id) {
                return Err(InputError::Invalid {
                    field: "proposals",
                    message: format!("proposal {id} is named twice"),
                });
            }
            let p = proposals
                .iter()
                .find(|p| p.id == *id && p.muhtarlik == *muhtarlik)
                .ok_or_else(|| InputError::Invalid {
                    field: "proposals",
                    message: format!("{id} is not a proposal of this council"),
                })?;
            if p.status != ProposalStatus::OnAgenda {
                return Err(InputError::Invalid {
                    field: "proposals",
                    message: format!(
                        "proposal {:?} is not on the agenda; put it on the agenda first",
                        p.title
                    ),
                });
            }
            items.push(format!("Öneri: {}", p.title));
        }
        items.append(&mut self.agenda);
        self.agenda = items;
        Ok(self)
    }

    /// Checks the fields and makes the meeting (not held, nobody recorded as attending).
    /// Errors name the field. Proposals are checked by [`NewMeeting::with_proposals`]
    /// first.
    pub fn validate(
        self,
        id: MeetingId,
        tenant: TenantId,
        muhtarlik: MuhtarlikCode,
        now: DateTime<Utc>,
    ) -> Result<Meeting, InputError> {
        let place = line("place", &self.place, 200)?;
        if self.agenda.is_empty() || self.agenda.len() > MAX_AGENDA_ITEMS {
            return Err(InputError::Invalid {
                field: "agenda",
                message: format!(
                    "1 to {MAX_AGENDA_ITEMS} agenda items, {} given",
                    self.agenda.len()
                ),
            });
        }
        let agenda = self
            .agenda
            .iter()
            .map(|a| line("agenda", a, 300))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Meeting {
            id,
            tenant,
            muhtarlik,
            at: self.at,
            place,
            agenda,
            proposals: self.proposals,
            attendance: Vec::new(),
            minutes: None,
            held: false,
            created_at: now,
        })
    }
}

/// Why a meeting command was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MeetingError {
    /// The minutes are recorded: the meeting is held, its minutes and attendance frozen.
    #[error("meeting {meeting} is held: its minutes and attendance no longer change")]
    Held {
        /// The meeting.
        meeting: String,
    },
    /// The meeting's time has not come: no minutes before it.
    #[error("the meeting is at {at}; its minutes can be recorded from then on")]
    NotYet {
        /// When it meets (Istanbul time).
        at: String,
    },
    /// An attendee was not on the council's roll at the meeting's time.
    #[error("member {member} was not on the council's roll at the meeting's time")]
    NotOnRoll {
        /// The member.
        member: String,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    fn new() -> NewMeeting {
        NewMeeting {
            at: crate::testkit::fixtures::t0(),
            place: " Muhtarlık binası ".into(),
            agenda: vec!["Park".into(), "Otopark".into()],
            proposals: Vec::new(),
        }
    }

    fn make(n: NewMeeting) -> Result<Meeting, InputError> {
        n.validate(
            MeetingId(Uuid::from_u128(1)),
            TenantId::new("t").unwrap(),
            MuhtarlikCode::new("kuzguncuk").unwrap(),
            crate::testkit::fixtures::t0(),
        )
    }

    #[test]
    fn fields_are_checked_by_name() {
        let m = make(new()).unwrap();
        assert_eq!(m.place, "Muhtarlık binası");
        assert!(!m.held);
        let field = |n: NewMeeting| make(n).unwrap_err().field();
        assert_eq!(
            field(NewMeeting {
                place: " ".into(),
                ..new()
            }),
            "place"
        );
        assert_eq!(
            field(NewMeeting {
                place: "a\nb".into(),
                ..new()
            }),
            "place"
        );
        assert_eq!(
            field(NewMeeting {
                place: "x".repeat(201),
                ..new()
            }),
            "place"
        );
        assert_eq!(
            field(NewMeeting {
                agenda: vec![],
                ..new()
            }),
            "agenda"
        );
        assert_eq!(
            field(NewMeeting {
                agenda: vec!["a".into(); 31],
                ..new()
            }),
            "agenda"
        );
        assert_eq!(
            field(NewMeeting {
                agenda: vec!["x".repeat(301)],
                ..new()
            }),
            "agenda"
        );
        assert!(make(NewMeeting {
            agenda: vec!["a".into(); 30],
            ..new()
        })
        .is_ok());
    }

    #[test]
    fn minutes_freeze_the_meeting() {
        let mut m = make(new()).unwrap();
        let (a, b) = (MemberId(Uuid::from_u128(2)), MemberId(Uuid::from_u128(1)));
        m.set_attendance(&[a, b, a]).unwrap();
        assert_eq!(m.attendance, vec![b, a]);
        let minutes = Minutes::new("Toplantı yapıldı.\r\nKarar alındı.", m.at).unwrap();
        assert_eq!(minutes.text, "Toplantı yapıldı.\nKarar alındı.");
        assert!(minutes.intact());
        m.record_minutes(minutes.clone()).unwrap();
        assert!(m.held);
        let before = m.clone();
        assert!(matches!(
            m.set_attendance(&[a]),
            Err(MeetingError::Held { .. })
        ));
        let other = Minutes::new("başka", m.at).unwrap();
        assert!(matches!(
            m.record_minutes(other),
            Err(MeetingError::Held { .. })
        ));
        assert_eq!(m, before);
    }

    #[test]
    fn minutes_text_is_bounded() {
        let t = crate::testkit::fixtures::t0();
        assert_eq!(Minutes::new(" \n ", t).unwrap_err().field(), "minutes");
        assert_eq!(
            Minutes::new(&"ş".repeat(20_001), t).unwrap_err().field(),
            "minutes"
        );
        assert!(Minutes::new(&"ş".repeat(20_000), t).is_ok());
    }
}
