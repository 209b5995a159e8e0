//! `/meclis/toplantilar`: the council's meetings (issue 24). The muhtar schedules one
//! (**Toplantı ekle**: date and time in Istanbul time, place, agenda items one a line),
//! then on its page ticks who attended and writes the minutes (**Tutanak**, **Tutanağı
//! kaydet**): recording them holds the meeting, and from then on its page shows the
//! minutes and the attendance frozen, read-only, with the minutes' SHA-256. Members and
//! the back office's readers read the meetings without forms.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Path, RawQuery, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use chrono::{DateTime, Utc};
use minijinja::context;
use muhtar_core::access::Action;
use muhtar_core::calendar::local_time;
use muhtar_core::clock::Clock;
use muhtar_core::council::{Meeting, MeetingId, MemberId, NewMeeting, ProposalId, ProposalStatus};
use muhtar_core::service::ServiceError;
use serde::Serialize;

use super::meclis::{council_of, council_page, may, not_found, own, query_of};
use super::problem::{error_page, input_message, problem, service_error_page};
use super::session::{SignedIn, CSRF_FIELD};
use super::talepler::params;
use super::yeni::parse_local_at;
use super::{FieldError, Page};
use crate::mount::Mount;
use crate::AppState;

/// The fields of the meeting forms (id = core's field name) and their labels.
const FIELDS: &[(&str, &str)] = &[
    ("at", "Tarih ve saat"),
    ("place", "Yer"),
    ("agenda", "Gündem maddeleri"),
    ("proposals", "Gündemdeki öneriler"),
    ("minutes", "Tutanak"),
];

fn label(field: &str) -> Option<&'static str> {
    FIELDS.iter().find(|(f, _)| *f == field).map(|(_, l)| *l)
}

/// A meeting as the lists show it.
#[derive(Debug, Serialize)]
pub(super) struct MeetingRow {
    id: String,
    at: String,
    place: String,
    held: bool,
    status_name: &'static str,
    agenda: Vec<String>,
    /// The proposals of the first agenda items, in order.
    proposals: Vec<String>,
}

impl MeetingRow {
    pub(super) fn of(m: &Meeting, now: DateTime<Utc>) -> Self {
        MeetingRow {
            id: m.id.to_string(),
            at: local_time(m.at),
            place: m.place.clone(),
            held: m.held,
            status_name: if m.held {
                "Yapıldı, tutanağı kayıtlı"
            } else if now < m.at {
                "Planlandı"
            } else {
                "Tutanak bekleniyor"
            },
            agenda: m.agenda.clone(),
            proposals: m.proposals.iter().map(ToString::to_string).collect(),
        }
    }
}

/// A failed call's problem at a field of the form (`Ok`), or the whole page's (`Err`).
fn at_field(e: &ServiceError) -> Result<FieldError, super::problem::Problem> {
    if let ServiceError::Input(i) = e {
        if let Some((f, l)) = FIELDS.iter().find(|(f, _)| *f == i.field()) {
            return Ok(FieldError {
                field: f,
                message: input_message(i, l),
            });
        }
    }
    let p = problem(e, label);
    p.field_error().ok_or(p)
}

fn errors_by_field(errors: &[FieldError]) -> HashMap<&'static str, String> {
    errors
        .iter()
        .map(|x| (x.field, x.message.clone()))
        .collect()
}

/// `GET /meclis/toplantilar`.
pub async fn list(
    State(s): State<Arc<AppState>>,
    mount: Mount,
    user: SignedIn,
    RawQuery(q): RawQuery,
) -> Response {
    let p = params(q.as_deref());
    let done = p.contains_key("tamam").then_some("Toplantı eklendi.");
    list_form(
        &s,
        &mount,
        &user,
        council_of(&user, &p),
        &HashMap::new(),
        Vec::new(),
        done,
    )
    .await
}

