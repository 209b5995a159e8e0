//! The quarterly report through the façade: drafts, sign-off, signed reports.

use super::*;
use crate::report::{
    content_hash, scope_units, CubeQuery, Quarter, QuarterlyReport, ReportError, ReportPeriod,
    SignedReport, SnapshotCheck,
};
use crate::store::ReportCorrection;

/// A signed quarter as it stands ([`Mbs::signed_quarter`]): its latest signed version,
/// the correction marks on it, and how the report computed from today's data compares.
#[derive(Debug, Clone, PartialEq)]
pub struct SignedQuarter {
    /// The latest signed version of the quarter and scope.
    pub signed: SignedReport,
    /// Its correction marks (requests entered later into the quarter).
    pub corrections: Vec<ReportCorrection>,
    /// Today's data against the signed snapshot.
    pub check: SnapshotCheck,
}

impl<S: Store, C: Clock> Mbs<S, C> {
    fn authorize_report(
        &self,
        actor: &Actor,
        action: Action,
        unit: Option<&UnitCode>,
        org: &Organisation,
    ) -> Result<(), ServiceError> {
        match unit {
            Some(u) => {
                org.known_unit("unit", u.as_str())?;
                authorize(
                    actor,
                    action,
                    &Target::Unit {
                        tenant: &actor.tenant,
                        unit: u,
                    },
                    org,
                )?
            }
            None => authorize(actor, action, &Target::Tenant(&actor.tenant), org)?,
        }
        Ok(())
    }

    /// The quarterly report of `quarter` as it stands now (a draft), for the whole tenant
    /// or narrowed to `unit` and the units below it. The numbers come from the store's
    /// aggregation ([`crate::store::ReportStore::report_cube`]); see [`crate::report`]
    /// for what they mean. Unit staff may read their own unit's report; officials,
    /// coordinators, auditors and administrators any.
    pub async fn report(
        &self,
        actor: &Actor,
        quarter: Quarter,
        unit: Option<&UnitCode>,
    ) -> Result<QuarterlyReport, ServiceError> {
        self.report_period(actor, quarter.into(), unit).await
    }

    /// The report of any `period` (a year, a quarter or a range of dates) with the
    /// quarterly report's definitions, as [`Mbs::report`]; only a quarter's is signable.
    pub async fn report_period(
        &self,
        actor: &Actor,
        period: ReportPeriod,
        unit: Option<&UnitCode>,
    ) -> Result<QuarterlyReport, ServiceError> {
        let ctx = self.context(&actor.tenant).await?;
        self.authorize_report(actor, Action::ReadReport, unit, &ctx.org)?;
        let query = CubeQuery {
            window: period.window(),
            units: unit.map(|u| scope_units(&ctx.org, u)),
        };
        let cube = self.store.report_cube(&actor.tenant, &query).await?;
        // Documents count per registry: a unit's report counts those of its units'
        // registries (see the definitions in `crate::report`).
        let registries: Option<Vec<UnitCode>> = query.units.as_ref().map(|units| {
            let mut r: Vec<UnitCode> = units
                .iter()
                .filter_map(|u| ctx.org.registry_of(u))
                .map(|u| u.code.clone())
                .collect();
            r.sort();
            r.dedup();
            r
        });
        let documents = self
            .store
            .document_counts(
                &actor.tenant,
                query.window.start,
                query.window.end,
                registries.as_deref(),
            )
            .await?;
        let municipal_council = self
            .store
            .municipal_council_count(
                &actor.tenant,
                query.window.start,
                query.window.end,
                query.units.as_deref(),
            )
            .await?;
        Ok(
            QuarterlyReport::build_period(&cube, &ctx.org, period, unit, self.clock.now())
                .with_documents(documents)
                .with_municipal_council(municipal_council),
        )
    }

    /// Signs off the report of an ended `quarter` (whole tenant or `unit`): computes it
    /// now, freezes it with its content hash and stores it. The first sign-off is version
    /// 1; signing again makes a correction, the next version, linked to the latest one.
    /// Only the responsible official may sign ([`ServiceError::Forbidden`] for anyone
    /// else); the note is required.
    pub async fn sign_report(
        &self,
        actor: &Actor,
        quarter: Quarter,
        unit: Option<&UnitCode>,
        note: &str,
    ) -> Result<SignedReport, ServiceError> {
        let ctx = self.context(&actor.tenant).await?;
        self.authorize_report(actor, Action::SignReport, unit, &ctx.org)?;
        let note = SignedReport::check_note(note)?;
        let now = self.clock.now();
        if now < quarter.end() {
            return Err(ReportError::QuarterNotOver {
                quarter,
                end: quarter.end(),
            }
            .into());
        }
        let report = self.report(actor, quarter, unit).await?;
        let latest = self
            .store
            .signed_reports(&actor.tenant)
            .await?
            .into_iter()
            .filter(|r| r.quarter == quarter && r.unit.as_ref() == unit)
            .max_by_key(|r| r.version);
        let signed = SignedReport {
            id: self.ids().uuid_v7(now),
            tenant: actor.tenant.clone(),
            quarter,
            unit: unit.cloned(),
            version: latest.as_ref().map(|r| r.version + 1).unwrap_or(1),
            supersedes: latest.map(|r| r.id),
            signed_by: actor.to_string(),
            official: report.responsible_official.clone(),
            signed_at: now,
            note,
            content_hash: content_hash(&report),
            report,
        };
        self.store.put_signed_report(&signed).await?;
        Ok(signed)
    }

    /// The signed reports the actor may read: all of them for officials, coordinators,
    /// auditors and administrators; unit staff those of their unit and the units below.
    pub async fn signed_reports(&self, actor: &Actor) -> Result<Vec<SignedReport>, ServiceError> {
        let ctx = self.context(&actor.tenant).await?;
        let all = self.store.signed_reports(&actor.tenant).await?;
        if let Role::UnitStaff(_) = actor.role {
            return Ok(all
                .into_iter()
                .filter(|r| {
                    self.authorize_report(actor, Action::ReadReport, r.unit.as_ref(), &ctx.org)
                        .is_ok()
                })
                .collect());
        }
        self.authorize_report(actor, Action::ReadReport, None, &ctx.org)?;
        Ok(all)
    }

    /// One signed report by id, if the actor may read it.
    pub async fn signed_report(
        &self,
        actor: &Actor,
        id: uuid::Uuid,
    ) -> Result<SignedReport, ServiceError> {
        self.signed_reports(actor)
            .await?
            .into_iter()
            .find(|r| r.id == id)
            .ok_or_else(|| ServiceError::NotFound(format!("signed report {id}")))
    }

    /// The latest signed version of `quarter`'s report for the whole tenant or `unit`,
    /// if one is signed and the actor may read it, with its correction marks and the
    /// comparison with the report computed now ([`SignedReport::compare`]): what
    /// `muhtar report --quarter` shows instead of a draft.
    pub async fn signed_quarter(
        &self,
        actor: &Actor,
        quarter: Quarter,
        unit: Option<&UnitCode>,
    ) -> Result<Option<SignedQuarter>, ServiceError> {
        let latest = self
            .signed_reports_marked(actor)
            .await?
            .into_iter()
            .filter(|(r, _)| r.quarter == quarter && r.unit.as_ref() == unit)
            .max_by_key(|(r, _)| r.version);
        let Some((signed, corrections)) = latest else {
            return Ok(None);
        };
        signed.verify()?;
        let current = self.report(actor, quarter, unit).await?;
        let check = signed.compare(&current);
        Ok(Some(SignedQuarter {
            signed,
            corrections,
            check,
        }))
    }
}
