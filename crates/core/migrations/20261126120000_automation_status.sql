-- Failure streaks: how many failed runs in a row pause an automation, and why it was paused.
ALTER TABLE automations ADD COLUMN failure_streak_limit INTEGER NOT NULL DEFAULT 3
    CHECK (failure_streak_limit BETWEEN 1 AND 100);
ALTER TABLE automations ADD COLUMN paused_reason TEXT CHECK (paused_reason IN ('failure_streak'));
-- The newest runs of an automation by state (last run, failure streak, runs done).
CREATE INDEX runs_by_automation_state ON runs (automation_id, state, id);
