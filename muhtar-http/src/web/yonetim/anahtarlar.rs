//! `/yonetim/anahtarlar`: API tokens, as `muhtar token` (administrators only, through
//! `Mbs::manage_context`, `Mbs::tokens`, `Mbs::revoke_token`).
//!
//! - `GET`: the tokens (label, role by display name, created, revoked) with an
//!   **İptal et** button each, and the form creating one: **Etiket**, **Rol**,
//!   **Muhtarlık veya birim**, button **Anahtar oluştur**.
//! - `POST /yonetim/anahtarlar`: [`crate::tokens::issue`]; the page then shows the secret
//!   once (it is never stored, only its hash) and says so.
//! - `POST /yonetim/anahtarlar/{id}/iptal`: revokes it.

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use minijinja::context;
use muhtar_core::access::Actor;
use muhtar_core::calendar::local_time;
use serde::{Deserialize, Serialize};

use super::{
    actor_text, managed, managed_post, place_options, role_display, role_options, CsrfForm,
    PLACE_FIELD, ROLE_FIELD,
};
use crate::mount::Mount;
use crate::tokens::{issue, IssueError};
use crate::web::problem::{error_page, service_error_page};
use crate::web::session::SignedIn;
use crate::web::{FieldError, Page};
use crate::AppState;

/// The `id` and `name` of the label field.
pub const LABEL_FIELD: &str = "etiket";

/// What the create form posts.
#[derive(Debug, Default, Deserialize, Serialize)]
pub struct TokenForm {
    #[serde(default, skip_serializing)]
    csrf: Option<String>,
    #[serde(default)]
    etiket: String,
    #[serde(default)]
    rol: String,
    #[serde(default)]
    yer: String,
}

/// A token as the list shows it.
#[derive(Debug, Serialize)]
struct TokenRow {
    id: String,
    label: String,
    role: String,
    created_at: String,
    revoked_at: Option<String>,
}

/// A token just created: the secret, shown once.
#[derive(Debug, Serialize)]
struct Created {
    label: String,
    role: String,
    secret: String,
}

/// `?iptal=<id>`: the token just revoked.
#[derive(Debug, Default, Deserialize)]
pub struct TokensQuery {
    iptal: Option<String>,
}

async fn tokens_page(
    s: &AppState,
    mount: &Mount,
    user: &SignedIn,
    form: &TokenForm,
    errors: Vec<FieldError>,
    created: Option<Created>,
    revoked: Option<String>,
) -> Response {
    let ctx = match managed(s, mount, user).await {
        Ok(c) => c,
        Err(page) => return page,
    };
    let tokens = match s.mbs.tokens(&user.actor).await {
        Ok(t) => t,
        Err(e) => return service_error_page(&e, mount, Some(user)),
    };
    let tenant = &user.actor.tenant;
    let rows: Vec<TokenRow> = tokens
        .iter()
        .rev()
        .map(|t| TokenRow {
            id: t.id.to_string(),
            label: t.name.clone(),
            role: role_display(&ctx.org, tenant, &t.actor),
            created_at: local_time(t.created_at),
            revoked_at: t.revoked_at.map(local_time),
        })
        .collect();
    let revoked = revoked.and_then(|id| rows.iter().find(|r| r.id == id).map(|r| r.label.clone()));
    let (muhtarliklar, units) = place_options(&ctx.org);
    let status = FieldError::status_of(&errors);
    let error_of = |f: &str| FieldError::message_of(&errors, f);
    let field_errors = context! {
        etiket => error_of(LABEL_FIELD),
        rol => error_of(ROLE_FIELD),
        yer => error_of(PLACE_FIELD),
    };
    Page::new("yonetim_anahtarlar.html", "API anahtarları", mount)
        .status(status)
        .user(Some(user))
        .errors(errors)
        .render(context! {
            tokens => rows,
            form => form,
            field_errors => field_errors,
            roles => role_options(),
            muhtarliklar => muhtarliklar,
            units => units,
            created => created,
            revoked => revoked,
        })
}

