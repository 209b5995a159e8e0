//! Fuzz target `request_json`: a submitted request as JSON, checked by
//! [`muhtar_core::testkit::fuzz::request_json`] (CI replays `fuzz/corpus/request_json/`
//! through it).
#![no_main]
use libfuzzer_sys::fuzz_target;

#[path = "example_org.rs"]
mod example_org;
use example_org::org;
use muhtar_core::testkit::fuzz;

fuzz_target!(|data: &[u8]| fuzz::request_json(org(), data));
