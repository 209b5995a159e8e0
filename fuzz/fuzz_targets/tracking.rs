//! Fuzz target `tracking`: the tracking-number parser, checked by
//! [`muhtar_core::testkit::fuzz::tracking`] (CI replays `fuzz/corpus/tracking/` through
//! it).
#![no_main]
use libfuzzer_sys::fuzz_target;
use muhtar_core::testkit::fuzz;

fuzz_target!(|data: &[u8]| fuzz::tracking(data));
