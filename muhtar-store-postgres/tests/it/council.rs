//! What only PostgreSQL proves of councils: a ballot and a close serialize on the vote's
//! row (the close's `FOR UPDATE` against the ballot's `FOR SHARE`), so a ballot waiting
//! for a close finds the vote closed and writes nothing, and a close waits for a ballot
//! in progress; a secret vote's ballots live in one urn row that links no member to a
//! choice, system columns included; triggers refuse deleting ballots, urns or
//! participation and changing a closed vote. Skipped without `DATABASE_URL`.

use crate::common;

use muhtar_core::council::{tally, MemberId, Vote, VoteStatus};
use muhtar_core::ids::{RandomSource, SeededRandom};
use muhtar_core::store::{CouncilStore, StoreError};
use muhtar_core::testkit::conformance::{council_ballot, council_member, council_vote};
use muhtar_core::testkit::fixtures::{t0, tenant};
use muhtar_store_postgres::PgStore;

/// Two stores (pools) on one fresh schema, and a vote of tenant `t` with three members.
async fn setup(t: &str, secret: bool) -> (PgStore, PgStore, Vote, Vec<MemberId>) {
    let schema = common::fresh_schema().await;
    let a = PgStore::from_pool(common::pool_in(&schema, 3).await);
    a.migrate().await.unwrap();
    let b = PgStore::from_pool(common::pool_in(&schema, 2).await);
    let mut ids = Vec::new();
    for i in 1..=3u128 {
        let m = council_member(t, "kuzguncuk", i, t0());
        a.put_member(&m).await.unwrap();
        ids.push(m.id);
    }
    let vote = council_vote(t, "kuzguncuk", 1, secret, &ids, t0());
    a.put_vote(&vote).await.unwrap();
    (a, b, vote, ids)
}

/// Locks the vote's row in a transaction left open, as a concurrent close (`FOR UPDATE`)
/// or ballot (`FOR SHARE`) would hold it.
async fn hold_vote(
    s: &PgStore,
    t: &str,
    vote: &Vote,
    lock: &str,
) -> sqlx::Transaction<'static, sqlx::Postgres> {
    let mut tx = s.pool().begin().await.unwrap();
    sqlx::query(&format!(
        "SELECT 1 FROM council_votes WHERE tenant = $1 AND id = $2 {lock}"
    ))
    .bind(t)
    .bind(vote.id.0)
    .execute(&mut *tx)
    .await
    .unwrap();
    tx
}

