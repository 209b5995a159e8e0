//! The bulk-loaded data sets of the queue and report sections, shared by both and kept
//! between runs: loading 10M requests takes minutes, measuring them takes seconds.
//!
//! A data set is identified by its size and [`GENERATION`] (bumped whenever the bulk
//! generator or the schema it fills changes). PostgreSQL keeps it in the database
//! `muhtar_bench_data_<rows>`; SQLite in `data-<rows>.db` under `MUHTAR_BENCH_DIR` (when
//! that is not set, in a temporary directory shared by the sections of one run). Each records what it holds in a
//! table `bench_dataset`; a data set whose record does not match is loaded again, and
//! `MUHTAR_BENCH_FRESH=1` always reloads.

use std::path::PathBuf;

use muhtar_benches::bulk::{load_postgres, load_sqlite, LoadReport};
use muhtar_store_postgres::PgStore;
use muhtar_store_sqlite::{SqliteOptions, SqliteStore};

use crate::queue::rows_for;

/// Version of the generated data; part of the record in `bench_dataset`.
const GENERATION: i64 = 2;

fn fresh_requested() -> bool {
    std::env::var("MUHTAR_BENCH_FRESH").as_deref() == Ok("1")
}

/// How a data set came to be there.
pub enum Loaded {
    /// Loaded in this run.
    Now(LoadReport),
    /// Kept from an earlier run.
    Kept,
}

impl Loaded {
    /// For the output lines: how long the load took, or that the data set was kept.
    pub fn describe(&self) -> String {
        match self {
            Loaded::Now(l) => format!(
                "loaded in {:.1} s + {:.1} s indexes",
                l.insert.as_secs_f64(),
                l.index.as_secs_f64()
            ),
            Loaded::Kept => "data set kept from an earlier run".into(),
        }
    }
}

/// The PostgreSQL data set of `rows` requests, migrated to the current schema.
pub async fn postgres(rows: u64) -> Result<(PgStore, Loaded), String> {
    let name = format!("muhtar_bench_data_{rows}");
    let url = muhtar_benches::pg::url(&name);
    if !fresh_requested() {
        if let Ok(store) = PgStore::connect(&url).await {
            let held: Option<(i64, i64)> =
                sqlx::query_as("SELECT rows, generation FROM bench_dataset")
                    .fetch_optional(store.pool())
                    .await
                    .ok()
                    .flatten();
            if held == Some((rows as i64, GENERATION)) {
                store.migrate().await.map_err(|e| e.to_string())?;
                eprintln!(
                    "  PostgreSQL data set of {rows} requests kept from an earlier run ({name})"
                );
                return Ok((store, Loaded::Kept));
            }
            store.pool().close().await;
        }
    }
    let url = muhtar_benches::pg::fresh_database(&name)
        .await
        .map_err(|e| e.to_string())?;
    let store = PgStore::connect(&url).await.map_err(|e| e.to_string())?;
    store.migrate().await.map_err(|e| e.to_string())?;
    eprintln!("  loading {rows} requests into PostgreSQL ({name}) ...");
    let load = load_postgres(store.pool(), rows_for(rows))
        .await
        .map_err(|e| format!("bulk load: {e}"))?;
    sqlx::query("CREATE TABLE bench_dataset (rows bigint NOT NULL, generation bigint NOT NULL)")
        .execute(store.pool())
        .await
        .map_err(|e| e.to_string())?;
    sqlx::query("INSERT INTO bench_dataset VALUES ($1, $2)")
        .bind(rows as i64)
        .bind(GENERATION)
        .execute(store.pool())
        .await
        .map_err(|e| e.to_string())?;
    Ok((store, Loaded::Now(load)))
}

/// The directory of the SQLite data sets: `MUHTAR_BENCH_DIR`, or one temporary directory
/// for the whole run (removed at exit), so the queue and report sections share a size.
fn sqlite_dir() -> Result<PathBuf, String> {
    static TEMP: std::sync::OnceLock<tempfile::TempDir> = std::sync::OnceLock::new();
    if let Some(d) = std::env::var_os("MUHTAR_BENCH_DIR") {
        return Ok(PathBuf::from(d));
    }
    if TEMP.get().is_none() {
        let t = tempfile::tempdir().map_err(|e| e.to_string())?;
        let _ = TEMP.set(t);
    }
    Ok(TEMP.get().map(|t| t.path().to_owned()).unwrap_or_default())
}

/// The SQLite data set of `rows` requests: the store on it and the file.
pub async fn sqlite(rows: u64) -> Result<(SqliteStore, PathBuf, Loaded), String> {
    let path = sqlite_dir()?.join(format!("data-{rows}.db"));
    if !fresh_requested() && path.exists() {
        let held: Option<(i64, i64)> = rusqlite::Connection::open(&path)
            .and_then(|c| {
                c.query_row("SELECT rows, generation FROM bench_dataset", [], |r| {
                    Ok((r.get(0)?, r.get(1)?))
                })
            })
            .ok();
        if held == Some((rows as i64, GENERATION)) {
            let store = SqliteStore::open(path.as_os_str(), SqliteOptions::default())
                .await
                .map_err(|e| e.to_string())?;
            store.migrate().await.map_err(|e| e.to_string())?;
            eprintln!(
                "  SQLite data set of {rows} requests kept from an earlier run ({})",
                path.display()
            );
            return Ok((store, path, Loaded::Kept));
        }
    }
    for suffix in ["", "-wal", "-shm"] {
        let mut p = path.clone().into_os_string();
        p.push(suffix);
        let _ = std::fs::remove_file(p);
    }
    let store = SqliteStore::open(path.as_os_str(), SqliteOptions::default())
        .await
        .map_err(|e| e.to_string())?;
    store.migrate().await.map_err(|e| e.to_string())?;
    eprintln!(
        "  loading {rows} requests into SQLite ({}) ...",
        path.display()
    );
    let p = path.clone();
    let load = tokio::task::spawn_blocking(move || -> rusqlite::Result<LoadReport> {
        let load = load_sqlite(&p, rows_for(rows))?;
        let c = rusqlite::Connection::open(&p)?;
        c.execute_batch(&format!(
            "CREATE TABLE bench_dataset (rows INTEGER NOT NULL, generation INTEGER NOT NULL);
             INSERT INTO bench_dataset VALUES ({rows}, {GENERATION});"
        ))?;
        Ok(load)
    })
    .await
    .map_err(|e| e.to_string())?
    .map_err(|e| format!("bulk load: {e}"))?;
    Ok((store, path, Loaded::Now(load)))
}
