//! `/talepler` (the requests a person may see) and `/kuyruk` (a unit's work queue).
//!
//! - `GET /talepler`: the requests the signed-in person may see, through `Mbs::list`
//!   (`Mbs::list_overdue` with **Yalnızca süresi geçenler**), the same as REST
//!   `GET /api/v1/requests`: a muhtar sees their own ("Taleplerim"), unit staff their
//!   unit's and those below it, the back office all. Filters are a GET form of selects
//!   by display name (**Durum**, **Kategori**, **Birim**, **Muhtarlık**) and a
//!   checkbox; 50 rows a page, **Sonraki sayfa** continues after the last row (the
//!   store's cursor).
//! - `GET /kuyruk`: a unit's open requests, urgent (İVEDİ) first, then earliest
//!   deadline, through `Mbs::queue` (REST `GET /units/{unit}/queue`); unit staff see
//!   their own unit by default, **Birim** picks one below it (the back office: any).
//!   With **Kategori** or **Yalnızca süresi geçenler** the same unit subtree is listed
//!   through `Mbs::list`/`Mbs::list_overdue` in deadline order.
//!
//! Each row shows the tracking number (a link to the request page), the subject, the
//! status, unit, muhtarlık and category by name and the deadline in Europe/Istanbul
//! time; **İVEDİ**, **Süresi geçti** and **Süresi yaklaşıyor** are words on the row
//! (not colour alone). "Süresi yaklaşıyor" is the policy's warning window
//! (`at_risk_working_days`) by date, without reading each request's history (one
//! store query per page).

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{RawQuery, State};
use axum::response::Response;
use chrono::{DateTime, NaiveDate, Utc};
use minijinja::context;
use muhtar_core::access::{Actor, Role};
use muhtar_core::calendar::{local_date, local_time};
use muhtar_core::ids::{MuhtarlikCode, UnitCode};
use muhtar_core::org::Organisation;
use muhtar_core::request::Status;
use muhtar_core::service::{ServiceError, TenantContext};
use muhtar_core::store::{Cursor, Order, Page as StorePage, RequestQuery, RequestRecord};
use serde::Serialize;

use super::problem::service_error_page;
use super::session::SignedIn;
use super::Page;
use crate::mount::Mount;
use crate::AppState;

/// Rows on a page of a listing.
pub const PAGE_SIZE: u32 = 50;

/// An option of a select: its value and the text people read.
#[derive(Debug, Clone, Serialize)]
pub struct Choice {
    /// The value posted (a code or stable name).
    pub value: String,
    /// The display name (units of a tree: indented by their depth).
    pub label: String,
}

/// The organisation's active units as a tree: parents before their children, each
/// label indented with "— " per level, so a select shows the hierarchy.
pub fn unit_tree(org: &Organisation) -> Vec<Choice> {
    let mut children: HashMap<Option<&UnitCode>, Vec<&muhtar_core::org::Unit>> = HashMap::new();
    for u in org.units.iter().filter(|u| u.active) {
        let parent = u
            .parent
            .as_ref()
            .filter(|p| org.unit(p).is_some_and(|x| x.active));
        children.entry(parent).or_default().push(u);
    }
    let mut out = Vec::new();
    let mut stack: Vec<(&muhtar_core::org::Unit, usize)> = children
        .get(&None)
        .map(|v| v.iter().rev().map(|u| (*u, 0)).collect())
        .unwrap_or_default();
    while let Some((u, depth)) = stack.pop() {
        out.push(Choice {
            value: u.code.to_string(),
            label: format!("{}{}", "— ".repeat(depth), u.name),
        });
        if let Some(kids) = children.get(&Some(&u.code)) {
            stack.extend(kids.iter().rev().map(|k| (*k, depth + 1)));
        }
    }
    out
}

/// The last local date of a due date that is within each policy's warning window
/// today (`at_risk_working_days - 1` working days after today), by policy name.
pub struct RiskHorizon {
    horizons: HashMap<String, NaiveDate>,
    now: DateTime<Utc>,
}

impl RiskHorizon {
    /// The horizons of the tenant's policies at `now`.
    pub fn new(ctx: &TenantContext, now: DateTime<Utc>) -> Self {
        let today = local_date(now);
        let horizons = ctx
            .policies
            .iter()
            .filter(|p| p.at_risk_working_days > 0)
            .filter_map(|p| {
                ctx.calendar
                    .business_days(p.count_mode())
                    .add_business_days(today, p.at_risk_working_days - 1)
                    .ok()
                    .map(|d| (p.name.clone(), d))
            })
            .collect();
        RiskHorizon { horizons, now }
    }

