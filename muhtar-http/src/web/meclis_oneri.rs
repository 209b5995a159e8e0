//! `/meclis/oneriler`: the council's proposals (issue 24): the list with support counts
//! and status, **Yeni öneri** (**Başlık**, **Öneri metni**, optional **Enlem** and
//! **Boylam**), and a proposal's page with **Destekle**, the comments and **Yorum yaz**;
//! the muhtar's **Gündeme al** and **Gizle** (with a reason: a hidden comment reads "Bu
//! yorum muhtar tarafından gizlendi: …", its text kept on record).
//!
//! A council member proposes, supports and comments as themselves; the muhtar writes as
//! the muhtar (recording for a member is the CLI's and the API's). Readers of the back
//! office see them without forms (`?muhtarlik=`). Every call is core's, which authorizes.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use minijinja::context;
use muhtar_core::access::{Action, Actor, Role};
use muhtar_core::calendar::local_time;
use muhtar_core::council::{
    Author, Comment, CommentId, NewProposal, Proposal, ProposalId, ProposalStatus, PublicMember,
};
use muhtar_core::ids::MuhtarlikCode;
use muhtar_core::request::{InputError, Location};
use muhtar_core::service::ServiceError;
use serde::Serialize;

use super::meclis::{council_of, council_page, may, not_found, query_of};
use super::problem::{error_page, input_message, problem, service_error_page};
use super::session::{SignedIn, CSRF_FIELD};
use super::talepler::{params, Choice};
use super::{FieldError, Page};
use crate::mount::Mount;
use crate::AppState;

/// The fields of the proposal forms (id = core's field name) and their labels.
const FIELDS: &[(&str, &str)] = &[
    ("title", "Başlık"),
    ("text", "Öneri metni"),
    ("location.lat", "Enlem"),
    ("location.lon", "Boylam"),
    ("comment", "Yorumunuz"),
    ("hidden_comment", "Gizlenecek yorum"),
    ("reason", "Gizleme nedeni"),
];

fn label(field: &str) -> Option<&'static str> {
    FIELDS.iter().find(|(f, _)| *f == field).map(|(_, l)| *l)
}

/// A proposal as the pages show it.
#[derive(Debug, Serialize)]
pub(super) struct ProposalRow {
    id: String,
    title: String,
    status_name: &'static str,
    on_agenda: bool,
    supports: u32,
    created: String,
    agenda: Option<String>,
}

impl ProposalRow {
    pub(super) fn of(p: &Proposal) -> Self {
        ProposalRow {
            id: p.id.to_string(),
            title: p.title.clone(),
            status_name: p.status.display_name(),
            on_agenda: p.status == ProposalStatus::OnAgenda,
            supports: p.supports,
            created: local_time(p.created_at),
            agenda: p.on_agenda_at.map(|at| {
                let why = p.agenda_reason.map_or("", |r| r.display_name());
                format!("{} ({why})", local_time(at))
            }),
        }
    }
}

/// Who wrote it, as people read it: a member's name from the roll, or the muhtar.
fn author_name(a: &Author, roll: &[PublicMember]) -> String {
    match a {
        Author::Member(id) => roll
            .iter()
            .find(|m| m.id == *id)
            .map_or_else(|| "Meclis üyesi".into(), |m| m.name.clone()),
        _ => "Muhtar".into(),
    }
}

/// The author a person writes as: a member as themselves, anyone else as the muhtar
/// (core refuses who may not).
fn writing_as(actor: &Actor) -> Author {
    actor.member_id().map_or(Author::Muhtar, Author::Member)
}

/// Whether the actor writes proposals (a member of the council or its muhtar).
fn may_write(actor: &Actor, m: &MuhtarlikCode, org: &muhtar_core::org::Organisation) -> bool {
    let action = match actor.role {
        Role::Member(_) => Action::Participate,
        _ => Action::ManageCouncil,
    };
    may(actor, action, m, org)
}

