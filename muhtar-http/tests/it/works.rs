//! Works over HTTP, in process: `/api/v1/works` (publish, list, read, change, close, the
//! coordinator's clashes) and the public map layer `/api/v1/map/works.geojson`, checked
//! against RFC 7946 (lon/lat order, closed rings, counterclockwise exterior rings).

use std::sync::Arc;

use axum::Router;
use muhtar_core::access::Actor;
use muhtar_core::clock::{Clock, ManualClock};
use muhtar_core::map::{Boundaries, Shape};
use muhtar_core::service::Mbs;
use muhtar_core::store::Store;
use muhtar_core::testkit::{fixtures, MemoryStore};
use muhtar_core::token::{hash_secret, ApiToken};
use muhtar_http::{router, AppState};
use serde_json::{json, Value};

use crate::mount::serve;

const TENANT: &str = "ornek";

fn square(lon: f64) -> Shape {
    let e = lon + 0.01;
    serde_json::from_value(json!({"type": "Polygon", "coordinates": [[
        [lon, 41.0], [e, 41.0], [e, 41.01], [lon, 41.01], [lon, 41.0]]]}))
    .unwrap()
}

/// The server on a memory store: the fixture organisation with boundaries (Kuzguncuk west
/// of 29.01°E, Çengelköy east of it) and a token per actor (`mbs_<actor>`).
async fn server(tenants: &[&str]) -> (String, Arc<dyn Store>) {
    let store: Arc<dyn Store> = Arc::new(MemoryStore::default());
    let clock: Arc<dyn Clock> = Arc::new(ManualClock::new(fixtures::t0()));
    let mbs = Mbs::new(store.clone(), clock, muhtar_core::ids::SeededRandom::new(3));
    for (n, t) in tenants.iter().enumerate() {
        let mut org = fixtures::organisation(t);
        org.boundaries = Boundaries(
            [
                ("kuzguncuk".parse().unwrap(), square(29.0)),
                ("cengelkoy".parse().unwrap(), square(29.01)),
            ]
            .into_iter()
            .collect(),
        );
        mbs.install_organisation(&Actor::system(org.tenant.id.clone()), org)
            .await
            .unwrap();
        for (i, a) in [
            "unit:fen-isleri",
            "unit:park-bahce",
            "coordinator",
            "muhtar:kuzguncuk",
        ]
        .iter()
        .enumerate()
        {
            store
                .create_token(&ApiToken {
                    id: uuid::Uuid::from_u128((n * 10 + i) as u128 + 1),
                    tenant: fixtures::tenant(t),
                    actor: (*a).into(),
                    name: "test".into(),
                    hash: hash_secret(&format!("mbs_{t}_{a}")),
                    created_at: fixtures::t0(),
                    revoked_at: None,
                })
                .await
                .unwrap();
        }
    }
    let state = AppState::builder(mbs).build();
    (serve(Router::new().merge(router(state))).await, store)
}

struct Call {
    base: String,
    c: reqwest::Client,
}

impl Call {
    fn new(base: &str) -> Self {
        Call {
            base: base.to_owned(),
            c: reqwest::Client::new(),
        }
    }

    async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        who: Option<&str>,
        body: Option<Value>,
    ) -> (u16, Value, reqwest::header::HeaderMap) {
        let mut r = self.c.request(method, format!("{}{path}", self.base));
        if let Some(w) = who {
            r = r.bearer_auth(format!("mbs_{TENANT}_{w}"));
        }
        if let Some(b) = body {
            r = r.json(&b);
        }
        let r = r.send().await.unwrap();
        let (s, h) = (r.status().as_u16(), r.headers().clone());
        let text = r.text().await.unwrap();
        (
            s,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
            h,
        )
    }

    async fn get(&self, path: &str, who: Option<&str>) -> (u16, Value) {
        let (s, v, _) = self.send(reqwest::Method::GET, path, who, None).await;
        (s, v)
    }

    /// The length of the array `key` of a public GET's answer, which must be 200.
    async fn count(&self, path: &str, key: &str) -> usize {
        let (s, v) = self.get(path, None).await;
        assert_eq!(s, 200, "{path}: {v}");
        v[key].as_array().unwrap().len()
    }

    async fn post(&self, path: &str, who: Option<&str>, body: Value) -> (u16, Value) {
        let (s, v, _) = self
            .send(reqwest::Method::POST, path, who, Some(body))
            .await;
        (s, v)
    }
}

