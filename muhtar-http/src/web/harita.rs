//! `/harita`: the map. Muhtarlık boundaries (with open and overdue counts), the requests
//! the person may see as clustered points, and the units' works, over the tenant's tile
//! server (`[map]` in the settings, OpenStreetMap's standard tiles by default).
//!
//! - The page is a GET form of the list's filters (**Durum**, **Kategori**, **Birim**,
//!   **Muhtarlık** (not for a muhtar, who sees their own), **Yalnızca süresi geçenler**)
//!   and a map container whose `data-*` attributes name the three GeoJSON layers with
//!   those filters. `harita.js` draws them with Leaflet and Leaflet.markercluster, both
//!   vendored into the binary (`web/static/vendor/`, licences kept and linked).
//! - Without JavaScript the container says so and the layers are links to the GeoJSON
//!   files (RFC 7946), which QGIS opens as they are.
//! - The layers are read through the person's session (`/harita/*.geojson`), so each
//!   role sees what its scope allows: a muhtar their neighbourhood, unit staff their
//!   units' requests, the back office everything.
//! - The page's Content-Security-Policy is the pages' own plus the tile server's origin
//!   under `img-src` ([`page_csp`]); the origin is checked when the settings are
//!   installed (`MapSettings::check`), so nothing else can enter the policy. With no tile
//!   server reachable, or `tiles = ""`, the layers still show on a plain background.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{RawQuery, State};
use axum::http::header::{self, HeaderValue};
use axum::response::{IntoResponse, Response};
use minijinja::context;
use muhtar_core::access::Role;

use crate::api::{MapParams, MaybeAuth, Params, WorkParams};

use super::session::SignedIn;
use super::talepler::{choices, params, Filters};
use super::{asset_path, Page, SECURITY_HEADERS};
use crate::mount::Mount;
use crate::AppState;

/// The page's policy: the pages' policy with `img-src` also allowing `tiles` (a CSP source
/// such as `https://tile.openstreetmap.org`, already checked).
pub fn page_csp(tiles: Option<&str>) -> String {
    let base = SECURITY_HEADERS
        .iter()
        .find(|(n, _)| *n == "content-security-policy")
        .map(|(_, v)| *v)
        .unwrap_or_default();
    match tiles {
        Some(t) => base.replacen(
            "img-src 'self' blob:",
            &format!("img-src 'self' blob: {t}"),
            1,
        ),
        None => base.to_owned(),
    }
}

/// `GET /harita`.
pub async fn page(
    State(s): State<Arc<AppState>>,
    mount: Mount,
    user: SignedIn,
    RawQuery(q): RawQuery,
) -> Response {
    let ctx = match user.context(&s, &mount).await {
        Ok(c) => c,
        Err(page) => return page,
    };
    let f = Filters::of(&params(q.as_deref()));
    let query = q.as_deref().unwrap_or("");
    let layer = |name: &str| {
        let url = mount.url(&format!("/harita/{name}.geojson"));
        if query.is_empty() {
            url
        } else {
            format!("{url}?{query}")
        }
    };
    let mine = matches!(user.actor.role, Role::Muhtar(_));
    let lead = match &user.actor.role {
        Role::Muhtar(_) => "Mahallenizin sınırı, talepleriniz ve mahallenizdeki çalışmalar.",
        Role::UnitStaff(_) => "Biriminizin talepleri, mahalle sınırları ve kurumların çalışmaları.",
        _ => "Bütün talepler, mahalle sınırları ve kurumların çalışmaları.",
    };
    let map = &ctx.settings.map;
    let asset = |stem: &str, ext: &str| mount.url(asset_path(stem, ext));
    let mut res = Page::new("harita.html", "Harita", &mount)
        .user(Some(&user))
        .render(context! {
            lead => lead,
            mine => mine,
            filters => f,
            choices => choices(&ctx.org),
            data => context! {
                requests => layer("talepler"),
                areas => mount.url("/harita/muhtarliklar.geojson"),
                works => layer("isler"),
            },
            tiles => context! {
                url => map.tile_url().unwrap_or(""),
                attribution => map.attribution(),
            },
            assets => context! {
                leaflet_css => asset("leaflet", "css"),
                leaflet_js => asset("leaflet", "js"),
                cluster_css => asset("markercluster", "css"),
                cluster_js => asset("markercluster", "js"),
                harita_js => asset("harita", "js"),
                leaflet_license => asset("leaflet-license", "txt"),
                cluster_license => asset("markercluster-license", "txt"),
            },
        });
    if let Ok(v) = HeaderValue::from_str(&page_csp(map.csp_source().as_deref())) {
        res.headers_mut().insert(header::CONTENT_SECURITY_POLICY, v);
    }
    res
}

