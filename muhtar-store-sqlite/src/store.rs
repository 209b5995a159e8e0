//! The storage contract on SQLite.

use chrono::{DateTime, Utc};
use muhtar_core::ids::{RequestId, TenantId};
use muhtar_core::outbox::{OutboxEntry, OutboxMessage, OutboxStatus};
use muhtar_core::report::{serde_name, Class, Cube, CubeQuery, Dimension, Facts, SignedReport};
use muhtar_core::request::{Event, EventKind, RequestState, Stored};
use muhtar_core::store::{
    Commit, ConfigStore, Cursor, Deadlines, Document, DocumentKind, DocumentVersions, Order,
    OutboxStore, Page, ReportCorrection, ReportStore, RequestQuery, RequestRecord, RequestStore,
    StoreError,
};
use muhtar_core::tracking::TrackingNumber;
use rusqlite::types::Value;
use rusqlite::{params, params_from_iter, Connection, OptionalExtension, Row, TransactionBehavior};
use uuid::Uuid;

use crate::codec::{
    enum_name, from_json, id_text, micros, parse_opt_time, parse_tenant, parse_time, time_text,
    to_json, to_u32, uuid_text,
};
use crate::error::store_error;
use crate::pool::{begin_error, SqliteStore};

/// The deadline sort key in SQL: the resolution deadline, none last.
pub(crate) const DUE_KEY: &str = "COALESCE(resolution_due, 9223372036854775807)";

fn not_found(what: &str) -> StoreError {
    StoreError::NotFound {
        what: what.to_owned(),
    }
}

pub(crate) fn immediate(conn: &mut Connection) -> Result<rusqlite::Transaction<'_>, StoreError> {
    conn.transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(begin_error)
}

// ---------------------------------------------------------------------------------------
// Documents

fn read_document(r: &Row<'_>) -> Result<Document, StoreError> {
    let tenant: String = r.get(0).map_err(store_error)?;
    let kind: String = r.get(1).map_err(store_error)?;
    let version: i64 = r.get(2).map_err(store_error)?;
    let updated_at: String = r.get(4).map_err(store_error)?;
    Ok(Document {
        tenant: parse_tenant(&tenant)?,
        kind: DocumentKind::from_name(&kind)
            .ok_or_else(|| StoreError::corrupt(format!("unknown document kind {kind:?}")))?,
        version: to_u32("document version", version)?,
        body: r.get(3).map_err(store_error)?,
        updated_at: parse_time(&updated_at)?,
        updated_by: r.get(5).map_err(store_error)?,
    })
}

fn current_doc_version(conn: &Connection, tenant: &str, kind: &str) -> Result<u32, StoreError> {
    let v: Option<i64> = conn
        .query_row(
            "SELECT MAX(version) FROM documents WHERE tenant = ?1 AND kind = ?2",
            params![tenant, kind],
            |r| r.get(0),
        )
        .map_err(store_error)?;
    to_u32("document version", v.unwrap_or(0))
}

#[async_trait::async_trait]
impl ConfigStore for SqliteStore {
    async fn put_document(&self, doc: &Document) -> Result<(), StoreError> {
        let doc = doc.clone();
        let updated_at = time_text(doc.updated_at)?;
        self.write(move |conn| {
            let tx = immediate(conn)?;
            let tenant = doc.tenant.as_str();
            let kind = doc.kind.as_str();
            let current = current_doc_version(&tx, tenant, kind)?;
            if doc.version != current + 1 {
                return Err(StoreError::Conflict {
                    expected: doc.version.saturating_sub(1),
                    actual: current,
                });
            }
            tx.execute(
                "INSERT INTO documents (tenant, kind, version, body, updated_at, updated_by) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![
                    tenant,
                    kind,
                    doc.version,
                    doc.body,
                    updated_at,
                    doc.updated_by
                ],
            )
            .map_err(store_error)?;
            tx.commit().map_err(store_error)
        })
        .await
    }

    async fn document(
        &self,
        tenant: &TenantId,
        kind: DocumentKind,
    ) -> Result<Option<Document>, StoreError> {
        let tenant = tenant.as_str().to_owned();
        self.read(move |conn| {
            let mut st = conn
                .prepare_cached(
                    "SELECT tenant, kind, version, body, updated_at, updated_by FROM documents \
                     WHERE tenant = ?1 AND kind = ?2 ORDER BY version DESC LIMIT 1",
                )
                .map_err(store_error)?;
            let mut rows = st
                .query(params![tenant, kind.as_str()])
                .map_err(store_error)?;
            match rows.next().map_err(store_error)? {
                Some(r) => read_document(r).map(Some),
                None => Ok(None),
            }
        })
        .await
    }

    async fn document_version(
        &self,
        tenant: &TenantId,
        kind: DocumentKind,
    ) -> Result<u32, StoreError> {
        let tenant = tenant.as_str().to_owned();
        self.read(move |conn| current_doc_version(conn, &tenant, kind.as_str()))
            .await
    }

    async fn document_versions(&self, tenant: &TenantId) -> Result<DocumentVersions, StoreError> {
        let tenant = tenant.as_str().to_owned();
        self.read(move |conn| {
            let mut st = conn
                .prepare_cached(
                    "SELECT kind, MAX(version) FROM documents WHERE tenant = ?1 GROUP BY kind",
                )
                .map_err(store_error)?;
            let rows = st
                .query_map([&tenant], |r| {
                    Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?))
                })
                .map_err(store_error)?;
            let mut out = Vec::new();
            for row in rows {
                let (kind, v) = row.map_err(store_error)?;
                out.push((kind, to_u32("document version", v)?));
            }
            Ok(DocumentVersions::from_rows(out))
        })
        .await
    }

    async fn tenants(&self) -> Result<Vec<TenantId>, StoreError> {
        self.read(|conn| {
            let mut st = conn
                .prepare_cached(
                    "SELECT DISTINCT tenant FROM documents WHERE kind = ?1 ORDER BY tenant",
                )
                .map_err(store_error)?;
            let names = st
                .query_map([DocumentKind::Organisation.as_str()], |r| {
                    r.get::<_, String>(0)
                })
                .map_err(store_error)?;
            let mut out = Vec::new();
            for n in names {
                out.push(parse_tenant(&n.map_err(store_error)?)?);
            }
            Ok(out)
        })
        .await
    }
}

