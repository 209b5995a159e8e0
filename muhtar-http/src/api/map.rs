//! Map data for any map client, as GeoJSON (RFC 7946, `application/geo+json`): QGIS,
//! Leaflet, OpenLayers or the web map open them as layers.
//!
//! - `GET /api/v1/map/requests.geojson`: located requests as points, with the list's
//!   filters (`status`, `category`, `unit`, `muhtarlik`, `overdue`, `period`) and
//!   `bbox=minlon,minlat,maxlon,maxlat`, at most `limit` (default and most 100,000;
//!   `truncated: true` when more matched); properties from `muhtar_core::map::features`,
//!   never personal data.
//! - `GET /api/v1/map/muhtarliklar.geojson`: each muhtarlık's boundary (of those the
//!   organisation has) with its code, name, district and open and overdue requests.
//!
//! Without a token a call reads as the public (`Role::Public`: every located request of
//! the tenant, no İVEDİ; `?tenant=` names the tenant when the server holds several), unless
//! the tenant keeps its reads private (`[open311] private_reads`): then 401. With one, the
//! token's role decides (a muhtar: their muhtarlık; unit staff: their units; the back
//! office: all), as in `GET /api/v1/requests`.

use std::sync::Arc;

use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use muhtar_core::access::Actor;
use muhtar_core::ids::TenantId;
use muhtar_core::map::BBox;
use muhtar_core::report::ReportPeriod;
use muhtar_core::service::{MapQuery, MAX_MAP_POINTS};
use muhtar_core::store::{Order, RequestQuery};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{list_filters, ListFilters, Params, St};
use crate::auth::{AuthError, AuthRejection, Credentials};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::AppState;

/// The media type of GeoJSON (RFC 7946 §12).
pub const GEOJSON: &str = "application/geo+json";

/// The map routes (under `/api/v1`).
pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/map/requests.geojson", get(requests_geojson))
        .route("/map/muhtarliklar.geojson", get(muhtarliklar_geojson))
}

/// The caller of a map read: the token's actor, or none (the public).
pub struct MaybeAuth(pub Option<Actor>);

impl FromRequestParts<Arc<AppState>> for MaybeAuth {
    type Rejection = AuthRejection;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppState>,
    ) -> Result<Self, Self::Rejection> {
        match state
            .authenticator
            .authenticate(&Credentials::rest(parts))
            .await
        {
            Ok(a) => Ok(MaybeAuth(Some(a))),
            Err(AuthError::Missing) => Ok(MaybeAuth(None)),
            Err(e) => Err(AuthRejection(e)),
        }
    }
}

/// Who reads: the token's actor (in its own tenant), or the public of the tenant named by
/// `tenant` (default: the server's only one), refused where the tenant keeps its reads
/// private.
pub(crate) async fn reader(
    s: &AppState,
    auth: Option<Actor>,
    tenant: Option<&str>,
) -> ApiResult<Actor> {
    if let Some(a) = auth {
        if tenant.is_some_and(|t| t != a.tenant.as_str()) {
            return Err(ApiError::invalid(
                "tenant",
                "a token reads its own tenant: leave tenant out",
            ));
        }
        return Ok(a);
    }
    let tenant = match tenant {
        Some(t) => TenantId::new(t).map_err(|_| ApiError::not_found(format!("tenant {t:?}")))?,
        None => {
            let all = s.mbs.store().tenants().await?;
            match <[TenantId; 1]>::try_from(all) {
                Ok([one]) => one,
                Err(all) if all.is_empty() => return Err(ApiError::not_found("tenant")),
                Err(_) => {
                    return Err(ApiError::malformed(
                        "tenant is required: this server holds several tenants",
                    )
                    .field("tenant"))
                }
            }
        }
    };
    let ctx = s.mbs.context(&tenant).await.map_err(|e| match e {
        muhtar_core::service::ServiceError::NotConfigured(_) => {
            ApiError::not_found(format!("tenant {tenant}"))
        }
        e => e.into(),
    })?;
    if ctx.settings.open311.private_reads {
        return Err(ApiError::unauthorized());
    }
    Ok(Actor::public(tenant))
}

/// A GeoJSON document as the response, written into a buffer of `hint` bytes to begin
/// with.
fn geojson<T: Serialize>(doc: &T, hint: usize) -> ApiResult<Response> {
    let mut body = Vec::with_capacity(hint);
    serde_json::to_writer(&mut body, doc).map_err(ApiError::internal)?;
    Ok((StatusCode::OK, [(header::CONTENT_TYPE, GEOJSON)], body).into_response())
}

