//! The `muhtar` commands that keep state: init, demo, start, submit, show, list, the
//! lifecycle commands, and export. Every command acts as the actor given by `--as` and
//! goes through the same service façade (validation, authorization, one transaction) as
//! any portal.

use std::io::Write;
use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use clap::{Args, Subcommand};
use muhtar_core::access::{Actor, Role};
use muhtar_core::clock::ManualClock;
use muhtar_core::demo;
use muhtar_core::ids::{TenantId, UnitCode};
use muhtar_core::reason::ReasonCode;
use muhtar_core::request::{
    parse_instant, Channel, Command, CommandName, NewRequest, Outcome, PauseReason, ReplyBy,
    RequestKind, Status,
};
use muhtar_core::service::{Mbs, ServiceError, SetupError, TenantSetup};
use muhtar_core::store::{Cursor, Order, RequestQuery, RequestRecord, Store};
use muhtar_core::tracking::TrackingNumber;

use crate::db;
use muhtar_http::OsRandom;

/// Options every stateful command shares.
#[derive(Debug, Clone, Args)]
pub struct Global {
    /// Database URL: `sqlite://PATH` (default) or `postgres://...`.
    #[arg(
        long,
        env = "MUHTAR_DB",
        default_value = "sqlite://muhtar.db",
        global = true
    )]
    pub db: String,
    /// Who acts (a role, optionally followed by @user).
    #[arg(
        long = "as",
        help = format!(
            "Who acts: {}, optionally followed by @user",
            muhtar_core::access::RoleKind::forms()
        ),
        env = "MUHTAR_AS",
        default_value = "coordinator",
        global = true
    )]
    pub actor: String,
    /// Tenant id (default: the only tenant in the database).
    #[arg(long, env = "MUHTAR_TENANT", global = true)]
    pub tenant: Option<String>,
    /// Print results as JSON.
    #[arg(long, global = true)]
    pub json: bool,
    /// The document signing key file (`muhtar document key new`): documents are signed
    /// with it while the tenant's `[[documents.keys]]` lists it in force.
    #[arg(long, env = "MUHTAR_SIGNING_KEY", global = true, value_name = "FILE")]
    pub signing_key: Option<std::path::PathBuf>,
    /// The identity-number key file (`muhtar council identity-key new`): council members'
    /// identity numbers are kept as a keyed hash under it; without it they are refused.
    #[arg(long, env = "MUHTAR_IDENTITY_KEY", global = true, value_name = "FILE")]
    pub identity_key: Option<std::path::PathBuf>,
}

/// `muhtar init`.
#[derive(Debug, Clone, Args)]
pub struct InitArgs {
    /// Organisation file (TOML); default: the shipped example.
    #[arg(long)]
    pub org: Option<std::path::PathBuf>,
    /// Routing rule file (TOML); default: the shipped example.
    #[arg(long)]
    pub rules: Option<std::path::PathBuf>,
    /// Tenant settings file (TOML: quiet hours, SMS gateway, SLA policies, policy rules,
    /// `[open311]`); default: the shipped example (its policy rules) when the tenant has
    /// no settings yet.
    #[arg(long)]
    pub settings: Option<std::path::PathBuf>,
    /// Install the organisation even though the routing rules do not validate against
    /// it: the rules are then not installed, and every request goes to the fallback unit
    /// until rules that fit are (`muhtar rules show` says why).
    #[arg(long)]
    pub force: bool,
}

/// `muhtar demo`.
#[derive(Debug, Clone, Args)]
pub struct DemoArgs {
    /// Seed of the random choices.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Number of requests.
    #[arg(long, default_value_t = 500)]
    pub requests: usize,
    /// Last day of the data (default: today); nothing is dated after now.
    #[arg(long)]
    pub until: Option<NaiveDate>,
    /// Directory for uploaded photos and documents, where the demo's photos are stored
    /// (as `muhtar serve --uploads`).
    #[arg(long, env = "MUHTAR_UPLOADS", default_value = DEFAULT_UPLOADS)]
    pub uploads: std::path::PathBuf,
}

/// The uploads directory `muhtar serve` and the demo use unless told otherwise.
pub const DEFAULT_UPLOADS: &str = "muhtar-uploads";

