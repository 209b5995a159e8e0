//! The in-memory store runs the one conformance suite.
use muhtar_core::testkit::MemoryStore;

muhtar_core::store_conformance_tests!(async { MemoryStore::default() });

/// A store chosen at run time (`Arc<dyn Store>`) passes the same suite.
mod dynamic {
    use std::sync::Arc;

    use muhtar_core::store::Store;
    use muhtar_core::testkit::MemoryStore;

    muhtar_core::store_conformance_tests!(async {
        Arc::new(MemoryStore::default()) as Arc<dyn Store>
    });
}

/// A malformed commit (events out of sequence, or a state that does not match them) is
/// refused by the shared check every store calls, and nothing is written.
#[tokio::test]
async fn malformed_commits_are_invalid() {
    use muhtar_core::store::{RequestStore, StoreError};
    use muhtar_core::testkit::fixtures::{tenant, Spec};
    let store = MemoryStore::default();
    let mut c = Spec::new("shape", 1).commit();
    c.events[1].version = 3;
    assert!(matches!(c.check_shape(), Err(StoreError::Invalid { .. })));
    assert!(matches!(
        store.commit(&c).await,
        Err(StoreError::Invalid { .. })
    ));
    let mut c = Spec::new("shape", 1).commit();
    c.record.state.version = 5;
    assert!(matches!(
        store.commit(&c).await,
        Err(StoreError::Invalid { .. })
    ));
    let c = Spec::new("shape", 1).commit();
    assert!(c.check_shape().is_ok());
    assert!(
        store
            .load(&tenant("shape"), c.record.state.id)
            .await
            .is_err(),
        "nothing was written"
    );
}
