-- Calendar days to answer (issue 16 §5): a report fact beside the working days.
--
-- `answer_calendar_days` is the number of calendar days from the Istanbul date of receipt
-- to that of the answer (0 on the same day; see `muhtar_core::report`), written through
-- `report::Facts::of` with every commit and filled in here for the answered requests
-- already stored. The report reads it from the covering indexes of 0005, so they are
-- rebuilt with it under new names (index-only scans stay); the old ones are dropped.
--
-- On a large table, build the two indexes by hand first with CREATE INDEX CONCURRENTLY
-- under the same names; IF NOT EXISTS then skips them here.

ALTER TABLE requests ADD COLUMN IF NOT EXISTS answer_calendar_days integer NULL;

UPDATE requests SET answer_calendar_days = GREATEST(0,
        (answered_at AT TIME ZONE 'Europe/Istanbul')::date
        - (received_at AT TIME ZONE 'Europe/Istanbul')::date)
WHERE concluded_at IS NOT NULL AND answered_at IS NOT NULL AND answer_calendar_days IS NULL;

CREATE INDEX IF NOT EXISTS requests_report_received_cd_idx ON requests (tenant, received_key, id)
    INCLUDE (unit, category, channel, muhtarlik, kind, received_at, concluded_at, outcome,
             reason, resolution_due, answer_days, answer_calendar_days);

CREATE INDEX IF NOT EXISTS requests_report_concluded_cd_idx ON requests (tenant, concluded_at)
    INCLUDE (received_key, unit, category, channel, muhtarlik, kind, received_at, outcome,
             reason, resolution_due, answer_days, answer_calendar_days);

DROP INDEX IF EXISTS requests_report_received_idx;
DROP INDEX IF EXISTS requests_report_concluded_idx;
