//! SLA clock tests: docs/domain.md §3 worked examples, policies, pauses, extension, properties.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use muhtar_core::calendar::{Calendar, CalendarAddition, CalendarChange, CalendarView};
use muhtar_core::sla::scenario::{given, instant};
use muhtar_core::sla::*;
use proptest::prelude::*;

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

#[test]
fn genelge_worked_example_legal() {
    let s = given(SlaPolicy::genelge_2015_8())
        .received("2025-03-14T10:00:00+03:00")
        .then_due("2025-04-02T17:30:00+03:00");
    let e = s.evaluate().unwrap().resolution.explanation;
    assert_eq!(e.last_counted_day, d("2025-03-29"));
    let rolled: Vec<_> = e
        .rolled_forward
        .iter()
        .map(|s| s.date.to_string())
        .collect();
    assert_eq!(
        rolled,
        ["2025-03-29", "2025-03-30", "2025-03-31", "2025-04-01"]
    );
    let json = serde_json::to_string(&e).unwrap();
    assert!(
        json.contains("Ramazan Bayramı arifesi") && json.contains("weekend"),
        "{json}"
    );
}

#[test]
fn genelge_worked_example_operational() {
    let cal = Calendar::with_builtin_idari_izin("test", instant("2025-03-01T00:00:00Z"));
    given(SlaPolicy::genelge_2015_8().with_view(CalendarView::Operational))
        .on(cal)
        .received("2025-03-14T10:00:00+03:00")
        .then_due("2025-04-07T17:30:00+03:00");
}

#[test]
fn law_4982_worked_example() {
    given(SlaPolicy::bilgi_edinme_4982())
        .received("2026-05-15T11:00:00+03:00")
        .then_due("2026-06-11T17:30:00+03:00");
    let strict = SlaPolicy {
        arife_counts_as_business_day: false,
        ..SlaPolicy::bilgi_edinme_4982()
    };
    given(strict)
        .received("2026-05-15T11:00:00+03:00")
        .then_due_date("2026-06-12");
}

/// docs/domain.md §3: a calendar-day period starts the day after receipt, always (HMK 92/93):
/// the weekend of receipt is inside the period.
#[test]
fn law_3071_worked_example_saturday_receipt() {
    let s = given(SlaPolicy::dilekce_3071())
        .received("2024-04-20T10:00:00+03:00")
        .then_due("2024-05-20T17:30:00+03:00");
    let e = s.evaluate().unwrap().resolution.explanation;
    assert_eq!(e.counting_starts, d("2024-04-21"));
    assert!(e.skipped.is_empty(), "{:?}", e.skipped);
    // Through the registry, as a tenant gets it.
    let reg = PolicyRegistry::builtin();
    let p = reg.get("dilekce-3071").unwrap();
    assert!(!p.defer_start_after_non_working_receipt);
    let cal = Calendar::new();
    let due = SlaClock::new(p, &cal)
        .due_for_receipt(instant("2024-04-20T10:00:00+03:00"))
        .unwrap();
    assert_eq!(due.due_local().to_rfc3339(), "2024-05-20T17:30:00+03:00");
    // The setting still defers the start for a tenant that wants it.
    given(SlaPolicy {
        defer_start_after_non_working_receipt: true,
        ..SlaPolicy::dilekce_3071()
    })
    .received("2024-04-20T10:00:00+03:00")
    .then_due("2024-05-21T17:30:00+03:00");
    // A TOML policy without the key gets the default (no).
    let mut reg = PolicyRegistry::empty();
    reg.load_toml("[[policy]]\nname = \"x\"\nlength = 30\n")
        .unwrap();
    assert!(!reg.get("x").unwrap().defer_start_after_non_working_receipt);
}

#[test]
fn registry_resolves_and_rejects() {
    let reg = PolicyRegistry::builtin();
    for n in [
        "genelge-2015-8",
        "belediye-15-is-gunu",
        "dilekce-3071",
        "bilgi-edinme-4982",
    ] {
        assert_eq!(reg.get(n).unwrap().name, n);
    }
    let e = reg.get("nope").unwrap_err();
    assert!(matches!(&e, SlaError::UnknownPolicy { name, .. } if name == "nope"));
    assert_eq!(
        e.to_string(),
        "unknown SLA policy \"nope\"; valid policies: belediye-15-is-gunu, bilgi-edinme-4982, \
         dilekce-3071, genelge-2015-8"
    );
    assert_eq!(
        reg.get("belediye-15-is-gunu").unwrap().unit,
        DayUnit::Business
    );
    assert_eq!(reg.get("dilekce-3071").unwrap().length, 30);
}

