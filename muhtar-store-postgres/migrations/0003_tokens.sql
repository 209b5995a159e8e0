-- muhtar PostgreSQL schema, version 3: API tokens of the HTTP server.
--
-- Only the SHA-256 of a secret is stored; a revoked token keeps its row with `revoked_at`.
-- Apply by hand with `psql -v ON_ERROR_STOP=1 -1 -d DBNAME -f 0003_tokens.sql`; every
-- statement is idempotent (IF NOT EXISTS).

CREATE TABLE IF NOT EXISTS api_tokens (
    id          uuid        NOT NULL,
    tenant      text        NOT NULL,
    actor       text        NOT NULL,   -- e.g. 'muhtar:kuzguncuk@ali'
    name        text        NOT NULL,
    hash        text        NOT NULL,   -- SHA-256 of the secret, lowercase hex
    created_at  timestamptz NOT NULL,
    revoked_at  timestamptz,            -- NULL while the token is valid
    CONSTRAINT api_tokens_pkey PRIMARY KEY (id),
    CONSTRAINT api_tokens_hash_key UNIQUE (hash)
);

-- A tenant's tokens, oldest first.
CREATE INDEX IF NOT EXISTS api_tokens_tenant ON api_tokens (tenant, created_at, id);
