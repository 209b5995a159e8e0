//! Law 4982 (right to information) end to end through the façade: the one extension
//! before the 15 business days run out, the fee that stops the clock, the payment that
//! resumes it, the deemed withdrawal by the sweep (art. 12), and the refusal reasons.
//! Time is a `ManualClock`; the worked dates are those of docs/domain.md §3.

use chrono::{DateTime, Duration, TimeZone, Utc};
use muhtar_core::ids::SeededRandom;
use muhtar_core::outbox::{NoticeKind, NoticePayload};
use muhtar_core::prelude::*;
use muhtar_core::reason::ReasonCode;
use muhtar_core::request::{FeeAmount, PauseReason};
use muhtar_core::sla::{ClockState, SlaError};
use muhtar_core::store::OutboxStore;
use muhtar_core::testkit::{fixtures, MemoryStore};

type Svc = Mbs<MemoryStore, ManualClock>;

/// Istanbul local time (UTC+3 in 2026).
fn local(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, h, min, 0).unwrap() - Duration::hours(3)
}

/// A tenant whose requests run under `policy`, with the clock at Friday 2026-05-15 11:00.
async fn setup(policy: &str) -> (Svc, TenantId) {
    let mbs = Mbs::new(
        MemoryStore::default(),
        ManualClock::new(local(2026, 5, 15, 11, 0)),
        SeededRandom::new(7),
    );
    let mut org = fixtures::organisation("bilgi");
    org.tenant.default_policy = policy.into();
    let t = org.tenant.id.clone();
    mbs.install_organisation(&Actor::system(t.clone()), org)
        .await
        .unwrap();
    (mbs, t)
}

fn actor(t: &TenantId, s: &str) -> Actor {
    Actor::parse(t, s).unwrap()
}

async fn submit(mbs: &Svc, t: &TenantId) -> TrackingNumber {
    let mut new = fixtures::new_request("kuzguncuk");
    new.kind = RequestKind::InformationRequest;
    mbs.submit(&actor(t, "muhtar:kuzguncuk"), new)
        .await
        .unwrap()
        .state
        .tracking
}

async fn run(
    mbs: &Svc,
    t: &TenantId,
    tr: &TrackingNumber,
    cmd: Command,
) -> Result<RequestRecordOf, ServiceError> {
    mbs.execute(&actor(t, "coordinator"), tr, None, cmd).await
}

type RequestRecordOf = muhtar_core::store::RequestRecord;

fn fee(amount: &str) -> Command {
    Command::NotifyFee {
        amount: amount.parse::<FeeAmount>().unwrap(),
        note: "Fotokopi ücreti, 40 sayfa".into(),
    }
}

async fn notices(mbs: &Svc, t: &TenantId, tr: &TrackingNumber, kind: NoticeKind) -> Vec<String> {
    let rec = mbs.get(&actor(t, "coordinator"), tr).await.unwrap();
    mbs.store()
        .outbox(t, Some(rec.state.id))
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.message.kind == kind)
        .map(|e| e.message.recipient)
        .collect()
}

