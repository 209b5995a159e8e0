//! Fuzz target `open311_form`: an Open311 GeoReport v2 `POST requests` form body, checked
//! by [`muhtar_core::testkit::fuzz::open311_form`] (CI replays `fuzz/corpus/open311_form/`
//! through it).
#![no_main]
use libfuzzer_sys::fuzz_target;

#[path = "example_org.rs"]
mod example_org;
use example_org::org;
use muhtar_core::testkit::fuzz;

fuzz_target!(|data: &[u8]| fuzz::open311_form(org(), data));
