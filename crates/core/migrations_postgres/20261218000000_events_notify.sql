-- PostgreSQL only (the team database): every transaction that appends to the outbox tells
-- the listening workers at its commit (`NOTIFY` is delivered on commit and dropped on
-- rollback; one transaction's equal notices arrive as one). The payload is the writing
-- process's instance id, so a worker is not woken by its own events; it reads the outbox
-- after the last number it saw, so nothing else rides in the notice. SQLite has one machine
-- and no listeners: its engines poll the outbox.
CREATE FUNCTION events_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('autowork_events', origin) FROM (SELECT DISTINCT origin FROM inserted) o;
    RETURN NULL;
END;
$$;

CREATE TRIGGER events_notify AFTER INSERT ON events
    REFERENCING NEW TABLE AS inserted
    FOR EACH STATEMENT EXECUTE FUNCTION events_notify();
