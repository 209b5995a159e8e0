//! The conformance checks of [`crate::store::CouncilStore`]: members and votes round-trip
//! and list in order within their tenant; one ballot per member however many ballots of
//! a member race (property-style, over several seeds); closing is final, also when it
//! races ballots; a secret vote's ballots carry no member. That ballots and participation
//! are never deleted, and that a secret vote's tables keep no cast order, are the
//! databases' own (triggers, table layout): each store crate tests it.

use std::cell::Cell;
use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use chrono::{DateTime, Duration, Utc};
use uuid::Uuid;

use super::super::fixtures::{t0, tenant};
use super::documents::join_all;
use crate::council::{
    recount, tally, BallotRecord, Majority, Member, MemberId, NewMember, NewVote, ReceiptCode,
    Vote, VoteId, VoteOptions, VoteStatus,
};
use crate::ids::{MuhtarlikCode, RandomSource, SeededRandom};
use crate::store::{BallotKey, Store, StoreError, StoreErrorKind, BALLOT_CAST};

/// A muhtarlık code of the fixtures.
pub fn council_muhtarlik(code: &str) -> MuhtarlikCode {
    MuhtarlikCode::new(code).unwrap_or_else(|e| panic!("{e}"))
}

/// Member number `n` (its id is the UUID `n`) of tenant `t`'s council of `muhtarlik`,
/// added at `added_at`.
pub fn council_member(t: &str, muhtarlik: &str, n: u128, added_at: DateTime<Utc>) -> Member {
    NewMember {
        name: format!("Üye {n}"),
        email: Some(format!("uye{n}@example.org")),
        ..NewMember::default()
    }
    .validate(
        MemberId(Uuid::from_u128(n)),
        tenant(t),
        council_muhtarlik(muhtarlik),
        added_at,
    )
    .unwrap_or_else(|e| panic!("{e}"))
}

/// Vote number `n` (its id is the UUID `n`) of tenant `t`'s council of `muhtarlik`,
/// opened at `created_at` for a day, Kabul / Ret / Çekimser.
pub fn council_vote(
    t: &str,
    muhtarlik: &str,
    n: u128,
    secret: bool,
    eligible: &[MemberId],
    created_at: DateTime<Utc>,
) -> Vote {
    NewVote {
        secret,
        changeable: true,
        ..NewVote::new(
            format!("Gündem maddesi {n}"),
            created_at + Duration::days(1),
        )
    }
    .validate(
        VoteId(Uuid::from_u128(n)),
        tenant(t),
        council_muhtarlik(muhtarlik),
        eligible.to_vec(),
        created_at,
    )
    .unwrap_or_else(|e| panic!("{e}"))
}

/// A ballot for `choice` with a random receipt (no member: the store decides that).
pub fn council_ballot(rng: &mut impl RandomSource, choice: u8) -> BallotRecord {
    BallotRecord {
        receipt_hash: ReceiptCode::from_random(|| rng.next_u64()).hash(),
        choice,
        member: None,
    }
}

/// Gives the other joined futures a turn once.
struct YieldNow(bool);

impl Future for YieldNow {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.0 {
            Poll::Ready(())
        } else {
            self.0 = true;
            cx.waker().wake_by_ref();
            Poll::Pending
        }
    }
}

pub(super) async fn yields(n: u64) {
    for _ in 0..n {
        YieldNow(false).await;
    }
}

fn is_frozen<T: std::fmt::Debug>(r: Result<T, StoreError>) -> bool {
    matches!(r, Err(StoreError::Frozen { .. }))
}

