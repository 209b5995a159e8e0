//! Official document numbers survive crashes (issue 23): with `[documents] auto_register =
//! ["phone"]`, `muhtar submit --channel phone` registers the request in the submission's
//! transaction. Rounds of concurrent `muhtar submit` processes, some killed with SIGKILL
//! at random moments; afterwards, in the database: per registry and year the sequences are
//! exactly 1..=n (no gap, none twice), every submission that printed its tracking number
//! is stored with exactly one registration, every stored request is registered once, and
//! no document is without its request. On a real SQLite file and, with `DATABASE_URL`, on
//! PostgreSQL.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;
use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use chrono::{TimeZone, Utc};
use muhtar_core::document::Direction;
use muhtar_core::ids::{RandomSource, SeededRandom, TenantId, UnitCode};
use muhtar_core::store::RequestQuery;

use crate::common;

/// Rounds run at least; more (up to [`MAX_ROUNDS`]) until a process died by SIGKILL.
const ROUNDS: usize = 4;
const MAX_ROUNDS: usize = 20;
const PROCESSES: usize = 6;
/// The signal number of SIGKILL.
const SIGKILL: i32 = 9;
/// Categories of the example organisation routed to different units (so registries).
const CATEGORIES: [&str; 4] = ["asfalt-onarim", "moloz", "kar-buz", "yarali-hayvan"];

/// Runs the rounds; returns the tracking numbers the submissions printed, how many
/// processes were started and how many died by SIGKILL.
fn submit_and_kill(dir: &Path, db: &str, seed: u64) -> (BTreeSet<String>, usize, usize) {
    let mut rng = SeededRandom::new(seed);
    let mut printed = BTreeSet::new();
    let (mut started, mut killed) = (0, 0);
    for round in 0..MAX_ROUNDS {
        if round >= ROUNDS && killed > 0 {
            break;
        }
        let mut children = Vec::new();
        for p in 0..PROCESSES {
            let category = CATEGORIES[(rng.next_u64() % CATEGORIES.len() as u64) as usize];
            let subject = format!("Telefonla bildirilen sorun {round}-{p}");
            let child = common::muhtar_command(dir, db)
                .args([
                    "--tenant",
                    "ibb",
                    "submit",
                    "--quiet",
                    "--muhtarlik",
                    "kuzguncuk",
                    "--category",
                    category,
                    "--subject",
                    &subject,
                    "--channel",
                    "phone",
                ])
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("run muhtar submit");
            started += 1;
            // Two processes in three, at random, are killed after 0 to 250 ms: before
            // they open the database, inside their transaction, or after it committed.
            let kill_after = (!rng.next_u64().is_multiple_of(3)).then(|| rng.next_u64() % 250);
            children.push((child, kill_after));
        }
        let start = std::time::Instant::now();
        let mut pending: Vec<_> = children.into_iter().collect();
        while !pending.is_empty() {
            std::thread::sleep(Duration::from_millis(5));
            let mut still = Vec::new();
            for (mut child, kill_after) in pending {
                if let Some(ms) = kill_after {
                    if start.elapsed() >= Duration::from_millis(ms) {
                        // SIGKILL (std's kill on Unix); counted if it died of it.
                        let _ = child.kill();
                        let status = child.wait().expect("wait for muhtar");
                        let err = collect(&mut child, &mut printed);
                        match status.signal() {
                            Some(SIGKILL) => killed += 1,
                            _ => assert!(status.success(), "muhtar submit failed: {err}"),
                        }
                        continue;
                    }
                }
                match child.try_wait().expect("wait for muhtar") {
                    Some(status) => {
                        let err = collect(&mut child, &mut printed);
                        assert!(status.success(), "muhtar submit failed: {err}");
                    }
                    None => still.push((child, kill_after)),
                }
            }
            pending = still;
        }
    }
    (printed, started, killed)
}

/// Reads what a finished process printed: its tracking number to `printed`; returns its
/// standard error.
fn collect(child: &mut std::process::Child, printed: &mut BTreeSet<String>) -> String {
    let mut out = String::new();
    if let Some(mut s) = child.stdout.take() {
        let _ = s.read_to_string(&mut out);
    }
    let mut err = String::new();
    if let Some(mut s) = child.stderr.take() {
        let _ = s.read_to_string(&mut err);
    }
    let t = out.trim();
    if !t.is_empty() {
        printed.insert(t.to_owned());
    }
    err
}