// ---------------------------------------------------------------------------------------
// Requests

/// The columns of a commit, encoded before any lock is taken.
struct EncodedRequest {
    tenant: String,
    id: String,
    tracking: String,
    version: u32,
    status: &'static str,
    unit: Option<String>,
    muhtarlik: String,
    category: String,
    channel: String,
    received_at: i64,
    resolution_due: Option<i64>,
    first_response_due: Option<i64>,
    state: String,
    deadlines: String,
    kind: String,
    outcome: Option<String>,
    reason: Option<String>,
    concluded_at: Option<i64>,
    answer_days: Option<u32>,
    answer_calendar_days: Option<u32>,
    first_response_at: Option<i64>,
    priority_rank: i16,
    lon: Option<f64>,
    lat: Option<f64>,
}

fn encode_request(rec: &RequestRecord) -> Result<EncodedRequest, StoreError> {
    let s = &rec.state;
    let facts = Facts::of(rec);
    Ok(EncodedRequest {
        kind: facts.kind,
        outcome: facts.outcome.map(|o| serde_name(&o)),
        reason: facts.reason,
        concluded_at: facts.concluded_at.map(micros),
        answer_days: facts.answer_working_days,
        answer_calendar_days: facts.answer_calendar_days,
        first_response_at: facts.first_response_at.map(micros),
        first_response_due: facts.first_response_due.map(micros),
        tenant: s.tenant.as_str().to_owned(),
        id: id_text(s.id),
        tracking: s.tracking.to_string(),
        version: s.version,
        status: s.status.as_str(),
        unit: s.unit.as_ref().map(|u| u.as_str().to_owned()),
        muhtarlik: s.content.muhtarlik.as_str().to_owned(),
        category: s.content.category.clone(),
        channel: enum_name("channel", &s.content.channel)?,
        received_at: micros(s.content.received_at),
        resolution_due: rec.deadlines.resolution_due.map(micros),
        state: to_json("request state", &Stored(&rec.state))?,
        deadlines: to_json("deadlines", &rec.deadlines)?,
        priority_rank: muhtar_core::store::priority_rank(s.content.priority),
        lon: s.content.location.as_ref().map(|l| l.lon),
        lat: s.content.location.as_ref().map(|l| l.lat),
    })
}

struct EncodedEvent {
    version: u32,
    at: String,
    actor: String,
    kind: &'static str,
    payload: String,
}

fn encode_event(e: &Event) -> Result<EncodedEvent, StoreError> {
    Ok(EncodedEvent {
        version: e.version,
        at: time_text(e.at)?,
        actor: to_json("actor", &e.actor)?,
        kind: e.kind.name(),
        payload: to_json("event", &Stored(&e.kind))?,
    })
}

pub(crate) struct EncodedMessage {
    id: String,
    tenant: String,
    request: Option<String>,
    key: String,
    next_attempt_at: String,
    created_at: String,
    message: String,
}

pub(crate) fn encode_message(m: &OutboxMessage) -> Result<EncodedMessage, StoreError> {
    Ok(EncodedMessage {
        id: uuid_text(m.id),
        tenant: m.tenant.as_str().to_owned(),
        request: m.request.map(id_text),
        key: m.idempotency_key.clone(),
        next_attempt_at: time_text(m.not_before)?,
        created_at: time_text(m.created_at)?,
        message: to_json("outbox message", m)?,
    })
}

/// Inserts a message unless its idempotency key is taken; whether it was inserted.
pub(crate) fn insert_message(conn: &Connection, m: &EncodedMessage) -> Result<bool, StoreError> {
    let n = conn
        .prepare_cached(
            "INSERT INTO outbox (id, tenant, request_id, idempotency_key, status, attempts, \
             next_attempt_at, created_at, message) \
             VALUES (?1, ?2, ?3, ?4, 'pending', 0, ?5, ?6, ?7) \
             ON CONFLICT (idempotency_key) DO NOTHING",
        )
        .and_then(|mut st| {
            st.execute(params![
                m.id,
                m.tenant,
                m.request,
                m.key,
                m.next_attempt_at,
                m.created_at,
                m.message
            ])
        })
        .map_err(|e| match store_error(e) {
            StoreError::Duplicate { .. } => StoreError::Duplicate {
                what: format!("outbox message id {}", m.id),
            },
            other => other,
        })?;
    Ok(n > 0)
}

fn read_record(state: &str, deadlines: &str) -> Result<RequestRecord, StoreError> {
    Ok(RequestRecord {
        state: from_json::<Stored<RequestState>>("request state", state)?.0,
        deadlines: from_json("deadlines", deadlines)?,
    })
}

