//! The checks of the fuzz targets, one function per cargo-fuzz target of `fuzz/`: each
//! takes any input and panics only when the code under test misbehaves. libFuzzer runs
//! them with new inputs (`bash .ci/fuzz.sh 600`); the test suite replays every seed of
//! `fuzz/corpus/<target>/` through them (muhtar-core's `fuzz_corpus` test), so CI needs
//! neither cargo-fuzz nor a nightly toolchain.

use crate::access::{Actor, Role};
use crate::map::Boundaries;
use crate::open311::{decode_request, parse_params, ECHO_MAX};
use crate::org::Organisation;
use crate::report::{Quarter, ReportPeriod};
use crate::request::{Channel, NewRequest};
use crate::routing::RuleSet;
use crate::tracking::TrackingNumber;

/// A fuzz target's check: the organisation the input is read against (the example
/// organisation, `examples/data/org.toml`) and the input.
pub type Check = fn(&Organisation, &[u8]);

/// Every fuzz target by name (its file `fuzz/fuzz_targets/<name>.rs`, its corpus
/// `fuzz/corpus/<name>/`) and its check.
pub const TARGETS: [(&str, Check); 8] = [
    ("tracking", |_, data| tracking(data)),
    ("org_toml", |_, data| org_toml(data)),
    ("rules_toml", rules_toml),
    ("request_json", request_json),
    ("quarter", |_, data| quarter(data)),
    ("open311_form", open311_form),
    ("boundaries_geojson", boundaries_geojson),
    ("documents", |_, data| documents(data)),
];

/// The readers of official documents' texts (issue 23): a registry number, a verification
/// code, a key file and the `[documents]` settings. Never a panic; an accepted number or
/// code prints and reads back as itself; accepted settings write and read back the same.
pub fn documents(data: &[u8]) {
    use crate::document::{DocumentKey, RegistryNumber, VerificationCode};
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(n) = RegistryNumber::parse(s) {
        let printed = n.to_string();
        assert_eq!(
            RegistryNumber::parse(&printed).expect("a printed number parses"),
            n
        );
        assert!(n.sequence > 0, "{printed}");
    }
    if let Ok(c) = VerificationCode::parse(s) {
        assert_eq!(
            VerificationCode::parse(&c.to_string()).expect("a printed code parses"),
            c
        );
        assert_eq!(c.as_str().len(), crate::document::CODE_LEN);
    }
    if let Ok(k) = DocumentKey::from_file_text(s) {
        let back = DocumentKey::from_file_text(&k.to_file_text()).expect("a written key reads");
        assert_eq!(back.public_key_hex(), k.public_key_hex());
    }
    if let Ok(settings) = crate::settings::TenantSettings::from_toml_str(s) {
        let written = toml::to_string(&settings).expect("accepted settings serialise");
        let back = crate::settings::TenantSettings::from_toml_str(&written)
            .expect("written settings read back");
        assert_eq!(back.documents, settings.documents);
    }
}

/// The instant requests are validated at.
fn now() -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::from_timestamp(1_767_225_600, 0).expect("valid instant")
}

/// The tracking-number parser: never panics; what it accepts prints and parses back to
/// the same number, and a single changed character is never accepted as the same number.
pub fn tracking(data: &[u8]) {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(t) = s.parse::<TrackingNumber>() {
        let printed = t.to_string();
        let back: TrackingNumber = printed.parse().expect("a printed number parses");
        assert_eq!(back, t);
    }
}

/// The organisation file parser: any text gives an organisation or a typed error, never
/// a panic; an accepted organisation serialises.
pub fn org_toml(data: &[u8]) {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(org) = Organisation::from_toml_str(s) {
        serde_json::to_string(&org).expect("an organisation serialises");
    }
}

/// The routing rule-set parser and validator against `org`: any text gives a rule set
/// with its problems or a typed error, never a panic.
pub fn rules_toml(org: &Organisation, data: &[u8]) {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    let _ = RuleSet::from_toml_str(s, org);
}

/// A submitted request as JSON (what the REST API and `muhtar submit --file` read):
/// decoding and validation never panic; a valid request serialises.
pub fn request_json(org: &Organisation, data: &[u8]) {
    let Ok(req) = serde_json::from_slice::<NewRequest>(data) else {
        return;
    };
    if let Ok(content) = req.validate(org, now()) {
        serde_json::to_string(&content).expect("valid content serialises");
    }
}

/// The quarter parser (`2026Q1`) and the period parser (`2026`, `2026Q2`,
/// `2026-01-01..2026-06-30`): never panic; what they accept prints back and has a start
/// before its end.
pub fn quarter(data: &[u8]) {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(q) = s.parse::<Quarter>() {
        assert_eq!(q.to_string().parse::<Quarter>().ok(), Some(q));
        assert!(q.start() < q.end());
    }
    if let Ok(p) = s.parse::<ReportPeriod>() {
        assert_eq!(p.to_string().parse::<ReportPeriod>().ok(), Some(p));
        assert!(p.start() < p.end());
    }
}

/// A boundaries file (GeoJSON) against `org`'s muhtarlıklar: any text gives boundaries
/// with their warnings or every problem, never a panic; every problem names a feature of
/// the file (or the file) and a line in it; accepted boundaries are written and read back
/// as the same shapes.
pub fn boundaries_geojson(org: &Organisation, data: &[u8]) {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    let known = |c: &crate::ids::MuhtarlikCode| org.muhtarlik(c).is_some();
    let lines = s.split('\n').count();
    let check = |problems: &[crate::map::BoundaryProblem]| {
        for p in problems {
            assert!(p.line <= lines, "line {} of {lines}: {p}", p.line);
            let _ = p.describe();
        }
    };
    match Boundaries::from_geojson_str(s, known) {
        Err(e) => {
            assert!(e.problems.iter().any(|p| p.is_error()));
            check(&e.problems);
        }
        Ok((b, warnings)) => {
            check(&warnings);
            let text = b.to_geojson_string(|_| None);
            let (back, _) = Boundaries::from_geojson_str(&text, known)
                .unwrap_or_else(|e| panic!("written boundaries read back: {e}\n{text}"));
            assert_eq!(back, b, "written and read back");
        }
    }
}

/// The submitting actors of [`open311_form`]: the first byte of the input picks one.
const ACTORS: [&str; 4] = [
    "muhtar:kuzguncuk",
    "coordinator",
    "unit:yol-bakim-db",
    "official",
];

/// An Open311 GeoReport v2 `POST requests` form body (what `muhtar serve` decodes), the
/// first byte picking the submitting actor: decoding never panics; an error names its
/// parameter (a name or value that is not UTF-8 included) and repeats little of the
/// input; a decoded request is an `open311` request of the muhtar's own muhtarlık (for a
/// muhtar's key), and its validation never panics either.
pub fn open311_form(org: &Organisation, data: &[u8]) {
    let Some((&pick, form)) = data.split_first() else {
        return;
    };
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
                assert_eq!(
                    &req.muhtarlik, m,
                    "a muhtar submits for their own muhtarlık"
                );
            }
            assert!(org.category(&req.category).is_some());
            let params = parse_params(form).expect("a decoded request's form parses");
            let address_id = params
                .get("address_id")
                .is_some_and(|v| !v.trim().is_empty());
            assert!(req.location.is_some() || req.address.is_some() || address_id);
            if let Ok(content) = req.validate(org, now()) {
                serde_json::to_string(&content).expect("valid content serialises");
            }
        }
    }
}
