//! Migrations over a database that already holds data: a schema made with migration 0001
//! only (applied by hand, as a DBA would), rows written the way a build that knew only
//! 0001 wrote them, then `PgStore::migrate`. Skipped with a notice when `DATABASE_URL`
//! is not set; see `common`.

use crate::common;

use chrono::{DateTime, Utc};
use muhtar_core::ids::TenantId;
use muhtar_core::report::{serde_name, Facts};
use muhtar_core::request::Outcome;
use muhtar_core::store::{Commit, OutboxStore, RequestStore};
use muhtar_core::testkit::conformance::assert_cube_matches;
use muhtar_core::testkit::fixtures::{
    as_schema_v1, next_commit, report_histories, squash, t0, tenant, Spec,
};
use muhtar_store_postgres::{migrator, PgStore};
use sqlx::{PgPool, Row};
use uuid::Uuid;

/// Applies the first migration file by hand (its text, in one transaction), as
/// `psql -v ON_ERROR_STOP=1 -1 -f migrations/0001_init.sql` would.
pub(crate) async fn apply_first_migration_by_hand(pool: &PgPool) {
    let m = migrator();
    let first = m.iter().next().expect("migration 0001");
    assert_eq!(first.version, 1);
    let mut tx = pool.begin().await.unwrap();
    sqlx::raw_sql(&first.sql).execute(&mut *tx).await.unwrap();
    tx.commit().await.unwrap();
}

/// Writes a request (its whole history in one commit) the way the store did before
/// migration 0002: the state row with the 0001 columns, its events and its outbox (events
/// and state of schema 1: read back through upcasting).
pub(crate) async fn insert_v1(pool: &PgPool, c: &Commit) {
    let (st, d) = (&c.record.state, &c.record.deadlines);
    let mut tx = pool.begin().await.unwrap();
    sqlx::query(
        "INSERT INTO requests (tenant, id, tracking, version, status, outcome, reason,
             unit, muhtarlik, category, channel, received_at, first_response_at,
             answered_at, closed_at, first_response_due, resolution_due, due_key,
             received_key, updated_at, state, deadlines)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15,
             $16, $17, $18, $19, $20, $21, $22)",
    )
    .bind(st.tenant.as_str())
    .bind(st.id.as_uuid())
    .bind(st.tracking.to_string())
    .bind(st.version as i32)
    .bind(st.status.as_str())
    .bind(st.outcome.as_ref().map(serde_name))
    .bind(st.reason.as_ref().map(|r| r.0.clone()))
    .bind(st.unit.as_ref().map(|u| u.as_str().to_owned()))
    .bind(st.content.muhtarlik.as_str())
    .bind(&st.content.category)
    .bind(serde_name(&st.content.channel))
    .bind(st.content.received_at)
    .bind(st.first_response_at)
    .bind(st.answered_at)
    .bind(st.closed_at)
    .bind(d.first_response_due)
    .bind(d.resolution_due)
    .bind(d.resolution_due.map_or(i64::MAX, |t| t.timestamp_micros()))
    .bind(st.content.received_at.timestamp_micros())
    .bind(st.updated_at)
    .bind(as_schema_v1(st))
    .bind(serde_json::to_value(d).unwrap())
    .execute(&mut *tx)
    .await
    .unwrap();
    for e in &c.events {
        let sub = e.at.timestamp_subsec_nanos() % 1000;
        sqlx::query(
            "INSERT INTO events (tenant, request_id, version, at, at_nanos, actor, type,
                 payload)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(st.tenant.as_str())
        .bind(st.id.as_uuid())
        .bind(e.version as i32)
        .bind(e.at - chrono::Duration::nanoseconds(i64::from(sub)))
        .bind(sub as i32)
        .bind(serde_json::to_value(&e.actor).unwrap())
        .bind(e.kind.name())
        .bind(as_schema_v1(&e.kind))
        .execute(&mut *tx)
        .await
        .unwrap();
    }
    for m in &c.outbox {
        sqlx::query(
            "INSERT INTO outbox (id, tenant, request_id, idempotency_key, kind, channel,
                 recipient, status, attempts, next_attempt_at, created_at, message)
             VALUES ($1, $2, $3, $4, $5, $6, $7, 'pending', 0, $8, $9, $10)",
        )
        .bind(m.id)
        .bind(m.tenant.as_str())
        .bind(m.request.map(|r| r.as_uuid()))
        .bind(&m.idempotency_key)
        .bind(serde_name(&m.kind))
        .bind(serde_name(&m.channel))
        .bind(&m.recipient)
        .bind(m.not_before)
        .bind(m.created_at)
        .bind(serde_json::to_value(m).unwrap())
        .execute(&mut *tx)
        .await
        .unwrap();
    }
    tx.commit().await.unwrap();
}

