//! Boundaries as GeoJSON (RFC 7946): one FeatureCollection, each Feature a Polygon or
//! MultiPolygon whose property `code` is the muhtarlık's code; read and validated whole
//! ([`Boundaries::from_geojson_str`]), written back by the right-hand rule
//! ([`Boundaries::to_feature_collection`]).

use std::collections::BTreeMap;

use geo::{BooleanOps, BoundingRect, GeodesicArea, Intersects, Validation};
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::{Map, Value};

use super::problem::{BoundariesError, BoundaryProblem, BoundaryProblemKind, Fault, RingRef};
use super::{Boundaries, Shape};
use crate::ids::MuhtarlikCode;
use crate::org::line_of;

/// Two boundaries overlapping by more than this many square metres (geodesic) get a
/// warning; so do overlaps beyond [`OVERLAP_TOLERANCE_SHARE`] of the smaller boundary.
/// Less is taken for the slivers two hand-drawn neighbours leave along their shared line.
pub const OVERLAP_TOLERANCE_M2: f64 = 1_000.0;

/// Two boundaries overlapping by more than this share of the smaller one's area get a
/// warning, as do overlaps beyond [`OVERLAP_TOLERANCE_M2`].
pub const OVERLAP_TOLERANCE_SHARE: f64 = 0.01;

/// The top of the file: its type, and the features as raw text (for their lines).
#[derive(Deserialize)]
struct Top<'a> {
    #[serde(rename = "type", default)]
    kind: Option<Value>,
    #[serde(borrow, default)]
    features: Option<&'a RawValue>,
}

/// A feature being read.
struct Reading {
    line: usize,
    feature: usize,
    code: Option<String>,
    problems: Vec<BoundaryProblem>,
}

impl Reading {
    fn push(&mut self, kind: BoundaryProblemKind) {
        self.problems.push(BoundaryProblem {
            line: self.line,
            feature: self.feature,
            code: self.code.clone(),
            kind,
        });
    }

    fn errors(&self) -> bool {
        self.problems.iter().any(BoundaryProblem::is_error)
    }
}

fn file_problem(line: usize, kind: BoundaryProblemKind) -> BoundariesError {
    BoundariesError {
        problems: vec![BoundaryProblem {
            line,
            feature: 0,
            code: None,
            kind,
        }],
    }
}

/// serde_json's message without its ` at line L column C` (the line is given apart).
fn json_message(e: &serde_json::Error) -> String {
    let text = e.to_string();
    match text.rfind(" at line ") {
        Some(i) => text[..i].to_owned(),
        None => text,
    }
}

/// What a JSON value is, for messages: `an array`, `type "Feature"`.
fn what(v: &Value) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Bool(_) => "a boolean".into(),
        Value::Number(_) => "a number".into(),
        Value::String(s) => format!("the text {s:?}"),
        Value::Array(_) => "an array".into(),
        Value::Object(o) => match o.get("type") {
            Some(Value::String(t)) => format!("type {t:?}"),
            _ => "an object without a type".into(),
        },
    }
}

/// Byte offset of `inner` (a slice of `outer`) in `outer`.
fn offset_in(outer: &str, inner: &str) -> usize {
    (inner.as_ptr() as usize).saturating_sub(outer.as_ptr() as usize)
}

