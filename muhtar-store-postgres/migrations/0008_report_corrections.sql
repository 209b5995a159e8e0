-- Report-correction marks (issue 16 §4): a request entered after its quarter's report was
-- signed, with a receipt instant the coordinator forced into that quarter (with a reason).
-- Signed reports are frozen (triggers refuse UPDATE and DELETE), so the mark lives here,
-- written in the same transaction as the request's first commit. Append-only.

CREATE TABLE IF NOT EXISTS report_corrections (
    tenant     text        NOT NULL,
    request_id uuid        NOT NULL,
    quarter    text        NOT NULL,  -- e.g. '2026Q1'
    at         timestamptz NOT NULL,  -- when the request was entered
    body       text        NOT NULL,  -- JSON of ReportCorrection
    CONSTRAINT report_corrections_pkey PRIMARY KEY (tenant, request_id)
);

CREATE INDEX IF NOT EXISTS report_corrections_quarter_idx
    ON report_corrections (tenant, quarter, at);

-- The channel `metropolitan-system` is now `beyaz-masa` (İBB Beyaz Masa; the old name is still
-- read): the report and the list filters group and match by this column.
UPDATE requests SET channel = 'beyaz-masa' WHERE channel = 'metropolitan-system';
