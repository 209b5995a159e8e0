//! Authentication, pluggable: an [`Authenticator`] turns a request's credentials into an
//! [`Actor`] or refuses; [`TokenAuthenticator`] (the default) reads our API tokens. And the
//! limit on failed authentications per client address, as a layer a host keeps or drops
//! ([`FailedAuthLimitLayer`]).
//!
//! ## Authenticators
//!
//! Every REST handler that needs an actor takes the [`Auth`] extractor; Open311 calls that
//! need one (`POST requests`, reads when the tenant sets `private_reads`) ask the same
//! authenticator with the `api_key` parameter. The authenticator is the host's choice,
//! set once in [`AppState::builder`](crate::AppState::builder):
//!
//! - [`TokenAuthenticator`]: `Authorization: Bearer <secret>` on REST calls, the
//!   `api_key` parameter on Open311 calls, looked up by the SHA-256 of the secret in the
//!   store (`muhtar token create`). A missing, unknown or revoked token is a 401 (Open311:
//!   403) that says nothing more.
//! - A portal's own: its session cookie, or the identity its single sign-on (e-Devlet
//!   Kapısı, the municipality's directory) established, mapped to an actor. See the
//!   `portal` example of the `muhtar-examples` package.
//!
//! What the actor may do is decided by core's `authorize` inside every service call,
//! whichever authenticator named it. An authenticator distinguishes **no credentials**
//! ([`AuthError::Missing`]: a forgotten header, a public read; never counted) from **bad
//! credentials** ([`AuthError::Invalid`]: counted by the limit below).
//!
//! ## The limit on failed authentications
//!
//! [`FailedAuthLimitLayer`], when the host applies it, limits failures **per client IP
//! address** ([`AuthLimiter`]): a refusal for bad credentials (REST and Open311 alike)
//! and a public status look-up of a tracking number that does not exist are marked with
//! [`FailedAttempt`] by their handlers, and the layer counts them. After `max_failures`
//! within `window`, the address gets `429 Too Many Requests` with a `Retry-After` header
//! for `cooldown` on **every request the layer wraps, before its handler runs, even with
//! a valid token**: otherwise a guesser would learn which of its guesses is valid from the
//! difference between 429 and 200. A request without credentials is not a failure. Other
//! addresses are not affected. The client address comes from
//! [`ConnectInfo<SocketAddr>`](axum::extract::ConnectInfo) (serve with
//! `into_make_service_with_connect_info::<SocketAddr>()`, as [`crate::connections`]
//! does); without it nothing is counted. Behind a reverse proxy every client has the
//! proxy's address: raise the limit there or drop the layer (`muhtar serve
//! --auth-max-failures 0`). Memory is bounded: at most [`MAX_TRACKED`] addresses are
//! remembered; when the table is full, forgotten first are those whose window has passed,
//! then the oldest.
//!
//! Without the layer nothing is counted or refused. The one line that adds it:
//!
//! ```no_run
//! # fn app(state: std::sync::Arc<muhtar_http::AppState>) -> axum::Router {
//! use muhtar_http::auth::{FailedAuthLimitLayer, LimitSettings};
//! muhtar_http::router(state).layer(FailedAuthLimitLayer::new(LimitSettings::default()))
//! # }
//! ```

use std::collections::HashMap;
use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{header, Request};
use axum::response::{IntoResponse, Response};
use muhtar_core::access::Actor;
use muhtar_core::store::{Store, StoreError};
use muhtar_core::token::hash_secret;

use crate::error::ApiError;
use crate::AppState;

/// The attribute [`Authenticator`] is written with (from the `async-trait` crate), so an
/// implementation needs no dependency of its own: `#[muhtar_http::auth::async_trait]`.
pub use async_trait::async_trait;

/// The authenticated actor of a request: the extractor of every REST handler that needs
/// one. It asks the state's [`Authenticator`]; a refusal is a 401 (bad credentials marked
/// as a [`FailedAttempt`]).
#[derive(Debug, Clone)]
pub struct Auth(pub Actor);

/// Which API a request came through: an authenticator may read other credentials for each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Api {
    /// The REST API under `/api/v1`.
    Rest,
    /// Open311 GeoReport v2 under `/open311/v2`.
    Open311,
    /// The web pages (the `web` feature), for a request without our own session cookie:
    /// a portal's authenticator names the person of its own login (a cookie of its
    /// own, a header its single sign-on proxy sets). [`TokenAuthenticator`] reads
    /// nothing here: API tokens are for machines.
    Web,
}

