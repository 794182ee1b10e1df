-- As SQLite's migration of the same name: the scheduler's runs are stamped by the move of
-- their automation's anchor, in the same transaction, not row by row.
DROP TRIGGER listing_run_inserted ON runs;
CREATE TRIGGER listing_run_inserted AFTER INSERT ON runs
    FOR EACH ROW WHEN (NEW.trigger NOT IN ('schedule', 'catch_up'))
    EXECUTE FUNCTION listing_touch_automation();
