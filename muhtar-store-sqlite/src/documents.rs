//! Official documents on SQLite (table `official_documents`, migration
//! `0014_documents.sql`): the document as JSON with typed copies for the lookups.
//!
//! Numbering needs no lock of its own: a commit runs in a `BEGIN IMMEDIATE` transaction,
//! which holds the database's write lock from its first statement, so the registry's
//! highest sequence read in it cannot change before the commit (even from another
//! process); the unique key on (tenant, registry, year, sequence) is the backstop.

use chrono::{DateTime, Utc};
use muhtar_core::document::{
    Document, DocumentCounts, DocumentId, RegistryNumber, VerificationCode,
};
use muhtar_core::ids::{RequestId, TenantId, UnitCode};
use muhtar_core::store::{add_count, Commit, DocumentStore, StoreError, SEQUENCE_TAKEN};
use rusqlite::types::Value;
use rusqlite::{params, params_from_iter, Connection};

use crate::codec::{from_json, id_text, time_text, to_json, to_u32, uuid_text};
use crate::error::store_error;
use crate::pool::SqliteStore;

/// What the external-number lookup compares: trimmed and lower-cased as Rust does it
/// (SQLite's `lower` and `trim` know ASCII only), so every store agrees.
pub(crate) fn external_key(external: &str) -> String {
    external.trim().to_lowercase()
}

/// The highest sequence of a registry in a year (0 if none).
fn last_in(conn: &Connection, tenant: &str, registry: &str, year: i32) -> Result<u32, StoreError> {
    let v: i64 = conn
        .prepare_cached(
            "SELECT COALESCE(MAX(sequence), 0) FROM official_documents \
             WHERE tenant = ?1 AND registry = ?2 AND year = ?3",
        )
        .and_then(|mut st| st.query_row(params![tenant, registry, year], |r| r.get(0)))
        .map_err(store_error)?;
    to_u32("document sequence", v)
}

/// Writes a commit's documents in its transaction (`conn` is inside it): each must be its
/// registry's next number and bring a new code, else nothing is written (the caller's
/// transaction rolls back on the error).
pub(crate) fn write_documents(conn: &Connection, c: &Commit) -> Result<(), StoreError> {
    muhtar_core::store::check_documents(c)?;
    for d in &c.documents {
        let tenant = d.tenant.as_str();
        let last = last_in(conn, tenant, d.registry.as_str(), d.year)?;
        let seq = d.number.sequence;
        if seq <= last {
            return Err(StoreError::Duplicate {
                what: SEQUENCE_TAKEN.into(),
            });
        }
        if seq != last + 1 {
            return Err(StoreError::invalid(format!(
                "document {}: sequence {seq} would leave a gap after {last}",
                d.number
            )));
        }
        let id = uuid_text(d.id.0);
        let taken: bool = conn
            .prepare_cached(
                "SELECT EXISTS (SELECT 1 FROM official_documents WHERE code = ?1 OR id = ?2)",
            )
            .and_then(|mut st| st.query_row(params![d.code.as_str(), id], |r| r.get(0)))
            .map_err(store_error)?;
        if taken {
            return Err(StoreError::Duplicate {
                what: "verification code".into(),
            });
        }
        let (date, json) = (time_text(d.date)?, to_json("document", d)?);
        conn.prepare_cached(
            "INSERT INTO official_documents (id, tenant, direction, registry, year, sequence, \
             number, date, code, request_id, tracking, external_number, external_key, document) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
        )
        .and_then(|mut st| {
            st.execute(params![
                id,
                tenant,
                d.direction.as_str(),
                d.registry.as_str(),
                d.year,
                i64::from(seq),
                d.number.to_string(),
                date,
                d.code.as_str(),
                id_text(d.request),
                d.tracking.to_string(),
                d.external_number,
                d.external_number.as_deref().map(external_key),
                json,
            ])
        })
        .map_err(|e| match store_error(e) {
            // Unreachable while the checks above run in the write transaction: the
            // sequence is the only key left that a writer could have taken.
            StoreError::Duplicate { .. } => StoreError::Duplicate {
                what: SEQUENCE_TAKEN.into(),
            },
            other => other,
        })?;
    }
    Ok(())
}

