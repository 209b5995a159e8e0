//! The store conformance suite: `pub async fn` checks every store must pass, asserting
//! values and error kinds. A store runs all of them with one line:
//!
//! ```ignore
//! muhtar_core::store_conformance_tests!(async { my_fresh_store().await });
//! ```
//!
//! The expression must give a fresh, migrated, empty store each time it is evaluated.
//! The calling crate needs `tokio` (features `macros`, `rt-multi-thread`) as a dev-dependency.
//!
//! A store that needs an outside server (PostgreSQL) may skip the suite when none is
//! configured: with `skip_if: <bool expression>` first, every test evaluates the guard
//! before anything else and returns at once (passing) when it is true. The guard is the
//! place to print why the tests were skipped, or to panic when skipping is not allowed.
//!
//! ```ignore
//! muhtar_core::store_conformance_tests!(skip_if: no_server(), async { fresh_store().await });
//! ```

mod accounts;
mod council;
mod decisions;
mod documents;
mod map;
mod meetings;
mod member_login;
mod proposals;
mod works;

pub use accounts::*;
pub use council::*;
pub use decisions::*;
pub use documents::*;
pub use map::*;
pub use meetings::*;
pub use member_login::*;
pub use proposals::*;
pub use works::*;

use std::collections::BTreeSet;

use chrono::Duration;

use super::fixtures::{next_commit, organisation, report_histories, t0, tenant, Spec};
use crate::ids::{RequestId, TenantId, UnitCode};
use crate::outbox::{OutboxEntry, OutboxStatus};
use crate::request::{Channel, EventKind, Outcome, Priority, RequestState, Status};
use crate::store::{
    Cursor, Deadlines, Document, DocumentKind, DocumentVersions, Order, ReportStore, RequestQuery,
    RequestRecord, Store, StoreError,
};
use crate::tracking::TrackingNumber;

/// Runs every conformance check against a store. The expression must give a fresh,
/// migrated, empty store each time it is evaluated. With `skip_if: <bool>` first, each
/// check returns at once (passing) when the guard is true: for stores that need a server
/// a developer may not have (CI sets the guard false).
#[macro_export]
macro_rules! store_conformance_tests {
    (skip_if: $skip:expr, $make:expr $(,)?) => {
        $crate::__store_conformance_cases!($skip; $make;
            documents_are_versioned,
            document_versions_read_every_kind_at_once,
            commit_round_trips,
            version_conflict_writes_nothing,
            new_request_twice_conflicts,
            tracking_numbers_unique_per_tenant,
            tenants_are_isolated,
            missing_things_are_not_found,
            deadline_order_paginates,
            newest_order_paginates,
            urgent_requests_come_first,
            filters_agree_with_reference,
            outbox_is_written_with_the_commit,
            outbox_claims_are_exclusive,
            outbox_claims_by_tenant,
            outbox_retry_and_failure,
            outbox_counts_failures,
            deadlines_update_checks_version,
            bad_cursor_is_refused,
            tokens_by_hash_list_and_revoke,
            users_are_unique_by_name_per_tenant,
            sessions_touch_end_and_expire,
            disabling_a_user_ends_their_sessions,
            failed_logins_are_counted_per_name,
            report_cube_equals_pure_aggregation,
            signed_reports_are_frozen_and_versioned,
            contact_erasure_redacts_the_history,
            contact_erasure_drops_citizen_notices,
            forced_receipt_marks_report_correction,
            bbox_listing_equals_brute_force,
            map_points_equal_the_reference,
            requests_without_location_never_match_a_bbox,
            works_are_versioned_and_conflicts_write_nothing,
            work_notices_are_written_with_the_work,
            work_listings_agree_with_a_brute_force_filter,
            documents_round_trip_and_are_found_every_way,
            a_taken_sequence_writes_nothing,
            document_numbers_are_gapless_under_concurrent_registration,
            council_members_and_votes_round_trip,
            council_one_ballot_per_member_under_concurrency,
            council_closing_is_final,
            council_secret_ballots_carry_no_member,
            council_proposal_round_trips,
            council_proposal_one_support_per_member_under_concurrency,
            council_proposal_hidden_comments_are_kept,
            council_meeting_round_trips_and_order,
            council_meeting_minutes_freeze_the_meeting,
            council_meeting_one_minutes_under_concurrency,
            council_decision_links_round_trip,
            council_decision_link_must_name_the_new_request,
            council_decision_sent_once_under_concurrency,
            council_municipal_council_requests_are_counted,
            council_login_codes_are_used_once,
            council_login_code_logs_in_once_under_concurrency,
            council_members_by_contact_and_identity,
        );
    };
    ($make:expr) => {
        $crate::store_conformance_tests!(skip_if: false, $make);
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __store_conformance_cases {
    ($skip:expr; $make:expr; $($name:ident),* $(,)?) => {
        mod store_conformance {
            #[allow(unused_imports)]
            use super::*;
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    if $skip {
                        return;
                    }
                    let store = $make.await;
                    $crate::testkit::conformance::$name(&store).await;
                }
            )*
        }
    };
}

async fn org_doc<S: Store>(s: &S, t: &str) {
    let org = organisation(t);
    s.put_document(&Document {
        tenant: tenant(t),
        kind: DocumentKind::Organisation,
        version: 1,
        body: serde_json::to_string(&org).unwrap(),
        updated_at: t0(),
        updated_by: "test".into(),
    })
    .await
    .unwrap();
}

async fn insert<S: Store>(s: &S, spec: &Spec) -> RequestRecord {
    let c = spec.commit();
    s.commit(&c)
        .await
        .unwrap_or_else(|e| panic!("commit of fixture {} failed: {e}", spec.seed));
    c.record
}

/// Documents are versioned; a stale write is a conflict; the latest version is returned.
pub async fn documents_are_versioned<S: Store>(s: &S) {
    let t = tenant("doc-a");
    assert_eq!(
        s.document_version(&t, DocumentKind::RuleSet).await.unwrap(),
        0
    );
    assert_eq!(s.document(&t, DocumentKind::RuleSet).await.unwrap(), None);
    let mut d = Document {
        tenant: t.clone(),
        kind: DocumentKind::RuleSet,
        version: 1,
        body: "v1 ğüşıöç".into(),
        updated_at: t0(),
        updated_by: "admin".into(),
    };
    s.put_document(&d).await.unwrap();
    d.version = 2;
    d.body = "v2".into();
    s.put_document(&d).await.unwrap();
    let err = s.put_document(&d).await.unwrap_err();
    assert!(
        matches!(err, StoreError::Conflict { actual: 2, .. }),
        "{err:?}"
    );
    d.version = 5;
    assert!(matches!(
        s.put_document(&d).await.unwrap_err(),
        StoreError::Conflict { actual: 2, .. }
    ));
    let got = s
        .document(&t, DocumentKind::RuleSet)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((got.version, got.body.as_str()), (2, "v2"));
    assert_eq!(
        s.document_version(&t, DocumentKind::RuleSet).await.unwrap(),
        2
    );
    assert_eq!(
        s.document_version(&tenant("doc-b"), DocumentKind::RuleSet)
            .await
            .unwrap(),
        0
    );
    org_doc(s, "doc-a").await;
    org_doc(s, "doc-c").await;
    let tenants: BTreeSet<String> = s
        .tenants()
        .await
        .unwrap()
        .into_iter()
        .map(|t| t.to_string())
        .collect();
    assert_eq!(
        tenants,
        ["doc-a", "doc-c"].into_iter().map(String::from).collect()
    );
}

