-- zhigai schema, PostgreSQL flavour (keep in step with ../sqlite/0001_init.sql).
CREATE TABLE counties (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL
);

CREATE TABLE communities (
    id TEXT PRIMARY KEY,
    county_id TEXT NOT NULL REFERENCES counties(id),
    name TEXT NOT NULL,
    lead_hospital TEXT NOT NULL
);

CREATE TABLE facilities (
    id TEXT PRIMARY KEY,
    county_id TEXT NOT NULL REFERENCES counties(id),
    community_id TEXT REFERENCES communities(id),
    name TEXT NOT NULL,
    facility_type TEXT NOT NULL,
    open_beds BIGINT NOT NULL,
    services TEXT NOT NULL
);
CREATE INDEX facilities_county ON facilities(county_id);

CREATE TABLE users (
    id TEXT PRIMARY KEY,
    username TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL,
    county_id TEXT NOT NULL REFERENCES counties(id),
    facility_id TEXT REFERENCES facilities(id),
    created_at BIGINT NOT NULL
);

CREATE TABLE sessions (
    id TEXT PRIMARY KEY,
    token_hash TEXT NOT NULL UNIQUE,
    user_id TEXT NOT NULL REFERENCES users(id),
    created_at BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    revoked_at BIGINT,
    device TEXT NOT NULL
);
CREATE INDEX sessions_user ON sessions(user_id);

CREATE TABLE sync_tickets (
    ticket_hash TEXT PRIMARY KEY,
    session_id TEXT NOT NULL REFERENCES sessions(id),
    user_id TEXT NOT NULL REFERENCES users(id),
    expires_at BIGINT NOT NULL,
    used_at BIGINT
);

CREATE TABLE documents (
    doc_id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    facility_id TEXT NOT NULL REFERENCES facilities(id),
    year BIGINT NOT NULL,
    snapshot BYTEA NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE doc_chunks (
    id BIGSERIAL PRIMARY KEY,
    doc_id TEXT NOT NULL REFERENCES documents(doc_id),
    data BYTEA NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX doc_chunks_doc ON doc_chunks(doc_id, id);

CREATE TABLE summaries (
    facility_id TEXT NOT NULL REFERENCES facilities(id),
    year BIGINT NOT NULL,
    applicable BIGINT NOT NULL DEFAULT 0,
    answered BIGINT NOT NULL DEFAULT 0,
    areas TEXT NOT NULL DEFAULT '[]',
    open_problems BIGINT NOT NULL DEFAULT 0,
    submitted BIGINT NOT NULL DEFAULT 0,
    review_state TEXT NOT NULL DEFAULT 'not_submitted',
    last_edit_at BIGINT,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (facility_id, year)
);

CREATE TABLE problems (
    facility_id TEXT NOT NULL REFERENCES facilities(id),
    year BIGINT NOT NULL,
    problem_id TEXT NOT NULL,
    item_id TEXT,
    description TEXT NOT NULL,
    owner_name TEXT,
    deadline TEXT,
    status TEXT NOT NULL,
    PRIMARY KEY (facility_id, year, problem_id)
);
