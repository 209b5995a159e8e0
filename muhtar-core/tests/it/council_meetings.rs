//! The council's meetings through the service (given/when/then over the in-memory store):
//! scheduling, attendance from the roll at the meeting's time, the minutes freezing the
//! meeting, access; a property: after the minutes, no command changes the meeting.

use chrono::Duration;
use muhtar_core::council::{MeetingError, MeetingId, MemberId, NewMeeting, NewMember};
use muhtar_core::ids::{MuhtarlikCode, SeededRandom};
use muhtar_core::prelude::*;
use muhtar_core::testkit::{fixtures, MemoryStore};
use proptest::prelude::*;

type Svc = Mbs<MemoryStore, ManualClock>;

fn actor(t: &TenantId, s: &str) -> Actor {
    Actor::parse(t, s).unwrap()
}

fn kuzguncuk() -> MuhtarlikCode {
    MuhtarlikCode::new("kuzguncuk").unwrap()
}

/// Given a council with `n` members (added at t0) and a meeting a day later.
async fn given(n: usize) -> (Svc, TenantId, Vec<MemberId>, MeetingId) {
    let mbs = Mbs::new(
        MemoryStore::default(),
        ManualClock::new(fixtures::t0()),
        SeededRandom::new(24),
    );
    let org = fixtures::organisation("meclis");
    let t = org.tenant.id.clone();
    mbs.install_organisation(&Actor::system(t.clone()), org)
        .await
        .unwrap();
    let muhtar = actor(&t, "muhtar:kuzguncuk");
    let mut ids = Vec::new();
    for i in 0..n {
        let m = mbs
            .add_member(
                &muhtar,
                &kuzguncuk(),
                NewMember {
                    name: format!("Sakin {i}"),
                    email: Some(format!("sakin{i}@example.org")),
                    ..NewMember::default()
                },
            )
            .await
            .unwrap();
        ids.push(m.id);
    }
    let meeting = mbs
        .add_meeting(&muhtar, &kuzguncuk(), new_meeting(1))
        .await
        .unwrap();
    (mbs, t, ids, meeting.id)
}

fn new_meeting(days: i64) -> NewMeeting {
    NewMeeting {
        at: fixtures::t0() + Duration::days(days),
        place: "Kuzguncuk muhtarlığı".into(),
        agenda: vec!["Parkın bakımı".into(), "Pazar yeri".into()],
        proposals: Vec::new(),
    }
}

#[tokio::test]
async fn the_muhtar_schedules_meetings_and_they_list_latest_first() {
    let (mbs, t, _, first) = given(0).await;
    let muhtar = actor(&t, "muhtar:kuzguncuk");
    let later = mbs
        .add_meeting(&muhtar, &kuzguncuk(), new_meeting(8))
        .await
        .unwrap();
    let listed: Vec<MeetingId> = mbs
        .meetings(&actor(&t, "auditor"), &kuzguncuk())
        .await
        .unwrap()
        .into_iter()
        .map(|m| m.id)
        .collect();
    assert_eq!(listed, vec![later.id, first]);
    assert_eq!(mbs.meeting(&muhtar, later.id).await.unwrap(), later);

    // Fields are checked by name; another muhtar neither writes nor sees the council.
    let e = mbs
        .add_meeting(
            &muhtar,
            &kuzguncuk(),
            NewMeeting {
                agenda: vec![],
                ..new_meeting(2)
            },
        )
        .await
        .unwrap_err();
    assert!(
        matches!(&e, ServiceError::Input(i) if i.field() == "agenda"),
        "{e}"
    );
    let other = actor(&t, "muhtar:cengelkoy");
    let e = mbs
        .add_meeting(&other, &kuzguncuk(), new_meeting(2))
        .await
        .unwrap_err();
    assert!(matches!(e, ServiceError::Forbidden(_)), "{e}");
    let e = mbs.meeting(&other, first).await.unwrap_err();
    assert!(matches!(e, ServiceError::NotFound(_)), "{e}");
    let e = mbs
        .record_minutes(&other, first, "Tutanak")
        .await
        .unwrap_err();
    assert!(matches!(e, ServiceError::NotFound(_)), "{e}");
    // The auditor reads but does not write.
    let e = mbs
        .set_attendance(&actor(&t, "auditor"), first, &[])
        .await
        .unwrap_err();
    assert!(matches!(e, ServiceError::Forbidden(_)), "{e}");
}

