//! Works and announcements of the units: "which body does what, where". A unit publishes a
//! work (road works, an excavation, a water cut, …) with its area and its time; the
//! muhtarlıklar whose boundary the area touches are notified and see it on their map; two
//! works of different bodies overlapping in place and time are a [`Clash`] the coordinator
//! sees.
//!
//! A work is a record with a version (each change writes the next version); the store keeps
//! every version's notices idempotent by `(work, version, recipient)`.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{BBox, Shape};
use crate::ids::{MuhtarlikCode, TenantId, UnitCode};

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
