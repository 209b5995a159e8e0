//! Official documents (table `official_documents`, migration `0014_documents.sql`): the
//! document as JSON text (its content, hash and signature byte for byte) with typed
//! copies for the lookups.
//!
//! Numbering under READ COMMITTED: the commit reads the registry's highest sequence in
//! its transaction and refuses a number that is not the next one; two writers that read
//! the same highest both insert the same next sequence, and the unique key
//! `official_documents_sequence_key` makes the second wait for the first and fail when it
//! commits (SQLSTATE 23505 on that constraint: "sequence taken", nothing of the second
//! commit is written), or succeed when it rolls back. So no number is skipped or used twice.

use chrono::{DateTime, Utc};
use muhtar_core::document::{
    Document, DocumentCounts, DocumentId, RegistryNumber, VerificationCode,
};
use muhtar_core::ids::{RequestId, TenantId, UnitCode};
use muhtar_core::store::{add_count, Commit, DocumentStore, StoreError, SEQUENCE_TAKEN};
use sqlx::{PgConnection, Postgres, QueryBuilder, Row};

use crate::error::map;
use crate::requests::Failed;
use crate::{split_nanos, to_i32, to_u32, PgStore};

/// The constraint of a registry's numbers: (tenant, registry, year, sequence).
pub(crate) const SEQUENCE_KEY: &str = "official_documents_sequence_key";
/// The constraint of verification codes.
pub(crate) const CODE_KEY: &str = "official_documents_code_key";

/// What the external-number lookup compares: trimmed and lower-cased as Rust does it
/// (PostgreSQL's `lower` depends on the database's collation), so every store agrees.
fn external_key(external: &str) -> String {
    external.trim().to_lowercase()
}

fn last_sql() -> &'static str {
    "SELECT COALESCE(MAX(sequence), 0) FROM official_documents
     WHERE tenant = $1 AND registry = $2 AND year = $3"
}

/// Writes a commit's documents in its transaction: each must be its registry's next
/// number, else the commit fails and its transaction rolls back.
pub(crate) async fn write_documents(tx: &mut PgConnection, c: &Commit) -> Result<(), Failed> {
    muhtar_core::store::check_documents(c)?;
    for d in &c.documents {
        let tenant = d.tenant.as_str();
        let last: i32 = sqlx::query_scalar(last_sql())
            .bind(tenant)
            .bind(d.registry.as_str())
            .bind(d.year)
            .fetch_one(&mut *tx)
            .await?;
        let last = to_u32(last, "document sequence")?;
        let seq = d.number.sequence;
        if seq <= last {
            return Err(Failed::Store(StoreError::Duplicate {
                what: SEQUENCE_TAKEN.into(),
            }));
        }
        if seq != last + 1 {
            return Err(Failed::Store(StoreError::invalid(format!(
                "document {}: sequence {seq} would leave a gap after {last}",
                d.number
            ))));
        }
        let json =
            serde_json::to_string(d).map_err(|e| StoreError::invalid_because("document", e))?;
        let (date, date_nanos) = split_nanos(d.date);
        // A concurrent writer of the same number makes this wait, then fail on
        // SEQUENCE_KEY (mapped by the constraint's name in `RequestStore::commit`).
        sqlx::query(
            "INSERT INTO official_documents (id, tenant, direction, registry, year, sequence,
                 number, date, date_nanos, code, request_id, tracking, external_number,
                 external_key, document)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
        )
        .bind(d.id.0)
        .bind(tenant)
        .bind(d.direction.as_str())
        .bind(d.registry.as_str())
        .bind(d.year)
        .bind(to_i32(seq, "document sequence")?)
        .bind(d.number.to_string())
        .bind(date)
        .bind(date_nanos)
        .bind(d.code.as_str())
        .bind(d.request.as_uuid())
        .bind(d.tracking.to_string())
        .bind(d.external_number.as_deref())
        .bind(d.external_number.as_deref().map(external_key))
        .bind(json)
        .execute(&mut *tx)
        .await?;
    }
    Ok(())
}

fn decode(json: &str) -> Result<Document, StoreError> {
    serde_json::from_str(json).map_err(|e| StoreError::corrupt_because("document", e))
}

