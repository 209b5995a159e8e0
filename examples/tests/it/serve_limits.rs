//! `muhtar serve` under slow and idle clients (issue 17, defect 3): header-read, body-read
//! and keep-alive idle timeouts, the connection cap under a low open-file limit, and a
//! graceful shutdown that finishes requests in flight but does not wait for a stalled
//! client. The limits are set through their environment variables.

use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{muhtar, token, Server};
use serde_json::json;

use crate::common;

/// Reads until the server closes the connection, for at most `within`: what it sent, or
/// `None` if the connection was still open after `within`.
fn closed_within(conn: &mut TcpStream, within: Duration) -> Option<String> {
    let start = Instant::now();
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let left = within.checked_sub(start.elapsed())?;
        conn.set_read_timeout(Some(left.max(Duration::from_millis(1))))
            .unwrap();
        match conn.read(&mut buf) {
            Ok(0) => return Some(String::from_utf8_lossy(&got).into_owned()),
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                return None
            }
            // Reset by the server: closed too.
            Err(_) => return Some(String::from_utf8_lossy(&got).into_owned()),
        }
    }
}

/// A GET with `Connection: close` over a raw connection: the whole answer, or an error
/// text if it did not come within `within`.
fn get(addr: &str, path: &str, token: &str, within: Duration) -> Result<String, String> {
    let mut conn = TcpStream::connect(addr).map_err(|e| e.to_string())?;
    write!(
        conn,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\nConnection: close\r\n\r\n"
    )
    .map_err(|e| e.to_string())?;
    closed_within(&mut conn, within).ok_or_else(|| format!("no answer within {within:?}"))
}

fn setup(dir: &Path) -> (String, String) {
    let db = format!("sqlite://{}", dir.join("limits.db").display());
    muhtar(dir, &db, &["init"]);
    let kuz = token(dir, &db, "ibb", "muhtar:kuzguncuk");
    (db, kuz)
}

fn addr(srv: &Server) -> String {
    srv.base.trim_start_matches("http://").to_owned()
}

const QUIET: &[&str] = &["--no-dispatcher", "--no-sweeper"];

#[test]
fn idle_slow_and_kept_alive_connections_are_closed_within_the_bounds() {
    let d = tempfile::tempdir().unwrap();
    let (db, kuz) = setup(d.path());
    let env = [
        ("MUHTAR_HEADER_TIMEOUT", "1".to_owned()),
        ("MUHTAR_BODY_TIMEOUT", "1".to_owned()),
    ];
    let srv = Server::start(d.path(), &db, QUIET, &env);
    let a = addr(&srv);
    let bound = Duration::from_secs(4);

    // Connects and says nothing.
    let mut idle = TcpStream::connect(&a).unwrap();
    // Slowloris: half a header, then nothing.
    let mut slow = TcpStream::connect(&a).unwrap();
    write!(slow, "GET /healthz HTTP/1.1\r\nHost: {a}\r\nX-Slow: ").unwrap();
    // Keep-alive: one whole request, then idle.
    let mut kept = TcpStream::connect(&a).unwrap();
    write!(kept, "GET /healthz HTTP/1.1\r\nHost: {a}\r\n\r\n").unwrap();
    let mut first = [0u8; 512];
    kept.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let n = kept.read(&mut first).unwrap();
    let first = String::from_utf8_lossy(&first[..n]).into_owned();
    assert!(first.starts_with("HTTP/1.1 200"), "{first}");
    assert!(!first.contains("connection: close"), "{first}");
    // Half a body, then nothing.
    let body = json!({"category": "asfalt-onarim", "subject": "Yarım gövde"}).to_string();
    let mut half = TcpStream::connect(&a).unwrap();
    write!(
        half,
        "POST /api/v1/requests HTTP/1.1\r\nHost: {a}\r\nAuthorization: Bearer {kuz}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{}",
        body.len(),
        &body[..body.len() / 2]
    )
    .unwrap();

    let t = Instant::now();
    for (what, conn) in [
        ("an idle connection", &mut idle),
        ("half a header", &mut slow),
        ("a kept-alive connection", &mut kept),
        ("half a body", &mut half),
    ] {
        let got = closed_within(conn, bound);
        assert!(
            got.is_some(),
            "{what}: still open {:?} after it was made (timeouts of 1 s)",
            t.elapsed()
        );
        if what == "half a body" {
            let got = got.unwrap();
            assert!(got.is_empty() || got.starts_with("HTTP/1.1 4"), "{got}");
        }
    }
    // Nothing of the half body was stored; the server still serves.
    let list = get(&a, "/api/v1/requests", &kuz, bound).unwrap();
    assert!(list.starts_with("HTTP/1.1 200"), "{list}");
    assert!(!list.contains("Yarım gövde"), "{list}");
}

