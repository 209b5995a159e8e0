//! The conformance checks of [`crate::store::WorkStore`]: versions and conflicts, the
//! notices written with a work, and listings (the bounding box through the store's spatial
//! index) against a brute-force filter of random works.

use chrono::{DateTime, Duration, Utc};

use super::super::fixtures::{organisation, t0, tenant};
use crate::ids::{IdGenerator, MuhtarlikCode, RandomSource, SeededRandom, UnitCode};
use crate::map::work::{Work, WorkId, WorkKind, WorkQuery, WorkStatus, MAX_WORKS};
use crate::map::{BBox, Shape};
use crate::outbox::{plan_work, NoticeKind, OutboxMessage};
use crate::store::{Store, StoreError};

/// A planned road work of unit `unit` over a point, in tenant `t`, version 1.
fn work(n: u128, t: &str, unit: &str, area: Shape, from: DateTime<Utc>, hours: i64) -> Work {
    Work {
        id: WorkId(uuid::Uuid::from_u128(n)),
        tenant: tenant(t),
        unit: UnitCode::new(unit).unwrap_or_else(|e| panic!("{e}")),
        title: format!("Çalışma {n}"),
        kind: WorkKind::RoadWorks,
        area,
        starts_at: from,
        ends_at: from + Duration::hours(hours),
        status: WorkStatus::Planned,
        contact: Some("Alo 153".into()),
        muhtarliklar: vec![muhtarlik("kuzguncuk")],
        version: 1,
        created_by: "coordinator@test".into(),
        created_at: t0(),
        updated_at: t0(),
    }
}

fn muhtarlik(m: &str) -> MuhtarlikCode {
    MuhtarlikCode::new(m).unwrap_or_else(|e| panic!("{e}"))
}

/// The notices of a version (to Kuzguncuk's muhtar), `before` the version it replaces.
fn notices(before: Option<&Work>, w: &Work, seed: u64) -> Vec<OutboxMessage> {
    let org = organisation(w.tenant.as_str());
    let mut ids = IdGenerator::new(SeededRandom::new(seed));
    plan_work(&org, before, w, &mut ids, t0())
}

/// A new work reads back as written; each change writes the next version; a writer that
/// expected another version writes nothing (`Conflict` with both versions), nor does a
/// new work whose id is taken in the tenant; a version that does not follow the expected
/// one is `Invalid`; another tenant's or an unknown work is `NotFound`.
pub async fn works_are_versioned_and_conflicts_write_nothing<S: Store>(s: &S) {
    let t = tenant("wk-a");
    let v1 = work(1, "wk-a", "asfalt", Shape::point(29.03, 41.03), t0(), 48);
    s.put_work(&v1, 0, &notices(None, &v1, 1)).await.unwrap();
    assert_eq!(s.work(&t, v1.id).await.unwrap(), v1);
    let mut v2 = v1.clone();
    v2.version = 2;
    v2.status = WorkStatus::Ongoing;
    v2.ends_at += Duration::days(3);
    v2.updated_at = t0() + Duration::hours(1);
    s.put_work(&v2, 1, &notices(Some(&v1), &v2, 2))
        .await
        .unwrap();
    assert_eq!(s.work(&t, v1.id).await.unwrap(), v2);
    let before = s.outbox(&t, None).await.unwrap();
    // A stale writer: nothing written, not even its notices.
    let mut stale = v2.clone();
    stale.title = "Eski".into();
    stale.muhtarliklar = vec![muhtarlik("cengelkoy")];
    match s.put_work(&stale, 1, &notices(Some(&v1), &stale, 3)).await {
        Err(StoreError::Conflict { expected, actual }) => assert_eq!((expected, actual), (1, 2)),
        other => panic!("expected a conflict, got {other:?}"),
    }
    // A new work with a taken id.
    let mut again = v1.clone();
    again.title = "Başka".into();
    assert!(matches!(
        s.put_work(&again, 0, &[]).await,
        Err(StoreError::Conflict {
            expected: 0,
            actual: 2
        })
    ));
    // A version that does not follow.
    let mut skip = v2.clone();
    skip.version = 4;
    assert!(matches!(
        s.put_work(&skip, 2, &[]).await,
        Err(StoreError::Invalid { .. })
    ));
    assert_eq!(s.work(&t, v1.id).await.unwrap(), v2);
    assert_eq!(s.outbox(&t, None).await.unwrap(), before);
    // The same id in another tenant is another work.
    let other = work(1, "wk-b", "iski", Shape::point(29.0, 41.0), t0(), 1);
    s.put_work(&other, 0, &[]).await.unwrap();
    assert_eq!(s.work(&tenant("wk-b"), other.id).await.unwrap(), other);
    assert_eq!(s.work(&t, v1.id).await.unwrap(), v2);
    assert!(matches!(
        s.work(&tenant("wk-c"), v1.id).await,
        Err(StoreError::NotFound { .. })
    ));
    assert!(matches!(
        s.work(&t, WorkId(uuid::Uuid::from_u128(99))).await,
        Err(StoreError::NotFound { .. })
    ));
}

