//! The transactional outbox: notifications decided by core, written in the same store
//! transaction as the events that cause them, and delivered later by a dispatcher
//! (`muhtar-notify`).
//!
//! [`plan`] is the pure function that says which notices a set of new events produces.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::ids::{IdGenerator, MuhtarlikCode, RequestId, TenantId, UnitCode};
use crate::org::Organisation;
use crate::reason::ReasonCode;
use crate::request::{EventKind, Outcome, PauseReason, Priority, ReplyBy, RequestState, Status};
use crate::store::Deadlines;

mod addressee;
mod council;
mod payload;
pub mod waiting;
mod works;
pub use addressee::{Addressee, AddresseeRole};
pub use council::plan_council;
pub use payload::{
    CitizenUpdateFacts, EscalationFacts, FeeFacts, LoginCodeFacts, NoteFacts, NoticePayload,
    PausedFacts, ReportReadyFacts, RequestFacts, WorkFacts,
};
pub use works::plan_work;

/// What a notice is about; each has a template in `muhtar-notify`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
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
    /// To the muhtar of every muhtarlık a work's area touches: a unit published a work
    /// or announcement ([`crate::map::work`]).
    WorkPublished,
    /// To the muhtars of the muhtarlıklar the work touched or touches now: it changed
    /// (the payload's `changed` names what).
    WorkChanged,
    /// To the muhtars of the muhtarlıklar the work touches: it was closed (finished or
    /// called off).
    WorkClosed,
    /// To a council member: their one-time login code ([`crate::council::LoginCode`]),
    /// sent at once (never held for quiet hours).
    CouncilLoginCode,
}

crate::names::named_enum! {
    impl NoticeKind: "notice kind" {
        Received => ("received", "başvuru alındı"),
        Transferred => ("transferred", "başvuru aktarıldı"),
        InterimReply => ("interim-reply", "ara cevap"),
        Paused => ("paused", "bilgi bekleniyor"),
        Message => ("message", "mesaj"),
        Answered => ("answered", "başvuru cevaplandı"),
        Closed => ("closed", "başvuru kapatıldı"),
        Reopened => ("reopened", "başvuru yeniden açıldı"),
        NewInQueue => ("new-in-queue", "kuyrukta yeni başvuru"),
        AtRisk => ("at-risk", "süre dolmak üzere"),
        Breached => ("breached", "süre aşıldı"),
        ReportReady => ("report-ready", "rapor imzaya hazır"),
        Extended => ("extended", "süre uzatıldı"),
        FeeNotified => ("fee-notified", "ücret bildirildi"),
        FeePaid => ("fee-paid", "ücret ödendi"),
        DeemedWithdrawn => ("deemed-withdrawn", "başvurudan vazgeçilmiş sayıldı"),
        UrgentReceived => ("urgent-received", "ivedi başvuru alındı"),
        CitizenReceived => ("citizen-received", "başvurunuz alındı"),
        CitizenAnswered => ("citizen-answered", "başvurunuz cevaplandı"),
        CitizenUpdate => ("citizen-update", "başvurunuzda gelişme"),
        WorkPublished => ("work-published", "çalışma duyurusu"),
        WorkChanged => ("work-changed", "çalışma değişikliği"),
        WorkClosed => ("work-closed", "çalışma kapandı"),
        CouncilLoginCode => ("council-login-code", "meclis giriş kodu"),
    }
}

impl NoticeKind {
    /// The kinds about a work rather than a request ([`NoticePayload::work`]).
    pub const WORK: [NoticeKind; 3] = [
        NoticeKind::WorkPublished,
        NoticeKind::WorkChanged,
        NoticeKind::WorkClosed,
    ];

    /// Whether the notice is about a work ([`Self::WORK`]).
    pub fn is_about_work(self) -> bool {
        Self::WORK.contains(&self)
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
        self != NoticeKind::CouncilLoginCode
    }
}

/// How a notice is delivered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DeliveryChannel {
    /// E-mail.
    Email,
    /// SMS.
    Sms,
}

crate::names::named_enum! {
    impl DeliveryChannel: "delivery channel" {
        Email => ("email", "e-posta"),
        Sms => ("sms", "SMS"),
    }
}

/// The language of a notice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Locale {
    /// Türkçe (default).
    #[default]
    Tr,
    /// English.
    En,
}

