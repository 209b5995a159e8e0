//! Works and announcements of the units under `/api/v1/works` ("which body does what,
//! where", `muhtar_core::map::work`), and the map layer `/api/v1/map/works.geojson`.
//!
//! Works are public announcements: reading them (`GET /works`, `GET /works/{id}`, the
//! GeoJSON) needs no token (the public of the tenant named by `tenant`, or of the server's
//! only tenant); with a token, the token's tenant. Publishing, changing and closing need a
//! token of the unit's staff (or of a unit above it) or the coordinator; the clashes
//! (`GET /works/clashes`) are the coordinator's (also the responsible official's and the
//! auditor's). No view carries personal data: not who published a work.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use muhtar_core::access::Actor;
use muhtar_core::calendar::to_istanbul;
use muhtar_core::ids::{MuhtarlikCode, UnitCode};
use muhtar_core::map::work::{
    oriented, NewWork, Work, WorkChange, WorkId, WorkKind, WorkQuery, WorkStatus,
};
use muhtar_core::map::{BBox, Shape};
use muhtar_core::org::Organisation;
use muhtar_core::service::WorkClash;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::map::{reader, MaybeAuth, TenantParams};
use super::{JsonBody, Params, St};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::mount::Mount;
use crate::AppState;

/// The routes of works (merged into the API router under `/api/v1`).
pub fn router() -> Router<Arc<AppState>> {
    Router::new()
        .route("/works", post(create_work).get(list_works))
        .route("/works/clashes", get(work_clashes))
        .route(
            "/works/{id}",
            get(get_work).patch(change_work).post(change_work),
        )
        .route("/works/{id}/close", post(close_work))
        .route("/map/works.geojson", get(works_geojson))
}

/// Listings return at most this many works unless `limit` says otherwise.
pub const DEFAULT_WORKS: u32 = 1000;

/// An instant as people's clients read it: RFC 3339 in Europe/Istanbul time.
fn istanbul(t: DateTime<Utc>) -> String {
    to_istanbul(t).to_rfc3339()
}

/// A work as the API shows it: codes beside their Turkish names, the area as a GeoJSON
/// geometry (RFC 7946: `[lon, lat]`, exterior rings counterclockwise), times in
/// Europe/Istanbul; nothing about who published it.
#[derive(Debug, Serialize, ToSchema)]
pub struct WorkView {
    /// Id (UUID).
    pub id: String,
    /// Version, from 1; each change writes the next (`expected_version` of a change).
    pub version: u32,
    /// Title.
    pub title: String,
    /// Kind (stable name): road-works, excavation, water-cut, power-cut, gas-cut,
    /// project, event, other.
    pub kind: String,
    /// Kind, in Turkish.
    pub kind_name: String,
    /// The unit doing it (code).
    pub unit: String,
    /// Its name.
    pub unit_name: Option<String>,
    /// Where: a GeoJSON Point, LineString, Polygon or MultiPolygon.
    #[schema(value_type = Object)]
    pub area: Shape,
    /// From (Europe/Istanbul, RFC 3339).
    pub starts_at: String,
    /// Until (Europe/Istanbul, RFC 3339).
    pub ends_at: String,
    /// Status (stable name): planned, ongoing, closed.
    pub status: String,
    /// Status, in Turkish.
    pub status_name: String,
    /// Whom to ask.
    pub contact: Option<String>,
    /// The muhtarlıklar whose boundary the area touches (codes).
    pub muhtarliklar: Vec<String>,
    /// Their names.
    pub muhtarlik_names: Vec<String>,
    /// Published (Europe/Istanbul).
    pub created_at: String,
    /// Last changed (Europe/Istanbul).
    pub updated_at: String,
}

impl WorkView {
    /// The view of `w` with the names of `org`.
    pub fn of(w: &Work, org: &Organisation) -> Self {
        WorkView {
            id: w.id.to_string(),
            version: w.version,
            title: w.title.clone(),
            kind: w.kind.as_str().to_owned(),
            kind_name: w.kind.display_name().to_owned(),
            unit: w.unit.as_str().to_owned(),
            unit_name: org.unit(&w.unit).map(|u| u.name.clone()),
            area: oriented(&w.area),
            starts_at: istanbul(w.starts_at),
            ends_at: istanbul(w.ends_at),
            status: w.status.as_str().to_owned(),
            status_name: w.status.display_name().to_owned(),
            contact: w.contact.clone(),
            muhtarliklar: w.muhtarliklar.iter().map(|m| m.to_string()).collect(),
            muhtarlik_names: w
                .muhtarliklar
                .iter()
                .map(|m| org.muhtarlik(m).map_or(m.to_string(), |x| x.name.clone()))
                .collect(),
            created_at: istanbul(w.created_at),
            updated_at: istanbul(w.updated_at),
        }
    }