fn commit_in(conn: &mut Connection, c: &Commit) -> Result<(), StoreError> {
    let req = encode_request(&c.record)?;
    let events = c
        .events
        .iter()
        .map(encode_event)
        .collect::<Result<Vec<_>, _>>()?;
    let messages = c
        .outbox
        .iter()
        .map(encode_message)
        .collect::<Result<Vec<_>, _>>()?;
    let tx = immediate(conn)?;
    let actual: Option<i64> = tx
        .query_row(
            "SELECT version FROM requests WHERE tenant = ?1 AND id = ?2",
            params![req.tenant, req.id],
            |r| r.get(0),
        )
        .optional()
        .map_err(store_error)?;
    let actual = to_u32("request version", actual.unwrap_or(0))?;
    if actual != c.expected_version {
        return Err(StoreError::Conflict {
            expected: c.expected_version,
            actual,
        });
    }
    c.check_shape()?;
    if c.expected_version == 0 {
        let other: Option<String> = tx
            .query_row(
                "SELECT id FROM requests WHERE tenant = ?1 AND tracking = ?2",
                params![req.tenant, req.tracking],
                |r| r.get(0),
            )
            .optional()
            .map_err(store_error)?;
        if other.is_some_and(|o| o != req.id) {
            return Err(StoreError::Duplicate {
                what: format!("tracking number {}", req.tracking),
            });
        }
    }
    // Checked and written first: a taken number rolls back before anything else is done.
    crate::documents::write_documents(&tx, c)?;
    tx.prepare_cached(
        "INSERT INTO requests (tenant, id, tracking, version, status, unit, muhtarlik, \
         category, channel, received_at, resolution_due, first_response_due, state, deadlines, \
         kind, outcome, reason, concluded_at, answer_days, answer_calendar_days, priority_rank, \
         first_response_at, lon, lat, place) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, \
         ?23, ?24, CASE WHEN ?23 IS NOT NULL AND ?24 IS NOT NULL \
         THEN (SELECT COALESCE(MAX(place), 0) + 1 FROM requests WHERE place IS NOT NULL) END) \
         ON CONFLICT (tenant, id) DO UPDATE SET \
         tracking = excluded.tracking, version = excluded.version, status = excluded.status, \
         unit = excluded.unit, muhtarlik = excluded.muhtarlik, category = excluded.category, \
         channel = excluded.channel, received_at = excluded.received_at, \
         resolution_due = excluded.resolution_due, \
         first_response_due = excluded.first_response_due, \
         state = excluded.state, deadlines = excluded.deadlines, kind = excluded.kind, \
         outcome = excluded.outcome, reason = excluded.reason, \
         concluded_at = excluded.concluded_at, answer_days = excluded.answer_days, \
         answer_calendar_days = excluded.answer_calendar_days, \
         priority_rank = excluded.priority_rank, first_response_at = excluded.first_response_at, \
         lon = excluded.lon, lat = excluded.lat, place = COALESCE(requests.place, excluded.place)",
    )
    .and_then(|mut st| {
        st.execute(params![
            req.tenant,
            req.id,
            req.tracking,
            req.version,
            req.status,
            req.unit,
            req.muhtarlik,
            req.category,
            req.channel,
            req.received_at,
            req.resolution_due,
            req.first_response_due,
            req.state,
            req.deadlines,
            req.kind,
            req.outcome,
            req.reason,
            req.concluded_at,
            req.answer_days,
            req.answer_calendar_days,
            req.priority_rank,
            req.first_response_at,
            req.lon,
            req.lat
        ])
    })
    .map_err(|e| match store_error(e) {
        StoreError::Duplicate { .. } => StoreError::Duplicate {
            what: format!("tracking number {}", req.tracking),
        },
        other => other,
    })?;
    crate::decisions::write_decision(&tx, c)?;
    {
        let mut st = tx
            .prepare_cached(
                "INSERT INTO events (tenant, request_id, version, at, actor, type, payload) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )
            .map_err(store_error)?;
        for e in &events {
            st.execute(params![
                req.tenant, req.id, e.version, e.at, e.actor, e.kind, e.payload
            ])
            .map_err(|err| match store_error(err) {
                // The version check above makes this unreachable unless the events
                // table was changed behind the store's back.
                StoreError::Duplicate { .. } => StoreError::Conflict {
                    expected: c.expected_version,
                    actual: e.version,
                },
                other => other,
            })?;
        }
    }
    if c.erases_contact() {
        tx.execute(
            "UPDATE events SET payload = json_remove(payload, '$.content.citizen') \
             WHERE tenant = ?1 AND request_id = ?2 AND type = 'received'",
            params![req.tenant, req.id],
        )
        .map_err(store_error)?;
    }
    if c.erases_contact() {
        // The citizen's notices hold the contact (recipient, key): they go with it.
        let kinds = citizen_kinds();
        tx.execute(
            "DELETE FROM outbox WHERE tenant = ?1 AND request_id = ?2 \
             AND json_extract(message, '$.kind') IN (SELECT value FROM json_each(?3))",
            params![req.tenant, req.id, kinds],
        )
        .map_err(store_error)?;
    }
    if let Some(m) = c.report_correction() {
        tx.execute(
            "INSERT INTO report_corrections (tenant, request_id, quarter, at, body) \
             VALUES (?1, ?2, ?3, ?4, ?5)",
            params![
                req.tenant,
                req.id,
                m.quarter.to_string(),
                time_text(m.at)?,
                to_json("report correction", &m)?
            ],
        )
        .map_err(store_error)?;
    }
    for m in &messages {
        insert_message(&tx, m)?;
    }
    tx.commit().map_err(store_error)
}

/// The stable names of the notice kinds addressed to the citizen, as a JSON array.
fn citizen_kinds() -> String {
    let kinds: Vec<&str> = muhtar_core::outbox::NoticeKind::CITIZEN
        .iter()
        .map(|k| k.as_str())
        .collect();
    serde_json::to_string(&kinds).unwrap_or_else(|_| "[]".into())
}

fn read_events(conn: &Connection, tenant: &str, id: &str) -> Result<Vec<Event>, StoreError> {
    let mut st = conn
        .prepare_cached(
            "SELECT version, at, actor, type, payload FROM events \
             WHERE tenant = ?1 AND request_id = ?2 ORDER BY version",
        )
        .map_err(store_error)?;
    let mut rows = st.query(params![tenant, id]).map_err(store_error)?;
    let mut out = Vec::new();
    while let Some(r) = rows.next().map_err(store_error)? {
        let version: i64 = r.get(0).map_err(store_error)?;
        let at: String = r.get(1).map_err(store_error)?;
        let actor: String = r.get(2).map_err(store_error)?;
        let kind_name: String = r.get(3).map_err(store_error)?;
        let payload: String = r.get(4).map_err(store_error)?;
        let kind = from_json::<Stored<EventKind>>("event", &payload)?.0;
        if kind.name() != kind_name {
            return Err(StoreError::corrupt(format!(
                "event {version} has type {kind_name:?} but its payload is {:?}",
                kind.name()
            )));
        }
        out.push(Event {
            version: to_u32("event version", version)?,
            at: parse_time(&at)?,
            actor: from_json("actor", &actor)?,
            kind,
        });
    }
    Ok(out)
}

/// The SQL filters of a query (the cursor apart). Instants that are not whole
/// microseconds are compared conservatively; the exact check is [`RequestQuery::matches`]
/// on each row read.
pub(crate) fn push_filters(
    q: &RequestQuery,
    sql: &mut String,
    args: &mut Vec<Value>,
) -> Result<(), StoreError> {
    fn in_list(col: &str, vals: Vec<String>, sql: &mut String, args: &mut Vec<Value>) {
        if vals.is_empty() {
            sql.push_str(" AND 0");
            return;
        }
        sql.push_str(&format!(" AND {col} IN ("));
        for (i, v) in vals.into_iter().enumerate() {
            sql.push_str(if i == 0 { "?" } else { ", ?" });
            args.push(Value::Text(v));
        }
        sql.push(')');
    }
    /// `col < t` in microseconds: exact for whole microseconds, one microsecond wide
    /// otherwise.
    fn before(col: &str, t: DateTime<Utc>, sql: &mut String, args: &mut Vec<Value>) {
        let op = if t.timestamp_subsec_nanos().is_multiple_of(1000) {
            "<"
        } else {
            "<="
        };
        sql.push_str(&format!(" AND {col} {op} ?"));
        args.push(Value::Integer(micros(t)));
    }
    if let Some(us) = &q.units {
        in_list(
            "unit",
            us.iter().map(|u| u.as_str().to_owned()).collect(),
            sql,
            args,
        );
    }
    if let Some(m) = &q.muhtarlik {
        sql.push_str(" AND muhtarlik = ?");
        args.push(Value::Text(m.as_str().to_owned()));
    }
    if let Some(st) = &q.statuses {
        // Literals, not parameters: SQLite uses a partial index (such as one on open
        // requests) only when the query states its condition in the same words.
        sql.push_str(" AND ");
        sql.push_str(&muhtar_core::store::status_condition(st));
    }
    if let Some(c) = &q.category {
        sql.push_str(" AND category = ?");
        args.push(Value::Text(c.clone()));
    }
    if let Some(c) = &q.channel {
        sql.push_str(" AND channel = ?");
        args.push(Value::Text(enum_name("channel", c)?));
    }
    if let Some(f) = q.received_from {
        // received_at >= f implies micros(received_at) >= micros(f) (micros floors).
        sql.push_str(" AND received_at >= ?");
        args.push(Value::Integer(micros(f)));
    }
    if let Some(u) = q.received_until {
        before("received_at", u, sql, args);
    }
    if let Some(d) = q.due_before {
        sql.push_str(" AND resolution_due IS NOT NULL");
        before("resolution_due", d, sql, args);
    }
    if let Some(b) = &q.bbox {
        crate::map::push_bbox(b, sql, args);
    }
    Ok(())
}

/// The last priority rank (normal requests).
const LAST_RANK: i16 = 1;

fn query_in(
    conn: &Connection,
    tenant: &str,
    q: &RequestQuery,
) -> Result<Page<RequestRecord>, StoreError> {
    // Where the next row starts: a priority rank (urgent first) and, within it, the
    // position after the last row read. SQLite seeks an index by a bound on the key
    // only within one rank, so a page that runs past the end of a rank continues from
    // the start of the next one in another round.
    let mut position: Option<(i16, Option<(i64, RequestId)>)> = q
        .after
        .as_ref()
        .map(Cursor::decode)
        .transpose()?
        .map(|p| (p.rank, Some((p.key, p.id))));
    let n = q.page_size() as usize;
    // Newest first sorts by `-priority_rank DESC` so that every column of the order
    // runs the same way (the index `requests_rank_newest` holds that expression).
    let (rank, key, order) = match q.order {
        Order::Deadline => ("priority_rank", DUE_KEY, "ASC"),
        Order::Newest => ("-priority_rank", "received_at", "DESC"),
    };
    let sign: i64 = match q.order {
        Order::Deadline => 1,
        Order::Newest => -1,
    };
    let mut out: Vec<RequestRecord> = Vec::with_capacity(n + 1);
    // Usually one round: the SQL filters are exact unless an instant in the query has
    // sub-microsecond digits, and then the few extra rows are dropped and refilled.
    loop {
        let mut sql = format!(
            "SELECT state, deadlines, priority_rank, {key}, id FROM {} WHERE tenant = ?",
            crate::map::source(q)
        );
        let mut args = vec![Value::Text(tenant.to_owned())];
        push_filters(q, &mut sql, &mut args)?;
        // A round bounded to one rank (after a row of it) may end before the page does.
        let bounded_rank = match position {
            Some((r, Some(_))) => Some(r),
            _ => None,
        };
        match &position {
            None => {}
            Some((r, None)) => {
                let cmp = if sign > 0 { ">=" } else { "<=" };
                sql.push_str(&format!(" AND {rank} {cmp} ?"));
                args.push(Value::Integer(sign * i64::from(*r)));
            }
            Some((r, Some((k, id)))) => {
                let (cmp, bound) = match q.order {
                    Order::Deadline => (">", ">="),
                    Order::Newest => ("<", "<="),
                };
                // The redundant bound on the key alone lets SQLite seek the index.
                sql.push_str(&format!(
                    " AND {rank} = ? AND {key} {bound} ? AND ({key}, id) {cmp} (?, ?)"
                ));
                args.push(Value::Integer(sign * i64::from(*r)));
                args.push(Value::Integer(*k));
                args.push(Value::Integer(*k));
                args.push(Value::Text(id_text(*id)));
            }
        }
        let need = n + 1 - out.len();
        if bounded_rank.is_some() {
            // One rank: ordering by it too would make SQLite sort (newest first).
            sql.push_str(&format!(" ORDER BY {key} {order}, id {order} LIMIT ?"));
        } else {
            sql.push_str(&format!(
                " ORDER BY {rank} {order}, {key} {order}, id {order} LIMIT ?"
            ));
        }
        args.push(Value::Integer(need as i64));
        let mut st = conn.prepare_cached(&sql).map_err(store_error)?;
        let mut rows = st.query(params_from_iter(args)).map_err(store_error)?;
        let mut fetched = 0;
        while let Some(r) = rows.next().map_err(store_error)? {
            fetched += 1;
            let state: String = r.get(0).map_err(store_error)?;
            let deadlines: String = r.get(1).map_err(store_error)?;
            let rank: i16 = r.get(2).map_err(store_error)?;
            let k: i64 = r.get(3).map_err(store_error)?;
            let id: String = r.get(4).map_err(store_error)?;
            let id: RequestId = id
                .parse()
                .map_err(|e| StoreError::corrupt_because(format!("request id {id:?}"), e))?;
            position = Some((rank, Some((k, id))));
            let rec = read_record(&state, &deadlines)?;
            if q.matches(&rec) && q.after_cursor(&rec)? {
                out.push(rec);
            }
        }
        if out.len() > n {
            break;
        }
        if fetched < need {
            // This rank is exhausted: go on with the next, if any.
            match bounded_rank {
                Some(r) if r < LAST_RANK => position = Some((r + 1, None)),
                _ => break,
            }
        }
    }
    let next = if out.len() > n {
        out.truncate(n);
        out.last().map(|r| Cursor::after(r, q.order))
    } else {
        None
    };
    Ok(Page { items: out, next })
}

#[async_trait::async_trait]
impl RequestStore for SqliteStore {
    async fn commit(&self, commit: &Commit) -> Result<(), StoreError> {
        let c = commit.clone();
        self.write(move |conn| {
            commit_in(conn, &c)?;
            if c.erases_contact() {
                // The erased contact is zeroed in the pages (`secure_delete`), but the
                // write-ahead log still holds the earlier page images: copy it into the
                // database and empty it. A reader in the middle of a transaction can
                // keep it from finishing; the erasure is committed either way.
                let _ = conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()));
            }
            Ok(())
        })
        .await
    }

    async fn load(&self, tenant: &TenantId, id: RequestId) -> Result<RequestRecord, StoreError> {
        let (tenant, id) = (tenant.as_str().to_owned(), id_text(id));
        self.read(move |conn| {
            let row: Option<(String, String)> = conn
                .prepare_cached(
                    "SELECT state, deadlines FROM requests WHERE tenant = ?1 AND id = ?2",
                )
                .and_then(|mut st| {
                    st.query_row(params![tenant, id], |r| Ok((r.get(0)?, r.get(1)?)))
                        .optional()
                })
                .map_err(store_error)?;
            let (s, d) = row.ok_or_else(|| not_found("request"))?;
            read_record(&s, &d)
        })
        .await
    }

    async fn load_by_tracking(
        &self,
        tenant: &TenantId,
        tracking: &TrackingNumber,
    ) -> Result<RequestRecord, StoreError> {
        let (tenant, tracking) = (tenant.as_str().to_owned(), tracking.to_string());
        self.read(move |conn| {
            let row: Option<(String, String)> = conn
                .prepare_cached(
                    "SELECT state, deadlines FROM requests WHERE tenant = ?1 AND tracking = ?2",
                )
                .and_then(|mut st| {
                    st.query_row(params![tenant, tracking], |r| Ok((r.get(0)?, r.get(1)?)))
                        .optional()
                })
                .map_err(store_error)?;
            let (s, d) = row.ok_or_else(|| not_found("request"))?;
            read_record(&s, &d)
        })
        .await
    }

    async fn events(&self, tenant: &TenantId, id: RequestId) -> Result<Vec<Event>, StoreError> {
        let (tenant, id) = (tenant.as_str().to_owned(), id_text(id));
        self.read(move |conn| {
            let events = read_events(conn, &tenant, &id)?;
            if events.is_empty() {
                let exists: Option<i64> = conn
                    .query_row(
                        "SELECT 1 FROM requests WHERE tenant = ?1 AND id = ?2",
                        params![tenant, id],
                        |r| r.get(0),
                    )
                    .optional()
                    .map_err(store_error)?;
                if exists.is_none() {
                    return Err(not_found("request"));
                }
            }
            Ok(events)
        })
        .await
    }

    async fn query(
        &self,
        tenant: &TenantId,
        query: &RequestQuery,
    ) -> Result<Page<RequestRecord>, StoreError> {
        let (tenant, q) = (tenant.as_str().to_owned(), query.clone());
        self.read(move |conn| query_in(conn, &tenant, &q)).await
    }

    async fn map_points(
        &self,
        tenant: &TenantId,
        query: &RequestQuery,
        limit: u32,
    ) -> Result<Vec<muhtar_core::map::MapPoint>, StoreError> {
        let (tenant, q) = (tenant.as_str().to_owned(), query.clone());
        self.read(move |conn| crate::map::map_points_in(conn, &tenant, &q, limit))
            .await
    }

    async fn update_deadlines(
        &self,
        tenant: &TenantId,
        id: RequestId,
        version: u32,
        deadlines: &Deadlines,
    ) -> Result<(), StoreError> {
        let (tenant, id) = (tenant.as_str().to_owned(), id_text(id));
        let json = to_json("deadlines", deadlines)?;
        let due = deadlines.resolution_due.map(micros);
        let first = deadlines.first_response_due.map(micros);
        let days = deadlines.answer_working_days;
        self.write(move |conn| {
            let tx = immediate(conn)?;
            let actual: Option<i64> = tx
                .query_row(
                    "SELECT version FROM requests WHERE tenant = ?1 AND id = ?2",
                    params![tenant, id],
                    |r| r.get(0),
                )
                .optional()
                .map_err(store_error)?;
            let actual = to_u32(
                "request version",
                actual.ok_or_else(|| not_found("request"))?,
            )?;
            if actual != version {
                return Err(StoreError::Conflict {
                    expected: version,
                    actual,
                });
            }
            tx.execute(
                "UPDATE requests SET deadlines = ?3, resolution_due = ?4, first_response_due = ?5, \
                 answer_days = CASE WHEN concluded_at IS NOT NULL \
                 AND json_extract(state, '$.answered_at') IS NOT NULL THEN ?6 END \
                 WHERE tenant = ?1 AND id = ?2",
                params![tenant, id, json, due, first, days],
            )
            .map_err(store_error)?;
            tx.commit().map_err(store_error)
        })
        .await
    }
}

