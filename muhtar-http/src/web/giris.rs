//! `/giris` (log in) and `/cikis` (log out).
//!
//! `GET /giris`: a POST form (works without JavaScript) with **Kullanıcı adı**
//! (`kullanici`), **Parola** (`parola`) and the button **Giriş yap**. The tenant is the
//! store's only one; when the store holds several, the `tenant` query parameter names it
//! (kept in a hidden field), else the form asks for it (**Belediye**, a list).
//!
//! `POST /giris` ([`crate::session::login`]): on success a new server-side session, its
//! secret in the session cookie ([`super::session::SESSION_COOKIE`]), and `303 See
//! Other` to the home page. A wrong name or password is 401 with the error summary
//! "Kullanıcı adı veya parola hatalı" linking to **Kullanıcı adı**; a name locked by too
//! many failures is 429 saying how many minutes to wait. Both are a [`FailedAttempt`]
//! (counted against the client address by [`crate::auth::FailedAuthLimitLayer`]).
//!
//! **The login form's CSRF token** (there is no session yet): a double-submit token.
//! `GET /giris` sets the cookie [`LOGIN_COOKIE`] (`muhtar_giris`: 256 random bits, hex,
//! `HttpOnly`, `SameSite=Lax`, the mount's path) and puts the same value in the form's
//! hidden `csrf` field; `POST /giris` is refused with 403 unless both are there and
//! equal. Another site can make a browser send the cookie but cannot read it, so it
//! cannot fill in the field: nobody can be logged in as someone else without knowing it.
//!
//! `POST /cikis` (the header's **Çıkış** button, with the session's CSRF token): ends the
//! session in the store, removes the cookie and answers `303 See Other` to the home page.
//! Without a valid token: 403 and the session lives on.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use axum::extract::{ConnectInfo, FromRequest, RawQuery, Request, State};
use axum::http::header::{self, HeaderValue};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use minijinja::context;
use muhtar_core::ids::TenantId;
use serde::{Deserialize, Serialize};

use super::session::{cookie, csrf_refused, is_https, set_cookie, MaybeSignedIn, SESSION_COOKIE};
use super::{home_url, FieldError, Page};
use crate::auth::FailedAttempt;
use crate::mount::Mount;
use crate::session::{csrf_matches, login, logout, LoginError};
use crate::AppState;

/// The cookie of the login form's double-submit CSRF token.
pub const LOGIN_COOKIE: &str = "muhtar_giris";

/// The `id` and `name` of the user name field.
pub const USER_FIELD: &str = "kullanici";
/// The `id` and `name` of the password field.
pub const PASSWORD_FIELD: &str = "parola";
/// The `id` and `name` of the tenant field (several tenants only).
pub const TENANT_FIELD: &str = "tenant";

/// The message of a wrong user name or password (the two are not told apart).
pub const BAD_CREDENTIALS: &str = "Kullanıcı adı veya parola hatalı";

/// What the login form posts.
#[derive(Debug, Default, Deserialize)]
struct LoginForm {
    kullanici: Option<String>,
    parola: Option<String>,
    csrf: Option<String>,
    tenant: Option<String>,
}

/// What the form shows: a tenant to choose, or the one fixed.
#[derive(Debug, Serialize)]
struct TenantChoice {
    id: String,
    name: String,
}

/// The form's state to render.
struct LoginView<'a> {
    user_name: &'a str,
    token: &'a str,
    tenant: Option<&'a str>,
    choices: Vec<TenantChoice>,
}

/// A fresh double-submit token: 256 bits of the operating system's randomness, hex.
pub(super) fn new_token() -> Option<String> {
    let mut bytes = [0u8; 32];
    getrandom::getrandom(&mut bytes).ok()?;
    Some(hex::encode(bytes))
}

/// Whether `t` looks like a token this server made (64 hex digits).
pub(super) fn well_formed(t: &str) -> bool {
    t.len() == 64 && t.bytes().all(|b| b.is_ascii_hexdigit())
}

/// The store's tenants, with their names, when it has more than one (the form's list).
async fn tenant_choices(s: &AppState, tenants: &[TenantId]) -> Vec<TenantChoice> {
    if tenants.len() < 2 {
        return Vec::new();
    }
    let mut out = Vec::new();
    for t in tenants {
        let name = match s.mbs.context(t).await {
            Ok(ctx) => ctx.org.tenant.name.clone(),
            Err(_) => t.to_string(),
        };
        out.push(TenantChoice {
            id: t.to_string(),
            name,
        });
    }
    out
}

