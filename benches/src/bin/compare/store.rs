//! Store throughput: `Mbs::submit` (routing, deadline, events, outbox, one transaction
//! each) with 1 and 8 concurrent clients, against the ceiling of the same database doing
//! the same transactions with nothing around them: a bare rusqlite loop, and `pgbench`
//! with an equivalent script.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use muhtar_benches::workload::{example_org, example_service, new_requests, submitter};
use muhtar_core::clock::ManualClock;
use muhtar_core::request::NewRequest;
use muhtar_core::service::Mbs;
use muhtar_core::store::Store;
use muhtar_store_postgres::PgStore;
use muhtar_store_sqlite::{SqliteOptions, SqliteStore};
use rusqlite::types::Value;

use crate::{per_sec, rate, Opts, Outcome};

const CLIENTS: [usize; 2] = [1, 8];
/// Alternating rounds per configuration (the best of each side counts).
const ROUNDS: usize = 3;

/// Submits from `clients` concurrent tasks for `secs`; returns how many succeeded and
/// the time they took.
async fn submit_for<S: Store + 'static>(
    mbs: Arc<Mbs<S, ManualClock>>,
    reqs: Arc<Vec<NewRequest>>,
    clients: usize,
    secs: Duration,
) -> Result<(u64, Duration), String> {
    let org = example_org();
    let next = Arc::new(AtomicUsize::new(0));
    let start = Instant::now();
    let end = start + secs;
    let mut tasks = Vec::new();
    for _ in 0..clients {
        let (mbs, reqs, next, org) = (mbs.clone(), reqs.clone(), next.clone(), org.clone());
        tasks.push(tokio::spawn(async move {
            let mut done = 0u64;
            while Instant::now() < end {
                let r = reqs[next.fetch_add(1, Ordering::Relaxed) % reqs.len()].clone();
                mbs.submit(&submitter(&org, &r), r)
                    .await
                    .map_err(|e| format!("submit: {e}"))?;
                done += 1;
            }
            Ok::<u64, String>(done)
        }));
    }
    let mut total = 0;
    for t in tasks {
        total += t.await.map_err(|e| e.to_string())??;
    }
    Ok((total, start.elapsed()))
}

fn line(store: &str, clients: usize, ours: f64, ceiling_name: &str, ceiling: f64) {
    println!(
        "store {store}, {clients} client{}: Mbs::submit {}; {ceiling_name} {}; ratio={:.2}",
        if clients == 1 { "" } else { "s" },
        rate(ours),
        rate(ceiling),
        ours / ceiling
    );
}

pub async fn run(opts: &Opts) -> Outcome {
    let secs = Duration::from_secs(if opts.quick { 2 } else { 10 });
    let reqs = Arc::new(new_requests(&example_org(), 10_000, 9));
    // The façade's own cost, without a database: the in-memory store of the testkit.
    let memory = Arc::new(
        example_service(muhtar_core::testkit::MemoryStore::default())
            .await
            .map_err(|e| e.to_string())?,
    );
    let (n, d) = submit_for(memory, reqs.clone(), 1, secs).await?;
    eprintln!(
        "  Mbs::submit on the in-memory store (no I/O), 1 client: {}",
        rate(per_sec(n, d))
    );
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    if opts.named("store") || opts.named("store-sqlite") {
        sqlite(
            &dir.path().join("store.db"),
            &dir.path().join("ceiling.db"),
            reqs.clone(),
            secs,
        )
        .await?;
    }
    if opts.named("store") || opts.named("store-postgres") {
        postgres(reqs, secs).await?;
    }
    Ok(())
}

// ------------------------------------------------------------------------------------
// SQLite

