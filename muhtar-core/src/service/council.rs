//! Neighbourhood councils through the service: the member roll and votes (issue 24's
//! first part). Every call authorizes on [`Target::Council`] first: the muhtar of the
//! muhtarlık runs the council (`ManageCouncil`, `CastBallot`); the coordinator, the
//! responsible official and auditors read it (`ReadCouncil`). A council member
//! ([`crate::access::Role::Member`]) reads it and takes part as themselves
//! (`Participate`): their own ballot, proposals, supports and comments
//! ([`Mbs::acting_for`]); acting for another member is the muhtar's action, refused.
//! Members see each other's names only ([`Mbs::roll`]), never the contacts.

use super::{Mbs, ServiceError};
use crate::access::{authorize, AccessError, Action, Actor, Role, Target};
use crate::clock::Clock;
use crate::council::{
    recount, tally, BallotRecord, CouncilError, Member, MemberId, NewMember, NewVote, PublicMember,
    ReceiptCode, Tally, Vote, VoteId, VoteStatus,
};
use crate::ids::MuhtarlikCode;
use crate::request::InputError;
use crate::store::{BallotKey, Store, StoreError, BALLOT_CAST};

impl<S: Store, C: Clock> Mbs<S, C> {
    /// Checks the actor may take `action` on the council of `muhtarlik` (a muhtarlık of
    /// the tenant's organisation, else an input error listing them).
    pub(super) async fn council_access(
        &self,
        actor: &Actor,
        muhtarlik: &MuhtarlikCode,
        action: Action,
    ) -> Result<std::sync::Arc<super::TenantContext>, ServiceError> {
        let ctx = self.context(&actor.tenant).await?;
        if ctx.org.muhtarlik(muhtarlik).is_none() {
            return Err(InputError::unknown(
                "muhtarlik",
                muhtarlik.as_str(),
                ctx.org.muhtarliklar.iter().map(|m| m.code.to_string()),
            )
            .into());
        }
        authorize(
            actor,
            action,
            &Target::Council {
                tenant: &actor.tenant,
                muhtarlik,
            },
            &ctx.org,
        )?;
        Ok(ctx)
    }

    /// Checks the actor may act on the council of `muhtarlik` for `member` (`None`: for
    /// the muhtar or nobody in particular): a council member acting for themselves takes
    /// part (`Participate`); anyone else, a member acting for another included, needs
    /// `manage` (the muhtar's `ManageCouncil` or `CastBallot`), and is refused without it.
    pub(super) async fn acting_for(
        &self,
        actor: &Actor,
        muhtarlik: &MuhtarlikCode,
        manage: Action,
        member: Option<MemberId>,
    ) -> Result<std::sync::Arc<super::TenantContext>, ServiceError> {
        let themselves = matches!(actor.role, Role::Member(_))
            && member.is_some()
            && actor.member_id() == member;
        let action = if themselves {
            Action::Participate
        } else {
            manage
        };
        self.council_access(actor, muhtarlik, action).await
    }

    /// Registers a member of the council of `muhtarlik` (the muhtar).
    pub async fn add_member(
        &self,
        actor: &Actor,
        muhtarlik: &MuhtarlikCode,
        new: NewMember,
    ) -> Result<Member, ServiceError> {
        self.council_access(actor, muhtarlik, Action::ManageCouncil)
            .await?;
        let now = self.clock.now();
        let id = MemberId(self.ids().uuid_v7(now));
        let key = self
            .identity_keys
            .iter()
            .find(|k| *k.tenant() == actor.tenant);
        let member = new.validate_with(id, actor.tenant.clone(), muhtarlik.clone(), now, key)?;
        self.store.put_member(&member).await.map_err(|e| match e {
            StoreError::Duplicate { what } if what == crate::store::IDENTITY_TAKEN => {
                ServiceError::Input(InputError::Invalid {
                    field: "identity_number",
                    message: "a member on the tenant's roll has this identity number already"
                        .into(),
                })
            }
            e => e.into(),
        })?;
        Ok(member)
    }

