//! Routing: which unit a request goes to, and why.
//!
//! A [`RuleSet`] is an ordered list of rules a coordinator edits; the first rule that
//! matches decides, and the tenant's fallback (the coordinator's triage queue) catches
//! everything else, so no request is ever left without a unit.

use serde::{Deserialize, Serialize};

use crate::ids::UnitCode;
use crate::org::Organisation;
use crate::request::RequestContent;

/// The outcome of routing one request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Decision {
    /// The unit.
    pub unit: UnitCode,
    /// The rule that chose it (`fallback` when none matched).
    pub rule: String,
    /// The rule set's version.
    pub rule_set_version: String,
    /// Why: the rule applied and the rules tried before it.
    pub explanation: Vec<String>,
}

/// A rule set. This foundation version only knows the fallback.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RuleSet {
    /// Version, recorded on every routed event.
    pub version: String,
    /// The fallback target: the tenant's triage queue.
    pub fallback: UnitCode,
}

impl RuleSet {
    /// A rule set that sends everything to the tenant's coordinator unit.
    pub fn fallback_only(org: &Organisation) -> Self {
        Self {
            version: "fallback".into(),
            fallback: org.tenant.coordinator_unit.clone(),
        }
    }

    /// Routes one request.
    pub fn decide(&self, _org: &Organisation, _request: &RequestContent) -> Decision {
        Decision {
            unit: self.fallback.clone(),
            rule: "fallback".into(),
            rule_set_version: self.version.clone(),
            explanation: vec!["no rule matched: fallback".into()],
        }
    }
}
