//! The overdue and at-risk listings (`Mbs::list_overdue`, `Mbs::list_at_risk`, issue
//! 18): given/when/then on one request's life, and properties over random sets of
//! requests (policies, priorities, fates, receipt times, page sizes), through the
//! service façade over the in-memory store with a manual clock.

use std::collections::BTreeSet;

use chrono::{DateTime, Duration, TimeZone, Utc};
use muhtar_core::prelude::*;
use muhtar_core::reason::ReasonCode;
use muhtar_core::request::{PauseReason, Priority};
use muhtar_core::sla::ClockState;
use muhtar_core::store::{Cursor, Order, Page, Position, RequestRecord};
use muhtar_core::testkit::{block_on, fixtures, MemoryStore};
use proptest::prelude::*;

type Svc = Mbs<MemoryStore, ManualClock>;

async fn setup() -> (Svc, TenantId) {
    fixtures::service("due", 3).await
}

fn actor(t: &TenantId, s: &str) -> Actor {
    Actor::parse(t, s).unwrap()
}

/// Which listing.
#[derive(Debug, Clone, Copy)]
enum Due {
    Overdue,
    AtRisk,
}

/// Every page of a listing with pages of `limit`, in order.
async fn all_pages(mbs: &Svc, who: &Actor, due: Due, limit: u32) -> Vec<RequestRecord> {
    let mut q = RequestQuery {
        order: Order::Deadline,
        limit,
        ..RequestQuery::default()
    };
    let mut out = Vec::new();
    for _ in 0..1000 {
        let page: Page<RequestRecord> = match due {
            Due::Overdue => mbs.list_overdue(who, q.clone()).await,
            Due::AtRisk => mbs.list_at_risk(who, q.clone()).await,
        }
        .unwrap();
        assert!(
            page.items.len() <= limit as usize,
            "a page holds at most its limit"
        );
        out.extend(page.items);
        match page.next {
            Some(c) => q.after = Some(c),
            None => return out,
        }
    }
    panic!("the listing does not end");
}

fn trackings(rs: &[RequestRecord]) -> BTreeSet<TrackingNumber> {
    rs.iter().map(|r| r.state.tracking).collect()
}

async fn listed(mbs: &Svc, who: &Actor) -> (BTreeSet<TrackingNumber>, BTreeSet<TrackingNumber>) {
    (
        trackings(&all_pages(mbs, who, Due::Overdue, 50).await),
        trackings(&all_pages(mbs, who, Due::AtRisk, 50).await),
    )
}

#[tokio::test]
async fn a_request_runs_then_is_at_risk_then_overdue_and_once_answered_is_neither() {
    // Given a request received on 2025-03-14 under Genelge 2015/8: due 2025-04-02 17:30
    // (docs/domain.md's worked example), at risk from three working days before.
    let (mbs, t) = setup().await;
    let coord = actor(&t, "coordinator");
    let rec = mbs
        .submit(
            &actor(&t, "muhtar:kuzguncuk"),
            fixtures::new_request("kuzguncuk"),
        )
        .await
        .unwrap();
    let tr = rec.state.tracking;
    let clocks = mbs.deadline(&coord, &tr).await.unwrap();
    let due = clocks.resolution.due.with_timezone(&Utc);
    assert_eq!(due, Utc.with_ymd_and_hms(2025, 4, 2, 14, 30, 0).unwrap());
    let from = clocks.resolution.at_risk_from.unwrap().with_timezone(&Utc);
    let none = BTreeSet::new();
    let just = BTreeSet::from([tr]);

    // When the clock is before the warning window: in neither listing.
    mbs.clock().set(from - Duration::hours(1));
    assert_eq!(listed(&mbs, &coord).await, (none.clone(), none.clone()));
    // When it enters the window: at risk.
    mbs.clock().set(from + Duration::hours(1));
    assert_eq!(listed(&mbs, &coord).await, (none.clone(), just.clone()));
    // Until the deadline itself.
    mbs.clock().set(due);
    assert_eq!(listed(&mbs, &coord).await, (none.clone(), just.clone()));
    // When the deadline has passed: overdue, no longer at risk.
    mbs.clock().set(due + Duration::minutes(1));
    assert_eq!(listed(&mbs, &coord).await, (just.clone(), none.clone()));
    // The muhtar sees their own; another muhtar does not.
    assert_eq!(
        listed(&mbs, &actor(&t, "muhtar:kuzguncuk")).await,
        (just.clone(), none.clone())
    );
    assert_eq!(
        listed(&mbs, &actor(&t, "muhtar:cengelkoy")).await,
        (none.clone(), none.clone())
    );
    // When it is answered, late: in neither.
    mbs.execute(
        &coord,
        &tr,
        None,
        Command::Answer {
            outcome: Outcome::Positive,
            reason: None,
            reason_text: None,
            text: "Yapıldı".into(),
        },
    )
    .await
    .unwrap();
    assert_eq!(listed(&mbs, &coord).await, (none.clone(), none));
}

