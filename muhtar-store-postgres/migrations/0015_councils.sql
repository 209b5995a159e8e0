-- muhtar PostgreSQL schema, version 15: neighbourhood councils (mahalle meclisleri,
-- `muhtar_core::council`): the member roll, votes and ballots.
--
-- One ballot per member: `council_participation_pkey` (tenant, vote, member) is inserted
-- in the ballot's own transaction, after `SELECT … FOR SHARE` on the vote's row (a close
-- takes `FOR UPDATE`, so a ballot and a close serialize: the ballot is in before the close
-- reads the row, or it finds the vote closed). A member's second ballot waits at the key
-- and fails (SQLSTATE 23505 on that constraint), and its transaction writes nothing.
--
-- Secret votes: who took part (`council_participation`) and what was chosen
-- (`council_ballots`, member NULL, a random id) share no key and no time column. Unlike
-- SQLite's WITHOUT ROWID tables, PostgreSQL's heap keeps system columns (ctid, xmin) that
-- follow insertion; they are not part of any query of the store.
--
-- Closing is final: a closed vote's row is never changed or deleted, and its ballots never
-- changed; ballots and participation rows are never deleted (triggers refuse it).
--
-- Apply by hand with `psql -v ON_ERROR_STOP=1 -1 -d DBNAME -f 0015_councils.sql`; every
-- statement is idempotent (IF NOT EXISTS, OR REPLACE).

CREATE TABLE IF NOT EXISTS council_members (
    tenant      text        NOT NULL,
    id          uuid        NOT NULL,
    muhtarlik   text        NOT NULL,
    added_at    timestamptz NOT NULL,
    added_nanos integer     NOT NULL DEFAULT 0,  -- nanoseconds below the microsecond
    member      text        NOT NULL,            -- JSON of the member
    CONSTRAINT council_members_pkey PRIMARY KEY (tenant, id)
);

CREATE INDEX IF NOT EXISTS council_members_roll
    ON council_members (tenant, muhtarlik, added_at, added_nanos, id);

CREATE TABLE IF NOT EXISTS council_votes (
    tenant        text        NOT NULL,
    id            uuid        NOT NULL,
    muhtarlik     text        NOT NULL,
    status        text        NOT NULL CHECK (status IN ('open', 'closed')),
    secret        boolean     NOT NULL,
    created_at    timestamptz NOT NULL,
    created_nanos integer     NOT NULL DEFAULT 0,
    vote          text        NOT NULL,  -- JSON of the vote, its frozen result included
    CONSTRAINT council_votes_pkey PRIMARY KEY (tenant, id)
);

CREATE INDEX IF NOT EXISTS council_votes_listing
    ON council_votes (tenant, muhtarlik, created_at, created_nanos, id);

CREATE TABLE IF NOT EXISTS council_participation (
    tenant text NOT NULL,
    vote   uuid NOT NULL,
    member uuid NOT NULL,
    CONSTRAINT council_participation_pkey PRIMARY KEY (tenant, vote, member),
    CONSTRAINT council_participation_vote_fkey FOREIGN KEY (tenant, vote)
        REFERENCES council_votes (tenant, id)
);

CREATE TABLE IF NOT EXISTS council_ballots (
    tenant       text     NOT NULL,
    vote         uuid     NOT NULL,
    id           uuid     NOT NULL DEFAULT gen_random_uuid(),  -- random, not the member's
    receipt_hash text     NOT NULL,  -- SHA-256 of the voter's receipt code
    choice       smallint NOT NULL CHECK (choice BETWEEN 0 AND 255),
    member       uuid     NULL,      -- NULL for a secret vote
    CONSTRAINT council_ballots_pkey PRIMARY KEY (tenant, vote, id),
    CONSTRAINT council_ballots_receipt_key UNIQUE (tenant, vote, receipt_hash),
    CONSTRAINT council_ballots_vote_fkey FOREIGN KEY (tenant, vote)
        REFERENCES council_votes (tenant, id)
);

CREATE OR REPLACE FUNCTION muhtar_council_votes_final() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.status = 'closed' THEN
        RAISE EXCEPTION 'a closed vote is never changed or deleted';
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END
$$;

DROP TRIGGER IF EXISTS council_votes_final ON council_votes;
CREATE TRIGGER council_votes_final BEFORE UPDATE OR DELETE ON council_votes
    FOR EACH ROW EXECUTE FUNCTION muhtar_council_votes_final();

CREATE OR REPLACE FUNCTION muhtar_council_rows_kept() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% rows are never deleted or changed', TG_TABLE_NAME;
END
$$;

DROP TRIGGER IF EXISTS council_participation_kept ON council_participation;
CREATE TRIGGER council_participation_kept BEFORE UPDATE OR DELETE ON council_participation
    FOR EACH ROW EXECUTE FUNCTION muhtar_council_rows_kept();

DROP TRIGGER IF EXISTS council_ballots_kept ON council_ballots;
CREATE TRIGGER council_ballots_kept BEFORE DELETE ON council_ballots
    FOR EACH ROW EXECUTE FUNCTION muhtar_council_rows_kept();

CREATE OR REPLACE FUNCTION muhtar_council_ballot_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.tenant IS DISTINCT FROM OLD.tenant OR NEW.vote IS DISTINCT FROM OLD.vote
        OR NEW.id IS DISTINCT FROM OLD.id OR NEW.receipt_hash IS DISTINCT FROM OLD.receipt_hash
        OR NEW.member IS DISTINCT FROM OLD.member THEN
        RAISE EXCEPTION 'only the choice of a ballot is changed';
    END IF;
    IF EXISTS (SELECT 1 FROM council_votes
               WHERE tenant = OLD.tenant AND id = OLD.vote AND status = 'closed') THEN
        RAISE EXCEPTION 'the ballots of a closed vote are never changed';
    END IF;
    RETURN NEW;
END
$$;

DROP TRIGGER IF EXISTS council_ballots_changed ON council_ballots;
CREATE TRIGGER council_ballots_changed BEFORE UPDATE ON council_ballots
    FOR EACH ROW EXECUTE FUNCTION muhtar_council_ballot_changed();
