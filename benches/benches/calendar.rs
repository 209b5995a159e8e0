//! Business-day offsets through the public API.
#![allow(missing_docs)] // criterion_group! defines an undocumented `pub fn`

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use muhtar_benches::workload::deadline_pairs;
use muhtar_core::calendar::{Calendar, CalendarView, CountMode};
use std::hint::black_box;

fn business_days(c: &mut Criterion) {
    let cal = Calendar::new();
    let pairs = deadline_pairs(10_000, 20_158);
    let mut g = c.benchmark_group("calendar");
    g.throughput(Throughput::Elements(pairs.len() as u64));
    g.bench_function("add_business_days (legal, 10k pairs)", |b| {
        b.iter(|| {
            for &(d, n) in &pairs {
                black_box(cal.add_business_days(black_box(d), black_box(n)).ok());
            }
        })
    });
    let op = cal.business_days(CountMode::new(CalendarView::Operational, false));
    g.bench_function(
        "add_business_days (operational, half days off, 10k pairs)",
        |b| {
            b.iter(|| {
                for &(d, n) in &pairs {
                    black_box(op.add_business_days(black_box(d), black_box(n)).ok());
                }
            })
        },
    );
    let legal = cal.business_days(CountMode::LEGAL);
    g.bench_function("working_days_between (10k pairs)", |b| {
        b.iter(|| {
            for &(d, n) in &pairs {
                let to = d + chrono::Duration::days(i64::from(n));
                black_box(legal.working_days_between(d, to).ok());
            }
        })
    });
    g.finish();
    c.bench_function("Calendar::new (index build)", |b| b.iter(Calendar::new));
}

criterion_group!(benches, business_days);
criterion_main!(benches);