/// The uploads directory of a command without `--uploads` (`muhtar start`):
/// `MUHTAR_UPLOADS`, else [`DEFAULT_UPLOADS`].
pub fn uploads_dir() -> std::path::PathBuf {
    std::env::var_os("MUHTAR_UPLOADS")
        .filter(|v| !v.is_empty())
        .map(Into::into)
        .unwrap_or_else(|| DEFAULT_UPLOADS.into())
}

/// Stores the demo's photos ([`demo::photos`]) in the uploads directory `dir`, so the
/// attachments of the demo requests can be served.
async fn store_demo_photos(dir: &std::path::Path) -> Result<(), String> {
    use muhtar_http::uploads::{Content, FsUploads, UploadStore};
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let store = FsUploads::new(dir.to_path_buf());
    for p in demo::photos() {
        let a = &p.attachment;
        store
            .put(&a.sha256, &a.media_type, &Content::from_bytes(p.bytes))
            .await
            .map_err(|e| format!("cannot store a demo photo in {}: {e}", dir.display()))?;
    }
    Ok(())
}

/// `muhtar submit`.
#[derive(Debug, Clone, Args)]
pub struct SubmitArgs {
    /// A JSON file with the request (`-` for standard input); flags override its fields.
    #[arg(long)]
    pub file: Option<String>,
    /// Muhtarlık code (default: the acting muhtar's).
    #[arg(long)]
    pub muhtarlik: Option<String>,
    /// Category code.
    #[arg(long)]
    pub category: Option<String>,
    /// Subject.
    #[arg(long)]
    pub subject: Option<String>,
    /// Description.
    #[arg(long)]
    pub description: Option<String>,
    /// How it arrived (default: mbs-web for a muhtar, phone for back-office staff).
    #[arg(long, value_parser = crate::named_arg::<Channel>(Channel::NAMES))]
    pub channel: Option<Channel>,
    /// What sort of request it is (default: request).
    #[arg(long, value_parser = crate::named_arg::<RequestKind>(RequestKind::NAMES))]
    pub kind: Option<RequestKind>,
    /// Mark urgent (İVEDİ): listed first, the responsible official is notified.
    #[arg(long)]
    pub urgent: bool,
    /// The date the letter asks the answer by (günlü yazı), e.g. 2026-12-15 or an
    /// RFC 3339 instant: the resolution deadline unless the policy's is earlier.
    #[arg(long)]
    pub reply_by: Option<String>,
    /// Latitude.
    #[arg(long, requires = "lon", allow_hyphen_values = true)]
    pub lat: Option<f64>,
    /// Longitude.
    #[arg(long, requires = "lat", allow_hyphen_values = true)]
    pub lon: Option<f64>,
    /// Address text.
    #[arg(long)]
    pub address: Option<String>,
    /// Official registration number of a paper document.
    #[arg(long)]
    pub registration_number: Option<String>,
    /// When it reached the body (RFC 3339, e.g. 2026-06-15T10:00:00+03:00): back-office
    /// staff only (coordinator, unit staff), at most the tenant's window back (default
    /// 30 days), never in the future.
    #[arg(long)]
    pub received_at: Option<String>,
    /// The coordinator's reason for a --received-at inside a quarter whose report is
    /// signed (the signed report is then marked as needing a correction).
    #[arg(long)]
    pub force_reason: Option<String>,
    /// Print only the tracking number, for scripts: `TR=$(muhtar submit ... --quiet)`.
    #[arg(long, short = 'q')]
    pub quiet: bool,
}

/// `muhtar list`.
#[derive(Debug, Clone, Args)]
pub struct ListArgs {
    /// Only this unit and the units below it.
    #[arg(long)]
    pub unit: Option<String>,
    /// Only this muhtarlık.
    #[arg(long)]
    pub muhtarlik: Option<String>,
    /// Only this status (repeatable).
    #[arg(long, help = format!(
        "Only this status (repeatable, or comma-separated; `open` for every open status; \
         default for unit staff: open): {}",
        Status::valid_values()
    ))]
    pub status: Vec<String>,
    /// Only open requests past their deadline.
    #[arg(long)]
    pub overdue: bool,
    /// Only open requests within the warning window before their deadline.
    #[arg(long, conflicts_with = "overdue")]
    pub at_risk: bool,
    /// Page size.
    #[arg(long, default_value_t = 50)]
    pub limit: u32,
    /// Continue after this cursor (printed at the end of the previous page).
    #[arg(long)]
    pub after: Option<String>,
}

