//! Every built-in regime's deadline equals an independent reference under random
//! receipts, pauses (waiting on the muhtar), fee stops and extensions.
//!
//! The reference is a plain day-by-day walk over the legal calendar (asking only what
//! kind of day a date is), written from docs/domain.md §3 and the pause rule of `sla`'s
//! module docs, not from the production index arithmetic:
//!
//! * the day of receipt is not counted; business days count the working days after it
//!   (an arife counts unless the policy says not); calendar days start the next day,
//!   even after a receipt on a weekend or holiday (docs/domain.md §3; the policies are set
//!   so explicitly here);
//! * a pause from local day P to local day R removes the days P < d <= R (working days
//!   for business-day regimes, every day for calendar-day ones); a pause that starts
//!   after the deadline passed is ignored;
//! * a calendar-day last day that is not a full working day rolls forward;
//! * the due instant is 17:30 Istanbul time, or 13:00 on a half day;
//! * the one extension (Law 4982) lengthens the period to 30 business days when it is
//!   notified by the deadline (a pause still open then counts up to it), and is refused
//!   after it.

use chrono::{DateTime, Duration, NaiveDate, NaiveTime, Utc};
use muhtar_core::calendar::{from_istanbul_local, local_date, Calendar, CalendarView, WorkingTime};
use muhtar_core::sla::*;
use proptest::prelude::*;

fn kind(cal: &Calendar, d: NaiveDate) -> WorkingTime {
    cal.working_time(CalendarView::Legal, d).unwrap()
}

fn counts_as_business_day(p: &SlaPolicy, w: WorkingTime) -> bool {
    match w {
        WorkingTime::Full => true,
        WorkingTime::None => false,
        _ => p.arife_counts_as_business_day,
    }
}

/// Days removed by one pause from local day `a` to local day `b`.
fn removed(p: &SlaPolicy, cal: &Calendar, a: NaiveDate, b: NaiveDate) -> u32 {
    let mut n = 0;
    let mut d = a.succ_opt().unwrap();
    while d <= b {
        if p.unit == DayUnit::Calendar || counts_as_business_day(p, kind(cal, d)) {
            n += 1;
        }
        d = d.succ_opt().unwrap();
    }
    n
}

/// The reference due instant for a receipt day, a length and pauses (local day pairs).
fn reference_due(
    p: &SlaPolicy,
    cal: &Calendar,
    start: NaiveDate,
    length: u32,
    pauses: &[(NaiveDate, NaiveDate)],
) -> DateTime<Utc> {
    let extra: u32 = pauses.iter().map(|(a, b)| removed(p, cal, *a, *b)).sum();
    let target = length + extra;
    let mut d = start;
    match p.unit {
        DayUnit::Business => {
            let mut counted = 0;
            while counted < target {
                d = d.succ_opt().unwrap();
                if counts_as_business_day(p, kind(cal, d)) {
                    counted += 1;
                }
            }
        }
        DayUnit::Calendar => {
            for _ in 0..target {
                d = d.succ_opt().unwrap();
            }
            while !match kind(cal, d) {
                WorkingTime::Full => true,
                WorkingTime::None => false,
                _ => !p.roll_forward_half_day,
            } {
                d = d.succ_opt().unwrap();
            }
        }
    }
    let mut end = p.office_end;
    if kind(cal, d) == WorkingTime::MorningOnly {
        end = end.min(NaiveTime::from_hms_opt(13, 0, 0).unwrap());
    }
    from_istanbul_local(d.and_time(end)).unwrap()
}

#[derive(Debug, Clone)]
struct Case {
    policy: SlaPolicy,
    received: DateTime<Utc>,
    /// (minutes after the previous event's end, duration in minutes, fee?)
    pauses: Vec<(i64, i64, bool)>,
    /// Minutes after receipt.
    extension: Option<i64>,
}

fn policy() -> impl Strategy<Value = SlaPolicy> {
    prop_oneof![
        Just(SlaPolicy::genelge_2015_8()),
        Just(SlaPolicy::belediye_15_is_gunu()),
        Just(SlaPolicy::dilekce_3071()),
        Just(SlaPolicy::bilgi_edinme_4982()),
    ]
    .prop_map(|p| SlaPolicy {
        // docs/domain.md §3: calendar-day periods start the day after receipt, always.
        defer_start_after_non_working_receipt: false,
        ..p
    })
}

const DAY: i64 = 24 * 60;

fn case() -> impl Strategy<Value = Case> {
    (
        policy(),
        0i64..(30 * 365 * DAY),
        prop::collection::vec((0i64..(12 * DAY), 0i64..(10 * DAY), any::<bool>()), 0..4),
        prop::option::of(0i64..(45 * DAY)),
    )
        .prop_map(|(policy, r, pauses, extension)| {
            let fee = policy.fee_stops_clock;
            let ext = policy.extension_length.is_some();
            Case {
                received: DateTime::parse_from_rfc3339("2012-01-01T00:00:00Z")
                    .unwrap()
                    .with_timezone(&Utc)
                    + Duration::minutes(r),
                pauses: pauses
                    .into_iter()
                    .map(|(g, d, f)| (g + 1, d, f && fee))
                    .collect(),
                extension: extension.filter(|_| ext),
                policy,
            }
        })
}

