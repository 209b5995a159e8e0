//! Who may say when a request arrived (`received_at`). (What the public may read of a
//! request by its tracking number is in `service/public.rs`.)
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

use super::*;
use crate::report::Quarter;
use crate::request::{ForcedReceipt, RequestContent};

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
                crate::calendar::local_time(given)
            )));
        }
        let days = ctx.settings.received_at_window_days();
        if given < now - chrono::Duration::days(i64::from(days)) {
            return Err(refuse(format!(
                "{} is more than {days} days back (the tenant's received_at_window_days)",
                crate::calendar::local_time(given)
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