crate::names::named_enum! {
    impl Locale: "locale" {
        Tr => ("tr", "Türkçe"),
        En => ("en", "İngilizce"),
    }
}

/// A notice to deliver.
///
/// Stored as JSON (the stores' `message` column): the payload is read according to
/// `kind` ([`NoticePayload::from_json`]), so a payload that does not fit its kind is
/// refused when read.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "payload::StoredMessage")]
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
    /// What it is about: always `payload.kind()`.
    pub kind: NoticeKind,
    /// How it goes out.
    pub channel: DeliveryChannel,
    /// E-mail address or `+90…` phone number.
    pub recipient: String,
    /// Who the recipient is (role and name), for the greeting; `None` in messages
    /// written before it was recorded (greeted by the kind's audience).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub addressee: Option<Addressee>,
    /// Language.
    pub locale: Locale,
    /// The facts the template needs, typed per kind.
    pub payload: NoticePayload,
    /// When it was written.
    pub created_at: DateTime<Utc>,
    /// Not to be sent before this instant.
    pub not_before: DateTime<Utc>,
}

/// Delivery state of an outbox message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OutboxStatus {
    /// Waiting to be sent (or retried).
    Pending,
    /// Delivered to the transport.
    Sent,
    /// Permanently failed (bad address, rejected recipient); not retried.
    Failed,
}

crate::names::named_enum! {
    impl OutboxStatus: "outbox status" {
        Pending => ("pending", "bekliyor"),
        Sent => ("sent", "gönderildi"),
        Failed => ("failed", "gönderilemedi"),
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
    /// Failed deliveries so far: each [`crate::store::OutboxStore::mark_retry`] and
    /// [`crate::store::OutboxStore::mark_failed`] adds one; claims and deferrals
    /// ([`crate::store::OutboxStore::defer`]) do not. The dispatcher's back-off and
    /// give-up count these.
    #[serde(default)]
    pub failures: u32,
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
        tag: &str,
        channel: DeliveryChannel,
        to: &str,
        addressee: &Addressee,
        payload: &NoticePayload,
    ) {
        let kind = payload.kind();
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
            addressee: Some(addressee.clone()),
            locale: Locale::Tr,
            payload: payload.clone(),
            created_at: self.now,
            not_before: self.now,
        });
    }

    fn for_muhtar(&mut self, tag: &str, payload: &NoticePayload, sms: bool) {
        let Some(m) = self.org.muhtarlik(&self.state.content.muhtarlik) else {
            return;
        };
        let (email, phone) = (m.muhtar.email.clone(), m.muhtar.phone.clone());
        let to = Addressee::new(AddresseeRole::Muhtar)
            .named(&m.muhtar.name)
            .of(&m.name);
        if let Some(e) = email {
            self.push(tag, DeliveryChannel::Email, &e, &to, payload);
        }
        if sms {
            if let Some(p) = phone {
                self.push(tag, DeliveryChannel::Sms, &p, &to, payload);
            }
        }
    }

    /// The citizen behind the request, by e-mail and SMS, at the contact they gave. The
    /// contact given is the consent: nothing goes to a citizen who gave none, and an
    /// erased contact (KVKK) gets nothing more.
    fn for_citizen(&mut self, tag: &str, payload: &NoticePayload) {
        let Some(c) = self.state.content.citizen.clone() else {
            return;
        };
        let to = Addressee::new(AddresseeRole::Citizen).named(&c.name);
        if let Some(e) = c.email {
            self.push(tag, DeliveryChannel::Email, &e, &to, payload);
        }
        if let Some(p) = c.phone {
            self.push(tag, DeliveryChannel::Sms, &p, &to, payload);
        }
    }

    /// A Law 4982 step told to the citizen applicant too (the law notifies the applicant,
    /// who is the citizen when the request carries their contact): `update` names it.
    fn citizen_update(&mut self, tag: &str, step: &NoticePayload) {
        if let Some(p) = step.citizen_update() {
            self.for_citizen(tag, &p);
        }
    }

    fn for_unit(&mut self, tag: &str, unit: &UnitCode, payload: &NoticePayload, official: bool) {
        let Some(u) = self.org.unit(unit) else {
            return;
        };
        // Each address once, as the first role listed for it (unit, liaison, official).
        let unit_to = Addressee::new(AddresseeRole::Unit).of(&u.name);
        let mut to: Vec<(String, Addressee)> = u
            .email
            .iter()
            .map(|e| (e.clone(), unit_to.clone()))
            .collect();
        to.extend(u.liaison.iter().filter_map(|p| {
            let a = Addressee::new(AddresseeRole::Liaison)
                .named(&p.name)
                .of(&u.name);
            p.email.clone().map(|e| (e, a))
        }));
        if official {
            if let Some(o) = self.org.official_for(unit) {
                let unit_name = (self.org.units.iter())
                    .find(|u| u.official.as_ref() == Some(o))
                    .map(|u| u.name.as_str());
                let a = Addressee::official(o, unit_name);
                to.extend(o.person.email.clone().map(|e| (e, a)));
            }
        }
        to.sort_by(|a, b| a.0.cmp(&b.0));
        to.dedup_by(|a, b| a.0 == b.0);
        for (t, a) in to {
            self.push(tag, DeliveryChannel::Email, &t, &a, payload);
        }
    }

    /// To the tenant's responsible official (the reporting unit's): e-mail and SMS.
    fn for_official(&mut self, tag: &str, payload: &NoticePayload) {
        let Some(o) = self.org.reporting_official() else {
            return;
        };
        let (email, phone) = (o.person.email.clone(), o.person.phone.clone());
        let unit_name = self
            .org
            .unit(&self.org.tenant.reporting_unit)
            .map(|u| u.name.as_str());
        let to = Addressee::official(o, unit_name);
        if let Some(e) = email {
            self.push(tag, DeliveryChannel::Email, &e, &to, payload);
        }
        if let Some(p) = phone {
            self.push(tag, DeliveryChannel::Sms, &p, &to, payload);
        }
    }
}

