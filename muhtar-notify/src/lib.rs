//! Notification delivery for `muhtar`: the outbox [`Dispatcher`], templates for every
//! notice kind, e-mail over SMTP (lettre) and SMS through an HTTP gateway.
//!
//! Genelge 2015/8 requires that the outcome of every muhtar request is e-mailed to the
//! muhtar; municipalities also send the tracking number by SMS. Core writes the notices
//! into the transactional outbox (`muhtar_core::outbox`); this crate delivers them:
//!
//! - [`render`]: subject, plain text and HTML (Turkish by default, English with
//!   `Locale::En`) and a one-line SMS text, from the message payload. The tracking
//!   number is in every subject: `[Takip No: 7KM-3QX-9PA] Talebiniz alındı`.
//! - [`email`]: the [`EmailTransport`] trait, [`SmtpTransport`] configured by
//!   [`SmtpConfig`] (`smtp://`, `smtp+starttls://`, `smtps://` URLs with credentials),
//!   and [`RecordingTransport`] for tests. Each e-mail's `Message-ID` is derived from
//!   the notice's idempotency key.
//! - [`sms`]: the [`SmsGateway`] trait, [`HttpSmsGateway`], segment counting and the
//!   Turkish-letter policy (transliterate to GSM-7 by default).
//! - [`dispatch`]: claims due messages, sends them, and marks them sent, retried
//!   (exponential back-off with jitter) or failed; honours per-tenant quiet hours.
//!   Delivery is at least once, with an idempotent `Message-ID`.
//! - [`tenants`]: [`TenantDispatchers`], a dispatcher per tenant built from that
//!   tenant's settings (its SMS gateway, its quiet hours) and claiming only its
//!   messages; rebuilt when the settings change, new tenants served from the next pass.
//!   What a service delivering for several tenants runs.
//!
//! Adapter errors (lettre, reqwest) never leave this crate: transports answer with
//! `muhtar_core::outbox::DeliveryError::{Transient, Permanent, Timeout}`.
//!
//! # Example: a dispatcher pointed at a relay
//!
//! With two environment variables,
//!
//! ```text
//! MUHTAR_SMTP_URL=smtp+starttls://bildirim%40ornek.bel.tr:secret@mail.ornek.bel.tr:587
//! MUHTAR_MAIL_FROM="Muhtarlık İşleri <bildirim@ornek.bel.tr>"
//! ```
//!
//! a service runs the dispatcher next to its store until it is asked to stop:
//!
//! ```no_run
//! use std::sync::Arc;
//! use muhtar_core::store::OutboxStore;
//! use muhtar_notify::{Dispatcher, DispatcherConfig, NoSmsGateway, SmtpTransport};
//!
//! async fn deliver_notices(
//!     store: Arc<dyn OutboxStore>,
//!     shutdown: impl std::future::Future<Output = ()>, // e.g. a ctrl-c future
//! ) -> Result<(), Box<dyn std::error::Error>> {
//!     let email = SmtpTransport::from_env()?; // MUHTAR_SMTP_URL, MUHTAR_MAIL_FROM
//!     let dispatcher = Dispatcher::new(
//!         store,
//!         email,
//!         NoSmsGateway, // or an HttpSmsGateway
//!         || chrono::Utc::now(),
//!         DispatcherConfig::default(),
//!     );
//!     dispatcher.run(shutdown).await;
//!     Ok(())
//! }
//! ```
//!
//! For a local relay without TLS, `MUHTAR_SMTP_URL=smtp://127.0.0.1:25`.
#![forbid(unsafe_code)]

pub mod dispatch;
pub mod email;
pub mod recorder;
pub mod render;
pub mod sms;
pub mod templates;
pub mod tenants;
#[cfg(any(feature = "smtp", feature = "http-sms"))]
mod tls;

pub use dispatch::{
    Backoff, DispatchError, DispatchReport, Dispatcher, DispatcherConfig, Disposition, QuietHours,
    QuietHoursConfig, SharedClock,
};
pub use email::{message_id, EmailTransport, OutgoingEmail, RecordingTransport};
#[cfg(feature = "smtp")]
pub use email::{SmtpConfig, SmtpConfigError, SmtpSecurity, SmtpTransport};
pub use render::{render_email, render_sms_text, RenderError, RenderedEmail};
#[cfg(feature = "http-sms")]
pub use sms::HttpSmsGateway;
pub use sms::{
    GatewayConfigError, HttpAuth, HttpBody, HttpSmsConfig, NoSmsGateway, OutgoingSms,
    RecordingSmsGateway, SmsConfig, SmsEncoding, SmsEncodingPolicy, SmsGateway,
};
pub use templates::{check_templates, Templates};
#[cfg(feature = "http-sms")]
pub use tenants::HttpSmsGateways;
pub use tenants::{
    Pass, SmsGateways, TenantDispatcher, TenantDispatchers, TenantDispatchersError, TenantError,
    TenantProblem,
};
