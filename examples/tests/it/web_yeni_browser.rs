//! The new request form `/talep/yeni` in a real browser (headless Chromium, see
//! [`crate::browser`]), on the library router over a real SQLite file.
//!
//! A muhtar added with `muhtar user add … --as muhtar:kuzguncuk` logs in, follows
//! **Yeni talep**, sends the form without **Konu** (the error summary links to the field,
//! the typed values stay), then picks **Kategori**, fills **Konu** and **Açıklama** with
//! markup, chooses `examples/data/cukur.jpg` as the **Fotoğraf** (the script previews it
//! from a `blob:` URL the CSP allows), lets **Konumumu kullan** fill the coordinates
//! (Chromium's location set through DevTools) and clicks **Gönder**: the result shows
//! the **Takip numarası**, and `muhtar show` finds the request with the photo's hash.
//! The coordinator enters a back-office request: **Kanal**, **Başvuru zamanı** two days
//! back, **Muhtarlık**, **Evrak no** and the citizen's contact; the request has them.
//! Markup typed into every text field is shown as text on the result page. axe-core
//! checks the empty forms, the error state and the result pages; screenshots go to
//! `target/screenshots/`.

use std::sync::Arc;

use chrono::{Duration, Utc};
use serde_json::Value;
use sha2::{Digest, Sha256};
use thirtyfour::extensions::cdp::ChromeDevTools;
use thirtyfour::prelude::*;

use crate::browser::*;
use crate::common::{muhtar, App};

