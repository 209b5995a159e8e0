//! Councils on SQLite (tables `council_*`, migration `0015_councils.sql`): members and
//! votes as JSON with typed copies for the lookups; participation and ballots apart.
//!
//! A ballot runs in a `BEGIN IMMEDIATE` transaction, which holds the database's write lock
//! from its first statement: the vote read open in it cannot be closed before the commit
//! (even by another process), and the participation's primary key (tenant, vote, member)
//! refuses a member's second ballot (SQLite's extended code
//! `SQLITE_CONSTRAINT_PRIMARYKEY`), rolling the transaction back with nothing written.
//! A ballot's id is random (`randomblob`) and both tables are WITHOUT ROWID, so a secret
//! vote's ballots are kept in the order of that id, never in the order they were cast.

use muhtar_core::council::{BallotRecord, Member, MemberId, Tally, Vote, VoteId, VoteStatus};
use muhtar_core::ids::{MuhtarlikCode, TenantId};
use muhtar_core::store::{
    check_close, vote_open, BallotKey, CouncilStore, StoreError, BALLOT_CAST, IDENTITY_TAKEN,
};
use rusqlite::{params, Connection, OptionalExtension};

use crate::codec::{from_json, time_text, to_json, uuid_text};
use crate::error::store_error;
use crate::pool::SqliteStore;
use crate::store::immediate;

fn not_found(what: &str) -> StoreError {
    StoreError::NotFound {
        what: what.to_owned(),
    }
}

/// Whether an error is a unique or primary key violation, by SQLite's extended code.
pub(crate) fn is_key_violation(e: &rusqlite::Error) -> bool {
    matches!(e, rusqlite::Error::SqliteFailure(f, _)
        if f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY
            || f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE)
}

/// JSON values of one query's single column, decoded.
pub(crate) fn json_rows<T: serde::de::DeserializeOwned>(
    conn: &Connection,
    what: &str,
    sql: &str,
    args: &[&dyn rusqlite::ToSql],
) -> Result<Vec<T>, StoreError> {
    let mut st = conn.prepare_cached(sql).map_err(store_error)?;
    let mut rows = st.query(args).map_err(store_error)?;
    let mut out = Vec::new();
    while let Some(r) = rows.next().map_err(store_error)? {
        let json: String = r.get(0).map_err(store_error)?;
        out.push(from_json(what, &json)?);
    }
    Ok(out)
}

