//! Calendar tests: holidays, views, tenant additions, time zone, business-day index.

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, Utc};
use muhtar_core::calendar::*;
use proptest::prelude::*;

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}
fn utc(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}
fn at() -> DateTime<Utc> {
    utc("2025-03-01T09:00:00Z")
}

#[test]
fn religious_dates_match_diyanet() {
    let cal = Calendar::new();
    let ramazan = [
        "2010-09-09",
        "2011-08-30",
        "2012-08-19",
        "2013-08-08",
        "2014-07-28",
        "2015-07-17",
        "2016-07-05",
        "2017-06-25",
        "2018-06-15",
        "2019-06-04",
        "2020-05-24",
        "2021-05-13",
        "2022-05-02",
        "2023-04-21",
        "2024-04-10",
        "2025-03-30",
        "2026-03-20",
        "2027-03-09",
    ];
    let kurban = [
        "2010-11-16",
        "2011-11-06",
        "2012-10-25",
        "2013-10-15",
        "2014-10-04",
        "2015-09-24",
        "2016-09-12",
        "2017-09-01",
        "2018-08-21",
        "2019-08-11",
        "2020-07-31",
        "2021-07-20",
        "2022-07-09",
        "2023-06-28",
        "2024-06-16",
        "2025-06-06",
        "2026-05-27",
        "2027-05-16",
    ];
    for (first, n, name) in ramazan
        .iter()
        .map(|s| (s, 3, "Ramazan"))
        .chain(kurban.iter().map(|s| (s, 4, "Kurban")))
    {
        let first = d(first);
        let year = cal
            .holidays((first - Duration::days(1)).year(), CalendarView::Legal)
            .unwrap();
        let arife = year.iter().find(|h| h.date == first - Duration::days(1));
        if let Some(a) = arife {
            assert!(a.name.contains(&format!("{name} Bayramı arifesi")), "{a:?}");
            assert!(!a.estimated);
        }
        for i in 0..n {
            let day = first + Duration::days(i);
            let h = cal
                .holidays(day.year(), CalendarView::Legal)
                .unwrap()
                .into_iter()
                .find(|h| h.date == day)
                .unwrap_or_else(|| panic!("{day} missing"));
            assert_eq!(h.kind, HolidayKind::Full);
            assert!(
                h.name.contains(&format!("{name} Bayramı {}. gün", i + 1)),
                "{h:?}"
            );
        }
    }
}

#[test]
fn domain_2025_and_2026_checks() {
    let cal = Calendar::new();
    let y = cal.holidays(2025, CalendarView::Legal).unwrap();
    let get = |date: &str| y.iter().find(|h| h.date == d(date)).cloned();
    assert_eq!(get("2025-03-29").unwrap().name, "Ramazan Bayramı arifesi");
    assert_eq!(get("2025-03-29").unwrap().kind, HolidayKind::Half);
    assert_eq!(get("2025-03-30").unwrap().name, "Ramazan Bayramı 1. gün");
    assert_eq!(get("2025-04-01").unwrap().name, "Ramazan Bayramı 3. gün");
    assert!(
        get("2025-04-02").is_none(),
        "idari izin is not in the legal view"
    );
    assert_eq!(
        get("2025-10-28").unwrap().name,
        "Cumhuriyet Bayramı arifesi"
    );
    let y26 = cal.holidays(2026, CalendarView::Legal).unwrap();
    let arife = y26.iter().find(|h| h.date == d("2026-05-26")).unwrap();
    assert_eq!(
        (arife.name.as_str(), arife.kind),
        ("Kurban Bayramı arifesi", HolidayKind::Half)
    );
}

