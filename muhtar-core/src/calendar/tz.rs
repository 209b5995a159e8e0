//! Europe/Istanbul local time through the IANA tz database (`time-tz`), with a
//! small adapter between `chrono` (used by the public API) and `time` (used by
//! `time-tz`).
//!
//! Turkey used EET/EEST (UTC+2/UTC+3) with its own DST dates in 2011, 2014 and
//! 2015 and is permanently UTC+3 since 2016-09-07, so historic instants must not
//! be converted with a fixed offset.

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, Utc};
use time_tz::{Offset, OffsetResult, TimeZone};

use super::CalendarError;

/// Turkey's permanent offset since 2016-09-07 (+03:00), used only as a fallback
/// for instants outside the range the `time` crate can represent (beyond ±9999).
const PERMANENT_OFFSET_SECS: i32 = 3 * 3600;

fn istanbul() -> &'static time_tz::Tz {
    time_tz::timezones::db::europe::ISTANBUL
}

/// Converts a chrono UTC instant to a `time` instant (the adapter's only
/// fallible direction: `time` supports years -9999..=9999).
fn to_time(at: DateTime<Utc>) -> Option<time::OffsetDateTime> {
    time::OffsetDateTime::from_unix_timestamp(at.timestamp()).ok()
}

/// The UTC offset of Europe/Istanbul at the given instant.
///
/// Instants outside the `time` crate's range (years beyond ±9999) get +03:00.
pub fn istanbul_offset(at: DateTime<Utc>) -> FixedOffset {
    let secs = to_time(at)
        .map(|t| istanbul().get_offset_utc(&t).to_utc().whole_seconds())
        .unwrap_or(PERMANENT_OFFSET_SECS);
    FixedOffset::east_opt(secs)
        .unwrap_or_else(|| FixedOffset::east_opt(PERMANENT_OFFSET_SECS).expect("valid"))
}

/// The instant as Europe/Istanbul local time (with the offset in force then).
pub fn to_istanbul(at: DateTime<Utc>) -> DateTime<FixedOffset> {
    at.with_timezone(&istanbul_offset(at))
}

/// An instant as people read it: Europe/Istanbul local time, to the minute
/// (`2026-01-01 00:00` for `2025-12-31T21:00:00Z`). Every time shown to a person
/// (sheets, lists, error messages, notices) is written with it.
///
/// ```
/// use chrono::{TimeZone, Utc};
/// let end_of_2026 = Utc.with_ymd_and_hms(2026, 12, 31, 21, 0, 0).unwrap();
/// assert_eq!(muhtar_core::calendar::local_time(end_of_2026), "2027-01-01 00:00");
/// ```
pub fn local_time(at: DateTime<Utc>) -> String {
    local_time_of(to_istanbul(at))
}

/// [`local_time`] of an instant already in Istanbul time ([`to_istanbul`]): for writers
/// that also need the instant itself (the map writes both for 100,000 requests).
pub fn local_time_of(ist: DateTime<FixedOffset>) -> String {
    use chrono::{Datelike, Timelike};
    match ist.year() {
        // `%Y-%m-%d %H:%M` without parsing the format each time.
        y @ 0..=9999 => format!(
            "{y:04}-{:02}-{:02} {:02}:{:02}",
            ist.month(),
            ist.day(),
            ist.hour(),
            ist.minute()
        ),
        _ => ist.format("%Y-%m-%d %H:%M").to_string(),
    }
}

/// The Europe/Istanbul local calendar date of an instant.
pub fn local_date(at: DateTime<Utc>) -> NaiveDate {
    to_istanbul(at).date_naive()
}

/// The UTC instant of a Europe/Istanbul local date and time.
///
/// An ambiguous local time (the repeated hour when DST ended) resolves to the
/// earlier instant; a local time inside a DST gap is an error.
pub fn from_istanbul_local(local: NaiveDateTime) -> Result<DateTime<Utc>, CalendarError> {
    use chrono::{Datelike, Timelike};
    let err = || CalendarError::NonexistentLocalTime { local };
    let month = u8::try_from(local.month())
        .ok()
        .and_then(|m| time::Month::try_from(m).ok());
    let date = month
        .and_then(|m| time::Date::from_calendar_date(local.year(), m, local.day() as u8).ok())
        .ok_or_else(err)?;
    let t = time::Time::from_hms(
        local.hour() as u8,
        local.minute() as u8,
        local.second() as u8,
    )
    .map_err(|_| err())?;
    let as_utc = time::PrimitiveDateTime::new(date, t).assume_utc();
    let offset_secs = match istanbul().get_offset_local(&as_utc) {
        OffsetResult::Some(o) => o.to_utc().whole_seconds(),
        // The larger offset gives the earlier instant.
        OffsetResult::Ambiguous(a, b) => a.to_utc().whole_seconds().max(b.to_utc().whole_seconds()),
        OffsetResult::None => return Err(err()),
    };
    let offset = FixedOffset::east_opt(offset_secs).ok_or_else(err)?;
    local
        .and_local_timezone(offset)
        .single()
        .map(|dt| dt.with_timezone(&Utc))
        .ok_or_else(err)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// The hand-written `%Y-%m-%d %H:%M` is chrono's, for any instant (years 0 to
        /// 9999 and beyond, where chrono writes them).
        #[test]
        fn local_time_is_the_strftime_text(secs in -70_000_000_000i64..300_000_000_000) {
            let at = DateTime::from_timestamp(secs, 0).unwrap();
            prop_assert_eq!(local_time(at), to_istanbul(at).format("%Y-%m-%d %H:%M").to_string());
        }
    }
}
