//! What only the SQLite store has to prove: concurrent writers, locks held by others,
//! schema migrations of older files, and files that are not databases. The storage
//! contract itself is checked by the conformance suite (`tests/conformance.rs`).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use muhtar_core::outbox::OutboxStatus;
use muhtar_core::request::{EventKind, Party, RequestState};
use muhtar_core::store::{
    Commit, ConfigStore, Document, DocumentKind, OutboxStore, RequestRecord, RequestStore,
    StoreError, StoreErrorKind, UnavailableReason,
};
use muhtar_core::testkit::fixtures::{as_schema_v1, next_commit, t0, tenant, Spec};
use muhtar_store_sqlite::{
    MigrateError, OpenError, SchemaError, SchemaStatus, SqliteOptions, SqliteStore, MIGRATIONS,
};
use tempfile::TempDir;

pub(crate) async fn store_in(dir: &Path, options: SqliteOptions) -> SqliteStore {
    let store = SqliteStore::open(dir.join("muhtar.db"), options)
        .await
        .expect("open");
    store.migrate().await.expect("migrate");
    store
}

fn message(rec: &RequestRecord, key: &str) -> Commit {
    let mut c = next_commit(
        rec,
        EventKind::Message {
            from: Party::Unit,
            text: format!("not {key}"),
        },
        t0() + chrono::Duration::hours(1),
    );
    let mut m = Spec::new(rec.state.tenant.as_str(), 1)
        .commit()
        .outbox
        .remove(0);
    let mut h = std::collections::hash_map::DefaultHasher::new();
    std::hash::Hash::hash(key, &mut h);
    m.id = uuid::Uuid::from_u128((1 << 100) | u128::from(std::hash::Hasher::finish(&h)));
    m.request = Some(rec.state.id);
    m.idempotency_key = key.to_owned();
    c.outbox.push(m);
    c
}

/// Several tasks append to one request at once: each commit is either written whole or
/// refused with `Conflict`; nothing is lost or half-written.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_writers_lose_no_update() {
    let dir = TempDir::new().unwrap();
    let store = Arc::new(store_in(dir.path(), SqliteOptions::default()).await);
    let first = Spec::new("conc", 1).commit();
    store.commit(&first).await.unwrap();
    let (t, id) = (tenant("conc"), first.record.state.id);

    let writers = 8;
    // The first round starts together: every task reads version 2, one wins.
    let barrier = Arc::new(tokio::sync::Barrier::new(writers));
    let mut tasks = Vec::new();
    for task in 0..writers {
        let store = store.clone();
        let t = t.clone();
        let barrier = barrier.clone();
        tasks.push(tokio::spawn(async move {
            let (mut ok, mut conflicts) = (0u32, 0u32);
            for attempt in 0..6 {
                let rec = store.load(&t, id).await.unwrap();
                if attempt == 0 {
                    barrier.wait().await;
                }
                let c = message(&rec, &format!("conc-{task}-{attempt}"));
                match store.commit(&c).await {
                    Ok(()) => ok += 1,
                    Err(StoreError::Conflict { expected, actual }) => {
                        assert_eq!(expected, rec.state.version);
                        assert!(actual > expected, "{expected} -> {actual}");
                        conflicts += 1;
                    }
                    Err(e) => panic!("task {task}: unexpected error {e:?}"),
                }
            }
            (ok, conflicts)
        }));
    }
    let (mut oks, mut conflicts) = (0, 0);
    for task in tasks {
        let (ok, conflict) = task.await.unwrap();
        oks += ok;
        conflicts += conflict;
    }
    assert_eq!(oks + conflicts, 8 * 6);
    assert!(
        conflicts >= 7,
        "the first round has one winner: {conflicts} conflicts"
    );
    assert!(
        oks >= 6,
        "at least one commit per round goes through: {oks}"
    );

    let events = store.events(&t, id).await.unwrap();
    assert_eq!(events.len() as u32, 2 + oks);
    assert!(events
        .iter()
        .enumerate()
        .all(|(i, e)| e.version == i as u32 + 1));
    let stored = store.load(&t, id).await.unwrap();
    assert_eq!(stored.state, RequestState::fold(&events).unwrap());
    assert_eq!(stored.state.version, 2 + oks);
    // One outbox row per successful commit (plus the first): none from refused ones.
    let outbox = store.outbox(&t, Some(id)).await.unwrap();
    assert_eq!(outbox.len() as u32, 1 + oks);
}

