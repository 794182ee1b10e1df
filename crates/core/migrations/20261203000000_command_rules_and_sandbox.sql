-- bash rules name a command as words (`command`, a JSON array of strings) instead of a glob
-- over the command text; `pattern` stays for file tools and for bash globs from before
-- this change (converted when read if they say exactly "these words", kept otherwise as a
-- rule that matches nothing until edited). SQLite cannot drop NOT NULL, so the table is
-- rebuilt.
CREATE TABLE permission_rules_new (
    automation_id TEXT NOT NULL REFERENCES automations (id) ON DELETE CASCADE,
    position      INTEGER NOT NULL,
    tool          TEXT NOT NULL,
    pattern       TEXT,
    command       TEXT, -- JSON array of words; bash only
    exact         INTEGER NOT NULL DEFAULT 0 CHECK (exact IN (0, 1)),
    action        TEXT NOT NULL CHECK (action IN ('allow', 'ask', 'deny')),
    reason        TEXT,
    examples      TEXT, -- JSON {matching, not_matching}; bash only
    PRIMARY KEY (automation_id, position),
    CHECK (pattern IS NOT NULL OR command IS NOT NULL)
);

INSERT INTO permission_rules_new (automation_id, position, tool, pattern, action)
SELECT automation_id, position, tool, pattern, action FROM permission_rules;

DROP TABLE permission_rules;
ALTER TABLE permission_rules_new RENAME TO permission_rules;

-- The OS sandbox around a run's processes: on by default, no internet, and extra writable
-- paths (a JSON array of absolute paths).
ALTER TABLE automations ADD COLUMN sandbox_mode TEXT NOT NULL DEFAULT 'enforce'
    CHECK (sandbox_mode IN ('enforce', 'off'));
ALTER TABLE automations ADD COLUMN sandbox_network INTEGER NOT NULL DEFAULT 0
    CHECK (sandbox_network IN (0, 1));
ALTER TABLE automations ADD COLUMN sandbox_writable TEXT NOT NULL DEFAULT '[]';
-- More environment variable names commands may see (a JSON array).
ALTER TABLE automations ADD COLUMN sandbox_env TEXT NOT NULL DEFAULT '[]';

-- Transcript parts gain `notice`: what the run's owner should know that is not an error
-- (the sandbox is off, or not fully enforced on this system). Rebuilt for the CHECK.
CREATE TABLE parts_new (
    id             TEXT PRIMARY KEY NOT NULL,
    message_id     TEXT NOT NULL REFERENCES messages (id),
    seq            INTEGER NOT NULL,
    kind           TEXT NOT NULL
        CHECK (kind IN ('text', 'reasoning', 'tool_call', 'tool_result', 'error', 'notice')),
    text           TEXT NOT NULL DEFAULT '',
    tool_call_id   TEXT,
    tool_name      TEXT,
    tool_arguments TEXT, -- JSON, as the model sent it
    is_error       INTEGER NOT NULL DEFAULT 0,
    created_at     INTEGER NOT NULL,
    UNIQUE (message_id, seq),
    CHECK ((kind IN ('tool_call', 'tool_result')) = (tool_call_id IS NOT NULL))
);
INSERT INTO parts_new SELECT id, message_id, seq, kind, text, tool_call_id, tool_name,
    tool_arguments, is_error, created_at FROM parts;
DROP TABLE parts;
ALTER TABLE parts_new RENAME TO parts;
