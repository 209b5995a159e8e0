-- muhtar SQLite schema, migration 0013: the works and announcements of the units
-- (`muhtar_core::map::work`). One row per work, its latest version: the work as JSON with
-- typed copies for listings; the bounding box of its area in an R*Tree (SQLite's spatial
-- index) for `bbox` queries; the muhtarlıklar its area touches in a table of their own.
--
-- The R*Tree keeps 32-bit floats, rounded outwards, so it finds a superset of the works
-- whose box meets a query's box; the exact box (`min_lon` … `max_lat`, REAL) decides.
--
-- Apply by hand after 0012: `sqlite3 muhtar.db < migrations/0013_works.sql`.

CREATE TABLE works (
    seq       INTEGER NOT NULL PRIMARY KEY,  -- the row's number: the R*Tree's id
    tenant    TEXT    NOT NULL,
    id        TEXT    NOT NULL,              -- lowercase hyphenated UUID
    version   INTEGER NOT NULL,
    unit      TEXT    NOT NULL,
    status    TEXT    NOT NULL,              -- planned, ongoing, closed
    starts_at INTEGER NOT NULL,              -- microseconds since the Unix epoch
    ends_at   INTEGER NOT NULL,
    min_lon   REAL    NOT NULL,              -- the area's bounding box, WGS 84 degrees
    min_lat   REAL    NOT NULL,
    max_lon   REAL    NOT NULL,
    max_lat   REAL    NOT NULL,
    work      TEXT    NOT NULL,              -- JSON of the work
    CONSTRAINT works_tenant_id UNIQUE (tenant, id)
);

-- Listings: a tenant's works by start.
CREATE INDEX works_tenant_start ON works (tenant, starts_at, id);

CREATE VIRTUAL TABLE works_area USING rtree (seq, min_lon, max_lon, min_lat, max_lat);

CREATE TABLE work_muhtarliklar (
    tenant    TEXT    NOT NULL,
    muhtarlik TEXT    NOT NULL,
    seq       INTEGER NOT NULL REFERENCES works (seq),
    PRIMARY KEY (tenant, muhtarlik, seq)
) WITHOUT ROWID;

CREATE INDEX work_muhtarliklar_seq ON work_muhtarliklar (seq);

-- muhtar:record (everything above this line is checksummed)
INSERT INTO schema_migrations (version, name, checksum, applied_at)
VALUES (13, 'works', '07af85ebd06ac5e573ab0c1f676f09e5814af387f294daadb355bb8ad86010c4', strftime('%Y-%m-%dT%H:%M:%fZ', 'now'));
