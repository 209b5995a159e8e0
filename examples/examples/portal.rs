//! A municipal portal that mounts the Muhtar Bilgi Sistemi's HTTP API under `/mbs`, with
//! its own home page and its own sign-in: `cargo run -p muhtar-examples --example portal`.
//!
//! - `/` is the portal's page (Turkish), nothing of ours.
//! - `/mbs/...` is [`muhtar_http::router`]: the REST API at `/mbs/api/v1`, Open311 at
//!   `/mbs/open311/v2`, `/mbs/healthz`; every URL it emits carries `/mbs`.
//! - Who a request acts as comes from the portal's session cookie `portal_session`
//!   ([`PortalSessions`]), not from our API tokens. A real portal looks the session up in
//!   its own session store, or takes the identity its single sign-on (e-Devlet Kapısı,
//!   the municipality's directory) verified, and maps the person to an actor there.
//! - The limit on failed authentications ([`FailedAuthLimitLayer`]) is kept: a client
//!   guessing session cookies gets 429 after 20 bad ones a minute.
//!
//! The data is an SQLite file in `PORTAL_DIR` (default: a directory under the system's
//! temporary directory), loaded with the example organisation and rules on first start;
//! uploads go to `PORTAL_DIR/uploads`. It listens on `PORTAL_BIND` (default
//! `127.0.0.1:8090`) and prints `listening on http://…` and the demo sessions. Try:
//!
//! ```text
//! curl -b portal_session=oturum-kuzguncuk -H 'content-type: application/json' \
//!   -d '{"category": "asfalt-onarim", "subject": "Okul önünde çukur"}' \
//!   http://127.0.0.1:8090/mbs/api/v1/requests
//! ```

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use axum::response::Html;
use axum::routing::get;
use axum::Router;
use muhtar_core::access::Actor;
use muhtar_core::clock::Clock;
use muhtar_core::ids::TenantId;
use muhtar_core::org::Organisation;
use muhtar_core::service::Mbs;
use muhtar_core::store::Store;
use muhtar_http::auth::{
    async_trait, AuthError, Authenticator, Credentials, FailedAuthLimitLayer, LimitSettings,
};
use muhtar_http::{AppState, Service};
use muhtar_store_sqlite::{SqliteOptions, SqliteStore};

/// The portal's demo sessions: cookie value → actor (`muhtar:<code>@<user>` form).
pub const DEMO_SESSIONS: &[(&str, &str)] = &[
    ("oturum-kuzguncuk", "muhtar:kuzguncuk@ayse.muhtar"),
    ("oturum-koordinator", "coordinator@mehmet.koordinator"),
];

/// The portal's sessions, mapped to actors: a small table here; a real portal checks
/// its session store or single sign-on in [`Authenticator::authenticate`].
#[derive(Debug, Default)]
pub struct PortalSessions {
    sessions: HashMap<String, Actor>,
}

impl PortalSessions {
    /// The [`DEMO_SESSIONS`] in `tenant`.
    pub fn demo(tenant: &TenantId) -> Result<Self, Box<dyn std::error::Error>> {
        let mut sessions = HashMap::new();
        for (cookie, actor) in DEMO_SESSIONS {
            sessions.insert((*cookie).to_owned(), Actor::parse(tenant, actor)?);
        }
        Ok(PortalSessions { sessions })
    }
}

/// The value of the `portal_session` cookie, if the request carries one.
fn session_cookie<'a>(c: &Credentials<'a>) -> Option<&'a str> {
    c.parts
        .headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|h| h.to_str().ok())
        .flat_map(|h| h.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == "portal_session")
        .map(|(_, value)| value)
}

#[async_trait]
impl Authenticator for PortalSessions {
    async fn authenticate(&self, c: &Credentials<'_>) -> Result<Actor, AuthError> {
        // REST and Open311 alike: the portal's visitors have a session, not an api_key.
        let cookie = session_cookie(c).ok_or(AuthError::Missing)?;
        self.sessions.get(cookie).cloned().ok_or(AuthError::Invalid)
    }
}

