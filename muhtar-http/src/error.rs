//! Errors of the REST API: a status and a JSON body `{"error": {code, message, field}}`.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use muhtar_core::document::DocumentError;
use muhtar_core::request::LifecycleError;
use muhtar_core::service::ServiceError;
use muhtar_core::store::StoreError;
use serde::Serialize;
use utoipa::ToSchema;

use crate::json::BodyError;
use crate::uploads::UploadError;

/// The body of every error response.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    /// The error.
    pub error: ErrorDetail,
}

/// What went wrong.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorDetail {
    /// A stable code: `unauthorized`, `forbidden`, `not_found`, `invalid_input`,
    /// `malformed`, `too_large`, `unsupported_media_type`, `conflict`, `lifecycle`,
    /// `too_many_requests`, `insufficient_storage`, `unavailable`, `internal`; for
    /// official documents `not_routed`, `already_registered`, `not_answered`,
    /// `letter_issued` (409) and `no_registry`, `no_signing_key` (422); for councils
    /// `council` (409: not open yet, closed, still running, voted already, no members) and
    /// `frozen` (409: a closed vote's ballots).
    pub code: &'static str,
    /// A human-readable explanation.
    pub message: String,
    /// The field the error is about, when there is one (`location.lat`, `subject`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

/// An error response.
#[derive(Debug)]
pub struct ApiError {
    /// HTTP status.
    pub status: StatusCode,
    /// Body.
    pub detail: ErrorDetail,
    /// Seconds for a `Retry-After` header (429).
    pub retry_after: Option<u64>,
}

/// Longest error message or field name sent back, in characters: messages that quote
/// the client's input (serde's `invalid type: string "..."`, an unknown code) are cut,
/// so an error is never an echo of a megabyte.
pub const MAX_MESSAGE: usize = 300;

/// `text` cut to [`MAX_MESSAGE`] characters, marked with `…` where cut.
pub fn capped(text: String) -> String {
    match text.char_indices().nth(MAX_MESSAGE) {
        None => text,
        Some((at, _)) => format!("{}…", &text[..at]),
    }
}

impl ApiError {
    /// An error with a status, a code and a message.
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            detail: ErrorDetail {
                code,
                message: capped(message.into()),
                field: None,
            },
            retry_after: None,
        }
    }

    /// The same error with a `Retry-After` header.
    pub fn retry_after(mut self, seconds: u64) -> Self {
        self.retry_after = Some(seconds);
        self
    }

    /// The same error about a field.
    pub fn field(mut self, field: impl Into<String>) -> Self {
        self.detail.field = Some(capped(field.into()));
        self
    }

    /// 422: a field's value is not accepted.
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_input", message).field(field)
    }

    /// 400: the body or a parameter could not be read.
    pub fn malformed(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "malformed", message)
    }

    /// 401: no valid token.
    pub fn unauthorized() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "a valid bearer token is required (Authorization: Bearer mbs_...)",
        )
    }

    /// 404: nothing there (or nothing the caller may see).
    pub fn not_found(what: impl Into<String>) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("{} not found", what.into()),
        )
    }

    /// 413: the body or an upload is too large.
    pub fn too_large(message: impl Into<String>) -> Self {
        Self::new(StatusCode::PAYLOAD_TOO_LARGE, "too_large", message)
    }

    /// 500/503 for a store failure, logged; the message does not leak internals.
    pub fn internal(e: impl std::fmt::Display) -> Self {
        tracing::error!(error = %e, "internal error");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "internal error (logged)",
        )
    }
}

