//! `muhtar notify` (the outbox dispatcher) and `muhtar sweep` (deadline warnings).

use std::sync::Arc;

use chrono::{DateTime, Utc};
use clap::Args;
use muhtar_core::ids::TenantId;
use muhtar_core::service::Mbs;
use muhtar_core::store::Store;
use muhtar_notify::{
    Dispatcher, DispatcherConfig, HttpAuth, HttpBody, HttpSmsConfig, HttpSmsGateway, NoSmsGateway,
    QuietHours, QuietHoursConfig, SmsGateway, SmtpTransport,
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

/// Runs the dispatcher: e-mail through the SMTP relay named by `MUHTAR_SMTP_URL` (sender
/// `MUHTAR_MAIL_FROM`), SMS through the tenant's `[sms]` settings, quiet hours from its
/// settings (default 22:00–08:00).
pub async fn notify(g: &Global, a: &NotifyArgs) -> Result<(), String> {
    let (mbs, tenant) = state_cmd::service(g).await?;
    let retry = std::time::Duration::from_secs(a.retry_after);
    let dispatcher = dispatcher(&mbs, &tenant, None, Some(retry)).await?;
    if a.once {
        let r = dispatcher.run_once().await.map_err(|e| e.to_string())?;
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
        return Ok(());
    }
    eprintln!(
        "notify: delivering from the outbox of {}; Ctrl-C stops",
        g.db
    );
    dispatcher
        .run_with(
            async {
                let _ = tokio::signal::ctrl_c().await;
            },
            |r| match r {
                Ok(r) if r.claimed > 0 => eprintln!(
                    "notify: {} sent, {} retried, {} deferred, {} failed",
                    r.sent, r.retried, r.deferred, r.failed
                ),
                Ok(_) => {}
                Err(e) => eprintln!("notify: {e}"),
            },
        )
        .await;
    Ok(())
}

/// The outbox dispatcher as configured: e-mail through the SMTP relay named by
/// `MUHTAR_SMTP_URL` (sender `MUHTAR_MAIL_FROM`), SMS through the tenant's `[sms]`
/// settings, quiet hours from its settings (default 22:00–08:00). Used by `muhtar notify`
/// and `muhtar serve`. `retry_after` is the delay before the first retry of a notice
/// (default 1 minute; at least 1 second).
pub async fn dispatcher(
    mbs: &state_cmd::Service,
    tenant: &TenantId,
    poll_interval: Option<std::time::Duration>,
    retry_after: Option<std::time::Duration>,
) -> Result<Dispatch, String> {
    let ctx = mbs.context(tenant).await.map_err(|e| e.to_string())?;
    let email = SmtpTransport::from_env()
        .map_err(|e| format!("e-mail: {e} (set MUHTAR_SMTP_URL and MUHTAR_MAIL_FROM)"))?;
    let sms: Arc<dyn SmsGateway> = match &ctx.settings.sms {
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
    if let Some(p) = poll_interval {
        config.poll_interval = p;
    }
    if let Some(r) = retry_after {
        config.backoff.base = chrono::Duration::from_std(r).map_err(|e| e.to_string())?;
    }
    if let Some(q) = ctx.settings.quiet_hours {
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

/// The dispatcher the CLI builds.
pub type Dispatch =
    Dispatcher<SmtpTransport, Arc<dyn SmsGateway>, fn() -> DateTime<Utc>, dyn Store>;

/// `muhtar sweep`: queues at-risk and breach notices, once per threshold.
pub async fn sweep(g: &Global) -> Result<(), String> {
    let (mbs, tenant): (Mbs<_, _>, _) = state_cmd::service(g).await?;
    let r = mbs.sweep(&tenant).await.map_err(|e| e.to_string())?;
    if g.json {
        println!("{}", serde_json::to_string(&r).map_err(|e| e.to_string())?);
    } else {
        println!(
            "sweep: {} open requests, {} at risk, {} breached, {} notices queued",
            r.checked, r.at_risk, r.breached, r.queued
        );
    }
    Ok(())
}
