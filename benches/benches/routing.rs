//! Routing decisions per second: the example rule set and a generated 10,000-rule set.
#![allow(missing_docs)] // criterion_group! defines an undocumented `pub fn`

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use muhtar_benches::workload::{example_org, example_rules, generated_rules, request_contents};
use std::hint::black_box;

fn routing(c: &mut Criterion) {
    let org = example_org();
    let reqs = request_contents(&org, 1_000, 4);
    let sets = [
        ("example set", example_rules(&org)),
        ("10,000 rules", generated_rules(&org, 10_000)),
    ];
    let mut g = c.benchmark_group("routing");
    g.throughput(Throughput::Elements(reqs.len() as u64));
    g.sample_size(10);
    for (name, rules) in &sets {
        g.bench_function(format!("decide, {name} (1k requests)"), |b| {
            b.iter(|| {
                for r in &reqs {
                    black_box(rules.decide(&org, black_box(r)));
                }
            })
        });
    }
    let (name, rules) = &sets[0];
    g.bench_function(format!("decide_naive, {name} (1k requests)"), |b| {
        b.iter(|| {
            for r in &reqs {
                black_box(rules.decide_naive(&org, black_box(r)));
            }
        })
    });
    g.finish();
}

criterion_group!(benches, routing);
criterion_main!(benches);
