//! Routing: decisions per second, the category index vs naive first-match evaluation.

use std::time::Duration;

use muhtar_benches::workload::{example_org, example_rules, generated_rules, request_contents};
use muhtar_core::org::Organisation;
use muhtar_core::request::RequestContent;
use muhtar_core::routing::{Decision, RuleSet};

use crate::{best_of, per_sec, rate, Opts, Outcome};

fn decide_all(
    rules: &RuleSet,
    org: &Organisation,
    reqs: &[RequestContent],
    f: fn(&RuleSet, &Organisation, &RequestContent) -> Decision,
) -> Vec<Decision> {
    reqs.iter().map(|r| f(rules, org, r)).collect()
}

/// Both ways on the same requests, best of `runs`.
fn compare(
    name: &str,
    rules: &RuleSet,
    org: &Organisation,
    reqs: &[RequestContent],
    runs: usize,
) -> Outcome {
    let (t_index, indexed) = best_of(runs, || decide_all(rules, org, reqs, RuleSet::decide));
    let (t_naive, naive) = best_of(runs, || decide_all(rules, org, reqs, RuleSet::decide_naive));
    let same = indexed
        .iter()
        .zip(&naive)
        .filter(|(a, b)| a.unit == b.unit && a.rule == b.rule)
        .count();
    if same != reqs.len() {
        return Err(format!(
            "{name}: {same} of {} decisions agree with first-match",
            reqs.len()
        ));
    }
    let fallback = indexed
        .iter()
        .filter(|d| d.rule == muhtar_core::routing::FALLBACK_RULE)
        .count();
    let n = reqs.len() as u64;
    let (a, b) = (per_sec(n, t_index), per_sec(n, t_naive));
    println!(
        "routing {name}: {n} requests ({fallback} to the fallback), {same}/{n} decisions equal; \
         indexed RuleSet::decide {} ({}/decision); naive first-match decide_naive {} ({}/decision); ratio={:.2}",
        rate(a),
        micros(t_index, n),
        rate(b),
        micros(t_naive, n),
        a / b
    );
    Ok(())
}

fn micros(d: Duration, n: u64) -> String {
    format!("{:.2} µs", d.as_secs_f64() * 1e6 / n as f64)
}

pub fn run(opts: &Opts) -> Outcome {
    let org = example_org();
    let runs = if opts.quick { 3 } else { 5 };
    let reqs = request_contents(&org, if opts.quick { 20_000 } else { 100_000 }, 4);
    let rules = example_rules(&org);
    compare(
        &format!("example set ({} rules)", rules.len()),
        &rules,
        &org,
        &reqs,
        runs,
    )?;
    let big = generated_rules(&org, 10_000);
    // Naive evaluation of 10,000 rules takes milliseconds per request: fewer requests.
    let reqs = &reqs[..if opts.quick { 300 } else { 3_000 }];
    compare(
        &format!("generated set ({} rules)", big.len()),
        &big,
        &org,
        reqs,
        runs.min(3),
    )
}
