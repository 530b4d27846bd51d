-- The durable send pipeline: database jobs (claimed with a lease), the send bookkeeping
-- on messages, the adaptive rate carried per number, and in-app notifications.

CREATE TABLE jobs (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    payload TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending',
    run_at BIGINT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    locked_until BIGINT,
    last_error TEXT,
    dedupe_key TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    CONSTRAINT jobs_dedupe_key UNIQUE (dedupe_key)
);
CREATE INDEX jobs_due_idx ON jobs (status, run_at);

ALTER TABLE messages ADD COLUMN send_payload TEXT;
ALTER TABLE messages ADD COLUMN send_attempts BIGINT NOT NULL DEFAULT 0;
ALTER TABLE messages ADD COLUMN in_flight_since BIGINT;

ALTER TABLE wa_numbers ADD COLUMN send_rate_milli BIGINT NOT NULL DEFAULT 60000;
ALTER TABLE wa_numbers ADD COLUMN rate_day TEXT;

CREATE TABLE notifications (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    title TEXT NOT NULL,
    body TEXT NOT NULL DEFAULT '',
    link TEXT,
    read_at BIGINT,
    created_at BIGINT NOT NULL
);
CREATE INDEX notifications_user_idx ON notifications (user_id, created_at);