#[tokio::test]
async fn a_tenant_whose_policies_have_no_window_has_nothing_at_risk() {
    // Given every policy without a warning window.
    let (mbs, t) = setup().await;
    let admin = actor(&t, "admin");
    let mut settings = String::new();
    for (name, len, unit) in [
        ("genelge-2015-8", 15, "calendar"),
        ("belediye-15-is-gunu", 15, "business"),
        ("dilekce-3071", 30, "calendar"),
        ("bilgi-edinme-4982", 15, "business"),
    ] {
        settings.push_str(&format!(
            "[[policy]]\nname = \"{name}\"\nlength = {len}\nunit = \"{unit}\"\nat_risk_working_days = 0\n\n"
        ));
    }
    mbs.install_settings(&admin, &settings).await.unwrap();
    let coord = actor(&t, "coordinator");
    let rec = mbs
        .submit(&coord, fixtures::new_request("kuzguncuk"))
        .await
        .unwrap();
    // When the deadline is an hour away.
    let due = rec.deadlines.resolution_due.unwrap();
    mbs.clock().set(due - Duration::hours(1));
    // Then it is neither at risk nor overdue; the listing is still authorized.
    let clocks = mbs.deadline(&coord, &rec.state.tracking).await.unwrap();
    assert_eq!(clocks.resolution.state, ClockState::Running);
    assert_eq!(
        listed(&mbs, &coord).await,
        (BTreeSet::new(), BTreeSet::new())
    );
    assert!(matches!(
        mbs.list_at_risk(&Actor::public(t.clone()), RequestQuery::default())
            .await,
        Err(ServiceError::Forbidden(_))
    ));
}

/// What becomes of a random request before the listing is read.
#[derive(Debug, Clone, Copy)]
enum Fate {
    Open,
    Paused,
    Answered,
    Closed,
    Withdrawn,
}

#[derive(Debug, Clone)]
struct Req {
    hours_back: i64,
    muhtarlik: &'static str,
    urgent: bool,
    policy: &'static str,
    fate: Fate,
}

fn arb_req() -> impl Strategy<Value = Req> {
    let policy = prop::sample::select(vec![
        "genelge-2015-8",
        "belediye-15-is-gunu",
        "dilekce-3071",
        "bilgi-edinme-4982",
    ]);
    // Received any time in the last 40 days, or often in the days before its policy's
    // deadline (15 days, 15 working days, 30 days).
    let received = policy.prop_flat_map(|p| {
        let (lo, hi) = match p {
            "genelge-2015-8" => (11i64, 16i64),
            "dilekce-3071" => (26, 31),
            _ => (17, 24),
        };
        (Just(p), prop_oneof![0i64..40 * 24, lo * 24..hi * 24])
    });
    (
        received,
        prop::sample::select(vec!["kuzguncuk", "cengelkoy", "beylerbeyi"]),
        prop::bool::weighted(0.3),
        prop_oneof![
            4 => Just(Fate::Open),
            1 => Just(Fate::Paused),
            1 => Just(Fate::Answered),
            1 => Just(Fate::Closed),
            1 => Just(Fate::Withdrawn),
        ],
    )
        .prop_map(|((policy, hours_back), muhtarlik, urgent, fate)| Req {
            hours_back,
            muhtarlik,
            urgent,
            policy,
            fate,
        })
}

