//! The dashboard (`/pano`), the report and its sign-off (`/rapor`) and the
//! administrator's pages (`/yonetim`) over real HTTP: every POST without its CSRF token
//! is refused (403) with nothing changed; a muhtar is refused the administrator's pages
//! and the sign-off (403, in Turkish); a rules or organisation file with errors shows
//! them by line and installs nothing, a good one is checked then applied; the
//! dashboard's counts are those of the requests submitted, overdue by unit included.

use std::sync::Arc;

use axum::Router;
use chrono::Duration;
use muhtar_core::access::Actor;
use muhtar_core::clock::{Clock, ManualClock};
use muhtar_core::routing::{RoutingError, RuleSet};
use muhtar_core::service::{Mbs, NewUser};
use muhtar_core::store::{DocumentKind, RequestQuery, Store};
use muhtar_core::testkit::{fixtures, MemoryStore};
use muhtar_http::{router, AppState};
use reqwest::header::COOKIE;

use crate::mount::serve;

const TENANT: &str = "yonetim";

/// A form's fields.
type Form<'a> = Vec<(&'a str, &'a str)>;
const PW: &str = "uzun-bir-parola-42";

/// Rules for the fixture organisation: asphalt to Fen İşleri, litter to Park ve Bahçeler.
const RULES: &str = r#"version = "test-1"
fallback = "muhtarliklar"

[[rule]]
name = "asfalt"
category = "asfalt-onarim"
target = "fen-isleri"

[[rule]]
name = "cop"
category = "cop"
target = "park-bahce"
"#;

/// The same rules with an unknown target unit and an unknown category.
const BAD_RULES: &str = r#"version = "test-2"
fallback = "muhtarliklar"

[[rule]]
name = "asfalt"
category = "asfalt-onarim"
target = "fen-isleri"

[[rule]]
name = "cop"
category = "cop"
target = "temizlik-yok"

[[rule]]
name = "budama"
category = "agac-yok"
target = "park-bahce"
"#;

struct App {
    state: Arc<AppState>,
    clock: Arc<ManualClock>,
    base: String,
}

/// A service at the fixtures' t0 with the users `admin`, `resmi` (official), `ali`
/// (muhtar of Kuzguncuk), `koord` (coordinator), served at the root.
async fn app() -> App {
    let clock = Arc::new(ManualClock::new(fixtures::t0()));
    let store: Arc<dyn Store> = Arc::new(MemoryStore::default());
    let mbs = Mbs::new(
        store,
        clock.clone() as Arc<dyn Clock>,
        muhtar_core::ids::SeededRandom::new(11),
    );
    let org = fixtures::organisation(TENANT);
    mbs.install_organisation(&Actor::system(org.tenant.id.clone()), org)
        .await
        .unwrap();
    let admin = Actor::parse(&fixtures::tenant(TENANT), "admin").unwrap();
    for (name, actor) in [
        ("admin", "admin"),
        ("resmi", "official"),
        ("ali", "muhtar:kuzguncuk"),
        ("koord", "coordinator"),
    ] {
        mbs.add_user(&admin, NewUser::new(name, actor, PW))
            .await
            .unwrap();
    }
    mbs.install_rules(&admin, RULES).await.unwrap();
    let state = AppState::builder(mbs).build();
    let base = serve(Router::new().merge(router(state.clone()))).await;
    App { state, clock, base }
}

