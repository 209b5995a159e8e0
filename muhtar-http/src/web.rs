//! The web pages: server-rendered HTML in Turkish for the people who use the system
//! (issue 21), merged into [`router`](crate::router) when the `web` feature is on (the
//! default; a portal with pages of its own may switch it off).
//!
//! - `/`: the home page (links to the pages).
//! - `/takip`: the public status page ([`takip`]): a tracking number in, the request's
//!   status, unit, deadline, outcome and reason out — core's public view, the same as
//!   `GET /api/v1/status/{tracking}`.
//! - `/giris` and `/cikis`: log in and out ([`giris`]); `/hesap`: who is signed in
//!   (name, user name, role; `/giris` for nobody); who is signed in, the
//!   [`session::SignedIn`] extractor of the pages that need a person, and the CSRF
//!   check of every state-changing form ([`session`]).
//! - `/talep/yeni`: the form that creates a request, a muhtar's (with a photo and the
//!   location) and the back office's (channel, receipt time, muhtarlık, registration
//!   number, the citizen's contact); `/talep/yeni/{tracking}` its result, the
//!   **Takip numarası** ([`yeni`]).
//! - `/talepler` and `/kuyruk`: the requests a person may see and a unit's work queue
//!   ([`talepler`]); `/talepler/{tracking}`: the request page ([`talep_sayfasi`]) with
//!   its actions, each a POST form to `/talepler/{tracking}/{verb}` ([`islem`]).
//! - `/dogrula` and `/dogrula/{code}`: the public verification of an official document
//!   by its code; the request page's **Resmî evrak**, its forms
//!   (`/talepler/{tracking}/evrak/{kind}`) and `/belgeler/{id}/yazi`, a letter as A4
//!   HTML under a policy of its own ([`belge`]).
//! - `/harita`: the map ([`harita`]): boundaries, requests and works over the tenant's
//!   tile server, drawn by Leaflet (vendored) with a page policy allowing the tiles.
//! - `/isler`: the units' works, publishing and closing them, and the coordinator's
//!   clashes ([`isler`]).
//! - `/meclis`: the muhtar's neighbourhood council: its members, votes, ballots with
//!   their receipts and results; read-only for the back office's readers ([`meclis`]);
//!   a council member's home, own ballot and receipt check ([`meclis_uye`]); proposals
//!   ([`meclis_oneri`]) and meetings with their minutes ([`meclis_toplanti`]).
//! - `/pano`: the dashboard of the back office, officials and auditors ([`pano`]).
//! - `/rapor`: the quarterly report, its sign-off (**Onayla**) and signed versions
//!   ([`rapor`]); its printable page keeps a stricter policy of its own.
//! - `/yonetim`: the administrator's users, API tokens and organisation and rule files
//!   ([`yonetim`]).
//! - `/static/…`: the style sheet, served by the binary under a name carrying its
//!   content hash ([`css_path`]), cached for a year.
//!
//! How the pages are made, for every page to come:
//! - Templates are minijinja, compiled into the binary (`include_str!`, [`TEMPLATES`]),
//!   with HTML escaping on for every `.html` template: data is text, never markup.
//!   Each page extends `base.html` (language `tr`, skip link, header, the error summary)
//!   and is rendered by [`Page::render`] with its own context beside the shared one
//!   (`root`: the [`Mount`] prefix every link starts with; `css`).
//! - Every response of these routes carries [`SECURITY_HEADERS`]: a Content-Security-Policy
//!   allowing nothing but this server's own files (no inline script or style; images
//!   also from `blob:`, the preview the script makes of a photo chosen in a form), no MIME
//!   sniffing, no framing, the referrer only to this server.
//! - Forms follow the GOV.UK Design System: a visible `<label for>` per field, its hint
//!   under it (`aria-describedby`), and when the input is wrong an error summary at the
//!   top ([`FieldError`]: a link to the field's `id`) and the message at the field.
//!   Every form works without JavaScript.

pub mod belge;
pub mod giris;
pub mod harita;
pub mod islem;
pub mod isler;
pub mod meclis;
pub mod meclis_giris;
pub mod meclis_oneri;
pub mod meclis_toplanti;
pub mod meclis_uye;
pub mod pano;
pub mod problem;
pub mod rapor;
pub mod session;
pub mod takip;
pub mod talep_sayfasi;
pub mod talepler;
pub mod yeni;
pub mod yonetim;

