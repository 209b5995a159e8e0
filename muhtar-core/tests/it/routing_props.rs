//! Property tests of routing: determinism, the fallback, appending rules, explanations,
//! and the indexed decision against a naive first-match evaluation.

use chrono::{TimeZone, Utc};
use muhtar_core::ids::MuhtarlikCode;
use muhtar_core::org::Organisation;
use muhtar_core::request::{Channel, Location, NewRequest, Priority, RequestContent, RequestKind};
use muhtar_core::routing::{
    AttemptOutcome, Condition, Conditions, Decision, Polygon, Relative, RoutingError, RuleSet,
    RuleSetSpec, RuleSpec, Target, FALLBACK_RULE,
};
use proptest::prelude::*;

fn org() -> Organisation {
    crate::example_org()
}

const WORDS: &[&str] = &[
    "çukur",
    "Cadde",
    "KAR",
    "ışık",
    "İskele",
    "gaz kokusu",
    "moloz",
    "ağaç",
];
const UNITS: &[&str] = &[
    "atik-mud",
    "veteriner-mud",
    "kar-mud",
    "asfalt-mud",
    "agac-mud",
    "iski",
    "bedas",
    "uskudar-fen",
    "kadikoy-zabita",
];

fn areas() -> Vec<Polygon> {
    vec![
        Polygon(vec![
            [41.00, 29.00],
            [41.00, 29.05],
            [41.05, 29.05],
            [41.05, 29.00],
        ]),
        Polygon(vec![[40.95, 29.02], [41.02, 29.10], [40.98, 29.12]]),
    ]
}

fn pick<T: Clone + std::fmt::Debug + 'static>(
    items: Vec<T>,
    max: usize,
) -> impl Strategy<Value = Vec<T>> {
    proptest::sample::subsequence(items.clone(), 0..=max.min(items.len()))
}

fn conditions() -> impl Strategy<Value = Conditions> {
    let o = org();
    let cats: Vec<String> = o.categories.iter().map(|c| c.code.clone()).collect();
    let groups: Vec<String> = {
        let mut g: Vec<String> = o
            .categories
            .iter()
            .filter_map(|c| c.group.clone())
            .collect();
        g.sort();
        g.dedup();
        g
    };
    let muhtarliklar: Vec<String> = o.muhtarliklar.iter().map(|m| m.code.to_string()).collect();
    let districts = vec![
        "Üsküdar".to_owned(),
        "KADIKÖY".to_owned(),
        "Beykoz".to_owned(),
    ];
    (
        prop_oneof![
            pick(cats, 3).prop_map(|c| (c, vec![])),
            pick(groups, 2).prop_map(|g| (vec![], g))
        ],
        pick(RequestKind::ALL.to_vec(), 2),
        pick(Channel::ALL.to_vec(), 3),
        pick(vec![Priority::Normal, Priority::Urgent], 1),
        prop_oneof![
            3 => Just((vec![], vec![])),
            1 => pick(muhtarliklar, 4).prop_map(|m| (m, vec![])),
            1 => pick(districts, 2).prop_map(|d| (vec![], d)),
        ],
        pick(WORDS.iter().map(|w| w.to_string()).collect(), 2),
        prop_oneof![3 => Just(None), 1 => (0..2usize).prop_map(Some)],
    )
        .prop_map(
            |(
                (categories, groups),
                kinds,
                channels,
                priorities,
                (muhtarliklar, districts),
                keywords,
                area,
            )| {
                let mut c = Conditions {
                    categories,
                    groups,
                    kinds,
                    channels,
                    priorities,
                    muhtarliklar,
                    districts,
                    provinces: vec![],
                    keywords,
                    area: area.map(|i| areas()[i].clone()),
                    inside_muhtarliklar: vec![],
                };
                if c.is_empty() {
                    c.priorities = vec![Priority::Normal];
                }
                c
            },
        )
}

fn target() -> impl Strategy<Value = Target> {
    prop_oneof![
        4 => proptest::sample::select(UNITS).prop_map(|u| Target::Unit(u.to_owned())),
        1 => Just(Target::Relative { relative: Relative::Governorship, child: None }),
        1 => Just(Target::Relative { relative: Relative::DistrictMunicipality, child: Some("temizlik".into()) }),
        1 => Just(Target::Relative { relative: Relative::ProvinceMunicipality, child: None }),
    ]
}

fn rule() -> impl Strategy<Value = (Conditions, Target)> {
    (conditions(), target())
}

fn spec_of(rules: Vec<(Conditions, Target)>) -> RuleSetSpec {
    RuleSetSpec {
        version: "prop".into(),
        fallback: None,
        fallback_line: 0,
        rules: rules
            .into_iter()
            .enumerate()
            .map(|(i, (when, target))| RuleSpec {
                name: format!("r{i}"),
                line: i + 1,
                when,
                target,
            })
            .collect(),
    }
}

/// Compiles, dropping rules with errors (e.g. a relative target that never resolves in
/// their scope) so random sets are usable.
fn compile(mut spec: RuleSetSpec, o: &Organisation) -> RuleSet {
    loop {
        match RuleSet::compile(spec.clone(), o) {
            Ok((r, _)) => return r,
            Err(RoutingError::Invalid { problems }) => {
                let bad: Vec<String> = problems
                    .iter()
                    .filter(|p| p.is_error())
                    .filter_map(|p| p.rule.clone())
                    .collect();
                assert!(!bad.is_empty(), "{problems:?}");
                spec.rules.retain(|r| !bad.contains(&r.name));
            }
            Err(e) => panic!("{e}"),
        }
    }
}

