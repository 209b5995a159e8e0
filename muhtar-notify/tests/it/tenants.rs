//! [`TenantDispatchers`]: a dispatcher per tenant, built from that tenant's settings, over
//! core's in-memory store, with a recording e-mail transport and recording SMS gateways.

use std::sync::{Arc, Mutex};

use chrono::{DateTime, TimeZone, Utc};
use muhtar_core::clock::ManualClock;
use muhtar_core::ids::TenantId;
use muhtar_core::outbox::{
    DeliveryChannel, Locale, NoticeKind, NoticePayload, OutboxMessage, OutboxStatus,
};
use muhtar_core::settings::SmsSettings;
use muhtar_core::store::{ConfigStore, Document, DocumentKind, OutboxStore, Store};
use muhtar_core::testkit::{fixtures, MemoryStore};
use muhtar_notify::{
    DispatcherConfig, GatewayConfigError, QuietHoursConfig, RecordingSmsGateway,
    RecordingTransport, SharedClock, SmsGateway, SmsGateways, TenantDispatchers, TenantError,
};
use serde_json::json;
use uuid::Uuid;

type Dispatchers =
    TenantDispatchers<Arc<RecordingTransport>, SharedClock<ManualClock>, MemoryStore>;

/// A gateway built: for which tenant, from which `[sms]` settings, and what it sent.
type BuiltGateway = (TenantId, Option<SmsSettings>, Arc<RecordingSmsGateway>);

/// The SMS gateways the dispatchers built, in order.
#[derive(Default, Clone)]
struct Gateways(Arc<Mutex<Vec<BuiltGateway>>>);

impl SmsGateways for Gateways {
    fn gateway(
        &self,
        tenant: &TenantId,
        sms: Option<&SmsSettings>,
    ) -> Result<Arc<dyn SmsGateway>, GatewayConfigError> {
        let g = Arc::new(RecordingSmsGateway::new());
        self.0
            .lock()
            .unwrap()
            .push((tenant.clone(), sms.cloned(), g.clone()));
        Ok(g)
    }
}

impl Gateways {
    /// How many gateways were built for `tenant`.
    fn built(&self, tenant: &str) -> usize {
        self.0
            .lock()
            .unwrap()
            .iter()
            .filter(|(t, _, _)| t.as_str() == tenant)
            .count()
    }

    /// What each gateway built for `tenant` sent, by the sender its settings name, in the
    /// order the gateways were built.
    fn sent(&self, tenant: &str) -> Vec<(Option<String>, Vec<String>)> {
        self.0
            .lock()
            .unwrap()
            .iter()
            .filter(|(t, _, _)| t.as_str() == tenant)
            .map(|(_, s, g)| {
                (
                    s.as_ref().and_then(|s| s.sender.clone()),
                    g.sent().into_iter().map(|m| m.to).collect(),
                )
            })
            .collect()
    }
}

struct World {
    store: Arc<MemoryStore>,
    email: Arc<RecordingTransport>,
    gateways: Gateways,
    clock: Arc<ManualClock>,
    dispatchers: Dispatchers,
}

/// 2025-03-14 12:00 İstanbul.
fn noon() -> DateTime<Utc> {
    fixtures::t0()
}

/// Dispatchers over an empty store; the default quiet hours (22:00–08:00) for tenants
/// whose settings have none.
fn world() -> World {
    let store = Arc::new(MemoryStore::default());
    let email = Arc::new(RecordingTransport::new());
    let gateways = Gateways::default();
    let clock = Arc::new(ManualClock::new(noon()));
    let dispatchers = TenantDispatchers::new(
        store.clone(),
        email.clone(),
        SharedClock(clock.clone()),
        DispatcherConfig::default(),
    )
    .with_sms_gateways(gateways.clone());
    World {
        store,
        email,
        gateways,
        clock,
        dispatchers,
    }
}

async fn put(store: &MemoryStore, tenant: &str, kind: DocumentKind, body: String) {
    let t = fixtures::tenant(tenant);
    let version = store.document_version(&t, kind).await.unwrap() + 1;
    store
        .put_document(&Document {
            tenant: t,
            kind,
            version,
            body,
            updated_at: noon(),
            updated_by: "test".into(),
        })
        .await
        .unwrap();
}

/// Adds `tenant` with the fixture organisation and `settings` (none when empty).
async fn add_tenant(store: &MemoryStore, tenant: &str, settings: &str) {
    let org = serde_json::to_string(&fixtures::organisation(tenant)).unwrap();
    put(store, tenant, DocumentKind::Organisation, org).await;
    if !settings.is_empty() {
        put(store, tenant, DocumentKind::Settings, settings.into()).await;
    }
}

