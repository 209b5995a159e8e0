//! Official documents (resmî evrak) under `/api/v1/documents`: registering a request as
//! an incoming document, issuing its answer as a letter, finding documents by our number,
//! a paper petition's own number or a request, a letter's A4 HTML, and the public
//! verification (belge doğrulama, no token).
//!
//! Reads go through `Mbs`, which authorizes every document by its request: a listing
//! holds only documents of requests the actor may read, and never the content (the
//! request's own words), only its number, date, issuer, subject (the category) and hash.
//! Verification codes are guessable only by brute force, so an unknown or malformed code
//! is a [`FailedAttempt`], limited per client address like `/status`'s unknown numbers.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use muhtar_core::access::Actor;
use muhtar_core::document::{
    render_letter_html, Content, Document, DocumentId, PublicDocument, VerificationCode,
};
use muhtar_core::service::{DocumentSearch, ServiceError};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{tracking, JsonBody, Params, St};
use crate::auth::{Auth, FailedAttempt};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::mount::Mount;
use crate::AppState;

/// The routes under `/api/v1/documents`.
pub(crate) fn document_routes() -> axum::Router<std::sync::Arc<AppState>> {
    use axum::routing::{get, post};
    axum::Router::new()
        .route("/documents", get(find_documents))
        .route("/documents/register", post(register_document))
        .route("/documents/letter", post(issue_letter))
        .route(
            "/documents/verify/{code}",
            get(verify_document).post(verify_copy),
        )
        .route("/documents/{id}", get(get_document))
        .route("/documents/{id}/letter.html", get(letter_html))
}

/// An official document as staff see it: never its content.
#[derive(Debug, Serialize, ToSchema)]
pub struct DocumentView {
    /// Id (UUID).
    pub id: String,
    /// `incoming` (gelen evrak: a registered request) or `outgoing` (giden evrak: a letter).
    pub direction: String,
    /// The direction in Turkish (`gelen evrak`, `giden evrak`).
    pub direction_name: String,
    /// Sayı: `E-<DETSİS>-<SDP>-<sequence>`.
    pub number: String,
    /// When it was registered or issued (RFC 3339, UTC).
    pub date: String,
    /// The same instant in Europe/Istanbul (RFC 3339 with `+03:00`).
    pub date_local: String,
    /// The body and unit that registered or issued it.
    pub issuer: String,
    /// Konu (the category's name, never the request's own words).
    pub subject: String,
    /// The request's tracking number.
    pub tracking: String,
    /// A paper petition's own number, kept beside ours.
    pub external_number: Option<String>,
    /// İlgi: the incoming document a letter answers.
    pub related: Option<String>,
    /// The verification code, in groups (`7KQ2-M9XA-4T0B`).
    pub code: String,
    /// SHA-256 of the content, lower-case hex.
    pub sha256: String,
    /// The id of the key that signed it; null when unsigned.
    pub signed_by: Option<String>,
    /// The public verification page, under the router's prefix (`/dogrula/{code}`).
    pub verify_url: String,
}

impl DocumentView {
    /// The view of `d`, its verification link under `mount`.
    pub fn of(d: &Document, mount: &Mount) -> Self {
        DocumentView {
            id: d.id.to_string(),
            direction: d.direction.as_str().to_owned(),
            direction_name: d.direction.display_name().to_owned(),
            number: d.number.to_string(),
            date: d.date.to_rfc3339(),
            date_local: muhtar_core::calendar::to_istanbul(d.date).to_rfc3339(),
            issuer: d.issuer.clone(),
            subject: d.subject.clone(),
            tracking: d.tracking.to_string(),
            external_number: d.external_number.clone(),
            related: d.related.as_ref().map(ToString::to_string),
            code: d.code.to_string(),
            sha256: d.sha256.clone(),
            signed_by: d.signature.as_ref().map(|s| s.key_id.clone()),
            verify_url: mount.url(&format!("/dogrula/{}", d.code.as_str())),
        }
    }
}

/// Documents found.
#[derive(Debug, Serialize, ToSchema)]
pub struct DocumentList {
    /// The documents: a request's oldest first, a number's newest first.
    pub documents: Vec<DocumentView>,
}

/// The request a document command is about.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DocumentBody {
    /// The request's tracking number (takip numarası).
    pub tracking: String,
}

/// What the public sees of a document given its verification code: never personal data.
#[derive(Debug, Serialize, ToSchema)]
pub struct VerificationView {
    /// Sayı.
    pub number: String,
    /// `incoming` or `outgoing`.
    pub direction: String,
    /// Its date (RFC 3339, Europe/Istanbul).
    pub date: String,
    /// The body and unit that registered or issued it.
    pub issuer: String,
    /// Konu.
    pub subject: String,
    /// SHA-256 of its content as recorded.
    pub sha256: String,
    /// Content intact and signature valid (or the tenant does not sign).
    pub valid: bool,
    /// Whether the stored content still has the recorded SHA-256.
    pub content_intact: bool,
    /// The signature's check: `status` (`unsigned`, `valid`, `invalid`, `unknown-key`,
    /// `retired`) and `key_id` when signed.
    #[schema(value_type = Object)]
    pub signature: serde_json::Value,
    /// The signature's check in Turkish.
    pub signature_text: String,
}

