-- Which checklist version each facility-year uses (issue 13), decided by the server the first time it is
-- needed (a login that lists the year, the year's document opened or first written) and never changed after:
-- the newest version of the facility's nearest province, city or county that applies from that year, else
-- the national baseline. A document synced before pins existed pins the version it started on.
CREATE TABLE template_pins (
    facility_id TEXT NOT NULL REFERENCES facilities(id),
    year BIGINT NOT NULL,
    template_id TEXT NOT NULL,
    template_version BIGINT NOT NULL,
    PRIMARY KEY (facility_id, year)
);