#[tokio::test]
async fn attendance_comes_from_the_roll_at_the_meetings_time() {
    let (mbs, t, ids, meeting) = given(3).await;
    let muhtar = actor(&t, "muhtar:kuzguncuk");
    // A member removed before the meeting was not on the roll then.
    mbs.clock().set(fixtures::t0() + Duration::hours(1));
    mbs.remove_member(&muhtar, ids[2]).await.unwrap();
    let e = mbs
        .set_attendance(&muhtar, meeting, &[ids[0], ids[2]])
        .await
        .unwrap_err();
    assert!(
        matches!(&e, ServiceError::Meeting(MeetingError::NotOnRoll { member }) if *member == ids[2].to_string()),
        "{e}"
    );
    // Another council's member is not on this roll either.
    let stranger = mbs
        .add_member(
            &actor(&t, "muhtar:cengelkoy"),
            &MuhtarlikCode::new("cengelkoy").unwrap(),
            NewMember {
                name: "Komşu".into(),
                email: Some("komsu@example.org".into()),
                ..NewMember::default()
            },
        )
        .await
        .unwrap();
    let e = mbs
        .set_attendance(&muhtar, meeting, &[stranger.id])
        .await
        .unwrap_err();
    assert!(
        matches!(e, ServiceError::Meeting(MeetingError::NotOnRoll { .. })),
        "{e}"
    );
    assert!(mbs
        .meeting(&muhtar, meeting)
        .await
        .unwrap()
        .attendance
        .is_empty());

    // Recorded, then replaced, sorted and each once.
    mbs.set_attendance(&muhtar, meeting, &[ids[1], ids[0], ids[1]])
        .await
        .unwrap();
    let mut want = vec![ids[0], ids[1]];
    want.sort();
    assert_eq!(
        mbs.meeting(&muhtar, meeting).await.unwrap().attendance,
        want
    );
    mbs.set_attendance(&muhtar, meeting, &[ids[1]])
        .await
        .unwrap();
    assert_eq!(
        mbs.meeting(&muhtar, meeting).await.unwrap().attendance,
        vec![ids[1]]
    );
}

#[tokio::test]
async fn the_minutes_freeze_the_meeting() {
    let (mbs, t, ids, meeting) = given(2).await;
    let muhtar = actor(&t, "muhtar:kuzguncuk");
    mbs.set_attendance(&muhtar, meeting, &[ids[0]])
        .await
        .unwrap();
    // Not before the meeting's time.
    let e = mbs
        .record_minutes(&muhtar, meeting, "Erken tutanak")
        .await
        .unwrap_err();
    assert!(
        matches!(e, ServiceError::Meeting(MeetingError::NotYet { .. })),
        "{e}"
    );
    assert!(!mbs.meeting(&muhtar, meeting).await.unwrap().held);

    let at = fixtures::t0() + Duration::days(1) + Duration::hours(2);
    mbs.clock().set(at);
    let e = mbs
        .record_minutes(&muhtar, meeting, " \n")
        .await
        .unwrap_err();
    assert!(
        matches!(&e, ServiceError::Input(i) if i.field() == "minutes"),
        "{e}"
    );
    let held = mbs
        .record_minutes(&muhtar, meeting, "Park için dilekçe verilecek.\n")
        .await
        .unwrap();
    assert!(held.held);
    let minutes = held.minutes.clone().unwrap();
    assert_eq!(minutes.text, "Park için dilekçe verilecek.");
    assert_eq!(minutes.recorded_at, at);
    assert!(minutes.intact());
    assert_eq!(mbs.meeting(&muhtar, meeting).await.unwrap(), held);

    for e in [
        mbs.set_attendance(&muhtar, meeting, &ids)
            .await
            .unwrap_err(),
        mbs.set_attendance(&muhtar, meeting, &[]).await.unwrap_err(),
        mbs.record_minutes(&muhtar, meeting, "Düzeltme")
            .await
            .unwrap_err(),
    ] {
        assert!(
            matches!(e, ServiceError::Meeting(MeetingError::Held { .. })),
            "{e}"
        );
    }
    assert_eq!(mbs.meeting(&muhtar, meeting).await.unwrap(), held);
}

#[derive(Debug, Clone)]
enum Command {
    Attendance(Vec<usize>),
    Minutes(String),
    Later(i64),
}

