//! The map's reads: requests as points ([`Mbs::map_points`]) and the muhtarlıklar's open
//! and overdue counts ([`Mbs::muhtarlik_counts`]), scoped like the request list, and
//! written as GeoJSON by [`crate::map::features`].
//!
//! Who sees what: the public ([`Role::Public`], no credentials) every located request of
//! the tenant, as [`crate::public::PublicView`] allows (no İVEDİ); a muhtar their
//! muhtarlık's, unit staff their unit's and those below it, the back office (coordinator,
//! official, auditor, administrator) all. A map needs no request's state: the stores
//! answer from columns ([`crate::store::RequestStore::map_points`]) and count from the
//! report's aggregation ([`crate::store::ReportStore::report_cube`], by muhtarlık).

use std::collections::BTreeMap;

use chrono::Duration;

use super::dashboard::beginning;
use super::deadlines::{due_before, open_only};
use super::*;
use crate::ids::MuhtarlikCode;
use crate::map::features::{
    muhtarliklar_feature_collection, requests_feature_collection, Audience, MuhtarlikFeatures,
    RequestFeatures,
};
use crate::map::{MapPoint, MuhtarlikCounts};
use crate::report::{CubeQuery, Dimension, Window};

/// The most points one map read gives (and its default).
pub const MAX_MAP_POINTS: u32 = 100_000;

/// What a map of requests asks for.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MapQuery {
    /// The list's filters, `bbox` among them (its order decides which points come first
    /// when there are more than `limit`; its cursor and page size are not used).
    pub filters: RequestQuery,
    /// Only open requests past their resolution deadline now.
    pub overdue: bool,
    /// At most this many points, 1 to [`MAX_MAP_POINTS`] (0: the most).
    pub limit: u32,
}

/// The answer of [`Mbs::map_points`].
#[derive(Debug, Clone)]
pub struct MapRequests {
    /// The points, urgent first, in the filters' order.
    pub points: Vec<MapPoint>,
    /// Whether more requests matched than `points` holds.
    pub truncated: bool,
    /// When they were read (what `overdue` is measured against).
    pub at: DateTime<Utc>,
    /// Who it is for.
    pub audience: Audience,
    /// The tenant's context (the names of units, categories, muhtarlıklar).
    pub context: Arc<TenantContext>,
}

impl MapRequests {
    /// The GeoJSON FeatureCollection of the points.
    pub fn features(&self) -> RequestFeatures<'_> {
        requests_feature_collection(
            &self.points,
            &self.context.org,
            self.at,
            self.audience,
            self.truncated,
        )
    }
}

/// The answer of [`Mbs::muhtarlik_counts`].
#[derive(Debug, Clone)]
pub struct MuhtarlikMap {
    /// Open and overdue requests per muhtarlık, within the reader's scope (muhtarlıklar
    /// with none are absent).
    pub counts: BTreeMap<MuhtarlikCode, MuhtarlikCounts>,
    /// Only this muhtarlık is shown (a muhtar's own); `None`: every one.
    pub only: Option<MuhtarlikCode>,
    /// When they were counted.
    pub at: DateTime<Utc>,
    /// The tenant's context (the organisation and its boundaries).
    pub context: Arc<TenantContext>,
}

impl MuhtarlikMap {
    /// The GeoJSON FeatureCollection of the muhtarlıklar shown that have a boundary.
    pub fn features(&self) -> MuhtarlikFeatures<'_> {
        muhtarliklar_feature_collection(&self.context.org, &self.counts, |m| {
            self.only.as_ref().is_none_or(|o| o == m)
        })
    }
}

fn audience(actor: &Actor) -> Audience {
    match actor.role {
        Role::Public => Audience::Public,
        _ => Audience::Staff,
    }
}

impl<S: Store, C: Clock> Mbs<S, C> {
    /// The located requests the actor may see that pass the query (module docs), as
    /// points, at most `query.limit`: one store read of columns.
    pub async fn map_points(
        &self,
        actor: &Actor,
        query: MapQuery,
    ) -> Result<MapRequests, ServiceError> {
        if query.limit > MAX_MAP_POINTS {
            return Err(InputError::Invalid {
                field: "limit",
                message: format!("at most {MAX_MAP_POINTS}"),
            }
            .into());
        }
        let limit = match query.limit {
            0 => MAX_MAP_POINTS,
            n => n,
        };
        let context = self.context(&actor.tenant).await?;
        let at = self.clock.now();
        let filters = match query.overdue {
            true => due_before(open_only(query.filters), at),
            false => query.filters,
        };
        let mut points = match Self::scoped(actor, &context, filters, Action::ReadPublic)? {
            Some(q) => self.store.map_points(&actor.tenant, &q, limit + 1).await?,
            None => Vec::new(),
        };
        let truncated = points.len() > limit as usize;
        points.truncate(limit as usize);
        Ok(MapRequests {
            points,
            truncated,
            at,
            audience: audience(actor),
            context,
        })
    }

    /// The open and overdue requests of each muhtarlık now, as the actor may see them
    /// (module docs; a muhtar: their own muhtarlık only), from one report aggregation.
    pub async fn muhtarlik_counts(&self, actor: &Actor) -> Result<MuhtarlikMap, ServiceError> {
        let context = self.context(&actor.tenant).await?;
        let at = self.clock.now();
        let (units, only) = match &actor.role {
            Role::Muhtar(m) => (None, Some(m.clone())),
            Role::UnitStaff(u) => (Some(context.org.subtree(u)), None),
            _ => {
                authorize(
                    actor,
                    Action::ReadPublic,
                    &Target::Tenant(&actor.tenant),
                    &context.org,
                )?;
                (None, None)
            }
        };
        let cube = self
            .store
            .report_cube(
                &actor.tenant,
                &CubeQuery {
                    // Ends just after now: a request received at this instant counts.
                    window: Window {
                        start: beginning(),
                        end: at + Duration::microseconds(1),
                    },
                    units,
                },
            )
            .await?;
        let counts = cube
            .by
            .get(&Dimension::Muhtarlik)
            .into_iter()
            .flatten()
            .filter(|(_, t)| t.open_at_end > 0)
            .filter_map(|(code, t)| {
                let code = MuhtarlikCode::new(code).ok()?;
                only.as_ref().is_none_or(|o| *o == code).then_some((
                    code,
                    MuhtarlikCounts {
                        open: t.open_at_end,
                        overdue: t.overdue_at_end,
                    },
                ))
            })
            .collect();
        Ok(MuhtarlikMap {
            counts,
            only,
            at,
            context,
        })
    }
}