/// `GET /yonetim/anahtarlar`.
pub async fn page(
    State(s): State<Arc<AppState>>,
    mount: Mount,
    user: SignedIn,
    Query(q): Query<TokensQuery>,
) -> Response {
    tokens_page(
        &s,
        &mount,
        &user,
        &TokenForm::default(),
        Vec::new(),
        None,
        q.iptal,
    )
    .await
}

/// `POST /yonetim/anahtarlar`: creates a token and shows its secret once.
pub async fn create(
    State(s): State<Arc<AppState>>,
    mount: Mount,
    user: SignedIn,
    Form(f): Form<TokenForm>,
) -> Response {
    let ctx = match managed_post(&s, &mount, &user, f.csrf.as_deref()).await {
        Ok(c) => c,
        Err(page) => return page,
    };
    let mut errors = Vec::new();
    let label = f.etiket.trim();
    if label.is_empty() {
        errors.push(FieldError {
            field: LABEL_FIELD,
            message: "Etiketi yazın: anahtarı kimin ya da neyin kullandığı".into(),
        });
    } else if label.chars().count() > 200 || label.chars().any(char::is_control) {
        errors.push(FieldError {
            field: LABEL_FIELD,
            message: "Etiket en çok 200 karakter olabilir ve satır sonu içeremez".into(),
        });
    }
    let actor = match actor_text(&f.rol, &f.yer) {
        Ok(a) => Actor::parse(&user.actor.tenant, &a).ok(),
        Err(e) => {
            errors.push(e);
            None
        }
    };
    let Some(actor) = actor.filter(|_| errors.is_empty()) else {
        return tokens_page(&s, &mount, &user, &f, errors, None, None).await;
    };
    let now = s.mbs.clock().now();
    match issue(s.mbs.store().as_ref(), &ctx.org, &actor, label, now).await {
        Ok((token, secret)) => {
            let created = Created {
                label: token.name.clone(),
                role: role_display(&ctx.org, &user.actor.tenant, &token.actor),
                secret,
            };
            let mut res = tokens_page(
                &s,
                &mount,
                &user,
                &TokenForm::default(),
                Vec::new(),
                Some(created),
                None,
            )
            .await;
            // The secret is on this page only: no cache keeps it.
            res.headers_mut().insert(
                axum::http::header::CACHE_CONTROL,
                axum::http::HeaderValue::from_static("no-store"),
            );
            res
        }
        Err(IssueError::UnknownMuhtarlik(_) | IssueError::UnknownUnit(_)) => {
            let e = FieldError {
                field: PLACE_FIELD,
                message: "Bu muhtarlık ya da birim teşkilatta yok: listeden seçin".into(),
            };
            tokens_page(&s, &mount, &user, &f, vec![e], None, None).await
        }
        Err(e) => {
            tracing::error!(error = %e, "a token could not be issued");
            error_page(
                &mount,
                Some(&user),
                StatusCode::SERVICE_UNAVAILABLE,
                "Anahtar şu anda oluşturulamadı: biraz sonra yeniden deneyin.",
            )
        }
    }
}

/// `POST /yonetim/anahtarlar/{id}/iptal`: revokes a token.
pub async fn revoke(
    State(s): State<Arc<AppState>>,
    mount: Mount,
    user: SignedIn,
    Path(id): Path<String>,
    Form(f): Form<CsrfForm>,
) -> Response {
    if let Err(refused) = user.check_csrf(f.csrf.as_deref(), &mount) {
        return refused;
    }
    let Ok(uuid) = id.parse::<uuid::Uuid>() else {
        return error_page(
            &mount,
            Some(&user),
            StatusCode::NOT_FOUND,
            "Bu anahtar bulunamadı.",
        );
    };
    match s.mbs.revoke_token(&user.actor, uuid).await {
        Ok(()) => {
            Redirect::to(&mount.url(&format!("/yonetim/anahtarlar?iptal={uuid}"))).into_response()
        }
        Err(e) => service_error_page(&e, &mount, Some(&user)),
    }
}
