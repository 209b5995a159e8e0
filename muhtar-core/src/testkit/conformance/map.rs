//! The conformance checks of the map reads: listings by bounding box (through the
//! store's spatial index) and [`crate::store::RequestStore::map_points`] (from columns).

use chrono::Duration;

use super::super::fixtures::{next_commit, t0, tenant, Spec};
use super::{all_pages, ids};
use crate::ids::RequestId;
use crate::map::{BBox, MapPoint};
use crate::request::{EventKind, Location, Priority, Status};
use crate::store::{Order, RequestQuery, RequestRecord, Store};

/// A pseudo-random number generator for the data (the suite must be repeatable).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }

    /// A number in `0..n`.
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// Grid line `i` of the data's longitudes (29.00, 29.01, …) and latitudes (41.00, …):
/// the boxes below put their edges on them, exactly.
fn lon(i: u64) -> f64 {
    29.0 + i as f64 * 0.01
}

fn lat(i: u64) -> f64 {
    41.0 + i as f64 * 0.01
}

/// Just beyond a value, by far less than the 32-bit floats an R*Tree keeps.
const NUDGE: f64 = 1e-9;

/// `n` requests of `t`, two in three located: on a 20 × 20 grid around Üsküdar (several
/// on one spot, some on the edges of the boxes of [`boxes`], some a hair beyond them),
/// the rest without a location; muhtarlıklar, priorities, deadlines and statuses mixed.
async fn located_data<S: Store>(s: &S, t: &str, seed: u64, n: u64) -> Vec<RequestRecord> {
    let mut rng = Lcg(seed);
    let muhtars = ["kuzguncuk", "cengelkoy", "beylerbeyi"];
    let mut out = Vec::new();
    for i in 0..n {
        let mut spec = Spec::new(t, seed * 1000 + i + 1);
        spec.muhtarlik = muhtars[rng.below(3) as usize].into();
        spec.received_at = t0() + Duration::hours(rng.below(48) as i64) - Duration::days(1);
        spec.due = match rng.below(4) {
            0 => None,
            k => Some(t0() + Duration::days(k as i64 * 3)),
        };
        if rng.below(4) == 0 {
            spec.priority = Priority::Urgent;
        }
        spec.location = match rng.below(6) {
            0 | 1 => None,
            2 => Some(Location {
                lon: lon(5) + if rng.below(2) == 0 { NUDGE } else { -NUDGE },
                lat: lat(3 + rng.below(5)),
            }),
            3 => Some(Location {
                lon: lon(7),
                lat: lat(2),
            }),
            _ => Some(Location {
                lon: lon(rng.below(20)),
                lat: lat(rng.below(20)),
            }),
        };
        let c = spec.commit();
        s.commit(&c).await.unwrap();
        let mut rec = c.record;
        match rng.below(5) {
            0 => {
                let c = next_commit(&rec, EventKind::Accepted, t0());
                s.commit(&c).await.unwrap();
                rec = c.record;
            }
            1 => {
                let c = next_commit(
                    &rec,
                    EventKind::Withdrawn {
                        reason: "Gerek kalmadı".into(),
                    },
                    t0(),
                );
                s.commit(&c).await.unwrap();
                rec = c.record;
            }
            _ => {}
        }
        out.push(rec);
    }
    out
}

/// The boxes of the checks: all of the grid, edges on grid lines (points on them and a
/// hair beyond), one spot, none, the whole world, and random ones.
fn boxes(seed: u64) -> Vec<BBox> {
    let b = |a, b, c, d| BBox::new(a, b, c, d).unwrap();
    let mut out = vec![
        b(lon(0), lat(0), lon(19), lat(19)),
        b(lon(5), lat(3), lon(12), lat(8)),
        b(lon(0), lat(0), lon(5), lat(19)),
        b(lon(5) + NUDGE / 2.0, lat(0), lon(19), lat(19)),
        b(lon(7), lat(2), lon(7), lat(2)),
        b(30.0, 40.0, 30.5, 40.5),
        b(-180.0, -90.0, 180.0, 90.0),
    ];
    let mut rng = Lcg(seed);
    for _ in 0..8 {
        let (x, y) = (rng.below(20), rng.below(20));
        let (w, h) = (rng.below(20 - x), rng.below(20 - y));
        out.push(b(lon(x), lat(y), lon(x + w), lat(y + h)));
    }
    out
}

/// The brute force: is the record's location in the box (edges included)?
fn inside(r: &RequestRecord, b: &BBox) -> bool {
    r.state.content.location.as_ref().is_some_and(|l| {
        l.lon >= b.min_lon && l.lon <= b.max_lon && l.lat >= b.min_lat && l.lat <= b.max_lat
    })
}

