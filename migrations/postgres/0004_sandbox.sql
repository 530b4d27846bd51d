-- The sandbox channel: the simulated customers' phones (what they received from a sandbox
-- number and what they sent), and how the simulator should misbehave (tests and demos).

CREATE TABLE sandbox_messages (
    id TEXT PRIMARY KEY,
    number_id TEXT NOT NULL REFERENCES wa_numbers (id) ON DELETE CASCADE,
    customer TEXT NOT NULL,
    direction TEXT NOT NULL,
    wa_message_id TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX sandbox_messages_customer_idx ON sandbox_messages (number_id, customer, created_at);

CREATE TABLE sandbox_behaviour (
    number_id TEXT PRIMARY KEY REFERENCES wa_numbers (id) ON DELETE CASCADE,
    fail_code BIGINT,
    duplicate_webhooks BIGINT NOT NULL DEFAULT 0,
    reorder_webhooks BIGINT NOT NULL DEFAULT 0,
    drop_delivered BIGINT NOT NULL DEFAULT 0,
    drop_all_statuses BIGINT NOT NULL DEFAULT 0
);

-- One sandbox number per org, even when two requests create it at the same moment.
CREATE UNIQUE INDEX wa_numbers_one_sandbox_per_org ON wa_numbers (org_id) WHERE is_sandbox = 1;
