-- A run the scheduler queues or records as missed no longer stamps its automation's listing
-- version row by row: the scheduler moves that automation's anchor in the same transaction
-- (it never records a fire without moving it), and that update stamps it. Stamping each
-- inserted row as well rewrote the automation's row twice per fire: about a third of the
-- time a burst of fires spends inserting its runs. Runs of every other trigger (Run now,
-- follow-ups) still stamp on insert.
DROP TRIGGER listing_run_inserted;
CREATE TRIGGER listing_run_inserted AFTER INSERT ON runs
WHEN NEW.trigger NOT IN ('schedule', 'catch_up')
BEGIN
    UPDATE automations SET listed_version = (SELECT MAX(listed_version) + 1 FROM automations)
     WHERE id = NEW.automation_id;
END;