/// What an [`Authenticator`] sees of a request.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct Credentials<'a> {
    /// The request's method, URI, headers (cookies, `Authorization`) and extensions
    /// (e.g. what a host's own middleware put there: a verified session).
    pub parts: &'a Parts,
    /// Which API.
    pub api: Api,
    /// Open311's `api_key` parameter (from the query or the form body), when given.
    pub api_key: Option<&'a str>,
}

impl<'a> Credentials<'a> {
    /// A REST request's credentials.
    pub fn rest(parts: &'a Parts) -> Self {
        Credentials {
            parts,
            api: Api::Rest,
            api_key: None,
        }
    }

    /// A web page's credentials ([`Api::Web`]).
    pub fn web(parts: &'a Parts) -> Self {
        Credentials {
            parts,
            api: Api::Web,
            api_key: None,
        }
    }

    /// An Open311 request's credentials, with its `api_key` parameter.
    pub fn open311(parts: &'a Parts, api_key: Option<&'a str>) -> Self {
        Credentials {
            parts,
            api: Api::Open311,
            api_key,
        }
    }

    /// The secret of an `Authorization: Bearer <secret>` header: `None` without the
    /// header; a header that is not text or not a bearer token is [`AuthError::Invalid`].
    pub fn bearer(&self) -> Result<Option<&'a str>, AuthError> {
        let Some(h) = self.parts.headers.get(header::AUTHORIZATION) else {
            return Ok(None);
        };
        h.to_str()
            .ok()
            .and_then(|h| {
                h.strip_prefix("Bearer ")
                    .or_else(|| h.strip_prefix("bearer "))
            })
            .map(Some)
            .ok_or(AuthError::Invalid)
    }
}

/// Why an [`Authenticator`] named no actor.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AuthError {
    /// The request carries no credentials this authenticator reads: 401 (Open311: 403),
    /// and not a failed authentication.
    #[error("no credentials")]
    Missing,
    /// The credentials name no one (unknown, revoked, expired, malformed): 401 (Open311:
    /// 403), counted as a failed authentication.
    #[error("credentials not valid")]
    Invalid,
    /// The store could not be asked.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The authenticator's own backend (a session store, a single sign-on provider) could
    /// not decide: 503, logged.
    #[error("authentication unavailable: {0}")]
    Unavailable(Box<dyn std::error::Error + Send + Sync>),
}

impl AuthError {
    /// Whether this refusal counts as a failed authentication ([`AuthError::Invalid`]).
    pub fn is_failure(&self) -> bool {
        matches!(self, AuthError::Invalid)
    }
}

impl From<AuthError> for ApiError {
    /// The REST answer: 401 for missing and bad credentials alike.
    fn from(e: AuthError) -> Self {
        match e {
            AuthError::Missing | AuthError::Invalid => ApiError::unauthorized(),
            AuthError::Store(s) => s.into(),
            AuthError::Unavailable(e) => {
                tracing::warn!(error = %e, "authentication unavailable");
                ApiError::new(
                    axum::http::StatusCode::SERVICE_UNAVAILABLE,
                    "unavailable",
                    "authentication is unavailable; try again later",
                )
            }
        }
    }
}

/// Turns a request's credentials into the [`Actor`] it acts as, or refuses. The host
/// sets one in [`AppState::builder`](crate::AppState::builder); [`TokenAuthenticator`]
/// is the default.
///
/// Return [`AuthError::Missing`] when the request carries none of the credentials you
/// read, [`AuthError::Invalid`] when it carries bad ones (they count against the client's
/// address when [`FailedAuthLimitLayer`] is applied).
#[async_trait::async_trait]
pub trait Authenticator: Send + Sync {
    /// The actor of these credentials.
    async fn authenticate(&self, credentials: &Credentials<'_>) -> Result<Actor, AuthError>;
}

/// Our API tokens (`muhtar token create`): `Authorization: Bearer <secret>` on REST
/// calls, the `api_key` parameter on Open311 calls, looked up by SHA-256 in the store.
#[derive(Clone)]
pub struct TokenAuthenticator {
    store: Arc<dyn Store>,
}

impl std::fmt::Debug for TokenAuthenticator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenAuthenticator").finish_non_exhaustive()
    }
}

