//! `muhtar serve`: the HTTP server. REST API under `/api/v1` (OpenAPI document at
//! `/api/v1/openapi.json`), Open311 GeoReport v2 under `/open311/v2`, `/healthz` and
//! `/readyz`; the outbox dispatcher and the deadline sweeper run beside it unless switched
//! off.
//!
//! Everything HTTP is the library crate `muhtar-http`; this module is the wiring: arguments,
//! the service, uploads directory, background tasks (dispatcher, sweeper), signals.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use clap::Args;
use muhtar_http::{auth, connections, router, uploads, AppState};
use tokio::sync::watch;

use crate::state_cmd::{self, Global};

mod demo;

/// `muhtar serve`.
#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// Address and port to listen on.
    #[arg(long, env = "MUHTAR_BIND", default_value = "127.0.0.1:8080")]
    pub bind: SocketAddr,
    /// Do not run the outbox dispatcher here (another process runs `muhtar notify`).
    #[arg(long)]
    pub no_dispatcher: bool,
    /// Do not run the deadline sweeper here (another process runs `muhtar sweep`).
    #[arg(long)]
    pub no_sweeper: bool,
    /// Seconds between two outbox passes of the dispatcher when it is idle.
    #[arg(long, default_value_t = 10)]
    pub dispatch_interval: u64,
    /// Seconds before the dispatcher's first retry of a notice that could not be
    /// delivered; each further retry waits twice as long, up to 6 hours.
    #[arg(long, default_value_t = 60)]
    pub retry_after: u64,
    /// Seconds between two deadline sweeps.
    #[arg(long, default_value_t = 300)]
    pub sweep_interval: u64,
    /// Try it out: on a new database, load the example organisation and a year of demo
    /// requests first; print two fresh API tokens (a muhtar's and the coordinator's) and,
    /// on first use, add one web user per role with a random password and print them.
    #[arg(long)]
    pub demo: bool,
    /// Directory for uploaded photos and documents (content-addressed by SHA-256).
    #[arg(long, env = "MUHTAR_UPLOADS", default_value = state_cmd::DEFAULT_UPLOADS)]
    pub uploads: PathBuf,
    /// Failed authentications (unknown, revoked or malformed tokens or api_keys) allowed
    /// from one client address within `--auth-window`; after that the address gets 429
    /// for `--auth-cooldown`, even with a valid token. 0 switches the limit off (e.g.
    /// behind a reverse proxy, where every client has the proxy's address).
    #[arg(long, env = "MUHTAR_AUTH_MAX_FAILURES", default_value_t = 20)]
    pub auth_max_failures: u32,
    /// Seconds in which failed authentications are counted.
    #[arg(long, env = "MUHTAR_AUTH_WINDOW", default_value_t = 60)]
    pub auth_window: u64,
    /// Seconds an address is refused once it has too many failures.
    #[arg(long, env = "MUHTAR_AUTH_COOLDOWN", default_value_t = 60)]
    pub auth_cooldown: u64,
    /// Connections served at once; more wait, unaccepted, in the listen queue. Default:
    /// half of what the open-file limit (`ulimit -n`) leaves after 64, 16 to 10,000.
    #[arg(long, env = "MUHTAR_MAX_CONNECTIONS")]
    pub max_connections: Option<usize>,
    /// Seconds a client has to send a request's whole header, from the connection's
    /// opening or the previous answer: also how long a kept-alive connection may idle.
    #[arg(long, env = "MUHTAR_HEADER_TIMEOUT", default_value_t = 10)]
    pub header_timeout: u64,
    /// Seconds a client may pause while sending a request's body; then the request is
    /// refused and the connection closed.
    #[arg(long, env = "MUHTAR_BODY_TIMEOUT", default_value_t = 30)]
    pub body_timeout: u64,
    /// Seconds a shutdown (SIGTERM, Ctrl-C) waits for requests in flight before it closes
    /// their connections.
    #[arg(long, env = "MUHTAR_SHUTDOWN_GRACE", default_value_t = 10)]
    pub shutdown_grace: u64,
}

fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("MUHTAR_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,tower_http=info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        // Colours only for a person at a terminal, never into a log file or a pipe.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .try_init();
}

