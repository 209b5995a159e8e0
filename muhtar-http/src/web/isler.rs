//! `/isler`: the units' works and announcements ("which body does what, where").
//!
//! - `GET /isler`: the works, as cards (kind, status, unit, time, muhtarlıklar); a
//!   muhtar sees those touching their muhtarlık, everybody else every work (works are
//!   public announcements). **Durum** filters (default: ongoing and planned).
//! - `GET|POST /isler/yeni`: unit staff and the coordinator publish a work:
//!   **Başlık**, **Tür**, **Birim**, **Başlangıç**, **Bitiş**, the place as **Enlem** and
//!   **Boylam** (a point) or **Alan (GeoJSON)** (a line or polygon), **İletişim**; the
//!   muhtarlıklar the area touches are notified (core's `Mbs::publish_work`). Errors at
//!   the field, the typed values kept.
//! - `GET /isler/{id}`: one work; **Kapat** (POST `/isler/{id}/kapat`, CSRF, the version
//!   shown) for those who may close it.
//! - `GET /isler/cakismalar`: the coordinator's list of clashes: works of different
//!   bodies overlapping in place and time (`Mbs::clashes`).

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use chrono::{DateTime, Utc};
use minijinja::context;
use muhtar_core::access::{authorize, Action, Actor, Role, Target};
use muhtar_core::calendar::local_time;
use muhtar_core::map::work::{NewWork, Work, WorkId, WorkKind, WorkQuery, WorkStatus};
use muhtar_core::map::Shape;
use muhtar_core::org::Organisation;
use muhtar_core::service::ServiceError;
use serde::Serialize;

use super::problem::{error_page, problem, service_error_page};
use super::session::{SignedIn, CSRF_FIELD};
use super::talepler::Choice;
use super::yeni::parse_local_at;
use super::{FieldError, Page};
use crate::mount::Mount;
use crate::AppState;

/// The fields of the new-work form (id = core's field name) and their labels.
const FIELDS: &[(&str, &str)] = &[
    ("title", "Başlık"),
    ("kind", "Tür"),
    ("unit", "Birim"),
    ("starts_at", "Başlangıç"),
    ("ends_at", "Bitiş"),
    ("lat", "Enlem"),
    ("lon", "Boylam"),
    ("area", "Alan (GeoJSON)"),
    ("contact", "İletişim"),
];

fn label(field: &str) -> Option<&'static str> {
    FIELDS.iter().find(|(f, _)| *f == field).map(|(_, l)| *l)
}

/// Most works a page lists.
const LIST_LIMIT: u32 = 500;

/// A work as the pages show it: names, Istanbul times.
#[derive(Debug, Serialize)]
pub struct WorkView {
    id: String,
    title: String,
    kind_name: &'static str,
    status_name: &'static str,
    unit_name: String,
    period: String,
    area_name: String,
    muhtarliklar: Vec<String>,
    contact: Option<String>,
    created: String,
    version: u32,
}

impl WorkView {
    /// The view of `w`, names from `org`.
    pub fn of(w: &Work, org: &Organisation) -> WorkView {
        use geo::Geometry as G;
        let area_name = match &w.area.0 {
            G::Point(p) => format!("Nokta (enlem {:.5}, boylam {:.5})", p.y(), p.x()),
            G::LineString(l) => format!("Hat ({} noktalı)", l.0.len()),
            G::Polygon(_) => "Alan (çokgen)".into(),
            G::MultiPolygon(m) => format!("{} alan (çokgen)", m.0.len()),
            _ => "Alan".into(),
        };
        WorkView {
            id: w.id.to_string(),
            title: w.title.clone(),
            kind_name: w.kind.display_name(),
            status_name: w.status.display_name(),
            unit_name: org
                .unit(&w.unit)
                .map_or_else(|| w.unit.to_string(), |u| u.name.clone()),
            period: period(w.starts_at, w.ends_at),
            area_name,
            muhtarliklar: w
                .muhtarliklar
                .iter()
                .map(|m| {
                    org.muhtarlik(m)
                        .map_or_else(|| m.to_string(), |x| x.name.clone())
                })
                .collect(),
            contact: w.contact.clone(),
            created: local_time(w.created_at),
            version: w.version,
        }
    }
}

/// `from – until`, Istanbul time.
fn period(from: DateTime<Utc>, until: DateTime<Utc>) -> String {
    format!("{} – {}", local_time(from), local_time(until))
}

