//! The typed payload of a notice: one variant per [`NoticeKind`], over a few shared
//! structs. It is written as the JSON object earlier versions wrote (the request's facts
//! and the kind's extra fields side by side, with no tag: the kind is the message's), so
//! rows already stored read unchanged; `tests/notice_fixtures.rs` holds examples of every
//! kind as first written.

use super::*;
use crate::map::work::{WorkField, WorkId, WorkKind, WorkStatus};

/// The facts every request notice carries ([`super::request_facts`]): the request's
/// codes and state, with the display names the texts use.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RequestFacts {
    /// The tracking number (takip numarası).
    pub tracking: String,
    /// The subject.
    #[serde(default)]
    pub subject: String,
    /// Normal or urgent.
    #[serde(default)]
    pub priority: Priority,
    /// Whether the request is urgent (İVEDİ).
    #[serde(default)]
    pub urgent: bool,
    /// The reply date the letter asks for, if any.
    #[serde(default)]
    pub reply_by: Option<ReplyBy>,
    /// The category code.
    #[serde(default)]
    pub category: String,
    /// The category's name (`Asfalt onarımı`); `None` in notices written before it was
    /// recorded (the texts then show the code).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category_name: Option<String>,
    /// The muhtarlık's code.
    pub muhtarlik: MuhtarlikCode,
    /// The muhtarlık's name.
    #[serde(default)]
    pub muhtarlik_name: Option<String>,
    /// The unit that has the request.
    #[serde(default)]
    pub unit: Option<UnitCode>,
    /// Its name.
    #[serde(default)]
    pub unit_name: Option<String>,
    /// The status.
    pub status: Status,
    /// When it was received.
    pub received_at: DateTime<Utc>,
    /// The resolution deadline.
    #[serde(default)]
    pub resolution_due: Option<DateTime<Utc>>,
    /// The first-response deadline.
    #[serde(default)]
    pub first_response_due: Option<DateTime<Utc>>,
    /// The outcome, once answered.
    #[serde(default)]
    pub outcome: Option<Outcome>,
    /// The status's Turkish display name.
    #[serde(default)]
    pub status_name: String,
    /// The outcome's Turkish display name.
    #[serde(default)]
    pub outcome_name: Option<String>,
    /// The channel's Turkish display name.
    #[serde(default)]
    pub channel_name: String,
    /// The request kind's Turkish display name.
    #[serde(default)]
    pub kind_name: String,
    /// The reason code (gerekçe) of the answer.
    #[serde(default)]
    pub reason: Option<ReasonCode>,
    /// Its name.
    #[serde(default)]
    pub reason_name: Option<String>,
    /// The explanation of the reason.
    #[serde(default)]
    pub reason_text: Option<String>,
    /// The answer text.
    #[serde(default)]
    pub answer: Option<String>,
    /// The tenant's name (the sender).
    #[serde(default)]
    pub tenant_name: String,
}

/// A request notice with a text: a progress note, a message, the reason of a reopening
/// or an extension.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NoteFacts {
    /// The request.
    #[serde(flatten)]
    pub request: RequestFacts,
    /// The text.
    pub note: String,
}

/// A paused request: what is asked and why it waits.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PausedFacts {
    /// The request.
    #[serde(flatten)]
    pub request: RequestFacts,
    /// What is asked.
    pub note: String,
    /// Who or what it waits on.
    pub pause_reason: PauseReason,
}

/// A Law 4982 fee notice.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeeFacts {
    /// The request.
    #[serde(flatten)]
    pub request: RequestFacts,
    /// What it is for, how to pay.
    #[serde(default)]
    pub note: String,
    /// The amount as shown to people, e.g. `12,50 TL`.
    pub fee_amount: String,
}

/// An at-risk or breached deadline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EscalationFacts {
    /// The request.
    #[serde(flatten)]
    pub request: RequestFacts,
    /// The deadline the notice is about.
    pub due: DateTime<Utc>,
}

