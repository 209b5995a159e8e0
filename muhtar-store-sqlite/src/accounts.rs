//! Users, sessions and failed logins on SQLite (tables `users`, `sessions`,
//! `login_failures`, migration `0011_users.sql`).

use chrono::{DateTime, Utc};
use muhtar_core::account::{AccountStore, Session, User, UserName};
use muhtar_core::ids::TenantId;
use muhtar_core::store::StoreError;
use rusqlite::{params, Connection, OptionalExtension, Row};
use uuid::Uuid;

use crate::codec::{parse_opt_time, parse_tenant, parse_time, time_text, to_u32, uuid_text};
use crate::error::store_error;
use crate::pool::SqliteStore;
use crate::store::immediate;

const USER_COLUMNS: &str = "id, tenant, name, actor, display_name, password_hash, created_at, \
                            password_changed_at, disabled_at";

const SESSION_COLUMNS: &str =
    "hash, tenant, user_id, csrf, created_at, last_seen_at, expires_at, ended_at";

fn parse_uuid(what: &str, s: &str) -> Result<Uuid, StoreError> {
    s.parse()
        .map_err(|e| StoreError::corrupt_because(format!("{what} {s:?}"), e))
}

fn read_user(r: &Row<'_>) -> Result<User, StoreError> {
    let get = |i| r.get::<_, String>(i).map_err(store_error);
    let name = get(2)?;
    Ok(User {
        id: parse_uuid("user id", &get(0)?)?,
        tenant: parse_tenant(&get(1)?)?,
        name: UserName::new(&name)
            .map_err(|e| StoreError::corrupt_because(format!("user name {name:?}"), e))?,
        actor: get(3)?,
        display_name: get(4)?,
        password_hash: get(5)?,
        created_at: parse_time(&get(6)?)?,
        password_changed_at: parse_time(&get(7)?)?,
        disabled_at: parse_opt_time(r.get(8).map_err(store_error)?)?,
    })
}

fn read_session(r: &Row<'_>) -> Result<Session, StoreError> {
    let get = |i| r.get::<_, String>(i).map_err(store_error);
    Ok(Session {
        hash: get(0)?,
        tenant: parse_tenant(&get(1)?)?,
        user: parse_uuid("session user", &get(2)?)?,
        csrf: get(3)?,
        created_at: parse_time(&get(4)?)?,
        last_seen_at: parse_time(&get(5)?)?,
        expires_at: parse_time(&get(6)?)?,
        ended_at: parse_opt_time(r.get(7).map_err(store_error)?)?,
    })
}

fn one_user(conn: &Connection, clause: &str, a: &str, b: &str) -> Result<Option<User>, StoreError> {
    let mut st = conn
        .prepare_cached(&format!("SELECT {USER_COLUMNS} FROM users WHERE {clause}"))
        .map_err(store_error)?;
    let mut rows = st.query(params![a, b]).map_err(store_error)?;
    match rows.next().map_err(store_error)? {
        Some(r) => read_user(r).map(Some),
        None => Ok(None),
    }
}

/// Ends a user's open sessions at `at`; how many.
fn end_sessions(conn: &Connection, tenant: &str, user: &str, at: &str) -> Result<u64, StoreError> {
    let n = conn
        .execute(
            "UPDATE sessions SET ended_at = ?3 \
             WHERE tenant = ?1 AND user_id = ?2 AND ended_at IS NULL",
            params![tenant, user, at],
        )
        .map_err(store_error)?;
    Ok(n as u64)
}

fn count_failures(
    conn: &Connection,
    tenant: &str,
    name: &str,
    since: &str,
) -> Result<u32, StoreError> {
    let n: i64 = conn
        .query_row(
            "SELECT COUNT(*) FROM login_failures WHERE tenant = ?1 AND name = ?2 AND at >= ?3",
            params![tenant, name, since],
            |r| r.get(0),
        )
        .map_err(store_error)?;
    to_u32("failed logins", n)
}