/// A write lock held by another connection makes writes fail with `Unavailable` after
/// the busy timeout, writes nothing, and does not stop reads (WAL).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn locked_database_is_unavailable_and_nothing_is_half_written() {
    let dir = TempDir::new().unwrap();
    let timeout = Duration::from_millis(200);
    let store = store_in(dir.path(), SqliteOptions::default().busy_timeout(timeout)).await;
    let c = Spec::new("lock", 1).commit();
    store.commit(&c).await.unwrap();
    let (t, id) = (tenant("lock"), c.record.state.id);
    let next = message(&c.record, "lock-1");

    let other = rusqlite::Connection::open(store.path()).unwrap();
    other.execute_batch("BEGIN EXCLUSIVE").unwrap();

    let started = Instant::now();
    let err = store.commit(&next).await.unwrap_err();
    let waited = started.elapsed();
    assert!(
        matches!(
            err,
            StoreError::Unavailable {
                reason: UnavailableReason::Busy,
                source: Some(_)
            }
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains("busy or locked"), "{err}");
    let cause = std::error::Error::source(&err).expect("the SQLite error is the source");
    assert_eq!(
        cause
            .downcast_ref::<rusqlite::Error>()
            .and_then(rusqlite::Error::sqlite_error_code),
        Some(rusqlite::ErrorCode::DatabaseBusy),
        "{cause:?}"
    );
    assert!(waited >= timeout / 2, "gave up after {waited:?}");
    assert!(waited < Duration::from_secs(5), "waited {waited:?}");
    assert_eq!(
        store.enqueue(&next.outbox).await.unwrap_err().kind(),
        StoreErrorKind::Unavailable(UnavailableReason::Busy)
    );
    assert_eq!(
        store
            .claim(t0(), 10, chrono::Duration::minutes(5))
            .await
            .unwrap_err()
            .kind(),
        StoreErrorKind::Unavailable(UnavailableReason::Busy)
    );
    // Readers are not blocked by the writer.
    assert_eq!(store.load(&t, id).await.unwrap(), c.record);

    other.execute_batch("ROLLBACK").unwrap();
    drop(other);
    assert_eq!(store.load(&t, id).await.unwrap(), c.record);
    assert_eq!(store.events(&t, id).await.unwrap().len(), 2);
    let outbox = store.outbox(&t, None).await.unwrap();
    assert_eq!(outbox.len(), 1);
    assert_eq!(outbox[0].attempts, 0);
    // Once the lock is gone, the same commit goes through.
    store.commit(&next).await.unwrap();
    assert_eq!(store.events(&t, id).await.unwrap().len(), 3);
    assert_eq!(store.outbox(&t, None).await.unwrap().len(), 2);
}

fn time_text(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.9fZ").to_string()
}

