//! The REST API under `/api/v1`: JSON in and out, bearer tokens, core's authorization
//! on every call. The OpenAPI document ([`crate::openapi`]) is generated from the
//! annotations here.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Multipart, Path, Request, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use muhtar_core::access::{authorize, Action, Actor, Role, Target};
use muhtar_core::ids::{MuhtarlikCode, UnitCode};
use muhtar_core::org::Organisation;
use muhtar_core::request::{
    Attachment, Channel, Command, CommandName, NewRequest, Status, MAX_ATTACHMENTS,
};
use muhtar_core::service::ServiceError;
use muhtar_core::store::{
    ConfigStore, Cursor, DocumentKind, Order, Page, RequestQuery, RequestRecord, StoreError,
};
use muhtar_core::tracking::TrackingNumber;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::auth::Auth;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::mount::Mount;
use crate::{uploads, AppState};

mod council_decisions;
mod council_meetings;
mod council_proposals;
mod councils;
mod documents;
mod map;
mod map_where;
mod reports;
mod submit;
mod views;
mod works;

pub use council_decisions::*;
pub use council_meetings::*;
pub use council_proposals::*;
pub use councils::*;
pub use documents::*;
pub use map::*;
pub use map_where::*;
pub use reports::*;
pub use submit::*;
pub use views::*;
pub use works::*;

type St = State<Arc<AppState>>;

/// The routes under `/api/v1`.
pub fn router() -> Router<Arc<AppState>> {
    Router::new()
        .route("/openapi.json", get(crate::openapi::document))
        .route(
            "/requests",
            post(submit)
                .get(list)
                .layer(axum::extract::DefaultBodyLimit::max(MAX_UPLOAD_BODY)),
        )
        .route("/requests/{tracking}", get(get_request))
        .route("/requests/{tracking}/history", get(history))
        .route("/requests/{tracking}/deadline", get(deadline))
        .route("/requests/{tracking}/policy", get(policy))
        .route("/requests/{tracking}/attachments/{sha256}", get(attachment))
        .route("/requests/{tracking}/{action}", post(command))
        .route("/units/{unit}/queue", get(queue))
        .route("/organisation", get(organisation))
        .route("/rules", get(rules))
        .route("/reports", get(period_report))
        .route("/reports/signed", get(signed_reports))
        .route("/reports/signed/{id}", get(signed_report))
        .route("/reports/{quarter}", get(report))
        .route("/reports/{quarter}/sign", post(sign_report))
        .route("/status/{tracking}", get(crate::status::public_status))
        .route("/map/where", get(map_where))
        .merge(documents::document_routes())
        .merge(map::routes())
        .merge(works::router())
        .merge(councils::router())
        .merge(council_meetings::router())
        .merge(council_proposals::router())
        .merge(council_decisions::router())
}

use crate::uploads::MAX_UPLOAD;
/// Largest multipart submission (the request and its photos), in bytes.
pub const MAX_UPLOAD_BODY: usize = 2 * MAX_UPLOAD as usize + crate::MAX_BODY;

// ---------------------------------------------------------------------------------------
// Body and query extraction with errors that name the field.

/// A JSON body read with the field path of any error (`location.lat: invalid type ...`).
pub struct JsonBody<T>(pub T);

/// Reads `T` from JSON text, naming the field of an error ([`crate::json`]).
pub fn from_json<T: DeserializeOwned>(bytes: &[u8]) -> ApiResult<T> {
    Ok(crate::json::read(bytes)?)
}

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for JsonBody<T> {
    type Rejection = ApiError;
    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let bytes = body_bytes(req, state).await?;
        if bytes.len() > crate::MAX_BODY {
            return Err(ApiError::too_large(format!(
                "a JSON body may have at most {} bytes",
                crate::MAX_BODY
            )));
        }
        let bytes: &[u8] = if bytes.iter().all(u8::is_ascii_whitespace) {
            b"{}"
        } else {
            &bytes
        };
        Ok(JsonBody(from_json(bytes)?))
    }
}