// ---------------------------------------------------------------------------------------
// Outbox

const ENTRY_COLUMNS: &str =
    "message, status, attempts, last_error, next_attempt_at, claimed_until, sent_at, failures";

fn parse_status(s: &str) -> Result<OutboxStatus, StoreError> {
    OutboxStatus::from_name(s)
        .ok_or_else(|| StoreError::corrupt(format!("unknown outbox status {s:?}")))
}

fn read_entry(r: &Row<'_>) -> Result<OutboxEntry, StoreError> {
    let message: String = r.get(0).map_err(store_error)?;
    let status: String = r.get(1).map_err(store_error)?;
    let attempts: i64 = r.get(2).map_err(store_error)?;
    let next: String = r.get(4).map_err(store_error)?;
    Ok(OutboxEntry {
        message: from_json("outbox message", &message)?,
        status: parse_status(&status)?,
        attempts: to_u32("attempts", attempts)?,
        failures: to_u32("failures", r.get(7).map_err(store_error)?)?,
        last_error: r.get(3).map_err(store_error)?,
        next_attempt_at: parse_time(&next)?,
        claimed_until: parse_opt_time(r.get(5).map_err(store_error)?)?,
        sent_at: parse_opt_time(r.get(6).map_err(store_error)?)?,
    })
}