async fn list_form(
    s: &AppState,
    mount: &Mount,
    user: &SignedIn,
    muhtarlik: Option<String>,
    typed: &HashMap<String, String>,
    errors: Vec<FieldError>,
    done: Option<&str>,
) -> Response {
    let (ctx, code, name) =
        match council_page(s, mount, user, muhtarlik, "/meclis/toplantilar").await {
            Ok(x) => x,
            Err(page) => return page,
        };
    let (meetings, proposals) = match tokio::try_join!(
        s.mbs.meetings(&user.actor, &code),
        s.mbs.proposals(&user.actor, &code),
    ) {
        Ok(x) => x,
        Err(e) => return service_error_page(&e, mount, Some(user)),
    };
    // The proposals on the council's agenda, to put on a meeting's.
    let agenda_proposals: Vec<_> = proposals
        .iter()
        .filter(|p| p.status == ProposalStatus::OnAgenda)
        .map(|p| {
            let key = format!("oneri-{}", p.id);
            context! { id => p.id.to_string(), title => p.title.clone(), checked => typed.contains_key(&key) }
        })
        .collect();
    let now = s.mbs.clock().now();
    let v: HashMap<&str, String> = ["at", "place", "agenda"]
        .into_iter()
        .map(|f| (f, typed.get(f).cloned().unwrap_or_default()))
        .collect();
    let title = format!("Meclis toplantıları: {name}");
    Page::new("toplantilar.html", &title, mount)
        .user(Some(user))
        .status(FieldError::status_of(&errors))
        .errors(errors.clone())
        .render(context! {
            query => query_of(user, &code),
            can_manage => may(&user.actor, Action::ManageCouncil, &code, &ctx.org),
            meetings => meetings.iter().map(|m| MeetingRow::of(m, now)).collect::<Vec<_>>(),
            agenda_proposals => agenda_proposals,
            csrf => user.csrf.as_str(),
            done => done,
            e => errors_by_field(&errors),
            v => v,
        })
}

/// The typed meeting form as a [`NewMeeting`], or the fields to correct.
fn new_meeting(f: &HashMap<String, String>) -> Result<NewMeeting, Vec<FieldError>> {
    let get = |k: &str| f.get(k).map(|v| v.trim()).unwrap_or_default();
    let mut errors = Vec::new();
    let at = match get("at") {
        "" => {
            errors.push(FieldError {
                field: "at",
                message: "Tarih ve saat alanını doldurun".into(),
            });
            None
        }
        t => parse_local_at(t, "at", "Tarih ve saat")
            .map_err(|e| errors.push(e))
            .ok(),
    };
    if get("place").is_empty() {
        errors.push(FieldError {
            field: "place",
            message: "Yer alanını doldurun".into(),
        });
    }
    let agenda: Vec<String> = get("agenda")
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect();
    // The proposals ticked (`oneri-<id>`), in the order they were made (ids are v7).
    let mut proposals: Vec<ProposalId> = f
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .filter_map(|(k, _)| k.strip_prefix("oneri-")?.parse().ok())
        .collect();
    proposals.sort();
    if agenda.is_empty() && proposals.is_empty() {
        errors.push(FieldError {
            field: "agenda",
            message: "Gündem maddeleri: en az bir madde yazın, her satıra bir madde".into(),
        });
    }
    match at {
        Some(at) if errors.is_empty() => Ok(NewMeeting {
            at,
            place: get("place").into(),
            agenda,
            proposals,
        }),
        _ => Err(errors),
    }
}

/// `POST /meclis/toplantilar`.
pub async fn create(
    State(s): State<Arc<AppState>>,
    mount: Mount,
    user: SignedIn,
    Form(typed): Form<HashMap<String, String>>,
) -> Response {
    if let Err(refused) = user.check_csrf(typed.get(CSRF_FIELD).map(String::as_str), &mount) {
        return refused;
    }
    let m = match own(&user, &mount) {
        Ok(m) => m,
        Err(page) => return page,
    };
    let back = Some(m.to_string());
    let new = match new_meeting(&typed) {
        Ok(n) => n,
        Err(errors) => return list_form(&s, &mount, &user, back, &typed, errors, None).await,
    };
    match s.mbs.add_meeting(&user.actor, &m, new).await {
        Ok(x) => Redirect::to(&mount.url(&format!("/meclis/toplantilar/{}?tamam=eklendi", x.id)))
            .into_response(),
        Err(e) => match at_field(&e) {
            Ok(fe) => list_form(&s, &mount, &user, back, &typed, vec![fe], None).await,
            Err(p) => error_page(&mount, Some(&user), p.status, &p.message),
        },
    }
}

const MISSING: &str = "Aradığınız toplantı bulunamadı.";

/// `GET /meclis/toplantilar/{id}`.
pub async fn page(
    State(s): State<Arc<AppState>>,
    mount: Mount,
    user: SignedIn,
    Path(id): Path<String>,
    RawQuery(q): RawQuery,
) -> Response {
    let done = params(q.as_deref()).get("tamam").map(|v| match v.as_str() {
        "eklendi" => "Toplantı eklendi.",
        "katilim" => "Katılım kaydedildi.",
        _ => "Tutanak kaydedildi; toplantı yapıldı olarak kapandı, tutanak artık değişmez.",
    });
    show(&s, &mount, &user, &id, done, None, Vec::new()).await
}

