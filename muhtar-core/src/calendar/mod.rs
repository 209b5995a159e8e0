//! Turkish business calendar (iş günü takvimi) for deadline computation.
//!
//! * Official holidays 2010–2050 (Law 2429): fixed national days, Ramazan
//!   Bayramı (3 days) and Kurban Bayramı (4 days) with Diyanet's published dates,
//!   astronomical **estimates** beyond the published years (marked
//!   [`HolidaySource::Estimate`]), and the half days from 13:00 (arife of each
//!   bayram, 28 October).
//! * Per-tenant additions at run time ([`CalendarAddition`]): idari izin days,
//!   local closures and corrections, each recorded with who added it and when.
//!   [`Calendar::version`] changes whenever the data changes.
//! * Two views ([`CalendarView`]): **legal** (idari izin and local closures
//!   ignored: deadlines run) and **operational** (offices closed).
//! * Business-day arithmetic in O(1) per call through a precomputed working-day
//!   index ([`BusinessDays`]), allocation-free.
//! * Europe/Istanbul local time through the tz database ([`to_istanbul`],
//!   [`from_istanbul_local`]).
//!
//! No I/O: all data is compiled in and instants come in as values.

mod data;
mod tz;

use std::fmt;

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

pub use data::{builtin_idari_izin, BuiltinIdariIzin, HolidayKind, HolidaySource};
pub use tz::{
    from_istanbul_local, istanbul_offset, local_date, local_time, local_time_of, to_istanbul,
};

use data::{base_holidays, is_weekend, BaseHoliday};

/// First year covered by the calendar.
pub const FIRST_YEAR: i32 = 2010;
/// Last year covered by the calendar (religious dates after 2027 are estimates).
pub const LAST_YEAR: i32 = 2050;

/// Errors of the calendar.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CalendarError {
    /// A date outside `FIRST_YEAR-01-01..=LAST_YEAR-12-31`.
    #[error(
        "date {date} is outside the supported calendar range {FIRST_YEAR}-01-01..{LAST_YEAR}-12-31"
    )]
    DateOutOfRange {
        /// The offending date.
        date: NaiveDate,
    },
    /// A year outside `FIRST_YEAR..=LAST_YEAR`.
    #[error("year {year} is outside the supported calendar range {FIRST_YEAR}..{LAST_YEAR}")]
    YearOutOfRange {
        /// The offending year.
        year: i32,
    },
    /// Business-day arithmetic would leave the supported range.
    #[error("moving {n} working days from {date} leaves the supported calendar range {FIRST_YEAR}..{LAST_YEAR}")]
    ResultOutOfRange {
        /// The start date.
        date: NaiveDate,
        /// The number of working days.
        n: u32,
    },
    /// A local Europe/Istanbul time that does not exist (DST gap) or cannot be represented.
    #[error("local time {local} does not exist in Europe/Istanbul")]
    NonexistentLocalTime {
        /// The offending local time.
        local: chrono::NaiveDateTime,
    },
}

/// Which days count as non-working.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum CalendarView {
    /// Hukuki takvim: idari izin and local closures are ignored, deadlines keep
    /// running (courts hold idari izin is not a legal holiday). Default for deadlines.
    #[default]
    Legal,
    /// Operasyonel takvim: idari izin days and local closures are non-working
    /// (offices are closed), for staff dashboards.
    Operational,
}

crate::names::named_enum! {
    impl CalendarView: "calendar view" {
        Legal => ("legal", "hukuki takvim"),
        Operational => ("operational", "operasyonel takvim"),
    }
}

impl fmt::Display for CalendarView {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How business days are counted: the view and whether a half day counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct CountMode {
    /// Legal or operational calendar.
    pub view: CalendarView,
    /// Whether a day with only some working time (an arife or 28 October, working
    /// until 13:00; or a day with a morning-only idari izin in the operational
    /// view) counts as a business day. Default (docs/domain.md §3): yes, the morning
    /// is working time.
    pub half_day_is_working: bool,
}

impl CountMode {
    /// The default of docs/domain.md §3: legal view, half days count.
    pub const LEGAL: CountMode = CountMode {
        view: CalendarView::Legal,
        half_day_is_working: true,
    };

