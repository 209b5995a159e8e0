//! The transactional outbox: notifications decided by core, written in the same store
//! transaction as the events that cause them, and delivered later by a dispatcher
//! (`muhtar-notify`).
//!
//! [`plan`] is the pure function that says which notices a set of new events produces.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;
use uuid::Uuid;

use crate::ids::{IdGenerator, RequestId, TenantId, UnitCode};
use crate::org::Organisation;
use crate::request::{EventKind, RequestState};
use crate::store::Deadlines;

/// What a notice is about; each has a template in `muhtar-notify`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum NoticeKind {
    /// To the muhtar: received, with tracking number, unit and due date.
    Received,
    /// To the muhtar: routed to another unit or transferred.
    Transferred,
    /// To the muhtar: a progress note.
    InterimReply,
    /// To the muhtar: information is needed (clocks paused).
    Paused,
    /// To the muhtar or the unit: a message.
    Message,
    /// To the muhtar: the answer, with outcome, reason and text.
    Answered,
    /// To the muhtar: closed.
    Closed,
    /// To the unit: reopened by the muhtar.
    Reopened,
    /// To the unit and its liaison staff: a new request in the queue.
    NewInQueue,
    /// To the unit: the deadline is near.
    AtRisk,
    /// To the unit and the responsible official: the deadline has passed.
    Breached,
    /// To the responsible official: a quarterly report awaits sign-off.
    ReportReady,
    /// To the muhtar: the Law 4982 deadline was extended, with the reason.
    Extended,
    /// To the muhtar: a Law 4982 fee is due (amount; the clock stops until paid).
    FeeNotified,
    /// To the muhtar: the fee was received, the clock runs again.
    FeePaid,
    /// To the muhtar: the fee went unpaid, the application is deemed withdrawn.
    DeemedWithdrawn,
    /// To the tenant's responsible official: an urgent request (İVEDİ, Genelge 2015/8
    /// item 9) was received.
    UrgentReceived,
    /// To the citizen (applicant): received, with the tracking number.
    CitizenReceived,
    /// To the citizen (applicant): the outcome.
    CitizenAnswered,
    /// To the citizen (applicant): a Law 4982 step (extension with its reason, fee, payment,
    /// deemed withdrawal); the payload's `update` names the step's notice kind.
    CitizenUpdate,
}

impl NoticeKind {
    /// The stable name, as in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            NoticeKind::Received => "received",
            NoticeKind::Transferred => "transferred",
            NoticeKind::InterimReply => "interim-reply",
            NoticeKind::Paused => "paused",
            NoticeKind::Message => "message",
            NoticeKind::Answered => "answered",
            NoticeKind::Closed => "closed",
            NoticeKind::Reopened => "reopened",
            NoticeKind::NewInQueue => "new-in-queue",
            NoticeKind::AtRisk => "at-risk",
            NoticeKind::Breached => "breached",
            NoticeKind::ReportReady => "report-ready",
            NoticeKind::Extended => "extended",
            NoticeKind::FeeNotified => "fee-notified",
            NoticeKind::FeePaid => "fee-paid",
            NoticeKind::DeemedWithdrawn => "deemed-withdrawn",
            NoticeKind::UrgentReceived => "urgent-received",
            NoticeKind::CitizenReceived => "citizen-received",
            NoticeKind::CitizenAnswered => "citizen-answered",
            NoticeKind::CitizenUpdate => "citizen-update",
        }
    }

    /// The kinds addressed to the citizen ([`Self::is_for_citizen`]).
    pub const CITIZEN: [NoticeKind; 3] = [
        NoticeKind::CitizenReceived,
        NoticeKind::CitizenAnswered,
        NoticeKind::CitizenUpdate,
    ];

    /// Whether the notice goes to the citizen behind the request (its recipient is their
    /// contact, personal data: erased with it, see [`crate::store::RequestStore::commit`]).
    pub fn is_for_citizen(self) -> bool {
        Self::CITIZEN.contains(&self)
    }

    /// Whether the notice may wait for the end of the tenant's quiet hours.
    pub fn respects_quiet_hours(self) -> bool {
        true
    }
}

