-- Photo evidence (issue 14). The bytes of a photo are kept once, by their SHA-256, apart from the documents:
-- `blobs` says what was uploaded, by whom and for which facility; `blob_data` holds the bytes when the
-- store is the database (PostgreSQL deployments, so every instance shares one store; a file-backed SQLite
-- keeps them in a folder beside the database file instead). `photo_refs` is derived from the inspections
-- like the summaries: which facility-year's document references which hash, for which item or problem. A
-- blob is readable by whoever may read a document referencing it, and removed only when none does.
CREATE TABLE blobs (
    hash TEXT PRIMARY KEY,
    size BIGINT NOT NULL,
    mime TEXT NOT NULL,
    facility_id TEXT NOT NULL REFERENCES facilities(id),
    uploaded_by TEXT NOT NULL,
    uploaded_at BIGINT NOT NULL
);

CREATE TABLE blob_data (
    hash TEXT PRIMARY KEY,
    data BLOB NOT NULL
);

-- Which facilities' staff uploaded a hash (each proved they hold the bytes). A document's reference opens a
-- photo to its readers only if that facility uploaded it too: a hostile device that writes a known hash into
-- its own facility's document gains nothing.
CREATE TABLE blob_owners (
    hash TEXT NOT NULL,
    facility_id TEXT NOT NULL REFERENCES facilities(id),
    PRIMARY KEY (hash, facility_id)
);

CREATE TABLE photo_refs (
    facility_id TEXT NOT NULL REFERENCES facilities(id),
    year BIGINT NOT NULL,
    photo_id TEXT NOT NULL,
    hash TEXT NOT NULL,
    subject TEXT NOT NULL,
    PRIMARY KEY (facility_id, year, photo_id)
);

-- Who may read a hash, and whether anything still references it.
CREATE INDEX photo_refs_by_hash ON photo_refs (hash, facility_id);
-- The sweep finds old unreferenced uploads without reading every blob.
CREATE INDEX blobs_by_age ON blobs (uploaded_at);
