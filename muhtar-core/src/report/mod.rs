//! The quarterly report of Genelge 2015/8 item 7 (üç aylık rapor), its statistics and
//! its sign-off; and the same report for any period (a year or a range of dates), which
//! is never signed.
//!
//! # How a report is made
//!
//! 1. Each request is reduced to its [`Facts`] (unit, category, channel, muhtarlık,
//!    kind, receipt, conclusion, outcome, reason, deadline, working and calendar days to
//!    answer, first response and its deadline):
//!    [`Facts::of`]. Stores keep these facts as columns of their query table.
//! 2. The facts of the requests that matter to a period are counted into a [`Cube`]:
//!    one [`Tally`] for the whole scope and one per key of each [`Dimension`]. The
//!    pure function is [`aggregate`]; stores compute the same cube with SQL
//!    aggregation ([`crate::store::ReportStore::report_cube`]), and the conformance
//!    suite checks that the two agree on the same data.
//! 3. [`QuarterlyReport::build`] ([`QuarterlyReport::build_period`] for any period)
//!    turns a cube into the report: names from the
//!    organisation, reason texts, medians and means, breakdown rows (with zero rows for
//!    the neighbourhoods, categories and units of the scope that had nothing).
//! 4. [`render`] writes it as JSON, CSV or a self-contained HTML page.
//! 5. The responsible official signs it off ([`SignedReport`]): a frozen snapshot with a
//!    content hash; a correction is a new version that names the one it replaces.
//!
//! # Definitions
//!
//! These are the definitions the numbers follow. The report carries them too
//! ([`QuarterlyReport::definitions`]), so a reader of a printed report has them.
//!
//! - **Quarter**: `2026Q1` runs from 1 January 00:00 to 1 April 00:00 Europe/Istanbul
//!   local time (start included, end excluded); Q2 to 1 July, Q3 to 1 October, Q4 to
//!   1 January of the next year.
//! - **Period** ([`ReportPeriod`]): a quarter, a year (`2026`: 1 January 00:00 to
//!   1 January 2027 00:00) or a range of local dates with both days included
//!   (`2026-01-01..2026-06-30`: 1 January 00:00 to 1 July 00:00), at most
//!   [`MAX_PERIOD_YEARS`] years. Every definition below reads "period" for "quarter".
//!   Only quarters are signed; a report of another period is marked not signable.
//! - **Received** (`received`): requests whose receipt instant lies in the quarter. The
//!   counts `positive`, `negative`, `not_fulfilled`, `open_at_end`, `answered_on_time`,
//!   `answered_late`, `overdue_at_end` and the working days all concern these requests.
//! - **Concluded**: a request is concluded at its (last) answer, or when it was withdrawn
//!   or merged into a duplicate (those are negative, with the reasons `withdrawn` and
//!   `duplicate`). A request reopened later is not concluded until it is answered again.
//! - **Positive** / **negative** (`positive`, `negative`; olumlu / olumsuz): received
//!   requests concluded before the quarter's end, by outcome.
//! - **Not fulfilled** (`not_fulfilled`): the negative ones counted by reason code, with
//!   the reason's text (gerekçe); they sum to `negative`.
//! - **Open at the quarter's end** (`open_at_end`): received requests not concluded
//!   before the quarter's end. `positive + negative + open_at_end = received`.
//! - **Answered on time / late** (`answered_on_time`, `answered_late`): the concluded
//!   ones whose conclusion is at or before / after their resolution deadline (a request
//!   without a deadline is on time). They sum to `positive + negative`.
//! - **First response on time / late** (`first_response_on_time`,
//!   `first_response_late`): received requests whose first response (an interim reply,
//!   ara cevap, or the answer, whichever came first; Law 3071's first-response clock)
//!   came before the quarter's end, at or before / after their first-response deadline
//!   (a request without one is on time). Their sum is the number of received requests
//!   with a first response before the end; the rest had none yet. A request withdrawn or
//!   merged without a reply has no first response.
//! - **Open and overdue** (`overdue_at_end`): open at the quarter's end with a resolution
//!   deadline before the quarter's end.
//! - **Carried over** (`carried_over`): requests received before the quarter and not
//!   concluded when it began.
//! - **Working days to answer** (`median_working_days`, `mean_working_days`, over
//!   `answered_with_days` requests): for received requests answered before the quarter's
//!   end (withdrawals and merges are not answers), the number of working days after the
//!   day of receipt up to and including the day of the answer (Istanbul dates), counted in
//!   the request's SLA counting mode with the calendar of the moment of the answer: an
//!   answer on the day of receipt is 0, on the next working day 1. The median of an even
//!   number of values is the mean of the two middle ones; both are rounded to two decimals.
//! - **Calendar days to answer** (`median_calendar_days`, `mean_calendar_days`, over
//!   `answered_with_calendar_days` requests): for the same answers, the number of
//!   calendar days after the day of receipt up to and including the day of the answer
//!   (Istanbul local dates; weekends and holidays count): the same day is 0, the next day
//!   1; a request received on Friday 16:00 and answered on Monday 09:00 took 3 calendar
//!   days and 1 working day. Whole local dates, not elapsed hours, because periods are
//!   counted in days from the day after receipt (HMK 92) and activity reports publish
//!   "ortalama N gün"; whole days also group in SQL. Median and mean as for working days.
//!   Every answer has calendar days (working days are missing for answers recorded by
//!   builds before the report columns), so `answered_with_calendar_days` can be larger.
//! - **Scope**: the tenant, or a unit and every unit below it (a request counts for the
//!   unit it is with now; unrouted requests count only for the whole tenant).
//! - **Documents** (`documents`: `registered`, `letters`): requests registered as
//!   incoming official documents (gelen evrak) and answers issued as official letters
//!   (giden evrak), counted by the document's date in the period (a request received
//!   earlier and registered in the period counts in the period). Counted per registry
//!   (the unit with a DETSİS number that numbered it): a unit's report counts the
//!   documents of the registries of its units, so a unit without its own DETSİS number
//!   counts the documents of the registry it shares with the units around it. Not broken
//!   down.
//! - **Municipal council** (`municipal_council`): requests received in the period that
//!   are marked for the municipal council's agenda (belediye meclisi gündemi), the
//!   neighbourhood councils' decisions sent so included; a unit's report counts those
//!   with its units now. Not broken down.
//! - **Breakdowns** (`by_unit`, `by_category`, `top_categories`, `by_channel`,
//!   `by_muhtarlik`, `by_kind`): the same counts per unit, category, channel,
//!   neighbourhood and request kind; every breakdown sums to the totals.
//!   `top_categories` is the ten categories with most requests received.
//!
//! The report reads each request's current state. A request answered before the
//! quarter's end and reopened afterwards counts as open; deadlines moved by later
//! calendar changes count as moved. A signed report is frozen and does not change.
//! Times are compared at microsecond precision.
//!
//! # JSON field names
//!
//! The JSON of [`QuarterlyReport`] is a stable interface (its `format` is
//! `muhtar-quarterly-report/1`, or `muhtar-period-report/1` for a period that is not a
//! quarter; a change of meaning gets a new number). Top level:
//! `format`, `tenant`, `tenant_name`, `quarter` (null for a period that is not a quarter:
//! not signable), `period` (`start`, `end`, local RFC 3339, and `label`: `2026`,
//! `2026Q2` or `2026-01-01..2026-06-30`), `scope` (`unit`, `unit_name`, `units`), `generated_at`,
//! `responsible_official` (`title`, `name`), `totals`, `by_unit`, `by_category`,
//! `top_categories`, `by_channel`, `by_muhtarlik`, `by_kind`, `definitions`. Each
//! breakdown is a list of rows `{key, name, counts}`; `counts` (and `totals`) have
//! `received`, `positive`, `negative`, `not_fulfilled` (list of `{code, text, count}`),
//! `open_at_end`, `answered_on_time`, `answered_late`, `overdue_at_end`, `carried_over`,
//! `answered_with_days`, `median_working_days`, `mean_working_days` (null when there is
//! no answer), `answered_with_calendar_days`, `median_calendar_days`,
//! `mean_calendar_days` (the same; absent only in reports signed before they existed,
//! whose content hash must not change, like `period.label`), `first_response_on_time`,
//! `first_response_late` (absent likewise in reports signed before them). `documents`
//! (`registered`, `letters`) follows `totals`, absent in reports signed before it;
//! `municipal_council` (a count) follows it, absent likewise.
//!
//! ```
//! use muhtar_core::report::Quarter;
//! let q: Quarter = "2026Q1".parse().unwrap();
//! assert_eq!(q.start().to_rfc3339(), "2025-12-31T21:00:00+00:00");
//! assert_eq!(q.end().to_rfc3339(), "2026-03-31T21:00:00+00:00");
//! assert_eq!(q.next().to_string(), "2026Q2");
//! assert!("2026Q5".parse::<Quarter>().is_err());
//! ```