/// How a notice is delivered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DeliveryChannel {
    /// E-mail.
    Email,
    /// SMS.
    Sms,
}

/// The language of a notice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum Locale {
    /// Türkçe (default).
    #[default]
    Tr,
    /// English.
    En,
}

/// A notice to deliver.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutboxMessage {
    /// Id.
    pub id: Uuid,
    /// Tenant.
    pub tenant: TenantId,
    /// The request it is about, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request: Option<RequestId>,
    /// Unique key: a retry or a second sweep with the same key is not a second notice.
    pub idempotency_key: String,
    /// What it is about.
    pub kind: NoticeKind,
    /// How it goes out.
    pub channel: DeliveryChannel,
    /// E-mail address or `+90…` phone number.
    pub recipient: String,
    /// Language.
    pub locale: Locale,
    /// The facts the template needs.
    pub payload: serde_json::Value,
    /// When it was written.
    pub created_at: DateTime<Utc>,
    /// Not to be sent before this instant.
    pub not_before: DateTime<Utc>,
}

/// Delivery state of an outbox message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum OutboxStatus {
    /// Waiting to be sent (or retried).
    Pending,
    /// Delivered to the transport.
    Sent,
    /// Permanently failed (bad address, rejected recipient); not retried.
    Failed,
}

impl OutboxStatus {
    /// The stable name.
    pub fn as_str(self) -> &'static str {
        match self {
            OutboxStatus::Pending => "pending",
            OutboxStatus::Sent => "sent",
            OutboxStatus::Failed => "failed",
        }
    }
}

/// An outbox message with its delivery state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutboxEntry {
    /// The message.
    pub message: OutboxMessage,
    /// State.
    pub status: OutboxStatus,
    /// Delivery attempts so far (a claim counts as an attempt).
    pub attempts: u32,
    /// The last error, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
    /// Earliest next attempt.
    pub next_attempt_at: DateTime<Utc>,
    /// A claim holds the message until this instant.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub claimed_until: Option<DateTime<Utc>>,
    /// When it was sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sent_at: Option<DateTime<Utc>>,
}

/// Sends notices; implemented by `muhtar-notify`'s dispatcher, which drains the outbox.
/// Errors say whether a retry can help. The service never calls a notifier: it writes
/// notices to the outbox in the command's transaction, so each is sent once, by the
/// dispatcher.
#[async_trait::async_trait]
pub trait Notifier: Send + Sync {
    /// Delivers one message.
    async fn deliver(&self, message: &OutboxMessage) -> Result<(), DeliveryError>;
}

/// Why a delivery failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DeliveryError {
    /// A retry later may succeed (server down, timeout, 4xx SMTP reply).
    #[error("transient delivery failure: {0}")]
    Transient(String),
    /// A retry will not help (bad address, rejected recipient, 5xx SMTP reply).
    #[error("permanent delivery failure: {0}")]
    Permanent(String),
    /// The relay or gateway did not finish in time: transient like
    /// [`DeliveryError::Transient`], and a sign that it is stuck, so a dispatcher sends
    /// nothing more through it in the same pass.
    #[error("delivery timed out: {0}")]
    Timeout(String),
}

struct Planner<'a> {
    org: &'a Organisation,
    state: &'a RequestState,
    ids: &'a mut IdGenerator,
    now: DateTime<Utc>,
    out: Vec<OutboxMessage>,
}

