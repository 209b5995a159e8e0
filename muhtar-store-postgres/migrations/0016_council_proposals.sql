-- muhtar PostgreSQL schema, migration 0016: the council's agenda (issue 24, second part,
-- `muhtar_core::council::Proposal`): proposals, their supports and comments.
--
-- One support per member: `council_supports` has the primary key (tenant, proposal,
-- member). A support's transaction first locks the proposal's row (`FOR UPDATE`), then
-- inserts, counts and puts the proposal on the agenda: supports of one proposal
-- serialize, so exactly one is the threshold-th.
--
-- Append-only: proposals, supports and comments are never deleted; a support is never
-- changed; a proposal on the agenda is never changed; a comment changes once, when it is
-- hidden. Triggers refuse the rest.

CREATE TABLE IF NOT EXISTS council_proposals (
    tenant        text        NOT NULL,
    id            uuid        NOT NULL,
    muhtarlik     text        NOT NULL,
    status        text        NOT NULL CHECK (status IN ('open', 'on-agenda')),
    created_at    timestamptz NOT NULL,
    created_nanos integer     NOT NULL DEFAULT 0,  -- nanoseconds below the microsecond
    proposal      text        NOT NULL,            -- JSON (its support count not kept)
    CONSTRAINT council_proposals_pkey PRIMARY KEY (tenant, id)
);

CREATE INDEX IF NOT EXISTS council_proposals_listing
    ON council_proposals (tenant, muhtarlik, created_at, created_nanos, id);

CREATE TABLE IF NOT EXISTS council_supports (
    tenant         text        NOT NULL,
    proposal       uuid        NOT NULL,
    member         uuid        NOT NULL,
    supported_at   timestamptz NOT NULL,
    supported_nanos integer    NOT NULL DEFAULT 0,
    CONSTRAINT council_supports_pkey PRIMARY KEY (tenant, proposal, member),
    CONSTRAINT council_supports_proposal_fkey FOREIGN KEY (tenant, proposal)
        REFERENCES council_proposals (tenant, id)
);

CREATE TABLE IF NOT EXISTS council_comments (
    tenant        text        NOT NULL,
    id            uuid        NOT NULL,
    proposal      uuid        NOT NULL,
    created_at    timestamptz NOT NULL,
    created_nanos integer     NOT NULL DEFAULT 0,
    hidden        boolean     NOT NULL DEFAULT false,
    comment       text        NOT NULL,  -- JSON of the comment, its hiding included
    CONSTRAINT council_comments_pkey PRIMARY KEY (tenant, id),
    CONSTRAINT council_comments_proposal_fkey FOREIGN KEY (tenant, proposal)
        REFERENCES council_proposals (tenant, id)
);

CREATE INDEX IF NOT EXISTS council_comments_listing
    ON council_comments (tenant, proposal, created_at, created_nanos, id);

CREATE OR REPLACE FUNCTION muhtar_council_proposals_kept() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'proposals are never deleted';
    END IF;
    IF OLD.status = 'on-agenda' THEN
        RAISE EXCEPTION 'a proposal on the agenda is never changed';
    END IF;
    RETURN NEW;
END
$$;

DROP TRIGGER IF EXISTS council_proposals_kept ON council_proposals;
CREATE TRIGGER council_proposals_kept BEFORE UPDATE OR DELETE ON council_proposals
    FOR EACH ROW EXECUTE FUNCTION muhtar_council_proposals_kept();

-- muhtar_council_rows_kept (0015) refuses every change.
DROP TRIGGER IF EXISTS council_supports_kept ON council_supports;
CREATE TRIGGER council_supports_kept BEFORE UPDATE OR DELETE ON council_supports
    FOR EACH ROW EXECUTE FUNCTION muhtar_council_rows_kept();

CREATE OR REPLACE FUNCTION muhtar_council_comments_kept() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'comments are never deleted';
    END IF;
    IF OLD.hidden OR NOT NEW.hidden OR NEW.tenant IS DISTINCT FROM OLD.tenant
        OR NEW.id IS DISTINCT FROM OLD.id OR NEW.proposal IS DISTINCT FROM OLD.proposal
        OR NEW.created_at IS DISTINCT FROM OLD.created_at THEN
        RAISE EXCEPTION 'a comment is only hidden, once';
    END IF;
    RETURN NEW;
END
$$;

DROP TRIGGER IF EXISTS council_comments_kept ON council_comments;
CREATE TRIGGER council_comments_kept BEFORE UPDATE OR DELETE ON council_comments
    FOR EACH ROW EXECUTE FUNCTION muhtar_council_comments_kept();
