//! The events of a request's life. Append-only; the current state is a fold over them.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::content::RequestContent;
use super::fee::FeeAmount;
use crate::access::Actor;
use crate::ids::{RequestId, TenantId, UnitCode};
use crate::reason::ReasonCode;
use crate::tracking::TrackingNumber;

/// What the answer was. Separate from the status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Outcome {
    /// Olumlu: the request was fulfilled, or accepted and scheduled.
    Positive,
    /// Olumsuz: the request was refused or could not be fulfilled.
    Negative,
}

crate::names::named_enum! {
    impl Outcome: "outcome" {
        Positive => ("positive", "olumlu"),
        Negative => ("negative", "olumsuz"),
    }
}

/// Why the clocks are paused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PauseReason {
    /// Waiting on the muhtar for missing information.
    Muhtar,
    /// Waiting on a fee (Law 4982 art. 11: a fee notice stops the clock).
    Fee,
}

crate::names::named_enum! {
    impl PauseReason: "pause reason" {
        Muhtar => ("muhtar", "muhtar bekleniyor"),
        Fee => ("fee", "ücret bekleniyor"),
    }
}

/// Who wrote a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Party {
    /// The muhtar.
    Muhtar,
    /// The unit (or the coordinator).
    Unit,
}

crate::names::named_enum! {
    impl Party: "party" {
        Muhtar => ("muhtar", "muhtar"),
        Unit => ("unit", "birim"),
    }
}

/// What happened.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
#[non_exhaustive]
#[allow(clippy::large_enum_variant)] // one `received` per request; boxing buys nothing
pub enum EventKind {
    /// The request reached the body.
    Received {
        /// Request id.
        id: RequestId,
        /// Tenant.
        tenant: TenantId,
        /// Takip numarası.
        tracking: TrackingNumber,
        /// Validated content.
        content: RequestContent,
        /// The SLA policy whose clocks run on it.
        policy: String,
        /// Why that policy: the policy rule that chose it, or `default` (none matched;
        /// also what events recorded before policy rules read as: see
        /// [`super::schema`]).
        policy_rule: String,
    },
    /// Routed to a unit by a rule.
    Routed {
        /// The unit.
        unit: UnitCode,
        /// The rule that chose it.
        rule: String,
        /// The version of the rule set.
        rule_set_version: String,
    },
    /// The unit accepted the request into its work.
    Accepted,
    /// A progress note (ara cevap); counts as the first response.
    InterimReply {
        /// The note.
        text: String,
    },
    /// The clocks pause: waiting on the muhtar or on a fee.
    Paused {
        /// Why.
        reason: PauseReason,
        /// What is asked of the muhtar.
        note: String,
    },
    /// The wait ended; the clocks run again.
    Resumed {
        /// What was received.
        #[serde(default)]
        note: String,
    },
    /// A message between the unit and the muhtar.
    Message {
        /// Who wrote it.
        from: Party,
        /// The text.
        text: String,
    },
    /// The answer.
    Answered {
        /// Olumlu or olumsuz.
        outcome: Outcome,
        /// Gerekçe, required for a negative outcome.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<ReasonCode>,
        /// Explanation of the reason (required for `other`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason_text: Option<String>,
        /// The answer sent to the muhtar.
        text: String,
    },
    /// Closed after the answer.
    Closed,
    /// Passed to another unit by the unit that had it.
    Transferred {
        /// From.
        from: UnitCode,
        /// To.
        to: UnitCode,
        /// Why.
        reason: String,
        /// Whether the deadline clocks restart (decided by the policy when it happened).
        restart_clock: bool,
    },
    /// A coordinator corrected a misrouted request.
    Rerouted {
        /// From (none if it had not been routed).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        from: Option<UnitCode>,
        /// To.
        to: UnitCode,
        /// Why.
        reason: String,
        /// Whether the deadline clocks restart.
        restart_clock: bool,
    },
    /// The muhtar reopened an answered or closed request.
    Reopened {
        /// Why.
        reason: String,
    },
    /// The muhtar withdrew the request.
    Withdrawn {
        /// Why, if said.
        #[serde(default)]
        reason: String,
    },
    /// Merged into a duplicate request.
    Merged {
        /// The request it duplicates.
        into: TrackingNumber,
    },
    /// The Law 4982 deadline was extended once (to 30 business days).
    Extended {
        /// The reason notified to the applicant.
        reason: String,
    },
    /// Personal data (the citizen contact) was erased on request (KVKK).
    ContactErased,
    /// Law 4982 art. 12: a fee was notified to the applicant; the clocks stop until it
    /// is paid.
    FeeNotified {
        /// The amount.
        amount: FeeAmount,
        /// What the fee is for, how to pay it.
        #[serde(default)]
        note: String,
    },
    /// The notified fee was paid; the clocks run again.
    FeePaid {
        /// A receipt number or remark.
        #[serde(default)]
        note: String,
    },
    /// Law 4982 art. 12: the fee went unpaid for the set business days after its notice,
    /// so the application is deemed withdrawn. Recorded by the deadline sweep; negative
    /// with the reason `fee-unpaid`.
    DeemedWithdrawn {
        /// The reason code ([`crate::reason::FEE_UNPAID`]).
        reason: ReasonCode,
        /// When the unpaid fee was notified.
        fee_notified_at: DateTime<Utc>,
        /// The instant the payment period ended.
        period_ended: DateTime<Utc>,
    },
    /// Back-office staff set the request's SLA policy; its open clocks run under the new
    /// one from now on (recomputed from the receipt, pauses kept).
    PolicyChanged {
        /// The policy before.
        from: String,
        /// The policy after.
        to: String,
        /// Why.
        reason: String,
    },
    /// The request was registered as an incoming official document (gelen evrak).
    DocumentRegistered {
        /// The document.
        document: crate::document::DocumentRef,
    },
    /// The answer was issued as an official letter (giden evrak).
    LetterIssued {
        /// The letter.
        document: crate::document::DocumentRef,
    },
}

