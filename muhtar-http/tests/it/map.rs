//! The map endpoints over real HTTP on an SQLite file (`GET /api/v1/map/requests.geojson`,
//! `GET /api/v1/map/muhtarliklar.geojson`): every answer is checked against RFC 7946
//! (`muhtar_core::map::rfc7946::check`); filters, boxes, each role's scope, the public
//! view without personal data, `[lon, lat]` order, the counts per muhtarlık.

use std::collections::BTreeSet;
use std::sync::Arc;

use chrono::Duration;
use muhtar_core::access::Actor;
use muhtar_core::clock::{Clock, ManualClock};
use muhtar_core::ids::SeededRandom;
use muhtar_core::map::features::REQUEST_PROPERTIES;
use muhtar_core::map::{rfc7946, Shape};
use muhtar_core::request::{CitizenContact, Location, Priority};
use muhtar_core::service::Mbs;
use muhtar_core::store::Store;
use muhtar_core::testkit::fixtures;
use muhtar_core::token::{hash_secret, ApiToken};
use muhtar_http::{router, AppState};
use muhtar_store_sqlite::{SqliteOptions, SqliteStore};
use serde_json::Value;

use crate::mount::serve;

const TENANT: &str = "harita";

/// The citizen's contact and the free texts: none of it may reach a map.
const PERSONAL: [&str; 5] = [
    "Zeynep Gizlioğlu",
    "0532 999 88 77",
    "zeynep@gizli.example",
    "Konu: kapının önü",
    "Ayrıntı: Zeynep Hanım'ın evi",
];

/// A request of the world: muhtarlık, category, where, İVEDİ.
struct Req {
    muhtarlik: &'static str,
    category: &'static str,
    at: Option<(f64, f64)>,
    urgent: bool,
}

const REQUESTS: [Req; 6] = [
    // Kuzguncuk's road repair at lat 41.02, lon 29.05: `[29.05, 41.02]` in GeoJSON.
    Req {
        muhtarlik: "kuzguncuk",
        category: "asfalt-onarim",
        at: Some((29.05, 41.02)),
        urgent: true,
    },
    Req {
        muhtarlik: "kuzguncuk",
        category: "budama",
        at: Some((29.04, 41.03)),
        urgent: false,
    },
    Req {
        muhtarlik: "kuzguncuk",
        category: "cop",
        at: None,
        urgent: false,
    },
    Req {
        muhtarlik: "cengelkoy",
        category: "budama",
        at: Some((29.06, 41.06)),
        urgent: false,
    },
    Req {
        muhtarlik: "cengelkoy",
        category: "cop",
        at: Some((29.07, 41.07)),
        urgent: false,
    },
    Req {
        muhtarlik: "beylerbeyi",
        category: "asfalt-onarim",
        at: Some((29.045, 41.045)),
        urgent: false,
    },
];

const PARK_RULES: &str = "version = \"park\"\n\n[[rule]]\nname = \"budama-parka\"\n\
                          category = \"budama\"\ntarget = \"park-bahce\"\n";

/// A server on an SQLite file: the fixture organisation with boundaries for Kuzguncuk
/// (counterclockwise) and Çengelköy (written clockwise), pruning routed to Park ve
/// Bahçeler, the requests of [`REQUESTS`] (each with a citizen's contact), tokens per role.
struct World {
    base: String,
    clock: Arc<ManualClock>,
    /// Tracking numbers, in the order of [`REQUESTS`].
    tracking: Vec<String>,
    http: reqwest::Client,
    _dir: tempfile::TempDir,
}

/// A rectangle as the organisation's boundaries file gives it (GeoJSON), its ring
/// counterclockwise or not.
fn square(w: f64, s: f64, e: f64, n: f64, ccw: bool) -> Shape {
    let mut ring = vec![[w, s], [e, s], [e, n], [w, n], [w, s]];
    if !ccw {
        ring.reverse();
    }
    serde_json::from_value(serde_json::json!({"type": "Polygon", "coordinates": [ring]})).unwrap()
}

impl World {
    async fn new() -> World {
        Self::build(None, false).await
    }

