//! `muhtar notify` (the outbox dispatcher) and `muhtar sweep` (deadline warnings).

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use clap::Args;
use muhtar_core::ids::TenantId;
use muhtar_core::service::Mbs;
use muhtar_core::settings::TenantSettings;
use muhtar_core::store::Store;
use muhtar_notify::{
    DispatchReport, Dispatcher, DispatcherConfig, HttpAuth, HttpBody, HttpSmsConfig,
    HttpSmsGateway, NoSmsGateway, QuietHours, QuietHoursConfig, SmsGateway, SmtpTransport,
};

use crate::state_cmd::{self, Global};

/// `muhtar notify`.
#[derive(Debug, Clone, Args)]
pub struct NotifyArgs {
    /// Deliver what is due now and exit (default: keep running until Ctrl-C).
    #[arg(long)]
    pub once: bool,
    /// Seconds before the first retry of a notice that could not be delivered (relay
    /// down); each further retry waits twice as long, up to 6 hours.
    #[arg(long, default_value_t = 60)]
    pub retry_after: u64,
}

fn now() -> DateTime<Utc> {
    Utc::now()
}

/// Runs the dispatchers ([`Dispatchers`]): e-mail through the SMTP relay named by
/// `MUHTAR_SMTP_URL` (sender `MUHTAR_MAIL_FROM`); each tenant's notices with its own
/// `[sms]` gateway and quiet hours (default 22:00–08:00). Every tenant's, or with
/// `--tenant` that tenant's only.
pub async fn notify(g: &Global, a: &NotifyArgs) -> Result<(), String> {
    let mbs = state_cmd::open_service(g).await?;
    let only = match &g.tenant {
        Some(t) => {
            let t = TenantId::new(t.clone()).map_err(|e| e.to_string())?;
            mbs.context(&t)
                .await
                .map_err(|e| format!("tenant {t}: {e}"))?;
            Some(t)
        }
        None => {
            if mbs
                .store()
                .tenants()
                .await
                .map_err(|e| e.to_string())?
                .is_empty()
            {
                return Err(format!(
                    "the database {} has no organisation yet: run `muhtar init`",
                    g.db
                ));
            }
            None
        }
    };
    let options = DispatchOptions {
        poll_interval: None,
        retry_after: Some(std::time::Duration::from_secs(a.retry_after)),
    };
    let mut dispatchers = Dispatchers::new(&mbs, only, options)?;
    if a.once {
        let pass = dispatchers.run_once().await?;
        let r = &pass.report;
        if g.json {
            println!(
                "{}",
                serde_json::json!({"claimed": r.claimed, "sent": r.sent, "retried": r.retried, "deferred": r.deferred, "failed": r.failed})
            );
        } else {
            println!(
                "notify: {} claimed, {} sent, {} retried, {} deferred, {} failed",
                r.claimed, r.sent, r.retried, r.deferred, r.failed
            );
        }
        if !pass.problems.is_empty() {
            return Err(pass.problems.join("; "));
        }
        return Ok(());
    }
    eprintln!(
        "notify: delivering from the outbox of {}; Ctrl-C stops",
        g.db
    );
    dispatchers
        .run_with(
            async {
                let _ = tokio::signal::ctrl_c().await;
            },
            |p| match p {
                Ok(p) => {
                    let r = &p.report;
                    if r.claimed > 0 {
                        eprintln!(
                            "notify: {} sent, {} retried, {} deferred, {} failed",
                            r.sent, r.retried, r.deferred, r.failed
                        );
                    }
                    for problem in &p.problems {
                        eprintln!("notify: {problem}");
                    }
                }
                Err(e) => eprintln!("notify: {e}"),
            },
        )
        .await;
    Ok(())
}

/// How the dispatchers run.
#[derive(Debug, Clone, Copy, Default)]
pub struct DispatchOptions {
    /// Pause between passes when idle (default 30 s).
    pub poll_interval: Option<std::time::Duration>,
    /// Delay before the first retry of a notice (default 1 minute; at least 1 second).
    pub retry_after: Option<std::time::Duration>,
}

/// The dispatcher of one tenant: claims only its messages and delivers them with its
/// settings ([`TenantSettings`]): SMS through its `[sms]` gateway, quiet hours from its
/// `quiet_hours` (default 22:00–08:00).
fn tenant_dispatcher(
    mbs: &state_cmd::Service,
    tenant: &TenantId,
    settings: &TenantSettings,
    email: SmtpTransport,
    options: DispatchOptions,
) -> Result<Dispatch, String> {
    let sms: Arc<dyn SmsGateway> = match &settings.sms {
        None => Arc::new(NoSmsGateway),
        Some(s) => {
            let mut c = HttpSmsConfig::new(s.url.clone());
            c.sender = s.sender.clone();
            if let (Some(user), Some(password)) = (&s.username, &s.password) {
                c.auth = HttpAuth::Basic {
                    user: user.clone(),
                    password: password.clone(),
                };
            }
            if s.format.as_deref() == Some("json") {
                c.body = HttpBody::Json;
            }
            if let Some(p) = &s.to_param {
                c.to_param = p.clone();
            }
            if let Some(p) = &s.text_param {
                c.text_param = p.clone();
            }
            Arc::new(HttpSmsGateway::new(c).map_err(|e| format!("sms: {e}"))?)
        }
    };
    let mut config = DispatcherConfig::default();
    config.tenant = Some(tenant.clone());
    if let Some(p) = options.poll_interval {
        config.poll_interval = p;
    }
    if let Some(r) = options.retry_after {
        config.backoff.base = chrono::Duration::from_std(r).map_err(|e| e.to_string())?;
    }
    if let Some(q) = settings.quiet_hours {
        config.quiet_hours = QuietHoursConfig::none()
            .with_tenant(tenant.clone(), Some(QuietHours::new(q.start, q.end)));
    }
    let clock: fn() -> DateTime<Utc> = now;
    Ok(Dispatcher::new(
        mbs.store().clone(),
        email,
        sms,
        clock,
        config,
    ))
}

