//! Which deadline regime (SLA policy) a request runs under: the tenant's **policy rules**.
//!
//! The regime belongs to the request: a CİMER information request runs Law 4982's 15
//! business days, a petition Law 3071's 30 days, an MBS request Genelge 2015/8's 15 days.
//! Policy rules are `[[policy_rule]]` tables of the tenant's settings document
//! ([`crate::settings::TenantSettings`]), tried in order when a request is received (after
//! routing): the first whose conditions hold decides. A request no rule matches gets the
//! organisation's `default_policy` and records [`DEFAULT_POLICY_RULE`].
//!
//! Conditions are those of routing rules ([`crate::routing::Conditions`]: category,
//! group, kind, channel, priority, muhtarlik, district, province, keywords, area), checked
//! by the same code, plus `unit`: the unit the request was routed to is one of the listed
//! units or lies below one. Rules are validated whole against the organisation and the
//! policy registry, every problem with the rule's name and line, like routing rules
//! (unknown policy, category or unit: error; a rule hidden by an earlier one: warning).
//!
//! The policy is chosen once, at receipt; re-routing does not change it. Staff change it
//! with [`crate::request::Command::SetPolicy`].
//!
//! ```toml
//! [[policy_rule]]
//! name = "bilgi-edinme"
//! kind = "information-request"
//! policy = "bilgi-edinme-4982"
//!
//! [[policy_rule]]
//! name = "dilekce"
//! kind = ["request", "complaint"]
//! channel = ["cimer", "petition"]
//! policy = "dilekce-3071"
//! ```

use std::collections::{HashMap, HashSet};

use serde::{Deserialize, Deserializer, Serialize};

use crate::ids::UnitCode;
use crate::org::Organisation;
use crate::request::RequestContent;
use crate::routing::spec::{raw_rule, Maybe, OneOrMany};
use crate::routing::{
    check_conditions, check_name, covers, Applied, Attempt, AttemptOutcome, Check, CondMeaning,
    Condition, Conditions, Explanation, Facts, Matcher, Meaning, Problem, ProblemKind,
    RoutingError, Severity,
};
use crate::sla::PolicyRegistry;

/// What a request no policy rule matches records as the reason for its policy.
pub const DEFAULT_POLICY_RULE: &str = "default";

/// What a request whose policy staff set records as the reason for its policy.
pub const SET_POLICY_RULE: &str = "set-policy";

/// One policy rule as written.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PolicyRuleSpec {
    /// Unique name, recorded on the received event.
    pub name: String,
    /// 1-based line of the rule in the settings file (0 if not from a file).
    #[serde(skip)]
    pub line: usize,
    /// Conditions shared with routing rules.
    pub when: Conditions,
    /// Units: the request was routed to one of them or to a unit below one (empty: any).
    pub units: Vec<String>,
    /// The SLA policy the rule gives.
    pub policy: String,
    /// Byte offset of the rule in its file, for its line.
    #[serde(skip)]
    pub(crate) offset: usize,
    /// Conditions written as an empty list.
    #[serde(skip)]
    pub(crate) empty_lists: Vec<&'static str>,
}

impl PolicyRuleSpec {
    /// A rule built in code.
    pub fn new(name: impl Into<String>, when: Conditions, policy: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            line: 0,
            when,
            units: Vec::new(),
            policy: policy.into(),
            offset: 0,
            empty_lists: Vec::new(),
        }
    }
}

raw_rule! {
    /// A policy rule as written in TOML.
    struct RawPolicyRule {
        #[serde(default)]
        unit: Option<OneOrMany<String>>,
        policy: String,
    }
}

