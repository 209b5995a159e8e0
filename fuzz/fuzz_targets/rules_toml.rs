//! The routing rule-set parser and validator against the example organisation: any text
//! gives a rule set with its problems or a typed error, never a panic.
#![no_main]
use libfuzzer_sys::fuzz_target;

#[path = "example_org.rs"]
mod example_org;
use example_org::org;
use muhtar_core::routing::RuleSet;

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    let _ = RuleSet::from_toml_str(s, org());
});
