//! The current state of a request (a pure fold over its events) and the commands that
//! produce new events.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::content::{check_text, RequestContent, MAX_SHORT, MAX_TEXT};
use super::event::{Event, EventKind, Outcome, Party, PauseReason};
use super::fee::{FeeAmount, PendingFee};
use super::input::InputError;
use crate::access::{Action, Actor, Role};
use crate::ids::{RequestId, TenantId, UnitCode};
use crate::org::Organisation;
use crate::reason::{ReasonCode, ReasonError, DUPLICATE, WITHDRAWN};
use crate::tracking::TrackingNumber;

/// Where a request is in its life. Separate from its [`Outcome`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Status {
    /// Received, not yet routed.
    Received,
    /// In a unit's queue, not yet accepted.
    Routed,
    /// Accepted and being worked on.
    InProgress,
    /// Waiting on the muhtar or a fee; clocks paused.
    Paused,
    /// Answered; the muhtar may still reopen it.
    Answered,
    /// Closed.
    Closed,
    /// Withdrawn by the muhtar.
    Withdrawn,
    /// Merged into a duplicate.
    Merged,
}

impl Status {
    /// The word that stands for every open status in a status filter
    /// ([`Status::parse_filter`]).
    pub const OPEN: &'static str = "open";

    /// The open statuses: those that still wait for an answer.
    pub fn open() -> Vec<Status> {
        Status::ALL.into_iter().filter(|s| s.is_open()).collect()
    }

    /// A status filter as people write it (CLI `--status`, REST `status=`): status names
    /// separated by commas, where [`Status::OPEN`] stands for every open status. An
    /// unknown name is refused, listing the valid ones.
    pub fn parse_filter(text: &str) -> Result<Vec<Status>, crate::names::UnknownName> {
        let mut out = Vec::new();
        for name in text.split(',').map(str::trim) {
            if name == Status::OPEN {
                out.extend(Status::open());
            } else {
                out.push(
                    name.parse::<Status>()
                        .map_err(|e| crate::names::UnknownName {
                            also: &[Status::OPEN],
                            ..e
                        })?,
                );
            }
        }
        out.sort_by_key(|s| Status::ALL.iter().position(|x| x == s));
        out.dedup();
        Ok(out)
    }

    /// Whether the request still waits for an answer.
    pub fn is_open(self) -> bool {
        matches!(
            self,
            Status::Received | Status::Routed | Status::InProgress | Status::Paused
        )
    }
}

crate::names::named_enum! {
    impl Status: "status" {
        Received => ("received", "alındı"),
        Routed => ("routed", "birime iletildi"),
        InProgress => ("in-progress", "işlemde"),
        Paused => ("paused", "bekletiliyor"),
        Answered => ("answered", "cevaplandı"),
        Closed => ("closed", "kapatıldı"),
        Withdrawn => ("withdrawn", "geri çekildi"),
        Merged => ("merged", "birleştirildi"),
    }
}

/// A request's current state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RequestState {
    /// Id.
    pub id: RequestId,
    /// Tenant.
    pub tenant: TenantId,
    /// Takip numarası.
    pub tracking: TrackingNumber,
    /// Number of events so far.
    pub version: u32,
    /// What the request says.
    pub content: RequestContent,
    /// The SLA policy.
    pub policy: String,
    /// Why `policy`: the policy rule that chose it at receipt, `default` (no rule
    /// matched) or `set-policy` (staff set it, see `policy_reason`). States stored before
    /// policy rules read as `default` ([`super::schema`]).
    pub policy_rule: String,
    /// The reason staff gave when they last set the policy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy_reason: Option<String>,
    /// Status.
    pub status: Status,
    /// Why it is paused, while paused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pause: Option<PauseReason>,
    /// The unit it is with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<UnitCode>,
    /// The rule that routed it last.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
    /// The rule set version that routed it last.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule_set_version: Option<String>,
    /// Olumlu / olumsuz, once answered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome: Option<Outcome>,
    /// Gerekçe of a request not fulfilled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<ReasonCode>,
    /// Explanation of the reason.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason_text: Option<String>,
    /// The answer text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub answer: Option<String>,
    /// First interim reply or answer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_response_at: Option<DateTime<Utc>>,
    /// Last answer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub answered_at: Option<DateTime<Utc>>,
    /// Closure (or withdrawal, or merge).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closed_at: Option<DateTime<Utc>>,
    /// Whether a Law 4982 extension was used.
    #[serde(default)]
    pub extended: bool,
    /// The Law 4982 fee notified and not yet paid (while paused for it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fee: Option<PendingFee>,
    /// Number of transfers and re-routings.
    #[serde(default)]
    pub transfers: u32,
    /// Number of reopenings.
    #[serde(default)]
    pub reopened: u32,
    /// The duplicate it was merged into.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub merged_into: Option<TrackingNumber>,
    /// Its official documents: the registration (gelen evrak) and letters (giden evrak).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub documents: Vec<crate::document::DocumentRef>,
    /// When the last event was recorded.
    pub updated_at: DateTime<Utc>,
}

