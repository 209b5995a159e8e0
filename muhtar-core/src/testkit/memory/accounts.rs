//! Users, sessions and failed logins in memory.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{not_found, MemoryStore};
use crate::account::{AccountStore, Session, User, UserName};
use crate::ids::TenantId;
use crate::store::StoreError;

#[derive(Default)]
pub(super) struct Accounts {
    users: Vec<User>,
    sessions: Vec<Session>,
    failures: Vec<(TenantId, UserName, DateTime<Utc>)>,
}

impl Accounts {
    fn user_mut(&mut self, tenant: &TenantId, id: Uuid) -> Result<&mut User, StoreError> {
        self.users
            .iter_mut()
            .find(|u| &u.tenant == tenant && u.id == id)
            .ok_or_else(|| not_found("user"))
    }

    fn end_sessions(&mut self, tenant: &TenantId, user: Uuid, at: DateTime<Utc>) -> u64 {
        let mut n = 0;
        for s in &mut self.sessions {
            if &s.tenant == tenant && s.user == user && s.ended_at.is_none() {
                s.ended_at = Some(at);
                n += 1;
            }
        }
        n
    }
}

#[async_trait::async_trait]
impl AccountStore for MemoryStore {
    async fn create_user(&self, user: &User) -> Result<(), StoreError> {
        let mut g = self.lock();
        if g.accounts
            .users
            .iter()
            .any(|u| u.id == user.id || (u.tenant == user.tenant && u.name == user.name))
        {
            return Err(StoreError::Duplicate {
                what: "user id or name".into(),
            });
        }
        g.accounts.users.push(user.clone());
        Ok(())
    }

    async fn user_by_name(
        &self,
        tenant: &TenantId,
        name: &UserName,
    ) -> Result<Option<User>, StoreError> {
        let g = self.lock();
        Ok(g.accounts
            .users
            .iter()
            .find(|u| &u.tenant == tenant && &u.name == name)
            .cloned())
    }

    async fn user_by_id(&self, tenant: &TenantId, id: Uuid) -> Result<Option<User>, StoreError> {
        let g = self.lock();
        Ok(g.accounts
            .users
            .iter()
            .find(|u| &u.tenant == tenant && u.id == id)
            .cloned())
    }

    async fn users(&self, tenant: &TenantId) -> Result<Vec<User>, StoreError> {
        let g = self.lock();
        let mut v: Vec<User> = g
            .accounts
            .users
            .iter()
            .filter(|u| &u.tenant == tenant)
            .cloned()
            .collect();
        v.sort_by_key(|u| (u.created_at, u.id));
        Ok(v)
    }

    async fn set_password(
        &self,
        tenant: &TenantId,
        id: Uuid,
        hash: &str,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let mut g = self.lock();
        let u = g.accounts.user_mut(tenant, id)?;
        u.password_hash = hash.to_owned();
        u.password_changed_at = at;
        g.accounts.end_sessions(tenant, id, at);
        Ok(())
    }

    async fn disable_user(
        &self,
        tenant: &TenantId,
        id: Uuid,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let mut g = self.lock();
        g.accounts
            .user_mut(tenant, id)?
            .disabled_at
            .get_or_insert(at);
        g.accounts.end_sessions(tenant, id, at);
        Ok(())
    }

    async fn create_session(&self, session: &Session) -> Result<(), StoreError> {
        let mut g = self.lock();
        if g.accounts.sessions.iter().any(|s| s.hash == session.hash) {
            return Err(StoreError::Duplicate {
                what: "session".into(),
            });
        }
        g.accounts.sessions.push(session.clone());
        Ok(())
    }

    async fn session_by_hash(&self, hash: &str) -> Result<Option<Session>, StoreError> {
        let g = self.lock();
        Ok(g.accounts.sessions.iter().find(|s| s.hash == hash).cloned())
    }

    async fn touch_session(&self, hash: &str, at: DateTime<Utc>) -> Result<(), StoreError> {
        let mut g = self.lock();
        if let Some(s) = g.accounts.sessions.iter_mut().find(|s| s.hash == hash) {
            s.last_seen_at = s.last_seen_at.max(at);
        }
        Ok(())
    }

    async fn end_session(&self, hash: &str, at: DateTime<Utc>) -> Result<(), StoreError> {
        let mut g = self.lock();
        if let Some(s) = g.accounts.sessions.iter_mut().find(|s| s.hash == hash) {
            s.ended_at.get_or_insert(at);
        }
        Ok(())
    }

    async fn end_user_sessions(
        &self,
        tenant: &TenantId,
        user: Uuid,
        at: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        Ok(self.lock().accounts.end_sessions(tenant, user, at))
    }

    async fn record_login_failure(
        &self,
        tenant: &TenantId,
        name: &UserName,
        at: DateTime<Utc>,
        since: DateTime<Utc>,
    ) -> Result<u32, StoreError> {
        let mut g = self.lock();
        let f = &mut g.accounts.failures;
        f.retain(|(t, n, a)| !(t == tenant && n == name && *a < since));
        f.push((tenant.clone(), name.clone(), at));
        Ok(count(f, tenant, name, since))
    }

    async fn login_failures(
        &self,
        tenant: &TenantId,
        name: &UserName,
        since: DateTime<Utc>,
    ) -> Result<u32, StoreError> {
        Ok(count(&self.lock().accounts.failures, tenant, name, since))
    }

    async fn clear_login_failures(
        &self,
        tenant: &TenantId,
        name: &UserName,
    ) -> Result<(), StoreError> {
        self.lock()
            .accounts
            .failures
            .retain(|(t, n, _)| !(t == tenant && n == name));
        Ok(())
    }
}

fn count(
    f: &[(TenantId, UserName, DateTime<Utc>)],
    tenant: &TenantId,
    name: &UserName,
    since: DateTime<Utc>,
) -> u32 {
    let n = f
        .iter()
        .filter(|(t, n, a)| t == tenant && n == name && *a >= since)
        .count();
    u32::try_from(n).unwrap_or(u32::MAX)
}