    /// With the tenant's settings, and with a second tenant on the server.
    async fn build(settings: Option<&str>, second_tenant: bool) -> World {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(dir.path().join("harita.db"), SqliteOptions::default())
            .await
            .unwrap();
        store.migrate().await.unwrap();
        let store: Arc<dyn Store> = Arc::new(store);
        let clock = Arc::new(ManualClock::new(fixtures::t0()));
        let dyn_clock: Arc<dyn Clock> = clock.clone();
        let mbs = Mbs::new(store.clone(), dyn_clock, SeededRandom::new(22));
        let mut org = fixtures::organisation(TENANT);
        org.boundaries.0.insert(
            "kuzguncuk".parse().unwrap(),
            square(29.03, 41.01, 29.055, 41.04, true),
        );
        org.boundaries.0.insert(
            "cengelkoy".parse().unwrap(),
            square(29.055, 41.05, 29.08, 41.08, false),
        );
        let t = org.tenant.id.clone();
        mbs.install_organisation(&Actor::system(t.clone()), org)
            .await
            .unwrap();
        let admin = Actor::parse(&t, "admin").unwrap();
        mbs.install_rules(&admin, PARK_RULES).await.unwrap();
        if let Some(s) = settings {
            mbs.install_settings(&admin, s).await.unwrap();
        }
        if second_tenant {
            let other = fixtures::organisation("ikinci");
            mbs.install_organisation(&Actor::system(other.tenant.id.clone()), other)
                .await
                .unwrap();
        }
        let mut tracking = Vec::new();
        for r in &REQUESTS {
            let muhtar = Actor::parse(&t, &format!("muhtar:{}", r.muhtarlik)).unwrap();
            let new = fixtures::request_builder(r.muhtarlik)
                .category(r.category)
                .subject(PERSONAL[3])
                .description(PERSONAL[4])
                .citizen(CitizenContact {
                    name: PERSONAL[0].into(),
                    phone: Some(PERSONAL[1].into()),
                    email: Some(PERSONAL[2].into()),
                })
                .location(r.at.map(|(lon, lat)| Location { lon, lat }))
                .priority(r.urgent.then_some(Priority::Urgent))
                .build();
            let rec = mbs.submit(&muhtar, new).await.unwrap();
            tracking.push(rec.state.tracking.to_string());
        }
        for (i, actor) in [
            "muhtar:kuzguncuk",
            "unit:park-bahce",
            "coordinator",
            "auditor",
        ]
        .into_iter()
        .enumerate()
        {
            store
                .create_token(&ApiToken {
                    id: uuid::Uuid::from_u128(i as u128 + 1),
                    tenant: t.clone(),
                    actor: actor.into(),
                    name: "harita".into(),
                    hash: hash_secret(&format!("mbs_{actor}")),
                    created_at: fixtures::t0(),
                    revoked_at: None,
                })
                .await
                .unwrap();
        }
        let state = AppState::builder(mbs).uploads(dir.path()).build();
        World {
            base: serve(router(state)).await,
            clock,
            tracking,
            http: reqwest::Client::new(),
            _dir: dir,
        }
    }