#[tokio::test]
async fn one_extension_to_30_business_days_before_the_15_run_out_notified_with_its_reason() {
    let (mbs, t) = setup("bilgi-edinme-4982").await;
    let tr = submit(&mbs, &t).await;
    let rec = mbs.get(&actor(&t, "coordinator"), &tr).await.unwrap();
    // docs/domain.md §3: received 2026-05-15, 15 business days end 2026-06-11.
    assert_eq!(
        rec.deadlines.resolution_due,
        Some(local(2026, 6, 11, 17, 30))
    );

    // On the last day, before office hours end: allowed.
    mbs.clock().set(local(2026, 6, 11, 16, 0));
    let rec = run(
        &mbs,
        &t,
        &tr,
        Command::Extend {
            reason: "Arşiv taraması gerekiyor".into(),
        },
    )
    .await
    .unwrap();
    assert!(rec.state.extended);
    // 30 business days from 2026-05-15 (19 May and Kurban Bayramı skipped): 2 July.
    assert_eq!(
        rec.deadlines.resolution_due,
        Some(local(2026, 7, 2, 17, 30))
    );
    // The reason goes to the muhtar (the applicant's channel), by e-mail.
    assert_eq!(
        notices(&mbs, &t, &tr, NoticeKind::Extended).await,
        ["ali.demir@muhtar.example"]
    );
    let entry = mbs
        .store()
        .outbox(&t, Some(rec.state.id))
        .await
        .unwrap()
        .into_iter()
        .find(|e| e.message.kind == NoticeKind::Extended)
        .unwrap();
    assert_eq!(
        entry.message.payload.note(),
        Some("Arşiv taraması gerekiyor")
    );
    // Only once.
    let again = run(
        &mbs,
        &t,
        &tr,
        Command::Extend {
            reason: "Yine".into(),
        },
    )
    .await;
    assert!(
        matches!(
            again,
            Err(ServiceError::Lifecycle(
                muhtar_core::request::LifecycleError::AlreadyExtended
            ))
        ),
        "{again:?}"
    );
}

#[tokio::test]
async fn an_extension_after_the_15_days_is_refused_naming_the_deadline_in_istanbul_time() {
    let (mbs, t) = setup("bilgi-edinme-4982").await;
    let tr = submit(&mbs, &t).await;
    mbs.clock().set(local(2026, 6, 11, 17, 31));
    let r = run(
        &mbs,
        &t,
        &tr,
        Command::Extend {
            reason: "Geç kaldık".into(),
        },
    )
    .await;
    let Err(ServiceError::Sla(e @ SlaError::ExtensionTooLate { .. })) = &r else {
        panic!("{r:?}");
    };
    let m = e.to_string();
    assert!(m.contains("11.06.2026 17:30 (Europe/Istanbul)"), "{m}");
    assert!(m.contains("Law 4982 art. 11"), "{m}");
    // Nothing was written.
    let rec = mbs.get(&actor(&t, "coordinator"), &tr).await.unwrap();
    assert_eq!((rec.state.version, rec.state.extended), (2, false));
    assert!(notices(&mbs, &t, &tr, NoticeKind::Extended)
        .await
        .is_empty());
}

#[tokio::test]
async fn a_policy_without_an_extension_or_a_fee_refuses_both_and_writes_nothing() {
    let (mbs, t) = setup("genelge-2015-8").await;
    let tr = submit(&mbs, &t).await;
    let r = run(&mbs, &t, &tr, Command::Extend { reason: "x".into() }).await;
    assert!(
        matches!(
            r,
            Err(ServiceError::Sla(SlaError::ExtensionNotAllowed { .. }))
        ),
        "{r:?}"
    );
    let r = run(&mbs, &t, &tr, fee("10")).await;
    assert!(
        matches!(r, Err(ServiceError::Sla(SlaError::PauseNotAllowed { .. }))),
        "{r:?}"
    );
    assert_eq!(
        mbs.get(&actor(&t, "coordinator"), &tr)
            .await
            .unwrap()
            .state
            .version,
        2
    );
}

