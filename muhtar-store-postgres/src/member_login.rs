//! Council members' login codes on PostgreSQL (table `council_login_codes`, migration
//! `0018_council_logins.sql`) and the lookup of members by contact.
//!
//! A try of a code takes `FOR UPDATE` on the code's row, decides with
//! [`muhtar_core::council::check_code`] and removes or counts the code in the same
//! transaction: a parallel try waits for it, then reads the row again (READ COMMITTED),
//! finding it gone or counted, so a code logs in once.

use chrono::{DateTime, Utc};
use muhtar_core::council::{check_code, CodeCheck, Contact, LoginCode, Member};
use muhtar_core::ids::TenantId;
use muhtar_core::outbox::OutboxMessage;
use muhtar_core::store::{MemberLoginStore, StoreError};

use crate::council::{from_text, to_text};
use crate::error::map;
use crate::outbox::NewMessage;
use crate::PgStore;

#[async_trait::async_trait]
impl MemberLoginStore for PgStore {
    async fn put_login_code(
        &self,
        code: &LoginCode,
        outbox: &[OutboxMessage],
    ) -> Result<(), StoreError> {
        let json = to_text("login code", code)?;
        let messages = outbox
            .iter()
            .map(NewMessage::of)
            .collect::<Result<Vec<_>, _>>()?;
        let mut tx = self.pool().begin().await.map_err(map)?;
        // Codes past their time are of no use: the tenant's are dropped here.
        sqlx::query("DELETE FROM council_login_codes WHERE tenant = $1 AND expires_at < $2")
            .bind(code.tenant.as_str())
            .bind(code.created_at)
            .execute(&mut *tx)
            .await
            .map_err(map)?;
        sqlx::query(
            "INSERT INTO council_login_codes (tenant, contact, expires_at, code)
             VALUES ($1, $2, $3, $4)
             ON CONFLICT (tenant, contact) DO UPDATE SET expires_at = excluded.expires_at,
                 code = excluded.code",
        )
        .bind(code.tenant.as_str())
        .bind(&code.contact)
        .bind(code.expires_at)
        .bind(json)
        .execute(&mut *tx)
        .await
        .map_err(map)?;
        for m in &messages {
            m.insert(&mut tx).await.map_err(map)?;
        }
        tx.commit().await.map_err(map)
    }

    async fn use_login_code(
        &self,
        tenant: &TenantId,
        contact: &str,
        code: &str,
        now: DateTime<Utc>,
        max_tries: u32,
    ) -> Result<CodeCheck, StoreError> {
        let mut tx = self.pool().begin().await.map_err(map)?;
        let json: Option<String> = sqlx::query_scalar(
            "SELECT code FROM council_login_codes WHERE tenant = $1 AND contact = $2 FOR UPDATE",
        )
        .bind(tenant.as_str())
        .bind(contact)
        .fetch_optional(&mut *tx)
        .await
        .map_err(map)?;
        let mut stored: Option<LoginCode> =
            json.map(|j| from_text("login code", &j)).transpose()?;
        let check = check_code(stored.as_ref(), code, now, max_tries);
        match (&check, stored.as_mut()) {
            (CodeCheck::Accepted, _) => {
                sqlx::query("DELETE FROM council_login_codes WHERE tenant = $1 AND contact = $2")
                    .bind(tenant.as_str())
                    .bind(contact)
                    .execute(&mut *tx)
                    .await
                    .map_err(map)?;
            }
            (CodeCheck::Wrong { .. }, Some(s)) => {
                s.failures += 1;
                sqlx::query(
                    "UPDATE council_login_codes SET code = $3 WHERE tenant = $1 AND contact = $2",
                )
                .bind(tenant.as_str())
                .bind(contact)
                .bind(to_text("login code", &*s)?)
                .execute(&mut *tx)
                .await
                .map_err(map)?;
            }
            _ => {}
        }
        tx.commit().await.map_err(map)?;
        Ok(check)
    }

    async fn members_by_contact(
        &self,
        tenant: &TenantId,
        contact: &Contact,
    ) -> Result<Vec<Member>, StoreError> {
        let (sql, value) = match contact {
            Contact::Email(e) => (
                "SELECT member FROM council_members
                 WHERE tenant = $1 AND email_key = $2 AND NOT removed
                 ORDER BY added_at, added_nanos, id",
                e.to_lowercase(),
            ),
            Contact::Phone(p) => (
                "SELECT member FROM council_members
                 WHERE tenant = $1 AND phone = $2 AND NOT removed
                 ORDER BY added_at, added_nanos, id",
                p.clone(),
            ),
        };
        let rows: Vec<String> = sqlx::query_scalar(sql)
            .bind(tenant.as_str())
            .bind(value)
            .fetch_all(self.pool())
            .await
            .map_err(map)?;
        rows.iter().map(|j| from_text("member", j)).collect()
    }
}
