//! Councils on PostgreSQL (tables `council_*`, migration `0015_councils.sql`): members
//! and votes as JSON text with typed copies for the lookups; participation and ballots
//! apart.
//!
//! A ballot's transaction (READ COMMITTED) first takes `FOR SHARE` on the vote's row and
//! checks it is open; a close takes `FOR UPDATE` on it, so the two serialize: a ballot
//! committed before the close got its lock, or the ballot finds the vote closed
//! ([`StoreError::Frozen`]). The participation's primary key
//! ([`PARTICIPATION_KEY`]) refuses a member's second ballot, recognised by SQLSTATE 23505
//! and the constraint's name; the transaction then rolls back with nothing written.
//!
//! A **secret** vote's ballots are not rows but entries of one row per vote,
//! `council_secret_urns` (migration `0020_council_secret_urns.sql`): a JSON array sorted by
//! receipt hash, rewritten whole by each ballot under `FOR UPDATE`. As separate rows a
//! ballot carried the same transaction id (`xmin`) as its participation row and sat in
//! cast order (`ctid`), so the raw table linked who voted to what; the urn's one live row
//! carries neither.

use muhtar_core::council::{BallotRecord, Member, MemberId, Tally, Vote, VoteId, VoteStatus};
use muhtar_core::ids::{MuhtarlikCode, TenantId};
use muhtar_core::store::{
    check_close, vote_open, BallotKey, CouncilStore, StoreError, BALLOT_CAST, IDENTITY_TAKEN,
};
use sqlx::PgConnection;

use crate::error::{constraint, is_unique_violation, map};
use crate::{split_nanos, PgStore};

/// The one-ballot-per-member key: (tenant, vote, member).
pub(crate) const PARTICIPATION_KEY: &str = "council_participation_pkey";
/// One member per identity number on a tenant's roll (migration 0018).
pub(crate) const IDENTITY_KEY: &str = "council_members_identity";
/// A receipt hash is unique within its vote.
pub(crate) const RECEIPT_KEY: &str = "council_ballots_receipt_key";

fn not_found(what: &str) -> StoreError {
    StoreError::NotFound {
        what: what.to_owned(),
    }
}

pub(crate) fn from_text<T: serde::de::DeserializeOwned>(
    what: &str,
    s: &str,
) -> Result<T, StoreError> {
    serde_json::from_str(s).map_err(|e| StoreError::corrupt_because(what, e))
}

pub(crate) fn to_text<T: serde::Serialize>(what: &str, v: &T) -> Result<String, StoreError> {
    serde_json::to_string(v).map_err(|e| StoreError::invalid_because(what, e))
}

/// Locks the vote's row (`FOR SHARE` for a ballot, `FOR UPDATE` for a close) and checks it
/// is open: whether it is secret; [`StoreError::NotFound`] or [`StoreError::Frozen`].
async fn lock_open_vote(
    tx: &mut PgConnection,
    tenant: &TenantId,
    vote: VoteId,
    update: bool,
) -> Result<bool, StoreError> {
    let sql = if update {
        "SELECT status, secret FROM council_votes WHERE tenant = $1 AND id = $2 FOR UPDATE"
    } else {
        "SELECT status, secret FROM council_votes WHERE tenant = $1 AND id = $2 FOR SHARE"
    };
    let row: Option<(String, bool)> = sqlx::query_as(sql)
        .bind(tenant.as_str())
        .bind(vote.0)
        .fetch_optional(&mut *tx)
        .await
        .map_err(map)?;
    vote_open(vote, row.as_ref().map(|(s, secret)| (s.as_str(), *secret)))
}

