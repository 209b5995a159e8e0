//! Quarterly report: `Mbs::report` (the store's aggregation and the report built from it)
//! for the last quarter of a bulk-loaded data set, at two sizes on both stores, and how
//! the time grows with the size.

use std::time::{Duration, Instant};

use muhtar_benches::workload::{example_org, example_service};
use muhtar_core::access::Actor;
use muhtar_core::clock::ManualClock;
use muhtar_core::report::Quarter;
use muhtar_core::service::Mbs;
use muhtar_core::store::Store;

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
        [10_000, 100_000]
    } else {
        [1_000_000, 10_000_000]
    });
    if opts.named("report") || opts.named("report-sqlite") {
        let mut times = Vec::new();
        for rows in sizes {
            let (store, _path, _load) = crate::data::sqlite(rows).await?;
            let mbs = example_service(store).await.map_err(|e| e.to_string())?;
            times.push(report_time(&mbs).await?);
        }
        line("SQLite", &sizes, &times);
    }
    if opts.named("report") || opts.named("report-postgres") {
        let mut times = Vec::new();
        for rows in sizes {
            let (store, _load) = crate::data::postgres(rows).await?;
            let mbs = example_service(store).await.map_err(|e| e.to_string())?;
            times.push(report_time(&mbs).await?);
        }
        line("PostgreSQL", &sizes, &times);
    }
    Ok(())
}
