//! The service façade over the in-memory store: validation, authorization, fold and one
//! commit per command.

use chrono::Duration;
use muhtar_core::ids::{RandomSource, SeededRandom};
use muhtar_core::outbox::{DeliveryChannel, NoticeKind};
use muhtar_core::prelude::*;
use muhtar_core::request::InputError;
use muhtar_core::store::{ConfigStore, OutboxStore, RequestStore};
use muhtar_core::testkit::{fixtures, MemoryStore};

type Svc = Mbs<MemoryStore, ManualClock>;

async fn setup() -> (Svc, TenantId) {
    let mbs = Mbs::new(
        MemoryStore::default(),
        ManualClock::new(fixtures::t0()),
        SeededRandom::new(1),
    );
    let org = fixtures::organisation("svc");
    let t = org.tenant.id.clone();
    mbs.install_organisation(&Actor::system(t.clone()), org)
        .await
        .unwrap();
    (mbs, t)
}

fn actor(t: &TenantId, s: &str) -> Actor {
    Actor::parse(t, s).unwrap()
}

#[tokio::test]
async fn submit_routes_records_events_and_queues_notices_together() {
    let (mbs, t) = setup().await;
    let rec = mbs
        .submit(
            &actor(&t, "muhtar:kuzguncuk"),
            fixtures::new_request("kuzguncuk"),
        )
        .await
        .unwrap();
    assert_eq!(rec.state.status, Status::Routed);
    assert_eq!(
        rec.state.unit.as_ref().map(|u| u.as_str()),
        Some("muhtarliklar")
    );
    assert_eq!(rec.state.version, 2);
    let events = mbs.store().events(&t, rec.state.id).await.unwrap();
    assert_eq!(
        events.iter().map(|e| e.kind.name()).collect::<Vec<_>>(),
        ["received", "routed"]
    );
    let outbox = mbs.store().outbox(&t, Some(rec.state.id)).await.unwrap();
    let kinds: Vec<_> = outbox
        .iter()
        .map(|e| {
            (
                e.message.kind,
                e.message.channel,
                e.message.recipient.as_str(),
            )
        })
        .collect();
    assert!(
        kinds.contains(&(
            NoticeKind::Received,
            DeliveryChannel::Email,
            "ali.demir@muhtar.example"
        )),
        "{kinds:?}"
    );
    assert!(
        kinds.contains(&(NoticeKind::Received, DeliveryChannel::Sms, "+905321112233")),
        "{kinds:?}"
    );
    assert!(
        kinds.contains(&(
            NoticeKind::NewInQueue,
            DeliveryChannel::Email,
            "muhtarliklar@ornek.bel.tr"
        )),
        "{kinds:?}"
    );
    assert_eq!(
        outbox[0].message.payload.request().unwrap().tracking,
        rec.state.tracking.to_string()
    );
}

#[tokio::test]
async fn bad_input_is_refused_and_nothing_is_written() {
    let (mbs, t) = setup().await;
    let muhtar = actor(&t, "muhtar:kuzguncuk");
    let mut r = fixtures::new_request("kuzguncuk");
    r.subject = "   ".into();
    assert!(matches!(
        mbs.submit(&muhtar, r).await,
        Err(ServiceError::Input(InputError::Empty { field: "subject" }))
    ));
    let mut r = fixtures::new_request("kuzguncuk");
    r.category = "uydurma".into();
    assert!(matches!(
        mbs.submit(&muhtar, r).await,
        Err(ServiceError::Input(InputError::Unknown {
            field: "category",
            ..
        }))
    ));
    let mut r = fixtures::new_request("kuzguncuk");
    r.location = Some(muhtar_core::request::Location {
        lat: 51.5,
        lon: -0.1,
    });
    assert!(matches!(
        mbs.submit(&muhtar, r).await,
        Err(ServiceError::Input(InputError::OutsideTurkey {
            field: "location.lat",
            ..
        }))
    ));
    let page = mbs
        .list(&actor(&t, "coordinator"), RequestQuery::default())
        .await
        .unwrap();
    assert!(page.items.is_empty());
    assert!(mbs.store().outbox(&t, None).await.unwrap().is_empty());
}