/// Reads `[[policy_rule]]` tables (for `#[serde(deserialize_with)]`; TOML only, lines
/// are set by [`crate::settings::TenantSettings::from_toml_str`]).
pub(crate) fn deserialize_rules<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<Vec<PolicyRuleSpec>, D::Error> {
    let raw: Vec<toml::Spanned<RawPolicyRule>> = Vec::deserialize(d)?;
    Ok(raw
        .into_iter()
        .map(|sp| {
            let offset = sp.span().start;
            let mut r = sp.into_inner();
            let (when, mut empty_lists) = r.conditions();
            let units = Maybe::from(r.unit.take()).take("unit", &mut empty_lists);
            PolicyRuleSpec {
                name: r.name,
                line: 0,
                when,
                units,
                policy: r.policy,
                offset,
                empty_lists,
            }
        })
        .collect())
}

/// The policy a request got, and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PolicyChoice {
    /// The SLA policy.
    pub policy: String,
    /// The rule that chose it ([`DEFAULT_POLICY_RULE`] when none matched).
    pub rule: String,
    /// The rules tried and the conditions that held, in routing's format (the target
    /// reads `policy <name>`).
    pub explanation: Explanation,
}

#[derive(Debug, Clone)]
struct Compiled {
    name: String,
    line: usize,
    matcher: Matcher,
    /// The listed units and every unit below them (`None`: any unit).
    units: Option<HashSet<UnitCode>>,
    policy: String,
}

/// A tenant's validated, compiled policy rules and its default policy.
#[derive(Debug, Clone)]
pub struct PolicyRules {
    rules: Vec<Compiled>,
    group_of: HashMap<String, String>,
    default_policy: String,
}

impl PolicyRules {
    /// No rules: every request gets the organisation's default policy.
    pub fn none(org: &Organisation) -> Self {
        Self {
            rules: Vec::new(),
            group_of: HashMap::new(),
            default_policy: org.tenant.default_policy.clone(),
        }
    }

    /// Validates rules against the organisation and the policy registry and compiles
    /// them. Returns the rules and their warnings, or every problem found (warnings
    /// included) when there is at least one error.
    pub fn compile(
        specs: &[PolicyRuleSpec],
        org: &Organisation,
        policies: &PolicyRegistry,
    ) -> Result<(Self, Vec<Problem>), RoutingError> {
        let problems = Self::check(specs, org, policies);
        if problems.iter().any(Problem::is_error) {
            return Err(RoutingError::Invalid { problems });
        }
        let rules = specs
            .iter()
            .map(|r| Compiled {
                name: r.name.trim().to_owned(),
                line: r.line,
                matcher: Matcher::new(&r.when, org),
                units: (!r.units.is_empty()).then(|| unit_set(org, &r.units)),
                policy: r.policy.clone(),
            })
            .collect();
        let group_of = org
            .categories
            .iter()
            .filter_map(|c| c.group.clone().map(|g| (c.code.clone(), g)))
            .collect();
        Ok((
            Self {
                rules,
                group_of,
                default_policy: org.tenant.default_policy.clone(),
            },
            problems,
        ))
    }

