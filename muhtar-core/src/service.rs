//! The service façade: every command runs through validation, authorization, the event
//! fold and one store transaction.
//!
//! ```
//! # muhtar_core::testkit::block_on(async {
//! use muhtar_core::prelude::*;
//! use muhtar_core::ids::SeededRandom;
//! use muhtar_core::testkit::{fixtures, MemoryStore};
//!
//! let clock = ManualClock::new(fixtures::t0());
//! let mbs = Mbs::new(MemoryStore::default(), clock, SeededRandom::new(42));
//! let org = fixtures::organisation("demo");
//! mbs.install_organisation(&Actor::system(org.tenant.id.clone()), org.clone()).await.unwrap();
//! let muhtar = Actor::parse(&org.tenant.id, "muhtar:kuzguncuk").unwrap();
//! let rec = mbs.submit(&muhtar, fixtures::new_request("kuzguncuk")).await.unwrap();
//! assert_eq!(rec.state.status, Status::Routed);
//! # });
//! ```

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};

use chrono::{DateTime, Utc};

use crate::access::{authorize, AccessError, Action, Actor, Role, Target};
use crate::calendar::{Calendar, CalendarAddition};
use crate::clock::Clock;
use crate::ids::{IdGenerator, RandomSource, RequestId, TenantId, UnitCode};
use crate::org::{OrgError, Organisation};
use crate::outbox::plan;
use crate::regime::{PolicyChoice, PolicyRules};
use crate::request::{
    Command, DecideContext, Event, EventKind, InputError, LifecycleError, NewRequest, RequestState,
    Status,
};
use crate::routing::{RoutingError, RuleSet};
use crate::settings::TenantSettings;
use crate::sla::{
    ClockEvent, ClockState, PolicyRegistry, Reassignment, SlaClock, SlaError, SlaEvaluation,
};
use crate::store::{
    Commit, Deadlines, Document, DocumentKind, DocumentVersions, Page, RequestQuery, RequestRecord,
    Store, StoreError,
};
use crate::tracking::TrackingNumber;

mod accounts;
mod council;
mod council_decisions;
mod council_login;
mod council_meetings;
mod council_proposals;
mod dashboard;
mod deadlines;
mod documents;
mod map;
mod personal_data;
mod policy;
mod public;
mod receipt;
mod reports;
mod setup;
mod works;

pub use crate::public::{PublicStatus, PublicView};
pub use accounts::{LoginAttempt, LoginError, NewSession, NewUser};
pub use council::Cast;
pub use council_decisions::{DecisionStatus, SentDecision};
pub use council_proposals::Supported;
pub use dashboard::{CategoryLine, Dashboard, UnitLine, TOP_CATEGORIES};
pub use documents::{DocumentSearch, NUMBERING_ATTEMPTS};
pub use map::{MapQuery, MapRequests, MuhtarlikMap, MAX_MAP_POINTS};
pub use personal_data::{ContactQuery, PersonalData};
pub use policy::{policy_rules_message, PolicyChange, PolicyExplanation};
pub use reports::SignedQuarter;
pub use setup::{SetupError, SetupOutcome, TenantSetup};
pub use works::WorkClash;

