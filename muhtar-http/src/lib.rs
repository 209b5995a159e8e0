//! # muhtar-http
//!
//! The HTTP adapter of the Muhtar Bilgi Sistemi: an [`axum::Router`] a portal mounts (or
//! the `muhtar serve` binary runs as is) serving
//!
//! - the REST API under `/api/v1` ([`api`]; its OpenAPI document at `/api/v1/openapi.json`,
//!   [`openapi`]),
//! - Open311 GeoReport v2 under `/open311/v2` ([`open311`]),
//! - `/healthz` (the process answers) and `/readyz` (the store answers and no background
//!   task is failing, [`supervise`]).
//!
//! Modules: [`auth`] (bearer tokens, the limit on failed authentications), [`error`] (JSON
//! errors, by error variant), [`json`] (JSON bodies with typed errors), [`uploads`] (the
//! upload store trait and its filesystem default), [`connections`] (a hyper server with header and body
//! timeouts, a connection cap and graceful shutdown, for hosts without their own server),
//! [`supervise`] (background tasks: panics logged, restarted, shown by `/readyz`).

pub mod api;
pub mod auth;
pub mod connections;
pub mod error;
pub mod json;
pub mod open311;
pub mod openapi;
pub mod organisation;
pub mod status;
pub mod supervise;
pub mod uploads;

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{DefaultBodyLimit, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::Router;
use muhtar_core::clock::Clock;
use muhtar_core::service::Mbs;
use muhtar_core::store::Store;
use tower_http::trace::TraceLayer;

/// The service the HTTP layer drives: any store and any clock, behind trait objects so a
/// host picks them at run time.
pub type Service = Mbs<Arc<dyn Store>, Arc<dyn Clock>>;

/// What every handler shares.
pub struct AppState {
    /// The service.
    pub mbs: Service,
    /// Where uploads are kept ([`uploads::FsUploads`], or a portal's own store).
    pub uploads: Arc<dyn uploads::UploadStore>,
    /// Failed authentications per client address.
    pub limiter: auth::AuthLimiter,
    /// The background tasks' health (panics, restarts), for `/readyz`.
    pub tasks: Arc<supervise::Supervisor>,
}

/// Largest JSON or form body, in bytes.
pub const MAX_BODY: usize = 1024 * 1024;

/// The whole application: every route with its limits and request logging.
pub fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(readyz))
        .nest("/api/v1", api::router())
        .nest("/open311/v2", open311::router())
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .layer(
            TraceLayer::new_for_http().make_span_with(|r: &axum::http::Request<_>| {
                tracing::info_span!("http", method = %r.method(), path = %r.uri().path(), actor = tracing::field::Empty)
            }),
        )
        .with_state(state)
}

/// Ready when no background task is restarting or panicked lately
/// ([`supervise::Supervisor::readiness`]: the body names the task and its panics) and
/// the store answers within [`READY_TIMEOUT`].
async fn readyz(State(s): State<Arc<AppState>>) -> (StatusCode, String) {
    if let Err(tasks) = s.tasks.readiness() {
        return (StatusCode::SERVICE_UNAVAILABLE, tasks);
    }
    match tokio::time::timeout(READY_TIMEOUT, s.mbs.store().tenants()).await {
        Ok(Ok(_)) => (StatusCode::OK, "ready".into()),
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "not ready");
            (StatusCode::SERVICE_UNAVAILABLE, "store unavailable".into())
        }
        Err(_) => {
            tracing::warn!("not ready: the store did not answer in time");
            (StatusCode::SERVICE_UNAVAILABLE, "store unavailable".into())
        }
    }
}

/// How long `/readyz` waits for the store: a probe must get its answer quickly.
pub const READY_TIMEOUT: Duration = Duration::from_secs(2);
