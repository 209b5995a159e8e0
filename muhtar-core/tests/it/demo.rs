//! The demo data (`muhtar_core::demo`): the plan is reproducible and valid against the
//! example organisation (`examples/data/org.toml`), and running it through the service
//! writes what it says.

use std::collections::HashMap;

use chrono::{Duration, NaiveDate, TimeZone, Utc};
use muhtar_core::access::{Actor, Role};
use muhtar_core::clock::ManualClock;
use muhtar_core::demo::{location_box, photos, plan, run, DemoActor, DemoRequest, DemoSpec};
use muhtar_core::org::Organisation;
use muhtar_core::outbox::OutboxStatus;
use muhtar_core::request::{Channel, Command, Outcome, Status};
use muhtar_core::service::Mbs;
use muhtar_core::store::OutboxStore;
use muhtar_core::store::{RequestQuery, RequestRecord, RequestStore};
use muhtar_core::testkit::MemoryStore;
use proptest::prelude::*;

const RULES: &str = include_str!("../../../examples/data/rules.toml");
const SETTINGS: &str = include_str!("../../../examples/data/settings.toml");

fn org() -> Organisation {
    crate::example_org()
}

fn spec(seed: u64, requests: usize) -> DemoSpec {
    DemoSpec {
        seed,
        requests,
        until: NaiveDate::from_ymd_opt(2026, 6, 30).unwrap(),
        now: None,
    }
}

#[test]
fn the_same_seed_gives_the_same_requests_and_another_seed_others() {
    let org = org();
    let a = plan(&org, &spec(7, 200));
    assert_eq!(a, plan(&org, &spec(7, 200)));
    let b = plan(&org, &spec(8, 200));
    assert_ne!(a, b);
    let subjects = |p: &[DemoRequest]| -> Vec<String> {
        p.iter().map(|r| r.request.subject.clone()).collect()
    };
    assert_ne!(subjects(&a), subjects(&b));
    // Another end date moves the whole year.
    let mut later = spec(7, 200);
    later.until = NaiveDate::from_ymd_opt(2026, 9, 30).unwrap();
    let c = plan(&org, &later);
    assert!(c.iter().all(|r| r.entered_at >= later.start()));
    assert!(c.iter().any(|r| r.entered_at > spec(7, 200).end()));
}

#[test]
fn every_planned_request_is_valid_against_the_example_organisation() {
    let org = org();
    let s = spec(42, 500);
    let requests = plan(&org, &s);
    assert_eq!(requests.len(), 500);
    let mut previous = s.start();
    let mut by_muhtarlik: HashMap<String, usize> = HashMap::new();
    let (mut back_office, mut steps) = (0, 0);
    for r in &requests {
        let n = &r.request;
        if let Err(e) = n.validate(&org, r.entered_at) {
            panic!("{e}: {n:?}");
        }
        let received = n.received_at.unwrap_or(r.entered_at);
        assert!(received >= previous, "in the order received");
        previous = received;
        assert!(r.entered_at <= s.end());
        assert_eq!(r.submitter.tenant, org.tenant.id);
        match &r.submitter.role {
            Role::Muhtar(m) => {
                assert_eq!(m, &n.muhtarlik);
                assert_eq!(n.received_at, None, "only the back office dates a receipt");
            }
            Role::Coordinator => {
                back_office += 1;
                let received = n.received_at.expect("the back office dates the receipt");
                assert!(received < r.entered_at && received >= s.start());
                assert!(!matches!(n.channel, Channel::MbsWeb | Channel::MobileApp));
            }
            other => panic!("submitted by {other:?}"),
        }
        assert_eq!(
            n.registration_number.is_some(),
            n.channel == Channel::Petition
        );
        *by_muhtarlik.entry(n.muhtarlik.to_string()).or_default() += 1;
        let mut at = r.entered_at;
        for step in &r.steps {
            assert!(step.at > at && step.at <= s.end(), "{r:?}");
            at = step.at;
            steps += 1;
            match &step.command {
                Command::Transfer { to, .. } => {
                    assert!(org.units.iter().any(|u| &u.code == to && u.active))
                }
                Command::Answer {
                    outcome: Outcome::Negative,
                    reason,
                    reason_text,
                    ..
                } => {
                    let reason = reason.as_ref().expect("a negative answer has a reason");
                    if let Err(e) = reason.check(&org, reason_text.as_deref()) {
                        panic!("{reason:?}: {e}");
                    }
                }
                Command::Withdraw { .. } | Command::Resume { .. } => {
                    assert_eq!(step.by, DemoActor::Muhtar)
                }
                _ => assert_eq!(step.by, DemoActor::UnitStaff),
            }
        }
    }
    // Both ways in, a skewed spread over many muhtarlıklar, and commands after receipt.
    assert!(
        back_office > 50 && back_office < requests.len() / 2,
        "{back_office}"
    );
    assert!(by_muhtarlik.len() > 10, "{by_muhtarlik:?}");
    let first = org.muhtarliklar.iter().find(|m| m.active).unwrap();
    let most = by_muhtarlik.values().max().unwrap();
    assert_eq!(by_muhtarlik[first.code.as_str()], *most);
    assert!(steps > requests.len(), "{steps}");
}

