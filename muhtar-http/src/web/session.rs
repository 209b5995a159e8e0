//! Who is signed in to the web pages, and the CSRF check of their forms.
//!
//! - The session cookie [`SESSION_COOKIE`] (`muhtar_oturum`) holds the session's secret
//!   ([`crate::session::login`]); the session itself lives in the store (ended by
//!   `/cikis`, by idling, by a disabled user or a new password). The cookie is
//!   `HttpOnly`, `SameSite=Lax`, its `Path` the [`Mount`] prefix, and `Secure` when the
//!   request came over TLS or through a proxy saying `X-Forwarded-Proto: https`
//!   ([`is_https`]; trusting that header can only add `Secure`, never remove it).
//! - [`SignedIn`]: the extractor of every page that needs a person; without a live
//!   session it answers `303 See Other` to `/giris`. [`MaybeSignedIn`] for pages anyone
//!   sees (the header shows the name and **Çıkış**, or **Giriş yap**).
//! - CSRF: every state-changing form carries a hidden `csrf` field ([`CSRF_FIELD`])
//!   rendered from the session's CSRF secret; [`SignedIn::check_csrf`] refuses a POST
//!   without it or with a wrong one (403, Turkish, before anything changes). The login
//!   form has no session yet: it uses a double-submit token, see [`super::giris`].
//! - A portal with a login of its own: without our session cookie, the pages ask the
//!   router's [`Authenticator`](crate::auth::Authenticator) with
//!   [`Api::Web`](crate::auth::Api::Web) credentials; the actor it names is signed in
//!   (no user account of ours, no **Çıkış**: the portal logs out). Its forms' CSRF token
//!   is an HMAC-SHA256, under a key random per process ([`AppState`]), of the tenant and
//!   the actor: a page of another site cannot read it, and another person's differs.

use std::sync::Arc;

use axum::extract::FromRequestParts;
use axum::http::header::{self, HeaderMap, HeaderValue};
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use minijinja::context;
use muhtar_core::access::Actor;
use muhtar_core::account::User;
use serde::Serialize;

use super::Page;
use crate::auth::{AuthError, Credentials};
use crate::mount::Mount;
use crate::session::{csrf_matches, session_actor};
use crate::AppState;

/// The name of the session cookie.
pub const SESSION_COOKIE: &str = "muhtar_oturum";

/// The name of the hidden CSRF field of every state-changing form.
pub const CSRF_FIELD: &str = "csrf";

/// A person signed in with a live session: the extractor of every page that needs one.
/// Without a live session the page answers `303 See Other` to `/giris`.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct SignedIn {
    /// The user account, when they logged in at `/giris`; `None` for a person a
    /// portal's authenticator signed in.
    pub user: Option<User>,
    /// The name people read in the header.
    pub display_name: String,
    /// The actor they act as (every service call takes it).
    pub actor: Actor,
    /// The session's CSRF secret: the value of the forms' hidden `csrf` field.
    pub csrf: String,
    /// The session cookie's value (to end the session); `None` for a portal's person.
    pub(crate) secret: Option<String>,
}

/// What the templates see of the person signed in (`user` in every page's context).
#[derive(Debug, Clone, Serialize)]
pub(crate) struct UserView {
    display_name: String,
    csrf: String,
    /// Whether the session is ours (the header's **Çıkış** ends it), not a portal's.
    own_session: bool,
}

impl SignedIn {
    /// Checks a form's CSRF token (`given`, the hidden `csrf` field) against the
    /// session's: `Err` is the 403 page to answer, before anything is changed.
    #[allow(clippy::result_large_err)] // a response, answered at once
    pub fn check_csrf(&self, given: Option<&str>, mount: &Mount) -> Result<(), Response> {
        match given {
            Some(g) if csrf_matches(&self.csrf, g) => Ok(()),
            _ => Err(csrf_refused(mount, Some(self))),
        }
    }

