//! What stored data from before today's validation, and a misbehaving SMTP relay, must
//! not break (issue 17), against the real `muhtar serve` and `muhtar notify` binaries:
//!
//! - a CR/LF in the tenant's name (the e-mails' From display name) used to panic the
//!   server's dispatcher, silently stopping every tenant's notices: now that tenant's
//!   e-mails fail (permanently, saying why), every other tenant's go out, the server
//!   stays ready; such a name is refused when an organisation is installed;
//! - a relay that accepts the connection and then never answers (RCPT, or the end of
//!   DATA) held `notify --once` and the server's shutdown: now every message has a
//!   deadline, a timeout is a transient failure, and SIGTERM stops the server within
//!   seconds even mid-delivery;
//! - U+FFFF and other characters XML cannot carry, stored in a request and a category,
//!   made the Open311 XML feed ill-formed: the feed now always parses.

use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{muhtar, token, Server};
use muhtar_core::access::Actor;
use muhtar_core::ids::TenantId;
use muhtar_core::outbox::{DeliveryChannel, OutboxEntry, OutboxStatus};
use muhtar_core::request::{Event, EventKind, Party};
use muhtar_core::store::{Commit, Document, DocumentKind, Store};
use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

use crate::common;

/// The store of `db` (SQLite or PostgreSQL), for reading and tampering.
async fn open(db: &str) -> Arc<dyn Store> {
    if db.starts_with("postgres") {
        Arc::new(
            muhtar_store_postgres::PgStore::connect(db)
                .await
                .expect("open the PostgreSQL store"),
        )
    } else {
        Arc::new(
            muhtar_store_sqlite::SqliteStore::open(db, Default::default())
                .await
                .expect("open the SQLite store"),
        )
    }
}

/// A fresh PostgreSQL database, or `None` (skipped) without `DATABASE_URL`.
fn pg_db(prefix: &str) -> Option<String> {
    common::pg_server("resilience on PostgreSQL").map(|base| common::fresh_pg_db(&base, prefix))
}

/// Rewrites `tenant`'s stored organisation with `change`, as a new version, without
/// validation: what an old database may hold.
async fn tamper_organisation(db: &str, tenant: &str, change: impl FnOnce(&mut Value)) {
    let store = open(db).await;
    let t = TenantId::new(tenant).unwrap();
    let doc = store
        .document(&t, DocumentKind::Organisation)
        .await
        .unwrap()
        .unwrap();
    let mut org: Value = serde_json::from_str(&doc.body).unwrap();
    change(&mut org);
    store
        .put_document(&Document {
            version: doc.version + 1,
            body: org.to_string(),
            updated_at: chrono::Utc::now(),
            ..doc
        })
        .await
        .unwrap();
}

/// Every e-mail notice of `tenant`.
async fn emails(db: &str, tenant: &str) -> Vec<OutboxEntry> {
    open(db)
        .await
        .outbox(&TenantId::new(tenant).unwrap(), None)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.message.channel == DeliveryChannel::Email)
        .collect()
}

/// The JSON summaries of the e-mails the SMTP sink received.
fn mails(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.path().extension().is_some_and(|x| x == "json"))
        .map(|e| std::fs::read_to_string(e.path()).unwrap())
        .collect()
}

fn submit(dir: &Path, db: &str, tenant: &str, subject: &str) {
    muhtar(
        dir,
        db,
        &[
            "--tenant",
            tenant,
            "--as",
            "muhtar:kuzguncuk",
            "submit",
            "--category",
            "budama",
            "--subject",
            subject,
        ],
    );
}

const NO_QUIET_HOURS: &str = "quiet_hours = { start = \"00:00\", end = \"00:00\" }\n";

// ---------------------------------------------------------------------------------------
// Defect 1: a line break in the tenant's name

/// An organisation whose tenant name holds a line break is refused, naming the field
/// and the line.
#[test]
fn a_line_break_in_the_tenants_name_is_refused_at_installation() {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path();
    let db = format!("sqlite://{}", dir.join("org.db").display());
    let org = include_str!("../../data/org.toml").replacen(
        "name = \"İstanbul Büyükşehir Belediyesi\"",
        "name = \"İstanbul\\r\\nBcc: herkes@example.com\"",
        1,
    );
    assert!(
        org.contains("\\r\\nBcc"),
        "the example's tenant name changed"
    );
    let line = org.lines().position(|l| l.contains("\\r\\nBcc")).unwrap() + 1;
    let file = common::write_org(dir, "bad.toml", &org);
    let o = Command::new(env!("CARGO_BIN_EXE_muhtar"))
        .current_dir(dir)
        .env("MUHTAR_DB", &db)
        .args(["init", "--org", file.to_str().unwrap()])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success(), "{err}");
    assert!(
        err.contains("tenant ibb: name contains the character U+000D")
            && err.contains(&format!("line {line}")),
        "{err}"
    );
}

