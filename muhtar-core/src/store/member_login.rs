//! The storage contract of members' one-time login codes ([`crate::council::LoginCode`])
//! and of finding members by their contact.
//!
//! **A code logs in once**: [`MemberLoginStore::use_login_code`] reads the contact's code,
//! decides with [`crate::council::check_code`] and writes the consequence (the code
//! removed, or its failures raised) in one transaction that serialises with every other
//! try of the same contact's code, so of parallel tries of the right code exactly one is
//! [`CodeCheck::Accepted`]. **One code per contact**: a new one replaces the older one.
//! **One member per identity number**: [`super::CouncilStore::put_member`] refuses a member
//! whose identity hash a member on the tenant's roll has already
//! ([`StoreError::Duplicate`] with [`IDENTITY_TAKEN`]), by a unique key.

use super::StoreError;
use crate::council::{CodeCheck, Contact, LoginCode, Member};
use crate::ids::TenantId;
use crate::outbox::OutboxMessage;
use chrono::{DateTime, Utc};

/// [`StoreError::Duplicate`]'s `what` when a member on the tenant's roll has the same
/// identity hash.
pub const IDENTITY_TAKEN: &str = "identity number";

/// Members' login codes. Part of [`super::Store`]; checked by the conformance suite
/// (`testkit/conformance/member_login.rs`).
#[async_trait::async_trait]
pub trait MemberLoginStore: Send + Sync {
    /// Stores `code` as the one code of its (tenant, contact), replacing an older one,
    /// and enqueues `outbox` (the notice carrying it), in one transaction. Messages whose
    /// idempotency key is present are skipped, as in [`super::OutboxStore::enqueue`].
    async fn put_login_code(
        &self,
        code: &LoginCode,
        outbox: &[OutboxMessage],
    ) -> Result<(), StoreError>;
    /// Tries `code` for the contact key `contact` ([`Contact::key`]) at `now` with
    /// `max_tries` wrong tries per code, in one transaction: [`CodeCheck::Accepted`]
    /// removes the code, [`CodeCheck::Wrong`] raises its failures, the others change
    /// nothing.
    async fn use_login_code(
        &self,
        tenant: &TenantId,
        contact: &str,
        code: &str,
        now: DateTime<Utc>,
        max_tries: u32,
    ) -> Result<CodeCheck, StoreError>;
    /// The tenant's members not removed whose e-mail address (without case) or phone is
    /// `contact`, in every council, the earliest added first (then by id).
    async fn members_by_contact(
        &self,
        tenant: &TenantId,
        contact: &Contact,
    ) -> Result<Vec<Member>, StoreError>;
}

#[async_trait::async_trait]
impl<T: MemberLoginStore + ?Sized> MemberLoginStore for std::sync::Arc<T> {
    async fn put_login_code(
        &self,
        code: &LoginCode,
        outbox: &[OutboxMessage],
    ) -> Result<(), StoreError> {
        (**self).put_login_code(code, outbox).await
    }
    async fn use_login_code(
        &self,
        tenant: &TenantId,
        contact: &str,
        code: &str,
        now: DateTime<Utc>,
        max_tries: u32,
    ) -> Result<CodeCheck, StoreError> {
        (**self)
            .use_login_code(tenant, contact, code, now, max_tries)
            .await
    }
    async fn members_by_contact(
        &self,
        tenant: &TenantId,
        contact: &Contact,
    ) -> Result<Vec<Member>, StoreError> {
        (**self).members_by_contact(tenant, contact).await
    }
}
