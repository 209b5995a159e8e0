//! The conformance checks of [`crate::store::DecisionStore`]: a council decision's link
//! is written by the new request's commit and read by vote and by request, within its
//! tenant; a link that does not name its commit's new request is refused; **a vote's
//! decision is sent at most once**: of concurrent commits naming one vote exactly one
//! is written, the others write nothing (no request, no notice).

use uuid::Uuid;

use super::super::fixtures::{next_commit, t0, tenant, Spec};
use super::documents::join_all;
use crate::council::{DecisionLink, VoteId};
use crate::request::EventKind;
use crate::store::{Commit, Store, StoreError, StoreErrorKind, DECISION_SENT};

/// The new request of tenant `t` numbered `seed`, carrying the decision of vote `vote`.
pub fn decision_commit(t: &str, seed: u64, vote: u128) -> Commit {
    let mut c = Spec::new(t, seed).commit();
    let st = &c.record.state;
    c.decision = Some(DecisionLink::new(
        st.tenant.clone(),
        VoteId(Uuid::from_u128(vote)),
        st.content.muhtarlik.clone(),
        st.id,
        st.tracking,
        st.content.received_at,
        "ab".repeat(32),
    ));
    c
}

/// A link round-trips by vote and by request; other tenants, votes and requests have none.
pub async fn council_decision_links_round_trip<S: Store>(s: &S) {
    let c = decision_commit("karar", 1, 7);
    s.commit(&c).await.unwrap();
    let link = c.decision.clone().unwrap();
    let t = tenant("karar");
    assert_eq!(
        s.decision_of_vote(&t, link.vote).await.unwrap(),
        Some(link.clone())
    );
    assert_eq!(
        s.decision_of_request(&t, link.request).await.unwrap(),
        Some(link.clone())
    );
    let other = tenant("baska");
    assert_eq!(s.decision_of_vote(&other, link.vote).await.unwrap(), None);
    assert_eq!(
        s.decision_of_request(&other, link.request).await.unwrap(),
        None
    );
    let v8 = VoteId(Uuid::from_u128(8));
    assert_eq!(s.decision_of_vote(&t, v8).await.unwrap(), None);
    // A request without a decision has none.
    let plain = Spec::new("karar", 2).commit();
    s.commit(&plain).await.unwrap();
    assert_eq!(
        s.decision_of_request(&t, plain.record.state.id)
            .await
            .unwrap(),
        None
    );
    // A later commit of the request keeps the link.
    let later = next_commit(
        &c.record,
        EventKind::Accepted,
        t0() + chrono::Duration::hours(3),
    );
    s.commit(&later).await.unwrap();
    assert_eq!(s.decision_of_vote(&t, link.vote).await.unwrap(), Some(link));
}

/// A link with a later commit, or naming another request, is refused; nothing written.
pub async fn council_decision_link_must_name_the_new_request<S: Store>(s: &S) {
    let c = Spec::new("karar-bag", 1).commit();
    s.commit(&c).await.unwrap();
    let mut later = next_commit(
        &c.record,
        EventKind::Accepted,
        t0() + chrono::Duration::hours(3),
    );
    later.decision = decision_commit("karar-bag", 1, 9).decision;
    let e = s.commit(&later).await.unwrap_err();
    assert_eq!(e.kind(), StoreErrorKind::Invalid, "{e:?}");
    let mut wrong = decision_commit("karar-bag", 2, 9);
    let other = Spec::new("karar-bag", 3).commit();
    wrong.decision.as_mut().unwrap().request = other.record.state.id;
    let e = s.commit(&wrong).await.unwrap_err();
    assert_eq!(e.kind(), StoreErrorKind::Invalid, "{e:?}");
    let t = tenant("karar-bag");
    assert_eq!(
        s.decision_of_vote(&t, VoteId(Uuid::from_u128(9)))
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        s.load(&t, c.record.state.id).await.unwrap().state,
        c.record.state
    );
}