async fn show(
    s: &AppState,
    mount: &Mount,
    user: &SignedIn,
    id: &str,
    done: Option<&str>,
    typed: Option<&HashMap<String, String>>,
    errors: Vec<FieldError>,
) -> Response {
    let Ok(mid) = id.parse::<MeetingId>() else {
        return not_found(mount, user, MISSING);
    };
    let ctx = match user.context(s, mount).await {
        Ok(c) => c,
        Err(page) => return page,
    };
    let m = match s.mbs.meeting(&user.actor, mid).await {
        Ok(m) => m,
        Err(ServiceError::NotFound(_)) => return not_found(mount, user, MISSING),
        Err(e) => return service_error_page(&e, mount, Some(user)),
    };
    let roll = match s.mbs.roll(&user.actor, &m.muhtarlik).await {
        Ok(r) => r,
        Err(e) => return service_error_page(&e, mount, Some(user)),
    };
    let now = s.mbs.clock().now();
    let manage = may(&user.actor, Action::ManageCouncil, &m.muhtarlik, &ctx.org);
    // The attendance as ticked: the typed form's on a refusal, else the stored one.
    let ticked = |id: &MemberId| match typed {
        Some(t) => t.contains_key(&format!("uye-{id}")),
        None => m.attendance.contains(id),
    };
    let members: Vec<_> = roll
        .iter()
        .filter(|r| r.active_at(m.at) || m.attendance.contains(&r.id))
        .map(|r| context! { id => r.id.to_string(), name => r.name.clone(), ticked => ticked(&r.id) })
        .collect();
    let attended: Vec<String> = roll
        .iter()
        .filter(|r| m.attendance.contains(&r.id))
        .map(|r| r.name.clone())
        .collect();
    let minutes_typed = typed
        .and_then(|t| t.get("minutes").cloned())
        .unwrap_or_default();
    let title = format!("Meclis toplantısı: {}", local_time(m.at));
    Page::new("toplanti.html", &title, mount)
        .user(Some(user))
        .status(FieldError::status_of(&errors))
        .errors(errors.clone())
        .render(context! {
            m => MeetingRow::of(&m, now),
            members => members,
            attended => attended,
            minutes => m.minutes.as_ref().map(|x| context! {
                lines => x.text.lines().map(str::to_owned).collect::<Vec<_>>(),
                recorded => local_time(x.recorded_at),
                sha256 => x.sha256.clone(),
            }),
            can_record => manage && !m.held,
            time_come => now >= m.at,
            query => query_of(user, &m.muhtarlik),
            done => done,
            csrf => user.csrf.as_str(),
            e => errors_by_field(&errors),
            v => HashMap::from([("minutes", minutes_typed)]),
        })
}

/// `POST /meclis/toplantilar/{id}`: the muhtar saves the ticked attendance
/// (**Katılımı kaydet**) and, with **Tutanağı kaydet** (`islem=tutanak`), the minutes,
/// which hold the meeting.
pub async fn record(
    State(s): State<Arc<AppState>>,
    mount: Mount,
    user: SignedIn,
    Path(id): Path<String>,
    Form(typed): Form<HashMap<String, String>>,
) -> Response {
    if let Err(refused) = user.check_csrf(typed.get(CSRF_FIELD).map(String::as_str), &mount) {
        return refused;
    }
    let Ok(mid) = id.parse::<MeetingId>() else {
        return not_found(&mount, &user, MISSING);
    };
    let minutes = typed
        .get("islem")
        .is_some_and(|i| i == "tutanak")
        .then(|| typed.get("minutes").map(|v| v.trim()).unwrap_or_default());
    if minutes == Some("") {
        let e = FieldError {
            field: "minutes",
            message: "Tutanak alanını doldurun".into(),
        };
        return show(&s, &mount, &user, &id, None, Some(&typed), vec![e]).await;
    }
    let attendance: Vec<MemberId> = typed
        .keys()
        .filter_map(|k| k.strip_prefix("uye-"))
        .filter_map(|m| m.parse().ok())
        .collect();
    let mut result = s
        .mbs
        .set_attendance(&user.actor, mid, &attendance)
        .await
        .map(|_| "katilim");
    if let (Ok(_), Some(text)) = (&result, minutes) {
        result = s
            .mbs
            .record_minutes(&user.actor, mid, text)
            .await
            .map(|_| "tutanak");
    }
    match result {
        Ok(done) => Redirect::to(&mount.url(&format!("/meclis/toplantilar/{id}?tamam={done}")))
            .into_response(),
        Err(ServiceError::NotFound(_)) => not_found(&mount, &user, MISSING),
        Err(e) => match at_field(&e) {
            Ok(fe) => show(&s, &mount, &user, &id, None, Some(&typed), vec![fe]).await,
            Err(p) if p.status == axum::http::StatusCode::CONFLICT => {
                let fe = FieldError {
                    field: "minutes",
                    message: p.message,
                };
                show(&s, &mount, &user, &id, None, Some(&typed), vec![fe]).await
            }
            Err(p) => error_page(&mount, Some(&user), p.status, &p.message),
        },
    }
}
