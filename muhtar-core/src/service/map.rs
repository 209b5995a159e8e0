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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;
    use crate::ids::SeededRandom;
    use crate::map::{BBox, Shape};
    use crate::request::{Location, Priority};
    use crate::testkit::{fixtures, MemoryStore};

    const PARK_RULES: &str = "version = \"park\"\n\n[[rule]]\nname = \"budama-parka\"\n\
                              category = \"budama\"\ntarget = \"park-bahce\"\n";

    type Svc = Mbs<MemoryStore, ManualClock>;

    /// A service over the fixture organisation with a boundary for Kuzguncuk and pruning
    /// routed to Park ve Bahçeler; four requests: Kuzguncuk's road repair (İVEDİ) and
    /// pruning, Çengelköy's pruning (located) and rubbish (not located).
    async fn world() -> (Svc, TenantId) {
        let mbs = Mbs::new(
            MemoryStore::default(),
            ManualClock::new(fixtures::t0()),
            SeededRandom::new(22),
        );
        let mut org = fixtures::organisation("harita");
        let square = geo::Polygon::new(
            geo::LineString::from(vec![
                (29.02, 41.02),
                (29.05, 41.02),
                (29.05, 41.05),
                (29.02, 41.05),
                (29.02, 41.02),
            ]),
            vec![],
        );
        org.boundaries.0.insert(
            "kuzguncuk".parse().unwrap(),
            Shape(geo::Geometry::Polygon(square)),
        );
        let t = org.tenant.id.clone();
        let admin = Actor::system(t.clone());
        mbs.install_organisation(&admin, org).await.unwrap();
        mbs.install_rules(&Actor::parse(&t, "admin").unwrap(), PARK_RULES)
            .await
            .unwrap();
        for (m, cat, at, urgent) in [
            ("kuzguncuk", "asfalt-onarim", Some((29.03, 41.03)), true),
            ("kuzguncuk", "budama", Some((29.04, 41.04)), false),
            ("cengelkoy", "budama", Some((29.06, 41.07)), false),
            ("cengelkoy", "cop", None, false),
        ] {
            let muhtar = Actor::parse(&t, &format!("muhtar:{m}")).unwrap();
            let new = fixtures::request_builder(m)
                .category(cat)
                .location(at.map(|(lon, lat)| Location { lon, lat }))
                .priority(urgent.then_some(Priority::Urgent))
                .build();
            mbs.submit(&muhtar, new).await.unwrap();
        }
        (mbs, t)
    }

    async fn points(mbs: &Svc, t: &TenantId, actor: &str, q: MapQuery) -> MapRequests {
        let a = match actor {
            "public" => Actor::public(t.clone()),
            a => Actor::parse(t, a).unwrap(),
        };
        mbs.map_points(&a, q).await.unwrap()
    }

    fn categories(m: &MapRequests) -> Vec<(String, String)> {
        m.points
            .iter()
            .map(|p| (p.muhtarlik.to_string(), p.category.clone()))
            .collect()
    }

    #[test]
    fn each_role_sees_its_scope_and_the_public_no_ivedi() {
        crate::testkit::block_on(async {
            let (mbs, t) = world().await;
            let all = MapQuery::default();
            for who in ["public", "coordinator", "auditor", "official"] {
                let m = points(&mbs, &t, who, all.clone()).await;
                assert_eq!(m.points.len(), 3, "{who}: the unlocated one is no point");
                assert!(m.points[0].urgent, "{who}: urgent first");
                assert!(!m.truncated);
            }
            let kuz = points(&mbs, &t, "muhtar:kuzguncuk", all.clone()).await;
            assert!(categories(&kuz).iter().all(|(m, _)| m == "kuzguncuk"));
            assert_eq!(kuz.points.len(), 2);
            let other = MapQuery {
                filters: RequestQuery {
                    muhtarlik: Some("cengelkoy".parse().unwrap()),
                    ..Default::default()
                },
                ..Default::default()
            };
            let none = points(&mbs, &t, "muhtar:kuzguncuk", other.clone()).await;
            assert!(none.points.is_empty());
            assert_eq!(points(&mbs, &t, "public", other).await.points.len(), 1);
            let park = points(&mbs, &t, "unit:park-bahce", all.clone()).await;
            assert_eq!(park.points.len(), 2);
            assert!(park.points.iter().all(|p| p.category == "budama"));

            // The public's features leave İVEDİ out; staff's carry it.
            let public =
                serde_json::to_value(points(&mbs, &t, "public", all.clone()).await.features())
                    .unwrap();
            let staff = serde_json::to_value(
                points(&mbs, &t, "coordinator", all.clone())
                    .await
                    .features(),
            )
            .unwrap();
            assert!(public["features"][0]["properties"].get("ivedi").is_none());
            assert_eq!(staff["features"][0]["properties"]["ivedi"], true);
            assert_eq!(crate::map::rfc7946::check(&public), Ok(()));

            // A box, a limit, and the most points one may ask for.
            let boxed = MapQuery {
                filters: RequestQuery {
                    bbox: Some(BBox::new(29.025, 41.025, 29.035, 41.035).unwrap()),
                    ..Default::default()
                },
                ..Default::default()
            };
            let b = points(&mbs, &t, "public", boxed).await;
            assert_eq!(
                categories(&b),
                vec![("kuzguncuk".into(), "asfalt-onarim".into())]
            );
            let two = points(
                &mbs,
                &t,
                "coordinator",
                MapQuery {
                    limit: 2,
                    ..all.clone()
                },
            )
            .await;
            assert_eq!((two.points.len(), two.truncated), (2, true));
            let coord = Actor::parse(&t, "coordinator").unwrap();
            let e = mbs
                .map_points(
                    &coord,
                    MapQuery {
                        limit: MAX_MAP_POINTS + 1,
                        ..all
                    },
                )
                .await
                .unwrap_err();
            assert!(matches!(e, ServiceError::Input(_)), "{e}");
        });
    }

    /// Overdue points and the counts per muhtarlık follow the clock, and the counts equal
    /// what the list gives (open, and `list_overdue`) muhtarlık by muhtarlık.
    #[test]
    fn counts_per_muhtarlik_agree_with_the_lists() {
        crate::testkit::block_on(async {
            let (mbs, t) = world().await;
            let coord = Actor::parse(&t, "coordinator").unwrap();
            let overdue = MapQuery {
                overdue: true,
                ..Default::default()
            };
            assert!(points(&mbs, &t, "coordinator", overdue.clone())
                .await
                .points
                .is_empty());
            for days in [0, 60] {
                mbs.clock().advance(Duration::days(days));
                let m = mbs.muhtarlik_counts(&coord).await.unwrap();
                for code in ["kuzguncuk", "cengelkoy", "beylerbeyi"] {
                    let q = RequestQuery {
                        muhtarlik: Some(code.parse().unwrap()),
                        statuses: Some(Status::ALL.into_iter().filter(|s| s.is_open()).collect()),
                        ..Default::default()
                    };
                    let open = mbs.list(&coord, q.clone()).await.unwrap().items.len() as u64;
                    let late = mbs.list_overdue(&coord, q).await.unwrap().items.len() as u64;
                    let got = m
                        .counts
                        .get(&code.parse().unwrap())
                        .copied()
                        .unwrap_or_default();
                    assert_eq!(
                        (got.open, got.overdue),
                        (open, late),
                        "{code} after {days} days"
                    );
                }
            }
            let late = points(&mbs, &t, "coordinator", overdue).await;
            assert_eq!(late.points.len(), 3);
            let f = serde_json::to_value(late.features()).unwrap();
            assert!(f["features"]
                .as_array()
                .unwrap()
                .iter()
                .all(|x| x["properties"]["overdue"] == true));

            // A muhtar sees their own muhtarlık; unit staff count their units' requests.
            let kuz = Actor::parse(&t, "muhtar:kuzguncuk").unwrap();
            let mine = mbs.muhtarlik_counts(&kuz).await.unwrap();
            assert_eq!(
                mine.counts.keys().map(|k| k.as_str()).collect::<Vec<_>>(),
                ["kuzguncuk"]
            );
            let park = Actor::parse(&t, "unit:park-bahce").unwrap();
            let theirs = mbs.muhtarlik_counts(&park).await.unwrap();
            assert_eq!(theirs.counts.values().map(|c| c.open).sum::<u64>(), 2);
            // Only Kuzguncuk has a boundary: one feature, with its counts.
            let f = serde_json::to_value(mine.features()).unwrap();
            assert_eq!(crate::map::rfc7946::check(&f), Ok(()));
            assert_eq!(f["features"].as_array().unwrap().len(), 1);
            assert_eq!(f["features"][0]["properties"]["open"], 2);
            assert_eq!(
                f["features"][0]["properties"]["name"],
                "Kuzguncuk Mahallesi"
            );
            let public = mbs
                .muhtarlik_counts(&Actor::public(t.clone()))
                .await
                .unwrap();
            assert_eq!(public.counts.values().map(|c| c.open).sum::<u64>(), 4);
        });
    }
}