/// Filters of the requests' map.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct MapParams {
    /// Only these statuses, comma-separated (`routed,in-progress`), or `open`.
    pub status: Option<String>,
    /// Only this unit and the units below it.
    pub unit: Option<String>,
    /// Only this muhtarlık.
    pub muhtarlik: Option<String>,
    /// Only this category.
    pub category: Option<String>,
    /// Only open requests past their deadline.
    pub overdue: Option<bool>,
    /// Only requests received in this period: a year (`2026`), a quarter (`2026Q2`) or
    /// Istanbul dates (`2026-01-01..2026-06-30`).
    pub period: Option<String>,
    /// Only requests located in this box: `minlon,minlat,maxlon,maxlat` (WGS 84 degrees,
    /// longitude first, e.g. `28.95,40.98,29.10,41.10`).
    pub bbox: Option<String>,
    /// At most this many points, 1 to 100000 (default 100000); `truncated` says whether
    /// more matched. Urgent (İVEDİ) first, then earliest deadline.
    pub limit: Option<u32>,
    /// The tenant, for a call without a token when the server holds several.
    pub tenant: Option<String>,
}

/// The requests as GeoJSON points: the list's filters and a bounding box; no token: the
/// public view.
#[utoipa::path(get, path = "/map/requests.geojson", tag = "map", params(MapParams),
    responses(
        (status = 200, content_type = "application/geo+json", body = RequestFeatureCollection,
            description = "An RFC 7946 FeatureCollection of points `[lon, lat]`; no personal data"),
        (status = 400, description = "A malformed parameter: `bbox` not `minlon,minlat,maxlon,maxlat`, `tenant` missing", body = ErrorBody),
        (status = 401, description = "A bad token, or a tenant whose reads are private", body = ErrorBody),
        (status = 404, description = "No such tenant", body = ErrorBody),
        (status = 422, description = "A filter's value is not known (status, unit, muhtarlık, period, limit)", body = ErrorBody),
    ),
    security((), ("bearer" = [])))]
pub async fn requests_geojson(
    State(s): St,
    MaybeAuth(auth): MaybeAuth,
    Params(p): Params<MapParams>,
) -> ApiResult<Response> {
    let actor = reader(&s, auth, p.tenant.as_deref()).await?;
    let ctx = s.mbs.context(&actor.tenant).await?;
    let mut filters = RequestQuery {
        order: Order::Deadline,
        ..RequestQuery::default()
    };
    list_filters(
        &mut filters,
        &ctx.org,
        ListFilters {
            status: p.status.as_deref(),
            unit: p.unit.as_deref(),
            muhtarlik: p.muhtarlik.as_deref(),
            category: p.category.as_deref(),
        },
    )?;
    if let Some(period) = &p.period {
        let period: ReportPeriod =
            period
                .parse()
                .map_err(|e: muhtar_core::report::ReportError| {
                    ApiError::invalid("period", e.to_string())
                })?;
        filters.received_from = Some(period.start());
        filters.received_until = Some(period.end());
    }
    if let Some(b) = &p.bbox {
        filters.bbox = Some(BBox::parse(b).map_err(|e| {
            ApiError::malformed(format!(
                "{e}; e.g. bbox=28.95,40.98,29.10,41.10 (west, south, east, north)"
            ))
            .field("bbox")
        })?);
    }
    let limit = p.limit.unwrap_or(MAX_MAP_POINTS);
    if limit == 0 || limit > MAX_MAP_POINTS {
        return Err(ApiError::invalid(
            "limit",
            format!("limit must be 1 to {MAX_MAP_POINTS}"),
        ));
    }
    let map = s
        .mbs
        .map_points(
            &actor,
            MapQuery {
                filters,
                overdue: p.overdue == Some(true),
                limit,
            },
        )
        .await?;
    // Up to 100,000 features: written off the async workers.
    // About 500 bytes a feature.
    tokio::task::spawn_blocking(move || geojson(&map.features(), 512 * (map.points.len() + 1)))
        .await
        .map_err(ApiError::internal)?
}

/// Query parameters of the muhtarlıklar's map.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct TenantParams {
    /// The tenant, for a call without a token when the server holds several.
    pub tenant: Option<String>,
}

