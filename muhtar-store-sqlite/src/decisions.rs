//! Council decisions on SQLite (table `council_decisions`, migration
//! `0019_council_decisions.sql`): the link vote → request as columns, written by the
//! request's commit in its `BEGIN IMMEDIATE` transaction; the primary key (tenant,
//! vote_id) refuses a second send of a vote's decision ([`DECISION_SENT`]). Also the
//! `requests.municipal_council` column (the flag of requests for the municipal council's
//! agenda) and its count.

use chrono::{DateTime, Utc};
use muhtar_core::council::{DecisionLink, VoteId};
use muhtar_core::ids::{MuhtarlikCode, RequestId, TenantId, UnitCode};
use muhtar_core::store::{check_decision, decision_sent, Commit, DecisionStore, StoreError};
use rusqlite::{params, Connection};

use crate::codec::{id_text, micros, parse_tenant, parse_time, time_text, uuid_text};
use crate::error::store_error;
use crate::pool::SqliteStore;

/// Writes a commit's decision link and the request's municipal-council flag, in the
/// commit's transaction (`conn` is inside it; the request's row is written already).
pub(crate) fn write_decision(conn: &Connection, c: &Commit) -> Result<(), StoreError> {
    check_decision(c)?;
    let st = &c.record.state;
    if c.expected_version == 0 && st.content.municipal_council {
        conn.prepare_cached(
            "UPDATE requests SET municipal_council = 1 WHERE tenant = ?1 AND id = ?2",
        )
        .and_then(|mut s| s.execute(params![st.tenant.as_str(), id_text(st.id)]))
        .map_err(store_error)?;
    }
    let Some(d) = &c.decision else {
        return Ok(());
    };
    let sent_at = time_text(d.sent_at)?;
    conn.prepare_cached(
        "INSERT INTO council_decisions (tenant, vote_id, muhtarlik, request_id, tracking, \
         sent_at, document_sha256) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )
    .and_then(|mut s| {
        s.execute(params![
            d.tenant.as_str(),
            uuid_text(d.vote.0),
            d.muhtarlik.as_str(),
            id_text(d.request),
            d.tracking.to_string(),
            sent_at,
            d.document_sha256,
        ])
    })
    .map_err(|e| match store_error(e) {
        StoreError::Duplicate { .. } => decision_sent(),
        other => other,
    })?;
    Ok(())
}

const COLUMNS: &str =
    "SELECT tenant, vote_id, muhtarlik, request_id, tracking, sent_at, document_sha256 \
     FROM council_decisions";

fn link(r: &rusqlite::Row<'_>) -> Result<DecisionLink, StoreError> {
    let text = |i: usize| r.get::<_, String>(i).map_err(store_error);
    let corrupt = |what: &str, v: &str| StoreError::Corrupt {
        what: format!("council decision: {what} {v:?}"),
        source: None,
    };
    let (vote, muhtarlik, request, tracking) = (text(1)?, text(2)?, text(3)?, text(4)?);
    Ok(DecisionLink::new(
        parse_tenant(&text(0)?)?,
        vote.parse::<VoteId>().map_err(|_| corrupt("vote", &vote))?,
        MuhtarlikCode::new(muhtarlik.clone()).map_err(|_| corrupt("muhtarlik", &muhtarlik))?,
        request
            .parse::<RequestId>()
            .map_err(|_| corrupt("request", &request))?,
        tracking
            .parse()
            .map_err(|_| corrupt("tracking", &tracking))?,
        parse_time(&text(5)?)?,
        text(6)?,
    ))
}

fn one(conn: &Connection, sql: &str, a: &str, b: &str) -> Result<Option<DecisionLink>, StoreError> {
    let mut st = conn.prepare_cached(sql).map_err(store_error)?;
    let mut rows = st.query(params![a, b]).map_err(store_error)?;
    match rows.next().map_err(store_error)? {
        Some(r) => link(r).map(Some),
        None => Ok(None),
    }
}

#[async_trait::async_trait]
impl DecisionStore for SqliteStore {
    async fn decision_of_vote(
        &self,
        tenant: &TenantId,
        vote: VoteId,
    ) -> Result<Option<DecisionLink>, StoreError> {
        let (t, v) = (tenant.as_str().to_owned(), uuid_text(vote.0));
        self.read(move |conn| {
            one(
                conn,
                &format!("{COLUMNS} WHERE tenant = ?1 AND vote_id = ?2"),
                &t,
                &v,
            )
        })
        .await
    }

    async fn decision_of_request(
        &self,
        tenant: &TenantId,
        request: RequestId,
    ) -> Result<Option<DecisionLink>, StoreError> {
        let (t, r) = (tenant.as_str().to_owned(), id_text(request));
        self.read(move |conn| {
            one(
                conn,
                &format!("{COLUMNS} WHERE tenant = ?1 AND request_id = ?2"),
                &t,
                &r,
            )
        })
        .await
    }

    async fn municipal_council_count(
        &self,
        tenant: &TenantId,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        units: Option<&[UnitCode]>,
    ) -> Result<u64, StoreError> {
        let t = tenant.as_str().to_owned();
        let units: Option<Vec<String>> =
            units.map(|us| us.iter().map(|u| u.as_str().to_owned()).collect());
        let (from, to) = (micros(from), micros(to));
        self.read(move |conn| {
            let mut st = conn
                .prepare_cached(
                    "SELECT unit FROM requests WHERE tenant = ?1 AND municipal_council = 1 \
                     AND received_at >= ?2 AND received_at < ?3",
                )
                .map_err(store_error)?;
            let mut rows = st.query(params![t, from, to]).map_err(store_error)?;
            let mut n = 0;
            while let Some(r) = rows.next().map_err(store_error)? {
                let unit: Option<String> = r.get(0).map_err(store_error)?;
                if units
                    .as_ref()
                    .is_none_or(|us| unit.as_ref().is_some_and(|u| us.contains(u)))
                {
                    n += 1;
                }
            }
            Ok(n)
        })
        .await
    }
}
