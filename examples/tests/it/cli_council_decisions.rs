//! A council's decision sent as a request through the built `muhtar` binary
//! (`muhtar council decision send`, issue 24) on a real SQLite file: the request's
//! tracking number printed, its PDF stored in the uploads directory under its SHA-256,
//! the request of channel `mahalle-meclisi` flagged for the municipal council, the
//! decision's status under `vote result`, and the refusals in Turkish (sent twice, an
//! unknown category, a kind other than request or suggestion).
//!
//! The CLI has no clock override: the vote closes two seconds ahead and the test waits.

use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};

use crate::cli_council::{council, json, refused};
use crate::common::muhtar;

#[test]
fn an_adopted_decision_is_sent_once_as_a_request_on_sqlite() {
    let d = tempfile::tempdir().unwrap();
    let (dir, db) = (
        d.path(),
        format!("sqlite://{}", d.path().join("karar.db").display()),
    );
    let db = db.as_str();
    muhtar(dir, db, &["init"]);
    let mut members = Vec::new();
    for (name, email) in [
        ("Ayşe", "ayse@example.org"),
        ("Mehmet", "mehmet@example.org"),
    ] {
        let args = ["member", "add", "--muhtarlik", "kuzguncuk", "--name", name];
        members.push(council(dir, db, &[&args[..], &["--email", email]].concat()));
    }
    let closes = chrono::Utc::now() + chrono::Duration::seconds(2);
    let closes_at = Instant::now() + Duration::from_millis(2300);
    let closes_text = closes.to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let vote = council(
        dir,
        db,
        &[
            "vote",
            "open",
            "--muhtarlik",
            "kuzguncuk",
            "--title",
            "Parka bank konsun",
            "--closes",
            &closes_text,
        ],
    );
    for m in &members {
        council(
            dir,
            db,
            &["vote", "cast", &vote, "--member", m, "--choice", "Kabul"],
        );
    }
    // Before closing: nothing to send.
    let e = refused(
        dir,
        db,
        &["decision", "send", &vote, "--category", "asfalt-onarim"],
    );
    assert!(e.contains("oylama sürüyor"), "{e}");
    if let Some(w) = (closes_at + Duration::from_millis(300)).checked_duration_since(Instant::now())
    {
        std::thread::sleep(w);
    }
    council(dir, db, &["vote", "close", &vote]);
    // Refusals name what would do.
    let e = refused(dir, db, &["decision", "send", &vote, "--category", "yok"]);
    assert!(
        e.contains("--category") && e.contains("asfalt-onarim"),
        "{e}"
    );
    let e = refused(
        dir,
        db,
        &[
            "decision",
            "send",
            &vote,
            "--category",
            "asfalt-onarim",
            "--kind",
            "complaint",
        ],
    );
    assert!(e.contains("suggestion"), "{e}");

    // Sent: the tracking number printed, the PDF stored under its hash.
    let uploads = dir.join("yuklemeler");
    let up = uploads.to_str().unwrap();
    let tracking = council(
        dir,
        db,
        &[
            "decision",
            "send",
            &vote,
            "--category",
            "asfalt-onarim",
            "--kind",
            "suggestion",
            "--belediye-meclisi",
            "--uploads",
            up,
        ],
    );
    let shown = json(&muhtar(
        dir,
        db,
        &["--as", "coordinator", "--json", "show", &tracking],
    ));
    let content = &shown["request"]["state"]["content"];
    assert_eq!(content["channel"], "mahalle-meclisi", "{shown}");
    assert_eq!(content["kind"], "suggestion");
    assert_eq!(content["municipal_council"], true);
    let sha = content["attachments"][0]["sha256"]
        .as_str()
        .unwrap()
        .to_owned();
    let pdf = std::fs::read(uploads.join(&sha[..2]).join(&sha)).unwrap();
    assert!(pdf.starts_with(b"%PDF-"));
    assert_eq!(hex::encode(Sha256::digest(&pdf)), sha);

    // Twice: refused, naming the request.
    let e = refused(
        dir,
        db,
        &[
            "decision",
            "send",
            &vote,
            "--category",
            "asfalt-onarim",
            "--uploads",
            up,
        ],
    );
    assert!(
        e.contains("zaten gönderildi") && e.contains(&tracking),
        "{e}"
    );

    // The vote's result names the request and its status.
    let text = council(dir, db, &["vote", "result", &vote]);
    assert!(
        text.contains(&tracking) && text.contains("belediye meclisi"),
        "{text}"
    );
    let r = json(&council(dir, db, &["--json", "vote", "result", &vote]));
    assert_eq!(r["request"]["tracking"], tracking.as_str());
    assert_eq!(r["request"]["request"]["status"], "routed");
}
