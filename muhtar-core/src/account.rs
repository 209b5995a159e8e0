//! Accounts of the people who log in to the web pages: users, their passwords, their
//! server-side sessions and the limit on failed logins per account. Machines keep using
//! API tokens ([`crate::token`]).
//!
//! A [`User`] belongs to one tenant, has a [`UserName`] unique in it (compared without
//! case: names are kept trimmed and lowercased), acts as one [`Actor`] (written as API
//! tokens write theirs, `muhtar:kuzguncuk@ayse`: the `@user` is the user name, so the
//! events a user causes name them) and has an argon2id password hash (a PHC string).
//!
//! ## Why hashing is in core
//!
//! Argon2 is pure computation: given the password, the salt and the parameters, the hash
//! is a function of them. Core does no I/O and draws no randomness of its own, so the salt
//! comes from the [`RandomSource`](crate::ids::RandomSource) the application gave
//! `Mbs::new` (the same source as ids and tracking numbers; the binary's is seeded by the
//! operating system). The `argon2` crate (RustCrypto, without its `rand_core`/`getrandom`
//! features) passes `.ci/check-core-deps.sh`. Keeping the hash in core means every front
//! end (CLI, web pages, a portal) hashes and checks the same way and the password policy
//! ([`check_password`]) is one function.
//!
//! Hashing and verifying are CPU-heavy on purpose (argon2id with the crate's default,
//! OWASP-recommended cost: 19 MiB, 2 passes, 1 lane). An async server runs
//! [`verify_password`] in a blocking task (`muhtar_http::session::login` does); see
//! [`Mbs::login_begin`](crate::service::Mbs::login_begin).
//!
//! ## Sessions
//!
//! A [`Session`] is kept in the store under the SHA-256 of its secret (like API tokens:
//! [`crate::token::hash_secret`]); the secret (256 random bits, hex) goes to the browser
//! once, in a cookie. A session ends when it is idle longer than
//! [`AccountSettings::session_idle`] (default 30 minutes), when it reaches
//! [`AccountSettings::session_lifetime`] after login (default 12 hours), at logout, and at
//! once for all of a user's sessions when the user is disabled or their password changes.
//! Each session has its own CSRF secret ([`Session::csrf`]) for the forms it posts.
//!
//! ## Failed logins
//!
//! Failed logins are counted per tenant and user name in the store (so every server
//! instance sees the same count), names that do not exist included (so a lockout does not
//! tell which names exist): after [`AccountSettings::max_failed_logins`] failures within
//! [`AccountSettings::failed_login_window`] (default 10 in 15 minutes) the name is locked
//! until its failures age out of the window; a successful login clears the count.

use std::sync::OnceLock;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::access::{Actor, ActorParseError};
use crate::ids::TenantId;
use crate::store::StoreError;

/// The fewest characters a password may have ([`check_password`]).
pub const MIN_PASSWORD_CHARS: usize = 10;

/// The most characters a user name may have.
pub const MAX_USER_NAME_CHARS: usize = 64;

/// A user name: trimmed and lowercased, 1 to [`MAX_USER_NAME_CHARS`] characters of
/// `a-z`, `0-9`, `.`, `-` and `_`, starting with a letter or a digit. Two names that differ
/// only in case are the same name.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct UserName(String);