impl From<ServiceError> for ApiError {
    fn from(e: ServiceError) -> Self {
        match e {
            ServiceError::NotFound(what) => ApiError::not_found(what),
            ServiceError::Forbidden(a) => {
                ApiError::new(StatusCode::FORBIDDEN, "forbidden", a.to_string())
            }
            ServiceError::Input(i) => ApiError::invalid(i.field(), i.to_string()),
            ServiceError::Lifecycle(LifecycleError::Input(i)) => {
                ApiError::invalid(i.field(), i.to_string())
            }
            ServiceError::Lifecycle(l @ LifecycleError::IllegalTransition { .. })
            | ServiceError::Lifecycle(l @ LifecycleError::ReopenWindowClosed { .. })
            | ServiceError::Lifecycle(l @ LifecycleError::AlreadyExtended) => {
                ApiError::new(StatusCode::CONFLICT, "lifecycle", l.to_string())
            }
            ServiceError::Lifecycle(l @ LifecycleError::Corrupt(_)) => ApiError::internal(l),
            ServiceError::Lifecycle(l) => {
                let field = match &l {
                    LifecycleError::Reason(_)
                    | LifecycleError::ReasonRequired
                    | LifecycleError::ReasonNotAllowed => "reason",
                    LifecycleError::SameUnit(_) | LifecycleError::Target(_) => "to",
                    LifecycleError::SelfMerge => "into",
                    _ => "command",
                };
                ApiError::invalid(field, l.to_string())
            }
            e @ (ServiceError::Conflict { .. } | ServiceError::RulesInvalidated { .. }) => {
                ApiError::new(StatusCode::CONFLICT, "conflict", e.to_string())
            }
            ServiceError::NotConfigured(t) => ApiError::not_found(format!("tenant {t}")),
            ServiceError::Sla(s) => {
                ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "lifecycle", s.to_string())
            }
            ServiceError::Store(s) => s.into(),
            ServiceError::Document(d) => document_error(d),
            ServiceError::Council(c) => {
                use muhtar_core::council::CouncilError as C;
                match c {
                    C::NotEligible { .. } | C::NotOnRoll { .. } => {
                        ApiError::invalid("member", c.to_string())
                    }
                    C::UnknownReceipt => ApiError::not_found("receipt"),
                    C::DecisionSent { .. } => {
                        ApiError::new(StatusCode::CONFLICT, "decision_sent", c.to_string())
                    }
                    C::NotAdopted { .. } => {
                        ApiError::new(StatusCode::CONFLICT, "not_adopted", c.to_string())
                    }
                    other => ApiError::new(StatusCode::CONFLICT, "council", other.to_string()),
                }
            }
            ServiceError::Meeting(m) => {
                use muhtar_core::council::MeetingError as M;
                match m {
                    M::NotOnRoll { .. } => ApiError::invalid("members", m.to_string()),
                    M::Held { .. } => {
                        ApiError::new(StatusCode::CONFLICT, "meeting_held", m.to_string())
                    }
                    M::NotYet { .. } => {
                        ApiError::new(StatusCode::CONFLICT, "meeting_not_yet", m.to_string())
                    }
                    other => ApiError::new(StatusCode::CONFLICT, "council", other.to_string()),
                }
            }
            ServiceError::Work(w) => {
                ApiError::new(StatusCode::CONFLICT, "lifecycle", w.to_string())
            }
            ServiceError::Account(a @ muhtar_core::account::AccountError::Hash(_)) => {
                ApiError::internal(a)
            }
            ServiceError::Account(a) => ApiError::invalid(a.field(), a.to_string()),
            ServiceError::Report(r) => {
                use muhtar_core::report::ReportError as R;
                match r {
                    R::InvalidQuarter(_) => ApiError::invalid("quarter", r.to_string()),
                    R::InvalidPeriod(_)
                    | R::InvalidPeriodDay { .. }
                    | R::PeriodEndsBeforeStart { .. }
                    | R::PeriodTooLong { .. } => ApiError::invalid("period", r.to_string()),
                    R::QuarterNotOver { .. } => {
                        ApiError::new(StatusCode::CONFLICT, "lifecycle", r.to_string())
                    }
                    R::NoteRequired | R::NoteTooLong { .. } => {
                        ApiError::invalid("note", r.to_string())
                    }
                    R::UnknownUnit(_) => ApiError::invalid("unit", r.to_string()),
                    other => ApiError::internal(other),
                }
            }
            other => ApiError::internal(other),
        }
    }
}

