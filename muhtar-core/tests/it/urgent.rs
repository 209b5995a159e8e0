//! Urgent letters and dated letters (Genelge 2015/8 item 9, issue 16 §3): urgent
//! requests come first in every listing and page, the responsible official hears of them
//! on receipt, and a letter's reply-by date is the resolution deadline unless the
//! policy's is earlier.

use std::collections::HashSet;
use std::sync::OnceLock;

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use muhtar_core::calendar::Calendar;
use muhtar_core::outbox::{DeliveryChannel, NoticeKind};
use muhtar_core::prelude::*;
use muhtar_core::request::{InputError, NewRequestBuilder, Priority, ReplyBy};
use muhtar_core::sla::{ClockEvent, PolicyRegistry, SlaClock};
use muhtar_core::store::{Order, OutboxStore, RequestRecord, RequestStore};
use muhtar_core::testkit::fixtures::{self, Spec};
use muhtar_core::testkit::{block_on, MemoryStore};
use proptest::prelude::*;

type Svc = Mbs<MemoryStore, ManualClock>;

async fn setup() -> (Svc, TenantId) {
    fixtures::service("urg", 1).await
}

fn actor(t: &TenantId, s: &str) -> Actor {
    Actor::parse(t, s).unwrap()
}

/// The listing order written out independently of the store module: urgent first, then
/// the deadline (none last) or the receipt (newest first), then the id.
fn reference(records: &[RequestRecord], order: Order) -> Vec<RequestRecord> {
    let mut v = records.to_vec();
    v.sort_by(|a, b| {
        let urgent = |r: &RequestRecord| r.state.content.priority != Priority::Urgent;
        urgent(a).cmp(&urgent(b)).then_with(|| match order {
            Order::Deadline => {
                let due = |r: &RequestRecord| {
                    (
                        r.deadlines.resolution_due.is_none(),
                        r.deadlines.resolution_due,
                    )
                };
                (due(a), a.state.id).cmp(&(due(b), b.state.id))
            }
            Order::Newest => (b.state.content.received_at, b.state.id)
                .cmp(&(a.state.content.received_at, a.state.id)),
        })
    });
    v
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// For any mix of urgent and normal requests, deadlines (or none), receipts and page
    /// sizes, paging through a listing in either order gives every request exactly once,
    /// every urgent request before every normal one, and the reference order.
    #[test]
    fn urgent_requests_come_first_on_every_page(
        mix in prop::collection::vec((any::<bool>(), prop::option::of(0u8..40), 0u16..500), 1..30),
        page in 1u32..8,
        newest in any::<bool>(),
    ) {
        let order = if newest { Order::Newest } else { Order::Deadline };
        let store = MemoryStore::default();
        let mut all = Vec::new();
        for (i, (urgent, due, hours)) in mix.iter().enumerate() {
            let mut spec = Spec::new("mix", i as u64 + 1);
            spec.priority = if *urgent { Priority::Urgent } else { Priority::Normal };
            spec.due = due.map(|d| fixtures::t0() + Duration::days(i64::from(d)));
            spec.received_at = fixtures::t0() - Duration::hours(i64::from(*hours));
            let c = spec.commit();
            block_on(store.commit(&c)).unwrap();
            all.push(c.record);
        }
        let mut q = RequestQuery { order, limit: page, ..RequestQuery::default() };
        let mut got = Vec::new();
        loop {
            let p = block_on(store.query(&fixtures::tenant("mix"), &q)).unwrap();
            prop_assert!(p.items.len() <= page as usize);
            got.extend(p.items);
            match p.next {
                Some(c) => q.after = Some(c),
                None => break,
            }
        }
        let mut seen = HashSet::new();
        prop_assert!(got.iter().all(|r| seen.insert(r.state.id)));
        prop_assert_eq!(got.len(), all.len());
        let urgent = all.iter().filter(|r| r.state.content.priority == Priority::Urgent).count();
        prop_assert!(got[..urgent].iter().all(|r| r.state.content.priority == Priority::Urgent));
        let ids = |v: &[RequestRecord]| v.iter().map(|r| r.state.id).collect::<Vec<_>>();
        prop_assert_eq!(ids(&got), ids(&reference(&all, order)));
    }
}

