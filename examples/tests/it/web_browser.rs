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
//! Needs Debian's `chromium` and `chromium-driver` and axe-core's `axe.min.js`
//! (`bash .ci/services.sh` installs them). Missing ones fail the test, never skip it:
//! - `MUHTAR_CHROMEDRIVER`: the chromedriver executable (default: `chromedriver` on the
//!   PATH); `MUHTAR_CHROMIUM`: the browser (default: chromedriver's choice).
//! - `MUHTAR_AXE_JS`: axe-core's `axe.min.js` (default:
//!   `~/.cache/muhtar-axe/node_modules/axe-core/axe.min.js`, where services.sh puts it).

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::Value;
use thirtyfour::prelude::*;

use crate::common::{self, muhtar, muhtar_with_stdin, token, App};

/// The password of the user the test adds with `muhtar user add`.
const PASSWORD: &str = "uzun-bir-parola-42";

/// A chromedriver process, ended when dropped.
struct Chromedriver {
    child: Child,
    url: String,
}

impl Chromedriver {
    /// Starts chromedriver on a free loopback port; returns once it answers.
    fn start() -> Chromedriver {
        let exe = std::env::var("MUHTAR_CHROMEDRIVER").unwrap_or_else(|_| "chromedriver".into());
        let port = common::free_port();
        let child = Command::new(&exe)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|e| {
                panic!(
                    "cannot start chromedriver ({exe}): {e}. The browser tests need Debian's \
                     `chromium` and `chromium-driver`: run `bash .ci/services.sh` or \
                     `apt-get install -y chromium chromium-driver` (or set MUHTAR_CHROMEDRIVER)"
                )
            });
        let mut driver = Chromedriver {
            child,
            url: format!("http://127.0.0.1:{port}"),
        };
        // Until it listens: at most 20 s, then a clear failure.
        for _ in 0..400 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return driver;
            }
            if let Some(status) = driver.child.try_wait().unwrap() {
                panic!("chromedriver ({exe}) exited at start: {status}");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("chromedriver ({exe}) did not listen on port {port} within 20 s");
    }
}

impl Drop for Chromedriver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A headless Chromium session (a phone-sized window: the pages are mobile first).
async fn browser(driver: &Chromedriver) -> WebDriver {
    let mut caps = DesiredCapabilities::chrome();
    for arg in [
        "--headless=new",
        "--no-sandbox",
        "--disable-dev-shm-usage",
        "--disable-gpu",
        "--window-size=412,915",
    ] {
        caps.add_arg(arg).unwrap();
    }
    if let Ok(bin) = std::env::var("MUHTAR_CHROMIUM") {
        caps.set_binary(&bin).unwrap();
    }
    WebDriver::new(&driver.url, caps)
        .await
        .unwrap_or_else(|e| panic!("chromedriver could not start Chromium: {e}"))
}

/// axe-core's minified script, or a failure saying how to install it.
fn axe_source() -> String {
    let path = std::env::var("MUHTAR_AXE_JS")
        .map(PathBuf::from)
        .unwrap_or_else(|_| {
            PathBuf::from(std::env::var("HOME").unwrap_or_default())
                .join(".cache/muhtar-axe/node_modules/axe-core/axe.min.js")
        });
    std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "axe-core is missing ({}: {e}): run `bash .ci/services.sh` \
             (`npm install --prefix ~/.cache/muhtar-axe axe-core@4`) or set MUHTAR_AXE_JS",
            path.display()
        )
    })
}

