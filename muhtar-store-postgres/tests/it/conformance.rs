//! The shared store conformance suite, against PostgreSQL (one fresh schema per test).
//! Skipped with a notice when `DATABASE_URL` is not set; see `common`.

use crate::common;

muhtar_core::store_conformance_tests!(skip_if: common::skip(), async {
    common::fresh_store().await
});
