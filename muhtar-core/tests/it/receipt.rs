//! Who may say when a request arrived, who hears back, and what the public may read
//! (issue 16 §4), through the service façade over the in-memory store.

use chrono::{DateTime, Duration, TimeZone, Utc};
use muhtar_core::outbox::{DeliveryChannel, NoticeKind};
use muhtar_core::prelude::*;
use muhtar_core::report::Quarter;
use muhtar_core::request::{CitizenContact, InputError};
use muhtar_core::store::{OutboxStore, ReportStore, RequestRecord};
use muhtar_core::testkit::{block_on, fixtures, MemoryStore};
use proptest::prelude::*;

type Svc = Mbs<MemoryStore, ManualClock>;

async fn setup_at(now: DateTime<Utc>) -> (Svc, TenantId) {
    fixtures::service_at("rcp", now, 1).await
}

fn actor(t: &TenantId, s: &str) -> Actor {
    Actor::parse(t, s).unwrap()
}

fn at(y: i32, m: u32, d: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, 7, 0, 0).unwrap()
}

fn refused_field(r: Result<RequestRecord, ServiceError>) -> &'static str {
    match r {
        Err(ServiceError::Input(e)) => e.field(),
        other => panic!("expected an input error, got {other:?}"),
    }
}

async fn count(mbs: &Svc, t: &TenantId) -> usize {
    mbs.list(&actor(t, "coordinator"), RequestQuery::default())
        .await
        .unwrap()
        .items
        .len()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]
    /// A muhtar can never move a receipt instant: any `received_at` they give is refused
    /// naming the field, and nothing is written; without it, the receipt is now.
    #[test]
    fn a_muhtar_can_never_move_a_receipt_instant(offset_s in -40i64 * 86_400..3_600) {
        block_on(async {
            let now = fixtures::t0();
            let (mbs, t) = setup_at(now).await;
            let muhtar = actor(&t, "muhtar:kuzguncuk");
            let mut r = fixtures::new_request("kuzguncuk");
            r.received_at = Some(now + Duration::seconds(offset_s));
            prop_assert_eq!(refused_field(mbs.submit(&muhtar, r.clone()).await), "received_at");
            // Forcing is the coordinator's alone; an instant too far ahead for any clock
            // is refused as such before that.
            let expected = if offset_s > muhtar_core::request::MAX_CLOCK_SKEW_SECONDS {
                "received_at"
            } else {
                "force_reason"
            };
            prop_assert_eq!(
                refused_field(mbs.submit_forced(&muhtar, r, "neden").await),
                expected
            );
            prop_assert_eq!(count(&mbs, &t).await, 0);
            let rec = mbs.submit(&muhtar, fixtures::new_request("kuzguncuk")).await.unwrap();
            prop_assert_eq!(rec.state.content.received_at, now);
            Ok(())
        })?;
    }
}

#[tokio::test]
async fn back_office_may_backdate_within_the_window_never_into_the_future() {
    let now = at(2025, 3, 14);
    let (mbs, t) = setup_at(now).await;
    for who in ["coordinator", "unit:muhtarliklar"] {
        let mut r = fixtures::new_request("kuzguncuk");
        r.received_at = Some(now - Duration::days(29));
        let rec = mbs.submit(&actor(&t, who), r).await.unwrap();
        assert_eq!(rec.state.content.received_at, now - Duration::days(29));
    }
    let coord = actor(&t, "coordinator");
    for bad in [now - Duration::days(31), now + Duration::minutes(1)] {
        let mut r = fixtures::new_request("kuzguncuk");
        r.received_at = Some(bad);
        assert_eq!(refused_field(mbs.submit(&coord, r).await), "received_at");
    }
    for who in ["auditor", "admin", "official"] {
        let mut r = fixtures::new_request("kuzguncuk");
        r.received_at = Some(now - Duration::days(1));
        assert!(mbs.submit(&actor(&t, who), r).await.is_err(), "{who}");
    }
    assert_eq!(count(&mbs, &t).await, 2);
    // The tenant sets its own window.
    mbs.install_settings(&actor(&t, "admin"), "received_at_window_days = 40\n")
        .await
        .unwrap();
    let mut r = fixtures::new_request("kuzguncuk");
    r.received_at = Some(now - Duration::days(35));
    mbs.submit(&coord, r).await.unwrap();
}

