//! Routing behaviour on the example organisation and the shipped example rules.

use chrono::{TimeZone, Utc};
use muhtar_core::ids::{MuhtarlikCode, SeededRandom};
use muhtar_core::org::Organisation;
use muhtar_core::request::{Channel, Location, NewRequest, RequestContent};
use muhtar_core::routing::{
    AttemptOutcome, Condition, Decision, ProblemKind, RoutingError, RuleSet, Severity,
    FALLBACK_RULE,
};

const RULES: &str = include_str!("../../../examples/data/rules.toml");

fn org() -> Organisation {
    crate::example_org()
}

fn rules(org: &Organisation) -> RuleSet {
    let (rules, warnings) = RuleSet::from_toml_str(RULES, org).unwrap();
    assert!(warnings.is_empty(), "{warnings:?}");
    rules
}

fn req(
    org: &Organisation,
    muhtarlik: &str,
    category: &str,
    subject: &str,
    location: Option<(f64, f64)>,
) -> RequestContent {
    let now = Utc.with_ymd_and_hms(2025, 3, 14, 9, 0, 0).unwrap();
    NewRequest::builder(
        MuhtarlikCode::new(muhtarlik).unwrap(),
        Channel::MbsWeb,
        category,
        subject,
    )
    .location(location.map(|(lat, lon)| Location { lat, lon }))
    .build()
    .validate(org, now)
    .unwrap()
}

fn route(muhtarlik: &str, category: &str, subject: &str, location: Option<(f64, f64)>) -> Decision {
    let org = org();
    let r = rules(&org);
    let d = r.decide(&org, &req(&org, muhtarlik, category, subject, location));
    assert_eq!(
        d,
        r.decide_naive(&org, &req(&org, muhtarlik, category, subject, location))
            .with_tried_of(&d)
    );
    d
}

/// Lets a naive decision be compared with an indexed one: same decision, same applied rule.
trait SameDecision {
    fn with_tried_of(self, other: &Decision) -> Decision;
}
impl SameDecision for Decision {
    fn with_tried_of(mut self, other: &Decision) -> Decision {
        self.explanation.tried = other.explanation.tried.clone();
        self.explanation.skipped_by_index = other.explanation.skipped_by_index;
        self
    }
}

#[test]
fn example_rules_route_top_complaints() {
    let cases = [
        (
            "kuzguncuk",
            "yarali-hayvan",
            "Yaralı kedi",
            "veteriner-mud",
            "yarali-hayvan",
        ),
        (
            "moda",
            "sokak-hayvani",
            "Başıboş köpekler",
            "veteriner-mud",
            "sokak-hayvani",
        ),
        (
            "kuzguncuk",
            "moloz",
            "Sokakta moloz",
            "uskudar-temizlik",
            "moloz-ilce",
        ),
        (
            "moda",
            "moloz",
            "Kaçak hafriyat dökülmüş",
            "atik-mud",
            "moloz-hafriyat",
        ),
        ("cengelkoy", "kar-buz", "Yol buzlandı", "kar-mud", "kar-buz"),
        (
            "moda",
            "asfalt-onarim",
            "Bağdat CADDESİ üzerinde çukur",
            "asfalt-mud",
            "asfalt-ana-yol",
        ),
        (
            "moda",
            "asfalt-onarim",
            "Sokağımızda çukur",
            "kadikoy-fen",
            "asfalt-mahalle",
        ),
        (
            "riva",
            "asfalt-onarim",
            "Köy yolunda çukur",
            "asfalt-mud",
            "asfalt-ibb",
        ),
        (
            "moda",
            "denetim",
            "İşyeri ruhsatsız",
            "zabita-db",
            "denetim",
        ),
        (
            "goztepe",
            "cop-gorunti",
            "Konteyner taşıyor",
            "kadikoy-temizlik",
            "cop-ilce",
        ),
        ("kuzguncuk", "budama", "Ağaç dalları", "agac-mud", "budama"),
        (
            "salacak",
            "komsu-sikayeti",
            "Gürültü",
            "uskudar-zabita",
            "komsu-ilce-zabita",
        ),
        (
            "polonezkoy",
            "komsu-sikayeti",
            "Gürültü",
            "zabita-db",
            "komsu-ibb-zabita",
        ),
        (
            "moda",
            "kacak-insaat",
            "İskele düşmek üzere",
            "yapi-kontrol-mud",
            "ozensiz-insaat",
        ),
        (
            "moda",
            "su-kanalizasyon",
            "Rögar taştı",
            "iski",
            "su-kanalizasyon",
        ),
        (
            "moda",
            "elektrik-aydinlatma",
            "Lamba yanmıyor",
            "bedas",
            "elektrik",
        ),
        ("moda", "dogalgaz", "Sayaç", "igdas", "dogalgaz"),
        (
            "moda",
            "guvenlik-asayis",
            "Hırsızlık",
            "istanbul-valiligi",
            "guvenlik-valilik",
        ),
        (
            "moda",
            "diger",
            "Teşekkür",
            "muhtarliklar-db",
            FALLBACK_RULE,
        ),
    ];
    for (m, c, s, u, rule) in cases {
        let d = route(m, c, s, None);
        assert_eq!((d.unit.as_str(), d.rule.as_str()), (u, rule), "{m} {c} {s}");
        assert_eq!(d.explanation.applied.rule, d.rule);
    }
}