/// A Law 4982 step told to the citizen applicant: the step's kind and its text and
/// amount, where it has them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CitizenUpdateFacts {
    /// The request.
    #[serde(flatten)]
    pub request: RequestFacts,
    /// The step's notice kind (`extended`, `fee-notified`, `fee-paid`,
    /// `deemed-withdrawn`).
    pub update: NoticeKind,
    /// The step's text (the extension's reason, the fee's note).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// The fee, for `fee-notified`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fee_amount: Option<String>,
}

/// A quarterly report awaiting sign-off.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReportReadyFacts {
    /// The quarter, e.g. `2026Q1`.
    pub period: String,
    /// The tenant's name.
    #[serde(default)]
    pub tenant_name: String,
    /// The reporting unit's name.
    #[serde(default)]
    pub unit_name: Option<String>,
    /// Where the report can be read, if known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

/// A work or announcement told to the muhtar of a muhtarlık it touches
/// ([`super::plan_work`]): the work's facts with the display names the texts use, and
/// the muhtarlık of the recipient.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WorkFacts {
    /// The work.
    pub work: WorkId,
    /// Its version this notice is about (1: published).
    pub version: u32,
    /// Its title.
    pub title: String,
    /// Its kind.
    pub work_kind: WorkKind,
    /// The kind's Turkish display name.
    pub work_kind_name: String,
    /// Its status.
    pub work_status: WorkStatus,
    /// The status's Turkish display name.
    pub work_status_name: String,
    /// The unit doing it.
    pub unit: UnitCode,
    /// Its name.
    #[serde(default)]
    pub unit_name: Option<String>,
    /// From.
    pub starts_at: DateTime<Utc>,
    /// Until.
    pub ends_at: DateTime<Utc>,
    /// Whom to ask.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact: Option<String>,
    /// The recipient's muhtarlık.
    pub muhtarlik: MuhtarlikCode,
    /// Its name.
    #[serde(default)]
    pub muhtarlik_name: Option<String>,
    /// What changed ([`NoticeKind::WorkChanged`]; empty for the others).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub changed: Vec<WorkField>,
    /// The tenant's name (the sender).
    #[serde(default)]
    pub tenant_name: String,
}

/// A council member's one-time login code ([`NoticeKind::CouncilLoginCode`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LoginCodeFacts {
    /// The 6 digits.
    pub code: String,
    /// Minutes it is accepted.
    pub minutes: u32,
    /// The council's muhtarlık name, if known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub muhtarlik_name: Option<String>,
    /// The tenant's name (the sender).
    #[serde(default)]
    pub tenant_name: String,
}

