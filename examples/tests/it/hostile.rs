//! Hostile input, access and personal data, against a running `muhtar serve` (issue 11):
//!
//! - property-based HTTP testing of the OpenAPI document with schemathesis (no 5xx);
//! - SQL injection payloads in every text field, REST and Open311, SQLite and
//!   PostgreSQL: stored byte for byte or refused naming the field, the database intact;
//! - very long, oversized and non-UTF-8 input in bodies, forms, query strings, paths and
//!   headers, and hostile upload file names: a clear 4xx, nothing written;
//! - access: random (actor, endpoint, request) triples over REST and Open311 against
//!   core's `access::authorize` as the oracle;
//! - the limit on failed authentications per client address;
//! - personal data never in the server's logs, even at `MUHTAR_LOG=trace`;
//! - a read-only database file, with the server run unprivileged (`runuser -u nobody`).
//!
//! Bounded for CI (about a minute together); `MUHTAR_SCHEMATHESIS_EXAMPLES` and
//! `MUHTAR_ACCESS_CASES` raise the number of generated cases.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::common;
use common::{client, muhtar, other_org, token, Server};

// ---------------------------------------------------------------------------------------
// Helpers

/// A temporary directory with an initialised SQLite database (tenant `ibb`).
fn sqlite_world() -> (tempfile::TempDir, String) {
    let d = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", d.path().join("hostile.db").display());
    muhtar(d.path(), &db, &["init"]);
    (d, db)
}

/// `muhtar serve` without background tasks and without the limit on failed
/// authentications (these tests send bad tokens on purpose).
fn quiet_server(dir: &Path, db: &str) -> Server {
    Server::start(
        dir,
        db,
        &[
            "--no-dispatcher",
            "--no-sweeper",
            "--auth-max-failures",
            "0",
        ],
        &[],
    )
}

/// Status and body of a response: JSON if it is JSON, else the text as a JSON string.
async fn send(r: reqwest::RequestBuilder) -> (StatusCode, Value) {
    let r = r.send().await.unwrap();
    let s = r.status();
    let b = r.bytes().await.unwrap();
    let v = serde_json::from_slice(&b)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&b).into_owned()));
    (s, v)
}

fn python() -> String {
    std::env::var("MUHTAR_PYTHON").unwrap_or_else(|_| "python3".into())
}

