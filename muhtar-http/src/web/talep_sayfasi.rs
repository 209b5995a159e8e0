//! `/talepler/{tracking}`: the request page, and `/talepler/{tracking}/ekler/{sha256}`
//! (an attachment, for the page's `<img>`: CSP `img-src 'self'`).
//!
//! Sections, each headed exactly: **Durum** (subject, description, status, unit,
//! muhtarlık and category by display name, İVEDİ, the outcome with its reason and the
//! answer text as the muhtar reads them), **Cevap süresi** (the resolution and first
//! response deadlines in Europe/Istanbul time with the clock's explanation,
//! `Explanation::describe`, as `Mbs::deadline` and REST `…/deadline` give it),
//! **Ekler** (photos), **Geçmiş** (every event by display name with its local time,
//! who acted by display name, and the texts: interim replies, messages, reasons).
//!
//! Then **İşlemler**: one POST form per action ([`super::islem`]) the person may take
//! now: shown only when core's access table allows the role the action
//! ([`muhtar_core::access::authorize`], the same call `Mbs::execute` makes) and the
//! request's status allows the command (`RequestState::decide` on the command's
//! shape: the same rule `Mbs::execute` applies), so the page and core agree. An
//! auditor or an official sees no form. The coordinator's **Yeniden yönlendir** shows
//! why the request went where it did (the routed event's rule and how the rules in
//! force decide for it, `RuleSet::decide`'s explanation).
//!
//! **Resmî evrak** ([`super::belge`]): the request's official documents, from its state
//! (no query), and the forms that register it and issue its answer as a letter.
//!
//! Store queries: the session, `Mbs::history` (the tenant's document versions, the
//! request, its events) and `Mbs::context` (document versions; the context is cached).
//! The state is folded from the events (events are the source of truth) and the clocks
//! evaluated from them, with no further query.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::extract::{Path, RawQuery, State};
use axum::http::header;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use minijinja::context;
use muhtar_core::access::{authorize, Actor, Target};
use muhtar_core::calendar::local_time;
use muhtar_core::request::{
    Command, CommandName, DecideContext, Event, EventKind, LifecycleError, Outcome, PauseReason,
    RequestState,
};
use muhtar_core::service::{ServiceError, TenantContext};
use muhtar_core::tracking::TrackingNumber;
use serde::Serialize;

use super::problem::{error_page, service_error_page};
use super::session::SignedIn;
use super::talepler::{unit_tree, Choice};
use super::{FieldError, Page};
use crate::mount::Mount;
use crate::AppState;

/// The actions the page offers, in the order it shows them.
pub const ACTIONS: &[CommandName] = &[
    CommandName::Accept,
    CommandName::InterimReply,
    CommandName::Pause,
    CommandName::Resume,
    CommandName::Transfer,
    CommandName::Answer,
    CommandName::Extend,
    CommandName::Close,
    CommandName::Message,
    CommandName::Reopen,
    CommandName::Withdraw,
    CommandName::Reroute,
];

/// A command of `name`'s shape with placeholder data, to ask core whether the
/// request's status allows it.
fn probe(name: CommandName, unit: &muhtar_core::ids::UnitCode) -> Option<Command> {
    let text = || "-".to_owned();
    let other_unit = || unit.clone();
    Some(match name {
        CommandName::Accept => Command::Accept,
        CommandName::InterimReply => Command::InterimReply { text: text() },
        CommandName::Pause => Command::Pause {
            reason: PauseReason::Muhtar,
            note: text(),
        },
        CommandName::Resume => Command::Resume { note: text() },
        CommandName::Message => Command::Message { text: text() },
        CommandName::Answer => Command::Answer {
            outcome: Outcome::Positive,
            reason: None,
            reason_text: None,
            text: text(),
        },
        CommandName::Close => Command::Close,
        CommandName::Reopen => Command::Reopen { reason: text() },
        CommandName::Transfer => Command::Transfer {
            to: other_unit(),
            reason: text(),
        },
        CommandName::Reroute => Command::Reroute {
            to: other_unit(),
            reason: text(),
        },
        CommandName::Withdraw => Command::Withdraw { reason: text() },
        CommandName::Extend => Command::Extend { reason: text() },
        _ => return None,
    })
}

