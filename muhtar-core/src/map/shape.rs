//! Shapes: a point, a line or a polygon, as GeoJSON geometry objects.

use geo::{BoundingRect, Intersects};
use serde::{Deserialize, Serialize};

use super::BBox;

/// A point, line or (multi)polygon in WGS 84 longitude/latitude. Serde reads and writes a
/// GeoJSON geometry object (`{"type": "Polygon", "coordinates": [[[lon, lat], …]]}`);
/// polygons are written by RFC 7946's right-hand rule (exterior rings counterclockwise,
/// holes clockwise), whatever their winding in memory.
#[derive(Debug, Clone, PartialEq)]
pub struct Shape(pub geo::Geometry<f64>);

/// Why a geometry cannot be used.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum ShapeError {
    /// Not a GeoJSON geometry, or one of a type that is not accepted.
    #[error("geometry: {0}")]
    NotGeometry(String),
    /// Invalid: unclosed or self-intersecting ring, too few points, coordinates out of range.
    #[error("geometry: {0}")]
    Invalid(String),
}

impl Shape {
    /// A point.
    pub fn point(lon: f64, lat: f64) -> Shape {
        Shape(geo::Geometry::Point(geo::Point::new(lon, lat)))
    }

    /// The smallest box around it (`None` for an empty shape).
    pub fn bbox(&self) -> Option<BBox> {
        let r = self.0.bounding_rect()?;
        Some(BBox {
            min_lon: r.min().x,
            min_lat: r.min().y,
            max_lon: r.max().x,
            max_lat: r.max().y,
        })
    }

    /// Whether two shapes share a point.
    pub fn intersects(&self, other: &Shape) -> bool {
        self.0.intersects(&other.0)
    }

    /// The GeoJSON geometry object, polygons by the right-hand rule (exterior rings
    /// counterclockwise, holes clockwise: RFC 7946 §3.1.6).
    pub fn to_geojson(&self) -> geojson::Geometry {
        geojson::Geometry::new(geojson::GeometryValue::from(&right_handed(&self.0)))
    }

    /// Reads a GeoJSON geometry object.
    pub fn from_geojson(g: &geojson::Geometry) -> Result<Shape, ShapeError> {
        geo::Geometry::<f64>::try_from(&g.value)
            .map(Shape)
            .map_err(|e| ShapeError::NotGeometry(e.to_string()))
    }
}

/// The geometry with every polygon's rings turned to the right-hand rule (rectangles and
/// triangles become polygons).
fn right_handed(g: &geo::Geometry<f64>) -> geo::Geometry<f64> {
    use geo::orient::{Direction, Orient};
    match g {
        geo::Geometry::Polygon(p) => geo::Geometry::Polygon(p.orient(Direction::Default)),
        geo::Geometry::MultiPolygon(m) => geo::Geometry::MultiPolygon(m.orient(Direction::Default)),
        geo::Geometry::Rect(r) => geo::Geometry::Polygon(r.to_polygon().orient(Direction::Default)),
        geo::Geometry::Triangle(t) => {
            geo::Geometry::Polygon(t.to_polygon().orient(Direction::Default))
        }
        geo::Geometry::GeometryCollection(c) => {
            geo::Geometry::GeometryCollection(c.iter().map(right_handed).collect())
        }
        other => other.clone(),
    }
}

impl Serialize for Shape {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.to_geojson().serialize(s)
    }
}

impl<'de> Deserialize<'de> for Shape {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let g = geojson::Geometry::deserialize(d)?;
        Shape::from_geojson(&g).map_err(serde::de::Error::custom)
    }
}