    /// Takes a member off the roll (kept on record; votes opened later leave them out),
    /// ends the sessions of their code logins and refuses further ones (their account is
    /// disabled; removing again does it again, should the first attempt have stopped
    /// between the two writes).
    pub async fn remove_member(&self, actor: &Actor, id: MemberId) -> Result<Member, ServiceError> {
        let mut m = self.member_for(actor, id, Action::ManageCouncil).await?;
        if m.removed_at.is_none() {
            m.removed_at = Some(self.clock.now());
            self.store.put_member(&m).await?;
        }
        self.end_member_logins(&m).await?;
        Ok(m)
    }

    async fn member_for(
        &self,
        actor: &Actor,
        id: MemberId,
        action: Action,
    ) -> Result<Member, ServiceError> {
        let m = self.store.member(&actor.tenant, id).await?;
        self.council_access(actor, &m.muhtarlik, action)
            .await
            .map_err(|e| match e {
                ServiceError::Forbidden(_) => ServiceError::NotFound("member".into()),
                e => e,
            })?;
        Ok(m)
    }

    /// The council's members (removed ones included, marked) with their contacts: for
    /// the muhtar and the back office's readers. A council member is refused (they read
    /// [`Self::roll`], names without contacts).
    pub async fn members(
        &self,
        actor: &Actor,
        muhtarlik: &MuhtarlikCode,
    ) -> Result<Vec<Member>, ServiceError> {
        let ctx = self
            .council_access(actor, muhtarlik, Action::ReadCouncil)
            .await?;
        if matches!(actor.role, Role::Member(_)) {
            let target = Target::Council {
                tenant: &actor.tenant,
                muhtarlik,
            };
            return Err(ServiceError::Forbidden(AccessError::forbidden(
                actor,
                Action::ManageCouncil,
                &target,
                &ctx.org,
            )));
        }
        Ok(self.store.members(&actor.tenant, muhtarlik).await?)
    }

    /// The council's roll as members see it: names and roles, no contact (removed
    /// members included, marked). Anyone who may read the council.
    pub async fn roll(
        &self,
        actor: &Actor,
        muhtarlik: &MuhtarlikCode,
    ) -> Result<Vec<PublicMember>, ServiceError> {
        self.council_access(actor, muhtarlik, Action::ReadCouncil)
            .await?;
        let members = self.store.members(&actor.tenant, muhtarlik).await?;
        Ok(members.iter().map(PublicMember::from).collect())
    }

    /// Opens a vote of the council; the eligible members are the roll now.
    pub async fn open_vote(
        &self,
        actor: &Actor,
        muhtarlik: &MuhtarlikCode,
        new: NewVote,
    ) -> Result<Vote, ServiceError> {
        self.council_access(actor, muhtarlik, Action::ManageCouncil)
            .await?;
        let now = self.clock.now();
        let eligible: Vec<MemberId> = self
            .store
            .members(&actor.tenant, muhtarlik)
            .await?
            .into_iter()
            .filter(|m| m.active_at(now))
            .map(|m| m.id)
            .collect();
        if eligible.is_empty() {
            return Err(CouncilError::NoMembers {
                muhtarlik: muhtarlik.to_string(),
            }
            .into());
        }
        let id = VoteId(self.ids().uuid_v7(now));
        let vote = new.validate(id, actor.tenant.clone(), muhtarlik.clone(), eligible, now)?;
        self.store.put_vote(&vote).await?;
        Ok(vote)
    }

