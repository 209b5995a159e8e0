//! Official documents (resmî evrak) on the pages:
//!
//! - `/dogrula` and `/dogrula/{code}`: the public verification page (belge doğrulama,
//!   no sign-in): a GET form with the field **Doğrulama kodu** (`kod`), and a document's
//!   number, date (Istanbul), issuer, Konu and SHA-256 with the verdict **Belge
//!   doğrulandı** or **Belge DOĞRULANAMADI** and why; never personal data (core's
//!   `PublicDocument`). A malformed or unknown code is a clear page and a
//!   [`FailedAttempt`], counted per address like `/takip`'s unknown numbers.
//! - The request page's **Resmî evrak** section ([`section`]): the request's documents
//!   from its state (no store query) and, where core's access table allows the role and
//!   the state permits, the forms **Gelen evrak olarak kaydet** and **Cevabı resmî yazı
//!   olarak düzenle**, posted (with the CSRF token) to `/talepler/{tracking}/evrak/{kind}`
//!   ([`submit`]): `Mbs::register_document` / `issue_letter`.
//! - `/belgeler/{id}/yazi`: the letter (signed-in, `Mbs::document_by_id` authorizes):
//!   core's A4 HTML with a policy of its own allowing exactly its `<style>` by hash
//!   ([`crate::csp`]), no script, no framing.

use std::sync::Arc;

use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use minijinja::{context, Value};
use muhtar_core::access::{authorize, Action, Actor, Target};
use muhtar_core::calendar::local_time;
use muhtar_core::document::{Direction, DocumentId, PublicDocument, SignatureCheck};
use muhtar_core::request::RequestState;
use muhtar_core::service::{ServiceError, TenantContext};
use serde::{Deserialize, Serialize};

use super::problem::{error_page, problem, service_error_page};
use super::session::{MaybeSignedIn, SignedIn};
use super::talep_sayfasi::{render, tracking_of, ActionIssue};
use super::{FieldError, Page};
use crate::auth::FailedAttempt;
use crate::mount::Mount;
use crate::AppState;

/// The `id` and `name` of the verification code field.
pub const FIELD: &str = "kod";

/// The `id` of the request page's documents section: where a refused document command's
/// error links.
pub const SECTION_ID: &str = "resmi-evrak";

/// The two document forms of the request page: (path segment, confirmation).
const KINDS: &[(&str, &str)] = &[
    ("kaydet", "Talep gelen evrak olarak kaydedildi."),
    ("yazi", "Cevap resmî yazı olarak düzenlendi."),
];

/// The confirmation of a done document command (`?tamam=evrak-kaydet`).
pub fn confirmation(verb: &str) -> Option<&'static str> {
    let kind = verb.strip_prefix("evrak-")?;
    KINDS.iter().find(|(k, _)| *k == kind).map(|(_, c)| *c)
}

/// One document in the request page's list.
#[derive(Debug, Serialize)]
struct DocumentRow {
    number: String,
    date: String,
    kind: &'static str,
    code: String,
    verify_url: String,
    letter_url: Option<String>,
}

/// The request page's **Resmî evrak**: the documents (`rows`), and whether the person
/// may register the request (`can_register`) and issue its answer as a letter
/// (`can_letter`) now.
pub fn section(actor: &Actor, state: &RequestState, ctx: &TenantContext, mount: &Mount) -> Value {
    let rows: Vec<DocumentRow> = state
        .documents
        .iter()
        .map(|d| DocumentRow {
            number: d.number.to_string(),
            date: local_time(d.date),
            kind: match d.direction {
                Direction::Incoming => "Gelen evrak (başvuru)",
                _ => "Giden evrak (cevap yazısı)",
            },
            code: d.code.to_string(),
            verify_url: mount.url(&format!("/dogrula/{}", d.code.as_str())),
            letter_url: (d.direction == Direction::Outgoing)
                .then(|| mount.url(&format!("/belgeler/{}/yazi", d.id))),
        })
        .collect();
    let target = Target::Request {
        tenant: &state.tenant,
        muhtarlik: &state.content.muhtarlik,
        unit: state.unit.as_ref(),
    };
    let may = |action| authorize(actor, action, &target, &ctx.org).is_ok();
    // Numbered from the unit's registry (or the nearest above with a DETSİS number).
    let numbered = state
        .unit
        .as_ref()
        .is_some_and(|u| ctx.org.registry_of(u).is_some());
    let open_to_register = !matches!(
        state.status,
        muhtar_core::request::Status::Withdrawn | muhtar_core::request::Status::Merged
    );
    context! {
        rows => rows,
        can_register => numbered && open_to_register && state.registration().is_none()
            && may(Action::RegisterDocument),
        can_letter => numbered && state.answer.is_some() && state.letter().is_none()
            && may(Action::IssueLetter),
    }
}

