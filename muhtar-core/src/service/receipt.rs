//! Who may say when a request arrived (`received_at`), and what the public may read of a
//! request by its tracking number.
//!
//! **Backdating.** Only back-office staff (the coordinator; unit staff entering a paper
//! letter) may give `received_at`. It may lie at most
//! [`TenantSettings::received_at_window_days`] back (default 30) and never in the future.
//! A receipt inside a quarter whose report is already signed is refused, unless the
//! coordinator forces it with a reason ([`Mbs::submit_forced`]): the reason is recorded on
//! the `received` event ([`ForcedReceipt`]) and the store marks the quarter's signed
//! reports as needing a correction ([`crate::store::ReportCorrection`]). A muhtar's (or an
//! Open311 client's) `received_at` is refused whatever its value: the receipt instant of
//! their requests is the moment the system got them.

use serde::Serialize;

use super::*;
use crate::report::Quarter;
use crate::request::{ForcedReceipt, Outcome, RequestContent};

/// What anyone holding a tracking number may read of a request: no personal data (no
/// citizen contact, no description, no staff names), by construction.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PublicStatus {
    /// Tracking number.
    pub tracking: TrackingNumber,
    /// Status (stable name).
    pub status: Status,
    /// Status, in Turkish.
    pub status_name: String,
    /// The unit handling it, by name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unit_name: Option<String>,
    /// When it was received, Europe/Istanbul.
    pub received_at: DateTime<chrono::FixedOffset>,
    /// The resolution deadline, Europe/Istanbul.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resolution_due: Option<DateTime<chrono::FixedOffset>>,
    /// Outcome (stable name), once answered.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub outcome: Option<Outcome>,
    /// Outcome, in Turkish.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub outcome_name: Option<String>,
    /// The reason's Turkish name, for a negative outcome.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason_name: Option<String>,
}

impl PublicStatus {
    /// The public view of a request.
    pub fn of(rec: &RequestRecord, org: &Organisation) -> Self {
        let s = &rec.state;
        let ist = |t: DateTime<Utc>| crate::calendar::to_istanbul(t).fixed_offset();
        PublicStatus {
            tracking: s.tracking,
            status: s.status,
            status_name: s.status.display_name().to_owned(),
            unit_name: s
                .unit
                .as_ref()
                .and_then(|u| org.unit(u))
                .map(|u| u.name.clone()),
            received_at: ist(s.content.received_at),
            resolution_due: rec.deadlines.resolution_due.map(ist),
            outcome: s.outcome,
            outcome_name: s.outcome.map(|o| o.display_name().to_owned()),
            reason_name: s.reason.as_ref().map(|r| r.display_name(org)),
        }
    }
}

fn refuse(message: impl Into<String>) -> ServiceError {
    ServiceError::Input(InputError::Invalid {
        field: "received_at",
        message: message.into(),
    })
}

impl<S: Store, C: Clock> Mbs<S, C> {
    /// [`Self::submit`] by the coordinator, forcing a `received_at` inside a quarter whose
    /// report is signed: `reason` (required) is recorded on the `received` event and the
    /// quarter's signed reports are marked as needing a correction. Refused for anyone
    /// but the coordinator.
    pub async fn submit_forced(
        &self,
        actor: &Actor,
        new: NewRequest,
        reason: &str,
    ) -> Result<RequestRecord, ServiceError> {
        self.submit_with(actor, new, Some(reason)).await
    }

