//! A council's decision sent to a public body (issue 24, "From decision to request"):
//! the muhtar sends a closed vote's adopted result as a request of the muhtarlık, through
//! the normal submission (validation, routing, the legal deadline, registration on
//! receipt, notices), channel `mahalle-meclisi`, the decision attached as a PDF; the
//! link vote → request is written in the submission's commit, once per vote. The answer
//! comes back: [`Mbs::decision_status`] gives the request's public view and answer, and
//! the council's members are notified of the answer and the closing
//! ([`crate::outbox::plan_council`]).

use super::{Mbs, ServiceError, TenantContext};
use crate::access::{Action, Actor};
use crate::clock::Clock;
use crate::council::{
    adopted, decision_document, default_description, CouncilError, DecisionDocument, DecisionLink,
    DecisionSpec, Tally, Vote, VoteId, VoteStatus,
};
use crate::ids::{MuhtarlikCode, RequestId, TenantId};
use crate::outbox::OutboxMessage;
use crate::public::PublicView;
use crate::request::{Channel, Event, EventKind, NewRequest, Status};
use crate::store::{RequestRecord, Store, StoreError, DECISION_SENT};
use crate::tracking::TrackingNumber;
use chrono::{DateTime, Utc};
use serde::Serialize;

/// The decision a submission carries: what its link is made of once the request has its
/// id and tracking number.
#[derive(Debug, Clone)]
pub(super) struct Carried {
    vote: VoteId,
    muhtarlik: MuhtarlikCode,
    document_sha256: String,
}

impl Carried {
    pub(super) fn link(
        &self,
        tenant: &TenantId,
        request: RequestId,
        tracking: TrackingNumber,
        at: DateTime<Utc>,
    ) -> DecisionLink {
        DecisionLink::new(
            tenant.clone(),
            self.vote,
            self.muhtarlik.clone(),
            request,
            tracking,
            at,
            self.document_sha256.clone(),
        )
    }
}

/// What sending a decision did.
#[derive(Debug, Clone)]
pub struct SentDecision {
    /// The link vote → request.
    pub link: DecisionLink,
    /// The request as submitted.
    pub record: RequestRecord,
    /// The decision document attached: the caller stores its bytes where attachments
    /// live, under its SHA-256 (the request names it; [`Mbs::decision_document`] makes
    /// the same bytes again).
    pub document: DecisionDocument,
}

/// Where a sent decision stands, as the council may see it: the request's public view
/// (no personal data) and, once answered, the answer's text.
#[derive(Debug, Clone, Serialize)]
pub struct DecisionStatus {
    /// The tracking number.
    pub tracking: TrackingNumber,
    /// When the decision was sent.
    pub sent_at: DateTime<Utc>,
    /// The request's public view (status, outcome and their Turkish names, unit).
    pub request: PublicView,
    /// The answer's text, once answered.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub answer: Option<String>,
    /// For the municipal council's agenda.
    pub municipal_council: bool,
}

impl<S: Store, C: Clock> Mbs<S, C> {
    /// A vote and its council, if the actor may take `action` on it (a council the actor
    /// may not touch hides its votes).
    async fn decision_vote(
        &self,
        actor: &Actor,
        vote: VoteId,
        action: Action,
    ) -> Result<(std::sync::Arc<TenantContext>, Vote), ServiceError> {
        let v = self.store.vote(&actor.tenant, vote).await?;
        let ctx = self
            .council_access(actor, &v.muhtarlik, action)
            .await
            .map_err(|e| match e {
                ServiceError::Forbidden(_) => ServiceError::NotFound("vote".into()),
                e => e,
            })?;
        Ok((ctx, v))
    }

    /// The council's name for its documents: the muhtarlık's name.
    fn council_name(ctx: &TenantContext, v: &Vote) -> String {
        ctx.org
            .muhtarlik(&v.muhtarlik)
            .map_or_else(|| v.muhtarlik.to_string(), |m| m.name.clone())
    }

