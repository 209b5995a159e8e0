//! The request lists, the queue and the request page over real HTTP (mounted at `/mbs`,
//! memory store, a manual clock): a muhtar sees their own requests ("Taleplerim") and
//! not another muhtar's (404), nor its photo; the unit's queue marks İVEDİ, overdue and
//! at risk (exactly the requests `Mbs::list_at_risk` gives) in words; every
//! action form refuses a POST without the session's CSRF token (403, the request
//! unchanged); an action the status no longer allows is a Turkish error on the page; a
//! negative answer without **Gerekçe** is an error at that field with the typed text
//! kept; an auditor's request page has no form (and core refuses their post); a done
//! action redirects (303) to the page with a confirmation; lists are paged by 50. (The
//! same pages in a real browser: `examples/tests/it/web_talepler.rs`.)

use std::sync::Arc;

use axum::Router;
use muhtar_core::access::Actor;
use muhtar_core::clock::{Clock, ManualClock};
use muhtar_core::request::Status;
use muhtar_core::service::{Mbs, NewUser};
use muhtar_core::store::Store;
use muhtar_core::testkit::{fixtures, MemoryStore};
use muhtar_core::token::{hash_secret, ApiToken};
use muhtar_core::tracking::TrackingNumber;
use muhtar_http::{router, AppState, Service};
use reqwest::header::{COOKIE, LOCATION, SET_COOKIE};

use crate::mount::{serve, TENANT};

const PW: &str = "uzun-bir-parola-42";

/// The router at `/mbs` over a store with the fixture organisation and one user per
/// role.
pub(crate) struct App {
    pub(crate) base: String,
    pub(crate) mbs: Arc<AppState>,
    pub(crate) clock: Arc<ManualClock>,
    _uploads: tempfile::TempDir,
}

/// The API token of Kuzguncuk's muhtar (for submissions with a photo).
const TOKEN: &str = "mbs_talepler_kuzguncuk";

impl App {
    async fn start() -> App {
        App::start_on(Arc::new(MemoryStore::default())).await
    }

    /// [`App`] over `store`.
    pub(crate) async fn start_on(store: Arc<dyn Store>) -> App {
        App::start_with(store, Vec::new()).await
    }

    /// [`App`] over `store`, the server holding the document signing `keys`.
    pub(crate) async fn start_with(
        store: Arc<dyn Store>,
        keys: Vec<muhtar_core::document::DocumentKey>,
    ) -> App {
        let clock = Arc::new(ManualClock::new(fixtures::t0()));
        let dyn_clock: Arc<dyn Clock> = clock.clone();
        let mbs: Service =
            Mbs::new(store, dyn_clock, muhtar_core::ids::SeededRandom::new(7)).document_keys(keys);
        let org = fixtures::organisation(TENANT);
        mbs.install_organisation(&Actor::system(org.tenant.id.clone()), org)
            .await
            .unwrap();
        let admin = Actor::parse(&fixtures::tenant(TENANT), "admin").unwrap();
        for (name, role) in [
            ("ayse", "muhtar:kuzguncuk"),
            ("mehmet", "muhtar:cengelkoy"),
            ("birim", "unit:muhtarliklar"),
            ("fen", "unit:fen-isleri"),
            ("koord", "coordinator"),
            ("denetci", "auditor"),
        ] {
            mbs.add_user(&admin, NewUser::new(name, role, PW))
                .await
                .unwrap();
        }
        mbs.store()
            .create_token(&ApiToken {
                id: uuid::Uuid::from_u128(2),
                tenant: fixtures::tenant(TENANT),
                actor: "muhtar:kuzguncuk".into(),
                name: "test".into(),
                hash: hash_secret(TOKEN),
                created_at: fixtures::t0(),
                revoked_at: None,
            })
            .await
            .unwrap();
        let uploads = tempfile::tempdir().unwrap();
        let state = AppState::builder(mbs).uploads(uploads.path()).build();
        let base = serve(Router::new().nest("/mbs", router(state.clone()))).await;
        App {
            base,
            mbs: state,
            clock,
            _uploads: uploads,
        }
    }

    pub(crate) fn actor(&self, role: &str) -> Actor {
        Actor::parse(&fixtures::tenant(TENANT), role).unwrap()
    }