/// The facts a notice's texts are made from, one variant per [`NoticeKind`].
///
/// Serialised without a tag (the kind is the message's own field); read with
/// [`NoticePayload::from_json`], which takes the kind.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
#[non_exhaustive]
pub enum NoticePayload {
    /// [`NoticeKind::Received`].
    Received(RequestFacts),
    /// [`NoticeKind::Transferred`].
    Transferred(RequestFacts),
    /// [`NoticeKind::InterimReply`]: the note.
    InterimReply(NoteFacts),
    /// [`NoticeKind::Paused`]: what is asked.
    Paused(PausedFacts),
    /// [`NoticeKind::Message`]: the message.
    Message(NoteFacts),
    /// [`NoticeKind::Answered`].
    Answered(RequestFacts),
    /// [`NoticeKind::Closed`].
    Closed(RequestFacts),
    /// [`NoticeKind::Reopened`]: the reason.
    Reopened(NoteFacts),
    /// [`NoticeKind::NewInQueue`].
    NewInQueue(RequestFacts),
    /// [`NoticeKind::AtRisk`].
    AtRisk(EscalationFacts),
    /// [`NoticeKind::Breached`].
    Breached(EscalationFacts),
    /// [`NoticeKind::ReportReady`].
    ReportReady(ReportReadyFacts),
    /// [`NoticeKind::Extended`]: the reason.
    Extended(NoteFacts),
    /// [`NoticeKind::FeeNotified`].
    FeeNotified(FeeFacts),
    /// [`NoticeKind::FeePaid`].
    FeePaid(RequestFacts),
    /// [`NoticeKind::DeemedWithdrawn`].
    DeemedWithdrawn(RequestFacts),
    /// [`NoticeKind::UrgentReceived`].
    UrgentReceived(RequestFacts),
    /// [`NoticeKind::CitizenReceived`].
    CitizenReceived(RequestFacts),
    /// [`NoticeKind::CitizenAnswered`].
    CitizenAnswered(RequestFacts),
    /// [`NoticeKind::CitizenUpdate`].
    CitizenUpdate(CitizenUpdateFacts),
    /// [`NoticeKind::WorkPublished`].
    WorkPublished(WorkFacts),
    /// [`NoticeKind::WorkChanged`].
    WorkChanged(WorkFacts),
    /// [`NoticeKind::WorkClosed`].
    WorkClosed(WorkFacts),
    /// [`NoticeKind::CouncilLoginCode`].
    CouncilLoginCode(LoginCodeFacts),
}

impl NoticePayload {
    /// Reads the payload of a `kind` notice from its JSON.
    pub fn from_json(kind: NoticeKind, json: serde_json::Value) -> serde_json::Result<Self> {
        use serde_json::from_value as v;
        Ok(match kind {
            NoticeKind::Received => Self::Received(v(json)?),
            NoticeKind::Transferred => Self::Transferred(v(json)?),
            NoticeKind::InterimReply => Self::InterimReply(v(json)?),
            NoticeKind::Paused => Self::Paused(v(json)?),
            NoticeKind::Message => Self::Message(v(json)?),
            NoticeKind::Answered => Self::Answered(v(json)?),
            NoticeKind::Closed => Self::Closed(v(json)?),
            NoticeKind::Reopened => Self::Reopened(v(json)?),
            NoticeKind::NewInQueue => Self::NewInQueue(v(json)?),
            NoticeKind::AtRisk => Self::AtRisk(v(json)?),
            NoticeKind::Breached => Self::Breached(v(json)?),
            NoticeKind::ReportReady => Self::ReportReady(v(json)?),
            NoticeKind::Extended => Self::Extended(v(json)?),
            NoticeKind::FeeNotified => Self::FeeNotified(v(json)?),
            NoticeKind::FeePaid => Self::FeePaid(v(json)?),
            NoticeKind::DeemedWithdrawn => Self::DeemedWithdrawn(v(json)?),
            NoticeKind::UrgentReceived => Self::UrgentReceived(v(json)?),
            NoticeKind::CitizenReceived => Self::CitizenReceived(v(json)?),
            NoticeKind::CitizenAnswered => Self::CitizenAnswered(v(json)?),
            NoticeKind::CitizenUpdate => Self::CitizenUpdate(v(json)?),
            NoticeKind::WorkPublished => Self::WorkPublished(v(json)?),
            NoticeKind::CouncilLoginCode => Self::CouncilLoginCode(v(json)?),
            NoticeKind::WorkChanged => Self::WorkChanged(v(json)?),
            NoticeKind::WorkClosed => Self::WorkClosed(v(json)?),
        })
    }