/// What a document form posts.
#[derive(Debug, Default, Deserialize)]
pub struct DocumentForm {
    csrf: Option<String>,
}

/// A refused document command in Turkish.
pub fn document_message(e: &muhtar_core::document::DocumentError) -> String {
    use muhtar_core::document::DocumentError as D;
    match e {
        D::NoRegistry { unit } => format!(
            "Evrak numarası verilemiyor: {unit} birimi ve üstündeki birimlerin DETSİS numarası \
             yok. Sistem yöneticisi teşkilat dosyasına ekleyebilir"
        ),
        D::NotRouted => {
            "Talep henüz bir birime verilmedi; evrak numarasını birimin kaydı verir".into()
        }
        D::AlreadyRegistered { number } => {
            format!("Talep zaten {number} sayısıyla gelen evrak olarak kayıtlı")
        }
        D::NotAnswered => "Talep henüz cevaplanmadı; resmî yazı cevaptan düzenlenir".into(),
        D::LetterIssued { number } => {
            format!("Cevap zaten {number} sayılı resmî yazı olarak düzenlendi")
        }
        D::NoSigningKey => "Belgeler imzalı olmalı ama sunucuda yürürlükte bir imza anahtarı \
                            yok: sistem yöneticisine bildirin"
            .into(),
        _ => "Belge işlemi yapılamadı".into(),
    }
}

/// `POST /talepler/{tracking}/evrak/{kind}` (`kaydet`: register the request as an
/// incoming document; `yazi`: issue its answer as a letter).
pub async fn submit(
    State(s): State<Arc<AppState>>,
    mount: Mount,
    user: SignedIn,
    Path((t, kind)): Path<(String, String)>,
    Form(form): Form<DocumentForm>,
) -> Response {
    if let Err(refused) = user.check_csrf(form.csrf.as_deref(), &mount) {
        return refused;
    }
    let Some((kind, _)) = KINDS.iter().find(|(k, _)| *k == kind) else {
        return error_page(
            &mount,
            Some(&user),
            StatusCode::NOT_FOUND,
            "Böyle bir işlem yok.",
        );
    };
    let tr = match tracking_of(&t, &mount, &user) {
        Ok(t) => t,
        Err(r) => return r,
    };
    let done = if *kind == "kaydet" {
        s.mbs.register_document(&user.actor, &tr).await
    } else {
        s.mbs.issue_letter(&user.actor, &tr).await
    };
    match done {
        Ok(_) => {
            Redirect::to(&mount.url(&format!("/talepler/{tr}?tamam=evrak-{kind}#{SECTION_ID}")))
                .into_response()
        }
        Err(e) => {
            // What the request's state does not allow: the request page again, the
            // error linking to the documents' section.
            let p = problem(&e, |_| None);
            if p.status != StatusCode::CONFLICT {
                return service_error_page(&e, &mount, Some(&user));
            }
            let issue = ActionIssue {
                status: p.status,
                errors: vec![FieldError {
                    field: SECTION_ID,
                    message: p.message,
                }],
                typed: Default::default(),
            };
            render(&s, &mount, &user, &t, None, issue).await
        }
    }
}

/// `GET /belgeler/{id}/yazi`: a letter as A4 HTML, for who may read its request.
pub async fn letter(
    State(s): State<Arc<AppState>>,
    mount: Mount,
    user: SignedIn,
    Path(id): Path<String>,
) -> Response {
    let not_found = || {
        error_page(
            &mount,
            Some(&user),
            StatusCode::NOT_FOUND,
            "Aradığınız yazı bulunamadı ya da görme yetkiniz yok.",
        )
    };
    let Ok(id) = id.parse::<DocumentId>() else {
        return not_found();
    };
    let d = match s.mbs.document_by_id(&user.actor, id).await {
        Ok(d) => d,
        Err(ServiceError::NotFound(_)) => return not_found(),
        Err(ServiceError::Store(muhtar_core::store::StoreError::NotFound { .. })) => {
            return not_found()
        }
        Err(e) => return service_error_page(&e, &mount, Some(&user)),
    };
    match crate::api::letter_page(&s, &d).await {
        Ok(html) => crate::csp::document_response(html),
        Err(ServiceError::NotFound(_)) => not_found(),
        Err(e) => service_error_page(&e, &mount, Some(&user)),
    }
}

