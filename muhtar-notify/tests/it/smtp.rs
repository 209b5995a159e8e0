//! E-mail delivery through a REAL SMTP server process: `tests/smtp_sink.py`, an aiosmtpd
//! server started on a free loopback port for each test, which writes every message it
//! accepts (raw and as a JSON summary parsed with Python's `email` package) to a
//! temporary directory, and refuses `reject-*` recipients with 550.
//!
//! Needs `python3` with `aiosmtpd` (`pip install aiosmtpd`); without them these tests
//! FAIL with a message saying so. Set `MUHTAR_PYTHON` to use another interpreter.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration as StdDuration;

use chrono::Duration;
use muhtar_core::clock::{Clock, ManualClock};
use muhtar_core::ids::{IdGenerator, SeededRandom};
use muhtar_core::outbox::{
    plan, request_facts, DeliveryChannel, Locale, NoticeKind, NoticePayload, OutboxEntry,
    OutboxMessage, OutboxStatus,
};
use muhtar_core::store::{OutboxStore, RequestStore};
use muhtar_core::testkit::{fixtures, MemoryStore};
use muhtar_notify::{
    message_id, Dispatcher, DispatcherConfig, Disposition, EmailTransport, QuietHoursConfig,
    RecordingSmsGateway, SharedClock, SmtpConfig, SmtpTransport,
};
use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, BufReader};
use tokio::process::{Child, Command};

use crate::private_ca;

const FROM: &str = "MBS Bildirim <bildirim@ornek.bel.tr>";

/// A running `smtp_sink.py`.
struct SmtpSink {
    child: Child,
    dir: tempfile::TempDir,
}

impl SmtpSink {
    async fn start(port: u16) -> SmtpSink {
        Self::start_with(port, &[]).await
    }

    /// With implicit TLS (smtps) and the certificate of `ca`.
    async fn start_tls(port: u16, ca: &private_ca::PrivateCa) -> SmtpSink {
        let (cert, key) = (ca.cert_file.display(), ca.key_file.display());
        Self::start_with(
            port,
            &[
                "--tls-cert",
                &cert.to_string(),
                "--tls-key",
                &key.to_string(),
            ],
        )
        .await
    }

    async fn start_with(port: u16, extra: &[&str]) -> SmtpSink {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/smtp_sink.py");
        let python = std::env::var("MUHTAR_PYTHON").unwrap_or_else(|_| "python3".into());
        let dir = tempfile::tempdir().expect("temporary directory");
        let mut child = Command::new(&python)
            .arg(&script)
            .arg("--port")
            .arg(port.to_string())
            .arg("--dir")
            .arg(dir.path())
            .args(extra)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|e| {
                panic!(
                    "cannot start `{python}` for the SMTP test server ({e}). These tests need \
                     Python 3 with aiosmtpd: `pip install aiosmtpd` (set MUHTAR_PYTHON to \
                     choose the interpreter)"
                )
            });
        let stdout = child.stdout.take().expect("piped stdout");
        let mut lines = BufReader::new(stdout).lines();
        let ready = tokio::time::timeout(StdDuration::from_secs(30), lines.next_line()).await;
        match ready {
            Ok(Ok(Some(line))) if line.starts_with("READY") => {}
            other => {
                let _ = child.start_kill();
                let mut err = String::new();
                if let Some(mut e) = child.stderr.take() {
                    let _ =
                        tokio::time::timeout(StdDuration::from_secs(5), e.read_to_string(&mut err))
                            .await;
                }
                panic!(
                    "the SMTP test server (tests/smtp_sink.py on port {port}) did not start: \
                     {other:?}\n{err}\nThese tests need Python 3 with aiosmtpd: \
                     `pip install aiosmtpd`"
                );
            }
        }
        SmtpSink { child, dir }
    }

    /// The JSON summaries of the messages received so far, in order.
    fn received(&self) -> Vec<Value> {
        let mut files: Vec<PathBuf> = std::fs::read_dir(self.dir.path())
            .expect("sink directory")
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .collect();
        files.sort();
        files
            .iter()
            .map(|p| serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap())
            .collect()
    }

    async fn stop(mut self) {
        let _ = self.child.kill().await;
    }
}