    /// A mode for `view`, half days counting as working.
    pub fn new(view: CalendarView, half_day_is_working: bool) -> Self {
        CountMode {
            view,
            half_day_is_working,
        }
    }

    fn index(self) -> usize {
        (self.view == CalendarView::Operational) as usize * 2 + self.half_day_is_working as usize
    }
}

impl Default for CountMode {
    fn default() -> Self {
        CountMode::LEGAL
    }
}

/// The working time of a day in one view.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WorkingTime {
    /// A full working day.
    Full,
    /// Working in the morning only: a half holiday from 13:00 (arife, 28 October).
    MorningOnly,
    /// Working in the afternoon only: a morning-only idari izin (operational view).
    AfternoonOnly,
    /// No working time.
    None,
}

impl WorkingTime {
    /// Some working time (counts as a business day when half days count).
    pub fn has_work(self) -> bool {
        self != WorkingTime::None
    }
}

/// The dominant kind of a day in one view.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
#[non_exhaustive]
pub enum DayKind {
    /// İş günü: a normal working day.
    Working,
    /// Hafta sonu: Saturday or Sunday.
    Weekend,
    /// Resmî tatil: a full-day official holiday (or a tenant correction making it one).
    FullHoliday,
    /// Yarım gün: a holiday from 13:00 (arife, 28 October).
    HalfHoliday,
    /// İdari izin (operational view only).
    IdariIzin {
        /// Only the morning is leave.
        morning_only: bool,
    },
    /// A local closure added by the tenant (operational view only).
    LocalClosure,
}

/// Why a day is (partly) non-working; serialised in deadline explanations.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
#[non_exhaustive]
pub enum DayReason {
    /// Saturday or Sunday.
    Weekend,
    /// A full-day holiday.
    Holiday {
        /// Turkish name, e.g. "Ramazan Bayramı 1. gün".
        name: String,
        /// The date is an estimate (not yet published by Diyanet).
        estimated: bool,
    },
    /// A half holiday from 13:00.
    HalfDay {
        /// Turkish name, e.g. "Ramazan Bayramı arifesi".
        name: String,
        /// The date is an estimate.
        estimated: bool,
    },
    /// İdari izin (operational view only).
    IdariIzin {
        /// Only the morning is leave.
        morning_only: bool,
        /// Note of the addition.
        note: String,
    },
    /// Local closure (operational view only).
    LocalClosure {
        /// Note of the addition.
        note: String,
    },
    /// A tenant correction overriding the built-in data.
    Correction {
        /// What the day was set to.
        set: DayOverride,
        /// Note of the correction.
        note: String,
    },
}

/// What a tenant correction sets a day to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DayOverride {
    /// A full working day in both views (e.g. a built-in estimate proved wrong).
    Working,
    /// A full holiday in both views (e.g. a Diyanet date differing from an estimate).
    FullHoliday,
    /// A half holiday from 13:00 in both views.
    HalfHoliday,
    /// Drop every earlier tenant addition for this day (back to the built-in data).
    Reset,
}

/// A tenant change to a day.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "type")]
#[non_exhaustive]
pub enum CalendarChange {
    /// İdari izin: administrative leave; non-working in the operational view only.
    IdariIzin {
        /// Only the morning is leave (öğleden önce).
        morning_only: bool,
    },
    /// A local closure (e.g. a governor's snow day); non-working in the operational view only.
    /// Use a [`CalendarChange::Correction`] if it must stop legal deadlines.
    LocalClosure,
    /// A correction of the built-in data, effective in both views.
    Correction {
        /// What the day becomes.
        set: DayOverride,
    },
}

