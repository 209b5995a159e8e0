//! What only SQLite proves of councils: a secret vote's ballot rows name no member and
//! share no value with the participation rows but the tenant and the vote, and neither
//! table keeps the order ballots were cast in (WITHOUT ROWID tables in key order: the
//! random ballot id, the member id); triggers refuse deleting ballots or participation
//! and changing a closed vote or its ballots. The conformance suite checks the contract.

use std::collections::BTreeSet;

use muhtar_core::council::tally;
use muhtar_core::ids::{RandomSource, SeededRandom};
use muhtar_core::store::CouncilStore;
use muhtar_core::testkit::conformance::{council_ballot, council_member, council_vote};
use muhtar_core::testkit::fixtures::{t0, tenant};
use muhtar_store_sqlite::SqliteOptions;
use rusqlite::types::Value;
use rusqlite::ErrorCode;

use crate::sqlite_specific::store_in;

/// Every row of `sql` as column name → value.
fn rows(conn: &rusqlite::Connection, sql: &str) -> Vec<Vec<(String, Value)>> {
    let mut st = conn.prepare(sql).unwrap();
    let names: Vec<String> = st.column_names().iter().map(|c| c.to_string()).collect();
    st.query_map([], |r| {
        (0..names.len())
            .map(|i| Ok((names[i].clone(), r.get::<_, Value>(i)?)))
            .collect()
    })
    .unwrap()
    .collect::<Result<_, _>>()
    .unwrap()
}

fn get<'a>(row: &'a [(String, Value)], column: &str) -> &'a Value {
    &row.iter()
        .find(|(c, _)| c == column)
        .unwrap_or_else(|| panic!("no column {column}"))
        .1
}