/// The actions of [`ACTIONS`] `actor` may take on `state` now: the access table allows
/// the role, and the status allows the command (a refusal by state: an illegal
/// transition, a closed reopening window, a deadline extended already); **Süreyi uzat**
/// only under a policy with an extension.
pub fn available(
    actor: &Actor,
    state: &RequestState,
    ctx: &TenantContext,
    now: chrono::DateTime<chrono::Utc>,
) -> Vec<&'static str> {
    let target = Target::Request {
        tenant: &state.tenant,
        muhtarlik: &state.content.muhtarlik,
        unit: state.unit.as_ref(),
    };
    let dctx = DecideContext {
        org: &ctx.org,
        now,
        actor,
        restart_clock_on_transfer: false,
    };
    let policy = ctx.policies.get(&state.policy).ok();
    ACTIONS
        .iter()
        .filter(|name| authorize(actor, name.action(), &target, &ctx.org).is_ok())
        // Only a policy with an extension (Law 4982) can be extended.
        .filter(|name| {
            **name != CommandName::Extend || policy.is_some_and(|p| p.extension_length.is_some())
        })
        .filter(|name| {
            let unit = state
                .unit
                .as_ref()
                .unwrap_or(&ctx.org.tenant.coordinator_unit);
            let Some(cmd) = probe(**name, unit) else {
                return false;
            };
            !matches!(
                state.decide(&cmd, &dctx),
                Err(LifecycleError::IllegalTransition { .. }
                    | LifecycleError::ReopenWindowClosed { .. }
                    | LifecycleError::AlreadyExtended)
            )
        })
        .map(|name| name.verb())
        .collect()
}

/// One line of the history.
#[derive(Debug, Serialize)]
struct HistoryRow {
    at: String,
    what: &'static str,
    who: String,
    detail: Option<String>,
    text: Option<String>,
}

/// The unit's name, or its code when the organisation no longer has it.
fn unit_name(ctx: &TenantContext, u: &muhtar_core::ids::UnitCode) -> String {
    ctx.org.unit(u).map_or(u.to_string(), |x| x.name.clone())
}

impl HistoryRow {
    fn of(e: &Event, ctx: &TenantContext) -> HistoryRow {
        let org = &ctx.org;
        let (detail, text): (Option<String>, Option<String>) = match &e.kind {
            EventKind::Routed { unit, .. } => (Some(unit_name(ctx, unit)), None),
            EventKind::InterimReply { text } | EventKind::Message { text, .. } => {
                (None, Some(text.clone()))
            }
            EventKind::Paused { reason, note } => {
                (Some(reason.display_name().to_owned()), Some(note.clone()))
            }
            EventKind::Resumed { note } | EventKind::FeePaid { note } => {
                (None, Some(note.clone()).filter(|n| !n.is_empty()))
            }
            EventKind::Answered {
                outcome,
                reason,
                reason_text,
                text,
            } => {
                let mut d = outcome.display_name().to_owned();
                if let Some(r) = reason {
                    d.push_str(&format!(" — gerekçe: {}", r.display_name(org)));
                }
                if let Some(t) = reason_text {
                    d.push_str(&format!(" ({t})"));
                }
                (Some(d), Some(text.clone()))
            }
            EventKind::Transferred {
                from, to, reason, ..
            } => (
                Some(format!("{} → {}", unit_name(ctx, from), unit_name(ctx, to))),
                Some(reason.clone()),
            ),
            EventKind::Rerouted {
                from, to, reason, ..
            } => (
                Some(format!(
                    "{} → {}",
                    from.as_ref().map_or("-".into(), |f| unit_name(ctx, f)),
                    unit_name(ctx, to)
                )),
                Some(reason.clone()),
            ),
            EventKind::Reopened { reason }
            | EventKind::Extended { reason }
            | EventKind::Withdrawn { reason } => {
                (None, Some(reason.clone()).filter(|r| !r.is_empty()))
            }
            EventKind::Merged { into } => (Some(into.to_string()), None),
            EventKind::FeeNotified { amount, note } => (
                Some(amount.to_string()),
                Some(note.clone()).filter(|n| !n.is_empty()),
            ),
            EventKind::PolicyChanged { from, to, reason } => {
                (Some(format!("{from} → {to}")), Some(reason.clone()))
            }
            EventKind::DocumentRegistered { document } | EventKind::LetterIssued { document } => {
                (Some(document.number.to_string()), None)
            }
            _ => (None, None),
        };
        HistoryRow {
            at: local_time(e.at),
            what: e.kind.display_name(),
            who: e.actor.display_name(org),
            detail,
            text,
        }
    }
}

/// A clock as the page shows it.
#[derive(Debug, Serialize)]
struct ClockView {
    due: String,
    state: &'static str,
    explanation: Vec<String>,
}

/// What went wrong with a posted action: shown on the page with the typed values.
#[derive(Debug, Default)]
pub struct ActionIssue {
    /// The status of the page.
    pub status: StatusCode,
    /// The error summary.
    pub errors: Vec<FieldError>,
    /// The typed values (`verb` names the form they belong to).
    pub typed: BTreeMap<&'static str, String>,
}

