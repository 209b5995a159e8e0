//! The conformance checks of [`crate::store::DocumentStore`] and of the documents a
//! [`crate::store::Commit`] carries: documents round-trip byte for byte and are found
//! every way; a taken or skipped number writes nothing; and numbers stay gapless and
//! unique when several writers register at once on the same store (property-style, over
//! several seeds). That documents are never updated or deleted is the databases' own
//! (triggers): each store crate tests it.

use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;
use std::pin::Pin;
use std::task::Poll;

use chrono::{DateTime, Datelike, Duration, TimeZone, Utc};

use super::super::fixtures::{document, document_commit, next_commit, tenant, Spec};
use crate::document::{Direction, Document, DocumentCounts, DocumentKey, VerificationCode};
use crate::ids::{RandomSource, SeededRandom, TenantId, UnitCode};
use crate::outbox::OutboxMessage;
use crate::request::{EventKind, Outcome};
use crate::store::{RequestRecord, Store, StoreError, StoreErrorKind, SEQUENCE_TAKEN};

fn unit(u: &str) -> UnitCode {
    UnitCode::new(u).unwrap_or_else(|e| panic!("{e}"))
}

/// An instant given in Istanbul local time (UTC+3).
fn istanbul(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, mo, d, h, mi, 0)
        .single()
        .unwrap_or_else(|| panic!("bad instant"))
        - Duration::hours(3)
}

/// Creates fixture request `seed` of tenant `t`.
async fn request<S: Store>(s: &S, t: &str, seed: u64) -> RequestRecord {
    let c = Spec::new(t, seed).commit();
    s.commit(&c)
        .await
        .unwrap_or_else(|e| panic!("creating request {seed} of {t}: {e}"));
    c.record
}

/// Commits `doc` on `rec` (its event and the document); the record after it.
async fn register<S: Store>(s: &S, rec: &RequestRecord, doc: Document) -> RequestRecord {
    let number = doc.number.clone();
    let c = document_commit(rec, doc);
    s.commit(&c)
        .await
        .unwrap_or_else(|e| panic!("registering {number}: {e}"));
    c.record
}

/// Accepts and answers `rec`, so that a letter may be issued.
async fn answer<S: Store>(s: &S, rec: &RequestRecord, at: DateTime<Utc>) -> RequestRecord {
    let a = next_commit(rec, EventKind::Accepted, at);
    s.commit(&a).await.unwrap_or_else(|e| panic!("{e}"));
    let b = next_commit(
        &a.record,
        EventKind::Answered {
            outcome: Outcome::Positive,
            reason: None,
            reason_text: None,
            text: "Çukur kapatıldı.".into(),
        },
        at,
    );
    s.commit(&b).await.unwrap_or_else(|e| panic!("{e}"));
    b.record
}

