-- The team database's schema (issue 14): the same tables, columns, constraints, indexes and
-- listing-version triggers as every SQLite migration in ../migrations up to
-- 20261216000000_superseded_review.sql, written for a fresh PostgreSQL database. README.md
-- beside this file says how the two stay equal and why the types differ where they do.
--
-- Types: timestamps are BIGINT milliseconds since the Unix epoch (UTC), as on SQLite, so
-- the engine's row structs decode both; every SQLite INTEGER is BIGINT (sqlx's PostgreSQL
-- driver refuses to decode INT4 into the i64 the code reads), except the flags the engine
-- reads and writes as Rust `bool`, which are BOOLEAN; REAL is DOUBLE PRECISION; JSON stays
-- TEXT (see README.md).

CREATE TABLE automations (
    id                 TEXT PRIMARY KEY NOT NULL,
    title              TEXT NOT NULL,
    prompt             TEXT NOT NULL,
    workspace          TEXT NOT NULL,
    provider_id        TEXT NOT NULL,
    model_id           TEXT NOT NULL,
    variant            TEXT CHECK (variant IN ('low', 'medium', 'high')),
    trigger_kind       TEXT NOT NULL CHECK (trigger_kind IN ('manual', 'once', 'interval', 'cron')),
    trigger_fire_at    BIGINT,
    trigger_every_ms   BIGINT CHECK (trigger_every_ms >= 30000),
    trigger_cron       TEXT,
    trigger_timezone   TEXT,
    stop_kind          TEXT NOT NULL CHECK (stop_kind IN ('never', 'after_runs', 'until')),
    stop_count         BIGINT CHECK (stop_count >= 1),
    stop_at            BIGINT,
    context            TEXT NOT NULL CHECK (context IN ('fresh', 'continue')),
    placement_kind     TEXT NOT NULL CHECK (placement_kind IN ('in_place', 'worktree')),
    worktree_name      TEXT,
    step_cap           BIGINT NOT NULL CHECK (step_cap BETWEEN 1 AND 500),
    timeout_minutes    BIGINT CHECK (timeout_minutes >= 1),
    budget_usd         DOUBLE PRECISION CHECK (budget_usd > 0),
    daily_budget_usd   DOUBLE PRECISION CHECK (daily_budget_usd > 0),
    wait_for_input_when_unattended BOOLEAN NOT NULL DEFAULT FALSE,
    paused             BOOLEAN NOT NULL DEFAULT FALSE,
    revision           BIGINT NOT NULL CHECK (revision >= 1),
    session_id         TEXT,
    created_at         BIGINT NOT NULL,
    updated_at         BIGINT NOT NULL,
    -- Deleted automations keep their row so their run history stays readable.
    deleted_at         BIGINT,
    failure_streak_limit BIGINT NOT NULL DEFAULT 3 CHECK (failure_streak_limit BETWEEN 1 AND 100),
    paused_reason      TEXT CHECK (paused_reason IN ('failure_streak')),
    -- The scheduler's last planned fire.
    schedule_anchor    BIGINT,
    catch_up           TEXT NOT NULL DEFAULT 'once' CHECK (catch_up IN ('once', 'skip')),
    catch_up_max_age_hours BIGINT NOT NULL DEFAULT 168 CHECK (catch_up_max_age_hours BETWEEN 1 AND 8760),
    overlap            TEXT NOT NULL DEFAULT 'skip' CHECK (overlap IN ('skip', 'queue')),
    sandbox_mode       TEXT NOT NULL DEFAULT 'enforce' CHECK (sandbox_mode IN ('enforce', 'off')),
    sandbox_network    BOOLEAN NOT NULL DEFAULT FALSE,
    sandbox_writable   TEXT NOT NULL DEFAULT '[]', -- JSON array of absolute paths
    sandbox_env        TEXT NOT NULL DEFAULT '[]', -- JSON array of variable names
    -- Paused by "Pause all schedules" (so "Resume all" resumes exactly those).
    paused_by_all      BOOLEAN NOT NULL DEFAULT FALSE CHECK (NOT paused_by_all OR paused),
    next_fire_at       BIGINT,
    -- Set by the listing_automation_* triggers on every insert and update; the default is
    -- never kept.
    listed_version     BIGINT NOT NULL DEFAULT 0,
    CHECK ((trigger_kind = 'once') = (trigger_fire_at IS NOT NULL)),
    CHECK ((trigger_kind = 'interval') = (trigger_every_ms IS NOT NULL)),
    CHECK ((trigger_kind = 'cron') = (trigger_cron IS NOT NULL AND trigger_timezone IS NOT NULL)),
    CHECK ((stop_kind = 'after_runs') = (stop_count IS NOT NULL)),
    CHECK ((stop_kind = 'until') = (stop_at IS NOT NULL)),
    CHECK ((placement_kind = 'worktree') = (worktree_name IS NOT NULL))
);

