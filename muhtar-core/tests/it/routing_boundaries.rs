//! Routing and policy rules on "inside muhtarlık X" (`inside_muhtarlik`): the request's
//! location inside one of the listed boundaries, validated with lines (unknown code, a
//! muhtarlık without a boundary) and explained in Turkish like the other conditions.

use muhtar_core::ids::{MuhtarlikCode, UnitCode};
use muhtar_core::org::Organisation;
use muhtar_core::request::{Location, RequestContent};
use muhtar_core::routing::{
    AttemptOutcome, Condition, ProblemKind, RoutingError, RuleSet, FALLBACK_RULE,
};
use muhtar_core::settings::TenantSettings;
use muhtar_core::testkit::fixtures;

const RULES: &str = r#"version = "t"
fallback = "muhtarliklar-db"

[[rule]]
name = "beylerbeyi-yerinde"
inside_muhtarlik = ["beylerbeyi", "cengelkoy"]
target = "asfalt-mud"
"#;

fn request(org: &Organisation, muhtarlik: &str, at: Option<&str>) -> RequestContent {
    let mut c = fixtures::new_request(muhtarlik)
        .validate(org, fixtures::t0())
        .unwrap();
    c.location = at.map(|m| {
        let centre = org
            .muhtarlik(&MuhtarlikCode::new(m).unwrap())
            .unwrap()
            .centre
            .unwrap();
        Location {
            lat: centre.lat,
            lon: centre.lon,
        }
    });
    c
}

#[test]
fn a_rule_takes_the_requests_located_inside_the_listed_boundaries() {
    let org = crate::example_org();
    let (rules, warnings) = RuleSet::from_toml_str(RULES, &org).unwrap();
    assert!(warnings.is_empty(), "{warnings:?}");
    // Sent by Kuzguncuk's muhtar, located in Beylerbeyi: the boundary decides.
    let d = rules.decide(&org, &request(&org, "kuzguncuk", Some("beylerbeyi")));
    assert_eq!(d.rule, "beylerbeyi-yerinde");
    assert_eq!(d.unit.as_str(), "asfalt-mud");
    let held = &d.explanation.applied.held;
    assert_eq!(held[0].condition, Condition::InsideMuhtarlik);
    assert!(held[0].detail.contains("beylerbeyi"), "{}", held[0].detail);
    assert!(
        d.explanation
            .describe(|u| u.to_owned())
            .last()
            .unwrap()
            .contains("(muhtarlık sınırı koşulu tuttu)"),
        "{:?}",
        d.explanation.describe(|u| u.to_owned())
    );
    // Sent by Beylerbeyi's muhtar, located in Kuzguncuk, or without a location: not taken.
    for (m, at) in [("beylerbeyi", Some("kuzguncuk")), ("beylerbeyi", None)] {
        let d = rules.decide(&org, &request(&org, m, at));
        assert_eq!(d.rule, FALLBACK_RULE);
        let AttemptOutcome::NoMatch { failed } = &d.explanation.tried[0].outcome else {
            panic!()
        };
        assert_eq!(failed.condition, Condition::InsideMuhtarlik);
        assert_eq!(
            d.explanation.describe(|u| u.to_owned())[0],
            "“beylerbeyi-yerinde” kuralı (satır 4) uymadı: muhtarlık sınırı koşulu tutmadı"
        );
    }
    // The indexed decision agrees with the naive one.
    let r = request(&org, "cengelkoy", Some("cengelkoy"));
    assert_eq!(
        rules.decide(&org, &r).unit,
        rules.decide_naive(&org, &r).unit
    );
}