impl TokenAuthenticator {
    /// Tokens in `store`.
    pub fn new(store: Arc<dyn Store>) -> Self {
        TokenAuthenticator { store }
    }
}

#[async_trait::async_trait]
impl Authenticator for TokenAuthenticator {
    async fn authenticate(&self, c: &Credentials<'_>) -> Result<Actor, AuthError> {
        let secret = match c.api {
            Api::Open311 => c.api_key,
            Api::Web => return Err(AuthError::Missing),
            _ => c.bearer()?,
        };
        let secret = secret.ok_or(AuthError::Missing)?;
        actor_for_secret(self.store.as_ref(), secret)
            .await?
            .ok_or(AuthError::Invalid)
    }
}

/// Most client addresses the failure table remembers.
pub const MAX_TRACKED: usize = 10_000;

/// How failed authentications are limited (the `muhtar serve --auth-*` flags).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LimitSettings {
    /// Failures allowed from one address within `window`; the next one starts the
    /// cool-down. 0 switches the limit off.
    pub max_failures: u32,
    /// The window the failures are counted in.
    pub window: Duration,
    /// How long the address is refused after that.
    pub cooldown: Duration,
}

impl Default for LimitSettings {
    /// 20 failures per minute, then 60 seconds of 429.
    fn default() -> Self {
        LimitSettings {
            max_failures: 20,
            window: Duration::from_secs(60),
            cooldown: Duration::from_secs(60),
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct Entry {
    window_start: Instant,
    failures: u32,
    blocked_until: Option<Instant>,
}

/// Failed authentications per client address (see the module documentation).
#[derive(Debug)]
pub struct AuthLimiter {
    settings: LimitSettings,
    capacity: usize,
    table: Mutex<HashMap<IpAddr, Entry>>,
}

impl AuthLimiter {
    /// A limiter with these settings, remembering at most [`MAX_TRACKED`] addresses.
    pub fn new(settings: LimitSettings) -> Self {
        Self::with_capacity(settings, MAX_TRACKED)
    }

    /// A limiter remembering at most `capacity` addresses (at least 1).
    pub fn with_capacity(settings: LimitSettings, capacity: usize) -> Self {
        AuthLimiter {
            settings,
            capacity: capacity.max(1),
            table: Mutex::new(HashMap::new()),
        }
    }

    fn table(&self) -> std::sync::MutexGuard<'_, HashMap<IpAddr, Entry>> {
        // A panic while holding the lock leaves a table that is still consistent.
        self.table.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// How long `ip` is still refused, if it is in its cool-down at `now`.
    pub fn blocked(&self, ip: IpAddr, now: Instant) -> Option<Duration> {
        if self.settings.max_failures == 0 {
            return None;
        }
        let until = self.table().get(&ip)?.blocked_until?;
        (until > now).then(|| until - now)
    }

    /// Records a failed authentication from `ip` at `now`; returns the cool-down if this
    /// failure started one.
    pub fn failure(&self, ip: IpAddr, now: Instant) -> Option<Duration> {
        let s = self.settings;
        if s.max_failures == 0 {
            return None;
        }
        let mut t = self.table();
        if !t.contains_key(&ip) && t.len() >= self.capacity {
            self.make_room(&mut t, now);
        }
        let e = t.entry(ip).or_insert(Entry {
            window_start: now,
            failures: 0,
            blocked_until: None,
        });
        if e.blocked_until.is_some_and(|u| u <= now) {
            e.blocked_until = None;
            e.failures = 0;
            e.window_start = now;
        }
        if now.duration_since(e.window_start) > s.window {
            e.window_start = now;
            e.failures = 0;
        }
        e.failures = e.failures.saturating_add(1);
        if e.failures > s.max_failures && e.blocked_until.is_none() {
            e.blocked_until = Some(now + s.cooldown);
            return Some(s.cooldown);
        }
        None
    }

    /// Forgets addresses that are neither counting nor blocked; if none is, the one
    /// whose window started first.
    fn make_room(&self, t: &mut HashMap<IpAddr, Entry>, now: Instant) {
        let s = self.settings;
        t.retain(|_, e| match e.blocked_until {
            Some(u) => u > now,
            None => now.duration_since(e.window_start) <= s.window,
        });
        if t.len() >= self.capacity {
            // Counting addresses go before blocked ones; among those, the oldest window
            // or the cool-down that ends first.
            if let Some(oldest) = t
                .iter()
                .min_by_key(|(_, e)| {
                    (
                        e.blocked_until.is_some(),
                        e.blocked_until.unwrap_or(e.window_start),
                    )
                })
                .map(|(ip, _)| *ip)
            {
                t.remove(&oldest);
            }
        }
    }

    /// How many addresses are remembered.
    #[cfg(test)]
    pub fn tracked(&self) -> usize {
        self.table().len()
    }
}

/// The client's address, when the server was started with connection info.
pub fn client_ip<B>(req: &Request<B>) -> Option<IpAddr> {
    req.extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip())
}

/// 429 with the seconds to wait.
pub fn too_many(wait: Duration) -> ApiError {
    let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    ApiError::new(
        axum::http::StatusCode::TOO_MANY_REQUESTS,
        "too_many_requests",
        format!("too many failed authentications from this address; try again in {secs} s"),
    )
    .retry_after(secs.max(1))
}

/// The actor of an API secret, if the secret names an active token.
pub async fn actor_for_secret(
    store: &dyn Store,
    secret: &str,
) -> Result<Option<Actor>, StoreError> {
    let secret = secret.trim();
    if secret.is_empty() || secret.len() > 200 {
        return Ok(None);
    }
    let Some(token) = store.token_by_hash(&hash_secret(secret)).await? else {
        return Ok(None);
    };
    if !token.is_active() {
        return Ok(None);
    }
    match token.actor() {
        Ok(a) => Ok(Some(a)),
        Err(e) => {
            tracing::warn!(token = %token.id, error = %e, "stored token names a bad actor");
            Ok(None)
        }
    }
}

/// The rejection of [`Auth`]: the REST error of an [`AuthError`], marked as a
/// [`FailedAttempt`] when the credentials were bad.
#[derive(Debug)]
pub struct AuthRejection(pub AuthError);

impl IntoResponse for AuthRejection {
    fn into_response(self) -> Response {
        let failed = self.0.is_failure();
        let r = ApiError::from(self.0).into_response();
        if failed {
            FailedAttempt::mark(r)
        } else {
            r
        }
    }
}

impl FromRequestParts<Arc<AppState>> for Auth {
    type Rejection = AuthRejection;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppState>,
    ) -> Result<Self, Self::Rejection> {
        let actor = state
            .authenticator
            .authenticate(&Credentials::rest(parts))
            .await
            .map_err(AuthRejection)?;
        tracing::Span::current().record("actor", tracing::field::display(&actor));
        Ok(Auth(actor))
    }
}

// ---------------------------------------------------------------------------------------
// The layer

/// A response extension: this response refuses a guess (bad credentials, an unknown
/// tracking number). [`FailedAuthLimitLayer`] counts it against the client's address;
/// without the layer it means nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FailedAttempt;

impl FailedAttempt {
    /// `response`, marked as a failed attempt.
    pub fn mark(mut response: Response) -> Response {
        response.extensions_mut().insert(FailedAttempt);
        response
    }
}

/// The limit on failed authentications as a [`tower::Layer`] (see the module
/// documentation): a limited address gets 429 with `Retry-After` before the handler;
/// responses marked [`FailedAttempt`] count, and the failure past the limit is itself
/// answered with 429. The 429 is in Open311's error format on Open311 paths.
#[derive(Debug, Clone)]
pub struct FailedAuthLimitLayer {
    limiter: Arc<AuthLimiter>,
}

impl FailedAuthLimitLayer {
    /// A layer with its own [`AuthLimiter`] of these settings.
    pub fn new(settings: LimitSettings) -> Self {
        Self::with_limiter(Arc::new(AuthLimiter::new(settings)))
    }

