-- Checklist versions refined below the nation (issue 13): each published version's whole checklist as JSON
-- (`body`, resolved against its parent when published, so reading it needs no parent), who published it and
-- from which year it applies. The national baselines live in the binary; these are the provinces', cities'
-- and counties'. A published version is never changed: a new one is published instead.
CREATE TABLE templates (
    id TEXT NOT NULL,
    version BIGINT NOT NULL,
    publisher_level TEXT NOT NULL,
    publisher_id TEXT NOT NULL,
    parent_id TEXT NOT NULL,
    parent_version BIGINT NOT NULL,
    title_zh TEXT NOT NULL,
    body TEXT NOT NULL,
    published_at BIGINT NOT NULL,
    applies_from BIGINT NOT NULL,
    PRIMARY KEY (id, version)
);

CREATE INDEX templates_publisher ON templates (publisher_level, publisher_id);
