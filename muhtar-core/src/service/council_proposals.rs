//! The council's agenda through the service (issue 24, second part): the muhtar records
//! proposals (their own or a member's), members' supports and comments, puts proposals on
//! the agenda and hides comments with a reason. Every call authorizes on
//! [`Target::Council`] first: writes are `ManageCouncil` (the muhtar), reads `ReadCouncil`;
//! a council member proposes, supports and comments as themselves (`Participate`, see
//! `Mbs::acting_for`), and never puts on the agenda or hides.
//! The support threshold is the tenant's `[council] support_threshold`.

use super::{Mbs, ServiceError, TenantContext};
use crate::access::{Action, Actor};
use crate::clock::Clock;
use crate::council::{
    AgendaReason, Author, Comment, CommentId, CouncilError, Hidden, MemberId, NewProposal,
    Proposal, ProposalId,
};
use crate::ids::MuhtarlikCode;
use crate::store::{Store, StoreError, SUPPORT_GIVEN};

/// What a support did.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Supported {
    /// The proposal read after the support (later supports may be counted in it).
    pub proposal: Proposal,
    /// The supports when this one was recorded, this one included.
    pub supports: u32,
    /// Whether this support put it on the agenda (it was the threshold-th).
    pub put_on_agenda: bool,
}

impl<S: Store, C: Clock> Mbs<S, C> {
    /// The proposal, if the actor may take `action` on its council, with the tenant's
    /// context: forbidden to one who may read the council, else not found (as if it did
    /// not exist).
    async fn proposal_for(
        &self,
        actor: &Actor,
        id: ProposalId,
        action: Action,
    ) -> Result<(Proposal, std::sync::Arc<TenantContext>), ServiceError> {
        let p = self.store.proposal(&actor.tenant, id).await?;
        match self.council_access(actor, &p.muhtarlik, action).await {
            Ok(ctx) => Ok((p, ctx)),
            // Who may read the council learns they may not write; others see nothing.
            Err(ServiceError::Forbidden(f)) => {
                let reads = self
                    .council_access(actor, &p.muhtarlik, Action::ReadCouncil)
                    .await
                    .is_ok();
                Err(if reads {
                    ServiceError::Forbidden(f)
                } else {
                    ServiceError::NotFound("proposal".into())
                })
            }
            Err(e) => Err(e),
        }
    }

    /// Checks a member author or supporter is on the roll of the council of `muhtarlik`
    /// now (a removed member, or one of another council, is not).
    async fn on_roll(
        &self,
        actor: &Actor,
        muhtarlik: &MuhtarlikCode,
        member: MemberId,
    ) -> Result<(), ServiceError> {
        let not_on_roll = || {
            ServiceError::Council(CouncilError::NotOnRoll {
                member: member.to_string(),
            })
        };
        let m = match self.store.member(&actor.tenant, member).await {
            Err(StoreError::NotFound { .. }) => return Err(not_on_roll()),
            r => r?,
        };
        if &m.muhtarlik != muhtarlik || !m.active_at(self.clock.now()) {
            return Err(not_on_roll());
        }
        Ok(())
    }

    async fn author_on_roll(
        &self,
        actor: &Actor,
        muhtarlik: &MuhtarlikCode,
        author: Author,
    ) -> Result<(), ServiceError> {
        match author {
            Author::Member(m) => self.on_roll(actor, muhtarlik, m).await,
            _ => Ok(()),
        }
    }

    /// Records a proposal to the council of `muhtarlik`: the muhtar, as theirs or for a
    /// member on the roll; a council member, as its author.
    pub async fn propose(
        &self,
        actor: &Actor,
        muhtarlik: &MuhtarlikCode,
        new: NewProposal,
    ) -> Result<Proposal, ServiceError> {
        self.acting_for(
            actor,
            muhtarlik,
            Action::ManageCouncil,
            member_of(new.author),
        )
        .await?;
        self.author_on_roll(actor, muhtarlik, new.author).await?;
        let now = self.clock.now();
        let id = ProposalId(self.ids().uuid_v7(now));
        let p = new.validate(id, actor.tenant.clone(), muhtarlik.clone(), now)?;
        self.store.put_proposal(&p).await?;
        Ok(p)
    }

