-- Contacts CRM (CRM-1…4, CRM-6) and lead ingestion (INGEST-1…5). A contact is one per
-- E.164 phone per org whichever way it arrived (CSV, webhook, sheet, WhatsApp, by hand).

ALTER TABLE contacts ADD COLUMN email TEXT;
ALTER TABLE contacts ADD COLUMN company TEXT;
ALTER TABLE contacts ADD COLUMN lead_status TEXT NOT NULL DEFAULT 'new';
ALTER TABLE contacts ADD COLUMN lifecycle_stage TEXT NOT NULL DEFAULT 'lead';
ALTER TABLE contacts ADD COLUMN score BIGINT NOT NULL DEFAULT 0;
ALTER TABLE contacts ADD COLUMN opt_in_status TEXT NOT NULL DEFAULT 'unknown';
ALTER TABLE contacts ADD COLUMN birthday TEXT;
-- Values of the org's custom fields, a JSON object keyed by field key.
ALTER TABLE contacts ADD COLUMN custom_fields TEXT NOT NULL DEFAULT '{}';
-- How the contact was created (app, api, import, webhook, sheet, whatsapp) and by which
-- member: the first line of its timeline is read from here rather than stored per contact.
ALTER TABLE contacts ADD COLUMN created_via TEXT;
ALTER TABLE contacts ADD COLUMN created_by TEXT;
-- Soft delete: the contact is in the trash and can be restored.
ALTER TABLE contacts ADD COLUMN deleted_at BIGINT;
-- What search looks in, lower-cased (SQLite's lower() folds ASCII only; the trigram
-- index below folds the rest).
ALTER TABLE contacts ADD COLUMN search_text TEXT GENERATED ALWAYS AS (
    lower(coalesce(name, '') || ' ' || coalesce(profile_name, '') || ' ' || coalesce(phone, '') || ' ' || coalesce(email, '') || ' ' || coalesce(company, ''))
) VIRTUAL;

CREATE INDEX contacts_org_created_idx ON contacts (org_id, deleted_at, created_at);

-- Substring search over 1M contacts: an FTS5 trigram index kept in step by triggers.
CREATE VIRTUAL TABLE contacts_search USING fts5 (search_text, content = 'contacts', content_rowid = 'rowid', tokenize = 'trigram');
INSERT INTO contacts_search (rowid, search_text) SELECT rowid, search_text FROM contacts;
CREATE TRIGGER contacts_search_insert AFTER INSERT ON contacts BEGIN
    INSERT INTO contacts_search (rowid, search_text) VALUES (new.rowid, new.search_text);
END;
CREATE TRIGGER contacts_search_delete AFTER DELETE ON contacts BEGIN
    INSERT INTO contacts_search (contacts_search, rowid, search_text) VALUES ('delete', old.rowid, old.search_text);
END;
CREATE TRIGGER contacts_search_update AFTER UPDATE OF name, profile_name, phone, email, company ON contacts BEGIN
    INSERT INTO contacts_search (contacts_search, rowid, search_text) VALUES ('delete', old.rowid, old.search_text);
    INSERT INTO contacts_search (rowid, search_text) VALUES (new.rowid, new.search_text);
END;