/// A command on one request.
#[derive(Debug, Clone, Args)]
pub struct OnRequest {
    /// Tracking number (takip numarası).
    pub tracking: String,
    /// Fail if the request is no longer at this version.
    #[arg(long)]
    pub expect_version: Option<u32>,
}

/// The lifecycle commands.
#[derive(Debug, Clone, Subcommand)]
pub enum Lifecycle {
    /// Accept a request into the unit's work.
    #[command(name = CommandName::Accept.verb())]
    Accept(OnRequest),
    /// Send a progress note (ara cevap).
    #[command(name = CommandName::InterimReply.verb())]
    Reply {
        #[command(flatten)]
        on: OnRequest,
        /// The note.
        #[arg(long)]
        text: String,
    },
    /// Answer with an outcome.
    #[command(name = CommandName::Answer.verb())]
    Answer {
        #[command(flatten)]
        on: OnRequest,
        /// positive (olumlu) or negative (olumsuz).
        #[arg(long)]
        outcome: String,
        /// Reason code (gerekçe), required when negative.
        #[arg(long)]
        reason: Option<String>,
        /// Explanation of the reason (required for `other`).
        #[arg(long)]
        reason_text: Option<String>,
        /// The answer text.
        #[arg(long)]
        text: String,
    },
    /// Close an answered request.
    #[command(name = CommandName::Close.verb())]
    Close(OnRequest),
    /// Reopen an answered or closed request (the muhtar, within the window).
    #[command(name = CommandName::Reopen.verb())]
    Reopen {
        #[command(flatten)]
        on: OnRequest,
        /// Why.
        #[arg(long)]
        reason: String,
    },
    /// Transfer to another unit (the unit that has it).
    #[command(name = CommandName::Transfer.verb())]
    Transfer {
        #[command(flatten)]
        on: OnRequest,
        /// Target unit code.
        #[arg(long)]
        to: String,
        /// Why.
        #[arg(long)]
        reason: String,
    },
    /// Correct a misrouted request (coordinator).
    #[command(name = CommandName::Reroute.verb())]
    Reroute {
        #[command(flatten)]
        on: OnRequest,
        /// Target unit code.
        #[arg(long)]
        to: String,
        /// Why.
        #[arg(long)]
        reason: String,
    },
    /// Wait on the muhtar (pauses the deadline clocks).
    #[command(name = CommandName::Pause.verb())]
    Pause {
        #[command(flatten)]
        on: OnRequest,
        /// What is asked of the muhtar.
        #[arg(long)]
        note: String,
        /// The wait is for a fee (Law 4982).
        #[arg(long)]
        fee: bool,
    },
    /// End the wait.
    #[command(name = CommandName::Resume.verb())]
    Resume {
        #[command(flatten)]
        on: OnRequest,
        /// What was received.
        #[arg(long, default_value = "")]
        note: String,
    },
    /// Withdraw (the muhtar).
    #[command(name = CommandName::Withdraw.verb())]
    Withdraw {
        #[command(flatten)]
        on: OnRequest,
        /// Why.
        #[arg(long, default_value = "")]
        reason: String,
    },
    /// Send a message on a request.
    #[command(name = CommandName::Message.verb())]
    Message {
        #[command(flatten)]
        on: OnRequest,
        /// The text.
        #[arg(long)]
        text: String,
    },
    /// Extend a Law 4982 deadline once, to 30 business days, before the 15 run out; the
    /// reason is notified.
    #[command(name = CommandName::Extend.verb())]
    Extend {
        #[command(flatten)]
        on: OnRequest,
        /// The reason notified to the applicant.
        #[arg(long)]
        reason: String,
    },
    /// Notify a Law 4982 fee: the clock stops until it is paid; unpaid for 15 business
    /// days, the request is deemed withdrawn by the sweep.
    #[command(name = CommandName::NotifyFee.verb())]
    Fee {
        #[command(flatten)]
        on: OnRequest,
        /// The amount in TL, e.g. 12.50 or 12,50.
        #[arg(long)]
        amount: String,
        /// What the fee is for, how to pay it.
        #[arg(long, default_value = "")]
        note: String,
    },
    /// The notified fee was paid: the clock runs again.
    #[command(name = CommandName::FeePaid.verb())]
    FeePaid {
        #[command(flatten)]
        on: OnRequest,
        /// A receipt number or remark.
        #[arg(long, default_value = "")]
        note: String,
    },
    /// Set or change a request's SLA policy (coordinator; open requests only): its
    /// deadlines are recomputed under the new policy, pauses kept.
    #[command(name = CommandName::SetPolicy.verb())]
    SetPolicy {
        #[command(flatten)]
        on: OnRequest,
        /// The policy, e.g. bilgi-edinme-4982.
        #[arg(long)]
        policy: String,
        /// Why.
        #[arg(long)]
        reason: String,
    },
}