mod build;
mod period;
pub mod render;
mod signoff;

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Datelike, NaiveDate, SubsecRound, Utc};
use serde::{Deserialize, Serialize};

use crate::ids::UnitCode;
use crate::request::Outcome;
use crate::store::RequestRecord;

pub use build::{
    CalendarDayFigures, Counts, DocumentFigures, FirstResponseFigures, OfficialRef, Period,
    QuarterlyReport, ReasonCount, Row, Scope, LETTERS_LABEL, MUNICIPAL_COUNCIL_LABEL,
    REGISTERED_LABEL,
};
pub use period::{ReportPeriod, MAX_PERIOD_YEARS};
pub use signoff::{
    content_hash, FigureChange, SignedReport, SnapshotCheck, SNAPSHOT_CHANGED, SNAPSHOT_SAME,
};

/// What went wrong with a report.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ReportError {
    /// A quarter could not be read, e.g. `2026Q5`.
    #[error("invalid quarter {0:?}: expected YEARQn, e.g. 2026Q1, with n from 1 to 4 and a year from 2000 to 2100")]
    InvalidQuarter(String),
    /// A period could not be read, e.g. `2026-13-01..2026-14-01`.
    #[error("invalid period {0:?}: expected a year (2026), a quarter (2026Q2) or a range of dates (2026-01-01..2026-06-30), with years from 2000 to 2100")]
    InvalidPeriod(String),
    /// A range of dates with a day that is malformed or does not exist (`2026-02-30`).
    #[error("invalid period {period:?}: {error}")]
    InvalidPeriodDay {
        /// The period given.
        period: String,
        /// What is wrong with the day (names `first day` or `last day`).
        error: crate::request::InputError,
    },
    /// A range of dates whose last day is before its first.
    #[error("invalid period {first}..{last}: the last day is before the first")]
    PeriodEndsBeforeStart {
        /// First day.
        first: NaiveDate,
        /// Last day.
        last: NaiveDate,
    },
    /// A range of dates longer than the longest period a report covers.
    #[error("invalid period {first}..{last}: longer than {max_years} years")]
    PeriodTooLong {
        /// First day.
        first: NaiveDate,
        /// Last day.
        last: NaiveDate,
        /// The limit.
        max_years: i32,
    },
    /// Only quarters that have ended can be signed off.
    #[error("quarter {quarter} has not ended yet (it ends {}, Istanbul time); only an ended quarter can be signed off", crate::calendar::local_time(*.end))]
    QuarterNotOver {
        /// The quarter.
        quarter: Quarter,
        /// Its end.
        end: DateTime<Utc>,
    },
    /// A sign-off needs a note.
    #[error("a sign-off needs a note (for a correction: what was corrected)")]
    NoteRequired,
    /// The note is too long.
    #[error("the sign-off note is longer than {max} characters")]
    NoteTooLong {
        /// The limit.
        max: usize,
    },
    /// The unit is not in the organisation.
    #[error("unknown unit {0}")]
    UnknownUnit(String),
    /// A stored report's content does not match its hash.
    #[error("signed report {0} does not match its content hash")]
    HashMismatch(String),
}

