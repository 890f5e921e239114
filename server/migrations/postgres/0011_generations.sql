-- Several instances on one database (issue 15). A document's snapshot is replaced by compaction; each
-- replacement raises `generation`, and an instance replaces it only if the snapshot is still the one it has
-- merged (compare and swap), so an instance that has not yet read another's compaction can never overwrite
-- changes it does not hold.
ALTER TABLE documents ADD COLUMN generation BIGINT NOT NULL DEFAULT 0;