/// A successful login: `303 See Other` to `to` with the session cookie of `secret`, the
/// login form's CSRF cookie cleared, never cached. `/giris` and `/meclis/giris` both end so.
pub(super) fn logged_in(mount: &Mount, to: &str, secret: &str, https: bool) -> Response {
    let mut res = Redirect::to(to).into_response();
    let h = res.headers_mut();
    h.append(
        header::SET_COOKIE,
        set_cookie(SESSION_COOKIE, secret, mount, https),
    );
    h.append(
        header::SET_COOKIE,
        set_cookie(LOGIN_COOKIE, "", mount, https),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

pub(super) fn unavailable(mount: &Mount) -> Response {
    Page::new("hata.html", "Giriş", mount)
        .status(StatusCode::SERVICE_UNAVAILABLE)
        .render(context! {
            heading => "Şu anda giriş yapılamıyor",
            message => "Bir sorun nedeniyle şu anda giriş yapılamıyor. Biraz sonra yeniden deneyin.",
        })
}

/// The login page with `form`, its errors and status, setting the token's cookie.
fn render(
    mount: &Mount,
    user: Option<&super::session::SignedIn>,
    form: LoginView<'_>,
    errors: Vec<FieldError>,
    status: StatusCode,
    https: bool,
) -> Response {
    let field_error = |f: &str| FieldError::message_of(&errors, f);
    let (user_error, tenant_error) = (field_error(USER_FIELD), field_error(TENANT_FIELD));
    let mut res = Page::new("giris.html", "Giriş yap", mount)
        .status(status)
        .user(user)
        .errors(errors)
        .render(context! {
            kullanici => form.user_name,
            token => form.token,
            tenant => form.tenant,
            tenants => form.choices,
            user_error => user_error,
            tenant_error => tenant_error,
        });
    res.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(LOGIN_COOKIE, form.token, mount, https),
    );
    res
}

/// `GET /giris[?tenant=…]`: the form.
pub async fn page(
    State(s): State<Arc<AppState>>,
    mount: Mount,
    MaybeSignedIn(user): MaybeSignedIn,
    RawQuery(q): RawQuery,
    req: Request,
) -> Response {
    let (parts, _) = req.into_parts();
    let token = match cookie(&parts.headers, LOGIN_COOKIE).filter(|t| well_formed(t)) {
        Some(t) => t.to_owned(),
        None => match new_token() {
            Some(t) => t,
            None => return unavailable(&mount),
        },
    };
    let asked = q.as_deref().and_then(|q| {
        form_urlencoded::parse(q.as_bytes())
            .find(|(k, _)| k == TENANT_FIELD)
            .map(|(_, v)| v.into_owned())
    });
    let choices = match (&asked, s.mbs.store().tenants().await) {
        (Some(_), _) => Vec::new(),
        (None, Ok(tenants)) => tenant_choices(&s, &tenants).await,
        (None, Err(e)) => {
            tracing::error!(error = %e, "the login page could not list the tenants");
            return unavailable(&mount);
        }
    };
    let form = LoginView {
        user_name: "",
        token: &token,
        tenant: asked.as_deref(),
        choices,
    };
    render(
        &mount,
        user.as_ref(),
        form,
        Vec::new(),
        StatusCode::OK,
        is_https(&parts),
    )
}

/// `POST /giris`: logs in, or shows the form again with what went wrong.
pub async fn submit(State(s): State<Arc<AppState>>, mount: Mount, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let https = is_https(&parts);
    let client: Option<IpAddr> = parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip());
    let cookie_token = cookie(&parts.headers, LOGIN_COOKIE).map(str::to_owned);
    let f = match Form::<LoginForm>::from_request(Request::from_parts(parts, body), &()).await {
        Ok(Form(f)) => f,
        Err(e) => return e.into_response(),
    };
    let token_ok = match (&cookie_token, &f.csrf) {
        (Some(c), Some(g)) => well_formed(c) && csrf_matches(c, g),
        _ => false,
    };
    if !token_ok {
        return csrf_refused(&mount, None);
    }
    let token = cookie_token.unwrap_or_default();
    let user_name = f.kullanici.unwrap_or_default();
    let password = f.parola.unwrap_or_default();
    let tenants = match s.mbs.store().tenants().await {
        Ok(t) => t,
        Err(e) => {
            tracing::error!(error = %e, "the login could not list the tenants");
            return unavailable(&mount);
        }
    };
    let given = f.tenant.filter(|t| !t.is_empty());
    let tenant = match (&given, tenants.as_slice()) {
        (Some(t), _) => tenants.iter().find(|x| x.as_str() == t).cloned(),
        (None, [only]) => Some(only.clone()),
        (None, _) => None,
    };
    let mut errors = Vec::new();
    if tenant.is_none() {
        errors.push(FieldError {
            field: TENANT_FIELD,
            message: "Giriş yapacağınız belediyeyi seçin".into(),
        });
    }
    let form = |choices| LoginView {
        user_name: &user_name,
        token: &token,
        tenant: given.as_deref(),
        choices,
    };
    let again =
        |errors, status, choices| render(&mount, None, form(choices), errors, status, https);
    let (Some(tenant), true) = (tenant, !user_name.trim().is_empty() && !password.is_empty())
    else {
        if user_name.trim().is_empty() || password.is_empty() {
            errors.insert(
                0,
                FieldError {
                    field: USER_FIELD,
                    message: "Kullanıcı adınızı ve parolanızı yazın".into(),
                },
            );
        }
        let choices = tenant_choices(&s, &tenants).await;
        return again(errors, StatusCode::BAD_REQUEST, choices);
    };
    match login(&s, &tenant, user_name.trim(), &password, client).await {
        Ok(session) => logged_in(&mount, home_url(&mount), &session.secret, https),
        Err(e) => {
            let (message, status) = match &e {
                LoginError::BadCredentials => {
                    (BAD_CREDENTIALS.to_owned(), StatusCode::UNAUTHORIZED)
                }
                LoginError::LockedOut { retry_after } => (
                    format!(
                        "Bu kullanıcı adıyla çok fazla hatalı giriş yapıldı: {} dakika sonra \
                         yeniden deneyin",
                        (retry_after.num_seconds() + 59).div_euclid(60).max(1)
                    ),
                    StatusCode::TOO_MANY_REQUESTS,
                ),
                _ => {
                    tracing::error!(error = %e, "a login could not be checked");
                    return unavailable(&mount);
                }
            };
            let choices = if given.is_some() {
                Vec::new()
            } else {
                tenant_choices(&s, &tenants).await
            };
            let error = FieldError {
                field: USER_FIELD,
                message,
            };
            let res = again(vec![error], status, choices);
            if e.is_failure() {
                FailedAttempt::mark(res)
            } else {
                res
            }
        }
    }
}

