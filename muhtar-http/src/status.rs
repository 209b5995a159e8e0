//! `GET /api/v1/status/{tracking}`: a request's public status by tracking number, for the
//! citizen who got the number (no token). The view is core's
//! [`muhtar_core::service::PublicStatus`]: status, unit, deadline
//! (Europe/Istanbul), outcome and reason names; never a contact, a description or a
//! staff name.
//!
//! Tracking numbers are guessable (8 data characters), so a client address that asks for
//! numbers that do not exist is limited like failed authentications: every 404 is a
//! [`FailedAttempt`], counted by [`FailedAuthLimitLayer`](crate::auth::FailedAuthLimitLayer)
//! when the host applies it, and past the limit the address gets 429 for the cool-down. A
//! malformed and an unknown number give the same 404.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use axum::Json;
use muhtar_core::ids::TenantId;
use muhtar_core::service::{PublicStatus, ServiceError};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::api::Params;
use crate::auth::FailedAttempt;
use crate::error::{ApiError, ErrorBody};
use crate::AppState;

/// A request's public status.
#[derive(Debug, Serialize, ToSchema)]
pub struct StatusView {
    /// Takip numarası.
    pub tracking: String,
    /// Status (stable name): received, routed, in-progress, paused, answered, closed,
    /// withdrawn, merged.
    pub status: String,
    /// Status, in Turkish.
    pub status_name: String,
    /// The unit handling it, by name.
    pub unit_name: Option<String>,
    /// When it was received (Europe/Istanbul, RFC 3339 with offset).
    pub received_at: String,
    /// When the answer is due (Europe/Istanbul).
    pub resolution_due: Option<String>,
    /// Outcome (positive / negative), once answered.
    pub outcome: Option<String>,
    /// Outcome, in Turkish (olumlu / olumsuz).
    pub outcome_name: Option<String>,
    /// The reason's Turkish name, for a negative outcome.
    pub reason_name: Option<String>,
}

impl From<PublicStatus> for StatusView {
    fn from(p: PublicStatus) -> Self {
        StatusView {
            tracking: p.tracking.to_string(),
            status: p.status.as_str().to_owned(),
            status_name: p.status_name,
            unit_name: p.unit_name,
            received_at: p.received_at.to_rfc3339(),
            resolution_due: p.resolution_due.map(|d| d.to_rfc3339()),
            outcome: p.outcome.map(|o| o.as_str().to_owned()),
            outcome_name: p.outcome_name,
            reason_name: p.reason_name,
        }
    }
}

/// Query parameters of the status endpoint.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct StatusParams {
    /// The tenant (municipality); default: every tenant on this server is searched.
    pub tenant: Option<String>,
}

/// A request's public status by tracking number (no token): no personal data.
#[utoipa::path(get, path = "/status/{tracking}", tag = "public",
    params(("tracking" = String, Path, description = "Takip numarası, e.g. 7KM-3QX-9PA"), StatusParams),
    responses(
        (status = 200, body = StatusView),
        (status = 404, description = "No such request (malformed or unknown number alike)", body = ErrorBody),
        (status = 429, description = "Too many unknown numbers from this address", body = ErrorBody),
    ))]
pub async fn public_status(
    State(s): State<Arc<AppState>>,
    Path(t): Path<String>,
    Params(p): Params<StatusParams>,
) -> Result<Json<StatusView>, Response> {
    match lookup(&s, p.tenant.as_deref(), &t).await {
        Ok(Some(view)) => Ok(Json(view.into())),
        Ok(None) => Err(FailedAttempt::mark(
            ApiError::not_found("request").into_response(),
        )),
        Err(e) => Err(ApiError::from(e).into_response()),
    }
}

/// The public status of the request numbered `tracking` in `tenant`, or in any tenant
/// of the store when none is named: `None` when there is none (a malformed and an
/// unknown number alike). The one lookup of the status endpoint and the `/takip` page.
pub async fn lookup(
    s: &AppState,
    tenant: Option<&str>,
    tracking: &str,
) -> Result<Option<PublicStatus>, ServiceError> {
    let tenants = match tenant {
        Some(t) => TenantId::new(t).map(|t| vec![t]).unwrap_or_default(),
        None => s.mbs.store().tenants().await?,
    };
    for tenant in tenants {
        match s.mbs.public_status(&tenant, tracking).await {
            Ok(view) => return Ok(Some(view)),
            Err(ServiceError::NotFound(_)) => continue,
            Err(e) => return Err(e),
        }
    }
    Ok(None)
}
