-- The sandbox channel: what simulated customers' phones received from a sandbox number,
-- and how the simulator should misbehave (for tests and demos).

CREATE TABLE sandbox_outbox (
    id TEXT PRIMARY KEY,
    number_id TEXT NOT NULL REFERENCES wa_numbers (id) ON DELETE CASCADE,
    customer TEXT NOT NULL,
    wa_message_id TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX sandbox_outbox_customer_idx ON sandbox_outbox (number_id, customer, created_at);

CREATE TABLE sandbox_behaviour (
    number_id TEXT PRIMARY KEY REFERENCES wa_numbers (id) ON DELETE CASCADE,
    fail_code BIGINT,
    duplicate_webhooks BIGINT NOT NULL DEFAULT 0,
    reorder_webhooks BIGINT NOT NULL DEFAULT 0,
    drop_delivered BIGINT NOT NULL DEFAULT 0
);
