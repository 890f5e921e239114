-- Indicator figures (issue 13): each facility-year's figures, derived from its inspection like the other
-- summary columns. `summaries.figures` (JSON, template order) feeds the county's facility rows and exports;
-- `item_figures` lets every level aggregate one indicator across its facilities in SQL. Rows written before
-- this migration gain their figures at their inspection's next change.
ALTER TABLE summaries ADD COLUMN figures TEXT NOT NULL DEFAULT '[]';

CREATE TABLE item_figures (
    facility_id TEXT NOT NULL REFERENCES facilities(id),
    county_id TEXT NOT NULL,
    year BIGINT NOT NULL,
    item_id TEXT NOT NULL,
    value DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (facility_id, year, item_id)
);

-- A county, city or province aggregates by the county kept on each row, read in order from one covering
-- index (as `area_counts`), not by joining its facilities.
CREATE INDEX item_figures_by_county ON item_figures (county_id, year, item_id, value);