impl Boundaries {
    /// Reads and validates a boundaries file, reporting every problem with its line, its
    /// feature (from 1) and its code ([`BoundaryProblem`]). `known` says whether the
    /// organisation has a muhtarlık with a code.
    ///
    /// - Errors: not JSON (the JSON reader's line), not a FeatureCollection, a member that
    ///   is not a Feature, a feature without `code`, a code the organisation does not know
    ///   or given twice, a geometry that is not a Polygon or MultiPolygon, malformed
    ///   coordinates, a ring not closed (its last position must repeat its first) or with
    ///   fewer than 4 positions, an invalid polygon (`geo`'s validation: self-intersection,
    ///   holes outside the exterior, crossing rings, overlapping parts), a position outside
    ///   Turkey ([`crate::request::TURKEY_BOUNDS`]).
    /// - Warnings: rings wound against the right-hand rule (turned round on reading), and
    ///   neighbours overlapping by more than [`OVERLAP_TOLERANCE_M2`] or
    ///   [`OVERLAP_TOLERANCE_SHARE`] of the smaller one, whichever is less (areas are
    ///   geodesic, on the WGS 84 ellipsoid).
    ///
    /// `Ok` holds the boundaries (rings turned to the right-hand rule) and the warnings;
    /// `Err` every problem found, warnings included, in the order of the file.
    ///
    /// ```
    /// use muhtar_core::map::Boundaries;
    /// let text = r#"{"type": "FeatureCollection", "features": [
    /// {"type": "Feature", "properties": {"code": "kuzguncuk"},
    ///  "geometry": {"type": "Polygon", "coordinates":
    ///    [[[29.02, 41.03], [29.04, 41.03], [29.04, 41.04], [29.02, 41.04], [29.02, 41.03]]]}}
    /// ]}"#;
    /// let (b, warnings) = Boundaries::from_geojson_str(text, |c| c.as_str() == "kuzguncuk").unwrap();
    /// assert!(warnings.is_empty());
    /// assert_eq!(b.muhtarlik_at(29.03, 41.035).map(|c| c.as_str()), Some("kuzguncuk"));
    ///
    /// let unclosed = text.replace("[29.02, 41.03]]]", "[29.02, 41.035]]]");
    /// let e = Boundaries::from_geojson_str(&unclosed, |_| true).unwrap_err();
    /// assert_eq!((e.problems[0].line, e.problems[0].feature), (2, 1));
    /// ```
    pub fn from_geojson_str(
        text: &str,
        known: impl Fn(&MuhtarlikCode) -> bool,
    ) -> Result<(Boundaries, Vec<BoundaryProblem>), BoundariesError> {
        if !text.trim_start().starts_with('{') {
            // Not an object (serde would read an array as a struct's fields).
            return Err(match serde_json::from_str::<Value>(text) {
                Ok(v) => file_problem(
                    1,
                    BoundaryProblemKind::NotFeatureCollection { found: what(&v) },
                ),
                Err(e) => file_problem(
                    e.line(),
                    BoundaryProblemKind::NotJson {
                        message: json_message(&e),
                    },
                ),
            });
        }
        let top: Top = serde_json::from_str(text).map_err(|e| {
            let kind = match e.classify() {
                serde_json::error::Category::Data => BoundaryProblemKind::NotFeatureCollection {
                    found: serde_json::from_str::<Value>(text)
                        .map(|v| what(&v))
                        .unwrap_or_else(|_| json_message(&e)),
                },
                _ => BoundaryProblemKind::NotJson {
                    message: json_message(&e),
                },
            };
            file_problem(e.line(), kind)
        })?;
        match &top.kind {
            Some(Value::String(t)) if t == "FeatureCollection" => {}
            Some(v) => {
                return Err(file_problem(
                    1,
                    BoundaryProblemKind::NotFeatureCollection {
                        found: format!("its type is {}", what(v)),
                    },
                ))
            }
            None => {
                return Err(file_problem(
                    1,
                    BoundaryProblemKind::NotFeatureCollection {
                        found: "no \"type\": \"FeatureCollection\"".into(),
                    },
                ))
            }
        }
        let features: Vec<&RawValue> = match top.features {
            None => {
                return Err(file_problem(
                    1,
                    BoundaryProblemKind::NotFeatureCollection {
                        found: "no \"features\" array".into(),
                    },
                ))
            }
            Some(raw) => serde_json::from_str(raw.get()).map_err(|_| {
                file_problem(
                    line_of(text, offset_in(text, raw.get())),
                    BoundaryProblemKind::NotFeatureCollection {
                        found: "\"features\" is not an array".into(),
                    },
                )
            })?,
        };
        let mut problems = Vec::new();
        let mut shapes: BTreeMap<MuhtarlikCode, (usize, Shape)> = BTreeMap::new();
        let mut first: BTreeMap<String, usize> = BTreeMap::new();
        for (i, raw) in features.iter().enumerate() {
            let mut r = Reading {
                line: line_of(text, offset_in(text, raw.get())),
                feature: i + 1,
                code: None,
                problems: Vec::new(),
            };
            let shape = read_feature(raw.get(), &mut r, &known, &mut first);
            if let (Some(shape), Some(code), false) = (shape, &r.code, r.errors()) {
                if let Ok(code) = MuhtarlikCode::new(code.as_str()) {
                    shapes.insert(code, (i + 1, shape));
                }
            }
            problems.extend(r.problems);
        }
        overlaps(&shapes, &mut problems, &features, text);
        problems.sort_by_key(|p| (p.feature, p.line));
        if problems.iter().any(BoundaryProblem::is_error) {
            return Err(BoundariesError { problems });
        }
        let boundaries = Boundaries(shapes.into_iter().map(|(c, (_, s))| (c, s)).collect());
        Ok((boundaries, problems))
    }

