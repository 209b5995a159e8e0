//! The overdue and at-risk listings over REST (`GET /api/v1/requests?overdue=true`,
//! `?at_risk=true`) and the CLI (`muhtar list --overdue`, `--at-risk`), `muhtar serve` on
//! a real SQLite file and on PostgreSQL: one core definition for both, narrowed to what
//! the actor may see, paged, documented in the OpenAPI document.

use std::collections::BTreeSet;

use chrono::{Duration, Utc};
use common::{body, client, muhtar, token, App};
use serde_json::{json, Value};

use crate::common;

fn trackings(page: &Value) -> BTreeSet<String> {
    page["items"]
        .as_array()
        .unwrap_or_else(|| panic!("no items: {page}"))
        .iter()
        .map(|r| {
            r["tracking"]
                .as_str()
                .or_else(|| r["state"]["tracking"].as_str())
                .unwrap()
                .to_owned()
        })
        .collect()
}

async fn scenario(db: &str) {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path();
    muhtar(dir, db, &["init"]);
    let kuz = token(dir, db, "ibb", "muhtar:kuzguncuk");
    let coord = token(dir, db, "ibb", "coordinator");
    let srv = App::start(dir, db);
    let c = client();
    let submit = |v: Value| {
        c.post(srv.url("/api/v1/requests"))
            .bearer_auth(coord.clone())
            .json(&v)
            .send()
    };
    let get = |tok: &str, path: &str| c.get(srv.url(path)).bearer_auth(tok.to_owned()).send();
    let tracking = |v: &Value| v["tracking"].as_str().unwrap().to_owned();

    // Given: letters asking for an answer by tomorrow (at risk: their deadline is within
    // the three working days of the warning window), one of them already answered; a
    // request that arrived 25 days ago (overdue: 15 days); one that arrived now.
    let tomorrow = (muhtar_core::calendar::local_date(Utc::now()) + Duration::days(1)).to_string();
    let mut made = Vec::new();
    for v in [
        json!({"muhtarlik": "kuzguncuk", "category": "asfalt-onarim", "subject": "Yazı 1",
               "reply_by": tomorrow}),
        json!({"muhtarlik": "cengelkoy", "category": "asfalt-onarim", "subject": "Yazı 2",
               "reply_by": tomorrow}),
        json!({"muhtarlik": "kuzguncuk", "category": "asfalt-onarim", "subject": "Yazı 3",
               "reply_by": tomorrow}),
        json!({"muhtarlik": "kuzguncuk", "category": "asfalt-onarim", "subject": "Eski",
               "received_at": (Utc::now() - Duration::days(25)).to_rfc3339()}),
        json!({"muhtarlik": "kuzguncuk", "category": "asfalt-onarim", "subject": "Yeni"}),
    ] {
        let (s, r) = body(submit(v).await.unwrap()).await;
        assert_eq!(s, 201, "{r}");
        made.push(tracking(&r));
    }
    let (at_risk_kuz, at_risk_cen, answered, overdue, running) = (
        made[0].clone(),
        made[1].clone(),
        made[2].clone(),
        made[3].clone(),
        made[4].clone(),
    );
    let (s, r) = body(
        c.post(srv.url(&format!("/api/v1/requests/{answered}/answer")))
            .bearer_auth(coord.clone())
            .json(&json!({"outcome": "positive", "text": "Yapıldı"}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(s, 200, "{r}");

    // The clocks agree with the listings below.
    for (t, state) in [
        (&at_risk_kuz, "at_risk"),
        (&at_risk_cen, "at_risk"),
        (&overdue, "breached"),
        (&running, "running"),
        (&answered, "met"),
    ] {
        let (s, clocks) = body(
            get(&coord, &format!("/api/v1/requests/{t}/deadline"))
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(s, 200, "{clocks}");
        assert_eq!(clocks["resolution"]["state"], state, "{t}: {clocks}");
    }

    // When the coordinator lists: at risk, overdue, the two apart.
    let set = |v: &[&String]| v.iter().map(|s| s.to_string()).collect::<BTreeSet<_>>();
    let (s, p) = body(get(&coord, "/api/v1/requests?at_risk=true").await.unwrap()).await;
    assert_eq!(s, 200, "{p}");
    assert_eq!(trackings(&p), set(&[&at_risk_kuz, &at_risk_cen]));
    assert_eq!(p["items"][0]["status"], "routed");
    let (s, p) = body(get(&coord, "/api/v1/requests?overdue=true").await.unwrap()).await;
    assert_eq!(s, 200, "{p}");
    assert_eq!(trackings(&p), set(&[&overdue]));
    let (s, p) = body(
        get(&coord, "/api/v1/requests?at_risk=false&overdue=false")
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(s, 200, "{p}");
    assert_eq!(trackings(&p).len(), 5);

    // A muhtar: their own only.
    let (s, p) = body(get(&kuz, "/api/v1/requests?at_risk=true").await.unwrap()).await;
    assert_eq!(s, 200, "{p}");
    assert_eq!(trackings(&p), set(&[&at_risk_kuz]));

    // Page by page.
    let (s, p1) = body(
        get(&coord, "/api/v1/requests?at_risk=true&limit=1")
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(s, 200, "{p1}");
    assert_eq!(p1["items"].as_array().unwrap().len(), 1);
    let next = p1["next"].as_str().unwrap();
    let (s, p2) = body(
        get(
            &coord,
            &format!("/api/v1/requests?at_risk=true&limit=1&after={next}"),
        )
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(s, 200, "{p2}");
    assert_eq!(p2["next"], Value::Null, "{p2}");
    let mut both = trackings(&p1);
    both.extend(trackings(&p2));
    assert_eq!(both, set(&[&at_risk_kuz, &at_risk_cen]));

    // Both at once, or not a boolean: refused, naming the parameter.
    let (s, e) = body(
        get(&coord, "/api/v1/requests?at_risk=true&overdue=true")
            .await
            .unwrap(),
    )
    .await;
    assert_eq!((s.as_u16(), &e["error"]["field"]), (422, &json!("at_risk")));
    let (s, e) = body(get(&coord, "/api/v1/requests?at_risk=yes").await.unwrap()).await;
    assert_eq!((s.as_u16(), &e["error"]["field"]), (400, &json!("at_risk")));

    // The OpenAPI document says so.
    let (_, doc) = body(c.get(srv.url("/api/v1/openapi.json")).send().await.unwrap()).await;
    let params = doc["paths"]["/requests"]["get"]["parameters"]
        .as_array()
        .unwrap();
    let at_risk = params
        .iter()
        .find(|p| p["name"] == "at_risk")
        .unwrap_or_else(|| panic!("no at_risk parameter: {params:?}"));
    assert_eq!(at_risk["in"], "query");
    assert!(at_risk["description"]
        .as_str()
        .unwrap()
        .contains("warning window"));

    // The CLI lists the same, from the same core queries.
    let cli = |flag: &str| -> BTreeSet<String> {
        let out = muhtar(
            dir,
            db,
            &[
                "--tenant",
                "ibb",
                "--as",
                "coordinator",
                "--json",
                "list",
                flag,
            ],
        );
        trackings(&serde_json::from_str(&out).unwrap())
    };
    assert_eq!(cli("--at-risk"), set(&[&at_risk_kuz, &at_risk_cen]));
    assert_eq!(cli("--overdue"), set(&[&overdue]));
    srv.terminate();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn overdue_and_at_risk_over_rest_and_cli_on_sqlite() {
    let d = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", d.path().join("serve.db").display());
    scenario(&db).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn overdue_and_at_risk_over_rest_and_cli_on_postgres() {
    let Some(base) = common::pg_server("overdue and at risk over REST on PostgreSQL") else {
        return;
    };
    scenario(&common::fresh_pg_db(&base, "muhtar_serve_due")).await;
}
