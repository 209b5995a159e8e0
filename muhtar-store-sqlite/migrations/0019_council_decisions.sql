-- muhtar SQLite schema, migration 0019: council decisions sent as requests
-- (`muhtar_core::council::DecisionLink`) and the municipal-council flag of requests.
--
-- A vote's decision is sent at most once: the primary key (tenant, vote_id), written in
-- the request's own commit (one `BEGIN IMMEDIATE` transaction), so a second send of the
-- same vote fails and writes nothing. Links are never changed or deleted (triggers).
-- `requests.municipal_council` copies the request's flag (belediye meclisi gündemi) for
-- the queue's filter and the report's count.
--
-- Apply by hand after 0018: `sqlite3 muhtar.db < migrations/0019_council_decisions.sql`.

CREATE TABLE council_decisions (
    tenant          TEXT NOT NULL,
    vote_id         TEXT NOT NULL, -- lowercase hyphenated UUID
    muhtarlik       TEXT NOT NULL,
    request_id      TEXT NOT NULL, -- lowercase hyphenated UUID
    tracking        TEXT NOT NULL,
    sent_at         TEXT NOT NULL, -- fixed-width UTC RFC 3339
    document_sha256 TEXT NOT NULL,
    PRIMARY KEY (tenant, vote_id),
    UNIQUE (tenant, request_id)
);

CREATE TRIGGER council_decisions_no_update BEFORE UPDATE ON council_decisions FOR EACH ROW
    WHEN 1 BEGIN
    SELECT RAISE(ABORT, 'a sent decision is never changed'); END;
CREATE TRIGGER council_decisions_no_delete BEFORE DELETE ON council_decisions FOR EACH ROW
    WHEN 1 BEGIN
    SELECT RAISE(ABORT, 'a sent decision is never deleted'); END;

ALTER TABLE requests ADD COLUMN municipal_council INTEGER NOT NULL DEFAULT 0
    CHECK (municipal_council IN (0, 1));
UPDATE requests SET municipal_council = 1
    WHERE json_extract(state, '$.content.municipal_council') = 1;
CREATE INDEX requests_municipal_council ON requests (tenant, received_at)
    WHERE municipal_council = 1;

-- muhtar:record (everything above this line is checksummed)
INSERT INTO schema_migrations (version, name, checksum, applied_at)
VALUES (19, 'council_decisions', '71b5486f70e8bf1011f71d5d2996aef691e96655bc101548b5d14a8056ab2044', strftime('%Y-%m-%dT%H:%M:%fZ', 'now'));
