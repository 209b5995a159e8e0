-- muhtar SQLite schema, migration 0018: council members' one-time login codes and
-- identity numbers (`muhtar_core::council::LoginCode`, `Member::identity_hash`).
--
-- A member's contact gets typed copies for the login lookups (`email_key` lowercased,
-- `phone` as on the roll) and `removed`; `identity_hash` is the HMAC of the identity
-- number under the tenant's key (never the number), unique among the members on a
-- tenant's roll (`council_members_identity`, a partial unique index: a removed member
-- frees it). A login code is kept as JSON (salted SHA-256 of the digits, never the
-- digits), one per (tenant, contact): a new code replaces the older one. A try reads and
-- writes the code in one `BEGIN IMMEDIATE` transaction, so a code logs in once.
--
-- Apply by hand after 0017: `sqlite3 muhtar.db < migrations/0018_council_logins.sql`.

ALTER TABLE council_members ADD COLUMN removed INTEGER NOT NULL DEFAULT 0 CHECK (removed IN (0, 1));
ALTER TABLE council_members ADD COLUMN email_key TEXT;     -- the e-mail address, lowercased
ALTER TABLE council_members ADD COLUMN phone TEXT;         -- +90XXXXXXXXXX
ALTER TABLE council_members ADD COLUMN identity_hash TEXT; -- HMAC-SHA256, hex

UPDATE council_members SET
    removed = (json_extract(member, '$.removed_at') IS NOT NULL),
    email_key = lower(json_extract(member, '$.email')),
    phone = json_extract(member, '$.phone');

CREATE UNIQUE INDEX council_members_identity ON council_members (tenant, identity_hash)
    WHERE identity_hash IS NOT NULL AND removed = 0;
CREATE INDEX council_members_email ON council_members (tenant, email_key) WHERE removed = 0;
CREATE INDEX council_members_phone ON council_members (tenant, phone) WHERE removed = 0;

CREATE TABLE council_login_codes (
    tenant     TEXT NOT NULL,
    contact    TEXT NOT NULL, -- 'email:…' or 'phone:…'
    expires_at TEXT NOT NULL, -- fixed-width UTC RFC 3339
    code       TEXT NOT NULL, -- JSON of the code: salt, hash, failures; never the digits
    PRIMARY KEY (tenant, contact)
) WITHOUT ROWID;

-- muhtar:record (everything above this line is checksummed)
INSERT INTO schema_migrations (version, name, checksum, applied_at)
VALUES (18, 'council_logins', '9bfae58f3189c5d9918d1c2aa2d20efe290f302f034880dca0b8236a0bb1838e', strftime('%Y-%m-%dT%H:%M:%fZ', 'now'));
