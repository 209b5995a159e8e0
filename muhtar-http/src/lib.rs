//! # muhtar-http
//!
//! The HTTP adapter of the Muhtar Bilgi Sistemi: an [`axum::Router`] a portal mounts (or
//! the `muhtar serve` binary runs as is) serving
//!
//! - the REST API under `/api/v1` ([`api`]; its OpenAPI document at `/api/v1/openapi.json`,
//!   [`openapi`]),
//! - Open311 GeoReport v2 under `/open311/v2` ([`open311`]),
//! - `/healthz` (the process answers) and `/readyz` (the store answers and no background
//!   task is failing, [`supervise`]),
//! - with the `web` feature (on by default), the web pages in Turkish: `/`, the public
//!   status page `/takip`, logging in and out at `/giris` and `/cikis`, the new request
//!   form `/talep/yeni`, the request lists `/talepler` and the queue `/kuyruk`, the
//!   request page `/talepler/{tracking}` with its actions, the dashboard `/pano`, the
//!   quarterly report and its sign-off `/rapor`, the administrator's `/yonetim` (`web`).
//!
//! Modules: [`auth`] (pluggable authentication, bearer tokens, the limit on failed
//! authentications as a layer), [`mount`] (the prefix the router is mounted under, in
//! every URL it emits), [`error`] (JSON errors, by error variant), [`json`] (JSON bodies
//! with typed errors), [`uploads`] (the upload store trait and its filesystem default),
//! [`connections`] (a hyper server with header and body timeouts, a connection cap and
//! graceful shutdown, for hosts without their own server), [`supervise`] (background
//! tasks: panics logged, restarted, shown by `/readyz`), [`random`] ([`OsRandom`], the
//! unpredictable id source a deployment gives `Mbs::new`), [`session`] (logins and
//! server-side sessions of the web pages' users).
//!
//! ## Mounting it in a portal
//!
//! ```no_run
//! # async fn portal(mbs: muhtar_http::Service) -> std::io::Result<()> {
//! use std::net::SocketAddr;
//! use muhtar_http::auth::{FailedAuthLimitLayer, LimitSettings};
//!
//! // Our API tokens by default; a portal's sessions or single sign-on with
//! // `.authenticator(...)` (an `auth::Authenticator`).
//! let state = muhtar_http::AppState::builder(mbs).uploads("/srv/mbs/uploads").build();
//! let app = axum::Router::new()
//!     .route("/", axum::routing::get(|| async { "Belediye portalı" }))
//!     .nest(
//!         "/mbs",
//!         // Keep the limit on failed authentications, or leave this line out.
//!         muhtar_http::router(state).layer(FailedAuthLimitLayer::new(LimitSettings::default())),
//!     );
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:8080").await?;
//! axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>()).await
//! # }
//! ```
//!
//! The `portal` example of the `muhtar-examples` package does this on an SQLite store,
//! with a session-cookie authenticator.

pub mod api;
pub mod auth;
pub mod connections;
pub mod csp;
pub mod error;
pub mod json;
pub mod mount;
pub mod open311;
pub mod openapi;
pub mod organisation;
pub mod random;
pub mod session;
pub mod status;
pub mod supervise;
pub mod tokens;
pub mod uploads;
#[cfg(feature = "web")]
pub mod web;

use std::path::PathBuf;
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

pub use random::OsRandom;

/// The service the HTTP layer drives: any store and any clock, behind trait objects so a
/// host picks them at run time.
pub type Service = Mbs<Arc<dyn Store>, Arc<dyn Clock>>;

