//! Clashes: two bodies' works in the same place at the same time (asphalt laid where a
//! water-pipe excavation is planned next month: the classic coordination failure).

use geo::{Distance, Euclidean, Intersects, MapCoords};

use super::{Clash, Work, WorkStatus};
use crate::map::{BBox, Shape};

/// How near (metres) a point or a line must come to another work's area for the two to
/// meet. A point or a line has no area: an excavation drawn as a street's centre line and
/// asphalt drawn as the street's polygon, or two pins dropped at the same junction, rarely
/// share an exact point. Two polygonal areas meet only where they intersect.
pub const CLASH_TOLERANCE_M: f64 = 25.0;

/// Metres per degree of latitude (and of longitude at the equator), near enough over a
/// city for a tolerance of tens of metres.
const METRES_PER_DEGREE: f64 = 111_320.0;

/// Whether two areas meet: polygons (and multipolygons) when they intersect (edges
/// included); when either is a point or a line, when they come within
/// [`CLASH_TOLERANCE_M`] of each other, measured in a local equirectangular projection at
/// their mean latitude (error well under a metre at city scale). Symmetric.
pub fn areas_meet(a: &Shape, b: &Shape) -> bool {
    let (Some(ba), Some(bb)) = (a.bbox(), b.bbox()) else {
        return false;
    };
    // One order for the pair, so that rounding is the same whichever way it is given.
    let key = |b: &BBox| [b.min_lon, b.min_lat, b.max_lon, b.max_lat];
    let swap = key(&ba)
        .iter()
        .zip(key(&bb).iter())
        .map(|(x, y)| x.total_cmp(y))
        .find(|o| o.is_ne())
        == Some(std::cmp::Ordering::Greater);
    let (a, b, ba, bb) = if swap { (b, a, bb, ba) } else { (a, b, ba, bb) };
    if polygonal(a) && polygonal(b) {
        return ba.intersects(&bb) && a.0.intersects(&b.0);
    }
    // A cheap test first: the boxes, each grown by the tolerance (in degrees of
    // longitude at the northern edge of Turkey, the widest).
    let lat0 = (ba.min_lat + ba.max_lat + bb.min_lat + bb.max_lat) / 4.0;
    let grow = CLASH_TOLERANCE_M / METRES_PER_DEGREE / 42.5_f64.to_radians().cos();
    let grown = BBox {
        min_lon: ba.min_lon - grow,
        min_lat: ba.min_lat - grow,
        max_lon: ba.max_lon + grow,
        max_lat: ba.max_lat + grow,
    };
    if !grown.intersects(&bb) {
        return false;
    }
    let k = lat0.to_radians().cos();
    let metres = |s: &Shape| {
        s.0.map_coords(|c| {
            geo::coord! {
                x: c.x * k * METRES_PER_DEGREE,
                y: c.y * METRES_PER_DEGREE,
            }
        })
    };
    // The same order whichever way round the pair is given.
    let (pa, pb) = (metres(a), metres(b));
    let d = Euclidean
        .distance(&pa, &pb)
        .min(Euclidean.distance(&pb, &pa));
    d <= CLASH_TOLERANCE_M
}

fn polygonal(s: &Shape) -> bool {
    matches!(
        s.0,
        geo::Geometry::Polygon(_) | geo::Geometry::MultiPolygon(_) | geo::Geometry::Rect(_)
    )
}

/// Every clash among `works`: pairs of works of one tenant and **different units**,
/// neither closed, whose time intervals overlap (`[starts_at, ends_at)`: a work ending
/// when the other starts does not clash) and whose areas meet ([`areas_meet`]). Each pair
/// is reported once, `first` the earlier-starting work (the smaller id when both start
/// together), `from`..`until` the intersection of the two intervals. The result does not
/// depend on the order of `works`: clashes are ordered by `from`, then `first`, then
/// `second`.
///
/// The works are swept in order of their start, so only pairs overlapping in time are
/// compared in space.
pub fn clashes(works: &[Work]) -> Vec<Clash> {
    let mut open: Vec<&Work> = works
        .iter()
        .filter(|w| w.status != WorkStatus::Closed && w.starts_at < w.ends_at)
        .collect();
    open.sort_by(|a, b| (a.starts_at, a.id).cmp(&(b.starts_at, b.id)));
    let mut out = Vec::new();
    for (i, a) in open.iter().enumerate() {
        for b in &open[i + 1..] {
            if b.starts_at >= a.ends_at {
                break; // every later work starts later still
            }
            if a.unit == b.unit || a.tenant != b.tenant || a.id == b.id {
                continue;
            }
            let (from, until) = (b.starts_at, a.ends_at.min(b.ends_at));
            if from < until && areas_meet(&a.area, &b.area) {
                out.push(Clash {
                    first: a.id,
                    second: b.id,
                    from,
                    until,
                });
            }
        }
    }
    out.sort_by(|x, y| (x.from, x.first, x.second).cmp(&(y.from, y.first, y.second)));
    out
}

