-- The inbox: finished runs the user has not looked at yet.
ALTER TABLE runs ADD COLUMN seen_at INTEGER;
CREATE INDEX runs_unseen ON runs (id) WHERE seen_at IS NULL;