/// Applies migration 0001 the way a DBA would: `sqlite3 db < migrations/0001_init.sql`
/// (or, without the `sqlite3` shell, the same file through rusqlite).
pub(crate) fn apply_first_migration_by_hand(db: &Path) {
    let file = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("migrations/0001_init.sql");
    let shell = std::process::Command::new("sqlite3")
        .arg("-bail")
        .arg(db)
        .stdin(std::fs::File::open(&file).unwrap())
        .output();
    match shell {
        Ok(out) => assert!(
            out.status.success(),
            "sqlite3 failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ),
        Err(_) => {
            let conn = rusqlite::Connection::open(db).unwrap();
            conn.execute_batch(MIGRATIONS[0].sql).unwrap();
        }
    }
}

/// Writes a commit the way a build that knew only migration 0001 did (events and state of
/// schema 1: read back through upcasting).
pub(crate) fn insert_v1(db: &Path, c: &Commit) {
    let (st, d) = (&c.record.state, &c.record.deadlines);
    {
        let conn = rusqlite::Connection::open(db).unwrap();
        conn.execute(
            "INSERT INTO requests (tenant, id, tracking, version, status, unit, muhtarlik, \
             category, channel, received_at, resolution_due, first_response_due, state, \
             deadlines) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?13, ?9, ?10, NULL, ?11, ?12)",
            rusqlite::params![
                st.tenant.as_str(),
                st.id.to_string(),
                st.tracking.to_string(),
                st.version,
                st.status.as_str(),
                st.unit.as_ref().map(|u| u.as_str().to_owned()),
                st.content.muhtarlik.as_str(),
                st.content.category,
                st.content.received_at.timestamp_micros(),
                d.resolution_due.map(|t| t.timestamp_micros()),
                as_schema_v1(st).to_string(),
                serde_json::to_string(d).unwrap(),
                muhtar_core::report::serde_name(&st.content.channel),
            ],
        )
        .unwrap();
        for e in &c.events {
            conn.execute(
                "INSERT INTO events (tenant, request_id, version, at, actor, type, payload) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                rusqlite::params![
                    st.tenant.as_str(),
                    st.id.to_string(),
                    e.version,
                    time_text(e.at),
                    serde_json::to_string(&e.actor).unwrap(),
                    e.kind.name(),
                    as_schema_v1(&e.kind).to_string(),
                ],
            )
            .unwrap();
        }
        let m = &c.outbox[0];
        conn.execute(
            "INSERT INTO outbox (id, tenant, request_id, idempotency_key, status, attempts, \
             next_attempt_at, created_at, message) VALUES (?1, ?2, ?3, ?4, 'pending', 0, ?5, ?6, ?7)",
            rusqlite::params![
                m.id.to_string(),
                m.tenant.as_str(),
                st.id.to_string(),
                m.idempotency_key,
                time_text(m.not_before),
                time_text(m.created_at),
                serde_json::to_string(m).unwrap(),
            ],
        )
        .unwrap();
    }
}

/// A database made with migration 0001 only (by hand), holding data, is refused until
/// migrated; `migrate` applies the rest and the data survives.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn older_schema_is_refused_then_migrated_forward() {
    let dir = TempDir::new().unwrap();
    let db = dir.path().join("muhtar.db");
    apply_first_migration_by_hand(&db);

    // Data written by a build that knew only migration 0001.
    let c = Spec::new("old", 1).commit();
    let st = &c.record.state;
    insert_v1(&db, &c);

    let store = SqliteStore::open(&db, SqliteOptions::default())
        .await
        .unwrap();
    let status = store.schema_status().await.unwrap();
    assert_eq!(
        status,
        SchemaStatus {
            version: 1,
            latest: muhtar_store_sqlite::latest_version()
        }
    );
    assert!(status.needs_migration());
    // Not silently usable: a clear error naming the schema.
    let t = tenant("old");
    match store.load(&t, st.id).await {
        Err(
            e @ StoreError::Unavailable {
                reason: UnavailableReason::Schema,
                ..
            },
        ) => {
            let cause = std::error::Error::source(&e).and_then(|s| s.downcast_ref::<SchemaError>());
            assert_eq!(cause.map(|c| c.status), Some(status), "{e:?}");
            assert!(e.to_string().contains("migrate"), "{e}");
        }
        other => panic!("expected Unavailable(Schema), got {other:?}"),
    }

    assert_eq!(
        store.migrate().await.unwrap(),
        (2..=muhtar_store_sqlite::latest_version()).collect::<Vec<u32>>()
    );
    assert!(store.schema_status().await.unwrap().is_current());
    assert_eq!(store.migrate().await.unwrap(), Vec::<u32>::new());

    // The old data reads back exactly.
    assert_eq!(store.load(&t, st.id).await.unwrap(), c.record);
    assert_eq!(store.events(&t, st.id).await.unwrap(), c.events);
    let outbox = store.outbox(&t, None).await.unwrap();
    assert_eq!(outbox.len(), 1);
    assert_eq!(outbox[0].message, c.outbox[0]);
    assert_eq!(outbox[0].status, OutboxStatus::Pending);
    // What migration 0002 added works, and so do new commits.
    store
        .put_document(&Document {
            tenant: t.clone(),
            kind: DocumentKind::Settings,
            version: 1,
            body: "{}".into(),
            updated_at: t0(),
            updated_by: "dba".into(),
        })
        .await
        .unwrap();
    let next = message(&c.record, "old-1");
    store.commit(&next).await.unwrap();
    assert_eq!(store.load(&t, st.id).await.unwrap(), next.record);
}

