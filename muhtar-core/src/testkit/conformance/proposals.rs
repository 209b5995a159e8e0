//! The conformance checks of [`crate::store::ProposalStore`]: proposals and comments
//! round-trip and list in order within their tenant and council; one support per member
//! however many supports of a member race (over several seeds), and the threshold-th
//! support, and only it, puts the proposal on the agenda; a hidden comment is kept and its
//! first hiding stays. That supports and comments are never deleted is the databases' own
//! (triggers): each store crate tests it.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use uuid::Uuid;

use super::super::fixtures::{t0, tenant};
use super::council::{council_member, council_muhtarlik, yields};
use super::documents::join_all;
use crate::council::{
    AgendaReason, Author, Comment, CommentId, Hidden, MemberId, NewProposal, Proposal, ProposalId,
    ProposalStatus,
};
use crate::ids::{RandomSource, SeededRandom};
use crate::request::Location;
use crate::store::{Store, StoreError, StoreErrorKind, SupportOutcome, SUPPORT_GIVEN};

/// Proposal number `n` (its id is the UUID `n`) of tenant `t`'s council of `muhtarlik`,
/// recorded at `at`.
pub fn council_proposal(
    t: &str,
    muhtarlik: &str,
    n: u128,
    author: Author,
    at: DateTime<Utc>,
) -> Proposal {
    NewProposal {
        author,
        title: format!("Öneri {n}"),
        text: format!("Mahalleye {n}. öneri:\nbir bank."),
        location: n.is_multiple_of(2).then_some(Location {
            lat: 41.03,
            lon: 29.03,
        }),
    }
    .validate(
        ProposalId(Uuid::from_u128(n)),
        tenant(t),
        council_muhtarlik(muhtarlik),
        at,
    )
    .unwrap_or_else(|e| panic!("{e}"))
}

/// Comment number `n` (its id is the UUID `n`) on `proposal`, written at `at`.
pub fn council_comment(p: &Proposal, n: u128, author: Author, at: DateTime<Utc>) -> Comment {
    Comment::new(
        CommentId(Uuid::from_u128(n)),
        p.tenant.clone(),
        p.id,
        author,
        &format!("Yorum {n}"),
        at,
    )
    .unwrap_or_else(|e| panic!("{e}"))
}

fn hidden(reason: &str, at: DateTime<Utc>) -> Hidden {
    Hidden::new(reason, "muhtar", at).unwrap_or_else(|e| panic!("{e}"))
}