/// Settings with an SMS gateway whose sender is `sender` and the given quiet hours.
fn settings(sender: &str, quiet: (&str, &str)) -> String {
    format!(
        "quiet_hours = {{ start = \"{}\", end = \"{}\" }}\n\n[sms]\nurl = \"https://sms.example.com/send\"\nsender = \"{sender}\"\n",
        quiet.0, quiet.1
    )
}

/// No quiet hours at all (an empty period).
const NEVER: (&str, &str) = ("00:00", "00:00");

fn message(n: u128, tenant: &str, channel: DeliveryChannel, to: &str) -> OutboxMessage {
    OutboxMessage {
        id: Uuid::from_u128(n),
        tenant: fixtures::tenant(tenant),
        request: None,
        idempotency_key: format!("req-{n}:2:received:{to}"),
        kind: NoticeKind::Received,
        channel,
        recipient: to.into(),
        addressee: None,
        locale: Locale::Tr,
        payload: NoticePayload::from_json(
            NoticeKind::Received,
            json!({
            "tracking": "7KM-3QX-9PA",
            "muhtarlik": "kuzguncuk",
            "status": "routed",
            "received_at": "2025-03-14T09:00:00Z",
            "subject": "Okul önündeki çukur",
            "unit_name": "Fen İşleri Müdürlüğü",
            "resolution_due": "2025-04-02T14:30:00Z",
            "tenant_name": format!("Belediye {tenant}"),
            }),
        )
        .unwrap(),
        created_at: noon(),
        not_before: noon(),
    }
}

async fn status(store: &MemoryStore, tenant: &str, n: u128) -> OutboxStatus {
    store
        .outbox(&fixtures::tenant(tenant), None)
        .await
        .unwrap()
        .into_iter()
        .find(|e| e.message.id == Uuid::from_u128(n))
        .unwrap()
        .status
}

#[tokio::test]
async fn each_tenants_notices_go_out_once_with_its_own_settings() {
    let mut w = world();
    // ilce-a has no quiet hours; ilce-b is quiet from 11:00 to 13:00, so at noon its
    // notices wait. Each has its own SMS sender.
    add_tenant(&w.store, "ilce-a", &settings("ABLD", NEVER)).await;
    add_tenant(&w.store, "ilce-b", &settings("BBLD", ("11:00", "13:00"))).await;
    w.store
        .enqueue(&[
            message(1, "ilce-a", DeliveryChannel::Email, "a@muhtar.example"),
            message(2, "ilce-a", DeliveryChannel::Sms, "0532 111 22 33"),
            message(3, "ilce-b", DeliveryChannel::Email, "b@muhtar.example"),
            message(4, "ilce-b", DeliveryChannel::Sms, "0532 444 55 66"),
        ])
        .await
        .unwrap();

    let pass = w.dispatchers.run_once().await.unwrap();
    assert!(pass.problems.is_empty(), "{:?}", pass.problems);
    let r = &pass.report;
    assert_eq!(
        (r.claimed, r.sent, r.deferred, r.failed),
        (4, 2, 2, 0),
        "{r:?}"
    );
    assert!(!pass.full);
    assert_eq!(status(&w.store, "ilce-b", 3).await, OutboxStatus::Pending);
    assert_eq!(
        w.gateways.sent("ilce-a"),
        vec![(Some("ABLD".into()), vec!["+905321112233".into()])]
    );
    assert_eq!(
        w.gateways.sent("ilce-b"),
        vec![(Some("BBLD".into()), vec![])]
    );
    let quiet = &w
        .dispatchers
        .dispatcher(&fixtures::tenant("ilce-b"))
        .unwrap()
        .config()
        .quiet_hours;
    assert_eq!(
        quiet
            .for_tenant(&fixtures::tenant("ilce-b"))
            .map(|q| q.start.to_string()),
        Some("11:00:00".into())
    );

    // At 13:00 İstanbul ilce-b's quiet hours are over: its notices go out through its
    // own gateway; nothing of ilce-a's goes out again.
    w.clock
        .set(Utc.with_ymd_and_hms(2025, 3, 14, 10, 0, 0).unwrap());
    let r = w.dispatchers.run_once().await.unwrap().report;
    assert_eq!((r.claimed, r.sent, r.deferred), (2, 2, 0), "{r:?}");
    assert_eq!(w.dispatchers.run_once().await.unwrap().report.claimed, 0);

    let mut to: Vec<String> = w.email.sent().into_iter().map(|m| m.to).collect();
    to.sort();
    assert_eq!(to, ["a@muhtar.example", "b@muhtar.example"]);
    assert_eq!(
        w.gateways.sent("ilce-a"),
        vec![(Some("ABLD".into()), vec!["+905321112233".into()])]
    );
    assert_eq!(
        w.gateways.sent("ilce-b"),
        vec![(Some("BBLD".into()), vec!["+905324445566".into()])]
    );
    // Unchanged settings: each tenant's dispatcher was built once.
    assert_eq!(
        (w.gateways.built("ilce-a"), w.gateways.built("ilce-b")),
        (1, 1)
    );
    for (t, n) in [("ilce-a", 1), ("ilce-a", 2), ("ilce-b", 3), ("ilce-b", 4)] {
        assert_eq!(status(&w.store, t, n).await, OutboxStatus::Sent, "{t} {n}");
    }
}