fn calendar() -> &'static Calendar {
    static CAL: OnceLock<Calendar> = OnceLock::new();
    CAL.get_or_init(Calendar::new)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    /// The reply-by rule, for every built-in policy and any receipt: the resolution
    /// deadline is the earlier of the policy's and the letter's date, the explanation says
    /// which, and the first-response deadline is bounded by the letter's date too.
    #[test]
    fn a_reply_by_date_is_the_deadline_only_when_earlier(
        receipt_minutes in 0i64..(4 * 366 * 24 * 60),
        after_minutes in 0i64..(60 * 24 * 60),
        policy in 0usize..4,
    ) {
        let received = Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap()
            + Duration::minutes(receipt_minutes);
        let reply_by = received + Duration::minutes(after_minutes);
        let reg = PolicyRegistry::builtin();
        let name = ["genelge-2015-8", "belediye-15-is-gunu", "dilekce-3071", "bilgi-edinme-4982"][policy];
        let p = reg.get(name).unwrap();
        let events = [ClockEvent::Received { at: received }];
        let plain = SlaClock::new(p, calendar()).evaluate(&events, received).unwrap();
        let dated = SlaClock::new(p, calendar())
            .with_reply_by(Some(reply_by))
            .evaluate(&events, received)
            .unwrap();
        let policy_due = plain.resolution.due.with_timezone(&Utc);
        prop_assert_eq!(dated.resolution.due.with_timezone(&Utc), policy_due.min(reply_by));
        let fr_due = plain.first_response.due.with_timezone(&Utc);
        prop_assert_eq!(dated.first_response.due.with_timezone(&Utc), fr_due.min(reply_by));
        let r = dated.resolution.explanation.reply_by.clone().unwrap();
        prop_assert_eq!(r.applied, reply_by < policy_due);
        prop_assert_eq!(r.policy_due.with_timezone(&Utc), policy_due);
        prop_assert_eq!(r.requested.with_timezone(&Utc), reply_by);
        if r.applied {
            prop_assert!(r.note.contains("yazıda istenen cevap tarihidir"), "{}", r.note);
            prop_assert_eq!(dated.resolution.due_date, muhtar_core::calendar::local_date(reply_by));
        } else {
            prop_assert!(r.note.contains("daha geç olduğundan politikanın süresi geçerlidir"), "{}", r.note);
            prop_assert_eq!(&dated.resolution, &{
                let mut s = plain.resolution.clone();
                s.explanation.reply_by = Some(r.clone());
                s
            });
        }
    }
}

fn urgent_request() -> NewRequest {
    urgent_builder().build()
}

fn urgent_builder() -> NewRequestBuilder {
    fixtures::request_builder("kuzguncuk")
        .subject("Bakanlık yazısı: okul yolu")
        .priority(Priority::Urgent)
}

#[tokio::test]
async fn urgent_requests_lead_the_queue_and_the_list_and_the_official_is_told() {
    let (mbs, t) = setup().await;
    let muhtar = actor(&t, "muhtar:kuzguncuk");
    let normal = mbs
        .submit(&muhtar, fixtures::new_request("kuzguncuk"))
        .await
        .unwrap();
    mbs.clock().advance(Duration::days(7));
    let urgent = mbs.submit(&muhtar, urgent_request()).await.unwrap();
    // The urgent request's deadline is later, yet it comes first.
    assert!(urgent.deadlines.resolution_due > normal.deadlines.resolution_due);
    let unit = normal.state.unit.clone().unwrap();
    let coordinator = actor(&t, "coordinator");
    let queue = mbs.queue(&coordinator, &unit, 50, None).await.unwrap();
    let order: Vec<_> = queue.items.iter().map(|r| r.state.tracking).collect();
    assert_eq!(order, [urgent.state.tracking, normal.state.tracking]);
    for order in [Order::Deadline, Order::Newest] {
        let q = RequestQuery {
            order,
            limit: 1,
            ..RequestQuery::default()
        };
        let first = mbs.list(&muhtar, q.clone()).await.unwrap();
        assert_eq!(first.items[0].state.tracking, urgent.state.tracking);
        let second = mbs
            .list(
                &muhtar,
                RequestQuery {
                    after: first.next,
                    ..q
                },
            )
            .await
            .unwrap();
        assert_eq!(second.items[0].state.tracking, normal.state.tracking);
        assert!(second.next.is_none());
    }
    // The tenant's responsible official hears of the urgent request, and only of it.
    let official = |rec: &RequestRecord| {
        let t = t.clone();
        let id = rec.state.id;
        let mbs = &mbs;
        async move {
            mbs.store()
                .outbox(&t, Some(id))
                .await
                .unwrap()
                .into_iter()
                .filter(|e| e.message.kind == NoticeKind::UrgentReceived)
                .collect::<Vec<_>>()
        }
    };
    let notices = official(&urgent).await;
    assert_eq!(notices.len(), 1, "{notices:?}");
    assert_eq!(notices[0].message.recipient, "ayse.yilmaz@ornek.bel.tr");
    assert_eq!(notices[0].message.channel, DeliveryChannel::Email);
    assert!(official(&normal).await.is_empty());
    // Every notice about the urgent request carries its priority.
    for e in mbs.store().outbox(&t, Some(urgent.state.id)).await.unwrap() {
        assert!(
            e.message.payload.request().unwrap().urgent,
            "{:?}",
            e.message.kind
        );
    }
    for e in mbs.store().outbox(&t, Some(normal.state.id)).await.unwrap() {
        assert!(!e.message.payload.request().unwrap().urgent);
    }
}

