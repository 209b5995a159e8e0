//! The map: where things are. Pure geometry over WGS 84 longitude/latitude, read and written
//! as GeoJSON (RFC 7946: coordinates in `[lon, lat]` order, exterior rings counterclockwise).
//!
//! - [`BBox`]: a bounding box, `minlon,minlat,maxlon,maxlat` as the map endpoints take it.
//! - [`Shape`]: a point, line or polygon (a work's area, a boundary), with serde as a
//!   GeoJSON geometry object.
//! - [`Boundaries`]: the muhtarlıklar's boundary polygons of an organisation, keyed by code:
//!   which muhtarlık a point lies in, which muhtarlıklar a shape touches.
//! - [`MapPoint`]: a located request as the map endpoints read it from the stores'
//!   columns; [`features`]: the GeoJSON documents of requests and muhtarlıklar (no
//!   personal data); [`rfc7946`]: a checker of RFC 7946 documents, for tests.
//! - [`work`]: works and announcements of the units ("which body does what, where") and
//!   their clashes.
//!
//! Geometry comes from the `geo` crate (validity, containment, intersection, areas); GeoJSON
//! objects from the `geojson` crate.

mod bbox;
mod boundaries;
pub mod features;
mod points;
pub mod rfc7946;
mod shape;
pub mod work;

pub use bbox::{BBox, BBoxError};
pub use boundaries::Boundaries;
pub use points::{MapColumns, MapPoint, MuhtarlikCounts};
pub use shape::{Shape, ShapeError};
