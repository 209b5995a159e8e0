//! Compiled-in holiday data: fixed national days (Law 2429), the religious
//! bayrams (from `data/religious_holidays.tsv`) and the known idari izin days
//! (from `data/idari_izin.tsv`). Parsed once, on first use.

use std::sync::LazyLock;

use chrono::{Datelike, Duration, NaiveDate, Weekday};
use serde::{Deserialize, Serialize};

/// Raw religious holiday table (see the header of the file for its format and source).
pub(crate) const RELIGIOUS_TSV: &str = include_str!("../../data/religious_holidays.tsv");
/// Raw idari izin table.
pub(crate) const IDARI_IZIN_TSV: &str = include_str!("../../data/idari_izin.tsv");

/// Where a holiday date comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum HolidaySource {
    /// A fixed national day of Law 2429 (Ulusal Bayram ve Genel Tatiller Hakkında Kanun).
    Law2429,
    /// A religious bayram date published by Diyanet İşleri Başkanlığı.
    Diyanet,
    /// A religious bayram date not yet published by Diyanet: an astronomical ESTIMATE.
    Estimate,
    /// A built-in or tenant-added idari izin (administrative leave) day.
    IdariIzin,
    /// A tenant addition (local closure or correction).
    Tenant,
}

impl HolidaySource {
    /// Whether the date is an estimate rather than a published date.
    pub fn is_estimated(self) -> bool {
        self == HolidaySource::Estimate
    }
}

/// Whether a holiday lasts the whole day or starts at 13:00.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HolidayKind {
    /// Tam gün: the whole day is a holiday.
    Full,
    /// Yarım gün: a holiday from 13:00 (arife of a bayram, 28 October).
    Half,
}

/// One built-in holiday (a date may carry several, e.g. a bayram day on 29 October).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct BaseHoliday {
    pub date: NaiveDate,
    pub name: &'static str,
    pub kind: HolidayKind,
    pub source: HolidaySource,
}

/// A fixed national day: month, day, first year, name, kind.
const FIXED: &[(u32, u32, i32, &str, HolidayKind)] = &[
    (1, 1, 0, "Yılbaşı", HolidayKind::Full),
    (
        4,
        23,
        0,
        "Ulusal Egemenlik ve Çocuk Bayramı",
        HolidayKind::Full,
    ),
    (5, 1, 2009, "Emek ve Dayanışma Günü", HolidayKind::Full),
    (
        5,
        19,
        0,
        "Atatürk'ü Anma, Gençlik ve Spor Bayramı",
        HolidayKind::Full,
    ),
    (
        7,
        15,
        2017,
        "Demokrasi ve Millî Birlik Günü",
        HolidayKind::Full,
    ),
    (8, 30, 0, "Zafer Bayramı", HolidayKind::Full),
    (10, 28, 0, "Cumhuriyet Bayramı arifesi", HolidayKind::Half),
    (10, 29, 0, "Cumhuriyet Bayramı", HolidayKind::Full),
];

const RAMAZAN_DAYS: [&str; 3] = [
    "Ramazan Bayramı 1. gün",
    "Ramazan Bayramı 2. gün",
    "Ramazan Bayramı 3. gün",
];
const KURBAN_DAYS: [&str; 4] = [
    "Kurban Bayramı 1. gün",
    "Kurban Bayramı 2. gün",
    "Kurban Bayramı 3. gün",
    "Kurban Bayramı 4. gün",
];

/// A bayram occurrence from the religious table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Bayram {
    pub ramazan: bool,
    pub first_day: NaiveDate,
    pub source: HolidaySource,
}

fn parse_date(s: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").map_err(|e| format!("bad date {s:?}: {e}"))
}

fn data_lines(text: &str) -> impl Iterator<Item = (usize, Vec<&str>)> {
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
        .map(|(i, l)| (i + 1, l.split('\t').collect()))
}

