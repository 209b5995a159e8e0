//! `POST /talepler/{tracking}/{verb}`: the actions of the request page, one form each
//! (`verb`: core's `CommandName::verb`, as REST `POST /api/v1/requests/{tracking}/{verb}`).
//!
//! Every form carries the session's CSRF token (checked first: without it 403 and
//! nothing changes) and the request's version (a change meanwhile is a conflict, not a
//! silent overwrite). The form becomes a core `Command` and goes through `Mbs::execute`,
//! so authorization and the lifecycle rules are core's. Success: `303 See Other` back
//! to the request page with a confirmation (`?tamam=verb`), or to `/talepler` when
//! the person no longer sees the request (transferred out of their unit). Failure: the request page
//! again with the error summary linking to the field at fault (`{verb}-{field}`, the
//! field named after the API's: `text`, `note`, `reason`, `reason_text`, `outcome`,
//! `to`), the message at the field and the typed text kept; an error of no field (the
//! status does not allow it any more, a conflict) links to the actions' section.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use muhtar_core::ids::UnitCode;
use muhtar_core::reason::ReasonCode;
use muhtar_core::request::{Command, CommandName, LifecycleError, Outcome, PauseReason};
use muhtar_core::service::ServiceError;
use serde::Deserialize;

use super::problem::{error_page, problem, service_error_page};
use super::session::SignedIn;
use super::talep_sayfasi::{render, tracking_of, ActionIssue, ACTIONS};
use super::FieldError;
use crate::mount::Mount;
use crate::AppState;

/// The fields of the action forms: (verb, API field, input id, visible label).
pub const FIELDS: &[(&str, &str, &str, &str)] = &[
    ("reply", "text", "reply-text", "Ara cevap metni"),
    ("pause", "reason", "pause-reason", "Bekletme nedeni"),
    ("pause", "note", "pause-note", "Muhtardan istenen"),
    ("resume", "note", "resume-note", "Gelen bilgi"),
    ("transfer", "to", "transfer-to", "Aktarılacak birim"),
    ("transfer", "reason", "transfer-reason", "Aktarma nedeni"),
    ("answer", "outcome", "answer-outcome", "Sonuç"),
    ("answer", "reason", "answer-reason", "Gerekçe"),
    (
        "answer",
        "reason_text",
        "answer-reason_text",
        "Gerekçe açıklaması",
    ),
    ("answer", "text", "answer-text", "Cevap metni"),
    ("extend", "reason", "extend-reason", "Uzatma nedeni"),
    ("message", "text", "message-text", "Mesajınız"),
    ("reopen", "reason", "reopen-reason", "Yeniden açma nedeni"),
    ("withdraw", "reason", "withdraw-reason", "Geri çekme nedeni"),
    ("reroute", "to", "reroute-to", "Yeni birim"),
    ("reroute", "reason", "reroute-reason", "Yönlendirme nedeni"),
];

/// The id and label of `verb`'s field `field`.
fn field_of(verb: &str, field: &str) -> Option<(&'static str, &'static str)> {
    FIELDS
        .iter()
        .find(|(v, f, ..)| *v == verb && *f == field)
        .map(|(_, _, id, label)| (*id, *label))
}

/// The id of the actions' section: where an error of no field links.
pub const ACTIONS_ID: &str = "islemler";

/// What an action form posts (every form a subset).
#[derive(Debug, Default, Deserialize)]
pub struct ActionForm {
    csrf: Option<String>,
    version: Option<u32>,
    text: Option<String>,
    note: Option<String>,
    reason: Option<String>,
    reason_text: Option<String>,
    outcome: Option<String>,
    to: Option<String>,
}

impl ActionForm {
    /// The typed values, by API field, to show again.
    fn typed(&self, verb: &'static str) -> BTreeMap<&'static str, String> {
        let mut out = BTreeMap::from([("verb", verb.to_owned())]);
        for (k, v) in [
            ("text", &self.text),
            ("note", &self.note),
            ("reason", &self.reason),
            ("reason_text", &self.reason_text),
            ("outcome", &self.outcome),
            ("to", &self.to),
        ] {
            if let Some(v) = v {
                out.insert(k, v.clone());
            }
        }
        out
    }
}

/// A field error of `verb`'s `field` saying `message`.
fn at(verb: &str, field: &str, message: impl Into<String>) -> FieldError {
    FieldError {
        field: field_of(verb, field).map_or(ACTIONS_ID, |(id, _)| id),
        message: message.into(),
    }
}

fn text(v: &Option<String>) -> String {
    v.clone().unwrap_or_default()
}

/// The unit a select chose, or the error at it.
fn unit(verb: &str, v: &Option<String>) -> Result<UnitCode, FieldError> {
    match v.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
        None => Err(at(verb, "to", "Bir birim seçin")),
        Some(u) => {
            UnitCode::new(u.to_owned()).map_err(|_| at(verb, "to", "Listeden bir birim seçin"))
        }
    }
}

