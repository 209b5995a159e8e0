//! Who may say when a request arrived, the applicant's notices, channels and display
//! names (issue 16 §4), through the built `muhtar` binary on a real SQLite file and on
//! PostgreSQL (`DATABASE_URL`; skipped without it unless `MUHTAR_REQUIRE_POSTGRES=1`).

use std::path::Path;
use std::process::{Command, Output};

use chrono::{Duration, Utc};

use crate::common;

fn run(dir: &Path, db: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_muhtar"))
        .current_dir(dir)
        .env("MUHTAR_DB", db)
        .env_remove("MUHTAR_AS")
        .env_remove("MUHTAR_TENANT")
        .args(args)
        .output()
        .expect("run muhtar")
}

fn ok(dir: &Path, db: &str, args: &[&str]) -> String {
    let o = run(dir, db, args);
    assert!(
        o.status.success(),
        "muhtar {args:?} failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout).unwrap()
}

/// Fails with one line on stderr, which is returned.
fn fails(dir: &Path, db: &str, args: &[&str]) -> String {
    let o = run(dir, db, args);
    assert!(!o.status.success(), "muhtar {args:?} should fail");
    let e = String::from_utf8(o.stderr).unwrap();
    assert_eq!(e.trim_end().lines().count(), 1, "one clear line: {e}");
    e
}

fn json(s: &str) -> serde_json::Value {
    serde_json::from_str(s.trim()).unwrap_or_else(|e| panic!("not JSON ({e}): {s}"))
}

fn count(dir: &Path, db: &str) -> usize {
    json(&ok(dir, db, &["--json", "list", "--limit", "100"]))["items"]
        .as_array()
        .unwrap()
        .len()
}

/// No quiet hours (notices go out whatever the time), and a window reaching back to the
/// last ended quarter on the wall clock the test runs on.
fn init(dir: &Path, db: &str) {
    std::fs::write(
        dir.join("settings.toml"),
        "quiet_hours = { start = \"00:00\", end = \"00:00\" }\nreceived_at_window_days = 400\n",
    )
    .unwrap();
    ok(dir, db, &["init", "--settings", "settings.toml"]);
}

fn submit<'a>(extra: &[&'a str]) -> Vec<&'a str> {
    let mut v = vec![
        "submit",
        "--muhtarlik",
        "kuzguncuk",
        "--category",
        "budama",
        "--subject",
        "Ağaç dalları tellere değiyor",
    ];
    v.extend(extra);
    v
}

