-- muhtar SQLite schema, migration 0006: calendar days to answer, a report fact beside the
-- working days (`answer_calendar_days`: calendar days from the Istanbul date of receipt to
-- that of the answer; see `muhtar_core::report`), filled in for the answered requests
-- already stored. SQLite has no time zones: Istanbul's offset comes from the table
-- below (+03:00 in summer until 2015 and always since 27 March 2016, +02:00 otherwise).
-- Requests received before 2009 stay NULL until their next change.
--
-- Apply by hand after 0005: `sqlite3 muhtar.db < migrations/0006_report_calendar_days.sql`.

ALTER TABLE requests ADD COLUMN answer_calendar_days INTEGER;

CREATE TEMP TABLE istanbul_summer (start INTEGER NOT NULL, stop INTEGER NOT NULL);
INSERT INTO istanbul_summer VALUES
    (1238288400, 1256432400), (1269738000, 1288486800), (1301274000, 1319936400),
    (1332637200, 1351386000), (1364691600, 1382835600), (1396227600, 1414285200),
    (1427590800, 1446944400), (1459040400, 9223372036854775807);

UPDATE requests SET answer_calendar_days = (
    SELECT MAX(0, CAST(julianday(date(a + CASE WHEN EXISTS (SELECT 1 FROM istanbul_summer
                                                            WHERE a >= start AND a < stop)
                                               THEN 10800 ELSE 7200 END, 'unixepoch'))
                     - julianday(date(r + CASE WHEN EXISTS (SELECT 1 FROM istanbul_summer
                                                            WHERE r >= start AND r < stop)
                                               THEN 10800 ELSE 7200 END, 'unixepoch'))
                     AS INTEGER))
    FROM (SELECT CAST(strftime('%s', substr(json_extract(state, '$.answered_at'), 1, 19))
                      AS INTEGER) AS a,
                 received_at / 1000000 AS r))
WHERE concluded_at IS NOT NULL AND json_extract(state, '$.answered_at') IS NOT NULL
  AND received_at >= 1230768000000000;

DROP TABLE istanbul_summer;

-- muhtar:record (everything above this line is checksummed)
INSERT INTO schema_migrations (version, name, checksum, applied_at)
VALUES (6, 'report_calendar_days', 'accad7f59855fff3f9ed11f548ed25750761b5be7af0321dfcaa4510eae55bc5', strftime('%Y-%m-%dT%H:%M:%fZ', 'now'));
