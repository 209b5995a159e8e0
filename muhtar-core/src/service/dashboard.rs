//! The back office's dashboard ([`Mbs::dashboard`]): received today and this week
//! (Europe/Istanbul days, weeks from Monday), open and overdue now, overdue by unit and
//! the top categories, counted by the store's report aggregation
//! ([`crate::store::ReportStore::report_cube`]): three store queries whatever the number
//! of requests, never a listing.
//!
//! The counts follow the report's definitions ([`crate::report`]) over a window ending
//! now: **open** is a request not concluded (answered, withdrawn, merged) before now,
//! **overdue** an open one whose resolution deadline is before now (the same set as
//! [`Mbs::list_overdue`]); a request counts for the unit it is with now. The turning of
//! three cubes into the dashboard is the pure [`Dashboard::of`].

use chrono::{Datelike, Duration, NaiveTime, TimeZone};
use serde::Serialize;

use super::*;
use crate::report::{Cube, CubeQuery, Dimension, Window};

/// How many categories [`Dashboard::top_categories`] holds at most.
pub const TOP_CATEGORIES: usize = 5;

/// One unit's line of the dashboard: its open and overdue requests now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct UnitLine {
    /// The unit's code; empty for requests not routed to any unit.
    pub code: String,
    /// Its name as people read it (the organisation's; "Birime verilmemiş" when unrouted).
    pub name: String,
    /// Open requests with the unit now.
    pub open: u64,
    /// Of those, past their resolution deadline.
    pub overdue: u64,
}

/// One category's line of the dashboard.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct CategoryLine {
    /// The category's code.
    pub code: String,
    /// Its name (the organisation's; the code if it has none any more).
    pub name: String,
    /// Requests of the category received this week.
    pub received_week: u64,
    /// Open requests of the category now.
    pub open: u64,
}

/// The dashboard of a tenant at one instant ([`Mbs::dashboard`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Dashboard {
    /// When it was counted.
    pub at: DateTime<Utc>,
    /// The first day of this week (Monday, Istanbul).
    pub week_start: chrono::NaiveDate,
    /// Requests received today (Istanbul day).
    pub received_today: u64,
    /// Requests received this week (from Monday 00:00 Istanbul).
    pub received_week: u64,
    /// Requests open now.
    pub open: u64,
    /// Open requests past their resolution deadline now.
    pub overdue: u64,
    /// Units with open requests, most overdue first (then most open, then name).
    pub by_unit: Vec<UnitLine>,
    /// The [`TOP_CATEGORIES`] categories with most requests this week, then most open
    /// (categories with neither are left out).
    pub top_categories: Vec<CategoryLine>,
}

/// The first instant of the Istanbul day `d`.
fn day_start(d: chrono::NaiveDate) -> Result<DateTime<Utc>, ServiceError> {
    crate::calendar::from_istanbul_local(d.and_time(NaiveTime::MIN))
        .map_err(|e| SlaError::from(e).into())
}

/// Where counting starts for "now": before any request can have been received.
pub(super) fn beginning() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2000, 1, 1, 0, 0, 0)
        .single()
        .unwrap_or_default()
}