/// The notices of a version are written with it, once each: writing a version whose
/// notices are already there (the same idempotency keys) adds none.
pub async fn work_notices_are_written_with_the_work<S: Store>(s: &S) {
    let t = tenant("wk-n");
    let v1 = work(7, "wk-n", "asfalt", Shape::point(29.03, 41.03), t0(), 48);
    let n1 = notices(None, &v1, 1);
    assert!(!n1.is_empty());
    s.put_work(&v1, 0, &n1).await.unwrap();
    let out = s.outbox(&t, None).await.unwrap();
    let got: Vec<_> = out.iter().map(|e| e.message.clone()).collect();
    assert_eq!(got, n1);
    assert!(out
        .iter()
        .all(|e| e.message.kind == NoticeKind::WorkPublished
            && e.message.payload.work().is_some_and(|w| w.work == v1.id)));
    let mut v2 = v1.clone();
    v2.version = 2;
    v2.ends_at += Duration::days(1);
    // The second version's notices, and the first's again (already there): only the
    // second's are added.
    let n2 = notices(Some(&v1), &v2, 2);
    let mut both = notices(None, &v1, 5);
    both.extend(n2.iter().cloned());
    s.put_work(&v2, 1, &both).await.unwrap();
    let out = s.outbox(&t, None).await.unwrap();
    assert_eq!(out.len(), n1.len() + n2.len());
    assert_eq!(
        out.iter()
            .filter(|e| e.message.kind == NoticeKind::WorkChanged)
            .count(),
        n2.len()
    );
}

/// Uniform in `[lo, hi)`.
fn uniform(r: &mut SeededRandom, lo: f64, hi: f64) -> f64 {
    lo + (r.next_u64() >> 11) as f64 / (1u64 << 53) as f64 * (hi - lo)
}

fn below(r: &mut SeededRandom, n: u64) -> u64 {
    r.next_u64() % n
}

fn rect(x: f64, y: f64, w: f64, h: f64) -> geo::Polygon<f64> {
    geo::Rect::new(
        geo::coord! { x: x, y: y },
        geo::coord! { x: x + w, y: y + h },
    )
    .to_polygon()
}

/// A random point, line, polygon or multipolygon around Üsküdar.
fn random_shape(r: &mut SeededRandom) -> Shape {
    let (x, y) = (uniform(r, 29.0, 29.1), uniform(r, 41.0, 41.1));
    let (w, h) = (uniform(r, 0.0005, 0.02), uniform(r, 0.0005, 0.02));
    Shape(match below(r, 4) {
        0 => geo::Geometry::Point(geo::Point::new(x, y)),
        1 => geo::Geometry::LineString(vec![(x, y), (x + w, y + h), (x + 2.0 * w, y)].into()),
        2 => geo::Geometry::Polygon(rect(x, y, w, h)),
        _ => geo::Geometry::MultiPolygon(geo::MultiPolygon(vec![
            rect(x, y, w, h),
            rect(x + 2.0 * w, y + 2.0 * h, w, h),
        ])),
    })
}

/// A random box; some exactly on the edge of a work's box (edges count).
fn random_bbox(r: &mut SeededRandom, works: &[Work]) -> BBox {
    let k = below(r, 3);
    if k == 0 && !works.is_empty() {
        let b = works[below(r, works.len() as u64) as usize]
            .area
            .bbox()
            .unwrap_or_else(|| panic!("a work without a box"));
        // Touching the work's box at its north-east corner, or being exactly it.
        return match below(r, 2) {
            0 => BBox::new(b.max_lon, b.max_lat, b.max_lon + 0.01, b.max_lat + 0.01),
            _ => BBox::new(b.min_lon, b.min_lat, b.max_lon, b.max_lat),
        }
        .unwrap_or_else(|e| panic!("{e}"));
    }
    let (x, y) = (uniform(r, 28.98, 29.1), uniform(r, 40.98, 41.1));
    let (w, h) = match k {
        1 => (0.0, 0.0),
        _ => (uniform(r, 0.0, 0.05), uniform(r, 0.0, 0.05)),
    };
    BBox::new(x, y, x + w, y + h).unwrap_or_else(|e| panic!("{e}"))
}

