//! Notices as their recipients read them: greeted by role and name (the muhtar of their
//! neighbourhood, the unit, the official by title, the citizen by name), the category by
//! its name, times in Istanbul local time; in the e-mail's text and HTML and in the SMS.
//! A notice stored before recipients were recorded still renders, greeted generically.

use muhtar_core::access::Actor;
use muhtar_core::outbox::{
    Addressee, AddresseeRole, DeliveryChannel, Locale, NoticeKind, OutboxMessage,
};
use muhtar_core::request::{CitizenContact, Priority};
use muhtar_core::store::OutboxStore;
use muhtar_core::testkit::{block_on, fixtures};
use muhtar_notify::{render_email, render_sms_text};

/// The notices an urgent request from Kuzguncuk with a citizen's contact queues (received
/// on 2025-03-14 at 09:00 UTC, 12:00 in Istanbul).
fn queued() -> Vec<OutboxMessage> {
    block_on(async {
        let (mbs, t) = fixtures::service("greet", 1).await;
        let muhtar = Actor::parse(&t, "muhtar:kuzguncuk").unwrap();
        let new = fixtures::request_builder("kuzguncuk")
            .priority(Priority::Urgent)
            .citizen(CitizenContact {
                name: "Zehra Aksoy".into(),
                phone: Some("0532 999 88 77".into()),
                email: Some("zehra.aksoy@example.org".into()),
            })
            .build();
        mbs.submit(&muhtar, new).await.unwrap();
        mbs.store()
            .outbox(&t, None)
            .await
            .unwrap()
            .into_iter()
            .map(|e| e.message)
            .collect()
    })
}

fn to<'a>(
    all: &'a [OutboxMessage],
    kind: NoticeKind,
    channel: DeliveryChannel,
    recipient: &str,
) -> &'a OutboxMessage {
    all.iter()
        .find(|m| m.kind == kind && m.channel == channel && m.recipient.contains(recipient))
        .unwrap_or_else(|| panic!("no {kind:?} {channel:?} to {recipient}: {all:#?}"))
}

/// The first line of the text and of the HTML body.
fn greeting(m: &OutboxMessage) -> (String, String) {
    let r = render_email(m).unwrap();
    let text = r.text.lines().next().unwrap().to_owned();
    let html = r
        .html
        .lines()
        .find(|l| l.starts_with("<p>"))
        .unwrap()
        .to_owned();
    (text, html)
}

#[test]
fn every_recipient_is_greeted_by_role_and_name_in_text_and_html() {
    let all = queued();
    let cases = [
        (
            NoticeKind::Received,
            "ali.demir@",
            "Sayın Ali Demir (Kuzguncuk Mahallesi Muhtarı),",
        ),
        (
            NoticeKind::NewInQueue,
            "muhtarliklar@",
            "Sayın Muhtarlık İşleri Müdürlüğü yetkilisi,",
        ),
        (
            NoticeKind::UrgentReceived,
            "ayse.yilmaz@",
            "Sayın Ayşe Yılmaz (Belediye Başkan Yardımcısı),",
        ),
        (
            NoticeKind::CitizenReceived,
            "zehra.aksoy@",
            "Sayın Zehra Aksoy,",
        ),
    ];
    for (kind, recipient, expected) in cases {
        let m = to(&all, kind, DeliveryChannel::Email, recipient);
        let (text, html) = greeting(m);
        assert_eq!(text, expected, "{kind:?}");
        assert_eq!(html, format!("<p>{expected}</p>"), "{kind:?}");
    }
    // In English.
    let mut m = to(
        &all,
        NoticeKind::Received,
        DeliveryChannel::Email,
        "ali.demir@",
    )
    .clone();
    m.locale = Locale::En;
    assert_eq!(
        greeting(&m).0,
        "Dear Ali Demir (Muhtar of Kuzguncuk Mahallesi),"
    );
    let mut m = to(
        &all,
        NoticeKind::UrgentReceived,
        DeliveryChannel::Email,
        "ayse.yilmaz@",
    )
    .clone();
    m.locale = Locale::En;
    assert_eq!(
        greeting(&m).0,
        "Dear Ayşe Yılmaz (Belediye Başkan Yardımcısı),"
    );
}