#[tokio::test]
async fn muhtars_cannot_submit_for_or_see_another_muhtarlik() {
    let (mbs, t) = setup().await;
    let kuz = actor(&t, "muhtar:kuzguncuk");
    let cen = actor(&t, "muhtar:cengelkoy");
    assert!(matches!(
        mbs.submit(&cen, fixtures::new_request("kuzguncuk")).await,
        Err(ServiceError::Forbidden(_))
    ));
    let rec = mbs
        .submit(&kuz, fixtures::new_request("kuzguncuk"))
        .await
        .unwrap();
    let tr = rec.state.tracking;
    assert!(matches!(
        mbs.get(&cen, &tr).await,
        Err(ServiceError::NotFound(_))
    ));
    assert!(matches!(
        mbs.execute(
            &cen,
            &tr,
            None,
            Command::Withdraw {
                reason: String::new()
            }
        )
        .await,
        Err(ServiceError::NotFound(_))
    ));
    assert!(mbs
        .list(&cen, RequestQuery::default())
        .await
        .unwrap()
        .items
        .is_empty());
    assert_eq!(
        mbs.list(&kuz, RequestQuery::default())
            .await
            .unwrap()
            .items
            .len(),
        1
    );
    // Another tenant's actor sees nothing, even with the right tracking number.
    let other = Mbs::new(
        MemoryStore::default(),
        ManualClock::new(fixtures::t0()),
        SeededRandom::new(2),
    );
    drop(other);
    let stranger = Actor::parse(&TenantId::new("baska").unwrap(), "coordinator").unwrap();
    assert!(mbs.get(&stranger, &tr).await.is_err());
}

#[tokio::test]
async fn staff_work_only_in_their_subtree_and_the_lifecycle_runs() {
    let (mbs, t) = setup().await;
    let rec = mbs
        .submit(
            &actor(&t, "muhtar:kuzguncuk"),
            fixtures::new_request("kuzguncuk"),
        )
        .await
        .unwrap();
    let tr = rec.state.tracking;
    let coord = actor(&t, "coordinator");
    let fen = actor(&t, "unit:fen-isleri");
    let asfalt = actor(&t, "unit:asfalt");
    let park = actor(&t, "unit:park-bahce");
    // The coordinator corrects the routing to a sub-unit of Fen İşleri.
    mbs.execute(
        &coord,
        &tr,
        None,
        Command::Reroute {
            to: "asfalt".parse().unwrap(),
            reason: "Asfalt işi".into(),
        },
    )
    .await
    .unwrap();
    assert!(matches!(
        mbs.get(&park, &tr).await,
        Err(ServiceError::NotFound(_))
    ));
    assert!(
        mbs.get(&fen, &tr).await.is_ok(),
        "parent unit sees its sub-unit's requests"
    );
    let r = mbs
        .execute(&asfalt, &tr, Some(3), Command::Accept)
        .await
        .unwrap();
    assert_eq!(r.state.status, Status::InProgress);
    // A stale version is a conflict, and nothing changes.
    assert!(matches!(
        mbs.execute(&asfalt, &tr, Some(3), Command::Accept).await,
        Err(ServiceError::Conflict {
            expected: 3,
            actual: 4
        })
    ));
    // A muhtar may not answer their own request.
    assert!(matches!(
        mbs.execute(
            &actor(&t, "muhtar:kuzguncuk"),
            &tr,
            None,
            Command::Answer {
                outcome: Outcome::Positive,
                reason: None,
                reason_text: None,
                text: "ok".into()
            }
        )
        .await,
        Err(ServiceError::Forbidden(_))
    ));
    mbs.clock().advance(Duration::days(3));
    let r = mbs
        .execute(
            &asfalt,
            &tr,
            None,
            Command::Answer {
                outcome: Outcome::Positive,
                reason: None,
                reason_text: None,
                text: "Yama yapıldı".into(),
            },
        )
        .await
        .unwrap();
    assert_eq!(r.state.outcome, Some(Outcome::Positive));
    let answered: Vec<_> = mbs
        .store()
        .outbox(&t, Some(r.state.id))
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.message.kind == NoticeKind::Answered)
        .collect();
    assert_eq!(answered.len(), 2, "e-mail and SMS to the muhtar");
    assert_eq!(
        answered[0]
            .message
            .payload
            .request()
            .unwrap()
            .answer
            .as_deref(),
        Some("Yama yapıldı")
    );
    // The muhtar reopens; the unit's queue shows it again.
    mbs.execute(
        &actor(&t, "muhtar:kuzguncuk"),
        &tr,
        None,
        Command::Reopen {
            reason: "Yine bozuldu".into(),
        },
    )
    .await
    .unwrap();
    let q = mbs
        .queue(&fen, &"fen-isleri".parse().unwrap(), 10, None)
        .await
        .unwrap();
    assert_eq!(q.items.len(), 1);
    assert!(matches!(
        mbs.queue(&park, &"fen-isleri".parse().unwrap(), 10, None)
            .await,
        Err(ServiceError::Forbidden(_))
    ));
    let history = mbs.history(&coord, &tr).await.unwrap();
    assert_eq!(history.len(), 6);
    assert_eq!(
        muhtar_core::request::RequestState::fold(&history).unwrap(),
        mbs.get(&coord, &tr).await.unwrap().state
    );
}

