-- First responses in the report (issue 16, Law 3071): an interim reply (ara cevap) or
-- the answer meets the first-response clock, and the report counts the received requests
-- whose first response came on time and late.
--
-- The facts are `first_response_at` and `first_response_due`, columns since 0001, now
-- written through `report::Facts::of` with every commit (microseconds, truncated). Rows
-- that lack them while their JSON has them are filled in here (the fraction truncated to
-- microseconds, as `Facts::of` does; PostgreSQL's input would round it). The report
-- reads them from the covering indexes, so the indexes of 0006 are rebuilt with both
-- under new names (index-only scans stay); the old ones are dropped.
--
-- On a large table, build the two indexes by hand first with CREATE INDEX CONCURRENTLY
-- under the same names; IF NOT EXISTS then skips them here.

UPDATE requests SET first_response_at = (
        left(state->>'first_response_at', 19)
        || CASE WHEN substr(state->>'first_response_at', 20, 1) = '.'
                THEN '.' || rpad(substr(state->>'first_response_at', 21,
                                        length(state->>'first_response_at') - 21), 6, '0')
                ELSE '' END
        || 'Z')::timestamptz
WHERE first_response_at IS NULL AND state ? 'first_response_at';

UPDATE requests SET first_response_due = (
        left(deadlines->>'first_response_due', 19)
        || CASE WHEN substr(deadlines->>'first_response_due', 20, 1) = '.'
                THEN '.' || rpad(substr(deadlines->>'first_response_due', 21,
                                        length(deadlines->>'first_response_due') - 21), 6, '0')
                ELSE '' END
        || 'Z')::timestamptz
WHERE first_response_due IS NULL AND deadlines ? 'first_response_due';

CREATE INDEX IF NOT EXISTS requests_report_received_fr_idx ON requests (tenant, received_key, id)
    INCLUDE (unit, category, channel, muhtarlik, kind, received_at, concluded_at, outcome,
             reason, resolution_due, answer_days, answer_calendar_days, first_response_at,
             first_response_due);

CREATE INDEX IF NOT EXISTS requests_report_concluded_fr_idx ON requests (tenant, concluded_at)
    INCLUDE (received_key, unit, category, channel, muhtarlik, kind, received_at, outcome,
             reason, resolution_due, answer_days, answer_calendar_days, first_response_at,
             first_response_due);

DROP INDEX IF EXISTS requests_report_received_cd_idx;
DROP INDEX IF EXISTS requests_report_concluded_cd_idx;
