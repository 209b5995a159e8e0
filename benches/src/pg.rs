//! The PostgreSQL databases the comparisons use: created fresh (dropped first) on the
//! server named by `MUHTAR_BENCH_PG` (default `postgres://postgres@127.0.0.1:5432`).

use sqlx::postgres::{PgPool, PgPoolOptions};
use sqlx::{Connection, Executor, PgConnection};

/// The server URL without a database name.
pub fn server_url() -> String {
    std::env::var("MUHTAR_BENCH_PG")
        .ok()
        .filter(|u| !u.is_empty())
        .unwrap_or_else(|| "postgres://postgres@127.0.0.1:5432".to_owned())
        .trim_end_matches('/')
        .to_owned()
}

/// The URL of database `name` on [`server_url`].
pub fn url(name: &str) -> String {
    format!("{}/{name}", server_url())
}

/// Drops database `name` if it exists and creates it empty; returns its URL.
pub async fn fresh_database(name: &str) -> Result<String, sqlx::Error> {
    let mut admin = PgConnection::connect(&url("postgres")).await?;
    admin
        .execute(format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)").as_str())
        .await?;
    admin
        .execute(format!("CREATE DATABASE \"{name}\"").as_str())
        .await?;
    admin.close().await?;
    Ok(url(name))
}

/// A pool of up to `max` connections to `url`.
pub async fn pool(url: &str, max: u32) -> Result<PgPool, sqlx::Error> {
    PgPoolOptions::new().max_connections(max).connect(url).await
}

/// The server's version string (`SHOW server_version`).
pub async fn server_version(pool: &PgPool) -> Result<String, sqlx::Error> {
    sqlx::query_scalar("SHOW server_version")
        .fetch_one(pool)
        .await
}
