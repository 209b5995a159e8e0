-- muhtar PostgreSQL schema, version 19: council decisions sent as requests
-- (`muhtar_core::council::DecisionLink`) and the municipal-council flag of requests.
--
-- A vote's decision is sent at most once: the primary key (tenant, vote_id), written in
-- the request's own commit, so of two concurrent sends the second waits for the first's
-- commit and fails on the key (SQLSTATE 23505 on `council_decisions_pkey`: nothing of it
-- is written). Links are never changed or deleted (trigger).
-- `requests.municipal_council` copies the request's flag (belediye meclisi gündemi) for
-- the report's count.
--
-- Apply by hand with `psql -v ON_ERROR_STOP=1 -1 -d DBNAME -f 0019_council_decisions.sql`;
-- every statement is idempotent (IF NOT EXISTS, OR REPLACE).

CREATE TABLE IF NOT EXISTS council_decisions (
    tenant          text        NOT NULL,
    vote_id         uuid        NOT NULL,
    muhtarlik       text        NOT NULL,
    request_id      uuid        NOT NULL,
    tracking        text        NOT NULL,
    sent_at         timestamptz NOT NULL,
    sent_at_nanos   integer     NOT NULL DEFAULT 0,  -- nanoseconds below the microsecond
    document_sha256 text        NOT NULL,
    CONSTRAINT council_decisions_pkey PRIMARY KEY (tenant, vote_id),
    CONSTRAINT council_decisions_request_key UNIQUE (tenant, request_id)
);

CREATE OR REPLACE FUNCTION muhtar_council_decisions_kept() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'a sent decision is never changed or deleted';
END
$$;

DROP TRIGGER IF EXISTS council_decisions_kept ON council_decisions;
CREATE TRIGGER council_decisions_kept BEFORE UPDATE OR DELETE ON council_decisions
    FOR EACH ROW EXECUTE FUNCTION muhtar_council_decisions_kept();

ALTER TABLE requests ADD COLUMN IF NOT EXISTS municipal_council boolean NOT NULL DEFAULT false;
UPDATE requests SET municipal_council = true
    WHERE (state::jsonb -> 'content' ->> 'municipal_council') = 'true';
CREATE INDEX IF NOT EXISTS requests_municipal_council ON requests (tenant, received_at)
    WHERE municipal_council;
