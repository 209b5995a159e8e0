//! The neighbourhood council's pages in a real browser (headless Chromium,
//! [`crate::browser`]), served by `muhtar serve` over an SQLite file made by `muhtar
//! init`. The muhtar's members and vote come from the CLI; the resident's account is a
//! user whose actor is `member:kuzguncuk@<member id>`, logged in through **Giriş yap**.
//!
//! The resident's home lists the open vote; they cast their own ballot (**Oyumu kullan**,
//! the receipt shown once), write a proposal (**Başlık**, **Öneri metni**, **Enlem**,
//! **Boylam**, markup shown as text), support it (**Destekle**), comment (**Yorum
//! yaz**), and check the receipt (**Makbuz kodu**, **Kontrol et**): recorded while the
//! vote runs, counted once it is closed. The muhtar puts the proposal on the agenda
//! (**Gündeme al**), hides the comment with a reason, adds a meeting (**Toplantı ekle**),
//! ticks the attendance and records the minutes (**Tutanak**, **Tutanağı kaydet**): then
//! the minutes are shown read-only, without a form. axe-core checks every page state.

use std::time::{Duration, Instant};

use thirtyfour::prelude::*;

use crate::browser::*;
use crate::cli_council::{council, json};
use crate::common::App;

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

/// Whether the page has a button reading `text`.
async fn has_button(web: &WebDriver, text: &str) -> bool {
    !web.find_all(By::XPath(format!("//button[normalize-space()='{text}']")))
        .await
        .unwrap()
        .is_empty()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_resident_proposes_supports_votes_and_checks_the_receipt_and_the_muhtar_records_minutes()
{
    let axe = axe_source();
    let chromedriver = Chromedriver::start();
    let (d, db) = initialised_db();
    let dir = d.path();
    // Two residents on Kuzguncuk's roll, and a vote closing in a little while.
    let add = |name: &str, phone: &str| {
        let m = json(&council(
            dir,
            &db,
            &[
                "--json",
                "member",
                "add",
                "--muhtarlik",
                "kuzguncuk",
                "--name",
                name,
                "--phone",
                phone,
            ],
        ));
        m["id"].as_str().unwrap().to_owned()
    };
    let zeynep = add("Zeynep Sakin", "05321112233");
    add("Hasan Komşu", "05324445566");
    // The meeting's time: the next whole minute after they joined (the roll at that time
    // lists them), past by the time the minutes are written.
    let meeting_at = {
        use chrono::{DurationRound, TimeDelta};
        (chrono::Utc::now() + TimeDelta::seconds(60))
            .duration_trunc(TimeDelta::minutes(1))
            .unwrap()
    };
    let closes_in = Duration::from_secs(40);
    let closes = (chrono::Utc::now() + chrono::Duration::seconds(40)).to_rfc3339();
    let started = Instant::now();
    let vote = json(&council(
        dir,
        &db,
        &[
            "--json",
            "vote",
            "open",
            "--muhtarlik",
            "kuzguncuk",
            "--title",
            "Sahil yoluna yaya geçidi istensin mi?",
            "--opens",
            "2020-01-01 09:00",
            "--closes",
            &closes,
        ],
    ));
    let vote = vote["id"].as_str().unwrap().to_owned();
    add_user(dir, &db, "ayse", "muhtar:kuzguncuk", None);
    add_user(dir, &db, &zeynep, "member:kuzguncuk", Some("Zeynep Sakin"));
    let srv = App::start(dir, &db);
    let web = browser(&chromedriver).await;

    // The resident logs in; the home page's card leads to their council.
    log_in_at(&web, &srv, &zeynep, PASSWORD).await;
    check_page(&web, &axe, "meclis-uye-ana").await;
    follow(&web, "Mahalle meclisi").await;
    let open = text_of(&web, "acik-oylamalar").await;
    assert!(open.contains("Sahil yoluna yaya geçidi"), "{open}");
    let text = page_text(&web).await;
    assert!(
        !text.contains("05321112233"),
        "no contact on a member's page"
    );
    check_page(&web, &axe, "meclis-uye").await;

    // Their own ballot: no member to choose, the receipt shown once.
    follow(&web, "Sahil yoluna yaya geçidi istensin mi?").await;
    assert!(
        web.find_all(By::Id("member")).await.unwrap().is_empty(),
        "a member chooses no member"
    );
    check_page(&web, &axe, "meclis-uye-oylama").await;
    pick(&web, "Seçim", "Kabul").await;
    click_button(&web, "Oyumu kullan").await;
    let receipt = web
        .find(By::Css("#makbuz .tracking-number"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(receipt.replace('-', "").len(), 12, "{receipt}");
    check_page(&web, &axe, "meclis-uye-makbuz").await;
    web.refresh().await.unwrap();
    assert!(
        !page_text(&web).await.contains(&receipt),
        "the receipt is shown once"
    );

    // A proposal, with markup shown as text and a location.
    web.goto(srv.url("/meclis/oneriler/yeni")).await.unwrap();
    check_page(&web, &axe, "meclis-oneri-yeni").await;
    click_button(&web, "Öneriyi gönder").await;
    let (summary, _) = error_summary(&web).await;
    assert!(summary.contains("Başlık alanını doldurun"), "{summary}");
    check_page(&web, &axe, "meclis-oneri-yeni-hata").await;
    let title = format!("Parka bank {SCRIPT}");
    type_into(&web, "Başlık", &title).await;
    type_into(&web, "Öneri metni", "Çocuk parkında oturacak yer yok.").await;
    type_into(&web, "Enlem", "41,0255").await;
    type_into(&web, "Boylam", "29,0330").await;
    click_button(&web, "Öneriyi gönder").await;
    assert_eq!(text_of(&web, "onay").await, "Öneriniz kaydedildi.");
    assert_eq!(value_of(&web, "Öneren").await, "Zeynep Sakin");
    assert_no_injected_script(&web).await;
    click_button(&web, "Destekle").await;
    assert_eq!(text_of(&web, "destek-sayisi").await, "1");
    assert!(!has_button(&web, "Gündeme al").await, "the muhtar's only");
    type_into(&web, "Yorumunuz", &format!("Çok gerekli {IMG}")).await;
    click_button(&web, "Yorum yaz").await;
    assert!(text_of(&web, "yorumlar").await.contains(IMG));
    assert_no_injected_script(&web).await;
    check_page(&web, &axe, "meclis-oneri-uye").await;
    let proposal_url = web.current_url().await.unwrap();
    // Supporting again is refused at once.
    click_button(&web, "Destekle").await;
    assert!(page_text(&web).await.contains("zaten destekledi"));

    // The receipt check: recorded while the vote runs.
    web.goto(srv.url(&format!("/meclis/oylamalar/{vote}/kontrol")))
        .await
        .unwrap();
    check_page(&web, &axe, "meclis-makbuz-kontrol").await;
    type_into(&web, "Makbuz kodu", "7KQ2-M9XA-4T0B").await;
    click_button(&web, "Kontrol et").await;
    let (summary, _) = error_summary(&web).await;
    assert!(summary.contains("hiçbir oyuna ait değil"), "{summary}");
    check_page(&web, &axe, "meclis-makbuz-kontrol-hata").await;
    type_into(&web, "Makbuz kodu", &receipt).await;
    click_button(&web, "Kontrol et").await;
    let check = text_of(&web, "kontrol").await;
    assert!(
        check.contains("Kabul") && check.contains("kapanınca sayılacak"),
        "{check}"
    );

    // After closing, the ballot is counted.
    if let Some(rest) = closes_in.checked_sub(started.elapsed()) {
        tokio::time::sleep(rest + Duration::from_secs(1)).await;
    }
    council(dir, &db, &["vote", "close", &vote]);
    type_into(&web, "Makbuz kodu", &receipt).await;
    click_button(&web, "Kontrol et").await;
    let check = text_of(&web, "kontrol").await;
    assert!(check.contains("Oyunuz sayıldı"), "{check}");
    check_page(&web, &axe, "meclis-makbuz-sayildi").await;
    click_button(&web, "Çıkış").await;

    // The muhtar: the agenda, and the comment hidden with a reason.
    log_in_at(&web, &srv, "ayse", PASSWORD).await;
    web.goto(proposal_url.as_str()).await.unwrap();
    check_page(&web, &axe, "meclis-oneri-muhtar").await;
    click_button(&web, "Gündeme al").await;
    assert_eq!(text_of(&web, "onay").await, "Öneri gündeme alındı.");
    assert!(value_of(&web, "Durum").await.starts_with("gündemde"));
    click_button(&web, "Gizle").await;
    let (summary, _) = error_summary(&web).await;
    assert!(summary.contains("Gizlenecek yorum"), "{summary}");
    check_page(&web, &axe, "meclis-gizle-hata").await;
    pick(
        &web,
        "Gizlenecek yorum",
        &format!("Zeynep Sakin: Çok gerekli {IMG}"),
    )
    .await;
    type_into(&web, "Gizleme nedeni", "Kişisel bilgi içeriyor").await;
    click_button(&web, "Gizle").await;
    let comments = text_of(&web, "yorumlar").await;
    assert!(
        comments.contains("Bu yorum muhtar tarafından gizlendi: Kişisel bilgi içeriyor")
            && !comments.contains("Çok gerekli"),
        "{comments}"
    );
    check_page(&web, &axe, "meclis-oneri-gizli").await;

    // A meeting whose time has come, its attendance and minutes.
    web.goto(srv.url("/")).await.unwrap();
    follow(&web, "Meclis toplantıları").await;
    check_page(&web, &axe, "meclis-toplantilar").await;
    click_button(&web, "Toplantı ekle").await;
    let (summary, _) = error_summary(&web).await;
    assert!(
        summary.contains("Tarih ve saat alanını doldurun"),
        "{summary}"
    );
    check_page(&web, &axe, "meclis-toplantilar-hata").await;
    // Istanbul is UTC+3 all year.
    let local = (meeting_at + chrono::TimeDelta::hours(3)).format("%Y-%m-%dT%H:%M");
    set_value(&web, "Tarih ve saat", &local.to_string()).await;
    type_into(&web, "Yer", "Kuzguncuk muhtarlığı").await;
    // The proposal on the council's agenda is ticked: it becomes the first item.
    web.find(By::Css("input[id^='oneri-']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    type_into(&web, "Gündem maddeleri", "Sahil yolu").await;
    if let Ok(rest) = (meeting_at - chrono::Utc::now()).to_std() {
        tokio::time::sleep(rest + Duration::from_secs(1)).await;
    }
    click_button(&web, "Toplantı ekle").await;
    assert_eq!(text_of(&web, "onay").await, "Toplantı eklendi.");
    let linked = web.find(By::Css("#gundem li:first-child a")).await.unwrap();
    assert_eq!(linked.text().await.unwrap(), format!("Öneri: {title}"));
    assert!(text_of(&web, "gundem").await.ends_with("Sahil yolu"));
    check_page(&web, &axe, "meclis-toplanti").await;
    web.find(By::XPath("//label[normalize-space()='Zeynep Sakin']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    click_button(&web, "Tutanağı kaydet").await;
    let (summary, _) = error_summary(&web).await;
    assert!(summary.contains("Tutanak alanını doldurun"), "{summary}");
    check_page(&web, &axe, "meclis-toplanti-hata").await;
    type_into(
        &web,
        "Tutanak",
        &format!("Parka iki bank konulmasına karar verildi. {SCRIPT}"),
    )
    .await;
    click_button(&web, "Tutanağı kaydet").await;
    assert!(text_of(&web, "onay").await.contains("Tutanak kaydedildi"));
    assert!(text_of(&web, "tutanak").await.contains(SCRIPT));
    assert_eq!(text_of(&web, "katilanlar").await, "Zeynep Sakin");
    assert!(!has_button(&web, "Tutanağı kaydet").await, "read-only");
    assert!(web.find_all(By::Id("minutes")).await.unwrap().is_empty());
    assert_no_injected_script(&web).await;
    check_page(&web, &axe, "meclis-toplanti-tutanak").await;
    let meeting_url = web.current_url().await.unwrap();
    click_button(&web, "Çıkış").await;

    // The resident reads the held meeting, without a form.
    log_in_at(&web, &srv, &zeynep, PASSWORD).await;
    web.goto(meeting_url.as_str()).await.unwrap();
    assert!(text_of(&web, "tutanak").await.contains("iki bank"));
    assert!(!has_button(&web, "Katılımı kaydet").await);
    check_page(&web, &axe, "meclis-toplanti-uye").await;
    web.quit().await.unwrap();
}