impl UserName {
    /// Normalises and checks `text` (leading and trailing spaces dropped, lowercased).
    ///
    /// ```
    /// use muhtar_core::account::UserName;
    /// assert_eq!(UserName::new("  Ayse.K ").unwrap().as_str(), "ayse.k");
    /// assert!(UserName::new("ayşe").is_err());
    /// ```
    pub fn new(text: &str) -> Result<Self, AccountError> {
        let name = text.trim().to_ascii_lowercase();
        let bad = |problem: &'static str| AccountError::UserName {
            given: text.to_owned(),
            problem,
        };
        if name.is_empty() {
            return Err(bad("boş / empty"));
        }
        if name.chars().count() > MAX_USER_NAME_CHARS {
            return Err(bad("en çok 64 karakter / at most 64 characters"));
        }
        if !name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '-' | '_'))
        {
            return Err(bad(
                "yalnız a-z, 0-9, '.', '-', '_' / only a-z, 0-9, '.', '-' and '_'",
            ));
        }
        if !name.starts_with(|c: char| c.is_ascii_alphanumeric()) {
            return Err(bad(
                "harf ya da rakamla başlamalı / must start with a letter or a digit",
            ));
        }
        Ok(Self(name))
    }

    /// The user name of a council member's account (`uye.<member id>`), made at their
    /// first code login ([`crate::service::Mbs::member_login`]).
    pub fn of_member(id: crate::council::MemberId) -> Self {
        Self(format!("uye.{id}"))
    }

    /// The name a count of tries about a council member's contact is kept under (code
    /// requests, wrong codes): `-<what>.` and 32 hex digits of the contact key's SHA-256,
    /// which no valid name equals and which does not keep the contact in clear.
    pub(crate) fn contact_counter(what: &str, contact_key: &str) -> Self {
        use sha2::Digest;
        let h = hex::encode(sha2::Sha256::digest(contact_key.as_bytes()));
        Self(format!("-{what}.{}", &h[..32]))
    }

    /// The name failed logins of invalid names are counted under: `-`, which no valid
    /// name equals.
    pub(crate) fn invalid() -> Self {
        Self("-".into())
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for UserName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for UserName {
    type Error = AccountError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::new(&s)
    }
}

impl From<UserName> for String {
    fn from(n: UserName) -> Self {
        n.0
    }
}

impl std::str::FromStr for UserName {
    type Err = AccountError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::new(s)
    }
}

/// A rule of the password policy ([`check_password`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum PasswordRule {
    /// At least [`MIN_PASSWORD_CHARS`] characters.
    MinLength,
    /// Not the user name (in any case).
    NotUserName,
}

impl std::fmt::Display for PasswordRule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PasswordRule::MinLength => write!(
                f,
                "parola en az {MIN_PASSWORD_CHARS} karakter olmalı / the password must have at \
                 least {MIN_PASSWORD_CHARS} characters"
            ),
            PasswordRule::NotUserName => f.write_str(
                "parola kullanıcı adıyla aynı olamaz / the password must not be the user name",
            ),
        }
    }
}

/// Why an account operation was refused. Each names the field and the rule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AccountError {
    /// The user name is not a valid name.
    #[error("user name {given:?}: {problem}")]
    UserName {
        /// The name as given.
        given: String,
        /// What is wrong, in Turkish and English.
        problem: &'static str,
    },
    /// The password breaks a rule of the policy.
    #[error("password: {0}")]
    Password(PasswordRule),
    /// The old password given to change one's own password is wrong.
    #[error("old password: yanlış parola / wrong password")]
    WrongPassword,
    /// The actor a user is to act as is not valid.
    #[error("actor: {0}")]
    Actor(#[from] ActorParseError),
    /// The actor names a muhtarlık or unit the organisation does not have, or a role no
    /// person logs in as (`system`, `public`).
    #[error("actor {actor:?}: {problem}")]
    ActorNotAllowed {
        /// The actor as given.
        actor: String,
        /// What is wrong.
        problem: String,
    },
    /// The display name is too long or has control characters.
    #[error("display name: at most 200 characters, no control characters")]
    DisplayName,
    /// A user of that name exists in the tenant.
    #[error("user name {0:?}: bu ad kullanılıyor / the name is taken")]
    NameTaken(String),
    /// The password could not be hashed (never for a valid salt).
    #[error("password hashing failed: {0}")]
    Hash(String),
}

impl AccountError {
    /// The field the error is about: `name`, `password`, `old_password`, `actor` or
    /// `display_name`.
    pub fn field(&self) -> &'static str {
        match self {
            AccountError::UserName { .. } | AccountError::NameTaken(_) => "name",
            AccountError::Password(_) | AccountError::Hash(_) => "password",
            AccountError::WrongPassword => "old_password",
            AccountError::Actor(_) | AccountError::ActorNotAllowed { .. } => "actor",
            AccountError::DisplayName => "display_name",
        }
    }
}

