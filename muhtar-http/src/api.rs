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

// ---------------------------------------------------------------------------------------
// Views

/// A request as the API shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct RequestView {
    /// Takip numarası (tracking number), e.g. `7KM-3QX-9PA`.
    pub tracking: String,
    /// Internal id (UUID).
    pub id: String,
    /// Version: the number of events so far (for `expected_version`).
    pub version: u32,
    /// Status: received, routed, in-progress, paused, answered, closed, withdrawn, merged.
    pub status: String,
    /// The unit it is with.
    pub unit: Option<String>,
    /// The muhtarlık it comes from.
    pub muhtarlik: String,
    /// District (ilçe).
    pub district: String,
    /// Province (il).
    pub province: String,
    /// Category code.
    pub category: String,
    /// Channel (stable name): mbs-web, email, mobile-app, whatsapp, bip, phone, petition,
    /// in-person, cimer, acik-kapi, beyaz-masa, social-media, ministry-letter, open311, web,
    /// bilgi-edinme, call-centre.
    pub channel: String,
    /// Kind (request, suggestion, complaint, information-request).
    pub kind: String,
    /// Priority (normal, urgent).
    pub priority: String,
    /// Whether it is urgent (İVEDİ, Genelge 2015/8 item 9): listed first everywhere.
    pub urgent: bool,
    /// The date the letter asks the answer by (günlü yazı): `2026-12-15` or an instant.
    pub reply_by: Option<String>,
    /// Subject.
    pub subject: String,
    /// Description.
    pub description: String,
    /// Location.
    pub location: Option<LocationBody>,
    /// Address text.
    pub address: Option<String>,
    /// Attachments (download: `attachments/{sha256}`).
    pub attachments: Vec<AttachmentBody>,
    /// The category's extra fields.
    pub attributes: BTreeMap<String, String>,
    /// Link to a photo held elsewhere.
    pub media_url: Option<String>,
    /// The citizen behind the request (personal data).
    pub citizen: Option<CitizenBody>,
    /// The SLA policy (deadline regime).
    pub policy: String,
    /// Why that policy: the policy rule that chose it, `default` (no rule matched: the
    /// organisation's default) or `set-policy` (set by staff, see `policy_reason`).
    pub policy_rule: String,
    /// The reason staff gave when they set the policy.
    pub policy_reason: Option<String>,
    /// When it reached the body.
    pub received_at: DateTime<Utc>,
    /// When the first response is due.
    pub first_response_due: Option<DateTime<Utc>>,
    /// When the answer is due.
    pub resolution_due: Option<DateTime<Utc>>,
    /// Olumlu / olumsuz (positive / negative), once answered.
    pub outcome: Option<String>,
    /// Gerekçe (reason code) of a request not fulfilled.
    pub reason: Option<String>,
    /// Explanation of the reason.
    pub reason_text: Option<String>,
    /// The answer text.
    pub answer: Option<String>,
    /// When it was answered.
    pub answered_at: Option<DateTime<Utc>>,
    /// When it was closed.
    pub closed_at: Option<DateTime<Utc>>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
    /// The first response: an interim reply (ara cevap, Law 3071) or the answer.
    pub first_response_at: Option<DateTime<Utc>>,
    /// Whether the first response came by its deadline (absent until it came).
    pub first_response_on_time: Option<bool>,
    /// Whether the Law 4982 deadline was extended (to 30 business days).
    pub extended: bool,
    /// The Law 4982 fee notified and not yet paid (the clocks stop meanwhile).
    pub fee: Option<FeeView>,
    /// The status, in Turkish.
    pub status_name: String,
    /// The channel, in Turkish (e.g. `İBB Beyaz Masa`).
    pub channel_name: String,
    /// The kind, in Turkish.
    pub kind_name: String,
    /// The outcome, in Turkish (olumlu / olumsuz), once answered.
    pub outcome_name: Option<String>,
}

