//! Boundaries over REST, in process: `GET /api/v1/map/where` (the muhtarlık of a point, for
//! back-office staff), and a request's `location_warning` when its location lies outside
//! its muhtarlık's boundary (the submission's response, the request, the list).

use std::sync::Arc;

use muhtar_core::access::Actor;
use muhtar_core::clock::{Clock, ManualClock};
use muhtar_core::org::Organisation;
use muhtar_core::service::Mbs;
use muhtar_core::store::Store;
use muhtar_core::testkit::{fixtures, MemoryStore};
use muhtar_core::token::{hash_secret, ApiToken};
use muhtar_http::{router, AppState};
use serde_json::{json, Value};

use crate::mount::serve;

/// The example organisation with its boundaries.
pub(crate) fn example_org() -> Organisation {
    Organisation::from_toml_str_with(include_str!("../../../examples/data/org.toml"), |_| {
        Ok(include_str!("../../../examples/data/boundaries.geojson").to_owned())
    })
    .unwrap()
    .0
}

/// The router on a memory store with the example organisation and a token per actor
/// (the token's secret is the actor text); its base URL.
async fn app() -> (String, Organisation) {
    let store: Arc<dyn Store> = Arc::new(MemoryStore::default());
    let clock: Arc<dyn Clock> = Arc::new(ManualClock::new(fixtures::t0()));
    let mbs = Mbs::new(store, clock, muhtar_core::ids::SeededRandom::new(7));
    let org = example_org();
    let t = org.tenant.id.clone();
    mbs.install_organisation(&Actor::system(t.clone()), org.clone())
        .await
        .unwrap();
    for (i, actor) in ["coordinator", "unit:uskudar-fen", "muhtar:kuzguncuk"]
        .into_iter()
        .enumerate()
    {
        mbs.store()
            .create_token(&ApiToken {
                id: uuid::Uuid::from_u128(i as u128 + 1),
                tenant: t.clone(),
                actor: actor.into(),
                name: actor.into(),
                hash: hash_secret(actor),
                created_at: fixtures::t0(),
                revoked_at: None,
            })
            .await
            .unwrap();
    }
    let base = serve(router(AppState::builder(mbs).build())).await;
    (base, org)
}

async fn get(url: &str, token: Option<&str>) -> (u16, Value) {
    let mut r = reqwest::Client::new().get(url);
    if let Some(t) = token {
        r = r.bearer_auth(t);
    }
    let r = r.send().await.unwrap();
    (r.status().as_u16(), r.json().await.unwrap())
}

fn centre(org: &Organisation, m: &str) -> (f64, f64) {
    let c = org
        .muhtarlik(&muhtar_core::ids::MuhtarlikCode::new(m).unwrap())
        .unwrap()
        .centre
        .unwrap();
    (c.lat, c.lon)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn back_office_staff_find_the_muhtarlik_of_a_point() {
    let (base, org) = app().await;
    let (lat, lon) = centre(&org, "beylerbeyi");
    let url = format!("{base}/api/v1/map/where?lat={lat}&lon={lon}");
    for staff in ["coordinator", "unit:uskudar-fen"] {
        let (s, body) = get(&url, Some(staff)).await;
        assert_eq!(s, 200, "{body}");
        assert_eq!(
            body,
            json!({"muhtarlik": "beylerbeyi", "name": "Beylerbeyi Mahallesi"})
        );
    }
    // In Turkey, in no boundary: 404 saying so.
    let (s, body) = get(
        &format!("{base}/api/v1/map/where?lat=39.92&lon=32.85"),
        Some("coordinator"),
    )
    .await;
    assert_eq!(s, 404, "{body}");
    assert_eq!(body["error"]["code"], "not_found");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("(39.92, 32.85)"),
        "{body}"
    );
    // Outside Turkey, or not a number: the parameter is named.
    let (s, body) = get(
        &format!("{base}/api/v1/map/where?lat=52.5&lon=13.4"),
        Some("coordinator"),
    )
    .await;
    assert_eq!((s, &body["error"]["field"]), (422, &json!("lat")), "{body}");
    let (s, body) = get(
        &format!("{base}/api/v1/map/where?lat=x&lon=29"),
        Some("coordinator"),
    )
    .await;
    assert_eq!((s, &body["error"]["field"]), (400, &json!("lat")), "{body}");
    // A muhtar enters only their own muhtarlık's requests: not for them; nor without a token.
    let (s, body) = get(&url, Some("muhtar:kuzguncuk")).await;
    assert_eq!(s, 403, "{body}");
    let (s, _) = get(&url, None).await;
    assert_eq!(s, 401);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_located_outside_its_muhtarlik_carries_a_warning() {
    let (base, org) = app().await;
    let c = reqwest::Client::new();
    let submit = |at: (f64, f64)| {
        c.post(format!("{base}/api/v1/requests"))
            .bearer_auth("muhtar:kuzguncuk")
            .json(&json!({
                "category": "asfalt-onarim",
                "subject": "Yolda çukur",
                "location": {"lat": at.0, "lon": at.1},
            }))
            .send()
    };
    let r = submit(centre(&org, "beylerbeyi")).await.unwrap();
    assert_eq!(r.status().as_u16(), 201);
    let outside: Value = r.json().await.unwrap();
    let warning = json!({
        "muhtarlik": "kuzguncuk",
        "inside": "beylerbeyi",
        "message": "Konum, Kuzguncuk Mahallesi sınırlarının dışında; nokta Beylerbeyi Mahallesi içinde.",
    });
    assert_eq!(outside["location_warning"], warning, "{outside}");
    // Not a refusal: the request is there, and says so when read.
    let tracking = outside["tracking"].as_str().unwrap();
    let (s, read) = get(
        &format!("{base}/api/v1/requests/{tracking}"),
        Some("coordinator"),
    )
    .await;
    assert_eq!(s, 200);
    assert_eq!(read["location_warning"], warning);
    // Inside its boundary: no warning.
    let inside: Value = submit(centre(&org, "kuzguncuk"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(inside["location_warning"], Value::Null, "{inside}");
    // The list shows each request's own.
    let (_, page) = get(&format!("{base}/api/v1/requests"), Some("coordinator")).await;
    let by_tracking = |t: &Value| {
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["tracking"] == *t)
            .unwrap()["location_warning"]
            .clone()
    };
    assert_eq!(by_tracking(&outside["tracking"]), warning);
    assert_eq!(by_tracking(&inside["tracking"]), Value::Null);
}
