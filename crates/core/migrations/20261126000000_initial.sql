-- The run ledger's contract on disk. Timestamps are INTEGER milliseconds since the Unix epoch (UTC).

CREATE TABLE automations (
    id                 TEXT PRIMARY KEY NOT NULL,
    title              TEXT NOT NULL,
    prompt             TEXT NOT NULL,
    workspace          TEXT NOT NULL,
    provider_id        TEXT NOT NULL,
    model_id           TEXT NOT NULL,
    variant            TEXT CHECK (variant IN ('low', 'medium', 'high')),
    trigger_kind       TEXT NOT NULL CHECK (trigger_kind IN ('manual', 'once', 'interval', 'cron')),
    trigger_fire_at    INTEGER,
    trigger_every_ms   INTEGER CHECK (trigger_every_ms >= 30000),
    trigger_cron       TEXT,
    trigger_timezone   TEXT,
    stop_kind          TEXT NOT NULL CHECK (stop_kind IN ('never', 'after_runs', 'until')),
    stop_count         INTEGER CHECK (stop_count >= 1),
    stop_at            INTEGER,
    context            TEXT NOT NULL CHECK (context IN ('fresh', 'continue')),
    placement_kind     TEXT NOT NULL CHECK (placement_kind IN ('in_place', 'worktree')),
    worktree_name      TEXT,
    step_cap           INTEGER NOT NULL CHECK (step_cap BETWEEN 1 AND 500),
    timeout_minutes    INTEGER CHECK (timeout_minutes >= 1),
    budget_usd         REAL CHECK (budget_usd > 0),
    daily_budget_usd   REAL CHECK (daily_budget_usd > 0),
    wait_for_input_when_unattended INTEGER NOT NULL DEFAULT 0,
    paused             INTEGER NOT NULL DEFAULT 0,
    revision           INTEGER NOT NULL CHECK (revision >= 1),
    session_id         TEXT,
    created_at         INTEGER NOT NULL,
    updated_at         INTEGER NOT NULL,
    -- Deleted automations keep their row so their run history stays readable.
    deleted_at         INTEGER,
    CHECK ((trigger_kind = 'once') = (trigger_fire_at IS NOT NULL)),
    CHECK ((trigger_kind = 'interval') = (trigger_every_ms IS NOT NULL)),
    CHECK ((trigger_kind = 'cron') = (trigger_cron IS NOT NULL AND trigger_timezone IS NOT NULL)),
    CHECK ((stop_kind = 'after_runs') = (stop_count IS NOT NULL)),
    CHECK ((stop_kind = 'until') = (stop_at IS NOT NULL)),
    CHECK ((placement_kind = 'worktree') = (worktree_name IS NOT NULL))
);

CREATE TABLE permission_rules (
    automation_id TEXT NOT NULL REFERENCES automations (id) ON DELETE CASCADE,
    position      INTEGER NOT NULL,
    tool          TEXT NOT NULL,
    pattern       TEXT NOT NULL,
    action        TEXT NOT NULL CHECK (action IN ('allow', 'ask', 'deny')),
    PRIMARY KEY (automation_id, position)
);

-- One row per live engine process (app, CLI, daemon). A process renews its lease while it
-- runs; runs owned by an instance whose lease has expired belong to a dead process.
CREATE TABLE engine_instances (
    id               TEXT PRIMARY KEY NOT NULL,
    pid              INTEGER NOT NULL,
    label            TEXT NOT NULL,
    started_at       INTEGER NOT NULL,
    lease_expires_at INTEGER NOT NULL
);

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
    error_code          TEXT CHECK (error_code IN ('execution_failed', 'step_cap', 'loop_gate', 'timeout', 'budget_cap', 'provider_error', 'needs_user_input')),
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
    CHECK ((state = 'awaiting_input') = (blocker IS NOT NULL AND blocker_id IS NOT NULL)),
    CHECK ((state = 'succeeded') = (result IS NOT NULL)),
    CHECK ((state = 'failed') = (error_code IS NOT NULL AND error_message IS NOT NULL)),
    CHECK ((state = 'stopped') = (stop_reason IS NOT NULL)),
    CHECK ((state IN ('succeeded', 'failed', 'stopped')) = (finished_at IS NOT NULL)),
    CHECK ((state IN ('running', 'awaiting_input', 'succeeded')) <= (started_at IS NOT NULL)),
    CHECK (started_at IS NULL OR started_at >= queued_at),
    CHECK (finished_at IS NULL OR finished_at >= COALESCE(started_at, queued_at))
);

-- One writer per work area, across every process sharing this file.
CREATE UNIQUE INDEX runs_one_writer_per_work_area ON runs (writer_key)
    WHERE state IN ('running', 'awaiting_input');
CREATE INDEX runs_by_automation ON runs (automation_id, id);
CREATE INDEX runs_active_by_owner ON runs (owner_id)
    WHERE state IN ('queued', 'running', 'awaiting_input');
CREATE UNIQUE INDEX runs_by_blocker ON runs (blocker_id) WHERE blocker_id IS NOT NULL;

-- Answers to blockers, written by whichever process the user answered in; the run's owner
-- reads them when the run resumes.
CREATE TABLE blocker_replies (
    blocker_id TEXT PRIMARY KEY NOT NULL,
    run_id     TEXT NOT NULL REFERENCES runs (id),
    reply      TEXT NOT NULL, -- JSON
    replied_at INTEGER NOT NULL
);

-- The event outbox: every change is appended in the transaction that makes it, so other
-- processes (the CLI's `events`, the app watching a daemon) can follow it.
CREATE TABLE events (
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,
    origin     TEXT NOT NULL,
    kind       TEXT NOT NULL,
    subject_id TEXT NOT NULL,
    payload    TEXT NOT NULL, -- JSON
    created_at INTEGER NOT NULL
);
CREATE INDEX events_by_time ON events (created_at);
