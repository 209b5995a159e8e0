//! Logins and server-side sessions for the web pages (no HTML, no routes: the pages call
//! these). Accounts, hashes, expiry and the per-account lockout are core's
//! ([`muhtar_core::account`], `Mbs::login_begin`/`login_finish`/`session`/`logout`); this
//! module runs the CPU-heavy password check on a blocking thread, so a login does not
//! hold up the server's other requests.
//!
//! - [`login`]: user name and password → a [`NewSession`] (its `secret` goes into the
//!   session cookie, its `csrf` into the forms) or a [`LoginError`]. A name that does not
//!   exist is checked against a dummy hash of the same cost, so the time taken does not
//!   tell which names exist; unknown names, wrong passwords and disabled users are the
//!   same [`LoginError::BadCredentials`]. Failed logins count against the account in the
//!   store (every server instance sees them); the per-address limit is
//!   [`crate::auth::FailedAuthLimitLayer`]'s (mark a refused login with
//!   [`crate::auth::FailedAttempt`] when [`LoginError::is_failure`]).
//! - [`session_actor`]: a cookie's secret → the user, the actor they act as and the
//!   session's CSRF secret, while the session lives.
//! - [`logout`], and [`csrf_matches`] to check a form's CSRF token in constant time.

use std::net::IpAddr;

use chrono::Duration;
use muhtar_core::access::Actor;
use muhtar_core::account::{verify_password, User};
use muhtar_core::ids::TenantId;
use muhtar_core::service::LoginError as CoreLoginError;
pub use muhtar_core::service::NewSession;
use muhtar_core::store::StoreError;

use crate::AppState;

/// Why a login failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LoginError {
    /// Unknown user name, wrong password or disabled user (not told apart).
    #[error("kullanıcı adı ya da parola yanlış / wrong user name or password")]
    BadCredentials,
    /// Too many failed logins for this user name lately.
    #[error(
        "çok fazla hatalı giriş; {} dakika sonra yeniden deneyin / too many failed logins; \
         try again in {} minutes", retry_after.num_minutes().max(1), retry_after.num_minutes().max(1)
    )]
    LockedOut {
        /// How long to wait at most.
        retry_after: Duration,
    },
    /// The store failed.
    #[error(transparent)]
    Store(StoreError),
    /// The password check could not run (its blocking task failed).
    #[error("login unavailable: {0}")]
    Unavailable(String),
}

impl LoginError {
    /// Whether the refusal counts as a failed authentication for the per-address limit:
    /// bad credentials (a locked-out name counts too, as guessing goes on).
    pub fn is_failure(&self) -> bool {
        matches!(
            self,
            LoginError::BadCredentials | LoginError::LockedOut { .. }
        )
    }
}

impl From<CoreLoginError> for LoginError {
    fn from(e: CoreLoginError) -> Self {
        match e {
            CoreLoginError::BadCredentials => LoginError::BadCredentials,
            CoreLoginError::LockedOut { retry_after } => LoginError::LockedOut { retry_after },
            CoreLoginError::Store(s) => LoginError::Store(s),
            other => LoginError::Unavailable(other.to_string()),
        }
    }
}

/// Logs `user_name` of `tenant` in with `password`: a new session, or why not. `client`
/// (the request's address, when known) goes into the log line of a refusal.
pub async fn login(
    state: &AppState,
    tenant: &TenantId,
    user_name: &str,
    password: &str,
    client: Option<IpAddr>,
) -> Result<NewSession, LoginError> {
    let attempt = state.mbs.login_begin(tenant, user_name).await;
    let attempt = match attempt {
        Ok(a) => a,
        Err(e) => {
            tracing::info!(client = ?client, tenant = %tenant, "login refused: {e}");
            return Err(e.into());
        }
    };
    let (hash, password) = (attempt.hash().to_owned(), password.to_owned());
    let verified = tokio::task::spawn_blocking(move || verify_password(&hash, &password))
        .await
        .map_err(|e| LoginError::Unavailable(e.to_string()))?;
    let result = state.mbs.login_finish(attempt, verified).await;
    if let Err(e) = &result {
        tracing::info!(client = ?client, tenant = %tenant, "login refused: {e}");
    }
    Ok(result?)
}

/// Who a live session is: its user, the actor they act as, and the session's CSRF secret.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SessionUser {
    /// The user.
    pub user: User,
    /// The actor they act as (every service call takes it).
    pub actor: Actor,
    /// The session's CSRF secret: what state-changing forms must carry.
    pub csrf: String,
}

