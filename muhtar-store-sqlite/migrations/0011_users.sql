-- muhtar SQLite schema, migration 0011: the accounts of the people who log in to the web
-- pages (`muhtar_core::account`). A user's password is kept as an argon2id PHC string; a
-- session only as the SHA-256 of its secret; failed logins one row each, per tenant and
-- user name, for the per-account lockout (a name's rows older than the window are deleted
-- when the next failure is recorded, and all of them after a successful login).
--
-- Apply by hand after 0010: `sqlite3 muhtar.db < migrations/0011_users.sql`.

CREATE TABLE users (
    id                  TEXT NOT NULL PRIMARY KEY,  -- lowercase hyphenated UUID (v4)
    tenant              TEXT NOT NULL,
    name                TEXT NOT NULL,              -- normalised: trimmed, lowercase
    actor               TEXT NOT NULL,              -- e.g. 'muhtar:kuzguncuk@ayse'
    display_name        TEXT NOT NULL,
    password_hash       TEXT NOT NULL,              -- argon2id PHC string
    created_at          TEXT NOT NULL,              -- fixed-width UTC RFC 3339
    password_changed_at TEXT NOT NULL,
    disabled_at         TEXT,                       -- NULL while the user may log in
    CONSTRAINT users_tenant_name UNIQUE (tenant, name)
);

-- A tenant's users, oldest first.
CREATE INDEX users_tenant ON users (tenant, created_at, id);

CREATE TABLE sessions (
    hash         TEXT NOT NULL PRIMARY KEY,  -- SHA-256 of the secret, lowercase hex
    tenant       TEXT NOT NULL,
    user_id      TEXT NOT NULL REFERENCES users (id),
    csrf         TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    last_seen_at TEXT NOT NULL,
    expires_at   TEXT NOT NULL,              -- the absolute end; idle expiry is computed
    ended_at     TEXT                        -- logout, user disabled, password changed
);

-- A user's sessions (ended together).
CREATE INDEX sessions_user ON sessions (tenant, user_id);

CREATE TABLE login_failures (
    tenant TEXT NOT NULL,
    name   TEXT NOT NULL,
    at     TEXT NOT NULL
);

CREATE INDEX login_failures_name ON login_failures (tenant, name, at);

-- muhtar:record (everything above this line is checksummed)
INSERT INTO schema_migrations (version, name, checksum, applied_at)
VALUES (11, 'users', '6c9d95238a56a2adcab35c4f79e82216a4278fb84bc31c4a22f260761feb9dc9', strftime('%Y-%m-%dT%H:%M:%fZ', 'now'));