use std::sync::{Arc, OnceLock};

use axum::extract::{Path, Request};
use axum::http::header::{self, HeaderName, HeaderValue};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use minijinja::{context, Environment, UndefinedBehavior, Value};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::mount::Mount;
use crate::AppState;

/// The templates (name, source), compiled into the binary.
pub const TEMPLATES: &[(&str, &str)] = &[
    ("base.html", include_str!("../web/templates/base.html")),
    ("home.html", include_str!("../web/templates/home.html")),
    ("takip.html", include_str!("../web/templates/takip.html")),
    ("giris.html", include_str!("../web/templates/giris.html")),
    (
        "meclis_giris.html",
        include_str!("../web/templates/meclis_giris.html"),
    ),
    ("hata.html", include_str!("../web/templates/hata.html")),
    (
        "dogrula.html",
        include_str!("../web/templates/dogrula.html"),
    ),
    ("hesap.html", include_str!("../web/templates/hesap.html")),
    ("yeni.html", include_str!("../web/templates/yeni.html")),
    (
        "yeni-sonuc.html",
        include_str!("../web/templates/yeni-sonuc.html"),
    ),
    (
        "_satirlar.html",
        include_str!("../web/templates/_satirlar.html"),
    ),
    (
        "_suzgec.html",
        include_str!("../web/templates/_suzgec.html"),
    ),
    (
        "talepler.html",
        include_str!("../web/templates/talepler.html"),
    ),
    ("kuyruk.html", include_str!("../web/templates/kuyruk.html")),
    ("talep.html", include_str!("../web/templates/talep.html")),
    ("pano.html", include_str!("../web/templates/pano.html")),
    ("harita.html", include_str!("../web/templates/harita.html")),
    ("_alan.html", include_str!("../web/templates/_alan.html")),
    ("_isler.html", include_str!("../web/templates/_isler.html")),
    ("isler.html", include_str!("../web/templates/isler.html")),
    ("is.html", include_str!("../web/templates/is.html")),
    (
        "is_yeni.html",
        include_str!("../web/templates/is_yeni.html"),
    ),
    (
        "cakismalar.html",
        include_str!("../web/templates/cakismalar.html"),
    ),
    ("meclis.html", include_str!("../web/templates/meclis.html")),
    (
        "oylamalar.html",
        include_str!("../web/templates/oylamalar.html"),
    ),
    ("oylama.html", include_str!("../web/templates/oylama.html")),
    (
        "meclis_uye.html",
        include_str!("../web/templates/meclis_uye.html"),
    ),
    (
        "makbuz_kontrol.html",
        include_str!("../web/templates/makbuz_kontrol.html"),
    ),
    (
        "oneriler.html",
        include_str!("../web/templates/oneriler.html"),
    ),
    (
        "oneri_yeni.html",
        include_str!("../web/templates/oneri_yeni.html"),
    ),
    ("oneri.html", include_str!("../web/templates/oneri.html")),
    (
        "toplantilar.html",
        include_str!("../web/templates/toplantilar.html"),
    ),
    (
        "toplanti.html",
        include_str!("../web/templates/toplanti.html"),
    ),
    ("rapor.html", include_str!("../web/templates/rapor.html")),
    (
        "yonetim.html",
        include_str!("../web/templates/yonetim.html"),
    ),
    (
        "_rol_yer.html",
        include_str!("../web/templates/_rol_yer.html"),
    ),
    (
        "yonetim_kullanicilar.html",
        include_str!("../web/templates/yonetim_kullanicilar.html"),
    ),
    (
        "yonetim_parola.html",
        include_str!("../web/templates/yonetim_parola.html"),
    ),
    (
        "yonetim_anahtarlar.html",
        include_str!("../web/templates/yonetim_anahtarlar.html"),
    ),
    (
        "yonetim_dosyalar.html",
        include_str!("../web/templates/yonetim_dosyalar.html"),
    ),
];

/// The style sheet: hand-written, mobile first.
pub const CSS: &str = include_str!("../web/static/muhtar.css");

