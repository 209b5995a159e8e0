//! Properties of boundaries: point in polygon on random star-shaped polygons (inside by
//! construction, translation invariant), `muhtarlik_at` agreeing with `contains`, the
//! GeoJSON writer and reader (round trip, right-hand rule), and an unclosed ring always
//! reported at its feature and line.

use geo::{Distance, Euclidean};
use muhtar_core::ids::MuhtarlikCode;
use muhtar_core::map::{Boundaries, BoundaryProblemKind, Shape};
use proptest::prelude::*;

/// A star-shaped polygon around (cx, cy): `radii.len()` (at least 4) vertices at
/// increasing angles, each in the middle 80% of its own sector, so consecutive vertices are
/// at most 1.8 sectors (≤ 162°) apart and the centre is inside; counterclockwise.
fn star(cx: f64, cy: f64, radii: &[(f64, f64)]) -> Vec<(f64, f64)> {
    let n = radii.len() as f64;
    let mut ring: Vec<(f64, f64)> = radii
        .iter()
        .enumerate()
        .map(|(k, (r, jitter))| {
            let a = (k as f64 + 0.1 + 0.8 * jitter) * std::f64::consts::TAU / n;
            (cx + r * a.cos(), cy + r * a.sin())
        })
        .collect();
    ring.push(ring[0]);
    ring
}

fn radii() -> impl Strategy<Value = Vec<(f64, f64)>> {
    prop::collection::vec((0.002f64..0.02, 0.0f64..1.0), 4..12)
}

fn centre() -> impl Strategy<Value = (f64, f64)> {
    (27.0f64..44.0, 36.5f64..41.5)
}

fn polygon(ring: Vec<(f64, f64)>, holes: Vec<Vec<(f64, f64)>>) -> geo::Polygon<f64> {
    geo::Polygon::new(ring.into(), holes.into_iter().map(Into::into).collect())
}

fn code(i: usize) -> MuhtarlikCode {
    MuhtarlikCode::new(format!("m{i}")).unwrap()
}

/// Boundaries of `n` stars on a grid of 0.05° cells (none overlapping), the i-th around
/// the centre of cell i; every other one wound clockwise.
fn grid(stars: &[Vec<(f64, f64)>], origin: (f64, f64)) -> Boundaries {
    Boundaries(
        stars
            .iter()
            .enumerate()
            .map(|(i, radii)| {
                let cx = origin.0 + 0.05 * (i % 4) as f64;
                let cy = origin.1 + 0.05 * (i / 4) as f64;
                let mut ring = star(cx, cy, radii);
                if i % 2 == 1 {
                    ring.reverse();
                }
                (
                    code(i),
                    Shape(geo::Geometry::Polygon(polygon(ring, vec![]))),
                )
            })
            .collect(),
    )
}