    /// The boundaries as a GeoJSON FeatureCollection: one Feature per muhtarlık, in code
    /// order, its properties `code` and those `properties` gives; rings by the right-hand
    /// rule (exterior counterclockwise, holes clockwise).
    pub fn to_feature_collection(
        &self,
        properties: impl Fn(&MuhtarlikCode) -> Map<String, Value>,
    ) -> geojson::FeatureCollection {
        self.0
            .iter()
            .map(|(code, shape)| {
                let mut props = Map::new();
                props.insert("code".into(), Value::String(code.to_string()));
                props.extend(properties(code));
                geojson::Feature {
                    bbox: None,
                    geometry: Some(shape.to_geojson()),
                    id: None,
                    properties: Some(props),
                    foreign_members: None,
                }
            })
            .collect()
    }

    /// The boundaries as GeoJSON text, one feature a line (so a reader's line numbers
    /// point at a feature), with the properties `code` and `name` (the muhtarlık's name
    /// from `name`, when it gives one); what [`Self::from_geojson_str`] reads back.
    pub fn to_geojson_string(&self, name: impl Fn(&MuhtarlikCode) -> Option<String>) -> String {
        let fc = self.to_feature_collection(|code| {
            let mut m = Map::new();
            if let Some(n) = name(code) {
                m.insert("name".into(), Value::String(n));
            }
            m
        });
        let mut out = String::from("{\"type\": \"FeatureCollection\", \"features\": [\n");
        let n = fc.features.len();
        for (i, f) in fc.features.iter().enumerate() {
            out.push_str(&serde_json::to_string(f).unwrap_or_default());
            out.push_str(if i + 1 < n { ",\n" } else { "\n" });
        }
        out.push_str("]}\n");
        out
    }
}