-- Coloured tags, at most 50 per org (checked by the service); names unique regardless of case.
CREATE TABLE tags (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    name_key TEXT NOT NULL,
    colour TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX tags_org_name_key ON tags (org_id, name_key);

CREATE TABLE contact_tags (
    contact_id TEXT NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
    tag_id TEXT NOT NULL REFERENCES tags (id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (contact_id, tag_id)
);
CREATE INDEX contact_tags_tag_idx ON contact_tags (tag_id, contact_id);

-- The org's custom fields (text, number, date, choice).
CREATE TABLE custom_fields (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    key TEXT NOT NULL,
    label TEXT NOT NULL,
    kind TEXT NOT NULL,
    choices TEXT NOT NULL DEFAULT '[]',
    created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX custom_fields_org_key ON custom_fields (org_id, key);

CREATE TABLE contact_notes (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    contact_id TEXT NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
    author_id TEXT,
    body TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX contact_notes_contact_idx ON contact_notes (contact_id, created_at);

-- Everything that happened to a contact (CRM-3): created (and by which source), fields
-- changed, tags, opt-in changes with who, how and evidence (CRM-6), notes, imports.
CREATE TABLE contact_activity (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    contact_id TEXT NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    detail TEXT NOT NULL,
    actor_id TEXT,
    created_at BIGINT NOT NULL
);
CREATE INDEX contact_activity_contact_idx ON contact_activity (contact_id, created_at);

-- Per-org CRM settings: lead scoring rules (JSON list), opt-out keywords (JSON list) and
-- the calling codes contacts may have (JSON list of numbers; empty = any).
ALTER TABLE orgs ADD COLUMN score_rules TEXT NOT NULL DEFAULT '[]';
ALTER TABLE orgs ADD COLUMN opt_out_keywords TEXT NOT NULL DEFAULT '["STOP","UNSUBSCRIBE"]';
ALTER TABLE orgs ADD COLUMN allowed_calling_codes TEXT NOT NULL DEFAULT '[]';

-- CSV imports: progress while running, counts and the error file afterwards.
CREATE TABLE contact_imports (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    created_by TEXT,
    filename TEXT NOT NULL,
    policy TEXT NOT NULL,
    status TEXT NOT NULL,
    total_rows BIGINT NOT NULL DEFAULT 0,
    processed_rows BIGINT NOT NULL DEFAULT 0,
    created_count BIGINT NOT NULL DEFAULT 0,
    updated_count BIGINT NOT NULL DEFAULT 0,
    skipped_count BIGINT NOT NULL DEFAULT 0,
    failed_count BIGINT NOT NULL DEFAULT 0,
    -- The file's header row (JSON list) and the chosen column mapping.
    headers TEXT NOT NULL DEFAULT '[]',
    mapping TEXT NOT NULL DEFAULT '[]',
    -- A running import is leased to one instance; an expired lease means it stopped
    -- and another instance resumes it after processed_rows.
    locked_until BIGINT,
    message TEXT,
    created_at BIGINT NOT NULL,
    finished_at BIGINT
);

-- The uploaded files, apart from the progress counters that change every batch (a
-- 50 MB value in the same row would be rewritten with each of them on SQLite).
CREATE TABLE contact_import_files (
    import_id TEXT PRIMARY KEY REFERENCES contact_imports (id) ON DELETE CASCADE,
    content BLOB NOT NULL
);

-- Rows an import could not store, with the reason (the downloadable error file).
CREATE TABLE contact_import_errors (
    import_id TEXT NOT NULL REFERENCES contact_imports (id) ON DELETE CASCADE,
    line BIGINT NOT NULL,
    row_values TEXT NOT NULL,
    message TEXT NOT NULL,
    PRIMARY KEY (import_id, line)
);
CREATE INDEX contact_imports_org_idx ON contact_imports (org_id, created_at);

-- Lead sources: form/ad webhooks (`POST /api/hooks/{source_key}`) and Google Sheets.
CREATE TABLE lead_sources (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    source_key TEXT NOT NULL,
    -- Payload field → contact field, a JSON object.
    mapping TEXT NOT NULL DEFAULT '{}',
    -- Sheets: spreadsheet id, range, published-CSV URL; the API key is encrypted.
    config TEXT NOT NULL DEFAULT '{}',
    secret_ciphertext TEXT,
    poll_minutes BIGINT NOT NULL DEFAULT 5,
    next_poll_at BIGINT,
    last_success_at BIGINT,
    last_error TEXT,
    leads_count BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX lead_sources_key ON lead_sources (source_key);
CREATE INDEX lead_sources_org_idx ON lead_sources (org_id);

-- Sheet rows already turned into leads, by the row's identity (its phone), so a row
-- becomes a lead exactly once however the sheet is edited or rows are inserted above.
CREATE TABLE lead_source_rows (
    source_id TEXT NOT NULL REFERENCES lead_sources (id) ON DELETE CASCADE,
    row_key TEXT NOT NULL,
    contact_id TEXT,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (source_id, row_key)
);
