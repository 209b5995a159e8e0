//! The conformance checks of [`crate::store::MeetingStore`]: meetings round-trip and list
//! by time within their tenant and council; recording the minutes freezes a meeting (its
//! attendance and minutes refused afterwards, nothing changed); of concurrent
//! `record_minutes` exactly one wins. That a held meeting's row is never changed or
//! deleted by other means is the databases' own (triggers): each store crate tests it.

use chrono::{DateTime, Duration, Utc};
use uuid::Uuid;

use super::super::fixtures::{t0, tenant};
use super::council_muhtarlik;
use super::documents::join_all;
use crate::council::{Meeting, MeetingId, MemberId, Minutes, NewMeeting};
use crate::store::{Store, StoreError, StoreErrorKind};

/// Meeting number `n` (its id is the UUID `n`) of tenant `t`'s council of `muhtarlik`, at
/// `at`, scheduled an hour before.
pub fn council_meeting(t: &str, muhtarlik: &str, n: u128, at: DateTime<Utc>) -> Meeting {
    NewMeeting {
        at,
        place: format!("Muhtarlık binası, salon {n}"),
        agenda: vec![format!("Gündem {n}: park"), "Çöp toplama saatleri".into()],
        proposals: Vec::new(),
    }
    .validate(
        MeetingId(Uuid::from_u128(n)),
        tenant(t),
        council_muhtarlik(muhtarlik),
        at - Duration::hours(1),
    )
    .unwrap_or_else(|e| panic!("{e}"))
}

fn members(ns: &[u128]) -> Vec<MemberId> {
    ns.iter().map(|n| MemberId(Uuid::from_u128(*n))).collect()
}

/// Meetings round-trip exactly (minutes with their hash, nanoseconds included); a council's
/// meetings list the latest `at` first (then by id, descending), within its tenant and
/// muhtarlık; a taken id is a duplicate; a missing meeting is not found, also to
/// `set_attendance` and `record_minutes`.
pub async fn council_meeting_round_trips_and_order<S: Store>(s: &S) {
    let (a, b) = ("toplanti-a", "toplanti-b");
    let (ta, tb) = (tenant(a), tenant(b));
    let kuz = council_muhtarlik("kuzguncuk");
    let h = Duration::hours(1);
    let m1 = council_meeting(a, "kuzguncuk", 5, t0() + h);
    let m2 = council_meeting(a, "kuzguncuk", 9, t0() + h * 3);
    let m3 = council_meeting(a, "kuzguncuk", 3, t0() + h * 3);
    let m4 = council_meeting(a, "kuzguncuk", 1, t0() + h + Duration::nanoseconds(1));
    let other_muhtarlik = council_meeting(a, "icadiye", 2, t0());
    let other_tenant = council_meeting(b, "kuzguncuk", 7, t0());
    for m in [&m1, &m2, &m3, &m4, &other_muhtarlik, &other_tenant] {
        s.put_meeting(m).await.unwrap();
    }
    let ids = |v: Vec<Meeting>| v.into_iter().map(|m| m.id).collect::<Vec<_>>();
    assert_eq!(
        ids(s.meetings(&ta, &kuz).await.unwrap()),
        vec![m2.id, m3.id, m4.id, m1.id]
    );
    assert_eq!(
        ids(s.meetings(&tb, &kuz).await.unwrap()),
        vec![other_tenant.id]
    );
    assert_eq!(s.meeting(&ta, m4.id).await.unwrap(), m4);
    let dup = s.put_meeting(&m1).await.unwrap_err();
    assert_eq!(dup.kind(), StoreErrorKind::Duplicate, "{dup:?}");

    // Attendance and minutes round-trip, with text that needs care.
    s.set_attendance(&ta, m1.id, &members(&[4, 2, 4]))
        .await
        .unwrap();
    let minutes = Minutes::new(
        "Toplantı 19.00'da açıldı.\n\"Park\" maddesi: oy birliği; ğüşiöç ĞÜŞİÖÇ 'x' -- ;",
        t0() + h * 2 + Duration::nanoseconds(7),
    )
    .unwrap();
    s.record_minutes(&ta, m1.id, &minutes).await.unwrap();
    let stored = s.meeting(&ta, m1.id).await.unwrap();
    assert_eq!(stored.attendance, members(&[2, 4]));
    assert_eq!(stored.minutes.as_ref(), Some(&minutes));
    assert!(stored.held);
    assert!(minutes.intact());
    let listed = s.meetings(&ta, &kuz).await.unwrap();
    assert_eq!(listed.iter().find(|m| m.id == m1.id), Some(&stored));

    // Another tenant's meeting is not found, nor is a missing one.
    let missing = MeetingId(Uuid::from_u128(404));
    for r in [
        s.meeting(&tb, m1.id).await.map(|_| ()),
        s.meeting(&ta, missing).await.map(|_| ()),
        s.set_attendance(&tb, m2.id, &members(&[1])).await,
        s.record_minutes(&ta, missing, &minutes).await,
    ] {
        assert!(matches!(r, Err(StoreError::NotFound { .. })), "{r:?}");
    }
    assert!(s.meeting(&ta, m2.id).await.unwrap().attendance.is_empty());
}

