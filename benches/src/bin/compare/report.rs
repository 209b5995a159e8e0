//! Quarterly report: `Mbs::report` (the store's aggregation and the report built from it)
//! for the last quarter of a bulk-loaded data set, at two sizes on both stores, and how
//! the time grows with the size.

use std::time::{Duration, Instant};

use muhtar_benches::bulk::{load_postgres, load_sqlite};
use muhtar_benches::workload::{example_org, example_service};
use muhtar_core::access::Actor;
use muhtar_core::clock::ManualClock;
use muhtar_core::report::Quarter;
use muhtar_core::service::Mbs;
use muhtar_core::store::Store;
use muhtar_store_postgres::PgStore;
use muhtar_store_sqlite::{SqliteOptions, SqliteStore};

use crate::queue::rows_for;
use crate::{Opts, Outcome};

/// Timed runs (after one warm-up).
const REPS: usize = 5;

/// The median time of the whole tenant's report of 2025Q4 (the data set's last quarter).
async fn report_time<S: Store + 'static>(mbs: &Mbs<S, ManualClock>) -> Result<Duration, String> {
    let org = example_org();
    let actor = Actor::parse(&org.tenant.id, "coordinator").map_err(|e| e.to_string())?;
    let quarter = Quarter::new(2025, 4).map_err(|e| e.to_string())?;
    let mut times = Vec::new();
    for i in 0..=REPS {
        let t = Instant::now();
        mbs.report(&actor, quarter, None)
            .await
            .map_err(|e| format!("report: {e}"))?;
        if i > 0 {
            times.push(t.elapsed());
        }
    }
    times.sort();
    Ok(times[REPS / 2])
}

fn line(store: &str, sizes: &[u64], times: &[Duration]) {
    let parts: Vec<String> = sizes
        .iter()
        .zip(times)
        .map(|(n, t)| format!("{n} requests {:.1} ms", t.as_secs_f64() * 1e3))
        .collect();
    let growth = times[1].as_secs_f64() / times[0].as_secs_f64();
    println!(
        "report {store}: quarter 2025Q4, whole tenant, Mbs::report median: {}; {:.0}x the rows took {growth:.1}x the time; ratio={growth:.2}",
        parts.join(", "),
        sizes[1] as f64 / sizes[0] as f64
    );
}

pub async fn run(opts: &Opts) -> Outcome {
    let sizes: [u64; 2] = opts.report_rows.unwrap_or(if opts.quick {
        [20_000, 200_000]
    } else {
        [1_000_000, 10_000_000]
    });
    if opts.named("report") || opts.named("report-sqlite") {
        let mut times = Vec::new();
        for rows in sizes {
            let dir = match std::env::var_os("MUHTAR_BENCH_DIR") {
                Some(d) => tempfile::tempdir_in(d),
                None => tempfile::tempdir(),
            }
            .map_err(|e| e.to_string())?;
            let path = dir.path().join("report.db");
            let store = SqliteStore::open(path.as_os_str(), SqliteOptions::default())
                .await
                .map_err(|e| e.to_string())?;
            store.migrate().await.map_err(|e| e.to_string())?;
            let mbs = example_service(store).await.map_err(|e| e.to_string())?;
            eprintln!("  loading {rows} requests into SQLite ...");
            let p = path.clone();
            tokio::task::spawn_blocking(move || load_sqlite(&p, rows_for(rows)))
                .await
                .map_err(|e| e.to_string())?
                .map_err(|e| format!("bulk load: {e}"))?;
            times.push(report_time(&mbs).await?);
        }
        line("SQLite", &sizes, &times);
    }
    if opts.named("report") || opts.named("report-postgres") {
        let mut times = Vec::new();
        for rows in sizes {
            let url = muhtar_benches::pg::fresh_database("muhtar_bench_report")
                .await
                .map_err(|e| e.to_string())?;
            let store = PgStore::connect(&url).await.map_err(|e| e.to_string())?;
            store.migrate().await.map_err(|e| e.to_string())?;
            let pool = store.pool().clone();
            let mbs = example_service(store).await.map_err(|e| e.to_string())?;
            eprintln!("  loading {rows} requests into PostgreSQL ...");
            load_postgres(&pool, rows_for(rows))
                .await
                .map_err(|e| format!("bulk load: {e}"))?;
            times.push(report_time(&mbs).await?);
        }
        line("PostgreSQL", &sizes, &times);
    }
    Ok(())
}