/// Two hours after the fixtures' t0: the fixture request (received at t0 + 1 h) and
/// its notices are due.
fn start() -> chrono::DateTime<chrono::Utc> {
    fixtures::t0() + Duration::hours(2)
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

type TestDispatcher =
    Dispatcher<SmtpTransport, Arc<RecordingSmsGateway>, SharedClock<ManualClock>, MemoryStore>;

fn dispatcher(
    port: u16,
    store: &Arc<MemoryStore>,
    clock: &Arc<ManualClock>,
) -> (TestDispatcher, Arc<RecordingSmsGateway>) {
    let config = SmtpConfig::from_url(&format!("smtp://127.0.0.1:{port}?timeout=10"), FROM)
        .expect("SMTP config");
    let smtp = SmtpTransport::new(&config).expect("SMTP transport");
    let sms = Arc::new(RecordingSmsGateway::new());
    let mut cfg = DispatcherConfig::default();
    cfg.quiet_hours = QuietHoursConfig::none();
    let d = Dispatcher::new(
        store.clone(),
        smtp,
        sms.clone(),
        SharedClock(clock.clone()),
        cfg,
    );
    (d, sms)
}

/// A routed fixture request in tenant `t1`, committed to `store`, and the notices core
/// plans for it (received to the muhtar by e-mail and SMS, new-in-queue to the unit and
/// its liaison), enqueued. Returns the tracking number and the planned messages.
async fn routed_request(store: &MemoryStore) -> (String, Vec<OutboxMessage>) {
    let commit = fixtures::Spec::new("t1", 1).commit();
    store.commit(&commit).await.expect("commit");
    let org = fixtures::organisation("t1");
    let mut ids = IdGenerator::new(SeededRandom::new(99));
    let planned = plan(
        &org,
        &commit.record.state,
        &commit.record.deadlines,
        &commit.events,
        &mut ids,
        start(),
    );
    store.enqueue(&planned).await.expect("enqueue");
    (commit.record.state.tracking.to_string(), planned)
}

fn custom(n: u128, kind: NoticeKind, to: &str, locale: Locale, payload: Value) -> OutboxMessage {
    OutboxMessage {
        id: uuid::Uuid::from_u128(n),
        tenant: fixtures::tenant("t1"),
        request: None,
        idempotency_key: format!("custom-{n}:{}:{to}", kind.as_str()),
        kind,
        channel: DeliveryChannel::Email,
        recipient: to.into(),
        addressee: None,
        locale,
        payload: NoticePayload::from_json(kind, payload).unwrap(),
        created_at: start(),
        not_before: start(),
    }
}

async fn outbox(store: &MemoryStore) -> Vec<OutboxEntry> {
    store
        .outbox(&fixtures::tenant("t1"), None)
        .await
        .expect("outbox")
}

async fn entry(store: &MemoryStore, key: &str) -> OutboxEntry {
    outbox(store)
        .await
        .into_iter()
        .find(|e| e.message.idempotency_key == key)
        .expect("entry")
}

fn by_rcpt<'a>(mails: &'a [Value], rcpt: &str) -> Vec<&'a Value> {
    mails
        .iter()
        .filter(|m| m["rcpt_tos"] == json!([rcpt]))
        .collect()
}

