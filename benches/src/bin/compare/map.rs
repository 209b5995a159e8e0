//! The map data (issue 22: "`GET requests.geojson` over 100,000 requests answers in under
//! 1 s"): `GET /api/v1/map/requests.geojson` through the library router (tower's
//! `oneshot`, no socket, the whole body read) over 100,000 located requests (20,000 with
//! `--quick`), bulk-loaded (`Rows::located`: within about 600 m of their muhtarlık's
//! centre, over the example organisation's 20 mahalle) into an SQLite file and a PostgreSQL
//! database; every request is a feature of the answer. Also the public answer (no
//! token), a district's box (`bbox`, through the R*Tree / GiST index) and the parts:
//! `RequestStore::map_points` alone, the bare SQL read of the same columns (SQLite: its own
//! connection to the file; PostgreSQL: the store's pool) and serde_json writing the same
//! features from memory. The ceiling, in the same run: bare SQL + JSON writing; the ratio
//! is the ceiling over the endpoint (1.00: no cost beyond reading and writing). Checked:
//! 200, `application/geo+json`, RFC 7946 (`map::rfc7946::check`), as many features as
//! requests, under 1 s; the plans: SQLite reads the covering index `requests_map` for the
//! whole map and the R*Tree first for a box, PostgreSQL an index-only scan of
//! `requests_map_idx` (after `VACUUM`, as autovacuum leaves a table) and the GiST index.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use muhtar_benches::bulk::{load_postgres, load_sqlite, Rows};
use muhtar_benches::workload::{example_org, example_service, request_contents};
use muhtar_core::clock::{Clock, ManualClock};
use muhtar_core::ids::SeededRandom;
use muhtar_core::map::features::{requests_feature_collection, Audience};
use muhtar_core::map::{rfc7946, BBox, MapPoint};
use muhtar_core::service::Mbs;
use muhtar_core::store::{RequestQuery, Store};
use muhtar_core::token::{hash_secret, ApiToken};
use muhtar_store_postgres::PgStore;
use muhtar_store_sqlite::{SqliteOptions, SqliteStore};
use sqlx::Row as _;
use tower::ServiceExt;

use crate::queue::spec;
use crate::{Opts, Outcome};

const TOKEN: &str = "mbs_bench_map";
/// A district's box: Üsküdar's Bosphorus shore (Kuzguncuk to Beylerbeyi and inland).
const BOX: &str = "29.02,41.02,29.06,41.06";
/// The columns `map_points` reads (both stores).
const COLUMNS: &str = "tracking, category, status, unit, muhtarlik, resolution_due, \
                       priority_rank, lon, lat";

fn ms(d: Duration) -> String {
    format!("{:.0} ms", d.as_secs_f64() * 1e3)
}

/// Median and best of `reps` runs of `f` (after one warm-up), and its last result.
async fn timed<T, F, Fut>(reps: usize, mut f: F) -> Result<(Duration, Duration, T), String>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, String>>,
{
    f().await?;
    let mut times = Vec::with_capacity(reps);
    let mut last = None;
    for _ in 0..reps {
        let t = Instant::now();
        last = Some(f().await?);
        times.push(t.elapsed());
    }
    times.sort();
    Ok((times[reps / 2], times[0], last.ok_or("no run")?))
}

/// A GET through the router: status, content type, body.
async fn get(
    app: &axum::Router,
    path: &str,
    token: bool,
) -> Result<(StatusCode, String, axum::body::Bytes), String> {
    let mut req = Request::get(path);
    if token {
        req = req.header(header::AUTHORIZATION, format!("Bearer {TOKEN}"));
    }
    let res = app
        .clone()
        .oneshot(req.body(Body::empty()).map_err(|e| e.to_string())?)
        .await
        .map_err(|e| e.to_string())?;
    let status = res.status();
    let ctype = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let body = axum::body::to_bytes(res.into_body(), usize::MAX)
        .await
        .map_err(|e| e.to_string())?;
    Ok((status, ctype, body))
}

/// The statement `SqliteStore::map_points` sends for the whole tenant (`box_` empty) or a
/// box (its R*Tree conditions), its tenant `?1`.
fn sqlite_map(box_: &str) -> String {
    let from = if box_.is_empty() {
        "requests"
    } else {
        "request_places CROSS JOIN requests ON requests.place = request_places.place_id"
    };
    format!(
        "SELECT {COLUMNS} FROM {from} WHERE tenant = ?1 AND lon IS NOT NULL \
         AND lat IS NOT NULL{box_} ORDER BY priority_rank ASC, \
         COALESCE(resolution_due, 9223372036854775807) ASC, id ASC LIMIT 100001"
    )
}

