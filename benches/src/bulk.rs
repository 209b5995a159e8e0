//! The bulk loader: fills a store's `requests` table with millions of realistic rows
//! directly, not through `Mbs::submit` (a million API calls would take hours).
//!
//! [`Rows`] generates the records: real [`RequestRecord`]s (a folded `received` + `routed`
//! history, then the status, outcome, reason and instants a request of that age has),
//! received evenly over [`BulkSpec::from`]..[`BulkSpec::until`], spread over the active
//! units, muhtarlıklar, categories and channels of the organisation. Old requests are
//! mostly closed (positive or negative with a reason), recent ones mostly open, and a few
//! old ones stay open and overdue. Only the `requests` table is filled (the query table
//! the queue and the quarterly report read); events and outbox rows are not generated.
//!
//! [`load_sqlite`] and [`load_postgres`] write the rows after the store's own migrations
//! have created the schema (into an empty `requests` table: the SQLite loader numbers the
//! located rows' R*Tree keys from 1): they drop the `requests` indexes, insert (prepared inserts in
//! 100,000-row transactions on SQLite, `COPY ... FORMAT csv` on PostgreSQL), recreate the
//! indexes from their stored definitions and `ANALYZE`. The column encodings are the
//! stores' own (ids, instants in microseconds, serde names, the exact JSON records), and
//! the report columns come from `report::Facts::of`, as the stores' commits write them.

use std::time::{Duration as StdDuration, Instant};

use chrono::{DateTime, Duration, Utc};
use muhtar_core::access::Actor;
use muhtar_core::calendar::local_date;
use muhtar_core::ids::{IdGenerator, MuhtarlikCode, SeededRandom, TenantId, UnitCode};
use muhtar_core::org::Organisation;
use muhtar_core::reason::ReasonCode;
use muhtar_core::report::{serde_name as name, Facts};
use muhtar_core::request::{
    Event, EventKind, Outcome, RequestContent, RequestState, Status, Stored,
};
use muhtar_core::store::{Deadlines, RequestRecord};
use muhtar_core::tracking::TrackingNumber;
use sqlx::PgPool;

/// What to generate.
#[derive(Debug, Clone)]
pub struct BulkSpec {
    /// How many requests.
    pub rows: u64,
    /// Seed of the ids and the choices.
    pub seed: u64,
    /// The first receipt instant.
    pub from: DateTime<Utc>,
    /// Receipts end before this instant (the "now" of the data set).
    pub until: DateTime<Utc>,
}

/// Reason codes of negative answers, as docs/domain.md §4 lists them.
const REASONS: &[&str] = &[
    "not-our-authority",
    "no-budget",
    "against-law-or-plan",
    "technically-impossible",
    "planned-later",
];

/// A muhtarlık as the rows need it: code, district, province and centre `(lon, lat)`.
type Place = (MuhtarlikCode, String, String, Option<(f64, f64)>);

/// The generator of bulk rows (an iterator of records).
pub struct Rows {
    spec: BulkSpec,
    template: RequestState,
    units: Vec<UnitCode>,
    /// Each active muhtarlık.
    muhtarliklar: Vec<Place>,
    /// Whether every row gets a location ([`Rows::located`]).
    located: bool,
    categories: Vec<String>,
    ids: IdGenerator,
    next: u64,
    calendar: muhtar_core::calendar::Calendar,
}

impl Rows {
    /// The rows of `spec` for the organisation's tenant; `content` is the template request
    /// (its subject, description and location are kept on every row).
    pub fn new(org: &Organisation, content: RequestContent, spec: BulkSpec) -> Rows {
        let tenant = org.tenant.id.clone();
        let mut ids = IdGenerator::new(SeededRandom::new(spec.seed));
        let id = ids.request_id(spec.from);
        let events = [
            Event {
                version: 1,
                at: spec.from,
                actor: Actor::system(tenant.clone()),
                kind: EventKind::Received {
                    id,
                    tenant: tenant.clone(),
                    tracking: TrackingNumber::from_random(0),
                    content,
                    policy: org.tenant.default_policy.clone(),
                    policy_rule: "default".into(),
                },
            },
            Event {
                version: 2,
                at: spec.from,
                actor: Actor::system(tenant.clone()),
                kind: EventKind::Routed {
                    unit: org.tenant.coordinator_unit.clone(),
                    rule: "bulk".into(),
                    rule_set_version: "bulk".into(),
                },
            },
        ];
        let template = RequestState::fold(&events).expect("a received and routed history");
        Rows {
            units: org
                .units
                .iter()
                .filter(|u| u.active)
                .map(|u| u.code.clone())
                .collect(),
            muhtarliklar: org
                .muhtarliklar
                .iter()
                .filter(|m| m.active)
                .map(|m| {
                    (
                        m.code.clone(),
                        m.district.clone(),
                        m.province.clone(),
                        m.centre.map(|c| (c.lon, c.lat)),
                    )
                })
                .collect(),
            categories: org.categories.iter().map(|c| c.code.clone()).collect(),
            spec,
            template,
            located: false,
            ids,
            next: 0,
            calendar: muhtar_core::calendar::Calendar::new(),
        }
    }

