-- Which checklist version each facility-year uses (issue 13), decided by the server the first time it is
-- needed (a login that lists the year, the year's document opened or first written) and never changed after:
-- the newest version of the facility's nearest province, city or county that applies from that year, else
-- the national baseline. A document synced before pins existed pins the version it started on.
CREATE TABLE template_pins (
    facility_id TEXT NOT NULL REFERENCES facilities(id),
    county_id TEXT NOT NULL,
    year BIGINT NOT NULL,
    template_id TEXT NOT NULL,
    template_version BIGINT NOT NULL,
    PRIMARY KEY (facility_id, year)
);

-- Which versions a county, city or province uses: read by county from one covering index.
CREATE INDEX template_pins_by_county ON template_pins (county_id, year, template_id, template_version);
