//! The new request form `/talep/yeni` over real HTTP, mounted under `/mbs`: nobody signed
//! in is sent to `/giris`; a POST without the session's CSRF token (or with the photo
//! before it) is refused with 403 and nothing is stored; a missing **Konu** is 400 with
//! the error summary linking to `#subject` and the typed values kept; a muhtar may not
//! say when a request arrived, nor submit for another muhtarlık (core refuses: nothing
//! stored); a multipart submission with a photo stores it as the request's attachment
//! (seen through the REST API), a photo larger than a form body is taken, one too large
//! or not an image is refused at the field; the coordinator's back-office entry records the channel,
//! the receipt time typed in Istanbul local time, the muhtarlık, the registration number
//! and the citizen's contact, and a receipt time in the future is refused at the field,
//! in Turkish; one in a quarter whose report is signed asks the coordinator for a
//! **Düzeltme gerekçesi** and is recorded with it.

use std::sync::Arc;

use axum::Router;
use muhtar_core::access::Actor;
use muhtar_core::request::Channel;
use muhtar_core::service::NewUser;
use muhtar_core::testkit::fixtures;
use muhtar_core::tracking::TrackingNumber;
use muhtar_http::{router, AppState};
use reqwest::header::{COOKIE, LOCATION};
use reqwest::multipart::{Form, Part};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::mount::{serve, service, SECRET, TENANT};

const PW: &str = "uzun-bir-parola-42";

/// A JPEG's first bytes (the type is checked by content) and a little more.
const JPEG: &[u8] = &[
    0xFF, 0xD8, 0xFF, 0xE0, 0, 16, b'J', b'F', b'I', b'F', 0, 1, 2, 3,
];

struct App {
    state: Arc<AppState>,
    base: String,
    uploads: tempfile::TempDir,
}

/// The router at `/mbs` with uploads in a temporary directory and the users `ayse`
/// (muhtar of Kuzguncuk), `koord` (coordinator) and `denetci` (auditor).
async fn app() -> App {
    let mbs = service().await;
    let admin = Actor::parse(&fixtures::tenant(TENANT), "admin").unwrap();
    for (name, actor) in [
        ("ayse", "muhtar:kuzguncuk"),
        ("koord", "coordinator"),
        ("denetci", "auditor"),
    ] {
        mbs.add_user(&admin, NewUser::new(name, actor, PW))
            .await
            .unwrap();
    }
    let uploads = tempfile::tempdir().unwrap();
    let state = AppState::builder(mbs).uploads(uploads.path()).build();
    let base = serve(Router::new().nest("/mbs", router(state.clone()))).await;
    App {
        state,
        base,
        uploads,
    }
}

/// A signed-in person: the session cookie and the forms' CSRF token.
struct Session {
    cookie: String,
    csrf: String,
}

async fn log_in(app: &App, name: &str) -> Session {
    let s = muhtar_http::session::login(&app.state, &fixtures::tenant(TENANT), name, PW, None)
        .await
        .unwrap();
    Session {
        cookie: format!("muhtar_oturum={}", s.secret),
        csrf: s.csrf,
    }
}

