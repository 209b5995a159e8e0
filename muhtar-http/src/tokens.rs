//! Issuing API tokens: the secret a client sends as `Authorization: Bearer …` (REST) or
//! `api_key` (Open311) and [`TokenAuthenticator`](crate::auth::TokenAuthenticator)
//! looks up. Only the secret's SHA-256 is stored; the secret is shown once.

use chrono::{DateTime, Utc};
use muhtar_core::access::{Actor, Role};
use muhtar_core::org::Organisation;
use muhtar_core::store::{Store, StoreError};
use muhtar_core::token::{hash_secret, ApiToken};

/// Prefix of every secret, so that leaked tokens are easy to recognise and search for.
pub const SECRET_PREFIX: &str = "mbs_";

/// Why no token was issued.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum IssueError {
    /// The organisation has no such muhtarlık.
    #[error("unknown muhtarlık {0}")]
    UnknownMuhtarlik(String),
    /// The organisation has no such unit.
    #[error("unknown unit {0}")]
    UnknownUnit(String),
    /// The operating system gave no randomness.
    #[error("no randomness from the operating system: {0}")]
    NoRandomness(getrandom::Error),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A new random secret (32 bytes of the operating system's randomness, hex, after
/// [`SECRET_PREFIX`]) and a random token id.
pub fn new_secret() -> Result<(uuid::Uuid, String), IssueError> {
    let mut bytes = [0u8; 48];
    getrandom::getrandom(&mut bytes).map_err(IssueError::NoRandomness)?;
    let mut id = [0u8; 16];
    id.copy_from_slice(&bytes[32..]);
    let id = uuid::Builder::from_random_bytes(id).into_uuid();
    Ok((id, format!("{SECRET_PREFIX}{}", hex::encode(&bytes[..32]))))
}

/// Creates and stores a token named `name` acting as `actor`, whose muhtarlık or unit
/// `org` must know; returns it and its secret (shown once, never stored). Without an
/// explicit `@user` in the actor, the events it writes record which token acted
/// (`token-<first 8 hex digits of its id>`).
pub async fn issue(
    store: &dyn Store,
    org: &Organisation,
    actor: &Actor,
    name: &str,
    now: DateTime<Utc>,
) -> Result<(ApiToken, String), IssueError> {
    match &actor.role {
        Role::Muhtar(m) if org.muhtarlik(m).is_none() => {
            return Err(IssueError::UnknownMuhtarlik(m.to_string()))
        }
        Role::UnitStaff(u) if org.unit(u).is_none() => {
            return Err(IssueError::UnknownUnit(u.to_string()))
        }
        _ => {}
    }
    let (id, secret) = new_secret()?;
    let mut actor = actor.clone();
    if actor.to_string() == format!("{}@{}", actor.user, actor.user) {
        actor.user = format!("token-{}", &id.simple().to_string()[..8]);
    }
    // Stores keep microseconds: the token reads back as it was written.
    let created_at = DateTime::from_timestamp_micros(now.timestamp_micros()).unwrap_or(now);
    let token = ApiToken {
        id,
        tenant: actor.tenant.clone(),
        actor: actor.to_string(),
        name: name.to_owned(),
        hash: hash_secret(&secret),
        created_at,
        revoked_at: None,
    };
    store.create_token(&token).await?;
    Ok((token, secret))
}

#[cfg(test)]
mod tests {
    use super::*;
    use muhtar_core::testkit::{block_on, fixtures, MemoryStore};
    use muhtar_core::token::TokenStore;

    #[test]
    fn an_issued_secret_authenticates_as_its_actor_and_unknown_places_are_refused() {
        block_on(async {
            let store = MemoryStore::default();
            let org = fixtures::organisation("tok");
            let t = org.tenant.id.clone();
            let muhtar = Actor::parse(&t, "muhtar:kuzguncuk").unwrap();
            let (token, secret) = issue(&store, &org, &muhtar, "tablet", fixtures::t0())
                .await
                .unwrap();
            assert!(secret.starts_with(SECRET_PREFIX) && secret.len() == 4 + 64);
            assert_eq!(token.hash, hash_secret(&secret));
            assert!(token.actor.starts_with("muhtar:kuzguncuk@token-"));
            let (_, other) = issue(&store, &org, &muhtar, "tablet", fixtures::t0())
                .await
                .unwrap();
            assert_ne!(secret, other);
            for (who, unknown) in [("muhtar:yok", "yok"), ("unit:yok", "yok")] {
                let a = Actor::parse(&t, who).unwrap();
                let e = issue(&store, &org, &a, "", fixtures::t0())
                    .await
                    .unwrap_err();
                assert!(e.to_string().ends_with(unknown), "{e}");
            }
            assert_eq!(store.tokens(&t).await.unwrap().len(), 2);
        });
    }
}