/// The map page's filters as the API's parameters: the form's empty choices dropped,
/// the checkbox's `overdue=1` as `true`, anything else ignored.
fn filters(q: Option<&str>) -> HashMap<String, String> {
    params(q)
        .into_iter()
        .filter(|(k, _)| {
            matches!(
                k.as_str(),
                "status" | "category" | "unit" | "muhtarlik" | "overdue" | "id"
            )
        })
        .collect()
}

/// `GET /harita/talepler.geojson`: `GET /api/v1/map/requests.geojson` as the signed-in
/// person (their role's scope), with the page's filters.
pub async fn requests_layer(
    State(s): State<Arc<AppState>>,
    user: SignedIn,
    RawQuery(q): RawQuery,
) -> Response {
    let f = filters(q.as_deref());
    let p = MapParams {
        status: f.get("status").cloned(),
        category: f.get("category").cloned(),
        unit: f.get("unit").cloned(),
        muhtarlik: f.get("muhtarlik").cloned(),
        overdue: f.contains_key("overdue").then_some(true),
        ..MapParams::default()
    };
    crate::api::requests_geojson(State(s), MaybeAuth(Some(user.actor)), Params(p))
        .await
        .into_response()
}

/// `GET /harita/muhtarliklar.geojson`: the boundaries with the counts the person's role
/// sees (a muhtar: their own muhtarlık).
pub async fn areas_layer(State(s): State<Arc<AppState>>, user: SignedIn) -> Response {
    crate::api::muhtarliklar_geojson(
        State(s),
        MaybeAuth(Some(user.actor)),
        Params(crate::api::TenantParams::default()),
    )
    .await
    .into_response()
}

/// `GET /harita/isler.geojson`: the works not closed (a muhtar: those touching their
/// muhtarlık; with the page's **Birim**, that unit's), or with `id` one work whatever its
/// status (the work page's download).
pub async fn works_layer(
    State(s): State<Arc<AppState>>,
    user: SignedIn,
    RawQuery(q): RawQuery,
) -> Response {
    let f = filters(q.as_deref());
    if let Some(id) = f.get("id") {
        return crate::api::work_geojson(&s, user.actor, id)
            .await
            .into_response();
    }
    let p = WorkParams {
        unit: f.get("unit").cloned(),
        muhtarlik: match &user.actor.role {
            Role::Muhtar(m) => Some(m.to_string()),
            _ => f.get("muhtarlik").cloned(),
        },
        status: Some("planned,ongoing".into()),
        ..WorkParams::default()
    };
    crate::api::works_geojson(State(s), MaybeAuth(Some(user.actor)), Params(p))
        .await
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_policy_adds_only_the_tile_origin_to_images() {
        let p = page_csp(Some("https://tile.openstreetmap.org"));
        assert!(
            p.contains("img-src 'self' blob: https://tile.openstreetmap.org;"),
            "{p}"
        );
        assert!(p.contains("script-src 'self';"), "{p}");
        assert!(p.contains("frame-ancestors 'none'"), "{p}");
        assert_eq!(page_csp(None).matches("img-src 'self' blob:;").count(), 1);
    }
}