/// The migrator refuses a database whose applied migration differs from the shipped
/// file, and one migrated by a newer build; the store refuses to work on the latter.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn edited_or_newer_schemas_are_refused() {
    let dir = TempDir::new().unwrap();
    let store = store_in(dir.path(), SqliteOptions::default()).await;
    let conn = rusqlite::Connection::open(store.path()).unwrap();

    conn.execute(
        "UPDATE schema_migrations SET checksum = 'edited' WHERE version = 1",
        [],
    )
    .unwrap();
    match store.migrate().await {
        Err(MigrateError::ChecksumMismatch {
            version: 1,
            recorded,
            ..
        }) => assert_eq!(recorded, "edited"),
        other => panic!("expected a checksum mismatch, got {other:?}"),
    }
    conn.execute(
        "UPDATE schema_migrations SET checksum = ?1 WHERE version = 1",
        [MIGRATIONS[0].checksum()],
    )
    .unwrap();
    assert_eq!(store.migrate().await.unwrap(), Vec::<u32>::new());

    conn.execute(
        "INSERT INTO schema_migrations VALUES (99, 'future', 'x', '2030-01-01T00:00:00Z')",
        [],
    )
    .unwrap();
    drop(conn);
    assert!(matches!(
        store.migrate().await,
        Err(MigrateError::NewerSchema {
            found: 99,
            known
        }) if known == muhtar_store_sqlite::latest_version()
    ));
    // A fresh handle on the newer file refuses to work on it.
    let again = SqliteStore::open(store.path(), SqliteOptions::default())
        .await
        .unwrap();
    assert!(again.schema_status().await.unwrap().is_newer());
    assert!(matches!(
        again
            .document_version(&tenant("x"), DocumentKind::Calendar)
            .await,
        Err(StoreError::Unavailable {
            reason: UnavailableReason::Schema,
            ..
        })
    ));
}

fn sidecars(db: &Path) -> Vec<PathBuf> {
    ["-wal", "-shm", "-journal"]
        .iter()
        .map(|s| PathBuf::from(format!("{}{s}", db.display())))
        .filter(|p| p.exists())
        .collect()
}

/// A file that is not an SQLite database is refused with a clear error and left exactly
/// as it was; so is an SQLite file whose first page is damaged.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn non_database_files_are_refused_untouched() {
    let dir = TempDir::new().unwrap();

    let text = dir.path().join("notes.db");
    let bytes: Vec<u8> = "Muhtarlık toplantı notları: bu bir veritabanı değil.\n"
        .repeat(200)
        .into_bytes();
    std::fs::write(&text, &bytes).unwrap();
    match SqliteStore::open(&text, SqliteOptions::default()).await {
        Err(e @ OpenError::NotADatabase { .. }) => {
            assert!(e.to_string().contains("not an SQLite database"), "{e}")
        }
        other => panic!("expected NotADatabase, got {other:?}"),
    }
    assert_eq!(std::fs::read(&text).unwrap(), bytes);
    assert!(sidecars(&text).is_empty(), "{:?}", sidecars(&text));

    // A real database whose schema page is overwritten.
    let db = dir.path().join("damaged.db");
    {
        let store = SqliteStore::open(&db, SqliteOptions::default())
            .await
            .unwrap();
        store.migrate().await.unwrap();
    }
    let mut damaged = std::fs::read(&db).unwrap();
    assert!(sidecars(&db).is_empty(), "the WAL is checkpointed on close");
    for b in &mut damaged[100..4096] {
        *b = 0xA5;
    }
    std::fs::write(&db, &damaged).unwrap();
    let err = SqliteStore::open(&db, SqliteOptions::default())
        .await
        .unwrap_err();
    assert!(matches!(err, OpenError::NotADatabase { .. }), "{err:?}");
    assert_eq!(std::fs::read(&db).unwrap(), damaged);

    // In-memory databases are refused: the store needs a file.
    for location in [
        ":memory:",
        "sqlite::memory:",
        "sqlite://",
        "file:x?mode=memory",
    ] {
        assert!(
            matches!(
                SqliteStore::open(location, SqliteOptions::default()).await,
                Err(OpenError::InvalidLocation { .. })
            ),
            "{location}"
        );
    }
}

