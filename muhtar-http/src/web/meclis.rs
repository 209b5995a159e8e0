//! `/meclis`: the neighbourhood council (mahalle meclisi, issue 24) of a muhtarlık: its
//! member roll and votes (core's `Mbs` council calls, which authorize every one).
//!
//! - `GET /meclis`: the members (contacts included: every role that may read a council
//!   is the muhtar's or the back office's); the muhtar's **Üye ekle** form
//!   (`POST /meclis/uyeler`) and **Üyelikten çıkar** (`POST /meclis/uyeler/{id}/cikar`).
//! - `GET /meclis/oylamalar`: the votes; the muhtar's **Oylama aç** form
//!   (`POST /meclis/oylamalar`; times in Istanbul local time).
//! - `GET /meclis/oylamalar/{id}`: a vote; **Oy kaydet** (`…/oy`: the receipt is shown
//!   on the answer to that post only, never again: only its hash is stored),
//!   **Oylamayı kapat** (`…/kapat`) once its time is over, the result when closed, and
//!   **Makbuz doğrula** (`…/makbuz`, a POST so the code stays out of addresses and logs;
//!   the muhtar's form, as readers see no forms).
//!
//! A council member (`member:<kod>@<member id>`) has `/meclis` as their home (open votes,
//! proposals, meetings: [`super::meclis_uye`]) and casts their own ballot on a vote's page
//! (**Oyumu kullan**); they see the members' names, never their contacts.
//!
//! The muhtar sees their own council. The coordinator, the responsible official and
//! auditors read any council without forms: `?muhtarlik=<code>`, else a chooser. No page
//! shows who chose what.

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
use muhtar_core::clock::Clock;
use muhtar_core::council::{
    Majority, Member, MemberId, MemberRole, NewMember, NewVote, ReceiptCode, Vote, VoteId,
    VoteOptions, VoteStatus,
};
use muhtar_core::ids::MuhtarlikCode;
use muhtar_core::org::Organisation;
use muhtar_core::request::InputError;
use muhtar_core::service::{Cast, ServiceError};
use serde::Serialize;

use super::problem::{error_page, input_message, problem, service_error_page};
use super::session::{SignedIn, CSRF_FIELD};
use super::talepler::{params, Choice};
use super::yeni::parse_local_at;
use super::{FieldError, Page};
use crate::mount::Mount;
use crate::AppState;

/// The fields of the council's forms (id = core's field name) and their labels.
const FIELDS: &[(&str, &str)] = &[
    ("name", "Ad soyad"),
    ("email", "E-posta"),
    ("phone", "Telefon"),
    ("role", "Rol"),
    ("title", "Gündem maddesi"),
    ("options", "Seçenekler"),
    ("opens_at", "Başlangıç"),
    ("closes_at", "Bitiş"),
    ("majority", "Karar kuralı"),
    ("quorum_percent", "Toplantı yeter sayısı (%)"),
    ("member", "Üye"),
    ("choice", "Seçim"),
    ("receipt", "Makbuz kodu"),
];

fn label(field: &str) -> Option<&'static str> {
    FIELDS.iter().find(|(f, _)| *f == field).map(|(_, l)| *l)
}

/// Core's refusal of a field, in Turkish (core's own messages of these fields are
/// English, for API clients).
fn field_message(e: &InputError) -> String {
    let field = e.field();
    let l = label(field).unwrap_or(field);
    match e {
        InputError::Invalid { message, .. } => match field {
            "name" => format!("{l} tek satır olmalı"),
            "email" if message.contains("login codes") => {
                "E-posta ya da Telefon: giriş kodları için birini yazın".into()
            }
            "email" => format!("{l}: geçerli bir e-posta adresi yazın (örneğin ad@ornek.com)"),
            "phone" => format!("{l}: Türkiye'de bir telefon numarası yazın (05xx xxx xx xx)"),
            "options" => format!(
                "{l}: her satıra bir seçenek; 2 ile 10 seçenek, her biri en çok 100 karakter \
                 ve birbirinden farklı"
            ),
            "closes_at" => format!("{l}: başlangıçtan sonra olmalı"),
            "receipt" => format!("{l}: 12 harf ve rakam yazın, örneğin 7KQ2-M9XA-4T0B"),
            _ => input_message(e, l),
        },
        InputError::OutOfBounds { .. } if field == "quorum_percent" => {
            format!("{l}: 1 ile 100 arasında bir tam sayı yazın")
        }
        _ => input_message(e, l),
    }
}

