-- The team inbox (INBOX-1…7): who a conversation is assigned to, who handles it (a person,
-- a flow or the AI), when it was resolved; notes and system lines as messages with an
-- author; auto-assignment per number; canned responses; who is online.

ALTER TABLE conversations ADD COLUMN assignee_id TEXT REFERENCES users (id) ON DELETE SET NULL;
ALTER TABLE conversations ADD COLUMN handled_by TEXT NOT NULL DEFAULT 'human';
ALTER TABLE conversations ADD COLUMN resolved_at BIGINT;
CREATE INDEX conversations_org_assignee_idx ON conversations (org_id, assignee_id, status, last_message_at);
CREATE INDEX conversations_org_status_idx ON conversations (org_id, status, last_message_at);

-- Notes (direction 'note') and system lines (direction 'system') name their author.
ALTER TABLE messages ADD COLUMN author_id TEXT;

-- 'off', 'round_robin' or 'least_busy'; the round-robin turn is kept on the number.
ALTER TABLE wa_numbers ADD COLUMN auto_assign TEXT NOT NULL DEFAULT 'off';
ALTER TABLE wa_numbers ADD COLUMN last_auto_assignee TEXT;

CREATE TABLE canned_responses (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    title TEXT NOT NULL,
    shortcut TEXT NOT NULL,
    content TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    CONSTRAINT canned_responses_shortcut_key UNIQUE (org_id, shortcut)
);

-- A member with an open inbox stream refreshes this every few seconds ("online").
CREATE TABLE member_presence (
    org_id TEXT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    last_seen_at BIGINT NOT NULL,
    PRIMARY KEY (org_id, user_id)
);
