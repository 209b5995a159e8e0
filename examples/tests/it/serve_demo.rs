//! `muhtar serve --demo`: on first use it adds one web user per role with a random
//! password and prints them on standard output (never in the log); one of them logs in
//! to `/giris`. Started again, it adds no one and prints no password.

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Stdio};

use crate::common;

/// Starts `muhtar serve --demo` in `dir`; the process, the lines it printed before it
/// listened, and its base URL.
#[allow(clippy::zombie_processes)] // the caller waits for it: `stop`
pub(crate) fn start(dir: &std::path::Path, db: &str) -> (Child, Vec<String>, String) {
    let mut child = common::muhtar_command(dir, db)
        .env("MUHTAR_LOG", "info")
        .args([
            "serve",
            "--demo",
            "--bind",
            "127.0.0.1:0",
            "--no-dispatcher",
            "--no-sweeper",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut printed = Vec::new();
    loop {
        let mut line = String::new();
        if out.read_line(&mut line).unwrap_or(0) == 0 {
            let _ = child.kill();
            let _ = child.wait();
            panic!("no listening line: {printed:?}");
        }
        if let Some(base) = line.trim().strip_prefix("listening on ") {
            return (child, printed, base.to_owned());
        }
        printed.push(line.trim().to_owned());
    }
}

/// The web users `serve --demo` printed: (actor, user name, password).
pub(crate) fn users(printed: &[String]) -> Vec<(String, String, String)> {
    printed
        .iter()
        .filter_map(|l| l.strip_prefix("user for "))
        .map(|l| {
            let (who, rest) = l.split_once(": ").unwrap();
            let (name, pw) = rest.split_once(' ').unwrap();
            (who.to_owned(), name.to_owned(), pw.to_owned())
        })
        .collect()
}

/// Ends the server; what it logged.
pub(crate) fn stop(mut child: Child) -> String {
    child.kill().unwrap();
    let mut log = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut log)
        .unwrap();
    child.wait().unwrap();
    log
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_demo_prints_a_web_user_per_role_who_can_log_in() {
    let d = tempfile::tempdir().unwrap();
    let db = d.path().join("m.db");
    let db = db.to_str().unwrap();
    let (child, printed, base) = start(d.path(), db);
    let users = users(&printed);
    let roles: Vec<&str> = users.iter().map(|(w, _, _)| w.as_str()).collect();
    assert_eq!(
        roles,
        [
            "muhtar:kuzguncuk",
            "unit:veteriner-mud",
            "coordinator",
            "official",
            "auditor",
            "admin"
        ],
        "{printed:?}"
    );
    for (_, _, pw) in &users {
        assert_eq!(pw.len(), 16, "{printed:?}");
    }
    // The muhtar logs in with the printed password.
    let (_, name, pw) = &users[0];
    let c = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let form = c.get(format!("{base}/giris")).send().await.unwrap();
    let token = form
        .headers()
        .get_all("set-cookie")
        .iter()
        .find_map(|v| v.to_str().unwrap().strip_prefix("muhtar_giris="))
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let r = c
        .post(format!("{base}/giris"))
        .header("cookie", format!("muhtar_giris={token}"))
        .form(&[
            ("kullanici", name.as_str()),
            ("parola", pw),
            ("csrf", &token),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303, "{}", r.text().await.unwrap());
    let session = r
        .headers()
        .get_all("set-cookie")
        .iter()
        .find_map(|v| v.to_str().unwrap().strip_prefix("muhtar_oturum="))
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let home = c
        .get(format!("{base}/"))
        .header("cookie", format!("muhtar_oturum={session}"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        home.contains("Hoş geldiniz, <strong>Kuzguncuk Muhtarı</strong>"),
        "{home}"
    );
    // No password in the log.
    let log = stop(child);
    for (_, _, pw) in &users {
        assert!(!log.contains(pw.as_str()), "{log}");
    }
    // Started again: the same users, no new password.
    let (child, printed, _) = start(d.path(), db);
    stop(child);
    let again: Vec<&String> = printed
        .iter()
        .filter(|l| l.starts_with("user for "))
        .collect();
    assert_eq!(again.len(), 6, "{printed:?}");
    for (l, (_, _, pw)) in again.iter().zip(&users) {
        assert!(
            l.ends_with("(added before; its password was printed then)"),
            "{l}"
        );
        assert!(!l.contains(pw.as_str()), "{l}");
    }
}
