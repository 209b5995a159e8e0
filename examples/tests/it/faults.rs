//! Faults and load against the real `muhtar serve` binary (issue 11):
//!
//! - **crash safety**: clients submit requests and run lifecycle commands while the
//!   server is killed with SIGKILL at random moments and restarted on the same database
//!   (an SQLite file; a fresh PostgreSQL database). Afterwards every acknowledged request
//!   and event is in the store with the status and deadlines the response gave; every
//!   stored request is the fold of its events, with the deadlines its history gives; the
//!   outbox holds exactly the notices core plans for the stored events.
//! - **concurrency**: many clients send commands to the same few requests; each gets a
//!   success or a 409, never a 5xx or a lost update.
//! - **PostgreSQL restarted under load**: a private cluster is stopped (`-m immediate`)
//!   and started again; `/readyz` and the API answer 503 meanwhile, the server survives
//!   and serves again, nothing acknowledged is lost.
//! - **SMTP down for a while**: the server's dispatcher keeps the notices and retries
//!   them, then delivers each once when the relay is back.
//!
//! Bounded for CI. `MUHTAR_SOAK_SECONDS=300` runs the crash harnesses that long (soak
//! mode); `MUHTAR_FAULT_SEED=N` repeats a run's random choices (the kill schedule and the
//! clients' commands; thread timing still varies).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use common::{free_port, muhtar, token, Server};
use muhtar_core::ids::{IdGenerator, RandomSource, SeededRandom, TenantId};
use muhtar_core::outbox::{plan, DeliveryChannel, OutboxEntry, OutboxMessage, OutboxStatus};
use muhtar_core::request::RequestState;
use muhtar_core::service::Mbs;
use muhtar_core::store::{Deadlines, RequestQuery, Store};
use serde_json::{json, Value};

use crate::common;

/// The muhtarlıklar whose muhtars submit in the load tests.
const MUHTARLIKS: [&str; 4] = ["kuzguncuk", "cengelkoy", "beylerbeyi", "altunizade"];
/// Categories routed to different units, so notices go to different recipients.
const CATEGORIES: [&str; 5] = [
    "asfalt-onarim",
    "budama",
    "cop-gorunti",
    "su-kanalizasyon",
    "elektrik-aydinlatma",
];
/// `MUHTAR_LOG` of the servers under test.
const QUIET: &str = "error,tower_http=off";
/// How long a crash harness runs in CI, in seconds, unless `MUHTAR_SOAK_SECONDS` says.
const CI_SECONDS: u64 = 10;

// ---------------------------------------------------------------------------------------
// Random choices