/// A pending Law 4982 fee.
#[derive(Debug, Serialize, ToSchema)]
pub struct FeeView {
    /// The amount in TL, e.g. `12.50`.
    pub amount: Option<String>,
    /// When it was notified; unpaid for 15 business days, the request is deemed withdrawn.
    pub notified_at: DateTime<Utc>,
}

fn name_of<T: Serialize>(v: &T) -> String {
    match serde_json::to_value(v) {
        Ok(serde_json::Value::String(s)) => s,
        Ok(other) => other.to_string(),
        Err(_) => String::new(),
    }
}

impl From<&RequestRecord> for RequestView {
    fn from(r: &RequestRecord) -> Self {
        let s = &r.state;
        let c = &s.content;
        RequestView {
            tracking: s.tracking.to_string(),
            id: s.id.to_string(),
            version: s.version,
            status: s.status.as_str().to_owned(),
            unit: s.unit.as_ref().map(|u| u.to_string()),
            muhtarlik: c.muhtarlik.to_string(),
            district: c.district.clone(),
            province: c.province.clone(),
            category: c.category.clone(),
            channel: name_of(&c.channel),
            kind: name_of(&c.kind),
            priority: name_of(&c.priority),
            urgent: c.priority.is_urgent(),
            reply_by: c.reply_by.map(|r| r.to_string()),
            subject: c.subject.clone(),
            description: c.description.clone(),
            location: c.location.as_ref().map(|l| LocationBody {
                lat: l.lat,
                lon: l.lon,
            }),
            address: c.address.clone(),
            attachments: c
                .attachments
                .iter()
                .map(|a| AttachmentBody {
                    media_type: a.media_type.clone(),
                    size: a.size,
                    sha256: a.sha256.clone(),
                    file_name: a.file_name.clone(),
                })
                .collect(),
            attributes: c.attributes.clone(),
            media_url: c.media_url.clone(),
            citizen: c.citizen.as_ref().map(|p| CitizenBody {
                name: p.name.clone(),
                phone: p.phone.clone(),
                email: p.email.clone(),
            }),
            policy: s.policy.clone(),
            policy_rule: s.policy_rule.clone(),
            policy_reason: s.policy_reason.clone(),
            received_at: c.received_at,
            first_response_due: r.deadlines.first_response_due,
            resolution_due: r.deadlines.resolution_due,
            outcome: s.outcome.as_ref().map(name_of),
            reason: s.reason.as_ref().map(|r| r.0.clone()),
            reason_text: s.reason_text.clone(),
            answer: s.answer.clone(),
            answered_at: s.answered_at,
            closed_at: s.closed_at,
            updated_at: s.updated_at,
            first_response_at: s.first_response_at,
            first_response_on_time: s
                .first_response_at
                .map(|at| r.deadlines.first_response_due.is_none_or(|due| at <= due)),
            extended: s.extended,
            fee: s.fee.as_ref().map(|f| FeeView {
                amount: f.amount.map(|a| a.plain()),
                notified_at: f.notified_at,
            }),
            status_name: s.status.display_name().to_owned(),
            channel_name: c.channel.display_name().to_owned(),
            kind_name: c.kind.display_name().to_owned(),
            outcome_name: s.outcome.map(|o| o.display_name().to_owned()),
        }
    }
}

/// A page of requests.
#[derive(Debug, Serialize, ToSchema)]
pub struct RequestPage {
    /// The requests.
    pub items: Vec<RequestView>,
    /// Pass as `after` for the next page; absent on the last page.
    pub next: Option<String>,
}

impl From<Page<RequestRecord>> for RequestPage {
    fn from(p: Page<RequestRecord>) -> Self {
        RequestPage {
            items: p.items.iter().map(RequestView::from).collect(),
            next: p.next.map(|c| c.0),
        }
    }
}

/// WGS 84 coordinates (inside Turkey).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LocationBody {
    /// Latitude.
    pub lat: f64,
    /// Longitude.
    pub lon: f64,
}

