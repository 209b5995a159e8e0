//! API tokens (table `api_tokens`, migration `0003_tokens.sql`).

use chrono::{DateTime, Utc};
use muhtar_core::ids::TenantId;
use muhtar_core::store::StoreError;
use muhtar_core::token::{ApiToken, TokenStore};
use sqlx::Row;
use uuid::Uuid;

use crate::error::map;
use crate::PgStore;

const COLUMNS: &str = "id, tenant, actor, name, hash, created_at, revoked_at";

fn read_token(r: &sqlx::postgres::PgRow) -> Result<ApiToken, StoreError> {
    let tenant: String = r.try_get("tenant").map_err(map)?;
    Ok(ApiToken {
        id: r.try_get("id").map_err(map)?,
        tenant: TenantId::new(tenant.clone())
            .map_err(|e| StoreError::corrupt_because(format!("tenant {tenant:?}"), e))?,
        actor: r.try_get("actor").map_err(map)?,
        name: r.try_get("name").map_err(map)?,
        hash: r.try_get("hash").map_err(map)?,
        created_at: r.try_get("created_at").map_err(map)?,
        revoked_at: r.try_get("revoked_at").map_err(map)?,
    })
}

#[async_trait::async_trait]
impl TokenStore for PgStore {
    async fn create_token(&self, token: &ApiToken) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO api_tokens (id, tenant, actor, name, hash, created_at, revoked_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(token.id)
        .bind(token.tenant.as_str())
        .bind(&token.actor)
        .bind(&token.name)
        .bind(&token.hash)
        .bind(token.created_at)
        .bind(token.revoked_at)
        .execute(self.pool())
        .await
        .map_err(map)?;
        Ok(())
    }

    async fn token_by_hash(&self, hash: &str) -> Result<Option<ApiToken>, StoreError> {
        let row = sqlx::query(&format!("SELECT {COLUMNS} FROM api_tokens WHERE hash = $1"))
            .bind(hash)
            .fetch_optional(self.pool())
            .await
            .map_err(map)?;
        row.as_ref().map(read_token).transpose()
    }

    async fn tokens(&self, tenant: &TenantId) -> Result<Vec<ApiToken>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM api_tokens WHERE tenant = $1 ORDER BY created_at, id"
        ))
        .bind(tenant.as_str())
        .fetch_all(self.pool())
        .await
        .map_err(map)?;
        rows.iter().map(read_token).collect()
    }

    async fn revoke_token(
        &self,
        tenant: &TenantId,
        id: Uuid,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let r = sqlx::query(
            "UPDATE api_tokens SET revoked_at = COALESCE(revoked_at, $3)
             WHERE tenant = $1 AND id = $2",
        )
        .bind(tenant.as_str())
        .bind(id)
        .bind(at)
        .execute(self.pool())
        .await
        .map_err(map)?;
        if r.rows_affected() == 0 {
            return Err(StoreError::NotFound {
                what: "token".into(),
            });
        }
        Ok(())
    }
}