/// `sqlite://` URLs and plain paths name the same file.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn urls_and_paths_open_the_same_file() {
    let dir = TempDir::new().unwrap();
    let path = dir.path().join("muhtar.db");
    let url = format!("sqlite://{}", path.display());
    let a = SqliteStore::open(&url, SqliteOptions::default())
        .await
        .unwrap();
    assert_eq!(a.path(), path);
    a.migrate().await.unwrap();
    let b = SqliteStore::open(&path, SqliteOptions::default().readers(1))
        .await
        .unwrap();
    assert!(b.schema_status().await.unwrap().is_current());
    let c = Spec::new("url", 1).commit();
    a.commit(&c).await.unwrap();
    assert_eq!(
        b.load(&tenant("url"), c.record.state.id).await.unwrap(),
        c.record
    );
}

/// The `requests` table keeps instants in microseconds (the contract's sort keys); query
/// bounds finer than a microsecond still give exactly what `RequestQuery::matches` says,
/// across pages.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sub_microsecond_bounds_are_exact() {
    use muhtar_core::store::{Order, RequestQuery};
    let dir = TempDir::new().unwrap();
    let store = store_in(dir.path(), SqliteOptions::default()).await;
    let base = t0() + chrono::Duration::microseconds(7);
    let mut all = Vec::new();
    for (seed, nanos) in [(1u64, 0i64), (2, 400), (3, 900), (4, 1_000), (5, 1_300)] {
        let mut spec = Spec::new("ns", seed);
        spec.received_at = base + chrono::Duration::nanoseconds(nanos);
        spec.due = Some(base + chrono::Duration::nanoseconds(nanos));
        let c = spec.commit();
        store.commit(&c).await.unwrap();
        all.push(c.record);
    }
    let at = |n: i64| Some(base + chrono::Duration::nanoseconds(n));
    let queries = [
        RequestQuery {
            received_from: at(500),
            ..Default::default()
        },
        RequestQuery {
            received_until: at(500),
            ..Default::default()
        },
        RequestQuery {
            received_from: at(400),
            received_until: at(1_300),
            ..Default::default()
        },
        RequestQuery {
            due_before: at(901),
            ..Default::default()
        },
    ];
    for q in queries {
        for order in [Order::Deadline, Order::Newest] {
            let mut q = RequestQuery {
                order,
                limit: 1,
                ..q.clone()
            };
            let mut want: Vec<&RequestRecord> = all.iter().filter(|r| q.matches(r)).collect();
            order.sort(&mut want);
            let mut got = Vec::new();
            loop {
                let page = store.query(&tenant("ns"), &q).await.unwrap();
                got.extend(page.items.into_iter().map(|r| r.state.id));
                match page.next {
                    Some(c) => q.after = Some(c),
                    None => break,
                }
            }
            let want: Vec<_> = want.iter().map(|r| r.state.id).collect();
            assert!(!want.is_empty());
            assert_eq!(got, want, "{q:?}");
        }
    }
}

