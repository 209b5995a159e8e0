//! `/rapor`: the quarterly report (Genelge 2015/8 item 7) for officials, coordinators,
//! auditors and administrators, its sign-off by the responsible official and the signed
//! versions.
//!
//! - `GET /rapor[?ceyrek=2026Q3]`: a quarter chooser (**Çeyrek**, button **Göster**; the
//!   last ended quarter by default), the report's totals, a link to the printable report,
//!   the sign-off form for the official (**Not**, button **Onayla**; ended quarters only)
//!   and the list of signed versions, each linked. Auditors and the others read the same
//!   page without the form.
//! - `POST /rapor/onayla` (CSRF): [`Mbs::sign_report`](muhtar_core::service::Mbs::sign_report)
//!   for the whole tenant; then `303` back to `/rapor` with the new version named. A missing
//!   or too long note is an error at **Not**; whoever may not sign gets 403.
//! - `GET /rapor/belge?ceyrek=…` and `GET /rapor/imzali/{id}`: core's printable HTML
//!   report ([`render::html`], [`render::render_signed_marked`]: A4 print styles, charts,
//!   definitions and the signature block): the quarter's draft, or its latest signed
//!   version compared with today's data once signed ([`render::render_signed_checked`],
//!   as `muhtar report --quarter`); a signed version as signed. It carries its own style
//!   sheet inline, so these two answers get a Content-Security-Policy of their own that
//!   allows exactly those styles by their SHA-256 ([`document_csp`]) and nothing else: no
//!   script, no other style, no image, no frame.

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use minijinja::context;
use muhtar_core::access::RoleKind;
use muhtar_core::calendar::local_time;
use muhtar_core::report::render::{self, CsvOptions, Format};
use muhtar_core::report::{Quarter, ReportError};
use muhtar_core::service::ServiceError;
use serde::{Deserialize, Serialize};

pub use crate::csp::{document_csp, document_response};

use super::problem::{error_page, service_error_page};
use super::session::SignedIn;
use super::{FieldError, Page};
use crate::mount::Mount;
use crate::AppState;

/// The `id` and `name` of the quarter chooser.
pub const QUARTER_FIELD: &str = "ceyrek";
/// The `id` and `name` of the sign-off note.
pub const NOTE_FIELD: &str = "not";

/// How many quarters the chooser offers (the current one and those before it).
const QUARTERS: usize = 8;

/// The query of `GET /rapor`.
#[derive(Debug, Default, Deserialize)]
pub struct ReportQuery {
    ceyrek: Option<String>,
    onaylandi: Option<String>,
}

/// What `POST /rapor/onayla` posts.
#[derive(Debug, Default, Deserialize)]
pub struct SignForm {
    csrf: Option<String>,
    ceyrek: Option<String>,
    not: Option<String>,
}

/// A signed version as the list shows it.
#[derive(Debug, Serialize)]
struct SignedRow {
    id: String,
    quarter: String,
    version: u32,
    correction: bool,
    signed_by: String,
    signed_at: String,
    note: String,
}

/// The quarter the page shows when none is chosen: the last one that has ended.
fn default_quarter(now: chrono::DateTime<chrono::Utc>) -> Quarter {
    Quarter::containing(now).previous()
}

/// A report's problem in Turkish: the field at fault (the note) or none.
fn report_problem(e: &ReportError) -> (Option<&'static str>, String) {
    match e {
        ReportError::NoteRequired => (
            Some(NOTE_FIELD),
            "Not alanını doldurun: onayın notu zorunludur (düzeltmede neyin düzeltildiği)".into(),
        ),
        ReportError::NoteTooLong { max } => (
            Some(NOTE_FIELD),
            format!("Not en çok {max} karakter olabilir"),
        ),
        ReportError::QuarterNotOver { quarter, end } => (
            None,
            format!(
                "{quarter} çeyreği henüz bitmedi ({} tarihinde biter): yalnızca biten çeyreğin \
                 raporu onaylanır",
                local_time(*end)
            ),
        ),
        ReportError::InvalidQuarter(_) => (
            Some(QUARTER_FIELD),
            "Çeyrek geçersiz: listeden bir çeyrek seçin".into(),
        ),
        _ => (
            None,
            "Rapor hazırlanamadı: sistem yöneticisine bildirin".into(),
        ),
    }
}