/// What every handler shares. Made with [`AppState::builder`].
#[non_exhaustive]
pub struct AppState {
    /// The service.
    pub mbs: Service,
    /// Who a request acts as ([`auth`]).
    pub authenticator: Arc<dyn auth::Authenticator>,
    /// Where uploads are kept ([`uploads::FsUploads`], or a portal's own store).
    pub uploads: Arc<dyn uploads::UploadStore>,
    /// The background tasks' health (panics, restarts), for `/readyz`.
    pub tasks: Arc<supervise::Supervisor>,
    /// The key of the CSRF tokens of people a portal's authenticator signed in (the
    /// pages' [`Api::Web`](auth::Api::Web)): random per process, never stored or logged.
    pub(crate) csrf_key: [u8; 32],
}

impl AppState {
    /// The state of a router serving `mbs`: set what differs from the defaults, then
    /// [`build`](AppStateBuilder::build).
    pub fn builder(mbs: Service) -> AppStateBuilder {
        AppStateBuilder {
            mbs,
            authenticator: None,
            uploads: None,
            tasks: None,
        }
    }
}

/// Builds an [`AppState`] ([`AppState::builder`]).
#[must_use]
pub struct AppStateBuilder {
    mbs: Service,
    authenticator: Option<Arc<dyn auth::Authenticator>>,
    uploads: Option<Arc<dyn uploads::UploadStore>>,
    tasks: Option<Arc<supervise::Supervisor>>,
}

impl AppStateBuilder {
    /// Who a request acts as. Default: [`auth::TokenAuthenticator`] on the service's
    /// store (our API tokens).
    pub fn authenticator(self, authenticator: impl auth::Authenticator + 'static) -> Self {
        self.shared_authenticator(Arc::new(authenticator))
    }

    /// [`authenticator`](Self::authenticator), shared with the host.
    pub fn shared_authenticator(mut self, authenticator: Arc<dyn auth::Authenticator>) -> Self {
        self.authenticator = Some(authenticator);
        self
    }

    /// The directory uploaded photos and documents are kept in (it must exist). Default:
    /// `muhtar-uploads` in the working directory, as `muhtar serve`.
    pub fn uploads(self, dir: impl Into<PathBuf>) -> Self {
        self.upload_store(Arc::new(uploads::FsUploads::new(dir.into())))
    }

    /// Where uploads are kept when not in a directory of this server: a portal's object
    /// store ([`uploads::UploadStore`]; its `public_url` fills Open311's `media_url`).
    pub fn upload_store(mut self, store: Arc<dyn uploads::UploadStore>) -> Self {
        self.uploads = Some(store);
        self
    }

    /// The supervisor of the host's background tasks, whose health `/readyz` shows.
    /// Default: a supervisor of its own (no tasks: always ready as far as tasks go).
    pub fn tasks(mut self, tasks: Arc<supervise::Supervisor>) -> Self {
        self.tasks = Some(tasks);
        self
    }

    /// The state.
    pub fn build(self) -> Arc<AppState> {
        let authenticator = self
            .authenticator
            .unwrap_or_else(|| Arc::new(auth::TokenAuthenticator::new(self.mbs.store().clone())));
        Arc::new(AppState {
            authenticator,
            uploads: self.uploads.unwrap_or_else(|| {
                Arc::new(uploads::FsUploads::new(PathBuf::from("muhtar-uploads")))
            }),
            tasks: self.tasks.unwrap_or_default(),
            csrf_key: random::key(),
            mbs: self.mbs,
        })
    }
}

/// Largest JSON or form body, in bytes.
pub const MAX_BODY: usize = 1024 * 1024;

/// The whole application: every route with its limits and request logging, mountable
/// under any prefix ([`mount`]). The limit on failed authentications is the host's
/// choice: add [`auth::FailedAuthLimitLayer`] (one line, see [`auth`]).
pub fn router(state: Arc<AppState>) -> Router {
    let routes = Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(readyz))
        .nest("/api/v1", api::router())
        .nest("/open311/v2", open311::router());
    #[cfg(feature = "web")]
    let routes = routes.merge(web::router());
    routes
        .fallback(not_found)
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .layer(axum::middleware::from_fn(catch_panic))
        .layer(axum::middleware::from_fn(mount::record))
        .layer(
            TraceLayer::new_for_http().make_span_with(|r: &axum::http::Request<_>| {
                tracing::info_span!("http", method = %r.method(), path = %r.uri().path(), actor = tracing::field::Empty)
            }),
        )
        .with_state(state)
}

