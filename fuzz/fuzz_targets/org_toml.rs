//! The organisation file parser: any text gives an organisation or a typed error, never
//! a panic; an accepted organisation serialises.
#![no_main]
use libfuzzer_sys::fuzz_target;
use muhtar_core::org::Organisation;

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(org) = Organisation::from_toml_str(s) {
        serde_json::to_string(&org).expect("an organisation serialises");
    }
});
