//! The demo data `muhtar start` sets up (issue 20): exactly the requests asked for, none
//! after the demo's clock, its photos in the uploads directory, and its past's notices
//! recorded as delivered, so a dispatcher sends nothing until something new happens.

use std::path::Path;
use std::process::Command;

use crate::common;

fn json(s: &str) -> serde_json::Value {
    serde_json::from_str(s.trim()).unwrap_or_else(|e| panic!("not JSON ({e}): {s}"))
}

/// `muhtar --json notify --once` through the SMTP test server on `port`.
fn notify_once(dir: &Path, db: &str, port: u16) -> serde_json::Value {
    let o = Command::new(env!("CARGO_BIN_EXE_muhtar"))
        .current_dir(dir)
        .env("MUHTAR_DB", db)
        .env_remove("MUHTAR_AS")
        .env_remove("MUHTAR_TENANT")
        .env_remove("MUHTAR_UPLOADS")
        .env("MUHTAR_SMTP_URL", format!("smtp://127.0.0.1:{port}"))
        .env("MUHTAR_MAIL_FROM", "MBS <mbs@ibb.example.gov.tr>")
        .args(["--json", "notify", "--once"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    json(&String::from_utf8(o.stdout).unwrap())
}

#[test]
fn start_makes_exactly_the_demo_with_photos_and_nothing_left_to_send() {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path();
    let db = format!("sqlite://{}", dir.join("muhtar.db").display());
    let before = chrono::Utc::now();
    let out = Command::new(env!("CARGO_BIN_EXE_muhtar"))
        .current_dir(dir)
        .env("MUHTAR_DB", &db)
        .env_remove("MUHTAR_UPLOADS")
        .env_remove("MUHTAR_AS")
        .env_remove("MUHTAR_TENANT")
        .arg("start")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let after = chrono::Utc::now();

    // Exactly the 300 requests, none received after the demo ran.
    let export = common::muhtar(dir, &db, &["export"]);
    let rows: Vec<serde_json::Value> = export.lines().map(json).collect();
    assert_eq!(rows.len(), 300);
    for r in &rows {
        let received: chrono::DateTime<chrono::Utc> =
            r["received_at"].as_str().unwrap().parse().unwrap();
        assert!(received <= after, "{r}");
    }
    assert!(rows.iter().any(|r| {
        let t: chrono::DateTime<chrono::Utc> = r["received_at"].as_str().unwrap().parse().unwrap();
        t > before - chrono::Duration::days(14)
    }));

    // The photos are in the default uploads directory, as PNG files.
    let uploads = dir.join("muhtar-uploads");
    let files: Vec<_> = walk(&uploads);
    assert_eq!(files.len(), 4, "{files:?}");
    for f in &files {
        assert!(std::fs::read(f).unwrap().starts_with(b"\x89PNG\r\n\x1a\n"));
    }
    // Some requests carry one, and a location.
    let (mut with_photo, mut located) = (0, 0);
    for r in rows.iter().take(120) {
        let shown = json(&common::muhtar(
            dir,
            &db,
            &["--json", "show", r["tracking"].as_str().unwrap()],
        ));
        let request = &shown["request"]["state"]["content"];
        located += usize::from(request["location"]["lat"].is_f64());
        if let Some(a) = request["attachments"].as_array() {
            with_photo += 1;
            let sha = a[0]["sha256"].as_str().unwrap();
            assert!(uploads.join(&sha[..2]).join(sha).exists(), "{sha}");
        }
    }
    assert!(with_photo > 0, "no photo among 120 requests");
    assert!(located > 60, "{located} of 120 requests located");

    // Nothing from the demo's past is waiting: the dispatcher sends no e-mail.
    let mail = dir.join("mail");
    std::fs::create_dir(&mail).unwrap();
    let (mut child, port) = common::smtp_sink(&mail);
    let first = notify_once(dir, &db, port);
    // Something new is sent (or waits for the end of quiet hours).
    common::muhtar(
        dir,
        &db,
        &[
            "--as",
            "muhtar:kuzguncuk",
            "submit",
            "--category",
            "budama",
            "--subject",
            "Ağaç dalları tellere değiyor",
        ],
    );
    let second = notify_once(dir, &db, port);
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(
        (&first["claimed"], &first["sent"]),
        (&0.into(), &0.into()),
        "{first}"
    );
    assert!(second["claimed"].as_u64().unwrap() > 0, "{second}");
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        if e.path().is_dir() {
            out.extend(walk(&e.path()));
        } else {
            out.push(e.path());
        }
    }
    out
}
