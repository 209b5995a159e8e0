//! Users, sessions and failed logins (tables `users`, `sessions`, `login_failures`,
//! migration `0011_users.sql`).

use chrono::{DateTime, Utc};
use muhtar_core::account::{AccountStore, Session, User, UserName};
use muhtar_core::ids::TenantId;
use muhtar_core::store::StoreError;
use sqlx::postgres::PgRow;
use sqlx::{PgConnection, Row};
use uuid::Uuid;

use crate::error::map;
use crate::PgStore;

const USER_COLUMNS: &str = "id, tenant, name, actor, display_name, password_hash, created_at, \
                            password_changed_at, disabled_at";

const SESSION_COLUMNS: &str =
    "hash, tenant, user_id, csrf, created_at, last_seen_at, expires_at, ended_at";

fn read_tenant(r: &PgRow) -> Result<TenantId, StoreError> {
    let tenant: String = r.try_get("tenant").map_err(map)?;
    TenantId::new(tenant.clone())
        .map_err(|e| StoreError::corrupt_because(format!("tenant {tenant:?}"), e))
}

fn read_user(r: &PgRow) -> Result<User, StoreError> {
    let name: String = r.try_get("name").map_err(map)?;
    Ok(User {
        id: r.try_get("id").map_err(map)?,
        tenant: read_tenant(r)?,
        name: UserName::new(&name)
            .map_err(|e| StoreError::corrupt_because(format!("user name {name:?}"), e))?,
        actor: r.try_get("actor").map_err(map)?,
        display_name: r.try_get("display_name").map_err(map)?,
        password_hash: r.try_get("password_hash").map_err(map)?,
        created_at: r.try_get("created_at").map_err(map)?,
        password_changed_at: r.try_get("password_changed_at").map_err(map)?,
        disabled_at: r.try_get("disabled_at").map_err(map)?,
    })
}

fn read_session(r: &PgRow) -> Result<Session, StoreError> {
    Ok(Session {
        hash: r.try_get("hash").map_err(map)?,
        tenant: read_tenant(r)?,
        user: r.try_get("user_id").map_err(map)?,
        csrf: r.try_get("csrf").map_err(map)?,
        created_at: r.try_get("created_at").map_err(map)?,
        last_seen_at: r.try_get("last_seen_at").map_err(map)?,
        expires_at: r.try_get("expires_at").map_err(map)?,
        ended_at: r.try_get("ended_at").map_err(map)?,
    })
}

/// Ends a user's open sessions at `at`; how many.
async fn end_sessions(
    conn: &mut PgConnection,
    tenant: &TenantId,
    user: Uuid,
    at: DateTime<Utc>,
) -> Result<u64, StoreError> {
    let r = sqlx::query(
        "UPDATE sessions SET ended_at = $3
         WHERE tenant = $1 AND user_id = $2 AND ended_at IS NULL",
    )
    .bind(tenant.as_str())
    .bind(user)
    .bind(at)
    .execute(conn)
    .await
    .map_err(map)?;
    Ok(r.rows_affected())
}

async fn count_failures(
    conn: &mut PgConnection,
    tenant: &TenantId,
    name: &UserName,
    since: DateTime<Utc>,
) -> Result<u32, StoreError> {
    let n: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM login_failures WHERE tenant = $1 AND name = $2 AND at >= $3",
    )
    .bind(tenant.as_str())
    .bind(name.as_str())
    .bind(since)
    .fetch_one(conn)
    .await
    .map_err(map)?;
    Ok(u32::try_from(n).unwrap_or(u32::MAX))
}

impl PgStore {
    /// Runs `sql` (`$1` tenant, `$2` id, `$3` at, then `$4` extra when given) on one user
    /// and ends the user's sessions at `at`, in one transaction.
    async fn update_user_ending_sessions(
        &self,
        sql: &str,
        tenant: &TenantId,
        id: Uuid,
        at: DateTime<Utc>,
        extra: Option<&str>,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool().begin().await.map_err(map)?;
        let mut q = sqlx::query(sql).bind(tenant.as_str()).bind(id).bind(at);
        if let Some(x) = extra {
            q = q.bind(x);
        }
        let r = q.execute(&mut *tx).await.map_err(map)?;
        if r.rows_affected() == 0 {
            return Err(StoreError::NotFound {
                what: "user".into(),
            });
        }
        end_sessions(&mut tx, tenant, id, at).await?;
        tx.commit().await.map_err(map)
    }
}

#[async_trait::async_trait]
impl AccountStore for PgStore {
    async fn create_user(&self, user: &User) -> Result<(), StoreError> {
        sqlx::query(&format!(
            "INSERT INTO users ({USER_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
        ))
        .bind(user.id)
        .bind(user.tenant.as_str())
        .bind(user.name.as_str())
        .bind(&user.actor)
        .bind(&user.display_name)
        .bind(&user.password_hash)
        .bind(user.created_at)
        .bind(user.password_changed_at)
        .bind(user.disabled_at)
        .execute(self.pool())
        .await
        .map_err(map)?;
        Ok(())
    }

