-- Findings from checks (核查, issue 12): what reviewers found, derived from the reviews, and what the facility
-- set on them (measure, owner, status), derived from the inspections. Every list of problems reads them with
-- the facility's own problems through the view `all_problems` (found_by: the level, or NULL for its own).
CREATE TABLE findings (
    facility_id TEXT NOT NULL REFERENCES facilities(id),
    year BIGINT NOT NULL,
    finding_id TEXT NOT NULL,
    item_id TEXT,
    description TEXT NOT NULL,
    deadline TEXT,
    level TEXT NOT NULL,
    PRIMARY KEY (facility_id, year, finding_id)
);

CREATE TABLE finding_responses (
    facility_id TEXT NOT NULL REFERENCES facilities(id),
    year BIGINT NOT NULL,
    finding_id TEXT NOT NULL,
    owner_name TEXT,
    status TEXT NOT NULL,
    measure TEXT NOT NULL,
    PRIMARY KEY (facility_id, year, finding_id)
);

CREATE VIEW all_problems AS
SELECT facility_id, year, problem_id, item_id, description, owner_name, deadline, status, measure,
    CAST(NULL AS TEXT) AS found_by
FROM problems
UNION ALL
SELECT f.facility_id, f.year, f.finding_id, f.item_id, f.description, r.owner_name, f.deadline,
    COALESCE(r.status, 'open'), COALESCE(r.measure, ''), f.level
FROM findings f LEFT JOIN finding_responses r
    ON r.facility_id = f.facility_id AND r.year = f.year AND r.finding_id = f.finding_id;