async fn body_bytes<S: Send + Sync>(req: Request, state: &S) -> ApiResult<Bytes> {
    Bytes::from_request(req, state).await.map_err(|e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::too_large(format!("the body is larger than {} bytes", crate::MAX_BODY))
        } else {
            ApiError::malformed(e.body_text())
        }
    })
}

/// Query parameters read with the name of a bad parameter.
pub struct Params<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for Params<T> {
    type Rejection = ApiError;
    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _: &S,
    ) -> Result<Self, ApiError> {
        let q = parts.uri.query().unwrap_or("");
        // Not UTF-8 once decoded: a 400 naming the parameter, never a silent U+FFFD.
        muhtar_core::open311::parse_params(q.as_bytes())
            .map_err(|e| ApiError::malformed(e.to_string()).field(e.field()))?;
        let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(q.as_bytes()));
        serde_path_to_error::deserialize(de)
            .map(Params)
            .map_err(|e| {
                let path = e.path().to_string();
                ApiError::malformed(e.into_inner().to_string()).field(path)
            })
    }
}

fn tracking(s: &str) -> ApiResult<TrackingNumber> {
    s.parse::<TrackingNumber>().map_err(|e| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_input",
            format!("tracking number {s:?}: {e}"),
        )
        .field("tracking")
    })
}

/// A serde name (`mbs-web`) to its enum value, naming the field when it is unknown.
fn named<T: DeserializeOwned>(field: &str, s: &str) -> ApiResult<T> {
    serde_json::from_value(serde_json::Value::String(s.to_owned()))
        .map_err(|_| ApiError::invalid(field, format!("unknown {field} {s:?}")))
}

/// Get a request by tracking number.
#[utoipa::path(get, path = "/requests/{tracking}", tag = "requests",
    params(("tracking" = String, Path, description = "Takip numarası, e.g. 7KM-3QX-9PA")),
    responses(
        (status = 200, body = RequestView),
        (status = 400, description = "Not a tracking number (bad check character)", body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 404, description = "No such request, or not visible to the actor", body = ErrorBody),
    ),
    security(("bearer" = [])))]
pub async fn get_request(
    State(s): St,
    Auth(actor): Auth,
    Path(t): Path<String>,
) -> ApiResult<Json<RequestView>> {
    let rec = s.mbs.get(&actor, &tracking(&t)?).await?;
    let ctx = s.mbs.context(&actor.tenant).await?;
    Ok(Json(RequestView::of(&rec, &ctx.org)))
}

