//! The core store conformance suite, run against a fresh, migrated file database.

use muhtar_store_sqlite::{SqliteOptions, SqliteStore};

/// A new database file in its own temporary directory, migrated; the directory lives as
/// long as the store.
async fn fresh_store() -> SqliteStore {
    let dir = tempfile::tempdir().expect("temporary directory");
    let store = SqliteStore::open(dir.path().join("muhtar.db"), SqliteOptions::default())
        .await
        .expect("open")
        .keep_alive(dir);
    store.migrate().await.expect("migrate");
    store
}

muhtar_core::store_conformance_tests!(async { fresh_store().await });