    async fn user_by_name(
        &self,
        tenant: &TenantId,
        name: &UserName,
    ) -> Result<Option<User>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {USER_COLUMNS} FROM users WHERE tenant = $1 AND name = $2"
        ))
        .bind(tenant.as_str())
        .bind(name.as_str())
        .fetch_optional(self.pool())
        .await
        .map_err(map)?;
        row.as_ref().map(read_user).transpose()
    }

    async fn user_by_id(&self, tenant: &TenantId, id: Uuid) -> Result<Option<User>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {USER_COLUMNS} FROM users WHERE tenant = $1 AND id = $2"
        ))
        .bind(tenant.as_str())
        .bind(id)
        .fetch_optional(self.pool())
        .await
        .map_err(map)?;
        row.as_ref().map(read_user).transpose()
    }

    async fn users(&self, tenant: &TenantId) -> Result<Vec<User>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {USER_COLUMNS} FROM users WHERE tenant = $1 ORDER BY created_at, id"
        ))
        .bind(tenant.as_str())
        .fetch_all(self.pool())
        .await
        .map_err(map)?;
        rows.iter().map(read_user).collect()
    }

    async fn set_password(
        &self,
        tenant: &TenantId,
        id: Uuid,
        hash: &str,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.update_user_ending_sessions(
            "UPDATE users SET password_hash = $4, password_changed_at = $3
             WHERE tenant = $1 AND id = $2",
            tenant,
            id,
            at,
            Some(hash),
        )
        .await
    }

    async fn disable_user(
        &self,
        tenant: &TenantId,
        id: Uuid,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.update_user_ending_sessions(
            "UPDATE users SET disabled_at = COALESCE(disabled_at, $3)
             WHERE tenant = $1 AND id = $2",
            tenant,
            id,
            at,
            None,
        )
        .await
    }

    async fn create_session(&self, session: &Session) -> Result<(), StoreError> {
        sqlx::query(&format!(
            "INSERT INTO sessions ({SESSION_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
        ))
        .bind(&session.hash)
        .bind(session.tenant.as_str())
        .bind(session.user)
        .bind(&session.csrf)
        .bind(session.created_at)
        .bind(session.last_seen_at)
        .bind(session.expires_at)
        .bind(session.ended_at)
        .execute(self.pool())
        .await
        .map_err(map)?;
        Ok(())
    }

    async fn session_by_hash(&self, hash: &str) -> Result<Option<Session>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {SESSION_COLUMNS} FROM sessions WHERE hash = $1"
        ))
        .bind(hash)
        .fetch_optional(self.pool())
        .await
        .map_err(map)?;
        row.as_ref().map(read_session).transpose()
    }

    async fn touch_session(&self, hash: &str, at: DateTime<Utc>) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE sessions SET last_seen_at = GREATEST(last_seen_at, $2) WHERE hash = $1",
        )
        .bind(hash)
        .bind(at)
        .execute(self.pool())
        .await
        .map_err(map)?;
        Ok(())
    }

    async fn end_session(&self, hash: &str, at: DateTime<Utc>) -> Result<(), StoreError> {
        sqlx::query("UPDATE sessions SET ended_at = COALESCE(ended_at, $2) WHERE hash = $1")
            .bind(hash)
            .bind(at)
            .execute(self.pool())
            .await
            .map_err(map)?;
        Ok(())
    }

    async fn end_user_sessions(
        &self,
        tenant: &TenantId,
        user: Uuid,
        at: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        let mut conn = self.pool().acquire().await.map_err(map)?;
        end_sessions(&mut conn, tenant, user, at).await
    }

    async fn record_login_failure(
        &self,
        tenant: &TenantId,
        name: &UserName,
        at: DateTime<Utc>,
        since: DateTime<Utc>,
    ) -> Result<u32, StoreError> {
        let mut tx = self.pool().begin().await.map_err(map)?;
        sqlx::query("DELETE FROM login_failures WHERE tenant = $1 AND name = $2 AND at < $3")
            .bind(tenant.as_str())
            .bind(name.as_str())
            .bind(since)
            .execute(&mut *tx)
            .await
            .map_err(map)?;
        sqlx::query("INSERT INTO login_failures (tenant, name, at) VALUES ($1, $2, $3)")
            .bind(tenant.as_str())
            .bind(name.as_str())
            .bind(at)
            .execute(&mut *tx)
            .await
            .map_err(map)?;
        let n = count_failures(&mut tx, tenant, name, since).await?;
        tx.commit().await.map_err(map)?;
        Ok(n)
    }

    async fn login_failures(
        &self,
        tenant: &TenantId,
        name: &UserName,
        since: DateTime<Utc>,
    ) -> Result<u32, StoreError> {
        let mut conn = self.pool().acquire().await.map_err(map)?;
        count_failures(&mut conn, tenant, name, since).await
    }

    async fn clear_login_failures(
        &self,
        tenant: &TenantId,
        name: &UserName,
    ) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM login_failures WHERE tenant = $1 AND name = $2")
            .bind(tenant.as_str())
            .bind(name.as_str())
            .execute(self.pool())
            .await
            .map_err(map)?;
        Ok(())
    }
}
