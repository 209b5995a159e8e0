//! Urgent letters and dated letters from the command line (issue 16 §3), on a real SQLite
//! file and on PostgreSQL: `submit --urgent --reply-by`, the urgent request first in
//! `list` with İVEDİ, `show` and `export` saying so, and the responsible official's
//! notice delivered through a real SMTP server with İVEDİ in its subject.

use std::path::Path;
use std::process::Command;

use chrono::{Duration, Utc};

use crate::common;

fn json(s: &str) -> serde_json::Value {
    serde_json::from_str(s.trim()).unwrap_or_else(|e| panic!("not JSON ({e}): {s}"))
}

fn run(dir: &Path, db: &str) {
    let m = |args: &[&str]| common::muhtar(dir, db, args);
    common::init_without_quiet_hours(dir, db);
    let normal = json(&m(&[
        "--json",
        "--as",
        "muhtar:kuzguncuk",
        "submit",
        "--category",
        "asfalt-onarim",
        "--subject",
        "Kaldırım taşları kırık",
    ]));
    // A ministry letter entered by the back office: urgent, to be answered in 3 days.
    let reply_by = (muhtar_core::calendar::local_date(Utc::now()) + Duration::days(3)).to_string();
    let urgent = json(&m(&[
        "--json",
        "submit",
        "--muhtarlik",
        "kuzguncuk",
        "--category",
        "asfalt-onarim",
        "--subject",
        "Bakanlık yazısı: okul yolu",
        "--urgent",
        "--reply-by",
        &reply_by,
    ]));
    let (tn, tu) = (
        normal["state"]["tracking"].as_str().unwrap().to_owned(),
        urgent["state"]["tracking"].as_str().unwrap().to_owned(),
    );
    assert_eq!(urgent["state"]["content"]["priority"], "urgent");
    assert_eq!(urgent["state"]["content"]["reply_by"], reply_by.as_str());
    // The letter's date is the deadline: earlier than the 15 days of the policy.
    let due = |r: &serde_json::Value| {
        chrono::DateTime::parse_from_rfc3339(r["deadlines"]["resolution_due"].as_str().unwrap())
            .unwrap()
            .with_timezone(&Utc)
    };
    assert_eq!(
        muhtar_core::calendar::local_date(due(&urgent)).to_string(),
        reply_by
    );
    assert!(due(&urgent) < due(&normal));

    // `list`: the urgent request first, marked İVEDİ; the normal one after it.
    let list = m(&["list"]);
    let rows: Vec<&str> = list.lines().skip(1).collect();
    assert!(
        rows[0].starts_with(&tu) && rows[0].contains("İVEDİ · Bakanlık yazısı"),
        "{list}"
    );
    assert!(
        rows[1].starts_with(&tn) && !rows[1].contains("İVEDİ"),
        "{list}"
    );
    // Also the muhtar's own list, newest first, and page by page.
    let page = json(&m(&[
        "--json",
        "--as",
        "muhtar:kuzguncuk",
        "list",
        "--limit",
        "1",
    ]));
    assert_eq!(page["items"][0]["state"]["tracking"], tu.as_str());
    let next = page["next"].as_str().unwrap().to_owned();
    let page = json(&m(&[
        "--json",
        "--as",
        "muhtar:kuzguncuk",
        "list",
        "--limit",
        "1",
        "--after",
        &next,
    ]));
    assert_eq!(page["items"][0]["state"]["tracking"], tn.as_str());

    // `show` names the priority and why the deadline is what it is.
    let show = m(&["show", &tu]);
    assert!(show.contains("Öncelik      İVEDİ"), "{show}");
    assert!(show.contains("yazıda istenen cevap tarihi"), "{show}");
    assert!(!m(&["show", &tn]).contains("İVEDİ"));

    // `export`: every line says whether it is urgent.
    let export = m(&["export"]);
    let lines: Vec<serde_json::Value> = export.lines().map(json).collect();
    let line = |t: &str| lines.iter().find(|l| l["tracking"] == t).unwrap().clone();
    assert_eq!(line(&tu)["urgent"], true);
    assert_eq!(line(&tu)["priority"], "urgent");
    assert_eq!(line(&tu)["reply_by"], reply_by.as_str());
    assert_eq!(line(&tn)["urgent"], false);

    // The responsible official gets an e-mail on receipt, İVEDİ in its subject, and so
    // do the muhtar's and the unit's notices about the urgent request.
    let mail = dir.join("mail");
    std::fs::create_dir(&mail).unwrap();
    let (mut child, port) = common::smtp_sink(&mail);
    let o = Command::new(env!("CARGO_BIN_EXE_muhtar"))
        .current_dir(dir)
        .env("MUHTAR_DB", db)
        .env("MUHTAR_SMTP_URL", format!("smtp://127.0.0.1:{port}"))
        .env("MUHTAR_MAIL_FROM", "MBS <mbs@ibb.example.gov.tr>")
        .args(["--json", "notify", "--once"])
        .output()
        .unwrap();
    let _ = child.kill();
    let _ = child.wait();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let mails: Vec<serde_json::Value> = std::fs::read_dir(&mail)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.path().extension().is_some_and(|x| x == "json"))
        .map(|e| json(&std::fs::read_to_string(e.path()).unwrap()))
        .collect();
    let to = |m: &serde_json::Value, who: &str| {
        m["rcpt_tos"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r.as_str() == Some(who))
    };
    let official: Vec<_> = mails
        .iter()
        .filter(|m| to(m, "zeynep.arslan@ibb.example.gov.tr"))
        .collect();
    assert_eq!(official.len(), 1, "{mails:?}");
    assert_eq!(
        official[0]["subject"],
        format!("[İVEDİ] [Takip No: {tu}] İvedi talep alındı"),
    );
    for m in &mails {
        let subject = m["subject"].as_str().unwrap();
        assert_eq!(
            subject.starts_with("[İVEDİ] "),
            subject.contains(&tu),
            "{subject}"
        );
    }
    assert!(mails.iter().any(|m| m["subject"]
        .as_str()
        .unwrap()
        .starts_with(&format!("[Takip No: {tn}]"))));

    // A reply-by date before today is refused in one line naming the flag.
    let o = Command::new(env!("CARGO_BIN_EXE_muhtar"))
        .current_dir(dir)
        .env("MUHTAR_DB", db)
        .args([
            "submit",
            "--muhtarlik",
            "kuzguncuk",
            "--category",
            "asfalt-onarim",
            "--subject",
            "Geç yazı",
            "--reply-by",
            "2020-01-01",
        ])
        .output()
        .unwrap();
    assert!(!o.status.success());
    let e = String::from_utf8(o.stderr).unwrap();
    assert!(
        e.contains("reply_by") && e.trim_end().lines().count() == 1,
        "{e}"
    );
    let o = Command::new(env!("CARGO_BIN_EXE_muhtar"))
        .current_dir(dir)
        .env("MUHTAR_DB", db)
        .args([
            "submit",
            "--category",
            "x",
            "--subject",
            "y",
            "--reply-by",
            "yarın",
        ])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&o.stderr).contains("--reply-by"));
}

#[test]
fn urgent_and_dated_letters_on_sqlite() {
    let d = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", d.path().join("muhtar.db").display());
    run(d.path(), &db);
}

#[test]
fn urgent_and_dated_letters_on_postgres() {
    let Some(base) = common::pg_server("PostgreSQL urgent-letter CLI test") else {
        return;
    };
    let db = common::fresh_pg_db(&base, "muhtar_urgent");
    let d = tempfile::tempdir().unwrap();
    run(d.path(), &db);
}
