//! The works pages (`/isler`) over real HTTP: unit staff publish a work with the form
//! (errors at the field first, the typed values kept), the muhtar whose boundary it
//! touches sees it and others do not, a second body's overlapping work is a clash on the
//! coordinator's page (a muhtar is refused it), markup in a title is text, every POST
//! without its CSRF token is refused with nothing written, and closing takes the
//! version shown.

use std::sync::Arc;

use axum::Router;
use muhtar_core::access::Actor;
use muhtar_core::clock::{Clock, ManualClock};
use muhtar_core::map::work::WorkQuery;
use muhtar_core::map::Shape;
use muhtar_core::service::{Mbs, NewUser};
use muhtar_core::store::Store;
use muhtar_core::testkit::{fixtures, MemoryStore};
use muhtar_http::{router, AppState};
use reqwest::header::{COOKIE, LOCATION};

use crate::mount::serve;

const TENANT: &str = "isler";
const PW: &str = "uzun-bir-parola-42";
const SCRIPT: &str = "<script>alert(1)</script>";

struct App {
    state: Arc<AppState>,
    base: String,
}

/// The fixture organisation with a square boundary for Kuzguncuk (29.02–29.04 E,
/// 41.03–41.045 N); users `fen` (Fen İşleri), `park` (Park ve Bahçeler), `ali` (muhtar of
/// Kuzguncuk), `veli` (muhtar of Çengelköy), `koord` (coordinator).
async fn app() -> App {
    let clock = Arc::new(ManualClock::new(fixtures::t0()));
    let store: Arc<dyn Store> = Arc::new(MemoryStore::default());
    let mbs = Mbs::new(
        store,
        clock as Arc<dyn Clock>,
        muhtar_core::ids::SeededRandom::new(5),
    );
    let mut org = fixtures::organisation(TENANT);
    let square: Shape = serde_json::from_str(
        r#"{"type":"Polygon","coordinates":[[[29.02,41.03],[29.04,41.03],[29.04,41.045],[29.02,41.045],[29.02,41.03]]]}"#,
    )
    .unwrap();
    org.boundaries
        .0
        .insert("kuzguncuk".parse().unwrap(), square);
    mbs.install_organisation(&Actor::system(org.tenant.id.clone()), org)
        .await
        .unwrap();
    let admin = Actor::parse(&fixtures::tenant(TENANT), "admin").unwrap();
    for (name, actor) in [
        ("fen", "unit:fen-isleri"),
        ("park", "unit:park-bahce"),
        ("ali", "muhtar:kuzguncuk"),
        ("veli", "muhtar:cengelkoy"),
        ("koord", "coordinator"),
    ] {
        mbs.add_user(&admin, NewUser::new(name, actor, PW))
            .await
            .unwrap();
    }
    let state = AppState::builder(mbs).build();
    let base = serve(Router::new().merge(router(state.clone()))).await;
    App { state, base }
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

fn request(a: &App, method: reqwest::Method, path: &str, cookie: &str) -> reqwest::RequestBuilder {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .request(method, format!("{}{path}", a.base))
        .header(COOKIE, format!("muhtar_oturum={cookie}"))
}

async fn get(a: &App, path: &str, cookie: &str) -> (u16, String) {
    let r = request(a, reqwest::Method::GET, path, cookie)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

/// Posts `form`: the status, the `Location` header and the page.
async fn post(a: &App, path: &str, cookie: &str, form: &[(&str, &str)]) -> (u16, String, String) {
    let r = request(a, reqwest::Method::POST, path, cookie)
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

async fn works(a: &App) -> usize {
    a.state
        .mbs
        .works(
            &Actor::system(fixtures::tenant(TENANT)),
            &WorkQuery::default(),
            100,
        )
        .await
        .unwrap()
        .len()
}

#[tokio::test]
async fn units_publish_works_muhtars_see_theirs_and_the_coordinator_sees_clashes() {
    let a = app().await;
    let (fen, fen_csrf) = session(&a, "fen").await;

    // The form: Fen İşleri preselected, every label of the contract.
    let (status, page) = get(&a, "/isler/yeni", &fen).await;
    assert_eq!(status, 200, "{page}");
    for label in [
        "Başlık",
        "Tür",
        "Birim",
        "Başlangıç",
        "Bitiş",
        "Enlem",
        "Boylam",
        "Alan (GeoJSON)",
        "İletişim",
    ] {
        assert!(
            page.contains(&format!(">{label}</label>")),
            "no label {label}: {page}"
        );
    }
    assert!(
        page.contains(r#"<option value="fen-isleri" selected>"#),
        "{page}"
    );
    assert!(
        !page.contains(r#"value="park-bahce""#),
        "another unit offered: {page}"
    );

    // Missing fields: every one at its field, the typed title kept, nothing written.
    let title = format!("Paşalimanı Caddesi asfalt {SCRIPT}");
    let (status, _, page) = post(
        &a,
        "/isler/yeni",
        &fen,
        &[
            ("csrf", &fen_csrf),
            ("title", &title),
            ("kind", "road-works"),
            ("unit", "fen-isleri"),
        ],
    )
    .await;
    assert_eq!(status, 400, "{page}");
    assert!(
        page.contains(r##"<a href="#starts_at">Başlangıç alanını doldurun</a>"##),
        "{page}"
    );
    assert!(
        page.contains(r##"<a href="#ends_at">Bitiş alanını doldurun</a>"##),
        "{page}"
    );
    assert!(page.contains(r##"<a href="#lat">Yer: enlem"##), "{page}");
    assert!(
        page.contains("Paşalimanı Caddesi asfalt &lt;script&gt;"),
        "{page}"
    );
    assert!(!page.contains(SCRIPT), "markup echoed: {page}");
    assert_eq!(works(&a).await, 0);

    // Without the CSRF token: refused, nothing written.
    let full = [
        ("title", title.as_str()),
        ("kind", "road-works"),
        ("unit", "fen-isleri"),
        ("starts_at", "2025-03-20T08:00"),
        ("ends_at", "2025-04-20T18:00"),
        ("lat", "41.035"),
        ("lon", "29.03"),
        ("contact", "444 0 123"),
    ];
    let (status, _, _) = post(&a, "/isler/yeni", &fen, &full).await;
    assert_eq!(status, 403);
    assert_eq!(works(&a).await, 0);

    // Published: to the work's page, Kuzguncuk's muhtar told.
    let mut with_csrf = full.to_vec();
    with_csrf.push(("csrf", &fen_csrf));
    let (status, location, _) = post(&a, "/isler/yeni", &fen, &with_csrf).await;
    assert_eq!(status, 303, "{location}");
    assert!(location.ends_with("?tamam=yayimlandi"), "{location}");
    let work_path = location.split('?').next().unwrap().to_owned();
    let (status, page) = get(&a, &location, &fen).await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("1 mahallenin muhtarına bildirildi"), "{page}");
    assert!(page.contains("Kuzguncuk"), "{page}");
    assert!(
        page.contains("2025-03-20 08:00 – 2025-04-20 18:00"),
        "Istanbul times: {page}"
    );
    assert!(page.contains(">Kapat</button>"), "{page}");
    assert!(!page.contains(SCRIPT), "{page}");

    // Kuzguncuk's muhtar sees it, Çengelköy's does not; neither may close it.
    let (ali, ali_csrf) = session(&a, "ali").await;
    let (_, page) = get(&a, "/isler", &ali).await;
    assert!(
        page.contains("Paşalimanı Caddesi asfalt &lt;script&gt;"),
        "{page}"
    );
    let (veli, _) = session(&a, "veli").await;
    let (_, page) = get(&a, "/isler", &veli).await;
    assert!(
        page.contains("Mahallenize değen bir çalışma yok."),
        "{page}"
    );
    let (_, page) = get(&a, &work_path, &ali).await;
    assert!(!page.contains(">Kapat</button>"), "{page}");

    // Park ve Bahçeler's excavation over the same square in the same weeks: a clash.
    let (park, park_csrf) = session(&a, "park").await;
    let (status, _, page) = post(
        &a,
        "/isler/yeni",
        &park,
        &[
            ("csrf", &park_csrf),
            ("title", "Ağaç kökü kazısı"),
            ("kind", "excavation"),
            ("unit", "park-bahce"),
            ("starts_at", "2025-04-01T08:00"),
            ("ends_at", "2025-05-01T18:00"),
            (
                "area",
                r#"{"type":"LineString","coordinates":[[29.025,41.035],[29.035,41.035]]}"#,
            ),
        ],
    )
    .await;
    assert_eq!(status, 303, "{page}");
    let (koord, _) = session(&a, "koord").await;
    let (status, page) = get(&a, "/isler/cakismalar", &koord).await;
    assert_eq!(status, 200, "{page}");
    assert!(
        page.contains("2025-04-01 08:00 – 2025-04-20 18:00"),
        "the overlap: {page}"
    );
    assert!(
        page.contains("Ağaç kökü kazısı") && page.contains("Paşalimanı"),
        "{page}"
    );
    let (status, _) = get(&a, "/isler/cakismalar", &ali).await;
    assert_eq!(status, 403);

    // Closing: the muhtar is refused, Fen İşleri closes with the version shown.
    let close = format!("{work_path}/kapat");
    let (status, _, _) = post(&a, &close, &ali, &[("csrf", &ali_csrf), ("version", "1")]).await;
    assert_eq!(status, 403);
    let (status, _, _) = post(&a, &close, &fen, &[("version", "1")]).await;
    assert_eq!(status, 403, "no CSRF token");
    let (status, location, _) =
        post(&a, &close, &fen, &[("csrf", &fen_csrf), ("version", "1")]).await;
    assert_eq!(status, 303);
    let (_, page) = get(&a, &location, &fen).await;
    assert!(page.contains("Çalışma kapatıldı"), "{page}");
    assert!(
        page.contains("Kapandı") && !page.contains(">Kapat</button>"),
        "{page}"
    );
    let (_, page) = get(&a, "/isler/cakismalar", &koord).await;
    assert!(
        page.contains("Çakışan çalışma yok."),
        "a closed work clashes no more: {page}"
    );
}
