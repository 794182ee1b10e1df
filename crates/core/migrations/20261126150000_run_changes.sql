-- What each run changed, recorded when it ended: a summary, the files with their line
-- counts, a size-capped unified diff, and for worktree runs the commit and its review.
CREATE TABLE run_changes (
    run_id          TEXT PRIMARY KEY NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    source          TEXT NOT NULL CHECK (source IN ('git', 'tools')),
    files_changed   INTEGER NOT NULL CHECK (files_changed >= 0),
    insertions      INTEGER NOT NULL CHECK (insertions >= 0),
    deletions       INTEGER NOT NULL CHECK (deletions >= 0),
    files           TEXT NOT NULL,            -- JSON array of file changes
    patch           TEXT NOT NULL,
    truncated       INTEGER NOT NULL CHECK (truncated IN (0, 1)),
    worktree_branch TEXT,
    worktree_path   TEXT,
    worktree_commit TEXT,
    review          TEXT CHECK (review IN ('empty', 'pending', 'applied', 'discarded')),
    applied_commit  TEXT,
    note            TEXT,
    recorded_at     INTEGER NOT NULL,
    CHECK ((worktree_branch IS NULL) = (review IS NULL)),
    CHECK ((review = 'pending') <= (worktree_commit IS NOT NULL))
);