impl PgStore {
    async fn documents_where(
        &self,
        mut sql: QueryBuilder<'_, Postgres>,
    ) -> Result<Vec<Document>, StoreError> {
        let rows = sql
            .build_query_scalar::<String>()
            .fetch_all(&self.pool)
            .await
            .map_err(map)?;
        rows.iter().map(|j| decode(j)).collect()
    }
}

fn one(found: Vec<Document>) -> Result<Document, StoreError> {
    found
        .into_iter()
        .next()
        .ok_or_else(|| StoreError::NotFound {
            what: "document".into(),
        })
}

fn select(tenant: &TenantId) -> QueryBuilder<'static, Postgres> {
    let mut q = QueryBuilder::new("SELECT document FROM official_documents WHERE tenant = ");
    q.push_bind(tenant.as_str().to_owned());
    q
}

const NEWEST_FIRST: &str = " ORDER BY date DESC, date_nanos DESC, id DESC";

#[async_trait::async_trait]
impl DocumentStore for PgStore {
    async fn last_sequence(
        &self,
        tenant: &TenantId,
        registry: &UnitCode,
        year: i32,
    ) -> Result<u32, StoreError> {
        let last: i32 = sqlx::query_scalar(last_sql())
            .bind(tenant.as_str())
            .bind(registry.as_str())
            .bind(year)
            .fetch_one(&self.pool)
            .await
            .map_err(map)?;
        to_u32(last, "document sequence")
    }

    async fn official_document(
        &self,
        tenant: &TenantId,
        id: DocumentId,
    ) -> Result<Document, StoreError> {
        let mut q = select(tenant);
        q.push(" AND id = ").push_bind(id.0);
        one(self.documents_where(q).await?)
    }

    async fn document_by_code(&self, code: &VerificationCode) -> Result<Document, StoreError> {
        let mut q = QueryBuilder::new("SELECT document FROM official_documents WHERE code = ");
        q.push_bind(code.as_str().to_owned());
        one(self.documents_where(q).await?)
    }

    async fn documents_of_request(
        &self,
        tenant: &TenantId,
        request: RequestId,
    ) -> Result<Vec<Document>, StoreError> {
        let mut q = select(tenant);
        q.push(" AND request_id = ")
            .push_bind(request.as_uuid())
            .push(" ORDER BY date, date_nanos, id");
        self.documents_where(q).await
    }

    async fn documents_by_number(
        &self,
        tenant: &TenantId,
        number: &RegistryNumber,
    ) -> Result<Vec<Document>, StoreError> {
        let mut q = select(tenant);
        q.push(" AND number = ")
            .push_bind(number.to_string())
            .push(NEWEST_FIRST);
        self.documents_where(q).await
    }

    async fn documents_by_external_number(
        &self,
        tenant: &TenantId,
        external: &str,
    ) -> Result<Vec<Document>, StoreError> {
        let mut q = select(tenant);
        q.push(" AND external_key = ")
            .push_bind(external_key(external))
            .push(NEWEST_FIRST);
        self.documents_where(q).await
    }

    async fn document_counts(
        &self,
        tenant: &TenantId,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        registries: Option<&[UnitCode]>,
    ) -> Result<DocumentCounts, StoreError> {
        let ((f, f_ns), (t, t_ns)) = (split_nanos(from), split_nanos(to));
        let mut q = QueryBuilder::<Postgres>::new(
            "SELECT direction, COUNT(*) FROM official_documents WHERE tenant = ",
        );
        // Exact to the nanosecond, as the documents' dates are.
        q.push_bind(tenant.as_str())
            .push(" AND (date, date_nanos) >= (")
            .push_bind(f)
            .push(", ")
            .push_bind(f_ns)
            .push(") AND (date, date_nanos) < (")
            .push_bind(t)
            .push(", ")
            .push_bind(t_ns)
            .push(")");
        if let Some(r) = registries {
            let names: Vec<String> = r.iter().map(|u| u.as_str().to_owned()).collect();
            q.push(" AND registry = ANY(").push_bind(names).push(")");
        }
        q.push(" GROUP BY direction");
        let rows = q.build().fetch_all(&self.pool).await.map_err(map)?;
        let mut c = DocumentCounts::default();
        for row in rows {
            let direction: String = row.try_get(0).map_err(map)?;
            let n: i64 = row.try_get(1).map_err(map)?;
            add_count(&mut c, &direction, n)?;
        }
        Ok(c)
    }
}
