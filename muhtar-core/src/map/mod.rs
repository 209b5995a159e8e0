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
//! - [`work`]: works and announcements of the units ("which body does what, where") and
//!   their clashes.
//!
//! Geometry comes from the `geo` crate (validity, containment, intersection, geodesic
//! areas); GeoJSON objects from the `geojson` crate.

mod bbox;
mod boundaries;
mod features;
mod location;
mod problem;
mod shape;
pub mod work;

pub use bbox::{BBox, BBoxError};
pub use boundaries::Boundaries;
pub use features::{OVERLAP_TOLERANCE_M2, OVERLAP_TOLERANCE_SHARE};
pub use location::{location_warning, LocationWarning};
pub use problem::{BoundariesError, BoundaryProblem, BoundaryProblemKind, Fault, RingRef};
pub use shape::{Shape, ShapeError};