/// The run's seed: `MUHTAR_FAULT_SEED`, or one from the clock; printed so that a failing
/// run's choices can be repeated.
fn seed(what: &str) -> u64 {
    let s = std::env::var("MUHTAR_FAULT_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| Utc::now().timestamp_nanos_opt().unwrap_or_default() as u64);
    eprintln!("{what}: seed {s} (MUHTAR_FAULT_SEED={s} repeats its random choices)");
    s
}

/// Seeded choices (core's SplitMix64, `SeededRandom`).
struct Rng(SeededRandom);

impl Rng {
    fn new(seed: u64) -> Rng {
        Rng(SeededRandom::new(seed))
    }

    /// A number in `0..n`.
    fn below(&mut self, n: usize) -> usize {
        (self.0.next_u64() % n.max(1) as u64) as usize
    }

    /// A duration between `lo` and `hi` milliseconds.
    fn ms(&mut self, lo: u64, hi: u64) -> Duration {
        Duration::from_millis(lo + self.0.next_u64() % (hi - lo + 1))
    }
}

/// How long the crash harnesses run: `MUHTAR_SOAK_SECONDS`, or the CI default.
fn run_seconds() -> u64 {
    std::env::var("MUHTAR_SOAK_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(CI_SECONDS)
}

// ---------------------------------------------------------------------------------------
// What clients were told

/// An acknowledged (2xx) answer: a request at `version` after a command that wrote the
/// event `event`, with the status and deadlines the server returned.
#[derive(Debug, Clone)]
struct Ack {
    tracking: String,
    version: u32,
    event: &'static str,
    status: String,
    first_response_due: Option<DateTime<Utc>>,
    resolution_due: Option<DateTime<Utc>>,
}

fn instant(v: &Value) -> Option<DateTime<Utc>> {
    v.as_str().map(|s| s.parse().expect("an RFC 3339 instant"))
}

impl Ack {
    fn of(view: &Value, event: &'static str) -> Ack {
        Ack {
            tracking: view["tracking"].as_str().expect("tracking").to_owned(),
            version: view["version"].as_u64().expect("version") as u32,
            event,
            status: view["status"].as_str().expect("status").to_owned(),
            first_response_due: instant(&view["first_response_due"]),
            resolution_due: instant(&view["resolution_due"]),
        }
    }
}

/// The shared side of a load: where the server is, what was acknowledged, and every
/// answer that was neither a success nor an expected refusal.
struct Load {
    base: Mutex<String>,
    stop: AtomicBool,
    /// Statuses that mean "not done, or not known to be done" here (503 while the
    /// database is down): the client forgets what it knew of the request and reads it
    /// again.
    tolerated: &'static [u16],
    acks: Mutex<Vec<Ack>>,
    unexpected: Mutex<Vec<String>>,
    /// Calls that got no HTTP answer (server down, or killed during the call).
    unanswered: Mutex<u64>,
    statuses: Mutex<BTreeMap<u16, u64>>,
}

impl Load {
    fn new(base: &str, tolerated: &'static [u16]) -> Arc<Load> {
        Arc::new(Load {
            base: Mutex::new(base.to_owned()),
            stop: AtomicBool::new(false),
            tolerated,
            acks: Mutex::default(),
            unexpected: Mutex::default(),
            unanswered: Mutex::default(),
            statuses: Mutex::default(),
        })
    }

    fn base(&self) -> String {
        self.base.lock().unwrap().clone()
    }

    fn set_base(&self, base: &str) {
        *self.base.lock().unwrap() = base.to_owned();
    }

    fn ack(&self, a: Ack) {
        self.acks.lock().unwrap().push(a);
    }

    fn acks(&self) -> Vec<Ack> {
        self.acks.lock().unwrap().clone()
    }

    fn count(&self, status: u16) -> u64 {
        self.statuses
            .lock()
            .unwrap()
            .get(&status)
            .copied()
            .unwrap_or(0)
    }

    /// The status and body of an answer, or `None` when there was none (counted).
    async fn answer(&self, r: reqwest::Result<reqwest::Response>) -> Option<(u16, Value)> {
        let got = async {
            let r = r.ok()?;
            let s = r.status().as_u16();
            let t = r.text().await.ok()?;
            Some((s, serde_json::from_str(&t).unwrap_or(Value::String(t))))
        }
        .await;
        match &got {
            Some((s, _)) => *self.statuses.lock().unwrap().entry(*s).or_default() += 1,
            None => *self.unanswered.lock().unwrap() += 1,
        }
        got
    }

    /// Whether `status` is tolerated; otherwise records it as unexpected.
    fn tolerate(&self, what: &str, status: u16, body: &Value) -> bool {
        if self.tolerated.contains(&status) {
            return true;
        }
        self.unexpected
            .lock()
            .unwrap()
            .push(format!("{what}: {status} {body}"));
        false
    }

    fn unexpected(&self) -> Vec<String> {
        self.unexpected.lock().unwrap().clone()
    }
}

/// A lifecycle command: the path's action, its body, the event it writes, and whether
/// the muhtar (rather than the coordinator) sends it.
struct Cmd {
    action: &'static str,
    body: Value,
    event: &'static str,
    by_muhtar: bool,
}

fn cmd(action: &'static str, body: Value, event: &'static str, by_muhtar: bool) -> Cmd {
    Cmd {
        action,
        body,
        event,
        by_muhtar,
    }
}

/// A command that fits a request in `status`, or `None` for a request that is done.
fn next_command(status: &str, rng: &mut Rng) -> Option<Cmd> {
    let accept = || cmd("accept", json!({}), "accepted", false);
    let reply = || {
        cmd(
            "reply",
            json!({"text": "Ekip yönlendirildi"}),
            "interim-reply",
            false,
        )
    };
    let pause = || cmd("pause", json!({"note": "Tam adres?"}), "paused", false);
    let answer = || {
        cmd(
            "answer",
            json!({"outcome": "positive", "text": "Yapıldı"}),
            "answered",
            false,
        )
    };
    let message = || {
        cmd(
            "message",
            json!({"text": "Yarın gelinecek"}),
            "message",
            false,
        )
    };
    let reopen = || {
        cmd(
            "reopen",
            json!({"reason": "Yine bozuldu"}),
            "reopened",
            true,
        )
    };
    let mut options = match status {
        "routed" => vec![accept(), reply(), pause(), answer()],
        "in-progress" => vec![reply(), pause(), answer(), message()],
        "paused" => vec![
            cmd("resume", json!({"note": "Adres geldi"}), "resumed", true),
            answer(),
        ],
        "answered" => vec![cmd("close", json!({}), "closed", true), reopen(), message()],
        "closed" => vec![reopen()],
        _ => return None,
    };
    if matches!(status, "routed" | "in-progress") && rng.below(20) == 0 {
        return Some(cmd(
            "withdraw",
            json!({"reason": "Kendiliğinden çözüldü"}),
            "withdrawn",
            true,
        ));
    }
    let i = rng.below(options.len());
    Some(options.swap_remove(i))
}

/// A request a client submitted: its version and status when known, `None` after a call
/// whose outcome it does not know (it reads the request again before the next command).
struct Mine {
    tracking: String,
    known: Option<(u32, String)>,
}

/// One client: submits requests as a muhtar and runs lifecycle commands on its own
/// requests (as the coordinator or the muhtar) with `expected_version`, recording every
/// acknowledged answer, until told to stop.
async fn client(load: Arc<Load>, muhtar_token: String, coordinator: String, seed: u64) {
    let c = reqwest::Client::builder()
        .timeout(Duration::from_secs(20))
        .build()
        .unwrap();
    let mut rng = Rng::new(seed);
    let mut mine: Vec<Mine> = Vec::new();
    let mut n = 0;
    let pause = || tokio::time::sleep(Duration::from_millis(20));
    while !load.stop.load(Ordering::Relaxed) {
        let base = load.base();
        if mine.len() < 3 || rng.below(4) == 0 {
            n += 1;
            let r = c
                .post(format!("{base}/api/v1/requests"))
                .bearer_auth(&muhtar_token)
                .json(&json!({
                    "category": CATEGORIES[rng.below(CATEGORIES.len())],
                    "subject": format!("Yük {seed:x} {n}"),
                }))
                .send()
                .await;
            match load.answer(r).await {
                Some((201, v)) => {
                    let a = Ack::of(&v, "routed");
                    mine.push(Mine {
                        tracking: a.tracking.clone(),
                        known: Some((a.version, a.status.clone())),
                    });
                    load.ack(a);
                }
                Some((s, v)) => {
                    load.tolerate("submit", s, &v);
                    pause().await;
                }
                None => pause().await,
            }
            continue;
        }
        let i = mine.len() - 1 - rng.below(mine.len().min(8));
        let tracking = mine[i].tracking.clone();
        let Some((version, status)) = mine[i].known.clone() else {
            let r = c
                .get(format!("{base}/api/v1/requests/{tracking}"))
                .bearer_auth(&coordinator)
                .send()
                .await;
            match load.answer(r).await {
                Some((200, v)) => {
                    mine[i].known = Some((
                        v["version"].as_u64().unwrap() as u32,
                        v["status"].as_str().unwrap().to_owned(),
                    ))
                }
                Some((s, v)) => {
                    load.tolerate("read", s, &v);
                    pause().await;
                }
                None => pause().await,
            }
            continue;
        };
        let Some(cmd) = next_command(&status, &mut rng) else {
            mine.remove(i);
            continue;
        };
        let mut b = cmd.body;
        b["expected_version"] = json!(version);
        let r = c
            .post(format!("{base}/api/v1/requests/{tracking}/{}", cmd.action))
            .bearer_auth(if cmd.by_muhtar {
                &muhtar_token
            } else {
                &coordinator
            })
            .json(&b)
            .send()
            .await;
        match load.answer(r).await {
            Some((200, v)) => {
                let a = Ack::of(&v, cmd.event);
                mine[i].known = Some((a.version, a.status.clone()));
                load.ack(a);
            }
            Some((s, v)) => {
                mine[i].known = None;
                load.tolerate(cmd.action, s, &v);
                pause().await;
            }
            None => {
                mine[i].known = None;
                pause().await;
            }
        }
    }
}

/// Starts `clients` clients, muhtars of [`MUHTARLIKS`] in turn, on `load`.
fn spawn_clients(
    load: &Arc<Load>,
    muhtars: &[String],
    coordinator: &str,
    seed: u64,
    clients: usize,
) -> Vec<tokio::task::JoinHandle<()>> {
    (0..clients)
        .map(|i| {
            tokio::spawn(client(
                load.clone(),
                muhtars[i % muhtars.len()].clone(),
                coordinator.to_owned(),
                seed.wrapping_add(i as u64 + 1),
            ))
        })
        .collect()
}

/// A database with the example organisation, the coordinator's token and one token per
/// muhtar of [`MUHTARLIKS`].
fn setup(dir: &Path, db: &str) -> (String, Vec<String>) {
    muhtar(dir, db, &["init"]);
    let coordinator = token(dir, db, "ibb", "coordinator");
    let muhtars = MUHTARLIKS
        .iter()
        .map(|m| token(dir, db, "ibb", &format!("muhtar:{m}")))
        .collect();
    (coordinator, muhtars)
}

/// `muhtar serve` without background tasks (the outbox stays as written), logging only
/// its own errors (the warnings of a database that is down, and the HTTP layer's line
/// for every 503, would drown the test's output).
async fn start_quiet(dir: &Path, db: &str) -> Server {
    let (dir, db) = (dir.to_path_buf(), db.to_owned());
    tokio::task::spawn_blocking(move || {
        Server::start(
            &dir,
            &db,
            &["--no-dispatcher", "--no-sweeper"],
            &[("MUHTAR_LOG", QUIET.into())],
        )
    })
    .await
    .unwrap()
}

// ---------------------------------------------------------------------------------------
// What the store holds

async fn open_store(db: &str) -> Arc<dyn Store> {
    if db.starts_with("postgres") {
        Arc::new(
            muhtar_store_postgres::PgStore::connect(db)
                .await
                .expect("open the PostgreSQL store"),
        )
    } else {
        Arc::new(
            muhtar_store_sqlite::SqliteStore::open(db, Default::default())
                .await
                .expect("open the SQLite store"),
        )
    }
}

/// What the store holds, and everything wrong with it.
struct Checked {
    requests: usize,
    events: usize,
    outbox: usize,
    versions: HashMap<String, u32>,
    problems: Vec<String>,
}

/// A stored event and what the request was after it.
struct Step {
    event: &'static str,
    status: String,
    deadlines: Option<Deadlines>,
}

/// The same notice, apart from its id (drawn at random when it was planned).
fn same_notice(a: &OutboxMessage, b: &OutboxMessage) -> bool {
    (
        &a.tenant,
        &a.request,
        a.kind,
        a.channel,
        &a.recipient,
        &a.payload,
        a.created_at,
        a.not_before,
    ) == (
        &b.tenant,
        &b.request,
        b.kind,
        b.channel,
        &b.recipient,
        &b.payload,
        b.created_at,
        b.not_before,
    )
}

/// Checks the whole tenant `ibb` in `db` against core and against `acks`:
///
/// - every stored request has versions 1..=n, and its state is the fold of its events;
/// - its stored deadlines are those its history gives (core's SLA clock at the last
///   event);
/// - the outbox holds exactly the notices core's `outbox::plan` gives for every stored
///   event, with the same recipients and payloads (`undelivered`: all still pending,
///   never attempted);
/// - every acknowledged answer is there: its request, its event at its version, and the
///   status and deadlines the request had after that event.
async fn check_store(db: &str, acks: &[Ack], undelivered: bool) -> Checked {
    let store = open_store(db).await;
    let tenant = TenantId::new("ibb").unwrap();
    let clock: fn() -> DateTime<Utc> = Utc::now;
    let mbs = Mbs::new(store.clone(), clock, SeededRandom::new(7));
    let ctx = mbs
        .context(&tenant)
        .await
        .expect("the tenant's configuration");
    let mut ids = IdGenerator::new(SeededRandom::new(0));
    let mut problems = Vec::new();
    let mut records = Vec::new();
    let mut after = None;
    loop {
        let q = RequestQuery {
            limit: 1000,
            after,
            ..RequestQuery::default()
        };
        let page = store.query(&tenant, &q).await.expect("list requests");
        records.extend(page.items);
        match page.next {
            Some(c) => after = Some(c),
            None => break,
        }
    }
    let mut planned: HashMap<String, OutboxMessage> = HashMap::new();
    // Per tracking number: each event (index version - 1), the status after it and the
    // deadlines after it (none after `received` alone).
    let mut history: HashMap<String, Vec<Step>> = HashMap::new();
    let mut versions = HashMap::new();
    let mut n_events = 0;
    for rec in &records {
        let t = rec.state.tracking.to_string();
        versions.insert(t.clone(), rec.state.version);
        let events = store
            .events(&tenant, rec.state.id)
            .await
            .expect("read events");
        n_events += events.len();
        if events.len() != rec.state.version as usize
            || events
                .iter()
                .enumerate()
                .any(|(i, e)| e.version as usize != i + 1)
        {
            problems.push(format!(
                "{t}: version {} but events {:?}",
                rec.state.version,
                events.iter().map(|e| e.version).collect::<Vec<_>>()
            ));
            continue;
        }
        let mut steps = Vec::new();
        let mut state: Option<RequestState> = None;
        for (i, e) in events.iter().enumerate() {
            let applied = match &mut state {
                None => RequestState::fold(&events[..1]).map(|s| state = Some(s)),
                Some(s) => s.apply(e),
            };
            if let Err(err) = applied {
                problems.push(format!("{t}: event {} does not fold: {err}", e.version));
                break;
            }
            let st = state.as_ref().unwrap();
            // A submission commits `received` and `routed` together: no deadlines and
            // no notices after `received` alone.
            let deadlines = if i == 0 {
                None
            } else {
                let d = ctx
                    .deadlines(st, &events[..=i], e.at)
                    .expect("deadlines of a stored history");
                for m in plan(&ctx.org, st, &d, std::slice::from_ref(e), &mut ids, e.at) {
                    planned.insert(m.idempotency_key.clone(), m);
                }
                Some(d)
            };
            steps.push(Step {
                event: e.kind.name(),
                status: st.status.as_str().to_owned(),
                deadlines,
            });
        }
        if steps.len() != events.len() {
            continue;
        }
        if state.as_ref() != Some(&rec.state) {
            problems.push(format!(
                "{t}: the stored state is not the fold of its events"
            ));
        }
        if steps.last().and_then(|s| s.deadlines.as_ref()) != Some(&rec.deadlines) {
            problems.push(format!(
                "{t}: stored deadlines {:?}, its history gives {:?}",
                rec.deadlines,
                steps.last().map(|s| &s.deadlines)
            ));
        }
        history.insert(t, steps);
    }
    let outbox: Vec<OutboxEntry> = store.outbox(&tenant, None).await.expect("read outbox");
    let mut seen = HashSet::new();
    for entry in &outbox {
        let m = &entry.message;
        if !seen.insert(m.idempotency_key.clone()) {
            problems.push(format!("outbox: {} twice", m.idempotency_key));
        }
        match planned.get(&m.idempotency_key) {
            None => problems.push(format!(
                "outbox: {} is planned by no stored event",
                m.idempotency_key
            )),
            Some(p) if !same_notice(p, m) => problems.push(format!(
                "outbox: {} differs from the plan:\n stored {m:?}\n plan   {p:?}",
                m.idempotency_key
            )),
            Some(_) => {}
        }
        if undelivered && (entry.status != OutboxStatus::Pending || entry.attempts != 0) {
            problems.push(format!(
                "outbox: {} was touched ({:?}, {} attempts) with no dispatcher",
                m.idempotency_key, entry.status, entry.attempts
            ));
        }
    }
    for key in planned.keys() {
        if !seen.contains(key) {
            problems.push(format!("outbox: planned notice {key} is missing"));
        }
    }
    for a in acks {
        let Some(steps) = history.get(&a.tracking) else {
            problems.push(format!("acknowledged request {} is lost", a.tracking));
            continue;
        };
        let Some(Step {
            event,
            status,
            deadlines,
        }) = steps.get(a.version as usize - 1)
        else {
            problems.push(format!(
                "{}: acknowledged version {} is lost (stored: {})",
                a.tracking,
                a.version,
                steps.len()
            ));
            continue;
        };
        if *event != a.event || *status != a.status {
            problems.push(format!(
                "{} v{}: acknowledged {} ({}), stored {event} ({status})",
                a.tracking, a.version, a.event, a.status
            ));
        }
        let d = deadlines.as_ref();
        if d.and_then(|d| d.first_response_due) != a.first_response_due
            || d.and_then(|d| d.resolution_due) != a.resolution_due
        {
            problems.push(format!(
                "{} v{}: acknowledged deadlines {:?} / {:?}, stored history gives {d:?}",
                a.tracking, a.version, a.first_response_due, a.resolution_due
            ));
        }
    }
    Checked {
        requests: records.len(),
        events: n_events,
        outbox: outbox.len(),
        versions,
        problems,
    }
}

fn assert_clean(what: &str, load: &Load, checked: &Checked) {
    let unexpected = load.unexpected();
    assert!(
        unexpected.is_empty(),
        "{what}: {} unexpected answers, first: {:#?}",
        unexpected.len(),
        &unexpected[..unexpected.len().min(10)]
    );
    assert!(
        checked.problems.is_empty(),
        "{what}: {} problems in the store, first: {:#?}",
        checked.problems.len(),
        &checked.problems[..checked.problems.len().min(20)]
    );
}

/// Runs SQL on a PostgreSQL database with `psql`.
fn psql(db: &str, sql: &str) {
    let o = Command::new("psql")
        .args([db, "-v", "ON_ERROR_STOP=1", "-qc", sql])
        .output()
        .expect("psql");
    assert!(o.status.success(), "{sql}: {o:?}");
}

/// The store check is what the fault tests rest on, so it must fail when something is
/// lost or half-written: a request's last event removed (its state kept), an outbox row
/// removed, stored deadlines changed, an acknowledgement the store does not bear out.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_store_check_finds_lost_and_half_written_data() {
    let Some(base) = common::pg_server("store check on PostgreSQL") else {
        return;
    };
    let db = common::fresh_pg_db(&base, "muhtar_check");
    let d = tempfile::tempdir().unwrap();
    let dir = d.path();
    let (coordinator, muhtars) = setup(dir, &db);
    let srv = start_quiet(dir, &db).await;
    let c = common::client();
    let mut acks = Vec::new();
    for i in 0..2 {
        let (s, v) = common::post_json(
            &c,
            &srv.url("/api/v1/requests"),
            &muhtars[i],
            &json!({"category": CATEGORIES[i], "subject": "Denetim"}),
        )
        .await;
        assert_eq!(s, 201, "{v}");
        acks.push(Ack::of(&v, "routed"));
    }
    let (a, b) = (acks[0].tracking.clone(), acks[1].tracking.clone());
    for (action, body, event) in [
        ("accept", json!({}), "accepted"),
        (
            "answer",
            json!({"outcome": "positive", "text": "Tamam"}),
            "answered",
        ),
    ] {
        let (s, v) = common::post_json(
            &c,
            &srv.url(&format!("/api/v1/requests/{a}/{action}")),
            &coordinator,
            &body,
        )
        .await;
        assert_eq!(s, 200, "{v}");
        acks.push(Ack::of(&v, event));
    }
    assert!(srv.terminate().success());
    let clean = check_store(&db, &acks, true).await;
    assert!(clean.problems.is_empty(), "{:#?}", clean.problems);
    assert_eq!((clean.requests, clean.events), (2, 6));

    let mut wrong_event = acks[1].clone();
    wrong_event.event = "accepted";
    let mut wrong_due = acks[1].clone();
    wrong_due.resolution_due = Some(Utc::now());
    let mut missing = acks[1].clone();
    missing.tracking = muhtar_core::tracking::TrackingNumber::from_random(1).to_string();
    acks.extend([wrong_event, wrong_due, missing.clone()]);
    psql(
        &db,
        &format!(
            "DELETE FROM events WHERE version = 4 AND request_id = \
             (SELECT id FROM requests WHERE tracking = '{a}')"
        ),
    );
    psql(
        &db,
        &format!(
            "DELETE FROM outbox WHERE idempotency_key = (SELECT idempotency_key FROM outbox \
             WHERE request_id = (SELECT id FROM requests WHERE tracking = '{b}') LIMIT 1)"
        ),
    );
    psql(
        &db,
        &format!(
            "UPDATE requests SET deadlines = jsonb_set(deadlines, '{{resolution_due}}', \
             '\"2031-01-01T00:00:00Z\"'), \
             state = jsonb_set(state, '{{content,subject}}', '\"Değişti\"') \
             WHERE tracking = '{b}'"
        ),
    );
    let found = check_store(&db, &acks, true).await.problems;
    for expected in [
        format!("{a}: version 4 but events [1, 2, 3]"),
        format!("acknowledged request {a} is lost"),
        "outbox: planned notice".to_owned(),
        format!("{b}: stored deadlines"),
        format!("{b}: the stored state is not the fold of its events"),
        format!("{b} v2: acknowledged accepted (routed), stored routed (routed)"),
        format!("{b} v2: acknowledged deadlines"),
        format!("acknowledged request {} is lost", missing.tracking),
    ] {
        assert!(
            found.iter().any(|p| p.starts_with(&expected)),
            "the check reports {expected:?}: {found:#?}"
        );
    }
}

// ---------------------------------------------------------------------------------------
// 1 and 5. Crash safety: SIGKILL under load (soak mode with MUHTAR_SOAK_SECONDS)

const CRASH_CLIENTS: usize = 6;

async fn crash_harness(db: &str, what: &str) {
    let seconds = run_seconds();
    let seed = seed(what);
    let d = tempfile::tempdir().unwrap();
    let dir = d.path();
    let (coordinator, muhtars) = setup(dir, db);
    let mut srv = start_quiet(dir, db).await;
    let load = Load::new(&srv.base, &[]);
    let clients = spawn_clients(&load, &muhtars, &coordinator, seed, CRASH_CLIENTS);
    let mut rng = Rng::new(seed);
    let t0 = Instant::now();
    let (mut kills, mut restarts) = (0u32, 0u32);
    loop {
        tokio::time::sleep(rng.ms(200, 1500)).await;
        srv.kill();
        kills += 1;
        if t0.elapsed() >= Duration::from_secs(seconds) {
            break;
        }
        tokio::time::sleep(rng.ms(0, 300)).await;
        srv = start_quiet(dir, db).await;
        load.set_base(&srv.base);
        restarts += 1;
    }
    load.stop.store(true, Ordering::Relaxed);
    for c in clients {
        c.await.unwrap();
    }
    let ran = t0.elapsed();
    let acks = load.acks();
    let submitted = acks.iter().filter(|a| a.event == "routed").count();
    let t = Instant::now();
    let checked = check_store(db, &acks, true).await;
    let lost = checked.problems.len();
    eprintln!(
        "FIGURES crash harness on {what}: ran {:.1} s with {CRASH_CLIENTS} clients, seed {seed}: \
         {submitted} requests and {} commands acknowledged, {} kills (SIGKILL), {restarts} restarts, \
         {} calls unanswered (server killed or down); store: {} requests, {} events, {} outbox rows, \
         checked in {:.1} s; lost or inconsistent: {lost}; unexpected answers: {}",
        ran.as_secs_f64(),
        acks.len() - submitted,
        kills,
        load.unanswered.lock().unwrap(),
        checked.requests,
        checked.events,
        checked.outbox,
        t.elapsed().as_secs_f64(),
        load.unexpected().len(),
    );
    assert_clean(what, &load, &checked);
    assert!(kills >= 2, "the server was killed {kills} times");
    assert!(
        submitted > 0 && acks.len() > submitted,
        "the load did something: {submitted} submissions, {} acks",
        acks.len()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crash_safety_under_sigkill_on_sqlite() {
    let d = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", d.path().join("crash.db").display());
    crash_harness(&db, "SQLite").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crash_safety_under_sigkill_on_postgres() {
    let Some(base) = common::pg_server("crash harness on PostgreSQL") else {
        return;
    };
    let db = common::fresh_pg_db(&base, "muhtar_crash");
    crash_harness(&db, "PostgreSQL").await;
}

// ---------------------------------------------------------------------------------------
// 2. Concurrent commands on the same requests

const RACERS: usize = 8;
const RACES: usize = 25;

/// `RACERS` clients each send `RACES` commands to 3 shared requests: pause or resume
/// with the `expected_version` they just read, or a message without one. Every answer is
/// 200 or 409 `conflict`; each request gained exactly one event per 200, at the version
/// that answer gave.
async fn concurrent_commands(db: &str, what: &str) {
    let seed = seed(what);
    let d = tempfile::tempdir().unwrap();
    let dir = d.path();
    let (coordinator, muhtars) = setup(dir, db);
    let srv = start_quiet(dir, db).await;
    let load = Load::new(&srv.base, &[]);
    let c = common::client();
    let mut shared = Vec::new();
    for (i, category) in CATEGORIES.iter().take(3).enumerate() {
        let r = c
            .post(srv.url("/api/v1/requests"))
            .bearer_auth(&muhtars[0])
            .json(&json!({"category": category, "subject": format!("Ortak {i}")}))
            .send()
            .await;
        let (s, v) = load.answer(r).await.unwrap();
        assert_eq!(s, 201, "{v}");
        let a = Ack::of(&v, "routed");
        shared.push(a.tracking.clone());
        load.ack(a);
    }
    let conflicts = Arc::new(Mutex::new(0u32));
    let t0 = Instant::now();
    let racers: Vec<_> = (0..RACERS)
        .map(|k| {
            let (load, c, shared, coordinator) =
                (load.clone(), c.clone(), shared.clone(), coordinator.clone());
            let (base, conflicts) = (srv.base.clone(), conflicts.clone());
            tokio::spawn(async move {
                let mut rng = Rng::new(seed.wrapping_add(k as u64));
                for _ in 0..RACES {
                    let t = &shared[rng.below(shared.len())];
                    let r = c
                        .get(format!("{base}/api/v1/requests/{t}"))
                        .bearer_auth(&coordinator)
                        .send()
                        .await;
                    let (s, v) = load.answer(r).await.expect("an answer");
                    assert_eq!(s, 200, "{v}");
                    let (action, mut body, event) = if rng.below(3) == 0 {
                        ("message", json!({"text": "Not"}), "message")
                    } else if v["status"] == "paused" {
                        ("resume", json!({"note": "Geldi"}), "resumed")
                    } else {
                        ("pause", json!({"note": "Adres?"}), "paused")
                    };
                    if action != "message" {
                        body["expected_version"] = v["version"].clone();
                    }
                    let r = c
                        .post(format!("{base}/api/v1/requests/{t}/{action}"))
                        .bearer_auth(&coordinator)
                        .json(&body)
                        .send()
                        .await;
                    match load.answer(r).await.expect("an answer") {
                        (200, v) => load.ack(Ack::of(&v, event)),
                        (409, e) if e["error"]["code"] == "conflict" => {
                            *conflicts.lock().unwrap() += 1
                        }
                        (s, e) => {
                            load.tolerate(action, s, &e);
                        }
                    }
                }
            })
        })
        .collect();
    for r in racers {
        r.await.unwrap();
    }
    let ran = t0.elapsed();
    let status = srv.terminate();
    assert!(status.success());
    let acks = load.acks();
    let checked = check_store(db, &acks, true).await;
    let conflicts = *conflicts.lock().unwrap();
    let successes = acks.len() - shared.len();
    eprintln!(
        "FIGURES concurrency on {what}: {RACERS} clients x {RACES} commands on {} requests in {:.1} s: \
         {successes} succeeded, {conflicts} conflicts (409), statuses {:?}",
        shared.len(),
        ran.as_secs_f64(),
        load.statuses.lock().unwrap()
    );
    assert_clean(what, &load, &checked);
    assert_eq!(successes + conflicts as usize, RACERS * RACES);
    for t in &shared {
        let versions: Vec<u32> = acks
            .iter()
            .filter(|a| &a.tracking == t && a.event != "routed")
            .map(|a| a.version)
            .collect();
        let distinct: HashSet<u32> = versions.iter().copied().collect();
        assert_eq!(
            distinct.len(),
            versions.len(),
            "{t}: two successes claim one version: {versions:?}"
        );
        assert_eq!(
            checked.versions[t] as usize - 2,
            versions.len(),
            "{t}: one event per success, none lost, none extra"
        );
    }
    assert!(
        conflicts > 0,
        "{RACERS} clients on 3 requests never collided: the test tested nothing"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_commands_succeed_or_conflict_on_sqlite() {
    let d = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", d.path().join("race.db").display());
    concurrent_commands(&db, "SQLite").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_commands_succeed_or_conflict_on_postgres() {
    let Some(base) = common::pg_server("concurrency on PostgreSQL") else {
        return;
    };
    concurrent_commands(&common::fresh_pg_db(&base, "muhtar_race"), "PostgreSQL").await;
}

// ---------------------------------------------------------------------------------------
// 3. A private PostgreSQL cluster stopped and started under load

/// A PostgreSQL cluster of this test's own in a temporary directory, on a free port,
/// run as the user `postgres` when the test runs as root. Stopped when dropped, even if
/// the test fails.
struct PgCluster {
    dir: tempfile::TempDir,
    bin: PathBuf,
    port: u16,
    as_postgres: bool,
}

/// The newest `/usr/lib/postgresql/*/bin` with `initdb`, or the directory of `initdb` on
/// the PATH.
fn pg_bin() -> Option<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .filter_map(|e| e.ok())
        .map(|e| e.path().join("bin"))
        .filter(|b| b.join("initdb").exists())
        .collect();
    dirs.sort_by_key(|p| {
        p.parent()
            .and_then(|v| v.file_name())
            .and_then(|v| v.to_str())
            .and_then(|v| v.parse::<u32>().ok())
    });
    dirs.pop().or_else(|| {
        std::env::var_os("PATH").and_then(|paths| {
            std::env::split_paths(&paths)
                .find(|p| p.join("initdb").exists() && p.join("pg_ctl").exists())
        })
    })
}

impl PgCluster {
    /// Creates and starts a cluster, or says why not: `None` (skipped) when the server
    /// binaries are missing, unless `MUHTAR_REQUIRE_POSTGRES=1`.
    fn start() -> Option<PgCluster> {
        let Some(bin) = pg_bin() else {
            if std::env::var("MUHTAR_REQUIRE_POSTGRES").as_deref() == Ok("1") {
                panic!("MUHTAR_REQUIRE_POSTGRES=1 but initdb and pg_ctl are not installed");
            }
            eprintln!("SKIPPED: PostgreSQL restart test (initdb and pg_ctl not found)");
            return None;
        };
        let as_postgres = Command::new("id")
            .arg("-u")
            .output()
            .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0");
        let dir = tempfile::tempdir().unwrap();
        let c = PgCluster {
            dir,
            bin,
            port: free_port(),
            as_postgres,
        };
        if as_postgres {
            let o = Command::new("chown")
                .args(["postgres:postgres"])
                .arg(c.dir.path())
                .output()
                .unwrap();
            assert!(o.status.success(), "chown: {o:?}");
        }
        c.run(
            "initdb",
            &[
                "-D",
                &c.data(),
                "-U",
                "postgres",
                "-A",
                "trust",
                "-E",
                "UTF8",
                "--no-sync",
            ],
        );
        c.start_server();
        Some(c)
    }

    fn data(&self) -> String {
        self.dir.path().join("data").display().to_string()
    }

    /// Runs a server program (as `postgres` when root); panics if it fails.
    fn run(&self, program: &str, args: &[&str]) -> std::process::Output {
        let exe = self.bin.join(program);
        let mut cmd = if self.as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(exe);
            c
        } else {
            Command::new(exe)
        };
        let o = cmd
            .args(args)
            .current_dir(self.dir.path())
            .output()
            .expect("run a PostgreSQL program");
        assert!(
            o.status.success(),
            "{program} {args:?} failed: {}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        );
        o
    }

    fn start_server(&self) {
        let opts = format!(
            "-c listen_addresses=127.0.0.1 -c port={} -c unix_socket_directories={}",
            self.port,
            self.dir.path().display()
        );
        let log = self.dir.path().join("log").display().to_string();
        self.run(
            "pg_ctl",
            &[
                "-D",
                &self.data(),
                "-l",
                &log,
                "-w",
                "-t",
                "60",
                "-o",
                &opts,
                "start",
            ],
        );
    }

    /// Stops the server at once, like a crash (no checkpoint; recovery at the next start).
    fn stop_immediately(&self) {
        self.run(
            "pg_ctl",
            &["-D", &self.data(), "-m", "immediate", "-w", "stop"],
        );
    }

    /// A new database on the cluster; its URL.
    fn create_db(&self, name: &str) -> String {
        let url = format!("postgres://postgres@127.0.0.1:{}/", self.port);
        let o = Command::new("psql")
            .arg(format!("{url}postgres"))
            .args(["-qc", &format!("CREATE DATABASE {name}")])
            .output()
            .unwrap();
        assert!(o.status.success(), "create database: {o:?}");
        format!("{url}{name}")
    }
}

impl Drop for PgCluster {
    fn drop(&mut self) {
        let exe = self.bin.join("pg_ctl");
        let args = ["-D", &self.data(), "-m", "immediate", "-w", "stop"];
        let _ = if self.as_postgres {
            Command::new("runuser")
                .args(["-u", "postgres", "--"])
                .arg(exe)
                .args(args)
                .output()
        } else {
            Command::new(exe).args(args).output()
        };
    }
}

/// `/readyz`: its status (0 when there was no answer) and how long the answer took.
async fn readyz(c: &reqwest::Client, srv: &Server) -> (u16, Duration) {
    let t = Instant::now();
    let s = match c.get(srv.url("/readyz")).send().await {
        Ok(r) => r.status().as_u16(),
        Err(_) => 0,
    };
    (s, t.elapsed())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_restarted_under_load() {
    let Some(pg) = PgCluster::start() else {
        return;
    };
    let db = pg.create_db("muhtar");
    let seed = seed("PostgreSQL restart");
    let d = tempfile::tempdir().unwrap();
    let dir = d.path();
    let (coordinator, muhtars) = setup(dir, &db);
    let mut srv = start_quiet(dir, &db).await;
    let pid = srv.child.id();
    let load = Load::new(&srv.base, &[503]);
    let clients = spawn_clients(&load, &muhtars, &coordinator, seed, 4);
    let c = reqwest::Client::builder()
        .timeout(Duration::from_secs(60))
        .build()
        .unwrap();

    // Until the load runs (a first acknowledged answer).
    let t = Instant::now();
    while load.acks().is_empty() {
        assert!(t.elapsed() < Duration::from_secs(30), "the load runs");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(readyz(&c, &srv).await.0, 200);

    pg.stop_immediately();
    let down = Instant::now();
    let acked_before = load.acks().len();
    let (mut ready, mut slowest) = (200, Duration::ZERO);
    let mut noticed = None;
    // Down longer than the pool's wait for a connection (5 s), so that calls waiting for
    // one are answered 503 before the database is back.
    let down_for = muhtar_store_postgres::ACQUIRE_TIMEOUT + Duration::from_secs(2);
    while down.elapsed() < down_for || noticed.is_none() {
        let (s, took) = readyz(&c, &srv).await;
        slowest = slowest.max(took);
        ready = s;
        if s != 200 && noticed.is_none() {
            noticed = Some(down.elapsed());
        }
        assert!(
            down.elapsed() < Duration::from_secs(60),
            "/readyz still {s} 60 s after the database stopped"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let unavailable_while_down = load.count(503);
    let acked_while_down = load.acks().len() - acked_before;

    pg.start_server();
    let up = Instant::now();
    let back = loop {
        let (s, _) = readyz(&c, &srv).await;
        if s == 200 {
            break up.elapsed();
        }
        assert!(
            up.elapsed() < Duration::from_secs(60),
            "/readyz still {s} 60 s after the database started again"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let acked_at_restart = load.acks().len();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let acked_after = load.acks().len() - acked_at_restart;
    assert!(srv.is_running(), "the server survived the outage");
    assert_eq!(srv.child.id(), pid);
    load.stop.store(true, Ordering::Relaxed);
    for c in clients {
        c.await.unwrap();
    }
    let status = srv.terminate();
    let checked = check_store(&db, &load.acks(), true).await;
    eprintln!(
        "FIGURES PostgreSQL restart: /readyz not ready {:.2} s after the stop (answer {ready}, \
         slowest answer while down {:.2} s); {unavailable_while_down} API calls answered 503 while down, \
         {acked_while_down} acknowledged while down (answers of earlier commits); ready again {:.2} s after the start; \
         {acked_before} acknowledged before, {acked_after} in the 1.5 s after; statuses {:?}, \
         {} calls unanswered; store: {} requests, lost or inconsistent: {}",
        noticed.unwrap().as_secs_f64(),
        slowest.as_secs_f64(),
        back.as_secs_f64(),
        load.statuses.lock().unwrap(),
        load.unanswered.lock().unwrap(),
        checked.requests,
        checked.problems.len(),
    );
    assert_clean("PostgreSQL restart", &load, &checked);
    assert!(status.success(), "the server stopped cleanly: {status}");
    assert_ne!(
        ready, 200,
        "/readyz says not ready while the database is down"
    );
    assert!(
        unavailable_while_down > 0,
        "clients were told 503 while the database was down"
    );
    assert!(acked_after > 0, "the server serves again after the restart");
}

// ---------------------------------------------------------------------------------------
// 4. The SMTP relay down for a while

/// Every e-mail notice in the outbox of `db`, and every other notice.
async fn notices(db: &str) -> (Vec<OutboxEntry>, Vec<OutboxEntry>) {
    let store = open_store(db).await;
    let all = store
        .outbox(&TenantId::new("ibb").unwrap(), None)
        .await
        .unwrap();
    all.into_iter()
        .partition(|e| e.message.channel == DeliveryChannel::Email)
}

/// Waits up to 60 s for `done` to hold for the outbox's e-mail notices.
async fn wait_for_emails(
    db: &str,
    what: &str,
    done: impl Fn(&OutboxEntry) -> bool,
) -> (Vec<OutboxEntry>, Vec<OutboxEntry>) {
    let t = Instant::now();
    loop {
        let (emails, other) = notices(db).await;
        if !emails.is_empty() && emails.iter().all(&done) {
            return (emails, other);
        }
        assert!(
            t.elapsed() < Duration::from_secs(60),
            "after 60 s, not every e-mail notice is {what}: {emails:#?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn smtp_outage_is_retried_then_delivered_once() {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path();
    let db = format!("sqlite://{}", dir.join("smtp.db").display());
    common::init_without_quiet_hours(dir, &db);
    let kuz = token(dir, &db, "ibb", "muhtar:kuzguncuk");
    let coord = token(dir, &db, "ibb", "coordinator");
    // Nothing listens on this port until the relay "comes back".
    let port = free_port();
    let srv = Server::start(
        dir,
        &db,
        &[
            "--no-sweeper",
            "--dispatch-interval",
            "1",
            "--retry-after",
            "1",
        ],
        &[
            ("MUHTAR_SMTP_URL", format!("smtp://127.0.0.1:{port}")),
            ("MUHTAR_MAIL_FROM", "MBS <mbs@ibb.example.gov.tr>".into()),
            ("MUHTAR_LOG", QUIET.into()),
        ],
    );
    let c = common::client();
    for (i, category) in CATEGORIES.iter().take(3).enumerate() {
        let (s, v) = common::post_json(
            &c,
            &srv.url("/api/v1/requests"),
            &kuz,
            &json!({"category": category, "subject": format!("Posta {i}")}),
        )
        .await;
        assert_eq!(s, 201, "{v}");
        if i < 2 {
            let t = v["tracking"].as_str().unwrap();
            let (s, v) = common::post_json(
                &c,
                &srv.url(&format!("/api/v1/requests/{t}/answer")),
                &coord,
                &json!({"outcome": "positive", "text": "Tamamlandı"}),
            )
            .await;
            assert_eq!(s, 200, "{v}");
        }
    }

    // The relay is down: every e-mail is tried, fails, and is kept for a retry.
    let outage = Instant::now();
    let (emails, other) = wait_for_emails(&db, "tried twice and kept", |e| {
        e.attempts >= 2 && e.status == OutboxStatus::Pending && e.last_error.is_some()
    })
    .await;
    let tried_for = outage.elapsed();
    for e in &emails {
        let err = e.last_error.as_deref().unwrap();
        assert!(err.contains("SMTP"), "a transport error: {err}");
    }
    // SMS notices have no gateway here: they wait for one (the default), never tried and
    // never counted as failed.
    for e in &other {
        assert_eq!((e.status, e.failures), (OutboxStatus::Pending, 0), "{e:?}");
    }

    let mail = dir.join("mail");
    std::fs::create_dir(&mail).unwrap();
    let mut smtp = common::smtp_sink_on(&mail, port);
    let relay_up = Instant::now();
    let (emails, _) = wait_for_emails(&db, "sent", |e| e.status == OutboxStatus::Sent).await;
    let delivered_after = relay_up.elapsed();
    // Give a second delivery, if there were one, time to arrive.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let status = srv.terminate();
    let _ = smtp.kill();
    let _ = smtp.wait();
    assert!(status.success());

    let mut received: HashMap<String, u32> = HashMap::new();
    for e in std::fs::read_dir(&mail).unwrap().filter_map(|e| e.ok()) {
        if e.path().extension().is_some_and(|x| x == "json") {
            let v: Value =
                serde_json::from_str(&std::fs::read_to_string(e.path()).unwrap()).unwrap();
            *received
                .entry(v["message_id"].as_str().unwrap().to_owned())
                .or_default() += 1;
        }
    }
    let max_attempts = emails.iter().map(|e| e.attempts).max().unwrap();
    eprintln!(
        "FIGURES SMTP outage: {} e-mail notices, each tried and kept within {:.1} s of the outage, \
         all delivered {:.1} s after the relay came back, {} messages received, at most {max_attempts} attempts",
        emails.len(),
        tried_for.as_secs_f64(),
        delivered_after.as_secs_f64(),
        received.values().sum::<u32>(),
    );
    for e in &emails {
        let id = muhtar_notify::message_id(&e.message.idempotency_key, "muhtar");
        assert_eq!(
            received.get(&id),
            Some(&1),
            "{} delivered once (Message-ID {id})",
            e.message.idempotency_key
        );
    }
    assert_eq!(
        received.values().sum::<u32>() as usize,
        emails.len(),
        "nothing delivered that is not in the outbox, nothing twice: {received:?}"
    );
}
