//! The web pages over real HTTP, mounted under a prefix: the public status page
//! `/takip` shows what `GET /api/v1/status/{tracking}` does, a malformed number an
//! error summary linking to the field, an unknown one "bulunamadı" (both counted as
//! failed attempts), data is shown as text, and every response carries the security
//! headers. (The same pages in a real browser: `examples/tests/it/web_browser.rs`.)

use std::time::Duration;

use axum::Router;
use muhtar_core::tracking::TrackingNumber;
use muhtar_http::auth::{FailedAuthLimitLayer, LimitSettings};
use muhtar_http::{router, AppState};
use serde_json::Value;

use crate::mount::{serve, service, submission, SECRET};

/// The router mounted at `/mbs` on a memory store, with a limit of `max_failures`
/// failed attempts per address; the base URL and one submitted request's tracking number.
async fn app(max_failures: u32) -> (String, String) {
    let state = AppState::builder(service().await).build();
    let limit = FailedAuthLimitLayer::new(LimitSettings {
        max_failures,
        window: Duration::from_secs(600),
        cooldown: Duration::from_secs(600),
    });
    let base = serve(Router::new().nest("/mbs", router(state).layer(limit))).await;
    let rec: Value = reqwest::Client::new()
        .post(format!("{base}/mbs/api/v1/requests"))
        .bearer_auth(SECRET)
        .json(&submission())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    (base, rec["tracking"].as_str().unwrap().to_owned())
}

async fn get(url: &str) -> (u16, reqwest::header::HeaderMap, String) {
    let r = reqwest::get(url).await.unwrap();
    let (s, h) = (r.status().as_u16(), r.headers().clone());
    (s, h, r.text().await.unwrap())
}