#[tokio::test]
async fn organisation_changes_need_an_administrator() {
    let (mbs, t) = setup().await;
    let org = fixtures::organisation("svc");
    assert!(matches!(
        mbs.install_organisation(&Actor::system(t.clone()), org.clone())
            .await,
        Err(ServiceError::Forbidden(_))
    ));
    assert!(matches!(
        mbs.install_organisation(&actor(&t, "coordinator"), org.clone())
            .await,
        Err(ServiceError::Forbidden(_))
    ));
    assert_eq!(
        mbs.install_organisation(&actor(&t, "admin"), org)
            .await
            .unwrap(),
        2
    );
    let unknown = Actor::parse(&TenantId::new("yok").unwrap(), "muhtar:kuzguncuk").unwrap();
    assert!(matches!(
        mbs.submit(&unknown, fixtures::new_request("kuzguncuk"))
            .await,
        Err(ServiceError::NotConfigured(_))
    ));
}

/// Sends pruning to Park ve Bahçeler.
const PARK_RULES: &str = r#"
version = "park"

[[rule]]
name = "budama-parka"
category = "budama"
target = "park-bahce"
"#;

/// The fixture organisation with Park ve Bahçeler active or not.
fn org_with_park(active: bool) -> Organisation {
    let mut org = fixtures::organisation("svc");
    for u in &mut org.units {
        if u.code.as_str() == "park-bahce" {
            u.active = active;
        }
    }
    org
}

fn pruning() -> NewRequest {
    fixtures::request_builder("kuzguncuk")
        .category("budama")
        .build()
}

