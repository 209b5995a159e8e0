//! Requests: events, the state table, listings.

use chrono::{DateTime, Utc};
use muhtar_core::ids::{RequestId, TenantId};
use muhtar_core::report::Facts;
use muhtar_core::request::{Event, EventKind, RequestState, Stored};
use muhtar_core::store::{
    Commit, Cursor, Deadlines, Order, Page, RequestQuery, RequestRecord, RequestStore, StoreError,
    UnavailableReason,
};
use muhtar_core::tracking::TrackingNumber;
use sqlx::postgres::PgRow;
use sqlx::{Postgres, QueryBuilder, Row};
use uuid::Uuid;

use crate::error::{constraint, is_retryable, is_unique_violation, map};
use crate::outbox::NewMessage;
use crate::{from_json, join_nanos, serde_name, split_nanos, to_i32, to_json, to_u32, PgStore};

/// How often a commit that lost a deadlock or a serialization check is run again.
const COMMIT_TRIES: u32 = 5;

/// Why one try of a commit failed.
pub(crate) enum Failed {
    /// A business answer (conflict, duplicate, invalid) or a mapped error.
    Store(StoreError),
    /// A unique violation: which constraint, decided after the rollback.
    Unique(Option<String>),
    /// A deadlock or serialization failure: run it again.
    Retry(sqlx::Error),
}

impl From<sqlx::Error> for Failed {
    fn from(e: sqlx::Error) -> Self {
        if is_retryable(&e) {
            Failed::Retry(e)
        } else if is_unique_violation(&e) {
            Failed::Unique(constraint(&e))
        } else {
            Failed::Store(map(e))
        }
    }
}

impl From<StoreError> for Failed {
    fn from(e: StoreError) -> Self {
        Failed::Store(e)
    }
}

fn not_found() -> StoreError {
    StoreError::NotFound {
        what: "request".to_owned(),
    }
}

/// The sort key of `Order::Deadline` (as in `muhtar_core::store::sort_key`).
fn due_key(d: &Deadlines) -> i64 {
    d.resolution_due
        .map(|t| t.timestamp_micros())
        .unwrap_or(i64::MAX)
}

/// The typed copies of a record's fields, for the `requests` columns.
struct Columns {
    status: &'static str,
    outcome: Option<String>,
    reason: Option<String>,
    unit: Option<String>,
    channel: String,
    state: serde_json::Value,
    deadlines: serde_json::Value,
    kind: String,
    concluded_at: Option<DateTime<Utc>>,
    answer_days: Option<i32>,
    answer_calendar_days: Option<i32>,
    first_response_at: Option<DateTime<Utc>>,
    first_response_due: Option<DateTime<Utc>>,
}

impl Columns {
    fn of(r: &RequestRecord) -> Result<Columns, StoreError> {
        let s = &r.state;
        let facts = Facts::of(r);
        Ok(Columns {
            status: s.status.as_str(),
            outcome: facts.outcome.as_ref().map(serde_name).transpose()?,
            reason: facts.reason,
            kind: facts.kind,
            concluded_at: facts.concluded_at,
            first_response_at: facts.first_response_at,
            first_response_due: facts.first_response_due,
            answer_days: facts
                .answer_working_days
                .map(|d| to_i32(d, "working days"))
                .transpose()?,
            answer_calendar_days: facts
                .answer_calendar_days
                .map(|d| to_i32(d, "calendar days"))
                .transpose()?,
            unit: s.unit.as_ref().map(|u| u.as_str().to_owned()),
            channel: serde_name(&s.content.channel)?,
            state: to_json(&Stored(s), "request state")?,
            deadlines: to_json(&r.deadlines, "deadlines")?,
        })
    }
}

/// Binds the state columns, `status` to `lat` (`$5` to `$29`), in the order both
/// the INSERT and the UPDATE of a commit list them.
trait BindColumns<'q> {
    fn bind_columns(self, cols: &'q Columns, r: &'q RequestRecord) -> Self;
}

