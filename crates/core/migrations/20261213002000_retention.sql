-- Retention (`gc`) asks which runs share a session and which replies belong to a run; both
-- without scanning every row.
CREATE INDEX runs_by_session ON runs (session_id) WHERE session_id IS NOT NULL;
CREATE INDEX blocker_replies_by_run ON blocker_replies (run_id);
