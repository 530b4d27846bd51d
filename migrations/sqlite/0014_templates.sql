-- Message templates (TPL): ours, per WhatsApp business account (the WABA of a number;
-- numbers of one WABA share its templates). `status` is Meta's, DRAFT before the first
-- submission and DELETED once gone at Meta (the row stays: history and analytics keep
-- it). `status_at` is the webhook time of the status in force, so an older event that
-- arrives late never overwrites a newer one.
CREATE TABLE templates (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    number_id TEXT NOT NULL REFERENCES wa_numbers (id) ON DELETE CASCADE,
    waba_id TEXT NOT NULL,
    wa_template_id TEXT,
    name TEXT NOT NULL,
    language TEXT NOT NULL,
    category TEXT NOT NULL,
    status TEXT NOT NULL,
    quality TEXT NOT NULL DEFAULT 'UNKNOWN',
    quarantined BIGINT NOT NULL DEFAULT 0,
    reason TEXT,
    rejection_info TEXT,
    correct_category TEXT,
    category_change_at BIGINT,
    parameter_format TEXT NOT NULL DEFAULT 'positional',
    components TEXT NOT NULL DEFAULT '[]',
    status_at BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX templates_waba_name_language_key ON templates (org_id, waba_id, name, language);
CREATE INDEX templates_org_updated_idx ON templates (org_id, updated_at);
CREATE INDEX templates_wa_id_idx ON templates (wa_template_id);

-- Every change of a template, newest last: status, category, quality, components,
-- quarantine, edits (which Meta limits per day and month).
CREATE TABLE template_history (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    template_id TEXT NOT NULL REFERENCES templates (id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    detail TEXT NOT NULL DEFAULT '{}',
    actor_user_id TEXT,
    at BIGINT NOT NULL
);
CREATE INDEX template_history_template_idx ON template_history (template_id, at);

-- The org's policy: which categories campaigns and flows may send.
ALTER TABLE orgs ADD COLUMN campaign_categories TEXT NOT NULL DEFAULT '["MARKETING","UTILITY"]';

-- Which template a message sent (per-template analytics).
ALTER TABLE messages ADD COLUMN template_id TEXT;
CREATE INDEX messages_template_idx ON messages (template_id, created_at);

-- The sandbox simulator's side: "Meta's" templates of each sandbox WABA, and how it
-- reviews the next submission.
CREATE TABLE sandbox_templates (
    id TEXT PRIMARY KEY,
    waba_id TEXT NOT NULL,
    name TEXT NOT NULL,
    language TEXT NOT NULL,
    category TEXT NOT NULL,
    status TEXT NOT NULL,
    quality TEXT NOT NULL DEFAULT 'UNKNOWN',
    parameter_format TEXT NOT NULL DEFAULT 'POSITIONAL',
    components TEXT NOT NULL DEFAULT '[]',
    created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX sandbox_templates_key ON sandbox_templates (waba_id, name, language);

CREATE TABLE sandbox_review (
    waba_id TEXT PRIMARY KEY,
    next_outcome TEXT NOT NULL DEFAULT 'approve',
    reason TEXT
);
