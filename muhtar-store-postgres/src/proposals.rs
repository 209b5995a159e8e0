//! The council's agenda on PostgreSQL (tables `council_proposals`, `council_supports`,
//! `council_comments`, migration `0016_council_proposals.sql`): proposals and comments as
//! JSON text with typed copies for the lookups; supports counted when a proposal is read.
//!
//! A support's transaction (READ COMMITTED) first locks the proposal's row `FOR UPDATE`:
//! supports of one proposal serialize, so the count each one sees includes every support
//! before it and exactly one is the threshold-th. A member's second support fails on the
//! primary key ([`SUPPORT_KEY`], SQLSTATE 23505) and the transaction rolls back.

use chrono::{DateTime, Utc};
use muhtar_core::council::{
    AgendaReason, Comment, CommentId, Hidden, MemberId, Proposal, ProposalId,
};
use muhtar_core::ids::{MuhtarlikCode, TenantId};
use muhtar_core::store::{ProposalStore, StoreError, SupportOutcome, SUPPORT_GIVEN};
use sqlx::PgConnection;

use crate::council::{from_text, to_text};
use crate::error::{constraint, is_unique_violation, map};
use crate::{split_nanos, PgStore};

/// The one-support-per-member key: (tenant, proposal, member).
pub(crate) const SUPPORT_KEY: &str = "council_supports_pkey";

fn not_found(what: &str) -> StoreError {
    StoreError::NotFound {
        what: what.to_owned(),
    }
}

/// An insert's unique violation as [`StoreError::Duplicate`] of `what`.
fn duplicate(what: &'static str, key: &'static str) -> impl Fn(sqlx::Error) -> StoreError {
    move |e| {
        if is_unique_violation(&e) && constraint(&e).as_deref() == Some(key) {
            StoreError::Duplicate { what: what.into() }
        } else {
            map(e)
        }
    }
}

const PROPOSAL_SELECT: &str = "SELECT p.proposal, (SELECT count(*) FROM council_supports s
         WHERE s.tenant = p.tenant AND s.proposal = p.id)
     FROM council_proposals p";

fn counted(rows: Vec<(String, i64)>) -> Result<Vec<Proposal>, StoreError> {
    rows.into_iter()
        .map(|(json, n)| {
            let mut p: Proposal = from_text("proposal", &json)?;
            p.supports = u32::try_from(n)
                .map_err(|e| StoreError::corrupt_because(format!("supports {n}"), e))?;
            Ok(p)
        })
        .collect()
}

/// The proposal in the caller's transaction, locked `FOR UPDATE` when `lock`.
async fn one_proposal(
    tx: &mut PgConnection,
    tenant: &TenantId,
    id: ProposalId,
    lock: bool,
) -> Result<Proposal, StoreError> {
    if lock {
        sqlx::query("SELECT 1 FROM council_proposals WHERE tenant = $1 AND id = $2 FOR UPDATE")
            .bind(tenant.as_str())
            .bind(id.0)
            .fetch_optional(&mut *tx)
            .await
            .map_err(map)?
            .ok_or_else(|| not_found("proposal"))?;
    }
    let rows: Vec<(String, i64)> = sqlx::query_as(&format!(
        "{PROPOSAL_SELECT} WHERE p.tenant = $1 AND p.id = $2"
    ))
    .bind(tenant.as_str())
    .bind(id.0)
    .fetch_all(&mut *tx)
    .await
    .map_err(map)?;
    counted(rows)?
        .into_iter()
        .next()
        .ok_or_else(|| not_found("proposal"))
}

/// Puts the proposal (read and locked in the caller's transaction) on the agenda if open.
async fn agenda(
    tx: &mut PgConnection,
    mut p: Proposal,
    reason: AgendaReason,
    at: DateTime<Utc>,
) -> Result<bool, StoreError> {
    if !p.put_on_agenda(reason, at) {
        return Ok(false);
    }
    p.supports = 0;
    sqlx::query(
        "UPDATE council_proposals SET status = $3, proposal = $4 WHERE tenant = $1 AND id = $2",
    )
    .bind(p.tenant.as_str())
    .bind(p.id.0)
    .bind(p.status.as_str())
    .bind(to_text("proposal", &p)?)
    .execute(&mut *tx)
    .await
    .map_err(map)?;
    Ok(true)
}

#[async_trait::async_trait]
impl ProposalStore for PgStore {
    async fn put_proposal(&self, proposal: &Proposal) -> Result<(), StoreError> {
        let mut p = proposal.clone();
        p.supports = 0;
        let (created, nanos) = split_nanos(p.created_at);
        sqlx::query(
            "INSERT INTO council_proposals (tenant, id, muhtarlik, status, created_at,
                 created_nanos, proposal)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(p.tenant.as_str())
        .bind(p.id.0)
        .bind(p.muhtarlik.as_str())
        .bind(p.status.as_str())
        .bind(created)
        .bind(nanos)
        .bind(to_text("proposal", &p)?)
        .execute(self.pool())
        .await
        .map_err(duplicate("proposal id", "council_proposals_pkey"))?;
        Ok(())
    }

    async fn proposal(&self, tenant: &TenantId, id: ProposalId) -> Result<Proposal, StoreError> {
        let mut conn = self.pool().acquire().await.map_err(map)?;
        one_proposal(&mut conn, tenant, id, false).await
    }

