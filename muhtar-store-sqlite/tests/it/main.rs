//! Integration tests of muhtar-store-sqlite.
//! One test binary for the crate: each file of this folder is a module (CI links one
//! binary per crate instead of one per file). Add a test file here as `mod name;`.

mod conformance;
mod council;
mod documents;
mod map;
mod meetings;
mod proposals;
mod sqlite_specific;
