-- muhtar SQLite schema, migration 0004: API tokens of the HTTP server. Only the SHA-256
-- of a secret is stored; a revoked token keeps its row with `revoked_at`.
--
-- Apply by hand after 0003: `sqlite3 muhtar.db < migrations/0004_tokens.sql`.

CREATE TABLE api_tokens (
    id         TEXT NOT NULL PRIMARY KEY,  -- lowercase hyphenated UUID
    tenant     TEXT NOT NULL,
    actor      TEXT NOT NULL,              -- e.g. 'muhtar:kuzguncuk@ali'
    name       TEXT NOT NULL,
    hash       TEXT NOT NULL UNIQUE,       -- SHA-256 of the secret, lowercase hex
    created_at TEXT NOT NULL,              -- fixed-width UTC RFC 3339
    revoked_at TEXT                        -- NULL while the token is valid
);

-- A tenant's tokens, oldest first.
CREATE INDEX api_tokens_tenant ON api_tokens (tenant, created_at, id);

-- muhtar:record (everything above this line is checksummed)
INSERT INTO schema_migrations (version, name, checksum, applied_at)
VALUES (4, 'tokens', 'a64b7e83c85f2671495983c30c60b13523919186c01f5f0e621f2bd1821110a9', strftime('%Y-%m-%dT%H:%M:%fZ', 'now'));
