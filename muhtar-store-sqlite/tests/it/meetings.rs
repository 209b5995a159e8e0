//! The council meetings' table on SQLite: its triggers refuse deleting a meeting, and any
//! change to a held meeting's row (minutes, their hash, attendance), made by hand.

use muhtar_core::council::{MemberId, Minutes};
use muhtar_core::store::MeetingStore;
use muhtar_core::testkit::conformance::council_meeting;
use muhtar_core::testkit::fixtures::{t0, tenant};
use muhtar_store_sqlite::SqliteOptions;
use rusqlite::ErrorCode;
use uuid::Uuid;

use crate::sqlite_specific::store_in;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_held_meeting_is_never_changed_and_no_meeting_deleted() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_in(dir.path(), SqliteOptions::default()).await;
    let t = "toplanti-kalici";
    let tid = tenant(t);
    let (open, held) = (
        council_meeting(t, "kuzguncuk", 1, t0()),
        council_meeting(t, "kuzguncuk", 2, t0()),
    );
    store.put_meeting(&open).await.unwrap();
    store.put_meeting(&held).await.unwrap();
    let member = MemberId(Uuid::from_u128(7));
    store
        .set_attendance(&tid, held.id, &[member])
        .await
        .unwrap();
    let minutes = Minutes::new("Tutanak.", t0()).unwrap();
    store.record_minutes(&tid, held.id, &minutes).await.unwrap();
    let before = store.meeting(&tid, held.id).await.unwrap();

    let conn = rusqlite::Connection::open(dir.path().join("muhtar.db")).unwrap();
    let refused = |sql: &str| {
        let err = conn.execute(sql, []).unwrap_err();
        let rusqlite::Error::SqliteFailure(f, _) = &err else {
            panic!("{sql}: {err:?}");
        };
        assert_eq!(f.code, ErrorCode::ConstraintViolation, "{sql}: {err}");
    };
    let id = held.id.to_string();
    for sql in [
        format!("UPDATE council_meetings SET meeting = replace(meeting, 'Tutanak', 'X') WHERE id = '{id}'"),
        format!("UPDATE council_meetings SET minutes_sha256 = 'ff' WHERE id = '{id}'"),
        format!("UPDATE council_meetings SET held = 0, minutes_sha256 = NULL WHERE id = '{id}'"),
        "DELETE FROM council_meetings".to_owned(),
        format!("DELETE FROM council_meetings WHERE id = '{}'", open.id),
        // held without minutes' hash
        format!("UPDATE council_meetings SET held = 1 WHERE id = '{}'", open.id),
    ] {
        refused(&sql);
    }
    assert_eq!(store.meeting(&tid, held.id).await.unwrap(), before);
    assert_eq!(
        store.meetings(&tid, &open.muhtarlik).await.unwrap().len(),
        2
    );
    // A meeting not held may still change (its attendance, by the store).
    store
        .set_attendance(&tid, open.id, &[member])
        .await
        .unwrap();
}
