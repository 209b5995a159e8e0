//! PLACEHOLDER until the councils migration lands: every call refuses. Replaced by the
//! real implementation (migration 0015) before councils are offered.

use muhtar_core::council::{BallotRecord, Member, MemberId, Tally, Vote, VoteId};
use muhtar_core::ids::{MuhtarlikCode, TenantId};
use muhtar_core::store::{BallotKey, CouncilStore, StoreError};

fn missing() -> StoreError {
    StoreError::invalid("councils are not stored yet")
}

#[async_trait::async_trait]
impl CouncilStore for crate::PgStore {
    async fn put_member(&self, _: &Member) -> Result<(), StoreError> {
        Err(missing())
    }
    async fn member(&self, _: &TenantId, _: MemberId) -> Result<Member, StoreError> {
        Err(missing())
    }
    async fn members(&self, _: &TenantId, _: &MuhtarlikCode) -> Result<Vec<Member>, StoreError> {
        Err(missing())
    }
    async fn put_vote(&self, _: &Vote) -> Result<(), StoreError> {
        Err(missing())
    }
    async fn vote(&self, _: &TenantId, _: VoteId) -> Result<Vote, StoreError> {
        Err(missing())
    }
    async fn votes(&self, _: &TenantId, _: &MuhtarlikCode) -> Result<Vec<Vote>, StoreError> {
        Err(missing())
    }
    async fn cast_ballot(
        &self,
        _: &TenantId,
        _: VoteId,
        _: MemberId,
        _: &BallotRecord,
    ) -> Result<(), StoreError> {
        Err(missing())
    }
    async fn change_ballot(
        &self,
        _: &TenantId,
        _: VoteId,
        _: &BallotKey,
        _: u8,
    ) -> Result<(), StoreError> {
        Err(missing())
    }
    async fn ballots(&self, _: &TenantId, _: VoteId) -> Result<Vec<BallotRecord>, StoreError> {
        Err(missing())
    }
    async fn participants(&self, _: &TenantId, _: VoteId) -> Result<Vec<MemberId>, StoreError> {
        Err(missing())
    }
    async fn close_vote(&self, _: &TenantId, _: VoteId, _: &Tally) -> Result<(), StoreError> {
        Err(missing())
    }
}
