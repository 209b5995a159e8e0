//! Bearer-token authentication: `Authorization: Bearer <secret>` → the token's actor, and
//! the limit on failed authentications per client address.
//!
//! Only the SHA-256 of the secret is looked up; a missing, unknown or revoked token is a
//! 401 that says nothing more. What the actor may do is decided by core's `authorize`
//! inside every service call.
//!
//! **Failed authentications are limited per client IP address** ([`AuthLimiter`]): after
//! `max_failures` unknown, revoked or malformed tokens (REST `Authorization` headers and
//! Open311 `api_key`s) within `window`, the address gets `429 Too Many Requests` with a
//! `Retry-After` header for `cooldown` on everything that authenticates, **even with a
//! valid token**: otherwise a guesser would learn which of its guesses is valid from the
//! difference between 429 and 200. A request without credentials (a public Open311 read,
//! a forgotten header) is not a failure. Other addresses are not affected. Behind a
//! reverse proxy every client has the proxy's address: raise the limit there or switch
//! it off (`--auth-max-failures 0`). Memory is bounded: at most [`MAX_TRACKED`]
//! addresses are remembered; when the table is full, forgotten first are those whose
//! window has passed, then the oldest.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use muhtar_core::access::Actor;
use muhtar_core::store::Store;
use muhtar_core::token::hash_secret;

use crate::error::ApiError;
use crate::AppState;

/// The authenticated actor of a request.
#[derive(Debug, Clone)]
pub struct Auth(pub Actor);

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
pub fn client_ip(parts: &Parts) -> Option<IpAddr> {
    parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip())
}

/// The client's address as an extractor that never fails.
#[derive(Debug, Clone, Copy)]
pub struct ClientIp(pub Option<IpAddr>);

impl<S: Send + Sync> FromRequestParts<S> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(ClientIp(client_ip(parts)))
    }
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
pub async fn actor_for_secret(store: &dyn Store, secret: &str) -> Result<Option<Actor>, ApiError> {
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

/// [`actor_for_secret`] under the failure limit of `ip`: a blocked address gets 429
/// before any look-up; `Ok(None)` (no such active token) counts as a failure, and the
/// failure past the limit is itself answered with 429.
pub async fn limited_actor(
    state: &AppState,
    ip: Option<IpAddr>,
    secret: Option<&str>,
) -> Result<Option<Actor>, ApiError> {
    let now = Instant::now();
    if let Some(wait) = ip.and_then(|ip| state.limiter.blocked(ip, now)) {
        return Err(too_many(wait));
    }
    let actor = match secret {
        Some(s) => actor_for_secret(state.mbs.store().as_ref(), s).await?,
        None => None,
    };
    if actor.is_none() {
        if let Some(ip) = ip {
            if let Some(wait) = state.limiter.failure(ip, Instant::now()) {
                tracing::warn!(%ip, cooldown_s = wait.as_secs(), "too many failed authentications: address refused for a while");
                return Err(too_many(wait));
            }
        }
    }
    Ok(actor)
}

impl FromRequestParts<Arc<AppState>> for Auth {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppState>,
    ) -> Result<Self, Self::Rejection> {
        let Some(header) = parts.headers.get(axum::http::header::AUTHORIZATION) else {
            return Err(ApiError::unauthorized());
        };
        // A header that is not text or not a bearer token is a failed authentication.
        let secret = header.to_str().ok().and_then(|h| {
            h.strip_prefix("Bearer ")
                .or_else(|| h.strip_prefix("bearer "))
        });
        let actor = limited_actor(state, client_ip(parts), secret)
            .await?
            .ok_or_else(ApiError::unauthorized)?;
        tracing::Span::current().record("actor", tracing::field::display(&actor));
        Ok(Auth(actor))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
