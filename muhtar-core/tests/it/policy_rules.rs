//! Policy rules: which SLA policy a request runs under, validation with lines, the
//! example tenant's rules, urgent requests, set-policy by staff and the clocks after it,
//! and properties (deterministic, explainable first match).

use chrono::{DateTime, Duration, Utc};
use muhtar_core::ids::SeededRandom;
use muhtar_core::prelude::*;
use muhtar_core::regime::{PolicyRuleSpec, PolicyRules, DEFAULT_POLICY_RULE, SET_POLICY_RULE};
use muhtar_core::request::{
    EventKind, InputError, LifecycleError, Priority, RequestContent, Stored,
};
use muhtar_core::routing::{AttemptOutcome, Conditions, RoutingError};
use muhtar_core::settings::{SettingsError, TenantSettings};
use muhtar_core::sla::{ClockKind, ClockState, PolicyRegistry};
use muhtar_core::store::RequestStore;
use muhtar_core::testkit::{fixtures, MemoryStore};
use proptest::prelude::*;

const SETTINGS: &str = include_str!("../../../examples/data/settings.toml");

/// The example settings without their `[documents.sdp]` table: its SDP codes name the
/// example organisation's categories, which the fixture organisation has not all got
/// (installing settings refuses an unknown category).
fn without_sdp(settings: &str) -> String {
    let mut out = String::new();
    let mut skipping = false;
    for line in settings.lines() {
        if line.starts_with('[') {
            skipping = line.trim() == "[documents.sdp]";
        }
        if !skipping {
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

fn org() -> Organisation {
    fixtures::organisation("pol")
}

fn content(channel: Channel, kind: RequestKind, priority: Option<Priority>) -> RequestContent {
    let mut n = fixtures::new_request("kuzguncuk");
    n.channel = channel;
    n.kind = kind;
    n.priority = priority;
    n.validate(&org(), fixtures::t0()).unwrap()
}

fn unit(u: &str) -> UnitCode {
    UnitCode::new(u).unwrap()
}

fn example_rules() -> PolicyRules {
    let s = TenantSettings::from_toml_str(SETTINGS).unwrap();
    let (rules, warnings) = s.policy_rules(&org()).unwrap();
    assert!(warnings.is_empty(), "{warnings:?}");
    rules
}

/// The line of the `[[policy_rule]]` header of the example settings' rule `name` (the
/// line numbers the explanations give, wherever comments above move the rule).
fn example_rule_line(name: &str) -> usize {
    let text = include_str!("../../../examples/data/settings.toml");
    let lines: Vec<&str> = text.lines().collect();
    let at = lines
        .iter()
        .position(|l| *l == format!("name = \"{name}\""))
        .unwrap_or_else(|| panic!("no rule {name} in the example settings"));
    lines[..at]
        .iter()
        .rposition(|l| *l == "[[policy_rule]]")
        .unwrap()
        + 1
}

#[test]
fn example_settings_choose_the_law_of_each_request() {
    let rules = example_rules();
    assert_eq!(rules.len(), 2);
    let u = unit("fen-isleri");
    // An information request, by CİMER or any other channel: Law 4982.
    for ch in [
        Channel::Cimer,
        Channel::Petition,
        Channel::Email,
        Channel::MbsWeb,
    ] {
        let c = rules.choose(&content(ch, RequestKind::InformationRequest, None), &u);
        assert_eq!(
            (c.policy.as_str(), c.rule.as_str()),
            ("bilgi-edinme-4982", "bilgi-edinme")
        );
        assert_eq!(
            c.explanation.applied.line,
            example_rule_line("bilgi-edinme")
        );
    }
    // Requests and complaints by CİMER or petition: Law 3071.
    for ch in [Channel::Cimer, Channel::Petition] {
        for k in [RequestKind::Request, RequestKind::Complaint] {
            let c = rules.choose(&content(ch, k, None), &u);
            assert_eq!(
                (c.policy.as_str(), c.rule.as_str()),
                ("dilekce-3071", "dilekce")
            );
            let lines = c.explanation.lines();
            assert!(
                lines[0].starts_with(&format!(
                    "rule \"bilgi-edinme\" (line {}) did not match: kind",
                    example_rule_line("bilgi-edinme")
                )),
                "{lines:?}"
            );
            assert!(
                lines[1].contains(&format!(
                    "rule \"dilekce\" (line {}) applied",
                    example_rule_line("dilekce")
                )),
                "{lines:?}"
            );
            assert!(
                lines[1].ends_with("target policy dilekce-3071"),
                "{lines:?}"
            );
        }
    }
    // Everything else: the organisation's default.
    for (ch, k) in [
        (Channel::MbsWeb, RequestKind::Request),
        (Channel::Phone, RequestKind::Complaint),
        (Channel::Cimer, RequestKind::Suggestion),
    ] {
        let c = rules.choose(&content(ch, k, None), &u);
        assert_eq!(
            (c.policy.as_str(), c.rule.as_str()),
            ("genelge-2015-8", DEFAULT_POLICY_RULE)
        );
        assert!(c.explanation.applied.fallback);
        assert_eq!(c.explanation.tried.len(), 2);
        let last = c.explanation.lines().pop().unwrap();
        assert_eq!(
            last,
            "no rule applied: fallback to policy genelge-2015-8 (the organisation's default)"
        );
    }
}

#[test]
fn problems_name_rule_and_line() {
    let text = r#"
[[policy_rule]]
name = "a"
kind = "information-request"
policy = "yok-boyle"

[[policy_rule]]
name = "b"
category = "yok"
unit = "yok-birim"
policy = "dilekce-3071"

[[policy_rule]]
name = "default"
channel = "phone"
policy = "dilekce-3071"

[[policy_rule]]
name = "c"
policy = "dilekce-3071"

[[policy_rule]]
name = "d"
channel = []
policy = "dilekce-3071"
"#;
    let s = TenantSettings::from_toml_str(text).unwrap();
    let Err(RoutingError::Invalid { problems }) = s.policy_rules(&org()) else {
        panic!("expected problems");
    };
    let lines: Vec<String> = problems.iter().map(ToString::to_string).collect();
    assert_eq!(
        lines,
        [
            "error: rule \"a\" (line 2): unknown policy \"yok-boyle\" (known: belediye-15-is-gunu, bilgi-edinme-4982, dilekce-3071, genelge-2015-8)",
            "error: rule \"b\" (line 7): unknown category \"yok\"",
            "error: rule \"b\" (line 7): unknown unit \"yok-birim\" in the `unit` condition",
            "error: rule \"default\" (line 13): the name \"default\" is reserved for requests no policy rule matches",
            "error: rule \"c\" (line 18): the rule has no condition; requests no rule matches get the organisation's `default_policy`",
            "error: rule \"d\" (line 22): condition `channel` has an empty list (omit it to mean \"any\")",
        ]
    );
    // Unknown keys and values are parse errors with their line.
    let bad = "\n[[policy_rule]]\nname = \"x\"\nkanal = \"cimer\"\npolicy = \"dilekce-3071\"\n";
    match TenantSettings::from_toml_str(bad) {
        Err(SettingsError::Parse { line, message }) => {
            assert_eq!(line, 4, "{message}");
            assert!(message.contains("kanal"), "{message}");
        }
        other => panic!("{other:?}"),
    }
    let bad = "[[policy_rule]]\nname = \"x\"\nchannel = \"fax\"\npolicy = \"dilekce-3071\"\n";
    assert!(matches!(
        TenantSettings::from_toml_str(bad),
        Err(SettingsError::Parse { line: 3, .. })
    ));
}

#[test]
fn a_rule_hidden_by_an_earlier_one_is_a_warning_and_tenant_policies_count() {
    let text = r#"
[[policy]]
name = "ivedi-5-is-gunu"
length = 5
unit = "business"

[[policy_rule]]
name = "cimer"
channel = "cimer"
policy = "dilekce-3071"

[[policy_rule]]
name = "cimer-sikayet"
channel = "cimer"
kind = "complaint"
policy = "ivedi-5-is-gunu"
"#;
    let s = TenantSettings::from_toml_str(text).unwrap();
    let (_, warnings) = s.policy_rules(&org()).unwrap();
    let w: Vec<String> = warnings.iter().map(ToString::to_string).collect();
    assert_eq!(
        w,
        ["warning: rule \"cimer-sikayet\" (line 12): shadowed by the earlier rule \"cimer\" (line 7), which matches every request this one does"]
    );
}

/// Urgent requests may get their own (shorter) policy through the priority condition.
#[test]
fn urgent_requests_get_their_own_policy() {
    let text = format!(
        "[[policy]]\nname = \"ivedi-5-is-gunu\"\nlength = 5\nunit = \"business\"\n\n\
         [[policy_rule]]\nname = \"ivedi\"\npriority = \"urgent\"\npolicy = \"ivedi-5-is-gunu\"\n\n{SETTINGS}"
    );
    let s = TenantSettings::from_toml_str(&text).unwrap();
    let (rules, _) = s.policy_rules(&org()).unwrap();
    let u = unit("fen-isleri");
    let urgent = rules.choose(
        &content(
            Channel::Cimer,
            RequestKind::InformationRequest,
            Some(Priority::Urgent),
        ),
        &u,
    );
    assert_eq!(
        (urgent.policy.as_str(), urgent.rule.as_str()),
        ("ivedi-5-is-gunu", "ivedi")
    );
    let normal = rules.choose(
        &content(
            Channel::Cimer,
            RequestKind::InformationRequest,
            Some(Priority::Normal),
        ),
        &u,
    );
    assert_eq!(normal.policy, "bilgi-edinme-4982");
    assert!(normal.explanation.lines()[0].contains("did not match: priority"));
}

#[test]
fn unit_condition_takes_the_unit_and_those_below_it() {
    let mut r = PolicyRuleSpec::new("fen", Conditions::default(), "belediye-15-is-gunu");
    r.units = vec!["fen-isleri".into()];
    r.line = 1;
    let (rules, _) = PolicyRules::compile(&[r], &org(), &PolicyRegistry::builtin()).unwrap();
    let c = content(Channel::MbsWeb, RequestKind::Request, None);
    assert_eq!(
        rules.choose(&c, &unit("fen-isleri")).policy,
        "belediye-15-is-gunu"
    );
    assert_eq!(
        rules.choose(&c, &unit("asfalt")).policy,
        "belediye-15-is-gunu"
    );
    let other = rules.choose(&c, &unit("park-bahce"));
    assert_eq!(other.policy, "genelge-2015-8");
    match &other.explanation.tried[0].outcome {
        AttemptOutcome::NoMatch { failed } => assert_eq!(
            failed.detail,
            "unit \"park-bahce\" is not a listed unit or below one"
        ),
        o => panic!("{o:?}"),
    }
}

#[test]
fn received_events_without_a_policy_rule_read_as_default() {
    let e = serde_json::json!({
        "type": "received",
        "id": "01890f3e-8f3a-7000-8000-000000000001",
        "tenant": "pol",
        "tracking": TrackingNumber::from_random(7).to_string(),
        "content": serde_json::to_value(content(Channel::MbsWeb, RequestKind::Request, None)).unwrap(),
        "policy": "genelge-2015-8",
    });
    // Stored before schema versions (version 1): read through the stores' entry point.
    match serde_json::from_value::<Stored<EventKind>>(e).unwrap().0 {
        EventKind::Received { policy_rule, .. } => assert_eq!(policy_rule, "default"),
        other => panic!("{other:?}"),
    }
}

// ---------------------------------------------------------------------------------------
// Through the service

type Svc = Mbs<MemoryStore, ManualClock>;

async fn setup() -> (Svc, TenantId) {
    let mbs = Mbs::new(
        MemoryStore::default(),
        ManualClock::new(fixtures::t0()),
        SeededRandom::new(3),
    );
    let o = org();
    let t = o.tenant.id.clone();
    mbs.install_organisation(&Actor::system(t.clone()), o)
        .await
        .unwrap();
    mbs.install_settings(&Actor::parse(&t, "admin").unwrap(), &without_sdp(SETTINGS))
        .await
        .unwrap();
    (mbs, t)
}

fn actor(t: &TenantId, s: &str) -> Actor {
    Actor::parse(t, s).unwrap()
}

fn local(t: Option<DateTime<Utc>>) -> String {
    muhtar_core::calendar::to_istanbul(t.unwrap()).to_rfc3339()
}

async fn submit(
    mbs: &Svc,
    t: &TenantId,
    ch: Channel,
    k: RequestKind,
) -> muhtar_core::store::RequestRecord {
    let mut n = fixtures::new_request("kuzguncuk");
    n.channel = ch;
    n.kind = k;
    mbs.submit(&actor(t, "coordinator"), n).await.unwrap()
}

#[tokio::test]
async fn submit_records_the_policy_and_why() {
    let (mbs, t) = setup().await;
    // Received Friday 2025-03-14 12:00 (docs/domain.md §3 examples).
    let info = submit(&mbs, &t, Channel::Cimer, RequestKind::InformationRequest).await;
    assert_eq!(info.state.policy, "bilgi-edinme-4982");
    assert_eq!(info.state.policy_rule, "bilgi-edinme");
    // 15 business days; 31 March – 1 April are Ramazan Bayramı.
    assert_eq!(
        local(info.deadlines.resolution_due),
        "2025-04-08T17:30:00+03:00"
    );
    let events = mbs.store().events(&t, info.state.id).await.unwrap();
    assert!(
        matches!(&events[0].kind, EventKind::Received { policy, policy_rule, .. }
        if policy == "bilgi-edinme-4982" && policy_rule == "bilgi-edinme")
    );

    let petition = submit(&mbs, &t, Channel::Petition, RequestKind::Complaint).await;
    assert_eq!(
        (
            petition.state.policy.as_str(),
            petition.state.policy_rule.as_str()
        ),
        ("dilekce-3071", "dilekce")
    );
    // 30 calendar days end Sunday 13 April: Monday 14 April.
    assert_eq!(
        local(petition.deadlines.resolution_due),
        "2025-04-14T17:30:00+03:00"
    );

    let mbs_req = mbs
        .submit(
            &actor(&t, "muhtar:kuzguncuk"),
            fixtures::new_request("kuzguncuk"),
        )
        .await
        .unwrap();
    assert_eq!(
        (
            mbs_req.state.policy.as_str(),
            mbs_req.state.policy_rule.as_str()
        ),
        ("genelge-2015-8", "default")
    );
    assert_eq!(
        local(mbs_req.deadlines.resolution_due),
        "2025-04-02T17:30:00+03:00"
    );

    let ex = mbs
        .explain_policy(&actor(&t, "coordinator"), &petition.state.tracking)
        .await
        .unwrap();
    assert_eq!(ex.received_rule, "dilekce");
    assert_eq!(ex.now.rule, "dilekce");
    assert!(
        ex.summary[0].contains("policy rule \"dilekce\""),
        "{:?}",
        ex.summary
    );
}

#[tokio::test]
async fn settings_with_bad_policy_rules_are_refused_whole() {
    let (mbs, t) = setup().await;
    let before = mbs.context(&t).await.unwrap().versions.settings;
    let bad = "[[policy_rule]]\nname = \"x\"\ncategory = \"yok\"\npolicy = \"dilekce-3071\"\n";
    let e = mbs
        .install_settings(&actor(&t, "admin"), bad)
        .await
        .unwrap_err();
    assert!(
        e.to_string()
            .contains("rule \"x\" (line 1): unknown category \"yok\""),
        "{e}"
    );
    assert_eq!(mbs.context(&t).await.unwrap().versions.settings, before);
}

#[tokio::test]
async fn set_policy_recomputes_the_deadline_and_names_the_change() {
    let (mbs, t) = setup().await;
    let clock = mbs.clock();
    let rec = mbs
        .submit(
            &actor(&t, "muhtar:kuzguncuk"),
            fixtures::new_request("kuzguncuk"),
        )
        .await
        .unwrap();
    let tr = rec.state.tracking;
    assert_eq!(
        local(rec.deadlines.resolution_due),
        "2025-04-02T17:30:00+03:00"
    );
    let cmd = |p: &str| Command::SetPolicy {
        policy: p.into(),
        reason: "CİMER üzerinden gelen bilgi edinme başvurusu".into(),
    };
    // Not the muhtar's, not unit staff's: nothing written.
    for who in ["muhtar:kuzguncuk", "unit:muhtarliklar", "official"] {
        let e = mbs
            .execute(&actor(&t, who), &tr, None, cmd("bilgi-edinme-4982"))
            .await
            .unwrap_err();
        assert!(matches!(e, ServiceError::Forbidden(_)), "{who}: {e}");
    }
    assert_eq!(mbs.store().events(&t, rec.state.id).await.unwrap().len(), 2);
    // Unknown and unchanged policies name the field.
    let e = mbs
        .execute(&actor(&t, "coordinator"), &tr, None, cmd("yok"))
        .await
        .unwrap_err();
    assert!(
        matches!(
            &e,
            ServiceError::Input(InputError::Unknown {
                field: "policy",
                ..
            })
        ),
        "{e}"
    );
    assert!(e.to_string().contains("bilgi-edinme-4982"), "{e}");
    let e = mbs
        .execute(&actor(&t, "coordinator"), &tr, None, cmd("genelge-2015-8"))
        .await
        .unwrap_err();
    assert!(
        matches!(
            e,
            ServiceError::Lifecycle(LifecycleError::Input(InputError::Invalid {
                field: "policy",
                ..
            }))
        ),
        "{e}"
    );

    // A muhtar pause of 3 calendar days (Mon 17 – Thu 20 March) before the change: kept,
    // counted again in the new policy's unit (3 working days).
    clock.set(fixtures::t0() + Duration::days(3));
    mbs.execute(
        &actor(&t, "coordinator"),
        &tr,
        None,
        Command::Pause {
            reason: muhtar_core::request::PauseReason::Muhtar,
            note: "Adres eksik".into(),
        },
    )
    .await
    .unwrap();
    clock.set(fixtures::t0() + Duration::days(6));
    mbs.execute(
        &actor(&t, "muhtar:kuzguncuk"),
        &tr,
        None,
        Command::Resume {
            note: "Adres geldi".into(),
        },
    )
    .await
    .unwrap();
    clock.set(fixtures::t0() + Duration::days(7));
    let after = mbs
        .execute(
            &actor(&t, "coordinator"),
            &tr,
            None,
            cmd("bilgi-edinme-4982"),
        )
        .await
        .unwrap();
    assert_eq!(after.state.policy, "bilgi-edinme-4982");
    assert_eq!(after.state.policy_rule, SET_POLICY_RULE);
    assert_eq!(
        after.state.policy_reason.as_deref(),
        Some("CİMER üzerinden gelen bilgi edinme başvurusu")
    );
    // 15 business days to 8 April, plus the 3 working days of the pause: 11 April.
    assert_eq!(
        local(after.deadlines.resolution_due),
        "2025-04-11T17:30:00+03:00"
    );
    let ev = mbs.deadline(&actor(&t, "coordinator"), &tr).await.unwrap();
    assert_eq!(ev.policy, "bilgi-edinme-4982");
    let x = &ev.resolution.explanation;
    assert_eq!(x.policy, "bilgi-edinme-4982");
    assert_eq!(x.pauses.len(), 1);
    assert_eq!(x.pauses[0].days_added, 3);
    assert_eq!(x.policy_changes.len(), 1);
    assert_eq!(
        (
            x.policy_changes[0].from.as_str(),
            x.policy_changes[0].to.as_str()
        ),
        ("genelge-2015-8", "bilgi-edinme-4982")
    );
    let events = mbs.store().events(&t, rec.state.id).await.unwrap();
    assert!(
        matches!(&events.last().unwrap().kind, EventKind::PolicyChanged { from, to, .. }
        if from == "genelge-2015-8" && to == "bilgi-edinme-4982")
    );
    // The fold of the stored history gives the stored state.
    let folded = muhtar_core::request::RequestState::fold(&events).unwrap();
    assert_eq!(folded, after.state);
    let ex = mbs
        .explain_policy(&actor(&t, "coordinator"), &tr)
        .await
        .unwrap();
    assert_eq!(ex.changes.len(), 1);
    assert!(
        ex.summary[1].starts_with("policy changed from genelge-2015-8 to bilgi-edinme-4982"),
        "{:?}",
        ex.summary
    );

    // Decided clocks stay: an answered request's policy cannot change.
    mbs.execute(
        &actor(&t, "coordinator"),
        &tr,
        None,
        Command::Answer {
            outcome: Outcome::Positive,
            reason: None,
            reason_text: None,
            text: "Bilgi verildi".into(),
        },
    )
    .await
    .unwrap();
    let e = mbs
        .execute(&actor(&t, "coordinator"), &tr, None, cmd("dilekce-3071"))
        .await
        .unwrap_err();
    assert!(
        matches!(
            e,
            ServiceError::Lifecycle(LifecycleError::IllegalTransition { .. })
        ),
        "{e}"
    );
}

#[tokio::test]
async fn a_first_response_met_before_the_change_keeps_its_verdict() {
    let (mbs, t) = setup().await;
    let clock = mbs.clock();
    let rec = submit(&mbs, &t, Channel::Petition, RequestKind::Request).await;
    let tr = rec.state.tracking;
    clock.set(fixtures::t0() + Duration::days(2));
    mbs.execute(
        &actor(&t, "coordinator"),
        &tr,
        None,
        Command::InterimReply {
            text: "İnceleniyor".into(),
        },
    )
    .await
    .unwrap();
    clock.set(fixtures::t0() + Duration::days(4));
    mbs.execute(
        &actor(&t, "coordinator"),
        &tr,
        None,
        Command::SetPolicy {
            policy: "genelge-2015-8".into(),
            reason: "MBS talebi".into(),
        },
    )
    .await
    .unwrap();
    let ev = mbs.deadline(&actor(&t, "coordinator"), &tr).await.unwrap();
    assert_eq!(ev.first_response.clock, ClockKind::FirstResponse);
    assert_eq!(ev.first_response.state, ClockState::Met);
    assert_eq!(ev.first_response.explanation.policy, "dilekce-3071");
    assert_eq!(
        ev.first_response.due.to_rfc3339(),
        "2025-04-14T17:30:00+03:00"
    );
    assert_eq!(ev.resolution.explanation.policy, "genelge-2015-8");
    assert_eq!(ev.resolution.due.to_rfc3339(), "2025-04-02T17:30:00+03:00");
}

// ---------------------------------------------------------------------------------------
// Properties

const POLICIES: &[&str] = &[
    "genelge-2015-8",
    "belediye-15-is-gunu",
    "dilekce-3071",
    "bilgi-edinme-4982",
];
const UNITS: &[&str] = &[
    "belediye",
    "muhtarliklar",
    "fen-isleri",
    "asfalt",
    "park-bahce",
];
const CATS: &[&str] = &["asfalt-onarim", "budama", "cop"];

fn sub<T: Clone + std::fmt::Debug + 'static>(
    v: Vec<T>,
    max: usize,
) -> impl Strategy<Value = Vec<T>> {
    proptest::sample::subsequence(v.clone(), 0..=max.min(v.len()))
}

fn rule_spec() -> impl Strategy<Value = (Conditions, Vec<String>, String)> {
    (
        sub(RequestKind::ALL.to_vec(), 2),
        sub(Channel::ALL.to_vec(), 3),
        sub(vec![Priority::Normal, Priority::Urgent], 1),
        sub(CATS.iter().map(|c| c.to_string()).collect(), 2),
        sub(UNITS.iter().map(|c| c.to_string()).collect(), 2),
        proptest::sample::select(POLICIES),
    )
        .prop_map(
            |(kinds, channels, priorities, categories, mut units, policy)| {
                let mut when = Conditions {
                    kinds,
                    channels,
                    priorities,
                    categories,
                    ..Conditions::default()
                };
                if when.is_empty() && units.is_empty() {
                    when.priorities = vec![Priority::Urgent];
                }
                units.sort();
                (when, units, policy.to_owned())
            },
        )
}

fn req() -> impl Strategy<Value = (RequestContent, UnitCode)> {
    (
        proptest::sample::select(RequestKind::ALL.to_vec()),
        proptest::sample::select(Channel::ALL.to_vec()),
        proptest::sample::select(vec![Priority::Normal, Priority::Urgent]),
        proptest::sample::select(CATS),
        proptest::sample::select(UNITS),
    )
        .prop_map(|(k, ch, p, cat, u)| {
            let mut n = fixtures::new_request("kuzguncuk");
            n.kind = k;
            n.channel = ch;
            n.priority = Some(p);
            n.category = cat.into();
            (n.validate(&org(), fixtures::t0()).unwrap(), unit(u))
        })
}

/// The reference: does rule `r` take this request (every listed condition holds)?
fn naive(r: &PolicyRuleSpec, c: &RequestContent, u: &UnitCode, o: &Organisation) -> bool {
    let w = &r.when;
    (w.kinds.is_empty() || w.kinds.contains(&c.kind))
        && (w.channels.is_empty() || w.channels.contains(&c.channel))
        && (w.priorities.is_empty() || w.priorities.contains(&c.priority))
        && (w.categories.is_empty() || w.categories.contains(&c.category))
        && (r.units.is_empty() || r.units.iter().any(|x| o.is_within(u, &unit(x))))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Same request, same rules: same policy and explanation; the explanation names the
    /// rule the first-match search picks, every earlier rule is listed as not matching
    /// (and indeed does not), and the chosen rule matches.
    #[test]
    fn policy_rules_are_deterministic_and_explainable(
        specs in proptest::collection::vec(rule_spec(), 0..8),
        (c, u) in req(),
    ) {
        let o = org();
        let specs: Vec<PolicyRuleSpec> = specs
            .into_iter()
            .enumerate()
            .map(|(i, (when, units, policy))| {
                let mut r = PolicyRuleSpec::new(format!("r{i}"), when, policy);
                r.units = units;
                r.line = i + 1;
                r
            })
            .collect();
        let (rules, _) = PolicyRules::compile(&specs, &o, &PolicyRegistry::builtin()).unwrap();
        let a = rules.choose(&c, &u);
        let (again, _) = PolicyRules::compile(&specs, &o, &PolicyRegistry::builtin()).unwrap();
        prop_assert_eq!(&a, &rules.choose(&c, &u));
        prop_assert_eq!(&a, &again.choose(&c, &u));
        let first = specs.iter().position(|r| naive(r, &c, &u, &o));
        match first {
            Some(i) => {
                prop_assert_eq!(&a.rule, &specs[i].name);
                prop_assert_eq!(&a.policy, &specs[i].policy);
                prop_assert_eq!(a.explanation.applied.line, specs[i].line);
                prop_assert!(!a.explanation.applied.fallback);
                prop_assert_eq!(a.explanation.tried.len(), i);
            }
            None => {
                prop_assert_eq!(a.rule.as_str(), DEFAULT_POLICY_RULE);
                prop_assert_eq!(a.policy.as_str(), "genelge-2015-8");
                prop_assert!(a.explanation.applied.fallback);
                prop_assert_eq!(a.explanation.tried.len(), specs.len());
            }
        }
        for (t, r) in a.explanation.tried.iter().zip(&specs) {
            prop_assert_eq!(&t.rule, &r.name);
            let no_match = matches!(t.outcome, AttemptOutcome::NoMatch { .. });
            prop_assert!(no_match);
            prop_assert!(!naive(r, &c, &u, &o));
        }
    }
}

/// Policy rules that no longer fit the organisation never stop submissions, and never
/// silently: the context says why and the warning hook hears it; requests get the default.
#[tokio::test]
async fn policy_rules_that_no_longer_fit_fall_back_to_the_default_and_say_why() {
    let warnings = std::sync::Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let heard = warnings.clone();
    let mbs = Mbs::new(
        MemoryStore::default(),
        ManualClock::new(fixtures::t0()),
        SeededRandom::new(5),
    )
    .on_warning(move |w| heard.lock().unwrap().push(w.to_string()));
    let o = org();
    let t = o.tenant.id.clone();
    mbs.install_organisation(&Actor::system(t.clone()), o.clone())
        .await
        .unwrap();
    let text =
        "[[policy_rule]]\nname = \"budama\"\ncategory = \"budama\"\npolicy = \"dilekce-3071\"\n";
    mbs.install_settings(&actor(&t, "admin"), text)
        .await
        .unwrap();
    let mut smaller = o.clone();
    smaller.categories.retain(|c| c.code != "budama");
    mbs.install_organisation(&actor(&t, "admin"), smaller)
        .await
        .unwrap();
    let ctx = mbs.context(&t).await.unwrap();
    let problem = ctx.policy_rules_problem.as_ref().unwrap().to_string();
    assert!(problem.contains("unknown category \"budama\""), "{problem}");
    assert!(ctx.policy_rules.is_empty());
    let w = warnings.lock().unwrap().join("\n");
    assert!(
        w.contains("policy rules of settings version 1 do not validate"),
        "{w}"
    );
    let rec = mbs
        .submit(
            &actor(&t, "muhtar:kuzguncuk"),
            fixtures::new_request("kuzguncuk"),
        )
        .await
        .unwrap();
    assert_eq!(
        (rec.state.policy.as_str(), rec.state.policy_rule.as_str()),
        ("genelge-2015-8", "default")
    );
}

/// The example settings list every setting commented out with its default; each of
/// them, uncommented, is a valid setting (the example cannot drift from the parser).
#[test]
fn every_commented_setting_of_the_example_settings_parses_when_uncommented() {
    let uncommented: String = SETTINGS
        .lines()
        .map(|l| match l.strip_prefix("# ") {
            Some(rest)
                if rest.starts_with('[')
                    || rest.starts_with(' ')
                    || rest.split_once(" = ").is_some_and(|(k, _)| {
                        k.chars().all(|c| c.is_ascii_lowercase() || c == '_')
                    }) =>
            {
                rest
            }
            _ => l,
        })
        .collect::<Vec<_>>()
        .join("\n");
    let s = TenantSettings::from_toml_str(&uncommented).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(s.received_at_window_days, Some(30));
    assert!(s.quiet_hours.is_some() && s.sms.is_some());
    assert!(!s.open311.private_reads);
    assert_eq!(s.templates.kinds.len(), 1);
    assert_eq!(s.policy.len(), 1);
    assert_eq!(s.policy_rules.len(), 3);
    assert_eq!(s.documents.auto_register, [Channel::Petition]);
    assert_eq!(s.documents.keys.len(), 1);
    assert_eq!(s.documents.sdp_of("diger").as_str(), "010");
    assert_eq!(s.documents.sdp_of("asfalt-onarim").as_str(), "754.01");
    let policies = s.policies().unwrap();
    assert!(policies.get("ivedi-5-is-gunu").is_ok());
    let (_, warnings) = s.policy_rules(&org()).unwrap();
    assert!(warnings.is_empty(), "{warnings:?}");
    // Commented or not, the same defaults.
    let plain = TenantSettings::from_toml_str(SETTINGS).unwrap();
    assert_eq!(plain.received_at_window_days(), s.received_at_window_days());
}
