-- The county's exports list each problem's improvement measure.
ALTER TABLE problems ADD COLUMN measure TEXT NOT NULL DEFAULT '';
