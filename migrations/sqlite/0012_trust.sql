-- Issue 11 (trust): lead sources that require a signed body, API keys with a role and
-- an optional expiry.
ALTER TABLE lead_sources ADD COLUMN require_signature BIGINT NOT NULL DEFAULT 0;
-- The HMAC secret of `X-MCE-Signature`, sealed to its row (secrets::Cipher::seal).
ALTER TABLE lead_sources ADD COLUMN signing_secret_enc TEXT;
ALTER TABLE api_keys ADD COLUMN role TEXT NOT NULL DEFAULT 'admin';
ALTER TABLE api_keys ADD COLUMN expires_at BIGINT;
ALTER TABLE api_keys ADD COLUMN created_by TEXT;
