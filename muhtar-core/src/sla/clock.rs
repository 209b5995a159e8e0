//! First-response and resolution clocks computed from events.

use chrono::{DateTime, Duration, FixedOffset, NaiveDate, NaiveTime, Utc};
use serde::{Deserialize, Serialize};

use super::policy::{DayUnit, Reassignment, SlaPolicy};
use super::SlaError;
use crate::calendar::{
    from_istanbul_local, local_date, to_istanbul, Calendar, CalendarView, CountMode, DayReason,
    WorkingTime,
};

/// Why a clock waits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PauseReason {
    /// Waiting on the muhtar (missing information).
    Muhtar,
    /// Waiting for a fee to be paid (Law 4982 art. 11: the fee notice stops the clock).
    Fee,
}

/// A clock-relevant event of a request (the lead maps lifecycle events to these).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "type")]
#[non_exhaustive]
pub enum ClockEvent {
    /// The request reached the body (starts both clocks). Later duplicates are ignored.
    Received {
        /// Instant of receipt.
        at: DateTime<Utc>,
    },
    /// An interim reply about progress: stops the first-response clock.
    InterimReply {
        /// Instant.
        at: DateTime<Utc>,
    },
    /// The clock stops while waiting.
    Paused {
        /// Instant.
        at: DateTime<Utc>,
        /// What the body waits on.
        reason: PauseReason,
    },
    /// The wait ended.
    Resumed {
        /// Instant.
        at: DateTime<Utc>,
    },
    /// Reassigned to another body: keeps or restarts the clock per policy.
    Transferred {
        /// Instant.
        at: DateTime<Utc>,
    },
    /// The one allowed extension (Law 4982), notified before the deadline.
    Extended {
        /// Instant of the notification.
        at: DateTime<Utc>,
        /// The reason notified.
        reason: String,
    },
    /// The final answer: stops both clocks.
    Answered {
        /// Instant.
        at: DateTime<Utc>,
    },
    /// Reopened after an answer: the resolution clock runs again, extended by
    /// the time it was stopped (counted like a pause).
    Reopened {
        /// Instant.
        at: DateTime<Utc>,
    },
    /// Closed: stops both clocks like an answer if they still run.
    Closed {
        /// Instant.
        at: DateTime<Utc>,
    },
    /// The request's policy was changed (evaluate with the new one): the clocks are
    /// recomputed under it from the start, pauses kept; a pause or an extension made
    /// before the change stays valid even if the new policy would not allow it (an
    /// extension the new policy has no length for is dropped). Named in the explanation.
    PolicyChanged {
        /// Instant.
        at: DateTime<Utc>,
        /// The policy before.
        from: String,
        /// The policy after.
        to: String,
        /// Why.
        reason: String,
    },
}

impl ClockEvent {
    /// The instant of the event.
    pub fn at(&self) -> DateTime<Utc> {
        match self {
            ClockEvent::Received { at }
            | ClockEvent::InterimReply { at }
            | ClockEvent::Paused { at, .. }
            | ClockEvent::Resumed { at }
            | ClockEvent::Transferred { at }
            | ClockEvent::Extended { at, .. }
            | ClockEvent::Answered { at }
            | ClockEvent::Reopened { at }
            | ClockEvent::Closed { at }
            | ClockEvent::PolicyChanged { at, .. } => *at,
        }
    }
}

/// Which clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClockKind {
    /// İlk yanıt: stopped by an interim reply or the answer.
    FirstResponse,
    /// Sonuç: stopped by the final answer.
    Resolution,
}

/// State of a clock at `now`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ClockState {
    /// Running, not yet within the warning window.
    Running,
    /// Paused (waiting on the muhtar or a fee).
    Paused,
    /// Running within the at-risk window before the deadline.
    AtRisk,
    /// The deadline passed without an answer.
    Breached,
    /// Stopped on or before the deadline.
    Met,
    /// Stopped after the deadline.
    MetLate,
}

crate::names::named_enum! {
    impl ClockState: "clock state" {
        Running => ("running", "süre işliyor"),
        Paused => ("paused", "süre durduruldu"),
        AtRisk => ("at_risk", "süre dolmak üzere"),
        Breached => ("breached", "süre aşıldı"),
        Met => ("met", "süresinde"),
        MetLate => ("met_late", "gecikmeli"),
    }
}