/// Why a service call failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ServiceError {
    /// Not found, or not visible to this actor.
    #[error("{0} not found")]
    NotFound(String),
    /// The actor may not do this.
    #[error("forbidden: {0}")]
    Forbidden(AccessError),
    /// A field is invalid.
    #[error("invalid input: {0}")]
    Input(#[from] InputError),
    /// The command does not fit the request's state.
    #[error(transparent)]
    Lifecycle(#[from] LifecycleError),
    /// Someone else changed the request first; reload and retry.
    #[error("the request changed meanwhile: expected version {expected}, found {actual}")]
    Conflict {
        /// The version the caller expected.
        expected: u32,
        /// The version stored.
        actual: u32,
    },
    /// The organisation is invalid.
    #[error(transparent)]
    Org(#[from] OrgError),
    /// The tenant has no organisation installed yet.
    #[error("tenant {0} is not set up: install an organisation first")]
    NotConfigured(String),
    /// The SLA policy or the calendar refused (unknown policy, extension too late, a
    /// pause the policy does not allow, a date outside the calendar).
    #[error(transparent)]
    Sla(#[from] SlaError),
    /// A configuration document (calendar, settings) is invalid.
    #[error("invalid {what}: {message}")]
    Config {
        /// Which document.
        what: &'static str,
        /// What is wrong.
        message: String,
    },
    /// A report could not be made or signed (bad quarter, quarter not over, no note).
    #[error(transparent)]
    Report(#[from] crate::report::ReportError),
    /// The routing rule set in force would no longer validate against the organisation
    /// being installed (routing would silently fall back to the coordinator's queue).
    /// Install rules that fit the new organisation first, or force the installation
    /// ([`Mbs::install_organisation_forced`]).
    #[error(
        "the routing rule set in force (version {rules_version}) would no longer validate \
         against this organisation: {error}; install rules that fit it first, or force \
         the installation"
    )]
    RulesInvalidated {
        /// The document version of the stored rule set.
        rules_version: u32,
        /// Its problems under the new organisation.
        error: RoutingError,
    },
    /// A user account operation was refused ([`crate::account`]): a bad name, a
    /// password against the policy, a wrong old password, an actor no person can be.
    #[error(transparent)]
    Account(#[from] crate::account::AccountError),
    /// A work cannot change: it is closed ([`crate::map::work::WorkError::Closed`]; a
    /// work's bad fields are [`ServiceError::Input`]).
    #[error(transparent)]
    Work(crate::map::work::WorkError),
    /// A council command does not fit (a closed vote, a member who voted, …).
    #[error(transparent)]
    Council(#[from] crate::council::CouncilError),
    /// A council meeting command does not fit (its minutes are recorded, an attendee
    /// was not on the roll, minutes before the meeting).
    #[error(transparent)]
    Meeting(#[from] crate::council::MeetingError),
    /// An official document cannot be registered or issued ([`crate::document`]).
    #[error(transparent)]
    Document(#[from] crate::document::DocumentError),
    /// A member's login with a one-time code was refused (wrong or expired code, too
    /// many tries).
    #[error(transparent)]
    LoginCode(#[from] crate::council::LoginCodeError),
    /// The store failed.
    #[error(transparent)]
    Store(StoreError),
}

impl From<crate::map::work::WorkError> for ServiceError {
    fn from(e: crate::map::work::WorkError) -> Self {
        match e {
            crate::map::work::WorkError::Input(i) => ServiceError::Input(i),
            other => ServiceError::Work(other),
        }
    }
}

impl From<StoreError> for ServiceError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Conflict { expected, actual } => {
                ServiceError::Conflict { expected, actual }
            }
            StoreError::NotFound { what } => ServiceError::NotFound(what),
            other => ServiceError::Store(other),
        }
    }
}

impl From<AccessError> for ServiceError {
    fn from(e: AccessError) -> Self {
        if e.hides_target() {
            ServiceError::NotFound("request".into())
        } else {
            ServiceError::Forbidden(e)
        }
    }
}

/// A tenant's loaded configuration.
#[derive(Debug, Clone)]
pub struct TenantContext {
    /// Organisation.
    pub org: Organisation,
    /// Its document version.
    pub org_version: u32,
    /// Routing rules: the stored rule set, or the fallback-only rule set when there is
    /// none or it does not validate against the organisation (see `rules_problem`).
    pub rules: RuleSet,
    /// The stored rule set's document version (0: none stored, the fallback-only rule set).
    pub rules_version: u32,
    /// Why the stored rule set is not in force: it no longer validates against the
    /// organisation (a unit it targets was removed or deactivated, …), so every request
    /// goes to the fallback unit until valid rules are installed. `None` when the stored
    /// rule set is in force or none is stored.
    pub rules_problem: Option<RoutingError>,
    /// SLA policies: the built-in ones plus the tenant's own (settings document).
    pub policies: PolicyRegistry,
    /// Policy rules (settings document): which policy a new request gets. No rules
    /// when none are set or they do not validate (see `policy_rules_problem`).
    pub policy_rules: PolicyRules,
    /// Why the stored policy rules are not in force (every request then gets the
    /// organisation's default policy); `None` when they are.
    pub policy_rules_problem: Option<RoutingError>,
    /// The tenant's business calendar: official holidays plus its additions.
    pub calendar: Calendar,
    /// The tenant's settings (quiet hours, SMS gateway, own policies).
    pub settings: TenantSettings,
    /// Versions of every document the context was built from.
    pub versions: DocumentVersions,
}

/// Maps a request's history to the events its deadline clocks depend on.
///
/// A transfer or re-routing restarts the clocks only when the event says so: whether it
/// does was decided by the policy when it happened, so a later policy change never
/// rewrites history.
pub fn clock_events(events: &[Event]) -> Vec<ClockEvent> {
    let mut out = Vec::with_capacity(events.len());
    for e in events {
        let at = e.at;
        let ce = match &e.kind {
            EventKind::Received { content, .. } => ClockEvent::Received {
                at: content.received_at,
            },
            EventKind::InterimReply { .. } => ClockEvent::InterimReply { at },
            EventKind::Paused { reason, .. } => ClockEvent::Paused {
                at,
                reason: match reason {
                    crate::request::PauseReason::Muhtar => crate::sla::PauseReason::Muhtar,
                    crate::request::PauseReason::Fee => crate::sla::PauseReason::Fee,
                },
            },
            EventKind::Resumed { .. } | EventKind::FeePaid { .. } => ClockEvent::Resumed { at },
            EventKind::FeeNotified { .. } => ClockEvent::Paused {
                at,
                reason: crate::sla::PauseReason::Fee,
            },
            EventKind::Transferred {
                restart_clock: true,
                ..
            }
            | EventKind::Rerouted {
                restart_clock: true,
                ..
            } => ClockEvent::Transferred { at },
            EventKind::Extended { reason } => ClockEvent::Extended {
                at,
                reason: reason.clone(),
            },
            EventKind::Answered { .. } => ClockEvent::Answered { at },
            EventKind::PolicyChanged { from, to, reason } => ClockEvent::PolicyChanged {
                at,
                from: from.clone(),
                to: to.clone(),
                reason: reason.clone(),
            },
            EventKind::Reopened { .. } => ClockEvent::Reopened { at },
            EventKind::Closed
            | EventKind::Withdrawn { .. }
            | EventKind::Merged { .. }
            | EventKind::DeemedWithdrawn { .. } => ClockEvent::Closed { at },
            _ => continue,
        };
        out.push(ce);
    }
    out
}

impl TenantContext {
    /// Evaluates a request's clocks from its history at `now`.
    pub fn evaluate(
        &self,
        state: &RequestState,
        events: &[Event],
        now: DateTime<Utc>,
    ) -> Result<SlaEvaluation, ServiceError> {
        let policy = self.policies.get(&state.policy)?;
        let clock = SlaClock::new(policy, &self.calendar);
        // A dated letter: its reply-by date is the deadline unless the policy's is earlier.
        let reply_by = match state.content.reply_by {
            Some(crate::request::ReplyBy::Date(d)) => Some(clock.due_on(d)?),
            Some(crate::request::ReplyBy::Instant(t)) => Some(t),
            None => None,
        };
        let clock = clock.with_reply_by(reply_by);
        // Events recorded before the receipt instant (none should be) cannot move it.
        let evs = clock_events(events);
        let now = now.max(state.content.received_at);
        let mut eval = clock.evaluate(&evs, now)?;
        self.keep_decided_before_change(&mut eval, events, &evs, now)?;
        Ok(eval)
    }

    /// The query-table deadlines of a request after its history.
    pub fn deadlines(
        &self,
        state: &RequestState,
        events: &[Event],
        now: DateTime<Utc>,
    ) -> Result<Deadlines, ServiceError> {
        let ev = self.evaluate(state, events, now)?;
        let answer_working_days = match state.answered_at {
            Some(at) => {
                let mode = self.policies.get(&state.policy)?.count_mode();
                self.calendar
                    .business_days(mode)
                    .working_days_between(
                        crate::calendar::local_date(state.content.received_at),
                        crate::calendar::local_date(at),
                    )
                    .ok()
            }
            None => None,
        };
        Ok(Deadlines {
            first_response_due: Some(ev.first_response.due.with_timezone(&Utc)),
            resolution_due: Some(ev.resolution.due.with_timezone(&Utc)),
            calendar_version: ev.calendar_version,
            answer_working_days,
        })
    }
}

/// The organisation a stored document holds.
fn stored_organisation(doc: &Document) -> Result<Organisation, ServiceError> {
    serde_json::from_str(&doc.body)
        .map_err(|e| StoreError::corrupt_because("organisation", e).into())
}

/// Tries a new tracking number this many times when one is taken.
const TRACKING_ATTEMPTS: usize = 8;

/// The Muhtar Bilgi Sistemi service over a store, a clock and a source of randomness.
///
/// The service delivers no notices itself: it writes them to the outbox in the command's
/// transaction, and a dispatcher (`muhtar-notify`) drains the outbox.
pub struct Mbs<S, C> {
    store: S,
    clock: C,
    ids: Mutex<IdGenerator>,
    cache: RwLock<HashMap<TenantId, Arc<TenantContext>>>,
    on_warning: Option<WarningHook>,
    settings_check: Option<SettingsCheck>,
    accounts: crate::account::AccountSettings,
    document_keys: Arc<Vec<crate::document::DocumentKey>>,
    identity_keys: Arc<Vec<crate::council::IdentityKey>>,
}

type WarningHook = Arc<dyn Fn(&ConfigWarning) + Send + Sync>;
type SettingsCheck =
    Arc<dyn Fn(&TenantSettings) -> Result<(), crate::settings::SettingsError> + Send + Sync>;

/// Something wrong with a tenant's stored configuration that the service works around.
/// Handed to the hook set with [`Mbs::on_warning`] once each time a tenant's context is
/// built (the context is cached until a document changes), for the application to log.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigWarning {
    /// The stored rule set does not validate against the organisation: requests go to
    /// the fallback unit ([`TenantContext::rules_problem`]).
    #[error(
        "tenant {tenant}: the routing rule set (version {rules_version}) does not validate \
         against organisation version {org_version}, so every request goes to the \
         fallback unit {fallback}: {error}"
    )]
    InvalidRules {
        /// The tenant.
        tenant: TenantId,
        /// The stored rule set's document version.
        rules_version: u32,
        /// The organisation's document version.
        org_version: u32,
        /// The unit requests go to meanwhile.
        fallback: UnitCode,
        /// The rule set's problems.
        error: RoutingError,
    },
    /// The stored policy rules do not validate against the organisation or the
    /// policies: every new request gets the default policy
    /// ([`TenantContext::policy_rules_problem`]).
    #[error(
        "tenant {tenant}: the policy rules of settings version {settings_version} do not \
         validate, so every new request gets the organisation's default policy: {error}"
    )]
    InvalidPolicyRules {
        /// The tenant.
        tenant: TenantId,
        /// The settings document's version.
        settings_version: u32,
        /// The rules' problems.
        error: RoutingError,
    },
}

