//! The deadline listings: overdue and at-risk requests, one definition for every
//! caller (the CLI's `list --overdue/--at-risk`, REST `overdue=true`/`at_risk=true`, a
//! portal's dashboard).
//!
//! - **Overdue**: open, and the stored resolution deadline has passed (before now).
//!   One store query (`statuses` open, `due_before` now).
//! - **At risk**: open, the stored resolution deadline not yet passed (now at or before
//!   it: the clock's own rule, breached only after the deadline), and the
//!   resolution clock is within its policy's warning window now
//!   ([`ClockState::AtRisk`], `SlaPolicy::at_risk_working_days`). The store narrows
//!   to open requests due before the latest day any policy's window can reach
//!   ([`at_risk_horizon`]); the clocks of those are evaluated.
//!
//! The two sets never meet: an overdue request's deadline has passed, an at-risk one's
//! has not. Answered, closed, withdrawn and merged requests are in neither.

use chrono::{Duration, NaiveTime};

use super::*;
use crate::store::{Cursor, MAX_PAGE};

/// `query` narrowed to open requests (the statuses it names that are open; every open
/// status when it names none).
pub(super) fn open_only(mut query: RequestQuery) -> RequestQuery {
    query.statuses = Some(match query.statuses.take() {
        Some(s) => s.into_iter().filter(|x| x.is_open()).collect(),
        None => Status::ALL.into_iter().filter(|s| s.is_open()).collect(),
    });
    query
}

/// `query` narrowed to deadlines before `t`.
pub(super) fn due_before(mut query: RequestQuery, t: DateTime<Utc>) -> RequestQuery {
    query.due_before = Some(query.due_before.map_or(t, |d| d.min(t)));
    query
}

/// An instant every at-risk request's resolution deadline lies before at `now`, or
/// `None` when no policy of the tenant has a warning window (nothing can be at risk).
///
/// A clock is at risk from the start of the day `at_risk_working_days - 1` working days
/// before its due date, so at `now` only due dates up to that many working days after
/// today can be: the latest such date over the tenant's policies, plus a day to spare.
fn at_risk_horizon(
    ctx: &TenantContext,
    now: DateTime<Utc>,
) -> Result<Option<DateTime<Utc>>, ServiceError> {
    let today = crate::calendar::local_date(now);
    let mut last: Option<chrono::NaiveDate> = None;
    for p in ctx.policies.iter().filter(|p| p.at_risk_working_days > 0) {
        let d = ctx
            .calendar
            .business_days(p.count_mode())
            .add_business_days(today, p.at_risk_working_days - 1)
            .map_err(SlaError::from)?;
        last = last.max(Some(d));
    }
    last.map(|d| {
        crate::calendar::from_istanbul_local((d + Duration::days(2)).and_time(NaiveTime::MIN))
            .map_err(|e| SlaError::from(e).into())
    })
    .transpose()
}

impl<S: Store, C: Clock> Mbs<S, C> {
    /// Open requests past their resolution deadline now (module docs), within `query`'s
    /// filters, order and paging, as the actor may see them ([`Self::list`]).
    pub async fn list_overdue(
        &self,
        actor: &Actor,
        query: RequestQuery,
    ) -> Result<Page<RequestRecord>, ServiceError> {
        let now = self.clock.now();
        self.list(actor, due_before(open_only(query), now)).await
    }

    /// Open requests not yet overdue whose resolution clock is within its policy's
    /// warning window now (module docs), within `query`'s filters and order, as the
    /// actor may see them ([`Self::list`]). A page holds up to `query`'s page size; its
    /// `next` continues after its last item.
    pub async fn list_at_risk(
        &self,
        actor: &Actor,
        query: RequestQuery,
    ) -> Result<Page<RequestRecord>, ServiceError> {
        let ctx = self.context(&actor.tenant).await?;
        let now = self.clock.now();
        let want = query.page_size() as usize;
        let order = query.order;
        let Some(horizon) = at_risk_horizon(&ctx, now)? else {
            // Still authorized and checked like any listing.
            self.list(actor, RequestQuery { limit: 1, ..query }).await?;
            return Ok(Page {
                items: Vec::new(),
                next: None,
            });
        };
        let mut scan = due_before(open_only(query), horizon);
        scan.limit = MAX_PAGE;
        let mut items = Vec::new();
        loop {
            let page = self.list(actor, scan.clone()).await?;
            let n = page.items.len();
            for (i, r) in page.items.into_iter().enumerate() {
                if !self.is_at_risk(&ctx, &r, now).await? {
                    continue;
                }
                items.push(r);
                if items.len() == want {
                    let more = i + 1 < n || page.next.is_some();
                    let next = more.then(|| Cursor::after(&items[want - 1], order));
                    return Ok(Page { items, next });
                }
            }
            match page.next {
                Some(c) => scan.after = Some(c),
                None => return Ok(Page { items, next: None }),
            }
        }
    }

    /// Whether an open request's resolution clock is at risk now (not yet overdue).
    async fn is_at_risk(
        &self,
        ctx: &TenantContext,
        r: &RequestRecord,
        now: DateTime<Utc>,
    ) -> Result<bool, ServiceError> {
        if !r.state.status.is_open() || r.deadlines.resolution_due.is_none_or(|due| due < now) {
            return Ok(false);
        }
        let events = self.store.events(&r.state.tenant, r.state.id).await?;
        let eval = ctx.evaluate(&r.state, &events, now)?;
        Ok(eval.resolution.state == ClockState::AtRisk)
    }
}
