-- muhtar SQLite schema, migration 0001: requests, their events and the outbox.
--
-- Plain SQL: `sqlite3 muhtar.db < migrations/0001_init.sql` applies it by hand (add
-- `-bail` to stop at the first error). The last statement records the migration in
-- `schema_migrations`, so `SqliteStore::migrate` knows it is applied. Never edit a
-- migration once released: add a new file instead.
--
-- Instants: INTEGER instants (in `requests`) are microseconds since the Unix epoch (the
-- sort keys of the storage contract); TEXT instants are fixed-width UTC
-- RFC 3339 with nanoseconds (`2025-03-14T09:00:00.000000000Z`), which sort in time order.
-- Ids are lowercase hyphenated UUIDs, which sort like the UUIDs themselves.

CREATE TABLE IF NOT EXISTS schema_migrations (
    version    INTEGER PRIMARY KEY,
    name       TEXT NOT NULL,
    checksum   TEXT NOT NULL,
    applied_at TEXT NOT NULL
);

-- The query table: one row per request, rewritten by every commit.
CREATE TABLE requests (
    tenant             TEXT    NOT NULL,
    id                 TEXT    NOT NULL,
    tracking           TEXT    NOT NULL,
    version            INTEGER NOT NULL CHECK (version > 0),
    status             TEXT    NOT NULL,
    unit               TEXT,
    muhtarlik          TEXT    NOT NULL,
    category           TEXT    NOT NULL,
    channel            TEXT    NOT NULL,
    received_at        INTEGER NOT NULL,  -- microseconds since the epoch
    resolution_due     INTEGER,           -- microseconds since the epoch, NULL if none
    first_response_due INTEGER,           -- microseconds since the epoch, NULL if none
    state              TEXT    NOT NULL,  -- JSON of RequestState
    deadlines          TEXT    NOT NULL,  -- JSON of Deadlines
    PRIMARY KEY (tenant, id),
    UNIQUE (tenant, tracking)
);

-- A unit's queue in deadline order (no deadline last), and the whole tenant's.
CREATE INDEX requests_unit_due ON requests
    (tenant, unit, COALESCE(resolution_due, 9223372036854775807), id);
CREATE INDEX requests_due ON requests
    (tenant, COALESCE(resolution_due, 9223372036854775807), id);
-- Newest first.
CREATE INDEX requests_received ON requests (tenant, received_at, id);
-- A muhtarlık's requests.
CREATE INDEX requests_muhtarlik ON requests (tenant, muhtarlik, received_at);
-- By status (open, overdue: status IN (...) AND resolution_due < x).
CREATE INDEX requests_status ON requests (tenant, status, resolution_due);

-- The source of truth: every request's events, append-only.
CREATE TABLE events (
    tenant     TEXT    NOT NULL,
    request_id TEXT    NOT NULL,
    version    INTEGER NOT NULL CHECK (version > 0),
    at         TEXT    NOT NULL,  -- fixed-width UTC RFC 3339
    actor      TEXT    NOT NULL,  -- JSON of Actor
    type       TEXT    NOT NULL,  -- the event type, e.g. 'routed'
    payload    TEXT    NOT NULL,  -- JSON of the event kind (with its "type")
    PRIMARY KEY (tenant, request_id, version),
    FOREIGN KEY (tenant, request_id) REFERENCES requests (tenant, id)
        DEFERRABLE INITIALLY DEFERRED
);

-- The transactional outbox.
CREATE TABLE outbox (
    id              TEXT    NOT NULL PRIMARY KEY,
    tenant          TEXT    NOT NULL,
    request_id      TEXT,
    idempotency_key TEXT    NOT NULL UNIQUE,
    status          TEXT    NOT NULL CHECK (status IN ('pending', 'sent', 'failed')),
    attempts        INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    next_attempt_at TEXT    NOT NULL,  -- fixed-width UTC RFC 3339
    claimed_until   TEXT,
    last_error      TEXT,
    sent_at         TEXT,
    created_at      TEXT    NOT NULL,
    message         TEXT    NOT NULL   -- JSON of OutboxMessage
);

-- What a dispatcher claims next.
CREATE INDEX outbox_due ON outbox (status, next_attempt_at, id);
-- A tenant's outbox, and a request's, oldest first.
CREATE INDEX outbox_tenant ON outbox (tenant, created_at, id);
CREATE INDEX outbox_request ON outbox (tenant, request_id, created_at, id);

-- muhtar:record (everything above this line is checksummed)
INSERT INTO schema_migrations (version, name, checksum, applied_at)
VALUES (1, 'init', 'fc3e2f00d8344127a2a0b5418b86a2c8455f7bb34387aec057b7e77f6c99df11', strftime('%Y-%m-%dT%H:%M:%fZ', 'now'));