/// Recording the minutes freezes the meeting: until then the attendance may be replaced;
/// afterwards `set_attendance` and `record_minutes` are `Frozen` and the stored meeting
/// stays as it was.
pub async fn council_meeting_minutes_freeze_the_meeting<S: Store>(s: &S) {
    let t = "toplanti-donar";
    let tid = tenant(t);
    let m = council_meeting(t, "kuzguncuk", 1, t0());
    s.put_meeting(&m).await.unwrap();
    s.set_attendance(&tid, m.id, &members(&[1, 2, 3]))
        .await
        .unwrap();
    s.set_attendance(&tid, m.id, &members(&[3, 1]))
        .await
        .unwrap();
    assert_eq!(
        s.meeting(&tid, m.id).await.unwrap().attendance,
        members(&[1, 3])
    );
    let minutes = Minutes::new("Tutanak: park onaylandı.", t0() + Duration::hours(2)).unwrap();
    s.record_minutes(&tid, m.id, &minutes).await.unwrap();
    let held = s.meeting(&tid, m.id).await.unwrap();
    assert!(held.held);
    assert_eq!(held.attendance, members(&[1, 3]));
    assert_eq!(held.minutes.as_ref(), Some(&minutes));

    let other = Minutes::new("Başka bir tutanak.", t0() + Duration::hours(3)).unwrap();
    for r in [
        s.set_attendance(&tid, m.id, &members(&[2])).await,
        s.set_attendance(&tid, m.id, &[]).await,
        s.record_minutes(&tid, m.id, &other).await,
        s.record_minutes(&tid, m.id, &minutes).await,
    ] {
        assert!(matches!(r, Err(StoreError::Frozen { .. })), "{r:?}");
    }
    assert_eq!(s.meeting(&tid, m.id).await.unwrap(), held);
    // Another meeting of the council is not frozen by it.
    let next = council_meeting(t, "kuzguncuk", 2, t0() + Duration::days(7));
    s.put_meeting(&next).await.unwrap();
    s.set_attendance(&tid, next.id, &members(&[2]))
        .await
        .unwrap();
}

/// Of several concurrent `record_minutes` of one meeting (several rounds), exactly one is
/// acknowledged, the others are `Frozen`, and the stored minutes are the winner's.
pub async fn council_meeting_one_minutes_under_concurrency<S: Store>(s: &S) {
    for round in 0..5u128 {
        let t = format!("toplanti-yaris-{round}");
        let tid = tenant(&t);
        let m = council_meeting(&t, "kuzguncuk", 1, t0());
        s.put_meeting(&m).await.unwrap();
        let texts: Vec<Minutes> = (0..2 + round as usize)
            .map(|i| {
                Minutes::new(
                    &format!("Tutanak {i}, tur {round}"),
                    t0() + Duration::hours(1),
                )
                .unwrap()
            })
            .collect();
        let results = join_all(
            texts
                .iter()
                .map(|mi| {
                    let tid = &tid;
                    Box::pin(async move { s.record_minutes(tid, m.id, mi).await })
                })
                .collect(),
        )
        .await;
        let mut winners = Vec::new();
        for (mi, r) in texts.iter().zip(results) {
            match r {
                Ok(()) => winners.push(mi.clone()),
                Err(StoreError::Frozen { .. }) => {}
                Err(e) => panic!("round {round}: {e:?}"),
            }
        }
        assert_eq!(winners.len(), 1, "round {round}: exactly one wins");
        let stored = s.meeting(&tid, m.id).await.unwrap();
        assert!(stored.held);
        assert_eq!(stored.minutes, Some(winners.remove(0)), "round {round}");
    }
}