#[test]
fn tenant_policies_from_toml() {
    let mut reg = PolicyRegistry::builtin();
    let n = reg
        .load_toml(
            r#"
            [[policy]]
            name = "imar-10"
            length = 10
            unit = "business"
            view = "operational"
            office_end = "17:00"
            reassignment = "restart"

            [[policy]]
            name = "genelge-2015-8"
            length = 15
            unit = "business"
            "#,
        )
        .unwrap();
    assert_eq!(n, 2);
    let p = reg.get("imar-10").unwrap();
    assert_eq!(p.office_end.to_string(), "17:00:00");
    assert_eq!(p.reassignment, Reassignment::Restart);
    assert_eq!(p.at_risk_working_days, 3);
    assert!(p.arife_counts_as_business_day && p.roll_forward_half_day);
    assert_eq!(reg.get("genelge-2015-8").unwrap().unit, DayUnit::Business);
    assert!(matches!(
        reg.load_toml("[[policy]]\nname='x'\nlength=0"),
        Err(SlaError::InvalidPolicy { .. })
    ));
    assert!(matches!(
        reg.load_toml("[[policy]]\nname='x'\nlength=3\nunit='weeks'"),
        Err(SlaError::Config(_))
    ));
    let cal = Calendar::new();
    let dl = SlaClock::new(reg.get("imar-10").unwrap(), &cal)
        .due_for_receipt(instant("2025-03-14T10:00:00+03:00"))
        .unwrap();
    assert_eq!(dl.due_local().to_rfc3339(), "2025-03-28T17:00:00+03:00");
}

#[test]
fn dilekce_interim_reply_meets_first_response_only() {
    let s = given(SlaPolicy::dilekce_3071())
        .received("2025-01-06T09:00:00+03:00")
        .when_interim_reply("2025-01-20T10:00:00+03:00");
    let eval = s.evaluate_at("2025-03-01T00:00:00Z").unwrap();
    assert_eq!(eval.first_response.state, ClockState::Met);
    assert_eq!(eval.resolution.state, ClockState::Breached);
    let s = s.when_answered("2025-02-10T10:00:00+03:00");
    let eval = s.evaluate_at("2025-03-01T00:00:00Z").unwrap();
    assert_eq!(eval.resolution.state, ClockState::MetLate);
    assert_eq!(eval.first_response.state, ClockState::Met);
}

#[test]
fn states_running_at_risk_breached_paused() {
    // belediye: received Mon 2025-03-03, 15 business days -> Mon 2025-03-24.
    let s = given(SlaPolicy::belediye_15_is_gunu())
        .received("2025-03-03T09:00:00+03:00")
        .then_due_date("2025-03-24");
    let s = s
        .then_state_at("2025-03-10T12:00:00+03:00", ClockState::Running)
        .then_state_at("2025-03-19T23:00:00+03:00", ClockState::Running)
        .then_state_at("2025-03-20T00:00:00+03:00", ClockState::AtRisk)
        .then_state_at("2025-03-24T17:30:00+03:00", ClockState::AtRisk)
        .then_state_at("2025-03-24T17:30:01+03:00", ClockState::Breached);
    let s = s.when(ClockEvent::Paused {
        at: instant("2025-03-05T10:00:00+03:00"),
        reason: PauseReason::Muhtar,
    });
    s.then_state_at("2025-04-30T00:00:00Z", ClockState::Paused);
}

