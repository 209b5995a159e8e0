//! An Open311 GeoReport v2 `POST requests` form body (what `muhtar serve` decodes):
//! decoding never panics; an error names its parameter (a name or value that is not
//! UTF-8 included) and repeats little of the input;
//! a decoded request is an `open311` request of the muhtar's own muhtarlık (for a
//! muhtar's key), and its validation never panics either.
#![no_main]
use libfuzzer_sys::fuzz_target;

#[path = "example_org.rs"]
mod example_org;
use example_org::org;
use muhtar_core::access::{Actor, Role};
use muhtar_core::open311::{decode_request, parse_params, ECHO_MAX};
use muhtar_core::request::Channel;

/// The submitting actors: the first byte of the input picks one.
const ACTORS: [&str; 4] = ["muhtar:kuzguncuk", "coordinator", "unit:yol-bakim-db", "official"];

fuzz_target!(|data: &[u8]| {
    let Some((&pick, form)) = data.split_first() else {
        return;
    };
    let org = org();
    let actor = Actor::parse(&org.tenant.id, ACTORS[usize::from(pick) % ACTORS.len()])
        .expect("a valid actor");
    match decode_request(org, &actor, form) {
        Err(e) => {
            assert!(!e.field().is_empty());
            // The message echoes at most ECHO_MAX characters of a value (plus quotes,
            // escapes and the parameter's name).
            assert!(
                e.to_string().chars().count() <= 8 * ECHO_MAX + 80,
                "error repeats too much of the input: {e}"
            );
        }
        Ok(req) => {
            assert_eq!(req.channel, Channel::Open311);
            if let Role::Muhtar(m) = &actor.role {
                assert_eq!(&req.muhtarlik, m, "a muhtar submits for their own muhtarlık");
            }
            assert!(org.category(&req.category).is_some());
            let params = parse_params(form).expect("a decoded request's form parses");
            let address_id = params
                .get("address_id")
                .is_some_and(|v| !v.trim().is_empty());
            assert!(req.location.is_some() || req.address.is_some() || address_id);
            let now = chrono::DateTime::from_timestamp(1_767_225_600, 0).expect("valid instant");
            if let Ok(content) = req.validate(org, now) {
                serde_json::to_string(&content).expect("valid content serialises");
            }
        }
    }
});