/// Why a command or event does not fit the request's state.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LifecycleError {
    /// The command is not allowed in the current status.
    #[error("cannot {command} a request that is {}", state.as_str())]
    IllegalTransition {
        /// The status.
        state: Status,
        /// The command.
        command: &'static str,
    },
    /// A field of the command is invalid.
    #[error(transparent)]
    Input(#[from] InputError),
    /// A reason code problem.
    #[error(transparent)]
    Reason(#[from] ReasonError),
    /// A negative answer needs a reason code.
    #[error("a negative answer needs a reason code (gerekçe)")]
    ReasonRequired,
    /// A positive answer takes no reason code.
    #[error("a positive answer takes no reason code")]
    ReasonNotAllowed,
    /// The reopen window has passed.
    #[error("the reopen window of {days} days after {} has passed", crate::calendar::local_time(*.since))]
    ReopenWindowClosed {
        /// The window.
        days: u32,
        /// The answer or closure it counts from.
        since: DateTime<Utc>,
    },
    /// The target unit is the one that has the request already.
    #[error("the request is already with unit {0}")]
    SameUnit(String),
    /// The target unit does not exist or is inactive.
    #[error("target unit: {0}")]
    Target(String),
    /// The deadline was extended once already.
    #[error("the deadline was already extended once")]
    AlreadyExtended,
    /// A request cannot be merged into itself.
    #[error("a request cannot be merged into itself")]
    SelfMerge,
    /// The stored events do not form a valid history.
    #[error("corrupt history: {0}")]
    Corrupt(String),
}

/// A command on an existing request. Submission is [`super::NewRequest`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "command", rename_all = "kebab-case")]
#[non_exhaustive]
pub enum Command {
    /// Accept into the unit's work.
    Accept,
    /// Send a progress note.
    InterimReply {
        /// The note.
        text: String,
    },
    /// Wait on the muhtar (or a fee): pauses the clocks.
    Pause {
        /// Why.
        #[serde(default = "default_pause")]
        reason: PauseReason,
        /// What is asked.
        note: String,
    },
    /// End the wait.
    Resume {
        /// What was received.
        #[serde(default)]
        note: String,
    },
    /// A message.
    Message {
        /// The text.
        text: String,
    },
    /// Answer.
    Answer {
        /// Olumlu or olumsuz.
        outcome: Outcome,
        /// Gerekçe (required when negative).
        #[serde(default)]
        reason: Option<ReasonCode>,
        /// Explanation of the reason.
        #[serde(default)]
        reason_text: Option<String>,
        /// The answer.
        text: String,
    },
    /// Close an answered request.
    Close,
    /// Reopen (the muhtar, within the window).
    Reopen {
        /// Why.
        reason: String,
    },
    /// Transfer to another unit (by the unit that has it).
    Transfer {
        /// To.
        to: UnitCode,
        /// Why.
        reason: String,
    },
    /// Correct a misrouting (coordinator).
    Reroute {
        /// To.
        to: UnitCode,
        /// Why.
        reason: String,
    },
    /// Withdraw (the muhtar).
    Withdraw {
        /// Why.
        #[serde(default)]
        reason: String,
    },
    /// Merge into a duplicate.
    Merge {
        /// The request it duplicates.
        into: TrackingNumber,
    },
    /// Extend a Law 4982 deadline once.
    Extend {
        /// The reason notified.
        reason: String,
    },
    /// Erase the citizen's contact data (KVKK request).
    EraseContact,
    /// Notify a Law 4982 fee: the clocks stop until it is paid (policies with
    /// `fee_stops_clock` only).
    NotifyFee {
        /// The amount.
        amount: FeeAmount,
        /// What it is for, how to pay.
        #[serde(default)]
        note: String,
    },
    /// The notified fee was paid: the clocks run again.
    FeePaid {
        /// A receipt number or remark.
        #[serde(default)]
        note: String,
    },
    /// Set the SLA policy (back-office staff; open requests only: the clocks of an
    /// answered or closed request were decided under its policy).
    SetPolicy {
        /// The new policy's name.
        policy: String,
        /// Why.
        reason: String,
    },
}

fn default_pause() -> PauseReason {
    PauseReason::Muhtar
}

crate::names::named_enum! {
    /// The name of a [`Command`]: its variant without its data.
    pub enum CommandName: "command" for Command::command_name {
        Accept => ("accept", "işleme al"),
        InterimReply => ("interim-reply", "ara cevap ver"),
        Pause => ("pause", "beklet"),
        Resume => ("resume", "devam ettir"),
        Message => ("message", "mesaj gönder"),
        Answer => ("answer", "cevapla"),
        Close => ("close", "kapat"),
        Reopen => ("reopen", "yeniden aç"),
        Transfer => ("transfer", "aktar"),
        Reroute => ("reroute", "yeniden yönlendir"),
        Withdraw => ("withdraw", "geri çek"),
        Merge => ("merge", "birleştir"),
        Extend => ("extend", "süre uzat"),
        EraseContact => ("erase-contact", "kişisel veriyi sil"),
        NotifyFee => ("notify-fee", "ücret bildir"),
        FeePaid => ("fee-paid", "ücret ödendi"),
        SetPolicy => ("set-policy", "süre rejimini belirle"),
    }
}

impl CommandName {
    /// The short name of the command in URLs (`POST /requests/{tracking}/reply`) and the
    /// CLI (`muhtar reply`): the stable name, but `reply` for `interim-reply` and `fee`
    /// for `notify-fee`.
    pub fn verb(self) -> &'static str {
        match self {
            CommandName::InterimReply => "reply",
            CommandName::NotifyFee => "fee",
            other => other.as_str(),
        }
    }

    /// The command with this short name ([`Self::verb`]).
    pub fn from_verb(verb: &str) -> Option<CommandName> {
        CommandName::ALL.into_iter().find(|c| c.verb() == verb)
    }

    /// The access-control action the command needs.
    pub fn action(self) -> Action {
        match self {
            CommandName::Accept => Action::Accept,
            CommandName::InterimReply => Action::InterimReply,
            CommandName::Pause => Action::Pause,
            CommandName::Resume => Action::Resume,
            CommandName::Message => Action::Message,
            CommandName::Answer => Action::Answer,
            CommandName::Close => Action::Close,
            CommandName::Reopen => Action::Reopen,
            CommandName::Transfer => Action::Transfer,
            CommandName::Reroute => Action::Reroute,
            CommandName::Withdraw => Action::Withdraw,
            CommandName::Merge => Action::Merge,
            CommandName::Extend | CommandName::NotifyFee | CommandName::FeePaid => Action::Extend,
            CommandName::EraseContact => Action::Manage,
            CommandName::SetPolicy => Action::SetPolicy,
        }
    }
}