    /// The view as an RFC 7946 Feature: the area as its geometry, the rest as properties.
    fn feature(self) -> serde_json::Value {
        serde_json::json!({
            "type": "Feature",
            "id": self.id,
            "geometry": self.area,
            "properties": {
                "id": self.id,
                "title": self.title,
                "kind": self.kind,
                "kind_name": self.kind_name,
                "unit": self.unit,
                "unit_name": self.unit_name,
                "starts_at": self.starts_at,
                "ends_at": self.ends_at,
                "status": self.status,
                "status_name": self.status_name,
                "contact": self.contact,
                "muhtarliklar": self.muhtarliklar,
                "muhtarlik_names": self.muhtarlik_names,
            },
        })
    }
}

/// A listing of works.
#[derive(Debug, Serialize, ToSchema)]
pub struct WorkList {
    /// The works, earliest start first.
    pub works: Vec<WorkView>,
}

/// Filters of a works listing (and of the GeoJSON layer).
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct WorkParams {
    /// Only this unit's works and those of the units below it.
    pub unit: Option<String>,
    /// Only works touching this muhtarlık.
    pub muhtarlik: Option<String>,
    /// Only these statuses, comma-separated (`planned,ongoing`).
    pub status: Option<String>,
    /// Only works whose area's bounding box meets this one: `minlon,minlat,maxlon,maxlat`.
    pub bbox: Option<String>,
    /// Only works not ended before this instant (RFC 3339).
    pub active_from: Option<DateTime<Utc>>,
    /// Only works started before this instant (RFC 3339).
    pub active_until: Option<DateTime<Utc>>,
    /// At most this many, 1 to 10000 (default 1000).
    pub limit: Option<u32>,
    /// Without a token: the tenant (default: the server's only tenant).
    pub tenant: Option<String>,
}

impl WorkParams {
    /// The query and the limit, each bad parameter named.
    fn query(&self, org: &Organisation) -> ApiResult<(WorkQuery, u32)> {
        let mut q = WorkQuery::default();
        if let Some(u) = &self.unit {
            let code = org
                .known_unit("unit", u)
                .map_err(|e| ApiError::invalid("unit", e.to_string()))?
                .code
                .clone();
            q.units = Some(org.subtree(&code));
        }
        if let Some(m) = &self.muhtarlik {
            q.muhtarlik = Some(
                MuhtarlikCode::new(m.clone())
                    .map_err(|e| ApiError::invalid("muhtarlik", e.to_string()))?,
            );
        }
        if let Some(st) = &self.status {
            q.statuses = Some(
                st.split(',')
                    .map(|s| {
                        s.trim()
                            .parse::<WorkStatus>()
                            .map_err(|e| ApiError::invalid("status", e.to_string()))
                    })
                    .collect::<ApiResult<_>>()?,
            );
        }
        if let Some(b) = &self.bbox {
            q.bbox = Some(BBox::parse(b).map_err(|e| ApiError::invalid("bbox", e.to_string()))?);
        }
        q.active_from = self.active_from;
        q.active_until = self.active_until;
        let limit = self.limit.unwrap_or(DEFAULT_WORKS);
        if limit == 0 || limit > muhtar_core::map::work::MAX_WORKS {
            return Err(ApiError::invalid("limit", "limit must be 1 to 10000"));
        }
        Ok((q, limit))
    }
}

/// The works a reader asks for, with the organisation their names come from.
async fn read_works(
    s: &AppState,
    actor: Option<Actor>,
    p: &WorkParams,
) -> ApiResult<(Arc<muhtar_core::service::TenantContext>, Vec<Work>)> {
    let actor = reader(s, actor, p.tenant.as_deref()).await?;
    let ctx = s.mbs.context(&actor.tenant).await?;
    let (q, limit) = p.query(&ctx.org)?;
    let works = s.mbs.works(&actor, &q, limit).await?;
    Ok((ctx, works))
}

/// List works (no token needed: works are public announcements), earliest start first.
#[utoipa::path(get, path = "/works", tag = "works", params(WorkParams),
    responses((status = 200, body = WorkList), (status = 401, body = ErrorBody),
        (status = 404, description = "No such tenant", body = ErrorBody),
        (status = 422, body = ErrorBody)),
    security((), ("bearer" = [])))]
pub async fn list_works(
    State(s): St,
    MaybeAuth(actor): MaybeAuth,
    Params(p): Params<WorkParams>,
) -> ApiResult<Json<WorkList>> {
    let (ctx, works) = read_works(&s, actor, &p).await?;
    Ok(Json(WorkList {
        works: works.iter().map(|w| WorkView::of(w, &ctx.org)).collect(),
    }))
}