#[tokio::test]
async fn a_fee_stops_the_clock_and_payment_resumes_it_moving_the_deadline_by_the_paused_working_days(
) {
    let (mbs, t) = setup("bilgi-edinme-4982").await;
    let tr = submit(&mbs, &t).await;
    // Fee notified Monday 1 June.
    mbs.clock().set(local(2026, 6, 1, 10, 0));
    let rec = run(&mbs, &t, &tr, fee("12,50")).await.unwrap();
    assert_eq!(rec.state.status, Status::Paused);
    assert_eq!(rec.state.pause, Some(PauseReason::Fee));
    let pending = rec.state.fee.clone().unwrap();
    assert_eq!(pending.amount.map(|a| a.kurus()), Some(1250));
    assert_eq!(pending.notified_at, local(2026, 6, 1, 10, 0));
    let m = mbs
        .store()
        .outbox(&t, Some(rec.state.id))
        .await
        .unwrap()
        .into_iter()
        .find(|e| e.message.kind == NoticeKind::FeeNotified)
        .unwrap();
    assert_eq!(m.message.payload.fee_amount(), Some("12,50 TL"));
    assert_eq!(
        notices(&mbs, &t, &tr, NoticeKind::FeeNotified).await,
        ["ali.demir@muhtar.example", "+905321112233"]
    );
    let eval = mbs.deadline(&actor(&t, "coordinator"), &tr).await.unwrap();
    assert_eq!(eval.resolution.state, ClockState::Paused);
    // A muhtar may not record a fee or its payment.
    let r = mbs
        .execute(
            &actor(&t, "muhtar:kuzguncuk"),
            &tr,
            None,
            Command::FeePaid {
                note: String::new(),
            },
        )
        .await;
    assert!(matches!(r, Err(ServiceError::Forbidden(_))), "{r:?}");
    // Paid Friday 5 June: 2, 3, 4 and 5 June did not count, so 11 June moves 4 working
    // days to 17 June.
    mbs.clock().set(local(2026, 6, 5, 15, 0));
    let rec = run(
        &mbs,
        &t,
        &tr,
        Command::FeePaid {
            note: "Dekont 123".into(),
        },
    )
    .await
    .unwrap();
    assert_eq!(
        (rec.state.status, rec.state.pause, rec.state.fee.clone()),
        (Status::InProgress, None, None)
    );
    assert_eq!(
        rec.deadlines.resolution_due,
        Some(local(2026, 6, 17, 17, 30))
    );
    assert_eq!(notices(&mbs, &t, &tr, NoticeKind::FeePaid).await.len(), 1);
    let eval = mbs.deadline(&actor(&t, "coordinator"), &tr).await.unwrap();
    assert_eq!(eval.resolution.explanation.pauses[0].days_added, 4);
    // Paying twice is not a thing.
    let r = run(
        &mbs,
        &t,
        &tr,
        Command::FeePaid {
            note: String::new(),
        },
    )
    .await;
    assert!(matches!(r, Err(ServiceError::Lifecycle(_))), "{r:?}");
    // A paid request is never deemed withdrawn.
    mbs.clock().set(local(2026, 7, 30, 12, 0));
    assert_eq!(mbs.sweep(&t).await.unwrap().deemed_withdrawn, 0);
}

