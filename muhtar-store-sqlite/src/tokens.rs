//! API tokens on SQLite (table `api_tokens`, migration `0004_tokens.sql`).

use chrono::{DateTime, Utc};
use muhtar_core::ids::TenantId;
use muhtar_core::store::StoreError;
use muhtar_core::token::{ApiToken, TokenStore};
use rusqlite::{params, Row};
use uuid::Uuid;

use crate::codec::{parse_opt_time, parse_tenant, parse_time, time_text, uuid_text};
use crate::error::store_error;
use crate::pool::SqliteStore;

const COLUMNS: &str = "id, tenant, actor, name, hash, created_at, revoked_at";

fn read_token(r: &Row<'_>) -> Result<ApiToken, StoreError> {
    let id: String = r.get(0).map_err(store_error)?;
    let tenant: String = r.get(1).map_err(store_error)?;
    let created_at: String = r.get(5).map_err(store_error)?;
    Ok(ApiToken {
        id: id
            .parse()
            .map_err(|e| StoreError::corrupt_because(format!("token id {id:?}"), e))?,
        tenant: parse_tenant(&tenant)?,
        actor: r.get(2).map_err(store_error)?,
        name: r.get(3).map_err(store_error)?,
        hash: r.get(4).map_err(store_error)?,
        created_at: parse_time(&created_at)?,
        revoked_at: parse_opt_time(r.get(6).map_err(store_error)?)?,
    })
}

#[async_trait::async_trait]
impl TokenStore for SqliteStore {
    async fn create_token(&self, token: &ApiToken) -> Result<(), StoreError> {
        let t = token.clone();
        let created_at = time_text(t.created_at)?;
        let revoked_at = t.revoked_at.map(time_text).transpose()?;
        self.write(move |conn| {
            conn.execute(
                "INSERT INTO api_tokens (id, tenant, actor, name, hash, created_at, revoked_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![
                    uuid_text(t.id),
                    t.tenant.as_str(),
                    t.actor,
                    t.name,
                    t.hash,
                    created_at,
                    revoked_at
                ],
            )
            .map_err(|e| match store_error(e) {
                StoreError::Duplicate { .. } => StoreError::Duplicate {
                    what: "token id or hash".into(),
                },
                other => other,
            })?;
            Ok(())
        })
        .await
    }

    async fn token_by_hash(&self, hash: &str) -> Result<Option<ApiToken>, StoreError> {
        let hash = hash.to_owned();
        self.read(move |conn| {
            let mut st = conn
                .prepare_cached(&format!("SELECT {COLUMNS} FROM api_tokens WHERE hash = ?1"))
                .map_err(store_error)?;
            let mut rows = st.query(params![hash]).map_err(store_error)?;
            match rows.next().map_err(store_error)? {
                Some(r) => read_token(r).map(Some),
                None => Ok(None),
            }
        })
        .await
    }

    async fn tokens(&self, tenant: &TenantId) -> Result<Vec<ApiToken>, StoreError> {
        let tenant = tenant.as_str().to_owned();
        self.read(move |conn| {
            let mut st = conn
                .prepare_cached(&format!(
                    "SELECT {COLUMNS} FROM api_tokens WHERE tenant = ?1 ORDER BY created_at, id"
                ))
                .map_err(store_error)?;
            let mut rows = st.query(params![tenant]).map_err(store_error)?;
            let mut out = Vec::new();
            while let Some(r) = rows.next().map_err(store_error)? {
                out.push(read_token(r)?);
            }
            Ok(out)
        })
        .await
    }

    async fn revoke_token(
        &self,
        tenant: &TenantId,
        id: Uuid,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let tenant = tenant.as_str().to_owned();
        let at = time_text(at)?;
        self.write(move |conn| {
            let n = conn
                .execute(
                    "UPDATE api_tokens SET revoked_at = COALESCE(revoked_at, ?3) \
                     WHERE tenant = ?1 AND id = ?2",
                    params![tenant, uuid_text(id), at],
                )
                .map_err(store_error)?;
            if n == 0 {
                return Err(StoreError::NotFound {
                    what: "token".into(),
                });
            }
            Ok(())
        })
        .await
    }
}
