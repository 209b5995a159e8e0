//! `/takip`: the public status page. A GET form (works without JavaScript) with the
//! field **Takip numarası** (`takip`) and the button **Sorgula**; the answer shows what
//! `GET /api/v1/status/{tracking}` does ([`crate::status::lookup`], core's public view):
//! status, unit, receipt time and deadline (Europe/Istanbul), outcome and reason names.
//!
//! A malformed number is an error at the field (the error summary links to it, the
//! message says what is wrong), an unknown one "bulunamadı"; both are a
//! [`FailedAttempt`], counted against the client address like the JSON endpoint's 404s.

use std::sync::Arc;

use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::Utc;
use minijinja::context;
use muhtar_core::request::sheet::local_time;
use muhtar_core::service::PublicStatus;
use muhtar_core::tracking::{TrackingError, TrackingNumber};
use serde::Serialize;

use super::session::MaybeSignedIn;
use super::{FieldError, Page};
use crate::auth::FailedAttempt;
use crate::mount::Mount;
use crate::AppState;

/// The `id` and `name` of the tracking number field.
pub const FIELD: &str = "takip";

/// What the page shows of a request: core's public status, times as Istanbul local
/// time.
#[derive(Debug, Serialize)]
struct StatusRows {
    tracking: String,
    status_name: String,
    unit_name: Option<String>,
    received_at: String,
    resolution_due: Option<String>,
    outcome_name: Option<String>,
    reason_name: Option<String>,
}

impl From<PublicStatus> for StatusRows {
    fn from(p: PublicStatus) -> Self {
        let local = |t: chrono::DateTime<chrono::FixedOffset>| local_time(t.with_timezone(&Utc));
        StatusRows {
            tracking: p.tracking.to_string(),
            status_name: p.status_name,
            unit_name: p.unit_name,
            received_at: local(p.received_at),
            resolution_due: p.resolution_due.map(local),
            outcome_name: p.outcome_name,
            reason_name: p.reason_name,
        }
    }
}

/// What is wrong with a typed tracking number, in Turkish, naming what is valid.
pub fn problem(e: &TrackingError) -> String {
    match e {
        TrackingError::Empty => "Takip numarasını yazın".into(),
        TrackingError::Length { len, .. } => format!(
            "Takip numarası 9 karakterdir (örneğin 7KM-3QX-9PA); yazdığınızda {len} karakter var"
        ),
        TrackingError::Character { ch, position } => format!(
            "Takip numarasının {position}. karakteri ({ch}) geçersiz: yalnızca rakamlar ve \
             harfler (Ç, Ğ, İ, Ö, Ş, U, Ü ve Z hariç) kullanılır"
        ),
        TrackingError::CheckCharacter { .. } => {
            "Takip numarasında bir karakter yanlış yazılmış ya da iki karakterin yeri değişmiş: \
             numarayı kontrol edin"
                .into()
        }
        _ => "Takip numarası geçersiz: numarayı kontrol edin".into(),
    }
}

/// `GET /takip[?takip=…]`: the form, and the request's status once a number is given.
pub async fn page(
    State(s): State<Arc<AppState>>,
    mount: Mount,
    MaybeSignedIn(user): MaybeSignedIn,
    RawQuery(q): RawQuery,
) -> Response {
    let typed = q.as_deref().and_then(|q| {
        form_urlencoded::parse(q.as_bytes())
            .find(|(k, _)| k == FIELD)
            .map(|(_, v)| v.into_owned())
    });
    let page = Page::new("takip.html", "Başvuru sorgula", &mount).user(user.as_ref());
    let Some(typed) = typed else {
        return page.render(context! { takip => "" });
    };
    if let Err(e) = typed.trim().parse::<TrackingNumber>() {
        let error = FieldError {
            field: FIELD,
            message: problem(&e),
        };
        return FailedAttempt::mark(
            page.status(StatusCode::BAD_REQUEST)
                .errors(vec![error.clone()])
                .render(context! { takip => typed, error => error.message }),
        );
    }
    match crate::status::lookup(&s, None, &typed).await {
        Ok(Some(status)) => page.render(context! {
            takip => typed,
            status => StatusRows::from(status),
        }),
        Ok(None) => FailedAttempt::mark(
            page.status(StatusCode::NOT_FOUND)
                .render(context! { takip => typed, not_found => true }),
        ),
        Err(e) => {
            tracing::error!(error = %e, "the status page could not read the store");
            page.status(StatusCode::SERVICE_UNAVAILABLE)
                .render(context! { takip => typed, unavailable => true })
        }
    }
}