fn outbox_status(conn: &Connection, id: &str) -> Result<OutboxStatus, StoreError> {
    let s: Option<String> = conn
        .query_row("SELECT status FROM outbox WHERE id = ?1", [id], |r| {
            r.get(0)
        })
        .optional()
        .map_err(store_error)?;
    parse_status(&s.ok_or_else(|| not_found("outbox message"))?)
}

impl SqliteStore {
    /// Puts a pending message back until `at` with `error`, adding `failed` failures
    /// ([`OutboxStore::mark_retry`], [`OutboxStore::defer`]).
    async fn put_back(
        &self,
        id: Uuid,
        at: DateTime<Utc>,
        error: &str,
        failed: u32,
    ) -> Result<(), StoreError> {
        let (uid, next, error) = (id, time_text(at)?, error.to_owned());
        let id = uuid_text(id);
        self.write(move |conn| {
            let tx = immediate(conn)?;
            let status = outbox_status(&tx, &id)?;
            if status != OutboxStatus::Pending {
                return Err(StoreError::invalid(format!(
                    "message {uid} is {}",
                    status.as_str()
                )));
            }
            tx.execute(
                "UPDATE outbox SET next_attempt_at = ?2, last_error = ?3, claimed_until = NULL, \
                 failures = failures + ?4 WHERE id = ?1",
                params![id, next, error, failed],
            )
            .map_err(store_error)?;
            tx.commit().map_err(store_error)
        })
        .await
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
            .ok_or_else(|| StoreError::invalid(format!("lease {lease} from {now} overflows")))?;
        let (now, until) = (time_text(now)?, time_text(until)?);
        let tenant = tenant.map(|t| t.as_str().to_owned());
        self.write(move |conn| {
            let tx = immediate(conn)?;
            let ids: Vec<String> = {
                let mut st = tx
                    .prepare_cached(
                        "SELECT id FROM outbox WHERE status = 'pending' AND next_attempt_at <= ?1 \
                         AND (claimed_until IS NULL OR claimed_until <= ?1) \
                         AND (?3 IS NULL OR tenant = ?3) \
                         ORDER BY next_attempt_at, id LIMIT ?2",
                    )
                    .map_err(store_error)?;
                let rows = st
                    .query_map(params![now, i64::from(limit), tenant], |r| r.get(0))
                    .map_err(store_error)?;
                rows.collect::<Result<_, _>>().map_err(store_error)?
            };
            let mut out = Vec::with_capacity(ids.len());
            {
                let mut upd = tx
                    .prepare_cached(
                        "UPDATE outbox SET claimed_until = ?2, attempts = attempts + 1 WHERE id = ?1",
                    )
                    .map_err(store_error)?;
                let mut get = tx
                    .prepare_cached(&format!("SELECT {ENTRY_COLUMNS} FROM outbox WHERE id = ?1"))
                    .map_err(store_error)?;
                for id in &ids {
                    upd.execute(params![id, until]).map_err(store_error)?;
                    let mut rows = get.query([id]).map_err(store_error)?;
                    let r = rows
                        .next()
                        .map_err(store_error)?
                        .ok_or_else(|| not_found("outbox message"))?;
                    out.push(read_entry(r)?);
                }
            }
            tx.commit().map_err(store_error)?;
            Ok(out)
        })
        .await
    }
}