/// Checks `password` against the policy for the user `name`: at least
/// [`MIN_PASSWORD_CHARS`] characters, not the user name.
///
/// ```
/// use muhtar_core::account::{check_password, PasswordRule, UserName, AccountError};
/// let ayse = UserName::new("ayse").unwrap();
/// assert_eq!(check_password(&ayse, "kısa"), Err(AccountError::Password(PasswordRule::MinLength)));
/// assert!(check_password(&ayse, "uzun-bir-parola-42").is_ok());
/// ```
pub fn check_password(name: &UserName, password: &str) -> Result<(), AccountError> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(AccountError::Password(PasswordRule::MinLength));
    }
    if password.trim().eq_ignore_ascii_case(name.as_str()) {
        return Err(AccountError::Password(PasswordRule::NotUserName));
    }
    Ok(())
}

/// The argon2id PHC string of `password` with `salt` (16 bytes from the service's
/// random source) and the crate's default cost.
pub fn hash_password(password: &str, salt: &[u8; 16]) -> Result<String, AccountError> {
    use argon2::password_hash::{PasswordHasher, SaltString};
    let salt = SaltString::encode_b64(salt).map_err(|e| AccountError::Hash(e.to_string()))?;
    argon2::Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| AccountError::Hash(e.to_string()))
}

/// Whether `password` is the one `phc` (an argon2 PHC string) was made from. A string that
/// is not a PHC hash verifies nothing. CPU-heavy: run it off an async executor.
pub fn verify_password(phc: &str, password: &str) -> bool {
    use argon2::password_hash::{PasswordHash, PasswordVerifier};
    PasswordHash::new(phc).is_ok_and(|h| {
        argon2::Argon2::default()
            .verify_password(password.as_bytes(), &h)
            .is_ok()
    })
}

/// A hash no password is known for, with the same cost as real ones: verified against
/// when a login names no user, so the time taken does not tell which names exist.
pub fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| {
        hash_password("muhtar: no such user", b"muhtar-dummy-slt").unwrap_or_default()
    })
}

/// A person who logs in to the web pages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    /// Id: random (version 4), not guessable from another.
    pub id: Uuid,
    /// The tenant.
    pub tenant: TenantId,
    /// The user name, unique in the tenant.
    pub name: UserName,
    /// The actor the user acts as, in [`Actor::parse`] form with the user name after `@`
    /// (`muhtar:kuzguncuk@ayse`).
    pub actor: String,
    /// The name shown on the pages.
    pub display_name: String,
    /// The argon2id PHC string of the password. Never shown.
    pub password_hash: String,
    /// When the user was added.
    pub created_at: DateTime<Utc>,
    /// When the password was last set (at creation, then at each change).
    pub password_changed_at: DateTime<Utc>,
    /// When the user was disabled, if they were.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disabled_at: Option<DateTime<Utc>>,
}

impl User {
    /// The actor the user acts as.
    pub fn actor(&self) -> Result<Actor, ActorParseError> {
        Actor::parse(&self.tenant, &self.actor)
    }

    /// Whether the user may log in.
    pub fn is_active(&self) -> bool {
        self.disabled_at.is_none()
    }
}

/// A server-side login session. The secret itself is not stored, only its SHA-256.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    /// SHA-256 of the secret, 64 lowercase hex digits ([`crate::token::hash_secret`]).
    pub hash: String,
    /// The user's tenant.
    pub tenant: TenantId,
    /// The user.
    pub user: Uuid,
    /// The session's CSRF secret: state-changing forms carry it, and it must match.
    pub csrf: String,
    /// When the user logged in.
    pub created_at: DateTime<Utc>,
    /// When the session was last used.
    pub last_seen_at: DateTime<Utc>,
    /// When it ends whatever happens (login + [`AccountSettings::session_lifetime`]).
    pub expires_at: DateTime<Utc>,
    /// When it was ended (logout, user disabled, password changed), if it was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ended_at: Option<DateTime<Utc>>,
}

impl Session {
    /// Whether the session may be used at `now`: not ended, not past its lifetime, and not
    /// idle for longer than `idle`.
    pub fn is_live(&self, now: DateTime<Utc>, idle: Duration) -> bool {
        self.ended_at.is_none() && now < self.expires_at && now < self.last_seen_at + idle
    }
}

/// The settings of logins and sessions (see the module documentation for the defaults).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct AccountSettings {
    /// A session unused this long ends. Default 30 minutes.
    pub session_idle: Duration,
    /// A session ends this long after login, used or not. Default 12 hours.
    pub session_lifetime: Duration,
    /// Failed logins of one user name within [`Self::failed_login_window`] after which
    /// the name is locked. Default 10.
    pub max_failed_logins: u32,
    /// The window failed logins are counted in. Default 15 minutes.
    pub failed_login_window: Duration,
}