/// Why an interval did not count.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PauseKind {
    /// Waiting on the muhtar.
    Muhtar,
    /// Waiting for a fee.
    Fee,
    /// Answered and later reopened: the closed interval does not count.
    ClosedUntilReopened,
}

/// A pause in an explanation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PauseRecord {
    /// Start.
    pub from: DateTime<FixedOffset>,
    /// End; `None` while still open (then counted up to `now`).
    pub to: Option<DateTime<FixedOffset>>,
    /// Why.
    pub reason: PauseKind,
    /// Days added to the deadline (working days or calendar days per the policy unit).
    pub days_added: u32,
}

/// The extension in an explanation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExtensionRecord {
    /// When it was notified.
    pub at: DateTime<FixedOffset>,
    /// The reason notified.
    pub reason: String,
    /// Length before.
    pub from_length: u32,
    /// Length after.
    pub to_length: u32,
}

/// A policy change in an explanation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicyChangeRecord {
    /// When.
    pub at: DateTime<FixedOffset>,
    /// The policy before.
    pub from: String,
    /// The policy after.
    pub to: String,
    /// Why.
    pub reason: String,
}

/// A day that did not count (or was rolled over) and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SkippedDay {
    /// The date.
    pub date: NaiveDate,
    /// The reasons (weekend, holiday name, half day, idari izin, ...).
    pub reasons: Vec<DayReason>,
}

/// Why a deadline is what it is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Explanation {
    /// Policy name.
    pub policy: String,
    /// Which clock.
    pub clock: ClockKind,
    /// Unit of the length.
    pub unit: DayUnit,
    /// Length applied (after an extension).
    pub length: u32,
    /// Calendar view.
    pub view: CalendarView,
    /// Calendar version the deadline was computed with.
    pub calendar_version: String,
    /// The receipt instant (or the transfer instant after a restart), Europe/Istanbul.
    pub start: DateTime<FixedOffset>,
    /// The local day of `start`: not counted.
    pub start_date: NaiveDate,
    /// The clock restarted on a transfer at this instant.
    pub restarted_on_transfer: bool,
    /// First counted day.
    pub counting_starts: NaiveDate,
    /// Days between the start day and the last counted day that did not count.
    pub skipped: Vec<SkippedDay>,
    /// Half days that counted as business days (arife, 28 October).
    pub half_days_counted: Vec<SkippedDay>,
    /// Pauses and the days they added.
    pub pauses: Vec<PauseRecord>,
    /// The extension, if any.
    pub extension: Option<ExtensionRecord>,
    /// Changes of the request's policy: the clock runs under the last one's `to`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub policy_changes: Vec<PolicyChangeRecord>,
    /// Last counted day before any roll-forward.
    pub last_counted_day: NaiveDate,
    /// Days rolled over because the last day was not a (full) working day.
    pub rolled_forward: Vec<SkippedDay>,
    /// The final local date.
    pub due_date: NaiveDate,
    /// The final instant (end of office hours, Europe/Istanbul).
    pub due: DateTime<FixedOffset>,
    /// A dated letter's reply-by date (günlü yazı) and whether it set the deadline.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply_by: Option<ReplyByRecord>,
}

/// How a dated letter's reply-by date (yazıda istenen cevap tarihi) bore on the
/// resolution deadline: it is the deadline when it is earlier than the policy's;
/// otherwise the policy's deadline stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReplyByRecord {
    /// The instant the letter asks the answer by (a date: the end of office hours).
    pub requested: DateTime<FixedOffset>,
    /// The policy's deadline, as computed without the letter's date.
    pub policy_due: DateTime<FixedOffset>,
    /// Whether the letter's date is the deadline (it is earlier than the policy's).
    pub applied: bool,
    /// The explanation for people, in Turkish.
    pub note: String,
}

/// A deadline (fast path, no explanation).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Deadline {
    /// Local date of the deadline.
    pub due_date: NaiveDate,
    /// Due instant (end of office hours on `due_date`).
    pub due: DateTime<Utc>,
}

impl Deadline {
    /// The due instant in Europe/Istanbul local time.
    pub fn due_local(&self) -> DateTime<FixedOffset> {
        to_istanbul(self.due)
    }
}

