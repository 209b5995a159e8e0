//! A checker of GeoJSON documents against RFC 7946, strict where the RFC leaves room: what
//! every map endpoint's output must pass (the HTTP tests run each through it).
//!
//! [`check`] reports every problem with its JSON path (`features[3].geometry.coordinates[0]`):
//!
//! - structure: a FeatureCollection has a `features` array of Features; a Feature has a
//!   `geometry` (a geometry object or null) and a `properties` member (an object or null);
//!   an `id` is a string or a number; geometry objects have the coordinates their type
//!   needs (a GeometryCollection its `geometries`);
//! - positions: two or three finite numbers, **longitude first** (−180 to 180), then
//!   latitude (−90 to 90) (§3.1.1);
//! - line strings: two positions or more; linear rings: four or more, the last equal to
//!   the first (§3.1.6);
//! - the right-hand rule (§3.1.6): a polygon's exterior ring counterclockwise, its holes
//!   clockwise (by the sign of the ring's area in the lon/lat plane; a ring of no area is a
//!   problem too);
//! - no `crs` member anywhere (§4: removed; coordinates are WGS 84);
//! - a `bbox` member: 2 × 2 or 2 × 3 numbers, south not north of north (§5).

use serde_json::Value;

/// Checks `doc` (a FeatureCollection, a Feature or a geometry object); every problem
/// found, each with its path.
pub fn check(doc: &Value) -> Result<(), Vec<String>> {
    let mut c = Checker::default();
    c.object(doc, "$");
    if c.problems.is_empty() {
        Ok(())
    } else {
        Err(c.problems)
    }
}

const GEOMETRIES: [&str; 7] = [
    "Point",
    "MultiPoint",
    "LineString",
    "MultiLineString",
    "Polygon",
    "MultiPolygon",
    "GeometryCollection",
];

#[derive(Default)]
struct Checker {
    problems: Vec<String>,
}

impl Checker {
    fn problem(&mut self, path: &str, what: impl std::fmt::Display) {
        self.problems.push(format!("{path}: {what}"));
    }