#[test]
fn keywords_fold_turkish_case() {
    // "GAZ KOKUSU" in capitals, in a category that would otherwise go to the fallback.
    let d = route("moda", "diger", "Apartmanda GAZ KOKUSU var", None);
    assert_eq!(d.unit.as_str(), "igdas");
    assert_eq!(d.explanation.applied.held[0].condition, Condition::Keywords);
    // Dotted capital İ folds to i: "İSTİKLAL CADDESİ" contains "cadde".
    let d = route("moda", "asfalt-onarim", "İSTİKLAL CADDESİ", None);
    assert_eq!(d.rule, "asfalt-ana-yol");
    // "KAVŞAKTA" -> "kavşakta": a keyword matches the start of a word.
    let d = route("moda", "asfalt-onarim", "KAVŞAKTA çökme", None);
    assert_eq!(d.rule, "asfalt-ana-yol");
    // "Atem" does not contain "tem" at a word start.
    let d = route("moda", "asfalt-onarim", "Atem sokak", None);
    assert_eq!(d.rule, "asfalt-mahalle");
}

#[test]
fn polygon_rule_catches_the_coastline() {
    let d = route(
        "kuzguncuk",
        "cop-gorunti",
        "Sahilde çöp",
        Some((41.0365, 29.025)),
    );
    assert_eq!(
        (d.unit.as_str(), d.rule.as_str()),
        ("atik-mud", "bogaz-sahili-temizlik")
    );
    assert!(d
        .explanation
        .applied
        .held
        .iter()
        .any(|c| c.condition == Condition::Area));
    // Inland, or without a location: the district's cleaning directorate.
    let d = route("kuzguncuk", "cop-gorunti", "Çöp", Some((41.03, 29.06)));
    assert_eq!(d.unit.as_str(), "uskudar-temizlik");
    let first = d
        .explanation
        .tried
        .iter()
        .find(|a| a.rule == "bogaz-sahili-temizlik")
        .unwrap();
    assert_eq!(first.rule, "bogaz-sahili-temizlik");
    assert!(
        matches!(&first.outcome, AttemptOutcome::NoMatch { failed } if failed.condition == Condition::Area)
    );
    let d = route("kuzguncuk", "cop-gorunti", "Çöp", None);
    assert_eq!(d.unit.as_str(), "uskudar-temizlik");
}

#[test]
fn unresolvable_relative_target_continues_and_says_so() {
    // Beykoz has no district municipality in the example organisation.
    let d = route("riva", "moloz", "Moloz", None);
    assert_eq!(
        (d.unit.as_str(), d.rule.as_str()),
        ("atik-mud", "moloz-ibb")
    );
    let attempt = d
        .explanation
        .tried
        .iter()
        .find(|a| a.rule == "moloz-ilce")
        .unwrap();
    match &attempt.outcome {
        AttemptOutcome::TargetUnavailable { reason, held, .. } => {
            assert!(reason.contains("no district-municipality"), "{reason}");
            assert_eq!(held[0].condition, Condition::Category);
        }
        other => panic!("{other:?}"),
    }
    assert!(d
        .explanation
        .lines()
        .iter()
        .any(|l| l.contains("unavailable")));
}

