//! The routing rule-set parser and validator against the example organisation: never
//! panics; an accepted rule set decides every request without panicking.
#![no_main]
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use muhtar_core::org::Organisation;
use muhtar_core::routing::RuleSet;

fn org() -> &'static Organisation {
    static ORG: OnceLock<Organisation> = OnceLock::new();
    ORG.get_or_init(|| {
        Organisation::from_toml_str(include_str!("../../examples/data/org.toml"))
            .expect("the example organisation is valid")
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    let _ = RuleSet::from_toml_str(s, org());
});
