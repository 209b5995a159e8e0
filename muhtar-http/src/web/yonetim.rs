//! `/yonetim`: the administrator's pages. Every call goes through `Mbs`, which lets only
//! an administrator manage the tenant (anyone else gets 403, in Turkish); every POST
//! checks the session's CSRF token first (403, nothing changed).
//!
//! - `GET /yonetim`: links to the three pages below.
//! - `/yonetim/kullanicilar`: the users ([`Mbs::users`](muhtar_core::service::Mbs::users)):
//!   user name, name, role by its display name (`Kuzguncuk Mahallesi (muhtar)`), state;
//!   a form adding one (**Kullanıcı adı**, **Ad soyad**, **Rol**, **Muhtarlık veya birim**,
//!   **Parola**, button **Kullanıcı ekle**: `Mbs::add_user`, as `muhtar user add`); per user
//!   **Kapat** (`Mbs::disable_user`) and a page setting the password
//!   (`/yonetim/kullanicilar/{ad}/parola`: **Yeni parola**, `Mbs::set_password`).
//! - `/yonetim/anahtarlar`: API tokens ([`anahtarlar`]).
//! - `/yonetim/dosyalar`: the organisation and routing rule files, checked with the
//!   problems shown by line before an explicit apply ([`dosyalar`]).

pub mod anahtarlar;
pub mod dosyalar;

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use minijinja::context;
use muhtar_core::access::{Actor, RoleKind};
use muhtar_core::account::{AccountError, PasswordRule, MIN_PASSWORD_CHARS};
use muhtar_core::ids::TenantId;
use muhtar_core::org::Organisation;
use muhtar_core::service::{NewUser, ServiceError, TenantContext};
use serde::{Deserialize, Serialize};

use super::problem::{problem, service_error_page};
use super::session::SignedIn;
use super::{FieldError, Page};
use crate::mount::Mount;
use crate::AppState;

/// A role a person or a token may act as, for the **Rol** list.
#[derive(Debug, Serialize)]
pub(crate) struct RoleOption {
    value: &'static str,
    name: &'static str,
    has_code: bool,
}

/// A muhtarlık or unit for the **Muhtarlık veya birim** list (`m:<kod>`, `u:<kod>`).
#[derive(Debug, Serialize)]
pub(crate) struct PlaceOption {
    value: String,
    name: String,
}

/// The roles people and tokens act as, by display name (not the system or the public).
pub(crate) fn role_options() -> Vec<RoleOption> {
    RoleKind::ALL
        .into_iter()
        .filter(|k| !matches!(k, RoleKind::System | RoleKind::Public))
        .map(|k| RoleOption {
            value: k.as_str(),
            name: k.display_name(),
            has_code: k.has_code(),
        })
        .collect()
}

/// The muhtarlıklar and the active units of `org`, by name.
pub(crate) fn place_options(org: &Organisation) -> (Vec<PlaceOption>, Vec<PlaceOption>) {
    let muhtarliklar = org
        .muhtarliklar
        .iter()
        .map(|m| PlaceOption {
            value: format!("m:{}", m.code),
            name: m.name.clone(),
        })
        .collect();
    let units = org
        .units
        .iter()
        .filter(|u| u.active)
        .map(|u| PlaceOption {
            value: format!("u:{}", u.code),
            name: u.name.clone(),
        })
        .collect();
    (muhtarliklar, units)
}

/// The `id`s of the role fields.
pub(crate) const ROLE_FIELD: &str = "rol";
/// The `id` of the muhtarlık or unit field.
pub(crate) const PLACE_FIELD: &str = "yer";

/// The actor text (`muhtar:kuzguncuk`, `coordinator`) of a role and place chosen, or the
/// field to correct.
pub(crate) fn actor_text(rol: &str, yer: &str) -> Result<String, FieldError> {
    let Ok(kind) = rol.parse::<RoleKind>() else {
        return Err(FieldError {
            field: ROLE_FIELD,
            message: "Rol seçin".into(),
        });
    };
    let place = |prefix: &str, what: &str| {
        yer.strip_prefix(prefix)
            .filter(|c| !c.is_empty())
            .map(str::to_owned)
            .ok_or_else(|| FieldError {
                field: PLACE_FIELD,
                message: format!("{} rolü için bir {what} seçin", kind.display_name()),
            })
    };
    match kind {
        RoleKind::Muhtar => Ok(format!("muhtar:{}", place("m:", "muhtarlık")?)),
        RoleKind::UnitStaff => Ok(format!("unit:{}", place("u:", "birim")?)),
        RoleKind::System | RoleKind::Public => Err(FieldError {
            field: ROLE_FIELD,
            message: "Bu rolle kimse giriş yapamaz: listeden bir rol seçin".into(),
        }),
        k => Ok(k.as_str().to_owned()),
    }
}