/// What the page shows beside the report: the chosen quarter and what was typed.
struct View<'a> {
    quarter: Quarter,
    note: &'a str,
    errors: Vec<FieldError>,
    status: StatusCode,
    signed_now: Option<&'a str>,
}

async fn render_page(s: &AppState, mount: &Mount, user: &SignedIn, v: View<'_>) -> Response {
    let mbs = &s.mbs;
    let report = match mbs.report(&user.actor, v.quarter, None).await {
        Ok(r) => r,
        Err(e) => return service_error_page(&e, mount, Some(user)),
    };
    let mut signed = match mbs.signed_reports(&user.actor).await {
        Ok(list) => list,
        Err(e) => return service_error_page(&e, mount, Some(user)),
    };
    signed.retain(|r| r.unit.is_none());
    signed.sort_by_key(|r| std::cmp::Reverse((r.quarter, r.version)));
    let rows: Vec<SignedRow> = signed
        .iter()
        .map(|r| SignedRow {
            id: r.id.to_string(),
            quarter: r.quarter.to_string(),
            version: r.version,
            correction: r.supersedes.is_some(),
            signed_by: r
                .official
                .as_ref()
                .map(|o| o.name.clone())
                .unwrap_or_else(|| r.signed_by.clone()),
            signed_at: local_time(r.signed_at),
            note: r.note.clone(),
        })
        .collect();
    let now = mbs.clock().now();
    let mut quarters = Vec::with_capacity(QUARTERS);
    let mut q = Quarter::containing(now);
    for _ in 0..QUARTERS {
        quarters.push(q.to_string());
        q = q.previous();
    }
    let may_sign = user.actor.role.kind() == RoleKind::ResponsibleOfficial;
    let ended = now >= v.quarter.end();
    let signed_now = v.signed_now.and_then(|id| rows.iter().find(|r| r.id == id));
    let t = &report.totals;
    let totals = [
        ("Alınan talep", t.received),
        ("Olumlu sonuçlanan", t.positive),
        ("Olumsuz sonuçlanan", t.negative),
        ("Dönem sonunda açık", t.open_at_end),
        ("Süresinde cevaplanan", t.answered_on_time),
        ("Süresi geçtikten sonra cevaplanan", t.answered_late),
        ("Dönem sonunda süresi geçmiş", t.overdue_at_end),
        ("Önceki dönemden devreden", t.carried_over),
    ];
    let field_error = |f: &str| FieldError::message_of(&v.errors, f);
    let note_error = field_error(NOTE_FIELD);
    let quarter_error = field_error(QUARTER_FIELD);
    Page::new("rapor.html", "Üç aylık rapor", mount)
        .status(v.status)
        .user(Some(user))
        .errors(v.errors)
        .render(context! {
            quarter => v.quarter.to_string(),
            quarters => quarters,
            report_title => format!("{} – {} raporu", report.tenant_name, report.label()),
            official => report.responsible_official.as_ref().map(|o| o.name.clone()),
            totals => totals,
            signed => rows,
            signed_now => signed_now,
            may_sign => may_sign,
            ended => ended,
            quarter_end => local_time(v.quarter.end()),
            note => v.note,
            note_error => note_error,
            quarter_error => quarter_error,
        })
}

/// `GET /rapor[?ceyrek=…]`: the report page.
pub async fn page(
    State(s): State<Arc<AppState>>,
    mount: Mount,
    user: SignedIn,
    Query(q): Query<ReportQuery>,
) -> Response {
    let default = default_quarter(s.mbs.clock().now());
    let (quarter, errors, status) = match q.ceyrek.as_deref().map(str::parse::<Quarter>) {
        None => (default, Vec::new(), StatusCode::OK),
        Some(Ok(q)) => (q, Vec::new(), StatusCode::OK),
        Some(Err(e)) => {
            let (_, message) = report_problem(&e);
            let error = FieldError {
                field: QUARTER_FIELD,
                message,
            };
            (default, vec![error], StatusCode::BAD_REQUEST)
        }
    };
    let view = View {
        quarter,
        note: "",
        errors,
        status,
        signed_now: q.onaylandi.as_deref(),
    };
    render_page(&s, &mount, &user, view).await
}

