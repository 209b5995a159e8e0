//! Reports of a quarter or any period: the cube with `GROUPING SETS` over index-only
//! scans, in three concurrent pieces, and signed reports.

use muhtar_core::ids::TenantId;
use muhtar_core::report::{Class, Cube, CubeQuery, Dimension, SignedReport};
use muhtar_core::store::{ReportStore, StoreError};
use sqlx::Row;

use crate::error::{is_unique_violation, map};
use crate::{to_i32, to_u32, PgStore};

/// The dimensions in the order of the `GROUPING SETS` of [`cube_sql`].
const DIMENSIONS: [Dimension; 5] = [
    Dimension::Unit,
    Dimension::Category,
    Dimension::Channel,
    Dimension::Muhtarlik,
    Dimension::Kind,
];

/// The columns a report reads: all of them are in the covering indexes of migration
/// `0009_report_first_response` (those of `0006_report_calendar_days` plus the first
/// response and its deadline), so the pieces below are index-only scans.
const FACT_COLUMNS: &str = "unit, category, channel, muhtarlik, kind, received_at, \
     concluded_at, outcome, reason, resolution_due, answer_days, answer_calendar_days, \
     first_response_at, first_response_due";

/// The unit filter every piece carries (`$4`: the unit codes, or NULL for all).
const UNIT_FILTER: &str = "($4::text[] IS NULL OR unit = ANY($4))";

/// The requests that matter to a window are read in pieces, each aggregated on its own
/// connection at the same time; their counts add up (a request is in exactly one piece).
#[derive(Debug, Clone, Copy)]
enum Piece {
    /// Received in `[$5, $6)` (receipt-key micros): a range of the receipt index.
    Received,
    /// Received before the window and not concluded by its start: the open ones and the
    /// ones concluded since, two ranges of the conclusion index.
    CarriedOver,
}

/// The cube of one piece: the class columns mirror `muhtar_core::report::Class::of`;
/// `dim` says which grouping set a row is of, and `k` is that set's key.
fn cube_sql(piece: Piece) -> String {
    let relevant = match piece {
        Piece::Received => format!(
            "SELECT {FACT_COLUMNS} FROM requests
             WHERE tenant = $1 AND received_key >= $5 AND received_key < $6 AND {UNIT_FILTER}"
        ),
        Piece::CarriedOver => format!(
            "SELECT {FACT_COLUMNS} FROM requests
             WHERE tenant = $1 AND concluded_at IS NULL AND received_key < $5 AND {UNIT_FILTER}
             UNION ALL
             SELECT {FACT_COLUMNS} FROM requests
             WHERE tenant = $1 AND concluded_at >= $2 AND received_key < $5 AND {UNIT_FILTER}"
        ),
    };
    format!(
        "WITH r AS (
    SELECT COALESCE(unit, '') AS ku, category AS kc, channel AS kh, muhtarlik AS km, kind AS kk,
           received_at >= $2 AS cohort,
           CASE WHEN received_at >= $2 AND concluded_at < $3 THEN outcome END AS done,
           CASE WHEN received_at >= $2 AND concluded_at < $3 AND outcome = 'negative'
                THEN COALESCE(reason, '') END AS why,
           CASE WHEN received_at < $2 THEN false
                WHEN concluded_at < $3
                     THEN resolution_due IS NOT NULL AND concluded_at > resolution_due
                ELSE resolution_due IS NOT NULL AND resolution_due < $3 END AS late,
           CASE WHEN received_at >= $2 AND concluded_at < $3 THEN answer_days END AS days,
           CASE WHEN received_at >= $2 AND concluded_at < $3 THEN answer_calendar_days END AS cdays,
           CASE WHEN received_at >= $2 AND first_response_at < $3
                THEN first_response_due IS NOT NULL AND first_response_at > first_response_due
           END AS fr
    FROM ({relevant}) AS relevant
)
SELECT CASE WHEN GROUPING(ku) = 0 THEN 0 WHEN GROUPING(kc) = 0 THEN 1
            WHEN GROUPING(kh) = 0 THEN 2 WHEN GROUPING(km) = 0 THEN 3 ELSE 4 END AS dim,
       COALESCE(ku, kc, kh, km, kk) AS k,
       cohort, done, why, late, days, cdays, fr, COUNT(*) AS n
FROM r
GROUP BY GROUPING SETS (
    (ku, cohort, done, why, late, days, cdays, fr),
    (kc, cohort, done, why, late, days, cdays, fr),
    (kh, cohort, done, why, late, days, cdays, fr),
    (km, cohort, done, why, late, days, cdays, fr),
    (kk, cohort, done, why, late, days, cdays, fr)
)"
    )
}

