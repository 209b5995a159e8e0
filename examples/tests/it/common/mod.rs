//! Helpers shared by the CLI and server tests: the `muhtar` CLI, a running `muhtar serve`
//! and its tokens, a fresh PostgreSQL database and the real SMTP server process of
//! `muhtar-notify/tests/smtp_sink.py`.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::Value;

/// The `muhtar` binary, run in `dir` on the database `db`, with no actor or tenant from
/// the environment.
pub fn muhtar_command(dir: &Path, db: &str) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_muhtar"));
    cmd.current_dir(dir)
        .env("MUHTAR_DB", db)
        .env_remove("MUHTAR_AS")
        .env_remove("MUHTAR_TENANT");
    cmd
}

/// Runs the `muhtar` CLI in `dir` on the database `db`; panics unless it succeeds; returns
/// its standard output, trimmed.
pub fn muhtar(dir: &Path, db: &str, args: &[&str]) -> String {
    let o = muhtar_command(dir, db)
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

/// `muhtar ARGS` on `db` in `dir` with `stdin` as standard input (a password).
pub fn muhtar_with_stdin(dir: &Path, db: &str, args: &[&str], stdin: &str) -> std::process::Output {
    use std::io::Write;
    let mut child = muhtar_command(dir, db)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

/// Runs the `muhtar` CLI in `dir` on the database `db`; panics unless it fails with one
/// line on standard error; returns that line.
pub fn muhtar_fails(dir: &Path, db: &str, args: &[&str]) -> String {
    let o = muhtar_command(dir, db)
        .args(args)
        .output()
        .expect("run muhtar");
    let e = String::from_utf8(o.stderr).unwrap();
    assert!(!o.status.success(), "muhtar {args:?} should fail: {e}");
    assert_eq!(e.trim_end().lines().count(), 1, "one clear line: {e}");
    e.trim_end().to_owned()
}

/// `muhtar init` with the example organisation and no quiet hours, so that notices go out
/// whatever the time of day.
pub fn init_without_quiet_hours(dir: &Path, db: &str) {
    let settings = dir.join("settings.toml");
    std::fs::write(
        &settings,
        "quiet_hours = { start = \"00:00\", end = \"00:00\" }\n",
    )
    .unwrap();
    muhtar(dir, db, &["init", "--settings", settings.to_str().unwrap()]);
}

/// A fresh API token (its secret) for `actor` of `tenant`.
pub fn token(dir: &Path, db: &str, tenant: &str, actor: &str) -> String {
    muhtar(
        dir,
        db,
        &[
            "--tenant", tenant, "--as", actor, "token", "create", "--name", "test",
        ],
    )
}

/// A running `muhtar serve`; killed when dropped (unless stopped).
pub struct Server {
    /// The process.
    pub child: Child,
    /// `http://127.0.0.1:PORT`.
    pub base: String,
}

impl Server {
    /// Starts `muhtar serve` in `dir` on `db`, on a free loopback port, with `extra`
    /// arguments and `env` variables (which may override `MUHTAR_LOG=warn`); returns once
    /// it listens.
    pub fn start(dir: &Path, db: &str, extra: &[&str], env: &[(&str, String)]) -> Server {
        let mut cmd = muhtar_command(dir, db);
        cmd.env("MUHTAR_LOG", "warn")
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

    /// The URL of `path` on this server.
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

    /// SIGKILL: the process dies at once, wherever it is; returns when it is gone.
    pub fn kill(mut self) {
        self.child.kill().expect("SIGKILL the server");
        self.child.wait().expect("reap the server");
    }

    /// Whether the process is still running.
    pub fn is_running(&mut self) -> bool {
        self.child.try_wait().unwrap().is_none()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The library router (`muhtar_http::router`) served in this process on a free loopback
/// port, the way `muhtar serve --no-dispatcher --no-sweeper` serves it (token
/// authentication, the default limit on failed authentications, uploads under
/// `dir/muhtar-uploads`), but without a process of its own; stopped when dropped.
pub struct App {
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl App {
    /// Serves the database `db` (migrated: `muhtar init` first) from `dir`.
    pub fn start(dir: &Path, db: &str) -> App {
        let (db, uploads) = (db.to_owned(), dir.join("muhtar-uploads"));
        std::fs::create_dir_all(&uploads).unwrap();
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async move {
                let store: std::sync::Arc<dyn muhtar_core::store::Store> = if db
                    .starts_with("postgres")
                {
                    std::sync::Arc::new(muhtar_store_postgres::PgStore::connect(&db).await.unwrap())
                } else {
                    std::sync::Arc::new(
                        muhtar_store_sqlite::SqliteStore::open(&db, Default::default())
                            .await
                            .unwrap(),
                    )
                };
                let clock: std::sync::Arc<dyn muhtar_core::clock::Clock> =
                    std::sync::Arc::new(chrono::Utc::now);
                let mbs = muhtar_core::service::Mbs::new(
                    store,
                    clock,
                    muhtar_http::OsRandom::new().unwrap(),
                );
                let state = muhtar_http::AppState::builder(mbs).uploads(uploads).build();
                let app = muhtar_http::router(state).layer(
                    muhtar_http::auth::FailedAuthLimitLayer::new(Default::default()),
                );
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
                let base = format!("http://{}", listener.local_addr().unwrap());
                ready_tx.send(base).unwrap();
                axum::serve(
                    listener,
                    app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
                )
                .with_graceful_shutdown(async {
                    let _ = stopped.await;
                })
                .await
                .unwrap();
            });
        });
        let base = ready_rx
            .recv()
            .expect("the in-process server did not start");
        App {
            base,
            stop: Some(stop),
            thread: Some(thread),
        }
    }

    /// The URL of `path` on this server.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Stops the server gracefully (requests in flight are finished); whether it stopped
    /// cleanly.
    pub fn terminate(mut self) -> Stopped {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        Stopped(self.thread.take().is_some_and(|t| t.join().is_ok()))
    }
}

/// How an in-process server stopped ([`App::terminate`]).
pub struct Stopped(bool);

impl Stopped {
    /// Whether it stopped cleanly.
    pub fn success(&self) -> bool {
        self.0
    }
}

impl Drop for App {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        // Not joined when the test is already failing: a second panic would abort.
        if let Some(t) = self.thread.take() {
            if !std::thread::panicking() {
                let _ = t.join();
            }
        }
    }
}

/// An HTTP client with a 30-second timeout.
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap()
}

/// The status and JSON body of a response; panics if the body is not JSON.
pub async fn body(r: reqwest::Response) -> (StatusCode, Value) {
    let s = r.status();
    let t = r.text().await.unwrap();
    (
        s,
        serde_json::from_str(&t).unwrap_or_else(|e| panic!("not JSON ({e}): {t}")),
    )
}

/// POSTs `json` to `url` with the bearer `token`: the status and JSON body of the answer.
pub async fn post_json(
    c: &reqwest::Client,
    url: &str,
    token: &str,
    json: &Value,
) -> (StatusCode, Value) {
    body(
        c.post(url)
            .bearer_auth(token)
            .json(json)
            .send()
            .await
            .unwrap(),
    )
    .await
}

/// A loopback port that was free a moment ago.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

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
    let port = free_port();
    (smtp_sink_on(mail, port), port)
}

