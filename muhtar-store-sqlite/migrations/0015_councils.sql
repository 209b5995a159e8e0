-- muhtar SQLite schema, migration 0015: neighbourhood councils (mahalle meclisleri,
-- `muhtar_core::council`): the member roll, votes and ballots.
--
-- One ballot per member: `council_participation` has the primary key (tenant, vote,
-- member) and the store inserts it in the ballot's own write transaction, so a second
-- ballot of a member fails on the key and writes nothing. Secret votes: who took part
-- (`council_participation`) and what was chosen (`council_ballots`, member NULL) share no
-- key, no time and no order: neither table has a timestamp, both are WITHOUT ROWID tables
-- stored in the order of their keys (the member's id; a random ballot id), never in the
-- order ballots were cast.
--
-- Closing is final: a closed vote's row is never changed or deleted, and its ballots
-- never changed; ballots and participation rows are never deleted (triggers refuse it).
--
-- Apply by hand after 0014: `sqlite3 muhtar.db < migrations/0015_councils.sql`.

CREATE TABLE council_members (
    tenant    TEXT NOT NULL,
    id        TEXT NOT NULL,     -- lowercase hyphenated UUID
    muhtarlik TEXT NOT NULL,
    added_at  TEXT NOT NULL,     -- fixed-width UTC RFC 3339
    member    TEXT NOT NULL,     -- JSON of the member
    PRIMARY KEY (tenant, id)
);

CREATE INDEX council_members_roll ON council_members (tenant, muhtarlik, added_at, id);

CREATE TABLE council_votes (
    tenant     TEXT    NOT NULL,
    id         TEXT    NOT NULL, -- lowercase hyphenated UUID
    muhtarlik  TEXT    NOT NULL,
    status     TEXT    NOT NULL CHECK (status IN ('open', 'closed')),
    secret     INTEGER NOT NULL CHECK (secret IN (0, 1)),
    created_at TEXT    NOT NULL, -- fixed-width UTC RFC 3339
    vote       TEXT    NOT NULL, -- JSON of the vote, its frozen result included
    PRIMARY KEY (tenant, id)
);

CREATE INDEX council_votes_listing ON council_votes (tenant, muhtarlik, created_at, id);

CREATE TABLE council_participation (
    tenant TEXT NOT NULL,
    vote   TEXT NOT NULL,
    member TEXT NOT NULL,
    PRIMARY KEY (tenant, vote, member),
    FOREIGN KEY (tenant, vote) REFERENCES council_votes (tenant, id)
) WITHOUT ROWID;

CREATE TABLE council_ballots (
    tenant       TEXT    NOT NULL,
    vote         TEXT    NOT NULL,
    id           TEXT    NOT NULL,  -- random (32 hex digits), nothing to do with the member
    receipt_hash TEXT    NOT NULL,  -- SHA-256 of the voter's receipt code
    choice       INTEGER NOT NULL CHECK (choice BETWEEN 0 AND 255),
    member       TEXT,              -- NULL for a secret vote
    PRIMARY KEY (tenant, vote, id),
    UNIQUE (tenant, vote, receipt_hash),
    FOREIGN KEY (tenant, vote) REFERENCES council_votes (tenant, id)
) WITHOUT ROWID;

CREATE TRIGGER council_votes_closed_no_update BEFORE UPDATE ON council_votes FOR EACH ROW
    WHEN OLD.status = 'closed' BEGIN
    SELECT RAISE(ABORT, 'a closed vote is never changed'); END;
CREATE TRIGGER council_votes_closed_no_delete BEFORE DELETE ON council_votes FOR EACH ROW
    WHEN OLD.status = 'closed' BEGIN
    SELECT RAISE(ABORT, 'a closed vote is never deleted'); END;

CREATE TRIGGER council_participation_no_update BEFORE UPDATE ON council_participation
    FOR EACH ROW WHEN 1 BEGIN
    SELECT RAISE(ABORT, 'participation is never changed'); END;
CREATE TRIGGER council_participation_no_delete BEFORE DELETE ON council_participation
    FOR EACH ROW WHEN 1 BEGIN
    SELECT RAISE(ABORT, 'participation is never deleted'); END;

CREATE TRIGGER council_ballots_no_delete BEFORE DELETE ON council_ballots FOR EACH ROW
    WHEN 1 BEGIN SELECT RAISE(ABORT, 'ballots are never deleted'); END;
CREATE TRIGGER council_ballots_choice_only BEFORE UPDATE ON council_ballots FOR EACH ROW
    WHEN NEW.tenant IS NOT OLD.tenant OR NEW.vote IS NOT OLD.vote OR NEW.id IS NOT OLD.id
        OR NEW.receipt_hash IS NOT OLD.receipt_hash OR NEW.member IS NOT OLD.member BEGIN
    SELECT RAISE(ABORT, 'only the choice of a ballot is changed'); END;
CREATE TRIGGER council_ballots_closed_no_update BEFORE UPDATE ON council_ballots FOR EACH ROW
    WHEN (SELECT status FROM council_votes WHERE tenant = OLD.tenant AND id = OLD.vote) = 'closed' BEGIN
    SELECT RAISE(ABORT, 'the ballots of a closed vote are never changed'); END;
CREATE TRIGGER council_ballots_closed_no_insert BEFORE INSERT ON council_ballots FOR EACH ROW
    WHEN (SELECT status FROM council_votes WHERE tenant = NEW.tenant AND id = NEW.vote) = 'closed' BEGIN
    SELECT RAISE(ABORT, 'a closed vote takes no ballot'); END;

-- muhtar:record (everything above this line is checksummed)
INSERT INTO schema_migrations (version, name, checksum, applied_at)
VALUES (15, 'councils', '34e6cd2a1620a8c10a6fc740615566b95c72bb0307621da2d4b349b16a0d4848', strftime('%Y-%m-%dT%H:%M:%fZ', 'now'));