#[test]
fn without_a_name_the_greeting_names_the_office() {
    let all = queued();
    let mut m = to(
        &all,
        NoticeKind::Received,
        DeliveryChannel::Email,
        "ali.demir@",
    )
    .clone();
    m.addressee.as_mut().unwrap().name = None;
    assert_eq!(greeting(&m).0, "Sayın Kuzguncuk Mahallesi Muhtarı,");
    m.locale = Locale::En;
    assert_eq!(greeting(&m).0, "Dear Muhtar of Kuzguncuk Mahallesi,");
    // A liaison staff member by name and unit; a citizen without a name as the applicant.
    m.locale = Locale::Tr;
    m.addressee = Some(
        Addressee::new(AddresseeRole::Liaison)
            .named("Mehmet Kaya")
            .of("Fen İşleri Müdürlüğü"),
    );
    assert_eq!(
        greeting(&m).0,
        "Sayın Mehmet Kaya (Fen İşleri Müdürlüğü irtibat personeli),"
    );
    m.addressee = Some(Addressee::new(AddresseeRole::Citizen).named(" "));
    assert_eq!(greeting(&m).0, "Sayın Başvuru Sahibi,");
}

#[test]
fn notices_show_the_category_name_and_istanbul_local_times_in_email_and_sms() {
    let all = queued();
    let m = to(
        &all,
        NoticeKind::Received,
        DeliveryChannel::Email,
        "ali.demir@",
    );
    let facts = m.payload.request().unwrap();
    let due = facts.resolution_due.unwrap();
    let local = muhtar_core::calendar::to_istanbul(due)
        .format("%d.%m.%Y %H:%M (TSİ)")
        .to_string();
    let utc = due.format("%d.%m.%Y %H:%M").to_string();
    assert_ne!(local[..16], utc, "Istanbul is not UTC");
    let r = render_email(m).unwrap();
    for body in [&r.text, &r.html] {
        assert!(body.contains("Kategori"), "{body}");
        assert!(body.contains("Asfalt onarımı"), "{body}");
        assert!(!body.contains("asfalt-onarim"), "{body}");
        assert!(body.contains("14.03.2025 12:00 (TSİ)"), "received: {body}");
        assert!(body.contains(&local), "due {local}: {body}");
        assert!(!body.contains(&format!("{utc} ")), "no UTC time: {body}");
    }
    let sms = render_sms_text(to(
        &all,
        NoticeKind::Received,
        DeliveryChannel::Sms,
        "+90532111",
    ))
    .unwrap();
    assert!(sms.contains(&local), "{sms}");
    let mut en = m.clone();
    en.locale = Locale::En;
    let r = render_email(&en).unwrap();
    let local_en = muhtar_core::calendar::to_istanbul(due)
        .format("%Y-%m-%d %H:%M (Istanbul time)")
        .to_string();
    assert!(r.text.contains("Category: Asfalt onarımı"), "{}", r.text);
    assert!(r.text.contains(&local_en), "{}", r.text);
}

/// A notice stored before the recipient and the category's name were recorded reads
/// and renders: the generic greeting of its audience, the category's code.
#[test]
fn a_notice_stored_before_recipients_were_recorded_still_renders() {
    let json = include_str!("../../../muhtar-core/tests/fixtures/notices/received.json");
    let m: OutboxMessage = serde_json::from_str(json).unwrap();
    assert_eq!(m.addressee, None);
    assert_eq!(m.payload.request().unwrap().category_name, None);
    let r = render_email(&m).unwrap();
    assert!(r.text.starts_with("Sayın Muhtar,\n"), "{}", r.text);
    assert!(r.text.contains("Kategori: asfalt-onarim"), "{}", r.text);
    assert!(r.text.contains("01.06.2026 17:30 (TSİ)"), "{}", r.text);
    assert!(render_sms_text(&m).unwrap().contains("01.06.2026 17:30"));
}