#[test]
fn fixed_days_respect_start_years() {
    let cal = Calendar::new();
    let has = |y: i32, date: &str| {
        cal.holidays(y, CalendarView::Legal)
            .unwrap()
            .iter()
            .any(|h| h.date == d(date))
    };
    assert!(!has(2016, "2016-07-15"));
    assert!(has(2017, "2017-07-15"));
    assert!(has(2010, "2010-05-01"));
    for date in [
        "2030-01-01",
        "2030-04-23",
        "2030-05-19",
        "2030-08-30",
        "2030-10-29",
    ] {
        assert!(has(2030, date), "{date}");
    }
}

#[test]
fn full_wins_over_half_on_same_date() {
    // 2012: Kurban Bayramı 25-28 October; 28 October is also Cumhuriyet arifesi.
    let cal = Calendar::new();
    let h = cal.holidays(2012, CalendarView::Legal).unwrap();
    let oct28: Vec<_> = h.iter().filter(|h| h.date == d("2012-10-28")).collect();
    assert_eq!(oct28.len(), 1);
    assert_eq!(oct28[0].kind, HolidayKind::Full);
    assert!(
        oct28[0].name.contains("Kurban Bayramı 4. gün")
            && oct28[0].name.contains("Cumhuriyet Bayramı arifesi")
    );
}

#[test]
fn estimates_are_marked() {
    let cal = Calendar::new();
    assert!(!cal.year_is_estimated(2027).unwrap());
    assert!(cal.year_is_estimated(2028).unwrap());
    assert!(cal.year_is_estimated(2050).unwrap());
    let h = cal.holidays(2030, CalendarView::Legal).unwrap();
    assert!(h
        .iter()
        .any(|h| h.estimated && h.source == HolidaySource::Estimate));
    assert!(h
        .iter()
        .filter(|h| h.name == "Zafer Bayramı")
        .all(|h| !h.estimated));
    assert_eq!(
        cal.holidays(2009, CalendarView::Legal),
        Err(CalendarError::YearOutOfRange { year: 2009 })
    );
    assert_eq!(
        cal.holidays(2051, CalendarView::Legal),
        Err(CalendarError::YearOutOfRange { year: 2051 })
    );
    for y in FIRST_YEAR..=LAST_YEAR {
        let h = cal.holidays(y, CalendarView::Legal).unwrap();
        let bayram_days = h.iter().filter(|h| h.name.contains(". gün")).count();
        assert!((7..=14).contains(&bayram_days), "{y}: {bayram_days}");
        assert!(h.windows(2).all(|w| w[0].date < w[1].date));
    }
}

#[test]
fn day_kinds_and_views() {
    let mut cal = Calendar::with_builtin_idari_izin("test", at());
    use CalendarView::*;
    assert_eq!(
        cal.day_kind(Legal, d("2025-03-29")).unwrap(),
        DayKind::Weekend
    );
    assert_eq!(
        cal.day_kind(Legal, d("2025-03-31")).unwrap(),
        DayKind::FullHoliday
    );
    assert_eq!(
        cal.day_kind(Legal, d("2025-10-28")).unwrap(),
        DayKind::HalfHoliday
    );
    assert_eq!(
        cal.day_kind(Legal, d("2025-04-02")).unwrap(),
        DayKind::Working
    );
    assert_eq!(
        cal.day_kind(Operational, d("2025-04-02")).unwrap(),
        DayKind::IdariIzin {
            morning_only: false
        }
    );
    assert_eq!(
        cal.working_time(Operational, d("2019-06-03")).unwrap(),
        WorkingTime::None,
        "arife + morning leave"
    );
    assert_eq!(
        cal.working_time(Legal, d("2019-06-03")).unwrap(),
        WorkingTime::MorningOnly
    );
    cal.add(CalendarAddition {
        date: d("2025-05-14"),
        change: CalendarChange::LocalClosure,
        note: "sel".into(),
        added_by: "ali".into(),
        added_at: at(),
    })
    .unwrap();
    assert_eq!(
        cal.day_kind(Operational, d("2025-05-14")).unwrap(),
        DayKind::LocalClosure
    );
    assert_eq!(
        cal.day_kind(Legal, d("2025-05-14")).unwrap(),
        DayKind::Working
    );
    let v = cal.version().to_owned();
    cal.add(CalendarAddition {
        date: d("2025-05-14"),
        change: CalendarChange::Correction {
            set: DayOverride::Reset,
        },
        note: "geri al".into(),
        added_by: "ali".into(),
        added_at: at(),
    })
    .unwrap();
    assert_ne!(cal.version(), v);
    assert_eq!(
        cal.day_kind(Operational, d("2025-05-14")).unwrap(),
        DayKind::Working
    );
    assert_eq!(cal.additions().len(), builtin_idari_izin().len() + 2);
    assert_eq!(cal.additions().last().unwrap().added_by, "ali");
    let err = cal.add(CalendarAddition {
        date: d("2060-01-01"),
        change: CalendarChange::LocalClosure,
        note: String::new(),
        added_by: "x".into(),
        added_at: at(),
    });
    assert!(matches!(err, Err(CalendarError::DateOutOfRange { .. })));
}