/// `muhtar export`.
#[derive(Debug, Clone, Args)]
pub struct ExportArgs {
    /// Output format.
    #[arg(long, default_value = "jsonl")]
    pub format: String,
    /// Output file (default: standard output).
    #[arg(long)]
    pub out: Option<std::path::PathBuf>,
}

/// The service every command and the HTTP server use: the store named by `--db` and the
/// wall clock.
pub use muhtar_http::Service;

/// The wall clock.
pub fn now() -> DateTime<Utc> {
    Utc::now()
}

fn err<E: std::fmt::Display>(e: E) -> String {
    e.to_string()
}

/// Opens the database (it must be migrated: `muhtar init`), and the service on it.
pub async fn service(g: &Global) -> Result<(Service, TenantId), String> {
    let mbs = open_service(g).await?;
    let tenant = resolve_tenant(mbs.store(), g).await?;
    Ok((mbs, tenant))
}

/// Opens the database named by `--db` (it must be migrated: `muhtar init`) and the
/// service on it, for every tenant it holds. The one place the service is built.
pub async fn open_service(g: &Global) -> Result<Service, String> {
    let keys = crate::document_cmd::signing_keys(g.signing_key.as_deref())?;
    let identity = crate::council_cmd::identity_keys(g.identity_key.as_deref())?;
    Ok(service_on(db::open(&g.db, false).await?, keys)?.identity_keys(identity))
}

/// The service on an open store: wall clock, ids from the operating system's randomness
/// ([`OsRandom`]: unpredictable, fresh in every process), configuration warnings logged,
/// settings' notice templates checked when installed, documents signed with `keys`
/// (`--signing-key`).
fn service_on(
    store: Arc<dyn Store>,
    keys: Vec<muhtar_core::document::DocumentKey>,
) -> Result<Service, String> {
    let clock: Arc<dyn muhtar_core::clock::Clock> = Arc::new(now);
    let random =
        OsRandom::new().map_err(|e| format!("no randomness from the operating system: {e}"))?;
    Ok(Mbs::new(store, clock, random)
        .on_warning(log_config_warning)
        .check_settings_with(muhtar_notify::check_templates)
        .document_keys(keys))
}

/// Logs a configuration warning (a stored rule set that no longer validates, …):
/// through `tracing` when a subscriber is set (`muhtar serve`), else on standard error.
fn log_config_warning(w: &muhtar_core::service::ConfigWarning) {
    if tracing::dispatcher::has_been_set() {
        tracing::warn!("{w}");
    } else {
        eprintln!("warning: {w}");
    }
}

pub async fn resolve_tenant(store: &Arc<dyn Store>, g: &Global) -> Result<TenantId, String> {
    if let Some(t) = &g.tenant {
        return TenantId::new(t.clone()).map_err(err);
    }
    let tenants = store.tenants().await.map_err(err)?;
    match tenants.as_slice() {
        [] => Err(format!(
            "the database {} has no organisation yet: run `muhtar init`",
            g.db
        )),
        [one] => Ok(one.clone()),
        many => Err(format!(
            "the database holds {} tenants ({}): choose one with --tenant",
            many.len(),
            many.iter()
                .map(|t| t.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )),
    }
}

pub fn actor(g: &Global, tenant: &TenantId) -> Result<Actor, String> {
    Actor::parse(tenant, &g.actor).map_err(|e| format!("--as {}: {e}", g.actor))
}

fn read_file(path: &std::path::Path) -> Result<String, String> {
    std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))
}

