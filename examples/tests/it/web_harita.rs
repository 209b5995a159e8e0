//! The map page (`/harita`) and the works pages (`/isler`) in a real browser (headless
//! Chromium, [`crate::browser`]), served by `muhtar serve` over an SQLite file made by
//! `muhtar init` with the example organisation's boundaries and a tile server nobody
//! answers (`[map] tiles = "http://127.0.0.1:9/…"`): the layers must still show on the
//! plain background.
//!
//! The coordinator publishes a work through **Yeni çalışma** (markup in the title shown
//! as text), opens **Harita**: the 23 boundaries, the two located requests (not the one
//! without a location) and the work are drawn; a click on a request's point (through its
//! cluster) opens a popup whose link leads to the request page. The muhtar of Kuzguncuk
//! sees only their own boundary and requests; the layers are GeoJSON links under the map
//! for QGIS. axe-core checks every page; screenshots go to `target/screenshots/`.

use std::time::Duration;

use thirtyfour::prelude::*;

use crate::browser::*;
use crate::common::{muhtar, App};

/// The shipped settings with a tile server that does not answer.
fn settings() -> String {
    format!(
        "{}\n[map]\ntiles = \"http://127.0.0.1:9/{{z}}/{{x}}/{{y}}.png\"\nattribution = \"Deneme altlığı\"\n",
        include_str!("../../data/settings.toml")
    )
}

/// Sets a `datetime-local` field (typing into one depends on the browser's locale).
async fn set_value(web: &WebDriver, label: &str, value: &str) {
    web.execute(
        "arguments[0].value = arguments[1];",
        vec![
            field(web, label).await.to_json().unwrap(),
            serde_json::Value::from(value),
        ],
    )
    .await
    .unwrap();
}

