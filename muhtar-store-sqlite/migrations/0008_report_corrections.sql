-- muhtar SQLite schema, migration 0008 (issue 16 §4): report-correction marks. A request
-- entered after its quarter's report was signed, with a receipt instant the coordinator
-- forced into that quarter (with a reason), marks the quarter's signed reports as needing
-- a correction. Signed reports are frozen (triggers refuse UPDATE and DELETE), so the mark
-- lives here, written in the same transaction as the request's first commit. Append-only.
--
-- Apply by hand after 0007: `sqlite3 muhtar.db < migrations/0008_report_corrections.sql`.

CREATE TABLE report_corrections (
    tenant     TEXT NOT NULL,
    request_id TEXT NOT NULL,
    quarter    TEXT NOT NULL,  -- e.g. '2026Q1'
    at         TEXT NOT NULL,  -- fixed-width UTC RFC 3339
    body       TEXT NOT NULL,  -- JSON of ReportCorrection
    PRIMARY KEY (tenant, request_id)
);

CREATE INDEX report_corrections_quarter ON report_corrections (tenant, quarter, at);

-- The channel `metropolitan-system` is now `beyaz-masa` (İBB Beyaz Masa; the old name is still
-- read): the report and the list filters group and match by this column.
UPDATE requests SET channel = 'beyaz-masa' WHERE channel = 'metropolitan-system';

-- muhtar:record (everything above this line is checksummed)
INSERT INTO schema_migrations (version, name, checksum, applied_at)
VALUES (8, 'report_corrections', '1f8fa19a74c63fea73729ec526032de35591a64eecd7b38c026cecafd452df2f', strftime('%Y-%m-%dT%H:%M:%fZ', 'now'));
