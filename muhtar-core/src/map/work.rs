//! Works and announcements of the units: "which body does what, where". A unit publishes a
//! work (road works, an excavation, a water cut, …) with its area and its time; the
//! muhtarlıklar whose boundary the area touches are notified and see it on their map; two
//! works of different bodies overlapping in place and time are a [`Clash`] the coordinator
//! sees.
//!
//! A work is a record with a version (each change writes the next version); the store keeps
//! every version's notices idempotent by `(work, version, recipient)`.
//!
//! - [`NewWork`]: what a unit publishes, checked whole by [`NewWork::validate`] (the unit,
//!   a one-line title of at most [`MAX_TITLE`] characters, the area: a point, line, polygon
//!   or multipolygon that is valid and inside Turkey, start before end) into a [`Work`];
//! - [`WorkChange`]: a later change (title, kind, area, times, status, contact), applied by
//!   [`Work::change`], and [`Work::close`]; each gives the next version and names the
//!   fields that changed ([`WorkField`]);
//! - [`clashes`]: the pairs of works of different units that overlap in place (within
//!   [`CLASH_TOLERANCE_M`] for points and lines) and time, for the coordinator;
//! - [`WorkQuery`]: the filters of a listing; [`WorkQuery::matches`] is their meaning,
//!   which every store's listing agrees with (the conformance suite checks it).
//!
//! Errors are [`InputError`]s naming the field (`unit`, `title`, `area`, `starts_at`,
//! `ends_at`, `status`, `contact`) or [`WorkError::Closed`].

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{BBox, Shape};
use crate::ids::{MuhtarlikCode, TenantId, UnitCode};
use crate::request::InputError;

mod change;
mod clash;
mod new;

pub use change::{WorkChange, WorkField};
pub use clash::{areas_meet, clashes, CLASH_TOLERANCE_M};
pub use new::{check_area, NewWork, MAX_AREA_POINTS, MAX_CONTACT, MAX_TITLE};

/// The most works one listing returns (`WorkStore::works`' `limit` is capped to it).
pub const MAX_WORKS: u32 = 10_000;

/// Why a work cannot be published or changed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum WorkError {
    /// A field is invalid (names the field).
    #[error(transparent)]
    Input(#[from] InputError),
    /// The work is closed: it can no longer change or be closed again.
    #[error("work {id} is closed: it can no longer change")]
    Closed {
        /// The work.
        id: WorkId,
    },
}

/// What kind of work or announcement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum WorkKind {
    /// Road works (yol çalışması).
    RoadWorks,
    /// Excavation (kazı).
    Excavation,
    /// A water cut.
    WaterCut,
    /// A power cut.
    PowerCut,
    /// A gas cut.
    GasCut,
    /// A project.
    Project,
    /// An event.
    Event,
    /// Anything else.
    Other,
}

crate::names::named_enum! {
    impl WorkKind: "work kind" {
        RoadWorks => ("road-works", "Yol çalışması"),
        Excavation => ("excavation", "Kazı çalışması"),
        WaterCut => ("water-cut", "Su kesintisi"),
        PowerCut => ("power-cut", "Elektrik kesintisi"),
        GasCut => ("gas-cut", "Doğal gaz kesintisi"),
        Project => ("project", "Proje"),
        Event => ("event", "Etkinlik"),
        Other => ("other", "Diğer"),
    }
}

/// Where a work stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum WorkStatus {
    /// Announced, not started.
    Planned,
    /// Going on.
    Ongoing,
    /// Finished or called off: closed.
    Closed,
}

crate::names::named_enum! {
    impl WorkStatus: "work status" {
        Planned => ("planned", "Planlandı"),
        Ongoing => ("ongoing", "Devam ediyor"),
        Closed => ("closed", "Kapandı"),
    }
}

/// A work id: a random UUID (unpredictable).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct WorkId(pub Uuid);

impl std::fmt::Display for WorkId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl std::str::FromStr for WorkId {
    type Err = uuid::Error;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        s.trim().parse().map(WorkId)
    }
}

/// A work or announcement, as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Work {
    /// Id.
    pub id: WorkId,
    /// Tenant.
    pub tenant: TenantId,
    /// The unit (body) doing it.
    pub unit: UnitCode,
    /// Title, e.g. "Paşalimanı Caddesi asfalt yenileme".
    pub title: String,
    /// Kind.
    pub kind: WorkKind,
    /// Where: a point, a line or a polygon.
    pub area: Shape,
    /// From.
    pub starts_at: DateTime<Utc>,
    /// Until.
    pub ends_at: DateTime<Utc>,
    /// Status.
    pub status: WorkStatus,
    /// Whom to ask (a phone number or an office; public).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact: Option<String>,
    /// The muhtarlıklar whose boundary the area touches (computed when written).
    #[serde(default)]
    pub muhtarliklar: Vec<MuhtarlikCode>,
    /// Version, from 1; each change writes the next.
    pub version: u32,
    /// Who published it (actor text).
    pub created_by: String,
    /// When it was published.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

/// Filters of a works listing; `None` means any.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[non_exhaustive]
pub struct WorkQuery {
    /// Only these units' works.
    #[serde(default)]
    pub units: Option<Vec<UnitCode>>,
    /// Only works touching this muhtarlık.
    #[serde(default)]
    pub muhtarlik: Option<MuhtarlikCode>,
    /// Only these statuses.
    #[serde(default)]
    pub statuses: Option<Vec<WorkStatus>>,
    /// Only works whose area's box meets this box.
    #[serde(default)]
    pub bbox: Option<BBox>,
    /// Only works not ended before this instant.
    #[serde(default)]
    pub active_from: Option<DateTime<Utc>>,
    /// Only works started before this instant.
    #[serde(default)]
    pub active_until: Option<DateTime<Utc>>,
}

impl WorkQuery {
    /// Whether `work` passes every filter: what a store's listing means (the conformance
    /// suite compares every store's listing with it).
    ///
    /// `bbox` compares the area's bounding box ([`Shape::bbox`]) with the box, edges
    /// included; `active_from` keeps works with `ends_at >= active_from`, `active_until`
    /// those with `starts_at < active_until`.
    pub fn matches(&self, work: &Work) -> bool {
        self.units.as_ref().is_none_or(|u| u.contains(&work.unit))
            && self
                .muhtarlik
                .as_ref()
                .is_none_or(|m| work.muhtarliklar.contains(m))
            && self
                .statuses
                .as_ref()
                .is_none_or(|s| s.contains(&work.status))
            && self
                .bbox
                .is_none_or(|b| work.area.bbox().is_some_and(|a| a.intersects(&b)))
            && self.active_from.is_none_or(|t| work.ends_at >= t)
            && self.active_until.is_none_or(|t| work.starts_at < t)
    }

    /// The order of every listing: earliest start first, then by id.
    pub fn order(a: &Work, b: &Work) -> std::cmp::Ordering {
        (a.starts_at, a.id).cmp(&(b.starts_at, b.id))
    }
}

/// Two works of different units overlapping in place and time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Clash {
    /// The earlier-starting work.
    pub first: WorkId,
    /// The other.
    pub second: WorkId,
    /// When both go on: from.
    pub from: DateTime<Utc>,
    /// When both go on: until.
    pub until: DateTime<Utc>,
}
