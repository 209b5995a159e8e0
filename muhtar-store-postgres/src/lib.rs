//! PostgreSQL store for `muhtar`, built on [sqlx](https://docs.rs/sqlx) with a connection
//! pool: the server choice that scales out to many application instances.
//!
//! [`PgStore`] implements the core storage contract
//! ([`ConfigStore`](muhtar_core::store::ConfigStore),
//! [`RequestStore`](muhtar_core::store::RequestStore),
//! [`OutboxStore`](muhtar_core::store::OutboxStore), hence
//! [`Store`](muhtar_core::store::Store)) and passes the shared conformance
//! suite. Every [`Commit`](muhtar_core::store::Commit) is written in one transaction;
//! outbox claims use `FOR UPDATE SKIP LOCKED`, so any number of dispatchers can share one
//! database; every query names its tenant.
//!
//! # Example
//!
//! ```no_run
//! use muhtar_core::store::{RequestQuery, RequestStore};
//! use muhtar_core::ids::TenantId;
//! use muhtar_store_postgres::PgStore;
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let store = PgStore::connect("postgres://muhtar@db.example/muhtar").await?;
//! store.migrate().await?; // or leave it to the DBA, see below
//! let tenant = TenantId::new("uskudar")?;
//! let page = store.query(&tenant, &RequestQuery::default()).await?;
//! println!("{} requests on the first page", page.items.len());
//! # Ok(())
//! # }
//! ```
//!
//! An application that tunes its own pool uses [`PgStore::from_pool`]; one that runs
//! migrations its own way gets them from [`migrator`].
//!
//! # Schema and migrations
//!
//! The schema lives in append-only SQL files in the crate's `migrations/` folder
//! (`0001_init.sql`, …), embedded into the binary at compile time. There are three ways to
//! apply them, all equivalent:
//!
//! * [`PgStore::migrate`] at start-up (sqlx records what ran in `_sqlx_migrations` and
//!   takes an advisory lock, so several instances starting together are safe);
//! * [`migrator`] for an application that runs its own migration step;
//! * a DBA with `psql`, file by file in order, each in one transaction:
//!
//!   ```text
//!   psql -v ON_ERROR_STOP=1 -1 -d muhtar -f migrations/0001_init.sql
//!   ```
//!
//!   The files are plain SQL and idempotent (`IF NOT EXISTS`), so an application that
//!   later calls [`PgStore::migrate`] on a database prepared by hand only records them.
//!
//! Objects are created in the first schema of the connection's `search_path`.
//!
//! Tables: `events` (the source of truth, one row per event, primary key
//! `(tenant, request_id, version)`), `requests` (the current state and deadlines as
//! `jsonb`, plus typed copies for queries and quarterly reports: status, outcome, reason,
//! unit, muhtarlık, category, channel, received/answered/closed instants, deadlines, sort
//! keys; tracking number unique per tenant), `outbox` (one row per notice, idempotency key
//! unique), `documents` (every version of every tenant configuration document) and, since
//! `0011_users.sql`, `users` (argon2id hashes, name unique per tenant), `sessions` (the
//! SHA-256 of the secret only) and `login_failures` (the per-account failed-login count);
//! since `0013_works.sql`, `works` (the units' works: the latest version as `jsonb`, the
//! area's bounding box as a `box` under a GiST index for `bbox` queries, the muhtarlıklar it
//! touches as a `text[]` under a GIN index); since `0014_documents.sql`,
//! `official_documents` (registered requests and letters: the document as JSON text with
//! typed copies, numbered gaplessly per registry and year, unique
//! `(tenant, registry, year, sequence)` and `code`, frozen by a trigger).
//!
//! # KVKK erasure
//!
//! A commit that erases a citizen's contact (`Commit::erases_contact`) removes it from the
//! stored `received` event in its transaction; once committed, the store runs
//! `VACUUM (INDEX_CLEANUP OFF) events, requests` and `VACUUM (INDEX_CLEANUP ON) outbox` on its own (VACUUM cannot run inside a
//! transaction), so the older row versions that still held the contact leave the heap
//! pages at once instead of at the next autovacuum. It needs the role to own the tables;
//! a failure is ignored (logged with `tracing`): the erasure stands. What stays (free space
//! of a page until overwritten, the WAL, backups) is listed in RELIABILITY.md.
//!
//! # Precision
//!
//! `timestamptz` keeps microseconds. Requests, deadlines, outbox messages and events read
//! back exactly (events keep the nanoseconds below the microsecond in a column of their
//! own); the instants the store itself sets or compares (outbox `next_attempt_at`,
//! `claimed_until`, `sent_at`, document `updated_at`, listing filters) are kept to the
//! microsecond.
//!
//! # Tests
//!
//! The tests need a server: `DATABASE_URL=postgres://postgres@127.0.0.1/test cargo test -p
//! muhtar-store-postgres`. Each test works in a fresh schema of that database. Without
//! `DATABASE_URL` they are skipped with a notice, unless `MUHTAR_REQUIRE_POSTGRES=1`, in
//! which case they fail.

mod accounts;
mod config;
mod council;
mod decisions;
mod documents;
mod error;
mod map;
mod meetings;
mod member_login;
mod outbox;
mod proposals;
mod reports;
mod requests;
mod tokens;
mod works;

use chrono::{DateTime, Duration, Timelike, Utc};
use muhtar_core::store::StoreError;
use sqlx::postgres::{PgConnectOptions, PgConnection, PgPool, PgPoolOptions};
use sqlx::Connection;

pub use error::OpenError;