async fn sqlite(
    path: &Path,
    ceiling_path: &Path,
    reqs: Arc<Vec<NewRequest>>,
    secs: Duration,
) -> Outcome {
    let open = |p: PathBuf| async move {
        let s = SqliteStore::open(p.as_os_str(), SqliteOptions::default())
            .await
            .map_err(|e| e.to_string())?;
        s.migrate().await.map_err(|e| e.to_string())?;
        Ok::<_, String>(s)
    };
    let store = open(path.to_owned()).await?;
    // The ceiling's file gets the same schema from the same migrations.
    drop(open(ceiling_path.to_owned()).await?);
    let mbs = Arc::new(example_service(store).await.map_err(|e| e.to_string())?);
    let mut sample = None;
    for clients in CLIENTS {
        let (mut ours, mut ceiling) = (0f64, 0f64);
        // Alternate, and keep the best of each: the disk's flush time drifts with the
        // other work on the machine.
        for _ in 0..ROUNDS {
            let (n, d) = submit_for(mbs.clone(), reqs.clone(), clients, secs).await?;
            ours = ours.max(per_sec(n, d));
            let s = match &sample {
                Some(s) => s,
                None => sample.insert(Arc::new(
                    SqliteSample::read(path).map_err(|e| e.to_string())?,
                )),
            }
            .clone();
            let p = path.to_owned();
            let c = tokio::task::spawn_blocking(move || s.ceiling(&p, clients, secs))
                .await
                .map_err(|e| e.to_string())?
                .map_err(|e| e.to_string())?;
            eprintln!(
                "  sqlite {clients} client(s): Mbs {} ceiling {}",
                rate(per_sec(n, d)),
                rate(c)
            );
            ceiling = ceiling.max(c);
        }
        line(
            "SQLite (file, WAL)",
            clients,
            ours,
            "bare rusqlite loop, same rows and transactions",
            ceiling,
        );
    }
    Ok(())
}

/// One request's rows as the store wrote them: `requests`, its `events`, its `outbox`.
struct SqliteSample {
    tables: Vec<(String, Vec<String>, Vec<Vec<Value>>)>,
    /// The next copy's number (ids and keys stay unique across runs).
    next: AtomicUsize,
}

impl SqliteSample {
    fn read(path: &Path) -> rusqlite::Result<SqliteSample> {
        let conn = rusqlite::Connection::open(path)?;
        let id: String = conn.query_row("SELECT id FROM requests LIMIT 1", [], |r| r.get(0))?;
        let mut tables = Vec::new();
        for (table, key) in [
            ("requests", "id"),
            ("events", "request_id"),
            ("outbox", "request_id"),
        ] {
            let mut st = conn.prepare(&format!("SELECT * FROM {table} WHERE {key} = ?1"))?;
            let cols: Vec<String> = st.column_names().into_iter().map(str::to_owned).collect();
            let rows = st
                .query_map([&id], |r| {
                    (0..cols.len()).map(|i| r.get::<_, Value>(i)).collect()
                })?
                .collect::<Result<Vec<Vec<Value>>, _>>()?;
            tables.push((table.to_owned(), cols, rows));
        }
        Ok(SqliteSample {
            tables,
            next: AtomicUsize::new(0),
        })
    }

    /// Commits copies of the sample (fresh id, tracking number, outbox ids and keys) for
    /// `secs` from `clients` threads sharing one connection (SQLite has one writer), with
    /// the store's connection settings and its commit's statements; returns commits/s.
    fn ceiling(&self, path: &Path, clients: usize, secs: Duration) -> rusqlite::Result<f64> {
        let conn = rusqlite::Connection::open(path)?;
        conn.pragma_update(None, "foreign_keys", true)?;
        conn.busy_timeout(Duration::from_secs(5))?;
        let _: String = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
        let conn = Arc::new(Mutex::new(conn));
        let counter = Arc::new(AtomicUsize::new(0));
        let next = &self.next;
        let start = Instant::now();
        let end = start + secs;
        std::thread::scope(|s| {
            let mut handles = Vec::new();
            for _ in 0..clients {
                let (conn, counter) = (conn.clone(), counter.clone());
                handles.push(s.spawn(move || -> rusqlite::Result<()> {
                    while Instant::now() < end {
                        let k = next.fetch_add(1, Ordering::Relaxed);
                        counter.fetch_add(1, Ordering::Relaxed);
                        let mut c = conn.lock().unwrap_or_else(|e| e.into_inner());
                        self.commit_copy(&mut c, k)?;
                    }
                    Ok(())
                }));
            }
            for h in handles {
                h.join().expect("a ceiling thread")?;
            }
            Ok::<(), rusqlite::Error>(())
        })?;
        Ok(per_sec(
            counter.load(Ordering::Relaxed) as u64,
            start.elapsed(),
        ))
    }