/// Reads one feature: its code (noted in `r`) and its shape, or the problems.
fn read_feature(
    raw: &str,
    r: &mut Reading,
    known: &impl Fn(&MuhtarlikCode) -> bool,
    first: &mut BTreeMap<String, usize>,
) -> Option<Shape> {
    let v: Value = serde_json::from_str(raw).ok()?;
    let Some(obj) = v
        .as_object()
        .filter(|o| o.get("type") == Some(&"Feature".into()))
    else {
        r.push(BoundaryProblemKind::NotFeature { found: what(&v) });
        return None;
    };
    match obj
        .get("properties")
        .and_then(|p| p.get("code"))
        .and_then(Value::as_str)
    {
        None => r.push(BoundaryProblemKind::NoCode),
        Some(code) => {
            r.code = Some(code.to_owned());
            if !MuhtarlikCode::new(code).is_ok_and(|c| known(&c)) {
                r.push(BoundaryProblemKind::UnknownMuhtarlik { code: code.into() });
            } else if let Some(&first_feature) = first.get(code) {
                r.push(BoundaryProblemKind::DuplicateCode {
                    code: code.into(),
                    first_feature,
                });
            } else {
                first.insert(code.to_owned(), r.feature);
            }
        }
    }
    let geometry = obj.get("geometry").unwrap_or(&Value::Null);
    let (kind, coordinates) = match (
        geometry.get("type").and_then(Value::as_str),
        geometry.get("coordinates"),
    ) {
        (Some(k @ ("Polygon" | "MultiPolygon")), Some(c)) => (k, c),
        (Some("Polygon" | "MultiPolygon"), None) => {
            r.push(BoundaryProblemKind::BadCoordinates {
                reason: "the geometry has no \"coordinates\"".into(),
            });
            return None;
        }
        (Some(other), _) => {
            r.push(BoundaryProblemKind::NotPolygon {
                found: other.to_owned(),
            });
            return None;
        }
        (None, _) => {
            r.push(BoundaryProblemKind::NotPolygon {
                found: match geometry {
                    Value::Null => "null".into(),
                    other => what(other),
                },
            });
            return None;
        }
    };
    let polygons: Vec<&Value> = if kind == "Polygon" {
        vec![coordinates]
    } else {
        match coordinates.as_array() {
            Some(ps) if !ps.is_empty() => ps.iter().collect(),
            _ => {
                r.push(BoundaryProblemKind::BadCoordinates {
                    reason: "a MultiPolygon needs an array of polygons".into(),
                });
                return None;
            }
        }
    };
    let multi = kind == "MultiPolygon";
    let mut outside_reported = false;
    let mut built = Vec::with_capacity(polygons.len());
    for (pi, p) in polygons.iter().enumerate() {
        let polygon = multi.then_some(pi + 1);
        let Some(rings) = p.as_array().filter(|rs| !rs.is_empty()) else {
            r.push(BoundaryProblemKind::BadCoordinates {
                reason: match polygon {
                    Some(n) => format!("polygon {n} needs an array of rings"),
                    None => "a Polygon needs an array of rings".into(),
                },
            });
            continue;
        };
        let mut lines = Vec::with_capacity(rings.len());
        for (ri, ring) in rings.iter().enumerate() {
            let at = RingRef {
                polygon,
                hole: (ri > 0).then_some(ri),
            };
            let Some(positions) = read_ring(ring, at, r) else {
                continue;
            };
            if positions.len() < 4 {
                r.push(BoundaryProblemKind::TooFewPositions {
                    ring: at,
                    count: positions.len(),
                });
            }
            if positions.first() != positions.last() {
                r.push(BoundaryProblemKind::UnclosedRing { ring: at });
            }
            if !outside_reported {
                let (lat_min, lat_max, lon_min, lon_max) = crate::request::TURKEY_BOUNDS;
                if let Some(&(lon, lat)) = positions.iter().find(|(lon, lat)| {
                    !((lat_min..=lat_max).contains(lat) && (lon_min..=lon_max).contains(lon))
                }) {
                    outside_reported = true;
                    r.push(BoundaryProblemKind::OutsideTurkey { lon, lat });
                }
            }
            lines.push((at, geo::LineString::from(positions)));
        }
        if lines.len() == rings.len() {
            built.push(lines);
        }
    }
    if r.errors() {
        return None;
    }
    // The rings are well-formed: build, turn to the right-hand rule, validate.
    let mut out = Vec::with_capacity(built.len());
    for lines in built {
        let mut rings = lines.into_iter().map(|(at, mut ls)| {
            use geo::winding_order::{Winding, WindingOrder};
            let want = if at.hole.is_none() {
                WindingOrder::CounterClockwise
            } else {
                WindingOrder::Clockwise
            };
            if let Some(found) = ls.winding_order().filter(|w| *w != want) {
                r.push(BoundaryProblemKind::Winding {
                    ring: at,
                    found: match found {
                        WindingOrder::Clockwise => "clockwise",
                        WindingOrder::CounterClockwise => "counterclockwise",
                    },
                });
                ls.0.reverse();
            }
            ls
        });
        let exterior = rings
            .next()
            .unwrap_or_else(|| geo::LineString::new(Vec::new()));
        out.push(geo::Polygon::new(exterior, rings.collect()));
    }
    let geometry = if multi {
        let mp = geo::MultiPolygon::new(out);
        for e in mp.validation_errors() {
            r.push(BoundaryProblemKind::InvalidPolygon {
                fault: multi_fault(e),
            });
        }
        geo::Geometry::MultiPolygon(mp)
    } else {
        let p = out.pop()?;
        for e in p.validation_errors() {
            r.push(BoundaryProblemKind::InvalidPolygon {
                fault: polygon_fault(e, None),
            });
        }
        geo::Geometry::Polygon(p)
    };
    (!r.errors()).then_some(Shape(geometry))
}

/// A ring's positions as (lon, lat), or `None` after reporting what is malformed.
fn read_ring(ring: &Value, at: RingRef, r: &mut Reading) -> Option<Vec<(f64, f64)>> {
    let Some(items) = ring.as_array() else {
        r.push(BoundaryProblemKind::BadCoordinates {
            reason: format!("{at} is not an array of positions"),
        });
        return None;
    };
    let mut out = Vec::with_capacity(items.len());
    for (k, p) in items.iter().enumerate() {
        let nums = p
            .as_array()
            .map(|a| a.iter().map(Value::as_f64).collect::<Vec<_>>());
        match nums.as_deref() {
            Some([Some(lon), Some(lat), rest @ ..]) if rest.iter().all(Option::is_some) => {
                out.push((*lon, *lat));
            }
            _ => {
                r.push(BoundaryProblemKind::BadCoordinates {
                    reason: format!("{at}, position {}: expected [longitude, latitude]", k + 1),
                });
                return None;
            }
        }
    }
    Some(out)
}

