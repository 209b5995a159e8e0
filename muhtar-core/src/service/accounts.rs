//! Users, logins and sessions through the service ([`crate::account`] has the rules).
//!
//! Only an administrator manages users ([`Action::Manage`] on the tenant); a user may
//! change their own password by giving the old one. A login is two steps around the
//! CPU-heavy password check so that an async server can run that check on a blocking
//! thread: [`Mbs::login_begin`] (lockout check, the hash to verify against: the user's,
//! or [`crate::account::dummy_hash`] for a name that does not exist), then
//! [`Mbs::login_finish`] with the verdict. [`Mbs::login`] does all three in place.

use chrono::{Duration, SubsecRound};

use super::*;
use crate::account::{
    check_password, dummy_hash, hash_password, verify_password, AccountError, Session, User,
    UserName,
};
use crate::token::hash_secret;

/// A user to add ([`Mbs::add_user`]).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct NewUser {
    /// The user name (normalised by [`UserName::new`]).
    pub name: String,
    /// The actor, in [`Actor::parse`] form without `@user` (`muhtar:kuzguncuk`, `admin`).
    pub actor: String,
    /// The name shown on the pages; the user name when `None`.
    pub display_name: Option<String>,
    /// The password (checked by [`check_password`]).
    pub password: String,
}

impl NewUser {
    /// A user `name` acting as `actor` with `password`.
    pub fn new(
        name: impl Into<String>,
        actor: impl Into<String>,
        password: impl Into<String>,
    ) -> Self {
        Self {
            name: name.into(),
            actor: actor.into(),
            display_name: None,
            password: password.into(),
        }
    }

    /// With a display name.
    pub fn display_name(mut self, display_name: impl Into<String>) -> Self {
        self.display_name = Some(display_name.into());
        self
    }
}

/// A session just started by a login. The secrets are shown only here: the store keeps
/// the SHA-256 of `secret`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct NewSession {
    /// The session secret, for the cookie (64 hex digits: 256 random bits).
    pub secret: String,
    /// The session's CSRF secret, for its forms (64 hex digits).
    pub csrf: String,
    /// Who logged in.
    pub user: User,
    /// The actor they act as.
    pub actor: Actor,
    /// When the session ends at the latest.
    pub expires_at: DateTime<Utc>,
}

/// The first step of a login ([`Mbs::login_begin`]): verify the password against
/// [`LoginAttempt::hash`], then call [`Mbs::login_finish`].
#[derive(Debug, Clone)]
pub struct LoginAttempt {
    tenant: TenantId,
    name: UserName,
    user: Option<User>,
    hash: String,
}

impl LoginAttempt {
    /// The PHC hash to verify the password against: the user's, or a dummy one for a name
    /// that does not exist (same cost: the time taken does not tell which names exist).
    pub fn hash(&self) -> &str {
        &self.hash
    }
}

/// Why a login failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LoginError {
    /// Unknown user name, wrong password or disabled user: not told apart.
    #[error("kullanıcı adı ya da parola yanlış / wrong user name or password")]
    BadCredentials,
    /// Too many failed logins for this user name lately.
    #[error(
        "çok fazla hatalı giriş; daha sonra deneyin / too many failed logins; try again in \
         {} minutes", retry_after.num_minutes().max(1)
    )]
    LockedOut {
        /// How long to wait at most.
        retry_after: Duration,
    },
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// 256 random bits of the service's source, as 64 hex digits.
fn secret_hex(ids: &mut IdGenerator) -> String {
    let mut s = String::with_capacity(64);
    for _ in 0..4 {
        s.push_str(&format!("{:016x}", ids.next_u64()));
    }
    s
}

fn user_not_found() -> ServiceError {
    ServiceError::NotFound("user".into())
}

impl<S: Store, C: Clock> Mbs<S, C> {
    /// The login and session settings in force.
    pub fn accounts(&self) -> &crate::account::AccountSettings {
        &self.accounts
    }