#[async_trait::async_trait]
impl CouncilStore for PgStore {
    async fn put_member(&self, member: &Member) -> Result<(), StoreError> {
        let (added, nanos) = split_nanos(member.added_at);
        sqlx::query(
            "INSERT INTO council_members (tenant, id, muhtarlik, added_at, added_nanos, member,
                 removed, email_key, phone, identity_hash)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
             ON CONFLICT (tenant, id) DO UPDATE SET muhtarlik = excluded.muhtarlik,
                 added_at = excluded.added_at, added_nanos = excluded.added_nanos,
                 member = excluded.member, removed = excluded.removed,
                 email_key = excluded.email_key, phone = excluded.phone,
                 identity_hash = excluded.identity_hash",
        )
        .bind(member.tenant.as_str())
        .bind(member.id.0)
        .bind(member.muhtarlik.as_str())
        .bind(added)
        .bind(nanos)
        .bind(to_text("member", member)?)
        .bind(member.removed_at.is_some())
        .bind(member.email.as_deref().map(str::to_lowercase))
        .bind(member.phone.as_deref())
        .bind(member.identity_hash.as_deref())
        .execute(self.pool())
        .await
        .map_err(|e| {
            if is_unique_violation(&e) && constraint(&e).as_deref() == Some(IDENTITY_KEY) {
                StoreError::Duplicate {
                    what: IDENTITY_TAKEN.into(),
                }
            } else {
                map(e)
            }
        })?;
        Ok(())
    }

    async fn member(&self, tenant: &TenantId, id: MemberId) -> Result<Member, StoreError> {
        let json: Option<String> =
            sqlx::query_scalar("SELECT member FROM council_members WHERE tenant = $1 AND id = $2")
                .bind(tenant.as_str())
                .bind(id.0)
                .fetch_optional(self.pool())
                .await
                .map_err(map)?;
        from_text("member", &json.ok_or_else(|| not_found("member"))?)
    }

    async fn members(
        &self,
        tenant: &TenantId,
        muhtarlik: &MuhtarlikCode,
    ) -> Result<Vec<Member>, StoreError> {
        let rows: Vec<String> = sqlx::query_scalar(
            "SELECT member FROM council_members WHERE tenant = $1 AND muhtarlik = $2
             ORDER BY added_at, added_nanos, id",
        )
        .bind(tenant.as_str())
        .bind(muhtarlik.as_str())
        .fetch_all(self.pool())
        .await
        .map_err(map)?;
        rows.iter().map(|j| from_text("member", j)).collect()
    }

    async fn put_vote(&self, vote: &Vote) -> Result<(), StoreError> {
        let (created, nanos) = split_nanos(vote.created_at);
        let mut tx = self.pool().begin().await.map_err(map)?;
        sqlx::query(
            "INSERT INTO council_votes (tenant, id, muhtarlik, status, secret, created_at,
                 created_nanos, vote)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(vote.tenant.as_str())
        .bind(vote.id.0)
        .bind(vote.muhtarlik.as_str())
        .bind(vote.status.as_str())
        .bind(vote.secret)
        .bind(created)
        .bind(nanos)
        .bind(to_text("vote", vote)?)
        .execute(&mut *tx)
        .await
        .map_err(|e| {
            if is_unique_violation(&e) {
                StoreError::Duplicate {
                    what: "vote id".into(),
                }
            } else {
                map(e)
            }
        })?;
        if vote.secret {
            sqlx::query("INSERT INTO council_secret_urns (tenant, vote) VALUES ($1, $2)")
                .bind(vote.tenant.as_str())
                .bind(vote.id.0)
                .execute(&mut *tx)
                .await
                .map_err(map)?;
        }
        tx.commit().await.map_err(map)
    }

    async fn vote(&self, tenant: &TenantId, id: VoteId) -> Result<Vote, StoreError> {
        let json: Option<String> =
            sqlx::query_scalar("SELECT vote FROM council_votes WHERE tenant = $1 AND id = $2")
                .bind(tenant.as_str())
                .bind(id.0)
                .fetch_optional(self.pool())
                .await
                .map_err(map)?;
        from_text("vote", &json.ok_or_else(|| not_found("vote"))?)
    }

    async fn votes(
        &self,
        tenant: &TenantId,
        muhtarlik: &MuhtarlikCode,
    ) -> Result<Vec<Vote>, StoreError> {
        let rows: Vec<String> = sqlx::query_scalar(
            "SELECT vote FROM council_votes WHERE tenant = $1 AND muhtarlik = $2
             ORDER BY created_at DESC, created_nanos DESC, id DESC",
        )
        .bind(tenant.as_str())
        .bind(muhtarlik.as_str())
        .fetch_all(self.pool())
        .await
        .map_err(map)?;
        rows.iter().map(|j| from_text("vote", j)).collect()
    }

    async fn cast_ballot(
        &self,
        tenant: &TenantId,
        vote: VoteId,
        member: MemberId,
        ballot: &BallotRecord,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool().begin().await.map_err(map)?;
        let secret = lock_open_vote(&mut tx, tenant, vote, false).await?;
        // A concurrent ballot of the member waits here for the first one's commit, then
        // fails on the key.
        sqlx::query("INSERT INTO council_participation (tenant, vote, member) VALUES ($1, $2, $3)")
            .bind(tenant.as_str())
            .bind(vote.0)
            .bind(member.0)
            .execute(&mut *tx)
            .await
            .map_err(|e| {
                if is_unique_violation(&e) && constraint(&e).as_deref() == Some(PARTICIPATION_KEY) {
                    StoreError::Duplicate {
                        what: BALLOT_CAST.into(),
                    }
                } else {
                    map(e)
                }
            })?;
        if secret {
            let mut urn = lock_urn(&mut tx, tenant, vote).await?;
            if urn.iter().any(|b| b.receipt_hash == ballot.receipt_hash) {
                return Err(StoreError::Duplicate {
                    what: "receipt".into(),
                });
            }
            urn.push(BallotRecord {
                member: None,
                ..ballot.clone()
            });
            write_urn(&mut tx, tenant, vote, urn).await?;
            return tx.commit().await.map_err(map);
        }
        sqlx::query(
            "INSERT INTO council_ballots (tenant, vote, receipt_hash, choice, member)
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(tenant.as_str())
        .bind(vote.0)
        .bind(&ballot.receipt_hash)
        .bind(i16::from(ballot.choice))
        .bind(member.0)
        .execute(&mut *tx)
        .await
        .map_err(|e| {
            if is_unique_violation(&e) && constraint(&e).as_deref() == Some(RECEIPT_KEY) {
                StoreError::Duplicate {
                    what: "receipt".into(),
                }
            } else {
                map(e)
            }
        })?;
        tx.commit().await.map_err(map)
    }

    async fn change_ballot(
        &self,
        tenant: &TenantId,
        vote: VoteId,
        key: &BallotKey,
        choice: u8,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool().begin().await.map_err(map)?;
        if lock_open_vote(&mut tx, tenant, vote, false).await? {
            // A secret vote's ballot is found by its receipt only (the urn has no member).
            let mut urn = lock_urn(&mut tx, tenant, vote).await?;
            let found = match key {
                BallotKey::Receipt(h) => urn.iter_mut().find(|b| b.receipt_hash == *h),
                BallotKey::Member(_) => None,
            };
            let Some(b) = found else {
                return Err(not_found("ballot"));
            };
            b.choice = choice;
            write_urn(&mut tx, tenant, vote, urn).await?;
            return tx.commit().await.map_err(map);
        }
        let q = match key {
            BallotKey::Member(m) => sqlx::query(
                "UPDATE council_ballots SET choice = $4
                 WHERE tenant = $1 AND vote = $2 AND member = $3",
            )
            .bind(tenant.as_str())
            .bind(vote.0)
            .bind(m.0),
            BallotKey::Receipt(h) => sqlx::query(
                "UPDATE council_ballots SET choice = $4
                 WHERE tenant = $1 AND vote = $2 AND receipt_hash = $3",
            )
            .bind(tenant.as_str())
            .bind(vote.0)
            .bind(h.as_str()),
        };
        let changed = q
            .bind(i16::from(choice))
            .execute(&mut *tx)
            .await
            .map_err(map)?
            .rows_affected();
        if changed == 0 {
            return Err(not_found("ballot"));
        }
        tx.commit().await.map_err(map)
    }

    async fn ballots(
        &self,
        tenant: &TenantId,
        vote: VoteId,
    ) -> Result<Vec<BallotRecord>, StoreError> {
        read_ballots(self.pool(), tenant, vote).await
    }

    async fn participants(
        &self,
        tenant: &TenantId,
        vote: VoteId,
    ) -> Result<Vec<MemberId>, StoreError> {
        let rows: Vec<uuid::Uuid> = sqlx::query_scalar(
            "SELECT member FROM council_participation WHERE tenant = $1 AND vote = $2
             ORDER BY member",
        )
        .bind(tenant.as_str())
        .bind(vote.0)
        .fetch_all(self.pool())
        .await
        .map_err(map)?;
        Ok(rows.into_iter().map(MemberId).collect())
    }

    async fn close_vote(
        &self,
        tenant: &TenantId,
        vote: VoteId,
        result: &Tally,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool().begin().await.map_err(map)?;
        lock_open_vote(&mut tx, tenant, vote, true).await?;
        check_close(vote, result, &read_ballots(&mut *tx, tenant, vote).await?)?;
        let json: String =
            sqlx::query_scalar("SELECT vote FROM council_votes WHERE tenant = $1 AND id = $2")
                .bind(tenant.as_str())
                .bind(vote.0)
                .fetch_one(&mut *tx)
                .await
                .map_err(map)?;
        let mut stored: Vote = from_text("vote", &json)?;
        stored.status = VoteStatus::Closed;
        stored.result = Some(result.clone());
        sqlx::query(
            "UPDATE council_votes SET status = $3, vote = $4
             WHERE tenant = $1 AND id = $2 AND status = 'open'",
        )
        .bind(tenant.as_str())
        .bind(vote.0)
        .bind(VoteStatus::Closed.as_str())
        .bind(to_text("vote", &stored)?)
        .execute(&mut *tx)
        .await
        .map_err(map)?;
        tx.commit().await.map_err(map)
    }
}