#[tokio::test]
async fn a_signed_quarter_is_closed_unless_the_coordinator_forces_it_with_a_reason() {
    let (mbs, t) = setup_at(at(2025, 3, 20)).await;
    let coord = actor(&t, "coordinator");
    mbs.submit(&coord, fixtures::new_request("kuzguncuk"))
        .await
        .unwrap();
    mbs.clock().set(at(2025, 4, 3));
    let q1 = Quarter::new(2025, 1).unwrap();
    let signed = mbs
        .sign_report(&actor(&t, "official"), q1, None, "Uygundur")
        .await
        .unwrap();
    let late = || {
        let mut r = fixtures::new_request("kuzguncuk");
        r.received_at = Some(at(2025, 3, 28));
        r
    };
    assert_eq!(
        refused_field(mbs.submit(&coord, late()).await),
        "received_at"
    );
    assert_eq!(
        refused_field(mbs.submit_forced(&coord, late(), "  ").await),
        "force_reason"
    );
    assert_eq!(
        refused_field(
            mbs.submit_forced(&actor(&t, "unit:muhtarliklar"), late(), "evrak")
                .await
        ),
        "force_reason"
    );
    assert_eq!(count(&mbs, &t).await, 1);
    assert!(mbs.store().report_corrections(&t).await.unwrap().is_empty());
    // The current quarter is open to back-office entry without force.
    let mut r = fixtures::new_request("kuzguncuk");
    r.received_at = Some(at(2025, 4, 1));
    mbs.submit(&coord, r).await.unwrap();

    let rec = mbs
        .submit_forced(&coord, late(), "Evrak kayıtta unutulmuş")
        .await
        .unwrap();
    let forced = rec.state.content.received_at_forced.clone().unwrap();
    assert_eq!(forced.quarter, q1);
    assert_eq!(forced.reason, "Evrak kayıtta unutulmuş");
    let history = mbs.history(&coord, &rec.state.tracking).await.unwrap();
    assert!(serde_json::to_string(&history[0])
        .unwrap()
        .contains("Evrak kayıtta unutulmuş"));
    let marks = mbs.store().report_corrections(&t).await.unwrap();
    assert_eq!(marks.len(), 1);
    assert_eq!(marks[0].tracking, rec.state.tracking);
    assert!(marks[0].applies_to(&signed));
    // A correction signed afterwards is not marked.
    mbs.clock().set(at(2025, 4, 4));
    let v2 = mbs
        .sign_report(&actor(&t, "official"), q1, None, "Düzeltme")
        .await
        .unwrap();
    assert!(!marks[0].applies_to(&v2));
}

fn with_citizen() -> muhtar_core::request::NewRequest {
    fixtures::request_builder("kuzguncuk")
        .description("Sokak lambası yanmıyor, gece karanlık")
        .citizen(CitizenContact {
            name: "Fatma Kaya".into(),
            phone: Some("0555 111 22 33".into()),
            email: Some("fatma@example.com".into()),
        })
        .build()
}

#[tokio::test]
async fn the_citizen_hears_the_tracking_number_then_the_outcome_and_erasure_takes_the_notices() {
    let (mbs, t) = setup_at(fixtures::t0()).await;
    let muhtar = actor(&t, "muhtar:kuzguncuk");
    let rec = mbs.submit(&muhtar, with_citizen()).await.unwrap();
    let citizen =
        |o: &[muhtar_core::outbox::OutboxEntry]| -> Vec<(NoticeKind, DeliveryChannel, String)> {
            o.iter()
                .filter(|e| e.message.kind.is_for_citizen())
                .map(|e| {
                    (
                        e.message.kind,
                        e.message.channel,
                        e.message.recipient.clone(),
                    )
                })
                .collect()
        };
    let out = mbs.store().outbox(&t, Some(rec.state.id)).await.unwrap();
    assert_eq!(
        citizen(&out),
        vec![
            (
                NoticeKind::CitizenReceived,
                DeliveryChannel::Email,
                "fatma@example.com".into()
            ),
            (
                NoticeKind::CitizenReceived,
                DeliveryChannel::Sms,
                "+905551112233".into()
            ),
        ]
    );
    let m = out
        .iter()
        .find(|e| e.message.kind == NoticeKind::CitizenReceived)
        .unwrap();
    assert_eq!(
        m.message.payload.request().unwrap().tracking,
        rec.state.tracking.to_string()
    );
    // No contact given, no citizen notice (the contact is the consent).
    let plain = mbs
        .submit(&muhtar, fixtures::new_request("kuzguncuk"))
        .await
        .unwrap();
    let out = mbs.store().outbox(&t, Some(plain.state.id)).await.unwrap();
    assert!(citizen(&out).is_empty());

    let coord = actor(&t, "coordinator");
    mbs.execute(
        &coord,
        &rec.state.tracking,
        None,
        Command::Answer {
            outcome: Outcome::Negative,
            reason: Some(muhtar_core::reason::ReasonCode::new("no-budget")),
            reason_text: None,
            text: "Bütçe yok".into(),
        },
    )
    .await
    .unwrap();
    let out = mbs.store().outbox(&t, Some(rec.state.id)).await.unwrap();
    let answered: Vec<_> = citizen(&out)
        .into_iter()
        .filter(|c| c.0 == NoticeKind::CitizenAnswered)
        .collect();
    assert_eq!(answered.len(), 2);
    let m = out
        .iter()
        .find(|e| e.message.kind == NoticeKind::CitizenAnswered)
        .unwrap();
    assert_eq!(
        m.message.payload.request().unwrap().outcome_name.as_deref(),
        Some("olumsuz")
    );

    // KVKK erasure takes the citizen's notices with the contact.
    mbs.execute(
        &actor(&t, "admin"),
        &rec.state.tracking,
        None,
        Command::EraseContact,
    )
    .await
    .unwrap();
    let out = mbs.store().outbox(&t, Some(rec.state.id)).await.unwrap();
    assert!(citizen(&out).is_empty());
    let text = serde_json::to_string(&out).unwrap();
    assert!(!text.contains("fatma@example.com") && !text.contains("+905551112233"));
    assert!(out.iter().any(|e| e.message.kind == NoticeKind::Answered));
}

