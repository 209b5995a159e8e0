//! The dashboard, the report and the administrator's pages in a real browser (headless
//! Chromium, [`crate::browser`]), on the library router over a real SQLite file, with
//! users added by `muhtar user add NAME --as ROLE` (password on standard input):
//!
//! - the coordinator opens **Pano** from the home page: the counts, two inline SVG charts
//!   with their titles, the numbers as tables;
//! - the official opens **Rapor**, signs the last ended quarter with a note (**Not**,
//!   **Onayla**) and sees the signed version listed and as signed (core's printable page);
//! - the auditor reads the dashboard and the report with no form on them;
//! - the administrator adds a user through **Kullanıcılar** (who then logs in), creates an
//!   API token (its secret shown once, and it works), checks a rules file with errors
//!   (problems by line, nothing applied, no **Uygula**) and then a good one (checked, then
//!   applied with **Uygula**).
//!
//! Markup typed into the note, a user's name and a token's label is shown as text
//! (`assert_no_injected_script`); axe-core checks every page and state, and each is
//! written as a screenshot to `target/screenshots/`.

use std::sync::Arc;

use thirtyfour::prelude::*;

use crate::browser::*;
use crate::common::{self, muhtar, App};

/// Good rules for the example organisation.
const RULES: &str = "version = \"web-1\"\nfallback = \"muhtarliklar-db\"\n\n[[rule]]\nname = \"asfalt\"\ncategory = \"asfalt-onarim\"\ntarget = \"asfalt-mud\"\n";
/// Rules with an unknown target unit (the rule starts on line 4).
const BAD_RULES: &str = "version = \"web-2\"\nfallback = \"muhtarliklar-db\"\n\n[[rule]]\nname = \"asfalt\"\ncategory = \"asfalt-onarim\"\ntarget = \"olmayan-birim\"\n";

/// Logs `name` in from `/giris`.
async fn sign_in(web: &WebDriver, srv: &App, name: &str, password: &str) {
    log_in_at(web, srv, name, password).await;
    assert!(
        web.find(By::Id("hos-geldiniz")).await.is_ok(),
        "{name} is not logged in"
    );
}

/// Goes home and clicks **Çıkış**.
async fn sign_out(web: &WebDriver, srv: &App) {
    web.goto(srv.url("/")).await.unwrap();
    click_button(web, "Çıkış").await;
}

/// Chooses the option reading `text` of the select labelled `label` (selected as the
/// keyboard does: clicking an option of a headless Chromium's select can leave its list
/// open and swallow the next click).
async fn choose(web: &WebDriver, label: &str, text: &str) {
    let select = field(web, label).await;
    let option = select
        .find(By::XPath(format!(".//option[normalize-space()='{text}']")))
        .await
        .unwrap_or_else(|e| panic!("no option {text:?} in {label:?}: {e}"));
    web.execute(
        "arguments[0].selected = true; \
         arguments[0].closest('select').dispatchEvent(new Event('change', {bubbles: true}));",
        vec![option.to_json().unwrap()],
    )
    .await
    .unwrap();
    assert_eq!(
        option.prop("selected").await.unwrap().as_deref(),
        Some("true")
    );
}

