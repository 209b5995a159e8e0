//! Fuzz target `rules_toml`: the routing rule-set parser and validator against the example
//! organisation, checked by [`muhtar_core::testkit::fuzz::rules_toml`] (CI replays
//! `fuzz/corpus/rules_toml/` through it).
#![no_main]
use libfuzzer_sys::fuzz_target;

#[path = "example_org.rs"]
mod example_org;
use example_org::org;
use muhtar_core::testkit::fuzz;

fuzz_target!(|data: &[u8]| fuzz::rules_toml(org(), data));
