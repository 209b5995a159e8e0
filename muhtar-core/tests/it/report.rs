//! The quarterly report: properties of the pure aggregation, the report built from it,
//! exact figures for a known quarter through the façade, and the sign-off rules.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, TimeZone, Utc};
use muhtar_core::ids::SeededRandom;
use muhtar_core::prelude::*;
use muhtar_core::reason::ReasonCode;
use muhtar_core::report::{
    aggregate, render, Class, Cube, CubeQuery, Dimension, Facts, Quarter, QuarterlyReport,
    ReportError, ReportPeriod, Tally,
};
use muhtar_core::store::{OutboxStore, ReportStore};
use muhtar_core::testkit::{fixtures, MemoryStore};
use proptest::prelude::*;

const UNITS: [&str; 5] = ["", "fen-isleri", "asfalt", "park-bahce", "muhtarliklar"];

fn base() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 12, 1, 0, 0, 0).unwrap()
}

fn facts() -> impl Strategy<Value = Facts> {
    facts_in(200, 120)
}

prop_compose! {
    /// Facts received within `span` days of [`base`], concluded within `lag` days.
    fn facts_in(span: i64, lag: i64)(
        unit in 0..UNITS.len(),
        cat in 0..4usize,
        chan in 0..3usize,
        hood in 0..3usize,
        kind in 0..3usize,
        received in 0i64..span * 24 * 60,
        concluded in proptest::option::of(0i64..lag * 24 * 60),
        outcome in any::<bool>(),
        reason in 0..4usize,
        due in proptest::option::of(-10i64..40 * 24 * 60),
        (days, cdays) in (proptest::option::of(0u32..40), proptest::option::of(0u32..60)),
        fr in proptest::option::of((0i64..lag * 24 * 60, proptest::option::of(-10i64..10 * 24 * 60))),
    ) -> Facts {
        let received_at = base() + Duration::minutes(received);
        let concluded_at = concluded.map(|c| received_at + Duration::minutes(c));
        let outcome = concluded_at.map(|_| if outcome { Outcome::Positive } else { Outcome::Negative });
        Facts {
            unit: UNITS[unit].into(),
            category: format!("cat-{cat}"),
            channel: ["mbs-web", "phone", "open311"][chan].into(),
            muhtarlik: ["kuzguncuk", "cengelkoy", "beylerbeyi"][hood].into(),
            kind: ["request", "complaint", "suggestion"][kind].into(),
            received_at,
            concluded_at,
            outcome,
            reason: (outcome == Some(Outcome::Negative))
                .then(|| ["no-budget", "other", "withdrawn", ""][reason].to_owned()),
            resolution_due: due.map(|d| received_at + Duration::minutes(d)),
            answer_working_days: if outcome.is_some() { days } else { None },
            answer_calendar_days: if outcome.is_some() { cdays } else { None },
            // The first response comes at the latest with the answer.
            first_response_at: fr.map(|(m, _)| received_at + Duration::minutes(m))
                .map(|t| concluded_at.map_or(t, |c| t.min(c))),
            first_response_due: fr.and_then(|(_, d)| d).map(|d| received_at + Duration::minutes(d)),
        }
    }
}

fn quarters() -> impl Strategy<Value = Quarter> {
    prop_oneof![
        Just(Quarter::new(2025, 4).unwrap()),
        Just(Quarter::new(2026, 1).unwrap()),
        Just(Quarter::new(2026, 2).unwrap()),
    ]
}

fn units_subset() -> impl Strategy<Value = Vec<UnitCode>> {
    proptest::sample::subsequence(UNITS[1..].to_vec(), 0..=4)
        .prop_map(|v| v.into_iter().map(|u| UnitCode::new(u).unwrap()).collect())
}

fn sum_of(m: &BTreeMap<String, Tally>) -> Tally {
    let mut t = Tally::default();
    for v in m.values() {
        t.merge(v);
    }
    t
}

/// Every count of `a` is at most the same count of `b`.
fn le(a: &Tally, b: &Tally) -> bool {
    a.received <= b.received
        && a.positive <= b.positive
        && a.negative <= b.negative
        && a.open_at_end <= b.open_at_end
        && a.answered_on_time <= b.answered_on_time
        && a.answered_late <= b.answered_late
        && a.overdue_at_end <= b.overdue_at_end
        && a.carried_over <= b.carried_over
        && a.first_response_on_time <= b.first_response_on_time
        && a.first_response_late <= b.first_response_late
        && a.reasons
            .iter()
            .all(|(k, v)| *v <= b.reasons.get(k).copied().unwrap_or(0))
        && a.answer_days
            .iter()
            .all(|(k, v)| *v <= b.answer_days.get(k).copied().unwrap_or(0))
        && a.answer_calendar_days
            .iter()
            .all(|(k, v)| *v <= b.answer_calendar_days.get(k).copied().unwrap_or(0))
}

/// The received counts of every key of every dimension.
fn received_by_key(c: &Cube) -> BTreeMap<(Dimension, String), u64> {
    let mut m = BTreeMap::new();
    for (d, keys) in &c.by {
        for (k, t) in keys {
            if t.received > 0 {
                m.insert((*d, k.clone()), t.received);
            }
        }
    }
    m
}