/// A number of the right shape that no request has.
fn unknown_number() -> String {
    TrackingNumber::from_value(12_345).unwrap().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_status_page_shows_the_public_status_of_the_json_endpoint() {
    let (base, tracking) = app(20).await;
    let json: Value = reqwest::get(format!("{base}/mbs/api/v1/status/{tracking}"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let (s, _, html) = get(&format!("{base}/mbs/takip?takip={tracking}")).await;
    assert_eq!(s, 200, "{html}");
    for (label, value) in [
        ("Durum", json["status_name"].as_str().unwrap()),
        ("Birim", json["unit_name"].as_str().unwrap()),
    ] {
        assert!(
            html.contains(&format!("<dt>{label}</dt>")) && html.contains(value),
            "{label} {value}: {html}"
        );
    }
    // The deadline as Istanbul local time: the JSON's RFC 3339 (with +03:00) to the minute.
    let due = json["resolution_due"].as_str().unwrap();
    assert!(due.ends_with("+03:00"), "{due}");
    let local = due[..16].replace('T', " ");
    assert!(
        html.contains(&format!("<dd>{local} tarihine kadar</dd>")),
        "{local}: {html}"
    );
    // No personal or internal data: the subject is not public.
    assert!(!html.contains("Okul önünde çukur"), "{html}");
    // The form keeps the number; its links and the style sheet are under the prefix
    // (minijinja writes `/` as `&#x2f;` in HTML).
    assert!(html.contains(&format!("value=\"{tracking}\"")), "{html}");
    assert!(html.contains("action=\"&#x2f;mbs/takip\""), "{html}");
    assert!(
        html.contains("href=\"&#x2f;mbs&#x2f;static&#x2f;muhtar."),
        "{html}"
    );
    assert!(html.contains("<label class=\"label\" for=\"takip\">Takip numarası</label>"));
    assert!(html.contains(">Sorgula</button>"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_malformed_number_shows_an_error_summary_linking_to_the_field() {
    let (base, _) = app(20).await;
    let (s, _, html) = get(&format!("{base}/mbs/takip?takip=7KM-3QX")).await;
    assert_eq!(s, 400, "{html}");
    assert!(html.contains("<title>Hata: "), "{html}");
    assert!(
        html.contains("<a href=\"#takip\">Takip numarası 9 karakterdir (örneğin 7KM-3QX-9PA); yazdığınızda 6 karakter var</a>"),
        "{html}"
    );
    assert!(html.contains("id=\"takip\""), "{html}");
    assert!(
        html.contains("aria-describedby=\"takip-ipucu takip-hata\""),
        "{html}"
    );
    // A check character that does not match: a mistyped character.
    let good = unknown_number();
    let swapped: String =
        good[..good.len() - 1].to_owned() + if good.ends_with('0') { "1" } else { "0" };
    let (s, _, html) = get(&format!("{base}/mbs/takip?takip={swapped}")).await;
    assert_eq!(s, 400, "{html}");
    assert!(html.contains("bir karakter yanlış yazılmış"), "{html}");
    // Submitted empty: asked for the number.
    let (s, _, html) = get(&format!("{base}/mbs/takip?takip=")).await;
    assert_eq!(s, 400);
    assert!(
        html.contains("<a href=\"#takip\">Takip numarasını yazın</a>"),
        "{html}"
    );
    // No number: the form alone, no error.
    let (s, _, html) = get(&format!("{base}/mbs/takip")).await;
    assert_eq!(s, 200);
    assert!(!html.contains("error-summary"), "{html}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn markup_typed_into_the_field_is_shown_as_text() {
    let (base, _) = app(20).await;
    let typed = "<script>alert(1)</script>";
    let url =
        reqwest::Url::parse_with_params(&format!("{base}/mbs/takip"), [("takip", typed)]).unwrap();
    let (s, _, html) = get(url.as_str()).await;
    assert_eq!(s, 400, "{html}");
    // The page's one script element is the server's own file.
    assert_eq!(html.matches("<script").count(), 1, "{html}");
    assert!(
        html.contains("<script src=\"&#x2f;mbs&#x2f;static&#x2f;muhtar."),
        "{html}"
    );
    assert!(!html.contains("<script>"), "{html}");
    assert!(
        html.contains("value=\"&lt;script&gt;alert(1)&lt;&#x2f;script&gt;\""),
        "{html}"
    );
    // The error names the first character that cannot be in a number, as text.
    let (s, _, html) = get(&format!("{base}/mbs/takip?takip=%3Ci%3Ea%3C%2Fi%3E1")).await;
    assert_eq!(s, 400, "{html}");
    assert!(
        html.contains("<a href=\"#takip\">Takip numarasının 1. karakteri (&lt;) geçersiz"),
        "{html}"
    );
    assert!(!html.contains("<i>"), "{html}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_and_malformed_numbers_count_as_failed_attempts() {
    let (base, tracking) = app(2).await;
    let (s, _, html) = get(&format!("{base}/mbs/takip?takip={}", unknown_number())).await;
    assert_eq!(s, 404, "{html}");
    assert!(html.contains("Bulunamadı"), "{html}");
    assert!(html.contains("numaralı bir başvuru bulunamadı"), "{html}");
    let (s, _, _) = get(&format!("{base}/mbs/takip?takip=12")).await;
    assert_eq!(s, 400);
    // The failure past the limit starts the cool-down: even a real number is refused.
    let (s, _, _) = get(&format!("{base}/mbs/takip?takip=12")).await;
    assert_eq!(s, 429);
    let (s, _, _) = get(&format!("{base}/mbs/takip?takip={tracking}")).await;
    assert_eq!(s, 429);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_page_carries_the_security_headers_and_the_css_is_cached() {
    let (base, _) = app(20).await;
    let (s, h, home) = get(&format!("{base}/mbs")).await;
    assert_eq!(s, 200, "{home}");
    assert!(
        home.starts_with("<!DOCTYPE html>\n<html lang=\"tr\">"),
        "{home}"
    );
    assert!(
        home.contains("<a class=\"link-card\" href=\"&#x2f;mbs/takip\">Takip sorgula</a>"),
        "{home}"
    );
    assert!(
        home.contains("<a href=\"#ana-icerik\" class=\"skip-link\">"),
        "{home}"
    );
    assert!(
        home.contains("<a href=\"&#x2f;mbs\" class=\"header-title\">"),
        "{home}"
    );
    assert_eq!(h["content-type"], "text/html; charset=utf-8");
    let css = home
        .split("<link rel=\"stylesheet\" href=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .unwrap()
        .replace("&#x2f;", "/");
    for (path, status) in [
        ("/mbs/takip".to_owned(), 200),
        ("/mbs/takip?takip=1".to_owned(), 400),
        (css.clone(), 200),
        ("/mbs/static/muhtar.css".to_owned(), 404),
    ] {
        let (s, h, _) = get(&format!("{base}{path}")).await;
        assert_eq!(s, status, "{path}");
        for (name, value) in muhtar_http::web::SECURITY_HEADERS {
            assert_eq!(h[*name], *value, "{name} of {path}");
        }
        assert!(
            h["content-security-policy"]
                .to_str()
                .unwrap()
                .starts_with("default-src 'self'; script-src 'self'; style-src 'self';"),
            "{path}"
        );
    }
    let (_, h, body) = get(&format!("{base}{css}")).await;
    assert_eq!(h["content-type"], "text/css; charset=utf-8");
    assert_eq!(h["cache-control"], "public, max-age=31536000, immutable");
    assert!(body.contains(".skip-link"), "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_path_is_a_page_on_the_pages_and_json_on_the_apis() {
    let (base, _) = app(20).await;
    let (s, h, html) = get(&format!("{base}/mbs/boyle-bir-sayfa-yok")).await;
    assert_eq!(s, 404);
    assert!(h["content-type"].to_str().unwrap().starts_with("text/html"));
    assert!(
        html.contains("<h1 class=\"heading-l\">Sayfa bulunamadı</h1>"),
        "{html}"
    );
    assert!(html.contains("href=\"&#x2f;mbs\""), "{html}");
    assert!(h.contains_key("content-security-policy"));
    for path in ["/mbs/api/v1/boyle-bir-yol", "/mbs/open311/v2/yok.json"] {
        let (s, h, body) = get(&format!("{base}{path}")).await;
        assert_eq!(s, 404, "{path}");
        assert!(
            h["content-type"]
                .to_str()
                .unwrap()
                .starts_with("application/json"),
            "{path}: {h:?}"
        );
        let json: Value = serde_json::from_str(&body).unwrap();
        // REST's `{"error": {code, …}}`, Open311's `[{code, description}]`.
        let found = [&json["error"]["code"], &json[0]["code"]];
        assert!(
            found.contains(&&Value::from("not_found")) || found.contains(&&Value::from(404)),
            "{path}: {body}"
        );
    }
}