/// The statement `PgStore::map_points` sends for the whole tenant (`box_` empty) or a
/// box, its tenant `$1`.
fn pg_map(box_: &str) -> String {
    format!(
        "SELECT tracking, category, status, unit, muhtarlik, \
         CASE WHEN resolution_due IS NOT NULL THEN due_key END, priority_rank, lon, lat \
         FROM requests WHERE lon IS NOT NULL AND lat IS NOT NULL AND tenant = $1{box_} \
         ORDER BY priority_rank, due_key, id LIMIT 100001"
    )
}

/// The located rows of the data set.
fn rows_for(rows: u64) -> Rows {
    let org = example_org();
    let content = request_contents(&org, 1, 1).remove(0);
    Rows::new(&org, content, spec(rows)).located()
}

pub async fn run(opts: &Opts) -> Outcome {
    let (rows, reps) = if opts.quick {
        (20_000, 3)
    } else {
        (100_000, 5)
    };
    if opts.named("map") || opts.named("map-sqlite") {
        sqlite(rows, reps).await?;
    }
    if opts.named("map") || opts.named("map-postgres") {
        postgres(rows, reps).await?;
    }
    Ok(())
}

async fn sqlite(rows: u64, reps: usize) -> Outcome {
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let path = dir.path().join("map.db");
    let store = SqliteStore::open(path.as_os_str(), SqliteOptions::default())
        .await
        .map_err(|e| e.to_string())?;
    store.migrate().await.map_err(|e| e.to_string())?;
    let p = path.clone();
    let load = tokio::task::spawn_blocking(move || load_sqlite(&p, rows_for(rows)))
        .await
        .map_err(|e| e.to_string())?
        .map_err(|e| format!("bulk load: {e}"))?;
    let loaded = format!(
        "loaded in {:.1} s",
        (load.insert + load.index).as_secs_f64()
    );
    let conn = Arc::new(std::sync::Mutex::new(
        rusqlite::Connection::open(&path).map_err(|e| e.to_string())?,
    ));
    let tenant = example_org().tenant.id.as_str().to_owned();
    {
        let c = conn.lock().unwrap_or_else(|e| e.into_inner());
        let plan = |sql: &str| -> Result<String, String> {
            let mut st = c
                .prepare(&format!("EXPLAIN QUERY PLAN {sql}"))
                .map_err(|e| e.to_string())?;
            let lines = st
                .query_map([&tenant], |r| r.get::<_, String>(3))
                .map_err(|e| e.to_string())?
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| e.to_string())?;
            Ok(lines.join("; "))
        };
        let whole = plan(&sqlite_map(""))?;
        let boxed = plan(&sqlite_map(
            " AND west <= 29.06 AND east >= 29.02 AND south <= 41.06 AND north >= 41.02",
        ))?;
        eprintln!("  SQLite plans: whole map: {whole}; box: {boxed}");
        if !whole.contains("COVERING INDEX requests_map") || whole.contains("TEMP B-TREE") {
            return Err(format!(
                "SQLite: the whole map does not read requests_map alone: {whole}"
            ));
        }
        if !boxed.starts_with("SCAN request_places VIRTUAL TABLE") {
            return Err(format!(
                "SQLite: a box does not search the R*Tree first: {boxed}"
            ));
        }
    }
    let bare = move || {
        let (conn, tenant) = (conn.clone(), tenant.clone());
        async move {
            let c = conn.lock().unwrap_or_else(|e| e.into_inner());
            let mut st = c
                .prepare_cached(&sqlite_map(""))
                .map_err(|e| e.to_string())?;
            let mut rows = st.query([&tenant]).map_err(|e| e.to_string())?;
            let mut n = 0usize;
            while let Some(r) = rows.next().map_err(|e| e.to_string())? {
                let _: (String, String, String, Option<String>, String) = (
                    r.get(0).map_err(|e| e.to_string())?,
                    r.get(1).map_err(|e| e.to_string())?,
                    r.get(2).map_err(|e| e.to_string())?,
                    r.get(3).map_err(|e| e.to_string())?,
                    r.get(4).map_err(|e| e.to_string())?,
                );
                let _: (Option<i64>, i64, f64, f64) = (
                    r.get(5).map_err(|e| e.to_string())?,
                    r.get(6).map_err(|e| e.to_string())?,
                    r.get(7).map_err(|e| e.to_string())?,
                    r.get(8).map_err(|e| e.to_string())?,
                );
                n += 1;
            }
            Ok(n)
        }
    };
    let out = measure("SQLite", rows, reps, &loaded, store, bare).await;
    drop(dir);
    out
}

