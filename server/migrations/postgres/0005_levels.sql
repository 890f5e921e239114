-- Directory levels and two-step review (issue 12). PostgreSQL flavour; the flavours differ here: SQLite
-- rebuilds `users`, PostgreSQL alters it in place.
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

ALTER TABLE counties ADD COLUMN city_id TEXT REFERENCES cities(id);
ALTER TABLE counties ADD COLUMN kind TEXT NOT NULL DEFAULT 'county';
ALTER TABLE counties ADD COLUMN two_step BIGINT NOT NULL DEFAULT 0;
CREATE INDEX counties_city ON counties(city_id);

ALTER TABLE communities ADD COLUMN lead_facility_id TEXT REFERENCES facilities(id);
ALTER TABLE facilities ADD COLUMN guided_by TEXT REFERENCES facilities(id);
CREATE INDEX facilities_community ON facilities(community_id);
CREATE INDEX facilities_guided ON facilities(guided_by);

ALTER TABLE users ADD COLUMN scope_level TEXT;
ALTER TABLE users ADD COLUMN scope_id TEXT;
UPDATE users SET
    scope_level = CASE WHEN role IN ('member', 'head') AND facility_id IS NOT NULL THEN 'facility' ELSE 'county' END,
    scope_id = CASE WHEN role IN ('member', 'head') AND facility_id IS NOT NULL THEN facility_id ELSE county_id END;
ALTER TABLE users ALTER COLUMN scope_level SET NOT NULL;
ALTER TABLE users ALTER COLUMN scope_id SET NOT NULL;
ALTER TABLE users DROP COLUMN county_id;
ALTER TABLE users DROP COLUMN facility_id;
CREATE INDEX users_scope ON users(scope_level, scope_id);

CREATE TABLE document_ids (
    doc_id TEXT PRIMARY KEY,
    facility_id TEXT NOT NULL REFERENCES facilities(id),
    kind TEXT NOT NULL,
    year BIGINT NOT NULL
);
CREATE INDEX document_ids_year ON document_ids(year, facility_id);

CREATE TABLE weak_items (
    facility_id TEXT NOT NULL REFERENCES facilities(id),
    year BIGINT NOT NULL,
    item_id TEXT NOT NULL,
    PRIMARY KEY (facility_id, year, item_id)
);
CREATE INDEX weak_items_year ON weak_items(year, item_id);
INSERT INTO weak_items (facility_id, year, item_id)
SELECT s.facility_id, s.year, j.value FROM summaries s CROSS JOIN LATERAL jsonb_array_elements_text(s.weak_items::jsonb) AS j(value)
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
SELECT s.facility_id, (SELECT f.county_id FROM facilities f WHERE f.id = s.facility_id), s.year, j->>'area', (j->>'applicable')::BIGINT, (j->>'answered')::BIGINT,
    (j->>'compliant')::BIGINT, (j->>'partial')::BIGINT, (j->>'non_compliant')::BIGINT, (j->>'not_applicable')::BIGINT
FROM summaries s CROSS JOIN LATERAL jsonb_array_elements(s.areas::jsonb) AS j;
