-- The delivery failure count is a column of the outbox (issue 19): `failures`, raised by
-- one with each failed delivery (`OutboxStore::mark_retry` and `mark_failed`; a claim or a
-- quiet-hours deferral does not). Builds before it wrote the count into the error text as
-- a `[failures=N] ` prefix of `last_error`; that prefix is moved into the column here,
-- leaving the clean message.

ALTER TABLE outbox ADD COLUMN failures INTEGER NOT NULL DEFAULT 0 CHECK (failures >= 0);

UPDATE outbox SET
    failures = substring(last_error from '^\[failures=([0-9]{1,9})\]')::integer,
    last_error = regexp_replace(last_error, '^\[failures=[0-9]{1,9}\] ?', '')
WHERE last_error ~ '^\[failures=[0-9]{1,9}\]';
