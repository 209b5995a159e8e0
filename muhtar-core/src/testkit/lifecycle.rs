//! A given/when/then helper for the request lifecycle, over the pure fold.
//!
//! ```
//! use muhtar_core::testkit::lifecycle::given_routed;
//! use muhtar_core::request::{Command, Status};
//! given_routed()
//!     .when(Command::Accept)
//!     .then_status(Status::InProgress)
//!     .when(Command::Close)
//!     .then_rejected();
//! ```

use chrono::{DateTime, Duration, Utc};

use super::fixtures::{organisation, t0, Spec};
use crate::access::Actor;
use crate::org::Organisation;
use crate::request::{Command, DecideContext, Event, LifecycleError, RequestState, Status};

/// A request under test, with its history and the result of the last command.
pub struct Scenario {
    org: Organisation,
    events: Vec<Event>,
    state: RequestState,
    now: DateTime<Utc>,
    actor: Actor,
    last: Result<(), LifecycleError>,
}

/// Given: a request received and routed to `fen-isleri` at [`t0`].
pub fn given_routed() -> Scenario {
    let c = Spec::new("gwt", 0).commit();
    let org = organisation("gwt");
    let actor = Actor::system(org.tenant.id.clone());
    Scenario {
        org,
        state: c.record.state,
        events: c.events,
        now: t0(),
        actor,
        last: Ok(()),
    }
}

impl Scenario {
    /// The actor for the next commands.
    pub fn by(mut self, actor: &str) -> Self {
        self.actor = Actor::parse(&self.org.tenant.id, actor).unwrap_or_else(|e| panic!("{e}"));
        self
    }

    /// Moves time forward.
    pub fn after(mut self, d: Duration) -> Self {
        self.now += d;
        self
    }

    /// When: a command is decided and, if accepted, applied.
    pub fn when(mut self, cmd: Command) -> Self {
        let ctx = DecideContext {
            org: &self.org,
            now: self.now,
            actor: &self.actor,
            restart_clock_on_transfer: false,
        };
        self.last = match self.state.decide(&cmd, &ctx) {
            Ok(kinds) => {
                for k in kinds {
                    let e = Event {
                        version: self.state.version + 1,
                        at: self.now,
                        actor: self.actor.clone(),
                        kind: k,
                    };
                    self.state
                        .apply(&e)
                        .unwrap_or_else(|err| panic!("decided event does not apply: {err}"));
                    self.events.push(e);
                }
                Ok(())
            }
            Err(e) => Err(e),
        };
        self
    }

    /// Then: the last command was accepted and the status is `s`; the history refolds to
    /// the same state.
    pub fn then_status(self, s: Status) -> Self {
        if let Err(e) = &self.last {
            panic!("expected status {s:?}, the command was rejected: {e}");
        }
        assert_eq!(self.state.status, s);
        assert_eq!(RequestState::fold(&self.events).as_ref(), Ok(&self.state));
        self
    }

    /// Then: the last command was rejected (any error).
    pub fn then_rejected(self) -> Self {
        assert!(
            self.last.is_err(),
            "expected a rejection, got status {:?}",
            self.state.status
        );
        self
    }

    /// Then: the last command was rejected with this error.
    pub fn then_error(self, check: impl FnOnce(&LifecycleError) -> bool) -> Self {
        match &self.last {
            Err(e) => assert!(check(e), "unexpected error: {e:?}"),
            Ok(()) => panic!("expected an error, got status {:?}", self.state.status),
        }
        self
    }

    /// The state now.
    pub fn state(&self) -> &RequestState {
        &self.state
    }

    /// The history now.
    pub fn events(&self) -> &[Event] {
        &self.events
    }
}
