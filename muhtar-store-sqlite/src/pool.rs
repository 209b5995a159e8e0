//! The store handle: opening, the writer and the reader pool, running SQLite work off the
//! async runtime's threads.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use muhtar_core::store::{StoreError, UnavailableReason};
use rusqlite::{Connection, OpenFlags};
use tokio::sync::Semaphore;

use crate::error::{is_busy, is_not_a_database, store_error, MigrateError, OpenError, SchemaError};
use crate::migrate::{self, SchemaStatus};

/// How a [`SqliteStore`] uses its database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SqliteOptions {
    /// How long an operation waits for a lock held by another connection or process
    /// before it fails with [`StoreError::Unavailable`]. Default: 5 seconds.
    pub busy_timeout: Duration,
    /// How many read connections may be open at once (at least 1; 0 counts as 1).
    /// Reads never wait for the writer (WAL). Default: 4.
    pub readers: usize,
    /// A cap on the database file's size in bytes (SQLite's `max_page_count`), or none.
    /// A commit that would grow the file past it fails with
    /// [`StoreError::Unavailable`] ("disk full") and writes nothing, exactly as a full
    /// disk does: a quota for shared hosts, and how the tests prove a full disk loses
    /// nothing. Default: none.
    pub max_size: Option<u64>,
}

impl Default for SqliteOptions {
    fn default() -> Self {
        SqliteOptions {
            busy_timeout: Duration::from_secs(5),
            readers: 4,
            max_size: None,
        }
    }
}

impl SqliteOptions {
    /// These options with another busy timeout.
    pub fn busy_timeout(mut self, timeout: Duration) -> Self {
        self.busy_timeout = timeout;
        self
    }

    /// These options with another number of read connections.
    pub fn readers(mut self, readers: usize) -> Self {
        self.readers = readers;
        self
    }

    /// These options with a cap on the database size in bytes.
    pub fn max_size(mut self, bytes: u64) -> Self {
        self.max_size = Some(bytes);
        self
    }
}

pub(crate) struct Inner {
    path: PathBuf,
    options: SqliteOptions,
    /// The one write connection. A tokio mutex, so waiting for it does not block a
    /// runtime thread; the guard is moved into the blocking task.
    writer: Arc<tokio::sync::Mutex<Connection>>,
    /// Bounds the open read connections.
    readers: Arc<Semaphore>,
    /// Idle read connections, opened lazily.
    idle: Mutex<Vec<Connection>>,
    /// Set once the schema is known to be current.
    schema_ready: AtomicBool,
    /// Values that must live as long as the store (e.g. the temporary directory of the
    /// database file). Dropped last.
    guards: Mutex<Vec<Box<dyn std::any::Any + Send>>>,
}

/// The SQLite store: one file, WAL mode, one writer connection and a small pool of
/// readers, all SQLite work on tokio's blocking threads.
///
/// Cloning is cheap and shares the connections.
#[derive(Clone)]
pub struct SqliteStore {
    pub(crate) inner: Arc<Inner>,
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStore")
            .field("path", &self.inner.path)
            .field("options", &self.inner.options)
            .finish_non_exhaustive()
    }
}

/// The file path in a location: a path, or a `sqlite://path` / `sqlite:path` URL.
fn parse_location(location: &OsStr) -> Result<PathBuf, OpenError> {
    let invalid = |reason: &str| OpenError::InvalidLocation {
        location: location.to_string_lossy().into_owned(),
        reason: reason.to_owned(),
    };
    let Some(s) = location.to_str() else {
        return Ok(PathBuf::from(location));
    };
    let path = match s
        .strip_prefix("sqlite://")
        .or_else(|| s.strip_prefix("sqlite:"))
    {
        Some(rest) => {
            if rest.contains(['?', '#']) {
                return Err(invalid("URL parameters are not supported"));
            }
            rest
        }
        None => s,
    };
    if path.is_empty() {
        return Err(invalid("no file path"));
    }
    if path == ":memory:" || path.starts_with("file:") {
        return Err(invalid(
            "the store needs a database file (WAL mode, several connections); \
             in-memory and `file:` URI databases are not supported",
        ));
    }
    Ok(PathBuf::from(path))
}

