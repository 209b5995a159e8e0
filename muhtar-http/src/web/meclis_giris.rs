//! `/meclis/giris`: a council member logs in with a one-time code.
//!
//! `GET /meclis/giris`: **E-posta adresi veya cep telefonu** (`iletisim`) and **Kod
//! gönder**. `POST /meclis/giris` ([`muhtar_core::service::Mbs::request_member_code`]):
//! the code goes out through the outbox and the code page follows (**Giriş kodu**
//! (`kod`), **Giriş yap**), the same whether or not a member has the contact; too many
//! requests for it: 429. `POST /meclis/giris/kod`
//! ([`muhtar_core::service::Mbs::member_login`]): on success a session like any user's
//! (the session cookie, as `/giris` sets it) and `303 See Other` to `/meclis`; a wrong
//! code is 401 with the error summary (a [`FailedAttempt`]), an expired one 401 asking
//! for a new code, too many wrong codes 429. Both forms carry the login page's
//! double-submit CSRF token ([`super::giris::LOGIN_COOKIE`]). The tenant is the store's
//! only one, or `?tenant=` (kept in a hidden field).

use std::sync::Arc;

use axum::extract::{FromRequest, RawQuery, Request, State};
use axum::http::header;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Form;
use minijinja::context;
use muhtar_core::council::LoginCodeError;
use muhtar_core::ids::TenantId;
use muhtar_core::service::ServiceError;
use serde::Deserialize;

use super::giris::{logged_in, new_token, unavailable, well_formed, LOGIN_COOKIE};
use super::session::{cookie, csrf_refused, is_https, set_cookie};
use super::{FieldError, Page};
use crate::auth::FailedAttempt;
use crate::mount::Mount;
use crate::session::csrf_matches;
use crate::AppState;

/// The `id` and `name` of the contact field.
pub const CONTACT_FIELD: &str = "iletisim";
/// The `id` and `name` of the code field.
pub const CODE_FIELD: &str = "kod";
/// The message of a wrong code.
pub const WRONG_CODE: &str = "Giriş kodu hatalı";

#[derive(Debug, Default, Deserialize)]
struct CodeForm {
    iletisim: Option<String>,
    kod: Option<String>,
    csrf: Option<String>,
    tenant: Option<String>,
}

/// What a page shows.
struct View<'a> {
    step: &'static str,
    contact: &'a str,
    token: &'a str,
    tenant: Option<&'a str>,
    minutes: u32,
}

fn render(
    mount: &Mount,
    v: View<'_>,
    errors: Vec<FieldError>,
    status: StatusCode,
    https: bool,
) -> Response {
    let iletisim_error = FieldError::message_of(&errors, CONTACT_FIELD);
    let kod_error = FieldError::message_of(&errors, CODE_FIELD);
    let mut res = Page::new("meclis_giris.html", "Mahalle meclisi girişi", mount)
        .status(status)
        .errors(errors)
        .render(context! {
            step => v.step,
            iletisim => v.contact,
            token => v.token,
            tenant => v.tenant,
            minutes => v.minutes,
            iletisim_error => iletisim_error,
            kod_error => kod_error,
        });
    res.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(LOGIN_COOKIE, v.token, mount, https),
    );
    res
}

/// `GET /meclis/giris[?tenant=…]`: the contact form.
pub async fn page(mount: Mount, RawQuery(q): RawQuery, req: Request) -> Response {
    let (parts, _) = req.into_parts();
    let token = match cookie(&parts.headers, LOGIN_COOKIE).filter(|t| well_formed(t)) {
        Some(t) => t.to_owned(),
        None => match new_token() {
            Some(t) => t,
            None => return unavailable(&mount),
        },
    };
    let tenant = q.as_deref().and_then(|q| {
        form_urlencoded::parse(q.as_bytes())
            .find(|(k, _)| k == "tenant")
            .map(|(_, v)| v.into_owned())
    });
    let v = View {
        step: "iletisim",
        contact: "",
        token: &token,
        tenant: tenant.as_deref(),
        minutes: 0,
    };
    render(&mount, v, Vec::new(), StatusCode::OK, is_https(&parts))
}

/// A posted form with its CSRF token checked, the token and whether over HTTPS; or the
/// refusal.
async fn read_form(mount: &Mount, req: Request) -> Result<(CodeForm, String, bool), Response> {
    let (parts, body) = req.into_parts();
    let https = is_https(&parts);
    let cookie_token = cookie(&parts.headers, LOGIN_COOKIE).map(str::to_owned);
    let f = match Form::<CodeForm>::from_request(Request::from_parts(parts, body), &()).await {
        Ok(Form(f)) => f,
        Err(e) => return Err(e.into_response()),
    };
    match (&cookie_token, &f.csrf) {
        (Some(c), Some(g)) if well_formed(c) && csrf_matches(c, g) => {
            Ok((f, cookie_token.unwrap_or_default(), https))
        }
        _ => Err(csrf_refused(mount, None)),
    }
}

/// The tenant the form names, or the store's only one.
async fn tenant_of(s: &AppState, given: Option<&str>) -> Result<Option<TenantId>, ()> {
    let tenants = s.mbs.store().tenants().await.map_err(|e| {
        tracing::error!(error = %e, "the council login could not list the tenants");
    })?;
    Ok(
        match (given.filter(|t| !t.is_empty()), tenants.as_slice()) {
            (Some(t), _) => tenants.iter().find(|x| x.as_str() == t).cloned(),
            (None, [only]) => Some(only.clone()),
            (None, _) => None,
        },
    )
}

