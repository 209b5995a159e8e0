//! Votes, their rules and their ballots.

use super::{MemberId, Tally};
use crate::ids::{MuhtarlikCode, TenantId};
use crate::request::InputError;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The quorum when the vote does not say: half of the eligible members take part.
pub const DEFAULT_QUORUM_PERCENT: u8 = 50;

/// The most options a vote may have.
pub const MAX_OPTIONS: usize = 10;

/// A vote id: a random UUID.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct VoteId(pub Uuid);

impl std::fmt::Display for VoteId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl std::str::FromStr for VoteId {
    type Err = uuid::Error;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        s.trim().parse().map(VoteId)
    }
}

/// What members choose from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "options", rename_all = "kebab-case")]
pub enum VoteOptions {
    /// Kabul (for), Ret (against), Çekimser (abstain): abstentions count for the turnout,
    /// not for the outcome.
    ForAgainstAbstain,
    /// A list of 2 to [`MAX_OPTIONS`] options.
    List(Vec<String>),
}

impl VoteOptions {
    /// The options' names, in order (a ballot's `choice` is an index into them).
    pub fn names(&self) -> Vec<String> {
        match self {
            VoteOptions::ForAgainstAbstain => vec!["Kabul".into(), "Ret".into(), "Çekimser".into()],
            VoteOptions::List(l) => l.clone(),
        }
    }

    /// The index of the abstention option, if the vote has one.
    pub fn abstain(&self) -> Option<usize> {
        match self {
            VoteOptions::ForAgainstAbstain => Some(2),
            VoteOptions::List(_) => None,
        }
    }

    /// The index of an option by its name (case and surrounding spaces do not matter;
    /// `for`/`against`/`abstain` also name the standard ones), or an error listing them.
    pub fn choice(&self, text: &str) -> Result<usize, InputError> {
        let t = text.trim().to_lowercase();
        let names = self.names();
        if let Some(i) = names.iter().position(|n| n.to_lowercase() == t) {
            return Ok(i);
        }
        if matches!(self, VoteOptions::ForAgainstAbstain) {
            if let Some(i) = ["for", "against", "abstain"].iter().position(|n| *n == t) {
                return Ok(i);
            }
        }
        Err(InputError::unknown("choice", text, names))
    }
}

/// How the outcome is decided among the ballots.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum Majority {
    /// Oy çokluğu: the option with more votes than any other (abstentions aside).
    #[default]
    Simple,
    /// Salt çoğunluk: an option chosen by more than half of the eligible members.
    Absolute,
    /// Üçte iki: an option chosen by at least two thirds of the votes cast (abstentions
    /// aside).
    TwoThirds,
}

crate::names::named_enum! {
    impl Majority: "majority rule" {
        Simple => ("simple", "oy çokluğu"),
        Absolute => ("absolute", "üye tam sayısının salt çoğunluğu"),
        TwoThirds => ("two-thirds", "kullanılan oyların üçte ikisi"),
    }
}

/// Open (ballots are taken between its opening and closing instants) or closed (the
/// result frozen).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum VoteStatus {
    /// Taking ballots (from `opens_at` to `closes_at`).
    Open,
    /// Closed: the result is frozen.
    Closed,
}

crate::names::named_enum! {
    impl VoteStatus: "vote status" {
        Open => ("open", "açık"),
        Closed => ("closed", "kapandı"),
    }
}

/// A vote as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Vote {
    /// Id.
    pub id: VoteId,
    /// Tenant.
    pub tenant: TenantId,
    /// The council's muhtarlık.
    pub muhtarlik: MuhtarlikCode,
    /// The agenda item voted on.
    pub title: String,
    /// The options.
    pub options: VoteOptions,
    /// From when ballots are taken.
    pub opens_at: DateTime<Utc>,
    /// Until when (exclusive).
    pub closes_at: DateTime<Utc>,
    /// The majority rule.
    pub majority: Majority,
    /// The share of eligible members that must take part, in percent (1–100).
    pub quorum_percent: u8,
    /// Secret ballot: who voted and what was chosen are stored apart.
    pub secret: bool,
    /// Whether a member may change their ballot until the vote closes.
    pub changeable: bool,
    /// The members who may vote: the roll when the vote opened.
    pub eligible: Vec<MemberId>,
    /// Open or closed.
    pub status: VoteStatus,
    /// When it was opened (recorded).
    pub created_at: DateTime<Utc>,
    /// The frozen result, once closed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result: Option<Tally>,
}

/// What the muhtar gives to open a vote.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewVote {
    /// The agenda item (1–300 characters, one line).
    pub title: String,
    /// The options (default Kabul / Ret / Çekimser).
    #[serde(default = "standard")]
    pub options: VoteOptions,
    /// From when (default: now).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub opens_at: Option<DateTime<Utc>>,
    /// Until when.
    pub closes_at: DateTime<Utc>,
    /// The majority rule (default simple).
    #[serde(default)]
    pub majority: Majority,
    /// The quorum in percent (default [`DEFAULT_QUORUM_PERCENT`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quorum_percent: Option<u8>,
    /// Secret ballot (default no).
    #[serde(default)]
    pub secret: bool,
    /// Ballots may be changed until closing (default no).
    #[serde(default)]
    pub changeable: bool,
}