#[tokio::test]
async fn a_tenant_added_after_start_is_served_at_the_next_pass() {
    let mut w = world();
    add_tenant(&w.store, "ilce-a", &settings("ABLD", NEVER)).await;
    // ilce-c's notice is queued before ilce-c has an organisation (a tenant being set up).
    w.store
        .enqueue(&[
            message(1, "ilce-a", DeliveryChannel::Sms, "0532 111 22 33"),
            message(2, "ilce-c", DeliveryChannel::Sms, "0532 777 88 99"),
        ])
        .await
        .unwrap();
    let r = w.dispatchers.run_once().await.unwrap().report;
    assert_eq!((r.claimed, r.sent), (1, 1), "{r:?}");
    assert_eq!(status(&w.store, "ilce-c", 2).await, OutboxStatus::Pending);
    assert!(w
        .dispatchers
        .dispatcher(&fixtures::tenant("ilce-c"))
        .is_none());

    add_tenant(&w.store, "ilce-c", &settings("CBLD", NEVER)).await;
    let pass = w.dispatchers.run_once().await.unwrap();
    assert!(pass.problems.is_empty(), "{:?}", pass.problems);
    assert_eq!((pass.report.claimed, pass.report.sent), (1, 1));
    assert_eq!(
        w.gateways.sent("ilce-c"),
        vec![(Some("CBLD".into()), vec!["+905327778899".into()])]
    );
    assert_eq!(w.gateways.sent("ilce-a")[0].1, ["+905321112233"]);
    assert_eq!(status(&w.store, "ilce-c", 2).await, OutboxStatus::Sent);
}

#[tokio::test]
async fn changed_settings_rebuild_the_dispatcher() {
    let mut w = world();
    add_tenant(&w.store, "ilce-a", &settings("ESKI", NEVER)).await;
    w.store
        .enqueue(&[message(1, "ilce-a", DeliveryChannel::Sms, "0532 111 22 33")])
        .await
        .unwrap();
    assert_eq!(w.dispatchers.run_once().await.unwrap().report.sent, 1);

    // A new SMS sender: the next notice goes through a gateway built from it.
    put(
        &w.store,
        "ilce-a",
        DocumentKind::Settings,
        settings("YENI", NEVER),
    )
    .await;
    w.store
        .enqueue(&[message(2, "ilce-a", DeliveryChannel::Sms, "0532 222 33 44")])
        .await
        .unwrap();
    assert_eq!(w.dispatchers.run_once().await.unwrap().report.sent, 1);
    assert_eq!(
        w.gateways.sent("ilce-a"),
        vec![
            (Some("ESKI".into()), vec!["+905321112233".into()]),
            (Some("YENI".into()), vec!["+905322223344".into()]),
        ]
    );

    // A new version with the same settings keeps the dispatcher.
    put(
        &w.store,
        "ilce-a",
        DocumentKind::Settings,
        settings("YENI", NEVER),
    )
    .await;
    w.dispatchers.run_once().await.unwrap();
    assert_eq!(w.gateways.built("ilce-a"), 2);

    // Quiet hours over noon: the next notice waits for their end.
    put(
        &w.store,
        "ilce-a",
        DocumentKind::Settings,
        settings("YENI", ("11:30", "12:30")),
    )
    .await;
    w.store
        .enqueue(&[message(
            3,
            "ilce-a",
            DeliveryChannel::Email,
            "a@muhtar.example",
        )])
        .await
        .unwrap();
    let r = w.dispatchers.run_once().await.unwrap().report;
    assert_eq!((r.claimed, r.sent, r.deferred), (1, 0, 1), "{r:?}");
    assert_eq!(w.gateways.built("ilce-a"), 3);
    assert!(w.email.sent().is_empty());

    // Settings without quiet hours: the dispatchers' default (22:00–08:00) again, so at
    // 12:30 the notice goes out.
    put(&w.store, "ilce-a", DocumentKind::Settings, String::new()).await;
    w.clock
        .set(Utc.with_ymd_and_hms(2025, 3, 14, 9, 30, 0).unwrap());
    let r = w.dispatchers.run_once().await.unwrap().report;
    assert_eq!((r.claimed, r.sent), (1, 1), "{r:?}");
    assert_eq!(w.email.sent().len(), 1);
    let d = w
        .dispatchers
        .dispatcher(&fixtures::tenant("ilce-a"))
        .unwrap();
    assert_eq!(d.config().quiet_hours, QuietHoursConfig::default());
    assert_eq!(w.gateways.sent("ilce-a").last().unwrap().0, None);
}