    /// The notice kind this payload is for.
    pub fn kind(&self) -> NoticeKind {
        match self {
            Self::Received(_) => NoticeKind::Received,
            Self::Transferred(_) => NoticeKind::Transferred,
            Self::InterimReply(_) => NoticeKind::InterimReply,
            Self::Paused(_) => NoticeKind::Paused,
            Self::Message(_) => NoticeKind::Message,
            Self::Answered(_) => NoticeKind::Answered,
            Self::Closed(_) => NoticeKind::Closed,
            Self::Reopened(_) => NoticeKind::Reopened,
            Self::NewInQueue(_) => NoticeKind::NewInQueue,
            Self::AtRisk(_) => NoticeKind::AtRisk,
            Self::Breached(_) => NoticeKind::Breached,
            Self::ReportReady(_) => NoticeKind::ReportReady,
            Self::Extended(_) => NoticeKind::Extended,
            Self::FeeNotified(_) => NoticeKind::FeeNotified,
            Self::FeePaid(_) => NoticeKind::FeePaid,
            Self::DeemedWithdrawn(_) => NoticeKind::DeemedWithdrawn,
            Self::UrgentReceived(_) => NoticeKind::UrgentReceived,
            Self::CitizenReceived(_) => NoticeKind::CitizenReceived,
            Self::CitizenAnswered(_) => NoticeKind::CitizenAnswered,
            Self::CitizenUpdate(_) => NoticeKind::CitizenUpdate,
            Self::WorkPublished(_) => NoticeKind::WorkPublished,
            Self::WorkChanged(_) => NoticeKind::WorkChanged,
            Self::WorkClosed(_) => NoticeKind::WorkClosed,
            Self::CouncilLoginCode(_) => NoticeKind::CouncilLoginCode,
        }
    }

    /// The request's facts (every kind but [`NoticeKind::ReportReady`]).
    pub fn request(&self) -> Option<&RequestFacts> {
        match self {
            Self::Received(r)
            | Self::Transferred(r)
            | Self::Answered(r)
            | Self::Closed(r)
            | Self::NewInQueue(r)
            | Self::FeePaid(r)
            | Self::DeemedWithdrawn(r)
            | Self::UrgentReceived(r)
            | Self::CitizenReceived(r)
            | Self::CitizenAnswered(r) => Some(r),
            Self::InterimReply(n) | Self::Message(n) | Self::Reopened(n) | Self::Extended(n) => {
                Some(&n.request)
            }
            Self::Paused(p) => Some(&p.request),
            Self::FeeNotified(f) => Some(&f.request),
            Self::AtRisk(e) | Self::Breached(e) => Some(&e.request),
            Self::CitizenUpdate(c) => Some(&c.request),
            Self::ReportReady(_)
            | Self::WorkPublished(_)
            | Self::WorkChanged(_)
            | Self::WorkClosed(_)
            | Self::CouncilLoginCode(_) => None,
        }
    }

    /// The login code's facts ([`NoticeKind::CouncilLoginCode`]).
    pub fn login_code(&self) -> Option<&LoginCodeFacts> {
        match self {
            Self::CouncilLoginCode(c) => Some(c),
            _ => None,
        }
    }

    /// The work's facts (the kinds of [`NoticeKind::WORK`]).
    pub fn work(&self) -> Option<&WorkFacts> {
        match self {
            Self::WorkPublished(w) | Self::WorkChanged(w) | Self::WorkClosed(w) => Some(w),
            _ => None,
        }
    }

    /// The request's facts, to change (tests, corrections).
    pub fn request_mut(&mut self) -> Option<&mut RequestFacts> {
        match self {
            Self::Received(r)
            | Self::Transferred(r)
            | Self::Answered(r)
            | Self::Closed(r)
            | Self::NewInQueue(r)
            | Self::FeePaid(r)
            | Self::DeemedWithdrawn(r)
            | Self::UrgentReceived(r)
            | Self::CitizenReceived(r)
            | Self::CitizenAnswered(r) => Some(r),
            Self::InterimReply(n) | Self::Message(n) | Self::Reopened(n) | Self::Extended(n) => {
                Some(&mut n.request)
            }
            Self::Paused(p) => Some(&mut p.request),
            Self::FeeNotified(f) => Some(&mut f.request),
            Self::AtRisk(e) | Self::Breached(e) => Some(&mut e.request),
            Self::CitizenUpdate(c) => Some(&mut c.request),
            Self::ReportReady(_)
            | Self::WorkPublished(_)
            | Self::WorkChanged(_)
            | Self::WorkClosed(_)
            | Self::CouncilLoginCode(_) => None,
        }
    }