/// `document_versions` equals `document_version` asked kind by kind, counts only the
/// tenant's own documents, and follows every new version.
pub async fn document_versions_read_every_kind_at_once<S: Store>(s: &S) {
    let (t, other) = (tenant("dv-a"), tenant("dv-b"));
    assert_eq!(
        s.document_versions(&t).await.unwrap(),
        DocumentVersions::default()
    );
    let put = |tenant: &TenantId, kind, version| Document {
        tenant: tenant.clone(),
        kind,
        version,
        body: format!("{} v{version}", kind.as_str()),
        updated_at: t0(),
        updated_by: "admin".into(),
    };
    // Another tenant's documents, with higher versions, must not show through.
    for v in 1..=4 {
        s.put_document(&put(&other, DocumentKind::Calendar, v))
            .await
            .unwrap();
    }
    let plan = [
        (DocumentKind::Organisation, 1),
        (DocumentKind::RuleSet, 1),
        (DocumentKind::RuleSet, 2),
        (DocumentKind::RuleSet, 3),
        (DocumentKind::Settings, 1),
        (DocumentKind::Calendar, 1),
        (DocumentKind::Settings, 2),
    ];
    let mut expected = DocumentVersions::default();
    for (kind, v) in plan {
        s.put_document(&put(&t, kind, v)).await.unwrap();
        expected.set(kind, v);
        let got = s.document_versions(&t).await.unwrap();
        assert_eq!(got, expected, "after {} v{v}", kind.as_str());
        for k in DocumentKind::ALL {
            assert_eq!(
                got.get(k),
                s.document_version(&t, k).await.unwrap(),
                "{}",
                k.as_str()
            );
        }
    }
    assert_eq!(
        s.document_versions(&other).await.unwrap(),
        DocumentVersions {
            calendar: 4,
            ..DocumentVersions::default()
        }
    );
}

/// A commit reads back exactly: by id, by tracking number, its events, and the events
/// fold to the stored state.
pub async fn commit_round_trips<S: Store>(s: &S) {
    let spec = Spec::new("rt", 1);
    let rec = insert(s, &spec).await;
    let t = tenant("rt");
    assert_eq!(s.load(&t, rec.state.id).await.unwrap(), rec);
    assert_eq!(
        s.load_by_tracking(&t, &rec.state.tracking).await.unwrap(),
        rec
    );
    let next = next_commit(&rec, EventKind::Accepted, t0() + Duration::hours(30));
    s.commit(&next).await.unwrap();
    let answered = next_commit(
        &next.record,
        EventKind::Answered {
            outcome: Outcome::Negative,
            reason: Some(crate::reason::ReasonCode::new("other")),
            reason_text: Some("Özel gerekçe: İçişleri".into()),
            text: "Yapılamaz — çünkü ğüşıöç İ".into(),
        },
        t0() + Duration::hours(40),
    );
    s.commit(&answered).await.unwrap();
    let events = s.events(&t, rec.state.id).await.unwrap();
    assert_eq!(events.len(), 4);
    assert_eq!(
        events.iter().map(|e| e.version).collect::<Vec<_>>(),
        vec![1, 2, 3, 4]
    );
    let folded = RequestState::fold(&events).unwrap();
    let stored = s.load(&t, rec.state.id).await.unwrap();
    assert_eq!(folded, stored.state);
    assert_eq!(stored, answered.record);
    assert_eq!(stored.state.status, Status::Answered);
}

/// A commit with a stale expected version fails with the versions, and writes nothing:
/// no event, no state change, no outbox row.
pub async fn version_conflict_writes_nothing<S: Store>(s: &S) {
    let rec = insert(s, &Spec::new("vc", 1)).await;
    let t = tenant("vc");
    let outbox_before = s.outbox(&t, None).await.unwrap();
    let mut stale = next_commit(&rec, EventKind::Accepted, t0() + Duration::hours(3));
    stale.expected_version = 1;
    let mut msg = Spec::new("vc", 99).commit().outbox.remove(0);
    msg.idempotency_key = "vc-stale".into();
    msg.request = Some(rec.state.id);
    stale.outbox.push(msg);
    let err = s.commit(&stale).await.unwrap_err();
    assert!(
        matches!(
            err,
            StoreError::Conflict {
                expected: 1,
                actual: 2
            }
        ),
        "{err:?}"
    );
    assert_eq!(s.load(&t, rec.state.id).await.unwrap(), rec);
    assert_eq!(s.events(&t, rec.state.id).await.unwrap().len(), 2);
    assert_eq!(s.outbox(&t, None).await.unwrap(), outbox_before);
    // The right version still goes through afterwards.
    let ok = next_commit(&rec, EventKind::Accepted, t0() + Duration::hours(3));
    s.commit(&ok).await.unwrap();
    assert_eq!(s.load(&t, rec.state.id).await.unwrap().state.version, 3);
}

/// Creating the same request twice is a conflict (version 0 expected, 2 found).
pub async fn new_request_twice_conflicts<S: Store>(s: &S) {
    let spec = Spec::new("twice", 1);
    insert(s, &spec).await;
    let err = s.commit(&spec.commit()).await.unwrap_err();
    assert!(
        matches!(
            err,
            StoreError::Conflict {
                expected: 0,
                actual: 2
            }
        ),
        "{err:?}"
    );
}

/// A tracking number is unique within a tenant, and may repeat across tenants.
pub async fn tracking_numbers_unique_per_tenant<S: Store>(s: &S) {
    let a = Spec::new("tr-a", 1).commit();
    s.commit(&a).await.unwrap();
    // Another request (other id) with the same tracking number in the same tenant.
    let mut b = Spec::new("tr-a", 2).commit();
    let tracking = a.record.state.tracking;
    set_tracking(&mut b, tracking);
    let err = s.commit(&b).await.unwrap_err();
    assert!(matches!(err, StoreError::Duplicate { .. }), "{err:?}");
    assert!(matches!(
        s.load(&tenant("tr-a"), b.record.state.id)
            .await
            .unwrap_err(),
        StoreError::NotFound { .. }
    ));
    assert!(s
        .outbox(&tenant("tr-a"), Some(b.record.state.id))
        .await
        .unwrap()
        .is_empty());
    // The same tracking number in another tenant is fine.
    let mut c = Spec::new("tr-b", 3).commit();
    set_tracking(&mut c, tracking);
    s.commit(&c).await.unwrap();
    assert_eq!(
        s.load_by_tracking(&tenant("tr-b"), &tracking)
            .await
            .unwrap()
            .state
            .id,
        c.record.state.id
    );
    assert_eq!(
        s.load_by_tracking(&tenant("tr-a"), &tracking)
            .await
            .unwrap()
            .state
            .id,
        a.record.state.id
    );
}

