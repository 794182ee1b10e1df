-- Where a run runs (issue 14 §3). A workspace is a path on one machine: each long-lived worker
-- (the app, a daemon) registers the folders it runs automations in, and takes queued runs whose
-- work area lies in one of them. `name` is the worker's machine as people know it; a run's
-- `worker` is the name and kind of the worker that drives it, kept after that worker is gone.
ALTER TABLE engine_instances ADD COLUMN name TEXT;
CREATE TABLE worker_workspaces (
    instance_id TEXT NOT NULL REFERENCES engine_instances (id) ON DELETE CASCADE,
    workspace   TEXT NOT NULL,
    PRIMARY KEY (instance_id, workspace)
);
ALTER TABLE runs ADD COLUMN worker TEXT;
-- Queued runs no worker took yet, found without reading every queued run.
CREATE INDEX runs_unclaimed ON runs (queued_at) WHERE state = 'queued' AND owner_id IS NULL;
