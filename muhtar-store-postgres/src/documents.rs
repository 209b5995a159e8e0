//! PLACEHOLDER until the documents migration lands: every read refuses. Replaced by the
//! real implementation (migration 0014) before issue 23 is done.

use chrono::{DateTime, Utc};
use muhtar_core::document::{
    Document, DocumentCounts, DocumentId, RegistryNumber, VerificationCode,
};
use muhtar_core::ids::{RequestId, TenantId, UnitCode};
use muhtar_core::store::{DocumentStore, StoreError};

fn missing() -> StoreError {
    StoreError::invalid("documents are not stored yet")
}

#[async_trait::async_trait]
impl DocumentStore for crate::PgStore {
    async fn last_sequence(&self, _: &TenantId, _: &UnitCode, _: i32) -> Result<u32, StoreError> {
        Err(missing())
    }
    async fn official_document(&self, _: &TenantId, _: DocumentId) -> Result<Document, StoreError> {
        Err(missing())
    }
    async fn document_by_code(&self, _: &VerificationCode) -> Result<Document, StoreError> {
        Err(missing())
    }
    async fn documents_of_request(
        &self,
        _: &TenantId,
        _: RequestId,
    ) -> Result<Vec<Document>, StoreError> {
        Err(missing())
    }
    async fn documents_by_number(
        &self,
        _: &TenantId,
        _: &RegistryNumber,
    ) -> Result<Vec<Document>, StoreError> {
        Err(missing())
    }
    async fn documents_by_external_number(
        &self,
        _: &TenantId,
        _: &str,
    ) -> Result<Vec<Document>, StoreError> {
        Err(missing())
    }
    async fn document_counts(
        &self,
        _: &TenantId,
        _: DateTime<Utc>,
        _: DateTime<Utc>,
        _: Option<&[UnitCode]>,
    ) -> Result<DocumentCounts, StoreError> {
        Err(missing())
    }
}
