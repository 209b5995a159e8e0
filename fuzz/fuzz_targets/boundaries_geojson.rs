//! Fuzz target `boundaries_geojson`: the boundaries file reader (GeoJSON) against the
//! example organisation, checked by [`muhtar_core::testkit::fuzz::boundaries_geojson`]
//! (CI replays `fuzz/corpus/boundaries_geojson/` through it).
#![no_main]
use libfuzzer_sys::fuzz_target;

#[path = "example_org.rs"]
mod example_org;
use example_org::org;
use muhtar_core::testkit::fuzz;

fuzz_target!(|data: &[u8]| fuzz::boundaries_geojson(org(), data));