/// Documents round-trip exactly (content, hash and signature byte for byte) and are found
/// by id, by code (in any tenant), by request (oldest first), by number (one per year,
/// newest first), by external number (without case or surrounding spaces), each within
/// its tenant; counted by direction, period and registries; `last_sequence` per registry
/// and Istanbul year.
pub async fn documents_round_trip_and_are_found_every_way<S: Store>(s: &S) {
    let (ta, tb) = (tenant("doc-a"), tenant("doc-b"));
    let fen = unit("fen-isleri");
    let bel = unit("belediye");
    // 2025-12-31 23:00 and 2026-01-01 00:30 in Istanbul: two years (UTC sees one).
    let late_2025 = istanbul(2025, 12, 31, 23, 0) + Duration::nanoseconds(123_456_789);
    let early_2026 = istanbul(2026, 1, 1, 0, 30);

    let r1 = request(s, "doc-a", 1).await;
    let mut d1 = document(
        &r1.state,
        Direction::Incoming,
        "fen-isleri",
        1,
        late_2025,
        11,
    );
    d1.external_number = Some(" Evrak-7/A ".into());
    let key = DocumentKey::from_secret("2025-1", [7; 32]).unwrap_or_else(|e| panic!("{e}"));
    d1.signature = Some(key.sign(&d1));
    register(s, &r1, d1.clone()).await;

    let r2 = request(s, "doc-a", 2).await;
    let d2 = document(
        &r2.state,
        Direction::Incoming,
        "fen-isleri",
        1,
        early_2026,
        12,
    );
    let r2 = register(s, &r2, d2.clone()).await;
    let r2 = answer(s, &r2, early_2026 + Duration::hours(1)).await;
    let mut d2_letter = document(
        &r2.state,
        Direction::Outgoing,
        "fen-isleri",
        2,
        early_2026 + Duration::hours(2),
        13,
    );
    d2_letter.related = Some(d2.number.clone());
    register(s, &r2, d2_letter.clone()).await;

    let r3 = request(s, "doc-a", 3).await;
    let mut d3 = document(
        &r3.state,
        Direction::Incoming,
        "belediye",
        1,
        istanbul(2025, 6, 1, 10, 0),
        14,
    );
    d3.external_number = Some("EVRAK-7/a".into());
    register(s, &r3, d3.clone()).await;

    // Another tenant: the same number as d1, the same external number.
    let rb = request(s, "doc-b", 101).await;
    let mut db = document(
        &rb.state,
        Direction::Incoming,
        "fen-isleri",
        1,
        late_2025,
        15,
    );
    db.external_number = Some("evrak-7/a".into());
    register(s, &rb, db.clone()).await;
    assert_eq!(db.number, d1.number);

    // By id, exactly; within its tenant only.
    for d in [&d1, &d2, &d2_letter, &d3] {
        let got = s.official_document(&ta, d.id).await.unwrap();
        assert_eq!(&got, d);
        assert_eq!(got.content.as_bytes(), d.content.as_bytes());
        assert_eq!(got.sha256, d.sha256);
        assert_eq!(got.signature, d.signature);
    }
    assert!(d1.signature.is_some());
    assert!(matches!(
        s.official_document(&ta, db.id).await,
        Err(StoreError::NotFound { .. })
    ));
    assert_eq!(s.official_document(&tb, db.id).await.unwrap(), db);

    // By code, in any tenant.
    assert_eq!(s.document_by_code(&d3.code).await.unwrap(), d3);
    assert_eq!(s.document_by_code(&db.code).await.unwrap(), db);
    let mut r = SeededRandom::new(999);
    let unknown = VerificationCode::from_random(|| r.next_u64());
    assert!(matches!(
        s.document_by_code(&unknown).await,
        Err(StoreError::NotFound { .. })
    ));

    // By request, oldest first.
    assert_eq!(
        s.documents_of_request(&ta, r2.state.id).await.unwrap(),
        vec![d2.clone(), d2_letter.clone()]
    );
    assert_eq!(
        s.documents_of_request(&ta, r1.state.id).await.unwrap(),
        vec![d1.clone()]
    );
    assert!(s
        .documents_of_request(&tb, r1.state.id)
        .await
        .unwrap()
        .is_empty());

    // By number: E-44556677-010-1 was given in 2025 (d1) and in 2026 (d2), newest first;
    // the other tenant's stays its own.
    assert_eq!(
        s.documents_by_number(&ta, &d1.number).await.unwrap(),
        vec![d2.clone(), d1.clone()]
    );
    assert_eq!(
        s.documents_by_number(&tb, &d1.number).await.unwrap(),
        vec![db.clone()]
    );
    assert!(s
        .documents_by_number(&ta, &d2_letter.number)
        .await
        .unwrap()
        .iter()
        .all(|d| d.id == d2_letter.id));

    // By external number: case and surrounding spaces do not matter.
    for q in ["evrak-7/a", "  EVRAK-7/A\t", "Evrak-7/A"] {
        assert_eq!(
            s.documents_by_external_number(&ta, q).await.unwrap(),
            vec![d1.clone(), d3.clone()],
            "{q:?}"
        );
    }
    assert_eq!(
        s.documents_by_external_number(&tb, "EVRAK-7/A")
            .await
            .unwrap(),
        vec![db.clone()]
    );
    assert!(s
        .documents_by_external_number(&ta, "evrak-7")
        .await
        .unwrap()
        .is_empty());

    // The last sequence per registry and Istanbul year, per tenant.
    for (t, reg, year, want) in [
        (&ta, &fen, 2025, 1),
        (&ta, &fen, 2026, 2),
        (&ta, &bel, 2025, 1),
        (&ta, &bel, 2026, 0),
        (&ta, &fen, 2024, 0),
        (&tb, &fen, 2025, 1),
        (&tb, &fen, 2026, 0),
        (&tenant("doc-none"), &fen, 2025, 0),
    ] {
        assert_eq!(
            s.last_sequence(t, reg, year).await.unwrap(),
            want,
            "{t} {reg} {year}"
        );
    }

    // Counts over Istanbul years and a boundary exact to the nanosecond.
    let y2025 = (istanbul(2025, 1, 1, 0, 0), istanbul(2026, 1, 1, 0, 0));
    let y2026 = (istanbul(2026, 1, 1, 0, 0), istanbul(2027, 1, 1, 0, 0));
    let counts = |incoming, letters| DocumentCounts { incoming, letters };
    for (t, (from, to), regs, want) in [
        (&ta, y2025, None, counts(2, 0)),
        (&ta, y2026, None, counts(1, 1)),
        (&ta, y2025, Some(vec![bel.clone()]), counts(1, 0)),
        (&ta, y2025, Some(vec![fen.clone()]), counts(1, 0)),
        (
            &ta,
            y2026,
            Some(vec![fen.clone(), bel.clone()]),
            counts(1, 1),
        ),
        (&ta, y2026, Some(vec![]), counts(0, 0)),
        (&tb, y2025, None, counts(1, 0)),
        (&tb, y2026, None, counts(0, 0)),
        (&ta, (late_2025, early_2026), None, counts(1, 0)),
        (
            &ta,
            (late_2025 + Duration::nanoseconds(1), early_2026),
            None,
            counts(0, 0),
        ),
    ] {
        assert_eq!(
            s.document_counts(t, from, to, regs.as_deref())
                .await
                .unwrap(),
            want,
            "{t} {from} {to} {regs:?}"
        );
    }
}

