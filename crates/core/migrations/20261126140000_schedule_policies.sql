-- Per-automation scheduling policies: what missed fires do, how old a missed fire may be to
-- still run, and whether a run waits for a busy work area.
ALTER TABLE automations ADD COLUMN catch_up TEXT NOT NULL DEFAULT 'once'
    CHECK (catch_up IN ('once', 'skip'));
ALTER TABLE automations ADD COLUMN catch_up_max_age_hours INTEGER NOT NULL DEFAULT 168
    CHECK (catch_up_max_age_hours BETWEEN 1 AND 8760);
ALTER TABLE automations ADD COLUMN overlap TEXT NOT NULL DEFAULT 'skip'
    CHECK (overlap IN ('skip', 'queue'));