fn configure(conn: &Connection, busy: Duration) -> rusqlite::Result<()> {
    conn.busy_timeout(busy)?;
    conn.pragma_update(None, "foreign_keys", true)?;
    // Deleted and overwritten content is zeroed, not left in free space (KVKK erasure).
    conn.pragma_update(None, "secure_delete", true)?;
    Ok(())
}

fn open_writer(path: &Path, options: &SqliteOptions) -> Result<Connection, OpenError> {
    let unavailable = |e: rusqlite::Error| OpenError::Unavailable {
        path: path.to_owned(),
        reason: e.to_string(),
    };
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
        | OpenFlags::SQLITE_OPEN_CREATE
        | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let read_only = || OpenError::ReadOnly {
        path: path.to_owned(),
    };
    let conn = Connection::open_with_flags(path, flags).map_err(|e| {
        if e.sqlite_error_code() == Some(rusqlite::ErrorCode::ReadOnly) {
            read_only()
        } else {
            unavailable(e)
        }
    })?;
    // SQLite falls back to read-only for a write-protected file: refuse it before any
    // statement, so the file stays as it is and the error says why.
    if conn
        .is_readonly(rusqlite::DatabaseName::Main)
        .map_err(unavailable)?
    {
        return Err(read_only());
    }
    configure(&conn, options.busy_timeout).map_err(unavailable)?;
    // Read before anything writes: a file that is not a database (or whose first page
    // is damaged) fails here, untouched.
    conn.query_row("SELECT count(*) FROM sqlite_master", [], |r| {
        r.get::<_, i64>(0)
    })
    .map_err(|e| {
        if is_not_a_database(&e) {
            OpenError::NotADatabase {
                path: path.to_owned(),
                reason: e.to_string(),
            }
        } else {
            unavailable(e)
        }
    })?;
    let mode: String = conn
        .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
        .map_err(unavailable)?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(OpenError::NoWal {
            path: path.to_owned(),
            mode,
        });
    }
    if let Some(bytes) = options.max_size {
        let page: i64 = conn
            .query_row("PRAGMA page_size", [], |r| r.get(0))
            .map_err(unavailable)?;
        let pages = (bytes / page.max(512) as u64).max(1);
        conn.query_row(&format!("PRAGMA max_page_count = {pages}"), [], |r| {
            r.get::<_, i64>(0)
        })
        .map_err(unavailable)?;
    }
    Ok(conn)
}

fn open_reader(path: &Path, busy: Duration) -> Result<Connection, StoreError> {
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(path, flags).map_err(store_error)?;
    configure(&conn, busy).map_err(store_error)?;
    conn.pragma_update(None, "query_only", true)
        .map_err(store_error)?;
    Ok(conn)
}

fn join_error(e: tokio::task::JoinError) -> StoreError {
    StoreError::unavailable(UnavailableReason::Failed, e)
}