#[test]
fn law_4982_extension_and_fee() {
    let base = || given(SlaPolicy::bilgi_edinme_4982()).received("2026-05-15T11:00:00+03:00");
    base()
        .when_extended("2026-06-10T10:00:00+03:00")
        .then_due_date("2026-07-02");
    base()
        .when_extended("2026-06-12T10:00:00+03:00")
        .then_error(|e| matches!(e, SlaError::ExtensionTooLate { .. }));
    base()
        .when_extended("2026-05-20T10:00:00+03:00")
        .when_extended("2026-05-21T10:00:00+03:00")
        .then_error(|e| matches!(e, SlaError::ExtensionAlreadyUsed { .. }));
    given(SlaPolicy::genelge_2015_8())
        .received("2026-05-15T11:00:00+03:00")
        .when_extended("2026-05-20T10:00:00+03:00")
        .then_error(|e| matches!(e, SlaError::ExtensionNotAllowed { .. }));
    // Fee notice Mon 1 June, paid Fri 5 June: 4 working days (2..5 June) added.
    base()
        .when_paused_for(
            PauseReason::Fee,
            "2026-06-01T10:00:00+03:00",
            "2026-06-05T10:00:00+03:00",
        )
        .then_due_date("2026-06-17");
    given(SlaPolicy::belediye_15_is_gunu())
        .received("2026-05-15T11:00:00+03:00")
        .when_paused_for(
            PauseReason::Fee,
            "2026-06-01T10:00:00+03:00",
            "2026-06-05T10:00:00+03:00",
        )
        .then_error(|e| matches!(e, SlaError::PauseNotAllowed { .. }));
}

#[test]
fn transfer_keep_or_restart() {
    given(SlaPolicy::belediye_15_is_gunu())
        .received("2025-03-03T09:00:00+03:00")
        .when_transferred("2025-03-10T09:00:00+03:00")
        .then_due_date("2025-03-24");
    let restart = SlaPolicy {
        reassignment: Reassignment::Restart,
        ..SlaPolicy::belediye_15_is_gunu()
    };
    given(restart)
        .received("2025-03-03T09:00:00+03:00")
        .when_transferred("2025-03-10T09:00:00+03:00")
        .then_due_date("2025-04-02"); // 31 March and 1 April are Ramazan Bayramı
}

#[test]
fn idari_izin_added_later_moves_open_but_not_decided() {
    let policy = SlaPolicy::genelge_2015_8().with_view(CalendarView::Operational);
    let mut cal = Calendar::new();
    let open = vec![ClockEvent::Received {
        at: instant("2025-03-14T10:00:00+03:00"),
    }];
    let mut closed = open.clone();
    closed.push(ClockEvent::Answered {
        at: instant("2025-04-03T10:00:00+03:00"),
    });
    let now = instant("2025-04-01T00:00:00Z");
    let later = instant("2025-05-01T00:00:00Z");
    let before_open = SlaClock::new(&policy, &cal).evaluate(&open, now).unwrap();
    assert_eq!(before_open.resolution.due_date, d("2025-04-02"));
    let decided_eval = SlaClock::new(&policy, &cal)
        .evaluate(&closed, later)
        .unwrap();
    assert_eq!(decided_eval.resolution.state, ClockState::MetLate);
    let decision = decided_eval.resolution.decision().unwrap();
    let v0 = cal.version().to_owned();
    cal.load_builtin_idari_izin("admin", instant("2025-03-20T08:00:00Z"));
    assert_ne!(cal.version(), v0);
    let after_open = SlaClock::new(&policy, &cal).evaluate(&open, now).unwrap();
    assert_eq!(after_open.resolution.due_date, d("2025-04-07"));
    let after_closed = SlaClock::new(&policy, &cal)
        .evaluate_with_decided(&closed, later, std::slice::from_ref(&decision))
        .unwrap();
    assert_eq!(after_closed.resolution.state, ClockState::MetLate);
    assert_eq!(after_closed.resolution.due, decision.due);
    assert!(after_closed.resolution.frozen);
    // Without the stored decision the recomputation would say Met.
    let recomputed = SlaClock::new(&policy, &cal)
        .evaluate(&closed, later)
        .unwrap();
    assert_eq!(recomputed.resolution.state, ClockState::Met);
}

#[test]
fn explanation_lists_pauses_and_skipped_days() {
    let e = given(SlaPolicy::belediye_15_is_gunu())
        .received("2025-03-14T10:00:00+03:00")
        .when_paused("2025-03-18T10:00:00+03:00", "2025-03-20T10:00:00+03:00")
        .evaluate()
        .unwrap()
        .resolution
        .explanation;
    assert_eq!(e.pauses.len(), 1);
    assert_eq!(e.pauses[0].days_added, 2);
    assert!(e.skipped.iter().any(|s| s.date == d("2025-03-31")));
    let v = serde_json::to_value(&e).unwrap();
    assert_eq!(v["policy"], "belediye-15-is-gunu");
    assert!(v["skipped"]
        .as_array()
        .unwrap()
        .iter()
        .any(|s| s["reasons"][0]["kind"] == "holiday"));
}

