//! Works through the service façade over the in-memory store: who may publish, change,
//! close and read them, the notices to the muhtars of the muhtarlıklar they touch (once
//! per version and recipient), and the coordinator's clashes.

use chrono::Duration;
use muhtar_core::access::AccessError;
use muhtar_core::ids::SeededRandom;
use muhtar_core::map::work::{NewWork, WorkChange, WorkError, WorkKind, WorkQuery, WorkStatus};
use muhtar_core::map::{Boundaries, Shape};
use muhtar_core::outbox::{DeliveryChannel, NoticeKind, OutboxEntry};
use muhtar_core::prelude::*;
use muhtar_core::request::InputError;
use muhtar_core::store::OutboxStore;
use muhtar_core::testkit::{fixtures, MemoryStore};

type Svc = Mbs<MemoryStore, ManualClock>;

/// A square boundary of 0.01° from (`lon`, 41.0).
fn square(lon: f64) -> Shape {
    Shape(geo::Geometry::Polygon(
        geo::Rect::new(
            geo::coord! { x: lon, y: 41.0 },
            geo::coord! { x: lon + 0.01, y: 41.01 },
        )
        .to_polygon(),
    ))
}

/// The fixture organisation with Kuzguncuk's boundary west of 29.01°E and Çengelköy's
/// east of it.
async fn setup() -> (Svc, TenantId) {
    let mbs = Mbs::new(
        MemoryStore::default(),
        ManualClock::new(fixtures::t0()),
        SeededRandom::new(7),
    );
    let mut org = fixtures::organisation("wk");
    org.boundaries = Boundaries(
        [
            ("kuzguncuk".parse().unwrap(), square(29.0)),
            ("cengelkoy".parse().unwrap(), square(29.01)),
        ]
        .into_iter()
        .collect(),
    );
    let t = org.tenant.id.clone();
    mbs.install_organisation(&Actor::system(t.clone()), org)
        .await
        .unwrap();
    (mbs, t)
}

fn actor(t: &TenantId, s: &str) -> Actor {
    Actor::parse(t, s).unwrap()
}

/// A water cut of `unit` at a point in Kuzguncuk, tomorrow for six hours.
fn water_cut(unit: &str) -> NewWork {
    let from = fixtures::t0() + Duration::days(1);
    NewWork::new(
        unit.parse().unwrap(),
        "Şebeke bakımı nedeniyle su kesintisi",
        WorkKind::WaterCut,
        Shape::point(29.005, 41.005),
        from,
        from + Duration::hours(6),
    )
    .with_contact("Alo 185")
}

async fn notices(mbs: &Svc, t: &TenantId) -> Vec<OutboxEntry> {
    mbs.store().outbox(t, None).await.unwrap()
}

