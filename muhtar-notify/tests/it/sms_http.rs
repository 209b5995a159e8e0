//! The HTTP SMS gateway against a tiny HTTP server started in the test (a tokio
//! `TcpListener` on loopback that records each request and answers with a scripted
//! status).

use std::sync::Arc;
use std::time::Duration as StdDuration;

use muhtar_core::clock::ManualClock;
use muhtar_core::outbox::{
    DeliveryChannel, DeliveryError, Locale, NoticeKind, OutboxMessage, OutboxStatus,
};
use muhtar_core::store::OutboxStore;
use muhtar_core::testkit::{fixtures, MemoryStore};
use muhtar_notify::{
    Dispatcher, DispatcherConfig, HttpAuth, HttpBody, HttpSmsConfig, HttpSmsGateway, OutgoingSms,
    QuietHoursConfig, RecordingTransport, SharedClock, SmsEncoding, SmsGateway,
};
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::sync::mpsc;

use crate::private_ca;

/// One request as the server saw it.
#[derive(Debug)]
struct Seen {
    head: String,
    body: String,
}

/// What the server does with a request.
#[derive(Clone, Copy)]
enum Reply {
    Status(u16),
    /// Reads the request and never answers.
    Hang,
}

/// Serves `replies` one connection each, in order; reports each request.
async fn server(replies: Vec<Reply>) -> (String, mpsc::UnboundedReceiver<Seen>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/api/sms", listener.local_addr().unwrap());
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        for reply in replies {
            let Ok((mut sock, _)) = listener.accept().await else {
                return;
            };
            let mut buf = Vec::new();
            let mut chunk = [0u8; 4096];
            // Read the head, then Content-Length bytes of body.
            let (head, body) = loop {
                let n = match sock.read(&mut chunk).await {
                    Ok(0) | Err(_) => return,
                    Ok(n) => n,
                };
                buf.extend_from_slice(&chunk[..n]);
                if let Some(pos) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                    let head = String::from_utf8_lossy(&buf[..pos]).to_string();
                    let len: usize = head
                        .lines()
                        .find_map(|l| {
                            let (k, v) = l.split_once(':')?;
                            k.eq_ignore_ascii_case("content-length")
                                .then(|| v.trim().parse().ok())?
                        })
                        .unwrap_or(0);
                    while buf.len() < pos + 4 + len {
                        match sock.read(&mut chunk).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => buf.extend_from_slice(&chunk[..n]),
                        }
                    }
                    let body = String::from_utf8_lossy(&buf[pos + 4..pos + 4 + len]).to_string();
                    break (head, body);
                }
            };
            let _ = tx.send(Seen { head, body });
            match reply {
                Reply::Status(code) => {
                    let text = format!("status {code}");
                    let resp = format!(
                        "HTTP/1.1 {code} X\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{text}",
                        text.len()
                    );
                    let _ = sock.write_all(resp.as_bytes()).await;
                    let _ = sock.shutdown().await;
                }
                Reply::Hang => {
                    tokio::time::sleep(StdDuration::from_secs(5)).await;
                }
            }
        }
    });
    (url, rx)
}

fn sms(text: &str) -> OutgoingSms {
    OutgoingSms {
        to: "+905321112233".into(),
        text: text.into(),
        encoding: SmsEncoding::Gsm7,
        segments: 1,
        idempotency_key: "k".into(),
    }
}

fn form_decode(body: &str) -> Vec<(String, String)> {
    body.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            let dec = |s: &str| {
                let s = s.replace('+', " ");
                let bytes = s.as_bytes();
                let mut out = Vec::new();
                let mut i = 0;
                while i < bytes.len() {
                    if bytes[i] == b'%' && i + 2 < bytes.len() + 1 {
                        let h = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap();
                        out.push(u8::from_str_radix(h, 16).unwrap());
                        i += 3;
                    } else {
                        out.push(bytes[i]);
                        i += 1;
                    }
                }
                String::from_utf8(out).unwrap()
            };
            (dec(k), dec(v))
        })
        .collect()
}