    /// Applies the backdating rules (module docs) to a validated request's content.
    pub(super) async fn check_receipt(
        &self,
        ctx: &TenantContext,
        actor: &Actor,
        new: &NewRequest,
        content: &mut RequestContent,
        force: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<(), ServiceError> {
        let force = match force.map(str::trim) {
            Some("") => {
                return Err(InputError::Empty {
                    field: "force_reason",
                }
                .into())
            }
            Some(r) => {
                if actor.role != Role::Coordinator {
                    return Err(InputError::Invalid {
                        field: "force_reason",
                        message: "only the coordinator may force a receipt into a signed quarter"
                            .into(),
                    }
                    .into());
                }
                Some(crate::request::check_text(
                    "force_reason",
                    r,
                    crate::request::MAX_SHORT,
                    true,
                )?)
            }
            None => None,
        };
        let Some(given) = new.received_at else {
            return Ok(());
        };
        if !matches!(actor.role, Role::Coordinator | Role::UnitStaff(_)) {
            return Err(refuse(
                "only back-office staff (the coordinator, unit staff entering a paper letter) \
                 may say when a request arrived; leave it out and it is now",
            ));
        }
        if given > now {
            return Err(refuse(format!(
                "{} is in the future",
                crate::calendar::to_istanbul(given).format("%Y-%m-%d %H:%M")
            )));
        }
        let days = ctx.settings.received_at_window_days();
        if given < now - chrono::Duration::days(i64::from(days)) {
            return Err(refuse(format!(
                "{} is more than {days} days back (the tenant's received_at_window_days)",
                crate::calendar::to_istanbul(given).format("%Y-%m-%d %H:%M")
            )));
        }
        let quarter = Quarter::containing(content.received_at);
        let signed = self
            .store
            .signed_reports(&actor.tenant)
            .await?
            .iter()
            .any(|r| r.quarter == quarter);
        if signed {
            match force {
                Some(reason) => {
                    content.received_at_forced = Some(ForcedReceipt { quarter, reason });
                }
                None => {
                    return Err(refuse(format!(
                        "falls in {quarter}, whose report is signed; the coordinator may \
                         force it with a reason (the signed report is then marked as \
                         needing a correction)"
                    )))
                }
            }
        }
        Ok(())
    }

    /// The signed reports the actor may read ([`Self::signed_reports`]), each with the
    /// correction marks that apply to it ([`crate::store::ReportCorrection::applies_to`]):
    /// a non-empty list means the report needs a correction. Only the latest version of
    /// a quarter and scope is marked: a correction signed after the marks settles them.
    pub async fn signed_reports_marked(
        &self,
        actor: &Actor,
    ) -> Result<
        Vec<(
            crate::report::SignedReport,
            Vec<crate::store::ReportCorrection>,
        )>,
        ServiceError,
    > {
        let reports = self.signed_reports(actor).await?;
        let marks = self.store.report_corrections(&actor.tenant).await?;
        let latest: HashMap<(Quarter, String), u32> =
            reports.iter().fold(HashMap::new(), |mut m, r| {
                let v = m.entry((r.quarter, r.scope_key().to_owned())).or_insert(0);
                *v = (*v).max(r.version);
                m
            });
        Ok(reports
            .into_iter()
            .map(|r| {
                let superseded = reports_latest(&latest, &r);
                let m = if superseded {
                    Vec::new()
                } else {
                    marks.iter().filter(|m| m.applies_to(&r)).cloned().collect()
                };
                (r, m)
            })
            .collect())
    }

    /// The public view of a request by tracking number text (no token needed): status,
    /// unit, deadline, outcome and reason names, and nothing personal. A malformed and
    /// an unknown number give the same [`ServiceError::NotFound`].
    pub async fn public_status(
        &self,
        tenant: &TenantId,
        tracking: &str,
    ) -> Result<PublicStatus, ServiceError> {
        let not_found = || ServiceError::NotFound("request".into());
        let t: TrackingNumber = tracking.trim().parse().map_err(|_| not_found())?;
        let ctx = self.context(tenant).await.map_err(|e| match e {
            ServiceError::NotConfigured(_) => not_found(),
            e => e,
        })?;
        let rec = self
            .store
            .load_by_tracking(tenant, &t)
            .await
            .map_err(|e| match e {
                StoreError::NotFound { .. } => not_found(),
                e => e.into(),
            })?;
        Ok(PublicStatus::of(&rec, &ctx.org))
    }
}

/// Whether a later version of `r`'s quarter and scope exists.
fn reports_latest(
    latest: &HashMap<(Quarter, String), u32>,
    r: &crate::report::SignedReport,
) -> bool {
    latest
        .get(&(r.quarter, r.scope_key().to_owned()))
        .is_some_and(|v| *v > r.version)
}