/// A request's history (its events, oldest first).
#[utoipa::path(get, path = "/requests/{tracking}/history", tag = "requests",
    params(("tracking" = String, Path, description = "Takip numarası")),
    responses((status = 200, description = "Events: version, at, actor, type and its fields", body = Vec<Object>),
        (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn history(
    State(s): St,
    Auth(actor): Auth,
    Path(t): Path<String>,
) -> ApiResult<Json<serde_json::Value>> {
    let events = s.mbs.history(&actor, &tracking(&t)?).await?;
    Ok(Json(
        serde_json::to_value(events).map_err(ApiError::internal)?,
    ))
}

/// A request's deadline clocks now, with their explanations (which days were skipped
/// and why).
#[utoipa::path(get, path = "/requests/{tracking}/deadline", tag = "requests",
    params(("tracking" = String, Path, description = "Takip numarası")),
    responses((status = 200, description = "First-response and resolution clocks: due, state, explanation", body = Object),
        (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn deadline(
    State(s): St,
    Auth(actor): Auth,
    Path(t): Path<String>,
) -> ApiResult<Json<serde_json::Value>> {
    let ev = s.mbs.deadline(&actor, &tracking(&t)?).await?;
    Ok(Json(serde_json::to_value(ev).map_err(ApiError::internal)?))
}

/// Why a request runs under its SLA policy: the policy rule recorded at receipt, changes
/// by staff, and how the policy rules in force now decide for it.
#[utoipa::path(get, path = "/requests/{tracking}/policy", tag = "requests",
    params(("tracking" = String, Path, description = "Takip numarası")),
    responses((status = 200, description = "policy, policy_rule, received_policy, received_rule, changes, now (the rules' decision and explanation), summary", body = Object),
        (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn policy(
    State(s): St,
    Auth(actor): Auth,
    Path(t): Path<String>,
) -> ApiResult<Json<serde_json::Value>> {
    let ex = s.mbs.explain_policy(&actor, &tracking(&t)?).await?;
    Ok(Json(serde_json::to_value(ex).map_err(ApiError::internal)?))
}

/// Download an attachment of a request.
#[utoipa::path(get, path = "/requests/{tracking}/attachments/{sha256}", tag = "requests",
    params(("tracking" = String, Path, description = "Takip numarası"),
           ("sha256" = String, Path, description = "The attachment's SHA-256")),
    responses((status = 200, description = "The file, with its media type", content_type = "application/octet-stream"),
        (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn attachment(
    State(s): St,
    Auth(actor): Auth,
    Path((t, sha)): Path<(String, String)>,
) -> ApiResult<Response> {
    let rec = s.mbs.get(&actor, &tracking(&t)?).await?;
    let a = rec
        .state
        .content
        .attachments
        .iter()
        .find(|a| a.sha256 == sha)
        .ok_or_else(|| ApiError::not_found("attachment"))?;
    let file = s
        .uploads
        .get(&a.sha256)
        .await?
        .ok_or_else(|| ApiError::not_found("attachment file"))?;
    Ok(([(header::CONTENT_TYPE, file.media_type)], file.bytes).into_response())
}

/// Filters of a listing.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// Only these statuses, comma-separated (`routed,in-progress`), or `open`.
    pub status: Option<String>,
    /// Only this unit and the units below it.
    pub unit: Option<String>,
    /// Only this muhtarlık.
    pub muhtarlik: Option<String>,
    /// Only this category.
    pub category: Option<String>,
    /// Only this channel.
    pub channel: Option<String>,
    /// Received at or after (RFC 3339).
    pub received_from: Option<DateTime<Utc>>,
    /// Received before (RFC 3339).
    pub received_until: Option<DateTime<Utc>>,
    /// Only open requests past their deadline.
    pub overdue: Option<bool>,
    /// Only open requests not yet past their deadline but within their policy's
    /// warning window (`at_risk_working_days` before it). Not with `overdue=true`.
    pub at_risk: Option<bool>,
    /// `deadline` (default: earliest deadline first) or `newest`; urgent (İVEDİ) requests first in both.
    pub order: Option<String>,
    /// Page size, 1 to 1000 (default 50).
    pub limit: Option<u32>,
    /// The `next` of the previous page.
    pub after: Option<String>,
}

/// List the requests the actor may see, with filters and keyset pagination.
#[utoipa::path(get, path = "/requests", tag = "requests", params(ListParams),
    responses((status = 200, body = RequestPage), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn list(
    State(s): St,
    Auth(actor): Auth,
    Params(p): Params<ListParams>,
) -> ApiResult<Json<RequestPage>> {
    let ctx = s.mbs.context(&actor.tenant).await?;
    let mut q = RequestQuery {
        limit: p.limit.unwrap_or(50),
        ..RequestQuery::default()
    };
    if q.limit == 0 || q.limit > muhtar_core::store::MAX_PAGE {
        return Err(ApiError::invalid("limit", "limit must be 1 to 1000"));
    }
    list_filters(
        &mut q,
        &ctx.org,
        ListFilters {
            status: p.status.as_deref(),
            unit: p.unit.as_deref(),
            muhtarlik: p.muhtarlik.as_deref(),
            category: p.category.as_deref(),
        },
    )?;
    q.channel = p
        .channel
        .as_deref()
        .map(|c| {
            c.parse::<Channel>()
                .map_err(|e| ApiError::invalid("channel", e.to_string()))
        })
        .transpose()?;
    q.received_from = p.received_from;
    q.received_until = p.received_until;
    q.order = match p.order.as_deref() {
        None | Some("deadline") => Order::Deadline,
        Some("newest") => Order::Newest,
        Some(o) => {
            return Err(ApiError::invalid(
                "order",
                format!("{o:?}: deadline or newest"),
            ))
        }
    };
    if let Some(a) = &p.after {
        let c = Cursor(a.clone());
        c.decode().map_err(StoreError::from)?;
        q.after = Some(c);
    }
    let page = match (p.overdue == Some(true), p.at_risk == Some(true)) {
        (true, true) => {
            return Err(ApiError::invalid(
                "at_risk",
                "a request is either overdue or at risk: ask for one of them",
            ))
        }
        (true, false) => s.mbs.list_overdue(&actor, q).await?,
        (false, true) => s.mbs.list_at_risk(&actor, q).await?,
        (false, false) => s.mbs.list(&actor, q).await?,
    };
    Ok(Json(RequestPage::of(page, &ctx.org)))
}

/// The filters a listing and the map share, as given.
#[derive(Debug, Clone, Copy, Default)]
pub struct ListFilters<'a> {
    /// `status`: statuses, comma-separated, or `open`.
    pub status: Option<&'a str>,
    /// `unit`: this unit and those below it.
    pub unit: Option<&'a str>,
    /// `muhtarlik`.
    pub muhtarlik: Option<&'a str>,
    /// `category`.
    pub category: Option<&'a str>,
}

/// Sets `q`'s filters from the parameters of a listing (`GET /requests`, the map), each
/// checked against the organisation with an error naming it.
pub fn list_filters(q: &mut RequestQuery, org: &Organisation, f: ListFilters<'_>) -> ApiResult<()> {
    if let Some(st) = f.status {
        q.statuses =
            Some(Status::parse_filter(st).map_err(|e| ApiError::invalid("status", e.to_string()))?);
    }
    if let Some(u) = f.unit {
        let code = org
            .known_unit("unit", u)
            .map_err(|e| ApiError::invalid("unit", e.to_string()))?
            .code
            .clone();
        q.units = Some(org.subtree(&code));
    }
    if let Some(m) = f.muhtarlik {
        q.muhtarlik =
            Some(MuhtarlikCode::new(m).map_err(|e| ApiError::invalid("muhtarlik", e.to_string()))?);
    }
    q.category = f.category.map(str::to_owned);
    Ok(())
}

/// Paging of a queue.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PageParams {
    /// Page size, 1 to 1000 (default 50).
    pub limit: Option<u32>,
    /// The `next` of the previous page.
    pub after: Option<String>,
}

/// A unit's queue: its open requests and those of the units below it, urgent (İVEDİ)
/// first, then earliest deadline.
#[utoipa::path(get, path = "/units/{unit}/queue", tag = "requests",
    params(("unit" = String, Path, description = "Unit code"), PageParams),
    responses((status = 200, body = RequestPage), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn queue(
    State(s): St,
    Auth(actor): Auth,
    Path(unit): Path<String>,
    Params(p): Params<PageParams>,
) -> ApiResult<Json<RequestPage>> {
    let unit =
        UnitCode::new(unit.clone()).map_err(|_| ApiError::not_found(format!("unit {unit}")))?;
    let limit = p.limit.unwrap_or(50);
    if limit == 0 || limit > muhtar_core::store::MAX_PAGE {
        return Err(ApiError::invalid("limit", "limit must be 1 to 1000"));
    }
    let after = p.after.map(Cursor);
    if let Some(c) = &after {
        c.decode().map_err(StoreError::from)?;
    }
    let page = s.mbs.queue(&actor, &unit, limit, after).await?;
    let ctx = s.mbs.context(&actor.tenant).await?;
    Ok(Json(RequestPage::of(page, &ctx.org)))
}

/// The body of a lifecycle command: the fields the command needs.
#[derive(Debug, Deserialize, ToSchema)]
#[allow(dead_code)]
pub struct CommandBody {
    /// Fail with 409 if the request is no longer at this version.
    pub expected_version: Option<u32>,
    /// reply, message, answer: the text.
    pub text: Option<String>,
    /// pause: what is asked of the muhtar; resume: what was received; fee: what it is
    /// for; fee-paid: a receipt number.
    pub note: Option<String>,
    /// answer: `positive` (olumlu) or `negative` (olumsuz).
    pub outcome: Option<String>,
    /// answer: reason code (gerekçe), required when negative; pause: `muhtar` or `fee`;
    /// reopen, transfer, reroute, withdraw, extend, set-policy: why.
    pub reason: Option<String>,
    /// answer: explanation of the reason (required for `other`).
    pub reason_text: Option<String>,
    /// transfer, reroute: the target unit.
    pub to: Option<String>,
    /// merge: the tracking number of the request this one duplicates.
    pub into: Option<String>,
    /// fee: the amount in TL, e.g. `"12.50"` (a string or a number).
    #[schema(value_type = Option<String>)]
    pub amount: Option<serde_json::Value>,
    /// set-policy: the SLA policy, e.g. `bilgi-edinme-4982` (`reason` says why).
    pub policy: Option<String>,
}

/// Run a lifecycle command: accept, reply (interim reply), pause, resume, answer, close,
/// reopen, transfer, reroute, withdraw, message, merge, extend, fee (Law 4982: notify a
/// fee, which stops the clocks), fee-paid (the clocks run again), set-policy (coordinator).
#[utoipa::path(post, path = "/requests/{tracking}/{action}", tag = "requests",
    params(("tracking" = String, Path, description = "Takip numarası"),
           ("action" = String, Path, description = "The command's short name (muhtar_core::request::CommandName::verb): accept | reply | pause | resume | answer | close | reopen | transfer | reroute | withdraw | message | merge | extend | fee | fee-paid | set-policy")),
    request_body = CommandBody,
    responses((status = 200, description = "The request after the command", body = RequestView),
        (status = 403, description = "The actor may not do this", body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "Not possible in the request's status, or it changed meanwhile", body = ErrorBody),
        (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn command(
    State(s): St,
    Auth(actor): Auth,
    Path((t, action)): Path<(String, String)>,
    JsonBody(mut body): JsonBody<serde_json::Map<String, serde_json::Value>>,
) -> ApiResult<Json<RequestView>> {
    // erase-contact (KVKK) is not offered on this path.
    let tag = CommandName::from_verb(&action)
        .filter(|c| *c != CommandName::EraseContact)
        .ok_or_else(|| ApiError::not_found(format!("command {action}")))?
        .as_str();
    let tr = tracking(&t)?;
    let expected = match body.remove("expected_version") {
        None | Some(serde_json::Value::Null) => None,
        Some(v) => Some(
            v.as_u64()
                .and_then(|v| u32::try_from(v).ok())
                .ok_or_else(|| ApiError::invalid("expected_version", "must be a whole number"))?,
        ),
    };
    body.insert("command".into(), tag.into());
    let cmd = command_of(&body)?;
    let rec = s.mbs.execute(&actor, &tr, expected, cmd).await?;
    let ctx = s.mbs.context(&actor.tenant).await?;
    Ok(Json(RequestView::of(&rec, &ctx.org)))
}

/// A command from its JSON body, with errors that name the field. Core's `Command` is an
/// internally tagged enum, whose errors lose the field's path (a missing field is still
/// named, [`crate::json`]); the fields are therefore read one by one first (types, unit
/// codes, tracking numbers, outcomes, the pause reason, fee amounts).
fn command_of(body: &serde_json::Map<String, serde_json::Value>) -> ApiResult<Command> {
    let bytes = serde_json::to_vec(body).map_err(ApiError::internal)?;
    let fields: CommandBody = from_json(&bytes)?;
    if let Some(to) = &fields.to {
        UnitCode::new(to.as_str()).map_err(|e| ApiError::invalid("to", e.to_string()))?;
    }
    if let Some(into) = &fields.into {
        into.parse::<TrackingNumber>()
            .map_err(|e| ApiError::invalid("into", format!("tracking number {into:?}: {e}")))?;
    }
    if let Some(o) = &fields.outcome {
        named::<muhtar_core::request::Outcome>("outcome", o)?;
    }
    if let (Some(r), Some("pause")) = (&fields.reason, body.get("command").and_then(|c| c.as_str()))
    {
        named::<muhtar_core::request::PauseReason>("reason", r)?;
    }
    if let Some(a) = &fields.amount {
        let text = match a {
            serde_json::Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        text.parse::<muhtar_core::request::FeeAmount>()
            .map_err(|e| ApiError::invalid("amount", e.to_string()))?;
    }
    from_json::<Command>(&bytes).map_err(|mut e| {
        if e.detail.field.is_none() {
            e.detail.field = Some("command".to_owned());
        }
        e
    })
}

/// The tenant's organisation: units, muhtarlıklar, categories (with their extra fields),
/// reason codes. A muhtar gets it without people (no liaison, official or muhtar contact
/// data); the back office gets all of it.
#[utoipa::path(get, path = "/organisation", tag = "configuration",
    responses((status = 200, description = "The organisation document", body = Object),
        (status = 401, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn organisation(State(s): St, Auth(actor): Auth) -> ApiResult<Json<serde_json::Value>> {
    let ctx = s.mbs.context(&actor.tenant).await?;
    // A muhtar gets the view without people (see `crate::organisation`).
    let doc = match actor.role {
        Role::Muhtar(_) => {
            serde_json::to_value(crate::organisation::PublicOrganisation::from(&ctx.org))
        }
        _ => serde_json::to_value(&ctx.org),
    };
    Ok(Json(doc.map_err(ApiError::internal)?))
}

/// The routing rule set in force.
#[derive(Debug, Serialize, ToSchema)]
pub struct RulesView {
    /// The version label recorded on routed events.
    pub version: String,
    /// The document version (0: only the fallback rule).
    pub document_version: u32,
    /// The rule set's TOML text.
    pub text: Option<String>,
    /// Why the stored rule set is not in force: it no longer validates against the
    /// organisation, so every request goes to the fallback unit. Absent when it is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub problem: Option<String>,
}

/// The tenant's routing rule set.
#[utoipa::path(get, path = "/rules", tag = "configuration",
    responses((status = 200, body = RulesView), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn rules(State(s): St, Auth(actor): Auth) -> ApiResult<Json<RulesView>> {
    let ctx = s.mbs.context(&actor.tenant).await?;
    authorize(
        &actor,
        Action::Read,
        &Target::Tenant(&actor.tenant),
        &ctx.org,
    )
    .map_err(muhtar_core::service::ServiceError::from)?;
    let doc = s
        .mbs
        .store()
        .document(&actor.tenant, DocumentKind::RuleSet)
        .await?;
    Ok(Json(RulesView {
        version: ctx.rules.version_label().to_owned(),
        document_version: ctx.rules_version,
        text: doc.map(|d| d.body),
        problem: ctx.rules_problem.as_ref().map(ToString::to_string),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn command_field(tag: &str, body: serde_json::Value) -> Option<String> {
        let mut m = body.as_object().cloned().unwrap_or_default();
        m.insert("command".into(), tag.into());
        command_of(&m).unwrap_err().detail.field
    }

    /// Missing fields are named from serde's report of the field, not its message text:
    /// inside core's internally tagged `Command` as at the top of a submission.
    #[test]
    fn a_missing_field_is_named_in_commands_and_submissions() {
        let f = command_field("interim-reply", serde_json::json!({}));
        assert_eq!(f.as_deref(), Some("text"));
        let f = command_field("answer", serde_json::json!({"outcome": "positive"}));
        assert_eq!(f.as_deref(), Some("text"));
        let f = command_field("transfer", serde_json::json!({"reason": "x"}));
        assert_eq!(f.as_deref(), Some("to"));
        let f = command_field("notify-fee", serde_json::json!({}));
        assert_eq!(f.as_deref(), Some("amount"));
        let e = from_json::<SubmitBody>(br#"{"category": "asfalt-onarim"}"#).unwrap_err();
        assert_eq!(e.detail.field.as_deref(), Some("subject"));
        let e = from_json::<SubmitBody>(
            br#"{"subject": "s", "category": "c", "location": {"lat": 41}}"#,
        )
        .unwrap_err();
        assert_eq!(e.detail.field.as_deref(), Some("location.lon"));
    }

    #[test]
    fn an_unknown_pause_reason_is_named() {
        let f = command_field("pause", serde_json::json!({"reason": "tatil", "note": "n"}));
        assert_eq!(f.as_deref(), Some("reason"));
        // Other commands' reasons are free text.
        let m = serde_json::json!({"command": "reopen", "reason": "tatil"});
        assert!(command_of(m.as_object().unwrap()).is_ok());
    }
}
