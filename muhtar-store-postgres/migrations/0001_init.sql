-- muhtar PostgreSQL schema, version 1.
--
-- Append-only: never edit a released migration; add 0002_..., 0003_... instead.
-- Applied by `PgStore::migrate()` (sqlx, which records it in `_sqlx_migrations`) or by a
-- DBA with `psql -v ON_ERROR_STOP=1 -1 -d DBNAME -f 0001_init.sql`. Every statement is
-- idempotent (IF NOT EXISTS), so running `migrate()` after a manual apply records the
-- migration without changing anything.
--
-- Objects are created in the first schema of the `search_path`.
--
-- Instants are `timestamptz` (microsecond precision). The stored records themselves
-- (request state, deadlines, outbox messages) are kept exactly in `jsonb`; the typed
-- columns beside them are copies for queries, indexes and reports.

-- Tenant configuration documents: every version is kept.
CREATE TABLE IF NOT EXISTS documents (
    tenant      text        NOT NULL,
    kind        text        NOT NULL,
    version     integer     NOT NULL CHECK (version >= 1),
    body        text        NOT NULL,
    updated_at  timestamptz NOT NULL,
    updated_by  text        NOT NULL,
    CONSTRAINT documents_pkey PRIMARY KEY (tenant, kind, version)
);

-- The events of every request: the source of truth. Append-only.
CREATE TABLE IF NOT EXISTS events (
    tenant      text        NOT NULL,
    request_id  uuid        NOT NULL,
    version     integer     NOT NULL CHECK (version >= 1),
    -- When it was recorded (to the microsecond) ...
    at          timestamptz NOT NULL,
    -- ... and the nanoseconds below that microsecond, so the event reads back exactly.
    at_nanos    integer     NOT NULL DEFAULT 0 CHECK (at_nanos BETWEEN 0 AND 999),
    actor       jsonb       NOT NULL,
    -- The event type (`EventKind::name`), also the `type` field of `payload`.
    type        text        NOT NULL,
    -- The event (`EventKind` as JSON).
    payload     jsonb       NOT NULL,
    CONSTRAINT events_pkey PRIMARY KEY (tenant, request_id, version)
);

-- The current state of every request: a query table, rebuildable from `events`.
CREATE TABLE IF NOT EXISTS requests (
    tenant              text        NOT NULL,
    id                  uuid        NOT NULL,
    -- Takip numarası as displayed (`ABC-DEF-GHJ`).
    tracking            text        NOT NULL,
    version             integer     NOT NULL CHECK (version >= 1),
    status              text        NOT NULL CHECK (status IN (
                            'received', 'routed', 'in-progress', 'paused',
                            'answered', 'closed', 'withdrawn', 'merged')),
    outcome             text        NULL CHECK (outcome IN ('positive', 'negative')),
    -- Gerekçe code of a request not fulfilled.
    reason              text        NULL,
    unit                text        NULL,
    muhtarlik           text        NOT NULL,
    category            text        NOT NULL,
    channel             text        NOT NULL,
    received_at         timestamptz NOT NULL,
    first_response_at   timestamptz NULL,
    answered_at         timestamptz NULL,
    closed_at           timestamptz NULL,
    first_response_due  timestamptz NULL,
    resolution_due      timestamptz NULL,
    -- Sort keys of the listings: microseconds since the Unix epoch;
    -- `due_key` is 9223372036854775807 when there is no resolution deadline.
    due_key             bigint      NOT NULL,
    received_key        bigint      NOT NULL,
    updated_at          timestamptz NOT NULL,
    -- The exact records (`RequestState`, `Deadlines`) as JSON.
    state               jsonb       NOT NULL,
    deadlines           jsonb       NOT NULL,
    CONSTRAINT requests_pkey PRIMARY KEY (tenant, id),
    CONSTRAINT requests_tenant_tracking_key UNIQUE (tenant, tracking)
);

-- A unit's queue (deadline order, filtered by unit).
CREATE INDEX IF NOT EXISTS requests_unit_due_idx
    ON requests (tenant, unit, due_key, id);
-- Deadline order over the whole tenant.
CREATE INDEX IF NOT EXISTS requests_due_idx
    ON requests (tenant, due_key, id);
-- Newest order and receipt ranges (reports by quarter).
CREATE INDEX IF NOT EXISTS requests_received_idx
    ON requests (tenant, received_key, id);
CREATE INDEX IF NOT EXISTS requests_muhtarlik_idx
    ON requests (tenant, muhtarlik, received_key);
CREATE INDEX IF NOT EXISTS requests_status_idx
    ON requests (tenant, status, due_key);

-- The notification outbox.
CREATE TABLE IF NOT EXISTS outbox (
    id                uuid        NOT NULL,
    tenant            text        NOT NULL,
    request_id        uuid        NULL,
    idempotency_key   text        NOT NULL,
    kind              text        NOT NULL,
    channel           text        NOT NULL,
    recipient         text        NOT NULL,
    status            text        NOT NULL DEFAULT 'pending'
                          CHECK (status IN ('pending', 'sent', 'failed')),
    attempts          integer     NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    next_attempt_at   timestamptz NOT NULL,
    claimed_until     timestamptz NULL,
    last_error        text        NULL,
    sent_at           timestamptz NULL,
    failed_at         timestamptz NULL,
    created_at        timestamptz NOT NULL,
    -- The exact `OutboxMessage` as JSON.
    message           jsonb       NOT NULL,
    CONSTRAINT outbox_pkey PRIMARY KEY (id),
    CONSTRAINT outbox_idempotency_key_key UNIQUE (idempotency_key)
);

-- What a dispatcher claims: pending messages by due time.
CREATE INDEX IF NOT EXISTS outbox_pending_idx
    ON outbox (next_attempt_at, id) WHERE status = 'pending';
-- Inspection: a tenant's or a request's outbox, oldest first.
CREATE INDEX IF NOT EXISTS outbox_tenant_idx
    ON outbox (tenant, created_at, id);
CREATE INDEX IF NOT EXISTS outbox_request_idx
    ON outbox (tenant, request_id, created_at, id);