/// `muhtar init`: creates or migrates the database and loads the organisation and rules.
///
/// The rules (`--rules`, default the shipped example) are checked against the
/// organisation before anything is written: rules that do not fit refuse the whole
/// command, naming their problems, unless `--force` installs the organisation alone.
pub async fn init(g: &Global, a: &InitArgs) -> Result<(), String> {
    let store = db::open(&g.db, true).await?;
    let org = crate::org_file::load(a.org.as_deref())?;
    let tenant = org.tenant.id.clone();
    let (rules_name, rules_text) = crate::rules_text(a.rules.as_deref())?;
    let (settings_name, settings_text) = crate::settings_text(a.settings.as_deref())?;
    let mbs = service_on(
        store,
        crate::document_cmd::signing_keys(g.signing_key.as_deref())?,
    )?;
    let setup = TenantSetup {
        organisation: org.clone(),
        rules: &rules_text,
        settings: &settings_text,
        keep_stored_settings: a.settings.is_none(),
        force: a.force,
    };
    let done = mbs.setup_tenant(setup).await.map_err(|e| match e {
        SetupError::RulesDoNotFit(e) => format!(
            "{rules_name} does not validate against organisation {tenant}; nothing was \
             written (give --rules with rules that fit, or --force to install the \
             organisation alone):\n{}",
            crate::rules_cmd::problem_lines(&e).join("\n")
        ),
        SetupError::Settings(e) => format!("{settings_name}: {e}; nothing was written"),
        e => e.to_string(),
    })?;
    if let Some(e) = &done.rules_not_installed {
        eprintln!(
            "warning: {rules_name} not installed (--force): it does not validate against \
             the organisation:\n{}",
            crate::rules_cmd::problem_lines(e).join("\n")
        );
    }
    for w in &done.rule_warnings {
        eprintln!("{w}");
    }
    let (org_version, rules_version, settings_version) = (
        done.organisation_version,
        done.rules_version,
        done.settings_version,
    );
    let result = serde_json::json!({
        "db": g.db,
        "tenant": tenant,
        "organisation_version": org_version,
        "units": org.units.len(),
        "muhtarliklar": org.muhtarliklar.len(),
        "rule_set_version": rules_version,
        "settings_version": settings_version,
    });
    if g.json {
        outln!("{result}");
    } else {
        outln!(
            "{}: tenant {} ready ({} units, {} muhtarlık, organisation v{org_version}, rules {rules_version}, settings v{settings_version})",
            g.db,
            tenant,
            org.units.len(),
            org.muhtarliklar.len()
        );
    }
    Ok(())
}

/// `muhtar demo`: the demo data of [`demo::plan`], written by [`demo::run`] on a
/// service with its own manual clock and the demo's seed; progress on a terminal.
pub async fn demo(g: &Global, a: &DemoArgs) -> Result<(), String> {
    let store = db::open(&g.db, false).await?;
    let tenant = resolve_tenant(&store, g).await?;
    let spec = demo::DemoSpec {
        seed: a.seed,
        requests: a.requests,
        until: a.until.unwrap_or_else(|| Utc::now().date_naive()),
        now: Some(Utc::now()),
    };
    store_demo_photos(&a.uploads).await?;
    let mbs = Mbs::new(
        store,
        ManualClock::new(spec.start()),
        muhtar_core::ids::SeededRandom::new(spec.seed),
    );
    let terminal = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let summary = demo::run(&mbs, &tenant, &spec, |done, total| {
        if terminal && (done % 25 == 0 || done == total) {
            eprint!("\rdemo: {done}/{total} requests");
            if done == total {
                eprintln!();
            }
        }
    })
    .await
    .map_err(err)?;
    if g.json {
        outln!("{}", serde_json::to_string(&summary).map_err(err)?);
    } else {
        outln!(
            "demo: {} requests, {} commands; {} positive, {} negative, {} open; {} past notices recorded as delivered",
            summary.requests,
            summary.commands,
            summary.positive,
            summary.negative,
            summary.open,
            summary.notices
        );
    }
    Ok(())
}