#[async_trait::async_trait]
impl OutboxStore for SqliteStore {
    async fn enqueue(&self, messages: &[OutboxMessage]) -> Result<usize, StoreError> {
        let messages = messages
            .iter()
            .map(encode_message)
            .collect::<Result<Vec<_>, _>>()?;
        self.write(move |conn| {
            let tx = immediate(conn)?;
            let mut n = 0;
            for m in &messages {
                if insert_message(&tx, m)? {
                    n += 1;
                }
            }
            tx.commit().map_err(store_error)?;
            Ok(n)
        })
        .await
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
        let (id, at) = (uuid_text(id), time_text(at)?);
        self.write(move |conn| {
            let n = conn
                .execute(
                    "UPDATE outbox SET status = 'sent', sent_at = ?2, claimed_until = NULL \
                     WHERE id = ?1",
                    params![id, at],
                )
                .map_err(store_error)?;
            if n == 0 {
                return Err(not_found("outbox message"));
            }
            Ok(())
        })
        .await
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
        _at: DateTime<Utc>,
        error: &str,
    ) -> Result<(), StoreError> {
        let (id, error) = (uuid_text(id), error.to_owned());
        self.write(move |conn| {
            let n = conn
                .execute(
                    "UPDATE outbox SET status = 'failed', last_error = ?2, claimed_until = NULL, \
                     failures = failures + 1 WHERE id = ?1",
                    params![id, error],
                )
                .map_err(store_error)?;
            if n == 0 {
                return Err(not_found("outbox message"));
            }
            Ok(())
        })
        .await
    }
    async fn outbox(
        &self,
        tenant: &TenantId,
        request: Option<RequestId>,
    ) -> Result<Vec<OutboxEntry>, StoreError> {
        let tenant = tenant.as_str().to_owned();
        let request = request.map(id_text);
        self.read(move |conn| {
            let sql = match request {
                Some(_) => format!(
                    "SELECT {ENTRY_COLUMNS} FROM outbox WHERE tenant = ?1 AND request_id = ?2 \
                     ORDER BY created_at, id"
                ),
                None => format!(
                    "SELECT {ENTRY_COLUMNS} FROM outbox WHERE tenant = ?1 ORDER BY created_at, id"
                ),
            };
            let mut st = conn.prepare_cached(&sql).map_err(store_error)?;
            let mut rows = match &request {
                Some(r) => st.query(params![tenant, r]),
                None => st.query(params![tenant]),
            }
            .map_err(store_error)?;
            let mut out = Vec::new();
            while let Some(r) = rows.next().map_err(store_error)? {
                out.push(read_entry(r)?);
            }
            Ok(out)
        })
        .await
    }
}

