//! The quarter parser (`2026Q1`): never panics; what it accepts prints back and has a
//! start before its end.
#![no_main]
use libfuzzer_sys::fuzz_target;
use muhtar_core::report::Quarter;

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(q) = s.parse::<Quarter>() {
        assert_eq!(q.to_string().parse::<Quarter>().ok(), Some(q));
        assert!(q.start() < q.end());
    }
});
