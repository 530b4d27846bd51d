-- Issue 11, items 4-6: hashed session ids that know their person and their age, TOTP
-- two-factor sign-in with recovery codes, the org's "require 2FA for admins" setting,
-- and atomic rate-limit counters.

-- Sessions are keyed by the SHA-256 of their id (a stolen table holds no usable id);
-- sessions stored before this change had raw ids and are dropped (everyone signs in again).
DROP TABLE sessions;
CREATE TABLE sessions (
    id_hash TEXT PRIMARY KEY,
    user_id TEXT REFERENCES users (id) ON DELETE CASCADE,
    data TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX sessions_expiry_idx ON sessions (expires_at);
CREATE INDEX sessions_user_idx ON sessions (user_id);

-- One TOTP secret per person, encrypted with the server's key. `confirmed_at` is NULL
-- while enrolment waits for its first code; `last_step` is the newest time step
-- accepted, so a code is never accepted twice.
CREATE TABLE user_totp (
    user_id TEXT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    secret_ciphertext TEXT NOT NULL,
    confirmed_at BIGINT,
    last_step BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL
);

-- Single-use recovery codes, stored as SHA-256 hashes.
CREATE TABLE recovery_codes (
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    code_hash TEXT NOT NULL,
    used_at BIGINT,
    PRIMARY KEY (user_id, code_hash)
);

ALTER TABLE orgs ADD COLUMN require_admin_2fa BIGINT NOT NULL DEFAULT 0;

-- Fixed-window counters: one row per (bucket, subject, window start), bumped in one
-- INSERT … ON CONFLICT DO UPDATE … RETURNING so parallel requests cannot both pass.
CREATE TABLE rate_limits (
    bucket TEXT NOT NULL,
    subject TEXT NOT NULL,
    window_start BIGINT NOT NULL,
    count BIGINT NOT NULL,
    PRIMARY KEY (bucket, subject, window_start)
);
CREATE INDEX rate_limits_window_idx ON rate_limits (window_start);
