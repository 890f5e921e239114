-- Findings from checks (核查, issue 12): what reviewers found, derived from the reviews, and what the facility
-- set on them (measure, owner, status), derived from the inspections. Every list of problems reads them beside
-- the facility's own problems (`problem_union!` in server/src/db/sql.rs: a view here would be materialised
-- whole by SQLite on every query).
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