impl Default for AccountSettings {
    fn default() -> Self {
        Self {
            session_idle: Duration::minutes(30),
            session_lifetime: Duration::hours(12),
            max_failed_logins: 10,
            failed_login_window: Duration::minutes(15),
        }
    }
}

impl AccountSettings {
    /// These settings with another idle expiry.
    pub fn with_session_idle(mut self, idle: Duration) -> Self {
        self.session_idle = idle;
        self
    }

    /// These settings with another absolute session lifetime.
    pub fn with_session_lifetime(mut self, lifetime: Duration) -> Self {
        self.session_lifetime = lifetime;
        self
    }

    /// These settings with another failed-login limit: `max` failures in `window`.
    pub fn with_failed_login_limit(mut self, max: u32, window: Duration) -> Self {
        self.max_failed_logins = max;
        self.failed_login_window = window;
        self
    }
}

/// Storage of users, sessions and failed logins. Part of [`crate::store::Store`] and of
/// the conformance suite.
#[async_trait::async_trait]
pub trait AccountStore: Send + Sync {
    /// Stores a new user; [`StoreError::Duplicate`] if the id, or the name in the tenant,
    /// is taken.
    async fn create_user(&self, user: &User) -> Result<(), StoreError>;
    /// The tenant's user of that name, disabled or not.
    async fn user_by_name(
        &self,
        tenant: &TenantId,
        name: &UserName,
    ) -> Result<Option<User>, StoreError>;
    /// The tenant's user with that id, disabled or not.
    async fn user_by_id(&self, tenant: &TenantId, id: Uuid) -> Result<Option<User>, StoreError>;
    /// The tenant's users, oldest first (then by id), disabled ones included.
    async fn users(&self, tenant: &TenantId) -> Result<Vec<User>, StoreError>;
    /// Replaces a user's password hash (`password_changed_at` = `at`) and ends every
    /// session of theirs at `at`, in one transaction. [`StoreError::NotFound`] if the
    /// tenant has no such user.
    async fn set_password(
        &self,
        tenant: &TenantId,
        id: Uuid,
        hash: &str,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError>;
    /// Disables a user at `at` (disabling again keeps the first instant) and ends every
    /// session of theirs, in one transaction. [`StoreError::NotFound`] if the tenant has
    /// no such user.
    async fn disable_user(
        &self,
        tenant: &TenantId,
        id: Uuid,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError>;
    /// Stores a new session; [`StoreError::Duplicate`] if its hash is taken.
    async fn create_session(&self, session: &Session) -> Result<(), StoreError>;
    /// The session with this secret hash, in any tenant, ended or not.
    async fn session_by_hash(&self, hash: &str) -> Result<Option<Session>, StoreError>;
    /// Records use of a session at `at` (`last_seen_at` only moves forward). Nothing
    /// happens for an unknown hash.
    async fn touch_session(&self, hash: &str, at: DateTime<Utc>) -> Result<(), StoreError>;
    /// Ends a session at `at` (ending again keeps the first instant). Nothing happens for
    /// an unknown hash.
    async fn end_session(&self, hash: &str, at: DateTime<Utc>) -> Result<(), StoreError>;
    /// Ends every session of a user not already ended; gives how many it ended.
    async fn end_user_sessions(
        &self,
        tenant: &TenantId,
        user: Uuid,
        at: DateTime<Utc>,
    ) -> Result<u64, StoreError>;
    /// Records a failed login for `name` at `at`, forgets the name's failures before
    /// `since`, and gives the number of its failures at or after `since` (this one
    /// included).
    async fn record_login_failure(
        &self,
        tenant: &TenantId,
        name: &UserName,
        at: DateTime<Utc>,
        since: DateTime<Utc>,
    ) -> Result<u32, StoreError>;
    /// The number of failed logins for `name` at or after `since`.
    async fn login_failures(
        &self,
        tenant: &TenantId,
        name: &UserName,
        since: DateTime<Utc>,
    ) -> Result<u32, StoreError>;
    /// Forgets the failed logins of `name` (after a successful login).
    async fn clear_login_failures(
        &self,
        tenant: &TenantId,
        name: &UserName,
    ) -> Result<(), StoreError>;
}

#[async_trait::async_trait]
impl<T: AccountStore + ?Sized> AccountStore for std::sync::Arc<T> {
    async fn create_user(&self, user: &User) -> Result<(), StoreError> {
        (**self).create_user(user).await
    }
    async fn user_by_name(
        &self,
        tenant: &TenantId,
        name: &UserName,
    ) -> Result<Option<User>, StoreError> {
        (**self).user_by_name(tenant, name).await
    }
    async fn user_by_id(&self, tenant: &TenantId, id: Uuid) -> Result<Option<User>, StoreError> {
        (**self).user_by_id(tenant, id).await
    }
    async fn users(&self, tenant: &TenantId) -> Result<Vec<User>, StoreError> {
        (**self).users(tenant).await
    }
    async fn set_password(
        &self,
        tenant: &TenantId,
        id: Uuid,
        hash: &str,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        (**self).set_password(tenant, id, hash, at).await
    }
    async fn disable_user(
        &self,
        tenant: &TenantId,
        id: Uuid,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        (**self).disable_user(tenant, id, at).await
    }
    async fn create_session(&self, session: &Session) -> Result<(), StoreError> {
        (**self).create_session(session).await
    }
    async fn session_by_hash(&self, hash: &str) -> Result<Option<Session>, StoreError> {
        (**self).session_by_hash(hash).await
    }
    async fn touch_session(&self, hash: &str, at: DateTime<Utc>) -> Result<(), StoreError> {
        (**self).touch_session(hash, at).await
    }
    async fn end_session(&self, hash: &str, at: DateTime<Utc>) -> Result<(), StoreError> {
        (**self).end_session(hash, at).await
    }
    async fn end_user_sessions(
        &self,
        tenant: &TenantId,
        user: Uuid,
        at: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        (**self).end_user_sessions(tenant, user, at).await
    }
    async fn record_login_failure(
        &self,
        tenant: &TenantId,
        name: &UserName,
        at: DateTime<Utc>,
        since: DateTime<Utc>,
    ) -> Result<u32, StoreError> {
        (**self).record_login_failure(tenant, name, at, since).await
    }
    async fn login_failures(
        &self,
        tenant: &TenantId,
        name: &UserName,
        since: DateTime<Utc>,
    ) -> Result<u32, StoreError> {
        (**self).login_failures(tenant, name, since).await
    }
    async fn clear_login_failures(
        &self,
        tenant: &TenantId,
        name: &UserName,
    ) -> Result<(), StoreError> {
        (**self).clear_login_failures(tenant, name).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn user_names_are_normalised_and_checked() {
        assert_eq!(
            UserName::new(" AYSE ").unwrap(),
            UserName::new("ayse").unwrap()
        );
        for bad in ["", "  ", "-ayse", "ay se", "ayşe", &"a".repeat(65)] {
            let e = UserName::new(bad).unwrap_err();
            assert_eq!(e.field(), "name", "{bad:?}");
        }
    }

    #[test]
    fn the_password_policy_names_its_rule() {
        let n = UserName::new("uzunkullanici").unwrap();
        let e = check_password(&n, "123456789").unwrap_err();
        assert_eq!(
            e.to_string(),
            "password: parola en az 10 karakter olmalı / the password must have at least 10 \
             characters"
        );
        assert_eq!(
            check_password(&n, "UzunKullanici"),
            Err(AccountError::Password(PasswordRule::NotUserName))
        );
        // Ten characters, not bytes.
        assert!(check_password(&n, "ğüşıöçĞÜŞİ").is_ok());
    }

    #[test]
    fn the_dummy_hash_is_a_real_argon2id_hash() {
        assert!(dummy_hash().starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(!verify_password(dummy_hash(), ""));
        assert!(!verify_password("not a hash", "x"));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(8))]
        /// A hash verifies its password and no other.
        #[test]
        fn a_hash_verifies_only_its_password(
            password in "\\PC{1,24}",
            other in "\\PC{1,24}",
            salt in any::<[u8; 16]>(),
        ) {
            let h = hash_password(&password, &salt).unwrap();
            prop_assert!(h.starts_with("$argon2id$"));
            prop_assert!(verify_password(&h, &password));
            prop_assert_eq!(verify_password(&h, &other), other == password);
        }
    }
}