/// The events of a case, in time order: pauses one after the other; the extension half
/// a minute off any pause instant, so that no two events tie.
fn events(c: &Case) -> Vec<ClockEvent> {
    let mut events = vec![ClockEvent::Received { at: c.received }];
    let mut t = c.received;
    for (gap, dur, fee) in &c.pauses {
        let from = t + Duration::minutes(*gap);
        t = from + Duration::minutes(*dur);
        let reason = if *fee {
            PauseReason::Fee
        } else {
            PauseReason::Muhtar
        };
        events.push(ClockEvent::Paused { at: from, reason });
        events.push(ClockEvent::Resumed { at: t });
    }
    if let Some(m) = c.extension {
        events.push(ClockEvent::Extended {
            at: c.received + Duration::minutes(m) + Duration::seconds(30),
            reason: "araştırma".into(),
        });
    }
    events.sort_by_key(ClockEvent::at);
    events
}

/// One clock by the reference: its due instant, or `None` when the extension came too
/// late. `lengthen`: the extension lengthens this clock (the resolution clock).
fn simulate(
    p: &SlaPolicy,
    cal: &Calendar,
    events: &[ClockEvent],
    lengthen: bool,
) -> Option<DateTime<Utc>> {
    let ClockEvent::Received { at: received } = events[0] else {
        unreachable!()
    };
    let start = local_date(received);
    let mut length = p.length;
    let mut pauses: Vec<(NaiveDate, NaiveDate)> = Vec::new();
    let mut open: Option<DateTime<Utc>> = None;
    for e in &events[1..] {
        match e {
            ClockEvent::Paused { at, .. } => {
                if open.is_none() && *at <= reference_due(p, cal, start, length, &pauses) {
                    open = Some(*at);
                }
            }
            ClockEvent::Resumed { at } => {
                if let Some(from) = open.take() {
                    pauses.push((local_date(from), local_date(*at)));
                }
            }
            ClockEvent::Extended { at, .. } => {
                let mut so_far = pauses.clone();
                if let Some(from) = open {
                    so_far.push((local_date(from), local_date(*at)));
                }
                if *at > reference_due(p, cal, start, length, &so_far) {
                    return None;
                }
                if lengthen {
                    length = p.extension_length.unwrap();
                }
            }
            other => unreachable!("{other:?}"),
        }
    }
    Some(reference_due(p, cal, start, length, &pauses))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn every_builtin_regime_matches_the_day_by_day_reference(c in case()) {
        let cal = Calendar::new();
        let events = events(&c);
        let now = events.iter().map(ClockEvent::at).max().unwrap() + Duration::days(1);
        let got = SlaClock::new(&c.policy, &cal).evaluate(&events, now);
        let resolution = simulate(&c.policy, &cal, &events, true);
        let first_response = simulate(&c.policy, &cal, &events, false);
        match (first_response, resolution) {
            (Some(first_response), Some(resolution)) => {
                let ev = got.map_err(|e| TestCaseError::fail(format!("{c:?}: {e}")))?;
                prop_assert_eq!(ev.resolution.due.with_timezone(&Utc), resolution, "resolution {:?}", c);
                prop_assert_eq!(ev.first_response.due.with_timezone(&Utc), first_response, "first response {:?}", c);
            }
            _ => prop_assert!(
                matches!(got, Err(SlaError::ExtensionTooLate { .. })),
                "{:?}: expected a refused extension, got {:?}", c, got.map(|e| e.resolution.due)
            ),
        }
    }
}

/// The worked examples of docs/domain.md §3 through the reference itself, so that the
/// reference is known to say what the law says.
#[test]
fn the_reference_reproduces_the_worked_examples() {
    let cal = Calendar::new();
    let at = |s: &str| DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc);
    let d = |s: &str| s.parse::<NaiveDate>().unwrap();
    let no_defer = |p: SlaPolicy| SlaPolicy {
        defer_start_after_non_working_receipt: false,
        ..p
    };
    let g = no_defer(SlaPolicy::genelge_2015_8());
    assert_eq!(
        reference_due(&g, &cal, d("2025-03-14"), 15, &[]),
        at("2025-04-02T17:30:00+03:00")
    );
    let b = SlaPolicy::bilgi_edinme_4982();
    assert_eq!(
        reference_due(&b, &cal, d("2026-05-15"), 15, &[]),
        at("2026-06-11T17:30:00+03:00")
    );
    let strict = SlaPolicy {
        arife_counts_as_business_day: false,
        ..b.clone()
    };
    assert_eq!(
        reference_due(&strict, &cal, d("2026-05-15"), 15, &[]),
        at("2026-06-12T17:30:00+03:00")
    );
    let p = no_defer(SlaPolicy::dilekce_3071());
    assert_eq!(
        reference_due(&p, &cal, d("2024-04-20"), 30, &[]),
        at("2024-05-20T17:30:00+03:00")
    );
    // A fee from Monday 1 June to Friday 5 June 2026 removes four working days.
    assert_eq!(
        reference_due(
            &b,
            &cal,
            d("2026-05-15"),
            15,
            &[(d("2026-06-01"), d("2026-06-05"))]
        ),
        at("2026-06-17T17:30:00+03:00")
    );
}
