//! The in-memory store runs the one conformance suite.
use muhtar_core::testkit::MemoryStore;

muhtar_core::store_conformance_tests!(async { MemoryStore::default() });
