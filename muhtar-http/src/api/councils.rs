//! Neighbourhood councils (mahalle meclisleri, issue 24) under `/api/v1/councils`: the
//! member roll and the votes of a muhtarlık's council (`muhtar_core::council`, through
//! `Mbs`'s council calls, which authorize every call).
//!
//! The muhtar of the muhtarlık runs the council (members, votes, ballots, closing); the
//! coordinator, the responsible official and auditors read it. No view names a member
//! beside a choice: ballots are never listed, a result is counts only, and a receipt's
//! check answers the choice without the member. A member's contact (personal data) is in
//! [`MemberContactView`] only, given to the roles that may manage or read the council.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use muhtar_core::access::{authorize, Action, Actor, Target};
use muhtar_core::calendar::to_istanbul;
use muhtar_core::clock::Clock;
use muhtar_core::council::{
    Decision, Majority, Member, MemberId, MemberRole, NewMember, NewVote, ReceiptCode, Tally, Vote,
    VoteId, VoteOptions,
};
use muhtar_core::ids::MuhtarlikCode;
use muhtar_core::org::Organisation;
use muhtar_core::service::Cast;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{JsonBody, St};
use crate::auth::Auth;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::mount::Mount;
use crate::AppState;

/// The routes of councils (merged into the API router under `/api/v1`).
pub fn router() -> Router<Arc<AppState>> {
    Router::new()
        .route(
            "/councils/{muhtarlik}/members",
            get(list_members).post(add_member),
        )
        .route("/councils/members/{id}", delete(remove_member))
        .route(
            "/councils/{muhtarlik}/votes",
            get(list_votes).post(open_vote),
        )
        .route("/councils/votes/{id}", get(get_vote))
        .route("/councils/votes/{id}/ballots", post(cast_ballot))
        .route("/councils/votes/{id}/ballots/change", post(change_ballot))
        .route("/councils/votes/{id}/close", post(close_vote))
        .route("/councils/votes/{id}/result", get(vote_result))
        .route("/councils/votes/{id}/receipts/{code}", get(verify_receipt))
}

/// An instant as clients read it: RFC 3339 in Europe/Istanbul time.
fn istanbul(t: DateTime<Utc>) -> String {
    to_istanbul(t).to_rfc3339()
}

fn muhtarlik(s: &str) -> ApiResult<MuhtarlikCode> {
    MuhtarlikCode::new(s).map_err(|e| ApiError::invalid("muhtarlik", e.to_string()))
}

/// A vote's id from the path: not a UUID is no such vote.
pub(crate) fn vote_id(s: &str) -> ApiResult<VoteId> {
    s.parse::<VoteId>()
        .map_err(|_| ApiError::not_found(format!("vote {s}")).field("id"))
}

fn member_id(s: &str) -> ApiResult<MemberId> {
    s.parse::<MemberId>()
        .map_err(|_| ApiError::not_found(format!("member {s}")).field("id"))
}

/// Whether `actor` may see the contacts of the members of `muhtarlik`'s council: those
/// who may manage or read it, but for the council's members (they see names only: core's
/// `Mbs::members` refuses them too).
pub fn may_see_contacts(actor: &Actor, muhtarlik: &MuhtarlikCode, org: &Organisation) -> bool {
    if matches!(actor.role, muhtar_core::access::Role::Member(_)) {
        return false;
    }
    let target = Target::Council {
        tenant: &actor.tenant,
        muhtarlik,
    };
    [Action::ManageCouncil, Action::ReadCouncil]
        .into_iter()
        .any(|a| authorize(actor, a, &target, org).is_ok())
}

/// A council member without their contact.
#[derive(Debug, Serialize, ToSchema)]
pub struct MemberView {
    /// Id (UUID).
    pub id: String,
    /// The council's muhtarlık (code).
    pub muhtarlik: String,
    /// Full name.
    pub name: String,
    /// Role (stable name): resident, muhtar, official.
    pub role: String,
    /// Role, in Turkish.
    pub role_name: String,
    /// Registered (Europe/Istanbul, RFC 3339).
    pub added_at: String,
    /// Taken off the roll (Europe/Istanbul), if they were; kept on record.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub removed_at: Option<String>,
    /// On the roll now.
    pub active: bool,
}