/// The documents one query selects (`document` is its only column).
fn documents_where(
    conn: &Connection,
    sql: &str,
    args: Vec<Value>,
) -> Result<Vec<Document>, StoreError> {
    let mut st = conn.prepare_cached(sql).map_err(store_error)?;
    let mut rows = st.query(params_from_iter(args)).map_err(store_error)?;
    let mut out = Vec::new();
    while let Some(r) = rows.next().map_err(store_error)? {
        let json: String = r.get(0).map_err(store_error)?;
        out.push(from_json("document", &json)?);
    }
    Ok(out)
}

fn one(found: Vec<Document>) -> Result<Document, StoreError> {
    found
        .into_iter()
        .next()
        .ok_or_else(|| StoreError::NotFound {
            what: "document".into(),
        })
}

#[async_trait::async_trait]
impl DocumentStore for SqliteStore {
    async fn last_sequence(
        &self,
        tenant: &TenantId,
        registry: &UnitCode,
        year: i32,
    ) -> Result<u32, StoreError> {
        let (t, r) = (tenant.as_str().to_owned(), registry.as_str().to_owned());
        self.read(move |conn| last_in(conn, &t, &r, year)).await
    }

    async fn official_document(
        &self,
        tenant: &TenantId,
        id: DocumentId,
    ) -> Result<Document, StoreError> {
        let args = vec![tenant.as_str().to_owned().into(), uuid_text(id.0).into()];
        self.read(move |conn| {
            one(documents_where(
                conn,
                "SELECT document FROM official_documents WHERE tenant = ?1 AND id = ?2",
                args,
            )?)
        })
        .await
    }

    async fn document_by_code(&self, code: &VerificationCode) -> Result<Document, StoreError> {
        let args = vec![code.as_str().to_owned().into()];
        self.read(move |conn| {
            one(documents_where(
                conn,
                "SELECT document FROM official_documents WHERE code = ?1",
                args,
            )?)
        })
        .await
    }

    async fn documents_of_request(
        &self,
        tenant: &TenantId,
        request: RequestId,
    ) -> Result<Vec<Document>, StoreError> {
        let args = vec![tenant.as_str().to_owned().into(), id_text(request).into()];
        self.read(move |conn| {
            documents_where(
                conn,
                "SELECT document FROM official_documents WHERE tenant = ?1 AND request_id = ?2 \
                 ORDER BY date, id",
                args,
            )
        })
        .await
    }

    async fn documents_by_number(
        &self,
        tenant: &TenantId,
        number: &RegistryNumber,
    ) -> Result<Vec<Document>, StoreError> {
        let args = vec![tenant.as_str().to_owned().into(), number.to_string().into()];
        self.read(move |conn| {
            documents_where(
                conn,
                "SELECT document FROM official_documents WHERE tenant = ?1 AND number = ?2 \
                 ORDER BY date DESC, id DESC",
                args,
            )
        })
        .await
    }

    async fn documents_by_external_number(
        &self,
        tenant: &TenantId,
        external: &str,
    ) -> Result<Vec<Document>, StoreError> {
        let args = vec![
            tenant.as_str().to_owned().into(),
            external_key(external).into(),
        ];
        self.read(move |conn| {
            documents_where(
                conn,
                "SELECT document FROM official_documents \
                 WHERE tenant = ?1 AND external_key = ?2 ORDER BY date DESC, id DESC",
                args,
            )
        })
        .await
    }

    async fn document_counts(
        &self,
        tenant: &TenantId,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        registries: Option<&[UnitCode]>,
    ) -> Result<DocumentCounts, StoreError> {
        let mut sql = String::from(
            "SELECT direction, COUNT(*) FROM official_documents \
             WHERE tenant = ?1 AND date >= ?2 AND date < ?3",
        );
        let mut args: Vec<Value> = vec![
            tenant.as_str().to_owned().into(),
            time_text(from)?.into(),
            time_text(to)?.into(),
        ];
        if let Some(r) = registries {
            sql.push_str(" AND registry IN (SELECT value FROM json_each(?4))");
            let names: Vec<&str> = r.iter().map(|u| u.as_str()).collect();
            args.push(serde_json::Value::from(names).to_string().into());
        }
        sql.push_str(" GROUP BY direction");
        self.read(move |conn| {
            let mut st = conn.prepare_cached(&sql).map_err(store_error)?;
            let mut rows = st.query(params_from_iter(args)).map_err(store_error)?;
            let mut c = DocumentCounts::default();
            while let Some(r) = rows.next().map_err(store_error)? {
                let direction: String = r.get(0).map_err(store_error)?;
                let n: i64 = r.get(1).map_err(store_error)?;
                add_count(&mut c, &direction, n)?;
            }
            Ok(c)
        })
        .await
    }
}
