//! Members' login codes in memory: the reference of [`MemberLoginStore`].

use super::{new_entry, MemoryStore};
use crate::council::{check_code, CodeCheck, Contact, LoginCode, Member};
use crate::ids::TenantId;
use crate::outbox::OutboxMessage;
use crate::store::{MemberLoginStore, StoreError};
use chrono::{DateTime, Utc};

#[async_trait::async_trait]
impl MemberLoginStore for MemoryStore {
    async fn put_login_code(
        &self,
        code: &LoginCode,
        outbox: &[OutboxMessage],
    ) -> Result<(), StoreError> {
        let mut g = self.lock();
        g.login_codes
            .insert((code.tenant.clone(), code.contact.clone()), code.clone());
        for m in outbox {
            if g.keys.insert(m.idempotency_key.clone()) {
                g.outbox.push(new_entry(m));
            }
        }
        Ok(())
    }

    async fn use_login_code(
        &self,
        tenant: &TenantId,
        contact: &str,
        code: &str,
        now: DateTime<Utc>,
        max_tries: u32,
    ) -> Result<CodeCheck, StoreError> {
        let mut g = self.lock();
        let key = (tenant.clone(), contact.to_owned());
        let check = check_code(g.login_codes.get(&key), code, now, max_tries);
        match check {
            CodeCheck::Accepted => {
                g.login_codes.remove(&key);
            }
            CodeCheck::Wrong { .. } => {
                if let Some(c) = g.login_codes.get_mut(&key) {
                    c.failures += 1;
                }
            }
            _ => {}
        }
        Ok(check)
    }

    async fn members_by_contact(
        &self,
        tenant: &TenantId,
        contact: &Contact,
    ) -> Result<Vec<Member>, StoreError> {
        let g = self.lock();
        let mut v: Vec<Member> = g
            .councils
            .tenant_members(tenant)
            .filter(|m| m.removed_at.is_none() && contact.matches(m))
            .cloned()
            .collect();
        v.sort_by(|a, b| a.added_at.cmp(&b.added_at).then(a.id.cmp(&b.id)));
        Ok(v)
    }
}