impl MemberView {
    /// The view of `m` at `now`.
    pub fn of(m: &Member, now: DateTime<Utc>) -> Self {
        MemberView {
            id: m.id.to_string(),
            muhtarlik: m.muhtarlik.to_string(),
            name: m.name.clone(),
            role: m.role.as_str().to_owned(),
            role_name: m.role.display_name().to_owned(),
            added_at: istanbul(m.added_at),
            removed_at: m.removed_at.map(istanbul),
            active: m.active_at(now),
        }
    }
}

/// A council member with their contact: only for those who may manage or read the
/// council ([`may_see_contacts`]).
#[derive(Debug, Serialize, ToSchema)]
pub struct MemberContactView {
    /// The member.
    #[serde(flatten)]
    pub member: MemberView,
    /// E-mail address.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Phone (`+90XXXXXXXXXX`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
}

impl MemberContactView {
    fn of(m: &Member, now: DateTime<Utc>) -> Self {
        MemberContactView {
            member: MemberView::of(m, now),
            email: m.email.clone(),
            phone: m.phone.clone(),
        }
    }
}

/// A council's members, removed ones included.
#[derive(Debug, Serialize, ToSchema)]
pub struct MemberList {
    /// The members, with their contacts.
    pub members: Vec<MemberContactView>,
}

/// A new member (core's `NewMember`).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewMemberBody {
    /// Full name: one line, 1 to 200 characters.
    pub name: String,
    /// Role: resident (default), muhtar, official.
    #[schema(value_type = Option<String>)]
    pub role: Option<MemberRole>,
    /// E-mail address (this or `phone` is needed, for login codes).
    pub email: Option<String>,
    /// Phone, Turkish (`05xx xxx xx xx`, `+90 …`).
    pub phone: Option<String>,
    /// Identity number (T.C. kimlik no, 11 digits), optional: kept only as a keyed hash
    /// (the server needs `--identity-key`), so the roll refuses the same person twice.
    /// Never returned.
    pub identity_number: Option<String>,
}

async fn contacts_allowed(s: &AppState, actor: &Actor, m: &MuhtarlikCode) -> ApiResult<()> {
    let ctx = s.mbs.context(&actor.tenant).await?;
    if may_see_contacts(actor, m, &ctx.org) {
        Ok(())
    } else {
        Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "the members' contacts are for the muhtar and the back office",
        ))
    }
}

