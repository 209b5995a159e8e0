//! The storage contract of neighbourhood councils ([`crate::council`]): members, votes
//! and ballots.
//!
//! **One ballot per member** is the store's: [`CouncilStore::cast_ballot`] writes the
//! participation (vote, member) under a unique key and the ballot in one transaction, so
//! of two concurrent ballots of one member exactly one is written (the other gets
//! [`StoreError::Duplicate`] with `what` = [`BALLOT_CAST`]); never a check before the
//! insert. **Closing is final**: a closed vote takes no ballot, change or second close
//! ([`StoreError::Frozen`]); the store checks it in the ballot's transaction, so a ballot
//! racing a close is either counted in the frozen result or refused. **Secret votes**: the
//! participation and the ballot share no key, no time and no order (a ballot has a random
//! id and no member); listings return ballots sorted by receipt hash and participants by
//! member id.

use super::StoreError;
use crate::council::{BallotRecord, Member, MemberId, Tally, Vote, VoteId};
use crate::ids::{MuhtarlikCode, TenantId};

/// [`StoreError::Duplicate`]'s `what` when the member has a ballot in the vote already.
pub const BALLOT_CAST: &str = "ballot";

/// The check a store makes inside the close's transaction: the result was counted from
/// exactly the ballots stored now (its hash is theirs). A ballot committed between the
/// count and the close makes it [`StoreError::Conflict`] (expected: the ballots counted,
/// actual: those stored), nothing is written, and the service counts again.
pub fn check_close(
    vote: VoteId,
    result: &Tally,
    stored: &[BallotRecord],
) -> Result<(), StoreError> {
    if crate::council::result_hash(vote, stored) == result.hash {
        return Ok(());
    }
    Err(StoreError::Conflict {
        expected: u32::try_from(result.cast).unwrap_or(u32::MAX),
        actual: u32::try_from(stored.len()).unwrap_or(u32::MAX),
    })
}

/// [`StoreError::Frozen`] for a closed vote.
pub fn vote_frozen(vote: VoteId) -> StoreError {
    StoreError::Frozen {
        what: format!("vote {vote}"),
    }
}

/// What the row a store locks for a ballot, a change or a close says: the vote's stored
/// status name and whether it is secret, or no row. Open: whether it is secret; closed:
/// [`StoreError::Frozen`]; none: [`StoreError::NotFound`]. The stores' one reading of it.
pub fn vote_open(vote: VoteId, row: Option<(&str, bool)>) -> Result<bool, StoreError> {
    match row {
        None => Err(StoreError::NotFound {
            what: "vote".into(),
        }),
        Some((status, _)) if status != crate::council::VoteStatus::Open.as_str() => {
            Err(vote_frozen(vote))
        }
        Some((_, secret)) => Ok(secret),
    }
}

/// Which ballot a change is about: an open vote's by its member, a secret vote's by its
/// receipt (the store cannot tell a secret ballot's member).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BallotKey {
    /// The member's ballot (open votes).
    Member(MemberId),
    /// The ballot with this receipt hash (secret votes).
    Receipt(String),
}