fn command() -> impl Strategy<Value = Command> {
    prop_oneof![
        proptest::collection::vec(0usize..4, 0..4).prop_map(Command::Attendance),
        "[a-zçğıöşü \n]{0,40}".prop_map(Command::Minutes),
        (1i64..100).prop_map(Command::Later),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]
    /// Whatever commands follow the minutes (attendance, more minutes, time passing), the
    /// meeting stays exactly as it was when they were recorded, and each write is refused
    /// as held (blank minutes too: the meeting is checked first).
    #[test]
    fn nothing_changes_a_held_meeting(
        before in proptest::collection::vec(0usize..4, 0..4),
        commands in proptest::collection::vec(command(), 1..12),
    ) {
        let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
        rt.block_on(async {
            let (mbs, t, ids, meeting) = given(4).await;
            let muhtar = actor(&t, "muhtar:kuzguncuk");
            let pick = |ix: &[usize]| ix.iter().map(|i| ids[*i]).collect::<Vec<_>>();
            mbs.set_attendance(&muhtar, meeting, &pick(&before)).await.unwrap();
            mbs.clock().set(fixtures::t0() + Duration::days(2));
            let held = mbs.record_minutes(&muhtar, meeting, "Tutanak").await.unwrap();
            for c in commands {
                let r = match &c {
                    Command::Attendance(ix) => {
                        mbs.set_attendance(&muhtar, meeting, &pick(ix)).await.map(|_| ())
                    }
                    Command::Minutes(text) => {
                        mbs.record_minutes(&muhtar, meeting, text).await.map(|_| ())
                    }
                    Command::Later(h) => {
                        mbs.clock().advance(Duration::hours(*h));
                        Ok(())
                    }
                };
                if !matches!(c, Command::Later(_)) {
                    prop_assert!(
                        matches!(r, Err(ServiceError::Meeting(MeetingError::Held { .. }))),
                        "{c:?}: {r:?}"
                    );
                }
                prop_assert_eq!(&mbs.meeting(&muhtar, meeting).await.unwrap(), &held);
            }
            Ok(())
        })?;
    }
}

/// Given proposals of two councils, one of Kuzguncuk's put on the agenda: when the muhtar
/// schedules a meeting naming it, then it is the meeting's first agenda item, linked;
/// a proposal still open, another council's, an unknown one or one named twice is
/// refused by the field `proposals`, and nothing is written.
#[tokio::test]
async fn agenda_items_link_the_proposals_on_the_councils_agenda() {
    use muhtar_core::council::{Author, NewProposal, ProposalId};
    let (mbs, t, _, first) = given(0).await;
    let muhtar = actor(&t, "muhtar:kuzguncuk");
    let propose = |who: Actor, m: MuhtarlikCode, title: &str| {
        let mbs = &mbs;
        let title = title.to_owned();
        async move {
            mbs.propose(
                &who,
                &m,
                NewProposal {
                    author: Author::Muhtar,
                    title,
                    text: "Gerekçesi".into(),
                    location: None,
                },
            )
            .await
            .unwrap()
        }
    };
    let park = propose(muhtar.clone(), kuzguncuk(), "Parka bank konulsun").await;
    let open = propose(muhtar.clone(), kuzguncuk(), "Sokak lambaları").await;
    let other = propose(
        actor(&t, "muhtar:cengelkoy"),
        MuhtarlikCode::new("cengelkoy").unwrap(),
        "Çengelköy'ün önerisi",
    )
    .await;
    mbs.put_on_agenda(&muhtar, park.id).await.unwrap();
    mbs.put_on_agenda(&actor(&t, "muhtar:cengelkoy"), other.id)
        .await
        .unwrap();

    let meeting = mbs
        .add_meeting(
            &muhtar,
            &kuzguncuk(),
            NewMeeting {
                agenda: vec![],
                proposals: vec![park.id],
                ..new_meeting(3)
            },
        )
        .await
        .unwrap();
    assert_eq!(
        meeting.agenda,
        vec!["Öneri: Parka bank konulsun".to_owned()]
    );
    assert_eq!(meeting.proposals, vec![park.id]);
    let with_items = mbs
        .add_meeting(
            &muhtar,
            &kuzguncuk(),
            NewMeeting {
                proposals: vec![park.id],
                ..new_meeting(4)
            },
        )
        .await
        .unwrap();
    assert_eq!(
        with_items.agenda,
        ["Öneri: Parka bank konulsun", "Parkın bakımı", "Pazar yeri"]
    );
    assert_eq!(mbs.meeting(&muhtar, meeting.id).await.unwrap(), meeting);

    let before = mbs.meetings(&muhtar, &kuzguncuk()).await.unwrap();
    for (named, says) in [
        (vec![open.id], "not on the agenda"),
        (vec![other.id], "not a proposal of this council"),
        (
            vec![ProposalId(uuid::Uuid::from_u128(7))],
            "not a proposal of this council",
        ),
        (vec![park.id, park.id], "named twice"),
    ] {
        let e = mbs
            .add_meeting(
                &muhtar,
                &kuzguncuk(),
                NewMeeting {
                    proposals: named,
                    ..new_meeting(5)
                },
            )
            .await
            .unwrap_err();
        assert!(
            matches!(&e, ServiceError::Input(i) if i.field() == "proposals"),
            "{e}"
        );
        assert!(e.to_string().contains(says), "{e}");
    }
    assert_eq!(mbs.meetings(&muhtar, &kuzguncuk()).await.unwrap(), before);
    assert!(before.iter().any(|m| m.id == first));
}