fn set_tracking(c: &mut crate::store::Commit, t: TrackingNumber) {
    if let EventKind::Received { tracking, .. } = &mut c.events[0].kind {
        *tracking = t;
    }
    c.record.state.tracking = t;
    for m in &mut c.outbox {
        m.idempotency_key = format!("{}-{}", m.idempotency_key, c.record.state.id);
    }
}

/// Nothing of one tenant is visible through another: loads, events, queries, outbox.
pub async fn tenants_are_isolated<S: Store>(s: &S) {
    let a = insert(s, &Spec::new("iso-a", 1)).await;
    let b = insert(s, &Spec::new("iso-b", 2)).await;
    let (ta, tb) = (tenant("iso-a"), tenant("iso-b"));
    for (t, other) in [(&ta, &b), (&tb, &a)] {
        assert!(matches!(
            s.load(t, other.state.id).await.unwrap_err(),
            StoreError::NotFound { .. }
        ));
        assert!(matches!(
            s.load_by_tracking(t, &other.state.tracking)
                .await
                .unwrap_err(),
            StoreError::NotFound { .. }
        ));
        assert!(matches!(
            s.events(t, other.state.id).await.unwrap_err(),
            StoreError::NotFound { .. }
        ));
        assert!(matches!(
            s.update_deadlines(
                t,
                other.state.id,
                other.state.version,
                &Deadlines::default()
            )
            .await
            .unwrap_err(),
            StoreError::NotFound { .. }
        ));
        let page = s.query(t, &RequestQuery::default()).await.unwrap();
        assert_eq!(page.items.len(), 1);
        assert_ne!(page.items[0].state.id, other.state.id);
        let outbox = s.outbox(t, None).await.unwrap();
        assert_eq!(outbox.len(), 1);
        assert_eq!(&outbox[0].message.tenant, t);
        assert!(s.outbox(t, Some(other.state.id)).await.unwrap().is_empty());
    }
    // Appending to another tenant's request through a commit naming our tenant creates
    // nothing there.
    let mut sneaky = next_commit(&b, EventKind::Accepted, t0());
    sneaky.record.state.tenant = ta.clone();
    assert!(s.commit(&sneaky).await.is_err());
    assert_eq!(s.load(&tb, b.state.id).await.unwrap(), b);
}

/// Missing requests and outbox messages are `NotFound`.
pub async fn missing_things_are_not_found<S: Store>(s: &S) {
    let t = tenant("nf");
    let id: RequestId = "01890a5d-ac96-774b-bcce-b302099a8057".parse().unwrap();
    assert!(matches!(
        s.load(&t, id).await.unwrap_err(),
        StoreError::NotFound { .. }
    ));
    assert!(matches!(
        s.events(&t, id).await.unwrap_err(),
        StoreError::NotFound { .. }
    ));
    let tr = TrackingNumber::from_value(12345).unwrap();
    assert!(matches!(
        s.load_by_tracking(&t, &tr).await.unwrap_err(),
        StoreError::NotFound { .. }
    ));
    let u = uuid::Uuid::nil();
    assert!(matches!(
        s.mark_sent(u, t0()).await.unwrap_err(),
        StoreError::NotFound { .. }
    ));
    assert!(matches!(
        s.mark_retry(u, t0(), "x").await.unwrap_err(),
        StoreError::NotFound { .. }
    ));
    assert!(matches!(
        s.defer(u, t0(), "x").await.unwrap_err(),
        StoreError::NotFound { .. }
    ));
    assert!(matches!(
        s.mark_failed(u, t0(), "x").await.unwrap_err(),
        StoreError::NotFound { .. }
    ));
    let page = s.query(&t, &RequestQuery::default()).await.unwrap();
    assert!(page.items.is_empty() && page.next.is_none());
}

async fn mixed_data<S: Store>(s: &S, t: &str) -> Vec<RequestRecord> {
    let mut out = Vec::new();
    let units = ["fen-isleri", "asfalt", "park-bahce", "muhtarliklar"];
    let muhtars = ["kuzguncuk", "cengelkoy", "beylerbeyi"];
    let cats = ["asfalt-onarim", "budama", "cop"];
    let channels = [
        Channel::MbsWeb,
        Channel::Phone,
        Channel::Whatsapp,
        Channel::Petition,
    ];
    for i in 0..23u64 {
        let mut spec = Spec::new(t, i + 1);
        spec.unit = units[(i % 4) as usize].into();
        spec.muhtarlik = muhtars[(i % 3) as usize].into();
        spec.category = cats[(i * 7 % 3) as usize].into();
        spec.channel = channels[(i * 5 % 4) as usize];
        // Several requests share a deadline (ties broken by id), some have none.
        spec.due = match i % 5 {
            0 => None,
            k => Some(t0() + Duration::days(10 + (k as i64) * 2)),
        };
        // Receipt instants are not in id order for some (back-office entry).
        spec.received_at = t0() + Duration::hours(((i * 37) % 23) as i64) - Duration::days(1);
        // Some are urgent (İVEDİ): they come first in every order.
        if i % 4 == 1 || i == 20 {
            spec.priority = Priority::Urgent;
        }
        let mut rec = insert(s, &spec).await;
        if i % 6 == 0 {
            let c = next_commit(&rec, EventKind::Accepted, t0());
            s.commit(&c).await.unwrap();
            rec = c.record;
        }
        if i % 8 == 0 {
            let c = next_commit(
                &rec,
                EventKind::Answered {
                    outcome: Outcome::Positive,
                    reason: None,
                    reason_text: None,
                    text: "Yapıldı".into(),
                },
                t0(),
            );
            s.commit(&c).await.unwrap();
            rec = c.record;
        }
        out.push(rec);
    }
    // A request in another tenant never shows up.
    insert(s, &Spec::new("other-tenant", 500)).await;
    out
}

async fn all_pages<S: Store>(s: &S, t: &str, mut q: RequestQuery) -> Vec<RequestRecord> {
    let mut out = Vec::new();
    let mut pages = 0;
    loop {
        let page = s.query(&tenant(t), &q).await.unwrap();
        assert!(page.items.len() <= q.page_size() as usize);
        pages += 1;
        assert!(pages < 100, "pagination does not end");
        out.extend(page.items);
        match page.next {
            Some(c) => q.after = Some(c),
            None => break,
        }
    }
    out
}

fn reference(all: &[RequestRecord], q: &RequestQuery) -> Vec<RequestId> {
    let mut v: Vec<&RequestRecord> = all.iter().filter(|r| q.matches(r)).collect();
    q.order.sort(&mut v);
    v.into_iter().map(|r| r.state.id).collect()
}

