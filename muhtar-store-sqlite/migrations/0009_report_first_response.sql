-- muhtar SQLite schema, migration 0009: the first response (Law 3071's first-response
-- clock), a report fact: `first_response_at` (microseconds since the epoch, like the
-- other instants) is the first interim reply (ara cevap) or answer, written through
-- `muhtar_core::report::Facts::of` with every commit; the report compares it with
-- `first_response_due`. Both are filled in here from the JSON state and deadlines of the
-- requests already stored (chrono writes instants as `YYYY-MM-DDTHH:MM:SS[.f]Z` with 0,
-- 3, 6 or 9 fraction digits; the fraction is truncated to microseconds).
--
-- Apply by hand after 0008: `sqlite3 muhtar.db < migrations/0009_report_first_response.sql`.

ALTER TABLE requests ADD COLUMN first_response_at INTEGER;

UPDATE requests SET first_response_at = (
    SELECT CAST(strftime('%s', substr(t, 1, 19)) AS INTEGER) * 1000000
           + CASE WHEN substr(t, 20, 1) = '.'
                  THEN CAST(substr(substr(t, 21, length(t) - 21) || '000000', 1, 6) AS INTEGER)
                  ELSE 0 END
    FROM (SELECT json_extract(state, '$.first_response_at') AS t))
WHERE json_extract(state, '$.first_response_at') IS NOT NULL;

UPDATE requests SET first_response_due = (
    SELECT CAST(strftime('%s', substr(t, 1, 19)) AS INTEGER) * 1000000
           + CASE WHEN substr(t, 20, 1) = '.'
                  THEN CAST(substr(substr(t, 21, length(t) - 21) || '000000', 1, 6) AS INTEGER)
                  ELSE 0 END
    FROM (SELECT json_extract(deadlines, '$.first_response_due') AS t))
WHERE first_response_due IS NULL AND json_extract(deadlines, '$.first_response_due') IS NOT NULL;

-- muhtar:record (everything above this line is checksummed)
INSERT INTO schema_migrations (version, name, checksum, applied_at)
VALUES (9, 'report_first_response', '0999074f75ad827f1c6957fff9d9a25b61ffef455679a9e2d0644096f7f85eb3', strftime('%Y-%m-%dT%H:%M:%fZ', 'now'));
