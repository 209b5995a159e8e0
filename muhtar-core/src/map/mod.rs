//! The map: where things are. Pure geometry over WGS 84 longitude/latitude, read and written
//! as GeoJSON (RFC 7946: coordinates in `[lon, lat]` order, exterior rings counterclockwise).
//!
//! - [`BBox`]: a bounding box, `minlon,minlat,maxlon,maxlat` as the map endpoints take it.
//! - [`Shape`]: a point, line or polygon (a work's area, a boundary), with serde as a
//!   GeoJSON geometry object, written by the right-hand rule.
//! - [`Boundaries`]: the muhtarlıklar's boundary polygons of an organisation, keyed by code:
//!   which muhtarlık a point lies in, which muhtarlıklar a shape touches; read from a
//!   GeoJSON FeatureCollection and validated whole ([`Boundaries::from_geojson_str`],
//!   [`BoundaryProblem`]), written back ([`Boundaries::to_feature_collection`]).
//! - [`location_warning`]: a request whose location lies outside its muhtarlık's boundary
//!   (a warning on the request, never a refusal).
//! - [`MapPoint`]: a located request as the map endpoints read it from the stores'
//!   columns; [`features`]: the GeoJSON documents of requests and muhtarlıklar (no
//!   personal data); [`rfc7946`]: a checker of RFC 7946 documents, for tests.
//! - [`MapSettings`]: the map page's tile server (`[map]` in a tenant's settings).
//! - [`work`]: works and announcements of the units ("which body does what, where") and
//!   their clashes.
//!
//! Geometry comes from the `geo` crate (validity, containment, intersection, geodesic
//! areas); GeoJSON objects from the `geojson` crate.

mod bbox;
mod boundaries;
mod boundaries_file;
pub mod features;
mod location;
mod points;
mod problem;
pub mod rfc7946;
mod shape;
mod tiles;
pub mod work;

pub use bbox::{BBox, BBoxError};
pub use boundaries::Boundaries;
pub use boundaries_file::{OVERLAP_TOLERANCE_M2, OVERLAP_TOLERANCE_SHARE};
pub use location::{location_warning, LocationWarning};
pub use points::{MapColumns, MapPoint, MuhtarlikCounts};
pub use problem::{BoundariesError, BoundaryProblem, BoundaryProblemKind, Fault, RingRef};
pub use shape::{Shape, ShapeError};
pub use tiles::{MapSettings, TilesError, OSM_ATTRIBUTION, OSM_TILES};