/// Whether `path` (as the router sees it) is one of the machine interfaces (REST,
/// Open311, the probes), whose errors are JSON; every other path is a page's.
pub fn is_api_path(path: &str) -> bool {
    ["/api/", "/open311/"]
        .iter()
        .any(|p| path.starts_with(p) || path == p.trim_end_matches('/'))
        || matches!(path, "/healthz" | "/readyz")
}

/// A path no route serves: `not_found` in the API's error format (Open311's on its
/// paths), else (with the `web`
/// feature) the page "Sayfa bulunamadı".
async fn not_found(req: axum::extract::Request) -> axum::response::Response {
    use axum::response::IntoResponse;
    #[cfg(feature = "web")]
    if !is_api_path(req.uri().path()) {
        let mount = req
            .extensions()
            .get::<mount::Mount>()
            .cloned()
            .unwrap_or_default();
        return web::problem::not_found_page(&mount);
    }
    let path = req.uri().path();
    let error = || error::ApiError::not_found(format!("path {path}"));
    open311::error_for_path(path, error()).unwrap_or_else(|| error().into_response())
}

/// A handler that panicked answers 500 (a page on the pages' paths, JSON on the APIs)
/// instead of dropping the connection; the panic is logged. Hand-written: tower-http's
/// `CatchPanicLayer` cannot see the request, and the page needs its mount prefix.
async fn catch_panic(
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    use futures_util::FutureExt;
    let api = is_api_path(req.uri().path());
    let mount = req
        .extensions()
        .get::<mount::Mount>()
        .cloned()
        .unwrap_or_default();
    match std::panic::AssertUnwindSafe(next.run(req))
        .catch_unwind()
        .await
    {
        Ok(response) => response,
        Err(panic) => {
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            tracing::error!(panic = %what, "a handler panicked");
            #[cfg(feature = "web")]
            if !api {
                return web::problem::internal_error_page(&mount);
            }
            let _ = (api, mount);
            error::ApiError::internal("the server failed to answer this request").into_response()
        }
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use tower::ServiceExt;

    async fn panicking() -> &'static str {
        panic!("boom")
    }

    /// A handler that panics answers 500 (a page, or JSON on the APIs), not a dropped
    /// connection, and the server goes on.
    #[tokio::test]
    async fn a_panicking_handler_answers_500() {
        let app = Router::new()
            .route("/takip", get(panicking))
            .route("/api/v1/x", get(panicking))
            .route("/ok", get(|| async { "ok" }))
            .layer(axum::middleware::from_fn(catch_panic));
        let call = |path: &'static str| {
            let app = app.clone();
            async move {
                let res = app
                    .oneshot(axum::http::Request::get(path).body(Body::empty()).unwrap())
                    .await
                    .unwrap();
                let status = res.status();
                let kind = res.headers()["content-type"].to_str().unwrap().to_owned();
                let body = axum::body::to_bytes(res.into_body(), 1 << 20)
                    .await
                    .unwrap();
                (status, kind, String::from_utf8(body.to_vec()).unwrap())
            }
        };
        let (status, kind, body) = call("/api/v1/x").await;
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
        assert!(kind.starts_with("application/json"), "{kind}");
        assert!(!body.contains("boom"), "{body}");
        #[cfg(feature = "web")]
        {
            let (status, kind, body) = call("/takip").await;
            assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
            assert!(kind.starts_with("text/html"), "{kind}");
            assert!(body.contains("Bir hata oluştu"), "{body}");
            assert!(!body.contains("boom"), "{body}");
        }
        assert_eq!(call("/ok").await.2, "ok");
    }
}