/// A water cut of `unit` over a clockwise square in Kuzguncuk, tomorrow for six hours.
fn water_cut(unit: &str) -> Value {
    json!({
        "unit": unit,
        "title": "Şebeke bakımı nedeniyle su kesintisi",
        "kind": "water-cut",
        "area": {"type": "Polygon", "coordinates": [[[29.002, 41.002], [29.002, 41.004],
            [29.004, 41.004], [29.004, 41.002], [29.002, 41.002]]]},
        "starts_at": "2025-03-15T09:00:00+03:00",
        "ends_at": "2025-03-15T15:00:00+03:00",
        "contact": "Alo 185",
    })
}

/// Twice the signed area of a ring (shoelace): positive when counterclockwise.
fn signed_area(ring: &[Value]) -> f64 {
    ring.windows(2)
        .map(|w| {
            let (a, b) = (&w[0], &w[1]);
            a[0].as_f64().unwrap() * b[1].as_f64().unwrap()
                - b[0].as_f64().unwrap() * a[1].as_f64().unwrap()
        })
        .sum()
}

/// Checks a position is `[lon, lat]` inside Turkey (longitudes 25.5–45, latitudes
/// 35.7–42.2 do not overlap, so a swapped pair fails).
fn check_position(p: &Value) {
    let p = p.as_array().unwrap();
    assert_eq!(p.len(), 2, "{p:?}");
    let (lon, lat) = (p[0].as_f64().unwrap(), p[1].as_f64().unwrap());
    assert!(
        (25.5..=45.0).contains(&lon) && (35.7..=42.2).contains(&lat),
        "{p:?}"
    );
}