impl Planner<'_> {
    fn push(
        &mut self,
        kind: NoticeKind,
        tag: &str,
        channel: DeliveryChannel,
        to: &str,
        payload: &serde_json::Value,
    ) {
        let key = format!(
            "{}:{}:{}:{}:{}",
            self.state.id,
            tag,
            kind.as_str(),
            match channel {
                DeliveryChannel::Email => "email",
                DeliveryChannel::Sms => "sms",
            },
            to
        );
        self.out.push(OutboxMessage {
            id: self.ids.uuid_v7(self.now),
            tenant: self.state.tenant.clone(),
            request: Some(self.state.id),
            idempotency_key: key,
            kind,
            channel,
            recipient: to.to_owned(),
            locale: Locale::Tr,
            payload: payload.clone(),
            created_at: self.now,
            not_before: self.now,
        });
    }

    fn for_muhtar(&mut self, kind: NoticeKind, tag: &str, payload: &serde_json::Value, sms: bool) {
        let Some(m) = self.org.muhtarlik(&self.state.content.muhtarlik) else {
            return;
        };
        let (email, phone) = (m.muhtar.email.clone(), m.muhtar.phone.clone());
        if let Some(e) = email {
            self.push(kind, tag, DeliveryChannel::Email, &e, payload);
        }
        if sms {
            if let Some(p) = phone {
                self.push(kind, tag, DeliveryChannel::Sms, &p, payload);
            }
        }
    }

    /// The citizen behind the request, by e-mail and SMS, at the contact they gave. The
    /// contact given is the consent: nothing goes to a citizen who gave none, and an
    /// erased contact (KVKK) gets nothing more.
    fn for_citizen(&mut self, kind: NoticeKind, tag: &str, payload: &serde_json::Value) {
        let Some(c) = self.state.content.citizen.clone() else {
            return;
        };
        if let Some(e) = c.email {
            self.push(kind, tag, DeliveryChannel::Email, &e, payload);
        }
        if let Some(p) = c.phone {
            self.push(kind, tag, DeliveryChannel::Sms, &p, payload);
        }
    }

    /// A Law 4982 step told to the citizen applicant too (the law notifies the applicant,
    /// who is the citizen when the request carries their contact): `update` names it.
    fn citizen_update(&mut self, step: NoticeKind, tag: &str, payload: &serde_json::Value) {
        let mut payload = payload.clone();
        payload["update"] = json!(step.as_str());
        self.for_citizen(NoticeKind::CitizenUpdate, tag, &payload);
    }

    fn for_unit(
        &mut self,
        kind: NoticeKind,
        tag: &str,
        unit: &UnitCode,
        payload: &serde_json::Value,
        official: bool,
    ) {
        let Some(u) = self.org.unit(unit) else {
            return;
        };
        let mut to: Vec<String> = u.email.iter().cloned().collect();
        to.extend(u.liaison.iter().filter_map(|p| p.email.clone()));
        if official {
            if let Some(o) = self.org.official_for(unit) {
                to.extend(o.person.email.clone());
            }
        }
        to.sort();
        to.dedup();
        for t in to {
            self.push(kind, tag, DeliveryChannel::Email, &t, payload);
        }
    }

    /// To the tenant's responsible official (the reporting unit's): e-mail and SMS.
    fn for_official(&mut self, kind: NoticeKind, tag: &str, payload: &serde_json::Value) {
        let Some(o) = self.org.reporting_official() else {
            return;
        };
        let (email, phone) = (o.person.email.clone(), o.person.phone.clone());
        if let Some(e) = email {
            self.push(kind, tag, DeliveryChannel::Email, &e, payload);
        }
        if let Some(p) = phone {
            self.push(kind, tag, DeliveryChannel::Sms, &p, payload);
        }
    }
}