/// A calendar quarter (çeyrek), e.g. `2026Q1`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Quarter {
    year: i32,
    number: u8,
}

impl Quarter {
    /// Quarter `number` (1 to 4) of `year` (2000 to 2100).
    pub fn new(year: i32, number: u8) -> Result<Self, ReportError> {
        if !(1..=4).contains(&number) || !(2000..=2100).contains(&year) {
            return Err(ReportError::InvalidQuarter(format!("{year}Q{number}")));
        }
        Ok(Quarter { year, number })
    }

    /// The quarter an instant falls in (Istanbul local time).
    pub fn containing(at: DateTime<Utc>) -> Self {
        let d = crate::calendar::local_date(at);
        Quarter {
            year: d.year(),
            number: (d.month0() / 3 + 1) as u8,
        }
    }

    /// The year.
    pub fn year(self) -> i32 {
        self.year
    }

    /// The number, 1 to 4.
    pub fn number(self) -> u8 {
        self.number
    }

    /// The quarter after this one.
    pub fn next(self) -> Self {
        if self.number == 4 {
            Quarter {
                year: self.year + 1,
                number: 1,
            }
        } else {
            Quarter {
                year: self.year,
                number: self.number + 1,
            }
        }
    }

    /// The quarter before this one.
    pub fn previous(self) -> Self {
        if self.number == 1 {
            Quarter {
                year: self.year - 1,
                number: 4,
            }
        } else {
            Quarter {
                year: self.year,
                number: self.number - 1,
            }
        }
    }

