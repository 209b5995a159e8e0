//! Helpers shared by the CLI and server tests: a fresh PostgreSQL database, the real
//! SMTP server process of `muhtar-notify/tests/smtp_sink.py`, the `muhtar` CLI and a
//! running `muhtar serve` with an HTTP client.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::Value;

/// `DATABASE_URL`, or `None` (saying the tests were skipped) unless
/// `MUHTAR_REQUIRE_POSTGRES=1`, where a missing server fails.
pub fn pg_server(what: &str) -> Option<String> {
    match std::env::var("DATABASE_URL") {
        Ok(u) if !u.is_empty() => Some(u),
        _ if std::env::var("MUHTAR_REQUIRE_POSTGRES").as_deref() == Ok("1") => {
            panic!("MUHTAR_REQUIRE_POSTGRES=1 but DATABASE_URL is not set")
        }
        _ => {
            eprintln!(
                "SKIPPED: {what} (set DATABASE_URL=postgres://postgres@127.0.0.1:5432/test to run them)"
            );
            None
        }
    }
}

static N: AtomicUsize = AtomicUsize::new(0);

/// A fresh database on the server, dropped by nobody: names are unique per run.
pub fn fresh_pg_db(base: &str, prefix: &str) -> String {
    let name = format!(
        "{prefix}_{}_{}_{}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst),
        chrono::Utc::now().timestamp()
    );
    let o = Command::new("psql")
        .args([base, "-qc", &format!("CREATE DATABASE {name}")])
        .output()
        .expect("psql must be installed to create a test database");
    assert!(
        o.status.success(),
        "cannot create database: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    let (url, _) = base
        .rsplit_once('/')
        .expect("DATABASE_URL ends with /dbname");
    format!("{url}/{name}")
}

/// Starts the SMTP test server writing into `mail`; returns the process and its port.
pub fn smtp_sink(mail: &Path) -> (Child, u16) {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let sink = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../muhtar-notify/tests/smtp_sink.py"
    );
    let python = std::env::var("MUHTAR_PYTHON").unwrap_or_else(|_| "python3".into());
    let mut child = Command::new(&python)
        .args([sink, "--port", &port.to_string(), "--dir", mail.to_str().unwrap()])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start the SMTP test server with {python}: {e}; install Python 3 and `pip install aiosmtpd`"));
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    assert!(
        first.starts_with("READY"),
        "SMTP test server did not start (is aiosmtpd installed? `pip install aiosmtpd`): {first:?}"
    );
    (child, port)
}

pub fn muhtar(dir: &Path, db: &str, args: &[&str]) -> String {
    let o = Command::new(env!("CARGO_BIN_EXE_muhtar"))
        .current_dir(dir)
        .env("MUHTAR_DB", db)
        .env_remove("MUHTAR_AS")
        .env_remove("MUHTAR_TENANT")
        .args(args)
        .output()
        .expect("run muhtar");
    assert!(
        o.status.success(),
        "muhtar {args:?} failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout).unwrap().trim().to_owned()
}

/// A running `muhtar serve`; killed when dropped (unless stopped).
pub struct Server {
    pub child: Child,
    pub base: String,
}

impl Server {
    pub fn start(dir: &Path, db: &str, extra: &[&str], env: &[(&str, String)]) -> Server {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_muhtar"));
        cmd.current_dir(dir)
            .env("MUHTAR_DB", db)
            .env_remove("MUHTAR_AS")
            .env_remove("MUHTAR_TENANT")
            .env("MUHTAR_LOG", "warn")
            .args(["serve", "--bind", "127.0.0.1:0"])
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().expect("start muhtar serve");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let base = line
            .trim()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("server did not start: {line:?}"))
            .to_owned();
        Server { child, base }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// SIGTERM, then the exit status.
    pub fn terminate(mut self) -> std::process::ExitStatus {
        let pid = self.child.id().to_string();
        Command::new("kill").args(["-TERM", &pid]).status().unwrap();
        for _ in 0..100 {
            if let Some(s) = self.child.try_wait().unwrap() {
                return s;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("the server did not stop within 10 s of SIGTERM");
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap()
}

pub async fn body(r: reqwest::Response) -> (StatusCode, Value) {
    let s = r.status();
    let t = r.text().await.unwrap();
    (
        s,
        serde_json::from_str(&t).unwrap_or_else(|e| panic!("not JSON ({e}): {t}")),
    )
}

/// A second tenant: the example organisation under another id.
pub fn other_org(dir: &Path) -> String {
    let org = include_str!("../../data/org.toml").replacen("id = \"ibb\"", "id = \"other\"", 1);
    let p = dir.join("other.toml");
    std::fs::write(&p, org).unwrap();
    p.to_str().unwrap().to_owned()
}

pub fn token(dir: &Path, db: &str, tenant: &str, actor: &str) -> String {
    muhtar(
        dir,
        db,
        &[
            "--tenant", tenant, "--as", actor, "token", "create", "--name", "test",
        ],
    )
}