/// Parses the religious holiday table.
pub(crate) fn parse_religious(text: &str) -> Result<Vec<Bayram>, String> {
    let mut out = Vec::new();
    for (line, cols) in data_lines(text) {
        let [name, date, source] = cols[..] else {
            return Err(format!("line {line}: expected 3 tab-separated columns"));
        };
        let ramazan = match name {
            "ramazan" => true,
            "kurban" => false,
            other => return Err(format!("line {line}: unknown bayram {other:?}")),
        };
        let source = match source.trim() {
            "diyanet" => HolidaySource::Diyanet,
            "estimate" => HolidaySource::Estimate,
            other => return Err(format!("line {line}: unknown source {other:?}")),
        };
        let first_day = parse_date(date).map_err(|e| format!("line {line}: {e}"))?;
        out.push(Bayram {
            ramazan,
            first_day,
            source,
        });
    }
    Ok(out)
}

/// A built-in idari izin day (known Presidential circulars); tenants opt in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BuiltinIdariIzin {
    /// The day of leave.
    pub date: NaiveDate,
    /// Only the morning is leave (öğleden önce); usually the morning of an arife.
    pub morning_only: bool,
    /// What the circular said.
    pub note: String,
}

/// Parses the idari izin table.
pub(crate) fn parse_idari_izin(text: &str) -> Result<Vec<BuiltinIdariIzin>, String> {
    let mut out = Vec::new();
    for (line, cols) in data_lines(text) {
        let [date, scope, note] = cols[..] else {
            return Err(format!("line {line}: expected 3 tab-separated columns"));
        };
        let morning_only = match scope {
            "morning" => true,
            "full" => false,
            other => return Err(format!("line {line}: unknown scope {other:?}")),
        };
        let date = parse_date(date).map_err(|e| format!("line {line}: {e}"))?;
        out.push(BuiltinIdariIzin {
            date,
            morning_only,
            note: note.trim().to_owned(),
        });
    }
    Ok(out)
}

static BAYRAMS: LazyLock<Vec<Bayram>> = LazyLock::new(|| {
    parse_religious(RELIGIOUS_TSV)
        .expect("compiled-in religious_holidays.tsv is valid (checked by tests)")
});

static IDARI_IZIN: LazyLock<Vec<BuiltinIdariIzin>> = LazyLock::new(|| {
    parse_idari_izin(IDARI_IZIN_TSV)
        .expect("compiled-in idari_izin.tsv is valid (checked by tests)")
});

/// The compiled-in bayram table.
pub(crate) fn bayrams() -> &'static [Bayram] {
    &BAYRAMS
}

/// The known idari izin days that ship with the library (list incomplete; tenants opt in).
pub fn builtin_idari_izin() -> &'static [BuiltinIdariIzin] {
    &IDARI_IZIN
}

/// All built-in holidays with dates in `[from, to]`, sorted by date.
pub(crate) fn base_holidays(from: NaiveDate, to: NaiveDate) -> Vec<BaseHoliday> {
    let mut out = Vec::new();
    for year in from.year()..=to.year() {
        for &(m, d, since, name, kind) in FIXED {
            if year >= since {
                if let Some(date) = NaiveDate::from_ymd_opt(year, m, d) {
                    out.push(BaseHoliday {
                        date,
                        name,
                        kind,
                        source: HolidaySource::Law2429,
                    });
                }
            }
        }
    }
    for b in bayrams() {
        let (days, arife): (&[&'static str], &'static str) = if b.ramazan {
            (&RAMAZAN_DAYS, "Ramazan Bayramı arifesi")
        } else {
            (&KURBAN_DAYS, "Kurban Bayramı arifesi")
        };
        out.push(BaseHoliday {
            date: b.first_day - Duration::days(1),
            name: arife,
            kind: HolidayKind::Half,
            source: b.source,
        });
        for (i, name) in days.iter().enumerate() {
            out.push(BaseHoliday {
                date: b.first_day + Duration::days(i as i64),
                name,
                kind: HolidayKind::Full,
                source: b.source,
            });
        }
    }
    out.retain(|h| h.date >= from && h.date <= to);
    out.sort_by_key(|h| (h.date, h.kind == HolidayKind::Half));
    out
}

/// Saturday or Sunday (DMK 657 art. 99).
pub(crate) fn is_weekend(date: NaiveDate) -> bool {
    matches!(date.weekday(), Weekday::Sat | Weekday::Sun)
}