/// The confirmation of a done action (`?tamam=verb` after the redirect).
pub fn confirmation(verb: &str) -> Option<&'static str> {
    if let Some(done) = super::belge::confirmation(verb) {
        return Some(done);
    }
    Some(match CommandName::from_verb(verb)? {
        CommandName::Accept => "Talep işleme alındı.",
        CommandName::InterimReply => "Ara cevap gönderildi.",
        CommandName::Pause => "Talep bekletmeye alındı.",
        CommandName::Resume => "Talep yeniden işlemde.",
        CommandName::Transfer => "Talep aktarıldı.",
        CommandName::Answer => "Cevap gönderildi.",
        CommandName::Extend => "Cevap süresi uzatıldı.",
        CommandName::Close => "Talep kapatıldı.",
        CommandName::Message => "Mesajınız gönderildi.",
        CommandName::Reopen => "Talep yeniden açıldı.",
        CommandName::Withdraw => "Talep geri çekildi.",
        CommandName::Reroute => "Talep yeniden yönlendirildi.",
        _ => return None,
    })
}

/// `GET /talepler/{tracking}[?tamam=verb]`.
pub async fn page(
    State(s): State<Arc<AppState>>,
    mount: Mount,
    user: SignedIn,
    Path(tracking): Path<String>,
    RawQuery(q): RawQuery,
) -> Response {
    let done = q.as_deref().and_then(|q| {
        form_urlencoded::parse(q.as_bytes())
            .find(|(k, _)| k == "tamam")
            .and_then(|(_, v)| confirmation(&v))
    });
    render(&s, &mount, &user, &tracking, done, ActionIssue::default()).await
}

/// The tracking number of a path, or the 404 page.
#[allow(clippy::result_large_err)] // a response, answered at once
pub fn tracking_of(t: &str, mount: &Mount, user: &SignedIn) -> Result<TrackingNumber, Response> {
    t.parse().map_err(|_| not_found(mount, user))
}

fn not_found(mount: &Mount, user: &SignedIn) -> Response {
    error_page(
        mount,
        Some(user),
        StatusCode::NOT_FOUND,
        "Aradığınız talep bulunamadı ya da görme yetkiniz yok.",
    )
}