/// A refused document command, by variant: what the request's state does not allow yet
/// or any more is a 409, what the configuration lacks a 422, each with its own code.
fn document_error(d: DocumentError) -> ApiError {
    let (status, code) = match &d {
        DocumentError::NotRouted => (StatusCode::CONFLICT, "not_routed"),
        DocumentError::AlreadyRegistered { .. } => (StatusCode::CONFLICT, "already_registered"),
        DocumentError::NotAnswered => (StatusCode::CONFLICT, "not_answered"),
        DocumentError::LetterIssued { .. } => (StatusCode::CONFLICT, "letter_issued"),
        DocumentError::NoRegistry { .. } => (StatusCode::UNPROCESSABLE_ENTITY, "no_registry"),
        DocumentError::NoSigningKey => (StatusCode::UNPROCESSABLE_ENTITY, "no_signing_key"),
        _ => (StatusCode::CONFLICT, "document"),
    };
    ApiError::new(status, code, d.to_string())
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound { what } => ApiError::not_found(what),
            e @ StoreError::Unavailable { .. } => {
                tracing::warn!(error = %e, "store unavailable");
                ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "unavailable",
                    "the store is unavailable; try again later",
                )
            }
            // The caller's `after`, by its variant (stored data that cannot be read is
            // `Corrupt`: a 500).
            StoreError::BadCursor(c) => ApiError::invalid("after", c.to_string()),
            e @ StoreError::Frozen { .. } => {
                ApiError::new(StatusCode::CONFLICT, "frozen", e.to_string())
            }
            other => ApiError::internal(other),
        }
    }
}

impl From<UploadError> for ApiError {
    fn from(e: UploadError) -> Self {
        match e {
            UploadError::Full(detail) => {
                tracing::warn!(error = %detail, "uploads: no space left");
                ApiError::new(
                    StatusCode::INSUFFICIENT_STORAGE,
                    "insufficient_storage",
                    "Yüklenen dosyalar için diskte yer kalmadı; istek kaydedilmedi, daha sonra yeniden \
                     deneyin. / No space left on the disk for uploads; the request was not \
                     stored, try again later.",
                )
                .field("photo")
            }
            e @ UploadError::TooLarge { .. } => ApiError::too_large(e.to_string()).field("photo"),
            e @ UploadError::Empty => ApiError::invalid("photo", e.to_string()),
            e @ UploadError::BadType(_) => ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                e.to_string(),
            )
            .field("photo"),
            UploadError::Unavailable(m) => {
                tracing::warn!(error = %m, "upload store unavailable");
                ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "unavailable",
                    "the upload store is unavailable; try again later",
                )
            }
            other => ApiError::internal(other),
        }
    }
}

impl From<BodyError> for ApiError {
    fn from(e: BodyError) -> Self {
        match e {
            BodyError::Malformed(e) => ApiError::malformed(format!("malformed JSON: {e}")),
            BodyError::Field {
                field: Some(f),
                message,
            } => ApiError::invalid(f, message),
            BodyError::Field {
                field: None,
                message,
            } => ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_input", message),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut r = (self.status, axum::Json(ErrorBody { error: self.detail })).into_response();
        if let Some(s) = self.retry_after {
            r.headers_mut()
                .insert(axum::http::header::RETRY_AFTER, s.into());
        }
        r
    }
}

/// A handler's result.
pub type ApiResult<T> = Result<T, ApiError>;

#[cfg(test)]
mod tests {
    use muhtar_core::store::{Cursor, UnavailableReason};

    use super::*;

    fn cursor_error() -> StoreError {
        StoreError::from(Cursor("garbage".into()).decode().unwrap_err())
    }

