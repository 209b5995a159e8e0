//! The council's meetings under `/api/v1/councils` (issue 24, second part): a
//! muhtarlık's council schedules meetings, records who attended and then the minutes,
//! which freeze the meeting (`muhtar_core::council::Meeting`, through `Mbs`'s meeting
//! calls, which authorize every call: the muhtar writes, the back office reads).

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use muhtar_core::calendar::to_istanbul;
use muhtar_core::council::{Meeting, MeetingId, MemberId, NewMeeting, ProposalId};
use muhtar_core::ids::MuhtarlikCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{JsonBody, St};
use crate::auth::Auth;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::AppState;

/// The routes of council meetings (merged into the API router under `/api/v1`).
pub fn router() -> Router<Arc<AppState>> {
    Router::new()
        .route(
            "/councils/{muhtarlik}/meetings",
            get(list_meetings).post(add_meeting),
        )
        .route("/councils/{muhtarlik}/meetings/{id}", get(get_meeting))
        .route(
            "/councils/{muhtarlik}/meetings/{id}/attendance",
            put(set_attendance),
        )
        .route(
            "/councils/{muhtarlik}/meetings/{id}/minutes",
            post(record_minutes),
        )
}

fn muhtarlik(s: &str) -> ApiResult<MuhtarlikCode> {
    MuhtarlikCode::new(s).map_err(|e| ApiError::invalid("muhtarlik", e.to_string()))
}

/// The meeting `id` of the council in the path: not a UUID, or another council's
/// meeting, is no such meeting.
fn meeting_id(s: &str) -> ApiResult<MeetingId> {
    s.parse::<MeetingId>()
        .map_err(|_| ApiError::not_found(format!("meeting {s}")).field("id"))
}

fn in_council(m: Meeting, council: &MuhtarlikCode) -> ApiResult<Meeting> {
    if &m.muhtarlik != council {
        return Err(ApiError::not_found(format!("meeting {}", m.id)).field("id"));
    }
    Ok(m)
}

/// A meeting's minutes.
#[derive(Debug, Serialize, ToSchema)]
pub struct MinutesView {
    /// The text.
    pub text: String,
    /// Recorded (Europe/Istanbul, RFC 3339).
    pub recorded_at: String,
    /// SHA-256 of the text's UTF-8 bytes (lower-case hex).
    pub sha256: String,
}

/// A council meeting.
#[derive(Debug, Serialize, ToSchema)]
pub struct MeetingView {
    /// Id (UUID).
    pub id: String,
    /// The council's muhtarlık (code).
    pub muhtarlik: String,
    /// When it meets (Europe/Istanbul, RFC 3339).
    pub at: String,
    /// Where.
    pub place: String,
    /// The agenda items, in order.
    pub agenda: Vec<String>,
    /// The proposals of the first agenda items (ids), in order.
    pub proposals: Vec<String>,
    /// The members who attended (ids, sorted).
    pub attendance: Vec<String>,
    /// Held: the minutes are recorded; minutes and attendance no longer change.
    pub held: bool,
    /// The minutes, once recorded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub minutes: Option<MinutesView>,
}

impl MeetingView {
    /// The view of `m`.
    pub fn of(m: &Meeting) -> Self {
        MeetingView {
            id: m.id.to_string(),
            muhtarlik: m.muhtarlik.to_string(),
            at: to_istanbul(m.at).to_rfc3339(),
            place: m.place.clone(),
            agenda: m.agenda.clone(),
            proposals: m.proposals.iter().map(ToString::to_string).collect(),
            attendance: m.attendance.iter().map(ToString::to_string).collect(),
            held: m.held,
            minutes: m.minutes.as_ref().map(|x| MinutesView {
                text: x.text.clone(),
                recorded_at: to_istanbul(x.recorded_at).to_rfc3339(),
                sha256: x.sha256.clone(),
            }),
        }
    }
}

/// A council's meetings, the latest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct MeetingList {
    /// The meetings.
    pub meetings: Vec<MeetingView>,
}

/// A new meeting (core's `NewMeeting`).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewMeetingBody {
    /// When (RFC 3339).
    pub at: DateTime<Utc>,
    /// Where: one line, 1 to 200 characters.
    pub place: String,
    /// The agenda items: 1 to 30 with the proposals, each one line of 1 to 300
    /// characters; may be empty when `proposals` are given.
    #[serde(default)]
    pub agenda: Vec<String>,
    /// Proposals of the council on its agenda (ids) to discuss: each becomes an item
    /// `Öneri: <title>` ahead of the others.
    #[serde(default)]
    #[schema(value_type = Vec<String>)]
    pub proposals: Vec<ProposalId>,
}

/// Who attended.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AttendanceBody {
    /// The members' ids (members of this council on its roll at the meeting's time).
    pub members: Vec<String>,
}

/// The minutes.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MinutesBody {
    /// The text: 1 to 20000 characters.
    pub text: String,
}

