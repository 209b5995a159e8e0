//! Quarterly reports: the cube in one scan with `GROUPING SETS`, and signed reports.

use muhtar_core::ids::TenantId;
use muhtar_core::report::{Class, Cube, CubeQuery, Dimension, SignedReport};
use muhtar_core::store::{ReportStore, StoreError};
use sqlx::Row;

use crate::error::{map, sqlstate};
use crate::{to_i32, to_u32, PgStore};

/// The dimensions in the order of the `GROUPING SETS` below.
const DIMENSIONS: [Dimension; 5] = [
    Dimension::Unit,
    Dimension::Category,
    Dimension::Channel,
    Dimension::Muhtarlik,
    Dimension::Kind,
];

/// One scan over the requests that matter to the window (received in it, or received
/// before and not concluded by its start), grouped once per dimension. The class columns
/// mirror `muhtar_core::report::Class::of`; `dim` says which grouping set a row is of,
/// and `k` is that set's key.
const CUBE_SQL: &str = "
WITH r AS (
    SELECT COALESCE(unit, '') AS ku, category AS kc, channel AS kh, muhtarlik AS km, kind AS kk,
           received_at >= $2 AS cohort,
           CASE WHEN received_at >= $2 AND concluded_at < $3 THEN outcome END AS done,
           CASE WHEN received_at >= $2 AND concluded_at < $3 AND outcome = 'negative'
                THEN COALESCE(reason, '') END AS why,
           CASE WHEN received_at < $2 THEN false
                WHEN concluded_at < $3
                     THEN resolution_due IS NOT NULL AND concluded_at > resolution_due
                ELSE resolution_due IS NOT NULL AND resolution_due < $3 END AS late,
           CASE WHEN received_at >= $2 AND concluded_at < $3 THEN answer_days END AS days
    FROM (
        -- Received in the quarter: a range of the receipt index.
        SELECT * FROM requests
        WHERE tenant = $1 AND received_key >= $5 AND received_key < $6
          AND ($4::text[] IS NULL OR unit = ANY($4))
        UNION ALL
        -- Carried over: received before, not concluded by the start (conclusion index).
        SELECT * FROM requests
        WHERE tenant = $1 AND received_key < $5
          AND (concluded_at IS NULL OR concluded_at >= $2)
          AND ($4::text[] IS NULL OR unit = ANY($4))
    ) AS relevant
)
SELECT CASE WHEN GROUPING(ku) = 0 THEN 0 WHEN GROUPING(kc) = 0 THEN 1
            WHEN GROUPING(kh) = 0 THEN 2 WHEN GROUPING(km) = 0 THEN 3 ELSE 4 END AS dim,
       COALESCE(ku, kc, kh, km, kk) AS k,
       cohort, done, why, late, days, COUNT(*) AS n
FROM r
GROUP BY GROUPING SETS (
    (ku, cohort, done, why, late, days),
    (kc, cohort, done, why, late, days),
    (kh, cohort, done, why, late, days),
    (km, cohort, done, why, late, days),
    (kk, cohort, done, why, late, days)
)";

#[async_trait::async_trait]
impl ReportStore for PgStore {
    async fn report_cube(&self, tenant: &TenantId, query: &CubeQuery) -> Result<Cube, StoreError> {
        let mut cube = Cube::default();
        let units: Option<Vec<String>> = query
            .units
            .as_ref()
            .map(|v| v.iter().map(|u| u.as_str().to_owned()).collect());
        if units.as_ref().is_some_and(|u| u.is_empty()) {
            return Ok(cube);
        }
        let rows = sqlx::query(CUBE_SQL)
            .bind(tenant.as_str())
            .bind(query.window.start)
            .bind(query.window.end)
            .bind(units)
            .bind(query.window.start.timestamp_micros())
            .bind(query.window.end.timestamp_micros())
            .fetch_all(&self.pool)
            .await
            .map_err(map)?;
        for r in rows {
            let dim: i32 = r.try_get("dim").map_err(map)?;
            let key: String = r.try_get("k").map_err(map)?;
            let cohort: bool = r.try_get("cohort").map_err(map)?;
            let done: Option<String> = r.try_get("done").map_err(map)?;
            let why: Option<String> = r.try_get("why").map_err(map)?;
            let late: bool = r.try_get("late").map_err(map)?;
            let days: Option<i32> = r.try_get("days").map_err(map)?;
            let n: i64 = r.try_get("n").map_err(map)?;
            let d = usize::try_from(dim)
                .ok()
                .and_then(|i| DIMENSIONS.get(i))
                .ok_or_else(|| StoreError::Invalid(format!("report grouping {dim}")))?;
            let class = Class::from_group(cohort, done.as_deref(), why, late, days.map(i64::from))
                .map_err(|e| StoreError::Invalid(format!("report row: {e}")))?;
            cube.add_group(*d, key, &class, u64::try_from(n).unwrap_or(0));
        }
        cube.total_from(Dimension::Kind);
        Ok(cube)
    }

    async fn put_signed_report(&self, report: &SignedReport) -> Result<(), StoreError> {
        let body = serde_json::to_string(report)
            .map_err(|e| StoreError::Invalid(format!("signed report: {e}")))?;
        let res = sqlx::query(
            "INSERT INTO signed_reports (tenant, id, quarter, scope, version, supersedes,
                 signed_by, signed_at, content_hash, body)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(report.tenant.as_str())
        .bind(report.id)
        .bind(report.quarter.to_string())
        .bind(report.scope_key())
        .bind(to_i32(report.version, "report version")?)
        .bind(report.supersedes)
        .bind(&report.signed_by)
        .bind(report.signed_at)
        .bind(&report.content_hash)
        .bind(&body)
        .execute(&self.pool)
        .await;
        match res {
            Ok(_) => Ok(()),
            Err(e) if sqlstate(&e).as_deref() == Some("23505") => {
                let latest: i32 = sqlx::query_scalar(
                    "SELECT COALESCE(MAX(version), 0) FROM signed_reports
                     WHERE tenant = $1 AND quarter = $2 AND scope = $3",
                )
                .bind(report.tenant.as_str())
                .bind(report.quarter.to_string())
                .bind(report.scope_key())
                .fetch_one(&self.pool)
                .await
                .map_err(map)?;
                Err(StoreError::Conflict {
                    expected: report.version.saturating_sub(1),
                    actual: to_u32(latest, "report version")?,
                })
            }
            Err(e) => Err(map(e)),
        }
    }

    async fn signed_reports(&self, tenant: &TenantId) -> Result<Vec<SignedReport>, StoreError> {
        let bodies: Vec<String> = sqlx::query_scalar(
            "SELECT body FROM signed_reports WHERE tenant = $1 ORDER BY quarter, scope, version",
        )
        .bind(tenant.as_str())
        .fetch_all(&self.pool)
        .await
        .map_err(map)?;
        let mut out = Vec::with_capacity(bodies.len());
        for b in bodies {
            out.push(
                serde_json::from_str::<SignedReport>(&b)
                    .map_err(|e| StoreError::Invalid(format!("stored signed report: {e}")))?,
            );
        }
        out.sort_by(muhtar_core::store::signed_report_order);
        Ok(out)
    }
}