/// For a store's own migration tests: every listing order, read one request per page,
/// gives exactly `want` (the records written before the migration), in the order the
/// pure reference sorts them. Returns that order's request ids, deadline order first.
pub async fn assert_paged_listings<S: Store>(
    s: &S,
    t: &str,
    want: &[RequestRecord],
) -> Vec<Vec<RequestId>> {
    let mut orders = Vec::new();
    for order in [Order::Deadline, Order::Newest] {
        let q = RequestQuery {
            order,
            limit: 1,
            ..Default::default()
        };
        let got = ids(&all_pages(s, t, q.clone()).await);
        let expected = reference(want, &q);
        assert_eq!(got, expected, "{order:?}");
        orders.push(expected);
    }
    orders
}

fn ids(v: &[RequestRecord]) -> Vec<RequestId> {
    v.iter().map(|r| r.state.id).collect()
}

/// Deadline order: earliest deadline first, none last, ties by id; pages of 5 cover every
/// request exactly once.
pub async fn deadline_order_paginates<S: Store>(s: &S) {
    let all = mixed_data(s, "pg-d").await;
    let q = RequestQuery {
        order: Order::Deadline,
        limit: 5,
        ..Default::default()
    };
    let got = all_pages(s, "pg-d", q.clone()).await;
    assert_eq!(ids(&got), reference(&all, &q));
    assert_eq!(got.len(), 23);
    assert!(got.last().unwrap().deadlines.resolution_due.is_none());
    assert_eq!(got, {
        let mut want: Vec<RequestRecord> = Vec::new();
        for id in reference(&all, &q) {
            want.push(all.iter().find(|r| r.state.id == id).unwrap().clone());
        }
        want
    });
}

/// Newest order: latest receipt first, ties by id descending; pages of 4.
pub async fn newest_order_paginates<S: Store>(s: &S) {
    let all = mixed_data(s, "pg-n").await;
    let q = RequestQuery {
        order: Order::Newest,
        limit: 4,
        ..Default::default()
    };
    let got = all_pages(s, "pg-n", q.clone()).await;
    assert_eq!(ids(&got), reference(&all, &q));
    assert_eq!(got.len(), 23);
}

/// Urgent requests come first in both orders (then the order's key and id), in the whole
/// tenant and in a unit's open queue; pages of 2 and 3 give every request exactly once.
pub async fn urgent_requests_come_first<S: Store>(s: &S) {
    let all = mixed_data(s, "urg").await;
    let open: Vec<Status> = Status::ALL.into_iter().filter(|s| s.is_open()).collect();
    let urgent = all
        .iter()
        .filter(|r| r.state.content.priority == Priority::Urgent)
        .count();
    assert!(urgent >= 5 && urgent < all.len());
    let queries = [
        RequestQuery::default(),
        RequestQuery {
            units: Some(vec![
                UnitCode::new("fen-isleri").unwrap(),
                UnitCode::new("park-bahce").unwrap(),
            ]),
            statuses: Some(open.clone()),
            ..Default::default()
        },
        RequestQuery {
            units: Some(vec![UnitCode::new("asfalt").unwrap()]),
            statuses: Some(open),
            ..Default::default()
        },
    ];
    for q in queries {
        for (order, limit) in [(Order::Deadline, 2), (Order::Newest, 3)] {
            let q = RequestQuery {
                order,
                limit,
                ..q.clone()
            };
            let got = all_pages(s, "urg", q.clone()).await;
            assert_eq!(ids(&got), reference(&all, &q), "{q:?}");
            let mut seen = std::collections::HashSet::new();
            assert!(got.iter().all(|r| seen.insert(r.state.id)), "{q:?}");
            let first_normal = got
                .iter()
                .position(|r| r.state.content.priority == Priority::Normal)
                .unwrap_or(got.len());
            assert!(
                got[first_normal..]
                    .iter()
                    .all(|r| r.state.content.priority == Priority::Normal),
                "an urgent request after a normal one in {q:?}"
            );
            if q.units.is_none() {
                assert_eq!(first_normal, urgent, "{q:?}");
            }
        }
    }
}

/// Every filter gives what [`RequestQuery::matches`] says, in both orders.
pub async fn filters_agree_with_reference<S: Store>(s: &S) {
    let all = mixed_data(s, "flt").await;
    let open: Vec<Status> = Status::ALL.into_iter().filter(|s| s.is_open()).collect();
    let queries = vec![
        RequestQuery {
            units: Some(vec![
                UnitCode::new("fen-isleri").unwrap(),
                UnitCode::new("asfalt").unwrap(),
            ]),
            ..Default::default()
        },
        RequestQuery {
            units: Some(vec![]),
            ..Default::default()
        },
        RequestQuery {
            muhtarlik: Some("cengelkoy".parse().unwrap()),
            ..Default::default()
        },
        RequestQuery {
            statuses: Some(vec![Status::InProgress]),
            ..Default::default()
        },
        RequestQuery {
            statuses: Some(open.clone()),
            due_before: Some(t0() + Duration::days(15)),
            ..Default::default()
        },
        RequestQuery {
            category: Some("budama".into()),
            channel: Some(Channel::Phone),
            ..Default::default()
        },
        RequestQuery {
            received_from: Some(t0() - Duration::days(1) + Duration::hours(5)),
            received_until: Some(t0() - Duration::days(1) + Duration::hours(15)),
            ..Default::default()
        },
        RequestQuery {
            muhtarlik: Some("kuzguncuk".parse().unwrap()),
            statuses: Some(open),
            category: Some("asfalt-onarim".into()),
            ..Default::default()
        },
    ];
    for (i, q) in queries.into_iter().enumerate() {
        for order in [Order::Deadline, Order::Newest] {
            let q = RequestQuery {
                order,
                limit: 3,
                ..q.clone()
            };
            let got = all_pages(s, "flt", q.clone()).await;
            assert_eq!(
                ids(&got),
                reference(&all, &q),
                "query {i} in {order:?} order"
            );
        }
    }
}

/// The outbox rows of a commit are there after it, pending, with no attempt yet.
pub async fn outbox_is_written_with_the_commit<S: Store>(s: &S) {
    let c = Spec::new("ob", 1).commit();
    s.commit(&c).await.unwrap();
    let got = s
        .outbox(&tenant("ob"), Some(c.record.state.id))
        .await
        .unwrap();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].message, c.outbox[0]);
    assert_eq!(got[0].status, OutboxStatus::Pending);
    assert_eq!(got[0].attempts, 0);
    assert_eq!(got[0].next_attempt_at, c.outbox[0].not_before);
    // Enqueueing the same idempotency key again adds nothing.
    assert_eq!(s.enqueue(&c.outbox).await.unwrap(), 0);
    let mut fresh = c.outbox[0].clone();
    fresh.id = uuid::Uuid::from_u128(42);
    fresh.idempotency_key = "ob-sweep-1".into();
    assert_eq!(s.enqueue(&[fresh.clone(), fresh.clone()]).await.unwrap(), 1);
    assert_eq!(s.outbox(&tenant("ob"), None).await.unwrap().len(), 2);
}