    /// A layer counting in `limiter` (share one limiter between several routers).
    pub fn with_limiter(limiter: Arc<AuthLimiter>) -> Self {
        FailedAuthLimitLayer { limiter }
    }

    /// The limiter it counts in.
    pub fn limiter(&self) -> &Arc<AuthLimiter> {
        &self.limiter
    }
}

impl<S> tower::Layer<S> for FailedAuthLimitLayer {
    type Service = FailedAuthLimit<S>;

    fn layer(&self, inner: S) -> Self::Service {
        FailedAuthLimit {
            inner,
            limiter: self.limiter.clone(),
        }
    }
}

/// The service of [`FailedAuthLimitLayer`].
#[derive(Debug, Clone)]
pub struct FailedAuthLimit<S> {
    inner: S,
    limiter: Arc<AuthLimiter>,
}

impl<S, B> tower::Service<Request<B>> for FailedAuthLimit<S>
where
    S: tower::Service<Request<B>, Response = Response> + Clone + Send + 'static,
    S::Future: Send + 'static,
    S::Error: Send + 'static,
    B: Send + 'static,
{
    type Response = Response;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Response, S::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request<B>) -> Self::Future {
        let ip = client_ip(&req);
        let path = req.uri().path().to_owned();
        if let Some(wait) = ip.and_then(|ip| self.limiter.blocked(ip, Instant::now())) {
            return Box::pin(std::future::ready(Ok(refusal(&req, &path, wait))));
        }
        // The clone that was made ready is the one that is called.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let limiter = self.limiter.clone();
        let mount = request_mount(&req);
        Box::pin(async move {
            let mut response = inner.call(req).await?;
            // Counted once, however many layers there are.
            if response
                .extensions_mut()
                .remove::<FailedAttempt>()
                .is_some()
            {
                if let Some(ip) = ip {
                    if let Some(wait) = limiter.failure(ip, Instant::now()) {
                        tracing::warn!(%ip, cooldown_s = wait.as_secs(), "too many failed authentications: address refused for a while");
                        return Ok(refusal_for(&mount, &path, wait));
                    }
                }
            }
            Ok(response)
        })
    }
}