/// The user of the session with this `secret` (the cookie's value): `None` when there is
/// no such session or it ended, expired, or its user was disabled. Records the use.
pub async fn session_actor(
    state: &AppState,
    secret: &str,
) -> Result<Option<SessionUser>, StoreError> {
    Ok(state
        .mbs
        .session(secret)
        .await?
        .map(|(user, actor, session)| SessionUser {
            user,
            actor,
            csrf: session.csrf,
        }))
}

/// Ends the session with this `secret` (logout). An unknown secret changes nothing.
pub async fn logout(state: &AppState, secret: &str) -> Result<(), StoreError> {
    state.mbs.logout(secret).await
}

/// Whether a form's CSRF token equals the session's, compared in constant time.
pub fn csrf_matches(expected: &str, given: &str) -> bool {
    let (a, b) = (expected.as_bytes(), given.as_bytes());
    a.len() == b.len() && !a.is_empty() && a.iter().zip(b).fold(0u8, |d, (x, y)| d | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use muhtar_core::account::AccountSettings;
    use muhtar_core::clock::{Clock, ManualClock};
    use muhtar_core::ids::SeededRandom;
    use muhtar_core::service::{Mbs, NewUser};
    use muhtar_core::store::Store;
    use muhtar_core::testkit::{fixtures, MemoryStore};

    use super::*;

    const PW: &str = "uzun-bir-parola-42";

    async fn state() -> (Arc<AppState>, Arc<ManualClock>, TenantId) {
        let clock = Arc::new(ManualClock::new(fixtures::t0()));
        let store: Arc<dyn Store> = Arc::new(MemoryStore::default());
        let mbs = Mbs::new(store, clock.clone() as Arc<dyn Clock>, SeededRandom::new(3))
            .account_settings(
                AccountSettings::default().with_failed_login_limit(2, Duration::minutes(15)),
            );
        let org = fixtures::organisation("web");
        let t = org.tenant.id.clone();
        mbs.install_organisation(&Actor::system(t.clone()), org)
            .await
            .unwrap();
        let admin = Actor::parse(&t, "admin").unwrap();
        mbs.add_user(&admin, NewUser::new("ayse", "muhtar:kuzguncuk", PW))
            .await
            .unwrap();
        (AppState::builder(mbs).build(), clock, t)
    }

    #[tokio::test]
    async fn a_login_names_the_actor_until_logout() {
        let (state, _, t) = state().await;
        let s = login(&state, &t, "Ayse", PW, None).await.unwrap();
        let who = session_actor(&state, &s.secret).await.unwrap().unwrap();
        assert_eq!(who.actor.to_string(), "muhtar:kuzguncuk@ayse");
        assert_eq!(who.user.name.as_str(), "ayse");
        assert!(csrf_matches(&who.csrf, &s.csrf));
        assert!(!csrf_matches(&who.csrf, &s.secret));
        assert!(!csrf_matches("", ""));
        logout(&state, &s.secret).await.unwrap();
        assert_eq!(session_actor(&state, &s.secret).await.unwrap(), None);
        assert_eq!(session_actor(&state, "bilinmeyen").await.unwrap(), None);
    }

    #[tokio::test]
    async fn wrong_passwords_and_unknown_names_are_refused_alike_then_locked() {
        let (state, clock, t) = state().await;
        for name in ["ayse", "kimse"] {
            for _ in 0..2 {
                let e = login(&state, &t, name, "yanlis-parola", None)
                    .await
                    .unwrap_err();
                assert!(matches!(e, LoginError::BadCredentials), "{e}");
                assert!(e.is_failure());
            }
            let e = login(&state, &t, name, PW, None).await.unwrap_err();
            assert!(matches!(e, LoginError::LockedOut { .. }), "{e}");
            assert!(e.to_string().contains("15 dakika"), "{e}");
        }
        clock.advance(Duration::minutes(15) + Duration::seconds(1));
        login(&state, &t, "ayse", PW, None).await.unwrap();
    }

    #[tokio::test]
    async fn a_session_ends_after_30_idle_minutes() {
        let (state, clock, t) = state().await;
        let s = login(&state, &t, "ayse", PW, None).await.unwrap();
        clock.advance(Duration::minutes(29));
        assert!(session_actor(&state, &s.secret).await.unwrap().is_some());
        clock.advance(Duration::minutes(30));
        assert_eq!(session_actor(&state, &s.secret).await.unwrap(), None);
    }
}