/// `GET /meclis/oneriler`.
pub async fn list(
    State(s): State<Arc<AppState>>,
    mount: Mount,
    user: SignedIn,
    RawQuery(q): RawQuery,
) -> Response {
    let p = params(q.as_deref());
    let (ctx, code, name) =
        match council_page(&s, &mount, &user, council_of(&user, &p), "/meclis/oneriler").await {
            Ok(x) => x,
            Err(page) => return page,
        };
    let proposals = match s.mbs.proposals(&user.actor, &code).await {
        Ok(p) => p,
        Err(e) => return service_error_page(&e, &mount, Some(&user)),
    };
    let title = format!("Meclis önerileri: {name}");
    Page::new("oneriler.html", &title, &mount)
        .user(Some(&user))
        .render(context! {
            query => query_of(&user, &code),
            can_write => may_write(&user.actor, &code, &ctx.org),
            proposals => proposals.iter().map(ProposalRow::of).collect::<Vec<_>>(),
        })
}

/// `GET /meclis/oneriler/yeni`.
pub async fn new_page(State(s): State<Arc<AppState>>, mount: Mount, user: SignedIn) -> Response {
    new_form(&s, &mount, &user, &HashMap::new(), Vec::new()).await
}

async fn new_form(
    s: &AppState,
    mount: &Mount,
    user: &SignedIn,
    typed: &HashMap<String, String>,
    errors: Vec<FieldError>,
) -> Response {
    if writer_council(user).is_none() {
        return refused(mount, user);
    }
    if let Err(page) = user.context(s, mount).await {
        return page;
    }
    let e: HashMap<&str, String> = errors
        .iter()
        .map(|x| (x.field, x.message.clone()))
        .collect();
    let v: HashMap<&str, String> = ["title", "text", "location.lat", "location.lon"]
        .into_iter()
        .map(|f| (f, typed.get(f).cloned().unwrap_or_default()))
        .collect();
    Page::new("oneri_yeni.html", "Yeni öneri", mount)
        .user(Some(user))
        .status(FieldError::status_of(&errors))
        .errors(errors)
        .render(context! { csrf => user.csrf.as_str(), e => e, v => v })
}

/// The council a person writes to: a member's or the muhtar's own.
fn writer_council(user: &SignedIn) -> Option<MuhtarlikCode> {
    match &user.actor.role {
        Role::Muhtar(m) | Role::Member(m) => Some(m.clone()),
        _ => None,
    }
}

fn refused(mount: &Mount, user: &SignedIn) -> Response {
    error_page(
        mount,
        Some(user),
        StatusCode::FORBIDDEN,
        "Öneriyi meclisin üyeleri ve muhtar yazar; siz yalnızca görebilirsiniz.",
    )
}

/// The typed coordinates as a location (both or neither), or the field to correct.
fn location(f: &HashMap<String, String>) -> Result<Option<Location>, FieldError> {
    let coordinate = |field: &'static str| -> Result<Option<f64>, FieldError> {
        let t = f.get(field).map(|v| v.trim()).unwrap_or_default();
        if t.is_empty() {
            return Ok(None);
        }
        t.replace(',', ".")
            .parse::<f64>()
            .map(Some)
            .map_err(|_| FieldError {
                field,
                message: format!(
                    "{} bir sayı olmalı, örneğin {}",
                    label(field).unwrap_or(field),
                    if field == "location.lat" {
                        "41,0255"
                    } else {
                        "29,0330"
                    }
                ),
            })
    };
    match (coordinate("location.lat")?, coordinate("location.lon")?) {
        (Some(lat), Some(lon)) => Ok(Some(Location { lat, lon })),
        (None, None) => Ok(None),
        (lat, _) => Err(FieldError {
            field: if lat.is_none() {
                "location.lat"
            } else {
                "location.lon"
            },
            message: "Konum için Enlem ve Boylam'ı birlikte yazın (ya da ikisini de boş bırakın)"
                .into(),
        }),
    }
}

/// A failed call's problem at a field of the form (`Ok`), or the whole page's (`Err`).
fn at_field(e: &ServiceError) -> Result<FieldError, super::problem::Problem> {
    if let ServiceError::Input(i) = e {
        if let Some(l) = label(i.field()) {
            let message = match i {
                InputError::Invalid { .. } if i.field() == "title" => {
                    format!("{l} tek satır olmalı")
                }
                _ => input_message(i, l),
            };
            return Ok(FieldError {
                field: FIELDS
                    .iter()
                    .map(|(f, _)| *f)
                    .find(|f| *f == i.field())
                    .unwrap_or("title"),
                message,
            });
        }
    }
    let p = problem(e, label);
    p.field_error().ok_or(p)
}