/// One clock at `now`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClockStatus {
    /// Which clock.
    pub clock: ClockKind,
    /// State at `now`.
    pub state: ClockState,
    /// Due instant (provisional while paused).
    pub due: DateTime<FixedOffset>,
    /// Due local date.
    pub due_date: NaiveDate,
    /// Start of the at-risk window, if the policy has one.
    pub at_risk_from: Option<DateTime<FixedOffset>>,
    /// When the clock was stopped (interim reply / answer / close).
    pub stopped_at: Option<DateTime<FixedOffset>>,
    /// The verdict comes from a stored [`DecidedClock`], not from recomputation.
    pub frozen: bool,
    /// Why.
    pub explanation: Explanation,
}

impl ClockStatus {
    /// The verdict to store once the clock is met or met late.
    pub fn decision(&self) -> Option<DecidedClock> {
        let stopped_at = self.stopped_at?;
        matches!(self.state, ClockState::Met | ClockState::MetLate).then(|| DecidedClock {
            clock: self.clock,
            state: self.state,
            due: self.due,
            stopped_at,
            policy: self.explanation.policy.clone(),
            calendar_version: self.explanation.calendar_version.clone(),
        })
    }
}

/// A verdict recorded when a clock stopped; later calendar changes do not alter it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DecidedClock {
    /// Which clock.
    pub clock: ClockKind,
    /// `Met` or `MetLate`.
    pub state: ClockState,
    /// The deadline as it was then.
    pub due: DateTime<FixedOffset>,
    /// When it stopped.
    pub stopped_at: DateTime<FixedOffset>,
    /// Policy name.
    pub policy: String,
    /// Calendar version used.
    pub calendar_version: String,
}

/// Both clocks of a request at `now`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlaEvaluation {
    /// Policy name.
    pub policy: String,
    /// Calendar version.
    pub calendar_version: String,
    /// The evaluation instant.
    pub evaluated_at: DateTime<Utc>,
    /// First-response clock.
    pub first_response: ClockStatus,
    /// Resolution clock.
    pub resolution: ClockStatus,
}

/// Computes deadlines and clocks for one policy on one calendar.
#[derive(Debug, Clone, Copy)]
pub struct SlaClock<'a> {
    policy: &'a SlaPolicy,
    calendar: &'a Calendar,
    reply_by: Option<DateTime<Utc>>,
}

/// Internal running state of one clock.
struct Run {
    start: DateTime<Utc>,
    restarted: bool,
    length: u32,
    extra: u32,
    pauses: Vec<PauseRecord>,
    open_pause: Option<(DateTime<Utc>, PauseKind)>,
    extension: Option<(DateTime<Utc>, ExtensionRecord)>,
    stopped: Option<DateTime<Utc>>,
}

const HALF_DAY_CLOSE: NaiveTime = match NaiveTime::from_hms_opt(13, 0, 0) {
    Some(t) => t,
    None => panic!("valid"),
};

impl<'a> SlaClock<'a> {
    /// A clock computer for `policy` on `calendar`.
    pub fn new(policy: &'a SlaPolicy, calendar: &'a Calendar) -> Self {
        SlaClock {
            policy,
            calendar,
            reply_by: None,
        }
    }

    /// The same clock for a dated letter that asks the answer by `reply_by`: the
    /// resolution deadline is the earlier of the policy's and `reply_by`, and the
    /// explanation says which ([`Explanation::reply_by`]); the first-response deadline is
    /// bounded by it the same way. The letter's date is fixed: pauses, transfers and
    /// reopenings do not move it.
    pub fn with_reply_by(mut self, reply_by: Option<DateTime<Utc>>) -> Self {
        self.reply_by = reply_by;
        self
    }

    /// The due instant of a deadline on the local date `date`: the end of office hours
    /// (13:00 on a half day). What a reply-by date without a time means.
    pub fn due_on(&self, date: NaiveDate) -> Result<DateTime<Utc>, SlaError> {
        self.due_instant(date)
    }

    /// The policy.
    pub fn policy(&self) -> &SlaPolicy {
        self.policy
    }

    fn mode(&self) -> CountMode {
        self.policy.count_mode()
    }

