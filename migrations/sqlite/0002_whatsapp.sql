-- WhatsApp channel: business numbers, the contacts and conversations that webhooks
-- create, messages in both directions, the raw webhook log, and account/template events
-- kept for the template issue. Same conventions as 0001 (see its header).

CREATE TABLE wa_numbers (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    display_name TEXT NOT NULL,
    phone_number_id TEXT NOT NULL,
    waba_id TEXT NOT NULL,
    display_phone_number TEXT,
    verified_name TEXT,
    quality_rating TEXT,
    access_token_enc TEXT NOT NULL,
    system_prompt TEXT NOT NULL DEFAULT '',
    is_sandbox BIGINT NOT NULL DEFAULT 0,
    active BIGINT NOT NULL DEFAULT 1,
    inactive_reason TEXT,
    created_at BIGINT NOT NULL,
    CONSTRAINT wa_numbers_phone_number_id_key UNIQUE (phone_number_id)
);
CREATE INDEX wa_numbers_org_idx ON wa_numbers (org_id);

CREATE TABLE contacts (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    phone TEXT,
    wa_id TEXT,
    wa_user_id TEXT,
    name TEXT,
    profile_name TEXT,
    username TEXT,
    source TEXT NOT NULL DEFAULT 'whatsapp',
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX contacts_org_phone_key ON contacts (org_id, phone);
CREATE UNIQUE INDEX contacts_org_wa_user_key ON contacts (org_id, wa_user_id);

CREATE TABLE conversations (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    number_id TEXT NOT NULL REFERENCES wa_numbers (id) ON DELETE CASCADE,
    contact_id TEXT NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
    status TEXT NOT NULL DEFAULT 'open',
    last_message_at BIGINT,
    last_inbound_at BIGINT,
    window_expires_at BIGINT,
    unread_count BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    CONSTRAINT conversations_number_contact_key UNIQUE (number_id, contact_id)
);
CREATE INDEX conversations_org_last_idx ON conversations (org_id, last_message_at);
CREATE INDEX conversations_contact_idx ON conversations (contact_id);

CREATE TABLE messages (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    conversation_id TEXT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    number_id TEXT NOT NULL REFERENCES wa_numbers (id) ON DELETE CASCADE,
    direction TEXT NOT NULL,
    type TEXT NOT NULL,
    text TEXT,
    content TEXT NOT NULL DEFAULT '{}',
    wa_message_id TEXT,
    status TEXT NOT NULL,
    error_code BIGINT,
    error_title TEXT,
    wa_timestamp BIGINT,
    status_updated_at BIGINT,
    created_at BIGINT NOT NULL,
    CONSTRAINT messages_number_wamid_key UNIQUE (number_id, wa_message_id)
);
CREATE INDEX messages_conversation_idx ON messages (conversation_id, created_at);

CREATE TABLE webhook_events (
    id TEXT PRIMARY KEY,
    received_at BIGINT NOT NULL,
    outcome TEXT NOT NULL,
    detail TEXT,
    body TEXT NOT NULL
);
CREATE INDEX webhook_events_received_idx ON webhook_events (received_at);

CREATE TABLE wa_account_events (
    id TEXT PRIMARY KEY,
    waba_id TEXT NOT NULL,
    field TEXT NOT NULL,
    entry_time BIGINT,
    payload TEXT NOT NULL,
    dedupe_key TEXT NOT NULL,
    received_at BIGINT NOT NULL,
    CONSTRAINT wa_account_events_dedupe_key UNIQUE (dedupe_key)
);
CREATE INDEX wa_account_events_waba_idx ON wa_account_events (waba_id, field);
