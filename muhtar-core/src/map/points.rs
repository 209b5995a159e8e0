//! Requests as points on a map: the narrow read a city-wide map needs.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::ids::{MuhtarlikCode, UnitCode};
use crate::request::Status;
use crate::store::{Position, RequestQuery, RequestRecord, StoreError};
use crate::tracking::TrackingNumber;

/// A located request as a map shows it: what the stores keep as columns
/// ([`crate::store::RequestStore::map_points`]), so that a map of a whole city decodes no
/// request's state. No field can hold personal data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MapPoint {
    /// Takip numarası.
    pub tracking: TrackingNumber,
    /// Category code.
    pub category: String,
    /// Status.
    pub status: Status,
    /// The unit it is with.
    pub unit: Option<UnitCode>,
    /// The muhtarlık it comes from.
    pub muhtarlik: MuhtarlikCode,
    /// The resolution deadline, to the microsecond (as the stores' columns keep it).
    pub resolution_due: Option<DateTime<Utc>>,
    /// İVEDİ (Genelge 2015/8 item 9).
    pub urgent: bool,
    /// Longitude, WGS 84.
    pub lon: f64,
    /// Latitude, WGS 84.
    pub lat: f64,
}

impl MapPoint {
    /// The point of a record, if it has a location.
    pub fn of(r: &RequestRecord) -> Option<MapPoint> {
        let s = &r.state;
        let l = s.content.location.as_ref()?;
        Some(MapPoint {
            tracking: s.tracking,
            category: s.content.category.clone(),
            status: s.status,
            unit: s.unit.clone(),
            muhtarlik: s.content.muhtarlik.clone(),
            resolution_due: r
                .deadlines
                .resolution_due
                .and_then(|d| DateTime::from_timestamp_micros(d.timestamp_micros())),
            urgent: s.content.priority.is_urgent(),
            lon: l.lon,
            lat: l.lat,
        })
    }

    /// Whether the request is open and past its resolution deadline at `now` (the set of
    /// [`crate::service::Mbs::list_overdue`]).
    pub fn overdue(&self, now: DateTime<Utc>) -> bool {
        self.status.is_open() && self.resolution_due.is_some_and(|d| d < now)
    }

    /// What [`crate::store::RequestStore::map_points`] answers over `records` (one
    /// tenant's): the located ones `query` matches, in `query.order`, at most `limit`.
    pub fn reference<'a>(
        records: impl IntoIterator<Item = &'a RequestRecord>,
        query: &RequestQuery,
        limit: u32,
    ) -> Vec<MapPoint> {
        let mut rows: Vec<&RequestRecord> = records
            .into_iter()
            .filter(|r| r.state.content.location.is_some() && query.matches(r))
            .collect();
        rows.sort_by(|a, b| {
            query
                .order
                .compare(&Position::of(a, query.order), &Position::of(b, query.order))
        });
        rows.into_iter()
            .take(limit as usize)
            .filter_map(MapPoint::of)
            .collect()
    }
}

/// A map point's columns as the stores keep them (migration 0012 of both), read back by
/// [`MapColumns::point`]: stable names, codes, the deadline in microseconds since the
/// epoch, the priority rank ([`crate::store::priority_rank`]).
#[derive(Debug, Clone, PartialEq)]
pub struct MapColumns {
    /// `tracking`.
    pub tracking: String,
    /// `category`.
    pub category: String,
    /// `status`.
    pub status: String,
    /// `unit`.
    pub unit: Option<String>,
    /// `muhtarlik`.
    pub muhtarlik: String,
    /// `resolution_due` in microseconds.
    pub due_micros: Option<i64>,
    /// `priority_rank`.
    pub priority_rank: i64,
    /// `lon`.
    pub lon: f64,
    /// `lat`.
    pub lat: f64,
}

impl MapColumns {
    /// The point; [`StoreError::Corrupt`] naming a column that does not read back.
    pub fn point(self) -> Result<MapPoint, StoreError> {
        fn bad(what: &str, v: impl std::fmt::Debug) -> StoreError {
            StoreError::corrupt(format!("{what} {v:?}"))
        }
        Ok(MapPoint {
            tracking: self
                .tracking
                .parse()
                .map_err(|_| bad("tracking number", &self.tracking))?,
            category: self.category,
            status: Status::from_name(&self.status).ok_or_else(|| bad("status", &self.status))?,
            unit: self
                .unit
                .map(|u| UnitCode::new(u.clone()).map_err(|_| bad("unit", u)))
                .transpose()?,
            muhtarlik: MuhtarlikCode::new(self.muhtarlik.clone())
                .map_err(|_| bad("muhtarlık", &self.muhtarlik))?,
            resolution_due: self
                .due_micros
                .map(|d| DateTime::from_timestamp_micros(d).ok_or_else(|| bad("deadline", d)))
                .transpose()?,
            urgent: self.priority_rank == 0,
            lon: self.lon,
            lat: self.lat,
        })
    }
}

/// A muhtarlık's open requests and, of those, the overdue ones, at one instant (the
/// report's definitions: [`crate::report::Tally::open_at_end`] and `overdue_at_end` of a
/// window ending then).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct MuhtarlikCounts {
    /// Open requests.
    pub open: u64,
    /// Of those, past their resolution deadline.
    pub overdue: u64,
}