#[tokio::test]
async fn an_unpaid_fee_withdraws_the_request_after_15_business_days_once_with_its_notice() {
    let (mbs, t) = setup("bilgi-edinme-4982").await;
    let tr = submit(&mbs, &t).await;
    mbs.clock().set(local(2026, 6, 1, 10, 0));
    run(&mbs, &t, &tr, fee("40")).await.unwrap();
    // 15 business days after Monday 1 June: Monday 22 June, end of office hours.
    mbs.clock().set(local(2026, 6, 22, 17, 30));
    let r = mbs.sweep(&t).await.unwrap();
    assert_eq!(r.deemed_withdrawn, 0);
    let coord = actor(&t, "coordinator");
    assert_eq!(
        mbs.get(&coord, &tr).await.unwrap().state.status,
        Status::Paused
    );

    mbs.clock().set(local(2026, 6, 22, 17, 31));
    let r = mbs.sweep(&t).await.unwrap();
    assert_eq!(r.deemed_withdrawn, 1);
    let rec = mbs.get(&coord, &tr).await.unwrap();
    assert_eq!(rec.state.status, Status::Withdrawn);
    assert_eq!(rec.state.outcome, Some(Outcome::Negative));
    assert_eq!(rec.state.reason, Some(ReasonCode::new("fee-unpaid")));
    assert_eq!(rec.state.fee, None);
    assert_eq!(rec.state.closed_at, Some(local(2026, 6, 22, 17, 31)));
    let history = mbs.history(&coord, &tr).await.unwrap();
    let last = history.last().unwrap();
    assert_eq!(last.kind.name(), "deemed-withdrawn");
    assert_eq!(last.actor.to_string(), "system@system");
    assert_eq!(
        notices(&mbs, &t, &tr, NoticeKind::DeemedWithdrawn).await,
        ["ali.demir@muhtar.example", "+905321112233"]
    );
    // The unit hears that it is closed.
    assert!(!notices(&mbs, &t, &tr, NoticeKind::Closed).await.is_empty());
    let outbox_len = mbs
        .store()
        .outbox(&t, Some(rec.state.id))
        .await
        .unwrap()
        .len();

    // Idempotent: a second sweep writes nothing.
    mbs.clock().advance(Duration::days(3));
    let r = mbs.sweep(&t).await.unwrap();
    assert_eq!(r.deemed_withdrawn, 0);
    assert_eq!(mbs.history(&coord, &tr).await.unwrap().len(), history.len());
    assert_eq!(
        mbs.store()
            .outbox(&t, Some(rec.state.id))
            .await
            .unwrap()
            .len(),
        outbox_len
    );
    // It counts as negative with its reason in the quarter's report.
    let report = mbs
        .report(&coord, "2026Q2".parse().unwrap(), None)
        .await
        .unwrap();
    let json = serde_json::to_value(&report).unwrap();
    assert_eq!(json["totals"]["negative"], 1, "{json}");
    assert_eq!(
        json["totals"]["not_fulfilled"][0]["code"], "fee-unpaid",
        "{json}"
    );
}

#[tokio::test]
async fn a_fee_recorded_as_a_plain_fee_pause_also_lapses() {
    let (mbs, t) = setup("bilgi-edinme-4982").await;
    let tr = submit(&mbs, &t).await;
    mbs.clock().set(local(2026, 6, 1, 10, 0));
    let rec = run(
        &mbs,
        &t,
        &tr,
        Command::Pause {
            reason: PauseReason::Fee,
            note: "Ücret".into(),
        },
    )
    .await
    .unwrap();
    assert_eq!(rec.state.fee.as_ref().map(|f| f.amount), Some(None));
    mbs.clock().set(local(2026, 6, 23, 9, 0));
    assert_eq!(mbs.sweep(&t).await.unwrap().deemed_withdrawn, 1);
}

#[test]
fn the_refusal_grounds_of_law_4982_are_built_in_reasons_marked_with_the_law() {
    let all = ReasonCode::law_4982();
    let codes: Vec<_> = all.iter().map(|d| d.code.as_str()).collect();
    for c in [
        "state-secret",
        "economic-interest",
        "intelligence",
        "administrative-investigation",
        "judicial-investigation",
        "private-life",
        "communication-secrecy",
        "trade-secret",
        "intellectual-works",
        "internal-regulation",
        "internal-opinion",
        "requires-separate-study",
        "fee-unpaid",
    ] {
        assert!(codes.contains(&c), "{c} missing from {codes:?}");
    }
    assert!(all
        .iter()
        .all(|d| d.law.as_deref() == Some("4982") && d.name.contains("4982 md.")));
    assert_eq!(
        ReasonCode::builtin("state-secret").unwrap().name,
        "Devlet sırrı (4982 md. 16)"
    );
    // The general list has them too, after the docs/domain.md ones, which carry no law.
    let builtins = ReasonCode::builtins();
    assert!(builtins.iter().any(|d| d.code == "trade-secret"));
    assert_eq!(ReasonCode::builtin("no-budget").unwrap().law, None);
}

