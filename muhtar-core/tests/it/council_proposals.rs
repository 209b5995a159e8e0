//! The council's agenda through the service (given/when/then over the in-memory store):
//! proposals, supports up to the threshold, the muhtar's agenda decision, comments hidden
//! with a reason; and, as a property, that supports never exceed the members and the
//! agenda moment is the threshold-th support.

use std::sync::Arc;

use muhtar_core::council::{
    AgendaReason, Author, CouncilError, MemberId, NewMember, NewProposal, Proposal, ProposalStatus,
};
use muhtar_core::ids::{MuhtarlikCode, SeededRandom};
use muhtar_core::prelude::*;
use muhtar_core::testkit::{fixtures, MemoryStore};
use proptest::prelude::*;
use uuid::Uuid;

type Svc = Mbs<MemoryStore, ManualClock>;

fn actor(t: &TenantId, s: &str) -> Actor {
    Actor::parse(t, s).unwrap()
}

fn code(s: &str) -> MuhtarlikCode {
    MuhtarlikCode::new(s).unwrap()
}

/// A tenant with the fixtures' organisation and, if given, `support_threshold`.
async fn given(threshold: Option<u32>) -> (Svc, TenantId) {
    let mbs = Mbs::new(
        MemoryStore::default(),
        ManualClock::new(fixtures::t0()),
        SeededRandom::new(24),
    );
    let org = fixtures::organisation("gundem");
    let t = org.tenant.id.clone();
    mbs.install_organisation(&Actor::system(t.clone()), org)
        .await
        .unwrap();
    if let Some(n) = threshold {
        let toml = format!("[council]\nsupport_threshold = {n}\n");
        mbs.install_settings(&actor(&t, "admin"), &toml)
            .await
            .unwrap();
    }
    (mbs, t)
}

/// `n` members of the council of `muhtarlik`, registered by its muhtar.
async fn members(mbs: &Svc, t: &TenantId, muhtarlik: &str, n: usize) -> Vec<MemberId> {
    let muhtar = actor(t, &format!("muhtar:{muhtarlik}"));
    let mut out = Vec::new();
    for i in 0..n {
        let new = NewMember {
            name: format!("Sakin {i}"),
            email: Some(format!("sakin{i}@example.org")),
            ..NewMember::default()
        };
        out.push(
            mbs.add_member(&muhtar, &code(muhtarlik), new)
                .await
                .unwrap()
                .id,
        );
    }
    out
}

fn new_proposal(author: Author) -> NewProposal {
    NewProposal {
        author,
        title: "Parka bank konulsun".into(),
        text: "Çocuk parkında oturacak yer yok.".into(),
        location: None,
    }
}

async fn proposed(mbs: &Svc, t: &TenantId, author: Author) -> Proposal {
    mbs.propose(
        &actor(t, "muhtar:kuzguncuk"),
        &code("kuzguncuk"),
        new_proposal(author),
    )
    .await
    .unwrap()
}

#[tokio::test]
async fn the_threshold_th_support_puts_a_proposal_on_the_agenda() {
    // Given a council with a threshold of 3 and four members, and a member's proposal.
    let (mbs, t) = given(Some(3)).await;
    let ids = members(&mbs, &t, "kuzguncuk", 4).await;
    let muhtar = actor(&t, "muhtar:kuzguncuk");
    let p = proposed(&mbs, &t, Author::Member(ids[0])).await;
    assert_eq!((p.status, p.supports), (ProposalStatus::Open, 0));

    // When members support it, the third support puts it on the agenda, then.
    for (i, m) in ids.iter().enumerate() {
        mbs.clock().advance(chrono::Duration::minutes(1));
        let s = mbs.support(&muhtar, p.id, *m).await.unwrap();
        assert_eq!(
            (s.supports, s.proposal.supports),
            (i as u32 + 1, i as u32 + 1)
        );
        assert_eq!(s.put_on_agenda, i == 2, "support {i}");
        if i == 2 {
            assert_eq!(s.proposal.on_agenda_at, Some(mbs.clock().now()));
        }
    }
    let stored = mbs.proposal(&muhtar, p.id).await.unwrap();
    assert_eq!(stored.status, ProposalStatus::OnAgenda);
    assert_eq!(stored.agenda_reason, Some(AgendaReason::Threshold));
    assert_eq!(
        stored.on_agenda_at,
        Some(fixtures::t0() + chrono::Duration::minutes(3))
    );
    assert_eq!(stored.supports, 4);

    // Then a second support of a member, and the muhtar's agenda decision, are refused.
    let e = mbs.support(&muhtar, p.id, ids[1]).await.unwrap_err();
    assert!(
        matches!(&e, ServiceError::Council(CouncilError::AlreadySupported { member }) if *member == ids[1].to_string()),
        "{e}"
    );
    let e = mbs.put_on_agenda(&muhtar, p.id).await.unwrap_err();
    assert!(
        matches!(e, ServiceError::Council(CouncilError::OnAgendaAlready)),
        "{e}"
    );
    assert_eq!(mbs.proposal(&muhtar, p.id).await.unwrap(), stored);
}

