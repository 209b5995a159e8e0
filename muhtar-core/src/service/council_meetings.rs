//! The council's meetings through the service (issue 24, second part): the muhtar
//! schedules a meeting, records who attended and then the minutes, which freeze it.
//! Access is the council's: `ManageCouncil` to write, `ReadCouncil` to read, on
//! [`crate::access::Target::Council`].

use super::{Mbs, ServiceError};
use crate::access::{Action, Actor};
use crate::clock::Clock;
use crate::council::{Meeting, MeetingError, MeetingId, MemberId, Minutes, NewMeeting};
use crate::ids::MuhtarlikCode;
use crate::store::{Store, StoreError};

impl<S: Store, C: Clock> Mbs<S, C> {
    /// Schedules a meeting of the council of `muhtarlik` (the muhtar), with the
    /// proposals it names on its agenda ([`NewMeeting::with_proposals`]).
    pub async fn add_meeting(
        &self,
        actor: &Actor,
        muhtarlik: &MuhtarlikCode,
        new: NewMeeting,
    ) -> Result<Meeting, ServiceError> {
        self.council_access(actor, muhtarlik, Action::ManageCouncil)
            .await?;
        let mut named = Vec::with_capacity(new.proposals.len());
        for id in &new.proposals {
            match self.store.proposal(&actor.tenant, *id).await {
                Ok(p) => named.push(p),
                // Not found: `with_proposals` names it as not the council's.
                Err(StoreError::NotFound { .. }) => {}
                Err(e) => return Err(e.into()),
            }
        }
        let new = new.with_proposals(muhtarlik, &named)?;
        let now = self.clock.now();
        let id = MeetingId(self.ids().uuid_v7(now));
        let meeting = new.validate(id, actor.tenant.clone(), muhtarlik.clone(), now)?;
        self.store.put_meeting(&meeting).await?;
        Ok(meeting)
    }

    /// A meeting the actor may take `action` on. A council the actor may not even read
    /// hides its meetings (not found); one they may read but not write refuses the write.
    async fn meeting_for(
        &self,
        actor: &Actor,
        id: MeetingId,
        action: Action,
    ) -> Result<Meeting, ServiceError> {
        let m = self.store.meeting(&actor.tenant, id).await?;
        match self.council_access(actor, &m.muhtarlik, action).await {
            Ok(_) => Ok(m),
            Err(ServiceError::Forbidden(f)) => {
                let readable = action != Action::ReadCouncil
                    && self
                        .council_access(actor, &m.muhtarlik, Action::ReadCouncil)
                        .await
                        .is_ok();
                Err(if readable {
                    ServiceError::Forbidden(f)
                } else {
                    ServiceError::NotFound("meeting".into())
                })
            }
            Err(e) => Err(e),
        }
    }

    /// A meeting, if the actor may read its council.
    pub async fn meeting(&self, actor: &Actor, id: MeetingId) -> Result<Meeting, ServiceError> {
        self.meeting_for(actor, id, Action::ReadCouncil).await
    }

    /// The council's meetings, the latest first.
    pub async fn meetings(
        &self,
        actor: &Actor,
        muhtarlik: &MuhtarlikCode,
    ) -> Result<Vec<Meeting>, ServiceError> {
        self.council_access(actor, muhtarlik, Action::ReadCouncil)
            .await?;
        Ok(self.store.meetings(&actor.tenant, muhtarlik).await?)
    }

    /// Records who attended (replacing an earlier list) until the minutes are recorded:
    /// every attendee must be a member of this council on the roll at the meeting's time.
    pub async fn set_attendance(
        &self,
        actor: &Actor,
        id: MeetingId,
        members: &[MemberId],
    ) -> Result<Meeting, ServiceError> {
        let mut m = self.meeting_for(actor, id, Action::ManageCouncil).await?;
        m.check_open()?;
        let roll = self.store.members(&actor.tenant, &m.muhtarlik).await?;
        for member in members {
            if !roll.iter().any(|r| r.id == *member && r.active_at(m.at)) {
                return Err(MeetingError::NotOnRoll {
                    member: member.to_string(),
                }
                .into());
            }
        }
        m.set_attendance(members)?;
        self.store
            .set_attendance(&actor.tenant, id, &m.attendance)
            .await
            .map_err(|e| held(e, id))?;
        Ok(m)
    }

    /// Records the minutes, once the meeting's time has come: the meeting is held, and
    /// its minutes and attendance no longer change.
    pub async fn record_minutes(
        &self,
        actor: &Actor,
        id: MeetingId,
        text: &str,
    ) -> Result<Meeting, ServiceError> {
        let mut m = self.meeting_for(actor, id, Action::ManageCouncil).await?;
        m.check_open()?;
        let now = self.clock.now();
        if now < m.at {
            return Err(MeetingError::NotYet {
                at: crate::calendar::local_time(m.at),
            }
            .into());
        }
        let minutes = Minutes::new(text, now)?;
        m.record_minutes(minutes.clone())?;
        self.store
            .record_minutes(&actor.tenant, id, &minutes)
            .await
            .map_err(|e| held(e, id))?;
        Ok(m)
    }
}

/// A held meeting in the store (a write that raced the minutes) is the meeting's "held".
fn held(e: StoreError, id: MeetingId) -> ServiceError {
    match e {
        StoreError::Frozen { .. } => MeetingError::Held {
            meeting: id.to_string(),
        }
        .into(),
        e => e.into(),
    }
}
