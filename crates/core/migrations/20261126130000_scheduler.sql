-- The scheduler: each automation's last planned fire (moved in the transaction that records
-- the fire's run, so nothing fires twice), and the one lease that lets a single process
-- schedule a database.
ALTER TABLE automations ADD COLUMN schedule_anchor INTEGER;

CREATE TABLE scheduler_lease (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    holder     TEXT NOT NULL,
    expires_at INTEGER NOT NULL
);