    /// The clock's instant as the stores keep it (microseconds).
    /// A random (version 4) UUID from the service's source.
    pub(super) fn random_uuid(&self) -> uuid::Uuid {
        let mut ids = self.ids();
        let mut b = [0u8; 16];
        b[..8].copy_from_slice(&ids.next_u64().to_le_bytes());
        b[8..].copy_from_slice(&ids.next_u64().to_le_bytes());
        uuid::Builder::from_random_bytes(b).into_uuid()
    }

    pub(super) fn now_micros(&self) -> DateTime<Utc> {
        self.clock.now().trunc_subsecs(6)
    }

    async fn authorize_manage(&self, actor: &Actor) -> Result<Arc<TenantContext>, ServiceError> {
        let ctx = self.context(&actor.tenant).await?;
        authorize(
            actor,
            Action::Manage,
            &Target::Tenant(&actor.tenant),
            &ctx.org,
        )?;
        Ok(ctx)
    }

    /// A fresh argon2id hash of `password` with a salt from the service's random source.
    fn hash_new_password(&self, password: &str) -> Result<String, AccountError> {
        let mut salt = [0u8; 16];
        {
            let mut ids = self.ids();
            salt[..8].copy_from_slice(&ids.next_u64().to_le_bytes());
            salt[8..].copy_from_slice(&ids.next_u64().to_le_bytes());
        }
        hash_password(password, &salt)
    }

    /// Adds a user to the administrator's tenant. The actor must be one a person can be,
    /// of a muhtarlık or unit the organisation has; the password must pass
    /// [`check_password`]. Hashes the password here (CPU-heavy).
    pub async fn add_user(&self, admin: &Actor, new: NewUser) -> Result<User, ServiceError> {
        let ctx = self.authorize_manage(admin).await?;
        let name = UserName::new(&new.name)?;
        let mut actor =
            Actor::parse(&admin.tenant, new.actor.trim()).map_err(AccountError::from)?;
        let not_allowed = |problem: String| AccountError::ActorNotAllowed {
            actor: new.actor.clone(),
            problem,
        };
        match &actor.role {
            Role::Muhtar(m) if ctx.org.muhtarlik(m).is_none() => {
                return Err(not_allowed(format!("unknown muhtarlık {m}")).into())
            }
            Role::UnitStaff(u) if ctx.org.unit(u).is_none() => {
                return Err(not_allowed(format!("unknown unit {u}")).into())
            }
            Role::System | Role::Public => {
                return Err(not_allowed(
                    "no person logs in as this role; valid: muhtar:<code>, unit:<code>, \
                     coordinator, official, auditor, admin"
                        .into(),
                )
                .into())
            }
            _ => {}
        }
        actor.user = name.to_string();
        let display_name = match new.display_name.as_deref().map(str::trim) {
            None | Some("") => name.to_string(),
            Some(d) if d.chars().count() > 200 || d.chars().any(char::is_control) => {
                return Err(AccountError::DisplayName.into())
            }
            Some(d) => d.to_owned(),
        };
        check_password(&name, &new.password)?;
        if self
            .store
            .user_by_name(&admin.tenant, &name)
            .await?
            .is_some()
        {
            return Err(AccountError::NameTaken(name.to_string()).into());
        }
        let password_hash = self.hash_new_password(&new.password)?;
        let now = self.now_micros();
        let id = self.random_uuid();
        let user = User {
            id,
            tenant: admin.tenant.clone(),
            name: name.clone(),
            actor: actor.to_string(),
            display_name,
            password_hash,
            created_at: now,
            password_changed_at: now,
            disabled_at: None,
        };
        self.store.create_user(&user).await.map_err(|e| match e {
            StoreError::Duplicate { .. } => AccountError::NameTaken(name.to_string()).into(),
            e => ServiceError::from(e),
        })?;
        Ok(user)
    }

    /// The tenant's users, oldest first (administrators only).
    pub async fn users(&self, admin: &Actor) -> Result<Vec<User>, ServiceError> {
        self.authorize_manage(admin).await?;
        Ok(self.store.users(&admin.tenant).await?)
    }

