//! The period of a report: a year, a quarter or a range of local dates.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Datelike, NaiveDate, Utc};

use super::{local_midnight, Quarter, ReportError, Window};

/// The longest period a report covers, in years.
pub const MAX_PERIOD_YEARS: i32 = 10;

/// What a report covers: a year (`2026`), a quarter (`2026Q2`) or a range of local
/// dates, both included (`2026-01-01..2026-06-30`), Europe/Istanbul. Only quarters are
/// signed. A range that is exactly a quarter or a year is that quarter or year.
///
/// ```
/// use muhtar_core::report::ReportPeriod;
/// let y: ReportPeriod = "2026".parse().unwrap();
/// assert_eq!(y.end().to_rfc3339(), "2026-12-31T21:00:00+00:00");
/// assert!(y.quarter().is_none());
/// let r: ReportPeriod = "2026-01-01..2026-06-30".parse().unwrap();
/// assert_eq!(r.to_string(), "2026-01-01..2026-06-30");
/// assert_eq!("2026-04-01..2026-06-30".parse::<ReportPeriod>().unwrap().to_string(), "2026Q2");
/// assert!("2026-06-30..2026-01-01".parse::<ReportPeriod>().is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReportPeriod {
    /// A calendar year.
    Year(i32),
    /// A quarter: the only signable period.
    Quarter(Quarter),
    /// From the first to the last day, both included.
    Dates {
        /// First day.
        first: NaiveDate,
        /// Last day (included).
        last: NaiveDate,
    },
}

fn year_ok(y: i32) -> bool {
    (2000..=2100).contains(&y)
}

impl ReportPeriod {
    /// The period of a year (2000 to 2100).
    pub fn year(year: i32) -> Result<Self, ReportError> {
        if !year_ok(year) {
            return Err(ReportError::InvalidPeriod(year.to_string()));
        }
        Ok(ReportPeriod::Year(year))
    }

    /// The days `first..=last`: refused when `last` is before `first`, when longer than
    /// [`MAX_PERIOD_YEARS`] or outside the years 2000 to 2100. A range that is exactly
    /// a quarter or a year becomes that quarter or year.
    pub fn dates(first: NaiveDate, last: NaiveDate) -> Result<Self, ReportError> {
        if last < first {
            return Err(ReportError::PeriodEndsBeforeStart { first, last });
        }
        if !year_ok(first.year()) || !year_ok(last.year()) {
            return Err(ReportError::InvalidPeriod(format!("{first}..{last}")));
        }
        let limit = first
            .with_year(first.year() + MAX_PERIOD_YEARS)
            .unwrap_or_else(|| first + chrono::Duration::days(365 * 10));
        if last >= limit {
            return Err(ReportError::PeriodTooLong {
                first,
                last,
                max_years: MAX_PERIOD_YEARS,
            });
        }
        let q = Quarter::containing(local_midnight(first));
        if q.days() == (first, last) {
            return Ok(ReportPeriod::Quarter(q));
        }
        if first.ordinal() == 1
            && last.year() == first.year()
            && last.month() == 12
            && last.day() == 31
        {
            return Ok(ReportPeriod::Year(first.year()));
        }
        Ok(ReportPeriod::Dates { first, last })
    }

    /// The quarter, when this is one (only quarters are signed).
    pub fn quarter(self) -> Option<Quarter> {
        match self {
            ReportPeriod::Quarter(q) => Some(q),
            _ => None,
        }
    }

    /// The first and the last day (included), local dates.
    pub fn days(self) -> (NaiveDate, NaiveDate) {
        match self {
            ReportPeriod::Quarter(q) => q.days(),
            ReportPeriod::Year(y) => (
                NaiveDate::from_ymd_opt(y, 1, 1).expect("valid date"),
                NaiveDate::from_ymd_opt(y, 12, 31).expect("valid date"),
            ),
            ReportPeriod::Dates { first, last } => (first, last),
        }
    }

    /// The start: the first day 00:00 Europe/Istanbul.
    pub fn start(self) -> DateTime<Utc> {
        local_midnight(self.days().0)
    }

    /// The end (excluded): the day after the last day, 00:00 Europe/Istanbul.
    pub fn end(self) -> DateTime<Utc> {
        local_midnight(self.days().1.succ_opt().expect("valid date"))
    }

    /// Its window `[start, end)`.
    pub fn window(self) -> Window {
        Window {
            start: self.start(),
            end: self.end(),
        }
    }
}

impl From<Quarter> for ReportPeriod {
    fn from(q: Quarter) -> Self {
        ReportPeriod::Quarter(q)
    }
}

impl fmt::Display for ReportPeriod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReportPeriod::Year(y) => write!(f, "{y}"),
            ReportPeriod::Quarter(q) => write!(f, "{q}"),
            ReportPeriod::Dates { first, last } => write!(f, "{first}..{last}"),
        }
    }
}

impl FromStr for ReportPeriod {
    type Err = ReportError;

    /// Reads `2026`, `2026Q2` (also `2026-Q2`, `2026q2`) or `2026-01-01..2026-06-30`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim();
        let bad = || ReportError::InvalidPeriod(s.to_owned());
        if let Some((a, b)) = t
            .split_once("..")
            .filter(|(a, b)| !a.is_empty() && !b.is_empty())
        {
            let day = |field, x: &str| {
                crate::request::parse_date(field, x).map_err(|error| {
                    ReportError::InvalidPeriodDay {
                        period: t.to_owned(),
                        error,
                    }
                })
            };
            return ReportPeriod::dates(day("first day", a)?, day("last day", b)?);
        }
        if t.contains(['Q', 'q']) {
            return t
                .parse::<Quarter>()
                .map(ReportPeriod::Quarter)
                .map_err(|_| bad());
        }
        if t.len() == 4 && t.bytes().all(|b| b.is_ascii_digit()) {
            return ReportPeriod::year(t.parse().map_err(|_| bad())?).map_err(|_| bad());
        }
        Err(bad())
    }
}
