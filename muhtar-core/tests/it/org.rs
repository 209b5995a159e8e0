//! Organisation validation.

use muhtar_core::org::{OrgError, OrgProblem, Organisation};
use muhtar_core::testkit::fixtures::organisation;

fn problems(toml: &str) -> Vec<OrgProblem> {
    match Organisation::from_toml_str(toml) {
        Err(OrgError::Invalid { problems }) => problems,
        other => panic!("expected invalid, got {other:?}"),
    }
}

const HEAD: &str = r#"
[tenant]
id = "t"
name = "T"
coordinator_unit = "a"
reporting_unit = "a"
"#;

#[test]
fn fixture_is_valid_and_phones_are_normalised() {
    let org = organisation("x");
    let fen = org.unit(&"fen-isleri".parse().unwrap()).unwrap();
    assert_eq!(fen.liaison[0].phone.as_deref(), Some("+902165550011"));
    assert!(org.is_within(&"asfalt".parse().unwrap(), &"belediye".parse().unwrap()));
    assert_eq!(org.subtree(&"fen-isleri".parse().unwrap()).len(), 2);
}

#[test]
fn unknown_parent_cycle_duplicate_email_phone() {
    let p = problems(&format!(
        r#"{HEAD}
[[unit]]
code = "a"
name = "A"
kind = "district-municipality"
parent = "c"
email = "not-an-email"
official = {{ title = "belediye-baskan-yardimcisi", name = "X", phone = "123" }}
[[unit]]
code = "c"
name = "C"
kind = "directorate"
parent = "a"
[[unit]]
code = "d"
name = "D"
kind = "directorate"
parent = "nowhere"
[[unit]]
code = "d"
name = "D again"
kind = "directorate"
"#
    ));
    assert!(p.iter().any(|x| matches!(x, OrgProblem::UnknownParent { unit, parent } if unit == "d" && parent == "nowhere")), "{p:?}");
    assert!(
        p.iter()
            .any(|x| matches!(x, OrgProblem::Cycle { units } if units.len() == 3)),
        "{p:?}"
    );
    assert!(
        p.iter()
            .any(|x| matches!(x, OrgProblem::DuplicateCode { what: "unit", code } if code == "d")),
        "{p:?}"
    );
    assert!(
        p.iter().any(
            |x| matches!(x, OrgProblem::InvalidEmail { value, .. } if value == "not-an-email")
        ),
        "{p:?}"
    );
    assert!(
        p.iter()
            .any(|x| matches!(x, OrgProblem::InvalidPhone { value, .. } if value == "123")),
        "{p:?}"
    );
}

#[test]
fn inactive_coordinator_is_refused() {
    let p = problems(&format!(
        r#"{HEAD}
[[unit]]
code = "a"
name = "A"
kind = "district-municipality"
active = false
official = {{ title = "belediye-baskan-yardimcisi", name = "X" }}
"#
    ));
    assert!(
        p.iter()
            .any(|x| matches!(x, OrgProblem::InactiveTarget { .. })),
        "{p:?}"
    );
}

#[test]
fn parse_errors_name_the_line() {
    let err = Organisation::from_toml_str(&format!(
        "{HEAD}\n[[unit]]\ncode = \"a\"\nname = \"A\"\nkind = \"castle\"\n"
    ))
    .unwrap_err();
    match err {
        OrgError::Parse { line, message } => {
            assert_eq!(line, 11, "{message}");
            assert!(
                message.contains("castle") || message.contains("variant"),
                "{message}"
            );
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        Organisation::from_toml_str("[tenant\n"),
        Err(OrgError::Parse { line: 1, .. })
    ));
}

#[test]
fn example_organisation_is_valid() {
    let org = crate::example_org();
    assert!(org.muhtarliklar.len() >= 20);
    use muhtar_core::org::UnitKind as K;
    for k in [
        K::MetropolitanMunicipality,
        K::Department,
        K::Directorate,
        K::MunicipalCompany,
        K::OutsideInstitution,
    ] {
        assert!(org.units.iter().any(|u| u.kind == k), "{k:?}");
    }
    assert!(
        org.units
            .iter()
            .filter(|u| u.kind == K::DistrictMunicipality)
            .count()
            >= 2
    );
}

/// Issue 17, defect 1 (and 5): text that ends up in an e-mail header (the tenant's
/// name is the From display name; unit, muhtarlık and category names appear in
/// subjects and feeds) may not hold control characters or U+FFFE/U+FFFF: each is a
/// typed problem naming the owner, the field and the line of the file.
#[test]
fn control_characters_in_names_are_refused_with_field_and_line() {
    let toml = r#"
[tenant]
id = "t"
name = "Örnek\r\nBcc: herkes@example.com"
coordinator_unit = "a"
reporting_unit = "a"

[[unit]]
code = "a"
name = "A"
kind = "district-municipality"
official = { title = "belediye-baskan-yardimcisi", name = "X\u0007" }

[[unit]]
code = "b"
kind = "directorate"
parent = "a"
name = """
Fen
İşleri"""

[[category]]
code = "c"
name = "Çukur\uFFFF"
"#;
    let p = problems(toml);
    let found = |owner: &str, field: &str| {
        p.iter().find_map(|x| match x {
            OrgProblem::ForbiddenCharacter {
                owner: o,
                field: f,
                line,
                ..
            } if o == owner && *f == field => Some(*line),
            _ => None,
        })
    };
    assert_eq!(found("tenant t", "name"), Some(4), "{p:?}");
    assert_eq!(found("unit a / official", "name"), Some(12), "{p:?}");
    assert_eq!(found("unit b", "name"), Some(18), "{p:?}");
    assert_eq!(found("category c", "name"), Some(24), "{p:?}");
    let message = OrgError::Invalid { problems: p }.to_string();
    assert!(
        message.contains("tenant t: name") && message.contains("line 4"),
        "{message}"
    );
    // Not echoed: the message names the character, not the text.
    assert!(!message.contains("Bcc"), "{message}");
    // A validated organisation built in code is checked the same way (line 0).
    let mut org = organisation("x");
    org.tenant.name = "Örnek\nBelediyesi".into();
    match Organisation::new(org) {
        Err(OrgError::Invalid { problems }) => assert!(
            problems.iter().any(|x| matches!(
                x,
                OrgProblem::ForbiddenCharacter {
                    field: "name",
                    line: 0,
                    ..
                }
            )),
            "{problems:?}"
        ),
        other => panic!("expected invalid, got {other:?}"),
    }
}
