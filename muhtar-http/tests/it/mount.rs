//! The router as a portal uses it, in process over real HTTP: mounted under a prefix
//! (every URL it emits carries the prefix), with the host's own authenticator, and with
//! and without the limit on failed authentications.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use muhtar_core::access::Actor;
use muhtar_core::clock::{Clock, ManualClock};
use muhtar_core::service::Mbs;
use muhtar_core::store::Store;
use muhtar_core::testkit::{fixtures, MemoryStore};
use muhtar_core::token::{hash_secret, ApiToken};
use muhtar_http::auth::{
    AuthError, Authenticator, Credentials, FailedAuthLimitLayer, LimitSettings,
};
use muhtar_http::{router, AppState, Service};
use serde_json::{json, Value};

pub(crate) const TENANT: &str = "ornek";
pub(crate) const SECRET: &str = "mbs_kuzguncuk_secret";

/// A service on a memory store with the fixture organisation and a muhtar's API token.
pub(crate) async fn service() -> Service {
    let store: Arc<dyn Store> = Arc::new(MemoryStore::default());
    let clock: Arc<dyn Clock> = Arc::new(ManualClock::new(fixtures::t0()));
    let mbs = Mbs::new(store, clock, muhtar_core::ids::SeededRandom::new(7));
    let org = fixtures::organisation(TENANT);
    mbs.install_organisation(&Actor::system(org.tenant.id.clone()), org)
        .await
        .unwrap();
    mbs.store()
        .create_token(&ApiToken {
            id: uuid::Uuid::from_u128(1),
            tenant: fixtures::tenant(TENANT),
            actor: "muhtar:kuzguncuk".into(),
            name: "test".into(),
            hash: hash_secret(SECRET),
            created_at: fixtures::t0(),
            revoked_at: None,
        })
        .await
        .unwrap();
    mbs
}

/// Serves `app` on a free port of 127.0.0.1 with connection info; its base URL.
pub(crate) async fn serve(app: Router) -> String {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(l, app.into_make_service_with_connect_info::<SocketAddr>())
            .await
            .unwrap()
    });
    format!("http://{addr}")
}