/// The signed area of a ring of GeoJSON positions (positive: counterclockwise).
fn signed_area(ring: &serde_json::Value) -> f64 {
    let pts: Vec<(f64, f64)> = ring
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p[0].as_f64().unwrap(), p[1].as_f64().unwrap()))
        .collect();
    pts.windows(2)
        .map(|w| w[0].0 * w[1].1 - w[1].0 * w[0].1)
        .sum::<f64>()
        / 2.0
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    /// A point of the fan triangle (centre, v_k, v_k+1) of a star-shaped polygon lies inside
    /// it, and so does the centre.
    #[test]
    fn a_point_built_inside_a_star_polygon_is_contained(
        (cx, cy) in centre(),
        radii in radii(),
        k in any::<prop::sample::Index>(),
        (a, b) in (0.01f64..1.0, 0.01f64..1.0),
    ) {
        let ring = star(cx, cy, &radii);
        let code = code(0);
        let b_ = Boundaries([(code.clone(), Shape(geo::Geometry::Polygon(polygon(ring.clone(), vec![]))))].into());
        prop_assert_eq!(b_.contains(&code, cx, cy), Some(true));
        let k = k.index(ring.len() - 1);
        let (v, w) = (ring[k], ring[k + 1]);
        // Barycentric: centre weight c = 1 - a' - b', all positive.
        let (a, b) = (a / (1.0 + a + b), b / (1.0 + a + b));
        let (x, y) = (
            cx + a * (v.0 - cx) + b * (w.0 - cx),
            cy + a * (v.1 - cy) + b * (w.1 - cy),
        );
        prop_assert_eq!(b_.contains(&code, x, y), Some(true), "({}, {}) in {:?}", x, y, ring);
        prop_assert_eq!(b_.muhtarlik_at(x, y), Some(&code));
    }

    /// Moving the polygon and the point together does not change whether it holds the
    /// point (points within 1e-9° of the boundary, where rounding decides, are left out).
    #[test]
    fn containment_is_invariant_under_translation(
        (cx, cy) in centre(),
        radii in radii(),
        (px, py) in (-0.03f64..0.03, -0.03f64..0.03),
        (dx, dy) in (-0.5f64..0.5, -0.5f64..0.5),
    ) {
        let ring = star(cx, cy, &radii);
        let p = geo::Point::new(cx + px, cy + py);
        let line: geo::LineString<f64> = ring.clone().into();
        prop_assume!(Euclidean.distance(&p, &line) > 1e-9);
        let moved: Vec<(f64, f64)> = ring.iter().map(|(x, y)| (x + dx, y + dy)).collect();
        let one = Boundaries([(code(0), Shape(geo::Geometry::Polygon(polygon(ring, vec![]))))].into());
        let other = Boundaries([(code(0), Shape(geo::Geometry::Polygon(polygon(moved, vec![]))))].into());
        prop_assert_eq!(
            one.contains(&code(0), p.x(), p.y()),
            other.contains(&code(0), p.x() + dx, p.y() + dy)
        );
    }

    /// `muhtarlik_at` names a muhtarlık whose boundary holds the point, and none only when
    /// no boundary holds it.
    #[test]
    fn muhtarlik_at_agrees_with_contains(
        stars in prop::collection::vec(radii(), 1..8),
        origin in centre(),
        (px, py) in (-0.03f64..0.2, -0.03f64..0.1),
    ) {
        let b = grid(&stars, origin);
        let (x, y) = (origin.0 + px, origin.1 + py);
        let holding: Vec<&MuhtarlikCode> = b.0.keys().filter(|c| b.contains(c, x, y) == Some(true)).collect();
        match b.muhtarlik_at(x, y) {
            Some(c) => prop_assert_eq!(holding.first(), Some(&c)),
            None => prop_assert!(holding.is_empty()),
        }
    }

    /// What the writer writes, the reader reads back as the same shapes, by the
    /// right-hand rule, without warnings; and every ring written follows the rule.
    #[test]
    fn written_boundaries_read_back_the_same_by_the_right_hand_rule(
        stars in prop::collection::vec(radii(), 1..8),
        origin in centre(),
    ) {
        use geo::orient::{Direction, Orient};
        let b = grid(&stars, origin);
        let text = b.to_geojson_string(|c| Some(format!("{c} Mahallesi")));
        let (back, warnings) = Boundaries::from_geojson_str(&text, |_| true).unwrap();
        prop_assert!(warnings.is_empty(), "{:?}", warnings);
        let oriented = Boundaries(
            b.0.iter()
                .map(|(c, s)| {
                    let geo::Geometry::Polygon(p) = &s.0 else { unreachable!() };
                    (c.clone(), Shape(geo::Geometry::Polygon(p.orient(Direction::Default))))
                })
                .collect(),
        );
        prop_assert_eq!(&back, &oriented);
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        for f in v["features"].as_array().unwrap() {
            prop_assert!(signed_area(&f["geometry"]["coordinates"][0]) > 0.0);
        }
    }

    /// A shape with a hole, wound either way, is written with its exterior
    /// counterclockwise and its hole clockwise.
    #[test]
    fn every_written_ring_follows_the_right_hand_rule(
        (cx, cy) in centre(),
        radii in radii(),
        (flip_exterior, flip_hole) in (any::<bool>(), any::<bool>()),
    ) {
        let mut ring = star(cx, cy, &radii);
        let mut hole: Vec<(f64, f64)> = ring.iter().map(|(x, y)| (cx + 0.3 * (x - cx), cy + 0.3 * (y - cy))).collect();
        if flip_exterior { ring.reverse(); }
        if !flip_hole { hole.reverse(); }
        let shape = Shape(geo::Geometry::MultiPolygon(geo::MultiPolygon::new(vec![polygon(ring, vec![hole])])));
        let json = serde_json::to_value(&shape).unwrap();
        let rings = &json["coordinates"][0];
        prop_assert!(signed_area(&rings[0]) > 0.0, "{}", json);
        prop_assert!(signed_area(&rings[1]) < 0.0, "{}", json);
    }

    /// Opening any ring of a valid file is reported at that feature's number and line.
    #[test]
    fn an_unclosed_ring_is_reported_at_its_feature(
        stars in prop::collection::vec(radii(), 1..8),
        origin in centre(),
        which in any::<prop::sample::Index>(),
    ) {
        let b = grid(&stars, origin);
        let text = b.to_geojson_string(|_| None);
        let k = which.index(stars.len());
        // Features are written one a line, after the collection's first line.
        let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
        let line = &mut lines[k + 1];
        let comma = line.ends_with(',');
        let mut f: serde_json::Value = serde_json::from_str(line.trim_end_matches(',')).unwrap();
        let ring = f["geometry"]["coordinates"][0].as_array_mut().unwrap();
        let last = ring.len() - 1;
        ring[last][0] = (ring[last][0].as_f64().unwrap() + 0.001).into();
        *line = f.to_string() + if comma { "," } else { "" };
        let broken = lines.join("\n");
        let e = Boundaries::from_geojson_str(&broken, |_| true).unwrap_err();
        let unclosed: Vec<(usize, usize)> = e
            .problems
            .iter()
            .filter(|p| matches!(p.kind, BoundaryProblemKind::UnclosedRing { .. }))
            .map(|p| (p.feature, p.line))
            .collect();
        prop_assert_eq!(unclosed, vec![(k + 1, k + 2)]);
    }
}