/// The report columns of one stored request, as migration 0002 left them.
#[derive(Debug, PartialEq)]
struct ReportColumns {
    kind: String,
    outcome: Option<Outcome>,
    reason: Option<String>,
    concluded_at: Option<DateTime<Utc>>,
    answer_days: Option<u32>,
    answer_calendar_days: Option<u32>,
    first_response_at: Option<DateTime<Utc>>,
    first_response_due: Option<DateTime<Utc>>,
}

impl ReportColumns {
    fn of(f: &Facts) -> Self {
        ReportColumns {
            kind: f.kind.clone(),
            outcome: f.outcome,
            reason: f.reason.clone(),
            concluded_at: f.concluded_at,
            answer_days: f.answer_working_days,
            answer_calendar_days: f.answer_calendar_days,
            first_response_at: f.first_response_at,
            first_response_due: f.first_response_due,
        }
    }
}

async fn report_columns(pool: &PgPool, t: &TenantId, id: Uuid) -> ReportColumns {
    let row = sqlx::query(
        "SELECT kind, outcome, reason, concluded_at, answer_days, answer_calendar_days,
             first_response_at, first_response_due FROM requests
         WHERE tenant = $1 AND id = $2",
    )
    .bind(t.as_str())
    .bind(id)
    .fetch_one(pool)
    .await
    .unwrap();
    let outcome: Option<String> = row.get("outcome");
    ReportColumns {
        kind: row.get("kind"),
        outcome: outcome.map(|o| match o.as_str() {
            "positive" => Outcome::Positive,
            "negative" => Outcome::Negative,
            other => panic!("stored outcome {other:?}"),
        }),
        reason: row.get("reason"),
        concluded_at: row.get("concluded_at"),
        answer_days: row
            .get::<Option<i32>, _>("answer_days")
            .map(|d| u32::try_from(d).unwrap()),
        answer_calendar_days: row
            .get::<Option<i32>, _>("answer_calendar_days")
            .map(|d| u32::try_from(d).unwrap()),
        first_response_at: row.get("first_response_at"),
        first_response_due: row.get("first_response_due"),
    }
}

/// Migrations 0002, 0006 and 0009 fill the report columns of the rows written before them from
/// the columns and JSON state 0001 kept: each row's columns equal `report::Facts::of` of
/// its record (calendar days to answer included), and the store's report cube equals the
/// pure aggregation, for quarters, a year and a range of dates. The data is
/// the conformance suite's report data set (every kind of ending, instants below the
/// microsecond), each request written whole the way 0001 stored it. Working days are
/// not known for old answers (builds before 0002 did not record them). Every other row
/// is written without its first-response columns (as a row loaded by hand might be):
/// 0009 fills them in from the JSON, truncated to microseconds like `Facts::of`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn report_columns_of_old_rows_are_backfilled() {
    if common::skip() {
        return;
    }
    let schema = common::fresh_schema().await;
    let pool = common::pool_in(&schema, 4).await;
    apply_first_migration_by_hand(&pool).await;
    let t = tenant("old");
    let mut commits = Vec::new();
    for (i, history) in report_histories(t.as_str()).into_iter().enumerate() {
        let mut c = squash(&history);
        c.record.deadlines.answer_working_days = None;
        insert_v1(&pool, &c).await;
        if i % 2 == 0 {
            sqlx::query(
                "UPDATE requests SET first_response_at = NULL, first_response_due = NULL
                 WHERE tenant = $1 AND id = $2",
            )
            .bind(t.as_str())
            .bind(c.record.state.id.as_uuid())
            .execute(&pool)
            .await
            .unwrap();
        }
        commits.push(c);
    }
    let responded = commits
        .iter()
        .filter(|c| c.record.state.first_response_at.is_some())
        .count();
    assert!(responded > 20, "{responded}");
    // Another tenant's request, which must not count.
    insert_v1(&pool, &Spec::new("other-tenant", 900).commit()).await;

    let store = PgStore::from_pool(pool.clone());
    store.migrate().await.unwrap();
    let applied: Vec<i64> =
        sqlx::query_scalar("SELECT version FROM _sqlx_migrations ORDER BY version")
            .fetch_all(&pool)
            .await
            .unwrap();
    let latest = migrator().iter().map(|m| m.version).max().unwrap();
    assert_eq!(applied, (1..=latest).collect::<Vec<_>>());

    let mut concluded = 0;
    for c in &commits {
        let (st, rec) = (&c.record.state, &c.record);
        let facts = Facts::of(rec);
        concluded += usize::from(facts.concluded_at.is_some());
        assert_eq!(
            report_columns(&pool, &t, st.id.as_uuid()).await,
            ReportColumns::of(&facts),
            "request {} ({})",
            st.tracking,
            st.status.as_str()
        );
        // The old data reads back exactly.
        assert_eq!(&store.load(&t, st.id).await.unwrap(), rec);
        assert_eq!(store.events(&t, st.id).await.unwrap(), c.events);
    }
    assert!(concluded > 20, "{concluded}");
    let outbox = store.outbox(&t, None).await.unwrap();
    assert_eq!(outbox.len(), commits.len());

    let records: Vec<_> = commits.iter().map(|c| c.record.clone()).collect();
    let nonempty = assert_cube_matches(
        &store,
        &t,
        &records,
        &[
            "2024Q4",
            "2025Q1",
            "2025Q2",
            "2025Q3",
            "2025",
            "2025-02-15..2025-05-20",
        ],
    )
    .await;
    assert!(nonempty >= 6, "{nonempty}");

    // Once migrated, a new change of an old request writes its report columns as the
    // store does for new requests.
    let open = commits
        .iter()
        .find(|c| Facts::of(&c.record).concluded_at.is_none())
        .unwrap();
    let mut answer = next_commit(
        &open.record,
        muhtar_core::request::EventKind::Answered {
            outcome: Outcome::Positive,
            reason: None,
            reason_text: None,
            text: "Yapıldı".into(),
        },
        t0() + chrono::Duration::days(200),
    );
    answer.record.deadlines.answer_working_days = Some(7);
    store.commit(&answer).await.unwrap();
    let facts = Facts::of(&answer.record);
    assert_eq!(facts.answer_working_days, Some(7));
    assert_eq!(
        report_columns(&pool, &t, open.record.state.id.as_uuid()).await,
        ReportColumns::of(&facts)
    );
}

