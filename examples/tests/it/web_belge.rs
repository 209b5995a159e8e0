//! Official documents in a real browser (headless Chromium, [`crate::browser`]), on the
//! library router over a real SQLite file made by `muhtar init` with the example
//! organisation (DETSİS numbers on its top units) and settings with `[documents]`.
//!
//! The coordinator registers a request on its page (**Gelen evrak olarak kaydet**): the
//! **Resmî evrak** section lists its number and verification code. The unit answers
//! (**Cevapla**); the coordinator issues the answer as a letter (**Cevabı resmî yazı
//! olarak düzenle**) and opens it (**Yazıyı görüntüle**): T.C., Sayı, Konu, İlgi (the
//! incoming number), the signatory and the code are on it, and printed on A4 through
//! WebDriver's Print Page it is one page. Signed out, `/dogrula/{code}` says **Belge
//! doğrulandı** with the number and Konu; the form `/dogrula` takes a typed code and
//! links a mistyped one's error to its field. axe-core checks every page; screenshots
//! go to `target/screenshots/`.

use thirtyfour::common::print::{PrintMargins, PrintPage, PrintParameters};
use thirtyfour::prelude::*;

use crate::browser::*;
use crate::common::{muhtar, App};

/// The shipped settings (their `[documents]` give SDP codes per category).
fn settings() -> String {
    include_str!("../../data/settings.toml").to_owned()
}

/// How many pages a PDF has: its `/Type /Page` objects (not `/Pages`).
fn pdf_pages(pdf: &[u8]) -> usize {
    let text = String::from_utf8_lossy(pdf);
    ["/Type /Page", "/Type/Page"]
        .iter()
        .map(|needle| {
            text.match_indices(needle)
                .filter(|(i, _)| !text[i + needle.len()..].starts_with('s'))
                .count()
        })
        .sum()
}

