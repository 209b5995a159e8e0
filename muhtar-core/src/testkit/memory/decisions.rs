//! Council decisions in memory: the reference of [`DecisionStore`] (links are written
//! by `commit`, which checks them with [`check_commit`] before anything is applied).

use super::{Inner, MemoryStore};
use crate::council::{DecisionLink, VoteId};
use crate::ids::{RequestId, TenantId, UnitCode};
use crate::store::{check_decision, decision_sent, Commit, DecisionStore, StoreError};
use chrono::{DateTime, Utc};

/// Refuses a commit whose decision's vote has a link already (the unique key).
pub(super) fn check_commit(g: &Inner, c: &Commit) -> Result<(), StoreError> {
    check_decision(c)?;
    match &c.decision {
        Some(d) if g.decisions.contains_key(&(d.tenant.clone(), d.vote)) => Err(decision_sent()),
        _ => Ok(()),
    }
}

/// Writes a checked commit's link.
pub(super) fn apply(g: &mut Inner, c: &Commit) {
    if let Some(d) = &c.decision {
        g.decisions.insert((d.tenant.clone(), d.vote), d.clone());
    }
}

#[async_trait::async_trait]
impl DecisionStore for MemoryStore {
    async fn decision_of_vote(
        &self,
        tenant: &TenantId,
        vote: VoteId,
    ) -> Result<Option<DecisionLink>, StoreError> {
        Ok(self.lock().decisions.get(&(tenant.clone(), vote)).cloned())
    }
    async fn decision_of_request(
        &self,
        tenant: &TenantId,
        request: RequestId,
    ) -> Result<Option<DecisionLink>, StoreError> {
        Ok(self
            .lock()
            .decisions
            .values()
            .find(|d| &d.tenant == tenant && d.request == request)
            .cloned())
    }
    async fn municipal_council_count(
        &self,
        tenant: &TenantId,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        units: Option<&[UnitCode]>,
    ) -> Result<u64, StoreError> {
        let g = self.lock();
        Ok(g.requests
            .iter()
            .filter(|((t, _), (r, _))| {
                let st = &r.state;
                t == tenant
                    && st.content.municipal_council
                    && (from..to).contains(&st.content.received_at)
                    && units.is_none_or(|us| st.unit.as_ref().is_some_and(|u| us.contains(u)))
            })
            .count() as u64)
    }
}
