//! Official documents over real HTTP (router at `/mbs`, memory store, whose
//! `DocumentStore` is the reference): REST registration and letters with their errors by
//! code, lookups by our number, a paper petition's own number and a request, the
//! letter's A4 HTML under a policy pinning its style by hash; the public verification
//! (JSON and `/dogrula`) without a token, never personal data, unknown and malformed codes
//! counted as failed attempts; signatures valid with the listed key and not with an
//! unlisted or another key; the request page's **Resmî evrak** forms refusing a post
//! without the CSRF token; document numbers in Open311's `service_notice`.

use std::time::Duration;

use axum::Router;
use muhtar_core::document::DocumentKey;
use muhtar_core::request::{Channel, Command, Outcome};
use muhtar_core::store::DocumentStore;
use muhtar_core::testkit::{fixtures, MemoryStore};
use muhtar_core::token::{hash_secret, ApiToken};
use muhtar_core::tracking::TrackingNumber;
use muhtar_http::auth::{FailedAuthLimitLayer, LimitSettings};
use serde_json::{json, Value};

use crate::mount::{serve, TENANT};
use crate::web_talepler::App;

/// A bearer token acting as `role`.
pub(crate) async fn token(app: &App, role: &str) -> String {
    let secret = format!("mbs_belge_{}", role.replace(':', "_"));
    app.mbs
        .mbs
        .store()
        .create_token(&ApiToken {
            // An id of its own per role: the hash's first 128 bits.
            id: uuid::Uuid::from_u128(
                u128::from_str_radix(&hash_secret(&secret)[..32], 16).unwrap(),
            ),
            tenant: fixtures::tenant(TENANT),
            actor: role.into(),
            name: "belge".into(),
            hash: hash_secret(&secret),
            created_at: fixtures::t0(),
            revoked_at: None,
        })
        .await
        .unwrap();
    secret
}

