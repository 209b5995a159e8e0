-- muhtar SQLite schema, migration 0010: the delivery failure count is a column of the
-- outbox, `failures` (each failed delivery adds one: `OutboxStore::mark_retry` and
-- `mark_failed`; a claim or a quiet-hours deferral does not). Builds before it wrote the
-- count into the error text as a `[failures=N] ` prefix of `last_error`; that prefix is
-- moved into the column here, leaving the clean message.
--
-- Apply by hand after 0009: `sqlite3 muhtar.db < migrations/0010_outbox_failures.sql`.

ALTER TABLE outbox ADD COLUMN failures INTEGER NOT NULL DEFAULT 0 CHECK (failures >= 0);

-- `[failures=` is 10 characters: the count runs from the 11th to the first `]`.
UPDATE outbox SET
    failures = CAST(substr(last_error, 11, instr(last_error, ']') - 11) AS INTEGER),
    last_error = CASE WHEN substr(last_error, instr(last_error, ']') + 1, 1) = ' '
                      THEN substr(last_error, instr(last_error, ']') + 2)
                      ELSE substr(last_error, instr(last_error, ']') + 1) END
WHERE substr(last_error, 1, 10) = '[failures='
  AND instr(last_error, ']') BETWEEN 12 AND 20
  AND substr(last_error, 11, instr(last_error, ']') - 11) NOT GLOB '*[^0-9]*';

-- muhtar:record (everything above this line is checksummed)
INSERT INTO schema_migrations (version, name, checksum, applied_at)
VALUES (10, 'outbox_failures', '9303383b60a4a6236baf6467c462c8dc6920ccfee76787277c1f356c5b8dbffe', strftime('%Y-%m-%dT%H:%M:%fZ', 'now'));