/// A vote's ballots sorted by receipt hash (byte order, as core sorts): what `ballots`
/// lists and a close is checked against, inside its transaction.
async fn read_ballots<'e, E: sqlx::PgExecutor<'e>>(
    executor: E,
    tenant: &TenantId,
    vote: VoteId,
) -> Result<Vec<BallotRecord>, StoreError> {
    let rows: Vec<(String, i16, Option<uuid::Uuid>)> = sqlx::query_as(
        "SELECT receipt_hash, choice, member FROM (
             SELECT receipt_hash, choice, member FROM council_ballots
             WHERE tenant = $1 AND vote = $2
             UNION ALL
             SELECT e->>'r', (e->>'c')::smallint, NULL::uuid FROM council_secret_urns u,
                 jsonb_array_elements(u.ballots) e
             WHERE u.tenant = $1 AND u.vote = $2
         ) b ORDER BY receipt_hash COLLATE \"C\"",
    )
    .bind(tenant.as_str())
    .bind(vote.0)
    .fetch_all(executor)
    .await
    .map_err(map)?;
    rows.into_iter()
        .map(|(receipt_hash, choice, member)| {
            Ok(BallotRecord {
                receipt_hash,
                choice: u8::try_from(choice).map_err(|e| {
                    StoreError::corrupt_because(format!("ballot choice {choice}"), e)
                })?,
                member: member.map(MemberId),
            })
        })
        .collect()
}

