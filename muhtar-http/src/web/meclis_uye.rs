//! A council member's pages (`member:<kod>@<member id>`, issue 24): `/meclis` as their
//! home (the open votes they may cast, the proposals, the meetings) and the receipt check
//! (`/meclis/oylamalar/{id}/kontrol`: **Makbuz kodu**, **Kontrol et**), which says what
//! the receipt's ballot chose and whether it is counted. The check is for anyone who may
//! read the council; the code is posted, never put in an address.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Path, State};
use axum::response::Response;
use axum::Form;
use minijinja::context;
use muhtar_core::calendar::local_time;
use muhtar_core::clock::Clock;
use muhtar_core::council::{ReceiptCode, VoteId, VoteStatus};
use muhtar_core::service::ServiceError;

use super::meclis::{not_found, VoteRow};
use super::meclis_oneri::ProposalRow;
use super::meclis_toplanti::MeetingRow;
use super::problem::{error_page, problem, service_error_page};
use super::session::{SignedIn, CSRF_FIELD};
use super::{FieldError, Page};
use crate::mount::Mount;
use crate::AppState;

/// `GET /meclis` of a council member: what they can take part in now.
pub(super) async fn home(s: &AppState, mount: &Mount, user: &SignedIn) -> Response {
    let muhtarlik = match &user.actor.role {
        muhtar_core::access::Role::Member(m) => m.clone(),
        _ => return not_found(mount, user, "Mahalle meclisi bulunamadı."),
    };
    let ctx = match user.context(s, mount).await {
        Ok(c) => c,
        Err(page) => return page,
    };
    let name = ctx
        .org
        .muhtarlik(&muhtarlik)
        .map_or_else(|| muhtarlik.to_string(), |m| m.name.clone());
    let (votes, proposals, meetings) = match tokio::try_join!(
        s.mbs.votes(&user.actor, &muhtarlik),
        s.mbs.proposals(&user.actor, &muhtarlik),
        s.mbs.meetings(&user.actor, &muhtarlik),
    ) {
        Ok(x) => x,
        Err(e) => return service_error_page(&e, mount, Some(user)),
    };
    let now = s.mbs.clock().now();
    let me = user.actor.member_id();
    let open: Vec<VoteRow> = votes
        .iter()
        .filter(|v| v.status == VoteStatus::Open && v.opens_at <= now && now < v.closes_at)
        .filter(|v| me.is_some_and(|m| v.eligible.contains(&m)))
        .map(VoteRow::of)
        .collect();
    let closed: Vec<VoteRow> = votes
        .iter()
        .filter(|v| v.status == VoteStatus::Closed)
        .map(VoteRow::of)
        .collect();
    let title = format!("Mahalle meclisi: {name}");
    Page::new("meclis_uye.html", &title, mount)
        .user(Some(user))
        .render(context! {
            open => open,
            closed => closed,
            proposals => proposals.iter().map(ProposalRow::of).collect::<Vec<_>>(),
            meetings => meetings.iter().map(|m| MeetingRow::of(m, now)).collect::<Vec<_>>(),
        })
}

/// `GET /meclis/oylamalar/{id}/kontrol`: the receipt check's form.
pub async fn check_page(
    State(s): State<Arc<AppState>>,
    mount: Mount,
    user: SignedIn,
    Path(id): Path<String>,
) -> Response {
    check_form(&s, &mount, &user, &id, None, &HashMap::new(), Vec::new()).await
}

const MISSING: &str = "Aradığınız oylama bulunamadı.";

async fn check_form(
    s: &AppState,
    mount: &Mount,
    user: &SignedIn,
    id: &str,
    check: Option<(String, bool)>,
    typed: &HashMap<String, String>,
    errors: Vec<FieldError>,
) -> Response {
    let Ok(vote) = id.parse::<VoteId>() else {
        return not_found(mount, user, MISSING);
    };
    let vote = match s.mbs.vote(&user.actor, vote).await {
        Ok(v) => v,
        Err(ServiceError::NotFound(_)) => return not_found(mount, user, MISSING),
        Err(e) => return service_error_page(&e, mount, Some(user)),
    };
    let e: HashMap<&str, String> = errors
        .iter()
        .map(|x| (x.field, x.message.clone()))
        .collect();
    let v: HashMap<&str, String> =
        HashMap::from([("receipt", typed.get("receipt").cloned().unwrap_or_default())]);
    Page::new("makbuz_kontrol.html", "Makbuz kontrolü", mount)
        .user(Some(user))
        .status(FieldError::status_of(&errors))
        .errors(errors)
        .render(context! {
            vote => VoteRow::of(&vote),
            closed_at => (vote.status == VoteStatus::Closed).then(|| local_time(vote.closes_at)),
            check => check.map(|(choice, counted)| context! { choice, counted }),
            csrf => user.csrf.as_str(),
            e => e,
            v => v,
        })
}

/// `POST /meclis/oylamalar/{id}/kontrol`.
pub async fn check(
    State(s): State<Arc<AppState>>,
    mount: Mount,
    user: SignedIn,
    Path(id): Path<String>,
    Form(typed): Form<HashMap<String, String>>,
) -> Response {
    if let Err(refused) = user.check_csrf(typed.get(CSRF_FIELD).map(String::as_str), &mount) {
        return refused;
    }
    let Ok(vote) = id.parse::<VoteId>() else {
        return not_found(&mount, &user, MISSING);
    };
    // Only those who may read the vote check receipts here (core's check asks no role).
    if let Err(e) = s.mbs.vote(&user.actor, vote).await {
        return service_error_page(&e, &mount, Some(&user));
    }
    let code = typed.get("receipt").map(|v| v.trim()).unwrap_or_default();
    let at_receipt = |message: String| {
        vec![FieldError {
            field: "receipt",
            message,
        }]
    };
    let checked = match ReceiptCode::parse(code) {
        _ if code.is_empty() => Err(at_receipt("Makbuz kodu alanını doldurun".into())),
        Err(_) => Err(at_receipt(
            "Makbuz kodu: 12 harf ve rakam yazın, örneğin 7KQ2-M9XA-4T0B".into(),
        )),
        Ok(r) => match s.mbs.verify_receipt(&user.actor, vote, &r).await {
            Ok(c) => Ok(c),
            Err(e) => {
                let p = problem(&e, |f| (f == "receipt").then_some("Makbuz kodu"));
                match p.field_error() {
                    Some(fe) => Err(vec![fe]),
                    None => return error_page(&mount, Some(&user), p.status, &p.message),
                }
            }
        },
    };
    match checked {
        Ok(c) => check_form(&s, &mount, &user, &id, Some(c), &typed, Vec::new()).await,
        Err(errors) => check_form(&s, &mount, &user, &id, None, &typed, errors).await,
    }
}