/// The request `tracking` as `muhtar --json show` prints it (the coordinator's view).
fn shown(dir: &std::path::Path, db: &str, tracking: &str) -> Value {
    let out = muhtar(
        dir,
        db,
        &["--json", "--as", "coordinator", "show", tracking],
    );
    let v: Value = serde_json::from_str(&out).unwrap();
    v["request"]["state"]["content"].clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_muhtar_and_the_coordinator_create_requests_in_a_real_browser() {
    let axe = axe_source();
    let chromedriver = Chromedriver::start();
    let (d, db) = initialised_db();
    let (dir, db) = (d.path(), db.as_str());
    add_user(dir, db, "ayse", "muhtar:kuzguncuk", None);
    add_user(dir, db, "koord", "coordinator", None);
    let srv = App::start(dir, db);
    let photo = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("data/cukur.jpg");
    let photo_sha = hex::encode(Sha256::digest(std::fs::read(&photo).unwrap()));

    let web = Arc::new(browser(&chromedriver).await);
    // The tablet's location, as Chromium's sensors report it, allowed for the site.
    let devtools = ChromeDevTools::new(web.handle.clone());
    devtools
        .execute_cdp_with_params(
            "Browser.grantPermissions",
            serde_json::json!({"permissions": ["geolocation"], "origin": srv.url("")}),
        )
        .await
        .unwrap();
    devtools
        .execute_cdp_with_params(
            "Emulation.setGeolocationOverride",
            serde_json::json!({"latitude": 41.0255, "longitude": 29.033, "accuracy": 20}),
        )
        .await
        .unwrap();

    // The muhtar: from the home page's link.
    log_in_at(&web, &srv, "ayse", PASSWORD).await;
    follow(&web, "Yeni talep").await;
    assert!(web
        .current_url()
        .await
        .unwrap()
        .path()
        .ends_with("/talep/yeni"));
    check_page(&web, &axe, "yeni-talep").await;

    // Without Konu: the error summary links to it; what was typed stays.
    pick(&web, "Kategori", "Asfalt onarımı").await;
    type_into(&web, "Açıklama", IMG).await;
    click_button(&web, "Gönder").await;
    let (text, href) = error_summary(&web).await;
    assert!(text.contains("Konu alanını doldurun"), "{text}");
    assert!(
        href.as_deref().is_some_and(|h| h.ends_with("#subject")),
        "{href:?}"
    );
    assert_eq!(
        field(&web, "Açıklama").await.prop("value").await.unwrap(),
        Some(IMG.to_owned())
    );
    assert_eq!(
        field(&web, "Kategori").await.prop("value").await.unwrap(),
        Some("asfalt-onarim".to_owned())
    );
    assert_no_injected_script(&web).await;
    check_page(&web, &axe, "yeni-talep-hata").await;

    // Konu, the photo (previewed), the location, Gönder.
    let subject = format!("{SCRIPT} Okul önünde çukur");
    type_into(&web, "Konu", &subject).await;
    field(&web, "Fotoğraf")
        .await
        .send_keys(photo.to_str().unwrap())
        .await
        .unwrap();
    let preview = web.find(By::Id("photo-onizleme")).await.unwrap();
    preview.wait_until().displayed().await.unwrap();
    let src = preview.attr("src").await.unwrap().unwrap_or_default();
    assert!(src.starts_with("blob:"), "{src}");
    let natural = web
        .execute(
            "return document.getElementById('photo-onizleme').naturalWidth;",
            Vec::new(),
        )
        .await
        .unwrap();
    assert!(
        natural.json().as_u64().is_some_and(|w| w > 0),
        "the preview did not load (CSP img-src blob:?)"
    );
    let locate = web
        .find(By::XPath("//button[normalize-space()='Konumumu kullan']"))
        .await
        .unwrap();
    locate.click().await.unwrap();
    let status = web.find(By::Id("konum-durum")).await.unwrap();
    let mut said = String::new();
    for _ in 0..100 {
        said = status.text().await.unwrap();
        if said.contains("Konumunuz yazıldı") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(said.contains("Konumunuz yazıldı"), "{said:?}");
    assert_eq!(
        field(&web, "Enlem").await.prop("value").await.unwrap(),
        Some("41.025500".to_owned())
    );
    click_button(&web, "Gönder").await;
    let tracking = value_of(&web, "Takip numarası").await;
    assert_eq!(tracking.len(), 11, "{tracking}");
    assert_eq!(value_of(&web, "Konu").await, subject);
    assert_eq!(value_of(&web, "Açıklama").await, IMG);
    assert_no_injected_script(&web).await;
    check_page(&web, &axe, "yeni-talep-sonuc").await;
    web.find(By::LinkText("Talebi görüntüle")).await.unwrap();
    web.find(By::LinkText("Yeni bir talep daha")).await.unwrap();
    // The request exists with its photo and its place.
    let c = shown(dir, db, &tracking);
    assert_eq!(c["subject"], subject.as_str(), "{c}");
    assert_eq!(c["muhtarlik"], "kuzguncuk");
    assert_eq!(c["channel"], "mbs-web");
    assert_eq!(c["attachments"][0]["sha256"], photo_sha.as_str(), "{c}");
    assert_eq!(c["attachments"][0]["file_name"], "cukur.jpg");
    assert_eq!(c["location"]["lat"], 41.0255, "{c}");

    // The coordinator: back-office entry.
    click_button(&web, "Çıkış").await;
    log_in_at(&web, &srv, "koord", PASSWORD).await;
    follow(&web, "Başvuru kaydı").await;
    check_page(&web, &axe, "yeni-talep-arka-ofis").await;
    let received = muhtar_core::calendar::to_istanbul(Utc::now() - Duration::days(2))
        .format("%Y-%m-%dT%H:%M")
        .to_string();
    pick(&web, "Kanal", "WhatsApp").await;
    // A datetime-local input is typed field by field in the browser's locale: set it.
    web.execute(
        "arguments[0].value = arguments[1];",
        vec![
            field(&web, "Başvuru zamanı").await.to_json().unwrap(),
            Value::from(received.clone()),
        ],
    )
    .await
    .unwrap();
    pick(&web, "Muhtarlık", "Çengelköy Mahallesi (Üsküdar)").await;
    type_into(&web, "Evrak no", SCRIPT).await;
    pick(&web, "Kategori", "Asfalt onarımı").await;
    type_into(&web, "Konu", IMG).await;
    type_into(&web, "Açıklama", SCRIPT).await;
    type_into(&web, "Ad soyad", IMG).await;
    type_into(&web, "Telefon", "0532 444 55 66").await;
    click_button(&web, "Gönder").await;
    let tracking = value_of(&web, "Takip numarası").await;
    assert_eq!(value_of(&web, "Kanal").await, "WhatsApp");
    assert_eq!(value_of(&web, "Muhtarlık").await, "Çengelköy Mahallesi");
    assert_eq!(value_of(&web, "Evrak no").await, SCRIPT);
    assert_eq!(value_of(&web, "Konu").await, IMG);
    assert_eq!(value_of(&web, "Açıklama").await, SCRIPT);
    assert_eq!(value_of(&web, "Ad soyad").await, IMG);
    assert_eq!(
        value_of(&web, "Başvuru zamanı").await,
        received.replace('T', " ")
    );
    assert_no_injected_script(&web).await;
    check_page(&web, &axe, "yeni-talep-arka-ofis-sonuc").await;
    let c = shown(dir, db, &tracking);
    assert_eq!(c["channel"], "whatsapp", "{c}");
    assert_eq!(c["muhtarlik"], "cengelkoy");
    assert_eq!(c["registration_number"], SCRIPT);
    assert_eq!(c["citizen"]["name"], IMG);
    let at = chrono::DateTime::parse_from_rfc3339(c["received_at"].as_str().unwrap()).unwrap();
    assert_eq!(
        muhtar_core::calendar::to_istanbul(at.with_timezone(&Utc))
            .format("%Y-%m-%dT%H:%M")
            .to_string(),
        received
    );

    Arc::try_unwrap(web).unwrap().quit().await.unwrap();
    srv.terminate();
}
