//! Requests on a map: map points read from columns (migration 0012); boxes go through
//! the GiST index on `place` (`requests::push_filters`).

use muhtar_core::ids::TenantId;
use muhtar_core::map::{MapColumns, MapPoint};
use muhtar_core::store::{Order, RequestQuery, StoreError};
use sqlx::{PgPool, Postgres, QueryBuilder};

use crate::error::map;
use crate::requests::push_filters;

/// A row of [`map_points`]: tracking, category, status, unit, muhtarlık, deadline
/// (microseconds), priority rank, lon, lat.
type Row = (
    String,
    String,
    String,
    Option<String>,
    String,
    Option<i64>,
    i16,
    f64,
    f64,
);

/// The map points of [`muhtar_core::store::RequestStore::map_points`]: one statement,
/// columns only, in the listings' orders.
pub(crate) async fn map_points(
    pool: &PgPool,
    tenant: &TenantId,
    q: &RequestQuery,
    limit: u32,
) -> Result<Vec<MapPoint>, StoreError> {
    let mut sql: QueryBuilder<'_, Postgres> = QueryBuilder::new(
        "SELECT tracking, category, status, unit, muhtarlik, \
         CASE WHEN resolution_due IS NOT NULL THEN due_key END, priority_rank, lon, lat \
         FROM requests WHERE lon IS NOT NULL AND lat IS NOT NULL AND tenant = ",
    );
    sql.push_bind(tenant.as_str());
    push_filters(&mut sql, q)?;
    sql.push(match q.order {
        Order::Deadline => " ORDER BY priority_rank, due_key, id",
        Order::Newest => " ORDER BY -priority_rank DESC, received_key DESC, id DESC",
    });
    sql.push(" LIMIT ").push_bind(i64::from(limit));
    let rows: Vec<Row> = sql.build_query_as().fetch_all(pool).await.map_err(map)?;
    rows.into_iter()
        .map(
            |(tracking, category, status, unit, muhtarlik, due_micros, rank, lon, lat)| {
                MapColumns {
                    tracking,
                    category,
                    status,
                    unit,
                    muhtarlik,
                    due_micros,
                    priority_rank: i64::from(rank),
                    lon,
                    lat,
                }
                .point()
            },
        )
        .collect()
}
