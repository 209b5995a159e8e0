//! Bearer-token authentication: `Authorization: Bearer <secret>` → the token's actor.
//!
//! Only the SHA-256 of the secret is looked up; a missing, unknown or revoked token is a
//! 401 that says nothing more. What the actor may do is decided by core's `authorize`
//! inside every service call.

use std::sync::Arc;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use muhtar_core::access::Actor;
use muhtar_core::store::Store;
use muhtar_core::token::hash_secret;

use super::error::ApiError;
use super::AppState;

/// The authenticated actor of a request.
#[derive(Debug, Clone)]
pub struct Auth(pub Actor);

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

impl FromRequestParts<Arc<AppState>> for Auth {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppState>,
    ) -> Result<Self, Self::Rejection> {
        let header = parts
            .headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .ok_or_else(ApiError::unauthorized)?;
        let secret = header
            .strip_prefix("Bearer ")
            .or_else(|| header.strip_prefix("bearer "))
            .ok_or_else(ApiError::unauthorized)?;
        let actor = actor_for_secret(state.mbs.store().as_ref(), secret)
            .await?
            .ok_or_else(ApiError::unauthorized)?;
        tracing::Span::current().record("actor", tracing::field::display(&actor));
        Ok(Auth(actor))
    }
}
