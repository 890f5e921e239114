-- Every Automerge actor id belongs to the first user who wrote with it, and to no one else.
CREATE TABLE actors (
    actor TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users(id),
    first_seen_at BIGINT NOT NULL
);

-- Login attempts per account ('u:name') and per client address ('ip:addr'), shared by every instance:
-- an attempt is reserved here before its password is checked.
CREATE TABLE login_throttle (
    throttle_key TEXT PRIMARY KEY,
    failures BIGINT NOT NULL,
    next_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
