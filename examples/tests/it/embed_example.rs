//! The embed example (`cargo run -p muhtar-examples --example embed`), run as a reader of
//! the README would: it works and prints what people read (Istanbul time, Turkish names).

use std::process::Command;

use crate::common;

/// Issue 20: the example printed its deadline as `Some(2026-…T14:30:00Z)`, UTC and
/// Debug output; it prints Istanbul time, and the status by its Turkish name.
#[test]
fn the_embed_example_prints_istanbul_time_and_turkish_names() {
    let out = Command::new(common::example_executable("embed"))
        .output()
        .unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut lines = stdout.lines();
    let first = lines.next().unwrap_or_default();
    // `takip no ABC-DEF-GHJ → uskudar-fen (cevap süresi 2026-12-16 17:30)`: the end of
    // office hours in Istanbul.
    assert!(first.starts_with("takip no "), "{stdout}");
    assert!(first.ends_with(" 17:30)"), "{stdout}");
    for debug_or_utc in ["Some(", "UTC", "Z)"] {
        assert!(!stdout.contains(debug_or_utc), "{debug_or_utc} in {stdout}");
    }
    let second = lines.next().unwrap_or_default();
    assert!(second.ends_with(": cevaplandı"), "{stdout}");
}