    /// GET `path` as `who` (`None`: no token): status, content type, body.
    async fn get(&self, path: &str, who: Option<&str>) -> (u16, String, Value) {
        let mut r = self.http.get(format!("{}/api/v1/map/{path}", self.base));
        if let Some(w) = who {
            r = r.bearer_auth(format!("mbs_{w}"));
        }
        let r = r.send().await.unwrap();
        let status = r.status().as_u16();
        let ctype = r
            .headers()
            .get("content-type")
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default();
        let text = r.text().await.unwrap();
        (
            status,
            ctype,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    /// The document at `path` for `who`, checked: 200, GeoJSON, RFC 7946.
    async fn geojson(&self, path: &str, who: Option<&str>) -> Value {
        let (s, ctype, doc) = self.get(path, who).await;
        assert_eq!(s, 200, "{path} as {who:?}: {doc}");
        assert_eq!(ctype, "application/geo+json", "{path}");
        assert_eq!(rfc7946::check(&doc), Ok(()), "{path}: {doc}");
        doc
    }

    /// The indexes into [`REQUESTS`] of the features of `requests.geojson?{query}`.
    async fn which(&self, query: &str, who: Option<&str>) -> BTreeSet<usize> {
        let doc = self
            .geojson(&format!("requests.geojson?{query}"), who)
            .await;
        doc["features"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| {
                let t = f["properties"]["tracking"].as_str().unwrap();
                assert_eq!(f["id"], t);
                self.tracking.iter().position(|x| x == t).unwrap()
            })
            .collect()
    }
}

fn set(v: &[usize]) -> BTreeSet<usize> {
    v.iter().copied().collect()
}

/// Every located request as an RFC 7946 point, longitude first: the request at lat 41.02,
/// lon 29.05 is `[29.05, 41.02]`; İVEDİ first; its deadline in Istanbul time.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_are_rfc7946_points_longitude_first() {
    let w = World::new().await;
    let doc = w.geojson("requests.geojson", Some("coordinator")).await;
    assert_eq!(doc["type"], "FeatureCollection");
    assert_eq!(doc["truncated"], false);
    let features = doc["features"].as_array().unwrap();
    assert_eq!(
        features.len(),
        5,
        "the request without a location is no point"
    );
    let first = &features[0];
    assert_eq!(first["properties"]["tracking"], w.tracking[0].as_str());
    assert_eq!(
        first["geometry"],
        serde_json::json!({"type": "Point", "coordinates": [29.05, 41.02]})
    );
    let p = &first["properties"];
    assert_eq!(p["ivedi"], true);
    assert_eq!(p["category"], "asfalt-onarim");
    assert_eq!(p["category_name"], "Asfalt onarımı");
    assert_eq!(p["status"], "routed");
    assert_eq!(p["status_name"], "birime iletildi");
    assert_eq!(p["muhtarlik_name"], "Kuzguncuk Mahallesi");
    assert!(p["unit_name"].as_str().is_some_and(|n| !n.is_empty()));
    assert!(p["deadline"].as_str().unwrap().ends_with("+03:00"), "{p}");
    assert_eq!(
        p["deadline_text"].as_str().unwrap().len(),
        "2025-03-28 17:30".len()
    );
    assert_eq!(p["overdue"], false);
}

/// The list's filters and the box narrow the points as they narrow a listing; a bad box
/// is a 400 naming `bbox` and the form expected; bad filters are refused by name.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn filters_and_boxes_narrow_the_points() {
    let w = World::new().await;
    let c = Some("coordinator");
    assert_eq!(w.which("", c).await, set(&[0, 1, 3, 4, 5]));
    assert_eq!(w.which("category=budama", c).await, set(&[1, 3]));
    assert_eq!(w.which("unit=park-bahce", c).await, set(&[1, 3]));
    assert_eq!(w.which("muhtarlik=cengelkoy", c).await, set(&[3, 4]));
    assert_eq!(w.which("status=open", c).await, set(&[0, 1, 3, 4, 5]));
    assert_eq!(w.which("status=answered,closed", c).await, set(&[]));
    assert_eq!(w.which("period=2025Q1", c).await, set(&[0, 1, 3, 4, 5]));
    assert_eq!(w.which("period=2024", c).await, set(&[]));
    assert_eq!(w.which("overdue=true", c).await, set(&[]));
    // Edges included; a box around Kuzguncuk's two points, one on its edge.
    assert_eq!(
        w.which("bbox=29.04,41.02,29.05,41.03", c).await,
        set(&[0, 1])
    );
    assert_eq!(w.which("bbox=29.05,41.02,29.05,41.02", c).await, set(&[0]));
    assert_eq!(w.which("bbox=28,40,28.5,40.5", c).await, set(&[]));
    assert_eq!(
        w.which(
            "bbox=29,41,29.1,41.1&category=budama&muhtarlik=kuzguncuk",
            c
        )
        .await,
        set(&[1])
    );
    // [lat, lon] by mistake finds nothing here (41.02 is no longitude of these points).
    assert_eq!(w.which("bbox=41,29,41.1,29.1", c).await, set(&[]));
    let one = w.geojson("requests.geojson?limit=1", c).await;
    assert_eq!(one["features"].as_array().unwrap().len(), 1);
    assert_eq!(one["truncated"], true);
    assert_eq!(
        one["features"][0]["properties"]["tracking"],
        w.tracking[0].as_str()
    );