#[tokio::test]
async fn a_tenant_that_cannot_be_served_is_reported_once_and_the_others_are_served() {
    // The default gateways: an HTTP gateway from the settings.
    let store = Arc::new(MemoryStore::default());
    let email = Arc::new(RecordingTransport::new());
    let mut config = DispatcherConfig::default();
    config.quiet_hours = QuietHoursConfig::none();
    let mut d = TenantDispatchers::new(
        store.clone() as Arc<dyn Store>,
        email.clone(),
        SharedClock(Arc::new(ManualClock::new(noon()))),
        config,
    );
    add_tenant(
        &store,
        "ilce-a",
        "[sms]\nurl = \"ftp://sms.example.com/send\"\n",
    )
    .await;
    add_tenant(&store, "ilce-b", "").await;
    store
        .enqueue(&[
            message(1, "ilce-a", DeliveryChannel::Email, "a@muhtar.example"),
            message(2, "ilce-b", DeliveryChannel::Email, "b@muhtar.example"),
        ])
        .await
        .unwrap();
    let pass = d.run_once().await.unwrap();
    assert_eq!((pass.report.claimed, pass.report.sent), (1, 1));
    assert_eq!(pass.problems.len(), 1, "{:?}", pass.problems);
    let p = &pass.problems[0];
    assert_eq!(p.tenant.as_str(), "ilce-a");
    assert!(
        matches!(
            &p.error,
            TenantError::SmsGateway(GatewayConfigError::Url(_))
        ),
        "{p:?}"
    );
    assert!(
        p.to_string()
            .starts_with("tenant ilce-a: notices not delivered: sms: invalid gateway URL"),
        "{p}"
    );
    // Reported once while it lasts; the notice waits.
    assert!(d.run_once().await.unwrap().problems.is_empty());
    assert_eq!(status(&store, "ilce-a", 1).await, OutboxStatus::Pending);

    // Settings that do not parse: a new problem, reported.
    put(
        &store,
        "ilce-a",
        DocumentKind::Settings,
        "quiet_hours = 7\n".into(),
    )
    .await;
    let problems = d.run_once().await.unwrap().problems;
    assert!(
        matches!(problems.as_slice(), [p] if matches!(p.error, TenantError::Settings(_))),
        "{problems:?}"
    );

    // Fixed: served.
    put(&store, "ilce-a", DocumentKind::Settings, String::new()).await;
    let pass = d.run_once().await.unwrap();
    assert!(pass.problems.is_empty(), "{:?}", pass.problems);
    assert_eq!(pass.report.sent, 1);
    assert_eq!(status(&store, "ilce-a", 1).await, OutboxStatus::Sent);
    assert_eq!(email.sent().len(), 2);
}

#[tokio::test]
async fn only_one_tenant_is_served_when_asked() {
    let w = world();
    add_tenant(&w.store, "ilce-a", &settings("ABLD", NEVER)).await;
    add_tenant(&w.store, "ilce-b", &settings("BBLD", NEVER)).await;
    w.store
        .enqueue(&[
            message(1, "ilce-a", DeliveryChannel::Sms, "0532 111 22 33"),
            message(2, "ilce-b", DeliveryChannel::Sms, "0532 444 55 66"),
        ])
        .await
        .unwrap();
    let mut d = w.dispatchers.only(fixtures::tenant("ilce-b"));
    let r = d.run_once().await.unwrap().report;
    assert_eq!((r.claimed, r.sent), (1, 1), "{r:?}");
    assert_eq!(w.gateways.built("ilce-a"), 0);
    assert_eq!(status(&w.store, "ilce-a", 1).await, OutboxStatus::Pending);
    assert_eq!(status(&w.store, "ilce-b", 2).await, OutboxStatus::Sent);
}