impl<S: Store, C: Clock> Mbs<S, C> {
    /// A service over `store` and `clock`, drawing request ids, tracking numbers and
    /// outbox ids from `random`.
    ///
    /// A deployment passes an unpredictable source seeded by the operating system (the
    /// `muhtar` binary's `OsRandom`); [`crate::ids::SeededRandom`] makes every id
    /// predictable from any one of them and is for tests and the demo only.
    pub fn new(store: S, clock: C, random: impl RandomSource + 'static) -> Self {
        Self {
            store,
            clock,
            ids: Mutex::new(IdGenerator::new(random)),
            cache: RwLock::new(HashMap::new()),
            on_warning: None,
            settings_check: None,
            accounts: crate::account::AccountSettings::default(),
            document_keys: Arc::new(Vec::new()),
            identity_keys: Arc::new(Vec::new()),
        }
    }

    /// The tenants' identity keys (key files given to this server or command): a member's
    /// identity number is kept as its HMAC under its tenant's key
    /// ([`crate::council::IdentityKey`]); a tenant without one refuses identity numbers.
    pub fn identity_keys(mut self, keys: Vec<crate::council::IdentityKey>) -> Self {
        self.identity_keys = Arc::new(keys);
        self
    }

    /// The private keys this server signs documents with (key files given to it). A
    /// tenant's documents are signed with the one its `[[documents.keys]]` lists in force
    /// ([`crate::document::DocumentSettings::signing_key`]); with none, unsigned.
    pub fn document_keys(mut self, keys: Vec<crate::document::DocumentKey>) -> Self {
        self.document_keys = Arc::new(keys);
        self
    }

    /// Checks every settings document with `check` before [`Self::install_settings`]
    /// installs it, for what core cannot check itself: the notice templates, which
    /// `muhtar-notify` renders (`muhtar_notify::check_templates`). A refusal is
    /// [`ServiceError::Config`] and nothing is written.
    pub fn check_settings_with(
        mut self,
        check: impl Fn(&TenantSettings) -> Result<(), crate::settings::SettingsError>
            + Send
            + Sync
            + 'static,
    ) -> Self {
        self.settings_check = Some(Arc::new(check));
        self
    }

    /// Calls `hook` with every [`ConfigWarning`]: once each time a tenant's context is
    /// built with one (core does no logging; the application logs them).
    pub fn on_warning(mut self, hook: impl Fn(&ConfigWarning) + Send + Sync + 'static) -> Self {
        self.on_warning = Some(Arc::new(hook));
        self
    }

    /// The store.
    pub fn store(&self) -> &S {
        &self.store
    }

    /// The clock.
    pub fn clock(&self) -> &C {
        &self.clock
    }

    fn ids(&self) -> std::sync::MutexGuard<'_, IdGenerator> {
        self.ids.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Logins and sessions under `settings` (session expiry, failed-login limit) instead
    /// of [`crate::account::AccountSettings::default`].
    pub fn account_settings(mut self, settings: crate::account::AccountSettings) -> Self {
        self.accounts = settings;
        self
    }

