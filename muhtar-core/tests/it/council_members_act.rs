//! Council members acting for themselves through the service (given/when/then over the
//! in-memory store): a member (`member:<kod>@<member id>`) proposes, supports, comments and
//! casts their own ballot, reads the council with names only, and is refused whatever is
//! the muhtar's (acting for another member, the agenda, hiding) or another council's.

use chrono::Duration;
use muhtar_core::council::{
    Author, MemberId, NewMeeting, NewMember, NewProposal, NewVote, ProposalStatus,
};
use muhtar_core::ids::{MuhtarlikCode, SeededRandom};
use muhtar_core::prelude::*;
use muhtar_core::service::Cast;
use muhtar_core::testkit::{fixtures, MemoryStore};

type Svc = Mbs<MemoryStore, ManualClock>;

fn actor(t: &TenantId, s: &str) -> Actor {
    Actor::parse(t, s).unwrap()
}

fn code(s: &str) -> MuhtarlikCode {
    MuhtarlikCode::new(s).unwrap()
}

/// A tenant with the fixtures' organisation and `n` members of Kuzguncuk's council; each
/// member's own actor.
async fn given(n: usize) -> (Svc, TenantId, Vec<MemberId>, Vec<Actor>) {
    let mbs = Mbs::new(
        MemoryStore::default(),
        ManualClock::new(fixtures::t0()),
        SeededRandom::new(24),
    );
    let org = fixtures::organisation("uyeler");
    let t = org.tenant.id.clone();
    mbs.install_organisation(&Actor::system(t.clone()), org)
        .await
        .unwrap();
    let muhtar = actor(&t, "muhtar:kuzguncuk");
    let mut ids = Vec::new();
    for i in 0..n {
        let new = NewMember {
            name: format!("Sakin {i}"),
            email: Some(format!("sakin{i}@example.org")),
            phone: Some("0532 123 45 67".into()),
            ..NewMember::default()
        };
        ids.push(
            mbs.add_member(&muhtar, &code("kuzguncuk"), new)
                .await
                .unwrap()
                .id,
        );
    }
    let actors = ids
        .iter()
        .map(|id| actor(&t, &format!("member:kuzguncuk@{id}")))
        .collect();
    (mbs, t, ids, actors)
}

fn proposal(author: Author) -> NewProposal {
    NewProposal {
        author,
        title: "Parka bank konulsun".into(),
        text: "Çocuk parkında oturacak yer yok.".into(),
        location: None,
    }
}

fn forbidden(e: &ServiceError) -> bool {
    matches!(e, ServiceError::Forbidden(_))
}

#[tokio::test]
async fn a_member_proposes_supports_and_comments_as_themselves_only() {
    // Given two members of Kuzguncuk's council.
    let (mbs, t, ids, me) = given(2).await;
    let muhtar = actor(&t, "muhtar:kuzguncuk");

    // When the first proposes as themselves, the proposal is theirs.
    let p = mbs
        .propose(&me[0], &code("kuzguncuk"), proposal(Author::Member(ids[0])))
        .await
        .unwrap();
    assert_eq!(p.author, Author::Member(ids[0]));

    // Then proposing as the other member, or as the muhtar, is refused.
    for author in [Author::Member(ids[1]), Author::Muhtar] {
        let e = mbs
            .propose(&me[0], &code("kuzguncuk"), proposal(author))
            .await
            .unwrap_err();
        assert!(forbidden(&e), "{author:?}: {e}");
    }

    // A member supports once, as themselves; not for the other member.
    let s = mbs.support(&me[1], p.id, ids[1]).await.unwrap();
    assert_eq!(s.supports, 1);
    let e = mbs.support(&me[1], p.id, ids[0]).await.unwrap_err();
    assert!(forbidden(&e), "{e}");

    // Comments: their own yes, the other's or the muhtar's no.
    let c = mbs
        .comment(&me[1], p.id, Author::Member(ids[1]), "Katılıyorum.")
        .await
        .unwrap();
    assert_eq!(c.author, Author::Member(ids[1]));
    for author in [Author::Member(ids[0]), Author::Muhtar] {
        let e = mbs
            .comment(&me[1], p.id, author, "Başkası adına")
            .await
            .unwrap_err();
        assert!(forbidden(&e), "{author:?}: {e}");
    }

    // The agenda and hiding stay the muhtar's.
    let e = mbs.put_on_agenda(&me[0], p.id).await.unwrap_err();
    assert!(forbidden(&e), "{e}");
    let e = mbs
        .hide_comment(&me[0], p.id, c.id, "Konu dışı")
        .await
        .unwrap_err();
    assert!(forbidden(&e), "{e}");
    let on = mbs.put_on_agenda(&muhtar, p.id).await.unwrap();
    assert_eq!(on.status, ProposalStatus::OnAgenda);

    // And the muhtar keeps recording for members.
    let q = mbs
        .propose(
            &muhtar,
            &code("kuzguncuk"),
            proposal(Author::Member(ids[1])),
        )
        .await
        .unwrap();
    mbs.support(&muhtar, q.id, ids[0]).await.unwrap();
    assert_eq!(mbs.proposal(&me[0], q.id).await.unwrap().supports, 1);
    assert_eq!(mbs.comments(&me[0], p.id).await.unwrap().len(), 1);
}