#[test]
fn unknown_muhtarliks_and_missing_boundaries_are_errors_at_the_rules_line() {
    let mut org = crate::example_org();
    org.boundaries
        .0
        .remove(&MuhtarlikCode::new("cengelkoy").unwrap());
    let text = RULES.replace("\"cengelkoy\"", "\"cengelkoy\", \"yok\"");
    let Err(RoutingError::Invalid { problems }) = RuleSet::from_toml_str(&text, &org) else {
        panic!()
    };
    let got: Vec<(usize, &ProblemKind)> = problems.iter().map(|p| (p.line, &p.kind)).collect();
    assert_eq!(
        got,
        [
            (
                4,
                &ProblemKind::NoBoundary {
                    code: "cengelkoy".into()
                }
            ),
            (4, &ProblemKind::UnknownMuhtarlik { code: "yok".into() }),
        ]
    );
    // Written as an empty list: "any" is said by leaving it out.
    let empty = RULES.replace(
        "inside_muhtarlik = [\"beylerbeyi\", \"cengelkoy\"]",
        "inside_muhtarlik = []\ncategory = \"budama\"",
    );
    let Err(RoutingError::Invalid { problems }) = RuleSet::from_toml_str(&empty, &org) else {
        panic!()
    };
    assert!(problems.iter().any(|p| p.kind
        == ProblemKind::EmptyList {
            condition: "inside_muhtarlik".into()
        }));
}

#[test]
fn a_narrower_inside_rule_after_a_broader_one_is_shadowed() {
    let org = crate::example_org();
    let text = format!(
        "{RULES}\n[[rule]]\nname = \"sadece-beylerbeyi\"\ninside_muhtarlik = \"beylerbeyi\"\ntarget = \"kar-mud\"\n"
    );
    let (_, warnings) = RuleSet::from_toml_str(&text, &org).unwrap();
    assert!(
        matches!(&warnings[..], [p] if matches!(&p.kind, ProblemKind::Shadowed { by, .. } if by == "beylerbeyi-yerinde")),
        "{warnings:?}"
    );
    // The other way round, the narrower rule comes first and nothing is shadowed.
    let text = "version = \"t\"\n\n[[rule]]\nname = \"sadece-beylerbeyi\"\ninside_muhtarlik = \"beylerbeyi\"\ntarget = \"kar-mud\"\n\n"
        .to_owned()
        + &RULES.replace("version = \"t\"\nfallback = \"muhtarliklar-db\"\n", "");
    let (_, warnings) = RuleSet::from_toml_str(&text, &org).unwrap();
    assert!(warnings.is_empty(), "{warnings:?}");
}

#[test]
fn policy_rules_share_the_condition() {
    let org = crate::example_org();
    let settings = TenantSettings::from_toml_str(
        "[[policy_rule]]\nname = \"beykoz-koyleri\"\ninside_muhtarlik = [\"riva\", \"polonezkoy\"]\npolicy = \"belediye-15-is-gunu\"\n",
    )
    .unwrap();
    let (rules, warnings) = settings.policy_rules(&org).unwrap();
    assert!(warnings.is_empty(), "{warnings:?}");
    let unit = UnitCode::new("asfalt-mud").unwrap();
    let inside = rules.choose(&request(&org, "kuzguncuk", Some("riva")), &unit);
    assert_eq!(
        (inside.policy.as_str(), inside.rule.as_str()),
        ("belediye-15-is-gunu", "beykoz-koyleri")
    );
    assert_eq!(
        inside.explanation.applied.held[0].condition,
        Condition::InsideMuhtarlik
    );
    let outside = rules.choose(&request(&org, "riva", Some("kuzguncuk")), &unit);
    assert_eq!(outside.policy, org.tenant.default_policy);
    // Validated against the organisation, with the rule's line.
    let bad = TenantSettings::from_toml_str(
        "# policy rules\n[[policy_rule]]\nname = \"x\"\ninside_muhtarlik = \"yok\"\npolicy = \"belediye-15-is-gunu\"\n",
    )
    .unwrap();
    let Err(RoutingError::Invalid { problems }) = bad.policy_rules(&org) else {
        panic!()
    };
    assert_eq!(
        (problems[0].line, &problems[0].kind),
        (2, &ProblemKind::UnknownMuhtarlik { code: "yok".into() })
    );
}
