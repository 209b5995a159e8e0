//! Sign-off (onay): a frozen snapshot of a report with a content hash, versioned.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::{OfficialRef, Quarter, QuarterlyReport, ReportError};
use crate::ids::{TenantId, UnitCode};

/// The longest sign-off note, in characters.
pub const MAX_NOTE: usize = 4000;

/// A signed-off report: frozen. Data changed later does not alter it; a correction is a
/// new version whose `supersedes` names this one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SignedReport {
    /// Id.
    pub id: Uuid,
    /// Tenant.
    pub tenant: TenantId,
    /// Quarter.
    pub quarter: Quarter,
    /// The unit it is narrowed to; `None`: the whole tenant.
    pub unit: Option<UnitCode>,
    /// 1 for the first sign-off of this quarter and scope, then 2, 3... for corrections.
    pub version: u32,
    /// The version this one corrects.
    pub supersedes: Option<Uuid>,
    /// Who signed: the actor, e.g. `official@ayse`.
    pub signed_by: String,
    /// The responsible official of the organisation at signing.
    pub official: Option<OfficialRef>,
    /// When.
    pub signed_at: DateTime<Utc>,
    /// The signer's note (for a correction: what was corrected).
    pub note: String,
    /// SHA-256 (hex) of the report's canonical JSON: [`content_hash`].
    pub content_hash: String,
    /// The frozen report.
    pub report: QuarterlyReport,
}

/// The SHA-256 (hex) of a report's canonical JSON (its serde JSON, compact, fields in
/// declaration order). Anyone can recompute it from the signed JSON's `report`.
pub fn content_hash(report: &QuarterlyReport) -> String {
    let bytes = serde_json::to_vec(report).expect("a report always serialises");
    hex::encode(Sha256::digest(&bytes))
}

impl SignedReport {
    /// Checks the note: required, at most `MAX_NOTE` (4,000) characters; returns it trimmed.
    pub fn check_note(note: &str) -> Result<String, ReportError> {
        let t = note.trim();
        if t.is_empty() {
            return Err(ReportError::NoteRequired);
        }
        if t.chars().count() > MAX_NOTE {
            return Err(ReportError::NoteTooLong { max: MAX_NOTE });
        }
        Ok(t.to_owned())
    }

    /// Whether the frozen report still matches its hash.
    pub fn verify(&self) -> Result<(), ReportError> {
        if content_hash(&self.report) == self.content_hash {
            Ok(())
        } else {
            Err(ReportError::HashMismatch(self.id.to_string()))
        }
    }

    /// The scope key stores index by: the unit code, or empty for the whole tenant.
    pub fn scope_key(&self) -> &str {
        self.unit.as_ref().map(|u| u.as_str()).unwrap_or("")
    }
}
