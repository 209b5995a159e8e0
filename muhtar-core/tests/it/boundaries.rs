//! Boundaries: the GeoJSON file read and validated whole (every problem with its line,
//! feature and code), the organisation file naming it, the shipped example's shapes,
//! writing by the right-hand rule, and a request's location checked against them.

use muhtar_core::ids::MuhtarlikCode;
use muhtar_core::map::Boundaries;
use muhtar_core::map::{
    location_warning, BoundaryProblem, BoundaryProblemKind, Fault, RingRef, Shape,
};
use muhtar_core::org::{OrgError, OrgProblem, Organisation};
use muhtar_core::request::Location;
use muhtar_core::testkit::fixtures;

const ORG: &str = include_str!("../../../examples/data/org.toml");
const BOUNDARIES: &str = include_str!("../../../examples/data/boundaries.geojson");

fn example() -> (Organisation, Vec<BoundaryProblem>) {
    Organisation::from_toml_str_with(ORG, |path| {
        assert_eq!(path, "boundaries.geojson");
        Ok(BOUNDARIES.to_owned())
    })
    .unwrap_or_else(|e| panic!("{e}"))
}

fn code(c: &str) -> MuhtarlikCode {
    MuhtarlikCode::new(c).unwrap()
}

/// A feature line: a polygon from `ring` ([lon, lat] pairs, closed or not as given).
fn feature(code: &str, ring: &[(f64, f64)]) -> String {
    let ring: Vec<String> = ring.iter().map(|(x, y)| format!("[{x}, {y}]")).collect();
    format!(
        r#"{{"type": "Feature", "properties": {{"code": "{code}"}}, "geometry": {{"type": "Polygon", "coordinates": [[{}]]}}}}"#,
        ring.join(", ")
    )
}

fn collection(features: &[String]) -> String {
    format!(
        "{{\"type\": \"FeatureCollection\", \"features\": [\n{}\n]}}\n",
        features.join(",\n")
    )
}

/// A counterclockwise square of side `d` degrees at (x, y).
fn square(x: f64, y: f64, d: f64) -> Vec<(f64, f64)> {
    vec![(x, y), (x + d, y), (x + d, y + d), (x, y + d), (x, y)]
}

fn problems(text: &str) -> Vec<BoundaryProblem> {
    match Boundaries::from_geojson_str(text, |c| {
        ["kuzguncuk", "cengelkoy", "beylerbeyi"].contains(&c.as_str())
    }) {
        Ok((_, warnings)) => warnings,
        Err(e) => e.problems,
    }
}

#[test]
fn the_shipped_boundaries_validate_without_warnings_and_hold_every_centre() {
    let (org, warnings) = example();
    assert!(warnings.is_empty(), "{warnings:?}");
    assert_eq!(org.boundaries.len(), org.muhtarliklar.len());
    for m in &org.muhtarliklar {
        let c = m.centre.expect("every example muhtarlık has a centre");
        assert_eq!(
            org.boundaries.contains(&m.code, c.lon, c.lat),
            Some(true),
            "{}'s centre lies in its boundary",
            m.code
        );
        assert_eq!(
            org.boundaries.muhtarlik_at(c.lon, c.lat),
            Some(&m.code),
            "{}'s centre lies in no other boundary",
            m.code
        );
    }
    // Read as written: the file's own text round-trips through the writer.
    let again = org
        .boundaries
        .to_geojson_string(|c| org.muhtarlik(c).map(|m| m.name.clone()));
    let (back, w) = Boundaries::from_geojson_str(&again, |_| true).unwrap();
    assert!(w.is_empty());
    assert_eq!(back, org.boundaries);
}

#[test]
fn an_organisation_naming_boundaries_needs_a_reader() {
    match Organisation::from_toml_str(ORG) {
        Err(OrgError::BoundariesNotRead { line, path }) => {
            assert_eq!(path, "boundaries.geojson");
            assert_eq!(
                ORG.lines().nth(line - 1).unwrap(),
                "boundaries = \"boundaries.geojson\""
            );
        }
        other => panic!("{other:?}"),
    }
    let e = Organisation::from_toml_str_with(ORG, |_| Err("no such file".into())).unwrap_err();
    assert_eq!(
        e,
        OrgError::BoundariesUnreadable {
            path: "boundaries.geojson".into(),
            reason: "no such file".into()
        }
    );
    // A file without boundaries needs no reader, and the reader is not called.
    let without = ORG.replace("boundaries = \"boundaries.geojson\"", "");
    let org = Organisation::from_toml_str(&without).unwrap();
    assert!(org.boundaries.is_empty());
    let (org, _) = Organisation::from_toml_str_with(&without, |_| panic!("not called")).unwrap();
    assert!(org.boundaries.is_empty());
    // Not a path: the line is named.
    let e = Organisation::from_toml_str(
        &ORG.replace("boundaries = \"boundaries.geojson\"", "boundaries = 3"),
    )
    .unwrap_err();
    assert!(matches!(e, OrgError::Parse { line: 9, .. }), "{e:?}");
    // Lines after a path written over several lines stay where they were.
    let multi = ORG.replace(
        "boundaries = \"boundaries.geojson\"",
        "boundaries = \"\"\"\nboundaries.geojson\"\"\"",
    );
    let bad = multi.replacen("id = \"ibb\"", "id = 5", 1);
    let Err(OrgError::Parse { line, .. }) =
        Organisation::from_toml_str_with(&bad, |_| Ok(String::new()))
    else {
        panic!()
    };
    assert_eq!(bad.lines().nth(line - 1).unwrap(), "id = 5");
}