/// A tenant addition: what changed, on which day, who added it and when.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct CalendarAddition {
    /// The local (Europe/Istanbul) date concerned.
    pub date: NaiveDate,
    /// The change.
    pub change: CalendarChange,
    /// Free text, e.g. the circular number.
    pub note: String,
    /// Who added it.
    pub added_by: String,
    /// When it was added (a value; the core never reads the clock).
    pub added_at: DateTime<Utc>,
}

/// One row of a holiday listing: everything on one date merged.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Holiday {
    /// The date.
    pub date: NaiveDate,
    /// Turkish name(s), joined with " / " when several fall on one date.
    pub name: String,
    /// `full` when the day is entirely off (a full holiday wins over a half one).
    pub kind: HolidayKind,
    /// Where the date comes from (the estimate wins when one of the names is estimated).
    pub source: HolidaySource,
    /// The date is an estimate, not a published Diyanet date.
    pub estimated: bool,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct TenantDay {
    idari_izin: Option<bool>, // Some(morning_only)
    closure: bool,
    set: Option<DayOverride>,
}

/// Number of days covered.
fn first_date() -> NaiveDate {
    NaiveDate::from_ymd_opt(FIRST_YEAR, 1, 1).expect("valid")
}
fn last_date() -> NaiveDate {
    NaiveDate::from_ymd_opt(LAST_YEAR, 12, 31).expect("valid")
}

/// Working-day index of one [`CountMode`]: prefix counts and the list of working days.
#[derive(Debug, Clone, Default)]
struct Index {
    /// `rank[i]` = number of working days with index `< i` (length `days + 1`).
    rank: Vec<u16>,
    /// Indices of the working days, ascending.
    list: Vec<u16>,
}

/// The Turkish business calendar of one tenant.
#[derive(Debug, Clone)]
pub struct Calendar {
    epoch: i32,
    days: usize,
    base: Vec<BaseHoliday>,
    /// For each day: (has full holiday, has half holiday) bits. bit0 weekend, bit1 full, bit2 half.
    base_flags: Vec<u8>,
    tenant: Vec<TenantDay>,
    additions: Vec<CalendarAddition>,
    /// Working time per view (0 legal, 1 operational) per day.
    work: [Vec<WorkingTime>; 2],
    index: [Index; 4],
    full_index: [Index; 2],
    version: String,
}

impl Default for Calendar {
    fn default() -> Self {
        Calendar::new()
    }
}

impl Calendar {
    /// The built-in calendar, without tenant additions (no idari izin days).
    pub fn new() -> Self {
        let first = first_date();
        let epoch = first.num_days_from_ce();
        let days = (last_date().num_days_from_ce() - epoch + 1) as usize;
        let base = base_holidays(first, last_date());
        let mut base_flags = vec![0u8; days];
        for (i, flag) in base_flags.iter_mut().enumerate() {
            if is_weekend(first + chrono::Duration::days(i as i64)) {
                *flag |= 1;
            }
        }
        for h in &base {
            let i = (h.date.num_days_from_ce() - epoch) as usize;
            base_flags[i] |= if h.kind == HolidayKind::Full { 2 } else { 4 };
        }
        let mut cal = Calendar {
            epoch,
            days,
            base,
            base_flags,
            tenant: vec![TenantDay::default(); days],
            additions: Vec::new(),
            work: [Vec::new(), Vec::new()],
            index: Default::default(),
            full_index: Default::default(),
            version: String::new(),
        };
        cal.rebuild();
        cal
    }

    /// The built-in calendar with the built-in idari izin days loaded
    /// ([`builtin_idari_izin`]), recorded as added by `added_by` at `added_at`.
    pub fn with_builtin_idari_izin(added_by: &str, added_at: DateTime<Utc>) -> Self {
        let mut cal = Calendar::new();
        cal.load_builtin_idari_izin(added_by, added_at);
        cal
    }

