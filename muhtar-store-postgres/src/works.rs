//! Works (table `works`, migration `0013_works.sql`): a GiST index over the area's box
//! serves `bbox` queries.

use muhtar_core::ids::TenantId;
use muhtar_core::map::work::{Work, WorkId, WorkQuery, MAX_WORKS};
use muhtar_core::outbox::OutboxMessage;
use muhtar_core::store::{check_work, StoreError, WorkStore};
use sqlx::{Postgres, QueryBuilder, Row};

use crate::error::{is_unique_violation, map};
use crate::outbox::NewMessage;
use crate::{from_json, to_i32, to_json, to_u32, PgStore};

impl PgStore {
    /// The stored version of a work (0: none).
    async fn work_version(&self, tenant: &str, id: uuid::Uuid) -> Result<u32, StoreError> {
        let v: Option<i32> =
            sqlx::query_scalar("SELECT version FROM works WHERE tenant = $1 AND id = $2")
                .bind(tenant)
                .bind(id)
                .fetch_optional(&self.pool)
                .await
                .map_err(map)?;
        v.map(|v| to_u32(v, "work version"))
            .transpose()
            .map(|v| v.unwrap_or(0))
    }
}

#[async_trait::async_trait]
impl WorkStore for PgStore {
    async fn put_work(
        &self,
        work: &Work,
        expected_version: u32,
        outbox: &[OutboxMessage],
    ) -> Result<(), StoreError> {
        let tenant = work.tenant.as_str();
        let id = work.id.0;
        let json = to_json(work, "work")?;
        let messages = outbox
            .iter()
            .map(NewMessage::of)
            .collect::<Result<Vec<_>, _>>()?;
        let version = to_i32(work.version, "work version")?;
        let mut codes: Vec<String> = work
            .muhtarliklar
            .iter()
            .map(|m| m.as_str().to_owned())
            .collect();
        codes.sort_unstable();
        codes.dedup();
        let mut tx = self.pool.begin().await.map_err(map)?;
        let actual: Option<i32> = sqlx::query_scalar(
            "SELECT version FROM works WHERE tenant = $1 AND id = $2 FOR UPDATE",
        )
        .bind(tenant)
        .bind(id)
        .fetch_optional(&mut *tx)
        .await
        .map_err(map)?;
        let actual = actual
            .map(|v| to_u32(v, "work version"))
            .transpose()?
            .unwrap_or(0);
        if actual != expected_version {
            return Err(StoreError::Conflict {
                expected: expected_version,
                actual,
            });
        }
        let b = check_work(work, expected_version)?;
        let sql = if expected_version == 0 {
            "INSERT INTO works (tenant, id, version, unit, status, starts_at, ends_at,
                 min_lon, min_lat, max_lon, max_lat, area_box, muhtarliklar, work)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11,
                 box(point($8, $9), point($10, $11)), $12, $13)"
        } else {
            "UPDATE works SET version = $3, unit = $4, status = $5, starts_at = $6,
                 ends_at = $7, min_lon = $8, min_lat = $9, max_lon = $10, max_lat = $11,
                 area_box = box(point($8, $9), point($10, $11)), muhtarliklar = $12,
                 work = $13
             WHERE tenant = $1 AND id = $2"
        };
        let written = sqlx::query(sql)
            .bind(tenant)
            .bind(id)
            .bind(version)
            .bind(work.unit.as_str())
            .bind(work.status.as_str())
            .bind(work.starts_at)
            .bind(work.ends_at)
            .bind(b.min_lon)
            .bind(b.min_lat)
            .bind(b.max_lon)
            .bind(b.max_lat)
            .bind(&codes)
            .bind(&json)
            .execute(&mut *tx)
            .await;
        match written {
            Ok(_) => {}
            Err(e) if is_unique_violation(&e) => {
                // Another writer inserted the same work first.
                drop(tx);
                return Err(StoreError::Conflict {
                    expected: expected_version,
                    actual: self.work_version(tenant, id).await?,
                });
            }
            Err(e) => return Err(map(e)),
        }
        for m in &messages {
            m.insert(&mut tx).await.map_err(map)?;
        }
        tx.commit().await.map_err(map)
    }

    async fn work(&self, tenant: &TenantId, id: WorkId) -> Result<Work, StoreError> {
        let row = sqlx::query("SELECT work FROM works WHERE tenant = $1 AND id = $2")
            .bind(tenant.as_str())
            .bind(id.0)
            .fetch_optional(&self.pool)
            .await
            .map_err(map)?
            .ok_or_else(|| StoreError::NotFound {
                what: "work".to_owned(),
            })?;
        from_json(row.try_get("work").map_err(map)?, "work")
    }

    async fn works(
        &self,
        tenant: &TenantId,
        q: &WorkQuery,
        limit: u32,
    ) -> Result<Vec<Work>, StoreError> {
        let mut sql: QueryBuilder<Postgres> =
            QueryBuilder::new("SELECT work FROM works WHERE tenant = ");
        sql.push_bind(tenant.as_str());
        if let Some(b) = &q.bbox {
            // The GiST index narrows (with PostgreSQL's geometric tolerance); the exact
            // box decides.
            sql.push(" AND area_box && box(point(")
                .push_bind(b.min_lon)
                .push(", ")
                .push_bind(b.min_lat)
                .push("), point(")
                .push_bind(b.max_lon)
                .push(", ")
                .push_bind(b.max_lat)
                .push("))");
            sql.push(" AND max_lon >= ")
                .push_bind(b.min_lon)
                .push(" AND min_lon <= ")
                .push_bind(b.max_lon)
                .push(" AND max_lat >= ")
                .push_bind(b.min_lat)
                .push(" AND min_lat <= ")
                .push_bind(b.max_lat);
        }
        if let Some(units) = &q.units {
            let units: Vec<&str> = units.iter().map(|u| u.as_str()).collect();
            sql.push(" AND unit = ANY(").push_bind(units).push(")");
        }
        if let Some(statuses) = &q.statuses {
            let statuses: Vec<&str> = statuses.iter().map(|s| s.as_str()).collect();
            sql.push(" AND status = ANY(").push_bind(statuses).push(")");
        }
        if let Some(m) = &q.muhtarlik {
            sql.push(" AND muhtarliklar @> ARRAY[")
                .push_bind(m.as_str())
                .push("]::text[]");
        }
        if let Some(t) = q.active_from {
            sql.push(" AND ends_at >= ").push_bind(t);
        }
        if let Some(t) = q.active_until {
            sql.push(" AND starts_at < ").push_bind(t);
        }
        sql.push(" ORDER BY starts_at, id LIMIT ")
            .push_bind(i64::from(limit.min(MAX_WORKS)));
        let rows = sql.build().fetch_all(&self.pool).await.map_err(map)?;
        rows.iter()
            .map(|r| from_json(r.try_get("work").map_err(map)?, "work"))
            .collect()
    }
}
