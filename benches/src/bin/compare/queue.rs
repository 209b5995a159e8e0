//! Queue query: a unit's queue (open requests, urgent first, then earliest deadline), first page, on a
//! bulk-loaded data set (10 million requests by default), through `Mbs::queue` and as the
//! bare SQL statement the store sends; the query plan is checked (an index, no sequential
//! scan, no sort of the unit's rows).

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{TimeZone, Utc};
use muhtar_benches::bulk::{BulkSpec, Rows};
use muhtar_benches::workload::{example_org, example_service, request_contents};
use muhtar_core::access::Actor;
use muhtar_core::clock::ManualClock;
use muhtar_core::ids::UnitCode;
use muhtar_core::request::Status;
use muhtar_core::service::Mbs;
use muhtar_core::store::Store;
use muhtar_store_postgres::PgStore;
use muhtar_store_sqlite::SqliteStore;

use crate::{Opts, Outcome};

/// The unit whose queue is read: a directorate (leaf unit) of the example organisation.
pub const UNIT: &str = "asfalt-mud";
/// Page size (the store's default).
const PAGE: u32 = 50;
/// Timed repetitions of the query (after one untimed warm-up).
const REPS: usize = 20;

/// The data set: `rows` requests received over 2023-2025 ("now" is 2026-01-01).
pub fn spec(rows: u64) -> BulkSpec {
    BulkSpec {
        rows,
        seed: 10,
        from: Utc
            .with_ymd_and_hms(2022, 12, 31, 21, 0, 0)
            .single()
            .expect("valid"),
        until: Utc
            .with_ymd_and_hms(2025, 12, 31, 21, 0, 0)
            .single()
            .expect("valid"),
    }
}

fn open_statuses() -> Vec<&'static str> {
    Status::ALL
        .into_iter()
        .filter(|s| s.is_open())
        .map(Status::as_str)
        .collect()
}

/// Median and best of `REPS` runs of `f` (after one warm-up run).
async fn timed<F, Fut>(mut f: F) -> Result<(Duration, Duration, usize), String>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<usize, String>>,
{
    let n = f().await?;
    let mut times = Vec::with_capacity(REPS);
    for _ in 0..REPS {
        let t = Instant::now();
        f().await?;
        times.push(t.elapsed());
    }
    times.sort();
    Ok((times[REPS / 2], times[0], n))
}

async fn api_time<S: Store + 'static>(
    mbs: &Mbs<S, ManualClock>,
) -> Result<(Duration, Duration, usize), String> {
    let org = example_org();
    let unit = UnitCode::new(UNIT).map_err(|e| e.to_string())?;
    let actor = Actor::parse(&org.tenant.id, &format!("unit:{UNIT}")).map_err(|e| e.to_string())?;
    timed(|| {
        let (unit, actor) = (unit.clone(), actor.clone());
        async move {
            let page = mbs
                .queue(&actor, &unit, PAGE, None)
                .await
                .map_err(|e| e.to_string())?;
            // The first page of a queue: open requests, urgent first, in deadline order.
            let order = muhtar_core::store::Order::Deadline;
            let ok = page.items.windows(2).all(|w| {
                order.compare(
                    &muhtar_core::store::Position::of(&w[0], order),
                    &muhtar_core::store::Position::of(&w[1], order),
                ) == std::cmp::Ordering::Less
            }) && page.items.iter().all(|r| r.state.status.is_open());
            if !ok {
                return Err("the queue's first page is not open requests in deadline order".into());
            }
            Ok(page.items.len())
        }
    })
    .await
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1e3)
}

fn report(
    store: &str,
    rows: u64,
    load: &crate::data::Loaded,
    api: (Duration, Duration, usize),
    sql: (Duration, Duration, usize),
    plan: &str,
) {
    eprintln!("  {store} plan: {plan}");
    println!(
        "queue {store}: {rows} requests ({}), unit {UNIT}, first page of {}: \
         Mbs::queue median {} (best {}); bare SQL median {} (best {}); plan uses an index, no seq scan, no sort; ratio={:.2}",
        load.describe(),
        api.2,
        ms(api.0),
        ms(api.1),
        ms(sql.0),
        ms(sql.1),
        sql.0.as_secs_f64() / api.0.as_secs_f64()
    );
}

pub async fn run(opts: &Opts) -> Outcome {
    let rows = opts
        .queue_rows
        .unwrap_or(if opts.quick { 100_000 } else { 10_000_000 });
    if opts.named("queue") || opts.named("queue-sqlite") {
        sqlite(rows).await?;
    }
    if opts.named("queue") || opts.named("queue-postgres") {
        postgres(rows).await?;
    }
    Ok(())
}

/// The bulk rows of the data set of `rows` requests.
pub fn rows_for(rows: u64) -> Rows {
    let org = example_org();
    let content = request_contents(&org, 1, 1).remove(0);
    Rows::new(&org, content, spec(rows))
}

// ------------------------------------------------------------------------------------
// SQLite