/// Councils' members, votes and ballots. Part of [`super::Store`]; checked by the
/// conformance suite (`testkit/conformance/council.rs`).
#[async_trait::async_trait]
pub trait CouncilStore: Send + Sync {
    /// Writes a member: a new one, or a change to a stored one (its removal).
    async fn put_member(&self, member: &Member) -> Result<(), StoreError>;
    /// A member by id ([`StoreError::NotFound`] if the tenant has none with it).
    async fn member(&self, tenant: &TenantId, id: MemberId) -> Result<Member, StoreError>;
    /// A council's members, removed ones included, in the order they were added (then by id).
    async fn members(
        &self,
        tenant: &TenantId,
        muhtarlik: &MuhtarlikCode,
    ) -> Result<Vec<Member>, StoreError>;
    /// Writes a new vote ([`StoreError::Duplicate`] if its id is taken).
    async fn put_vote(&self, vote: &Vote) -> Result<(), StoreError>;
    /// A vote by id.
    async fn vote(&self, tenant: &TenantId, id: VoteId) -> Result<Vote, StoreError>;
    /// A council's votes, newest first.
    async fn votes(
        &self,
        tenant: &TenantId,
        muhtarlik: &MuhtarlikCode,
    ) -> Result<Vec<Vote>, StoreError>;
    /// Records `member`'s ballot in `vote`, in one transaction: the participation under
    /// the unique key (vote, member) and the ballot (with the member only when the vote is
    /// not secret). A second ballot of the member: [`StoreError::Duplicate`] with
    /// [`BALLOT_CAST`], nothing written; a closed vote: [`StoreError::Frozen`].
    async fn cast_ballot(
        &self,
        tenant: &TenantId,
        vote: VoteId,
        member: MemberId,
        ballot: &BallotRecord,
    ) -> Result<(), StoreError>;
    /// Changes the choice of a stored ballot (the service allows it for changeable votes):
    /// [`StoreError::NotFound`] if there is none with the key, [`StoreError::Frozen`] once
    /// the vote is closed.
    async fn change_ballot(
        &self,
        tenant: &TenantId,
        vote: VoteId,
        key: &BallotKey,
        choice: u8,
    ) -> Result<(), StoreError>;
    /// A vote's ballots, sorted by receipt hash.
    async fn ballots(
        &self,
        tenant: &TenantId,
        vote: VoteId,
    ) -> Result<Vec<BallotRecord>, StoreError>;
    /// The members who cast a ballot in a vote, sorted by id.
    async fn participants(
        &self,
        tenant: &TenantId,
        vote: VoteId,
    ) -> Result<Vec<MemberId>, StoreError>;
    /// Closes a vote with its result, once: [`StoreError::Frozen`] if it is closed already,
    /// [`StoreError::Conflict`] if the result was not counted from the ballots stored now
    /// ([`check_close`], in the same transaction).
    async fn close_vote(
        &self,
        tenant: &TenantId,
        vote: VoteId,
        result: &Tally,
    ) -> Result<(), StoreError>;
}

#[async_trait::async_trait]
impl<T: CouncilStore + ?Sized> CouncilStore for std::sync::Arc<T> {
    async fn put_member(&self, member: &Member) -> Result<(), StoreError> {
        (**self).put_member(member).await
    }
    async fn member(&self, tenant: &TenantId, id: MemberId) -> Result<Member, StoreError> {
        (**self).member(tenant, id).await
    }
    async fn members(
        &self,
        tenant: &TenantId,
        muhtarlik: &MuhtarlikCode,
    ) -> Result<Vec<Member>, StoreError> {
        (**self).members(tenant, muhtarlik).await
    }
    async fn put_vote(&self, vote: &Vote) -> Result<(), StoreError> {
        (**self).put_vote(vote).await
    }
    async fn vote(&self, tenant: &TenantId, id: VoteId) -> Result<Vote, StoreError> {
        (**self).vote(tenant, id).await
    }
    async fn votes(
        &self,
        tenant: &TenantId,
        muhtarlik: &MuhtarlikCode,
    ) -> Result<Vec<Vote>, StoreError> {
        (**self).votes(tenant, muhtarlik).await
    }
    async fn cast_ballot(
        &self,
        tenant: &TenantId,
        vote: VoteId,
        member: MemberId,
        ballot: &BallotRecord,
    ) -> Result<(), StoreError> {
        (**self).cast_ballot(tenant, vote, member, ballot).await
    }
    async fn change_ballot(
        &self,
        tenant: &TenantId,
        vote: VoteId,
        key: &BallotKey,
        choice: u8,
    ) -> Result<(), StoreError> {
        (**self).change_ballot(tenant, vote, key, choice).await
    }
    async fn ballots(
        &self,
        tenant: &TenantId,
        vote: VoteId,
    ) -> Result<Vec<BallotRecord>, StoreError> {
        (**self).ballots(tenant, vote).await
    }
    async fn participants(
        &self,
        tenant: &TenantId,
        vote: VoteId,
    ) -> Result<Vec<MemberId>, StoreError> {
        (**self).participants(tenant, vote).await
    }
    async fn close_vote(
        &self,
        tenant: &TenantId,
        vote: VoteId,
        result: &Tally,
    ) -> Result<(), StoreError> {
        (**self).close_vote(tenant, vote, result).await
    }
}