/// An organisation under which the rule set in force would no longer validate is
/// refused (typed, naming the rule) and nothing changes; forced, it is installed and the
/// context says why routing falls back, with one warning per context built; rules that
/// fit clear it.
#[tokio::test]
async fn an_organisation_that_would_invalidate_the_rules_is_refused_unless_forced() {
    use muhtar_core::routing::{ProblemKind, RoutingError};
    use muhtar_core::service::ConfigWarning;
    use std::sync::{Arc, Mutex};
    let seen: Arc<Mutex<Vec<ConfigWarning>>> = Arc::default();
    let sink = seen.clone();
    let mbs = Mbs::new(
        MemoryStore::default(),
        ManualClock::new(fixtures::t0()),
        SeededRandom::new(1),
    )
    .on_warning(move |w| sink.lock().unwrap().push(w.clone()));
    let t = fixtures::tenant("svc");
    let admin = actor(&t, "admin");
    let muhtar = actor(&t, "muhtar:kuzguncuk");
    mbs.install_organisation(&Actor::system(t.clone()), org_with_park(true))
        .await
        .unwrap();
    mbs.install_rules(&admin, PARK_RULES).await.unwrap();
    let rec = mbs.submit(&muhtar, pruning()).await.unwrap();
    assert_eq!(rec.state.unit.unwrap().as_str(), "park-bahce");
    assert_eq!(mbs.context(&t).await.unwrap().rules_problem, None);

    // Deactivating the unit the rules send pruning to is refused, naming the rule.
    let err = mbs
        .install_organisation(&admin, org_with_park(false))
        .await
        .unwrap_err();
    match &err {
        ServiceError::RulesInvalidated {
            rules_version: 1,
            error: RoutingError::Invalid { problems },
        } => assert!(
            problems.iter().any(|p| p.is_error()
                && p.rule.as_deref() == Some("budama-parka")
                && matches!(p.kind, ProblemKind::InactiveUnit { .. })),
            "{problems:?}"
        ),
        other => panic!("expected RulesInvalidated, got {other:?}"),
    }
    assert!(err.to_string().contains("budama-parka"), "{err}");
    // Nothing changed.
    let ctx = mbs.context(&t).await.unwrap();
    assert_eq!((ctx.org_version, ctx.rules_problem.clone()), (1, None));
    let rec = mbs.submit(&muhtar, pruning()).await.unwrap();
    assert_eq!(rec.state.unit.unwrap().as_str(), "park-bahce");
    assert!(seen.lock().unwrap().is_empty());

    // Forced: installed; routing falls back, and the context says why.
    assert_eq!(
        mbs.install_organisation_forced(&admin, org_with_park(false))
            .await
            .unwrap(),
        2
    );
    let ctx = mbs.context(&t).await.unwrap();
    match &ctx.rules_problem {
        Some(e @ RoutingError::Invalid { .. }) => {
            assert!(e.to_string().contains("budama-parka"), "{e}")
        }
        other => panic!("expected the rules' problem, got {other:?}"),
    }
    assert_eq!(ctx.rules_version, 1);
    assert_eq!(ctx.rules.version_label(), "fallback:invalid-rules");
    let rec = mbs.submit(&muhtar, pruning()).await.unwrap();
    assert_eq!(rec.state.unit.unwrap().as_str(), "muhtarliklar");
    mbs.context(&t).await.unwrap();
    // One warning for the one context built, however often it is used.
    {
        let seen = seen.lock().unwrap();
        assert_eq!(seen.len(), 1, "{seen:?}");
        match &seen[0] {
            ConfigWarning::InvalidRules {
                tenant,
                rules_version: 1,
                org_version: 2,
                fallback,
                ..
            } => assert_eq!((tenant, fallback.as_str()), (&t, "muhtarliklar")),
            other => panic!("{other:?}"),
        }
        assert!(seen[0].to_string().contains("budama-parka"));
    }

    // Rules already broken do not block another organisation change.
    assert_eq!(
        mbs.install_organisation(&admin, org_with_park(false))
            .await
            .unwrap(),
        3
    );
    // Rules that fit clear the problem; an organisation they survive is accepted.
    mbs.install_rules(&admin, "version = \"2\"\n")
        .await
        .unwrap();
    assert_eq!(mbs.context(&t).await.unwrap().rules_problem, None);
    assert_eq!(
        mbs.install_organisation(&admin, org_with_park(true))
            .await
            .unwrap(),
        4
    );
    assert_eq!(
        seen.lock().unwrap().len(),
        2,
        "one more context built with v3"
    );
}

#[tokio::test]
async fn tracking_number_collisions_are_retried() {
    // Two services with the same seed generate the same tracking numbers; the store's
    // uniqueness check makes the second pick another.
    let store = std::sync::Arc::new(MemoryStore::default());
    let a = Mbs::new(
        store.clone(),
        ManualClock::new(fixtures::t0()),
        SeededRandom::new(7),
    );
    let b = Mbs::new(
        store.clone(),
        ManualClock::new(fixtures::t0() + Duration::seconds(1)),
        SeededRandom::new(7),
    );
    let org = fixtures::organisation("col");
    let t = org.tenant.id.clone();
    a.install_organisation(&Actor::system(t.clone()), org)
        .await
        .unwrap();
    let m = actor(&t, "muhtar:kuzguncuk");
    let r1 = a
        .submit(&m, fixtures::new_request("kuzguncuk"))
        .await
        .unwrap();
    let r2 = b
        .submit(&m, fixtures::new_request("kuzguncuk"))
        .await
        .unwrap();
    assert_ne!(r1.state.tracking, r2.state.tracking);
    assert_eq!(
        store
            .query(&t, &RequestQuery::default())
            .await
            .unwrap()
            .items
            .len(),
        2
    );
}

/// A source that gives the values of its script, in order.
struct Script(std::vec::IntoIter<u64>);

impl RandomSource for Script {
    fn next_u64(&mut self) -> u64 {
        self.0.next().expect("the script is long enough")
    }
}

/// The ten bytes a UUID v7 takes from its source (`fill_bytes`: the little-endian bytes of
/// two draws, the second cut to two), as they stand in the UUID: bytes 6 to 15, the
/// version (7) over the first byte's high half and the variant (binary 10) over the top
/// two bits of the third.
fn v7_random_part(first: u64, second: u64) -> [u8; 10] {
    let mut b = [0u8; 10];
    b[..8].copy_from_slice(&first.to_le_bytes());
    b[8..].copy_from_slice(&second.to_le_bytes()[..2]);
    b[0] = (b[0] & 0x0F) | 0x70;
    b[2] = (b[2] & 0x3F) | 0x80;
    b
}