/// The escalation notices of a request whose resolution clock is at risk (to the unit)
/// or breached (to the unit and the responsible official). The idempotency key names the
/// deadline, so a sweep queues each notice once per threshold and deadline: sweeping
/// again adds nothing, and a deadline that moves (a pause, a new holiday) warns again.
/// `kind` is [`NoticeKind::Breached`] or (any other) [`NoticeKind::AtRisk`].
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
    let facts = EscalationFacts {
        request: request_facts(org, state, deadlines),
        due,
    };
    let breached = kind == NoticeKind::Breached;
    let payload = match breached {
        true => NoticePayload::Breached(facts),
        false => NoticePayload::AtRisk(facts),
    };
    let mut p = Planner {
        org,
        state,
        ids,
        now,
        out: Vec::new(),
    };
    let tag = format!("due-{}", due.timestamp());
    p.for_unit(&tag, &unit, &payload, breached);
    p.out
}

/// The facts every request notice carries.
pub fn request_facts(
    org: &Organisation,
    state: &RequestState,
    deadlines: &Deadlines,
) -> RequestFacts {
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
    RequestFacts {
        tracking: state.tracking.to_string(),
        subject: state.content.subject.clone(),
        priority: state.content.priority,
        urgent: state.content.priority.is_urgent(),
        reply_by: state.content.reply_by,
        category: state.content.category.clone(),
        category_name: org
            .category(&state.content.category)
            .map(|c| c.name.clone()),
        muhtarlik: state.content.muhtarlik.clone(),
        muhtarlik_name,
        unit: state.unit.clone(),
        unit_name,
        status: state.status,
        received_at: state.content.received_at,
        resolution_due: deadlines.resolution_due,
        first_response_due: deadlines.first_response_due,
        outcome: state.outcome,
        status_name: state.status.display_name().to_owned(),
        outcome_name: state.outcome.map(|o| o.display_name().to_owned()),
        channel_name: state.content.channel.display_name().to_owned(),
        kind_name: state.content.kind.display_name().to_owned(),
        reason: state.reason.clone(),
        reason_name,
        reason_text: state.reason_text.clone(),
        answer: state.answer.clone(),
        tenant_name: org.tenant.name.clone(),
    }
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
    let base = request_facts(org, state, deadlines);
    let with_note = |note: &str| NoteFacts {
        request: base.clone(),
        note: note.to_owned(),
    };
    let mut p = Planner {
        org,
        state,
        ids,
        now,
        out: Vec::new(),
    };
    for e in events {
        let facts = base.clone();
        let v = &e.version.to_string();
        match &e.kind {
            // An urgent request: the responsible official hears of it on receipt.
            EventKind::Received { content, .. } if content.priority.is_urgent() => {
                p.for_official(v, &NoticePayload::UrgentReceived(facts));
            }
            EventKind::Received { .. }
            | EventKind::ContactErased
            | EventKind::Accepted
            | EventKind::Resumed { .. }
            | EventKind::PolicyChanged { .. }
            | EventKind::DocumentRegistered { .. }
            | EventKind::LetterIssued { .. } => {}
            EventKind::Extended { reason } => {
                let payload = NoticePayload::Extended(with_note(reason));
                p.for_muhtar(v, &payload, false);
                p.citizen_update(v, &payload);
            }
            EventKind::FeeNotified { amount, note } => {
                let payload = NoticePayload::FeeNotified(FeeFacts {
                    request: facts,
                    note: note.clone(),
                    fee_amount: amount.to_string(),
                });
                p.for_muhtar(v, &payload, true);
                p.citizen_update(v, &payload);
            }
            EventKind::FeePaid { .. } => {
                let payload = NoticePayload::FeePaid(facts);
                p.for_muhtar(v, &payload, false);
                p.citizen_update(v, &payload);
            }
            EventKind::DeemedWithdrawn { .. } => {
                let payload = NoticePayload::DeemedWithdrawn(facts.clone());
                p.for_muhtar(v, &payload, true);
                p.citizen_update(v, &payload);
                if let Some(u) = state.unit.clone() {
                    p.for_unit(v, &u, &NoticePayload::Closed(facts), false);
                }
            }
            EventKind::Routed { unit, .. } => {
                p.for_muhtar(v, &NoticePayload::Received(facts.clone()), true);
                p.for_unit(v, unit, &NoticePayload::NewInQueue(facts.clone()), false);
                p.for_citizen(v, &NoticePayload::CitizenReceived(facts));
            }
            EventKind::Transferred { to, .. } | EventKind::Rerouted { to, .. } => {
                p.for_muhtar(v, &NoticePayload::Transferred(facts.clone()), false);
                p.for_unit(v, to, &NoticePayload::NewInQueue(facts), false);
            }
            EventKind::InterimReply { text } => {
                p.for_muhtar(v, &NoticePayload::InterimReply(with_note(text)), false);
            }
            EventKind::Paused { note, reason } => {
                let payload = NoticePayload::Paused(PausedFacts {
                    request: facts,
                    note: note.clone(),
                    pause_reason: *reason,
                });
                p.for_muhtar(v, &payload, false);
            }
            EventKind::Message { from, text } => {
                let payload = NoticePayload::Message(with_note(text));
                match from {
                    crate::request::Party::Unit => p.for_muhtar(v, &payload, false),
                    crate::request::Party::Muhtar => {
                        if let Some(u) = state.unit.clone() {
                            p.for_unit(v, &u, &payload, false);
                        }
                    }
                }
            }
            EventKind::Answered { .. } => {
                p.for_muhtar(v, &NoticePayload::Answered(facts.clone()), true);
                p.for_citizen(v, &NoticePayload::CitizenAnswered(facts));
            }
            EventKind::Closed => p.for_muhtar(v, &NoticePayload::Closed(facts), false),
            EventKind::Reopened { reason } => {
                if let Some(u) = state.unit.clone() {
                    p.for_unit(v, &u, &NoticePayload::Reopened(with_note(reason)), false);
                }
            }
            EventKind::Withdrawn { .. } | EventKind::Merged { .. } => {
                if let Some(u) = state.unit.clone() {
                    p.for_unit(v, &u, &NoticePayload::Closed(facts), false);
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
    let unit_name = org.unit(&org.tenant.reporting_unit).map(|u| u.name.clone());
    let addressee = Addressee::official(official, unit_name.as_deref());
    let payload = NoticePayload::ReportReady(ReportReadyFacts {
        period: quarter.to_string(),
        tenant_name: org.tenant.name.clone(),
        unit_name,
        url: None,
    });
    vec![OutboxMessage {
        id: ids.uuid_v7(now),
        tenant: org.tenant.id.clone(),
        request: None,
        idempotency_key: format!("report-ready:{}:{quarter}:email:{to}", org.tenant.id),
        kind: payload.kind(),
        channel: DeliveryChannel::Email,
        recipient: to,
        addressee: Some(addressee),
        locale: Locale::Tr,
        payload,
        created_at: now,
        not_before: now,
    }]
}