/// Migrations 0003, 0006 and 0009 fill the report columns of rows written before them from
/// their JSON state, so that the report of old data equals the pure aggregation (working
/// days excepted, which builds before it never recorded; calendar days included), for
/// quarters, a year and a range of dates. The data is the conformance
/// suite's report data set, each request written whole the way 0001 stored it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn report_columns_of_old_rows_are_backfilled() {
    use muhtar_core::report::Facts;
    use muhtar_core::testkit::conformance::assert_cube_matches;
    use muhtar_core::testkit::fixtures::{report_histories, squash};
    let dir = TempDir::new().unwrap();
    let db = dir.path().join("muhtar.db");
    apply_first_migration_by_hand(&db);
    let mut records = Vec::new();
    for history in report_histories("old") {
        let mut c = squash(&history);
        // Builds before the report columns did not record working days.
        c.record.deadlines.answer_working_days = None;
        insert_v1(&db, &c);
        records.push(c.record);
    }
    let store = SqliteStore::open(&db, SqliteOptions::default())
        .await
        .unwrap();
    store.migrate().await.unwrap();
    let concluded = records
        .iter()
        .filter(|r| Facts::of(r).concluded_at.is_some())
        .count();
    assert!(concluded > 20, "{concluded}");
    // Migration 0009: first responses (interim replies and answers) from the JSON.
    let responded = records
        .iter()
        .filter(|r| r.state.first_response_at.is_some())
        .count();
    assert!(responded > 20, "{responded}");
    let nonempty = assert_cube_matches(
        &store,
        &tenant("old"),
        &records,
        &[
            "2024Q4",
            "2025Q1",
            "2025Q2",
            "2025Q3",
            "2025",
            "2025-02-15..2025-05-20",
        ],
    )
    .await;
    assert!(nonempty >= 6, "{nonempty}");
}

/// A full disk (here the size cap, which fails the same way): the commit that does not
/// fit fails with a clear `Unavailable` error and leaves nothing behind; every commit
/// acknowledged before is intact, the file passes SQLite's integrity check, and with room
/// again (reopened without the cap) writing goes on.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_refuses_the_commit_and_corrupts_nothing() {
    let dir = TempDir::new().unwrap();
    let store = store_in(dir.path(), SqliteOptions::default().max_size(512 * 1024)).await;
    let t = tenant("full");
    let mut acked = Vec::new();
    let mut refused = None;
    for seed in 1..5000u64 {
        let mut spec = Spec::new("full", seed);
        spec.due = None;
        let c = spec.commit();
        match store.commit(&c).await {
            Ok(()) => acked.push(c),
            Err(e) => {
                refused = Some((c, e));
                break;
            }
        }
    }
    let (lost, err) = refused.expect("the cap is reached");
    assert!(acked.len() > 10, "only {} fit", acked.len());
    match &err {
        StoreError::Unavailable {
            reason: UnavailableReason::Full,
            source: Some(_),
        } => assert!(err.to_string().contains("full"), "{err}"),
        other => panic!("expected Unavailable(Full), got {other:?}"),
    }
    // Nothing of the refused commit is there; everything acknowledged is.
    assert!(matches!(
        store.load(&t, lost.record.state.id).await,
        Err(StoreError::NotFound { .. })
    ));
    assert!(store
        .outbox(&t, Some(lost.record.state.id))
        .await
        .unwrap()
        .is_empty());
    for c in &acked {
        assert_eq!(store.load(&t, c.record.state.id).await.unwrap(), c.record);
        assert_eq!(store.events(&t, c.record.state.id).await.unwrap(), c.events);
    }
    let path = store.path().to_owned();
    drop(store);
    let conn = rusqlite::Connection::open(&path).unwrap();
    let check: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(check, "ok");
    drop(conn);
    let roomy = SqliteStore::open(&path, SqliteOptions::default())
        .await
        .unwrap();
    roomy.commit(&lost).await.unwrap();
    assert_eq!(
        roomy.load(&t, lost.record.state.id).await.unwrap(),
        lost.record
    );
}

