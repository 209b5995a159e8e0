//! A submitted request as JSON (what the REST API and `muhtar submit --file` read):
//! decoding and validation never panic; a valid request serialises.
#![no_main]
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use muhtar_core::org::Organisation;
use muhtar_core::request::NewRequest;

fn org() -> &'static Organisation {
    static ORG: OnceLock<Organisation> = OnceLock::new();
    ORG.get_or_init(|| {
        Organisation::from_toml_str(include_str!("../../examples/data/org.toml"))
            .expect("the example organisation is valid")
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(req) = serde_json::from_slice::<NewRequest>(data) else {
        return;
    };
    let now = chrono::DateTime::from_timestamp(1_767_225_600, 0).expect("valid instant");
    if let Ok(content) = req.validate(org(), now) {
        serde_json::to_string(&content).expect("valid content serialises");
    }
});
