//! The map: where things are. Pure geometry over WGS 84 longitude/latitude, read and written
//! as GeoJSON (RFC 7946: coordinates in `[lon, lat]` order, exterior rings counterclockwise).
//!
//! - [`BBox`]: a bounding box, `minlon,minlat,maxlon,maxlat` as the map endpoints take it.
//! - [`Shape`]: a point, line or polygon (a work's area, a boundary), with serde as a
//!   GeoJSON geometry object.
//! - [`Boundaries`]: the muhtarlıklar's boundary polygons of an organisation, keyed by code:
//!   which muhtarlık a point lies in, which muhtarlıklar a shape touches.
//! - [`MapSettings`]: the map page's tile server (`[map]` in a tenant's settings).
//! - [`work`]: works and announcements of the units ("which body does what, where") and
//!   their clashes.
//!
//! Geometry comes from the `geo` crate (validity, containment, intersection, areas); GeoJSON
//! objects from the `geojson` crate.

mod bbox;
mod boundaries;
mod shape;
mod tiles;
pub mod work;

pub use bbox::{BBox, BBoxError};
pub use boundaries::Boundaries;
pub use shape::{Shape, ShapeError};
pub use tiles::{MapSettings, TilesError, OSM_ATTRIBUTION, OSM_TILES};
