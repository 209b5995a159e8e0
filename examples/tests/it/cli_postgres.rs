//! The `muhtar` commands on PostgreSQL (`--db postgres://...`), and the same demo data on
//! both stores. Needs `DATABASE_URL`; without it the tests say they were skipped, unless
//! `MUHTAR_REQUIRE_POSTGRES=1` (CI), where a missing server fails them.

use std::path::Path;
use std::process::{Command, Output};

use crate::common;

fn server() -> Option<String> {
    common::pg_server("PostgreSQL CLI tests")
}

fn fresh_db(base: &str) -> String {
    common::fresh_pg_db(base, "muhtar_cli")
}

fn muhtar(dir: &Path, db: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_muhtar"))
        .current_dir(dir)
        .env("MUHTAR_DB", db)
        .env_remove("MUHTAR_AS")
        .args(args)
        .output()
        .expect("run muhtar")
}

fn ok(dir: &Path, db: &str, args: &[&str]) -> String {
    let o = muhtar(dir, db, args);
    assert!(
        o.status.success(),
        "muhtar {args:?} on {db} failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout).unwrap()
}

fn json(s: &str) -> serde_json::Value {
    serde_json::from_str(s.trim()).unwrap_or_else(|e| panic!("not JSON ({e}): {s}"))
}

#[test]
fn every_command_works_on_postgres() {
    let Some(base) = server() else { return };
    let db = fresh_db(&base);
    let d = tempfile::tempdir().unwrap();
    let dir = d.path();
    ok(dir, &db, &["init"]);
    let sub = json(&ok(
        dir,
        &db,
        &[
            "--json",
            "--as",
            "muhtar:moda",
            "submit",
            "--category",
            "yarali-hayvan",
            "--subject",
            "Yaralı martı",
        ],
    ));
    let tr = sub["state"]["tracking"].as_str().unwrap().to_owned();
    assert_eq!(
        sub["state"]["unit"], "veteriner-mud",
        "routed by the example rules"
    );
    ok(dir, &db, &["--as", "unit:veteriner-mud", "accept", &tr]);
    ok(
        dir,
        &db,
        &[
            "--as",
            "unit:veteriner-mud",
            "pause",
            &tr,
            "--note",
            "Tam adres?",
        ],
    );
    ok(
        dir,
        &db,
        &[
            "--as",
            "muhtar:moda",
            "resume",
            &tr,
            "--note",
            "Moda sahili",
        ],
    );
    ok(
        dir,
        &db,
        &[
            "--as",
            "unit:veteriner-mud",
            "reply",
            &tr,
            "--text",
            "Ekip yolda",
        ],
    );
    ok(
        dir,
        &db,
        &[
            "--as",
            "unit:veteriner-mud",
            "answer",
            &tr,
            "--outcome",
            "positive",
            "--text",
            "Tedavi edildi",
        ],
    );
    ok(dir, &db, &["--as", "muhtar:moda", "close", &tr]);
    let shown = json(&ok(
        dir,
        &db,
        &["--json", "--as", "muhtar:moda", "show", &tr],
    ));
    assert_eq!(shown["request"]["state"]["status"], "closed");
    assert_eq!(shown["history"].as_array().unwrap().len(), 8);
    let q = json(&ok(dir, &db, &["--json", "list", "--status", "closed"]));
    assert_eq!(q["items"].as_array().unwrap().len(), 1);
    assert_eq!(json(&ok(dir, &db, &["--json", "sweep"]))["checked"], 0);
    assert_eq!(ok(dir, &db, &["export"]).lines().count(), 1);
}

#[test]
fn the_same_demo_gives_the_same_data_on_both_stores() {
    let Some(base) = server() else { return };
    let db = fresh_db(&base);
    let d = tempfile::tempdir().unwrap();
    let dir = d.path();
    let sqlite = "sqlite://demo.db";
    let mut exports = Vec::new();
    for url in [db.as_str(), sqlite] {
        ok(dir, url, &["init"]);
        ok(
            dir,
            url,
            &[
                "demo",
                "--seed",
                "11",
                "--requests",
                "80",
                "--until",
                "2026-03-31",
            ],
        );
        exports.push(ok(dir, url, &["export"]));
        let l = json(&ok(
            dir,
            url,
            &["--json", "list", "--overdue", "--limit", "5"],
        ));
        assert!(!l["items"].as_array().unwrap().is_empty());
    }
    assert_eq!(exports[0].lines().count(), 80);
    assert_eq!(exports[0], exports[1]);

    // The quarterly report is the same JSON on both stores (the generation instant aside),
    // for the whole tenant and for a unit, in the quarter and in one carrying requests over;
    // so are the reports of a year and of a range of dates across quarters.
    for args in [
        vec!["report", "--quarter", "2026Q1"],
        vec!["report", "--quarter", "2025Q4"],
        vec!["report", "--quarter", "2026Q1", "--unit", "veteriner-mud"],
        vec!["report", "--period", "2026"],
        vec!["report", "--period", "2025-11-15..2026-02-20"],
        vec![
            "report",
            "--period",
            "2026-01-01..2026-12-31",
            "--unit",
            "veteriner-mud",
        ],
    ] {
        let mut reports: Vec<serde_json::Value> = [db.as_str(), sqlite]
            .iter()
            .map(|url| json(&ok(dir, url, &args)))
            .collect();
        for r in &mut reports {
            r["generated_at"] = serde_json::Value::Null;
        }
        assert!(
            reports[0]["totals"]["received"].as_u64().unwrap() > 0,
            "{args:?}"
        );
        assert_eq!(reports[0], reports[1], "{args:?}");
        let t = &reports[0]["totals"];
        assert!(t["answered_with_calendar_days"].as_u64().is_some(), "{t}");
        // First responses (Law 3071) are counted the same way on both stores.
        assert!(t["first_response_on_time"].as_u64().unwrap() > 0, "{t}");
        assert!(t["first_response_late"].as_u64().is_some(), "{t}");
    }
}

/// Two instances sweeping the same database at once queue each escalation once: the
/// outbox's unique idempotency key (`ON CONFLICT DO NOTHING`) makes the second a no-op.
#[test]
fn concurrent_sweeps_never_double_queue() {
    let Some(base) = server() else { return };
    let db = fresh_db(&base);
    let d = tempfile::tempdir().unwrap();
    let dir = d.path();
    ok(dir, &db, &["init"]);
    ok(
        dir,
        &db,
        &[
            "demo",
            "--seed",
            "5",
            "--requests",
            "150",
            "--until",
            "2026-03-31",
        ],
    );
    let spawn = || {
        Command::new(env!("CARGO_BIN_EXE_muhtar"))
            .current_dir(dir)
            .env("MUHTAR_DB", &db)
            .args(["--json", "sweep"])
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap()
    };
    let (a, b) = (spawn(), spawn());
    let ra = json(&String::from_utf8(a.wait_with_output().unwrap().stdout).unwrap());
    let rb = json(&String::from_utf8(b.wait_with_output().unwrap().stdout).unwrap());
    let escalations = ra["at_risk"].as_u64().unwrap() + ra["breached"].as_u64().unwrap();
    assert!(escalations > 0, "the demo leaves overdue requests: {ra}");
    let queued = ra["queued"].as_u64().unwrap() + rb["queued"].as_u64().unwrap();
    let third = json(&ok(dir, &db, &["--json", "sweep"]));
    assert_eq!(third["queued"], 0);
    // Each escalation went to at least one recipient, and no key was queued twice.
    assert!(queued >= escalations, "{ra} {rb}");
    let single = {
        let db2 = fresh_db(&base);
        ok(dir, &db2, &["init"]);
        ok(
            dir,
            &db2,
            &[
                "demo",
                "--seed",
                "5",
                "--requests",
                "150",
                "--until",
                "2026-03-31",
            ],
        );
        json(&ok(dir, &db2, &["--json", "sweep"]))["queued"]
            .as_u64()
            .unwrap()
    };
    assert_eq!(
        queued, single,
        "two concurrent sweeps queue exactly what one sweep queues"
    );
}