    fn first_day(self) -> NaiveDate {
        NaiveDate::from_ymd_opt(self.year, u32::from(self.number - 1) * 3 + 1, 1)
            .expect("quarter start is a valid date")
    }

    /// The first day and the last day, local dates.
    pub fn days(self) -> (NaiveDate, NaiveDate) {
        let last = self.next().first_day().pred_opt().expect("valid date");
        (self.first_day(), last)
    }

    /// The start: the first day 00:00 Europe/Istanbul.
    pub fn start(self) -> DateTime<Utc> {
        local_midnight(self.first_day())
    }

    /// The end (excluded): the next quarter's start.
    pub fn end(self) -> DateTime<Utc> {
        self.next().start()
    }

    /// Its window.
    pub fn window(self) -> Window {
        Window {
            start: self.start(),
            end: self.end(),
        }
    }
}

pub(crate) fn local_midnight(d: NaiveDate) -> DateTime<Utc> {
    let local = d.and_hms_opt(0, 0, 0).expect("midnight exists");
    // Istanbul has never skipped or repeated midnight on the first of a quarter's month
    // (its changes were at 03:00/04:00); the fixed +03:00 is the fallback all the same.
    crate::calendar::from_istanbul_local(local)
        .unwrap_or_else(|_| local.and_utc() - chrono::Duration::hours(3))
}

impl fmt::Display for Quarter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}Q{}", self.year, self.number)
    }
}

impl FromStr for Quarter {
    type Err = ReportError;

    /// Reads `2026Q1`, also `2026-Q1` and `2026q1`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || ReportError::InvalidQuarter(s.to_owned());
        let t = s.trim().to_ascii_uppercase();
        let (y, n) = t.split_once('Q').ok_or_else(bad)?;
        let y = y.strip_suffix('-').unwrap_or(y);
        if y.len() != 4 || n.len() != 1 {
            return Err(bad());
        }
        let year: i32 = y.parse().map_err(|_| bad())?;
        let number: u8 = n.parse().map_err(|_| bad())?;
        Quarter::new(year, number).map_err(|_| bad())
    }
}