    /// Whether an open request's resolution deadline has passed.
    pub fn overdue(&self, r: &RequestRecord) -> bool {
        r.state.status.is_open() && r.deadlines.resolution_due.is_some_and(|d| d < self.now)
    }

    /// Whether an open, running request is not overdue but within its policy's window.
    pub fn at_risk(&self, r: &RequestRecord) -> bool {
        let running = r.state.status.is_open() && r.state.status != Status::Paused;
        match (running, r.deadlines.resolution_due) {
            (true, Some(due)) if due >= self.now => self
                .horizons
                .get(&r.state.policy)
                .is_some_and(|h| local_date(due) <= *h),
            _ => false,
        }
    }
}

/// A row of a listing, as the templates show it.
#[derive(Debug, Serialize)]
pub struct Row {
    tracking: String,
    subject: String,
    status_name: &'static str,
    unit_name: String,
    muhtarlik_name: String,
    category_name: String,
    due: Option<String>,
    urgent: bool,
    overdue: bool,
    at_risk: bool,
    municipal_council: bool,
}

impl Row {
    /// The row of `r`, names from `org`.
    pub fn of(r: &RequestRecord, org: &Organisation, risk: &RiskHorizon) -> Row {
        let s = &r.state;
        Row {
            tracking: s.tracking.to_string(),
            subject: s.content.subject.clone(),
            status_name: s.status.display_name(),
            unit_name: s
                .unit
                .as_ref()
                .map(|u| org.unit(u).map_or(u.to_string(), |x| x.name.clone()))
                .unwrap_or_else(|| "-".into()),
            muhtarlik_name: org
                .muhtarlik(&s.content.muhtarlik)
                .map_or(s.content.muhtarlik.to_string(), |m| m.name.clone()),
            category_name: org
                .category(&s.content.category)
                .map_or(s.content.category.clone(), |c| c.name.clone()),
            due: r.deadlines.resolution_due.map(local_time),
            urgent: s.content.priority.is_urgent(),
            overdue: risk.overdue(r),
            at_risk: risk.at_risk(r),
            municipal_council: s.content.municipal_council,
        }
    }
}

/// The query string's parameters, in order (later ones win).
pub(crate) fn params(q: Option<&str>) -> HashMap<String, String> {
    q.map(|q| {
        form_urlencoded::parse(q.as_bytes())
            .into_owned()
            .filter(|(_, v)| !v.is_empty())
            .collect()
    })
    .unwrap_or_default()
}

/// The filters of a listing as typed (kept in the form) and the link of the next page.
#[derive(Debug, Default, Serialize)]
pub(crate) struct Filters {
    status: String,
    category: String,
    unit: String,
    muhtarlik: String,
    overdue: bool,
}

impl Filters {
    pub(crate) fn of(p: &HashMap<String, String>) -> Filters {
        let get = |k: &str| p.get(k).cloned().unwrap_or_default();
        Filters {
            status: get("status"),
            category: get("category"),
            unit: get("unit"),
            muhtarlik: get("muhtarlik"),
            overdue: p.contains_key("overdue"),
        }
    }

    /// The query string of these filters with the cursor `after`.
    fn next_link(&self, path: &str, after: &Cursor) -> String {
        let mut q = form_urlencoded::Serializer::new(String::new());
        for (k, v) in [
            ("status", &self.status),
            ("category", &self.category),
            ("unit", &self.unit),
            ("muhtarlik", &self.muhtarlik),
        ] {
            if !v.is_empty() {
                q.append_pair(k, v);
            }
        }
        if self.overdue {
            q.append_pair("overdue", "1");
        }
        q.append_pair("after", &after.0);
        format!("{path}?{}", q.finish())
    }
}

/// The list's links by status: every request, the open ones, the answered ones, the
/// finished ones (closed, withdrawn, merged).
fn status_links() -> Vec<Choice> {
    [
        ("", "Tümü"),
        ("open", "Cevap bekleyenler"),
        ("answered", "Cevaplananlar"),
        ("closed,withdrawn,merged", "Kapananlar"),
    ]
    .into_iter()
    .map(|(value, label)| Choice {
        value: value.into(),
        label: label.into(),
    })
    .collect()
}