fn assert_alternative(mail: &Value) {
    assert_eq!(mail["content_type"], "multipart/alternative", "{mail}");
    let types: Vec<&str> = mail["parts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["content_type"].as_str().unwrap())
        .collect();
    assert_eq!(types, ["multipart/alternative", "text/plain", "text/html"]);
    for p in &mail["parts"].as_array().unwrap()[1..] {
        assert_eq!(p["charset"], "utf-8");
    }
    assert_eq!(mail["defects"], json!([]));
    assert_eq!(mail["auto_submitted"], "auto-generated");
}

#[tokio::test]
async fn delivers_several_notice_kinds_with_correct_mime() {
    let port = free_port();
    let sink = SmtpSink::start(port).await;
    let store = Arc::new(MemoryStore::default());
    let clock = Arc::new(ManualClock::new(start()));
    let (d, sms) = dispatcher(port, &store, &clock);
    let (tracking, planned) = routed_request(&store).await;

    let commit = fixtures::Spec::new("t1", 1).commit();
    let org = fixtures::organisation("t1");
    let mut answered = serde_json::to_value(request_facts(
        &org,
        &commit.record.state,
        &commit.record.deadlines,
    ))
    .unwrap();
    answered["status"] = json!("answered");
    answered["outcome"] = json!("negative");
    answered["reason"] = json!("no-budget");
    answered["reason_name"] = json!("Bütçe yetersiz");
    answered["reason_text"] = json!("Ödenek 2026 programında: <hemen değil> & sonra.");
    answered["answer"] = json!("Çukur ağustosta kapatılacak; Şükrü Bey'e iletildi.");
    let answered_en = {
        let mut p = answered.clone();
        p["answer"] = json!("Will be fixed in August (İstanbul).");
        p["due"] = p["resolution_due"].clone();
        p
    };
    let extra = [
        custom(
            1,
            NoticeKind::Answered,
            "ali.demir@muhtar.example",
            Locale::Tr,
            answered.clone(),
        ),
        custom(
            2,
            NoticeKind::Breached,
            "ayse.yilmaz@ornek.bel.tr",
            Locale::En,
            answered_en,
        ),
    ];
    store.enqueue(&extra).await.unwrap();

    let report = d.run_once().await.expect("pass");
    // Fixture's own notice + planned (muhtar e-mail, muhtar SMS, unit, liaison) + 2.
    assert_eq!(report.claimed, 1 + planned.len() + 2, "{report:?}");
    assert_eq!(report.sent, report.claimed, "{report:?}");
    assert_eq!(sms.sent().len(), 1);
    assert!(sms.sent()[0].text.contains(&tracking));

    let mails = sink.received();
    assert_eq!(mails.len(), report.claimed - 1, "every e-mail arrived once");
    for m in &mails {
        assert_alternative(m);
        assert!(m["subject"].as_str().unwrap().contains(&tracking), "{m}");
        assert_eq!(m["mail_from"], "bildirim@ornek.bel.tr");
    }

    // The muhtar's "received" notice: Turkish letters intact, unit and due date.
    let received = by_rcpt(&mails, "ali.demir@muhtar.example");
    assert_eq!(received.len(), 3, "fixture notice, planned notice, answer");
    let planned_received = planned
        .iter()
        .find(|m| m.kind == NoticeKind::Received && m.channel == DeliveryChannel::Email)
        .unwrap();
    let r = received
        .iter()
        .find(|m| m["message_id"] == message_id(&planned_received.idempotency_key, "muhtar"))
        .expect("the planned notice, found by its Message-ID");
    assert_eq!(
        r["subject"],
        format!("[Takip No: {tracking}] Talebiniz alındı")
    );
    let text = r["text"].as_str().unwrap();
    assert!(
        text.starts_with("Sayın Ali Demir (Kuzguncuk Mahallesi Muhtarı),"),
        "{text}"
    );
    assert!(text.contains("Fen İşleri Müdürlüğü"), "{text}");
    assert!(text.contains("Kuzguncuk Mahallesi"));
    assert!(text.contains("Okul önündeki çukur"));
    // Due t0 + 15 days = 2025-03-29 09:00 UTC = 12:00 İstanbul; received t0 + 1 h.
    assert!(
        text.contains("Cevap için son tarih: 29.03.2025 12:00 (TSİ)"),
        "{text}"
    );
    assert!(
        text.contains("Alınma zamanı: 14.03.2025 13:00 (TSİ)"),
        "{text}"
    );
    assert!(text.contains("Örnek İlçe Belediyesi"));
    let html = r["html"].as_str().unwrap();
    assert!(html.contains("<td>Fen İşleri Müdürlüğü</td>"), "{html}");
    assert!(r["from"]
        .as_str()
        .unwrap()
        .contains("bildirim@ornek.bel.tr"));

    // The unit and its liaison got the new-in-queue notice, each greeted as who they are.
    for (rcpt, greeting) in [
        ("fen@ornek.bel.tr", "Sayın Fen İşleri Müdürlüğü yetkilisi,"),
        (
            "mehmet.kaya@ornek.bel.tr",
            "Sayın Mehmet Kaya (Fen İşleri Müdürlüğü irtibat personeli),",
        ),
    ] {
        let got = by_rcpt(&mails, rcpt);
        assert_eq!(got.len(), 1, "{rcpt}");
        assert_eq!(
            got[0]["subject"],
            format!("[Takip No: {tracking}] Biriminize yeni talep")
        );
        let text = got[0]["text"].as_str().unwrap();
        assert!(text.starts_with(greeting), "{text}");
    }

    // The answer: outcome, reason, answer text; the HTML is escaped.
    let a = received
        .iter()
        .find(|m| m["message_id"] == message_id(&extra[0].idempotency_key, "muhtar"))
        .unwrap();
    assert_eq!(
        a["subject"],
        format!("[Takip No: {tracking}] Talebiniz cevaplandı: Olumsuz")
    );
    let text = a["text"].as_str().unwrap();
    assert!(text.contains("Sonuç: Olumsuz"));
    assert!(text.contains("Gerekçe: Bütçe yetersiz"));
    assert!(text.contains("Çukur ağustosta kapatılacak; Şükrü Bey'e iletildi."));
    assert!(text.contains("<hemen değil> & sonra."));
    let html = a["html"].as_str().unwrap();
    assert!(html.contains("&lt;hemen değil&gt; &amp; sonra."));
    assert!(html.contains("Şükrü Bey&#39;e"));

    // The escalation in English to the responsible official.
    let b = by_rcpt(&mails, "ayse.yilmaz@ornek.bel.tr");
    assert_eq!(b.len(), 1);
    assert_eq!(
        b[0]["subject"],
        format!("[Tracking No: {tracking}] Deadline passed")
    );
    let text = b[0]["text"].as_str().unwrap();
    assert!(text.starts_with("Dear colleague,"), "{text}");
    assert!(text.contains("Unit: Fen İşleri Müdürlüğü"), "{text}");
    assert!(
        text.contains("Answer due: 2025-03-29 12:00 (Istanbul time)"),
        "{text}"
    );
    assert!(
        !text.contains("Will be fixed"),
        "escalations do not carry the answer"
    );

    // The store agrees.
    assert!(outbox(&store)
        .await
        .iter()
        .all(|e| e.status == OutboxStatus::Sent && e.sent_at == Some(start())));
    sink.stop().await;
}

#[tokio::test]
async fn server_down_keeps_messages_queued_until_it_is_back() {
    let port = free_port();
    let store = Arc::new(MemoryStore::default());
    let clock = Arc::new(ManualClock::new(start()));
    let (d, _sms) = dispatcher(port, &store, &clock);
    let (tracking, _) = routed_request(&store).await;

    // Nobody listens on the port: connection refused, a transient failure.
    let report = d.run_once().await.expect("pass");
    assert!(report.claimed >= 4);
    let emails = report.claimed - 1;
    assert_eq!(report.retried, emails, "{report:?}");
    let mut latest = clock.now();
    for e in outbox(&store).await {
        if e.message.channel == DeliveryChannel::Sms {
            assert_eq!(e.status, OutboxStatus::Sent);
            continue;
        }
        assert_eq!(e.status, OutboxStatus::Pending);
        assert!(e.next_attempt_at > clock.now());
        assert!(
            e.next_attempt_at <= clock.now() + Duration::seconds(72),
            "{e:?}"
        );
        assert_eq!(e.failures, 1);
        let err = e.last_error.unwrap();
        assert!(err.starts_with("SMTP"), "{err}");
        latest = latest.max(e.next_attempt_at);
    }

    // The server comes back on the same port; nothing is due yet.
    let sink = SmtpSink::start(port).await;
    assert_eq!(d.run_once().await.unwrap().claimed, 0);
    assert!(sink.received().is_empty());

    // Past the retry time, everything goes out, once.
    clock.set(latest + Duration::seconds(1));
    let report = d.run_once().await.unwrap();
    assert_eq!(report.sent, emails, "{report:?}");
    clock.advance(Duration::days(1));
    assert_eq!(d.run_once().await.unwrap().claimed, 0);
    let mails = sink.received();
    assert_eq!(mails.len(), emails);
    let mut ids: Vec<&str> = mails
        .iter()
        .map(|m| m["message_id"].as_str().unwrap())
        .collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), emails, "none twice");
    assert!(mails
        .iter()
        .all(|m| m["subject"].as_str().unwrap().contains(&tracking)));
    assert!(outbox(&store)
        .await
        .iter()
        .all(|e| e.status == OutboxStatus::Sent));
    sink.stop().await;
}