/// A failed call's problem at a field of the form (`Ok`), or the whole page's (`Err`).
fn at_field(e: &ServiceError) -> Result<FieldError, super::problem::Problem> {
    if let ServiceError::Input(i) = e {
        if let Some(field) = FIELDS.iter().map(|(f, _)| *f).find(|f| *f == i.field()) {
            return Ok(FieldError {
                field,
                message: field_message(i),
            });
        }
    }
    let p = problem(e, label);
    p.field_error().ok_or(p)
}

/// A member as the pages show it (the contact included: see the module's doc).
#[derive(Debug, Serialize)]
struct MemberRow {
    id: String,
    name: String,
    role_name: &'static str,
    email: Option<String>,
    phone: Option<String>,
    added: String,
    removed: Option<String>,
}

impl MemberRow {
    fn of(m: &Member) -> Self {
        MemberRow {
            id: m.id.to_string(),
            name: m.name.clone(),
            role_name: m.role.display_name(),
            email: m.email.clone(),
            phone: m.phone.clone(),
            added: local_time(m.added_at),
            removed: m.removed_at.map(local_time),
        }
    }
}

/// A vote as the pages show it.
#[derive(Debug, Serialize)]
pub(super) struct VoteRow {
    id: String,
    title: String,
    status_name: &'static str,
    closed: bool,
    period: String,
    options: Vec<String>,
    majority_name: &'static str,
    quorum_percent: u8,
    secret: bool,
    changeable: bool,
    eligible: usize,
}

impl VoteRow {
    pub(super) fn of(v: &Vote) -> Self {
        VoteRow {
            id: v.id.to_string(),
            title: v.title.clone(),
            status_name: v.status.display_name(),
            closed: v.status == VoteStatus::Closed,
            period: format!("{} – {}", local_time(v.opens_at), local_time(v.closes_at)),
            options: v.options.names(),
            majority_name: v.majority.display_name(),
            quorum_percent: v.quorum_percent,
            secret: v.secret,
            changeable: v.changeable,
            eligible: v.eligible.len(),
        }
    }
}

/// Whose council a page shows: the muhtar's own; for the others `?muhtarlik=`, or
/// `None` (the chooser).
pub(super) fn council_of(user: &SignedIn, p: &HashMap<String, String>) -> Option<String> {
    match &user.actor.role {
        Role::Muhtar(m) | Role::Member(m) => Some(m.to_string()),
        _ => p.get("muhtarlik").cloned(),
    }
}

pub(super) fn may(actor: &Actor, action: Action, m: &MuhtarlikCode, org: &Organisation) -> bool {
    authorize(
        actor,
        action,
        &Target::Council {
            tenant: &actor.tenant,
            muhtarlik: m,
        },
        org,
    )
    .is_ok()
}

/// The muhtarlıklar as a chooser's choices.
fn muhtarliklar(org: &Organisation) -> Vec<Choice> {
    org.muhtarliklar
        .iter()
        .map(|m| Choice {
            value: m.code.to_string(),
            label: m.name.clone(),
        })
        .collect()
}

