//! Official documents in memory: the reference of [`DocumentStore`] (a scan).

use super::{not_found, Inner, MemoryStore};
use crate::document::{
    Direction, Document, DocumentCounts, DocumentId, RegistryNumber, VerificationCode,
};
use crate::ids::{RequestId, TenantId, UnitCode};
use crate::store::{Commit, DocumentStore, StoreError, SEQUENCE_TAKEN};
use chrono::{DateTime, Utc};

/// The checks of a commit's documents against what is stored: each its registry's next
/// sequence, each code new. Nothing is changed.
pub(super) fn check_commit(g: &Inner, c: &Commit) -> Result<(), StoreError> {
    crate::store::check_documents(c)?;
    for (i, d) in c.documents.iter().enumerate() {
        let same =
            |o: &&Document| o.tenant == d.tenant && o.registry == d.registry && o.year == d.year;
        let last = g
            .documents
            .iter()
            .chain(&c.documents[..i])
            .filter(same)
            .map(|o| o.number.sequence)
            .max()
            .unwrap_or(0);
        if d.number.sequence <= last {
            return Err(StoreError::Duplicate {
                what: SEQUENCE_TAKEN.into(),
            });
        }
        if d.number.sequence != last + 1 {
            return Err(StoreError::invalid(format!(
                "document {}: sequence {} would leave a gap after {last}",
                d.number, d.number.sequence
            )));
        }
        if g.documents
            .iter()
            .chain(&c.documents[..i])
            .any(|o| o.code == d.code || o.id == d.id)
        {
            return Err(StoreError::Duplicate {
                what: "verification code".into(),
            });
        }
    }
    Ok(())
}

fn newest_first(mut v: Vec<Document>) -> Vec<Document> {
    v.sort_by(|a, b| b.date.cmp(&a.date).then(b.id.cmp(&a.id)));
    v
}

#[async_trait::async_trait]
impl DocumentStore for MemoryStore {
    async fn last_sequence(
        &self,
        tenant: &TenantId,
        registry: &UnitCode,
        year: i32,
    ) -> Result<u32, StoreError> {
        Ok(self
            .lock()
            .documents
            .iter()
            .filter(|d| &d.tenant == tenant && &d.registry == registry && d.year == year)
            .map(|d| d.number.sequence)
            .max()
            .unwrap_or(0))
    }

    async fn official_document(
        &self,
        tenant: &TenantId,
        id: DocumentId,
    ) -> Result<Document, StoreError> {
        self.lock()
            .documents
            .iter()
            .find(|d| &d.tenant == tenant && d.id == id)
            .cloned()
            .ok_or_else(|| not_found("document"))
    }

    async fn document_by_code(&self, code: &VerificationCode) -> Result<Document, StoreError> {
        self.lock()
            .documents
            .iter()
            .find(|d| &d.code == code)
            .cloned()
            .ok_or_else(|| not_found("document"))
    }

    async fn documents_of_request(
        &self,
        tenant: &TenantId,
        request: RequestId,
    ) -> Result<Vec<Document>, StoreError> {
        let mut v: Vec<Document> = self
            .lock()
            .documents
            .iter()
            .filter(|d| &d.tenant == tenant && d.request == request)
            .cloned()
            .collect();
        v.sort_by(|a, b| a.date.cmp(&b.date).then(a.id.cmp(&b.id)));
        Ok(v)
    }

    async fn documents_by_number(
        &self,
        tenant: &TenantId,
        number: &RegistryNumber,
    ) -> Result<Vec<Document>, StoreError> {
        Ok(newest_first(
            self.lock()
                .documents
                .iter()
                .filter(|d| &d.tenant == tenant && &d.number == number)
                .cloned()
                .collect(),
        ))
    }

    async fn documents_by_external_number(
        &self,
        tenant: &TenantId,
        external: &str,
    ) -> Result<Vec<Document>, StoreError> {
        let want = external.trim().to_lowercase();
        Ok(newest_first(
            self.lock()
                .documents
                .iter()
                .filter(|d| {
                    &d.tenant == tenant
                        && d.external_number
                            .as_ref()
                            .is_some_and(|e| e.trim().to_lowercase() == want)
                })
                .cloned()
                .collect(),
        ))
    }

    async fn document_counts(
        &self,
        tenant: &TenantId,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        registries: Option<&[UnitCode]>,
    ) -> Result<DocumentCounts, StoreError> {
        let g = self.lock();
        let mut c = DocumentCounts::default();
        for d in g.documents.iter().filter(|d| {
            &d.tenant == tenant
                && d.date >= from
                && d.date < to
                && registries.is_none_or(|r| r.contains(&d.registry))
        }) {
            match d.direction {
                Direction::Incoming => c.incoming += 1,
                Direction::Outgoing => c.letters += 1,
            }
        }
        Ok(c)
    }
}
