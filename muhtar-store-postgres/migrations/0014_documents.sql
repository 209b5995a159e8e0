-- muhtar PostgreSQL schema, version 14: official documents (resmî evrak,
-- `muhtar_core::document`): requests registered as incoming documents and answers issued
-- as letters. One row per document, never updated or deleted (a trigger refuses it): the
-- whole document as JSON text (its content, hash and signature byte for byte) with typed
-- copies for the lookups. The table is `official_documents`: `documents` holds the
-- tenants' configuration since version 1.
--
-- Numbering: a registry's sequence counts per Istanbul year from 1 without gaps. The store
-- writes a document only if its sequence is the registry's highest plus one, checked in
-- the commit's transaction; under concurrent writers the unique key
-- `official_documents_sequence_key` makes the second writer of a number wait for the
-- first and fail (the store answers "sequence taken" and nothing of its commit is written).
--
-- Apply by hand with `psql -v ON_ERROR_STOP=1 -1 -d DBNAME -f 0014_documents.sql`; every
-- statement is idempotent (IF NOT EXISTS, OR REPLACE).

CREATE TABLE IF NOT EXISTS official_documents (
    id              uuid        NOT NULL,
    tenant          text        NOT NULL,
    direction       text        NOT NULL,   -- incoming, outgoing
    registry        text        NOT NULL,   -- the unit whose sequence numbered it
    year            integer     NOT NULL,   -- Istanbul year of `date`
    sequence        integer     NOT NULL CHECK (sequence >= 1),
    number          text        NOT NULL,   -- E-<DETSİS>-<SDP>-<sequence>
    date            timestamptz NOT NULL,
    date_nanos      integer     NOT NULL DEFAULT 0,  -- nanoseconds below the microsecond
    code            text        NOT NULL,   -- verification code, 12 symbols
    request_id      uuid        NOT NULL,
    tracking        text        NOT NULL,
    external_number text        NULL,       -- a paper petition's own number
    external_key    text        NULL,       -- it trimmed and lower-cased (Unicode, by the store)
    document        text        NOT NULL,   -- JSON of the document
    CONSTRAINT official_documents_pkey PRIMARY KEY (id),
    CONSTRAINT official_documents_sequence_key UNIQUE (tenant, registry, year, sequence),
    CONSTRAINT official_documents_code_key UNIQUE (code)
);

CREATE INDEX IF NOT EXISTS official_documents_request
    ON official_documents (tenant, request_id, date, date_nanos);
CREATE INDEX IF NOT EXISTS official_documents_number ON official_documents (tenant, number);
CREATE INDEX IF NOT EXISTS official_documents_external
    ON official_documents (tenant, external_key) WHERE external_key IS NOT NULL;
CREATE INDEX IF NOT EXISTS official_documents_date
    ON official_documents (tenant, date, date_nanos);

CREATE OR REPLACE FUNCTION muhtar_official_documents_frozen() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'official documents are never changed or deleted';
END
$$;

DROP TRIGGER IF EXISTS official_documents_frozen ON official_documents;
CREATE TRIGGER official_documents_frozen BEFORE UPDATE OR DELETE ON official_documents
    FOR EACH ROW EXECUTE FUNCTION muhtar_official_documents_frozen();