    // A month later everything open is overdue.
    w.clock.advance(Duration::days(60));
    assert_eq!(w.which("overdue=true", c).await, set(&[0, 1, 3, 4, 5]));
    let doc = w.geojson("requests.geojson", c).await;
    assert!(doc["features"]
        .as_array()
        .unwrap()
        .iter()
        .all(|f| f["properties"]["overdue"] == true));

    for bad in [
        "1,2,3",
        "a,b,c,d",
        "29.1,41,29.0,41.1",
        "200,41,201,42",
        "29,41,29.1,41.1,5",
        "",
    ] {
        let (s, _, e) = w.get(&format!("requests.geojson?bbox={bad}"), c).await;
        assert_eq!(s, 400, "bbox={bad}: {e}");
        assert_eq!(e["error"]["field"], "bbox", "{e}");
        assert!(
            e["error"]["message"]
                .as_str()
                .unwrap()
                .contains("minlon,minlat,maxlon,maxlat"),
            "{e}"
        );
    }
    for (query, field) in [
        ("status=lost", "status"),
        ("unit=yok", "unit"),
        ("muhtarlik=Bad%20Code", "muhtarlik"),
        ("period=2025Q5", "period"),
        ("limit=0", "limit"),
        ("limit=100001", "limit"),
        ("overdue=maybe", "overdue"),
        ("colour=red", ""),
    ] {
        let (s, _, e) = w.get(&format!("requests.geojson?{query}"), c).await;
        assert!(s == 400 || s == 422, "{query}: {s} {e}");
        if !field.is_empty() {
            assert_eq!(e["error"]["field"], field, "{query}: {e}");
        }
    }
}

/// Each role's scope, as in the request list: a muhtar their muhtarlık (another one's
/// filter gives nothing), unit staff their units, the back office everything, the public
/// (no token) every located request without İVEDİ; a bad token is a 401.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_role_sees_its_scope() {
    let w = World::new().await;
    assert_eq!(w.which("", Some("muhtar:kuzguncuk")).await, set(&[0, 1]));
    assert_eq!(
        w.which("muhtarlik=cengelkoy", Some("muhtar:kuzguncuk"))
            .await,
        set(&[])
    );
    assert_eq!(w.which("", Some("unit:park-bahce")).await, set(&[1, 3]));
    assert_eq!(
        w.which("category=cop", Some("unit:park-bahce")).await,
        set(&[])
    );
    assert_eq!(w.which("", Some("auditor")).await, set(&[0, 1, 3, 4, 5]));
    assert_eq!(w.which("", None).await, set(&[0, 1, 3, 4, 5]));
    assert_eq!(
        w.which("tenant=harita&muhtarlik=kuzguncuk", None).await,
        set(&[0, 1])
    );
    let staff = w.geojson("requests.geojson", Some("auditor")).await;
    let public = w.geojson("requests.geojson", None).await;
    assert!(staff["features"][0]["properties"].get("ivedi").is_some());
    assert!(public["features"]
        .as_array()
        .unwrap()
        .iter()
        .all(|f| f["properties"].get("ivedi").is_none()));
    for path in ["requests.geojson", "muhtarliklar.geojson"] {
        let (s, _, _) = w.get(path, Some("not-a-token")).await;
        assert_eq!(s, 401, "{path}");
    }
    let (s, _, e) = w
        .get("requests.geojson?tenant=baska", Some("coordinator"))
        .await;
    assert_eq!(
        (s, e["error"]["field"].as_str()),
        (422, Some("tenant")),
        "{e}"
    );
    let (s, _, _) = w.get("requests.geojson?tenant=yok-boyle", None).await;
    assert_eq!(s, 404);
}