impl<'q> BindColumns<'q> for sqlx::query::Query<'q, Postgres, sqlx::postgres::PgArguments> {
    fn bind_columns(self, cols: &'q Columns, r: &'q RequestRecord) -> Self {
        let (st, d) = (&r.state, &r.deadlines);
        self.bind(cols.status)
            .bind(&cols.outcome)
            .bind(&cols.reason)
            .bind(&cols.unit)
            .bind(st.content.muhtarlik.as_str())
            .bind(&st.content.category)
            .bind(&cols.channel)
            .bind(st.content.received_at)
            .bind(cols.first_response_at)
            .bind(st.answered_at)
            .bind(st.closed_at)
            .bind(cols.first_response_due)
            .bind(d.resolution_due)
            .bind(due_key(d))
            .bind(st.content.received_at.timestamp_micros())
            .bind(st.updated_at)
            .bind(&cols.state)
            .bind(&cols.deadlines)
            .bind(&cols.kind)
            .bind(cols.concluded_at)
            .bind(cols.answer_days)
            .bind(cols.answer_calendar_days)
            .bind(muhtar_core::store::priority_rank(st.content.priority))
            .bind(st.content.location.as_ref().map(|l| l.lon))
            .bind(st.content.location.as_ref().map(|l| l.lat))
    }
}

fn record_from_row(row: &PgRow) -> Result<RequestRecord, StoreError> {
    let state: serde_json::Value = row.try_get("state").map_err(map)?;
    let deadlines: serde_json::Value = row.try_get("deadlines").map_err(map)?;
    Ok(RequestRecord {
        state: from_json::<Stored<RequestState>>(state, "request state")?.0,
        deadlines: from_json::<Deadlines>(deadlines, "deadlines")?,
    })
}

