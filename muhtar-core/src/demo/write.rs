//! [`run`]: a demo plan written through the service façade.

use crate::access::{Actor, Role};
use crate::clock::ManualClock;
use crate::ids::{TenantId, UnitCode};
use crate::outbox::OutboxStatus;
use crate::request::{Command, NewRequest, Outcome};
use crate::service::{Mbs, ServiceError};
use crate::store::Store;

use super::{plan, DemoActor, DemoSpec, DemoSummary};

impl DemoActor {
    /// The actor: the muhtar of `request`'s muhtarlık, or the staff of `unit` (user
    /// `<unit>-personel`).
    pub fn actor(self, tenant: &TenantId, request: &NewRequest, unit: &UnitCode) -> Actor {
        match self {
            DemoActor::Muhtar => Actor::new(
                tenant.clone(),
                request.muhtarlik.to_string(),
                Role::Muhtar(request.muhtarlik.clone()),
            ),
            DemoActor::UnitStaff => Actor::new(
                tenant.clone(),
                format!("{unit}-personel"),
                Role::UnitStaff(unit.clone()),
            ),
        }
    }
}

/// Writes the demo data of `spec` for `tenant` (planned by [`plan`] from its
/// organisation) through the service façade, so every request is validated, authorised,
/// routed and timed exactly like a real one. The service's clock is set to each planned
/// instant. `progress` is told after each request how many are written of how many.
///
/// For the same data on every run, give `mbs` a deterministic id generator (e.g. seeded
/// with [`DemoSpec::seed`]) and a store without requests of the tenant.
///
/// A planned transfer to the unit the request is already with is skipped, and one the
/// service refuses (a unit that cannot take it) is left out; any other refusal ends the
/// run with its error.
///
/// At the end the clock is set to [`DemoSpec::end`] and the deadlines are swept (the
/// at-risk and breach notices of the demo's past, a report awaiting sign-off); then
/// every notice the run queued is recorded as delivered when it was due: the demo's
/// past has been told, and a dispatcher started afterwards sends only what new activity
/// causes.
pub async fn run<S: Store>(
    mbs: &Mbs<S, ManualClock>,
    tenant: &TenantId,
    spec: &DemoSpec,
    mut progress: impl FnMut(usize, usize),
) -> Result<DemoSummary, ServiceError> {
    let ctx = mbs.context(tenant).await?;
    let requests = plan(&ctx.org, spec);
    let mut summary = DemoSummary::default();
    // Notices queued before the demo are not its past.
    let before: std::collections::HashSet<uuid::Uuid> = mbs
        .store()
        .outbox(tenant, None)
        .await?
        .into_iter()
        .map(|e| e.message.id)
        .collect();
    for (i, r) in requests.iter().enumerate() {
        mbs.clock().set(r.entered_at);
        let rec = mbs.submit(&r.submitter, r.request.clone()).await?;
        summary.requests += 1;
        let tracking = rec.state.tracking;
        let mut unit = rec
            .state
            .unit
            .clone()
            .unwrap_or_else(|| ctx.org.tenant.coordinator_unit.clone());
        let mut outcome = None;
        for step in &r.steps {
            mbs.clock().set(step.at);
            let actor = step.by.actor(tenant, &r.request, &unit);
            let command = step.command.clone();
            if let Command::Transfer { to, .. } = &step.command {
                if *to == unit {
                    continue;
                }
                let to = to.clone();
                if mbs.execute(&actor, &tracking, None, command).await.is_ok() {
                    unit = to;
                    summary.commands += 1;
                }
                continue;
            }
            match &command {
                Command::Answer { outcome: o, .. } => outcome = Some(*o),
                Command::Withdraw { .. } => outcome = Some(Outcome::Negative),
                _ => {}
            }
            mbs.execute(&actor, &tracking, None, command).await?;
            summary.commands += 1;
        }
        match outcome {
            Some(Outcome::Positive) => summary.positive += 1,
            Some(_) => summary.negative += 1,
            None => summary.open += 1,
        }
        progress(i + 1, requests.len());
    }
    let end = spec.end();
    mbs.clock().set(end);
    mbs.sweep(tenant).await?;
    for e in mbs.store().outbox(tenant, None).await? {
        if !before.contains(&e.message.id) && e.status == OutboxStatus::Pending {
            let due = e.message.not_before.max(e.message.created_at).min(end);
            mbs.store().mark_sent(e.message.id, due).await?;
            summary.notices += 1;
        }
    }
    Ok(summary)
}