/// The number of POST forms in the page's main content (the header's **Çıkış** is not).
async fn main_forms(web: &WebDriver) -> usize {
    web.find_all(By::Css("main form[method='post']"))
        .await
        .unwrap()
        .len()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dashboard_report_and_administration_in_a_real_browser() {
    let axe = axe_source();
    let chromedriver = Chromedriver::start();
    let (d, db) = initialised_db();
    let (dir, db) = (d.path(), db.as_str());
    for category in ["asfalt-onarim", "asfalt-onarim", "kar-buz"] {
        submit(dir, db, category, "Okul önünde çukur", &[]);
    }
    add_user(dir, db, "koord", "coordinator", Some("Kemal Koordinatör"));
    add_user(dir, db, "resmi", "official", Some("Ayşe Yılmaz"));
    add_user(dir, db, "denetci", "auditor", Some("Deniz Denetçi"));
    add_user(dir, db, "yonetici", "admin", Some("Yıldız Yönetici"));
    let srv = App::start(dir, db);
    let web = Arc::new(browser(&chromedriver).await);

    // The coordinator: the dashboard from the home page.
    sign_in(&web, &srv, "koord", PASSWORD).await;
    follow(&web, "Pano").await;
    assert_eq!(text_of(&web, "bugun").await, "3");
    assert_eq!(text_of(&web, "acik").await, "3");
    let charts = web
        .find_all(By::Css("svg.chart[role='img']"))
        .await
        .unwrap();
    assert_eq!(charts.len(), 2);
    let title = web
        .find(By::Css("#grafik-birim-baslik"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap_or_default();
    assert!(
        title.is_empty() || title.contains("Birimlere göre"),
        "{title}"
    );
    assert!(web.find(By::Css("svg.chart rect")).await.is_ok());
    let table = text_of(&web, "kategori-tablosu").await;
    assert!(table.contains("Asfalt"), "{table}");
    check_page(&web, &axe, "pano").await;
    sign_out(&web, &srv).await;

    // The official: the report, signed with a note, the signed version.
    sign_in(&web, &srv, "resmi", PASSWORD).await;
    follow(&web, "Rapor").await;
    check_page(&web, &axe, "rapor").await;
    follow(&web, "Yazdırılabilir raporu aç").await;
    let body = page_text(&web).await;
    assert!(body.contains("TASLAK"), "{body}");
    check_page(&web, &axe, "rapor-belge").await;
    web.back().await.unwrap();
    // Without a note: the error summary links to **Not**.
    click_button(&web, "Onayla").await;
    let (text, href) = error_summary(&web).await;
    assert!(text.contains("Not alanını doldurun"), "{text}");
    assert!(href.is_some_and(|h| h.ends_with("#not")));
    check_page(&web, &axe, "rapor-hata").await;
    let note = format!("{SCRIPT} Üçüncü çeyrek gözden geçirildi");
    type_into(&web, "Not", &note).await;
    click_button(&web, "Onayla").await;
    let done = text_of(&web, "onaylandi").await;
    assert!(
        done.contains("Rapor onaylandı") && done.contains("sürüm 1"),
        "{done}"
    );
    assert_no_injected_script(&web).await;
    let listed = text_of(&web, "imzali").await;
    assert!(listed.contains(&note), "the note as text: {listed}");
    check_page(&web, &axe, "rapor-onaylandi").await;
    follow(&web, "İmzalı sürümü görüntüle").await;
    let body = page_text(&web).await;
    assert!(body.contains("Onaylandı (imzalı): sürüm 1"), "{body}");
    assert!(body.contains(&note), "{body}");
    assert_no_injected_script(&web).await;
    check_page(&web, &axe, "rapor-imzali").await;
    sign_out(&web, &srv).await;

    // The auditor: the dashboard and the report, no form on either.
    sign_in(&web, &srv, "denetci", PASSWORD).await;
    follow(&web, "Pano").await;
    assert_eq!(main_forms(&web).await, 0);
    check_page(&web, &axe, "pano-denetci").await;
    web.goto(srv.url("/")).await.unwrap();
    follow(&web, "Rapor").await;
    assert_eq!(main_forms(&web).await, 0);
    assert!(web
        .find(By::XPath("//button[normalize-space()='Onayla']"))
        .await
        .is_err());
    assert!(text_of(&web, "imzali").await.contains(&note));
    assert_no_injected_script(&web).await;
    check_page(&web, &axe, "rapor-denetci").await;
    sign_out(&web, &srv).await;

    // The administrator: a user added through the page.
    sign_in(&web, &srv, "yonetici", PASSWORD).await;
    follow(&web, "Yönetim").await;
    check_page(&web, &axe, "yonetim").await;
    follow(&web, "Kullanıcılar").await;
    check_page(&web, &axe, "yonetim-kullanicilar").await;
    click_button(&web, "Kullanıcı ekle").await;
    let (text, href) = error_summary(&web).await;
    assert!(text.contains("Kullanıcı adını yazın"), "{text}");
    assert!(href.is_some_and(|h| h.ends_with("#name")));
    check_page(&web, &axe, "yonetim-kullanicilar-hata").await;
    let display = format!("{IMG} Yeni Kişi");
    type_into(&web, "Kullanıcı adı", "yeni.kisi").await;
    type_into(&web, "Ad soyad", &display).await;
    choose(&web, "Rol", "muhtar").await;
    choose(&web, "Muhtarlık veya birim", "Kuzguncuk Mahallesi").await;
    type_into(&web, "Parola", "yeni-kisinin-parolasi").await;
    click_button(&web, "Kullanıcı ekle").await;
    assert!(text_of(&web, "bildirim")
        .await
        .contains("yeni.kisi kullanıcısı eklendi"));
    let users = text_of(&web, "kullanicilar").await;
    assert!(users.contains(&display), "{users}");
    assert!(users.contains("Kuzguncuk Mahallesi (muhtar)"), "{users}");
    assert_no_injected_script(&web).await;
    check_page(&web, &axe, "yonetim-kullanici-eklendi").await;
    sign_out(&web, &srv).await;
    // The new user logs in; the name is text.
    sign_in(&web, &srv, "yeni.kisi", "yeni-kisinin-parolasi").await;
    assert!(text_of(&web, "hos-geldiniz").await.contains(&display));
    assert_no_injected_script(&web).await;
    sign_out(&web, &srv).await;

    // A token: its secret shown once, and it works.
    sign_in(&web, &srv, "yonetici", PASSWORD).await;
    web.goto(srv.url("/yonetim")).await.unwrap();
    follow(&web, "API anahtarları").await;
    check_page(&web, &axe, "yonetim-anahtarlar").await;
    let label = format!("{SCRIPT} tablet");
    type_into(&web, "Etiket", &label).await;
    choose(&web, "Rol", "koordinatör").await;
    click_button(&web, "Anahtar oluştur").await;
    let secret = text_of(&web, "anahtar").await;
    assert!(secret.starts_with("mbs_"), "{secret}");
    assert!(text_of(&web, "anahtarlar").await.contains(&label));
    assert_no_injected_script(&web).await;
    check_page(&web, &axe, "yonetim-anahtar-olusturuldu").await;
    let r = common::client()
        .get(srv.url("/api/v1/requests"))
        .bearer_auth(&secret)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    // Revoked, it no longer works.
    click_button(&web, "İptal et").await;
    assert!(text_of(&web, "bildirim").await.contains("iptal edildi"));
    check_page(&web, &axe, "yonetim-anahtar-iptal").await;
    let r = common::client()
        .get(srv.url("/api/v1/requests"))
        .bearer_auth(&secret)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);

    // Rules: one with an error (shown by line, not applied), then a good one.
    web.goto(srv.url("/yonetim")).await.unwrap();
    follow(&web, "Teşkilat ve kurallar").await;
    check_page(&web, &axe, "yonetim-dosyalar").await;
    choose(&web, "Dosya türü", "Yönlendirme kuralları").await;
    type_into(&web, "Dosya içeriği", BAD_RULES).await;
    click_button(&web, "Denetle").await;
    assert!(text_of(&web, "denetim-ozet")
        .await
        .contains("1 hata bulundu"));
    let problems = text_of(&web, "sorunlar").await;
    assert!(
        problems.contains("4 Hata") && problems.contains("olmayan-birim"),
        "{problems}"
    );
    assert!(web
        .find(By::XPath("//button[normalize-space()='Uygula']"))
        .await
        .is_err());
    check_page(&web, &axe, "yonetim-dosyalar-hata").await;
    let shown = muhtar(dir, db, &["--json", "rules", "show"]);
    let before: serde_json::Value = serde_json::from_str(&shown).unwrap();
    type_into(&web, "Dosya içeriği", RULES).await;
    click_button(&web, "Denetle").await;
    let summary = text_of(&web, "denetim-ozet").await;
    assert!(
        summary.contains("Sorun bulunmadı. 1 kural, sürüm web-1"),
        "{summary}"
    );
    check_page(&web, &axe, "yonetim-dosyalar-denetlendi").await;
    let after_check: serde_json::Value =
        serde_json::from_str(&muhtar(dir, db, &["--json", "rules", "show"])).unwrap();
    assert_eq!(after_check, before, "checking applies nothing");
    click_button(&web, "Uygula").await;
    assert!(text_of(&web, "uygulandi").await.contains("sürüm web-1"));
    check_page(&web, &axe, "yonetim-dosyalar-uygulandi").await;
    let after: serde_json::Value =
        serde_json::from_str(&muhtar(dir, db, &["--json", "rules", "show"])).unwrap();
    assert!(
        after["version"].as_str().unwrap().starts_with("web-1"),
        "{after}"
    );
    assert_eq!(
        after["document_version"].as_u64().unwrap(),
        before["document_version"].as_u64().unwrap() + 1
    );

    Arc::try_unwrap(web).unwrap().quit().await.unwrap();
}
