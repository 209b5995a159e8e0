//! Requests on a map: bounding boxes through the R*Tree `request_places` (migration 0012)
//! and map points read from columns.
//!
//! A query with a box reads `request_places CROSS JOIN requests`: SQLite's `CROSS JOIN`
//! keeps the tables in that order, so the R*Tree is searched first and only the requests
//! it returns are looked up (by the unique index on `place`), whatever else the query
//! filters by; `lon` and `lat` are then compared exactly (the R*Tree's 32-bit floats are
//! rounded outwards).

use muhtar_core::map::{BBox, MapColumns, MapPoint};
use muhtar_core::store::{Order, RequestQuery, StoreError};
use rusqlite::types::Value;
use rusqlite::{params_from_iter, Connection};

use crate::error::store_error;
use crate::store::{push_filters, DUE_KEY};

/// The tables a query reads: the R*Tree first when it has a box.
pub(crate) fn source(q: &RequestQuery) -> &'static str {
    match q.bbox {
        Some(_) => "request_places CROSS JOIN requests ON requests.place = request_places.place_id",
        None => "requests",
    }
}

/// The box's conditions: on the R*Tree (what its index answers), then exact on the
/// columns.
pub(crate) fn push_bbox(b: &BBox, sql: &mut String, args: &mut Vec<Value>) {
    sql.push_str(
        " AND west <= ? AND east >= ? AND south <= ? AND north >= ? \
         AND lon >= ? AND lon <= ? AND lat >= ? AND lat <= ?",
    );
    for v in [
        b.max_lon, b.min_lon, b.max_lat, b.min_lat, b.min_lon, b.max_lon, b.min_lat, b.max_lat,
    ] {
        args.push(Value::Real(v));
    }
}

/// The map points of [`muhtar_core::store::RequestStore::map_points`]: one statement,
/// columns only.
pub(crate) fn map_points_in(
    conn: &Connection,
    tenant: &str,
    q: &RequestQuery,
    limit: u32,
) -> Result<Vec<MapPoint>, StoreError> {
    let mut sql = format!(
        "SELECT tracking, category, status, unit, muhtarlik, resolution_due, priority_rank, \
         lon, lat FROM {} WHERE tenant = ? AND lon IS NOT NULL AND lat IS NOT NULL",
        source(q)
    );
    let mut args = vec![Value::Text(tenant.to_owned())];
    push_filters(q, &mut sql, &mut args)?;
    // The listings' orders (`query_in`), urgent first.
    match q.order {
        Order::Deadline => sql.push_str(&format!(
            " ORDER BY priority_rank ASC, {DUE_KEY} ASC, id ASC"
        )),
        Order::Newest => sql.push_str(" ORDER BY -priority_rank DESC, received_at DESC, id DESC"),
    }
    sql.push_str(" LIMIT ?");
    args.push(Value::Integer(i64::from(limit)));
    let mut st = conn.prepare_cached(&sql).map_err(store_error)?;
    let mut rows = st.query(params_from_iter(args)).map_err(store_error)?;
    let mut out = Vec::new();
    while let Some(r) = rows.next().map_err(store_error)? {
        let col = |e| store_error(e);
        out.push(
            MapColumns {
                tracking: r.get(0).map_err(col)?,
                category: r.get(1).map_err(col)?,
                status: r.get(2).map_err(col)?,
                unit: r.get(3).map_err(col)?,
                muhtarlik: r.get(4).map_err(col)?,
                due_micros: r.get(5).map_err(col)?,
                priority_rank: r.get(6).map_err(col)?,
                lon: r.get(7).map_err(col)?,
                lat: r.get(8).map_err(col)?,
            }
            .point()?,
        );
    }
    Ok(out)
}
