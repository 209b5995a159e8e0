//! Works in memory: the reference of [`WorkStore`] (a listing is a scan with
//! [`WorkQuery::matches`]).

use super::{new_entry, not_found, MemoryStore};
use crate::ids::TenantId;
use crate::map::work::{Work, WorkId, WorkQuery, MAX_WORKS};
use crate::outbox::OutboxMessage;
use crate::store::{check_work, StoreError, WorkStore};

#[async_trait::async_trait]
impl WorkStore for MemoryStore {
    async fn put_work(
        &self,
        work: &Work,
        expected_version: u32,
        outbox: &[OutboxMessage],
    ) -> Result<(), StoreError> {
        let mut g = self.lock();
        let key = (work.tenant.clone(), work.id);
        let actual = g.works.get(&key).map_or(0, |w| w.version);
        if actual != expected_version {
            return Err(StoreError::Conflict {
                expected: expected_version,
                actual,
            });
        }
        check_work(work, expected_version)?;
        g.works.insert(key, work.clone());
        for m in outbox {
            if g.keys.insert(m.idempotency_key.clone()) {
                g.outbox.push(new_entry(m));
            }
        }
        Ok(())
    }

    async fn work(&self, tenant: &TenantId, id: WorkId) -> Result<Work, StoreError> {
        self.lock()
            .works
            .get(&(tenant.clone(), id))
            .cloned()
            .ok_or_else(|| not_found("work"))
    }

    async fn works(
        &self,
        tenant: &TenantId,
        query: &WorkQuery,
        limit: u32,
    ) -> Result<Vec<Work>, StoreError> {
        let g = self.lock();
        let mut v: Vec<Work> = g
            .works
            .iter()
            .filter(|((t, _), w)| t == tenant && query.matches(w))
            .map(|(_, w)| w.clone())
            .collect();
        v.sort_by(WorkQuery::order);
        v.truncate(limit.min(MAX_WORKS) as usize);
        Ok(v)
    }
}
