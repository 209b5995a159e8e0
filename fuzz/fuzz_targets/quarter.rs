//! The quarter parser (`2026Q1`) and the period parser (`2026`, `2026Q2`,
//! `2026-01-01..2026-06-30`): never panic; what they accept prints back and has a start
//! before its end.
#![no_main]
use libfuzzer_sys::fuzz_target;
use muhtar_core::report::{Quarter, ReportPeriod};

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(q) = s.parse::<Quarter>() {
        assert_eq!(q.to_string().parse::<Quarter>().ok(), Some(q));
        assert!(q.start() < q.end());
    }
    if let Ok(p) = s.parse::<ReportPeriod>() {
        assert_eq!(p.to_string().parse::<ReportPeriod>().ok(), Some(p));
        assert!(p.start() < p.end());
    }
});