#[test]
fn a_pdf_page_count_skips_the_page_tree() {
    let pdf = b"1 0 obj << /Type /Pages /Kids [2 0 R 3 0 R] >> 2 0 obj << /Type /Page >> \
                3 0 obj <</Type/Page/Parent 1 0 R>>";
    assert_eq!(pdf_pages(pdf), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_becomes_official_documents_and_its_letter_prints_on_one_a4_page() {
    let axe = axe_source();
    let chromedriver = Chromedriver::start();
    let d = tempfile::tempdir().unwrap();
    let (dir, db) = (d.path(), d.path().join("m.db").to_str().unwrap().to_owned());
    std::fs::write(dir.join("ayarlar.toml"), settings()).unwrap();
    muhtar(dir, &db, &["init", "--settings", "ayarlar.toml"]);
    let tracking = submit(
        dir,
        &db,
        "asfalt-onarim",
        "Okul önünde çukur",
        &["--description", &format!("Derin bir çukur {SCRIPT}")],
    );
    for (name, role) in [("koord", "coordinator"), ("fen", "unit:uskudar-fen")] {
        add_user(dir, &db, name, role, None);
    }
    let srv = App::start(dir, &db);
    let web = browser_sized(&chromedriver, 820, 1180).await;
    let page_url = srv.url(&format!("/talepler/{tracking}"));

    // The coordinator registers the request as an incoming document.
    log_in_at(&web, &srv, "koord", PASSWORD).await;
    web.goto(&page_url).await.unwrap();
    let section = text_of(&web, "resmi-evrak").await;
    assert!(
        section.contains("Bu talep resmî evrak olarak kaydedilmedi."),
        "{section}"
    );
    check_page(&web, &axe, "belge-kayitsiz").await;
    click_button(&web, "Gelen evrak olarak kaydet").await;
    assert_eq!(
        text_of(&web, "onay").await,
        "Talep gelen evrak olarak kaydedildi."
    );
    let section = text_of(&web, "resmi-evrak").await;
    assert!(section.contains("Gelen evrak (başvuru)"), "{section}");
    let incoming = web
        .find(By::Css("#resmi-evrak td .code"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(incoming.starts_with("E-"), "{incoming}");
    check_page(&web, &axe, "belge-kayitli").await;

    // The unit answers.
    click_button(&web, "Çıkış").await;
    log_in_at(&web, &srv, "fen", PASSWORD).await;
    web.goto(&page_url).await.unwrap();
    click_button(&web, "Kabul et").await;
    web.find(By::Id("answer-outcome"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    type_into(
        &web,
        "Cevap metni",
        "Okul önündeki çukur 12 Mart'ta asfaltla kapatılmıştır.",
    )
    .await;
    click_button(&web, "Cevabı gönder").await;

    // The coordinator issues the answer as a letter and opens it.
    click_button(&web, "Çıkış").await;
    log_in_at(&web, &srv, "koord", PASSWORD).await;
    web.goto(&page_url).await.unwrap();
    click_button(&web, "Cevabı resmî yazı olarak düzenle").await;
    assert_eq!(
        text_of(&web, "onay").await,
        "Cevap resmî yazı olarak düzenlendi."
    );
    let section = text_of(&web, "resmi-evrak").await;
    assert!(section.contains("Giden evrak (cevap yazısı)"), "{section}");
    let codes: Vec<String> = {
        let mut out = Vec::new();
        for a in web.find_all(By::Css("#resmi-evrak a.code")).await.unwrap() {
            out.push(a.text().await.unwrap());
        }
        out
    };
    assert_eq!(codes.len(), 2, "{codes:?}");
    let letter_code = codes[1].clone();
    check_page(&web, &axe, "belge-yazili").await;
    follow(&web, "Yazıyı görüntüle").await;
    let letter = page_text(&web).await;
    for part in [
        "T.C.",
        "ÜSKÜDAR BELEDİYESİ",
        "Sayı",
        "Konu",
        "İlgi",
        incoming.as_str(),
        "KUZGUNCUK MAHALLESİ MUHTARLIĞINA",
        "asfaltla kapatılmıştır",
        "Dağıtım",
        letter_code.as_str(),
    ] {
        assert!(letter.contains(part), "{part}: {letter}");
    }
    // The signatory: a name and title block above Dağıtım.
    let signatory = web
        .find(By::Css(".imza"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(signatory.lines().count(), 2, "{signatory}");
    assert_no_injected_script(&web).await;
    check_page(&web, &axe, "belge-yazi").await;

    // Printed on A4: one page.
    let pdf = web
        .print_page(PrintParameters {
            page: PrintPage {
                width: 21.0,
                height: 29.7,
            },
            margin: PrintMargins {
                top: 0.0,
                bottom: 0.0,
                left: 0.0,
                right: 0.0,
            },
            shrink_to_fit: false,
            ..PrintParameters::default()
        })
        .await
        .unwrap();
    assert!(pdf.starts_with(b"%PDF"), "a PDF");
    std::fs::write(screenshot_dir().join("belge-yazi.pdf"), &pdf).unwrap();
    assert_eq!(
        pdf_pages(&pdf),
        1,
        "a normal answer's letter is one A4 page"
    );

    // Signed out, the verification page: the verdict, never the request's words.
    web.goto(&page_url).await.unwrap();
    click_button(&web, "Çıkış").await;
    let bare = letter_code.replace('-', "");
    web.goto(srv.url(&format!("/dogrula/{bare}")))
        .await
        .unwrap();
    assert_eq!(text_of(&web, "sonuc-baslik").await, "Belge doğrulandı");
    assert_eq!(value_of(&web, "Konu").await, "Asfalt onarımı talebi");
    assert!(value_of(&web, "Sayı").await.starts_with("E-"));
    let shown = page_text(&web).await;
    assert!(!shown.contains("Okul önünde"), "{shown}");
    check_page(&web, &axe, "dogrula").await;
    // The form takes the code as people type it.
    web.goto(srv.url("/dogrula")).await.unwrap();
    type_into(&web, "Doğrulama kodu", &letter_code.to_lowercase()).await;
    click_button(&web, "Doğrula").await;
    assert_eq!(text_of(&web, "sonuc-baslik").await, "Belge doğrulandı");
    // A mistyped code: the error summary links to the field.
    web.goto(srv.url("/dogrula")).await.unwrap();
    type_into(&web, "Doğrulama kodu", "7KQ2-M9XA").await;
    click_button(&web, "Doğrula").await;
    let (summary, link) = error_summary(&web).await;
    assert!(summary.contains("12 karakterdir"), "{summary}");
    assert_eq!(link.as_deref(), Some("#kod"));
    check_page(&web, &axe, "dogrula-hata").await;
}
