//! Helpers shared by the CLI and server tests: a fresh PostgreSQL database and the real
//! SMTP server process of `muhtar-notify/tests/smtp_sink.py`.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};

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