async fn service_with(random: impl RandomSource + 'static) -> (Svc, TenantId) {
    let mbs = Mbs::new(
        MemoryStore::default(),
        ManualClock::new(fixtures::t0()),
        random,
    );
    let org = fixtures::organisation("ids");
    let t = org.tenant.id.clone();
    mbs.install_organisation(&Actor::system(t.clone()), org)
        .await
        .unwrap();
    (mbs, t)
}

#[tokio::test]
async fn request_ids_tracking_numbers_and_outbox_ids_are_what_the_source_says() {
    let script: Vec<u64> = (1..=64u64)
        .map(|i| i.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0xA5A5_0000_0000_5A5A)
        .collect();
    let (mbs, t) = service_with(Script(script.clone().into_iter())).await;
    let rec = mbs
        .submit(
            &actor(&t, "muhtar:kuzguncuk"),
            fixtures::new_request("kuzguncuk"),
        )
        .await
        .unwrap();
    // The request id: the receipt's millisecond, then the first two draws.
    let id = rec.state.id.as_uuid();
    assert_eq!(id.get_version_num(), 7);
    let (secs, nanos) = id.get_timestamp().unwrap().to_unix();
    assert_eq!(
        secs as i64 * 1000 + i64::from(nanos / 1_000_000),
        fixtures::t0().timestamp_millis()
    );
    assert_eq!(id.as_bytes()[6..], v7_random_part(script[0], script[1]));
    // The tracking number: the third draw.
    assert_eq!(rec.state.tracking, TrackingNumber::from_random(script[2]));
    // Each outbox message's id: the next two draws, in the order the notices are planned.
    let outbox = mbs.store().outbox(&t, Some(rec.state.id)).await.unwrap();
    assert!(outbox.len() >= 2, "{outbox:?}");
    let mut got: Vec<[u8; 10]> = outbox
        .iter()
        .map(|e| e.message.id.as_bytes()[6..].try_into().unwrap())
        .collect();
    let mut expected: Vec<[u8; 10]> = (0..outbox.len())
        .map(|j| v7_random_part(script[3 + 2 * j], script[4 + 2 * j]))
        .collect();
    got.sort();
    expected.sort();
    assert_eq!(got, expected);
}

#[tokio::test]
async fn services_with_different_sources_draw_different_ids() {
    let (a, t) = service_with(SeededRandom::new(1)).await;
    let (b, _) = service_with(SeededRandom::new(2)).await;
    let (c, _) = service_with(SeededRandom::new(1)).await;
    let m = actor(&t, "muhtar:kuzguncuk");
    let mut records = Vec::new();
    for mbs in [&a, &b, &c] {
        let r = mbs.submit(&m, fixtures::new_request("kuzguncuk")).await;
        records.push(r.unwrap());
    }
    let [ra, rb, rc] = &records[..] else {
        unreachable!()
    };
    assert_ne!(ra.state.tracking, rb.state.tracking);
    assert_ne!(ra.state.id, rb.state.id);
    // The same seed draws the same ids: why a seeded source is for tests only.
    assert_eq!(ra.state.tracking, rc.state.tracking);
    assert_eq!(ra.state.id, rc.state.id);
}

