//! The SQLite store of `muhtar`: the embedded default, one database file, no server.
//!
//! [`SqliteStore`] implements the storage contract of `muhtar-core`
//! ([`ConfigStore`](muhtar_core::store::ConfigStore),
//! [`RequestStore`](muhtar_core::store::RequestStore),
//! [`OutboxStore`](muhtar_core::store::OutboxStore)) on [rusqlite] with a bundled SQLite,
//! and passes the core conformance suite.
//!
//! - **WAL mode**, foreign keys on, a configurable busy timeout
//!   ([`SqliteOptions::busy_timeout`]).
//! - **One writer, several readers**: one write connection behind an async mutex and a
//!   small pool of read-only connections ([`SqliteOptions::readers`]); every SQLite call
//!   runs on tokio's blocking threads (`spawn_blocking`), never on the runtime's workers.
//!   Readers never wait for the writer.
//! - **One transaction per commit** (`BEGIN IMMEDIATE`): the version check, the events, the
//!   request row and the outbox rows are written together or not at all.
//! - Every SQLite error is mapped into [`StoreError`](muhtar_core::store::StoreError):
//!   by SQLite's result code, the rusqlite error kept as the `source()`. Busy and locked,
//!   read-only, full and I/O failures are `Unavailable` with their
//!   [`UnavailableReason`](muhtar_core::store::UnavailableReason); a damaged file and
//!   undecodable rows are `Corrupt`; values that cannot be written are `Invalid`; taken
//!   unique keys are `Duplicate`.
//!
//! # Example
//!
//! ```no_run
//! use muhtar_core::store::{ConfigStore, DocumentKind};
//! use muhtar_store_sqlite::{SqliteOptions, SqliteStore};
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let store = SqliteStore::open("sqlite://muhtar.db", SqliteOptions::default()).await?;
//! // Explicit, never hidden in `open`: applies whatever migrations are pending.
//! store.migrate().await?;
//! let tenant = "uskudar".parse()?;
//! let version = store.document_version(&tenant, DocumentKind::Organisation).await?;
//! println!("organisation version {version}");
//! # Ok(()) }
//! ```
//!
//! Until the schema is current (a new file, or one from an older build), every store
//! operation fails with `StoreError::Unavailable` for `UnavailableReason::Schema`, its
//! source a [`SchemaError`] naming the schema version;
//! [`SqliteStore::schema_status`] tells where it stands and [`SqliteStore::migrate`]
//! brings it forward.
//!
//! # Schema
//!
//! The schema comes from the append-only SQL files in the crate's `migrations/` directory,
//! also available as [`MIGRATIONS`]:
//!
//! | table | what | key |
//! |---|---|---|
//! | `schema_migrations` | applied migrations: `version`, `name`, `checksum` (SHA-256 of the file above its record line), `applied_at` | `version` |
//! | `events` | **the source of truth**: `tenant`, `request_id`, `version`, `at`, `actor` (JSON), `type`, `payload` (JSON of the event) | `(tenant, request_id, version)` |
//! | `requests` | the query table: `tenant`, `id`, `tracking`, `version`, `status`, `unit`, `muhtarlik`, `category`, `channel`, `received_at`, `resolution_due`, `first_response_due`, `state` (JSON), `deadlines` (JSON), the report facts, `priority_rank`, `lon`, `lat` (the location), `place` (its key in `request_places`) | `(tenant, id)`, unique `(tenant, tracking)` |
//! | `request_places` | the spatial index (an R*Tree, kept in step by triggers, migration 0012): `place_id`, `west`, `east`, `south`, `north` | `place_id` |
//! | `outbox` | notices to deliver: `id`, `tenant`, `request_id`, `idempotency_key` (unique), `status`, `attempts`, `failures` (failed deliveries), `next_attempt_at`, `claimed_until`, `last_error`, `sent_at`, `created_at`, `message` (JSON) | `id` |
//! | `documents` | versioned tenant configuration: `tenant`, `kind`, `version`, `body`, `updated_at`, `updated_by` | `(tenant, kind, version)` |
//! | `api_tokens` | API tokens: `id`, `tenant`, `actor`, `name`, `hash` (SHA-256 of the secret, unique), `created_at`, `revoked_at` | `id` |
//! | `users` | people who log in: `id`, `tenant`, `name` (normalised), `actor`, `display_name`, `password_hash` (argon2id PHC), `created_at`, `password_changed_at`, `disabled_at` | `id`, unique `(tenant, name)` |
//! | `sessions` | login sessions: `hash` (SHA-256 of the secret), `tenant`, `user_id`, `csrf`, `created_at`, `last_seen_at`, `expires_at`, `ended_at` | `hash` |
//! | `login_failures` | failed logins per account: `tenant`, `name`, `at` | (none) |
//! | `works` | works and announcements of the units, the latest version: `seq` (the R*Tree's id), `tenant`, `id`, `version`, `unit`, `status`, `starts_at`, `ends_at` (microseconds), the area's box `min_lon`, `min_lat`, `max_lon`, `max_lat`, `work` (JSON) | `seq`, unique `(tenant, id)` |
//! | `works_area` | R*Tree over the works' boxes (32-bit, rounded outwards: it narrows, the exact box decides) | `seq` |
//! | `work_muhtarliklar` | the muhtarlıklar a work's area touches: `tenant`, `muhtarlik`, `seq` | `(tenant, muhtarlik, seq)` |
//! | `official_documents` | official documents (resmî evrak), never updated or deleted (triggers): `id`, `tenant`, `direction`, `registry`, `year`, `sequence`, `number`, `date`, `code`, `request_id`, `tracking`, `external_number`, `external_key` (trimmed, lower-cased), `document` (JSON) | `id`, unique `(tenant, registry, year, sequence)`, unique `code` |
//! | `council_decisions` | council decisions sent as requests, never changed or deleted (triggers): `tenant`, `vote_id`, `muhtarlik`, `request_id`, `tracking`, `sent_at`, `document_sha256` | `(tenant, vote_id)`, unique `(tenant, request_id)` |
//!
//! Conventions: ids are lowercase hyphenated UUIDs (they sort like the UUIDs); the
//! instants of `requests` are INTEGER microseconds since the Unix epoch (the sort keys of
//! the contract; `resolution_due` is NULL when there is none and sorts last); all other
//! instants are fixed-width UTC RFC 3339 text with nanoseconds
//! (`2025-03-14T09:00:00.000000000Z`), which sorts in time order. Indexes serve every
//! listing of the contract: a unit's queue by deadline, the tenant's queue by deadline,
//! newest first, by muhtarlık, by status and deadline (overdue), and the outbox by
//! `(status, next_attempt_at)` and by tenant and request. Listings use keyset pagination
//! on `(COALESCE(resolution_due, i64::MAX), id)` ascending or `(received_at, id)`
//! descending.
//!
//! | migration | adds |
//! |---|---|
//! | `0001_init.sql` | `schema_migrations`, `requests`, `events`, `outbox` and their indexes |
//! | `0002_documents.sql` | `documents` |
//! | `0004_tokens.sql` | `api_tokens`: API tokens of the HTTP server (SHA-256 of the secret only) |
//! | `0009_report_first_response.sql` | `requests.first_response_at`: the first interim reply or answer, the report's first-response fact (Law 3071), backfilled from the JSON |
//! | `0010_outbox_failures.sql` | `outbox.failures`: the failed-delivery count, moved out of the `[failures=N] ` prefix older builds wrote into `last_error` |
//! | `0011_users.sql` | `users`, `sessions`, `login_failures`: web accounts (argon2id hashes), server-side sessions (SHA-256 of the secret only), the per-account failed-login count |
//! | `0013_works.sql` | `works`, `works_area` (R*Tree), `work_muhtarliklar`: the units' works and announcements |
//! | `0014_documents.sql` | `official_documents`: registered requests and letters, numbered gaplessly per registry and year, frozen by triggers |
//! | `0019_council_decisions.sql` | `council_decisions`: a council's decision sent as a request, once per vote (primary key `(tenant, vote_id)`), never changed (triggers); `requests.municipal_council`, the flag of requests for the municipal council's agenda |
//!
//! # Applying migrations by hand (for DBAs)
//!
//! Each file is plain SQL whose last statement records it in `schema_migrations`, so a DBA
//! can apply the files with the `sqlite3` shell, in order, skipping those already listed
//! by `SELECT version, name FROM schema_migrations`:
//!
//! ```text
//! sqlite3 -bail muhtar.db < migrations/0001_init.sql
//! sqlite3 -bail muhtar.db < migrations/0002_documents.sql
//! ```
//!
//! (`-bail` stops at the first error. For all-or-nothing, wrap a file in a transaction:
//! `(echo 'BEGIN IMMEDIATE;'; cat migrations/0002_documents.sql; echo 'COMMIT;') | sqlite3
//! -bail muhtar.db`; the files contain no transaction statements of their own because
//! [`SqliteStore::migrate`] runs each one inside its own `BEGIN IMMEDIATE`.) The SQL of
//! every migration is also available to programs as [`MIGRATIONS`]. `migrate()` later
//! sees what was applied by hand, checks the recorded checksums against the shipped files
//! ([`MigrateError::ChecksumMismatch`] if a released file was edited) and applies only
//! the rest. Never edit a released migration: add a new file.
//!
//! Backups: with the store running, use `sqlite3 muhtar.db ".backup backup.db"` (copying
//! the file alone can miss the `-wal` file).

#![forbid(unsafe_code)]

mod accounts;
mod codec;
mod council;
mod decisions;
mod documents;
mod error;
mod map;
mod meetings;
mod member_login;
mod migrate;
mod pool;
mod proposals;
mod store;
mod tokens;
mod works;

pub use error::{MigrateError, OpenError, SchemaError};
pub use migrate::{latest_version, Migration, SchemaStatus, MIGRATIONS, RECORD_MARKER};
pub use pool::{SqliteOptions, SqliteStore};