    /// The members every GeoJSON object may have: `type` (returned), `crs` (refused),
    /// `bbox`.
    fn common<'v>(&mut self, v: &'v Value, path: &str) -> Option<&'v str> {
        let Some(o) = v.as_object() else {
            self.problem(path, "not a JSON object");
            return None;
        };
        if o.contains_key("crs") {
            self.problem(
                path,
                "has a crs member (RFC 7946 §4 removed it: coordinates are WGS 84)",
            );
        }
        if let Some(b) = o.get("bbox") {
            self.bbox(b, &format!("{path}.bbox"));
        }
        match o.get("type").and_then(Value::as_str) {
            Some(t) => Some(t),
            None => {
                self.problem(path, "has no type string");
                None
            }
        }
    }

    fn object(&mut self, v: &Value, path: &str) {
        match self.common(v, path) {
            Some("FeatureCollection") => self.collection(v, path),
            Some("Feature") => self.feature(v, path),
            Some(t) if GEOMETRIES.contains(&t) => self.geometry(v, path),
            Some(t) => self.problem(path, format!("unknown type {t:?}")),
            None => {}
        }
    }

    fn collection(&mut self, v: &Value, path: &str) {
        match v.get("features").and_then(Value::as_array) {
            Some(fs) => {
                for (i, f) in fs.iter().enumerate() {
                    let p = format!("{path}.features[{i}]");
                    match self.common(f, &p) {
                        Some("Feature") => self.feature(f, &p),
                        Some(t) => self.problem(&p, format!("type {t:?} where a Feature must be")),
                        None => {}
                    }
                }
            }
            None => self.problem(path, "a FeatureCollection needs a features array"),
        }
    }

    fn feature(&mut self, v: &Value, path: &str) {
        match v.get("geometry") {
            None => self.problem(path, "a Feature needs a geometry member (or null)"),
            Some(Value::Null) => {}
            Some(g) => {
                let p = format!("{path}.geometry");
                match self.common(g, &p) {
                    Some(t) if GEOMETRIES.contains(&t) => self.geometry(g, &p),
                    Some(t) => self.problem(&p, format!("type {t:?} is not a geometry")),
                    None => {}
                }
            }
        }
        match v.get("properties") {
            None => self.problem(path, "a Feature needs a properties member (or null)"),
            Some(Value::Null | Value::Object(_)) => {}
            Some(_) => self.problem(path, "properties must be an object or null"),
        }
        if let Some(id) = v.get("id") {
            if !(id.is_string() || id.is_number()) {
                self.problem(path, "id must be a string or a number");
            }
        }
    }

    fn geometry(&mut self, g: &Value, path: &str) {
        let t = g.get("type").and_then(Value::as_str).unwrap_or_default();
        if t == "GeometryCollection" {
            match g.get("geometries").and_then(Value::as_array) {
                Some(gs) => {
                    for (i, x) in gs.iter().enumerate() {
                        let p = format!("{path}.geometries[{i}]");
                        match self.common(x, &p) {
                            Some(t) if GEOMETRIES.contains(&t) => self.geometry(x, &p),
                            Some(t) => self.problem(&p, format!("type {t:?} is not a geometry")),
                            None => {}
                        }
                    }
                }
                None => self.problem(path, "a GeometryCollection needs a geometries array"),
            }
            return;
        }
        let path = format!("{path}.coordinates");
        let Some(c) = g.get("coordinates") else {
            self.problem(&path, format!("a {t} needs coordinates"));
            return;
        };
        match t {
            "Point" => {
                self.position(c, &path);
            }
            "MultiPoint" => self.each(c, &path, |s, x, p| {
                s.position(x, p);
            }),
            "LineString" => self.line(c, &path),
            "MultiLineString" => self.each(c, &path, |s, x, p| s.line(x, p)),
            "Polygon" => self.polygon(c, &path),
            "MultiPolygon" => self.each(c, &path, |s, x, p| s.polygon(x, p)),
            _ => {}
        }
    }

    /// Runs `f` on each element of the array `v`.
    fn each(&mut self, v: &Value, path: &str, mut f: impl FnMut(&mut Self, &Value, &str)) {
        match v.as_array() {
            Some(xs) => {
                for (i, x) in xs.iter().enumerate() {
                    f(self, x, &format!("{path}[{i}]"));
                }
            }
            None => self.problem(path, "not an array"),
        }
    }

    /// A position; its `[lon, lat]` when it is one.
    fn position(&mut self, v: &Value, path: &str) -> Option<[f64; 2]> {
        let Some(xs) = v.as_array() else {
            self.problem(path, "a position must be an array [lon, lat]");
            return None;
        };
        if !(2..=3).contains(&xs.len()) {
            self.problem(
                path,
                format!("a position has 2 or 3 numbers, not {}", xs.len()),
            );
            return None;
        }
        let nums: Option<Vec<f64>> = xs.iter().map(Value::as_f64).collect();
        let Some(nums) = nums.filter(|n| n.iter().all(|x| x.is_finite())) else {
            self.problem(path, "a position holds numbers only");
            return None;
        };
        let (lon, lat) = (nums[0], nums[1]);
        let mut ok = true;
        if !(-180.0..=180.0).contains(&lon) {
            self.problem(
                path,
                format!("longitude {lon} is out of range (−180 to 180; longitude comes first)"),
            );
            ok = false;
        }
        if !(-90.0..=90.0).contains(&lat) {
            self.problem(
                path,
                format!("latitude {lat} is out of range (−90 to 90; latitude comes second)"),
            );
            ok = false;
        }
        ok.then_some([lon, lat])
    }

    /// The positions of an array of positions (`None` if any is not one).
    fn positions(&mut self, v: &Value, path: &str) -> Option<Vec<[f64; 2]>> {
        let Some(xs) = v.as_array() else {
            self.problem(path, "not an array of positions");
            return None;
        };
        let mut out = Vec::with_capacity(xs.len());
        let mut ok = true;
        for (i, x) in xs.iter().enumerate() {
            match self.position(x, &format!("{path}[{i}]")) {
                Some(p) => out.push(p),
                None => ok = false,
            }
        }
        ok.then_some(out)
    }

    fn line(&mut self, v: &Value, path: &str) {
        if let Some(ps) = self.positions(v, path) {
            if ps.len() < 2 {
                self.problem(path, "a LineString needs two positions or more");
            }
        }
    }

    fn polygon(&mut self, v: &Value, path: &str) {
        let Some(rings) = v.as_array() else {
            self.problem(path, "a Polygon's coordinates are an array of linear rings");
            return;
        };
        for (i, r) in rings.iter().enumerate() {
            let p = format!("{path}[{i}]");
            let Some(ps) = self.positions(r, &p) else {
                continue;
            };
            if ps.len() < 4 {
                self.problem(
                    &p,
                    format!("a linear ring needs 4 positions or more, has {}", ps.len()),
                );
                continue;
            }
            if ps.first() != ps.last() {
                self.problem(&p, "a linear ring must end where it starts (closed)");
                continue;
            }
            let area = signed_area(&ps);
            let (exterior, want) = (i == 0, if i == 0 { 1.0 } else { -1.0 });
            if area == 0.0 {
                self.problem(&p, "the ring encloses no area");
            } else if area * want < 0.0 {
                self.problem(
                    &p,
                    if exterior {
                        "the exterior ring runs clockwise (RFC 7946 §3.1.6: counterclockwise)"
                    } else {
                        "a hole runs counterclockwise (RFC 7946 §3.1.6: clockwise)"
                    },
                );
            }
        }
    }

    fn bbox(&mut self, v: &Value, path: &str) {
        let nums: Option<Vec<f64>> = v
            .as_array()
            .and_then(|xs| xs.iter().map(Value::as_f64).collect());
        match nums {
            Some(n) if n.len() == 4 || n.len() == 6 => {
                let d = n.len() / 2;
                if n[1] > n[1 + d] {
                    self.problem(path, "the southern edge is north of the northern one");
                }
            }
            _ => self.problem(path, "a bbox is 4 (or 6) numbers"),
        }
    }
}