#[tokio::test]
async fn deadlines_follow_the_policy_and_move_with_the_calendar_only_while_open() {
    use chrono::{NaiveDate, TimeZone, Utc};
    use muhtar_core::calendar::{CalendarAddition, CalendarChange};
    // docs/domain.md worked example: Genelge 2015/8, received 2025-03-14 → 2025-04-02 17:30 +03:00.
    let (mbs, t) = setup().await;
    let muhtar = actor(&t, "muhtar:kuzguncuk");
    let open = mbs
        .submit(&muhtar, fixtures::new_request("kuzguncuk"))
        .await
        .unwrap();
    let due = Utc.with_ymd_and_hms(2025, 4, 2, 14, 30, 0).unwrap();
    assert_eq!(open.deadlines.resolution_due, Some(due));
    let answered = mbs
        .submit(&muhtar, fixtures::new_request("kuzguncuk"))
        .await
        .unwrap();
    mbs.execute(
        &actor(&t, "coordinator"),
        &answered.state.tracking,
        None,
        Command::Answer {
            outcome: Outcome::Positive,
            reason: None,
            reason_text: None,
            text: "Tamam".into(),
        },
    )
    .await
    .unwrap();
    // The legal calendar ignores idari izin; a local closure moves operational views only.
    // A correction that makes 2025-04-02 a full holiday moves open legal deadlines.
    let add = CalendarAddition {
        date: NaiveDate::from_ymd_opt(2025, 4, 2).unwrap(),
        change: CalendarChange::Correction {
            set: muhtar_core::calendar::DayOverride::FullHoliday,
        },
        note: "test".into(),
        added_by: "admin".into(),
        added_at: fixtures::t0(),
    };
    assert!(matches!(
        mbs.add_calendar_days(&actor(&t, "coordinator"), vec![add.clone()])
            .await,
        Err(ServiceError::Forbidden(_))
    ));
    let moved = mbs
        .add_calendar_days(&actor(&t, "admin"), vec![add])
        .await
        .unwrap();
    assert_eq!(moved, 1, "only the open request moves");
    let open_now = mbs.get(&muhtar, &open.state.tracking).await.unwrap();
    assert_eq!(
        open_now.deadlines.resolution_due,
        Some(Utc.with_ymd_and_hms(2025, 4, 3, 14, 30, 0).unwrap())
    );
    let answered_now = mbs.get(&muhtar, &answered.state.tracking).await.unwrap();
    assert_eq!(answered_now.deadlines.resolution_due, Some(due));
    let eval = mbs.deadline(&muhtar, &open.state.tracking).await.unwrap();
    assert_eq!(
        eval.resolution.due_date,
        NaiveDate::from_ymd_opt(2025, 4, 3).unwrap()
    );
    assert!(
        !eval.resolution.explanation.rolled_forward.is_empty(),
        "{:?}",
        eval.resolution.explanation
    );
}

#[tokio::test]
async fn a_fee_pause_is_refused_by_a_policy_without_one_and_nothing_is_written() {
    let (mbs, t) = setup().await;
    let rec = mbs
        .submit(
            &actor(&t, "muhtar:kuzguncuk"),
            fixtures::new_request("kuzguncuk"),
        )
        .await
        .unwrap();
    let r = mbs
        .execute(
            &actor(&t, "coordinator"),
            &rec.state.tracking,
            None,
            Command::Pause {
                reason: muhtar_core::request::PauseReason::Fee,
                note: "Ücret".into(),
            },
        )
        .await;
    assert!(matches!(r, Err(ServiceError::Sla(_))), "{r:?}");
    assert_eq!(
        mbs.get(&actor(&t, "coordinator"), &rec.state.tracking)
            .await
            .unwrap()
            .state
            .version,
        2
    );
}

#[tokio::test]
async fn sweep_warns_once_per_threshold() {
    use muhtar_core::store::OutboxStore;
    let (mbs, t) = setup().await;
    let rec = mbs
        .submit(
            &actor(&t, "muhtar:kuzguncuk"),
            fixtures::new_request("kuzguncuk"),
        )
        .await
        .unwrap();
    let due = rec.deadlines.resolution_due.unwrap();
    let kinds = |v: Vec<muhtar_core::outbox::OutboxEntry>, k: NoticeKind| {
        v.into_iter()
            .filter(|e| e.message.kind == k)
            .map(|e| e.message.recipient)
            .collect::<Vec<_>>()
    };
    // Well before the deadline: nothing.
    assert_eq!(mbs.sweep(&t).await.unwrap().queued, 0);
    // The day before the deadline: at risk, to the unit.
    mbs.clock().set(due - Duration::days(1));
    // (t0 is in 2025Q1 and the deadline in Q2: the sweep also asks once for the Q1
    // report's sign-off.)
    let r = mbs.sweep(&t).await.unwrap();
    assert_eq!(
        (r.checked, r.at_risk, r.breached, r.queued - r.report_ready),
        (1, 1, 0, 1)
    );
    assert_eq!(r.report_ready, 1);
    assert_eq!(
        mbs.sweep(&t).await.unwrap().queued,
        0,
        "a second sweep queues nothing"
    );
    let out = mbs.store().outbox(&t, Some(rec.state.id)).await.unwrap();
    assert_eq!(
        kinds(out, NoticeKind::AtRisk),
        ["muhtarliklar@ornek.bel.tr"]
    );
    // Past the deadline: breached, to the unit and the responsible official.
    mbs.clock().set(due + Duration::hours(1));
    let r = mbs.sweep(&t).await.unwrap();
    assert_eq!((r.breached, r.queued, r.report_ready), (1, 2, 0));
    assert_eq!(mbs.sweep(&t).await.unwrap().queued, 0);
    let mut got = kinds(
        mbs.store().outbox(&t, Some(rec.state.id)).await.unwrap(),
        NoticeKind::Breached,
    );
    got.sort();
    assert_eq!(
        got,
        ["ayse.yilmaz@ornek.bel.tr", "muhtarliklar@ornek.bel.tr"]
    );
}