/// The open statuses as the stores write them in SQL: `'received', 'routed', ...`.
fn open_list() -> String {
    open_statuses()
        .iter()
        .map(|s| format!("'{s}'"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The statement `SqliteStore` sends for the first page of a queue (see its `query_in`).
fn sqlite_queue() -> String {
    format!(
        "SELECT state, deadlines, priority_rank, COALESCE(resolution_due, 9223372036854775807), id \
         FROM requests WHERE tenant = ? AND unit IN (?) AND status IN ({}) \
         ORDER BY priority_rank ASC, COALESCE(resolution_due, 9223372036854775807) ASC, id ASC LIMIT ?",
        open_list()
    )
}

fn sqlite_args(tenant: &str) -> Vec<rusqlite::types::Value> {
    use rusqlite::types::Value;
    let mut v = vec![Value::Text(tenant.into()), Value::Text(UNIT.into())];
    v.push(Value::Integer(i64::from(PAGE) + 1));
    v
}

async fn sqlite(rows: u64) -> Outcome {
    let (store, path, load) = crate::data::sqlite(rows).await?;
    let mbs = example_service(store).await.map_err(|e| e.to_string())?;
    let tenant = example_org().tenant.id.as_str().to_owned();
    let conn = Arc::new(std::sync::Mutex::new(
        rusqlite::Connection::open(&path).map_err(|e| e.to_string())?,
    ));
    sqlite_measure(
        "SQLite",
        rows,
        &load,
        &mbs,
        &conn,
        &tenant,
        "USING INDEX requests_open_unit_rank_due",
    )
    .await
}

async fn sqlite_measure(
    label: &str,
    rows: u64,
    load: &crate::data::Loaded,
    mbs: &Mbs<SqliteStore, ManualClock>,
    conn: &Arc<std::sync::Mutex<rusqlite::Connection>>,
    tenant: &str,
    expect: &str,
) -> Outcome {
    let plan = {
        let c = conn.lock().unwrap_or_else(|e| e.into_inner());
        let mut st = c
            .prepare(&format!("EXPLAIN QUERY PLAN {}", sqlite_queue()))
            .map_err(|e| e.to_string())?;
        let lines = st
            .query_map(rusqlite::params_from_iter(sqlite_args(tenant)), |r| {
                r.get::<_, String>(3)
            })
            .map_err(|e| e.to_string())?
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| e.to_string())?;
        lines.join("; ")
    };
    if !plan.contains(expect) || plan.contains("SCAN requests") || plan.contains("TEMP B-TREE") {
        return Err(format!(
            "{label}: the queue plan is not an ordered search of {expect}: {plan}"
        ));
    }
    let sql = timed(|| {
        let conn = conn.clone();
        let tenant = tenant.to_owned();
        async move {
            let c = conn.lock().unwrap_or_else(|e| e.into_inner());
            let mut st = c
                .prepare_cached(&sqlite_queue())
                .map_err(|e| e.to_string())?;
            let mut rows = st
                .query(rusqlite::params_from_iter(sqlite_args(&tenant)))
                .map_err(|e| e.to_string())?;
            let mut n = 0;
            while let Some(r) = rows.next().map_err(|e| e.to_string())? {
                let _: (String, String) = (
                    r.get(0).map_err(|e| e.to_string())?,
                    r.get(1).map_err(|e| e.to_string())?,
                );
                n += 1;
            }
            Ok(n)
        }
    })
    .await?;
    let api = api_time(mbs).await?;
    report(label, rows, load, api, sql, &plan);
    Ok(())
}

// ------------------------------------------------------------------------------------
// PostgreSQL

/// The statement `PgStore` sends for the first page of a queue (see its `query`).
fn pg_queue() -> String {
    format!(
        "SELECT state, deadlines FROM requests WHERE tenant = $1 AND unit = $2 \
         AND status IN ({}) ORDER BY priority_rank, due_key, id LIMIT $3",
        open_list()
    )
}

async fn postgres(rows: u64) -> Outcome {
    let (store, load) = crate::data::postgres(rows).await?;
    let pool = store.pool().clone();
    let mbs = example_service(store).await.map_err(|e| e.to_string())?;
    let tenant = example_org().tenant.id.as_str().to_owned();
    pg_measure(
        "PostgreSQL",
        rows,
        &load,
        &mbs,
        &pool,
        &tenant,
        "requests_open_unit_rank_due_idx",
    )
    .await
}

async fn pg_measure(
    label: &str,
    rows: u64,
    load: &crate::data::Loaded,
    mbs: &Mbs<PgStore, ManualClock>,
    pool: &sqlx::PgPool,
    tenant: &str,
    expect: &str,
) -> Outcome {
    let run = |explain: &'static str| {
        let (pool, tenant) = (pool.clone(), tenant.to_owned());
        async move {
            sqlx::query(&format!("{explain}{}", pg_queue()))
                .bind(tenant)
                .bind(UNIT)
                .bind(i64::from(PAGE) + 1)
                .fetch_all(&pool)
                .await
                .map_err(|e| e.to_string())
        }
    };
    let plan: Vec<String> = run("EXPLAIN (ANALYZE, BUFFERS) ")
        .await?
        .iter()
        .map(|r| sqlx::Row::try_get::<String, _>(r, 0).unwrap_or_default())
        .collect();
    let plan = plan.join(" | ");
    if !plan.contains(expect) || plan.contains("Seq Scan") || plan.contains("Sort") {
        return Err(format!(
            "{label}: the queue plan is not an ordered scan of {expect}: {plan}"
        ));
    }
    let sql = timed(|| {
        let run = run("");
        async move { Ok(run.await?.len()) }
    })
    .await?;
    let api = api_time(mbs).await?;
    report(label, rows, load, api, sql, &plan);
    Ok(())
}
