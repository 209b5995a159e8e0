//! The storage contract of works ([`crate::map::work`]): each version written with its
//! notices in one transaction, read by id, listed by [`WorkQuery`] through a spatial index.

use super::StoreError;
use crate::ids::TenantId;
use crate::map::work::{Work, WorkId, WorkQuery};
use crate::outbox::OutboxMessage;

/// Works and announcements of the units. Part of [`super::Store`]; checked by the
/// conformance suite (`testkit/conformance/works.rs`).
#[async_trait::async_trait]
pub trait WorkStore: Send + Sync {
    /// Writes a version of a work and the notices it causes, in one transaction.
    ///
    /// `expected_version` is the version stored now (0 for a new work); `work.version`
    /// must be the next one, else [`StoreError::Invalid`]. When the stored version is not
    /// `expected_version` (someone changed it first, or a new work's id is taken in the
    /// tenant) nothing is written: [`StoreError::Conflict`]. Messages whose idempotency
    /// key is already present are skipped, as in
    /// [`crate::store::OutboxStore::enqueue`].
    async fn put_work(
        &self,
        work: &Work,
        expected_version: u32,
        outbox: &[OutboxMessage],
    ) -> Result<(), StoreError>;
    /// A work by id ([`StoreError::NotFound`] if the tenant has none with it).
    async fn work(&self, tenant: &TenantId, id: WorkId) -> Result<Work, StoreError>;
    /// The tenant's works that match `query` ([`WorkQuery::matches`]), earliest start first
    /// then by id ([`WorkQuery::order`]), at most `limit` of them (capped to
    /// [`crate::map::work::MAX_WORKS`]). The bounding-box filter goes through a spatial
    /// index.
    async fn works(
        &self,
        tenant: &TenantId,
        query: &WorkQuery,
        limit: u32,
    ) -> Result<Vec<Work>, StoreError>;
}

/// Checks a version before it is written: the stores' shared precondition (after their
/// version check). `work.version` must be `expected_version + 1` and the area must have a
/// bounding box.
pub fn check_work(work: &Work, expected_version: u32) -> Result<crate::map::BBox, StoreError> {
    if Some(work.version) != expected_version.checked_add(1) {
        return Err(StoreError::invalid(format!(
            "work {}: version {} does not follow {expected_version}",
            work.id, work.version
        )));
    }
    work.area
        .bbox()
        .ok_or_else(|| StoreError::invalid(format!("work {}: the area is empty", work.id)))
}

#[async_trait::async_trait]
impl<T: WorkStore + ?Sized> WorkStore for std::sync::Arc<T> {
    async fn put_work(
        &self,
        work: &Work,
        expected_version: u32,
        outbox: &[OutboxMessage],
    ) -> Result<(), StoreError> {
        (**self).put_work(work, expected_version, outbox).await
    }
    async fn work(&self, tenant: &TenantId, id: WorkId) -> Result<Work, StoreError> {
        (**self).work(tenant, id).await
    }
    async fn works(
        &self,
        tenant: &TenantId,
        query: &WorkQuery,
        limit: u32,
    ) -> Result<Vec<Work>, StoreError> {
        (**self).works(tenant, query, limit).await
    }
}