#[tokio::test]
async fn the_muhtar_puts_a_proposal_on_the_agenda_and_others_only_read() {
    // Given the default threshold (10) and the muhtar's own proposal.
    let (mbs, t) = given(None).await;
    let ids = members(&mbs, &t, "kuzguncuk", 2).await;
    let muhtar = actor(&t, "muhtar:kuzguncuk");
    let p = proposed(&mbs, &t, Author::Muhtar).await;
    let s = mbs.support(&muhtar, p.id, ids[0]).await.unwrap();
    assert!(!s.put_on_agenda);

    // Other councils' muhtars and units may not write; a muhtar of another council does
    // not even see the proposal.
    let other = actor(&t, "muhtar:cengelkoy");
    let e = mbs
        .propose(&other, &code("kuzguncuk"), new_proposal(Author::Muhtar))
        .await
        .unwrap_err();
    assert!(matches!(e, ServiceError::Forbidden(_)), "{e}");
    for e in [
        mbs.support(&other, p.id, ids[1]).await.map(|_| ()),
        mbs.put_on_agenda(&other, p.id).await.map(|_| ()),
        mbs.proposal(&other, p.id).await.map(|_| ()),
    ] {
        assert!(matches!(e, Err(ServiceError::NotFound(_))), "{e:?}");
    }
    let auditor = actor(&t, "auditor");
    let e = mbs.put_on_agenda(&auditor, p.id).await.unwrap_err();
    assert!(matches!(e, ServiceError::Forbidden(_)), "{e}");
    // An unknown muhtarlık is an input error naming the field.
    let e = mbs
        .propose(&muhtar, &code("yok"), new_proposal(Author::Muhtar))
        .await
        .unwrap_err();
    assert!(
        matches!(&e, ServiceError::Input(i) if i.field() == "muhtarlik"),
        "{e}"
    );

    // When the muhtar puts it on the agenda with one support.
    mbs.clock().advance(chrono::Duration::hours(1));
    let on = mbs.put_on_agenda(&muhtar, p.id).await.unwrap();

    // Then it is on the agenda by the muhtar's decision, and readers see it.
    assert_eq!(on.status, ProposalStatus::OnAgenda);
    assert_eq!(on.agenda_reason, Some(AgendaReason::Muhtar));
    assert_eq!(on.supports, 1);
    assert_eq!(
        mbs.proposals(&auditor, &code("kuzguncuk")).await.unwrap(),
        vec![on]
    );
}

#[tokio::test]
async fn members_off_the_roll_neither_propose_nor_support_nor_comment() {
    let (mbs, t) = given(Some(2)).await;
    let ids = members(&mbs, &t, "kuzguncuk", 2).await;
    let elsewhere = members(&mbs, &t, "cengelkoy", 1).await;
    let muhtar = actor(&t, "muhtar:kuzguncuk");
    mbs.remove_member(&muhtar, ids[1]).await.unwrap();
    let p = proposed(&mbs, &t, Author::Member(ids[0])).await;
    let unknown = MemberId(Uuid::from_u128(42));
    for m in [ids[1], elsewhere[0], unknown] {
        let not_on_roll = |e: &ServiceError| matches!(e, ServiceError::Council(CouncilError::NotOnRoll { member }) if *member == m.to_string());
        let e = mbs
            .propose(&muhtar, &code("kuzguncuk"), new_proposal(Author::Member(m)))
            .await
            .unwrap_err();
        assert!(not_on_roll(&e), "{e}");
        let e = mbs.support(&muhtar, p.id, m).await.unwrap_err();
        assert!(not_on_roll(&e), "{e}");
        let e = mbs
            .comment(&muhtar, p.id, Author::Member(m), "Katılıyorum")
            .await
            .unwrap_err();
        assert!(not_on_roll(&e), "{e}");
    }
    assert_eq!(mbs.proposal(&muhtar, p.id).await.unwrap().supports, 0);
    assert_eq!(
        mbs.proposals(&muhtar, &code("kuzguncuk")).await.unwrap(),
        vec![p]
    );
}