#[tokio::test]
async fn settings_define_policies_and_are_validated() {
    let (mbs, t) = setup().await;
    let admin = actor(&t, "admin");
    assert!(matches!(
        mbs.install_settings(
            &admin,
            "quiet_hours = { start = \"25:00\", end = \"08:00\" }"
        )
        .await,
        Err(ServiceError::Config { .. })
    ));
    assert!(matches!(
        mbs.install_settings(
            &admin,
            "[[policy]]\nname = \"x\"\nlength = 0\nunit = \"business\"\n"
        )
        .await,
        Err(ServiceError::Config { .. })
    ));
    mbs.install_settings(
        &admin,
        "[[policy]]\nname = \"ilce-5-is-gunu\"\nlength = 5\nunit = \"business\"\n",
    )
    .await
    .unwrap();
    let ctx = mbs.context(&t).await.unwrap();
    assert_eq!(ctx.policies.get("ilce-5-is-gunu").unwrap().length, 5);
}

/// The hook set with `check_settings_with` (the notice templates' check in a deployment)
/// refuses settings before anything is written.
#[tokio::test]
async fn the_settings_check_hook_refuses_before_anything_is_written() {
    use muhtar_core::settings::{SettingsError, TemplatePart};
    let (mbs, t) = setup().await;
    let mbs = mbs.check_settings_with(|s| match s.templates.kinds.get(&NoticeKind::Closed) {
        Some(k) if k.sms.as_deref() == Some("bad") => Err(SettingsError::Template {
            kind: NoticeKind::Closed,
            part: TemplatePart::Sms,
            line: k.line(TemplatePart::Sms),
            message: "refused".into(),
        }),
        _ => Ok(()),
    });
    let admin = actor(&t, "admin");
    let e = mbs
        .install_settings(&admin, "[templates.closed]\nsms = \"bad\"\n")
        .await
        .unwrap_err();
    assert!(
        e.to_string()
            .contains("line 2: the sms template of notice `closed` does not render: refused"),
        "{e}"
    );
    assert_eq!(
        mbs.store()
            .document_version(&t, muhtar_core::store::DocumentKind::Settings)
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        mbs.install_settings(&admin, "[templates.closed]\nsms = \"good\"\n")
            .await
            .unwrap(),
        1
    );
}

