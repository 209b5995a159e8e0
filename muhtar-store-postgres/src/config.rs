//! Tenant configuration documents.

use chrono::{DateTime, Utc};
use muhtar_core::ids::TenantId;
use muhtar_core::store::{ConfigStore, Document, DocumentKind, DocumentVersions, StoreError};

use crate::error::{is_unique_violation, map};
use crate::{to_i32, to_u32, PgStore};

impl PgStore {
    async fn current_document_version(
        &self,
        tenant: &str,
        kind: DocumentKind,
    ) -> Result<u32, StoreError> {
        let v: i32 = sqlx::query_scalar(
            "SELECT COALESCE(MAX(version), 0) FROM documents WHERE tenant = $1 AND kind = $2",
        )
        .bind(tenant)
        .bind(kind.as_str())
        .fetch_one(&self.pool)
        .await
        .map_err(map)?;
        to_u32(v, "document version")
    }
}

#[async_trait::async_trait]
impl ConfigStore for PgStore {
    async fn put_document(&self, doc: &Document) -> Result<(), StoreError> {
        let version = to_i32(doc.version, "document version")?;
        // Inserts only when the new version follows the latest one; two writers racing
        // for the same version meet at the primary key.
        let res = sqlx::query(
            "INSERT INTO documents (tenant, kind, version, body, updated_at, updated_by)
             SELECT $1, $2, $3, $4, $5, $6
             WHERE (SELECT COALESCE(MAX(version), 0) FROM documents
                    WHERE tenant = $1 AND kind = $2) = $3 - 1",
        )
        .bind(doc.tenant.as_str())
        .bind(doc.kind.as_str())
        .bind(version)
        .bind(&doc.body)
        .bind(doc.updated_at)
        .bind(&doc.updated_by)
        .execute(&self.pool)
        .await;
        let conflict = match res {
            Ok(r) => r.rows_affected() == 0,
            Err(e) if is_unique_violation(&e) => true,
            Err(e) => return Err(map(e)),
        };
        if conflict {
            let actual = self
                .current_document_version(doc.tenant.as_str(), doc.kind)
                .await?;
            return Err(StoreError::Conflict {
                expected: doc.version.saturating_sub(1),
                actual,
            });
        }
        Ok(())
    }

    async fn document(
        &self,
        tenant: &TenantId,
        kind: DocumentKind,
    ) -> Result<Option<Document>, StoreError> {
        let row: Option<(i32, String, DateTime<Utc>, String)> = sqlx::query_as(
            "SELECT version, body, updated_at, updated_by FROM documents
             WHERE tenant = $1 AND kind = $2 ORDER BY version DESC LIMIT 1",
        )
        .bind(tenant.as_str())
        .bind(kind.as_str())
        .fetch_optional(&self.pool)
        .await
        .map_err(map)?;
        row.map(|(version, body, updated_at, updated_by)| {
            Ok(Document {
                tenant: tenant.clone(),
                kind,
                version: to_u32(version, "document version")?,
                body,
                updated_at,
                updated_by,
            })
        })
        .transpose()
    }

    async fn document_version(
        &self,
        tenant: &TenantId,
        kind: DocumentKind,
    ) -> Result<u32, StoreError> {
        self.current_document_version(tenant.as_str(), kind).await
    }

    async fn document_versions(&self, tenant: &TenantId) -> Result<DocumentVersions, StoreError> {
        let rows: Vec<(String, i32)> = sqlx::query_as(
            "SELECT kind, MAX(version) FROM documents WHERE tenant = $1 GROUP BY kind",
        )
        .bind(tenant.as_str())
        .fetch_all(&self.pool)
        .await
        .map_err(map)?;
        let rows = rows
            .into_iter()
            .map(|(kind, v)| Ok((kind, to_u32(v, "document version")?)))
            .collect::<Result<Vec<_>, StoreError>>()?;
        Ok(DocumentVersions::from_rows(rows))
    }

    async fn tenants(&self) -> Result<Vec<TenantId>, StoreError> {
        let names: Vec<String> = sqlx::query_scalar(
            "SELECT DISTINCT tenant COLLATE \"C\" AS tenant FROM documents
             WHERE kind = $1 ORDER BY 1",
        )
        .bind(DocumentKind::Organisation.as_str())
        .fetch_all(&self.pool)
        .await
        .map_err(map)?;
        names
            .into_iter()
            .map(|n| {
                TenantId::new(n.clone())
                    .map_err(|e| StoreError::corrupt_because(format!("tenant {n:?}"), e))
            })
            .collect()
    }
}