/// Settings for the report's transactions. The planner's group-count estimate for the
/// `CASE` columns is far too high (millions, where a quarter has thousands), so left to
/// itself it sorts 1M+ rows five times over; hashing every grouping set is ~5x faster
/// and needs tens of MB. JIT compilation costs more than it saves on these queries.
const PIECE_SETTINGS: [&str; 3] = [
    "SET LOCAL jit = off",
    "SET LOCAL enable_sort = off",
    "SET LOCAL work_mem = '512MB'",
];

/// One piece's rows `(dim, key, class, n)`.
async fn piece_rows(
    pool: &sqlx::PgPool,
    piece: Piece,
    tenant: &str,
    query: &CubeQuery,
    units: &Option<Vec<String>>,
    received: (i64, i64),
) -> Result<Vec<sqlx::postgres::PgRow>, StoreError> {
    let mut tx = pool.begin().await.map_err(map)?;
    for set in PIECE_SETTINGS {
        sqlx::query(set).execute(&mut *tx).await.map_err(map)?;
    }
    let rows = sqlx::query(&cube_sql(piece))
        .bind(tenant)
        .bind(query.window.start)
        .bind(query.window.end)
        .bind(units)
        .bind(received.0)
        .bind(received.1)
        .fetch_all(&mut *tx)
        .await
        .map_err(map)?;
    tx.commit().await.map_err(map)?;
    Ok(rows)
}

#[async_trait::async_trait]
impl ReportStore for PgStore {
    async fn report_corrections(
        &self,
        tenant: &TenantId,
    ) -> Result<Vec<muhtar_core::store::ReportCorrection>, StoreError> {
        let bodies: Vec<String> = sqlx::query_scalar(
            "SELECT body FROM report_corrections WHERE tenant = $1 ORDER BY at, request_id",
        )
        .bind(tenant.as_str())
        .fetch_all(&self.pool)
        .await
        .map_err(map)?;
        bodies
            .iter()
            .map(|b| {
                serde_json::from_str(b)
                    .map_err(|e| StoreError::corrupt_because("report correction", e))
            })
            .collect()
    }

    async fn report_cube(&self, tenant: &TenantId, query: &CubeQuery) -> Result<Cube, StoreError> {
        let mut cube = Cube::default();
        let units: Option<Vec<String>> = query
            .units
            .as_ref()
            .map(|v| v.iter().map(|u| u.as_str().to_owned()).collect());
        if units.as_ref().is_some_and(|u| u.is_empty()) {
            return Ok(cube);
        }
        let (start, end) = (
            query.window.start.timestamp_micros(),
            query.window.end.timestamp_micros(),
        );
        // The receipt range in two halves and the carried-over requests: three queries
        // on three connections at once.
        let mid = start + (end - start) / 2;
        let tenant = tenant.as_str();
        let (a, b, c) = tokio::try_join!(
            piece_rows(
                &self.pool,
                Piece::Received,
                tenant,
                query,
                &units,
                (start, mid)
            ),
            piece_rows(
                &self.pool,
                Piece::Received,
                tenant,
                query,
                &units,
                (mid, end)
            ),
            piece_rows(
                &self.pool,
                Piece::CarriedOver,
                tenant,
                query,
                &units,
                (start, end)
            ),
        )?;
        for r in a.iter().chain(&b).chain(&c) {
            let dim: i32 = r.try_get("dim").map_err(map)?;
            let key: String = r.try_get("k").map_err(map)?;
            let cohort: bool = r.try_get("cohort").map_err(map)?;
            let done: Option<String> = r.try_get("done").map_err(map)?;
            let why: Option<String> = r.try_get("why").map_err(map)?;
            let late: bool = r.try_get("late").map_err(map)?;
            let days: Option<i32> = r.try_get("days").map_err(map)?;
            let cdays: Option<i32> = r.try_get("cdays").map_err(map)?;
            let fr: Option<bool> = r.try_get("fr").map_err(map)?;
            let n: i64 = r.try_get("n").map_err(map)?;
            let d = usize::try_from(dim)
                .ok()
                .and_then(|i| DIMENSIONS.get(i))
                .ok_or_else(|| StoreError::corrupt(format!("report grouping {dim}")))?;
            let class = Class::from_group(
                cohort,
                done.as_deref(),
                why,
                late,
                days.map(i64::from),
                cdays.map(i64::from),
                fr,
            )
            .map_err(|e| StoreError::corrupt(format!("report row: {e}")))?;
            cube.add_group(*d, key, &class, u64::try_from(n).unwrap_or(0));
        }
        cube.total_from(Dimension::Kind);
        Ok(cube)
    }

    async fn put_signed_report(&self, report: &SignedReport) -> Result<(), StoreError> {
        let body = serde_json::to_string(report)
            .map_err(|e| StoreError::invalid_because("signed report", e))?;
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
            Err(e) if is_unique_violation(&e) => {
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
                    .map_err(|e| StoreError::corrupt_because("signed report", e))?,
            );
        }
        out.sort_by(muhtar_core::store::signed_report_order);
        Ok(out)
    }
}
