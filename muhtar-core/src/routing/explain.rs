//! Why a request went where it went: the rule applied, the conditions that held, and the
//! rules tried before it that did not apply, each with its reason.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A kind of condition.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Condition {
    /// The request's category.
    Category,
    /// The group of the request's category.
    Group,
    /// The request kind.
    Kind,
    /// The channel.
    Channel,
    /// The priority.
    Priority,
    /// The muhtarlık.
    Muhtarlik,
    /// The district (ilçe).
    District,
    /// The province (il).
    Province,
    /// Keywords in the subject or description.
    Keywords,
    /// The location inside an area.
    Area,
    /// The location inside a muhtarlık's boundary (`inside_muhtarlik`).
    InsideMuhtarlik,
    /// The unit the request was routed to (policy rules).
    Unit,
}

impl fmt::Display for Condition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Condition::Category => "category",
            Condition::Group => "group",
            Condition::Kind => "kind",
            Condition::Channel => "channel",
            Condition::Priority => "priority",
            Condition::Muhtarlik => "muhtarlik",
            Condition::District => "district",
            Condition::Province => "province",
            Condition::Keywords => "keywords",
            Condition::Area => "area",
            Condition::InsideMuhtarlik => "inside_muhtarlik",
            Condition::Unit => "unit",
        })
    }
}

/// One condition checked against a request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Check {
    /// Which condition.
    pub condition: Condition,
    /// What was found, in words.
    pub detail: String,
}

/// The rule (or fallback) that decided.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Applied {
    /// The rule's name, or `fallback`.
    pub rule: String,
    /// Its line in the rule file (0 for the fallback or rules not read from a file).
    pub line: usize,
    /// Whether no rule applied and the fallback took the request.
    pub fallback: bool,
    /// The conditions that held (empty for the fallback).
    pub held: Vec<Check>,
    /// The target as written, e.g. `the district-municipality of the request`.
    pub target: String,
    /// A remark, e.g. when the fallback itself was unavailable.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// Why a rule tried before the applied one did not decide.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "result", rename_all = "kebab-case")]
pub enum AttemptOutcome {
    /// A condition did not hold (the first one that failed).
    NoMatch {
        /// The failed condition.
        failed: Check,
    },
    /// All conditions held but the target could not be used: a relative target that did
    /// not resolve, or an unknown or inactive unit. Routing went on with the next rule.
    TargetUnavailable {
        /// The conditions that held.
        held: Vec<Check>,
        /// The target as written.
        target: String,
        /// Why it could not be used.
        reason: String,
    },
}

/// A rule tried before the applied one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Attempt {
    /// The rule's name.
    pub rule: String,
    /// Its line.
    pub line: usize,
    /// Why it did not decide.
    #[serde(flatten)]
    pub outcome: AttemptOutcome,
}

/// The explanation of a routing decision.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Explanation {
    /// What decided.
    pub applied: Applied,
    /// The rules evaluated before it, in order, with why each did not decide.
    pub tried: Vec<Attempt>,
    /// Rules before the applied one that the category index excluded without evaluating
    /// them: their category condition cannot hold for this request.
    pub skipped_by_index: usize,
}

impl Condition {
    /// The condition's name in Turkish, as people read it.
    pub fn display_name(self) -> &'static str {
        match self {
            Condition::Category => "kategori",
            Condition::Group => "kategori grubu",
            Condition::Kind => "başvuru türü",
            Condition::Channel => "kanal",
            Condition::Priority => "öncelik",
            Condition::Muhtarlik => "muhtarlık",
            Condition::District => "ilçe",
            Condition::Province => "il",
            Condition::Keywords => "anahtar kelime",
            Condition::Area => "konum alanı",
            Condition::InsideMuhtarlik => "muhtarlık sınırı",
            Condition::Unit => "birim",
        }
    }
}

