//! What only SQLite proves of the council's agenda: triggers refuse deleting proposals,
//! supports and comments, changing a support or a proposal on the agenda, and un-hiding
//! or re-hiding a comment. The conformance suite checks the contract.

use muhtar_core::council::{Author, Hidden};
use muhtar_core::store::{CouncilStore, ProposalStore};
use muhtar_core::testkit::conformance::{council_comment, council_member, council_proposal};
use muhtar_core::testkit::fixtures::{t0, tenant};
use muhtar_store_sqlite::SqliteOptions;
use rusqlite::ErrorCode;

use crate::sqlite_specific::store_in;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn supports_and_comments_are_never_deleted() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_in(dir.path(), SqliteOptions::default()).await;
    let t = "gundem";
    let tid = tenant(t);
    let m = council_member(t, "kuzguncuk", 1, t0());
    store.put_member(&m).await.unwrap();
    let p = council_proposal(t, "kuzguncuk", 1, Author::Muhtar, t0());
    store.put_proposal(&p).await.unwrap();
    let c1 = council_comment(&p, 1, Author::Muhtar, t0());
    let c2 = council_comment(&p, 2, Author::Member(m.id), t0());
    store.put_comment(&c1).await.unwrap();
    store.put_comment(&c2).await.unwrap();
    let hidden = Hidden::new("Hakaret", "muhtar", t0()).unwrap();
    store.hide_comment(&tid, c1.id, &hidden).await.unwrap();
    // One support reaching a threshold of 1: the proposal is on the agenda.
    let o = store.support(&tid, p.id, m.id, 1, t0()).await.unwrap();
    assert!(o.put_on_agenda);

    let conn = rusqlite::Connection::open(dir.path().join("muhtar.db")).unwrap();
    for sql in [
        "DELETE FROM council_supports",
        "UPDATE council_supports SET member = 'x'",
        "DELETE FROM council_comments",
        "DELETE FROM council_proposals",
        "UPDATE council_proposals SET status = 'open'",
        // The hidden comment: never un-hidden or hidden again; the other: only by hiding.
        "UPDATE council_comments SET hidden = 0 WHERE hidden = 1",
        "UPDATE council_comments SET comment = '{}' WHERE hidden = 1",
        "UPDATE council_comments SET comment = '{}' WHERE hidden = 0",
        "UPDATE council_comments SET proposal = 'x', hidden = 1 WHERE hidden = 0",
    ] {
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
    }
    assert_eq!(store.supporters(&tid, p.id).await.unwrap(), vec![m.id]);
    let comments = store.comments(&tid, p.id).await.unwrap();
    assert_eq!(comments.len(), 2);
    assert_eq!(comments[0].hidden, Some(hidden));
}