CREATE INDEX automations_next_fire ON automations (next_fire_at) WHERE deleted_at IS NULL;
CREATE INDEX automations_by_listed_version ON automations (listed_version);

CREATE TABLE permission_rules (
    automation_id TEXT NOT NULL REFERENCES automations (id) ON DELETE CASCADE,
    position      BIGINT NOT NULL,
    tool          TEXT NOT NULL,
    pattern       TEXT,
    command       TEXT, -- JSON array of words; bash only
    exact         BOOLEAN NOT NULL DEFAULT FALSE,
    action        TEXT NOT NULL CHECK (action IN ('allow', 'ask', 'deny')),
    reason        TEXT,
    examples      TEXT, -- JSON {matching, not_matching}; bash only
    PRIMARY KEY (automation_id, position),
    CHECK (pattern IS NOT NULL OR command IS NOT NULL)
);

-- One row per live engine process (app, CLI, daemon), renewing its lease while it runs.
CREATE TABLE engine_instances (
    id               TEXT PRIMARY KEY NOT NULL,
    pid              BIGINT NOT NULL,
    label            TEXT NOT NULL,
    started_at       BIGINT NOT NULL,
    lease_expires_at BIGINT NOT NULL,
    host             TEXT,
    pid_started      BIGINT
);
CREATE INDEX engine_instances_by_host ON engine_instances (host) WHERE host IS NOT NULL;

CREATE TABLE runs (
    id                  TEXT PRIMARY KEY NOT NULL,
    automation_id       TEXT NOT NULL REFERENCES automations (id),
    definition_revision BIGINT NOT NULL,
    revision            BIGINT NOT NULL CHECK (revision >= 1),
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
    cost_usd            DOUBLE PRECISION NOT NULL DEFAULT 0 CHECK (cost_usd >= 0),
    tokens_in           BIGINT NOT NULL DEFAULT 0 CHECK (tokens_in >= 0),
    tokens_out          BIGINT NOT NULL DEFAULT 0 CHECK (tokens_out >= 0),
    steps               BIGINT NOT NULL DEFAULT 0 CHECK (steps >= 0),
    queued_at           BIGINT NOT NULL,
    started_at          BIGINT,
    finished_at         BIGINT,
    owner_id            TEXT, -- engine instance driving the run; NULL once terminal
    seen_at             BIGINT, -- the inbox: NULL until the user looked at the finished run
    busy_holder_id      TEXT, -- the run that held the work area, for stopped/writer_busy
    -- A follow-up's parent, by id, not a foreign key: retention may remove the parent first.
    follow_up_of        TEXT,
    follow_up_message   TEXT,
    CHECK ((state = 'awaiting_input') = (blocker IS NOT NULL AND blocker_id IS NOT NULL)),
    CHECK ((state = 'succeeded') = (result IS NOT NULL)),
    CHECK ((state = 'failed') = (error_code IS NOT NULL AND error_message IS NOT NULL)),
    CHECK ((state = 'stopped') = (stop_reason IS NOT NULL)),
    CHECK ((state IN ('succeeded', 'failed', 'stopped')) = (finished_at IS NOT NULL)),
    CHECK ((state IN ('running', 'awaiting_input', 'succeeded')) <= (started_at IS NOT NULL)),
    CHECK (started_at IS NULL OR started_at >= queued_at),
    CHECK (finished_at IS NULL OR finished_at >= COALESCE(started_at, queued_at)),
    CHECK ((follow_up_of IS NULL) = (follow_up_message IS NULL))
);