/// Turkish for a refused code login, its status, and whether it counts as a failed
/// attempt; `None` for a failure of the service itself.
fn refusal(e: &ServiceError) -> Option<(&'static str, String, StatusCode, bool)> {
    let ServiceError::LoginCode(e) = e else {
        return None;
    };
    Some(match e {
        LoginCodeError::BadContact { .. } => (
            CONTACT_FIELD,
            "Bir e-posta adresi ya da cep telefonu yazın (örneğin 0532 123 45 67)".into(),
            StatusCode::BAD_REQUEST,
            false,
        ),
        LoginCodeError::WrongCode => (CODE_FIELD, WRONG_CODE.into(), StatusCode::UNAUTHORIZED, true),
        LoginCodeError::Expired => (
            CODE_FIELD,
            "Giriş kodunun süresi doldu: yeni bir kod isteyin".into(),
            StatusCode::UNAUTHORIZED,
            true,
        ),
        LoginCodeError::TooManyTries { minutes } => (
            CONTACT_FIELD,
            format!("Bu iletişim bilgisi için çok fazla deneme yapıldı: {minutes} dakika sonra yeniden deneyin"),
            StatusCode::TOO_MANY_REQUESTS,
            true,
        ),
        _ => return None,
    })
}

/// The answer to a refused code request or login: the form `again` shows with the
/// field's error (marked as a [`FailedAttempt`] when it counts as one), or 503 logging
/// `what` for a failure of the service itself.
fn refused(
    e: &ServiceError,
    mount: &Mount,
    what: &str,
    again: impl FnOnce(&'static str, String, StatusCode) -> Response,
) -> Response {
    match refusal(e) {
        Some((field, message, status, failed)) => {
            let res = again(field, message, status);
            if failed {
                FailedAttempt::mark(res)
            } else {
                res
            }
        }
        None => {
            tracing::error!(error = %e, "{what}");
            unavailable(mount)
        }
    }
}

/// `POST /meclis/giris`: sends a code (if a member has the contact) and shows the code
/// page.
pub async fn send_code(State(s): State<Arc<AppState>>, mount: Mount, req: Request) -> Response {
    let (f, token, https) = match read_form(&mount, req).await {
        Ok(x) => x,
        Err(res) => return res,
    };
    let contact = f.iletisim.unwrap_or_default();
    let tenant_given = f.tenant.clone();
    let view = |step, minutes| View {
        step,
        contact: contact.trim(),
        token: &token,
        tenant: tenant_given.as_deref(),
        minutes,
    };
    let Ok(tenant) = tenant_of(&s, f.tenant.as_deref()).await else {
        return unavailable(&mount);
    };
    // The contact form again, with one field's error.
    let again = |field, message: String, status| {
        render(
            &mount,
            view("iletisim", 0),
            vec![FieldError { field, message }],
            status,
            https,
        )
    };
    let Some(tenant) = tenant else {
        return again(
            CONTACT_FIELD,
            "Belediye belirlenemedi: bağlantıyı belediyenizin sayfasından açın".into(),
            StatusCode::BAD_REQUEST,
        );
    };
    if contact.trim().is_empty() {
        return again(
            CONTACT_FIELD,
            "E-posta adresinizi ya da cep telefonunuzu yazın".into(),
            StatusCode::BAD_REQUEST,
        );
    }
    match s.mbs.request_member_code(&tenant, &contact).await {
        Ok(()) => {
            let minutes = match s.mbs.context(&tenant).await {
                Ok(ctx) => ctx.settings.council.login_code_minutes(),
                Err(_) => muhtar_core::council::DEFAULT_LOGIN_CODE_MINUTES,
            };
            render(
                &mount,
                view("kod", minutes),
                Vec::new(),
                StatusCode::OK,
                https,
            )
        }
        Err(e) => refused(&e, &mount, "a council login code could not be sent", again),
    }
}

/// `POST /meclis/giris/kod`: logs the member in with the code.
pub async fn log_in(State(s): State<Arc<AppState>>, mount: Mount, req: Request) -> Response {
    let (f, token, https) = match read_form(&mount, req).await {
        Ok(x) => x,
        Err(res) => return res,
    };
    let contact = f.iletisim.unwrap_or_default();
    let code = f.kod.unwrap_or_default();
    let tenant_given = f.tenant.clone();
    let Ok(tenant) = tenant_of(&s, f.tenant.as_deref()).await else {
        return unavailable(&mount);
    };
    let minutes = muhtar_core::council::DEFAULT_LOGIN_CODE_MINUTES;
    let again = |field, message: String, status| {
        let v = View {
            step: if field == CODE_FIELD {
                "kod"
            } else {
                "iletisim"
            },
            contact: contact.trim(),
            token: &token,
            tenant: tenant_given.as_deref(),
            minutes,
        };
        render(
            &mount,
            v,
            vec![FieldError { field, message }],
            status,
            https,
        )
    };
    let Some(tenant) = tenant else {
        return again(
            CONTACT_FIELD,
            "Belediye belirlenemedi: bağlantıyı belediyenizin sayfasından açın".into(),
            StatusCode::BAD_REQUEST,
        );
    };
    if code.trim().is_empty() {
        return again(
            CODE_FIELD,
            "Size gönderilen giriş kodunu yazın".into(),
            StatusCode::BAD_REQUEST,
        );
    }
    match s.mbs.member_login(&tenant, &contact, code.trim()).await {
        Ok(session) => logged_in(&mount, &mount.url("/meclis"), &session.secret, https),
        Err(e) => refused(
            &e,
            &mount,
            "a council code login could not be checked",
            again,
        ),
    }
}
