-- muhtar SQLite schema, migration 0006 (issue 16 §4): report-correction marks. A request
-- entered after its quarter's report was signed, with a receipt instant the coordinator
-- forced into that quarter (with a reason), marks the quarter's signed reports as needing
-- a correction. Signed reports are frozen (triggers refuse UPDATE and DELETE), so the mark
-- lives here, written in the same transaction as the request's first commit. Append-only.
--
-- Apply by hand after 0005: `sqlite3 muhtar.db < migrations/0006_p16-receipt_report_corrections.sql`.

CREATE TABLE report_corrections (
    tenant     TEXT NOT NULL,
    request_id TEXT NOT NULL,
    quarter    TEXT NOT NULL,  -- e.g. '2026Q1'
    at         TEXT NOT NULL,  -- fixed-width UTC RFC 3339
    body       TEXT NOT NULL,  -- JSON of ReportCorrection
    PRIMARY KEY (tenant, request_id)
);

CREATE INDEX report_corrections_quarter ON report_corrections (tenant, quarter, at);

-- muhtar:record (everything above this line is checksummed)
INSERT INTO schema_migrations (version, name, checksum, applied_at)
VALUES (6, 'p16_receipt_report_corrections', '93fa2e2311f42fe5b8031156a506cfd5a03fa7311e43bbe3d706db47483e567f', strftime('%Y-%m-%dT%H:%M:%fZ', 'now'));
