//! Works and announcements of the units ([`crate::map::work`]): publishing, changing and
//! closing them (their muhtarlıklar's muhtars notified through the outbox, in the same
//! transaction), reading them (anyone: they are public) and their clashes (the
//! coordinator). Every call authorizes first.

use super::*;
use crate::map::work::{
    clashes, Clash, NewWork, Work, WorkChange, WorkId, WorkQuery, WorkStatus, MAX_WORKS,
};
use crate::outbox::plan_work;

/// A clash with both works: what the coordinator's list shows.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[non_exhaustive]
pub struct WorkClash {
    /// The pair and when both go on.
    #[serde(flatten)]
    pub clash: Clash,
    /// The earlier-starting work.
    pub first_work: Work,
    /// The other.
    pub second_work: Work,
}

impl<S: Store, C: Clock> Mbs<S, C> {
    /// Publishes a unit's work ([`Action::PublishWork`]: the unit's staff, staff of a
    /// unit above it, the coordinator): checked ([`NewWork::publish`]), its muhtarlıklar
    /// from the organisation's boundaries, written as version 1 with a notice to each of
    /// their muhtars ([`crate::outbox::plan_work`]).
    pub async fn publish_work(&self, actor: &Actor, new: NewWork) -> Result<Work, ServiceError> {
        let ctx = self.context(&actor.tenant).await?;
        authorize(
            actor,
            Action::PublishWork,
            &Target::Work {
                tenant: &actor.tenant,
                unit: &new.unit,
            },
            &ctx.org,
        )?;
        let now = self.clock.now();
        let id = WorkId(self.ids().uuid_v7(now));
        let work = new.publish(&ctx.org, actor.tenant.clone(), id, &actor.to_string(), now)?;
        let outbox = plan_work(&ctx.org, None, &work, &mut self.ids(), now);
        self.store.put_work(&work, 0, &outbox).await?;
        Ok(work)
    }

    /// Changes a work ([`Action::ChangeWork`], the same people as publish it): the next
    /// version, its muhtarlıklar's muhtars (before and after) notified. With `expected`,
    /// fails with [`ServiceError::Conflict`] unless that is the stored version.
    pub async fn change_work(
        &self,
        actor: &Actor,
        id: WorkId,
        change: &WorkChange,
        expected: Option<u32>,
    ) -> Result<Work, ServiceError> {
        self.next_work(actor, id, Action::ChangeWork, expected, |w, org, now| {
            Ok(w.change(change, org, now)?.0)
        })
        .await
    }

    /// Closes a work ([`Action::CloseWork`]): finished or called off; its muhtars hear.
    pub async fn close_work(
        &self,
        actor: &Actor,
        id: WorkId,
        expected: Option<u32>,
    ) -> Result<Work, ServiceError> {
        self.next_work(actor, id, Action::CloseWork, expected, |w, _, now| {
            Ok(w.close(now)?)
        })
        .await
    }

    async fn next_work(
        &self,
        actor: &Actor,
        id: WorkId,
        action: Action,
        expected: Option<u32>,
        next: impl FnOnce(&Work, &Organisation, DateTime<Utc>) -> Result<Work, ServiceError>,
    ) -> Result<Work, ServiceError> {
        let ctx = self.context(&actor.tenant).await?;
        let before = self.load_work(&actor.tenant, id).await?;
        authorize(
            actor,
            action,
            &Target::Work {
                tenant: &actor.tenant,
                unit: &before.unit,
            },
            &ctx.org,
        )?;
        if let Some(v) = expected.filter(|v| *v != before.version) {
            return Err(ServiceError::Conflict {
                expected: v,
                actual: before.version,
            });
        }
        let now = self.clock.now();
        let work = next(&before, &ctx.org, now)?;
        let outbox = plan_work(&ctx.org, Some(&before), &work, &mut self.ids(), now);
        self.store.put_work(&work, before.version, &outbox).await?;
        Ok(work)
    }

    async fn load_work(&self, tenant: &TenantId, id: WorkId) -> Result<Work, ServiceError> {
        self.store.work(tenant, id).await.map_err(|e| match e {
            StoreError::NotFound { .. } => ServiceError::NotFound("work".into()),
            e => e.into(),
        })
    }

    /// A work ([`Action::ReadWorks`]: anyone, the public included).
    pub async fn work(&self, actor: &Actor, id: WorkId) -> Result<Work, ServiceError> {
        let ctx = self.context(&actor.tenant).await?;
        let work = self.load_work(&actor.tenant, id).await?;
        authorize(
            actor,
            Action::ReadWorks,
            &Target::Work {
                tenant: &actor.tenant,
                unit: &work.unit,
            },
            &ctx.org,
        )?;
        Ok(work)
    }

    /// The tenant's works matching `query` ([`Action::ReadWorks`]: anyone), earliest
    /// start first, at most `limit` (capped to [`MAX_WORKS`]).
    pub async fn works(
        &self,
        actor: &Actor,
        query: &WorkQuery,
        limit: u32,
    ) -> Result<Vec<Work>, ServiceError> {
        let ctx = self.context(&actor.tenant).await?;
        authorize(
            actor,
            Action::ReadWorks,
            &Target::Works(&actor.tenant),
            &ctx.org,
        )?;
        Ok(self
            .store
            .works(&actor.tenant, query, limit.min(MAX_WORKS))
            .await?)
    }

    /// The clashes among the tenant's works not closed and not over now
    /// ([`Action::ReadClashes`]: the coordinator, the responsible official, the auditor),
    /// by [`crate::map::work::clashes`], each with both works.
    pub async fn clashes(&self, actor: &Actor) -> Result<Vec<WorkClash>, ServiceError> {
        let ctx = self.context(&actor.tenant).await?;
        authorize(
            actor,
            Action::ReadClashes,
            &Target::Works(&actor.tenant),
            &ctx.org,
        )?;
        let mut q = WorkQuery::default();
        q.statuses = Some(vec![WorkStatus::Planned, WorkStatus::Ongoing]);
        q.active_from = Some(self.clock.now());
        let works = self.store.works(&actor.tenant, &q, MAX_WORKS).await?;
        let find = |id: WorkId| works.iter().find(|w| w.id == id).cloned();
        Ok(clashes(&works)
            .into_iter()
            .filter_map(|c| {
                Some(WorkClash {
                    first_work: find(c.first)?,
                    second_work: find(c.second)?,
                    clash: c,
                })
            })
            .collect())
    }
}
