//! Reason codes (gerekçe) for requests that could not be fulfilled.
//!
//! The built-in list is DOMAIN.md section 4; a tenant can add its own codes in its
//! organisation file (`[[reason]]`). The code `other` (diğer) requires free text.

use serde::{Deserialize, Serialize};

use crate::org::Organisation;

/// A reason code as stored on an answer, e.g. `no-budget`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ReasonCode(pub String);

/// The definition of a reason code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReasonDef {
    /// Stable code.
    pub code: String,
    /// Text shown in Turkish.
    pub name: String,
    /// Text shown in English.
    #[serde(default)]
    pub name_en: String,
    /// Whether an answer with this reason must carry explanatory text.
    #[serde(default)]
    pub requires_text: bool,
}

/// The reason used when a muhtar withdraws a request.
pub const WITHDRAWN: &str = "withdrawn";
/// The reason used when a request is merged into a duplicate.
pub const DUPLICATE: &str = "duplicate";
/// The reason that requires free text.
pub const OTHER: &str = "other";

const BUILTIN: &[(&str, &str, &str, bool)] = &[
    (
        "not-our-authority",
        "Kurumumuzun yetki alanında değil",
        "Not within our authority",
        false,
    ),
    ("no-budget", "Bütçe imkânı yok", "No budget", false),
    (
        "against-law-or-plan",
        "Mevzuata veya imar planına aykırı",
        "Against the law or the zoning plan",
        false,
    ),
    (
        "technically-impossible",
        "Teknik olarak mümkün değil",
        "Technically impossible",
        false,
    ),
    (
        "planned-later",
        "İleriki bir programa alındı",
        "Planned for a later programme",
        false,
    ),
    (DUPLICATE, "Mükerrer talep", "Duplicate", false),
    (
        WITHDRAWN,
        "Muhtar tarafından geri çekildi",
        "Withdrawn by the muhtar",
        false,
    ),
    (OTHER, "Diğer", "Other", true),
];

/// Why a reason was not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ReasonError {
    /// The code is neither built in nor defined by the tenant.
    #[error("unknown reason code {0:?}")]
    Unknown(String),
    /// The code requires explanatory text and none was given.
    #[error("reason {0:?} requires an explanation")]
    TextRequired(String),
}

impl ReasonCode {
    /// A reason code from text.
    pub fn new(code: impl Into<String>) -> Self {
        Self(code.into())
    }

    /// The built-in definition of `code`, if it is one.
    pub fn builtin(code: &str) -> Option<ReasonDef> {
        BUILTIN
            .iter()
            .find(|(c, ..)| *c == code)
            .map(|(c, tr, en, t)| ReasonDef {
                code: (*c).to_owned(),
                name: (*tr).to_owned(),
                name_en: (*en).to_owned(),
                requires_text: *t,
            })
    }

    /// Every built-in reason.
    pub fn builtins() -> Vec<ReasonDef> {
        BUILTIN
            .iter()
            .filter_map(|(c, ..)| Self::builtin(c))
            .collect()
    }

    /// The definition of this code in `org` (built-in or tenant-defined).
    pub fn definition(&self, org: &Organisation) -> Result<ReasonDef, ReasonError> {
        Self::builtin(&self.0)
            .or_else(|| org.reasons.iter().find(|r| r.code == self.0).cloned())
            .ok_or_else(|| ReasonError::Unknown(self.0.clone()))
    }

    /// The Turkish name people read; the code itself when `org` does not know it.
    pub fn display_name(&self, org: &Organisation) -> String {
        self.definition(org)
            .map(|d| d.name)
            .unwrap_or_else(|_| self.0.clone())
    }

    /// Checks the code is known to `org` and that text is given where it is required.
    pub fn check(&self, org: &Organisation, text: Option<&str>) -> Result<ReasonDef, ReasonError> {
        let def = self.definition(org)?;
        if def.requires_text && text.map(str::trim).unwrap_or("").is_empty() {
            return Err(ReasonError::TextRequired(self.0.clone()));
        }
        Ok(def)
    }
}

impl std::fmt::Display for ReasonCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}
