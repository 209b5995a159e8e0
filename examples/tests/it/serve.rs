//! `muhtar serve` driven over HTTP on a loopback port: the REST API, Open311 GeoReport v2,
//! authorization, bad input, uploads, graceful shutdown, on SQLite (a temporary file) and
//! PostgreSQL (a fresh database; skipped without `DATABASE_URL` unless
//! `MUHTAR_REQUIRE_POSTGRES=1`), and the Open311 → answer → e-mail path through a real
//! SMTP server process.

use std::io::{Read, Write};
use std::path::Path;
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{body, client, muhtar, other_org, token, App, Server};
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::common;

/// Everything over HTTP on one store.
async fn scenario(db: &str) {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path();
    muhtar(dir, db, &["init"]);
    // The second tenant keeps its Open311 reads private.
    std::fs::write(
        dir.join("private.toml"),
        "[open311]\nprivate_reads = true\n",
    )
    .unwrap();
    muhtar(
        dir,
        db,
        &[
            "init",
            "--org",
            &other_org(dir),
            "--settings",
            dir.join("private.toml").to_str().unwrap(),
        ],
    );
    let kuz = token(dir, db, "ibb", "muhtar:kuzguncuk");
    let cen = token(dir, db, "ibb", "muhtar:cengelkoy");
    let coord = token(dir, db, "ibb", "coordinator");
    let foreign = token(dir, db, "other", "muhtar:kuzguncuk");
    let revoked = token(dir, db, "ibb", "coordinator");
    let list = muhtar(dir, db, &["--tenant", "ibb", "--json", "token", "list"]);
    let list: Value = serde_json::from_str(&list).unwrap();
    assert_eq!(list.as_array().unwrap().len(), 4);
    assert!(!list.to_string().contains(&kuz), "secrets are never listed");
    assert!(
        list[0]["actor"]
            .as_str()
            .unwrap()
            .starts_with("muhtar:kuzguncuk@token-"),
        "{list}"
    );
    let revoked_id = list[3]["id"].as_str().unwrap().to_owned();
    muhtar(
        dir,
        db,
        &["--tenant", "ibb", "token", "revoke", &revoked_id],
    );

    let srv = Server::start(dir, db, &["--no-dispatcher", "--no-sweeper"], &[]);
    let c = client();
    let get = |path: &str, tok: Option<&str>| {
        let mut r = c.get(srv.url(path));
        if let Some(t) = tok {
            r = r.bearer_auth(t);
        }
        r.send()
    };

    // Health and the generated OpenAPI document.
    assert_eq!(get("/healthz", None).await.unwrap().status(), 200);
    assert_eq!(get("/readyz", None).await.unwrap().status(), 200);
    let (s, doc) = body(get("/api/v1/openapi.json", None).await.unwrap()).await;
    assert_eq!(s, 200);
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    for p in [
        "/requests",
        "/requests/{tracking}",
        "/requests/{tracking}/{action}",
        "/units/{unit}/queue",
        "/reports",
    ] {
        assert!(doc["paths"][p].is_object(), "openapi lacks {p}");
    }
    assert!(doc["components"]["schemas"]["RequestView"].is_object());

    // Authentication: anonymous, unknown and revoked tokens get 401.
    for tok in [None, Some("mbs_nope"), Some(revoked.as_str())] {
        let (s, e) = body(get("/api/v1/requests", tok).await.unwrap()).await;
        assert_eq!(s, 401, "{tok:?}");
        assert_eq!(e["error"]["code"], "unauthorized");
    }

    // Submit as a muhtar (JSON).
    let submit = |tok: &str, v: Value| {
        c.post(srv.url("/api/v1/requests"))
            .bearer_auth(tok.to_owned())
            .json(&v)
            .send()
    };
    let (s, rec) = body(
        submit(
            &kuz,
            json!({"category": "asfalt-onarim", "subject": "Okul önünde çukur",
                   "location": {"lat": 41.03, "lon": 29.03}}),
        )
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(s, 201, "{rec}");
    assert_eq!(rec["status"], "routed");
    assert_eq!(rec["muhtarlik"], "kuzguncuk");
    assert!(rec["resolution_due"].is_string());
    let tr = rec["tracking"].as_str().unwrap().to_owned();
    let unit = rec["unit"].as_str().unwrap().to_owned();
    let staff = token(dir, db, "ibb", &format!("unit:{unit}"));
    let count = |tok: String| {
        let c = c.clone();
        let u = srv.url("/api/v1/requests?limit=1000");
        async move {
            let (s, v) = body(c.get(u).bearer_auth(tok).send().await.unwrap()).await;
            assert_eq!(s, 200, "{v}");
            v["items"].as_array().unwrap().len()
        }
    };
    let before = count(kuz.clone()).await;
    assert_eq!(before, 1);

    // Bad input: 4xx naming the field, nothing written, the service unharmed.
    let raw = |tok: &str, text: &'static str| {
        c.post(srv.url("/api/v1/requests"))
            .bearer_auth(tok.to_owned())
            .header("content-type", "application/json")
            .body(text)
            .send()
    };
    let (s, e) = body(raw(&kuz, "{\"category\": ").await.unwrap()).await;
    assert_eq!(
        (s.as_u16(), e["error"]["code"].as_str()),
        (400, Some("malformed"))
    );
    for (v, field) in [
        (
            json!({"category": "asfalt-onarim", "subject": 5}),
            "subject",
        ),
        (
            json!({"category": "asfalt-onarim", "subject": "x", "location": {"lat": 1.0, "lon": 29.0}}),
            "location.lat",
        ),
        (
            json!({"category": "asfalt-onarim", "subject": "x", "location": {"lat": "north", "lon": 29.0}}),
            "location.lat",
        ),
        (
            json!({"category": "asfalt-onarim", "subject": "x", "colour": "red"}),
            "colour",
        ),
        (json!({"category": "uydurma", "subject": "x"}), "category"),
        (
            json!({"category": "asfalt-onarim", "subject": "  "}),
            "subject",
        ),
        (
            json!({"category": "yarali-hayvan", "subject": "x", "attributes": {"hayvan-turu": "fil"}}),
            "attributes",
        ),
        (
            json!({"category": "asfalt-onarim", "subject": "x", "media_url": "file:///etc/passwd"}),
            "media_url",
        ),
        (
            json!({"category": "asfalt-onarim", "subject": "x", "attachments": [{"media_type": "image/png", "size": 3, "sha256": "0".repeat(64)}]}),
            "attachments.sha256",
        ),
    ] {
        let (s, e) = body(submit(&kuz, v.clone()).await.unwrap()).await;
        assert_eq!(s, 422, "{v} → {e}");
        assert_eq!(e["error"]["field"], field, "{v} → {e}");
    }
    let big = format!(
        "{{\"category\": \"asfalt-onarim\", \"subject\": \"{}\"}}",
        "a".repeat(2 * 1024 * 1024)
    );
    let r = client() // the server closes the connection after a 413
        .post(srv.url("/api/v1/requests"))
        .bearer_auth(&kuz)
        .header("content-type", "application/json")
        .body(big)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 413);
    let (s, e) = body(
        get("/api/v1/requests/ABC-DEF-GHJ", Some(&kuz))
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        (s.as_u16(), e["error"]["field"].as_str()),
        (400, Some("tracking"))
    );
    let (s, e) = body(get("/api/v1/requests?limit=abc", Some(&kuz)).await.unwrap()).await;
    assert_eq!(
        (s.as_u16(), e["error"]["field"].as_str()),
        (400, Some("limit"))
    );
    assert_eq!(
        count(kuz.clone()).await,
        before,
        "failed submissions wrote nothing"
    );
    assert_eq!(get("/healthz", None).await.unwrap().status(), 200);

    // Authorization: another muhtarlık and another tenant see "not found", exactly as for
    // a request that does not exist; a forbidden action is 403.
    let nobody = muhtar_core::tracking::TrackingNumber::from_random(0x5eed).to_string();
    let (s, missing) = body(
        get(&format!("/api/v1/requests/{nobody}"), Some(&kuz))
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(s, 404, "{missing}");
    for tok in [&cen, &foreign] {
        let (s, e) = body(
            get(&format!("/api/v1/requests/{tr}"), Some(tok))
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(s, 404, "{e}");
        assert_eq!(e, missing, "no difference between hidden and missing");
    }
    let cmd = |tok: &str, action: &str, v: Value| {
        c.post(srv.url(&format!("/api/v1/requests/{tr}/{action}")))
            .bearer_auth(tok.to_owned())
            .json(&v)
            .send()
    };
    let (s, e) = body(
        cmd(&kuz, "answer", json!({"outcome": "positive", "text": "x"}))
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        (s.as_u16(), e["error"]["code"].as_str()),
        (403, Some("forbidden")),
        "{e}"
    );
    let (s, _) = body(cmd(&cen, "withdraw", json!({})).await.unwrap()).await;
    assert_eq!(s, 404);

    // The lifecycle over REST, with expected versions and the deadline's explanation.
    let (s, v) = body(
        cmd(&staff, "accept", json!({"expected_version": 2}))
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        (s.as_u16(), v["status"].as_str()),
        (200, Some("in-progress")),
        "{v}"
    );
    let (s, e) = body(
        cmd(
            &staff,
            "reply",
            json!({"text": "Ekip yönlendirildi", "expected_version": 2}),
        )
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(
        (s.as_u16(), e["error"]["code"].as_str()),
        (409, Some("conflict"))
    );
    for (action, v) in [
        ("reply", json!({"text": "Ekip yönlendirildi"})),
        ("pause", json!({"note": "Tam adres?"})),
        ("resume", json!({"note": "Adres geldi"})),
        ("message", json!({"text": "Yarın gelinecek"})),
    ] {
        let (s, r) = body(cmd(&staff, action, v).await.unwrap()).await;
        assert_eq!(s, 200, "{action}: {r}");
    }
    let (s, e) = body(
        cmd(
            &staff,
            "answer",
            json!({"outcome": "negative", "text": "x"}),
        )
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(
        (s.as_u16(), e["error"]["field"].as_str()),
        (422, Some("reason")),
        "{e}"
    );
    let (s, e) = body(cmd(&staff, "close", json!({})).await.unwrap()).await;
    assert_eq!(
        (s.as_u16(), e["error"]["code"].as_str()),
        (409, Some("lifecycle")),
        "{e}"
    );
    let (s, e) = body(cmd(&staff, "fly", json!({})).await.unwrap()).await;
    assert_eq!(s, 404, "{e}");
    let (s, v) = body(
        cmd(
            &staff,
            "answer",
            json!({"outcome": "positive", "text": "Yama yapıldı"}),
        )
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(
        (s.as_u16(), v["status"].as_str(), v["outcome"].as_str()),
        (200, Some("answered"), Some("positive")),
        "{v}"
    );
    let (s, v) = body(
        cmd(&kuz, "reopen", json!({"reason": "Yine bozuldu"}))
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        (s.as_u16(), v["status"].as_str()),
        (200, Some("in-progress")),
        "{v}"
    );
    let (s, h) = body(
        get(&format!("/api/v1/requests/{tr}/history"), Some(&kuz))
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(s, 200);
    assert_eq!(h.as_array().unwrap().len(), 9, "{h}");
    let (s, dl) = body(
        get(&format!("/api/v1/requests/{tr}/deadline"), Some(&kuz))
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(s, 200);
    assert!(dl["resolution"]["due"].is_string(), "{dl}");
    let (s, q) = body(
        get(&format!("/api/v1/units/{unit}/queue"), Some(&staff))
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(s, 200);
    assert!(q["items"]
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r["tracking"] == tr.as_str()));
    let (s, _) = body(
        get(&format!("/api/v1/units/{unit}/queue"), Some(&kuz))
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(s, 403);
    let (s, org) = body(get("/api/v1/organisation", Some(&coord)).await.unwrap()).await;
    assert_eq!(s, 200);
    assert_eq!(org["tenant"]["id"], "ibb");
    let (s, rules) = body(get("/api/v1/rules", Some(&coord)).await.unwrap()).await;
    assert_eq!(s, 200);
    assert!(rules["text"].as_str().unwrap().contains("[[rule]]"));
    assert!(rules.get("problem").is_none(), "in force: {rules}");

    // Listing with filters and keyset pagination.
    for i in 0..3 {
        let (s, _) = body(
            submit(
                &kuz,
                json!({"category": "budama", "subject": format!("Dal {i}")}),
            )
            .await
            .unwrap(),
        )
        .await;
        assert_eq!(s, 201);
    }
    let mut seen = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let mut u = "/api/v1/requests?limit=2&status=routed&category=budama".to_owned();
        if let Some(a) = &after {
            u.push_str(&format!("&after={}", urlencode(a)));
        }
        let (s, p) = body(get(&u, Some(&coord)).await.unwrap()).await;
        assert_eq!(s, 200, "{p}");
        for r in p["items"].as_array().unwrap() {
            assert_eq!(r["category"], "budama");
            seen.push(r["tracking"].as_str().unwrap().to_owned());
        }
        match p["next"].as_str() {
            Some(n) => after = Some(n.to_owned()),
            None => break,
        }
    }
    assert_eq!(seen.len(), 3, "{seen:?}");
    seen.dedup();
    assert_eq!(seen.len(), 3);

    // Photo upload (multipart): type checked by content, size-limited, downloadable.
    let png: Vec<u8> = [
        &[0x89u8, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A][..],
        b"pixels",
    ]
    .concat();
    let (s, v) = upload(
        &c,
        &srv,
        &kuz,
        json!({"category": "asfalt-onarim", "subject": "Fotoğraflı"}),
        &png,
        "../../etc/x.png",
    )
    .await;
    assert_eq!(s, 201, "{v}");
    let a = &v["attachments"][0];
    assert_eq!(a["media_type"], "image/png");
    let sha = a["sha256"].as_str().unwrap();
    let got = get(
        &format!(
            "/api/v1/requests/{}/attachments/{sha}",
            v["tracking"].as_str().unwrap()
        ),
        Some(&kuz),
    )
    .await
    .unwrap();
    assert_eq!(got.status(), 200);
    assert_eq!(got.bytes().await.unwrap().to_vec(), png);
    assert!(dir
        .join("muhtar-uploads")
        .join(&sha[..2])
        .join(sha)
        .exists());
    let n = count(kuz.clone()).await;
    let x = json!({"category": "asfalt-onarim", "subject": "x"});
    let (s, e) = upload(&c, &srv, &kuz, x.clone(), b"#!/bin/sh\necho hi", "x.png").await;
    assert_eq!(
        (s.as_u16(), e["error"]["field"].as_str()),
        (415, Some("photo")),
        "{e}"
    );
    let mut huge = vec![0xFFu8, 0xD8, 0xFF];
    huge.resize(11 * 1024 * 1024, 0);
    // The server closes the connection after a 413: a client of its own.
    let (s, _) = upload(&client(), &srv, &kuz, x, &huge, "big.jpg").await;
    assert_eq!(s, 413);
    // A photo with a request that fails validation leaves neither request nor file.
    let jpg = vec![0xFFu8, 0xD8, 0xFF, 0xE0, 1, 2, 3, 4];
    let (s, _) = upload(
        &c,
        &srv,
        &kuz,
        json!({"category": "uydurma", "subject": "x"}),
        &jpg,
        "a.jpg",
    )
    .await;
    assert_eq!(s, 422);
    let jsha = hex_sha256(&jpg);
    assert!(!dir
        .join("muhtar-uploads")
        .join(&jsha[..2])
        .join(&jsha)
        .exists());
    assert_eq!(count(kuz.clone()).await, n);

    reports(&srv, &c, &kuz, &coord, &token(dir, db, "ibb", "official")).await;
    open311(&srv, &c, &kuz, &coord, &foreign).await;

    // Graceful shutdown on SIGTERM: a request in flight (half its body sent) is finished
    // and answered, then the process exits with status 0.
    let addr = srv.base.trim_start_matches("http://").to_owned();
    let body_text = json!({"category": "asfalt-onarim", "subject": "Kapanırken gelen"}).to_string();
    let (head, tail) = body_text.split_at(body_text.len() / 2);
    let mut conn = std::net::TcpStream::connect(&addr).unwrap();
    write!(
        conn,
        "POST /api/v1/requests HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {kuz}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{head}",
        body_text.len()
    )
    .unwrap();
    conn.flush().unwrap();
    std::thread::sleep(Duration::from_millis(300));
    let pid = srv.child.id().to_string();
    Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    std::thread::sleep(Duration::from_millis(300));
    conn.write_all(tail.as_bytes()).unwrap();
    let mut answer = String::new();
    conn.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 201"), "{answer}");
    assert!(srv.terminate().success());
}

/// A multipart submission: the request as JSON and one photo.
async fn upload(
    c: &reqwest::Client,
    srv: &Server,
    tok: &str,
    request: Value,
    photo: &[u8],
    name: &str,
) -> (StatusCode, Value) {
    use reqwest::multipart::{Form, Part};
    let form = Form::new()
        .part("request", Part::text(request.to_string()))
        .part(
            "photo",
            Part::bytes(photo.to_vec()).file_name(name.to_owned()),
        );
    let r = c
        .post(srv.url("/api/v1/requests"))
        .bearer_auth(tok)
        .multipart(form)
        .send()
        .await
        .unwrap();
    let s = r.status();
    (s, r.json().await.unwrap_or(Value::Null))
}

fn hex_sha256(b: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(b))
}

fn urlencode(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// The quarterly report in three formats and its sign-off.
async fn reports(srv: &Server, c: &reqwest::Client, kuz: &str, coord: &str, official: &str) {
    let get = |p: &str, t: &str| {
        c.get(srv.url(&format!("/api/v1/reports{p}")))
            .bearer_auth(t.to_owned())
            .send()
    };
    let (s, r) = body(get("/2025Q4", coord).await.unwrap()).await;
    assert_eq!(s, 200, "{r}");
    assert!(r.is_object());
    for (fmt, ct) in [("csv", "text/csv"), ("html", "text/html")] {
        let resp = get(&format!("/2025Q4?format={fmt}"), coord).await.unwrap();
        assert_eq!(resp.status(), 200);
        assert!(resp.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with(ct));
        assert!(!resp.text().await.unwrap().is_empty());
    }
    let (s, e) = body(get("/2025Q5", coord).await.unwrap()).await;
    assert_eq!(
        (s.as_u16(), e["error"]["field"].as_str()),
        (422, Some("quarter")),
        "{e}"
    );
    let (s, e) = body(get("/2025Q4?format=pdf", coord).await.unwrap()).await;
    assert_eq!(
        (s.as_u16(), e["error"]["field"].as_str()),
        (422, Some("format")),
        "{e}"
    );
    let (s, _) = body(get("/2025Q4", kuz).await.unwrap()).await;
    assert_eq!(s, 403);
    let sign = |q: &str, t: &str, v: Value| {
        c.post(srv.url(&format!("/api/v1/reports/{q}/sign")))
            .bearer_auth(t.to_owned())
            .json(&v)
            .send()
    };
    let (s, _) = body(sign("2025Q4", coord, json!({"note": "x"})).await.unwrap()).await;
    assert_eq!(s, 403);
    let (s, e) = body(
        sign("2099Q1", official, json!({"note": "x"}))
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(s, 409, "{e}");
    let (s, e) = body(sign("2025Q4", official, json!({"note": ""})).await.unwrap()).await;
    assert_eq!(
        (s.as_u16(), e["error"]["field"].as_str()),
        (422, Some("note")),
        "{e}"
    );
    let (s, v1) = body(
        sign("2025Q4", official, json!({"note": "Görüldü"}))
            .await
            .unwrap(),
    )
    .await;
    assert_eq!((s.as_u16(), v1["version"].as_u64()), (201, Some(1)), "{v1}");
    let (s, v2) = body(
        sign("2025Q4", official, json!({"note": "Düzeltme"}))
            .await
            .unwrap(),
    )
    .await;
    assert_eq!((s.as_u16(), v2["version"].as_u64()), (201, Some(2)), "{v2}");
    assert_eq!(v2["supersedes"], v1["id"]);
    let (s, all) = body(get("/signed", coord).await.unwrap()).await;
    assert_eq!(
        (s.as_u16(), all.as_array().unwrap().len()),
        (200, 2),
        "{all}"
    );
    let one = get(
        &format!("/signed/{}?format=html", v1["id"].as_str().unwrap()),
        coord,
    )
    .await
    .unwrap();
    assert_eq!(one.status(), 200);
    let (s, _) = body(
        get("/signed/00000000-0000-0000-0000-000000000000", coord)
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(s, 404);

    // Any period: `GET /reports?period=`; a quarter as a period is the quarterly report.
    let (s, y) = body(get("?period=2025", coord).await.unwrap()).await;
    assert_eq!(s, 200, "{y}");
    assert_eq!(
        (
            y["format"].as_str(),
            y["quarter"].clone(),
            y["period"]["label"].as_str()
        ),
        (Some("muhtar-period-report/1"), Value::Null, Some("2025"))
    );
    assert!(y["totals"]["answered_with_calendar_days"].is_u64(), "{y}");
    assert!(y["by_channel"].as_array().unwrap().len() >= 14);
    let (_, q) = body(get("?period=2025Q4", coord).await.unwrap()).await;
    let (_, direct) = body(get("/2025Q4", coord).await.unwrap()).await;
    assert_eq!(
        (q["quarter"].as_str(), &q["totals"]),
        (Some("2025Q4"), &direct["totals"])
    );
    let resp = get("?period=2025-10-01..2026-03-31&format=csv", coord)
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert!(resp.text().await.unwrap().contains("İmzalanamaz"));
    for bad in [
        "",
        "?period=26",
        "?period=2026-06-30..2026-01-01",
        "?period=2010-01-01..2026-01-01",
    ] {
        let (s, e) = body(get(bad, coord).await.unwrap()).await;
        assert_eq!(
            (s.as_u16(), e["error"]["field"].as_str()),
            (422, Some("period")),
            "{bad}: {e}"
        );
        let m = e["error"]["message"].as_str().unwrap();
        assert!(m.contains("period") && m.contains("2026"), "{bad}: {m}");
    }
    let (_, e) = body(get("?period=26", coord).await.unwrap()).await;
    assert!(e["error"]["message"]
        .as_str()
        .unwrap()
        .contains("2026-01-01..2026-06-30"));
    let (s, _) = body(get("?period=2025", kuz).await.unwrap()).await;
    assert_eq!(s, 403);
}

/// The Open311 round trip and its errors, in JSON and XML.
async fn open311(srv: &Server, c: &reqwest::Client, kuz: &str, coord: &str, foreign: &str) {
    let get = |p: &str| c.get(srv.url(&format!("/open311/v2/{p}"))).send();
    let (s, d) = body(get("discovery.json").await.unwrap()).await;
    assert_eq!(s, 200);
    assert!(d["endpoints"][0]["formats"]
        .to_string()
        .contains("text/xml"));
    // Two tenants: jurisdiction_id is required.
    let (s, e) = body(get("services.json").await.unwrap()).await;
    assert_eq!(s, 400);
    assert_eq!(e[0]["code"], 400, "{e}");
    let (s, e) = body(get("services.json?jurisdiction_id=nowhere").await.unwrap()).await;
    assert_eq!((s.as_u16(), e[0]["code"].as_u64()), (404, Some(404)));
    let (s, services) = body(get("services.json?jurisdiction_id=ibb").await.unwrap()).await;
    assert_eq!(s, 200);
    let asfalt = services
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["service_code"] == "asfalt-onarim")
        .expect("categories are services");
    assert_eq!(asfalt["group"], "yol");
    assert!(asfalt["keywords"].as_str().unwrap().contains("çukur"));
    let xml = get("services.xml?jurisdiction_id=ibb").await.unwrap();
    assert!(xml.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/xml"));
    let xml = xml.text().await.unwrap();
    assert!(
        xml.starts_with("<?xml")
            && xml.contains("<services><service>")
            && xml.contains("<service_code>asfalt-onarim</service_code>"),
        "{xml}"
    );
    let (s, def) = body(
        get("services/yarali-hayvan.json?jurisdiction_id=ibb")
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(s, 200);
    assert_eq!(def["attributes"][0]["code"], "hayvan-turu");
    assert_eq!(def["attributes"][0]["datatype"], "singlevaluelist");
    let (s, _) = body(
        get("services/uydurma.json?jurisdiction_id=ibb")
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(s, 404);

    // POST a request, form-encoded, with the muhtar's api_key.
    let post = |form: Vec<(&str, &str)>, ext: &str| {
        c.post(srv.url(&format!("/open311/v2/requests.{ext}")))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(
                form_urlencoded::Serializer::new(String::new())
                    .extend_pairs(form)
                    .finish(),
            )
            .send()
    };
    let base = vec![
        ("jurisdiction_id", "ibb"),
        ("api_key", kuz),
        ("service_code", "yarali-hayvan"),
        ("lat", "41.0312"),
        ("long", "29.0301"),
        ("description", "Parkta yaralı bir kedi var\nSol arka ayağı"),
        ("attribute[hayvan-turu]", "kedi"),
        ("media_url", "https://foto.example.org/kedi.jpg"),
        ("first_name", "Ayşe"),
        ("last_name", "Yılmaz"),
        ("email", "ayse.yilmaz@example.org"),
        ("phone", "0532 111 22 33"),
    ];
    let (s, created) = body(post(base.clone(), "json").await.unwrap()).await;
    assert_eq!(s, 201, "{created}");
    let id = created[0]["service_request_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let tok = created[0]["token"].as_str().unwrap().to_owned();
    let (s, one) = body(
        get(&format!("requests/{id}.json?jurisdiction_id=ibb"))
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(s, 200, "{one}");
    let r = &one[0];
    assert_eq!(r["service_request_id"], id.as_str());
    assert_eq!(r["status"], "open");
    assert_eq!(r["service_code"], "yarali-hayvan");
    assert_eq!(r["media_url"], "https://foto.example.org/kedi.jpg");
    // Times people read are Istanbul's: the deadline ends office hours at 17:30 +03:00.
    let expected = r["expected_datetime"].as_str().unwrap();
    assert!(expected.ends_with("T17:30:00+03:00"), "{expected}");
    let notice = created[0]["service_notice"].as_str().unwrap();
    assert!(
        notice.contains(&format!("{} 17:30", &expected[..10])),
        "{notice}"
    );
    assert!(r["agency_responsible"].is_string());
    assert_eq!(r["lat"], 41.0312);
    let public = one.to_string();
    for personal in ["ayse.yilmaz", "Yılmaz", "0532", "5321112233"] {
        assert!(
            !public.contains(personal),
            "personal data {personal} in {public}"
        );
    }
    // The REST view (authenticated) has the citizen and the channel.
    let (_, v) = body(
        c.get(srv.url(&format!("/api/v1/requests/{id}")))
            .bearer_auth(kuz)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(v["channel"], "open311");
    assert_eq!(v["citizen"]["email"], "ayse.yilmaz@example.org");
    assert_eq!(v["subject"], "Parkta yaralı bir kedi var");
    assert_eq!(v["attributes"]["hayvan-turu"], "kedi");
    let (s, t) = body(
        get(&format!("tokens/{tok}.json?jurisdiction_id=ibb"))
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        (s.as_u16(), t[0]["service_request_id"].as_str()),
        (200, Some(id.as_str()))
    );
    let (s, listed) = body(
        get(&format!(
            "requests.json?jurisdiction_id=ibb&service_request_id={id}"
        ))
        .await
        .unwrap(),
    )
    .await;
    assert_eq!((s.as_u16(), listed.as_array().unwrap().len()), (200, 1));
    let (s, listed) = body(
        get("requests.json?jurisdiction_id=ibb&service_code=yarali-hayvan&status=open")
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(s, 200);
    assert!(listed
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r["service_request_id"] == id.as_str()));
    let (_, closed) = body(
        get("requests.json?jurisdiction_id=ibb&service_code=yarali-hayvan&status=closed")
            .await
            .unwrap(),
    )
    .await;
    assert!(!closed
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r["service_request_id"] == id.as_str()));
    let x = get(&format!("requests/{id}.xml?jurisdiction_id=ibb"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        x.contains("<service_requests><request><")
            && x.contains(&format!("<service_request_id>{id}</service_request_id>")),
        "{x}"
    );

    // Errors as arrays, in both formats.
    let (s, e) = body(get("requests.json?jurisdiction_id=ibb&start_date=2025-01-01T00:00:00Z&end_date=2025-06-01T00:00:00Z").await.unwrap()).await;
    assert_eq!((s.as_u16(), e[0]["code"].as_u64()), (400, Some(400)), "{e}");
    let (s, e) = body(
        get("requests.json?jurisdiction_id=ibb&start_date=yesterday")
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(s, 400, "{e}");
    let without_key: Vec<_> = base
        .iter()
        .filter(|(k, _)| *k != "api_key")
        .cloned()
        .collect();
    let (s, e) = body(post(without_key, "json").await.unwrap()).await;
    assert_eq!((s.as_u16(), e[0]["code"].as_u64()), (403, Some(403)));
    let mut wrong_tenant = base.clone();
    wrong_tenant[1] = ("api_key", foreign);
    let (s, _) = body(post(wrong_tenant, "json").await.unwrap()).await;
    assert_eq!(s, 403);
    let mut bad_lat = base.clone();
    bad_lat[3] = ("lat", "91");
    let r = post(bad_lat, "xml").await.unwrap();
    assert_eq!(r.status(), 400);
    let x = r.text().await.unwrap();
    assert!(
        x.contains("<errors><error><code>400</code><description>location.lat"),
        "{x}"
    );
    let mut bad_attr = base.clone();
    bad_attr[6] = ("attribute[hayvan-turu]", "fil");
    let (s, e) = body(post(bad_attr, "json").await.unwrap()).await;
    assert_eq!(s, 400, "{e}");
    let mut no_muhtarlik = base.clone();
    no_muhtarlik[1] = ("api_key", coord);
    let (s, e) = body(post(no_muhtarlik.clone(), "json").await.unwrap()).await;
    assert_eq!(s, 400, "{e}");
    no_muhtarlik.push(("attribute[muhtarlik]", "cengelkoy"));
    let (s, e) = body(post(no_muhtarlik, "json").await.unwrap()).await;
    assert_eq!(s, 201, "back-office entry names the muhtarlık: {e}");
    let (s, _) = body(
        get("requests/ABC-DEF-GHA.json?jurisdiction_id=ibb")
            .await
            .unwrap(),
    )
    .await;
    assert!(s == 400 || s == 404);
    let (s, _) = body(get("requests.yaml?jurisdiction_id=ibb").await.unwrap()).await;
    assert_eq!(s, 404);

    // A tenant with private reads: no key, 403; its own key, 200; another tenant's, 403.
    let (s, e) = body(get("requests.json?jurisdiction_id=other").await.unwrap()).await;
    assert_eq!((s.as_u16(), e[0]["code"].as_u64()), (403, Some(403)), "{e}");
    let (s, _) = body(
        get(&format!(
            "requests.json?jurisdiction_id=other&api_key={foreign}"
        ))
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(s, 200);
    let (s, _) = body(
        get(&format!(
            "requests.json?jurisdiction_id=other&api_key={kuz}"
        ))
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(s, 403);
    let (s, _) = body(get("services.json?jurisdiction_id=other").await.unwrap()).await;
    assert_eq!(s, 200, "the service list stays public");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rest_and_open311_on_sqlite() {
    let d = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", d.path().join("serve.db").display());
    scenario(&db).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rest_and_open311_on_postgres() {
    let Some(base) = common::pg_server("serve on PostgreSQL") else {
        return;
    };
    scenario(&common::fresh_pg_db(&base, "muhtar_serve")).await;
}

/// `GET /api/v1/rules` says when the stored rule set is not in force (an organisation
/// change forced past it deactivated a unit it targets) and why.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rules_endpoint_reports_a_rule_set_not_in_force() {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path();
    let db = format!("sqlite://{}", dir.join("rules.db").display());
    muhtar(dir, &db, &["init"]);
    let coord = token(dir, &db, "ibb", "coordinator");
    let org = include_str!("../../data/org.toml").replacen(
        "code = \"igdas\"\n",
        "code = \"igdas\"\nactive = false\n",
        1,
    );
    let p = crate::common::write_org(dir, "org.toml", &org);
    muhtar(dir, &db, &["init", "--force", "--org", p.to_str().unwrap()]);
    let srv = App::start(dir, &db);
    let r = client()
        .get(srv.url("/api/v1/rules"))
        .bearer_auth(&coord)
        .send()
        .await
        .unwrap();
    let (s, rules) = body(r).await;
    assert_eq!(s, 200);
    assert_eq!(rules["version"], "fallback:invalid-rules");
    assert_eq!(rules["document_version"], 1);
    let problem = rules["problem"].as_str().unwrap();
    assert!(
        problem.contains("rule \"gaz-kokusu\"") && problem.contains("igdas"),
        "{problem}"
    );
}

/// An HTTP SMS gateway on a loopback port: its URL and the form bodies it was sent.
async fn sms_gateway() -> (String, Arc<Mutex<Vec<String>>>) {
    let got: Arc<Mutex<Vec<String>>> = Arc::default();
    let sink = got.clone();
    let app = axum::Router::new().route(
        "/sms",
        axum::routing::post(move |body: String| {
            let sink = sink.clone();
            async move {
                sink.lock().unwrap().push(body);
                "OK"
            }
        }),
    );
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/sms", l.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(l, app).await });
    (url, got)
}

/// Quiet hours, as a settings line, from an hour before to an hour after the present
/// moment in İstanbul (UTC+03:00).
fn quiet_now() -> String {
    let local = chrono::Utc::now() + chrono::Duration::hours(3);
    let hm = |t: chrono::DateTime<chrono::Utc>| t.format("%H:%M").to_string();
    format!(
        "quiet_hours = {{ start = \"{}\", end = \"{}\" }}\n",
        hm(local - chrono::Duration::hours(1)),
        hm(local + chrono::Duration::hours(1))
    )
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

/// With two tenants, the server's dispatcher delivers each tenant's notices with that
/// tenant's settings: the first tenant (no quiet hours, its own SMS gateway) gets its
/// e-mail and SMS at once; the second, in its quiet hours now, gets nothing, and nothing
/// of it goes through the first's gateway (the dispatcher used to take the first
/// tenant's settings for everyone).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_tenants_notices_go_out_with_its_own_quiet_hours_and_sms_gateway() {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path();
    let db = format!("sqlite://{}", dir.join("tenants.db").display());
    let (sms_url, sms) = sms_gateway().await;
    let ibb = dir.join("ibb.toml");
    std::fs::write(
        &ibb,
        format!(
            "quiet_hours = {{ start = \"00:00\", end = \"00:00\" }}\n\n[sms]\nurl = \"{sms_url}\"\n"
        ),
    )
    .unwrap();
    let other = dir.join("other-settings.toml");
    std::fs::write(&other, quiet_now()).unwrap();
    muhtar(dir, &db, &["init", "--settings", ibb.to_str().unwrap()]);
    muhtar(
        dir,
        &db,
        &[
            "init",
            "--org",
            &other_org(dir),
            "--settings",
            other.to_str().unwrap(),
        ],
    );
    for t in ["ibb", "other"] {
        muhtar(
            dir,
            &db,
            &[
                "--tenant",
                t,
                "--as",
                "muhtar:kuzguncuk",
                "submit",
                "--category",
                "budama",
                "--subject",
                &format!("Dallar tellere değiyor ({t})"),
            ],
        );
    }
    let mail = dir.join("mail");
    std::fs::create_dir(&mail).unwrap();
    let (mut smtp, port) = common::smtp_sink(&mail);
    let smtp_env = [
        ("MUHTAR_SMTP_URL", format!("smtp://127.0.0.1:{port}")),
        (
            "MUHTAR_MAIL_FROM",
            "MBS <mbs@ibb.example.gov.tr>".to_owned(),
        ),
    ];
    let srv = Server::start(
        dir,
        &db,
        &["--no-sweeper", "--dispatch-interval", "1"],
        &smtp_env,
    );
    // ibb's notices: the muhtar's e-mail and SMS.
    let mut waited = 0;
    while !(sms.lock().unwrap().len() == 1
        && mails(&mail)
            .iter()
            .any(|m| m.contains("kuzguncuk.muhtarligi@muhtar.example.org")))
    {
        assert!(waited < 150, "ibb's notices did not go out within 30 s");
        tokio::time::sleep(Duration::from_millis(200)).await;
        waited += 1;
    }
    // Two more passes: still nothing of other's.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert!(srv.terminate().success());
    let all = mails(&mail);
    assert!(
        all.iter()
            .all(|m| m.contains("(ibb)") && !m.contains("(other)")),
        "{all:?}"
    );
    let texts = sms.lock().unwrap().clone();
    assert_eq!(texts.len(), 1, "{texts:?}");
    // other's are due at the end of its quiet hours, not failed or sent.
    let o = Command::new(env!("CARGO_BIN_EXE_muhtar"))
        .current_dir(dir)
        .env("MUHTAR_DB", &db)
        .args(["--tenant", "other", "--json", "notify", "--once"])
        .envs(smtp_env.iter().map(|(k, v)| (k, v)))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let r: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(r["claimed"], 0, "{r}");
    let _ = smtp.kill();
    let _ = smtp.wait();
    assert_eq!(mails(&mail).len(), all.len());
}

/// The README's done-criterion: a request posted over Open311 is answered over REST and
/// the background dispatcher of `muhtar serve` e-mails the answer to the muhtar through a
/// real SMTP server.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn open311_request_answer_is_emailed_by_the_server() {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path();
    let db = format!("sqlite://{}", dir.join("mail.db").display());
    common::init_without_quiet_hours(dir, &db);
    let kuz = token(dir, &db, "ibb", "muhtar:kuzguncuk");
    let coord = token(dir, &db, "ibb", "coordinator");

    let mail = dir.join("mail");
    std::fs::create_dir(&mail).unwrap();
    let (mut smtp, port) = common::smtp_sink(&mail);

    let srv = Server::start(
        dir,
        &db,
        &["--no-sweeper", "--dispatch-interval", "1"],
        &[
            ("MUHTAR_SMTP_URL", format!("smtp://127.0.0.1:{port}")),
            ("MUHTAR_MAIL_FROM", "MBS <mbs@ibb.example.gov.tr>".into()),
        ],
    );
    let c = client();
    let form = form_urlencoded::Serializer::new(String::new())
        .extend_pairs([
            ("api_key", kuz.as_str()),
            ("service_code", "asfalt-onarim"),
            ("address_string", "Kuzguncuk Cd. No 1"),
            ("description", "Kaldırım çökmüş"),
        ])
        .finish();
    let (s, created) = body(
        c.post(srv.url("/open311/v2/requests.json"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(s, 201, "{created}");
    let id = created[0]["service_request_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (s, v) = body(
        c.post(srv.url(&format!("/api/v1/requests/{id}/answer")))
            .bearer_auth(&coord)
            .json(&json!({"outcome": "positive", "text": "Kaldırım onarıldı, teşekkürler"}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    // Wait for the answer e-mail to the muhtar.
    let mut found = None;
    for _ in 0..150 {
        for e in std::fs::read_dir(&mail).unwrap().filter_map(|e| e.ok()) {
            if e.path().extension().is_some_and(|x| x == "json") {
                let t = std::fs::read_to_string(e.path()).unwrap();
                if t.contains("kuzguncuk.muhtarligi@muhtar.example.org")
                    && t.contains("Kaldırım onarıldı")
                {
                    found = Some(t);
                }
            }
        }
        if found.is_some() {
            break;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    let status = srv.terminate();
    let _ = smtp.kill();
    let _ = smtp.wait();
    let mail = found.expect("the answer was e-mailed to the muhtar within 30 s");
    assert!(
        mail.contains(&id),
        "the e-mail names the tracking number: {mail}"
    );
    assert!(status.success());
}
