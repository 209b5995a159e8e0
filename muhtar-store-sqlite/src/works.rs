//! Works on SQLite (tables `works`, `work_muhtarliklar` and the R*Tree `works_area`,
//! migration `0013_works.sql`).

use muhtar_core::ids::TenantId;
use muhtar_core::map::work::{Work, WorkId, WorkQuery, MAX_WORKS};
use muhtar_core::outbox::OutboxMessage;
use muhtar_core::store::{check_work, StoreError, WorkStore};
use rusqlite::types::Value;
use rusqlite::{params, params_from_iter, OptionalExtension};

use crate::codec::{from_json, micros, to_json, to_u32, uuid_text};
use crate::error::store_error;
use crate::pool::SqliteStore;
use crate::store::{encode_message, immediate, insert_message};

/// A list of names as the JSON array `json_each` reads.
fn json_list<T>(items: &[T], name: impl Fn(&T) -> &str) -> String {
    serde_json::Value::from(items.iter().map(|i| name(i)).collect::<Vec<_>>()).to_string()
}

/// The listing of [`WorkStore::works`]: the SQL and its arguments.
fn listing(tenant: &TenantId, q: &WorkQuery, limit: u32) -> (String, Vec<Value>) {
    let mut sql = String::from("SELECT w.work FROM works w WHERE w.tenant = ?");
    let mut args: Vec<Value> = vec![tenant.as_str().to_owned().into()];
    if let Some(b) = &q.bbox {
        // The R*Tree finds the candidates (its boxes are rounded outwards); the exact
        // box decides.
        let edges = [b.min_lon, b.max_lon, b.min_lat, b.max_lat];
        sql.push_str(
            " AND w.seq IN (SELECT seq FROM works_area \
             WHERE max_lon >= ? AND min_lon <= ? AND max_lat >= ? AND min_lat <= ?) \
             AND w.max_lon >= ? AND w.min_lon <= ? AND w.max_lat >= ? AND w.min_lat <= ?",
        );
        args.extend(edges.iter().chain(edges.iter()).map(|v| Value::Real(*v)));
    }
    if let Some(units) = &q.units {
        sql.push_str(" AND w.unit IN (SELECT value FROM json_each(?))");
        args.push(json_list(units, |u| u.as_str()).into());
    }
    if let Some(statuses) = &q.statuses {
        sql.push_str(" AND w.status IN (SELECT value FROM json_each(?))");
        args.push(json_list(statuses, |s| s.as_str()).into());
    }
    if let Some(m) = &q.muhtarlik {
        sql.push_str(
            " AND EXISTS (SELECT 1 FROM work_muhtarliklar m \
             WHERE m.tenant = w.tenant AND m.muhtarlik = ? AND m.seq = w.seq)",
        );
        args.push(m.as_str().to_owned().into());
    }
    if let Some(t) = q.active_from {
        sql.push_str(" AND w.ends_at >= ?");
        args.push(micros(t).into());
    }
    if let Some(t) = q.active_until {
        sql.push_str(" AND w.starts_at < ?");
        args.push(micros(t).into());
    }
    sql.push_str(" ORDER BY w.starts_at, w.id LIMIT ?");
    args.push(i64::from(limit.min(MAX_WORKS)).into());
    (sql, args)
}