#[test]
fn idle_connections_beyond_the_file_limit_do_not_starve_the_server() {
    let d = tempfile::tempdir().unwrap();
    let (db, kuz) = setup(d.path());
    // The server of the issue: an open-file limit of 300.
    let mut child = Command::new("prlimit")
        .args(["--nofile=300:300", "--"])
        .arg(env!("CARGO_BIN_EXE_muhtar"))
        .args(["serve", "--bind", "127.0.0.1:0"])
        .args(QUIET)
        .current_dir(d.path())
        .env("MUHTAR_DB", &db)
        .env("MUHTAR_LOG", "error")
        .env("MUHTAR_HEADER_TIMEOUT", "1")
        .env_remove("MUHTAR_AS")
        .env_remove("MUHTAR_TENANT")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("prlimit (util-linux) runs muhtar serve");
    let mut line = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(child.stdout.take().unwrap()),
        &mut line,
    )
    .unwrap();
    let base = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("server did not start: {line:?}"))
        .to_owned();
    let srv = Server { child, base };
    let a = addr(&srv);
    // 400 connections that never send a byte.
    let idle: Vec<TcpStream> = (0..400).map(|_| TcpStream::connect(&a).unwrap()).collect();
    std::thread::sleep(Duration::from_millis(300));
    let t = Instant::now();
    let r = get(&a, "/api/v1/requests", &kuz, Duration::from_secs(30))
        .unwrap_or_else(|e| panic!("not served beside 400 idle connections: {e}"));
    assert!(r.starts_with("HTTP/1.1 200"), "{r}");
    let waited = t.elapsed();
    assert!(
        waited < Duration::from_secs(20),
        "served only after {waited:?}"
    );
    eprintln!("served beside 400 idle connections after {waited:?}");
    drop(idle);
    let r = get(&a, "/healthz", &kuz, Duration::from_secs(10)).unwrap();
    assert!(r.starts_with("HTTP/1.1 200"), "{r}");
    assert!(srv.terminate().success());
}

#[test]
fn sigterm_finishes_requests_in_flight_and_does_not_wait_for_a_stalled_client() {
    let d = tempfile::tempdir().unwrap();
    let (db, kuz) = setup(d.path());
    let env = [
        ("MUHTAR_SHUTDOWN_GRACE", "2".to_owned()),
        ("MUHTAR_HEADER_TIMEOUT", "60".to_owned()),
        ("MUHTAR_BODY_TIMEOUT", "60".to_owned()),
    ];
    let mut srv = Server::start(d.path(), &db, QUIET, &env);
    let a = addr(&srv);
    let post = |subject: &str| -> (TcpStream, String) {
        let body = json!({"category": "asfalt-onarim", "subject": subject}).to_string();
        let (head, tail) = body.split_at(body.len() / 2);
        let mut conn = TcpStream::connect(&a).unwrap();
        write!(
            conn,
            "POST /api/v1/requests HTTP/1.1\r\nHost: {a}\r\nAuthorization: Bearer {kuz}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{head}",
            body.len()
        )
        .unwrap();
        conn.flush().unwrap();
        (conn, tail.to_owned())
    };
    let (mut stalled, _) = post("Hiç bitmeyen");
    let (mut normal, tail) = post("Kapanırken gelen");
    std::thread::sleep(Duration::from_millis(300));
    let t = Instant::now();
    Command::new("kill")
        .args(["-TERM", &srv.child.id().to_string()])
        .status()
        .unwrap();
    std::thread::sleep(Duration::from_millis(300));
    normal.write_all(tail.as_bytes()).unwrap();
    let mut answer = String::new();
    normal
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    normal.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 201"), "{answer}");
    // The stalled client holds the process for at most the grace period (2 s).
    let mut status = None;
    while t.elapsed() < Duration::from_secs(8) {
        if let Some(s) = srv.child.try_wait().unwrap() {
            status = Some(s);
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let exited = t.elapsed();
    assert!(
        status.is_some(),
        "still running {exited:?} after SIGTERM with a grace period of 2 s"
    );
    assert!(exited < Duration::from_secs(5), "exited after {exited:?}");
    assert!(status.unwrap().success());
    assert!(closed_within(&mut stalled, Duration::from_secs(2)).is_some());
    assert!(!srv.is_running());
}

/// SIGTERM at once after the `listening on` line (a process manager, a supervisor that
/// restarts quickly) is a graceful stop, exit 0: the handlers are installed before the
/// line is printed. Before, the default action killed the process in most tries.
#[test]
fn sigterm_right_after_start_is_a_graceful_stop() {
    let d = tempfile::tempdir().unwrap();
    let (db, _) = setup(d.path());
    for _ in 0..5 {
        let srv = Server::start(d.path(), &db, QUIET, &[]);
        let status = srv.terminate();
        assert!(status.success(), "{status:?}");
    }
}
