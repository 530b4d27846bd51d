-- Media in and out (CHAN-4). A row per file MCE holds: uploads the business sent (with
-- Meta's media id) and inbound files, downloaded through the media API by a job. The
-- bytes live in the database so every instance can serve them (files are at most 100 MB;
-- Meta's own ids expire after 7 to 30 days, ours do not).

CREATE TABLE media (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    number_id TEXT REFERENCES wa_numbers (id) ON DELETE SET NULL,
    message_id TEXT,
    direction TEXT NOT NULL,
    wa_media_id TEXT,
    mime_type TEXT NOT NULL,
    filename TEXT,
    file_size BIGINT,
    sha256 TEXT,
    status TEXT NOT NULL,
    error TEXT,
    content BYTEA,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX media_org_idx ON media (org_id, created_at);
CREATE UNIQUE INDEX media_message_idx ON media (message_id);

-- The sandbox simulator's own media store (what "Meta" holds for sandbox numbers).
CREATE TABLE sandbox_media (
    id TEXT PRIMARY KEY,
    number_id TEXT NOT NULL REFERENCES wa_numbers (id) ON DELETE CASCADE,
    mime_type TEXT NOT NULL,
    filename TEXT,
    sha256 TEXT NOT NULL,
    file_size BIGINT NOT NULL,
    content BYTEA NOT NULL,
    created_at BIGINT NOT NULL
);
