//! What only SQLite proves of official documents: its triggers refuse any UPDATE or
//! DELETE of a stored document (the conformance suite checks the numbering).

use chrono::Duration;
use muhtar_core::document::Direction;
use muhtar_core::store::{DocumentStore, RequestStore};
use muhtar_core::testkit::fixtures::{document, document_commit, t0, tenant, Spec};
use muhtar_store_sqlite::SqliteOptions;
use rusqlite::ErrorCode;

use crate::sqlite_specific::store_in;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn documents_are_never_updated_or_deleted() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_in(dir.path(), SqliteOptions::default()).await;
    let c = Spec::new("frozen", 1).commit();
    store.commit(&c).await.unwrap();
    let doc = document(
        &c.record.state,
        Direction::Incoming,
        "fen-isleri",
        1,
        t0() + Duration::hours(1),
        1,
    );
    store
        .commit(&document_commit(&c.record, doc.clone()))
        .await
        .unwrap();

    // A DBA's (or an intruder's) statements on the file itself.
    let conn = rusqlite::Connection::open(dir.path().join("muhtar.db")).unwrap();
    for sql in [
        "UPDATE official_documents SET number = 'E-44556677-010-2'",
        "UPDATE official_documents SET document = replace(document, 'Okul', 'Ev')",
        "DELETE FROM official_documents",
    ] {
        let err = conn.execute(sql, []).unwrap_err();
        let rusqlite::Error::SqliteFailure(f, _) = &err else {
            panic!("{sql}: {err:?}");
        };
        assert_eq!(f.code, ErrorCode::ConstraintViolation, "{sql}: {err}");
        assert_eq!(
            f.extended_code,
            rusqlite::ffi::SQLITE_CONSTRAINT_TRIGGER,
            "{sql}: {err}"
        );
    }
    let t = tenant("frozen");
    assert_eq!(store.official_document(&t, doc.id).await.unwrap(), doc);
    assert_eq!(
        store
            .last_sequence(&t, &doc.registry, doc.year)
            .await
            .unwrap(),
        1
    );
}