#[tokio::test]
async fn run_serves_until_shutdown() {
    let store = Arc::new(MemoryStore::default());
    let gateways = Gateways::default();
    let mut config = DispatcherConfig::default();
    config.poll_interval = std::time::Duration::from_millis(20);
    let mut d = TenantDispatchers::new(
        store.clone(),
        Arc::new(RecordingTransport::new()),
        SharedClock(Arc::new(ManualClock::new(noon()))),
        config,
    )
    .with_sms_gateways(gateways.clone());
    add_tenant(&store, "ilce-a", &settings("ABLD", NEVER)).await;
    // The shutdown future queues a notice after the first pass, then lets the poll
    // interval go by several times before it completes: a later pass delivers it.
    let s = store.clone();
    let shutdown = async move {
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        s.enqueue(&[message(1, "ilce-a", DeliveryChannel::Sms, "0532 111 22 33")])
            .await
            .unwrap();
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    };
    let mut passes = Vec::new();
    d.run_with(shutdown, |p| passes.push(p.unwrap().report.sent))
        .await;
    assert_eq!(passes[0], 0);
    assert!(passes.len() >= 2, "{passes:?}");
    assert_eq!(passes.iter().sum::<usize>(), 1, "{passes:?}");
    assert_eq!(status(&store, "ilce-a", 1).await, OutboxStatus::Sent);
    assert_eq!(gateways.sent("ilce-a")[0].1, ["+905321112233"]);
}

/// A tenant without an SMS gateway: its SMS notices wait (the default: pending, not a
/// failure, reported as waiting for a gateway) or, with `sms_without_gateway = "skip"`,
/// are skipped (recorded, counted, never sent); its e-mails go out either way.
#[tokio::test]
async fn sms_without_a_gateway_waits_or_is_skipped_as_the_tenant_says() {
    let store = Arc::new(MemoryStore::default());
    let email = Arc::new(RecordingTransport::new());
    let clock = Arc::new(ManualClock::new(noon()));
    let mut config = DispatcherConfig::default();
    config.quiet_hours = QuietHoursConfig::none();
    let mut d: Dispatchers = TenantDispatchers::new(
        store.clone(),
        email.clone(),
        SharedClock(clock.clone()),
        config,
    );
    add_tenant(&store, "waits", "").await;
    add_tenant(&store, "skips", "sms_without_gateway = \"skip\"\n").await;
    store
        .enqueue(&[
            message(1, "waits", DeliveryChannel::Sms, "0532 111 22 33"),
            message(2, "waits", DeliveryChannel::Email, "a@example.org"),
            message(3, "skips", DeliveryChannel::Sms, "0532 111 22 33"),
        ])
        .await
        .unwrap();
    let pass = d.run_once().await.unwrap();
    assert!(pass.problems.is_empty(), "{:?}", pass.problems);
    assert_eq!(
        (
            pass.report.sent,
            pass.report.deferred,
            pass.report.skipped,
            pass.report.failed
        ),
        (1, 1, 1, 0),
        "{:?}",
        pass.report
    );
    assert_eq!(status(&store, "waits", 1).await, OutboxStatus::Pending);
    let waiting = store
        .outbox(&fixtures::tenant("waits"), None)
        .await
        .unwrap();
    assert_eq!(waiting[0].failures, 0, "waiting is not a failure");
    let skipped = store
        .outbox(&fixtures::tenant("skips"), None)
        .await
        .unwrap();
    assert!(
        skipped[0]
            .last_error
            .as_deref()
            .unwrap()
            .starts_with("skipped: "),
        "{skipped:?}"
    );
    // What waits, and why.
    let w = d.waiting(noon()).await.unwrap();
    assert_eq!(w.len(), 1, "{w:?}");
    assert_eq!(w[0].tenant.as_str(), "waits");
    assert_eq!(
        w[0].reason,
        muhtar_core::outbox::waiting::WaitReason::NoSmsGateway
    );
    assert!(w[0]
        .describe(noon())
        .starts_with("1 SMS bildirimi bekliyor: SMS ağ geçidi ayarlı değil (kurum waits"));
    // The next pass claims nothing: the waiting SMS is looked at again later.
    assert_eq!(d.run_once().await.unwrap().report.claimed, 0);
}
