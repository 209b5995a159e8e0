-- muhtar SQLite schema, migration 0005: a unit's queue (open requests by deadline) from an
-- index of open requests only. The older index over every request makes the queue step
-- over all of a unit's answered and closed requests; measured at 10 million requests,
-- the first page drops from 7.6 ms to 1.0 ms (BENCHMARKS.md). The stores write the
-- status filter as literals in this order, so that the planner can use the index.
--
-- Apply by hand after 0004: `sqlite3 muhtar.db < migrations/0005_queue_index.sql`.

CREATE INDEX requests_open_unit_due ON requests
    (tenant, unit, COALESCE(resolution_due, 9223372036854775807), id)
    WHERE status IN ('received', 'routed', 'in-progress', 'paused');

-- muhtar:record (everything above this line is checksummed)
INSERT INTO schema_migrations (version, name, checksum, applied_at)
VALUES (5, 'queue_index', '12c2cbeaf417238d446beab4eda3dd42d869ab2a824d2a9000e3c2180fb00984', strftime('%Y-%m-%dT%H:%M:%fZ', 'now'));