#[test]
fn an_organisation_without_the_demo_categories_gets_requests_in_its_own() {
    let org = muhtar_core::testkit::fixtures::organisation("t1");
    let requests = plan(&org, &spec(3, 40));
    assert!(!requests.is_empty());
    for r in &requests {
        r.request.validate(&org, r.entered_at).unwrap();
    }
}

/// Every request of the tenant, in a stable order.
async fn records(store: &MemoryStore, org: &Organisation) -> Vec<RequestRecord> {
    let mut all = Vec::new();
    let mut q = RequestQuery {
        limit: 1000,
        ..RequestQuery::default()
    };
    loop {
        let page = store.query(&org.tenant.id, &q).await.unwrap();
        all.extend(page.items);
        match page.next {
            Some(c) => q.after = Some(c),
            None => break,
        }
    }
    all.sort_by_key(|r| r.state.tracking.to_string());
    all
}

/// Runs the demo on a fresh in-memory store with the example organisation, rules and
/// settings.
async fn demo(s: &DemoSpec) -> (muhtar_core::demo::DemoSummary, Vec<RequestRecord>) {
    let org = org();
    let mbs = Mbs::new(
        MemoryStore::default(),
        ManualClock::new(s.start()),
        muhtar_core::ids::SeededRandom::new(s.seed),
    );
    let admin = Actor::new(org.tenant.id.clone(), "admin", Role::Administrator);
    mbs.install_organisation(&Actor::system(org.tenant.id.clone()), org.clone())
        .await
        .unwrap();
    mbs.install_rules(&admin, RULES).await.unwrap();
    mbs.install_settings(&admin, SETTINGS).await.unwrap();
    let mut seen = Vec::new();
    let summary = run(&mbs, &org.tenant.id, s, |done, total| {
        seen.push((done, total))
    })
    .await
    .unwrap();
    let n = summary.requests;
    assert_eq!(seen.len(), n);
    assert_eq!(seen.last(), Some(&(n, n)));
    (summary, records(mbs.store(), &org).await)
}

