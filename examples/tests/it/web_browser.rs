//! The web pages in a real browser: headless Chromium driven through chromedriver
//! (WebDriver, the `thirtyfour` crate), on the library router served in this process
//! ([`common::App`]) over a real SQLite file.
//!
//! The public status page is used the way a person does: the field found by its visible
//! label **Takip numarası** (the label's `for`), the button **Sorgula** clicked; the
//! status shown is the JSON status endpoint's; a malformed number shows the error
//! summary linking to the field; markup typed into the field is shown as text (no
//! alert, no script element). Logging in as a user added with `muhtar user add`:
//! **Kullanıcı adı**, **Parola**, **Giriş yap**; a wrong password shows the error
//! summary, the right one the person's name and role, and **Çıkış** makes the pages
//! anonymous again. axe-core checks every page and the test fails on any
//! `serious` or `critical` violation. A screenshot of each page is written to
//! `target/screenshots/` (not committed) for a person to look at.
//!
//! The browser, axe-core and the helpers are in [`crate::browser`].

use std::sync::Arc;
use std::time::Instant;

use serde_json::Value;
use thirtyfour::prelude::*;

use crate::browser::*;
use crate::common::{self, token, App};

/// Types `number` into **Takip numarası** on `/takip` and clicks **Sorgula**.
async fn ask(web: &WebDriver, number: &str) {
    type_into(web, "Takip numarası", number).await;
    click_button(web, "Sorgula").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_status_and_login_pages_in_a_real_browser() {
    let started = Instant::now();
    let axe = axe_source();
    let chromedriver = Chromedriver::start();

    let (d, db) = initialised_db();
    let (dir, db) = (d.path(), db.as_str());
    let tracking = submit(dir, db, "asfalt-onarim", "Okul önünde çukur", &[]);
    let unit = token(dir, db, "ibb", "unit:uskudar-fen");
    add_user(dir, db, "ayse", "muhtar:kuzguncuk", Some("Ayşe Yılmaz"));
    let srv = App::start(dir, db);
    let c = common::client();
    let r = c
        .post(srv.url(&format!("/api/v1/requests/{tracking}/answer")))
        .bearer_auth(&unit)
        .json(&serde_json::json!({"outcome": "positive", "text": "Yama yapıldı"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    let json: Value = c
        .get(srv.url(&format!("/api/v1/status/{tracking}")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();

    let web = browser(&chromedriver).await;
    let web = Arc::new(web);

    // The home page links to the status page.
    web.goto(srv.url("/")).await.unwrap();
    assert_eq!(
        web.find(By::Tag("html"))
            .await
            .unwrap()
            .attr("lang")
            .await
            .unwrap(),
        Some("tr".into())
    );
    check_page(&web, &axe, "home").await;
    follow(&web, "Takip sorgula").await;
    assert!(web.current_url().await.unwrap().path().ends_with("/takip"));
    check_page(&web, &axe, "takip").await;

    // A real number: the status of the JSON endpoint, as a person reads it.
    ask(&web, &tracking).await;
    assert_eq!(
        value_of(&web, "Durum").await,
        json["status_name"].as_str().unwrap()
    );
    assert_eq!(
        value_of(&web, "Birim").await,
        json["unit_name"].as_str().unwrap()
    );
    assert_eq!(
        value_of(&web, "Sonuç").await,
        json["outcome_name"].as_str().unwrap()
    );
    let due = json["resolution_due"].as_str().unwrap();
    assert_eq!(
        value_of(&web, "Cevap süresi").await,
        format!("{} tarihine kadar", due[..16].replace('T', " "))
    );
    check_page(&web, &axe, "takip-sonuc").await;

    // A malformed number: the error summary, linking to the field.
    ask(&web, "7KM-3QX").await;
    let (text, href) = error_summary(&web).await;
    assert!(text.contains("Takip numarası 9 karakterdir"), "{text}");
    assert!(
        href.as_deref().is_some_and(|h| h.ends_with("#takip")),
        "{href:?}"
    );
    assert!(web.title().await.unwrap().starts_with("Hata: "));
    check_page(&web, &axe, "takip-hata").await;

    // Markup typed into the field is text: no alert, no script element, the text shown.
    let typed = SCRIPT;
    ask(&web, typed).await;
    assert_no_injected_script(&web).await;
    let shown = field(&web, "Takip numarası")
        .await
        .prop("value")
        .await
        .unwrap();
    assert_eq!(shown.as_deref(), Some(typed));
    ask(&web, "<i>a</i>1").await;
    let (text, _) = error_summary(&web).await;
    assert!(text.contains("1. karakteri (<) geçersiz"), "{text}");

    // An unknown number: not found.
    let unknown = muhtar_core::tracking::TrackingNumber::from_value(12_345)
        .unwrap()
        .to_string();
    ask(&web, &unknown).await;
    let h2 = web
        .find(By::Css("#sonuc h2"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(h2, "Bulunamadı");
    check_page(&web, &axe, "takip-bulunamadi").await;

    // Logging in as the user `muhtar user add` made: from the header's link.
    web.goto(srv.url("/")).await.unwrap();
    follow(&web, "Giriş yap").await;
    assert!(web.current_url().await.unwrap().path().ends_with("/giris"));
    check_page(&web, &axe, "giris").await;
    // A wrong password: the error summary, linking to the user name.
    log_in(&web, "ayse", "yanlis-parola-1").await;
    let (text, href) = error_summary(&web).await;
    assert!(text.contains("Kullanıcı adı veya parola hatalı"), "{text}");
    assert!(
        href.as_deref().is_some_and(|h| h.ends_with("#kullanici")),
        "{href:?}"
    );
    check_page(&web, &axe, "giris-hata").await;
    // The right one: home, greeted by name and role, the name in the header.
    log_in(&web, "ayse", PASSWORD).await;
    let greeting = text_of(&web, "hos-geldiniz").await;
    assert!(
        greeting.contains("Hoş geldiniz, Ayşe Yılmaz."),
        "{greeting}"
    );
    assert!(
        greeting.contains("Kuzguncuk Mahallesi (muhtar)"),
        "{greeting}"
    );
    let header = web.find(By::ClassName("header-user")).await.unwrap();
    assert_eq!(header.text().await.unwrap(), "Ayşe Yılmaz");
    check_page(&web, &axe, "giris-sonrasi").await;
    // Çıkış: anonymous again.
    click_button(&web, "Çıkış").await;
    assert!(web.find(By::ClassName("header-user")).await.is_err());
    web.find(By::LinkText("Giriş yap")).await.unwrap();
    web.goto(srv.url("/hesap")).await.unwrap();
    assert!(web.current_url().await.unwrap().path().ends_with("/giris"));

    Arc::try_unwrap(web).unwrap().quit().await.unwrap();
    eprintln!(
        "browser test: {:.1} s, screenshots in {}",
        started.elapsed().as_secs_f64(),
        screenshot_dir().display()
    );
}
