//! The GeoJSON (RFC 7946) documents of the map endpoints, built from what the stores give
//! and the organisation's names: requests as points ([`requests_feature_collection`]) and
//! the muhtarlıklar's boundaries with their counts ([`muhtarliklar_feature_collection`]).
//! Typed, so that a city's 100,000 points are written straight to JSON.
//!
//! **No personal data**: a request's feature carries its tracking number, category,
//! status, unit, muhtarlık, deadline, İVEDİ and whether it is overdue, nothing else (no
//! subject, description, answer, contact, or anyone's name). For the public
//! ([`Audience::Public`]) only what [`crate::public::PublicView`] publishes: not İVEDİ.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, SecondsFormat, Utc};
use geo::orient::{Direction, Orient};
use serde::Serialize;

use super::{MapPoint, MuhtarlikCounts};
use crate::calendar::{local_time_of, to_istanbul};
use crate::ids::MuhtarlikCode;
use crate::org::Organisation;

/// Who a document is for: what its features may say.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Audience {
    /// No credentials: what [`crate::public::PublicView`] publishes.
    Public,
    /// Someone signed in, within their role's scope: also İVEDİ.
    Staff,
}

/// A GeoJSON FeatureCollection (RFC 7946 §3.3). `truncated` is a foreign member (§6.1):
/// whether features were left out at the limit.
#[derive(Debug, Clone, Serialize)]
pub struct FeatureCollection<G, P> {
    /// Always `FeatureCollection`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// The features.
    pub features: Vec<Feature<G, P>>,
    /// Whether more features matched than were given.
    pub truncated: bool,
}

/// A GeoJSON Feature (RFC 7946 §3.2).
#[derive(Debug, Clone, Serialize)]
pub struct Feature<G, P> {
    /// Always `Feature`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// The tracking number or muhtarlık code.
    pub id: String,
    /// The geometry.
    pub geometry: G,
    /// The properties.
    pub properties: P,
}

/// A GeoJSON Point (RFC 7946 §3.1.2): `[lon, lat]`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Point {
    /// Always `Point`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// Longitude, latitude.
    pub coordinates: [f64; 2],
}

impl Point {
    /// The point at `lon`, `lat`.
    pub fn new(lon: f64, lat: f64) -> Point {
        Point {
            kind: "Point",
            coordinates: [lon, lat],
        }
    }
}

/// The names of every property a request's feature may have ([`RequestProperties`]): none
/// can hold personal data.
pub const REQUEST_PROPERTIES: [&str; 13] = [
    "tracking",
    "category",
    "category_name",
    "status",
    "status_name",
    "unit",
    "unit_name",
    "muhtarlik",
    "muhtarlik_name",
    "deadline",
    "deadline_text",
    "ivedi",
    "overdue",
];

/// What a request's feature says.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RequestProperties<'a> {
    /// Takip numarası.
    pub tracking: String,
    /// Category code.
    pub category: &'a str,
    /// Category name (the code when the organisation no longer has it).
    pub category_name: &'a str,
    /// Status (stable name).
    pub status: &'static str,
    /// Status, in Turkish.
    pub status_name: &'static str,
    /// The unit's code.
    pub unit: Option<&'a str>,
    /// The unit's name.
    pub unit_name: Option<&'a str>,
    /// The muhtarlık's code.
    pub muhtarlik: &'a str,
    /// The muhtarlık's name.
    pub muhtarlik_name: &'a str,
    /// The resolution deadline, RFC 3339 in Europe/Istanbul time (`+03:00`).
    pub deadline: Option<String>,
    /// The resolution deadline as people read it (`2025-03-28 17:30`, Istanbul).
    pub deadline_text: Option<String>,
    /// İVEDİ; left out for the public.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ivedi: Option<bool>,
    /// Open and past the deadline.
    pub overdue: bool,
}

/// What a muhtarlık's feature says.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MuhtarlikProperties<'a> {
    /// Code.
    pub code: &'a str,
    /// Name.
    pub name: &'a str,
    /// District (ilçe).
    pub district: &'a str,
    /// Open requests now (within the reader's scope).
    pub open: u64,
    /// Of those, overdue.
    pub overdue: u64,
}