    /// Installs (or replaces) a tenant's organisation. The first installation may be done
    /// by the tenant's system actor; later ones need an administrator.
    ///
    /// An organisation under which the routing rule set in force would no longer
    /// validate (it targets a unit the new organisation removes or deactivates, …) is
    /// refused with [`ServiceError::RulesInvalidated`] naming the rules' problems, and
    /// nothing is written: routing would otherwise fall back to the coordinator's queue
    /// without anyone having decided it. Install rules that fit both first, or use
    /// [`Self::install_organisation_forced`]. A rule set that already does not validate
    /// does not block the installation (it stays reported in
    /// [`TenantContext::rules_problem`]).
    pub async fn install_organisation(
        &self,
        actor: &Actor,
        org: Organisation,
    ) -> Result<u32, ServiceError> {
        self.put_organisation(actor, org, false).await
    }

    /// [`Self::install_organisation`] even when the stored rule set would no longer
    /// validate: requests then go to the fallback unit, and the context reports why
    /// ([`TenantContext::rules_problem`], [`ConfigWarning::InvalidRules`]) until rules
    /// that fit are installed.
    pub async fn install_organisation_forced(
        &self,
        actor: &Actor,
        org: Organisation,
    ) -> Result<u32, ServiceError> {
        self.put_organisation(actor, org, true).await
    }

