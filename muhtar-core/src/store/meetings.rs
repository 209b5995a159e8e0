//! The storage contract of the council's meetings ([`crate::council::Meeting`]).
//!
//! **The minutes of a held meeting are frozen**: [`MeetingStore::record_minutes`] marks
//! the meeting held, and afterwards [`MeetingStore::set_attendance`] and a second
//! `record_minutes` are refused with [`StoreError::Frozen`], checked inside the write's
//! own transaction (of two concurrent `record_minutes`, exactly one is written). The
//! databases also refuse any change to a held meeting's row and any deletion (triggers).

use super::StoreError;
use crate::council::{Meeting, MeetingId, MemberId, Minutes};
use crate::ids::{MuhtarlikCode, TenantId};

/// The council's meetings. Part of [`super::Store`]; checked by the conformance suite
/// (`testkit/conformance/meetings.rs`).
#[async_trait::async_trait]
pub trait MeetingStore: Send + Sync {
    /// Writes a new meeting ([`StoreError::Duplicate`] if its id is taken).
    async fn put_meeting(&self, meeting: &Meeting) -> Result<(), StoreError>;
    /// A meeting by id ([`StoreError::NotFound`] if the tenant has none with it).
    async fn meeting(&self, tenant: &TenantId, id: MeetingId) -> Result<Meeting, StoreError>;
    /// A council's meetings, the latest `at` first (then by id, descending).
    async fn meetings(
        &self,
        tenant: &TenantId,
        muhtarlik: &MuhtarlikCode,
    ) -> Result<Vec<Meeting>, StoreError>;
    /// Replaces the attendance (kept sorted by member id, each once):
    /// [`StoreError::NotFound`], or [`StoreError::Frozen`] if the meeting is held.
    async fn set_attendance(
        &self,
        tenant: &TenantId,
        id: MeetingId,
        members: &[MemberId],
    ) -> Result<(), StoreError>;
    /// Records the minutes and marks the meeting held, once: [`StoreError::NotFound`], or
    /// [`StoreError::Frozen`] if it is held already (nothing written).
    async fn record_minutes(
        &self,
        tenant: &TenantId,
        id: MeetingId,
        minutes: &Minutes,
    ) -> Result<(), StoreError>;
}

/// [`StoreError::Frozen`] for a held meeting.
pub fn meeting_frozen(id: MeetingId) -> StoreError {
    StoreError::Frozen {
        what: format!("meeting {id}"),
    }
}

#[async_trait::async_trait]
impl<T: MeetingStore + ?Sized> MeetingStore for std::sync::Arc<T> {
    async fn put_meeting(&self, meeting: &Meeting) -> Result<(), StoreError> {
        (**self).put_meeting(meeting).await
    }
    async fn meeting(&self, tenant: &TenantId, id: MeetingId) -> Result<Meeting, StoreError> {
        (**self).meeting(tenant, id).await
    }
    async fn meetings(
        &self,
        tenant: &TenantId,
        muhtarlik: &MuhtarlikCode,
    ) -> Result<Vec<Meeting>, StoreError> {
        (**self).meetings(tenant, muhtarlik).await
    }
    async fn set_attendance(
        &self,
        tenant: &TenantId,
        id: MeetingId,
        members: &[MemberId],
    ) -> Result<(), StoreError> {
        (**self).set_attendance(tenant, id, members).await
    }
    async fn record_minutes(
        &self,
        tenant: &TenantId,
        id: MeetingId,
        minutes: &Minutes,
    ) -> Result<(), StoreError> {
        (**self).record_minutes(tenant, id, minutes).await
    }
}
