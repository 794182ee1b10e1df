-- The fire the scheduler plans for, kept by every write of an automation, so a planning pass
-- reads what is due through an index instead of computing every schedule. Rows written
-- before this column get 0: due at once, so the scheduler's first pass computes their real
-- next fire under its lock (and fires them if they really are due).
ALTER TABLE automations ADD COLUMN next_fire_at INTEGER;

UPDATE automations SET next_fire_at = 0
WHERE deleted_at IS NULL AND paused = 0 AND trigger_kind <> 'manual';

CREATE INDEX automations_next_fire ON automations (next_fire_at) WHERE deleted_at IS NULL;