#[tokio::test]
async fn a_units_work_reaches_the_muhtars_it_touches_once_per_version() {
    let (mbs, t) = setup().await;
    let staff = actor(&t, "unit:fen-isleri@veli");
    let w = mbs
        .publish_work(&staff, water_cut("fen-isleri"))
        .await
        .unwrap();
    assert_eq!(w.muhtarliklar, vec!["kuzguncuk".parse().unwrap()]);
    assert_eq!((w.version, w.status), (1, WorkStatus::Planned));
    assert_eq!(w.created_by, "unit:fen-isleri@veli");
    let sent = notices(&mbs, &t).await;
    let got: Vec<_> = sent
        .iter()
        .map(|e| {
            (
                e.message.kind,
                e.message.channel,
                e.message.recipient.as_str(),
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            (
                NoticeKind::WorkPublished,
                DeliveryChannel::Email,
                "ali.demir@muhtar.example"
            ),
            (
                NoticeKind::WorkPublished,
                DeliveryChannel::Sms,
                "+905321112233"
            ),
        ]
    );
    // Everyone reads it: the muhtar, another unit, the public.
    for who in ["muhtar:cengelkoy", "unit:park-bahce", "public", "auditor"] {
        assert_eq!(mbs.work(&actor(&t, who), w.id).await.unwrap(), w, "{who}");
        let mut q = WorkQuery::default();
        q.muhtarlik = Some("kuzguncuk".parse().unwrap());
        assert_eq!(
            mbs.works(&actor(&t, who), &q, 10).await.unwrap(),
            vec![w.clone()]
        );
    }
    // The work lasts longer, then moves to Çengelköy: each change notifies once.
    mbs.clock().advance(Duration::hours(1));
    let w2 = mbs
        .change_work(
            &actor(&t, "coordinator"),
            w.id,
            &WorkChange::new().ends_at(w.ends_at + Duration::hours(6)),
            Some(1),
        )
        .await
        .unwrap();
    assert_eq!(w2.version, 2);
    let w3 = mbs
        .change_work(
            &staff,
            w.id,
            &WorkChange::new().area(Shape::point(29.015, 41.005)),
            None,
        )
        .await
        .unwrap();
    assert_eq!(w3.muhtarliklar, vec!["cengelkoy".parse().unwrap()]);
    let mut changed: Vec<_> = notices(&mbs, &t)
        .await
        .into_iter()
        .filter(|e| e.message.kind == NoticeKind::WorkChanged)
        .map(|e| {
            let f = e.message.payload.work().unwrap().clone();
            (f.version, e.message.recipient, f.changed)
        })
        .collect();
    changed.sort();
    use muhtar_core::map::work::WorkField::{Area, EndsAt};
    assert_eq!(
        changed,
        vec![
            (2, "+905321112233".into(), vec![EndsAt]),
            (2, "ali.demir@muhtar.example".into(), vec![EndsAt]),
            // Moved away from Kuzguncuk: both muhtars hear.
            (3, "+905321112233".into(), vec![Area]),
            (3, "ali.demir@muhtar.example".into(), vec![Area]),
            (3, "sule.ozturk@muhtar.example".into(), vec![Area]),
        ]
    );
    // Closed: Çengelköy hears, by e-mail.
    let closed = mbs.close_work(&staff, w.id, Some(3)).await.unwrap();
    assert_eq!((closed.version, closed.status), (4, WorkStatus::Closed));
    let last: Vec<_> = notices(&mbs, &t)
        .await
        .into_iter()
        .filter(|e| e.message.kind == NoticeKind::WorkClosed)
        .map(|e| e.message.recipient)
        .collect();
    assert_eq!(last, vec!["sule.ozturk@muhtar.example".to_owned()]);
    assert!(matches!(
        mbs.close_work(&staff, w.id, None).await,
        Err(ServiceError::Work(WorkError::Closed { .. }))
    ));
    assert_eq!(notices(&mbs, &t).await.len(), 2 + 2 + 3 + 1);
}

#[tokio::test]
async fn only_the_unit_above_it_and_the_coordinator_write_a_units_works() {
    let (mbs, t) = setup().await;
    // Staff of Fen İşleri publish for Asfalt (below it); Asfalt's staff not for Fen İşleri.
    let w = mbs
        .publish_work(&actor(&t, "unit:fen-isleri"), water_cut("asfalt"))
        .await
        .unwrap();
    let e = mbs
        .publish_work(&actor(&t, "unit:asfalt"), water_cut("fen-isleri"))
        .await
        .unwrap_err();
    let ServiceError::Forbidden(AccessError::Forbidden { allowed, .. }) = &e else {
        panic!("{e:?}")
    };
    assert!(e.to_string().contains("çalışma duyurma"), "{e}");
    assert!(allowed
        .iter()
        .any(|a| a.code.as_deref() == Some("fen-isleri")));
    for who in [
        "muhtar:kuzguncuk",
        "unit:park-bahce",
        "auditor",
        "admin",
        "public",
    ] {
        let a = actor(&t, who);
        assert!(
            matches!(
                mbs.change_work(&a, w.id, &WorkChange::new().title("x"), None)
                    .await,
                Err(ServiceError::Forbidden(_))
            ),
            "{who}"
        );
        assert!(matches!(
            mbs.close_work(&a, w.id, None).await,
            Err(ServiceError::Forbidden(_))
        ));
    }
    // A stale version and an unknown work.
    assert!(matches!(
        mbs.close_work(&actor(&t, "coordinator"), w.id, Some(7))
            .await,
        Err(ServiceError::Conflict {
            expected: 7,
            actual: 1
        })
    ));
    let unknown = muhtar_core::map::work::WorkId(uuid::Uuid::nil());
    assert!(matches!(
        mbs.work(&actor(&t, "public"), unknown).await,
        Err(ServiceError::NotFound(_))
    ));
    // Bad input names the field; nothing is written.
    let mut bad = water_cut("asfalt");
    bad.area = Shape::point(2.35, 48.85);
    match mbs.publish_work(&actor(&t, "coordinator"), bad).await {
        Err(ServiceError::Input(i)) => assert_eq!(i.field(), "area"),
        other => panic!("{other:?}"),
    }
    let mut bad = water_cut("asfalt");
    bad.unit = "yok".parse().unwrap();
    assert!(matches!(
        mbs.publish_work(&actor(&t, "coordinator"), bad).await,
        Err(ServiceError::Forbidden(_)) | Err(ServiceError::Input(InputError::Unknown { .. }))
    ));
    assert_eq!(
        mbs.works(&actor(&t, "public"), &WorkQuery::default(), 100)
            .await
            .unwrap()
            .len(),
        1
    );
}

#[tokio::test]
async fn the_coordinator_sees_asphalt_laid_where_an_excavation_is_planned() {
    let (mbs, t) = setup().await;
    let coord = actor(&t, "coordinator");
    let now = fixtures::t0();
    let asphalt = NewWork::new(
        "asfalt".parse().unwrap(),
        "Paşalimanı Caddesi asfalt yenileme",
        WorkKind::RoadWorks,
        square(29.002),
        now,
        now + Duration::days(45),
    )
    .with_status(WorkStatus::Ongoing);
    let asphalt = mbs.publish_work(&coord, asphalt).await.unwrap();
    let dig = NewWork::new(
        "fen-isleri".parse().unwrap(),
        "İçme suyu hattı kazısı",
        WorkKind::Excavation,
        Shape(geo::Geometry::LineString(
            vec![(29.004, 41.004), (29.006, 41.006)].into(),
        )),
        now + Duration::days(30),
        now + Duration::days(40),
    );
    let dig = mbs.publish_work(&coord, dig).await.unwrap();
    // Another work of the asphalt unit on the same street: no clash with the asphalt; a
    // park event there at the same time clashes with both.
    let mut again = water_cut("asfalt");
    again.kind = WorkKind::RoadWorks;
    let again = mbs.publish_work(&coord, again).await.unwrap();
    let mut event = water_cut("park-bahce");
    event.kind = WorkKind::Event;
    let event = mbs.publish_work(&coord, event).await.unwrap();
    let c = mbs.clashes(&coord).await.unwrap();
    let mut pairs: Vec<_> = c
        .iter()
        .map(|c| {
            let mut p = [c.first_work.id, c.second_work.id];
            p.sort();
            p
        })
        .collect();
    pairs.sort();
    let mut want = vec![
        [asphalt.id, event.id],
        [asphalt.id, dig.id],
        [again.id, event.id],
    ];
    for p in &mut want {
        p.sort();
    }
    want.sort();
    assert_eq!(pairs, want);
    assert!(c.iter().any(
        |c| (c.first_work.id, c.second_work.id) == (asphalt.id, dig.id)
            && (c.clash.from, c.clash.until) == (dig.starts_at, dig.ends_at)
    ));
    for who in ["official", "auditor"] {
        assert_eq!(mbs.clashes(&actor(&t, who)).await.unwrap(), c);
    }
    for who in ["muhtar:kuzguncuk", "unit:asfalt", "public", "admin"] {
        assert!(matches!(
            mbs.clashes(&actor(&t, who)).await,
            Err(ServiceError::Forbidden(_))
        ));
    }
    // Closing the excavation ends its clash.
    mbs.close_work(&coord, dig.id, None).await.unwrap();
    let c = mbs.clashes(&coord).await.unwrap();
    assert!(c
        .iter()
        .all(|c| c.second_work.id != dig.id && c.first_work.id != dig.id));
}