/// Members and votes round-trip exactly; a council's members list in the order they were
/// added (then by id, nanoseconds count), a removed member kept in its place; votes list
/// newest first (then by id, descending); each within its tenant and muhtarlık; a taken
/// vote id is a duplicate; missing things are not found.
pub async fn council_members_and_votes_round_trip<S: Store>(s: &S) {
    let (a, b) = ("meclis-a", "meclis-b");
    let (ta, tb) = (tenant(a), tenant(b));
    let (kuz, ica) = (council_muhtarlik("kuzguncuk"), council_muhtarlik("icadiye"));
    let h = Duration::hours(1);
    let m1 = council_member(a, "kuzguncuk", 5, t0() + h * 2);
    let m2 = council_member(a, "kuzguncuk", 9, t0() + h);
    let m3 = council_member(a, "kuzguncuk", 3, t0() + h);
    let m4 = council_member(a, "kuzguncuk", 1, t0() + h + Duration::nanoseconds(1));
    let other_muhtarlik = council_member(a, "icadiye", 2, t0());
    let other_tenant = council_member(b, "kuzguncuk", 3, t0());
    for m in [&m1, &m2, &m3, &m4, &other_muhtarlik, &other_tenant] {
        s.put_member(m).await.unwrap_or_else(|e| panic!("{e}"));
    }
    for m in [&m1, &m2, &m3, &m4, &other_muhtarlik] {
        assert_eq!(&s.member(&ta, m.id).await.unwrap(), m);
    }
    assert_eq!(s.member(&tb, m3.id).await.unwrap(), other_tenant);
    assert_eq!(
        s.member(&tb, m1.id).await.unwrap_err().kind(),
        StoreErrorKind::NotFound
    );
    let want = vec![m3.clone(), m2.clone(), m4.clone(), m1.clone()];
    assert_eq!(s.members(&ta, &kuz).await.unwrap(), want);
    assert_eq!(s.members(&ta, &ica).await.unwrap(), vec![other_muhtarlik]);
    assert_eq!(s.members(&tb, &kuz).await.unwrap(), vec![other_tenant]);

    // A removal is a change to the stored member: kept, in its place.
    let mut removed = m2.clone();
    removed.removed_at = Some(t0() + h * 3);
    s.put_member(&removed).await.unwrap();
    assert_eq!(s.member(&ta, m2.id).await.unwrap(), removed);
    let want = vec![m3.clone(), removed, m4.clone(), m1.clone()];
    assert_eq!(s.members(&ta, &kuz).await.unwrap(), want);

    let roll = [m1.id, m3.id, m4.id];
    let d = Duration::days(1);
    let v1 = council_vote(a, "kuzguncuk", 7, false, &roll, t0() + d);
    let mut v2 = council_vote(a, "kuzguncuk", 2, true, &roll, t0() + d * 2);
    v2.options = VoteOptions::List(vec!["Çınar".into(), "Ihlamur".into(), "Meşe".into()]);
    v2.majority = Majority::TwoThirds;
    v2.quorum_percent = 60;
    v2.changeable = false;
    let v3 = council_vote(a, "kuzguncuk", 8, false, &roll, t0() + d * 2);
    let v4 = council_vote(
        a,
        "kuzguncuk",
        4,
        false,
        &roll,
        t0() + d * 2 + Duration::nanoseconds(1),
    );
    let elsewhere = council_vote(a, "icadiye", 1, false, &[], t0());
    let vb = council_vote(b, "kuzguncuk", 7, false, &[], t0() + d * 9);
    for v in [&v1, &v2, &v3, &v4, &elsewhere, &vb] {
        s.put_vote(v).await.unwrap_or_else(|e| panic!("{e}"));
    }
    for v in [&v1, &v2, &v3, &v4, &elsewhere] {
        assert_eq!(&s.vote(&ta, v.id).await.unwrap(), v);
    }
    assert_eq!(s.vote(&tb, v1.id).await.unwrap(), vb);
    assert_eq!(
        s.vote(&tb, v2.id).await.unwrap_err().kind(),
        StoreErrorKind::NotFound
    );
    assert_eq!(
        s.votes(&ta, &kuz).await.unwrap(),
        vec![v4.clone(), v3.clone(), v2.clone(), v1.clone()]
    );
    assert_eq!(s.votes(&ta, &ica).await.unwrap(), vec![elsewhere]);
    assert_eq!(s.votes(&tb, &kuz).await.unwrap(), vec![vb]);
    assert!(s.votes(&tb, &ica).await.unwrap().is_empty());
    let mut again = v1.clone();
    again.title = "Başka".into();
    assert!(
        matches!(s.put_vote(&again).await, Err(StoreError::Duplicate { .. })),
        "a taken vote id"
    );
    assert_eq!(s.vote(&ta, v1.id).await.unwrap(), v1);

    // Nothing cast yet; nothing to cast into or close in a missing vote.
    assert!(s.ballots(&ta, v1.id).await.unwrap().is_empty());
    assert!(s.participants(&ta, v1.id).await.unwrap().is_empty());
    let mut rng = SeededRandom::new(24);
    let missing = VoteId(Uuid::from_u128(999));
    let b0 = council_ballot(&mut rng, 0);
    for r in [
        s.cast_ballot(&ta, missing, m1.id, &b0).await,
        s.cast_ballot(&tb, v2.id, m1.id, &b0).await,
        s.change_ballot(&ta, missing, &BallotKey::Member(m1.id), 1)
            .await,
        s.change_ballot(&ta, v1.id, &BallotKey::Member(m1.id), 1)
            .await,
        s.change_ballot(&ta, v1.id, &BallotKey::Receipt(b0.receipt_hash.clone()), 1)
            .await,
        s.close_vote(&ta, missing, &tally(&v1, &[])).await,
    ] {
        assert_eq!(r.unwrap_err().kind(), StoreErrorKind::NotFound);
    }
    assert!(s.ballots(&tb, v2.id).await.unwrap().is_empty());
}