/// The progressive script of every page (photo preview, "use my location"): hand-written,
/// small, and nothing depends on it (every form works without it).
pub const JS: &str = include_str!("../web/static/muhtar.js");

/// The files under `/static/`: (stem, extension, content type, content). Each is served
/// under a name carrying its content hash ([`asset_path`]), cached for a year.
///
/// Besides our own style sheet and script: the map page's script and the map libraries
/// vendored from npm with their licences (`web/static/vendor/README.md`).
pub const ASSETS: &[(&str, &str, &str, &str)] = &[
    ("muhtar", "css", "text/css; charset=utf-8", CSS),
    ("muhtar", "js", "text/javascript; charset=utf-8", JS),
    (
        "harita",
        "js",
        "text/javascript; charset=utf-8",
        include_str!("../web/static/harita.js"),
    ),
    (
        "leaflet",
        "js",
        "text/javascript; charset=utf-8",
        include_str!("../web/static/vendor/leaflet/leaflet.js"),
    ),
    (
        "leaflet",
        "css",
        "text/css; charset=utf-8",
        include_str!("../web/static/vendor/leaflet/leaflet.css"),
    ),
    (
        "leaflet-license",
        "txt",
        "text/plain; charset=utf-8",
        include_str!("../web/static/vendor/leaflet/LICENSE"),
    ),
    (
        "markercluster",
        "js",
        "text/javascript; charset=utf-8",
        include_str!("../web/static/vendor/leaflet.markercluster/leaflet.markercluster.js"),
    ),
    (
        "markercluster",
        "css",
        "text/css; charset=utf-8",
        concat!(
            include_str!("../web/static/vendor/leaflet.markercluster/MarkerCluster.css"),
            include_str!("../web/static/vendor/leaflet.markercluster/MarkerCluster.Default.css")
        ),
    ),
    (
        "markercluster-license",
        "txt",
        "text/plain; charset=utf-8",
        include_str!("../web/static/vendor/leaflet.markercluster/MIT-LICENCE.txt"),
    ),
];

/// The headers of every page and file of these routes.
pub const SECURITY_HEADERS: &[(&str, &str)] = &[
    (
        "content-security-policy",
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' blob:; \
         object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
    ),
    ("x-content-type-options", "nosniff"),
    ("referrer-policy", "same-origin"),
    ("x-frame-options", "DENY"),
];