/// The portal's own home page.
async fn home() -> Html<&'static str> {
    Html(
        "<!doctype html><html lang=\"tr\"><head><meta charset=\"utf-8\">\
         <title>Örnek Belediye Portalı</title></head><body>\
         <h1>Örnek Belediye Portalı</h1>\
         <p>Muhtarlarımızın talepleri Muhtar Bilgi Sistemi üzerinden alınır: \
         <a href=\"/mbs/api/v1/openapi.json\">API belgesi</a>, \
         <a href=\"/mbs/open311/v2/discovery.json\">Open311</a>.</p>\
         </body></html>",
    )
}

/// The portal: its home page at `/`, the Muhtar Bilgi Sistemi under `/mbs` with the
/// portal's sessions and the limit on failed authentications.
pub fn app(mbs: Service, sessions: PortalSessions, uploads: &Path) -> Router {
    let state = AppState::builder(mbs)
        .authenticator(sessions)
        .uploads(uploads)
        .build();
    Router::new().route("/", get(home)).nest(
        "/mbs",
        muhtar_http::router(state).layer(FailedAuthLimitLayer::new(LimitSettings::default())),
    )
}

/// Opens (and migrates) the SQLite store in `dir`; on a new database, installs the
/// example organisation and rules. The service and its tenant.
pub async fn open(dir: &Path) -> Result<(Service, TenantId), Box<dyn std::error::Error>> {
    let url = format!("sqlite://{}", dir.join("portal.db").display());
    let store = SqliteStore::open(&url, SqliteOptions::default()).await?;
    store.migrate().await?;
    let store: Arc<dyn Store> = Arc::new(store);
    let clock: Arc<dyn Clock> = Arc::new(chrono::Utc::now);
    // Unpredictable tracking numbers and ids: a CSPRNG seeded by the operating system.
    let mbs = Mbs::new(store, clock, muhtar_http::OsRandom::new()?);
    let (org, _warnings) =
        Organisation::from_toml_str_with(include_str!("../data/org.toml"), |_| {
            Ok(include_str!("../data/boundaries.geojson").to_owned())
        })?;
    let tenant = org.tenant.id.clone();
    if mbs.store().tenants().await?.is_empty() {
        mbs.install_organisation(&Actor::system(tenant.clone()), org)
            .await?;
        mbs.install_rules(
            &Actor::parse(&tenant, "admin")?,
            include_str!("../data/rules.toml"),
        )
        .await?;
    }
    Ok((mbs, tenant))
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = match std::env::var_os("PORTAL_DIR") {
        Some(d) => PathBuf::from(d),
        None => std::env::temp_dir().join("muhtar-portal"),
    };
    let uploads = dir.join("uploads");
    std::fs::create_dir_all(&uploads)?;
    let (mbs, tenant) = open(&dir).await?;
    let app = app(mbs, PortalSessions::demo(&tenant)?, &uploads);

    let bind = std::env::var("PORTAL_BIND").unwrap_or_else(|_| "127.0.0.1:8090".into());
    let listener = tokio::net::TcpListener::bind(&bind).await?;
    let addr = listener.local_addr()?;
    println!("data in {}", dir.display());
    for (cookie, actor) in DEMO_SESSIONS {
        println!("session {actor}: Cookie: portal_session={cookie}");
    }
    let stop = stop_signal()?;
    // Tests read this line to find the port (with PORTAL_BIND=127.0.0.1:0).
    println!("listening on http://{addr}");
    axum::serve(
        listener,
        // The client's address, for the limit on failed authentications.
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(stop)
    .await?;
    Ok(())
}

/// Completes on Ctrl-C or SIGTERM (installed now, so a signal right after the listening
/// line stops the portal gracefully).
fn stop_signal() -> std::io::Result<impl std::future::Future<Output = ()>> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let mut int = signal(SignalKind::interrupt())?;
        let mut term = signal(SignalKind::terminate())?;
        Ok(async move {
            tokio::select! {
                _ = int.recv() => {}
                _ = term.recv() => {}
            }
        })
    }
    #[cfg(not(unix))]
    Ok(async {
        let _ = tokio::signal::ctrl_c().await;
    })
}