/// `POST /meclis/oneriler`.
pub async fn create(
    State(s): State<Arc<AppState>>,
    mount: Mount,
    user: SignedIn,
    Form(typed): Form<HashMap<String, String>>,
) -> Response {
    if let Err(refused) = user.check_csrf(typed.get(CSRF_FIELD).map(String::as_str), &mount) {
        return refused;
    }
    let Some(code) = writer_council(&user) else {
        return refused(&mount, &user);
    };
    let get = |k: &str| typed.get(k).map(|v| v.trim()).unwrap_or_default();
    let mut errors = Vec::new();
    for (f, l) in [("title", "Başlık"), ("text", "Öneri metni")] {
        if get(f).is_empty() {
            errors.push(FieldError {
                field: f,
                message: format!("{l} alanını doldurun"),
            });
        }
    }
    let location = location(&typed).map_err(|e| errors.push(e)).ok().flatten();
    if !errors.is_empty() {
        return new_form(&s, &mount, &user, &typed, errors).await;
    }
    let new = NewProposal {
        author: writing_as(&user.actor),
        title: get("title").into(),
        text: get("text").into(),
        location,
    };
    match s.mbs.propose(&user.actor, &code, new).await {
        Ok(p) => Redirect::to(&mount.url(&format!("/meclis/oneriler/{}?tamam=eklendi", p.id)))
            .into_response(),
        Err(e) => match at_field(&e) {
            Ok(fe) => new_form(&s, &mount, &user, &typed, vec![fe]).await,
            Err(p) => error_page(&mount, Some(&user), p.status, &p.message),
        },
    }
}

/// A comment as the page shows it: a hidden one by its reason, not its text.
#[derive(Debug, Serialize)]
struct CommentRow {
    id: String,
    author: String,
    at: String,
    text: Option<String>,
    hidden_reason: Option<String>,
}

impl CommentRow {
    fn of(c: &Comment, roll: &[PublicMember]) -> Self {
        CommentRow {
            id: c.id.to_string(),
            author: author_name(&c.author, roll),
            at: local_time(c.created_at),
            text: c.hidden.is_none().then(|| c.text.clone()),
            hidden_reason: c.hidden.as_ref().map(|h| h.reason.clone()),
        }
    }
}

const MISSING: &str = "Aradığınız öneri bulunamadı.";

/// `GET /meclis/oneriler/{id}`.
pub async fn page(
    State(s): State<Arc<AppState>>,
    mount: Mount,
    user: SignedIn,
    Path(id): Path<String>,
    RawQuery(q): RawQuery,
) -> Response {
    let done = params(q.as_deref()).get("tamam").map(|v| match v.as_str() {
        "eklendi" => "Öneriniz kaydedildi.",
        "destek" => "Desteğiniz kaydedildi.",
        "gundem" => "Öneri gündeme alındı.",
        "yorum" => "Yorumunuz eklendi.",
        _ => "Yorum gizlendi; kaydı saklanıyor.",
    });
    show(&s, &mount, &user, &id, done, &HashMap::new(), Vec::new()).await
}

