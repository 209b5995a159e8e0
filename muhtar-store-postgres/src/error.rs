//! Errors: this crate's own (opening and migrating) and the mapping of every sqlx error
//! to the core's [`StoreError`].

use muhtar_core::store::StoreError;

/// Why a [`crate::PgStore`] could not be opened or migrated.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OpenError {
    /// The server could not be reached, or refused the connection.
    #[error("cannot connect to PostgreSQL: {0}")]
    Connect(#[source] sqlx::Error),
    /// Applying the migrations failed.
    #[error("cannot migrate the PostgreSQL schema: {0}")]
    Migrate(#[source] sqlx::migrate::MigrateError),
}

/// The SQLSTATE of a database error, if it is one.
pub(crate) fn sqlstate(e: &sqlx::Error) -> Option<String> {
    match e {
        sqlx::Error::Database(d) => d.code().map(|c| c.into_owned()),
        _ => None,
    }
}

/// The constraint a database error names, if any.
pub(crate) fn constraint(e: &sqlx::Error) -> Option<String> {
    match e {
        sqlx::Error::Database(d) => d.constraint().map(str::to_owned),
        _ => None,
    }
}

/// Whether the error is a serialization failure (40001) or a deadlock (40P01): the
/// transaction was rolled back and may simply be run again.
pub(crate) fn is_retryable(e: &sqlx::Error) -> bool {
    matches!(sqlstate(e).as_deref(), Some("40001" | "40P01"))
}

/// What a unique constraint protects, in words.
pub(crate) fn constraint_words(name: &str) -> String {
    match name {
        "requests_tenant_tracking_key" => "tracking number".to_owned(),
        "requests_pkey" => "request id".to_owned(),
        "events_pkey" => "event version".to_owned(),
        "outbox_pkey" => "outbox message id".to_owned(),
        "outbox_idempotency_key_key" => "outbox idempotency key".to_owned(),
        "documents_pkey" => "document version".to_owned(),
        other => other.to_owned(),
    }
}

/// Maps any sqlx error to a [`StoreError`]; sqlx types never leave this crate.
///
/// Connection, pool and server-availability problems are [`StoreError::Unavailable`];
/// unique violations are [`StoreError::Duplicate`] (callers that know better, such as a
/// version check, handle SQLSTATE 23505 themselves first); bad data is
/// [`StoreError::Invalid`].
pub(crate) fn map(e: sqlx::Error) -> StoreError {
    use sqlx::Error as E;
    match &e {
        E::RowNotFound => StoreError::NotFound {
            what: "row".to_owned(),
        },
        E::Database(d) => {
            let code = d.code().map(|c| c.into_owned()).unwrap_or_default();
            match code.as_str() {
                "23505" => StoreError::Duplicate {
                    what: constraint_words(d.constraint().unwrap_or("key")),
                },
                "42P01" | "42703" => StoreError::Unavailable(format!(
                    "{e} (has the schema been migrated? see PgStore::migrate)"
                )),
                c if c.starts_with("22") || c.starts_with("23") => {
                    StoreError::Invalid(e.to_string())
                }
                // 08 connection, 40 rollback (serialization, deadlock), 53 resources,
                // 55 lock not available, 57 operator intervention (shutdown, cancel),
                // 25006 read-only transaction, and anything else the server refuses.
                _ => StoreError::Unavailable(e.to_string()),
            }
        }
        E::ColumnDecode { .. }
        | E::Decode(_)
        | E::Encode(_)
        | E::TypeNotFound { .. }
        | E::ColumnNotFound(_)
        | E::ColumnIndexOutOfBounds { .. }
        | E::InvalidArgument(_) => StoreError::Invalid(e.to_string()),
        _ => StoreError::Unavailable(e.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pool_and_io_errors_are_unavailable() {
        assert!(matches!(
            map(sqlx::Error::PoolTimedOut),
            StoreError::Unavailable(_)
        ));
        assert!(matches!(
            map(sqlx::Error::PoolClosed),
            StoreError::Unavailable(_)
        ));
        let io = std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "refused");
        assert!(matches!(
            map(sqlx::Error::Io(io)),
            StoreError::Unavailable(_)
        ));
    }

    #[test]
    fn decode_errors_are_invalid() {
        assert!(matches!(
            map(sqlx::Error::ColumnNotFound("x".into())),
            StoreError::Invalid(_)
        ));
        assert!(matches!(
            map(sqlx::Error::RowNotFound),
            StoreError::NotFound { .. }
        ));
    }

    #[test]
    fn constraints_have_words() {
        assert_eq!(
            constraint_words("requests_tenant_tracking_key"),
            "tracking number"
        );
        assert_eq!(constraint_words("other"), "other");
    }
}