impl SqliteStore {
    /// Runs `sql` (parameters tenant, id, `at`, then `extra`) on one user and ends the
    /// user's sessions at `at`, in one transaction; [`StoreError::NotFound`] if no row.
    async fn update_user_ending_sessions(
        &self,
        sql: &'static str,
        tenant: &TenantId,
        id: Uuid,
        at: DateTime<Utc>,
        extra: Option<String>,
    ) -> Result<(), StoreError> {
        let tenant = tenant.as_str().to_owned();
        let at = time_text(at)?;
        self.write(move |conn| {
            let tx = immediate(conn)?;
            let id = uuid_text(id);
            let n = tx
                .execute(
                    sql,
                    rusqlite::params_from_iter(
                        [&tenant, &id, &at].into_iter().chain(extra.as_ref()),
                    ),
                )
                .map_err(store_error)?;
            if n == 0 {
                return Err(StoreError::NotFound {
                    what: "user".into(),
                });
            }
            end_sessions(&tx, &tenant, &id, &at)?;
            tx.commit().map_err(store_error)
        })
        .await
    }
}

#[async_trait::async_trait]
impl AccountStore for SqliteStore {
    async fn create_user(&self, user: &User) -> Result<(), StoreError> {
        let u = user.clone();
        let created_at = time_text(u.created_at)?;
        let changed_at = time_text(u.password_changed_at)?;
        let disabled_at = u.disabled_at.map(time_text).transpose()?;
        self.write(move |conn| {
            conn.execute(
                &format!("INSERT INTO users ({USER_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"),
                params![
                    uuid_text(u.id),
                    u.tenant.as_str(),
                    u.name.as_str(),
                    u.actor,
                    u.display_name,
                    u.password_hash,
                    created_at,
                    changed_at,
                    disabled_at
                ],
            )
            .map_err(|e| match store_error(e) {
                StoreError::Duplicate { .. } => StoreError::Duplicate {
                    what: "user id or name".into(),
                },
                other => other,
            })?;
            Ok(())
        })
        .await
    }

    async fn user_by_name(
        &self,
        tenant: &TenantId,
        name: &UserName,
    ) -> Result<Option<User>, StoreError> {
        let (tenant, name) = (tenant.as_str().to_owned(), name.as_str().to_owned());
        self.read(move |conn| one_user(conn, "tenant = ?1 AND name = ?2", &tenant, &name))
            .await
    }

    async fn user_by_id(&self, tenant: &TenantId, id: Uuid) -> Result<Option<User>, StoreError> {
        let (tenant, id) = (tenant.as_str().to_owned(), uuid_text(id));
        self.read(move |conn| one_user(conn, "tenant = ?1 AND id = ?2", &tenant, &id))
            .await
    }

    async fn users(&self, tenant: &TenantId) -> Result<Vec<User>, StoreError> {
        let tenant = tenant.as_str().to_owned();
        self.read(move |conn| {
            let mut st = conn
                .prepare_cached(&format!(
                    "SELECT {USER_COLUMNS} FROM users WHERE tenant = ?1 ORDER BY created_at, id"
                ))
                .map_err(store_error)?;
            let mut rows = st.query(params![tenant]).map_err(store_error)?;
            let mut out = Vec::new();
            while let Some(r) = rows.next().map_err(store_error)? {
                out.push(read_user(r)?);
            }
            Ok(out)
        })
        .await
    }

    async fn set_password(
        &self,
        tenant: &TenantId,
        id: Uuid,
        hash: &str,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.update_user_ending_sessions(
            "UPDATE users SET password_hash = ?4, password_changed_at = ?3 \
             WHERE tenant = ?1 AND id = ?2",
            tenant,
            id,
            at,
            Some(hash.to_owned()),
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
            "UPDATE users SET disabled_at = COALESCE(disabled_at, ?3) \
             WHERE tenant = ?1 AND id = ?2",
            tenant,
            id,
            at,
            None,
        )
        .await
    }