#[tokio::test]
async fn form_post_with_basic_auth_and_custom_parameter_names() {
    let (url, mut rx) = server(vec![Reply::Status(200)]).await;
    let mut cfg = HttpSmsConfig::new(url);
    cfg.auth = HttpAuth::Basic {
        user: "belediye".into(),
        password: "gizli".into(),
    };
    cfg.to_param = "gsm".into();
    cfg.text_param = "mesaj".into();
    cfg.sender_param = "baslik".into();
    cfg.sender = Some("ORNEKBLD".into());
    cfg.extra_params = vec![("hesap".into(), "42".into())];
    let gw = HttpSmsGateway::new(cfg).unwrap();
    gw.send(&sms("Takip No: 7KM-3QX-9PA Talebiniz alindi & iletildi."))
        .await
        .expect("sent");
    let seen = rx.recv().await.unwrap();
    assert!(
        seen.head.starts_with("POST /api/sms HTTP/1.1"),
        "{}",
        seen.head
    );
    let head = seen.head.to_ascii_lowercase();
    assert!(head.contains("content-type: application/x-www-form-urlencoded"));
    // base64("belediye:gizli")
    assert!(
        head.contains("authorization: basic ymvszwrpewu6z2l6bgk="),
        "{head}"
    );
    assert_eq!(
        form_decode(&seen.body),
        vec![
            ("gsm".to_string(), "+905321112233".to_string()),
            (
                "mesaj".to_string(),
                "Takip No: 7KM-3QX-9PA Talebiniz alindi & iletildi.".to_string()
            ),
            ("baslik".to_string(), "ORNEKBLD".to_string()),
            ("hesap".to_string(), "42".to_string()),
        ]
    );
}

#[tokio::test]
async fn json_post_with_bearer_token_keeps_unicode() {
    let (url, mut rx) = server(vec![Reply::Status(202)]).await;
    let mut cfg = HttpSmsConfig::new(url);
    cfg.body = HttpBody::Json;
    cfg.auth = HttpAuth::Bearer("tok-123".into());
    let gw = HttpSmsGateway::new(cfg).unwrap();
    gw.send(&sms("Talebiniz alındı: Şükrü"))
        .await
        .expect("sent");
    let seen = rx.recv().await.unwrap();
    let head = seen.head.to_ascii_lowercase();
    assert!(head.contains("content-type: application/json"));
    assert!(head.contains("authorization: bearer tok-123"));
    let v: serde_json::Value = serde_json::from_str(&seen.body).unwrap();
    assert_eq!(
        v,
        json!({"to": "+905321112233", "text": "Talebiniz alındı: Şükrü"})
    );
}

#[tokio::test]
async fn status_codes_map_to_transient_or_permanent() {
    let (url, _rx) = server(vec![
        Reply::Status(400),
        Reply::Status(401),
        Reply::Status(503),
        Reply::Status(500),
        Reply::Status(429),
    ])
    .await;
    let gw = HttpSmsGateway::new(HttpSmsConfig::new(url)).unwrap();
    let r400 = gw.send(&sms("x")).await;
    assert!(
        matches!(&r400, Err(DeliveryError::Permanent(m)) if m.contains("400") && m.contains("status 400")),
        "{r400:?}"
    );
    assert!(matches!(
        gw.send(&sms("x")).await,
        Err(DeliveryError::Permanent(_))
    ));
    assert!(
        matches!(gw.send(&sms("x")).await, Err(DeliveryError::Transient(m)) if m.contains("503"))
    );
    assert!(matches!(
        gw.send(&sms("x")).await,
        Err(DeliveryError::Transient(_))
    ));
    assert!(
        matches!(gw.send(&sms("x")).await, Err(DeliveryError::Transient(m)) if m.contains("429"))
    );
}

#[tokio::test]
async fn unreachable_or_slow_gateways_are_transient() {
    // Nothing listens: connection refused.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let gw = HttpSmsGateway::new(HttpSmsConfig::new(format!("http://127.0.0.1:{port}/x"))).unwrap();
    assert!(matches!(
        gw.send(&sms("x")).await,
        Err(DeliveryError::Transient(_))
    ));

    // Accepts, never answers: timeout.
    let (url, _rx) = server(vec![Reply::Hang]).await;
    let mut cfg = HttpSmsConfig::new(url);
    cfg.timeout = StdDuration::from_millis(300);
    let gw = HttpSmsGateway::new(cfg).unwrap();
    let r = gw.send(&sms("x")).await;
    assert!(matches!(&r, Err(DeliveryError::Transient(_))), "{r:?}");
}

#[test]
fn bad_gateway_urls_are_rejected() {
    assert!(HttpSmsGateway::new(HttpSmsConfig::new("not a url")).is_err());
    assert!(HttpSmsGateway::new(HttpSmsConfig::new("ftp://x/y")).is_err());
}