#[test]
fn inactive_resolved_unit_continues_to_next_rule() {
    let mut o = org();
    for u in &mut o.units {
        if u.code.as_str() == "uskudar-temizlik" {
            u.active = false;
        }
    }
    let (r, _) = RuleSet::from_toml_str(RULES, &o).unwrap();
    let d = r.decide(&o, &req(&o, "kuzguncuk", "moloz", "Moloz", None));
    assert_eq!(d.rule, "moloz-ibb");
    assert!(d.explanation.tried.iter().any(|a| matches!(&a.outcome,
        AttemptOutcome::TargetUnavailable { reason, .. } if reason.contains("inactive"))));
}

#[test]
fn fallback_only_sends_everything_to_the_coordinator() {
    let o = org();
    let r = RuleSet::fallback_only(&o);
    let d = r.decide(&o, &req(&o, "moda", "moloz", "x", None));
    assert_eq!(d.unit, o.tenant.coordinator_unit);
    assert_eq!(d.rule, FALLBACK_RULE);
    assert_eq!(d.rule_set_version, "fallback");
    assert!(d.explanation.applied.fallback);
}

#[test]
fn decision_serialises_and_round_trips() {
    let d = route("riva", "moloz", "Moloz", None);
    let json = serde_json::to_string(&d).unwrap();
    assert!(json.contains("\"result\":\"target-unavailable\""), "{json}");
    let back: Decision = serde_json::from_str(&json).unwrap();
    assert_eq!(back, d);
}

#[test]
fn version_label_hashes_content_not_comments() {
    let o = org();
    let a = rules(&o);
    assert!(a.version_label().starts_with("2025-03+"));
    assert_eq!(a.content_hash().len(), 64);
    let commented = format!("# a new comment\n{RULES}");
    let (b, _) = RuleSet::from_toml_str(&commented, &o).unwrap();
    assert_eq!(a.version_label(), b.version_label());
    let changed = RULES.replace("target = \"kar-mud\"", "target = \"yol-bakim-db\"");
    let (c, _) = RuleSet::from_toml_str(&changed, &o).unwrap();
    assert_ne!(a.content_hash(), c.content_hash());
    let d = c.decide(&o, &req(&o, "moda", "kar-buz", "Kar", None));
    assert_eq!(d.rule_set_version, c.version_label());
}

const BROKEN: &str = r#"version = "broken"
fallback = "isfalt"

[[rule]]
name = "unknown-unit"
category = "moloz"
target = "yok-boyle-birim"

[[rule]]
name = "inactive-unit"
category = "moloz"
target = "isfalt"

[[rule]]
name = "unknown-things"
category = ["moloz", "uydurma"]
group = "yok"
muhtarlik = "atlantis"
target = "atik-mud"

[[rule]]
name = "no-conditions"
target = "atik-mud"

[[rule]]
name = "small-area"
area = [[41.0, 29.0], [41.1, 29.1]]
target = "atik-mud"

[[rule]]
name = "bow-tie"
area = [[41.0, 29.0], [41.1, 29.1], [41.1, 29.0], [41.0, 29.1]]
target = "atik-mud"

[[rule]]
name = "far-away"
area = [[95.0, 29.0], [41.1, 29.1], [41.0, 29.2]]
target = "atik-mud"

[[rule]]
name = "broad"
group = "hayvan"
target = "veteriner-mud"

[[rule]]
name = "narrow"
category = "yarali-hayvan"
district = "Üsküdar"
target = "agac-mud"

[[rule]]
name = "broad"
category = "budama"
target = "agac-mud"

[[rule]]
name = "no-kaymakamlik"
category = "denetim"
target = { relative = "district-governorship" }

[[rule]]
name = "contradiction"
category = "moloz"
group = "hayvan"
target = "atik-mud"

[[rule]]
name = "empty-list"
category = []
target = "atik-mud"
"#;