/// Locks a secret vote's urn (`FOR UPDATE`: ballots of one secret vote queue here) and
/// reads its ballots.
async fn lock_urn(
    tx: &mut PgConnection,
    tenant: &TenantId,
    vote: VoteId,
) -> Result<Vec<BallotRecord>, StoreError> {
    let json: Option<sqlx::types::Json<Vec<UrnEntry>>> = sqlx::query_scalar(
        "SELECT ballots FROM council_secret_urns WHERE tenant = $1 AND vote = $2 FOR UPDATE",
    )
    .bind(tenant.as_str())
    .bind(vote.0)
    .fetch_optional(&mut *tx)
    .await
    .map_err(map)?;
    let Some(sqlx::types::Json(entries)) = json else {
        return Err(StoreError::corrupt(format!(
            "secret vote {vote} without its urn"
        )));
    };
    Ok(entries
        .into_iter()
        .map(|e| BallotRecord {
            receipt_hash: e.r,
            choice: e.c,
            member: None,
        })
        .collect())
}

/// Writes a secret vote's urn back whole, its ballots sorted by receipt hash: the one
/// row keeps no order of casting.
async fn write_urn(
    tx: &mut PgConnection,
    tenant: &TenantId,
    vote: VoteId,
    mut ballots: Vec<BallotRecord>,
) -> Result<(), StoreError> {
    ballots.sort_by(|a, b| a.receipt_hash.cmp(&b.receipt_hash));
    let entries: Vec<UrnEntry> = ballots
        .into_iter()
        .map(|b| UrnEntry {
            r: b.receipt_hash,
            c: b.choice,
        })
        .collect();
    sqlx::query("UPDATE council_secret_urns SET ballots = $3 WHERE tenant = $1 AND vote = $2")
        .bind(tenant.as_str())
        .bind(vote.0)
        .bind(sqlx::types::Json(entries))
        .execute(&mut *tx)
        .await
        .map_err(map)?;
    Ok(())
}

/// A ballot in a secret vote's urn: the receipt hash and the choice, nothing else.
#[derive(serde::Serialize, serde::Deserialize)]
struct UrnEntry {
    r: String,
    c: u8,
}