#[tokio::test]
async fn rejected_recipient_fails_permanently_and_is_not_retried() {
    let port = free_port();
    let sink = SmtpSink::start(port).await;
    let store = Arc::new(MemoryStore::default());
    let clock = Arc::new(ManualClock::new(start()));
    let (d, _sms) = dispatcher(port, &store, &clock);
    let payload = json!({
        "tracking": "7KM-3QX-9PA",
        "subject": "Çöp toplanmıyor",
        "muhtarlik": "kuzguncuk",
        "status": "answered",
        "received_at": "2025-03-14T09:00:00Z",
    });
    let msgs = [
        custom(
            1,
            NoticeKind::Closed,
            "reject-ali@muhtar.example",
            Locale::Tr,
            payload.clone(),
        ),
        custom(
            2,
            NoticeKind::Closed,
            "sule.ozturk@muhtar.example",
            Locale::Tr,
            payload.clone(),
        ),
        custom(
            3,
            NoticeKind::Closed,
            "tempfail-veli@muhtar.example",
            Locale::Tr,
            payload,
        ),
    ];
    store.enqueue(&msgs).await.unwrap();

    let report = d.run_once().await.unwrap();
    assert_eq!(
        (report.sent, report.failed, report.retried),
        (1, 1, 1),
        "{report:?}"
    );

    let rejected = entry(&store, &msgs[0].idempotency_key).await;
    assert_eq!(rejected.status, OutboxStatus::Failed);
    let err = rejected.last_error.unwrap();
    assert!(err.contains("550"), "{err}");
    assert!(err.contains("Recipient address rejected"), "{err}");

    // 451 in RCPT is transient: scheduled for a retry.
    let deferred = entry(&store, &msgs[2].idempotency_key).await;
    assert_eq!(deferred.status, OutboxStatus::Pending);
    assert!(deferred.last_error.unwrap().contains("451"));

    // A day later: the rejected one is not tried again.
    clock.advance(Duration::days(1));
    let report = d.run_once().await.unwrap();
    assert_eq!(report.claimed, 1);
    assert_eq!(report.messages[0].0, msgs[2].id);
    assert_eq!(
        entry(&store, &msgs[0].idempotency_key).await.status,
        OutboxStatus::Failed
    );
    let mails = sink.received();
    assert_eq!(mails.len(), 1);
    assert_eq!(mails[0]["rcpt_tos"], json!(["sule.ozturk@muhtar.example"]));
    sink.stop().await;
}