/// Migration 0007 gives rows written before it their priority rank from their JSON
/// state: urgent requests stored by older builds come first too, page by page.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn priority_ranks_of_old_rows_are_backfilled() {
    use muhtar_core::request::Priority;
    use muhtar_core::testkit::conformance::assert_paged_listings;
    let dir = TempDir::new().unwrap();
    let db = dir.path().join("muhtar.db");
    apply_first_migration_by_hand(&db);
    let mut want = Vec::new();
    for seed in 1..=6u64 {
        let mut spec = Spec::new("rank", seed);
        if seed % 3 == 0 {
            spec.priority = Priority::Urgent;
        }
        let c = spec.commit();
        insert_v1(&db, &c);
        want.push(c.record);
    }
    let store = SqliteStore::open(&db, SqliteOptions::default())
        .await
        .unwrap();
    store.migrate().await.unwrap();
    for order in assert_paged_listings(&store, "rank", &want).await {
        let first = want.iter().find(|r| r.state.id == order[0]).unwrap();
        assert!(first.state.content.priority == Priority::Urgent);
    }
}

/// The listings stay ordered index searches with the priority rank in front (migration
/// 0007): a unit's queue reads the open-request index, within a rank and from one rank
/// on, and newest first reads its expression index; none sorts. The statements are those
/// `query_in` sends (and the queue's is the benchmark's).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn urgent_first_listings_are_index_searches_without_a_sort() {
    let dir = TempDir::new().unwrap();
    drop(store_in(dir.path(), SqliteOptions::default()).await);
    let conn = rusqlite::Connection::open(dir.path().join("muhtar.db")).unwrap();
    let due = "COALESCE(resolution_due, 9223372036854775807)";
    let open = "status IN ('received', 'routed', 'in-progress', 'paused')";
    for (sql, index) in [
        (
            format!(
                "SELECT state, deadlines, priority_rank, {due}, id FROM requests WHERE tenant = ? \
                 AND unit IN (?) AND {open} ORDER BY priority_rank ASC, {due} ASC, id ASC LIMIT ?"
            ),
            "requests_open_unit_rank_due",
        ),
        (
            format!(
                "SELECT state, deadlines, priority_rank, {due}, id FROM requests WHERE tenant = ? \
                 AND unit IN (?) AND {open} AND priority_rank = ? AND {due} >= ? \
                 AND ({due}, id) > (?, ?) ORDER BY {due} ASC, id ASC LIMIT ?"
            ),
            "requests_open_unit_rank_due",
        ),
        (
            format!(
                "SELECT state, deadlines, priority_rank, {due}, id FROM requests WHERE tenant = ? \
                 AND unit IN (?) AND {open} AND priority_rank >= ? \
                 ORDER BY priority_rank ASC, {due} ASC, id ASC LIMIT ?"
            ),
            "requests_open_unit_rank_due",
        ),
        (
            "SELECT state, deadlines, -priority_rank, received_at, id FROM requests \
             WHERE tenant = ? AND -priority_rank = ? AND received_at <= ? \
             AND (received_at, id) < (?, ?) ORDER BY received_at DESC, id DESC LIMIT ?"
                .to_owned(),
            "requests_rank_newest",
        ),
        (
            "SELECT state, deadlines, -priority_rank, received_at, id FROM requests \
             WHERE tenant = ? ORDER BY -priority_rank DESC, received_at DESC, id DESC LIMIT ?"
                .to_owned(),
            "requests_rank_newest",
        ),
    ] {
        let n = sql.matches('?').count();
        let mut st = conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).unwrap();
        let plan = st
            .query_map(rusqlite::params_from_iter((0..n).map(|_| 1i64)), |r| {
                r.get::<_, String>(3)
            })
            .unwrap()
            .collect::<Result<Vec<_>, _>>()
            .unwrap()
            .join("; ");
        assert!(
            plan.contains(&format!("USING INDEX {index} ")) && !plan.contains("TEMP B-TREE"),
            "{sql}: {plan}"
        );
    }
}