/// A message to go out with `rec`'s next commit (to see that a refused commit writes none).
fn notice(rec: &RequestRecord, key: &str) -> OutboxMessage {
    let mut m = Spec::new(rec.state.tenant.as_str(), 77)
        .commit()
        .outbox
        .remove(0);
    m.idempotency_key = key.into();
    m.request = Some(rec.state.id);
    m
}

/// A commit whose document's sequence is taken, or would leave a gap, or whose code is
/// another document's, writes nothing: no event, no state change, no outbox row, no
/// document. The next number still goes through afterwards.
pub async fn a_taken_sequence_writes_nothing<S: Store>(s: &S) {
    let t = tenant("doc-taken");
    let fen = unit("fen-isleri");
    let at = istanbul(2025, 5, 5, 10, 0);
    let r1 = request(s, "doc-taken", 1).await;
    let d1 = document(&r1.state, Direction::Incoming, "fen-isleri", 1, at, 21);
    register(s, &r1, d1.clone()).await;
    let r2 = request(s, "doc-taken", 2).await;
    let outbox_before = s.outbox(&t, None).await.unwrap();

    let attempt = |seq: u32, seed: u64| {
        let doc = document(
            &r2.state,
            Direction::Incoming,
            "fen-isleri",
            seq,
            at + Duration::minutes(1),
            seed,
        );
        let mut c = document_commit(&r2, doc);
        c.outbox
            .push(notice(&r2, &format!("doc-taken-{seq}-{seed}")));
        c
    };
    let same_code = {
        let mut c = attempt(2, 23);
        c.documents[0].code = d1.code.clone();
        c
    };
    for (what, c) in [
        ("taken", attempt(1, 22)),
        ("gap", attempt(3, 22)),
        ("code", same_code),
    ] {
        let err = s.commit(&c).await.unwrap_err();
        match what {
            "taken" => assert!(
                matches!(&err, StoreError::Duplicate { what } if what == SEQUENCE_TAKEN),
                "{err:?}"
            ),
            "gap" => assert_eq!(err.kind(), StoreErrorKind::Invalid, "{err:?}"),
            _ => assert!(
                matches!(&err, StoreError::Duplicate { what } if what == "verification code"),
                "{err:?}"
            ),
        }
        assert_eq!(s.load(&t, r2.state.id).await.unwrap(), r2, "{what}");
        assert_eq!(s.events(&t, r2.state.id).await.unwrap().len(), 2, "{what}");
        assert_eq!(s.outbox(&t, None).await.unwrap(), outbox_before, "{what}");
        assert!(s
            .documents_of_request(&t, r2.state.id)
            .await
            .unwrap()
            .is_empty());
        assert_eq!(s.last_sequence(&t, &fen, 2025).await.unwrap(), 1, "{what}");
        assert_eq!(s.document_by_code(&d1.code).await.unwrap(), d1, "{what}");
    }

    // A document of another request, or with a hash not its content's, is refused too.
    let mut foreign = attempt(2, 24);
    foreign.documents[0].request = r1.state.id;
    let mut tampered = attempt(2, 25);
    tampered.documents[0].content.push(' ');
    for c in [foreign, tampered] {
        let err = s.commit(&c).await.unwrap_err();
        assert_eq!(err.kind(), StoreErrorKind::Invalid, "{err:?}");
        assert_eq!(s.last_sequence(&t, &fen, 2025).await.unwrap(), 1);
    }

    // The next number goes through.
    let ok = attempt(2, 26);
    let doc = ok.documents[0].clone();
    s.commit(&ok).await.unwrap();
    assert_eq!(s.last_sequence(&t, &fen, 2025).await.unwrap(), 2);
    assert_eq!(
        s.documents_of_request(&t, r2.state.id).await.unwrap(),
        vec![doc]
    );
    assert_eq!(s.events(&t, r2.state.id).await.unwrap().len(), 3);
}

