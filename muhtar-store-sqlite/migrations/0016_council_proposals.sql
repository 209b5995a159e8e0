-- muhtar SQLite schema, migration 0016: the council's agenda (issue 24, second part,
-- `muhtar_core::council::Proposal`): proposals, their supports and comments.
--
-- One support per member: `council_supports` has the primary key (tenant, proposal,
-- member) and the store inserts it, counts the supports and puts the proposal on the
-- agenda in one write transaction, so of two concurrent supports of a member one fails on
-- the key, and exactly one support is the threshold-th.
--
-- Append-only: supports and comments are never deleted, nor proposals; a support is
-- never changed; a proposal on the agenda is never changed; a comment changes once, when
-- it is hidden (its text never). Triggers refuse the rest.
--
-- Apply by hand after 0015: `sqlite3 muhtar.db < migrations/0016_council_proposals.sql`.

CREATE TABLE council_proposals (
    tenant     TEXT NOT NULL,
    id         TEXT NOT NULL,     -- lowercase hyphenated UUID
    muhtarlik  TEXT NOT NULL,
    status     TEXT NOT NULL CHECK (status IN ('open', 'on-agenda')),
    created_at TEXT NOT NULL,     -- fixed-width UTC RFC 3339
    proposal   TEXT NOT NULL,     -- JSON of the proposal (its support count not kept)
    PRIMARY KEY (tenant, id)
);

CREATE INDEX council_proposals_listing ON council_proposals (tenant, muhtarlik, created_at, id);

CREATE TABLE council_supports (
    tenant       TEXT NOT NULL,
    proposal     TEXT NOT NULL,
    member       TEXT NOT NULL,
    supported_at TEXT NOT NULL,   -- fixed-width UTC RFC 3339
    PRIMARY KEY (tenant, proposal, member),
    FOREIGN KEY (tenant, proposal) REFERENCES council_proposals (tenant, id)
);

CREATE TABLE council_comments (
    tenant     TEXT NOT NULL,
    id         TEXT NOT NULL,     -- lowercase hyphenated UUID
    proposal   TEXT NOT NULL,
    created_at TEXT NOT NULL,     -- fixed-width UTC RFC 3339
    hidden     INTEGER NOT NULL DEFAULT 0 CHECK (hidden IN (0, 1)),
    comment    TEXT NOT NULL,     -- JSON of the comment, its hiding included
    PRIMARY KEY (tenant, id),
    FOREIGN KEY (tenant, proposal) REFERENCES council_proposals (tenant, id)
);

CREATE INDEX council_comments_listing ON council_comments (tenant, proposal, created_at, id);

CREATE TRIGGER council_proposals_no_delete BEFORE DELETE ON council_proposals FOR EACH ROW
    WHEN 1 BEGIN SELECT RAISE(ABORT, 'proposals are never deleted'); END;
CREATE TRIGGER council_proposals_on_agenda_no_update BEFORE UPDATE ON council_proposals
    FOR EACH ROW WHEN OLD.status = 'on-agenda' BEGIN
    SELECT RAISE(ABORT, 'a proposal on the agenda is never changed'); END;

CREATE TRIGGER council_supports_no_update BEFORE UPDATE ON council_supports FOR EACH ROW
    WHEN 1 BEGIN SELECT RAISE(ABORT, 'supports are never changed'); END;
CREATE TRIGGER council_supports_no_delete BEFORE DELETE ON council_supports FOR EACH ROW
    WHEN 1 BEGIN SELECT RAISE(ABORT, 'supports are never deleted'); END;

CREATE TRIGGER council_comments_no_delete BEFORE DELETE ON council_comments FOR EACH ROW
    WHEN 1 BEGIN SELECT RAISE(ABORT, 'comments are never deleted'); END;
CREATE TRIGGER council_comments_hidden_once BEFORE UPDATE ON council_comments FOR EACH ROW
    WHEN OLD.hidden = 1 OR NEW.hidden = 0 OR NEW.tenant IS NOT OLD.tenant OR NEW.id IS NOT OLD.id
        OR NEW.proposal IS NOT OLD.proposal OR NEW.created_at IS NOT OLD.created_at BEGIN
    SELECT RAISE(ABORT, 'a comment is only hidden, once'); END;

-- muhtar:record (everything above this line is checksummed)
INSERT INTO schema_migrations (version, name, checksum, applied_at)
VALUES (16, 'council_proposals', 'fd19497cc60a8e1c3ee6cb2ceec6a78d9c6dde9ae7d3332fac93ab169bb7aba4', strftime('%Y-%m-%dT%H:%M:%fZ', 'now'));
