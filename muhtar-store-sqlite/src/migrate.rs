//! The schema migrations: plain SQL files shipped in `migrations/`, each recording itself
//! in `schema_migrations`.

use rusqlite::{Connection, OptionalExtension, TransactionBehavior};
use sha2::{Digest, Sha256};

use crate::error::{is_busy, MigrateError};

/// One schema migration: a plain SQL file from the crate's `migrations/` directory.
///
/// The file's last statement records it in `schema_migrations`; everything above the
/// [`RECORD_MARKER`] line is covered by its checksum.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Migration {
    /// Version, from 1, in application order.
    pub version: u32,
    /// Name (as recorded in `schema_migrations.name`).
    pub name: &'static str,
    /// The file name in `migrations/`.
    pub file: &'static str,
    /// The whole file.
    pub sql: &'static str,
}

/// The line that separates a migration's checksummed body from the statement that
/// records it.
pub const RECORD_MARKER: &str = "-- muhtar:record";

impl Migration {
    /// The part of the file covered by the checksum: everything above [`RECORD_MARKER`].
    pub fn body(&self) -> &'static str {
        match self.sql.find(RECORD_MARKER) {
            Some(i) => &self.sql[..i],
            None => self.sql,
        }
    }

    /// The checksum recorded in `schema_migrations.checksum`: SHA-256 (hex) of
    /// [`Migration::body`] with line endings normalised to `\n`.
    pub fn checksum(&self) -> String {
        let body = self.body().replace("\r\n", "\n");
        hex::encode(Sha256::digest(body.as_bytes()))
    }
}

/// Every migration this build ships, oldest first. DBAs may apply them by hand, in order
/// (`sqlite3 muhtar.db < migrations/0001_init.sql`); see the crate documentation.
pub const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "init",
        file: "0001_init.sql",
        sql: include_str!("../migrations/0001_init.sql"),
    },
    Migration {
        version: 2,
        name: "documents",
        file: "0002_documents.sql",
        sql: include_str!("../migrations/0002_documents.sql"),
    },
    Migration {
        version: 3,
        name: "reports",
        file: "0003_reports.sql",
        sql: include_str!("../migrations/0003_reports.sql"),
    },
    Migration {
        version: 4,
        name: "tokens",
        file: "0004_tokens.sql",
        sql: include_str!("../migrations/0004_tokens.sql"),
    },
    Migration {
        version: 5,
        name: "queue_index",
        file: "0005_queue_index.sql",
        sql: include_str!("../migrations/0005_queue_index.sql"),
    },
    Migration {
        version: 6,
        name: "report_calendar_days",
        file: "0006_report_calendar_days.sql",
        sql: include_str!("../migrations/0006_report_calendar_days.sql"),
    },
    Migration {
        version: 7,
        name: "priority_rank",
        file: "0007_priority_rank.sql",
        sql: include_str!("../migrations/0007_priority_rank.sql"),
    },
    Migration {
        version: 8,
        name: "report_corrections",
        file: "0008_report_corrections.sql",
        sql: include_str!("../migrations/0008_report_corrections.sql"),
    },
    Migration {
        version: 9,
        name: "report_first_response",
        file: "0009_report_first_response.sql",
        sql: include_str!("../migrations/0009_report_first_response.sql"),
    },
    Migration {
        version: 10,
        name: "outbox_failures",
        file: "0010_outbox_failures.sql",
        sql: include_str!("../migrations/0010_outbox_failures.sql"),
    },
    Migration {
        version: 11,
        name: "users",
        file: "0011_users.sql",
        sql: include_str!("../migrations/0011_users.sql"),
    },
    Migration {
        version: 12,
        name: "map",
        file: "0012_map.sql",
        sql: include_str!("../migrations/0012_map.sql"),
    },
    Migration {
        version: 13,
        name: "works",
        file: "0013_works.sql",
        sql: include_str!("../migrations/0013_works.sql"),
    },
    Migration {
        version: 14,
        name: "official_documents",
        file: "0014_documents.sql",
        sql: include_str!("../migrations/0014_documents.sql"),
    },
    Migration {
        version: 15,
        name: "councils",
        file: "0015_councils.sql",
        sql: include_str!("../migrations/0015_councils.sql"),
    },
    Migration {
        version: 16,
        name: "council_proposals",
        file: "0016_council_proposals.sql",
        sql: include_str!("../migrations/0016_council_proposals.sql"),
    },
    Migration {
        version: 17,
        name: "council_meetings",
        file: "0017_council_meetings.sql",
        sql: include_str!("../migrations/0017_council_meetings.sql"),
    },
    Migration {
        version: 18,
        name: "council_logins",
        file: "0018_council_logins.sql",
        sql: include_str!("../migrations/0018_council_logins.sql"),
    },
    Migration {
        version: 19,
        name: "council_decisions",
        file: "0019_council_decisions.sql",
        sql: include_str!("../migrations/0019_council_decisions.sql"),
    },
];

/// The schema version this build needs.
pub fn latest_version() -> u32 {
    MIGRATIONS.last().map(|m| m.version).unwrap_or(0)
}