// ---------------------------------------------------------------------------------------
// Reports

/// The key column of each report dimension.
const DIMENSIONS: [(Dimension, &str); 5] = [
    (Dimension::Unit, "COALESCE(unit, '')"),
    (Dimension::Category, "category"),
    (Dimension::Channel, "channel"),
    (Dimension::Muhtarlik, "muhtarlik"),
    (Dimension::Kind, "kind"),
];

/// The report cube with one `GROUP BY` per dimension over the requests that matter to
/// the window (received in it, or received before and not concluded by its start). The
/// class columns mirror `muhtar_core::report::Class::of`.
fn cube_in(conn: &Connection, tenant: &str, q: &CubeQuery) -> Result<Cube, StoreError> {
    let mut cube = Cube::default();
    let mut args: Vec<Value> = vec![
        Value::Text(tenant.to_owned()),
        Value::Integer(micros(q.window.start)),
        Value::Integer(micros(q.window.end)),
    ];
    let mut filter = String::new();
    if let Some(units) = &q.units {
        if units.is_empty() {
            return Ok(cube);
        }
        filter.push_str(" AND unit IN (");
        for (i, u) in units.iter().enumerate() {
            if i > 0 {
                filter.push_str(", ");
            }
            // Numbered: the filter stands in both halves of the query.
            filter.push_str(&format!("?{}", 4 + i));
            args.push(Value::Text(u.as_str().to_owned()));
        }
        filter.push(')');
    }
    for (dim, col) in DIMENSIONS {
        let sql = format!(
            "SELECT {col}, received_at >= ?2, \
             CASE WHEN received_at >= ?2 AND concluded_at < ?3 THEN outcome END, \
             CASE WHEN received_at >= ?2 AND concluded_at < ?3 AND outcome = 'negative' \
                  THEN COALESCE(reason, '') END, \
             CASE WHEN received_at < ?2 THEN 0 \
                  WHEN concluded_at < ?3 THEN resolution_due IS NOT NULL AND concluded_at > resolution_due \
                  ELSE resolution_due IS NOT NULL AND resolution_due < ?3 END, \
             CASE WHEN received_at >= ?2 AND concluded_at < ?3 THEN answer_days END, \
             CASE WHEN received_at >= ?2 AND concluded_at < ?3 THEN answer_calendar_days END, \
             CASE WHEN received_at >= ?2 AND first_response_at < ?3 \
                  THEN first_response_due IS NOT NULL AND first_response_at > first_response_due END, \
             COUNT(*) \
             FROM (SELECT * FROM requests \
                   WHERE tenant = ?1 AND received_at >= ?2 AND received_at < ?3{filter} \
                   UNION ALL \
                   SELECT * FROM requests \
                   WHERE tenant = ?1 AND received_at < ?2 \
                     AND (concluded_at IS NULL OR concluded_at >= ?2){filter}) \
             GROUP BY 1, 2, 3, 4, 5, 6, 7, 8"
        );
        let mut st = conn.prepare_cached(&sql).map_err(store_error)?;
        let mut rows = st
            .query(rusqlite::params_from_iter(args.iter()))
            .map_err(store_error)?;
        while let Some(r) = rows.next().map_err(store_error)? {
            let key: String = r.get(0).map_err(store_error)?;
            let cohort: bool = r.get(1).map_err(store_error)?;
            let done: Option<String> = r.get(2).map_err(store_error)?;
            let why: Option<String> = r.get(3).map_err(store_error)?;
            let late: bool = r.get(4).map_err(store_error)?;
            let days: Option<i64> = r.get(5).map_err(store_error)?;
            let cdays: Option<i64> = r.get(6).map_err(store_error)?;
            let fr: Option<bool> = r.get(7).map_err(store_error)?;
            let n: i64 = r.get(8).map_err(store_error)?;
            let class = Class::from_group(cohort, done.as_deref(), why, late, days, cdays, fr)
                .map_err(|e| StoreError::corrupt(format!("report row: {e}")))?;
            cube.add_group(dim, key, &class, u64::try_from(n).unwrap_or(0));
        }
    }
    cube.total_from(Dimension::Kind);
    Ok(cube)
}