/// Property: however the ballots of a vote's members race on the same store (3 to 8
/// members casting 1 to 3 times each, in random order, secret and open votes), each
/// member has exactly one ballot and one participation, every acknowledged ballot is
/// stored and every other attempt is `Duplicate { what: BALLOT_CAST }`, writing nothing.
pub async fn council_one_ballot_per_member_under_concurrency<S: Store>(s: &S) {
    for round in 0..6u64 {
        let mut rng = SeededRandom::new(0xBA11 + round);
        let t = format!("meclis-bir-{round}");
        let members: Vec<Member> = (0..3 + rng.next_u64() % 6)
            .map(|i| council_member(&t, "kuzguncuk", u128::from(100 + i), t0()))
            .collect();
        for m in &members {
            s.put_member(m).await.unwrap();
        }
        let ids: Vec<MemberId> = members.iter().map(|m| m.id).collect();
        let secret = round % 2 == 0;
        let vote = council_vote(&t, "kuzguncuk", 1, secret, &ids, t0());
        s.put_vote(&vote).await.unwrap();

        let mut attempts: Vec<(MemberId, BallotRecord, u64)> = Vec::new();
        for m in &ids {
            for _ in 0..1 + rng.next_u64() % 3 {
                let choice = (rng.next_u64() % 3) as u8;
                let wait = rng.next_u64() % 4;
                attempts.push((*m, council_ballot(&mut rng, choice), wait));
            }
        }
        for i in (1..attempts.len()).rev() {
            attempts.swap(i, (rng.next_u64() % (i as u64 + 1)) as usize);
        }
        let tenant_id = tenant(&t);
        let results = join_all(
            attempts
                .iter()
                .map(|(m, b, wait)| {
                    let tenant_id = &tenant_id;
                    Box::pin(async move {
                        yields(*wait).await;
                        s.cast_ballot(tenant_id, vote.id, *m, b).await
                    })
                })
                .collect(),
        )
        .await;

        let mut acknowledged: BTreeMap<String, MemberId> = BTreeMap::new();
        let mut per_member: BTreeMap<MemberId, usize> = BTreeMap::new();
        for ((m, b, _), r) in attempts.iter().zip(results) {
            match r {
                Ok(()) => {
                    acknowledged.insert(b.receipt_hash.clone(), *m);
                    *per_member.entry(*m).or_default() += 1;
                }
                Err(StoreError::Duplicate { what }) if what == BALLOT_CAST => {}
                Err(e) => panic!("round {round}: casting for {m}: {e:?}"),
            }
        }
        for m in &ids {
            assert_eq!(per_member.get(m), Some(&1), "round {round}: member {m}");
        }
        let stored = s.ballots(&tenant_id, vote.id).await.unwrap();
        let receipts: Vec<String> = stored.iter().map(|b| b.receipt_hash.clone()).collect();
        let mut sorted = receipts.clone();
        sorted.sort();
        assert_eq!(receipts, sorted, "round {round}: ballots by receipt hash");
        assert_eq!(
            receipts,
            acknowledged.keys().cloned().collect::<Vec<_>>(),
            "round {round}: exactly the acknowledged ballots"
        );
        for b in &stored {
            let want = (!secret).then(|| acknowledged[&b.receipt_hash]);
            assert_eq!(b.member, want, "round {round}");
            let cast = attempts
                .iter()
                .find(|(_, a, _)| a.receipt_hash == b.receipt_hash)
                .unwrap_or_else(|| panic!("round {round}: a ballot nobody cast"));
            assert_eq!(b.choice, cast.1.choice, "round {round}");
        }
        let mut want_ids = ids.clone();
        want_ids.sort();
        assert_eq!(s.participants(&tenant_id, vote.id).await.unwrap(), want_ids);

        // A later ballot of a member writes nothing.
        let late = council_ballot(&mut rng, 0);
        let r = s.cast_ballot(&tenant_id, vote.id, ids[0], &late).await;
        assert!(
            matches!(&r, Err(StoreError::Duplicate { what }) if what == BALLOT_CAST),
            "{r:?}"
        );
        assert_eq!(s.ballots(&tenant_id, vote.id).await.unwrap(), stored);
    }
}

