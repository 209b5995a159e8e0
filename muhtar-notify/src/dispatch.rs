//! The outbox dispatcher: claims due messages, renders them, sends them by e-mail or
//! SMS and records the result in the store.
//!
//! # Delivery guarantee
//!
//! Delivery is **at least once**. A message is marked sent only after the transport
//! accepted it; if the process dies in between, the claim's lease runs out and the
//! message is claimed and sent again. Every e-mail carries a `Message-ID` derived from
//! the message's idempotency key ([`crate::email::message_id`]), so the second copy has
//! the same `Message-ID` as the first and receiving systems that deduplicate on it show
//! it once. SMS gateways get the key in [`crate::sms::OutgoingSms::idempotency_key`].
//!
//! # Retries
//!
//! A transient failure (relay down, timeout, SMTP 4xx, HTTP 5xx) puts the message back
//! with [`OutboxStore::mark_retry`] after an exponential back-off with jitter
//! ([`Backoff`]); after [`DispatcherConfig::max_attempts`] failed deliveries it is
//! marked failed. A permanent failure (SMTP 5xx such as `550` rejected recipient,
//! malformed address, HTTP 4xx, a payload that cannot be rendered) is marked failed at
//! once and never retried.
//!
//! The store counts every claim as an attempt (`OutboxEntry::attempts`), which includes
//! quiet-hour deferrals and claims lost in a crash. Back-off and giving up therefore
//! count **failed deliveries**, `OutboxEntry::failures`: the store raises it with each
//! `mark_retry` and `mark_failed`, while messages put back without a failed delivery
//! (quiet hours, a pass that stopped trying) go back with [`OutboxStore::defer`], which
//! leaves it as it is.
//!
//! An e-mail whose relay timed out (`DeliveryError::Timeout`, by variant) ends the pass's
//! e-mail deliveries: the pass's remaining e-mails are put back for a retry without
//! being tried (and without counting as failed), so a stalled relay costs one message's
//! deadline per pass, not one per message.
//!
//! # Quiet hours
//!
//! Each tenant can have quiet hours in İstanbul local time (core's [`QuietHours`], default
//! 22:00 to 08:00 for every tenant). A message whose kind respects quiet hours
//! (`NoticeKind::respects_quiet_hours`) that comes due during them is not sent but
//! deferred to their end with `defer`, without counting as a failure.
//!
//! # No SMS gateway
//!
//! A tenant without an SMS gateway ([`SmsGateway::configured`] is `false`) has its SMS
//! notices wait ([`SmsWithoutGateway::Wait`], the default: deferred, not a failure, and
//! looked at again every [`SMS_GATEWAY_RECHECK_MINUTES`] minutes) or skipped
//! ([`SmsWithoutGateway::Skip`]: marked failed with a last error starting `skipped:`,
//! counted as [`DispatchReport::skipped`]), as [`DispatcherConfig::sms_without_gateway`]
//! (the tenant's `sms_without_gateway` setting) says.

use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use muhtar_core::clock::Clock;
use muhtar_core::ids::TenantId;
use muhtar_core::outbox::{DeliveryChannel, DeliveryError, Notifier, OutboxMessage};
pub use muhtar_core::settings::QuietHours;
use muhtar_core::settings::{SmsWithoutGateway, SMS_GATEWAY_RECHECK_MINUTES};
use muhtar_core::store::{OutboxStore, StoreError};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::email::{message_id, EmailTransport, OutgoingEmail, SMTP_TIMEOUT};
use crate::sms::{normalize_phone, prepare_text, OutgoingSms, SmsConfig, SmsGateway, NO_GATEWAY};
use crate::templates::Templates;

/// Quiet hours per tenant, with a default for tenants not listed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuietHoursConfig {
    /// For tenants not in `tenants`; `None`: no quiet hours.
    pub default: Option<QuietHours>,
    /// Per tenant; `None`: this tenant has no quiet hours.
    pub tenants: HashMap<TenantId, Option<QuietHours>>,
}

impl Default for QuietHoursConfig {
    /// 22:00 to 08:00 for every tenant.
    fn default() -> Self {
        QuietHoursConfig {
            default: Some(QuietHours::default()),
            tenants: HashMap::new(),
        }
    }
}

impl QuietHoursConfig {
    /// No quiet hours for anyone.
    pub fn none() -> Self {
        QuietHoursConfig {
            default: None,
            tenants: HashMap::new(),
        }
    }

    /// Sets a tenant's quiet hours (`None`: none for that tenant).
    pub fn with_tenant(mut self, tenant: TenantId, hours: Option<QuietHours>) -> Self {
        self.tenants.insert(tenant, hours);
        self
    }

    /// The quiet hours of `tenant`.
    pub fn for_tenant(&self, tenant: &TenantId) -> Option<QuietHours> {
        match self.tenants.get(tenant) {
            Some(h) => *h,
            None => self.default,
        }
    }
}

/// A clock shared through an `Arc` (core implements [`Clock`] for closures and
/// `ManualClock`, not for `Arc`): lets a test keep a handle on the `ManualClock` it
/// gives the dispatcher.
#[derive(Debug)]
pub struct SharedClock<C: ?Sized>(pub Arc<C>);

impl<C: ?Sized> Clone for SharedClock<C> {
    fn clone(&self) -> Self {
        SharedClock(self.0.clone())
    }
}

