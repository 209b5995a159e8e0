//! A council's decision sent as a request over REST (`POST /api/v1/councils/votes/{id}/
//! decision`): 201 with the request's public status and `Location`, the PDF served as
//! the request's attachment, the vote's view carrying the decision (and, once answered,
//! the answer), the municipal-council flag in the unit's queue; refusals by status and
//! code (not adopted, sent twice, an unknown category, another muhtar).

use muhtar_core::clock::Clock;
use serde_json::json;

use crate::councils::{app, at, call, code, get, members, post};
use crate::documents::token;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_decision_becomes_a_request_and_its_answer_returns_over_rest() {
    let app = app().await;
    let muhtar = token(&app, "muhtar:kuzguncuk").await;
    let ids = members(&app, &muhtar, &["Ayşe", "Mehmet"]).await;
    let open = |title: &'static str| {
        let (app, muhtar) = (&app, &muhtar);
        async move {
            let (s, v) = post(
                app,
                "/councils/kuzguncuk/votes",
                muhtar,
                json!({"title": title, "closes_at": at(app, 1)}),
            )
            .await;
            assert_eq!(s, 201, "{v}");
            v["id"].as_str().unwrap().to_owned()
        }
    };
    let adopted = open("Parka bank konsun").await;
    let tie = open("Pazar yeri taşınsın").await;
    for (m, c) in ids.iter().zip(["Kabul", "Kabul"]) {
        let (s, _) = post(
            &app,
            &format!("/councils/votes/{adopted}/ballots"),
            &muhtar,
            json!({"member": m, "choice": c}),
        )
        .await;
        assert_eq!(s, 201);
    }
    for (m, c) in ids.iter().zip(["Kabul", "Ret"]) {
        let (s, _) = post(
            &app,
            &format!("/councils/votes/{tie}/ballots"),
            &muhtar,
            json!({"member": m, "choice": c}),
        )
        .await;
        assert_eq!(s, 201);
    }
    let send = |vote: &str, body| {
        let (app, muhtar) = (&app, &muhtar);
        let path = format!("/councils/votes/{vote}/decision");
        async move { post(app, &path, muhtar, body).await }
    };
    // Still running: refused.
    let (s, e) = send(&adopted, json!({"category": "asfalt-onarim"})).await;
    assert_eq!((s, code(&e)), (409, "council"), "{e}");
    app.clock.set(app.clock.now() + chrono::Duration::hours(2));
    for v in [&adopted, &tie] {
        let (s, _) = post(
            &app,
            &format!("/councils/votes/{v}/close"),
            &muhtar,
            json!({}),
        )
        .await;
        assert_eq!(s, 200);
    }
    let (s, e) = send(&tie, json!({"category": "asfalt-onarim"})).await;
    assert_eq!((s, code(&e)), (409, "not_adopted"), "{e}");
    let (s, e) = send(&adopted, json!({"category": "yok"})).await;
    assert_eq!(
        (s, e["error"]["field"].as_str()),
        (422, Some("category")),
        "{e}"
    );
    let other = token(&app, "muhtar:cengelkoy").await;
    let (s, _) = post(
        &app,
        &format!("/councils/votes/{adopted}/decision"),
        &other,
        json!({"category": "asfalt-onarim"}),
    )
    .await;
    assert_eq!(s, 404);

    // Sent: 201, the request's status; its PDF served as its attachment.
    let (s, d) = send(
        &adopted,
        json!({"category": "asfalt-onarim", "kind": "suggestion", "municipal_council": true}),
    )
    .await;
    assert_eq!(s, 201, "{d}");
    assert_eq!(d["status"], "routed");
    assert_eq!(d["municipal_council"], true);
    let tracking = d["tracking"].as_str().unwrap().to_owned();
    let (s, r) = get(&app, &format!("/requests/{tracking}"), &muhtar).await;
    assert_eq!(s, 200, "{r}");
    assert_eq!(
        (r["channel"].as_str(), r["kind"].as_str()),
        (Some("mahalle-meclisi"), Some("suggestion"))
    );
    let sha = r["attachments"][0]["sha256"].as_str().unwrap().to_owned();
    let file = reqwest::Client::new()
        .get(format!(
            "{}/mbs/api/v1/requests/{tracking}/attachments/{sha}",
            app.base
        ))
        .bearer_auth(&muhtar)
        .send()
        .await
        .unwrap();
    assert_eq!(file.status(), 200);
    assert!(file.bytes().await.unwrap().starts_with(b"%PDF-"));
    let (s, e) = send(&adopted, json!({"category": "asfalt-onarim"})).await;
    assert_eq!((s, code(&e)), (409, "decision_sent"), "{e}");
    assert!(
        e["error"]["message"].as_str().unwrap().contains(&tracking),
        "{e}"
    );

    // The unit's queue flags it; the answer returns to the vote's view.
    let unit = r["unit"].as_str().unwrap().to_owned();
    let coord = token(&app, "coordinator").await;
    let (s, q) = get(&app, &format!("/units/{unit}/queue"), &coord).await;
    assert_eq!(s, 200, "{q}");
    let item = q["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["tracking"] == tracking.as_str())
        .cloned()
        .unwrap();
    assert_eq!(item["municipal_council"], true);
    let (s, a) = call(
        &app,
        reqwest::Method::POST,
        &format!("/requests/{tracking}/answer"),
        &coord,
        Some(json!({"outcome": "positive", "text": "Bank konuldu."})),
    )
    .await;
    assert_eq!(s, 200, "{a}");
    let (s, v) = get(&app, &format!("/councils/votes/{adopted}"), &muhtar).await;
    assert_eq!(s, 200);
    assert_eq!(v["decision"]["tracking"], tracking.as_str());
    assert_eq!(v["decision"]["status"], "answered");
    assert_eq!(v["decision"]["answer"], "Bank konuldu.");
}
