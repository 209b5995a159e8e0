//! Council decisions on PostgreSQL (table `council_decisions`, migration
//! `0019_council_decisions.sql`): the link vote → request as columns, written by the
//! request's commit in its transaction. Of two concurrent sends of one vote's decision
//! the second waits on the primary key `council_decisions_pkey` for the first's commit
//! and fails (SQLSTATE 23505, mapped to [`DECISION_SENT`] after the rollback: nothing of
//! it is written). Also the `requests.municipal_council` column and its count.

use chrono::{DateTime, Utc};
use muhtar_core::council::{DecisionLink, VoteId};
use muhtar_core::ids::{MuhtarlikCode, RequestId, TenantId, UnitCode};
use muhtar_core::store::{check_decision, Commit, DecisionStore, StoreError};
use sqlx::{PgConnection, Row};
use uuid::Uuid;

use crate::error::map;
use crate::requests::Failed;
use crate::{join_nanos, split_nanos, PgStore};

/// The constraint of one decision per vote.
pub(crate) const DECISION_KEY: &str = "council_decisions_pkey";

/// Writes a commit's decision link and the request's municipal-council flag, in the
/// commit's transaction (the request's row is written already).
pub(crate) async fn write_decision(tx: &mut PgConnection, c: &Commit) -> Result<(), Failed> {
    check_decision(c)?;
    let st = &c.record.state;
    if c.expected_version == 0 && st.content.municipal_council {
        sqlx::query("UPDATE requests SET municipal_council = true WHERE tenant = $1 AND id = $2")
            .bind(st.tenant.as_str())
            .bind(st.id.as_uuid())
            .execute(&mut *tx)
            .await?;
    }
    let Some(d) = &c.decision else {
        return Ok(());
    };
    let (at, nanos) = split_nanos(d.sent_at);
    sqlx::query(
        "INSERT INTO council_decisions (tenant, vote_id, muhtarlik, request_id, tracking,
             sent_at, sent_at_nanos, document_sha256)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(d.tenant.as_str())
    .bind(d.vote.0)
    .bind(d.muhtarlik.as_str())
    .bind(d.request.as_uuid())
    .bind(d.tracking.to_string())
    .bind(at)
    .bind(nanos)
    .bind(&d.document_sha256)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

const COLUMNS: &str =
    "SELECT tenant, vote_id, muhtarlik, request_id, tracking, sent_at, sent_at_nanos,
         document_sha256
     FROM council_decisions";

fn link(r: &sqlx::postgres::PgRow) -> Result<DecisionLink, StoreError> {
    let corrupt = |what: &str, v: &str| StoreError::Corrupt {
        what: format!("council decision: {what} {v:?}"),
        source: None,
    };
    let tenant: String = r.try_get(0).map_err(map)?;
    let vote: Uuid = r.try_get(1).map_err(map)?;
    let muhtarlik: String = r.try_get(2).map_err(map)?;
    let request: Uuid = r.try_get(3).map_err(map)?;
    let tracking: String = r.try_get(4).map_err(map)?;
    let at: DateTime<Utc> = r.try_get(5).map_err(map)?;
    let nanos: i32 = r.try_get(6).map_err(map)?;
    let sha: String = r.try_get(7).map_err(map)?;
    Ok(DecisionLink::new(
        TenantId::new(tenant.clone()).map_err(|_| corrupt("tenant", &tenant))?,
        VoteId(vote),
        MuhtarlikCode::new(muhtarlik.clone()).map_err(|_| corrupt("muhtarlik", &muhtarlik))?,
        request
            .to_string()
            .parse::<RequestId>()
            .map_err(|_| corrupt("request", &request.to_string()))?,
        tracking
            .parse()
            .map_err(|_| corrupt("tracking", &tracking))?,
        join_nanos(at, nanos),
        sha,
    ))
}

impl PgStore {
    async fn decision_where(
        &self,
        tenant: &TenantId,
        column: &str,
        id: Uuid,
    ) -> Result<Option<DecisionLink>, StoreError> {
        let row = sqlx::query(&format!("{COLUMNS} WHERE tenant = $1 AND {column} = $2"))
            .bind(tenant.as_str())
            .bind(id)
            .fetch_optional(self.pool())
            .await
            .map_err(map)?;
        row.as_ref().map(link).transpose()
    }
}

#[async_trait::async_trait]
impl DecisionStore for PgStore {
    async fn decision_of_vote(
        &self,
        tenant: &TenantId,
        vote: VoteId,
    ) -> Result<Option<DecisionLink>, StoreError> {
        self.decision_where(tenant, "vote_id", vote.0).await
    }

    async fn decision_of_request(
        &self,
        tenant: &TenantId,
        request: RequestId,
    ) -> Result<Option<DecisionLink>, StoreError> {
        self.decision_where(tenant, "request_id", request.as_uuid())
            .await
    }

    async fn municipal_council_count(
        &self,
        tenant: &TenantId,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        units: Option<&[UnitCode]>,
    ) -> Result<u64, StoreError> {
        let units: Option<Vec<String>> =
            units.map(|us| us.iter().map(|u| u.as_str().to_owned()).collect());
        let n: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM requests WHERE tenant = $1 AND municipal_council
                 AND received_at >= $2 AND received_at < $3
                 AND ($4::text[] IS NULL OR unit = ANY($4))",
        )
        .bind(tenant.as_str())
        .bind(from)
        .bind(to)
        .bind(units)
        .fetch_one(self.pool())
        .await
        .map_err(map)?;
        Ok(u64::try_from(n).unwrap_or(0))
    }
}