/// Runs futures concurrently on the current task and returns their outputs in order: a
/// small join for futures that borrow the store (which `tokio::spawn` cannot take).
pub(super) async fn join_all<F: Future>(futures: Vec<F>) -> Vec<F::Output> {
    let mut futures: Vec<Pin<Box<F>>> = futures.into_iter().map(Box::pin).collect();
    let mut out: Vec<Option<F::Output>> = futures.iter().map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut pending = false;
        for (f, o) in futures.iter_mut().zip(out.iter_mut()) {
            if o.is_none() {
                match f.as_mut().poll(cx) {
                    Poll::Ready(v) => *o = Some(v),
                    Poll::Pending => pending = true,
                }
            }
        }
        if pending {
            Poll::Pending
        } else {
            Poll::Ready(())
        }
    })
    .await;
    out.into_iter()
        .map(|o| o.unwrap_or_else(|| panic!("a joined future did not finish")))
        .collect()
}

/// One registration a writer must make.
struct Job {
    record: RequestRecord,
    registry: &'static str,
    at: DateTime<Utc>,
    seed: u64,
}

/// How often a writer numbers a registration again before the check gives up.
const WRITER_ATTEMPTS: u64 = 500;

/// A writer registering its jobs one after another as the service does: the registry's
/// last sequence plus one, committed; a taken number is read again and retried. Returns
/// the documents acknowledged.
async fn writer<S: Store>(s: &S, t: &TenantId, jobs: Vec<Job>) -> Vec<Document> {
    let mut acknowledged = Vec::new();
    for job in jobs {
        let registry = unit(job.registry);
        let year = crate::calendar::local_date(job.at).year();
        let mut attempt = 0;
        loop {
            attempt += 1;
            assert!(
                attempt <= WRITER_ATTEMPTS,
                "a registration in {registry} found its number taken {WRITER_ATTEMPTS} times"
            );
            let last = s
                .last_sequence(t, &registry, year)
                .await
                .unwrap_or_else(|e| panic!("last_sequence: {e}"));
            let doc = document(
                &job.record.state,
                Direction::Incoming,
                job.registry,
                last + 1,
                job.at,
                job.seed.wrapping_mul(1000).wrapping_add(attempt),
            );
            match s.commit(&document_commit(&job.record, doc.clone())).await {
                Ok(()) => {
                    acknowledged.push(doc);
                    break;
                }
                Err(StoreError::Duplicate { what }) if what == SEQUENCE_TAKEN => {}
                Err(e) => panic!("registering {}: {e:?}", doc.number),
            }
        }
    }
    acknowledged
}