/// The 429 of a limited address to `req`: [`refusal_for`] under the request's mount.
fn refusal<B>(req: &Request<B>, path: &str, wait: Duration) -> Response {
    refusal_for(&request_mount(req), path, wait)
}

/// Where the router that the layer wraps is mounted (the layer runs before the
/// router's own [`crate::mount::record`]).
fn request_mount<B>(req: &Request<B>) -> crate::mount::Mount {
    match req.extensions().get::<axum::extract::OriginalUri>() {
        Some(axum::extract::OriginalUri(original)) => {
            crate::mount::Mount::derive(original.path(), req.uri().path())
        }
        None => crate::mount::Mount::default(),
    }
}

/// The 429 of a limited address, in the error format of the API `path` belongs to: a
/// page (with the `web` feature) on the pages' paths.
fn refusal_for(mount: &crate::mount::Mount, path: &str, wait: Duration) -> Response {
    #[cfg(feature = "web")]
    if !crate::is_api_path(path) {
        return crate::web::problem::too_many_page(mount, wait);
    }
    let _ = mount;
    crate::open311::too_many_for_path(path, wait).unwrap_or_else(|| too_many(wait).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(headers: &[(&str, &str)]) -> Parts {
        let mut b = Request::builder().uri("/api/v1/requests");
        for (k, v) in headers {
            b = b.header(*k, *v);
        }
        b.body(()).unwrap().into_parts().0
    }

    #[test]
    fn a_bearer_header_is_read_and_anything_else_in_authorization_is_invalid() {
        let p = parts(&[]);
        assert!(matches!(Credentials::rest(&p).bearer(), Ok(None)));
        for h in ["Bearer mbs_x", "bearer mbs_x"] {
            let p = parts(&[("authorization", h)]);
            assert!(matches!(Credentials::rest(&p).bearer(), Ok(Some("mbs_x"))));
        }
        for h in ["Basic dXNlcjpwYXNz", "mbs_x", "Bearer"] {
            let p = parts(&[("authorization", h)]);
            assert!(
                matches!(Credentials::rest(&p).bearer(), Err(AuthError::Invalid)),
                "{h}"
            );
        }
    }

    #[tokio::test]
    async fn tokens_are_read_from_the_header_on_rest_and_from_api_key_on_open311() {
        use muhtar_core::testkit::{fixtures, MemoryStore};
        use muhtar_core::token::{ApiToken, TokenStore};
        let store = Arc::new(MemoryStore::default());
        store
            .create_token(&ApiToken {
                id: Default::default(),
                tenant: fixtures::tenant("t"),
                actor: "muhtar:kuzguncuk".into(),
                name: "test".into(),
                hash: hash_secret("mbs_good"),
                created_at: fixtures::t0(),
                revoked_at: None,
            })
            .await
            .unwrap();
        let a = TokenAuthenticator::new(store);
        let with_header = parts(&[("authorization", "Bearer mbs_good")]);
        let none = parts(&[]);
        let actor = a.authenticate(&Credentials::rest(&with_header)).await;
        let expected = Actor::parse(&fixtures::tenant("t"), "muhtar:kuzguncuk").unwrap();
        assert_eq!(actor.unwrap().to_string(), expected.to_string());
        let r = a.authenticate(&Credentials::rest(&none)).await;
        assert!(matches!(r, Err(AuthError::Missing)));
        let bad = parts(&[("authorization", "Bearer mbs_bad")]);
        let r = a.authenticate(&Credentials::rest(&bad)).await;
        assert!(r.as_ref().is_err_and(AuthError::is_failure), "{r:?}");
        // Open311 reads api_key only, as the specification says.
        let r = a
            .authenticate(&Credentials::open311(&none, Some("mbs_good")))
            .await;
        assert!(r.is_ok());
        let r = a
            .authenticate(&Credentials::open311(&with_header, None))
            .await;
        assert!(matches!(r, Err(AuthError::Missing)));
        let r = a
            .authenticate(&Credentials::open311(&none, Some("mbs_bad")))
            .await;
        assert!(matches!(r, Err(AuthError::Invalid)));
    }

    fn ip(n: u32) -> IpAddr {
        IpAddr::from(std::net::Ipv4Addr::from(n))
    }

    fn limiter(capacity: usize) -> AuthLimiter {
        AuthLimiter::with_capacity(
            LimitSettings {
                max_failures: 3,
                window: Duration::from_secs(10),
                cooldown: Duration::from_secs(30),
            },
            capacity,
        )
    }

    #[test]
    fn the_failure_after_the_limit_starts_the_cooldown_for_that_address_only() {
        let l = limiter(100);
        let t = Instant::now();
        for _ in 0..3 {
            assert_eq!(l.failure(ip(1), t), None);
        }
        assert_eq!(l.blocked(ip(1), t), None);
        assert_eq!(l.failure(ip(1), t), Some(Duration::from_secs(30)));
        assert_eq!(l.blocked(ip(1), t), Some(Duration::from_secs(30)));
        assert_eq!(l.blocked(ip(2), t), None);
        let later = t + Duration::from_secs(31);
        assert_eq!(l.blocked(ip(1), later), None, "the cool-down ends");
        assert_eq!(l.failure(ip(1), later), None, "and counting starts again");
    }

    #[test]
    fn failures_outside_the_window_do_not_add_up() {
        let l = limiter(100);
        let t = Instant::now();
        // One failure every 4 s: never more than 3 in a 10 s window.
        for i in 0..20 {
            assert_eq!(l.failure(ip(1), t + Duration::from_secs(4 * i)), None);
        }
        assert_eq!(l.blocked(ip(1), t + Duration::from_secs(80)), None);
    }

    #[test]
    fn memory_is_bounded_and_blocked_addresses_are_kept_longest() {
        let l = limiter(50);
        let t = Instant::now();
        for _ in 0..4 {
            let _ = l.failure(ip(0), t);
        }
        assert!(l.blocked(ip(0), t).is_some());
        for n in 1..10_000 {
            let _ = l.failure(ip(n), t + Duration::from_millis(u64::from(n)));
            assert!(l.tracked() <= 50);
        }
        // Expired entries go first once their window has passed.
        let late = t + Duration::from_secs(20);
        let _ = l.failure(ip(99_999), late);
        assert!(l.tracked() <= 50);
        assert!(l.blocked(ip(0), late).is_some(), "still in its cool-down");
    }

    #[test]
    fn zero_switches_the_limit_off() {
        let l = AuthLimiter::new(LimitSettings {
            max_failures: 0,
            ..LimitSettings::default()
        });
        let t = Instant::now();
        for _ in 0..100 {
            assert_eq!(l.failure(ip(1), t), None);
        }
        assert_eq!(l.blocked(ip(1), t), None);
        assert_eq!(l.tracked(), 0);
    }
}
