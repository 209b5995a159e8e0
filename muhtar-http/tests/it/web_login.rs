//! Logging in to the web pages over real HTTP, mounted under `/mbs`: `/giris` sets the
//! session cookie with its attributes and sends the person home, where they are greeted
//! by name and role; a wrong password is 401 with the error summary (a failed attempt);
//! the login form and `/cikis` refuse a POST without their CSRF token (403, nothing
//! changes); `/cikis` ends the session; a disabled user's session ends at once.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use muhtar_core::access::Actor;
use muhtar_core::service::NewUser;
use muhtar_core::testkit::fixtures;
use muhtar_http::auth::{FailedAuthLimitLayer, LimitSettings};
use muhtar_http::{router, AppState};
use reqwest::header::{HeaderMap, COOKIE, LOCATION, SET_COOKIE};

use crate::mount::{serve, service, TENANT};

const PW: &str = "uzun-bir-parola-42";

/// The router at `/mbs` with the user `ayse` (Ayşe Yılmaz, muhtar of Kuzguncuk) and a
/// limit of `max_failures` failed attempts per address: its state and base URL.
async fn app(max_failures: u32) -> (Arc<AppState>, String) {
    let mbs = service().await;
    let admin = Actor::parse(&fixtures::tenant(TENANT), "admin").unwrap();
    mbs.add_user(
        &admin,
        NewUser::new("ayse", "muhtar:kuzguncuk", PW).display_name("Ayşe Yılmaz"),
    )
    .await
    .unwrap();
    let state = AppState::builder(mbs).build();
    let limit = FailedAuthLimitLayer::new(LimitSettings {
        max_failures,
        window: Duration::from_secs(600),
        cooldown: Duration::from_secs(600),
    });
    let base = serve(Router::new().nest("/mbs", router(state.clone()).layer(limit))).await;
    (state, base)
}