    /// The tenant's user `name` (administrators only); [`ServiceError::NotFound`] if none.
    pub async fn user(&self, admin: &Actor, name: &str) -> Result<User, ServiceError> {
        self.authorize_manage(admin).await?;
        let name = UserName::new(name)?;
        self.store
            .user_by_name(&admin.tenant, &name)
            .await?
            .ok_or_else(user_not_found)
    }

    /// Sets the password of user `name`: an administrator sets anyone's (`old` is not
    /// needed); a user changes their own by giving the `old` one
    /// ([`AccountError::WrongPassword`] if it is wrong). Every session of the user ends. A
    /// disabled user's password may be set by an administrator (they stay disabled).
    pub async fn set_password(
        &self,
        actor: &Actor,
        name: &str,
        old: Option<&str>,
        new: &str,
    ) -> Result<(), ServiceError> {
        let name = UserName::new(name)?;
        let user = self.store.user_by_name(&actor.tenant, &name).await?;
        let own = user
            .as_ref()
            .is_some_and(|u| u.is_active() && u.actor == actor.to_string());
        if !own {
            self.authorize_manage(actor).await?;
        }
        let user = user.ok_or_else(user_not_found)?;
        if own && !old.is_some_and(|old| verify_password(&user.password_hash, old)) {
            return Err(AccountError::WrongPassword.into());
        }
        check_password(&name, new)?;
        let hash = self.hash_new_password(new)?;
        self.store
            .set_password(&actor.tenant, user.id, &hash, self.now_micros())
            .await?;
        Ok(())
    }

    /// Disables user `name` (administrators only): they can no longer log in and every
    /// session of theirs ends at once. Disabling again changes nothing.
    pub async fn disable_user(&self, admin: &Actor, name: &str) -> Result<User, ServiceError> {
        let user = self.user(admin, name).await?;
        self.store
            .disable_user(&admin.tenant, user.id, self.now_micros())
            .await?;
        self.store
            .user_by_id(&admin.tenant, user.id)
            .await?
            .ok_or_else(user_not_found)
    }

    /// The tenant's context after checking that `admin` may manage it (users, tokens,
    /// the organisation and the rules): for the callers that issue API tokens, whose
    /// secrets come from the operating system outside core (`muhtar_http::tokens`).
    pub async fn manage_context(&self, admin: &Actor) -> Result<Arc<TenantContext>, ServiceError> {
        self.authorize_manage(admin).await
    }

    /// The tenant's API tokens, oldest first, revoked ones included (administrators
    /// only; the store keeps no secret, only its hash).
    pub async fn tokens(&self, admin: &Actor) -> Result<Vec<crate::token::ApiToken>, ServiceError> {
        self.authorize_manage(admin).await?;
        Ok(self.store.tokens(&admin.tenant).await?)
    }

    /// Revokes the tenant's API token `id` now (administrators only); revoking again
    /// keeps the first instant. [`ServiceError::NotFound`] if the tenant has no such token.
    pub async fn revoke_token(&self, admin: &Actor, id: uuid::Uuid) -> Result<(), ServiceError> {
        self.authorize_manage(admin).await?;
        self.store
            .revoke_token(&admin.tenant, id, self.now_micros())
            .await
            .map_err(|e| match e {
                StoreError::NotFound { .. } => ServiceError::NotFound("token".into()),
                e => e.into(),
            })
    }

    /// The first step of a login of `name` in `tenant`: refuses a locked-out name, and
    /// gives the hash to verify the password against ([`LoginAttempt::hash`]). A name
    /// that is not a valid user name is treated as one that does not exist.
    pub async fn login_begin(
        &self,
        tenant: &TenantId,
        name: &str,
    ) -> Result<LoginAttempt, LoginError> {
        // An invalid name counts against a placeholder name of its own, never a real one.
        let name = UserName::new(name).unwrap_or_else(|_| UserName::invalid());
        let s = &self.accounts;
        let since = self.now_micros() - s.failed_login_window;
        if self.store.login_failures(tenant, &name, since).await? >= s.max_failed_logins {
            return Err(LoginError::LockedOut {
                retry_after: s.failed_login_window,
            });
        }
        let user = self.store.user_by_name(tenant, &name).await?;
        let hash = match &user {
            Some(u) => u.password_hash.clone(),
            None => dummy_hash().to_owned(),
        };
        Ok(LoginAttempt {
            tenant: tenant.clone(),
            name,
            user,
            hash,
        })
    }