impl<C: Clock + ?Sized> Clock for SharedClock<C> {
    fn now(&self) -> DateTime<Utc> {
        self.0.now()
    }
}

/// Exponential back-off with jitter: the delay before retry number `n` (after the
/// `n`-th failed delivery) is `base × factor^(n-1)`, at most `cap`, then scaled by a
/// factor in `1 ± jitter` and capped again.
///
/// The jitter is derived deterministically from the message's idempotency key and `n`
/// (SHA-256), so it spreads messages that failed together without a random-number
/// dependency, and a test can predict it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    /// Delay after the first failure (default 1 min).
    pub base: Duration,
    /// Growth per failure (default 2).
    pub factor: u32,
    /// Longest delay (default 6 h).
    pub cap: Duration,
    /// Jitter in percent of the delay, 0 to 100 (default 20: ±20 %).
    pub jitter_percent: u32,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff {
            base: Duration::minutes(1),
            factor: 2,
            cap: Duration::hours(6),
            jitter_percent: 20,
        }
    }
}

impl Backoff {
    /// The delay without jitter after `failures` failed deliveries (at least 1).
    pub fn nominal(&self, failures: u32) -> Duration {
        let base = self.base.num_milliseconds().max(0) as f64;
        let cap = self.cap.num_milliseconds().max(0) as f64;
        let exp = failures.saturating_sub(1).min(64) as i32;
        let ms = (base * f64::from(self.factor.max(1)).powi(exp)).min(cap);
        Duration::milliseconds(ms as i64)
    }

    /// The delay with jitter for the message with idempotency key `key`.
    pub fn delay(&self, failures: u32, key: &str) -> Duration {
        let nominal = self.nominal(failures).num_milliseconds() as f64;
        let h = Sha256::digest(format!("{key}#{failures}").as_bytes());
        let mut b = [0u8; 8];
        b.copy_from_slice(&h[..8]);
        let unit = (u64::from_be_bytes(b) >> 11) as f64 / (1u64 << 53) as f64; // [0, 1)
        let j = f64::from(self.jitter_percent.min(100)) / 100.0;
        let ms = (nominal * (1.0 + j * (2.0 * unit - 1.0)))
            .min(self.cap.num_milliseconds() as f64)
            .max(1000.0);
        Duration::milliseconds(ms as i64)
    }
}

/// Settings of the [`Dispatcher`].
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct DispatcherConfig {
    /// Messages claimed per pass (default 20).
    pub batch_size: u32,
    /// How long a claim holds a message (default 15 min). Should exceed the time a batch
    /// can take (`batch_size` × the transport's per-message deadline, though a relay
    /// timeout ends the pass's e-mail); a message whose lease ran out before its turn
    /// is left for the next claim ([`Disposition::LeaseExpired`]).
    pub lease: Duration,
    /// Pause between passes of [`Dispatcher::run`] when there was not a full batch
    /// (default 30 s).
    pub poll_interval: std::time::Duration,
    /// Retry delays.
    pub backoff: Backoff,
    /// Failed deliveries after which a message is marked failed (default 10; with the
    /// default back-off that is about 8.5 hours of retrying).
    pub max_attempts: u32,
    /// Quiet hours.
    pub quiet_hours: QuietHoursConfig,
    /// SMS text policy.
    pub sms: SmsConfig,
    /// The domain part of generated `Message-ID`s (default `muhtar`).
    pub message_id_domain: String,
    /// Claim only this tenant's messages ([`OutboxStore::claim_tenant`]), for a
    /// dispatcher built with one tenant's settings (its SMS gateway, its quiet hours);
    /// `None` (default): every tenant's.
    pub tenant: Option<TenantId>,
    /// What SMS notices do while the SMS gateway is [`NoSmsGateway`](crate::NoSmsGateway)
    /// (default: wait).
    pub sms_without_gateway: SmsWithoutGateway,
    /// The notice templates (`None`, default: the built-in ones,
    /// [`Templates::builtin`]); a tenant's from its settings ([`Templates::from_settings`]).
    pub templates: Option<Arc<Templates>>,
}

impl DispatcherConfig {
    /// The templates notices are rendered with.
    pub fn templates(&self) -> &Templates {
        self.templates.as_deref().unwrap_or(Templates::builtin())
    }
}

impl Default for DispatcherConfig {
    fn default() -> Self {
        DispatcherConfig {
            batch_size: 20,
            lease: Duration::minutes(15),
            poll_interval: std::time::Duration::from_secs(30),
            backoff: Backoff::default(),
            max_attempts: 10,
            quiet_hours: QuietHoursConfig::default(),
            sms: SmsConfig::default(),
            message_id_domain: "muhtar".into(),
            tenant: None,
            sms_without_gateway: SmsWithoutGateway::Wait,
            templates: None,
        }
    }
}

