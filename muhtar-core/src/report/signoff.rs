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

/// One total of the report whose value now differs from the signed one.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FigureChange {
    /// The stable field name, e.g. `received`.
    pub field: &'static str,
    /// Its Turkish label, e.g. `Alınan`.
    pub label: &'static str,
    /// The value in the signed report.
    pub signed: Option<f64>,
    /// The value computed now.
    pub current: Option<f64>,
}

/// How the data now compares with a signed report's frozen snapshot
/// ([`SignedReport::compare`]).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SnapshotCheck {
    /// The content hash of the report computed now, as if computed at the signing
    /// instant (so only the data can make it differ from [`SignedReport::content_hash`]).
    pub current_hash: String,
    /// Whether the report computed now is the signed one.
    pub unchanged: bool,
    /// The totals that differ (empty when only breakdowns or names differ).
    pub changes: Vec<FigureChange>,
}

/// The note when the data now gives the signed report.
pub const SNAPSHOT_SAME: &str = "Güncel veriler imzalı sürümle aynı";
/// The note when it does not.
pub const SNAPSHOT_CHANGED: &str = "İmzalı sürümden sonra veriler değişti: düzeltme gerekebilir";

impl SnapshotCheck {
    /// What a person reads: [`SNAPSHOT_SAME`], or [`SNAPSHOT_CHANGED`] with the changed
    /// totals (`Alınan 12 → 13`).
    pub fn note(&self) -> String {
        if self.unchanged {
            return SNAPSHOT_SAME.to_owned();
        }
        if self.changes.is_empty() {
            return SNAPSHOT_CHANGED.to_owned();
        }
        let num = |v: Option<f64>| v.map(|x| format!("{x}")).unwrap_or_else(|| "–".into());
        let changes: Vec<String> = self
            .changes
            .iter()
            .map(|c| format!("{} {} → {}", c.label, num(c.signed), num(c.current)))
            .collect();
        format!("{SNAPSHOT_CHANGED} ({})", changes.join(", "))
    }
}

impl SignedReport {
    /// Compares the frozen report with `current`, the same quarter and scope computed
    /// from today's data: equal content hashes once `current` is dated at the signed
    /// report's computing instant, and the totals that differ.
    pub fn compare(&self, current: &QuarterlyReport) -> SnapshotCheck {
        let mut now = current.clone();
        now.generated_at = self.report.generated_at;
        // A snapshot signed before documents were counted is compared without them: their
        // count and definition are not a change of the data.
        if self.report.documents.is_none() && now.documents.take().is_some() {
            now.definitions.retain(|d| d.field != "documents");
        }
        let current_hash = content_hash(&now);
        let mut changes: Vec<FigureChange> = super::render::total_figures(&self.report.totals)
            .into_iter()
            .zip(super::render::total_figures(&now.totals))
            .filter(|((_, _, a), (_, _, b))| a != b)
            .map(|((field, label, signed), (_, _, current))| FigureChange {
                field,
                label,
                signed,
                current,
            })
            .collect();
        if let (Some(a), Some(b)) = (self.report.documents, now.documents) {
            changes.extend(
                a.figures()
                    .into_iter()
                    .zip(b.figures())
                    .filter(|((_, _, x), (_, _, y))| x != y)
                    .map(|((field, label, x), (_, _, y))| FigureChange {
                        field,
                        label,
                        signed: Some(x as f64),
                        current: Some(y as f64),
                    }),
            );
        }
        SnapshotCheck {
            unchanged: current_hash == self.content_hash,
            current_hash,
            changes,
        }
    }