#[tokio::test]
async fn a_member_casts_their_own_ballot_and_checks_the_receipt() {
    // Given an open, changeable vote of two members.
    let (mbs, t, ids, me) = given(2).await;
    let muhtar = actor(&t, "muhtar:kuzguncuk");
    let mut new = NewVote::new("Parkın adı", fixtures::t0() + Duration::days(1));
    new.changeable = true;
    let v = mbs
        .open_vote(&muhtar, &code("kuzguncuk"), new)
        .await
        .unwrap();

    // When a member casts for the other member, it is refused and nothing is stored.
    let e = mbs
        .cast_ballot(&me[0], v.id, ids[1], "Kabul")
        .await
        .unwrap_err();
    assert!(forbidden(&e), "{e}");

    // Then their own ballot gives a receipt, and casting again changes it.
    let Cast::New(receipt) = mbs
        .cast_ballot(&me[0], v.id, ids[0], "Kabul")
        .await
        .unwrap()
    else {
        panic!("a first ballot gives a receipt")
    };
    assert_eq!(
        mbs.cast_ballot(&me[0], v.id, ids[0], "Ret").await.unwrap(),
        Cast::Changed
    );
    // The muhtar still records the other member's ballot.
    mbs.cast_ballot(&muhtar, v.id, ids[1], "Kabul")
        .await
        .unwrap();

    // After closing, the member reads the result and finds their ballot counted.
    mbs.clock().advance(Duration::days(2));
    let e = mbs.close_vote(&me[0], v.id).await.unwrap_err();
    assert!(forbidden(&e), "{e}");
    mbs.close_vote(&muhtar, v.id).await.unwrap();
    let result = mbs.vote_result(&me[1], v.id).await.unwrap();
    assert_eq!(result.cast, 2);
    let (choice, counted) = mbs.verify_receipt(&me[0], v.id, &receipt).await.unwrap();
    assert_eq!((choice.as_str(), counted), ("Ret", true));
}

#[tokio::test]
async fn a_member_reads_their_council_with_names_only_and_no_other_council() {
    // Given a member of Kuzguncuk, a vote, a proposal and a meeting there.
    let (mbs, t, ids, me) = given(2).await;
    let muhtar = actor(&t, "muhtar:kuzguncuk");
    mbs.open_vote(
        &muhtar,
        &code("kuzguncuk"),
        NewVote::new("Park", fixtures::t0() + Duration::days(1)),
    )
    .await
    .unwrap();
    let meeting = mbs
        .add_meeting(
            &muhtar,
            &code("kuzguncuk"),
            NewMeeting {
                at: fixtures::t0() + Duration::days(3),
                place: "Muhtarlık".into(),
                agenda: vec!["Park".into()],
                proposals: Vec::new(),
            },
        )
        .await
        .unwrap();

    // When the member reads the council, they see votes, meetings and the roll's names.
    assert_eq!(
        mbs.votes(&me[0], &code("kuzguncuk")).await.unwrap().len(),
        1
    );
    assert_eq!(
        mbs.meeting(&me[0], meeting.id).await.unwrap().id,
        meeting.id
    );
    let roll = mbs.roll(&me[0], &code("kuzguncuk")).await.unwrap();
    assert_eq!(
        roll.iter().map(|m| m.id).collect::<Vec<_>>(),
        ids,
        "the roll names every member"
    );
    assert_eq!(roll[1].name, "Sakin 1");

    // Then the contacts are refused them (the type they read has none).
    let e = mbs.members(&me[0], &code("kuzguncuk")).await.unwrap_err();
    assert!(forbidden(&e), "{e}");
    assert_eq!(
        mbs.members(&muhtar, &code("kuzguncuk"))
            .await
            .unwrap()
            .len(),
        2
    );

    // And another council is closed to them, as is the meeting's writing.
    for e in [
        mbs.votes(&me[0], &code("cengelkoy")).await.unwrap_err(),
        mbs.roll(&me[0], &code("cengelkoy")).await.unwrap_err(),
        mbs.proposals(&me[0], &code("cengelkoy")).await.unwrap_err(),
        mbs.meetings(&me[0], &code("cengelkoy")).await.unwrap_err(),
        mbs.set_attendance(&me[0], meeting.id, &ids)
            .await
            .unwrap_err(),
    ] {
        assert!(forbidden(&e), "{e}");
    }
    let e = mbs
        .propose(&me[0], &code("cengelkoy"), proposal(Author::Member(ids[0])))
        .await
        .unwrap_err();
    assert!(forbidden(&e), "{e}");
}

#[tokio::test]
async fn a_removed_member_no_longer_takes_part() {
    // Given a member taken off the roll.
    let (mbs, t, ids, me) = given(1).await;
    let muhtar = actor(&t, "muhtar:kuzguncuk");
    mbs.remove_member(&muhtar, ids[0]).await.unwrap();
    mbs.clock().advance(Duration::minutes(1));

    // When they propose as themselves, then the roll refuses them.
    let e = mbs
        .propose(&me[0], &code("kuzguncuk"), proposal(Author::Member(ids[0])))
        .await
        .unwrap_err();
    assert!(
        matches!(
            e,
            ServiceError::Council(muhtar_core::council::CouncilError::NotOnRoll { .. })
        ),
        "{e}"
    );
}