#[tokio::test]
async fn crash_between_send_and_mark_resends_with_the_same_message_id() {
    let port = free_port();
    let sink = SmtpSink::start(port).await;
    let store = Arc::new(MemoryStore::default());
    let clock = Arc::new(ManualClock::new(start()));
    let (d, _sms) = dispatcher(port, &store, &clock);
    let msg = custom(
        7,
        NoticeKind::Answered,
        "ali.demir@muhtar.example",
        Locale::Tr,
        json!({
            "tracking": "7KM-3QX-9PA",
            "muhtarlik": "kuzguncuk",
            "status": "answered",
            "received_at": "2025-03-14T09:00:00Z",
            "outcome": "positive",
            "answer": "Yol onarıldı.",
        }),
    );
    store.enqueue(std::slice::from_ref(&msg)).await.unwrap();

    // A first dispatcher claims the message, sends it, and dies before marking it.
    let lease = d.config().lease;
    let claimed = store.claim(clock.now(), 10, lease).await.unwrap();
    assert_eq!(claimed.len(), 1);
    let mail = d.email_for(&claimed[0].message).unwrap();
    d.email_transport().send(&mail).await.expect("first send");

    // While the lease runs, nobody takes the message again.
    assert_eq!(d.run_once().await.unwrap().claimed, 0);

    // After the lease, the next dispatcher sends it again, with the same Message-ID.
    clock.advance(lease + Duration::seconds(1));
    let report = d.run_once().await.unwrap();
    assert_eq!(report.sent, 1);
    assert_eq!(report.messages, vec![(msg.id, Disposition::Sent)]);

    let mails = sink.received();
    assert_eq!(
        mails.len(),
        2,
        "at-least-once: the receiver sees two copies"
    );
    let expected = message_id(&msg.idempotency_key, "muhtar");
    assert_eq!(mails[0]["message_id"], expected);
    assert_eq!(mails[1]["message_id"], expected);
    assert_eq!(mails[0]["subject"], mails[1]["subject"]);

    // The store holds the notice once, sent.
    let entries = outbox(&store).await;
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].status, OutboxStatus::Sent);
    assert_eq!(entries[0].attempts, 2);
    clock.advance(Duration::days(1));
    assert_eq!(d.run_once().await.unwrap().claimed, 0);
    assert_eq!(sink.received().len(), 2);
    sink.stop().await;
}