/// Concurrent sends of one vote's decision: exactly one request is written with its link
/// and notices; every other is refused with `Duplicate { DECISION_SENT }` and leaves
/// nothing. A second send after the first is refused the same way.
pub async fn council_decision_sent_once_under_concurrency<S: Store>(s: &S) {
    for round in 0..4u64 {
        let t = format!("karar-yaris-{round}");
        let tid = tenant(&t);
        let commits: Vec<Commit> = (0..2 + round)
            .map(|i| decision_commit(&t, 10 + i, 100 + u128::from(round)))
            .collect();
        let results = join_all(commits.iter().map(|c| s.commit(c)).collect()).await;
        let mut winners = Vec::new();
        for (c, r) in commits.iter().zip(results) {
            match r {
                Ok(()) => winners.push(c),
                Err(StoreError::Duplicate { what }) if what == DECISION_SENT => {
                    let id = c.record.state.id;
                    assert!(
                        matches!(s.load(&tid, id).await, Err(StoreError::NotFound { .. })),
                        "round {round}: a refused send writes no request"
                    );
                    assert!(s.outbox(&tid, Some(id)).await.unwrap().is_empty());
                }
                Err(e) => panic!("round {round}: {e:?}"),
            }
        }
        assert_eq!(winners.len(), 1, "round {round}: exactly one send wins");
        let w = winners[0];
        let link = w.decision.clone().unwrap();
        assert_eq!(
            s.decision_of_vote(&tid, link.vote).await.unwrap(),
            Some(link.clone())
        );
        assert_eq!(
            s.load(&tid, w.record.state.id).await.unwrap().state,
            w.record.state
        );
        let again = decision_commit(&t, 99, 100 + u128::from(round));
        match s.commit(&again).await {
            Err(StoreError::Duplicate { what }) => assert_eq!(what, DECISION_SENT),
            other => panic!("round {round}: sent twice: {other:?}"),
        }
    }
}

/// The new request of tenant `t` numbered `seed` routed to `unit`, for the municipal
/// council's agenda when `flag`.
fn flagged(t: &str, seed: u64, unit: &str, flag: bool) -> Commit {
    let mut spec = Spec::new(t, seed);
    spec.unit = unit.into();
    let mut c = spec.commit();
    c.record.state.content.municipal_council = flag;
    for e in &mut c.events {
        if let EventKind::Received { content, .. } = &mut e.kind {
            content.municipal_council = flag;
        }
    }
    c
}

/// The municipal-council count: flagged requests received in the window, within the
/// tenant, narrowed to the units given; the flag reads back with the request.
pub async fn council_municipal_council_requests_are_counted<S: Store>(s: &S) {
    let commits = [
        flagged("belediye", 1, "fen-isleri", true),
        flagged("belediye", 2, "fen-isleri", false),
        flagged("belediye", 3, "park-bahce", true),
        flagged("belediye", 30, "fen-isleri", true),
        flagged("baska-belediye", 4, "fen-isleri", true),
    ];
    for c in &commits {
        s.commit(c).await.unwrap();
    }
    let t = tenant("belediye");
    let stored = s.load(&t, commits[0].record.state.id).await.unwrap();
    assert!(stored.state.content.municipal_council);
    // Spec's requests are received `seed` hours after t0.
    let (from, to) = (t0(), t0() + chrono::Duration::hours(10));
    assert_eq!(
        s.municipal_council_count(&t, from, to, None).await.unwrap(),
        2
    );
    let fen = ["fen-isleri".parse().unwrap()];
    assert_eq!(
        s.municipal_council_count(&t, from, to, Some(&fen))
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        s.municipal_council_count(&t, from, to, Some(&[]))
            .await
            .unwrap(),
        0
    );
    let all = t0() + chrono::Duration::hours(40);
    assert_eq!(
        s.municipal_council_count(&t, from, all, None)
            .await
            .unwrap(),
        3
    );
    // The window's end is excluded, its start included.
    let one = t0() + chrono::Duration::hours(1);
    assert_eq!(
        s.municipal_council_count(&t, one, one, None).await.unwrap(),
        0
    );
    assert_eq!(
        s.municipal_council_count(&t, one, one + chrono::Duration::seconds(1), None)
            .await
            .unwrap(),
        1
    );
}