/// `muhtar start`: sets up the database on first use (example organisation, rules and
/// demo data) and shows where the work stands.
/// On a new database: creates the schema, loads the example organisation and rules and a
/// year of demo requests. Leaves a database that has a tenant alone.
/// The demo's photos go to `uploads`.
pub async fn setup_if_fresh(g: &Global, uploads: &std::path::Path) -> Result<(), String> {
    let fresh = match db::open(&g.db, false).await {
        Ok(store) => store.tenants().await.map_err(err)?.is_empty(),
        Err(_) => true,
    };
    if fresh {
        init(
            g,
            &InitArgs {
                org: None,
                rules: None,
                settings: None,
                force: false,
            },
        )
        .await?;
        demo(
            g,
            &DemoArgs {
                seed: 42,
                requests: 300,
                until: None,
                uploads: uploads.to_path_buf(),
            },
        )
        .await?;
    }
    Ok(())
}

pub async fn start(g: &Global) -> Result<(), String> {
    setup_if_fresh(g, &uploads_dir()).await?;
    let (mbs, tenant) = service(g).await?;
    let coordinator = Actor::parse(&tenant, "coordinator").map_err(err)?;
    let open: Vec<Status> = Status::ALL.into_iter().filter(|s| s.is_open()).collect();
    let q = RequestQuery {
        statuses: Some(open),
        order: Order::Deadline,
        limit: 10,
        ..RequestQuery::default()
    };
    let page = mbs.list(&coordinator, q).await.map_err(err)?;
    outln!(
        "Muhtar Bilgi Sistemi on {} (tenant {tenant}). Open requests, İVEDİ first, then earliest deadline:",
        g.db
    );
    print_table(&page.items);
    outln!("\nTry: muhtar list --overdue | muhtar show <TAKİP NO> | muhtar --as muhtar:kuzguncuk submit --category asfalt-onarim --subject \"Yolda çukur\"");
    Ok(())
}

/// `muhtar submit`.
pub async fn submit(g: &Global, a: &SubmitArgs) -> Result<(), String> {
    let (mbs, tenant) = service(g).await?;
    let actor = actor(g, &tenant)?;
    let mut req: serde_json::Value = match &a.file {
        Some(p) if p == "-" => {
            let mut s = String::new();
            std::io::Read::read_to_string(&mut std::io::stdin(), &mut s).map_err(err)?;
            serde_json::from_str(&s).map_err(|e| format!("request JSON: {e}"))?
        }
        Some(p) => serde_json::from_str(&read_file(std::path::Path::new(p))?)
            .map_err(|e| format!("request JSON: {e}"))?,
        None => serde_json::json!({}),
    };
    let obj = req
        .as_object_mut()
        .ok_or("the request JSON must be an object")?;
    let mut set = |k: &str, v: Option<serde_json::Value>| {
        if let Some(v) = v {
            obj.insert(k.to_owned(), v);
        }
    };
    let defaults = actor.submission_defaults();
    set(
        "muhtarlik",
        a.muhtarlik
            .clone()
            .or(defaults.muhtarlik.as_ref().map(ToString::to_string))
            .map(Into::into),
    );
    set("category", a.category.clone().map(Into::into));
    set("subject", a.subject.clone().map(Into::into));
    set("description", a.description.clone().map(Into::into));
    set("channel", a.channel.map(|c| c.as_str().into()));
    if let Some(r) = &a.received_at {
        let at = parse_instant("--received-at", r).map_err(err)?;
        set("received_at", Some(at.to_rfc3339().into()));
    }
    set("kind", a.kind.map(|k| k.as_str().into()));
    set("address", a.address.clone().map(Into::into));
    set(
        "registration_number",
        a.registration_number.clone().map(Into::into),
    );
    if a.urgent {
        set("priority", Some("urgent".into()));
    }
    if let Some(r) = &a.reply_by {
        let r = ReplyBy::parse_field("--reply-by", r).map_err(err)?;
        set("reply_by", Some(r.to_string().into()));
    }
    if let (Some(lat), Some(lon)) = (a.lat, a.lon) {
        set(
            "location",
            Some(serde_json::json!({"lat": lat, "lon": lon})),
        );
    }
    if !obj.contains_key("channel") {
        obj.insert("channel".into(), defaults.channel(None).as_str().into());
    }
    let new: NewRequest = serde_json::from_value(req).map_err(|e| format!("request: {e}"))?;
    let rec = match &a.force_reason {
        Some(reason) => mbs.submit_forced(&actor, new, reason).await,
        None => mbs.submit(&actor, new).await,
    }
    .map_err(err)?;
    // Not a refusal: a location outside the muhtarlık's boundary is said, on standard error.
    let ctx = mbs.context(&tenant).await.map_err(err)?;
    if let Some(w) = muhtar_core::map::location_warning(&ctx.org, &rec.state.content) {
        eprintln!("warning: {}", w.describe());
    }
    if a.quiet {
        outln!("{}", rec.state.tracking);
        return Ok(());
    }
    print_record(g, &rec, "submitted")
}