    /// The last day for a start day, a length and extra (paused) days, plus the
    /// last counted day before roll-forward.
    fn last_day(
        &self,
        start_date: NaiveDate,
        days: u32,
    ) -> Result<(NaiveDate, NaiveDate), SlaError> {
        let cal = self.calendar;
        match self.policy.unit {
            DayUnit::Business => {
                let d = cal
                    .business_days(self.mode())
                    .add_business_days(start_date, days)?;
                Ok((d, d))
            }
            DayUnit::Calendar => {
                let any = cal.business_days(CountMode::new(self.policy.view, true));
                let anchor = if self.policy.defer_start_after_non_working_receipt
                    && !any.is_working(start_date)?
                {
                    any.add_business_days(start_date, 1)? - Duration::days(1)
                } else {
                    start_date
                };
                let raw = anchor + Duration::days(i64::from(days));
                let rolled = if self.policy.roll_forward_half_day {
                    cal.full_working_days(self.policy.view)
                        .next_working_on_or_after(raw)?
                } else {
                    any.next_working_on_or_after(raw)?
                };
                Ok((raw, rolled))
            }
        }
    }

    fn due_instant(&self, due_date: NaiveDate) -> Result<DateTime<Utc>, SlaError> {
        let mut end = self.policy.office_end;
        if self.calendar.working_time(self.policy.view, due_date)? == WorkingTime::MorningOnly {
            end = end.min(HALF_DAY_CLOSE);
        }
        Ok(from_istanbul_local(due_date.and_time(end))?)
    }

    /// Law 4982 art. 12: the end of the payment period of a fee notified at
    /// `notified_at`: the end of office hours on the
    /// [`fee_payment_days`](SlaPolicy::fee_payment_days)-th working day after the
    /// notice day. `None` when the policy has no fee stop or no payment period.
    pub fn fee_payment_due(
        &self,
        notified_at: DateTime<Utc>,
    ) -> Result<Option<Deadline>, SlaError> {
        if !self.policy.fee_stops_clock || self.policy.fee_payment_days == 0 {
            return Ok(None);
        }
        let due_date = self
            .calendar
            .business_days(self.mode())
            .add_business_days(local_date(notified_at), self.policy.fee_payment_days)?;
        Ok(Some(Deadline {
            due_date,
            due: self.due_instant(due_date)?,
        }))
    }

    /// The resolution deadline of a request received at `received` with no
    /// other events. Allocation-free fast path.
    pub fn due_for_receipt(&self, received: DateTime<Utc>) -> Result<Deadline, SlaError> {
        self.deadline_for(received, self.policy.length, 0)
    }

    fn deadline_for(
        &self,
        start: DateTime<Utc>,
        length: u32,
        extra: u32,
    ) -> Result<Deadline, SlaError> {
        let (_, due_date) = self.last_day(local_date(start), length.saturating_add(extra))?;
        Ok(Deadline {
            due_date,
            due: self.due_instant(due_date)?,
        })
    }