fn text(v: &Value) -> String {
    match v {
        Value::Text(s) => s.clone(),
        other => panic!("not text: {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_secret_votes_rows_share_nothing_and_keep_no_cast_order() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_in(dir.path(), SqliteOptions::default()).await;
    let t = "gizli";
    let members: Vec<_> = (1..=20u128)
        .map(|i| council_member(t, "kuzguncuk", i, t0()))
        .collect();
    for m in &members {
        store.put_member(m).await.unwrap();
    }
    let ids: Vec<_> = members.iter().map(|m| m.id).collect();
    let vote = council_vote(t, "kuzguncuk", 1, true, &ids, t0());
    store.put_vote(&vote).await.unwrap();
    // Cast in a known order that is not the members' order.
    let mut order: Vec<usize> = (0..ids.len()).collect();
    let mut rng = SeededRandom::new(20);
    for i in (1..order.len()).rev() {
        order.swap(i, (rng.next_u64() % (i as u64 + 1)) as usize);
    }
    let mut cast = Vec::new();
    for &i in &order {
        let b = council_ballot(&mut rng, (i % 3) as u8);
        store
            .cast_ballot(&tenant(t), vote.id, ids[i], &b)
            .await
            .unwrap();
        cast.push((ids[i].to_string(), b.receipt_hash));
    }

    let conn = rusqlite::Connection::open(dir.path().join("muhtar.db")).unwrap();
    let ballots = rows(&conn, "SELECT * FROM council_ballots");
    let participation = rows(&conn, "SELECT * FROM council_participation");
    assert_eq!((ballots.len(), participation.len()), (20, 20));

    // No member, and no value in common with participation but tenant and vote.
    let kept: BTreeSet<String> = participation
        .iter()
        .flatten()
        .filter(|(c, _)| c != "tenant" && c != "vote")
        .map(|(_, v)| format!("{v:?}"))
        .collect();
    for row in &ballots {
        assert_eq!(get(row, "member"), &Value::Null);
        for (column, value) in row {
            if column != "tenant" && column != "vote" && *value != Value::Null {
                assert!(
                    !kept.contains(&format!("{value:?}")),
                    "ballot column {column} shares {value:?} with participation"
                );
            }
        }
    }
    let columns: BTreeSet<&str> = ballots[0].iter().map(|(c, _)| c.as_str()).collect();
    for time_like in ["created_at", "cast_at", "at", "rowid"] {
        assert!(!columns.contains(time_like), "{columns:?}");
    }

    // Physical order: by the random ballot id, not the cast order.
    let stored_ids: Vec<String> = ballots.iter().map(|r| text(get(r, "id"))).collect();
    let mut by_id = stored_ids.clone();
    by_id.sort();
    assert_eq!(stored_ids, by_id);
    let stored_receipts: Vec<String> = ballots
        .iter()
        .map(|r| text(get(r, "receipt_hash")))
        .collect();
    let cast_receipts: Vec<String> = cast.iter().map(|(_, h)| h.clone()).collect();
    assert_ne!(stored_receipts, cast_receipts, "ballots kept in cast order");
    // Participation: by member, not the cast order either.
    let stored_members: Vec<String> = participation
        .iter()
        .map(|r| text(get(r, "member")))
        .collect();
    let mut sorted_members = stored_members.clone();
    sorted_members.sort();
    assert_eq!(stored_members, sorted_members);
    let cast_members: Vec<String> = cast.iter().map(|(m, _)| m.clone()).collect();
    assert_ne!(stored_members, cast_members);
    // Neither table has a rowid that would count insertions.
    for table in ["council_ballots", "council_participation"] {
        assert!(conn.prepare(&format!("SELECT rowid FROM {table}")).is_err());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ballots_are_kept_and_a_closed_vote_never_changes() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_in(dir.path(), SqliteOptions::default()).await;
    let t = "kalici";
    let tid = tenant(t);
    let members: Vec<_> = (1..=3u128)
        .map(|i| council_member(t, "kuzguncuk", i, t0()))
        .collect();
    for m in &members {
        store.put_member(m).await.unwrap();
    }
    let ids: Vec<_> = members.iter().map(|m| m.id).collect();
    let vote = council_vote(t, "kuzguncuk", 1, false, &ids, t0());
    store.put_vote(&vote).await.unwrap();
    let mut rng = SeededRandom::new(3);
    for m in &ids[..2] {
        let b = council_ballot(&mut rng, 0);
        store.cast_ballot(&tid, vote.id, *m, &b).await.unwrap();
    }
    let conn = rusqlite::Connection::open(dir.path().join("muhtar.db")).unwrap();
    let refused = |sql: &str| {
        let err = conn.execute(sql, []).unwrap_err();
        let rusqlite::Error::SqliteFailure(f, _) = &err else {
            panic!("{sql}: {err:?}");
        };
        assert_eq!(f.code, ErrorCode::ConstraintViolation, "{sql}: {err}");
        assert_eq!(
            f.extended_code,
            rusqlite::ffi::SQLITE_CONSTRAINT_TRIGGER,
            "{sql}: {err}"
        );
    };
    // While open: ballots and participation are never deleted; a ballot changes only
    // its choice.
    for sql in [
        "DELETE FROM council_ballots",
        "DELETE FROM council_participation",
        "UPDATE council_participation SET member = 'x'",
        "UPDATE council_ballots SET member = NULL",
        "UPDATE council_ballots SET receipt_hash = 'x'",
    ] {
        refused(sql);
    }
    let ballots = store.ballots(&tid, vote.id).await.unwrap();
    let result = tally(&vote, &ballots);
    store.close_vote(&tid, vote.id, &result).await.unwrap();
    let closed = store.vote(&tid, vote.id).await.unwrap();

    for sql in [
        "UPDATE council_votes SET status = 'open'",
        "UPDATE council_votes SET vote = replace(vote, '\"closed\"', '\"open\"')",
        "DELETE FROM council_votes",
        "UPDATE council_ballots SET choice = 2",
        "DELETE FROM council_ballots",
    ] {
        refused(sql);
    }
    let (tv, vv) = (t.to_owned(), vote.id.to_string());
    let err = conn
        .execute(
            "INSERT INTO council_ballots (tenant, vote, id, receipt_hash, choice) \
             VALUES (?1, ?2, 'ff', 'ff', 1)",
            [&tv, &vv],
        )
        .unwrap_err();
    assert_eq!(
        err.sqlite_error_code(),
        Some(ErrorCode::ConstraintViolation)
    );
    assert_eq!(store.vote(&tid, vote.id).await.unwrap(), closed);
    assert_eq!(closed.result, Some(result));
    assert_eq!(store.ballots(&tid, vote.id).await.unwrap(), ballots);
    assert_eq!(store.participants(&tid, vote.id).await.unwrap().len(), 2);
}
