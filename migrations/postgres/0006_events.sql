-- The org's event log (INBOX-6): every change an open inbox must see — a new message, a
-- status, a conversation change, an assignment, a note, a notification — is written here
-- in the transaction that makes it. Browsers subscribe over SSE; the id is the SSE event
-- id, so a reconnecting browser asks for what it missed. Every instance reads the same
-- log, so events reach browsers connected to any instance.

CREATE TABLE org_events (
    id BIGSERIAL PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    conversation_id TEXT,
    -- Set when only this member may see the event (their notifications).
    user_id TEXT,
    payload TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX org_events_org_idx ON org_events (org_id, id);
CREATE INDEX org_events_created_idx ON org_events (created_at);