-- One writer per work area, across every process and machine sharing this database.
CREATE UNIQUE INDEX runs_one_writer_per_work_area ON runs (writer_key)
    WHERE state IN ('running', 'awaiting_input');
CREATE INDEX runs_by_automation ON runs (automation_id, id);
CREATE INDEX runs_active_by_owner ON runs (owner_id)
    WHERE state IN ('queued', 'running', 'awaiting_input');
CREATE UNIQUE INDEX runs_by_blocker ON runs (blocker_id) WHERE blocker_id IS NOT NULL;
CREATE INDEX runs_unseen ON runs (id) WHERE seen_at IS NULL;
CREATE INDEX runs_by_automation_state ON runs (automation_id, state, id);
CREATE INDEX runs_by_queued_at ON runs (queued_at, state, cost_usd, stop_reason);
CREATE INDEX runs_unseen_by_automation ON runs (automation_id, stop_reason) WHERE seen_at IS NULL;
CREATE INDEX runs_queued ON runs ((trigger <> 'manual'), queued_at, id) WHERE state = 'queued';
CREATE INDEX runs_by_session ON runs (session_id) WHERE session_id IS NOT NULL;
CREATE INDEX runs_by_follow_up_of ON runs (follow_up_of) WHERE follow_up_of IS NOT NULL;

-- Answers to blockers, written by whichever process the user answered in.
CREATE TABLE blocker_replies (
    blocker_id TEXT PRIMARY KEY NOT NULL,
    run_id     TEXT NOT NULL REFERENCES runs (id),
    reply      TEXT NOT NULL, -- JSON
    replied_at BIGINT NOT NULL
);
CREATE INDEX blocker_replies_by_run ON blocker_replies (run_id);

-- The event outbox, appended in the transaction that makes each change. An identity column
-- is SQLite's AUTOINCREMENT: never reused. (Unlike SQLite's single writer, concurrent
-- transactions here may commit their numbers out of order; see README.md.)
CREATE TABLE events (
    seq        BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    origin     TEXT NOT NULL,
    kind       TEXT NOT NULL,
    subject_id TEXT NOT NULL,
    payload    TEXT NOT NULL, -- JSON
    created_at BIGINT NOT NULL
);
CREATE INDEX events_by_time ON events (created_at);

-- Transcripts: sessions hold messages, messages hold parts.
CREATE TABLE sessions (
    id            TEXT PRIMARY KEY NOT NULL,
    automation_id TEXT NOT NULL REFERENCES automations (id),
    created_at    BIGINT NOT NULL
);

CREATE TABLE messages (
    id         TEXT PRIMARY KEY NOT NULL,
    session_id TEXT NOT NULL REFERENCES sessions (id),
    run_id     TEXT REFERENCES runs (id),
    seq        BIGINT NOT NULL,
    role       TEXT NOT NULL CHECK (role IN ('user', 'assistant', 'tool')),
    created_at BIGINT NOT NULL,
    UNIQUE (session_id, seq)
);
CREATE INDEX messages_by_run ON messages (run_id);

CREATE TABLE parts (
    id             TEXT PRIMARY KEY NOT NULL,
    message_id     TEXT NOT NULL REFERENCES messages (id),
    seq            BIGINT NOT NULL,
    kind           TEXT NOT NULL
        CHECK (kind IN ('text', 'reasoning', 'tool_call', 'tool_result', 'error', 'notice')),
    text           TEXT NOT NULL DEFAULT '',
    tool_call_id   TEXT,
    tool_name      TEXT,
    tool_arguments TEXT, -- as the model sent it: usually JSON, not always valid
    is_error       BOOLEAN NOT NULL DEFAULT FALSE,
    created_at     BIGINT NOT NULL,
    UNIQUE (message_id, seq),
    CHECK ((kind IN ('tool_call', 'tool_result')) = (tool_call_id IS NOT NULL))
);

-- The one scheduler lease of the database.
CREATE TABLE scheduler_lease (
    id         BIGINT PRIMARY KEY CHECK (id = 1),
    holder     TEXT NOT NULL,
    expires_at BIGINT NOT NULL
);

