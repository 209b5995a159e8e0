//! Urgent letters and dated letters over REST (issue 16 §3), `muhtar serve` on a real
//! SQLite file and on PostgreSQL: urgent requests first in a unit's queue and in
//! listings, page by page; `urgent` and `reply_by` in the view; the letter's date as the
//! deadline, explained; a bad `reply_by` refused with 422 naming the field, nothing
//! written.

use chrono::{Duration, Utc};
use common::{body, client, muhtar, token, App};
use serde_json::{json, Value};

use crate::common;

async fn scenario(db: &str) {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path();
    muhtar(dir, db, &["init"]);
    let kuz = token(dir, db, "ibb", "muhtar:kuzguncuk");
    let coord = token(dir, db, "ibb", "coordinator");
    let srv = App::start(dir, db);
    let c = client();
    let submit = |tok: &str, v: Value| {
        c.post(srv.url("/api/v1/requests"))
            .bearer_auth(tok.to_owned())
            .json(&v)
            .send()
    };
    let get = |tok: &str, path: &str| c.get(srv.url(path)).bearer_auth(tok.to_owned()).send();

    let (s, normal) = body(
        submit(
            &kuz,
            json!({"category": "asfalt-onarim", "subject": "Kaldırım kırık"}),
        )
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(s, 201, "{normal}");
    assert_eq!(normal["urgent"], false);
    assert_eq!(normal["reply_by"], Value::Null);
    let reply_by = (muhtar_core::calendar::local_date(Utc::now()) + Duration::days(3)).to_string();
    let (s, urgent) = body(
        submit(
            &coord,
            json!({"muhtarlik": "kuzguncuk", "category": "asfalt-onarim",
                   "subject": "Bakanlık yazısı", "priority": "urgent", "reply_by": reply_by}),
        )
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(s, 201, "{urgent}");
    assert_eq!(urgent["urgent"], true);
    assert_eq!(urgent["priority"], "urgent");
    assert_eq!(urgent["reply_by"], reply_by.as_str());
    let due = |v: &Value| {
        chrono::DateTime::parse_from_rfc3339(v["resolution_due"].as_str().unwrap())
            .unwrap()
            .with_timezone(&Utc)
    };
    assert_eq!(
        muhtar_core::calendar::local_date(due(&urgent)).to_string(),
        reply_by
    );
    assert!(due(&urgent) < due(&normal));
    let (tu, tn) = (
        urgent["tracking"].as_str().unwrap().to_owned(),
        normal["tracking"].as_str().unwrap().to_owned(),
    );
    let (s, clocks) = body(
        get(&coord, &format!("/api/v1/requests/{tu}/deadline"))
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(s, 200, "{clocks}");
    let r = &clocks["resolution"]["explanation"]["reply_by"];
    assert_eq!(r["applied"], true, "{clocks}");
    assert!(r["note"]
        .as_str()
        .unwrap()
        .contains("yazıda istenen cevap tarihi"));

    // The unit's queue and the listings: urgent first, also across pages.
    let unit = normal["unit"].as_str().unwrap().to_owned();
    for path in [
        format!("/api/v1/units/{unit}/queue?limit=1"),
        "/api/v1/requests?limit=1".to_owned(),
        "/api/v1/requests?limit=1&order=newest".to_owned(),
    ] {
        let (s, p1) = body(get(&coord, &path).await.unwrap()).await;
        assert_eq!(s, 200, "{p1}");
        assert_eq!(p1["items"][0]["tracking"], tu.as_str(), "{path}");
        let next = p1["next"].as_str().unwrap();
        let (s, p2) = body(
            get(&coord, &format!("{path}&after={}", urlencode(next)))
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(s, 200, "{p2}");
        assert_eq!(p2["items"][0]["tracking"], tn.as_str(), "{path}");
        assert_eq!(p2["next"], Value::Null, "{path}");
    }

    // A bad reply-by date: 422 naming the field, nothing written.
    for bad in [json!("yarın"), json!("2020-01-01"), json!("2099-01-01")] {
        let (s, e) = body(
            submit(
                &coord,
                json!({"muhtarlik": "kuzguncuk", "category": "asfalt-onarim",
                       "subject": "Geç yazı", "reply_by": bad}),
            )
            .await
            .unwrap(),
        )
        .await;
        assert_eq!(s, 422, "{bad}: {e}");
        assert_eq!(e["error"]["field"], "reply_by", "{bad}: {e}");
    }
    let (_, all) = body(get(&coord, "/api/v1/requests?limit=1000").await.unwrap()).await;
    assert_eq!(all["items"].as_array().unwrap().len(), 2);
    srv.terminate();
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn urgent_and_dated_letters_over_rest_on_sqlite() {
    let d = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", d.path().join("serve.db").display());
    scenario(&db).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn urgent_and_dated_letters_over_rest_on_postgres() {
    let Some(base) = common::pg_server("urgent letters over REST on PostgreSQL") else {
        return;
    };
    scenario(&common::fresh_pg_db(&base, "muhtar_serve_urgent")).await;
}
