//! The council's meetings over REST (`/api/v1/councils/{muhtarlik}/meetings…`): schedule,
//! attendance from the roll, minutes that freeze the meeting (409 `meeting_held`), access.

use muhtar_core::clock::Clock;
use serde_json::json;

use crate::councils::{app, at, call, code, get, members, post};
use crate::documents::token;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_meeting_its_attendance_and_frozen_minutes_over_rest() {
    let app = app().await;
    let muhtar = token(&app, "muhtar:kuzguncuk").await;
    let ids = members(&app, &muhtar, &["Ayşe", "Mehmet"]).await;

    let (s, e) = post(
        &app,
        "/councils/kuzguncuk/meetings",
        &muhtar,
        json!({"at": at(&app, 2), "place": "Muhtarlık", "agenda": []}),
    )
    .await;
    assert_eq!(
        (s, e["error"]["field"].as_str()),
        (422, Some("agenda")),
        "{e}"
    );
    let (s, m) = post(
        &app,
        "/councils/kuzguncuk/meetings",
        &muhtar,
        json!({"at": at(&app, 2), "place": "Muhtarlık", "agenda": ["Park", "Pazar yeri"]}),
    )
    .await;
    assert_eq!(s, 201, "{m}");
    assert_eq!(m["held"], false);
    let id = m["id"].as_str().unwrap().to_owned();
    let path = format!("/councils/kuzguncuk/meetings/{id}");

    // Attendance: members of the roll; a stranger is named by the field.
    let attendance = format!("{path}/attendance");
    let put = |body| call(&app, reqwest::Method::PUT, &attendance, &muhtar, Some(body));
    let (s, e) = put(json!({"members": [ids[0], "00000000-0000-0000-0000-000000000009"]})).await;
    assert_eq!(
        (s, e["error"]["field"].as_str()),
        (422, Some("members")),
        "{e}"
    );
    let (s, m) = put(json!({"members": [ids[1], ids[0]]})).await;
    assert_eq!(s, 200, "{m}");
    let mut want = ids.clone();
    want.sort();
    assert_eq!(m["attendance"], json!(want));

    // Minutes: not before the meeting; then once.
    let minutes = format!("{path}/minutes");
    let (s, e) = post(&app, &minutes, &muhtar, json!({"text": "Erken"})).await;
    assert_eq!((s, code(&e)), (409, "meeting_not_yet"), "{e}");
    app.clock.set(app.clock.now() + chrono::Duration::hours(3));
    let (s, held) = post(&app, &minutes, &muhtar, json!({"text": "Park onaylandı."})).await;
    assert_eq!(s, 200, "{held}");
    assert_eq!(held["held"], true);
    assert_eq!(
        held["minutes"]["sha256"],
        muhtar_core::document::sha256_hex("Park onaylandı.".as_bytes())
    );
    let (s, e) = post(&app, &minutes, &muhtar, json!({"text": "Düzeltme"})).await;
    assert_eq!((s, code(&e)), (409, "meeting_held"), "{e}");
    let (s, e) = put(json!({"members": []})).await;
    assert_eq!((s, code(&e)), (409, "meeting_held"), "{e}");
    let (s, shown) = get(&app, &path, &muhtar).await;
    assert_eq!((s, &shown), (200, &held));

    // The auditor reads (the list, latest first); another muhtar does not see it; the
    // meeting is not found under another council's path.
    let auditor = token(&app, "auditor").await;
    let (s, list) = get(&app, "/councils/kuzguncuk/meetings", &auditor).await;
    assert_eq!((s, &list["meetings"][0]["id"]), (200, &json!(id)), "{list}");
    let (s, _) = post(&app, &minutes, &auditor, json!({"text": "x"})).await;
    assert_eq!(s, 403);
    let other = token(&app, "muhtar:cengelkoy").await;
    let (s, _) = get(&app, &path, &other).await;
    assert_eq!(s, 404);
    let (s, _) = get(
        &app,
        &format!("/councils/cengelkoy/meetings/{id}"),
        &auditor,
    )
    .await;
    assert_eq!(s, 404);
}
