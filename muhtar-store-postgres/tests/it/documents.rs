//! What only PostgreSQL proves of official documents: under READ COMMITTED a second
//! writer of a number waits at the unique key and is told the number is taken (by the
//! constraint's name), or gets it if the first rolls back; triggers refuse any UPDATE or
//! DELETE; the migration applies by hand. Skipped without `DATABASE_URL`; see `common`.

use crate::common;

use chrono::Duration;
use muhtar_core::document::{Direction, Document};
use muhtar_core::store::{Commit, DocumentStore, RequestStore, StoreError, SEQUENCE_TAKEN};
use muhtar_core::testkit::fixtures::{document, document_commit, t0, tenant, Spec};
use muhtar_store_postgres::PgStore;

/// Two stores (pools) on one fresh schema.
async fn two_stores() -> (PgStore, PgStore) {
    let schema = common::fresh_schema().await;
    let a = PgStore::from_pool(common::pool_in(&schema, 3).await);
    a.migrate().await.unwrap();
    let b = PgStore::from_pool(common::pool_in(&schema, 2).await);
    (a, b)
}

/// A request of tenant "race" created, and the commit registering it as number `seq`.
async fn registration(s: &PgStore, seed: u64, seq: u32) -> Commit {
    let c = Spec::new("race", seed).commit();
    s.commit(&c).await.unwrap();
    let doc = document(
        &c.record.state,
        Direction::Incoming,
        "fen-isleri",
        seq,
        t0() + Duration::hours(1),
        seed,
    );
    document_commit(&c.record, doc)
}

/// Inserts `doc` in a transaction left open, as a concurrent commit would have it.
async fn hold(s: &PgStore, doc: &Document) -> sqlx::Transaction<'static, sqlx::Postgres> {
    let mut tx = s.pool().begin().await.unwrap();
    sqlx::query(
        "INSERT INTO official_documents (id, tenant, direction, registry, year, sequence,
             number, date, code, request_id, tracking, document)
         VALUES ($1, $2, 'incoming', $3, $4, $5, $6, $7, $8, $9, $10, '{}')",
    )
    .bind(doc.id.0)
    .bind(doc.tenant.as_str())
    .bind(doc.registry.as_str())
    .bind(doc.year)
    .bind(doc.number.sequence as i32)
    .bind(doc.number.to_string())
    .bind(doc.date)
    .bind(doc.code.as_str())
    .bind(doc.request.as_uuid())
    .bind(doc.tracking.to_string())
    .execute(&mut *tx)
    .await
    .unwrap();
    tx
}

/// Waits until a commit is blocked inserting a document (on the unique key).
async fn wait_for_blocked_insert(s: &PgStore) {
    for _ in 0..200 {
        let waiting: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM pg_stat_activity
             WHERE wait_event_type = 'Lock' AND query LIKE 'INSERT INTO official_documents%'",
        )
        .fetch_one(s.pool())
        .await
        .unwrap();
        if waiting > 0 {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    panic!("the commit never waited at the unique key");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_writer_of_a_number_waits_then_finds_it_taken() {
    if common::skip() {
        return;
    }
    let (a, b) = two_stores().await;
    let t = tenant("race");
    let first = registration(&a, 1, 1).await;
    let second = registration(&a, 2, 1).await;

    // The first writer's number is uncommitted: the second reads 0 as the last, inserts
    // 1, waits; the first commits; the second is told the number is taken, writes nothing.
    let tx = hold(&a, &first.documents[0]).await;
    let task = {
        let (b, c) = (b.clone(), second.clone());
        tokio::spawn(async move { b.commit(&c).await })
    };
    wait_for_blocked_insert(&a).await;
    tx.commit().await.unwrap();
    let err = task.await.unwrap().unwrap_err();
    assert!(
        matches!(&err, StoreError::Duplicate { what } if what == SEQUENCE_TAKEN),
        "{err:?}"
    );
    let id = second.record.state.id;
    assert_eq!(a.events(&t, id).await.unwrap().len(), 2);
    assert!(a.documents_of_request(&t, id).await.unwrap().is_empty());
    let doc = &second.documents[0];
    assert_eq!(
        a.last_sequence(&t, &doc.registry, doc.year).await.unwrap(),
        1
    );

    // If the first writer rolls back instead, the waiting one gets the number: no gap.
    let third = registration(&a, 3, 2).await;
    let mut blocker = third.documents[0].clone();
    blocker.id = muhtar_core::document::DocumentId(uuid::Uuid::from_u128(9));
    blocker.code = muhtar_core::document::VerificationCode::parse("2222-3333-4444").unwrap();
    let tx = hold(&a, &blocker).await;
    let task = {
        let (b, c) = (b.clone(), third.clone());
        tokio::spawn(async move { b.commit(&c).await })
    };
    wait_for_blocked_insert(&a).await;
    tx.rollback().await.unwrap();
    task.await.unwrap().unwrap();
    assert_eq!(
        a.documents_of_request(&t, third.record.state.id)
            .await
            .unwrap(),
        third.documents
    );
    assert_eq!(
        a.last_sequence(&t, &doc.registry, doc.year).await.unwrap(),
        2
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn documents_are_never_updated_or_deleted() {
    if common::skip() {
        return;
    }
    let (a, _) = two_stores().await;
    let c = registration(&a, 1, 1).await;
    a.commit(&c).await.unwrap();
    let doc = &c.documents[0];
    for sql in [
        "UPDATE official_documents SET number = 'E-44556677-010-2'",
        "UPDATE official_documents SET document = replace(document, 'Okul', 'Ev')",
        "DELETE FROM official_documents",
    ] {
        let err = sqlx::query(sql).execute(a.pool()).await.unwrap_err();
        // raise_exception, from the trigger.
        let code = err.as_database_error().and_then(|d| d.code());
        assert_eq!(code.as_deref(), Some("P0001"), "{sql}: {err}");
    }
    assert_eq!(
        a.official_document(&tenant("race"), doc.id).await.unwrap(),
        *doc
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_documents_migration_applies_by_hand_twice() {
    if common::skip() {
        return;
    }
    let schema = common::fresh_schema().await;
    let pool = common::pool_in(&schema, 2).await;
    let store = PgStore::from_pool(pool.clone());
    store.migrate().await.unwrap();
    let sql = include_str!("../../migrations/0014_documents.sql");
    sqlx::raw_sql(sql).execute(&pool).await.unwrap();
    sqlx::raw_sql(sql).execute(&pool).await.unwrap();
    let c = registration(&store, 1, 1).await;
    store.commit(&c).await.unwrap();
    let err = sqlx::query("DELETE FROM official_documents")
        .execute(&pool)
        .await
        .unwrap_err();
    assert!(err.as_database_error().is_some(), "{err}");
}
