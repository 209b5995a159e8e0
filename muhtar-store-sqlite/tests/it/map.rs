//! What only the SQLite store has to prove about the map (migration 0012): the locations
//! of rows written before it reach the R*Tree, the R*Tree follows every write of the
//! table (and survives a VACUUM), and a box query searches it first.

use muhtar_core::map::{BBox, MapPoint};
use muhtar_core::request::{EventKind, Location};
use muhtar_core::store::{RequestQuery, RequestRecord, RequestStore};
use muhtar_core::testkit::fixtures::{next_commit, t0, tenant, Spec};
use muhtar_store_sqlite::{SqliteOptions, SqliteStore};
use tempfile::TempDir;

use crate::sqlite_specific::{apply_first_migration_by_hand, insert_v1, store_in};

/// A request of `t` numbered `seed`, at `(lon, lat)` when given.
fn spec(t: &str, seed: u64, at: Option<(f64, f64)>) -> Spec {
    let mut s = Spec::new(t, seed);
    s.location = at.map(|(lon, lat)| Location { lon, lat });
    s
}

fn bbox(a: f64, b: f64, c: f64, d: f64) -> BBox {
    BBox::new(a, b, c, d).unwrap()
}

/// The trackings of the points in `b`, in the store's order.
async fn in_box(store: &SqliteStore, t: &str, b: BBox) -> Vec<String> {
    let q = RequestQuery {
        bbox: Some(b),
        ..Default::default()
    };
    let points = store.map_points(&tenant(t), &q, 1000).await.unwrap();
    let page = store.query(&tenant(t), &q).await.unwrap();
    let listed: Vec<String> = page
        .items
        .iter()
        .map(|r| r.state.tracking.to_string())
        .collect();
    let mapped: Vec<String> = points.iter().map(|p| p.tracking.to_string()).collect();
    assert_eq!(listed, mapped, "the listing and the map points agree");
    mapped
}

/// `(R*Tree rows, located requests)` of the file.
fn counts(db: &std::path::Path) -> (i64, i64) {
    let conn = rusqlite::Connection::open(db).unwrap();
    let count = |sql: &str| conn.query_row(sql, [], |r| r.get::<_, i64>(0)).unwrap();
    (
        count("SELECT COUNT(*) FROM request_places"),
        count("SELECT COUNT(*) FROM requests WHERE lon IS NOT NULL"),
    )
}

/// Migration 0012 fills `lon`/`lat` and the R*Tree from the JSON state of rows written
/// before it: box queries and map points then equal the reference over those requests,
/// and requests committed afterwards get keys of their own next to them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn locations_of_old_rows_reach_the_spatial_index() {
    let dir = TempDir::new().unwrap();
    let db = dir.path().join("muhtar.db");
    apply_first_migration_by_hand(&db);
    let mut records: Vec<RequestRecord> = Vec::new();
    for seed in 1..=12u64 {
        let at = (seed % 3 != 0).then_some((29.0 + seed as f64 * 0.01, 41.0 + seed as f64 * 0.005));
        let c = spec("old", seed, at).commit();
        insert_v1(&db, &c);
        records.push(c.record);
    }
    let store = SqliteStore::open(&db, SqliteOptions::default())
        .await
        .unwrap();
    store.migrate().await.unwrap();
    assert_eq!(counts(&db), (8, 8));
    let t = tenant("old");
    for b in [
        bbox(29.0, 41.0, 29.2, 41.1),
        bbox(29.03, 41.0, 29.07, 41.1),
        bbox(29.04, 41.02, 29.04, 41.02),
    ] {
        let q = RequestQuery {
            bbox: Some(b),
            ..Default::default()
        };
        assert_eq!(
            store.map_points(&t, &q, 100).await.unwrap(),
            MapPoint::reference(&records, &q, 100),
            "{b}"
        );
    }
    assert_eq!(
        in_box(&store, "old", bbox(29.04, 41.02, 29.04, 41.02))
            .await
            .len(),
        1
    );
    // New requests, located or not, next to the old ones.
    for seed in 13..=16u64 {
        let c = spec("old", seed, (seed % 2 == 0).then_some((29.3, 41.3))).commit();
        store.commit(&c).await.unwrap();
    }
    assert_eq!(counts(&db), (10, 10));
    assert_eq!(
        in_box(&store, "old", bbox(29.25, 41.25, 29.35, 41.35))
            .await
            .len(),
        2
    );
}