impl Command {
    /// The stable name of the command, as in its JSON `command` field.
    pub fn name(&self) -> &'static str {
        self.command_name().as_str()
    }

    /// The access-control action the command needs.
    pub fn action(&self) -> Action {
        self.command_name().action()
    }
}

/// What a decision needs besides the state.
#[derive(Debug, Clone, Copy)]
pub struct DecideContext<'a> {
    /// The tenant's organisation.
    pub org: &'a Organisation,
    /// Now.
    pub now: DateTime<Utc>,
    /// Who acts.
    pub actor: &'a Actor,
    /// Whether a transfer or re-routing restarts the clocks (from the SLA policy).
    pub restart_clock_on_transfer: bool,
}

impl RequestState {
    /// Folds a history into a state.
    pub fn fold(events: &[Event]) -> Result<RequestState, LifecycleError> {
        let mut it = events.iter();
        let first = it
            .next()
            .ok_or_else(|| LifecycleError::Corrupt("no events".into()))?;
        let mut state = RequestState::start(first)?;
        for e in it {
            state.apply(e)?;
        }
        Ok(state)
    }

    /// The state after the first (`received`) event.
    pub fn start(event: &Event) -> Result<RequestState, LifecycleError> {
        let EventKind::Received {
            id,
            tenant,
            tracking,
            content,
            policy,
            policy_rule,
        } = &event.kind
        else {
            return Err(LifecycleError::Corrupt(format!(
                "history starts with {}",
                event.kind.name()
            )));
        };
        if event.version != 1 {
            return Err(LifecycleError::Corrupt(format!(
                "first event has version {}",
                event.version
            )));
        }
        Ok(RequestState {
            id: *id,
            tenant: tenant.clone(),
            tracking: *tracking,
            version: 1,
            content: content.clone(),
            policy: policy.clone(),
            policy_rule: policy_rule.clone(),
            policy_reason: None,
            status: Status::Received,
            pause: None,
            unit: None,
            rule: None,
            rule_set_version: None,
            outcome: None,
            reason: None,
            reason_text: None,
            answer: None,
            first_response_at: None,
            answered_at: None,
            closed_at: None,
            extended: false,
            fee: None,
            transfers: 0,
            reopened: 0,
            merged_into: None,
            documents: Vec::new(),
            updated_at: event.at,
        })
    }