/// An attached file.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AttachmentBody {
    /// Media type found by the server from the content (image/jpeg, image/png,
    /// image/webp, application/pdf).
    pub media_type: String,
    /// Size in bytes.
    pub size: u64,
    /// SHA-256 of the content, lowercase hex.
    pub sha256: String,
    /// The client's file name (display only; never used for storage).
    #[serde(default)]
    pub file_name: Option<String>,
}

/// A citizen's contact details (personal data).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CitizenBody {
    /// Name.
    pub name: String,
    /// Phone.
    #[serde(default)]
    pub phone: Option<String>,
    /// E-mail.
    #[serde(default)]
    pub email: Option<String>,
}

/// A new request. As JSON (`application/json`), or as `multipart/form-data` with this
/// JSON in a part named `request` and photos (JPEG, PNG, WebP) or PDFs in parts named
/// `photo`, each at most 10 MiB, type checked by content.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SubmitBody {
    /// Muhtarlık code; default: the acting muhtar's.
    #[serde(default)]
    pub muhtarlik: Option<String>,
    /// Category code (see `/organisation`).
    pub category: String,
    /// Subject.
    pub subject: String,
    /// Description.
    #[serde(default)]
    pub description: String,
    /// Channel (see `RequestView.channel`; `metropolitan-system` is read as `beyaz-masa`);
    /// default `mbs-web` for a muhtar, `phone` for back-office entry.
    #[serde(default)]
    pub channel: Option<String>,
    /// Kind: request (default), suggestion, complaint, information-request.
    #[serde(default)]
    pub kind: Option<String>,
    /// Priority: normal or urgent.
    #[serde(default)]
    pub priority: Option<String>,
    /// The date the letter asks the answer by (günlü yazı): a date (`2026-12-15`, the end
    /// of office hours) or an RFC 3339 instant. It is the resolution deadline unless the
    /// policy's is earlier.
    #[serde(default)]
    pub reply_by: Option<String>,
    /// Location.
    #[serde(default)]
    pub location: Option<LocationBody>,
    /// Address text.
    #[serde(default)]
    pub address: Option<String>,
    /// The files of this request's multipart body are attached automatically; a hash
    /// listed here must be one of them (an attachment belongs to the submission that
    /// uploaded it).
    #[serde(default)]
    pub attachments: Vec<AttachmentBody>,
    /// The category's extra fields.
    #[serde(default)]
    pub attributes: BTreeMap<String, String>,
    /// A link to a photo held elsewhere.
    #[serde(default)]
    pub media_url: Option<String>,
    /// The citizen behind the request.
    #[serde(default)]
    pub citizen: Option<CitizenBody>,
    /// Official registration (evrak) number of a paper document.
    #[serde(default)]
    pub registration_number: Option<String>,
    /// When it reached the body: back-office staff only (coordinator, unit staff), at
    /// most the tenant's window back (default 30 days), never in the future; default now.
    #[serde(
        default,
        deserialize_with = "muhtar_core::request::deserialize_received_at"
    )]
    pub received_at: Option<DateTime<Utc>>,
    /// The coordinator's reason for a `received_at` inside a quarter whose report is
    /// signed; the signed report is then marked as needing a correction.
    #[serde(default)]
    pub force_reason: Option<String>,
}