/// Where screenshots go: `target/screenshots/`.
fn screenshot_dir() -> PathBuf {
    // target/<profile>/muhtar → target/screenshots
    let bin = PathBuf::from(env!("CARGO_BIN_EXE_muhtar"));
    let dir = bin.parent().unwrap().parent().unwrap().join("screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Runs axe-core on the page shown; fails listing every serious or critical violation;
/// then writes the page's screenshot as `name.png`.
async fn check_page(web: &WebDriver, axe: &str, name: &str) {
    web.execute(axe, Vec::new()).await.unwrap();
    let found = web
        .execute_async(
            r#"const done = arguments[arguments.length - 1];
               axe.run(document, { resultTypes: ["violations"] })
                 .then(r => done(r.violations.map(v => ({
                     id: v.id, impact: v.impact, help: v.help,
                     nodes: v.nodes.map(n => n.target.join(" "))
                 }))))
                 .catch(e => done([{ id: "axe-error", impact: "critical", help: String(e), nodes: [] }]));"#,
            Vec::new(),
        )
        .await
        .unwrap();
    let bad: Vec<&Value> = found
        .json()
        .as_array()
        .unwrap()
        .iter()
        .filter(|v| matches!(v["impact"].as_str(), Some("serious" | "critical")))
        .collect();
    web.screenshot(&screenshot_dir().join(format!("{name}.png")))
        .await
        .unwrap();
    assert!(
        bad.is_empty(),
        "axe-core: serious or critical violations on {name} ({}):\n{}",
        web.current_url().await.unwrap(),
        bad.iter()
            .map(|v| format!(
                "- {} [{}] {}: {}",
                v["id"], v["impact"], v["help"], v["nodes"]
            ))
            .collect::<Vec<_>>()
            .join("\n")
    );
}

/// The input whose visible label is `label` (by the label's `for`).
async fn field(web: &WebDriver, label: &str) -> WebElement {
    let l = web
        .find(By::XPath(format!("//label[normalize-space()='{label}']")))
        .await
        .unwrap_or_else(|e| panic!("no label {label:?}: {e}"));
    let id = l
        .attr("for")
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("label {label:?} has no `for`"));
    web.find(By::Id(id)).await.unwrap()
}

/// Clicks the button reading `text`.
async fn click_button(web: &WebDriver, text: &str) {
    let button = web
        .find(By::XPath(format!("//button[normalize-space()='{text}']")))
        .await
        .unwrap_or_else(|e| panic!("no button {text:?}: {e}"));
    click_and_load(button).await;
}

/// Clicks `element` (a link or a submit button) and returns once the page it was on is
/// gone: without the wait, the next lookup may still read the old page.
async fn click_and_load(element: WebElement) {
    element.click().await.unwrap();
    element
        .wait_until()
        .stale()
        .await
        .unwrap_or_else(|e| panic!("the page did not change after the click: {e}"));
}

/// Types `number` into **Takip numarası** on `/takip` and clicks **Sorgula**.
async fn ask(web: &WebDriver, number: &str) {
    let input = field(web, "Takip numarası").await;
    input.clear().await.unwrap();
    input.send_keys(number).await.unwrap();
    click_button(web, "Sorgula").await;
}

/// Types `name` and `password` into **Kullanıcı adı** and **Parola** on `/giris` and
/// clicks **Giriş yap**.
async fn log_in(web: &WebDriver, name: &str, password: &str) {
    for (label, value) in [("Kullanıcı adı", name), ("Parola", password)] {
        let input = field(web, label).await;
        input.clear().await.unwrap();
        input.send_keys(value).await.unwrap();
    }
    click_button(web, "Giriş yap").await;
}

/// The text of the element with `id`.
async fn text_of(web: &WebDriver, id: &str) -> String {
    web.find(By::Id(id))
        .await
        .unwrap_or_else(|e| panic!("no #{id}: {e}"))
        .text()
        .await
        .unwrap()
}

/// The text of the `<dd>` after the `<dt>` reading `term`.
async fn value_of(web: &WebDriver, term: &str) -> String {
    web.find(By::XPath(format!(
        "//dt[normalize-space()='{term}']/following-sibling::dd"
    )))
    .await
    .unwrap_or_else(|e| panic!("no {term:?} in the result: {e}"))
    .text()
    .await
    .unwrap()
}

/// The text of the error summary.
async fn error_summary(web: &WebDriver) -> (String, Option<String>) {
    let summary = web
        .find(By::ClassName("error-summary"))
        .await
        .unwrap_or_else(|e| panic!("no error summary: {e}"));
    let link = summary.find(By::Tag("a")).await.unwrap();
    (
        summary.text().await.unwrap(),
        link.attr("href").await.unwrap(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_status_and_login_pages_in_a_real_browser() {
    let started = Instant::now();
    let axe = axe_source();
    let chromedriver = Chromedriver::start();

    let d = tempfile::tempdir().unwrap();
    let (dir, db) = (d.path(), d.path().join("m.db"));
    let db = db.to_str().unwrap();
    muhtar(dir, db, &["init"]);
    let tracking = muhtar(
        dir,
        db,
        &[
            "--as",
            "muhtar:kuzguncuk",
            "submit",
            "--category",
            "asfalt-onarim",
            "--subject",
            "Okul önünde çukur",
            "--quiet",
        ],
    );
    let unit = token(dir, db, "ibb", "unit:uskudar-fen");
    let added = muhtar_with_stdin(
        dir,
        db,
        &[
            "--as",
            "muhtar:kuzguncuk",
            "user",
            "add",
            "ayse",
            "--display-name",
            "Ayşe Yılmaz",
        ],
        &format!("{PASSWORD}\n"),
    );
    assert!(added.status.success(), "{added:?}");
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
    click_and_load(web.find(By::LinkText("Takip sorgula")).await.unwrap()).await;
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
    let typed = "<script>alert(1)</script>";
    ask(&web, typed).await;
    assert!(web.get_alert_text().await.is_err(), "an alert opened");
    let scripts = web
        .execute(
            "return document.getElementsByTagName('script').length;",
            Vec::new(),
        )
        .await
        .unwrap();
    assert_eq!(scripts.json(), &Value::from(0));
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
    click_and_load(web.find(By::LinkText("Giriş yap")).await.unwrap()).await;
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
