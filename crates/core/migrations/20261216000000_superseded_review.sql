-- A worktree run's review can be superseded: a follow-up continued on top of its commit,
-- and the follow-up's commit holds both runs' changes, so the parent is no longer applied
-- or discarded on its own. `superseded_by` names that follow-up.
-- SQLite cannot widen a CHECK in place, so the table is rebuilt (nothing references it).
CREATE TABLE run_changes_new (
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
    review          TEXT CHECK (review IN ('empty', 'pending', 'applied', 'discarded', 'superseded')),
    applied_commit  TEXT,
    note            TEXT,
    recorded_at     INTEGER NOT NULL,
    superseded_by   TEXT,
    CHECK ((worktree_branch IS NULL) = (review IS NULL)),
    CHECK ((review = 'pending') <= (worktree_commit IS NOT NULL)),
    CHECK ((review IS 'superseded') = (superseded_by IS NOT NULL))
);
INSERT INTO run_changes_new (run_id, source, files_changed, insertions, deletions, files,
    patch, truncated, worktree_branch, worktree_path, worktree_commit, review, applied_commit,
    note, recorded_at)
SELECT run_id, source, files_changed, insertions, deletions, files, patch, truncated,
    worktree_branch, worktree_path, worktree_commit, review, applied_commit, note, recorded_at
FROM run_changes;
DROP TABLE run_changes;
ALTER TABLE run_changes_new RENAME TO run_changes;