#[cfg(test)]
mod tests {
    use super::super::{WorkId, WorkKind};
    use super::*;
    use crate::testkit::fixtures::{t0, tenant};
    use chrono::{DateTime, Duration, Utc};
    use proptest::prelude::*;

    fn work(n: u128, unit: &str, area: Shape, from_h: i64, hours: i64, status: WorkStatus) -> Work {
        let at = |h: i64| -> DateTime<Utc> { t0() + Duration::hours(h) };
        Work {
            id: WorkId(uuid::Uuid::from_u128(n)),
            tenant: tenant("a"),
            unit: unit.parse().unwrap(),
            title: format!("iş {n}"),
            kind: WorkKind::Excavation,
            area,
            starts_at: at(from_h),
            ends_at: at(from_h + hours),
            status,
            contact: None,
            muhtarliklar: vec![],
            version: 1,
            created_by: "x".into(),
            created_at: t0(),
            updated_at: t0(),
        }
    }

    fn rect(lon: f64, lat: f64, w: f64, h: f64) -> Shape {
        Shape(geo::Geometry::Polygon(
            geo::Rect::new(
                geo::coord! { x: lon, y: lat },
                geo::coord! { x: lon + w, y: lat + h },
            )
            .to_polygon(),
        ))
    }

    fn line(points: &[(f64, f64)]) -> Shape {
        Shape(geo::Geometry::LineString(points.to_vec().into()))
    }

    #[test]
    fn asphalt_over_next_months_excavation_clashes() {
        // İSKİ digs along the street (a line) next month; the asphalt (a polygon over
        // the street) runs from now to the end of next month.
        let street = [(29.030, 41.036), (29.034, 41.037)];
        let asphalt = work(
            1,
            "asfalt",
            rect(29.029, 41.0355, 0.006, 0.002),
            0,
            24 * 60,
            WorkStatus::Ongoing,
        );
        let dig = work(
            2,
            "iski",
            line(&street),
            24 * 30,
            24 * 10,
            WorkStatus::Planned,
        );
        let c = clashes(&[dig.clone(), asphalt.clone()]);
        assert_eq!(c.len(), 1);
        assert_eq!((c[0].first, c[0].second), (asphalt.id, dig.id));
        assert_eq!((c[0].from, c[0].until), (dig.starts_at, dig.ends_at));
        // The same unit's works never clash; closed ones neither.
        let mut own = dig.clone();
        own.unit = asphalt.unit.clone();
        assert!(clashes(&[own, asphalt.clone()]).is_empty());
        let mut done = dig.clone();
        done.status = WorkStatus::Closed;
        assert!(clashes(&[done, asphalt.clone()]).is_empty());
        // A work ending when the other starts does not clash.
        let mut before = dig.clone();
        before.starts_at = asphalt.ends_at;
        before.ends_at = asphalt.ends_at + Duration::days(1);
        assert!(clashes(&[before, asphalt]).is_empty());
    }

    #[test]
    fn points_meet_within_the_tolerance_only() {
        // 0.0002° of latitude is about 22 m; 0.0003° about 33 m.
        let a = Shape::point(29.03, 41.03);
        assert!(areas_meet(&a, &Shape::point(29.03, 41.0302)));
        assert!(!areas_meet(&a, &Shape::point(29.03, 41.0303)));
        // A point 20 m off a line meets it; 40 m off does not.
        let l = line(&[(29.02, 41.03), (29.04, 41.03)]);
        assert!(areas_meet(&l, &Shape::point(29.03, 41.03018)));
        assert!(!areas_meet(&l, &Shape::point(29.03, 41.03036)));
        // Polygons only where they intersect (touching edges included).
        let r = rect(29.0, 41.0, 0.01, 0.01);
        assert!(areas_meet(&r, &rect(29.01, 41.0, 0.01, 0.01)));
        assert!(!areas_meet(&r, &rect(29.0101, 41.0, 0.01, 0.01)));
        // A point inside a polygon meets it.
        assert!(areas_meet(&r, &Shape::point(29.005, 41.005)));
    }

    fn shape() -> impl Strategy<Value = Shape> {
        let corner = (29.0f64..29.02, 41.0f64..41.02);
        prop_oneof![
            corner.clone().prop_map(|(x, y)| Shape::point(x, y)),
            (corner.clone(), 0.0001f64..0.005, -0.005f64..0.005)
                .prop_map(|((x, y), dx, dy)| line(&[(x, y), (x + dx, y + dy)])),
            (corner, 0.0001f64..0.005, 0.0001f64..0.005)
                .prop_map(|((x, y), w, h)| rect(x, y, w, h)),
        ]
    }