impl Explanation {
    /// The explanation in Turkish for the web pages: each rule by name and line, the
    /// conditions by their Turkish names ([`Condition::display_name`]); `unit_name` gives
    /// a target unit's name. The details of [`Self::lines`] (the values compared) are for
    /// the CLI and the API.
    pub fn describe(&self, unit_name: impl Fn(&str) -> String) -> Vec<String> {
        let names = |checks: &[Check]| {
            let names: Vec<&str> = checks.iter().map(|c| c.condition.display_name()).collect();
            names.join(", ")
        };
        let mut out = Vec::with_capacity(self.tried.len() + 2);
        for a in &self.tried {
            out.push(match &a.outcome {
                AttemptOutcome::NoMatch { failed } => format!(
                    "“{}” kuralı (satır {}) uymadı: {} koşulu tutmadı",
                    a.rule,
                    a.line,
                    failed.condition.display_name()
                ),
                AttemptOutcome::TargetUnavailable { target, .. } => format!(
                    "“{}” kuralı (satır {}) uydu, ama hedefi ({}) kullanılamıyor: sonraki kurala geçildi",
                    a.rule,
                    a.line,
                    unit_name(target)
                ),
            });
        }
        if self.skipped_by_index > 0 {
            out.push(format!(
                "{} kural kategori koşulu tutmadığı için denenmedi",
                self.skipped_by_index
            ));
        }
        let ap = &self.applied;
        if ap.fallback {
            out.push(format!(
                "Hiçbir kural uymadı: talep varsayılan birime ({}) gider",
                unit_name(&ap.target)
            ));
        } else if ap.held.is_empty() {
            out.push(format!(
                "“{}” kuralı (satır {}) uygulandı: hedef {}",
                ap.rule,
                ap.line,
                unit_name(&ap.target)
            ));
        } else {
            out.push(format!(
                "“{}” kuralı (satır {}) uygulandı ({} koşulu tuttu): hedef {}",
                ap.rule,
                ap.line,
                names(&ap.held),
                unit_name(&ap.target)
            ));
        }
        out
    }

    /// The explanation as lines of text for people.
    pub fn lines(&self) -> Vec<String> {
        let mut out = Vec::with_capacity(self.tried.len() + 2);
        for a in &self.tried {
            out.push(match &a.outcome {
                AttemptOutcome::NoMatch { failed } => format!(
                    "rule {:?} (line {}) did not match: {}",
                    a.rule, a.line, failed.detail
                ),
                AttemptOutcome::TargetUnavailable { target, reason, .. } => format!(
                    "rule {:?} (line {}) matched but {target} is unavailable: {reason}; continuing",
                    a.rule, a.line
                ),
            });
        }
        if self.skipped_by_index > 0 {
            out.push(format!(
                "{} other rule(s) skipped: their category condition does not hold",
                self.skipped_by_index
            ));
        }
        let ap = &self.applied;
        if ap.fallback {
            out.push(format!("no rule applied: fallback to {}", ap.target));
        } else {
            let held: Vec<&str> = ap.held.iter().map(|c| c.detail.as_str()).collect();
            out.push(format!(
                "rule {:?} (line {}) applied: {}; target {}",
                ap.rule,
                ap.line,
                held.join(", "),
                ap.target
            ));
        }
        if let Some(n) = &ap.note {
            out.push(n.clone());
        }
        out
    }
}

#[cfg(test)]
mod describe_tests {
    use super::*;

    fn check(condition: Condition) -> Check {
        Check {
            condition,
            detail: "details for the API".into(),
        }
    }

    #[test]
    fn the_turkish_explanation_names_rules_lines_conditions_and_unit_names() {
        let e = Explanation {
            applied: Applied {
                rule: "asfalt".into(),
                line: 12,
                fallback: false,
                held: vec![check(Condition::Category), check(Condition::District)],
                target: "uskudar-fen".into(),
                note: None,
            },
            tried: vec![Attempt {
                rule: "ivedi".into(),
                line: 3,
                outcome: AttemptOutcome::NoMatch {
                    failed: check(Condition::Priority),
                },
            }],
            skipped_by_index: 2,
        };
        let name = |u: &str| format!("<{u}>");
        assert_eq!(
            e.describe(name),
            [
                "“ivedi” kuralı (satır 3) uymadı: öncelik koşulu tutmadı",
                "2 kural kategori koşulu tutmadığı için denenmedi",
                "“asfalt” kuralı (satır 12) uygulandı (kategori, ilçe koşulu tuttu): hedef <uskudar-fen>",
            ]
        );
        let fallback = Explanation {
            applied: Applied {
                rule: "fallback".into(),
                line: 0,
                fallback: true,
                held: vec![],
                target: "muhtarliklar-db".into(),
                note: None,
            },
            tried: vec![],
            skipped_by_index: 0,
        };
        assert_eq!(
            fallback.describe(name),
            ["Hiçbir kural uymadı: talep varsayılan birime (<muhtarliklar-db>) gider"]
        );
        // No English detail leaks into the Turkish lines.
        assert!(e.describe(name).iter().all(|l| !l.contains("details")));
    }
}