/// The chooser of a reader with no muhtarlık chosen (a GET form: nothing changes).
fn chooser(mount: &Mount, user: &SignedIn, org: &Organisation, path: &str) -> Response {
    let readable = org
        .muhtarliklar
        .first()
        .is_some_and(|m| may(&user.actor, Action::ReadCouncil, &m.code, org));
    if !readable {
        return error_page(
            mount,
            Some(user),
            StatusCode::FORBIDDEN,
            "Mahalle meclislerini muhtar, koordinatör, sorumlu yetkili ve denetçiler görebilir.",
        );
    }
    Page::new("meclis.html", "Mahalle meclisi", mount)
        .user(Some(user))
        .render(context! {
            choose => true,
            path => path,
            choices => muhtarliklar(org),
        })
}

/// The code of `text` as a muhtarlık of `org`, else a 404 page.
#[allow(clippy::result_large_err)] // a response, answered at once
fn known(
    text: &str,
    org: &Organisation,
    mount: &Mount,
    user: &SignedIn,
) -> Result<(MuhtarlikCode, String), Response> {
    MuhtarlikCode::new(text)
        .ok()
        .and_then(|c| org.muhtarlik(&c).map(|m| (c, m.name.clone())))
        .ok_or_else(|| {
            error_page(
                mount,
                Some(user),
                StatusCode::NOT_FOUND,
                "Bu muhtarlık bulunamadı: listeden seçin.",
            )
        })
}

/// The start of a council's page: the tenant's context and the muhtarlık's code and
/// name, or the page to answer instead (the chooser, a 404).
pub(super) async fn council_page(
    s: &AppState,
    mount: &Mount,
    user: &SignedIn,
    muhtarlik: Option<String>,
    path: &str,
) -> Result<
    (
        Arc<muhtar_core::service::TenantContext>,
        MuhtarlikCode,
        String,
    ),
    Response,
> {
    let ctx = user.context(s, mount).await?;
    let Some(m) = muhtarlik else {
        return Err(chooser(mount, user, &ctx.org, path));
    };
    let (code, name) = known(&m, &ctx.org, mount, user)?;
    Ok((ctx, code, name))
}

/// The choices of a named enum's values (stable name, Turkish name).
pub(super) fn choices<T: Copy>(
    all: &[T],
    name: fn(T) -> (&'static str, &'static str),
) -> Vec<Choice> {
    all.iter()
        .map(|x| {
            let (value, label) = name(*x);
            Choice {
                value: value.into(),
                label: label.into(),
            }
        })
        .collect()
}

