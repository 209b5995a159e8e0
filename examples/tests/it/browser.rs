//! The browser of the web pages' tests: headless Chromium driven through chromedriver
//! (WebDriver, the `thirtyfour` crate), axe-core on every page, screenshots under
//! `target/screenshots/`, and the ways a person finds things: a field by its visible
//! label, a button by its text, a value by its term.
//!
//! Needs Debian's `chromium` and `chromium-driver` and axe-core's `axe.min.js`
//! (`bash .ci/services.sh` installs them). Missing ones fail the test, never skip it:
//! - `MUHTAR_CHROMEDRIVER`: the chromedriver executable (default: `chromedriver` on the
//!   PATH); `MUHTAR_CHROMIUM`: the browser (default: chromedriver's choice).
//! - `MUHTAR_AXE_JS`: axe-core's `axe.min.js` (default:
//!   `~/.cache/muhtar-axe/node_modules/axe-core/axe.min.js`, where services.sh puts it).

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::Value;
use thirtyfour::prelude::*;

use crate::common::{self, muhtar, muhtar_with_stdin, App};

/// The password of every user the browser tests add.
pub(crate) const PASSWORD: &str = "uzun-bir-parola-42";
/// Markup typed into text fields: it must be shown as text.
pub(crate) const SCRIPT: &str = "<script>alert(1)</script>";
/// Markup typed into text fields: it must be shown as text.
pub(crate) const IMG: &str = "<img src=x onerror=alert(1)>";

/// A fresh SQLite database `m.db` in a temporary folder, after `muhtar init`: the
/// folder (removed when dropped) and the database's path.
pub(crate) fn initialised_db() -> (tempfile::TempDir, String) {
    let d = tempfile::tempdir().unwrap();
    let db = d.path().join("m.db").to_str().unwrap().to_owned();
    muhtar(d.path(), &db, &["init"]);
    (d, db)
}

/// Adds the user `name` acting as `role` (`muhtar user add NAME --as ROLE`, with
/// `--display-name` if given) with [`PASSWORD`] on standard input.
pub(crate) fn add_user(dir: &Path, db: &str, name: &str, role: &str, display: Option<&str>) {
    let mut args = vec!["--as", role, "user", "add", name];
    if let Some(display) = display {
        args.extend(["--display-name", display]);
    }
    let added = muhtar_with_stdin(dir, db, &args, &format!("{PASSWORD}\n"));
    assert!(added.status.success(), "{added:?}");
}

/// Submits a request of `category` with `subject` (and `extra` arguments) as the muhtar
/// of Kuzguncuk with the CLI; returns its tracking number.
pub(crate) fn submit(
    dir: &Path,
    db: &str,
    category: &str,
    subject: &str,
    extra: &[&str],
) -> String {
    let mut args = vec![
        "--as",
        "muhtar:kuzguncuk",
        "submit",
        "--category",
        category,
        "--subject",
        subject,
        "--quiet",
    ];
    args.extend(extra);
    muhtar(dir, db, &args)
}

/// A chromedriver process, ended when dropped.
pub(crate) struct Chromedriver {
    child: Child,
    url: String,
}