/// A claimed message is not claimed again while its lease runs; a sent one never again;
/// an expired lease makes it claimable (a crash between send and mark loses nothing).
pub async fn outbox_claims_are_exclusive<S: Store>(s: &S) {
    for i in 1..=3 {
        let mut spec = Spec::new("cl", i);
        spec.received_at = t0() + Duration::minutes(i as i64);
        insert(s, &spec).await;
    }
    let now = t0() + Duration::hours(1);
    let lease = Duration::minutes(5);
    let first = s.claim(now, 2, lease).await.unwrap();
    assert_eq!(first.len(), 2);
    assert!(first
        .iter()
        .all(|e| e.attempts == 1 && e.status == OutboxStatus::Pending));
    let second = s.claim(now, 10, lease).await.unwrap();
    assert_eq!(second.len(), 1);
    let ids1: BTreeSet<_> = first.iter().map(|e| e.message.id).collect();
    assert!(!ids1.contains(&second[0].message.id));
    assert!(s.claim(now, 10, lease).await.unwrap().is_empty());
    s.mark_sent(first[0].message.id, now).await.unwrap();
    // After the leases run out, the unsent ones come back; the sent one never does.
    let later = s
        .claim(now + Duration::minutes(6), 10, lease)
        .await
        .unwrap();
    let later_ids: BTreeSet<_> = later.iter().map(|e| e.message.id).collect();
    assert_eq!(later.len(), 2);
    assert!(!later_ids.contains(&first[0].message.id));
    assert!(later.iter().all(|e| e.attempts == 2));
    let all = s.outbox(&tenant("cl"), None).await.unwrap();
    let sent: Vec<_> = all
        .iter()
        .filter(|e| e.status == OutboxStatus::Sent)
        .collect();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].sent_at, Some(now));
    // Messages not yet due are not claimed.
    let mut future = Spec::new("cl", 9).commit();
    future.outbox[0].not_before = now + Duration::days(1);
    s.commit(&future).await.unwrap();
    let c = s
        .claim(now + Duration::minutes(20), 10, lease)
        .await
        .unwrap();
    assert!(!c.iter().any(|e| e.message.id == future.outbox[0].id));
}

/// A claim limited to one tenant gets only that tenant's due messages, oldest first, up
/// to the limit; claims of both kinds exclude each other while a lease runs.
pub async fn outbox_claims_by_tenant<S: Store>(s: &S) {
    let (a, b) = (tenant("ca"), tenant("cb"));
    for i in 1..=3u64 {
        for (t, seed) in [("ca", i), ("cb", 10 + i)] {
            let mut spec = Spec::new(t, seed);
            spec.received_at = t0() + Duration::minutes(seed as i64);
            insert(s, &spec).await;
        }
    }
    let now = t0() + Duration::hours(1);
    let lease = Duration::minutes(5);
    let ids = |v: &[crate::outbox::OutboxEntry]| v.iter().map(|e| e.message.id).collect::<Vec<_>>();
    let a_all = s.outbox(&a, None).await.unwrap();
    assert_eq!(a_all.len(), 3);
    let first = s.claim_tenant(&a, now, 2, lease).await.unwrap();
    assert_eq!(ids(&first), ids(&a_all[..2]), "a's two oldest");
    assert!(first
        .iter()
        .all(|e| e.message.tenant == a && e.attempts == 1));
    // An unlimited claim takes the rest of a and all of b; then nothing is left.
    let rest = s.claim(now, 10, lease).await.unwrap();
    assert_eq!(rest.len(), 4);
    assert_eq!(rest.iter().filter(|e| e.message.tenant == a).count(), 1);
    assert!(s.claim_tenant(&a, now, 10, lease).await.unwrap().is_empty());
    assert!(s.claim_tenant(&b, now, 10, lease).await.unwrap().is_empty());
    // After the leases: b's claim gets b's three only, a's the remaining three of a.
    let later = now + Duration::minutes(6);
    let bs = s.claim_tenant(&b, later, 10, lease).await.unwrap();
    assert_eq!(ids(&bs), ids(&s.outbox(&b, None).await.unwrap()));
    assert!(bs.iter().all(|e| e.message.tenant == b && e.attempts == 2));
    assert_eq!(
        ids(&s.claim_tenant(&a, later, 10, lease).await.unwrap()),
        ids(&a_all)
    );
    // A tenant without messages, and one not due yet, get nothing.
    assert!(s
        .claim_tenant(&tenant("cc"), later + Duration::minutes(6), 10, lease)
        .await
        .unwrap()
        .is_empty());
    let mut future = Spec::new("cb", 19).commit();
    future.outbox[0].not_before = later + Duration::days(1);
    s.commit(&future).await.unwrap();
    let c = s
        .claim_tenant(&b, later + Duration::minutes(6), 10, lease)
        .await
        .unwrap();
    assert_eq!(c.len(), 3);
    assert!(!c.iter().any(|e| e.message.id == future.outbox[0].id));
}

/// A retry waits for its time and keeps the error; a failure is final.
pub async fn outbox_retry_and_failure<S: Store>(s: &S) {
    insert(s, &Spec::new("rf", 1)).await;
    insert(s, &Spec::new("rf", 2)).await;
    let now = t0() + Duration::hours(5);
    let lease = Duration::minutes(5);
    let claimed = s.claim(now, 10, lease).await.unwrap();
    assert_eq!(claimed.len(), 2);
    let (a, b) = (claimed[0].message.id, claimed[1].message.id);
    s.mark_retry(a, now + Duration::minutes(30), "421 try later")
        .await
        .unwrap();
    s.mark_failed(b, now, "550 no such user").await.unwrap();
    assert!(s
        .claim(now + Duration::minutes(29), 10, lease)
        .await
        .unwrap()
        .is_empty());
    let again = s
        .claim(now + Duration::minutes(30), 10, lease)
        .await
        .unwrap();
    assert_eq!(again.len(), 1);
    assert_eq!(again[0].message.id, a);
    assert_eq!(again[0].attempts, 2);
    assert_eq!(again[0].last_error.as_deref(), Some("421 try later"));
    let all = s.outbox(&tenant("rf"), None).await.unwrap();
    let failed = all.iter().find(|e| e.message.id == b).unwrap();
    assert_eq!(failed.status, OutboxStatus::Failed);
    assert_eq!(failed.last_error.as_deref(), Some("550 no such user"));
    assert!(s
        .claim(now + Duration::days(9), 10, lease)
        .await
        .unwrap()
        .iter()
        .all(|e| e.message.id != b));
}