/// Migration 0010 moves the failure count that builds before it wrote as a
/// `[failures=N] ` prefix of `last_error` into the `failures` column, leaving the clean
/// message; other errors keep their text with no failure counted. The messages as stored
/// then (every notice kind, `muhtar-core/tests/fixtures/notices/`) read as typed payloads.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failure_prefixes_of_old_rows_move_into_the_failures_column() {
    let dir = TempDir::new().unwrap();
    let db = dir.path().join("muhtar.db");
    apply_first_migration_by_hand(&db);
    let errors = [
        (
            Some("[failures=3] SMTP 421 try later"),
            3,
            Some("SMTP 421 try later"),
        ),
        (
            Some("[failures=12] deferred for quiet hours; last error: 503"),
            12,
            Some("deferred for quiet hours; last error: 503"),
        ),
        (
            Some("[failures=0] not tried in this pass: timeout"),
            0,
            Some("not tried in this pass: timeout"),
        ),
        (Some("550 no such user"), 0, Some("550 no such user")),
        (Some("[failures=x] odd"), 0, Some("[failures=x] odd")),
        (None, 0, None),
    ];
    let mut ids = Vec::new();
    for (seed, (error, _, _)) in (1u64..).zip(&errors) {
        let c = Spec::new("fl", seed).commit();
        insert_v1(&db, &c);
        let id = c.outbox[0].id;
        rusqlite::Connection::open(&db)
            .unwrap()
            .execute(
                "UPDATE outbox SET last_error = ?2, attempts = 5 WHERE id = ?1",
                rusqlite::params![id.to_string(), error],
            )
            .unwrap();
        ids.push(id);
    }
    // The messages of every notice kind, as written before the payload was typed.
    let fixtures =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../muhtar-core/tests/fixtures/notices");
    let mut kinds = 0;
    {
        let conn = rusqlite::Connection::open(&db).unwrap();
        for f in std::fs::read_dir(&fixtures).unwrap() {
            let path = f.unwrap().path();
            if path.extension().is_none_or(|e| e != "json") {
                continue;
            }
            let json: serde_json::Value =
                serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
            conn.execute(
                "INSERT INTO outbox (id, tenant, request_id, idempotency_key, status, attempts, \
                 next_attempt_at, created_at, message, last_error) \
                 VALUES (?1, 'fx', NULL, ?2, 'pending', 1, ?3, ?3, ?4, '[failures=1] 421')",
                rusqlite::params![
                    json["id"].as_str().unwrap(),
                    json["idempotency_key"].as_str().unwrap(),
                    time_text(t0()),
                    json.to_string()
                        .replace("\"tenant\":\"t1\"", "\"tenant\":\"fx\"")
                        .replace("\"tenant\":\"t2\"", "\"tenant\":\"fx\""),
                ],
            )
            .unwrap();
            kinds += 1;
        }
    }
    assert!(kinds >= 20, "{kinds}");
    let store = SqliteStore::open(&db, SqliteOptions::default())
        .await
        .unwrap();
    store.migrate().await.unwrap();
    let stored = store.outbox(&tenant("fl"), None).await.unwrap();
    for (id, (before, failures, after)) in ids.iter().zip(&errors) {
        let e = stored.iter().find(|e| e.message.id == *id).unwrap();
        assert_eq!(
            (e.failures, e.last_error.as_deref(), e.attempts),
            (*failures, *after, 5),
            "{before:?}"
        );
    }
    let old = store.outbox(&tenant("fx"), None).await.unwrap();
    assert_eq!(old.len(), kinds);
    for e in &old {
        assert_eq!(e.message.payload.kind(), e.message.kind);
        assert_eq!((e.failures, e.last_error.as_deref()), (1, Some("421")));
    }
    // The count goes on from there.
    let id = ids[0];
    store.mark_retry(id, t0(), "SMTP 421 again").await.unwrap();
    let e = store.outbox(&tenant("fl"), None).await.unwrap();
    let e = e.iter().find(|e| e.message.id == id).unwrap();
    assert_eq!(
        (e.failures, e.last_error.as_deref()),
        (4, Some("SMTP 421 again"))
    );
}