fn add_received(into: &mut BTreeMap<(Dimension, String), u64>, c: &Cube) {
    for (k, v) in received_by_key(c) {
        *into.entry(k).or_default() += v;
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    /// Each breakdown sums to the totals; the totals add up the way the definitions say.
    #[test]
    fn breakdowns_sum_to_totals_and_totals_add_up(
        fs in proptest::collection::vec(facts(), 0..120),
        q in quarters(),
    ) {
        let cube = aggregate(&fs, &CubeQuery { window: q.window(), units: None });
        for d in Dimension::ALL {
            prop_assert_eq!(&sum_of(&cube.by[&d]), &cube.total, "{:?}", d);
        }
        let t = &cube.total;
        prop_assert_eq!(t.positive + t.negative + t.open_at_end, t.received);
        prop_assert_eq!(t.answered_on_time + t.answered_late, t.positive + t.negative);
        prop_assert_eq!(t.reasons.values().sum::<u64>(), t.negative);
        prop_assert!(t.overdue_at_end <= t.open_at_end);
        prop_assert!(t.answered_with_days() <= t.positive + t.negative);
        // Received is exactly the requests received in the quarter.
        let w = q.window();
        let received = fs.iter().filter(|f| f.received_at >= w.start && f.received_at < w.end).count();
        prop_assert_eq!(t.received, received as u64);
        // Law 3071: first responses on time and late are the received requests with a
        // first response before the end, each on time exactly when within its deadline.
        let responded: Vec<&Facts> = fs.iter()
            .filter(|f| f.received_at >= w.start && f.received_at < w.end)
            .filter(|f| f.first_response_at.is_some_and(|t| t < w.end))
            .collect();
        let late = responded.iter()
            .filter(|f| f.first_response_due.is_some_and(|d| f.first_response_at.unwrap() > d))
            .count() as u64;
        prop_assert!(t.first_response_on_time + t.first_response_late <= t.received);
        prop_assert_eq!(t.first_response_on_time + t.first_response_late, responded.len() as u64);
        prop_assert_eq!(t.first_response_late, late);
        // The cube's total equals the sum of any dimension (what stores compute).
        let mut via_kind = cube.clone();
        via_kind.total_from(Dimension::Kind);
        prop_assert_eq!(via_kind, cube);
    }

    /// Narrowing to units never increases a count, in the totals or any breakdown row;
    /// narrowing to all units loses only the unrouted requests.
    #[test]
    fn narrowing_never_increases_a_count(
        fs in proptest::collection::vec(facts(), 0..120),
        q in quarters(),
        units in units_subset(),
    ) {
        let all = aggregate(&fs, &CubeQuery { window: q.window(), units: None });
        let some = aggregate(&fs, &CubeQuery { window: q.window(), units: Some(units.clone()) });
        prop_assert!(le(&some.total, &all.total));
        for d in Dimension::ALL {
            for (k, v) in &some.by[&d] {
                prop_assert!(le(v, &all.by[&d][k]), "{:?} {}", d, k);
            }
        }
        // A smaller unit set gives smaller counts still.
        let fewer: Vec<UnitCode> = units.iter().skip(1).cloned().collect();
        let less = aggregate(&fs, &CubeQuery { window: q.window(), units: Some(fewer) });
        prop_assert!(le(&less.total, &some.total));
        // Per-unit rows of the narrowed cube are exactly the full cube's rows of those units.
        for u in &units {
            prop_assert_eq!(
                some.by[&Dimension::Unit].get(u.as_str()),
                all.by[&Dimension::Unit].get(u.as_str())
            );
        }
    }

    /// Aggregation is additive: the cube of two sets together is their cubes merged (what
    /// lets stores group in SQL and sum).
    #[test]
    fn aggregation_is_additive(
        a in proptest::collection::vec(facts(), 0..60),
        b in proptest::collection::vec(facts(), 0..60),
        q in quarters(),
    ) {
        let query = CubeQuery { window: q.window(), units: None };
        let both: Vec<Facts> = a.iter().chain(b.iter()).cloned().collect();
        let whole = aggregate(&both, &query);
        let (ca, cb) = (aggregate(&a, &query), aggregate(&b, &query));
        let mut merged = ca.clone();
        merged.total.merge(&cb.total);
        for d in Dimension::ALL {
            for (k, v) in &cb.by[&d] {
                merged.by.get_mut(&d).unwrap().entry(k.clone()).or_default().merge(v);
            }
        }
        prop_assert_eq!(merged, whole);
    }

    /// The group rows a store returns rebuild the same class as the pure function.
    #[test]
    fn classes_survive_the_store_row_shape(f in facts(), q in quarters()) {
        if let Some(c) = Class::of(&f, &q.window()) {
            let back = match &c {
                Class::CarriedOver => Class::from_group(false, None, None, false, None, None, None),
                Class::Received { outcome, reason, late, days, calendar_days, first_response } => Class::from_group(
                    true,
                    outcome.map(|o| if o == Outcome::Positive { "positive" } else { "negative" }),
                    reason.clone(),
                    *late,
                    days.map(i64::from),
                    calendar_days.map(i64::from),
                    *first_response,
                ),
            };
            prop_assert_eq!(back.unwrap(), c);
        }
    }

    /// Median and mean from the histogram equal those of the sorted list of values.
    #[test]
    fn median_and_mean_match_the_sorted_values(values in proptest::collection::vec(0u32..60, 1..80)) {
        let mut t = Tally::default();
        for v in &values {
            *t.answer_days.entry(*v).or_default() += 1;
        }
        let mut s = values.clone();
        s.sort();
        let n = s.len();
        let median = (f64::from(s[(n - 1) / 2]) + f64::from(s[n / 2])) / 2.0;
        let mean = s.iter().map(|v| f64::from(*v)).sum::<f64>() / n as f64;
        prop_assert_eq!(t.median_working_days(), Some((median * 100.0).round() / 100.0));
        prop_assert_eq!(t.mean_working_days(), Some((mean * 100.0).round() / 100.0));
        // The same for calendar days.
        let mut c = Tally::default();
        for v in &values {
            *c.answer_calendar_days.entry(*v).or_default() += 1;
        }
        prop_assert_eq!(c.median_calendar_days(), Some((median * 100.0).round() / 100.0));
        prop_assert_eq!(c.mean_calendar_days(), Some((mean * 100.0).round() / 100.0));
        prop_assert_eq!(c.answered_with_calendar_days(), n as u64);
        prop_assert_eq!(c.median_working_days(), None);
    }

    /// A year against its four quarters. Additive: `received`, in total and for every key
    /// of every breakdown (channels included). Not additive: the year's `carried_over` is
    /// its first quarter's; `positive`, `negative`, `answered_on_time + answered_late` and
    /// the answers with working or calendar days are at least the quarters' sum (an answer
    /// in a later quarter of the year counts for the year and for no quarter); `open_at_end`
    /// is at most the quarters' sum (a request open at the year's end was open at the end
    /// of the quarter it arrived in, and some open at a quarter's end are answered later).
    #[test]
    fn a_year_against_its_quarters(
        fs in proptest::collection::vec(facts_in(420, 300), 0..150),
    ) {
        let year: ReportPeriod = "2026".parse().unwrap();
        let cube = |w| aggregate(&fs, &CubeQuery { window: w, units: None });
        let y = cube(year.window());
        let q1 = Quarter::new(2026, 1).unwrap();
        let qs: Vec<Cube> = [q1, q1.next(), q1.next().next(), q1.next().next().next()]
            .into_iter()
            .map(|q| cube(q.window()))
            .collect();
        let sum = |f: fn(&Tally) -> u64| qs.iter().map(|c| f(&c.total)).sum::<u64>();
        prop_assert_eq!(y.total.received, sum(|t| t.received));
        let mut by_key = BTreeMap::new();
        for q in &qs {
            add_received(&mut by_key, q);
        }
        prop_assert_eq!(received_by_key(&y), by_key);
        prop_assert_eq!(y.total.carried_over, qs[0].total.carried_over);
        prop_assert!(y.total.positive >= sum(|t| t.positive));
        prop_assert!(y.total.negative >= sum(|t| t.negative));
        prop_assert!(
            y.total.answered_on_time + y.total.answered_late
                >= sum(|t| t.answered_on_time + t.answered_late)
        );
        prop_assert!(y.total.answered_with_days() >= sum(Tally::answered_with_days));
        prop_assert!(
            y.total.answered_with_calendar_days() >= sum(Tally::answered_with_calendar_days)
        );
        prop_assert!(y.total.open_at_end <= sum(|t| t.open_at_end));
        // The year's received are exactly the requests received in it.
        let (s, e) = (year.start(), year.end());
        let n = fs.iter().filter(|f| f.received_at >= s && f.received_at < e).count();
        prop_assert_eq!(y.total.received, n as u64);
    }

    /// Any range of dates split at any day: `received` adds up (total and every key),
    /// the whole's carried over are the first part's, and the whole keeps the identities
    /// of the definitions.
    #[test]
    fn a_range_split_anywhere_adds_up(
        fs in proptest::collection::vec(facts_in(420, 300), 0..150),
        first in 0i64..300,
        len in 1i64..200,
        cut in 0i64..200,
    ) {
        let day0 = chrono::NaiveDate::from_ymd_opt(2025, 12, 1).unwrap();
        let a = day0 + Duration::days(first);
        let z = a + Duration::days(len);
        let m = a + Duration::days(cut % len);
        let whole = ReportPeriod::dates(a, z).unwrap();
        let left = ReportPeriod::dates(a, m).unwrap();
        let right = ReportPeriod::dates(m.succ_opt().unwrap(), z).unwrap();
        prop_assert_eq!(whole.window().start, left.window().start);
        prop_assert_eq!(left.window().end, right.window().start);
        prop_assert_eq!(whole.window().end, right.window().end);
        let cube = |p: ReportPeriod| aggregate(&fs, &CubeQuery { window: p.window(), units: None });
        let (w, l, r) = (cube(whole), cube(left), cube(right));
        prop_assert_eq!(w.total.received, l.total.received + r.total.received);
        let mut by_key = received_by_key(&l);
        add_received(&mut by_key, &r);
        prop_assert_eq!(received_by_key(&w), by_key);
        prop_assert_eq!(w.total.carried_over, l.total.carried_over);
        let t = &w.total;
        prop_assert_eq!(t.positive + t.negative + t.open_at_end, t.received);
        prop_assert_eq!(t.answered_on_time + t.answered_late, t.positive + t.negative);
    }

    /// Every period prints as it parses; a range that is a quarter or a year becomes one.
    #[test]
    fn periods_print_as_they_parse(first in 0i64..20_000, len in 0i64..3650) {
        let a = chrono::NaiveDate::from_ymd_opt(2000, 1, 1).unwrap() + Duration::days(first);
        let z = a + Duration::days(len);
        if let Ok(p) = ReportPeriod::dates(a, z) {
            let back: ReportPeriod = p.to_string().parse().unwrap();
            prop_assert_eq!(back, p);
            prop_assert_eq!(p.days(), (a, z));
            prop_assert!(p.start() < p.end());
            if let Some(q) = p.quarter() {
                prop_assert_eq!(q.window(), p.window());
            }
        }
    }

    /// The built report's rows sum to its totals in every breakdown; the top categories are
    /// at most ten, most first; the JSON reads back to the same report.
    #[test]
    fn built_reports_are_consistent(
        fs in proptest::collection::vec(facts(), 0..120),
        q in quarters(),
    ) {
        let org = fixtures::organisation("prop");
        let cube = aggregate(&fs, &CubeQuery { window: q.window(), units: None });
        let r = QuarterlyReport::build(&cube, &org, q, None, q.end());
        for (name, _, rows) in r.breakdowns() {
            let sum = |f: fn(&muhtar_core::report::Counts) -> u64| rows.iter().map(|x| f(&x.counts)).sum::<u64>();
            prop_assert_eq!(sum(|c| c.received), r.totals.received, "{}", name);
            prop_assert_eq!(sum(|c| c.positive), r.totals.positive, "{}", name);
            prop_assert_eq!(sum(|c| c.negative), r.totals.negative, "{}", name);
            prop_assert_eq!(sum(|c| c.open_at_end), r.totals.open_at_end, "{}", name);
            prop_assert_eq!(sum(|c| c.carried_over), r.totals.carried_over, "{}", name);
            prop_assert_eq!(sum(|c| c.overdue_at_end), r.totals.overdue_at_end, "{}", name);
            let fr = r.totals.first_response.clone().unwrap();
            prop_assert_eq!(sum(|c| c.first_response.as_ref().unwrap().first_response_on_time), fr.first_response_on_time, "{}", name);
            prop_assert_eq!(sum(|c| c.first_response.as_ref().unwrap().first_response_late), fr.first_response_late, "{}", name);
        }
        prop_assert!(r.top_categories.len() <= 10);
        prop_assert!(r.top_categories.windows(2).all(|w| w[0].counts.received >= w[1].counts.received));
        let back: QuarterlyReport = serde_json::from_str(&render::json(&r)).unwrap();
        prop_assert_eq!(&back, &r);
        prop_assert_eq!(muhtar_core::report::content_hash(&back), muhtar_core::report::content_hash(&r));
    }
}

#[test]
fn quarters_parse_and_bound_in_istanbul_time() {
    let q: Quarter = "2026Q1".parse().unwrap();
    assert_eq!(q, "2026-q1".parse().unwrap());
    assert_eq!(q.to_string(), "2026Q1");
    assert_eq!(
        q.start(),
        Utc.with_ymd_and_hms(2025, 12, 31, 21, 0, 0).unwrap()
    );
    assert_eq!(
        q.end(),
        Utc.with_ymd_and_hms(2026, 3, 31, 21, 0, 0).unwrap()
    );
    assert_eq!(Quarter::containing(q.start()), q);
    assert_eq!(Quarter::containing(q.end() - Duration::microseconds(1)), q);
    assert_eq!(Quarter::containing(q.end()), q.next());
    assert_eq!(q.previous().to_string(), "2025Q4");
    // Before 2016 Istanbul kept EET in winter: 2015Q1 began at 22:00 UTC.
    let old: Quarter = "2015Q1".parse().unwrap();
    assert_eq!(
        old.start(),
        Utc.with_ymd_and_hms(2014, 12, 31, 22, 0, 0).unwrap()
    );
    // July 1st 2015 was summer time (EEST, +03:00).
    assert_eq!(
        old.next().next().start(),
        Utc.with_ymd_and_hms(2015, 6, 30, 21, 0, 0).unwrap()
    );
    for bad in [
        "2026Q0", "2026Q5", "26Q1", "2026", "Q1", "2026Q11", "1999Q4", "",
    ] {
        assert!(
            matches!(bad.parse::<Quarter>(), Err(ReportError::InvalidQuarter(_))),
            "{bad}"
        );
    }
}

#[test]
fn periods_parse_and_refuse_with_the_expected_forms() {
    let p = |s: &str| s.parse::<ReportPeriod>();
    assert_eq!(p("2026").unwrap(), ReportPeriod::Year(2026));
    assert_eq!(
        p("2026Q2").unwrap(),
        ReportPeriod::Quarter("2026Q2".parse().unwrap())
    );
    assert_eq!(p(" 2026-q2 ").unwrap().to_string(), "2026Q2");
    assert_eq!(
        p("2026-01-01..2026-12-31").unwrap(),
        ReportPeriod::Year(2026)
    );
    let r = p("2026-01-01..2026-06-30").unwrap();
    assert_eq!(r.to_string(), "2026-01-01..2026-06-30");
    assert!(r.quarter().is_none());
    assert_eq!(
        r.start(),
        Utc.with_ymd_and_hms(2025, 12, 31, 21, 0, 0).unwrap()
    );
    assert_eq!(
        r.end(),
        Utc.with_ymd_and_hms(2026, 6, 30, 21, 0, 0).unwrap()
    );
    // One day.
    let d = p("2026-03-31..2026-03-31").unwrap();
    assert_eq!(d.end() - d.start(), Duration::days(1));
    // Before 2016 a year began at 22:00 UTC (EET).
    assert_eq!(
        p("2015").unwrap().start(),
        Utc.with_ymd_and_hms(2014, 12, 31, 22, 0, 0).unwrap()
    );
    for bad in [
        "",
        "26",
        "20260",
        "2026Q5",
        "2026-01-01",
        "2026-01-01..",
        "..2026-01-01",
        "1999",
        "2101",
        "yıl",
    ] {
        let e = p(bad).unwrap_err();
        assert!(matches!(e, ReportError::InvalidPeriod(_)), "{bad}: {e:?}");
        let msg = e.to_string();
        for form in ["2026", "2026Q2", "2026-01-01..2026-06-30"] {
            assert!(msg.contains(form), "{bad}: {msg}");
        }
    }
    // A day that does not exist or is malformed: named, first or last.
    for (bad, day) in [
        (
            "2026-13-01..2026-12-31",
            "first day: \"2026-13-01\" is not a date that exists",
        ),
        (
            "2026-02-01..2026-02-30",
            "last day: \"2026-02-30\" is not a date that exists",
        ),
        (
            "2026-02-01..2026-2-x",
            "last day: \"2026-2-x\" is not a date; expected YYYY-MM-DD",
        ),
    ] {
        let e = p(bad).unwrap_err();
        assert!(
            matches!(e, ReportError::InvalidPeriodDay { .. }),
            "{bad}: {e:?}"
        );
        assert!(e.to_string().contains(day), "{bad}: {e}");
    }
    assert!(matches!(
        p("2026-06-30..2026-01-01"),
        Err(ReportError::PeriodEndsBeforeStart { .. })
    ));
    assert!(p("2016-01-01..2025-12-31").is_ok());
    let long = p("2016-01-01..2026-01-01").unwrap_err();
    assert!(matches!(
        long,
        ReportError::PeriodTooLong { max_years: 10, .. }
    ));
    assert!(long.to_string().contains("10 years"), "{long}");
}

/// A report signed before the period label and the calendar-day figures existed reads
/// back to the same canonical JSON, so its content hash still verifies.
#[test]
fn reports_signed_before_the_calendar_days_keep_their_hash() {
    let org = fixtures::organisation("old");
    let q: Quarter = "2025Q2".parse().unwrap();
    let mut cube = Cube::default();
    cube.total.received = 3;
    cube.total.positive = 2;
    cube.total.open_at_end = 1;
    cube.total.answered_on_time = 2;
    cube.total.answer_days.insert(2, 2);
    cube.total.answer_calendar_days.insert(4, 2);
    let r = QuarterlyReport::build(&cube, &org, q, None, q.end());
    let new = serde_json::to_string(&r).unwrap();
    assert!(new.contains(r#""median_calendar_days":4.0"#), "{new}");
    // The same report as the earlier build wrote it: without those fields.
    let mut old = new.replace(r#","label":"2025Q2""#, "");
    while let Some(i) = old.find(r#","answered_with_calendar_days":"#) {
        let end = i + old[i..].find('}').unwrap();
        old.replace_range(i..end, "");
    }
    assert!(!old.contains("answered_with_calendar_days") && !old.contains("\"label\""));
    let back: QuarterlyReport = serde_json::from_str(&old).unwrap();
    assert_eq!(back.totals.calendar_days, None);
    assert_eq!(back.period.label, None);
    assert_eq!(back.label(), "2025Q2");
    assert_eq!(serde_json::to_string(&back).unwrap(), old);
    // Rendering it still works, without calendar figures.
    assert!(render::html(&back).contains("2025Q2"));
}

/// A report signed with the calendar days but before the first-response counts (Law
/// 3071) reads back to the same canonical JSON, so its content hash still verifies; a new
/// one carries the counts in the totals and every row.
#[test]
fn reports_signed_before_the_first_response_counts_keep_their_hash() {
    let org = fixtures::organisation("old");
    let q: Quarter = "2025Q2".parse().unwrap();
    let mut cube = Cube::default();
    cube.total.received = 3;
    cube.total.positive = 2;
    cube.total.open_at_end = 1;
    cube.total.answered_on_time = 2;
    cube.total.first_response_on_time = 2;
    cube.total.first_response_late = 1;
    cube.total.answer_calendar_days.insert(4, 2);
    let r = QuarterlyReport::build(&cube, &org, q, None, q.end());
    let new = serde_json::to_string(&r).unwrap();
    assert!(
        new.contains(r#""first_response_on_time":2,"first_response_late":1"#),
        "{new}"
    );
    assert_eq!(
        new.matches("\"first_response_late\":").count(),
        1 + r.breakdowns().iter().map(|b| b.2.len()).sum::<usize>()
    );
    let old = new
        .replace(r#","first_response_on_time":2,"first_response_late":1"#, "")
        .replace(r#","first_response_on_time":0,"first_response_late":0"#, "");
    assert!(!old.contains("\"first_response_on_time\":"), "{old}");
    let back: QuarterlyReport = serde_json::from_str(&old).unwrap();
    assert_eq!(back.totals.first_response, None);
    assert!(back.totals.calendar_days.is_some());
    assert_eq!(serde_json::to_string(&back).unwrap(), old);
    // Rendered without the counts: empty cells, no panic.
    assert!(render::html(&back).contains("2025Q2"));
    assert!(render::html(&r).contains("Süresinde ilk cevap"));
}

// ---------------------------------------------------------------------------------------
// Through the façade

type Svc = Mbs<MemoryStore, ManualClock>;

async fn setup() -> (Svc, TenantId) {
    let q1: Quarter = "2026Q1".parse().unwrap();
    let mbs = Mbs::new(
        MemoryStore::default(),
        ManualClock::new(q1.start()),
        SeededRandom::new(7),
    );
    let org = fixtures::organisation("rpt");
    let t = org.tenant.id.clone();
    mbs.install_organisation(&Actor::system(t.clone()), org)
        .await
        .unwrap();
    (mbs, t)
}

fn actor(t: &TenantId, s: &str) -> Actor {
    Actor::parse(t, s).unwrap()
}

fn answer(outcome: Outcome, reason: Option<&str>) -> Command {
    Command::Answer {
        outcome,
        reason: reason.map(ReasonCode::new),
        reason_text: None,
        text: "Cevap".into(),
    }
}

/// A quarter with a known outcome for every request, checked number by number.
#[tokio::test]
async fn a_known_quarter_gives_the_expected_numbers() {
    let (mbs, t) = setup().await;
    let q1: Quarter = "2026Q1".parse().unwrap();
    let clock = mbs.clock();
    let muhtar = actor(&t, "muhtar:kuzguncuk");
    let staff = actor(&t, "unit:muhtarliklar");
    // Carried over: received in 2025Q4, still open on 1 January.
    clock.set(q1.start() - Duration::days(10));
    let carried = mbs
        .submit(&muhtar, fixtures::new_request("kuzguncuk"))
        .await
        .unwrap();
    // Received on Monday 2026-01-05 10:00 local (07:00 UTC).
    let monday = Utc.with_ymd_and_hms(2026, 1, 5, 7, 0, 0).unwrap();
    clock.set(monday);
    let mut new = Vec::new();
    for _ in 0..4 {
        new.push(
            mbs.submit(&muhtar, fixtures::new_request("kuzguncuk"))
                .await
                .unwrap(),
        );
    }
    // 1: positive on Wednesday: 2 working days, on time.
    clock.set(monday + Duration::days(2));
    mbs.execute(
        &staff,
        &new[0].state.tracking,
        None,
        answer(Outcome::Positive, None),
    )
    .await
    .unwrap();
    // 2: negative, no budget, on Friday: 4 working days, on time.
    clock.set(monday + Duration::days(4));
    mbs.execute(
        &staff,
        &new[1].state.tracking,
        None,
        answer(Outcome::Negative, Some("no-budget")),
    )
    .await
    .unwrap();
    // 3: withdrawn by the muhtar the same day: negative, reason "withdrawn".
    mbs.execute(
        &muhtar,
        &new[2].state.tracking,
        None,
        Command::Withdraw {
            reason: String::new(),
        },
    )
    .await
    .unwrap();
    // 4: never answered: open and overdue at the quarter's end.
    // The carried-over one is answered in February, 30+ days late.
    clock.set(Utc.with_ymd_and_hms(2026, 2, 10, 8, 0, 0).unwrap());
    mbs.execute(
        &staff,
        &carried.state.tracking,
        None,
        answer(Outcome::Positive, None),
    )
    .await
    .unwrap();
    // After the quarter.
    clock.set(q1.end() + Duration::days(2));
    let r = mbs.report(&actor(&t, "official"), q1, None).await.unwrap();
    let c = &r.totals;
    assert_eq!(
        (c.received, c.positive, c.negative, c.open_at_end),
        (4, 1, 2, 1)
    );
    assert_eq!(
        (c.answered_on_time, c.answered_late, c.overdue_at_end),
        (3, 0, 1)
    );
    assert_eq!(c.carried_over, 1);
    assert_eq!(c.answered_with_days, 2);
    assert_eq!(c.median_working_days, Some(3.0));
    assert_eq!(c.mean_working_days, Some(3.0));
    // Calendar days: Monday → Wednesday 2, Monday → Friday 4.
    let cal = c.calendar_days.as_ref().unwrap();
    assert_eq!(cal.answered_with_calendar_days, 2);
    assert_eq!(
        (cal.median_calendar_days, cal.mean_calendar_days),
        (Some(3.0), Some(3.0))
    );
    let reasons: Vec<(&str, u64)> = c
        .not_fulfilled
        .iter()
        .map(|x| (x.code.as_str(), x.count))
        .collect();
    assert_eq!(reasons, [("no-budget", 1), ("withdrawn", 1)]);
    assert!(c
        .not_fulfilled
        .iter()
        .all(|x| !x.text.is_empty() && x.text != x.code));
    let hood = r
        .by_muhtarlik
        .iter()
        .find(|x| x.key == "kuzguncuk")
        .unwrap();
    assert_eq!(hood.counts, *c);
    // Every muhtarlık of the organisation has a row, the empty ones with zeros.
    assert_eq!(r.by_muhtarlik.len(), 3);
    assert_eq!(r.responsible_official.as_ref().unwrap().name, "Ayşe Yılmaz");
    // 2025Q4: the carried-over request was received then and open at its end.
    let q4 = mbs
        .report(&actor(&t, "official"), q1.previous(), None)
        .await
        .unwrap();
    assert_eq!((q4.totals.received, q4.totals.open_at_end), (1, 1));
    // Narrowed to a unit with no requests: zeros; to the unit that has them: the same.
    let park = UnitCode::new("park-bahce").unwrap();
    let empty = mbs
        .report(&actor(&t, "official"), q1, Some(&park))
        .await
        .unwrap();
    assert_eq!(empty.totals.received, 0);
    let mine = UnitCode::new("muhtarliklar").unwrap();
    let narrowed = mbs.report(&staff, q1, Some(&mine)).await.unwrap();
    assert_eq!(narrowed.totals, *c);
    // Renderers carry the numbers.
    let csv = render::csv(
        &r,
        render::CsvOptions {
            separator: render::Separator::Semicolon,
        },
    );
    assert!(csv.starts_with('\u{feff}'));
    assert!(csv.contains("\"Toplam\";\"\";"), "{csv}");
    let html = render::html(&r);
    assert!(html.contains("TASLAK") && html.matches("<svg").count() == 3);
    // Self-contained: the only address is the SVG namespace.
    assert_eq!(
        html.matches("http").count(),
        html.matches("xmlns=\"http://www.w3.org/2000/svg\"").count()
    );
    assert!(!html.contains("<script") && !html.contains("<link") && !html.contains("src="));
    assert!(!html.contains(render::NOT_SIGNABLE));
    // Every channel has a row; the one used carries the counts.
    assert_eq!(r.by_channel.len(), Channel::ALL.len());
    assert_eq!(
        r.by_channel.iter().map(|x| x.counts.received).sum::<u64>(),
        4
    );

    // The year 2026: the same requests (all of them in Q1), a period report.
    let year = mbs
        .report_period(&actor(&t, "official"), "2026".parse().unwrap(), None)
        .await
        .unwrap();
    assert_eq!(year.totals, *c);
    assert_eq!(year.quarter, None);
    assert_eq!(year.format, "muhtar-period-report/1");
    assert_eq!(year.period.label.as_deref(), Some("2026"));
    assert_eq!(year.period.start.to_rfc3339(), "2026-01-01T00:00:00+03:00");
    assert_eq!(year.period.end.to_rfc3339(), "2027-01-01T00:00:00+03:00");
    assert!(render::html(&year).contains(render::NOT_SIGNABLE));
    assert!(!render::html(&year).contains("TASLAK"));
    let csv = render::csv(&year, Default::default());
    assert!(csv.contains(render::NOT_SIGNABLE), "{csv}");
    assert!(csv.contains("Ortanca cevap süresi (takvim günü)"), "{csv}");
    // A range from the second week: the Monday requests and the 2025Q4 one are carried
    // over into it.
    let later = mbs
        .report_period(
            &actor(&t, "official"),
            "2026-01-06..2026-02-28".parse().unwrap(),
            None,
        )
        .await
        .unwrap();
    assert_eq!(later.totals.received, 0);
    assert_eq!(later.totals.carried_over, 5);
    // The quarter as a period is the quarterly report.
    let q = mbs
        .report_period(&actor(&t, "official"), q1.into(), None)
        .await
        .unwrap();
    assert_eq!(
        (q.quarter, q.format.as_str()),
        (Some(q1), "muhtar-quarterly-report/1")
    );
    assert_eq!(q.totals, *c);
}

/// Only the responsible official signs, only ended quarters, with a note; the signed
/// report is frozen against later changes; a correction is the next version.
#[tokio::test]
async fn sign_off_is_the_officials_and_freezes_the_report() {
    let (mbs, t) = setup().await;
    let q1: Quarter = "2026Q1".parse().unwrap();
    let clock = mbs.clock();
    let muhtar = actor(&t, "muhtar:kuzguncuk");
    clock.set(q1.start() + Duration::days(5));
    let rec = mbs
        .submit(&muhtar, fixtures::new_request("kuzguncuk"))
        .await
        .unwrap();
    let official = actor(&t, "official@ayse");

    // Not before the quarter ends.
    assert!(matches!(
        mbs.sign_report(&official, q1, None, "Uygundur").await,
        Err(ServiceError::Report(ReportError::QuarterNotOver { .. }))
    ));
    clock.set(q1.end() + Duration::days(1));
    // Nobody else may sign.
    for who in [
        "coordinator",
        "admin",
        "auditor",
        "unit:muhtarliklar",
        "muhtar:kuzguncuk",
        "system",
    ] {
        assert!(
            matches!(
                mbs.sign_report(&actor(&t, who), q1, None, "Uygundur").await,
                Err(ServiceError::Forbidden(_))
            ),
            "{who}"
        );
    }
    // Another tenant's official cannot see this one.
    let stranger = Actor::parse(&TenantId::new("baska").unwrap(), "official").unwrap();
    assert!(mbs.sign_report(&stranger, q1, None, "x").await.is_err());
    // A note is required.
    assert!(matches!(
        mbs.sign_report(&official, q1, None, "  ").await,
        Err(ServiceError::Report(ReportError::NoteRequired))
    ));
    assert!(mbs.store().signed_reports(&t).await.unwrap().is_empty());

    let v1 = mbs
        .sign_report(&official, q1, None, "Uygundur")
        .await
        .unwrap();
    assert_eq!((v1.version, v1.supersedes), (1, None));
    assert_eq!(v1.signed_by, "official@ayse");
    assert_eq!(v1.report.totals.open_at_end, 1);
    v1.verify().unwrap();

    // The data changes: the draft changes, the signed report does not.
    mbs.execute(
        &actor(&t, "unit:muhtarliklar"),
        &rec.state.tracking,
        None,
        answer(Outcome::Positive, None),
    )
    .await
    .unwrap();
    let draft = mbs.report(&official, q1, None).await.unwrap();
    assert_eq!(
        draft.totals.open_at_end, 1,
        "answered after the quarter: still open at its end"
    );
    let stored = mbs.signed_reports(&official).await.unwrap();
    assert_eq!(stored, vec![v1.clone()]);

    // A correction: version 2, linked to version 1; both kept.
    let v2 = mbs
        .sign_report(&official, q1, None, "Düzeltme: kategori adı")
        .await
        .unwrap();
    assert_eq!((v2.version, v2.supersedes), (2, Some(v1.id)));
    assert_eq!(
        mbs.signed_reports(&official).await.unwrap(),
        vec![v1.clone(), v2.clone()]
    );
    assert_eq!(mbs.signed_report(&official, v1.id).await.unwrap(), v1);
    // A unit's report is versioned on its own.
    let unit = UnitCode::new("muhtarliklar").unwrap();
    let u1 = mbs
        .sign_report(&official, q1, Some(&unit), "Birim raporu")
        .await
        .unwrap();
    assert_eq!(u1.version, 1);
    // Unit staff see their unit's signed reports only.
    let staff = mbs
        .signed_reports(&actor(&t, "unit:muhtarliklar"))
        .await
        .unwrap();
    assert_eq!(staff, vec![u1.clone()]);
    assert!(mbs
        .signed_reports(&muhtar)
        .await
        .unwrap_or_default()
        .is_empty());
    // A tampered snapshot no longer verifies.
    let mut bad = v2.clone();
    bad.report.totals.received += 1;
    assert!(bad.verify().is_err());
    // The signed HTML says who signed, and the hash.
    let html = render::render_signed(&v2, render::Format::Html, Default::default());
    assert!(html.contains(&v2.content_hash) && html.contains("Onaylandı"));
}

/// The sweep asks the official to sign the last quarter's report once, and not after it
/// is signed.
#[tokio::test]
async fn sweep_queues_one_report_ready_notice_per_quarter() {
    let (mbs, t) = setup().await;
    let q1: Quarter = "2026Q1".parse().unwrap();
    let clock = mbs.clock();
    // Nothing yet: no notice.
    clock.set(q1.end() + Duration::days(1));
    assert_eq!(mbs.sweep(&t).await.unwrap().report_ready, 0);
    clock.set(q1.start() + Duration::days(3));
    mbs.submit(
        &actor(&t, "muhtar:kuzguncuk"),
        fixtures::new_request("kuzguncuk"),
    )
    .await
    .unwrap();
    clock.set(q1.end() + Duration::days(1));
    assert_eq!(mbs.sweep(&t).await.unwrap().report_ready, 1);
    assert_eq!(mbs.sweep(&t).await.unwrap().report_ready, 0);
    let out = mbs.store().outbox(&t, None).await.unwrap();
    let ready: Vec<_> = out
        .iter()
        .filter(|e| e.message.kind == muhtar_core::outbox::NoticeKind::ReportReady)
        .collect();
    assert_eq!(ready.len(), 1);
    assert_eq!(ready[0].message.recipient, "ayse.yilmaz@ornek.bel.tr");
    let muhtar_core::outbox::NoticePayload::ReportReady(r) = &ready[0].message.payload else {
        panic!("{:?}", ready[0].message.payload)
    };
    assert_eq!(r.period, "2026Q1");
    // Next quarter, signed before the sweep: no notice.
    clock.set(q1.next().end() + Duration::days(1));
    mbs.sign_report(&actor(&t, "official"), q1.next(), None, "Uygundur")
        .await
        .unwrap();
    assert_eq!(mbs.sweep(&t).await.unwrap().report_ready, 0);
}

/// The store's cube (memory store here; SQLite and PostgreSQL in the conformance suite)
/// is what the façade's report is built from.
#[tokio::test]
async fn the_report_is_built_from_the_store_cube() {
    let (mbs, t) = setup().await;
    let q1: Quarter = "2026Q1".parse().unwrap();
    mbs.clock().set(q1.start() + Duration::days(1));
    for _ in 0..3 {
        mbs.submit(
            &actor(&t, "muhtar:cengelkoy"),
            fixtures::new_request("cengelkoy"),
        )
        .await
        .unwrap();
    }
    let cube: Cube = mbs
        .store()
        .report_cube(
            &t,
            &CubeQuery {
                window: q1.window(),
                units: None,
            },
        )
        .await
        .unwrap();
    let r = mbs.report(&actor(&t, "auditor"), q1, None).await.unwrap();
    assert_eq!(r.totals.received, cube.total.received);
    assert_eq!(r.totals.received, 3);
}

/// Text a hostile organisation or rule set could put into a report cell: formula
/// starts, both separators, quotes, line breaks, tabs.
fn hostile_cell() -> impl Strategy<Value = String> {
    prop_oneof![
        "[=+@\\-\t\r;,\"\n a-zÇçĞğİıÖöŞşÜü0-9().]{0,16}",
        Just("Kuzguncuk;=cmd|' /C calc'!A0".to_owned()),
        Just("Kuzguncuk,=HYPERLINK(\"http://x\")".to_owned()),
        Just("-2+3".to_owned()),
        Just("@SUM(A1)".to_owned()),
    ]
}

const FORMULA_START: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// Parses `csv` (BOM stripped) with `sep` as a real CSV reader does.
fn parse_csv(csv: &str, sep: u8) -> Vec<Vec<String>> {
    let body = csv.strip_prefix('\u{feff}').expect("a BOM");
    csv::ReaderBuilder::new()
        .delimiter(sep)
        .has_headers(false)
        .flexible(true)
        .from_reader(body.as_bytes())
        .records()
        .map(|r| r.expect("parses").iter().map(str::to_owned).collect())
        .collect()
}

/// A cell's text without the `'`s a defusing writer may add, line breaks as spaces:
/// what a text must come back as, defusing aside.
fn undefused(s: &str) -> String {
    s.replace(['\r', '\n'], " ").replace('\'', "")
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    /// Issue 17, defect 7: every text cell is quoted and defused, so a CSV written with
    /// either separator parses back (with that separator) into the same cells, and read
    /// with either separator (a spreadsheet in another locale) no cell starts a formula.
    #[test]
    fn csv_cells_never_split_or_start_a_formula(
        tenant in hostile_cell(),
        scope in hostile_cell(),
        key in hostile_cell(),
        name in hostile_cell(),
        reason in hostile_cell(),
    ) {
        let org = fixtures::organisation("demo");
        let q: Quarter = "2025Q1".parse().unwrap();
        let mut r = QuarterlyReport::build(&Cube::default(), &org, q, None, q.end());
        r.tenant_name = tenant.clone();
        r.scope.unit_name = Some(scope.clone());
        let mut counts = r.totals.clone();
        counts.median_working_days = Some(2.5);
        counts.not_fulfilled = vec![muhtar_core::report::ReasonCount {
            code: "other".into(),
            text: reason.clone(),
            count: 1,
        }];
        r.totals.not_fulfilled = counts.not_fulfilled.clone();
        r.by_unit.push(muhtar_core::report::Row { key: key.clone(), name: name.clone(), counts });
        for (separator, sep) in [(render::Separator::Comma, b','), (render::Separator::Semicolon, b';')] {
            let csv = render::csv(&r, render::CsvOptions { separator });
            let rows = parse_csv(&csv, sep);
            let width = 3 + 17 + 1; // key, name, label; 17 counts; the reasons
            prop_assert_eq!(rows.len(), 3 + 1 + r.breakdowns().iter().map(|b| b.2.len()).sum::<usize>());
            let u = |cells: &[String]| cells.iter().map(|c| undefused(c)).collect::<Vec<_>>();
            prop_assert_eq!(u(&rows[0]), u(&["Rapor".to_owned(), format!("{tenant} {q}")]));
            prop_assert_eq!(u(&rows[1]), u(&["Kapsam".to_owned(), scope.clone()]));
            prop_assert_eq!(rows[2].len(), width);
            prop_assert_eq!(undefused(&rows[2][width - 1]), undefused(&format!("Gerekçe: {reason}")));
            for row in &rows[3..] {
                prop_assert_eq!(row.len(), width, "{:?}", row);
            }
            prop_assert_eq!(undefused(&rows[3][2]), undefused(&tenant));
            let mine = rows.iter().rev().find(|row| row[0] == "Birimlere göre");
            prop_assert_eq!(u(&mine.unwrap()[1..3]), u(&[key.clone(), name.clone()]));
            // Read with either separator, no cell is a formula.
            for other in [b',', b';'] {
                for row in parse_csv(&csv, other) {
                    for cell in row {
                        prop_assert!(!cell.starts_with(FORMULA_START), "{:?} in {}", cell, csv);
                    }
                }
            }
        }
    }
}