    /// By variant, never by text: a bad cursor is the caller's `after` whatever its
    /// message says, and stored data that cannot be read is a 500 even when its
    /// message looks like a cursor's.
    #[test]
    fn a_bad_cursor_is_the_callers_after_by_its_variant() {
        let e = ApiError::from(cursor_error());
        assert_eq!(e.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(e.detail.field.as_deref(), Some("after"));
        let e = ApiError::from(ServiceError::from(cursor_error()));
        assert_eq!(e.detail.field.as_deref(), Some("after"));
        let lookalike = StoreError::corrupt(format!("bad cursor {:?}", "garbage"));
        let e = ApiError::from(lookalike);
        assert_eq!(e.status, StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(e.detail.field, None);
    }

    /// Unavailable for any reason is a 503 by its variant; the cause (paths, hosts) is
    /// logged, not shown.
    #[test]
    fn an_unavailable_store_is_a_503_without_its_cause() {
        let cause = std::io::Error::other("/var/lib/secret.db: I/O error");
        let e = ApiError::from(StoreError::unavailable(UnavailableReason::Busy, cause));
        assert_eq!(e.status, StatusCode::SERVICE_UNAVAILABLE);
        assert!(!e.detail.message.contains("secret"), "{}", e.detail.message);
    }

    #[test]
    fn upload_errors_map_by_variant() {
        let cases = [
            (
                UploadError::Full("quota".into()),
                StatusCode::INSUFFICIENT_STORAGE,
                "insufficient_storage",
            ),
            (
                UploadError::TooLarge { max: 5 },
                StatusCode::PAYLOAD_TOO_LARGE,
                "too_large",
            ),
            (
                UploadError::Empty,
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_input",
            ),
            (
                UploadError::BadType("only GIFs".into()),
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
            ),
            (
                UploadError::Unavailable("bucket down".into()),
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
            ),
            (
                UploadError::Io(std::io::Error::other("no space left on device")),
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
            ),
        ];
        for (e, status, code) in cases {
            let api = ApiError::from(e);
            assert_eq!((api.status, api.detail.code), (status, code));
        }
        let full = ApiError::from(UploadError::Full("x".into()));
        assert_eq!(full.detail.field.as_deref(), Some("photo"));
        assert!(full.detail.message.contains("No space"));
        // The store's detail is logged, not sent.
        let down = ApiError::from(UploadError::Unavailable("s3://secret-bucket".into()));
        assert!(!down.detail.message.contains("secret"));
    }

    /// Each refused document command has its own status and code, by variant.
    #[test]
    fn document_errors_map_by_variant() {
        use muhtar_core::document::RegistryNumber;
        let n = RegistryNumber::parse("E-13316537-349-4467").unwrap();
        let cases = [
            (DocumentError::NotRouted, 409, "not_routed"),
            (
                DocumentError::AlreadyRegistered { number: n.clone() },
                409,
                "already_registered",
            ),
            (DocumentError::NotAnswered, 409, "not_answered"),
            (
                DocumentError::LetterIssued { number: n },
                409,
                "letter_issued",
            ),
            (
                DocumentError::NoRegistry { unit: "x".into() },
                422,
                "no_registry",
            ),
            (DocumentError::NoSigningKey, 422, "no_signing_key"),
        ];
        for (d, status, code) in cases {
            let e = ApiError::from(ServiceError::Document(d));
            assert_eq!((e.status.as_u16(), e.detail.code), (status, code));
        }
    }

    #[test]
    fn a_missing_json_field_is_named() {
        #[derive(Debug, serde::Deserialize)]
        #[allow(dead_code)]
        struct Body {
            subject: String,
            location: Option<Loc>,
        }
        #[derive(Debug, serde::Deserialize)]
        #[allow(dead_code)]
        struct Loc {
            lat: f64,
            lon: f64,
        }
        let e = ApiError::from(crate::json::read::<Body>(b"{}").unwrap_err());
        assert_eq!(e.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(e.detail.field.as_deref(), Some("subject"));
        let e = ApiError::from(
            crate::json::read::<Body>(br#"{"subject": "s", "location": {"lat": 41}}"#).unwrap_err(),
        );
        assert_eq!(e.detail.field.as_deref(), Some("location.lon"));
        let e = ApiError::from(crate::json::read::<Body>(b"{").unwrap_err());
        assert_eq!(
            (e.status, e.detail.code),
            (StatusCode::BAD_REQUEST, "malformed")
        );
    }
}