impl Serialize for Quarter {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Quarter {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// A half-open span of time `[start, end)`: a quarter's or any [`ReportPeriod`]'s.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    /// Start, included.
    pub start: DateTime<Utc>,
    /// End, excluded.
    pub end: DateTime<Utc>,
}

/// What the report needs to know of one request. Stores keep these as columns.
///
/// The string fields hold the stable (serde) names: unit code (empty when unrouted),
/// category code, channel (`mbs-web`...), muhtarlık code, kind (`request`...).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Facts {
    /// The unit it is with now; empty when unrouted.
    pub unit: String,
    /// Category code.
    pub category: String,
    /// Channel name.
    pub channel: String,
    /// Muhtarlık code.
    pub muhtarlik: String,
    /// Kind name.
    pub kind: String,
    /// Receipt, truncated to microseconds.
    pub received_at: DateTime<Utc>,
    /// Conclusion (answer, withdrawal or merge), truncated to microseconds.
    pub concluded_at: Option<DateTime<Utc>>,
    /// Outcome, once concluded.
    pub outcome: Option<Outcome>,
    /// Reason code of a negative outcome.
    pub reason: Option<String>,
    /// Resolution deadline, truncated to microseconds.
    pub resolution_due: Option<DateTime<Utc>>,
    /// Working days from receipt to answer (answered requests only).
    pub answer_working_days: Option<u32>,
    /// Calendar days from the day of receipt to the day of the answer, Istanbul dates
    /// (answered requests only; see the module docs).
    pub answer_calendar_days: Option<u32>,
    /// First response (interim reply or answer), truncated to microseconds.
    pub first_response_at: Option<DateTime<Utc>>,
    /// First-response deadline, truncated to microseconds.
    pub first_response_due: Option<DateTime<Utc>>,
}

/// The stable (serde) name of a unit-like enum value, e.g. `mbs-web` for a channel.
pub fn serde_name<T: Serialize>(v: &T) -> String {
    match serde_json::to_value(v) {
        Ok(serde_json::Value::String(s)) => s,
        _ => String::new(),
    }
}

impl Facts {
    /// The facts of a stored request.
    pub fn of(rec: &RequestRecord) -> Facts {
        let s = &rec.state;
        let concluded_at = if s.outcome.is_some() {
            s.answered_at.or(s.closed_at).map(micros)
        } else {
            None
        };
        Facts {
            unit: s.unit.as_ref().map(|u| u.to_string()).unwrap_or_default(),
            category: s.content.category.clone(),
            channel: serde_name(&s.content.channel),
            muhtarlik: s.content.muhtarlik.to_string(),
            kind: serde_name(&s.content.kind),
            received_at: micros(s.content.received_at),
            concluded_at,
            outcome: concluded_at.and(s.outcome),
            reason: concluded_at
                .and(s.outcome)
                .filter(|o| *o == Outcome::Negative)
                .map(|_| s.reason.as_ref().map(|r| r.0.clone()).unwrap_or_default()),
            resolution_due: rec.deadlines.resolution_due.map(micros),
            answer_working_days: s
                .answered_at
                .and(concluded_at)
                .and(rec.deadlines.answer_working_days),
            answer_calendar_days: s
                .answered_at
                .filter(|_| concluded_at.is_some())
                .map(|a| calendar_days(s.content.received_at, a)),
            first_response_at: s.first_response_at.map(micros),
            first_response_due: rec.deadlines.first_response_due.map(micros),
        }
    }

    /// The key of this request in a dimension.
    pub fn key(&self, d: Dimension) -> &str {
        match d {
            Dimension::Unit => &self.unit,
            Dimension::Category => &self.category,
            Dimension::Channel => &self.channel,
            Dimension::Muhtarlik => &self.muhtarlik,
            Dimension::Kind => &self.kind,
        }
    }
}

/// Calendar days from the Istanbul date of `received` to that of `answered`: 0 on the
/// same day, 1 on the next (never negative).
pub fn calendar_days(received: DateTime<Utc>, answered: DateTime<Utc>) -> u32 {
    let d = crate::calendar::local_date(answered) - crate::calendar::local_date(received);
    u32::try_from(d.num_days()).unwrap_or(0)
}

fn micros(t: DateTime<Utc>) -> DateTime<Utc> {
    t.trunc_subsecs(6)
}

