//! Test support: a fresh schema per test in the database named by `DATABASE_URL`, and
//! the skip rule.
//!
//! * `DATABASE_URL` set: the tests run; a server that cannot be reached fails them.
//! * `DATABASE_URL` unset: the tests pass without running, after a notice on stderr;
//!   unless `MUHTAR_REQUIRE_POSTGRES=1` (CI), which makes them fail instead.

#![allow(dead_code)] // each test binary uses a part

use std::io::Write;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Once;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use muhtar_store_postgres::PgStore;
use sqlx::postgres::{PgPool, PgPoolOptions};
use sqlx::{Connection, Executor, PgConnection};

const HOW: &str =
    "DATABASE_URL=postgres://postgres@127.0.0.1/test cargo test -p muhtar-store-postgres";

/// Schemas made by the tests start with this.
const PREFIX: &str = "muhtar_test_";

fn database_url() -> Option<String> {
    std::env::var("DATABASE_URL").ok().filter(|u| !u.is_empty())
}

fn required() -> bool {
    std::env::var("MUHTAR_REQUIRE_POSTGRES").is_ok_and(|v| v == "1")
}

/// Whether to skip the PostgreSQL tests: true only when no `DATABASE_URL` is set and
/// PostgreSQL is not required. Prints the notice once per test binary, past the test
/// harness's output capture so it is always seen. Panics when PostgreSQL is required
/// but not configured.
pub fn skip() -> bool {
    if database_url().is_some() {
        return false;
    }
    if required() {
        panic!(
            "MUHTAR_REQUIRE_POSTGRES=1 but DATABASE_URL is not set: the PostgreSQL store \
             tests must run. Run them with: {HOW}"
        );
    }
    static NOTICE: Once = Once::new();
    NOTICE.call_once(|| {
        // Written to the process's stderr directly: `eprintln!` inside a test is
        // captured by the harness and shown only on failure.
        let _ = writeln!(
            std::io::stderr(),
            "\n*** muhtar-store-postgres: PostgreSQL tests SKIPPED: DATABASE_URL is not set.\n\
             *** Run them with: {HOW}\n\
             *** (Set MUHTAR_REQUIRE_POSTGRES=1 to make a missing database an error.)\n"
        );
    });
    true
}

fn url() -> String {
    match database_url() {
        Some(u) => u,
        None => panic!("DATABASE_URL is not set; run with: {HOW}"),
    }
}

/// A pool of up to `max` connections whose `search_path` is `schema`.
pub async fn pool_in(schema: &str, max: u32) -> PgPool {
    let set = format!("SET search_path TO \"{schema}\"");
    PgPoolOptions::new()
        .max_connections(max)
        .acquire_timeout(Duration::from_secs(20))
        .after_connect(move |conn, _meta| {
            let set = set.clone();
            Box::pin(async move {
                conn.execute(set.as_str()).await?;
                Ok(())
            })
        })
        .connect(&url())
        .await
        .unwrap_or_else(|e| panic!("cannot connect to PostgreSQL at DATABASE_URL: {e}"))
}

/// A new, empty schema (not migrated), named uniquely. Drops the schemas earlier runs
/// left behind more than an hour ago.
pub async fn fresh_schema() -> String {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs();
    let name = format!(
        "{PREFIX}{now}_{}_{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    );
    // A plain connection, not a pool: an unreachable server fails at once with the
    // real reason instead of a pool timeout.
    let mut admin = PgConnection::connect(&url())
        .await
        .unwrap_or_else(|e| panic!("cannot connect to PostgreSQL at DATABASE_URL: {e}"));
    static CLEAN: Once = Once::new();
    let mut clean = false;
    CLEAN.call_once(|| clean = true);
    if clean {
        let old: Vec<String> = sqlx::query_scalar(
            "SELECT nspname::text FROM pg_namespace WHERE starts_with(nspname, $1)",
        )
        .bind(PREFIX)
        .fetch_all(&mut admin)
        .await
        .unwrap_or_default();
        for s in old {
            let made: Option<u64> = s
                .strip_prefix(PREFIX)
                .and_then(|r| r.split('_').next())
                .and_then(|t| t.parse().ok());
            if made.is_some_and(|t| t + 3600 < now) {
                let _ = (&mut admin)
                    .execute(format!("DROP SCHEMA IF EXISTS \"{s}\" CASCADE").as_str())
                    .await;
            }
        }
    }
    (&mut admin)
        .execute(format!("CREATE SCHEMA \"{name}\"").as_str())
        .await
        .unwrap_or_else(|e| panic!("cannot create schema {name}: {e}"));
    let _ = admin.close().await;
    name
}

/// A migrated, empty store in a fresh schema.
pub async fn fresh_store() -> PgStore {
    let schema = fresh_schema().await;
    let store = PgStore::from_pool(pool_in(&schema, 4).await);
    store
        .migrate()
        .await
        .unwrap_or_else(|e| panic!("cannot migrate schema {schema}: {e}"));
    store
}