impl PgStore {
    /// The stored version of a request, if it exists (in the events if the state row is
    /// missing).
    async fn stored_version(&self, tenant: &str, id: Uuid) -> Result<u32, StoreError> {
        let v: i32 = sqlx::query_scalar(
            "SELECT COALESCE(
                 (SELECT version FROM requests WHERE tenant = $1 AND id = $2),
                 (SELECT MAX(version) FROM events WHERE tenant = $1 AND request_id = $2),
                 0)",
        )
        .bind(tenant)
        .bind(id)
        .fetch_one(&self.pool)
        .await
        .map_err(map)?;
        to_u32(v, "request version")
    }

    /// One try of a commit, in one transaction.
    async fn try_commit(&self, c: &Commit) -> Result<(), Failed> {
        let st = &c.record.state;
        let tenant = st.tenant.as_str();
        let id = st.id.as_uuid();
        let mut tx = self.pool.begin().await?;

        // The version check: lock the row (if any) until the commit.
        let actual: Option<i32> = sqlx::query_scalar(
            "SELECT version FROM requests WHERE tenant = $1 AND id = $2 FOR UPDATE",
        )
        .bind(tenant)
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?;
        let actual = actual
            .map(|v| to_u32(v, "request version"))
            .transpose()?
            .unwrap_or(0);
        if actual != c.expected_version {
            return Err(Failed::Store(StoreError::Conflict {
                expected: c.expected_version,
                actual,
            }));
        }
        c.check_shape().map_err(Failed::Store)?;
        let tracking = st.tracking.to_string();
        if c.expected_version == 0 {
            let other: Option<Uuid> =
                sqlx::query_scalar("SELECT id FROM requests WHERE tenant = $1 AND tracking = $2")
                    .bind(tenant)
                    .bind(&tracking)
                    .fetch_optional(&mut *tx)
                    .await?;
            if other.is_some_and(|o| o != id) {
                return Err(Failed::Store(StoreError::Duplicate {
                    what: format!("tracking number {}", st.tracking),
                }));
            }
        }
        // Checked and written first: a taken number rolls back before anything else is done.
        crate::documents::write_documents(&mut tx, c).await?;

        // The state row.
        let cols = Columns::of(&c.record)?;
        let version = to_i32(st.version, "request version")?;
        if c.expected_version == 0 {
            sqlx::query(
                "INSERT INTO requests (tenant, id, tracking, version, status, outcome, reason,
                     unit, muhtarlik, category, channel, received_at, first_response_at,
                     answered_at, closed_at, first_response_due, resolution_due, due_key,
                     received_key, updated_at, state, deadlines, kind, concluded_at,
                     answer_days, answer_calendar_days, priority_rank, lon, lat)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15,
                     $16, $17, $18, $19, $20, $21, $22, $23, $24, $25, $26, $27, $28, $29)",
            )
            .bind(tenant)
            .bind(id)
            .bind(&tracking)
            .bind(version)
            .bind_columns(&cols, &c.record)
            .execute(&mut *tx)
            .await?;
        } else {
            let expected = to_i32(c.expected_version, "expected version")?;
            let res = sqlx::query(
                "UPDATE requests SET version = $4, status = $5, outcome = $6, reason = $7,
                     unit = $8, muhtarlik = $9, category = $10, channel = $11,
                     received_at = $12, first_response_at = $13, answered_at = $14,
                     closed_at = $15, first_response_due = $16, resolution_due = $17,
                     due_key = $18, received_key = $19, updated_at = $20, state = $21,
                     deadlines = $22, kind = $23, concluded_at = $24, answer_days = $25,
                     answer_calendar_days = $26, priority_rank = $27, lon = $28, lat = $29
                 WHERE tenant = $1 AND id = $2 AND version = $3",
            )
            .bind(tenant)
            .bind(id)
            .bind(expected)
            .bind(version)
            .bind_columns(&cols, &c.record)
            .execute(&mut *tx)
            .await?;
            if res.rows_affected() != 1 {
                // Cannot happen while the row is locked; answer as a conflict anyway.
                return Err(Failed::Unique(Some("requests_pkey".to_owned())));
            }
        }

        crate::decisions::write_decision(&mut tx, c).await?;

        // The events.
        for e in &c.events {
            let (at, at_nanos) = split_nanos(e.at);
            sqlx::query(
                "INSERT INTO events (tenant, request_id, version, at, at_nanos, actor, type,
                     payload)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(tenant)
            .bind(id)
            .bind(to_i32(e.version, "event version")?)
            .bind(at)
            .bind(at_nanos)
            .bind(to_json(&e.actor, "actor")?)
            .bind(e.kind.name())
            .bind(to_json(&Stored(&e.kind), "event")?)
            .execute(&mut *tx)
            .await?;
        }

        // KVKK erasure: the received event keeps everything but the citizen contact.
        if c.erases_contact() {
            sqlx::query(
                "UPDATE events SET payload = payload #- '{content,citizen}'
                 WHERE tenant = $1 AND request_id = $2 AND type = 'received'",
            )
            .bind(tenant)
            .bind(id)
            .execute(&mut *tx)
            .await?;
            // The citizen's notices hold the contact (recipient, key): they go with it.
            let kinds: Vec<&str> = muhtar_core::outbox::NoticeKind::CITIZEN
                .iter()
                .map(|k| k.as_str())
                .collect();
            sqlx::query(
                "DELETE FROM outbox WHERE tenant = $1 AND request_id = $2 AND kind = ANY($3)",
            )
            .bind(tenant)
            .bind(id)
            .bind(&kinds)
            .execute(&mut *tx)
            .await?;
        }

        // A receipt forced into a signed quarter marks its reports.
        if let Some(m) = c.report_correction() {
            sqlx::query(
                "INSERT INTO report_corrections (tenant, request_id, quarter, at, body)
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(tenant)
            .bind(id)
            .bind(m.quarter.to_string())
            .bind(m.at)
            .bind(to_json(&m, "report correction")?.to_string())
            .execute(&mut *tx)
            .await?;
        }

        // The outbox; a key already present is skipped.
        for m in &c.outbox {
            NewMessage::of(m)?.insert(&mut tx).await?;
        }
        tx.commit().await?;
        Ok(())
    }
}

