//! The council's proposals over REST (`/api/v1/councils/{muhtarlik}/proposals…`): a
//! member proposes, supports and comments as themselves (403 for another member), the
//! muhtar records for members, puts on the agenda and hides a comment (its text no longer
//! given); a second support is 409; another council's path is 404; a member never reads
//! the roll's contacts.

use serde_json::json;

use crate::councils::{app, code, get, members, post};
use crate::documents::token;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn proposals_supports_comments_and_the_agenda_over_rest() {
    let app = app().await;
    let muhtar = token(&app, "muhtar:kuzguncuk").await;
    let ids = members(&app, &muhtar, &["Ayşe", "Mehmet"]).await;
    let ayse = token(&app, &format!("member:kuzguncuk@{}", ids[0])).await;

    // A member's own proposal; one for the other member is refused.
    let (s, e) = post(
        &app,
        "/councils/kuzguncuk/proposals",
        &ayse,
        json!({"title": "", "text": "x"}),
    )
    .await;
    assert_eq!(
        (s, e["error"]["field"].as_str()),
        (422, Some("title")),
        "{e}"
    );
    let (s, p) = post(
        &app,
        "/councils/kuzguncuk/proposals",
        &ayse,
        json!({"title": "Parka bank", "text": "Oturacak yer yok.",
               "location": {"lat": 41.0255, "lon": 29.033}}),
    )
    .await;
    assert_eq!(s, 201, "{p}");
    assert_eq!(p["author"], json!({"kind": "member", "member": ids[0]}));
    assert_eq!(
        (p["status"].as_str(), p["supports"].as_u64()),
        (Some("open"), Some(0))
    );
    let (s, _) = post(
        &app,
        "/councils/kuzguncuk/proposals",
        &ayse,
        json!({"title": "Başkası adına", "text": "x", "member": ids[1]}),
    )
    .await;
    assert_eq!(s, 403);
    let id = p["id"].as_str().unwrap().to_owned();
    let path = format!("/councils/kuzguncuk/proposals/{id}");

    // Supports: the member's own, then again (409); the muhtar records the other's.
    let supports = format!("{path}/supports");
    let (s, d) = post(&app, &supports, &ayse, json!({})).await;
    assert_eq!((s, d["supports"].as_u64()), (201, Some(1)), "{d}");
    let (s, e) = post(&app, &supports, &ayse, json!({})).await;
    assert_eq!((s, code(&e)), (409, "council"), "{e}");
    let (s, _) = post(&app, &supports, &ayse, json!({"member": ids[1]})).await;
    assert_eq!(s, 403);
    let (s, d) = post(&app, &supports, &muhtar, json!({"member": ids[1]})).await;
    assert_eq!(
        (s, d["proposal"]["supports"].as_u64()),
        (201, Some(2)),
        "{d}"
    );

    // Comments; the member may not hide nor put on the agenda; the muhtar does.
    let comments = format!("{path}/comments");
    let (s, c) = post(&app, &comments, &ayse, json!({"text": "Katılıyorum"})).await;
    assert_eq!(s, 201, "{c}");
    let hide = format!("{comments}/{}/hide", c["id"].as_str().unwrap());
    let (s, _) = post(&app, &hide, &ayse, json!({"reason": "x"})).await;
    assert_eq!(s, 403);
    let (s, _) = post(&app, &format!("{path}/agenda"), &ayse, json!({})).await;
    assert_eq!(s, 403);
    let (s, h) = post(&app, &hide, &muhtar, json!({"reason": "Konu dışı"})).await;
    assert_eq!(s, 200, "{h}");
    assert_eq!(
        (h["hidden"].as_bool(), h.get("text")),
        (Some(true), None),
        "{h}"
    );
    let (s, list) = get(&app, &comments, &ayse).await;
    assert_eq!(
        (s, list["comments"][0]["hidden_reason"].as_str()),
        (200, Some("Konu dışı"))
    );
    let (s, on) = post(&app, &format!("{path}/agenda"), &muhtar, json!({})).await;
    assert_eq!((s, on["status"].as_str()), (200, Some("on-agenda")), "{on}");
    let (s, e) = post(&app, &format!("{path}/agenda"), &muhtar, json!({})).await;
    assert_eq!((s, code(&e)), (409, "council"), "{e}");

    // Reads: the list; another council's path is 404; the roll's contacts are refused.
    let (s, list) = get(&app, "/councils/kuzguncuk/proposals", &ayse).await;
    assert_eq!(
        (s, &list["proposals"][0]["id"]),
        (200, &json!(id)),
        "{list}"
    );
    let (s, _) = get(
        &app,
        &format!("/councils/cengelkoy/proposals/{id}"),
        &muhtar,
    )
    .await;
    assert_eq!(s, 404);
    let (s, _) = get(&app, "/councils/cengelkoy/proposals", &ayse).await;
    assert_eq!(s, 403);
    let (s, _) = get(&app, "/councils/kuzguncuk/members", &ayse).await;
    assert_eq!(s, 403);
}
