-- no-transaction
-- Directory levels and two-step review (issue 12). SQLite flavour; the flavours differ here: SQLite cannot
-- drop a column's NOT NULL, so `users` is rebuilt (with foreign keys off, in one transaction of its own,
-- as SQLite's ALTER TABLE documentation prescribes); PostgreSQL alters it in place.
PRAGMA foreign_keys = OFF;
BEGIN;

CREATE TABLE provinces (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL
);

CREATE TABLE cities (
    id TEXT PRIMARY KEY,
    province_id TEXT NOT NULL REFERENCES provinces(id),
    name TEXT NOT NULL
);
CREATE INDEX cities_province ON cities(province_id);

-- A county or urban district (kind), its city, and whether it reviews in two steps.
ALTER TABLE counties ADD COLUMN city_id TEXT REFERENCES cities(id);
ALTER TABLE counties ADD COLUMN kind TEXT NOT NULL DEFAULT 'county';
ALTER TABLE counties ADD COLUMN two_step BIGINT NOT NULL DEFAULT 0;
CREATE INDEX counties_city ON counties(city_id);

-- The lead hospital as a real facility; a village clinic's guiding township or community centre.
ALTER TABLE communities ADD COLUMN lead_facility_id TEXT REFERENCES facilities(id);
ALTER TABLE facilities ADD COLUMN guided_by TEXT REFERENCES facilities(id);
CREATE INDEX facilities_community ON facilities(community_id);
CREATE INDEX facilities_guided ON facilities(guided_by);

-- A user belongs to one place at one level (facility, community, county, city, province).
CREATE TABLE users_new (
    id TEXT PRIMARY KEY,
    username TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL,
    scope_level TEXT NOT NULL,
    scope_id TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
INSERT INTO users_new (id, username, display_name, password_hash, role, scope_level, scope_id, created_at)
SELECT id, username, display_name, password_hash, role,
    CASE WHEN role IN ('member', 'head') AND facility_id IS NOT NULL THEN 'facility' ELSE 'county' END,
    CASE WHEN role IN ('member', 'head') AND facility_id IS NOT NULL THEN facility_id ELSE county_id END,
    created_at
FROM users;
DROP TABLE users;
ALTER TABLE users_new RENAME TO users;
CREATE INDEX users_scope ON users(scope_level, scope_id);

-- Every document id a facility has (derived from kind, facility and year), so the sync server finds the
-- facility of a document by one indexed lookup instead of loading a user's whole scope.
CREATE TABLE document_ids (
    doc_id TEXT PRIMARY KEY,
    facility_id TEXT NOT NULL REFERENCES facilities(id),
    kind TEXT NOT NULL,
    year BIGINT NOT NULL
);
CREATE INDEX document_ids_year ON document_ids(year, facility_id);

-- The items a facility answered 部分符合 or 不符合, one row each: common problems (共性问题) at every level
-- are a GROUP BY over these.
CREATE TABLE weak_items (
    facility_id TEXT NOT NULL REFERENCES facilities(id),
    year BIGINT NOT NULL,
    item_id TEXT NOT NULL,
    PRIMARY KEY (facility_id, year, item_id)
);
CREATE INDEX weak_items_year ON weak_items(year, item_id);
INSERT INTO weak_items (facility_id, year, item_id)
SELECT s.facility_id, s.year, j.value FROM summaries s, json_each(s.weak_items) j
WHERE s.weak_items IS NOT NULL;

-- Per area counts of each facility-year, one row per area: compliance across counties and cities is a
-- GROUP BY over these (the summaries' JSON stays for the facility rows). The facility's county is kept on
-- each row, so a province's compliance per county and area reads one covering index in order.
CREATE TABLE area_counts (
    facility_id TEXT NOT NULL REFERENCES facilities(id),
    county_id TEXT NOT NULL REFERENCES counties(id),
    year BIGINT NOT NULL,
    area TEXT NOT NULL,
    applicable BIGINT NOT NULL,
    answered BIGINT NOT NULL,
    compliant BIGINT NOT NULL,
    partial BIGINT NOT NULL,
    non_compliant BIGINT NOT NULL,
    not_applicable BIGINT NOT NULL,
    PRIMARY KEY (facility_id, year, area)
);
CREATE INDEX area_counts_county ON area_counts(year, county_id, area, compliant, answered, not_applicable);
INSERT INTO area_counts
SELECT s.facility_id, (SELECT f.county_id FROM facilities f WHERE f.id = s.facility_id), s.year,
    json_extract(j.value, '$.area'), json_extract(j.value, '$.applicable'),
    json_extract(j.value, '$.answered'), json_extract(j.value, '$.compliant'), json_extract(j.value, '$.partial'),
    json_extract(j.value, '$.non_compliant'), json_extract(j.value, '$.not_applicable')
FROM summaries s, json_each(s.areas) j;

COMMIT;
PRAGMA foreign_keys = ON;