    async fn vote_for(
        &self,
        actor: &Actor,
        id: VoteId,
        action: Action,
    ) -> Result<Vote, ServiceError> {
        let v = self.store.vote(&actor.tenant, id).await?;
        match self.council_access(actor, &v.muhtarlik, action).await {
            Ok(_) => Ok(v),
            // Who may read the council (a member) learns they may not; others see nothing.
            Err(ServiceError::Forbidden(f)) => {
                let readable = action != Action::ReadCouncil
                    && self
                        .council_access(actor, &v.muhtarlik, Action::ReadCouncil)
                        .await
                        .is_ok();
                Err(if readable {
                    ServiceError::Forbidden(f)
                } else {
                    ServiceError::NotFound("vote".into())
                })
            }
            Err(e) => Err(e),
        }
    }

    /// A vote, if the actor may read its council.
    pub async fn vote(&self, actor: &Actor, id: VoteId) -> Result<Vote, ServiceError> {
        self.vote_for(actor, id, Action::ReadCouncil).await
    }

    /// The council's votes, newest first.
    pub async fn votes(
        &self,
        actor: &Actor,
        muhtarlik: &MuhtarlikCode,
    ) -> Result<Vec<Vote>, ServiceError> {
        self.council_access(actor, muhtarlik, Action::ReadCouncil)
            .await?;
        Ok(self.store.votes(&actor.tenant, muhtarlik).await?)
    }

    fn check_running(vote: &Vote, now: chrono::DateTime<chrono::Utc>) -> Result<(), CouncilError> {
        if vote.status == VoteStatus::Closed || now >= vote.closes_at {
            return Err(CouncilError::Closed);
        }
        if now < vote.opens_at {
            return Err(CouncilError::NotOpenYet {
                opens_at: crate::calendar::local_time(vote.opens_at),
            });
        }
        Ok(())
    }

    /// Records `member`'s ballot (`choice`: an option's name) and returns the receipt
    /// code: the muhtar records any member's, a council member casts their own only. In a
    /// vote that allows changes, a member who voted already has their open ballot changed
    /// and keeps their first receipt (a secret one is changed with its receipt:
    /// [`Self::change_ballot`]).
    pub async fn cast_ballot(
        &self,
        actor: &Actor,
        vote: VoteId,
        member: MemberId,
        choice: &str,
    ) -> Result<Cast, ServiceError> {
        let v = self.vote_for(actor, vote, Action::ReadCouncil).await?;
        self.acting_for(actor, &v.muhtarlik, Action::CastBallot, Some(member))
            .await?;
        let now = self.clock.now();
        Self::check_running(&v, now)?;
        if !v.eligible.contains(&member) {
            return Err(CouncilError::NotEligible {
                member: member.to_string(),
            }
            .into());
        }
        let index = v.options.choice(choice)?;
        let receipt = {
            let mut g = self.ids();
            ReceiptCode::from_random(|| g.next_u64())
        };
        let ballot = BallotRecord {
            receipt_hash: receipt.hash(),
            choice: index as u8,
            member: None,
        };
        match self
            .store
            .cast_ballot(&actor.tenant, vote, member, &ballot)
            .await
        {
            Ok(()) => Ok(Cast::New(receipt)),
            Err(StoreError::Duplicate { what }) if what == BALLOT_CAST => {
                if v.changeable && !v.secret {
                    self.store
                        .change_ballot(&actor.tenant, vote, &BallotKey::Member(member), index as u8)
                        .await
                        .map_err(frozen)?;
                    Ok(Cast::Changed)
                } else {
                    Err(CouncilError::AlreadyVoted {
                        member: member.to_string(),
                    }
                    .into())
                }
            }
            Err(e) => Err(frozen(e)),
        }
    }