    async fn proposals(
        &self,
        tenant: &TenantId,
        muhtarlik: &MuhtarlikCode,
    ) -> Result<Vec<Proposal>, StoreError> {
        let rows: Vec<(String, i64)> = sqlx::query_as(&format!(
            "{PROPOSAL_SELECT} WHERE p.tenant = $1 AND p.muhtarlik = $2
             ORDER BY p.created_at DESC, p.created_nanos DESC, p.id DESC"
        ))
        .bind(tenant.as_str())
        .bind(muhtarlik.as_str())
        .fetch_all(self.pool())
        .await
        .map_err(map)?;
        counted(rows)
    }

    async fn support(
        &self,
        tenant: &TenantId,
        proposal: ProposalId,
        member: MemberId,
        threshold: u32,
        at: DateTime<Utc>,
    ) -> Result<SupportOutcome, StoreError> {
        let mut tx = self.pool().begin().await.map_err(map)?;
        one_proposal(&mut tx, tenant, proposal, true).await?;
        let (when, nanos) = split_nanos(at);
        sqlx::query(
            "INSERT INTO council_supports (tenant, proposal, member, supported_at,
                 supported_nanos) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(tenant.as_str())
        .bind(proposal.0)
        .bind(member.0)
        .bind(when)
        .bind(nanos)
        .execute(&mut *tx)
        .await
        .map_err(duplicate(SUPPORT_GIVEN, SUPPORT_KEY))?;
        let p = one_proposal(&mut tx, tenant, proposal, false).await?;
        let supports = p.supports;
        let put_on_agenda =
            supports >= threshold && agenda(&mut tx, p, AgendaReason::Threshold, at).await?;
        tx.commit().await.map_err(map)?;
        Ok(SupportOutcome {
            supports,
            put_on_agenda,
        })
    }

    async fn supporters(
        &self,
        tenant: &TenantId,
        proposal: ProposalId,
    ) -> Result<Vec<MemberId>, StoreError> {
        let rows: Vec<uuid::Uuid> = sqlx::query_scalar(
            "SELECT member FROM council_supports WHERE tenant = $1 AND proposal = $2
             ORDER BY supported_at, supported_nanos, member",
        )
        .bind(tenant.as_str())
        .bind(proposal.0)
        .fetch_all(self.pool())
        .await
        .map_err(map)?;
        Ok(rows.into_iter().map(MemberId).collect())
    }

    async fn put_on_agenda(
        &self,
        tenant: &TenantId,
        proposal: ProposalId,
        reason: AgendaReason,
        at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let mut tx = self.pool().begin().await.map_err(map)?;
        let p = one_proposal(&mut tx, tenant, proposal, true).await?;
        let done = agenda(&mut tx, p, reason, at).await?;
        tx.commit().await.map_err(map)?;
        Ok(done)
    }

    async fn put_comment(&self, comment: &Comment) -> Result<(), StoreError> {
        let mut tx = self.pool().begin().await.map_err(map)?;
        // The key check: a comment on a missing proposal is not found, not a broken key.
        one_proposal(&mut tx, &comment.tenant, comment.proposal, false).await?;
        let (created, nanos) = split_nanos(comment.created_at);
        sqlx::query(
            "INSERT INTO council_comments (tenant, id, proposal, created_at, created_nanos,
                 hidden, comment) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(comment.tenant.as_str())
        .bind(comment.id.0)
        .bind(comment.proposal.0)
        .bind(created)
        .bind(nanos)
        .bind(comment.hidden.is_some())
        .bind(to_text("comment", comment)?)
        .execute(&mut *tx)
        .await
        .map_err(duplicate("comment id", "council_comments_pkey"))?;
        tx.commit().await.map_err(map)
    }

    async fn comments(
        &self,
        tenant: &TenantId,
        proposal: ProposalId,
    ) -> Result<Vec<Comment>, StoreError> {
        let rows: Vec<String> = sqlx::query_scalar(
            "SELECT comment FROM council_comments WHERE tenant = $1 AND proposal = $2
             ORDER BY created_at, created_nanos, id",
        )
        .bind(tenant.as_str())
        .bind(proposal.0)
        .fetch_all(self.pool())
        .await
        .map_err(map)?;
        rows.iter().map(|j| from_text("comment", j)).collect()
    }

    async fn hide_comment(
        &self,
        tenant: &TenantId,
        comment: CommentId,
        hidden: &Hidden,
    ) -> Result<Comment, StoreError> {
        let mut tx = self.pool().begin().await.map_err(map)?;
        let json: Option<String> = sqlx::query_scalar(
            "SELECT comment FROM council_comments WHERE tenant = $1 AND id = $2 FOR UPDATE",
        )
        .bind(tenant.as_str())
        .bind(comment.0)
        .fetch_optional(&mut *tx)
        .await
        .map_err(map)?;
        let mut c: Comment = from_text("comment", &json.ok_or_else(|| not_found("comment"))?)?;
        if c.hidden.is_some() {
            return Ok(c);
        }
        c.hidden = Some(hidden.clone());
        sqlx::query(
            "UPDATE council_comments SET hidden = true, comment = $3 WHERE tenant = $1 AND id = $2",
        )
        .bind(tenant.as_str())
        .bind(comment.0)
        .bind(to_text("comment", &c)?)
        .execute(&mut *tx)
        .await
        .map_err(map)?;
        tx.commit().await.map_err(map)?;
        Ok(c)
    }
}
