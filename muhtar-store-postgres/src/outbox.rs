//! The notification outbox.

use chrono::{DateTime, Utc};
use muhtar_core::ids::{RequestId, TenantId};
use muhtar_core::outbox::{OutboxEntry, OutboxMessage, OutboxStatus};
use muhtar_core::store::{OutboxStore, StoreError};
use sqlx::postgres::PgRow;
use sqlx::{PgConnection, Row};
use uuid::Uuid;

use crate::error::map;
use crate::{from_json, serde_name, to_json, to_u32, PgStore};

/// An outbox message ready for its row.
pub(crate) struct NewMessage<'a> {
    m: &'a OutboxMessage,
    kind: String,
    channel: String,
    json: serde_json::Value,
}

impl<'a> NewMessage<'a> {
    /// Prepares a message (everything that can fail before the database).
    pub(crate) fn of(m: &'a OutboxMessage) -> Result<NewMessage<'a>, StoreError> {
        Ok(NewMessage {
            m,
            kind: serde_name(&m.kind)?,
            channel: serde_name(&m.channel)?,
            json: to_json(m, "outbox message")?,
        })
    }

    /// Inserts the row unless its idempotency key is present; whether it was inserted.
    pub(crate) async fn insert(&self, conn: &mut PgConnection) -> Result<bool, sqlx::Error> {
        let m = self.m;
        let res = sqlx::query(
            "INSERT INTO outbox (id, tenant, request_id, idempotency_key, kind, channel,
                 recipient, status, attempts, next_attempt_at, created_at, message)
             VALUES ($1, $2, $3, $4, $5, $6, $7, 'pending', 0, $8, $9, $10)
             ON CONFLICT (idempotency_key) DO NOTHING",
        )
        .bind(m.id)
        .bind(m.tenant.as_str())
        .bind(m.request.map(|r| r.as_uuid()))
        .bind(&m.idempotency_key)
        .bind(&self.kind)
        .bind(&self.channel)
        .bind(&m.recipient)
        .bind(m.not_before)
        .bind(m.created_at)
        .bind(&self.json)
        .execute(conn)
        .await?;
        Ok(res.rows_affected() == 1)
    }
}

fn entry_from_row(row: &PgRow) -> Result<OutboxEntry, StoreError> {
    let message: serde_json::Value = row.try_get("message").map_err(map)?;
    let status: String = row.try_get("status").map_err(map)?;
    let status = OutboxStatus::from_name(&status)
        .ok_or_else(|| StoreError::corrupt(format!("stored outbox status {status:?}")))?;
    Ok(OutboxEntry {
        message: from_json(message, "outbox message")?,
        status,
        attempts: to_u32(row.try_get("attempts").map_err(map)?, "attempts")?,
        failures: to_u32(row.try_get("failures").map_err(map)?, "failures")?,
        last_error: row.try_get("last_error").map_err(map)?,
        next_attempt_at: row.try_get("next_attempt_at").map_err(map)?,
        claimed_until: row.try_get("claimed_until").map_err(map)?,
        sent_at: row.try_get("sent_at").map_err(map)?,
    })
}

fn not_found() -> StoreError {
    StoreError::NotFound {
        what: "outbox message".to_owned(),
    }
}

