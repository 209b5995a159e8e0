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