    /// The person's tenant's context (organisation, rules, settings), or the error page
    /// to answer when it cannot be read.
    #[allow(clippy::result_large_err)] // a response, answered at once
    pub async fn context(
        &self,
        state: &AppState,
        mount: &Mount,
    ) -> Result<Arc<muhtar_core::service::TenantContext>, Response> {
        state
            .mbs
            .context(&self.actor.tenant)
            .await
            .map_err(|e| super::problem::service_error_page(&e, mount, Some(self)))
    }

    /// The role as people read it: `Kuzguncuk Mahallesi (muhtar)`, `koordinatör`.
    pub async fn role_name(&self, state: &AppState) -> String {
        let mut role = self.actor.clone();
        role.user = String::new();
        match state.mbs.context(&self.actor.tenant).await {
            Ok(ctx) => role.display_name(&ctx.org),
            Err(_) => self.actor.role.kind().display_name().to_owned(),
        }
    }

    pub(crate) fn view(&self) -> UserView {
        UserView {
            display_name: self.display_name.clone(),
            csrf: self.csrf.clone(),
            own_session: self.secret.is_some(),
        }
    }
}

/// The 403 page of a form without a valid CSRF token: nothing was changed.
pub fn csrf_refused(mount: &Mount, user: Option<&SignedIn>) -> Response {
    tracing::info!("a form without a valid CSRF token was refused");
    Page::new("hata.html", "Güvenlik doğrulaması", mount)
        .status(StatusCode::FORBIDDEN)
        .user(user)
        .render(context! {
            heading => "Güvenlik doğrulaması başarısız",
            message => "Form bu sitenin son açtığınız sayfasından gönderilmedi ya da süresi \
                        doldu; hiçbir şey değiştirilmedi. Sayfayı yeniden açıp tekrar deneyin.",
        })
}

/// The person of a request with a live session, or `None`; a store failure is logged
/// and taken as `None` by [`MaybeSignedIn`], as 503 by [`SignedIn`].
async fn signed_in(parts: &Parts, state: &AppState) -> Result<Option<SignedIn>, Response> {
    let Some(secret) = cookie(&parts.headers, SESSION_COOKIE) else {
        return portal_person(parts, state).await;
    };
    match session_actor(state, secret).await {
        Ok(found) => Ok(found.map(|s| SignedIn {
            display_name: s.user.display_name.clone(),
            user: Some(s.user),
            actor: s.actor,
            csrf: s.csrf,
            secret: Some(secret.to_owned()),
        })),
        Err(e) => {
            tracing::error!(error = %e, "the session could not be read from the store");
            Err((
                StatusCode::SERVICE_UNAVAILABLE,
                "Oturum şu anda doğrulanamıyor; biraz sonra yeniden deneyin.",
            )
                .into_response())
        }
    }
}

/// The person a portal's authenticator names for this request ([`Api::Web`]), if any:
/// [`AuthError::Missing`] and [`AuthError::Invalid`] are nobody, an unavailable backend
/// is 503.
async fn portal_person(parts: &Parts, state: &AppState) -> Result<Option<SignedIn>, Response> {
    let actor = match state
        .authenticator
        .authenticate(&Credentials::web(parts))
        .await
    {
        Ok(actor) => actor,
        Err(AuthError::Missing | AuthError::Invalid) => return Ok(None),
        Err(e) => {
            tracing::error!(error = %e, "the portal's authenticator could not decide");
            return Err((
                StatusCode::SERVICE_UNAVAILABLE,
                "Oturum şu anda doğrulanamıyor; biraz sonra yeniden deneyin.",
            )
                .into_response());
        }
    };
    let display_name = match state.mbs.context(&actor.tenant).await {
        Ok(ctx) if actor.user.is_empty() => actor.display_name(&ctx.org),
        _ if !actor.user.is_empty() => actor.user.clone(),
        _ => actor.role.kind().display_name().to_owned(),
    };
    Ok(Some(SignedIn {
        user: None,
        display_name,
        csrf: portal_csrf(&state.csrf_key, &actor),
        actor,
        secret: None,
    }))
}