/// A tenant's dispatcher.
type Dispatch = Dispatcher<SmtpTransport, Arc<dyn SmsGateway>, fn() -> DateTime<Utc>, dyn Store>;

/// The outbox dispatchers of `muhtar notify` and `muhtar serve`: one per tenant, each
/// claiming only its tenant's messages (`OutboxStore::claim_tenant`) and delivering them
/// with that tenant's SMS gateway and quiet hours, so that no tenant's notices go out
/// with another's settings. Tenants added and settings changed are picked up at the
/// next pass. A tenant whose dispatcher cannot be built (invalid settings, an SMS
/// gateway URL that is not one) is skipped, its notices left waiting, and reported.
pub struct Dispatchers<'a> {
    mbs: &'a state_cmd::Service,
    only: Option<TenantId>,
    email: SmtpTransport,
    options: DispatchOptions,
    built: HashMap<TenantId, (TenantSettings, Dispatch)>,
    /// The last problem reported per tenant, so that each is reported once.
    reported: HashMap<TenantId, String>,
}

/// One pass of [`Dispatchers`].
#[derive(Debug, Default)]
pub struct Pass {
    /// Every tenant's pass, added up.
    pub report: DispatchReport,
    /// Tenants not served in this pass, and why (each problem once, until it changes).
    pub problems: Vec<String>,
    /// Whether some tenant had a full batch (more may be due at once).
    pub full: bool,
}

impl<'a> Dispatchers<'a> {
    /// The dispatchers of every tenant, or of `only`. Fails when the SMTP relay is not
    /// configured (`MUHTAR_SMTP_URL`, `MUHTAR_MAIL_FROM`).
    pub fn new(
        mbs: &'a state_cmd::Service,
        only: Option<TenantId>,
        options: DispatchOptions,
    ) -> Result<Self, String> {
        let email = SmtpTransport::from_env()
            .map_err(|e| format!("e-mail: {e} (set MUHTAR_SMTP_URL and MUHTAR_MAIL_FROM)"))?;
        Ok(Dispatchers {
            mbs,
            only,
            email,
            options,
            built: HashMap::new(),
            reported: HashMap::new(),
        })
    }

    /// The dispatcher of `tenant` for its current settings, built again when they changed.
    async fn for_tenant(&mut self, tenant: &TenantId) -> Result<&Dispatch, String> {
        let ctx = self.mbs.context(tenant).await.map_err(|e| e.to_string())?;
        let stale = self
            .built
            .get(tenant)
            .is_none_or(|(settings, _)| *settings != ctx.settings);
        if stale {
            let d = tenant_dispatcher(
                self.mbs,
                tenant,
                &ctx.settings,
                self.email.clone(),
                self.options,
            )?;
            self.built.insert(tenant.clone(), (ctx.settings.clone(), d));
        }
        self.built
            .get(tenant)
            .map(|(_, d)| d)
            .ok_or_else(|| format!("tenant {tenant}: no dispatcher"))
    }

    /// One pass over every tenant: each tenant's dispatcher claims and delivers its due
    /// messages. Fails only when the tenants cannot be listed.
    pub async fn run_once(&mut self) -> Result<Pass, String> {
        let tenants = match &self.only {
            Some(t) => vec![t.clone()],
            None => self
                .mbs
                .store()
                .tenants()
                .await
                .map_err(|e| format!("cannot list the tenants: {e}"))?,
        };
        let mut pass = Pass::default();
        for t in &tenants {
            let result = match self.for_tenant(t).await {
                Ok(d) => {
                    let batch = d.config().batch_size.max(1) as usize;
                    d.run_once()
                        .await
                        .map(|r| (r, batch))
                        .map_err(|e| e.to_string())
                }
                Err(e) => Err(e),
            };
            match result {
                Ok((r, batch)) => {
                    self.reported.remove(t);
                    pass.full |= r.claimed >= batch;
                    pass.report.absorb(r);
                }
                Err(e) => {
                    let problem = format!("tenant {t}: notices not delivered: {e}");
                    if self.reported.get(t) != Some(&problem) {
                        pass.problems.push(problem.clone());
                        self.reported.insert(t.clone(), problem);
                    }
                }
            }
        }
        Ok(pass)
    }

    /// Runs passes until `shutdown` completes: at once after a full batch, otherwise
    /// after the poll interval; every pass's result goes to `on_pass`.
    pub async fn run_with(
        &mut self,
        shutdown: impl std::future::Future<Output = ()>,
        mut on_pass: impl FnMut(Result<Pass, String>),
    ) {
        let idle = self
            .options
            .poll_interval
            .unwrap_or(DispatcherConfig::default().poll_interval);
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

/// `muhtar sweep`: queues at-risk and breach notices, once per threshold.
pub async fn sweep(g: &Global) -> Result<(), String> {
    let (mbs, tenant): (Mbs<_, _>, _) = state_cmd::service(g).await?;
    let r = mbs.sweep(&tenant).await.map_err(|e| e.to_string())?;
    if g.json {
        println!("{}", serde_json::to_string(&r).map_err(|e| e.to_string())?);
    } else {
        println!(
            "sweep: {} open requests, {} at risk, {} breached, {} deemed withdrawn (fee unpaid), {} notices queued",
            r.checked, r.at_risk, r.breached, r.deemed_withdrawn, r.queued
        );
    }
    Ok(())
}