/// The selects' options: statuses, categories, units (a tree) and muhtarlıklar.
pub(crate) fn choices(org: &Organisation) -> minijinja::Value {
    let statuses: Vec<Choice> = std::iter::once(Choice {
        value: Status::OPEN.into(),
        label: "Açık (cevap bekleyen)".into(),
    })
    .chain(Status::ALL.into_iter().map(|s| Choice {
        value: s.as_str().into(),
        label: s.display_name().into(),
    }))
    .collect();
    let categories: Vec<Choice> = org
        .categories
        .iter()
        .map(|c| Choice {
            value: c.code.clone(),
            label: c.name.clone(),
        })
        .collect();
    let muhtarliklar: Vec<Choice> = org
        .muhtarliklar
        .iter()
        .filter(|m| m.active)
        .map(|m| Choice {
            value: m.code.to_string(),
            label: format!("{} ({})", m.name, m.district),
        })
        .collect();
    context! {
        statuses => statuses,
        categories => categories,
        units => unit_tree(org),
        muhtarliklar => muhtarliklar,
    }
}

/// A filter value that is not one of the form's options: shown as "no such value".
fn bad_filter(mount: &Mount, user: &SignedIn, what: &str) -> Response {
    super::problem::error_page(
        mount,
        Some(user),
        axum::http::StatusCode::BAD_REQUEST,
        &format!("Filtrede geçersiz bir {what} var: formdan seçip yeniden deneyin."),
    )
}

/// What a list page starts from: the query's parameters, the filters read from them and
/// the tenant's context (or the error page).
async fn listing(
    s: &AppState,
    mount: &Mount,
    user: &SignedIn,
    q: Option<&str>,
) -> Result<(HashMap<String, String>, Filters, Arc<TenantContext>), Response> {
    let p = params(q);
    let f = Filters::of(&p);
    let ctx = s
        .mbs
        .context(&user.actor.tenant)
        .await
        .map_err(|e| service_error_page(&e, mount, Some(user)))?;
    Ok((p, f, ctx))
}

/// `GET /talepler`: the requests the person may see, filtered and paged.
pub async fn list(
    State(s): State<Arc<AppState>>,
    mount: Mount,
    user: SignedIn,
    RawQuery(q): RawQuery,
) -> Response {
    let (p, f, ctx) = match listing(&s, &mount, &user, q.as_deref()).await {
        Ok(l) => l,
        Err(page) => return page,
    };
    let mut query = RequestQuery {
        limit: PAGE_SIZE,
        order: Order::Deadline,
        after: p.get("after").map(|a| Cursor(a.clone())),
        ..RequestQuery::default()
    };
    if !f.status.is_empty() {
        match Status::parse_filter(&f.status) {
            Ok(st) => query.statuses = Some(st),
            Err(_) => return bad_filter(&mount, &user, "durum"),
        }
    }
    if !f.category.is_empty() {
        if ctx.org.category(&f.category).is_none() {
            return bad_filter(&mount, &user, "kategori");
        }
        query.category = Some(f.category.clone());
    }
    if !f.unit.is_empty() {
        match known_unit(&ctx.org, &f.unit) {
            Some(u) => query.units = Some(ctx.org.subtree(&u)),
            None => return bad_filter(&mount, &user, "birim"),
        }
    }
    if !f.muhtarlik.is_empty() {
        match MuhtarlikCode::new(f.muhtarlik.clone()) {
            Ok(m) => query.muhtarlik = Some(m),
            Err(_) => return bad_filter(&mount, &user, "muhtarlık"),
        }
    }
    let page = if f.overdue {
        s.mbs.list_overdue(&user.actor, query).await
    } else {
        s.mbs.list(&user.actor, query).await
    };
    let mine = matches!(user.actor.role, Role::Muhtar(_));
    let title = if mine { "Taleplerim" } else { "Talepler" };
    // After an action that took the request out of sight (a transfer): its confirmation.
    let done = p
        .get("tamam")
        .and_then(|v| super::talep_sayfasi::confirmation(v))
        .map(|text| context! { text => text, tracking => p.get("takip") });
    render_rows(
        &s,
        &mount,
        &user,
        &ctx,
        page,
        title,
        "talepler.html",
        |after| f.next_link(&mount.url("/talepler"), after),
    )
    .render_with(context! {
        done => done,
        status_links => status_links(),
        filters => f,
        choices => choices(&ctx.org),
        mine => mine,
    })
}

