-- The run queue. Settings every process sharing the database obeys (the queue limits, as
-- JSON under a key), and the queued runs in start order: a person's Run now first, then by
-- the time they were queued.
CREATE TABLE engine_settings (
    key   TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL
);

CREATE INDEX runs_queued ON runs ((trigger <> 'manual'), queued_at, id) WHERE state = 'queued';
