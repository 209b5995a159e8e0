//! The crate's own errors, and the mapping of SQLite errors into [`StoreError`].

use std::path::PathBuf;

use muhtar_core::store::{StoreError, UnavailableReason};
use rusqlite::ErrorCode;

use crate::migrate::SchemaStatus;

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

/// The database's schema is not the one this build uses: the `source()` of a
/// [`StoreError::Unavailable`] for [`UnavailableReason::Schema`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub struct SchemaError {
    /// Where the schema stands.
    pub status: SchemaStatus,
}

impl std::fmt::Display for SchemaError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let SchemaStatus { version, latest } = self.status;
        if self.status.is_newer() {
            write!(
                f,
                "database schema version {version} is newer than this build's {latest}: \
                 upgrade muhtar"
            )
        } else {
            write!(
                f,
                "database schema is at version {version} of {latest}: run \
                 SqliteStore::migrate (or apply the migrations by hand)"
            )
        }
    }
}

/// Maps an SQLite error to the storage contract's error, by SQLite's result code (never by
/// its message); the rusqlite error stays as the `source()`.
pub(crate) fn store_error(e: rusqlite::Error) -> StoreError {
    use rusqlite::Error as E;
    use UnavailableReason as U;
    let code = match &e {
        E::QueryReturnedNoRows => return StoreError::NotFound { what: "row".into() },
        E::SqliteFailure(f, _) => f,
        E::FromSqlConversionFailure(..)
        | E::IntegralValueOutOfRange(..)
        | E::Utf8Error(_)
        | E::InvalidColumnType(..) => return StoreError::corrupt_because("column", e),
        E::ToSqlConversionFailure(_) => return StoreError::invalid_because("parameter", e),
        _ => return StoreError::unavailable(U::Failed, e),
    };
    match code.code {
        ErrorCode::ConstraintViolation => {
            let ext = code.extended_code;
            if ext == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE
                || ext == rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY
            {
                // Callers name the key (they know which one a statement can take).
                StoreError::Duplicate { what: "key".into() }
            } else {
                StoreError::invalid_because("row (constraint violated)", e)
            }
        }
        ErrorCode::TooBig | ErrorCode::TypeMismatch | ErrorCode::ParameterOutOfRange => {
            StoreError::invalid_because("value", e)
        }
        ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked => StoreError::unavailable(U::Busy, e),
        ErrorCode::ReadOnly => StoreError::unavailable(U::ReadOnly, e),
        ErrorCode::DiskFull => StoreError::unavailable(U::Full, e),
        ErrorCode::DatabaseCorrupt | ErrorCode::NotADatabase => {
            StoreError::corrupt_because("database file", e)
        }
        _ => StoreError::unavailable(U::Failed, e),
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
    StoreError::corrupt_because(what, e)
}

#[cfg(test)]
mod tests {
    use std::error::Error as _;

    use super::*;

    /// The SQLite error behind a store error, by its result code.
    fn code(e: &StoreError) -> Option<ErrorCode> {
        e.source()?
            .downcast_ref::<rusqlite::Error>()?
            .sqlite_error_code()
    }

    #[test]
    fn a_file_that_is_not_a_database_is_corrupt_with_the_sqlite_error_as_source() {
        let dir = tempfile::TempDir::new().unwrap();
        let path = dir.path().join("notes.db");
        std::fs::write(&path, vec![b'x'; 8192]).unwrap();
        let conn = rusqlite::Connection::open(&path).unwrap();
        let err = conn
            .query_row("SELECT count(*) FROM sqlite_master", [], |r| {
                r.get::<_, i64>(0)
            })
            .map_err(store_error)
            .unwrap_err();
        assert!(
            matches!(&err, StoreError::Corrupt { what, source: Some(_) } if what == "database file"),
            "{err:?}"
        );
        assert_eq!(code(&err), Some(ErrorCode::NotADatabase));
        assert!(
            err.to_string()
                .starts_with("corrupt stored data: database file: "),
            "{err}"
        );
    }

    #[test]
    fn a_locked_database_is_unavailable_busy() {
        let dir = tempfile::TempDir::new().unwrap();
        let path = dir.path().join("locked.db");
        let holder = rusqlite::Connection::open(&path).unwrap();
        holder
            .execute_batch("CREATE TABLE t (x); BEGIN EXCLUSIVE; INSERT INTO t VALUES (1);")
            .unwrap();
        let other = rusqlite::Connection::open(&path).unwrap();
        other
            .busy_timeout(std::time::Duration::from_millis(10))
            .unwrap();
        let err = other
            .execute("INSERT INTO t VALUES (2)", [])
            .map_err(store_error)
            .unwrap_err();
        assert_eq!(
            err.kind(),
            muhtar_core::store::StoreErrorKind::Unavailable(UnavailableReason::Busy),
            "{err:?}"
        );
        assert_eq!(code(&err), Some(ErrorCode::DatabaseBusy));
        assert!(err.to_string().contains("busy or locked"), "{err}");
    }

    #[test]
    fn unique_violations_are_duplicates_and_other_constraints_invalid() {
        let conn = rusqlite::Connection::open_in_memory().unwrap();
        conn.execute_batch(
            "CREATE TABLE t (x INTEGER UNIQUE CHECK (x > 0)); INSERT INTO t VALUES (1);",
        )
        .unwrap();
        let dup = conn
            .execute("INSERT INTO t VALUES (1)", [])
            .map_err(store_error)
            .unwrap_err();
        assert!(matches!(dup, StoreError::Duplicate { .. }), "{dup:?}");
        let check = conn
            .execute("INSERT INTO t VALUES (-1)", [])
            .map_err(store_error)
            .unwrap_err();
        assert!(matches!(check, StoreError::Invalid { .. }), "{check:?}");
        assert_eq!(code(&check), Some(ErrorCode::ConstraintViolation));
    }

    #[test]
    fn undecodable_columns_are_corrupt() {
        let conn = rusqlite::Connection::open_in_memory().unwrap();
        let err = conn
            .query_row("SELECT 'text'", [], |r| r.get::<_, i64>(0))
            .map_err(store_error)
            .unwrap_err();
        assert!(matches!(err, StoreError::Corrupt { .. }), "{err:?}");
        assert!(err.source().is_some());
    }
}
