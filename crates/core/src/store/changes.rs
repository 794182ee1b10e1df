//! What runs changed (change review).

use sqlx::FromRow;

use super::backend::on_both_backends;

use super::parse_column;
use crate::error::{Error, Result};
use crate::ids::RunId;
use crate::model::changes::{ChangeSource, ChangeSummary, Review, RunChanges, WorktreeChanges};
use crate::model::time::{from_millis, to_millis};

#[derive(FromRow)]
struct ChangesRow {
    run_id: String,
    source: String,
    files_changed: i64,
    insertions: i64,
    deletions: i64,
    files: String,
    patch: String,
    truncated: bool,
    worktree_branch: Option<String>,
    worktree_path: Option<String>,
    worktree_commit: Option<String>,
    review: Option<String>,
    applied_commit: Option<String>,
    note: Option<String>,
    recorded_at: i64,
    superseded_by: Option<String>,
}

fn count(column: &str, value: i64) -> Result<u32> {
    u32::try_from(value).map_err(|_| Error::Corrupt(format!("{column} out of range: {value}")))
}

impl ChangesRow {
    fn into_changes(self) -> Result<RunChanges> {
        let source = parse_column("change source", &self.source, |s| match s {
            "git" => Some(ChangeSource::Git),
            "tools" => Some(ChangeSource::Tools),
            _ => None,
        })?;
        let files = serde_json::from_str(&self.files).map_err(|e| {
            Error::Corrupt(format!("the changed files of a run are unreadable: {e}"))
        })?;
        let worktree = match (self.worktree_branch, self.review) {
            (Some(branch), Some(review)) => Some(WorktreeChanges {
                branch,
                path: self.worktree_path.unwrap_or_default(),
                commit: self.worktree_commit,
                review: parse_column("review", &review, |r| match r {
                    "empty" => Some(Review::Empty),
                    "pending" => Some(Review::Pending),
                    "applied" => Some(Review::Applied),
                    "discarded" => Some(Review::Discarded),
                    "superseded" => Some(Review::Superseded),
                    _ => None,
                })?,
                applied_commit: self.applied_commit,
                superseded_by: self.superseded_by.map(RunId::from_string),
            }),
            _ => None,
        };
        Ok(RunChanges {
            run_id: RunId::from_string(self.run_id),
            source,
            summary: ChangeSummary {
                files,
                files_changed: count("files_changed", self.files_changed)?,
                insertions: count("insertions", self.insertions)?,
                deletions: count("deletions", self.deletions)?,
                patch: self.patch,
                truncated: self.truncated,
            },
            worktree,
            note: self.note,
            recorded_at: from_millis(self.recorded_at),
        })
    }
}

on_both_backends! {
    /// Stores (or replaces, for a run recorded again after it resumed) what a run changed.
    pub(crate) async fn put(conn: &mut Conn, changes: &RunChanges) -> Result<()> {
        let files = serde_json::to_string(&changes.summary.files)
            .map_err(|e| Error::Corrupt(format!("cannot encode changed files: {e}")))?;
        let worktree = changes.worktree.as_ref();
        const COLUMNS: &str = "run_id, source, files_changed, insertions, deletions, files,
            patch, truncated, worktree_branch, worktree_path, worktree_commit, review,
            applied_commit, note, recorded_at, superseded_by";
        const VALUES: &str = "$1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16";
        // PostgreSQL has no INSERT OR REPLACE: it replaces every column of the row in place.
        let sql = if POSTGRES {
            format!(
                "INSERT INTO run_changes ({COLUMNS}) VALUES ({VALUES})
                 ON CONFLICT (run_id) DO UPDATE SET source = excluded.source,
                    files_changed = excluded.files_changed, insertions = excluded.insertions,
                    deletions = excluded.deletions, files = excluded.files, patch = excluded.patch,
                    truncated = excluded.truncated, worktree_branch = excluded.worktree_branch,
                    worktree_path = excluded.worktree_path,
                    worktree_commit = excluded.worktree_commit, review = excluded.review,
                    applied_commit = excluded.applied_commit, note = excluded.note,
                    recorded_at = excluded.recorded_at, superseded_by = excluded.superseded_by"
            )
        } else {
            format!("INSERT OR REPLACE INTO run_changes ({COLUMNS}) VALUES ({VALUES})")
        };
        sqlx::query(&sql)
        .bind(changes.run_id.as_str())
        .bind(changes.source.as_str())
        .bind(i64::from(changes.summary.files_changed))
        .bind(i64::from(changes.summary.insertions))
        .bind(i64::from(changes.summary.deletions))
        .bind(files)
        .bind(&changes.summary.patch)
        .bind(changes.summary.truncated)
        .bind(worktree.map(|w| w.branch.as_str()))
        .bind(worktree.map(|w| w.path.as_str()))
        .bind(worktree.and_then(|w| w.commit.as_deref()))
        .bind(worktree.map(|w| w.review.as_str()))
        .bind(worktree.and_then(|w| w.applied_commit.as_deref()))
        .bind(changes.note.as_deref())
        .bind(to_millis(changes.recorded_at))
        .bind(worktree.and_then(|w| w.superseded_by.as_ref().map(RunId::as_str)))
        .execute(conn)
        .await?;
        Ok(())
    }

    pub(crate) async fn get(conn: &mut Conn, run_id: &RunId) -> Result<Option<RunChanges>> {
        let row: Option<ChangesRow> = sqlx::query_as("SELECT * FROM run_changes WHERE run_id = $1")
            .bind(run_id.as_str())
            .fetch_optional(conn)
            .await?;
        row.map(ChangesRow::into_changes).transpose()
    }

    /// Moves a worktree run's review from `pending` to `applied` or `discarded`; false when it
    /// was no longer pending.
    pub(crate) async fn set_review(
        conn: &mut Conn,
        run_id: &RunId,
        review: Review,
        applied_commit: Option<&str>,
    ) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE run_changes SET review = $1, applied_commit = $2
             WHERE run_id = $3 AND review = 'pending'",
        )
        .bind(review.as_str())
        .bind(applied_commit)
        .bind(run_id.as_str())
        .execute(conn)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Marks a pending worktree review superseded by follow-up `by`, whose commit now holds
    /// its changes; false when it was no longer pending.
    pub(crate) async fn supersede(
        conn: &mut Conn,
        run_id: &RunId,
        by: &RunId,
    ) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE run_changes SET review = 'superseded', superseded_by = $1
             WHERE run_id = $2 AND review = 'pending'",
        )
        .bind(by.as_str())
        .bind(run_id.as_str())
        .execute(conn)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Runs of an automation that committed changes in a worktree, oldest first.
    pub(crate) async fn worktree_runs_of_automation(
        conn: &mut Conn,
        automation_id: &crate::ids::AutomationId,
    ) -> Result<Vec<RunId>> {
        let ids: Vec<(String,)> = sqlx::query_as(
            "SELECT c.run_id FROM run_changes c JOIN runs r ON r.id = c.run_id
             WHERE r.automation_id = $1 AND c.worktree_commit IS NOT NULL ORDER BY c.run_id",
        )
        .bind(automation_id.as_str())
        .fetch_all(conn)
        .await?;
        Ok(ids
            .into_iter()
            .map(|(id,)| RunId::from_string(id))
            .collect())
    }
}