/// The request page of `tracking` for `user`, with a confirmation or an action's issue.
pub async fn render(
    s: &AppState,
    mount: &Mount,
    user: &SignedIn,
    tracking: &str,
    done: Option<&'static str>,
    issue: ActionIssue,
) -> Response {
    let tr = match tracking_of(tracking, mount, user) {
        Ok(t) => t,
        Err(r) => return r,
    };
    let events = match s.mbs.history(&user.actor, &tr).await {
        Ok(e) => e,
        Err(ServiceError::NotFound(_)) => return not_found(mount, user),
        Err(e) => return service_error_page(&e, mount, Some(user)),
    };
    let ctx = match user.context(s, mount).await {
        Ok(c) => c,
        Err(page) => return page,
    };
    let state = match RequestState::fold(&events) {
        Ok(st) => st,
        Err(e) => return service_error_page(&ServiceError::Lifecycle(e), mount, Some(user)),
    };
    let now = s.mbs.clock().now();
    let clocks = match ctx.evaluate(&state, &events, now) {
        Ok(c) => c,
        Err(e) => return service_error_page(&e, mount, Some(user)),
    };
    let org = &ctx.org;
    let c = &state.content;
    let clock = |st: &muhtar_core::sla::ClockStatus| ClockView {
        due: local_time(st.due.to_utc()),
        state: st.state.display_name(),
        explanation: st.explanation.describe(),
    };
    let actions = available(&user.actor, &state, &ctx, now);
    let routing = actions.contains(&CommandName::Reroute.verb()).then(|| {
        let decision = ctx.rules.decide(org, c);
        context! {
            rule => state.rule.clone(),
            unit_name => state.unit.as_ref().map(|u| unit_name(&ctx, u)),
            now_unit => unit_name(&ctx, &decision.unit),
            lines => decision.explanation.describe(|target| {
                match muhtar_core::ids::UnitCode::new(target.to_owned()) {
                    Ok(code) if org.unit(&code).is_some() => unit_name(&ctx, &code),
                    _ => target.to_owned(),
                }
            }),
        }
    });
    let reasons: Vec<Choice> = muhtar_core::reason::ReasonCode::builtins()
        .into_iter()
        .chain(org.reasons.iter().cloned())
        .filter(|r| r.code != "withdrawn" && r.code != "duplicate")
        .map(|r| Choice {
            value: r.code,
            label: r.name,
        })
        .collect();
    // A fee pause only where the policy stops the clock for a fee (Law 4982).
    let fee = ctx
        .policies
        .get(&state.policy)
        .is_ok_and(|p| p.fee_stops_clock);
    let pause_reasons: Vec<Choice> = PauseReason::ALL
        .into_iter()
        .filter(|p| fee || *p != PauseReason::Fee)
        .map(|p| Choice {
            value: p.as_str().into(),
            label: p.display_name().into(),
        })
        .collect();
    let attachments: Vec<_> = c
        .attachments
        .iter()
        .map(|a| {
            context! {
                url => mount.url(&format!("/talepler/{}/ekler/{}", state.tracking, a.sha256)),
                name => a.file_name.clone().unwrap_or_else(|| "Fotoğraf".into()),
                image => a.media_type.starts_with("image/"),
            }
        })
        .collect();
    let field_errors: BTreeMap<&str, &str> = issue
        .errors
        .iter()
        .map(|e| (e.field, e.message.as_str()))
        .collect();
    let request = context! {
        tracking => state.tracking.to_string(),
        version => state.version,
        subject => c.subject,
        description => c.description,
        urgent => c.priority.is_urgent(),
        status_name => state.status.display_name(),
        pause_name => state.pause.map(|p| p.display_name()),
        unit_name => state.unit.as_ref().map(|u| unit_name(&ctx, u)),
        muhtarlik_name => org.muhtarlik(&c.muhtarlik).map_or(c.muhtarlik.to_string(), |m| m.name.clone()),
        location => c.location.as_ref().map(|l| format!("{}, {}", l.lat, l.lon)),
        location_warning => muhtar_core::map::location_warning(org, c).map(|w| w.describe()),
        category_name => org.category(&c.category).map_or(c.category.clone(), |x| x.name.clone()),
        channel_name => c.channel.display_name(),
        received_at => local_time(c.received_at),
        outcome_name => state.outcome.map(|o| o.display_name()),
        reason_name => state.reason.as_ref().map(|r| r.display_name(org)),
        reason_text => state.reason_text,
        answer => state.answer,
        answered_at => state.answered_at.map(local_time),
        resolution => clock(&clocks.resolution),
        first_response => clock(&clocks.first_response),
        overdue => state.status.is_open() && clocks.resolution.due.to_utc() < now,
    };
    let documents = super::belge::section(&user.actor, &state, &ctx, mount);
    let mut typed = issue.typed.clone();
    typed.entry("verb").or_default();
    let title = format!("Talep {}", state.tracking);
    Page::new("talep.html", &title, mount)
        .status(if issue.status == StatusCode::default() {
            StatusCode::OK
        } else {
            issue.status
        })
        .user(Some(user))
        .errors(issue.errors.clone())
        .render(context! {
            request => request,
            history => events.iter().rev().map(|e| HistoryRow::of(e, &ctx)).collect::<Vec<_>>(),
            attachments => attachments,
            actions => actions,
            done => done,
            typed => typed,
            field_errors => field_errors,
            units => unit_tree(org),
            reasons => reasons,
            pause_reasons => pause_reasons,
            routing => routing,
            documents => documents,
        })
}

/// `GET /talepler/{tracking}/ekler/{sha256}`: an attachment of a request the person
/// may see (as REST `…/attachments/{sha256}`), else 404.
pub async fn attachment(
    State(s): State<Arc<AppState>>,
    mount: Mount,
    user: SignedIn,
    Path((t, sha)): Path<(String, String)>,
) -> Response {
    let tr = match tracking_of(&t, &mount, &user) {
        Ok(t) => t,
        Err(r) => return r,
    };
    let rec = match s.mbs.get(&user.actor, &tr).await {
        Ok(r) => r,
        Err(ServiceError::NotFound(_)) => return not_found(&mount, &user),
        Err(e) => return service_error_page(&e, &mount, Some(&user)),
    };
    if !rec
        .state
        .content
        .attachments
        .iter()
        .any(|a| a.sha256 == sha)
    {
        return not_found(&mount, &user);
    }
    match s.uploads.get(&sha).await {
        Ok(Some(file)) => (
            [
                (header::CONTENT_TYPE, file.media_type),
                (header::CACHE_CONTROL, "private, max-age=3600".into()),
            ],
            file.bytes,
        )
            .into_response(),
        Ok(None) => not_found(&mount, &user),
        Err(e) => {
            tracing::error!(error = %e, "an attachment could not be read");
            error_page(
                &mount,
                Some(&user),
                StatusCode::SERVICE_UNAVAILABLE,
                "Ek şu anda gösterilemiyor: biraz sonra yeniden deneyin.",
            )
        }
    }
}