/// The command of `name`'s form, or the error at the field to correct.
fn command(name: CommandName, verb: &str, f: &ActionForm) -> Result<Command, FieldError> {
    Ok(match name {
        CommandName::Accept => Command::Accept,
        CommandName::InterimReply => Command::InterimReply {
            text: text(&f.text),
        },
        CommandName::Pause => Command::Pause {
            reason: f
                .reason
                .as_deref()
                .unwrap_or("muhtar")
                .parse::<PauseReason>()
                .map_err(|_| at(verb, "reason", "Listeden bir bekletme nedeni seçin"))?,
            note: text(&f.note),
        },
        CommandName::Resume => Command::Resume {
            note: text(&f.note),
        },
        CommandName::Message => Command::Message {
            text: text(&f.text),
        },
        CommandName::Answer => {
            let outcome = match f.outcome.as_deref() {
                None | Some("") => {
                    return Err(at(verb, "outcome", "Sonucu seçin: Olumlu ya da Olumsuz"))
                }
                Some(o) => o
                    .parse::<Outcome>()
                    .map_err(|_| at(verb, "outcome", "Sonucu seçin: Olumlu ya da Olumsuz"))?,
            };
            let reason = f
                .reason
                .as_deref()
                .map(str::trim)
                .filter(|r| !r.is_empty())
                .map(ReasonCode::new);
            Command::Answer {
                outcome,
                reason,
                reason_text: f.reason_text.clone().filter(|t| !t.trim().is_empty()),
                text: text(&f.text),
            }
        }
        CommandName::Close => Command::Close,
        CommandName::Reopen => Command::Reopen {
            reason: text(&f.reason),
        },
        CommandName::Transfer => Command::Transfer {
            to: unit(verb, &f.to)?,
            reason: text(&f.reason),
        },
        CommandName::Reroute => Command::Reroute {
            to: unit(verb, &f.to)?,
            reason: text(&f.reason),
        },
        CommandName::Withdraw => Command::Withdraw {
            reason: text(&f.reason),
        },
        CommandName::Extend => Command::Extend {
            reason: text(&f.reason),
        },
        _ => unreachable!("only the page's actions are routed"),
    })
}

/// Core's refusal as the error to show: at the field core names (or the one a
/// lifecycle error is about), else at the actions' section.
fn refusal(e: &ServiceError, verb: &str) -> (StatusCode, FieldError) {
    let p = problem(e, |f| field_of(verb, f).map(|(_, label)| label));
    let field = match e {
        ServiceError::Lifecycle(
            LifecycleError::ReasonRequired
            | LifecycleError::ReasonNotAllowed
            | LifecycleError::Reason(_),
        ) => Some("reason"),
        ServiceError::Lifecycle(LifecycleError::SameUnit(_) | LifecycleError::Target(_)) => {
            Some("to")
        }
        _ => p.field,
    };
    let message = match e {
        ServiceError::Lifecycle(LifecycleError::Reason(_)) => {
            "Gerekçe: listeden bir gerekçe seçin; \"Diğer\" için açıklama yazın".to_owned()
        }
        _ => p.message,
    };
    // A fault of a field is the person's to correct: 400, like core's input errors.
    let status = match field {
        Some(_) if p.status == StatusCode::CONFLICT => StatusCode::BAD_REQUEST,
        _ => p.status,
    };
    (status, at(verb, field.unwrap_or(""), message))
}

/// `POST /talepler/{tracking}/{verb}`.
pub async fn submit(
    State(s): State<Arc<AppState>>,
    mount: Mount,
    user: SignedIn,
    Path((t, verb)): Path<(String, String)>,
    Form(form): Form<ActionForm>,
) -> Response {
    if let Err(refused) = user.check_csrf(form.csrf.as_deref(), &mount) {
        return refused;
    }
    let Some(name) = CommandName::from_verb(&verb).filter(|n| ACTIONS.contains(n)) else {
        return error_page(
            &mount,
            Some(&user),
            StatusCode::NOT_FOUND,
            "Böyle bir işlem yok.",
        );
    };
    let verb = name.verb();
    let tr = match tracking_of(&t, &mount, &user) {
        Ok(t) => t,
        Err(r) => return r,
    };
    let failed = |status: StatusCode, error: FieldError| ActionIssue {
        status,
        errors: vec![error],
        typed: form.typed(verb),
    };
    let cmd = match command(name, verb, &form) {
        Ok(c) => c,
        Err(e) => {
            let issue = failed(StatusCode::BAD_REQUEST, e);
            return render(&s, &mount, &user, &t, None, issue).await;
        }
    };
    match s.mbs.execute(&user.actor, &tr, form.version, cmd).await {
        Ok(_) => {
            // A transfer can take the request out of what its unit's staff see: then
            // the confirmation is on their list.
            let path = match s.mbs.get(&user.actor, &tr).await {
                Err(ServiceError::NotFound(_)) => format!("/talepler?tamam={verb}&takip={tr}"),
                _ => format!("/talepler/{tr}?tamam={verb}"),
            };
            Redirect::to(&mount.url(&path)).into_response()
        }
        Err(e @ ServiceError::NotFound(_)) => service_error_page(&e, &mount, Some(&user)),
        Err(e) => {
            let (status, error) = refusal(&e, verb);
            // Not found, not theirs to do (the page offers no such form), or the server's
            // fault: a page of its own.
            if matches!(status, StatusCode::NOT_FOUND | StatusCode::FORBIDDEN)
                || status.is_server_error()
            {
                return service_error_page(&e, &mount, Some(&user));
            }
            render(&s, &mount, &user, &t, None, failed(status, error)).await
        }
    }
}
