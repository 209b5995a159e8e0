//! Neighbourhood councils: the tally's rules (properties) and the member roll and votes
//! through the service (given/when/then over the in-memory store).

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::Duration;
use muhtar_core::council::{
    result_hash, tally, BallotRecord, CouncilError, Decision, Majority, MemberId, NewMember,
    NewVote, ReceiptCode, Vote, VoteId, VoteOptions,
};
use muhtar_core::ids::{MuhtarlikCode, SeededRandom};
use muhtar_core::prelude::*;
use muhtar_core::service::Cast;
use muhtar_core::store::CouncilStore;
use muhtar_core::testkit::{fixtures, MemoryStore};
use proptest::prelude::*;
use uuid::Uuid;

type Svc = Mbs<MemoryStore, ManualClock>;

fn actor(t: &TenantId, s: &str) -> Actor {
    Actor::parse(t, s).unwrap()
}

fn kuzguncuk() -> MuhtarlikCode {
    MuhtarlikCode::new("kuzguncuk").unwrap()
}

fn a_vote(options: VoteOptions, majority: Majority, quorum: u8, eligible: usize) -> Vote {
    let mut n = NewVote::new("Parkın adı", fixtures::t0() + Duration::days(7));
    n.options = options;
    n.majority = majority;
    n.quorum_percent = Some(quorum);
    n.validate(
        VoteId(Uuid::from_u128(7)),
        TenantId::new("meclis").unwrap(),
        kuzguncuk(),
        (0..eligible)
            .map(|i| MemberId(Uuid::from_u128(i as u128 + 1)))
            .collect(),
        fixtures::t0(),
    )
    .unwrap()
}

fn ballots(choices: &[u8]) -> Vec<BallotRecord> {
    choices
        .iter()
        .enumerate()
        .map(|(i, c)| BallotRecord {
            receipt_hash: format!("{i:064x}"),
            choice: *c,
            member: None,
        })
        .collect()
}

fn options_strategy() -> impl Strategy<Value = VoteOptions> {
    prop_oneof![
        Just(VoteOptions::ForAgainstAbstain),
        (2usize..6)
            .prop_map(|n| VoteOptions::List((0..n).map(|i| format!("Seçenek {i}")).collect())),
    ]
}