/// A CR/LF in a stored tenant name (an old database) fails that tenant's e-mails,
/// permanently and saying why; the other tenant's go out; the dispatcher does not die,
/// `/readyz` stays 200. It used to panic inside lettre, killing the dispatcher task
/// while `/healthz` said ok, so no tenant's notices went out again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_line_break_in_a_stored_tenant_name_fails_its_emails_not_the_dispatcher() {
    let d = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", d.path().join("crlf.db").display());
    stored_line_break_in_tenant_name(d.path(), &db).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_line_break_in_a_stored_tenant_name_fails_its_emails_not_the_dispatcher_on_postgres() {
    let Some(db) = pg_db("crlf") else { return };
    let d = tempfile::tempdir().unwrap();
    stored_line_break_in_tenant_name(d.path(), &db).await;
}

async fn stored_line_break_in_tenant_name(dir: &Path, db: &str) {
    let db = db.to_owned();
    let settings = dir.join("settings.toml");
    std::fs::write(&settings, NO_QUIET_HOURS).unwrap();
    let settings = settings.to_str().unwrap();
    muhtar(dir, &db, &["init", "--settings", settings]);
    let other = common::other_org(dir);
    muhtar(dir, &db, &["init", "--org", &other, "--settings", settings]);
    tamper_organisation(&db, "ibb", |org| {
        org["tenant"]["name"] = json!("İstanbul\r\nBcc: herkes@example.com");
    })
    .await;
    submit(dir, &db, "ibb", "Dallar tellere değiyor (ibb)");
    submit(dir, &db, "other", "Dallar tellere değiyor (other)");

    let mail = dir.join("mail");
    std::fs::create_dir(&mail).unwrap();
    let (mut smtp, port) = common::smtp_sink(&mail);
    let srv = Server::start(
        dir,
        &db,
        &["--no-sweeper", "--dispatch-interval", "1"],
        &[
            ("MUHTAR_SMTP_URL", format!("smtp://127.0.0.1:{port}")),
            ("MUHTAR_MAIL_FROM", "mbs@ibb.example.gov.tr".into()),
        ],
    );
    let start = Instant::now();
    loop {
        let bad = emails(&db, "ibb").await;
        let good = emails(&db, "other").await;
        let done = !bad.is_empty()
            && bad.iter().all(|e| e.status == OutboxStatus::Failed)
            && !good.is_empty()
            && good.iter().all(|e| e.status == OutboxStatus::Sent);
        if done {
            for e in &bad {
                let err = e.last_error.as_deref().unwrap_or("");
                assert!(err.contains("display name"), "{err}");
            }
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "after 60 s: ibb {bad:#?}\nother {good:#?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let c = common::client();
    let r = c.get(srv.url("/readyz")).send().await.unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    let all = mails(&mail);
    assert!(
        all.iter()
            .all(|m| !m.contains("Bcc") && m.contains("(other)")),
        "{all:?}"
    );
    assert!(srv.terminate().success());
    let _ = smtp.kill();
    let _ = smtp.wait();
}

// ---------------------------------------------------------------------------------------
// Defect 2: a relay that stalls

/// Where the stalling relay stops answering.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stall {
    /// After the greeting, EHLO and MAIL: never answers RCPT.
    Rcpt,
    /// Answers everything up to the message's end, then never again.
    DataEnd,
}

/// A relay on a loopback port that accepts connections, greets, answers EHLO and then
/// stalls at `stall`, holding the connection open. Counts the connections that reached
/// the stall.
async fn stalling_relay(stall: Stall) -> (u16, Arc<AtomicUsize>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let stalled = Arc::new(AtomicUsize::new(0));
    let count = stalled.clone();
    tokio::spawn(async move {
        loop {
            let Ok((conn, _)) = listener.accept().await else {
                return;
            };
            let count = count.clone();
            tokio::spawn(async move {
                let (r, mut w) = conn.into_split();
                let mut lines = BufReader::new(r).lines();
                let _ = w.write_all(b"220 stall.example ESMTP\r\n").await;
                let mut in_data = false;
                let mut holding = false;
                while let Ok(Some(line)) = lines.next_line().await {
                    if holding {
                        continue;
                    }
                    if in_data {
                        if line == "." {
                            in_data = false;
                            if stall == Stall::DataEnd {
                                count.fetch_add(1, Ordering::SeqCst);
                                holding = true;
                            } else {
                                let _ = w.write_all(b"250 queued\r\n").await;
                            }
                        }
                        continue;
                    }
                    let verb = line.get(..4).unwrap_or("").to_ascii_uppercase();
                    let reply: &[u8] = match verb.as_str() {
                        "EHLO" => b"250 stall.example\r\n",
                        "RCPT" if stall == Stall::Rcpt => {
                            count.fetch_add(1, Ordering::SeqCst);
                            holding = true;
                            continue;
                        }
                        "DATA" => {
                            in_data = true;
                            b"354 go on\r\n"
                        }
                        "QUIT" => b"221 bye\r\n",
                        _ => b"250 ok\r\n",
                    };
                    let _ = w.write_all(reply).await;
                }
            });
        }
    });
    (port, stalled)
}

/// `muhtar notify --once` against a relay that stalls at `stall`, with `?timeout=2`:
/// returns within the deadline, the e-mails still pending with a transient timeout.
async fn notify_once_against(stall: Stall) {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path();
    let db = format!("sqlite://{}", dir.join("stall.db").display());
    common::init_without_quiet_hours(dir, &db);
    submit(dir, &db, "ibb", "Dallar tellere değiyor");
    let (port, stalled) = stalling_relay(stall).await;
    let mut child = Command::new(env!("CARGO_BIN_EXE_muhtar"))
        .current_dir(dir)
        .env("MUHTAR_DB", &db)
        .env(
            "MUHTAR_SMTP_URL",
            format!("smtp://127.0.0.1:{port}?timeout=2"),
        )
        .env("MUHTAR_MAIL_FROM", "MBS <mbs@ibb.example.gov.tr>")
        .args(["--tenant", "ibb", "notify", "--once"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let start = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if start.elapsed() > Duration::from_secs(40) {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{stall:?}: `notify --once` still running after 40 s");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let took = start.elapsed();
    let out = child.wait_with_output().unwrap();
    assert!(status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    // One message's deadline (3 × 2 s) and the rest of the pass untried.
    assert!(took < Duration::from_secs(15), "{stall:?}: took {took:?}");
    assert_eq!(
        stalled.load(Ordering::SeqCst),
        1,
        "{stall:?}: one stalled message"
    );
    let mails = emails(&db, "ibb").await;
    assert!(!mails.is_empty());
    for e in &mails {
        let err = e.last_error.as_deref().unwrap_or("");
        assert_eq!(e.status, OutboxStatus::Pending, "{e:?}");
        assert!(err.contains("SMTP timeout"), "{stall:?}: {err}");
    }
    eprintln!(
        "FIGURES stalled relay ({stall:?}): notify --once returned after {:.1} s, {} e-mails pending",
        took.as_secs_f64(),
        mails.len()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn notify_once_returns_when_the_relay_never_answers_rcpt() {
    notify_once_against(Stall::Rcpt).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn notify_once_returns_when_the_relay_never_answers_the_data_end() {
    notify_once_against(Stall::DataEnd).await;
}

/// SIGTERM stops `muhtar serve` within seconds while its dispatcher waits on a relay
/// that never answers (with a 30 s timeout, so the message's own deadline is far off);
/// the claimed message stays pending, to be retried when its lease runs out.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_stops_the_server_mid_delivery() {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path();
    let db = format!("sqlite://{}", dir.join("stop.db").display());
    common::init_without_quiet_hours(dir, &db);
    submit(dir, &db, "ibb", "Dallar tellere değiyor");
    let (port, stalled) = stalling_relay(Stall::Rcpt).await;
    let srv = Server::start(
        dir,
        &db,
        &["--no-sweeper", "--dispatch-interval", "1"],
        &[
            (
                "MUHTAR_SMTP_URL",
                format!("smtp://127.0.0.1:{port}?timeout=30"),
            ),
            ("MUHTAR_MAIL_FROM", "MBS <mbs@ibb.example.gov.tr>".into()),
        ],
    );
    let start = Instant::now();
    while stalled.load(Ordering::SeqCst) == 0 {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "no delivery began"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let mut srv = srv;
    let child = &mut srv.child;
    let pid = child.id().to_string();
    let t = Instant::now();
    Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if t.elapsed() > Duration::from_secs(20) {
            let _ = child.kill();
            let _ = child.wait();
            panic!("`muhtar serve` still running 20 s after SIGTERM");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let took = t.elapsed();
    assert!(status.success(), "{status:?}");
    assert!(took < Duration::from_secs(6), "stopped after {took:?}");
    eprintln!(
        "FIGURES SIGTERM mid-delivery: serve stopped {:.1} s after it",
        took.as_secs_f64()
    );
    let mails = emails(&db, "ibb").await;
    assert!(mails
        .iter()
        .all(|e| e.status == OutboxStatus::Pending && e.sent_at.is_none()));
    assert!(
        mails.iter().any(|e| e.claimed_until.is_some()),
        "the message in delivery keeps its lease: {mails:#?}"
    );
}

// ---------------------------------------------------------------------------------------
// Defect 5: characters XML cannot carry

/// A request description and a category name holding U+FFFF, U+FFFE and a control
/// character (stored bypassing validation, as an old database may) still give a
/// well-formed Open311 XML feed; the characters come out as U+FFFD.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stored_xml_forbidden_characters_still_give_a_well_formed_feed() {
    let d = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", d.path().join("xml.db").display());
    stored_xml_forbidden_characters(d.path(), &db).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stored_xml_forbidden_characters_still_give_a_well_formed_feed_on_postgres() {
    let Some(db) = pg_db("xmlfeed") else { return };
    let d = tempfile::tempdir().unwrap();
    stored_xml_forbidden_characters(d.path(), &db).await;
}

async fn stored_xml_forbidden_characters(dir: &Path, db: &str) {
    let db = db.to_owned();
    muhtar(dir, &db, &["init"]);
    let kuz = token(dir, &db, "ibb", "muhtar:kuzguncuk");
    let srv = Server::start(dir, &db, &["--no-dispatcher", "--no-sweeper"], &[]);
    let c = common::client();
    let (s, v) = common::post_json(
        &c,
        &srv.url("/api/v1/requests"),
        &kuz,
        &json!({"category": "asfalt-onarim", "subject": "Çukur", "description": "Derin çukur"}),
    )
    .await;
    assert_eq!(s, 201, "{v}");
    let tracking = v["tracking"].as_str().unwrap().to_owned();
    let bad = "Derin\u{FFFF}çukur\u{FFFE}\u{1}<&>";
    // Store it as an old database would hold it: a new event, the state changed.
    {
        let store = open(&db).await;
        let t = TenantId::new("ibb").unwrap();
        let record = store
            .load_by_tracking(&t, &tracking.parse().unwrap())
            .await
            .unwrap();
        let event = Event {
            version: record.state.version + 1,
            at: chrono::Utc::now(),
            actor: Actor::system(t.clone()),
            kind: EventKind::Message {
                from: Party::Unit,
                text: "Bakılıyor".into(),
            },
        };
        let mut state = record.state.clone();
        state.apply(&event).unwrap();
        state.content.description = bad.into();
        let mut next = record.clone();
        next.state = state;
        store
            .commit(&Commit {
                expected_version: record.state.version,
                events: vec![event],
                record: next,
                outbox: vec![],
                documents: vec![],
                decision: None,
            })
            .await
            .unwrap();
    }
    tamper_organisation(&db, "ibb", |org| {
        org["category"][0]["name"] = json!("Asfalt\u{FFFF}\u{2}");
    })
    .await;
    for path in [
        "requests.xml?jurisdiction_id=ibb".to_owned(),
        format!("requests/{tracking}.xml?jurisdiction_id=ibb"),
        "services.xml?jurisdiction_id=ibb".to_owned(),
    ] {
        let r = c
            .get(srv.url(&format!("/open311/v2/{path}")))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{path}");
        let xml = r.text().await.unwrap();
        let doc = roxmltree::Document::parse(&xml)
            .unwrap_or_else(|e| panic!("{path}: not well-formed XML ({e}): {xml:?}"));
        if path.starts_with("requests") {
            let description = doc
                .descendants()
                .filter(|n| n.has_tag_name("description"))
                .filter_map(|n| n.text())
                .find(|t| t.starts_with("Derin"))
                .unwrap_or_else(|| panic!("{path}: no description in {xml}"));
            assert_eq!(description, "Derin\u{FFFD}çukur\u{FFFD}\u{FFFD}<&>");
        } else {
            assert!(xml.contains("Asfalt\u{FFFD}\u{FFFD}"), "{xml}");
        }
    }
    assert!(srv.terminate().success());
}