impl PgStore {
    /// After a KVKK erasure (committed): `VACUUM` of the tables that held the erased
    /// contact, so that the row versions still holding it (the `received` event before
    /// the erasure, the earlier states of the request) are removed from the heap pages
    /// now rather than at the next autovacuum. Outside the transaction (VACUUM cannot run
    /// in one); `INDEX_CLEANUP OFF` keeps it to the changed heap pages of `events` and
    /// `requests` (their indexes hold no contact data; autovacuum tidies them later), while
    /// the outbox's indexes are cleaned (a citizen notice's idempotency key holds the contact). A row version an older transaction
    /// still sees stays until the next vacuum. A failure is logged, never an error: the
    /// erasure itself is committed.
    async fn vacuum_after_erasure(&self) {
        // The citizen's own notices were deleted from the outbox: their idempotency keys
        // (in the unique index) held the contact too, so the outbox's indexes are cleaned.
        // One statement each: PostgreSQL runs a multi-statement string in a transaction
        // block, where VACUUM is refused.
        for sql in [
            "VACUUM (INDEX_CLEANUP OFF) events, requests",
            "VACUUM (INDEX_CLEANUP ON) outbox",
        ] {
            if let Err(e) = sqlx::raw_sql(sql).execute(&self.pool).await {
                tracing::warn!(error = %e, "VACUUM after a KVKK erasure failed; autovacuum will remove the old row versions later");
            }
        }
    }
}

/// The SQL filters of a query (the cursor apart), after a `WHERE`.
pub(crate) fn push_filters<'a>(
    sql: &mut QueryBuilder<'a, Postgres>,
    q: &'a RequestQuery,
) -> Result<(), StoreError> {
    if let Some(units) = &q.units {
        let mut units: Vec<String> = units.iter().map(|u| u.as_str().to_owned()).collect();
        if units.len() == 1 {
            // `unit = $n` lets an index on (tenant, unit, priority_rank, due_key, id) return one
            // unit's rows in deadline order; `= ANY(...)` would make them be sorted.
            sql.push(" AND unit = ").push_bind(units.remove(0));
        } else {
            sql.push(" AND unit = ANY(").push_bind(units).push(")");
        }
    }
    if let Some(m) = &q.muhtarlik {
        sql.push(" AND muhtarlik = ").push_bind(m.as_str());
    }
    if let Some(statuses) = &q.statuses {
        // Literals, not a parameter: the planner then proves that the query implies a
        // partial index's condition (such as one on open requests) in every plan.
        sql.push(" AND ")
            .push(muhtar_core::store::status_condition(statuses));
    }
    if let Some(c) = &q.category {
        sql.push(" AND category = ").push_bind(c.as_str());
    }
    if let Some(c) = &q.channel {
        sql.push(" AND channel = ").push_bind(serde_name(c)?);
    }
    if let Some(f) = q.received_from {
        sql.push(" AND received_key >= ")
            .push_bind(f.timestamp_micros());
    }
    if let Some(u) = q.received_until {
        sql.push(" AND received_key < ")
            .push_bind(u.timestamp_micros());
    }
    if let Some(d) = q.due_before {
        sql.push(" AND resolution_due IS NOT NULL AND due_key < ")
            .push_bind(d.timestamp_micros());
    }
    if let Some(b) = &q.bbox {
        // The GiST index answers the box (within its tolerance); the columns exactly.
        sql.push(" AND place <@ box(point(")
            .push_bind(b.min_lon)
            .push(", ")
            .push_bind(b.min_lat)
            .push("), point(")
            .push_bind(b.max_lon)
            .push(", ")
            .push_bind(b.max_lat)
            .push(")) AND lon BETWEEN ")
            .push_bind(b.min_lon)
            .push(" AND ")
            .push_bind(b.max_lon)
            .push(" AND lat BETWEEN ")
            .push_bind(b.min_lat)
            .push(" AND ")
            .push_bind(b.max_lat);
    }
    Ok(())
}