    async fn put_organisation(
        &self,
        actor: &Actor,
        org: Organisation,
        force: bool,
    ) -> Result<u32, ServiceError> {
        let org = Organisation::new(org)?;
        let tenant = org.tenant.id.clone();
        if actor.tenant != tenant {
            return Err(ServiceError::NotFound("tenant".into()));
        }
        let current = self
            .store
            .document_version(&tenant, DocumentKind::Organisation)
            .await?;
        // The system installs a tenant's first organisation; after that, whoever may manage.
        if !(current == 0 && matches!(actor.role, Role::System)) {
            authorize(actor, Action::Manage, &Target::Tenant(&tenant), &org)?;
        }
        if !force && current > 0 {
            self.check_rules_survive(&tenant, &org).await?;
        }
        let body = serde_json::to_string(&org)
            .map_err(|e| StoreError::invalid_because("organisation", e))?;
        let doc = Document {
            tenant: tenant.clone(),
            kind: DocumentKind::Organisation,
            version: current + 1,
            body,
            updated_at: self.clock.now(),
            updated_by: actor.to_string(),
        };
        self.store.put_document(&doc).await?;
        self.cache
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&tenant);
        Ok(doc.version)
    }

    /// Refuses `new` if the stored rule set validates against the stored organisation
    /// but not against `new`.
    async fn check_rules_survive(
        &self,
        tenant: &TenantId,
        new: &Organisation,
    ) -> Result<(), ServiceError> {
        let Some(rules) = self.store.document(tenant, DocumentKind::RuleSet).await? else {
            return Ok(());
        };
        let Some(doc) = self
            .store
            .document(tenant, DocumentKind::Organisation)
            .await?
        else {
            return Ok(());
        };
        let old = stored_organisation(&doc)?;
        if RuleSet::from_toml_str(&rules.body, &old).is_err() {
            return Ok(());
        }
        match RuleSet::from_toml_str(&rules.body, new) {
            Ok(_) => Ok(()),
            Err(error) => Err(ServiceError::RulesInvalidated {
                rules_version: rules.version,
                error,
            }),
        }
    }

    /// The tenant's configuration, cached by document version.
    pub async fn context(&self, tenant: &TenantId) -> Result<Arc<TenantContext>, ServiceError> {
        // One round trip per command: the cached context is reused while no document
        // has a newer version.
        let versions = self.store.document_versions(tenant).await?;
        if versions.organisation == 0 {
            return Err(ServiceError::NotConfigured(tenant.to_string()));
        }
        if let Some(c) = self
            .cache
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(tenant)
        {
            if c.versions == versions {
                return Ok(c.clone());
            }
        }
        let doc = self
            .store
            .document(tenant, DocumentKind::Organisation)
            .await?
            .ok_or_else(|| ServiceError::NotConfigured(tenant.to_string()))?;
        let org = stored_organisation(&doc)?;
        let (rules, rules_problem) =
            match self.store.document(tenant, DocumentKind::RuleSet).await? {
                Some(doc) if versions.rule_set > 0 => RuleSet::from_stored(&doc.body, &org),
                _ => (RuleSet::fallback_only(&org), None),
            };
        let mut calendar = Calendar::new();
        if let Some(d) = self.store.document(tenant, DocumentKind::Calendar).await? {
            calendar
                .add_all(parse_calendar(&d.body)?)
                .map_err(|e| ServiceError::Config {
                    what: "calendar",
                    message: e.to_string(),
                })?;
        }
        let settings = match self.store.document(tenant, DocumentKind::Settings).await? {
            Some(d) => {
                TenantSettings::from_toml_str(&d.body).map_err(|e| ServiceError::Config {
                    what: "settings",
                    message: e.to_string(),
                })?
            }
            None => TenantSettings::default(),
        };
        let policies = settings.policies()?;
        let (policy_rules, policy_rules_problem) = match settings.policy_rules(&org) {
            Ok((r, _)) => (r, None),
            Err(e) => (PolicyRules::none(&org), Some(e)),
        };
        if let (Some(error), Some(hook)) = (&policy_rules_problem, &self.on_warning) {
            hook(&ConfigWarning::InvalidPolicyRules {
                tenant: tenant.clone(),
                settings_version: versions.settings,
                error: error.clone(),
            });
        }
        if let (Some(error), Some(hook)) = (&rules_problem, &self.on_warning) {
            hook(&ConfigWarning::InvalidRules {
                tenant: tenant.clone(),
                rules_version: versions.rule_set,
                org_version: doc.version,
                fallback: rules.fallback().clone(),
                error: error.clone(),
            });
        }
        let ctx = Arc::new(TenantContext {
            org,
            org_version: doc.version,
            rules,
            rules_version: versions.rule_set,
            rules_problem,
            policies,
            policy_rules,
            policy_rules_problem,
            calendar,
            settings,
            versions,
        });
        self.cache
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert(tenant.clone(), ctx.clone());
        Ok(ctx)
    }

    fn event(&self, version: u32, at: DateTime<Utc>, actor: &Actor, kind: EventKind) -> Event {
        Event {
            version,
            at,
            actor: actor.clone(),
            kind,
        }
    }

    /// Submits a new request: validates it, routes it, starts its clocks and queues the
    /// notices, in one transaction. Only back-office staff may give `received_at` (see
    /// [`Self::submit_forced`]).
    pub async fn submit(
        &self,
        actor: &Actor,
        new: NewRequest,
    ) -> Result<RequestRecord, ServiceError> {
        self.submit_with(actor, new, None).await
    }

    async fn submit_with(
        &self,
        actor: &Actor,
        new: NewRequest,
        force: Option<&str>,
    ) -> Result<RequestRecord, ServiceError> {
        self.submit_carrying(actor, new, force, None).await
    }

    /// [`Self::submit_with`], the new request carrying a council's decision when
    /// `decision` is given (its link written in the submission's commit).
    async fn submit_carrying(
        &self,
        actor: &Actor,
        new: NewRequest,
        force: Option<&str>,
        carried: Option<&council_decisions::Carried>,
    ) -> Result<RequestRecord, ServiceError> {
        let ctx = self.context(&actor.tenant).await?;
        let org = &ctx.org;
        authorize(
            actor,
            Action::Submit,
            &Target::NewRequest {
                tenant: &actor.tenant,
                muhtarlik: &new.muhtarlik,
            },
            org,
        )?;
        let now = self.clock.now();
        let mut content = new.validate(org, now)?;
        self.check_receipt(&ctx, actor, &new, &mut content, force, now)
            .await?;
        let decision = ctx.rules.decide(org, &content);
        let choice = ctx.policy_rules.choose(&content, &decision.unit);
        ctx.policies.get(&choice.policy)?;
        let system = Actor::system(actor.tenant.clone());
        let register = ctx.settings.documents.registers(content.channel);
        let mut last_err = None;
        let mut tracking_taken = 0;
        for _ in 0..documents::NUMBERING_ATTEMPTS {
            if tracking_taken == TRACKING_ATTEMPTS {
                break;
            }
            let (id, tracking) = {
                let mut g = self.ids();
                let id = g.request_id(now);
                (id, g.tracking_number())
            };
            let events = vec![
                self.event(
                    1,
                    now,
                    actor,
                    EventKind::Received {
                        id,
                        tenant: actor.tenant.clone(),
                        tracking,
                        content: content.clone(),
                        policy: choice.policy.clone(),
                        policy_rule: choice.rule.clone(),
                    },
                ),
                self.event(
                    2,
                    now,
                    &system,
                    EventKind::Routed {
                        unit: decision.unit.clone(),
                        rule: decision.rule.clone(),
                        rule_set_version: decision.rule_set_version.clone(),
                    },
                ),
            ];
            let mut events = events;
            let mut state = RequestState::fold(&events)?;
            let mut documents = Vec::new();
            // Registration on receipt, in the submission's transaction, for the channels
            // the settings list. A request whose unit has no registry is received
            // unregistered (registration then names the missing DETSİS number).
            if register && ctx.org.registry_of(&decision.unit).is_some() {
                let doc = self.incoming_document(&ctx, &state, now).await?;
                let e = self.event(
                    3,
                    now,
                    &system,
                    EventKind::DocumentRegistered {
                        document: doc.reference(),
                    },
                );
                state.apply(&e)?;
                events.push(e);
                documents.push(doc);
            }
            match self
                .write_full(
                    &ctx,
                    0,
                    events,
                    state,
                    now,
                    documents,
                    carried.map(|d| d.link(&actor.tenant, id, tracking, now)),
                )
                .await
            {
                Err(ServiceError::Store(StoreError::Duplicate { what })) => {
                    if what != crate::store::SEQUENCE_TAKEN {
                        tracking_taken += 1;
                    }
                    last_err = Some(StoreError::Duplicate { what });
                }
                other => return other,
            }
        }
        Err(ServiceError::Store(last_err.unwrap_or(
            StoreError::Duplicate {
                what: "tracking number".into(),
            },
        )))
    }

    async fn write(
        &self,
        ctx: &TenantContext,
        expected_version: u32,
        new_events: Vec<Event>,
        state: RequestState,
        now: DateTime<Utc>,
    ) -> Result<RequestRecord, ServiceError> {
        self.write_with(ctx, expected_version, new_events, state, now, Vec::new())
            .await
    }

    /// [`Self::write`] with the official documents the command numbers.
    async fn write_with(
        &self,
        ctx: &TenantContext,
        expected_version: u32,
        new_events: Vec<Event>,
        state: RequestState,
        now: DateTime<Utc>,
        documents: Vec<crate::document::Document>,
    ) -> Result<RequestRecord, ServiceError> {
        self.write_full(
            ctx,
            expected_version,
            new_events,
            state,
            now,
            documents,
            None,
        )
        .await
    }

    /// [`Self::write_with`] with the council decision a new request carries.
    #[allow(clippy::too_many_arguments)]
    async fn write_full(
        &self,
        ctx: &TenantContext,
        expected_version: u32,
        new_events: Vec<Event>,
        state: RequestState,
        now: DateTime<Utc>,
        documents: Vec<crate::document::Document>,
        decision: Option<crate::council::DecisionLink>,
    ) -> Result<RequestRecord, ServiceError> {
        let all_events = if expected_version == 0 {
            new_events.clone()
        } else {
            let mut all = self.store.events(&state.tenant, state.id).await?;
            all.extend(new_events.iter().cloned());
            all
        };
        let deadlines = ctx.deadlines(&state, &all_events, now)?;
        let record = RequestRecord { state, deadlines };
        let mut outbox = plan(
            &ctx.org,
            &record.state,
            &record.deadlines,
            &new_events,
            &mut self.ids(),
            now,
        );
        outbox.extend(self.council_notices(ctx, &record, &new_events, now).await?);
        let commit = Commit {
            expected_version,
            events: new_events,
            record: record.clone(),
            outbox,
            documents,
            decision,
        };
        self.store.commit(&commit).await?;
        Ok(record)
    }

    fn request_target<'a>(state: &'a RequestState) -> Target<'a> {
        Target::Request {
            tenant: &state.tenant,
            muhtarlik: &state.content.muhtarlik,
            unit: state.unit.as_ref(),
        }
    }

    async fn load_visible(
        &self,
        actor: &Actor,
        key: RequestKey<'_>,
    ) -> Result<(Arc<TenantContext>, RequestRecord), ServiceError> {
        self.load_for(actor, key, Action::Read).await
    }

    /// Loads a request if the actor may take `read` (a reading action) on it; else, and
    /// when there is none, [`ServiceError::NotFound`].
    async fn load_for(
        &self,
        actor: &Actor,
        key: RequestKey<'_>,
        read: Action,
    ) -> Result<(Arc<TenantContext>, RequestRecord), ServiceError> {
        let ctx = self.context(&actor.tenant).await?;
        let rec = match key {
            RequestKey::Tracking(t) => self.store.load_by_tracking(&actor.tenant, t).await,
            RequestKey::Id(id) => self.store.load(&actor.tenant, id).await,
        }
        .map_err(|e| match e {
            StoreError::NotFound { .. } => ServiceError::NotFound("request".into()),
            e => e.into(),
        })?;
        // Someone who may not read a request is told it does not exist.
        authorize(actor, read, &Self::request_target(&rec.state), &ctx.org)
            .map_err(|_| ServiceError::NotFound("request".into()))?;
        Ok((ctx, rec))
    }

    /// A request by tracking number, if the actor may see it.
    pub async fn get(
        &self,
        actor: &Actor,
        tracking: &TrackingNumber,
    ) -> Result<RequestRecord, ServiceError> {
        Ok(self
            .load_visible(actor, RequestKey::Tracking(tracking))
            .await?
            .1)
    }

    /// A request by id, if the actor may see it.
    pub async fn get_by_id(
        &self,
        actor: &Actor,
        id: RequestId,
    ) -> Result<RequestRecord, ServiceError> {
        Ok(self.load_visible(actor, RequestKey::Id(id)).await?.1)
    }

    /// A request's history, if the actor may see it.
    pub async fn history(
        &self,
        actor: &Actor,
        tracking: &TrackingNumber,
    ) -> Result<Vec<Event>, ServiceError> {
        let (_, rec) = self
            .load_visible(actor, RequestKey::Tracking(tracking))
            .await?;
        Ok(self.store.events(&actor.tenant, rec.state.id).await?)
    }

    /// Runs a command on a request. With `expected_version`, fails with
    /// [`ServiceError::Conflict`] if the request changed since the caller read it.
    pub async fn execute(
        &self,
        actor: &Actor,
        tracking: &TrackingNumber,
        expected_version: Option<u32>,
        command: Command,
    ) -> Result<RequestRecord, ServiceError> {
        let (ctx, rec) = self
            .load_visible(actor, RequestKey::Tracking(tracking))
            .await?;
        let state = rec.state;
        if let Some(v) = expected_version {
            if v != state.version {
                return Err(ServiceError::Conflict {
                    expected: v,
                    actual: state.version,
                });
            }
        }
        authorize(
            actor,
            command.action(),
            &Self::request_target(&state),
            &ctx.org,
        )?;
        if let Command::Merge { into } = &command {
            let other = self
                .store
                .load_by_tracking(&actor.tenant, into)
                .await
                .map_err(|_| {
                    ServiceError::Input(InputError::unknown("into", into.to_string(), [""; 0]))
                })?;
            if other.state.id == state.id {
                return Err(LifecycleError::SelfMerge.into());
            }
        }
        if let Command::SetPolicy { policy, .. } = &command {
            if ctx.policies.get(policy).is_err() {
                return Err(InputError::unknown("policy", policy, ctx.policies.names()).into());
            }
        }
        let now = self.clock.now();
        let policy = ctx.policies.get(&state.policy)?;
        let dctx = DecideContext {
            org: &ctx.org,
            now,
            actor,
            restart_clock_on_transfer: policy.reassignment == Reassignment::Restart,
        };
        let kinds = state.decide(&command, &dctx)?;
        let mut next = state.clone();
        let mut events = Vec::with_capacity(kinds.len());
        for (i, kind) in kinds.into_iter().enumerate() {
            let e = self.event(state.version + 1 + i as u32, now, actor, kind);
            next.apply(&e)?;
            events.push(e);
        }
        self.write(&ctx, state.version, events, next, now).await
    }

    /// Lists requests the actor may see, urgent (İVEDİ) first in either order. A muhtar
    /// sees only their muhtarlık; unit staff only their unit and the units below it.
    pub async fn list(
        &self,
        actor: &Actor,
        query: RequestQuery,
    ) -> Result<Page<RequestRecord>, ServiceError> {
        self.query_for(actor, query, Action::Read).await
    }

    /// The listing of [`Self::list`] for an actor who takes `read` (a reading action)
    /// on the tenant: a muhtar's and unit staff's listings are narrowed to what they
    /// may see, anyone else's is authorized.
    async fn query_for(
        &self,
        actor: &Actor,
        query: RequestQuery,
        read: Action,
    ) -> Result<Page<RequestRecord>, ServiceError> {
        let ctx = self.context(&actor.tenant).await?;
        match Self::scoped(actor, &ctx, query, read)? {
            Some(query) => Ok(self.store.query(&actor.tenant, &query).await?),
            None => Ok(Page {
                items: vec![],
                next: None,
            }),
        }
    }

    /// `query` narrowed to what `actor` may see when it takes `read` (a reading action)
    /// on the tenant: a muhtar's to their muhtarlık, unit staff's to their unit and those
    /// below it; anyone else is authorized. `None`: the query asks for nothing they may
    /// see (another muhtarlık, units outside theirs).
    fn scoped(
        actor: &Actor,
        ctx: &TenantContext,
        mut query: RequestQuery,
        read: Action,
    ) -> Result<Option<RequestQuery>, ServiceError> {
        // The one free-text filter: no category code holds a control character, and
        // PostgreSQL refuses a NUL in text outright.
        if query
            .category
            .as_deref()
            .is_some_and(|c| c.chars().any(char::is_control))
        {
            return Err(InputError::Invalid {
                field: "category",
                message: "contains control characters".into(),
            }
            .into());
        }
        match &actor.role {
            Role::Muhtar(m) => {
                if query.muhtarlik.as_ref().is_some_and(|q| q != m) {
                    return Ok(None);
                }
                query.muhtarlik = Some(m.clone());
            }
            Role::UnitStaff(u) => {
                let mine = ctx.org.subtree(u);
                query.units = Some(match query.units.take() {
                    None => mine,
                    Some(asked) => asked.into_iter().filter(|a| mine.contains(a)).collect(),
                });
                if query.units.as_ref().is_some_and(|u| u.is_empty()) {
                    return Ok(None);
                }
            }
            _ => authorize(actor, read, &Target::Tenant(&actor.tenant), &ctx.org)?,
        }
        Ok(Some(query))
    }

    /// A unit's open requests, urgent (İVEDİ) first, then by deadline (its queue), the unit
    /// and those below it.
    pub async fn queue(
        &self,
        actor: &Actor,
        unit: &UnitCode,
        limit: u32,
        after: Option<crate::store::Cursor>,
    ) -> Result<Page<RequestRecord>, ServiceError> {
        let ctx = self.context(&actor.tenant).await?;
        if ctx.org.unit(unit).is_none() {
            return Err(ServiceError::NotFound(format!("unit {unit}")));
        }
        authorize(
            actor,
            Action::ReadQueue,
            &Target::Unit {
                tenant: &actor.tenant,
                unit,
            },
            &ctx.org,
        )?;
        let query = RequestQuery {
            units: Some(ctx.org.subtree(unit)),
            statuses: Some(Status::ALL.into_iter().filter(|s| s.is_open()).collect()),
            order: crate::store::Order::Deadline,
            limit,
            after,
            ..RequestQuery::default()
        };
        Ok(self.store.query(&actor.tenant, &query).await?)
    }
}

