//! The export projection (`muhtar_core::export`, issue 18): one flat row per request,
//! as `muhtar export` writes it; `Mbs::export_page` for the roles that may export.

use chrono::Duration;
use muhtar_core::export::ExportRow;
use muhtar_core::prelude::*;
use muhtar_core::reason::ReasonCode;
use muhtar_core::request::{CitizenContact, Priority, ReplyBy};
use muhtar_core::testkit::fixtures::{self, Spec};
use muhtar_core::testkit::MemoryStore;
use proptest::prelude::*;

/// The keys of an exported line, in the order every export has written them.
const KEYS: [&str; 25] = [
    "answered_at",
    "category",
    "channel",
    "citizen",
    "district",
    "document_number",
    "first_response_at",
    "first_response_due",
    "id",
    "kind",
    "letter_numbers",
    "muhtarlik",
    "outcome",
    "priority",
    "reason",
    "reason_text",
    "received_at",
    "reply_by",
    "resolution_due",
    "status",
    "subject",
    "tracking",
    "unit",
    "urgent",
    "version",
];

fn keys_in_order(line: &str) -> Vec<String> {
    // serde_json without `preserve_order` sorts an object's keys: read them from the text.
    let v: serde_json::Value = serde_json::from_str(line).unwrap();
    let mut found: Vec<(usize, String)> = v
        .as_object()
        .unwrap()
        .keys()
        .map(|k| (line.find(&format!("\"{k}\":")).unwrap(), k.clone()))
        .collect();
    found.sort();
    found.into_iter().map(|(_, k)| k).collect()
}

proptest! {
    /// Any request's row: every key, in the same order, the stable names of its enums,
    /// `urgent` exactly when the priority is urgent, and it reads back equal.
    #[test]
    fn a_row_is_flat_stable_and_reads_back(
        seed in 0u64..1000,
        channel in prop::sample::select(Channel::ALL.to_vec()),
        kind in prop::sample::select(RequestKind::ALL.to_vec()),
        urgent in any::<bool>(),
    ) {
        let mut spec = Spec::new("exp", seed);
        spec.channel = channel;
        spec.kind = kind;
        spec.priority = if urgent { Priority::Urgent } else { Priority::Normal };
        let rec = spec.commit().record;
        let row = ExportRow::of(&rec);
        let line = serde_json::to_string(&row).unwrap();
        prop_assert_eq!(keys_in_order(&line), KEYS.to_vec());
        let v: serde_json::Value = serde_json::from_str(&line).unwrap();
        prop_assert_eq!(&v["tracking"], &serde_json::json!(rec.state.tracking.to_string()));
        prop_assert_eq!(&v["status"], rec.state.status.as_str());
        prop_assert_eq!(&v["channel"], channel.as_str());
        prop_assert_eq!(&v["kind"], kind.as_str());
        prop_assert_eq!(&v["priority"], spec.priority.as_str());
        prop_assert_eq!(&v["urgent"], urgent);
        prop_assert_eq!(&v["unit"], "fen-isleri");
        prop_assert_eq!(row.resolution_due, rec.deadlines.resolution_due);
        prop_assert_eq!(serde_json::from_str::<ExportRow>(&line).unwrap(), row);
    }
}

