//! Per-tenant dispatchers: [`TenantDispatchers`] delivers every tenant's notices with that
//! tenant's own settings.
//!
//! A tenant's settings document ([`TenantSettings`], `muhtar_core::settings`) names its SMS
//! gateway (`[sms]`), its quiet hours (`quiet_hours`) and its notice texts (`[templates]`,
//! [`Templates::from_settings`]). A single [`Dispatcher`] has one
//! gateway and one set of quiet hours; [`TenantDispatchers`] keeps a dispatcher per tenant,
//! built from that tenant's settings and claiming only that tenant's messages
//! ([`DispatcherConfig::tenant`], `OutboxStore::claim_tenant`), so no tenant's notices go
//! out through another tenant's gateway or in another tenant's quiet hours.
//!
//! Each pass ([`TenantDispatchers::run_once`]) lists the tenants (or serves the one given
//! to [`TenantDispatchers::only`]), reads each tenant's settings version (one cheap read;
//! the document itself only when the version changed), builds the tenant's dispatcher again
//! when its settings changed, and runs every dispatcher once. A tenant added while the
//! dispatchers run is served from the next pass on. A tenant whose dispatcher cannot be
//! built (settings that do not parse, an SMS gateway URL that is not one) is skipped, its
//! notices left waiting, and reported in [`Pass::problems`]: once, until the problem
//! changes or goes away.
//!
//! SMS gateways are built by an [`SmsGateways`] factory: by default [`HttpSmsGateways`]
//! (an [`HttpSmsGateway`] configured by [`HttpSmsConfig::from_settings`], none for a
//! tenant without `[sms]`); a portal with its own SMS provider plugs in its own.
//!
//! # Example
//!
//! ```no_run
//! use std::sync::Arc;
//! use muhtar_core::store::Store;
//! use muhtar_notify::tenants::TenantDispatchers;
//! use muhtar_notify::{DispatcherConfig, SmtpTransport};
//!
//! async fn deliver(
//!     store: Arc<dyn Store>,
//!     shutdown: impl std::future::Future<Output = ()>,
//! ) -> Result<(), Box<dyn std::error::Error>> {
//!     let email = SmtpTransport::from_env()?; // MUHTAR_SMTP_URL, MUHTAR_MAIL_FROM
//!     let mut config = DispatcherConfig::default();
//!     config.poll_interval = std::time::Duration::from_secs(10);
//!     let mut dispatchers =
//!         TenantDispatchers::new(store, email, || chrono::Utc::now(), config);
//!     dispatchers
//!         .run_with(shutdown, |pass| match pass {
//!             Ok(pass) => {
//!                 for problem in &pass.problems {
//!                     eprintln!("{problem}");
//!                 }
//!             }
//!             Err(e) => eprintln!("{e}"),
//!         })
//!         .await;
//!     Ok(())
//! }
//! ```

use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use muhtar_core::clock::Clock;
use muhtar_core::ids::TenantId;
use muhtar_core::outbox::waiting::{waiting, Conditions, Waiting};
use muhtar_core::settings::{SettingsError, SmsSettings, TemplateSettings, TenantSettings};
use muhtar_core::store::{DocumentKind, Store, StoreError, StoreErrorKind};

use crate::dispatch::{DispatchError, DispatchReport, Dispatcher, DispatcherConfig};
use crate::email::EmailTransport;
use crate::sms::{GatewayConfigError, NoSmsGateway, SmsGateway};
#[cfg(feature = "http-sms")]
use crate::sms::{HttpSmsConfig, HttpSmsGateway};
use crate::templates::Templates;

/// Builds a tenant's SMS gateway from its `[sms]` settings; called again whenever the
/// tenant's settings change.
pub trait SmsGateways: Send + Sync {
    /// The gateway of `tenant`, whose settings have `sms` (`None`: no `[sms]` table).
    fn gateway(
        &self,
        tenant: &TenantId,
        sms: Option<&SmsSettings>,
    ) -> Result<Arc<dyn SmsGateway>, GatewayConfigError>;
}