/// The whole flow on one database.
fn receipts_and_names(dir: &Path, db: &str) {
    init(dir, db);
    let now = Utc::now();
    let yesterday = (now - Duration::days(1)).to_rfc3339();

    // A muhtar never says when their request arrived: one line naming the field, nothing
    // written.
    let e = fails(
        dir,
        db,
        &[
            &["--as", "muhtar:kuzguncuk"][..],
            &submit(&["--received-at", &yesterday]),
        ]
        .concat(),
    );
    assert!(e.contains("received_at"), "{e}");
    assert_eq!(count(dir, db), 0);
    // An unknown channel lists the valid ones.
    let e = fails(dir, db, &submit(&["--channel", "fax"]));
    assert!(
        e.starts_with("error: --channel: channel: unknown \"fax\"; valid values: mbs-web, ")
            && e.contains("beyaz-masa")
            && e.contains("call-centre"),
        "{e}"
    );
    // Beyond the window, or in the future: refused.
    for bad in [now - Duration::days(401), now + Duration::hours(1)] {
        let e = fails(dir, db, &submit(&["--received-at", &bad.to_rfc3339()]));
        assert!(e.contains("received_at"), "{e}");
    }
    assert_eq!(count(dir, db), 0);

    // The coordinator enters a paper letter of yesterday from İBB Beyaz Masa.
    std::fs::write(
        dir.join("citizen.json"),
        r#"{"citizen": {"name": "Fatma Kaya", "email": "fatma@example.com"}, "description": "Kapı önündeki ağaç"}"#,
    )
    .unwrap();
    let rec = json(&ok(
        dir,
        db,
        &[
            &["--json"][..],
            &submit(&[
                "--file",
                "citizen.json",
                "--received-at",
                &yesterday,
                "--channel",
                "beyaz-masa",
            ]),
        ]
        .concat(),
    ));
    let tracking = rec["state"]["tracking"].as_str().unwrap().to_owned();
    let got: chrono::DateTime<Utc> =
        serde_json::from_value(rec["state"]["content"]["received_at"].clone()).unwrap();
    assert_eq!(got.timestamp(), (now - Duration::days(1)).timestamp());
    assert_eq!(rec["state"]["content"]["channel"], "beyaz-masa");
    // The old name still reads as Beyaz Masa.
    let old = json(&ok(
        dir,
        db,
        &[
            "--json",
            "submit",
            "--muhtarlik",
            "kuzguncuk",
            "--category",
            "budama",
            "--subject",
            "Eski ad",
            "--channel",
            "metropolitan-system",
        ],
    ));
    assert_eq!(old["state"]["content"]["channel"], "beyaz-masa");

    // People read Turkish names, never the stable ones.
    let shown = ok(dir, db, &["show", &tracking]);
    assert!(shown.contains("Kanal: İBB Beyaz Masa"), "{shown}");
    assert!(shown.contains("birime iletildi"), "{shown}");
    assert!(shown.contains("süre işliyor"), "{shown}");
    let listed = ok(dir, db, &["list"]);
    let submitted = ok(dir, db, &submit(&["--channel", "call-centre"]));
    for (what, out) in [("show", &shown), ("list", &listed), ("submit", &submitted)] {
        for stable in [
            "routed",
            "beyaz-masa",
            "call-centre",
            "in-progress",
            "Routed",
            "BeyazMasa",
        ] {
            assert!(!out.contains(stable), "{what} shows {stable:?}: {out}");
        }
    }
    ok(
        dir,
        db,
        &[
            "answer",
            &tracking,
            "--outcome",
            "positive",
            "--text",
            "Budandı",
        ],
    );
    let shown = ok(dir, db, &["show", &tracking]);
    assert!(shown.contains("Sonuç        olumlu"), "{shown}");
    for stable in ["positive", "answered"] {
        assert!(!shown.contains(stable), "{stable}: {shown}");
    }

    // A signed quarter is closed to backdating unless the coordinator forces it.
    let last = muhtar_core::report::Quarter::containing(now).previous();
    ok(
        dir,
        db,
        &[
            "--as",
            "official",
            "report",
            "sign",
            "--quarter",
            &last.to_string(),
            "--note",
            "Uygundur",
        ],
    );
    let inside = (last.end() - Duration::days(2)).to_rfc3339();
    let e = fails(dir, db, &submit(&["--received-at", &inside]));
    assert!(
        e.contains("received_at") && e.contains(&last.to_string()),
        "{e}"
    );
    assert!(!ok(dir, db, &["report", "list"]).contains("DÜZELTME"));
    ok(
        dir,
        db,
        &submit(&[
            "--received-at",
            &inside,
            "--force-reason",
            "Evrak kayıtta unutulmuş",
        ]),
    );
    let listed = ok(dir, db, &["report", "list"]);
    assert!(listed.contains("DÜZELTME GEREKLİ"), "{listed}");
}

#[test]
fn receipts_channels_and_names_on_sqlite_with_the_citizen_hearing_back_by_e_mail() {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path();
    let db = format!("sqlite://{}", dir.join("m.db").display());
    receipts_and_names(dir, &db);

    // The citizen's notices go out through the real SMTP server process: the tracking
    // number on receipt, then the outcome.
    let mail = dir.join("mail");
    std::fs::create_dir(&mail).unwrap();
    let (mut child, port) = common::smtp_sink(&mail);
    let o = Command::new(env!("CARGO_BIN_EXE_muhtar"))
        .current_dir(dir)
        .env("MUHTAR_DB", &db)
        .env("MUHTAR_SMTP_URL", format!("smtp://127.0.0.1:{port}"))
        .env("MUHTAR_MAIL_FROM", "MBS <mbs@ibb.example.gov.tr>")
        .args(["--json", "notify", "--once"])
        .output()
        .unwrap();
    let _ = child.kill();
    let _ = child.wait();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let text: String = std::fs::read_dir(&mail)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.path().extension().is_some_and(|x| x == "json"))
        .map(|e| std::fs::read_to_string(e.path()).unwrap())
        .collect();
    assert!(text.contains("fatma@example.com"), "{text}");
    assert!(text.contains("Başvurunuz alındı"), "{text}");
    assert!(text.contains("Başvurunuz sonuçlandı: Olumlu"), "{text}");
}

#[test]
fn receipts_channels_and_names_on_postgres() {
    let Some(base) = common::pg_server("PostgreSQL receipt tests") else {
        return;
    };
    let db = common::fresh_pg_db(&base, "muhtar_receipt");
    let d = tempfile::tempdir().unwrap();
    receipts_and_names(d.path(), &db);
}