/// The role of an actor text as people read it (`Kuzguncuk Mahallesi (muhtar)`), without
/// the user; the text itself if it does not parse.
pub(crate) fn role_display(org: &Organisation, tenant: &TenantId, actor: &str) -> String {
    match Actor::parse(tenant, actor) {
        Ok(mut a) => {
            a.user = String::new();
            a.display_name(org)
        }
        Err(_) => actor.to_owned(),
    }
}

/// An account problem in Turkish, at its field.
fn account_problem(e: &AccountError, rol: &str) -> FieldError {
    let (field, message) = match e {
        AccountError::UserName { given, .. } => (
            "name",
            format!(
                "Kullanıcı adı {given:?} geçersiz: küçük harf (a-z), rakam, nokta, tire ya da alt \
                 çizgi kullanın"
            ),
        ),
        AccountError::NameTaken(n) => ("name", format!("{n} kullanıcı adı kullanılıyor")),
        AccountError::Password(PasswordRule::MinLength) => (
            "password",
            format!("Parola en az {MIN_PASSWORD_CHARS} karakter olmalı"),
        ),
        AccountError::Password(PasswordRule::NotUserName) => {
            ("password", "Parola kullanıcı adıyla aynı olamaz".into())
        }
        AccountError::DisplayName => (
            "display_name",
            "Ad soyad en çok 200 karakter olabilir ve satır sonu içeremez".into(),
        ),
        AccountError::Actor(_) | AccountError::ActorNotAllowed { .. } => {
            let field = match rol.parse::<RoleKind>() {
                Ok(k) if k.has_code() => PLACE_FIELD,
                _ => ROLE_FIELD,
            };
            (
                field,
                "Bu rol ve yer birlikte kullanılamaz: listeden seçin".into(),
            )
        }
        _ => ("password", "Parola kaydedilemedi: yeniden deneyin".into()),
    };
    FieldError { field, message }
}

/// The problem of a failed account call: at a field, or `Err` with the error page.
#[allow(clippy::result_large_err)]
fn account_error(
    e: &ServiceError,
    rol: &str,
    mount: &Mount,
    user: &SignedIn,
) -> Result<FieldError, Response> {
    match e {
        ServiceError::Account(a) => Ok(account_problem(a, rol)),
        e => {
            let p = problem(e, |f| match f {
                "name" => Some("Kullanıcı adı"),
                _ => None,
            });
            match p.field_error() {
                Some(f) => Ok(f),
                None => Err(service_error_page(e, mount, Some(user))),
            }
        }
    }
}

/// The organisation the signed-in administrator manages (core's `Mbs::manage_context`),
/// or the error page refusing anyone else.
async fn managed(
    s: &AppState,
    mount: &Mount,
    user: &SignedIn,
) -> Result<Arc<TenantContext>, Response> {
    s.mbs
        .manage_context(&user.actor)
        .await
        .map_err(|e| service_error_page(&e, mount, Some(user)))
}

/// The checks of an administrator's form post: its CSRF token (403 page), then
/// [`managed`].
async fn managed_post(
    s: &AppState,
    mount: &Mount,
    user: &SignedIn,
    csrf: Option<&str>,
) -> Result<Arc<TenantContext>, Response> {
    user.check_csrf(csrf, mount)?;
    managed(s, mount, user).await
}

/// `GET /yonetim`: the administrator's pages.
pub async fn hub(State(s): State<Arc<AppState>>, mount: Mount, user: SignedIn) -> Response {
    if let Err(page) = managed(&s, &mount, &user).await {
        return page;
    }
    Page::new("yonetim.html", "Yönetim", &mount)
        .user(Some(&user))
        .render(context! {})
}

/// A user as the list shows them.
#[derive(Debug, Serialize)]
struct UserRow {
    name: String,
    display_name: String,
    role: String,
    active: bool,
    disabled_at: Option<String>,
}