    /// Records a member's support (the muhtar, for a member on the roll; a council member,
    /// their own): once per member; the support that reaches the council's threshold puts
    /// the proposal on the agenda.
    pub async fn support(
        &self,
        actor: &Actor,
        proposal: ProposalId,
        member: MemberId,
    ) -> Result<Supported, ServiceError> {
        let (p, _) = self
            .proposal_for(actor, proposal, Action::ReadCouncil)
            .await?;
        let ctx = self
            .acting_for(actor, &p.muhtarlik, Action::ManageCouncil, Some(member))
            .await?;
        self.on_roll(actor, &p.muhtarlik, member).await?;
        let threshold = ctx.settings.council.support_threshold();
        let now = self.clock.now();
        let outcome = match self
            .store
            .support(&actor.tenant, proposal, member, threshold, now)
            .await
        {
            Err(StoreError::Duplicate { what }) if what == SUPPORT_GIVEN => {
                return Err(CouncilError::AlreadySupported {
                    member: member.to_string(),
                }
                .into())
            }
            r => r?,
        };
        Ok(Supported {
            proposal: self.store.proposal(&actor.tenant, proposal).await?,
            supports: outcome.supports,
            put_on_agenda: outcome.put_on_agenda,
        })
    }

    /// Puts a proposal on the agenda by the muhtar's decision, whatever its supports.
    pub async fn put_on_agenda(
        &self,
        actor: &Actor,
        proposal: ProposalId,
    ) -> Result<Proposal, ServiceError> {
        self.proposal_for(actor, proposal, Action::ManageCouncil)
            .await?;
        let now = self.clock.now();
        if !self
            .store
            .put_on_agenda(&actor.tenant, proposal, AgendaReason::Muhtar, now)
            .await?
        {
            return Err(CouncilError::OnAgendaAlready.into());
        }
        Ok(self.store.proposal(&actor.tenant, proposal).await?)
    }

    /// Records a comment on a proposal (the muhtar, as theirs or for a member on the
    /// roll; a council member, as its author).
    pub async fn comment(
        &self,
        actor: &Actor,
        proposal: ProposalId,
        author: Author,
        text: &str,
    ) -> Result<Comment, ServiceError> {
        let (p, _) = self
            .proposal_for(actor, proposal, Action::ReadCouncil)
            .await?;
        self.acting_for(
            actor,
            &p.muhtarlik,
            Action::ManageCouncil,
            member_of(author),
        )
        .await?;
        self.author_on_roll(actor, &p.muhtarlik, author).await?;
        let now = self.clock.now();
        let id = CommentId(self.ids().uuid_v7(now));
        let c = Comment::new(id, actor.tenant.clone(), proposal, author, text, now)?;
        self.store.put_comment(&c).await?;
        Ok(c)
    }

    /// Hides a comment of a proposal with a reason (the muhtar); it stays on record, and
    /// a comment hidden already keeps its first hiding.
    pub async fn hide_comment(
        &self,
        actor: &Actor,
        proposal: ProposalId,
        comment: CommentId,
        reason: &str,
    ) -> Result<Comment, ServiceError> {
        self.proposal_for(actor, proposal, Action::ManageCouncil)
            .await?;
        let hidden = Hidden::new(reason, &actor.user, self.clock.now())?;
        // The comment must be the proposal's: the council it belongs to was authorized.
        if !self
            .store
            .comments(&actor.tenant, proposal)
            .await?
            .iter()
            .any(|c| c.id == comment)
        {
            return Err(ServiceError::NotFound("comment".into()));
        }
        Ok(self
            .store
            .hide_comment(&actor.tenant, comment, &hidden)
            .await?)
    }

    /// A proposal, its supports counted.
    pub async fn proposal(&self, actor: &Actor, id: ProposalId) -> Result<Proposal, ServiceError> {
        Ok(self.proposal_for(actor, id, Action::ReadCouncil).await?.0)
    }

    /// The council's proposals, newest first.
    pub async fn proposals(
        &self,
        actor: &Actor,
        muhtarlik: &MuhtarlikCode,
    ) -> Result<Vec<Proposal>, ServiceError> {
        self.council_access(actor, muhtarlik, Action::ReadCouncil)
            .await?;
        Ok(self.store.proposals(&actor.tenant, muhtarlik).await?)
    }

    /// A proposal's comments, oldest first, hidden ones included (with their hiding: a
    /// page shows the reason instead of the text).
    pub async fn comments(
        &self,
        actor: &Actor,
        proposal: ProposalId,
    ) -> Result<Vec<Comment>, ServiceError> {
        self.proposal_for(actor, proposal, Action::ReadCouncil)
            .await?;
        Ok(self.store.comments(&actor.tenant, proposal).await?)
    }
}

/// The member an author is, if one.
fn member_of(author: Author) -> Option<MemberId> {
    match author {
        Author::Member(m) => Some(m),
        _ => None,
    }
}
