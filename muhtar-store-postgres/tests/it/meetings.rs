//! The council meetings' table on PostgreSQL: its trigger refuses deleting a meeting and
//! any change to a held meeting's row made by hand; a `record_minutes` waiting on a row
//! another transaction holds finds the meeting held once that commits.

use crate::common;
use muhtar_core::council::{MemberId, Minutes};
use muhtar_core::store::{MeetingStore, StoreError};
use muhtar_core::testkit::conformance::council_meeting;
use muhtar_core::testkit::fixtures::{t0, tenant};
use muhtar_store_postgres::PgStore;
use uuid::Uuid;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_held_meeting_is_never_changed_and_no_meeting_deleted() {
    if common::skip() {
        return;
    }
    let schema = common::fresh_schema().await;
    let a = PgStore::from_pool(common::pool_in(&schema, 3).await);
    a.migrate().await.unwrap();
    let t = "toplanti-kalici";
    let tid = tenant(t);
    let (open, held) = (
        council_meeting(t, "kuzguncuk", 1, t0()),
        council_meeting(t, "kuzguncuk", 2, t0()),
    );
    a.put_meeting(&open).await.unwrap();
    a.put_meeting(&held).await.unwrap();
    let member = MemberId(Uuid::from_u128(7));
    a.set_attendance(&tid, held.id, &[member]).await.unwrap();
    let minutes = Minutes::new("Tutanak.", t0()).unwrap();
    a.record_minutes(&tid, held.id, &minutes).await.unwrap();
    let before = a.meeting(&tid, held.id).await.unwrap();

    let id = held.id.to_string();
    for sql in [
        format!("UPDATE council_meetings SET meeting = replace(meeting, 'Tutanak', 'X') WHERE id = '{id}'"),
        format!("UPDATE council_meetings SET minutes_sha256 = 'ff' WHERE id = '{id}'"),
        format!("UPDATE council_meetings SET held = false, minutes_sha256 = NULL WHERE id = '{id}'"),
        "DELETE FROM council_meetings".to_owned(),
        format!("DELETE FROM council_meetings WHERE id = '{}'", open.id),
    ] {
        let err = sqlx::query(&sql).execute(a.pool()).await.unwrap_err();
        let code = err
            .as_database_error()
            .and_then(|d| d.code())
            .map(|c| c.into_owned());
        assert_eq!(code.as_deref(), Some("P0001"), "{sql}: {err}");
    }
    // Held without the minutes' hash: the check constraint.
    let err = sqlx::query(&format!(
        "UPDATE council_meetings SET held = true WHERE id = '{}'",
        open.id
    ))
    .execute(a.pool())
    .await
    .unwrap_err();
    let code = err
        .as_database_error()
        .and_then(|d| d.code())
        .map(|c| c.into_owned());
    assert_eq!(code.as_deref(), Some("23514"), "{err}");
    assert_eq!(a.meeting(&tid, held.id).await.unwrap(), before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn minutes_waiting_on_a_held_row_find_the_meeting_held() {
    if common::skip() {
        return;
    }
    let schema = common::fresh_schema().await;
    let a = PgStore::from_pool(common::pool_in(&schema, 3).await);
    a.migrate().await.unwrap();
    let t = "toplanti-bekleyen";
    let tid = tenant(t);
    let m = council_meeting(t, "kuzguncuk", 1, t0());
    a.put_meeting(&m).await.unwrap();
    let first = Minutes::new("Birinci tutanak.", t0()).unwrap();
    let second = Minutes::new("İkinci tutanak.", t0()).unwrap();

    // Another transaction holds the row, then records the minutes by hand.
    let mut tx = a.pool().begin().await.unwrap();
    let json: String = sqlx::query_scalar("SELECT meeting FROM council_meetings FOR UPDATE")
        .fetch_one(&mut *tx)
        .await
        .unwrap();
    let waiting = {
        let (a, tid, second) = (a.clone(), tid.clone(), second.clone());
        tokio::spawn(async move { a.record_minutes(&tid, m.id, &second).await })
    };
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    assert!(
        !waiting.is_finished(),
        "the second writer waits for the row"
    );
    let mut held: muhtar_core::council::Meeting = serde_json::from_str(&json).unwrap();
    held.minutes = Some(first.clone());
    held.held = true;
    sqlx::query("UPDATE council_meetings SET held = true, minutes_sha256 = $1, meeting = $2")
        .bind(&first.sha256)
        .bind(serde_json::to_string(&held).unwrap())
        .execute(&mut *tx)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let r = waiting.await.unwrap();
    assert!(matches!(r, Err(StoreError::Frozen { .. })), "{r:?}");
    assert_eq!(a.meeting(&tid, m.id).await.unwrap().minutes, Some(first));
}