/// The escalation notices of a request whose resolution clock is at risk (to the unit)
/// or breached (to the unit and the responsible official). The idempotency key names the
/// deadline, so a sweep queues each notice once per threshold and deadline: sweeping
/// again adds nothing, and a deadline that moves (a pause, a new holiday) warns again.
pub fn plan_escalation(
    org: &Organisation,
    state: &RequestState,
    deadlines: &Deadlines,
    kind: NoticeKind,
    due: DateTime<Utc>,
    ids: &mut IdGenerator,
    now: DateTime<Utc>,
) -> Vec<OutboxMessage> {
    let Some(unit) = state.unit.clone() else {
        return Vec::new();
    };
    let mut payload = request_payload(org, state, deadlines);
    payload["due"] = json!(due);
    let mut p = Planner {
        org,
        state,
        ids,
        now,
        out: Vec::new(),
    };
    let tag = format!("due-{}", due.timestamp());
    p.for_unit(kind, &tag, &unit, &payload, kind == NoticeKind::Breached);
    p.out
}

/// The facts every request notice carries.
pub fn request_payload(
    org: &Organisation,
    state: &RequestState,
    deadlines: &Deadlines,
) -> serde_json::Value {
    let unit_name = state
        .unit
        .as_ref()
        .and_then(|u| org.unit(u))
        .map(|u| u.name.clone());
    let muhtarlik_name = org
        .muhtarlik(&state.content.muhtarlik)
        .map(|m| m.name.clone());
    let reason_name = state
        .reason
        .as_ref()
        .and_then(|r| r.definition(org).ok())
        .map(|d| d.name);
    json!({
        "tracking": state.tracking.to_string(),
        "subject": state.content.subject,
        "priority": state.content.priority.as_str(),
        "urgent": state.content.priority.is_urgent(),
        "reply_by": state.content.reply_by,
        "category": state.content.category,
        "muhtarlik": state.content.muhtarlik,
        "muhtarlik_name": muhtarlik_name,
        "unit": state.unit,
        "unit_name": unit_name,
        "status": state.status.as_str(),
        "received_at": state.content.received_at,
        "resolution_due": deadlines.resolution_due,
        "first_response_due": deadlines.first_response_due,
        "outcome": state.outcome,
        "status_name": state.status.display_name(),
        "outcome_name": state.outcome.map(|o| o.display_name()),
        "channel_name": state.content.channel.display_name(),
        "kind_name": state.content.kind.display_name(),
        "reason": state.reason,
        "reason_name": reason_name,
        "reason_text": state.reason_text,
        "answer": state.answer,
        "tenant_name": org.tenant.name,
    })
}

