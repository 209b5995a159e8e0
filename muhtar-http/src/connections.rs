//! HTTP connections of `muhtar serve`: at most `--max-connections` at once (more wait in
//! the listen queue, unaccepted), a deadline for each request's header (which also closes
//! an idle kept-alive connection) and for each piece of its body, and a graceful shutdown
//! bounded by `--shutdown-grace`: requests in flight finish, a stalled client does not
//! hold the process.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::ConnectInfo;
use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tower_http::timeout::TimeoutBody;

/// The limits of the HTTP connections.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Connections served at once.
    pub max_connections: usize,
    /// The longest wait for a request's whole header, from the connection's opening or the
    /// previous answer on it.
    pub header_timeout: Duration,
    /// The longest wait for the next piece of a request's body.
    pub body_timeout: Duration,
    /// How long a shutdown waits for requests in flight.
    pub shutdown_grace: Duration,
}

/// File descriptors kept free beside the connections (database files, the pool, logs).
pub const RESERVED_FILES: u64 = 64;

/// The default of `--max-connections`: half of what the open-file limit leaves after
/// [`RESERVED_FILES`] (a connection may hold an upload's file beside its socket), between
/// 16 and 10,000.
pub fn default_max_connections() -> usize {
    let soft = rustix::process::getrlimit(rustix::process::Resource::Nofile)
        .current
        .unwrap_or(u64::MAX);
    let n = soft.saturating_sub(RESERVED_FILES) / 2;
    usize::try_from(n.clamp(16, 10_000)).unwrap_or(10_000)
}

/// Serves `app` on `listener` within `limits` until `shutdown` completes; then stops
/// accepting, lets the requests in flight finish for at most `limits.shutdown_grace` and
/// returns (connections still open are dropped with the process).
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: Limits,
    shutdown: impl Future<Output = ()>,
) {
    let permits = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let graceful = GracefulShutdown::new();
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout);
    tokio::pin!(shutdown);
    let mut at_cap_logged = false;
    loop {
        // A permit first: beyond the cap, connections wait in the listen queue and hold
        // no file descriptor of ours.
        let permit = match permits.clone().try_acquire_owned() {
            Ok(p) => {
                at_cap_logged = false;
                p
            }
            Err(_) => {
                if !at_cap_logged {
                    tracing::warn!(
                        max = limits.max_connections,
                        "connection limit reached: new connections wait"
                    );
                    at_cap_logged = true;
                }
                tokio::select! {
                    p = permits.clone().acquire_owned() => match p {
                        Ok(p) => p,
                        Err(_) => break,
                    },
                    _ = &mut shutdown => break,
                }
            }
        };
        let (stream, remote) = tokio::select! {
            r = listener.accept() => match r {
                Ok(c) => c,
                Err(e) => {
                    // Out of file descriptors and the like: wait for connections to end
                    // rather than spin.
                    tracing::warn!(error = %e, "cannot accept a connection");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            _ = &mut shutdown => break,
        };
        tracing::trace!("connection accepted");
        let app = app.clone();
        let body_timeout = limits.body_timeout;
        let service = hyper::service::service_fn(move |mut req: hyper::Request<Incoming>| {
            // The client's address, for the limit on failed authentications.
            req.extensions_mut().insert(ConnectInfo(remote));
            let req = req.map(|b| axum::body::Body::new(TimeoutBody::new(body_timeout, b)));
            tower::Service::call(&mut app.clone(), req)
        });
        let conn = graceful.watch(http.serve_connection(TokioIo::new(stream), service));
        tokio::spawn(async move {
            match conn.await {
                Ok(()) => tracing::trace!("connection closed"),
                Err(e) => tracing::debug!(error = %e, "connection ended"),
            }
            drop(permit);
        });
    }
    drop(listener);
    let open = graceful.count();
    tracing::info!(
        open,
        "shutting down: no new connections, finishing requests in flight"
    );
    if tokio::time::timeout(limits.shutdown_grace, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!(
            grace_seconds = limits.shutdown_grace.as_secs(),
            "requests still in flight after the grace period: their connections are dropped"
        );
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_default_cap_leaves_room_under_the_file_limit() {
        let n = super::default_max_connections() as u64;
        let soft = rustix::process::getrlimit(rustix::process::Resource::Nofile)
            .current
            .unwrap_or(u64::MAX);
        assert!((16..=10_000).contains(&n));
        assert!(soft < 200 || 2 * n + super::RESERVED_FILES <= soft);
    }
}