#[async_trait::async_trait]
impl RequestStore for PgStore {
    async fn commit(&self, c: &Commit) -> Result<(), StoreError> {
        let mut tries = 0;
        loop {
            tries += 1;
            match self.try_commit(c).await {
                Ok(()) => {
                    if c.erases_contact() {
                        self.vacuum_after_erasure().await;
                    }
                    return Ok(());
                }
                Err(Failed::Store(e)) => return Err(e),
                Err(Failed::Retry(e)) => {
                    if tries >= COMMIT_TRIES {
                        // Serialization failures or deadlocks every time: busy.
                        return Err(StoreError::unavailable(UnavailableReason::Busy, e));
                    }
                }
                Err(Failed::Unique(name)) => {
                    // Rolled back. Someone else wrote first: tell which way.
                    let st = &c.record.state;
                    let actual = self
                        .stored_version(st.tenant.as_str(), st.id.as_uuid())
                        .await?;
                    if actual != c.expected_version {
                        return Err(StoreError::Conflict {
                            expected: c.expected_version,
                            actual,
                        });
                    }
                    return Err(match name.as_deref() {
                        Some("requests_tenant_tracking_key") => StoreError::Duplicate {
                            what: format!("tracking number {}", st.tracking),
                        },
                        Some(n) => StoreError::Duplicate {
                            what: crate::error::constraint_words(n),
                        },
                        None => StoreError::Duplicate {
                            what: "key".to_owned(),
                        },
                    });
                }
            }
        }
    }

    async fn load(&self, tenant: &TenantId, id: RequestId) -> Result<RequestRecord, StoreError> {
        let row =
            sqlx::query("SELECT state, deadlines FROM requests WHERE tenant = $1 AND id = $2")
                .bind(tenant.as_str())
                .bind(id.as_uuid())
                .fetch_optional(&self.pool)
                .await
                .map_err(map)?
                .ok_or_else(not_found)?;
        record_from_row(&row)
    }

    async fn load_by_tracking(
        &self,
        tenant: &TenantId,
        tracking: &TrackingNumber,
    ) -> Result<RequestRecord, StoreError> {
        let row = sqlx::query(
            "SELECT state, deadlines FROM requests WHERE tenant = $1 AND tracking = $2",
        )
        .bind(tenant.as_str())
        .bind(tracking.to_string())
        .fetch_optional(&self.pool)
        .await
        .map_err(map)?
        .ok_or_else(not_found)?;
        record_from_row(&row)
    }

    async fn events(&self, tenant: &TenantId, id: RequestId) -> Result<Vec<Event>, StoreError> {
        let rows: Vec<(
            i32,
            DateTime<Utc>,
            i32,
            serde_json::Value,
            serde_json::Value,
        )> = sqlx::query_as(
            "SELECT version, at, at_nanos, actor, payload FROM events
                 WHERE tenant = $1 AND request_id = $2 ORDER BY version",
        )
        .bind(tenant.as_str())
        .bind(id.as_uuid())
        .fetch_all(&self.pool)
        .await
        .map_err(map)?;
        if rows.is_empty() {
            return Err(not_found());
        }
        rows.into_iter()
            .map(|(version, at, at_nanos, actor, payload)| {
                Ok(Event {
                    version: to_u32(version, "event version")?,
                    at: join_nanos(at, at_nanos),
                    actor: from_json(actor, "actor")?,
                    kind: from_json::<Stored<EventKind>>(payload, "event")?.0,
                })
            })
            .collect()
    }