/// KVKK: an administrator finds a citizen's contact data by e-mail or phone, and erases
/// it; the history keeps its events without the data; nobody else may do either.
#[tokio::test]
async fn personal_data_is_found_and_erased_without_breaking_history() {
    use muhtar_core::request::CitizenContact;
    use muhtar_core::service::ContactQuery;
    let (mbs, t) = setup().await;
    let muhtar = actor(&t, "muhtar:kuzguncuk");
    let mut req = fixtures::new_request("kuzguncuk");
    req.citizen = Some(CitizenContact {
        name: "Fatma Kaya".into(),
        phone: Some("0555 111 22 33".into()),
        email: Some("Fatma@Example.com".into()),
    });
    let rec = mbs.submit(&muhtar, req).await.unwrap();
    mbs.submit(&muhtar, fixtures::new_request("kuzguncuk"))
        .await
        .unwrap();
    let admin = actor(&t, "admin");
    let by_email = ContactQuery {
        email: Some("fatma@example.COM".into()),
        ..Default::default()
    };
    let by_phone = ContactQuery {
        phone: Some("+90 555 111 2233".into()),
        ..Default::default()
    };
    for q in [&by_email, &by_phone] {
        let found = mbs.personal_data(&admin, q).await.unwrap();
        assert_eq!(found.len(), 1, "{q:?}");
        assert_eq!(found[0].tracking, rec.state.tracking);
        assert_eq!(found[0].citizen.name, "Fatma Kaya");
    }
    assert!(matches!(
        mbs.personal_data(&admin, &ContactQuery::default()).await,
        Err(ServiceError::Input(_))
    ));
    for who in [
        "coordinator",
        "muhtar:kuzguncuk",
        "unit:muhtarliklar",
        "auditor",
    ] {
        assert!(
            matches!(
                mbs.personal_data(&actor(&t, who), &by_email).await,
                Err(ServiceError::Forbidden(_))
            ),
            "{who}"
        );
        assert!(mbs
            .execute(
                &actor(&t, who),
                &rec.state.tracking,
                None,
                Command::EraseContact
            )
            .await
            .is_err());
    }
    let before = mbs.history(&admin, &rec.state.tracking).await.unwrap();
    let erased = mbs
        .execute(&admin, &rec.state.tracking, None, Command::EraseContact)
        .await
        .unwrap();
    assert_eq!(erased.state.content.citizen, None);
    assert!(mbs
        .personal_data(&admin, &by_email)
        .await
        .unwrap()
        .is_empty());
    let after = mbs.history(&admin, &rec.state.tracking).await.unwrap();
    assert_eq!(after.len(), before.len() + 1);
    let text = serde_json::to_string(&after).unwrap();
    assert!(!text.contains("Fatma") && !text.contains("555"), "{text}");
    // The request itself is intact.
    assert_eq!(erased.state.content.subject, rec.state.content.subject);
    assert_eq!(erased.state.status, rec.state.status);
}

#[tokio::test]
async fn a_category_filter_with_a_control_character_is_refused_naming_it() {
    let (mbs, t) = setup().await;
    let coord = actor(&t, "coordinator");
    let q = RequestQuery {
        category: Some("asfalt\u{0}onarim".into()),
        ..RequestQuery::default()
    };
    match mbs.list(&coord, q).await {
        Err(ServiceError::Input(e)) => assert_eq!(e.field(), "category"),
        other => panic!("{other:?}"),
    }
    let q = RequestQuery {
        category: Some("' OR '1'='1".into()),
        ..RequestQuery::default()
    };
    assert!(mbs.list(&coord, q).await.unwrap().items.is_empty());
}

/// Sets one field of a request.
type SetField<'a> = Box<dyn Fn(&mut NewRequest) + 'a>;

/// Issue 17, defect 5: characters XML 1.0 cannot carry (U+FFFE, U+FFFF, C0 controls but
/// tab and line breaks) are refused in every text field of a request, naming the field,
/// so none reaches the Open311 XML feed.
#[tokio::test]
async fn xml_forbidden_characters_are_refused_in_every_text_field() {
    let (mbs, t) = setup().await;
    let kuz = actor(&t, "muhtar:kuzguncuk");
    for bad in ["\u{FFFE}", "\u{FFFF}", "\u{1}", "\u{1B}"] {
        let cases: [(&str, SetField<'_>); 5] = [
            ("subject", Box::new(|r| r.subject = format!("Çukur{bad}"))),
            (
                "description",
                Box::new(|r| r.description = format!("Derin{bad}çukur")),
            ),
            (
                "address",
                Box::new(|r| r.address = Some(format!("Sokak{bad}"))),
            ),
            (
                "registration_number",
                Box::new(|r| r.registration_number = Some(format!("E-1{bad}"))),
            ),
            (
                "citizen.name",
                Box::new(|r| {
                    r.citizen = Some(muhtar_core::request::CitizenContact {
                        name: format!("Ali{bad}"),
                        phone: None,
                        email: None,
                    })
                }),
            ),
        ];
        for (field, set) in cases {
            let mut r = fixtures::new_request("kuzguncuk");
            set(&mut r);
            match mbs.submit(&kuz, r).await {
                Err(ServiceError::Input(e)) => assert_eq!(e.field(), field, "{bad:?}"),
                other => panic!("{field} with {bad:?}: {other:?}"),
            }
        }
    }
    // Tab and line breaks stay allowed in texts.
    let mut r = fixtures::new_request("kuzguncuk");
    r.description = "Birinci satır\r\nikinci\tsatır".into();
    mbs.submit(&kuz, r).await.unwrap();
}