/// How one request counts in a quarter: the class stores group by.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Class {
    /// Received before the quarter and not concluded when it began.
    CarriedOver,
    /// Received in the quarter.
    Received {
        /// Its outcome if concluded before the quarter's end; `None`: open at the end.
        outcome: Option<Outcome>,
        /// Reason code of a negative outcome (empty if none was recorded).
        reason: Option<String>,
        /// Concluded: after its deadline. Open: its deadline passed before the end.
        late: bool,
        /// Working days to answer, for answers before the end.
        days: Option<u32>,
        /// Calendar days to answer, for answers before the end.
        calendar_days: Option<u32>,
        /// A first response before the end: `Some(late)` (after its first-response
        /// deadline); `None`: none yet at the end.
        first_response: Option<bool>,
    },
}

impl Class {
    /// How `f` counts in `w`; `None` when it does not matter to the quarter.
    pub fn of(f: &Facts, w: &Window) -> Option<Class> {
        if f.received_at >= w.end {
            return None;
        }
        if f.received_at < w.start {
            return match f.concluded_at {
                Some(c) if c < w.start => None,
                _ => Some(Class::CarriedOver),
            };
        }
        let done = f.concluded_at.filter(|c| *c < w.end);
        let first_response = f
            .first_response_at
            .filter(|t| *t < w.end)
            .map(|t| f.first_response_due.is_some_and(|d| t > d));
        Some(match done {
            Some(c) => Class::Received {
                outcome: f.outcome,
                reason: f.reason.clone(),
                late: f.resolution_due.is_some_and(|d| c > d),
                days: f.answer_working_days,
                calendar_days: f.answer_calendar_days,
                first_response,
            },
            None => Class::Received {
                outcome: None,
                reason: None,
                late: f.resolution_due.is_some_and(|d| d < w.end),
                days: None,
                calendar_days: None,
                first_response,
            },
        })
    }
}

/// The counts of a set of requests in a quarter, before names and averages.
/// Tallies add up ([`Tally::merge`]): a breakdown's tallies sum to the total's.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tally {
    /// Received in the quarter.
    pub received: u64,
    /// Of those, concluded positive before the end.
    pub positive: u64,
    /// Of those, concluded negative before the end.
    pub negative: u64,
    /// Of those, open at the end.
    pub open_at_end: u64,
    /// Of those, concluded at or before the deadline.
    pub answered_on_time: u64,
    /// Of those, concluded after the deadline.
    pub answered_late: u64,
    /// Of those, open at the end with the deadline passed.
    pub overdue_at_end: u64,
    /// Received earlier, still open at the start.
    pub carried_over: u64,
    /// Negative conclusions by reason code.
    pub reasons: BTreeMap<String, u64>,
    /// Answers by working days to answer.
    pub answer_days: BTreeMap<u32, u64>,
    /// Answers by calendar days to answer.
    #[serde(default)]
    pub answer_calendar_days: BTreeMap<u32, u64>,
    /// Of those received, first response (interim reply or answer) before the end, at or
    /// before its first-response deadline.
    #[serde(default)]
    pub first_response_on_time: u64,
    /// Of those received, first response before the end, after its deadline.
    #[serde(default)]
    pub first_response_late: u64,
}

impl Tally {
    /// Counts `n` requests of class `c`.
    pub fn add(&mut self, c: &Class, n: u64) {
        match c {
            Class::CarriedOver => self.carried_over += n,
            Class::Received {
                outcome,
                reason,
                late,
                days,
                calendar_days,
                first_response,
            } => {
                self.received += n;
                match first_response {
                    Some(true) => self.first_response_late += n,
                    Some(false) => self.first_response_on_time += n,
                    None => {}
                }
                match outcome {
                    None => {
                        self.open_at_end += n;
                        if *late {
                            self.overdue_at_end += n;
                        }
                    }
                    Some(o) => {
                        match o {
                            Outcome::Positive => self.positive += n,
                            Outcome::Negative => {
                                self.negative += n;
                                *self
                                    .reasons
                                    .entry(reason.clone().unwrap_or_default())
                                    .or_default() += n;
                            }
                        }
                        if *late {
                            self.answered_late += n;
                        } else {
                            self.answered_on_time += n;
                        }
                        if let Some(d) = days {
                            *self.answer_days.entry(*d).or_default() += n;
                        }
                        if let Some(d) = calendar_days {
                            *self.answer_calendar_days.entry(*d).or_default() += n;
                        }
                    }
                }
            }
        }
    }