#[test]
fn validation_reports_every_problem_with_rule_and_line() {
    let o = org();
    let Err(RoutingError::Invalid { problems }) = RuleSet::from_toml_str(BROKEN, &o) else {
        panic!("must fail");
    };
    let find = |rule: Option<&str>, pred: &dyn Fn(&ProblemKind) -> bool| {
        problems
            .iter()
            .find(|p| p.rule.as_deref() == rule && pred(&p.kind))
            .unwrap_or_else(|| panic!("no problem for {rule:?} in {problems:#?}"))
    };
    let p = find(None, &|k| {
        matches!(k, ProblemKind::UnreachableFallback { .. })
    });
    assert_eq!((p.line, p.severity), (2, Severity::Error));
    let p = find(Some("unknown-unit"), &|k| {
        matches!(k, ProblemKind::UnknownUnit { .. })
    });
    assert_eq!(p.line, 4);
    assert_eq!(
        p.to_string(),
        "error: rule \"unknown-unit\" (line 4): target unit \"yok-boyle-birim\" does not exist"
    );
    assert_eq!(
        find(Some("inactive-unit"), &|k| matches!(
            k,
            ProblemKind::InactiveUnit { .. }
        ))
        .line,
        9
    );
    find(
        Some("unknown-things"),
        &|k| matches!(k, ProblemKind::UnknownCategory { code } if code == "uydurma"),
    );
    find(Some("unknown-things"), &|k| {
        matches!(k, ProblemKind::UnknownGroup { .. })
    });
    find(Some("unknown-things"), &|k| {
        matches!(k, ProblemKind::UnknownMuhtarlik { .. })
    });
    assert_eq!(
        find(Some("no-conditions"), &|k| matches!(
            k,
            ProblemKind::EmptyConditions
        ))
        .line,
        21
    );
    find(
        Some("small-area"),
        &|k| matches!(k, ProblemKind::InvalidPolygon { reason } if reason.contains("at least 3")),
    );
    find(
        Some("bow-tie"),
        &|k| matches!(k, ProblemKind::InvalidPolygon { reason } if reason.contains("intersects")),
    );
    find(
        Some("far-away"),
        &|k| matches!(k, ProblemKind::InvalidPolygon { reason } if reason.contains("latitude")),
    );
    let p = find(
        Some("narrow"),
        &|k| matches!(k, ProblemKind::Shadowed { by, .. } if by == "broad"),
    );
    assert_eq!(p.severity, Severity::Warning);
    assert!(
        p.to_string()
            .starts_with("warning: rule \"narrow\" (line 45): shadowed"),
        "{p}"
    );
    find(Some("broad"), &|k| {
        matches!(k, ProblemKind::DuplicateName { first_line: 40 })
    });
    find(Some("no-kaymakamlik"), &|k| {
        matches!(k, ProblemKind::UnresolvableTarget { .. })
    });
    find(Some("contradiction"), &|k| {
        matches!(k, ProblemKind::NeverMatches { .. })
    });
    find(Some("empty-list"), &|k| {
        matches!(k, ProblemKind::EmptyList { .. })
    });
    // Sorted by line.
    assert!(problems.windows(2).all(|w| w[0].line <= w[1].line));
}

#[test]
fn warnings_alone_do_not_block_and_fallback_must_exist() {
    let o = org();
    let text = r#"
[[rule]]
name = "broad"
group = "hayvan"
target = "veteriner-mud"

[[rule]]
name = "narrow"
category = "yarali-hayvan"
target = "agac-mud"
"#;
    let (r, warnings) = RuleSet::from_toml_str(text, &o).unwrap();
    assert_eq!(warnings.len(), 1);
    assert_eq!(warnings[0].line, 7);
    assert_eq!(r.version(), "unversioned");
    let Err(RoutingError::Invalid { problems }) =
        RuleSet::from_toml_str("fallback = \"nowhere\"\n", &o)
    else {
        panic!()
    };
    assert!(matches!(
        problems[0].kind,
        ProblemKind::UnknownFallback { .. }
    ));
    assert_eq!(problems[0].line, 1);
}

#[test]
fn no_shadow_warning_when_the_earlier_target_may_not_resolve() {
    let o = org();
    let text = r#"
[[rule]]
name = "ilce"
category = "moloz"
target = { relative = "district-municipality", child = "temizlik" }

[[rule]]
name = "ibb"
category = "moloz"
target = "atik-mud"
"#;
    let (_, warnings) = RuleSet::from_toml_str(text, &o).unwrap();
    assert!(warnings.is_empty(), "{warnings:?}");
}