fn request() -> impl Strategy<Value = NewRequest> {
    let o = org();
    let muhtarliklar: Vec<String> = o.muhtarliklar.iter().map(|m| m.code.to_string()).collect();
    let cats: Vec<String> = o.categories.iter().map(|c| c.code.clone()).collect();
    (
        proptest::sample::select(muhtarliklar),
        proptest::sample::select(cats),
        proptest::sample::select(RequestKind::ALL.to_vec()),
        proptest::sample::select(Channel::ALL.to_vec()),
        proptest::option::of(proptest::sample::select(vec![
            Priority::Normal,
            Priority::Urgent,
        ])),
        proptest::collection::vec((proptest::sample::select(WORDS), any::<bool>()), 0..4),
        proptest::option::of((40.94..41.06f64, 28.99..29.13f64)),
    )
        .prop_map(|(m, category, kind, channel, priority, words, loc)| {
            let subject: Vec<String> = words
                .into_iter()
                .map(|(w, upper)| {
                    if upper {
                        w.to_uppercase()
                    } else {
                        w.to_owned()
                    }
                })
                .collect();
            NewRequest::builder(
                MuhtarlikCode::new(m).unwrap(),
                channel,
                category,
                format!("konu {}", subject.join(" ")),
            )
            .kind(kind)
            .priority(priority)
            .location(loc.map(|(lat, lon)| Location { lat, lon }))
            .build()
        })
}

fn content(o: &Organisation, r: &NewRequest) -> RequestContent {
    r.validate(o, Utc.with_ymd_and_hms(2025, 3, 14, 9, 0, 0).unwrap())
        .unwrap()
}

fn same_choice(a: &Decision, b: &Decision) -> bool {
    a.unit == b.unit && a.rule == b.rule && a.explanation.applied == b.explanation.applied
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn indexed_equals_naive(rules in proptest::collection::vec(rule(), 0..40), reqs in proptest::collection::vec(request(), 1..8)) {
        let o = org();
        let rs = compile(spec_of(rules), &o);
        for r in &reqs {
            let c = content(&o, r);
            let fast = rs.decide(&o, &c);
            let naive = rs.decide_naive(&o, &c);
            prop_assert!(same_choice(&fast, &naive), "{fast:#?}\n{naive:#?}");
            // The index only skips rules whose category condition fails.
            for a in &naive.explanation.tried {
                if !fast.explanation.tried.contains(a) {
                    let skipped_on_category = matches!(&a.outcome,
                        AttemptOutcome::NoMatch { failed } if matches!(failed.condition, Condition::Category | Condition::Group));
                    prop_assert!(skipped_on_category, "{a:?}");
                }
            }
            prop_assert_eq!(fast.explanation.tried.len() + fast.explanation.skipped_by_index, naive.explanation.tried.len());
        }
    }

    #[test]
    fn decisions_are_deterministic_and_explained(rules in proptest::collection::vec(rule(), 0..30), r in request()) {
        let o = org();
        let spec = spec_of(rules);
        let rs = compile(spec.clone(), &o);
        let rs2 = compile(spec, &o);
        let c = content(&o, &r);
        let d = rs.decide(&o, &c);
        prop_assert_eq!(&d, &rs.decide(&o, &c));
        prop_assert_eq!(&d, &rs2.decide(&o, &c));
        prop_assert_eq!(&d.rule_set_version, &rs2.version_label().to_owned());
        // The explanation names the rule applied, with the conditions that held.
        prop_assert_eq!(&d.explanation.applied.rule, &d.rule);
        // The unit is always an active unit of the organisation.
        prop_assert!(o.check_target(&d.unit).is_ok());
        if d.rule == FALLBACK_RULE {
            prop_assert!(d.explanation.applied.fallback);
            prop_assert_eq!(&d.unit, rs.fallback());
        } else {
            let rule = rs.spec().rules.iter().find(|x| x.name == d.rule).unwrap();
            prop_assert_eq!(rule.line, d.explanation.applied.line);
            let w = &rule.when;
            let set = [!w.categories.is_empty(), !w.groups.is_empty(), !w.kinds.is_empty(),
                !w.channels.is_empty(), !w.priorities.is_empty(), !w.muhtarliklar.is_empty(),
                !w.districts.is_empty(), !w.provinces.is_empty(), !w.keywords.is_empty(), w.area.is_some()]
                .iter().filter(|b| **b).count();
            prop_assert_eq!(set, d.explanation.applied.held.len());
        }
    }

    #[test]
    fn fallback_catches_everything(r in request()) {
        let o = org();
        let c = content(&o, &r);
        let d = RuleSet::fallback_only(&o).decide(&o, &c);
        prop_assert_eq!(&d.unit, &o.tenant.coordinator_unit);
        prop_assert_eq!(d.rule.as_str(), FALLBACK_RULE);
        let empty = compile(spec_of(vec![]), &o);
        prop_assert_eq!(empty.decide(&o, &c).unit, o.tenant.coordinator_unit.clone());
    }

    #[test]
    fn appending_a_rule_never_changes_a_rule_decision(rules in proptest::collection::vec(rule(), 0..30), extra in rule(), reqs in proptest::collection::vec(request(), 1..6)) {
        let o = org();
        let base = compile(spec_of(rules), &o);
        let mut spec = base.spec().clone();
        spec.rules.push(RuleSpec { name: "appended".into(), line: 9999, when: extra.0, target: extra.1 });
        let more = compile(spec, &o);
        for r in &reqs {
            let c = content(&o, r);
            let before = base.decide(&o, &c);
            let after = more.decide(&o, &c);
            if before.rule == FALLBACK_RULE {
                prop_assert!(after.rule == FALLBACK_RULE || after.rule == "appended");
            } else {
                prop_assert!(same_choice(&before, &after));
            }
        }
    }
}
