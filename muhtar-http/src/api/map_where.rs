//! `GET /api/v1/map/where?lat=..&lon=..`: the muhtarlık whose boundary holds a point, so
//! back-office entry can suggest it (the tenant's boundaries, `Boundaries::muhtarlik_at`).

use super::*;

/// Whether the actor enters requests for others: the coordinator's staff and unit staff
/// (what `/talep/yeni` calls back-office entry).
pub fn back_office(actor: &Actor) -> bool {
    matches!(actor.role, Role::Coordinator | Role::UnitStaff(_))
}

/// The point asked about.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct WhereParams {
    /// Latitude (WGS 84, inside Turkey).
    pub lat: f64,
    /// Longitude (WGS 84, inside Turkey).
    pub lon: f64,
}

/// The muhtarlık a point lies in.
#[derive(Debug, Serialize, ToSchema)]
pub struct WhereView {
    /// Its code.
    pub muhtarlik: String,
    /// Its name, e.g. `Kuzguncuk Mahallesi`.
    pub name: String,
}

/// The muhtarlık whose boundary holds a point (the first by code where boundaries meet):
/// for back-office entry (coordinator, unit staff), which suggests it.
#[utoipa::path(get, path = "/map/where", tag = "map", params(WhereParams),
    responses(
        (status = 200, body = WhereView),
        (status = 401, body = ErrorBody),
        (status = 403, description = "Not back-office staff (coordinator, unit staff)", body = ErrorBody),
        (status = 404, description = "No muhtarlık's boundary holds the point (or the tenant has no boundaries)", body = ErrorBody),
        (status = 422, description = "Coordinates not numbers or outside Turkey (named in `field`)", body = ErrorBody),
    ),
    security(("bearer" = [])))]
pub async fn map_where(
    State(s): St,
    Auth(actor): Auth,
    Params(p): Params<WhereParams>,
) -> ApiResult<Json<WhereView>> {
    if !back_office(&actor) {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "only back-office staff (coordinator, unit staff) look up the muhtarlık of a point",
        ));
    }
    muhtar_core::request::Location {
        lat: p.lat,
        lon: p.lon,
    }
    .check()
    .map_err(|e| ApiError::invalid(e.field().trim_start_matches("location."), e.to_string()))?;
    let ctx = s.mbs.context(&actor.tenant).await?;
    let code = ctx
        .org
        .boundaries
        .muhtarlik_at(p.lon, p.lat)
        .ok_or_else(|| {
            ApiError::not_found(format!(
                "a muhtarlık whose boundary holds ({}, {})",
                p.lat, p.lon
            ))
        })?;
    Ok(Json(WhereView {
        muhtarlik: code.to_string(),
        name: ctx
            .org
            .muhtarlik(code)
            .map(|m| m.name.clone())
            .unwrap_or_else(|| code.to_string()),
    }))
}