impl Chromedriver {
    /// Starts chromedriver on a free loopback port; returns once it answers.
    pub(crate) fn start() -> Chromedriver {
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
pub(crate) async fn browser(driver: &Chromedriver) -> WebDriver {
    browser_sized(driver, 412, 915).await
}

/// A headless Chromium session with a window of `width` × `height` CSS pixels (820 ×
/// 1180: a 10-inch tablet upright).
pub(crate) async fn browser_sized(driver: &Chromedriver, width: u32, height: u32) -> WebDriver {
    let mut caps = DesiredCapabilities::chrome();
    let size = format!("--window-size={width},{height}");
    for arg in [
        "--headless=new",
        "--no-sandbox",
        "--disable-dev-shm-usage",
        "--disable-gpu",
        size.as_str(),
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
pub(crate) fn axe_source() -> String {
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
pub(crate) fn screenshot_dir() -> PathBuf {
    // target/<profile>/muhtar → target/screenshots
    let bin = PathBuf::from(env!("CARGO_BIN_EXE_muhtar"));
    let dir = bin.parent().unwrap().parent().unwrap().join("screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Runs axe-core on the page shown; fails listing every serious or critical violation;
/// then writes the page's screenshot as `name.png`.
pub(crate) async fn check_page(web: &WebDriver, axe: &str, name: &str) {
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
pub(crate) async fn field(web: &WebDriver, label: &str) -> WebElement {
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
pub(crate) async fn click_button(web: &WebDriver, text: &str) {
    let button = web
        .find(By::XPath(format!("//button[normalize-space()='{text}']")))
        .await
        .unwrap_or_else(|e| panic!("no button {text:?}: {e}"));
    click_and_load(button).await;
}

/// Clicks `element` (a link or a submit button) and returns once the page it was on is
/// gone: without the wait, the next lookup may still read the old page.
pub(crate) async fn click_and_load(element: WebElement) {
    // Whole in the window first: headless Chromium sends a click on a button partly
    // below the window's edge to the form around it, and nothing is submitted.
    element.scroll_into_view().await.unwrap();
    element.click().await.unwrap();
    element
        .wait_until()
        .stale()
        .await
        .unwrap_or_else(|e| panic!("the page did not change after the click: {e}"));
}

/// Picks the option reading `text` of the select labelled `label`.
pub(crate) async fn pick(web: &WebDriver, label: &str, text: &str) {
    thirtyfour::components::SelectElement::new(&field(web, label).await)
        .await
        .unwrap()
        .select_by_exact_text(text)
        .await
        .unwrap_or_else(|e| panic!("{label}: no option {text:?}: {e}"));
}

/// Picks the option of value `value` of the select labelled `label`.
pub(crate) async fn pick_value(web: &WebDriver, label: &str, value: &str) {
    thirtyfour::components::SelectElement::new(&field(web, label).await)
        .await
        .unwrap()
        .select_by_value(value)
        .await
        .unwrap_or_else(|e| panic!("{label}: no option of value {value:?}: {e}"));
}

/// Types `text` into the field labelled `label` (cleared first).
pub(crate) async fn type_into(web: &WebDriver, label: &str, text: &str) {
    let input = field(web, label).await;
    input.clear().await.unwrap();
    input.send_keys(text).await.unwrap();
}

/// Clicks the link reading `text` and waits for the next page.
pub(crate) async fn follow(web: &WebDriver, text: &str) {
    let link = web
        .find(By::LinkText(text))
        .await
        .unwrap_or_else(|e| panic!("no link {text:?}: {e}"));
    click_and_load(link).await;
}

/// Types `name` and `password` into **Kullanıcı adı** and **Parola** on `/giris` and
/// clicks **Giriş yap**.
pub(crate) async fn log_in(web: &WebDriver, name: &str, password: &str) {
    type_into(web, "Kullanıcı adı", name).await;
    type_into(web, "Parola", password).await;
    click_button(web, "Giriş yap").await;
}

/// Opens `/giris` of `srv` and logs in as `name` with `password`.
pub(crate) async fn log_in_at(web: &WebDriver, srv: &App, name: &str, password: &str) {
    web.goto(srv.url("/giris")).await.unwrap();
    log_in(web, name, password).await;
}

/// The page's text.
pub(crate) async fn page_text(web: &WebDriver) -> String {
    web.find(By::Tag("body"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

/// The text of the element with `id`.
pub(crate) async fn text_of(web: &WebDriver, id: &str) -> String {
    web.find(By::Id(id))
        .await
        .unwrap_or_else(|e| panic!("no #{id}: {e}"))
        .text()
        .await
        .unwrap()
}

/// The text of the `<dd>` after the `<dt>` reading `term`.
pub(crate) async fn value_of(web: &WebDriver, term: &str) -> String {
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
pub(crate) async fn error_summary(web: &WebDriver) -> (String, Option<String>) {
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

/// Markup typed into a field was shown as text: no alert opened, and the page has no
/// script element but the server's own script.
pub(crate) async fn assert_no_injected_script(web: &WebDriver) {
    assert!(web.get_alert_text().await.is_err(), "an alert opened");
    let scripts = web
        .execute(
            "return Array.from(document.getElementsByTagName('script'))\
               .filter(s => !/\\/static\\/muhtar\\.[0-9a-f]{16}\\.js$/.test(s.getAttribute('src') || '')).length;",
            Vec::new(),
        )
        .await
        .unwrap();
    assert_eq!(
        scripts.json(),
        &Value::from(0),
        "a script element was injected"
    );
    let handlers = web
        .execute(
            "return Array.from(document.querySelectorAll('*'))\
               .filter(e => Array.from(e.attributes).some(a => a.name.startsWith('on'))).length;",
            Vec::new(),
        )
        .await
        .unwrap();
    assert_eq!(
        handlers.json(),
        &Value::from(0),
        "an event handler attribute was injected"
    );
}