#[async_trait::async_trait]
impl ReportStore for SqliteStore {
    async fn report_corrections(
        &self,
        tenant: &TenantId,
    ) -> Result<Vec<ReportCorrection>, StoreError> {
        let tenant = tenant.as_str().to_owned();
        self.read(move |conn| {
            let mut st = conn
                .prepare_cached(
                    "SELECT body FROM report_corrections WHERE tenant = ?1 \
                     ORDER BY at, request_id",
                )
                .map_err(store_error)?;
            let bodies: Vec<String> = st
                .query_map(params![tenant], |r| r.get(0))
                .and_then(|rows| rows.collect())
                .map_err(store_error)?;
            bodies
                .iter()
                .map(|b| {
                    serde_json::from_str(b)
                        .map_err(|e| StoreError::corrupt_because("report correction", e))
                })
                .collect()
        })
        .await
    }

    async fn report_cube(&self, tenant: &TenantId, query: &CubeQuery) -> Result<Cube, StoreError> {
        let (tenant, q) = (tenant.as_str().to_owned(), query.clone());
        self.read(move |conn| cube_in(conn, &tenant, &q)).await
    }

    async fn put_signed_report(&self, report: &SignedReport) -> Result<(), StoreError> {
        let body = to_json("signed report", report)?;
        let signed_at = time_text(report.signed_at)?;
        let r = report.clone();
        self.write(move |conn| {
            let tx = immediate(conn)?;
            let latest: i64 = tx
                .query_row(
                    "SELECT COALESCE(MAX(version), 0) FROM signed_reports \
                     WHERE tenant = ?1 AND quarter = ?2 AND scope = ?3",
                    params![r.tenant.as_str(), r.quarter.to_string(), r.scope_key()],
                    |row| row.get(0),
                )
                .map_err(store_error)?;
            let inserted = tx.execute(
                "INSERT INTO signed_reports (tenant, id, quarter, scope, version, supersedes, \
                 signed_by, signed_at, content_hash, body) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
                params![
                    r.tenant.as_str(),
                    r.id.to_string(),
                    r.quarter.to_string(),
                    r.scope_key(),
                    r.version,
                    r.supersedes.map(|s| s.to_string()),
                    r.signed_by,
                    signed_at,
                    r.content_hash,
                    body
                ],
            );
            match inserted.map_err(store_error) {
                Ok(_) => tx.commit().map_err(store_error),
                Err(StoreError::Duplicate { .. }) => Err(StoreError::Conflict {
                    expected: r.version.saturating_sub(1),
                    actual: to_u32("report version", latest)?,
                }),
                Err(e) => Err(e),
            }
        })
        .await
    }

    async fn signed_reports(&self, tenant: &TenantId) -> Result<Vec<SignedReport>, StoreError> {
        let tenant = tenant.as_str().to_owned();
        self.read(move |conn| {
            let mut st = conn
                .prepare_cached(
                    "SELECT body FROM signed_reports WHERE tenant = ?1 \
                     ORDER BY quarter, scope, version",
                )
                .map_err(store_error)?;
            let bodies: Vec<String> = st
                .query_map(params![tenant], |r| r.get(0))
                .and_then(|rows| rows.collect())
                .map_err(store_error)?;
            let mut out = Vec::with_capacity(bodies.len());
            for b in bodies {
                out.push(
                    serde_json::from_str::<SignedReport>(&b)
                        .map_err(|e| StoreError::corrupt_because("signed report", e))?,
                );
            }
            out.sort_by(muhtar_core::store::signed_report_order);
            Ok(out)
        })
        .await
    }
}
