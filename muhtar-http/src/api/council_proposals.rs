//! The council's proposals under `/api/v1/councils/{muhtarlik}/proposals` (issue 24,
//! second part): proposals, supports, the agenda and comments
//! (`muhtar_core::council::Proposal`, through `Mbs`'s proposal calls, which authorize
//! every call).
//!
//! A council member (`member:<kod>@<member id>`) proposes, supports and comments as
//! themselves (a `member` in the body naming another member is refused, 403); the muhtar
//! writes as the muhtar or, with `member`, records it for a member on the roll, and alone
//! puts a proposal on the agenda or hides a comment (with a reason; it stays on record,
//! its text no longer given). The back office reads.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use muhtar_core::access::Actor;
use muhtar_core::calendar::to_istanbul;
use muhtar_core::council::{
    Author, Comment, CommentId, MemberId, NewProposal, Proposal, ProposalId,
};
use muhtar_core::ids::MuhtarlikCode;
use muhtar_core::request::Location;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{JsonBody, LocationBody, St};
use crate::auth::Auth;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::AppState;

/// The routes of council proposals (merged into the API router under `/api/v1`).
pub fn router() -> Router<Arc<AppState>> {
    Router::new()
        .route(
            "/councils/{muhtarlik}/proposals",
            get(list_proposals).post(add_proposal),
        )
        .route("/councils/{muhtarlik}/proposals/{id}", get(get_proposal))
        .route(
            "/councils/{muhtarlik}/proposals/{id}/supports",
            post(support_proposal),
        )
        .route(
            "/councils/{muhtarlik}/proposals/{id}/agenda",
            post(put_on_agenda),
        )
        .route(
            "/councils/{muhtarlik}/proposals/{id}/comments",
            get(list_comments).post(add_comment),
        )
        .route(
            "/councils/{muhtarlik}/proposals/{id}/comments/{comment}/hide",
            post(hide_comment),
        )
}

fn muhtarlik(s: &str) -> ApiResult<MuhtarlikCode> {
    MuhtarlikCode::new(s).map_err(|e| ApiError::invalid("muhtarlik", e.to_string()))
}

fn proposal_id(s: &str) -> ApiResult<ProposalId> {
    s.parse::<ProposalId>()
        .map_err(|_| ApiError::not_found(format!("proposal {s}")).field("id"))
}

/// The proposal `id` of the council in the path: another council's is no such proposal.
async fn in_council(
    s: &AppState,
    actor: &Actor,
    m: &str,
    id: &str,
) -> ApiResult<(MuhtarlikCode, Proposal)> {
    let council = muhtarlik(m)?;
    let p = s.mbs.proposal(actor, proposal_id(id)?).await?;
    if p.muhtarlik != council {
        return Err(ApiError::not_found(format!("proposal {id}")).field("id"));
    }
    Ok((council, p))
}

/// Who writes: the body's `member` if given, else the member acting (themselves), else
/// the muhtar.
fn author(actor: &Actor, member: Option<&str>) -> ApiResult<Author> {
    match member {
        Some(m) => m
            .parse::<MemberId>()
            .map(Author::Member)
            .map_err(|_| ApiError::invalid("member", format!("{m:?} is not a member id"))),
        None => Ok(actor.member_id().map_or(Author::Muhtar, Author::Member)),
    }
}

/// Who wrote a proposal or a comment.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuthorView {
    /// `member` or `muhtar`.
    pub kind: String,
    /// The member's id (UUID), for a member.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub member: Option<String>,
}

impl AuthorView {
    fn of(a: &Author) -> Self {
        match a {
            Author::Member(m) => AuthorView {
                kind: "member".into(),
                member: Some(m.to_string()),
            },
            _ => AuthorView {
                kind: "muhtar".into(),
                member: None,
            },
        }
    }
}