    fn commit_copy(&self, conn: &mut rusqlite::Connection, k: usize) -> rusqlite::Result<()> {
        let id = uuid::Uuid::from_u128(0x0190_0000_0000_7000_8000_0000_0000_0000 | k as u128)
            .hyphenated()
            .to_string();
        let tracking = format!("C{k:010}");
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let (tenant, _) = (self.tables[0].2[0][0].clone(), ());
        // The store's checks: the version, then the tracking number.
        tx.prepare_cached("SELECT version FROM requests WHERE tenant = ?1 AND id = ?2")?
            .query([tenant.clone(), Value::Text(id.clone())])?
            .next()?;
        tx.prepare_cached("SELECT id FROM requests WHERE tenant = ?1 AND tracking = ?2")?
            .query([tenant, Value::Text(tracking.clone())])?
            .next()?;
        for (table, cols, rows) in &self.tables {
            let sql = format!(
                "INSERT INTO {table} ({}) VALUES ({})",
                cols.join(", "),
                (1..=cols.len())
                    .map(|i| format!("?{i}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            let mut st = tx.prepare_cached(&sql)?;
            for (j, row) in rows.iter().enumerate() {
                let vals: Vec<Value> = cols
                    .iter()
                    .zip(row)
                    .map(|(c, v)| match (table.as_str(), c.as_str()) {
                        ("requests", "id") | (_, "request_id") => Value::Text(id.clone()),
                        ("requests", "tracking") => Value::Text(tracking.clone()),
                        ("outbox", "id") => Value::Text(format!("{id}-{j}")),
                        ("outbox", "idempotency_key") => Value::Text(format!("{id}:{j}")),
                        _ => v.clone(),
                    })
                    .collect();
                st.execute(rusqlite::params_from_iter(vals))?;
            }
        }
        tx.commit()
    }
}

// ------------------------------------------------------------------------------------
// PostgreSQL

async fn postgres(reqs: Arc<Vec<NewRequest>>, secs: Duration) -> Outcome {
    let pgbench = pgbench()?;
    let url = muhtar_benches::pg::fresh_database("muhtar_bench_store")
        .await
        .map_err(|e| e.to_string())?;
    let store = PgStore::connect(&url).await.map_err(|e| e.to_string())?;
    store.migrate().await.map_err(|e| e.to_string())?;
    let pool = store.pool().clone();
    let mbs = Arc::new(example_service(store).await.map_err(|e| e.to_string())?);
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let file = dir.path().join("submit.sql");
    let mut script = None;
    for clients in CLIENTS {
        let (mut ours, mut ceiling) = (0f64, 0f64);
        for _ in 0..ROUNDS {
            let (n, d) = submit_for(mbs.clone(), reqs.clone(), clients, secs).await?;
            ours = ours.max(per_sec(n, d));
            if script.is_none() {
                let text = pg_script(&pool).await.map_err(|e| e.to_string())?;
                std::fs::write(&file, &text).map_err(|e| e.to_string())?;
                script = Some(text);
            }
            let c = pgbench_tps(&pgbench, &file, &url, clients, secs)?;
            eprintln!(
                "  postgres {clients} client(s): Mbs {} pgbench {}",
                rate(per_sec(n, d)),
                rate(c)
            );
            ceiling = ceiling.max(c);
        }
        line(
            "PostgreSQL",
            clients,
            ours,
            "pgbench -M prepared, same rows and statements",
            ceiling,
        );
    }
    Ok(())
}

/// Runs the script for `secs` from `clients` connections; returns pgbench's tps.
fn pgbench_tps(
    pgbench: &str,
    file: &Path,
    url: &str,
    clients: usize,
    secs: Duration,
) -> Result<f64, String> {
    let out = Command::new(pgbench)
        .args(["-n", "-M", "prepared", "-f"])
        .arg(file)
        .args([
            "-c",
            &clients.to_string(),
            "-j",
            &clients.min(2).to_string(),
        ])
        .args(["-T", &secs.as_secs().to_string()])
        .arg(url)
        .output()
        .map_err(|e| format!("cannot run {pgbench}: {e}"))?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    stdout
        .lines()
        .find(|l| l.starts_with("tps = "))
        .and_then(|l| l["tps = ".len()..].split_whitespace().next())
        .and_then(|t| t.parse::<f64>().ok())
        .ok_or_else(|| {
            format!(
                "pgbench gave no tps: {stdout}{}",
                String::from_utf8_lossy(&out.stderr)
            )
        })
}

/// `pgbench` from PATH or the PostgreSQL installation.
fn pgbench() -> Result<String, String> {
    if Command::new("pgbench")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
    {
        return Ok("pgbench".into());
    }
    let mut found: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .map_err(|_| "pgbench not found (no /usr/lib/postgresql)".to_owned())?
        .filter_map(|e| e.ok())
        .map(|e| e.path().join("bin/pgbench"))
        .filter(|p| p.exists())
        .collect();
    found.sort();
    found
        .pop()
        .map(|p| p.display().to_string())
        .ok_or_else(|| "pgbench not found in PATH or /usr/lib/postgresql/*/bin".into())
}

/// The pgbench script: one request's rows as `Mbs::submit` wrote them are kept in
/// template tables, and each transaction makes the store's statements with them under a
/// fresh id, tracking number and outbox keys: the version check (`FOR UPDATE`), the
/// tracking check, the request row, each event, each outbox row.
async fn pg_script(pool: &sqlx::PgPool) -> Result<String, sqlx::Error> {
    let id: uuid::Uuid = sqlx::query_scalar("SELECT id FROM requests LIMIT 1")
        .fetch_one(pool)
        .await?;
    let tenant: String = sqlx::query_scalar("SELECT tenant FROM requests LIMIT 1")
        .fetch_one(pool)
        .await?;
    let mut script = String::from(
        "BEGIN;\nSELECT gen_random_uuid() AS rid, upper(substr(md5(random()::text), 1, 11)) AS trk \\gset\n",
    );
    script.push_str(&format!(
        "SELECT version FROM requests WHERE tenant = '{tenant}' AND id = :rid::uuid FOR UPDATE;\n\
         SELECT id FROM requests WHERE tenant = '{tenant}' AND tracking = :trk::text;\n"
    ));
    for (table, key) in [
        ("requests", "id"),
        ("events", "request_id"),
        ("outbox", "request_id"),
    ] {
        sqlx::query(&format!("DROP TABLE IF EXISTS tmpl_{table}"))
            .execute(pool)
            .await?;
        sqlx::query(&format!(
            "CREATE TABLE tmpl_{table} AS SELECT row_number() OVER () AS tmpl_row, * \
             FROM {table} WHERE {key} = $1"
        ))
        .bind(id)
        .execute(pool)
        .await?;
        let cols: Vec<String> = sqlx::query_scalar(
            "SELECT column_name::text FROM information_schema.columns \
             WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position",
        )
        .bind(table)
        .fetch_all(pool)
        .await?;
        let rows: i64 = sqlx::query_scalar(&format!("SELECT count(*) FROM tmpl_{table}"))
            .fetch_one(pool)
            .await?;
        let select: Vec<String> = cols
            .iter()
            .map(|c| match (table, c.as_str()) {
                ("requests", "id") | (_, "request_id") => ":rid::uuid".to_owned(),
                ("requests", "tracking") => ":trk::text".to_owned(),
                ("outbox", "id") => "gen_random_uuid()".to_owned(),
                ("outbox", "idempotency_key") => "idempotency_key || :rid::text".to_owned(),
                _ => c.clone(),
            })
            .collect();
        let conflict = if table == "outbox" {
            " ON CONFLICT (idempotency_key) DO NOTHING"
        } else {
            ""
        };
        for r in 1..=rows {
            script.push_str(&format!(
                "INSERT INTO {table} ({}) SELECT {} FROM tmpl_{table} WHERE tmpl_row = {r}{conflict};\n",
                cols.join(", "),
                select.join(", ")
            ));
        }
    }
    script.push_str("COMMIT;\n");
    Ok(script)
}
