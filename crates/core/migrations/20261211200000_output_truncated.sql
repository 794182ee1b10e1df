-- Runs gain the error code `output_truncated` (the model stopped at its output limit with
-- nothing usable). SQLite cannot change a CHECK, so `runs` is rebuilt. sqlx runs a
-- migration in a transaction with foreign keys on, where they cannot be switched off: the
-- checks are deferred instead, the rows come back under the same ids before the commit,
-- and run_changes (which would cascade away with its runs) is kept aside and put back.
PRAGMA defer_foreign_keys = ON;

CREATE TEMP TABLE runs_kept AS SELECT * FROM runs;
CREATE TEMP TABLE run_changes_kept AS SELECT * FROM run_changes;

DROP TABLE runs;

CREATE TABLE runs (
    id                  TEXT PRIMARY KEY NOT NULL,
    automation_id       TEXT NOT NULL REFERENCES automations (id),
    definition_revision INTEGER NOT NULL,
    revision            INTEGER NOT NULL CHECK (revision >= 1),
    trigger             TEXT NOT NULL CHECK (trigger IN ('manual', 'schedule', 'catch_up')),
    attendance          TEXT NOT NULL CHECK (attendance IN ('attended', 'unattended')),
    writer_key          TEXT NOT NULL,
    state               TEXT NOT NULL CHECK (state IN ('queued', 'running', 'awaiting_input', 'succeeded', 'failed', 'stopped')),
    blocker_id          TEXT,
    blocker             TEXT, -- JSON, opaque to queries except through blocker_id
    result              TEXT,
    error_code          TEXT CHECK (error_code IN ('execution_failed', 'step_cap', 'loop_gate', 'timeout', 'budget_cap', 'provider_error', 'needs_user_input', 'output_truncated')),
    error_message       TEXT,
    stop_reason         TEXT CHECK (stop_reason IN ('writer_busy', 'cancelled', 'deleted', 'missed_schedule', 'expired', 'blocker_lost')),
    session_id          TEXT,
    cost_usd            REAL NOT NULL DEFAULT 0 CHECK (cost_usd >= 0),
    tokens_in           INTEGER NOT NULL DEFAULT 0 CHECK (tokens_in >= 0),
    tokens_out          INTEGER NOT NULL DEFAULT 0 CHECK (tokens_out >= 0),
    steps               INTEGER NOT NULL DEFAULT 0 CHECK (steps >= 0),
    queued_at           INTEGER NOT NULL,
    started_at          INTEGER,
    finished_at         INTEGER,
    owner_id            TEXT, -- engine instance driving the run; NULL once terminal
    seen_at             INTEGER,
    busy_holder_id      TEXT,
    CHECK ((state = 'awaiting_input') = (blocker IS NOT NULL AND blocker_id IS NOT NULL)),
    CHECK ((state = 'succeeded') = (result IS NOT NULL)),
    CHECK ((state = 'failed') = (error_code IS NOT NULL AND error_message IS NOT NULL)),
    CHECK ((state = 'stopped') = (stop_reason IS NOT NULL)),
    CHECK ((state IN ('succeeded', 'failed', 'stopped')) = (finished_at IS NOT NULL)),
    CHECK ((state IN ('running', 'awaiting_input', 'succeeded')) <= (started_at IS NOT NULL)),
    CHECK (started_at IS NULL OR started_at >= queued_at),
    CHECK (finished_at IS NULL OR finished_at >= COALESCE(started_at, queued_at))
);

INSERT INTO runs SELECT * FROM runs_kept;
INSERT INTO run_changes SELECT * FROM run_changes_kept;
DROP TABLE runs_kept;
DROP TABLE run_changes_kept;

CREATE UNIQUE INDEX runs_one_writer_per_work_area ON runs (writer_key)
    WHERE state IN ('running', 'awaiting_input');
CREATE INDEX runs_by_automation ON runs (automation_id, id);
CREATE INDEX runs_active_by_owner ON runs (owner_id)
    WHERE state IN ('queued', 'running', 'awaiting_input');
CREATE UNIQUE INDEX runs_by_blocker ON runs (blocker_id) WHERE blocker_id IS NOT NULL;
CREATE INDEX runs_unseen ON runs (id) WHERE seen_at IS NULL;
CREATE INDEX runs_by_automation_state ON runs (automation_id, state, id);