#[test]
fn the_boundaries_file_is_checked_against_the_organisation() {
    let bad = BOUNDARIES.replace("\"code\": \"moda\"", "\"code\": \"modaa\"");
    let e = Organisation::from_toml_str_with(ORG, |_| Ok(bad.clone())).unwrap_err();
    let OrgError::Boundaries { path, error } = e else {
        panic!()
    };
    assert_eq!(path, "boundaries.geojson");
    assert_eq!(error.problems.len(), 1);
    let p = &error.problems[0];
    assert_eq!(p.code.as_deref(), Some("modaa"));
    assert_eq!(
        p.kind,
        BoundaryProblemKind::UnknownMuhtarlik {
            code: "modaa".into()
        }
    );
    assert!(bad.lines().nth(p.line - 1).unwrap().contains("\"modaa\""));
    assert_eq!(p.feature, p.line - 1, "one feature a line after the first");
    assert!(p.describe().contains("teşkilatta yok"), "{}", p.describe());
}

#[test]
fn a_stored_organisation_may_not_keep_the_boundary_of_a_muhtarlik_it_lost() {
    let (mut org, _) = example();
    org.muhtarliklar.retain(|m| m.code.as_str() != "moda");
    let Err(OrgError::Invalid { problems }) = Organisation::new(org) else {
        panic!()
    };
    assert_eq!(
        problems,
        [OrgProblem::BoundaryOfUnknownMuhtarlik {
            code: "moda".into()
        }]
    );
}

#[test]
fn every_problem_is_reported_with_its_line_feature_and_code() {
    let text = collection(&[
        feature("kuzguncuk", &square(29.0, 41.0, 0.01)),
        // Not closed, and only three positions.
        feature("cengelkoy", &[(29.1, 41.0), (29.11, 41.0), (29.11, 41.01)]),
        // Unknown.
        feature("yok", &square(29.2, 41.0, 0.01)),
        // Duplicate.
        feature("kuzguncuk", &square(29.3, 41.0, 0.01)),
        // Self-intersecting (a bow tie).
        feature(
            "beylerbeyi",
            &[(29.4, 41.0), (29.41, 41.01), (29.41, 41.0), (29.4, 41.01), (29.4, 41.0)],
        ),
        // Latitude and longitude swapped: outside Turkey.
        r#"{"type": "Feature", "properties": {}, "geometry": {"type": "Polygon", "coordinates": [[[41.0, 29.0], [41.01, 29.0], [41.01, 29.01], [41.0, 29.0]]]}}"#.into(),
        r#"{"type": "Feature", "properties": {"code": "cengelkoy"}, "geometry": {"type": "Point", "coordinates": [29.0, 41.0]}}"#.into(),
        r#"{"type": "Feature", "properties": {"code": "beylerbeyi"}, "geometry": null}"#.into(),
        r#"{"type": "Polygon", "coordinates": []}"#.into(),
    ]);
    let got: Vec<(usize, usize, Option<&str>, &BoundaryProblemKind)> = Vec::new();
    let ps = problems(&text);
    let mut got = got;
    for p in &ps {
        got.push((p.line, p.feature, p.code.as_deref(), &p.kind));
    }
    let ext = RingRef {
        polygon: None,
        hole: None,
    };
    assert_eq!(
        got,
        [
            (
                3,
                2,
                Some("cengelkoy"),
                &BoundaryProblemKind::TooFewPositions {
                    ring: ext,
                    count: 3
                }
            ),
            (
                3,
                2,
                Some("cengelkoy"),
                &BoundaryProblemKind::UnclosedRing { ring: ext }
            ),
            (
                4,
                3,
                Some("yok"),
                &BoundaryProblemKind::UnknownMuhtarlik { code: "yok".into() }
            ),
            (
                5,
                4,
                Some("kuzguncuk"),
                &BoundaryProblemKind::DuplicateCode {
                    code: "kuzguncuk".into(),
                    first_feature: 1
                }
            ),
            (
                6,
                5,
                Some("beylerbeyi"),
                &BoundaryProblemKind::InvalidPolygon {
                    fault: Fault::SelfIntersection(ext)
                }
            ),
            (7, 6, None, &BoundaryProblemKind::NoCode),
            (
                7,
                6,
                None,
                &BoundaryProblemKind::OutsideTurkey {
                    lon: 41.0,
                    lat: 29.0
                }
            ),
            (
                8,
                7,
                Some("cengelkoy"),
                &BoundaryProblemKind::DuplicateCode {
                    code: "cengelkoy".into(),
                    first_feature: 2
                }
            ),
            (
                8,
                7,
                Some("cengelkoy"),
                &BoundaryProblemKind::NotPolygon {
                    found: "Point".into()
                }
            ),
            (
                9,
                8,
                Some("beylerbeyi"),
                &BoundaryProblemKind::DuplicateCode {
                    code: "beylerbeyi".into(),
                    first_feature: 5
                }
            ),
            (
                9,
                8,
                Some("beylerbeyi"),
                &BoundaryProblemKind::NotPolygon {
                    found: "null".into()
                }
            ),
            (
                10,
                9,
                None,
                &BoundaryProblemKind::NotFeature {
                    found: "type \"Polygon\"".into()
                }
            ),
        ]
    );
    assert!(ps.iter().all(BoundaryProblem::is_error));
    // In Turkish too, with line and place.
    assert_eq!(
        ps[1].describe(),
        "satır 3, öğe 2 (cengelkoy): dış halka kapalı değil: son nokta ilk noktanın aynısı olmalı"
    );
    assert_eq!(
        ps[1].to_string(),
        "line 3, feature 2 (cengelkoy): exterior ring is not closed: its last position must repeat its first"
    );
}

