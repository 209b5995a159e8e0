//! The storage contract of official documents ([`crate::document`]). Documents are
//! written by [`super::RequestStore::commit`], in the command's transaction
//! ([`super::Commit::documents`]); this trait reads them.
//!
//! **Numbering.** A commit carrying a document writes it only if its sequence is the
//! registry's next one in its year (the highest stored plus one, checked inside the
//! transaction, with a unique key on tenant, registry, year and sequence as the backstop
//! for concurrent writers); otherwise nothing of the commit is written and the store
//! answers [`StoreError::Duplicate`] with `what` = [`SEQUENCE_TAKEN`] (the service takes
//! the next number and tries again). A verification code is unique across tenants.
//! Documents are never updated or deleted (both databases refuse it with a trigger).

use super::StoreError;
use crate::document::{Document, DocumentCounts, DocumentId, RegistryNumber, VerificationCode};
use crate::ids::{RequestId, TenantId, UnitCode};
use chrono::{DateTime, Utc};

/// [`StoreError::Duplicate`]'s `what` when a document's sequence is not the registry's
/// next one (taken by a concurrent writer).
pub const SEQUENCE_TAKEN: &str = "document sequence";

/// Reading official documents. Part of [`super::Store`]; checked by the conformance suite
/// (`testkit/conformance/documents.rs`).
#[async_trait::async_trait]
pub trait DocumentStore: Send + Sync {
    /// The highest sequence of a registry in an Istanbul year (0 if it numbered nothing).
    async fn last_sequence(
        &self,
        tenant: &TenantId,
        registry: &UnitCode,
        year: i32,
    ) -> Result<u32, StoreError>;
    /// A document by id ([`StoreError::NotFound`] if the tenant has none with it).
    async fn official_document(
        &self,
        tenant: &TenantId,
        id: DocumentId,
    ) -> Result<Document, StoreError>;
    /// A document by verification code, in any tenant ([`StoreError::NotFound`] if none).
    async fn document_by_code(&self, code: &VerificationCode) -> Result<Document, StoreError>;
    /// A request's documents, oldest first.
    async fn documents_of_request(
        &self,
        tenant: &TenantId,
        request: RequestId,
    ) -> Result<Vec<Document>, StoreError>;
    /// The tenant's documents with this number (one per year it was given in), newest
    /// first.
    async fn documents_by_number(
        &self,
        tenant: &TenantId,
        number: &RegistryNumber,
    ) -> Result<Vec<Document>, StoreError>;
    /// The tenant's documents whose external (paper) number is `external`, compared
    /// without case and surrounding spaces, newest first.
    async fn documents_by_external_number(
        &self,
        tenant: &TenantId,
        external: &str,
    ) -> Result<Vec<Document>, StoreError>;
    /// Documents dated in `[from, to)`, counted by direction, for the registries given
    /// (all of the tenant's when `registries` is `None`).
    async fn document_counts(
        &self,
        tenant: &TenantId,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        registries: Option<&[UnitCode]>,
    ) -> Result<DocumentCounts, StoreError>;
}

/// Checks a commit's documents before they are written: the stores' shared precondition.
/// Each must belong to the commit's request and tenant, its number's sequence be at
/// least 1, its year be its date's Istanbul year, and its hash be its content's.
pub fn check_documents(commit: &super::Commit) -> Result<(), StoreError> {
    let s = &commit.record.state;
    for d in &commit.documents {
        let bad = |why: &str| StoreError::invalid(format!("document {}: {why}", d.number));
        if d.tenant != s.tenant || d.request != s.id {
            return Err(bad("belongs to another request"));
        }
        if d.number.sequence == 0 {
            return Err(bad("sequence 0"));
        }
        if d.year != chrono::Datelike::year(&crate::calendar::local_date(d.date)) {
            return Err(bad("year is not its date's"));
        }
        if crate::document::sha256_hex(d.content.as_bytes()) != d.sha256 {
            return Err(bad("hash is not its content's"));
        }
    }
    Ok(())
}

/// Adds `n` documents of the direction stored by its stable name to `counts`: how the
/// database stores read back their counts grouped by direction.
pub fn add_count(counts: &mut DocumentCounts, direction: &str, n: i64) -> Result<(), StoreError> {
    let n = u64::try_from(n).map_err(|e| StoreError::corrupt_because("document count", e))?;
    match crate::document::Direction::from_name(direction) {
        Some(crate::document::Direction::Incoming) => counts.incoming += n,
        Some(crate::document::Direction::Outgoing) => counts.letters += n,
        None => {
            return Err(StoreError::corrupt(format!(
                "unknown document direction {direction:?}"
            )))
        }
    }
    Ok(())
}

#[async_trait::async_trait]
impl<T: DocumentStore + ?Sized> DocumentStore for std::sync::Arc<T> {
    async fn last_sequence(
        &self,
        tenant: &TenantId,
        registry: &UnitCode,
        year: i32,
    ) -> Result<u32, StoreError> {
        (**self).last_sequence(tenant, registry, year).await
    }
    async fn official_document(
        &self,
        tenant: &TenantId,
        id: DocumentId,
    ) -> Result<Document, StoreError> {
        (**self).official_document(tenant, id).await
    }
    async fn document_by_code(&self, code: &VerificationCode) -> Result<Document, StoreError> {
        (**self).document_by_code(code).await
    }
    async fn documents_of_request(
        &self,
        tenant: &TenantId,
        request: RequestId,
    ) -> Result<Vec<Document>, StoreError> {
        (**self).documents_of_request(tenant, request).await
    }
    async fn documents_by_number(
        &self,
        tenant: &TenantId,
        number: &RegistryNumber,
    ) -> Result<Vec<Document>, StoreError> {
        (**self).documents_by_number(tenant, number).await
    }
    async fn documents_by_external_number(
        &self,
        tenant: &TenantId,
        external: &str,
    ) -> Result<Vec<Document>, StoreError> {
        (**self)
            .documents_by_external_number(tenant, external)
            .await
    }
    async fn document_counts(
        &self,
        tenant: &TenantId,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        registries: Option<&[UnitCode]>,
    ) -> Result<DocumentCounts, StoreError> {
        (**self).document_counts(tenant, from, to, registries).await
    }
}
