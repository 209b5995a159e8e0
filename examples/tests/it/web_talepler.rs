//! The request lists, the queue and the request page in a real browser (headless
//! Chromium, [`crate::browser`]), on the library router served in this process over a
//! real SQLite file, with users added by `muhtar user add NAME --as ROLE`.
//!
//! A muhtar (Kuzguncuk) submits with the CLI and finds the request under **Taleplerim**;
//! unit staff of Üsküdar Fen İşleri (where the example rules route `asfalt-onarim`) find
//! it in **İş kuyruğu** and use every action: **Kabul et**, **Ara cevap**,
//! **Bekletmeye al** (then **Devam ettir**), **Aktar** to Temizlik İşleri, whose staff
//! **Aktar** it back, and **Cevapla** with **Sonuç** Olumsuz: first without **Gerekçe**
//! (the error summary links to the field, the typed text is kept), then with it,
//! **Cevap metni** and **Cevabı gönder**. The muhtar reads the outcome, the reason and
//! the answer, writes a message and reopens it; the coordinator reroutes it, reading
//! why it went where it did; the auditor sees the page without any form. Markup typed
//! into the subject, description, interim reply, pause note, transfer and reroute
//! reasons, answer text and reason text, message and reopening reason is shown as text
//! on every page showing it; axe-core checks every page and state visited, and a
//! screenshot of each is written to `target/screenshots/`.

use std::sync::Arc;

use thirtyfour::prelude::*;

use crate::browser::*;
use crate::common::App;

/// Text with both kinds of markup and `what` (to tell the fields apart).
fn hostile(what: &str) -> String {
    format!("{what} {SCRIPT} {IMG}")
}

/// Logs out (the header's **Çıkış**) and in as `name`.
async fn switch_to(web: &WebDriver, srv: &App, name: &str) {
    if web.find(By::ClassName("header-user")).await.is_ok() {
        click_button(web, "Çıkış").await;
    }
    log_in_at(web, srv, name, PASSWORD).await;
    web.find(By::ClassName("header-user"))
        .await
        .unwrap_or_else(|e| panic!("{name} is not logged in: {e}"));
}

/// The confirmation panel's text.
async fn confirmation(web: &WebDriver) -> String {
    text_of(web, "onay").await
}