#[tokio::test]
async fn the_export_holds_every_request_with_its_answer_and_contact_for_those_who_may_export() {
    // Given two requests: an urgent dated letter with a citizen's contact, answered
    // negative; and a plain one, open.
    let mbs = Mbs::new(
        MemoryStore::default(),
        ManualClock::new(fixtures::t0()),
        muhtar_core::ids::SeededRandom::new(5),
    );
    let org = fixtures::organisation("exp");
    let t = org.tenant.id.clone();
    mbs.install_organisation(&Actor::system(t.clone()), org)
        .await
        .unwrap();
    let coord = Actor::parse(&t, "coordinator").unwrap();
    let mut letter = fixtures::new_request("kuzguncuk");
    letter.priority = Some(Priority::Urgent);
    letter.reply_by = Some(ReplyBy::Date(
        (fixtures::t0() + Duration::days(5)).date_naive(),
    ));
    letter.citizen = Some(CitizenContact {
        name: "Fatma Çelik".into(),
        phone: None,
        email: Some("fatma@example.com".into()),
    });
    let letter = mbs.submit(&coord, letter).await.unwrap();
    let answered = mbs
        .execute(
            &coord,
            &letter.state.tracking,
            None,
            Command::Answer {
                outcome: Outcome::Negative,
                reason: Some(ReasonCode::new("other")),
                reason_text: Some("Yetki dışında".into()),
                text: "Olumsuz".into(),
            },
        )
        .await
        .unwrap();
    let plain = mbs
        .submit(&coord, fixtures::new_request("cengelkoy"))
        .await
        .unwrap();

    // When the auditor exports.
    let auditor = Actor::parse(&t, "auditor").unwrap();
    let page = mbs.export_page(&auditor, None).await.unwrap();

    // Then: every request once, urgent first, each row the projection of its record.
    assert_eq!(page.next, None);
    assert_eq!(
        page.items,
        vec![ExportRow::of(&answered), ExportRow::of(&plain)]
    );
    let row = &page.items[0];
    assert!(row.urgent);
    assert_eq!(row.reply_by, answered.state.content.reply_by);
    assert_eq!(row.outcome, Some(Outcome::Negative));
    assert_eq!(row.reason_text.as_deref(), Some("Yetki dışında"));
    assert_eq!(
        row.citizen.as_ref().and_then(|c| c.email.as_deref()),
        Some("fatma@example.com")
    );
    assert_eq!(row.version, answered.state.version);
    assert!(!page.items[1].urgent);

    // A muhtar and the public may not export; unit staff neither.
    for who in ["muhtar:kuzguncuk", "public", "unit:fen-isleri"] {
        let a = Actor::parse(&t, who).unwrap();
        assert!(
            matches!(
                mbs.export_page(&a, None).await,
                Err(ServiceError::Forbidden(_))
            ),
            "{who}"
        );
    }
}

#[tokio::test]
async fn the_export_names_the_incoming_document_and_the_letters_of_a_request() {
    // Given a request registered as incoming document and its answer issued as a letter,
    // and one with no documents.
    let (mbs, t) = fixtures::service("expdoc", 9).await;
    let coord = Actor::parse(&t, "coordinator").unwrap();
    let with = mbs
        .submit(&coord, fixtures::new_request("kuzguncuk"))
        .await
        .unwrap()
        .state
        .tracking;
    let without = mbs
        .submit(&coord, fixtures::new_request("cengelkoy"))
        .await
        .unwrap()
        .state
        .tracking;
    let incoming = mbs.register_document(&coord, &with).await.unwrap();
    mbs.execute(
        &coord,
        &with,
        None,
        Command::Answer {
            outcome: Outcome::Positive,
            reason: None,
            reason_text: None,
            text: "Yapıldı".into(),
        },
    )
    .await
    .unwrap();
    let letter = mbs.issue_letter(&coord, &with).await.unwrap();

    // When the coordinator exports.
    let page = mbs.export_page(&coord, None).await.unwrap();

    // Then the registered one names its numbers, as text, and the other empty columns.
    let row = |tr| {
        page.items
            .iter()
            .find(|r| r.tracking == tr)
            .map(|r| serde_json::to_value(r).unwrap())
            .unwrap()
    };
    let r = row(with);
    assert_eq!(r["document_number"], incoming.number.to_string());
    assert_eq!(
        r["letter_numbers"],
        serde_json::json!([letter.number.to_string()])
    );
    let r = row(without);
    assert_eq!(r["document_number"], serde_json::Value::Null);
    assert_eq!(r["letter_numbers"], serde_json::json!([]));
}