#[async_trait::async_trait]
impl WorkStore for SqliteStore {
    async fn put_work(
        &self,
        work: &Work,
        expected_version: u32,
        outbox: &[OutboxMessage],
    ) -> Result<(), StoreError> {
        let w = work.clone();
        let json = to_json("work", &w)?;
        let messages = outbox
            .iter()
            .map(encode_message)
            .collect::<Result<Vec<_>, _>>()?;
        self.write(move |conn| {
            let tx = immediate(conn)?;
            let (tenant, id) = (w.tenant.as_str(), uuid_text(w.id.0));
            let stored: Option<(i64, i64)> = tx
                .query_row(
                    "SELECT seq, version FROM works WHERE tenant = ?1 AND id = ?2",
                    params![tenant, id],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()
                .map_err(store_error)?;
            let actual = stored
                .map(|(_, v)| to_u32("work version", v))
                .transpose()?
                .unwrap_or(0);
            if actual != expected_version {
                return Err(StoreError::Conflict {
                    expected: expected_version,
                    actual,
                });
            }
            let b = check_work(&w, expected_version)?;
            let values = params![
                i64::from(w.version),
                w.unit.as_str(),
                w.status.as_str(),
                micros(w.starts_at),
                micros(w.ends_at),
                b.min_lon,
                b.min_lat,
                b.max_lon,
                b.max_lat,
                json,
                tenant,
                id,
            ];
            let seq = match stored {
                None => {
                    tx.execute(
                        "INSERT INTO works (version, unit, status, starts_at, ends_at, \
                         min_lon, min_lat, max_lon, max_lat, work, tenant, id) \
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
                        values,
                    )
                    .map_err(store_error)?;
                    let seq = tx.last_insert_rowid();
                    tx.execute(
                        "INSERT INTO works_area (seq, min_lon, max_lon, min_lat, max_lat) \
                         VALUES (?1, ?2, ?3, ?4, ?5)",
                        params![seq, b.min_lon, b.max_lon, b.min_lat, b.max_lat],
                    )
                    .map_err(store_error)?;
                    seq
                }
                Some((seq, _)) => {
                    tx.execute(
                        "UPDATE works SET version = ?1, unit = ?2, status = ?3, \
                         starts_at = ?4, ends_at = ?5, min_lon = ?6, min_lat = ?7, \
                         max_lon = ?8, max_lat = ?9, work = ?10 \
                         WHERE tenant = ?11 AND id = ?12",
                        values,
                    )
                    .map_err(store_error)?;
                    tx.execute(
                        "UPDATE works_area SET min_lon = ?2, max_lon = ?3, min_lat = ?4, \
                         max_lat = ?5 WHERE seq = ?1",
                        params![seq, b.min_lon, b.max_lon, b.min_lat, b.max_lat],
                    )
                    .map_err(store_error)?;
                    tx.execute("DELETE FROM work_muhtarliklar WHERE seq = ?1", [seq])
                        .map_err(store_error)?;
                    seq
                }
            };
            let mut codes: Vec<&str> = w.muhtarliklar.iter().map(|m| m.as_str()).collect();
            codes.sort_unstable();
            codes.dedup();
            for m in codes {
                tx.execute(
                    "INSERT INTO work_muhtarliklar (tenant, muhtarlik, seq) VALUES (?1, ?2, ?3)",
                    params![tenant, m, seq],
                )
                .map_err(store_error)?;
            }
            for m in &messages {
                insert_message(&tx, m)?;
            }
            tx.commit().map_err(store_error)
        })
        .await
    }

    async fn work(&self, tenant: &TenantId, id: WorkId) -> Result<Work, StoreError> {
        let (tenant, id) = (tenant.as_str().to_owned(), uuid_text(id.0));
        self.read(move |conn| {
            let json: Option<String> = conn
                .prepare_cached("SELECT work FROM works WHERE tenant = ?1 AND id = ?2")
                .and_then(|mut st| st.query_row(params![tenant, id], |r| r.get(0)).optional())
                .map_err(store_error)?;
            let json = json.ok_or_else(|| StoreError::NotFound {
                what: "work".into(),
            })?;
            from_json("work", &json)
        })
        .await
    }

    async fn works(
        &self,
        tenant: &TenantId,
        query: &WorkQuery,
        limit: u32,
    ) -> Result<Vec<Work>, StoreError> {
        let (sql, args) = listing(tenant, query, limit);
        self.read(move |conn| {
            let mut st = conn.prepare_cached(&sql).map_err(store_error)?;
            let mut rows = st.query(params_from_iter(args)).map_err(store_error)?;
            let mut out = Vec::new();
            while let Some(r) = rows.next().map_err(store_error)? {
                let json: String = r.get(0).map_err(store_error)?;
                out.push(from_json("work", &json)?);
            }
            Ok(out)
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A bounding-box listing starts from the R*Tree (the query plan names its index).
    #[test]
    fn a_box_query_uses_the_rtree() {
        let conn = rusqlite::Connection::open_in_memory().unwrap();
        conn.execute_batch(
            "CREATE TABLE schema_migrations (version INTEGER, name TEXT, checksum TEXT, applied_at TEXT);",
        )
        .unwrap();
        let sql = crate::MIGRATIONS
            .iter()
            .find(|m| m.name == "works")
            .unwrap()
            .sql;
        conn.execute_batch(sql).unwrap();
        let mut q = WorkQuery::default();
        q.bbox = Some(muhtar_core::map::BBox::new(29.0, 41.0, 29.1, 41.1).unwrap());
        let (sql, args) = listing(&TenantId::new("t").unwrap(), &q, 10);
        let mut st = conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).unwrap();
        let plan: Vec<String> = st
            .query_map(params_from_iter(args), |r| r.get::<_, String>(3))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        assert!(
            plan.iter()
                .any(|p| p.contains("works_area VIRTUAL TABLE INDEX")),
            "{plan:?}"
        );
    }
}