impl From<PublicDocument> for VerificationView {
    fn from(p: PublicDocument) -> Self {
        VerificationView {
            number: p.number.to_string(),
            direction: p.direction.as_str().to_owned(),
            date: muhtar_core::calendar::to_istanbul(p.date).to_rfc3339(),
            issuer: p.issuer,
            subject: p.subject,
            sha256: p.sha256,
            valid: p.verification.is_valid(),
            content_intact: p.verification.content_intact,
            signature: serde_json::to_value(&p.verification.signature)
                .unwrap_or(serde_json::Value::Null),
            signature_text: p.verification.signature.describe(),
        }
    }
}

/// Whether a copy is the document's content.
#[derive(Debug, Serialize, ToSchema)]
pub struct CopyMatch {
    /// The copy's SHA-256 is the document's.
    pub matches: bool,
}

/// The lookups of `GET /documents`: exactly one of them.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DocumentQuery {
    /// Our number (`E-13316537-349-4467`) or a paper petition's own number.
    pub number: Option<String>,
    /// A request's tracking number: its documents.
    pub tracking: Option<String>,
}

fn created(d: &Document, mount: &Mount) -> Response {
    let location = mount.url(&format!("/api/v1/documents/{}", d.id));
    (
        StatusCode::CREATED,
        [(header::LOCATION, location)],
        Json(DocumentView::of(d, mount)),
    )
        .into_response()
}

/// Register a request as an incoming official document (gelen evrak): its number from
/// its unit's registry. Unit staff of its unit and the coordinator may.
#[utoipa::path(post, path = "/documents/register", tag = "documents",
    request_body = DocumentBody,
    responses(
        (status = 201, description = "The registered document; Location: its URL", body = DocumentView),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "`already_registered`, `not_routed`", body = ErrorBody),
        (status = 422, description = "`no_registry` (no DETSİS number on the unit or above), `no_signing_key`, a bad field", body = ErrorBody),
    ),
    security(("bearer" = [])))]
pub async fn register_document(
    State(s): St,
    Auth(actor): Auth,
    mount: Mount,
    JsonBody(b): JsonBody<DocumentBody>,
) -> ApiResult<Response> {
    let d = s
        .mbs
        .register_document(&actor, &tracking(&b.tracking)?)
        .await?;
    Ok(created(&d, &mount))
}

/// Issue a request's answer as an official letter to its muhtarlık (giden evrak).
#[utoipa::path(post, path = "/documents/letter", tag = "documents",
    request_body = DocumentBody,
    responses(
        (status = 201, description = "The letter; Location: its URL", body = DocumentView),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "`not_answered`, `letter_issued`, `not_routed`", body = ErrorBody),
        (status = 422, description = "`no_registry`, `no_signing_key`, a bad field", body = ErrorBody),
    ),
    security(("bearer" = [])))]
pub async fn issue_letter(
    State(s): St,
    Auth(actor): Auth,
    mount: Mount,
    JsonBody(b): JsonBody<DocumentBody>,
) -> ApiResult<Response> {
    let d = s.mbs.issue_letter(&actor, &tracking(&b.tracking)?).await?;
    Ok(created(&d, &mount))
}

/// Find documents by number (ours or a paper petition's own) or a request's documents,
/// among the requests the actor may read.
#[utoipa::path(get, path = "/documents", tag = "documents", params(DocumentQuery),
    responses(
        (status = 200, body = DocumentList),
        (status = 401, body = ErrorBody),
        (status = 404, description = "No such request (with `tracking`)", body = ErrorBody),
        (status = 422, description = "Neither or both of `number` and `tracking`", body = ErrorBody),
    ),
    security(("bearer" = [])))]
pub async fn find_documents(
    State(s): St,
    Auth(actor): Auth,
    mount: Mount,
    Params(q): Params<DocumentQuery>,
) -> ApiResult<Json<DocumentList>> {
    let found = match (q.number.as_deref(), q.tracking.as_deref()) {
        (Some(n), None) if !n.trim().is_empty() => {
            s.mbs
                .find_documents(&actor, &DocumentSearch::parse(n))
                .await?
        }
        (None, Some(t)) => s.mbs.documents_of(&actor, &tracking(t)?).await?,
        (Some(_), Some(_)) => {
            return Err(ApiError::invalid(
                "tracking",
                "give either number or tracking, not both",
            ))
        }
        _ => {
            return Err(ApiError::invalid(
                "number",
                "give number (E-13316537-349-4467 or a petition's own number) or tracking",
            ))
        }
    };
    Ok(Json(DocumentList {
        documents: found.iter().map(|d| DocumentView::of(d, &mount)).collect(),
    }))
}

