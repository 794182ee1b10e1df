-- Transcripts: sessions hold messages, messages hold parts. Parts are written when they are
-- complete, so a crash loses at most the part that was streaming.

CREATE TABLE sessions (
    id            TEXT PRIMARY KEY NOT NULL,
    automation_id TEXT NOT NULL REFERENCES automations (id),
    created_at    INTEGER NOT NULL
);

CREATE TABLE messages (
    id         TEXT PRIMARY KEY NOT NULL,
    session_id TEXT NOT NULL REFERENCES sessions (id),
    run_id     TEXT REFERENCES runs (id),
    seq        INTEGER NOT NULL,
    role       TEXT NOT NULL CHECK (role IN ('user', 'assistant', 'tool')),
    created_at INTEGER NOT NULL,
    UNIQUE (session_id, seq)
);
CREATE INDEX messages_by_run ON messages (run_id);

CREATE TABLE parts (
    id             TEXT PRIMARY KEY NOT NULL,
    message_id     TEXT NOT NULL REFERENCES messages (id),
    seq            INTEGER NOT NULL,
    kind           TEXT NOT NULL CHECK (kind IN ('text', 'reasoning', 'tool_call', 'tool_result', 'error')),
    text           TEXT NOT NULL DEFAULT '',
    tool_call_id   TEXT,
    tool_name      TEXT,
    tool_arguments TEXT, -- JSON, as the model sent it
    is_error       INTEGER NOT NULL DEFAULT 0,
    created_at     INTEGER NOT NULL,
    UNIQUE (message_id, seq),
    CHECK ((kind IN ('tool_call', 'tool_result')) = (tool_call_id IS NOT NULL))
);