#[test]
fn a_file_that_is_not_a_feature_collection_says_what_it_is() {
    let p = problems("{\"type\": \"FeatureCollection\",\n \"features\": [\n}");
    assert!(
        matches!(
            &p[..],
            [BoundaryProblem {
                line: 3,
                feature: 0,
                kind: BoundaryProblemKind::NotJson { .. },
                ..
            }]
        ),
        "{p:?}"
    );
    let p = problems("[1, 2]");
    assert_eq!(
        p[0].kind,
        BoundaryProblemKind::NotFeatureCollection {
            found: "an array".into()
        }
    );
    let p = problems(r#"{"type": "Feature", "geometry": null}"#);
    assert_eq!(
        p[0].kind,
        BoundaryProblemKind::NotFeatureCollection {
            found: "its type is the text \"Feature\"".into()
        }
    );
    let p = problems(r#"{"type": "FeatureCollection"}"#);
    assert!(matches!(
        p[0].kind,
        BoundaryProblemKind::NotFeatureCollection { .. }
    ));
    let p = problems(r#"{"type": "FeatureCollection", "features": {}}"#);
    assert!(matches!(
        p[0].kind,
        BoundaryProblemKind::NotFeatureCollection { .. }
    ));
    // An empty collection is a valid file with no boundaries.
    let (b, w) =
        Boundaries::from_geojson_str(&collection(&[]).replace("\n\n", "\n"), |_| true).unwrap();
    assert!(b.is_empty() && w.is_empty());
}

#[test]
fn holes_outside_and_overlapping_parts_are_invalid() {
    let text = collection(&[
        r#"{"type": "Feature", "properties": {"code": "kuzguncuk"}, "geometry": {"type": "Polygon", "coordinates": [[[29.0, 41.0], [29.01, 41.0], [29.01, 41.01], [29.0, 41.01], [29.0, 41.0]], [[29.1, 41.1], [29.1, 41.11], [29.11, 41.11], [29.11, 41.1], [29.1, 41.1]]]}}"#.into(),
        r#"{"type": "Feature", "properties": {"code": "cengelkoy"}, "geometry": {"type": "MultiPolygon", "coordinates": [[[[29.0, 41.2], [29.02, 41.2], [29.02, 41.22], [29.0, 41.22], [29.0, 41.2]]], [[[29.01, 41.21], [29.03, 41.21], [29.03, 41.23], [29.01, 41.23], [29.01, 41.21]]]]}}"#.into(),
    ]);
    let ps = problems(&text);
    let kinds: Vec<_> = ps.iter().map(|p| (p.feature, p.kind.clone())).collect();
    assert!(
        kinds.contains(&(
            1,
            BoundaryProblemKind::InvalidPolygon {
                fault: Fault::HoleOutside(RingRef {
                    polygon: None,
                    hole: Some(1)
                })
            }
        )),
        "{kinds:?}"
    );
    assert!(
        kinds.contains(&(
            2,
            BoundaryProblemKind::InvalidPolygon {
                fault: Fault::PolygonsIntersect(1, 2)
            }
        )),
        "{kinds:?}"
    );
}

#[test]
fn clockwise_rings_are_turned_round_with_a_warning() {
    let mut cw = square(29.0, 41.0, 0.01);
    cw.reverse();
    let text = collection(&[feature("kuzguncuk", &cw)]);
    let (b, warnings) = Boundaries::from_geojson_str(&text, |_| true).unwrap();
    assert_eq!(
        warnings
            .iter()
            .map(|w| (w.line, w.feature, w.kind.clone()))
            .collect::<Vec<_>>(),
        [(
            2,
            1,
            BoundaryProblemKind::Winding {
                ring: RingRef {
                    polygon: None,
                    hole: None
                },
                found: "clockwise"
            }
        )]
    );
    assert!(!warnings[0].is_error());
    let geo::Geometry::Polygon(p) = &b.of(&code("kuzguncuk")).unwrap().0 else {
        panic!()
    };
    use geo::winding_order::Winding;
    assert!(p.exterior().is_ccw());
}

#[test]
fn overlapping_neighbours_are_a_warning_beyond_the_tolerance() {
    // 0.01° squares at 41°N: 841 m × 1,111 m, about 0.93 km² each.
    let a = feature("kuzguncuk", &square(29.0, 41.0, 0.01));
    // Overlapping by a 0.002° strip (168 m × 1,111 m): about 0.19 km², far beyond the
    // tolerance.
    let b = feature("cengelkoy", &square(29.008, 41.0, 0.01));
    let (_, w) = Boundaries::from_geojson_str(&collection(&[a.clone(), b]), |_| true).unwrap();
    let [BoundaryProblem {
        line: 3,
        feature: 2,
        kind:
            BoundaryProblemKind::Overlap {
                other,
                other_feature: 1,
                area_m2,
                share_permille,
            },
        ..
    }] = &w[..]
    else {
        panic!("{w:?}")
    };
    assert_eq!(other, "kuzguncuk");
    assert!((180_000..195_000).contains(area_m2), "{area_m2}");
    assert!((195..=205).contains(share_permille), "{share_permille}");
    // A hair's overlap (a 0.000001° strip: about 9 m²) is within the tolerance, and
    // neighbours sharing an edge do not overlap at all.
    for x in [29.009999, 29.01] {
        let b = feature("cengelkoy", &square(x, 41.0, 0.01));
        let (_, w) = Boundaries::from_geojson_str(&collection(&[a.clone(), b]), |_| true).unwrap();
        assert!(w.is_empty(), "{x}: {w:?}");
    }
}

#[test]
fn shapes_are_written_by_the_right_hand_rule() {
    let mut cw = square(29.0, 41.0, 0.01);
    cw.reverse();
    let mut hole = square(29.002, 41.002, 0.002);
    // A hole wound counterclockwise: wrong, as the exterior is.
    let shape = Shape(geo::Geometry::Polygon(geo::Polygon::new(
        cw.into(),
        vec![std::mem::take(&mut hole).into()],
    )));
    let json = serde_json::to_value(&shape).unwrap();
    let back: Shape = serde_json::from_value(json.clone()).unwrap();
    let geo::Geometry::Polygon(p) = back.0 else {
        panic!()
    };
    use geo::winding_order::Winding;
    assert!(p.exterior().is_ccw(), "{json}");
    assert!(p.interiors()[0].is_cw(), "{json}");
}

#[test]
fn a_location_outside_its_muhtarlik_is_a_warning_naming_where_it_lies() {
    let (org, _) = example();
    let mut content = fixtures::new_request("kuzguncuk")
        .validate(&org, fixtures::t0())
        .unwrap();
    let centre = |c: &str| org.muhtarlik(&code(c)).unwrap().centre.unwrap();
    let at = |c: &str| {
        Some(Location {
            lat: centre(c).lat,
            lon: centre(c).lon,
        })
    };
    content.location = at("kuzguncuk");
    assert_eq!(location_warning(&org, &content), None);
    content.location = None;
    assert_eq!(location_warning(&org, &content), None);
    content.location = at("beylerbeyi");
    let w = location_warning(&org, &content).unwrap();
    assert_eq!(w.inside, Some(code("beylerbeyi")));
    assert_eq!(
        w.describe(),
        "Konum, Kuzguncuk Mahallesi sınırlarının dışında; nokta Beylerbeyi Mahallesi içinde."
    );
    // In Turkey but in no muhtarlık of the organisation.
    content.location = Some(Location {
        lat: 39.9,
        lon: 32.85,
    });
    let w = location_warning(&org, &content).unwrap();
    assert_eq!(w.inside, None);
    assert!(
        w.describe().contains("hiçbir muhtarlığının"),
        "{}",
        w.describe()
    );
    // A muhtarlık without a boundary: nothing to check.
    let mut org = org;
    org.boundaries.0.remove(&code("kuzguncuk"));
    assert_eq!(location_warning(&org, &content), None);
}