    /// Adds the built-in idari izin days as tenant additions (opt-in).
    pub fn load_builtin_idari_izin(&mut self, added_by: &str, added_at: DateTime<Utc>) {
        for d in builtin_idari_izin() {
            self.additions.push(CalendarAddition {
                date: d.date,
                change: CalendarChange::IdariIzin {
                    morning_only: d.morning_only,
                },
                note: d.note.clone(),
                added_by: added_by.to_owned(),
                added_at,
            });
        }
        self.rebuild();
    }

    /// Adds a tenant change; deadlines computed afterwards see it and the
    /// [`version`](Self::version) changes. Errors when the date is out of range.
    pub fn add(&mut self, addition: CalendarAddition) -> Result<(), CalendarError> {
        self.day_index(addition.date)?;
        self.additions.push(addition);
        self.rebuild();
        Ok(())
    }

    /// Adds several changes at once (one index rebuild).
    pub fn add_all(
        &mut self,
        additions: impl IntoIterator<Item = CalendarAddition>,
    ) -> Result<(), CalendarError> {
        let additions: Vec<_> = additions.into_iter().collect();
        for a in &additions {
            self.day_index(a.date)?;
        }
        self.additions.extend(additions);
        self.rebuild();
        Ok(())
    }

    /// The tenant additions, in the order they were added.
    pub fn additions(&self) -> &[CalendarAddition] {
        &self.additions
    }

    /// A version string that changes whenever the calendar data changes: a
    /// SHA-256 over the compiled-in data files and the tenant additions.
    /// Equal data gives an equal version (across processes).
    pub fn version(&self) -> &str {
        &self.version
    }

    fn rebuild(&mut self) {
        // Tenant days.
        self.tenant
            .iter_mut()
            .for_each(|t| *t = TenantDay::default());
        for a in &self.additions {
            let i = (a.date.num_days_from_ce() - self.epoch) as usize;
            let t = &mut self.tenant[i];
            match a.change {
                CalendarChange::IdariIzin { morning_only } => {
                    // A full-day leave wins over a morning one.
                    t.idari_izin = Some(t.idari_izin.map_or(morning_only, |m| m && morning_only));
                }
                CalendarChange::LocalClosure => t.closure = true,
                CalendarChange::Correction {
                    set: DayOverride::Reset,
                } => *t = TenantDay::default(),
                CalendarChange::Correction { set } => t.set = Some(set),
            }
        }
        for (v, view) in [CalendarView::Legal, CalendarView::Operational]
            .into_iter()
            .enumerate()
        {
            self.work[v] = (0..self.days)
                .map(|i| self.compute_work(view, i, true))
                .collect();
        }
        for mode_i in 0..4 {
            let view = mode_i / 2;
            let half = mode_i % 2 == 1;
            self.index[mode_i] = self.build_index(
                |w| {
                    if half {
                        w.has_work()
                    } else {
                        w == WorkingTime::Full
                    }
                },
                view,
            );
        }
        for view in 0..2 {
            self.full_index[view] = self.build_index(|w| w == WorkingTime::Full, view);
        }
        let mut h = Sha256::new();
        h.update(data::RELIGIOUS_TSV.as_bytes());
        h.update(data::IDARI_IZIN_TSV.as_bytes());
        h.update(serde_json::to_vec(&self.additions).unwrap_or_default());
        let digest = h.finalize();
        self.version = format!("cal-{}", &hex::encode(digest)[..16]);
    }

    fn build_index(&self, working: impl Fn(WorkingTime) -> bool, view: usize) -> Index {
        let mut rank = Vec::with_capacity(self.days + 1);
        let mut list = Vec::new();
        rank.push(0u16);
        for (i, &w) in self.work[view].iter().enumerate() {
            if working(w) {
                list.push(i as u16);
            }
            rank.push(list.len() as u16);
        }
        Index { rank, list }
    }