/// A client that shows redirects instead of following them.
fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// The status, the `Location` (or "") and the page of `r`.
async fn answer(r: reqwest::Response) -> (u16, String, String) {
    let status = r.status().as_u16();
    let location = r
        .headers()
        .get(LOCATION)
        .map(|l| l.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (status, location, r.text().await.unwrap())
}

async fn get(app: &App, path: &str, session: Option<&Session>) -> (u16, String, String) {
    let mut r = client().get(format!("{}/mbs{path}", app.base));
    if let Some(s) = session {
        r = r.header(COOKIE, &s.cookie);
    }
    answer(r.send().await.unwrap()).await
}

/// Posts the multipart `form` to `/talep/yeni` as `session`.
async fn send_form(app: &App, session: &Session, form: Form) -> reqwest::Response {
    client()
        .post(format!("{}/mbs/talep/yeni", app.base))
        .header(COOKIE, &session.cookie)
        .multipart(form)
        .send()
        .await
        .unwrap()
}

/// The tracking number of the result page a submission redirected to.
fn tracking_of(location: &str) -> TrackingNumber {
    location
        .strip_prefix("/mbs/talep/yeni/")
        .unwrap_or_else(|| panic!("{location}"))
        .parse()
        .unwrap()
}

/// `path` of the REST API as the muhtar's API token reads it.
async fn api_json(app: &App, path: &str) -> Value {
    client()
        .get(format!("{}/mbs/api/v1{path}", app.base))
        .bearer_auth(SECRET)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// Posts the form `fields` (in order; `("photo", …)` is a file part) as `session`:
/// the status, the `Location` and the page.
async fn post(app: &App, session: &Session, fields: &[(&str, &str)]) -> (u16, String, String) {
    let mut form = Form::new();
    for (k, v) in fields {
        form = if *k == "photo" {
            form.part(
                "photo",
                Part::bytes(JPEG.to_vec())
                    .file_name(v.to_string())
                    .mime_str("image/jpeg")
                    .unwrap(),
            )
        } else {
            form.text(k.to_string(), v.to_string())
        };
    }
    answer(send_form(app, session, form).await).await
}

/// The requests stored, as the muhtar's API token sees them.
async fn stored(app: &App) -> Vec<Value> {
    let v = api_json(app, "/requests").await;
    v["items"].as_array().cloned().unwrap_or_default()
}

/// Files in the uploads directory (stored photos, temporary files).
fn files_in(dir: &std::path::Path) -> usize {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            if e.file_type().unwrap().is_dir() {
                files_in(&e.path())
            } else {
                1
            }
        })
        .sum()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nobody_signed_in_is_sent_to_the_login_page() {
    let app = app().await;
    let (status, location, _) = get(&app, "/talep/yeni", None).await;
    assert_eq!(status, 303);
    assert_eq!(location, "/mbs/giris");
    let r = client()
        .post(format!("{}/mbs/talep/yeni", app.base))
        .form(&[("subject", "x")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    assert!(stored(&app).await.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_form_has_the_labels_of_the_contract_and_the_back_office_fields_for_staff() {
    let app = app().await;
    let ayse = log_in(&app, "ayse").await;
    let (status, _, html) = get(&app, "/talep/yeni", Some(&ayse)).await;
    assert_eq!(status, 200);
    for label in [
        r#"<label class="label" for="category">Kategori</label>"#,
        r#"<label class="label" for="subject">Konu</label>"#,
        r#"<label class="label" for="description">Açıklama</label>"#,
        r#"<label class="label" for="photo">Fotoğraf</label>"#,
        r#"<label class="label" for="location.lat">Enlem</label>"#,
        ">Konumumu kullan</button>",
        r#"<button class="button" type="submit">Gönder</button>"#,
        r#"accept="image/*" capture="environment""#,
        r#"enctype="multipart/form-data""#,
        // Categories by name, their codes the values.
        r#"<option value="asfalt-onarim">"#,
    ] {
        assert!(html.contains(label), "{label} missing: {html}");
    }
    assert!(!html.contains(r#"for="received_at""#), "{html}");
    assert!(!html.contains("Kişisel veri"), "{html}");
    let koord = log_in(&app, "koord").await;
    let (status, _, html) = get(&app, "/talep/yeni", Some(&koord)).await;
    assert_eq!(status, 200);
    for label in [
        r#"for="channel">Kanal</label>"#,
        r#"for="received_at">Başvuru zamanı</label>"#,
        r#"type="datetime-local""#,
        r#"for="muhtarlik">Muhtarlık</label>"#,
        r#"for="registration_number">Evrak no</label>"#,
        r#"for="citizen.name">Ad soyad</label>"#,
        r#"for="citizen.phone">Telefon</label>"#,
        r#"for="citizen.email">E-posta</label>"#,
        "Kişisel veri",
        ">CİMER</option>",
        ">WhatsApp</option>",
        r#"<option value="phone" selected>Telefon</option>"#,
        ">Çengelköy Mahallesi (Üsküdar)</option>",
    ] {
        assert!(html.contains(label), "{label} missing: {html}");
    }
    // An auditor may not submit: core's refusal, as a page.
    let denetci = log_in(&app, "denetci").await;
    let (status, _, html) = get(&app, "/talep/yeni", Some(&denetci)).await;
    assert_eq!(status, 403, "{html}");
    assert!(html.contains("yetkiniz yok"), "{html}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_post_without_the_csrf_token_is_refused_and_nothing_is_stored() {
    let app = app().await;
    let ayse = log_in(&app, "ayse").await;
    let fields = [
        ("category", "asfalt-onarim"),
        ("subject", "Okul önünde çukur"),
        ("photo", "cukur.jpg"),
    ];
    let (status, _, html) = post(&app, &ayse, &fields).await;
    assert_eq!(status, 403, "{html}");
    assert!(html.contains("hiçbir şey değiştirilmedi"), "{html}");
    let mut wrong = vec![("csrf", "yanlis")];
    wrong.extend(fields);
    assert_eq!(post(&app, &ayse, &wrong).await.0, 403);
    // The photo before the token: refused before it is received.
    let mut late = fields.to_vec();
    late.push(("csrf", ayse.csrf.as_str()));
    assert_eq!(post(&app, &ayse, &late).await.0, 403);
    // Urlencoded, without a token.
    let r = client()
        .post(format!("{}/mbs/talep/yeni", app.base))
        .header(COOKIE, &ayse.cookie)
        .form(&[("category", "asfalt-onarim"), ("subject", "x")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    assert!(stored(&app).await.is_empty());
    assert_eq!(files_in(app.uploads.path()), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_subject_is_shown_at_the_field_and_the_typed_values_are_kept() {
    let app = app().await;
    let ayse = log_in(&app, "ayse").await;
    let (status, _, html) = post(
        &app,
        &ayse,
        &[
            ("csrf", &ayse.csrf),
            ("category", "asfalt-onarim"),
            ("subject", "  "),
            ("description", "Okulun <b>önünde</b>\nbüyük bir çukur"),
            ("location.lat", "41,0255"),
            ("location.lon", "29.0330"),
            ("photo", "cukur.jpg"),
        ],
    )
    .await;
    assert_eq!(status, 400, "{html}");
    assert!(html.contains("<title>Hata: "), "{html}");
    assert!(
        html.contains(r##"<li><a href="#subject">Konu alanını doldurun</a></li>"##),
        "{html}"
    );
    assert!(
        html.contains(r#"<p class="error-message" id="subject-hata"><span class="visually-hidden">Hata:</span> Konu alanını doldurun</p>"#),
        "{html}"
    );
    assert!(html.contains(r#"aria-describedby="subject-ipucu subject-hata""#));
    // The typed values, as text.
    assert!(
        html.contains(r#"<option value="asfalt-onarim" selected>"#),
        "{html}"
    );
    assert!(
        html.contains("Okulun &lt;b&gt;önünde&lt;&#x2f;b&gt;\nbüyük bir çukur</textarea>"),
        "{html}"
    );
    assert!(html.contains(r#"value="41,0255""#), "{html}");
    // The photo is asked for again; nothing was stored.
    assert!(html.contains("fotoğrafı yeniden seçin"), "{html}");
    assert!(stored(&app).await.is_empty());
    assert_eq!(files_in(app.uploads.path()), 0);

    // A coordinate that is no number: at its field.
    let (status, _, html) = post(
        &app,
        &ayse,
        &[
            ("csrf", &ayse.csrf),
            ("category", "asfalt-onarim"),
            ("subject", "Çukur"),
            ("location.lat", "kuzey"),
            ("location.lon", "29"),
        ],
    )
    .await;
    assert_eq!(status, 400);
    assert!(
        html.contains(r##"<a href="#location.lat">Enlem bir sayı olmalı"##),
        "{html}"
    );
    // No category chosen: at the select, in Turkish.
    let (status, _, html) = post(
        &app,
        &ayse,
        &[("csrf", &ayse.csrf), ("category", ""), ("subject", "Çukur")],
    )
    .await;
    assert_eq!(status, 400);
    assert!(
        html.contains(r##"<a href="#category">Kategori: listeden birini seçin</a>"##),
        "{html}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_muhtar_may_not_use_the_back_office_fields_core_forbids() {
    let app = app().await;
    let ayse = log_in(&app, "ayse").await;
    // When it arrived: back-office staff only.
    let (status, _, html) = post(
        &app,
        &ayse,
        &[
            ("csrf", &ayse.csrf),
            ("category", "asfalt-onarim"),
            ("subject", "Dünkü çukur"),
            ("received_at", "2025-03-13T10:00"),
        ],
    )
    .await;
    assert_eq!(status, 400, "{html}");
    assert!(html.contains("yalnızca arka ofis"), "{html}");
    // Another muhtarlık: not theirs.
    let (status, _, html) = post(
        &app,
        &ayse,
        &[
            ("csrf", &ayse.csrf),
            ("muhtarlik", "cengelkoy"),
            ("category", "asfalt-onarim"),
            ("subject", "Komşu mahallede çukur"),
        ],
    )
    .await;
    assert_eq!(status, 403, "{html}");
    assert!(html.contains("yetkiniz yok"), "{html}");
    assert!(stored(&app).await.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_submission_with_a_photo_stores_it_as_the_requests_attachment() {
    let app = app().await;
    let ayse = log_in(&app, "ayse").await;
    let (status, location, html) = post(
        &app,
        &ayse,
        &[
            ("csrf", &ayse.csrf),
            ("category", "asfalt-onarim"),
            ("subject", "Okul önünde çukur"),
            ("description", "Derin"),
            ("location.lat", "41,0255"),
            ("location.lon", "29,0330"),
            ("photo", "cukur.jpg"),
        ],
    )
    .await;
    assert_eq!(status, 303, "{html}");
    let tracking = tracking_of(&location);
    // The result page: the tracking number, links to the request and to a new one.
    let (status, _, html) = get(&app, &format!("/talep/yeni/{tracking}"), Some(&ayse)).await;
    assert_eq!(status, 200, "{html}");
    assert!(
        html.contains(&format!(
            r#"<dt>Takip numarası</dt><dd class="code tracking-number" id="takip-numarasi">{tracking}</dd>"#
        )),
        "{html}"
    );
    // (minijinja escapes `/` in attributes as `&#x2f;`.)
    let html = html.replace("&#x2f;", "/");
    assert!(
        html.contains(&format!(r#"mbs/talepler/{tracking}">Talebi görüntüle</a>"#)),
        "{html}"
    );
    assert!(
        html.contains(r#"mbs/talep/yeni">Yeni bir talep daha</a>"#),
        "{html}"
    );
    assert!(html.contains("cukur.jpg (1 KB)"), "{html}");
    assert!(html.contains("<dd>MBS web</dd>"), "{html}");
    // The REST API sees the request with its attachment, and serves the photo.
    let v = api_json(&app, &format!("/requests/{tracking}")).await;
    let sha = hex::encode(Sha256::digest(JPEG));
    assert_eq!(v["attachments"][0]["sha256"], sha.as_str(), "{v}");
    assert_eq!(v["attachments"][0]["media_type"], "image/jpeg");
    assert_eq!(v["attachments"][0]["file_name"], "cukur.jpg");
    assert_eq!(v["location"]["lat"], 41.0255, "{v}");
    assert_eq!(v["channel"], "mbs-web");
    let photo = client()
        .get(format!(
            "{}/mbs/api/v1/requests/{tracking}/attachments/{sha}",
            app.base
        ))
        .bearer_auth(SECRET)
        .send()
        .await
        .unwrap();
    assert_eq!(photo.status(), 200);
    assert_eq!(photo.bytes().await.unwrap().as_ref(), JPEG);
    // Someone else's result page: not found.
    let koord = log_in(&app, "koord").await;
    let (status, _, _) = get(&app, "/talep/yeni/7KM-3QX-9PA", Some(&koord)).await;
    assert_eq!(status, 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_coordinator_enters_a_back_office_request_with_its_channel_time_and_contact() {
    let app = app().await;
    let koord = log_in(&app, "koord").await;
    let base = [
        ("csrf", koord.csrf.as_str()),
        ("channel", "whatsapp"),
        ("muhtarlik", "cengelkoy"),
        ("registration_number", "E-2025/118"),
        ("category", "asfalt-onarim"),
        ("subject", "Sahil yolunda çukur"),
        ("citizen.name", "Mehmet Kaya"),
        ("citizen.phone", "0532 444 55 66"),
        ("citizen.email", ""),
    ];
    // In the future (the service's clock: 14 March 2025 12:00 Istanbul): at the field.
    let mut future = base.to_vec();
    future.push(("received_at", "2025-03-15T10:00"));
    let (status, _, html) = post(&app, &koord, &future).await;
    assert_eq!(status, 400, "{html}");
    assert!(
        html.contains(r##"<a href="#received_at">Başvuru zamanı ileri bir tarih olamaz"##),
        "{html}"
    );
    assert!(html.contains(r#"value="2025-03-15T10:00""#), "{html}");
    assert!(
        html.contains(r#"<option value="whatsapp" selected>"#),
        "{html}"
    );
    assert!(html.contains(r#"value="Mehmet Kaya""#), "{html}");
    // A bad phone number: at the field, in Turkish.
    let mut phone = base.to_vec();
    phone[7] = ("citizen.phone", "12");
    let (status, _, html) = post(&app, &koord, &phone).await;
    assert_eq!(status, 400, "{html}");
    assert!(
        html.contains(r##"<a href="#citizen.phone">Telefon: Türkiye&#x27;de geçerli"##),
        "{html}"
    );
    // Yesterday afternoon, Istanbul time.
    let mut past = base.to_vec();
    past.push(("received_at", "2025-03-13T15:30"));
    let (status, location, html) = post(&app, &koord, &past).await;
    assert_eq!(status, 303, "{html}");
    let tracking = tracking_of(&location);
    let coordinator = Actor::parse(&fixtures::tenant(TENANT), "coordinator").unwrap();
    let rec = app.state.mbs.get(&coordinator, &tracking).await.unwrap();
    let c = &rec.state.content;
    assert_eq!(c.channel, Channel::Whatsapp);
    assert_eq!(c.muhtarlik.as_str(), "cengelkoy");
    assert_eq!(c.registration_number.as_deref(), Some("E-2025/118"));
    // The REST view shows the Evrak no too.
    let view = muhtar_http::api::RequestView::from(&rec);
    assert_eq!(view.registration_number.as_deref(), Some("E-2025/118"));
    assert_eq!(c.received_at.to_rfc3339(), "2025-03-13T12:30:00+00:00");
    let citizen = c.citizen.as_ref().unwrap();
    assert_eq!(citizen.name, "Mehmet Kaya");
    assert!(citizen.phone.is_some());
    assert_eq!(citizen.email, None);
    let (_, _, html) = get(&app, &format!("/talep/yeni/{tracking}"), Some(&koord)).await;
    for shown in [
        "<dd>WhatsApp</dd>",
        "<dd>Çengelköy Mahallesi</dd>",
        "<dd>E-2025&#x2f;118</dd>",
        "<dd>2025-03-13 15:30</dd>",
        "<dd>Mehmet Kaya</dd>",
        "Kişisel veri",
    ] {
        assert!(html.contains(shown), "{shown} missing: {html}");
    }
}

/// Posts the muhtar's form with `photo` as the file part `name`.
async fn post_photo(app: &App, session: &Session, name: &str, photo: Vec<u8>) -> (u16, String) {
    let form = Form::new()
        .text("csrf", session.csrf.clone())
        .text("category", "asfalt-onarim")
        .text("subject", "Okul önünde çukur")
        .part("photo", Part::bytes(photo).file_name(name.to_owned()));
    let r = send_form(app, session, form).await;
    (r.status().as_u16(), r.text().await.unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_large_photo_is_taken_and_a_wrong_one_is_refused_at_the_field() {
    let app = app().await;
    let ayse = log_in(&app, "ayse").await;
    // Larger than a JSON or form body may be (1 MiB): the form takes photos up to 10 MiB.
    let mut big = JPEG.to_vec();
    big.resize(3 * 1024 * 1024, 7);
    let (status, html) = post_photo(&app, &ayse, "buyuk.jpg", big).await;
    assert_eq!(status, 303, "{html}");
    assert_eq!(stored(&app).await.len(), 1);
    // Too large: at the field, the typed values kept.
    let mut huge = JPEG.to_vec();
    huge.resize(11 * 1024 * 1024, 7);
    let (status, html) = post_photo(&app, &ayse, "dev.jpg", huge).await;
    assert_eq!(status, 400, "{html}");
    assert!(
        html.contains(r##"<a href="#photo">Fotoğraf en çok 10 MB olabilir"##),
        "{html}"
    );
    assert!(html.contains(r#"value="Okul önünde çukur""#), "{html}");
    // Not an image: at the field.
    let (status, html) = post_photo(&app, &ayse, "not.txt", b"merhaba".to_vec()).await;
    assert_eq!(status, 400, "{html}");
    assert!(
        html.contains(r##"<a href="#photo">Fotoğraf JPEG, PNG ya da WebP"##),
        "{html}"
    );
    assert_eq!(stored(&app).await.len(), 1);
    // Only the big photo is stored; no temporary file is left.
    assert_eq!(files_in(app.uploads.path()), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_receipt_in_a_signed_quarter_needs_the_coordinators_reason() {
    use muhtar_core::clock::{Clock, ManualClock};
    use muhtar_core::report::Quarter;
    use muhtar_core::testkit::MemoryStore;
    let at = |m, d| chrono::TimeZone::with_ymd_and_hms(&chrono::Utc, 2025, m, d, 9, 0, 0).unwrap();
    let clock = Arc::new(ManualClock::new(at(3, 20)));
    let mbs = muhtar_core::service::Mbs::new(
        Arc::new(MemoryStore::default()) as Arc<dyn muhtar_core::store::Store>,
        clock.clone() as Arc<dyn Clock>,
        muhtar_core::ids::SeededRandom::new(7),
    );
    let t = fixtures::tenant(TENANT);
    let org = fixtures::organisation(TENANT);
    mbs.install_organisation(&Actor::system(t.clone()), org)
        .await
        .unwrap();
    let admin = Actor::parse(&t, "admin").unwrap();
    mbs.add_user(&admin, NewUser::new("koord", "coordinator", PW))
        .await
        .unwrap();
    clock.set(at(4, 3));
    mbs.sign_report(
        &Actor::parse(&t, "official").unwrap(),
        Quarter::new(2025, 1).unwrap(),
        None,
        "Uygundur",
    )
    .await
    .unwrap();
    let uploads = tempfile::tempdir().unwrap();
    let state = AppState::builder(mbs).uploads(uploads.path()).build();
    let base = serve(Router::new().nest("/mbs", router(state.clone()))).await;
    let app = App {
        state,
        base,
        uploads,
    };
    let koord = log_in(&app, "koord").await;
    let late = [
        ("csrf", koord.csrf.as_str()),
        ("channel", "petition"),
        ("received_at", "2025-03-28T10:00"),
        ("muhtarlik", "kuzguncuk"),
        ("category", "asfalt-onarim"),
        ("subject", "Geç taranan dilekçe"),
    ];
    // Refused at the field; the form now asks for the reason.
    let (status, _, html) = post(&app, &koord, &late).await;
    assert_eq!(status, 400, "{html}");
    assert!(
        html.contains(r##"<a href="#received_at">Başvuru zamanı (2025-03-28 10:00) raporu onaylanmış bir çeyreğe düşüyor"##),
        "{html}"
    );
    assert!(
        html.contains(r#"<label class="label" for="force_reason">Düzeltme gerekçesi</label>"#),
        "{html}"
    );
    // With the reason: recorded, the receipt forced into the signed quarter.
    let mut forced = late.to_vec();
    forced.push(("force_reason", "Dilekçe geç tarandı"));
    let (status, location, html) = post(&app, &koord, &forced).await;
    assert_eq!(status, 303, "{html}");
    let tracking = tracking_of(&location);
    let rec = app
        .state
        .mbs
        .get(&Actor::parse(&t, "coordinator").unwrap(), &tracking)
        .await
        .unwrap();
    let f = rec.state.content.received_at_forced.as_ref().unwrap();
    assert_eq!(f.reason, "Dilekçe geç tarandı");
    assert_eq!(rec.state.content.channel, Channel::Petition);
    let (_, _, html) = get(&app, &format!("/talep/yeni/{tracking}"), Some(&koord)).await;
    assert!(
        html.contains("<dt>Düzeltme gerekçesi</dt><dd>Dilekçe geç tarandı"),
        "{html}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn back_office_entry_takes_or_suggests_the_muhtarlik_of_the_location() {
    let app = app().await;
    // Kuzguncuk and Beylerbeyi get 0.01° squares side by side.
    let mut org = fixtures::organisation(TENANT);
    for (m, x) in [("kuzguncuk", 29.0), ("beylerbeyi", 29.01)] {
        let square: muhtar_core::map::Shape = serde_json::from_value(serde_json::json!({
            "type": "Polygon",
            "coordinates": [[[x, 41.0], [x + 0.01, 41.0], [x + 0.01, 41.01], [x, 41.01], [x, 41.0]]],
        }))
        .unwrap();
        org.boundaries
            .0
            .insert(muhtar_core::ids::MuhtarlikCode::new(m).unwrap(), square);
    }
    let admin = Actor::parse(&fixtures::tenant(TENANT), "admin").unwrap();
    app.state
        .mbs
        .install_organisation(&admin, org)
        .await
        .unwrap();
    let koord = log_in(&app, "koord").await;
    let coordinator = Actor::parse(&fixtures::tenant(TENANT), "coordinator").unwrap();
    let muhtarlik_of = |location: String| {
        let app = &app;
        let coordinator = coordinator.clone();
        async move {
            let rec = app
                .state
                .mbs
                .get(&coordinator, &tracking_of(&location))
                .await
                .unwrap();
            rec.state.content.muhtarlik.to_string()
        }
    };
    let base = [
        ("csrf", koord.csrf.as_str()),
        ("channel", "phone"),
        ("category", "asfalt-onarim"),
        ("subject", "Sahil yolunda çukur"),
        ("location.lat", "41,005"),
        ("location.lon", "29,015"),
    ];
    // No muhtarlık chosen: the one whose boundary holds the point.
    let mut none = base.to_vec();
    none.push(("muhtarlik", ""));
    let (status, location, html) = post(&app, &koord, &none).await;
    assert_eq!(status, 303, "{html}");
    assert_eq!(muhtarlik_of(location).await, "beylerbeyi");
    // Another chosen: the form again, naming the suggestion, nothing recorded.
    let before = app
        .state
        .mbs
        .list(&coordinator, Default::default())
        .await
        .unwrap()
        .items
        .len();
    let mut other = base.to_vec();
    other.push(("muhtarlik", "cengelkoy"));
    let (status, _, html) = post(&app, &koord, &other).await;
    assert_eq!(status, 200, "{html}");
    let hint = "Konum Beylerbeyi Mahallesi sınırları içinde; seçilen muhtarlık Çengelköy Mahallesi. Seçim doğruysa Gönder&#x27;e yeniden basın; değilse Muhtarlık olarak Beylerbeyi Mahallesi seçin.";
    assert!(
        html.contains(&format!(
            r#"<div class="hint" id="muhtarlik-ipucu">{hint}</div>"#
        )),
        "{html}"
    );
    assert!(html.contains(r#"id="muhtarlik-onerisi""#), "{html}");
    assert!(
        html.contains(r#"<input type="hidden" name="muhtarlik_onay" value="cengelkoy">"#),
        "{html}"
    );
    assert!(html.contains(r#"value="Sahil yolunda çukur""#), "{html}");
    assert!(
        html.contains(r#"<option value="cengelkoy" selected>"#),
        "{html}"
    );
    let after = app
        .state
        .mbs
        .list(&coordinator, Default::default())
        .await
        .unwrap()
        .items
        .len();
    assert_eq!(after, before);
    // Another muhtarlık chosen after the hint: asked again about that one.
    let mut changed = other.clone();
    changed[6] = ("muhtarlik", "kuzguncuk");
    changed.push(("muhtarlik_onay", "cengelkoy"));
    let (status, _, html) = post(&app, &koord, &changed).await;
    assert_eq!(status, 200, "{html}");
    assert!(
        html.contains("seçilen muhtarlık Kuzguncuk Mahallesi"),
        "{html}"
    );
    // Sent again confirming: recorded as chosen (a warning on the request, not a refusal).
    other.push(("muhtarlik_onay", "cengelkoy"));
    let (status, location, html) = post(&app, &koord, &other).await;
    assert_eq!(status, 303, "{html}");
    assert_eq!(muhtarlik_of(location).await, "cengelkoy");
}