/// The members of a muhtarlık's council, removed ones included (marked): the muhtar of
/// the muhtarlık, the coordinator, the responsible official and auditors.
#[utoipa::path(get, path = "/councils/{muhtarlik}/members", tag = "councils",
    params(("muhtarlik" = String, Path, description = "Muhtarlık code")),
    responses((status = 200, body = MemberList), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 422, description = "No such muhtarlık (the valid ones listed)", body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn list_members(
    State(s): St,
    Auth(actor): Auth,
    Path(m): Path<String>,
) -> ApiResult<Json<MemberList>> {
    let m = muhtarlik(&m)?;
    let members = s.mbs.members(&actor, &m).await?;
    contacts_allowed(&s, &actor, &m).await?;
    let now = s.mbs.clock().now();
    Ok(Json(MemberList {
        members: members
            .iter()
            .map(|x| MemberContactView::of(x, now))
            .collect(),
    }))
}

/// Register a member of the council (the muhtar of the muhtarlık).
#[utoipa::path(post, path = "/councils/{muhtarlik}/members", tag = "councils",
    params(("muhtarlik" = String, Path, description = "Muhtarlık code")),
    request_body = NewMemberBody,
    responses((status = 201, body = MemberContactView), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 422, description = "A field is not accepted (named in `field`)", body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn add_member(
    State(s): St,
    Auth(actor): Auth,
    Path(m): Path<String>,
    JsonBody(b): JsonBody<NewMemberBody>,
) -> ApiResult<Response> {
    let m = muhtarlik(&m)?;
    let new = NewMember {
        name: b.name,
        role: b.role,
        email: b.email,
        phone: b.phone,
        identity_number: b.identity_number,
    };
    let member = s.mbs.add_member(&actor, &m, new).await?;
    Ok((
        StatusCode::CREATED,
        Json(MemberContactView::of(&member, s.mbs.clock().now())),
    )
        .into_response())
}

/// Take a member off the roll (the muhtar): kept on record, left out of votes opened
/// later; removing a removed member changes nothing.
#[utoipa::path(delete, path = "/councils/members/{id}", tag = "councils",
    params(("id" = String, Path, description = "The member's id (UUID)")),
    responses((status = 200, body = MemberContactView), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn remove_member(
    State(s): St,
    Auth(actor): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<MemberContactView>> {
    let member = s.mbs.remove_member(&actor, member_id(&id)?).await?;
    Ok(Json(MemberContactView::of(&member, s.mbs.clock().now())))
}

/// A member who may vote in a vote: id and name, never a choice.
#[derive(Debug, Serialize, ToSchema)]
pub struct EligibleView {
    /// Id.
    pub id: String,
    /// Name.
    pub name: String,
}

/// A vote as the API shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct VoteView {
    /// Id (UUID).
    pub id: String,
    /// The council's muhtarlık (code).
    pub muhtarlik: String,
    /// The agenda item.
    pub title: String,
    /// The options' names, in order (a ballot's `choice` names one).
    pub options: Vec<String>,
    /// Open from (Europe/Istanbul, RFC 3339).
    pub opens_at: String,
    /// Until (Europe/Istanbul, RFC 3339; exclusive).
    pub closes_at: String,
    /// Majority rule (stable name): simple, absolute, two-thirds.
    pub majority: String,
    /// Majority rule, in Turkish.
    pub majority_name: String,
    /// Quorum, in percent of the eligible members.
    pub quorum_percent: u8,
    /// Secret ballot.
    pub secret: bool,
    /// Ballots may be changed until closing.
    pub changeable: bool,
    /// The members who may vote (the roll when it opened): names, no choices.
    pub eligible: Vec<EligibleView>,
    /// Status (stable name): open, closed.
    pub status: String,
    /// Status, in Turkish.
    pub status_name: String,
    /// Opened (Europe/Istanbul).
    pub created_at: String,
    /// The frozen result, once closed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub result: Option<ResultView>,
    /// The decision sent as a request, once sent (`GET /councils/votes/{id}` only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decision: Option<super::council_decisions::DecisionView>,
}

impl VoteView {
    /// The view of `v`, eligible members named from `members`.
    pub fn of(v: &Vote, members: &[Member]) -> Self {
        VoteView {
            id: v.id.to_string(),
            muhtarlik: v.muhtarlik.to_string(),
            title: v.title.clone(),
            options: v.options.names(),
            opens_at: istanbul(v.opens_at),
            closes_at: istanbul(v.closes_at),
            majority: v.majority.as_str().to_owned(),
            majority_name: v.majority.display_name().to_owned(),
            quorum_percent: v.quorum_percent,
            secret: v.secret,
            changeable: v.changeable,
            eligible: v
                .eligible
                .iter()
                .map(|id| EligibleView {
                    id: id.to_string(),
                    name: members
                        .iter()
                        .find(|m| m.id == *id)
                        .map_or_else(String::new, |m| m.name.clone()),
                })
                .collect(),
            status: v.status.as_str().to_owned(),
            status_name: v.status.display_name().to_owned(),
            created_at: istanbul(v.created_at),
            result: v.result.as_ref().map(ResultView::of),
            decision: None,
        }
    }
}

/// A council's votes, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct VoteList {
    /// The votes.
    pub votes: Vec<VoteView>,
}

/// A closed vote's result: counts only, never who chose what.
#[derive(Debug, Serialize, ToSchema)]
pub struct ResultView {
    /// The options' names.
    pub options: Vec<String>,
    /// Ballots per option, in the options' order.
    pub counts: Vec<u64>,
    /// Ballots cast (abstentions included).
    pub cast: u64,
    /// Members eligible.
    pub eligible: u64,
    /// Turnout, in percent of the eligible (one decimal).
    pub turnout_percent: f64,
    /// The quorum, in percent.
    pub quorum_percent: u8,
    /// Whether enough members took part.
    pub quorum_met: bool,
    /// Majority rule (stable name).
    pub majority: String,
    /// The decision (stable name): no-quorum, not-decided, adopted.
    pub decision: String,
    /// The option adopted (its name), when one was.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decision_option: Option<String>,
    /// The decision in Turkish.
    pub description: String,
    /// SHA-256 over the ballots counted: a recount reproduces it.
    pub hash: String,
}

impl ResultView {
    /// The view of a tally.
    pub fn of(t: &Tally) -> Self {
        let (decision, option) = match t.decision {
            Decision::NoQuorum => ("no-quorum", None),
            Decision::NotDecided => ("not-decided", None),
            Decision::Adopted { option } => ("adopted", t.options.get(usize::from(option))),
        };
        ResultView {
            options: t.options.clone(),
            counts: t.counts.clone(),
            cast: t.cast,
            eligible: t.eligible,
            turnout_percent: t.turnout_percent(),
            quorum_percent: t.quorum_percent,
            quorum_met: t.quorum_met,
            majority: t.majority.as_str().to_owned(),
            decision: decision.to_owned(),
            decision_option: option.cloned(),
            description: t.describe(),
            hash: t.hash.clone(),
        }
    }
}

/// A new vote (core's `NewVote`).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewVoteBody {
    /// The agenda item: one line, 1 to 300 characters.
    pub title: String,
    /// The options: `{"kind": "for-against-abstain"}` (default: Kabul / Ret / Çekimser)
    /// or `{"kind": "list", "options": ["A", "B"]}` (2 to 10, all different).
    #[schema(value_type = Option<Object>)]
    pub options: Option<VoteOptions>,
    /// From (RFC 3339; default now).
    pub opens_at: Option<DateTime<Utc>>,
    /// Until (RFC 3339), after `opens_at`.
    pub closes_at: DateTime<Utc>,
    /// Majority rule: simple (default), absolute, two-thirds.
    #[schema(value_type = Option<String>)]
    pub majority: Option<Majority>,
    /// Quorum in percent, 1 to 100 (default 50).
    pub quorum_percent: Option<u8>,
    /// Secret ballot (default false).
    #[serde(default)]
    pub secret: bool,
    /// Ballots may be changed until closing (default false).
    #[serde(default)]
    pub changeable: bool,
}

impl From<NewVoteBody> for NewVote {
    fn from(b: NewVoteBody) -> Self {
        let mut v = NewVote::new(b.title, b.closes_at);
        if let Some(o) = b.options {
            v.options = o;
        }
        v.opens_at = b.opens_at;
        v.majority = b.majority.unwrap_or_default();
        v.quorum_percent = b.quorum_percent;
        v.secret = b.secret;
        v.changeable = b.changeable;
        v
    }
}

/// The votes of a muhtarlık's council, newest first.
#[utoipa::path(get, path = "/councils/{muhtarlik}/votes", tag = "councils",
    params(("muhtarlik" = String, Path, description = "Muhtarlık code")),
    responses((status = 200, body = VoteList), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn list_votes(
    State(s): St,
    Auth(actor): Auth,
    Path(m): Path<String>,
) -> ApiResult<Json<VoteList>> {
    let m = muhtarlik(&m)?;
    let votes = s.mbs.votes(&actor, &m).await?;
    let members = s.mbs.members(&actor, &m).await?;
    Ok(Json(VoteList {
        votes: votes.iter().map(|v| VoteView::of(v, &members)).collect(),
    }))
}

/// Open a vote (the muhtar): the members on the roll now may vote in it.
#[utoipa::path(post, path = "/councils/{muhtarlik}/votes", tag = "councils",
    params(("muhtarlik" = String, Path, description = "Muhtarlık code")),
    request_body = NewVoteBody,
    responses((status = 201, description = "Opened; `Location` is the vote", body = VoteView),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 409, description = "`council`: the council has no members", body = ErrorBody),
        (status = 422, description = "A field is not accepted (named in `field`)", body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn open_vote(
    State(s): St,
    Auth(actor): Auth,
    mount: Mount,
    Path(m): Path<String>,
    JsonBody(b): JsonBody<NewVoteBody>,
) -> ApiResult<Response> {
    let m = muhtarlik(&m)?;
    let v = s.mbs.open_vote(&actor, &m, b.into()).await?;
    let members = s.mbs.members(&actor, &m).await?;
    let location = mount.url(&format!("/api/v1/councils/votes/{}", v.id));
    Ok(super::submit::created(location, VoteView::of(&v, &members)))
}

/// One vote.
#[utoipa::path(get, path = "/councils/votes/{id}", tag = "councils",
    params(("id" = String, Path, description = "The vote's id (UUID)")),
    responses((status = 200, body = VoteView), (status = 401, body = ErrorBody),
        (status = 404, description = "No such vote, or not the actor's to see", body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn get_vote(
    State(s): St,
    Auth(actor): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<VoteView>> {
    let v = s.mbs.vote(&actor, vote_id(&id)?).await?;
    let members = s.mbs.members(&actor, &v.muhtarlik).await?;
    let mut view = VoteView::of(&v, &members);
    view.decision = super::council_decisions::decision_view(&s, &actor, v.id).await?;
    Ok(Json(view))
}

/// A member's ballot, recorded by the muhtar.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BallotBody {
    /// The member (id).
    pub member: String,
    /// The option chosen, by name (`Kabul`, `Ret`, `Çekimser`, or `for`, `against`,
    /// `abstain`; a list's option).
    pub choice: String,
}

/// A secret ballot's change, by its receipt.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangeBody {
    /// The receipt code given when the ballot was cast.
    pub receipt: String,
    /// The new choice, by name.
    pub choice: String,
}

/// A new ballot's receipt: shown once (only its hash is stored).
#[derive(Debug, Serialize, ToSchema)]
pub struct ReceiptView {
    /// The receipt code (`XXXX-XXXX-XXXX`).
    pub receipt: String,
}

/// A ballot changed.
#[derive(Debug, Serialize, ToSchema)]
pub struct ChangedView {
    /// Always true.
    pub changed: bool,
}

/// Record a member's ballot (the muhtar, for a member voting in person or on paper):
/// 201 with the receipt; in a vote that allows changes and is not secret, a member's
/// second ballot changes the first (200, the first receipt holds).
#[utoipa::path(post, path = "/councils/votes/{id}/ballots", tag = "councils",
    params(("id" = String, Path, description = "The vote's id (UUID)")),
    request_body = BallotBody,
    responses((status = 201, body = ReceiptView), (status = 200, body = ChangedView),
        (status = 401, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, description = "`council`: not open yet, closed, or the member voted already", body = ErrorBody),
        (status = 422, description = "`member` may not vote in it, or `choice` is not an option (the options listed)", body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn cast_ballot(
    State(s): St,
    Auth(actor): Auth,
    Path(id): Path<String>,
    JsonBody(b): JsonBody<BallotBody>,
) -> ApiResult<Response> {
    let vote = vote_id(&id)?;
    let member = b
        .member
        .parse::<MemberId>()
        .map_err(|_| ApiError::invalid("member", format!("{:?} is not a member id", b.member)))?;
    match s.mbs.cast_ballot(&actor, vote, member, &b.choice).await? {
        Cast::New(r) => Ok((
            StatusCode::CREATED,
            Json(ReceiptView {
                receipt: r.to_string(),
            }),
        )
            .into_response()),
        Cast::Changed => Ok(Json(ChangedView { changed: true }).into_response()),
    }
}

fn receipt(s: &str) -> ApiResult<ReceiptCode> {
    ReceiptCode::parse(s).map_err(|e| ApiError::invalid("receipt", e.to_string()))
}

/// Change a ballot by its receipt (votes that allow changes, until closing).
#[utoipa::path(post, path = "/councils/votes/{id}/ballots/change", tag = "councils",
    params(("id" = String, Path, description = "The vote's id (UUID)")),
    request_body = ChangeBody,
    responses((status = 200, body = ChangedView), (status = 401, body = ErrorBody),
        (status = 404, description = "No such vote, or no ballot with that receipt", body = ErrorBody),
        (status = 409, description = "`council`: closed, or the vote allows no changes", body = ErrorBody),
        (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn change_ballot(
    State(s): St,
    Auth(actor): Auth,
    Path(id): Path<String>,
    JsonBody(b): JsonBody<ChangeBody>,
) -> ApiResult<Json<ChangedView>> {
    let vote = vote_id(&id)?;
    let r = receipt(&b.receipt)?;
    s.mbs.change_ballot(&actor, vote, &r, &b.choice).await?;
    Ok(Json(ChangedView { changed: true }))
}

/// Close a vote once its time is over (the muhtar): the ballots counted and the result
/// frozen.
#[utoipa::path(post, path = "/councils/votes/{id}/close", tag = "councils",
    params(("id" = String, Path, description = "The vote's id (UUID)")),
    responses((status = 200, body = ResultView), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "`council`: still running, or closed already", body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn close_vote(
    State(s): St,
    Auth(actor): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<ResultView>> {
    let t = s.mbs.close_vote(&actor, vote_id(&id)?).await?;
    Ok(Json(ResultView::of(&t)))
}

/// A closed vote's result, checked by a recount of the stored ballots.
#[utoipa::path(get, path = "/councils/votes/{id}/result", tag = "councils",
    params(("id" = String, Path, description = "The vote's id (UUID)")),
    responses((status = 200, body = ResultView), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "`council`: not closed yet", body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn vote_result(
    State(s): St,
    Auth(actor): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<ResultView>> {
    let t = s.mbs.vote_result(&actor, vote_id(&id)?).await?;
    Ok(Json(ResultView::of(&t)))
}

/// What a receipt's ballot chose, and whether it is counted.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReceiptCheckView {
    /// The option chosen (its name).
    pub choice: String,
    /// Whether the ballot is in the frozen result (true while the vote is open).
    pub counted: bool,
}

/// Check a receipt: the choice of its ballot and whether it is counted (anyone of the
/// tenant holding the receipt; it names no member).
#[utoipa::path(get, path = "/councils/votes/{id}/receipts/{code}", tag = "councils",
    params(("id" = String, Path, description = "The vote's id (UUID)"),
           ("code" = String, Path, description = "The receipt code")),
    responses((status = 200, body = ReceiptCheckView), (status = 401, body = ErrorBody),
        (status = 404, description = "No such vote, or no ballot with that receipt", body = ErrorBody),
        (status = 422, description = "Not a receipt code", body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn verify_receipt(
    State(s): St,
    Auth(actor): Auth,
    Path((id, code)): Path<(String, String)>,
) -> ApiResult<Json<ReceiptCheckView>> {
    let vote = vote_id(&id)?;
    let r = receipt(&code)?;
    let (choice, counted) = s.mbs.verify_receipt(&actor, vote, &r).await?;
    Ok(Json(ReceiptCheckView { choice, counted }))
}