    fn compute_work(&self, view: CalendarView, i: usize, include_weekend: bool) -> WorkingTime {
        let flags = self.base_flags[i];
        let t = self.tenant[i];
        let mut w = match t.set {
            Some(DayOverride::Working) => WorkingTime::Full,
            Some(DayOverride::FullHoliday) => WorkingTime::None,
            Some(DayOverride::HalfHoliday) => WorkingTime::MorningOnly,
            Some(DayOverride::Reset) | None => {
                if (include_weekend && flags & 1 != 0) || flags & 2 != 0 {
                    WorkingTime::None
                } else if flags & 4 != 0 {
                    WorkingTime::MorningOnly
                } else {
                    WorkingTime::Full
                }
            }
        };
        if view == CalendarView::Operational {
            if t.closure {
                w = WorkingTime::None;
            }
            match t.idari_izin {
                Some(false) => w = WorkingTime::None,
                Some(true) => {
                    w = match w {
                        WorkingTime::Full => WorkingTime::AfternoonOnly,
                        WorkingTime::MorningOnly => WorkingTime::None,
                        other => other,
                    }
                }
                None => {}
            }
        }
        w
    }

    #[inline]
    fn day_index(&self, date: NaiveDate) -> Result<usize, CalendarError> {
        let i = date.num_days_from_ce() - self.epoch;
        if i < 0 || i as usize >= self.days {
            Err(CalendarError::DateOutOfRange { date })
        } else {
            Ok(i as usize)
        }
    }

    #[inline]
    fn date_of(&self, i: u16) -> NaiveDate {
        NaiveDate::from_num_days_from_ce_opt(self.epoch + i as i32).expect("index within range")
    }

    /// The working time of `date` in `view`.
    pub fn working_time(
        &self,
        view: CalendarView,
        date: NaiveDate,
    ) -> Result<WorkingTime, CalendarError> {
        let i = self.day_index(date)?;
        Ok(self.work[(view == CalendarView::Operational) as usize][i])
    }

    /// The dominant kind of `date` in `view` (full holiday > weekend > idari izin >
    /// local closure > half holiday > working; a tenant correction wins).
    pub fn day_kind(&self, view: CalendarView, date: NaiveDate) -> Result<DayKind, CalendarError> {
        let i = self.day_index(date)?;
        let flags = self.base_flags[i];
        let t = self.tenant[i];
        let op = view == CalendarView::Operational;
        Ok(match t.set {
            Some(DayOverride::FullHoliday) => DayKind::FullHoliday,
            _ if t.set.is_none() && flags & 2 != 0 => DayKind::FullHoliday,
            Some(DayOverride::Working) if !(op && (t.closure || t.idari_izin.is_some())) => {
                DayKind::Working
            }
            _ if t.set != Some(DayOverride::Working) && flags & 1 != 0 => DayKind::Weekend,
            _ if op && t.idari_izin.is_some() => DayKind::IdariIzin {
                morning_only: t.idari_izin == Some(true),
            },
            _ if op && t.closure => DayKind::LocalClosure,
            Some(DayOverride::HalfHoliday) => DayKind::HalfHoliday,
            _ if t.set.is_none() && flags & 4 != 0 => DayKind::HalfHoliday,
            _ => DayKind::Working,
        })
    }

    /// Every reason why `date` is (partly) non-working in `view`; empty for a
    /// normal working day. Allocates: for explanations, not the hot path.
    pub fn day_reasons(
        &self,
        view: CalendarView,
        date: NaiveDate,
    ) -> Result<Vec<DayReason>, CalendarError> {
        let i = self.day_index(date)?;
        let t = self.tenant[i];
        let mut out = Vec::new();
        if let Some(set) = t.set {
            let note = self
                .additions
                .iter()
                .rev()
                .find(|a| a.date == date && matches!(a.change, CalendarChange::Correction { .. }))
                .map(|a| a.note.clone())
                .unwrap_or_default();
            if set != DayOverride::Working && is_weekend(date) {
                out.push(DayReason::Weekend);
            }
            out.push(DayReason::Correction { set, note });
        } else {
            if is_weekend(date) {
                out.push(DayReason::Weekend);
            }
            for h in self.base_on(date) {
                let estimated = h.source.is_estimated();
                out.push(match h.kind {
                    HolidayKind::Full => DayReason::Holiday {
                        name: h.name.to_owned(),
                        estimated,
                    },
                    HolidayKind::Half => DayReason::HalfDay {
                        name: h.name.to_owned(),
                        estimated,
                    },
                });
            }
        }
        if view == CalendarView::Operational {
            for a in self.additions.iter().filter(|a| a.date == date) {
                match a.change {
                    CalendarChange::IdariIzin { morning_only } if t.idari_izin.is_some() => out
                        .push(DayReason::IdariIzin {
                            morning_only,
                            note: a.note.clone(),
                        }),
                    CalendarChange::LocalClosure if t.closure => {
                        out.push(DayReason::LocalClosure {
                            note: a.note.clone(),
                        })
                    }
                    _ => {}
                }
            }
        }
        Ok(out)
    }