/// The works as an RFC 7946 GeoJSON FeatureCollection (no token needed), with the
/// filters of `GET /works`: each work a Feature whose geometry is its area (`[lon, lat]`,
/// exterior rings counterclockwise) and whose properties are its id, title, kind and
/// kind_name, unit and unit_name, starts_at and ends_at (Europe/Istanbul), status and
/// status_name, contact and muhtarlıklar; nothing personal. QGIS and any GeoJSON reader
/// open it as a layer.
#[utoipa::path(get, path = "/map/works.geojson", tag = "works", params(WorkParams),
    responses((status = 200, description = "A GeoJSON FeatureCollection", content_type = "application/geo+json", body = Object),
        (status = 401, body = ErrorBody),
        (status = 404, description = "No such tenant", body = ErrorBody),
        (status = 422, body = ErrorBody)),
    security((), ("bearer" = [])))]
pub async fn works_geojson(
    State(s): St,
    MaybeAuth(actor): MaybeAuth,
    Params(p): Params<WorkParams>,
) -> ApiResult<Response> {
    let (ctx, works) = read_works(&s, actor, &p).await?;
    feature_collection(
        works
            .iter()
            .map(|w| WorkView::of(w, &ctx.org).feature())
            .collect(),
    )
}

/// One work as a GeoJSON FeatureCollection of one feature (the web work page's download).
pub(crate) async fn work_geojson(s: &AppState, actor: Actor, id: &str) -> ApiResult<Response> {
    let id = work_id(id)?;
    let ctx = s.mbs.context(&actor.tenant).await?;
    let w = s.mbs.work(&actor, id).await?;
    feature_collection(vec![WorkView::of(&w, &ctx.org).feature()])
}

/// Features as an `application/geo+json` FeatureCollection.
fn feature_collection(features: Vec<serde_json::Value>) -> ApiResult<Response> {
    let body = serde_json::json!({"type": "FeatureCollection", "features": features});
    Ok((
        [(header::CONTENT_TYPE, "application/geo+json")],
        serde_json::to_vec(&body).map_err(ApiError::internal)?,
    )
        .into_response())
}

fn work_id(s: &str) -> ApiResult<WorkId> {
    s.parse::<WorkId>()
        .map_err(|_| ApiError::not_found(format!("work {s}")).field("id"))
}

/// One work (no token needed).
#[utoipa::path(get, path = "/works/{id}", tag = "works",
    params(("id" = String, Path, description = "The work's id (UUID)"), TenantParams),
    responses((status = 200, body = WorkView), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody)),
    security((), ("bearer" = [])))]
pub async fn get_work(
    State(s): St,
    MaybeAuth(actor): MaybeAuth,
    Path(id): Path<String>,
    Params(p): Params<TenantParams>,
) -> ApiResult<Json<WorkView>> {
    let id = work_id(&id)?;
    let actor = reader(&s, actor, p.tenant.as_deref()).await?;
    let ctx = s.mbs.context(&actor.tenant).await?;
    let w = s.mbs.work(&actor, id).await?;
    Ok(Json(WorkView::of(&w, &ctx.org)))
}

/// A new work or announcement.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewWorkBody {
    /// The unit doing it (code).
    pub unit: String,
    /// Title: one line, at most 200 characters.
    pub title: String,
    /// Kind: road-works, excavation, water-cut, power-cut, gas-cut, project, event, other.
    #[schema(value_type = String)]
    pub kind: WorkKind,
    /// Where: a GeoJSON Point, LineString, Polygon or MultiPolygon inside Turkey
    /// (`[lon, lat]`).
    #[schema(value_type = Object)]
    pub area: Shape,
    /// From (RFC 3339).
    pub starts_at: DateTime<Utc>,
    /// Until (RFC 3339), after `starts_at`.
    pub ends_at: DateTime<Utc>,
    /// `planned` (default) or `ongoing`.
    #[schema(value_type = Option<String>)]
    pub status: Option<WorkStatus>,
    /// Whom to ask (public): a phone number or an office.
    pub contact: Option<String>,
}

