//! Council meetings in memory: the reference of [`MeetingStore`].

use super::{not_found, MemoryStore};
use crate::council::{Meeting, MeetingError, MeetingId, MemberId, Minutes};
use crate::ids::{MuhtarlikCode, TenantId};
use crate::store::{meeting_frozen, MeetingStore, StoreError};

impl MemoryStore {
    /// The meeting, if it is not held: what a write may change.
    fn open_meeting(
        &self,
        tenant: &TenantId,
        id: MeetingId,
        change: impl FnOnce(&mut Meeting) -> Result<(), MeetingError>,
    ) -> Result<(), StoreError> {
        let mut g = self.lock();
        let m = g
            .meetings
            .get_mut(&(tenant.clone(), id))
            .ok_or_else(|| not_found("meeting"))?;
        change(m).map_err(|_| meeting_frozen(id))
    }
}

#[async_trait::async_trait]
impl MeetingStore for MemoryStore {
    async fn put_meeting(&self, meeting: &Meeting) -> Result<(), StoreError> {
        let mut g = self.lock();
        let key = (meeting.tenant.clone(), meeting.id);
        if g.meetings.contains_key(&key) {
            return Err(StoreError::Duplicate {
                what: "meeting id".into(),
            });
        }
        g.meetings.insert(key, meeting.clone());
        Ok(())
    }

    async fn meeting(&self, tenant: &TenantId, id: MeetingId) -> Result<Meeting, StoreError> {
        self.lock()
            .meetings
            .get(&(tenant.clone(), id))
            .cloned()
            .ok_or_else(|| not_found("meeting"))
    }

    async fn meetings(
        &self,
        tenant: &TenantId,
        muhtarlik: &MuhtarlikCode,
    ) -> Result<Vec<Meeting>, StoreError> {
        let mut v: Vec<Meeting> = self
            .lock()
            .meetings
            .values()
            .filter(|m| &m.tenant == tenant && &m.muhtarlik == muhtarlik)
            .cloned()
            .collect();
        v.sort_by(|a, b| b.at.cmp(&a.at).then(b.id.cmp(&a.id)));
        Ok(v)
    }

    async fn set_attendance(
        &self,
        tenant: &TenantId,
        id: MeetingId,
        members: &[MemberId],
    ) -> Result<(), StoreError> {
        self.open_meeting(tenant, id, |m| m.set_attendance(members))
    }

    async fn record_minutes(
        &self,
        tenant: &TenantId,
        id: MeetingId,
        minutes: &Minutes,
    ) -> Result<(), StoreError> {
        self.open_meeting(tenant, id, |m| m.record_minutes(minutes.clone()))
    }
}
