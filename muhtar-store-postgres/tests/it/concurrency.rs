//! Many instances on one database: several pools (as several application instances would
//! have) claiming one outbox and committing to the same requests at once. Skipped with a
//! notice when `DATABASE_URL` is not set; see `common`.

use crate::common;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use chrono::Duration;
use muhtar_core::ids::TenantId;
use muhtar_core::outbox::OutboxStatus;
use muhtar_core::request::{EventKind, Party, RequestState};
use muhtar_core::store::{OutboxStore, RequestStore, StoreError};
use muhtar_core::testkit::fixtures::{next_commit, t0, tenant, Spec};
use muhtar_store_postgres::PgStore;
use uuid::Uuid;

const INSTANCES: usize = 4;

/// A migrated schema and `INSTANCES` stores on it, each with a pool of its own.
async fn instances() -> Vec<PgStore> {
    let schema = common::fresh_schema().await;
    let mut stores = Vec::new();
    for _ in 0..INSTANCES {
        stores.push(PgStore::from_pool(common::pool_in(&schema, 2).await));
    }
    stores[0].migrate().await.unwrap();
    stores
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_claimers_never_share_a_message() {
    if common::skip() {
        return;
    }
    let stores = instances().await;
    // 60 messages in each of two tenants, due one second apart.
    let mut messages = Vec::new();
    for t in ["claim-a", "claim-b"] {
        let base = Spec::new(t, 1).commit().outbox.remove(0);
        for i in 0..60u32 {
            let mut m = base.clone();
            m.id = Uuid::from_u128(u128::from(i) + if t == "claim-a" { 1 } else { 1000 });
            m.idempotency_key = format!("{t}-{i}");
            m.not_before = t0() + Duration::seconds(i64::from(i));
            messages.push(m);
        }
    }
    assert_eq!(stores[0].enqueue(&messages).await.unwrap(), 120);
    assert_eq!(stores[1].enqueue(&messages).await.unwrap(), 0);

    let now = t0() + Duration::hours(1);
    let lease = Duration::minutes(10);
    for round in 1..=2u32 {
        let at = now + Duration::minutes(11) * (round as i32 - 1);
        let mut tasks = Vec::new();
        for s in &stores {
            let s = s.clone();
            tasks.push(tokio::spawn(async move {
                let mut got = Vec::new();
                loop {
                    let batch = s.claim(at, 3, lease).await.unwrap();
                    if batch.is_empty() {
                        break;
                    }
                    // Oldest first within a batch.
                    assert!(batch.windows(2).all(|w| {
                        (w[0].next_attempt_at, w[0].message.id)
                            < (w[1].next_attempt_at, w[1].message.id)
                    }));
                    got.extend(batch.into_iter().map(|e| (e.message.id, e.attempts)));
                }
                got
            }));
        }
        let mut seen = BTreeSet::new();
        let mut per_instance = Vec::new();
        for t in tasks {
            let got = t.await.unwrap();
            per_instance.push(got.len());
            for (id, attempts) in got {
                assert!(
                    seen.insert(id),
                    "message {id} claimed twice in round {round}"
                );
                assert_eq!(attempts, round);
            }
        }
        assert_eq!(seen.len(), 120, "round {round}: {per_instance:?}");
        // While the leases run, nobody gets anything more.
        for s in &stores {
            assert!(s.claim(at, 100, lease).await.unwrap().is_empty());
        }
    }
    // Each tenant's outbox shows its own messages only.
    for t in ["claim-a", "claim-b"] {
        let all = stores[2].outbox(&tenant(t), None).await.unwrap();
        assert_eq!(all.len(), 60);
        assert!(all.iter().all(|e| e.message.tenant.as_str() == t
            && e.attempts == 2
            && e.status == OutboxStatus::Pending));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_commits_never_lose_an_update() {
    if common::skip() {
        return;
    }
    let stores = instances().await;
    // Two requests with the same id and tracking number in two tenants, and a third one.
    let specs = [
        Spec::new("hammer-a", 1),
        Spec::new("hammer-b", 1),
        Spec::new("hammer-a", 2),
    ];
    let mut targets: Vec<(TenantId, muhtar_core::ids::RequestId)> = Vec::new();
    let mut initial_outbox = Vec::new();
    for s in &specs {
        let c = s.commit();
        stores[0].commit(&c).await.unwrap();
        let (t, id) = (c.record.state.tenant.clone(), c.record.state.id);
        // Idempotency keys are global: the second tenant's copy of the fixture message
        // (same key) is skipped.
        initial_outbox.push(stores[0].outbox(&t, Some(id)).await.unwrap().len());
        targets.push((t, id));
    }
    assert_eq!(initial_outbox, vec![1, 0, 1]);
    assert_eq!(targets[0].1, targets[1].1, "same id in both tenants");
    let template = specs[0].commit().outbox.remove(0);
    let targets = Arc::new(targets);

    let mut tasks = Vec::new();
    for (w, s) in stores.iter().enumerate() {
        let s = s.clone();
        let targets = Arc::clone(&targets);
        let template = template.clone();
        tasks.push(tokio::spawn(async move {
            let mut ok = Vec::new();
            let mut conflicts = 0;
            for i in 0..30usize {
                let (t, id) = &targets[(i + w) % targets.len()];
                let rec = s.load(t, *id).await.unwrap();
                let text = format!("w{w}-{i}");
                let mut c = next_commit(
                    &rec,
                    EventKind::Message {
                        from: Party::Unit,
                        text: text.clone(),
                    },
                    t0() + Duration::minutes(i as i64),
                );
                let mut m = template.clone();
                m.id = Uuid::from_u128(((w as u128) << 32) | (i as u128 + 1) | (1 << 100));
                m.tenant = t.clone();
                m.request = Some(*id);
                m.idempotency_key = format!("{t}:{text}");
                c.outbox.push(m);
                match s.commit(&c).await {
                    Ok(()) => ok.push((t.clone(), *id, text)),
                    Err(StoreError::Conflict { expected, actual }) => {
                        assert_eq!(expected, rec.state.version);
                        assert!(actual > expected, "{expected} -> {actual}");
                        conflicts += 1;
                    }
                    Err(e) => panic!("unexpected error: {e:?}"),
                }
            }
            (ok, conflicts)
        }));
    }
    let mut done: BTreeMap<(String, Uuid), BTreeSet<String>> = BTreeMap::new();
    let mut conflicts = 0;
    for t in tasks {
        let (ok, c) = t.await.unwrap();
        conflicts += c;
        for (t, id, text) in ok {
            assert!(done
                .entry((t.to_string(), id.as_uuid()))
                .or_default()
                .insert(text));
        }
    }
    eprintln!("concurrent commits: {conflicts} conflicts");
    for ((t, id), initial) in targets.iter().zip(initial_outbox) {
        let texts = done
            .remove(&(t.to_string(), id.as_uuid()))
            .unwrap_or_default();
        let rec = stores[3].load(t, *id).await.unwrap();
        // Every successful append is there, and only those.
        assert_eq!(rec.state.version as usize, 2 + texts.len());
        let events = stores[2].events(t, *id).await.unwrap();
        assert_eq!(
            events.iter().map(|e| e.version).collect::<Vec<_>>(),
            (1..=rec.state.version).collect::<Vec<_>>()
        );
        let written: BTreeSet<String> = events
            .iter()
            .filter_map(|e| match &e.kind {
                EventKind::Message { text, .. } => Some(text.clone()),
                _ => None,
            })
            .collect();
        assert_eq!(written, texts);
        assert_eq!(RequestState::fold(&events).unwrap(), rec.state);
        // The outbox rows of failed commits were rolled back with them.
        let outbox = stores[1].outbox(t, Some(*id)).await.unwrap();
        assert_eq!(outbox.len(), initial + texts.len());
        assert!(outbox.iter().all(|e| &e.message.tenant == t));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_creation_of_one_request_is_one_success() {
    if common::skip() {
        return;
    }
    let stores = instances().await;
    let c = Spec::new("create", 7).commit();
    let mut tasks = Vec::new();
    for s in &stores {
        let s = s.clone();
        let c = c.clone();
        tasks.push(tokio::spawn(async move { s.commit(&c).await }));
    }
    let mut ok = 0;
    for t in tasks {
        match t.await.unwrap() {
            Ok(()) => ok += 1,
            Err(StoreError::Conflict {
                expected: 0,
                actual: 2,
            }) => {}
            Err(e) => panic!("unexpected error: {e:?}"),
        }
    }
    assert_eq!(ok, 1);
    let t = tenant("create");
    assert_eq!(
        stores[0].events(&t, c.record.state.id).await.unwrap().len(),
        2
    );
    assert_eq!(stores[0].outbox(&t, None).await.unwrap().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn migration_files_apply_as_plain_sql() {
    if common::skip() {
        return;
    }
    // What a DBA does with psql: run the file as it is, twice even; then the application's
    // migrate() only records it.
    let schema = common::fresh_schema().await;
    let pool = common::pool_in(&schema, 2).await;
    let sql = include_str!("../../migrations/0001_init.sql");
    sqlx::raw_sql(sql).execute(&pool).await.unwrap();
    sqlx::raw_sql(sql).execute(&pool).await.unwrap();
    let store = PgStore::from_pool(pool);
    store.migrate().await.unwrap();
    store.migrate().await.unwrap();
    let c = Spec::new("dba", 1).commit();
    store.commit(&c).await.unwrap();
    assert_eq!(
        store.load(&tenant("dba"), c.record.state.id).await.unwrap(),
        c.record
    );
}

/// Holds a transaction that inserts a `requests` row (`tenant`, `id`, `tracking`) while a
/// store commits a new request, so the commit meets the row at a unique index, not in its
/// version check; then commits it and returns the store's answer.
async fn race_at_unique_index(
    stores: &[PgStore],
    c: &muhtar_core::store::Commit,
    id: Uuid,
    tracking: String,
) -> Result<(), StoreError> {
    let st = &c.record.state;
    let mut tx = stores[0].pool().begin().await.unwrap();
    sqlx::query(
        "INSERT INTO requests (tenant, id, tracking, version, status, muhtarlik, category,
             channel, received_at, due_key, received_key, updated_at, state, deadlines)
         VALUES ($1, $2, $3, 2, 'routed', 'x', 'x', 'x', now(), 0, 0, now(), '{}', '{}')",
    )
    .bind(st.tenant.as_str())
    .bind(id)
    .bind(tracking)
    .execute(&mut *tx)
    .await
    .unwrap();
    let s = stores[1].clone();
    let c2 = c.clone();
    let task = tokio::spawn(async move { s.commit(&c2).await });
    // Wait until the commit waits on the row lock (or give up after 5 s: the answer must
    // be the same either way, only the path differs).
    for _ in 0..100 {
        let waiting: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM pg_stat_activity
             WHERE wait_event_type = 'Lock' AND query LIKE 'INSERT INTO requests%'",
        )
        .fetch_one(stores[2].pool())
        .await
        .unwrap();
        if waiting > 0 {
            eprintln!("the commit waits at the unique index");
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    tx.commit().await.unwrap();
    task.await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unique_violations_become_conflict_or_duplicate() {
    if common::skip() {
        return;
    }
    let stores = instances().await;
    // Same id: someone created the request first -> Conflict with the version read back.
    let c = Spec::new("race", 1).commit();
    let id = c.record.state.id.as_uuid();
    let err = race_at_unique_index(&stores, &c, id, "AAA-AAA-AAA".into())
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            StoreError::Conflict {
                expected: 0,
                actual: 2
            }
        ),
        "{err:?}"
    );
    // Same tracking number, other id -> Duplicate; nothing of the commit is written.
    let c = Spec::new("race", 2).commit();
    let err = race_at_unique_index(
        &stores,
        &c,
        Uuid::from_u128(7),
        c.record.state.tracking.to_string(),
    )
    .await
    .unwrap_err();
    assert!(matches!(err, StoreError::Duplicate { .. }), "{err:?}");
    let t = tenant("race");
    assert!(matches!(
        stores[3].events(&t, c.record.state.id).await.unwrap_err(),
        StoreError::NotFound { .. }
    ));
    assert!(stores[3]
        .outbox(&t, Some(c.record.state.id))
        .await
        .unwrap()
        .is_empty());
}
