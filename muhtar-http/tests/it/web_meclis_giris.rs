//! A council member's code login over real HTTP, mounted under `/mbs`: the code is read
//! from the outbox, the member lands on `/meclis` with a session that `/hesap` shows by
//! name; a wrong code is 401 with the error summary; a used code fails (replay); an
//! expired code fails; requests and wrong codes are throttled per contact; an unknown
//! contact gets the same answer; a removed member's session ends and their codes fail;
//! the forms refuse a POST without their CSRF token.

use std::sync::Arc;

use axum::Router;
use chrono::Duration;
use muhtar_core::access::Actor;
use muhtar_core::clock::{Clock, ManualClock};
use muhtar_core::council::{MemberId, NewMember};
use muhtar_core::ids::MuhtarlikCode;
use muhtar_core::outbox::NoticePayload;
use muhtar_core::service::Mbs;
use muhtar_core::store::{OutboxStore, Store};
use muhtar_core::testkit::{fixtures, MemoryStore};
use muhtar_http::{router, AppState};
use reqwest::header::{COOKIE, LOCATION, SET_COOKIE};

use crate::mount::{serve, TENANT};

const PHONE: &str = "0532 123 45 67";

struct App {
    state: Arc<AppState>,
    clock: Arc<ManualClock>,
    base: String,
    member: MemberId,
}