/// Closing is final: after a close, a ballot, a change and a second close are `Frozen`,
/// and the stored vote (its result) and ballots stay as they were; a recount reproduces
/// the result. Closing while ballots race (several seeds): every ballot is acknowledged
/// and stored, or refused as `Frozen` and not stored; none that started after the close
/// was acknowledged; the ballots the result was counted from are all stored.
pub async fn council_closing_is_final<S: Store>(s: &S) {
    let t = "meclis-son";
    let tid = tenant(t);
    let members: Vec<Member> = (1..=3)
        .map(|i| council_member(t, "kuzguncuk", i, t0()))
        .collect();
    for m in &members {
        s.put_member(m).await.unwrap();
    }
    let ids: Vec<MemberId> = members.iter().map(|m| m.id).collect();
    let vote = council_vote(t, "kuzguncuk", 1, false, &ids, t0());
    s.put_vote(&vote).await.unwrap();
    let mut rng = SeededRandom::new(0xC105E);
    let (b1, b2) = (council_ballot(&mut rng, 0), council_ballot(&mut rng, 1));
    s.cast_ballot(&tid, vote.id, ids[0], &b1).await.unwrap();
    s.cast_ballot(&tid, vote.id, ids[1], &b2).await.unwrap();
    // Changes while open: by member and by receipt.
    s.change_ballot(&tid, vote.id, &BallotKey::Member(ids[0]), 2)
        .await
        .unwrap();
    s.change_ballot(
        &tid,
        vote.id,
        &BallotKey::Receipt(b2.receipt_hash.clone()),
        0,
    )
    .await
    .unwrap();
    let ballots = s.ballots(&tid, vote.id).await.unwrap();
    let mut choices: Vec<(String, u8)> = ballots
        .iter()
        .map(|b| (b.receipt_hash.clone(), b.choice))
        .collect();
    choices.sort();
    let mut want = vec![(b1.receipt_hash.clone(), 2), (b2.receipt_hash.clone(), 0)];
    want.sort();
    assert_eq!(choices, want);

    let result = tally(&vote, &ballots);
    s.close_vote(&tid, vote.id, &result).await.unwrap();
    let closed = s.vote(&tid, vote.id).await.unwrap();
    assert_eq!(closed.status, VoteStatus::Closed);
    assert_eq!(closed.result.as_ref(), Some(&result));
    let late = council_ballot(&mut rng, 1);
    assert!(is_frozen(s.cast_ballot(&tid, vote.id, ids[2], &late).await));
    assert!(is_frozen(
        s.change_ballot(&tid, vote.id, &BallotKey::Member(ids[0]), 1)
            .await
    ));
    assert!(is_frozen(
        s.change_ballot(
            &tid,
            vote.id,
            &BallotKey::Receipt(b2.receipt_hash.clone()),
            1
        )
        .await
    ));
    assert!(is_frozen(
        s.close_vote(&tid, vote.id, &tally(&vote, &[])).await
    ));
    assert_eq!(s.vote(&tid, vote.id).await.unwrap(), closed);
    assert_eq!(s.ballots(&tid, vote.id).await.unwrap(), ballots);
    assert_eq!(s.participants(&tid, vote.id).await.unwrap(), ids[..2]);
    assert_eq!(recount(&closed, &ballots), Ok(result));

    for round in 0..4u64 {
        closing_races_ballots(s, round).await;
    }
}

