//! Outbox messages as written before the payload was typed (`tests/fixtures/notices/`,
//! never regenerated) still read: every kind's payload deserialises into its typed
//! variant with the facts it was written with, and writes back as the same JSON.

use chrono::{TimeZone, Utc};
use muhtar_core::map::work::{WorkField, WorkKind, WorkStatus};
use muhtar_core::outbox::{NoticeKind, NoticePayload, OutboxMessage};
use muhtar_core::request::{Outcome, PauseReason, Priority, Status};

fn fixtures() -> Vec<(String, serde_json::Value)> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/notices");
    let mut out: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .map(|p| {
            let name = p.file_stem().unwrap().to_string_lossy().into_owned();
            let json = serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap();
            (name, json)
        })
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

fn read(name: &str) -> OutboxMessage {
    let (_, json) = fixtures().into_iter().find(|(n, _)| n == name).unwrap();
    serde_json::from_value(json).unwrap()
}

#[test]
fn every_stored_notice_reads_into_its_typed_payload_and_writes_back_the_same_json() {
    let mut kinds = std::collections::HashSet::new();
    for (name, json) in fixtures() {
        let m: OutboxMessage =
            serde_json::from_value(json.clone()).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(m.payload.kind(), m.kind, "{name}");
        assert!(name.starts_with(m.kind.as_str()), "{name}");
        assert_eq!(serde_json::to_value(&m).unwrap(), json, "{name}");
        kinds.insert(m.kind);
    }
    let all = [
        NoticeKind::Received,
        NoticeKind::Transferred,
        NoticeKind::InterimReply,
        NoticeKind::Paused,
        NoticeKind::Message,
        NoticeKind::Answered,
        NoticeKind::Closed,
        NoticeKind::Reopened,
        NoticeKind::NewInQueue,
        NoticeKind::AtRisk,
        NoticeKind::Breached,
        NoticeKind::ReportReady,
        NoticeKind::Extended,
        NoticeKind::FeeNotified,
        NoticeKind::FeePaid,
        NoticeKind::DeemedWithdrawn,
        NoticeKind::UrgentReceived,
        NoticeKind::CitizenReceived,
        NoticeKind::CitizenAnswered,
        NoticeKind::CitizenUpdate,
        NoticeKind::WorkPublished,
        NoticeKind::WorkChanged,
        NoticeKind::WorkClosed,
    ];
    assert_eq!(kinds, all.into_iter().collect(), "a fixture for every kind");
}

#[test]
fn stored_facts_keep_their_meaning() {
    let m = read("received");
    let r = m.payload.request().unwrap();
    assert_eq!(r.tracking, "37Q-67F-3Y0");
    assert_eq!((r.priority, r.urgent), (Priority::Urgent, true));
    assert_eq!(r.status, Status::Routed);
    assert_eq!(r.unit_name.as_deref(), Some("Muhtarlık İşleri Müdürlüğü"));
    assert_eq!(
        r.resolution_due,
        Some(Utc.with_ymd_and_hms(2026, 6, 1, 14, 30, 0).unwrap())
    );
    let NoticePayload::Paused(p) = read("paused").payload else {
        panic!("paused")
    };
    assert_eq!(p.pause_reason, PauseReason::Muhtar);
    assert_eq!(p.note, "Çukurun tam yerini (kapı no) bildiriniz.");
    let a = read("answered").payload;
    let r = a.request().unwrap();
    assert_eq!(r.outcome, Some(Outcome::Positive));
    assert_eq!(r.answer.as_deref(), Some("Yama yapıldı"));
    let a = read("citizen-answered").payload;
    let r = a.request().unwrap();
    assert_eq!(r.outcome, Some(Outcome::Negative));
    assert_eq!(
        r.reason.as_ref().map(|c| c.to_string()).as_deref(),
        Some("no-budget")
    );
    let f = read("citizen-update-fee-notified").payload;
    let NoticePayload::CitizenUpdate(c) = &f else {
        panic!("citizen-update")
    };
    assert_eq!(c.update, NoticeKind::FeeNotified);
    assert_eq!(f.fee_amount(), Some("40,00 TL"));
    let NoticePayload::Breached(b) = read("breached").payload else {
        panic!("breached")
    };
    assert!(b.due > b.request.received_at);
    let NoticePayload::ReportReady(r) = read("report-ready").payload else {
        panic!("report-ready")
    };
    assert_eq!(r.period, "2026Q2");
    assert_eq!(r.tenant_name, "Örnek İlçe Belediyesi");
    let NoticePayload::WorkChanged(w) = read("work-changed").payload else {
        panic!("work-changed")
    };
    assert_eq!((w.version, w.work_kind), (2, WorkKind::WaterCut));
    assert_eq!(w.work_status, WorkStatus::Ongoing);
    assert_eq!(w.changed, vec![WorkField::EndsAt, WorkField::Status]);
    assert_eq!(w.unit_name.as_deref(), Some("Fen İşleri Müdürlüğü"));
    assert_eq!(w.muhtarlik_name.as_deref(), Some("Kuzguncuk Mahallesi"));
    assert_eq!(
        w.ends_at,
        Utc.with_ymd_and_hms(2025, 3, 15, 19, 0, 0).unwrap()
    );
    for kind in ["work-published", "work-closed"] {
        let m = read(kind);
        let w = m.payload.work().unwrap();
        assert!(w.changed.is_empty() && m.request.is_none(), "{kind}");
        assert_eq!(w.contact.as_deref(), Some("Alo 185"));
    }
    assert_eq!(
        read("work-closed").payload.work().unwrap().work_status,
        WorkStatus::Closed
    );
}

#[test]
fn a_payload_that_does_not_fit_its_kind_is_refused() {
    let mut json = serde_json::to_value(read("report-ready")).unwrap();
    json["kind"] = "received".into();
    let e = serde_json::from_value::<OutboxMessage>(json).unwrap_err();
    assert!(e.to_string().contains("tracking"), "{e}");
    let mut json = serde_json::to_value(read("fee-notified")).unwrap();
    json["payload"]
        .as_object_mut()
        .unwrap()
        .remove("fee_amount");
    assert!(serde_json::from_value::<OutboxMessage>(json).is_err());
}
