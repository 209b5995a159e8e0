-- muhtar PostgreSQL schema, version 7: urgent requests (İVEDİ, Genelge 2015/8 item 9)
-- come first in every listing and queue. `priority_rank` is 0 for urgent, 1 for normal
-- (`muhtar_core::store::priority_rank`); rows written before this migration get theirs
-- from their JSON state. The listing indexes lead with it, so that a unit's queue stays
-- an ordered index scan with no sort: `requests_open_unit_rank_due_idx` replaces
-- `requests_open_unit_due_idx` (version 4), the deadline indexes of version 1 get the
-- rank too, and newest-first listings (`ORDER BY -priority_rank DESC, received_key DESC,
-- id DESC`) get an index of that expression; the receipt-range index of version 5 stays.
--
-- Append-only. Applied by `PgStore::migrate()` or by a DBA with
-- `psql -v ON_ERROR_STOP=1 -1 -d DBNAME -f 0007_priority_rank.sql`. Idempotent.
-- On a large table, build the indexes by hand first with CREATE INDEX CONCURRENTLY under
-- the same names; IF NOT EXISTS then skips them here.

ALTER TABLE requests ADD COLUMN IF NOT EXISTS priority_rank smallint NOT NULL DEFAULT 1
    CHECK (priority_rank IN (0, 1));
UPDATE requests SET priority_rank = 0
    WHERE state -> 'content' ->> 'priority' = 'urgent' AND priority_rank <> 0;

CREATE INDEX IF NOT EXISTS requests_open_unit_rank_due_idx
    ON requests (tenant, unit, priority_rank, due_key, id)
    WHERE status IN ('received', 'routed', 'in-progress', 'paused');
CREATE INDEX IF NOT EXISTS requests_unit_rank_due_idx
    ON requests (tenant, unit, priority_rank, due_key, id);
CREATE INDEX IF NOT EXISTS requests_rank_due_idx
    ON requests (tenant, priority_rank, due_key, id);
CREATE INDEX IF NOT EXISTS requests_rank_newest_idx
    ON requests (tenant, (-priority_rank), received_key, id);

DROP INDEX IF EXISTS requests_open_unit_due_idx;
DROP INDEX IF EXISTS requests_unit_due_idx;
DROP INDEX IF EXISTS requests_due_idx;
