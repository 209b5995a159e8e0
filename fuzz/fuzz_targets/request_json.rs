//! A submitted request as JSON (what the REST API and `muhtar submit --file` read):
//! decoding and validation never panic; a valid request serialises.
#![no_main]
use libfuzzer_sys::fuzz_target;

#[path = "example_org.rs"]
mod example_org;
use example_org::org;
use muhtar_core::request::NewRequest;

fuzz_target!(|data: &[u8]| {
    let Ok(req) = serde_json::from_slice::<NewRequest>(data) else {
        return;
    };
    let now = chrono::DateTime::from_timestamp(1_767_225_600, 0).expect("valid instant");
    if let Ok(content) = req.validate(org(), now) {
        serde_json::to_string(&content).expect("valid content serialises");
    }
});
