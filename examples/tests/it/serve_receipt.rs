//! `muhtar serve` over HTTP (issue 16 §4): who may give `received_at` (REST and Open311),
//! the signed-quarter force and its mark, the applicant's notices in the outbox, and the
//! public status endpoint without personal data; on SQLite and PostgreSQL.

use chrono::{Duration, Utc};
use common::{body, client, muhtar, post_json, token, Server};
use serde_json::{json, Value};

use crate::common;

async fn scenario(db: &str) {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path();
    std::fs::write(
        dir.join("settings.toml"),
        "quiet_hours = { start = \"00:00\", end = \"00:00\" }\nreceived_at_window_days = 400\n",
    )
    .unwrap();
    muhtar(
        dir,
        db,
        &[
            "init",
            "--settings",
            dir.join("settings.toml").to_str().unwrap(),
        ],
    );
    let kuz = token(dir, db, "ibb", "muhtar:kuzguncuk");
    let coord = token(dir, db, "ibb", "coordinator");
    let official = token(dir, db, "ibb", "official");
    let srv = Server::start(
        dir,
        db,
        &[
            "--no-dispatcher",
            "--no-sweeper",
            "--auth-max-failures",
            "5",
        ],
        &[],
    );
    let c = client();
    let url = srv.url("/api/v1/requests");
    let now = Utc::now();
    let count = || async {
        let (s, page) = body(
            c.get(srv.url("/api/v1/requests?limit=100"))
                .bearer_auth(&coord)
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(s, 200);
        page["items"].as_array().unwrap().len()
    };
    let base = json!({
        "muhtarlik": "kuzguncuk",
        "category": "budama",
        "subject": "Ağaç dalları tellere değiyor",
        "description": "Kapı önündeki çınar",
        "citizen": {"name": "Fatma Kaya", "phone": "0555 111 22 33", "email": "fatma@example.com"},
    });
    let with = |extra: Value| {
        let mut v = base.clone();
        for (k, x) in extra.as_object().unwrap() {
            v[k] = x.clone();
        }
        v
    };

    // A muhtar's received_at: 422 naming the field, nothing written.
    let (s, e) = post_json(
        &c,
        &url,
        &kuz,
        &with(json!({"received_at": now - Duration::hours(2)})),
    )
    .await;
    assert_eq!(s, 422, "{e}");
    assert_eq!(e["error"]["field"], "received_at", "{e}");
    // An Open311 client's too.
    let form = form_urlencoded::Serializer::new(String::new())
        .extend_pairs([
            ("jurisdiction_id", "ibb"),
            ("api_key", kuz.as_str()),
            ("service_code", "budama"),
            ("address_string", "Kuzguncuk Cd. 1"),
            ("description", "Dal"),
            ("received_at", "2026-01-01T00:00:00Z"),
        ])
        .finish();
    let r = c
        .post(srv.url("/open311/v2/requests.json"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form)
        .send()
        .await
        .unwrap();
    let (s, e) = body(r).await;
    assert_eq!(s, 422, "{e}");
    assert!(
        e[0]["description"]
            .as_str()
            .unwrap()
            .starts_with("received_at"),
        "{e}"
    );
    assert_eq!(count().await, 0);

    // The coordinator's, within the window: accepted; beyond it: refused.
    let back = now - Duration::days(3);
    let (s, rec) = post_json(
        &c,
        &url,
        &coord,
        &with(json!({"received_at": back, "channel": "call-centre"})),
    )
    .await;
    assert_eq!(s, 201, "{rec}");
    assert_eq!(rec["channel"], "call-centre");
    assert_eq!(rec["channel_name"], "Çağrı merkezi");
    assert_eq!(rec["status_name"], "birime iletildi");
    let got: chrono::DateTime<Utc> = serde_json::from_value(rec["received_at"].clone()).unwrap();
    assert_eq!(got.timestamp(), back.timestamp());
    let (s, e) = post_json(
        &c,
        &url,
        &coord,
        &with(json!({"received_at": now - Duration::days(401)})),
    )
    .await;
    assert_eq!(
        (s.as_u16(), e["error"]["field"].clone()),
        (422, json!("received_at")),
        "{e}"
    );
    let (s, e) = post_json(&c, &url, &coord, &with(json!({"channel": "fax"}))).await;
    assert_eq!(s, 422);
    assert!(
        e["error"]["message"]
            .as_str()
            .unwrap()
            .contains("bilgi-edinme"),
        "{e}"
    );

    let tracking = rec["tracking"].as_str().unwrap().to_owned();

    // The public status: no token, no personal data; unknown and malformed alike 404.
    let status = c
        .get(srv.url(&format!("/api/v1/status/{tracking}")))
        .send()
        .await
        .unwrap();
    assert_eq!(status.status(), 200);
    let text = status.text().await.unwrap();
    let v: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["status_name"], "birime iletildi");
    assert!(
        v["unit_name"].is_string() && v["resolution_due"].is_string(),
        "{v}"
    );
    assert!(
        v["resolution_due"].as_str().unwrap().ends_with("+03:00"),
        "{v}"
    );
    for personal in [
        "Fatma",
        "fatma@example.com",
        // The phone as given and as stored (a bare "555" could be digits of a timestamp).
        "0555 111 22 33",
        "5551112233",
        "Kapı önündeki çınar",
        "kuzguncuk",
        "Ali Demir",
    ] {
        assert!(!text.contains(personal), "{personal} in {text}");
    }
    let (s, doc) = body(c.get(srv.url("/api/v1/openapi.json")).send().await.unwrap()).await;
    assert_eq!(s, 200);
    assert!(doc["paths"]["/status/{tracking}"].is_object());

    // Answered: the public page shows the outcome.
    let (s, a) = post_json(
        &c,
        &srv.url(&format!("/api/v1/requests/{tracking}/answer")),
        &coord,
        &json!({"outcome": "negative", "reason": "no-budget", "text": "Bütçe yok"}),
    )
    .await;
    assert_eq!(s, 200, "{a}");
    assert_eq!(a["outcome_name"], "olumsuz");
    let (s, v) = body(
        c.get(srv.url(&format!("/api/v1/status/{tracking}")))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(s, 200);
    assert_eq!(
        (v["outcome_name"].clone(), v["status_name"].clone()),
        (json!("olumsuz"), json!("cevaplandı"))
    );
    assert!(v["reason_name"].is_string(), "{v}");
    assert!(
        !v.to_string().contains("Bütçe yok\""),
        "the answer text is not public: {v}"
    );

    // A signed quarter: refused, then forced with a reason, which marks the report.
    let last = muhtar_core::report::Quarter::containing(now).previous();
    let (s, signed) = post_json(
        &c,
        &srv.url(&format!("/api/v1/reports/{last}/sign")),
        &official,
        &json!({"note": "Uygundur"}),
    )
    .await;
    assert_eq!(s, 201, "{signed}");
    let inside = last.end() - Duration::days(2);
    let (s, e) = post_json(&c, &url, &coord, &with(json!({"received_at": inside}))).await;
    assert_eq!(
        (s.as_u16(), e["error"]["field"].clone()),
        (422, json!("received_at")),
        "{e}"
    );
    let (s, e) = post_json(&c, &url, &kuz, &with(json!({"force_reason": "neden"}))).await;
    assert_eq!(
        (s.as_u16(), e["error"]["field"].clone()),
        (422, json!("force_reason")),
        "{e}"
    );
    let signed_list = || async {
        let (s, l) = body(
            c.get(srv.url("/api/v1/reports/signed"))
                .bearer_auth(&official)
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(s, 200);
        l
    };
    assert_eq!(signed_list().await[0]["needs_correction"], false);
    let (s, rec) = post_json(
        &c,
        &url,
        &coord,
        &with(json!({"received_at": inside, "force_reason": "Evrak kayıtta unutulmuş"})),
    )
    .await;
    assert_eq!(s, 201, "{rec}");
    assert_eq!(signed_list().await[0]["needs_correction"], true);
    let id = signed["id"].as_str().unwrap();
    let page = c
        .get(srv.url(&format!("/api/v1/reports/signed/{id}?format=html")))
        .bearer_auth(&official)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("DÜZELTME GEREKLİ") && page.contains("Evrak kayıtta unutulmuş"));

    // Guessing numbers is limited like failed authentications (5 allowed here).
    for _ in 0..6 {
        let (s, e) = body(
            c.get(srv.url("/api/v1/status/nonsense"))
                .send()
                .await
                .unwrap(),
        )
        .await;
        if s == 429 {
            break;
        }
        assert_eq!(
            (s.as_u16(), e["error"]["code"].clone()),
            (404, json!("not_found"))
        );
    }
    let s = c
        .get(srv.url(&format!("/api/v1/status/{tracking}")))
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(s, 429);
    srv.kill();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn receipts_and_public_status_on_sqlite() {
    let d = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", d.path().join("serve.db").display());
    scenario(&db).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn receipts_and_public_status_on_postgres() {
    let Some(base) = common::pg_server("serve receipts on PostgreSQL") else {
        return;
    };
    scenario(&common::fresh_pg_db(&base, "muhtar_serve_receipt")).await;
}