/// Where a database's schema stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SchemaStatus {
    /// The highest migration version recorded in the database (0: none).
    pub version: u32,
    /// The highest version this build ships.
    pub latest: u32,
}

impl SchemaStatus {
    /// Whether the store can be used: every shipped migration is applied.
    pub fn is_current(&self) -> bool {
        self.version == self.latest
    }

    /// Whether [`crate::SqliteStore::migrate`] has work to do.
    pub fn needs_migration(&self) -> bool {
        self.version < self.latest
    }

    /// Whether the database was migrated by a newer build.
    pub fn is_newer(&self) -> bool {
        self.version > self.latest
    }
}

/// `(version, name, checksum)` of every recorded migration.
pub(crate) fn applied(conn: &Connection) -> rusqlite::Result<Vec<(u32, String, String)>> {
    let exists: Option<i64> = conn
        .query_row(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'",
            [],
            |r| r.get(0),
        )
        .optional()?;
    if exists.is_none() {
        return Ok(Vec::new());
    }
    let mut st =
        conn.prepare("SELECT version, name, checksum FROM schema_migrations ORDER BY version")?;
    let rows = st.query_map([], |r| {
        Ok((
            r.get::<_, i64>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, String>(2)?,
        ))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (v, name, sum) = row?;
        // A version outside u32 cannot be ours; report it as far newer.
        out.push((u32::try_from(v).unwrap_or(u32::MAX), name, sum));
    }
    Ok(out)
}

/// The schema status of a connection's database.
pub(crate) fn status(conn: &Connection) -> rusqlite::Result<SchemaStatus> {
    let version = applied(conn)?.iter().map(|a| a.0).max().unwrap_or(0);
    Ok(SchemaStatus {
        version,
        latest: latest_version(),
    })
}

fn unavailable(e: rusqlite::Error) -> MigrateError {
    MigrateError::Unavailable(e.to_string())
}

fn check_recorded(rows: &[(u32, String, String)]) -> Result<(), MigrateError> {
    let known = latest_version();
    if let Some(found) = rows.iter().map(|r| r.0).max().filter(|&v| v > known) {
        return Err(MigrateError::NewerSchema { found, known });
    }
    for (version, name, recorded) in rows {
        if let Some(m) = MIGRATIONS.iter().find(|m| m.version == *version) {
            let shipped = m.checksum();
            if *recorded != shipped {
                return Err(MigrateError::ChecksumMismatch {
                    version: *version,
                    name: name.clone(),
                    recorded: recorded.clone(),
                    shipped,
                });
            }
        }
    }
    Ok(())
}

/// Applies every pending migration, each in its own `BEGIN IMMEDIATE` transaction (so two
/// processes migrating at once do not both apply one). Returns the versions applied.
pub(crate) fn migrate(conn: &mut Connection) -> Result<Vec<u32>, MigrateError> {
    let mut done = Vec::new();
    for m in MIGRATIONS {
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(unavailable)?;
        let rows = applied(&tx).map_err(unavailable)?;
        check_recorded(&rows)?;
        if rows.iter().any(|r| r.0 == m.version) {
            continue; // the transaction rolls back: nothing was written
        }
        let failed = |e: rusqlite::Error| {
            if is_busy(&e) {
                unavailable(e)
            } else {
                MigrateError::Failed {
                    version: m.version,
                    name: m.name.into(),
                    reason: e.to_string(),
                }
            }
        };
        tx.execute_batch(m.sql).map_err(failed)?;
        let recorded: Option<String> = tx
            .query_row(
                "SELECT checksum FROM schema_migrations WHERE version = ?1",
                [m.version],
                |r| r.get(0),
            )
            .optional()
            .map_err(failed)?;
        if recorded.as_deref() != Some(m.checksum().as_str()) {
            return Err(MigrateError::Failed {
                version: m.version,
                name: m.name.into(),
                reason: format!(
                    "the file recorded checksum {recorded:?}, expected {}",
                    m.checksum()
                ),
            });
        }
        tx.commit().map_err(failed)?;
        done.push(m.version);
    }
    Ok(done)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_are_in_order_and_record_their_checksums() {
        for (i, m) in MIGRATIONS.iter().enumerate() {
            assert_eq!(m.version as usize, i + 1);
            assert!(m.file.starts_with(&format!("{:04}_", m.version)));
            let record = &m.sql[m.body().len()..];
            assert!(
                record.starts_with(RECORD_MARKER),
                "{} has no record",
                m.file
            );
            let want = format!("VALUES ({}, '{}', '{}',", m.version, m.name, m.checksum());
            assert!(
                record.contains(&want),
                "{} must record itself with: {want}",
                m.file
            );
            for forbidden in ["BEGIN", "COMMIT", "PRAGMA"] {
                assert!(
                    !m.sql
                        .lines()
                        .any(|l| l.trim_start().to_uppercase().starts_with(forbidden)),
                    "{} must not contain {forbidden}: the migrator runs it in a transaction",
                    m.file
                );
            }
        }
    }
}