/// The add form's values (typed, kept on errors).
#[derive(Debug, Default, Deserialize, Serialize)]
pub struct AddUserForm {
    #[serde(default)]
    csrf: Option<String>,
    #[serde(default)]
    name: String,
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    rol: String,
    #[serde(default)]
    yer: String,
    #[serde(default, skip_serializing)]
    password: String,
}

/// What `/yonetim/kullanicilar` says after a change (`?eklendi=ad`, …).
#[derive(Debug, Default, Deserialize)]
pub struct UsersQuery {
    eklendi: Option<String>,
    kapatildi: Option<String>,
    parola: Option<String>,
}

async fn users_page(
    s: &AppState,
    mount: &Mount,
    user: &SignedIn,
    form: &AddUserForm,
    errors: Vec<FieldError>,
    done: UsersQuery,
) -> Response {
    let ctx = match managed(s, mount, user).await {
        Ok(c) => c,
        Err(page) => return page,
    };
    let users = match s.mbs.users(&user.actor).await {
        Ok(u) => u,
        Err(e) => return service_error_page(&e, mount, Some(user)),
    };
    let tenant = &user.actor.tenant;
    let rows: Vec<UserRow> = users
        .iter()
        .map(|u| UserRow {
            name: u.name.to_string(),
            display_name: u.display_name.clone(),
            role: role_display(&ctx.org, tenant, &u.actor),
            active: u.is_active(),
            disabled_at: u.disabled_at.map(muhtar_core::calendar::local_time),
        })
        .collect();
    // A notice only for a user that is there: the query cannot make the page say anything.
    let known = |n: Option<String>| n.filter(|n| rows.iter().any(|r| &r.name == n));
    let (muhtarliklar, units) = place_options(&ctx.org);
    let status = FieldError::status_of(&errors);
    let error_of = |f: &str| FieldError::message_of(&errors, f);
    let field_errors = context! {
        name => error_of("name"),
        display_name => error_of("display_name"),
        rol => error_of(ROLE_FIELD),
        yer => error_of(PLACE_FIELD),
        password => error_of("password"),
    };
    Page::new("yonetim_kullanicilar.html", "Kullanıcılar", mount)
        .status(status)
        .user(Some(user))
        .errors(errors)
        .render(context! {
            users => rows,
            form => form,
            field_errors => field_errors,
            roles => role_options(),
            muhtarliklar => muhtarliklar,
            units => units,
            added => known(done.eklendi),
            disabled => known(done.kapatildi),
            password_set => known(done.parola),
            min_password => MIN_PASSWORD_CHARS,
        })
}

/// `GET /yonetim/kullanicilar`: the users and the add form.
pub async fn users(
    State(s): State<Arc<AppState>>,
    mount: Mount,
    user: SignedIn,
    Query(done): Query<UsersQuery>,
) -> Response {
    users_page(&s, &mount, &user, &AddUserForm::default(), Vec::new(), done).await
}

/// `POST /yonetim/kullanicilar`: adds a user.
pub async fn add_user(
    State(s): State<Arc<AppState>>,
    mount: Mount,
    user: SignedIn,
    Form(f): Form<AddUserForm>,
) -> Response {
    if let Err(refused) = user.check_csrf(f.csrf.as_deref(), &mount) {
        return refused;
    }
    let mut errors = Vec::new();
    if f.name.trim().is_empty() {
        errors.push(FieldError {
            field: "name",
            message: "Kullanıcı adını yazın".into(),
        });
    }
    let actor = match actor_text(&f.rol, &f.yer) {
        Ok(a) => Some(a),
        Err(e) => {
            errors.push(e);
            None
        }
    };
    if f.password.is_empty() {
        errors.push(FieldError {
            field: "password",
            message: "Parolayı yazın".into(),
        });
    }
    let Some(actor) = actor.filter(|_| errors.is_empty()) else {
        return users_page(&s, &mount, &user, &f, errors, UsersQuery::default()).await;
    };
    let new = NewUser::new(f.name.trim(), actor, f.password.as_str())
        .display_name(f.display_name.as_str());
    match s.mbs.add_user(&user.actor, new).await {
        Ok(u) => Redirect::to(&mount.url(&format!("/yonetim/kullanicilar?eklendi={}", u.name)))
            .into_response(),
        Err(e) => match account_error(&e, &f.rol, &mount, &user) {
            Ok(field) => {
                users_page(&s, &mount, &user, &f, vec![field], UsersQuery::default()).await
            }
            Err(page) => page,
        },
    }
}