    async fn query(
        &self,
        tenant: &TenantId,
        q: &RequestQuery,
    ) -> Result<Page<RequestRecord>, StoreError> {
        let after = q.after.as_ref().map(Cursor::decode).transpose()?;
        let n = q.page_size();
        let mut sql: QueryBuilder<'_, Postgres> =
            QueryBuilder::new("SELECT state, deadlines FROM requests WHERE tenant = ");
        sql.push_bind(tenant.as_str());
        push_filters(&mut sql, q)?;
        // Urgent first (`priority_rank` 0) in both orders; newest first sorts by
        // `-priority_rank DESC` so that the whole order runs one way (one index).
        match q.order {
            Order::Deadline => {
                if let Some(p) = after {
                    sql.push(" AND (priority_rank, due_key, id) > (")
                        .push_bind(p.rank)
                        .push(", ")
                        .push_bind(p.key)
                        .push(", ")
                        .push_bind(p.id.as_uuid())
                        .push(")");
                }
                sql.push(" ORDER BY priority_rank, due_key, id");
            }
            Order::Newest => {
                if let Some(p) = after {
                    sql.push(" AND (-priority_rank, received_key, id) < (")
                        .push_bind(-p.rank)
                        .push(", ")
                        .push_bind(p.key)
                        .push(", ")
                        .push_bind(p.id.as_uuid())
                        .push(")");
                }
                sql.push(" ORDER BY -priority_rank DESC, received_key DESC, id DESC");
            }
        }
        sql.push(" LIMIT ").push_bind(i64::from(n) + 1);
        let rows = sql.build().fetch_all(&self.pool).await.map_err(map)?;
        let mut items = rows
            .iter()
            .map(record_from_row)
            .collect::<Result<Vec<_>, _>>()?;
        let next = if items.len() > n as usize {
            items.truncate(n as usize);
            items.last().map(|r| Cursor::after(r, q.order))
        } else {
            None
        };
        Ok(Page { items, next })
    }

    async fn map_points(
        &self,
        tenant: &TenantId,
        query: &RequestQuery,
        limit: u32,
    ) -> Result<Vec<muhtar_core::map::MapPoint>, StoreError> {
        crate::map::map_points(&self.pool, tenant, query, limit).await
    }

    async fn update_deadlines(
        &self,
        tenant: &TenantId,
        id: RequestId,
        version: u32,
        deadlines: &Deadlines,
    ) -> Result<(), StoreError> {
        let res = sqlx::query(
            "UPDATE requests SET deadlines = $4, first_response_due = $5, resolution_due = $6,
                 due_key = $7,
                 answer_days = CASE WHEN concluded_at IS NOT NULL AND answered_at IS NOT NULL
                                    THEN $8 END
             WHERE tenant = $1 AND id = $2 AND version = $3",
        )
        .bind(tenant.as_str())
        .bind(id.as_uuid())
        .bind(to_i32(version, "version")?)
        .bind(to_json(deadlines, "deadlines")?)
        .bind(deadlines.first_response_due)
        .bind(deadlines.resolution_due)
        .bind(due_key(deadlines))
        .bind(
            deadlines
                .answer_working_days
                .map(|d| to_i32(d, "working days"))
                .transpose()?,
        )
        .execute(&self.pool)
        .await
        .map_err(map)?;
        if res.rows_affected() == 1 {
            return Ok(());
        }
        let actual: Option<i32> =
            sqlx::query_scalar("SELECT version FROM requests WHERE tenant = $1 AND id = $2")
                .bind(tenant.as_str())
                .bind(id.as_uuid())
                .fetch_optional(&self.pool)
                .await
                .map_err(map)?;
        match actual {
            None => Err(not_found()),
            Some(a) => Err(StoreError::Conflict {
                expected: version,
                actual: to_u32(a, "request version")?,
            }),
        }
    }
}