/// A relay with a certificate from a private CA (common in public bodies) is reached when
/// its CA is given (`?ca=` in the URL) and refused, permanently, when it is not.
#[tokio::test]
async fn a_relay_with_a_private_ca_is_reached_with_the_ca_file_and_refused_without() {
    let ca = private_ca::PrivateCa::new();
    let port = free_port();
    let sink = SmtpSink::start_tls(port, &ca).await;
    let mail = muhtar_notify::OutgoingEmail {
        to: "ali.demir@muhtar.example".into(),
        from_name: None,
        subject: "[Takip No: 7KM-3QX-9PA] Talebiniz alındı".into(),
        text: "Sayın Muhtar,\n".into(),
        html: "<p>Sayın Muhtar,</p>".into(),
        message_id: message_id("tls-1", "muhtar"),
        date: start(),
    };
    let url = format!("smtps://localhost:{port}?timeout=10");
    let without = SmtpTransport::new(&SmtpConfig::from_url(&url, FROM).unwrap()).unwrap();
    match without.send(&mail).await {
        Err(muhtar_core::outbox::DeliveryError::Permanent(m)) => {
            assert!(m.contains("certificate"), "{m}")
        }
        other => panic!("an unknown CA is a permanent failure: {other:?}"),
    }
    assert!(sink.received().is_empty());
    let with_ca = format!("{url}&ca={}", ca.ca_file.display());
    let config = SmtpConfig::from_url(&with_ca, FROM).unwrap();
    assert_eq!(config.extra_ca.as_deref(), Some(ca.ca_file.as_path()));
    let with = SmtpTransport::new(&config).unwrap();
    with.send(&mail).await.expect("delivered over TLS");
    let got = sink.received();
    assert_eq!(got.len(), 1);
    assert_eq!(
        got[0]["subject"],
        "[Takip No: 7KM-3QX-9PA] Talebiniz alındı"
    );
    // A CA file that is not there is a configuration error, not a silent fallback.
    let missing = format!("{url}&ca=/nonexistent/ca.pem");
    assert!(matches!(
        SmtpTransport::new(&SmtpConfig::from_url(&missing, FROM).unwrap()),
        Err(muhtar_notify::SmtpConfigError::Tls(_))
    ));
    sink.stop().await;
}