/// The form of a button that only needs the CSRF token.
#[derive(Debug, Default, Deserialize)]
pub struct CsrfForm {
    csrf: Option<String>,
}

/// `POST /yonetim/kullanicilar/{ad}/kapat`: disables a user (their sessions end).
pub async fn disable_user(
    State(s): State<Arc<AppState>>,
    mount: Mount,
    user: SignedIn,
    Path(name): Path<String>,
    Form(f): Form<CsrfForm>,
) -> Response {
    if let Err(refused) = user.check_csrf(f.csrf.as_deref(), &mount) {
        return refused;
    }
    match s.mbs.disable_user(&user.actor, &name).await {
        Ok(u) => Redirect::to(&mount.url(&format!("/yonetim/kullanicilar?kapatildi={}", u.name)))
            .into_response(),
        Err(e) => service_error_page(&e, &mount, Some(&user)),
    }
}

/// What the password form posts.
#[derive(Debug, Default, Deserialize)]
pub struct PasswordForm {
    csrf: Option<String>,
    #[serde(default)]
    password: String,
}

async fn password_page(
    s: &AppState,
    mount: &Mount,
    user: &SignedIn,
    name: &str,
    error: Option<FieldError>,
) -> Response {
    let target = match s.mbs.user(&user.actor, name).await {
        Ok(u) => u,
        Err(e) => return service_error_page(&e, mount, Some(user)),
    };
    let status = if error.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    let message = error.as_ref().map(|e| e.message.clone());
    Page::new("yonetim_parola.html", "Parola belirle", mount)
        .status(status)
        .user(Some(user))
        .errors(error.into_iter().collect())
        .render(context! {
            name => target.name.as_str(),
            display_name => target.display_name,
            error => message,
            min_password => MIN_PASSWORD_CHARS,
        })
}

/// `GET /yonetim/kullanicilar/{ad}/parola`: the form setting a user's password.
pub async fn password(
    State(s): State<Arc<AppState>>,
    mount: Mount,
    user: SignedIn,
    Path(name): Path<String>,
) -> Response {
    password_page(&s, &mount, &user, &name, None).await
}

/// `POST /yonetim/kullanicilar/{ad}/parola`: sets the password; the user's sessions end.
pub async fn set_password(
    State(s): State<Arc<AppState>>,
    mount: Mount,
    user: SignedIn,
    Path(name): Path<String>,
    Form(f): Form<PasswordForm>,
) -> Response {
    if let Err(refused) = user.check_csrf(f.csrf.as_deref(), &mount) {
        return refused;
    }
    if f.password.is_empty() {
        let e = FieldError {
            field: "password",
            message: "Yeni parolayı yazın".into(),
        };
        return password_page(&s, &mount, &user, &name, Some(e)).await;
    }
    match s
        .mbs
        .set_password(&user.actor, &name, None, &f.password)
        .await
    {
        Ok(()) => Redirect::to(&mount.url(&format!(
            "/yonetim/kullanicilar?parola={}",
            name.trim().to_lowercase()
        )))
        .into_response(),
        Err(ServiceError::Account(a @ AccountError::Password(_))) => {
            password_page(&s, &mount, &user, &name, Some(account_problem(&a, ""))).await
        }
        Err(e) => service_error_page(&e, &mount, Some(&user)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_role_and_a_place_make_the_actor_text() {
        assert_eq!(
            actor_text("muhtar", "m:kuzguncuk").unwrap(),
            "muhtar:kuzguncuk"
        );
        assert_eq!(actor_text("unit", "u:fen").unwrap(), "unit:fen");
        assert_eq!(actor_text("auditor", "m:kuzguncuk").unwrap(), "auditor");
        assert_eq!(
            actor_text("muhtar", "u:fen").unwrap_err().field,
            PLACE_FIELD
        );
        assert_eq!(actor_text("", "").unwrap_err().field, ROLE_FIELD);
        assert_eq!(actor_text("system", "").unwrap_err().field, ROLE_FIELD);
        assert!(role_options()
            .iter()
            .all(|r| r.value != "system" && r.value != "public"));
    }
}
