-- "Pause all schedules" marks what it paused, so "Resume all" resumes exactly those. A
-- column of its own: `paused_reason` has a CHECK that SQLite cannot widen in place.
ALTER TABLE automations ADD COLUMN paused_by_all INTEGER NOT NULL DEFAULT 0
    CHECK (paused_by_all IN (0, 1) AND (paused_by_all = 0 OR paused = 1));