impl SubmitBody {
    /// The core request, for `actor`: what it leaves out comes from the actor's role
    /// ([`Actor::submission_defaults`]).
    pub fn into_new(self, actor: &Actor) -> ApiResult<NewRequest> {
        let defaults = actor.submission_defaults();
        let muhtarlik = self
            .muhtarlik
            .map(|m| {
                MuhtarlikCode::new(m.clone())
                    .map_err(|e| ApiError::invalid("muhtarlik", format!("{m:?}: {e}")))
            })
            .transpose()?;
        let muhtarlik = defaults
            .muhtarlik(muhtarlik)
            .map_err(|e| ApiError::invalid("muhtarlik", e.to_string()))?;
        let channel = defaults.channel(
            self.channel
                .as_deref()
                .map(|c| {
                    c.parse::<Channel>()
                        .map_err(|e| ApiError::invalid("channel", e.to_string()))
                })
                .transpose()?,
        );
        Ok(
            NewRequest::builder(muhtarlik, channel, self.category, self.subject)
                .kind(match &self.kind {
                    Some(k) => named("kind", k)?,
                    None => muhtar_core::request::RequestKind::Request,
                })
                .description(self.description)
                .priority(
                    self.priority
                        .as_deref()
                        .map(|p| named("priority", p))
                        .transpose()?,
                )
                .location(self.location.map(|l| muhtar_core::request::Location {
                    lat: l.lat,
                    lon: l.lon,
                }))
                .address(self.address)
                .attachments(self.attachments.into_iter().map(|a| Attachment {
                    media_type: a.media_type,
                    size: a.size,
                    sha256: a.sha256,
                    file_name: a.file_name,
                }))
                .citizen(self.citizen.map(|c| muhtar_core::request::CitizenContact {
                    name: c.name,
                    phone: c.phone,
                    email: c.email,
                }))
                .registration_number(self.registration_number)
                .received_at(self.received_at)
                .attributes(self.attributes)
                .media_url(self.media_url)
                .reply_by(
                    self.reply_by
                        .as_deref()
                        .map(str::parse::<muhtar_core::request::ReplyBy>)
                        .transpose()
                        .map_err(|e| ApiError::invalid("reply_by", e.to_string()))?,
                )
                .build(),
        )
    }
}

// ---------------------------------------------------------------------------------------
// Uploads: see [`crate::uploads`].

fn multipart_error(e: axum::extract::multipart::MultipartError) -> ApiError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::too_large(format!("the body is larger than {MAX_UPLOAD_BODY} bytes"))
    } else {
        ApiError::malformed(format!("multipart body: {}", e.body_text()))
    }
}

// ---------------------------------------------------------------------------------------
// Handlers

/// Submit a request (JSON, or multipart with photos).
#[utoipa::path(post, path = "/requests", tag = "requests",
    request_body(content((SubmitBody = "application/json"), (SubmitBody = "multipart/form-data"))),
    responses(
        (status = 201, description = "Submitted: validated, routed, deadlines set", body = RequestView,
            headers(("Location" = String, description = "The request's URL (`GET` it), under the prefix the API is mounted at"))),
        (status = 400, description = "Malformed body", body = ErrorBody),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "The actor may not submit for this muhtarlık", body = ErrorBody),
        (status = 413, description = "Body or file too large", body = ErrorBody),
        (status = 415, description = "File type not accepted", body = ErrorBody),
        (status = 507, description = "No disk space left for uploads", body = ErrorBody),
        (status = 422, description = "A field is invalid (named in `field`)", body = ErrorBody),
    ),
    security(("bearer" = [])))]
pub async fn submit(
    State(s): St,
    Auth(actor): Auth,
    mount: Mount,
    req: Request,
) -> ApiResult<Response> {
    let is_multipart = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("multipart/form-data"));
    let mut files: Vec<uploads::Received> = Vec::new();
    let body: SubmitBody = if is_multipart {
        let mut mp = Multipart::from_request(req, &())
            .await
            .map_err(|e| ApiError::malformed(e.body_text()))?;
        let mut body: Option<SubmitBody> = None;
        while let Some(mut field) = mp.next_field().await.map_err(multipart_error)? {
            match field.name() {
                Some("request") => {
                    let bytes = field.bytes().await.map_err(multipart_error)?;
                    body = Some(from_json(&bytes)?);
                }
                Some("photo") | Some("file") => {
                    if files.len() >= MAX_ATTACHMENTS {
                        return Err(ApiError::invalid(
                            "photo",
                            format!("at most {MAX_ATTACHMENTS} files"),
                        ));
                    }
                    files.push(
                        uploads::receive(s.uploads.as_ref(), &mut field, multipart_error).await?,
                    );
                }
                other => {
                    return Err(ApiError::invalid(
                        other.unwrap_or(""),
                        "unknown part: expected `request` and `photo`",
                    ))
                }
            }
        }
        body.ok_or_else(|| ApiError::invalid("request", "the `request` part is missing"))?
    } else {
        JsonBody::<SubmitBody>::from_request(req, &()).await?.0
    };
    let rec = submit_received::<ApiError>(&s, &actor, body, files).await?;
    let location = mount.url(&format!("/api/v1/requests/{}", rec.state.tracking));
    Ok(created(location, RequestView::from(&rec)))
}