impl<S: Store, C: Clock> Mbs<S, C> {
    async fn put_doc(
        &self,
        actor: &Actor,
        kind: DocumentKind,
        body: String,
    ) -> Result<u32, ServiceError> {
        let ctx = self.context(&actor.tenant).await?;
        authorize(
            actor,
            Action::Manage,
            &Target::Tenant(&actor.tenant),
            &ctx.org,
        )?;
        let current = self.store.document_version(&actor.tenant, kind).await?;
        let doc = Document {
            tenant: actor.tenant.clone(),
            kind,
            version: current + 1,
            body,
            updated_at: self.clock.now(),
            updated_by: actor.to_string(),
        };
        self.store.put_document(&doc).await?;
        Ok(doc.version)
    }

    /// Adds days to the tenant's calendar (idari izin, local closures, corrections) and
    /// recomputes the deadlines of open requests. Returns how many deadlines moved.
    /// Answered and closed requests keep the deadlines they were decided against.
    pub async fn add_calendar_days(
        &self,
        actor: &Actor,
        additions: Vec<CalendarAddition>,
    ) -> Result<usize, ServiceError> {
        let mut all = match self
            .store
            .document(&actor.tenant, DocumentKind::Calendar)
            .await?
        {
            Some(d) => parse_calendar(&d.body)?,
            None => Vec::new(),
        };
        // Check the additions apply before anything is written.
        let mut check = Calendar::new();
        check
            .add_all(all.iter().cloned().chain(additions.iter().cloned()))
            .map_err(|e| ServiceError::Config {
                what: "calendar",
                message: e.to_string(),
            })?;
        all.extend(additions);
        let body = serde_json::to_string_pretty(&all)
            .map_err(|e| StoreError::invalid_because("calendar additions", e))?;
        self.put_doc(actor, DocumentKind::Calendar, body).await?;
        self.recompute_open_deadlines(&actor.tenant).await
    }