    async fn create_session(&self, session: &Session) -> Result<(), StoreError> {
        let s = session.clone();
        let times = [s.created_at, s.last_seen_at, s.expires_at].map(time_text);
        let [created, seen, expires] = times;
        let (created, seen, expires) = (created?, seen?, expires?);
        let ended = s.ended_at.map(time_text).transpose()?;
        self.write(move |conn| {
            conn.execute(
                &format!(
                    "INSERT INTO sessions ({SESSION_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"
                ),
                params![
                    s.hash,
                    s.tenant.as_str(),
                    uuid_text(s.user),
                    s.csrf,
                    created,
                    seen,
                    expires,
                    ended
                ],
            )
            .map_err(|e| match store_error(e) {
                StoreError::Duplicate { .. } => StoreError::Duplicate {
                    what: "session".into(),
                },
                other => other,
            })?;
            Ok(())
        })
        .await
    }

    async fn session_by_hash(&self, hash: &str) -> Result<Option<Session>, StoreError> {
        let hash = hash.to_owned();
        self.read(move |conn| {
            let mut st = conn
                .prepare_cached(&format!(
                    "SELECT {SESSION_COLUMNS} FROM sessions WHERE hash = ?1"
                ))
                .map_err(store_error)?;
            st.query_row(params![hash], |r| Ok(read_session(r)))
                .optional()
                .map_err(store_error)?
                .transpose()
        })
        .await
    }

    async fn touch_session(&self, hash: &str, at: DateTime<Utc>) -> Result<(), StoreError> {
        let (hash, at) = (hash.to_owned(), time_text(at)?);
        self.write(move |conn| {
            conn.execute(
                "UPDATE sessions SET last_seen_at = MAX(last_seen_at, ?2) WHERE hash = ?1",
                params![hash, at],
            )
            .map_err(store_error)?;
            Ok(())
        })
        .await
    }

    async fn end_session(&self, hash: &str, at: DateTime<Utc>) -> Result<(), StoreError> {
        let (hash, at) = (hash.to_owned(), time_text(at)?);
        self.write(move |conn| {
            conn.execute(
                "UPDATE sessions SET ended_at = COALESCE(ended_at, ?2) WHERE hash = ?1",
                params![hash, at],
            )
            .map_err(store_error)?;
            Ok(())
        })
        .await
    }

    async fn end_user_sessions(
        &self,
        tenant: &TenantId,
        user: Uuid,
        at: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        let (tenant, user, at) = (tenant.as_str().to_owned(), uuid_text(user), time_text(at)?);
        self.write(move |conn| end_sessions(conn, &tenant, &user, &at))
            .await
    }

    async fn record_login_failure(
        &self,
        tenant: &TenantId,
        name: &UserName,
        at: DateTime<Utc>,
        since: DateTime<Utc>,
    ) -> Result<u32, StoreError> {
        let (tenant, name) = (tenant.as_str().to_owned(), name.as_str().to_owned());
        let (at, since) = (time_text(at)?, time_text(since)?);
        self.write(move |conn| {
            let tx = immediate(conn)?;
            tx.execute(
                "DELETE FROM login_failures WHERE tenant = ?1 AND name = ?2 AND at < ?3",
                params![tenant, name, since],
            )
            .map_err(store_error)?;
            tx.execute(
                "INSERT INTO login_failures (tenant, name, at) VALUES (?1, ?2, ?3)",
                params![tenant, name, at],
            )
            .map_err(store_error)?;
            let n = count_failures(&tx, &tenant, &name, &since)?;
            tx.commit().map_err(store_error)?;
            Ok(n)
        })
        .await
    }

    async fn login_failures(
        &self,
        tenant: &TenantId,
        name: &UserName,
        since: DateTime<Utc>,
    ) -> Result<u32, StoreError> {
        let (tenant, name) = (tenant.as_str().to_owned(), name.as_str().to_owned());
        let since = time_text(since)?;
        self.read(move |conn| count_failures(conn, &tenant, &name, &since))
            .await
    }

    async fn clear_login_failures(
        &self,
        tenant: &TenantId,
        name: &UserName,
    ) -> Result<(), StoreError> {
        let (tenant, name) = (tenant.as_str().to_owned(), name.as_str().to_owned());
        self.write(move |conn| {
            conn.execute(
                "DELETE FROM login_failures WHERE tenant = ?1 AND name = ?2",
                params![tenant, name],
            )
            .map_err(store_error)?;
            Ok(())
        })
        .await
    }
}