fn document_id(id: &str) -> ApiResult<DocumentId> {
    id.parse::<DocumentId>().map_err(|_| {
        ApiError::malformed(format!("{id:?} is not a document id (a UUID)")).field("id")
    })
}

async fn readable(s: &AppState, actor: &Actor, id: &str) -> ApiResult<Document> {
    Ok(s.mbs.document_by_id(actor, document_id(id)?).await?)
}

/// A document by id.
#[utoipa::path(get, path = "/documents/{id}", tag = "documents",
    params(("id" = String, Path, description = "The document's id (UUID)")),
    responses((status = 200, body = DocumentView), (status = 400, body = ErrorBody),
        (status = 404, description = "No such document, or its request is not visible to the actor", body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn get_document(
    State(s): St,
    Auth(actor): Auth,
    mount: Mount,
    Path(id): Path<String>,
) -> ApiResult<Json<DocumentView>> {
    Ok(Json(DocumentView::of(
        &readable(&s, &actor, &id).await?,
        &mount,
    )))
}

/// A letter as A4 HTML in the official layout, printable from a browser (its one
/// `<style>` allowed by hash, nothing else: `crate::csp`).
pub async fn letter_page(s: &AppState, d: &Document) -> Result<String, ServiceError> {
    let ctx = s.mbs.context(&d.tenant).await?;
    match d.parsed_content() {
        Ok(Content::Letter(l)) => Ok(render_letter_html(
            &l,
            ctx.settings.documents.verify_url.as_deref(),
        )),
        _ => Err(ServiceError::NotFound("letter".into())),
    }
}

/// An outgoing document's letter as A4 HTML.
#[utoipa::path(get, path = "/documents/{id}/letter.html", tag = "documents",
    params(("id" = String, Path, description = "The document's id (UUID)")),
    responses((status = 200, description = "The letter (A4 HTML)", content_type = "text/html"),
        (status = 404, description = "No such document, not visible, or not a letter", body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn letter_html(
    State(s): St,
    Auth(actor): Auth,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let d = readable(&s, &actor, &id).await?;
    let html = letter_page(&s, &d).await?;
    let mut res = crate::csp::document_response(html);
    for (name, value) in [
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::X_FRAME_OPTIONS, "DENY"),
    ] {
        res.headers_mut()
            .insert(name, header::HeaderValue::from_static(value));
    }
    Ok(res)
}

/// A verification code from a path, or 400 naming the field.
pub fn code_of(text: &str) -> ApiResult<VerificationCode> {
    VerificationCode::parse(text).map_err(|e| ApiError::malformed(e.to_string()).field("code"))
}

/// A refusal of the public endpoints, counted as a failed attempt (a malformed or an
/// unknown code alike: both may be guesses).
fn counted(e: ApiError) -> Response {
    FailedAttempt::mark(e.into_response())
}

/// Belge doğrulama (no token): a document's number, date, issuer, subject and SHA-256,
/// and whether its content and signature hold; never personal data.
#[utoipa::path(get, path = "/documents/verify/{code}", tag = "public",
    params(("code" = String, Path, description = "Doğrulama kodu, e.g. 7KQ2-M9XA-4T0B (case, dashes and spaces do not matter)")),
    responses(
        (status = 200, body = VerificationView),
        (status = 400, description = "Not a verification code (field `code`)", body = ErrorBody),
        (status = 404, description = "No document has this code", body = ErrorBody),
        (status = 429, description = "Too many unknown codes from this address", body = ErrorBody),
    ))]
pub async fn verify_document(
    State(s): St,
    Path(code): Path<String>,
) -> Result<Json<VerificationView>, Response> {
    let code = code_of(&code).map_err(counted)?;
    match s.mbs.verify_document(&code).await {
        Ok(p) => Ok(Json(p.into())),
        Err(ServiceError::NotFound(_)) => Err(counted(ApiError::not_found("document"))),
        Err(e) => Err(ApiError::from(e).into_response()),
    }
}

/// Whether a copy (the raw bytes of the document's content, as received) is the
/// document with this code, byte for byte (no token).
#[utoipa::path(post, path = "/documents/verify/{code}", tag = "public",
    params(("code" = String, Path, description = "Doğrulama kodu")),
    request_body(content = Vec<u8>, content_type = "application/octet-stream", description = "The copy's bytes"),
    responses(
        (status = 200, body = CopyMatch),
        (status = 400, body = ErrorBody),
        (status = 404, body = ErrorBody),
    ))]
pub async fn verify_copy(
    State(s): St,
    Path(code): Path<String>,
    body: Bytes,
) -> Result<Json<CopyMatch>, Response> {
    let code = code_of(&code).map_err(counted)?;
    match s.mbs.verify_copy(&code, &body).await {
        Ok(matches) => Ok(Json(CopyMatch { matches })),
        Err(ServiceError::NotFound(_)) => Err(counted(ApiError::not_found("document"))),
        Err(e) => Err(ApiError::from(e).into_response()),
    }
}