/// Waits until a statement starting with `prefix` waits for a lock.
async fn wait_for_lock(s: &PgStore, prefix: &str) {
    for _ in 0..200 {
        let waiting: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM pg_stat_activity
             WHERE wait_event_type = 'Lock' AND query LIKE $1 || '%'",
        )
        .bind(prefix)
        .fetch_one(s.pool())
        .await
        .unwrap();
        if waiting > 0 {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    panic!("{prefix}… never waited for a lock");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_ballot_waits_for_a_close_holding_the_vote_and_finds_it_closed() {
    if common::skip() {
        return;
    }
    let t = "yaris-kapanis";
    let (a, b, vote, ids) = setup(t, false).await;
    let tid = tenant(t);
    let mut rng = SeededRandom::new(1);

    // A close in progress: the vote's row held FOR UPDATE, then closed.
    let mut tx = hold_vote(&a, t, &vote, "FOR UPDATE").await;
    let task = {
        let (b, tid, ballot) = (b.clone(), tid.clone(), council_ballot(&mut rng, 0));
        let (v, m) = (vote.id, ids[0]);
        tokio::spawn(async move { b.cast_ballot(&tid, v, m, &ballot).await })
    };
    wait_for_lock(&a, "SELECT status, secret FROM council_votes").await;
    assert!(!task.is_finished());
    let mut closed = vote.clone();
    closed.status = VoteStatus::Closed;
    closed.result = Some(tally(&vote, &[]));
    sqlx::query(
        "UPDATE council_votes SET status = 'closed', vote = $3 WHERE tenant = $1 AND id = $2",
    )
    .bind(t)
    .bind(vote.id.0)
    .bind(serde_json::to_string(&closed).unwrap())
    .execute(&mut *tx)
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let err = task.await.unwrap().unwrap_err();
    assert!(matches!(err, StoreError::Frozen { .. }), "{err:?}");
    assert!(a.ballots(&tid, vote.id).await.unwrap().is_empty());
    assert!(a.participants(&tid, vote.id).await.unwrap().is_empty());
    assert_eq!(a.vote(&tid, vote.id).await.unwrap(), closed);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_close_waits_for_a_ballot_in_progress_and_a_released_close_lets_it_in() {
    if common::skip() {
        return;
    }
    let t = "yaris-oy";
    let (a, b, vote, ids) = setup(t, true).await;
    let tid = tenant(t);
    let mut rng = SeededRandom::new(2);

    // A close that gives up (rolls back) lets the waiting ballot in.
    let tx = hold_vote(&a, t, &vote, "FOR UPDATE").await;
    let first = council_ballot(&mut rng, 1);
    let task = {
        let (b, tid, ballot) = (b.clone(), tid.clone(), first.clone());
        let (v, m) = (vote.id, ids[0]);
        tokio::spawn(async move { b.cast_ballot(&tid, v, m, &ballot).await })
    };
    wait_for_lock(&a, "SELECT status, secret FROM council_votes").await;
    tx.rollback().await.unwrap();
    task.await.unwrap().unwrap();

    // A ballot in progress (the vote's row FOR SHARE, its rows written, not committed):
    // the store's close waits for it, and the ballot is in before the vote closes.
    let mut tx = hold_vote(&a, t, &vote, "FOR SHARE").await;
    let second = council_ballot(&mut rng, 0);
    sqlx::query("INSERT INTO council_participation (tenant, vote, member) VALUES ($1, $2, $3)")
        .bind(t)
        .bind(vote.id.0)
        .bind(ids[1].0)
        .execute(&mut *tx)
        .await
        .unwrap();
    sqlx::query(
        "UPDATE council_secret_urns
         SET ballots = ballots || jsonb_build_array(jsonb_build_object('r', $3::text, 'c', 0))
         WHERE tenant = $1 AND vote = $2",
    )
    .bind(t)
    .bind(vote.id.0)
    .bind(&second.receipt_hash)
    .execute(&mut *tx)
    .await
    .unwrap();
    let result = tally(&vote, std::slice::from_ref(&first));
    let task = {
        let (b, tid, r, v) = (b.clone(), tid.clone(), result.clone(), vote.id);
        tokio::spawn(async move { b.close_vote(&tid, v, &r).await })
    };
    wait_for_lock(&a, "SELECT status, secret FROM council_votes").await;
    assert!(!task.is_finished());
    tx.commit().await.unwrap();
    // The close counted one ballot; two are stored when it gets the lock: refused,
    // nothing written (check_close), and a close counting both goes through.
    let refused = task.await.unwrap().unwrap_err();
    assert!(
        matches!(
            refused,
            StoreError::Conflict {
                expected: 1,
                actual: 2
            }
        ),
        "{refused:?}"
    );
    let stored = a.ballots(&tid, vote.id).await.unwrap();
    assert_eq!(
        a.vote(&tid, vote.id).await.unwrap().status,
        VoteStatus::Open
    );
    b.close_vote(&tid, vote.id, &tally(&vote, &stored))
        .await
        .unwrap();
    assert_eq!(stored.len(), 2);
    assert!(stored.iter().all(|b| b.member.is_none()), "{stored:?}");
    let late = council_ballot(&mut rng, 2);
    let err = a
        .cast_ballot(&tid, vote.id, ids[2], &late)
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Frozen { .. }), "{err:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ballots_are_kept_and_a_closed_vote_never_changes() {
    if common::skip() {
        return;
    }
    for secret in [false, true] {
        let t = if secret { "kalici-gizli" } else { "kalici" };
        let (a, _b, vote, ids) = setup(t, secret).await;
        let tid = tenant(t);
        let mut rng = SeededRandom::new(3);
        for m in &ids[..2] {
            a.cast_ballot(&tid, vote.id, *m, &council_ballot(&mut rng, 0))
                .await
                .unwrap();
        }
        let refused = |sql: &'static str| {
            let pool = a.pool().clone();
            async move {
                let err = sqlx::query(sql).execute(&pool).await.unwrap_err();
                let code = err
                    .as_database_error()
                    .and_then(|d| d.code())
                    .map(|c| c.into_owned());
                assert_eq!(code.as_deref(), Some("P0001"), "{sql}: {err}");
            }
        };
        let (kept, after_close): (&[&'static str], &[&'static str]) = if secret {
            (
                &[
                    "DELETE FROM council_secret_urns",
                    "DELETE FROM council_participation",
                    "UPDATE council_participation SET member = gen_random_uuid()",
                    "UPDATE council_secret_urns SET vote = gen_random_uuid()",
                ],
                &["UPDATE council_secret_urns SET ballots = '[]'"],
            )
        } else {
            (
                &[
                    "DELETE FROM council_ballots",
                    "DELETE FROM council_participation",
                    "UPDATE council_participation SET member = gen_random_uuid()",
                    "UPDATE council_ballots SET receipt_hash = 'x'",
                    "UPDATE council_ballots SET member = gen_random_uuid()",
                ],
                &["UPDATE council_ballots SET choice = 2"],
            )
        };
        for sql in kept {
            refused(sql).await;
        }
        let ballots = a.ballots(&tid, vote.id).await.unwrap();
        assert_eq!(ballots.len(), 2);
        let result = tally(&vote, &ballots);
        a.close_vote(&tid, vote.id, &result).await.unwrap();
        let closed = a.vote(&tid, vote.id).await.unwrap();
        for sql in [
            "UPDATE council_votes SET status = 'open'",
            "UPDATE council_votes SET vote = replace(vote, '\"closed\"', '\"open\"')",
            "DELETE FROM council_votes",
        ]
        .iter()
        .chain(after_close)
        {
            refused(sql).await;
        }
        assert_eq!(a.vote(&tid, vote.id).await.unwrap(), closed);
        assert_eq!(closed.result, Some(result));
        assert_eq!(a.ballots(&tid, vote.id).await.unwrap(), ballots);
    }
}

/// A secret vote read straight from the tables, system columns included: no ballot row
/// at all in `council_ballots`; one urn row whose ballots are sorted by receipt hash (not
/// the cast order) and name no member; and no participation row shares its transaction
/// id (`xmin`) with a ballot but the last one, which shares it with the whole urn. So no
/// participation row can be linked to a choice. The same votes' ballots as the store
/// lists them are every ballot cast.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_secret_votes_tables_cannot_link_a_member_to_a_choice() {
    if common::skip() {
        return;
    }
    let t = "gizli-pg";
    let schema = common::fresh_schema().await;
    let a = PgStore::from_pool(common::pool_in(&schema, 3).await);
    a.migrate().await.unwrap();
    let tid = tenant(t);
    let mut ids = Vec::new();
    for i in 1..=20u128 {
        let m = council_member(t, "kuzguncuk", i, t0());
        a.put_member(&m).await.unwrap();
        ids.push(m.id);
    }
    let vote = council_vote(t, "kuzguncuk", 1, true, &ids, t0());
    a.put_vote(&vote).await.unwrap();
    let mut rng = SeededRandom::new(21);
    let mut order: Vec<usize> = (0..ids.len()).collect();
    for i in (1..order.len()).rev() {
        order.swap(i, (rng.next_u64() % (i as u64 + 1)) as usize);
    }
    let mut cast = Vec::new();
    for &i in &order {
        let b = council_ballot(&mut rng, (i % 3) as u8);
        a.cast_ballot(&tid, vote.id, ids[i], &b).await.unwrap();
        cast.push(b.receipt_hash);
    }

    let rows: i64 = sqlx::query_scalar("SELECT count(*) FROM council_ballots")
        .fetch_one(a.pool())
        .await
        .unwrap();
    assert_eq!(rows, 0, "a secret ballot stored as a row of its own");
    let urns: Vec<(String, serde_json::Value)> =
        sqlx::query_as("SELECT xmin::text, ballots FROM council_secret_urns")
            .fetch_all(a.pool())
            .await
            .unwrap();
    assert_eq!(urns.len(), 1);
    let (urn_xmin, ballots) = &urns[0];
    let entries = ballots.as_array().unwrap();
    assert_eq!(entries.len(), 20);
    for e in entries {
        let keys: Vec<&String> = e.as_object().unwrap().keys().collect();
        assert_eq!(
            keys,
            ["c", "r"],
            "an urn entry holds more than receipt and choice"
        );
    }
    let stored: Vec<String> = entries
        .iter()
        .map(|e| e["r"].as_str().unwrap().to_owned())
        .collect();
    let mut sorted = cast.clone();
    sorted.sort();
    assert_eq!(stored, sorted, "the urn is not sorted by receipt hash");
    assert_ne!(stored, cast, "the urn keeps the cast order");

    let participation: Vec<String> =
        sqlx::query_scalar("SELECT xmin::text FROM council_participation ORDER BY ctid")
            .fetch_all(a.pool())
            .await
            .unwrap();
    assert_eq!(participation.len(), 20);
    let sharing = participation.iter().filter(|x| *x == urn_xmin).count();
    assert_eq!(
        sharing, 1,
        "only the last voter's transaction wrote the urn's live row"
    );
    let listed = a.ballots(&tid, vote.id).await.unwrap();
    let listed: Vec<String> = listed.into_iter().map(|b| b.receipt_hash).collect();
    assert_eq!(listed, sorted);
}

