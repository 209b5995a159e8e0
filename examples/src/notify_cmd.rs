//! `muhtar notify` (the outbox dispatcher) and `muhtar sweep` (deadline warnings).

use chrono::{DateTime, Utc};
use clap::Args;
use muhtar_core::ids::TenantId;
use muhtar_core::service::Mbs;
use muhtar_notify::{DispatcherConfig, SmtpTransport, TenantDispatchers};

use crate::state_cmd::{self, Global};

/// `muhtar notify`.
#[derive(Debug, Clone, Args)]
pub struct NotifyArgs {
    /// Deliver what is due now and exit, saying why the notices left wait and until when
    /// (default: keep running until Ctrl-C).
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

/// Runs the dispatchers ([`dispatchers`]): e-mail through the SMTP relay named by
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
    let mut dispatchers = dispatchers(&mbs, None, a.retry_after)?;
    if let Some(t) = only {
        dispatchers = dispatchers.only(t);
    }
    if a.once {
        // Every notice that is due, not one batch: passes until one claims nothing (each
        // claimed notice is sent, failed or moved to a later attempt, so this ends).
        let mut pass = dispatchers.run_once().await.map_err(|e| e.to_string())?;
        let mut r = pass.report.clone();
        let mut problems: Vec<String> = pass.problems.iter().map(|p| p.to_string()).collect();
        for _ in 0..MAX_ONCE_PASSES {
            if pass.report.claimed == 0 {
                break;
            }
            pass = dispatchers.run_once().await.map_err(|e| e.to_string())?;
            r.claimed += pass.report.claimed;
            r.sent += pass.report.sent;
            r.retried += pass.report.retried;
            r.deferred += pass.report.deferred;
            r.failed += pass.report.failed;
            r.skipped += pass.report.skipped;
            problems.extend(pass.problems.iter().map(|p| p.to_string()));
        }
        // What is left waits: say why and until when.
        let at = now();
        let waiting = dispatchers.waiting(at).await.map_err(|e| e.to_string())?;
        let skipped = (r.skipped > 0).then(|| {
            format!(
                "{} SMS bildirimi atlandı: SMS ağ geçidi ayarlı değil (sms_without_gateway = \"skip\")",
                r.skipped
            )
        });
        if g.json {
            let waiting: Vec<_> = waiting
                .iter()
                .map(|w| {
                    serde_json::json!({
                        "tenant": w.tenant.as_str(),
                        "reason": w.reason.as_str(),
                        "count": w.count,
                        "until": w.until,
                        "text": w.describe(at),
                    })
                })
                .collect();
            outln!(
                "{}",
                serde_json::json!({"claimed": r.claimed, "sent": r.sent, "retried": r.retried, "deferred": r.deferred, "failed": r.failed, "skipped": r.skipped, "waiting": waiting})
            );
        } else {
            outln!(
                "notify: {} claimed, {} sent, {} retried, {} deferred, {} failed, {} skipped",
                r.claimed,
                r.sent,
                r.retried,
                r.deferred,
                r.failed,
                r.skipped
            );
            for line in skipped
                .iter()
                .cloned()
                .chain(waiting.iter().map(|w| w.describe(at)))
            {
                outln!("notify: {line}");
            }
        }
        if !problems.is_empty() {
            return Err(problems.join("; "));
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

/// The outbox dispatchers of `muhtar notify` and `muhtar serve`
/// ([`TenantDispatchers`]: a dispatcher per tenant, with its settings) on the wall clock.
pub type Dispatchers = TenantDispatchers<SmtpTransport, fn() -> DateTime<Utc>>;

/// The dispatchers of every tenant of `mbs`'s store: e-mail through the SMTP relay named
/// by `MUHTAR_SMTP_URL` and `MUHTAR_MAIL_FROM`; `poll_interval` between idle passes
/// (default 30 s), the first retry after `retry_after` seconds.
pub fn dispatchers(
    mbs: &state_cmd::Service,
    poll_interval: Option<std::time::Duration>,
    retry_after: u64,
) -> Result<Dispatchers, String> {
    let email = SmtpTransport::from_env()
        .map_err(|e| format!("e-mail: {e} (set MUHTAR_SMTP_URL and MUHTAR_MAIL_FROM)"))?;
    let mut config = DispatcherConfig::default();
    if let Some(p) = poll_interval {
        config.poll_interval = p;
    }
    config.backoff.base = i64::try_from(retry_after)
        .ok()
        .and_then(chrono::Duration::try_seconds)
        .ok_or_else(|| format!("--retry-after {retry_after}: too large"))?;
    let clock: fn() -> DateTime<Utc> = now;
    Ok(TenantDispatchers::new(
        mbs.store().clone(),
        email,
        clock,
        config,
    ))
}

/// Passes `muhtar notify --once` makes at most (each delivers up to a batch per tenant).
const MAX_ONCE_PASSES: usize = 10_000;

/// `muhtar sweep`: queues at-risk and breach notices, once per threshold.
pub async fn sweep(g: &Global) -> Result<(), String> {
    let (mbs, tenant): (Mbs<_, _>, _) = state_cmd::service(g).await?;
    let r = mbs.sweep(&tenant).await.map_err(|e| e.to_string())?;
    if g.json {
        outln!("{}", serde_json::to_string(&r).map_err(|e| e.to_string())?);
    } else {
        outln!(
            "sweep: {} open requests, {} at risk, {} breached, {} deemed withdrawn (fee unpaid), {} notices queued",
            r.checked, r.at_risk, r.breached, r.deemed_withdrawn, r.queued
        );
    }
    Ok(())
}
