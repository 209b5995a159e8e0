//! Runs the built `muhtar` binary: `holidays` and `deadline`.

use std::io::Write;
use std::process::{Command, Output, Stdio};

fn muhtar(args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_muhtar"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    if let Some(s) = stdin {
        input.write_all(s.as_bytes()).unwrap();
    }
    drop(input);
    child.wait_with_output().unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8(b.to_vec()).unwrap()
}

#[test]
fn holidays_csv_2025() {
    let out = muhtar(&["holidays", "2025"], None);
    assert!(out.status.success());
    let s = text(&out.stdout);
    let lines: Vec<_> = s.lines().collect();
    assert_eq!(lines[0], "date,name,kind");
    assert!(lines.contains(&"2025-03-29,Ramazan Bayramı arifesi,half"));
    assert!(lines.contains(&"2025-03-30,Ramazan Bayramı 1. gün,full"));
    assert!(lines.contains(&"2025-10-28,Cumhuriyet Bayramı arifesi,half"));
    assert!(!s.contains("2025-04-02"));
    let dates: Vec<_> = lines[1..].iter().map(|l| &l[..10]).collect();
    assert!(
        dates.windows(2).all(|w| w[0] < w[1]),
        "date order, one row per date"
    );
    assert!(text(&out.stderr).is_empty());
}

#[test]
fn holidays_operational_and_json_estimated() {
    let out = muhtar(&["holidays", "2025", "--calendar", "operational"], None);
    assert!(text(&out.stdout).contains("2025-04-02,İdari izin,full"));
    let out = muhtar(&["holidays", "2040", "--format", "json"], None);
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(v.as_array().unwrap().iter().any(|h| h["estimated"] == true));
    let out = muhtar(&["holidays", "2040"], None);
    assert!(text(&out.stderr).contains("estimated"));
    assert!(text(&out.stdout).starts_with("date,name,kind\n"));
}

#[test]
fn holidays_out_of_range_year() {
    let out = muhtar(&["holidays", "2099"], None);
    assert!(!out.status.success());
    let err = text(&out.stderr);
    assert!(err.contains("2099") && err.lines().count() == 1, "{err}");
}

#[test]
fn deadline_genelge_example() {
    let out = muhtar(
        &[
            "deadline",
            "--policy",
            "genelge-2015-8",
            "--received",
            "2025-03-14T10:00:00+03:00",
        ],
        None,
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_str(text(&out.stdout).trim()).unwrap();
    assert_eq!(v["due"], "2025-04-02T17:30:00+03:00");
    assert_eq!(v["due_date"], "2025-04-02");
    assert_eq!(v["policy"], "genelge-2015-8");
    assert!(v["explanation"]["rolled_forward"].as_array().unwrap().len() == 4);
    let out = muhtar(
        &[
            "deadline",
            "--policy",
            "genelge-2015-8",
            "--received",
            "2025-03-14T10:00:00+03:00",
            "--calendar",
            "operational",
        ],
        None,
    );
    let v: serde_json::Value = serde_json::from_str(text(&out.stdout).trim()).unwrap();
    assert_eq!(v["due"], "2025-04-07T17:30:00+03:00");
}

#[test]
fn deadline_with_pause() {
    let out = muhtar(
        &[
            "deadline",
            "--policy",
            "belediye-15-is-gunu",
            "--received",
            "2025-03-03T09:00:00+03:00",
            "--pause",
            "2025-03-05T10:00:00+03:00..2025-03-07T10:00:00+03:00",
        ],
        None,
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_str(text(&out.stdout).trim()).unwrap();
    assert_eq!(v["due_date"], "2025-03-26");
    assert_eq!(v["explanation"]["pauses"][0]["days_added"], 2);
}

#[test]
fn deadline_batch_from_stdin() {
    let input = "2026-05-15T11:00:00+03:00\n2025-03-14T10:00:00+03:00\n";
    let out = muhtar(
        &[
            "deadline",
            "--policy",
            "bilgi-edinme-4982",
            "--received",
            "-",
        ],
        Some(input),
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let lines: Vec<serde_json::Value> = text(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["due"], "2026-06-11T17:30:00+03:00");
    assert_eq!(lines[0]["received"], "2026-05-15T11:00:00+03:00");
}

#[test]
fn deadline_errors() {
    let out = muhtar(
        &[
            "deadline",
            "--policy",
            "nope",
            "--received",
            "2025-03-14T10:00:00+03:00",
        ],
        None,
    );
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("nope"));
    let out = muhtar(
        &[
            "deadline",
            "--policy",
            "genelge-2015-8",
            "--received",
            "yesterday",
        ],
        None,
    );
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("yesterday"));
    let out = muhtar(
        &["deadline", "--policy", "genelge-2015-8", "--received", "-"],
        Some("2025-03-14T10:00:00+03:00\nbad-instant\n"),
    );
    assert!(!out.status.success());
    let err = text(&out.stderr);
    assert!(
        err.contains("line 2") && err.contains("bad-instant") && err.lines().count() == 1,
        "{err}"
    );
    let out = muhtar(
        &[
            "deadline",
            "--policy",
            "genelge-2015-8",
            "--received",
            "2070-01-01T00:00:00Z",
        ],
        None,
    );
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("2070"));
}