/// Property: however many writers register at once on the same store (2 to 6, each 1 to
/// 6 registrations, two registries, dates on both sides of an Istanbul new year), every
/// registry's numbers in each year are exactly 1..=n, none twice, every acknowledged
/// registration is stored as acknowledged and once, and codes are unique.
pub async fn document_numbers_are_gapless_under_concurrent_registration<S: Store>(s: &S) {
    let new_year = istanbul(2026, 1, 1, 0, 0);
    for round in 0..4u64 {
        let mut rng = SeededRandom::new(0xD0C5 + round);
        let name = format!("doc-gap-{round}");
        let t = tenant(&name);
        let writers = 2 + rng.next_u64() % 5;
        let mut plans = Vec::new();
        let mut n = 0;
        for _ in 0..writers {
            let mut jobs = Vec::new();
            for _ in 0..1 + rng.next_u64() % 6 {
                n += 1;
                let record = request(s, &name, n).await;
                let registry = if rng.next_u64().is_multiple_of(2) {
                    "fen-isleri"
                } else {
                    "belediye"
                };
                // Within 40 minutes either side of midnight, Istanbul time.
                let offset = (rng.next_u64() % 4800) as i64 - 2400;
                let at = new_year + Duration::seconds(offset);
                jobs.push(Job {
                    record,
                    registry,
                    at,
                    seed: round * 1_000_000 + n,
                });
            }
            plans.push(jobs);
        }
        let results = join_all(plans.into_iter().map(|jobs| writer(s, &t, jobs)).collect()).await;
        let acknowledged: Vec<Document> = results.into_iter().flatten().collect();
        assert_eq!(acknowledged.len() as u64, n, "round {round}");

        // What is stored, request by request: exactly the acknowledged document.
        let mut by_registry: BTreeMap<(UnitCode, i32), Vec<u32>> = BTreeMap::new();
        let mut codes = BTreeSet::new();
        for d in &acknowledged {
            let stored = s.documents_of_request(&t, d.request).await.unwrap();
            assert_eq!(stored, vec![d.clone()], "round {round}: {}", d.number);
            let state = s.load(&t, d.request).await.unwrap().state;
            assert_eq!(state.registration(), Some(&d.reference()));
            assert_eq!(s.document_by_code(&d.code).await.unwrap(), *d);
            assert!(codes.insert(d.code.clone()), "code {} twice", d.code);
            by_registry
                .entry((d.registry.clone(), d.year))
                .or_default()
                .push(d.number.sequence);
        }
        for ((registry, year), mut seqs) in by_registry {
            seqs.sort_unstable();
            let want: Vec<u32> = (1..=seqs.len() as u32).collect();
            assert_eq!(seqs, want, "round {round}: {registry} {year}");
            assert_eq!(
                s.last_sequence(&t, &registry, year).await.unwrap(),
                want.len() as u32
            );
        }
        let counts = s
            .document_counts(
                &t,
                new_year - Duration::hours(1),
                new_year + Duration::hours(1),
                None,
            )
            .await
            .unwrap();
        assert_eq!(counts.incoming, n, "round {round}");
    }
}