/// Waits until the map's script has drawn its layers; returns the status line.
async fn map_loaded(web: &WebDriver) -> String {
    for _ in 0..200 {
        let loaded = web
            .execute(
                "return document.getElementById('harita').dataset.loaded || null;",
                Vec::new(),
            )
            .await
            .unwrap();
        if !loaded.json().is_null() {
            return text_of(web, "harita-durum").await;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!(
        "the map did not load: {}",
        text_of(web, "harita-durum").await
    );
}

/// How many SVG paths of `class` the map drew.
async fn drawn(web: &WebDriver, class: &str) -> usize {
    web.find_all(By::Css(format!("#harita path.{class}")))
        .await
        .unwrap()
        .len()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_map_draws_boundaries_requests_and_works_without_a_tile_server() {
    let axe = axe_source();
    let chromedriver = Chromedriver::start();
    let d = tempfile::tempdir().unwrap();
    let (dir, db) = (d.path(), d.path().join("m.db").to_str().unwrap().to_owned());
    std::fs::write(dir.join("ayarlar.toml"), settings()).unwrap();
    muhtar(dir, &db, &["init", "--settings", "ayarlar.toml"]);
    let located = [
        submit(
            dir,
            &db,
            "asfalt-onarim",
            "Çukur",
            &["--lat", "41.0369", "--lon", "29.0306"],
        ),
        submit(
            dir,
            &db,
            "asfalt-onarim",
            "Kaldırım",
            &["--lat", "41.0372", "--lon", "29.0312"],
        ),
    ];
    let unlocated = submit(dir, &db, "asfalt-onarim", "Yersiz", &[]);
    for (name, role) in [("ayse", "muhtar:kuzguncuk"), ("koord", "coordinator")] {
        add_user(dir, &db, name, role, None);
    }
    let srv = App::start(dir, &db);
    let web = browser_sized(&chromedriver, 820, 1180).await;

    // The coordinator publishes a work over Kuzguncuk.
    log_in_at(&web, &srv, "koord", PASSWORD).await;
    web.goto(srv.url("/isler/yeni")).await.unwrap();
    check_page(&web, &axe, "is-yeni").await;
    let title = format!("Paşalimanı Caddesi asfalt {SCRIPT}");
    type_into(&web, "Başlık", &title).await;
    pick(&web, "Tür", "Yol çalışması").await;
    pick_value(&web, "Birim", "uskudar-fen").await;
    set_value(&web, "Başlangıç", "2030-05-01T08:00").await;
    set_value(&web, "Bitiş", "2030-05-20T18:00").await;
    type_into(
        &web,
        "Alan (GeoJSON)",
        r#"{"type":"LineString","coordinates":[[29.0280,41.0350],[29.0290,41.0356]]}"#,
    )
    .await;
    click_button(&web, "Yayımla").await;
    let done = text_of(&web, "onay").await;
    assert!(done.contains("mahallenin muhtarına bildirildi"), "{done}");
    assert_eq!(value_of(&web, "Mahalleler").await, "Kuzguncuk Mahallesi");
    assert_no_injected_script(&web).await;
    check_page(&web, &axe, "is").await;

    // The map: from the home page's card.
    web.goto(srv.url("/")).await.unwrap();
    follow(&web, "Harita").await;
    let status = map_loaded(&web).await;
    assert_eq!(
        status, "23 mahalle sınırı, 2 talep, 1 çalışma gösteriliyor.",
        "the layers show with no tile server"
    );
    assert_eq!(drawn(&web, "map-area").await, 23);
    assert_eq!(drawn(&web, "map-work").await, 1);
    check_page(&web, &axe, "harita-koordinator").await;
    // A request's point (the work's line lies apart, so the click cannot land on it):
    // clusters open on a click until the point is drawn.
    for _ in 0..6 {
        if drawn(&web, "map-request").await > 0 {
            break;
        }
        if let Ok(cluster) = web.find(By::Css("#harita .marker-cluster")).await {
            cluster.click().await.unwrap();
        }
        tokio::time::sleep(Duration::from_millis(600)).await;
    }
    let point = web
        .find(By::Css("#harita path.map-request"))
        .await
        .expect("a request's point is drawn once its cluster opens");
    point.click().await.unwrap();
    // The popup fades in: WebDriver reads no text from it until it is shown.
    let link = web
        .query(By::Css("#harita .leaflet-popup-content a"))
        .and_displayed()
        .first()
        .await
        .expect("the point's popup");
    let mut tracking = link.text().await.unwrap();
    for _ in 0..20 {
        if !tracking.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        tracking = link.text().await.unwrap();
    }
    assert!(
        located.contains(&tracking),
        "{tracking} is one of {located:?}"
    );
    assert_ne!(tracking, unlocated);
    click_and_load(link).await;
    assert!(
        web.current_url()
            .await
            .unwrap()
            .path()
            .ends_with(&format!("/talepler/{tracking}")),
        "the popup links the request page"
    );

    // The muhtar: their own boundary and requests; the layers as GeoJSON links.
    click_button(&web, "Çıkış").await;
    log_in_at(&web, &srv, "ayse", PASSWORD).await;
    follow(&web, "Harita").await;
    let status = map_loaded(&web).await;
    assert_eq!(status, "1 mahalle sınırı, 2 talep, 1 çalışma gösteriliyor.");
    assert_eq!(drawn(&web, "map-area").await, 1);
    for link in ["Talepler", "Mahalle sınırları", "Çalışmalar"] {
        let href = web
            .find(By::LinkText(link))
            .await
            .unwrap_or_else(|e| panic!("no link {link}: {e}"))
            .attr("href")
            .await
            .unwrap()
            .unwrap();
        assert!(href.contains(".geojson"), "{link}: {href}");
    }
    check_page(&web, &axe, "harita-muhtar").await;
    web.goto(srv.url("/isler")).await.unwrap();
    let list = text_of(&web, "is-listesi").await;
    assert!(list.contains(&title), "{list}");
    assert_no_injected_script(&web).await;
    check_page(&web, &axe, "isler-muhtar").await;
    web.quit().await.unwrap();
}