/// A proposal to the council.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProposalView {
    /// Id (UUID).
    pub id: String,
    /// The council's muhtarlık (code).
    pub muhtarlik: String,
    /// Who proposes it.
    pub author: AuthorView,
    /// Title.
    pub title: String,
    /// Text.
    pub text: String,
    /// Where it is about, if somewhere.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<LocationBody>,
    /// Recorded (Europe/Istanbul, RFC 3339).
    pub created_at: String,
    /// How many members support it.
    pub supports: u32,
    /// Status (stable name): open, on-agenda.
    pub status: String,
    /// Status, in Turkish.
    pub status_name: String,
    /// When it went on the agenda (Europe/Istanbul, RFC 3339).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub on_agenda_at: Option<String>,
    /// Why (stable name): threshold, muhtar.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub agenda_reason: Option<String>,
}

impl ProposalView {
    /// The view of `p`.
    pub fn of(p: &Proposal) -> Self {
        ProposalView {
            id: p.id.to_string(),
            muhtarlik: p.muhtarlik.to_string(),
            author: AuthorView::of(&p.author),
            title: p.title.clone(),
            text: p.text.clone(),
            location: p.location.as_ref().map(|l| LocationBody {
                lat: l.lat,
                lon: l.lon,
            }),
            created_at: to_istanbul(p.created_at).to_rfc3339(),
            supports: p.supports,
            status: p.status.as_str().to_owned(),
            status_name: p.status.display_name().to_owned(),
            on_agenda_at: p.on_agenda_at.map(|t| to_istanbul(t).to_rfc3339()),
            agenda_reason: p.agenda_reason.map(|r| r.as_str().to_owned()),
        }
    }
}

/// A council's proposals, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProposalList {
    /// The proposals.
    pub proposals: Vec<ProposalView>,
}

/// A new proposal.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewProposalBody {
    /// Title: one line, 1 to 200 characters.
    pub title: String,
    /// Text: 1 to 5000 characters.
    pub text: String,
    /// Where it is about (inside Turkey).
    pub location: Option<LocationBody>,
    /// The member it is recorded for (the muhtar; a member may name only themselves).
    /// Without it: the member acting, or the muhtar.
    pub member: Option<String>,
}

/// A support.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SupportBody {
    /// The member supporting (the muhtar records it for them); a member acting supports
    /// as themselves and may leave it out (`{}`).
    pub member: Option<String>,
}

/// What a support did.
#[derive(Debug, Serialize, ToSchema)]
pub struct SupportedView {
    /// The supports when this one was recorded, this one included.
    pub supports: u32,
    /// Whether this support put the proposal on the agenda (the threshold-th).
    pub put_on_agenda: bool,
    /// The proposal read after the support.
    pub proposal: ProposalView,
}

/// A comment on a proposal.
#[derive(Debug, Serialize, ToSchema)]
pub struct CommentView {
    /// Id (UUID).
    pub id: String,
    /// Who wrote it.
    pub author: AuthorView,
    /// The text; left out once hidden (kept on record).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// Written (Europe/Istanbul, RFC 3339).
    pub created_at: String,
    /// Hidden by the muhtar.
    pub hidden: bool,
    /// Why it was hidden.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hidden_reason: Option<String>,
    /// When it was hidden (Europe/Istanbul, RFC 3339).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hidden_at: Option<String>,
}

impl CommentView {
    /// The view of `c`.
    pub fn of(c: &Comment) -> Self {
        CommentView {
            id: c.id.to_string(),
            author: AuthorView::of(&c.author),
            text: c.hidden.is_none().then(|| c.text.clone()),
            created_at: to_istanbul(c.created_at).to_rfc3339(),
            hidden: c.hidden.is_some(),
            hidden_reason: c.hidden.as_ref().map(|h| h.reason.clone()),
            hidden_at: c.hidden.as_ref().map(|h| to_istanbul(h.at).to_rfc3339()),
        }
    }
}

/// A proposal's comments, oldest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct CommentList {
    /// The comments, hidden ones included (without their text).
    pub comments: Vec<CommentView>,
}