    /// Adds another tally to this one.
    pub fn merge(&mut self, o: &Tally) {
        self.received += o.received;
        self.positive += o.positive;
        self.negative += o.negative;
        self.open_at_end += o.open_at_end;
        self.answered_on_time += o.answered_on_time;
        self.answered_late += o.answered_late;
        self.overdue_at_end += o.overdue_at_end;
        self.carried_over += o.carried_over;
        self.first_response_on_time += o.first_response_on_time;
        self.first_response_late += o.first_response_late;
        for (k, v) in &o.reasons {
            *self.reasons.entry(k.clone()).or_default() += v;
        }
        for (k, v) in &o.answer_days {
            *self.answer_days.entry(*k).or_default() += v;
        }
        for (k, v) in &o.answer_calendar_days {
            *self.answer_calendar_days.entry(*k).or_default() += v;
        }
    }

    /// Whether nothing was counted.
    pub fn is_empty(&self) -> bool {
        self == &Tally::default()
    }

    /// Number of answers with working days.
    pub fn answered_with_days(&self) -> u64 {
        self.answer_days.values().sum()
    }

    /// The median working days to answer (mean of the two middle values for an even
    /// count), rounded to two decimals.
    pub fn median_working_days(&self) -> Option<f64> {
        median(&self.answer_days)
    }

    /// The mean working days to answer, rounded to two decimals.
    pub fn mean_working_days(&self) -> Option<f64> {
        mean(&self.answer_days)
    }

    /// Number of answers with calendar days.
    pub fn answered_with_calendar_days(&self) -> u64 {
        self.answer_calendar_days.values().sum()
    }

    /// The median calendar days to answer, like [`Tally::median_working_days`].
    pub fn median_calendar_days(&self) -> Option<f64> {
        median(&self.answer_calendar_days)
    }

    /// The mean calendar days to answer, rounded to two decimals.
    pub fn mean_calendar_days(&self) -> Option<f64> {
        mean(&self.answer_calendar_days)
    }
}

/// The median of a histogram (value → count): the mean of the two middle values for an
/// even count, rounded to two decimals.
fn median(h: &BTreeMap<u32, u64>) -> Option<f64> {
    let n: u64 = h.values().sum();
    if n == 0 {
        return None;
    }
    let nth = |k: u64| {
        let mut seen = 0;
        for (d, c) in h {
            seen += c;
            if seen > k {
                return f64::from(*d);
            }
        }
        0.0
    };
    Some(round2((nth((n - 1) / 2) + nth(n / 2)) / 2.0))
}

/// The mean of a histogram, rounded to two decimals.
fn mean(h: &BTreeMap<u32, u64>) -> Option<f64> {
    let n: u64 = h.values().sum();
    if n == 0 {
        return None;
    }
    let sum: u64 = h.iter().map(|(d, c)| u64::from(*d) * c).sum();
    Some(round2(sum as f64 / n as f64))
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// A breakdown of the report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Dimension {
    /// Birim: the unit a request is with.
    Unit,
    /// Kategori.
    Category,
    /// Kanal: how it arrived.
    Channel,
    /// Mahalle / köy.
    Muhtarlik,
    /// Talep, öneri, şikâyet, bilgi talebi.
    Kind,
}

impl Dimension {
    /// Every dimension.
    pub const ALL: [Dimension; 5] = [
        Dimension::Unit,
        Dimension::Category,
        Dimension::Channel,
        Dimension::Muhtarlik,
        Dimension::Kind,
    ];
}

/// What a cube is computed over: a period's window, optionally narrowed to units.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CubeQuery {
    /// The window.
    pub window: Window,
    /// Only requests with one of these units (a unit and those below it).
    pub units: Option<Vec<UnitCode>>,
}

