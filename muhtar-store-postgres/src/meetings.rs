//! Council meetings on PostgreSQL (table `council_meetings`, migration
//! `0017_council_meetings.sql`): each meeting as JSON text with typed copies for the
//! lookups.
//!
//! Attendance and minutes are written in a transaction that first takes `FOR UPDATE` on
//! the meeting's row and checks it is not held: of two concurrent `record_minutes` the
//! second waits for the first's commit, then finds the meeting held
//! ([`StoreError::Frozen`]). The table's trigger refuses any change to a held meeting.

use muhtar_core::council::{Meeting, MeetingError, MeetingId, MemberId, Minutes};
use muhtar_core::ids::{MuhtarlikCode, TenantId};
use muhtar_core::store::{meeting_frozen, MeetingStore, StoreError};

use crate::error::{is_unique_violation, map};
use crate::{split_nanos, PgStore};

fn not_found() -> StoreError {
    StoreError::NotFound {
        what: "meeting".into(),
    }
}

fn from_text(s: &str) -> Result<Meeting, StoreError> {
    serde_json::from_str(s).map_err(|e| StoreError::corrupt_because("meeting", e))
}

fn to_text(m: &Meeting) -> Result<String, StoreError> {
    serde_json::to_string(m).map_err(|e| StoreError::invalid_because("meeting", e))
}

impl PgStore {
    /// Changes a meeting that is not held, in one transaction: locks its row, refuses it
    /// if held, applies `change` and writes the row back.
    async fn change_open_meeting(
        &self,
        tenant: &TenantId,
        id: MeetingId,
        change: impl FnOnce(&mut Meeting) -> Result<(), MeetingError> + Send,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool().begin().await.map_err(map)?;
        let json: Option<String> = sqlx::query_scalar(
            "SELECT meeting FROM council_meetings WHERE tenant = $1 AND id = $2 FOR UPDATE",
        )
        .bind(tenant.as_str())
        .bind(id.0)
        .fetch_optional(&mut *tx)
        .await
        .map_err(map)?;
        let mut m = from_text(&json.ok_or_else(not_found)?)?;
        change(&mut m).map_err(|_| meeting_frozen(id))?;
        sqlx::query(
            "UPDATE council_meetings SET held = $3, minutes_sha256 = $4, meeting = $5
             WHERE tenant = $1 AND id = $2 AND NOT held",
        )
        .bind(tenant.as_str())
        .bind(id.0)
        .bind(m.held)
        .bind(m.minutes.as_ref().map(|x| x.sha256.clone()))
        .bind(to_text(&m)?)
        .execute(&mut *tx)
        .await
        .map_err(map)?;
        tx.commit().await.map_err(map)
    }
}

#[async_trait::async_trait]
impl MeetingStore for PgStore {
    async fn put_meeting(&self, meeting: &Meeting) -> Result<(), StoreError> {
        let (at, nanos) = split_nanos(meeting.at);
        sqlx::query(
            "INSERT INTO council_meetings (tenant, id, muhtarlik, at, at_nanos, held,
                 minutes_sha256, meeting)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(meeting.tenant.as_str())
        .bind(meeting.id.0)
        .bind(meeting.muhtarlik.as_str())
        .bind(at)
        .bind(nanos)
        .bind(meeting.held)
        .bind(meeting.minutes.as_ref().map(|x| x.sha256.clone()))
        .bind(to_text(meeting)?)
        .execute(self.pool())
        .await
        .map_err(|e| {
            if is_unique_violation(&e) {
                StoreError::Duplicate {
                    what: "meeting id".into(),
                }
            } else {
                map(e)
            }
        })?;
        Ok(())
    }

    async fn meeting(&self, tenant: &TenantId, id: MeetingId) -> Result<Meeting, StoreError> {
        let json: Option<String> = sqlx::query_scalar(
            "SELECT meeting FROM council_meetings WHERE tenant = $1 AND id = $2",
        )
        .bind(tenant.as_str())
        .bind(id.0)
        .fetch_optional(self.pool())
        .await
        .map_err(map)?;
        from_text(&json.ok_or_else(not_found)?)
    }

    async fn meetings(
        &self,
        tenant: &TenantId,
        muhtarlik: &MuhtarlikCode,
    ) -> Result<Vec<Meeting>, StoreError> {
        let rows: Vec<String> = sqlx::query_scalar(
            "SELECT meeting FROM council_meetings WHERE tenant = $1 AND muhtarlik = $2
             ORDER BY at DESC, at_nanos DESC, id DESC",
        )
        .bind(tenant.as_str())
        .bind(muhtarlik.as_str())
        .fetch_all(self.pool())
        .await
        .map_err(map)?;
        rows.iter().map(|j| from_text(j)).collect()
    }

    async fn set_attendance(
        &self,
        tenant: &TenantId,
        id: MeetingId,
        members: &[MemberId],
    ) -> Result<(), StoreError> {
        let members = members.to_vec();
        self.change_open_meeting(tenant, id, move |m| m.set_attendance(&members))
            .await
    }

    async fn record_minutes(
        &self,
        tenant: &TenantId,
        id: MeetingId,
        minutes: &Minutes,
    ) -> Result<(), StoreError> {
        self.change_open_meeting(tenant, id, |m| m.record_minutes(minutes.clone()))
            .await
    }
}