fn ring_of(role: &geo::algorithm::validation::RingRole, polygon: Option<usize>) -> RingRef {
    use geo::algorithm::validation::RingRole;
    RingRef {
        polygon,
        hole: match role {
            RingRole::Exterior => None,
            RingRole::Interior(i) => Some(i + 1),
        },
    }
}

fn polygon_fault(e: geo::algorithm::validation::InvalidPolygon, polygon: Option<usize>) -> Fault {
    use geo::algorithm::validation::InvalidPolygon as P;
    match e {
        P::TooFewPointsInRing(r) => Fault::TooFewDistinctPositions(ring_of(&r, polygon)),
        P::SelfIntersection(r) | P::NonFiniteCoord(r, _) => {
            Fault::SelfIntersection(ring_of(&r, polygon))
        }
        P::InteriorRingNotContainedInExteriorRing(r) => Fault::HoleOutside(ring_of(&r, polygon)),
        P::IntersectingRingsOnALine(a, b) | P::IntersectingRingsOnAnArea(a, b) => {
            Fault::RingsIntersect(ring_of(&a, polygon), ring_of(&b, polygon))
        }
    }
}

fn multi_fault(e: geo::algorithm::validation::InvalidMultiPolygon) -> Fault {
    use geo::algorithm::validation::InvalidMultiPolygon as M;
    match e {
        M::InvalidPolygon(i, p) => polygon_fault(p, Some(i.0 + 1)),
        M::ElementsOverlaps(a, b) | M::ElementsTouchOnALine(a, b) => {
            Fault::PolygonsIntersect(a.0 + 1, b.0 + 1)
        }
    }
}

/// A shape's polygons, for areas and intersections.
pub(crate) fn polygons(shape: &Shape) -> geo::MultiPolygon<f64> {
    match &shape.0 {
        geo::Geometry::Polygon(p) => geo::MultiPolygon::new(vec![p.clone()]),
        geo::Geometry::MultiPolygon(m) => m.clone(),
        geo::Geometry::Rect(r) => geo::MultiPolygon::new(vec![r.to_polygon()]),
        geo::Geometry::Triangle(t) => geo::MultiPolygon::new(vec![t.to_polygon()]),
        _ => geo::MultiPolygon::new(Vec::new()),
    }
}

/// The overlap of two boundaries, if it is beyond the tolerance: (area in m², share of the
/// smaller).
pub(crate) fn overlap(
    a: &geo::MultiPolygon<f64>,
    b: &geo::MultiPolygon<f64>,
) -> Option<(f64, f64)> {
    let (ra, rb) = (a.bounding_rect()?, b.bounding_rect()?);
    if !ra.intersects(&rb) {
        return None;
    }
    let area = a.intersection(b).geodesic_area_unsigned();
    let smaller = a.geodesic_area_unsigned().min(b.geodesic_area_unsigned());
    let share = if smaller > 0.0 { area / smaller } else { 0.0 };
    (area > OVERLAP_TOLERANCE_M2 || share > OVERLAP_TOLERANCE_SHARE).then_some((area, share))
}

/// Warns of every pair of boundaries overlapping beyond the tolerance, at the later one.
fn overlaps(
    shapes: &BTreeMap<MuhtarlikCode, (usize, Shape)>,
    problems: &mut Vec<BoundaryProblem>,
    features: &[&RawValue],
    text: &str,
) {
    let polys: Vec<(&MuhtarlikCode, usize, geo::MultiPolygon<f64>)> = shapes
        .iter()
        .map(|(c, (n, s))| (c, *n, polygons(s)))
        .collect();
    for (i, (ca, na, pa)) in polys.iter().enumerate() {
        for (cb, nb, pb) in &polys[i + 1..] {
            let Some((area, share)) = overlap(pa, pb) else {
                continue;
            };
            let (later, later_code, earlier, earlier_code) = if na < nb {
                (*nb, cb, *na, ca)
            } else {
                (*na, ca, *nb, cb)
            };
            let line = features
                .get(later - 1)
                .map(|raw| line_of(text, offset_in(text, raw.get())))
                .unwrap_or(0);
            problems.push(BoundaryProblem {
                line,
                feature: later,
                code: Some(later_code.to_string()),
                kind: BoundaryProblemKind::Overlap {
                    other: earlier_code.to_string(),
                    other_feature: earlier,
                    area_m2: area.round() as u64,
                    share_permille: (share * 1000.0).round().min(u32::MAX as f64) as u32,
                },
            });
        }
    }
}