/// The routes of the pages, with [`SECURITY_HEADERS`] on every response.
pub fn router() -> Router<Arc<AppState>> {
    Router::new()
        .route("/", get(home))
        .route("/takip", get(takip::page))
        .route("/giris", get(giris::page).post(giris::submit))
        .route("/cikis", post(giris::logout_submit))
        .route(
            "/meclis/giris",
            get(meclis_giris::page).post(meclis_giris::send_code),
        )
        .route("/meclis/giris/kod", post(meclis_giris::log_in))
        .route("/hesap", get(account))
        .route(
            yeni::PATH,
            get(yeni::page)
                .post(yeni::submit)
                .layer(axum::extract::DefaultBodyLimit::max(
                    crate::api::MAX_UPLOAD_BODY,
                )),
        )
        .route("/talep/yeni/{tracking}", get(yeni::result))
        .route("/talepler", get(talepler::list))
        .route("/kuyruk", get(talepler::queue))
        .route("/talepler/{tracking}", get(talep_sayfasi::page))
        .route(
            "/talepler/{tracking}/ekler/{sha256}",
            get(talep_sayfasi::attachment),
        )
        .route("/talepler/{tracking}/{verb}", post(islem::submit))
        .route("/talepler/{tracking}/evrak/{kind}", post(belge::submit))
        .route("/belgeler/{id}/yazi", get(belge::letter))
        .route("/dogrula", get(belge::form))
        .route("/dogrula/{code}", get(belge::page))
        .route("/pano", get(pano::page))
        .route("/harita", get(harita::page))
        .route("/harita/talepler.geojson", get(harita::requests_layer))
        .route("/harita/muhtarliklar.geojson", get(harita::areas_layer))
        .route("/harita/isler.geojson", get(harita::works_layer))
        .route("/isler", get(isler::list))
        .route("/isler/yeni", get(isler::new_page).post(isler::create))
        .route("/isler/cakismalar", get(isler::clashes))
        .route("/isler/{id}", get(isler::page))
        .route("/isler/{id}/kapat", post(isler::close))
        .route("/meclis", get(meclis::members_page))
        .route("/meclis/uyeler", post(meclis::add_member))
        .route("/meclis/uyeler/{id}/cikar", post(meclis::remove_member))
        .route(
            "/meclis/oylamalar",
            get(meclis::votes_page).post(meclis::open_vote),
        )
        .route("/meclis/oylamalar/{id}", get(meclis::vote_page))
        .route("/meclis/oylamalar/{id}/oy", post(meclis::cast))
        .route("/meclis/oylamalar/{id}/kapat", post(meclis::close))
        .route("/meclis/oylamalar/{id}/makbuz", post(meclis::verify))
        .route(
            "/meclis/oylamalar/{id}/kontrol",
            get(meclis_uye::check_page).post(meclis_uye::check),
        )
        .route(
            "/meclis/oneriler",
            get(meclis_oneri::list).post(meclis_oneri::create),
        )
        .route("/meclis/oneriler/yeni", get(meclis_oneri::new_page))
        .route("/meclis/oneriler/{id}", get(meclis_oneri::page))
        .route("/meclis/oneriler/{id}/destek", post(meclis_oneri::support))
        .route("/meclis/oneriler/{id}/yorum", post(meclis_oneri::comment))
        .route("/meclis/oneriler/{id}/gundem", post(meclis_oneri::agenda))
        .route("/meclis/oneriler/{id}/gizle", post(meclis_oneri::hide))
        .route(
            "/meclis/toplantilar",
            get(meclis_toplanti::list).post(meclis_toplanti::create),
        )
        .route(
            "/meclis/toplantilar/{id}",
            get(meclis_toplanti::page).post(meclis_toplanti::record),
        )
        .route("/rapor", get(rapor::page))
        .route("/rapor/onayla", post(rapor::sign))
        .route("/rapor/belge", get(rapor::document))
        .route("/rapor/imzali/{id}", get(rapor::signed_document))
        .route("/yonetim", get(yonetim::hub))
        .route(
            "/yonetim/kullanicilar",
            get(yonetim::users).post(yonetim::add_user),
        )
        .route(
            "/yonetim/kullanicilar/{name}/kapat",
            post(yonetim::disable_user),
        )
        .route(
            "/yonetim/kullanicilar/{name}/parola",
            get(yonetim::password).post(yonetim::set_password),
        )
        .route(
            "/yonetim/anahtarlar",
            get(yonetim::anahtarlar::page).post(yonetim::anahtarlar::create),
        )
        .route(
            "/yonetim/anahtarlar/{id}/iptal",
            post(yonetim::anahtarlar::revoke),
        )
        .route("/yonetim/dosyalar", get(yonetim::dosyalar::page))
        .route(
            "/yonetim/dosyalar/denetle",
            post(yonetim::dosyalar::check_upload).layer(axum::extract::DefaultBodyLimit::max(
                yonetim::dosyalar::MAX_FORM,
            )),
        )
        .route(
            "/yonetim/dosyalar/uygula",
            post(yonetim::dosyalar::apply).layer(axum::extract::DefaultBodyLimit::max(
                yonetim::dosyalar::MAX_FORM,
            )),
        )
        .route("/static/{file}", get(static_file))
        .layer(axum::middleware::from_fn(security_headers))
}

/// Adds [`SECURITY_HEADERS`] to a response.
async fn security_headers(req: Request, next: Next) -> Response {
    with_security_headers(next.run(req).await)
}

/// `res` with [`SECURITY_HEADERS`]: for the pages answered outside these routes (a path
/// no route serves, a panic, the limit layer's refusal).
pub(crate) fn with_security_headers(mut res: Response) -> Response {
    let headers = res.headers_mut();
    for (name, value) in SECURITY_HEADERS {
        // A page with a policy of its own keeps it (the printable report: rapor.rs).
        if *name == "content-security-policy" && headers.contains_key(*name) {
            continue;
        }
        headers.insert(
            HeaderName::from_static(name),
            HeaderValue::from_static(value),
        );
    }
    res
}