/// Submits `body` as `actor` with the files received with it (checked and spooled by
/// [`uploads::receive`]): the files become the request's attachments (a hash the body
/// lists must be one of them, [`uploads::bind`]), are stored, and the request is
/// submitted through `Mbs` ([`Mbs::submit`](muhtar_core::service::Mbs::submit), or
/// `submit_forced` with the body's `force_reason`) while the files' locks are held
/// ([`uploads::commit_with`]): a failed submission leaves no file it stored. Shared by
/// `POST /api/v1/requests` and the new request page (`/talep/yeni`), which keeps core's
/// own error (`E`) to say it in Turkish at the field.
pub(crate) async fn submit_received<E>(
    s: &AppState,
    actor: &Actor,
    mut body: SubmitBody,
    files: Vec<uploads::Received>,
) -> Result<RequestRecord, E>
where
    E: From<ApiError> + From<ServiceError> + From<uploads::UploadError>,
{
    // An attachment belongs to the submission that uploaded it: a hash listed in the
    // JSON must be one of this body's files.
    let listed: Vec<String> = body.attachments.iter().map(|a| a.sha256.clone()).collect();
    let attachments = uploads::bind(&listed, &files)?;
    let force = body.force_reason.take();
    let mut new = body.into_new(actor)?;
    new.attachments = attachments;
    uploads::commit_with(s.uploads.as_ref(), files, async {
        Ok(match force {
            Some(reason) => s.mbs.submit_forced(actor, new, &reason).await?,
            None => s.mbs.submit(actor, new).await?,
        })
    })
    .await
}

/// 201 with a `Location` header and the body.
fn created(location: String, body: impl Serialize) -> Response {
    (
        StatusCode::CREATED,
        [(header::LOCATION, location)],
        Json(body),
    )
        .into_response()
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
    Ok(Json(RequestView::from(&rec)))
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
    if let Some(st) = &p.status {
        q.statuses =
            Some(Status::parse_filter(st).map_err(|e| ApiError::invalid("status", e.to_string()))?);
    }
    if let Some(u) = &p.unit {
        let code = ctx
            .org
            .known_unit("unit", u)
            .map_err(|e| ApiError::invalid("unit", e.to_string()))?
            .code
            .clone();
        q.units = Some(ctx.org.subtree(&code));
    }
    if let Some(m) = &p.muhtarlik {
        q.muhtarlik = Some(
            MuhtarlikCode::new(m.clone())
                .map_err(|e| ApiError::invalid("muhtarlik", e.to_string()))?,
        );
    }
    q.category = p.category.clone();
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
    Ok(Json(page.into()))
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
    Ok(Json(s.mbs.queue(&actor, &unit, limit, after).await?.into()))
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
    Ok(Json(RequestView::from(&rec)))
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

// ---------------------------------------------------------------------------------------
// Quarterly reports (Genelge 2015/8 item 7)

/// How a report is written.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ReportParams {
    /// Narrow to this unit and the units below it.
    pub unit: Option<String>,
    /// `json` (default), `csv` or `html`.
    pub format: Option<String>,
    /// CSV separator: `comma` (default) or `semicolon` (decimal comma, Turkish spreadsheets).
    pub csv_separator: Option<String>,
}

fn quarter(q: &str) -> ApiResult<muhtar_core::report::Quarter> {
    q.parse::<muhtar_core::report::Quarter>()
        .map_err(|e| ApiError::invalid("quarter", e.to_string()))
}

fn report_unit(u: Option<&str>) -> ApiResult<Option<UnitCode>> {
    u.map(|u| UnitCode::new(u).map_err(|e| ApiError::invalid("unit", e.to_string())))
        .transpose()
}