fn tracking(s: &str) -> Result<TrackingNumber, String> {
    s.parse::<TrackingNumber>()
        .map_err(|e| format!("tracking number: {e}"))
}

/// `muhtar show`.
pub async fn show(g: &Global, t: &str) -> Result<(), String> {
    let (mbs, tenant) = service(g).await?;
    let actor = actor(g, &tenant)?;
    let tr = tracking(t)?;
    let rec = mbs.get(&actor, &tr).await.map_err(err)?;
    let history = mbs.history(&actor, &tr).await.map_err(err)?;
    let clocks = mbs.deadline(&actor, &tr).await.map_err(err)?;
    if g.json {
        outln!(
            "{}",
            serde_json::json!({"request": rec, "history": history, "clocks": clocks})
        );
        return Ok(());
    }
    let ctx = mbs.context(&tenant).await.map_err(err)?;
    out!(
        "{}",
        muhtar_core::request::sheet::sheet(&rec.state, &history, &clocks, &ctx.org)
    );
    Ok(())
}

/// `muhtar list`.
pub async fn list(g: &Global, a: &ListArgs) -> Result<(), String> {
    let (mbs, tenant) = service(g).await?;
    let actor = actor(g, &tenant)?;
    let ctx = mbs.context(&tenant).await.map_err(err)?;
    let mut q = RequestQuery {
        order: Order::Deadline,
        limit: a.limit,
        ..RequestQuery::default()
    };
    if let Some(u) = &a.unit {
        let code = ctx.org.known_unit("--unit", u).map_err(err)?.code.clone();
        q.units = Some(ctx.org.subtree(&code));
    }
    if let Some(m) = &a.muhtarlik {
        q.muhtarlik = Some(
            ctx.org
                .known_muhtarlik("--muhtarlik", m)
                .map_err(err)?
                .code
                .clone(),
        );
    }
    if !a.status.is_empty() {
        q.statuses =
            Some(Status::parse_filter(&a.status.join(",")).map_err(|e| format!("--status: {e}"))?);
    } else if matches!(actor.role, Role::UnitStaff(_)) {
        // A unit's queue: what still waits for it.
        q.statuses = Some(Status::open());
    }
    q.after = a.after.clone().map(Cursor);
    let page = if a.overdue {
        mbs.list_overdue(&actor, q).await
    } else if a.at_risk {
        mbs.list_at_risk(&actor, q).await
    } else {
        mbs.list(&actor, q).await
    }
    .map_err(err)?;
    let (items, next) = (page.items, page.next);
    if g.json {
        outln!("{}", serde_json::json!({"items": items, "next": next}));
    } else {
        print_table(&items);
        if let Some(c) = next {
            outln!("(more: --after {})", c.0);
        }
    }
    Ok(())
}

fn print_table(items: &[RequestRecord]) {
    out!("{}", muhtar_core::request::sheet::table(items));
}

fn print_record(g: &Global, rec: &RequestRecord, what: &str) -> Result<(), String> {
    if g.json {
        outln!("{}", serde_json::to_string(rec).map_err(err)?);
    } else {
        outln!("{}", muhtar_core::request::sheet::summary_line(what, rec));
    }
    Ok(())
}