    /// The sign-off as the `signed` object of a signed quarter's report JSON: id,
    /// version, `supersedes`, `signed_by`, `official`, `signed_at` (UTC) and
    /// `signed_at_local` (Istanbul), note, `content_hash`, and with `check` the
    /// comparison with today's data (`data_changed`, `current_hash`, `changes`,
    /// `data_note`).
    pub fn signature_json(&self, check: Option<&SnapshotCheck>) -> serde_json::Value {
        let mut v = serde_json::json!({
            "id": self.id,
            "version": self.version,
            "supersedes": self.supersedes,
            "signed_by": self.signed_by,
            "official": self.official,
            "signed_at": self.signed_at,
            "signed_at_local": crate::request::sheet::local_time(self.signed_at),
            "note": self.note,
            "content_hash": self.content_hash,
        });
        if let (Some(c), Some(o)) = (check, v.as_object_mut()) {
            o.insert("data_changed".into(), (!c.unchanged).into());
            o.insert("current_hash".into(), c.current_hash.clone().into());
            o.insert(
                "changes".into(),
                serde_json::to_value(&c.changes).unwrap_or_default(),
            );
            o.insert("data_note".into(), c.note().into());
        }
        v
    }

    /// One line saying the report is signed: `İmzalı rapor: sürüm 2 (düzeltme),
    /// official@ayse, 2026-04-02 10:00 (İstanbul), sha256 …`.
    pub fn signature_line(&self) -> String {
        format!(
            "İmzalı rapor: sürüm {}{}, imzalayan {}{}, {} (İstanbul), sha256 {}",
            self.version,
            if self.supersedes.is_some() {
                " (düzeltme)"
            } else {
                ""
            },
            self.signed_by,
            self.official
                .as_ref()
                .map(|o| format!(" ({})", o.name))
                .unwrap_or_default(),
            crate::request::sheet::local_time(self.signed_at),
            self.content_hash
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::Cube;

    fn signed(report: QuarterlyReport) -> SignedReport {
        SignedReport {
            id: Uuid::nil(),
            tenant: report.tenant.clone(),
            quarter: report.quarter.expect("a quarter"),
            unit: None,
            version: 1,
            supersedes: None,
            signed_by: "official".into(),
            official: None,
            signed_at: report.generated_at,
            note: "Uygundur".into(),
            content_hash: content_hash(&report),
            report,
        }
    }

    #[test]
    fn the_same_data_later_is_the_signed_snapshot_and_other_data_is_not() {
        let org = crate::testkit::fixtures::organisation("t1");
        let q: Quarter = "2025Q1".parse().unwrap();
        let r = QuarterlyReport::build(&Cube::default(), &org, q, None, q.end());
        let s = signed(r.clone());

        // Computed a month later from the same data: the same report.
        let mut later = r.clone();
        later.generated_at = q.end() + chrono::Duration::days(30);
        let same = s.compare(&later);
        assert!(same.unchanged && same.changes.is_empty(), "{same:?}");
        assert_eq!(same.current_hash, s.content_hash);
        assert_eq!(same.note(), SNAPSHOT_SAME);

        // A request more: changed, and the note says which total.
        later.totals.received += 1;
        later.totals.open_at_end += 1;
        let changed = s.compare(&later);
        assert!(!changed.unchanged);
        assert_ne!(changed.current_hash, s.content_hash);
        let fields: Vec<_> = changed.changes.iter().map(|c| c.field).collect();
        assert_eq!(fields, ["received", "open_at_end"]);
        assert_eq!(
            changed.note(),
            format!("{SNAPSHOT_CHANGED} (Alınan 0 → 1, Dönem sonu açık 0 → 1)")
        );

        // A change outside the totals (the tenant renamed) is a change too.
        let mut renamed = r;
        renamed.tenant_name.push_str(" Belediyesi");
        let other = s.compare(&renamed);
        assert!(!other.unchanged && other.changes.is_empty());
        assert_eq!(other.note(), SNAPSHOT_CHANGED);
        let json = s.signature_json(Some(&other));
        assert_eq!(json["data_changed"], true);
        assert_eq!(json["version"], 1);
        assert!(s.signature_line().contains("sürüm 1, imzalayan official"));
    }
}