async fn json_of(r: reqwest::Response) -> (u16, Value) {
    let s = r.status().as_u16();
    let text = r.text().await.unwrap();
    (
        s,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

pub(crate) fn submission() -> Value {
    json!({"category": "asfalt-onarim", "subject": "Okul önünde çukur"})
}

fn o311_form(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{k}={}", v.replace(' ', "+")))
        .collect::<Vec<_>>()
        .join("&")
}

/// Every URL the router emits, when it is mounted at `at` (`""`: the root) of the host
/// at `base`.
async fn urls_carry_the_prefix(base: &str, at: &str) {
    let c = reqwest::Client::new();
    let (s, body) = json_of(c.get(format!("{base}{at}/healthz")).send().await.unwrap()).await;
    assert_eq!((s, body), (200, json!("ok")));

    let (s, d) = json_of(
        c.get(format!("{base}{at}/open311/v2/discovery.json"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(s, 200);
    assert_eq!(d["endpoints"][0]["url"], format!("{at}/open311/v2"), "{d}");
    let xml = c
        .get(format!("{base}{at}/open311/v2/discovery.xml"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        xml.contains(&format!("<url>{at}/open311/v2</url>")),
        "{xml}"
    );

    let (_, doc) = json_of(
        c.get(format!("{base}{at}/api/v1/openapi.json"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        doc["servers"][0]["url"],
        format!("{at}/api/v1"),
        "{}",
        doc["servers"]
    );

    let r = c
        .post(format!("{base}{at}/api/v1/requests"))
        .bearer_auth(SECRET)
        .json(&submission())
        .send()
        .await
        .unwrap();
    let location = r.headers()["location"].to_str().unwrap().to_owned();
    let (s, rec) = json_of(r).await;
    assert_eq!(s, 201, "{rec}");
    let tracking = rec["tracking"].as_str().unwrap();
    assert_eq!(location, format!("{at}/api/v1/requests/{tracking}"));
    // The Location is where the request is.
    let (s, got) = json_of(
        c.get(format!("{base}{location}"))
            .bearer_auth(SECRET)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!((s, got["tracking"].as_str()), (200, Some(tracking)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_url_the_router_emits_carries_the_prefix_it_is_mounted_under() {
    let state = AppState::builder(service().await).build();
    let base = serve(Router::new().nest("/mbs", router(state.clone()))).await;
    urls_carry_the_prefix(&base, "/mbs").await;

    // At the root: no prefix.
    let base = serve(router(state.clone())).await;
    urls_carry_the_prefix(&base, "").await;

    // Nested twice: the whole prefix.
    let base = serve(Router::new().nest("/il", Router::new().nest("/mbs", router(state)))).await;
    urls_carry_the_prefix(&base, "/il/mbs").await;
}

/// A portal's authenticator: the user its (here pretend) single sign-on verified, in
/// the `x-portal-user` header, mapped to actors.
struct PortalUsers;

#[async_trait::async_trait]
impl Authenticator for PortalUsers {
    async fn authenticate(&self, c: &Credentials<'_>) -> Result<Actor, AuthError> {
        let Some(user) = c.parts.headers.get("x-portal-user") else {
            return Err(AuthError::Missing);
        };
        let tenant = fixtures::tenant(TENANT);
        match user.to_str() {
            Ok("ali") => Ok(Actor::parse(&tenant, "muhtar:kuzguncuk@ali").unwrap()),
            _ => Err(AuthError::Invalid),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_host_authenticator_replaces_the_tokens() {
    let state = AppState::builder(service().await)
        .authenticator(PortalUsers)
        .build();
    let base = serve(Router::new().nest("/mbs", router(state))).await;
    let c = reqwest::Client::new();
    let submit = || {
        c.post(format!("{base}/mbs/api/v1/requests"))
            .json(&submission())
    };

    let (s, rec) = json_of(
        submit()
            .header("x-portal-user", "ali")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(s, 201, "{rec}");
    assert_eq!(rec["muhtarlik"], "kuzguncuk");
    let (s, e) = json_of(submit().send().await.unwrap()).await;
    assert_eq!(
        (s, e["error"]["code"].as_str()),
        (401, Some("unauthorized"))
    );
    let (s, _) = json_of(
        submit()
            .header("x-portal-user", "mallory")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(s, 401);
    // Our tokens mean nothing to this host's authenticator.
    let (s, _) = json_of(submit().bearer_auth(SECRET).send().await.unwrap()).await;
    assert_eq!(s, 401);

    // Open311 asks the same authenticator: no api_key needed with the portal's user.
    let post = |user: Option<&str>| {
        let r = c
            .post(format!("{base}/mbs/open311/v2/requests.json"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(o311_form(&[
                ("service_code", "asfalt-onarim"),
                ("address_string", "Sokak 1"),
                ("description", "Çukur"),
            ]));
        match user {
            Some(u) => r.header("x-portal-user", u),
            None => r,
        }
    };
    let (s, v) = json_of(post(Some("ali")).send().await.unwrap()).await;
    assert_eq!(s, 201, "{v}");
    let (s, v) = json_of(post(None).send().await.unwrap()).await;
    assert_eq!(
        (s, v[0]["description"].as_str()),
        (403, Some("api_key is required"))
    );
    let (s, v) = json_of(post(Some("mallory")).send().await.unwrap()).await;
    assert_eq!(s, 403, "{v}");
}

/// The pages sign in the person a host authenticator names ([`Api::Web`]): no login of
/// ours, no **Çıkış** (the portal logs out), forms with a CSRF token of their own that a
/// post without it lacks (403, nothing changed), and nobody without the portal's header.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_pages_sign_in_the_person_of_a_host_authenticator() {
    let state = AppState::builder(service().await)
        .authenticator(PortalUsers)
        .build();
    let base = serve(Router::new().nest("/mbs", router(state))).await;
    let c = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let (s, rec) = json_of(
        c.post(format!("{base}/mbs/api/v1/requests"))
            .header("x-portal-user", "ali")
            .json(&submission())
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(s, 201, "{rec}");
    let tracking = rec["tracking"].as_str().unwrap();
    let page = |path: String, who: Option<&'static str>| {
        let mut r = c.get(format!("{base}/mbs{path}"));
        if let Some(who) = who {
            r = r.header("x-portal-user", who);
        }
        r.send()
    };

    // Nobody without the portal's header; an unknown portal user neither.
    for who in [None, Some("veli")] {
        let r = page("/talepler".into(), who).await.unwrap();
        assert_eq!(r.status(), 303, "{who:?}");
        assert_eq!(r.headers()["location"], "/mbs/giris");
    }
    // Ali's list and request page, his name in the header, no Çıkış of ours.
    let list = page("/talepler".into(), Some("ali")).await.unwrap();
    assert_eq!(list.status(), 200);
    let list = list.text().await.unwrap();
    assert!(list.contains(tracking), "{list}");
    assert!(
        list.contains("<span class=\"header-user\">ali</span>"),
        "{list}"
    );
    assert!(!list.contains("Çıkış"), "{list}");
    let html = page(format!("/talepler/{tracking}"), Some("ali"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = html
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .unwrap_or_else(|| panic!("no csrf field: {html}"))
        .to_owned();
    assert_eq!(csrf.len(), 64, "{csrf}");
    let version = html
        .split("name=\"version\" value=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .unwrap()
        .to_owned();
    let post = |csrf: Option<String>| {
        let mut form = vec![
            ("version", version.clone()),
            ("text", "Portaldan bir mesaj".to_owned()),
        ];
        if let Some(csrf) = csrf {
            form.push(("csrf", csrf));
        }
        c.post(format!("{base}/mbs/talepler/{tracking}/message"))
            .header("x-portal-user", "ali")
            .form(&form)
            .send()
    };
    let history = || async {
        json_of(
            c.get(format!("{base}/mbs/api/v1/requests/{tracking}/history"))
                .header("x-portal-user", "ali")
                .send()
                .await
                .unwrap(),
        )
        .await
        .1
        .to_string()
    };
    for bad in [None, Some("0".repeat(64))] {
        assert_eq!(post(bad).await.unwrap().status(), 403);
    }
    assert!(!history().await.contains("Portaldan bir mesaj"));
    let r = post(Some(csrf)).await.unwrap();
    assert_eq!(r.status(), 303, "{}", r.text().await.unwrap());
    assert!(history().await.contains("Portaldan bir mesaj"));
}

fn limits(max_failures: u32) -> LimitSettings {
    LimitSettings {
        max_failures,
        window: Duration::from_secs(60),
        cooldown: Duration::from_secs(60),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_limit_layer_counts_bad_credentials_and_refuses_before_the_handler() {
    let state = AppState::builder(service().await).build();
    let app = Router::new().nest(
        "/mbs",
        router(state).layer(FailedAuthLimitLayer::new(limits(2))),
    );
    let base = serve(app).await;
    let c = reqwest::Client::new();
    let list = |token: Option<&str>| {
        let r = c.get(format!("{base}/mbs/api/v1/requests"));
        match token {
            Some(t) => r.bearer_auth(t),
            None => r,
        }
    };
    // No credentials is never a failure.
    for _ in 0..5 {
        assert_eq!(list(None).send().await.unwrap().status(), 401);
    }
    assert_eq!(list(Some(SECRET)).send().await.unwrap().status(), 200);
    for i in 0..2 {
        let r = list(Some(&format!("mbs_guess{i}"))).send().await.unwrap();
        assert_eq!(r.status(), 401);
    }
    // The failure past the limit is itself refused, and so is then everything.
    let r = list(Some("mbs_guess2")).send().await.unwrap();
    assert_eq!(r.status(), 429);
    assert_eq!(r.headers()["retry-after"], "60");
    let (s, e) = json_of(list(Some(SECRET)).send().await.unwrap()).await;
    assert_eq!(
        (s, e["error"]["code"].as_str()),
        (429, Some("too_many_requests"))
    );
    // In Open311's format on Open311 paths.
    let r = c
        .get(format!("{base}/mbs/open311/v2/services.xml"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 429);
    assert!(r.headers().contains_key("retry-after"));
    let xml = r.text().await.unwrap();
    assert!(xml.contains("<errors><error><code>429</code>"), "{xml}");
    let (s, v) = json_of(
        c.get(format!("{base}/mbs/open311/v2/services.json"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!((s, v[0]["code"].as_u64()), (429, Some(429)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_tracking_numbers_and_bad_api_keys_count_too() {
    let state = AppState::builder(service().await).build();
    let base = serve(router(state).layer(FailedAuthLimitLayer::new(limits(3)))).await;
    let c = reqwest::Client::new();
    for _ in 0..3 {
        let r = c
            .get(format!("{base}/api/v1/status/7KM-3QX-9PA"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 404);
    }
    let post = |key: &str| {
        c.post(format!("{base}/open311/v2/requests.json"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(o311_form(&[
                ("api_key", key),
                ("service_code", "asfalt-onarim"),
                ("address_string", "Sokak"),
            ]))
    };
    let (s, v) = json_of(post("bad").send().await.unwrap()).await;
    assert_eq!((s, v[0]["code"].as_u64()), (429, Some(429)), "{v}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_the_layer_nothing_is_counted() {
    let state = AppState::builder(service().await).build();
    let base = serve(router(state)).await;
    let c = reqwest::Client::new();
    for i in 0..30 {
        let r = c
            .get(format!("{base}/api/v1/requests"))
            .bearer_auth(format!("mbs_guess{i}"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 401);
    }
    let r = c
        .get(format!("{base}/api/v1/requests"))
        .bearer_auth(SECRET)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
}
