//! What a run changed, as recorded with it: the summary (files, line counts, a capped
//! patch), where it comes from, and a worktree run's review. Capturing and reviewing
//! changes is [`crate::changes`]'s and [`crate::git`]'s.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::ids::RunId;

/// What a run changed, recorded when it ended.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunChanges {
    pub run_id: RunId,
    pub source: ChangeSource,
    #[serde(flatten)]
    pub summary: ChangeSummary,
    /// For worktree runs: the branch and commit holding the changes, and their review.
    pub worktree: Option<WorktreeChanges>,
    /// What the summary cannot show (say, shell commands outside a repository).
    pub note: Option<String>,
    pub recorded_at: DateTime<Utc>,
}

/// Where the summary comes from.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeSource {
    /// The work area's repository, before and after: every change, by any tool.
    Git,
    /// The files `write` and `edit` touched (the work area is not a git repository).
    Tools,
}

impl ChangeSource {
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeSource::Git => "git",
            ChangeSource::Tools => "tools",
        }
    }
}

/// A worktree run's changes as a commit on the worktree's branch.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WorktreeChanges {
    /// `autowork/<name>`.
    pub branch: String,
    /// The worktree's directory.
    pub path: String,
    /// The commit with the run's changes; `None` when the run changed nothing.
    pub commit: Option<String>,
    pub review: Review,
    /// The commit `apply` made on the workspace's branch.
    pub applied_commit: Option<String>,
    /// For a `superseded` review: the follow-up whose commit now holds these changes too.
    pub superseded_by: Option<RunId>,
}

/// Where a worktree run's changes stand.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Review {
    /// Nothing to review: the run changed nothing.
    Empty,
    /// Waiting to be applied or discarded.
    Pending,
    Applied,
    Discarded,
    /// A follow-up continued on top of these changes; its review holds them and its own,
    /// and applying or discarding it does so for both.
    Superseded,
}

impl Review {
    pub fn as_str(self) -> &'static str {
        match self {
            Review::Empty => "empty",
            Review::Pending => "pending",
            Review::Applied => "applied",
            Review::Discarded => "discarded",
            Review::Superseded => "superseded",
        }
    }
}

/// What changed between two snapshots (or, without git, between file contents).
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ChangeSummary {
    pub files: Vec<FileChange>,
    pub files_changed: u32,
    pub insertions: u32,
    pub deletions: u32,
    /// Unified diff of all files, cut on a line boundary when longer than the limit.
    pub patch: String,
    /// Whether `patch` was cut.
    pub truncated: bool,
}

/// One changed file.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileChange {
    /// Path relative to the repository root, `/`-separated; the new path of a rename.
    pub path: String,
    pub kind: FileChangeKind,
    /// The path before a rename.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub old_path: Option<String>,
    pub insertions: u32,
    pub deletions: u32,
    /// Binary content: no line counts and no patch lines.
    pub binary: bool,
}

#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FileChangeKind {
    Added,
    Modified,
    Deleted,
    Renamed,
}
