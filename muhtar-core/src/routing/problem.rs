//! What can be wrong with a rule set: typed problems with a severity, a rule and a line.

use std::fmt;

use serde::{Deserialize, Serialize};

/// How bad a problem is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Severity {
    /// The rule set works, but probably not as intended (e.g. a shadowed rule).
    Warning,
    /// The rule set must not be used.
    Error,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::Warning => "warning",
            Severity::Error => "error",
        })
    }
}

/// What is wrong.
#[derive(Debug, Clone, PartialEq, thiserror::Error, Serialize, Deserialize)]
#[serde(tag = "problem", rename_all = "kebab-case")]
#[non_exhaustive]
pub enum ProblemKind {
    /// The rule has no name.
    #[error("the rule has no name")]
    EmptyName,
    /// `fallback` is reserved for the rule set's fallback.
    #[error("the name \"fallback\" is reserved")]
    ReservedName,
    /// Two rules share a name.
    #[error("another rule with this name is at line {first_line}")]
    DuplicateName {
        /// Line of the first rule with the name.
        first_line: usize,
    },
    /// The rule has no condition: it would catch everything and hide the fallback.
    #[error("the rule has no condition; use the rule set's `fallback` for a catch-all")]
    EmptyConditions,
    /// The target unit does not exist.
    #[error("target unit {unit:?} does not exist")]
    UnknownUnit {
        /// The unit.
        unit: String,
    },
    /// The target unit exists but is inactive.
    #[error("target unit {unit:?} is inactive")]
    InactiveUnit {
        /// The unit.
        unit: String,
    },
    /// A relative target that resolves to an active unit for no muhtarlık of the tenant.
    #[error("target {target} resolves to no active unit for any muhtarlık")]
    UnresolvableTarget {
        /// The target, described.
        target: String,
    },
    /// An unknown category.
    #[error("unknown category {code:?}")]
    UnknownCategory {
        /// The code.
        code: String,
    },
    /// An unknown category group.
    #[error("unknown category group {group:?}")]
    UnknownGroup {
        /// The group.
        group: String,
    },
    /// An unknown muhtarlık.
    #[error("unknown muhtarlık {code:?}")]
    UnknownMuhtarlik {
        /// The code.
        code: String,
    },
    /// A muhtarlık that cannot submit requests.
    #[error("muhtarlık {code:?} is inactive")]
    InactiveMuhtarlik {
        /// The code.
        code: String,
    },
    /// No muhtarlık of the tenant lies in this district.
    #[error("no muhtarlık of the tenant lies in district {district:?}")]
    UnknownDistrict {
        /// The district.
        district: String,
    },
    /// No muhtarlık of the tenant lies in this province.
    #[error("no muhtarlık of the tenant lies in province {province:?}")]
    UnknownProvince {
        /// The province.
        province: String,
    },
    /// An empty keyword.
    #[error("empty keyword")]
    EmptyKeyword,
    /// An empty list where at least one value is needed.
    #[error("condition `{condition}` has an empty list (omit it to mean \"any\")")]
    EmptyList {
        /// The condition.
        condition: String,
    },
    /// The conditions contradict each other: the rule can never match.
    #[error("the rule can never match: {reason}")]
    NeverMatches {
        /// Why.
        reason: String,
    },
    /// The area polygon is unusable.
    #[error("invalid area: {reason}")]
    InvalidPolygon {
        /// Why.
        reason: String,
    },
    /// `inside_muhtarlik` names a muhtarlık without a boundary.
    #[error("muhtarlık {code:?} has no boundary (the organisation's boundaries file): `inside_muhtarlik` needs one")]
    NoBoundary {
        /// The code.
        code: String,
    },
    /// Every request this rule matches is taken by an earlier rule.
    #[error("shadowed by the earlier rule \"{by}\" (line {by_line}), which matches every request this one does")]
    Shadowed {
        /// The earlier rule.
        by: String,
        /// Its line.
        by_line: usize,
    },
    /// A policy rule names a policy the tenant does not have.
    #[error("unknown policy {policy:?} (known: {})", known.join(", "))]
    UnknownPolicy {
        /// The name.
        policy: String,
        /// The tenant's policies.
        known: Vec<String>,
    },
    /// A policy rule's `unit` condition names a unit that does not exist.
    #[error("unknown unit {unit:?} in the `unit` condition")]
    UnknownConditionUnit {
        /// The unit.
        unit: String,
    },
    /// `default` is what a request no policy rule matches records.
    #[error("the name \"default\" is reserved for requests no policy rule matches")]
    ReservedDefault,
    /// A policy rule without a condition would take every request.
    #[error("the rule has no condition; requests no rule matches get the organisation's `default_policy`")]
    CatchAllPolicyRule,
    /// The fallback unit does not exist.
    #[error("fallback unit {unit:?} does not exist")]
    UnknownFallback {
        /// The unit.
        unit: String,
    },
    /// The fallback unit is inactive or sits below an inactive unit.
    #[error("fallback unit {unit:?} is unreachable: {reason}")]
    UnreachableFallback {
        /// The unit.
        unit: String,
        /// Why.
        reason: String,
    },
}

impl ProblemKind {
    /// The severity of this kind of problem.
    pub fn severity(&self) -> Severity {
        match self {
            ProblemKind::Shadowed { .. }
            | ProblemKind::InactiveMuhtarlik { .. }
            | ProblemKind::UnknownDistrict { .. }
            | ProblemKind::UnknownProvince { .. } => Severity::Warning,
            _ => Severity::Error,
        }
    }
}

/// One problem of a rule set, located by rule name and line.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Problem {
    /// Error or warning.
    pub severity: Severity,
    /// The rule's name; `None` for the rule set's own fields (the fallback).
    pub rule: Option<String>,
    /// 1-based line in the TOML file (0 when the rule set was not read from a file).
    pub line: usize,
    /// What is wrong.
    pub kind: ProblemKind,
}

impl Problem {
    /// A problem with the severity of its kind.
    pub fn new(rule: Option<String>, line: usize, kind: ProblemKind) -> Self {
        Self {
            severity: kind.severity(),
            rule,
            line,
            kind,
        }
    }

    /// Whether this is an error.
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

impl fmt::Display for Problem {
    /// `error: rule "<name>" (line N): message`, or `error: fallback (line N): message`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.rule {
            Some(name) => write!(
                f,
                "{}: rule {:?} (line {}): {}",
                self.severity, name, self.line, self.kind
            ),
            None => write!(
                f,
                "{}: fallback (line {}): {}",
                self.severity, self.line, self.kind
            ),
        }
    }
}

/// Why a rule set could not be loaded.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum RoutingError {
    /// The file is not valid TOML or does not have the expected fields.
    #[error("rule set, line {line}: {message}")]
    Parse {
        /// 1-based line (0 if unknown).
        line: usize,
        /// What the parser said.
        message: String,
    },
    /// The rule set has errors. `problems` holds every problem found, warnings included.
    #[error("rule set is invalid: {}", problems.iter().filter(|p| p.is_error()).map(|p| p.to_string()).collect::<Vec<_>>().join("; "))]
    Invalid {
        /// Every problem, in file order.
        problems: Vec<Problem>,
    },
}