#[test]
fn out_of_range_receipt_is_an_error() {
    let cal = Calendar::new();
    let p = SlaPolicy::genelge_2015_8();
    let r = SlaClock::new(&p, &cal).due_for_receipt(instant("2060-01-01T00:00:00Z"));
    assert!(matches!(r, Err(SlaError::Calendar(_))));
    let r = SlaClock::new(&p, &cal).evaluate(&[], instant("2025-01-01T00:00:00Z"));
    assert_eq!(r.unwrap_err(), SlaError::NotReceived);
}

fn receipt() -> impl Strategy<Value = DateTime<Utc>> {
    (0i64..(38 * 365 * 24 * 60))
        .prop_map(|m| instant("2010-06-01T00:00:00Z") + Duration::minutes(m))
}

fn policies() -> impl Strategy<Value = SlaPolicy> {
    prop_oneof![
        Just(SlaPolicy::genelge_2015_8()),
        Just(SlaPolicy::belediye_15_is_gunu()),
        Just(SlaPolicy::dilekce_3071()),
        Just(SlaPolicy::bilgi_edinme_4982()),
        Just(SlaPolicy {
            arife_counts_as_business_day: false,
            ..SlaPolicy::belediye_15_is_gunu()
        }),
        Just(SlaPolicy::genelge_2015_8().with_view(CalendarView::Operational)),
        Just(SlaPolicy {
            defer_start_after_non_working_receipt: true,
            ..SlaPolicy::dilekce_3071()
        }),
    ]
}