    /// Its registration as an incoming document, if registered.
    pub fn registration(&self) -> Option<&crate::document::DocumentRef> {
        self.documents
            .iter()
            .find(|d| d.direction == crate::document::Direction::Incoming)
    }

    /// The letter issued for its current answer, if any (a reopened request answered
    /// again may get another).
    pub fn letter(&self) -> Option<&crate::document::DocumentRef> {
        let answered = self.answered_at?;
        self.documents
            .iter()
            .rev()
            .find(|d| d.direction == crate::document::Direction::Outgoing && d.date >= answered)
    }

    fn illegal(&self, command: &'static str) -> LifecycleError {
        LifecycleError::IllegalTransition {
            state: self.status,
            command,
        }
    }

    /// Applies one more event. Fails when the event does not fit (a corrupt history).
    pub fn apply(&mut self, event: &Event) -> Result<(), LifecycleError> {
        if event.version != self.version + 1 {
            return Err(LifecycleError::Corrupt(format!(
                "event version {} after version {}",
                event.version, self.version
            )));
        }
        let at = event.at;
        let name = event.kind.name();
        let open = self.status.is_open();
        match &event.kind {
            EventKind::Received { .. } => {
                return Err(LifecycleError::Corrupt("second received event".into()))
            }
            EventKind::Routed {
                unit,
                rule,
                rule_set_version,
            } => {
                if self.status != Status::Received {
                    return Err(self.illegal(name));
                }
                self.unit = Some(unit.clone());
                self.rule = Some(rule.clone());
                self.rule_set_version = Some(rule_set_version.clone());
                self.status = Status::Routed;
            }
            EventKind::Accepted => {
                if self.status != Status::Routed {
                    return Err(self.illegal(name));
                }
                self.status = Status::InProgress;
            }
            EventKind::InterimReply { .. } => {
                if !matches!(
                    self.status,
                    Status::Routed | Status::InProgress | Status::Paused
                ) {
                    return Err(self.illegal(name));
                }
                if self.status == Status::Routed {
                    self.status = Status::InProgress;
                }
                self.first_response_at.get_or_insert(at);
            }
            EventKind::Paused { reason, .. } => {
                if !matches!(self.status, Status::Routed | Status::InProgress) {
                    return Err(self.illegal(name));
                }
                self.status = Status::Paused;
                self.pause = Some(*reason);
            }
            EventKind::Resumed { .. } => {
                if self.status != Status::Paused {
                    return Err(self.illegal(name));
                }
                self.status = Status::InProgress;
                self.pause = None;
            }
            EventKind::Message { .. } => {
                if !(open || self.status == Status::Answered) {
                    return Err(self.illegal(name));
                }
            }
            EventKind::Answered {
                outcome,
                reason,
                reason_text,
                text,
            } => {
                if !matches!(
                    self.status,
                    Status::Routed | Status::InProgress | Status::Paused
                ) {
                    return Err(self.illegal(name));
                }
                self.status = Status::Answered;
                self.pause = None;
                self.outcome = Some(*outcome);
                self.reason = reason.clone();
                self.reason_text = reason_text.clone();
                self.answer = Some(text.clone());
                self.answered_at = Some(at);
                self.first_response_at.get_or_insert(at);
            }
            EventKind::Closed => {
                if self.status != Status::Answered {
                    return Err(self.illegal(name));
                }
                self.status = Status::Closed;
                self.closed_at = Some(at);
            }
            EventKind::Transferred { from, to, .. } => {
                if !matches!(self.status, Status::Routed | Status::InProgress)
                    || self.unit.as_ref() != Some(from)
                {
                    return Err(self.illegal(name));
                }
                self.unit = Some(to.clone());
                self.status = Status::Routed;
                self.transfers += 1;
            }
            EventKind::Rerouted { to, .. } => {
                if !open {
                    return Err(self.illegal(name));
                }
                self.unit = Some(to.clone());
                self.status = Status::Routed;
                self.pause = None;
                self.transfers += 1;
            }
            EventKind::Reopened { .. } => {
                if !matches!(self.status, Status::Answered | Status::Closed) {
                    return Err(self.illegal(name));
                }
                self.status = Status::InProgress;
                self.outcome = None;
                self.reason = None;
                self.reason_text = None;
                self.answer = None;
                self.answered_at = None;
                self.closed_at = None;
                self.reopened += 1;
            }
            EventKind::Withdrawn { reason } => {
                if !open {
                    return Err(self.illegal(name));
                }
                self.status = Status::Withdrawn;
                self.pause = None;
                self.outcome = Some(Outcome::Negative);
                self.reason = Some(ReasonCode::new(WITHDRAWN));
                self.reason_text = if reason.is_empty() {
                    None
                } else {
                    Some(reason.clone())
                };
                self.closed_at = Some(at);
            }
            EventKind::Merged { into } => {
                if !open {
                    return Err(self.illegal(name));
                }
                self.status = Status::Merged;
                self.pause = None;
                self.outcome = Some(Outcome::Negative);
                self.reason = Some(ReasonCode::new(DUPLICATE));
                self.reason_text = Some(into.to_string());
                self.merged_into = Some(*into);
                self.closed_at = Some(at);
            }
            EventKind::Extended { .. } => {
                if !open || self.extended {
                    return Err(self.illegal(name));
                }
                self.extended = true;
            }
            EventKind::ContactErased => {
                self.content.citizen = None;
            }
            EventKind::FeeNotified { amount, .. } => {
                if !matches!(self.status, Status::Routed | Status::InProgress) {
                    return Err(self.illegal(name));
                }
                self.status = Status::Paused;
                self.pause = Some(PauseReason::Fee);
                self.fee = Some(PendingFee {
                    amount: Some(*amount),
                    notified_at: at,
                });
            }
            EventKind::FeePaid { .. } => {
                if self.pause != Some(PauseReason::Fee) {
                    return Err(self.illegal(name));
                }
                self.status = Status::InProgress;
                self.pause = None;
            }
            EventKind::DeemedWithdrawn { reason, .. } => {
                if self.pause != Some(PauseReason::Fee) {
                    return Err(self.illegal(name));
                }
                self.status = Status::Withdrawn;
                self.pause = None;
                self.outcome = Some(Outcome::Negative);
                self.reason = Some(reason.clone());
                self.reason_text = None;
                self.closed_at = Some(at);
            }
            EventKind::PolicyChanged { to, reason, .. } => {
                if !open {
                    return Err(self.illegal(name));
                }
                self.policy = to.clone();
                self.policy_rule = crate::regime::SET_POLICY_RULE.to_owned();
                self.policy_reason = Some(reason.clone());
            }
            EventKind::DocumentRegistered { document } => {
                if self.registration().is_some() {
                    return Err(self.illegal(name));
                }
                self.documents.push(document.clone());
            }
            EventKind::LetterIssued { document } => {
                if self.answer.is_none() || self.letter().is_some() {
                    return Err(self.illegal(name));
                }
                self.documents.push(document.clone());
            }
        }
        // A fee is pending exactly while the request waits on it.
        match (&event.kind, self.pause) {
            (EventKind::Paused { .. }, Some(PauseReason::Fee)) => {
                self.fee = Some(PendingFee {
                    amount: None,
                    notified_at: at,
                })
            }
            (_, Some(PauseReason::Fee)) => {}
            _ => self.fee = None,
        }
        self.version = event.version;
        self.updated_at = at;
        Ok(())
    }