/// `GET /meclis`.
pub async fn members_page(
    State(s): State<Arc<AppState>>,
    mount: Mount,
    user: SignedIn,
    RawQuery(q): RawQuery,
) -> Response {
    if matches!(user.actor.role, Role::Member(_)) {
        return super::meclis_uye::home(&s, &mount, &user).await;
    }
    let p = params(q.as_deref());
    let done = p.get("tamam").map(|v| match v.as_str() {
        "eklendi" => "Üye eklendi.",
        _ => "Üye meclisten çıkarıldı; kaydı saklanıyor.",
    });
    members_form(
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

async fn members_form(
    s: &AppState,
    mount: &Mount,
    user: &SignedIn,
    muhtarlik: Option<String>,
    typed: &HashMap<String, String>,
    errors: Vec<FieldError>,
    done: Option<&str>,
) -> Response {
    let (ctx, code, name) = match council_page(s, mount, user, muhtarlik, "/meclis").await {
        Ok(x) => x,
        Err(page) => return page,
    };
    let members = match s.mbs.members(&user.actor, &code).await {
        Ok(m) => m,
        Err(e) => return service_error_page(&e, mount, Some(user)),
    };
    let roles = choices(&MemberRole::ALL, |r| (r.as_str(), r.display_name()));
    let e: HashMap<&str, String> = errors
        .iter()
        .map(|x| (x.field, x.message.clone()))
        .collect();
    let mut v: HashMap<&str, String> = ["name", "email", "phone", "role"]
        .into_iter()
        .map(|f| (f, typed.get(f).cloned().unwrap_or_default()))
        .collect();
    if v["role"].is_empty() {
        v.insert("role", MemberRole::Resident.as_str().into());
    }
    let title = format!("Mahalle meclisi: {name}");
    Page::new("meclis.html", &title, mount)
        .user(Some(user))
        .status(FieldError::status_of(&errors))
        .errors(errors)
        .render(context! {
            choose => false,
            muhtarlik => code.to_string(),
            query => query_of(user, &code),
            can_manage => may(&user.actor, Action::ManageCouncil, &code, &ctx.org),
            members => members.iter().map(MemberRow::of).collect::<Vec<_>>(),
            roles => roles,
            csrf => user.csrf.as_str(),
            done => done,
            e => e,
            v => v,
        })
}

/// The query a reader's links keep (`?muhtarlik=…`); none for the muhtar.
pub(super) fn query_of(user: &SignedIn, m: &MuhtarlikCode) -> String {
    match user.actor.role {
        Role::Muhtar(_) | Role::Member(_) => String::new(),
        _ => format!("?muhtarlik={m}"),
    }
}

/// The muhtar's own muhtarlık, for the forms (the others have none).
#[allow(clippy::result_large_err)] // a response, answered at once
pub(super) fn own(user: &SignedIn, mount: &Mount) -> Result<MuhtarlikCode, Response> {
    match &user.actor.role {
        Role::Muhtar(m) => Ok(m.clone()),
        _ => Err(error_page(
            mount,
            Some(user),
            StatusCode::FORBIDDEN,
            "Mahalle meclisini mahallenin muhtarı yönetir; siz yalnızca görebilirsiniz.",
        )),
    }
}

/// `POST /meclis/uyeler`.
pub async fn add_member(
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
    let get = |k: &str| {
        typed
            .get(k)
            .map(|v| v.trim().to_owned())
            .unwrap_or_default()
    };
    let some = |k: &str| Some(get(k)).filter(|v| !v.is_empty());
    let role = match get("role").as_str() {
        "" => None,
        r => match MemberRole::from_name(r) {
            Some(r) => Some(r),
            None => {
                let e = FieldError {
                    field: "role",
                    message: "Rol: listeden birini seçin".into(),
                };
                return members_form(
                    &s,
                    &mount,
                    &user,
                    Some(m.to_string()),
                    &typed,
                    vec![e],
                    None,
                )
                .await;
            }
        },
    };
    let new = NewMember {
        name: get("name"),
        role,
        email: some("email"),
        phone: some("phone"),
        ..NewMember::default()
    };
    match s.mbs.add_member(&user.actor, &m, new).await {
        Ok(_) => Redirect::to(&mount.url("/meclis?tamam=eklendi")).into_response(),
        Err(e) => match at_field(&e) {
            Ok(fe) => {
                members_form(
                    &s,
                    &mount,
                    &user,
                    Some(m.to_string()),
                    &typed,
                    vec![fe],
                    None,
                )
                .await
            }
            Err(p) => error_page(&mount, Some(&user), p.status, &p.message),
        },
    }
}

/// `POST /meclis/uyeler/{id}/cikar`.
pub async fn remove_member(
    State(s): State<Arc<AppState>>,
    mount: Mount,
    user: SignedIn,
    Path(id): Path<String>,
    Form(typed): Form<HashMap<String, String>>,
) -> Response {
    if let Err(refused) = user.check_csrf(typed.get(CSRF_FIELD).map(String::as_str), &mount) {
        return refused;
    }
    let Ok(id) = id.parse::<MemberId>() else {
        return not_found(&mount, &user, "Bu üye bulunamadı.");
    };
    match s.mbs.remove_member(&user.actor, id).await {
        Ok(_) => Redirect::to(&mount.url("/meclis?tamam=cikarildi")).into_response(),
        Err(e) => service_error_page(&e, &mount, Some(&user)),
    }
}

pub(super) fn not_found(mount: &Mount, user: &SignedIn, message: &str) -> Response {
    error_page(mount, Some(user), StatusCode::NOT_FOUND, message)
}

/// `GET /meclis/oylamalar`.
pub async fn votes_page(
    State(s): State<Arc<AppState>>,
    mount: Mount,
    user: SignedIn,
    RawQuery(q): RawQuery,
) -> Response {
    let p = params(q.as_deref());
    votes_form(
        &s,
        &mount,
        &user,
        council_of(&user, &p),
        &HashMap::new(),
        Vec::new(),
    )
    .await
}

async fn votes_form(
    s: &AppState,
    mount: &Mount,
    user: &SignedIn,
    muhtarlik: Option<String>,
    typed: &HashMap<String, String>,
    errors: Vec<FieldError>,
) -> Response {
    let (ctx, code, name) = match council_page(s, mount, user, muhtarlik, "/meclis/oylamalar").await
    {
        Ok(x) => x,
        Err(page) => return page,
    };
    let votes = match s.mbs.votes(&user.actor, &code).await {
        Ok(v) => v,
        Err(e) => return service_error_page(&e, mount, Some(user)),
    };
    let majorities = choices(&Majority::ALL, |r| (r.as_str(), r.display_name()));
    let e: HashMap<&str, String> = errors
        .iter()
        .map(|x| (x.field, x.message.clone()))
        .collect();
    let mut v: HashMap<&str, String> = [
        "title",
        "options",
        "opens_at",
        "closes_at",
        "majority",
        "quorum_percent",
        "secret",
        "changeable",
    ]
    .into_iter()
    .map(|f| (f, typed.get(f).cloned().unwrap_or_default()))
    .collect();
    if v["majority"].is_empty() {
        v.insert("majority", Majority::Simple.as_str().into());
    }
    if v["quorum_percent"].is_empty() {
        v.insert(
            "quorum_percent",
            muhtar_core::council::DEFAULT_QUORUM_PERCENT.to_string(),
        );
    }
    let title = format!("Meclis oylamaları: {name}");
    Page::new("oylamalar.html", &title, mount)
        .user(Some(user))
        .status(FieldError::status_of(&errors))
        .errors(errors)
        .render(context! {
            query => query_of(user, &code),
            can_manage => may(&user.actor, Action::ManageCouncil, &code, &ctx.org),
            votes => votes.iter().map(VoteRow::of).collect::<Vec<_>>(),
            majorities => majorities,
            csrf => user.csrf.as_str(),
            e => e,
            v => v,
        })
}

/// The typed vote form as a [`NewVote`], or the fields to correct (every one found).
fn new_vote(f: &HashMap<String, String>) -> Result<NewVote, Vec<FieldError>> {
    let get = |k: &str| f.get(k).map(|v| v.trim()).unwrap_or_default();
    let mut errors = Vec::new();
    if get("title").is_empty() {
        errors.push(FieldError {
            field: "title",
            message: "Gündem maddesi alanını doldurun".into(),
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
    let opens_at = time("opens_at");
    let closes_at = time("closes_at");
    if get("closes_at").is_empty() {
        errors.push(FieldError {
            field: "closes_at",
            message: "Bitiş alanını doldurun".into(),
        });
    }
    let majority = match get("majority") {
        "" => Some(Majority::Simple),
        m => Majority::from_name(m),
    };
    if majority.is_none() {
        errors.push(FieldError {
            field: "majority",
            message: "Karar kuralı: listeden birini seçin".into(),
        });
    }
    let quorum = match get("quorum_percent") {
        "" => Some(None),
        q => q
            .parse::<u8>()
            .ok()
            .filter(|q| (1..=100).contains(q))
            .map(Some),
    };
    if quorum.is_none() {
        errors.push(FieldError {
            field: "quorum_percent",
            message: "Toplantı yeter sayısı (%): 1 ile 100 arasında bir tam sayı yazın".into(),
        });
    }
    let lines: Vec<String> = get("options")
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect();
    match (closes_at, majority, quorum) {
        (Some(closes_at), Some(majority), Some(quorum)) if errors.is_empty() => {
            let mut v = NewVote::new(get("title"), closes_at);
            if !lines.is_empty() {
                v.options = VoteOptions::List(lines);
            }
            v.opens_at = opens_at;
            v.majority = majority;
            v.quorum_percent = quorum;
            v.secret = !get("secret").is_empty();
            v.changeable = !get("changeable").is_empty();
            Ok(v)
        }
        _ => Err(errors),
    }
}

/// `POST /meclis/oylamalar`.
pub async fn open_vote(
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
    let new = match new_vote(&typed) {
        Ok(n) => n,
        Err(errors) => {
            return votes_form(&s, &mount, &user, Some(m.to_string()), &typed, errors).await
        }
    };
    match s.mbs.open_vote(&user.actor, &m, new).await {
        Ok(v) => Redirect::to(&mount.url(&format!("/meclis/oylamalar/{}?tamam=acildi", v.id)))
            .into_response(),
        Err(e) => match at_field(&e) {
            Ok(fe) => votes_form(&s, &mount, &user, Some(m.to_string()), &typed, vec![fe]).await,
            Err(p) => error_page(&mount, Some(&user), p.status, &p.message),
        },
    }
}

/// What a vote page shows besides the vote: a post's answer.
#[derive(Default)]
struct Shown<'a> {
    receipt: Option<String>,
    check: Option<(String, bool)>,
    done: Option<&'static str>,
    typed: Option<&'a HashMap<String, String>>,
    errors: Vec<FieldError>,
}

/// `GET /meclis/oylamalar/{id}`.
pub async fn vote_page(
    State(s): State<Arc<AppState>>,
    mount: Mount,
    user: SignedIn,
    Path(id): Path<String>,
    RawQuery(q): RawQuery,
) -> Response {
    let member = user.actor.member_id().is_some();
    let done = params(q.as_deref()).get("tamam").map(|v| match v.as_str() {
        "acildi" => "Oylama açıldı.",
        "degisti" if member => "Oyunuz değiştirildi; ilk makbuz kodunuz geçerli.",
        "degisti" => "Üyenin oyu değiştirildi; ilk makbuzu geçerli.",
        _ => "Oylama kapandı; sonuç donduruldu.",
    });
    show_vote(
        &s,
        &mount,
        &user,
        &id,
        Shown {
            done,
            ..Shown::default()
        },
    )
    .await
}

fn vote_id(id: &str) -> Option<VoteId> {
    id.parse::<VoteId>().ok()
}

async fn show_vote(
    s: &AppState,
    mount: &Mount,
    user: &SignedIn,
    id: &str,
    shown: Shown<'_>,
) -> Response {
    const MISSING: &str = "Aradığınız oylama bulunamadı.";
    let Some(id) = vote_id(id) else {
        return not_found(mount, user, MISSING);
    };
    let ctx = match user.context(s, mount).await {
        Ok(c) => c,
        Err(page) => return page,
    };
    let vote = match s.mbs.vote(&user.actor, id).await {
        Ok(v) => v,
        Err(ServiceError::NotFound(_)) => return not_found(mount, user, MISSING),
        Err(e) => return service_error_page(&e, mount, Some(user)),
    };
    // Names only: a member reads the roll, never the contacts.
    let members = match s.mbs.roll(&user.actor, &vote.muhtarlik).await {
        Ok(m) => m,
        Err(e) => return service_error_page(&e, mount, Some(user)),
    };
    let result = if vote.status == VoteStatus::Closed {
        match s.mbs.vote_result(&user.actor, id).await {
            Ok(t) => Some(context! {
                rows => t.options.iter().zip(&t.counts)
                    .map(|(o, c)| context! { option => o, count => c })
                    .collect::<Vec<_>>(),
                cast => t.cast,
                eligible => t.eligible,
                turnout => format!("{:.1}", t.turnout_percent()).replace('.', ","),
                quorum_percent => t.quorum_percent,
                quorum_met => t.quorum_met,
                description => t.describe(),
                hash => t.hash.clone(),
            }),
            Err(e) => return service_error_page(&e, mount, Some(user)),
        }
    } else {
        None
    };
    let decision = match s.mbs.decision_status(&user.actor, id).await {
        Ok(d) => d.map(|d| {
            context! {
                tracking => d.tracking.to_string(),
                sent_at => local_time(d.sent_at),
                status_name => d.request.status_name.clone(),
                outcome_name => d.request.outcome_name.clone(),
                unit_name => d.request.unit_name.clone(),
                answer => d.answer.clone(),
                municipal_council => d.municipal_council,
            }
        }),
        Err(e) => return service_error_page(&e, mount, Some(user)),
    };
    let now: DateTime<Utc> = s.mbs.clock().now();
    let running = vote.status == VoteStatus::Open && vote.opens_at <= now && now < vote.closes_at;
    let manage = may(
        &user.actor,
        Action::ManageCouncil,
        &vote.muhtarlik,
        &ctx.org,
    );
    let cast = may(&user.actor, Action::CastBallot, &vote.muhtarlik, &ctx.org);
    // A member casts their own ballot, if they are eligible.
    let own_ballot = user
        .actor
        .member_id()
        .filter(|m| vote.eligible.contains(m))
        .is_some()
        && may(&user.actor, Action::Participate, &vote.muhtarlik, &ctx.org);
    let eligible: Vec<Choice> = vote
        .eligible
        .iter()
        .map(|id| Choice {
            value: id.to_string(),
            label: members
                .iter()
                .find(|m| m.id == *id)
                .map_or_else(|| id.to_string(), |m| m.name.clone()),
        })
        .collect();
    let options: Vec<Choice> = vote
        .options
        .names()
        .into_iter()
        .map(|o| Choice {
            value: o.clone(),
            label: o,
        })
        .collect();
    let e: HashMap<&str, String> = shown
        .errors
        .iter()
        .map(|x| (x.field, x.message.clone()))
        .collect();
    let v: HashMap<&str, String> = ["member", "choice", "receipt"]
        .into_iter()
        .map(|f| {
            let typed = shown.typed.and_then(|t| t.get(f)).cloned();
            (f, typed.unwrap_or_default())
        })
        .collect();
    let query = query_of(user, &vote.muhtarlik);
    let title = vote.title.clone();
    Page::new("oylama.html", &title, mount)
        .user(Some(user))
        .status(FieldError::status_of(&shown.errors))
        .errors(shown.errors)
        .render(context! {
            vote => VoteRow::of(&vote),
            eligible_names => eligible.iter().map(|c| c.label.clone()).collect::<Vec<_>>(),
            eligible => eligible,
            options => options,
            result => result,
            decision => decision,
            can_cast => cast && running,
            can_cast_own => own_ballot && running,
            member => user.actor.member_id().is_some(),
            can_verify => cast,
            can_close => manage && vote.status == VoteStatus::Open && now >= vote.closes_at,
            not_yet => vote.status == VoteStatus::Open && now < vote.opens_at,
            query => query,
            receipt => shown.receipt,
            check => shown.check.map(|(choice, counted)| context! { choice, counted }),
            done => shown.done,
            csrf => user.csrf.as_str(),
            e => e,
            v => v,
        })
}

/// `POST /meclis/oylamalar/{id}/oy`: the answer shows the receipt, this once.
pub async fn cast(
    State(s): State<Arc<AppState>>,
    mount: Mount,
    user: SignedIn,
    Path(id): Path<String>,
    Form(typed): Form<HashMap<String, String>>,
) -> Response {
    if let Err(refused) = user.check_csrf(typed.get(CSRF_FIELD).map(String::as_str), &mount) {
        return refused;
    }
    let Some(vote) = vote_id(&id) else {
        return not_found(&mount, &user, "Aradığınız oylama bulunamadı.");
    };
    let get = |k: &str| typed.get(k).map(|v| v.trim()).unwrap_or_default();
    let errors = |field: &'static str, message: &str| Shown {
        typed: Some(&typed),
        errors: vec![FieldError {
            field,
            message: message.into(),
        }],
        ..Shown::default()
    };
    // A member casts their own ballot: the form names nobody.
    let Some(member) = user
        .actor
        .member_id()
        .or_else(|| get("member").parse::<MemberId>().ok())
    else {
        let shown = errors("member", "Üye: listeden birini seçin");
        return show_vote(&s, &mount, &user, &id, shown).await;
    };
    if get("choice").is_empty() {
        let shown = errors("choice", "Seçim: listeden birini seçin");
        return show_vote(&s, &mount, &user, &id, shown).await;
    }
    match s
        .mbs
        .cast_ballot(&user.actor, vote, member, get("choice"))
        .await
    {
        Ok(Cast::New(r)) => {
            let shown = Shown {
                receipt: Some(r.to_string()),
                ..Shown::default()
            };
            show_vote(&s, &mount, &user, &id, shown).await
        }
        Ok(_) => Redirect::to(&mount.url(&format!("/meclis/oylamalar/{id}?tamam=degisti")))
            .into_response(),
        Err(e) => match at_field(&e) {
            Ok(fe) => {
                let shown = Shown {
                    typed: Some(&typed),
                    errors: vec![fe],
                    ..Shown::default()
                };
                show_vote(&s, &mount, &user, &id, shown).await
            }
            Err(p) => error_page(&mount, Some(&user), p.status, &p.message),
        },
    }
}

/// `POST /meclis/oylamalar/{id}/kapat`.
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
    let Some(vote) = vote_id(&id) else {
        return not_found(&mount, &user, "Aradığınız oylama bulunamadı.");
    };
    match s.mbs.close_vote(&user.actor, vote).await {
        Ok(_) => Redirect::to(&mount.url(&format!("/meclis/oylamalar/{id}?tamam=kapandi")))
            .into_response(),
        Err(ServiceError::NotFound(_)) => not_found(&mount, &user, "Aradığınız oylama bulunamadı."),
        Err(e) => service_error_page(&e, &mount, Some(&user)),
    }
}

/// `POST /meclis/oylamalar/{id}/makbuz`: what the receipt's ballot chose and whether it
/// is counted.
pub async fn verify(
    State(s): State<Arc<AppState>>,
    mount: Mount,
    user: SignedIn,
    Path(id): Path<String>,
    Form(typed): Form<HashMap<String, String>>,
) -> Response {
    if let Err(refused) = user.check_csrf(typed.get(CSRF_FIELD).map(String::as_str), &mount) {
        return refused;
    }
    let Some(vote) = vote_id(&id) else {
        return not_found(&mount, &user, "Aradığınız oylama bulunamadı.");
    };
    // Only those who may read the vote check receipts here (core's check asks no role).
    if let Err(e) = s.mbs.vote(&user.actor, vote).await {
        return service_error_page(&e, &mount, Some(&user));
    }
    let code = typed.get("receipt").map(|v| v.trim()).unwrap_or_default();
    let checked = match ReceiptCode::parse(code) {
        Ok(r) => s
            .mbs
            .verify_receipt(&user.actor, vote, &r)
            .await
            .map_err(|e| at_field(&e)),
        Err(i) => Err(Ok(FieldError {
            field: "receipt",
            message: if code.is_empty() {
                "Makbuz kodu alanını doldurun".into()
            } else {
                field_message(&i)
            },
        })),
    };
    let shown = match checked {
        Ok(c) => Shown {
            check: Some(c),
            ..Shown::default()
        },
        Err(Ok(fe)) => Shown {
            typed: Some(&typed),
            errors: vec![fe],
            ..Shown::default()
        },
        Err(Err(p)) => return error_page(&mount, Some(&user), p.status, &p.message),
    };
    show_vote(&s, &mount, &user, &id, shown).await
}