/// The rendered rows of a page of a listing, or the error page of its failure.
enum Rows<'a> {
    Ok {
        page: Page<'a>,
        rows: Vec<Row>,
        next: Option<String>,
    },
    Failed(Response),
}

impl Rows<'_> {
    fn render_with(self, data: minijinja::Value) -> Response {
        match self {
            Rows::Ok { page, rows, next } => page.render(context! {
                rows => rows,
                next => next,
                ..data
            }),
            Rows::Failed(r) => r,
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn render_rows<'a>(
    s: &AppState,
    mount: &'a Mount,
    user: &SignedIn,
    ctx: &TenantContext,
    page: Result<StorePage<RequestRecord>, ServiceError>,
    title: &'a str,
    template: &'static str,
    next_link: impl Fn(&Cursor) -> String,
) -> Rows<'a> {
    let page = match page {
        Ok(p) => p,
        Err(e) => return Rows::Failed(service_error_page(&e, mount, Some(user))),
    };
    let risk = RiskHorizon::new(ctx, s.mbs.clock().now());
    let rows = page
        .items
        .iter()
        .map(|r| Row::of(r, &ctx.org, &risk))
        .collect();
    Rows::Ok {
        page: Page::new(template, title, mount).user(Some(user)),
        rows,
        next: page.next.as_ref().map(next_link),
    }
}

/// The unit of the organisation with the code `text`, if it has one.
fn known_unit(org: &Organisation, text: &str) -> Option<UnitCode> {
    UnitCode::new(text.to_owned())
        .ok()
        .filter(|u| org.unit(u).is_some())
}

/// The unit whose queue `actor` sees without choosing: their own (unit staff), else
/// the tenant's coordinating unit.
fn default_unit(actor: &Actor, org: &Organisation) -> UnitCode {
    match &actor.role {
        Role::UnitStaff(u) => u.clone(),
        _ => org.tenant.coordinator_unit.clone(),
    }
}

/// `GET /kuyruk`: a unit's open requests, earliest deadline first.
pub async fn queue(
    State(s): State<Arc<AppState>>,
    mount: Mount,
    user: SignedIn,
    RawQuery(q): RawQuery,
) -> Response {
    let (p, f, ctx) = match listing(&s, &mount, &user, q.as_deref()).await {
        Ok(l) => l,
        Err(page) => return page,
    };
    let unit = if f.unit.is_empty() {
        default_unit(&user.actor, &ctx.org)
    } else {
        match known_unit(&ctx.org, &f.unit) {
            Some(u) => u,
            None => return bad_filter(&mount, &user, "birim"),
        }
    };
    if !f.category.is_empty() && ctx.org.category(&f.category).is_none() {
        return bad_filter(&mount, &user, "kategori");
    }
    let after = p.get("after").map(|a| Cursor(a.clone()));
    let page = if f.category.is_empty() && !f.overdue {
        s.mbs.queue(&user.actor, &unit, PAGE_SIZE, after).await
    } else {
        let query = RequestQuery {
            units: Some(ctx.org.subtree(&unit)),
            statuses: Some(Status::open()),
            category: (!f.category.is_empty()).then(|| f.category.clone()),
            order: Order::Deadline,
            limit: PAGE_SIZE,
            after,
            ..RequestQuery::default()
        };
        if f.overdue {
            s.mbs.list_overdue(&user.actor, query).await
        } else {
            s.mbs.list(&user.actor, query).await
        }
    };
    // The units the person may pick: their own subtree (unit staff), else every unit.
    let units: Vec<Choice> = match &user.actor.role {
        Role::UnitStaff(mine) => {
            let sub = ctx.org.subtree(mine);
            unit_tree(&ctx.org)
                .into_iter()
                .filter(|c| sub.iter().any(|u| u.as_str() == c.value))
                .collect()
        }
        _ => unit_tree(&ctx.org),
    };
    let unit_name = ctx
        .org
        .unit(&unit)
        .map_or(unit.to_string(), |u| u.name.clone());
    let f = Filters {
        unit: unit.to_string(),
        ..f
    };
    let choices = choices(&ctx.org);
    render_rows(
        &s,
        &mount,
        &user,
        &ctx,
        page,
        "İş kuyruğu",
        "kuyruk.html",
        |after| f.next_link(&mount.url("/kuyruk"), after),
    )
    .render_with(context! {
        filters => f,
        unit_name => unit_name,
        units => units,
        categories => choices.get_attr("categories").ok(),
    })
}
