//! The council's agenda (issue 24, second part): proposals residents bring (the muhtar
//! records them), their supports and comments. A proposal goes on the agenda when its
//! supports reach the council's threshold ([`super::CouncilSettings::support_threshold`])
//! or when the muhtar puts it there. Supports and comments are never deleted; a comment
//! may be hidden with a reason, and stays on record.

use super::MemberId;
use crate::ids::{MuhtarlikCode, TenantId};
use crate::request::{InputError, Location};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

macro_rules! uuid_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub Uuid);

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }

        impl std::str::FromStr for $name {
            type Err = uuid::Error;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                s.trim().parse().map($name)
            }
        }
    };
}

uuid_id!(
    /// A proposal id: a UUID (v7, from the service's id source).
    ProposalId
);
uuid_id!(
    /// A comment id: a UUID (v7, from the service's id source).
    CommentId
);

/// Who wrote a proposal or a comment: a member of the council, or the muhtar.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "kind", content = "member")]
#[non_exhaustive]
pub enum Author {
    /// A member (the muhtar records it for them).
    Member(MemberId),
    /// The muhtar.
    Muhtar,
}

/// Where a proposal stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ProposalStatus {
    /// Collecting supports.
    Open,
    /// On the council's agenda (by its supports or by the muhtar); final.
    OnAgenda,
}

crate::names::named_enum! {
    impl ProposalStatus: "proposal status" {
        Open => ("open", "açık"),
        OnAgenda => ("on-agenda", "gündemde"),
    }
}

/// Why a proposal went on the agenda.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum AgendaReason {
    /// Its supports reached the council's threshold.
    Threshold,
    /// The muhtar put it there.
    Muhtar,
}

crate::names::named_enum! {
    impl AgendaReason: "agenda reason" {
        Threshold => ("threshold", "destek eşiği"),
        Muhtar => ("muhtar", "muhtar kararı"),
    }
}

/// A proposal as stored. `supports` is derived: the store counts the support rows when it
/// reads a proposal and ignores the field when it writes one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Proposal {
    /// Id.
    pub id: ProposalId,
    /// Tenant.
    pub tenant: TenantId,
    /// The council's muhtarlık.
    pub muhtarlik: MuhtarlikCode,
    /// Who proposes it.
    pub author: Author,
    /// Title (one line).
    pub title: String,
    /// The proposal's text.
    pub text: String,
    /// Where it is about, if somewhere.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<Location>,
    /// When it was recorded.
    pub created_at: DateTime<Utc>,
    /// How many members support it (counted by the store).
    #[serde(default)]
    pub supports: u32,
    /// Open or on the agenda.
    pub status: ProposalStatus,
    /// When it went on the agenda.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_agenda_at: Option<DateTime<Utc>>,
    /// Why it went on the agenda.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agenda_reason: Option<AgendaReason>,
}

impl Proposal {
    /// Moves an open proposal onto the agenda (`true`); one on it already stays as it
    /// was (`false`). The stores call it inside their transaction.
    pub fn put_on_agenda(&mut self, reason: AgendaReason, at: DateTime<Utc>) -> bool {
        if self.status != ProposalStatus::Open {
            return false;
        }
        self.status = ProposalStatus::OnAgenda;
        self.on_agenda_at = Some(at);
        self.agenda_reason = Some(reason);
        true
    }
}

/// Longest proposal title, in characters.
pub const MAX_TITLE: usize = 200;
/// Longest proposal text, in characters.
pub const MAX_TEXT: usize = 5000;
/// Longest comment, in characters.
pub const MAX_COMMENT: usize = 2000;
/// Longest reason for hiding a comment, in characters.
pub const MAX_HIDE_REASON: usize = 500;

/// A trimmed text of 1 to `max` characters (one line if `one_line`); errors name `field`.
pub(crate) fn checked_text(
    field: &'static str,
    text: &str,
    max: usize,
    one_line: bool,
) -> Result<String, InputError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(InputError::Empty { field });
    }
    let len = text.chars().count();
    if len > max {
        return Err(InputError::TooLong { field, len, max });
    }
    if one_line && text.contains(['\n', '\r']) {
        return Err(InputError::Invalid {
            field,
            message: "one line".into(),
        });
    }
    Ok(text.to_owned())
}

/// What the muhtar gives to record a proposal.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewProposal {
    /// Who proposes it (the muhtar, or a member of the council).
    pub author: Author,
    /// Title (1 to 200 characters, one line).
    pub title: String,
    /// Text (1 to 5000 characters).
    pub text: String,
    /// Where it is about (inside Turkey).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<Location>,
}