/// Each failed delivery (a retry or the final failure) counts one failure; claims and
/// deferrals do not, and a deferral keeps the count while recording its note.
pub async fn outbox_counts_failures<S: Store>(s: &S) {
    insert(s, &Spec::new("fc", 1)).await;
    let t = tenant("fc");
    let lease = Duration::minutes(5);
    let mut now = t0() + Duration::hours(5);
    let failures = |v: &[OutboxEntry]| (v[0].failures, v[0].last_error.clone());
    let fresh = s.outbox(&t, None).await.unwrap();
    assert_eq!(failures(&fresh), (0, None));
    let id = fresh[0].message.id;
    for n in 1..=3u32 {
        let c = s.claim(now, 10, lease).await.unwrap();
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].failures, n - 1, "a claim counts no failure");
        now += Duration::minutes(10);
        s.mark_retry(id, now, &format!("421 try later ({n})"))
            .await
            .unwrap();
        assert_eq!(
            failures(&s.outbox(&t, None).await.unwrap()),
            (n, Some(format!("421 try later ({n})")))
        );
    }
    s.claim(now, 10, lease).await.unwrap();
    now += Duration::hours(1);
    s.defer(id, now, "deferred for quiet hours").await.unwrap();
    assert_eq!(
        failures(&s.outbox(&t, None).await.unwrap()),
        (3, Some("deferred for quiet hours".to_owned()))
    );
    let c = s.claim(now, 10, lease).await.unwrap();
    assert_eq!((c[0].failures, c[0].attempts), (3, 5));
    s.mark_failed(id, now, "550 no such user").await.unwrap();
    let e = s.outbox(&t, None).await.unwrap();
    assert_eq!(e[0].status, OutboxStatus::Failed);
    assert_eq!(failures(&e), (4, Some("550 no such user".to_owned())));
    // A failed message is not put back.
    assert!(s.defer(id, now, "x").await.is_err());
}

/// Deadlines can be replaced for the current version only.
pub async fn deadlines_update_checks_version<S: Store>(s: &S) {
    let rec = insert(s, &Spec::new("dl", 1)).await;
    let t = tenant("dl");
    let d = Deadlines {
        first_response_due: Some(t0() + Duration::days(2)),
        resolution_due: Some(t0() + Duration::days(20)),
        calendar_version: "v2".into(),
        answer_working_days: None,
    };
    s.update_deadlines(&t, rec.state.id, 2, &d).await.unwrap();
    assert_eq!(s.load(&t, rec.state.id).await.unwrap().deadlines, d);
    let err = s
        .update_deadlines(&t, rec.state.id, 1, &Deadlines::default())
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            StoreError::Conflict {
                expected: 1,
                actual: 2
            }
        ),
        "{err:?}"
    );
    assert_eq!(s.load(&t, rec.state.id).await.unwrap().deadlines, d);
}

/// A malformed cursor is `BadCursor` (the caller's input, told apart from bad stored
/// data by its variant), not a panic or an empty page.
pub async fn bad_cursor_is_refused<S: Store>(s: &S) {
    insert(s, &Spec::new("cur", 1)).await;
    let q = RequestQuery {
        after: Some(Cursor("garbage".into())),
        ..Default::default()
    };
    assert!(matches!(
        s.query(&tenant("cur"), &q).await.unwrap_err(),
        StoreError::BadCursor(ref e) if e.text == "garbage"
    ));
}

/// API tokens: found by hash in any tenant, listed per tenant oldest first, revoked once
/// (the first instant stays), unique by id and by hash, invisible across tenants.
pub async fn tokens_by_hash_list_and_revoke<S: Store>(s: &S) {
    use crate::token::{hash_secret, ApiToken};
    let tok = |n: u128, t: &str, secret: &str, at| ApiToken {
        id: uuid::Uuid::from_u128(n),
        tenant: tenant(t),
        actor: "muhtar:kuzguncuk@ali".into(),
        name: format!("token {n}"),
        hash: hash_secret(secret),
        created_at: at,
        revoked_at: None,
    };
    assert_eq!(s.token_by_hash(&hash_secret("none")).await.unwrap(), None);
    let a1 = tok(1, "tok-a", "s1", t0() + Duration::minutes(1));
    let a2 = tok(2, "tok-a", "s2", t0());
    let b1 = tok(3, "tok-b", "s3", t0());
    for t in [&a1, &a2, &b1] {
        s.create_token(t).await.unwrap();
    }
    assert_eq!(
        s.token_by_hash(&hash_secret("s1")).await.unwrap(),
        Some(a1.clone())
    );
    assert_eq!(
        s.token_by_hash(&hash_secret("s3")).await.unwrap(),
        Some(b1.clone())
    );
    assert_eq!(
        s.tokens(&tenant("tok-a")).await.unwrap(),
        vec![a2.clone(), a1.clone()]
    );
    // The same hash or the same id again is a duplicate and changes nothing.
    let same_hash = tok(9, "tok-b", "s1", t0());
    assert!(matches!(
        s.create_token(&same_hash).await.unwrap_err(),
        StoreError::Duplicate { .. }
    ));
    let same_id = tok(1, "tok-b", "s9", t0());
    assert!(matches!(
        s.create_token(&same_id).await.unwrap_err(),
        StoreError::Duplicate { .. }
    ));
    assert_eq!(s.tokens(&tenant("tok-b")).await.unwrap(), vec![b1.clone()]);
    // Another tenant cannot revoke it.
    assert!(matches!(
        s.revoke_token(&tenant("tok-b"), a1.id, t0())
            .await
            .unwrap_err(),
        StoreError::NotFound { .. }
    ));
    let at = t0() + Duration::hours(2);
    s.revoke_token(&tenant("tok-a"), a1.id, at).await.unwrap();
    s.revoke_token(&tenant("tok-a"), a1.id, at + Duration::hours(1))
        .await
        .unwrap();
    let got = s.token_by_hash(&hash_secret("s1")).await.unwrap().unwrap();
    assert_eq!(got.revoked_at, Some(at));
    assert!(!got.is_active());
    assert!(s
        .token_by_hash(&hash_secret("s2"))
        .await
        .unwrap()
        .unwrap()
        .is_active());
    assert_eq!(s.tokens(&tenant("tok-a")).await.unwrap().len(), 2);
}

/// Commits [`report_histories`]'s requests of tenant `t` (plus one of another tenant,
/// which must never count) and gives their final records.
async fn report_data<S: Store>(s: &S, t: &str) -> Vec<RequestRecord> {
    let mut out = Vec::new();
    for (i, history) in report_histories(t).into_iter().enumerate() {
        let mut rec = None;
        for c in history {
            s.commit(&c)
                .await
                .unwrap_or_else(|e| panic!("report fixture {i}: {e}"));
            rec = Some(c.record);
        }
        out.extend(rec);
    }
    // Another tenant's requests never count.
    let mut other = Spec::new("other-tenant", 900);
    other.received_at = crate::report::Quarter::new(2025, 1).unwrap().start() + Duration::days(3);
    insert(s, &other).await;
    out
}