    /// Sends a closed vote's adopted decision to a public body as a request of the
    /// muhtarlık (the muhtar, `ManageCouncil`): channel `mahalle-meclisi`, the kind and
    /// category of `spec`, subject and description by default from the vote, the
    /// decision document attached. Refused: a vote still running
    /// ([`CouncilError::StillRunning`]), a result that adopted nothing
    /// ([`CouncilError::NotAdopted`]), a decision sent already
    /// ([`CouncilError::DecisionSent`], also when two sends race: the store's key), a
    /// kind other than request or suggestion and an unknown category (input errors
    /// listing the valid values).
    pub async fn send_decision(
        &self,
        actor: &Actor,
        vote: VoteId,
        spec: DecisionSpec,
    ) -> Result<SentDecision, ServiceError> {
        let (ctx, v) = self
            .decision_vote(actor, vote, Action::ManageCouncil)
            .await?;
        spec.check_kind()?;
        let t = self.adopted_result(actor, &v).await?;
        if let Some(l) = self.store.decision_of_vote(&actor.tenant, vote).await? {
            return Err(sent(&l));
        }
        let council = Self::council_name(&ctx, &v);
        let now = self.clock.now();
        let document = decision_document(&v, &t, &council, now);
        let new = NewRequest::builder(
            v.muhtarlik.clone(),
            Channel::MahalleMeclisi,
            spec.category,
            spec.subject.unwrap_or_else(|| v.title.clone()),
        )
        .kind(spec.kind)
        .description(
            spec.description
                .unwrap_or_else(|| default_description(&v, &t, &council)),
        )
        .attachments([document.attachment.clone()])
        .municipal_council(spec.municipal_council)
        .build();
        let carried = Carried {
            vote,
            muhtarlik: v.muhtarlik.clone(),
            document_sha256: document.attachment.sha256.clone(),
        };
        match self.submit_carrying(actor, new, None, Some(&carried)).await {
            Ok(record) => Ok(SentDecision {
                link: carried.link(
                    &actor.tenant,
                    record.state.id,
                    record.state.tracking,
                    record.state.content.received_at,
                ),
                record,
                document,
            }),
            Err(ServiceError::Store(StoreError::Duplicate { what })) if what == DECISION_SENT => {
                match self.store.decision_of_vote(&actor.tenant, vote).await? {
                    Some(l) => Err(sent(&l)),
                    None => Err(ServiceError::Store(StoreError::Duplicate { what })),
                }
            }
            Err(e) => Err(e),
        }
    }

    /// The vote's recounted result, if it is closed and adopted an option.
    async fn adopted_result(&self, actor: &Actor, v: &Vote) -> Result<Tally, ServiceError> {
        if v.status != VoteStatus::Closed {
            return Err(CouncilError::StillRunning {
                closes_at: crate::calendar::local_time(v.closes_at),
            }
            .into());
        }
        let t = self.vote_result(actor, v.id).await?;
        if adopted(&t).is_none() {
            return Err(CouncilError::NotAdopted {
                result: t.describe(),
            }
            .into());
        }
        Ok(t)
    }

    /// The decision document of a vote whose decision was sent, made again (the same
    /// bytes as attached): for storing it again where attachments live. `None` if the
    /// decision was not sent.
    pub async fn decision_document(
        &self,
        actor: &Actor,
        vote: VoteId,
    ) -> Result<Option<DecisionDocument>, ServiceError> {
        let (ctx, v) = self.decision_vote(actor, vote, Action::ReadCouncil).await?;
        let Some(link) = self.store.decision_of_vote(&actor.tenant, vote).await? else {
            return Ok(None);
        };
        let t = self.vote_result(actor, vote).await?;
        Ok(Some(decision_document(
            &v,
            &t,
            &Self::council_name(&ctx, &v),
            link.sent_at,
        )))
    }

    /// Where the vote's sent decision stands (anyone who may read the council, members
    /// included): the request's public view and its answer; `None` if it was not sent.
    pub async fn decision_status(
        &self,
        actor: &Actor,
        vote: VoteId,
    ) -> Result<Option<DecisionStatus>, ServiceError> {
        let (ctx, _) = self.decision_vote(actor, vote, Action::ReadCouncil).await?;
        let Some(link) = self.store.decision_of_vote(&actor.tenant, vote).await? else {
            return Ok(None);
        };
        let rec = self.store.load(&actor.tenant, link.request).await?;
        let answered = matches!(rec.state.status, Status::Answered | Status::Closed);
        Ok(Some(DecisionStatus {
            tracking: link.tracking,
            sent_at: link.sent_at,
            request: PublicView::of(&rec, &ctx.org),
            answer: rec.state.answer.clone().filter(|_| answered),
            municipal_council: rec.state.content.municipal_council,
        }))
    }

    /// The notices to the council's members that a request's new `events` cause: for a
    /// request of channel `mahalle-meclisi` carrying a decision, when it is answered or
    /// closed ([`crate::outbox::plan_council`]). Nothing for any other request (no
    /// store read).
    pub(super) async fn council_notices(
        &self,
        ctx: &TenantContext,
        record: &RequestRecord,
        events: &[Event],
        now: DateTime<Utc>,
    ) -> Result<Vec<OutboxMessage>, ServiceError> {
        let st = &record.state;
        if st.content.channel != Channel::MahalleMeclisi
            || !events
                .iter()
                .any(|e| matches!(e.kind, EventKind::Answered { .. } | EventKind::Closed))
        {
            return Ok(Vec::new());
        }
        let Some(link) = self.store.decision_of_request(&st.tenant, st.id).await? else {
            return Ok(Vec::new());
        };
        let members = self.store.members(&st.tenant, &link.muhtarlik).await?;
        Ok(crate::outbox::plan_council(
            &ctx.org,
            st,
            &record.deadlines,
            events,
            &members,
            &mut self.ids(),
            now,
        ))
    }
}

fn sent(l: &DecisionLink) -> ServiceError {
    CouncilError::DecisionSent {
        tracking: l.tracking.to_string(),
    }
    .into()
}