/// A feature line of random rings: often self-intersecting, unclosed, overlapping.
fn random_feature() -> impl Strategy<Value = String> {
    let position = (29.0f64..29.02, 41.0f64..41.02);
    let ring = (prop::collection::vec(position, 0..7), any::<bool>()).prop_map(|(pts, close)| {
        let mut ps: Vec<String> = pts.iter().map(|(x, y)| format!("[{x}, {y}]")).collect();
        if close && !ps.is_empty() {
            ps.push(ps[0].clone());
        }
        format!("[{}]", ps.join(", "))
    });
    let polygon = prop::collection::vec(ring, 1..3).prop_map(|rs| format!("[{}]", rs.join(", ")));
    (
        prop::collection::vec(polygon, 1..3),
        any::<bool>(),
        prop::sample::select(vec!["m0", "m1", "m2"]),
    )
        .prop_map(|(polys, multi, code)| {
            let geometry = if multi {
                format!(r#"{{"type": "MultiPolygon", "coordinates": [{}]}}"#, polys.join(", "))
            } else {
                format!(r#"{{"type": "Polygon", "coordinates": {}}}"#, polys[0])
            };
            format!(r#"{{"type": "Feature", "properties": {{"code": "{code}"}}, "geometry": {geometry}}}"#)
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Random rings never make the reader panic; what it accepts is written and read back
    /// as the same shapes, and every problem is at a feature of the file.
    #[test]
    fn random_rings_are_read_or_refused_never_a_panic(
        features in prop::collection::vec(random_feature(), 0..4),
    ) {
        let text = format!(
            "{{\"type\": \"FeatureCollection\", \"features\": [\n{}\n]}}",
            features.join(",\n")
        );
        match Boundaries::from_geojson_str(&text, |_| true) {
            Ok((b, _)) => {
                let (back, _) = Boundaries::from_geojson_str(&b.to_geojson_string(|_| None), |_| true).unwrap();
                prop_assert_eq!(back, b);
            }
            Err(e) => {
                for p in &e.problems {
                    prop_assert!((1..=features.len()).contains(&p.feature), "{}", p);
                    prop_assert_eq!(p.line, p.feature + 1);
                }
            }
        }
    }
}