/// Asserts that the store's report cube of `tenant` equals [`crate::report::aggregate`]
/// over the facts of `records` (all of the tenant's requests) for each of `periods`
/// (`"2025Q1"`, `"2025"`, `"2025-02-15..2025-05-20"`), over the whole tenant and several
/// unit scopes (two units, one unit, an empty and an unknown unit list). Returns how many
/// of those cubes were not empty. Used by the conformance suite and by the stores'
/// migration tests.
pub async fn assert_cube_matches<S: ReportStore + ?Sized>(
    s: &S,
    tenant: &TenantId,
    records: &[RequestRecord],
    periods: &[&str],
) -> usize {
    use crate::report::{aggregate, CubeQuery, Facts, ReportPeriod};
    let facts: Vec<Facts> = records.iter().map(Facts::of).collect();
    let scopes: Vec<Option<Vec<UnitCode>>> = vec![
        None,
        Some(vec![
            UnitCode::new("fen-isleri").unwrap(),
            UnitCode::new("asfalt").unwrap(),
        ]),
        Some(vec![UnitCode::new("park-bahce").unwrap()]),
        Some(vec![]),
        Some(vec![UnitCode::new("no-such-unit").unwrap()]),
    ];
    let mut nonempty = 0;
    for q in periods {
        let period: ReportPeriod = q.parse().unwrap();
        for units in &scopes {
            let query = CubeQuery {
                window: period.window(),
                units: units.clone(),
            };
            let want = aggregate(&facts, &query);
            let got = s.report_cube(tenant, &query).await.unwrap();
            assert_eq!(got, want, "cube of {q} for units {units:?}");
            if want.total.received > 0 {
                nonempty += 1;
            }
        }
    }
    nonempty
}

/// The store's report cube equals [`crate::report::aggregate`] over the same requests,
/// for several quarters, a year and ranges of dates across quarter boundaries, and unit
/// scopes (including an empty and an unknown unit list); calendar days to answer and
/// first responses (interim replies and answers, on time and late, none yet) included.
pub async fn report_cube_equals_pure_aggregation<S: Store>(s: &S) {
    use crate::report::{aggregate, CubeQuery, Facts, Quarter, ReportPeriod};
    let all = report_data(s, "rep").await;
    let facts: Vec<Facts> = all.iter().map(Facts::of).collect();
    let nonempty = assert_cube_matches(
        s,
        &tenant("rep"),
        &all,
        &[
            "2024Q4",
            "2025Q1",
            "2025Q2",
            "2025Q3",
            "2025",
            "2025-02-15..2025-05-20",
            "2024-12-20..2025-01-10",
            "2025-03-31..2025-03-31",
        ],
    )
    .await;
    // A year and a range across quarters: their own counts, not a quarter's.
    let year = aggregate(
        &facts,
        &CubeQuery {
            window: "2025".parse::<ReportPeriod>().unwrap().window(),
            units: None,
        },
    );
    assert!(year.total.received > 0 && !year.total.answer_calendar_days.is_empty());
    // The data exercises what the report counts.
    let q1 = aggregate(
        &facts,
        &CubeQuery {
            window: "2025Q1".parse::<Quarter>().unwrap().window(),
            units: None,
        },
    );
    let q2 = aggregate(
        &facts,
        &CubeQuery {
            window: "2025Q2".parse::<Quarter>().unwrap().window(),
            units: None,
        },
    );
    assert!(nonempty >= 6, "too few non-empty cubes: {nonempty}");
    for t in [&q1.total, &q2.total] {
        assert!(
            t.positive > 0 && t.negative > 0 && t.open_at_end > 0,
            "{t:?}"
        );
    }
    assert!(q1.total.answered_late + q2.total.answered_late > 0);
    assert!(q1.total.overdue_at_end + q2.total.overdue_at_end > 0);
    assert!(q2.total.carried_over > 0);
    assert!(q1.total.reasons.len() + q2.total.reasons.len() >= 3);
    assert!(!q1.total.answer_days.is_empty());
    assert!(q1.total.answered_with_calendar_days() > q1.total.answered_with_days());
    assert!(q1.total.answer_calendar_days.len() >= 3);
    // Law 3071: first responses by interim reply and by answer, on time and late, and
    // received requests with none yet.
    for t in [&q1.total, &q2.total] {
        assert!(
            t.first_response_on_time > 0
                && t.first_response_late > 0
                && t.first_response_on_time + t.first_response_late < t.received,
            "{t:?}"
        );
    }
    let answered_first = all.iter().filter(|r| {
        r.state.answered_at.is_some() && r.state.first_response_at == r.state.answered_at
    });
    assert!(answered_first.count() > 0);
}

/// A signed report reads back exactly (its hash still matches); a second report with
/// the same quarter, scope and version, or the same id, is a conflict and changes
/// nothing; the list is ordered by quarter, scope and version, per tenant.
pub async fn signed_reports_are_frozen_and_versioned<S: Store>(s: &S) {
    use crate::report::{content_hash, Cube, Quarter, QuarterlyReport, SignedReport};
    let org = organisation("sig");
    let make = |q: &str, unit: Option<&str>, version: u32, n: u128| {
        let quarter: Quarter = q.parse().unwrap();
        let unit = unit.map(|u| UnitCode::new(u).unwrap());
        let mut cube = Cube::default();
        cube.total.received = n as u64;
        cube.total.answer_days.insert(3, 2);
        cube.total.answer_days.insert(4, 1);
        let report = QuarterlyReport::build(&cube, &org, quarter, unit.as_ref(), quarter.end());
        SignedReport {
            id: uuid::Uuid::from_u128(n),
            tenant: tenant("sig"),
            quarter,
            unit,
            version,
            supersedes: (version > 1).then(|| uuid::Uuid::from_u128(n - 1)),
            signed_by: "official@ayse".into(),
            official: report.responsible_official.clone(),
            signed_at: quarter.end() + Duration::days(3),
            note: "Onaylandı; ölçüm \"tamam\"".into(),
            content_hash: content_hash(&report),
            report,
        }
    };
    let a1 = make("2025Q2", None, 1, 1);
    let a2 = make("2025Q2", None, 2, 2);
    let u1 = make("2025Q2", Some("fen-isleri"), 1, 3);
    let b1 = make("2025Q1", None, 1, 4);
    for r in [&a1, &u1, &b1, &a2] {
        s.put_signed_report(r).await.unwrap();
    }
    let got = s.signed_reports(&tenant("sig")).await.unwrap();
    assert_eq!(got, vec![b1.clone(), a1.clone(), a2.clone(), u1.clone()]);
    for r in &got {
        r.verify().unwrap();
        assert_eq!(r.report.totals.mean_working_days, Some(3.33));
    }
    // Same quarter, scope and version: conflict, nothing written.
    let mut again = make("2025Q2", None, 2, 10);
    again.note = "başka".into();
    assert!(matches!(
        s.put_signed_report(&again).await,
        Err(StoreError::Conflict { actual: 2, .. })
    ));
    // Same id: conflict.
    let same_id = make("2025Q3", None, 1, 1);
    assert!(matches!(
        s.put_signed_report(&same_id).await,
        Err(StoreError::Conflict { .. })
    ));
    assert_eq!(s.signed_reports(&tenant("sig")).await.unwrap(), got);
    assert!(s.signed_reports(&tenant("other")).await.unwrap().is_empty());
}

