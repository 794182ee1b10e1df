-- The Overview's day buckets and the Runs view's date filter read runs by queue time.
CREATE INDEX runs_by_queued_at ON runs (queued_at);
-- The inbox groups unseen missed fires per automation.
CREATE INDEX runs_unseen_by_automation ON runs (automation_id, stop_reason) WHERE seen_at IS NULL;