/// The verification page's view of a document.
#[derive(Debug, Serialize)]
struct Verdict {
    number: String,
    kind: &'static str,
    date: String,
    issuer: String,
    subject: String,
    sha256: String,
    valid: bool,
    content: &'static str,
    signature: String,
    /// Why it failed, in Turkish.
    why: Vec<String>,
}

impl From<PublicDocument> for Verdict {
    fn from(p: PublicDocument) -> Self {
        let v = &p.verification;
        let mut why = Vec::new();
        if !v.content_intact {
            why.push(
                "Belgenin içeriği kayıtlı SHA-256 özetiyle uyuşmuyor: içerik kayıttan sonra \
                 değiştirilmiş."
                    .to_owned(),
            );
        }
        if !matches!(
            v.signature,
            SignatureCheck::Valid { .. } | SignatureCheck::Unsigned
        ) {
            why.push(format!("İmza: {}.", v.signature.describe()));
        }
        Verdict {
            number: p.number.to_string(),
            kind: match p.direction {
                Direction::Incoming => "Gelen evrak",
                _ => "Giden evrak (resmî yazı)",
            },
            date: local_time(p.date),
            issuer: p.issuer,
            subject: p.subject,
            sha256: p.sha256,
            valid: v.is_valid(),
            content: if v.content_intact {
                "Değiştirilmemiş"
            } else {
                "DEĞİŞTİRİLMİŞ"
            },
            signature: v.signature.describe(),
            why,
        }
    }
}

/// What is wrong with a typed code, in Turkish.
fn code_problem(typed: &str) -> String {
    let n = typed
        .chars()
        .filter(|c| *c != '-' && !c.is_whitespace())
        .count();
    if n == 0 {
        "Doğrulama kodunu yazın".into()
    } else if n != muhtar_core::document::CODE_LEN {
        format!(
            "Doğrulama kodu 12 karakterdir (örneğin 7KQ2-M9XA-4T0B); yazdığınızda {n} karakter var"
        )
    } else {
        "Doğrulama kodunda geçersiz bir karakter var: yalnızca rakamlar ve harfler (I, L, O, U \
         ve Z hariç) kullanılır"
            .into()
    }
}

/// `GET /dogrula[?kod=…]`: the form; a typed code goes to its page.
pub async fn form(
    State(s): State<Arc<AppState>>,
    mount: Mount,
    user: MaybeSignedIn,
    RawQuery(q): RawQuery,
) -> Response {
    let typed = q.as_deref().and_then(|q| {
        form_urlencoded::parse(q.as_bytes())
            .find(|(k, _)| k == FIELD)
            .map(|(_, v)| v.into_owned())
    });
    match typed {
        None => Page::new("dogrula.html", "Belge doğrula", &mount)
            .user(user.0.as_ref())
            .render(context! { kod => "" }),
        Some(typed) => match muhtar_core::document::VerificationCode::parse(&typed) {
            Ok(code) => {
                Redirect::to(&mount.url(&format!("/dogrula/{}", code.as_str()))).into_response()
            }
            Err(_) => verify_page(&s, &mount, user, &typed).await,
        },
    }
}

/// `GET /dogrula/{code}`: the document with this code and the verdict.
pub async fn page(
    State(s): State<Arc<AppState>>,
    mount: Mount,
    user: MaybeSignedIn,
    Path(code): Path<String>,
) -> Response {
    verify_page(&s, &mount, user, &code).await
}

async fn verify_page(s: &AppState, mount: &Mount, user: MaybeSignedIn, typed: &str) -> Response {
    let page = Page::new("dogrula.html", "Belge doğrula", mount).user(user.0.as_ref());
    let code = match muhtar_core::document::VerificationCode::parse(typed) {
        Ok(c) => c,
        Err(_) => {
            let error = FieldError {
                field: FIELD,
                message: code_problem(typed),
            };
            return FailedAttempt::mark(
                page.status(StatusCode::BAD_REQUEST)
                    .errors(vec![error.clone()])
                    .render(context! { kod => typed, error => error.message }),
            );
        }
    };
    match s.mbs.verify_document(&code).await {
        Ok(p) => page.render(context! {
            kod => code.to_string(),
            verdict => Verdict::from(p),
        }),
        Err(ServiceError::NotFound(_)) => FailedAttempt::mark(
            page.status(StatusCode::NOT_FOUND)
                .render(context! { kod => code.to_string(), not_found => true }),
        ),
        Err(e) => {
            tracing::error!(error = %e, "the verification page could not read the store");
            page.status(StatusCode::SERVICE_UNAVAILABLE)
                .render(context! { kod => code.to_string(), unavailable => true })
        }
    }
}