/// What the logout form posts.
#[derive(Debug, Default, Deserialize)]
struct LogoutForm {
    csrf: Option<String>,
}

/// `POST /cikis`: ends the session (with the session's CSRF token), removes the cookie.
pub async fn logout_submit(
    State(s): State<Arc<AppState>>,
    mount: Mount,
    MaybeSignedIn(user): MaybeSignedIn,
    req: Request,
) -> Response {
    let (parts, body) = req.into_parts();
    let https = is_https(&parts);
    let gone = |to: &str| {
        let mut res = Redirect::to(to).into_response();
        res.headers_mut().append(
            header::SET_COOKIE,
            set_cookie(SESSION_COOKIE, "", &mount, https),
        );
        res
    };
    let Some(user) = user else {
        // No live session: nothing to end.
        return gone(&mount.url("/giris"));
    };
    let f = match Form::<LogoutForm>::from_request(Request::from_parts(parts, body), &()).await {
        Ok(Form(f)) => f,
        Err(_) => LogoutForm::default(),
    };
    if let Err(refused) = user.check_csrf(f.csrf.as_deref(), &mount) {
        return refused;
    }
    // A portal's person has no session of ours: the portal logs them out.
    let Some(secret) = &user.secret else {
        return gone(home_url(&mount));
    };
    match logout(&s, secret).await {
        Ok(()) => gone(home_url(&mount)),
        Err(e) => {
            tracing::error!(error = %e, "a session could not be ended");
            unavailable(&mount)
        }
    }
}
