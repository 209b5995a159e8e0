//! Opening the store named by `--db`.

use std::sync::Arc;

use muhtar_core::store::Store;
use muhtar_store_sqlite::{SqliteOptions, SqliteStore};

/// Opens the database at `url`; with `migrate`, creates or migrates its schema first.
/// Without it, a database whose schema is missing or old is an error that says to run
/// `muhtar init`.
pub async fn open(url: &str, migrate: bool) -> Result<Arc<dyn Store>, String> {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        return open_postgres(url, migrate).await;
    }
    let store = SqliteStore::open(url, SqliteOptions::default())
        .await
        .map_err(|e| format!("cannot open database {url}: {e}"))?;
    if migrate {
        store
            .migrate()
            .await
            .map_err(|e| format!("cannot migrate {url}: {e}"))?;
    } else {
        let status = store
            .schema_status()
            .await
            .map_err(|e| format!("cannot read database {url}: {e}"))?;
        if !status.is_current() {
            return Err(format!(
                "database {url} is at schema version {} of {}: run `muhtar init`",
                status.version, status.latest
            ));
        }
    }
    Ok(Arc::new(store))
}

async fn open_postgres(url: &str, migrate: bool) -> Result<Arc<dyn Store>, String> {
    let store = muhtar_store_postgres::PgStore::connect(url)
        .await
        .map_err(|e| format!("cannot connect to {}: {e}", redact(url)))?;
    if migrate {
        store
            .migrate()
            .await
            .map_err(|e| format!("cannot migrate {}: {e}", redact(url)))?;
    }
    Ok(Arc::new(store))
}

/// The URL without its password, for messages and logs.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => match url[s + 3..at].split_once(':') {
            Some((user, _)) => format!("{}://{user}:***{}", &url[..s], &url[at..]),
            None => url.to_owned(),
        },
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::redact;

    #[test]
    fn passwords_never_reach_messages_or_logs() {
        assert_eq!(
            redact("postgres://muhtar:s3cret@db.example:5432/mbs"),
            "postgres://muhtar:***@db.example:5432/mbs"
        );
        assert_eq!(
            redact("postgres://postgres@127.0.0.1/test"),
            "postgres://postgres@127.0.0.1/test"
        );
        assert_eq!(
            redact("sqlite:///var/lib/muhtar.db"),
            "sqlite:///var/lib/muhtar.db"
        );
    }
}
