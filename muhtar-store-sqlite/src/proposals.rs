//! The council's agenda on SQLite (tables `council_proposals`, `council_supports`,
//! `council_comments`, migration `0016_council_proposals.sql`): proposals and comments as
//! JSON with typed copies for the lookups; a proposal's supports are counted from its
//! support rows when it is read.
//!
//! A support runs in a `BEGIN IMMEDIATE` transaction, which holds the database's write
//! lock from its first statement: the insert under the primary key (tenant, proposal,
//! member), the count and the move onto the agenda see no other support in between, so
//! exactly one support is the threshold-th.

use chrono::{DateTime, Utc};
use muhtar_core::council::{
    AgendaReason, Comment, CommentId, Hidden, MemberId, Proposal, ProposalId,
};
use muhtar_core::ids::{MuhtarlikCode, TenantId};
use muhtar_core::store::{ProposalStore, StoreError, SupportOutcome, SUPPORT_GIVEN};
use rusqlite::{params, Connection};

use crate::codec::{from_json, time_text, to_json, to_u32, uuid_text};
use crate::council::{is_key_violation, json_rows};
use crate::error::store_error;
use crate::pool::SqliteStore;
use crate::store::immediate;

fn not_found(what: &str) -> StoreError {
    StoreError::NotFound {
        what: what.to_owned(),
    }
}

/// An insert's key violation as [`StoreError::Duplicate`] of `what`.
fn duplicate(what: &'static str) -> impl Fn(rusqlite::Error) -> StoreError {
    move |e| {
        if is_key_violation(&e) {
            StoreError::Duplicate { what: what.into() }
        } else {
            store_error(e)
        }
    }
}

/// The proposals `filter` selects (a condition on `p`, with ?1 the tenant and ?2 the
/// other value), newest first, their supports counted.
fn read_proposals(
    conn: &Connection,
    filter: &str,
    tenant: &str,
    value: &str,
) -> Result<Vec<Proposal>, StoreError> {
    let sql = format!(
        "SELECT p.proposal, (SELECT count(*) FROM council_supports s \
         WHERE s.tenant = p.tenant AND s.proposal = p.id) \
         FROM council_proposals p WHERE p.tenant = ?1 AND {filter} \
         ORDER BY p.created_at DESC, p.id DESC"
    );
    let mut st = conn.prepare_cached(&sql).map_err(store_error)?;
    let mut rows = st.query(params![tenant, value]).map_err(store_error)?;
    let mut out = Vec::new();
    while let Some(r) = rows.next().map_err(store_error)? {
        let json: String = r.get(0).map_err(store_error)?;
        let mut p: Proposal = from_json("proposal", &json)?;
        p.supports = to_u32("supports", r.get(1).map_err(store_error)?)?;
        out.push(p);
    }
    Ok(out)
}

fn one_proposal(conn: &Connection, tenant: &str, id: &str) -> Result<Proposal, StoreError> {
    read_proposals(conn, "p.id = ?2", tenant, id)?
        .into_iter()
        .next()
        .ok_or_else(|| not_found("proposal"))
}

/// Puts the proposal on the agenda in the caller's transaction if it is open.
fn agenda(
    conn: &Connection,
    tenant: &str,
    id: &str,
    reason: AgendaReason,
    at: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let mut p = one_proposal(conn, tenant, id)?;
    if !p.put_on_agenda(reason, at) {
        return Ok(false);
    }
    p.supports = 0;
    conn.execute(
        "UPDATE council_proposals SET status = ?3, proposal = ?4 WHERE tenant = ?1 AND id = ?2",
        params![tenant, id, p.status.as_str(), to_json("proposal", &p)?],
    )
    .map_err(store_error)?;
    Ok(true)
}