/// The triggers keep the R*Tree in step with the table: a commit of a located request
/// adds its point once (later commits leave it), a DBA's UPDATE of `lon` moves it and a
/// DELETE removes it; a VACUUM (which may renumber rowids) changes no answer.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_spatial_index_follows_every_write() {
    let dir = TempDir::new().unwrap();
    let store = store_in(dir.path(), SqliteOptions::default()).await;
    let db = dir.path().join("muhtar.db");
    let mut recs = Vec::new();
    for seed in 1..=6u64 {
        let c = spec("trg", seed, Some((29.0 + seed as f64 * 0.1, 41.0))).commit();
        store.commit(&c).await.unwrap();
        recs.push(c.record);
    }
    let unlocated = spec("trg", 7, None).commit();
    store.commit(&unlocated).await.unwrap();
    // Later commits of located requests leave their point alone.
    let c = next_commit(&recs[0], EventKind::Accepted, t0());
    store.commit(&c).await.unwrap();
    assert_eq!(counts(&db), (6, 6));
    let all = bbox(28.0, 40.0, 30.0, 42.0);
    assert_eq!(in_box(&store, "trg", all).await.len(), 6);
    let first = recs[0].state.tracking.to_string();
    assert_eq!(
        in_box(&store, "trg", bbox(29.05, 40.9, 29.15, 41.1)).await,
        vec![first.clone()]
    );
    {
        let conn = rusqlite::Connection::open(&db).unwrap();
        conn.execute(
            "UPDATE requests SET lon = 29.95, \
             state = json_set(state, '$.content.location.lon', 29.95) WHERE tracking = ?1",
            [&first],
        )
        .unwrap();
        let gone = recs[1].state.id.to_string();
        conn.execute("DELETE FROM events WHERE request_id = ?1", [&gone])
            .unwrap();
        conn.execute("DELETE FROM requests WHERE id = ?1", [&gone])
            .unwrap();
    }
    assert!(in_box(&store, "trg", bbox(29.05, 40.9, 29.15, 41.1))
        .await
        .is_empty());
    assert_eq!(
        in_box(&store, "trg", bbox(29.9, 40.9, 30.0, 41.1)).await,
        vec![first]
    );
    assert_eq!(counts(&db), (5, 5));
    let before = in_box(&store, "trg", all).await;
    rusqlite::Connection::open(&db)
        .unwrap()
        .execute_batch("VACUUM")
        .unwrap();
    assert_eq!(in_box(&store, "trg", all).await, before);
    // A new request after the VACUUM gets a key of its own.
    let c = spec("trg", 8, Some((29.5, 41.5))).commit();
    store.commit(&c).await.unwrap();
    assert_eq!(counts(&db), (6, 6));
    assert_eq!(
        in_box(&store, "trg", bbox(29.4, 41.4, 29.6, 41.6))
            .await
            .len(),
        1
    );
}

/// A box query searches the R*Tree first and looks up only what it returns (the
/// statements `map_points_in` and `query_in` send), whatever the other filters; a whole
/// tenant's map reads one covering index.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn box_queries_search_the_rtree_first() {
    let dir = TempDir::new().unwrap();
    drop(store_in(dir.path(), SqliteOptions::default()).await);
    let conn = rusqlite::Connection::open(dir.path().join("muhtar.db")).unwrap();
    let from = "request_places CROSS JOIN requests ON requests.place = request_places.place_id";
    let bbox = "west <= ? AND east >= ? AND south <= ? AND north >= ? \
                AND lon >= ? AND lon <= ? AND lat >= ? AND lat <= ?";
    for sql in [
        format!(
            "SELECT tracking, lon, lat FROM {from} WHERE tenant = ? AND lon IS NOT NULL \
             AND lat IS NOT NULL AND {bbox} ORDER BY priority_rank ASC, \
             COALESCE(resolution_due, 9223372036854775807) ASC, id ASC LIMIT ?"
        ),
        format!(
            "SELECT state, deadlines FROM {from} WHERE tenant = ? AND unit IN (?) \
             AND status IN ('received', 'routed', 'in-progress', 'paused') AND {bbox} \
             ORDER BY -priority_rank DESC, received_at DESC, id DESC LIMIT ?"
        ),
    ] {
        let n = sql.matches('?').count();
        let mut st = conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).unwrap();
        let plan: Vec<String> = st
            .query_map(rusqlite::params_from_iter((0..n).map(|_| 1i64)), |r| {
                r.get::<_, String>(3)
            })
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert!(
            plan[0].starts_with("SCAN request_places VIRTUAL TABLE INDEX"),
            "{sql}: {plan:?}"
        );
        assert!(
            plan[1].contains("SEARCH requests USING INDEX requests_place (place=?)"),
            "{sql}: {plan:?}"
        );
    }
    // A whole tenant's map reads the covering index alone, in order: no table, no sort.
    let sql = "SELECT tracking, category, status, unit, muhtarlik, resolution_due, \
               priority_rank, lon, lat FROM requests WHERE tenant = ? AND lon IS NOT NULL \
               AND lat IS NOT NULL ORDER BY priority_rank ASC, \
               COALESCE(resolution_due, 9223372036854775807) ASC, id ASC LIMIT ?";
    let mut st = conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).unwrap();
    let plan: Vec<String> = st
        .query_map(rusqlite::params![1, 1], |r| r.get::<_, String>(3))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(
        plan,
        vec!["SEARCH requests USING COVERING INDEX requests_map (tenant=?)"],
        "{sql}"
    );
}
