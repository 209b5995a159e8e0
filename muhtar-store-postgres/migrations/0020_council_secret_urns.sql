-- muhtar PostgreSQL schema, version 20: a secret vote's ballots in one urn row.
--
-- PostgreSQL stamps every row a transaction writes with its id (`xmin`) and keeps rows in
-- the order they were written (`ctid`). A ballot and its participation row are written
-- in one transaction (that is what makes one ballot per member hold under concurrency),
-- so as separate rows they carried the same `xmin`: a database administrator reading the
-- system columns could link who voted to what they chose. A secret vote's ballots are
-- therefore no longer rows of `council_ballots` but entries of ONE row per vote,
-- `council_secret_urns.ballots`: a JSON array of `{"r": receipt hash, "c": choice}`
-- sorted by receipt hash (random), rewritten whole by each ballot under `FOR UPDATE`.
-- The live row carries the id of the last transaction that wrote it and no order of
-- casting; participation rows still carry theirs, which tells who voted when, never
-- what. Row versions a later ballot superseded stay in the table's pages until vacuum
-- prunes them (autovacuum, or `VACUUM council_secret_urns` after a vote closes), and the
-- write-ahead log keeps them as long as it is kept: both are the server operator's
-- (docs/councils.md).
--
-- Open (non-secret) votes keep their ballots as rows of `council_ballots`, with the member.
-- Existing secret ballots move into their urns here (the `council_ballots_kept` trigger
-- is set aside for that one statement).
--
-- Apply by hand with `psql -v ON_ERROR_STOP=1 -1 -d DBNAME -f 0020_council_secret_urns.sql`
-- (in one transaction: -1).

CREATE TABLE IF NOT EXISTS council_secret_urns (
    tenant  text  NOT NULL,
    vote    uuid  NOT NULL,
    ballots jsonb NOT NULL DEFAULT '[]'::jsonb CHECK (jsonb_typeof(ballots) = 'array'),
    CONSTRAINT council_secret_urns_pkey PRIMARY KEY (tenant, vote),
    CONSTRAINT council_secret_urns_vote_fkey FOREIGN KEY (tenant, vote)
        REFERENCES council_votes (tenant, id)
);

INSERT INTO council_secret_urns (tenant, vote, ballots)
SELECT v.tenant, v.id,
       COALESCE((SELECT jsonb_agg(jsonb_build_object('r', b.receipt_hash, 'c', b.choice)
                                  ORDER BY b.receipt_hash COLLATE "C")
                 FROM council_ballots b WHERE b.tenant = v.tenant AND b.vote = v.id),
                '[]'::jsonb)
FROM council_votes v
WHERE v.secret
ON CONFLICT (tenant, vote) DO NOTHING;

ALTER TABLE council_ballots DISABLE TRIGGER council_ballots_kept;
DELETE FROM council_ballots b USING council_votes v
WHERE v.tenant = b.tenant AND v.id = b.vote AND v.secret;
ALTER TABLE council_ballots ENABLE TRIGGER council_ballots_kept;

-- An urn is never deleted; once its vote is closed it is never changed either.
CREATE OR REPLACE FUNCTION muhtar_council_urn_final() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'a secret vote''s urn is never deleted';
    END IF;
    IF NEW.tenant IS DISTINCT FROM OLD.tenant OR NEW.vote IS DISTINCT FROM OLD.vote THEN
        RAISE EXCEPTION 'an urn stays with its vote';
    END IF;
    IF EXISTS (SELECT 1 FROM council_votes
               WHERE tenant = OLD.tenant AND id = OLD.vote AND status = 'closed') THEN
        RAISE EXCEPTION 'the ballots of a closed vote are never changed';
    END IF;
    RETURN NEW;
END
$$;

DROP TRIGGER IF EXISTS council_secret_urns_final ON council_secret_urns;
CREATE TRIGGER council_secret_urns_final BEFORE UPDATE OR DELETE ON council_secret_urns
    FOR EACH ROW EXECUTE FUNCTION muhtar_council_urn_final();