#[async_trait::async_trait]
impl ProposalStore for SqliteStore {
    async fn put_proposal(&self, proposal: &Proposal) -> Result<(), StoreError> {
        let mut p = proposal.clone();
        p.supports = 0;
        let (tenant, id) = (p.tenant.as_str().to_owned(), uuid_text(p.id.0));
        let muhtarlik = p.muhtarlik.as_str().to_owned();
        let (status, created) = (p.status.as_str(), time_text(p.created_at)?);
        let json = to_json("proposal", &p)?;
        self.write(move |conn| {
            conn.prepare_cached(
                "INSERT INTO council_proposals (tenant, id, muhtarlik, status, created_at, \
                 proposal) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )
            .and_then(|mut st| st.execute(params![tenant, id, muhtarlik, status, created, json]))
            .map_err(duplicate("proposal id"))?;
            Ok(())
        })
        .await
    }

    async fn proposal(&self, tenant: &TenantId, id: ProposalId) -> Result<Proposal, StoreError> {
        let (t, id) = (tenant.as_str().to_owned(), uuid_text(id.0));
        self.read(move |conn| one_proposal(conn, &t, &id)).await
    }

    async fn proposals(
        &self,
        tenant: &TenantId,
        muhtarlik: &MuhtarlikCode,
    ) -> Result<Vec<Proposal>, StoreError> {
        let (t, m) = (tenant.as_str().to_owned(), muhtarlik.as_str().to_owned());
        self.read(move |conn| read_proposals(conn, "p.muhtarlik = ?2", &t, &m))
            .await
    }

    async fn support(
        &self,
        tenant: &TenantId,
        proposal: ProposalId,
        member: MemberId,
        threshold: u32,
        at: DateTime<Utc>,
    ) -> Result<SupportOutcome, StoreError> {
        let (t, p, m) = (
            tenant.as_str().to_owned(),
            uuid_text(proposal.0),
            uuid_text(member.0),
        );
        let when = time_text(at)?;
        self.write(move |conn| {
            let tx = immediate(conn)?;
            one_proposal(&tx, &t, &p)?;
            tx.prepare_cached(
                "INSERT INTO council_supports (tenant, proposal, member, supported_at) \
                 VALUES (?1, ?2, ?3, ?4)",
            )
            .and_then(|mut st| st.execute(params![t, p, m, when]))
            .map_err(duplicate(SUPPORT_GIVEN))?;
            let count: i64 = tx
                .query_row(
                    "SELECT count(*) FROM council_supports WHERE tenant = ?1 AND proposal = ?2",
                    params![t, p],
                    |r| r.get(0),
                )
                .map_err(store_error)?;
            let supports = to_u32("supports", count)?;
            let put_on_agenda =
                supports >= threshold && agenda(&tx, &t, &p, AgendaReason::Threshold, at)?;
            tx.commit().map_err(store_error)?;
            Ok(SupportOutcome {
                supports,
                put_on_agenda,
            })
        })
        .await
    }

    async fn supporters(
        &self,
        tenant: &TenantId,
        proposal: ProposalId,
    ) -> Result<Vec<MemberId>, StoreError> {
        let (t, p) = (tenant.as_str().to_owned(), uuid_text(proposal.0));
        self.read(move |conn| {
            let mut st = conn
                .prepare_cached(
                    "SELECT member FROM council_supports WHERE tenant = ?1 AND proposal = ?2 \
                     ORDER BY supported_at, member",
                )
                .map_err(store_error)?;
            let mut rows = st.query(params![t, p]).map_err(store_error)?;
            let mut out = Vec::new();
            while let Some(r) = rows.next().map_err(store_error)? {
                let m: String = r.get(0).map_err(store_error)?;
                out.push(
                    m.parse()
                        .map_err(|e| StoreError::corrupt_because(format!("member id {m:?}"), e))?,
                );
            }
            Ok(out)
        })
        .await
    }

    async fn put_on_agenda(
        &self,
        tenant: &TenantId,
        proposal: ProposalId,
        reason: AgendaReason,
        at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let (t, p) = (tenant.as_str().to_owned(), uuid_text(proposal.0));
        self.write(move |conn| {
            let tx = immediate(conn)?;
            let done = agenda(&tx, &t, &p, reason, at)?;
            tx.commit().map_err(store_error)?;
            Ok(done)
        })
        .await
    }

    async fn put_comment(&self, comment: &Comment) -> Result<(), StoreError> {
        let (t, id) = (comment.tenant.as_str().to_owned(), uuid_text(comment.id.0));
        let p = uuid_text(comment.proposal.0);
        let (created, hidden) = (time_text(comment.created_at)?, comment.hidden.is_some());
        let json = to_json("comment", comment)?;
        self.write(move |conn| {
            let tx = immediate(conn)?;
            one_proposal(&tx, &t, &p)?;
            tx.prepare_cached(
                "INSERT INTO council_comments (tenant, id, proposal, created_at, hidden, \
                 comment) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )
            .and_then(|mut st| st.execute(params![t, id, p, created, hidden, json]))
            .map_err(duplicate("comment id"))?;
            tx.commit().map_err(store_error)
        })
        .await
    }

    async fn comments(
        &self,
        tenant: &TenantId,
        proposal: ProposalId,
    ) -> Result<Vec<Comment>, StoreError> {
        let (t, p) = (tenant.as_str().to_owned(), uuid_text(proposal.0));
        self.read(move |conn| {
            json_rows(
                conn,
                "comment",
                "SELECT comment FROM council_comments WHERE tenant = ?1 AND proposal = ?2 \
                 ORDER BY created_at, id",
                &[&t, &p],
            )
        })
        .await
    }

    async fn hide_comment(
        &self,
        tenant: &TenantId,
        comment: CommentId,
        hidden: &Hidden,
    ) -> Result<Comment, StoreError> {
        let (t, id) = (tenant.as_str().to_owned(), uuid_text(comment.0));
        let hidden = hidden.clone();
        self.write(move |conn| {
            let tx = immediate(conn)?;
            let mut c: Comment = json_rows(
                &tx,
                "comment",
                "SELECT comment FROM council_comments WHERE tenant = ?1 AND id = ?2",
                &[&t, &id],
            )?
            .into_iter()
            .next()
            .ok_or_else(|| not_found("comment"))?;
            if c.hidden.is_some() {
                return Ok(c);
            }
            c.hidden = Some(hidden);
            tx.execute(
                "UPDATE council_comments SET hidden = 1, comment = ?3 WHERE tenant = ?1 AND id = ?2",
                params![t, id, to_json("comment", &c)?],
            )
            .map_err(store_error)?;
            tx.commit().map_err(store_error)?;
            Ok(c)
        })
        .await
    }
}
