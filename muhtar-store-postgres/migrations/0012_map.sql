-- muhtar PostgreSQL schema, version 12: requests on a map (issue 22).
--
-- `lon`, `lat` (double precision, WGS 84 degrees; NULL without a location) are the
-- request's `content.location`, written by every commit (`muhtar_core::map::MapPoint` is
-- read from them and the other columns, never from the JSON state) and filled in here from
-- the JSON state of the rows already stored. `place` is the same point as PostgreSQL's
-- built-in `point` (x = longitude, y = latitude), a generated column, with a GiST index
-- over the located requests: a bounding-box query asks
-- `place <@ box(point(minlon, minlat), point(maxlon, maxlat))`, which the index answers,
-- and then compares `lon`/`lat` exactly (the geometric operators compare within a
-- tolerance of 1e-6 degrees, so they may take a point a hair outside the box).
--
-- `requests_map_idx` holds every column a map reads, in the map's order (urgent first,
-- then the deadline): a whole tenant's map is an index-only scan, with no sort and none of
-- the rows' JSON.
--
-- PostGIS: a server that has it could keep `place` as `geometry(Point, 4326)`
-- (`GENERATED ALWAYS AS (ST_SetSRID(ST_MakePoint(lon, lat), 4326)) STORED`) under the
-- same GiST index and ask `place && ST_MakeEnvelope(minlon, minlat, maxlon, maxlat, 4326)`;
-- that would be the place for it. The built-in `point` needs no extension (which a
-- municipality's database server may not allow), and a box query over points is all the
-- map needs.
--
-- Append-only. Applied by `PgStore::migrate()` or by a DBA with
-- `psql -v ON_ERROR_STOP=1 -1 -d DBNAME -f 0012_map.sql`. Idempotent. On a large table,
-- build the indexes by hand first with CREATE INDEX CONCURRENTLY under the same name;
-- IF NOT EXISTS then skips it here.

ALTER TABLE requests ADD COLUMN IF NOT EXISTS lon double precision;
ALTER TABLE requests ADD COLUMN IF NOT EXISTS lat double precision;

UPDATE requests SET
    lon = (state -> 'content' -> 'location' ->> 'lon')::double precision,
    lat = (state -> 'content' -> 'location' ->> 'lat')::double precision
WHERE jsonb_typeof(state -> 'content' -> 'location') = 'object' AND lon IS NULL;

ALTER TABLE requests ADD COLUMN IF NOT EXISTS place point
    GENERATED ALWAYS AS (point(lon, lat)) STORED;

CREATE INDEX IF NOT EXISTS requests_place_idx ON requests USING gist (place)
    WHERE place IS NOT NULL;

CREATE INDEX IF NOT EXISTS requests_map_idx ON requests (tenant, priority_rank, due_key, id)
    INCLUDE (tracking, category, status, unit, muhtarlik, resolution_due, received_key, lon, lat)
    WHERE lon IS NOT NULL AND lat IS NOT NULL;