/// A session of `name`: its cookie value and CSRF token.
async fn session(a: &App, name: &str) -> (String, String) {
    let s = a
        .state
        .mbs
        .login(&fixtures::tenant(TENANT), name, PW)
        .await
        .unwrap();
    (s.secret, s.csrf)
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// A request of `method` to `path` with the session cookie `cookie`.
fn with_cookie(
    a: &App,
    method: reqwest::Method,
    path: &str,
    cookie: &str,
) -> reqwest::RequestBuilder {
    client()
        .request(method, format!("{}{path}", a.base))
        .header(COOKIE, format!("muhtar_oturum={cookie}"))
}

/// The status and the page of `r`.
async fn answer(r: reqwest::Response) -> (u16, String) {
    (r.status().as_u16(), r.text().await.unwrap())
}

async fn get(a: &App, path: &str, cookie: &str) -> (u16, String) {
    answer(
        with_cookie(a, reqwest::Method::GET, path, cookie)
            .send()
            .await
            .unwrap(),
    )
    .await
}

/// Posts the urlencoded `form` to `path` as `cookie`: the response itself.
async fn send_form(a: &App, path: &str, cookie: &str, form: &[(&str, &str)]) -> reqwest::Response {
    with_cookie(a, reqwest::Method::POST, path, cookie)
        .form(form)
        .send()
        .await
        .unwrap()
}

/// Posts the multipart `form` to `path` as `cookie`: the response itself.
async fn send_multipart(
    a: &App,
    path: &str,
    cookie: &str,
    form: reqwest::multipart::Form,
) -> reqwest::Response {
    with_cookie(a, reqwest::Method::POST, path, cookie)
        .multipart(form)
        .send()
        .await
        .unwrap()
}

async fn post(a: &App, path: &str, cookie: &str, form: &[(&str, &str)]) -> (u16, String) {
    answer(send_form(a, path, cookie, form).await).await
}

async fn post_file(
    a: &App,
    path: &str,
    cookie: &str,
    csrf: Option<&str>,
    kind: &str,
    text: &str,
) -> (u16, String) {
    let mut form = reqwest::multipart::Form::new()
        .text("tur", kind.to_owned())
        .text("metin", text.to_owned());
    if let Some(c) = csrf {
        form = form.text("csrf", c.to_owned());
    }
    answer(send_multipart(a, path, cookie, form).await).await
}

/// What the POSTs could change: users, tokens, signed reports, rule set and organisation
/// versions.
async fn state_of(
    a: &App,
) -> (
    usize,
    Vec<Option<chrono::DateTime<chrono::Utc>>>,
    usize,
    u32,
    u32,
) {
    let t = fixtures::tenant(TENANT);
    let admin = Actor::parse(&t, "admin").unwrap();
    let users = a.state.mbs.users(&admin).await.unwrap();
    let disabled = users.iter().filter(|u| !u.is_active()).count();
    let tokens = a.state.mbs.tokens(&admin).await.unwrap();
    let signed = a.state.mbs.signed_reports(&admin).await.unwrap().len();
    let store = a.state.mbs.store();
    let rules = store
        .document_version(&t, DocumentKind::RuleSet)
        .await
        .unwrap();
    let org = store
        .document_version(&t, DocumentKind::Organisation)
        .await
        .unwrap();
    (
        users.len() * 10 + disabled,
        tokens.iter().map(|t| t.revoked_at).collect(),
        signed,
        rules,
        org,
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_post_without_its_csrf_token_is_refused_and_changes_nothing() {
    let a = app().await;
    let (admin, admin_csrf) = session(&a, "admin").await;
    let (official, _) = session(&a, "resmi").await;
    // A token to revoke.
    let (s, page) = post(
        &a,
        "/yonetim/anahtarlar",
        &admin,
        &[
            ("csrf", &admin_csrf),
            ("etiket", "tablet"),
            ("rol", "muhtar"),
            ("yer", "m:kuzguncuk"),
        ],
    )
    .await;
    assert_eq!(s, 200, "{page}");
    let token_id = a
        .state
        .mbs
        .tokens(&Actor::parse(&fixtures::tenant(TENANT), "admin").unwrap())
        .await
        .unwrap()[0]
        .id
        .to_string();
    let before = state_of(&a).await;
    let quarter = "2024Q4";
    let user_form = [
        ("name", "yeni"),
        ("display_name", "Yeni Kişi"),
        ("rol", "auditor"),
        ("yer", ""),
        ("password", PW),
    ];
    let revoke = format!("/yonetim/anahtarlar/{token_id}/iptal");
    let cases: Vec<(&str, &str, Form)> = vec![
        (
            "/rapor/onayla",
            &official,
            vec![("ceyrek", quarter), ("not", "Onaylıyorum")],
        ),
        ("/yonetim/kullanicilar", &admin, user_form.to_vec()),
        ("/yonetim/kullanicilar/ali/kapat", &admin, vec![]),
        (
            "/yonetim/kullanicilar/ali/parola",
            &admin,
            vec![("password", "baska-bir-parola-9")],
        ),
        (
            "/yonetim/anahtarlar",
            &admin,
            vec![("etiket", "x"), ("rol", "auditor")],
        ),
        (&revoke, &admin, vec![]),
        (
            "/yonetim/dosyalar/uygula",
            &admin,
            vec![("tur", "kurallar"), ("metin", RULES)],
        ),
        (
            "/yonetim/dosyalar/uygula",
            &admin,
            vec![("tur", "teskilat"), ("metin", "x")],
        ),
    ];
    for (path, who, form) in &cases {
        for csrf in [None, Some("yanlis")] {
            let mut f = form.clone();
            if let Some(c) = csrf {
                f.push(("csrf", c));
            }
            let (s, body) = post(&a, path, who, &f).await;
            assert_eq!(s, 403, "{path} {csrf:?}: {body}");
            assert!(
                body.contains("Güvenlik doğrulaması başarısız"),
                "{path}: {body}"
            );
        }
    }
    let (s, body) = post_file(
        &a,
        "/yonetim/dosyalar/denetle",
        &admin,
        None,
        "kurallar",
        RULES,
    )
    .await;
    assert_eq!(s, 403, "{body}");
    assert_eq!(state_of(&a).await, before);
    // Ali's password is still the old one.
    session(&a, "ali").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_muhtar_is_refused_the_admin_pages_and_the_sign_off_in_turkish() {
    let a = app().await;
    let (muhtar, csrf) = session(&a, "ali").await;
    let before = state_of(&a).await;
    for path in [
        "/yonetim",
        "/yonetim/kullanicilar",
        "/yonetim/anahtarlar",
        "/yonetim/dosyalar",
        "/rapor",
        "/pano",
    ] {
        let (s, body) = get(&a, path, &muhtar).await;
        assert_eq!(s, 403, "{path}: {body}");
        assert!(body.contains("Yetkiniz yok"), "{path}: {body}");
        assert!(
            body.contains("Bu işlem için yetkiniz yok"),
            "{path}: {body}"
        );
    }
    let (s, body) = post(
        &a,
        "/rapor/onayla",
        &muhtar,
        &[
            ("csrf", &csrf),
            ("ceyrek", "2024Q4"),
            ("not", "Onaylıyorum"),
        ],
    )
    .await;
    assert_eq!(s, 403, "{body}");
    assert!(body.contains("Yetkiniz yok"), "{body}");
    let (s, _) = post(
        &a,
        "/yonetim/kullanicilar",
        &muhtar,
        &[
            ("csrf", &csrf),
            ("name", "x1"),
            ("rol", "admin"),
            ("password", PW),
        ],
    )
    .await;
    assert_eq!(s, 403);
    let (s, _) = post_file(
        &a,
        "/yonetim/dosyalar/denetle",
        &muhtar,
        Some(&csrf),
        "kurallar",
        RULES,
    )
    .await;
    assert_eq!(s, 403);
    assert_eq!(state_of(&a).await, before);
    // The auditor reads the report without the sign-off form.
    let admin = Actor::parse(&fixtures::tenant(TENANT), "admin").unwrap();
    a.state
        .mbs
        .add_user(&admin, NewUser::new("denetci", "auditor", PW))
        .await
        .unwrap();
    let (auditor, _) = session(&a, "denetci").await;
    let (s, body) = get(&a, "/rapor?ceyrek=2024Q4", &auditor).await;
    assert_eq!(s, 200, "{body}");
    assert!(
        body.contains("İmzalı sürümler") && !body.contains("Onayla"),
        "{body}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_official_signs_with_a_note_and_the_signed_version_is_listed_and_shown() {
    let a = app().await;
    let (official, csrf) = session(&a, "resmi").await;
    let (s, body) = get(&a, "/rapor", &official).await;
    assert_eq!(s, 200, "{body}");
    // t0 is in 2025Q1: the last ended quarter is the default.
    assert!(
        body.contains("<option value=\"2024Q4\" selected>"),
        "{body}"
    );
    assert!(body.contains("<button class=\"button\" type=\"submit\">Onayla</button>"));
    // Without a note: the error at the field, nothing signed.
    let (s, body) = post(
        &a,
        "/rapor/onayla",
        &official,
        &[("csrf", &csrf), ("ceyrek", "2024Q4"), ("not", " ")],
    )
    .await;
    assert_eq!(s, 400, "{body}");
    assert!(
        body.contains("href=\"#not\"") && body.contains("Not alanını doldurun"),
        "{body}"
    );
    let note = "<script>alert(1)</script> gözden geçirildi";
    let r = send_form(
        &a,
        "/rapor/onayla",
        &official,
        &[("csrf", csrf.as_str()), ("ceyrek", "2024Q4"), ("not", note)],
    )
    .await;
    assert_eq!(r.status(), 303);
    let to = r.headers()["location"].to_str().unwrap().to_owned();
    let (s, body) = get(&a, &to, &official).await;
    assert_eq!(s, 200, "{body}");
    assert!(body.contains("Rapor onaylandı"), "{body}");
    assert!(
        body.contains("&lt;script&gt;alert(1)&lt;&#x2f;script&gt; gözden geçirildi"),
        "{body}"
    );
    assert!(!body.contains("<script>alert"));
    let signed = a
        .state
        .mbs
        .signed_reports(&Actor::parse(&fixtures::tenant(TENANT), "admin").unwrap())
        .await
        .unwrap();
    assert_eq!(signed.len(), 1);
    assert_eq!(signed[0].note, note.trim());
    let path = format!("/rapor/imzali/{}", signed[0].id);
    let r = with_cookie(&a, reqwest::Method::GET, &path, &official)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let csp = r.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        csp.starts_with("default-src 'none'; style-src 'unsafe-hashes' 'sha256-"),
        "{csp}"
    );
    assert!(!csp.contains("script"), "{csp}");
    let html = r.text().await.unwrap();
    assert!(html.contains("Onaylandı (imzalı): sürüm 1"), "{html}");
    assert!(!html.contains("<script>alert"));
    // The current quarter has not ended: no form, a sentence saying so.
    let (_, body) = get(&a, "/rapor?ceyrek=2025Q1", &official).await;
    assert!(
        !body.contains(">Onayla</button>") && body.contains("çeyrek bittikten sonra"),
        "{body}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rules_file_with_errors_is_shown_by_line_and_nothing_is_installed() {
    let a = app().await;
    let (admin, csrf) = session(&a, "admin").await;
    let before = state_of(&a).await;
    let (s, body) = post_file(
        &a,
        "/yonetim/dosyalar/denetle",
        &admin,
        Some(&csrf),
        "kurallar",
        BAD_RULES,
    )
    .await;
    assert_eq!(s, 422, "{body}");
    assert!(body.contains("2 hata bulundu"), "{body}");
    let org = fixtures::organisation(TENANT);
    let Err(RoutingError::Invalid { problems }) = RuleSet::from_toml_str(BAD_RULES, &org) else {
        panic!("BAD_RULES must be invalid");
    };
    let lines: Vec<usize> = problems
        .iter()
        .filter(|p| p.is_error())
        .map(|p| p.line)
        .collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines, [9, 14], "the lines of the two rules' [[rule]]");
    for (line, message) in lines.iter().zip([
        "hedef birim &quot;temizlik-yok&quot; teşkilatta yok",
        "kategori &quot;agac-yok&quot; teşkilatta yok",
    ]) {
        let row = format!("<th scope=\"row\">{line}</th>");
        let at = body
            .find(&row)
            .unwrap_or_else(|| panic!("no line {line}: {body}"));
        assert!(
            body[at..].split("</tr>").next().unwrap().contains(message),
            "{body}"
        );
    }
    assert!(!body.contains(">Uygula</button>"), "{body}");
    // The same as an uploaded file (the file input wins over the text area).
    let form = reqwest::multipart::Form::new()
        .text("csrf", csrf.clone())
        .text("tur", "kurallar")
        .text("metin", RULES)
        .part(
            "dosya",
            reqwest::multipart::Part::bytes(BAD_RULES.as_bytes().to_vec())
                .file_name("kurallar.toml"),
        );
    let r = send_multipart(&a, "/yonetim/dosyalar/denetle", &admin, form).await;
    assert_eq!(r.status(), 422);
    let uploaded = r.text().await.unwrap();
    assert!(uploaded.contains("2 hata bulundu"), "{uploaded}");
    // A file that is not text: the error at the file input.
    let form = reqwest::multipart::Form::new()
        .text("csrf", csrf.clone())
        .text("tur", "kurallar")
        .part(
            "dosya",
            reqwest::multipart::Part::bytes(vec![0xff, 0xfe, 0x00]).file_name("x.toml"),
        );
    let r = send_multipart(&a, "/yonetim/dosyalar/denetle", &admin, form).await;
    assert_eq!(r.status(), 400);
    let page = r.text().await.unwrap();
    assert!(
        page.contains("href=\"#dosya\"") && page.contains("id=\"dosya-hata\""),
        "{page}"
    );
    // Applying it anyway (a hand-made POST) shows the same and installs nothing.
    let (s, body) = post(
        &a,
        "/yonetim/dosyalar/uygula",
        &admin,
        &[("csrf", &csrf), ("tur", "kurallar"), ("metin", BAD_RULES)],
    )
    .await;
    assert_eq!(s, 422, "{body}");
    assert!(
        body.contains(&format!("<th scope=\"row\">{}</th>", lines[0])),
        "{body}"
    );
    // A broken organisation file: the parser's line.
    let (s, body) = post_file(
        &a,
        "/yonetim/dosyalar/denetle",
        &admin,
        Some(&csrf),
        "teskilat",
        "[tenant]\nid = \"yonetim\"\nname = \n",
    )
    .await;
    assert_eq!(s, 422, "{body}");
    assert!(
        body.contains("<th scope=\"row\">3</th>") && body.contains("dosya okunamadı (TOML)"),
        "{body}"
    );
    // An organisation that drops a unit the rules route to: the rules' problem, by line.
    let org = toml_org_without_park();
    let (s, body) = post_file(
        &a,
        "/yonetim/dosyalar/denetle",
        &admin,
        Some(&csrf),
        "teskilat",
        &org,
    )
    .await;
    assert_eq!(s, 422, "{body}");
    let Err(RoutingError::Invalid { problems }) = RuleSet::from_toml_str(
        RULES,
        &muhtar_core::org::Organisation::from_toml_str(&org).unwrap(),
    ) else {
        panic!("the rules must not fit the organisation without park-bahce");
    };
    let line = problems.iter().find(|p| p.is_error()).unwrap().line;
    assert!(
        body.contains("Yürürlükteki kurallar")
            && body.contains(&format!("<th scope=\"row\">{line}</th>")),
        "{body}"
    );
    assert_eq!(state_of(&a).await, before);

    // A good file: checked (no problems, a summary, the Uygula button), then applied.
    let good = RULES.replace("test-1", "test-3");
    let (s, body) = post_file(
        &a,
        "/yonetim/dosyalar/denetle",
        &admin,
        Some(&csrf),
        "kurallar",
        &good,
    )
    .await;
    assert_eq!(s, 200, "{body}");
    assert!(
        body.contains("Sorun bulunmadı. 2 kural, sürüm test-3"),
        "{body}"
    );
    assert!(body.contains(">Uygula</button>"), "{body}");
    assert_eq!(state_of(&a).await, before, "checking applies nothing");
    let (s, body) = post(
        &a,
        "/yonetim/dosyalar/uygula",
        &admin,
        &[("csrf", &csrf), ("tur", "kurallar"), ("metin", &good)],
    )
    .await;
    assert_eq!(s, 200, "{body}");
    assert!(
        body.contains("Yönlendirme kuralları uygulandı: sürüm test-3"),
        "{body}"
    );
    assert_eq!(state_of(&a).await.3, before.3 + 1);
}

/// The fixture organisation without Park ve Bahçeler (the rules' `cop` target), as TOML.
fn toml_org_without_park() -> String {
    let org = fixtures::organisation(TENANT);
    let mut org = org;
    org.units.retain(|u| u.code.as_str() != "park-bahce");
    // Written back as TOML: the organisation is serde.
    toml_of(&org)
}

fn toml_of(org: &muhtar_core::org::Organisation) -> String {
    let v = serde_json::to_value(org).unwrap();
    json_to_toml(&v)
}

/// A small JSON-to-TOML writer for the organisation's shape (tables of scalars, arrays
/// of tables under the names the file uses).
fn json_to_toml(v: &serde_json::Value) -> String {
    let mut out = String::new();
    let obj = v.as_object().unwrap();
    for (k, val) in obj {
        match val {
            serde_json::Value::Object(m) => {
                out.push_str(&format!("[{k}]\n"));
                for (k2, v2) in m.iter().filter(|(_, v)| !v.is_null()) {
                    out.push_str(&format!("{k2} = {}\n", inline(v2)));
                }
            }
            serde_json::Value::Array(items) if items.iter().all(|i| i.is_object()) => {
                for i in items {
                    out.push_str(&format!("[[{k}]]\n"));
                    for (k2, v2) in i.as_object().unwrap() {
                        if !v2.is_null() {
                            out.push_str(&format!("{k2} = {}\n", inline(v2)));
                        }
                    }
                }
            }
            _ => out.push_str(&format!("{k} = {}\n", inline(val))),
        }
    }
    out
}

fn inline(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::Object(m) => format!(
            "{{ {} }}",
            m.iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| format!("{k} = {}", inline(v)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        serde_json::Value::Array(a) => {
            format!("[{}]", a.iter().map(inline).collect::<Vec<_>>().join(", "))
        }
        other => other.to_string(),
    }
}

/// The number in `<dd id="{id}">…</dd>`.
fn stat(body: &str, id: &str) -> u64 {
    let start = format!("<dd id=\"{id}\">");
    body.split(&start)
        .nth(1)
        .and_then(|r| r.split('<').next())
        .unwrap_or_else(|| panic!("no {id}: {body}"))
        .trim()
        .parse()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dashboard_counts_what_was_submitted_and_overdue_by_unit() {
    let a = app().await;
    let t = fixtures::tenant(TENANT);
    let muhtar = Actor::parse(&t, "muhtar:kuzguncuk").unwrap();
    let submit = |cat: &'static str| {
        let muhtar = muhtar.clone();
        let mbs = &a.state.mbs;
        async move {
            mbs.submit(
                &muhtar,
                fixtures::request_builder("kuzguncuk").category(cat).build(),
            )
            .await
            .unwrap()
        }
    };
    // Friday 14 March 2025: two asphalt, one litter, one answered.
    for cat in ["asfalt-onarim", "asfalt-onarim", "cop"] {
        submit(cat).await;
    }
    let answered = submit("cop").await;
    let unit = Actor::parse(&t, "unit:park-bahce").unwrap();
    a.state
        .mbs
        .execute(
            &unit,
            &answered.state.tracking,
            None,
            serde_json::from_value(
                serde_json::json!({"command": "answer", "outcome": "positive", "text": "Toplandı"}),
            )
            .unwrap(),
        )
        .await
        .unwrap();
    // Six weeks later (Wednesday 23 April): those are overdue; one new today.
    a.clock.advance(Duration::days(40));
    submit("budama").await;

    let (coord, _) = session(&a, "koord").await;
    let (s, body) = get(&a, "/pano", &coord).await;
    assert_eq!(s, 200, "{body}");
    assert_eq!(stat(&body, "bugun"), 1);
    assert_eq!(stat(&body, "bu-hafta"), 1);
    assert_eq!(stat(&body, "acik"), 4);
    let overdue = a
        .state
        .mbs
        .list_overdue(&muhtar, RequestQuery::default())
        .await
        .unwrap()
        .items;
    assert_eq!(stat(&body, "geciken"), overdue.len() as u64);
    assert_eq!(overdue.len(), 3);
    // By unit, with names: Fen İşleri 2 open 2 overdue, Park ve Bahçeler 1 and 1, the
    // coordinator's queue (fallback) 1 open (today's), none overdue.
    for (name, open, late) in [
        ("Fen İşleri Müdürlüğü", 2, 2),
        ("Park ve Bahçeler Müdürlüğü", 1, 1),
        ("Muhtarlık İşleri Müdürlüğü", 1, 0),
    ] {
        let row = format!(
            "<tr><th scope=\"row\">{name}</th><td class=\"num\">{open}</td><td class=\"num\">{late}</td></tr>"
        );
        assert!(body.contains(&row), "{row}\n{body}");
    }
    // The charts: inline SVG with a title and description, no style attribute.
    assert_eq!(body.matches("<svg class=\"chart\" role=\"img\"").count(), 2);
    assert!(body.contains("<title id=\"grafik-birim-baslik\">"));
    assert!(!body.contains("style="), "no inline style");
    // The top category this week is pruning (the only one received this week).
    assert!(body.contains("<tr><th scope=\"row\">Budama ve ağaç kesimi</th><td class=\"num\">1</td><td class=\"num\">1</td></tr>"), "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_administrator_adds_disables_and_sets_passwords_through_the_pages() {
    let a = app().await;
    let (admin, csrf) = session(&a, "admin").await;
    let (ali, _) = session(&a, "ali").await;
    // A bad form: the errors at their fields, the typed values kept, nobody added.
    let (s, body) = post(
        &a,
        "/yonetim/kullanicilar",
        &admin,
        &[
            ("csrf", &csrf),
            ("name", "yeni"),
            ("display_name", "<b>Yeni</b>"),
            ("rol", "muhtar"),
            ("yer", ""),
            ("password", "kisa"),
        ],
    )
    .await;
    assert_eq!(s, 400, "{body}");
    assert!(
        body.contains("href=\"#yer\"") && body.contains("muhtar rolü için bir muhtarlık seçin"),
        "{body}"
    );
    assert!(
        body.contains("value=\"&lt;b&gt;Yeni&lt;&#x2f;b&gt;\""),
        "{body}"
    );
    let (s, body) = post(
        &a,
        "/yonetim/kullanicilar",
        &admin,
        &[
            ("csrf", &csrf),
            ("name", "yeni"),
            ("rol", "unit"),
            ("yer", "u:fen-isleri"),
            ("password", "kisa"),
        ],
    )
    .await;
    assert_eq!(s, 400, "{body}");
    assert!(
        body.contains("href=\"#password\"") && body.contains("Parola en az 10 karakter olmalı"),
        "{body}"
    );
    // A good one: the list shows the role by its display name.
    let r = send_form(
        &a,
        "/yonetim/kullanicilar",
        &admin,
        &[
            ("csrf", csrf.as_str()),
            ("name", "yeni"),
            ("display_name", "Yeni Kişi"),
            ("rol", "unit"),
            ("yer", "u:fen-isleri"),
            ("password", PW),
        ],
    )
    .await;
    assert_eq!(r.status(), 303);
    let (_, body) = get(&a, "/yonetim/kullanicilar?eklendi=yeni", &admin).await;
    assert!(body.contains("yeni</strong> kullanıcısı eklendi"), "{body}");
    assert!(
        body.contains("<td>Fen İşleri Müdürlüğü (birim personeli)</td>"),
        "{body}"
    );
    session(&a, "yeni").await;
    // Disabling ends Ali's session at once.
    assert_eq!(get(&a, "/hesap", &ali).await.0, 200);
    let (s, _) = post(
        &a,
        "/yonetim/kullanicilar/ali/kapat",
        &admin,
        &[("csrf", &csrf)],
    )
    .await;
    assert_eq!(s, 303);
    assert_eq!(get(&a, "/hesap", &ali).await.0, 303);
    // A new password for the coordinator: the old one no longer logs in.
    let (s, _) = post(
        &a,
        "/yonetim/kullanicilar/koord/parola",
        &admin,
        &[("csrf", &csrf), ("password", "yepyeni-parola-7")],
    )
    .await;
    assert_eq!(s, 303);
    let t = fixtures::tenant(TENANT);
    assert!(a.state.mbs.login(&t, "koord", PW).await.is_err());
    a.state
        .mbs
        .login(&t, "koord", "yepyeni-parola-7")
        .await
        .unwrap();
}

/// A boundaries file for the fixture organisation: a 0.01° square for Kuzguncuk and one
/// for Beylerbeyi wound clockwise (a warning); `extra` features after them.
fn geojson(extra: &[&str]) -> String {
    let mut features = vec![
        r#"{"type": "Feature", "properties": {"code": "kuzguncuk"}, "geometry": {"type": "Polygon", "coordinates": [[[29.0, 41.0], [29.01, 41.0], [29.01, 41.01], [29.0, 41.01], [29.0, 41.0]]]}}"#.to_owned(),
        r#"{"type": "Feature", "properties": {"code": "beylerbeyi"}, "geometry": {"type": "Polygon", "coordinates": [[[29.01, 41.0], [29.01, 41.01], [29.02, 41.01], [29.02, 41.0], [29.01, 41.0]]]}}"#.to_owned(),
    ];
    features.extend(extra.iter().map(|f| f.to_string()));
    format!(
        "{{\"type\": \"FeatureCollection\", \"features\": [\n{}\n]}}\n",
        features.join(",\n")
    )
}

/// Posts an organisation file with a boundaries file (`None`: without one) for checking.
async fn post_org_with_boundaries(
    a: &App,
    cookie: &str,
    csrf: &str,
    org: &str,
    boundaries: Option<&str>,
) -> (u16, String) {
    let mut form = reqwest::multipart::Form::new()
        .text("csrf", csrf.to_owned())
        .text("tur", "teskilat")
        .text("metin", org.to_owned());
    if let Some(b) = boundaries {
        form = form.part(
            "sinirlar",
            reqwest::multipart::Part::bytes(b.as_bytes().to_vec()).file_name("sinirlar.geojson"),
        );
    }
    answer(send_multipart(a, "/yonetim/dosyalar/denetle", cookie, form).await).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_organisation_file_is_checked_and_applied_with_its_boundaries_file() {
    let a = app().await;
    let (admin, csrf) = session(&a, "admin").await;
    let before = state_of(&a).await;
    let org = format!(
        "boundaries = \"sinirlar.geojson\"\n\n{}",
        toml_of(&fixtures::organisation(TENANT))
    );
    // The form offers the field.
    let (_, page) = get(&a, "/yonetim/dosyalar", &admin).await;
    assert!(
        page.contains(r#"<label class="label" for="sinirlar">Sınırlar (GeoJSON)</label>"#),
        "{page}"
    );
    // Named but not given: said at the line of `boundaries`.
    let (s, body) = post_org_with_boundaries(&a, &admin, &csrf, &org, None).await;
    assert_eq!(s, 422, "{body}");
    assert!(
        body.contains("<th scope=\"row\">1</th>")
            && body.contains("Sınırlar (GeoJSON) alanında o dosyayı da seçin"),
        "{body}"
    );
    // Given but not named: refused too.
    let (s, body) = post_org_with_boundaries(
        &a,
        &admin,
        &csrf,
        &toml_of(&fixtures::organisation(TENANT)),
        Some(&geojson(&[])),
    )
    .await;
    assert_eq!(s, 422, "{body}");
    assert!(
        body.contains("teşkilat dosyası sınırlar dosyası göstermiyor"),
        "{body}"
    );
    // A feature of a muhtarlık the organisation lacks: its line, feature and code.
    let bad = geojson(&[
        r#"{"type": "Feature", "properties": {"code": "yok"}, "geometry": {"type": "Polygon", "coordinates": [[[29.1, 41.0], [29.11, 41.0], [29.11, 41.01], [29.1, 41.0]]]}}"#,
    ]);
    let (s, body) = post_org_with_boundaries(&a, &admin, &csrf, &org, Some(&bad)).await;
    assert_eq!(s, 422, "{body}");
    assert!(
        body.contains("<th scope=\"row\">4</th>")
            && body.contains("Sınırlar: Öğe 3 (yok)")
            && body.contains("&quot;yok&quot; kodlu muhtarlık teşkilatta yok"),
        "{body}"
    );
    assert_eq!(state_of(&a).await, before, "checking applies nothing");
    // A good one: its warning shown, the Uygula form carrying both files.
    let good = geojson(&[]);
    let (s, body) = post_org_with_boundaries(&a, &admin, &csrf, &org, Some(&good)).await;
    assert_eq!(s, 200, "{body}");
    assert!(
        body.contains("Hata yok (1 uyarı)") && body.contains("2 muhtarlık sınırı"),
        "{body}"
    );
    assert!(
        body.contains("Sınırlar: Öğe 2 (beylerbeyi)") && body.contains("ters yönde çizilmiş"),
        "{body}"
    );
    assert!(
        body.contains(r#"<input type="hidden" name="sinirlar""#),
        "{body}"
    );
    let (s, body) = post(
        &a,
        "/yonetim/dosyalar/uygula",
        &admin,
        &[
            ("csrf", &csrf),
            ("tur", "teskilat"),
            ("metin", &org),
            ("sinirlar", &good),
        ],
    )
    .await;
    assert_eq!(s, 200, "{body}");
    assert!(body.contains("Teşkilat dosyası uygulandı"), "{body}");
    let ctx = a
        .state
        .mbs
        .context(&fixtures::tenant(TENANT))
        .await
        .unwrap();
    assert_eq!(ctx.org.boundaries.len(), 2);
    assert_eq!(
        ctx.org
            .boundaries
            .muhtarlik_at(29.015, 41.005)
            .map(|c| c.as_str()),
        Some("beylerbeyi")
    );
}
