//! Fuzz target `quarter`: the quarter and period parsers, checked by
//! [`muhtar_core::testkit::fuzz::quarter`] (CI replays `fuzz/corpus/quarter/` through it).
#![no_main]
use libfuzzer_sys::fuzz_target;
use muhtar_core::testkit::fuzz;

fuzz_target!(|data: &[u8]| fuzz::quarter(data));
