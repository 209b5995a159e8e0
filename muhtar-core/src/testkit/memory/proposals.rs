//! The council's agenda in memory: the reference of [`ProposalStore`].

use chrono::{DateTime, Utc};

use super::{not_found, MemoryStore};
use crate::council::{AgendaReason, Comment, CommentId, Hidden, MemberId, Proposal, ProposalId};
use crate::ids::{MuhtarlikCode, TenantId};
use crate::store::{ProposalStore, StoreError, SupportOutcome, SUPPORT_GIVEN};
use std::collections::BTreeMap;

/// The agenda's rows, as the databases keep them.
#[derive(Default)]
pub(super) struct Proposals {
    proposals: BTreeMap<(TenantId, ProposalId), Proposal>,
    /// (proposal, member) → when: one support per member.
    supports: BTreeMap<(TenantId, ProposalId, MemberId), DateTime<Utc>>,
    comments: BTreeMap<(TenantId, CommentId), Comment>,
}

impl Proposals {
    fn count(&self, tenant: &TenantId, id: ProposalId) -> u32 {
        let n = self
            .supports
            .keys()
            .filter(|(t, p, _)| t == tenant && *p == id)
            .count();
        u32::try_from(n).unwrap_or(u32::MAX)
    }

    fn counted(&self, p: &Proposal) -> Proposal {
        let mut p = p.clone();
        p.supports = self.count(&p.tenant, p.id);
        p
    }

    fn open_for_agenda(
        &mut self,
        tenant: &TenantId,
        id: ProposalId,
        reason: AgendaReason,
        at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let p = self
            .proposals
            .get_mut(&(tenant.clone(), id))
            .ok_or_else(|| not_found("proposal"))?;
        Ok(p.put_on_agenda(reason, at))
    }
}

#[async_trait::async_trait]
impl ProposalStore for MemoryStore {
    async fn put_proposal(&self, proposal: &Proposal) -> Result<(), StoreError> {
        let mut g = self.lock();
        let key = (proposal.tenant.clone(), proposal.id);
        if g.proposals.proposals.contains_key(&key) {
            return Err(StoreError::Duplicate {
                what: "proposal id".into(),
            });
        }
        let mut p = proposal.clone();
        p.supports = 0;
        g.proposals.proposals.insert(key, p);
        Ok(())
    }

    async fn proposal(&self, tenant: &TenantId, id: ProposalId) -> Result<Proposal, StoreError> {
        let g = self.lock();
        let p = g
            .proposals
            .proposals
            .get(&(tenant.clone(), id))
            .ok_or_else(|| not_found("proposal"))?;
        Ok(g.proposals.counted(p))
    }

    async fn proposals(
        &self,
        tenant: &TenantId,
        muhtarlik: &MuhtarlikCode,
    ) -> Result<Vec<Proposal>, StoreError> {
        let g = self.lock();
        let mut v: Vec<Proposal> = g
            .proposals
            .proposals
            .values()
            .filter(|p| &p.tenant == tenant && &p.muhtarlik == muhtarlik)
            .map(|p| g.proposals.counted(p))
            .collect();
        v.sort_by(|a, b| b.created_at.cmp(&a.created_at).then(b.id.cmp(&a.id)));
        Ok(v)
    }

    async fn support(
        &self,
        tenant: &TenantId,
        proposal: ProposalId,
        member: MemberId,
        threshold: u32,
        at: DateTime<Utc>,
    ) -> Result<SupportOutcome, StoreError> {
        let mut g = self.lock();
        let p = &mut g.proposals;
        if !p.proposals.contains_key(&(tenant.clone(), proposal)) {
            return Err(not_found("proposal"));
        }
        let key = (tenant.clone(), proposal, member);
        if p.supports.contains_key(&key) {
            return Err(StoreError::Duplicate {
                what: SUPPORT_GIVEN.into(),
            });
        }
        p.supports.insert(key, at);
        let supports = p.count(tenant, proposal);
        let put_on_agenda = supports >= threshold
            && p.open_for_agenda(tenant, proposal, AgendaReason::Threshold, at)?;
        Ok(SupportOutcome {
            supports,
            put_on_agenda,
        })
    }

    async fn supporters(
        &self,
        tenant: &TenantId,
        proposal: ProposalId,
    ) -> Result<Vec<MemberId>, StoreError> {
        let g = self.lock();
        let mut v: Vec<(DateTime<Utc>, MemberId)> = g
            .proposals
            .supports
            .iter()
            .filter(|((t, p, _), _)| t == tenant && *p == proposal)
            .map(|((_, _, m), at)| (*at, *m))
            .collect();
        v.sort();
        Ok(v.into_iter().map(|(_, m)| m).collect())
    }

    async fn put_on_agenda(
        &self,
        tenant: &TenantId,
        proposal: ProposalId,
        reason: AgendaReason,
        at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        self.lock()
            .proposals
            .open_for_agenda(tenant, proposal, reason, at)
    }

    async fn put_comment(&self, comment: &Comment) -> Result<(), StoreError> {
        let mut g = self.lock();
        let p = &mut g.proposals;
        if !p
            .proposals
            .contains_key(&(comment.tenant.clone(), comment.proposal))
        {
            return Err(not_found("proposal"));
        }
        let key = (comment.tenant.clone(), comment.id);
        if p.comments.contains_key(&key) {
            return Err(StoreError::Duplicate {
                what: "comment id".into(),
            });
        }
        p.comments.insert(key, comment.clone());
        Ok(())
    }

    async fn comments(
        &self,
        tenant: &TenantId,
        proposal: ProposalId,
    ) -> Result<Vec<Comment>, StoreError> {
        let g = self.lock();
        let mut v: Vec<Comment> = g
            .proposals
            .comments
            .values()
            .filter(|c| &c.tenant == tenant && c.proposal == proposal)
            .cloned()
            .collect();
        v.sort_by(|a, b| a.created_at.cmp(&b.created_at).then(a.id.cmp(&b.id)));
        Ok(v)
    }

    async fn hide_comment(
        &self,
        tenant: &TenantId,
        comment: CommentId,
        hidden: &Hidden,
    ) -> Result<Comment, StoreError> {
        let mut g = self.lock();
        let c = g
            .proposals
            .comments
            .get_mut(&(tenant.clone(), comment))
            .ok_or_else(|| not_found("comment"))?;
        if c.hidden.is_none() {
            c.hidden = Some(hidden.clone());
        }
        Ok(c.clone())
    }
}