/// The units `actor` may publish works for, as a select's options (hierarchy indented).
fn publishable_units(actor: &Actor, org: &Organisation) -> Vec<Choice> {
    super::talepler::unit_tree(org)
        .into_iter()
        .filter(|c| {
            c.value.parse().is_ok_and(|unit| {
                authorize(
                    actor,
                    Action::PublishWork,
                    &Target::Work {
                        tenant: &actor.tenant,
                        unit: &unit,
                    },
                    org,
                )
                .is_ok()
            })
        })
        .collect()
}

fn statuses() -> Vec<Choice> {
    WorkStatus::ALL
        .into_iter()
        .map(|s| Choice {
            value: s.as_str().into(),
            label: s.display_name().into(),
        })
        .collect()
}

/// `GET /isler`.
pub async fn list(
    State(s): State<Arc<AppState>>,
    mount: Mount,
    user: SignedIn,
    RawQuery(q): RawQuery,
) -> Response {
    let ctx = match user.context(&s, &mount).await {
        Ok(c) => c,
        Err(page) => return page,
    };
    let p = super::talepler::params(q.as_deref());
    let status = p.get("status").cloned().unwrap_or_default();
    let mut query = WorkQuery::default();
    query.statuses = Some(if status.is_empty() {
        vec![WorkStatus::Planned, WorkStatus::Ongoing]
    } else {
        match WorkStatus::from_name(&status) {
            Some(st) => vec![st],
            None => {
                return error_page(
                    &mount,
                    Some(&user),
                    StatusCode::BAD_REQUEST,
                    "Filtrede geçersiz bir durum var: formdan seçip yeniden deneyin.",
                )
            }
        }
    });
    let (title, lead, empty_text) = match &user.actor.role {
        Role::Muhtar(m) => {
            query.muhtarlik = Some(m.clone());
            (
                "Mahallemdeki çalışmalar",
                "Kurumların mahallenize değen yol, kazı, kesinti ve diğer çalışmaları.",
                "Mahallenize değen bir çalışma yok.",
            )
        }
        _ => (
            "Çalışmalar",
            "Kurumların yol, kazı, kesinti ve diğer çalışmaları, yerleri ve zamanlarıyla.",
            "Bu ölçütlere uyan çalışma yok.",
        ),
    };
    let works = match s.mbs.works(&user.actor, &query, LIST_LIMIT).await {
        Ok(w) => w,
        Err(e) => return service_error_page(&e, &mount, Some(&user)),
    };
    let can_clash = authorize(
        &user.actor,
        Action::ReadClashes,
        &Target::Works(&user.actor.tenant),
        &ctx.org,
    )
    .is_ok();
    let done = p.get("tamam").map(|_| "Çalışma kapatıldı.");
    Page::new("isler.html", title, &mount)
        .user(Some(&user))
        .render(context! {
            lead => lead,
            empty_text => empty_text,
            done => done,
            works => works.iter().map(|w| WorkView::of(w, &ctx.org)).collect::<Vec<_>>(),
            statuses => statuses(),
            status => status,
            can_publish => !publishable_units(&user.actor, &ctx.org).is_empty(),
            can_clash => can_clash,
        })
}

/// `GET /isler/yeni`.
pub async fn new_page(State(s): State<Arc<AppState>>, mount: Mount, user: SignedIn) -> Response {
    form(&s, &mount, &user, &HashMap::new(), Vec::new()).await
}

async fn form(
    s: &AppState,
    mount: &Mount,
    user: &SignedIn,
    typed: &HashMap<String, String>,
    errors: Vec<FieldError>,
) -> Response {
    let ctx = match user.context(s, mount).await {
        Ok(c) => c,
        Err(page) => return page,
    };
    let units = publishable_units(&user.actor, &ctx.org);
    if units.is_empty() {
        return error_page(
            mount,
            Some(user),
            StatusCode::FORBIDDEN,
            "Çalışma duyurmak için bir birimin personeli ya da koordinatör olmalısınız.",
        );
    }
    let kinds: Vec<Choice> = WorkKind::ALL
        .into_iter()
        .map(|k| Choice {
            value: k.as_str().into(),
            label: k.display_name().into(),
        })
        .collect();
    let e: HashMap<&str, String> = errors
        .iter()
        .map(|x| (x.field, x.message.clone()))
        .collect();
    let mut v: HashMap<&str, String> = FIELDS
        .iter()
        .map(|(f, _)| (*f, typed.get(*f).cloned().unwrap_or_default()))
        .collect();
    if v["unit"].is_empty() {
        if let Role::UnitStaff(own) = &user.actor.role {
            v.insert("unit", own.to_string());
        }
    }
    Page::new("is_yeni.html", "Yeni çalışma", mount)
        .user(Some(user))
        .status(FieldError::status_of(&errors))
        .errors(errors)
        .render(context! {
            csrf => user.csrf.as_str(),
            kinds => kinds,
            units => units,
            e => e,
            v => v,
        })
}