/// What happened to one claimed message in a pass.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Disposition {
    /// Delivered and marked sent.
    Sent,
    /// A transient failure; retried at `at`.
    Retry {
        /// The next attempt.
        at: DateTime<Utc>,
        /// Failed deliveries so far.
        failures: u32,
        /// The error.
        error: String,
    },
    /// Held back for quiet hours until `until`; not a failure.
    Deferred {
        /// The end of the quiet hours.
        until: DateTime<Utc>,
    },
    /// An SMS held back until `until` because there is no SMS gateway
    /// ([`SmsWithoutGateway::Wait`]); not a failure.
    AwaitingGateway {
        /// When it is looked at again.
        until: DateTime<Utc>,
    },
    /// An SMS not sent because there is no SMS gateway ([`SmsWithoutGateway::Skip`]):
    /// marked failed with a last error starting `skipped:`, never retried.
    Skipped {
        /// Why.
        reason: String,
    },
    /// Marked failed: a permanent failure, or too many transient ones.
    Failed {
        /// The error.
        error: String,
    },
    /// The claim's lease ran out before the message's turn; left for the next claim.
    LeaseExpired,
    /// The delivery was done but recording it in the store failed; the message will be
    /// claimed again when its lease runs out (and, if it was sent, sent again with the
    /// same `Message-ID`).
    StoreError {
        /// The store's error.
        error: String,
    },
}

/// The result of one pass.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct DispatchReport {
    /// Messages claimed.
    pub claimed: usize,
    /// Sent.
    pub sent: usize,
    /// Put back for a retry after a transient failure.
    pub retried: usize,
    /// Deferred for quiet hours, or held back for want of an SMS gateway.
    pub deferred: usize,
    /// Marked failed.
    pub failed: usize,
    /// SMS skipped for want of a gateway (recorded as failed, `skipped: …`), not in
    /// `failed`.
    pub skipped: usize,
    /// Store errors while recording a result.
    pub store_errors: usize,
    /// Each claimed message and what happened to it, in order.
    pub messages: Vec<(Uuid, Disposition)>,
}

impl DispatchReport {
    /// Adds `other`'s counts and messages to this report (the passes of several
    /// dispatchers as one).
    pub fn absorb(&mut self, other: DispatchReport) {
        self.claimed += other.claimed;
        self.sent += other.sent;
        self.retried += other.retried;
        self.deferred += other.deferred;
        self.failed += other.failed;
        self.skipped += other.skipped;
        self.store_errors += other.store_errors;
        self.messages.extend(other.messages);
    }
}

/// Why a pass could not run.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DispatchError {
    /// The store failed while claiming messages.
    #[error("outbox store: {0}")]
    Store(#[from] StoreError),
}

const DEFERRED: &str = "deferred for quiet hours";
const NOT_TRIED: &str = "not tried in this pass: ";
const LAST_ERROR: &str = "; last error: ";

/// The last delivery error recorded in `last_error`, through quiet-hour deferrals.
fn last_delivery_error(last_error: &str) -> Option<&str> {
    match last_error.strip_prefix(DEFERRED) {
        Some(rest) => rest.strip_prefix(LAST_ERROR),
        None => Some(last_error),
    }
}

/// Delivers outbox messages. See the module docs.
pub struct Dispatcher<E, G, C, S: ?Sized = dyn OutboxStore> {
    store: Arc<S>,
    email: E,
    sms: G,
    clock: C,
    config: DispatcherConfig,
}

