//! `muhtar serve --demo` in a real browser: every demo user (one per role, with the
//! password the server printed) logs in, follows every link of their home page and opens
//! a request from the first listing that has one; no page is an error page, axe-core finds
//! no serious or critical violation, and each page's screenshot is written to
//! `target/screenshots/demo-<role>-<page>.png` (a 10-inch tablet upright: the screenshots
//! of `docs/` come from here).
//!
//! The flows themselves (forms, actions, errors, markup as text) are tested page by page in
//! `web_browser.rs`, `web_yeni_browser.rs`, `web_talepler.rs` and `web_yonetim_browser.rs`;
//! this test holds the demo to them: a person who starts `muhtar serve --demo` finds
//! working pages for every role, on a year of realistic requests.

use thirtyfour::prelude::*;

use crate::browser::*;
use crate::serve_demo;

/// The headings of the error pages (`hata.html`).
const ERROR_HEADINGS: &[&str] = &[
    "Sayfa bulunamadı",
    "Yetkiniz yok",
    "İşlem yapılamadı",
    "Çok fazla deneme",
    "Bir sorun var",
    "Bir hata oluştu",
];

/// The page shown is not an error page: its title has no "Hata:" and its heading is none
/// of [`ERROR_HEADINGS`].
async fn assert_not_an_error(web: &WebDriver, what: &str) {
    let title = web.title().await.unwrap();
    let h1 = web.find(By::Tag("h1")).await.unwrap().text().await.unwrap();
    assert!(
        !title.starts_with("Hata:") && !ERROR_HEADINGS.contains(&h1.as_str()),
        "{what}: an error page ({title:?}, {h1:?}) at {}",
        web.current_url().await.unwrap()
    );
}

/// `/talepler/yeni` → `talepler-yeni`: a page's name in a screenshot's file name.
fn slug(path: &str) -> String {
    path.trim_matches('/').replace('/', "-")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_demo_user_finds_working_pages_for_their_role() {
    let axe = axe_source();
    let chromedriver = Chromedriver::start();
    let d = tempfile::tempdir().unwrap();
    let db = d.path().join("m.db");
    let (child, printed, base) = serve_demo::start(d.path(), db.to_str().unwrap());
    let users = serve_demo::users(&printed);
    assert_eq!(users.len(), 6, "{printed:?}");
    let web = browser_sized(&chromedriver, 820, 1180).await;

    for (who, name, password) in &users {
        let role = who.split(':').next().unwrap();
        web.goto(format!("{base}/giris")).await.unwrap();
        log_in(&web, name, password).await;
        assert!(
            web.find(By::Id("hos-geldiniz")).await.is_ok(),
            "{who}: not logged in"
        );
        check_page(&web, &axe, &format!("demo-{role}-home")).await;

        // Every page of the role's home page (the public status page is tested elsewhere).
        let mut links = Vec::new();
        for a in web.find_all(By::Css("a.link-card")).await.unwrap() {
            let href = a.attr("href").await.unwrap().unwrap();
            if !href.ends_with("/takip") {
                links.push((href, a.text().await.unwrap()));
            }
        }
        assert!(!links.is_empty(), "{who}: no page linked from home");
        let mut opened_request = false;
        for (href, text) in links {
            web.goto(format!("{base}{href}")).await.unwrap();
            assert_not_an_error(&web, &format!("{who}: {text}")).await;
            check_page(&web, &axe, &format!("demo-{role}-{}", slug(&href))).await;
            // A listing: its first request's page.
            if !opened_request && (href.ends_with("/talepler") || href.ends_with("/kuyruk")) {
                let first = web
                    .find_all(By::Css("a[href*='/talepler/']"))
                    .await
                    .unwrap();
                if let Some(a) = first.first() {
                    let href = a.attr("href").await.unwrap().unwrap();
                    web.goto(format!("{base}{href}")).await.unwrap();
                    assert_not_an_error(&web, &format!("{who}: {href}")).await;
                    for section in ["Durum", "Cevap süresi", "Geçmiş"] {
                        web.find(By::XPath(format!("//h2[normalize-space()='{section}']")))
                            .await
                            .unwrap_or_else(|e| panic!("{who}: no {section} on {href}: {e}"));
                    }
                    check_page(&web, &axe, &format!("demo-{role}-talep")).await;
                    opened_request = true;
                }
            }
        }
        if matches!(role, "muhtar" | "unit" | "coordinator" | "auditor") {
            assert!(opened_request, "{who}: no request in their listings");
        }
        web.goto(format!("{base}/")).await.unwrap();
        click_button(&web, "Çıkış").await;
        assert!(web.find(By::Id("hos-geldiniz")).await.is_err());
    }
    web.quit().await.unwrap();
    serve_demo::stop(child);
}