impl PgStore {
    /// Puts a pending message back until `at` with `error`, adding `failed` failures
    /// ([`OutboxStore::mark_retry`], [`OutboxStore::defer`]).
    async fn put_back(
        &self,
        id: Uuid,
        at: DateTime<Utc>,
        error: &str,
        failed: i32,
    ) -> Result<(), StoreError> {
        let res = sqlx::query(
            "UPDATE outbox SET next_attempt_at = $2, last_error = $3, claimed_until = NULL,
                 failures = failures + $4
             WHERE id = $1 AND status = 'pending'",
        )
        .bind(id)
        .bind(at)
        .bind(error)
        .bind(failed)
        .execute(&self.pool)
        .await
        .map_err(map)?;
        if res.rows_affected() == 1 {
            return Ok(());
        }
        let status: Option<String> = sqlx::query_scalar("SELECT status FROM outbox WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await
            .map_err(map)?;
        match status {
            None => Err(not_found()),
            Some(s) => Err(StoreError::invalid(format!("message {id} is {s}"))),
        }
    }

    /// The claim of [`OutboxStore::claim`] and [`OutboxStore::claim_tenant`].
    async fn claim_where(
        &self,
        tenant: Option<&TenantId>,
        now: DateTime<Utc>,
        limit: u32,
        lease: chrono::Duration,
    ) -> Result<Vec<OutboxEntry>, StoreError> {
        let until = now
            .checked_add_signed(lease)
            .ok_or_else(|| StoreError::invalid(format!("lease {lease} is out of range")))?;
        // Rows another claimer holds locked are skipped, not waited for; a row claimed
        // (and committed) meanwhile fails the re-checked condition.
        // Two statements rather than `($4 IS NULL OR tenant = $4)`, so that each gets a
        // plan of its own.
        let sql = format!(
            "UPDATE outbox o SET claimed_until = $2, attempts = o.attempts + 1
             FROM (SELECT id FROM outbox
                   WHERE status = 'pending' AND next_attempt_at <= $1
                     AND (claimed_until IS NULL OR claimed_until <= $1){}
                   ORDER BY next_attempt_at, id
                   LIMIT $3
                   FOR UPDATE SKIP LOCKED) c
             WHERE o.id = c.id
             RETURNING o.id, o.message, o.status, o.attempts, o.failures, o.last_error,
                 o.next_attempt_at, o.claimed_until, o.sent_at",
            if tenant.is_some() {
                " AND tenant = $4"
            } else {
                ""
            }
        );
        let mut q = sqlx::query(&sql)
            .bind(now)
            .bind(until)
            .bind(i64::from(limit));
        if let Some(t) = tenant {
            q = q.bind(t.as_str());
        }
        let rows = q.fetch_all(&self.pool).await.map_err(map)?;
        let mut out = Vec::with_capacity(rows.len());
        for row in &rows {
            let id: Uuid = row.try_get("id").map_err(map)?;
            out.push((id, entry_from_row(row)?));
        }
        // RETURNING has no order: give them oldest first, as claimed.
        out.sort_by_key(|(id, e)| (e.next_attempt_at, *id));
        Ok(out.into_iter().map(|(_, e)| e).collect())
    }
}

#[async_trait::async_trait]
impl OutboxStore for PgStore {
    async fn enqueue(&self, messages: &[OutboxMessage]) -> Result<usize, StoreError> {
        let prepared = messages
            .iter()
            .map(NewMessage::of)
            .collect::<Result<Vec<_>, _>>()?;
        let mut tx = self.pool.begin().await.map_err(map)?;
        let mut n = 0;
        for m in &prepared {
            if m.insert(&mut tx).await.map_err(map)? {
                n += 1;
            }
        }
        tx.commit().await.map_err(map)?;
        Ok(n)
    }

    async fn claim(
        &self,
        now: DateTime<Utc>,
        limit: u32,
        lease: chrono::Duration,
    ) -> Result<Vec<OutboxEntry>, StoreError> {
        self.claim_where(None, now, limit, lease).await
    }

    async fn claim_tenant(
        &self,
        tenant: &TenantId,
        now: DateTime<Utc>,
        limit: u32,
        lease: chrono::Duration,
    ) -> Result<Vec<OutboxEntry>, StoreError> {
        self.claim_where(Some(tenant), now, limit, lease).await
    }

    async fn mark_sent(&self, id: Uuid, at: DateTime<Utc>) -> Result<(), StoreError> {
        let res = sqlx::query(
            "UPDATE outbox SET status = 'sent', sent_at = $2, claimed_until = NULL
             WHERE id = $1",
        )
        .bind(id)
        .bind(at)
        .execute(&self.pool)
        .await
        .map_err(map)?;
        if res.rows_affected() == 0 {
            return Err(not_found());
        }
        Ok(())
    }

    async fn mark_retry(
        &self,
        id: Uuid,
        next_attempt_at: DateTime<Utc>,
        error: &str,
    ) -> Result<(), StoreError> {
        self.put_back(id, next_attempt_at, error, 1).await
    }

    async fn defer(
        &self,
        id: Uuid,
        next_attempt_at: DateTime<Utc>,
        note: &str,
    ) -> Result<(), StoreError> {
        self.put_back(id, next_attempt_at, note, 0).await
    }

    async fn mark_failed(
        &self,
        id: Uuid,
        at: DateTime<Utc>,
        error: &str,
    ) -> Result<(), StoreError> {
        let res = sqlx::query(
            "UPDATE outbox SET status = 'failed', failed_at = $2, last_error = $3,
                 claimed_until = NULL, failures = failures + 1
             WHERE id = $1",
        )
        .bind(id)
        .bind(at)
        .bind(error)
        .execute(&self.pool)
        .await
        .map_err(map)?;
        if res.rows_affected() == 0 {
            return Err(not_found());
        }
        Ok(())
    }
    async fn outbox(
        &self,
        tenant: &TenantId,
        request: Option<RequestId>,
    ) -> Result<Vec<OutboxEntry>, StoreError> {
        // Two plain statements rather than one with `$2 IS NULL OR ...`, so each uses
        // its index.
        const COLUMNS: &str = "SELECT message, status, attempts, failures, last_error,
                 next_attempt_at, claimed_until, sent_at FROM outbox";
        let rows = match request {
            None => {
                let sql = format!("{COLUMNS} WHERE tenant = $1 ORDER BY created_at, id");
                sqlx::query(&sql)
                    .bind(tenant.as_str())
                    .fetch_all(&self.pool)
                    .await
            }
            Some(r) => {
                let sql = format!(
                    "{COLUMNS} WHERE tenant = $1 AND request_id = $2 ORDER BY created_at, id"
                );
                sqlx::query(&sql)
                    .bind(tenant.as_str())
                    .bind(r.as_uuid())
                    .fetch_all(&self.pool)
                    .await
            }
        }
        .map_err(map)?;
        rows.iter().map(entry_from_row).collect()
    }
}