#[tokio::test]
async fn a_refusal_on_a_law_4982_ground_is_a_negative_answer_with_that_reason() {
    let (mbs, t) = setup("bilgi-edinme-4982").await;
    let tr = submit(&mbs, &t).await;
    let rec = run(
        &mbs,
        &t,
        &tr,
        Command::Answer {
            outcome: Outcome::Negative,
            reason: Some(ReasonCode::new("trade-secret")),
            reason_text: None,
            text: "İstenen belge ticari sır niteliğindedir.".into(),
        },
    )
    .await
    .unwrap();
    assert_eq!(rec.state.reason, Some(ReasonCode::new("trade-secret")));
}

#[test]
fn fee_amounts_are_read_in_lira_and_kurus_and_refused_with_the_field_named() {
    for (s, k) in [
        ("12", 1200),
        ("12.5", 1250),
        ("12,50", 1250),
        ("0,01", 1),
        (" 7 TL", 700),
    ] {
        assert_eq!(s.parse::<FeeAmount>().unwrap().kurus(), k, "{s}");
    }
    for s in ["", "0", "-3", "1.234", "abc", "1e3", "12.", "2000000"] {
        let e = s.parse::<FeeAmount>().unwrap_err();
        assert!(e.to_string().starts_with("amount"), "{s}: {e}");
    }
    let a: FeeAmount = serde_json::from_str("\"3.05\"").unwrap();
    assert_eq!(serde_json::to_string(&a).unwrap(), "\"3.05\"");
    let b: FeeAmount = serde_json::from_str("3.05").unwrap();
    assert_eq!(a, b);
}

#[tokio::test]
async fn a_citizen_applicant_hears_of_the_extension_the_fee_and_the_payment() {
    let (mbs, t) = setup("bilgi-edinme-4982").await;
    let mut new = fixtures::new_request("kuzguncuk");
    new.kind = RequestKind::InformationRequest;
    new.citizen = Some(muhtar_core::request::CitizenContact {
        name: "Ayşe Yılmaz".into(),
        phone: Some("+905551112233".into()),
        email: Some("ayse@example.com".into()),
    });
    let tr = mbs
        .submit(&actor(&t, "coordinator"), new)
        .await
        .unwrap()
        .state
        .tracking;
    run(
        &mbs,
        &t,
        &tr,
        Command::Extend {
            reason: "Arşiv taraması gerekiyor".into(),
        },
    )
    .await
    .unwrap();
    run(&mbs, &t, &tr, fee("12,50")).await.unwrap();
    run(
        &mbs,
        &t,
        &tr,
        Command::FeePaid {
            note: "Dekont".into(),
        },
    )
    .await
    .unwrap();
    let rec = mbs.get(&actor(&t, "coordinator"), &tr).await.unwrap();
    let mut updates: Vec<(String, String)> = mbs
        .store()
        .outbox(&t, Some(rec.state.id))
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.message.kind == NoticeKind::CitizenUpdate)
        .map(|e| {
            (
                match &e.message.payload {
                    NoticePayload::CitizenUpdate(c) => c.update.as_str().to_owned(),
                    p => panic!("{p:?}"),
                },
                e.message.recipient,
            )
        })
        .collect();
    updates.sort();
    let want = |u: &str| {
        [
            (u.to_owned(), "+905551112233".to_owned()),
            (u.to_owned(), "ayse@example.com".to_owned()),
        ]
    };
    let mut expected: Vec<(String, String)> = ["extended", "fee-notified", "fee-paid"]
        .into_iter()
        .flat_map(want)
        .collect();
    expected.sort();
    assert_eq!(updates, expected);
    // The citizen's notices are personal data: they go with the contact.
    assert!(NoticeKind::CitizenUpdate.is_for_citizen());
    // The extension notice carries its reason to the citizen as well.
    let ext = mbs
        .store()
        .outbox(&t, Some(rec.state.id))
        .await
        .unwrap()
        .into_iter()
        .find(|e| {
            matches!(&e.message.payload, NoticePayload::CitizenUpdate(c) if c.update == NoticeKind::Extended)
        })
        .unwrap();
    assert_eq!(ext.message.payload.note(), Some("Arşiv taraması gerekiyor"));
}