/// The requests' FeatureCollection.
pub type RequestFeatures<'a> = FeatureCollection<Point, RequestProperties<'a>>;

/// The muhtarlıklar's FeatureCollection.
pub type MuhtarlikFeatures<'a> = FeatureCollection<geojson::Geometry, MuhtarlikProperties<'a>>;

/// The names of the organisation's units, muhtarlıklar and categories by code, looked
/// up once per document rather than once per point.
struct Names<'a> {
    units: HashMap<&'a str, &'a str>,
    muhtarliklar: HashMap<&'a str, &'a str>,
    categories: HashMap<&'a str, &'a str>,
}

impl<'a> Names<'a> {
    fn of(org: &'a Organisation) -> Self {
        Names {
            units: org
                .units
                .iter()
                .map(|u| (u.code.as_str(), u.name.as_str()))
                .collect(),
            muhtarliklar: org
                .muhtarliklar
                .iter()
                .map(|m| (m.code.as_str(), m.name.as_str()))
                .collect(),
            categories: org
                .categories
                .iter()
                .map(|c| (c.code.as_str(), c.name.as_str()))
                .collect(),
        }
    }
}

/// The deadline as RFC 3339 in Istanbul time and as people read it.
fn deadline(d: DateTime<Utc>) -> (String, String) {
    let ist = to_istanbul(d);
    (
        ist.to_rfc3339_opts(SecondsFormat::AutoSi, false),
        local_time_of(ist),
    )
}

/// The requests as a FeatureCollection of points, names from `org`, `overdue` at `now`;
/// `truncated` says that more matched than `points` holds.
pub fn requests_feature_collection<'a>(
    points: &'a [MapPoint],
    org: &'a Organisation,
    now: DateTime<Utc>,
    audience: Audience,
    truncated: bool,
) -> RequestFeatures<'a> {
    let names = Names::of(org);
    let features = points
        .iter()
        .map(|p| {
            let (deadline, deadline_text) = p.resolution_due.map(deadline).unzip();
            let unit = p.unit.as_ref().map(|u| u.as_str());
            let tracking = p.tracking.to_string();
            Feature {
                kind: "Feature",
                id: tracking.clone(),
                geometry: Point::new(p.lon, p.lat),
                properties: RequestProperties {
                    tracking,
                    category: &p.category,
                    category_name: names
                        .categories
                        .get(p.category.as_str())
                        .copied()
                        .unwrap_or(&p.category),
                    status: p.status.as_str(),
                    status_name: p.status.display_name(),
                    unit,
                    unit_name: unit.map(|u| names.units.get(u).copied().unwrap_or(u)),
                    muhtarlik: p.muhtarlik.as_str(),
                    muhtarlik_name: names
                        .muhtarliklar
                        .get(p.muhtarlik.as_str())
                        .copied()
                        .unwrap_or(p.muhtarlik.as_str()),
                    deadline,
                    deadline_text,
                    ivedi: match audience {
                        Audience::Public => None,
                        Audience::Staff => Some(p.urgent),
                    },
                    overdue: p.overdue(now),
                },
            }
        })
        .collect();
    FeatureCollection {
        kind: "FeatureCollection",
        features,
        truncated,
    }
}

/// The muhtarlıklar with a boundary in `org` whose code `shown` accepts, each as its
/// boundary polygon with its code, name, district and `counts` (zero when absent). Rings
/// are written by the right-hand rule (exterior counterclockwise, holes clockwise) whatever
/// their order in the organisation.
pub fn muhtarliklar_feature_collection<'a>(
    org: &'a Organisation,
    counts: &BTreeMap<MuhtarlikCode, MuhtarlikCounts>,
    shown: impl Fn(&MuhtarlikCode) -> bool,
) -> MuhtarlikFeatures<'a> {
    let features = org
        .muhtarliklar
        .iter()
        .filter(|m| shown(&m.code))
        .filter_map(|m| {
            let shape = org.boundaries.of(&m.code)?;
            let c = counts.get(&m.code).copied().unwrap_or_default();
            Some(Feature {
                kind: "Feature",
                id: m.code.to_string(),
                geometry: right_hand(&shape.0),
                properties: MuhtarlikProperties {
                    code: m.code.as_str(),
                    name: &m.name,
                    district: &m.district,
                    open: c.open,
                    overdue: c.overdue,
                },
            })
        })
        .collect();
    FeatureCollection {
        kind: "FeatureCollection",
        features,
        truncated: false,
    }
}

