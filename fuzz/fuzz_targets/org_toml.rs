//! Fuzz target `org_toml`: the organisation file parser, checked by
//! [`muhtar_core::testkit::fuzz::org_toml`] (CI replays `fuzz/corpus/org_toml/` through
//! it).
#![no_main]
use libfuzzer_sys::fuzz_target;
use muhtar_core::testkit::fuzz;

fuzz_target!(|data: &[u8]| fuzz::org_toml(data));