async fn show(
    s: &AppState,
    mount: &Mount,
    user: &SignedIn,
    id: &str,
    done: Option<&str>,
    typed: &HashMap<String, String>,
    errors: Vec<FieldError>,
) -> Response {
    let Ok(pid) = id.parse::<ProposalId>() else {
        return not_found(mount, user, MISSING);
    };
    let ctx = match user.context(s, mount).await {
        Ok(c) => c,
        Err(page) => return page,
    };
    let p = match s.mbs.proposal(&user.actor, pid).await {
        Ok(p) => p,
        Err(ServiceError::NotFound(_)) => return not_found(mount, user, MISSING),
        Err(e) => return service_error_page(&e, mount, Some(user)),
    };
    let (comments, roll, meetings) = match tokio::try_join!(
        s.mbs.comments(&user.actor, pid),
        s.mbs.roll(&user.actor, &p.muhtarlik),
        s.mbs.meetings(&user.actor, &p.muhtarlik),
    ) {
        Ok(x) => x,
        Err(e) => return service_error_page(&e, mount, Some(user)),
    };
    let visible: Vec<Choice> = comments
        .iter()
        .filter(|c| c.hidden.is_none())
        .map(|c| Choice {
            value: c.id.to_string(),
            label: format!("{}: {}", author_name(&c.author, &roll), short(&c.text)),
        })
        .collect();
    let manage = may(&user.actor, Action::ManageCouncil, &p.muhtarlik, &ctx.org);
    let participate = user.actor.member_id().is_some()
        && may(&user.actor, Action::Participate, &p.muhtarlik, &ctx.org);
    let e: HashMap<&str, String> = errors
        .iter()
        .map(|x| (x.field, x.message.clone()))
        .collect();
    let v: HashMap<&str, String> = ["comment", "reason", "hidden_comment"]
        .into_iter()
        .map(|f| (f, typed.get(f).cloned().unwrap_or_default()))
        .collect();
    Page::new("oneri.html", &p.title.clone(), mount)
        .user(Some(user))
        .status(FieldError::status_of(&errors))
        .errors(errors)
        .render(context! {
            p => ProposalRow::of(&p),
            text => p.text.lines().map(str::to_owned).collect::<Vec<_>>(),
            author => author_name(&p.author, &roll),
            location => p.location.as_ref().map(|l| {
                let n = |x: f64| format!("{x:.5}").replace('.', ",");
                format!("Enlem {}, Boylam {}", n(l.lat), n(l.lon))
            }),
            comments => comments.iter().map(|c| CommentRow::of(c, &roll)).collect::<Vec<_>>(),
            // The meetings with this proposal on their agenda.
            meetings => meetings
                .iter()
                .filter(|m| m.proposals.contains(&pid))
                .map(|m| super::meclis_toplanti::MeetingRow::of(m, s.mbs.clock().now()))
                .collect::<Vec<_>>(),
            visible => visible,
            can_support => participate,
            can_comment => participate || manage,
            can_agenda => manage && p.status == ProposalStatus::Open,
            can_hide => manage,
            query => query_of(user, &p.muhtarlik),
            done => done,
            csrf => user.csrf.as_str(),
            e => e,
            v => v,
        })
}

/// The end of a proposal's post: back to its page with `tamam`, or the page with the
/// problem at its field, or an error page.
async fn answered(
    s: &AppState,
    mount: &Mount,
    user: &SignedIn,
    id: &str,
    result: Result<(), ServiceError>,
    tamam: &str,
    typed: &HashMap<String, String>,
) -> Response {
    match result {
        Ok(()) => Redirect::to(&mount.url(&format!("/meclis/oneriler/{id}?tamam={tamam}")))
            .into_response(),
        Err(ServiceError::NotFound(_)) => not_found(mount, user, MISSING),
        Err(e) => match at_field(&e) {
            Ok(fe) => show(s, mount, user, id, None, typed, vec![fe]).await,
            Err(p) => error_page(mount, Some(user), p.status, &p.message),
        },
    }
}

/// `POST /meclis/oneriler/{id}/destek`: a member supports it, as themselves.
pub async fn support(
    State(s): State<Arc<AppState>>,
    mount: Mount,
    user: SignedIn,
    Path(id): Path<String>,
    Form(typed): Form<HashMap<String, String>>,
) -> Response {
    if let Err(refused) = user.check_csrf(typed.get(CSRF_FIELD).map(String::as_str), &mount) {
        return refused;
    }
    let (Ok(pid), Some(me)) = (id.parse::<ProposalId>(), user.actor.member_id()) else {
        return not_found(&mount, &user, MISSING);
    };
    let r = s.mbs.support(&user.actor, pid, me).await.map(|_| ());
    answered(&s, &mount, &user, &id, r, "destek", &typed).await
}