/// What one of the raced futures did.
enum Raced {
    Cast {
        member: MemberId,
        ballot: BallotRecord,
        after_close: bool,
        result: Result<(), StoreError>,
    },
    Closed {
        counted: Vec<BallotRecord>,
    },
}

async fn closing_races_ballots<S: Store>(s: &S, round: u64) {
    let mut rng = SeededRandom::new(0x5EA1 + round);
    let t = format!("meclis-yaris-{round}");
    let tid = tenant(&t);
    let members: Vec<Member> = (0..8 + rng.next_u64() % 8)
        .map(|i| council_member(&t, "kuzguncuk", u128::from(i + 1), t0()))
        .collect();
    for m in &members {
        s.put_member(m).await.unwrap();
    }
    let ids: Vec<MemberId> = members.iter().map(|m| m.id).collect();
    let vote = council_vote(&t, "kuzguncuk", 1, round % 2 == 1, &ids, t0());
    s.put_vote(&vote).await.unwrap();
    let closed = Cell::new(false);
    let (tid, vote, closed) = (&tid, &vote, &closed);

    type Job<'a> = Pin<Box<dyn Future<Output = Raced> + 'a>>;
    let mut jobs: Vec<Job<'_>> = Vec::new();
    for m in &ids {
        let (member, wait) = (*m, rng.next_u64() % 8);
        let choice = (rng.next_u64() % 3) as u8;
        let ballot = council_ballot(&mut rng, choice);
        jobs.push(Box::pin(async move {
            yields(wait).await;
            let after_close = closed.get();
            let result = s.cast_ballot(tid, vote.id, member, &ballot).await;
            Raced::Cast {
                member,
                ballot,
                after_close,
                result,
            }
        }));
    }
    let wait = rng.next_u64() % 6;
    jobs.push(Box::pin(async move {
        yields(wait).await;
        // A ballot committed between the count and the close makes the close a
        // conflict (check_close): count again, as the service does.
        loop {
            let counted = s.ballots(tid, vote.id).await.unwrap();
            match s.close_vote(tid, vote.id, &tally(vote, &counted)).await {
                Ok(()) => {
                    closed.set(true);
                    return Raced::Closed { counted };
                }
                Err(StoreError::Conflict { .. }) => {}
                Err(e) => panic!("closing: {e}"),
            }
        }
    }));

    let mut acknowledged = BTreeSet::new();
    let mut counted = Vec::new();
    for r in join_all(jobs).await {
        match r {
            Raced::Closed { counted: c } => counted = c,
            Raced::Cast {
                member,
                ballot,
                after_close,
                result,
            } => match result {
                Ok(()) => {
                    assert!(!after_close, "round {round}: {member} cast after the close");
                    acknowledged.insert(ballot.receipt_hash);
                }
                Err(StoreError::Frozen { .. }) => {}
                Err(e) => panic!("round {round}: casting for {member}: {e:?}"),
            },
        }
    }
    let stored = s.ballots(tid, vote.id).await.unwrap();
    let stored_receipts: BTreeSet<String> = stored.iter().map(|b| b.receipt_hash.clone()).collect();
    assert_eq!(stored_receipts, acknowledged, "round {round}");
    assert_eq!(
        s.participants(tid, vote.id).await.unwrap().len(),
        acknowledged.len()
    );
    for b in &counted {
        assert!(stored.contains(b), "round {round}: a counted ballot lost");
    }
    let v = s.vote(tid, vote.id).await.unwrap();
    assert_eq!(v.status, VoteStatus::Closed);
    assert_eq!(v.result, Some(tally(vote, &counted)), "round {round}");
}