    /// The second step of a login: `verified` says whether the password matched
    /// [`LoginAttempt::hash`]. A failure (wrong password, no such user, a disabled user)
    /// is counted against the name and is [`LoginError::BadCredentials`]; a success
    /// clears the name's count and starts a session.
    pub async fn login_finish(
        &self,
        attempt: LoginAttempt,
        verified: bool,
    ) -> Result<NewSession, LoginError> {
        let now = self.now_micros();
        let user_actor = attempt
            .user
            .filter(|u| verified && u.is_active())
            .and_then(|u| Some((u.actor().ok()?, u)));
        let Some((actor, user)) = user_actor else {
            let since = now - self.accounts.failed_login_window;
            self.store
                .record_login_failure(&attempt.tenant, &attempt.name, now, since)
                .await?;
            return Err(LoginError::BadCredentials);
        };
        self.store
            .clear_login_failures(&attempt.tenant, &attempt.name)
            .await?;
        Ok(self.start_session(user, actor).await?)
    }

    /// Starts a session of `user` acting as `actor` now: a password login's last step,
    /// and a council member's code login's ([`Mbs::member_login`]).
    pub(super) async fn start_session(
        &self,
        user: User,
        actor: Actor,
    ) -> Result<NewSession, StoreError> {
        let now = self.now_micros();
        let (secret, csrf) = {
            let mut ids = self.ids();
            (secret_hex(&mut ids), secret_hex(&mut ids))
        };
        let session = Session {
            hash: hash_secret(&secret),
            tenant: user.tenant.clone(),
            user: user.id,
            csrf: csrf.clone(),
            created_at: now,
            last_seen_at: now,
            expires_at: now + self.accounts.session_lifetime,
            ended_at: None,
        };
        self.store.create_session(&session).await?;
        Ok(NewSession {
            secret,
            csrf,
            user,
            actor,
            expires_at: session.expires_at,
        })
    }

    /// A whole login in place ([`Self::login_begin`], the password check, then
    /// [`Self::login_finish`]); the check is CPU-heavy and runs on the calling thread.
    pub async fn login(
        &self,
        tenant: &TenantId,
        name: &str,
        password: &str,
    ) -> Result<NewSession, LoginError> {
        let attempt = self.login_begin(tenant, name).await?;
        let ok = verify_password(attempt.hash(), password);
        self.login_finish(attempt, ok).await
    }

    /// The session of a secret, with its user and the actor they act as: `None` when the
    /// secret names no session, or it ended, expired (idle or past its lifetime) or its
    /// user is disabled. Records the use (at most once a minute, to spare the store).
    pub async fn session(
        &self,
        secret: &str,
    ) -> Result<Option<(User, Actor, Session)>, StoreError> {
        let now = self.now_micros();
        let hash = hash_secret(secret);
        let Some(session) = self.store.session_by_hash(&hash).await? else {
            return Ok(None);
        };
        if !session.is_live(now, self.accounts.session_idle) {
            return Ok(None);
        }
        let Some(user) = self
            .store
            .user_by_id(&session.tenant, session.user)
            .await?
            .filter(User::is_active)
        else {
            return Ok(None);
        };
        let Ok(actor) = user.actor() else {
            return Ok(None);
        };
        if now - session.last_seen_at >= Duration::minutes(1) {
            self.store.touch_session(&hash, now).await?;
        }
        Ok(Some((user, actor, session)))
    }

    /// Ends the session of a secret (logout). An unknown secret changes nothing.
    pub async fn logout(&self, secret: &str) -> Result<(), StoreError> {
        self.store
            .end_session(&hash_secret(secret), self.now_micros())
            .await
    }
}
