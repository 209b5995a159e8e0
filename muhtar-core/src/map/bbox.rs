//! Bounding boxes.

use serde::{Deserialize, Serialize};

/// A bounding box in WGS 84 degrees: `bbox=minlon,minlat,maxlon,maxlat` (RFC 7946 §5 order).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct BBox {
    /// Western edge (longitude).
    pub min_lon: f64,
    /// Southern edge (latitude).
    pub min_lat: f64,
    /// Eastern edge (longitude).
    pub max_lon: f64,
    /// Northern edge (latitude).
    pub max_lat: f64,
}

/// Why a `bbox` parameter cannot be read.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum BBoxError {
    /// Not four comma-separated numbers.
    #[error("bbox: expected four numbers minlon,minlat,maxlon,maxlat, got {given:?}")]
    Shape {
        /// The text given.
        given: String,
    },
    /// A number out of range or the edges in the wrong order.
    #[error("bbox: {problem} (expected minlon,minlat,maxlon,maxlat with -180 ≤ lon ≤ 180, -90 ≤ lat ≤ 90, min ≤ max)")]
    Range {
        /// What is wrong.
        problem: String,
    },
}

impl BBox {
    /// A checked box: finite, in range, min ≤ max.
    pub fn new(min_lon: f64, min_lat: f64, max_lon: f64, max_lat: f64) -> Result<Self, BBoxError> {
        let bad = |problem: String| Err(BBoxError::Range { problem });
        for (name, v, lim) in [
            ("minlon", min_lon, 180.0),
            ("minlat", min_lat, 90.0),
            ("maxlon", max_lon, 180.0),
            ("maxlat", max_lat, 90.0),
        ] {
            if !v.is_finite() || v.abs() > lim {
                return bad(format!("{name} {v} is out of range"));
            }
        }
        if min_lon > max_lon {
            return bad(format!("minlon {min_lon} is east of maxlon {max_lon}"));
        }
        if min_lat > max_lat {
            return bad(format!("minlat {min_lat} is north of maxlat {max_lat}"));
        }
        Ok(BBox {
            min_lon,
            min_lat,
            max_lon,
            max_lat,
        })
    }

    /// Reads `minlon,minlat,maxlon,maxlat`.
    pub fn parse(text: &str) -> Result<Self, BBoxError> {
        let shape = || BBoxError::Shape {
            given: text.to_owned(),
        };
        let nums: Vec<f64> = text
            .split(',')
            .map(|p| p.trim().parse::<f64>().map_err(|_| shape()))
            .collect::<Result<_, _>>()?;
        let [a, b, c, d] = nums[..] else {
            return Err(shape());
        };
        Self::new(a, b, c, d)
    }

    /// Whether the point lies in the box (edges included).
    pub fn contains(&self, lon: f64, lat: f64) -> bool {
        (self.min_lon..=self.max_lon).contains(&lon) && (self.min_lat..=self.max_lat).contains(&lat)
    }

    /// Whether two boxes share a point (edges included).
    pub fn intersects(&self, other: &BBox) -> bool {
        self.min_lon <= other.max_lon
            && other.min_lon <= self.max_lon
            && self.min_lat <= other.max_lat
            && other.min_lat <= self.max_lat
    }
}

impl std::fmt::Display for BBox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{},{},{},{}",
            self.min_lon, self.min_lat, self.max_lon, self.max_lat
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_checks() {
        let b = BBox::parse("29.0,41.0,29.1,41.1").unwrap();
        assert!(b.contains(29.05, 41.05));
        assert!(!b.contains(28.9, 41.05));
        assert!(matches!(BBox::parse("1,2,3"), Err(BBoxError::Shape { .. })));
        assert!(matches!(
            BBox::parse("29.1,41,29.0,41.1"),
            Err(BBoxError::Range { .. })
        ));
        assert!(matches!(
            BBox::parse("200,41,201,42"),
            Err(BBoxError::Range { .. })
        ));
        assert!(matches!(
            BBox::parse("NaN,41,29,42"),
            Err(BBoxError::Range { .. })
        ));
    }
}
