-- muhtar SQLite schema, migration 0003: the quarterly report (Genelge 2015/8 item 7).
--
-- 1. The facts the report aggregates become columns of the query table (see the
--    `muhtar_core::report` documentation for their meaning), filled in for the
--    requests already stored from their JSON state. `answer_days` (working days to
--    answer) cannot be computed in SQL: it stays NULL for requests answered before this
--    migration and is set by the next change of such a request.
-- 2. Signed-off reports: frozen snapshots, never updated or deleted (triggers refuse).
--
-- Apply by hand after 0002: `sqlite3 muhtar.db < migrations/0003_reports.sql`.

ALTER TABLE requests ADD COLUMN kind TEXT NOT NULL DEFAULT '';
ALTER TABLE requests ADD COLUMN outcome TEXT;        -- 'positive' / 'negative' once concluded
ALTER TABLE requests ADD COLUMN reason TEXT;         -- reason code of a negative outcome
ALTER TABLE requests ADD COLUMN concluded_at INTEGER; -- microseconds: answer, withdrawal or merge
ALTER TABLE requests ADD COLUMN answer_days INTEGER;  -- working days from receipt to answer

UPDATE requests SET
    kind = COALESCE(json_extract(state, '$.content.kind'), ''),
    outcome = CASE
        WHEN COALESCE(json_extract(state, '$.answered_at'), json_extract(state, '$.closed_at')) IS NOT NULL
        THEN json_extract(state, '$.outcome') END,
    reason = CASE
        WHEN json_extract(state, '$.outcome') = 'negative'
         AND COALESCE(json_extract(state, '$.answered_at'), json_extract(state, '$.closed_at')) IS NOT NULL
        THEN COALESCE(json_extract(state, '$.reason'), '') END,
    -- The RFC 3339 text for now; turned into microseconds just below.
    concluded_at = CASE
        WHEN json_extract(state, '$.outcome') IS NOT NULL
        THEN COALESCE(json_extract(state, '$.answered_at'), json_extract(state, '$.closed_at')) END;

UPDATE requests SET concluded_at =
    CAST(strftime('%s', substr(concluded_at, 1, 19)) AS INTEGER) * 1000000
    + CASE WHEN substr(concluded_at, 20, 1) = '.'
           THEN CAST(substr(rtrim(substr(concluded_at, 21), 'Z') || '000000', 1, 6) AS INTEGER)
           ELSE 0 END
WHERE typeof(concluded_at) = 'text';

CREATE INDEX requests_concluded ON requests (tenant, concluded_at);

CREATE TABLE signed_reports (
    tenant       TEXT    NOT NULL,
    id           TEXT    NOT NULL,
    quarter      TEXT    NOT NULL,  -- e.g. '2026Q1'
    scope        TEXT    NOT NULL,  -- unit code, or '' for the whole tenant
    version      INTEGER NOT NULL CHECK (version > 0),
    supersedes   TEXT,              -- id of the version this one corrects
    signed_by    TEXT    NOT NULL,
    signed_at    TEXT    NOT NULL,  -- fixed-width UTC RFC 3339
    content_hash TEXT    NOT NULL,  -- SHA-256 (hex) of the report's canonical JSON
    body         TEXT    NOT NULL,  -- JSON of SignedReport, the frozen report included
    PRIMARY KEY (tenant, id),
    UNIQUE (tenant, quarter, scope, version)
);

CREATE TRIGGER signed_reports_no_update BEFORE UPDATE ON signed_reports FOR EACH ROW
    WHEN 1 BEGIN SELECT RAISE(ABORT, 'signed reports are frozen: sign a correction instead'); END;
CREATE TRIGGER signed_reports_no_delete BEFORE DELETE ON signed_reports FOR EACH ROW
    WHEN 1 BEGIN SELECT RAISE(ABORT, 'signed reports are frozen: sign a correction instead'); END;

-- muhtar:record (everything above this line is checksummed)
INSERT INTO schema_migrations (version, name, checksum, applied_at)
VALUES (3, 'reports', 'acc9ea979c5b5f55e8b0f1c73b54b0b0f2b3f299a6addcae129db97526b25c15', strftime('%Y-%m-%dT%H:%M:%fZ', 'now'));
