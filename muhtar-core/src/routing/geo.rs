//! Polygons over WGS 84 coordinates, for area conditions (a coastline, an industrial zone).

use serde::{Deserialize, Serialize};

/// A polygon given as `[lat, lon]` points, in order; the ring closes itself (repeating the
/// first point at the end is allowed).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Polygon(pub Vec<[f64; 2]>);

/// Largest polygon checked for self-intersection (the check is quadratic).
pub const SELF_INTERSECTION_LIMIT: usize = 2000;

impl Polygon {
    /// The ring without a repeated closing point.
    fn ring(&self) -> &[[f64; 2]] {
        match self.0.as_slice() {
            [first, .., last] if self.0.len() > 1 && first == last => &self.0[..self.0.len() - 1],
            all => all,
        }
    }

    /// Why the polygon cannot be used, if it cannot: fewer than 3 distinct points,
    /// coordinates out of range, zero area, or edges that cross (checked up to
    /// [`SELF_INTERSECTION_LIMIT`] points).
    pub fn problem(&self) -> Option<String> {
        let ring = self.ring();
        if ring.len() < 3 {
            return Some(format!(
                "a polygon needs at least 3 points, this one has {}",
                ring.len()
            ));
        }
        for (i, [lat, lon]) in ring.iter().enumerate() {
            if !(lat.is_finite() && (-90.0..=90.0).contains(lat)) {
                return Some(format!("point {}: latitude {lat} is out of range", i + 1));
            }
            if !(lon.is_finite() && (-180.0..=180.0).contains(lon)) {
                return Some(format!("point {}: longitude {lon} is out of range", i + 1));
            }
        }
        let n = ring.len();
        if n <= SELF_INTERSECTION_LIMIT {
            for i in 0..n {
                for j in i + 1..n {
                    // Skip adjacent edges (they share a point).
                    if j == i + 1 || (i == 0 && j == n - 1) {
                        continue;
                    }
                    let (a, b) = (ring[i], ring[(i + 1) % n]);
                    let (c, d) = (ring[j], ring[(j + 1) % n]);
                    if segments_intersect(a, b, c, d) {
                        return Some(format!(
                            "the polygon intersects itself (edge {} crosses edge {})",
                            i + 1,
                            j + 1
                        ));
                    }
                }
            }
        }
        let area2: f64 = (0..n)
            .map(|i| {
                // Relative to the first point, to keep rounding small.
                let o = ring[0];
                let (a, b) = (ring[i], ring[(i + 1) % n]);
                let (ay, ax, by, bx) = (a[0] - o[0], a[1] - o[1], b[0] - o[0], b[1] - o[1]);
                ax * by - bx * ay
            })
            .sum();
        if area2.abs() < 1e-14 {
            return Some("the polygon has no area (its points are collinear)".into());
        }
        None
    }

    /// Whether the point lies inside (even-odd rule; points on the boundary may go either
    /// way). An invalid polygon contains nothing.
    pub fn contains(&self, lat: f64, lon: f64) -> bool {
        let ring = self.ring();
        if ring.len() < 3 || !lat.is_finite() || !lon.is_finite() {
            return false;
        }
        let mut inside = false;
        let mut j = ring.len() - 1;
        for i in 0..ring.len() {
            let [yi, xi] = ring[i];
            let [yj, xj] = ring[j];
            if (yi > lat) != (yj > lat) && lon < (xj - xi) * (lat - yi) / (yj - yi) + xi {
                inside = !inside;
            }
            j = i;
        }
        inside
    }

    /// The bounding box: `(lat_min, lat_max, lon_min, lon_max)`.
    pub fn bbox(&self) -> (f64, f64, f64, f64) {
        self.0.iter().fold(
            (
                f64::INFINITY,
                f64::NEG_INFINITY,
                f64::INFINITY,
                f64::NEG_INFINITY,
            ),
            |(a, b, c, d), [lat, lon]| (a.min(*lat), b.max(*lat), c.min(*lon), d.max(*lon)),
        )
    }
}

fn orient(a: [f64; 2], b: [f64; 2], c: [f64; 2]) -> f64 {
    (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0])
}

fn on_segment(a: [f64; 2], b: [f64; 2], p: [f64; 2]) -> bool {
    p[0] >= a[0].min(b[0])
        && p[0] <= a[0].max(b[0])
        && p[1] >= a[1].min(b[1])
        && p[1] <= a[1].max(b[1])
}

fn segments_intersect(a: [f64; 2], b: [f64; 2], c: [f64; 2], d: [f64; 2]) -> bool {
    let (o1, o2, o3, o4) = (
        orient(a, b, c),
        orient(a, b, d),
        orient(c, d, a),
        orient(c, d, b),
    );
    if ((o1 > 0.0 && o2 < 0.0) || (o1 < 0.0 && o2 > 0.0))
        && ((o3 > 0.0 && o4 < 0.0) || (o3 < 0.0 && o4 > 0.0))
    {
        return true;
    }
    (o1 == 0.0 && on_segment(a, b, c))
        || (o2 == 0.0 && on_segment(a, b, d))
        || (o3 == 0.0 && on_segment(c, d, a))
        || (o4 == 0.0 && on_segment(c, d, b))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn square() -> Polygon {
        Polygon(vec![[41.0, 29.0], [41.0, 29.1], [41.1, 29.1], [41.1, 29.0]])
    }

    #[test]
    fn contains_inside_not_outside() {
        let p = square();
        assert!(p.problem().is_none());
        assert!(p.contains(41.05, 29.05));
        assert!(!p.contains(41.15, 29.05));
        assert!(!p.contains(f64::NAN, 29.05));
    }

    #[test]
    fn closing_point_is_allowed() {
        let mut p = square();
        p.0.push([41.0, 29.0]);
        assert!(p.problem().is_none());
        assert!(p.contains(41.05, 29.05));
    }

    #[test]
    fn invalid_polygons_are_reported() {
        assert!(Polygon(vec![[41.0, 29.0], [41.1, 29.1]])
            .problem()
            .unwrap()
            .contains("at least 3"));
        assert!(Polygon(vec![[91.0, 29.0], [41.1, 29.1], [41.0, 29.2]])
            .problem()
            .unwrap()
            .contains("latitude"));
        // A bow tie.
        let bow = Polygon(vec![[41.0, 29.0], [41.1, 29.1], [41.1, 29.0], [41.0, 29.1]]);
        assert!(bow.problem().unwrap().contains("intersects itself"));
        let line = Polygon(vec![[41.0, 29.0], [41.1, 29.1], [41.2, 29.2]]);
        assert!(line.problem().unwrap().contains("no area"));
    }
}