/// The default [`SmsGateways`]: an [`HttpSmsGateway`] configured by
/// [`HttpSmsConfig::from_settings`]; [`NoSmsGateway`] for a tenant without `[sms]`, so its
/// SMS notices fail permanently with that reason.
#[derive(Debug, Clone, Copy, Default)]
#[cfg(feature = "http-sms")]
pub struct HttpSmsGateways;

#[cfg(feature = "http-sms")]
impl SmsGateways for HttpSmsGateways {
    fn gateway(
        &self,
        _tenant: &TenantId,
        sms: Option<&SmsSettings>,
    ) -> Result<Arc<dyn SmsGateway>, GatewayConfigError> {
        Ok(match sms {
            None => Arc::new(NoSmsGateway),
            Some(s) => Arc::new(HttpSmsGateway::new(HttpSmsConfig::from_settings(s))?),
        })
    }
}

/// Without the `http-sms` feature: no tenant has an SMS gateway.
#[cfg(not(feature = "http-sms"))]
struct NoSmsGateways;

#[cfg(not(feature = "http-sms"))]
impl SmsGateways for NoSmsGateways {
    fn gateway(
        &self,
        _tenant: &TenantId,
        _sms: Option<&SmsSettings>,
    ) -> Result<Arc<dyn SmsGateway>, GatewayConfigError> {
        Ok(Arc::new(NoSmsGateway))
    }
}

/// The [`SmsGateways`] of [`TenantDispatchers::new`].
fn default_gateways() -> Arc<dyn SmsGateways> {
    #[cfg(feature = "http-sms")]
    return Arc::new(HttpSmsGateways);
    #[cfg(not(feature = "http-sms"))]
    return Arc::new(NoSmsGateways);
}

/// The dispatcher of one tenant, as [`TenantDispatchers`] builds it.
pub type TenantDispatcher<E, C, S = dyn Store> = Dispatcher<E, Arc<dyn SmsGateway>, C, S>;