/// The CSRF token of a portal's person: HMAC-SHA256 under the process's key of the
/// tenant and the actor, hex.
fn portal_csrf(key: &[u8; 32], actor: &Actor) -> String {
    use hmac::{Hmac, Mac};
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(actor.tenant.as_str().as_bytes());
    mac.update(&[0]);
    mac.update(actor.to_string().as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

fn mount_of(parts: &Parts) -> Mount {
    parts.extensions.get::<Mount>().cloned().unwrap_or_default()
}

impl FromRequestParts<Arc<AppState>> for SignedIn {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppState>,
    ) -> Result<Self, Self::Rejection> {
        match signed_in(parts, state).await? {
            Some(s) => Ok(s),
            None => Err(Redirect::to(&mount_of(parts).url("/giris")).into_response()),
        }
    }
}

/// The person signed in, if any: for pages anyone may see.
#[derive(Debug, Clone)]
pub struct MaybeSignedIn(pub Option<SignedIn>);

impl FromRequestParts<Arc<AppState>> for MaybeSignedIn {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppState>,
    ) -> Result<Self, Self::Rejection> {
        Ok(MaybeSignedIn(signed_in(parts, state).await.unwrap_or(None)))
    }
}

/// The value of the cookie `name` of a request, if it has one.
pub fn cookie<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|h| h.to_str().ok())
        .flat_map(|h| h.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
        .filter(|v| !v.is_empty())
}

/// Whether the request came over HTTPS: its URI says so (TLS ended by this server) or a
/// proxy in front says `X-Forwarded-Proto: https`.
pub fn is_https(parts: &Parts) -> bool {
    parts.uri.scheme_str() == Some("https")
        || parts
            .headers
            .get("x-forwarded-proto")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(',').next())
            .is_some_and(|v| v.trim().eq_ignore_ascii_case("https"))
}

/// A `Set-Cookie` value: `name=value`, `HttpOnly`, `SameSite=Lax`, `Path` the mount
/// prefix (`/` at the root), `Secure` over HTTPS; `Max-Age=0` when `value` is empty
/// (the cookie is removed).
pub fn set_cookie(name: &str, value: &str, mount: &Mount, https: bool) -> HeaderValue {
    let path = match mount.prefix() {
        "" => "/",
        p => p,
    };
    let mut c = format!("{name}={value}; Path={path}; HttpOnly; SameSite=Lax");
    if value.is_empty() {
        c.push_str("; Max-Age=0");
    }
    if https {
        c.push_str("; Secure");
    }
    HeaderValue::from_str(&c).unwrap_or_else(|_| HeaderValue::from_static(""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_are_read_by_name_and_written_with_their_attributes() {
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            HeaderValue::from_static("a=1; muhtar_oturum=abc"),
        );
        h.append(header::COOKIE, HeaderValue::from_static("b=2"));
        assert_eq!(cookie(&h, SESSION_COOKIE), Some("abc"));
        assert_eq!(cookie(&h, "b"), Some("2"));
        assert_eq!(cookie(&h, "muhtar"), None);
        let root = Mount::default();
        assert_eq!(
            set_cookie("x", "v", &root, false),
            "x=v; Path=/; HttpOnly; SameSite=Lax"
        );
        let mbs = Mount::derive("/mbs/giris", "/giris");
        assert_eq!(
            set_cookie("x", "", &mbs, true),
            "x=; Path=/mbs; HttpOnly; SameSite=Lax; Max-Age=0; Secure"
        );
    }

    #[test]
    fn https_is_the_uri_scheme_or_the_proxys_header() {
        let parts = |uri: &str, proto: Option<&str>| {
            let mut r = axum::http::Request::builder().uri(uri);
            if let Some(p) = proto {
                r = r.header("x-forwarded-proto", p);
            }
            r.body(()).unwrap().into_parts().0
        };
        assert!(!is_https(&parts("/giris", None)));
        assert!(is_https(&parts("https://mbs.example/giris", None)));
        assert!(is_https(&parts("/giris", Some("HTTPS"))));
        assert!(is_https(&parts("/giris", Some("https, http"))));
        assert!(!is_https(&parts("/giris", Some("http"))));
    }
}