    fn pause_days(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> Result<u32, SlaError> {
        let (a, b) = (local_date(from), local_date(to));
        if b <= a {
            return Ok(0);
        }
        Ok(match self.policy.unit {
            DayUnit::Business => self
                .calendar
                .business_days(self.mode())
                .working_days_between(a, b)?,
            DayUnit::Calendar => u32::try_from((b - a).num_days()).unwrap_or(u32::MAX),
        })
    }

    /// Evaluates both clocks from `events` at `now` (events after `now` are ignored).
    pub fn evaluate(
        &self,
        events: &[ClockEvent],
        now: DateTime<Utc>,
    ) -> Result<SlaEvaluation, SlaError> {
        let mut sorted: Vec<&ClockEvent> = events.iter().filter(|e| e.at() <= now).collect();
        sorted.sort_by_key(|e| e.at());
        let resolution = self.clock(ClockKind::Resolution, &sorted, now)?;
        let first_response = self.clock(ClockKind::FirstResponse, &sorted, now)?;
        Ok(SlaEvaluation {
            policy: self.policy.name.clone(),
            calendar_version: self.calendar.version().to_owned(),
            evaluated_at: now,
            first_response,
            resolution,
        })
    }

    /// Like [`evaluate`](Self::evaluate), but a clock that is still stopped at
    /// the instant recorded in a stored [`DecidedClock`] keeps that verdict and
    /// due instant (`frozen: true`), whatever the calendar says now.
    pub fn evaluate_with_decided(
        &self,
        events: &[ClockEvent],
        now: DateTime<Utc>,
        decided: &[DecidedClock],
    ) -> Result<SlaEvaluation, SlaError> {
        let mut eval = self.evaluate(events, now)?;
        for status in [&mut eval.first_response, &mut eval.resolution] {
            if let Some(d) = decided.iter().find(|d| d.clock == status.clock) {
                if status.stopped_at == Some(d.stopped_at) {
                    status.state = d.state;
                    status.due = d.due;
                    status.frozen = true;
                }
            }
        }
        Ok(eval)
    }

    fn clock(
        &self,
        kind: ClockKind,
        events: &[&ClockEvent],
        now: DateTime<Utc>,
    ) -> Result<ClockStatus, SlaError> {
        let policy = self.policy;
        let Some(received) = events.iter().find_map(|e| match e {
            ClockEvent::Received { at } => Some(*at),
            _ => None,
        }) else {
            return Err(SlaError::NotReceived);
        };
        let base_length = match kind {
            ClockKind::FirstResponse => policy.first_response_length.unwrap_or(policy.length),
            ClockKind::Resolution => policy.length,
        };
        // Pauses and an extension from before the last policy change were made under
        // the policy then in force: they stay.
        let last_change = events
            .iter()
            .filter_map(|e| match e {
                ClockEvent::PolicyChanged { at, .. } => Some(*at),
                _ => None,
            })
            .max();
        let before_change = |at: DateTime<Utc>| last_change.is_some_and(|c| at <= c);
        let mut run = Run {
            start: received,
            restarted: false,
            length: base_length,
            extra: 0,
            pauses: Vec::new(),
            open_pause: None,
            extension: None,
            stopped: None,
        };
        for e in events {
            let at = e.at();
            if at < received {
                return Err(SlaError::EventBeforeReceipt { at, received });
            }
            let current_due = || self.deadline_for(run.start, run.length, run.extra);
            match e {
                ClockEvent::Received { .. } | ClockEvent::PolicyChanged { .. } => {}
                ClockEvent::Paused { reason, .. } => {
                    let allowed = match reason {
                        PauseReason::Fee => policy.fee_stops_clock,
                        PauseReason::Muhtar => policy.muhtar_pause_stops_clock,
                    };
                    if !allowed && !before_change(at) {
                        return Err(SlaError::PauseNotAllowed {
                            policy: policy.name.clone(),
                            reason: *reason,
                        });
                    }
                    if run.stopped.is_none() && run.open_pause.is_none() && at <= current_due()?.due
                    {
                        let kind = match reason {
                            PauseReason::Fee => PauseKind::Fee,
                            PauseReason::Muhtar => PauseKind::Muhtar,
                        };
                        run.open_pause = Some((at, kind));
                    }
                }
                ClockEvent::Resumed { .. } => {
                    if let Some((from, reason)) = run.open_pause.take() {
                        let days = self.pause_days(from, at)?;
                        run.extra = run.extra.saturating_add(days);
                        run.pauses.push(PauseRecord {
                            from: to_istanbul(from),
                            to: Some(to_istanbul(at)),
                            reason,
                            days_added: days,
                        });
                    }
                }
                ClockEvent::Transferred { .. } => {
                    if policy.reassignment == Reassignment::Restart && run.stopped.is_none() {
                        run = Run {
                            start: at,
                            restarted: true,
                            length: base_length,
                            extra: 0,
                            pauses: Vec::new(),
                            open_pause: None,
                            extension: None,
                            stopped: None,
                        };
                    }
                }
                ClockEvent::Extended { reason, .. } => {
                    let Some(to_length) = policy.extension_length else {
                        if before_change(at) {
                            continue;
                        }
                        return Err(SlaError::ExtensionNotAllowed {
                            policy: policy.name.clone(),
                        });
                    };
                    if let Some((first, _)) = &run.extension {
                        return Err(SlaError::ExtensionAlreadyUsed { first: *first });
                    }
                    // While paused the period does not run out: count the open pause
                    // up to the extension.
                    let open = match run.open_pause {
                        Some((from, _)) => self.pause_days(from, at)?,
                        None => 0,
                    };
                    let deadline = self
                        .deadline_for(run.start, run.length, run.extra.saturating_add(open))?
                        .due;
                    if at > deadline && !before_change(at) {
                        return Err(SlaError::ExtensionTooLate {
                            at,
                            deadline: to_istanbul(deadline),
                        });
                    }
                    if kind == ClockKind::Resolution {
                        run.extension = Some((
                            at,
                            ExtensionRecord {
                                at: to_istanbul(at),
                                reason: reason.clone(),
                                from_length: run.length,
                                to_length,
                            },
                        ));
                        run.length = to_length;
                    } else {
                        // Keep the "only once" rule consistent across both clocks.
                        run.extension = Some((
                            at,
                            ExtensionRecord {
                                at: to_istanbul(at),
                                reason: reason.clone(),
                                from_length: run.length,
                                to_length: run.length,
                            },
                        ));
                    }
                }
                ClockEvent::InterimReply { .. } => {
                    if kind == ClockKind::FirstResponse && run.stopped.is_none() {
                        self.stop(&mut run, at)?;
                    }
                }
                ClockEvent::Answered { .. } | ClockEvent::Closed { .. } => {
                    if run.stopped.is_none() {
                        self.stop(&mut run, at)?;
                    }
                }
                ClockEvent::Reopened { .. } => {
                    if kind == ClockKind::Resolution {
                        if let Some(stopped) = run.stopped.take() {
                            let days = self.pause_days(stopped, at)?;
                            run.extra = run.extra.saturating_add(days);
                            run.pauses.push(PauseRecord {
                                from: to_istanbul(stopped),
                                to: Some(to_istanbul(at)),
                                reason: PauseKind::ClosedUntilReopened,
                                days_added: days,
                            });
                        }
                    }
                }
            }
        }
        // An open pause counts up to `now` (provisional).
        let mut extra = run.extra;
        if let Some((from, reason)) = run.open_pause {
            let days = self.pause_days(from, now)?;
            extra = extra.saturating_add(days);
            run.pauses.push(PauseRecord {
                from: to_istanbul(from),
                to: None,
                reason,
                days_added: days,
            });
        }
        if kind == ClockKind::FirstResponse {
            run.extension = None;
        }
        let mut deadline = self.deadline_for(run.start, run.length, extra)?;
        // A dated letter: its date bounds both clocks (a first response later than the
        // answer it asks for would mean nothing).
        let reply_by = match self.reply_by {
            Some(r) => {
                let record = reply_by_record(r, deadline.due);
                if record.applied {
                    deadline = Deadline {
                        due_date: local_date(r),
                        due: r,
                    };
                }
                Some(record)
            }
            _ => None,
        };
        let at_risk_from = if policy.at_risk_working_days > 0 {
            let bd = self.calendar.business_days(self.mode());
            let day = bd.sub_business_days(deadline.due_date, policy.at_risk_working_days - 1)?;
            Some(from_istanbul_local(day.and_time(NaiveTime::MIN))?)
        } else {
            None
        };
        let state = if let Some(stopped) = run.stopped {
            if stopped <= deadline.due {
                ClockState::Met
            } else {
                ClockState::MetLate
            }
        } else if run.open_pause.is_some() {
            ClockState::Paused
        } else if now > deadline.due {
            ClockState::Breached
        } else if at_risk_from.is_some_and(|r| now >= r) {
            ClockState::AtRisk
        } else {
            ClockState::Running
        };
        let mut explanation = self.explain(kind, &run, extra, deadline)?;
        if reply_by.is_some() {
            explanation.due_date = deadline.due_date;
            explanation.reply_by = reply_by;
        }
        explanation.policy_changes = events
            .iter()
            .filter_map(|e| match e {
                ClockEvent::PolicyChanged {
                    at,
                    from,
                    to,
                    reason,
                } => Some(PolicyChangeRecord {
                    at: to_istanbul(*at),
                    from: from.clone(),
                    to: to.clone(),
                    reason: reason.clone(),
                }),
                _ => None,
            })
            .collect();
        Ok(ClockStatus {
            clock: kind,
            state,
            due: deadline.due_local(),
            due_date: deadline.due_date,
            at_risk_from: at_risk_from.map(to_istanbul),
            stopped_at: run.stopped.map(to_istanbul),
            frozen: false,
            explanation,
        })
    }

    fn stop(&self, run: &mut Run, at: DateTime<Utc>) -> Result<(), SlaError> {
        // Answering while paused ends the pause at the answer.
        if let Some((from, reason)) = run.open_pause.take() {
            let days = self.pause_days(from, at)?;
            run.extra = run.extra.saturating_add(days);
            run.pauses.push(PauseRecord {
                from: to_istanbul(from),
                to: Some(to_istanbul(at)),
                reason,
                days_added: days,
            });
        }
        run.stopped = Some(at);
        Ok(())
    }

    fn skipped(
        &self,
        from: NaiveDate,
        to: NaiveDate,
        pick: impl Fn(WorkingTime) -> bool,
    ) -> Result<Vec<SkippedDay>, SlaError> {
        let mut out = Vec::new();
        let mut d = from;
        while d <= to {
            if pick(self.calendar.working_time(self.policy.view, d)?) {
                out.push(SkippedDay {
                    date: d,
                    reasons: self.calendar.day_reasons(self.policy.view, d)?,
                });
            }
            d += Duration::days(1);
        }
        Ok(out)
    }

    fn explain(
        &self,
        kind: ClockKind,
        run: &Run,
        extra: u32,
        deadline: Deadline,
    ) -> Result<Explanation, SlaError> {
        let p = self.policy;
        let start_date = local_date(run.start);
        let (last_counted, due_date) =
            self.last_day(start_date, run.length.saturating_add(extra))?;
        let half_counts = p.arife_counts_as_business_day;
        let not_counted = |w: WorkingTime| match w {
            WorkingTime::Full => false,
            WorkingTime::None => true,
            _ => !half_counts,
        };
        let (counting_starts, skipped, half_days_counted, rolled_forward) = match p.unit {
            DayUnit::Business => {
                let first = self
                    .calendar
                    .business_days(self.mode())
                    .add_business_days(start_date, 1)?;
                let day_after = start_date + Duration::days(1);
                let skipped = self.skipped(day_after, due_date, not_counted)?;
                let half = self.skipped(day_after, due_date, |w| {
                    half_counts
                        && matches!(w, WorkingTime::MorningOnly | WorkingTime::AfternoonOnly)
                })?;
                (first, skipped, half, Vec::new())
            }
            DayUnit::Calendar => {
                let any = self.calendar.business_days(CountMode::new(p.view, true));
                let first =
                    if p.defer_start_after_non_working_receipt && !any.is_working(start_date)? {
                        any.add_business_days(start_date, 1)?
                    } else {
                        start_date + Duration::days(1)
                    };
                let skipped = self.skipped(
                    start_date + Duration::days(1),
                    first - Duration::days(1),
                    |_| true,
                )?;
                let rolled = if due_date > last_counted {
                    self.skipped(last_counted, due_date - Duration::days(1), |_| true)?
                } else {
                    Vec::new()
                };
                (first, skipped, Vec::new(), rolled)
            }
        };
        Ok(Explanation {
            policy: p.name.clone(),
            clock: kind,
            unit: p.unit,
            length: run.length,
            view: p.view,
            calendar_version: self.calendar.version().to_owned(),
            start: to_istanbul(run.start),
            start_date,
            restarted_on_transfer: run.restarted,
            counting_starts,
            skipped,
            half_days_counted,
            pauses: run.pauses.clone(),
            extension: run.extension.as_ref().map(|(_, r)| r.clone()),
            policy_changes: Vec::new(),
            last_counted_day: last_counted,
            rolled_forward,
            due_date,
            due: deadline.due_local(),
            reply_by: None,
        })
    }
}

/// The reply-by rule: the letter's date is the deadline when it is earlier than the
/// policy's deadline `policy_due`.
fn reply_by_record(requested: DateTime<Utc>, policy_due: DateTime<Utc>) -> ReplyByRecord {
    let applied = requested < policy_due;
    let fmt = |t: DateTime<Utc>| to_istanbul(t).format("%d.%m.%Y %H:%M").to_string();
    let note = if applied {
        format!(
            "Süre sonu, yazıda istenen cevap tarihidir ({}); politikanın süresi ({}) daha geç.",
            fmt(requested),
            fmt(policy_due)
        )
    } else {
        format!(
            "Yazıda istenen cevap tarihi ({}) politikanın süresinden ({}) daha geç olduğundan \
             politikanın süresi geçerlidir.",
            fmt(requested),
            fmt(policy_due)
        )
    };
    ReplyByRecord {
        requested: to_istanbul(requested),
        policy_due: to_istanbul(policy_due),
        applied,
        note,
    }
}
