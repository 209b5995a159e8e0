//! Council members' login codes on SQLite (table `council_login_codes`, migration
//! `0018_council_logins.sql`) and the lookup of members by contact.
//!
//! A try of a code runs in a `BEGIN IMMEDIATE` transaction, which holds the database's
//! write lock from its first statement: the code read in it is the one the transaction
//! removes or counts, so of parallel tries (even by other processes) one at most is
//! accepted.

use chrono::{DateTime, Utc};
use muhtar_core::council::{check_code, CodeCheck, Contact, LoginCode, Member};
use muhtar_core::ids::TenantId;
use muhtar_core::outbox::OutboxMessage;
use muhtar_core::store::{MemberLoginStore, StoreError};
use rusqlite::{params, OptionalExtension};

use crate::codec::{from_json, time_text, to_json};
use crate::council::json_rows;
use crate::error::store_error;
use crate::pool::SqliteStore;
use crate::store::{encode_message, immediate, insert_message};

#[async_trait::async_trait]
impl MemberLoginStore for SqliteStore {
    async fn put_login_code(
        &self,
        code: &LoginCode,
        outbox: &[OutboxMessage],
    ) -> Result<(), StoreError> {
        let (tenant, contact) = (code.tenant.as_str().to_owned(), code.contact.clone());
        let (expires, created) = (time_text(code.expires_at)?, time_text(code.created_at)?);
        let json = to_json("login code", code)?;
        let messages = outbox
            .iter()
            .map(encode_message)
            .collect::<Result<Vec<_>, _>>()?;
        self.write(move |conn| {
            let tx = immediate(conn)?;
            // Codes past their time are of no use: the tenant's are dropped here.
            tx.execute(
                "DELETE FROM council_login_codes WHERE tenant = ?1 AND expires_at < ?2",
                params![tenant, created],
            )
            .map_err(store_error)?;
            tx.execute(
                "INSERT INTO council_login_codes (tenant, contact, expires_at, code) \
                 VALUES (?1, ?2, ?3, ?4) ON CONFLICT (tenant, contact) DO UPDATE SET \
                 expires_at = excluded.expires_at, code = excluded.code",
                params![tenant, contact, expires, json],
            )
            .map_err(store_error)?;
            for m in &messages {
                insert_message(&tx, m)?;
            }
            tx.commit().map_err(store_error)
        })
        .await
    }

    async fn use_login_code(
        &self,
        tenant: &TenantId,
        contact: &str,
        code: &str,
        now: DateTime<Utc>,
        max_tries: u32,
    ) -> Result<CodeCheck, StoreError> {
        let (t, c, given) = (
            tenant.as_str().to_owned(),
            contact.to_owned(),
            code.to_owned(),
        );
        self.write(move |conn| {
            let tx = immediate(conn)?;
            let json: Option<String> = tx
                .query_row(
                    "SELECT code FROM council_login_codes WHERE tenant = ?1 AND contact = ?2",
                    params![t, c],
                    |r| r.get(0),
                )
                .optional()
                .map_err(store_error)?;
            let mut stored: Option<LoginCode> =
                json.map(|j| from_json("login code", &j)).transpose()?;
            let check = check_code(stored.as_ref(), &given, now, max_tries);
            match (&check, stored.as_mut()) {
                (CodeCheck::Accepted, _) => {
                    tx.execute(
                        "DELETE FROM council_login_codes WHERE tenant = ?1 AND contact = ?2",
                        params![t, c],
                    )
                    .map_err(store_error)?;
                }
                (CodeCheck::Wrong { .. }, Some(s)) => {
                    s.failures += 1;
                    tx.execute(
                        "UPDATE council_login_codes SET code = ?3 \
                         WHERE tenant = ?1 AND contact = ?2",
                        params![t, c, to_json("login code", &*s)?],
                    )
                    .map_err(store_error)?;
                }
                _ => {}
            }
            tx.commit().map_err(store_error)?;
            Ok(check)
        })
        .await
    }

    async fn members_by_contact(
        &self,
        tenant: &TenantId,
        contact: &Contact,
    ) -> Result<Vec<Member>, StoreError> {
        let t = tenant.as_str().to_owned();
        let (sql, value) = match contact {
            Contact::Email(e) => (
                "SELECT member FROM council_members \
                 WHERE tenant = ?1 AND email_key = ?2 AND removed = 0 ORDER BY added_at, id",
                e.to_lowercase(),
            ),
            Contact::Phone(p) => (
                "SELECT member FROM council_members \
                 WHERE tenant = ?1 AND phone = ?2 AND removed = 0 ORDER BY added_at, id",
                p.clone(),
            ),
        };
        self.read(move |conn| json_rows(conn, "member", sql, &[&t, &value]))
            .await
    }
}