/// A lifecycle command.
pub async fn lifecycle(g: &Global, l: &Lifecycle) -> Result<(), String> {
    let unit = |s: &str| UnitCode::new(s.to_owned()).map_err(|e| format!("--to: {e}"));
    let (on, cmd) = match l {
        Lifecycle::Accept(on) => (on, Command::Accept),
        Lifecycle::Reply { on, text } => (on, Command::InterimReply { text: text.clone() }),
        Lifecycle::Answer {
            on,
            outcome,
            reason,
            reason_text,
            text,
        } => {
            let outcome = Outcome::from_name(outcome)
                .or_else(|| Outcome::from_display_name(outcome))
                .ok_or_else(|| {
                    let valid =
                        Outcome::ALL.map(|o| format!("{} ({})", o.as_str(), o.display_name()));
                    format!("--outcome: {outcome:?} is none of {}", valid.join(", "))
                })?;
            (
                on,
                Command::Answer {
                    outcome,
                    reason: reason.clone().map(ReasonCode::new),
                    reason_text: reason_text.clone(),
                    text: text.clone(),
                },
            )
        }
        Lifecycle::Close(on) => (on, Command::Close),
        Lifecycle::Reopen { on, reason } => (
            on,
            Command::Reopen {
                reason: reason.clone(),
            },
        ),
        Lifecycle::Transfer { on, to, reason } => (
            on,
            Command::Transfer {
                to: unit(to)?,
                reason: reason.clone(),
            },
        ),
        Lifecycle::Reroute { on, to, reason } => (
            on,
            Command::Reroute {
                to: unit(to)?,
                reason: reason.clone(),
            },
        ),
        Lifecycle::Pause { on, note, fee } => (
            on,
            Command::Pause {
                reason: if *fee {
                    PauseReason::Fee
                } else {
                    PauseReason::Muhtar
                },
                note: note.clone(),
            },
        ),
        Lifecycle::Resume { on, note } => (on, Command::Resume { note: note.clone() }),
        Lifecycle::Withdraw { on, reason } => (
            on,
            Command::Withdraw {
                reason: reason.clone(),
            },
        ),
        Lifecycle::Message { on, text } => (on, Command::Message { text: text.clone() }),
        Lifecycle::Extend { on, reason } => (
            on,
            Command::Extend {
                reason: reason.clone(),
            },
        ),
        Lifecycle::Fee { on, amount, note } => (
            on,
            Command::NotifyFee {
                amount: amount.parse().map_err(|e| format!("--{e}"))?,
                note: note.clone(),
            },
        ),
        Lifecycle::FeePaid { on, note } => (on, Command::FeePaid { note: note.clone() }),
        Lifecycle::SetPolicy { on, policy, reason } => (
            on,
            Command::SetPolicy {
                policy: policy.clone(),
                reason: reason.clone(),
            },
        ),
    };
    let (mbs, tenant) = service(g).await?;
    let actor = actor(g, &tenant)?;
    let name = cmd.name();
    let rec = mbs
        .execute(&actor, &tracking(&on.tracking)?, on.expect_version, cmd)
        .await
        .map_err(|e| match e {
            ServiceError::NotFound(_) => format!("no request {} visible to {}", on.tracking, actor),
            e => e.to_string(),
        })?;
    print_record(g, &rec, name)
}

/// `muhtar export --format jsonl`: every request, one JSON object per line.
pub async fn export(g: &Global, a: &ExportArgs) -> Result<(), String> {
    if a.format != "jsonl" {
        return Err(format!("--format: {:?} is not supported (jsonl)", a.format));
    }
    let (mbs, tenant) = service(g).await?;
    let actor = actor(g, &tenant)?;
    // The first page before the output file: a refused export writes no file.
    let mut page = mbs.export_page(&actor, None).await.map_err(err)?;
    let mut out: Box<dyn Write> = match &a.out {
        Some(p) => Box::new(std::io::BufWriter::new(
            std::fs::File::create(p).map_err(|e| format!("cannot write {}: {e}", p.display()))?,
        )),
        None => Box::new(std::io::BufWriter::new(std::io::stdout().lock())),
    };
    let mut n = 0usize;
    loop {
        for row in &page.items {
            writeln!(out, "{}", serde_json::to_string(row).map_err(err)?)
                .map_err(crate::out::io_error)?;
            n += 1;
        }
        match page.next {
            Some(c) => page = mbs.export_page(&actor, Some(c)).await.map_err(err)?,
            None => break,
        }
    }
    out.flush().map_err(crate::out::io_error)?;
    if a.out.is_some() {
        eprintln!("exported {n} requests");
    }
    Ok(())
}