/// A call of the API: status, headers and body (JSON, or the text as a JSON string).
async fn call(
    app: &App,
    method: reqwest::Method,
    path: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> (u16, reqwest::header::HeaderMap, Value) {
    let mut r = reqwest::Client::new().request(method, format!("{}/mbs/api/v1{path}", app.base));
    if let Some(t) = token {
        r = r.bearer_auth(t);
    }
    if let Some(b) = body {
        r = r.json(&b);
    }
    let r = r.send().await.unwrap();
    let (s, h) = (r.status().as_u16(), r.headers().clone());
    let text = r.text().await.unwrap();
    (
        s,
        h,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

async fn get(app: &App, path: &str, token: Option<&str>) -> (u16, Value) {
    let (s, _, v) = call(app, reqwest::Method::GET, path, token, None).await;
    (s, v)
}

async fn post(app: &App, path: &str, token: &str, body: Value) -> (u16, Value) {
    let (s, _, v) = call(app, reqwest::Method::POST, path, Some(token), Some(body)).await;
    (s, v)
}

/// Accepts and answers `t` as its unit's staff, with `text`, five minutes on (the
/// letter dated after the registration; sessions still alive).
async fn answer(app: &App, t: &TrackingNumber, text: &str) {
    app.clock.advance(chrono::Duration::minutes(5));
    let unit = app.state(t).await.unit.unwrap();
    let staff = app.actor(&format!("unit:{unit}"));
    for cmd in [
        Command::Accept,
        Command::Answer {
            outcome: Outcome::Positive,
            reason: None,
            reason_text: None,
            text: text.into(),
        },
    ] {
        app.mbs.mbs.execute(&staff, t, None, cmd).await.unwrap();
    }
}

/// The app also served with a limit of `max` failed attempts per address: its base URL.
async fn limited(app: &App, max: u32) -> String {
    let limit = FailedAuthLimitLayer::new(LimitSettings {
        max_failures: max,
        window: Duration::from_secs(600),
        cooldown: Duration::from_secs(600),
    });
    serve(Router::new().nest("/mbs", muhtar_http::router(app.mbs.clone()).layer(limit))).await
}

/// The settings listing `keys` (id, key) as the tenant's public keys.
fn settings_with_keys(keys: &[(&str, &DocumentKey)]) -> String {
    let mut s = String::from("[documents]\n");
    for (id, k) in keys {
        s.push_str(&format!(
            "[[documents.keys]]\nid = \"{id}\"\npublic_key = \"{}\"\n",
            k.public_key_hex()
        ));
    }
    s
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_is_registered_and_answered_by_letter_over_rest() {
    let app = App::start_on(std::sync::Arc::new(MemoryStore::default())).await;
    let t = app.submit("Okul önünde çukur", false).await;
    let koord = token(&app, "coordinator").await;
    let body = json!({ "tracking": t.to_string() });

    // Registered: an incoming document numbered from its registry.
    let (s, h, reg) = call(
        &app,
        reqwest::Method::POST,
        "/documents/register",
        Some(&koord),
        Some(body.clone()),
    )
    .await;
    assert_eq!(s, 201, "{reg}");
    assert_eq!(
        h["location"].to_str().unwrap(),
        format!("/mbs/api/v1/documents/{}", reg["id"].as_str().unwrap())
    );
    assert_eq!(reg["direction"], "incoming");
    assert_eq!(reg["direction_name"], "gelen evrak");
    let number = reg["number"].as_str().unwrap().to_owned();
    assert!(
        number.starts_with("E-13316537-") && number.ends_with("-1"),
        "{reg}"
    );
    assert_eq!(reg["tracking"], t.to_string());
    assert_eq!(reg["signed_by"], Value::Null);
    assert_eq!(reg["related"], Value::Null);
    let code = reg["code"].as_str().unwrap().to_owned();
    assert_eq!((code.len(), code.matches('-').count()), (14, 2), "{code}");
    assert_eq!(
        reg["verify_url"],
        format!("/mbs/dogrula/{}", code.replace('-', ""))
    );
    assert!(
        reg["date_local"].as_str().unwrap().ends_with("+03:00"),
        "{reg}"
    );
    assert_eq!(reg["sha256"].as_str().unwrap().len(), 64);
    // No content: the request's own words are not in the view.
    assert!(!reg.to_string().contains("Okul"), "{reg}");

    // Each refusal by its code.
    let (s, e) = post(&app, "/documents/register", &koord, body.clone()).await;
    assert_eq!(
        (s, e["error"]["code"].as_str()),
        (409, Some("already_registered")),
        "{e}"
    );
    let (s, e) = post(&app, "/documents/letter", &koord, body.clone()).await;
    assert_eq!(
        (s, e["error"]["code"].as_str()),
        (409, Some("not_answered")),
        "{e}"
    );
    let (s, e) = post(
        &app,
        "/documents/register",
        &koord,
        json!({"tracking": "12"}),
    )
    .await;
    assert_eq!(
        (s, e["error"]["field"].as_str()),
        (400, Some("tracking")),
        "{e}"
    );
    let muhtar = token(&app, "muhtar:kuzguncuk").await;
    let (s, e) = post(&app, "/documents/register", &muhtar, body.clone()).await;
    assert_eq!(s, 403, "{e}");

    // Answered, then issued as a letter: İlgi is the incoming document.
    answer(&app, &t, "Çukur <b>kapatıldı</b>.").await;
    let (s, letter) = post(&app, "/documents/letter", &koord, body.clone()).await;
    assert_eq!(s, 201, "{letter}");
    assert_eq!(letter["direction"], "outgoing");
    assert_eq!(letter["related"], number);
    let (s, e) = post(&app, "/documents/letter", &koord, body).await;
    assert_eq!(
        (s, e["error"]["code"].as_str()),
        (409, Some("letter_issued")),
        "{e}"
    );

    // Lookups: by our number, by the request, by id; the muhtar reads them too.
    let (s, found) = get(&app, &format!("/documents?number={number}"), Some(&muhtar)).await;
    assert_eq!(s, 200, "{found}");
    assert_eq!(found["documents"].as_array().unwrap().len(), 1);
    assert_eq!(found["documents"][0]["id"], reg["id"]);
    let (_, both) = get(&app, &format!("/documents?tracking={t}"), Some(&koord)).await;
    let numbers: Vec<&str> = both["documents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["number"].as_str().unwrap())
        .collect();
    assert_eq!(
        numbers,
        [number.as_str(), letter["number"].as_str().unwrap()]
    );
    let id = letter["id"].as_str().unwrap();
    let (s, one) = get(&app, &format!("/documents/{id}"), Some(&muhtar)).await;
    assert_eq!((s, &one["number"]), (200, &letter["number"]), "{one}");
    // Another muhtar sees none of it.
    let other = token(&app, "muhtar:cengelkoy").await;
    let (s, _) = get(&app, &format!("/documents/{id}"), Some(&other)).await;
    assert_eq!(s, 404);
    let (s, none) = get(&app, &format!("/documents?number={number}"), Some(&other)).await;
    assert_eq!((s, none["documents"].as_array().unwrap().len()), (200, 0));
    // Parameters: exactly one, named when wrong; a token is needed.
    let (s, e) = get(&app, "/documents", Some(&koord)).await;
    assert_eq!(
        (s, e["error"]["field"].as_str()),
        (422, Some("number")),
        "{e}"
    );
    let (s, e) = get(
        &app,
        &format!("/documents?number=x&tracking={t}"),
        Some(&koord),
    )
    .await;
    assert_eq!(s, 422, "{e}");
    let (s, e) = get(&app, "/documents/nope", Some(&koord)).await;
    assert_eq!((s, e["error"]["field"].as_str()), (400, Some("id")), "{e}");
    let (s, _) = get(&app, &format!("/documents/{id}"), None).await;
    assert_eq!(s, 401);

    // The letter's A4 HTML: official layout, the answer as text, the style pinned.
    let (s, h, html) = call(
        &app,
        reqwest::Method::GET,
        &format!("/documents/{id}/letter.html"),
        Some(&muhtar),
        None,
    )
    .await;
    let html = html.as_str().unwrap().to_owned();
    assert_eq!(s, 200, "{html}");
    let letter_code = letter["code"].as_str().unwrap();
    for part in [
        "T.C.",
        "Sayı",
        "Konu",
        "İlgi",
        &number,
        letter_code,
        "Çukur &lt;b&gt;kapatıldı",
    ] {
        assert!(html.contains(part), "{part}: {html}");
    }
    assert!(!html.contains("<b>") && !html.contains("<script"), "{html}");
    let csp = h["content-security-policy"].to_str().unwrap();
    assert_eq!(csp, muhtar_http::csp::document_csp(&html));
    assert!(csp.contains("'sha256-") && !csp.contains("unsafe-inline") && !csp.contains("script"));
    assert_eq!(h["x-frame-options"], "DENY");
    // An incoming document has no letter.
    let reg_id = reg["id"].as_str().unwrap();
    let (s, _) = get(
        &app,
        &format!("/documents/{reg_id}/letter.html"),
        Some(&koord),
    )
    .await;
    assert_eq!(s, 404);

    // Open311 shows both numbers in the notice, JSON and XML alike.
    let o311 = format!("{}/mbs/open311/v2/requests/{t}", app.base);
    let j: Value = reqwest::get(format!("{o311}.json"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let notice = format!(
        "Evrak: {number}; Cevap yazısı: {}",
        letter["number"].as_str().unwrap()
    );
    assert_eq!(j[0]["service_notice"], notice, "{j}");
    let xml = reqwest::get(format!("{o311}.xml"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        xml.contains(&format!("<service_notice>{notice}</service_notice>")),
        "{xml}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_paper_petitions_own_number_finds_its_document() {
    let app = App::start_on(std::sync::Arc::new(MemoryStore::default())).await;
    let new = fixtures::request_builder("kuzguncuk")
        .channel(Channel::Petition)
        .registration_number("2026/118".to_owned())
        .build();
    let rec = app
        .mbs
        .mbs
        .submit(&app.actor("coordinator"), new)
        .await
        .unwrap();
    let koord = token(&app, "coordinator").await;
    let t = rec.state.tracking.to_string();
    let (s, reg) = post(
        &app,
        "/documents/register",
        &koord,
        json!({ "tracking": t }),
    )
    .await;
    assert_eq!(s, 201, "{reg}");
    assert_eq!(reg["external_number"], "2026/118");
    let (s, found) = get(&app, "/documents?number=2026%2F118", Some(&koord)).await;
    assert_eq!(s, 200, "{found}");
    assert_eq!(found["documents"][0]["number"], reg["number"]);
    let (_, none) = get(&app, "/documents?number=2026%2F119", Some(&koord)).await;
    assert_eq!(none["documents"].as_array().unwrap().len(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verification_is_public_without_personal_data_and_unknown_codes_are_counted() {
    let app = App::start_on(std::sync::Arc::new(MemoryStore::default())).await;
    let t = app.submit("Okul önünde çukur", false).await;
    let koord = token(&app, "coordinator").await;
    let (_, reg) = post(
        &app,
        "/documents/register",
        &koord,
        json!({"tracking": t.to_string()}),
    )
    .await;
    let code = reg["code"].as_str().unwrap().to_owned();

    // No token; the code as people type it.
    let typed = code.replace('-', "").to_lowercase();
    let (s, v) = get(&app, &format!("/documents/verify/{typed}"), None).await;
    assert_eq!(s, 200, "{v}");
    let mut keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "content_intact",
            "date",
            "direction",
            "issuer",
            "number",
            "sha256",
            "signature",
            "signature_text",
            "subject",
            "valid"
        ]
    );
    assert_eq!(v["number"], reg["number"]);
    assert_eq!(
        (v["valid"].as_bool(), v["content_intact"].as_bool()),
        (Some(true), Some(true))
    );
    assert_eq!(v["signature"], json!({"status": "unsigned"}));
    assert!(
        v["signature_text"].as_str().unwrap().starts_with("İmzasız"),
        "{v}"
    );
    assert!(!v.to_string().contains("Okul"), "{v}");

    // A copy: the content byte for byte matches, one changed byte does not.
    let id = reg["id"].as_str().unwrap().parse().unwrap();
    let stored = app
        .mbs
        .mbs
        .store()
        .official_document(&fixtures::tenant(TENANT), id)
        .await
        .unwrap();
    let url = format!("{}/mbs/api/v1/documents/verify/{code}", app.base);
    let c = reqwest::Client::new();
    let same: Value = c
        .post(&url)
        .body(stored.content.clone())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(same, json!({"matches": true}));
    let mut changed = stored.content.into_bytes();
    changed[10] ^= 1;
    let other: Value = c
        .post(&url)
        .body(changed)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(other, json!({"matches": false}));

    // Malformed: 400 naming the field; unknown: 404; both counted, then 429.
    let base = limited(&app, 2).await;
    let r = reqwest::get(format!("{base}/mbs/api/v1/documents/verify/ABC"))
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let e: Value = r.json().await.unwrap();
    assert_eq!(e["error"]["field"], "code", "{e}");
    let unknown = if code.starts_with('2') {
        "3333-3333-3333"
    } else {
        "2222-2222-2222"
    };
    let r = reqwest::get(format!("{base}/mbs/api/v1/documents/verify/{unknown}"))
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    // The failure past the limit is itself refused, and so is what follows.
    let r = reqwest::get(format!("{base}/mbs/api/v1/documents/verify/{unknown}"))
        .await
        .unwrap();
    assert_eq!(r.status(), 429);
    let r = reqwest::get(format!("{base}/mbs/api/v1/documents/verify/{code}"))
        .await
        .unwrap();
    assert_eq!(r.status(), 429, "the cool-down refuses even a real code");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_signature_holds_with_the_listed_key_only() {
    let key = DocumentKey::from_secret("2026-1", [7; 32]).unwrap();
    let other = DocumentKey::from_secret("2026-1", [8; 32]).unwrap();
    let app = App::start_with(
        std::sync::Arc::new(MemoryStore::default()),
        vec![key.clone()],
    )
    .await;
    let admin = app.actor("admin");
    let install = |s: String| {
        let mbs = app.mbs.clone();
        let admin = admin.clone();
        async move { mbs.mbs.install_settings(&admin, &s).await.unwrap() }
    };
    install(settings_with_keys(&[("2026-1", &key)])).await;
    let t = app.submit("Çukur", false).await;
    let koord = token(&app, "coordinator").await;
    let (s, reg) = post(
        &app,
        "/documents/register",
        &koord,
        json!({"tracking": t.to_string()}),
    )
    .await;
    assert_eq!(s, 201, "{reg}");
    assert_eq!(reg["signed_by"], "2026-1");
    let verify = format!("/documents/verify/{}", reg["code"].as_str().unwrap());
    let (_, v) = get(&app, &verify, None).await;
    assert_eq!(
        v["signature"],
        json!({"status": "valid", "key_id": "2026-1"}),
        "{v}"
    );
    assert_eq!(v["valid"], true);

    // The settings list the id with another key: the signature does not hold.
    install(settings_with_keys(&[("2026-1", &other)])).await;
    let (_, v) = get(&app, &verify, None).await;
    assert_eq!(v["signature"]["status"], "invalid", "{v}");
    assert_eq!(
        (v["valid"].as_bool(), v["content_intact"].as_bool()),
        (Some(false), Some(true))
    );
    // The settings no longer list the id at all.
    install(settings_with_keys(&[("2027-1", &other)])).await;
    let (_, v) = get(&app, &verify, None).await;
    assert_eq!(v["signature"]["status"], "unknown-key", "{v}");
    assert!(
        v["signature_text"]
            .as_str()
            .unwrap()
            .starts_with("GEÇERSİZ"),
        "{v}"
    );
    // The page says so, in words.
    let code = reg["code"].as_str().unwrap().replace('-', "");
    let html = reqwest::get(format!("{}/mbs/dogrula/{code}", app.base))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("Belge DOĞRULANAMADI"), "{html}");
    assert!(
        html.contains("2026-1 anahtarı kurumun anahtarları arasında yok"),
        "{html}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_request_page_registers_and_issues_letters_through_csrf_checked_forms() {
    let app = App::start_on(std::sync::Arc::new(MemoryStore::default())).await;
    let t = app.submit("Okul önünde çukur", false).await;
    let koord = app.log_in("koord").await;
    let (s, page) = koord.get(&format!("/talepler/{t}")).await;
    assert_eq!(s, 200, "{page}");
    assert!(page.contains(">Resmî evrak</h2>"), "{page}");
    assert!(
        page.contains("Bu talep resmî evrak olarak kaydedilmedi."),
        "{page}"
    );
    assert!(
        page.contains(">Gelen evrak olarak kaydet</button>"),
        "{page}"
    );
    assert!(
        !page.contains("Cevabı resmî yazı olarak düzenle"),
        "not answered: {page}"
    );

    // Without the token: refused, nothing registered.
    let path = format!("/talepler/{t}/evrak/kaydet");
    let (s, _, refused) = koord.post(&path, &[]).await;
    assert_eq!(s, 403, "{refused}");
    let (s, _, _) = koord.post(&path, &[("csrf", "yanlis")]).await;
    assert_eq!(s, 403);
    assert!(app.state(&t).await.documents.is_empty());

    let csrf = koord.csrf().await;
    let (s, loc, _) = koord.post(&path, &[("csrf", &csrf)]).await;
    assert_eq!(s, 303);
    assert_eq!(
        loc.as_deref(),
        Some(format!("/mbs/talepler/{t}?tamam=evrak-kaydet#resmi-evrak").as_str())
    );
    let reg = app.state(&t).await.registration().cloned().unwrap();
    let (_, page) = koord
        .get(&format!("/talepler/{t}?tamam=evrak-kaydet"))
        .await;
    assert!(
        page.contains("Talep gelen evrak olarak kaydedildi."),
        "{page}"
    );
    assert!(page.contains(&reg.number.to_string()), "{page}");
    assert!(page.contains("Gelen evrak (başvuru)"), "{page}");
    // The history names the number too.
    assert!(
        page.contains(&format!(
            "<strong>gelen evrak olarak kaydedildi</strong>: {}",
            reg.number
        )),
        "{page}"
    );
    assert!(
        page.contains(&format!(
            "href=\"&#x2f;mbs&#x2f;dogrula&#x2f;{}\"",
            reg.code.as_str()
        )),
        "{page}"
    );
    assert!(
        !page.contains(">Gelen evrak olarak kaydet</button>"),
        "{page}"
    );
    // Again: the page with the error, in Turkish, linking to the section.
    let (s, _, again) = koord.post(&path, &[("csrf", &csrf)]).await;
    assert_eq!(s, 409, "{again}");
    assert!(
        again.contains("<a href=\"#resmi-evrak\">Talep zaten"),
        "{again}"
    );

    // Answered (markup in the answer), the letter issued from the page.
    answer(&app, &t, "Yol <script>alert(1)</script> yapıldı").await;
    let (_, page) = koord.get(&format!("/talepler/{t}")).await;
    assert!(
        page.contains(">Cevabı resmî yazı olarak düzenle</button>"),
        "{page}"
    );
    let (s, _, _) = koord.post(&format!("/talepler/{t}/evrak/yazi"), &[]).await;
    assert_eq!(s, 403);
    let (s, _, _) = koord
        .post(&format!("/talepler/{t}/evrak/yazi"), &[("csrf", &csrf)])
        .await;
    assert_eq!(s, 303);
    let letter = app.state(&t).await.letter().cloned().unwrap();
    let (_, page) = koord.get(&format!("/talepler/{t}")).await;
    let href = format!("&#x2f;mbs&#x2f;belgeler&#x2f;{}&#x2f;yazi", letter.id);
    assert!(
        page.contains(&format!("<a href=\"{href}\">Yazıyı görüntüle</a>")),
        "{page}"
    );
    assert!(!page.contains("Cevabı resmî yazı olarak düzenle"), "{page}");

    // The letter page: the A4 HTML, its style pinned, the answer as text.
    let r = reqwest::Client::new()
        .get(format!("{}/mbs/belgeler/{}/yazi", app.base, letter.id))
        .header("cookie", koord.cookie_header())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let csp = r.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert_eq!(r.headers()["x-frame-options"], "DENY");
    let html = r.text().await.unwrap();
    assert_eq!(csp, muhtar_http::csp::document_csp(&html));
    assert!(
        html.contains("Yol &lt;script&gt;alert(1)&lt;/script&gt; yapıldı")
            || html.contains("Yol &lt;script&gt;alert(1)&lt;&#x2f;script&gt; yapıldı"),
        "{html}"
    );
    assert!(!html.contains("<script"), "{html}");
    assert!(
        html.contains(&letter.number.to_string()) && html.contains("İlgi"),
        "{html}"
    );
    // Another muhtar: not found; an unknown id or an incoming document: not found.
    let mehmet = app.log_in("mehmet").await;
    let (s, _) = mehmet.get(&format!("/belgeler/{}/yazi", letter.id)).await;
    assert_eq!(s, 404);
    let (s, _) = koord.get(&format!("/belgeler/{}/yazi", reg.id)).await;
    assert_eq!(s, 404);
    let (s, _) = koord.get("/belgeler/abc/yazi").await;
    assert_eq!(s, 404);
    // An auditor sees the documents and no form.
    let denetci = app.log_in("denetci").await;
    let (_, page) = denetci.get(&format!("/talepler/{t}")).await;
    assert!(page.contains(&letter.number.to_string()), "{page}");
    assert!(
        !page.contains("evrak&#x2f;kaydet") && !page.contains("evrak/kaydet"),
        "{page}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_verification_page_is_public_and_counts_bad_codes() {
    let app = App::start_on(std::sync::Arc::new(MemoryStore::default())).await;
    let t = app.submit("Okul önünde çukur", false).await;
    let doc = app
        .mbs
        .mbs
        .register_document(&app.actor("coordinator"), &t)
        .await
        .unwrap();
    let base = limited(&app, 3).await;
    let c = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let get = |path: String| {
        let c = c.clone();
        let url = format!("{base}/mbs{path}");
        async move {
            let r = c.get(url).send().await.unwrap();
            let s = r.status().as_u16();
            let loc = r
                .headers()
                .get("location")
                .map(|l| l.to_str().unwrap().to_owned());
            (s, loc, r.text().await.unwrap())
        }
    };
    let (s, _, form) = get("/dogrula".into()).await;
    assert_eq!(s, 200, "{form}");
    assert!(
        form.contains("<label class=\"label\" for=\"kod\">Doğrulama kodu</label>"),
        "{form}"
    );
    assert!(form.contains("aria-describedby=\"kod-ipucu\""), "{form}");
    // The form's answer: the code's own page.
    let typed = doc.code.to_string().to_lowercase();
    let (s, loc, _) = get(format!("/dogrula?kod={typed}")).await;
    assert_eq!(
        (s, loc),
        (303, Some(format!("/mbs/dogrula/{}", doc.code.as_str())))
    );
    let (s, _, html) = get(format!("/dogrula/{}", doc.code.as_str())).await;
    assert_eq!(s, 200, "{html}");
    assert!(html.contains("Belge doğrulandı"), "{html}");
    for part in [
        doc.number.to_string(),
        doc.sha256.clone(),
        doc.subject.clone(),
        "<dt>Konu</dt>".to_owned(),
        muhtar_core::calendar::local_time(doc.date),
    ] {
        assert!(html.contains(&part), "{part}: {html}");
    }
    assert!(!html.contains("Okul önünde"), "no personal data: {html}");

    // Markup typed: text; malformed and unknown: clear pages, counted, then 429.
    let (s, _, bad) = get("/dogrula?kod=%3Cscript%3Ex%3C%2Fscript%3E".into()).await;
    assert_eq!(s, 400, "{bad}");
    assert!(
        bad.contains("<a href=\"#kod\">Doğrulama kodu 12 karakterdir"),
        "{bad}"
    );
    assert!(
        bad.contains("value=\"&lt;script&gt;x&lt;&#x2f;script&gt;\""),
        "{bad}"
    );
    assert!(!bad.contains("<script>x"), "{bad}");
    let unknown = if doc.code.as_str().starts_with('2') {
        "333333333333"
    } else {
        "222222222222"
    };
    let (s, _, nf) = get(format!("/dogrula/{unknown}")).await;
    assert_eq!(s, 404, "{nf}");
    assert!(nf.contains("Belge bulunamadı"), "{nf}");
    let (s, _, _) = get("/dogrula/KISA".into()).await;
    assert_eq!(s, 400);
    let (s, _, _) = get("/dogrula/KISA".into()).await;
    assert_eq!(s, 429, "the failure past the limit");
    let (s, _, _) = get(format!("/dogrula/{}", doc.code.as_str())).await;
    assert_eq!(s, 429);
}
