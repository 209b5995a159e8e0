//! Fuzz target `documents`: the readers of registry numbers, verification codes, key files
//! and `[documents]` settings, checked by [`muhtar_core::testkit::fuzz::documents`] (CI
//! replays `fuzz/corpus/documents/` through it).
#![no_main]
use libfuzzer_sys::fuzz_target;

use muhtar_core::testkit::fuzz;

fuzz_target!(|data: &[u8]| fuzz::documents(data));
