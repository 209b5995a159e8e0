-- Covering indexes for the quarterly report (issue 10: the 10-million-request quarter).
--
-- The report reads eleven narrow columns of the requests received in a quarter and of
-- those carried over into it. With these columns in the index itself, each part is an
-- index-only scan instead of one random heap page per request (the heap rows carry the
-- JSON state and are wide). They replace the plain receipt and conclusion indexes, whose
-- keys they share, so every query those served is served the same way.
--
-- On a large table, build them by hand first with CREATE INDEX CONCURRENTLY under the same
-- names; IF NOT EXISTS then skips them here.

CREATE INDEX IF NOT EXISTS requests_report_received_idx ON requests (tenant, received_key, id)
    INCLUDE (unit, category, channel, muhtarlik, kind, received_at, concluded_at, outcome,
             reason, resolution_due, answer_days);

CREATE INDEX IF NOT EXISTS requests_report_concluded_idx ON requests (tenant, concluded_at)
    INCLUDE (received_key, unit, category, channel, muhtarlik, kind, received_at, outcome,
             reason, resolution_due, answer_days);

DROP INDEX IF EXISTS requests_received_idx;
DROP INDEX IF EXISTS requests_concluded_idx;