/// The council's meetings, the latest first.
#[utoipa::path(get, path = "/councils/{muhtarlik}/meetings", tag = "councils",
    params(("muhtarlik" = String, Path, description = "Muhtarlık code")),
    responses((status = 200, body = MeetingList), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 422, description = "No such muhtarlık (the valid ones listed)", body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn list_meetings(
    State(s): St,
    Auth(actor): Auth,
    Path(m): Path<String>,
) -> ApiResult<Json<MeetingList>> {
    let meetings = s.mbs.meetings(&actor, &muhtarlik(&m)?).await?;
    Ok(Json(MeetingList {
        meetings: meetings.iter().map(MeetingView::of).collect(),
    }))
}

/// Schedules a meeting (the muhtar).
#[utoipa::path(post, path = "/councils/{muhtarlik}/meetings", tag = "councils",
    params(("muhtarlik" = String, Path, description = "Muhtarlık code")),
    request_body = NewMeetingBody,
    responses((status = 201, body = MeetingView), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 422, description = "A field is not accepted (named in `field`)", body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn add_meeting(
    State(s): St,
    Auth(actor): Auth,
    Path(m): Path<String>,
    JsonBody(b): JsonBody<NewMeetingBody>,
) -> ApiResult<Response> {
    let new = NewMeeting {
        at: b.at,
        place: b.place,
        agenda: b.agenda,
        proposals: b.proposals,
    };
    let meeting = s.mbs.add_meeting(&actor, &muhtarlik(&m)?, new).await?;
    Ok((StatusCode::CREATED, Json(MeetingView::of(&meeting))).into_response())
}

/// A meeting of the council.
#[utoipa::path(get, path = "/councils/{muhtarlik}/meetings/{id}", tag = "councils",
    params(("muhtarlik" = String, Path, description = "Muhtarlık code"),
        ("id" = String, Path, description = "The meeting's id (UUID)")),
    responses((status = 200, body = MeetingView), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn get_meeting(
    State(s): St,
    Auth(actor): Auth,
    Path((m, id)): Path<(String, String)>,
) -> ApiResult<Json<MeetingView>> {
    let council = muhtarlik(&m)?;
    let meeting = in_council(s.mbs.meeting(&actor, meeting_id(&id)?).await?, &council)?;
    Ok(Json(MeetingView::of(&meeting)))
}

/// Records who attended (replacing an earlier list), until the minutes are recorded.
#[utoipa::path(put, path = "/councils/{muhtarlik}/meetings/{id}/attendance", tag = "councils",
    params(("muhtarlik" = String, Path, description = "Muhtarlık code"),
        ("id" = String, Path, description = "The meeting's id (UUID)")),
    request_body = AttendanceBody,
    responses((status = 200, body = MeetingView), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, description = "The minutes are recorded (`meeting_held`)", body = ErrorBody),
        (status = 422, description = "A member not on the roll at the meeting's time (`members`)", body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn set_attendance(
    State(s): St,
    Auth(actor): Auth,
    Path((m, id)): Path<(String, String)>,
    JsonBody(b): JsonBody<AttendanceBody>,
) -> ApiResult<Json<MeetingView>> {
    let council = muhtarlik(&m)?;
    let id = meeting_id(&id)?;
    in_council(s.mbs.meeting(&actor, id).await?, &council)?;
    let members = b
        .members
        .iter()
        .map(|x| {
            x.parse::<MemberId>()
                .map_err(|_| ApiError::invalid("members", format!("{x:?} is not a member id")))
        })
        .collect::<ApiResult<Vec<_>>>()?;
    let meeting = s.mbs.set_attendance(&actor, id, &members).await?;
    Ok(Json(MeetingView::of(&meeting)))
}

/// Records the minutes (from the meeting's time on): the meeting is held, and its minutes
/// and attendance no longer change.
#[utoipa::path(post, path = "/councils/{muhtarlik}/meetings/{id}/minutes", tag = "councils",
    params(("muhtarlik" = String, Path, description = "Muhtarlık code"),
        ("id" = String, Path, description = "The meeting's id (UUID)")),
    request_body = MinutesBody,
    responses((status = 200, body = MeetingView), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, description = "Held already (`meeting_held`) or not yet (`meeting_not_yet`)", body = ErrorBody),
        (status = 422, description = "The text is not accepted (`minutes`)", body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn record_minutes(
    State(s): St,
    Auth(actor): Auth,
    Path((m, id)): Path<(String, String)>,
    JsonBody(b): JsonBody<MinutesBody>,
) -> ApiResult<Json<MeetingView>> {
    let council = muhtarlik(&m)?;
    let id = meeting_id(&id)?;
    in_council(s.mbs.meeting(&actor, id).await?, &council)?;
    let meeting = s.mbs.record_minutes(&actor, id, &b.text).await?;
    Ok(Json(MeetingView::of(&meeting)))
}