#[tokio::test]
async fn running_the_plan_writes_it_through_the_service_the_same_every_time() {
    let s = spec(11, 150);
    let planned = plan(&org(), &s);
    let (summary, stored) = demo(&s).await;
    assert_eq!(summary.requests, planned.len());
    assert_eq!(stored.len(), planned.len());
    assert_eq!(
        summary.positive + summary.negative + summary.open,
        summary.requests
    );
    assert!(summary.positive > 0 && summary.negative > 0 && summary.open > 0);
    let open = stored.iter().filter(|r| r.state.status.is_open()).count();
    assert_eq!(open, summary.open);
    let positive = stored
        .iter()
        .filter(|r| r.state.outcome == Some(Outcome::Positive))
        .count();
    assert_eq!(positive, summary.positive);
    assert!(stored.iter().any(|r| r.state.status == Status::Closed));
    // Every command but skipped transfers ran.
    let planned_steps: usize = planned.iter().map(|r| r.steps.len()).sum();
    assert!(summary.commands <= planned_steps && summary.commands > planned_steps * 9 / 10);
    // The same seed on another store: the same data.
    let (again, stored_again) = demo(&s).await;
    assert_eq!(again, summary);
    assert_eq!(stored_again, stored);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    /// Whatever the size, seed and time of day the demo runs at: exactly the requests
    /// asked for, none received (or acted on) after the demo's clock, every location
    /// inside its muhtarlık's boundary, every photo one of the demo's.
    #[test]
    fn the_plan_has_exactly_n_requests_before_now_placed_in_their_muhtarlik(
        n in 1usize..150,
        seed in any::<u64>(),
        minutes in 0i64..(24 * 60),
    ) {
        let org = org();
        let now = Utc.with_ymd_and_hms(2026, 6, 29, 21, 0, 0).unwrap() + Duration::minutes(minutes);
        let s = DemoSpec { now: Some(now), ..spec(seed, n) };
        let requests = plan(&org, &s);
        prop_assert_eq!(requests.len(), n);
        let shipped: Vec<_> = photos().into_iter().map(|p| p.attachment).collect();
        for r in &requests {
            let received = r.request.received_at.unwrap_or(r.entered_at);
            prop_assert!(received <= now && r.entered_at <= now);
            prop_assert!(r.steps.iter().all(|x| x.at <= now));
            let m = org.muhtarlik(&r.request.muhtarlik).unwrap();
            if let Some(l) = &r.request.location {
                prop_assert_eq!(org.boundaries.contains(&m.code, l.lon, l.lat), Some(true),
                    "{:?} outside {}'s boundary", l, m.code);
            }
            for a in &r.request.attachments {
                prop_assert!(shipped.contains(a));
            }
        }
    }
}

#[test]
fn without_boundaries_demo_locations_lie_around_the_centre() {
    let mut org = org();
    org.boundaries = Default::default();
    let requests = plan(&org, &spec(7, 200));
    let mut placed = 0;
    for r in &requests {
        let m = org.muhtarlik(&r.request.muhtarlik).unwrap();
        if let Some(l) = &r.request.location {
            placed += 1;
            let (south, north, west, east) = location_box(m.centre.unwrap());
            assert!(
                south <= l.lat && l.lat <= north && west <= l.lon && l.lon <= east,
                "{l:?} outside {}",
                m.code
            );
        }
    }
    assert!(placed > 100, "{placed}");
}

#[test]
fn most_demo_requests_are_placed_and_a_few_have_photos() {
    let requests = plan(&org(), &spec(42, 500));
    let placed = requests
        .iter()
        .filter(|r| r.request.location.is_some())
        .count();
    let photos = requests
        .iter()
        .filter(|r| !r.request.attachments.is_empty())
        .count();
    assert!(placed > 300, "{placed}");
    assert!((5..60).contains(&photos), "{photos}");
}

#[tokio::test]
async fn the_notices_of_the_demos_past_are_recorded_as_delivered() {
    let s = spec(5, 60);
    let org = org();
    let mbs = Mbs::new(
        MemoryStore::default(),
        ManualClock::new(s.start()),
        muhtar_core::ids::SeededRandom::new(s.seed),
    );
    let admin = Actor::new(org.tenant.id.clone(), "admin", Role::Administrator);
    mbs.install_organisation(&Actor::system(org.tenant.id.clone()), org.clone())
        .await
        .unwrap();
    mbs.install_rules(&admin, RULES).await.unwrap();
    let summary = run(&mbs, &org.tenant.id, &s, |_, _| {}).await.unwrap();
    let outbox = mbs.store().outbox(&org.tenant.id, None).await.unwrap();
    assert!(
        outbox.len() > 100 && summary.notices == outbox.len(),
        "{summary:?}"
    );
    assert!(outbox.iter().all(|e| e.status == OutboxStatus::Sent
        && e.sent_at
            .is_some_and(|t| t <= s.end() && t >= e.message.created_at)));
    // Nothing is due: a sweep afterwards queues nothing new from the past.
    assert_eq!(mbs.sweep(&org.tenant.id).await.unwrap().queued, 0);
}