/// Migration 0007 gives rows written before it their priority rank from their JSON
/// state: urgent requests stored by older builds come first too, page by page.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn priority_ranks_of_old_rows_are_backfilled() {
    use muhtar_core::request::Priority;
    use muhtar_core::testkit::conformance::assert_paged_listings;
    if common::skip() {
        return;
    }
    let schema = common::fresh_schema().await;
    let pool = common::pool_in(&schema, 4).await;
    apply_first_migration_by_hand(&pool).await;
    let mut want = Vec::new();
    for seed in 1..=6u64 {
        let mut spec = Spec::new("rank", seed);
        if seed % 3 == 0 {
            spec.priority = Priority::Urgent;
        }
        let c = spec.commit();
        insert_v1(&pool, &c).await;
        want.push(c.record);
    }
    let store = PgStore::from_pool(pool.clone());
    store.migrate().await.unwrap();
    for order in assert_paged_listings(&store, "rank", &want).await {
        let first = want.iter().find(|r| r.state.id == order[0]).unwrap();
        assert!(first.state.content.priority == Priority::Urgent);
    }
}

/// Migration 0010 moves the failure count that builds before it wrote as a
/// `[failures=N] ` prefix of `last_error` into the `failures` column, leaving the clean
/// message; other errors keep their text with no failure counted.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failure_prefixes_of_old_rows_move_into_the_failures_column() {
    if common::skip() {
        return;
    }
    let schema = common::fresh_schema().await;
    let pool = common::pool_in(&schema, 4).await;
    apply_first_migration_by_hand(&pool).await;
    let errors = [
        (
            Some("[failures=3] SMTP 421 try later"),
            3,
            Some("SMTP 421 try later"),
        ),
        (
            Some("[failures=12] deferred for quiet hours; last error: 503"),
            12,
            Some("deferred for quiet hours; last error: 503"),
        ),
        (
            Some("[failures=0] not tried in this pass: timeout"),
            0,
            Some("not tried in this pass: timeout"),
        ),
        (Some("550 no such user"), 0, Some("550 no such user")),
        (Some("[failures=x] odd"), 0, Some("[failures=x] odd")),
        (None, 0, None),
    ];
    let mut ids = Vec::new();
    for (seed, (error, _, _)) in (1u64..).zip(&errors) {
        let c = Spec::new("fl", seed).commit();
        insert_v1(&pool, &c).await;
        let id = c.outbox[0].id;
        sqlx::query("UPDATE outbox SET last_error = $2, attempts = 5 WHERE id = $1")
            .bind(id)
            .bind(error)
            .execute(&pool)
            .await
            .unwrap();
        ids.push(id);
    }
    let store = PgStore::from_pool(pool.clone());
    store.migrate().await.unwrap();
    let stored = store.outbox(&tenant("fl"), None).await.unwrap();
    for (id, (before, failures, after)) in ids.iter().zip(&errors) {
        let e = stored.iter().find(|e| e.message.id == *id).unwrap();
        assert_eq!(
            (e.failures, e.last_error.as_deref(), e.attempts),
            (*failures, *after, 5),
            "{before:?}"
        );
    }
    // The count goes on from there.
    store
        .mark_retry(ids[0], t0(), "SMTP 421 again")
        .await
        .unwrap();
    let e = store.outbox(&tenant("fl"), None).await.unwrap();
    let e = e.iter().find(|e| e.message.id == ids[0]).unwrap();
    assert_eq!(
        (e.failures, e.last_error.as_deref()),
        (4, Some("SMTP 421 again"))
    );
}