impl NewProposal {
    /// Checks the fields and makes the open proposal, with no supports. Errors name the
    /// field. (That a member author is on the roll is the service's check.)
    pub fn validate(
        self,
        id: ProposalId,
        tenant: TenantId,
        muhtarlik: MuhtarlikCode,
        now: DateTime<Utc>,
    ) -> Result<Proposal, InputError> {
        let title = checked_text("title", &self.title, MAX_TITLE, true)?;
        let text = checked_text("text", &self.text, MAX_TEXT, false)?;
        if let Some(l) = &self.location {
            l.check()?;
        }
        Ok(Proposal {
            id,
            tenant,
            muhtarlik,
            author: self.author,
            title,
            text,
            location: self.location,
            created_at: now,
            supports: 0,
            status: ProposalStatus::Open,
            on_agenda_at: None,
            agenda_reason: None,
        })
    }
}

/// Why and by whom a comment was hidden.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Hidden {
    /// The reason (shown instead of the comment).
    pub reason: String,
    /// Who hid it (the user's name).
    pub by: String,
    /// When.
    pub at: DateTime<Utc>,
}

impl Hidden {
    /// A hiding: the reason is 1 to 500 characters (the field `reason`).
    pub fn new(reason: &str, by: &str, at: DateTime<Utc>) -> Result<Hidden, InputError> {
        Ok(Hidden {
            reason: checked_text("reason", reason, MAX_HIDE_REASON, false)?,
            by: by.to_owned(),
            at,
        })
    }
}

/// A comment on a proposal. Never deleted: hidden with a reason instead.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Comment {
    /// Id.
    pub id: CommentId,
    /// Tenant.
    pub tenant: TenantId,
    /// The proposal.
    pub proposal: ProposalId,
    /// Who wrote it.
    pub author: Author,
    /// Text (1 to 2000 characters).
    pub text: String,
    /// When it was written.
    pub created_at: DateTime<Utc>,
    /// Set once, when the muhtar hides it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hidden: Option<Hidden>,
}

impl Comment {
    /// A new comment; the text is 1 to 2000 characters (the field `text`).
    pub fn new(
        id: CommentId,
        tenant: TenantId,
        proposal: ProposalId,
        author: Author,
        text: &str,
        now: DateTime<Utc>,
    ) -> Result<Comment, InputError> {
        Ok(Comment {
            id,
            tenant,
            proposal,
            author,
            text: checked_text("text", text, MAX_COMMENT, false)?,
            created_at: now,
            hidden: None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn new(title: &str, text: &str) -> NewProposal {
        NewProposal {
            author: Author::Muhtar,
            title: title.into(),
            text: text.into(),
            location: None,
        }
    }

    fn check(n: NewProposal) -> Result<Proposal, InputError> {
        n.validate(
            ProposalId(Uuid::nil()),
            TenantId::new("t").unwrap(),
            MuhtarlikCode::new("kuzguncuk").unwrap(),
            DateTime::UNIX_EPOCH,
        )
    }

    #[test]
    fn errors_name_the_field() {
        let field = |r: Result<Proposal, InputError>| r.unwrap_err().field();
        assert_eq!(field(check(new(" ", "metin"))), "title");
        assert_eq!(field(check(new("a\nb", "metin"))), "title");
        assert_eq!(field(check(new(&"ç".repeat(201), "metin"))), "title");
        assert_eq!(field(check(new("Park", ""))), "text");
        assert_eq!(field(check(new("Park", &"x".repeat(5001)))), "text");
        let mut far = new("Park", "metin");
        far.location = Some(Location { lat: 0.0, lon: 0.0 });
        assert_eq!(field(check(far)), "location.lat");
    }

    #[test]
    fn a_valid_proposal_is_open_trimmed_and_unsupported() {
        let p = check(new(&format!(" {} ", "ç".repeat(200)), "Bir\npark")).unwrap();
        assert_eq!(p.title.chars().count(), 200);
        assert_eq!(p.text, "Bir\npark");
        assert_eq!(
            (p.status, p.supports, p.on_agenda_at),
            (ProposalStatus::Open, 0, None)
        );
    }

    #[test]
    fn comments_and_hidings_check_their_text() {
        let c = |t: &str| {
            Comment::new(
                CommentId(Uuid::nil()),
                TenantId::new("t").unwrap(),
                ProposalId(Uuid::nil()),
                Author::Muhtar,
                t,
                DateTime::UNIX_EPOCH,
            )
        };
        assert_eq!(c("").unwrap_err().field(), "text");
        assert_eq!(c(&"x".repeat(2001)).unwrap_err().field(), "text");
        assert_eq!(c(" iyi ").unwrap().text, "iyi");
        let h = Hidden::new("", "muhtar", DateTime::UNIX_EPOCH);
        assert_eq!(h.unwrap_err().field(), "reason");
    }

    #[test]
    fn authors_serialize_by_kind() {
        let m = Author::Member(MemberId(Uuid::from_u128(1)));
        let json = serde_json::to_string(&m).unwrap();
        assert_eq!(
            json,
            r#"{"kind":"member","member":"00000000-0000-0000-0000-000000000001"}"#
        );
        assert_eq!(serde_json::from_str::<Author>(&json).unwrap(), m);
        assert_eq!(
            serde_json::to_string(&Author::Muhtar).unwrap(),
            r#"{"kind":"muhtar"}"#
        );
    }
}
