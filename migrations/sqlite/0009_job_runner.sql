-- The one job runner: every job belongs to an org ('' for system jobs such as pruning)
-- so the runner can share its capacity fairly between orgs; a job that keeps failing
-- ends 'dead' (kept, with its last error, for an admin to read and retry).

ALTER TABLE jobs ADD COLUMN org_id TEXT NOT NULL DEFAULT '';
UPDATE jobs SET status = 'dead' WHERE status = 'failed';
DROP INDEX jobs_due_idx;
-- The next due job of a kind, and when the next one is due.
CREATE INDEX jobs_kind_due_idx ON jobs (kind, status, run_at);
-- The next org with pending jobs of a kind after a given one (the fair rotation).
CREATE INDEX jobs_kind_org_idx ON jobs (kind, status, org_id, run_at);
-- Settings → System: an org's jobs by status.
CREATE INDEX jobs_org_status_idx ON jobs (org_id, status, kind);