/// The paths of [`ASSETS`] within the router, in their order:
/// `/static/<stem>.<hash>.<ext>`, the hash of the content, so that a browser may keep a
/// file for a year and still get a changed one.
fn asset_paths() -> &'static [String] {
    static PATHS: OnceLock<Vec<String>> = OnceLock::new();
    PATHS.get_or_init(|| {
        ASSETS
            .iter()
            .map(|(stem, ext, _, content)| {
                let hash = hex::encode(Sha256::digest(content.as_bytes()));
                format!("/static/{stem}.{}.{ext}", &hash[..16])
            })
            .collect()
    })
}

/// The path of the asset `stem.ext` of [`ASSETS`] (`asset_path("muhtar", "js")`).
///
/// # Panics
/// When [`ASSETS`] has no such file: a programming error, caught by the tests.
pub fn asset_path(stem: &str, ext: &str) -> &'static str {
    let i = ASSETS
        .iter()
        .position(|(s, e, _, _)| *s == stem && *e == ext)
        .unwrap_or_else(|| panic!("no built-in asset {stem}.{ext}"));
    &asset_paths()[i]
}

/// The style sheet's path within the router: `/static/muhtar.<hash>.css`.
pub fn css_path() -> &'static str {
    asset_path("muhtar", "css")
}

/// The script's path within the router: `/static/muhtar.<hash>.js`.
pub fn js_path() -> &'static str {
    asset_path("muhtar", "js")
}

/// `/static/{file}`: an asset of [`ASSETS`] under its hashed name, else 404.
async fn static_file(Path(file): Path<String>) -> Response {
    let found = asset_paths()
        .iter()
        .position(|p| p.strip_prefix("/static/") == Some(file.as_str()));
    let Some(i) = found else {
        return (StatusCode::NOT_FOUND, "Bulunamadı").into_response();
    };
    let (_, _, content_type, content) = ASSETS[i];
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "public, max-age=31536000, immutable"),
        ],
        content,
    )
        .into_response()
}

/// `/`: the home page: a welcome with the name and the role of who is signed in, and
/// the links to the pages of that role (`kind`: the role's stable name, `muhtar`,
/// `unit`, `coordinator`, `official`, `auditor`, `admin`).
async fn home(
    axum::extract::State(s): axum::extract::State<Arc<AppState>>,
    mount: Mount,
    session::MaybeSignedIn(user): session::MaybeSignedIn,
) -> Response {
    let role = match &user {
        Some(u) => Some(u.role_name(&s).await),
        None => None,
    };
    let kind = user.as_ref().map(|u| u.actor.role.kind().as_str());
    Page::new("home.html", "Ana sayfa", &mount)
        .user(user.as_ref())
        .render(context! { role => role, kind => kind })
}

/// `/hesap`: the account of who is signed in (their name, user name and role).
async fn account(
    axum::extract::State(s): axum::extract::State<Arc<AppState>>,
    mount: Mount,
    user: session::SignedIn,
) -> Response {
    let role = user.role_name(&s).await;
    Page::new("hesap.html", "Hesabım", &mount)
        .user(Some(&user))
        .render(context! {
            role => role,
            user_name => user.user.as_ref().map(|u| u.name.as_str().to_owned()),
        })
}

/// The home page's URL: `/` at the root, else the prefix itself (`/mbs`: a host's
/// `Router::nest` routes `/mbs`, not `/mbs/`, to the nested root).
fn home_url(mount: &Mount) -> &str {
    match mount.prefix() {
        "" => "/",
        prefix => prefix,
    }
}

/// A field the person must correct: shown in the error summary as a link to the field
/// (`#id`) and beside the field.
#[derive(Debug, Clone, Serialize)]
pub struct FieldError {
    /// The `id` of the field's input (its label's `for`).
    pub field: &'static str,
    /// What is wrong and how to put it right, in Turkish.
    pub message: String,
}

impl FieldError {
    /// The message of the first error at `field` in `errors`, if any.
    pub fn message_of(errors: &[FieldError], field: &str) -> Option<String> {
        errors
            .iter()
            .find(|e| e.field == field)
            .map(|e| e.message.clone())
    }

    /// A form page's status: 200 without errors, 400 with some.
    pub fn status_of(errors: &[FieldError]) -> StatusCode {
        if errors.is_empty() {
            StatusCode::OK
        } else {
            StatusCode::BAD_REQUEST
        }
    }
}

