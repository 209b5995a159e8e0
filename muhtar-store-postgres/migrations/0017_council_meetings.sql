-- muhtar PostgreSQL schema, version 17: the council's meetings and their minutes
-- (`muhtar_core::council::Meeting`), as JSON text with typed copies for the lookups.
--
-- The minutes of a held meeting are frozen: a write of attendance or minutes takes
-- `SELECT … FOR UPDATE` on the meeting's row and checks `held` in its transaction, so of
-- two concurrent `record_minutes` the second waits for the first's commit and finds the
-- meeting held. The trigger below refuses any change to a held meeting's row (its
-- minutes, their SHA-256 and the attendance are in it) and any deletion.
--
-- Apply by hand with `psql -v ON_ERROR_STOP=1 -1 -d DBNAME -f 0017_council_meetings.sql`;
-- every statement is idempotent (IF NOT EXISTS, OR REPLACE).

CREATE TABLE IF NOT EXISTS council_meetings (
    tenant         text        NOT NULL,
    id             uuid        NOT NULL,
    muhtarlik      text        NOT NULL,
    at             timestamptz NOT NULL,
    at_nanos       integer     NOT NULL DEFAULT 0,  -- nanoseconds below the microsecond
    held           boolean     NOT NULL,
    minutes_sha256 text        NULL,                -- SHA-256 of the minutes, once recorded
    meeting        text        NOT NULL,            -- JSON of the meeting
    CONSTRAINT council_meetings_pkey PRIMARY KEY (tenant, id),
    CONSTRAINT council_meetings_held_minutes CHECK (held = (minutes_sha256 IS NOT NULL))
);

CREATE INDEX IF NOT EXISTS council_meetings_listing
    ON council_meetings (tenant, muhtarlik, at, at_nanos, id);

CREATE OR REPLACE FUNCTION muhtar_council_meetings_kept() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'meetings are never deleted';
    END IF;
    IF OLD.held THEN
        RAISE EXCEPTION 'a held meeting''s minutes and attendance are never changed';
    END IF;
    RETURN NEW;
END
$$;

DROP TRIGGER IF EXISTS council_meetings_kept ON council_meetings;
CREATE TRIGGER council_meetings_kept BEFORE UPDATE OR DELETE ON council_meetings
    FOR EACH ROW EXECUTE FUNCTION muhtar_council_meetings_kept();