/// The GeoJSON geometry of `g` with its polygons' rings in RFC 7946's winding.
pub fn right_hand(g: &geo::Geometry<f64>) -> geojson::Geometry {
    geojson::Geometry::new(geojson::GeometryValue::from(&oriented(g)))
}

/// `g` with every polygon's exterior ring counterclockwise and its holes clockwise.
fn oriented(g: &geo::Geometry<f64>) -> geo::Geometry<f64> {
    match g {
        geo::Geometry::Polygon(p) => geo::Geometry::Polygon(p.orient(Direction::Default)),
        geo::Geometry::MultiPolygon(p) => geo::Geometry::MultiPolygon(p.orient(Direction::Default)),
        geo::Geometry::Rect(r) => geo::Geometry::Polygon(r.to_polygon().orient(Direction::Default)),
        geo::Geometry::Triangle(t) => {
            geo::Geometry::Polygon(t.to_polygon().orient(Direction::Default))
        }
        geo::Geometry::GeometryCollection(c) => {
            geo::Geometry::GeometryCollection(c.iter().map(oriented).collect())
        }
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calendar::local_time;
    use crate::map::{rfc7946, Shape};
    use crate::request::Status;
    use crate::testkit::fixtures;
    use crate::tracking::TrackingNumber;
    use proptest::prelude::*;

    fn point(i: u64, lon: f64, lat: f64, urgent: bool, due_hours: Option<i64>) -> MapPoint {
        MapPoint {
            tracking: TrackingNumber::from_value(i * 104_729 + 1).unwrap(),
            category: ["asfalt-onarim", "budama", "silinmis"][i as usize % 3].into(),
            status: Status::ALL[i as usize % Status::ALL.len()],
            unit: (!i.is_multiple_of(4)).then(|| "fen-isleri".parse().unwrap()),
            muhtarlik: "kuzguncuk".parse().unwrap(),
            resolution_due: due_hours.map(|h| fixtures::t0() + chrono::Duration::hours(h)),
            urgent,
            lon,
            lat,
        }
    }

    /// A regular polygon around (lon, lat), counterclockwise or not, with a hole or not.
    fn polygon(lon: f64, lat: f64, r: f64, n: usize, ccw: bool, hole: bool) -> geo::Polygon {
        let ring = |r: f64, ccw: bool| {
            let mut v: Vec<(f64, f64)> = (0..n)
                .map(|i| {
                    let a = std::f64::consts::TAU * i as f64 / n as f64;
                    (lon + r * a.cos(), lat + r * a.sin())
                })
                .collect();
            if !ccw {
                v.reverse();
            }
            geo::LineString::from(v)
        };
        let holes = if hole {
            vec![ring(r / 4.0, ccw)]
        } else {
            vec![]
        };
        geo::Polygon::new(ring(r, ccw), holes)
    }

    #[test]
    fn the_property_list_is_the_struct_s_fields() {
        let p = point(1, 29.0, 41.0, true, Some(3));
        let org = fixtures::organisation("f");
        let doc = requests_feature_collection(
            std::slice::from_ref(&p),
            &org,
            fixtures::t0(),
            Audience::Staff,
            false,
        );
        let v = serde_json::to_value(&doc.features[0].properties).unwrap();
        let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
        let mut want = REQUEST_PROPERTIES.to_vec();
        want.sort();
        let mut keys = keys;
        keys.sort();
        assert_eq!(keys, want);
    }

    proptest! {
        /// A request's feature is an RFC 7946 point at `[lon, lat]`, its id the tracking
        /// number, its properties from the fixed list (İVEDİ for staff only), the deadline
        /// in Istanbul time both ways, `overdue` for open requests past it.
        #[test]
        fn request_features_are_rfc7946_points_with_only_the_listed_properties(
            pts in prop::collection::vec(
                (25.5f64..45.0, 35.7f64..42.2, any::<bool>(), prop::option::of(-200i64..200)),
                0..30,
            ),
            public in any::<bool>(),
        ) {
            let org = fixtures::organisation("f");
            let points: Vec<MapPoint> = pts
                .iter()
                .enumerate()
                .map(|(i, (lon, lat, u, d))| point(i as u64, *lon, *lat, *u, *d))
                .collect();
            let audience = if public { Audience::Public } else { Audience::Staff };
            let now = fixtures::t0();
            let doc = serde_json::to_value(requests_feature_collection(&points, &org, now, audience, false)).unwrap();
            prop_assert_eq!(rfc7946::check(&doc), Ok(()));
            let features = doc["features"].as_array().unwrap();
            prop_assert_eq!(features.len(), points.len());
            for (f, p) in features.iter().zip(&points) {
                prop_assert_eq!(&f["geometry"]["coordinates"], &serde_json::json!([p.lon, p.lat]));
                prop_assert_eq!(&f["id"], &serde_json::json!(p.tracking.to_string()));
                let props = f["properties"].as_object().unwrap();
                prop_assert!(props.keys().all(|k| REQUEST_PROPERTIES.contains(&k.as_str())), "{:?}", props.keys());
                prop_assert_eq!(props.contains_key("ivedi"), !public);
                prop_assert_eq!(&props["overdue"], &serde_json::json!(p.status.is_open() && p.resolution_due.is_some_and(|d| d < now)));
                prop_assert_eq!(&props["status_name"], &serde_json::json!(p.status.display_name()));
                if let Some(d) = p.resolution_due {
                    prop_assert!(props["deadline"].as_str().unwrap().ends_with("+03:00"));
                    prop_assert_eq!(&props["deadline_text"], &serde_json::json!(local_time(d)));
                }
            }
        }

        /// Boundaries come out by the right-hand rule however their rings run in the
        /// organisation, with the muhtarlık's code, name, district and counts.
        #[test]
        fn boundaries_follow_the_right_hand_rule_whatever_their_winding(
            lon in 28.5f64..29.5, lat in 40.8f64..41.3, r in 0.001f64..0.05, n in 3usize..16,
            ccw in any::<bool>(), hole in any::<bool>(), multi in any::<bool>(),
        ) {
            let mut org = fixtures::organisation("f");
            let p = polygon(lon, lat, r, n, ccw, hole);
            let g = if multi {
                geo::Geometry::MultiPolygon(geo::MultiPolygon(vec![p, polygon(lon + 1.0, lat, r, n, !ccw, hole)]))
            } else {
                geo::Geometry::Polygon(p)
            };
            let code: MuhtarlikCode = "cengelkoy".parse().unwrap();
            org.boundaries.0.insert(code.clone(), Shape(g));
            let counts = BTreeMap::from([(code, MuhtarlikCounts { open: 5, overdue: 2 })]);
            let doc = serde_json::to_value(muhtarliklar_feature_collection(&org, &counts, |_| true)).unwrap();
            prop_assert_eq!(rfc7946::check(&doc), Ok(()));
            let f = &doc["features"][0];
            prop_assert_eq!(doc["features"].as_array().unwrap().len(), 1);
            prop_assert_eq!(&f["properties"], &serde_json::json!({
                "code": "cengelkoy", "name": "Çengelköy Mahallesi", "district": "Üsküdar",
                "open": 5, "overdue": 2
            }));
            let hidden = muhtarliklar_feature_collection(&org, &counts, |m| m.as_str() != "cengelkoy");
            prop_assert!(hidden.features.is_empty());
        }
    }
}
