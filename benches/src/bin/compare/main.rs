//! `compare`: the side-by-side comparisons of issue 10, in one run.
//!
//! ```text
//! cargo run --release -p muhtar-benches --bin compare -- [--quick] [--only NAME,...] [--queue-rows N]
//!     [--report-rows A,B]
//! ```
//!
//! Prints one line per comparison on stdout, ending in `ratio=<number>`; progress and
//! details go to stderr. Sections (`--only`): `deadlines` (vs numpy `busday_offset`),
//! `routing` (indexed vs naive first-match), `store` (`Mbs::submit` vs a bare rusqlite loop
//! and `pgbench`; `store-sqlite` and `store-postgres` run one half), `queue` (a unit's queue at 10 million requests, with the plan checked; `queue-sqlite` and
//! `queue-postgres` run one half), `report` (the quarterly report at 1 and 10 million
//! requests; `report-sqlite`, `report-postgres`), `web` (the unit queue page `/kuyruk`
//! over 10,000 open requests through the router, p95, against the JSON queue endpoint),
//! `map` (`GET /api/v1/map/requests.geojson` over 100,000 located requests, under 1 s,
//! against the bare SQL read plus JSON writing; `map-sqlite`, `map-postgres`).
//! `--quick` uses smaller sizes and finishes in under two minutes. A failed check (an
//! answer that differs from numpy's, a plan with a sequential scan) exits non-zero.
//! See BENCHMARKS.md.

mod data;
mod deadlines;
mod map;
mod queue;
mod report;
mod routing;
mod store;
mod web;

use std::process::ExitCode;
use std::time::{Duration, Instant};

/// Command-line options.
#[derive(Debug, Clone)]
pub struct Opts {
    /// Smaller sizes, for regular checks.
    pub quick: bool,
    /// Only these sections.
    pub only: Option<Vec<String>>,
    /// Requests in the queue data set (default 10,000,000; 200,000 with `--quick`).
    pub queue_rows: Option<u64>,
    /// The two sizes of the report data sets (default 1,000,000 and 10,000,000).
    pub report_rows: Option<[u64; 2]>,
}

impl Opts {
    fn parse() -> Result<Opts, String> {
        let mut opts = Opts {
            quick: false,
            only: None,
            queue_rows: None,
            report_rows: None,
        };
        let mut args = std::env::args().skip(1);
        while let Some(a) = args.next() {
            match a.as_str() {
                "--quick" => opts.quick = true,
                "--only" => {
                    let v = args.next().ok_or("--only needs a list of sections")?;
                    opts.only = Some(v.split(',').map(str::to_owned).collect());
                }
                "--queue-rows" => {
                    let v = args.next().ok_or("--queue-rows needs a number")?;
                    opts.queue_rows = Some(v.replace('_', "").parse().map_err(|e| format!("--queue-rows: {e}"))?);
                }
                "--report-rows" => {
                    let v = args.next().ok_or("--report-rows needs two numbers: A,B")?;
                    let n: Vec<u64> = v
                        .split(',')
                        .map(|x| x.replace('_', "").parse::<u64>())
                        .collect::<Result<_, _>>()
                        .map_err(|e| format!("--report-rows: {e}"))?;
                    opts.report_rows = Some(match n[..] {
                        [a, b] => [a, b],
                        _ => return Err("--report-rows needs two numbers: A,B".into()),
                    });
                }
                "-h" | "--help" => {
                    return Err("usage: compare [--quick] [--only deadlines,routing,store,queue,report,web,map] [--queue-rows N]".into())
                }
                other => return Err(format!("unknown argument {other:?} (try --help)")),
            }
        }
        Ok(opts)
    }

    /// Whether `name` was asked for by name (or everything is to run).
    pub fn named(&self, name: &str) -> bool {
        self.only
            .as_ref()
            .is_none_or(|o| o.iter().any(|s| s == name))
    }

    /// Whether `section` (or one of its parts, `store-sqlite`, `queue-postgres`, ...)
    /// is to run.
    pub fn wants(&self, section: &str) -> bool {
        self.only.as_ref().is_none_or(|o| {
            o.iter()
                .any(|s| s == section || s.split_once('-').is_some_and(|(head, _)| head == section))
        })
    }
}

/// The result of a section: `Err` when a check failed or a peer could not run.
pub type Outcome = Result<(), String>;

/// A section: its name and how to run it.
type Section<'a> = (&'a str, &'a dyn Fn(&Opts) -> Outcome);

/// Runs `f` `runs` times and returns the shortest time (the least disturbed by the other
/// work on the machine) and the last result.
pub fn best_of<T>(runs: usize, mut f: impl FnMut() -> T) -> (Duration, T) {
    let mut best = Duration::MAX;
    let mut last = None;
    for _ in 0..runs.max(1) {
        let t = Instant::now();
        let v = f();
        best = best.min(t.elapsed());
        last = Some(v);
    }
    (best, last.expect("at least one run"))
}

/// Operations per second.
pub fn per_sec(n: u64, d: Duration) -> f64 {
    n as f64 / d.as_secs_f64().max(1e-9)
}

/// A rate, human-readable (`12.3M/s`, `4.5k/s`).
pub fn rate(r: f64) -> String {
    if r >= 1e6 {
        format!("{:.2}M/s", r / 1e6)
    } else if r >= 1e3 {
        format!("{:.1}k/s", r / 1e3)
    } else {
        format!("{r:.1}/s")
    }
}

/// The machine's 1-minute load average, from `/proc/loadavg`.
pub fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|s| s.split_whitespace().next().map(str::to_owned))
        .unwrap_or_else(|| "?".into())
}

fn main() -> ExitCode {
    let opts = match Opts::parse() {
        Ok(o) => o,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    eprintln!(
        "compare: {} mode, load average {}",
        if opts.quick { "quick" } else { "full" },
        load_average()
    );
    let mut failed = Vec::new();
    let sections: [Section<'_>; 7] = [
        ("deadlines", &|o| deadlines::run(o)),
        ("routing", &|o| routing::run(o)),
        ("store", &|o| rt.block_on(store::run(o))),
        ("queue", &|o| rt.block_on(queue::run(o))),
        ("report", &|o| rt.block_on(report::run(o))),
        ("web", &|o| rt.block_on(web::run(o))),
        ("map", &|o| rt.block_on(map::run(o))),
    ];
    for (name, run) in sections {
        if !opts.wants(name) {
            continue;
        }
        let t = Instant::now();
        if let Err(e) = run(&opts) {
            eprintln!("{name}: FAILED: {e}");
            failed.push(name);
        }
        eprintln!(
            "({name} took {:.1} s, load average {})",
            t.elapsed().as_secs_f64(),
            load_average()
        );
    }
    if failed.is_empty() {
        ExitCode::SUCCESS
    } else {
        eprintln!("failed: {}", failed.join(", "));
        ExitCode::FAILURE
    }
}