async fn app() -> App {
    let store: Arc<dyn Store> = Arc::new(MemoryStore::default());
    let clock = Arc::new(ManualClock::new(fixtures::t0()));
    let dyn_clock: Arc<dyn Clock> = clock.clone();
    let mbs = Mbs::new(store, dyn_clock, muhtar_core::ids::SeededRandom::new(11));
    let org = fixtures::organisation(TENANT);
    mbs.install_organisation(&Actor::system(org.tenant.id.clone()), org)
        .await
        .unwrap();
    let muhtar = Actor::parse(&fixtures::tenant(TENANT), "muhtar:kuzguncuk").unwrap();
    let kuz: MuhtarlikCode = "kuzguncuk".parse().unwrap();
    let m = mbs
        .add_member(
            &muhtar,
            &kuz,
            NewMember {
                name: "Zeynep Kaya".into(),
                phone: Some(PHONE.into()),
                ..NewMember::default()
            },
        )
        .await
        .unwrap();
    let state = AppState::builder(mbs).build();
    let base = serve(Router::new().nest("/mbs", router(state.clone()))).await;
    App {
        state,
        clock,
        base,
        member: m.id,
    }
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

fn cookie_of(r: &reqwest::Response, name: &str) -> Option<String> {
    r.headers()
        .get_all(SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .find(|v| v.starts_with(&format!("{name}=")))
        .map(|l| l[name.len() + 1..].split(';').next().unwrap().to_owned())
}

/// The contact form's token (cookie = hidden field).
async fn token(a: &App) -> String {
    let r = client()
        .get(format!("{}/mbs/meclis/giris", a.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let t = cookie_of(&r, "muhtar_giris").unwrap();
    let html = r.text().await.unwrap();
    assert!(html.contains("E-posta adresi veya cep telefonu"), "{html}");
    assert!(html.contains("Kod gönder"), "{html}");
    assert!(html.contains(&format!("name=\"csrf\" value=\"{t}\"")));
    t
}

async fn post(a: &App, path: &str, token: &str, form: &[(&str, &str)]) -> reqwest::Response {
    let mut fields: Vec<(&str, &str)> = vec![("csrf", token)];
    fields.extend_from_slice(form);
    client()
        .post(format!("{}/mbs{path}", a.base))
        .header(COOKIE, format!("muhtar_giris={token}"))
        .form(&fields)
        .send()
        .await
        .unwrap()
}

/// Asks for a code for `contact`: the response's status and page.
async fn ask(a: &App, contact: &str) -> (u16, String) {
    let t = token(a).await;
    let r = post(a, "/meclis/giris", &t, &[("iletisim", contact)]).await;
    (r.status().as_u16(), r.text().await.unwrap())
}

/// The newest login code in the outbox.
async fn last_code(a: &App) -> Option<String> {
    let out = a
        .state
        .mbs
        .store()
        .outbox(&fixtures::tenant(TENANT), None)
        .await
        .unwrap();
    out.iter().rev().find_map(|e| match &e.message.payload {
        NoticePayload::CouncilLoginCode(c) => Some(c.code.clone()),
        _ => None,
    })
}

async fn log_in(a: &App, contact: &str, code: &str) -> reqwest::Response {
    let t = token(a).await;
    post(
        a,
        "/meclis/giris/kod",
        &t,
        &[("iletisim", contact), ("kod", code)],
    )
    .await
}

async fn hesap(a: &App, session: &str) -> (u16, String) {
    let r = client()
        .get(format!("{}/mbs/hesap", a.base))
        .header(COOKIE, format!("muhtar_oturum={session}"))
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

fn wrong(code: &str) -> &'static str {
    if code == "000000" {
        "000001"
    } else {
        "000000"
    }
}

#[tokio::test]
async fn a_member_logs_in_with_the_code_from_the_outbox_once() {
    let a = app().await;
    let (status, html) = ask(&a, PHONE).await;
    assert_eq!(status, 200);
    assert!(
        html.contains("Giriş kodu") && html.contains("Giriş yap"),
        "{html}"
    );
    let code = last_code(&a).await.expect("a code in the outbox");
    // A wrong code: 401, the error summary linking to the field.
    let r = log_in(&a, PHONE, wrong(&code)).await;
    assert_eq!(r.status(), 401);
    let html = r.text().await.unwrap();
    assert!(html.contains("Giriş kodu hatalı"), "{html}");
    assert!(html.contains("href=\"#kod\""), "{html}");
    // The right one: a session, to /meclis.
    let r = log_in(&a, PHONE, &code).await;
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()[LOCATION], "/mbs/meclis");
    let session = cookie_of(&r, "muhtar_oturum").expect("a session cookie");
    let (status, html) = hesap(&a, &session).await;
    assert_eq!(status, 200);
    assert!(html.contains("Zeynep Kaya"), "{html}");
    // Replay: the used code fails.
    let r = log_in(&a, PHONE, &code).await;
    assert_eq!(r.status(), 401);
    // Removing the member ends the session and refuses the next login.
    let muhtar = Actor::parse(&fixtures::tenant(TENANT), "muhtar:kuzguncuk").unwrap();
    a.state.mbs.remove_member(&muhtar, a.member).await.unwrap();
    let (status, _) = hesap(&a, &session).await;
    assert_ne!(status, 200, "the removed member's session ended");
    let before = last_code(&a).await;
    let (status, _) = ask(&a, PHONE).await;
    assert_eq!(status, 200, "the same answer");
    assert_eq!(last_code(&a).await, before, "no code for a removed member");
    let r = log_in(&a, PHONE, &code).await;
    assert_eq!(r.status(), 401);
}

#[tokio::test]
async fn an_expired_code_fails_and_unknown_contacts_get_the_same_answer() {
    let a = app().await;
    ask(&a, PHONE).await;
    let code = last_code(&a).await.unwrap();
    a.clock.advance(Duration::minutes(10));
    let r = log_in(&a, PHONE, &code).await;
    assert_eq!(r.status(), 401);
    assert!(r.text().await.unwrap().contains("süresi doldu"));
    let (s1, known) = ask(&a, PHONE).await;
    let (s2, unknown) = ask(&a, "0532 999 99 99").await;
    assert_eq!((s1, s2), (200, 200));
    let strip = |h: &str| h.replace("0532 999 99 99", "X").replace(PHONE, "X");
    let cut = |h: String| {
        strip(&h)
            .split("name=\"csrf\"")
            .map(|p| p.split_once('>').map_or("", |x| x.1).to_owned())
            .collect::<String>()
    };
    assert_eq!(cut(known), cut(unknown), "no enumeration");
    // The new code works.
    let code = last_code(&a).await.unwrap();
    assert_eq!(log_in(&a, PHONE, &code).await.status(), 303);
}

#[tokio::test]
async fn requests_and_wrong_codes_are_throttled_per_contact() {
    let a = app().await;
    for _ in 0..10 {
        assert_eq!(ask(&a, PHONE).await.0, 200);
    }
    let (status, html) = ask(&a, PHONE).await;
    assert_eq!(status, 429, "{html}");
    assert!(html.contains("dakika sonra"), "{html}");
    assert_eq!(ask(&a, "ayse@example.org").await.0, 200, "per contact");
    // Wrong codes: after the code's 5 tries it is spent; after 10 wrong codes the
    // contact is locked for the window.
    a.clock.advance(Duration::minutes(16));
    ask(&a, PHONE).await;
    let code = last_code(&a).await.unwrap();
    for _ in 0..5 {
        assert_eq!(log_in(&a, PHONE, wrong(&code)).await.status(), 401);
    }
    let r = log_in(&a, PHONE, &code).await;
    assert_eq!(r.status(), 401, "five wrong tries spend the code");
    for _ in 0..5 {
        ask(&a, PHONE).await;
        let c = last_code(&a).await.unwrap();
        log_in(&a, PHONE, wrong(&c)).await;
    }
    ask(&a, PHONE).await;
    let c = last_code(&a).await.unwrap();
    assert_eq!(log_in(&a, PHONE, &c).await.status(), 429, "locked");
}

#[tokio::test]
async fn the_forms_refuse_a_post_without_their_token() {
    let a = app().await;
    let r = client()
        .post(format!("{}/mbs/meclis/giris", a.base))
        .form(&[("iletisim", PHONE), ("csrf", "x")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    assert_eq!(last_code(&a).await, None);
    let login = client()
        .get(format!("{}/mbs/giris", a.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(login.contains("Kodla giriş yapın"), "{login}");
}
