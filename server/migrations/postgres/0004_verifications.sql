-- The county's verdicts on problems, derived from each review: a problem carries over into later years
-- until it is rectified and verified (zhigai_shared::carry::carries_over).
CREATE TABLE verifications (
    facility_id TEXT NOT NULL REFERENCES facilities(id),
    year BIGINT NOT NULL,
    problem_id TEXT NOT NULL,
    verdict TEXT NOT NULL,
    PRIMARY KEY (facility_id, year, problem_id)
);

-- The items answered 部分符合 or 不符合 (a JSON list), for the annual report's common problems.
ALTER TABLE summaries ADD COLUMN weak_items TEXT;
