//! The SLA policy of a request: why it runs under it ([`Mbs::explain_policy`]), and the
//! clocks after a policy change.

use super::*;
use crate::sla::SlaEvaluation;

impl TenantContext {
    /// Decided clocks stay: a clock stopped before a policy change keeps the verdict
    /// it had under the policy in force when it stopped.
    pub(super) fn keep_decided_before_change(
        &self,
        eval: &mut SlaEvaluation,
        events: &[Event],
        evs: &[ClockEvent],
        now: DateTime<Utc>,
    ) -> Result<(), ServiceError> {
        for status in [&mut eval.first_response, &mut eval.resolution] {
            let Some(stopped) = status.stopped_at.map(|s| s.with_timezone(&Utc)) else {
                continue;
            };
            let changes = events.iter().filter_map(|e| match &e.kind {
                EventKind::PolicyChanged { from, to, .. } => Some((e.at, from, to)),
                _ => None,
            });
            let mut then = None;
            let mut later = false;
            for (at, from, to) in changes {
                if at <= stopped {
                    then = Some(to);
                } else {
                    later = true;
                    then.get_or_insert(from);
                    break;
                }
            }
            let (true, Some(Ok(p))) = (later, then.map(|n| self.policies.get(n))) else {
                continue;
            };
            let before: Vec<ClockEvent> =
                evs.iter().filter(|e| e.at() <= stopped).cloned().collect();
            let old = SlaClock::new(p, &self.calendar).evaluate(&before, now)?;
            *status = match status.clock {
                crate::sla::ClockKind::FirstResponse => old.first_response,
                crate::sla::ClockKind::Resolution => old.resolution,
            };
        }
        Ok(())
    }
}

impl<S: Store, C: Clock> Mbs<S, C> {
    /// Why a request runs under its policy: the policy rule recorded at receipt, the
    /// changes staff made, and how the policy rules in force now decide for it (the
    /// request as received, routed to the unit it was first routed to).
    pub async fn explain_policy(
        &self,
        actor: &Actor,
        tracking: &TrackingNumber,
    ) -> Result<PolicyExplanation, ServiceError> {
        let (ctx, rec) = self
            .load_visible(actor, RequestKey::Tracking(tracking))
            .await?;
        let events = self.store.events(&actor.tenant, rec.state.id).await?;
        let mut received = None;
        let mut unit = None;
        let mut changes = Vec::new();
        for e in &events {
            match &e.kind {
                EventKind::Received {
                    policy,
                    policy_rule,
                    ..
                } => received = Some((policy.clone(), policy_rule.clone())),
                EventKind::Routed { unit: u, .. } => {
                    unit.get_or_insert_with(|| u.clone());
                }
                EventKind::PolicyChanged { from, to, reason } => changes.push(PolicyChange {
                    at: e.at,
                    by: e.actor.to_string(),
                    from: from.clone(),
                    to: to.clone(),
                    reason: reason.clone(),
                }),
                _ => {}
            }
        }
        let (received_policy, received_rule) =
            received.ok_or_else(|| LifecycleError::Corrupt("no received event".into()))?;
        let unit = unit
            .or_else(|| rec.state.unit.clone())
            .unwrap_or_else(|| ctx.org.tenant.coordinator_unit.clone());
        let now = ctx.policy_rules.choose(&rec.state.content, &unit);
        let mut summary = vec![format!(
            "received under policy {received_policy} ({})",
            if received_rule == crate::regime::DEFAULT_POLICY_RULE {
                "no policy rule matched: the organisation's default".to_owned()
            } else {
                format!("policy rule {received_rule:?}")
            }
        )];
        for c in &changes {
            summary.push(format!(
                "policy changed from {} to {} at {} by {}: {}",
                c.from,
                c.to,
                crate::calendar::local_time(c.at),
                c.by,
                c.reason
            ));
        }
        summary.push(format!(
            "the policy rules in force now give {} for it:",
            now.policy
        ));
        summary.extend(
            now.explanation
                .lines()
                .into_iter()
                .map(|l| format!("  {l}")),
        );
        Ok(PolicyExplanation {
            tracking: rec.state.tracking,
            policy: rec.state.policy.clone(),
            policy_rule: rec.state.policy_rule.clone(),
            received_policy,
            received_rule,
            changes,
            now,
            summary,
        })
    }
}

/// Why a request runs under its policy ([`Mbs::explain_policy`]).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct PolicyExplanation {
    /// The request.
    pub tracking: TrackingNumber,
    /// The policy in force.
    pub policy: String,
    /// Why: the policy rule, `default` or `set-policy`.
    pub policy_rule: String,
    /// The policy it was received under.
    pub received_policy: String,
    /// The policy rule that chose it at receipt (`default`: none matched).
    pub received_rule: String,
    /// Changes by staff, oldest first.
    pub changes: Vec<PolicyChange>,
    /// How the policy rules in force now decide for the request (they may have changed
    /// since it was received).
    pub now: PolicyChoice,
    /// The above as lines of text for people.
    pub summary: Vec<String>,
}

/// A change of a request's policy by staff.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct PolicyChange {
    /// When.
    pub at: DateTime<Utc>,
    /// Who.
    pub by: String,
    /// The policy before.
    pub from: String,
    /// The policy after.
    pub to: String,
    /// Why.
    pub reason: String,
}

/// The problems of policy rules as one message (each with its rule and line).
pub fn policy_rules_message(e: &RoutingError) -> String {
    match e {
        RoutingError::Invalid { problems } => format!(
            "policy rules: {}",
            problems
                .iter()
                .filter(|p| p.is_error())
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("; ")
        ),
        e => format!("policy rules: {e}"),
    }
}
