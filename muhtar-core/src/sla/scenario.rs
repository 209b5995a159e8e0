//! Given/when/then helper for SLA clock tests:
//!
//! ```
//! use muhtar_core::sla::{scenario::given, SlaPolicy};
//! given(SlaPolicy::genelge_2015_8())
//!     .received("2025-03-14T10:00:00+03:00")
//!     .then_due("2025-04-02T17:30:00+03:00");
//! ```
//!
//! Test code only: the `then_*` methods panic (assert) on mismatch and the
//! builders panic on malformed instants.

use chrono::{DateTime, Utc};

use super::{ClockEvent, ClockState, PauseReason, SlaClock, SlaError, SlaEvaluation, SlaPolicy};
use crate::calendar::Calendar;

/// Parses an RFC 3339 instant (test helper: panics on a malformed string).
pub fn instant(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s)
        .unwrap_or_else(|e| panic!("bad RFC 3339 instant {s:?}: {e}"))
        .with_timezone(&Utc)
}

/// Starts a scenario for `policy` on the built-in calendar.
pub fn given(policy: SlaPolicy) -> Scenario {
    Scenario {
        policy,
        calendar: Calendar::new(),
        events: Vec::new(),
    }
}

/// A scenario: a policy, a calendar and events.
#[derive(Debug, Clone)]
pub struct Scenario {
    policy: SlaPolicy,
    calendar: Calendar,
    events: Vec<ClockEvent>,
}

impl Scenario {
    /// Uses `calendar` instead of the built-in one.
    pub fn on(mut self, calendar: Calendar) -> Self {
        self.calendar = calendar;
        self
    }
    /// Received at `at` (RFC 3339).
    pub fn received(mut self, at: &str) -> Self {
        self.events.push(ClockEvent::Received { at: instant(at) });
        self
    }
    /// Paused (waiting on the muhtar) from `from` to `to`.
    pub fn when_paused(self, from: &str, to: &str) -> Self {
        self.when_paused_for(PauseReason::Muhtar, from, to)
    }
    /// Paused for `reason` from `from` to `to`.
    pub fn when_paused_for(mut self, reason: PauseReason, from: &str, to: &str) -> Self {
        self.events.push(ClockEvent::Paused {
            at: instant(from),
            reason,
        });
        self.events.push(ClockEvent::Resumed { at: instant(to) });
        self
    }
    /// Any other event.
    pub fn when(mut self, event: ClockEvent) -> Self {
        self.events.push(event);
        self
    }
    /// Transferred at `at`.
    pub fn when_transferred(self, at: &str) -> Self {
        let at = instant(at);
        self.when(ClockEvent::Transferred { at })
    }
    /// Extension notified at `at`.
    pub fn when_extended(self, at: &str) -> Self {
        let at = instant(at);
        self.when(ClockEvent::Extended {
            at,
            reason: "test".into(),
        })
    }
    /// Interim reply at `at`.
    pub fn when_interim_reply(self, at: &str) -> Self {
        let at = instant(at);
        self.when(ClockEvent::InterimReply { at })
    }
    /// Answered at `at`.
    pub fn when_answered(self, at: &str) -> Self {
        let at = instant(at);
        self.when(ClockEvent::Answered { at })
    }
    /// The events so far.
    pub fn events(&self) -> &[ClockEvent] {
        &self.events
    }
    /// Evaluates at `now` (RFC 3339).
    pub fn evaluate_at(&self, now: &str) -> Result<SlaEvaluation, SlaError> {
        SlaClock::new(&self.policy, &self.calendar).evaluate(&self.events, instant(now))
    }
    /// Evaluates far in the future (2050) so every event counts.
    pub fn evaluate(&self) -> Result<SlaEvaluation, SlaError> {
        self.evaluate_at("2050-12-01T00:00:00Z")
    }
    /// Asserts the resolution due instant (RFC 3339, compared as instants and as text with offset).
    #[track_caller]
    pub fn then_due(self, expected: &str) -> Self {
        let eval = self
            .evaluate()
            .unwrap_or_else(|e| panic!("evaluation failed: {e}"));
        assert_eq!(
            eval.resolution.due.to_rfc3339(),
            instant(expected)
                .with_timezone(&eval.resolution.due.timezone())
                .to_rfc3339()
        );
        assert_eq!(
            eval.resolution.due.to_rfc3339(),
            expected,
            "due instant (with offset)"
        );
        self
    }
    /// Asserts the resolution due date (YYYY-MM-DD).
    #[track_caller]
    pub fn then_due_date(self, expected: &str) -> Self {
        let eval = self
            .evaluate()
            .unwrap_or_else(|e| panic!("evaluation failed: {e}"));
        assert_eq!(eval.resolution.due_date.to_string(), expected, "due date");
        self
    }
    /// Asserts the first-response due date (YYYY-MM-DD).
    #[track_caller]
    pub fn then_first_response_due_date(self, expected: &str) -> Self {
        let eval = self
            .evaluate()
            .unwrap_or_else(|e| panic!("evaluation failed: {e}"));
        assert_eq!(
            eval.first_response.due_date.to_string(),
            expected,
            "first-response due date"
        );
        self
    }
    /// Asserts the resolution state at `now`.
    #[track_caller]
    pub fn then_state_at(self, now: &str, expected: ClockState) -> Self {
        let eval = self
            .evaluate_at(now)
            .unwrap_or_else(|e| panic!("evaluation failed: {e}"));
        assert_eq!(eval.resolution.state, expected, "resolution state at {now}");
        self
    }
    /// Asserts the first-response state at `now`.
    #[track_caller]
    pub fn then_first_response_state_at(self, now: &str, expected: ClockState) -> Self {
        let eval = self
            .evaluate_at(now)
            .unwrap_or_else(|e| panic!("evaluation failed: {e}"));
        assert_eq!(
            eval.first_response.state, expected,
            "first-response state at {now}"
        );
        self
    }
    /// Asserts evaluation fails with an error matching `pred`.
    #[track_caller]
    pub fn then_error(self, pred: impl Fn(&SlaError) -> bool) -> Self {
        match self.evaluate() {
            Err(e) => assert!(pred(&e), "unexpected error {e:?}"),
            Ok(_) => panic!("expected an error"),
        }
        self
    }
}