async fn postgres(rows: u64, reps: usize) -> Outcome {
    let name = format!("muhtar_bench_map_{rows}");
    let url = muhtar_benches::pg::fresh_database(&name)
        .await
        .map_err(|e| e.to_string())?;
    let store = PgStore::connect(&url).await.map_err(|e| e.to_string())?;
    store.migrate().await.map_err(|e| e.to_string())?;
    let load = load_postgres(store.pool(), rows_for(rows))
        .await
        .map_err(|e| format!("bulk load: {e}"))?;
    // As autovacuum leaves a settled table: all-visible, so the map is an index-only scan.
    sqlx::raw_sql("VACUUM (ANALYZE) requests")
        .execute(store.pool())
        .await
        .map_err(|e| e.to_string())?;
    let loaded = format!(
        "loaded in {:.1} s",
        (load.insert + load.index).as_secs_f64()
    );
    let pool = store.pool().clone();
    let tenant = example_org().tenant.id.as_str().to_owned();
    let plan = |sql: String| {
        let (pool, tenant) = (pool.clone(), tenant.clone());
        async move {
            let lines: Vec<String> = sqlx::query_scalar(&format!("EXPLAIN {sql}"))
                .bind(tenant)
                .fetch_all(&pool)
                .await
                .map_err(|e| e.to_string())?;
            Ok::<_, String>(lines.join(" / "))
        }
    };
    let whole = plan(pg_map("")).await?;
    let boxed = plan(pg_map(
        " AND place <@ box(point(29.02, 41.02), point(29.06, 41.06)) \
         AND lon BETWEEN 29.02 AND 29.06 AND lat BETWEEN 41.02 AND 41.06",
    ))
    .await?;
    eprintln!("  PostgreSQL plans: whole map: {whole}; box: {boxed}");
    if !whole.contains("Index Only Scan using requests_map_idx") || whole.contains("Sort") {
        return Err(format!(
            "PostgreSQL: the whole map is not an index-only scan: {whole}"
        ));
    }
    if !boxed.contains("requests_place_idx") {
        return Err(format!(
            "PostgreSQL: a box does not use the GiST index: {boxed}"
        ));
    }
    let bare = move || {
        let (pool, tenant) = (pool.clone(), tenant.clone());
        async move {
            let rows = sqlx::query(&pg_map(""))
                .bind(tenant)
                .fetch_all(&pool)
                .await
                .map_err(|e| e.to_string())?;
            // Every column decoded, as the store decodes them.
            for r in &rows {
                let _: (String, String, String, Option<String>, String) = (
                    r.try_get(0).map_err(|e| e.to_string())?,
                    r.try_get(1).map_err(|e| e.to_string())?,
                    r.try_get(2).map_err(|e| e.to_string())?,
                    r.try_get(3).map_err(|e| e.to_string())?,
                    r.try_get(4).map_err(|e| e.to_string())?,
                );
                let _: (Option<i64>, i16, f64, f64) = (
                    r.try_get(5).map_err(|e| e.to_string())?,
                    r.try_get(6).map_err(|e| e.to_string())?,
                    r.try_get(7).map_err(|e| e.to_string())?,
                    r.try_get(8).map_err(|e| e.to_string())?,
                );
            }
            Ok(rows.len())
        }
    };
    measure("PostgreSQL", rows, reps, &loaded, store, bare).await
}