impl<E, G, C, S: ?Sized> std::fmt::Debug for Dispatcher<E, G, C, S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Dispatcher")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl<E, G, C, S> Dispatcher<E, G, C, S>
where
    E: EmailTransport,
    G: SmsGateway,
    C: Clock,
    S: OutboxStore + ?Sized,
{
    /// A dispatcher over `store`, sending e-mail through `email` and SMS through `sms`.
    pub fn new(store: Arc<S>, email: E, sms: G, clock: C, config: DispatcherConfig) -> Self {
        Dispatcher {
            store,
            email,
            sms,
            clock,
            config,
        }
    }

    /// The settings.
    pub fn config(&self) -> &DispatcherConfig {
        &self.config
    }

    /// The e-mail transport.
    pub fn email_transport(&self) -> &E {
        &self.email
    }

    /// The SMS gateway.
    pub fn sms_gateway(&self) -> &G {
        &self.sms
    }

    /// Renders `message` into the e-mail this dispatcher would send.
    pub fn email_for(&self, message: &OutboxMessage) -> Result<OutgoingEmail, DeliveryError> {
        let r = self
            .config
            .templates()
            .render_email(message)
            .map_err(|e| DeliveryError::Permanent(format!("cannot render the notice: {e}")))?;
        Ok(OutgoingEmail {
            to: message.recipient.clone(),
            from_name: Some(message.payload.tenant_name())
                .filter(|n| !n.is_empty())
                .map(str::to_owned),
            subject: r.subject,
            text: r.text,
            html: r.html,
            message_id: message_id(&message.idempotency_key, &self.config.message_id_domain),
            date: self.clock.now(),
        })
    }

    /// Renders `message` into the SMS this dispatcher would send.
    pub fn sms_for(&self, message: &OutboxMessage) -> Result<OutgoingSms, DeliveryError> {
        let to = normalize_phone(&message.recipient).ok_or_else(|| {
            DeliveryError::Permanent(format!("malformed phone number {:?}", message.recipient))
        })?;
        let text = self
            .config
            .templates()
            .render_sms_text(message)
            .map_err(|e| DeliveryError::Permanent(format!("cannot render the notice: {e}")))?;
        let (text, encoding, segments) = prepare_text(&text, &self.config.sms);
        Ok(OutgoingSms {
            to,
            text,
            encoding,
            segments,
            idempotency_key: message.idempotency_key.clone(),
        })
    }

    /// Renders and sends one message, without touching the store.
    pub async fn deliver(&self, message: &OutboxMessage) -> Result<(), DeliveryError> {
        match message.channel {
            DeliveryChannel::Email => {
                let mail = self.email_for(message)?;
                self.email.send(&mail).await
            }
            DeliveryChannel::Sms => {
                let sms = self.sms_for(message)?;
                self.sms.send(&sms).await
            }
        }
    }

    fn quiet_until(&self, message: &OutboxMessage, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        if !message.kind.respects_quiet_hours() {
            return None;
        }
        let q = self.config.quiet_hours.for_tenant(&message.tenant)?;
        q.contains(now).then(|| q.end_after(now))
    }

    /// One pass: claims up to `batch_size` due messages and delivers them one by one.
    pub async fn run_once(&self) -> Result<DispatchReport, DispatchError> {
        let now = self.clock.now();
        let (limit, lease) = (self.config.batch_size.max(1), self.config.lease);
        let claimed = match &self.config.tenant {
            Some(t) => self.store.claim_tenant(t, now, limit, lease).await?,
            None => self.store.claim(now, limit, lease).await?,
        };
        let mut report = DispatchReport {
            claimed: claimed.len(),
            ..DispatchReport::default()
        };
        // Once the relay timed out, the pass tries no more e-mail: each would wait as
        // long again. They are put back, not counted as failed deliveries.
        let mut relay_timed_out = false;
        for entry in claimed {
            let id = entry.message.id;
            let now = self.clock.now();
            if entry.claimed_until.is_some_and(|until| until <= now) {
                report.messages.push((id, Disposition::LeaseExpired));
                continue;
            }
            let failures = entry.failures;
            if let Some(until) = self.quiet_until(&entry.message, now) {
                let mut note = DEFERRED.to_owned();
                if let Some(prev) = entry.last_error.as_deref().and_then(last_delivery_error) {
                    note.push_str(LAST_ERROR);
                    note.push_str(prev);
                }
                let d = match self.store.defer(id, until, &note).await {
                    Ok(()) => {
                        report.deferred += 1;
                        Disposition::Deferred { until }
                    }
                    Err(e) => store_error(&mut report, e),
                };
                report.messages.push((id, d));
                continue;
            }
            if entry.message.channel == DeliveryChannel::Sms && !self.sms.configured() {
                let d = self.without_gateway(&mut report, id, now).await;
                report.messages.push((id, d));
                continue;
            }
            if relay_timed_out && entry.message.channel == DeliveryChannel::Email {
                let at = now
                    + self
                        .config
                        .backoff
                        .delay(failures.max(1), &entry.message.idempotency_key);
                let error = format!("{NOT_TRIED}{SMTP_TIMEOUT} on another message");
                let d = match self.store.defer(id, at, &error).await {
                    Ok(()) => {
                        report.retried += 1;
                        Disposition::Retry {
                            at,
                            failures,
                            error,
                        }
                    }
                    Err(e) => store_error(&mut report, e),
                };
                report.messages.push((id, d));
                continue;
            }
            let result = self.deliver(&entry.message).await;
            relay_timed_out |= entry.message.channel == DeliveryChannel::Email
                && matches!(&result, Err(DeliveryError::Timeout(_)));
            let now = self.clock.now();
            let d = match result {
                Ok(()) => match self.store.mark_sent(id, now).await {
                    Ok(()) => {
                        report.sent += 1;
                        Disposition::Sent
                    }
                    Err(e) => store_error(&mut report, e),
                },
                Err(DeliveryError::Permanent(error)) => {
                    self.fail(&mut report, id, now, error).await
                }
                Err(other) => {
                    let error = match other {
                        DeliveryError::Transient(m) | DeliveryError::Timeout(m) => m,
                        e => e.to_string(),
                    };
                    let failures = failures + 1;
                    if failures >= self.config.max_attempts.max(1) {
                        let error = format!("gave up after {failures} failed attempts: {error}");
                        self.fail(&mut report, id, now, error).await
                    } else {
                        let at = now
                            + self
                                .config
                                .backoff
                                .delay(failures, &entry.message.idempotency_key);
                        match self.store.mark_retry(id, at, &error).await {
                            Ok(()) => {
                                report.retried += 1;
                                Disposition::Retry {
                                    at,
                                    failures,
                                    error,
                                }
                            }
                            Err(e) => store_error(&mut report, e),
                        }
                    }
                }
            };
            report.messages.push((id, d));
        }
        Ok(report)
    }

    /// An SMS with no gateway to go through: held back or skipped, as configured.
    async fn without_gateway(
        &self,
        report: &mut DispatchReport,
        id: Uuid,
        now: DateTime<Utc>,
    ) -> Disposition {
        match self.config.sms_without_gateway {
            SmsWithoutGateway::Skip => {
                let reason = format!("skipped: {NO_GATEWAY} (sms_without_gateway = \"skip\")");
                match self.store.mark_failed(id, now, &reason).await {
                    Ok(()) => {
                        report.skipped += 1;
                        Disposition::Skipped { reason }
                    }
                    Err(e) => store_error(report, e),
                }
            }
            _ => {
                let until = now + Duration::minutes(SMS_GATEWAY_RECHECK_MINUTES);
                match self.store.defer(id, until, NO_GATEWAY).await {
                    Ok(()) => {
                        report.deferred += 1;
                        Disposition::AwaitingGateway { until }
                    }
                    Err(e) => store_error(report, e),
                }
            }
        }
    }

    async fn fail(
        &self,
        report: &mut DispatchReport,
        id: Uuid,
        now: DateTime<Utc>,
        error: String,
    ) -> Disposition {
        match self.store.mark_failed(id, now, &error).await {
            Ok(()) => {
                report.failed += 1;
                Disposition::Failed { error }
            }
            Err(e) => store_error(report, e),
        }
    }

    /// Runs passes until `shutdown` completes: after a full batch at once, otherwise
    /// after `poll_interval`. A pass in progress is finished before it stops. Errors
    /// (store unavailable) do not stop the loop; use [`Dispatcher::run_with`] to see them.
    pub async fn run(&self, shutdown: impl Future<Output = ()>) {
        self.run_with(shutdown, |_| {}).await;
    }

    /// Like [`Dispatcher::run`], handing every pass's result to `on_pass` (for logging
    /// and metrics).
    pub async fn run_with(
        &self,
        shutdown: impl Future<Output = ()>,
        mut on_pass: impl FnMut(Result<DispatchReport, DispatchError>),
    ) {
        let mut shutdown = std::pin::pin!(shutdown);
        loop {
            let result = self.run_once().await;
            let full =
                matches!(&result, Ok(r) if r.claimed >= self.config.batch_size.max(1) as usize);
            on_pass(result);
            let pause = if full {
                std::time::Duration::ZERO
            } else {
                self.config.poll_interval
            };
            tokio::select! {
                biased;
                _ = &mut shutdown => return,
                _ = tokio::time::sleep(pause) => {}
            }
        }
    }
}