/// No answer carries personal data: not the citizen's contact, the subject or the
/// description, whoever asks; the properties are the fixed list.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_map_holds_no_personal_data() {
    let w = World::new().await;
    let allowed: BTreeSet<&str> = REQUEST_PROPERTIES.into();
    for who in [None, Some("coordinator"), Some("muhtar:kuzguncuk")] {
        for path in ["requests.geojson", "muhtarliklar.geojson"] {
            let doc = w.geojson(path, who).await;
            let text = doc.to_string();
            for p in PERSONAL {
                assert!(!text.contains(p), "{path} as {who:?} holds {p:?}");
            }
            if path == "requests.geojson" {
                for f in doc["features"].as_array().unwrap() {
                    let keys = f["properties"].as_object().unwrap().keys();
                    assert!(keys.clone().all(|k| allowed.contains(k.as_str())), "{f}");
                }
            }
        }
    }
}

/// The muhtarlıklar with a boundary, each with its open and overdue requests (the one
/// without a location counted too), rings by the right-hand rule even where the
/// organisation wrote one clockwise; a muhtar gets their own, unit staff their units'
/// counts; the counts follow the clock.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn muhtarliklar_come_with_their_counts() {
    let w = World::new().await;
    let counts = |doc: &Value| -> Vec<(String, u64, u64)> {
        doc["features"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| {
                let p = &f["properties"];
                assert_eq!(f["id"], p["code"]);
                (
                    p["code"].as_str().unwrap().to_owned(),
                    p["open"].as_u64().unwrap(),
                    p["overdue"].as_u64().unwrap(),
                )
            })
            .collect()
    };
    let public = w.geojson("muhtarliklar.geojson", None).await;
    // Beylerbeyi has no boundary: no feature.
    assert_eq!(
        counts(&public),
        vec![("kuzguncuk".into(), 3, 0), ("cengelkoy".into(), 2, 0)]
    );
    let k = &public["features"][0];
    assert_eq!(k["properties"]["name"], "Kuzguncuk Mahallesi");
    assert_eq!(k["properties"]["district"], "Üsküdar");
    assert_eq!(k["geometry"]["type"], "Polygon");
    assert_eq!(
        k["geometry"]["coordinates"][0][0],
        serde_json::json!([29.03, 41.01])
    );
    assert_eq!(
        counts(
            &w.geojson("muhtarliklar.geojson", Some("muhtar:kuzguncuk"))
                .await
        ),
        vec![("kuzguncuk".into(), 3, 0)]
    );
    assert_eq!(
        counts(
            &w.geojson("muhtarliklar.geojson", Some("unit:park-bahce"))
                .await
        ),
        vec![("kuzguncuk".into(), 1, 0), ("cengelkoy".into(), 1, 0)]
    );
    w.clock.advance(Duration::days(60));
    assert_eq!(
        counts(&w.geojson("muhtarliklar.geojson?tenant=harita", None).await),
        vec![("kuzguncuk".into(), 3, 3), ("cengelkoy".into(), 2, 2)]
    );
}

/// A tenant that keeps its reads private (`[open311] private_reads`) gives its map to
/// token holders only.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn private_reads_need_a_token() {
    let w = World::build(Some("[open311]\nprivate_reads = true\n"), false).await;
    for path in ["requests.geojson", "muhtarliklar.geojson"] {
        let (s, _, e) = w.get(path, None).await;
        assert_eq!(s, 401, "{path}: {e}");
        w.geojson(path, Some("coordinator")).await;
    }
}

/// Without a token on a server of several tenants, `tenant` names the one to read (a 400
/// naming it when it is missing); each tenant's map holds its own requests only.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_public_call_names_its_tenant_when_there_are_several() {
    let w = World::build(None, true).await;
    for path in ["requests.geojson", "muhtarliklar.geojson"] {
        let (s, _, e) = w.get(path, None).await;
        assert_eq!(
            (s, e["error"]["field"].as_str()),
            (400, Some("tenant")),
            "{e}"
        );
    }
    assert_eq!(w.which("tenant=harita", None).await, set(&[0, 1, 3, 4, 5]));
    let other = w.geojson("requests.geojson?tenant=ikinci", None).await;
    assert!(other["features"].as_array().unwrap().is_empty());
    let other = w.geojson("muhtarliklar.geojson?tenant=ikinci", None).await;
    assert!(other["features"].as_array().unwrap().is_empty());
}
