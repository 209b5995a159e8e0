//! Council meetings on SQLite (table `council_meetings`, migration
//! `0017_council_meetings.sql`): each meeting as JSON with typed copies for the lookups.
//!
//! Attendance and minutes are written in a `BEGIN IMMEDIATE` transaction, which holds the
//! database's write lock from its first statement: the meeting read not held in it cannot
//! be held by another writer (even another process) before the commit, so of two
//! concurrent `record_minutes` exactly one is written and the other finds the meeting held
//! ([`StoreError::Frozen`]). The table's triggers refuse any change to a held meeting.

use muhtar_core::council::{Meeting, MeetingError, MeetingId, MemberId, Minutes};
use muhtar_core::ids::{MuhtarlikCode, TenantId};
use muhtar_core::store::{meeting_frozen, MeetingStore, StoreError};
use rusqlite::{params, Connection, OptionalExtension};

use crate::codec::{from_json, time_text, to_json, uuid_text};
use crate::error::store_error;
use crate::pool::SqliteStore;
use crate::store::immediate;

fn not_found() -> StoreError {
    StoreError::NotFound {
        what: "meeting".into(),
    }
}

/// The meetings of one query (its single column is the JSON).
fn meetings(
    conn: &Connection,
    sql: &str,
    args: &[&dyn rusqlite::ToSql],
) -> Result<Vec<Meeting>, StoreError> {
    let mut st = conn.prepare_cached(sql).map_err(store_error)?;
    let mut rows = st.query(args).map_err(store_error)?;
    let mut out = Vec::new();
    while let Some(r) = rows.next().map_err(store_error)? {
        let json: String = r.get(0).map_err(store_error)?;
        out.push(from_json("meeting", &json)?);
    }
    Ok(out)
}

impl SqliteStore {
    /// Changes a meeting that is not held, in one write transaction: reads it, refuses it
    /// if held, applies `change` and writes the row back.
    async fn change_open_meeting(
        &self,
        tenant: &TenantId,
        id: MeetingId,
        change: impl FnOnce(&mut Meeting) -> Result<(), MeetingError> + Send + 'static,
    ) -> Result<(), StoreError> {
        let (t, i) = (tenant.as_str().to_owned(), uuid_text(id.0));
        self.write(move |conn| {
            let tx = immediate(conn)?;
            let json: Option<String> = tx
                .prepare_cached(
                    "SELECT meeting FROM council_meetings WHERE tenant = ?1 AND id = ?2",
                )
                .and_then(|mut st| st.query_row(params![t, i], |r| r.get(0)).optional())
                .map_err(store_error)?;
            let mut m: Meeting = from_json("meeting", &json.ok_or_else(not_found)?)?;
            change(&mut m).map_err(|_| meeting_frozen(id))?;
            let sha = m.minutes.as_ref().map(|x| x.sha256.clone());
            let json = to_json("meeting", &m)?;
            tx.prepare_cached(
                "UPDATE council_meetings SET held = ?3, minutes_sha256 = ?4, meeting = ?5 \
                 WHERE tenant = ?1 AND id = ?2 AND held = 0",
            )
            .and_then(|mut st| st.execute(params![t, i, m.held, sha, json]))
            .map_err(store_error)?;
            tx.commit().map_err(store_error)
        })
        .await
    }
}

#[async_trait::async_trait]
impl MeetingStore for SqliteStore {
    async fn put_meeting(&self, meeting: &Meeting) -> Result<(), StoreError> {
        let (tenant, id) = (meeting.tenant.as_str().to_owned(), uuid_text(meeting.id.0));
        let muhtarlik = meeting.muhtarlik.as_str().to_owned();
        let (at, held) = (time_text(meeting.at)?, meeting.held);
        let sha = meeting.minutes.as_ref().map(|m| m.sha256.clone());
        let json = to_json("meeting", meeting)?;
        self.write(move |conn| {
            conn.prepare_cached(
                "INSERT INTO council_meetings (tenant, id, muhtarlik, at, held, minutes_sha256, \
                 meeting) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )
            .and_then(|mut st| st.execute(params![tenant, id, muhtarlik, at, held, sha, json]))
            .map_err(|e| match &e {
                rusqlite::Error::SqliteFailure(f, _)
                    if f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY =>
                {
                    StoreError::Duplicate {
                        what: "meeting id".into(),
                    }
                }
                _ => store_error(e),
            })?;
            Ok(())
        })
        .await
    }

    async fn meeting(&self, tenant: &TenantId, id: MeetingId) -> Result<Meeting, StoreError> {
        let (t, id) = (tenant.as_str().to_owned(), uuid_text(id.0));
        self.read(move |conn| {
            meetings(
                conn,
                "SELECT meeting FROM council_meetings WHERE tenant = ?1 AND id = ?2",
                &[&t, &id],
            )?
            .into_iter()
            .next()
            .ok_or_else(not_found)
        })
        .await
    }

    async fn meetings(
        &self,
        tenant: &TenantId,
        muhtarlik: &MuhtarlikCode,
    ) -> Result<Vec<Meeting>, StoreError> {
        let (t, m) = (tenant.as_str().to_owned(), muhtarlik.as_str().to_owned());
        self.read(move |conn| {
            meetings(
                conn,
                "SELECT meeting FROM council_meetings WHERE tenant = ?1 AND muhtarlik = ?2 \
                 ORDER BY at DESC, id DESC",
                &[&t, &m],
            )
        })
        .await
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
        let minutes = minutes.clone();
        self.change_open_meeting(tenant, id, move |m| m.record_minutes(minutes))
            .await
    }
}
