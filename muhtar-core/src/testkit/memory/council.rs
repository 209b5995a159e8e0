//! Councils in memory: the reference of [`CouncilStore`].

use super::{not_found, MemoryStore};
use crate::council::{BallotRecord, Member, MemberId, Tally, Vote, VoteId, VoteStatus};
use crate::ids::{MuhtarlikCode, TenantId};
use crate::store::{BallotKey, CouncilStore, StoreError, BALLOT_CAST};
use std::collections::{BTreeMap, BTreeSet};

/// The councils' rows: as the databases keep them, participation and ballots apart.
#[derive(Default)]
pub(super) struct Councils {
    members: BTreeMap<(TenantId, MemberId), Member>,
    votes: BTreeMap<(TenantId, VoteId), Vote>,
    /// (vote, member): who took part.
    participation: BTreeSet<(TenantId, VoteId, MemberId)>,
    /// Ballots by (vote, receipt hash): what was chosen.
    ballots: BTreeMap<(TenantId, VoteId, String), BallotRecord>,
}

impl Councils {
    /// The tenant's members (for the login lookups).
    pub(super) fn tenant_members(&self, tenant: &TenantId) -> impl Iterator<Item = &Member> + '_ {
        let tenant = tenant.clone();
        self.members.values().filter(move |m| m.tenant == tenant)
    }

    fn open_vote(&self, tenant: &TenantId, vote: VoteId) -> Result<&Vote, StoreError> {
        let v = self
            .votes
            .get(&(tenant.clone(), vote))
            .ok_or_else(|| not_found("vote"))?;
        if v.status == VoteStatus::Closed {
            return Err(crate::store::vote_frozen(vote));
        }
        Ok(v)
    }
}

#[async_trait::async_trait]
impl CouncilStore for MemoryStore {
    async fn put_member(&self, member: &Member) -> Result<(), StoreError> {
        let mut g = self.lock();
        if member.removed_at.is_none() {
            if let Some(hash) = &member.identity_hash {
                let taken = g.councils.members.values().any(|m| {
                    m.tenant == member.tenant
                        && m.id != member.id
                        && m.removed_at.is_none()
                        && m.identity_hash.as_ref() == Some(hash)
                });
                if taken {
                    return Err(StoreError::Duplicate {
                        what: crate::store::IDENTITY_TAKEN.into(),
                    });
                }
            }
        }
        g.councils
            .members
            .insert((member.tenant.clone(), member.id), member.clone());
        Ok(())
    }

    async fn member(&self, tenant: &TenantId, id: MemberId) -> Result<Member, StoreError> {
        self.lock()
            .councils
            .members
            .get(&(tenant.clone(), id))
            .cloned()
            .ok_or_else(|| not_found("member"))
    }

    async fn members(
        &self,
        tenant: &TenantId,
        muhtarlik: &MuhtarlikCode,
    ) -> Result<Vec<Member>, StoreError> {
        let g = self.lock();
        let mut v: Vec<Member> = g
            .councils
            .members
            .values()
            .filter(|m| &m.tenant == tenant && &m.muhtarlik == muhtarlik)
            .cloned()
            .collect();
        v.sort_by(|a, b| a.added_at.cmp(&b.added_at).then(a.id.cmp(&b.id)));
        Ok(v)
    }

    async fn put_vote(&self, vote: &Vote) -> Result<(), StoreError> {
        let mut g = self.lock();
        let key = (vote.tenant.clone(), vote.id);
        if g.councils.votes.contains_key(&key) {
            return Err(StoreError::Duplicate {
                what: "vote id".into(),
            });
        }
        g.councils.votes.insert(key, vote.clone());
        Ok(())
    }

    async fn vote(&self, tenant: &TenantId, id: VoteId) -> Result<Vote, StoreError> {
        self.lock()
            .councils
            .votes
            .get(&(tenant.clone(), id))
            .cloned()
            .ok_or_else(|| not_found("vote"))
    }

    async fn votes(
        &self,
        tenant: &TenantId,
        muhtarlik: &MuhtarlikCode,
    ) -> Result<Vec<Vote>, StoreError> {
        let g = self.lock();
        let mut v: Vec<Vote> = g
            .councils
            .votes
            .values()
            .filter(|v| &v.tenant == tenant && &v.muhtarlik == muhtarlik)
            .cloned()
            .collect();
        v.sort_by(|a, b| b.created_at.cmp(&a.created_at).then(b.id.cmp(&a.id)));
        Ok(v)
    }

    async fn cast_ballot(
        &self,
        tenant: &TenantId,
        vote: VoteId,
        member: MemberId,
        ballot: &BallotRecord,
    ) -> Result<(), StoreError> {
        let mut g = self.lock();
        let secret = g.councils.open_vote(tenant, vote)?.secret;
        let c = &mut g.councils;
        if !c.participation.insert((tenant.clone(), vote, member)) {
            return Err(StoreError::Duplicate {
                what: BALLOT_CAST.into(),
            });
        }
        let mut b = ballot.clone();
        b.member = if secret { None } else { Some(member) };
        c.ballots
            .insert((tenant.clone(), vote, b.receipt_hash.clone()), b);
        Ok(())
    }

    async fn change_ballot(
        &self,
        tenant: &TenantId,
        vote: VoteId,
        key: &BallotKey,
        choice: u8,
    ) -> Result<(), StoreError> {
        let mut g = self.lock();
        g.councils.open_vote(tenant, vote)?;
        let b = g
            .councils
            .ballots
            .iter_mut()
            .filter(|((t, v, _), _)| t == tenant && *v == vote)
            .map(|(_, b)| b)
            .find(|b| match key {
                BallotKey::Member(m) => b.member == Some(*m),
                BallotKey::Receipt(h) => &b.receipt_hash == h,
            })
            .ok_or_else(|| not_found("ballot"))?;
        b.choice = choice;
        Ok(())
    }

    async fn ballots(
        &self,
        tenant: &TenantId,
        vote: VoteId,
    ) -> Result<Vec<BallotRecord>, StoreError> {
        Ok(self
            .lock()
            .councils
            .ballots
            .iter()
            .filter(|((t, v, _), _)| t == tenant && *v == vote)
            .map(|(_, b)| b.clone())
            .collect())
    }

    async fn participants(
        &self,
        tenant: &TenantId,
        vote: VoteId,
    ) -> Result<Vec<MemberId>, StoreError> {
        Ok(self
            .lock()
            .councils
            .participation
            .iter()
            .filter(|(t, v, _)| t == tenant && *v == vote)
            .map(|(_, _, m)| *m)
            .collect())
    }

    async fn close_vote(
        &self,
        tenant: &TenantId,
        vote: VoteId,
        result: &Tally,
    ) -> Result<(), StoreError> {
        let mut g = self.lock();
        g.councils.open_vote(tenant, vote)?;
        let stored: Vec<BallotRecord> = g
            .councils
            .ballots
            .iter()
            .filter(|((t, v, _), _)| t == tenant && *v == vote)
            .map(|(_, b)| b.clone())
            .collect();
        crate::store::check_close(vote, result, &stored)?;
        if let Some(v) = g.councils.votes.get_mut(&(tenant.clone(), vote)) {
            v.status = VoteStatus::Closed;
            v.result = Some(result.clone());
        }
        Ok(())
    }
}