/// The muhtarlıklar's boundaries with their open and overdue requests now; no token: the
/// public's counts. A muhtar gets their own muhtarlık; unit staff their units' counts.
#[utoipa::path(get, path = "/map/muhtarliklar.geojson", tag = "map", params(TenantParams),
    responses(
        (status = 200, content_type = "application/geo+json", body = MuhtarlikFeatureCollection,
            description = "An RFC 7946 FeatureCollection of (multi)polygons, rings by the right-hand rule"),
        (status = 400, description = "`tenant` missing", body = ErrorBody),
        (status = 401, description = "A bad token, or a tenant whose reads are private", body = ErrorBody),
        (status = 404, description = "No such tenant", body = ErrorBody),
    ),
    security((), ("bearer" = [])))]
pub async fn muhtarliklar_geojson(
    State(s): St,
    MaybeAuth(auth): MaybeAuth,
    Params(p): Params<TenantParams>,
) -> ApiResult<Response> {
    let actor = reader(&s, auth, p.tenant.as_deref()).await?;
    let map = s.mbs.muhtarlik_counts(&actor).await?;
    geojson(&map.features(), 4096)
}

// ---------------------------------------------------------------------------------------
// The documents' shapes, for the OpenAPI document (written by `muhtar_core::map::features`).

/// A GeoJSON Point.
#[derive(Debug, ToSchema)]
#[allow(dead_code)]
pub struct PointGeometry {
    /// `Point`.
    #[schema(rename = "type")]
    pub kind: String,
    /// `[longitude, latitude]`, WGS 84.
    pub coordinates: Vec<f64>,
}

/// What a request's point says: never personal data.
#[derive(Debug, ToSchema)]
#[allow(dead_code)]
pub struct RequestFeatureProperties {
    /// Takip numarası.
    pub tracking: String,
    /// Category code.
    pub category: String,
    /// Category name.
    pub category_name: String,
    /// Status (stable name).
    pub status: String,
    /// Status, in Turkish.
    pub status_name: String,
    /// Unit code.
    pub unit: Option<String>,
    /// Unit name.
    pub unit_name: Option<String>,
    /// Muhtarlık code.
    pub muhtarlik: String,
    /// Muhtarlık name.
    pub muhtarlik_name: String,
    /// Resolution deadline, RFC 3339 in Istanbul time (`+03:00`).
    pub deadline: Option<String>,
    /// Resolution deadline as people read it (`2026-03-28 17:30`).
    pub deadline_text: Option<String>,
    /// İVEDİ (urgent); not in the public view.
    pub ivedi: Option<bool>,
    /// Open and past its deadline.
    pub overdue: bool,
}

/// A request as a GeoJSON Feature (its id the tracking number).
#[derive(Debug, ToSchema)]
#[allow(dead_code)]
pub struct RequestFeature {
    /// `Feature`.
    #[schema(rename = "type")]
    pub kind: String,
    /// Takip numarası.
    pub id: String,
    /// Where.
    pub geometry: PointGeometry,
    /// What.
    pub properties: RequestFeatureProperties,
}

/// The requests' FeatureCollection.
#[derive(Debug, ToSchema)]
#[allow(dead_code)]
pub struct RequestFeatureCollection {
    /// `FeatureCollection`.
    #[schema(rename = "type")]
    pub kind: String,
    /// The points.
    pub features: Vec<RequestFeature>,
    /// Whether more requests matched than `limit` (a foreign member, RFC 7946 §6.1).
    pub truncated: bool,
}

/// What a muhtarlık's feature says.
#[derive(Debug, ToSchema)]
#[allow(dead_code)]
pub struct MuhtarlikFeatureProperties {
    /// Code.
    pub code: String,
    /// Name.
    pub name: String,
    /// District (ilçe).
    pub district: String,
    /// Open requests now, within the caller's scope.
    pub open: u64,
    /// Of those, past their deadline.
    pub overdue: u64,
}

/// A muhtarlık as a GeoJSON Feature (its id the code).
#[derive(Debug, ToSchema)]
#[allow(dead_code)]
pub struct MuhtarlikFeature {
    /// `Feature`.
    #[schema(rename = "type")]
    pub kind: String,
    /// Muhtarlık code.
    pub id: String,
    /// The boundary: a GeoJSON Polygon or MultiPolygon.
    #[schema(value_type = Object)]
    pub geometry: serde_json::Value,
    /// What.
    pub properties: MuhtarlikFeatureProperties,
}

/// The muhtarlıklar's FeatureCollection.
#[derive(Debug, ToSchema)]
#[allow(dead_code)]
pub struct MuhtarlikFeatureCollection {
    /// `FeatureCollection`.
    #[schema(rename = "type")]
    pub kind: String,
    /// The muhtarlıklar with a boundary.
    pub features: Vec<MuhtarlikFeature>,
    /// Always false.
    pub truncated: bool,
}