/// A secret vote's ballots carry no member, whatever the ballot given said; an open
/// vote's carry their member, whatever the ballot given said. A secret ballot is changed
/// by its receipt, not by its member (the store cannot tell).
pub async fn council_secret_ballots_carry_no_member<S: Store>(s: &S) {
    let t = "meclis-gizli";
    let tid = tenant(t);
    let members: Vec<Member> = (1..=4)
        .map(|i| council_member(t, "kuzguncuk", i * 7, t0()))
        .collect();
    for m in &members {
        s.put_member(m).await.unwrap();
    }
    let ids: Vec<MemberId> = members.iter().map(|m| m.id).collect();
    let secret = council_vote(t, "kuzguncuk", 1, true, &ids, t0());
    let open = council_vote(t, "kuzguncuk", 2, false, &ids, t0());
    s.put_vote(&secret).await.unwrap();
    s.put_vote(&open).await.unwrap();
    let mut rng = SeededRandom::new(0x5EC);
    let mut secret_receipts = Vec::new();
    for (i, m) in ids.iter().enumerate() {
        let mut b = council_ballot(&mut rng, (i % 3) as u8);
        b.member = Some(*m); // the store must drop it
        s.cast_ballot(&tid, secret.id, *m, &b).await.unwrap();
        secret_receipts.push(b.receipt_hash);
        let b = council_ballot(&mut rng, (i % 3) as u8); // no member: the store adds it
        s.cast_ballot(&tid, open.id, *m, &b).await.unwrap();
    }
    let stored = s.ballots(&tid, secret.id).await.unwrap();
    assert_eq!(stored.len(), ids.len());
    assert!(stored.iter().all(|b| b.member.is_none()), "{stored:?}");
    let open_stored = s.ballots(&tid, open.id).await.unwrap();
    let voters: BTreeSet<MemberId> = open_stored.iter().filter_map(|b| b.member).collect();
    assert_eq!(voters, ids.iter().copied().collect());
    let mut sorted = ids.clone();
    sorted.sort();
    assert_eq!(s.participants(&tid, secret.id).await.unwrap(), sorted);
    assert_eq!(s.participants(&tid, open.id).await.unwrap(), sorted);

    assert_eq!(
        s.change_ballot(&tid, secret.id, &BallotKey::Member(ids[0]), 1)
            .await
            .unwrap_err()
            .kind(),
        StoreErrorKind::NotFound
    );
    s.change_ballot(
        &tid,
        secret.id,
        &BallotKey::Receipt(secret_receipts[0].clone()),
        1,
    )
    .await
    .unwrap();
    let changed = s.ballots(&tid, secret.id).await.unwrap();
    let b = changed
        .iter()
        .find(|b| b.receipt_hash == secret_receipts[0])
        .unwrap_or_else(|| panic!("the changed ballot"));
    assert_eq!((b.choice, b.member), (1, None));
    s.change_ballot(&tid, open.id, &BallotKey::Member(ids[1]), 2)
        .await
        .unwrap();
    let b = s
        .ballots(&tid, open.id)
        .await
        .unwrap()
        .into_iter()
        .find(|b| b.member == Some(ids[1]))
        .unwrap_or_else(|| panic!("the open ballot of member 2"));
    assert_eq!(b.choice, 2);
}