impl CubeQuery {
    /// Whether the unit filter admits `f`.
    pub fn admits(&self, f: &Facts) -> bool {
        match &self.units {
            None => true,
            Some(units) => units.iter().any(|u| u.as_str() == f.unit),
        }
    }
}

/// The counts for a scope and quarter: the total and one tally per key of every
/// dimension. Keys with no request that matters to the quarter are absent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cube {
    /// The whole scope.
    pub total: Tally,
    /// Per dimension, per key.
    pub by: BTreeMap<Dimension, BTreeMap<String, Tally>>,
}

impl Default for Cube {
    fn default() -> Self {
        Cube {
            total: Tally::default(),
            by: Dimension::ALL
                .into_iter()
                .map(|d| (d, BTreeMap::new()))
                .collect(),
        }
    }
}

impl Cube {
    /// Counts `n` requests of class `c` with keys given by `key`.
    pub fn add(&mut self, c: &Class, n: u64, key: impl Fn(Dimension) -> String) {
        self.total.add(c, n);
        for d in Dimension::ALL {
            self.by
                .entry(d)
                .or_default()
                .entry(key(d))
                .or_default()
                .add(c, n);
        }
    }

    /// Adds one dimension's grouped counts (what a store's `GROUP BY` gives).
    pub fn add_group(&mut self, d: Dimension, key: String, c: &Class, n: u64) {
        self.by
            .entry(d)
            .or_default()
            .entry(key)
            .or_default()
            .add(c, n);
    }
}

impl Class {
    /// The class of a store's group row: `cohort` (received in the period), `done`
    /// (the outcome's stable name if concluded before the end), `why` (the reason of a
    /// negative one), `late`, `days` and `cdays` (working and calendar days to answer),
    /// and `fr` (a first response before the end: whether it was late; see
    /// [`Class::Received`]), as the stores' `GROUP BY` computes them.
    pub fn from_group(
        cohort: bool,
        done: Option<&str>,
        why: Option<String>,
        late: bool,
        days: Option<i64>,
        cdays: Option<i64>,
        fr: Option<bool>,
    ) -> Result<Class, String> {
        if !cohort {
            return Ok(Class::CarriedOver);
        }
        let outcome = match done {
            None => None,
            Some("positive") => Some(Outcome::Positive),
            Some("negative") => Some(Outcome::Negative),
            Some(other) => return Err(format!("unknown outcome {other:?}")),
        };
        let days = days
            .map(|d| u32::try_from(d).map_err(|_| format!("working days out of range: {d}")))
            .transpose()?;
        let calendar_days = cdays
            .map(|d| u32::try_from(d).map_err(|_| format!("calendar days out of range: {d}")))
            .transpose()?;
        Ok(Class::Received {
            outcome,
            reason: why,
            late,
            days,
            calendar_days,
            first_response: fr,
        })
    }
}

impl Cube {
    /// Sets the total to the sum of one dimension's tallies (every request that counts
    /// has exactly one key in each dimension): for stores that group per dimension.
    pub fn total_from(&mut self, d: Dimension) {
        let mut t = Tally::default();
        for v in self.by.get(&d).into_iter().flat_map(|m| m.values()) {
            t.merge(v);
        }
        self.total = t;
    }
}

/// The pure aggregation: the cube of `facts` for `q`. Stores must give the same.
pub fn aggregate<'a>(facts: impl IntoIterator<Item = &'a Facts>, q: &CubeQuery) -> Cube {
    let mut cube = Cube::default();
    for f in facts {
        if !q.admits(f) {
            continue;
        }
        if let Some(c) = Class::of(f, &q.window) {
            cube.add(&c, 1, |d| f.key(d).to_owned());
        }
    }
    cube
}

/// The units a report on `unit` covers: it and every unit below it, sorted.
pub fn scope_units(org: &crate::org::Organisation, unit: &UnitCode) -> Vec<UnitCode> {
    let mut v = org.subtree(unit);
    v.sort();
    v.dedup();
    v
}