    /// Validates a routing rule set (TOML) against the tenant's organisation and installs
    /// it as the next version; returns the version label recorded on routed events and the
    /// warnings. A rule set with errors is refused whole and nothing is written.
    pub async fn install_rules(
        &self,
        actor: &Actor,
        toml_text: &str,
    ) -> Result<(String, Vec<crate::routing::Problem>), ServiceError> {
        let ctx = self.context(&actor.tenant).await?;
        let (rules, warnings) =
            RuleSet::from_toml_str(toml_text, &ctx.org).map_err(|e| ServiceError::Config {
                what: "rule set",
                message: e.to_string(),
            })?;
        self.put_doc(actor, DocumentKind::RuleSet, toml_text.to_owned())
            .await?;
        Ok((rules.version_label().to_owned(), warnings))
    }

    /// Installs the tenant's settings (TOML, see [`TenantSettings`]), checked by the
    /// hook set with [`Self::check_settings_with`] too.
    pub async fn install_settings(
        &self,
        actor: &Actor,
        toml_text: &str,
    ) -> Result<u32, ServiceError> {
        let settings =
            TenantSettings::from_toml_str(toml_text).map_err(|e| ServiceError::Config {
                what: "settings",
                message: e.to_string(),
            })?;
        if let Some(check) = &self.settings_check {
            check(&settings).map_err(|e| ServiceError::Config {
                what: "settings",
                message: e.to_string(),
            })?;
        }
        let ctx = self.context(&actor.tenant).await?;
        settings
            .policy_rules(&ctx.org)
            .map_err(|e| ServiceError::Config {
                what: "settings",
                message: policy_rules_message(&e),
            })?;
        if let Some(unknown) = settings
            .documents
            .sdp
            .keys()
            .find(|c| ctx.org.category(c).is_none())
        {
            let valid: Vec<&str> = ctx.org.categories.iter().map(|c| c.code.as_str()).collect();
            return Err(ServiceError::Config {
                what: "settings",
                message: format!(
                    "[documents.sdp]: unknown category `{unknown}`; valid: {}",
                    valid.join(", ")
                ),
            });
        }
        self.put_doc(actor, DocumentKind::Settings, toml_text.to_owned())
            .await
    }

    /// Recomputes the deadlines of every open request of a tenant against the current
    /// calendar and policies; returns how many changed. A request changed meanwhile by a
    /// command already has fresh deadlines and is skipped.
    pub async fn recompute_open_deadlines(&self, tenant: &TenantId) -> Result<usize, ServiceError> {
        let ctx = self.context(tenant).await?;
        let now = self.clock.now();
        let mut query = RequestQuery {
            statuses: Some(Status::ALL.into_iter().filter(|s| s.is_open()).collect()),
            limit: crate::store::MAX_PAGE,
            ..RequestQuery::default()
        };
        let mut changed = 0;
        loop {
            let page = self.store.query(tenant, &query).await?;
            for rec in &page.items {
                let events = self.store.events(tenant, rec.state.id).await?;
                let d = ctx.deadlines(&rec.state, &events, now)?;
                if d != rec.deadlines {
                    match self
                        .store
                        .update_deadlines(tenant, rec.state.id, rec.state.version, &d)
                        .await
                    {
                        Ok(()) => changed += 1,
                        Err(StoreError::Conflict { .. }) => {}
                        Err(e) => return Err(e.into()),
                    }
                }
            }
            match page.next {
                Some(c) => query.after = Some(c),
                None => return Ok(changed),
            }
        }
    }