#[tokio::test]
async fn comments_are_hidden_with_a_reason_and_kept() {
    // Given a proposal with two comments, and another proposal with one.
    let (mbs, t) = given(None).await;
    let ids = members(&mbs, &t, "kuzguncuk", 1).await;
    let muhtar = actor(&t, "muhtar:kuzguncuk");
    let p = proposed(&mbs, &t, Author::Muhtar).await;
    let q = proposed(&mbs, &t, Author::Muhtar).await;
    let c1 = mbs
        .comment(
            &muhtar,
            p.id,
            Author::Member(ids[0]),
            "Hakaret içeren yorum",
        )
        .await
        .unwrap();
    mbs.clock().advance(chrono::Duration::minutes(1));
    let c2 = mbs
        .comment(&muhtar, p.id, Author::Muhtar, " Katılıyorum ")
        .await
        .unwrap();
    assert_eq!(c2.text, "Katılıyorum");
    let on_q = mbs
        .comment(&muhtar, q.id, Author::Muhtar, "Başka öneri")
        .await
        .unwrap();
    let e = mbs
        .comment(&muhtar, p.id, Author::Muhtar, "  ")
        .await
        .unwrap_err();
    assert!(
        matches!(&e, ServiceError::Input(i) if i.field() == "text"),
        "{e}"
    );

    // When the muhtar hides the first, without and then with a reason, and again.
    let e = mbs
        .hide_comment(&muhtar, p.id, c1.id, "")
        .await
        .unwrap_err();
    assert!(
        matches!(&e, ServiceError::Input(i) if i.field() == "reason"),
        "{e}"
    );
    let hidden = mbs
        .hide_comment(&muhtar, p.id, c1.id, "Hakaret")
        .await
        .unwrap();
    let again = mbs
        .hide_comment(&muhtar, p.id, c1.id, "Başka sebep")
        .await
        .unwrap();

    // Then it is kept, with the first reason and who hid it; the others are untouched; a
    // comment is hidden only through its own proposal; readers see the hiding.
    let h = hidden.hidden.clone().unwrap();
    assert_eq!(
        (h.reason.as_str(), h.by.as_str()),
        ("Hakaret", muhtar.user.as_str())
    );
    assert_eq!(again, hidden);
    assert_eq!(hidden.text, c1.text);
    let e = mbs
        .hide_comment(&muhtar, p.id, on_q.id, "Yanlış öneri")
        .await
        .unwrap_err();
    assert!(matches!(e, ServiceError::NotFound(_)), "{e}");
    let e = mbs
        .hide_comment(&actor(&t, "auditor"), p.id, c2.id, "x")
        .await
        .unwrap_err();
    assert!(matches!(e, ServiceError::Forbidden(_)), "{e}");
    assert_eq!(
        mbs.comments(&actor(&t, "auditor"), p.id).await.unwrap(),
        vec![hidden, c2]
    );
    assert_eq!(mbs.comments(&muhtar, q.id).await.unwrap(), vec![on_q]);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    /// However many times members' supports are recorded, in any order and concurrently,
    /// a proposal's supports never exceed its members, and it goes on the agenda exactly
    /// when (and only by the support by which) the count reaches the threshold.
    #[test]
    fn supports_never_exceed_members_and_the_agenda_is_the_threshold_th(
        n in 1usize..7,
        threshold in 1u32..9,
        picks in prop::collection::vec(0usize..7, 1..20),
    ) {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let (mbs, t) = given(Some(threshold)).await;
            let ids = members(&mbs, &t, "kuzguncuk", n).await;
            let p = proposed(&mbs, &t, Author::Muhtar).await;
            let mbs = Arc::new(mbs);
            let muhtar = actor(&t, "muhtar:kuzguncuk");
            let tasks: Vec<_> = picks
                .iter()
                .map(|i| {
                    let (mbs, muhtar, m) = (mbs.clone(), muhtar.clone(), ids[i % n]);
                    tokio::spawn(async move { mbs.support(&muhtar, p.id, m).await })
                })
                .collect();
            let mut agenda_moments = Vec::new();
            let mut supported = std::collections::BTreeSet::new();
            for (task, i) in tasks.into_iter().zip(&picks) {
                match task.await.unwrap() {
                    Ok(s) => {
                        assert!(supported.insert(ids[i % n]), "a second support counted");
                        assert!(s.supports as usize <= n);
                        assert!(s.proposal.supports as usize <= n);
                        if s.put_on_agenda {
                            agenda_moments.push(s.supports);
                        }
                    }
                    Err(ServiceError::Council(CouncilError::AlreadySupported { .. })) => {}
                    Err(e) => panic!("{e}"),
                }
            }
            let stored = mbs.proposal(&muhtar, p.id).await.unwrap();
            let count = u32::try_from(supported.len()).unwrap();
            assert_eq!(stored.supports, count);
            if count >= threshold {
                assert_eq!(agenda_moments, vec![threshold]);
                assert_eq!(stored.status, ProposalStatus::OnAgenda);
                assert_eq!(stored.agenda_reason, Some(AgendaReason::Threshold));
            } else {
                assert!(agenda_moments.is_empty());
                assert_eq!(stored.status, ProposalStatus::Open);
            }
        });
    }
}