/// One value of an SQL query on the test database (psql for PostgreSQL, Python's sqlite3
/// module, read-only and without touching the file, for SQLite).
fn sql(db: &str, query: &str) -> String {
    let o = if db.starts_with("postgres") {
        Command::new("psql").args([db, "-tAc", query]).output()
    } else {
        let path = db.trim_start_matches("sqlite://");
        Command::new(python())
            .args([
                "-c",
                "import sqlite3, sys; c = sqlite3.connect('file:' + sys.argv[1] + '?mode=ro', uri=True); print(c.execute(sys.argv[2]).fetchone()[0])",
                path,
                query,
            ])
            .output()
    }
    .expect("psql / python3 to read the test database");
    assert!(
        o.status.success(),
        "{query}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).trim().to_owned()
}

/// How many requests `tok` sees.
async fn count(c: &reqwest::Client, srv: &Server, tok: &str) -> usize {
    let (s, v) = send(
        c.get(srv.url("/api/v1/requests?limit=1000"))
            .bearer_auth(tok),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    v["items"].as_array().unwrap().len()
}

fn form(pairs: &[(&str, &str)]) -> String {
    form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish()
}

fn urlencode(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

async fn post_form(
    c: &reqwest::Client,
    srv: &Server,
    body: impl Into<reqwest::Body>,
) -> (StatusCode, Value) {
    send(
        c.post(srv.url("/open311/v2/requests.json"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body),
    )
    .await
}

/// Sends raw bytes on a new connection; returns the response's status line.
fn raw_http(srv: &Server, request: &[u8]) -> String {
    let addr = srv.base.trim_start_matches("http://");
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    s.write_all(request).unwrap();
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    String::from_utf8_lossy(&out)
        .lines()
        .next()
        .unwrap_or("")
        .to_owned()
}

/// The error's `field` of a REST error body.
fn field(v: &Value) -> &str {
    v["error"]["field"].as_str().unwrap_or("")
}

/// Whether some string in `v` is exactly `s`.
fn holds(v: &Value, s: &str) -> bool {
    match v {
        Value::String(x) => x == s,
        Value::Array(a) => a.iter().any(|x| holds(x, s)),
        Value::Object(m) => m.values().any(|x| holds(x, s)),
        _ => false,
    }
}

/// An e-mail address carrying `p` in its local part (without whitespace).
fn emailify(p: &str) -> String {
    format!("{}@example.org", p.replace(char::is_whitespace, ""))
}

/// A URL carrying `p` in its path.
fn urlify(p: &str) -> String {
    format!("https://foto.example.org/{p}")
}

/// What a REST submission with one field set to a hostile value looks like: the field's
/// name (as the API names it in errors), the JSON pointer where it reads back (in the
/// request view, or in the `received` event where `history` is set), the body and the
/// value that must read back.
struct RestCase {
    field: &'static str,
    pointer: &'static str,
    history: bool,
    body: Value,
    stored: String,
}

fn rest_cases(p: &str) -> Vec<RestCase> {
    let base = || json!({"category": "asfalt-onarim", "subject": "Enjeksiyon denemesi"});
    let with = |k: &str, v: Value| {
        let mut b = base();
        b[k] = v;
        b
    };
    let case = |field, pointer, body, stored: &str| RestCase {
        field,
        pointer,
        history: false,
        body,
        stored: stored.to_owned(),
    };
    let mut animal = with("category", json!("yarali-hayvan"));
    animal["attributes"] = json!({"hayvan-turu": p});
    let mut odd_attribute = with("category", json!("yarali-hayvan"));
    odd_attribute["attributes"] = json!({"hayvan-turu": "kedi", p: "x"});
    vec![
        case("subject", "/subject", with("subject", json!(p)), p),
        case(
            "description",
            "/description",
            with("description", json!(p)),
            p,
        ),
        case("address", "/address", with("address", json!(p)), p),
        RestCase {
            history: true,
            ..case(
                "registration_number",
                "/0/kind/content/registration_number",
                with("registration_number", json!(p)),
                p,
            )
        },
        case(
            "citizen.name",
            "/citizen/name",
            with("citizen", json!({"name": p})),
            p,
        ),
        case(
            "citizen.email",
            "/citizen/email",
            with("citizen", json!({"name": "Vatandaş", "email": emailify(p)})),
            &emailify(p),
        ),
        case(
            "citizen.phone",
            "/citizen/phone",
            with("citizen", json!({"name": "Vatandaş", "phone": p})),
            p,
        ),
        case(
            "media_url",
            "/media_url",
            with("media_url", json!(urlify(p))),
            &urlify(p),
        ),
        case("attributes", "/attributes/hayvan-turu", animal, p),
        case("attributes", "/attributes/hayvan-turu", odd_attribute, p),
        case("muhtarlik", "/muhtarlik", with("muhtarlik", json!(p)), p),
        case("category", "/category", with("category", json!(p)), p),
        case("channel", "/channel", with("channel", json!(p)), p),
        case("kind", "/kind", with("kind", json!(p)), p),
        case("priority", "/priority", with("priority", json!(p)), p),
    ]
}

/// The same for an Open311 form: the parameter, the names an error may give it, the
/// pointer in the REST view, the form and the value that must read back.
struct FormCase {
    param: &'static str,
    names: &'static [&'static str],
    pointer: &'static str,
    form: Vec<(String, String)>,
    stored: String,
}

fn open311_cases(p: &str, key: &str, coord: &str) -> Vec<FormCase> {
    let base = |key: &str| -> Vec<(String, String)> {
        [
            ("jurisdiction_id", "ibb"),
            ("api_key", key),
            ("service_code", "asfalt-onarim"),
            ("lat", "41.0312"),
            ("long", "29.0301"),
        ]
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
    };
    let set = |mut f: Vec<(String, String)>, k: &str, v: &str| {
        f.retain(|(x, _)| x != k);
        f.push((k.to_owned(), v.to_owned()));
        f
    };
    let case = |param, names, pointer, form, stored: &str| FormCase {
        param,
        names,
        pointer,
        form,
        stored: stored.to_owned(),
    };
    // (parameter, names an error may give it, pointer in the REST view, value sent).
    let plain: [(&'static str, &'static [&'static str], &'static str, String); 10] = [
        (
            "description",
            &["description", "subject"],
            "/description",
            p.to_owned(),
        ),
        ("address_string", &["address"], "/address", p.to_owned()),
        (
            "first_name",
            &["citizen.name"],
            "/citizen/name",
            p.to_owned(),
        ),
        (
            "last_name",
            &["citizen.name"],
            "/citizen/name",
            p.to_owned(),
        ),
        // Without first_name and last_name the e-mail (or phone) is the name too.
        (
            "email",
            &["citizen.email", "citizen.name"],
            "/citizen/email",
            emailify(p),
        ),
        (
            "phone",
            &["citizen.phone", "citizen.name"],
            "/citizen/phone",
            p.to_owned(),
        ),
        ("media_url", &["media_url"], "/media_url", urlify(p)),
        ("service_code", &["service_code"], "/category", p.to_owned()),
        ("jurisdiction_id", &["jurisdiction_id"], "", p.to_owned()),
        ("api_key", &["api_key"], "", p.to_owned()),
    ];
    let mut cases: Vec<FormCase> = plain
        .into_iter()
        .map(|(param, names, pointer, v)| {
            case(param, names, pointer, set(base(key), param, &v), &v)
        })
        .collect();
    let animal = set(base(key), "service_code", "yarali-hayvan");
    cases.push(case(
        "attribute[hayvan-turu]",
        &["attributes"],
        "/attributes/hayvan-turu",
        set(animal, "attribute[hayvan-turu]", p),
        p,
    ));
    cases.push(case(
        "attribute[muhtarlik]",
        &["muhtarlik"],
        "/muhtarlik",
        set(base(coord), "attribute[muhtarlik]", p),
        p,
    ));
    cases
}

/// Every regular file below `dir`, relative to it.
fn files_below(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() {
                todo.push(p);
            } else {
                out.push(p.strip_prefix(dir).unwrap().to_path_buf());
            }
        }
    }
    out
}

// ---------------------------------------------------------------------------------------
// 1. Property-based HTTP testing of the OpenAPI document

/// Runs schemathesis (Python, `pip install schemathesis`) in `dir`; its exit status and
/// output.
fn schemathesis(dir: &Path, args: &[&str]) -> (bool, String) {
    let o = Command::new(python())
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .args([
            "-c",
            "import sys; from schemathesis.cli import schemathesis; sys.argv[0] = 'schemathesis'; schemathesis()",
        ])
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", python()));
    let out = format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(
        !out.contains("No module named"),
        "schemathesis is not installed (bash .ci/services.sh installs it): {out}"
    );
    (o.status.success(), out)
}

/// The number in schemathesis's summary line `N generated, N passed`.
fn generated(out: &str) -> u64 {
    out.lines()
        .find_map(|l| {
            let l = l.trim();
            l.split_once(" generated")
                .and_then(|(n, _)| n.trim().parse().ok())
        })
        .unwrap_or_else(|| panic!("no summary in the schemathesis output: {out}"))
}

/// schemathesis generates requests from `/api/v1/openapi.json` (examples, coverage,
/// fuzzing and stateful phases) with a coordinator's token, its path parameters pointed
/// at a real request, unit and quarter, then a smaller run without a token; no response
/// may be a 5xx (`not_a_server_error`). One worker: the generator's recursion trips
/// CPython 3.11's parser in threads.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openapi_property_tests_find_no_server_error() {
    let (d, db) = sqlite_world();
    let dir = d.path();
    let coord = token(dir, &db, "ibb", "coordinator");
    let kuz = token(dir, &db, "ibb", "muhtar:kuzguncuk");
    let srv = quiet_server(dir, &db);
    let c = client();
    let (s, rec) = send(
        c.post(srv.url("/api/v1/requests"))
            .bearer_auth(&kuz)
            .json(&json!({"category": "asfalt-onarim", "subject": "Çukur",
                          "citizen": {"name": "Deneme Vatandaş"}})),
    )
    .await;
    assert_eq!(s, 201, "{rec}");
    let config = dir.join("schemathesis.toml");
    std::fs::write(
        &config,
        format!(
            "[parameters]\n\"path.tracking\" = {:?}\n\"path.unit\" = {:?}\n\"path.quarter\" = \"2025Q4\"\n",
            rec["tracking"].as_str().unwrap(),
            rec["unit"].as_str().unwrap()
        ),
    )
    .unwrap();
    let examples =
        std::env::var("MUHTAR_SCHEMATHESIS_EXAMPLES").unwrap_or_else(|_| "10".to_owned());
    let schema = srv.url("/api/v1/openapi.json");
    let auth = format!("Authorization: Bearer {coord}");
    let started = Instant::now();
    let (ok, out) = schemathesis(
        dir,
        &[
            "--config-file",
            config.to_str().unwrap(),
            "run",
            &schema,
            "-H",
            &auth,
            "--checks",
            "not_a_server_error",
            "-n",
            &examples,
            "--seed",
            "1",
            "-w",
            "1",
            "--no-shrink",
            "--request-timeout",
            "20",
        ],
    );
    assert!(ok, "schemathesis found a server error (or failed):\n{out}");
    let with_token = generated(&out);
    assert!(with_token >= 200, "too few cases ran: {with_token}\n{out}");
    let (ok, out) = schemathesis(
        dir,
        &[
            "run",
            &schema,
            "--checks",
            "not_a_server_error",
            "-n",
            "2",
            "--seed",
            "2",
            "-w",
            "1",
            "--no-shrink",
            "--phases",
            "coverage,fuzzing",
        ],
    );
    assert!(ok, "schemathesis (anonymous) found a server error:\n{out}");
    let anonymous = generated(&out);
    eprintln!(
        "schemathesis: {with_token} cases with a coordinator's token, {anonymous} anonymous, no 5xx, in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let (s, _) = send(c.get(srv.url("/readyz"))).await;
    assert_eq!(s, 200);
    assert!(srv.terminate().success());
}

// ---------------------------------------------------------------------------------------
// 2. SQL injection in every text field

const PAYLOADS: &[&str] = &[
    "'; DROP TABLE requests; --",
    "' OR '1'='1",
    "\"; DROP TABLE events; --",
    "\\",
    "\\'; DELETE FROM api_tokens; --",
    "Robert'); DROP TABLE requests;--",
    "1; UPDATE requests SET status = 'closed' WHERE 1=1",
    "%' UNION SELECT sqlite_version(), NULL, NULL --",
    "$$; DROP TABLE outbox; $$",
    "x' AND (SELECT pg_sleep(5)) IS NULL --",
    "‘ ’ ＇ ＂ ʼ ` ´ \u{2028} \u{feff}",
    "a\u{0}b'; --",
];

/// Every payload in every text field, one field at a time: REST submissions, Open311
/// forms, lifecycle commands (texts, notes, reasons), sign-off notes and query
/// parameters. Each is stored byte for byte (read back equal) or refused with a 4xx
/// naming the field, never a 5xx; afterwards every table is there and the counts agree.
async fn injection(db: &str) {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path();
    muhtar(dir, db, &["init"]);
    let kuz = token(dir, db, "ibb", "muhtar:kuzguncuk");
    let coord = token(dir, db, "ibb", "coordinator");
    let official = token(dir, db, "ibb", "official");
    let srv = quiet_server(dir, db);
    let c = client();
    let submit = |tok: &str, v: &Value| {
        c.post(srv.url("/api/v1/requests"))
            .bearer_auth(tok.to_owned())
            .json(v)
    };
    let view = |tr: &str| {
        c.get(srv.url(&format!("/api/v1/requests/{tr}")))
            .bearer_auth(coord.clone())
    };
    let history = |tr: &str| {
        c.get(srv.url(&format!("/api/v1/requests/{tr}/history")))
            .bearer_auth(coord.clone())
    };
    let cmd = |tok: &str, tr: &str, action: &str, v: Value| {
        c.post(srv.url(&format!("/api/v1/requests/{tr}/{action}")))
            .bearer_auth(tok.to_owned())
            .json(&v)
    };
    let mut controls = Vec::new();
    for i in 0..3 {
        let subject = format!("Kontrol {i}");
        let (s, v) = send(submit(
            &kuz,
            &json!({"category": "budama", "subject": subject}),
        ))
        .await;
        assert_eq!(s, 201, "{v}");
        controls.push((v["tracking"].as_str().unwrap().to_owned(), subject));
    }
    let mut expected = controls.len();
    let (mut stored, mut refused, mut tried) = (0, 0, 0);
    let must_store = [
        "subject",
        "description",
        "address",
        "registration_number",
        "citizen.name",
        "first_name",
        "last_name",
        "address_string",
    ];

    for p in PAYLOADS {
        let nul = p.contains('\0');
        // REST submissions.
        for case in rest_cases(p) {
            tried += 1;
            let tok = if case.field == "muhtarlik" {
                &coord
            } else {
                &kuz
            };
            let (s, v) = send(submit(tok, &case.body)).await;
            match s.as_u16() {
                201 => {
                    expected += 1;
                    stored += 1;
                    let tr = v["tracking"].as_str().unwrap();
                    let back = if case.history {
                        send(history(tr)).await.1
                    } else {
                        send(view(tr)).await.1
                    };
                    assert_eq!(
                        back.pointer(case.pointer).and_then(Value::as_str),
                        Some(case.stored.as_str()),
                        "{}: {p:?} did not read back equal: {back}",
                        case.field
                    );
                }
                400 | 422 => {
                    refused += 1;
                    assert!(
                        field(&v).starts_with(case.field),
                        "{}: {p:?} refused without naming it: {v}",
                        case.field
                    );
                    assert!(
                        nul || !must_store.contains(&case.field),
                        "{}: {p:?} should be stored: {v}",
                        case.field
                    );
                }
                _ => panic!("{}: {p:?} → {s} {v}", case.field),
            }
        }
        // Open311 forms.
        for case in open311_cases(p, &kuz, &coord) {
            tried += 1;
            let (s, v) = post_form(&c, &srv, form_of(&case.form)).await;
            match s.as_u16() {
                201 => {
                    expected += 1;
                    stored += 1;
                    let id = v[0]["service_request_id"].as_str().unwrap();
                    let back = send(view(id)).await.1;
                    assert_eq!(
                        back.pointer(case.pointer).and_then(Value::as_str),
                        Some(case.stored.as_str()),
                        "open311 {}: {p:?} did not read back equal: {back}",
                        case.param
                    );
                    if case.param == "description" {
                        assert_eq!(back["subject"], *p, "the subject is the first line");
                    }
                }
                400 | 403 | 404 => {
                    refused += 1;
                    let d = v[0]["description"].as_str().unwrap_or("");
                    assert!(
                        case.names.iter().any(|n| d.contains(n)),
                        "open311 {}: {p:?} refused without naming it: {v}",
                        case.param
                    );
                    assert!(
                        nul || !must_store.contains(&case.param),
                        "open311 {}: {p:?} should be stored: {v}",
                        case.param
                    );
                }
                _ => panic!("open311 {}: {p:?} → {s} {v}", case.param),
            }
        }
        // Lifecycle commands on one request: texts, notes and reasons.
        let (s, r) = send(submit(
            &kuz,
            &json!({"category": "asfalt-onarim", "subject": "Komutlar"}),
        ))
        .await;
        assert_eq!(s, 201, "{r}");
        expected += 1;
        let tr = r["tracking"].as_str().unwrap().to_owned();
        let (s, v) = send(cmd(&coord, &tr, "accept", json!({}))).await;
        assert_eq!(s, 200, "{v}");
        let steps: Vec<(&str, &str, Value, &[&str])> = vec![
            ("reply", "coord", json!({"text": p}), &["text"]),
            ("message", "coord", json!({"text": p}), &["text"]),
            ("pause", "coord", json!({"note": p}), &["note"]),
            ("resume", "kuz", json!({"note": p}), &["note"]),
            (
                "answer",
                "coord",
                json!({"outcome": "negative", "reason": "other", "reason_text": p, "text": p}),
                &["text", "reason_text", "reason"],
            ),
            ("reopen", "kuz", json!({"reason": p}), &["reason"]),
            ("extend", "coord", json!({"reason": p}), &["reason"]),
            ("transfer", "coord", json!({"to": p, "reason": p}), &["to"]),
            ("reroute", "coord", json!({"to": p, "reason": p}), &["to"]),
            ("merge", "coord", json!({"into": p}), &["into"]),
        ];
        for (action, who, body, fields) in steps {
            tried += 1;
            let tok = if who == "kuz" { &kuz } else { &coord };
            let (s, v) = send(cmd(tok, &tr, action, body)).await;
            match s.as_u16() {
                200 => {
                    stored += 1;
                    let (_, h) = send(history(&tr)).await;
                    let last = h.as_array().unwrap().last().unwrap().clone();
                    assert!(
                        holds(&last, p),
                        "{action}: {p:?} is not in the event: {last}"
                    );
                }
                409 => {}
                400 | 422 => {
                    refused += 1;
                    assert!(
                        fields.contains(&field(&v)) || v["error"]["code"] == "lifecycle",
                        "{action}: {p:?} refused without naming the field: {v}"
                    );
                    assert!(
                        nul || !matches!(
                            action,
                            "reply" | "message" | "pause" | "answer" | "reopen"
                        ),
                        "{action}: {p:?} should be stored: {v}"
                    );
                }
                _ => panic!("{action}: {p:?} → {s} {v}"),
            }
            // Keep the request where the next step can run.
            match (s.as_u16(), v["status"].as_str()) {
                (200, Some("paused")) if action != "pause" => {
                    send(cmd(&kuz, &tr, "resume", json!({"note": "devam"}))).await;
                }
                (200, Some("answered")) if action != "answer" => {
                    send(cmd(&kuz, &tr, "reopen", json!({"reason": "yeniden"}))).await;
                }
                _ => {}
            }
        }
        // Withdraw a fresh request with the payload as the reason.
        let (s, r) = send(submit(
            &kuz,
            &json!({"category": "moloz", "subject": "Geri çekilecek"}),
        ))
        .await;
        assert_eq!(s, 201);
        expected += 1;
        tried += 1;
        let wtr = r["tracking"].as_str().unwrap().to_owned();
        let (s, v) = send(cmd(&kuz, &wtr, "withdraw", json!({"reason": p}))).await;
        match s.as_u16() {
            200 => {
                stored += 1;
                assert_eq!(v["status"], "withdrawn");
                let (_, h) = send(history(&wtr)).await;
                assert!(holds(h.as_array().unwrap().last().unwrap(), p), "{h}");
            }
            422 => {
                refused += 1;
                assert!(nul && field(&v) == "reason", "{v}");
            }
            _ => panic!("withdraw: {p:?} → {s} {v}"),
        }
        // A sign-off note.
        tried += 1;
        let (s, v) = send(
            c.post(srv.url("/api/v1/reports/2025Q4/sign"))
                .bearer_auth(&official)
                .json(&json!({"note": p})),
        )
        .await;
        match s.as_u16() {
            201 => {
                stored += 1;
                let (_, all) =
                    send(c.get(srv.url("/api/v1/reports/signed")).bearer_auth(&coord)).await;
                assert!(
                    all.as_array()
                        .unwrap()
                        .iter()
                        .any(|r| r["note"] == *p && r["id"] == v["id"]),
                    "sign-off note {p:?} did not read back: {all}"
                );
            }
            422 => {
                refused += 1;
                assert!(nul && field(&v) == "note", "{v}");
            }
            _ => panic!("sign: {p:?} → {s} {v}"),
        }
        // Query parameters and path segments.
        let q = urlencode(p);
        for k in [
            "category",
            "muhtarlik",
            "unit",
            "status",
            "channel",
            "order",
            "after",
            "limit",
        ] {
            tried += 1;
            let (s, v) = send(
                c.get(srv.url(&format!("/api/v1/requests?{k}={q}")))
                    .bearer_auth(&coord),
            )
            .await;
            assert!(
                s == 200 && v["items"].as_array().is_some_and(|i| i.is_empty())
                    || matches!(s.as_u16(), 400 | 422) && field(&v) == k,
                "?{k}={p:?} → {s} {v}"
            );
        }
        for k in ["service_code", "status", "service_request_id", "start_date"] {
            tried += 1;
            let (s, v) = send(c.get(srv.url(&format!(
                "/open311/v2/requests.json?jurisdiction_id=ibb&{k}={q}"
            ))))
            .await;
            assert!(
                s == 200 && v.as_array().is_some_and(|a| a.is_empty()) || s == 400,
                "open311 ?{k}={p:?} → {s} {v}"
            );
        }
        let seg: String = form_urlencoded::byte_serialize(p.as_bytes())
            .collect::<String>()
            .replace('+', "%20");
        for path in [
            format!("/api/v1/requests/{seg}"),
            format!("/api/v1/units/{seg}/queue"),
            format!("/api/v1/reports/{seg}"),
            format!("/open311/v2/requests/{seg}.json?jurisdiction_id=ibb"),
            format!("/open311/v2/services/{seg}.json?jurisdiction_id=ibb"),
        ] {
            tried += 1;
            let (s, v) = send(c.get(srv.url(&path)).bearer_auth(&coord)).await;
            assert!(s.is_client_error(), "{path} → {s} {v}");
        }
    }

    // The database is intact: every table answers, the counts agree, the control
    // requests are as they were, the tokens still work.
    assert_eq!(count(&c, &srv, &coord).await, expected);
    for (tr, subject) in &controls {
        let (s, v) = send(view(tr)).await;
        assert_eq!(
            (s.as_u16(), v["subject"].as_str()),
            (200, Some(subject.as_str()))
        );
        assert_eq!(v["status"], "routed");
    }
    assert_eq!(
        sql(db, "SELECT count(*) FROM requests"),
        expected.to_string()
    );
    for table in [
        "events",
        "outbox",
        "api_tokens",
        "signed_reports",
        "documents",
    ] {
        let n: u64 = sql(db, &format!("SELECT count(*) FROM {table}"))
            .parse()
            .unwrap();
        assert!(n > 0, "{table} is empty");
    }
    if !db.starts_with("postgres") {
        assert_eq!(sql(db, "PRAGMA integrity_check"), "ok");
    }
    assert!(srv.terminate().success());
    eprintln!(
        "injection ({}): {} payloads, {tried} attempts: {stored} stored byte for byte, {refused} refused naming the field, 0 server errors",
        if db.starts_with("postgres") { "PostgreSQL" } else { "SQLite" },
        PAYLOADS.len()
    );
    assert!(
        stored > 100 && refused > 50,
        "{stored} stored, {refused} refused"
    );
}

fn form_of(pairs: &[(String, String)]) -> String {
    let p: Vec<(&str, &str)> = pairs
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    form(&p)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sql_injection_in_every_text_field_on_sqlite() {
    let d = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", d.path().join("inject.db").display());
    injection(&db).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sql_injection_in_every_text_field_on_postgres() {
    let Some(base) = common::pg_server("SQL injection on PostgreSQL") else {
        return;
    };
    injection(&common::fresh_pg_db(&base, "muhtar_inject")).await;
}

// ---------------------------------------------------------------------------------------
// 3. Very long and non-UTF-8 input, hostile upload names

/// A megabyte in each field, bodies over the limit, bytes that are not UTF-8 in JSON,
/// forms, query strings, path segments and header values: each a clear 4xx whose body
/// stays small, and nothing written. Then upload file names that try to leave the
/// uploads directory: the file lands under its hash and nowhere else.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn long_and_non_utf8_input_gets_a_clear_4xx_and_writes_nothing() {
    let (d, db) = sqlite_world();
    let dir = d.path();
    let kuz = token(dir, &db, "ibb", "muhtar:kuzguncuk");
    let coord = token(dir, &db, "ibb", "coordinator");
    let srv = quiet_server(dir, &db);
    let c = client();
    let (s, r) = send(
        c.post(srv.url("/api/v1/requests"))
            .bearer_auth(&kuz)
            .json(&json!({"category": "asfalt-onarim", "subject": "Var olan"})),
    )
    .await;
    assert_eq!(s, 201);
    let tr = r["tracking"].as_str().unwrap().to_owned();
    let before = count(&c, &srv, &coord).await;
    let uploads = dir.join("muhtar-uploads");
    let small = |v: &Value| v.to_string().len() < 2048;

    // Nearly a megabyte in each field (the body stays under the 1 MiB limit).
    let big = "ç".repeat(450_000);
    for case in rest_cases(&big) {
        let tok = if case.field == "muhtarlik" {
            &coord
        } else {
            &kuz
        };
        let (s, v) = send(
            c.post(srv.url("/api/v1/requests"))
                .bearer_auth(tok)
                .json(&case.body),
        )
        .await;
        assert!(
            matches!(s.as_u16(), 400 | 413 | 422) && field(&v).starts_with(case.field),
            "{}: {s} {v:.300}",
            case.field
        );
        assert!(small(&v), "{}: the error echoes the input", case.field);
    }
    // ASCII for the form: percent-encoding would triple a multi-byte character.
    let big_ascii = "a".repeat(900_000);
    for case in open311_cases(&big_ascii, &kuz, &coord) {
        let (s, v) = post_form(&c, &srv, form_of(&case.form)).await;
        let d = v[0]["description"].as_str().unwrap_or("");
        assert!(
            matches!(s.as_u16(), 400 | 403 | 404) && case.names.iter().any(|n| d.contains(n)),
            "open311 {}: {s} {v:.300}",
            case.param
        );
        assert!(
            small(&v),
            "open311 {}: the error echoes the input",
            case.param
        );
    }
    for (action, body) in [
        ("reply", json!({"text": big})),
        ("pause", json!({"note": big})),
        ("withdraw", json!({"reason": big})),
        ("transfer", json!({"to": big, "reason": "x"})),
    ] {
        let (s, v) = send(
            c.post(srv.url(&format!("/api/v1/requests/{tr}/{action}")))
                .bearer_auth(&coord)
                .json(&body),
        )
        .await;
        assert!(matches!(s.as_u16(), 403 | 422), "{action}: {s} {v:.300}");
        assert!(small(&v), "{action}: the error echoes the input");
    }
    // Bodies above the limit.
    let huge = "a".repeat(1_100_000);
    for (path, tok) in [
        ("/api/v1/requests".to_owned(), &kuz),
        (format!("/api/v1/requests/{tr}/reply"), &coord),
        ("/api/v1/reports/2025Q4/sign".to_owned(), &coord),
    ] {
        let r = client()
            .post(srv.url(&path))
            .bearer_auth(tok)
            .json(
                &json!({"category": "asfalt-onarim", "subject": huge, "text": huge, "note": huge}),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 413, "{path}");
    }
    let r = client()
        .post(srv.url("/open311/v2/requests.json"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!(
            "api_key={kuz}&service_code=asfalt-onarim&description={huge}"
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 413);

    // Not UTF-8: JSON bodies (raw bytes and a lone surrogate escape), a multipart part.
    for body in [
        &b"{\"category\": \"asfalt-onarim\", \"subject\": \"\xff\xfe\"}"[..],
        b"{\"category\": \"asfalt-onarim\", \"subject\": \"ok\", \"description\": \"\xc3\"}",
        b"{\"category\": \"asfalt-onarim\", \"subject\": \"\\ud800\"}",
    ] {
        let (s, v) = send(
            c.post(srv.url("/api/v1/requests"))
                .bearer_auth(&kuz)
                .header("content-type", "application/json")
                .body(body.to_vec()),
        )
        .await;
        assert!(matches!(s.as_u16(), 400 | 422), "{s} {v}");
        let (s, v) = send(
            c.post(srv.url(&format!("/api/v1/requests/{tr}/reply")))
                .bearer_auth(&coord)
                .header("content-type", "application/json")
                .body(body.to_vec()),
        )
        .await;
        assert!(matches!(s.as_u16(), 400 | 422), "reply: {s} {v}");
    }
    let part = reqwest::multipart::Part::bytes(
        b"{\"category\": \"asfalt-onarim\", \"subject\": \"\xff\"}".to_vec(),
    );
    let (s, v) = send(
        c.post(srv.url("/api/v1/requests"))
            .bearer_auth(&kuz)
            .multipart(reqwest::multipart::Form::new().part("request", part)),
    )
    .await;
    assert_eq!(s, 400, "{v}");
    // ... form bodies, raw and percent-encoded.
    for body in [
        format!("api_key={kuz}&service_code=asfalt-onarim&address_string=x&description=%FF%FE")
            .into_bytes(),
        [
            format!("api_key={kuz}&service_code=asfalt-onarim&address_string=x&description=")
                .as_bytes(),
            b"\xff\xfe",
        ]
        .concat(),
    ] {
        let (s, v) = post_form(&c, &srv, body).await;
        assert_eq!(s, 400, "{v}");
        assert!(
            v[0]["description"]
                .as_str()
                .unwrap()
                .starts_with("description"),
            "{v}"
        );
    }
    // ... query strings.
    let (s, v) = send(
        c.get(srv.url("/api/v1/requests?category=%FF%FE"))
            .bearer_auth(&coord),
    )
    .await;
    assert_eq!((s.as_u16(), field(&v)), (400, "category"), "{v}");
    let (s, v) =
        send(c.get(srv.url("/open311/v2/requests.json?jurisdiction_id=ibb&service_code=%C3")))
            .await;
    assert_eq!(s, 400, "{v}");
    // ... path segments.
    for path in [
        "/api/v1/requests/%FF%FE",
        "/api/v1/requests/%FF/history",
        "/api/v1/units/%C3/queue",
        "/open311/v2/requests/%FF.json?jurisdiction_id=ibb",
        "/open311/v2/tokens/%FF.json?jurisdiction_id=ibb",
    ] {
        let (s, v) = send(c.get(srv.url(path)).bearer_auth(&coord)).await;
        assert!(s.is_client_error(), "{path} → {s} {v}");
    }
    let (s, v) = send(
        c.post(srv.url("/api/v1/requests/%FF%FE/reply"))
            .bearer_auth(&coord)
            .json(&json!({"text": "x"})),
    )
    .await;
    assert!(s.is_client_error(), "{s} {v}");
    // ... and raw bytes the HTTP layer refuses: in the request target and in headers.
    let host = srv.base.trim_start_matches("http://").to_owned();
    for req in [
        [
            &b"GET /api/v1/requests?category=\xff HTTP/1.1\r\nHost: "[..],
            host.as_bytes(),
            b"\r\nConnection: close\r\n\r\n",
        ]
        .concat(),
        [
            &b"GET /api/v1/requests/\xff\xfe HTTP/1.1\r\nHost: "[..],
            host.as_bytes(),
            b"\r\nConnection: close\r\n\r\n",
        ]
        .concat(),
        [
            &b"GET /api/v1/requests HTTP/1.1\r\nHost: "[..],
            host.as_bytes(),
            b"\r\nAuthorization: Bearer a\0b\r\nConnection: close\r\n\r\n",
        ]
        .concat(),
    ] {
        let status = raw_http(&srv, &req);
        assert!(
            status.starts_with("HTTP/1.1 4"),
            "{status:?} for {:?}",
            String::from_utf8_lossy(&req)
        );
    }
    let (s, v) = send(c.get(srv.url("/api/v1/requests")).header(
        "authorization",
        reqwest::header::HeaderValue::from_bytes(b"Bearer \xff\xfe").unwrap(),
    ))
    .await;
    assert_eq!(
        (s.as_u16(), v["error"]["code"].as_str()),
        (401, Some("unauthorized"))
    );

    // Nothing written, and the server is fine.
    assert_eq!(count(&c, &srv, &coord).await, before);
    assert!(
        files_below(&uploads).is_empty(),
        "{:?}",
        files_below(&uploads)
    );
    let (s, _) = send(c.get(srv.url("/readyz"))).await;
    assert_eq!(s, 200);

    // Upload file names that try to leave the uploads directory.
    let passwd = std::fs::read("/etc/passwd").ok();
    let names = [
        "../../../../../../etc/passwd",
        "/etc/passwd",
        "..\\..\\..\\windows\\win.ini",
        "a\0b/../../x.png",
        "....//....//....//x.png",
        "%2e%2e%2f%2e%2e%2fx.png",
        "../hostile.db",
    ];
    let mut tail = 0u8;
    for name in names {
        tail += 1;
        // A different PNG each time, so each upload creates its own file.
        let png = [
            &[0x89u8, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A][..],
            &[tail; 8],
        ]
        .concat();
        let form = reqwest::multipart::Form::new()
            .part(
                "request",
                reqwest::multipart::Part::text(
                    json!({"category": "asfalt-onarim", "subject": "Fotoğraf"}).to_string(),
                ),
            )
            .part(
                "photo",
                reqwest::multipart::Part::bytes(png.clone()).file_name(name.to_owned()),
            );
        let (s, v) = send(
            c.post(srv.url("/api/v1/requests"))
                .bearer_auth(&kuz)
                .multipart(form),
        )
        .await;
        if name.contains('\0') {
            // A NUL in a part's headers: the multipart body is malformed.
            assert_eq!(
                (s.as_u16(), v["error"]["code"].as_str()),
                (400, Some("malformed")),
                "{v}"
            );
            continue;
        }
        assert_eq!(s, 201, "{name:?}: {v}");
        let a = &v["attachments"][0];
        let sha = a["sha256"].as_str().unwrap();
        assert!(uploads.join(&sha[..2]).join(sha).is_file(), "{name:?}");
        assert_eq!(
            std::fs::read(uploads.join(&sha[..2]).join(sha)).unwrap(),
            png
        );
        let shown = a["file_name"].as_str().unwrap_or("");
        assert!(!shown.contains('\0'), "{shown:?}");
    }
    // Every file under the uploads directory is <2 hex digits>/<sha256>, and nothing
    // appeared beside the database or in /etc.
    let stored = files_below(&uploads);
    assert_eq!(stored.len(), names.len() - 1, "{stored:?}");
    for f in &stored {
        let parts: Vec<_> = f.iter().map(|p| p.to_str().unwrap().to_owned()).collect();
        assert!(
            parts.len() == 2
                && parts[1].len() == 64
                && parts[1].starts_with(&parts[0])
                && parts[1].bytes().all(|b| b.is_ascii_hexdigit()),
            "{f:?}"
        );
    }
    let mut beside: Vec<String> = files_below(dir)
        .into_iter()
        .filter(|f| !f.starts_with("muhtar-uploads"))
        .map(|f| f.display().to_string())
        .collect();
    beside.sort();
    assert!(
        beside.iter().all(|f| f.starts_with("hostile.db")),
        "files outside the uploads directory: {beside:?}"
    );
    assert_eq!(std::fs::read("/etc/passwd").ok(), passwd);
    assert!(srv.terminate().success());
}

// ---------------------------------------------------------------------------------------
// 4. Access: every endpoint against core's authorize

mod access {
    use std::cell::Cell;

    use muhtar_core::access::{authorize, Action, Actor, Role, Target};
    use muhtar_core::ids::{MuhtarlikCode, TenantId, UnitCode};
    use muhtar_core::org::Organisation;
    use proptest::prelude::*;
    use proptest::test_runner::TestCaseError;

    use super::*;

    /// Someone calling: an actor with its token, or nobody.
    pub struct Caller {
        pub actor: Option<Actor>,
        pub token: Option<String>,
    }

    /// A request made up front.
    pub struct Req {
        pub tenant: String,
        pub tracking: String,
        pub id: String,
    }

    /// What a case calls.
    #[derive(Debug, Clone, Copy)]
    pub enum Endpoint {
        Get,
        History,
        Deadline,
        Command(usize),
        Queue(usize),
        List,
        Report,
        Open311Get,
        Open311Token,
        Open311Post(usize),
        RestSubmit(usize),
    }

    pub const COMMANDS: &[(&str, Action)] = &[
        ("accept", Action::Accept),
        ("reply", Action::InterimReply),
        ("pause", Action::Pause),
        ("resume", Action::Resume),
        ("answer", Action::Answer),
        ("close", Action::Close),
        ("reopen", Action::Reopen),
        ("transfer", Action::Transfer),
        ("reroute", Action::Reroute),
        ("withdraw", Action::Withdraw),
        ("message", Action::Message),
        ("merge", Action::Merge),
        ("extend", Action::Extend),
        ("fee", Action::Extend),
        ("fee-paid", Action::Extend),
        ("set-policy", Action::SetPolicy),
    ];
    pub const UNITS: &[&str] = &[
        "uskudar-fen",
        "uskudar-bld",
        "yol-bakim-db",
        "park-db",
        "ibb",
    ];
    pub const MUHTARLIKLAR: &[&str] = &["kuzguncuk", "cengelkoy", "beylerbeyi"];
    /// The citizen's name on every request: never in an Open311 read.
    pub const SECRET: &str = "Gizli Vatandaş Soyadı";

    /// A well-formed body for each command (a malformed one is refused before
    /// authorization, with the same 422 for everyone).
    fn command_body(action: &str, other: &str) -> Value {
        match action {
            "reply" | "message" => json!({"text": "Bilgi"}),
            "pause" => json!({"note": "Adres?"}),
            "resume" => json!({"note": "Adres geldi"}),
            "answer" => json!({"outcome": "positive", "text": "Yapıldı"}),
            "reopen" | "withdraw" | "extend" => json!({"reason": "Neden"}),
            "transfer" | "reroute" => {
                json!({"to": "uskudar-temizlik", "reason": "Yanlış birim"})
            }
            "merge" => json!({"into": other}),
            "fee" => json!({"amount": "5", "note": "Fotokopi"}),
            "fee-paid" => json!({"note": "Dekont"}),
            "set-policy" => json!({"policy": "belediye-15-is-gunu", "reason": "Neden"}),
            _ => json!({}),
        }
    }

    /// The example organisation under tenant id `tenant`.
    pub fn org(tenant: &str) -> Organisation {
        let text = include_str!("../../data/org.toml").replacen(
            "id = \"ibb\"",
            &format!("id = \"{tenant}\""),
            1,
        );
        Organisation::from_toml_str_with(&text, |_| {
            Ok(include_str!("../../data/boundaries.geojson").to_owned())
        })
        .unwrap()
        .0
    }

    pub fn endpoints() -> impl Strategy<Value = Endpoint> {
        prop_oneof![
            Just(Endpoint::Get),
            Just(Endpoint::History),
            Just(Endpoint::Deadline),
            (0..COMMANDS.len()).prop_map(Endpoint::Command),
            (0..COMMANDS.len()).prop_map(Endpoint::Command),
            (0..UNITS.len()).prop_map(Endpoint::Queue),
            Just(Endpoint::List),
            Just(Endpoint::Report),
            Just(Endpoint::Open311Get),
            Just(Endpoint::Open311Token),
            (0..MUHTARLIKLAR.len()).prop_map(Endpoint::Open311Post),
            (0..MUHTARLIKLAR.len()).prop_map(Endpoint::RestSubmit),
        ]
    }

    /// The server, its callers and requests, and the tally of outcomes.
    pub struct World {
        pub c: reqwest::Client,
        pub srv: Server,
        pub callers: Vec<Caller>,
        pub reqs: Vec<Req>,
        pub orgs: Vec<Organisation>,
        pub allowed: Cell<u32>,
        pub denied: Cell<u32>,
    }

    impl World {
        /// Whether core lets `a` take `action` on `t` (the oracle).
        fn may(&self, a: &Actor, action: Action, t: &Target<'_>) -> bool {
            let org = self.orgs.iter().find(|o| o.tenant.id == a.tenant).unwrap();
            authorize(a, action, t, org).is_ok()
        }

        /// A token of `spec` in `tenant`.
        pub fn token_of(&self, tenant: &str, spec: &str) -> String {
            let want = Actor::parse(&TenantId::new(tenant).unwrap(), spec).unwrap();
            self.callers
                .iter()
                .find(|c| {
                    c.actor
                        .as_ref()
                        .is_some_and(|a| a.tenant == want.tenant && a.role == want.role)
                })
                .and_then(|c| c.token.clone())
                .unwrap()
        }

        /// The status a case got agrees with the oracle's; counts it.
        fn agrees(
            &self,
            s: StatusCode,
            want: u16,
            ctx: &str,
            v: &Value,
        ) -> Result<bool, TestCaseError> {
            prop_assert_eq!(s.as_u16(), want, "{}: {}", ctx, v);
            let ok = want / 100 == 2;
            let n = if ok { &self.allowed } else { &self.denied };
            n.set(n.get() + 1);
            Ok(ok)
        }

        /// Every request of a listing is one the caller may read.
        fn visible_only(&self, a: &Actor, page: &Value) -> Result<(), TestCaseError> {
            for item in page["items"].as_array().unwrap() {
                let m = MuhtarlikCode::new(item["muhtarlik"].as_str().unwrap()).unwrap();
                let u = item["unit"].as_str().map(|u| UnitCode::new(u).unwrap());
                let t = Target::Request {
                    tenant: &a.tenant,
                    muhtarlik: &m,
                    unit: u.as_ref(),
                };
                prop_assert!(
                    self.may(a, Action::Read, &t),
                    "{} was shown {}",
                    a,
                    item["tracking"]
                );
            }
            Ok(())
        }

        /// 401 without a token; else 200 or 403 as core decides on the caller's tenant,
        /// or on one of its units.
        fn decide(&self, actor: Option<&Actor>, action: Action, unit: Option<&UnitCode>) -> u16 {
            let Some(a) = actor else { return 401 };
            let t = match unit {
                Some(unit) => Target::Unit {
                    tenant: &a.tenant,
                    unit,
                },
                None => Target::Tenant(&a.tenant),
            };
            if self.may(a, action, &t) {
                200
            } else {
                403
            }
        }

        fn get(&self, caller: &Caller, path: &str) -> reqwest::RequestBuilder {
            self.with_token(caller, self.c.get(self.srv.url(path)))
        }

        fn with_token(
            &self,
            caller: &Caller,
            r: reqwest::RequestBuilder,
        ) -> reqwest::RequestBuilder {
            match &caller.token {
                Some(t) => r.bearer_auth(t),
                None => r,
            }
        }

        /// One case: `caller` calls `ep` about request `r`.
        pub async fn case(
            &self,
            caller: &Caller,
            ep: Endpoint,
            r: &Req,
            other: &str,
        ) -> Result<(), TestCaseError> {
            // The request as it is now, seen by its tenant's coordinator.
            let admin = self.token_of(&r.tenant, "coordinator");
            let view = format!("/api/v1/requests/{}", r.tracking);
            let now = send(self.c.get(self.srv.url(&view)).bearer_auth(&admin))
                .await
                .1;
            let tenant = TenantId::new(r.tenant.clone()).unwrap();
            let muhtarlik = MuhtarlikCode::new(now["muhtarlik"].as_str().unwrap()).unwrap();
            let unit = now["unit"].as_str().map(|u| UnitCode::new(u).unwrap());
            let t = Target::Request {
                tenant: &tenant,
                muhtarlik: &muhtarlik,
                unit: unit.as_ref(),
            };
            let who = caller
                .actor
                .as_ref()
                .map_or("nobody".to_owned(), Actor::to_string);
            let ctx = format!("{who} {ep:?} on {} ({})", r.tracking, r.tenant);
            let actor = caller.actor.as_ref();
            let reads = actor.is_some_and(|a| self.may(a, Action::Read, &t));
            match ep {
                Endpoint::Get | Endpoint::History | Endpoint::Deadline => {
                    let suffix = match ep {
                        Endpoint::History => "/history",
                        Endpoint::Deadline => "/deadline",
                        _ => "",
                    };
                    let (s, v) = send(self.get(caller, &format!("{view}{suffix}"))).await;
                    let want = match actor {
                        None => 401,
                        Some(_) if reads => 200,
                        Some(_) => 404,
                    };
                    self.agrees(s, want, &ctx, &v)?;
                }
                Endpoint::Command(k) => {
                    let (action, act) = COMMANDS[k];
                    let q = self
                        .c
                        .post(self.srv.url(&format!("{view}/{action}")))
                        .json(&command_body(action, other));
                    let (s, v) = send(self.with_token(caller, q)).await;
                    let may_act = actor.is_some_and(|a| self.may(a, act, &t));
                    match actor {
                        None => prop_assert_eq!(s.as_u16(), 401, "{}: {}", ctx, v),
                        Some(_) if !reads => prop_assert_eq!(s.as_u16(), 404, "{}: {}", ctx, v),
                        Some(_) if !may_act => prop_assert_eq!(s.as_u16(), 403, "{}: {}", ctx, v),
                        Some(_) => prop_assert!(
                            matches!(s.as_u16(), 200 | 409 | 422),
                            "{}: allowed, got {} {}",
                            ctx,
                            s,
                            v
                        ),
                    }
                    let after = send(self.c.get(self.srv.url(&view)).bearer_auth(&admin))
                        .await
                        .1;
                    let n = if s == 200 {
                        &self.allowed
                    } else {
                        &self.denied
                    };
                    n.set(n.get() + 1);
                    if s != 200 {
                        prop_assert_eq!(
                            &after["version"],
                            &now["version"],
                            "{}: a refused command wrote",
                            ctx
                        );
                    }
                }
                Endpoint::Queue(u) => {
                    let unit = UnitCode::new(UNITS[u]).unwrap();
                    let (s, v) =
                        send(self.get(caller, &format!("/api/v1/units/{unit}/queue"))).await;
                    let want = self.decide(actor, Action::ReadQueue, Some(&unit));
                    if self.agrees(s, want, &ctx, &v)? {
                        self.visible_only(actor.unwrap(), &v)?;
                    }
                }
                Endpoint::List => {
                    let (s, v) = send(self.get(caller, "/api/v1/requests?limit=1000")).await;
                    // Muhtars and unit staff list what is theirs; others need the tenant.
                    let want = match actor.map(|a| &a.role) {
                        Some(Role::Muhtar(_) | Role::UnitStaff(_)) => 200,
                        _ => self.decide(actor, Action::Read, None),
                    };
                    if self.agrees(s, want, &ctx, &v)? {
                        self.visible_only(actor.unwrap(), &v)?;
                    }
                }
                Endpoint::Report => {
                    let (s, v) = send(self.get(caller, "/api/v1/reports/2025Q4")).await;
                    let want = self.decide(actor, Action::ReadReport, None);
                    self.agrees(s, want, &ctx, &v)?;
                }
                Endpoint::Open311Get | Endpoint::Open311Token => {
                    let key = caller
                        .token
                        .as_ref()
                        .map(|k| format!("&api_key={k}"))
                        .unwrap_or_default();
                    let (file, id) = match ep {
                        Endpoint::Open311Get => ("requests", &r.tracking),
                        _ => ("tokens", &r.id),
                    };
                    let path = format!(
                        "/open311/v2/{file}/{id}.json?jurisdiction_id={}{key}",
                        r.tenant
                    );
                    let (s, v) = send(self.c.get(self.srv.url(&path))).await;
                    // `ibb` reads are public; `other` needs a key of its own tenant.
                    let want = match actor {
                        _ if r.tenant == "ibb" => 200,
                        Some(a) if a.tenant == tenant && reads => 200,
                        Some(a) if a.tenant == tenant => 404,
                        _ => 403,
                    };
                    prop_assert!(
                        !v.to_string().contains(SECRET),
                        "{}: personal data in an Open311 read: {}",
                        ctx,
                        v
                    );
                    self.agrees(s, want, &ctx, &v)?;
                }
                Endpoint::Open311Post(m) | Endpoint::RestSubmit(m) => {
                    let asked = MuhtarlikCode::new(MUHTARLIKLAR[m]).unwrap();
                    let rest = matches!(ep, Endpoint::RestSubmit(_));
                    // REST submits in the caller's tenant; Open311 names the request's.
                    let j = match (actor, rest) {
                        (Some(a), true) => a.tenant.clone(),
                        _ => tenant.clone(),
                    };
                    let counter = self.token_of(j.as_str(), "coordinator");
                    let before = count(&self.c, &self.srv, &counter).await;
                    let (s, v) = if rest {
                        let body = json!({"muhtarlik": asked.as_str(), "category": "moloz", "subject": "Erişim"});
                        send(self.with_token(
                            caller,
                            self.c.post(self.srv.url("/api/v1/requests")).json(&body),
                        ))
                        .await
                    } else {
                        let key = caller.token.clone().unwrap_or_default();
                        let f = form(&[
                            ("jurisdiction_id", j.as_str()),
                            ("api_key", key.as_str()),
                            ("service_code", "moloz"),
                            ("address_string", "Sokak"),
                            ("attribute[muhtarlik]", asked.as_str()),
                        ]);
                        post_form(&self.c, &self.srv, f).await
                    };
                    let want = match actor {
                        None if rest => 401,
                        None => 403,
                        Some(a) if a.tenant != j => 403,
                        Some(a) => {
                            // A muhtar's Open311 key always submits for their own.
                            let m = match (&a.role, rest) {
                                (Role::Muhtar(own), false) => own,
                                _ => &asked,
                            };
                            let t = Target::NewRequest {
                                tenant: &j,
                                muhtarlik: m,
                            };
                            if self.may(a, Action::Submit, &t) {
                                201
                            } else {
                                403
                            }
                        }
                    };
                    let created = self.agrees(s, want, &ctx, &v)?;
                    let after = count(&self.c, &self.srv, &counter).await;
                    prop_assert_eq!(
                        after,
                        before + usize::from(created),
                        "{}: the count is off",
                        ctx
                    );
                }
            }
            Ok(())
        }
    }
}

/// For random (caller, endpoint, request) triples — muhtars of several muhtarlıklar, unit
/// staff up and down the tree, the coordinator, the official, an auditor, an
/// administrator, another tenant's muhtar and coordinator, and nobody — the HTTP outcome
/// of every REST and Open311 endpoint agrees with core's `access::authorize` (2xx or a
/// lifecycle refusal where it allows; 404 where the caller may not read the request;
/// 403 where it may read but not act; 401 without a token), Open311's public reads show
/// no personal data, and a refused change writes nothing.
#[test]
fn access_over_rest_and_open311_agrees_with_core_authorize() {
    use access::*;
    use muhtar_core::access::Actor;
    use muhtar_core::ids::TenantId;
    use proptest::test_runner::{Config, TestRunner};

    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let d = tempfile::tempdir().unwrap();
    let dir = d.path();
    let db = format!("sqlite://{}", dir.join("access.db").display());
    muhtar(dir, &db, &["init"]);
    std::fs::write(
        dir.join("private.toml"),
        "[open311]\nprivate_reads = true\n",
    )
    .unwrap();
    let private = dir.join("private.toml");
    muhtar(
        dir,
        &db,
        &[
            "init",
            "--org",
            &other_org(dir),
            "--settings",
            private.to_str().unwrap(),
        ],
    );
    let specs = [
        ("ibb", "muhtar:kuzguncuk"),
        ("ibb", "muhtar:cengelkoy"),
        ("ibb", "muhtar:beylerbeyi"),
        ("ibb", "unit:uskudar-fen"),
        ("ibb", "unit:uskudar-bld"),
        ("ibb", "unit:yol-bakim-db"),
        ("ibb", "unit:park-db"),
        ("ibb", "coordinator"),
        ("ibb", "official"),
        ("ibb", "auditor"),
        ("ibb", "admin"),
        ("other", "muhtar:kuzguncuk"),
        ("other", "coordinator"),
    ];
    let mut callers: Vec<Caller> = specs
        .iter()
        .map(|(t, a)| Caller {
            actor: Some(Actor::parse(&TenantId::new(*t).unwrap(), a).unwrap()),
            token: Some(token(dir, &db, t, a)),
        })
        .collect();
    callers.push(Caller {
        actor: None,
        token: None,
    });
    let mut w = World {
        c: client(),
        srv: quiet_server(dir, &db),
        callers,
        reqs: Vec::new(),
        orgs: vec![org("ibb"), org("other")],
        allowed: Default::default(),
        denied: Default::default(),
    };
    rt.block_on(async {
        for (tenant, who, category) in [
            ("ibb", "muhtar:kuzguncuk", "asfalt-onarim"),
            ("ibb", "muhtar:cengelkoy", "cop-gorunti"),
            ("ibb", "muhtar:kuzguncuk", "budama"),
            ("other", "muhtar:kuzguncuk", "asfalt-onarim"),
        ] {
            let (s, v) = send(
                w.c.post(w.srv.url("/api/v1/requests"))
                    .bearer_auth(w.token_of(tenant, who))
                    .json(&json!({"category": category, "subject": "Erişim denemesi",
                                  "citizen": {"name": SECRET}})),
            )
            .await;
            assert_eq!(s, 201, "{category}: {v}");
            w.reqs.push(Req {
                tenant: tenant.to_owned(),
                tracking: v["tracking"].as_str().unwrap().to_owned(),
                id: v["id"].as_str().unwrap().to_owned(),
            });
        }
    });
    let cases: u32 = std::env::var("MUHTAR_ACCESS_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(128);
    let started = Instant::now();
    let mut runner = TestRunner::new(Config {
        cases,
        failure_persistence: None,
        max_shrink_iters: 0,
        ..Config::default()
    });
    let strategy = (0..w.callers.len(), endpoints(), 0..w.reqs.len());
    runner
        .run(&strategy, |(ci, ep, ri)| {
            let other = &w.reqs[(ri + 1) % w.reqs.len()].tracking;
            rt.block_on(w.case(&w.callers[ci], ep, &w.reqs[ri], other))
        })
        .unwrap_or_else(|e| panic!("{e}"));
    let (allowed, denied) = (w.allowed.get(), w.denied.get());
    eprintln!(
        "access: {cases} random (caller, endpoint, request) cases: {allowed} allowed, {denied} refused, all as core's authorize says, in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    assert!(
        allowed > 0 && denied > 0,
        "{allowed} allowed, {denied} denied"
    );
    assert!(w.srv.terminate().success());
}

// ---------------------------------------------------------------------------------------
// 5. The limit on failed authentications

/// A client of its own source address (any of 127.0.0.0/8).
fn client_from(ip: &str) -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .local_address(Some(ip.parse::<IpAddr>().unwrap()))
        .build()
        .unwrap()
}

/// With `--auth-max-failures 3`: three unknown tokens from one address are 401, the
/// fourth is 429 with `Retry-After`, and so is then even a valid token from that address
/// until the cool-down ends; other addresses are unaffected; Open311 `api_key`s count
/// too; requests without credentials never do.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_authentications_are_limited_per_address() {
    let (d, db) = sqlite_world();
    let dir = d.path();
    let kuz = token(dir, &db, "ibb", "muhtar:kuzguncuk");
    let srv = Server::start(
        dir,
        &db,
        &[
            "--no-dispatcher",
            "--no-sweeper",
            "--auth-max-failures",
            "3",
            "--auth-window",
            "60",
            "--auth-cooldown",
            "2",
        ],
        &[],
    );
    let list = |c: &reqwest::Client, tok: &str| {
        c.get(srv.url("/api/v1/requests"))
            .bearer_auth(tok.to_owned())
    };
    let a = client_from("127.0.0.1");
    let b = client_from("127.0.0.2");
    let (s, _) = send(list(&a, &kuz)).await;
    assert_eq!(s, 200);
    for i in 0..3 {
        let (s, v) = send(list(&a, &format!("mbs_guess{i}"))).await;
        assert_eq!(s, 401, "{v}");
    }
    let r = list(&a, "mbs_guess4").send().await.unwrap();
    assert_eq!(r.status(), 429);
    let wait: u64 = r.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=2).contains(&wait), "{wait}");
    let (_, v) = send(list(&a, "x")).await;
    assert_eq!(v["error"]["code"], "too_many_requests", "{v}");
    // Even a valid token from the blocked address: no oracle for guesses.
    let (s, _) = send(list(&a, &kuz)).await;
    assert_eq!(s, 429);
    // Another address is unaffected, and counts on its own.
    let (s, _) = send(list(&b, &kuz)).await;
    assert_eq!(s, 200);
    let (s, _) = send(list(&b, "mbs_wrong")).await;
    assert_eq!(s, 401);
    // No credentials is not a failure.
    let anon = client_from("127.0.0.4");
    for _ in 0..10 {
        let (s, _) = send(anon.get(srv.url("/api/v1/requests"))).await;
        assert_eq!(s, 401);
    }
    // Open311 api_keys count as well, and the 429 is in Open311's error format.
    let o = client_from("127.0.0.3");
    let post = |key: &str| {
        o.post(srv.url("/open311/v2/requests.json"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form(&[
                ("api_key", key),
                ("service_code", "asfalt-onarim"),
                ("address_string", "Sokak"),
            ]))
    };
    for i in 0..3 {
        let (s, v) = send(post(&format!("bad{i}"))).await;
        assert_eq!(s, 403, "{v}");
    }
    let r = post("bad4").send().await.unwrap();
    assert_eq!(r.status(), 429);
    assert!(r.headers().contains_key("retry-after"));
    let v: Value = r.json().await.unwrap();
    assert_eq!(v[0]["code"], 429, "{v}");
    // After the cool-down the valid token works again.
    tokio::time::sleep(Duration::from_millis(2200)).await;
    let (s, _) = send(list(&a, &kuz)).await;
    assert_eq!(s, 200);
    let (s, _) = send(post(&kuz)).await;
    assert_eq!(s, 201);
    assert!(srv.terminate().success());
}

// ---------------------------------------------------------------------------------------
// 6. Personal data never in the logs

/// `muhtar serve` with its standard error going to `log`.
fn start_logged(
    dir: &Path,
    db: &str,
    extra: &[&str],
    env: &[(&str, String)],
    log: &Path,
) -> Server {
    let mut child = Command::new(env!("CARGO_BIN_EXE_muhtar"))
        .current_dir(dir)
        .env("MUHTAR_DB", db)
        .env_remove("MUHTAR_AS")
        .env_remove("MUHTAR_TENANT")
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .args(["serve", "--bind", "127.0.0.1:0"])
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(log).unwrap())
        .spawn()
        .expect("start muhtar serve");
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    let base = first
        .trim()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("server did not start: {first:?}"))
        .to_owned();
    Server { child, base }
}

/// At the most verbose logging (`MUHTAR_LOG=trace`), with the dispatcher e-mailing
/// through a real SMTP server: submissions over REST and Open311 carrying a citizen's
/// name, phone and e-mail, lifecycle commands, failing requests that carry the same
/// data (bad fields, bad JSON, oversized bodies, a bad token), and the KVKK export and
/// erasure: none of the data appears in the server's output or in the CLI's error
/// stream.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn personal_data_never_reaches_the_logs() {
    let (d, db) = sqlite_world();
    let dir = d.path();
    std::fs::write(
        dir.join("settings.toml"),
        "quiet_hours = { start = \"00:00\", end = \"00:00\" }\n",
    )
    .unwrap();
    muhtar(
        dir,
        &db,
        &[
            "init",
            "--settings",
            dir.join("settings.toml").to_str().unwrap(),
        ],
    );
    let kuz = token(dir, &db, "ibb", "muhtar:kuzguncuk");
    let coord = token(dir, &db, "ibb", "coordinator");
    let mail = dir.join("mail");
    std::fs::create_dir(&mail).unwrap();
    let (mut smtp, port) = common::smtp_sink(&mail);
    let log = dir.join("serve.log");
    let srv = start_logged(
        dir,
        &db,
        &[
            "--no-sweeper",
            "--dispatch-interval",
            "1",
            "--auth-max-failures",
            "2",
        ],
        &[
            ("MUHTAR_LOG", "trace".to_owned()),
            ("MUHTAR_SMTP_URL", format!("smtp://127.0.0.1:{port}")),
            ("MUHTAR_MAIL_FROM", "MBS <mbs@ibb.example.gov.tr>".into()),
        ],
        &log,
    );
    let (name, phone, email) = (
        "Zeynep Gizlikaya",
        "0533 987 65 43",
        "zeynep.gizlikaya@example.org",
    );
    let needles = ["Gizlikaya", "gizlikaya", "987 65 43", "9876543", "zeynep.g"];
    let c = client();
    let submit = |v: Value| {
        c.post(srv.url("/api/v1/requests"))
            .bearer_auth(kuz.clone())
            .json(&v)
    };
    let (s, r) = send(submit(
        json!({"category": "asfalt-onarim", "subject": "Çukur",
        "citizen": {"name": name, "phone": phone, "email": email}}),
    ))
    .await;
    assert_eq!(s, 201, "{r}");
    let tr = r["tracking"].as_str().unwrap().to_owned();
    let o311 = form(&[
        ("api_key", kuz.as_str()),
        ("service_code", "asfalt-onarim"),
        ("address_string", "Kuzguncuk Cd. 3"),
        ("description", "Kaldırım çökmüş"),
        ("first_name", "Zeynep"),
        ("last_name", "Gizlikaya"),
        ("email", email),
        ("phone", phone),
    ]);
    let (s, v) = post_form(&c, &srv, o311.clone()).await;
    assert_eq!(s, 201, "{v}");
    for (action, body) in [
        ("accept", json!({})),
        ("reply", json!({"text": "Ekip yolda"})),
        ("answer", json!({"outcome": "positive", "text": "Onarıldı"})),
    ] {
        let (s, v) = send(
            c.post(srv.url(&format!("/api/v1/requests/{tr}/{action}")))
                .bearer_auth(&coord)
                .json(&body),
        )
        .await;
        assert_eq!(s, 200, "{action}: {v}");
    }
    // Failing requests carrying the data.
    let bad = [
        json!({"category": "asfalt-onarim", "subject": "x", "citizen": {"name": name, "phone": format!("{phone} {name}")}}),
        json!({"category": "asfalt-onarim", "subject": "x", "citizen": {"name": name, "email": format!("{name} <{email}>")}}),
        json!({"category": email, "subject": name}),
        json!({"category": "asfalt-onarim", "subject": "x", "citizen": {"name": name, "tckn": email}}),
        json!({"category": "asfalt-onarim", "subject": "x", "location": {"lat": email, "lon": phone}}),
        json!({"category": "asfalt-onarim", "subject": format!("{name}\u{0}{email}")}),
    ];
    for v in bad {
        let (s, e) = send(submit(v.clone())).await;
        assert!(s.is_client_error(), "{v} → {s} {e}");
    }
    let (s, _) = send(
        c.post(srv.url("/api/v1/requests"))
            .bearer_auth(&kuz)
            .header("content-type", "application/json")
            .body(format!(
                "{{\"citizen\": {{\"name\": \"{name}\", \"email\": \"{email}\""
            )),
    )
    .await;
    assert_eq!(s, 400);
    let r = client()
        .post(srv.url("/api/v1/requests"))
        .bearer_auth(&kuz)
        .json(&json!({"subject": format!("{name} {email} {}", "x".repeat(1_100_000))}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 413);
    let (s, _) = post_form(&c, &srv, format!("{o311}&lat={email}&long={phone}")).await;
    assert_eq!(s, 400);
    let (s, _) = post_form(&c, &srv, o311.replace("asfalt-onarim", email)).await;
    assert_eq!(s, 400);
    let (s, _) = send(
        c.post(srv.url(&format!("/api/v1/requests/{tr}/reply")))
            .bearer_auth(&coord)
            .json(&json!({"text": format!("{name}\u{0}"), "note": email})),
    )
    .await;
    assert!(s.is_client_error());
    let (s, _) = send(
        c.get(srv.url(&format!(
            "/api/v1/requests?category={}&muhtarlik={}",
            urlencode(email),
            urlencode(name)
        )))
        .bearer_auth(&kuz),
    )
    .await;
    assert!(s.is_success() || s.is_client_error());
    for _ in 0..3 {
        let (s, _) = send(c.get(srv.url("/api/v1/requests")).bearer_auth(email)).await;
        assert!(s == 401 || s == 429);
    }
    // KVKK export and erasure (CLI) at the same verbosity.
    let kvkk = |args: &[&str]| {
        let o = Command::new(env!("CARGO_BIN_EXE_muhtar"))
            .current_dir(dir)
            .env("MUHTAR_DB", &db)
            .env("MUHTAR_LOG", "trace")
            .args(["--tenant", "ibb", "--as", "admin", "kvkk"])
            .args(args)
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        (
            String::from_utf8_lossy(&o.stdout).into_owned(),
            String::from_utf8_lossy(&o.stderr).into_owned(),
        )
    };
    let (out, err) = kvkk(&["export", "--email", email]);
    assert_eq!(out.lines().count(), 2, "the export finds both: {out}");
    let (_, err2) = kvkk(&["erase", &tr]);
    // Let the dispatcher e-mail the answer (its passes are logged too).
    for _ in 0..100 {
        if std::fs::read_dir(&mail).unwrap().count() > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(srv.terminate().success());
    let _ = smtp.kill();
    let _ = smtp.wait();
    let logged = std::fs::read_to_string(&log).unwrap();
    assert!(
        logged.contains("TRACE") && logged.contains("http") && logged.contains("dispatcher"),
        "trace logging was not on: {logged:.2000}"
    );
    for n in needles {
        for (what, text) in [
            ("serve", &logged),
            ("kvkk export stderr", &err),
            ("kvkk erase stderr", &err2),
        ] {
            assert!(
                !text.contains(n),
                "personal data {n:?} in the {what} log:\n{}",
                text.lines()
                    .filter(|l| l.contains(n))
                    .take(5)
                    .collect::<Vec<_>>()
                    .join("\n")
            );
        }
    }
    eprintln!(
        "logs: {} lines at trace level, no name, phone or e-mail of the citizen",
        logged.lines().count()
    );
}

// ---------------------------------------------------------------------------------------
// 7. A read-only database file

/// The database file read-only (mode 0444, in a directory only root may write) and
/// muhtar run as `nobody`, which the permissions really stop: `muhtar serve`, a write and
/// a read command each stop at once with a clear error naming the file as read-only
/// (the store writes the file and its -wal and -shm files even to read), no panic;
/// the file's bytes are unchanged and it passes `PRAGMA integrity_check`.
#[test]
fn a_read_only_database_file_is_refused_clearly_and_left_unchanged() {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path();
    let db_path = dir.join("readonly.db");
    let db = format!("sqlite://{}", db_path.display());
    muhtar(dir, &db, &["init"]);
    token(dir, &db, "ibb", "muhtar:kuzguncuk");
    muhtar(
        dir,
        &db,
        &[
            "--tenant",
            "ibb",
            "--as",
            "muhtar:kuzguncuk",
            "submit",
            "--category",
            "asfalt-onarim",
            "--subject",
            "Salt okunur",
        ],
    );
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::set_permissions(&db_path, std::fs::Permissions::from_mode(0o444)).unwrap();
    let uploads = dir.join("uploads");
    std::fs::create_dir(&uploads).unwrap();
    std::fs::set_permissions(&uploads, std::fs::Permissions::from_mode(0o777)).unwrap();
    let hash = || {
        use sha2::Digest;
        hex::encode(sha2::Sha256::digest(std::fs::read(&db_path).unwrap()))
    };
    let before = hash();
    let listing = || {
        let mut f: Vec<_> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        f.sort();
        f
    };
    // `nobody` must be able to reach the binary: the checkout may sit under a directory
    // only root may enter (a home directory, a `mktemp -d` folder), so run a copy kept in
    // the test's own directory, which is open to all.
    let bin = dir.join("muhtar-as-nobody");
    std::fs::copy(env!("CARGO_BIN_EXE_muhtar"), &bin).unwrap();
    std::fs::set_permissions(&bin, std::fs::Permissions::from_mode(0o755)).unwrap();
    let bin = bin.display().to_string();
    let files = listing();
    let as_nobody = |args: &[&str]| {
        let mut cmd = Command::new("runuser");
        cmd.args([
            "-u",
            "nobody",
            "--",
            "env",
            &format!("MUHTAR_DB={db}"),
            "MUHTAR_LOG=debug",
            &bin,
        ])
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
        let mut child = cmd
            .spawn()
            .expect("runuser (util-linux) runs muhtar as nobody; the tests run as root");
        let started = Instant::now();
        while child.try_wait().unwrap().is_none() {
            if started.elapsed() > Duration::from_secs(20) {
                let _ = child.kill();
                panic!("muhtar {args:?} did not stop on a read-only database within 20 s");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let o = child.wait_with_output().unwrap();
        (o.status, String::from_utf8_lossy(&o.stderr).into_owned())
    };
    let uploads_arg = uploads.to_str().unwrap().to_owned();
    for args in [
        vec![
            "serve",
            "--bind",
            "127.0.0.1:0",
            "--no-dispatcher",
            "--no-sweeper",
            "--uploads",
            &uploads_arg,
        ],
        vec![
            "--tenant",
            "ibb",
            "--as",
            "muhtar:kuzguncuk",
            "submit",
            "--category",
            "asfalt-onarim",
            "--subject",
            "Yazılamaz",
        ],
        vec!["--tenant", "ibb", "--as", "muhtar:kuzguncuk", "list"],
    ] {
        let (status, err) = as_nobody(&args);
        assert!(
            !status.success(),
            "{args:?} succeeded on a read-only file: {err}"
        );
        assert!(
            err.contains("is read-only") && err.contains("readonly.db"),
            "{args:?}: not a clear error: {err}"
        );
        assert!(!err.contains("panicked"), "{args:?}: {err}");
    }
    assert_eq!(hash(), before, "the read-only file was changed");
    assert_eq!(listing(), files, "files appeared beside the database");
    // root still reads it whole (read-only, without creating -wal or -shm files).
    let o = Command::new(python())
        .args([
            "-c",
            "import sqlite3, sys; c = sqlite3.connect('file:' + sys.argv[1] + '?immutable=1', uri=True); print(c.execute('PRAGMA integrity_check').fetchone()[0], c.execute('SELECT count(*) FROM requests').fetchone()[0])",
            db_path.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&o.stdout).trim(),
        "ok 1",
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    // Made writable again, it works.
    std::fs::set_permissions(&db_path, std::fs::Permissions::from_mode(0o644)).unwrap();
    let listed = muhtar(
        dir,
        &db,
        &["--tenant", "ibb", "--as", "muhtar:kuzguncuk", "list"],
    );
    assert!(listed.contains("Salt okunur"), "{listed}");
}
