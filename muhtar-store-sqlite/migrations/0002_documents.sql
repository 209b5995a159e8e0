-- muhtar SQLite schema, migration 0002: versioned tenant configuration documents
-- (organisation, routing rule set, calendar, settings). Every version is kept.
--
-- Apply by hand after 0001: `sqlite3 muhtar.db < migrations/0002_documents.sql`.

CREATE TABLE documents (
    tenant     TEXT    NOT NULL,
    kind       TEXT    NOT NULL,  -- 'organisation', 'rule-set', 'calendar', 'settings'
    version    INTEGER NOT NULL CHECK (version > 0),
    body       TEXT    NOT NULL,
    updated_at TEXT    NOT NULL,  -- fixed-width UTC RFC 3339
    updated_by TEXT    NOT NULL,
    PRIMARY KEY (tenant, kind, version)
);

-- Every tenant that has an organisation.
CREATE INDEX documents_kind ON documents (kind, tenant);

-- muhtar:record (everything above this line is checksummed)
INSERT INTO schema_migrations (version, name, checksum, applied_at)
VALUES (2, 'documents', '517e151b01351b57fe6c1450baf9d28558105a2c74529fa1282632b78ca8d88e', strftime('%Y-%m-%dT%H:%M:%fZ', 'now'));