#[test]
fn version_is_deterministic() {
    assert_eq!(Calendar::new().version(), Calendar::new().version());
    assert_ne!(
        Calendar::new().version(),
        Calendar::with_builtin_idari_izin("x", at()).version()
    );
}

#[test]
fn operational_holidays_include_idari_izin() {
    let cal = Calendar::with_builtin_idari_izin("test", at());
    let h = cal.holidays(2025, CalendarView::Operational).unwrap();
    for date in ["2025-04-02", "2025-04-03", "2025-04-04"] {
        let row = h.iter().find(|h| h.date == d(date)).unwrap();
        assert_eq!(
            (row.name.as_str(), row.kind),
            ("İdari izin", HolidayKind::Full)
        );
    }
    let h19 = cal.holidays(2019, CalendarView::Operational).unwrap();
    let r = h19.iter().find(|h| h.date == d("2019-06-03")).unwrap();
    assert_eq!(r.kind, HolidayKind::Full);
}

#[test]
fn istanbul_time_zone_history() {
    let off = |s: &str| istanbul_offset(utc(s)).local_minus_utc() / 3600;
    assert_eq!(off("2015-07-01T12:00:00Z"), 3, "summer 2015 EEST");
    assert_eq!(off("2015-01-15T12:00:00Z"), 2, "winter 2015 EET");
    assert_eq!(off("2015-12-15T12:00:00Z"), 2);
    assert_eq!(
        off("2017-01-15T12:00:00Z"),
        3,
        "permanent +03 since 2016-09-07"
    );
    // 2011: DST started 28 March (not 27 March) at 01:00 UTC.
    assert_eq!(off("2011-03-27T12:00:00Z"), 2);
    assert_eq!(off("2011-03-28T02:00:00Z"), 3);
    // 2014: DST started 31 March (not 30 March).
    assert_eq!(off("2014-03-30T12:00:00Z"), 2);
    assert_eq!(off("2014-03-31T02:00:00Z"), 3);
    // 2015: DST ended 8 November (not 25 October).
    assert_eq!(off("2015-10-26T12:00:00Z"), 3);
    assert_eq!(off("2015-11-07T12:00:00Z"), 3);
    assert_eq!(off("2015-11-08T12:00:00Z"), 2);
    // Local -> UTC.
    let local = NaiveDateTime::parse_from_str("2015-01-15 17:30:00", "%Y-%m-%d %H:%M:%S").unwrap();
    assert_eq!(
        from_istanbul_local(local).unwrap(),
        utc("2015-01-15T15:30:00Z")
    );
    let local = NaiveDateTime::parse_from_str("2025-04-02 17:30:00", "%Y-%m-%d %H:%M:%S").unwrap();
    assert_eq!(
        from_istanbul_local(local).unwrap(),
        utc("2025-04-02T14:30:00Z")
    );
    assert_eq!(local_date(utc("2025-03-14T22:30:00Z")), d("2025-03-15"));
}