    fn status() -> impl Strategy<Value = WorkStatus> {
        prop_oneof![
            Just(WorkStatus::Planned),
            Just(WorkStatus::Ongoing),
            Just(WorkStatus::Closed)
        ]
    }

    fn works() -> impl Strategy<Value = Vec<Work>> {
        proptest::collection::vec(
            (
                prop::sample::select(vec!["asfalt", "iski", "bedas"]),
                shape(),
                0i64..100,
                1i64..50,
                status(),
            ),
            0..14,
        )
        .prop_map(|v| {
            v.into_iter()
                .enumerate()
                .map(|(i, (u, s, from, hours, st))| work(i as u128 + 1, u, s, from, hours, st))
                .collect()
        })
    }

    fn by_id(ws: &[Work], id: WorkId) -> &Work {
        ws.iter().find(|w| w.id == id).unwrap()
    }

    proptest! {
        #[test]
        fn clashes_do_not_depend_on_the_order_of_the_works(
            ws in works(),
            seed in any::<u64>(),
        ) {
            let mut shuffled = ws.clone();
            // A Fisher–Yates shuffle from the seed.
            let mut r = crate::ids::SeededRandom::new(seed);
            for i in (1..shuffled.len()).rev() {
                let j = (crate::ids::RandomSource::next_u64(&mut r) % (i as u64 + 1)) as usize;
                shuffled.swap(i, j);
            }
            prop_assert_eq!(clashes(&ws), clashes(&shuffled));
            let mut reversed = ws.clone();
            reversed.reverse();
            prop_assert_eq!(clashes(&ws), clashes(&reversed));
        }

        #[test]
        fn a_clash_is_two_open_works_of_two_units_over_the_intersection_of_their_times(
            ws in works(),
        ) {
            for c in clashes(&ws) {
                let (a, b) = (by_id(&ws, c.first), by_id(&ws, c.second));
                prop_assert_ne!(&a.unit, &b.unit);
                prop_assert!(a.status != WorkStatus::Closed && b.status != WorkStatus::Closed);
                prop_assert!((a.starts_at, a.id) <= (b.starts_at, b.id));
                prop_assert_eq!(c.from, a.starts_at.max(b.starts_at));
                prop_assert_eq!(c.until, a.ends_at.min(b.ends_at));
                prop_assert!(c.from < c.until);
                prop_assert!(areas_meet(&a.area, &b.area));
            }
        }

        #[test]
        fn every_pair_is_reported_exactly_when_it_clashes(ws in works()) {
            let found = clashes(&ws);
            for (i, a) in ws.iter().enumerate() {
                for b in &ws[i + 1..] {
                    let should = a.unit != b.unit
                        && a.status != WorkStatus::Closed
                        && b.status != WorkStatus::Closed
                        && a.starts_at.max(b.starts_at) < a.ends_at.min(b.ends_at)
                        && areas_meet(&a.area, &b.area);
                    let n = found
                        .iter()
                        .filter(|c| {
                            (c.first, c.second) == (a.id, b.id)
                                || (c.first, c.second) == (b.id, a.id)
                        })
                        .count();
                    prop_assert_eq!(n, usize::from(should), "{:?} {:?}", a.id, b.id);
                }
            }
        }

        #[test]
        fn time_disjoint_works_never_clash(
            a in shape(),
            b in shape(),
            from in 0i64..100,
            hours in 1i64..50,
            gap in 0i64..50,
            later in 1i64..50,
        ) {
            let x = work(1, "asfalt", a, from, hours, WorkStatus::Ongoing);
            let y = work(2, "iski", b, from + hours + gap, later, WorkStatus::Planned);
            prop_assert!(clashes(&[x.clone(), y.clone()]).is_empty());
            prop_assert!(clashes(&[y, x]).is_empty());
        }

        #[test]
        fn identical_areas_at_overlapping_times_always_clash(
            a in shape(),
            from in 0i64..100,
            hours in 2i64..50,
            offset in 0i64..50,
            later in 1i64..50,
            status_a in prop_oneof![Just(WorkStatus::Planned), Just(WorkStatus::Ongoing)],
            status_b in prop_oneof![Just(WorkStatus::Planned), Just(WorkStatus::Ongoing)],
        ) {
            let offset = offset % hours; // starts before the first ends
            let x = work(1, "asfalt", a.clone(), from, hours, status_a);
            let y = work(2, "iski", a, from + offset, later, status_b);
            let c = clashes(&[y.clone(), x.clone()]);
            prop_assert_eq!(c.len(), 1);
            prop_assert_eq!(c[0].from, x.starts_at.max(y.starts_at));
            prop_assert_eq!(c[0].until, x.ends_at.min(y.ends_at));
            prop_assert_eq!(clashes(&[x, y]), c);
        }

        #[test]
        fn areas_meet_is_symmetric(a in shape(), b in shape()) {
            prop_assert_eq!(areas_meet(&a, &b), areas_meet(&b, &a));
        }
    }
}