/// RFC 7946 §3.1: the geometry types works use, positions `[lon, lat]`, polygon rings
/// closed with at least four positions, exterior rings counterclockwise, holes clockwise.
fn check_geometry(g: &Value) {
    let polygon = |rings: &Value| {
        for (i, ring) in rings.as_array().unwrap().iter().enumerate() {
            let ring = ring.as_array().unwrap();
            assert!(ring.len() >= 4, "{ring:?}");
            assert_eq!(ring.first(), ring.last(), "closed");
            ring.iter().for_each(check_position);
            let a = signed_area(ring);
            assert!(if i == 0 { a > 0.0 } else { a < 0.0 }, "ring {i}: {a}");
        }
    };
    let c = &g["coordinates"];
    match g["type"].as_str().unwrap() {
        "Point" => check_position(c),
        "LineString" => c.as_array().unwrap().iter().for_each(check_position),
        "Polygon" => polygon(c),
        "MultiPolygon" => c.as_array().unwrap().iter().for_each(polygon),
        other => panic!("unexpected geometry {other}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_unit_publishes_changes_and_closes_a_work_and_anyone_reads_it() {
    let (base, store) = server(&[TENANT]).await;
    let c = Call::new(&base);
    let (s, w, h) = c
        .send(
            reqwest::Method::POST,
            "/api/v1/works",
            Some("unit:fen-isleri"),
            Some(water_cut("fen-isleri")),
        )
        .await;
    assert_eq!(s, 201, "{w}");
    let id = w["id"].as_str().unwrap().to_owned();
    assert_eq!(h["location"], format!("/api/v1/works/{id}").as_str());
    assert_eq!(w["muhtarliklar"], json!(["kuzguncuk"]));
    assert_eq!(w["muhtarlik_names"], json!(["Kuzguncuk Mahallesi"]));
    assert_eq!(
        (w["kind"].as_str(), w["kind_name"].as_str()),
        (Some("water-cut"), Some("Su kesintisi"))
    );
    assert_eq!(w["unit_name"], "Fen İşleri Müdürlüğü");
    assert_eq!(w["starts_at"], "2025-03-15T09:00:00+03:00");
    assert_eq!(
        (w["status"].as_str(), w["version"].as_u64()),
        (Some("planned"), Some(1))
    );
    assert!(w.get("created_by").is_none(), "{w}");
    // Given clockwise, written counterclockwise.
    check_geometry(&w["area"]);
    // Kuzguncuk's muhtar heard of it.
    let sent = store.outbox(&fixtures::tenant(TENANT), None).await.unwrap();
    assert!(sent
        .iter()
        .any(|e| e.message.kind.as_str() == "work-published"
            && e.message.recipient == "ali.demir@muhtar.example"));

    // Read without a token (the server's only tenant), with one, by id.
    for who in [None, Some("muhtar:kuzguncuk"), Some("unit:park-bahce")] {
        let (s, list) = c.get("/api/v1/works", who).await;
        assert_eq!(s, 200, "{list}");
        assert_eq!(list["works"][0]["id"], id.as_str());
        let (s, one) = c.get(&format!("/api/v1/works/{id}"), who).await;
        assert_eq!((s, &one["title"]), (200, &w["title"]));
    }
    let (s, _) = c
        .get(&format!("/api/v1/works/{id}?tenant={TENANT}"), None)
        .await;
    assert_eq!(s, 200);
    // Each filter keeps the work or leaves it out.
    for (q, n) in [
        ("bbox=29.1,41.1,29.2,41.2", 0),
        ("status=closed", 0),
        ("muhtarlik=cengelkoy", 0),
        ("unit=park-bahce", 0),
        ("active_from=2025-04-01T00:00:00Z", 0),
        ("bbox=29.0,41.0,29.003,41.003", 1),
        ("status=planned,ongoing", 1),
        ("muhtarlik=kuzguncuk", 1),
        ("unit=belediye", 1),
        ("active_until=2025-03-15T07:00:00Z&limit=1", 1),
    ] {
        assert_eq!(
            c.count(&format!("/api/v1/works?{q}"), "works").await,
            n,
            "{q}"
        );
    }

    // Changed (PATCH and POST), with the version expected.
    let (s, v2, _) = c
        .send(
            reqwest::Method::PATCH,
            &format!("/api/v1/works/{id}"),
            Some("unit:fen-isleri"),
            Some(json!({"expected_version": 1, "ends_at": "2025-03-15T18:00:00+03:00", "status": "ongoing"})),
        )
        .await;
    assert_eq!(s, 200, "{v2}");
    assert_eq!(
        (v2["version"].as_u64(), v2["status"].as_str()),
        (Some(2), Some("ongoing"))
    );
    assert_eq!(v2["ends_at"], "2025-03-15T18:00:00+03:00");
    let (s, e) = c
        .post(
            &format!("/api/v1/works/{id}"),
            Some("coordinator"),
            json!({"expected_version": 1, "title": "Yeni"}),
        )
        .await;
    assert_eq!(
        (s, e["error"]["code"].as_str()),
        (409, Some("conflict")),
        "{e}"
    );
    let (s, v3) = c
        .post(
            &format!("/api/v1/works/{id}"),
            Some("coordinator"),
            json!({"title": "Yeni başlık"}),
        )
        .await;
    assert_eq!((s, v3["version"].as_u64()), (200, Some(3)), "{v3}");
    // Another unit may not; a muhtar may not.
    for who in ["unit:park-bahce", "muhtar:kuzguncuk"] {
        let (s, _) = c
            .post(
                &format!("/api/v1/works/{id}"),
                Some(who),
                json!({"title": "x"}),
            )
            .await;
        assert_eq!(s, 403, "{who}");
        let (s, _) = c
            .post(&format!("/api/v1/works/{id}/close"), Some(who), json!({}))
            .await;
        assert_eq!(s, 403, "{who}");
    }
    // Closed, once: the second closing is refused.
    let close = format!("/api/v1/works/{id}/close");
    let (s, closed) = c.post(&close, Some("unit:fen-isleri"), json!({})).await;
    assert_eq!(
        (s, closed["status"].as_str()),
        (200, Some("closed")),
        "{closed}"
    );
    let (s, e) = c.post(&close, Some("unit:fen-isleri"), json!({})).await;
    assert_eq!(
        (s, e["error"]["code"].as_str()),
        (409, Some("lifecycle")),
        "{e}"
    );
    let kinds: Vec<String> = store
        .outbox(&fixtures::tenant(TENANT), None)
        .await
        .unwrap()
        .iter()
        .map(|e| e.message.kind.as_str().to_owned())
        .collect();
    for k in ["work-published", "work-changed", "work-closed"] {
        assert!(kinds.iter().any(|x| x == k), "{k}: {kinds:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_is_refused_naming_the_field_and_writes_nothing() {
    let (base, _) = server(&[TENANT]).await;
    let c = Call::new(&base);
    let with = |field: &str, value: Value| {
        let mut b = water_cut("fen-isleri");
        b[field] = value;
        b
    };
    let mut no_title = water_cut("fen-isleri");
    no_title.as_object_mut().unwrap().remove("title");
    for (body, field) in [
        (
            with(
                "area",
                json!({"type": "Point", "coordinates": [2.35, 48.85]}),
            ),
            "area",
        ),
        (
            with(
                "area",
                json!({"type": "Point", "coordinates": [41.0, 29.0]}),
            ),
            "area",
        ),
        (
            with(
                "area",
                json!({"type": "MultiPoint", "coordinates": [[29.0, 41.0]]}),
            ),
            "area",
        ),
        (with("area", json!("kuzguncuk")), "area"),
        (with("title", json!("  ")), "title"),
        (no_title, "title"),
        (with("kind", json!("picnic")), "kind"),
        (
            with("ends_at", json!("2025-03-15T08:00:00+03:00")),
            "ends_at",
        ),
        (with("starts_at", json!("yarın")), "starts_at"),
        (with("unit", json!("yok")), "unit"),
        (with("status", json!("closed")), "status"),
    ] {
        let (s, e) = c
            .post("/api/v1/works", Some("coordinator"), body.clone())
            .await;
        assert_eq!(s, 422, "{body}: {e}");
        assert_eq!(e["error"]["field"], field, "{body}: {e}");
    }
    let (s, _) = c.post("/api/v1/works", None, water_cut("fen-isleri")).await;
    assert_eq!(s, 401);
    let (s, e) = c
        .post(
            "/api/v1/works",
            Some("muhtar:kuzguncuk"),
            water_cut("fen-isleri"),
        )
        .await;
    assert_eq!(s, 403, "{e}");
    let (s, e) = c
        .post(
            "/api/v1/works",
            Some("unit:park-bahce"),
            water_cut("fen-isleri"),
        )
        .await;
    assert_eq!(s, 403, "{e}");
    for (path, field) in [
        ("/api/v1/works?bbox=29,41,28,42", "bbox"),
        ("/api/v1/works?bbox=a,b", "bbox"),
        ("/api/v1/works?status=done", "status"),
        ("/api/v1/works?unit=yok", "unit"),
        ("/api/v1/works?limit=0", "limit"),
        ("/api/v1/map/works.geojson?limit=10001", "limit"),
    ] {
        let (s, e) = c.get(path, None).await;
        assert_eq!(
            (s, e["error"]["field"].as_str()),
            (422, Some(field)),
            "{path}: {e}"
        );
    }
    let (s, _) = c.get("/api/v1/works?foo=1", None).await;
    assert_eq!(s, 400);
    for path in [
        "/api/v1/works/nope",
        "/api/v1/works/00000000-0000-0000-0000-000000000000",
    ] {
        let (s, _) = c.get(path, None).await;
        assert_eq!(s, 404, "{path}");
    }
    let (s, _) = c.get("/api/v1/works?tenant=baska", None).await;
    assert_eq!(s, 404);
    let (s, list) = c.get("/api/v1/works", None).await;
    assert_eq!((s, list["works"].as_array().unwrap().len()), (200, 0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_coordinator_lists_the_clashes() {
    let (base, _) = server(&[TENANT]).await;
    let c = Call::new(&base);
    let (s, a) = c
        .post(
            "/api/v1/works",
            Some("unit:fen-isleri"),
            water_cut("fen-isleri"),
        )
        .await;
    assert_eq!(s, 201, "{a}");
    let mut event = water_cut("park-bahce");
    event["kind"] = json!("event");
    event["area"] = json!({"type": "Point", "coordinates": [29.003, 41.003]});
    let (s, b) = c
        .post("/api/v1/works", Some("unit:park-bahce"), event)
        .await;
    assert_eq!(s, 201, "{b}");
    let (s, clashes) = c.get("/api/v1/works/clashes", Some("coordinator")).await;
    assert_eq!(s, 200, "{clashes}");
    let clashes = clashes.as_array().unwrap();
    assert_eq!(clashes.len(), 1);
    let ids = [
        clashes[0]["first"]["id"].as_str().unwrap(),
        clashes[0]["second"]["id"].as_str().unwrap(),
    ];
    assert!(ids.contains(&a["id"].as_str().unwrap()) && ids.contains(&b["id"].as_str().unwrap()));
    assert_eq!(clashes[0]["from"], "2025-03-15T09:00:00+03:00");
    assert_eq!(clashes[0]["until"], "2025-03-15T15:00:00+03:00");
    for who in [Some("unit:fen-isleri"), Some("muhtar:kuzguncuk")] {
        let (s, _) = c.get("/api/v1/works/clashes", who).await;
        assert_eq!(s, 403);
    }
    let (s, _) = c.get("/api/v1/works/clashes", None).await;
    assert_eq!(s, 401);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_geojson_layer_is_rfc_7946_public_and_filtered() {
    let (base, _) = server(&[TENANT]).await;
    let c = Call::new(&base);
    let mut line = water_cut("fen-isleri");
    line["kind"] = json!("excavation");
    line["area"] =
        json!({"type": "LineString", "coordinates": [[29.001, 41.001], [29.015, 41.005]]});
    let mut multi = water_cut("park-bahce");
    multi["area"] = json!({"type": "MultiPolygon", "coordinates": [
        [[[29.012, 41.002], [29.012, 41.004], [29.014, 41.004], [29.014, 41.002], [29.012, 41.002]]],
        [[[29.016, 41.002], [29.018, 41.002], [29.018, 41.004], [29.016, 41.004], [29.016, 41.002]]]]});
    let mut point = water_cut("park-bahce");
    point["area"] = json!({"type": "Point", "coordinates": [29.005, 41.005]});
    for (who, body) in [
        ("unit:fen-isleri", water_cut("fen-isleri")),
        ("unit:fen-isleri", line),
        ("unit:park-bahce", multi),
        ("unit:park-bahce", point),
    ] {
        let (s, w) = c.post("/api/v1/works", Some(who), body).await;
        assert_eq!(s, 201, "{w}");
    }
    let r =
        c.c.get(format!("{base}/api/v1/map/works.geojson"))
            .send()
            .await
            .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "application/geo+json");
    let fc: Value = r.json().await.unwrap();
    assert_eq!(fc["type"], "FeatureCollection");
    let features = fc["features"].as_array().unwrap();
    assert_eq!(features.len(), 4);
    let mut types = Vec::new();
    for f in features {
        assert_eq!(f["type"], "Feature");
        assert_eq!(f["id"], f["properties"]["id"]);
        check_geometry(&f["geometry"]);
        types.push(f["geometry"]["type"].as_str().unwrap().to_owned());
        let p = f["properties"].as_object().unwrap();
        let mut keys: Vec<&str> = p.keys().map(String::as_str).collect();
        keys.sort_unstable();
        assert_eq!(
            keys,
            [
                "contact",
                "ends_at",
                "id",
                "kind",
                "kind_name",
                "muhtarlik_names",
                "muhtarliklar",
                "starts_at",
                "status",
                "status_name",
                "title",
                "unit",
                "unit_name"
            ]
        );
    }
    types.sort();
    assert_eq!(types, ["LineString", "MultiPolygon", "Point", "Polygon"]);
    // The line crosses into Çengelköy: both muhtarlıklar.
    let line = features
        .iter()
        .find(|f| f["geometry"]["type"] == "LineString")
        .unwrap();
    assert_eq!(
        line["properties"]["muhtarliklar"],
        json!(["cengelkoy", "kuzguncuk"])
    );
    assert_eq!(line["geometry"]["coordinates"][0], json!([29.001, 41.001]));
    // The filters of the listing.
    for (q, n) in [
        ("bbox=29.011,41.0,29.02,41.01", 2),
        ("muhtarlik=cengelkoy", 2),
        ("unit=park-bahce", 2),
        ("status=closed", 0),
        ("bbox=29.0045,41.0045,29.0055,41.0055", 2),
    ] {
        let path = format!("/api/v1/map/works.geojson?{q}");
        assert_eq!(c.count(&path, "features").await, n, "{q}");
    }
    // With a token: the same layer.
    let (s, fc) = c
        .get("/api/v1/map/works.geojson", Some("muhtar:kuzguncuk"))
        .await;
    assert_eq!((s, fc["features"].as_array().unwrap().len()), (200, 4));
    // A bad token is refused, not read as the public.
    let r =
        c.c.get(format!("{base}/api/v1/map/works.geojson"))
            .bearer_auth("mbs_wrong")
            .send()
            .await
            .unwrap();
    assert_eq!(r.status(), 401);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_several_tenants_a_public_reader_names_one() {
    let (base, _) = server(&[TENANT, "baska"]).await;
    let c = Call::new(&base);
    let (s, _) = c
        .post(
            "/api/v1/works",
            Some("unit:fen-isleri"),
            water_cut("fen-isleri"),
        )
        .await;
    assert_eq!(s, 201);
    let (s, e) = c.get("/api/v1/map/works.geojson", None).await;
    assert_eq!(
        (s, e["error"]["field"].as_str()),
        (400, Some("tenant")),
        "{e}"
    );
    let (s, fc) = c
        .get(&format!("/api/v1/map/works.geojson?tenant={TENANT}"), None)
        .await;
    assert_eq!((s, fc["features"].as_array().unwrap().len()), (200, 1));
    let (s, fc) = c.get("/api/v1/map/works.geojson?tenant=baska", None).await;
    assert_eq!((s, fc["features"].as_array().unwrap().len()), (200, 0));
    // A token reads its own tenant; naming another is refused at the parameter.
    let (s, e) = c
        .get("/api/v1/works?tenant=baska", Some("coordinator"))
        .await;
    assert_eq!(
        (s, e["error"]["field"].as_str()),
        (422, Some("tenant")),
        "{e}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_openapi_document_lists_the_works_routes() {
    let (base, _) = server(&[TENANT]).await;
    let (s, doc) = Call::new(&base).get("/api/v1/openapi.json", None).await;
    assert_eq!(s, 200);
    let paths = doc["paths"].as_object().unwrap();
    for p in [
        "/works",
        "/works/{id}",
        "/works/{id}/close",
        "/works/clashes",
        "/map/works.geojson",
    ] {
        assert!(paths.contains_key(p), "{p}");
    }
    assert!(paths["/works"]["post"].is_object() && paths["/works"]["get"].is_object());
    assert!(paths["/works/{id}"]["patch"].is_object());
    assert!(
        paths["/map/works.geojson"]["get"]["responses"]["200"]["content"]
            .get("application/geo+json")
            .is_some(),
        "{}",
        paths["/map/works.geojson"]
    );
}