#[test]
fn business_day_basics() {
    let cal = Calendar::new();
    let bd = cal.business_days(CountMode::LEGAL);
    assert_eq!(
        bd.add_business_days(d("2025-03-14"), 1).unwrap(),
        d("2025-03-17")
    );
    assert_eq!(
        bd.add_business_days(d("2025-03-15"), 1).unwrap(),
        d("2025-03-17")
    );
    assert_eq!(
        bd.add_business_days(d("2025-03-14"), 0).unwrap(),
        d("2025-03-14")
    );
    assert_eq!(
        bd.sub_business_days(d("2025-03-17"), 1).unwrap(),
        d("2025-03-14")
    );
    assert_eq!(
        cal.add_business_days(d("2026-05-15"), 15).unwrap(),
        d("2026-06-11")
    );
    let strict = cal.business_days(CountMode::new(CalendarView::Legal, false));
    assert_eq!(
        strict.add_business_days(d("2026-05-15"), 15).unwrap(),
        d("2026-06-12")
    );
    assert!(matches!(
        bd.add_business_days(d("2050-12-20"), 30),
        Err(CalendarError::ResultOutOfRange { .. })
    ));
    assert!(matches!(
        bd.add_business_days(d("2009-12-31"), 1),
        Err(CalendarError::DateOutOfRange { .. })
    ));
}

/// Naive day-by-day reference implementation.
fn naive_add(cal: &Calendar, mode: CountMode, date: NaiveDate, n: u32) -> Option<NaiveDate> {
    let mut d = date;
    let mut left = n;
    while left > 0 {
        d = d.succ_opt()?;
        let w = cal.working_time(mode.view, d).ok()?;
        let working = if mode.half_day_is_working {
            w.has_work()
        } else {
            w == WorkingTime::Full
        };
        if working {
            left -= 1;
        }
    }
    Some(d)
}

fn mode_strategy() -> impl Strategy<Value = CountMode> {
    (any::<bool>(), any::<bool>()).prop_map(|(op, half)| {
        CountMode::new(
            if op {
                CalendarView::Operational
            } else {
                CalendarView::Legal
            },
            half,
        )
    })
}

proptest! {
    #[test]
    fn fast_path_equals_naive(offset in 0i64..14_900, n in 0u32..400, mode in mode_strategy()) {
        let cal = Calendar::with_builtin_idari_izin("t", at());
        let date = d("2010-01-01") + Duration::days(offset);
        let fast = cal.business_days(mode).add_business_days(date, n).ok();
        prop_assert_eq!(fast, naive_add(&cal, mode, date, n));
    }

    #[test]
    fn add_then_sub_round_trips(offset in 30i64..14_500, n in 1u32..200) {
        let cal = Calendar::new();
        let bd = cal.business_days(CountMode::LEGAL);
        let date = d("2010-01-01") + Duration::days(offset);
        let end = bd.add_business_days(date, n).unwrap();
        prop_assert!(bd.is_working(end).unwrap());
        prop_assert_eq!(bd.working_days_between(date, end).unwrap(), n);
        let back = bd.sub_business_days(end, n).unwrap();
        prop_assert_eq!(bd.next_working_on_or_after(date + Duration::days(1)).unwrap(), bd.add_business_days(back, 1).unwrap());
    }
}

#[test]
fn compiled_data_parses() {
    // Forces the lazy parsing; also every year has both bayrams' data.
    let cal = Calendar::new();
    for y in FIRST_YEAR..=LAST_YEAR {
        let h = cal.holidays(y, CalendarView::Legal).unwrap();
        assert!(h.iter().any(|h| h.name.starts_with("Ramazan")), "{y}");
        assert!(h.iter().any(|h| h.name.starts_with("Kurban")), "{y}");
    }
    assert_eq!(builtin_idari_izin().len(), 11);
}
