-- Reports read an org's messages by time (DASH): messages over time, and later the
-- campaign funnels. Without this they would scan every org's messages.
CREATE INDEX messages_org_created_idx ON messages (org_id, created_at);