    /// A request of Kuzguncuk (`urgent`: İVEDİ): its tracking number.
    pub(crate) async fn submit(&self, subject: &str, urgent: bool) -> TrackingNumber {
        let mut b = fixtures::request_builder("kuzguncuk").subject(subject);
        if urgent {
            b = b.priority(muhtar_core::request::Priority::Urgent);
        }
        let rec = self
            .mbs
            .mbs
            .submit(&self.actor("muhtar:kuzguncuk"), b.build())
            .await
            .unwrap();
        rec.state.tracking
    }

    pub(crate) async fn state(&self, t: &TrackingNumber) -> muhtar_core::request::RequestState {
        self.mbs
            .mbs
            .get(&self.actor("admin"), t)
            .await
            .unwrap()
            .state
    }

    /// Logs `name` in: the session cookie.
    pub(crate) async fn log_in(&self, name: &str) -> Session {
        let r = client()
            .get(format!("{}/mbs/giris", self.base))
            .send()
            .await
            .unwrap();
        let token = cookie_of(&r, "muhtar_giris");
        let r = client()
            .post(format!("{}/mbs/giris", self.base))
            .header(COOKIE, format!("muhtar_giris={token}"))
            .form(&[("kullanici", name), ("parola", PW), ("csrf", &token)])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 303, "login of {name}");
        Session {
            base: self.base.clone(),
            cookie: cookie_of(&r, "muhtar_oturum"),
        }
    }
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

fn cookie_of(r: &reqwest::Response, name: &str) -> String {
    r.headers()
        .get_all(SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap())
        .find_map(|v| v.strip_prefix(&format!("{name}=")))
        .and_then(|v| v.split(';').next())
        .unwrap_or_else(|| panic!("no cookie {name}"))
        .to_owned()
}

pub(crate) struct Session {
    base: String,
    cookie: String,
}

impl Session {
    /// The `Cookie` header of the session.
    pub(crate) fn cookie_header(&self) -> String {
        format!("muhtar_oturum={}", self.cookie)
    }

    pub(crate) async fn get(&self, path: &str) -> (u16, String) {
        let r = client()
            .get(format!("{}/mbs{path}", self.base))
            .header(COOKIE, format!("muhtar_oturum={}", self.cookie))
            .send()
            .await
            .unwrap();
        (r.status().as_u16(), r.text().await.unwrap())
    }

    /// The CSRF token of the session (every page's header form carries it).
    pub(crate) async fn csrf(&self) -> String {
        let (_, html) = self.get("").await;
        html.split("name=\"csrf\" value=\"")
            .nth(1)
            .and_then(|r| r.split('"').next())
            .unwrap()
            .to_owned()
    }

    /// Posts `fields` to `path`: the status, the Location and the body.
    pub(crate) async fn post(
        &self,
        path: &str,
        fields: &[(&str, &str)],
    ) -> (u16, Option<String>, String) {
        let r = client()
            .post(format!("{}/mbs{path}", self.base))
            .header(COOKIE, format!("muhtar_oturum={}", self.cookie))
            .form(fields)
            .send()
            .await
            .unwrap();
        let loc = r
            .headers()
            .get(LOCATION)
            .map(|l| l.to_str().unwrap().to_owned());
        (r.status().as_u16(), loc, r.text().await.unwrap())
    }
}