/// Erasing the citizen contact (KVKK) removes it from the state and from the stored
/// `received` event in the same commit; the history keeps every event and still folds to
/// the state; other requests keep their contacts.
pub async fn contact_erasure_redacts_the_history<S: Store>(s: &S) {
    use crate::request::CitizenContact;
    let with_contact = |seed: u64| {
        let mut c = Spec::new("kvkk", seed).commit();
        let citizen = CitizenContact {
            name: "Fatma Kaya".into(),
            phone: Some("+905551112233".into()),
            email: Some("fatma@example.com".into()),
        };
        if let EventKind::Received { content, .. } = &mut c.events[0].kind {
            content.citizen = Some(citizen.clone());
        }
        c.record.state.content.citizen = Some(citizen);
        c
    };
    let (a, b) = (with_contact(1), with_contact(2));
    s.commit(&a).await.unwrap();
    s.commit(&b).await.unwrap();
    let t = tenant("kvkk");
    let id = a.record.state.id;
    let before = s.events(&t, id).await.unwrap();
    assert!(serde_json::to_string(&before)
        .unwrap()
        .contains("fatma@example.com"));

    let erase = next_commit(
        &a.record,
        EventKind::ContactErased,
        t0() + Duration::days(1),
    );
    assert!(erase.erases_contact());
    s.commit(&erase).await.unwrap();
    let after = s.events(&t, id).await.unwrap();
    assert_eq!(after.len(), before.len() + 1);
    let text = serde_json::to_string(&after).unwrap();
    for personal in ["fatma@example.com", "+905551112233", "Fatma Kaya"] {
        assert!(!text.contains(personal), "{personal} left in the history");
    }
    let loaded = s.load(&t, id).await.unwrap();
    assert_eq!(loaded.state.content.citizen, None);
    assert_eq!(RequestState::fold(&after).unwrap(), loaded.state);
    // Everything but the contact is unchanged.
    assert_eq!(after[1..before.len()], before[1..]);
    // The other request keeps its contact.
    let other = s.events(&t, b.record.state.id).await.unwrap();
    assert!(serde_json::to_string(&other)
        .unwrap()
        .contains("fatma@example.com"));
}

/// Erasing the citizen contact (KVKK) also deletes the request's outbox rows addressed to
/// the citizen, pending or sent (their recipient and key hold the contact), in the same
/// commit; the muhtar's notices and other requests' citizen notices stay.
pub async fn contact_erasure_drops_citizen_notices<S: Store>(s: &S) {
    use crate::outbox::{DeliveryChannel, NoticeKind};
    let t = tenant("kvkk2");
    let with_notices = |seed: u64| {
        let mut c = Spec::new("kvkk2", seed).commit();
        let base = c.outbox[0].clone();
        for (i, (kind, channel, to)) in [
            (
                NoticeKind::CitizenReceived,
                DeliveryChannel::Email,
                "fatma@example.com",
            ),
            (
                NoticeKind::CitizenReceived,
                DeliveryChannel::Sms,
                "+905551112233",
            ),
        ]
        .into_iter()
        .enumerate()
        {
            let mut m = base.clone();
            m.id = uuid::Uuid::from_u128(u128::from(seed) << 8 | i as u128);
            m.kind = kind;
            m.channel = channel;
            m.recipient = to.into();
            m.idempotency_key = format!("{}:2:{}:{to}", c.record.state.id, kind.as_str());
            c.outbox.push(m);
        }
        c
    };
    let (a, b) = (with_notices(1), with_notices(2));
    s.commit(&a).await.unwrap();
    s.commit(&b).await.unwrap();
    let id = a.record.state.id;
    assert_eq!(s.outbox(&t, Some(id)).await.unwrap().len(), 3);
    // One of them was already sent: it goes too.
    let claimed = s
        .claim_tenant(&t, t0() + Duration::days(1), 10, Duration::minutes(5))
        .await
        .unwrap();
    let sent = claimed
        .iter()
        .map(|e| &e.message)
        .find(|m| m.request == Some(id) && m.kind == NoticeKind::CitizenReceived)
        .expect("a citizen notice to claim");
    s.mark_sent(sent.id, t0() + Duration::days(1))
        .await
        .unwrap();

    let erase = next_commit(
        &a.record,
        EventKind::ContactErased,
        t0() + Duration::days(1),
    );
    s.commit(&erase).await.unwrap();
    let left = s.outbox(&t, Some(id)).await.unwrap();
    assert_eq!(left.len(), 1, "{left:?}");
    assert_eq!(left[0].message.kind, NoticeKind::Received);
    let text = serde_json::to_string(&left).unwrap();
    assert!(!text.contains("fatma@example.com") && !text.contains("+905551112233"));
    assert_eq!(
        s.outbox(&t, Some(b.record.state.id)).await.unwrap().len(),
        3,
        "another request's notices stay"
    );
}

/// A new request whose receipt the coordinator forced into a signed quarter records its
/// report-correction mark with the commit, per tenant; a commit that fails writes none;
/// an ordinary request writes none.
pub async fn forced_receipt_marks_report_correction<S: Store>(s: &S) {
    use crate::report::Quarter;
    use crate::request::ForcedReceipt;
    let t = tenant("fix");
    let quarter = Quarter::containing(t0());
    let forced = |seed: u64| {
        let mut c = Spec::new("fix", seed).commit();
        let f = ForcedReceipt {
            quarter,
            reason: "Evrak kayıtta unutulmuş".into(),
        };
        if let EventKind::Received { content, .. } = &mut c.events[0].kind {
            content.received_at_forced = Some(f.clone());
        }
        c.record.state.content.received_at_forced = Some(f);
        c
    };
    s.commit(&Spec::new("fix", 9).commit()).await.unwrap();
    assert!(s.report_corrections(&t).await.unwrap().is_empty());
    let a = forced(1);
    let want = a.report_correction().expect("a mark");
    s.commit(&a).await.unwrap();
    // The same request again conflicts and writes nothing more.
    assert!(s.commit(&a).await.is_err());
    let got = s.report_corrections(&t).await.unwrap();
    assert_eq!(got, vec![want.clone()]);
    assert_eq!(got[0].quarter, quarter);
    assert_eq!(got[0].reason, "Evrak kayıtta unutulmuş");
    assert_eq!(got[0].unit.as_ref().map(|u| u.as_str()), Some("fen-isleri"));
    assert!(s
        .report_corrections(&tenant("other"))
        .await
        .unwrap()
        .is_empty());
    // Later commits on the request add no mark.
    let next = next_commit(&a.record, EventKind::Accepted, t0() + Duration::days(1));
    s.commit(&next).await.unwrap();
    assert_eq!(s.report_corrections(&t).await.unwrap().len(), 1);
}