/// Proposals round-trip exactly (supports counted by the store, never taken from the
/// written value) and list newest first (then by id, descending) within their tenant and
/// muhtarlık; a taken id is a duplicate; supports are counted and listed in their order;
/// the muhtar puts an open proposal on the agenda once (a second time changes nothing);
/// comments round-trip and list oldest first; missing things are not found.
pub async fn council_proposal_round_trips<S: Store>(s: &S) {
    let (a, b) = ("gundem-a", "gundem-b");
    let (ta, tb) = (tenant(a), tenant(b));
    let kuz = council_muhtarlik("kuzguncuk");
    let h = Duration::hours(1);
    let m1 = council_member(a, "kuzguncuk", 1, t0());
    let m2 = council_member(a, "kuzguncuk", 2, t0());
    for m in [&m1, &m2] {
        s.put_member(m).await.unwrap();
    }
    let p1 = council_proposal(a, "kuzguncuk", 7, Author::Member(m1.id), t0() + h);
    let p2 = council_proposal(a, "kuzguncuk", 2, Author::Muhtar, t0() + h * 2);
    let p3 = council_proposal(a, "kuzguncuk", 4, Author::Muhtar, t0() + h * 2);
    let elsewhere = council_proposal(a, "icadiye", 5, Author::Muhtar, t0() + h * 3);
    let mut other_tenant = council_proposal(b, "kuzguncuk", 7, Author::Muhtar, t0());
    // The written count is not the store's: it counts supports itself.
    other_tenant.supports = 5;
    for p in [&p1, &p2, &p3, &elsewhere, &other_tenant] {
        s.put_proposal(p).await.unwrap_or_else(|e| panic!("{e}"));
    }
    other_tenant.supports = 0;
    for p in [&p1, &p2, &p3, &elsewhere] {
        assert_eq!(&s.proposal(&ta, p.id).await.unwrap(), p);
    }
    assert_eq!(s.proposal(&tb, p1.id).await.unwrap(), other_tenant);
    assert_eq!(
        s.proposal(&tb, p2.id).await.unwrap_err().kind(),
        StoreErrorKind::NotFound
    );
    assert_eq!(
        s.proposals(&ta, &kuz).await.unwrap(),
        vec![p3.clone(), p2.clone(), p1.clone()]
    );
    assert_eq!(s.proposals(&tb, &kuz).await.unwrap(), vec![other_tenant]);
    assert!(matches!(
        s.put_proposal(&p1).await,
        Err(StoreError::Duplicate { .. })
    ));

    // Supports: counted, in their order; the threshold far away.
    let r = s
        .support(&ta, p1.id, m2.id, 10, t0() + h * 3)
        .await
        .unwrap();
    assert_eq!(
        r,
        SupportOutcome {
            supports: 1,
            put_on_agenda: false
        }
    );
    let r = s
        .support(&ta, p1.id, m1.id, 10, t0() + h * 4)
        .await
        .unwrap();
    assert_eq!(
        r,
        SupportOutcome {
            supports: 2,
            put_on_agenda: false
        }
    );
    assert_eq!(s.supporters(&ta, p1.id).await.unwrap(), vec![m2.id, m1.id]);
    assert_eq!(s.proposal(&ta, p1.id).await.unwrap().supports, 2);
    assert_eq!(s.proposals(&ta, &kuz).await.unwrap()[2].supports, 2);
    assert!(s.supporters(&tb, p1.id).await.unwrap().is_empty());

    // The muhtar puts p2 on the agenda; a second time, and a threshold later, keep it.
    let at = t0() + h * 5;
    assert!(s
        .put_on_agenda(&ta, p2.id, AgendaReason::Muhtar, at)
        .await
        .unwrap());
    assert!(!s
        .put_on_agenda(&ta, p2.id, AgendaReason::Threshold, at + h)
        .await
        .unwrap());
    let r = s.support(&ta, p2.id, m1.id, 1, at + h * 2).await.unwrap();
    assert_eq!(
        r,
        SupportOutcome {
            supports: 1,
            put_on_agenda: false
        }
    );
    let stored = s.proposal(&ta, p2.id).await.unwrap();
    assert_eq!(stored.status, ProposalStatus::OnAgenda);
    assert_eq!(stored.on_agenda_at, Some(at));
    assert_eq!(stored.agenda_reason, Some(AgendaReason::Muhtar));
    assert_eq!(stored.supports, 1);

    // Comments: oldest first (then by id), within the proposal and tenant.
    let c1 = council_comment(&p1, 9, Author::Member(m2.id), t0() + h * 2);
    let c2 = council_comment(&p1, 3, Author::Muhtar, t0() + h * 2);
    let c3 = council_comment(&p1, 1, Author::Muhtar, t0() + h * 3);
    let on_p2 = council_comment(&p2, 4, Author::Muhtar, t0());
    for c in [&c1, &c2, &c3, &on_p2] {
        s.put_comment(c).await.unwrap_or_else(|e| panic!("{e}"));
    }
    assert_eq!(
        s.comments(&ta, p1.id).await.unwrap(),
        vec![c2.clone(), c1.clone(), c3.clone()]
    );
    assert_eq!(s.comments(&ta, p2.id).await.unwrap(), vec![on_p2]);
    assert!(s.comments(&tb, p1.id).await.unwrap().is_empty());
    assert!(matches!(
        s.put_comment(&c1).await,
        Err(StoreError::Duplicate { .. })
    ));

    // Missing things.
    let missing = ProposalId(Uuid::from_u128(999));
    let mut orphan = c1.clone();
    orphan.proposal = missing;
    orphan.id = CommentId(Uuid::from_u128(998));
    for e in [
        s.support(&ta, missing, m1.id, 1, t0()).await.map(|_| ()),
        s.put_on_agenda(&ta, missing, AgendaReason::Muhtar, t0())
            .await
            .map(|_| ()),
        s.put_comment(&orphan).await,
        s.hide_comment(&tb, c1.id, &hidden("Hakaret", t0()))
            .await
            .map(|_| ()),
    ] {
        assert_eq!(e.unwrap_err().kind(), StoreErrorKind::NotFound);
    }
}

