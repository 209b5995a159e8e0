//! The storage contract of the council's agenda ([`crate::council::Proposal`]): proposals,
//! their supports and comments.
//!
//! **One support per member** is the store's: [`ProposalStore::support`] inserts the
//! support under the unique key (proposal, member) and, in the same transaction, counts
//! the supports and puts the proposal on the agenda when the count reaches the threshold,
//! so of concurrent supports exactly one is the threshold-th and the proposal goes on the
//! agenda exactly once. Supports and comments are never deleted (the databases' triggers
//! refuse it); a comment is hidden once, and a second hiding keeps the first.

use chrono::{DateTime, Utc};

use super::StoreError;
use crate::council::{AgendaReason, Comment, CommentId, Hidden, MemberId, Proposal, ProposalId};
use crate::ids::{MuhtarlikCode, TenantId};

/// [`StoreError::Duplicate`]'s `what` when the member supports the proposal already.
pub const SUPPORT_GIVEN: &str = "support";

/// What a support did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SupportOutcome {
    /// The proposal's supports now, this one included.
    pub supports: u32,
    /// Whether this support put the proposal on the agenda (it was the threshold-th).
    pub put_on_agenda: bool,
}

/// Proposals, supports and comments. Part of [`super::Store`]; checked by the conformance
/// suite (`testkit/conformance/proposals.rs`).
#[async_trait::async_trait]
pub trait ProposalStore: Send + Sync {
    /// Writes a new proposal ([`StoreError::Duplicate`] if its id is taken); its
    /// `supports` is ignored.
    async fn put_proposal(&self, proposal: &Proposal) -> Result<(), StoreError>;
    /// A proposal by id, its supports counted ([`StoreError::NotFound`] if none).
    async fn proposal(&self, tenant: &TenantId, id: ProposalId) -> Result<Proposal, StoreError>;
    /// A council's proposals, newest first (then by id, descending).
    async fn proposals(
        &self,
        tenant: &TenantId,
        muhtarlik: &MuhtarlikCode,
    ) -> Result<Vec<Proposal>, StoreError>;
    /// Records `member`'s support at `at`, in one transaction with the count: a second
    /// support of the member is [`StoreError::Duplicate`] with [`SUPPORT_GIVEN`], nothing
    /// written; when the count reaches `threshold` and the proposal is open, it goes on
    /// the agenda ([`AgendaReason::Threshold`], at `at`).
    async fn support(
        &self,
        tenant: &TenantId,
        proposal: ProposalId,
        member: MemberId,
        threshold: u32,
        at: DateTime<Utc>,
    ) -> Result<SupportOutcome, StoreError>;
    /// The members who support a proposal, in the order they did (then by id).
    async fn supporters(
        &self,
        tenant: &TenantId,
        proposal: ProposalId,
    ) -> Result<Vec<MemberId>, StoreError>;
    /// Puts an open proposal on the agenda: `Ok(true)`; one that is on it already stays
    /// as it was: `Ok(false)`.
    async fn put_on_agenda(
        &self,
        tenant: &TenantId,
        proposal: ProposalId,
        reason: AgendaReason,
        at: DateTime<Utc>,
    ) -> Result<bool, StoreError>;
    /// Writes a new comment ([`StoreError::NotFound`] if its proposal is missing,
    /// [`StoreError::Duplicate`] if its id is taken).
    async fn put_comment(&self, comment: &Comment) -> Result<(), StoreError>;
    /// A proposal's comments, hidden ones included, oldest first (then by id).
    async fn comments(
        &self,
        tenant: &TenantId,
        proposal: ProposalId,
    ) -> Result<Vec<Comment>, StoreError>;
    /// Hides a comment and returns it as stored: a comment hidden already keeps its first
    /// hiding.
    async fn hide_comment(
        &self,
        tenant: &TenantId,
        comment: CommentId,
        hidden: &Hidden,
    ) -> Result<Comment, StoreError>;
}

#[async_trait::async_trait]
impl<T: ProposalStore + ?Sized> ProposalStore for std::sync::Arc<T> {
    async fn put_proposal(&self, proposal: &Proposal) -> Result<(), StoreError> {
        (**self).put_proposal(proposal).await
    }
    async fn proposal(&self, tenant: &TenantId, id: ProposalId) -> Result<Proposal, StoreError> {
        (**self).proposal(tenant, id).await
    }
    async fn proposals(
        &self,
        tenant: &TenantId,
        muhtarlik: &MuhtarlikCode,
    ) -> Result<Vec<Proposal>, StoreError> {
        (**self).proposals(tenant, muhtarlik).await
    }
    async fn support(
        &self,
        tenant: &TenantId,
        proposal: ProposalId,
        member: MemberId,
        threshold: u32,
        at: DateTime<Utc>,
    ) -> Result<SupportOutcome, StoreError> {
        (**self)
            .support(tenant, proposal, member, threshold, at)
            .await
    }
    async fn supporters(
        &self,
        tenant: &TenantId,
        proposal: ProposalId,
    ) -> Result<Vec<MemberId>, StoreError> {
        (**self).supporters(tenant, proposal).await
    }
    async fn put_on_agenda(
        &self,
        tenant: &TenantId,
        proposal: ProposalId,
        reason: AgendaReason,
        at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        (**self).put_on_agenda(tenant, proposal, reason, at).await
    }
    async fn put_comment(&self, comment: &Comment) -> Result<(), StoreError> {
        (**self).put_comment(comment).await
    }
    async fn comments(
        &self,
        tenant: &TenantId,
        proposal: ProposalId,
    ) -> Result<Vec<Comment>, StoreError> {
        (**self).comments(tenant, proposal).await
    }
    async fn hide_comment(
        &self,
        tenant: &TenantId,
        comment: CommentId,
        hidden: &Hidden,
    ) -> Result<Comment, StoreError> {
        (**self).hide_comment(tenant, comment, hidden).await
    }
}