    /// Decides which events a command produces, without changing anything.
    ///
    /// Authorization is the caller's job ([`crate::access::authorize`]); this checks the
    /// state, the command's fields and the organisation.
    pub fn decide(
        &self,
        cmd: &Command,
        ctx: &DecideContext<'_>,
    ) -> Result<Vec<EventKind>, LifecycleError> {
        let name = cmd.name();
        let st = self.status;
        let open = st.is_open();
        let ev = match cmd {
            Command::Accept => {
                if st != Status::Routed {
                    return Err(self.illegal(name));
                }
                EventKind::Accepted
            }
            Command::InterimReply { text } => {
                if !matches!(st, Status::Routed | Status::InProgress | Status::Paused) {
                    return Err(self.illegal(name));
                }
                EventKind::InterimReply {
                    text: check_text("text", text, MAX_TEXT, true)?,
                }
            }
            Command::Pause { reason, note } => {
                if !matches!(st, Status::Routed | Status::InProgress) {
                    return Err(self.illegal(name));
                }
                EventKind::Paused {
                    reason: *reason,
                    note: check_text("note", note, MAX_TEXT, true)?,
                }
            }
            Command::Resume { note } => {
                if st != Status::Paused {
                    return Err(self.illegal(name));
                }
                EventKind::Resumed {
                    note: check_text("note", note, MAX_TEXT, false)?,
                }
            }
            Command::Message { text } => {
                if !(open || st == Status::Answered) {
                    return Err(self.illegal(name));
                }
                let from = if matches!(ctx.actor.role, Role::Muhtar(_)) {
                    Party::Muhtar
                } else {
                    Party::Unit
                };
                EventKind::Message {
                    from,
                    text: check_text("text", text, MAX_TEXT, true)?,
                }
            }
            Command::Answer {
                outcome,
                reason,
                reason_text,
                text,
            } => {
                if !matches!(st, Status::Routed | Status::InProgress | Status::Paused) {
                    return Err(self.illegal(name));
                }
                let text = check_text("text", text, MAX_TEXT, true)?;
                let reason_text = match reason_text {
                    Some(t) => Some(check_text("reason_text", t, MAX_TEXT, false)?)
                        .filter(|t| !t.is_empty()),
                    None => None,
                };
                match (outcome, reason) {
                    (Outcome::Negative, None) => return Err(LifecycleError::ReasonRequired),
                    (Outcome::Positive, Some(_)) => return Err(LifecycleError::ReasonNotAllowed),
                    (Outcome::Negative, Some(r)) => {
                        r.check(ctx.org, reason_text.as_deref())?;
                    }
                    (Outcome::Positive, None) => {}
                }
                EventKind::Answered {
                    outcome: *outcome,
                    reason: reason.clone(),
                    reason_text,
                    text,
                }
            }
            Command::Close => {
                if st != Status::Answered {
                    return Err(self.illegal(name));
                }
                EventKind::Closed
            }
            Command::Reopen { reason } => {
                if !matches!(st, Status::Answered | Status::Closed) {
                    return Err(self.illegal(name));
                }
                let since = self
                    .closed_at
                    .or(self.answered_at)
                    .unwrap_or(self.updated_at);
                let days = ctx.org.tenant.reopen_window_days;
                if ctx.now > since + chrono::Duration::days(i64::from(days)) {
                    return Err(LifecycleError::ReopenWindowClosed { days, since });
                }
                EventKind::Reopened {
                    reason: check_text("reason", reason, MAX_TEXT, true)?,
                }
            }
            Command::Transfer { to, reason } => {
                if !matches!(st, Status::Routed | Status::InProgress) {
                    return Err(self.illegal(name));
                }
                let from = self.unit.clone().ok_or_else(|| self.illegal(name))?;
                self.check_target(to, ctx)?;
                EventKind::Transferred {
                    from,
                    to: to.clone(),
                    reason: check_text("reason", reason, MAX_SHORT, true)?,
                    restart_clock: ctx.restart_clock_on_transfer,
                }
            }
            Command::Reroute { to, reason } => {
                if !open {
                    return Err(self.illegal(name));
                }
                self.check_target(to, ctx)?;
                EventKind::Rerouted {
                    from: self.unit.clone(),
                    to: to.clone(),
                    reason: check_text("reason", reason, MAX_SHORT, true)?,
                    restart_clock: ctx.restart_clock_on_transfer,
                }
            }
            Command::Withdraw { reason } => {
                if !open {
                    return Err(self.illegal(name));
                }
                EventKind::Withdrawn {
                    reason: check_text("reason", reason, MAX_TEXT, false)?,
                }
            }
            Command::Merge { into } => {
                if !open {
                    return Err(self.illegal(name));
                }
                if *into == self.tracking {
                    return Err(LifecycleError::SelfMerge);
                }
                EventKind::Merged { into: *into }
            }
            Command::Extend { reason } => {
                if !open {
                    return Err(self.illegal(name));
                }
                if self.extended {
                    return Err(LifecycleError::AlreadyExtended);
                }
                EventKind::Extended {
                    reason: check_text("reason", reason, MAX_TEXT, true)?,
                }
            }
            Command::EraseContact => EventKind::ContactErased,
            Command::NotifyFee { amount, note } => {
                if !matches!(st, Status::Routed | Status::InProgress) {
                    return Err(self.illegal(name));
                }
                EventKind::FeeNotified {
                    amount: FeeAmount::from_kurus(amount.kurus())?,
                    note: check_text("note", note, MAX_TEXT, false)?,
                }
            }
            Command::FeePaid { note } => {
                if self.pause != Some(PauseReason::Fee) {
                    return Err(self.illegal(name));
                }
                EventKind::FeePaid {
                    note: check_text("note", note, MAX_TEXT, false)?,
                }
            }
            Command::SetPolicy { policy, reason } => {
                if !open {
                    return Err(self.illegal(name));
                }
                let to = check_text("policy", policy, MAX_SHORT, true)?;
                if to == self.policy {
                    return Err(InputError::Invalid {
                        field: "policy",
                        message: format!("the request already runs under policy {to}"),
                    }
                    .into());
                }
                EventKind::PolicyChanged {
                    from: self.policy.clone(),
                    to,
                    reason: check_text("reason", reason, MAX_TEXT, true)?,
                }
            }
        };
        Ok(vec![ev])
    }

    fn check_target(&self, to: &UnitCode, ctx: &DecideContext<'_>) -> Result<(), LifecycleError> {
        if self.unit.as_ref() == Some(to) {
            return Err(LifecycleError::SameUnit(to.to_string()));
        }
        ctx.org
            .known_unit("to", to.as_str())
            .map_err(LifecycleError::Input)?;
        ctx.org
            .check_target(to)
            .map(|_| ())
            .map_err(|p| LifecycleError::Target(p.to_string()))
    }
}