/// Publish a work (the unit's staff, staff of a unit above it, the coordinator): the
/// muhtars of the muhtarlıklar its area touches are notified.
#[utoipa::path(post, path = "/works", tag = "works", request_body = NewWorkBody,
    responses((status = 201, description = "Published; `Location` is the work", body = WorkView),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 422, description = "A field is not accepted (named in `field`)", body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn create_work(
    State(s): St,
    crate::auth::Auth(actor): crate::auth::Auth,
    mount: Mount,
    JsonBody(b): JsonBody<NewWorkBody>,
) -> ApiResult<Response> {
    let unit =
        UnitCode::new(b.unit.as_str()).map_err(|e| ApiError::invalid("unit", e.to_string()))?;
    let mut new = NewWork::new(unit, b.title, b.kind, b.area, b.starts_at, b.ends_at)
        .with_status(b.status.unwrap_or(WorkStatus::Planned));
    new.contact = b.contact;
    let ctx = s.mbs.context(&actor.tenant).await?;
    let w = s.mbs.publish_work(&actor, new).await?;
    let location = mount.url(&format!("/api/v1/works/{}", w.id));
    Ok(super::submit::created(location, WorkView::of(&w, &ctx.org)))
}

/// A change to a work: the fields given replace the work's.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WorkChangeBody {
    /// Fail with 409 if the work is no longer at this version.
    pub expected_version: Option<u32>,
    /// A new title.
    pub title: Option<String>,
    /// A new kind.
    #[schema(value_type = Option<String>)]
    pub kind: Option<WorkKind>,
    /// A new area (GeoJSON geometry).
    #[schema(value_type = Option<Object>)]
    pub area: Option<Shape>,
    /// A new start (RFC 3339).
    pub starts_at: Option<DateTime<Utc>>,
    /// A new end (RFC 3339).
    pub ends_at: Option<DateTime<Utc>>,
    /// A new status: planned, ongoing (closed: as `POST /works/{id}/close`).
    #[schema(value_type = Option<String>)]
    pub status: Option<WorkStatus>,
    /// A new contact; empty removes it.
    pub contact: Option<String>,
}

/// Change a work (PATCH or POST): its end, status, title, area, …; the muhtars of the
/// muhtarlıklar it touched or touches now are notified.
#[utoipa::path(patch, path = "/works/{id}", tag = "works",
    params(("id" = String, Path, description = "The work's id (UUID)")),
    request_body = WorkChangeBody,
    responses((status = 200, description = "The work's next version", body = WorkView),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "Closed, or changed meanwhile", body = ErrorBody),
        (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn change_work(
    State(s): St,
    crate::auth::Auth(actor): crate::auth::Auth,
    Path(id): Path<String>,
    JsonBody(b): JsonBody<WorkChangeBody>,
) -> ApiResult<Json<WorkView>> {
    let id = work_id(&id)?;
    let mut c = WorkChange::new();
    c.title = b.title;
    c.kind = b.kind;
    c.area = b.area;
    c.starts_at = b.starts_at;
    c.ends_at = b.ends_at;
    c.status = b.status;
    c.contact = b.contact;
    let ctx = s.mbs.context(&actor.tenant).await?;
    let w = s
        .mbs
        .change_work(&actor, id, &c, b.expected_version)
        .await?;
    Ok(Json(WorkView::of(&w, &ctx.org)))
}

/// The body of a closing.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CloseWorkBody {
    /// Fail with 409 if the work is no longer at this version.
    pub expected_version: Option<u32>,
}

/// Close a work (finished or called off); its muhtars are notified.
#[utoipa::path(post, path = "/works/{id}/close", tag = "works",
    params(("id" = String, Path, description = "The work's id (UUID)")),
    request_body = CloseWorkBody,
    responses((status = 200, description = "The closed work", body = WorkView),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "Already closed, or changed meanwhile", body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn close_work(
    State(s): St,
    crate::auth::Auth(actor): crate::auth::Auth,
    Path(id): Path<String>,
    JsonBody(b): JsonBody<CloseWorkBody>,
) -> ApiResult<Json<WorkView>> {
    let id = work_id(&id)?;
    let ctx = s.mbs.context(&actor.tenant).await?;
    let w = s.mbs.close_work(&actor, id, b.expected_version).await?;
    Ok(Json(WorkView::of(&w, &ctx.org)))
}

/// Two works of different units in the same place at the same time.
#[derive(Debug, Serialize, ToSchema)]
pub struct ClashView {
    /// The earlier-starting work.
    pub first: WorkView,
    /// The other.
    pub second: WorkView,
    /// When both go on: from (Europe/Istanbul).
    pub from: String,
    /// Until (Europe/Istanbul).
    pub until: String,
}

/// The clashes among the works not closed and not over (the coordinator, the
/// responsible official, the auditor): pairs of works of different units whose times
/// overlap and whose areas meet (points and lines within 25 m).
#[utoipa::path(get, path = "/works/clashes", tag = "works",
    responses((status = 200, body = Vec<ClashView>), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn work_clashes(
    State(s): St,
    crate::auth::Auth(actor): crate::auth::Auth,
) -> ApiResult<Json<Vec<ClashView>>> {
    let ctx = s.mbs.context(&actor.tenant).await?;
    let clashes: Vec<WorkClash> = s.mbs.clashes(&actor).await?;
    Ok(Json(
        clashes
            .iter()
            .map(|c| ClashView {
                first: WorkView::of(&c.first_work, &ctx.org),
                second: WorkView::of(&c.second_work, &ctx.org),
                from: istanbul(c.clash.from),
                until: istanbul(c.clash.until),
            })
            .collect(),
    ))
}
