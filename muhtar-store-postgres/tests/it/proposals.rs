//! What only PostgreSQL proves of the council's agenda: triggers refuse deleting
//! proposals, supports and comments, changing a support or a proposal on the agenda, and
//! un-hiding or re-hiding a comment. The conformance suite checks the contract (its
//! concurrency case runs the supports on one pool, each in its own transaction).

use crate::common;

use muhtar_core::council::{Author, Hidden};
use muhtar_core::store::{CouncilStore, ProposalStore};
use muhtar_core::testkit::conformance::{council_comment, council_member, council_proposal};
use muhtar_core::testkit::fixtures::{t0, tenant};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn supports_and_comments_are_never_deleted() {
    if common::skip() {
        return;
    }
    let s = common::fresh_store().await;
    let t = "gundem";
    let tid = tenant(t);
    let m = council_member(t, "kuzguncuk", 1, t0());
    s.put_member(&m).await.unwrap();
    let p = council_proposal(t, "kuzguncuk", 1, Author::Muhtar, t0());
    s.put_proposal(&p).await.unwrap();
    let c1 = council_comment(&p, 1, Author::Muhtar, t0());
    let c2 = council_comment(&p, 2, Author::Member(m.id), t0());
    s.put_comment(&c1).await.unwrap();
    s.put_comment(&c2).await.unwrap();
    let hidden = Hidden::new("Hakaret", "muhtar", t0()).unwrap();
    s.hide_comment(&tid, c1.id, &hidden).await.unwrap();
    assert!(
        s.support(&tid, p.id, m.id, 1, t0())
            .await
            .unwrap()
            .put_on_agenda
    );

    for sql in [
        "DELETE FROM council_supports",
        "UPDATE council_supports SET member = gen_random_uuid()",
        "DELETE FROM council_comments",
        "DELETE FROM council_proposals",
        "UPDATE council_proposals SET status = 'open'",
        "UPDATE council_comments SET hidden = false WHERE hidden",
        "UPDATE council_comments SET comment = '{}' WHERE hidden",
        "UPDATE council_comments SET comment = '{}' WHERE NOT hidden",
        "UPDATE council_comments SET proposal = gen_random_uuid(), hidden = true WHERE NOT hidden",
    ] {
        let err = sqlx::query(sql).execute(s.pool()).await.unwrap_err();
        let code = err
            .as_database_error()
            .and_then(|d| d.code())
            .map(|c| c.into_owned());
        assert_eq!(code.as_deref(), Some("P0001"), "{sql}: {err}");
    }
    assert_eq!(s.supporters(&tid, p.id).await.unwrap(), vec![m.id]);
    let comments = s.comments(&tid, p.id).await.unwrap();
    assert_eq!(comments.len(), 2);
    assert_eq!(comments[0].hidden, Some(hidden));
}