/// A client that shows redirects instead of following them.
fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// The value of the cookie `name` a response sets, and the whole `Set-Cookie` line.
fn set_cookie(h: &HeaderMap, name: &str) -> Option<(String, String)> {
    h.get_all(SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .find(|v| v.starts_with(&format!("{name}=")))
        .map(|line| {
            let value = line[name.len() + 1..].split(';').next().unwrap().to_owned();
            (value, line)
        })
}

/// The value of the hidden `csrf` field of a page.
fn csrf_field(html: &str) -> String {
    html.split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .unwrap_or_else(|| panic!("no csrf field: {html}"))
        .to_owned()
}

/// The login form's token: its cookie and hidden field.
async fn login_token(base: &str) -> String {
    let r = client()
        .get(format!("{base}/mbs/giris"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let (cookie, line) = set_cookie(r.headers(), "muhtar_giris").unwrap();
    assert!(
        line.ends_with("; Path=/mbs; HttpOnly; SameSite=Lax"),
        "{line}"
    );
    let html = r.text().await.unwrap();
    assert_eq!(csrf_field(&html), cookie);
    cookie
}

/// Posts the login form as `name` with `password` (and `headers`); the response.
async fn post_login(
    base: &str,
    name: &str,
    password: &str,
    extra: &[(&str, &str)],
) -> reqwest::Response {
    let token = login_token(base).await;
    post_login_with(base, &token, name, password, extra).await
}

/// [`post_login`] with the form's token already fetched.
async fn post_login_with(
    base: &str,
    token: &str,
    name: &str,
    password: &str,
    extra: &[(&str, &str)],
) -> reqwest::Response {
    let mut req = client()
        .post(format!("{base}/mbs/giris"))
        .header(COOKIE, format!("muhtar_giris={token}"))
        .form(&[("kullanici", name), ("parola", password), ("csrf", token)]);
    for (k, v) in extra {
        req = req.header(*k, *v);
    }
    req.send().await.unwrap()
}

/// Logs `ayse` in: the session cookie's value.
async fn log_in(base: &str) -> String {
    let r = post_login(base, "ayse", PW, &[]).await;
    assert_eq!(r.status(), 303);
    set_cookie(r.headers(), "muhtar_oturum").unwrap().0
}

async fn page(base: &str, path: &str, session: &str) -> (u16, HeaderMap, String) {
    let r = client()
        .get(format!("{base}{path}"))
        .header(COOKIE, format!("muhtar_oturum={session}"))
        .send()
        .await
        .unwrap();
    let (s, h) = (r.status().as_u16(), r.headers().clone());
    (s, h, r.text().await.unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_login_sets_the_session_cookie_and_the_home_page_greets_by_name_and_role() {
    let (_, base) = app(20).await;
    let (s, _, form) = page(&base, "/mbs/giris", "").await;
    assert_eq!(s, 200);
    assert!(
        form.contains("<label class=\"label\" for=\"kullanici\">Kullanıcı adı</label>"),
        "{form}"
    );
    assert!(
        form.contains("<label class=\"label\" for=\"parola\">Parola</label>"),
        "{form}"
    );
    assert!(
        form.contains("<button class=\"button\" type=\"submit\">Giriş yap</button>"),
        "{form}"
    );
    assert!(
        form.contains("method=\"post\" action=\"&#x2f;mbs/giris\""),
        "{form}"
    );
    // One tenant in the store: no tenant to choose.
    assert!(!form.contains("Belediye"), "{form}");

    let r = post_login(&base, "Ayse", PW, &[]).await;
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()[LOCATION], "/mbs");
    let (secret, line) = set_cookie(r.headers(), "muhtar_oturum").unwrap();
    assert_eq!(secret.len(), 64, "{line}");
    assert_eq!(
        line,
        format!("muhtar_oturum={secret}; Path=/mbs; HttpOnly; SameSite=Lax")
    );
    // Behind a proxy that ended TLS: Secure.
    let r = post_login(&base, "ayse", PW, &[("x-forwarded-proto", "https")]).await;
    let (_, line) = set_cookie(r.headers(), "muhtar_oturum").unwrap();
    assert!(line.ends_with("; HttpOnly; SameSite=Lax; Secure"), "{line}");

    let (s, _, home) = page(&base, "/mbs", &secret).await;
    assert_eq!(s, 200);
    assert!(
        home.contains("Hoş geldiniz, <strong>Ayşe Yılmaz</strong>."),
        "{home}"
    );
    assert!(
        home.contains("Rolünüz: Kuzguncuk Mahallesi (muhtar)"),
        "{home}"
    );
    assert!(
        home.contains("<span class=\"header-user\">Ayşe Yılmaz</span>"),
        "{home}"
    );
    assert!(home.contains(">Çıkış</button>"), "{home}");
    assert!(!home.contains(">Giriş yap</a>"), "{home}");
    let (s, _, account) = page(&base, "/mbs/hesap", &secret).await;
    assert_eq!(s, 200);
    assert!(account.contains("<dd>ayse</dd>"), "{account}");
    // Nobody signed in: a link to the login page, and /hesap sends there.
    let (_, _, anonymous) = page(&base, "/mbs", "").await;
    assert!(
        anonymous.contains("<a href=\"&#x2f;mbs/giris\" class=\"header-link\">Giriş yap</a>"),
        "{anonymous}"
    );
    assert!(!anonymous.contains("Hoş geldiniz"), "{anonymous}");
    let (s, h, _) = page(&base, "/mbs/hesap", "").await;
    assert_eq!((s, h[LOCATION].to_str().unwrap()), (303, "/mbs/giris"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_password_is_401_with_the_error_summary_and_counts_as_a_failure() {
    let (_, base) = app(2).await;
    let token = login_token(&base).await;
    let r = post_login(&base, "ayse", "yanlis-parola-1", &[]).await;
    assert_eq!(r.status(), 401);
    assert!(set_cookie(r.headers(), "muhtar_oturum").is_none());
    let html = r.text().await.unwrap();
    assert!(html.contains("<title>Hata: Giriş yap"), "{html}");
    assert!(
        html.contains("<a href=\"#kullanici\">Kullanıcı adı veya parola hatalı</a>"),
        "{html}"
    );
    assert!(html.contains("value=\"ayse\""), "{html}");
    assert!(!html.contains("yanlis-parola-1"), "{html}");
    // An unknown name: the same answer.
    let r = post_login(&base, "kimse", "yanlis-parola-1", &[]).await;
    assert_eq!(r.status(), 401);
    assert!(r
        .text()
        .await
        .unwrap()
        .contains("Kullanıcı adı veya parola hatalı"));
    // Counted against the address: the failure past the limit starts the cool-down,
    // and the right password is refused too.
    let r = post_login_with(&base, &token, "ayse", "yanlis-parola-1", &[]).await;
    assert_eq!(r.status(), 429);
    let r = post_login_with(&base, &token, "ayse", PW, &[]).await;
    assert_eq!(r.status(), 429);
    // A page saying how long to wait, under the mount, with Retry-After.
    let retry: u64 = r.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=600).contains(&retry), "{retry}");
    let html = r.text().await.unwrap();
    assert!(
        html.contains("<h1 class=\"heading-l\">Çok fazla deneme</h1>"),
        "{html}"
    );
    assert!(html.contains("10 dakika sonra yeniden deneyin"), "{html}");
    assert!(html.contains("href=\"&#x2f;mbs\""), "{html}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_login_without_the_forms_token_is_refused() {
    let (_, base) = app(20).await;
    let token = login_token(&base).await;
    for (cookie, field) in [
        (None, Some(token.as_str())),
        (Some(token.as_str()), None),
        (Some(token.as_str()), Some("0".repeat(64).as_str())),
    ] {
        let mut form = vec![("kullanici", "ayse"), ("parola", PW)];
        if let Some(f) = field {
            form.push(("csrf", f));
        }
        let mut req = client().post(format!("{base}/mbs/giris")).form(&form);
        if let Some(c) = cookie {
            req = req.header(COOKIE, format!("muhtar_giris={c}"));
        }
        let r = req.send().await.unwrap();
        assert_eq!(r.status(), 403);
        assert!(set_cookie(r.headers(), "muhtar_oturum").is_none());
        let html = r.text().await.unwrap();
        assert!(html.contains("Güvenlik doğrulaması başarısız"), "{html}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logout_needs_the_sessions_csrf_token_and_ends_the_session() {
    let (state, base) = app(20).await;
    let secret = log_in(&base).await;
    let (_, _, home) = page(&base, "/mbs", &secret).await;
    let csrf = csrf_field(&home);
    let logout = |form: Vec<(&'static str, String)>| {
        client()
            .post(format!("{base}/mbs/cikis"))
            .header(COOKIE, format!("muhtar_oturum={secret}"))
            .form(&form)
            .send()
    };
    for form in [
        vec![],
        vec![("csrf", "yanlis".to_owned())],
        vec![("csrf", secret.clone())],
    ] {
        let r = logout(form).await.unwrap();
        assert_eq!(r.status(), 403);
        assert!(set_cookie(r.headers(), "muhtar_oturum").is_none());
        let html = r.text().await.unwrap();
        assert!(html.contains("hiçbir şey değiştirilmedi"), "{html}");
        // The session lives on.
        let (s, _, _) = page(&base, "/mbs/hesap", &secret).await;
        assert_eq!(s, 200);
    }
    let r = logout(vec![("csrf", csrf)]).await.unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()[LOCATION], "/mbs");
    let (value, line) = set_cookie(r.headers(), "muhtar_oturum").unwrap();
    assert_eq!(value, "");
    assert!(
        line.contains("; Path=/mbs;") && line.contains("Max-Age=0"),
        "{line}"
    );
    // Ended in the store: the old cookie is nobody.
    assert!(state.mbs.session(&secret).await.unwrap().is_none());
    let (s, h, _) = page(&base, "/mbs/hesap", &secret).await;
    assert_eq!((s, h[LOCATION].to_str().unwrap()), (303, "/mbs/giris"));
    let (_, _, home) = page(&base, "/mbs", &secret).await;
    assert!(
        home.contains(">Giriş yap</a>") && !home.contains("Çıkış"),
        "{home}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_disabled_users_session_ends_at_once() {
    let (state, base) = app(20).await;
    let secret = log_in(&base).await;
    let (s, _, _) = page(&base, "/mbs/hesap", &secret).await;
    assert_eq!(s, 200);
    let admin = Actor::parse(&fixtures::tenant(TENANT), "admin").unwrap();
    state.mbs.disable_user(&admin, "ayse").await.unwrap();
    let (s, h, _) = page(&base, "/mbs/hesap", &secret).await;
    assert_eq!((s, h[LOCATION].to_str().unwrap()), (303, "/mbs/giris"));
    // And they cannot log in again.
    let r = post_login(&base, "ayse", PW, &[]).await;
    assert_eq!(r.status(), 401);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_locked_name_is_told_how_many_minutes_to_wait() {
    let (_, base) = app(20).await;
    let token = login_token(&base).await;
    // 10 failed logins of a name within 15 minutes lock it for that long.
    for _ in 0..10 {
        let r = post_login_with(&base, &token, "ayse", "yanlis-parola-1", &[]).await;
        assert_eq!(r.status(), 401);
    }
    let r = post_login_with(&base, &token, "ayse", PW, &[]).await;
    assert_eq!(r.status(), 429);
    let html = r.text().await.unwrap();
    assert!(
        html.contains(
            "<a href=\"#kullanici\">Bu kullanıcı adıyla çok fazla hatalı giriş yapıldı: \
             15 dakika sonra yeniden deneyin</a>"
        ),
        "{html}"
    );
}
