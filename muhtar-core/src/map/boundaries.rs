//! The muhtarlıklar's boundaries.

use std::collections::BTreeMap;

use geo::{BoundingRect, Intersects};
use serde::{Deserialize, Serialize};

use super::Shape;
use crate::ids::MuhtarlikCode;

/// Each muhtarlık's boundary (a polygon or multipolygon), keyed by muhtarlık code. Part of the
/// organisation (`Organisation::boundaries`); empty when the tenant has none.
///
/// A point on a boundary line belongs to the boundary (it is "inside" both neighbours
/// sharing that line).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Boundaries(pub BTreeMap<MuhtarlikCode, Shape>);

/// Whether the shape holds the point, its box first.
fn holds(shape: &Shape, p: &geo::Point<f64>) -> bool {
    shape
        .0
        .bounding_rect()
        .is_some_and(|r| r.intersects(p) && shape.0.intersects(p))
}

impl Boundaries {
    /// Whether no muhtarlık has a boundary.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// How many muhtarlıklar have a boundary.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// The boundary of one muhtarlık.
    pub fn of(&self, code: &MuhtarlikCode) -> Option<&Shape> {
        self.0.get(code)
    }

    /// The muhtarlık whose boundary contains the point (the first by code when boundaries
    /// overlap or the point lies on a shared line), if any.
    pub fn muhtarlik_at(&self, lon: f64, lat: f64) -> Option<&MuhtarlikCode> {
        let p = geo::Point::new(lon, lat);
        self.0
            .iter()
            .find(|(_, s)| holds(s, &p))
            .map(|(code, _)| code)
    }

    /// Whether the point lies inside the muhtarlık's boundary, its line included (`None`:
    /// it has none).
    pub fn contains(&self, code: &MuhtarlikCode, lon: f64, lat: f64) -> Option<bool> {
        self.of(code).map(|s| holds(s, &geo::Point::new(lon, lat)))
    }

    /// The muhtarlıklar whose boundary the shape touches, in code order.
    pub fn touching(&self, shape: &Shape) -> Vec<MuhtarlikCode> {
        self.0
            .iter()
            .filter(|(_, s)| s.0.intersects(&shape.0))
            .map(|(code, _)| code.clone())
            .collect()
    }
}