/// The forms of the page that post to a request (not the header's **Çıkış**).
async fn action_forms(web: &WebDriver) -> usize {
    web.find_all(By::Css("form[action*='/talepler/']"))
        .await
        .unwrap()
        .len()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_role_works_a_request_in_a_real_browser() {
    let axe = axe_source();
    let chromedriver = Chromedriver::start();
    let (d, db) = initialised_db();
    let (dir, db) = (d.path(), db.as_str());
    let (subject, description) = (hostile("Konu"), hostile("Açıklama"));
    let tracking = submit(
        dir,
        db,
        "asfalt-onarim",
        &subject,
        &["--description", &description],
    );
    for (name, role) in [
        ("ayse", "muhtar:kuzguncuk"),
        ("fen", "unit:uskudar-fen"),
        ("temiz", "unit:uskudar-temizlik"),
        ("koord", "coordinator"),
        ("denetci", "auditor"),
    ] {
        add_user(dir, db, name, role, None);
    }
    let srv = App::start(dir, db);
    let web = Arc::new(browser(&chromedriver).await);
    let page_url = srv.url(&format!("/talepler/{tracking}"));

    // The muhtar: Taleplerim from the home page, then the request page.
    switch_to(&web, &srv, "ayse").await;
    follow(&web, "Taleplerim").await;
    check_page(&web, &axe, "talepler-muhtar").await;
    let list = text_of(&web, "talep-listesi").await;
    assert!(list.contains(&tracking), "{list}");
    assert!(list.contains(&subject), "{list}");
    assert_no_injected_script(&web).await;
    click_and_load(
        web.find(By::PartialLinkText(tracking.as_str()))
            .await
            .unwrap(),
    )
    .await;
    for h in ["Durum", "Cevap süresi", "Geçmiş"] {
        web.find(By::XPath(format!("//h2[normalize-space()='{h}']")))
            .await
            .unwrap_or_else(|e| panic!("no section {h}: {e}"));
    }
    assert_eq!(value_of(&web, "Açıklama").await, description);
    assert_eq!(value_of(&web, "Muhtarlık").await, "Kuzguncuk Mahallesi");
    assert_eq!(
        value_of(&web, "Birim").await,
        "Üsküdar Belediyesi Fen İşleri Müdürlüğü"
    );
    let deadline = text_of(&web, "cevap-suresi").await;
    assert!(deadline.contains("Süre nasıl hesaplandı"), "{deadline}");
    assert_no_injected_script(&web).await;
    check_page(&web, &axe, "talep-muhtar").await;

    // Unit staff: the queue, then every action.
    switch_to(&web, &srv, "fen").await;
    follow(&web, "İş kuyruğu").await;
    let queue = text_of(&web, "talep-listesi").await;
    assert!(queue.contains(&tracking), "{queue}");
    assert_no_injected_script(&web).await;
    check_page(&web, &axe, "kuyruk").await;
    click_and_load(
        web.find(By::PartialLinkText(tracking.as_str()))
            .await
            .unwrap(),
    )
    .await;
    check_page(&web, &axe, "talep-birim").await;
    click_button(&web, "Kabul et").await;
    assert_eq!(confirmation(&web).await, "Talep işleme alındı.");
    assert_eq!(value_of(&web, "Durum").await, "işlemde");
    check_page(&web, &axe, "talep-kabul").await;

    let interim = hostile("Ara cevap");
    type_into(&web, "Ara cevap metni", &interim).await;
    click_button(&web, "Ara cevap").await;
    assert_eq!(confirmation(&web).await, "Ara cevap gönderildi.");
    assert!(text_of(&web, "gecmis").await.contains(&interim));
    assert_no_injected_script(&web).await;
    check_page(&web, &axe, "talep-ara-cevap").await;

    let note = hostile("Bekletme");
    pick_value(&web, "Bekletme nedeni", "muhtar").await;
    type_into(&web, "Muhtardan istenen", &note).await;
    click_button(&web, "Bekletmeye al").await;
    assert_eq!(confirmation(&web).await, "Talep bekletmeye alındı.");
    assert!(value_of(&web, "Durum").await.contains("muhtar bekleniyor"));
    assert!(text_of(&web, "gecmis").await.contains(&note));
    assert_no_injected_script(&web).await;
    check_page(&web, &axe, "talep-beklet").await;
    click_button(&web, "Devam ettir").await;
    assert_eq!(confirmation(&web).await, "Talep yeniden işlemde.");
    check_page(&web, &axe, "talep-devam").await;

    // Aktar: the target chosen from the unit tree (the hierarchy shown by indentation).
    let tree = field(&web, "Aktarılacak birim").await.text().await.unwrap();
    assert!(
        tree.contains("— Üsküdar Belediyesi Temizlik İşleri"),
        "{tree}"
    );
    let why = hostile("Aktarma");
    pick_value(&web, "Aktarılacak birim", "uskudar-temizlik").await;
    type_into(&web, "Aktarma nedeni", &why).await;
    click_button(&web, "Aktar").await;
    // Out of Fen İşleri's sight: the confirmation on their list.
    assert!(confirmation(&web).await.contains("Talep aktarıldı."));
    assert!(web
        .current_url()
        .await
        .unwrap()
        .path()
        .ends_with("/talepler"));
    check_page(&web, &axe, "talepler-aktarildi").await;

    switch_to(&web, &srv, "temiz").await;
    web.goto(&page_url).await.unwrap();
    assert_eq!(
        value_of(&web, "Birim").await,
        "Üsküdar Belediyesi Temizlik İşleri Müdürlüğü"
    );
    assert!(text_of(&web, "gecmis").await.contains(&why));
    assert_no_injected_script(&web).await;
    check_page(&web, &axe, "talep-aktarilan").await;
    pick_value(&web, "Aktarılacak birim", "uskudar-fen").await;
    type_into(&web, "Aktarma nedeni", "Yol işi, Fen İşlerinin").await;
    click_button(&web, "Aktar").await;
    assert!(confirmation(&web).await.contains("Talep aktarıldı."));
    check_page(&web, &axe, "talepler-geri-aktarildi").await;

    // Cevapla: Olumsuz without Gerekçe is an error at the field; the text is kept.
    switch_to(&web, &srv, "fen").await;
    web.goto(&page_url).await.unwrap();
    let answer = hostile("Cevap");
    let reason_text = hostile("Gerekçe");
    field(&web, "Olumsuz").await.click().await.unwrap();
    type_into(&web, "Cevap metni", &answer).await;
    click_button(&web, "Cevabı gönder").await;
    let (summary, href) = error_summary(&web).await;
    assert!(summary.contains("gerekçe seçin"), "{summary}");
    assert!(
        href.as_deref()
            .is_some_and(|h| h.ends_with("#answer-reason")),
        "{href:?}"
    );
    let kept = field(&web, "Cevap metni")
        .await
        .prop("value")
        .await
        .unwrap();
    assert_eq!(kept.as_deref(), Some(answer.as_str()));
    assert!(web.title().await.unwrap().starts_with("Hata: "));
    assert_no_injected_script(&web).await;
    check_page(&web, &axe, "talep-cevap-hata").await;
    field(&web, "Olumsuz").await.click().await.unwrap();
    pick_value(&web, "Gerekçe", "no-budget").await;
    type_into(&web, "Gerekçe açıklaması", &reason_text).await;
    click_button(&web, "Cevabı gönder").await;
    assert_eq!(confirmation(&web).await, "Cevap gönderildi.");
    check_page(&web, &axe, "talep-cevaplandi").await;

    // The muhtar reads outcome, reason and answer; writes; reopens.
    switch_to(&web, &srv, "ayse").await;
    web.goto(&page_url).await.unwrap();
    assert_eq!(value_of(&web, "Sonuç").await, "olumsuz");
    assert_eq!(
        value_of(&web, "Gerekçe").await,
        format!("Bütçe imkânı yok: {reason_text}")
    );
    assert!(value_of(&web, "Cevap").await.starts_with(&answer));
    let history = text_of(&web, "gecmis").await;
    for text in [&interim, &note, &why, &answer] {
        assert!(history.contains(text.as_str()), "{text}: {history}");
    }
    assert_no_injected_script(&web).await;
    check_page(&web, &axe, "talep-muhtar-cevap").await;
    let message = hostile("Mesaj");
    type_into(&web, "Mesajınız", &message).await;
    click_button(&web, "Mesaj gönder").await;
    assert_eq!(confirmation(&web).await, "Mesajınız gönderildi.");
    assert!(text_of(&web, "gecmis").await.contains(&message));
    assert_no_injected_script(&web).await;
    check_page(&web, &axe, "talep-mesaj").await;
    let reopen = hostile("Yeniden");
    type_into(&web, "Yeniden açma nedeni", &reopen).await;
    click_button(&web, "Yeniden aç").await;
    assert_eq!(confirmation(&web).await, "Talep yeniden açıldı.");
    assert!(text_of(&web, "gecmis").await.contains(&reopen));
    assert_no_injected_script(&web).await;
    check_page(&web, &axe, "talep-yeniden-acildi").await;

    // The coordinator reroutes, reading why it went where it did.
    switch_to(&web, &srv, "koord").await;
    follow(&web, "Talepler").await;
    assert!(text_of(&web, "talep-listesi").await.contains(&tracking));
    check_page(&web, &axe, "talepler-koordinator").await;
    web.goto(&page_url).await.unwrap();
    let explained = text_of(&web, "yonlendirme-aciklamasi").await;
    assert!(explained.contains("Fen İşleri"), "{explained}");
    assert_no_injected_script(&web).await;
    check_page(&web, &axe, "talep-koordinator").await;
    let reroute = hostile("Yönlendirme");
    pick_value(&web, "Yeni birim", "uskudar-temizlik").await;
    type_into(&web, "Yönlendirme nedeni", &reroute).await;
    click_button(&web, "Yeniden yönlendir").await;
    assert_eq!(confirmation(&web).await, "Talep yeniden yönlendirildi.");
    assert!(text_of(&web, "gecmis").await.contains(&reroute));
    assert_no_injected_script(&web).await;
    check_page(&web, &axe, "talep-yonlendirildi").await;

    // The auditor: everything shown, no form.
    switch_to(&web, &srv, "denetci").await;
    web.goto(&page_url).await.unwrap();
    assert_eq!(action_forms(&web).await, 0);
    let all = page_text(&web).await;
    for text in [
        &subject,
        &description,
        &interim,
        &answer,
        &message,
        &reroute,
    ] {
        assert!(all.contains(text.as_str()), "{text}: {all}");
    }
    assert_no_injected_script(&web).await;
    check_page(&web, &axe, "talep-denetci").await;

    Arc::try_unwrap(web).unwrap().quit().await.unwrap();
    drop(srv);
}
