//! Neighbourhood councils (mahalle meclisleri, issue 24): a council per muhtarlık, led
//! by its muhtar. This first part is the member roll and the votes; proposals, meetings,
//! residents' own logins and decisions becoming requests come next (see ARCHITECTURE.md).
//!
//! - **Members** (`member.rs`): residents the muhtar registers, with a contact (personal
//!   data) and a role; removed members stay on record.
//! - **Votes** (`vote.rs`): an agenda item with options (Kabul / Ret / Çekimser, or a list),
//!   opening and closing instants, a quorum and a majority rule; the eligible members are
//!   fixed from the roll when the vote opens.
//! - **Ballots**: one per eligible member, enforced by the store with a unique key on
//!   (vote, member) in the same transaction as the ballot, never by a check before the
//!   insert. A **secret** vote stores who took part and what was chosen apart: the
//!   participation (vote, member) and the ballot (vote, random id, choice, receipt hash)
//!   share no key, no time and no order. Every voter gets a receipt code; its SHA-256 is
//!   stored with the ballot, so the voter (and nobody from the database alone) can check
//!   that the ballot is counted as cast.
//! - **Tally** (`tally.rs`, pure): counts per option, turnout, the quorum verdict, the
//!   outcome by the majority rule and a SHA-256 over the sorted ballots. Closing freezes it
//!   on the vote; a recount from the stored ballots must reproduce it.
//! - **Meetings** (`meeting.rs`): a time, a place, an agenda, the attendance and the
//!   minutes; recording the minutes marks the meeting held and freezes minutes and
//!   attendance (their SHA-256 kept).
//! - **Decisions** (`decision.rs`): an adopted result sent to a public body becomes a
//!   request of channel `mahalle-meclisi` with the decision attached as a PDF; the link
//!   vote → request is kept once per vote.
//! - **Logins** (`login.rs`): a member logs in with a one-time code sent to the e-mail
//!   address or phone on the roll; only a salted hash of the code is stored.
//! - **Identity numbers** (`identity.rs`): optional, checked, kept only as an HMAC under
//!   the tenant's identity key, so the roll refuses the same person twice.

mod decision;
mod identity;
mod login;
mod meeting;
mod member;
mod proposal;
mod settings;
mod tally;
mod vote;

pub use decision::{
    adopted, decision_document, default_description, document_lines, DecisionDocument,
    DecisionLink, DecisionSpec, DECISION_KINDS,
};
pub use identity::{IdentityKey, IdentityKeyError, IdentityNumber};
pub use login::{
    check_code, code_hash, CodeCheck, Contact, IssuedCode, LoginCode, LoginCodeError, CODE_DIGITS,
};
pub use meeting::{
    attendance, Meeting, MeetingError, MeetingId, Minutes, NewMeeting, MAX_AGENDA_ITEMS,
    MAX_MINUTES_CHARS,
};
pub use member::{Member, MemberId, MemberRole, NewMember, PublicMember, NO_IDENTITY_KEY};
pub use proposal::{
    AgendaReason, Author, Comment, CommentId, Hidden, NewProposal, Proposal, ProposalId,
    ProposalStatus, MAX_COMMENT, MAX_HIDE_REASON, MAX_TEXT, MAX_TITLE,
};
pub use settings::{
    CouncilSettings, DEFAULT_LOGIN_CODE_MINUTES, DEFAULT_LOGIN_CODE_TRIES,
    DEFAULT_SUPPORT_THRESHOLD,
};
pub use tally::{recount, result_hash, tally, Decision, Tally};
pub use vote::{
    BallotRecord, Majority, NewVote, ReceiptCode, Vote, VoteId, VoteOptions, VoteStatus,
    DEFAULT_QUORUM_PERCENT, MAX_OPTIONS,
};

/// Why a council command was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CouncilError {
    /// The vote has not opened yet.
    #[error("the vote opens at {opens_at}")]
    NotOpenYet {
        /// When it opens (Istanbul time).
        opens_at: String,
    },
    /// The vote's time is over (or it was closed).
    #[error("the vote is closed")]
    Closed,
    /// The vote may be closed only once its time is over.
    #[error("the vote closes at {closes_at}; it cannot be closed earlier")]
    StillRunning {
        /// When it closes (Istanbul time).
        closes_at: String,
    },
    /// The member is not among the vote's eligible members.
    #[error("member {member} may not vote in this vote (not on the roll when it opened)")]
    NotEligible {
        /// The member.
        member: String,
    },
    /// The member has voted, and the vote does not allow changing a ballot.
    #[error("member {member} has voted already")]
    AlreadyVoted {
        /// The member.
        member: String,
    },
    /// No ballot has this receipt.
    #[error("no ballot of this vote has that receipt code")]
    UnknownReceipt,
    /// The council has no member to vote.
    #[error("the council of {muhtarlik} has no members: add members before opening a vote")]
    NoMembers {
        /// The muhtarlık.
        muhtarlik: String,
    },
    /// The member has supported the proposal already.
    #[error("member {member} supports this proposal already")]
    AlreadySupported {
        /// The member.
        member: String,
    },
    /// The member is not on the council's roll (removed, or of another council).
    #[error("member {member} is not on this council's roll")]
    NotOnRoll {
        /// The member.
        member: String,
    },
    /// The proposal is on the agenda already.
    #[error("the proposal is on the agenda already")]
    OnAgendaAlready,
    /// Only an adopted result can be sent as a decision.
    #[error("the vote adopted nothing ({result}): there is no decision to send")]
    NotAdopted {
        /// The result in Turkish.
        result: String,
    },
    /// The vote's decision was sent already.
    #[error("the vote's decision was sent already: request {tracking}")]
    DecisionSent {
        /// The tracking number of the request it became.
        tracking: String,
    },
}
