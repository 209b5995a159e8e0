-- muhtar SQLite schema, migration 0017: the council's meetings and their minutes
-- (`muhtar_core::council::Meeting`).
--
-- A meeting is kept as JSON with typed copies for the lookups. The minutes of a held
-- meeting are frozen: the store checks `held` inside the write's `BEGIN IMMEDIATE`
-- transaction, and the triggers below refuse any change to a held meeting's row (its
-- minutes, their SHA-256 and the attendance are in it) and any deletion.
--
-- Apply by hand after 0016: `sqlite3 muhtar.db < migrations/0017_council_meetings.sql`.

CREATE TABLE council_meetings (
    tenant         TEXT    NOT NULL,
    id             TEXT    NOT NULL, -- lowercase hyphenated UUID
    muhtarlik      TEXT    NOT NULL,
    at             TEXT    NOT NULL, -- fixed-width UTC RFC 3339
    held           INTEGER NOT NULL CHECK (held IN (0, 1)),
    minutes_sha256 TEXT,             -- SHA-256 of the minutes, once recorded
    meeting        TEXT    NOT NULL, -- JSON of the meeting, attendance and minutes included
    PRIMARY KEY (tenant, id),
    CHECK ((held = 1) = (minutes_sha256 IS NOT NULL))
);

CREATE INDEX council_meetings_listing ON council_meetings (tenant, muhtarlik, at, id);

CREATE TRIGGER council_meetings_held_no_update BEFORE UPDATE ON council_meetings FOR EACH ROW
    WHEN OLD.held = 1 BEGIN
    SELECT RAISE(ABORT, 'a held meeting''s minutes and attendance are never changed'); END;
CREATE TRIGGER council_meetings_no_delete BEFORE DELETE ON council_meetings FOR EACH ROW
    WHEN 1 BEGIN
    SELECT RAISE(ABORT, 'meetings are never deleted'); END;

-- muhtar:record (everything above this line is checksummed)
INSERT INTO schema_migrations (version, name, checksum, applied_at)
VALUES (17, 'council_meetings', '1cd53c035ef3489dfc90a103133584d81b8c95847d84cf9537b8bdefd45aad90', strftime('%Y-%m-%dT%H:%M:%fZ', 'now'));