fn istanbul(date: NaiveDate, h: u32, m: u32) -> DateTime<Utc> {
    muhtar_core::calendar::from_istanbul_local(date.and_hms_opt(h, m, 0).unwrap()).unwrap()
}

#[tokio::test]
async fn a_dated_letter_sets_the_deadline_when_earlier_and_is_validated() {
    let (mbs, t) = setup().await;
    let coordinator = actor(&t, "coordinator");
    let received = fixtures::t0(); // Friday 14 March 2025, 12:00 in İstanbul
    let early = NaiveDate::from_ymd_opt(2025, 3, 20).unwrap();
    let rec = mbs
        .submit(
            &coordinator,
            urgent_builder().reply_by(ReplyBy::Date(early)).build(),
        )
        .await
        .unwrap();
    assert_eq!(rec.state.content.reply_by, Some(ReplyBy::Date(early)));
    assert_eq!(rec.deadlines.resolution_due, Some(istanbul(early, 17, 30)));
    let clocks = mbs
        .deadline(&coordinator, &rec.state.tracking)
        .await
        .unwrap();
    let r = clocks.resolution.explanation.reply_by.unwrap();
    assert!(
        r.applied && r.note.contains("yazıda istenen cevap tarihi"),
        "{r:?}"
    );
    // The received notice names the letter's date.
    let outbox = mbs.store().outbox(&t, Some(rec.state.id)).await.unwrap();
    assert!(outbox.iter().all(|e| e
        .message
        .payload
        .request()
        .unwrap()
        .reply_by
        .unwrap()
        .to_string()
        == "2025-03-20"));

    // A date later than the policy's deadline: the policy's stands, and says so.
    let late = received + Duration::days(40);
    let rec = mbs
        .submit(
            &coordinator,
            fixtures::request_builder("kuzguncuk")
                .reply_by(ReplyBy::Instant(late))
                .build(),
        )
        .await
        .unwrap();
    let plain = mbs
        .submit(&coordinator, fixtures::new_request("kuzguncuk"))
        .await
        .unwrap();
    assert_eq!(rec.deadlines, plain.deadlines);
    let clocks = mbs
        .deadline(&coordinator, &rec.state.tracking)
        .await
        .unwrap();
    let r = clocks.resolution.explanation.reply_by.unwrap();
    assert!(!r.applied && r.note.contains("daha geç"), "{r:?}");

    // Before the receipt, or more than a year after it: refused naming the field, and
    // nothing is written.
    let before = mbs
        .store()
        .query(&t, &RequestQuery::default())
        .await
        .unwrap()
        .items
        .len();
    for bad in [
        ReplyBy::Date(NaiveDate::from_ymd_opt(2025, 3, 13).unwrap()),
        ReplyBy::Instant(received - Duration::minutes(1)),
        ReplyBy::Date(NaiveDate::from_ymd_opt(2026, 3, 16).unwrap()),
    ] {
        let e = mbs
            .submit(
                &coordinator,
                fixtures::request_builder("kuzguncuk").reply_by(bad).build(),
            )
            .await
            .unwrap_err();
        match e {
            ServiceError::Input(e @ InputError::Invalid { .. }) => {
                assert_eq!(e.field(), "reply_by", "{e}")
            }
            e => panic!("{bad}: {e:?}"),
        }
    }
    let after = mbs
        .store()
        .query(&t, &RequestQuery::default())
        .await
        .unwrap()
        .items
        .len();
    assert_eq!(before, after);
}

#[test]
fn reply_by_reads_a_date_or_an_instant_and_old_events_without_it() {
    let d: ReplyBy = serde_json::from_str("\"2026-12-15\"").unwrap();
    assert_eq!(
        d,
        ReplyBy::Date(NaiveDate::from_ymd_opt(2026, 12, 15).unwrap())
    );
    let i: ReplyBy = serde_json::from_str("\"2026-12-15T12:00:00+03:00\"").unwrap();
    assert_eq!(
        i,
        ReplyBy::Instant(Utc.with_ymd_and_hms(2026, 12, 15, 9, 0, 0).unwrap())
    );
    assert_eq!(serde_json::to_string(&d).unwrap(), "\"2026-12-15\"");
    let e = serde_json::from_str::<ReplyBy>("\"15.12.2026\"").unwrap_err();
    assert!(e.to_string().contains("reply_by"), "{e}");
    // A request content recorded before reply-by dates existed still reads.
    let mut content = serde_json::to_value(
        fixtures::new_request("kuzguncuk")
            .validate(&fixtures::organisation("urg"), fixtures::t0())
            .unwrap(),
    )
    .unwrap();
    content.as_object_mut().unwrap().remove("reply_by");
    let c: muhtar_core::request::RequestContent = serde_json::from_value(content).unwrap();
    assert_eq!(c.reply_by, None);
}