async fn given(mbs: &Svc, t: &TenantId, now: DateTime<Utc>, reqs: &[Req]) {
    let coord = actor(t, "coordinator");
    for r in reqs {
        let at = now - Duration::hours(r.hours_back);
        mbs.clock().set(at);
        let muhtar = actor(t, &format!("muhtar:{}", r.muhtarlik));
        let mut new = fixtures::new_request(r.muhtarlik);
        if r.urgent {
            new.priority = Some(Priority::Urgent);
        }
        let tr = mbs.submit(&muhtar, new).await.unwrap().state.tracking;
        mbs.clock()
            .set(at + Duration::minutes(r.hours_back.min(60)));
        let run = |who: &Actor, cmd: Command| {
            let who = who.clone();
            async move { mbs.execute(&who, &tr, None, cmd).await.unwrap() }
        };
        if r.policy != "genelge-2015-8" {
            run(
                &coord,
                Command::SetPolicy {
                    policy: r.policy.into(),
                    reason: "Kural".into(),
                },
            )
            .await;
        }
        let answer = || Command::Answer {
            outcome: Outcome::Negative,
            reason: Some(ReasonCode::new("no-budget")),
            reason_text: None,
            text: "Ödenek yok".into(),
        };
        match r.fate {
            Fate::Open => {}
            Fate::Paused => {
                run(
                    &coord,
                    Command::Pause {
                        reason: PauseReason::Muhtar,
                        note: "Adres?".into(),
                    },
                )
                .await;
            }
            Fate::Answered => {
                run(&coord, answer()).await;
            }
            Fate::Closed => {
                run(&coord, answer()).await;
                run(&coord, Command::Close).await;
            }
            Fate::Withdrawn => {
                run(
                    &muhtar,
                    Command::Withdraw {
                        reason: "Gerek kalmadı".into(),
                    },
                )
                .await;
            }
        }
    }
    mbs.clock().set(now);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(40))]

    /// Over any requests at any moment: the overdue listing is exactly the open
    /// requests past their deadline, the at-risk listing exactly the open ones not past
    /// it whose clock is in its warning window (checked against each clock's own
    /// evaluation); the two never meet; answered, closed and withdrawn requests are in
    /// neither; pages of any size list each request once, in the order asked, and a
    /// muhtar gets the part of them that is theirs.
    #[test]
    fn overdue_and_at_risk_are_exact_disjoint_and_open(
        reqs in proptest::collection::vec(arb_req(), 1..12),
        days in 0i64..400,
        minute in 0i64..24 * 60,
        limit in 1u32..5,
    ) {
        block_on(async {
            let (mbs, t) = setup().await;
            let now = fixtures::t0() + Duration::days(days) + Duration::minutes(minute);
            given(&mbs, &t, now, &reqs).await;
            let coord = actor(&t, "coordinator");

            // Each request, with its clocks evaluated now.
            let all = mbs.list(&coord, RequestQuery { limit: 1000, ..RequestQuery::default() })
                .await.unwrap().items;
            prop_assert_eq!(all.len(), reqs.len());
            let mut want_overdue = BTreeSet::new();
            let mut want_at_risk = BTreeSet::new();
            for r in &all {
                let open = r.state.status.is_open();
                let due = r.deadlines.resolution_due.unwrap();
                if open && due < now {
                    want_overdue.insert(r.state.tracking);
                }
                let clocks = mbs.deadline(&coord, &r.state.tracking).await.unwrap();
                if open && due >= now && clocks.resolution.state == ClockState::AtRisk {
                    want_at_risk.insert(r.state.tracking);
                    let from = clocks.resolution.at_risk_from.unwrap().with_timezone(&Utc);
                    prop_assert!(from <= now && now <= clocks.resolution.due.with_timezone(&Utc));
                }
            }

            for (due, want) in [(Due::Overdue, &want_overdue), (Due::AtRisk, &want_at_risk)] {
                let got = all_pages(&mbs, &coord, due, limit).await;
                let set = trackings(&got);
                prop_assert_eq!(set.len(), got.len(), "{:?}: listed twice", due);
                prop_assert_eq!(&set, want, "{:?}", due);
                for w in got.windows(2) {
                    prop_assert_eq!(
                        Order::Deadline.compare(
                            &Position::of(&w[0], Order::Deadline),
                            &Position::of(&w[1], Order::Deadline),
                        ),
                        std::cmp::Ordering::Less,
                        "{:?}: out of order", due
                    );
                }
                for r in &got {
                    prop_assert!(r.state.status.is_open(), "{:?}: {:?} listed", due, r.state.status);
                }
                // A muhtar: their own part.
                let m = actor(&t, "muhtar:kuzguncuk");
                let mine: BTreeSet<_> = all
                    .iter()
                    .filter(|r| r.state.content.muhtarlik.as_str() == "kuzguncuk"
                        && want.contains(&r.state.tracking))
                    .map(|r| r.state.tracking)
                    .collect();
                prop_assert_eq!(trackings(&all_pages(&mbs, &m, due, limit).await), mine);
            }
            prop_assert!(want_overdue.is_disjoint(&want_at_risk));
            Ok(())
        })?;
    }
}

/// A page's `next` continues after its last item: the cursor the store would give.
#[tokio::test]
async fn an_at_risk_page_continues_after_its_last_item() {
    let (mbs, t) = setup().await;
    let coord = actor(&t, "coordinator");
    for _ in 0..3 {
        mbs.submit(&coord, fixtures::new_request("kuzguncuk"))
            .await
            .unwrap();
    }
    let due = mbs
        .list(&coord, RequestQuery::default())
        .await
        .unwrap()
        .items[0]
        .deadlines
        .resolution_due
        .unwrap();
    mbs.clock().set(due - Duration::hours(2));
    let q = RequestQuery {
        limit: 2,
        ..RequestQuery::default()
    };
    let p1 = mbs.list_at_risk(&coord, q.clone()).await.unwrap();
    assert_eq!(p1.items.len(), 2);
    assert_eq!(p1.next, Some(Cursor::after(&p1.items[1], Order::Deadline)));
    let p2 = mbs
        .list_at_risk(
            &coord,
            RequestQuery {
                after: p1.next,
                ..q
            },
        )
        .await
        .unwrap();
    assert_eq!(p2.items.len(), 1);
    assert_eq!(p2.next, None);
}
