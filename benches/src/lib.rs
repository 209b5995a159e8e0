//! Benchmarks and peer comparisons for muhtar (issue 10).
//!
//! * [`workload`]: the deterministic inputs every benchmark shares (the example organisation
//!   and rule set, a generated 10,000-rule set, request contents, deadline pairs).
//! * [`bulk`]: the bulk loader that fills a store's `requests` table with millions of rows
//!   directly (prepared inserts on SQLite, `COPY` on PostgreSQL), for the queue and report
//!   measurements.
//! * [`pg`]: the PostgreSQL database the comparisons use.
//!
//! The criterion benches are in `benches/`, the side-by-side runner in `src/bin/compare.rs`;
//! BENCHMARKS.md at the repository root documents both.

pub mod bulk;
pub mod pg;
pub mod workload;
