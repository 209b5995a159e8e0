//! Integration tests of muhtar-store-postgres (skipped with a notice without DATABASE_URL).
//! One test binary for the crate: each file of this folder is a module (CI links one
//! binary per crate instead of one per file). Add a test file here as `mod name;`.

mod common;
mod concurrency;
mod conformance;
mod council;
mod documents;
mod map;
mod meetings;
mod migration;
mod proposals;
mod unavailable;