    /// Every problem of the rules (errors and warnings, by line).
    pub fn check(
        specs: &[PolicyRuleSpec],
        org: &Organisation,
        policies: &PolicyRegistry,
    ) -> Vec<Problem> {
        let mut problems = Vec::new();
        let mut names = HashMap::new();
        let mut meanings: Vec<(Meaning, Option<HashSet<UnitCode>>)> = Vec::new();
        for r in specs {
            let name = r.name.trim().to_owned();
            let mut errs = Vec::new();
            let mut push = |k: ProblemKind| errs.push(k);
            check_name(
                &name,
                r.line,
                (DEFAULT_POLICY_RULE, ProblemKind::ReservedDefault),
                &mut names,
                &mut push,
            );
            let CondMeaning {
                cats,
                scope,
                keywords,
            } = check_conditions(&r.when, &r.empty_lists, org, &mut push);
            if r.when.is_empty() && r.units.is_empty() && r.empty_lists.is_empty() {
                push(ProblemKind::CatchAllPolicyRule);
            }
            for u in &r.units {
                if UnitCode::new(u.as_str())
                    .ok()
                    .and_then(|c| org.unit(&c))
                    .is_none()
                {
                    push(ProblemKind::UnknownConditionUnit { unit: u.clone() });
                }
            }
            if policies.get(&r.policy).is_err() {
                push(ProblemKind::UnknownPolicy {
                    policy: r.policy.clone(),
                    known: policies.names().map(str::to_owned).collect(),
                });
            }
            let has_errors = errs.iter().any(|k| k.severity() == Severity::Error);
            let units = (!r.units.is_empty()).then(|| unit_set(org, &r.units));
            let me = Meaning {
                cats,
                scope,
                always: true,
                keywords,
                has_errors,
            };
            if !has_errors {
                let earlier = meanings.iter().zip(specs).find(|((m, u), e)| {
                    !m.has_errors
                        && covers(&e.when, m, &r.when, &me)
                        && match (u, &units) {
                            (None, _) => true,
                            (Some(_), None) => false,
                            (Some(a), Some(b)) => b.is_subset(a),
                        }
                });
                if let Some((_, e)) = earlier {
                    errs.push(ProblemKind::Shadowed {
                        by: e.name.clone(),
                        by_line: e.line,
                    });
                }
            }
            for kind in errs {
                problems.push(Problem::new(Some(name.clone()), r.line, kind));
            }
            meanings.push((me, units));
        }
        problems.sort_by_key(|p| p.line);
        problems
    }

    /// Number of rules.
    pub fn len(&self) -> usize {
        self.rules.len()
    }

    /// Whether there are no rules (every request gets the default policy).
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// The organisation's default policy: what a request no rule matches gets.
    pub fn default_policy(&self) -> &str {
        &self.default_policy
    }

    /// The policy for a request routed to `unit`: the first rule, in order, whose
    /// conditions hold; else the default policy.
    pub fn choose(&self, request: &RequestContent, unit: &UnitCode) -> PolicyChoice {
        let facts = Facts::new(request);
        let mut tried = Vec::new();
        for r in &self.rules {
            let checked = r
                .matcher
                .check(request, &facts, &self.group_of)
                .and_then(|mut held| match &r.units {
                    None => Ok(held),
                    Some(set) => {
                        let ok = set.contains(unit);
                        let check = Check {
                            condition: Condition::Unit,
                            detail: format!(
                                "unit {:?} {} a listed unit or below one",
                                unit.as_str(),
                                if ok { "is" } else { "is not" }
                            ),
                        };
                        if ok {
                            held.push(check);
                            Ok(held)
                        } else {
                            Err(check)
                        }
                    }
                });
            match checked {
                Err(failed) => tried.push(Attempt {
                    rule: r.name.clone(),
                    line: r.line,
                    outcome: AttemptOutcome::NoMatch { failed },
                }),
                Ok(held) => {
                    return PolicyChoice {
                        policy: r.policy.clone(),
                        rule: r.name.clone(),
                        explanation: Explanation {
                            applied: Applied {
                                rule: r.name.clone(),
                                line: r.line,
                                fallback: false,
                                held,
                                target: format!("policy {}", r.policy),
                                note: None,
                            },
                            tried,
                            skipped_by_index: 0,
                        },
                    }
                }
            }
        }
        PolicyChoice {
            policy: self.default_policy.clone(),
            rule: DEFAULT_POLICY_RULE.to_owned(),
            explanation: Explanation {
                applied: Applied {
                    rule: DEFAULT_POLICY_RULE.to_owned(),
                    line: 0,
                    fallback: true,
                    held: Vec::new(),
                    target: format!(
                        "policy {} (the organisation's default)",
                        self.default_policy
                    ),
                    note: None,
                },
                tried,
                skipped_by_index: 0,
            },
        }
    }
}

/// The listed units and every unit below them.
fn unit_set(org: &Organisation, units: &[String]) -> HashSet<UnitCode> {
    units
        .iter()
        .filter_map(|u| UnitCode::new(u.as_str()).ok())
        .flat_map(|u| org.subtree(&u))
        .collect()
}