/// Twice the signed area of a closed ring in the lon/lat plane (shoelace): positive when
/// it runs counterclockwise.
pub fn signed_area(ring: &[[f64; 2]]) -> f64 {
    ring.windows(2)
        .map(|w| w[0][0] * w[1][1] - w[1][0] * w[0][1])
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    /// A regular polygon's ring around (lon, lat), counterclockwise, closed.
    fn ring(lon: f64, lat: f64, r: f64, n: usize) -> Vec<[f64; 2]> {
        let mut v: Vec<[f64; 2]> = (0..n)
            .map(|i| {
                let a = std::f64::consts::TAU * i as f64 / n as f64;
                [lon + r * a.cos(), lat + r * a.sin()]
            })
            .collect();
        v.push(v[0]);
        v
    }

    fn fc(geometry: Value) -> Value {
        json!({"type": "FeatureCollection", "features": [
            {"type": "Feature", "id": "a", "geometry": geometry, "properties": {}}
        ]})
    }

    fn polygon(rings: &[Vec<[f64; 2]>]) -> Value {
        json!({"type": "Polygon", "coordinates": rings})
    }

    fn problems(v: &Value) -> Vec<String> {
        check(v).err().unwrap_or_default()
    }

    prop_compose! {
        /// A polygon's centre, radius and number of corners.
        fn a_shape()(lon in 25.5f64..45.0, lat in 35.7f64..42.2, r in 0.0005f64..0.2,
                     n in 3usize..24) -> (f64, f64, f64, usize) {
            (lon, lat, r, n)
        }
    }

    prop_compose! {
        fn a_ring()((lon, lat, r, n) in a_shape()) -> Vec<[f64; 2]> {
            ring(lon, lat, r, n)
        }
    }

    proptest! {
        /// Points anywhere on the globe, in [lon, lat] order, pass.
        #[test]
        fn points_in_range_pass(ps in prop::collection::vec((-180f64..=180.0, -90f64..=90.0), 0..20)) {
            let features: Vec<Value> = ps.iter().enumerate().map(|(i, (lon, lat))| json!({
                "type": "Feature", "id": i, "properties": null,
                "geometry": {"type": "Point", "coordinates": [lon, lat]}
            })).collect();
            let doc = json!({"type": "FeatureCollection", "features": features});
            prop_assert_eq!(check(&doc), Ok(()));
        }

        /// [lat, lon] is caught whenever the longitude is no latitude.
        #[test]
        fn swapped_positions_are_caught(lon in 90.0001f64..=180.0, lat in -90f64..=90.0) {
            let doc = fc(json!({"type": "Point", "coordinates": [lat, lon]}));
            let p = problems(&doc);
            prop_assert!(p.iter().any(|x| x.contains("latitude") && x.contains("out of range")), "{:?}", p);
        }

        /// A counterclockwise exterior passes, with a clockwise hole inside it too; either
        /// ring turned the other way is reported, and only that one.
        #[test]
        fn winding_follows_the_right_hand_rule((lon, lat, r, n) in a_shape(), k in 3usize..12) {
            let outer = ring(lon, lat, r, n);
            let mut hole = ring(lon, lat, r / 8.0, k);
            hole.reverse();
            prop_assert_eq!(check(&fc(polygon(std::slice::from_ref(&outer)))), Ok(()));
            prop_assert_eq!(check(&fc(polygon(&[outer.clone(), hole.clone()]))), Ok(()));
            let mut cw = outer.clone();
            cw.reverse();
            let p = problems(&fc(polygon(&[cw, hole.clone()])));
            prop_assert_eq!(p.len(), 1);
            prop_assert!(p[0].contains("coordinates[0]") && p[0].contains("clockwise"), "{:?}", p);
            let mut ccw_hole = hole;
            ccw_hole.reverse();
            let p = problems(&fc(polygon(&[outer, ccw_hole])));
            prop_assert_eq!(p.len(), 1);
            prop_assert!(p[0].contains("coordinates[1]") && p[0].contains("counterclockwise"), "{:?}", p);
        }

        /// A ring that does not end where it starts, or has fewer than four positions,
        /// is reported.
        #[test]
        fn rings_are_closed_with_four_positions(outer in a_ring()) {
            let mut open = outer.clone();
            open.pop();
            if open.len() >= 4 {
                let p = problems(&fc(polygon(&[open.clone()])));
                prop_assert!(p.iter().any(|x| x.contains("closed")), "{:?}", p);
            }
            let short = vec![open[0], open[1], open[0]];
            let p = problems(&fc(polygon(&[short])));
            prop_assert!(p.iter().any(|x| x.contains("4 positions")), "{:?}", p);
        }

        /// A multipolygon of valid polygons passes; a crs member anywhere does not.
        #[test]
        fn crs_is_refused_anywhere(a in a_ring(), b in a_ring(), at in 0usize..3) {
            let mp = json!({"type": "MultiPolygon", "coordinates": [[a], [b]]});
            let mut doc = fc(mp);
            prop_assert_eq!(check(&doc), Ok(()));
            let crs = json!({"type": "name", "properties": {"name": "EPSG:4326"}});
            match at {
                0 => doc["crs"] = crs,
                1 => doc["features"][0]["crs"] = crs,
                _ => doc["features"][0]["geometry"]["crs"] = crs,
            }
            let p = problems(&doc);
            prop_assert_eq!(p.len(), 1);
            prop_assert!(p[0].contains("crs"));
        }
    }

    #[test]
    fn structure_is_checked() {
        let ok = fc(json!({"type": "Point", "coordinates": [29.05, 41.02]}));
        assert_eq!(check(&ok), Ok(()));
        let mut no_props = ok.clone();
        no_props["features"][0]
            .as_object_mut()
            .unwrap()
            .remove("properties");
        assert!(problems(&no_props)[0].contains("properties member"));
        let mut bad_id = ok.clone();
        bad_id["features"][0]["id"] = json!([1]);
        assert!(problems(&bad_id)[0].contains("id must be"));
        assert!(problems(&json!({"type": "FeatureCollection"}))[0].contains("features array"));
        assert!(problems(&json!([1, 2]))[0].contains("not a JSON object"));
        assert!(
            problems(&fc(json!({"type": "Circle", "coordinates": [1, 2]})))[0]
                .contains("not a geometry")
        );
        assert!(problems(&fc(
            json!({"type": "LineString", "coordinates": [[29, 41]]})
        ))[0]
            .contains("two positions"));
        assert!(
            problems(&fc(json!({"type": "Point", "coordinates": [29, 41, 0, 0]})))[0]
                .contains("2 or 3")
        );
        assert!(
            problems(&fc(json!({"type": "Point", "coordinates": ["29", 41]})))[0]
                .contains("numbers only")
        );
        let mut bbox = ok.clone();
        bbox["bbox"] = json!([29, 42, 30, 41]);
        assert!(problems(&bbox)[0].contains("southern edge"));
        bbox["bbox"] = json!([29, 41, 30]);
        assert!(problems(&bbox)[0].contains("4 (or 6)"));
        // A degenerate ring (all on a line) encloses nothing.
        let flat = vec![[29.0, 41.0], [29.1, 41.0], [29.2, 41.0], [29.0, 41.0]];
        assert!(problems(&fc(polygon(&[flat])))[0].contains("no area"));
        // Paths name the place.
        let bad = json!({"type": "FeatureCollection", "features": [
            ok["features"][0].clone(),
            {"type": "Feature", "properties": {}, "geometry": {"type": "Point", "coordinates": [41.02, 129.05]}}
        ]});
        assert_eq!(
            problems(&bad),
            vec![
                "$.features[1].geometry.coordinates: latitude 129.05 is out of range (−90 to 90; latitude comes second)"
            ]
        );
    }
}