    /// The tenant of the rows.
    pub fn tenant(&self) -> &TenantId {
        &self.template.tenant
    }

    /// How many rows are left.
    pub fn remaining(&self) -> u64 {
        self.spec.rows - self.next
    }

    /// The same rows, each located within about 600 m of its muhtarlık's centre (around
    /// Üsküdar's for a muhtarlık without one), as the map benchmark needs. The other
    /// choices of the rows stay as they are.
    pub fn located(mut self) -> Rows {
        self.located = true;
        self
    }
}

impl Iterator for Rows {
    type Item = RequestRecord;

    fn next(&mut self) -> Option<RequestRecord> {
        if self.next >= self.spec.rows {
            return None;
        }
        let i = self.next;
        self.next += 1;
        let span = (self.spec.until - self.spec.from).num_microseconds()?;
        let received = self.spec.from
            + Duration::microseconds((span as i128 * i as i128 / self.spec.rows as i128) as i64);
        let r = self.ids.next_u64();
        let mut s = self.template.clone();
        s.id = self.ids.request_id(received);
        // Distinct and valid: one value per row, spread over the tracking space.
        s.tracking = TrackingNumber::from_value(i.wrapping_mul(48_271) % 852_891_037_441)
            .expect("a value below 31^8");
        let (m, district, province, centre) =
            &self.muhtarliklar[(r % 4093) as usize % self.muhtarliklar.len()];
        if self.located {
            let (lon, lat) = centre.unwrap_or((29.03, 41.03));
            let at = self.ids.next_u64();
            // ±0.006° (about 500 to 650 m), in steps of a millionth of a degree.
            let off = |bits: u64| (bits % 12_001) as f64 / 1e6 - 0.006;
            s.content.location = Some(muhtar_core::request::Location {
                lon: lon + off(at),
                lat: lat + off(at >> 32),
            });
        }
        s.content.muhtarlik = m.clone();
        s.content.district = district.clone();
        s.content.province = province.clone();
        s.content.category = self.categories[(r >> 12) as usize % self.categories.len()].clone();
        s.content.channel = CHANNELS[(r >> 20) as usize % CHANNELS.len()];
        s.content.received_at = received;
        s.unit = Some(self.units[(r >> 24) as usize % self.units.len()].clone());
        let age = self.spec.until - received;
        let roll = (r >> 32) % 1000;
        let answered = received + Duration::hours(2 + ((r >> 42) % (24 * 25)) as i64);
        let (status, outcome) = if age > Duration::days(45) {
            match roll {
                0..=29 => (Status::InProgress, None),
                30..=49 => (Status::Withdrawn, Some(Outcome::Negative)),
                50..=149 => (Status::Answered, Some(Outcome::Positive)),
                150..=299 => (Status::Closed, Some(Outcome::Negative)),
                _ => (Status::Closed, Some(Outcome::Positive)),
            }
        } else {
            match roll {
                0..=399 => (Status::Routed, None),
                400..=649 => (Status::InProgress, None),
                650..=699 => (Status::Paused, None),
                700..=899 => (Status::Answered, Some(Outcome::Positive)),
                _ => (Status::Answered, Some(Outcome::Negative)),
            }
        };
        s.status = status;
        s.outcome = outcome;
        s.version = 2;
        if status != Status::Routed {
            s.version += 1;
            s.first_response_at = Some(received + Duration::hours(1));
        }
        if outcome.is_some() && answered < self.spec.until {
            s.version += 1;
            s.answered_at = Some(answered);
            s.answer = Some("Gereği yapıldı.".into());
            if outcome == Some(Outcome::Negative) {
                s.reason = Some(ReasonCode(
                    if status == Status::Withdrawn {
                        muhtar_core::reason::WITHDRAWN
                    } else {
                        REASONS[(r >> 52) as usize % REASONS.len()]
                    }
                    .to_owned(),
                ));
            }
            if status == Status::Closed {
                s.version += 1;
                s.closed_at = Some(answered + Duration::days(3));
            }
        } else if outcome.is_some() {
            // Not answered yet at the data set's "now": still in progress.
            s.status = Status::InProgress;
            s.outcome = None;
        }
        s.updated_at = s.closed_at.or(s.answered_at).unwrap_or(received);
        // Working days from receipt to answer, as the façade records them.
        let answer_working_days = s.outcome.and(s.answered_at).and_then(|a| {
            self.calendar
                .business_days(muhtar_core::calendar::CountMode::LEGAL)
                .working_days_between(local_date(received), local_date(a))
                .ok()
        });
        let deadlines = Deadlines {
            first_response_due: Some(received + Duration::days(3)),
            resolution_due: Some(received + Duration::days(15)),
            calendar_version: self.calendar.version().to_owned(),
            answer_working_days,
        };
        Some(RequestRecord {
            state: s,
            deadlines,
        })
    }
}