/// The typed form as a [`NewWork`], or the fields to correct (every one found).
fn new_work(f: &HashMap<String, String>) -> Result<NewWork, Vec<FieldError>> {
    let get = |k: &str| f.get(k).map(|v| v.trim()).unwrap_or_default();
    let mut errors = Vec::new();
    let mut need = |field: &'static str| {
        if get(field).is_empty() {
            errors.push(FieldError {
                field,
                message: format!("{} alanını doldurun", label(field).unwrap_or(field)),
            });
        }
    };
    need("title");
    need("kind");
    need("unit");
    need("starts_at");
    need("ends_at");
    let kind = WorkKind::from_name(get("kind"));
    if kind.is_none() && !get("kind").is_empty() {
        errors.push(FieldError {
            field: "kind",
            message: "Tür: listeden birini seçin".into(),
        });
    }
    let unit = get("unit").parse().ok();
    if unit.is_none() && !get("unit").is_empty() {
        errors.push(FieldError {
            field: "unit",
            message: "Birim: listeden birini seçin".into(),
        });
    }
    let mut time = |field: &'static str| {
        let t = get(field);
        if t.is_empty() {
            return None;
        }
        parse_local_at(t, field, label(field).unwrap_or(field))
            .map_err(|e| errors.push(e))
            .ok()
    };
    let (starts_at, ends_at) = (time("starts_at"), time("ends_at"));
    let area = area_of(get("lat"), get("lon"), get("area"))
        .map_err(|e| errors.push(e))
        .ok();
    match (kind, unit, starts_at, ends_at, area) {
        (Some(kind), Some(unit), Some(from), Some(until), Some(area)) if errors.is_empty() => {
            let mut w = NewWork::new(unit, get("title"), kind, area, from, until);
            if !get("contact").is_empty() {
                w = w.with_contact(get("contact"));
            }
            Ok(w)
        }
        _ => Err(errors),
    }
}

/// The place: a point from **Enlem** and **Boylam**, or the **Alan (GeoJSON)** geometry.
fn area_of(lat: &str, lon: &str, geojson: &str) -> Result<Shape, FieldError> {
    if !geojson.is_empty() {
        return serde_json::from_str::<Shape>(geojson).map_err(|_| FieldError {
            field: "area",
            message:
                "Alan (GeoJSON): bir GeoJSON geometrisi yapıştırın, örneğin \
                      {\"type\": \"LineString\", \"coordinates\": [[29.03, 41.03], [29.04, 41.04]]}"
                    .into(),
        });
    }
    match (lat, lon) {
        ("", "") => Err(FieldError {
            field: "lat",
            message: "Yer: enlem ve boylamı yazın ya da Alan (GeoJSON) alanına bir geometri \
                      yapıştırın"
                .into(),
        }),
        (lat, lon) => {
            let num = |t: &str, field: &'static str| {
                t.replace(',', ".").parse::<f64>().map_err(|_| FieldError {
                    field,
                    message: format!(
                        "{}: bir sayı yazın, örneğin {}",
                        label(field).unwrap_or(field),
                        if field == "lat" { "41.0369" } else { "29.0306" }
                    ),
                })
            };
            Ok(Shape::point(num(lon, "lon")?, num(lat, "lat")?))
        }
    }
}

/// `POST /isler/yeni`.
pub async fn create(
    State(s): State<Arc<AppState>>,
    mount: Mount,
    user: SignedIn,
    Form(typed): Form<HashMap<String, String>>,
) -> Response {
    if let Err(refused) = user.check_csrf(typed.get(CSRF_FIELD).map(String::as_str), &mount) {
        return refused;
    }
    let new = match new_work(&typed) {
        Ok(n) => n,
        Err(errors) => return form(&s, &mount, &user, &typed, errors).await,
    };
    match s.mbs.publish_work(&user.actor, new).await {
        Ok(w) => {
            Redirect::to(&mount.url(&format!("/isler/{}?tamam=yayimlandi", w.id))).into_response()
        }
        Err(e) => {
            let p = problem(&e, |f| label(if f == "area" { "area" } else { f }));
            match p.field_error() {
                Some(fe) => form(&s, &mount, &user, &typed, vec![fe]).await,
                None => error_page(&mount, Some(&user), p.status, &p.message),
            }
        }
    }
}