    /// The text the notice carries (a note, a message, a reason), if its kind has one.
    pub fn note(&self) -> Option<&str> {
        match self {
            Self::InterimReply(n) | Self::Message(n) | Self::Reopened(n) | Self::Extended(n) => {
                Some(&n.note)
            }
            Self::Paused(p) => Some(&p.note),
            Self::FeeNotified(f) => Some(&f.note),
            Self::CitizenUpdate(c) => c.note.as_deref(),
            _ => None,
        }
    }

    /// The fee as shown to people (a fee notice, or the citizen's copy of one).
    pub fn fee_amount(&self) -> Option<&str> {
        match self {
            Self::FeeNotified(f) => Some(&f.fee_amount),
            Self::CitizenUpdate(c) => c.fee_amount.as_deref(),
            _ => None,
        }
    }

    /// The tenant's name (the sender).
    pub fn tenant_name(&self) -> &str {
        match self {
            Self::ReportReady(r) => &r.tenant_name,
            Self::WorkPublished(w) | Self::WorkChanged(w) | Self::WorkClosed(w) => &w.tenant_name,
            Self::CouncilLoginCode(c) => &c.tenant_name,
            _ => self.request().map_or("", |r| &r.tenant_name),
        }
    }

    /// The unit's name: the request's unit, the reporting unit of a report, the unit doing
    /// a work.
    pub fn unit_name(&self) -> Option<&str> {
        match self {
            Self::ReportReady(r) => r.unit_name.as_deref(),
            Self::WorkPublished(w) | Self::WorkChanged(w) | Self::WorkClosed(w) => {
                w.unit_name.as_deref()
            }
            _ => self.request().and_then(|r| r.unit_name.as_deref()),
        }
    }

    /// The citizen's copy of a Law 4982 step ([`NoticeKind::CitizenUpdate`]) naming the
    /// step and carrying its text and amount; `None` for other kinds.
    pub fn citizen_update(&self) -> Option<NoticePayload> {
        let update = self.kind();
        if !matches!(
            update,
            NoticeKind::Extended
                | NoticeKind::FeeNotified
                | NoticeKind::FeePaid
                | NoticeKind::DeemedWithdrawn
        ) {
            return None;
        }
        Some(Self::CitizenUpdate(CitizenUpdateFacts {
            request: self.request()?.clone(),
            update,
            note: self.note().map(str::to_owned),
            fee_amount: self.fee_amount().map(str::to_owned),
        }))
    }
}

/// An outbox message as stored: the payload still JSON, read by its kind.
#[derive(Deserialize)]
pub(super) struct StoredMessage {
    id: Uuid,
    tenant: TenantId,
    #[serde(default)]
    request: Option<RequestId>,
    idempotency_key: String,
    kind: NoticeKind,
    channel: DeliveryChannel,
    recipient: String,
    #[serde(default)]
    addressee: Option<Addressee>,
    locale: Locale,
    payload: serde_json::Value,
    created_at: DateTime<Utc>,
    not_before: DateTime<Utc>,
}

impl TryFrom<StoredMessage> for OutboxMessage {
    type Error = serde_json::Error;

    fn try_from(m: StoredMessage) -> serde_json::Result<Self> {
        Ok(OutboxMessage {
            payload: NoticePayload::from_json(m.kind, m.payload)?,
            id: m.id,
            tenant: m.tenant,
            request: m.request,
            idempotency_key: m.idempotency_key,
            kind: m.kind,
            channel: m.channel,
            recipient: m.recipient,
            addressee: m.addressee,
            locale: m.locale,
            created_at: m.created_at,
            not_before: m.not_before,
        })
    }
}