#[tokio::test]
async fn dispatcher_sends_the_tracking_number_by_sms() {
    let (url, mut rx) = server(vec![Reply::Status(503), Reply::Status(200)]).await;
    let gw = HttpSmsGateway::new(HttpSmsConfig::new(url)).unwrap();
    let store = Arc::new(MemoryStore::default());
    let clock = Arc::new(ManualClock::new(fixtures::t0()));
    let mut cfg = DispatcherConfig::default();
    cfg.quiet_hours = QuietHoursConfig::none();
    let d = Dispatcher::new(
        store.clone(),
        RecordingTransport::new(),
        gw,
        SharedClock(clock.clone()),
        cfg,
    );
    let m = OutboxMessage {
        id: uuid::Uuid::from_u128(1),
        tenant: fixtures::tenant("t1"),
        request: None,
        idempotency_key: "r:2:received:sms:+905321112233".into(),
        kind: NoticeKind::Received,
        channel: DeliveryChannel::Sms,
        recipient: "0532 111 22 33".into(),
        addressee: None,
        locale: Locale::Tr,
        payload: received_payload(),
        created_at: fixtures::t0(),
        not_before: fixtures::t0(),
    };
    store.enqueue(&[m]).await.unwrap();

    // 503: retried later.
    let r = d.run_once().await.unwrap();
    assert_eq!(r.retried, 1);
    let _ = rx.recv().await.unwrap();
    let e = &store.outbox(&fixtures::tenant("t1"), None).await.unwrap()[0];
    assert!(e.last_error.as_deref().unwrap().contains("503"));
    clock.set(e.next_attempt_at);

    let r = d.run_once().await.unwrap();
    assert_eq!(r.sent, 1, "{r:?}");
    let seen = rx.recv().await.unwrap();
    let params = form_decode(&seen.body);
    assert_eq!(params[0], ("to".into(), "+905321112233".into()));
    let text = &params[1].1;
    assert_eq!(
        text,
        "Takip No: 7KM-3QX-9PA Talebiniz alindi, Fen Isleri Müdürlügü birimine iletildi. Son tarih: 29.03.2025 12:00 (TSI)"
    );
    let e = &store.outbox(&fixtures::tenant("t1"), None).await.unwrap()[0];
    assert_eq!(e.status, OutboxStatus::Sent);
}

/// The per-tenant dispatchers with their default gateways: each tenant's SMS goes to the
/// HTTP gateway its settings describe, with its sender and parameter names.
#[tokio::test]
async fn tenant_dispatchers_send_through_the_gateway_the_settings_describe() {
    use muhtar_core::store::{ConfigStore, Document, DocumentKind};
    use muhtar_notify::TenantDispatchers;

    let (url, mut rx) = server(vec![Reply::Status(200)]).await;
    let store = Arc::new(MemoryStore::default());
    let t = fixtures::tenant("t1");
    for (kind, body) in [
        (
            DocumentKind::Organisation,
            serde_json::to_string(&fixtures::organisation("t1")).unwrap(),
        ),
        (
            DocumentKind::Settings,
            format!(
                "quiet_hours = {{ start = \"00:00\", end = \"00:00\" }}\n\n[sms]\nurl = \"{url}\"\nsender = \"ORNEKBLD\"\nformat = \"json\"\nto_param = \"gsm\"\n"
            ),
        ),
    ] {
        store
            .put_document(&Document {
                tenant: t.clone(),
                kind,
                version: 1,
                body,
                updated_at: fixtures::t0(),
                updated_by: "test".into(),
            })
            .await
            .unwrap();
    }
    store
        .enqueue(&[OutboxMessage {
            id: uuid::Uuid::from_u128(1),
            tenant: t.clone(),
            request: None,
            idempotency_key: "r:2:received:sms:+905321112233".into(),
            kind: NoticeKind::Received,
            channel: DeliveryChannel::Sms,
            recipient: "0532 111 22 33".into(),
            addressee: None,
            locale: Locale::Tr,
            payload: received_payload(),
            created_at: fixtures::t0(),
            not_before: fixtures::t0(),
        }])
        .await
        .unwrap();
    let mut d = TenantDispatchers::new(
        store.clone(),
        Arc::new(RecordingTransport::new()),
        SharedClock(Arc::new(ManualClock::new(fixtures::t0()))),
        DispatcherConfig::default(),
    );
    let pass = d.run_once().await.unwrap();
    assert!(pass.problems.is_empty(), "{:?}", pass.problems);
    assert_eq!(pass.report.sent, 1, "{:?}", pass.report);
    let seen = rx.recv().await.unwrap();
    let v: serde_json::Value = serde_json::from_str(&seen.body).unwrap();
    assert_eq!(v["gsm"], "+905321112233", "{v}");
    assert_eq!(v["sender"], "ORNEKBLD", "{v}");
    assert!(
        v["text"]
            .as_str()
            .unwrap()
            .starts_with("Takip No: 7KM-3QX-9PA"),
        "{v}"
    );
    let e = &store.outbox(&t, None).await.unwrap()[0];
    assert_eq!(e.status, OutboxStatus::Sent);
}