/// `POST /meclis/oneriler/{id}/yorum`.
pub async fn comment(
    State(s): State<Arc<AppState>>,
    mount: Mount,
    user: SignedIn,
    Path(id): Path<String>,
    Form(typed): Form<HashMap<String, String>>,
) -> Response {
    if let Err(refused) = user.check_csrf(typed.get(CSRF_FIELD).map(String::as_str), &mount) {
        return refused;
    }
    let Ok(pid) = id.parse::<ProposalId>() else {
        return not_found(&mount, &user, MISSING);
    };
    let text = typed.get("comment").map(|v| v.trim()).unwrap_or_default();
    if text.is_empty() {
        let e = FieldError {
            field: "comment",
            message: "Yorumunuz alanını doldurun".into(),
        };
        return show(&s, &mount, &user, &id, None, &typed, vec![e]).await;
    }
    let r = s
        .mbs
        .comment(&user.actor, pid, writing_as(&user.actor), text)
        .await
        .map(|_| ())
        .map_err(|e| match e {
            // Core names the comment's text `text`; the form's field is `comment`.
            ServiceError::Input(i) if i.field() == "text" => {
                ServiceError::Input(rename(i, "comment"))
            }
            e => e,
        });
    answered(&s, &mount, &user, &id, r, "yorum", &typed).await
}

/// `i` at `field` instead (the form's name of core's field).
fn rename(i: InputError, field: &'static str) -> InputError {
    match i {
        InputError::Empty { .. } => InputError::Empty { field },
        InputError::TooLong { len, max, .. } => InputError::TooLong { field, len, max },
        InputError::Invalid { message, .. } => InputError::Invalid { field, message },
        other => other,
    }
}

/// `POST /meclis/oneriler/{id}/gundem`: the muhtar puts it on the agenda.
pub async fn agenda(
    State(s): State<Arc<AppState>>,
    mount: Mount,
    user: SignedIn,
    Path(id): Path<String>,
    Form(typed): Form<HashMap<String, String>>,
) -> Response {
    if let Err(refused) = user.check_csrf(typed.get(CSRF_FIELD).map(String::as_str), &mount) {
        return refused;
    }
    let Ok(pid) = id.parse::<ProposalId>() else {
        return not_found(&mount, &user, MISSING);
    };
    let r = s.mbs.put_on_agenda(&user.actor, pid).await.map(|_| ());
    answered(&s, &mount, &user, &id, r, "gundem", &typed).await
}

/// `POST /meclis/oneriler/{id}/gizle`: the muhtar hides a comment (**Gizlenecek
/// yorum**) with a reason.
pub async fn hide(
    State(s): State<Arc<AppState>>,
    mount: Mount,
    user: SignedIn,
    Path(id): Path<String>,
    Form(typed): Form<HashMap<String, String>>,
) -> Response {
    if let Err(refused) = user.check_csrf(typed.get(CSRF_FIELD).map(String::as_str), &mount) {
        return refused;
    }
    let Ok(pid) = id.parse::<ProposalId>() else {
        return not_found(&mount, &user, MISSING);
    };
    let Some(cid) = typed
        .get("hidden_comment")
        .and_then(|c| c.parse::<CommentId>().ok())
    else {
        let e = FieldError {
            field: "hidden_comment",
            message: "Gizlenecek yorum: listeden birini seçin".into(),
        };
        return show(&s, &mount, &user, &id, None, &typed, vec![e]).await;
    };
    let reason = typed.get("reason").map(|v| v.trim()).unwrap_or_default();
    if reason.is_empty() {
        let e = FieldError {
            field: "reason",
            message: "Gizleme nedeni alanını doldurun".into(),
        };
        return show(&s, &mount, &user, &id, None, &typed, vec![e]).await;
    }
    let r = s
        .mbs
        .hide_comment(&user.actor, pid, cid, reason)
        .await
        .map(|_| ());
    answered(&s, &mount, &user, &id, r, "gizlendi", &typed).await
}

/// The first 60 characters of a comment, for the hiding form's list.
fn short(text: &str) -> String {
    let mut t: String = text.chars().take(60).collect();
    if text.chars().count() > 60 {
        t.push('…');
    }
    t.replace(['\n', '\r'], " ")
}
