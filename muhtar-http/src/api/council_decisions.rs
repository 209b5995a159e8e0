//! A council's decision sent as a request (issue 24, "From decision to request"):
//! `POST /api/v1/councils/votes/{id}/decision` (the muhtar) and the decision's status
//! as the vote's view shows it ([`DecisionView`]: the request's tracking number, status
//! and, once answered, its answer, from the request's public view: no personal data).
//!
//! The decision document (a PDF) is stored where attachments live once the request is
//! written; a send refused because the decision was sent already stores it again (the
//! same bytes, content-addressed), so a send cut off between the two is repaired by
//! sending again.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::post;
use axum::Router;
use muhtar_core::access::Actor;
use muhtar_core::council::{DecisionSpec, VoteId};
use muhtar_core::request::RequestKind;
use muhtar_core::service::{DecisionStatus, ServiceError};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::councils::vote_id;
use super::{JsonBody, St};
use crate::auth::Auth;
use crate::error::{ApiResult, ErrorBody};
use crate::mount::Mount;
use crate::uploads::Content;
use crate::AppState;

/// The route (merged into the API router under `/api/v1`).
pub fn router() -> Router<Arc<AppState>> {
    Router::new().route("/councils/votes/{id}/decision", post(send_decision))
}

/// What the muhtar chooses when sending a decision.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DecisionBody {
    /// The category (a code of the organisation; an unknown one is refused listing them).
    pub category: String,
    /// `request` (Talep, default) or `suggestion` (Öneri).
    pub kind: Option<String>,
    /// The subject (default: the vote's title).
    pub subject: Option<String>,
    /// The description (default: the vote's title and result).
    pub description: Option<String>,
    /// For the municipal council's agenda (belediye meclisi gündemi); default false.
    #[serde(default)]
    pub municipal_council: bool,
}

/// A sent decision as the council sees it: the request's public facts.
#[derive(Debug, Serialize, ToSchema)]
pub struct DecisionView {
    /// The request's tracking number.
    pub tracking: String,
    /// When the decision was sent (Europe/Istanbul, RFC 3339).
    pub sent_at: String,
    /// The request's status (stable name).
    pub status: String,
    /// Its status, in Turkish.
    pub status_name: String,
    /// The outcome (stable name), once answered.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub outcome: Option<String>,
    /// The outcome, in Turkish.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub outcome_name: Option<String>,
    /// The unit handling it, by name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unit_name: Option<String>,
    /// The answer's text, once answered.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub answer: Option<String>,
    /// For the municipal council's agenda.
    pub municipal_council: bool,
}

impl DecisionView {
    /// The view of a decision's status.
    pub fn of(d: &DecisionStatus) -> Self {
        let p = &d.request;
        DecisionView {
            tracking: d.tracking.to_string(),
            sent_at: muhtar_core::calendar::to_istanbul(d.sent_at).to_rfc3339(),
            status: p.status.as_str().to_owned(),
            status_name: p.status_name.clone(),
            outcome: p.outcome.map(|o| o.as_str().to_owned()),
            outcome_name: p.outcome_name.clone(),
            unit_name: p.unit_name.clone(),
            answer: d.answer.clone(),
            municipal_council: d.municipal_council,
        }
    }
}

/// The decision's view of vote `vote`, if it was sent.
pub async fn decision_view(
    s: &AppState,
    actor: &Actor,
    vote: VoteId,
) -> ApiResult<Option<DecisionView>> {
    Ok(s.mbs
        .decision_status(actor, vote)
        .await?
        .as_ref()
        .map(DecisionView::of))
}

/// Stores the vote's decision document where attachments live (again: the same bytes).
async fn store_document(s: &AppState, actor: &Actor, vote: VoteId) -> ApiResult<()> {
    if let Some(doc) = s.mbs.decision_document(actor, vote).await? {
        let a = &doc.attachment;
        s.uploads
            .put(&a.sha256, &a.media_type, &Content::from_bytes(doc.bytes))
            .await?;
    }
    Ok(())
}

/// Send a closed vote's adopted decision to a public body as a request of the
/// muhtarlık (the muhtar): channel `mahalle-meclisi`, the decision attached as a PDF,
/// routed and with its legal deadline like any request. Once per vote.
#[utoipa::path(post, path = "/councils/votes/{id}/decision", tag = "councils",
    params(("id" = String, Path, description = "The vote's id (UUID)")),
    request_body = DecisionBody,
    responses((status = 201, description = "Sent; `Location` is the request", body = DecisionView),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, description = "No such vote, or not the actor's council", body = ErrorBody),
        (status = 409, description = "`council`: the vote is still running; `not_adopted`: it adopted nothing; `decision_sent`: its decision was sent already (the request named)", body = ErrorBody),
        (status = 422, description = "`category` or `kind` is not accepted (the valid ones listed)", body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn send_decision(
    State(s): St,
    Auth(actor): Auth,
    mount: Mount,
    Path(id): Path<String>,
    JsonBody(b): JsonBody<DecisionBody>,
) -> ApiResult<Response> {
    let vote = vote_id(&id)?;
    let mut spec = DecisionSpec::new(b.category).municipal_council(b.municipal_council);
    if let Some(k) = b.kind {
        let kind = k
            .parse::<RequestKind>()
            .map_err(|e| crate::error::ApiError::invalid("kind", e.to_string()))?;
        spec = spec.kind(kind);
    }
    if let Some(t) = b.subject {
        spec = spec.subject(t);
    }
    if let Some(d) = b.description {
        spec = spec.description(d);
    }
    match s.mbs.send_decision(&actor, vote, spec).await {
        Ok(sent) => {
            let a = &sent.document.attachment;
            s.uploads
                .put(
                    &a.sha256,
                    &a.media_type,
                    &Content::from_bytes(sent.document.bytes.clone()),
                )
                .await?;
            let view = decision_view(&s, &actor, vote).await?;
            let location = mount.url(&format!("/api/v1/requests/{}", sent.link.tracking));
            Ok(super::submit::created(location, view))
        }
        Err(e @ ServiceError::Council(muhtar_core::council::CouncilError::DecisionSent { .. })) => {
            store_document(&s, &actor, vote).await?;
            Err(e.into())
        }
        Err(e) => Err(e.into()),
    }
}
