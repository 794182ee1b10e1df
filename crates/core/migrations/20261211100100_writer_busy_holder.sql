-- The run that held the work area when a run ended `stopped`/`writer_busy`, so the user is
-- told what to wait for or cancel. NULL for every other run (and when the holder had ended
-- by the time the busy run was stopped).
ALTER TABLE runs ADD COLUMN busy_holder_id TEXT;