fn store_error(report: &mut DispatchReport, e: StoreError) -> Disposition {
    report.store_errors += 1;
    Disposition::StoreError {
        error: e.to_string(),
    }
}

#[async_trait::async_trait]
impl<E, G, C, S> Notifier for Dispatcher<E, G, C, S>
where
    E: EmailTransport,
    G: SmsGateway,
    C: Clock,
    S: OutboxStore + ?Sized,
{
    async fn deliver(&self, message: &OutboxMessage) -> Result<(), DeliveryError> {
        Dispatcher::deliver(self, message).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::email::RecordingTransport;
    use crate::sms::{RecordingSmsGateway, SmsEncoding};
    use chrono::TimeZone;
    use muhtar_core::clock::ManualClock;
    use muhtar_core::outbox::{Locale, NoticeKind, NoticePayload, OutboxStatus};
    use muhtar_core::testkit::fixtures;
    use muhtar_core::testkit::MemoryStore;
    use serde_json::json;

    type D = Dispatcher<
        Arc<RecordingTransport>,
        Arc<RecordingSmsGateway>,
        SharedClock<ManualClock>,
        MemoryStore,
    >;

    /// 2025-03-14 12:00 İstanbul.
    fn noon() -> DateTime<Utc> {
        fixtures::t0()
    }

    fn message(n: u128, kind: NoticeKind, channel: DeliveryChannel, to: &str) -> OutboxMessage {
        OutboxMessage {
            id: Uuid::from_u128(n),
            tenant: fixtures::tenant("t1"),
            request: None,
            idempotency_key: format!("req-{n}:2:{}:{to}", kind.as_str()),
            kind,
            channel,
            recipient: to.into(),
            addressee: None,
            locale: Locale::Tr,
            payload: payload(kind, "7KM-3QX-9PA"),
            created_at: noon(),
            not_before: noon(),
        }
    }

    fn payload(kind: NoticeKind, tracking: &str) -> NoticePayload {
        let mut json = json!({
            "tracking": tracking,
            "subject": "Okul önündeki çukur",
            "muhtarlik": "kuzguncuk",
            "status": "routed",
            "received_at": "2025-03-14T09:00:00Z",
            "unit_name": "Fen İşleri Müdürlüğü",
            "resolution_due": "2025-04-02T14:30:00Z",
            "tenant_name": "Örnek İlçe Belediyesi",
            "due": "2025-04-02T14:30:00Z",
            "period": "2025Q1",
        });
        if kind == NoticeKind::Paused {
            json["note"] = json!("Kapı numarası?");
            json["pause_reason"] = json!("muhtar");
        }
        NoticePayload::from_json(kind, json).unwrap()
    }

    fn setup(
        config: DispatcherConfig,
    ) -> (
        D,
        Arc<MemoryStore>,
        Arc<RecordingTransport>,
        Arc<RecordingSmsGateway>,
        Arc<ManualClock>,
    ) {
        let store = Arc::new(MemoryStore::default());
        let email = Arc::new(RecordingTransport::new());
        let sms = Arc::new(RecordingSmsGateway::new());
        let clock = Arc::new(ManualClock::new(noon()));
        let d = Dispatcher::new(
            store.clone(),
            email.clone(),
            sms.clone(),
            SharedClock(clock.clone()),
            config,
        );
        (d, store, email, sms, clock)
    }

    async fn entry(store: &MemoryStore, id: u128) -> muhtar_core::outbox::OutboxEntry {
        store
            .outbox(&fixtures::tenant("t1"), None)
            .await
            .unwrap()
            .into_iter()
            .find(|e| e.message.id == Uuid::from_u128(id))
            .unwrap()
    }

    #[test]
    fn backoff_grows_exponentially_up_to_the_cap_with_bounded_jitter() {
        let b = Backoff::default();
        assert_eq!(b.nominal(1), Duration::minutes(1));
        assert_eq!(b.nominal(2), Duration::minutes(2));
        assert_eq!(b.nominal(5), Duration::minutes(16));
        assert_eq!(b.nominal(9), Duration::minutes(256));
        assert_eq!(b.nominal(10), Duration::hours(6));
        assert_eq!(b.nominal(1000), Duration::hours(6));
        let mut distinct = std::collections::HashSet::new();
        for n in 1..12 {
            for k in 0..20 {
                let key = format!("key-{k}");
                let d = b.delay(n, &key);
                assert_eq!(d, b.delay(n, &key), "deterministic");
                let nominal = b.nominal(n).num_milliseconds() as f64;
                let ms = d.num_milliseconds() as f64;
                assert!(
                    ms >= nominal * 0.8 - 1.0 && ms <= nominal * 1.2 + 1.0,
                    "{n} {ms}"
                );
                assert!(d <= b.cap);
                distinct.insert(d);
            }
        }
        assert!(distinct.len() > 150, "jitter spreads the delays");
    }

    #[tokio::test]
    async fn sends_email_and_sms_and_marks_them_sent() {
        let (d, store, email, sms, _clock) = setup(DispatcherConfig::default());
        store
            .enqueue(&[
                message(
                    1,
                    NoticeKind::Received,
                    DeliveryChannel::Email,
                    "ali.demir@muhtar.example",
                ),
                message(
                    2,
                    NoticeKind::Received,
                    DeliveryChannel::Sms,
                    "0532 111 22 33",
                ),
            ])
            .await
            .unwrap();
        let r = d.run_once().await.unwrap();
        assert_eq!((r.claimed, r.sent, r.failed, r.retried), (2, 2, 0, 0));
        let mails = email.sent();
        assert_eq!(mails.len(), 1);
        assert_eq!(mails[0].subject, "[Takip No: 7KM-3QX-9PA] Talebiniz alındı");
        assert_eq!(
            mails[0].message_id,
            message_id("req-1:2:received:ali.demir@muhtar.example", "muhtar")
        );
        assert_eq!(mails[0].from_name.as_deref(), Some("Örnek İlçe Belediyesi"));
        let texts = sms.sent();
        assert_eq!(texts.len(), 1);
        assert_eq!(texts[0].to, "+905321112233");
        assert_eq!(texts[0].encoding, SmsEncoding::Gsm7);
        assert!(
            texts[0]
                .text
                .starts_with("Takip No: 7KM-3QX-9PA Talebiniz alindi"),
            "{}",
            texts[0].text
        );
        for id in [1, 2] {
            let e = entry(&store, id).await;
            assert_eq!(e.status, OutboxStatus::Sent);
            assert_eq!(e.sent_at, Some(noon()));
        }
        // Nothing left.
        assert_eq!(d.run_once().await.unwrap().claimed, 0);
    }

    #[tokio::test]
    async fn transient_failures_back_off_then_give_up() {
        let cfg = DispatcherConfig {
            max_attempts: 3,
            ..DispatcherConfig::default()
        };
        let (d, store, email, _sms, clock) = setup(cfg);
        store
            .enqueue(&[message(
                1,
                NoticeKind::Closed,
                DeliveryChannel::Email,
                "a@b.example",
            )])
            .await
            .unwrap();
        email.fail_always(Some(DeliveryError::Transient(
            "SMTP connection refused".into(),
        )));
        let key = "req-1:2:closed:a@b.example";
        let b = Backoff::default();

        let r = d.run_once().await.unwrap();
        assert_eq!(r.retried, 1);
        let e = entry(&store, 1).await;
        assert_eq!(e.status, OutboxStatus::Pending);
        assert_eq!(e.next_attempt_at, noon() + b.delay(1, key));
        assert_eq!(e.failures, 1);
        assert_eq!(e.last_error.as_deref(), Some("SMTP connection refused"));
        // Not due yet.
        clock.advance(Duration::seconds(30));
        assert_eq!(d.run_once().await.unwrap().claimed, 0);

        clock.set(e.next_attempt_at);
        let r = d.run_once().await.unwrap();
        assert!(matches!(
            r.messages[0].1,
            Disposition::Retry { failures: 2, .. }
        ));
        let e = entry(&store, 1).await;
        assert_eq!(e.next_attempt_at, clock.now() + b.delay(2, key));
        assert_eq!(e.failures, 2);

        clock.set(e.next_attempt_at);
        let r = d.run_once().await.unwrap();
        assert_eq!(r.failed, 1);
        let e = entry(&store, 1).await;
        assert_eq!((e.status, e.failures), (OutboxStatus::Failed, 3));
        assert_eq!(
            e.last_error.as_deref(),
            Some("gave up after 3 failed attempts: SMTP connection refused")
        );
        assert!(email.sent().is_empty());
    }

    /// Issue 17, defect 2: after a relay timeout, the pass tries no more e-mail (each
    /// would wait as long again); those are put back without a failure counted, SMS
    /// still goes out.
    #[tokio::test]
    async fn a_relay_timeout_ends_the_passs_email_deliveries() {
        let (d, store, email, sms, _clock) = setup(DispatcherConfig::default());
        store
            .enqueue(&[
                message(1, NoticeKind::Closed, DeliveryChannel::Email, "a@b.example"),
                message(2, NoticeKind::Closed, DeliveryChannel::Email, "c@b.example"),
                message(3, NoticeKind::Closed, DeliveryChannel::Sms, "05321234567"),
            ])
            .await
            .unwrap();
        email.fail_next(DeliveryError::Timeout(format!(
            "{SMTP_TIMEOUT}: the relay did not finish the message within 6 s"
        )));
        let r = d.run_once().await.unwrap();
        assert_eq!((r.claimed, r.retried, r.sent), (3, 2, 1), "{r:?}");
        assert!(email.sent().is_empty(), "the second e-mail was not tried");
        assert_eq!(sms.sent().len(), 1);
        let first = entry(&store, 1).await;
        assert_eq!(first.failures, 1);
        let second = entry(&store, 2).await;
        assert_eq!(second.status, OutboxStatus::Pending);
        assert_eq!(second.failures, 0);
        assert!(second.last_error.unwrap().contains("not tried"));
    }

    #[tokio::test]
    async fn permanent_failures_are_never_retried() {
        let (d, store, email, sms, clock) = setup(DispatcherConfig::default());
        store
            .enqueue(&[
                message(
                    1,
                    NoticeKind::Answered,
                    DeliveryChannel::Email,
                    "x@y.example",
                ),
                message(2, NoticeKind::Answered, DeliveryChannel::Sms, "not a phone"),
                message(3, NoticeKind::Answered, DeliveryChannel::Sms, "05321112233"),
            ])
            .await
            .unwrap();
        email.fail_next(DeliveryError::Permanent(
            "SMTP permanent error (550): no such user".into(),
        ));
        sms.fail_next(DeliveryError::Permanent("SMS gateway answered 400".into()));
        let r = d.run_once().await.unwrap();
        assert_eq!((r.failed, r.sent), (3, 0));
        assert_eq!(
            entry(&store, 1).await.last_error.as_deref(),
            Some("SMTP permanent error (550): no such user")
        );
        assert!(entry(&store, 2)
            .await
            .last_error
            .unwrap()
            .contains("malformed phone number"));
        clock.advance(Duration::days(2));
        assert_eq!(d.run_once().await.unwrap().claimed, 0);
        assert!(email.sent().is_empty() && sms.sent().is_empty());
    }

    #[tokio::test]
    async fn unrenderable_payload_fails_permanently() {
        let (d, store, _email, _sms, _clock) = setup(DispatcherConfig::default());
        let mut m = message(
            1,
            NoticeKind::Breached,
            DeliveryChannel::Email,
            "a@b.example",
        );
        m.payload = payload(NoticeKind::Breached, " ");
        store.enqueue(&[m]).await.unwrap();
        assert_eq!(d.run_once().await.unwrap().failed, 1);
        let e = entry(&store, 1).await;
        assert_eq!(e.status, OutboxStatus::Failed);
        assert!(e.last_error.unwrap().contains("tracking"));
    }

    #[tokio::test]
    async fn quiet_hours_defer_without_counting_as_failures() {
        let cfg = DispatcherConfig {
            max_attempts: 2,
            ..DispatcherConfig::default()
        };
        let (d, store, email, _sms, clock) = setup(cfg);
        // 23:30 İstanbul.
        let night = Utc.with_ymd_and_hms(2025, 3, 14, 20, 30, 0).unwrap();
        let morning = Utc.with_ymd_and_hms(2025, 3, 15, 5, 0, 0).unwrap();
        clock.set(night);
        let mut m = message(
            1,
            NoticeKind::Breached,
            DeliveryChannel::Email,
            "fen@ornek.bel.tr",
        );
        m.not_before = night;
        store.enqueue(&[m]).await.unwrap();
        // One real failure first.
        email.fail_next(DeliveryError::Transient("SMTP 421 try later".into()));
        // It is night: deferred to 08:00, not sent, not failed.
        let r = d.run_once().await.unwrap();
        assert_eq!(r.deferred, 1);
        assert_eq!(r.messages[0].1, Disposition::Deferred { until: morning });
        let e = entry(&store, 1).await;
        assert_eq!(
            (e.status, e.next_attempt_at),
            (OutboxStatus::Pending, morning)
        );
        assert_eq!(e.failures, 0);
        assert!(email.sent().is_empty());

        // Morning: the transient failure counts once.
        clock.set(morning);
        let r = d.run_once().await.unwrap();
        assert_eq!(r.retried, 1);
        // The retry lands in the evening's quiet hours: deferred again, several nights
        // in a row, while attempts grow; still not failed with max_attempts = 2.
        for _ in 0..3 {
            let e = entry(&store, 1).await;
            clock.set(e.next_attempt_at.max(night));
            let next_night = clock
                .now()
                .date_naive()
                .and_hms_opt(20, 0, 0)
                .unwrap()
                .and_utc();
            clock.set(next_night);
            let r = d.run_once().await.unwrap();
            assert_eq!(r.deferred, 1, "{r:?}");
            let e = entry(&store, 1).await;
            assert_eq!(e.status, OutboxStatus::Pending);
            assert_eq!(e.failures, 1);
            assert!(
                e.last_error.as_deref().unwrap().contains("421"),
                "{:?}",
                e.last_error
            );
        }
        let e = entry(&store, 1).await;
        assert!(e.attempts >= 5);
        clock.set(e.next_attempt_at);
        let r = d.run_once().await.unwrap();
        assert_eq!(r.sent, 1);
        assert_eq!(email.sent().len(), 1);
    }

    #[tokio::test]
    async fn quiet_hours_are_per_tenant() {
        let cfg = DispatcherConfig {
            quiet_hours: QuietHoursConfig::default().with_tenant(fixtures::tenant("t1"), None),
            ..DispatcherConfig::default()
        };
        let (d, store, email, _sms, clock) = setup(cfg);
        let night = Utc.with_ymd_and_hms(2025, 3, 14, 20, 30, 0).unwrap();
        clock.set(night);
        let mut a = message(
            1,
            NoticeKind::AtRisk,
            DeliveryChannel::Email,
            "fen@ornek.bel.tr",
        );
        a.not_before = night;
        let mut b = message(
            2,
            NoticeKind::AtRisk,
            DeliveryChannel::Email,
            "fen@other.example",
        );
        b.tenant = fixtures::tenant("t2");
        b.not_before = night;
        store.enqueue(&[a, b]).await.unwrap();
        let r = d.run_once().await.unwrap();
        assert_eq!((r.sent, r.deferred), (1, 1));
        assert_eq!(email.sent()[0].to, "fen@ornek.bel.tr");
    }

    /// Two dispatchers on one outbox, each limited to its tenant and built with that
    /// tenant's quiet hours and SMS gateway: each claims and delivers only its tenant's
    /// messages, the night-time one waits, the other goes out through its own gateway.
    #[tokio::test]
    async fn a_tenant_dispatcher_claims_only_its_tenants_messages() {
        let store = Arc::new(MemoryStore::default());
        let clock = Arc::new(ManualClock::new(noon()));
        let (t1, t2) = (fixtures::tenant("t1"), fixtures::tenant("t2"));
        // At noon, t1 is in its quiet hours (11:00-13:00); t2 has none.
        let lunch = QuietHours::from_hm(11, 0, 13, 0);
        let for_tenant = |t: &TenantId, quiet: Option<QuietHours>| {
            let email = Arc::new(RecordingTransport::new());
            let sms = Arc::new(RecordingSmsGateway::new());
            let config = DispatcherConfig {
                tenant: Some(t.clone()),
                quiet_hours: QuietHoursConfig::none().with_tenant(t.clone(), quiet),
                ..DispatcherConfig::default()
            };
            let d = Dispatcher::new(
                store.clone(),
                email.clone(),
                sms.clone(),
                SharedClock(clock.clone()),
                config,
            );
            (d, email, sms)
        };
        let (d1, email1, sms1) = for_tenant(&t1, lunch);
        let (d2, email2, sms2) = for_tenant(&t2, None);
        let mut all = Vec::new();
        for (n, t) in [(1, &t1), (2, &t2)] {
            let mut e = message(
                n,
                NoticeKind::Received,
                DeliveryChannel::Email,
                "a@b.example",
            );
            e.tenant = t.clone();
            e.idempotency_key.push_str(t.as_str());
            let mut s = message(
                10 + n,
                NoticeKind::Received,
                DeliveryChannel::Sms,
                "05321112233",
            );
            s.tenant = t.clone();
            s.idempotency_key.push_str(t.as_str());
            all.extend([e, s]);
        }
        store.enqueue(&all).await.unwrap();

        let r2 = d2.run_once().await.unwrap();
        assert_eq!((r2.claimed, r2.sent), (2, 2));
        let r2_ids: Vec<Uuid> = r2.messages.iter().map(|(id, _)| *id).collect();
        assert_eq!(r2_ids, vec![Uuid::from_u128(2), Uuid::from_u128(12)]);
        assert_eq!((email2.sent().len(), sms2.sent().len()), (1, 1));
        // t1's messages were not touched by t2's dispatcher.
        for e in store.outbox(&t1, None).await.unwrap() {
            assert_eq!((e.status, e.attempts), (OutboxStatus::Pending, 0));
        }
        let r1 = d1.run_once().await.unwrap();
        assert_eq!((r1.claimed, r1.deferred, r1.sent), (2, 2, 0));
        let end = Utc.with_ymd_and_hms(2025, 3, 14, 10, 0, 0).unwrap();
        assert!(r1
            .messages
            .iter()
            .all(|(_, d)| *d == Disposition::Deferred { until: end }));
        assert!(email1.sent().is_empty() && sms1.sent().is_empty());
        clock.set(end);
        assert_eq!(d2.run_once().await.unwrap().claimed, 0);
        assert_eq!(d1.run_once().await.unwrap().sent, 2);
        assert_eq!((email1.sent().len(), sms1.sent().len()), (1, 1));
        assert_eq!((email2.sent().len(), sms2.sent().len()), (1, 1));

        let mut total = r1.clone();
        total.absorb(r2.clone());
        assert_eq!(
            (
                total.claimed,
                total.sent,
                total.deferred,
                total.messages.len()
            ),
            (4, 2, 2, 4)
        );
    }

    #[tokio::test]
    async fn run_stops_on_shutdown() {
        let cfg = DispatcherConfig {
            poll_interval: std::time::Duration::from_millis(10),
            ..DispatcherConfig::default()
        };
        let (d, store, email, _sms, _clock) = setup(cfg);
        store
            .enqueue(&[message(
                1,
                NoticeKind::Closed,
                DeliveryChannel::Email,
                "a@b.example",
            )])
            .await
            .unwrap();
        let mut passes = 0;
        d.run_with(
            tokio::time::sleep(std::time::Duration::from_millis(100)),
            |r| {
                assert!(r.is_ok());
                passes += 1;
            },
        )
        .await;
        assert!(passes >= 2);
        assert_eq!(email.sent().len(), 1);
    }
}