/// Migration 0020 over a database holding secret ballots as rows (as 0015 to 0020 wrote
/// them): applied by hand, it moves them into their vote's urn, sorted, leaves the open
/// vote's rows where they are, and the store then lists the same ballots and takes more.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn migration_0020_moves_secret_ballots_into_their_urn() {
    if common::skip() {
        return;
    }
    let t = "urn-goc";
    let schema = common::fresh_schema().await;
    let pool = common::pool_in(&schema, 2).await;
    let by_hand = |version: i64| {
        let pool = pool.clone();
        async move {
            let m = muhtar_store_postgres::migrator();
            let mut tx = pool.begin().await.unwrap();
            for mig in m.iter().filter(|m| version_matches(m.version, version)) {
                sqlx::raw_sql(&mig.sql).execute(&mut *tx).await.unwrap();
            }
            tx.commit().await.unwrap();
        }
    };
    by_hand(-20).await; // every migration before 0020
    let s = PgStore::from_pool(pool.clone());
    let tid = tenant(t);
    let mut ids = Vec::new();
    for i in 1..=4u128 {
        let m = council_member(t, "kuzguncuk", i, t0());
        s.put_member(&m).await.unwrap();
        ids.push(m.id);
    }
    let mut rng = SeededRandom::new(22);
    let mut votes = Vec::new();
    for (n, secret) in [(1u128, true), (2, false)] {
        let vote = council_vote(t, "kuzguncuk", n, secret, &ids, t0());
        sqlx::query(
            "INSERT INTO council_votes (tenant, id, muhtarlik, status, secret, created_at, vote)
             VALUES ($1, $2, 'kuzguncuk', 'open', $3, $4, $5)",
        )
        .bind(t)
        .bind(vote.id.0)
        .bind(secret)
        .bind(t0())
        .bind(serde_json::to_string(&vote).unwrap())
        .execute(&pool)
        .await
        .unwrap();
        let mut cast = Vec::new();
        for m in &ids[..3] {
            let b = council_ballot(&mut rng, (cast.len() % 2) as u8);
            sqlx::query(
                "INSERT INTO council_participation (tenant, vote, member) VALUES ($1, $2, $3)",
            )
            .bind(t)
            .bind(vote.id.0)
            .bind(m.0)
            .execute(&pool)
            .await
            .unwrap();
            sqlx::query(
                "INSERT INTO council_ballots (tenant, vote, receipt_hash, choice, member)
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(t)
            .bind(vote.id.0)
            .bind(&b.receipt_hash)
            .bind(i16::from(b.choice))
            .bind((!secret).then_some(m.0))
            .execute(&pool)
            .await
            .unwrap();
            cast.push(b.receipt_hash);
        }
        cast.sort();
        votes.push((vote, cast));
    }
    by_hand(20).await;

    let rows: Vec<uuid::Uuid> = sqlx::query_scalar("SELECT DISTINCT vote FROM council_ballots")
        .fetch_all(&pool)
        .await
        .unwrap();
    assert_eq!(
        rows,
        vec![votes[1].0.id.0],
        "only the open vote keeps ballot rows"
    );
    for (vote, cast) in &votes {
        let listed: Vec<String> = s
            .ballots(&tid, vote.id)
            .await
            .unwrap()
            .into_iter()
            .map(|b| b.receipt_hash)
            .collect();
        assert_eq!(&listed, cast);
    }
    // The moved urn takes the fourth member's ballot and closes with all four.
    let (secret, _) = &votes[0];
    s.cast_ballot(&tid, secret.id, ids[3], &council_ballot(&mut rng, 1))
        .await
        .unwrap();
    let ballots = s.ballots(&tid, secret.id).await.unwrap();
    assert_eq!(ballots.len(), 4);
    s.close_vote(&tid, secret.id, &tally(secret, &ballots))
        .await
        .unwrap();
}

/// `version` of a migration is `want` (positive) or below `-want` (negative).
fn version_matches(version: i64, want: i64) -> bool {
    if want < 0 {
        version < -want
    } else {
        version == want
    }
}
