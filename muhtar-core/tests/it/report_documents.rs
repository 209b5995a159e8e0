//! The quarterly report's official documents (issue 23): requests registered as incoming
//! documents and answers issued as letters in the period, per registry for a unit's
//! report, in every rendering; snapshots signed before they were counted keep their hash.

use chrono::Duration;
use muhtar_core::document::DocumentCounts;
use muhtar_core::ids::SeededRandom;
use muhtar_core::prelude::*;
use muhtar_core::report::{
    content_hash, render, Cube, Quarter, QuarterlyReport, SignedReport, LETTERS_LABEL,
    REGISTERED_LABEL,
};
use muhtar_core::testkit::{fixtures, MemoryStore};

fn answer() -> Command {
    Command::Answer {
        outcome: Outcome::Positive,
        reason: None,
        reason_text: None,
        text: "Yapıldı".into(),
    }
}

#[tokio::test]
async fn the_report_counts_the_documents_dated_in_its_period_per_registry() {
    // Given, in 2026Q1, three requests: two registered, one of them answered by letter;
    // and in Q2 the third registered.
    let q1: Quarter = "2026Q1".parse().unwrap();
    let mbs = Mbs::new(
        MemoryStore::default(),
        ManualClock::new(q1.start() + Duration::days(10)),
        SeededRandom::new(11),
    );
    let org = fixtures::organisation("rdoc");
    let t = org.tenant.id.clone();
    mbs.install_organisation(&Actor::system(t.clone()), org)
        .await
        .unwrap();
    let coord = Actor::parse(&t, "coordinator").unwrap();
    let mut tr = Vec::new();
    for _ in 0..3 {
        let r = mbs
            .submit(&coord, fixtures::new_request("kuzguncuk"))
            .await
            .unwrap();
        tr.push(r.state.tracking);
    }
    mbs.register_document(&coord, &tr[0]).await.unwrap();
    mbs.register_document(&coord, &tr[1]).await.unwrap();
    mbs.execute(&coord, &tr[0], None, answer()).await.unwrap();
    let letter = mbs.issue_letter(&coord, &tr[0]).await.unwrap();
    mbs.clock().set(q1.end() + Duration::days(1));
    mbs.register_document(&coord, &tr[2]).await.unwrap();

    // When the official reads the quarter's report.
    let official = Actor::parse(&t, "official").unwrap();
    let r = mbs.report(&official, q1, None).await.unwrap();

    // Then it counts the two registrations and the letter of Q1, not the one of Q2.
    let d = r.documents.expect("documents counted");
    assert_eq!((d.registered, d.letters), (2, 1));
    assert!(r.definitions.iter().any(|x| x.field == "documents"));
    let q2 = mbs.report(&official, q1.next(), None).await.unwrap();
    let d2 = q2.documents.unwrap();
    assert_eq!((d2.registered, d2.letters), (1, 0));

    // A unit's report counts its units' registries: the unit that holds the requests
    // shares the municipality's registry, which numbered them; Fen İşleri has its own,
    // which numbered nothing.
    let unit = |code: &str| UnitCode::new(code).unwrap();
    let holder = letter_registry_holder(&mbs, &coord, &tr[0]).await;
    let mine = mbs.report(&official, q1, Some(&holder)).await.unwrap();
    assert_eq!(mine.documents, r.documents, "{holder}");
    let fen = mbs
        .report(&official, q1, Some(&unit("fen-isleri")))
        .await
        .unwrap();
    let f = fen.documents.unwrap();
    assert_eq!((f.registered, f.letters), (0, 0));
    assert_ne!(holder, unit("fen-isleri"));
    assert!(letter.number.to_string().starts_with("E-13316537-"));

    // The figures in JSON, CSV and HTML, with their Turkish labels.
    let json: serde_json::Value = serde_json::from_str(&render::json(&r)).unwrap();
    assert_eq!(
        json["documents"],
        serde_json::json!({"registered": 2, "letters": 1})
    );
    let csv = render::csv(&r, Default::default());
    assert!(
        csv.contains(&format!(
            "\"Resmî evrak\",\"registered\",\"{REGISTERED_LABEL}\",2\r\n"
        )),
        "{csv}"
    );
    assert!(
        csv.contains(&format!(
            "\"Resmî evrak\",\"letters\",\"{LETTERS_LABEL}\",1\r\n"
        )),
        "{csv}"
    );
    let html = render::html(&r);
    assert!(
        html.contains(&format!("<tr><td>{REGISTERED_LABEL}</td><td>2</td></tr>")),
        "{html}"
    );
    assert!(
        html.contains(&format!("<tr><td>{LETTERS_LABEL}</td><td>1</td></tr>")),
        "{html}"
    );
}

/// The unit a request is with.
async fn letter_registry_holder(
    mbs: &Mbs<MemoryStore, ManualClock>,
    coord: &Actor,
    tr: &TrackingNumber,
) -> UnitCode {
    mbs.get(coord, tr).await.unwrap().state.unit.unwrap()
}

fn signed(report: QuarterlyReport) -> SignedReport {
    SignedReport {
        id: uuid::Uuid::nil(),
        tenant: report.tenant.clone(),
        quarter: report.quarter.unwrap(),
        unit: None,
        version: 1,
        supersedes: None,
        signed_by: "official".into(),
        official: None,
        signed_at: report.generated_at,
        note: "Uygundur".into(),
        content_hash: content_hash(&report),
        report,
    }
}

/// A report signed before documents were counted reads back to the same canonical JSON
/// (its hash verifies), renders without them, and today's report with documents over the
/// same data is not a change; a snapshot with documents sees a changed count.
#[test]
fn snapshots_signed_before_the_documents_keep_their_hash_and_compare_unchanged() {
    let org = fixtures::organisation("old");
    let q: Quarter = "2025Q2".parse().unwrap();
    let mut cube = Cube::default();
    cube.total.received = 2;
    cube.total.open_at_end = 2;
    let old = QuarterlyReport::build(&cube, &org, q, None, q.end());
    let old_json = serde_json::to_string(&old).unwrap();
    assert!(!old_json.contains("\"documents\""), "{old_json}");
    let back: QuarterlyReport = serde_json::from_str(&old_json).unwrap();
    assert_eq!(back.documents, None);
    assert_eq!(serde_json::to_string(&back).unwrap(), old_json);
    let s = signed(back);
    s.verify().unwrap();
    let csv = render::csv(&s.report, Default::default());
    assert!(!csv.contains("Resmî evrak"), "{csv}");
    assert!(!render::html(&s.report).contains(REGISTERED_LABEL));

    let counts = DocumentCounts {
        incoming: 2,
        letters: 1,
    };
    let today = QuarterlyReport::build(&cube, &org, q, None, q.end() + Duration::days(40))
        .with_documents(counts);
    let check = s.compare(&today);
    assert!(check.unchanged && check.changes.is_empty(), "{check:?}");

    // Signed with documents: one more letter since is a change, named.
    let with = signed(QuarterlyReport::build(&cube, &org, q, None, q.end()).with_documents(counts));
    with.verify().unwrap();
    let more =
        QuarterlyReport::build(&cube, &org, q, None, q.end()).with_documents(DocumentCounts {
            incoming: 2,
            letters: 2,
        });
    let check = with.compare(&more);
    assert!(!check.unchanged);
    let fields: Vec<_> = check.changes.iter().map(|c| c.field).collect();
    assert_eq!(fields, ["letters"]);
    assert!(
        check.note().contains(&format!("{LETTERS_LABEL} 1 → 2")),
        "{}",
        check.note()
    );
}