/// Why a tenant's notices were not delivered in a pass.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TenantError {
    /// The tenant's settings could not be read.
    #[error("store: {0}")]
    Store(#[from] StoreError),
    /// The tenant's settings document does not parse.
    #[error(transparent)]
    Settings(#[from] SettingsError),
    /// The tenant's SMS gateway could not be built from its settings.
    #[error("sms: {0}")]
    SmsGateway(#[from] GatewayConfigError),
    /// The tenant's dispatcher could not claim its messages.
    #[error(transparent)]
    Dispatch(#[from] DispatchError),
}

/// What a problem is, to tell whether the next one is the same: the variant and its
/// typed context (a store error by its kind, not by its cause's words).
#[derive(Debug, PartialEq, Eq)]
enum Problem {
    Store(StoreErrorKind),
    Settings(SettingsError),
    SmsGateway(GatewayConfigError),
    Dispatch(StoreErrorKind),
}

impl TenantError {
    fn problem(&self) -> Problem {
        match self {
            TenantError::Store(e) => Problem::Store(e.kind()),
            TenantError::Settings(e) => Problem::Settings(e.clone()),
            TenantError::SmsGateway(e) => Problem::SmsGateway(e.clone()),
            TenantError::Dispatch(DispatchError::Store(e)) => Problem::Dispatch(e.kind()),
        }
    }
}

/// A tenant not served in a pass, and why.
#[derive(Debug, thiserror::Error)]
#[error("tenant {tenant}: notices not delivered: {error}")]
#[non_exhaustive]
pub struct TenantProblem {
    /// The tenant.
    pub tenant: TenantId,
    /// Why.
    #[source]
    pub error: TenantError,
}

/// Why a pass could not run at all.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TenantDispatchersError {
    /// The store could not list the tenants.
    #[error("cannot list the tenants: {0}")]
    Tenants(#[source] StoreError),
}

/// One pass of [`TenantDispatchers`].
#[derive(Debug, Default)]
#[non_exhaustive]
pub struct Pass {
    /// Every tenant's pass, added up ([`DispatchReport::absorb`]).
    pub report: DispatchReport,
    /// Tenants not served in this pass, and why: each problem once, until it changes.
    pub problems: Vec<TenantProblem>,
    /// Whether some tenant had a full batch (more may be due at once).
    pub full: bool,
}

/// A tenant's dispatcher and the settings it was built from.
struct Built<E, C, S: ?Sized> {
    /// The settings document's version (0: none).
    version: u32,
    settings: TenantSettings,
    dispatcher: TenantDispatcher<E, C, S>,
}

/// The outbox dispatchers of every tenant of a store: one per tenant, each built from that
/// tenant's settings and claiming only its messages. See the [module docs](self).
pub struct TenantDispatchers<E, C, S: ?Sized = dyn Store> {
    store: Arc<S>,
    email: E,
    clock: C,
    config: DispatcherConfig,
    only: Option<TenantId>,
    sms: Arc<dyn SmsGateways>,
    built: HashMap<TenantId, Built<E, C, S>>,
    /// The last problem reported per tenant, so that each is reported once.
    reported: HashMap<TenantId, Problem>,
}

impl<E, C, S: ?Sized> std::fmt::Debug for TenantDispatchers<E, C, S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TenantDispatchers")
            .field("config", &self.config)
            .field("only", &self.only)
            .field("tenants", &self.built.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

impl<E, C, S> TenantDispatchers<E, C, S>
where
    E: EmailTransport + Clone,
    C: Clock + Clone,
    S: Store + ?Sized,
{
    /// The dispatchers of every tenant of `store`: e-mail through `email` (shared by every
    /// tenant), the time from `clock`. `config` is every tenant's dispatcher configuration
    /// (batch size, lease, poll interval, back-off, …) except that each claims only its
    /// own tenant's messages ([`DispatcherConfig::tenant`] is set per tenant) and a tenant
    /// whose settings have `quiet_hours` keeps those instead of `config.quiet_hours`.
    pub fn new(store: Arc<S>, email: E, clock: C, config: DispatcherConfig) -> Self {
        TenantDispatchers {
            store,
            email,
            clock,
            config,
            only: None,
            sms: default_gateways(),
            built: HashMap::new(),
            reported: HashMap::new(),
        }
    }

    /// Serves `tenant` only (it need not have an organisation yet: a pass then reports
    /// nothing to deliver).
    pub fn only(mut self, tenant: TenantId) -> Self {
        self.only = Some(tenant);
        self
    }

    /// Builds the tenants' SMS gateways with `gateways` instead of [`HttpSmsGateways`].
    pub fn with_sms_gateways(mut self, gateways: impl SmsGateways + 'static) -> Self {
        self.sms = Arc::new(gateways);
        self
    }

    /// The configuration every tenant's dispatcher starts from.
    pub fn config(&self) -> &DispatcherConfig {
        &self.config
    }

    /// The dispatcher of `tenant` as of the last pass that served it, if any.
    pub fn dispatcher(&self, tenant: &TenantId) -> Option<&TenantDispatcher<E, C, S>> {
        self.built.get(tenant).map(|b| &b.dispatcher)
    }

    /// The dispatcher of `tenant` for its current settings, built again when they changed.
    async fn for_tenant(
        &mut self,
        tenant: &TenantId,
    ) -> Result<&TenantDispatcher<E, C, S>, TenantError> {
        let version = self
            .store
            .document_version(tenant, DocumentKind::Settings)
            .await?;
        let built = match self.built.remove(tenant) {
            Some(b) if b.version == version => b,
            old => {
                let (version, settings) =
                    match self.store.document(tenant, DocumentKind::Settings).await? {
                        Some(doc) => (doc.version, TenantSettings::from_toml_str(&doc.body)?),
                        None => (0, TenantSettings::default()),
                    };
                match old {
                    // A new version with the same settings: the dispatcher stays.
                    Some(mut b) if b.settings == settings => {
                        b.version = version;
                        b
                    }
                    _ => Built {
                        version,
                        dispatcher: self.build(tenant, &settings)?,
                        settings,
                    },
                }
            }
        };
        Ok(&self
            .built
            .entry(tenant.clone())
            .insert_entry(built)
            .into_mut()
            .dispatcher)
    }

    /// A dispatcher for `tenant` with `settings`: its SMS gateway, its quiet hours, its
    /// notice templates, its messages only.
    fn build(
        &self,
        tenant: &TenantId,
        settings: &TenantSettings,
    ) -> Result<TenantDispatcher<E, C, S>, TenantError> {
        let sms = self.sms.gateway(tenant, settings.sms.as_ref())?;
        let mut config = self.config.clone();
        config.tenant = Some(tenant.clone());
        if settings.templates != TemplateSettings::default() {
            config.templates = Some(Arc::new(Templates::from_settings(&settings.templates)?));
        }
        config.sms_without_gateway = settings.sms_without_gateway();
        if let Some(q) = settings.quiet_hours {
            config.quiet_hours = config.quiet_hours.with_tenant(tenant.clone(), Some(q));
        }
        Ok(Dispatcher::new(
            self.store.clone(),
            self.email.clone(),
            sms,
            self.clock.clone(),
            config,
        ))
    }

    /// One pass over every tenant (or the one given to [`Self::only`]): each tenant's
    /// dispatcher claims and delivers its due messages. Fails only when the tenants cannot
    /// be listed; a tenant that cannot be served is reported in [`Pass::problems`].
    pub async fn run_once(&mut self) -> Result<Pass, TenantDispatchersError> {
        let tenants = match &self.only {
            Some(t) => vec![t.clone()],
            None => self
                .store
                .tenants()
                .await
                .map_err(TenantDispatchersError::Tenants)?,
        };
        let mut pass = Pass::default();
        for t in &tenants {
            let result = match self.for_tenant(t).await {
                Ok(d) => {
                    let batch = d.config().batch_size.max(1) as usize;
                    d.run_once()
                        .await
                        .map(|r| (r, batch))
                        .map_err(TenantError::from)
                }
                Err(e) => Err(e),
            };
            match result {
                Ok((r, batch)) => {
                    self.reported.remove(t);
                    pass.full |= r.claimed >= batch;
                    pass.report.absorb(r);
                }
                Err(error) => {
                    let problem = error.problem();
                    if self.reported.get(t) != Some(&problem) {
                        self.reported.insert(t.clone(), problem);
                        pass.problems.push(TenantProblem {
                            tenant: t.clone(),
                            error,
                        });
                    }
                }
            }
        }
        Ok(pass)
    }

    /// Why the pending notices of the tenants served so far wait, at `now`
    /// ([`muhtar_core::outbox::waiting`]): each tenant's conditions are those of its
    /// dispatcher (quiet hours, SMS gateway, `sms_without_gateway`). For after a pass,
    /// e.g. `muhtar notify --once`; reads each tenant's whole outbox.
    pub async fn waiting(&self, now: DateTime<Utc>) -> Result<Vec<Waiting>, StoreError> {
        let mut tenants: Vec<&TenantId> = self.built.keys().collect();
        tenants.sort_by(|a, b| a.as_str().cmp(b.as_str()));
        let mut out = Vec::new();
        for t in tenants {
            let d = &self.built[t].dispatcher;
            let c = Conditions {
                quiet_hours: d.config().quiet_hours.for_tenant(t),
                sms_gateway: d.sms_gateway().configured(),
                sms_without_gateway: d.config().sms_without_gateway,
            };
            let entries = self.store.outbox(t, None).await?;
            out.extend(waiting(&entries, |_| c, now));
        }
        Ok(out)
    }

    /// Runs passes until `shutdown` completes: at once after a full batch, otherwise after
    /// the configuration's poll interval. A pass in progress is finished before it stops.
    pub async fn run(&mut self, shutdown: impl Future<Output = ()>) {
        self.run_with(shutdown, |_| {}).await;
    }

    /// Like [`Self::run`], handing every pass's result to `on_pass` (for logging: a pass's
    /// problems are only reported there).
    pub async fn run_with(
        &mut self,
        shutdown: impl Future<Output = ()>,
        mut on_pass: impl FnMut(Result<Pass, TenantDispatchersError>),
    ) {
        let idle = self.config.poll_interval;
        let mut shutdown = std::pin::pin!(shutdown);
        loop {
            let result = self.run_once().await;
            let full = matches!(&result, Ok(p) if p.full);
            on_pass(result);
            let pause = if full {
                std::time::Duration::ZERO
            } else {
                idle
            };
            tokio::select! {
                biased;
                _ = &mut shutdown => return,
                _ = tokio::time::sleep(pause) => {}
            }
        }
    }
}
