//! Errors: this crate's own (opening and migrating) and the mapping of every sqlx error
//! to the core's [`StoreError`].

use muhtar_core::store::{StoreError, UnavailableReason};
use sqlx::error::ErrorKind;

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
fn sqlstate(e: &sqlx::Error) -> Option<String> {
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

/// Whether the error is a unique violation (SQLSTATE 23505), by sqlx's error kind.
pub(crate) fn is_unique_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(d) if d.kind() == ErrorKind::UniqueViolation)
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
        // A registry's number taken by a concurrent writer: the service numbers again.
        crate::documents::SEQUENCE_KEY => muhtar_core::store::SEQUENCE_TAKEN.to_owned(),
        crate::documents::CODE_KEY => "verification code".to_owned(),
        "official_documents_pkey" => "document id".to_owned(),
        // A vote's decision sent by a concurrent writer.
        crate::decisions::DECISION_KEY => muhtar_core::store::DECISION_SENT.to_owned(),
        other => other.to_owned(),
    }
}

/// Maps any sqlx error to a [`StoreError`], by the error's variant and the server's
/// SQLSTATE (never by message text); the sqlx error stays as the `source()`, and sqlx
/// types never appear in a signature outside this crate.
///
/// Connection, pool and server-availability problems are [`StoreError::Unavailable`]
/// with their [`UnavailableReason`]; unique violations are [`StoreError::Duplicate`]
/// (callers that know better, such as a version check, handle them first); values the
/// server refuses are [`StoreError::Invalid`]; columns that do not decode are
/// [`StoreError::Corrupt`].
pub(crate) fn map(e: sqlx::Error) -> StoreError {
    use sqlx::Error as E;
    use UnavailableReason as U;
    match &e {
        E::RowNotFound => StoreError::NotFound {
            what: "row".to_owned(),
        },
        E::Database(d) => {
            if d.kind() == ErrorKind::UniqueViolation {
                return StoreError::Duplicate {
                    what: constraint_words(d.constraint().unwrap_or("key")),
                };
            }
            let code = d.code().map(|c| c.into_owned()).unwrap_or_default();
            // SQLSTATE: two characters of class, three of condition.
            let class = code.get(..2).unwrap_or("");
            match (class, code.as_str()) {
                // Undefined table or column: the schema is not migrated (PgStore::migrate).
                (_, "42P01" | "42703") => StoreError::unavailable(U::Schema, e),
                // Data exceptions and the other integrity constraints.
                ("22" | "23", _) => StoreError::invalid_because("value", e),
                (_, "25006") => StoreError::unavailable(U::ReadOnly, e),
                (_, "53100") => StoreError::unavailable(U::Full, e),
                // A statement timeout.
                (_, "57014") => StoreError::unavailable(U::Busy, e),
                // Connection exceptions; operator intervention (shutdown, crash, cancel).
                ("08" | "57", _) => StoreError::unavailable(U::Unreachable, e),
                // Rollbacks (serialization, deadlock), lock not available, too many
                // connections and other insufficient resources.
                ("40" | "55" | "53", _) => StoreError::unavailable(U::Busy, e),
                _ => StoreError::unavailable(U::Failed, e),
            }
        }
        E::ColumnDecode { .. } | E::Decode(_) => StoreError::corrupt_because("column", e),
        E::Encode(_) | E::InvalidArgument(_) => StoreError::invalid_because("value", e),
        E::TypeNotFound { .. } | E::ColumnNotFound(_) | E::ColumnIndexOutOfBounds { .. } => {
            StoreError::unavailable(U::Schema, e)
        }
        E::PoolClosed => StoreError::unavailable(U::Closed, e),
        E::Io(_) | E::Tls(_) | E::PoolTimedOut | E::Protocol(_) | E::WorkerCrashed => {
            StoreError::unavailable(U::Unreachable, e)
        }
        _ => StoreError::unavailable(U::Failed, e),
    }
}

#[cfg(test)]
mod tests {
    use std::error::Error as _;

    use muhtar_core::store::StoreErrorKind;

    use super::*;

    #[test]
    fn pool_and_io_errors_are_unavailable_with_the_sqlx_error_as_source() {
        let timed_out = map(sqlx::Error::PoolTimedOut);
        assert_eq!(
            timed_out.kind(),
            StoreErrorKind::Unavailable(UnavailableReason::Unreachable)
        );
        assert!(matches!(
            timed_out
                .source()
                .and_then(|s| s.downcast_ref::<sqlx::Error>()),
            Some(sqlx::Error::PoolTimedOut)
        ));
        assert_eq!(
            map(sqlx::Error::PoolClosed).kind(),
            StoreErrorKind::Unavailable(UnavailableReason::Closed)
        );
        let io = std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "refused");
        let err = map(sqlx::Error::Io(io));
        assert_eq!(
            err.kind(),
            StoreErrorKind::Unavailable(UnavailableReason::Unreachable)
        );
        assert!(
            err.to_string()
                .starts_with("store unavailable: the database cannot be reached: "),
            "{err}"
        );
    }

    #[test]
    fn decode_errors_are_corrupt_and_missing_columns_a_schema_problem() {
        let decode = map(sqlx::Error::Decode("not a uuid".into()));
        assert!(
            matches!(&decode, StoreError::Corrupt { what, source: Some(_) } if what == "column"),
            "{decode:?}"
        );
        assert_eq!(
            map(sqlx::Error::ColumnNotFound("x".into())).kind(),
            StoreErrorKind::Unavailable(UnavailableReason::Schema)
        );
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
        assert_eq!(
            constraint_words("official_documents_sequence_key"),
            muhtar_core::store::SEQUENCE_TAKEN
        );
        assert_eq!(
            constraint_words("official_documents_code_key"),
            "verification code"
        );
    }
}
