//! A council member's one-time-code login in a real browser (headless Chromium,
//! [`crate::browser`]), through a real `muhtar serve` process (without its dispatcher:
//! the code stays in the outbox of the SQLite file, where the test reads it, as the
//! member reads their e-mail). The member and an open vote come from the CLI.
//!
//! From **/giris** the member follows *Kodla giriş yapın*, writes their e-mail address
//! (**E-posta adresi veya cep telefonu**, **Kod gönder**), then a wrong **Giriş kodu**:
//! the error summary links to the field; then the code sent to them: **Giriş yap** lands
//! on their council home `/meclis` with their name and the open vote. axe-core checks
//! every page state.

use std::sync::Arc;

use muhtar_core::ids::TenantId;
use muhtar_core::outbox::NoticeKind;
use muhtar_core::store::Store;

use crate::browser::*;
use crate::cli_council::{council, json};
use crate::common::Server;

/// The member's e-mail address.
const EMAIL: &str = "zeynep@example.org";

/// The login codes the outbox of `db` holds for `recipient`, oldest first.
async fn codes_sent(db: &str, recipient: &str) -> Vec<String> {
    let store: Arc<dyn Store> = Arc::new(
        muhtar_store_sqlite::SqliteStore::open(db, Default::default())
            .await
            .unwrap(),
    );
    let mut entries = store
        .outbox(&TenantId::new("ibb").unwrap(), None)
        .await
        .unwrap();
    entries.sort_by_key(|e| e.message.created_at);
    entries
        .iter()
        .filter(|e| e.message.kind == NoticeKind::CouncilLoginCode)
        .filter(|e| e.message.recipient == recipient)
        .filter_map(|e| e.message.payload.login_code().map(|f| f.code.clone()))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_member_logs_in_with_the_code_sent_to_their_email_and_lands_on_their_council() {
    let axe = axe_source();
    let chromedriver = Chromedriver::start();
    let (d, db) = initialised_db();
    let dir = d.path();
    let member = json(&council(
        dir,
        &db,
        &[
            "--json",
            "member",
            "add",
            "--muhtarlik",
            "kuzguncuk",
            "--name",
            "Zeynep Sakin",
            "--email",
            EMAIL,
        ],
    ));
    assert_eq!(member["name"], "Zeynep Sakin");
    council(
        dir,
        &db,
        &[
            "vote",
            "open",
            "--muhtarlik",
            "kuzguncuk",
            "--title",
            "Sahil yoluna yaya geçidi istensin mi?",
            "--opens",
            "2020-01-01 09:00",
            "--closes",
            "2099-01-01 09:00",
        ],
    );
    let srv = Server::start(dir, &db, &["--no-dispatcher", "--no-sweeper"], &[]);
    let web = browser(&chromedriver).await;

    // The login page leads to the code login.
    web.goto(srv.url("/giris")).await.unwrap();
    follow(&web, "Kodla giriş yapın").await;
    assert!(web
        .current_url()
        .await
        .unwrap()
        .path()
        .ends_with("/meclis/giris"));
    check_page(&web, &axe, "meclis-giris").await;

    // No contact: the error summary.
    click_button(&web, "Kod gönder").await;
    let (summary, link) = error_summary(&web).await;
    assert!(summary.contains("E-posta adresinizi"), "{summary}");
    assert_eq!(link.as_deref(), Some("#iletisim"));
    check_page(&web, &axe, "meclis-giris-iletisim-hata").await;

    // The e-mail address: the code page, and one code in the outbox.
    type_into(&web, "E-posta adresi veya cep telefonu", EMAIL).await;
    click_button(&web, "Kod gönder").await;
    field(&web, "Giriş kodu").await;
    assert!(
        page_text(&web).await.contains("10 dakika"),
        "{}",
        page_text(&web).await
    );
    check_page(&web, &axe, "meclis-giris-kod").await;
    let codes = codes_sent(&db, EMAIL).await;
    assert_eq!(codes.len(), 1, "{codes:?}");
    let code = codes[0].clone();
    assert!(
        code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit()),
        "{code}"
    );

    // A wrong code (another 6 digits): the error summary links to the code field.
    let wrong: String = code
        .bytes()
        .map(|b| char::from(b'0' + (b - b'0' + 1) % 10))
        .collect();
    type_into(&web, "Giriş kodu", &wrong).await;
    click_button(&web, "Giriş yap").await;
    let (summary, link) = error_summary(&web).await;
    assert!(summary.contains("Giriş kodu hatalı"), "{summary}");
    assert_eq!(link.as_deref(), Some("#kod"));
    check_page(&web, &axe, "meclis-giris-kod-hata").await;

    // The right code: their council's home.
    type_into(&web, "Giriş kodu", &code).await;
    click_button(&web, "Giriş yap").await;
    let url = web.current_url().await.unwrap();
    assert_eq!(url.path(), "/meclis", "{url}");
    let text = page_text(&web).await;
    assert!(text.contains("Zeynep Sakin"), "{text}");
    let open = text_of(&web, "acik-oylamalar").await;
    assert!(open.contains("Sahil yoluna yaya geçidi"), "{open}");
    assert!(!text.contains(&code), "no code on the page");
    check_page(&web, &axe, "meclis-giris-uye").await;

    // The code logs in once: after logging out, it is refused.
    click_button(&web, "Çıkış").await;
    web.goto(srv.url("/meclis/giris")).await.unwrap();
    type_into(&web, "E-posta adresi veya cep telefonu", EMAIL).await;
    click_button(&web, "Kod gönder").await;
    assert_eq!(codes_sent(&db, EMAIL).await.len(), 2, "a second code");
    type_into(&web, "Giriş kodu", &code).await;
    click_button(&web, "Giriş yap").await;
    let fresh = codes_sent(&db, EMAIL).await[1].clone();
    if fresh != code {
        let (summary, _) = error_summary(&web).await;
        assert!(summary.contains("Giriş kodu hatalı"), "{summary}");
    }
    web.quit().await.unwrap();
}
