//! API tokens: bearer secrets bound to an actor, for the HTTP server and other front ends.
//!
//! Only the SHA-256 hash of a secret is ever stored ([`hash_secret`]); the secret itself is
//! shown once when the token is created, by whoever generates it (the core makes no
//! randomness of its own). A revoked token stays listed with its revocation instant.
//!
//! ```
//! use muhtar_core::token::{hash_secret, ApiToken};
//! let h = hash_secret("mbs_secret");
//! assert_eq!(h.len(), 64);
//! assert_ne!(h, hash_secret("mbs_secreT"));
//! ```

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::access::{Actor, ActorParseError};
use crate::ids::TenantId;
use crate::store::StoreError;

/// A stored API token (the secret is not part of it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiToken {
    /// Id, shown in listings and used to revoke.
    pub id: Uuid,
    /// The tenant the actor belongs to.
    pub tenant: TenantId,
    /// The actor it acts as, in [`Actor::parse`] form (`muhtar:kuzguncuk@ali`).
    pub actor: String,
    /// A label chosen at creation (who or what uses it).
    pub name: String,
    /// SHA-256 of the secret, 64 lowercase hex digits.
    pub hash: String,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it was revoked, if it was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revoked_at: Option<DateTime<Utc>>,
}

impl ApiToken {
    /// Whether the token may still be used.
    pub fn is_active(&self) -> bool {
        self.revoked_at.is_none()
    }

    /// The actor the token acts as.
    pub fn actor(&self) -> Result<Actor, ActorParseError> {
        Actor::parse(&self.tenant, &self.actor)
    }
}

/// The stored form of a secret: SHA-256, lowercase hex.
pub fn hash_secret(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// Storage of API tokens.
#[async_trait::async_trait]
pub trait TokenStore: Send + Sync {
    /// Stores a new token; [`StoreError::Duplicate`] if its id or hash is taken.
    async fn create_token(&self, token: &ApiToken) -> Result<(), StoreError>;
    /// The token with this secret hash, in any tenant, revoked or not.
    async fn token_by_hash(&self, hash: &str) -> Result<Option<ApiToken>, StoreError>;
    /// A tenant's tokens, oldest first, revoked ones included.
    async fn tokens(&self, tenant: &TenantId) -> Result<Vec<ApiToken>, StoreError>;
    /// Revokes a token of the tenant at `at`; revoking it again keeps the first instant.
    /// [`StoreError::NotFound`] if the tenant has no such token.
    async fn revoke_token(
        &self,
        tenant: &TenantId,
        id: Uuid,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError>;
}

#[async_trait::async_trait]
impl<T: TokenStore + ?Sized> TokenStore for std::sync::Arc<T> {
    async fn create_token(&self, token: &ApiToken) -> Result<(), StoreError> {
        (**self).create_token(token).await
    }
    async fn token_by_hash(&self, hash: &str) -> Result<Option<ApiToken>, StoreError> {
        (**self).token_by_hash(hash).await
    }
    async fn tokens(&self, tenant: &TenantId) -> Result<Vec<ApiToken>, StoreError> {
        (**self).tokens(tenant).await
    }
    async fn revoke_token(
        &self,
        tenant: &TenantId,
        id: Uuid,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        (**self).revoke_token(tenant, id, at).await
    }
}