fn work_id(id: &str) -> Option<WorkId> {
    uuid::Uuid::parse_str(id).ok().map(WorkId)
}

fn not_found(mount: &Mount, user: &SignedIn) -> Response {
    error_page(
        mount,
        Some(user),
        StatusCode::NOT_FOUND,
        "Aradığınız çalışma bulunamadı.",
    )
}

/// `GET /isler/{id}`.
pub async fn page(
    State(s): State<Arc<AppState>>,
    mount: Mount,
    user: SignedIn,
    Path(id): Path<String>,
    RawQuery(q): RawQuery,
) -> Response {
    let Some(id) = work_id(&id) else {
        return not_found(&mount, &user);
    };
    let (ctx, work) = match (
        s.mbs.context(&user.actor.tenant).await,
        s.mbs.work(&user.actor, id).await,
    ) {
        (Ok(c), Ok(w)) => (c, w),
        (_, Err(ServiceError::NotFound(_))) => return not_found(&mount, &user),
        (Err(e), _) | (_, Err(e)) => return service_error_page(&e, &mount, Some(&user)),
    };
    let can_close = work.status != WorkStatus::Closed
        && authorize(
            &user.actor,
            Action::CloseWork,
            &Target::Work {
                tenant: &user.actor.tenant,
                unit: &work.unit,
            },
            &ctx.org,
        )
        .is_ok();
    let done = super::talepler::params(q.as_deref())
        .get("tamam")
        .map(|v| match v.as_str() {
            "yayimlandi" => format!(
                "Çalışma yayımlandı; {} mahallenin muhtarına bildirildi.",
                work.muhtarliklar.len()
            ),
            _ => "Çalışma kapatıldı; mahallelerin muhtarlarına bildirildi.".into(),
        });
    let title = work.title.clone();
    Page::new("is.html", &title, &mount)
        .user(Some(&user))
        .render(context! {
            w => WorkView::of(&work, &ctx.org),
            can_close => can_close,
            csrf => user.csrf.as_str(),
            done => done,
            geojson => mount.url(&format!("/harita/isler.geojson?id={}", work.id)),
        })
}

/// `POST /isler/{id}/kapat`.
pub async fn close(
    State(s): State<Arc<AppState>>,
    mount: Mount,
    user: SignedIn,
    Path(id): Path<String>,
    Form(typed): Form<HashMap<String, String>>,
) -> Response {
    if let Err(refused) = user.check_csrf(typed.get(CSRF_FIELD).map(String::as_str), &mount) {
        return refused;
    }
    let Some(id) = work_id(&id) else {
        return not_found(&mount, &user);
    };
    let version = typed.get("version").and_then(|v| v.parse().ok());
    match s.mbs.close_work(&user.actor, id, version).await {
        Ok(w) => {
            Redirect::to(&mount.url(&format!("/isler/{}?tamam=kapandi", w.id))).into_response()
        }
        Err(ServiceError::NotFound(_)) => not_found(&mount, &user),
        Err(e) => service_error_page(&e, &mount, Some(&user)),
    }
}

/// `GET /isler/cakismalar`.
pub async fn clashes(State(s): State<Arc<AppState>>, mount: Mount, user: SignedIn) -> Response {
    let ctx = match user.context(&s, &mount).await {
        Ok(c) => c,
        Err(page) => return page,
    };
    let found = match s.mbs.clashes(&user.actor).await {
        Ok(c) => c,
        Err(e) => return service_error_page(&e, &mount, Some(&user)),
    };
    let clashes: Vec<_> = found
        .iter()
        .map(|c| {
            context! {
                period => period(c.clash.from, c.clash.until),
                first => WorkView::of(&c.first_work, &ctx.org),
                second => WorkView::of(&c.second_work, &ctx.org),
            }
        })
        .collect();
    Page::new("cakismalar.html", "Çakışmalar", &mount)
        .user(Some(&user))
        .render(context! { clashes => clashes })
}