/// Starts the SMTP test server on `port`, writing into `mail`.
pub fn smtp_sink_on(mail: &Path, port: u16) -> Child {
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
    child
}

/// A second tenant: the example organisation under another id.
pub fn other_org(dir: &Path) -> String {
    let org = include_str!("../../../data/org.toml").replacen("id = \"ibb\"", "id = \"other\"", 1);
    let p = write_org(dir, "other.toml", &org);
    p.to_str().unwrap().to_owned()
}

/// Writes an organisation file (the example's text, changed) as `dir/name`, with the
/// example's boundaries file beside it (the file it names, `boundaries.geojson`).
pub fn write_org(dir: &Path, name: &str, text: &str) -> PathBuf {
    std::fs::write(
        dir.join("boundaries.geojson"),
        include_str!("../../../data/boundaries.geojson"),
    )
    .unwrap();
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

/// The executable of the example `name` (`examples/examples/<name>.rs`), built first (`cargo test` builds examples, but not when
/// only some tests are asked for; a fresh build is a no-op). Built for the whole
/// workspace like the tests (`cargo nextest run --workspace`, `cargo test --workspace`):
/// with `-p muhtar-examples` the features of shared dependencies differ (dev-dependencies
/// of the other crates) and half the tree would be compiled again.
pub fn example_executable(name: &str) -> PathBuf {
    // target/<profile>/muhtar → target/<profile>/examples/<name>
    let bin = PathBuf::from(env!("CARGO_BIN_EXE_muhtar"));
    let profile_dir = bin.parent().unwrap();
    let mut build = Command::new(env!("CARGO"));
    build.current_dir(env!("CARGO_MANIFEST_DIR")).args([
        "build",
        "--quiet",
        "--workspace",
        "--example",
        name,
    ]);
    // Without the variables cargo sets for this test: build scripts that watch them
    // (ring's watches CARGO_MANIFEST_DIR) would rebuild half the tree each time.
    for (k, _) in std::env::vars_os() {
        let k = k.to_string_lossy();
        if k.starts_with("CARGO_PKG_")
            || k.starts_with("CARGO_BIN_")
            || matches!(
                k.as_ref(),
                "CARGO_MANIFEST_DIR"
                    | "CARGO_MANIFEST_PATH"
                    | "CARGO_CRATE_NAME"
                    | "CARGO_PRIMARY_PACKAGE"
                    | "CARGO_TARGET_TMPDIR"
                    | "OUT_DIR"
            )
        {
            build.env_remove(k.as_ref());
        }
    }
    if profile_dir.ends_with("release") {
        build.arg("--release");
    }
    assert!(
        build.status().unwrap().success(),
        "cargo build --example {name}"
    );
    profile_dir
        .join("examples")
        .join(format!("{name}{}", std::env::consts::EXE_SUFFIX))
}

/// The store of `db` (a PostgreSQL URL, else an SQLite file or URL), opened directly, for
/// checking what the binary wrote.
pub async fn open_store(db: &str) -> std::sync::Arc<dyn muhtar_core::store::Store> {
    if db.starts_with("postgres") {
        std::sync::Arc::new(
            muhtar_store_postgres::PgStore::connect(db)
                .await
                .expect("open the PostgreSQL store"),
        )
    } else {
        std::sync::Arc::new(
            muhtar_store_sqlite::SqliteStore::open(db, Default::default())
                .await
                .expect("open the SQLite store"),
        )
    }
}