fn rendered(
    p: &ReportParams,
    render: impl FnOnce(
        muhtar_core::report::render::Format,
        muhtar_core::report::render::CsvOptions,
    ) -> String,
) -> ApiResult<Response> {
    use muhtar_core::report::render::{CsvOptions, Format, Separator};
    let format: Format = p
        .format
        .as_deref()
        .unwrap_or("json")
        .parse()
        .map_err(|e: String| ApiError::invalid("format", e))?;
    let separator: Separator = p
        .csv_separator
        .as_deref()
        .unwrap_or("comma")
        .parse()
        .map_err(|e: String| ApiError::invalid("csv_separator", e))?;
    let content_type = match format {
        Format::Json => "application/json",
        Format::Csv => "text/csv; charset=utf-8",
        Format::Html => "text/html; charset=utf-8",
        _ => "application/octet-stream",
    };
    let body = render(format, CsvOptions { separator });
    Ok(([(header::CONTENT_TYPE, content_type)], body).into_response())
}

/// The quarterly report (draft): received, positive, negative with reasons, open,
/// on time and late, by unit, category, channel and neighbourhood.
#[utoipa::path(get, path = "/reports/{quarter}", tag = "reports",
    params(("quarter" = String, Path, description = "e.g. 2026Q1"), ReportParams),
    responses((status = 200, description = "The report as JSON, CSV or HTML", body = Object),
        (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn report(
    State(s): St,
    Auth(actor): Auth,
    Path(q): Path<String>,
    Params(p): Params<ReportParams>,
) -> ApiResult<Response> {
    let unit = report_unit(p.unit.as_deref())?;
    let r = s.mbs.report(&actor, quarter(&q)?, unit.as_ref()).await?;
    rendered(&p, |f, c| muhtar_core::report::render::render(&r, f, c))
}

/// What a period report covers and how it is written.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PeriodParams {
    /// Required: a year (`2026`), a quarter (`2026Q2`) or a range of Istanbul dates, both
    /// included (`2026-01-01..2026-06-30`), at most ten years.
    pub period: Option<String>,
    /// Narrow to this unit and the units below it.
    pub unit: Option<String>,
    /// `json` (default), `csv` or `html`.
    pub format: Option<String>,
    /// CSV separator: `comma` (default) or `semicolon` (decimal comma, Turkish spreadsheets).
    pub csv_separator: Option<String>,
}

/// The report of any period (a year, a quarter or a range of dates) with the quarterly
/// report's definitions, counts per channel, and working-day and calendar-day completion
/// times. Only quarters are signed (`POST /reports/{quarter}/sign`); a report of another
/// period says it is not signable (JSON: `quarter` is null).
#[utoipa::path(get, path = "/reports", tag = "reports",
    params(PeriodParams),
    responses((status = 200, description = "The report as JSON, CSV or HTML", body = Object),
        (status = 403, body = ErrorBody),
        (status = 422, description = "`period` missing or malformed (expected 2026, 2026Q2 or 2026-01-01..2026-06-30), or another field invalid", body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn period_report(
    State(s): St,
    Auth(actor): Auth,
    Params(p): Params<PeriodParams>,
) -> ApiResult<Response> {
    let period = p
        .period
        .as_deref()
        .ok_or_else(|| {
            ApiError::invalid(
                "period",
                "period is required: a year (2026), a quarter (2026Q2) or a range of dates \
                 (2026-01-01..2026-06-30)",
            )
        })?
        .parse::<muhtar_core::report::ReportPeriod>()
        .map_err(|e| ApiError::invalid("period", e.to_string()))?;
    let unit = report_unit(p.unit.as_deref())?;
    let r = s.mbs.report_period(&actor, period, unit.as_ref()).await?;
    let out = ReportParams {
        unit: None,
        format: p.format,
        csv_separator: p.csv_separator,
    };
    rendered(&out, |f, c| muhtar_core::report::render::render(&r, f, c))
}

/// A sign-off.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignBody {
    /// Narrow to this unit and the units below it (default: the whole tenant).
    #[serde(default)]
    pub unit: Option<String>,
    /// The sign-off note (for a correction: what was corrected).
    pub note: String,
}

/// A signed report without its content.
#[derive(Debug, Serialize, ToSchema)]
pub struct SignedView {
    /// Id.
    pub id: String,
    /// Quarter.
    pub quarter: String,
    /// Unit, if narrowed.
    pub unit: Option<String>,
    /// Version (a correction is the next one).
    pub version: u32,
    /// The version it corrects.
    pub supersedes: Option<String>,
    /// Who signed.
    pub signed_by: String,
    /// When.
    pub signed_at: DateTime<Utc>,
    /// The note.
    pub note: String,
    /// SHA-256 of the frozen content.
    pub content_hash: String,
    /// Requests were entered afterwards with a receipt forced into this quarter: a
    /// correction (the next version) should be signed.
    pub needs_correction: bool,
}

impl From<&muhtar_core::report::SignedReport> for SignedView {
    fn from(s: &muhtar_core::report::SignedReport) -> Self {
        SignedView {
            id: s.id.to_string(),
            quarter: s.quarter.to_string(),
            unit: s.unit.as_ref().map(|u| u.to_string()),
            version: s.version,
            supersedes: s.supersedes.map(|u| u.to_string()),
            signed_by: s.signed_by.clone(),
            signed_at: s.signed_at,
            note: s.note.clone(),
            content_hash: s.content_hash.clone(),
            needs_correction: false,
        }
    }
}

/// Sign off an ended quarter's report (the responsible official). Signing again makes a
/// correction: the next version; a signed version never changes.
#[utoipa::path(post, path = "/reports/{quarter}/sign", tag = "reports",
    params(("quarter" = String, Path, description = "e.g. 2026Q1")),
    request_body = SignBody,
    responses((status = 201, body = SignedView,
            headers(("Location" = String, description = "The signed report's URL, under the prefix the API is mounted at"))),
        (status = 403, body = ErrorBody),
        (status = 409, description = "The quarter has not ended", body = ErrorBody),
        (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn sign_report(
    State(s): St,
    Auth(actor): Auth,
    mount: Mount,
    Path(q): Path<String>,
    JsonBody(b): JsonBody<SignBody>,
) -> ApiResult<Response> {
    let unit = report_unit(b.unit.as_deref())?;
    let signed = s
        .mbs
        .sign_report(&actor, quarter(&q)?, unit.as_ref(), &b.note)
        .await?;
    let view = SignedView::from(&signed);
    let location = mount.url(&format!("/api/v1/reports/signed/{}", view.id));
    Ok(created(location, view))
}

/// The signed reports the actor may see.
#[utoipa::path(get, path = "/reports/signed", tag = "reports",
    responses((status = 200, body = Vec<SignedView>), (status = 403, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn signed_reports(State(s): St, Auth(actor): Auth) -> ApiResult<Json<Vec<SignedView>>> {
    let all = s.mbs.signed_reports_marked(&actor).await?;
    Ok(Json(
        all.iter()
            .map(|(r, marks)| SignedView {
                needs_correction: !marks.is_empty(),
                ..SignedView::from(r)
            })
            .collect(),
    ))
}

/// One signed report, as signed, in JSON, CSV or HTML.
#[utoipa::path(get, path = "/reports/signed/{id}", tag = "reports",
    params(("id" = String, Path, description = "The signed report's id"), ReportParams),
    responses((status = 200, description = "The frozen report", body = Object),
        (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn signed_report(
    State(s): St,
    Auth(actor): Auth,
    Path(id): Path<String>,
    Params(p): Params<ReportParams>,
) -> ApiResult<Response> {
    let all = s.mbs.signed_reports_marked(&actor).await?;
    let (one, marks) = all
        .iter()
        .find(|(r, _)| r.id.to_string() == id)
        .ok_or_else(|| ApiError::not_found(format!("signed report {id}")))?;
    rendered(&p, |f, c| {
        muhtar_core::report::render::render_signed_marked(one, f, c, marks)
    })
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
