-- muhtar PostgreSQL schema, version 13: the works and announcements of the units
-- (`muhtar_core::map::work`). One row per work, its latest version: the work as jsonb with
-- typed copies for listings; the bounding box of its area as a `box` under a GiST index
-- (the spatial index of `bbox` queries; PostgreSQL's geometric operators compare with a
-- small tolerance, so the exact box in four float8 columns decides), and the muhtarlıklar
-- its area touches as an array under a GIN index.
--
-- Apply by hand with `psql -v ON_ERROR_STOP=1 -1 -d DBNAME -f 0013_works.sql`; every
-- statement is idempotent (IF NOT EXISTS).

CREATE TABLE IF NOT EXISTS works (
    tenant       text             NOT NULL,
    id           uuid             NOT NULL,
    version      integer          NOT NULL CHECK (version >= 1),
    unit         text             NOT NULL,
    status       text             NOT NULL,   -- planned, ongoing, closed
    starts_at    timestamptz      NOT NULL,
    ends_at      timestamptz      NOT NULL,
    min_lon      double precision NOT NULL,   -- the area's bounding box, WGS 84 degrees
    min_lat      double precision NOT NULL,
    max_lon      double precision NOT NULL,
    max_lat      double precision NOT NULL,
    area_box     box              NOT NULL,   -- the same box, for the GiST index
    muhtarliklar text[]           NOT NULL,
    work         jsonb            NOT NULL,
    CONSTRAINT works_pkey PRIMARY KEY (tenant, id)
);

CREATE INDEX IF NOT EXISTS works_area ON works USING gist (area_box);
CREATE INDEX IF NOT EXISTS works_muhtarliklar ON works USING gin (muhtarliklar);
CREATE INDEX IF NOT EXISTS works_tenant_start ON works (tenant, starts_at, id);