impl SqliteStore {
    /// Opens (creating if missing) the database at `location`: a file path or a
    /// `sqlite://path` URL (`sqlite:///var/lib/muhtar.db` for an absolute path). Sets WAL
    /// mode and foreign keys; does **not** change the schema: call
    /// [`SqliteStore::migrate`] (or apply the migrations by hand) before use. Until the
    /// schema is current, every store operation fails with [`StoreError::Unavailable`]
    /// saying so.
    ///
    /// A file that is not an SQLite database gives [`OpenError::NotADatabase`] and is
    /// left untouched.
    pub async fn open(
        location: impl AsRef<OsStr>,
        options: SqliteOptions,
    ) -> Result<SqliteStore, OpenError> {
        let path = parse_location(location.as_ref())?;
        let (path, options, writer, status) = tokio::task::spawn_blocking(move || {
            let writer = open_writer(&path, &options)?;
            let status = migrate::status(&writer).map_err(|e| OpenError::Unavailable {
                path: path.clone(),
                reason: e.to_string(),
            })?;
            Ok::<_, OpenError>((path, options, writer, status))
        })
        .await
        .map_err(|e| OpenError::Unavailable {
            path: PathBuf::new(),
            reason: format!("open task failed: {e}"),
        })??;
        let readers = options.readers.max(1);
        Ok(SqliteStore {
            inner: Arc::new(Inner {
                path,
                options,
                writer: Arc::new(tokio::sync::Mutex::new(writer)),
                readers: Arc::new(Semaphore::new(readers)),
                idle: Mutex::new(Vec::new()),
                schema_ready: AtomicBool::new(status.is_current()),
                guards: Mutex::new(Vec::new()),
            }),
        })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    /// The options the store was opened with.
    pub fn options(&self) -> &SqliteOptions {
        &self.inner.options
    }

    /// Keeps `guard` alive as long as the store (and its clones): for example the
    /// `tempfile::TempDir` that holds a test database.
    pub fn keep_alive(self, guard: impl Send + 'static) -> Self {
        self.inner
            .guards
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(Box::new(guard));
        self
    }

    /// Applies every pending migration of [`crate::MIGRATIONS`], each in its own
    /// transaction, and returns the versions applied (empty if the schema was current).
    /// Safe to call on every start and from several processes at once.
    pub async fn migrate(&self) -> Result<Vec<u32>, MigrateError> {
        let mut conn = self.inner.writer.clone().lock_owned().await;
        let (applied, status) = tokio::task::spawn_blocking(move || {
            let applied = migrate::migrate(&mut conn)?;
            let status =
                migrate::status(&conn).map_err(|e| MigrateError::Unavailable(e.to_string()))?;
            Ok::<_, MigrateError>((applied, status))
        })
        .await
        .map_err(|e| MigrateError::Unavailable(format!("migration task failed: {e}")))??;
        self.inner
            .schema_ready
            .store(status.is_current(), Ordering::Release);
        Ok(applied)
    }

    /// Where the database's schema stands compared with this build.
    pub async fn schema_status(&self) -> Result<SchemaStatus, StoreError> {
        self.read_unchecked(|c| migrate::status(c).map_err(store_error))
            .await
    }

    /// Fails unless the schema is current.
    async fn ensure_schema(&self) -> Result<(), StoreError> {
        if self.inner.schema_ready.load(Ordering::Acquire) {
            return Ok(());
        }
        // Someone (another process, a DBA) may have migrated it since.
        let status = self.schema_status().await?;
        if status.is_current() {
            self.inner.schema_ready.store(true, Ordering::Release);
            return Ok(());
        }
        Err(StoreError::unavailable(
            UnavailableReason::Schema,
            SchemaError { status },
        ))
    }

    /// Runs `f` on the writer connection, on a blocking thread.
    pub(crate) async fn write<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T, StoreError> + Send + 'static,
    {
        self.ensure_schema().await?;
        let mut conn = self.inner.writer.clone().lock_owned().await;
        tokio::task::spawn_blocking(move || f(&mut conn))
            .await
            .map_err(join_error)?
    }

    /// Runs `f` on a read connection, on a blocking thread.
    pub(crate) async fn read<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
    {
        self.ensure_schema().await?;
        self.read_unchecked(f).await
    }

    async fn read_unchecked<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
    {
        let permit = self
            .inner
            .readers
            .clone()
            .acquire_owned()
            .await
            .map_err(|e| StoreError::unavailable(UnavailableReason::Closed, e))?;
        let inner = self.inner.clone();
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            let idle = inner.idle.lock().unwrap_or_else(|e| e.into_inner()).pop();
            let conn = match idle {
                Some(c) => c,
                None => open_reader(&inner.path, inner.options.busy_timeout)?,
            };
            let out = f(&conn);
            // A connection left inside a transaction is not reused.
            if conn.is_autocommit() {
                inner
                    .idle
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .push(conn);
            }
            out
        })
        .await
        .map_err(join_error)?
    }
}

/// Maps a failure to start a write transaction: busy means another writer holds the lock.
pub(crate) fn begin_error(e: rusqlite::Error) -> StoreError {
    if is_busy(&e) {
        StoreError::unavailable(UnavailableReason::Busy, e)
    } else {
        store_error(e)
    }
}