async fn measure<S, B, BF>(
    label: &str,
    rows: u64,
    reps: usize,
    loaded: &str,
    store: S,
    mut bare: B,
) -> Outcome
where
    S: Store + 'static,
    B: FnMut() -> BF,
    BF: std::future::Future<Output = Result<usize, String>>,
{
    let err = |e: muhtar_core::service::ServiceError| e.to_string();
    let store: Arc<dyn Store> = Arc::new(store);
    // The example organisation and rules; then the service the router runs, its clock at
    // the data set's end (the older open requests are overdue).
    example_service(store.clone()).await.map_err(err)?;
    let now = spec(rows).until;
    let clock: Arc<dyn Clock> = Arc::new(ManualClock::new(now));
    let mbs = Mbs::new(store.clone(), clock, SeededRandom::new(22));
    let org = example_org();
    let tenant = org.tenant.id.clone();
    store
        .create_token(&ApiToken {
            id: uuid::Uuid::from_u128(22),
            tenant: tenant.clone(),
            actor: "coordinator".into(),
            name: "bench".into(),
            hash: hash_secret(TOKEN),
            created_at: now,
            revoked_at: None,
        })
        .await
        .map_err(|e| e.to_string())?;
    let state = muhtar_http::AppState::builder(mbs).build();
    let app = muhtar_http::router(state.clone());
    let all = "/api/v1/map/requests.geojson";

    // The answer, checked once.
    let (status, ctype, body) = get(&app, all, true).await?;
    let doc: serde_json::Value = serde_json::from_slice(&body).map_err(|e| e.to_string())?;
    let features = doc["features"].as_array().map_or(0, Vec::len);
    if status != StatusCode::OK || ctype != "application/geo+json" || features as u64 != rows {
        return Err(format!(
            "{label}: {all}: {status} {ctype}, {features} features of {rows}"
        ));
    }
    rfc7946::check(&doc)
        .map_err(|p| format!("{label}: not RFC 7946: {:?}", &p[..p.len().min(3)]))?;
    let mb = body.len() as f64 / 1e6;
    drop(doc);

    let endpoint = |path: String, token: bool| {
        let app = app.clone();
        move || {
            let (app, path) = (app.clone(), path.clone());
            async move {
                let (s, _, b) = get(&app, &path, token).await?;
                (s == StatusCode::OK)
                    .then_some(b.len())
                    .ok_or(format!("{path}: {s}"))
            }
        }
    };
    let staff = timed(reps, endpoint(all.into(), true)).await?;
    let public = timed(reps, endpoint(all.into(), false)).await?;
    let boxed_path = format!("{all}?bbox={BOX}");
    let (_, _, b) = get(&app, &boxed_path, true).await?;
    let in_box = serde_json::from_slice::<serde_json::Value>(&b).map_err(|e| e.to_string())?
        ["features"]
        .as_array()
        .map_or(0, Vec::len);
    let boxed = timed(reps, endpoint(boxed_path, true)).await?;
    let store = state.mbs.store().clone();
    let q = RequestQuery::default();
    let points = timed(reps, || {
        let (store, tenant, q) = (store.clone(), tenant.clone(), q.clone());
        async move {
            store
                .map_points(&tenant, &q, 100_001)
                .await
                .map_err(|e| e.to_string())
        }
    })
    .await?;
    let sql = timed(reps, &mut bare).await?;
    let pts: Vec<MapPoint> = points.2;
    let json = timed(reps, || {
        let (pts, org) = (&pts, &org);
        async move {
            let doc = requests_feature_collection(pts, org, now, Audience::Staff, false);
            serde_json::to_vec(&doc)
                .map(|v| v.len())
                .map_err(|e| e.to_string())
        }
    })
    .await?;
    if BBox::parse(BOX).is_err() || in_box == 0 || sql.2 as u64 != rows {
        return Err(format!("{label}: {in_box} in the box, {} read", sql.2));
    }
    let target = Duration::from_secs(1);
    let ceiling = sql.0 + json.0;
    println!(
        "map requests.geojson, {label}, {rows} located requests ({loaded}), {reps} runs: \
         GET all as the coordinator median {} (best {}), {features} features, {mb:.1} MB \
         (target < 1 s: {}); public (no token) median {}; bbox={BOX} ({in_box} features) \
         median {}; store map_points median {}; bare SQL read of the columns median {}; \
         features to JSON from memory median {}; ceiling (bare SQL + JSON) / endpoint: \
         ratio={:.2}",
        ms(staff.0),
        ms(staff.1),
        if staff.0 < target { "met" } else { "MISSED" },
        ms(public.0),
        ms(boxed.0),
        ms(points.0),
        ms(sql.0),
        ms(json.0),
        ceiling.as_secs_f64() / staff.0.as_secs_f64()
    );
    if staff.0 >= target {
        return Err(format!(
            "{label}: {all} median {} is not under 1 s",
            ms(staff.0)
        ));
    }
    Ok(())
}