/// The notices caused by `events` (already applied to give `state`).
pub fn plan(
    org: &Organisation,
    state: &RequestState,
    deadlines: &Deadlines,
    events: &[crate::request::Event],
    ids: &mut IdGenerator,
    now: DateTime<Utc>,
) -> Vec<OutboxMessage> {
    let base = request_payload(org, state, deadlines);
    let mut p = Planner {
        org,
        state,
        ids,
        now,
        out: Vec::new(),
    };
    for e in events {
        let mut payload = base.clone();
        let v = &e.version.to_string();
        match &e.kind {
            // An urgent request: the responsible official hears of it on receipt.
            EventKind::Received { content, .. } if content.priority.is_urgent() => {
                p.for_official(NoticeKind::UrgentReceived, v, &payload);
            }
            EventKind::Received { .. }
            | EventKind::ContactErased
            | EventKind::Accepted
            | EventKind::Resumed { .. }
            | EventKind::PolicyChanged { .. } => {}
            EventKind::Extended { reason } => {
                payload["note"] = json!(reason);
                p.for_muhtar(NoticeKind::Extended, v, &payload, false);
                p.citizen_update(NoticeKind::Extended, v, &payload);
            }
            EventKind::FeeNotified { amount, note } => {
                payload["note"] = json!(note);
                payload["fee_amount"] = json!(amount.to_string());
                p.for_muhtar(NoticeKind::FeeNotified, v, &payload, true);
                p.citizen_update(NoticeKind::FeeNotified, v, &payload);
            }
            EventKind::FeePaid { .. } => {
                p.for_muhtar(NoticeKind::FeePaid, v, &payload, false);
                p.citizen_update(NoticeKind::FeePaid, v, &payload);
            }
            EventKind::DeemedWithdrawn { .. } => {
                p.for_muhtar(NoticeKind::DeemedWithdrawn, v, &payload, true);
                p.citizen_update(NoticeKind::DeemedWithdrawn, v, &payload);
                if let Some(u) = state.unit.clone() {
                    p.for_unit(NoticeKind::Closed, v, &u, &payload, false);
                }
            }
            EventKind::Routed { unit, .. } => {
                p.for_muhtar(NoticeKind::Received, v, &payload, true);
                p.for_unit(NoticeKind::NewInQueue, v, unit, &payload, false);
                p.for_citizen(NoticeKind::CitizenReceived, v, &payload);
            }
            EventKind::Transferred { to, .. } | EventKind::Rerouted { to, .. } => {
                p.for_muhtar(NoticeKind::Transferred, v, &payload, false);
                p.for_unit(NoticeKind::NewInQueue, v, to, &payload, false);
            }
            EventKind::InterimReply { text } => {
                payload["note"] = json!(text);
                p.for_muhtar(NoticeKind::InterimReply, v, &payload, false);
            }
            EventKind::Paused { note, reason } => {
                payload["note"] = json!(note);
                payload["pause_reason"] = json!(reason);
                p.for_muhtar(NoticeKind::Paused, v, &payload, false);
            }
            EventKind::Message { from, text } => {
                payload["note"] = json!(text);
                match from {
                    crate::request::Party::Unit => {
                        p.for_muhtar(NoticeKind::Message, v, &payload, false)
                    }
                    crate::request::Party::Muhtar => {
                        if let Some(u) = state.unit.clone() {
                            p.for_unit(NoticeKind::Message, v, &u, &payload, false);
                        }
                    }
                }
            }
            EventKind::Answered { .. } => {
                p.for_muhtar(NoticeKind::Answered, v, &payload, true);
                p.for_citizen(NoticeKind::CitizenAnswered, v, &payload);
            }
            EventKind::Closed => p.for_muhtar(NoticeKind::Closed, v, &payload, false),
            EventKind::Reopened { reason } => {
                payload["note"] = json!(reason);
                if let Some(u) = state.unit.clone() {
                    p.for_unit(NoticeKind::Reopened, v, &u, &payload, false);
                }
            }
            EventKind::Withdrawn { .. } | EventKind::Merged { .. } => {
                if let Some(u) = state.unit.clone() {
                    p.for_unit(NoticeKind::Closed, v, &u, &payload, false);
                }
            }
        }
    }
    p.out
}

/// The report-ready notice of `quarter` to the tenant's responsible official (e-mail),
/// asking for the sign-off. Its idempotency key names the tenant and the quarter, so a
/// notice goes out once per quarter however often it is planned.
pub fn plan_report_ready(
    org: &Organisation,
    quarter: crate::report::Quarter,
    ids: &mut IdGenerator,
    now: DateTime<Utc>,
) -> Vec<OutboxMessage> {
    let Some(official) = org.reporting_official() else {
        return Vec::new();
    };
    let Some(to) = official.person.email.clone() else {
        return Vec::new();
    };
    let payload = json!({
        "period": quarter.to_string(),
        "tenant_name": org.tenant.name,
        "unit_name": org.unit(&org.tenant.reporting_unit).map(|u| u.name.clone()),
    });
    vec![OutboxMessage {
        id: ids.uuid_v7(now),
        tenant: org.tenant.id.clone(),
        request: None,
        idempotency_key: format!("report-ready:{}:{quarter}:email:{to}", org.tenant.id),
        kind: NoticeKind::ReportReady,
        channel: DeliveryChannel::Email,
        recipient: to,
        locale: Locale::Tr,
        payload,
        created_at: now,
        not_before: now,
    }]
}