async fn crash_rounds(db: &str, what: &str) {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path();
    let settings = dir.join("settings.toml");
    std::fs::write(
        &settings,
        "quiet_hours = { start = \"00:00\", end = \"00:00\" }\n\n\
         [documents]\nauto_register = [\"phone\"]\n",
    )
    .unwrap();
    common::muhtar(dir, db, &["init", "--settings", settings.to_str().unwrap()]);
    let seed = u64::from(std::process::id());
    let (printed, started, killed) = submit_and_kill(dir, db, seed);

    let store = common::open_store(db).await;
    let t = TenantId::new("ibb").unwrap();
    let mut requests = Vec::new();
    let mut q = RequestQuery {
        limit: 200,
        ..RequestQuery::default()
    };
    loop {
        let page = store.query(&t, &q).await.unwrap();
        requests.extend(page.items);
        match page.next {
            Some(c) => q.after = Some(c),
            None => break,
        }
    }
    let stored: BTreeSet<String> = requests
        .iter()
        .map(|r| r.state.tracking.to_string())
        .collect();
    for tr in &printed {
        assert!(
            stored.contains(tr),
            "{what}: acknowledged {tr} is not stored"
        );
    }
    let mut by_registry: BTreeMap<(UnitCode, i32), Vec<u32>> = BTreeMap::new();
    let mut codes = BTreeSet::new();
    for r in &requests {
        let docs = store.documents_of_request(&t, r.state.id).await.unwrap();
        assert_eq!(
            docs.len(),
            1,
            "{what}: request {} has {} documents",
            r.state.tracking,
            docs.len()
        );
        let doc = &docs[0];
        assert_eq!(doc.direction, Direction::Incoming);
        assert_eq!(r.state.registration(), Some(&doc.reference()), "{what}");
        assert!(codes.insert(doc.code.clone()), "{what}: code twice");
        by_registry
            .entry((doc.registry.clone(), doc.year))
            .or_default()
            .push(doc.number.sequence);
    }
    for ((registry, year), mut seqs) in by_registry.clone() {
        seqs.sort_unstable();
        let want: Vec<u32> = (1..=seqs.len() as u32).collect();
        assert_eq!(seqs, want, "{what}: registry {registry}, {year}");
        assert_eq!(
            store.last_sequence(&t, &registry, year).await.unwrap(),
            want.len() as u32,
            "{what}: registry {registry}, {year}"
        );
    }
    // No document without its request: the tenant counts no more than the requests hold.
    let ever = (
        Utc.with_ymd_and_hms(2000, 1, 1, 0, 0, 0).unwrap(),
        Utc.with_ymd_and_hms(2100, 1, 1, 0, 0, 0).unwrap(),
    );
    let counts = store
        .document_counts(&t, ever.0, ever.1, None)
        .await
        .unwrap();
    assert_eq!(counts.incoming, requests.len() as u64, "{what}");
    assert_eq!(counts.letters, 0, "{what}");
    eprintln!(
        "FIGURES documents crash on {what}: seed {seed}, {} submissions, {killed} killed, \
         {} acknowledged, {} stored, registries {:?}",
        started,
        printed.len(),
        requests.len(),
        by_registry
            .iter()
            .map(|((r, y), s)| format!("{r}/{y}: {}", s.len()))
            .collect::<Vec<_>>()
    );
    assert!(killed > 0, "{what}: no process was killed");
    assert!(!printed.is_empty(), "{what}: no submission finished");
    assert!(
        by_registry.len() > 1,
        "{what}: the submissions should reach more than one registry"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn document_numbers_survive_sigkill_on_sqlite() {
    let d = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", d.path().join("documents.db").display());
    crash_rounds(&db, "SQLite").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn document_numbers_survive_sigkill_on_postgres() {
    let Some(base) = common::pg_server("documents crash test on PostgreSQL") else {
        return;
    };
    let db = common::fresh_pg_db(&base, "muhtar_documents_crash");
    crash_rounds(&db, "PostgreSQL").await;
}
