//! SLA deadline clocks (yanıt süreleri) for muhtar requests.
//!
//! * [`SlaPolicy`]: length, unit (calendar or business days), calendar view,
//!   office hours, half-day rules, reassignment rule, at-risk window, optional
//!   extension and fee stop. Built-in policies with stable names live in a
//!   [`PolicyRegistry`]; tenants add their own from TOML.
//! * [`SlaClock`]: computes the first-response and resolution clocks of a
//!   request from its [`ClockEvent`]s and a [`Calendar`](crate::calendar::Calendar),
//!   evaluated at a `now` value, each with an [`Explanation`].
//!
//! # Counting rules (docs/domain.md §3)
//!
//! * The receipt day is not counted. Business-day deadlines end on the N-th
//!   working day after the receipt day (a receipt on a non-working day thus
//!   starts counting at the next working day).
//! * Calendar-day deadlines: day 1 is the day after receipt, always, even when
//!   the receipt day is a weekend or holiday: holidays inside a period count
//!   (HMK 92/93); a last day on a weekend, holiday or (default) half day rolls
//!   forward to the next full working day. A tenant may defer day 1 to the first
//!   working day after a receipt on a non-working day
//!   ([`SlaPolicy::defer_start_after_non_working_receipt`], default no).
//! * The due instant is the end of office hours (default 17:30) Europe/Istanbul
//!   on the last day; on a half day (office closes at 13:00) it is 13:00 if that
//!   is earlier.
//!
//! # Pauses
//!
//! A pause from instant `p` to instant `r` (local dates `P`, `R`) extends the
//! deadline the way a new receipt would: the pause day `P` still counts, the
//! days after it up to and including the resume day `R` do not. So a
//! business-day policy is extended by the number of working days `d` with
//! `P < d <= R`; a calendar-day policy by `R - P` calendar days (before the
//! roll-forward, which is applied once to the extended last day). A pause
//! within one day changes nothing. A pause that starts after the deadline has
//! passed is ignored (the clock is already breached). While a pause is open at
//! `now`, the reported due instant is provisional (as if resumed at `now`).
//!
//! # Decided clocks
//!
//! A clock is recomputed from events + calendar at any time, so a new idari
//! izin day moves open deadlines. A verdict reached at answer time (met / met
//! late) is kept by storing [`ClockStatus::decision`] and passing it to
//! [`SlaClock::evaluate_with_decided`], which returns the stored verdict while
//! the clock is still stopped at the same instant.

mod clock;
mod describe;
mod policy;
pub mod scenario;

pub use clock::{
    ClockEvent, ClockKind, ClockState, ClockStatus, Deadline, DecidedClock, Explanation,
    ExtensionRecord, PauseKind, PauseReason, PauseRecord, PolicyChangeRecord, ReplyByRecord,
    SkippedDay, SlaClock, SlaEvaluation,
};
pub use policy::{DayUnit, PolicyRegistry, Reassignment, SlaPolicy};

use chrono::{DateTime, FixedOffset, Utc};

use crate::calendar::CalendarError;

/// Errors of SLA policies and clocks.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SlaError {
    /// No policy with that name in the registry.
    #[error("unknown SLA policy {name:?}; valid policies: {}", known.join(", "))]
    UnknownPolicy {
        /// The name asked for.
        name: String,
        /// The names of the registry's policies.
        known: Vec<String>,
    },
    /// A policy definition that does not make sense.
    #[error("invalid SLA policy {name:?}: {reason}")]
    InvalidPolicy {
        /// Policy name.
        name: String,
        /// What is wrong.
        reason: String,
    },
    /// Tenant policy configuration that is not valid TOML / does not match the schema.
    #[error("invalid SLA policy configuration: {0}")]
    Config(String),
    /// A calendar error (e.g. a date outside 2010–2050).
    #[error(transparent)]
    Calendar(#[from] CalendarError),
    /// The events contain no `Received` event.
    #[error("no Received event: the clock has not started")]
    NotReceived,
    /// An event before the receipt.
    #[error("event at {} precedes the receipt at {}", crate::calendar::local_time(*.at), crate::calendar::local_time(*.received))]
    EventBeforeReceipt {
        /// The event instant.
        at: DateTime<Utc>,
        /// The receipt instant.
        received: DateTime<Utc>,
    },
    /// The policy has no extension.
    #[error("policy {policy:?} does not allow an extension")]
    ExtensionNotAllowed {
        /// Policy name.
        policy: String,
    },
    /// The one allowed extension was already used.
    #[error("the deadline was already extended at {first}; only one extension is allowed")]
    ExtensionAlreadyUsed {
        /// When the first extension was notified.
        first: DateTime<Utc>,
    },
    /// The extension was notified after the original deadline had passed (Law 4982 art. 11).
    #[error(
        "too late to extend: the deadline {} (Europe/Istanbul) passed before the extension \
         at {}; an extension must be notified before the original period runs out \
         (Law 4982 art. 11)",
        deadline.format("%d.%m.%Y %H:%M"),
        crate::calendar::to_istanbul(*at).format("%d.%m.%Y %H:%M")
    )]
    ExtensionTooLate {
        /// When the extension was notified.
        at: DateTime<Utc>,
        /// The deadline it should have preceded.
        deadline: DateTime<FixedOffset>,
    },
    /// A pause the policy does not allow (e.g. a fee pause outside Law 4982).
    #[error(
        "policy {policy:?} does not stop the clock {}",
        match reason {
            PauseReason::Fee => "for a fee (only Law 4982 policies, fee_stops_clock, do)",
            PauseReason::Muhtar => "while waiting on the muhtar (muhtar_pause_stops_clock)",
        }
    )]
    PauseNotAllowed {
        /// Policy name.
        policy: String,
        /// The pause reason.
        reason: PauseReason,
    },
}
