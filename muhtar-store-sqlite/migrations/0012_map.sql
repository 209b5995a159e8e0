-- muhtar SQLite schema, migration 0012: requests on a map (issue 22).
--
-- 1. `lon`, `lat` (REAL, WGS 84 degrees; NULL without a location): the request's
--    `content.location`, written by every commit (`muhtar_core::map::MapPoint` reads them
--    with the other columns, never the JSON state), filled in here from the JSON state.
-- 2. `request_places`: an R*Tree (SQLite's rtree module) of the located requests, one
--    point each (west = east = lon, south = north = lat), keyed by `requests.place`.
--    Bounding-box queries search it first and then check `lon`/`lat` exactly: the R*Tree
--    keeps 32-bit floats, rounded outwards, so it may return a point a hair outside a box
--    but never misses one inside.
-- 3. `place`: a located request's key in the R*Tree, given once by the commit that first
--    writes its location (the largest key so far plus one) and never changed. Not the
--    rowid: VACUUM may renumber the rowids of a table without an INTEGER PRIMARY KEY,
--    which would point the index at other requests.
--
-- 4. `requests_map`: a whole tenant's map, in the map's order (urgent first, then the
--    deadline), reads this index alone: no sort, and no table row (whose JSON state lies
--    before `lon` and `lat` in the row, mostly on overflow pages).
--
-- The triggers keep the R*Tree in step with `requests` whoever writes the row: a commit
-- (an upsert: its DO UPDATE fires the update trigger), this backfill, a DBA's UPDATE or
-- DELETE. An update that leaves `lon`, `lat` and `place` as they were (every commit of a
-- request already located) does not touch the R*Tree.
--
-- Apply by hand after 0011: `sqlite3 muhtar.db < migrations/0012_map.sql`.

ALTER TABLE requests ADD COLUMN lon REAL;
ALTER TABLE requests ADD COLUMN lat REAL;
ALTER TABLE requests ADD COLUMN place INTEGER;

UPDATE requests SET
    lon = json_extract(state, '$.content.location.lon'),
    lat = json_extract(state, '$.content.location.lat')
WHERE json_extract(state, '$.content.location') IS NOT NULL;

-- The rowids of today are distinct: they serve as the first keys.
UPDATE requests SET place = rowid WHERE lon IS NOT NULL AND lat IS NOT NULL;

CREATE UNIQUE INDEX requests_place ON requests (place) WHERE place IS NOT NULL;

CREATE INDEX requests_map ON requests
    (tenant, priority_rank, COALESCE(resolution_due, 9223372036854775807), id, tracking,
     category, status, unit, muhtarlik, resolution_due, received_at, lon, lat)
    WHERE lon IS NOT NULL AND lat IS NOT NULL;

CREATE VIRTUAL TABLE request_places USING rtree (place_id, west, east, south, north);

INSERT INTO request_places (place_id, west, east, south, north)
    SELECT place, lon, lon, lat, lat FROM requests WHERE place IS NOT NULL;

CREATE TRIGGER requests_place_insert AFTER INSERT ON requests
    WHEN new.place IS NOT NULL AND new.lon IS NOT NULL AND new.lat IS NOT NULL BEGIN
    INSERT INTO request_places (place_id, west, east, south, north)
        VALUES (new.place, new.lon, new.lon, new.lat, new.lat);
END;

CREATE TRIGGER requests_place_update AFTER UPDATE OF lon, lat, place ON requests
    WHEN old.lon IS NOT new.lon OR old.lat IS NOT new.lat OR old.place IS NOT new.place BEGIN
    DELETE FROM request_places WHERE place_id = old.place;
    INSERT INTO request_places (place_id, west, east, south, north)
        SELECT new.place, new.lon, new.lon, new.lat, new.lat
        WHERE new.place IS NOT NULL AND new.lon IS NOT NULL AND new.lat IS NOT NULL;
END;

CREATE TRIGGER requests_place_delete AFTER DELETE ON requests
    WHEN old.place IS NOT NULL BEGIN
    DELETE FROM request_places WHERE place_id = old.place;
END;

-- muhtar:record (everything above this line is checksummed)
INSERT INTO schema_migrations (version, name, checksum, applied_at)
VALUES (12, 'map', '222a39e4317df31cb81cb36c55c2b8ba3fa7585814c4e24c9dfa60c8be91151d', strftime('%Y-%m-%dT%H:%M:%fZ', 'now'));
