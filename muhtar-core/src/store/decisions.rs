//! The storage contract of the council's decisions sent as requests
//! ([`crate::council::DecisionLink`]).
//!
//! A link is written only by [`super::RequestStore::commit`], with the request's first
//! commit ([`super::Commit::decision`]), in its transaction: **a vote's decision is sent
//! at most once**, by the store's unique key on (tenant, vote): a second commit naming
//! the same vote is refused with [`StoreError::Duplicate`] `{ what: DECISION_SENT }` and
//! writes nothing (no request, no notice), also when two are committed at once.

use super::{Commit, StoreError};
use crate::council::{DecisionLink, VoteId};
use crate::ids::{RequestId, TenantId, UnitCode};
use chrono::{DateTime, Utc};

/// [`StoreError::Duplicate`]'s `what` when the vote's decision was sent already.
pub const DECISION_SENT: &str = "council decision sent";

/// The decisions' links. Part of [`super::Store`]; checked by the conformance suite
/// (`testkit/conformance/decisions.rs`).
#[async_trait::async_trait]
pub trait DecisionStore: Send + Sync {
    /// The link of a vote, if its decision was sent.
    async fn decision_of_vote(
        &self,
        tenant: &TenantId,
        vote: VoteId,
    ) -> Result<Option<DecisionLink>, StoreError>;
    /// The link of a request, if it carries a council's decision.
    async fn decision_of_request(
        &self,
        tenant: &TenantId,
        request: RequestId,
    ) -> Result<Option<DecisionLink>, StoreError>;
    /// How many of the tenant's requests for the municipal council's agenda
    /// ([`crate::request::RequestContent::municipal_council`]) were received in
    /// `[from, to)`; with `units`, only those whose unit now is one of them (the report's
    /// scope).
    async fn municipal_council_count(
        &self,
        tenant: &TenantId,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        units: Option<&[UnitCode]>,
    ) -> Result<u64, StoreError>;
}

/// Checks a commit's link fits it: only with a new request (`expected_version` 0), of
/// the same tenant, request and tracking number ([`StoreError::Invalid`] otherwise).
pub fn check_decision(c: &Commit) -> Result<(), StoreError> {
    let Some(d) = &c.decision else {
        return Ok(());
    };
    let st = &c.record.state;
    if c.expected_version != 0
        || d.tenant != st.tenant
        || d.request != st.id
        || d.tracking != st.tracking
    {
        return Err(StoreError::Invalid {
            what: format!(
                "the council decision of vote {} does not name this new request",
                d.vote
            ),
            source: None,
        });
    }
    Ok(())
}

/// [`StoreError::Duplicate`] for a vote whose decision was sent.
pub fn decision_sent() -> StoreError {
    StoreError::Duplicate {
        what: DECISION_SENT.into(),
    }
}

#[async_trait::async_trait]
impl<T: DecisionStore + ?Sized> DecisionStore for std::sync::Arc<T> {
    async fn decision_of_vote(
        &self,
        tenant: &TenantId,
        vote: VoteId,
    ) -> Result<Option<DecisionLink>, StoreError> {
        (**self).decision_of_vote(tenant, vote).await
    }
    async fn decision_of_request(
        &self,
        tenant: &TenantId,
        request: RequestId,
    ) -> Result<Option<DecisionLink>, StoreError> {
        (**self).decision_of_request(tenant, request).await
    }
    async fn municipal_council_count(
        &self,
        tenant: &TenantId,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        units: Option<&[UnitCode]>,
    ) -> Result<u64, StoreError> {
        (**self)
            .municipal_council_count(tenant, from, to, units)
            .await
    }
}
