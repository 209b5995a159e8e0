-- muhtar PostgreSQL schema, version 18: council members' one-time login codes and
-- identity numbers (`muhtar_core::council::LoginCode`, `Member::identity_hash`).
--
-- A member's contact gets typed copies for the login lookups (`email_key` lowercased,
-- `phone` as on the roll) and `removed`; `identity_hash` is the HMAC of the identity
-- number under the tenant's key (never the number), unique among the members on a
-- tenant's roll (`council_members_identity`, a partial unique index: a removed member
-- frees it). A login code is kept as JSON text (salted SHA-256 of the digits, never the
-- digits), one per (tenant, contact): a new code replaces the older one. A try takes
-- `FOR UPDATE` on the code's row, decides and removes or counts it in one transaction,
-- so of parallel tries the second waits and finds the code gone: a code logs in once.
--
-- Apply by hand with `psql -v ON_ERROR_STOP=1 -1 -d DBNAME -f 0018_council_logins.sql`;
-- every statement is idempotent (IF NOT EXISTS).

ALTER TABLE council_members ADD COLUMN IF NOT EXISTS removed boolean NOT NULL DEFAULT false;
ALTER TABLE council_members ADD COLUMN IF NOT EXISTS email_key text NULL;     -- lowercased
ALTER TABLE council_members ADD COLUMN IF NOT EXISTS phone text NULL;         -- +90XXXXXXXXXX
ALTER TABLE council_members ADD COLUMN IF NOT EXISTS identity_hash text NULL; -- HMAC-SHA256, hex

UPDATE council_members SET
    removed = (member::jsonb ->> 'removed_at') IS NOT NULL,
    email_key = lower(member::jsonb ->> 'email'),
    phone = member::jsonb ->> 'phone';

CREATE UNIQUE INDEX IF NOT EXISTS council_members_identity
    ON council_members (tenant, identity_hash)
    WHERE identity_hash IS NOT NULL AND NOT removed;
CREATE INDEX IF NOT EXISTS council_members_email
    ON council_members (tenant, email_key) WHERE NOT removed;
CREATE INDEX IF NOT EXISTS council_members_phone
    ON council_members (tenant, phone) WHERE NOT removed;

CREATE TABLE IF NOT EXISTS council_login_codes (
    tenant     text        NOT NULL,
    contact    text        NOT NULL,  -- 'email:…' or 'phone:…'
    expires_at timestamptz NOT NULL,
    code       text        NOT NULL,  -- JSON of the code: salt, hash, failures; never the digits
    CONSTRAINT council_login_codes_pkey PRIMARY KEY (tenant, contact)
);
