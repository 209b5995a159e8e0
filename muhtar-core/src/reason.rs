//! Reason codes (gerekçe) for requests that could not be fulfilled.
//!
//! The built-in list is docs/domain.md section 4; a tenant can add its own codes in its
//! organisation file (`[[reason]]`). The code `other` (diğer) requires free text.
//!
//! The refusal grounds of Law 4982 (right to information: arts. 15–27, and art. 7, a
//! request that needs a separate study) and `fee-unpaid` (art. 12, set by the sweep)
//! are built in too, marked with `law = "4982"` so that lists can group them
//! ([`ReasonCode::law_4982`]).

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
    /// The law the reason belongs to (`4982` for the refusal grounds of the right to
    /// information), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub law: Option<String>,
}

/// The reason used when a muhtar withdraws a request.
pub const WITHDRAWN: &str = "withdrawn";
/// The reason used when a request is merged into a duplicate.
pub const DUPLICATE: &str = "duplicate";
/// The reason that requires free text.
pub const OTHER: &str = "other";
/// Law 4982 art. 12: the fee went unpaid, the application is deemed withdrawn.
pub const FEE_UNPAID: &str = "fee-unpaid";

/// The reasons of Law 4982: code, Turkish name (with the article), English name.
const LAW_4982: &[(&str, &str, &str)] = &[
    (
        "requires-separate-study",
        "Ayrı veya özel bir çalışma, araştırma, inceleme ya da analiz gerektiriyor (4982 md. 7)",
        "Requires a separate study or research (Law 4982 art. 7)",
    ),
    (
        FEE_UNPAID,
        "Ücret süresinde ödenmedi, başvurudan vazgeçilmiş sayıldı (4982 md. 12)",
        "Fee unpaid in time, deemed withdrawn (Law 4982 art. 12)",
    ),
    (
        "outside-judicial-review",
        "Yargı denetimi dışında kalan işlem (4982 md. 15)",
        "Act outside judicial review (Law 4982 art. 15)",
    ),
    (
        "state-secret",
        "Devlet sırrı (4982 md. 16)",
        "State secret (Law 4982 art. 16)",
    ),
    (
        "economic-interest",
        "Ülkenin ekonomik çıkarları (4982 md. 17)",
        "Economic interests of the country (Law 4982 art. 17)",
    ),
    (
        "intelligence",
        "İstihbarat (4982 md. 18)",
        "Intelligence (Law 4982 art. 18)",
    ),
    (
        "administrative-investigation",
        "İdari soruşturma (4982 md. 19)",
        "Administrative investigation (Law 4982 art. 19)",
    ),
    (
        "judicial-investigation",
        "Adli soruşturma ve kovuşturma (4982 md. 20)",
        "Judicial investigation and prosecution (Law 4982 art. 20)",
    ),
    (
        "private-life",
        "Özel hayatın gizliliği (4982 md. 21)",
        "Privacy of private life (Law 4982 art. 21)",
    ),
    (
        "communication-secrecy",
        "Haberleşmenin gizliliği (4982 md. 22)",
        "Secrecy of communication (Law 4982 art. 22)",
    ),
    (
        "trade-secret",
        "Ticari sır (4982 md. 23)",
        "Trade secret (Law 4982 art. 23)",
    ),
    (
        "intellectual-works",
        "Fikir ve sanat eserleri (4982 md. 24)",
        "Intellectual and artistic works (Law 4982 art. 24)",
    ),
    (
        "internal-regulation",
        "Kurum içi düzenleme (4982 md. 25)",
        "Internal regulation (Law 4982 art. 25)",
    ),
    (
        "internal-opinion",
        "Kurum içi görüş, bilgi notu ve tavsiye (4982 md. 26)",
        "Internal opinion, briefing note or recommendation (Law 4982 art. 26)",
    ),
    (
        "advice-request",
        "Tavsiye ve mütalaa talebi (4982 md. 27)",
        "Request for advice or an opinion (Law 4982 art. 27)",
    ),
];

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
    /// The code is neither built in nor defined by the tenant; every valid code is
    /// listed, those of Law 4982 apart.
    #[error(
        "unknown reason code {code:?}; valid: {}; Law 4982 (information requests): {}",
        general.join(", "),
        law_4982.join(", ")
    )]
    Unknown {
        /// The code given.
        code: String,
        /// The valid codes outside Law 4982: built-in, then the tenant's.
        general: Vec<String>,
        /// The valid codes of Law 4982: built-in, then the tenant's.
        law_4982: Vec<String>,
    },
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
        let def = |c: &str, tr: &str, en: &str, t: bool, law: Option<&str>| ReasonDef {
            code: c.to_owned(),
            name: tr.to_owned(),
            name_en: en.to_owned(),
            requires_text: t,
            law: law.map(str::to_owned),
        };
        BUILTIN
            .iter()
            .find(|(c, ..)| *c == code)
            .map(|(c, tr, en, t)| def(c, tr, en, *t, None))
            .or_else(|| {
                LAW_4982
                    .iter()
                    .find(|(c, ..)| *c == code)
                    .map(|(c, tr, en)| def(c, tr, en, false, Some("4982")))
            })
    }

    /// Every built-in reason: those of docs/domain.md §4, then those of Law 4982.
    pub fn builtins() -> Vec<ReasonDef> {
        BUILTIN
            .iter()
            .map(|(c, ..)| *c)
            .chain(LAW_4982.iter().map(|(c, ..)| *c))
            .filter_map(Self::builtin)
            .collect()
    }

    /// The built-in reasons of Law 4982 (right to information): its refusal grounds
    /// (arts. 7, 15–27) and `fee-unpaid` (art. 12).
    pub fn law_4982() -> Vec<ReasonDef> {
        LAW_4982
            .iter()
            .filter_map(|(c, ..)| Self::builtin(c))
            .collect()
    }

    /// The definition of this code in `org` (built-in or tenant-defined).
    pub fn definition(&self, org: &Organisation) -> Result<ReasonDef, ReasonError> {
        Self::builtin(&self.0)
            .or_else(|| org.reasons.iter().find(|r| r.code == self.0).cloned())
            .ok_or_else(|| {
                let (law_4982, general): (Vec<ReasonDef>, Vec<ReasonDef>) = Self::builtins()
                    .into_iter()
                    .chain(org.reasons.iter().cloned())
                    .partition(|r| r.law.as_deref() == Some("4982"));
                let codes = |v: Vec<ReasonDef>| v.into_iter().map(|r| r.code).collect();
                ReasonError::Unknown {
                    code: self.0.clone(),
                    general: codes(general),
                    law_4982: codes(law_4982),
                }
            })
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unknown_reason_lists_every_valid_code_with_law_4982_apart() {
        let org = crate::testkit::fixtures::organisation("a");
        let e = ReasonCode::new("yok").check(&org, None).unwrap_err();
        let text = e.to_string();
        assert!(
            text.starts_with("unknown reason code \"yok\"; valid: not-our-authority, no-budget, "),
            "{text}"
        );
        let law = text
            .split("Law 4982 (information requests): ")
            .nth(1)
            .unwrap();
        let law: Vec<&str> = law.split(", ").collect();
        assert_eq!(law.len(), 15, "{law:?}");
        assert_eq!(law.len(), ReasonCode::law_4982().len());
    }
}