/// `POST /rapor/onayla`: signs the chosen quarter's report with the note.
pub async fn sign(
    State(s): State<Arc<AppState>>,
    mount: Mount,
    user: SignedIn,
    Form(f): Form<SignForm>,
) -> Response {
    if let Err(refused) = user.check_csrf(f.csrf.as_deref(), &mount) {
        return refused;
    }
    let Ok(quarter) = f.ceyrek.as_deref().unwrap_or("").parse::<Quarter>() else {
        return error_page(
            &mount,
            Some(&user),
            StatusCode::BAD_REQUEST,
            "Çeyrek geçersiz: raporu listeden bir çeyrek seçerek yeniden açın.",
        );
    };
    let note = f.not.as_deref().unwrap_or("");
    match s.mbs.sign_report(&user.actor, quarter, None, note).await {
        Ok(signed) => {
            Redirect::to(&mount.url(&format!("/rapor?ceyrek={quarter}&onaylandi={}", signed.id)))
                .into_response()
        }
        Err(ServiceError::Report(e)) => match report_problem(&e) {
            (Some(field), message) => {
                let view = View {
                    quarter,
                    note,
                    errors: vec![FieldError { field, message }],
                    status: StatusCode::BAD_REQUEST,
                    signed_now: None,
                };
                render_page(&s, &mount, &user, view).await
            }
            (None, message) => error_page(&mount, Some(&user), StatusCode::CONFLICT, &message),
        },
        Err(e) => service_error_page(&e, &mount, Some(&user)),
    }
}

/// `GET /rapor/belge?ceyrek=…`: the printable draft report of the quarter.
pub async fn document(
    State(s): State<Arc<AppState>>,
    mount: Mount,
    user: SignedIn,
    Query(q): Query<ReportQuery>,
) -> Response {
    let quarter = match q.ceyrek.as_deref().map(str::parse::<Quarter>) {
        None => default_quarter(s.mbs.clock().now()),
        Some(Ok(q)) => q,
        Some(Err(_)) => {
            return error_page(
                &mount,
                Some(&user),
                StatusCode::BAD_REQUEST,
                "Çeyrek geçersiz: raporu listeden bir çeyrek seçerek açın.",
            )
        }
    };
    // A signed quarter prints as signed, compared with today's data (as `muhtar report`).
    match s.mbs.signed_quarter(&user.actor, quarter, None).await {
        Ok(Some(q)) => {
            return document_response(render::render_signed_checked(
                &q.signed,
                &q.check,
                Format::Html,
                CsvOptions::default(),
                &q.corrections,
            ))
        }
        Ok(None) => {}
        Err(e) => return service_error_page(&e, &mount, Some(&user)),
    }
    match s.mbs.report(&user.actor, quarter, None).await {
        Ok(r) => document_response(render::html(&r)),
        Err(e) => service_error_page(&e, &mount, Some(&user)),
    }
}

/// `GET /rapor/imzali/{id}`: a signed version as signed, with its correction marks.
pub async fn signed_document(
    State(s): State<Arc<AppState>>,
    mount: Mount,
    user: SignedIn,
    Path(id): Path<String>,
) -> Response {
    let all = match s.mbs.signed_reports_marked(&user.actor).await {
        Ok(all) => all,
        Err(e) => return service_error_page(&e, &mount, Some(&user)),
    };
    match all.iter().find(|(r, _)| r.id.to_string() == id) {
        Some((r, marks)) => document_response(render::render_signed_marked(
            r,
            Format::Html,
            CsvOptions::default(),
            marks,
        )),
        None => error_page(
            &mount,
            Some(&user),
            StatusCode::NOT_FOUND,
            "Bu imzalı rapor bulunamadı.",
        ),
    }
}