#[test]
fn parse_errors_carry_a_line() {
    let o = org();
    let text =
        "version = \"x\"\n\n[[rule]]\nname = \"a\"\nchannel = \"pigeon\"\ntarget = \"atik-mud\"\n";
    match RuleSet::from_toml_str(text, &o) {
        Err(RoutingError::Parse { line, message }) => {
            assert_eq!(line, 5, "{message}");
        }
        other => panic!("{other:?}"),
    }
    let text = "[[rule]]\nname = \"a\"\ncolour = \"red\"\ntarget = \"atik-mud\"\n";
    assert!(matches!(
        RuleSet::from_toml_str(text, &o),
        Err(RoutingError::Parse { line: 3, .. })
    ));
}

#[test]
fn ten_thousand_rules_decide_through_the_index() {
    let o = org();
    let mut text = String::from("version = \"big\"\n");
    let cats: Vec<&str> = o.categories.iter().map(|c| c.code.as_str()).collect();
    for i in 0..10_000 {
        let cat = cats[i % cats.len()];
        text.push_str(&format!(
            "[[rule]]\nname = \"r{i}\"\ncategory = \"{cat}\"\nkeywords = \"kelime{i}\"\ntarget = \"atik-mud\"\n"
        ));
    }
    let (r, _) = RuleSet::from_toml_str(&text, &o).unwrap();
    assert_eq!(r.len(), 10_000);
    let request = req(&o, "moda", "budama", "kelime9999 hiç yok", None);
    let d = r.decide(&o, &request);
    let start = std::time::Instant::now();
    for _ in 0..100 {
        assert_eq!(r.decide(&o, &request).unit, d.unit);
    }
    let elapsed = start.elapsed() / 100;
    let naive = r.decide_naive(&o, &request);
    assert_eq!(d.unit, naive.unit);
    assert_eq!(d.rule, naive.rule);
    assert_eq!(d.explanation.applied, naive.explanation.applied);
    // Only the rules of this category were evaluated.
    let per_cat = 10_000 / cats.len() + 1;
    assert!(
        d.explanation.tried.len() <= per_cat,
        "{}",
        d.explanation.tried.len()
    );
    assert_eq!(
        d.explanation.tried.len() + d.explanation.skipped_by_index,
        naive.explanation.tried.len()
    );
    eprintln!("10,000 rules: indexed decide took {elapsed:?} on average");
}

#[test]
fn the_service_routes_with_the_stored_rule_set() {
    use muhtar_core::prelude::*;
    use muhtar_core::store::{ConfigStore, Document, DocumentKind};
    use muhtar_core::testkit::{block_on, MemoryStore};
    block_on(async {
        let now = Utc.with_ymd_and_hms(2025, 3, 14, 9, 0, 0).unwrap();
        let mbs = Mbs::new(
            MemoryStore::default(),
            ManualClock::new(now),
            SeededRandom::new(7),
        );
        let o = org();
        let system = Actor::system(o.tenant.id.clone());
        mbs.install_organisation(&system, o.clone()).await.unwrap();
        let doc = Document {
            tenant: o.tenant.id.clone(),
            kind: DocumentKind::RuleSet,
            version: 1,
            body: RULES.to_owned(),
            updated_at: now,
            updated_by: "test".into(),
        };
        mbs.store().put_document(&doc).await.unwrap();
        let muhtar = Actor::parse(&o.tenant.id, "muhtar:kuzguncuk").unwrap();
        let mut new = muhtar_core::testkit::fixtures::new_request("kuzguncuk");
        new.category = "moloz".into();
        let rec = mbs.submit(&muhtar, new).await.unwrap();
        assert_eq!(
            rec.state.unit.as_ref().map(|u| u.as_str()),
            Some("uskudar-temizlik")
        );
        assert_eq!(rec.state.rule.as_deref(), Some("moloz-ilce"));
        let expected = rules(&o).version_label().to_owned();
        assert_eq!(
            rec.state.rule_set_version.as_deref(),
            Some(expected.as_str())
        );
    });
}

#[test]
fn a_stored_rule_set_that_no_longer_validates_falls_back() {
    let mut o = org();
    for u in &mut o.units {
        if u.code.as_str() == "kar-mud" {
            u.active = false;
        }
    }
    let (r, err) = RuleSet::from_stored(RULES, &o);
    assert!(err.is_some());
    let d = r.decide(&o, &req(&o, "moda", "kar-buz", "Kar", None));
    assert_eq!(d.unit, o.tenant.coordinator_unit);
    assert_eq!(d.rule_set_version, "fallback:invalid-rules");
}