/// Listings agree with [`WorkQuery::matches`] over the same works, in
/// [`WorkQuery::order`] and within the limit, for random works and queries: the bounding
/// box (through the store's spatial index; boxes touching at an edge or a corner meet,
/// points and empty boxes included), units, statuses, a muhtarlık, the active period,
/// and never another tenant's works.
pub async fn work_listings_agree_with_a_brute_force_filter<S: Store>(s: &S) {
    let mut r = SeededRandom::new(22);
    let units = ["asfalt", "iski", "bedas", "igdas"];
    let statuses = WorkStatus::ALL;
    let muhtars = ["kuzguncuk", "cengelkoy", "beylerbeyi"];
    let mut all = Vec::new();
    for n in 0..160u128 {
        let t = if n % 10 == 9 { "wk-other" } else { "wk-list" };
        let from = t0() + Duration::hours(below(&mut r, 24 * 60) as i64);
        let mut w = work(
            n + 1,
            t,
            units[below(&mut r, 4) as usize],
            random_shape(&mut r),
            from,
            1 + below(&mut r, 24 * 20) as i64,
        );
        w.status = statuses[below(&mut r, 3) as usize];
        w.muhtarliklar = muhtars
            .iter()
            .filter(|_| below(&mut r, 2) == 0)
            .map(|m| muhtarlik(m))
            .collect();
        s.put_work(&w, 0, &[]).await.unwrap();
        all.push(w);
    }
    let t = tenant("wk-list");
    let mine: Vec<Work> = all.iter().filter(|w| w.tenant == t).cloned().collect();
    for round in 0..120 {
        let mut q = WorkQuery::default();
        let pick = below(&mut r, 64);
        if pick & 1 != 0 || round % 4 == 0 {
            q.bbox = Some(random_bbox(&mut r, &mine));
        }
        if pick & 2 != 0 {
            q.units = Some(
                units
                    .iter()
                    .filter(|_| below(&mut r, 2) == 0)
                    .map(|u| UnitCode::new(*u).unwrap_or_else(|e| panic!("{e}")))
                    .collect(),
            );
        }
        if pick & 4 != 0 {
            q.statuses = Some(
                statuses
                    .iter()
                    .filter(|_| below(&mut r, 2) == 0)
                    .copied()
                    .collect(),
            );
        }
        if pick & 8 != 0 {
            q.muhtarlik = Some(muhtarlik(muhtars[below(&mut r, 3) as usize]));
        }
        if pick & 16 != 0 {
            q.active_from = Some(t0() + Duration::hours(below(&mut r, 24 * 70) as i64));
        }
        if pick & 32 != 0 {
            q.active_until = Some(t0() + Duration::hours(below(&mut r, 24 * 70) as i64));
        }
        let limit = match round % 3 {
            0 => 5,
            _ => 1000,
        };
        let mut want: Vec<Work> = mine.iter().filter(|w| q.matches(w)).cloned().collect();
        want.sort_by(WorkQuery::order);
        want.truncate(limit);
        let got = s.works(&t, &q, limit as u32).await.unwrap();
        assert_eq!(
            got.iter().map(|w| w.id).collect::<Vec<_>>(),
            want.iter().map(|w| w.id).collect::<Vec<_>>(),
            "round {round}: {q:?}"
        );
        assert_eq!(got, want, "round {round}");
    }
    // A box around everything and no other filter: every work of the tenant, in order.
    let mut q = WorkQuery::default();
    q.bbox = Some(BBox::new(28.0, 40.0, 30.0, 42.0).unwrap_or_else(|e| panic!("{e}")));
    let got = s.works(&t, &q, MAX_WORKS).await.unwrap();
    assert_eq!(got.len(), mine.len());
    // A changed area moves the work in the index.
    let mut moved = mine[0].clone();
    moved.version = 2;
    moved.area = Shape::point(29.5, 41.5);
    s.put_work(&moved, 1, &[]).await.unwrap();
    let mut q = WorkQuery::default();
    q.bbox = Some(BBox::new(29.49, 41.49, 29.51, 41.51).unwrap_or_else(|e| panic!("{e}")));
    let got = s.works(&t, &q, 10).await.unwrap();
    assert_eq!(got, vec![moved.clone()]);
    q.bbox = mine[0].area.bbox();
    let got = s.works(&t, &q, MAX_WORKS).await.unwrap();
    assert!(got.iter().all(|w| w.id != moved.id));
}
