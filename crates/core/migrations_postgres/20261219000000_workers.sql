-- As SQLite's migration of the same name: the folders each worker serves, its name, and which
-- worker drives a run.
ALTER TABLE engine_instances ADD COLUMN name TEXT;
CREATE TABLE worker_workspaces (
    instance_id TEXT NOT NULL REFERENCES engine_instances (id) ON DELETE CASCADE,
    workspace   TEXT NOT NULL,
    PRIMARY KEY (instance_id, workspace)
);
ALTER TABLE runs ADD COLUMN worker TEXT;
CREATE INDEX runs_unclaimed ON runs (queued_at) WHERE state = 'queued' AND owner_id IS NULL;