#[tokio::test]
async fn public_status_shows_no_personal_data_and_gives_no_oracle() {
    let (mbs, t) = setup_at(fixtures::t0()).await;
    let rec = mbs
        .submit(&actor(&t, "muhtar:kuzguncuk"), with_citizen())
        .await
        .unwrap();
    let view = mbs
        .public_status(&t, &rec.state.tracking.to_string())
        .await
        .unwrap();
    assert_eq!(view.status, Status::Routed);
    assert_eq!(view.status_name, "birime iletildi");
    assert!(view.unit_name.is_some());
    assert!(view.resolution_due.is_some());
    assert_eq!(
        view.resolution_due.unwrap().offset().local_minus_utc(),
        3 * 3600
    );
    let text = serde_json::to_string(&view).unwrap();
    for personal in [
        "Fatma",
        "fatma@example.com",
        "555",
        "Sokak lambası",
        "Ali Demir",
        "kuzguncuk",
    ] {
        assert!(!text.contains(personal), "{personal} in {text}");
    }
    let unknown = TrackingNumber::from_random(12345).to_string();
    for bad in ["not-a-number", "", unknown.as_str()] {
        assert!(
            matches!(
                mbs.public_status(&t, bad).await,
                Err(ServiceError::NotFound(_))
            ),
            "{bad}"
        );
    }
    let other = TenantId::new("baska").unwrap();
    assert!(matches!(
        mbs.public_status(&other, &rec.state.tracking.to_string())
            .await,
        Err(ServiceError::NotFound(_))
    ));
}

#[test]
fn every_channel_kind_status_and_outcome_has_a_turkish_name() {
    use muhtar_core::request::{Channel, RequestKind};

    let names: Vec<(&str, &str)> = Channel::ALL
        .iter()
        .map(|c| (c.as_str(), c.display_name()))
        .chain(
            RequestKind::ALL
                .iter()
                .map(|k| (k.as_str(), k.display_name())),
        )
        .chain(Status::ALL.iter().map(|s| (s.as_str(), s.display_name())))
        .chain(
            [Outcome::Positive, Outcome::Negative]
                .iter()
                .map(|o| (o.as_str(), o.display_name())),
        )
        .collect();
    for (_, display) in &names {
        assert!(!display.is_empty());
        assert!(
            !names.iter().any(|(stable, _)| stable == display),
            "{display} is a stable name"
        );
    }
    assert_eq!(Channel::BeyazMasa.display_name(), "İBB Beyaz Masa");
    assert_eq!(
        "metropolitan-system".parse::<Channel>().unwrap(),
        Channel::BeyazMasa
    );
    let old: Channel = serde_json::from_str("\"metropolitan-system\"").unwrap();
    assert_eq!(serde_json::to_string(&old).unwrap(), "\"beyaz-masa\"");
    for c in ["web", "beyaz-masa", "bilgi-edinme", "call-centre"] {
        assert_eq!(c.parse::<Channel>().unwrap().as_str(), c);
    }
    let e = "fax".parse::<Channel>().unwrap_err();
    assert_eq!(e.field(), "channel");
    assert!(e.to_string().contains("call-centre"), "{e}");
    let _ = InputError::Empty { field: "x" };
}