/// A new comment.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewCommentBody {
    /// Text: 1 to 2000 characters.
    pub text: String,
    /// The member it is recorded for (the muhtar); a member writes as themselves.
    pub member: Option<String>,
}

/// Why a comment is hidden.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HideBody {
    /// The reason members read in its place: 1 to 500 characters.
    pub reason: String,
}

/// The council's proposals, newest first.
#[utoipa::path(get, path = "/councils/{muhtarlik}/proposals", tag = "councils",
    params(("muhtarlik" = String, Path, description = "Muhtarlık code")),
    responses((status = 200, body = ProposalList), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 422, description = "No such muhtarlık (the valid ones listed)", body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn list_proposals(
    State(s): St,
    Auth(actor): Auth,
    Path(m): Path<String>,
) -> ApiResult<Json<ProposalList>> {
    let proposals = s.mbs.proposals(&actor, &muhtarlik(&m)?).await?;
    Ok(Json(ProposalList {
        proposals: proposals.iter().map(ProposalView::of).collect(),
    }))
}

/// Records a proposal: a member's own, or the muhtar's (for themselves or a member).
#[utoipa::path(post, path = "/councils/{muhtarlik}/proposals", tag = "councils",
    params(("muhtarlik" = String, Path, description = "Muhtarlık code")),
    request_body = NewProposalBody,
    responses((status = 201, body = ProposalView), (status = 401, body = ErrorBody),
        (status = 403, description = "Not the council's muhtar, or a member writing for another", body = ErrorBody),
        (status = 422, description = "A field is not accepted (named in `field`; `member` not on the roll)", body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn add_proposal(
    State(s): St,
    Auth(actor): Auth,
    Path(m): Path<String>,
    JsonBody(b): JsonBody<NewProposalBody>,
) -> ApiResult<Response> {
    let new = NewProposal {
        author: author(&actor, b.member.as_deref())?,
        title: b.title,
        text: b.text,
        location: b.location.map(|l| Location {
            lat: l.lat,
            lon: l.lon,
        }),
    };
    let p = s.mbs.propose(&actor, &muhtarlik(&m)?, new).await?;
    Ok((StatusCode::CREATED, Json(ProposalView::of(&p))).into_response())
}

/// A proposal of the council, its supports counted.
#[utoipa::path(get, path = "/councils/{muhtarlik}/proposals/{id}", tag = "councils",
    params(("muhtarlik" = String, Path, description = "Muhtarlık code"),
        ("id" = String, Path, description = "The proposal's id (UUID)")),
    responses((status = 200, body = ProposalView), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn get_proposal(
    State(s): St,
    Auth(actor): Auth,
    Path((m, id)): Path<(String, String)>,
) -> ApiResult<Json<ProposalView>> {
    let (_, p) = in_council(&s, &actor, &m, &id).await?;
    Ok(Json(ProposalView::of(&p)))
}

/// Supports a proposal, once per member; the threshold-th support puts it on the agenda.
#[utoipa::path(post, path = "/councils/{muhtarlik}/proposals/{id}/supports", tag = "councils",
    params(("muhtarlik" = String, Path, description = "Muhtarlık code"),
        ("id" = String, Path, description = "The proposal's id (UUID)")),
    request_body = SupportBody,
    responses((status = 201, body = SupportedView), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, description = "The member supports it already (`council`)", body = ErrorBody),
        (status = 422, description = "`member` missing, or not on the roll", body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn support_proposal(
    State(s): St,
    Auth(actor): Auth,
    Path((m, id)): Path<(String, String)>,
    JsonBody(b): JsonBody<SupportBody>,
) -> ApiResult<Response> {
    let (_, p) = in_council(&s, &actor, &m, &id).await?;
    let Author::Member(member) = author(&actor, b.member.as_deref())? else {
        return Err(ApiError::invalid(
            "member",
            "the supporting member's id is needed",
        ));
    };
    let done = s.mbs.support(&actor, p.id, member).await?;
    Ok((
        StatusCode::CREATED,
        Json(SupportedView {
            supports: done.supports,
            put_on_agenda: done.put_on_agenda,
            proposal: ProposalView::of(&done.proposal),
        }),
    )
        .into_response())
}

/// Puts a proposal on the agenda by the muhtar's decision, whatever its supports.
#[utoipa::path(post, path = "/councils/{muhtarlik}/proposals/{id}/agenda", tag = "councils",
    params(("muhtarlik" = String, Path, description = "Muhtarlık code"),
        ("id" = String, Path, description = "The proposal's id (UUID)")),
    responses((status = 200, body = ProposalView), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, description = "On the agenda already (`council`)", body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn put_on_agenda(
    State(s): St,
    Auth(actor): Auth,
    Path((m, id)): Path<(String, String)>,
) -> ApiResult<Json<ProposalView>> {
    let (_, p) = in_council(&s, &actor, &m, &id).await?;
    let p = s.mbs.put_on_agenda(&actor, p.id).await?;
    Ok(Json(ProposalView::of(&p)))
}

/// A proposal's comments, oldest first; hidden ones without their text.
#[utoipa::path(get, path = "/councils/{muhtarlik}/proposals/{id}/comments", tag = "councils",
    params(("muhtarlik" = String, Path, description = "Muhtarlık code"),
        ("id" = String, Path, description = "The proposal's id (UUID)")),
    responses((status = 200, body = CommentList), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn list_comments(
    State(s): St,
    Auth(actor): Auth,
    Path((m, id)): Path<(String, String)>,
) -> ApiResult<Json<CommentList>> {
    let (_, p) = in_council(&s, &actor, &m, &id).await?;
    let comments = s.mbs.comments(&actor, p.id).await?;
    Ok(Json(CommentList {
        comments: comments.iter().map(CommentView::of).collect(),
    }))
}

/// Comments on a proposal: a member as themselves, the muhtar as the muhtar or for a
/// member.
#[utoipa::path(post, path = "/councils/{muhtarlik}/proposals/{id}/comments", tag = "councils",
    params(("muhtarlik" = String, Path, description = "Muhtarlık code"),
        ("id" = String, Path, description = "The proposal's id (UUID)")),
    request_body = NewCommentBody,
    responses((status = 201, body = CommentView), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, description = "The text is not accepted (`text`), or `member` not on the roll", body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn add_comment(
    State(s): St,
    Auth(actor): Auth,
    Path((m, id)): Path<(String, String)>,
    JsonBody(b): JsonBody<NewCommentBody>,
) -> ApiResult<Response> {
    let (_, p) = in_council(&s, &actor, &m, &id).await?;
    let who = author(&actor, b.member.as_deref())?;
    let c = s.mbs.comment(&actor, p.id, who, &b.text).await?;
    Ok((StatusCode::CREATED, Json(CommentView::of(&c))).into_response())
}

/// Hides a comment with a reason (the muhtar); it stays on record.
#[utoipa::path(post, path = "/councils/{muhtarlik}/proposals/{id}/comments/{comment}/hide", tag = "councils",
    params(("muhtarlik" = String, Path, description = "Muhtarlık code"),
        ("id" = String, Path, description = "The proposal's id (UUID)"),
        ("comment" = String, Path, description = "The comment's id (UUID)")),
    request_body = HideBody,
    responses((status = 200, body = CommentView), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, description = "The reason is not accepted (`reason`)", body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn hide_comment(
    State(s): St,
    Auth(actor): Auth,
    Path((m, id, comment)): Path<(String, String, String)>,
    JsonBody(b): JsonBody<HideBody>,
) -> ApiResult<Json<CommentView>> {
    let (_, p) = in_council(&s, &actor, &m, &id).await?;
    let cid = comment
        .parse::<CommentId>()
        .map_err(|_| ApiError::not_found(format!("comment {comment}")).field("comment"))?;
    let c = s.mbs.hide_comment(&actor, p.id, cid, &b.reason).await?;
    Ok(Json(CommentView::of(&c)))
}
