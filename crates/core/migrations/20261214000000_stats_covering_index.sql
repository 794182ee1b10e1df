-- The Overview's day buckets sum state and cost over every run of the last 30 days: with
-- those columns in the queue-time index the sum reads the index alone instead of looking up
-- each run's row (about half the time at 100k runs). The Runs view's date filter keeps
-- using it by its leading column.
DROP INDEX runs_by_queued_at;
CREATE INDEX runs_by_queued_at ON runs (queued_at, state, cost_usd, stop_reason);
