-- Invitations, e-mail verification and password resets (issue 11, items 1-4).
-- Tokens are long random strings; only their SHA-256 is stored.

-- Accounts made before this migration count as verified; sign-up with SMTP on makes
-- unverified ones (0) until the link in the verification mail is opened.
ALTER TABLE users ADD COLUMN email_verified BIGINT NOT NULL DEFAULT 1;
CREATE INDEX users_unverified_idx ON users (email_verified, created_at);

-- An invitation to join an org with a role: single use, 7-day expiry, revocable.
CREATE TABLE invitations (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    email TEXT NOT NULL,
    role TEXT NOT NULL,
    invited_by TEXT REFERENCES users (id) ON DELETE SET NULL,
    token_hash TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    accepted_at BIGINT,
    accepted_by TEXT REFERENCES users (id) ON DELETE SET NULL,
    revoked_at BIGINT,
    CONSTRAINT invitations_token_key UNIQUE (token_hash)
);
CREATE INDEX invitations_org_idx ON invitations (org_id, created_at);

-- Single-use tokens of an account: `reset` (1 hour) and `verify` (7 days).
CREATE TABLE account_tokens (
    token_hash TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    purpose TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT
);
CREATE INDEX account_tokens_user_idx ON account_tokens (user_id, purpose);
CREATE INDEX account_tokens_expiry_idx ON account_tokens (expires_at);
