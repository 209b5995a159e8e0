//! Neighbourhood councils over real HTTP (router at `/mbs`, memory store, whose
//! `CouncilStore` is the reference; a manual clock): the REST flow from the roll to a
//! closed vote's result and a receipt's check, each refusal by its status and code, a
//! secret vote's views naming no member beside a choice, another muhtar refused (403 on
//! the council, 404 on its vote), an auditor reading without writing; and the `/meclis`
//! pages: forms for the muhtar only, CSRF refusals with nothing written, markup in names
//! and titles as text, the receipt shown on the answer to the ballot and never again.

use std::sync::Arc;

use muhtar_core::council::MemberId;
use muhtar_core::testkit::MemoryStore;
use reqwest::header::{COOKIE, LOCATION};
use serde_json::{json, Value};

use crate::documents::token;
use crate::web_talepler::App;

const SCRIPT: &str = "<script>alert(1)</script>";

pub(crate) async fn app() -> App {
    App::start_on(Arc::new(MemoryStore::default())).await
}

pub(crate) async fn call(
    app: &App,
    method: reqwest::Method,
    path: &str,
    token: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let mut r = reqwest::Client::new()
        .request(method, format!("{}/mbs/api/v1{path}", app.base))
        .bearer_auth(token);
    if let Some(b) = body {
        r = r.json(&b);
    }
    let r = r.send().await.unwrap();
    let s = r.status().as_u16();
    let text = r.text().await.unwrap();
    (
        s,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

pub(crate) async fn get(app: &App, path: &str, token: &str) -> (u16, Value) {
    call(app, reqwest::Method::GET, path, token, None).await
}

pub(crate) async fn post(app: &App, path: &str, token: &str, body: Value) -> (u16, Value) {
    call(app, reqwest::Method::POST, path, token, Some(body)).await
}

pub(crate) fn code(v: &Value) -> &str {
    v["error"]["code"].as_str().unwrap_or("")
}

/// Kuzguncuk's council with `names` as members: their ids.
pub(crate) async fn members(app: &App, muhtar: &str, names: &[&str]) -> Vec<String> {
    let mut ids = Vec::new();
    for (i, n) in names.iter().enumerate() {
        let (s, m) = post(
            app,
            "/councils/kuzguncuk/members",
            muhtar,
            json!({"name": n, "phone": format!("0532 123 45 {:02}", i)}),
        )
        .await;
        assert_eq!(s, 201, "{m}");
        ids.push(m["id"].as_str().unwrap().to_owned());
    }
    ids
}

/// The clock's instant plus `hours`, as RFC 3339.
pub(crate) fn at(app: &App, hours: i64) -> String {
    use muhtar_core::clock::Clock;
    (app.clock.now() + chrono::Duration::hours(hours)).to_rfc3339()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_roll_a_vote_its_ballots_and_result_over_rest() {
    let app = app().await;
    let muhtar = token(&app, "muhtar:kuzguncuk").await;

    // No members: no vote.
    let (s, e) = post(
        &app,
        "/councils/kuzguncuk/votes",
        &muhtar,
        json!({"title": "Park", "closes_at": at(&app, 2)}),
    )
    .await;
    assert_eq!((s, code(&e)), (409, "council"), "{e}");

    // Members: a name and a contact; refusals name the field.
    let (s, e) = post(
        &app,
        "/councils/kuzguncuk/members",
        &muhtar,
        json!({"name": "Ali"}),
    )
    .await;
    assert_eq!(
        (s, e["error"]["field"].as_str()),
        (422, Some("email")),
        "{e}"
    );
    let (s, e) = post(
        &app,
        "/councils/kuzguncuk/members",
        &muhtar,
        json!({"name": "Ali", "phone": "12"}),
    )
    .await;
    assert_eq!(
        (s, e["error"]["field"].as_str()),
        (422, Some("phone")),
        "{e}"
    );
    let ids = members(
        &app,
        &muhtar,
        &["Ali Veli", "Ayşe Kaya", "Can Öz", "Deniz Ak"],
    )
    .await;
    let (s, list) = get(&app, "/councils/kuzguncuk/members", &muhtar).await;
    assert_eq!(s, 200);
    assert_eq!(list["members"].as_array().unwrap().len(), 4);
    let ali = list["members"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["name"] == "Ali Veli")
        .unwrap();
    assert_eq!(ali["phone"], "+905321234500", "{list}");
    assert_eq!(ali["role_name"], "mahalle sakini");
    assert_eq!(ali["active"], true);

    // Deniz leaves before the vote: kept on record, not eligible.
    let (s, gone) = call(
        &app,
        reqwest::Method::DELETE,
        &format!("/councils/members/{}", ids[3]),
        &muhtar,
        None,
    )
    .await;
    assert_eq!((s, &gone["active"]), (200, &json!(false)), "{gone}");
    assert!(gone["removed_at"].as_str().unwrap().ends_with("+03:00"));

    let (s, vote) = post(
        &app,
        "/councils/kuzguncuk/votes",
        &muhtar,
        json!({"title": "Parka bank konulsun mu?", "closes_at": at(&app, 2),
               "quorum_percent": 50, "changeable": true}),
    )
    .await;
    assert_eq!(s, 201, "{vote}");
    assert_eq!(vote["options"], json!(["Kabul", "Ret", "Çekimser"]));
    assert_eq!(vote["eligible"].as_array().unwrap().len(), 3, "{vote}");
    assert!(!vote.to_string().contains("Deniz"), "{vote}");
    let id = vote["id"].as_str().unwrap().to_owned();
    let ballots = format!("/councils/votes/{id}/ballots");

    // Ballots: receipts, a change, refusals by code.
    let (s, r) = post(
        &app,
        &ballots,
        &muhtar,
        json!({"member": ids[0], "choice": "Kabul"}),
    )
    .await;
    assert_eq!(s, 201, "{r}");
    let receipt = r["receipt"].as_str().unwrap().to_owned();
    let (s, r) = post(
        &app,
        &ballots,
        &muhtar,
        json!({"member": ids[0], "choice": "Ret"}),
    )
    .await;
    assert_eq!((s, &r["changed"]), (200, &json!(true)), "{r}");
    let (s, _) = post(
        &app,
        &ballots,
        &muhtar,
        json!({"member": ids[1], "choice": "for"}),
    )
    .await;
    assert_eq!(s, 201);
    let (s, e) = post(
        &app,
        &ballots,
        &muhtar,
        json!({"member": ids[3], "choice": "Kabul"}),
    )
    .await;
    assert_eq!(
        (s, e["error"]["field"].as_str()),
        (422, Some("member")),
        "{e}"
    );
    let (s, e) = post(
        &app,
        &ballots,
        &muhtar,
        json!({"member": ids[2], "choice": "Belki"}),
    )
    .await;
    assert_eq!(
        (s, e["error"]["field"].as_str()),
        (422, Some("choice")),
        "{e}"
    );
    assert!(
        e["error"]["message"].as_str().unwrap().contains("Çekimser"),
        "{e}"
    );
    let (s, e) = post(
        &app,
        &ballots,
        &muhtar,
        json!({"member": "x", "choice": "Kabul"}),
    )
    .await;
    assert_eq!(
        (s, e["error"]["field"].as_str()),
        (422, Some("member")),
        "{e}"
    );

    // Not over yet: neither closed nor a result.
    let (s, e) = post(
        &app,
        &format!("/councils/votes/{id}/close"),
        &muhtar,
        json!({}),
    )
    .await;
    assert_eq!((s, code(&e)), (409, "council"), "{e}");
    let (s, e) = get(&app, &format!("/councils/votes/{id}/result"), &muhtar).await;
    assert_eq!((s, code(&e)), (409, "council"), "{e}");
    let (s, c) = get(
        &app,
        &format!("/councils/votes/{id}/receipts/{receipt}"),
        &muhtar,
    )
    .await;
    assert_eq!((s, &c), (200, &json!({"choice": "Ret", "counted": true})));

    app.clock.advance(chrono::Duration::hours(3));
    let (s, e) = post(
        &app,
        &ballots,
        &muhtar,
        json!({"member": ids[2], "choice": "Kabul"}),
    )
    .await;
    assert_eq!((s, code(&e)), (409, "council"), "{e}");
    let (s, closed) = post(
        &app,
        &format!("/councils/votes/{id}/close"),
        &muhtar,
        json!({}),
    )
    .await;
    assert_eq!(s, 200, "{closed}");
    assert_eq!(closed["counts"], json!([1, 1, 0]));
    assert_eq!(
        (closed["cast"].as_u64(), closed["eligible"].as_u64()),
        (Some(2), Some(3))
    );
    assert_eq!(closed["turnout_percent"], 66.7);
    assert_eq!(closed["quorum_met"], true);
    assert_eq!(closed["decision"], "not-decided");
    assert!(closed["description"]
        .as_str()
        .unwrap()
        .starts_with("Karar çıkmadı"));
    assert_eq!(closed["hash"].as_str().unwrap().len(), 64);
    let (s, again) = post(
        &app,
        &format!("/councils/votes/{id}/close"),
        &muhtar,
        json!({}),
    )
    .await;
    assert_eq!((s, code(&again)), (409, "council"));
    let (s, result) = get(&app, &format!("/councils/votes/{id}/result"), &muhtar).await;
    assert_eq!((s, &result), (200, &closed));
    let (_, v) = get(&app, &format!("/councils/votes/{id}"), &muhtar).await;
    assert_eq!(v["result"], closed);
    assert_eq!(v["status_name"], "kapandı");

    // Receipts: a good one counted, an unknown one 404, a malformed one 422.
    let (s, c) = get(
        &app,
        &format!("/councils/votes/{id}/receipts/{receipt}"),
        &muhtar,
    )
    .await;
    assert_eq!((s, &c), (200, &json!({"choice": "Ret", "counted": true})));
    let (s, e) = get(
        &app,
        &format!("/councils/votes/{id}/receipts/AAAAAAAAAAAA"),
        &muhtar,
    )
    .await;
    assert_eq!(s, 404, "{e}");
    let (s, e) = get(&app, &format!("/councils/votes/{id}/receipts/12"), &muhtar).await;
    assert_eq!(
        (s, e["error"]["field"].as_str()),
        (422, Some("receipt")),
        "{e}"
    );

    // The OpenAPI document lists the paths.
    let (_, doc) = get(&app, "/openapi.json", &muhtar).await;
    for p in [
        "/councils/{muhtarlik}/members",
        "/councils/votes/{id}/ballots/change",
    ] {
        assert!(doc["paths"][p].is_object(), "{p}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_secret_vote_names_no_member_beside_a_choice_and_changes_by_receipt() {
    let app = app().await;
    let muhtar = token(&app, "muhtar:kuzguncuk").await;
    let ids = members(&app, &muhtar, &["Gizem Sır", "Hakan Tek"]).await;
    let (s, vote) = post(
        &app,
        "/councils/kuzguncuk/votes",
        &muhtar,
        json!({"title": "Başkan yardımcısı", "closes_at": at(&app, 1), "secret": true,
               "changeable": true, "majority": "absolute",
               "options": {"kind": "list", "options": ["Gizem", "Hakan"]}}),
    )
    .await;
    assert_eq!(s, 201, "{vote}");
    let id = vote["id"].as_str().unwrap().to_owned();
    let ballots = format!("/councils/votes/{id}/ballots");
    let (_, r) = post(
        &app,
        &ballots,
        &muhtar,
        json!({"member": ids[0], "choice": "hakan"}),
    )
    .await;
    let receipt = r["receipt"].as_str().unwrap().to_owned();
    // A second ballot of a secret vote is refused: changes go by receipt.
    let (s, e) = post(
        &app,
        &ballots,
        &muhtar,
        json!({"member": ids[0], "choice": "Gizem"}),
    )
    .await;
    assert_eq!((s, code(&e)), (409, "council"), "{e}");
    let (s, c) = post(
        &app,
        &format!("{ballots}/change"),
        &muhtar,
        json!({"receipt": receipt, "choice": "Gizem"}),
    )
    .await;
    assert_eq!((s, &c), (200, &json!({"changed": true})));
    let (s, e) = post(
        &app,
        &format!("{ballots}/change"),
        &muhtar,
        json!({"receipt": "AAAA-AAAA-AAAA", "choice": "Gizem"}),
    )
    .await;
    assert_eq!(s, 404, "{e}");
    let (_, _) = post(
        &app,
        &ballots,
        &muhtar,
        json!({"member": ids[1], "choice": "Gizem"}),
    )
    .await;
    app.clock.advance(chrono::Duration::hours(2));
    let (s, t) = post(
        &app,
        &format!("/councils/votes/{id}/close"),
        &muhtar,
        json!({}),
    )
    .await;
    assert_eq!(s, 200, "{t}");
    assert_eq!(
        (&t["decision"], &t["decision_option"]),
        (&json!("adopted"), &json!("Gizem"))
    );
    // No view names a member beside a choice: the result and the check are counts and
    // a choice only, the vote lists who could vote without any choice.
    for path in [
        format!("/councils/votes/{id}/result"),
        format!("/councils/votes/{id}/receipts/{receipt}"),
    ] {
        let (_, v) = get(&app, &path, &muhtar).await;
        let text = v.to_string();
        for who in ["Gizem Sır", "Hakan Tek", &ids[0], &ids[1]] {
            assert!(!text.contains(who), "{path}: {text}");
        }
    }
    let (_, v) = get(&app, &format!("/councils/votes/{id}"), &muhtar).await;
    for e in v["eligible"].as_array().unwrap() {
        assert_eq!(e.as_object().unwrap().len(), 2, "{v}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_muhtar_is_refused_and_the_auditor_only_reads() {
    let app = app().await;
    let muhtar = token(&app, "muhtar:kuzguncuk").await;
    let other = token(&app, "muhtar:cengelkoy").await;
    let auditor = token(&app, "auditor").await;
    let unit = token(&app, "unit:fen-isleri").await;
    let ids = members(&app, &muhtar, &["Ali Veli"]).await;
    let (_, vote) = post(
        &app,
        "/councils/kuzguncuk/votes",
        &muhtar,
        json!({"title": "Park", "closes_at": at(&app, 1)}),
    )
    .await;
    let id = vote["id"].as_str().unwrap().to_owned();

    let (s, e) = get(&app, "/councils/kuzguncuk/members", &other).await;
    assert_eq!((s, code(&e)), (403, "forbidden"), "{e}");
    let (s, _) = post(
        &app,
        "/councils/kuzguncuk/members",
        &other,
        json!({"name": "X", "phone": "05321234567"}),
    )
    .await;
    assert_eq!(s, 403);
    let (s, _) = get(&app, &format!("/councils/votes/{id}"), &other).await;
    assert_eq!(s, 404);
    let (s, _) = post(
        &app,
        &format!("/councils/votes/{id}/ballots"),
        &other,
        json!({"member": ids[0], "choice": "Kabul"}),
    )
    .await;
    assert_eq!(s, 404);
    let (s, _) = call(
        &app,
        reqwest::Method::DELETE,
        &format!("/councils/members/{}", ids[0]),
        &other,
        None,
    )
    .await;
    assert_eq!(s, 404);
    let (s, _) = get(&app, "/councils/kuzguncuk/members", &unit).await;
    assert_eq!(s, 403);
    let (s, e) = get(&app, "/councils/yok/members", &muhtar).await;
    assert_eq!(
        (s, e["error"]["field"].as_str()),
        (422, Some("muhtarlik")),
        "{e}"
    );

    // The auditor reads the roll (contacts included) and the vote, and writes nothing.
    let (s, list) = get(&app, "/councils/kuzguncuk/members", &auditor).await;
    assert_eq!(s, 200);
    assert_eq!(list["members"][0]["phone"], "+905321234500");
    let (s, _) = get(&app, &format!("/councils/votes/{id}"), &auditor).await;
    assert_eq!(s, 200);
    let (s, _) = post(
        &app,
        "/councils/kuzguncuk/members",
        &auditor,
        json!({"name": "X", "phone": "05321234567"}),
    )
    .await;
    assert_eq!(s, 403);
    let (s, _) = post(
        &app,
        "/councils/kuzguncuk/votes",
        &auditor,
        json!({"title": "X", "closes_at": at(&app, 1)}),
    )
    .await;
    assert_eq!(s, 403);
    let (s, _) = post(
        &app,
        &format!("/councils/votes/{id}/ballots"),
        &auditor,
        json!({"member": ids[0], "choice": "Kabul"}),
    )
    .await;
    assert_eq!(s, 403);
    app.clock.advance(chrono::Duration::hours(2));
    let (s, _) = post(
        &app,
        &format!("/councils/votes/{id}/close"),
        &auditor,
        json!({}),
    )
    .await;
    assert_eq!(s, 403);
    let (_, list) = get(&app, "/councils/kuzguncuk/members", &auditor).await;
    assert_eq!(list["members"].as_array().unwrap().len(), 1);
}

// ---------------------------------------------------------------------------------------
// The pages.

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// A session of `name` (users of `App`): cookie and CSRF token.
async fn session(app: &App, name: &str) -> (String, String) {
    let s = app
        .mbs
        .mbs
        .login(
            &muhtar_core::testkit::fixtures::tenant(crate::mount::TENANT),
            name,
            "uzun-bir-parola-42",
        )
        .await
        .unwrap();
    (s.secret, s.csrf)
}

async fn page(app: &App, path: &str, cookie: &str) -> (u16, String) {
    let r = client()
        .get(format!("{}/mbs{path}", app.base))
        .header(COOKIE, format!("muhtar_oturum={cookie}"))
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

/// Posts `form`: status, `Location` and page.
async fn form(app: &App, path: &str, cookie: &str, form: &[(&str, &str)]) -> (u16, String, String) {
    let r = client()
        .post(format!("{}/mbs{path}", app.base))
        .header(COOKIE, format!("muhtar_oturum={cookie}"))
        .form(form)
        .send()
        .await
        .unwrap();
    let location = r
        .headers()
        .get(LOCATION)
        .map(|l| l.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (r.status().as_u16(), location, r.text().await.unwrap())
}

/// The council's POST forms on a page.
fn council_forms(html: &str) -> usize {
    html.matches("method=\"post\" action=\"&#x2f;mbs/meclis")
        .count()
}

async fn roll(app: &App) -> Vec<muhtar_core::council::Member> {
    app.mbs
        .mbs
        .members(
            &app.actor("muhtar:kuzguncuk"),
            &"kuzguncuk".parse().unwrap(),
        )
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_muhtar_runs_the_council_on_its_pages() {
    let app = app().await;
    let (cookie, csrf) = session(&app, "ayse").await;
    let (s, home) = page(&app, "", &cookie).await;
    assert_eq!(s, 200);
    assert!(home.contains(">Mahalle meclisi</a>"), "{home}");
    let (s, html) = page(&app, "/meclis", &cookie).await;
    assert_eq!(s, 200, "{html}");
    for l in ["Ad soyad", "E-posta", "Telefon", "Rol", "Üye ekle"] {
        assert!(html.contains(l), "{l}");
    }

    // Without the CSRF token: refused, nothing written.
    let name = format!("Ali {SCRIPT}");
    let (s, _, _) = form(
        &app,
        "/meclis/uyeler",
        &cookie,
        &[("name", &name), ("phone", "05321234567")],
    )
    .await;
    assert_eq!(s, 403);
    assert!(roll(&app).await.is_empty());
    // A missing contact: the error at the field, linked from the summary, text kept.
    let (s, _, html) = form(
        &app,
        "/meclis/uyeler",
        &cookie,
        &[("csrf", &csrf), ("name", &name)],
    )
    .await;
    assert_eq!(s, 400, "{html}");
    assert!(html.contains("href=\"#email\""), "{html}");
    assert!(html.contains("giriş kodları için"), "{html}");
    assert!(
        !html.contains(SCRIPT) && html.contains("Ali &lt;script&gt;"),
        "{html}"
    );
    let (s, to, _) = form(
        &app,
        "/meclis/uyeler",
        &cookie,
        &[
            ("csrf", &csrf),
            ("name", &name),
            ("phone", "05321234567"),
            ("role", "resident"),
        ],
    )
    .await;
    assert_eq!((s, to.as_str()), (303, "/mbs/meclis?tamam=eklendi"));
    let (s, _, _) = form(
        &app,
        "/meclis/uyeler",
        &cookie,
        &[
            ("csrf", &csrf),
            ("name", "Ayşe Kaya"),
            ("email", "ayse@ornek.com"),
        ],
    )
    .await;
    assert_eq!(s, 303);
    let (_, html) = page(&app, "/meclis?tamam=eklendi", &cookie).await;
    assert!(
        html.contains("Üye eklendi.") && html.contains("+905321234567"),
        "{html}"
    );
    assert!(!html.contains(SCRIPT), "{html}");
    assert!(html.contains("Üyelikten çıkar"));
    assert_eq!(
        council_forms(&html),
        3,
        "two members' Üyelikten çıkar and Üye ekle"
    );

    // A vote: errors at the field; then opened with a title of markup.
    let (s, _, html) = form(
        &app,
        "/meclis/oylamalar",
        &cookie,
        &[("csrf", &csrf), ("title", "Park"), ("closes_at", "yarın")],
    )
    .await;
    assert_eq!(s, 400);
    assert!(html.contains("href=\"#closes_at\""), "{html}");
    let title = format!("Bank {SCRIPT}");
    let (s, _, _) = form(
        &app,
        "/meclis/oylamalar",
        &cookie,
        &[("title", &title), ("closes_at", "2030-01-01T10:00")],
    )
    .await;
    assert_eq!(s, 403);
    let (s, to, html) = form(
        &app,
        "/meclis/oylamalar",
        &cookie,
        &[
            ("csrf", &csrf),
            ("title", &title),
            ("closes_at", "2030-01-01T10:00"),
            ("options", "Evet\nHayır"),
            ("secret", "1"),
        ],
    )
    .await;
    assert_eq!(s, 303, "{html}");
    assert!(
        to.starts_with("/mbs/meclis/oylamalar/") && to.ends_with("?tamam=acildi"),
        "{to}"
    );
    let vote_path = to
        .trim_start_matches("/mbs")
        .split('?')
        .next()
        .unwrap()
        .to_owned();
    let (s, html) = page(&app, &vote_path, &cookie).await;
    assert_eq!(s, 200);
    assert!(
        !html.contains(SCRIPT) && html.contains("Bank &lt;script&gt;"),
        "{html}"
    );
    assert!(html.contains("Oy kaydet") && html.contains("Makbuz doğrula"));
    assert!(!html.contains("Oylamayı kapat"), "not over yet");
    let (_, list) = page(&app, "/meclis/oylamalar", &cookie).await;
    assert!(
        !list.contains(SCRIPT) && list.contains("Gizli oylama"),
        "{list}"
    );

    // A ballot: the receipt on the answer, never again.
    let members = roll(&app).await;
    let member = members
        .iter()
        .find(|m| m.name.starts_with("Ali"))
        .unwrap()
        .id
        .to_string();
    let (s, _, _) = form(
        &app,
        &format!("{vote_path}/oy"),
        &cookie,
        &[("member", &member), ("choice", "Evet")],
    )
    .await;
    assert_eq!(s, 403);
    let (s, _, html) = form(
        &app,
        &format!("{vote_path}/oy"),
        &cookie,
        &[("csrf", &csrf), ("member", &member), ("choice", "Evet")],
    )
    .await;
    assert_eq!(s, 200, "{html}");
    let receipt = html
        .split("class=\"tracking-number\"><strong>")
        .nth(1)
        .and_then(|r| r.split('<').next())
        .unwrap()
        .to_owned();
    assert_eq!(receipt.len(), 14, "{receipt}");
    let (_, again) = page(&app, &vote_path, &cookie).await;
    assert!(!again.contains(&receipt), "the receipt is shown once");
    let (s, _, html) = form(
        &app,
        &format!("{vote_path}/oy"),
        &cookie,
        &[("csrf", &csrf), ("member", &member), ("choice", "Hayır")],
    )
    .await;
    assert_eq!(s, 400, "{html}");
    assert!(
        html.contains("href=\"#member\"") && html.contains("oyunu kullandı"),
        "{html}"
    );
    // The receipt checked: the choice, no member.
    let (s, _, html) = form(
        &app,
        &format!("{vote_path}/makbuz"),
        &cookie,
        &[("csrf", &csrf), ("receipt", &receipt)],
    )
    .await;
    assert_eq!(s, 200);
    assert!(
        html.contains("Bu makbuzun oyu: <strong>Evet</strong>"),
        "{html}"
    );
    let (s, _, html) = form(
        &app,
        &format!("{vote_path}/makbuz"),
        &cookie,
        &[("csrf", &csrf), ("receipt", "AAAA-AAAA-AAAA")],
    )
    .await;
    assert_eq!(s, 400);
    assert!(html.contains("href=\"#receipt\""), "{html}");

    // Over: closed with the result and its hash.
    app.clock.advance(chrono::Duration::days(3650));
    // (A new session: the old one ran out with the years.)
    let (cookie, csrf) = session(&app, "ayse").await;
    let (_, html) = page(&app, &vote_path, &cookie).await;
    assert!(
        html.contains("Oylamayı kapat") && !html.contains("Oy kaydet</button>"),
        "{html}"
    );
    let (s, _, _) = form(&app, &format!("{vote_path}/kapat"), &cookie, &[]).await;
    assert_eq!(s, 403);
    let (s, to, _) = form(
        &app,
        &format!("{vote_path}/kapat"),
        &cookie,
        &[("csrf", &csrf)],
    )
    .await;
    assert_eq!(s, 303);
    assert!(to.ends_with("?tamam=kapandi"));
    let (_, html) = page(&app, to.trim_start_matches("/mbs"), &cookie).await;
    assert!(html.contains("Oylama kapandı; sonuç donduruldu."), "{html}");
    assert!(
        html.contains("2 üyeden 1 üye oy kullandı (%50,0)"),
        "{html}"
    );
    assert!(html.contains("Sağlandı"), "{html}");
    assert!(html.contains("<code class=\"hash\">"), "{html}");
    assert!(!html.contains("Oylamayı kapat"));

    // Taking a member off the roll: CSRF first; kept on record.
    let path = format!("/meclis/uyeler/{member}/cikar");
    let (s, _, _) = form(&app, &path, &cookie, &[]).await;
    assert_eq!(s, 403);
    assert!(roll(&app).await.iter().all(|m| m.removed_at.is_none()));
    let (s, _, _) = form(&app, &path, &cookie, &[("csrf", &csrf)]).await;
    assert_eq!(s, 303);
    let (_, html) = page(&app, "/meclis", &cookie).await;
    assert!(html.contains("Çıkarıldı ("), "{html}");
    assert!(member.parse::<MemberId>().is_ok());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readers_see_the_pages_without_forms_and_other_muhtars_are_refused() {
    let app = app().await;
    let muhtar = app.actor("muhtar:kuzguncuk");
    let m = app
        .mbs
        .mbs
        .add_member(
            &muhtar,
            &"kuzguncuk".parse().unwrap(),
            muhtar_core::council::NewMember {
                name: format!("Veli {SCRIPT}"),
                phone: Some("05321234567".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    use muhtar_core::clock::Clock;
    let v = app
        .mbs
        .mbs
        .open_vote(
            &muhtar,
            &"kuzguncuk".parse().unwrap(),
            muhtar_core::council::NewVote::new(
                "Park",
                app.clock.now() + chrono::Duration::hours(1),
            ),
        )
        .await
        .unwrap();

    for who in ["koord", "denetci"] {
        let (cookie, csrf) = session(&app, who).await;
        let (s, html) = page(&app, "/meclis", &cookie).await;
        assert_eq!(s, 200, "{who}");
        assert!(html.contains("name=\"muhtarlik\""), "{who}: the chooser");
        let (s, html) = page(&app, "/meclis?muhtarlik=kuzguncuk", &cookie).await;
        assert_eq!(s, 200, "{who}");
        assert!(
            html.contains("Veli &lt;script&gt;") && !html.contains(SCRIPT),
            "{html}"
        );
        assert!(council_forms(&html) == 0, "{who}: {html}");
        let (s, html) = page(&app, "/meclis/oylamalar?muhtarlik=kuzguncuk", &cookie).await;
        assert_eq!(s, 200);
        assert!(
            html.contains(">Park</a>") && !html.contains("Oylama aç"),
            "{html}"
        );
        let (s, html) = page(&app, &format!("/meclis/oylamalar/{}", v.id), &cookie).await;
        assert_eq!(s, 200);
        assert!(council_forms(&html) == 0, "{who}: {html}");
        // A post of theirs is refused by core, nothing written.
        let (s, _, _) = form(
            &app,
            "/meclis/uyeler",
            &cookie,
            &[("csrf", &csrf), ("name", "X"), ("phone", "05321234567")],
        )
        .await;
        assert_eq!(s, 403);
        let (s, _, _) = form(
            &app,
            &format!("/meclis/oylamalar/{}/oy", v.id),
            &cookie,
            &[
                ("csrf", &csrf),
                ("member", &m.id.to_string()),
                ("choice", "Kabul"),
            ],
        )
        .await;
        assert_eq!(s, 403);
    }
    assert_eq!(roll(&app).await.len(), 1);

    let (cookie, csrf) = session(&app, "mehmet").await;
    let (s, html) = page(&app, "/meclis?muhtarlik=kuzguncuk", &cookie).await;
    assert_eq!(s, 200);
    assert!(
        !html.contains("Veli"),
        "a muhtar sees their own council only"
    );
    let (s, _) = page(&app, &format!("/meclis/oylamalar/{}", v.id), &cookie).await;
    assert_eq!(s, 404);
    let (s, _, _) = form(
        &app,
        &format!("/meclis/uyeler/{}/cikar", m.id),
        &cookie,
        &[("csrf", &csrf)],
    )
    .await;
    assert_eq!(s, 404);
    assert!(roll(&app).await[0].removed_at.is_none());
    let (cookie, _) = session(&app, "fen").await;
    let (s, _) = page(&app, "/meclis", &cookie).await;
    assert_eq!(s, 403);
}