impl Dashboard {
    /// The dashboard of the three cubes counted at `at`: `now` over every request
    /// received before `at` (open and overdue at `at`), `week` and `today` over those
    /// received since this week's and today's start; names from `org`.
    pub fn of(
        org: &Organisation,
        at: DateTime<Utc>,
        now: &Cube,
        week: &Cube,
        today: &Cube,
    ) -> Dashboard {
        let local = crate::calendar::local_date(at);
        let week_start = local - Duration::days(i64::from(local.weekday().num_days_from_monday()));
        let by = |c: &Cube, d: Dimension| c.by.get(&d).cloned().unwrap_or_default();
        let mut by_unit: Vec<UnitLine> = by(now, Dimension::Unit)
            .into_iter()
            .filter(|(_, t)| t.open_at_end > 0)
            .map(|(code, t)| UnitLine {
                name: UnitCode::new(&code)
                    .ok()
                    .and_then(|u| org.unit(&u))
                    .map(|u| u.name.clone())
                    .unwrap_or_else(|| match code.as_str() {
                        "" => "Birime verilmemiş".into(),
                        c => c.to_owned(),
                    }),
                code,
                open: t.open_at_end,
                overdue: t.overdue_at_end,
            })
            .collect();
        by_unit.sort_by(|a, b| {
            (b.overdue, b.open)
                .cmp(&(a.overdue, a.open))
                .then_with(|| a.name.cmp(&b.name))
        });
        let week_by = by(week, Dimension::Category);
        let now_by = by(now, Dimension::Category);
        let mut codes: Vec<&String> = week_by.keys().chain(now_by.keys()).collect();
        codes.sort();
        codes.dedup();
        let mut top_categories: Vec<CategoryLine> = codes
            .into_iter()
            .map(|code| CategoryLine {
                code: code.clone(),
                name: org
                    .category(code)
                    .map(|c| c.name.clone())
                    .unwrap_or_else(|| code.clone()),
                received_week: week_by.get(code).map_or(0, |t| t.received),
                open: now_by.get(code).map_or(0, |t| t.open_at_end),
            })
            .filter(|c| c.received_week > 0 || c.open > 0)
            .collect();
        top_categories.sort_by(|a, b| {
            (b.received_week, b.open)
                .cmp(&(a.received_week, a.open))
                .then_with(|| a.name.cmp(&b.name))
        });
        top_categories.truncate(TOP_CATEGORIES);
        Dashboard {
            at,
            week_start,
            received_today: today.total.received,
            received_week: week.total.received,
            open: now.total.open_at_end,
            overdue: now.total.overdue_at_end,
            by_unit,
            top_categories,
        }
    }
}

impl<S: Store, C: Clock> Mbs<S, C> {
    /// The tenant's dashboard now (module docs): for those who may read the whole
    /// tenant's reports (coordinators, officials, auditors, administrators). Three store
    /// queries.
    pub async fn dashboard(&self, actor: &Actor) -> Result<Dashboard, ServiceError> {
        let ctx = self.context(&actor.tenant).await?;
        authorize(
            actor,
            Action::ReadReport,
            &Target::Tenant(&actor.tenant),
            &ctx.org,
        )?;
        let at = self.clock.now();
        // The window ends just after now: a request received at this very instant counts.
        let end = at + Duration::microseconds(1);
        let today = crate::calendar::local_date(at);
        let week = today - Duration::days(i64::from(today.weekday().num_days_from_monday()));
        let query = |start| CubeQuery {
            window: Window { start, end },
            units: None,
        };
        let store = &self.store;
        let now_cube = store
            .report_cube(&actor.tenant, &query(beginning()))
            .await?;
        let week_cube = store
            .report_cube(&actor.tenant, &query(day_start(week)?))
            .await?;
        let today_cube = store
            .report_cube(&actor.tenant, &query(day_start(today)?))
            .await?;
        Ok(Dashboard::of(
            &ctx.org,
            at,
            &now_cube,
            &week_cube,
            &today_cube,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testkit::fixtures;

    #[test]
    fn counts_come_from_the_cubes_with_names_and_the_most_overdue_unit_first() {
        block(async {
            let (mbs, t) = fixtures::service("pano", 1).await;
            let coord = Actor::parse(&t, "coordinator").unwrap();
            let muhtar = Actor::parse(&t, "muhtar:kuzguncuk").unwrap();
            for cat in ["asfalt-onarim", "asfalt-onarim", "cop"] {
                mbs.submit(
                    &muhtar,
                    fixtures::request_builder("kuzguncuk").category(cat).build(),
                )
                .await
                .unwrap();
            }
            let d = mbs.dashboard(&coord).await.unwrap();
            assert_eq!(
                (d.received_today, d.received_week, d.open, d.overdue),
                (3, 3, 3, 0)
            );
            assert_eq!(d.top_categories[0].name, "Asfalt onarımı");
            assert_eq!(d.top_categories[0].received_week, 2);
            assert_eq!(d.by_unit.iter().map(|u| u.open).sum::<u64>(), 3);
            assert!(d
                .by_unit
                .iter()
                .all(|u| !u.name.is_empty() && u.name != u.code));
            let e = mbs.dashboard(&muhtar).await.unwrap_err();
            assert!(matches!(e, ServiceError::Forbidden(_)), "{e}");
        });
    }

    fn block(f: impl std::future::Future<Output = ()>) {
        crate::testkit::block_on(f)
    }
}