/// Listings by bounding box, alone and with other filters, in both orders and by pages of
/// 4, give exactly the requests the brute-force filter keeps (located in the box, edges
/// included, and passing the other filters), in the order's sequence; `RequestQuery::matches`
/// agrees with it; another tenant's requests on the same spots never appear.
pub async fn bbox_listing_equals_brute_force<S: Store>(s: &S) {
    let all = located_data(s, "geo", 7, 90).await;
    located_data(s, "geo-x", 8, 20).await;
    assert!(
        all.iter()
            .filter(|r| r.state.content.location.is_some())
            .count()
            > 40
    );
    let open: Vec<Status> = Status::ALL.into_iter().filter(|s| s.is_open()).collect();
    let others = [
        RequestQuery::default(),
        RequestQuery {
            muhtarlik: Some("kuzguncuk".parse().unwrap()),
            ..Default::default()
        },
        RequestQuery {
            statuses: Some(open),
            due_before: Some(t0() + Duration::days(7)),
            ..Default::default()
        },
    ];
    let mut nonempty = 0;
    for (i, b) in boxes(11).into_iter().enumerate() {
        for (j, other) in others.iter().enumerate() {
            for order in [Order::Deadline, Order::Newest] {
                let plain = RequestQuery {
                    order,
                    limit: 4,
                    ..other.clone()
                };
                let q = RequestQuery {
                    bbox: Some(b),
                    ..plain.clone()
                };
                let mut want: Vec<&RequestRecord> = all
                    .iter()
                    .filter(|r| plain.matches(r) && inside(r, &b))
                    .collect();
                for r in &all {
                    assert_eq!(q.matches(r), plain.matches(r) && inside(r, &b));
                }
                order.sort(&mut want);
                let want: Vec<RequestId> = want.iter().map(|r| r.state.id).collect();
                let got = ids(&all_pages(s, "geo", q.clone()).await);
                assert_eq!(got, want, "box {i} ({b}), filters {j}, {order:?}");
                nonempty += usize::from(!got.is_empty());
            }
        }
    }
    assert!(nonempty > 30, "{nonempty}");
}

/// `map_points` gives what [`MapPoint::reference`] computes over the same records (the
/// located ones the query keeps, urgent first in its order, at most `limit`), with the
/// status, unit and deadline of the request's latest commit; another tenant's never.
pub async fn map_points_equal_the_reference<S: Store>(s: &S) {
    let all = located_data(s, "pts", 3, 70).await;
    located_data(s, "pts-x", 4, 20).await;
    let t = tenant("pts");
    let mut queries = vec![RequestQuery::default()];
    queries.extend(boxes(5).into_iter().map(|b| RequestQuery {
        bbox: Some(b),
        ..Default::default()
    }));
    queries.push(RequestQuery {
        statuses: Some(vec![Status::InProgress, Status::Withdrawn]),
        category: Some("asfalt-onarim".into()),
        ..Default::default()
    });
    for q in queries {
        for order in [Order::Deadline, Order::Newest] {
            let q = RequestQuery { order, ..q.clone() };
            for limit in [100_000, 5, 1] {
                let got = s.map_points(&t, &q, limit).await.unwrap();
                assert_eq!(
                    got,
                    MapPoint::reference(&all, &q, limit),
                    "{q:?}, limit {limit}"
                );
            }
        }
    }
    let got = s
        .map_points(&t, &RequestQuery::default(), 100_000)
        .await
        .unwrap();
    assert!(got.iter().any(|p| p.status == Status::Withdrawn));
    assert!(got.iter().any(|p| p.urgent) && got.iter().any(|p| !p.urgent));
}

/// A request without a location is in every listing without a box and in none with one,
/// not even the whole world's, and is never a map point.
pub async fn requests_without_location_never_match_a_bbox<S: Store>(s: &S) {
    let mut unlocated = Vec::new();
    for seed in 1..=6u64 {
        let c = Spec::new("nowhere", seed).commit();
        s.commit(&c).await.unwrap();
        unlocated.push(c.record.state.id);
    }
    let mut spec = Spec::new("nowhere", 7);
    spec.location = Some(Location {
        lon: 29.05,
        lat: 41.02,
    });
    let c = spec.commit();
    s.commit(&c).await.unwrap();
    let located = c.record.state.id;
    let world = BBox::new(-180.0, -90.0, 180.0, 90.0).unwrap();
    let everything = all_pages(s, "nowhere", RequestQuery::default()).await;
    assert_eq!(everything.len(), 7);
    for order in [Order::Deadline, Order::Newest] {
        let q = RequestQuery {
            bbox: Some(world),
            order,
            ..Default::default()
        };
        assert_eq!(ids(&all_pages(s, "nowhere", q).await), vec![located]);
    }
    let t = tenant("nowhere");
    for bbox in [None, Some(world)] {
        let q = RequestQuery {
            bbox,
            ..Default::default()
        };
        let points = s.map_points(&t, &q, 100).await.unwrap();
        assert_eq!(points.len(), 1);
        assert_eq!(points[0].tracking, c.record.state.tracking);
        assert_eq!((points[0].lon, points[0].lat), (29.05, 41.02));
    }
}