/// A future that completes on SIGINT (Ctrl-C) or SIGTERM. The handlers are installed
/// when this is called, not when the future is first polled: a signal that arrives right
/// after the `listening on` line (a process manager, a test) stops the server gracefully
/// instead of killing it with the default action.
fn shutdown_signal() -> impl std::future::Future<Output = ()> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let int = signal(SignalKind::interrupt()).ok();
        let term = signal(SignalKind::terminate()).ok();
        async move {
            let wait = |s: Option<tokio::signal::unix::Signal>| async move {
                match s {
                    Some(mut s) => {
                        s.recv().await;
                    }
                    None => std::future::pending::<()>().await,
                }
            };
            tokio::select! {
                _ = wait(int) => {}
                _ = wait(term) => {}
            }
        }
    }
    #[cfg(not(unix))]
    async {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// Runs the server until SIGINT or SIGTERM; requests in flight are finished first, then
/// the background tasks stop after their current pass, or are dropped after
/// [`muhtar_http::supervise::SHUTDOWN_GRACE`].
pub async fn run(g: &Global, a: &ServeArgs) -> Result<(), String> {
    init_tracing();
    if a.demo {
        state_cmd::setup_if_fresh(g, &a.uploads).await?;
    }
    let mbs = state_cmd::open_service(g).await?;
    if a.demo {
        let tenant = state_cmd::resolve_tenant(mbs.store(), g).await?;
        demo::print_credentials(&mbs, &tenant).await?;
    }
    std::fs::create_dir_all(&a.uploads)
        .map_err(|e| format!("cannot create {}: {e}", a.uploads.display()))?;
    match uploads::remove_stale_temporaries(&a.uploads) {
        Ok(0) => {}
        Ok(n) => tracing::warn!(
            removed = n,
            "removed temporary files of interrupted uploads"
        ),
        Err(e) => {
            tracing::warn!(error = %e, "cannot remove temporary files of interrupted uploads")
        }
    }
    let state = AppState::builder(mbs).uploads(a.uploads.clone()).build();
    let (stop_tx, stop_rx) = watch::channel(false);
    let mut tasks = Vec::new();
    // Supervised: a panic is logged, counted, shown by /readyz and restarted.
    if !a.no_dispatcher {
        let (s, rx) = (state.clone(), stop_rx.clone());
        let every = Duration::from_secs(a.dispatch_interval.max(1));
        let retry_after = Duration::from_secs(a.retry_after);
        tasks.push(state.tasks.spawn("dispatcher", stop_rx.clone(), move || {
            dispatch_loop(s.clone(), every, retry_after, rx.clone())
        }));
    }
    if !a.no_sweeper {
        let (s, rx) = (state.clone(), stop_rx.clone());
        let every = Duration::from_secs(a.sweep_interval.max(1));
        tasks.push(state.tasks.spawn("sweeper", stop_rx.clone(), move || {
            sweep_loop(s.clone(), every, rx.clone())
        }));
    }
    let listener = tokio::net::TcpListener::bind(a.bind)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", a.bind))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    let stop_signal = shutdown_signal();
    tracing::info!(%addr, db = %crate::db::redact(&g.db), "muhtar serve listening");
    // Tests and scripts read this line to find the port (with --bind 127.0.0.1:0).
    outln!("listening on http://{addr}");
    let limits = connections::Limits {
        max_connections: a
            .max_connections
            .unwrap_or_else(connections::default_max_connections),
        header_timeout: Duration::from_secs(a.header_timeout.max(1)),
        body_timeout: Duration::from_secs(a.body_timeout.max(1)),
        shutdown_grace: Duration::from_secs(a.shutdown_grace),
    };
    let mut app = router(state);
    if a.auth_max_failures > 0 {
        app = app.layer(auth::FailedAuthLimitLayer::new(auth::LimitSettings {
            max_failures: a.auth_max_failures,
            window: Duration::from_secs(a.auth_window.max(1)),
            cooldown: Duration::from_secs(a.auth_cooldown.max(1)),
        }));
    }
    connections::serve(listener, app, limits, stop_signal).await;
    tracing::info!("shutting down: stopping background tasks");
    let _ = stop_tx.send(true);
    for t in tasks {
        let _ = t.await;
    }
    tracing::info!("stopped");
    Ok(())
}

async fn stopped(mut rx: watch::Receiver<bool>) {
    let _ = rx.wait_for(|s| *s).await;
}

/// The outbox dispatchers ([`crate::notify_cmd::dispatchers`]): every tenant's notices
/// with that tenant's SMS gateway and quiet hours; tenants added and settings changed
/// while the server runs are picked up at the next pass.
async fn dispatch_loop(
    state: Arc<AppState>,
    every: Duration,
    retry_after: Duration,
    stop: watch::Receiver<bool>,
) {
    let mut d = match crate::notify_cmd::dispatchers(&state.mbs, Some(every), retry_after.as_secs())
    {
        Ok(d) => d,
        Err(e) => {
            tracing::warn!(error = %e, "dispatcher not started (configure it and restart, or run `muhtar notify` elsewhere)");
            return;
        }
    };
    tracing::info!("dispatcher started");
    d.run_with(stopped(stop), |p| match p {
        Ok(p) => {
            let r = &p.report;
            if r.claimed > 0 {
                tracing::info!(
                    sent = r.sent,
                    retried = r.retried,
                    deferred = r.deferred,
                    failed = r.failed,
                    "dispatcher pass"
                );
            }
            for problem in &p.problems {
                tracing::warn!("dispatcher: {problem}");
            }
        }
        Err(e) => tracing::warn!(error = %e, "dispatcher pass failed"),
    })
    .await;
}

/// Sweeps every tenant's open requests for at-risk and breached deadlines.
async fn sweep_loop(state: Arc<AppState>, every: Duration, mut stop: watch::Receiver<bool>) {
    loop {
        match state.mbs.store().tenants().await {
            Ok(tenants) => {
                for t in tenants {
                    match state.mbs.sweep(&t).await {
                        Ok(r) if r.queued > 0 || r.deemed_withdrawn > 0 => tracing::info!(
                            tenant = %t, checked = r.checked, at_risk = r.at_risk,
                            breached = r.breached, deemed_withdrawn = r.deemed_withdrawn,
                            queued = r.queued, "sweep"
                        ),
                        Ok(_) => {}
                        Err(e) => tracing::warn!(tenant = %t, error = %e, "sweep failed"),
                    }
                }
            }
            Err(e) => tracing::warn!(error = %e, "sweep: cannot list tenants"),
        }
        tokio::select! {
            _ = stop.wait_for(|s| *s) => return,
            _ = tokio::time::sleep(every) => {}
        }
    }
}
