-- muhtar PostgreSQL schema, version 2: the quarterly report (Genelge 2015/8 item 7).
--
-- Append-only. Applied by `PgStore::migrate()` or by a DBA with
-- `psql -v ON_ERROR_STOP=1 -1 -d DBNAME -f 0002_reports.sql` after 0001. Idempotent.
--
-- 1. The facts the report aggregates become columns of `requests` (their meaning is in
--    the `muhtar_core::report` documentation), filled in for the requests already
--    stored. `answer_days` (working days to answer) cannot be computed in SQL: it stays
--    NULL for requests answered before this migration and is set by their next change.
--    `outcome` and `reason` now hold only concluded requests' values (they already did).
-- 2. Signed-off reports: frozen snapshots; a trigger refuses UPDATE and DELETE.

ALTER TABLE requests ADD COLUMN IF NOT EXISTS kind text NOT NULL DEFAULT '';
ALTER TABLE requests ADD COLUMN IF NOT EXISTS concluded_at timestamptz NULL;
ALTER TABLE requests ADD COLUMN IF NOT EXISTS answer_days integer NULL;

UPDATE requests SET
    kind = COALESCE(state->'content'->>'kind', ''),
    outcome = CASE WHEN COALESCE(answered_at, closed_at) IS NOT NULL THEN outcome END,
    reason = CASE WHEN outcome = 'negative' AND COALESCE(answered_at, closed_at) IS NOT NULL
                  THEN COALESCE(reason, '') END,
    concluded_at = CASE WHEN outcome IS NOT NULL THEN COALESCE(answered_at, closed_at) END
WHERE kind = '';

CREATE INDEX IF NOT EXISTS requests_concluded_idx ON requests (tenant, concluded_at);

CREATE TABLE IF NOT EXISTS signed_reports (
    tenant       text        NOT NULL,
    id           uuid        NOT NULL,
    quarter      text        NOT NULL,  -- e.g. '2026Q1'
    scope        text        NOT NULL,  -- unit code, or '' for the whole tenant
    version      integer     NOT NULL CHECK (version >= 1),
    supersedes   uuid        NULL,      -- the version this one corrects
    signed_by    text        NOT NULL,
    signed_at    timestamptz NOT NULL,
    content_hash text        NOT NULL,  -- SHA-256 (hex) of the report's canonical JSON
    body         text        NOT NULL,  -- JSON of SignedReport, byte for byte as signed
    CONSTRAINT signed_reports_pkey PRIMARY KEY (tenant, id),
    CONSTRAINT signed_reports_version_key UNIQUE (tenant, quarter, scope, version)
);

CREATE OR REPLACE FUNCTION muhtar_signed_reports_frozen() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'signed reports are frozen: sign a correction instead';
END
$$;

DROP TRIGGER IF EXISTS signed_reports_frozen ON signed_reports;
CREATE TRIGGER signed_reports_frozen BEFORE UPDATE OR DELETE ON signed_reports
    FOR EACH ROW EXECUTE FUNCTION muhtar_signed_reports_frozen();