    /// Changes a secret ballot by its receipt (votes that allow changes, until closing):
    /// the muhtar, or a council member holding the receipt (a secret ballot names no
    /// member: the receipt is what makes it theirs).
    pub async fn change_ballot(
        &self,
        actor: &Actor,
        vote: VoteId,
        receipt: &ReceiptCode,
        choice: &str,
    ) -> Result<(), ServiceError> {
        let v = self.vote_for(actor, vote, Action::ReadCouncil).await?;
        self.acting_for(actor, &v.muhtarlik, Action::CastBallot, actor.member_id())
            .await?;
        Self::check_running(&v, self.clock.now())?;
        if !v.changeable {
            return Err(CouncilError::Closed.into());
        }
        let index = v.options.choice(choice)?;
        self.store
            .change_ballot(
                &actor.tenant,
                vote,
                &BallotKey::Receipt(receipt.hash()),
                index as u8,
            )
            .await
            .map_err(|e| match e {
                StoreError::NotFound { .. } => CouncilError::UnknownReceipt.into(),
                e => frozen(e),
            })
    }

    /// Closes a vote once its time is over: counts the ballots and freezes the result.
    pub async fn close_vote(&self, actor: &Actor, vote: VoteId) -> Result<Tally, ServiceError> {
        let v = self.vote_for(actor, vote, Action::ManageCouncil).await?;
        let now = self.clock.now();
        if v.status == VoteStatus::Closed {
            return Err(CouncilError::Closed.into());
        }
        if now < v.closes_at {
            return Err(CouncilError::StillRunning {
                closes_at: crate::calendar::local_time(v.closes_at),
            }
            .into());
        }
        // A ballot committed between the count and the close (its deadline just passed)
        // makes the store refuse the close: count again.
        let mut attempts = 0;
        loop {
            let ballots = self.store.ballots(&actor.tenant, vote).await?;
            let result = tally(&v, &ballots);
            match self.store.close_vote(&actor.tenant, vote, &result).await {
                Ok(()) => return Ok(result),
                Err(StoreError::Conflict { .. }) if attempts < 8 => attempts += 1,
                Err(e) => return Err(frozen(e)),
            }
        }
    }

    /// A closed vote's frozen result, checked by a recount of the stored ballots: a
    /// recount that differs is [`ServiceError::Store`] `Corrupt`.
    pub async fn vote_result(&self, actor: &Actor, vote: VoteId) -> Result<Tally, ServiceError> {
        let v = self.vote_for(actor, vote, Action::ReadCouncil).await?;
        if v.status != VoteStatus::Closed {
            return Err(CouncilError::StillRunning {
                closes_at: crate::calendar::local_time(v.closes_at),
            }
            .into());
        }
        let ballots = self.store.ballots(&actor.tenant, vote).await?;
        recount(&v, &ballots).map_err(|t| {
            ServiceError::Store(StoreError::Corrupt {
                what: format!(
                    "vote {vote}: the recount ({}) differs from the frozen result",
                    t.hash
                ),
                source: None,
            })
        })
    }

    /// What a receipt's ballot chose, and whether it is counted: anyone holding the
    /// receipt may ask (it names no member).
    pub async fn verify_receipt(
        &self,
        actor: &Actor,
        vote: VoteId,
        receipt: &ReceiptCode,
    ) -> Result<(String, bool), ServiceError> {
        let v = self.store.vote(&actor.tenant, vote).await?;
        let hash = receipt.hash();
        let ballots = self.store.ballots(&actor.tenant, vote).await?;
        let b = ballots
            .iter()
            .find(|b| b.receipt_hash == hash)
            .ok_or(CouncilError::UnknownReceipt)?;
        let name = v
            .options
            .names()
            .get(usize::from(b.choice))
            .cloned()
            .unwrap_or_default();
        let counted = match &v.result {
            Some(r) => r.hash == crate::council::result_hash(v.id, &ballots),
            None => true,
        };
        Ok((name, counted))
    }
}

/// What casting a ballot did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cast {
    /// A new ballot, with the voter's receipt (shown once: only its hash is stored).
    New(ReceiptCode),
    /// The member's ballot was changed (a vote that allows it); the first receipt holds.
    Changed,
}

/// A closed vote in the store is the council's "closed".
fn frozen(e: StoreError) -> ServiceError {
    match e {
        StoreError::Frozen { .. } => CouncilError::Closed.into(),
        e => e.into(),
    }
}