fn standard() -> VoteOptions {
    VoteOptions::ForAgainstAbstain
}

impl NewVote {
    /// A vote on `title` until `closes_at`, with the defaults.
    pub fn new(title: impl Into<String>, closes_at: DateTime<Utc>) -> Self {
        NewVote {
            title: title.into(),
            options: standard(),
            opens_at: None,
            closes_at,
            majority: Majority::default(),
            quorum_percent: None,
            secret: false,
            changeable: false,
        }
    }

    /// Checks the fields and makes the vote with its eligible members. Errors name the
    /// field.
    pub fn validate(
        self,
        id: VoteId,
        tenant: TenantId,
        muhtarlik: MuhtarlikCode,
        eligible: Vec<MemberId>,
        now: DateTime<Utc>,
    ) -> Result<Vote, InputError> {
        let title = self.title.trim().to_owned();
        if title.is_empty() {
            return Err(InputError::Empty { field: "title" });
        }
        let len = title.chars().count();
        if len > 300 {
            return Err(InputError::TooLong {
                field: "title",
                len,
                max: 300,
            });
        }
        if let VoteOptions::List(l) = &self.options {
            if !(2..=MAX_OPTIONS).contains(&l.len()) {
                return Err(InputError::Invalid {
                    field: "options",
                    message: format!("2 to {MAX_OPTIONS} options, {} given", l.len()),
                });
            }
            let mut seen = std::collections::BTreeSet::new();
            for o in l {
                let t = o.trim().to_lowercase();
                if t.is_empty() || o.chars().count() > 100 || !seen.insert(t) {
                    return Err(InputError::Invalid {
                        field: "options",
                        message: format!("{o:?}: each option 1 to 100 characters, all different"),
                    });
                }
            }
        }
        let opens_at = self.opens_at.unwrap_or(now);
        if self.closes_at <= opens_at {
            return Err(InputError::Invalid {
                field: "closes_at",
                message: "the vote must close after it opens".into(),
            });
        }
        let quorum_percent = self.quorum_percent.unwrap_or(DEFAULT_QUORUM_PERCENT);
        if !(1..=100).contains(&quorum_percent) {
            return Err(InputError::OutOfBounds {
                field: "quorum_percent",
                value: quorum_percent.to_string(),
            });
        }
        Ok(Vote {
            id,
            tenant,
            muhtarlik,
            title,
            options: match self.options {
                VoteOptions::List(l) => {
                    VoteOptions::List(l.into_iter().map(|o| o.trim().to_owned()).collect())
                }
                o => o,
            },
            opens_at,
            closes_at: self.closes_at,
            majority: self.majority,
            quorum_percent,
            secret: self.secret,
            changeable: self.changeable,
            eligible,
            status: VoteStatus::Open,
            created_at: now,
            result: None,
        })
    }
}

/// The receipt a voter gets for a ballot: 12 symbols of the tracking alphabet, random.
/// Only its SHA-256 is stored.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ReceiptCode(crate::document::VerificationCode);

impl ReceiptCode {
    /// A receipt from random bits.
    pub fn from_random(next_u64: impl FnMut() -> u64) -> Self {
        Self(crate::document::VerificationCode::from_random(next_u64))
    }

    /// Reads a receipt as people type it (case, dashes and spaces do not matter).
    pub fn parse(text: &str) -> Result<Self, InputError> {
        crate::document::VerificationCode::parse(text)
            .map(Self)
            .map_err(|_| InputError::Invalid {
                field: "receipt",
                message: format!(
                    "{text:?} is not a receipt code: 12 letters and digits, e.g. 7KQ2-M9XA-4T0B"
                ),
            })
    }

    /// The SHA-256 the store keeps (lower-case hex of the 12 symbols).
    pub fn hash(&self) -> String {
        crate::document::sha256_hex(self.0.as_str().as_bytes())
    }
}

impl std::fmt::Display for ReceiptCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl TryFrom<String> for ReceiptCode {
    type Error = InputError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<ReceiptCode> for String {
    fn from(c: ReceiptCode) -> Self {
        c.0.as_str().to_owned()
    }
}

/// A ballot as stored and counted: the SHA-256 of its receipt and the index of the
/// option chosen. For an open (not secret) vote the store also knows the member; for a
/// secret one it does not.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct BallotRecord {
    /// SHA-256 of the receipt code.
    pub receipt_hash: String,
    /// The option chosen (index into [`VoteOptions::names`]).
    pub choice: u8,
    /// The member, for an open vote only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub member: Option<MemberId>,
}