fn received_payload() -> muhtar_core::outbox::NoticePayload {
    muhtar_core::outbox::NoticePayload::from_json(
        NoticeKind::Received,
        json!({
            "tracking": "7KM-3QX-9PA",
            "muhtarlik": "kuzguncuk",
            "status": "routed",
            "received_at": "2025-03-14T09:00:00Z",
            "unit_name": "Fen İşleri Müdürlüğü",
            "resolution_due": "2025-03-29T09:00:00Z",
        }),
    )
    .unwrap()
}

/// An HTTPS gateway with the certificate of `ca`: answers every request with 200 and
/// reports each request's head; a handshake the client aborts is not reported.
async fn tls_server(ca: &private_ca::PrivateCa) -> (u16, mpsc::UnboundedReceiver<String>) {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(
            vec![rustls::pki_types::CertificateDer::from(ca.cert_der.clone())],
            rustls::pki_types::PrivateKeyDer::Pkcs8(ca.key_der.clone().into()),
        )
        .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Ok((sock, _)) = listener.accept().await {
            let Ok(mut tls) = acceptor.accept(sock).await else {
                continue;
            };
            let mut buf = Vec::new();
            let mut chunk = [0u8; 4096];
            while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
                match tls.read(&mut chunk).await {
                    Ok(0) | Err(_) => break,
                    Ok(n) => buf.extend_from_slice(&chunk[..n]),
                }
            }
            let _ = tx.send(String::from_utf8_lossy(&buf).to_string());
            let _ = tls
                .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok")
                .await;
            let _ = tls.shutdown().await;
        }
    });
    (port, rx)
}

/// A gateway with a certificate from a private CA is reached when its CA file is given
/// (`ca_file` in `[sms]`) and refused, permanently, when it is not.
#[tokio::test]
async fn a_gateway_with_a_private_ca_is_reached_with_the_ca_file_and_refused_without() {
    let ca = private_ca::PrivateCa::new();
    let (port, mut seen) = tls_server(&ca).await;
    let sms = OutgoingSms {
        to: "+905321234567".into(),
        text: "Takip No: 7KM-3QX-9PA Talebiniz alindi.".into(),
        encoding: SmsEncoding::Gsm7,
        segments: 1,
        idempotency_key: "tls-1".into(),
    };
    let url = format!("https://localhost:{port}/api/sms");
    let without = HttpSmsGateway::new(HttpSmsConfig::new(url.clone())).unwrap();
    match without.send(&sms).await {
        Err(DeliveryError::Permanent(m)) => assert!(m.contains("certificate"), "{m}"),
        other => panic!("an unknown CA is a permanent failure: {other:?}"),
    }
    assert!(seen.try_recv().is_err(), "nothing was sent");

    let settings = muhtar_core::settings::TenantSettings::from_toml_str(&format!(
        "[sms]\nurl = \"{url}\"\nca_file = \"{}\"\n",
        ca.ca_file.display()
    ))
    .unwrap();
    let config = HttpSmsConfig::from_settings(settings.sms.as_ref().unwrap());
    assert_eq!(config.extra_ca.as_deref(), Some(ca.ca_file.as_path()));
    let with = HttpSmsGateway::new(config).unwrap();
    with.send(&sms).await.expect("delivered over TLS");
    let head = tokio::time::timeout(StdDuration::from_secs(5), seen.recv())
        .await
        .unwrap()
        .unwrap();
    assert!(head.starts_with("POST /api/sms HTTP/1.1"), "{head}");

    // A CA file that is not there is a configuration error.
    let mut missing = HttpSmsConfig::new(url);
    missing.extra_ca = Some(ca.dir.path().join("missing.pem"));
    assert!(matches!(
        HttpSmsGateway::new(missing),
        Err(muhtar_notify::GatewayConfigError::Ca(_))
    ));
}