/// A page to render: its template, title and the shared context.
#[derive(Debug)]
pub struct Page<'a> {
    template: &'static str,
    title: &'a str,
    mount: &'a Mount,
    status: StatusCode,
    errors: Vec<FieldError>,
    user: Option<session::UserView>,
}

impl<'a> Page<'a> {
    /// The page of `template` (a name of [`TEMPLATES`]) titled `title`, linking under
    /// `mount`.
    pub fn new(template: &'static str, title: &'a str, mount: &'a Mount) -> Self {
        Page {
            template,
            title,
            mount,
            status: StatusCode::OK,
            errors: Vec::new(),
            user: None,
        }
    }

    /// The HTTP status of the response (default 200).
    pub fn status(mut self, status: StatusCode) -> Self {
        self.status = status;
        self
    }

    /// The fields to correct: the error summary at the top lists them, and the title
    /// starts with "Hata:".
    pub fn errors(mut self, errors: Vec<FieldError>) -> Self {
        self.errors = errors;
        self
    }

    /// Who is signed in: the header shows their name and the **Çıkış** button (a form
    /// with the session's CSRF token), else a **Giriş yap** link.
    pub fn user(mut self, user: Option<&session::SignedIn>) -> Self {
        self.user = user.map(session::SignedIn::view);
        self
    }

    /// The page with `data` (the template's own context) beside the shared context:
    /// `title`, `root` (the mount prefix: links are `{{ root }}/takip`), `home` (the
    /// home page's URL), `css` and `js` (the style sheet's and the script's URLs), `errors`, `user` (who is
    /// signed in: `display_name`, `csrf`; undefined when nobody is).
    pub fn render(self, data: Value) -> Response {
        let shared = context! {
            title => self.title,
            root => self.mount.prefix(),
            home => home_url(self.mount),
            css => self.mount.url(css_path()),
            js => self.mount.url(js_path()),
            errors => self.errors,
            user => self.user,
        };
        let html = environment()
            .get_template(self.template)
            .and_then(|t| t.render(context! { ..shared, ..data }));
        match html {
            Ok(html) => (self.status, Html(html)).into_response(),
            Err(e) => {
                tracing::error!(template = self.template, error = %e, "a page could not be rendered");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Sayfa gösterilemedi: sunucuda bir hata oluştu.",
                )
                    .into_response()
            }
        }
    }
}

/// The template environment: every template of [`TEMPLATES`], HTML escaping for `.html`
/// (minijinja's default by file name), undefined values refused where printed (tested in `if`).
fn environment() -> &'static Environment<'static> {
    static ENV: OnceLock<Environment<'static>> = OnceLock::new();
    ENV.get_or_init(|| {
        let mut env = Environment::new();
        env.set_undefined_behavior(UndefinedBehavior::SemiStrict);
        for (name, source) in TEMPLATES {
            env.add_template(name, source)
                .unwrap_or_else(|e| panic!("built-in template {name}: {e}"));
        }
        env
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_template_compiles_and_escapes_html() {
        let env = environment();
        for (name, _) in TEMPLATES {
            env.get_template(name).unwrap();
        }
        let t = env
            .template_from_named_str("x.html", "<p>{{ v }}</p>")
            .unwrap();
        assert_eq!(
            t.render(context! { v => "<script>alert(1)</script>" })
                .unwrap(),
            "<p>&lt;script&gt;alert(1)&lt;&#x2f;script&gt;</p>"
        );
    }

    #[test]
    fn the_css_name_carries_its_content_hash() {
        let p = css_path();
        assert!(
            p.starts_with("/static/muhtar.") && p.ends_with(".css"),
            "{p}"
        );
        let hash = &p["/static/muhtar.".len()..p.len() - ".css".len()];
        assert_eq!(hash.len(), 16);
        assert!(hex::encode(Sha256::digest(CSS.as_bytes())).starts_with(hash));
        let js = js_path();
        assert!(
            js.starts_with("/static/muhtar.") && js.ends_with(".js"),
            "{js}"
        );
        assert!(hex::encode(Sha256::digest(JS.as_bytes())).starts_with(&js[15..31]));
    }
}