    /// Evaluates every open request's clocks and queues an at-risk notice (to the unit) or
    /// a breach notice (to the unit and the responsible official) once per threshold and
    /// deadline. Running it again queues nothing new. A request whose Law 4982 fee went
    /// unpaid past its payment period (art. 12) is recorded as deemed withdrawn, once.
    pub async fn sweep(&self, tenant: &TenantId) -> Result<SweepReport, ServiceError> {
        let ctx = self.context(tenant).await?;
        let now = self.clock.now();
        let mut query = RequestQuery {
            statuses: Some(Status::ALL.into_iter().filter(|s| s.is_open()).collect()),
            limit: crate::store::MAX_PAGE,
            ..RequestQuery::default()
        };
        let mut report = SweepReport::default();
        loop {
            let page = self.store.query(tenant, &query).await?;
            for rec in &page.items {
                report.checked += 1;
                if self.withdraw_if_fee_unpaid(&ctx, rec, now).await? {
                    report.deemed_withdrawn += 1;
                    continue;
                }
                let events = self.store.events(tenant, rec.state.id).await?;
                let eval = ctx.evaluate(&rec.state, &events, now)?;
                let kind = match eval.resolution.state {
                    ClockState::AtRisk => {
                        report.at_risk += 1;
                        crate::outbox::NoticeKind::AtRisk
                    }
                    ClockState::Breached => {
                        report.breached += 1;
                        crate::outbox::NoticeKind::Breached
                    }
                    _ => continue,
                };
                let due = eval.resolution.due.with_timezone(&Utc);
                let msgs = crate::outbox::plan_escalation(
                    &ctx.org,
                    &rec.state,
                    &rec.deadlines,
                    kind,
                    due,
                    &mut self.ids(),
                    now,
                );
                report.queued += self.store.enqueue(&msgs).await?;
            }
            match page.next {
                Some(c) => query.after = Some(c),
                None => break,
            }
        }
        let n = self.queue_report_ready(tenant, &ctx, now).await?;
        report.report_ready = n;
        report.queued += n;
        Ok(report)
    }

    /// Law 4982 art. 12: records a request whose fee went unpaid past its payment period
    /// as deemed withdrawn (negative, reason `fee-unpaid`, with its notice). Returns
    /// whether it did; a request changed meanwhile is left to the next sweep.
    async fn withdraw_if_fee_unpaid(
        &self,
        ctx: &TenantContext,
        rec: &RequestRecord,
        now: DateTime<Utc>,
    ) -> Result<bool, ServiceError> {
        let Some(fee) = &rec.state.fee else {
            return Ok(false);
        };
        let policy = ctx.policies.get(&rec.state.policy)?;
        let Some(period) = SlaClock::new(policy, &ctx.calendar).fee_payment_due(fee.notified_at)?
        else {
            return Ok(false);
        };
        if now <= period.due {
            return Ok(false);
        }
        let system = Actor::system(rec.state.tenant.clone());
        let event = self.event(
            rec.state.version + 1,
            now,
            &system,
            EventKind::DeemedWithdrawn {
                reason: crate::reason::ReasonCode::new(crate::reason::FEE_UNPAID),
                fee_notified_at: fee.notified_at,
                period_ended: period.due,
            },
        );
        let mut next = rec.state.clone();
        next.apply(&event)?;
        match self
            .write(ctx, rec.state.version, vec![event], next, now)
            .await
        {
            Ok(_) => Ok(true),
            Err(ServiceError::Conflict { .. }) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Queues the report-ready notice for the last ended quarter, once, if the tenant had
    /// requests by then and that quarter's tenant-wide report is not signed yet.
    async fn queue_report_ready(
        &self,
        tenant: &TenantId,
        ctx: &TenantContext,
        now: DateTime<Utc>,
    ) -> Result<usize, ServiceError> {
        let quarter = crate::report::Quarter::containing(now).previous();
        let any = self
            .store
            .query(
                tenant,
                &RequestQuery {
                    received_until: Some(quarter.end()),
                    limit: 1,
                    ..RequestQuery::default()
                },
            )
            .await?;
        if any.items.is_empty() {
            return Ok(0);
        }
        let signed = self.store.signed_reports(tenant).await?;
        if signed
            .iter()
            .any(|r| r.quarter == quarter && r.unit.is_none())
        {
            return Ok(0);
        }
        let msgs = crate::outbox::plan_report_ready(&ctx.org, quarter, &mut self.ids(), now);
        Ok(self.store.enqueue(&msgs).await?)
    }

    /// A request's deadline clocks now, with their explanations.
    pub async fn deadline(
        &self,
        actor: &Actor,
        tracking: &TrackingNumber,
    ) -> Result<SlaEvaluation, ServiceError> {
        let (ctx, rec) = self
            .load_visible(actor, RequestKey::Tracking(tracking))
            .await?;
        let events = self.store.events(&actor.tenant, rec.state.id).await?;
        ctx.evaluate(&rec.state, &events, self.clock.now())
    }
}

/// What a deadline sweep found and queued.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct SweepReport {
    /// Open requests evaluated.
    pub checked: usize,
    /// Of those, within the warning window.
    pub at_risk: usize,
    /// Of those, past the deadline.
    pub breached: usize,
    /// Notices newly queued (0 when a sweep repeats).
    pub queued: usize,
    /// Report-ready notices newly queued (the last quarter awaits its sign-off).
    pub report_ready: usize,
    /// Requests deemed withdrawn because their Law 4982 fee went unpaid (art. 12).
    pub deemed_withdrawn: usize,
}

fn parse_calendar(body: &str) -> Result<Vec<CalendarAddition>, ServiceError> {
    serde_json::from_str(body).map_err(|e| ServiceError::Config {
        what: "calendar",
        message: e.to_string(),
    })
}

enum RequestKey<'a> {
    Tracking(&'a TrackingNumber),
    Id(RequestId),
}