/// Property: however the supports of a council's members race on one proposal (3 to 8
/// members supporting 1 to 3 times each, in random order, thresholds from 1 to one more
/// than the members), each member supports once, every other attempt is
/// `Duplicate { what: SUPPORT_GIVEN }`; the acknowledged counts are 1 to n, each once; the
/// proposal goes on the agenda exactly when the threshold is reached, by the support that
/// counted the threshold, and only that one says so.
pub async fn council_proposal_one_support_per_member_under_concurrency<S: Store>(s: &S) {
    for round in 0..6u64 {
        let mut rng = SeededRandom::new(0x5077 + round);
        let t = format!("gundem-bir-{round}");
        let tid = tenant(&t);
        let n = 3 + rng.next_u64() % 6;
        let ids: Vec<MemberId> = (0..n)
            .map(|i| council_member(&t, "kuzguncuk", u128::from(100 + i), t0()).id)
            .collect();
        let threshold = 1 + (rng.next_u64() % (n + 1)) as u32;
        let p = council_proposal(&t, "kuzguncuk", 1, Author::Muhtar, t0());
        s.put_proposal(&p).await.unwrap();

        let mut attempts: Vec<(MemberId, u64)> = Vec::new();
        for m in &ids {
            for _ in 0..1 + rng.next_u64() % 3 {
                attempts.push((*m, rng.next_u64() % 4));
            }
        }
        for i in (1..attempts.len()).rev() {
            attempts.swap(i, (rng.next_u64() % (i as u64 + 1)) as usize);
        }
        let at = t0() + Duration::hours(1);
        let results = join_all(
            attempts
                .iter()
                .map(|(m, wait)| {
                    let tid = &tid;
                    Box::pin(async move {
                        yields(*wait).await;
                        s.support(tid, p.id, *m, threshold, at).await
                    })
                })
                .collect(),
        )
        .await;

        let mut per_member: BTreeMap<MemberId, usize> = BTreeMap::new();
        let mut counts = Vec::new();
        let mut agenda_by = Vec::new();
        for ((m, _), r) in attempts.iter().zip(results) {
            match r {
                Ok(o) => {
                    *per_member.entry(*m).or_default() += 1;
                    counts.push(o.supports);
                    if o.put_on_agenda {
                        agenda_by.push(o.supports);
                    }
                }
                Err(StoreError::Duplicate { what }) if what == SUPPORT_GIVEN => {}
                Err(e) => panic!("round {round}: support of {m}: {e:?}"),
            }
        }
        for m in &ids {
            assert_eq!(per_member.get(m), Some(&1), "round {round}: member {m}");
        }
        counts.sort_unstable();
        let n32 = n as u32;
        assert_eq!(counts, (1..=n32).collect::<Vec<_>>(), "round {round}");
        let stored = s.proposal(&tid, p.id).await.unwrap();
        assert_eq!(stored.supports, n32, "round {round}");
        let mut supporters = s.supporters(&tid, p.id).await.unwrap();
        supporters.sort();
        assert_eq!(supporters, ids, "round {round}");
        if threshold <= n32 {
            assert_eq!(agenda_by, vec![threshold], "round {round}");
            assert_eq!(stored.status, ProposalStatus::OnAgenda, "round {round}");
            assert_eq!(stored.agenda_reason, Some(AgendaReason::Threshold));
            assert_eq!(stored.on_agenda_at, Some(at));
        } else {
            assert!(agenda_by.is_empty(), "round {round}: {agenda_by:?}");
            assert_eq!(stored.status, ProposalStatus::Open, "round {round}");
            assert_eq!(stored.on_agenda_at, None);
        }
    }
}

/// A hidden comment stays in the listing with its text and hiding; hiding it again keeps
/// the first hiding; the other comments are untouched.
pub async fn council_proposal_hidden_comments_are_kept<S: Store>(s: &S) {
    let t = "gundem-gizli";
    let tid = tenant(t);
    let p = council_proposal(t, "kuzguncuk", 1, Author::Muhtar, t0());
    s.put_proposal(&p).await.unwrap();
    let h = Duration::hours(1);
    let c1 = council_comment(&p, 1, Author::Muhtar, t0() + h);
    let c2 = council_comment(&p, 2, Author::Muhtar, t0() + h * 2);
    s.put_comment(&c1).await.unwrap();
    s.put_comment(&c2).await.unwrap();
    let first = hidden("Kişisel bilgi içeriyor", t0() + h * 3);
    let got = s.hide_comment(&tid, c1.id, &first).await.unwrap();
    let mut want = c1.clone();
    want.hidden = Some(first.clone());
    assert_eq!(got, want);
    let again = s
        .hide_comment(&tid, c1.id, &hidden("Başka sebep", t0() + h * 4))
        .await
        .unwrap();
    assert_eq!(again, want, "the first hiding stays");
    assert_eq!(s.comments(&tid, p.id).await.unwrap(), vec![want, c2]);
}