/// The migrations of this crate's schema, embedded at compile time (no database needed to
/// build). For applications that run migrations themselves:
/// `migrator().run(&pool).await`.
pub fn migrator() -> sqlx::migrate::Migrator {
    sqlx::migrate!("./migrations")
}

/// How long an operation of a store opened with [`PgStore::connect`] waits for a pooled
/// connection (all busy, or the server unreachable) before it fails with
/// [`StoreError::Unavailable`].
pub const ACQUIRE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

/// A store in a PostgreSQL database, behind a connection pool. Cheap to clone (the pool
/// is shared).
#[derive(Debug, Clone)]
pub struct PgStore {
    pool: PgPool,
}

impl PgStore {
    /// Connects with a pool of up to 10 connections, each operation waiting at most
    /// [`ACQUIRE_TIMEOUT`] for one. Does not migrate: call [`PgStore::migrate`] or apply
    /// the migration files beforehand.
    ///
    /// A server that refuses the connection (down, wrong password, no such database)
    /// fails at once with the server's reason. A server that goes down later makes
    /// operations fail with [`StoreError::Unavailable`] within [`ACQUIRE_TIMEOUT`]
    /// (sqlx's default, 30 s, kept HTTP callers and health checks waiting that long);
    /// the pool reconnects by itself once the server is back.
    pub async fn connect(url: &str) -> Result<PgStore, OpenError> {
        let options: PgConnectOptions = url.parse().map_err(OpenError::Connect)?;
        // One plain connection first: a pool would retry until its timeout and then
        // report only that it timed out.
        let first = PgConnection::connect_with(&options)
            .await
            .map_err(OpenError::Connect)?;
        let _ = first.close().await;
        let pool = PgPoolOptions::new()
            .max_connections(10)
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .connect_with(options)
            .await
            .map_err(OpenError::Connect)?;
        Ok(PgStore { pool })
    }

    /// A store on a pool the application built (its own size, timeouts, `search_path`).
    pub fn from_pool(pool: PgPool) -> PgStore {
        PgStore { pool }
    }

    /// The pool, for the application's own queries (reports, health checks).
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// Applies the migrations not yet applied (see [`migrator`]).
    pub async fn migrate(&self) -> Result<(), OpenError> {
        migrator().run(&self.pool).await.map_err(OpenError::Migrate)
    }
}

/// `u32` (versions, attempts) to the `integer` columns.
pub(crate) fn to_i32(v: u32, what: &str) -> Result<i32, StoreError> {
    i32::try_from(v).map_err(|e| StoreError::invalid_because(format!("{what} {v}"), e))
}

/// `integer` columns back to `u32`.
pub(crate) fn to_u32(v: i32, what: &str) -> Result<u32, StoreError> {
    u32::try_from(v).map_err(|e| StoreError::corrupt_because(format!("{what} {v}"), e))
}

/// Splits an instant into the microsecond `timestamptz` keeps and the nanoseconds below.
pub(crate) fn split_nanos(t: DateTime<Utc>) -> (DateTime<Utc>, i32) {
    let sub = t.nanosecond() % 1000;
    (t - Duration::nanoseconds(i64::from(sub)), sub as i32)
}

/// The inverse of [`split_nanos`].
pub(crate) fn join_nanos(t: DateTime<Utc>, sub: i32) -> DateTime<Utc> {
    t + Duration::nanoseconds(i64::from(sub))
}

/// The stable (serde) name of a unit-like enum, such as a channel or an outcome.
pub(crate) fn serde_name<T: serde::Serialize>(v: &T) -> Result<String, StoreError> {
    match serde_json::to_value(v) {
        Ok(serde_json::Value::String(s)) => Ok(s),
        Ok(other) => Err(StoreError::invalid(format!("not a name: {other}"))),
        Err(e) => Err(StoreError::invalid_because("name", e)),
    }
}

/// A value as JSON for a `jsonb` column.
pub(crate) fn to_json<T: serde::Serialize>(
    v: &T,
    what: &str,
) -> Result<serde_json::Value, StoreError> {
    serde_json::to_value(v).map_err(|e| StoreError::invalid_because(what, e))
}

/// A value from a `jsonb` column.
pub(crate) fn from_json<T: serde::de::DeserializeOwned>(
    v: serde_json::Value,
    what: &str,
) -> Result<T, StoreError> {
    serde_json::from_value(v).map_err(|e| StoreError::corrupt_because(what, e))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn nanos_split_and_join() {
        let t = Utc.timestamp_opt(1_700_000_000, 123_456_789).unwrap();
        let (us, sub) = split_nanos(t);
        assert_eq!(us.nanosecond(), 123_456_000);
        assert_eq!(sub, 789);
        assert_eq!(join_nanos(us, sub), t);
        let old = Utc.timestamp_opt(-1_000_000_000, 999).unwrap();
        let (us, sub) = split_nanos(old);
        assert_eq!((us.nanosecond(), sub), (0, 999));
        assert_eq!(join_nanos(us, sub), old);
    }

    #[test]
    fn names_and_numbers() {
        assert_eq!(
            serde_name(&muhtar_core::request::Channel::MbsWeb).unwrap(),
            "mbs-web"
        );
        assert!(serde_name(&5u8).is_err());
        assert!(to_i32(u32::MAX, "version").is_err());
        assert!(to_u32(-1, "version").is_err());
        assert_eq!(to_u32(7, "version").unwrap(), 7);
    }

    #[test]
    fn migrations_are_embedded() {
        let m = migrator();
        assert!(m.iter().any(|m| m.version == 1));
    }
}
