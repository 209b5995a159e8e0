-- muhtar PostgreSQL schema, version 11: the accounts of the people who log in to the web
-- pages (`muhtar_core::account`). A user's password is kept as an argon2id PHC string; a
-- session only as the SHA-256 of its secret; failed logins one row each, per tenant and
-- user name, for the per-account lockout (a name's rows older than the window are deleted
-- when the next failure is recorded, and all of them after a successful login).
--
-- Apply by hand with `psql -v ON_ERROR_STOP=1 -1 -d DBNAME -f 0011_users.sql`; every
-- statement is idempotent (IF NOT EXISTS).

CREATE TABLE IF NOT EXISTS users (
    id                  uuid        NOT NULL,
    tenant              text        NOT NULL,
    name                text        NOT NULL,   -- normalised: trimmed, lowercase
    actor               text        NOT NULL,   -- e.g. 'muhtar:kuzguncuk@ayse'
    display_name        text        NOT NULL,
    password_hash       text        NOT NULL,   -- argon2id PHC string
    created_at          timestamptz NOT NULL,
    password_changed_at timestamptz NOT NULL,
    disabled_at         timestamptz,            -- NULL while the user may log in
    CONSTRAINT users_pkey PRIMARY KEY (id),
    CONSTRAINT users_tenant_name_key UNIQUE (tenant, name)
);

-- A tenant's users, oldest first.
CREATE INDEX IF NOT EXISTS users_tenant ON users (tenant, created_at, id);

CREATE TABLE IF NOT EXISTS sessions (
    hash         text        NOT NULL,   -- SHA-256 of the secret, lowercase hex
    tenant       text        NOT NULL,
    user_id      uuid        NOT NULL REFERENCES users (id),
    csrf         text        NOT NULL,
    created_at   timestamptz NOT NULL,
    last_seen_at timestamptz NOT NULL,
    expires_at   timestamptz NOT NULL,   -- the absolute end; idle expiry is computed
    ended_at     timestamptz,            -- logout, user disabled, password changed
    CONSTRAINT sessions_pkey PRIMARY KEY (hash)
);

-- A user's sessions (ended together).
CREATE INDEX IF NOT EXISTS sessions_user ON sessions (tenant, user_id);

CREATE TABLE IF NOT EXISTS login_failures (
    tenant text        NOT NULL,
    name   text        NOT NULL,
    at     timestamptz NOT NULL
);

CREATE INDEX IF NOT EXISTS login_failures_name ON login_failures (tenant, name, at);