fn cal() -> Calendar {
    Calendar::with_builtin_idari_izin("t", instant("2025-01-01T00:00:00Z"))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn due_never_before_receipt(r in receipt(), p in policies()) {
        let cal = cal();
        let dl = SlaClock::new(&p, &cal).due_for_receipt(r).unwrap();
        prop_assert!(dl.due > r);
    }

    #[test]
    fn later_receipt_never_earlier_deadline(r in receipt(), delta in 0i64..(60 * 24 * 20), p in policies()) {
        let cal = cal();
        let c = SlaClock::new(&p, &cal);
        prop_assert!(c.due_for_receipt(r + Duration::minutes(delta)).unwrap().due >= c.due_for_receipt(r).unwrap().due);
    }

    #[test]
    fn business_deadline_has_exactly_n_working_days(r in receipt(), n in 1u32..60, half in any::<bool>()) {
        let cal = cal();
        let p = SlaPolicy { length: n, arife_counts_as_business_day: half, ..SlaPolicy::belediye_15_is_gunu() };
        let dl = SlaClock::new(&p, &cal).due_for_receipt(r).unwrap();
        let bd = cal.business_days(p.count_mode());
        prop_assert!(bd.is_working(dl.due_date).unwrap());
        let receipt_day = muhtar_core::calendar::local_date(r);
        prop_assert_eq!(bd.working_days_between(receipt_day, dl.due_date).unwrap(), n);
    }

    #[test]
    fn zero_length_pause_changes_nothing(r in receipt(), after in 0i64..(60 * 24 * 10), p in policies()) {
        let cal = cal();
        let c = SlaClock::new(&p, &cal);
        let at = r + Duration::minutes(after);
        let plain = c.evaluate(&[ClockEvent::Received { at: r }], at).unwrap();
        let paused = c.evaluate(&[
            ClockEvent::Received { at: r },
            ClockEvent::Paused { at, reason: PauseReason::Muhtar },
            ClockEvent::Resumed { at },
        ], at).unwrap();
        prop_assert_eq!(plain.resolution.due, paused.resolution.due);
    }

    #[test]
    fn pause_of_k_working_days_moves_by_k(r in receipt(), start_after in 0u32..10, k in 0u32..20) {
        let cal = cal();
        let p = SlaPolicy::belediye_15_is_gunu();
        let c = SlaClock::new(&p, &cal);
        let bd = cal.business_days(p.count_mode());
        let rd = muhtar_core::calendar::local_date(r);
        let pause_day = bd.add_business_days(rd, start_after).unwrap();
        let resume_day = bd.add_business_days(pause_day, k).unwrap();
        let noon = |day: NaiveDate| muhtar_core::calendar::from_istanbul_local(day.and_hms_opt(12, 0, 0).unwrap()).unwrap();
        let (pa, re) = (noon(pause_day).max(r), noon(resume_day).max(r));
        let base = c.due_for_receipt(r).unwrap();
        let eval = c.evaluate(&[
            ClockEvent::Received { at: r },
            ClockEvent::Paused { at: pa, reason: PauseReason::Muhtar },
            ClockEvent::Resumed { at: re },
        ], re).unwrap();
        prop_assert_eq!(eval.resolution.due_date, bd.add_business_days(base.due_date, k).unwrap());
    }

    #[test]
    fn recomputation_is_idempotent(r in receipt(), p in policies(), pause in 0i64..(60*24*5), len in 0i64..(60*24*5)) {
        let cal = cal();
        let c = SlaClock::new(&p, &cal);
        let events = vec![
            ClockEvent::Received { at: r },
            ClockEvent::Paused { at: r + Duration::minutes(pause), reason: PauseReason::Muhtar },
            ClockEvent::Resumed { at: r + Duration::minutes(pause + len) },
        ];
        let now = r + Duration::days(90);
        let a = c.evaluate(&events, now).unwrap();
        let b = c.evaluate(&events, now).unwrap();
        prop_assert_eq!(&a, &b);
        // The clock orders events by instant; events of the same instant keep the order of
        // the history (a reversed pause and resume of the same minute mean something else).
        if pause > 0 && len > 0 {
            let mut shuffled = events.clone();
            shuffled.reverse();
            prop_assert_eq!(a, c.evaluate(&shuffled, now).unwrap());
        }
    }

    #[test]
    fn fast_path_equals_naive_reference(r in receipt(), p in policies()) {
        let cal = cal();
        let dl = SlaClock::new(&p, &cal).due_for_receipt(r).unwrap();
        prop_assert_eq!(dl.due_date, naive_due_date(&cal, &p, muhtar_core::calendar::local_date(r)));
    }
}

/// Day-by-day reference implementation of the counting rules.
fn naive_due_date(cal: &Calendar, p: &SlaPolicy, receipt_day: NaiveDate) -> NaiveDate {
    use muhtar_core::calendar::WorkingTime;
    let wt = |d: NaiveDate| cal.working_time(p.view, d).unwrap();
    let counts = |d: NaiveDate| match wt(d) {
        WorkingTime::Full => true,
        WorkingTime::None => false,
        _ => p.arife_counts_as_business_day,
    };
    match p.unit {
        DayUnit::Business => {
            let mut d = receipt_day;
            let mut n = p.length;
            while n > 0 {
                d = d.succ_opt().unwrap();
                if counts(d) {
                    n -= 1;
                }
            }
            d
        }
        DayUnit::Calendar => {
            let mut anchor = receipt_day;
            if p.defer_start_after_non_working_receipt && !wt(anchor).has_work() {
                loop {
                    anchor = anchor.succ_opt().unwrap();
                    if wt(anchor).has_work() {
                        break;
                    }
                }
                anchor = anchor.pred_opt().unwrap();
            }
            let mut d = anchor + Duration::days(i64::from(p.length));
            while !(wt(d) == WorkingTime::Full || (!p.roll_forward_half_day && wt(d).has_work())) {
                d = d.succ_opt().unwrap();
            }
            d
        }
    }
}

#[test]
fn scenario_helper_with_local_closure() {
    let mut cal = Calendar::new();
    cal.add(CalendarAddition {
        date: d("2025-03-31"),
        change: CalendarChange::LocalClosure,
        note: "kar".into(),
        added_by: "x".into(),
        added_at: instant("2025-03-01T00:00:00Z"),
    })
    .unwrap();
    given(SlaPolicy::genelge_2015_8())
        .on(cal)
        .received("2025-03-14T10:00:00+03:00")
        .then_due_date("2025-04-02");
}