    fn base_on(&self, date: NaiveDate) -> &[BaseHoliday] {
        let lo = self.base.partition_point(|h| h.date < date);
        let hi = self.base.partition_point(|h| h.date <= date);
        &self.base[lo..hi]
    }

    /// The holidays of `year` in `view`, one row per date in date order.
    ///
    /// The legal view lists the official holidays (and tenant corrections); the
    /// operational view adds idari izin days and local closures. A date whose
    /// day ends up entirely off is `full` (a full holiday wins over a half one,
    /// an arife with a morning idari izin is `full`); weekends are not listed.
    pub fn holidays(&self, year: i32, view: CalendarView) -> Result<Vec<Holiday>, CalendarError> {
        if !(FIRST_YEAR..=LAST_YEAR).contains(&year) {
            return Err(CalendarError::YearOutOfRange { year });
        }
        let mut out = Vec::new();
        let mut date =
            NaiveDate::from_ymd_opt(year, 1, 1).ok_or(CalendarError::YearOutOfRange { year })?;
        while date.year() == year {
            let i = self.day_index(date)?;
            let reasons = self.day_reasons(view, date)?;
            let w = self.compute_work(view, i, false);
            if w != WorkingTime::Full {
                let mut names = Vec::new();
                let mut source = None;
                let mut estimated = false;
                for r in &reasons {
                    let (name, src) = match r {
                        DayReason::Weekend => continue,
                        DayReason::Holiday { name, estimated: e }
                        | DayReason::HalfDay { name, estimated: e } => {
                            estimated |= *e;
                            let src = self
                                .base_on(date)
                                .iter()
                                .find(|h| h.name == name)
                                .map_or(HolidaySource::Law2429, |h| h.source);
                            (name.clone(), src)
                        }
                        DayReason::IdariIzin {
                            morning_only: true, ..
                        } => (
                            "İdari izin (öğleden önce)".to_owned(),
                            HolidaySource::IdariIzin,
                        ),
                        DayReason::IdariIzin { .. } => {
                            ("İdari izin".to_owned(), HolidaySource::IdariIzin)
                        }
                        DayReason::LocalClosure { note } => {
                            (format!("Yerel kapanış: {note}"), HolidaySource::Tenant)
                        }
                        DayReason::Correction { note, .. } => {
                            (format!("Düzeltme: {note}"), HolidaySource::Tenant)
                        }
                    };
                    if !names.contains(&name) {
                        names.push(name);
                    }
                    if source.is_none() || src == HolidaySource::Estimate {
                        source = Some(src);
                    }
                }
                if !names.is_empty() {
                    out.push(Holiday {
                        date,
                        name: names.join(" / "),
                        kind: if w == WorkingTime::None {
                            HolidayKind::Full
                        } else {
                            HolidayKind::Half
                        },
                        source: source.unwrap_or(HolidaySource::Law2429),
                        estimated,
                    });
                }
            }
            date = match date.succ_opt() {
                Some(d) => d,
                None => break,
            };
        }
        Ok(out)
    }