crate::names::named_enum! {
    /// The type of an event: the variant of [`EventKind`] without its data.
    pub enum EventType: "event type" for EventKind::event_type {
        Received => ("received", "alındı"),
        Routed => ("routed", "birime iletildi"),
        Accepted => ("accepted", "işleme alındı"),
        InterimReply => ("interim-reply", "ara cevap"),
        Paused => ("paused", "bekletildi"),
        Resumed => ("resumed", "devam ediyor"),
        Message => ("message", "mesaj"),
        Answered => ("answered", "cevaplandı"),
        Closed => ("closed", "kapatıldı"),
        Transferred => ("transferred", "aktarıldı"),
        Rerouted => ("rerouted", "yeniden yönlendirildi"),
        Reopened => ("reopened", "yeniden açıldı"),
        Withdrawn => ("withdrawn", "geri çekildi"),
        Merged => ("merged", "birleştirildi"),
        Extended => ("extended", "süre uzatıldı"),
        ContactErased => ("contact-erased", "kişisel veri silindi"),
        FeeNotified => ("fee-notified", "ücret bildirildi"),
        FeePaid => ("fee-paid", "ücret ödendi"),
        DeemedWithdrawn => ("deemed-withdrawn", "başvurudan vazgeçilmiş sayıldı"),
        PolicyChanged => ("policy-changed", "süre rejimi değiştirildi"),
        DocumentRegistered => ("document-registered", "gelen evrak olarak kaydedildi"),
        LetterIssued => ("letter-issued", "cevap resmî yazı olarak düzenlendi"),
    }
}

impl EventKind {
    /// The stable name of the event type, as in its JSON `type` field.
    pub fn name(&self) -> &'static str {
        self.event_type().as_str()
    }

    /// What happened, in Turkish, for people (history lists).
    pub fn display_name(&self) -> &'static str {
        self.event_type().display_name()
    }
}

/// One event in a request's history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// The request's version after this event (1 for `received`).
    pub version: u32,
    /// When it was recorded.
    pub at: DateTime<Utc>,
    /// Who caused it.
    pub actor: Actor,
    /// What happened.
    pub kind: EventKind,
}

/// Removes the citizen contact from a `received` event (KVKK erasure): what a store does
/// to the stored history when a [`EventKind::ContactErased`] event is committed. Other
/// events are left as they are; folding the redacted history gives the same state.
pub fn redact_contact(kind: &mut EventKind) {
    if let EventKind::Received { content, .. } = kind {
        content.citizen = None;
    }
}