/// The vote's row in the caller's transaction: its status and whether it is secret;
/// [`StoreError::NotFound`] if there is none, [`StoreError::Frozen`] if it is closed.
fn open_vote(conn: &Connection, tenant: &str, vote: VoteId) -> Result<bool, StoreError> {
    let row: Option<(String, bool)> = conn
        .prepare_cached("SELECT status, secret FROM council_votes WHERE tenant = ?1 AND id = ?2")
        .and_then(|mut st| {
            st.query_row(params![tenant, uuid_text(vote.0)], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .optional()
        })
        .map_err(store_error)?;
    vote_open(vote, row.as_ref().map(|(s, secret)| (s.as_str(), *secret)))
}

#[async_trait::async_trait]
impl CouncilStore for SqliteStore {
    async fn put_member(&self, member: &Member) -> Result<(), StoreError> {
        let (tenant, id) = (member.tenant.as_str().to_owned(), uuid_text(member.id.0));
        let muhtarlik = member.muhtarlik.as_str().to_owned();
        let (added, json) = (time_text(member.added_at)?, to_json("member", member)?);
        let removed = member.removed_at.is_some();
        let email_key = member.email.as_deref().map(str::to_lowercase);
        let (phone, identity) = (member.phone.clone(), member.identity_hash.clone());
        self.write(move |conn| {
            conn.prepare_cached(
                "INSERT INTO council_members (tenant, id, muhtarlik, added_at, member, removed, \
                 email_key, phone, identity_hash) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) ON CONFLICT (tenant, id) DO UPDATE SET \
                 muhtarlik = excluded.muhtarlik, added_at = excluded.added_at, \
                 member = excluded.member, removed = excluded.removed, \
                 email_key = excluded.email_key, phone = excluded.phone, \
                 identity_hash = excluded.identity_hash",
            )
            .and_then(|mut st| {
                st.execute(params![
                    tenant, id, muhtarlik, added, json, removed, email_key, phone, identity
                ])
            })
            .map_err(|e| {
                if is_key_violation(&e) {
                    StoreError::Duplicate {
                        what: IDENTITY_TAKEN.into(),
                    }
                } else {
                    store_error(e)
                }
            })?;
            Ok(())
        })
        .await
    }

    async fn member(&self, tenant: &TenantId, id: MemberId) -> Result<Member, StoreError> {
        let (t, id) = (tenant.as_str().to_owned(), uuid_text(id.0));
        self.read(move |conn| {
            json_rows(
                conn,
                "member",
                "SELECT member FROM council_members WHERE tenant = ?1 AND id = ?2",
                &[&t, &id],
            )?
            .into_iter()
            .next()
            .ok_or_else(|| not_found("member"))
        })
        .await
    }

    async fn members(
        &self,
        tenant: &TenantId,
        muhtarlik: &MuhtarlikCode,
    ) -> Result<Vec<Member>, StoreError> {
        let (t, m) = (tenant.as_str().to_owned(), muhtarlik.as_str().to_owned());
        self.read(move |conn| {
            json_rows(
                conn,
                "member",
                "SELECT member FROM council_members WHERE tenant = ?1 AND muhtarlik = ?2 \
                 ORDER BY added_at, id",
                &[&t, &m],
            )
        })
        .await
    }

    async fn put_vote(&self, vote: &Vote) -> Result<(), StoreError> {
        let (tenant, id) = (vote.tenant.as_str().to_owned(), uuid_text(vote.id.0));
        let muhtarlik = vote.muhtarlik.as_str().to_owned();
        let (status, secret) = (vote.status.as_str(), vote.secret);
        let (created, json) = (time_text(vote.created_at)?, to_json("vote", vote)?);
        self.write(move |conn| {
            conn.prepare_cached(
                "INSERT INTO council_votes (tenant, id, muhtarlik, status, secret, created_at, \
                 vote) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )
            .and_then(|mut st| {
                st.execute(params![
                    tenant, id, muhtarlik, status, secret, created, json
                ])
            })
            .map_err(|e| {
                if is_key_violation(&e) {
                    StoreError::Duplicate {
                        what: "vote id".into(),
                    }
                } else {
                    store_error(e)
                }
            })?;
            Ok(())
        })
        .await
    }

    async fn vote(&self, tenant: &TenantId, id: VoteId) -> Result<Vote, StoreError> {
        let (t, id) = (tenant.as_str().to_owned(), uuid_text(id.0));
        self.read(move |conn| {
            json_rows(
                conn,
                "vote",
                "SELECT vote FROM council_votes WHERE tenant = ?1 AND id = ?2",
                &[&t, &id],
            )?
            .into_iter()
            .next()
            .ok_or_else(|| not_found("vote"))
        })
        .await
    }

    async fn votes(
        &self,
        tenant: &TenantId,
        muhtarlik: &MuhtarlikCode,
    ) -> Result<Vec<Vote>, StoreError> {
        let (t, m) = (tenant.as_str().to_owned(), muhtarlik.as_str().to_owned());
        self.read(move |conn| {
            json_rows(
                conn,
                "vote",
                "SELECT vote FROM council_votes WHERE tenant = ?1 AND muhtarlik = ?2 \
                 ORDER BY created_at DESC, id DESC",
                &[&t, &m],
            )
        })
        .await
    }

    async fn cast_ballot(
        &self,
        tenant: &TenantId,
        vote: VoteId,
        member: MemberId,
        ballot: &BallotRecord,
    ) -> Result<(), StoreError> {
        let (t, v, m) = (
            tenant.as_str().to_owned(),
            uuid_text(vote.0),
            uuid_text(member.0),
        );
        let (receipt, choice) = (ballot.receipt_hash.clone(), ballot.choice);
        self.write(move |conn| {
            let tx = immediate(conn)?;
            let secret = open_vote(&tx, &t, vote)?;
            tx.prepare_cached(
                "INSERT INTO council_participation (tenant, vote, member) VALUES (?1, ?2, ?3)",
            )
            .and_then(|mut st| st.execute(params![t, v, m]))
            .map_err(|e| {
                if is_key_violation(&e) {
                    StoreError::Duplicate {
                        what: BALLOT_CAST.into(),
                    }
                } else {
                    store_error(e)
                }
            })?;
            let voter = (!secret).then_some(m);
            tx.prepare_cached(
                "INSERT INTO council_ballots (tenant, vote, id, receipt_hash, choice, member) \
                 VALUES (?1, ?2, lower(hex(randomblob(16))), ?3, ?4, ?5)",
            )
            .and_then(|mut st| st.execute(params![t, v, receipt, choice, voter]))
            .map_err(|e| {
                if is_key_violation(&e) {
                    StoreError::Duplicate {
                        what: "receipt".into(),
                    }
                } else {
                    store_error(e)
                }
            })?;
            tx.commit().map_err(store_error)
        })
        .await
    }

    async fn change_ballot(
        &self,
        tenant: &TenantId,
        vote: VoteId,
        key: &BallotKey,
        choice: u8,
    ) -> Result<(), StoreError> {
        let (t, v) = (tenant.as_str().to_owned(), uuid_text(vote.0));
        let key = key.clone();
        self.write(move |conn| {
            let tx = immediate(conn)?;
            open_vote(&tx, &t, vote)?;
            let changed = match &key {
                BallotKey::Member(m) => tx
                    .prepare_cached(
                        "UPDATE council_ballots SET choice = ?4 \
                         WHERE tenant = ?1 AND vote = ?2 AND member = ?3",
                    )
                    .and_then(|mut st| st.execute(params![t, v, uuid_text(m.0), choice])),
                BallotKey::Receipt(h) => tx
                    .prepare_cached(
                        "UPDATE council_ballots SET choice = ?4 \
                         WHERE tenant = ?1 AND vote = ?2 AND receipt_hash = ?3",
                    )
                    .and_then(|mut st| st.execute(params![t, v, h, choice])),
            }
            .map_err(store_error)?;
            if changed == 0 {
                return Err(not_found("ballot"));
            }
            tx.commit().map_err(store_error)
        })
        .await
    }

    async fn ballots(
        &self,
        tenant: &TenantId,
        vote: VoteId,
    ) -> Result<Vec<BallotRecord>, StoreError> {
        let (t, v) = (tenant.as_str().to_owned(), uuid_text(vote.0));
        self.read(move |conn| read_ballots(conn, &t, &v)).await
    }

    async fn participants(
        &self,
        tenant: &TenantId,
        vote: VoteId,
    ) -> Result<Vec<MemberId>, StoreError> {
        let (t, v) = (tenant.as_str().to_owned(), uuid_text(vote.0));
        self.read(move |conn| {
            let mut st = conn
                .prepare_cached(
                    "SELECT member FROM council_participation \
                     WHERE tenant = ?1 AND vote = ?2 ORDER BY member",
                )
                .map_err(store_error)?;
            let mut rows = st.query(params![t, v]).map_err(store_error)?;
            let mut out = Vec::new();
            while let Some(r) = rows.next().map_err(store_error)? {
                let m: String = r.get(0).map_err(store_error)?;
                out.push(parse_member(&m)?);
            }
            Ok(out)
        })
        .await
    }

    async fn close_vote(
        &self,
        tenant: &TenantId,
        vote: VoteId,
        result: &Tally,
    ) -> Result<(), StoreError> {
        let (t, v) = (tenant.as_str().to_owned(), uuid_text(vote.0));
        let result = result.clone();
        self.write(move |conn| {
            let tx = immediate(conn)?;
            open_vote(&tx, &t, vote)?;
            check_close(vote, &result, &read_ballots(&tx, &t, &v)?)?;
            let json: String = tx
                .query_row(
                    "SELECT vote FROM council_votes WHERE tenant = ?1 AND id = ?2",
                    params![t, v],
                    |r| r.get(0),
                )
                .map_err(store_error)?;
            let mut stored: Vote = from_json("vote", &json)?;
            stored.status = VoteStatus::Closed;
            stored.result = Some(result);
            tx.execute(
                "UPDATE council_votes SET status = ?3, vote = ?4 \
                 WHERE tenant = ?1 AND id = ?2 AND status = 'open'",
                params![t, v, VoteStatus::Closed.as_str(), to_json("vote", &stored)?],
            )
            .map_err(store_error)?;
            tx.commit().map_err(store_error)
        })
        .await
    }
}

/// A member id read back (lowercase hyphenated, which sorts like the UUID).
fn parse_member(s: &str) -> Result<MemberId, StoreError> {
    s.parse()
        .map_err(|e| StoreError::corrupt_because(format!("member id {s:?}"), e))
}

/// A vote's ballots sorted by receipt hash (what `ballots` lists and a close is checked
/// against, inside its transaction).
fn read_ballots(
    conn: &rusqlite::Connection,
    t: &str,
    v: &str,
) -> Result<Vec<BallotRecord>, StoreError> {
    let mut st = conn
        .prepare_cached(
            "SELECT receipt_hash, choice, member FROM council_ballots \
             WHERE tenant = ?1 AND vote = ?2 ORDER BY receipt_hash",
        )
        .map_err(store_error)?;
    let mut rows = st.query(params![t, v]).map_err(store_error)?;
    let mut out = Vec::new();
    while let Some(r) = rows.next().map_err(store_error)? {
        let member: Option<String> = r.get(2).map_err(store_error)?;
        out.push(BallotRecord {
            receipt_hash: r.get(0).map_err(store_error)?,
            choice: r.get(1).map_err(store_error)?,
            member: member.as_deref().map(parse_member).transpose()?,
        });
    }
    Ok(out)
}