/// The forms of a page that post to a request (not the header's **Çıkış**).
fn action_forms(html: &str) -> usize {
    html.matches("method=\"post\" action=\"&#x2f;mbs&#x2f;talepler")
        .count()
        + html
            .matches("method=\"post\" action=\"&#x2f;mbs/talepler")
            .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_muhtar_sees_their_own_requests_and_not_another_muhtars() {
    let app = App::start().await;
    let t = app.submit("Okul önünde <b>çukur</b>", true).await;
    let ayse = app.log_in("ayse").await;
    let (s, list) = ayse.get("/talepler").await;
    assert_eq!(s, 200, "{list}");
    assert!(
        list.contains("<h1 class=\"heading-l\">Taleplerim</h1>"),
        "{list}"
    );
    assert!(list.contains(&t.to_string()), "{list}");
    assert!(
        list.contains("Okul önünde &lt;b&gt;çukur&lt;&#x2f;b&gt;"),
        "{list}"
    );
    assert!(list.contains(">İVEDİ</strong>"), "{list}");
    // By status: open, not answered.
    assert!(list.contains(">Cevap bekleyenler</a>"), "{list}");
    let (_, open) = ayse.get("/talepler?status=open").await;
    assert!(open.contains(&t.to_string()), "{open}");
    let (_, answered) = ayse.get("/talepler?status=answered").await;
    assert!(!answered.contains(&t.to_string()), "{answered}");
    assert!(
        answered.contains("Bu ölçütlere uyan talep yok."),
        "{answered}"
    );
    // The home page links to the list.
    let (_, home) = ayse.get("").await;
    assert!(home.contains(">Taleplerim</a>"), "{home}");
    let (s, page) = ayse.get(&format!("/talepler/{t}")).await;
    assert_eq!(s, 200, "{page}");
    for h in ["Durum", "Cevap süresi", "Geçmiş"] {
        assert!(page.contains(&format!("\">{h}</h2>")), "{h}: {page}");
    }
    assert!(page.contains("Kuzguncuk"), "{page}");
    // Cevap süresi: the deadline and its explanation, as Mbs::deadline gives them.
    let clocks = app
        .mbs
        .mbs
        .deadline(&app.actor("muhtar:kuzguncuk"), &t)
        .await
        .unwrap();
    let due = muhtar_core::calendar::local_time(clocks.resolution.due.to_utc());
    assert!(
        page.contains(&format!("<strong>{due}</strong>")),
        "{due}: {page}"
    );
    for line in clocks.resolution.explanation.describe() {
        let line = line
            .replace('/', "&#x2f;")
            .replace('"', "&quot;")
            .replace('\'', "&#x27;");
        assert!(page.contains(&format!("<li>{line}</li>")), "{line}: {page}");
    }
    // The muhtar may write and withdraw, but not answer.
    assert!(page.contains(">Geri çek</button>"), "{page}");
    assert!(page.contains(">Mesaj gönder</button>"), "{page}");
    assert!(!page.contains(">Cevabı gönder</button>"), "{page}");

    let mehmet = app.log_in("mehmet").await;
    let (s, other) = mehmet.get(&format!("/talepler/{t}")).await;
    assert_eq!(s, 404, "{other}");
    assert!(!other.contains("çukur"), "{other}");
    let (_, list) = mehmet.get("/talepler").await;
    assert!(!list.contains(&t.to_string()), "{list}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_queue_marks_urgent_and_overdue_requests_in_words() {
    let app = App::start().await;
    let late = app.submit("Eski talep", false).await;
    app.clock.advance(chrono::Duration::days(40));
    let urgent = app.submit("Acil talep", true).await;
    let birim = app.log_in("birim").await;
    let (s, q) = birim.get("/kuyruk").await;
    assert_eq!(s, 200, "{q}");
    assert!(q.contains("<h1 class=\"heading-l\">İş kuyruğu</h1>"), "{q}");
    // Urgent first, then the earliest deadline; each marked in words.
    let (iu, il) = (
        q.find(&urgent.to_string()).unwrap(),
        q.find(&late.to_string()).unwrap(),
    );
    assert!(iu < il, "{q}");
    assert!(q.contains(">Süresi geçti</strong>"), "{q}");
    assert!(q.contains(">İVEDİ</strong>"), "{q}");
    let (_, only_late) = birim.get("/kuyruk?overdue=1").await;
    assert!(only_late.contains(&late.to_string()), "{only_late}");
    assert!(!only_late.contains(&urgent.to_string()), "{only_late}");
    // Another unit's queue is not theirs.
    let (s, _) = birim.get("/kuyruk?unit=fen-isleri").await;
    assert_eq!(s, 403);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_action_refuses_a_post_without_the_csrf_token() {
    let app = App::start().await;
    let t = app.submit("Çukur", false).await;
    let before = app.state(&t).await;
    for (who, verbs) in [
        (
            "birim",
            &[
                "accept", "reply", "pause", "resume", "transfer", "answer", "extend", "close",
            ][..],
        ),
        ("ayse", &["message", "reopen", "withdraw"][..]),
        ("koord", &["reroute"][..]),
    ] {
        let s = app.log_in(who).await;
        for verb in verbs {
            for csrf in [None, Some("yanlis")] {
                let mut fields = vec![
                    ("text", "x"),
                    ("note", "x"),
                    ("reason", "x"),
                    ("outcome", "positive"),
                    ("to", "fen-isleri"),
                ];
                if let Some(c) = csrf {
                    fields.push(("csrf", c));
                }
                let (status, _, body) = s.post(&format!("/talepler/{t}/{verb}"), &fields).await;
                assert_eq!(status, 403, "{who} {verb}: {body}");
                assert!(body.contains("Güvenlik doğrulaması"), "{body}");
            }
        }
    }
    assert_eq!(app.state(&t).await, before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn actions_redirect_with_a_confirmation_and_illegal_ones_are_turkish_errors() {
    let app = App::start().await;
    let t = app.submit("Çukur", false).await;
    let birim = app.log_in("birim").await;
    let csrf = birim.csrf().await;
    let (_, page) = birim.get(&format!("/talepler/{t}")).await;
    assert!(page.contains(">Kabul et</button>"), "{page}");
    // The fixture's policy has no extension (Law 4982 only): no form for it.
    assert!(!page.contains(">Süreyi uzat</button>"), "{page}");
    let (s, loc, _) = birim
        .post(&format!("/talepler/{t}/accept"), &[("csrf", &csrf)])
        .await;
    assert_eq!(s, 303);
    assert_eq!(loc.unwrap(), format!("/mbs/talepler/{t}?tamam=accept"));
    assert_eq!(app.state(&t).await.status, Status::InProgress);
    let (_, page) = birim.get(&format!("/talepler/{t}?tamam=accept")).await;
    assert!(page.contains("Talep işleme alındı."), "{page}");
    // Accepted: no second Kabul et; posting it anyway is a Turkish error.
    assert!(!page.contains(">Kabul et</button>"), "{page}");
    let (s, _, page) = birim
        .post(&format!("/talepler/{t}/accept"), &[("csrf", &csrf)])
        .await;
    assert_eq!(s, 409, "{page}");
    assert!(
        page.contains("Bu işlem talebin şu anki durumunda (işlemde) yapılamaz")
            || page.contains("Bu işlem talebin şu anki durumunda"),
        "{page}"
    );
    assert!(page.contains("href=\"#islemler\""), "{page}");

    // An empty interim reply: core's input error, at the field by its label.
    let (s, _, page) = birim
        .post(
            &format!("/talepler/{t}/reply"),
            &[("csrf", &csrf), ("text", "  ")],
        )
        .await;
    assert_eq!(s, 400, "{page}");
    assert!(page.contains("href=\"#reply-text\""), "{page}");
    assert!(page.contains("Ara cevap metni alanını doldurun"), "{page}");
    assert!(page.contains("id=\"reply-text-hata\""), "{page}");
    // Negative without Gerekçe: the error at the field, the typed text kept.
    let typed = "Bütçe <script>alert(1)</script> yok";
    let (s, _, page) = birim
        .post(
            &format!("/talepler/{t}/answer"),
            &[
                ("csrf", &csrf),
                ("outcome", "negative"),
                ("reason", ""),
                ("text", typed),
            ],
        )
        .await;
    assert_eq!(s, 400, "{page}");
    assert!(page.contains("<title>Hata: "), "{page}");
    assert!(page.contains("href=\"#answer-reason\""), "{page}");
    assert!(page.contains("id=\"answer-reason-hata\""), "{page}");
    assert!(
        page.contains("Olumsuz cevap için bir gerekçe seçin"),
        "{page}"
    );
    assert!(
        page.contains("Bütçe &lt;script&gt;alert(1)&lt;&#x2f;script&gt; yok</textarea>"),
        "{page}"
    );
    assert!(!page.contains("<script>alert(1)"), "{page}");
    assert_eq!(app.state(&t).await.status, Status::InProgress);
    // With it: answered; the muhtar reads outcome, reason and text.
    let (s, _, page) = birim
        .post(
            &format!("/talepler/{t}/answer"),
            &[
                ("csrf", &csrf),
                ("outcome", "negative"),
                ("reason", "no-budget"),
                ("text", typed),
            ],
        )
        .await;
    assert_eq!(s, 303, "{page}");
    let st = app.state(&t).await;
    assert_eq!(st.status, Status::Answered);
    let ayse = app.log_in("ayse").await;
    let (_, page) = ayse.get(&format!("/talepler/{t}")).await;
    assert!(
        page.contains("<dt>Sonuç</dt><dd><strong>olumsuz</strong>"),
        "{page}"
    );
    assert!(page.contains(">Yeniden aç</button>"), "{page}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_auditors_request_page_has_no_forms() {
    let app = App::start().await;
    let t = app.submit("Çukur", false).await;
    let denetci = app.log_in("denetci").await;
    let (s, page) = denetci.get(&format!("/talepler/{t}")).await;
    assert_eq!(s, 200, "{page}");
    assert_eq!(action_forms(&page), 0, "{page}");
    assert!(!page.contains("İşlemler"), "{page}");
    // Posting an action anyway (with the token): refused by core, nothing changed.
    let before = app.state(&t).await;
    let csrf = denetci.csrf().await;
    let (s, _, refused) = denetci
        .post(&format!("/talepler/{t}/accept"), &[("csrf", &csrf)])
        .await;
    assert_eq!(s, 403, "{refused}");
    assert!(refused.contains("Bu işlem için yetkiniz yok"), "{refused}");
    assert_eq!(app.state(&t).await, before);
    // The coordinator may reroute, with the routing explanation.
    let koord = app.log_in("koord").await;
    let (_, page) = koord.get(&format!("/talepler/{t}")).await;
    assert!(page.contains(">Yeniden yönlendir</button>"), "{page}");
    assert!(page.contains("id=\"yonlendirme-aciklamasi\""), "{page}");
    assert!(action_forms(&page) >= 1, "{page}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_request_page_shows_its_photo_to_those_who_may_see_it() {
    use reqwest::multipart::{Form, Part};
    let app = App::start().await;
    let mut photo = vec![0x89u8, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A];
    photo.extend(b"Kuzguncuk".iter().cycle().take(300));
    let form = Form::new()
        .part(
            "request",
            Part::text(r#"{"category": "asfalt-onarim", "subject": "Fotoğraflı"}"#),
        )
        .part(
            "photo",
            Part::bytes(photo.clone()).file_name("foto.png".to_owned()),
        );
    let v: serde_json::Value = client()
        .post(format!("{}/mbs/api/v1/requests", app.base))
        .bearer_auth(TOKEN)
        .multipart(form)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let (t, sha) = (
        v["tracking"].as_str().unwrap().to_owned(),
        v["attachments"][0]["sha256"].as_str().unwrap().to_owned(),
    );
    let ayse = app.log_in("ayse").await;
    let (s, page) = ayse.get(&format!("/talepler/{t}")).await;
    assert_eq!(s, 200, "{page}");
    assert!(page.contains("\">Ekler</h2>"), "{page}");
    let img = page
        .split("<img src=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .unwrap_or_else(|| panic!("no photo: {page}"))
        .replace("&#x2f;", "/");
    assert_eq!(img, format!("/mbs/talepler/{t}/ekler/{sha}"));
    let r = client()
        .get(format!("{}{img}", app.base))
        .header(COOKIE, format!("muhtar_oturum={}", ayse.cookie))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "image/png");
    assert_eq!(r.bytes().await.unwrap().as_ref(), photo.as_slice());
    // Another muhtar, or a file the request does not have: not found.
    let mehmet = app.log_in("mehmet").await;
    let (s, _) = mehmet.get(&format!("/talepler/{t}/ekler/{sha}")).await;
    assert_eq!(s, 404);
    let (s, _) = ayse
        .get(&format!("/talepler/{t}/ekler/{}", "0".repeat(64)))
        .await;
    assert_eq!(s, 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_queue_marks_at_risk_the_requests_core_lists_at_risk() {
    let app = App::start().await;
    let risky = app.submit("Yaklaşan", false).await;
    let due = app
        .mbs
        .mbs
        .get(&app.actor("admin"), &risky)
        .await
        .unwrap()
        .deadlines
        .resolution_due
        .unwrap();
    app.clock.set(due - chrono::Duration::hours(2));
    let fresh = app.submit("Yeni", false).await;
    let core: Vec<String> = app
        .mbs
        .mbs
        .list_at_risk(
            &app.actor("unit:muhtarliklar"),
            muhtar_core::store::RequestQuery::default(),
        )
        .await
        .unwrap()
        .items
        .iter()
        .map(|r| r.state.tracking.to_string())
        .collect();
    assert_eq!(core, vec![risky.to_string()]);
    let birim = app.log_in("birim").await;
    let (_, q) = birim.get("/kuyruk").await;
    let card = |t: &TrackingNumber| {
        q.split("<li class=\"request-card")
            .find(|c| c.contains(&t.to_string()))
            .unwrap_or_else(|| panic!("{t} not listed: {q}"))
            .to_owned()
    };
    assert!(card(&risky).contains(">Süresi yaklaşıyor</strong>"), "{q}");
    assert!(!card(&fresh).contains("Süresi"), "{q}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lists_are_paged_by_fifty_and_the_next_page_continues_after_the_last_row() {
    let app = App::start().await;
    let mut all = Vec::new();
    for i in 0..55 {
        all.push(app.submit(&format!("Çukur {i}"), false).await.to_string());
        app.clock.advance(chrono::Duration::minutes(1));
    }
    let birim = app.log_in("birim").await;
    for path in ["/kuyruk", "/talepler?category=asfalt-onarim"] {
        let (s, first) = birim.get(path).await;
        assert_eq!(s, 200, "{first}");
        assert_eq!(
            first.matches("<li class=\"request-card").count(),
            50,
            "{first}"
        );
        let next = first
            .split("id=\"sonraki-sayfa\"")
            .next()
            .and_then(|h| h.rsplit("href=\"").next())
            .and_then(|h| h.split('"').next())
            .unwrap_or_else(|| panic!("no next page: {first}"))
            .replace("&#x2f;", "/")
            .replace("&amp;", "&");
        let next = next.strip_prefix("/mbs").unwrap();
        let (s, second) = birim.get(next).await;
        assert_eq!(s, 200, "{next}: {second}");
        assert_eq!(second.matches("<li class=\"request-card").count(), 5);
        assert!(!second.contains("id=\"sonraki-sayfa\""), "{second}");
        // Earliest deadline first: the first page the oldest 50, the second the rest.
        for (i, t) in all.iter().enumerate() {
            let (on_first, on_second) = (first.contains(t.as_str()), second.contains(t.as_str()));
            assert!(on_first != on_second, "{t} on both or neither page");
            assert_eq!(on_first, i < 50, "{path}: {t} (#{i})");
        }
    }
}

/// The squares the boundaries test gives Kuzguncuk and Beylerbeyi: 0.01° at (29.0, 41.0)
/// and at (29.01, 41.0).
fn square_boundaries(org: &mut muhtar_core::org::Organisation) {
    use muhtar_core::ids::MuhtarlikCode;
    use muhtar_core::map::Shape;
    let square = |x: f64| -> Shape {
        serde_json::from_value(serde_json::json!({
            "type": "Polygon",
            "coordinates": [[[x, 41.0], [x + 0.01, 41.0], [x + 0.01, 41.01], [x, 41.01], [x, 41.0]]],
        }))
        .unwrap()
    };
    for (m, x) in [("kuzguncuk", 29.0), ("beylerbeyi", 29.01)] {
        org.boundaries
            .0
            .insert(MuhtarlikCode::new(m).unwrap(), square(x));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_request_page_warns_of_a_location_outside_the_muhtarlik() {
    let app = App::start().await;
    let mut org = fixtures::organisation(TENANT);
    square_boundaries(&mut org);
    app.mbs
        .mbs
        .install_organisation(&app.actor("admin"), org)
        .await
        .unwrap();
    let at = |lon: f64| {
        fixtures::request_builder("kuzguncuk")
            .location(muhtar_core::request::Location { lat: 41.005, lon })
            .build()
    };
    let muhtar = app.actor("muhtar:kuzguncuk");
    let outside = app.mbs.mbs.submit(&muhtar, at(29.015)).await.unwrap();
    let inside = app.mbs.mbs.submit(&muhtar, at(29.005)).await.unwrap();
    let koord = app.log_in("koord").await;
    let (s, page) = koord
        .get(&format!("/talepler/{}", outside.state.tracking))
        .await;
    assert_eq!(s, 200, "{page}");
    assert!(page.contains("<dt>Konum</dt><dd>41.005, 29.015"), "{page}");
    assert!(
        page.contains(
            "<span id=\"konum-uyarisi\">Konum, Kuzguncuk Mahallesi sınırlarının dışında; nokta Beylerbeyi Mahallesi içinde.</span>"
        ),
        "{page}"
    );
    let (_, page) = koord
        .get(&format!("/talepler/{}", inside.state.tracking))
        .await;
    assert!(page.contains("<dt>Konum</dt><dd>41.005, 29.005"), "{page}");
    assert!(!page.contains("konum-uyarisi"), "{page}");
}