    /// Whether `year` contains religious dates that are estimates.
    pub fn year_is_estimated(&self, year: i32) -> Result<bool, CalendarError> {
        if !(FIRST_YEAR..=LAST_YEAR).contains(&year) {
            return Err(CalendarError::YearOutOfRange { year });
        }
        Ok(self
            .base
            .iter()
            .any(|h| h.date.year() == year && h.source.is_estimated()))
    }

    /// Business-day arithmetic for one counting mode (cheap handle, `Copy`).
    #[inline]
    pub fn business_days(&self, mode: CountMode) -> BusinessDays<'_> {
        BusinessDays {
            cal: self,
            index: &self.index[mode.index()],
        }
    }

    /// Arithmetic over FULL working days of `view` (half days are not full):
    /// used to roll calendar-day deadlines forward.
    #[inline]
    pub fn full_working_days(&self, view: CalendarView) -> BusinessDays<'_> {
        BusinessDays {
            cal: self,
            index: &self.full_index[(view == CalendarView::Operational) as usize],
        }
    }

    /// [`BusinessDays::add_business_days`] with the defaults of docs/domain.md §3 (legal
    /// view, half days count).
    #[inline]
    pub fn add_business_days(&self, date: NaiveDate, n: u32) -> Result<NaiveDate, CalendarError> {
        self.business_days(CountMode::LEGAL)
            .add_business_days(date, n)
    }
}

/// O(1), allocation-free business-day arithmetic over a precomputed index
/// (prefix counts of working days since 2010-01-01 and the list of working days).
#[derive(Debug, Clone, Copy)]
pub struct BusinessDays<'a> {
    cal: &'a Calendar,
    index: &'a Index,
}

impl BusinessDays<'_> {
    /// Whether `date` is a working day in this mode.
    #[inline]
    pub fn is_working(&self, date: NaiveDate) -> Result<bool, CalendarError> {
        let i = self.cal.day_index(date)?;
        Ok(self.index.rank[i + 1] != self.index.rank[i])
    }

    /// The date of the `n`-th working day strictly after `date` (`date` itself
    /// is never counted, so a non-working `date` starts counting at the next
    /// working day). `n == 0` returns `date` unchanged.
    #[inline]
    pub fn add_business_days(&self, date: NaiveDate, n: u32) -> Result<NaiveDate, CalendarError> {
        if n == 0 {
            self.cal.day_index(date)?;
            return Ok(date);
        }
        let i = self.cal.day_index(date)?;
        let pos = self.index.rank[i + 1] as usize + n as usize - 1;
        match self.index.list.get(pos) {
            Some(&d) => Ok(self.cal.date_of(d)),
            None => Err(CalendarError::ResultOutOfRange { date, n }),
        }
    }

    /// The date of the `n`-th working day strictly before `date`; `n == 0` returns `date`.
    #[inline]
    pub fn sub_business_days(&self, date: NaiveDate, n: u32) -> Result<NaiveDate, CalendarError> {
        let i = self.cal.day_index(date)?;
        if n == 0 {
            return Ok(date);
        }
        let before = self.index.rank[i] as usize;
        if before < n as usize {
            return Err(CalendarError::ResultOutOfRange { date, n });
        }
        Ok(self.cal.date_of(self.index.list[before - n as usize]))
    }

    /// The first working day on or after `date`.
    #[inline]
    pub fn next_working_on_or_after(&self, date: NaiveDate) -> Result<NaiveDate, CalendarError> {
        let i = self.cal.day_index(date)?;
        match self.index.list.get(self.index.rank[i] as usize) {
            Some(&d) => Ok(self.cal.date_of(d)),
            None => Err(CalendarError::ResultOutOfRange { date, n: 0 }),
        }
    }

    /// Number of working days `d` with `from < d <= to` (0 when `to <= from`).
    #[inline]
    pub fn working_days_between(
        &self,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<u32, CalendarError> {
        let a = self.cal.day_index(from)?;
        let b = self.cal.day_index(to)?;
        if b <= a {
            return Ok(0);
        }
        Ok(u32::from(self.index.rank[b + 1] - self.index.rank[a + 1]))
    }
}
