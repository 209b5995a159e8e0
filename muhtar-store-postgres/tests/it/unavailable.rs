//! A server that cannot be reached is `StoreError::Unavailable` (the database cannot be
//! reached, sqlx's error as the source), never a panic. Runs without any database.

use std::error::Error as _;

use muhtar_core::ids::{RequestId, TenantId};
use muhtar_core::store::{
    ConfigStore, DocumentKind, OutboxStore, RequestStore, StoreError, UnavailableReason,
};
use muhtar_store_postgres::{OpenError, PgStore};
use sqlx::postgres::PgPoolOptions;

/// Nothing listens on port 1 of the loopback address.
const NOWHERE: &str = "postgres://postgres@127.0.0.1:1/nowhere";

#[tokio::test]
async fn unreachable_server_is_unavailable() {
    let pool = PgPoolOptions::new()
        .acquire_timeout(std::time::Duration::from_millis(500))
        .connect_lazy(NOWHERE)
        .unwrap();
    let store = PgStore::from_pool(pool);
    let t = TenantId::new("t").unwrap();
    let id: RequestId = "01890a5d-ac96-774b-bcce-b302099a8057".parse().unwrap();
    let e = store.load(&t, id).await.unwrap_err();
    assert_unreachable(&e);
    let e = store
        .document(&t, DocumentKind::Organisation)
        .await
        .unwrap_err();
    assert_unreachable(&e);
    let e = store
        .claim(chrono::Utc::now(), 1, chrono::Duration::minutes(1))
        .await
        .unwrap_err();
    assert_unreachable(&e);
}

/// Unavailable because unreachable, with sqlx's error as the cause and a message that
/// says what failed.
fn assert_unreachable(e: &StoreError) {
    assert!(
        matches!(
            e,
            StoreError::Unavailable {
                reason: UnavailableReason::Unreachable,
                source: Some(_)
            }
        ),
        "{e:?}"
    );
    assert!(
        e.source()
            .is_some_and(|s| s.downcast_ref::<sqlx::Error>().is_some()),
        "{e:?}"
    );
    assert!(
        e.to_string()
            .starts_with("store unavailable: the database cannot be reached"),
        "{e}"
    );
}

#[tokio::test]
async fn connect_to_unreachable_server_is_an_open_error() {
    let e = PgStore::connect(NOWHERE).await.unwrap_err();
    assert!(matches!(e, OpenError::Connect(_)), "{e:?}");
    assert!(e.to_string().starts_with("cannot connect to PostgreSQL"));
}
