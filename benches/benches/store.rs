//! Store submit throughput: `Mbs::submit` on the in-memory store (the façade's own cost),
//! the SQLite store (file, WAL) and, when the server of `MUHTAR_BENCH_PG` (default the
//! local one) answers, PostgreSQL. The side-by-side ceilings are in `compare`.
#![allow(missing_docs)] // criterion_group! defines an undocumented `pub fn`

use std::sync::atomic::{AtomicUsize, Ordering};

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use muhtar_benches::workload::{example_org, example_service, new_requests, submitter};
use muhtar_core::clock::ManualClock;
use muhtar_core::request::NewRequest;
use muhtar_core::service::Mbs;
use muhtar_core::store::Store;

fn bench_submit<S: Store>(
    c: &mut Criterion,
    rt: &tokio::runtime::Runtime,
    name: &str,
    mbs: &Mbs<S, ManualClock>,
    reqs: &[NewRequest],
) {
    let org = example_org();
    let next = AtomicUsize::new(0);
    let mut g = c.benchmark_group("store");
    g.throughput(Throughput::Elements(1));
    g.bench_function(format!("Mbs::submit, {name}"), |b| {
        b.iter(|| {
            let r = reqs[next.fetch_add(1, Ordering::Relaxed) % reqs.len()].clone();
            rt.block_on(mbs.submit(&submitter(&org, &r), r))
                .expect("submitted")
        })
    });
    g.finish();
}

fn store(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let reqs = new_requests(&example_org(), 1_000, 9);

    let memory = rt
        .block_on(example_service(muhtar_core::testkit::MemoryStore::default()))
        .expect("installed");
    bench_submit(c, &rt, "in-memory store", &memory, &reqs);

    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path().join("bench.db");
    let sqlite = rt
        .block_on(async {
            let s = muhtar_store_sqlite::SqliteStore::open(path.as_os_str(), Default::default())
                .await
                .expect("opened");
            s.migrate().await.expect("migrated");
            example_service(s).await
        })
        .expect("installed");
    bench_submit(c, &rt, "SQLite (file, WAL)", &sqlite, &reqs);

    let pg = rt.block_on(async {
        let url = muhtar_benches::pg::fresh_database("muhtar_bench_criterion")
            .await
            .ok()?;
        let s = muhtar_store_postgres::PgStore::connect(&url).await.ok()?;
        s.migrate().await.ok()?;
        example_service(s).await.ok()
    });
    match pg {
        Some(pg) => bench_submit(c, &rt, "PostgreSQL", &pg, &reqs),
        None => eprintln!("PostgreSQL not reachable: its submit benchmark is skipped"),
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20);
    targets = store
}
criterion_main!(benches);