const CHANNELS: &[muhtar_core::request::Channel] = &[
    muhtar_core::request::Channel::MbsWeb,
    muhtar_core::request::Channel::MbsWeb,
    muhtar_core::request::Channel::Phone,
    muhtar_core::request::Channel::Email,
    muhtar_core::request::Channel::Petition,
];

/// What a load did.
#[derive(Debug, Clone, Copy)]
pub struct LoadReport {
    /// Rows written.
    pub rows: u64,
    /// Time to insert the rows.
    pub insert: StdDuration,
    /// Time to recreate the indexes and analyze.
    pub index: StdDuration,
}

/// Rows per SQLite transaction and per PostgreSQL `COPY` chunk.
const CHUNK: u64 = 100_000;

/// Loads `rows` into the SQLite database at `path`, whose schema the store's migrations
/// created. Uses its own connection with bulk-load settings (no fsync until the end).
pub fn load_sqlite(path: &std::path::Path, rows: Rows) -> rusqlite::Result<LoadReport> {
    let mut conn = rusqlite::Connection::open(path)?;
    conn.pragma_update(None, "synchronous", "OFF")?;
    conn.pragma_update(None, "cache_size", -1_000_000)?; // 1 GB
    let indexes: Vec<(String, String)> = {
        let mut st = conn.prepare(
            "SELECT name, sql FROM sqlite_master \
             WHERE type = 'index' AND tbl_name = 'requests' AND sql IS NOT NULL",
        )?;
        let v = st
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<Result<_, _>>()?;
        v
    };
    for (name, _) in &indexes {
        conn.execute_batch(&format!("DROP INDEX \"{name}\""))?;
    }
    let started = Instant::now();
    let tenant = rows.tenant().as_str().to_owned();
    let total = rows.remaining();
    let mut rows = rows.peekable();
    let mut places: i64 = 0;
    while rows.peek().is_some() {
        let tx = conn.transaction()?;
        {
            let mut st = tx.prepare_cached(
                "INSERT INTO requests (tenant, id, tracking, version, status, unit, muhtarlik, \
                 category, channel, received_at, resolution_due, first_response_due, state, \
                 deadlines, kind, outcome, reason, concluded_at, answer_days, \
                 answer_calendar_days, first_response_at, lon, lat, place) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, \
                 ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24)",
            )?;
            for rec in rows.by_ref().take(CHUNK as usize) {
                let s = &rec.state;
                let f = Facts::of(&rec);
                let at = s.content.location.as_ref();
                // The R*Tree key of a located row (a fresh data set: none taken yet).
                let place = at.map(|_| {
                    places += 1;
                    places
                });
                st.execute(rusqlite::params![
                    tenant,
                    s.id.as_uuid().hyphenated().to_string(),
                    s.tracking.to_string(),
                    s.version,
                    s.status.as_str(),
                    s.unit.as_ref().map(|u| u.as_str()),
                    s.content.muhtarlik.as_str(),
                    s.content.category,
                    name(&s.content.channel),
                    s.content.received_at.timestamp_micros(),
                    rec.deadlines.resolution_due.map(|t| t.timestamp_micros()),
                    rec.deadlines
                        .first_response_due
                        .map(|t| t.timestamp_micros()),
                    serde_json::to_string(&Stored(s)).expect("a state encodes"),
                    serde_json::to_string(&rec.deadlines).expect("deadlines encode"),
                    f.kind,
                    f.outcome.map(|o| name(&o)),
                    f.reason,
                    f.concluded_at.map(|t| t.timestamp_micros()),
                    f.answer_working_days,
                    f.answer_calendar_days,
                    f.first_response_at.map(|t| t.timestamp_micros()),
                    at.map(|l| l.lon),
                    at.map(|l| l.lat),
                    place,
                ])?;
            }
        }
        tx.commit()?;
    }
    let insert = started.elapsed();
    let started = Instant::now();
    for (_, sql) in &indexes {
        conn.execute_batch(sql)?;
    }
    conn.execute_batch("ANALYZE")?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE)")?;
    Ok(LoadReport {
        rows: total,
        insert,
        index: started.elapsed(),
    })
}

/// Quotes a CSV field (always quoted: JSON and text may hold commas and quotes).
fn csv(out: &mut String, field: &str) {
    out.push('"');
    for c in field.chars() {
        if c == '"' {
            out.push('"');
        }
        out.push(c);
    }
    out.push_str("\",");
}

