-- muhtar SQLite schema, migration 0014: official documents (resmî evrak,
-- `muhtar_core::document`): requests registered as incoming documents and answers issued
-- as letters. One row per document, never updated or deleted (triggers refuse it): the
-- whole document as JSON (its content, hash and signature byte for byte) with typed copies
-- for the lookups. The table is `official_documents`: `documents` holds the tenants'
-- configuration since 0002.
--
-- Numbering: a registry's sequence counts per Istanbul year from 1 without gaps. The store
-- writes a document only if its sequence is the registry's highest plus one, checked in
-- the commit's transaction; the unique key on (tenant, registry, year, sequence) is the
-- backstop.
--
-- Apply by hand after 0013: `sqlite3 muhtar.db < migrations/0014_documents.sql`.

CREATE TABLE official_documents (
    id              TEXT    NOT NULL PRIMARY KEY,  -- lowercase hyphenated UUID
    tenant          TEXT    NOT NULL,
    direction       TEXT    NOT NULL,              -- incoming, outgoing
    registry        TEXT    NOT NULL,              -- the unit whose sequence numbered it
    year            INTEGER NOT NULL,              -- Istanbul year of `date`
    sequence        INTEGER NOT NULL CHECK (sequence > 0),
    number          TEXT    NOT NULL,              -- E-<DETSİS>-<SDP>-<sequence>
    date            TEXT    NOT NULL,              -- fixed-width UTC RFC 3339
    code            TEXT    NOT NULL,              -- verification code, 12 symbols
    request_id      TEXT    NOT NULL,
    tracking        TEXT    NOT NULL,
    external_number TEXT,                          -- a paper petition's own number
    external_key    TEXT,                          -- it trimmed and lower-cased (Unicode, by the store)
    document        TEXT    NOT NULL,              -- JSON of the document
    CONSTRAINT official_documents_sequence_key UNIQUE (tenant, registry, year, sequence),
    CONSTRAINT official_documents_code_key UNIQUE (code)
);

CREATE INDEX official_documents_request ON official_documents (tenant, request_id, date);
CREATE INDEX official_documents_number ON official_documents (tenant, number);
CREATE INDEX official_documents_external ON official_documents (tenant, external_key)
    WHERE external_key IS NOT NULL;
CREATE INDEX official_documents_date ON official_documents (tenant, date);

CREATE TRIGGER official_documents_no_update BEFORE UPDATE ON official_documents FOR EACH ROW
    WHEN 1 BEGIN SELECT RAISE(ABORT, 'official documents are never changed'); END;
CREATE TRIGGER official_documents_no_delete BEFORE DELETE ON official_documents FOR EACH ROW
    WHEN 1 BEGIN SELECT RAISE(ABORT, 'official documents are never deleted'); END;

-- muhtar:record (everything above this line is checksummed)
INSERT INTO schema_migrations (version, name, checksum, applied_at)
VALUES (14, 'official_documents', 'c48f7665ac55ace0f89c6a8d6033f9979a1aa9f79c2cf94ad0778241c8e03d65', strftime('%Y-%m-%dT%H:%M:%fZ', 'now'));
