-- muhtar SQLite schema, migration 0007: urgent requests (İVEDİ, Genelge 2015/8 item 9)
-- come first in every listing and queue. `priority_rank` is 0 for urgent, 1 for normal
-- (`muhtar_core::store::priority_rank`); rows written before this migration get theirs
-- from their JSON state. The listing indexes lead with it, so that a queue stays an
-- ordered index search with no sort: the open-queue index replaces
-- `requests_open_unit_due` (migration 0005), and the deadline and newest-first indexes
-- replace `requests_unit_due` and `requests_due` and join `requests_received` (kept for
-- receipt ranges). Newest first sorts by `-priority_rank DESC`, so its index holds
-- that expression.
--
-- Apply by hand after 0006: `sqlite3 muhtar.db < migrations/0007_priority_rank.sql`.

ALTER TABLE requests ADD COLUMN priority_rank INTEGER NOT NULL DEFAULT 1;
UPDATE requests SET priority_rank = 0
    WHERE json_extract(state, '$.content.priority') = 'urgent';

DROP INDEX IF EXISTS requests_open_unit_due;
DROP INDEX IF EXISTS requests_unit_due;
DROP INDEX IF EXISTS requests_due;

CREATE INDEX requests_unit_rank_due ON requests
    (tenant, unit, priority_rank, COALESCE(resolution_due, 9223372036854775807), id);
CREATE INDEX requests_rank_due ON requests
    (tenant, priority_rank, COALESCE(resolution_due, 9223372036854775807), id);
CREATE INDEX requests_rank_newest ON requests (tenant, -priority_rank, received_at, id);
-- Created last: of two indexes that serve a query equally, SQLite without statistics
-- takes the one created last, and a queue should read only open requests.
CREATE INDEX requests_open_unit_rank_due ON requests
    (tenant, unit, priority_rank, COALESCE(resolution_due, 9223372036854775807), id)
    WHERE status IN ('received', 'routed', 'in-progress', 'paused');

-- muhtar:record (everything above this line is checksummed)
INSERT INTO schema_migrations (version, name, checksum, applied_at)
VALUES (7, 'priority_rank', 'ba9d310d2f1ebc058c35d4da6b4d37be44304c08e2487f9ed7d5610798dae0b0', strftime('%Y-%m-%dT%H:%M:%fZ', 'now'));