/// An optional CSV field: empty and unquoted is NULL.
fn csv_opt(out: &mut String, field: Option<String>) {
    match field {
        Some(f) => csv(out, &f),
        None => out.push(','),
    }
}

/// Loads `rows` into the PostgreSQL database of `pool`, whose schema the store's
/// migrations created.
pub async fn load_postgres(pool: &PgPool, rows: Rows) -> Result<LoadReport, sqlx::Error> {
    let indexes: Vec<(String, String)> = sqlx::query_as(
        "SELECT i.relname::text, pg_get_indexdef(i.oid) FROM pg_index x \
         JOIN pg_class i ON i.oid = x.indexrelid \
         JOIN pg_class t ON t.oid = x.indrelid \
         WHERE t.relname = 'requests' AND t.relnamespace = to_regnamespace(current_schema()) \
           AND NOT x.indisprimary \
           AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.oid)",
    )
    .fetch_all(pool)
    .await?;
    for (name, _) in &indexes {
        sqlx::query(&format!("DROP INDEX \"{name}\""))
            .execute(pool)
            .await?;
    }
    let started = Instant::now();
    let tenant = rows.tenant().as_str().to_owned();
    let total = rows.remaining();
    let mut conn = pool.acquire().await?;
    let mut copy = conn
        .copy_in_raw(
            "COPY requests (tenant, id, tracking, version, status, outcome, reason, unit, \
             muhtarlik, category, channel, received_at, first_response_at, answered_at, \
             closed_at, first_response_due, resolution_due, due_key, received_key, updated_at, \
             state, deadlines, kind, concluded_at, answer_days, answer_calendar_days, lon, lat) \
             FROM STDIN (FORMAT csv)",
        )
        .await?;
    let mut buf = String::with_capacity(64 << 20);
    let ts = |t: Option<DateTime<Utc>>| t.map(|t| t.to_rfc3339());
    for (n, rec) in rows.enumerate() {
        let s = &rec.state;
        let d = &rec.deadlines;
        let f = Facts::of(&rec);
        csv(&mut buf, &tenant);
        csv(&mut buf, &s.id.as_uuid().hyphenated().to_string());
        csv(&mut buf, &s.tracking.to_string());
        csv(&mut buf, &s.version.to_string());
        csv(&mut buf, s.status.as_str());
        csv_opt(&mut buf, f.outcome.as_ref().map(name));
        csv_opt(&mut buf, f.reason.clone());
        csv_opt(&mut buf, s.unit.as_ref().map(|u| u.as_str().to_owned()));
        csv(&mut buf, s.content.muhtarlik.as_str());
        csv(&mut buf, &s.content.category);
        csv(&mut buf, &name(&s.content.channel));
        csv(&mut buf, &s.content.received_at.to_rfc3339());
        csv_opt(&mut buf, ts(f.first_response_at));
        csv_opt(&mut buf, ts(s.answered_at));
        csv_opt(&mut buf, ts(s.closed_at));
        csv_opt(&mut buf, ts(d.first_response_due));
        csv_opt(&mut buf, ts(d.resolution_due));
        csv(
            &mut buf,
            &d.resolution_due
                .map_or(i64::MAX, |t| t.timestamp_micros())
                .to_string(),
        );
        csv(
            &mut buf,
            &s.content.received_at.timestamp_micros().to_string(),
        );
        csv(&mut buf, &s.updated_at.to_rfc3339());
        csv(
            &mut buf,
            &serde_json::to_string(&Stored(s)).expect("a state encodes"),
        );
        csv(
            &mut buf,
            &serde_json::to_string(d).expect("deadlines encode"),
        );
        csv(&mut buf, &f.kind);
        csv_opt(&mut buf, ts(f.concluded_at));
        csv_opt(&mut buf, f.answer_working_days.map(|n| n.to_string()));
        csv_opt(&mut buf, f.answer_calendar_days.map(|n| n.to_string()));
        let at = s.content.location.as_ref();
        csv_opt(&mut buf, at.map(|l| l.lon.to_string()));
        csv_opt(&mut buf, at.map(|l| l.lat.to_string()));
        buf.pop();
        buf.push('\n');
        if (n as u64 + 1).is_multiple_of(CHUNK) {
            copy.send(buf.as_bytes()).await?;
            buf.clear();
        }
    }
    if !buf.is_empty() {
        copy.send(buf.as_bytes()).await?;
    }
    copy.finish().await?;
    drop(conn);
    let insert = started.elapsed();
    let started = Instant::now();
    for (_, def) in &indexes {
        sqlx::query(def).execute(pool).await?;
    }
    sqlx::query("ANALYZE requests").execute(pool).await?;
    Ok(LoadReport {
        rows: total,
        insert,
        index: started.elapsed(),
    })
}
