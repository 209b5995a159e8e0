//! The crate's own errors, and the mapping of SQLite errors into [`StoreError`].

use std::path::PathBuf;

use muhtar_core::store::StoreError;
use rusqlite::ErrorCode;

/// Why [`crate::SqliteStore::open`] failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum OpenError {
    /// The location is not a usable database file path or `sqlite://` URL (for example
    /// `:memory:`: the store needs a file for WAL and its several connections).
    #[error("invalid database location {location:?}: {reason}")]
    InvalidLocation {
        /// The location given.
        location: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The file exists but is not an SQLite database, or its header is damaged. The file
    /// was not modified.
    #[error("{path:?} is not an SQLite database (or it is corrupt): {reason}")]
    NotADatabase {
        /// The file.
        path: PathBuf,
        /// What SQLite said.
        reason: String,
    },
    /// The database cannot be opened or set up now: missing directory, permissions,
    /// locked by another process, I/O error, disk full.
    #[error("cannot open database {path:?}: {reason}")]
    Unavailable {
        /// The file.
        path: PathBuf,
        /// What SQLite said.
        reason: String,
    },
    /// The database file (or the directory that holds it) cannot be written: muhtar
    /// writes the file and its `-wal` and `-shm` files beside it, even to read. The file
    /// was not modified.
    #[error(
        "database {path:?} is read-only: the file or its directory cannot be written by \
         this user (muhtar needs to write the file and its -wal and -shm files beside it)"
    )]
    ReadOnly {
        /// The file.
        path: PathBuf,
    },
    /// The database does not accept write-ahead logging (e.g. a file system without
    /// shared memory support).
    #[error("database {path:?} cannot use WAL mode (journal mode is {mode:?})")]
    NoWal {
        /// The file.
        path: PathBuf,
        /// The journal mode SQLite kept.
        mode: String,
    },
}

/// Why [`crate::SqliteStore::migrate`] failed. A failed migration leaves the database as
/// it was before that migration (each runs in its own transaction).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MigrateError {
    /// An applied migration's recorded checksum differs from the shipped file: someone
    /// edited a released migration, or the database belongs to another application.
    #[error(
        "migration {version} ({name}) was applied with checksum {recorded}, \
         but this build ships {shipped}"
    )]
    ChecksumMismatch {
        /// Version.
        version: u32,
        /// Name.
        name: String,
        /// The checksum in `schema_migrations`.
        recorded: String,
        /// The checksum of the shipped file.
        shipped: String,
    },
    /// The database has migrations this build does not know: it was migrated by a newer
    /// version of muhtar.
    #[error("database schema version {found} is newer than this build's {known}")]
    NewerSchema {
        /// The highest version recorded in the database.
        found: u32,
        /// The highest version this build ships.
        known: u32,
    },
    /// A migration's SQL failed; it was rolled back.
    #[error("migration {version} ({name}) failed: {reason}")]
    Failed {
        /// Version.
        version: u32,
        /// Name.
        name: String,
        /// What SQLite said.
        reason: String,
    },
    /// The database cannot be used now (locked, I/O error, read-only, full).
    #[error("cannot migrate: {0}")]
    Unavailable(String),
}

/// Maps an SQLite error to the storage contract's error.
pub(crate) fn store_error(e: rusqlite::Error) -> StoreError {
    use rusqlite::Error as E;
    match e {
        E::QueryReturnedNoRows => StoreError::NotFound { what: "row".into() },
        E::SqliteFailure(f, msg) => {
            let text = msg.unwrap_or_else(|| f.to_string());
            match f.code {
                ErrorCode::ConstraintViolation => {
                    let ext = f.extended_code;
                    if ext == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE
                        || ext == rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY
                    {
                        StoreError::Duplicate { what: text }
                    } else {
                        StoreError::Invalid(format!("constraint violated: {text}"))
                    }
                }
                ErrorCode::TooBig | ErrorCode::TypeMismatch | ErrorCode::ParameterOutOfRange => {
                    StoreError::Invalid(text)
                }
                ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked => {
                    StoreError::Unavailable(format!("database is locked: {text}"))
                }
                ErrorCode::ReadOnly => {
                    StoreError::Unavailable(format!("database is read-only: {text}"))
                }
                ErrorCode::DiskFull => StoreError::Unavailable(format!("disk full: {text}")),
                ErrorCode::DatabaseCorrupt | ErrorCode::NotADatabase => {
                    StoreError::Unavailable(format!("database file is corrupt: {text}"))
                }
                _ => StoreError::Unavailable(text),
            }
        }
        E::FromSqlConversionFailure(_, _, err) => {
            StoreError::Invalid(format!("undecodable column: {err}"))
        }
        E::IntegralValueOutOfRange(i, v) => {
            StoreError::Invalid(format!("column {i}: value {v} out of range"))
        }
        E::Utf8Error(err) => StoreError::Invalid(format!("text is not UTF-8: {err}")),
        E::InvalidColumnType(i, name, ty) => {
            StoreError::Invalid(format!("column {i} ({name}) has type {ty}"))
        }
        E::ToSqlConversionFailure(err) => StoreError::Invalid(err.to_string()),
        other => StoreError::Unavailable(other.to_string()),
    }
}

/// Whether SQLite said the database is busy or locked.
pub(crate) fn is_busy(e: &rusqlite::Error) -> bool {
    matches!(
        e.sqlite_error_code(),
        Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked)
    )
}

/// Whether SQLite said the file is not a database or is corrupt.
pub(crate) fn is_not_a_database(e: &rusqlite::Error) -> bool {
    matches!(
        e.sqlite_error_code(),
        Some(ErrorCode::NotADatabase | ErrorCode::DatabaseCorrupt)
    )
}

/// An error reading a JSON column.
pub(crate) fn bad_json(what: &str, e: serde_json::Error) -> StoreError {
    StoreError::Invalid(format!("stored {what} is not valid: {e}"))
}