-- What each run changed, recorded when it ended.
CREATE TABLE run_changes (
    run_id          TEXT PRIMARY KEY NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    source          TEXT NOT NULL CHECK (source IN ('git', 'tools')),
    files_changed   BIGINT NOT NULL CHECK (files_changed >= 0),
    insertions      BIGINT NOT NULL CHECK (insertions >= 0),
    deletions       BIGINT NOT NULL CHECK (deletions >= 0),
    files           TEXT NOT NULL, -- JSON array of file changes
    patch           TEXT NOT NULL,
    truncated       BOOLEAN NOT NULL,
    worktree_branch TEXT,
    worktree_path   TEXT,
    worktree_commit TEXT,
    review          TEXT CHECK (review IN ('empty', 'pending', 'applied', 'discarded', 'superseded')),
    applied_commit  TEXT,
    note            TEXT,
    recorded_at     BIGINT NOT NULL,
    superseded_by   TEXT,
    CHECK ((worktree_branch IS NULL) = (review IS NULL)),
    CHECK ((review = 'pending') <= (worktree_commit IS NOT NULL)),
    CHECK ((review IS NOT DISTINCT FROM 'superseded') = (superseded_by IS NOT NULL))
);

-- Settings every process sharing the database obeys (the queue limits, JSON under a key).
CREATE TABLE engine_settings (
    key   TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL
);

-- The listing version: every change that can alter an automation or its derived status (its
-- row, its rules, its runs' states and costs, a run removed) stamps the automation with a
-- new, higher version, whichever process made it, so a process refreshes only what changed.
--
-- SQLite stamps MAX(listed_version) + 1. Here a sequence does: under PostgreSQL's MVCC two
-- concurrent transactions would read the same MAX() (neither sees the other's uncommitted
-- stamp) and stamp the same version, unless each locked the table to read it; nextval()
-- never repeats a value, takes no lock and reads no index. The versions are not gap-free
-- (a rolled-back stamp is lost), which no reader needs. On both stores the stamp is taken
-- by the database, not by the statement: on every insert and update of an automation the
-- BEFORE trigger replaces whatever listed_version the statement wrote.
CREATE SEQUENCE automations_listing_version AS BIGINT;

CREATE FUNCTION listing_stamp() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.listed_version := nextval('automations_listing_version');
    RETURN NEW;
END
$$;

-- A change to a rule or a run stamps its automation (through listing_stamp, by updating it).
CREATE FUNCTION listing_touch_automation() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        UPDATE automations SET listed_version = listed_version WHERE id = OLD.automation_id;
    ELSE
        UPDATE automations SET listed_version = listed_version WHERE id = NEW.automation_id;
    END IF;
    RETURN NULL;
END
$$;

-- The trigger names are SQLite's, so the schema test can compare the two lists.
CREATE TRIGGER listing_automation_inserted BEFORE INSERT ON automations
    FOR EACH ROW EXECUTE FUNCTION listing_stamp();
CREATE TRIGGER listing_automation_updated BEFORE UPDATE ON automations
    FOR EACH ROW EXECUTE FUNCTION listing_stamp();
CREATE TRIGGER listing_rule_inserted AFTER INSERT ON permission_rules
    FOR EACH ROW EXECUTE FUNCTION listing_touch_automation();
CREATE TRIGGER listing_rule_deleted AFTER DELETE ON permission_rules
    FOR EACH ROW EXECUTE FUNCTION listing_touch_automation();
CREATE TRIGGER listing_run_inserted AFTER INSERT ON runs
    FOR EACH ROW EXECUTE FUNCTION listing_touch_automation();
-- What the status reads of a run: its state, when it finished, what it cost.
CREATE TRIGGER listing_run_updated AFTER UPDATE OF state, finished_at, cost_usd ON runs
    FOR EACH ROW
    WHEN (NEW.state IS DISTINCT FROM OLD.state OR NEW.finished_at IS DISTINCT FROM OLD.finished_at
          OR NEW.cost_usd IS DISTINCT FROM OLD.cost_usd)
    EXECUTE FUNCTION listing_touch_automation();
CREATE TRIGGER listing_run_deleted AFTER DELETE ON runs
    FOR EACH ROW EXECUTE FUNCTION listing_touch_automation();