fn majority_strategy() -> impl Strategy<Value = Majority> {
    prop_oneof![
        Just(Majority::Simple),
        Just(Majority::Absolute),
        Just(Majority::TwoThirds)
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// The tally equals the ballots: each option's count is how many chose it; the
    /// decision follows the rule; the hash does not depend on the order ballots came in.
    #[test]
    fn the_tally_equals_the_ballots(
        options in options_strategy(),
        majority in majority_strategy(),
        quorum in 1u8..=100,
        eligible in 1usize..30,
        raw in proptest::collection::vec(any::<u8>(), 0..30),
        shuffle in any::<u64>(),
    ) {
        let v = a_vote(options, majority, quorum, eligible);
        let n = v.options.names().len();
        let choices: Vec<u8> = raw.iter().take(eligible).map(|c| c % n as u8).collect();
        let bs = ballots(&choices);
        let t = tally(&v, &bs);
        for (i, count) in t.counts.iter().enumerate() {
            prop_assert_eq!(*count, choices.iter().filter(|c| usize::from(**c) == i).count() as u64);
        }
        prop_assert_eq!(t.cast, choices.len() as u64);
        prop_assert_eq!(t.eligible, eligible as u64);
        prop_assert_eq!(t.quorum_met, t.cast * 100 >= u64::from(quorum) * eligible as u64);
        let abstain = v.options.abstain();
        let valid: u64 = t.counts.iter().enumerate().filter(|(i, _)| Some(*i) != abstain).map(|(_, c)| c).sum();
        match t.decision {
            Decision::NoQuorum => prop_assert!(!t.quorum_met),
            Decision::Adopted { option } => {
                let o = usize::from(option);
                prop_assert!(t.quorum_met);
                prop_assert!(Some(o) != abstain);
                for (i, c) in t.counts.iter().enumerate() {
                    if i != o && Some(i) != abstain {
                        prop_assert!(t.counts[o] > *c, "{:?}", t.counts);
                    }
                }
                match majority {
                    Majority::Absolute => prop_assert!(t.counts[o] * 2 > eligible as u64),
                    Majority::TwoThirds => prop_assert!(t.counts[o] * 3 >= valid * 2),
                    _ => {}
                }
            }
            Decision::NotDecided => prop_assert!(t.quorum_met),
        }
        // Order does not matter; a changed ballot does.
        let mut shuffled = bs.clone();
        let mut s = shuffle;
        for i in (1..shuffled.len()).rev() {
            s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            shuffled.swap(i, (s >> 33) as usize % (i + 1));
        }
        prop_assert_eq!(tally(&v, &shuffled), t.clone());
        if let Some(first) = bs.first() {
            let mut changed = bs.clone();
            changed[0].choice = (first.choice + 1) % n as u8;
            prop_assert_ne!(result_hash(v.id, &changed), t.hash.clone());
            prop_assert_ne!(result_hash(v.id, &bs[1..]), t.hash);
        }
    }
}

#[test]
fn the_majority_rules_at_their_edges() {
    use VoteOptions::ForAgainstAbstain as Std;
    // Simple: a tie decides nothing; abstentions do not count.
    let v = a_vote(Std, Majority::Simple, 50, 10);
    assert_eq!(
        tally(&v, &ballots(&[0, 0, 1, 1, 2])).decision,
        Decision::NotDecided
    );
    assert_eq!(
        tally(&v, &ballots(&[0, 0, 1, 2, 2])).decision,
        Decision::Adopted { option: 0 }
    );
    // Absolute: more than half of the eligible (10): 5 is not enough, 6 is.
    let v = a_vote(Std, Majority::Absolute, 50, 10);
    assert_eq!(
        tally(&v, &ballots(&[0, 0, 0, 0, 0, 1])).decision,
        Decision::NotDecided
    );
    assert_eq!(
        tally(&v, &ballots(&[0, 0, 0, 0, 0, 0])).decision,
        Decision::Adopted { option: 0 }
    );
    // Two thirds of the votes cast, abstentions aside: 4 of 6 is, 3 of 5 is not.
    let v = a_vote(Std, Majority::TwoThirds, 50, 10);
    assert_eq!(
        tally(&v, &ballots(&[0, 0, 0, 0, 1, 1, 2])).decision,
        Decision::Adopted { option: 0 }
    );
    assert_eq!(
        tally(&v, &ballots(&[0, 0, 0, 1, 1])).decision,
        Decision::NotDecided
    );
    // The quorum: half of 10 is 5 members.
    let v = a_vote(Std, Majority::Simple, 50, 10);
    assert_eq!(
        tally(&v, &ballots(&[0, 0, 0, 0])).decision,
        Decision::NoQuorum
    );
    let t = tally(&v, &ballots(&[0, 0, 0, 0, 2]));
    assert_eq!(t.decision, Decision::Adopted { option: 0 });
    assert_eq!(t.turnout_percent(), 50.0);
    assert!(t.describe().contains("Kabul"), "{}", t.describe());
}

async fn given() -> (Svc, TenantId) {
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
    (mbs, t)
}

async fn members(mbs: &Svc, t: &TenantId, n: usize) -> Vec<MemberId> {
    let muhtar = actor(t, "muhtar:kuzguncuk");
    let mut out = Vec::new();
    for i in 0..n {
        let m = mbs
            .add_member(
                &muhtar,
                &kuzguncuk(),
                NewMember {
                    name: format!("Sakin {i}"),
                    phone: Some(format!("0532 111 22 {:02}", i % 100)),
                    ..NewMember::default()
                },
            )
            .await
            .unwrap();
        out.push(m.id);
    }
    out
}

fn receipt(c: Cast) -> ReceiptCode {
    match c {
        Cast::New(r) => r,
        Cast::Changed => panic!("a new ballot was expected"),
    }
}

#[tokio::test]
async fn the_muhtar_keeps_the_roll_and_only_the_roll_at_opening_votes() {
    let (mbs, t) = given().await;
    let muhtar = actor(&t, "muhtar:kuzguncuk");
    let e = mbs
        .add_member(
            &muhtar,
            &kuzguncuk(),
            NewMember {
                name: "Ad".into(),
                ..NewMember::default()
            },
        )
        .await
        .unwrap_err();
    assert!(
        matches!(&e, ServiceError::Input(i) if i.field() == "email"),
        "{e}"
    );
    let e = mbs
        .open_vote(
            &muhtar,
            &kuzguncuk(),
            NewVote::new("Park", fixtures::t0() + Duration::days(1)),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(e, ServiceError::Council(CouncilError::NoMembers { .. })),
        "{e}"
    );
    let ids = members(&mbs, &t, 3).await;
    for who in ["muhtar:cengelkoy", "unit:fen-isleri"] {
        let e = mbs
            .members(&actor(&t, who), &kuzguncuk())
            .await
            .unwrap_err();
        assert!(matches!(e, ServiceError::Forbidden(_)), "{who}: {e}");
    }
    assert_eq!(
        mbs.members(&actor(&t, "auditor"), &kuzguncuk())
            .await
            .unwrap()
            .len(),
        3
    );
    let unknown = mbs
        .members(&muhtar, &MuhtarlikCode::new("yok").unwrap())
        .await
        .unwrap_err();
    assert!(unknown.to_string().contains("kuzguncuk"), "{unknown}");

    mbs.remove_member(&muhtar, ids[0]).await.unwrap();
    let v = mbs
        .open_vote(
            &muhtar,
            &kuzguncuk(),
            NewVote::new("Park", fixtures::t0() + Duration::days(1)),
        )
        .await
        .unwrap();
    assert_eq!(v.eligible, ids[1..].to_vec());
    // A member added after the vote opened does not vote in it.
    let late = members(&mbs, &t, 1).await[0];
    let e = mbs
        .cast_ballot(&muhtar, v.id, late, "Kabul")
        .await
        .unwrap_err();
    assert!(
        matches!(e, ServiceError::Council(CouncilError::NotEligible { .. })),
        "{e}"
    );
    let e = mbs
        .cast_ballot(&muhtar, v.id, ids[0], "Kabul")
        .await
        .unwrap_err();
    assert!(
        matches!(e, ServiceError::Council(CouncilError::NotEligible { .. })),
        "{e}"
    );
}

#[tokio::test]
async fn a_vote_runs_closes_once_and_its_result_recounts() {
    let (mbs, t) = given().await;
    let muhtar = actor(&t, "muhtar:kuzguncuk");
    let ids = members(&mbs, &t, 4).await;
    let closes = fixtures::t0() + Duration::hours(2);
    let v = mbs
        .open_vote(&muhtar, &kuzguncuk(), NewVote::new("Park", closes))
        .await
        .unwrap();
    let e = mbs
        .cast_ballot(&muhtar, v.id, ids[0], "belki")
        .await
        .unwrap_err();
    assert!(e.to_string().contains("Kabul, Ret, Çekimser"), "{e}");
    let r0 = receipt(
        mbs.cast_ballot(&muhtar, v.id, ids[0], "kabul")
            .await
            .unwrap(),
    );
    receipt(mbs.cast_ballot(&muhtar, v.id, ids[1], "for").await.unwrap());
    receipt(mbs.cast_ballot(&muhtar, v.id, ids[2], "Ret").await.unwrap());
    let twice = mbs
        .cast_ballot(&muhtar, v.id, ids[0], "Ret")
        .await
        .unwrap_err();
    assert!(
        matches!(
            twice,
            ServiceError::Council(CouncilError::AlreadyVoted { .. })
        ),
        "{twice}"
    );
    // The coordinator reads the council but records no ballot.
    let coord = actor(&t, "coordinator");
    assert!(mbs
        .cast_ballot(&coord, v.id, ids[3], "Kabul")
        .await
        .is_err());
    let early = mbs.close_vote(&muhtar, v.id).await.unwrap_err();
    assert!(
        matches!(
            early,
            ServiceError::Council(CouncilError::StillRunning { .. })
        ),
        "{early}"
    );
    assert!(
        mbs.vote_result(&coord, v.id).await.is_err(),
        "no result while it runs"
    );

    mbs.clock().set(closes);
    let late = mbs
        .cast_ballot(&muhtar, v.id, ids[3], "Kabul")
        .await
        .unwrap_err();
    assert!(
        matches!(late, ServiceError::Council(CouncilError::Closed)),
        "{late}"
    );
    let result = mbs.close_vote(&muhtar, v.id).await.unwrap();
    assert_eq!(result.counts, [2, 1, 0]);
    assert_eq!(result.decision, Decision::Adopted { option: 0 });
    assert!(result.quorum_met);
    let again = mbs.close_vote(&muhtar, v.id).await.unwrap_err();
    assert!(
        matches!(again, ServiceError::Council(CouncilError::Closed)),
        "{again}"
    );
    assert_eq!(mbs.vote_result(&coord, v.id).await.unwrap(), result);
    let (choice, counted) = mbs.verify_receipt(&coord, v.id, &r0).await.unwrap();
    assert_eq!((choice.as_str(), counted), ("Kabul", true));
    let stranger = ReceiptCode::parse("7KQ2-M9XA-4T0B").unwrap();
    assert!(matches!(
        mbs.verify_receipt(&coord, v.id, &stranger).await,
        Err(ServiceError::Council(CouncilError::UnknownReceipt))
    ));
    // A result counted before a ballot came in is refused by the store, nothing written.
    let open = mbs
        .open_vote(
            &muhtar,
            &kuzguncuk(),
            NewVote::new("Yol", closes + Duration::hours(1)),
        )
        .await
        .unwrap();
    let stale = tally(&open, &[]);
    receipt(
        mbs.cast_ballot(&muhtar, open.id, ids[0], "Ret")
            .await
            .unwrap(),
    );
    assert!(matches!(
        mbs.store().close_vote(&t, open.id, &stale).await,
        Err(muhtar_core::store::StoreError::Conflict {
            expected: 0,
            actual: 1
        })
    ));
    assert_eq!(
        mbs.store().vote(&t, open.id).await.unwrap().status,
        muhtar_core::council::VoteStatus::Open
    );
    // The store refuses what the service would: closing is final there too.
    assert!(matches!(
        mbs.store().close_vote(&t, v.id, &result).await,
        Err(muhtar_core::store::StoreError::Frozen { .. })
    ));
}

#[tokio::test]
async fn a_secret_vote_keeps_no_member_with_the_ballot_and_changes_by_receipt() {
    let (mbs, t) = given().await;
    let muhtar = actor(&t, "muhtar:kuzguncuk");
    let ids = members(&mbs, &t, 3).await;
    let mut n = NewVote::new("Meydanın adı", fixtures::t0() + Duration::hours(1));
    n.options = VoteOptions::List(vec!["Çınar".into(), "Lale".into()]);
    n.secret = true;
    n.changeable = true;
    let v = mbs.open_vote(&muhtar, &kuzguncuk(), n).await.unwrap();
    let r = receipt(
        mbs.cast_ballot(&muhtar, v.id, ids[0], "Çınar")
            .await
            .unwrap(),
    );
    receipt(
        mbs.cast_ballot(&muhtar, v.id, ids[1], "Lale")
            .await
            .unwrap(),
    );
    let stored = mbs.store().ballots(&t, v.id).await.unwrap();
    assert!(stored.iter().all(|b| b.member.is_none()), "{stored:?}");
    // A second ballot of a secret vote is refused: it is changed with its receipt.
    assert!(mbs
        .cast_ballot(&muhtar, v.id, ids[0], "Lale")
        .await
        .is_err());
    mbs.change_ballot(&muhtar, v.id, &r, "Lale").await.unwrap();
    assert_eq!(
        mbs.verify_receipt(&muhtar, v.id, &r).await.unwrap().0,
        "Lale"
    );
    assert_eq!(mbs.store().participants(&t, v.id).await.unwrap().len(), 2);

    // An open vote that allows changes changes the member's ballot in place.
    let mut o = NewVote::new("Park", fixtures::t0() + Duration::hours(1));
    o.changeable = true;
    let open = mbs.open_vote(&muhtar, &kuzguncuk(), o).await.unwrap();
    let first = receipt(
        mbs.cast_ballot(&muhtar, open.id, ids[2], "Ret")
            .await
            .unwrap(),
    );
    assert_eq!(
        mbs.cast_ballot(&muhtar, open.id, ids[2], "Kabul")
            .await
            .unwrap(),
        Cast::Changed
    );
    assert_eq!(
        mbs.verify_receipt(&muhtar, open.id, &first)
            .await
            .unwrap()
            .0,
        "Kabul"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn parallel_ballots_of_one_member_count_once() {
    let (mbs, t) = given().await;
    let ids = members(&mbs, &t, 6).await;
    let muhtar = actor(&t, "muhtar:kuzguncuk");
    let v = mbs
        .open_vote(
            &muhtar,
            &kuzguncuk(),
            NewVote::new("Park", fixtures::t0() + Duration::days(1)),
        )
        .await
        .unwrap();
    let mbs = Arc::new(mbs);
    let mut tasks = Vec::new();
    for round in 0..4 {
        for m in &ids {
            let (mbs, muhtar, m) = (mbs.clone(), muhtar.clone(), *m);
            let choice = ["Kabul", "Ret", "Çekimser"][round % 3];
            tasks.push(tokio::spawn(async move {
                (m, mbs.cast_ballot(&muhtar, v.id, m, choice).await)
            }));
        }
    }
    let mut accepted: BTreeMap<MemberId, usize> = BTreeMap::new();
    for task in tasks {
        let (m, r) = task.await.unwrap();
        match r {
            Ok(Cast::New(_)) => *accepted.entry(m).or_default() += 1,
            Ok(Cast::Changed) => panic!("not a changeable vote"),
            Err(ServiceError::Council(CouncilError::AlreadyVoted { .. })) => {}
            Err(e) => panic!("{e}"),
        }
    }
    assert_eq!(accepted.len(), ids.len());
    assert!(accepted.values().all(|n| *n == 1), "{accepted:?}");
    assert_eq!(
        mbs.store().ballots(&t, v.id).await.unwrap().len(),
        ids.len()
    );
}
