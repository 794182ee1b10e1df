//! Change review: where a run works (its worktree, else the workspace), what it changed, and
//! keeping or discarding a worktree run's changes.
//!
//! Before a run starts, its work area is captured (a git tree of the files on disk, or
//! nothing outside a repository); when it ends, it is captured again and the difference is
//! stored with the run. A worktree run's changes are also committed on the worktree's
//! branch, named by a ref per run, so a later run's reset cannot lose them.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use chrono::{DateTime, Utc};

use crate::definition::{Automation, ContextMode, Placement};
use crate::git::{self, ChangeSummary, FileChange, FileChangeKind, GitError, Snapshot};
use crate::ids::RunId;
use crate::originals::Originals;

pub use crate::model::changes::{ChangeSource, Review, RunChanges, WorktreeChanges};

/// The largest patch stored with a run; longer ones are cut on a line boundary.
pub const PATCH_MAX_BYTES: usize = 256 * 1024;

/// The contents files had before `write` or `edit` first changed them in this run, for
/// work areas without git.
#[derive(Debug, Default)]
pub struct ChangeLog {
    before: Mutex<BTreeMap<String, Before>>,
    /// The originals kept on disk, so a crash mid-run cannot lose them.
    originals: Option<Originals>,
}

#[derive(Debug, Clone)]
enum Before {
    Missing,
    Text(String),
    /// Not text, or unreadable: listed without a patch.
    Opaque,
}

impl ChangeLog {
    /// A log that also keeps each original on disk before the first change.
    pub fn keeping(originals: Originals) -> Self {
        Self {
            before: Mutex::default(),
            originals: Some(originals),
        }
    }

    /// Remembers what `absolute` (shown as `relative`) holds now, unless this run already
    /// changed it. Fails when the original could not be kept on disk: then the caller must
    /// not change the file.
    pub fn before_write(&self, relative: &str, absolute: &Path) -> std::io::Result<()> {
        if let Some(originals) = &self.originals {
            originals.keep(relative, absolute)?;
        }
        let Ok(mut before) = self.before.lock() else {
            return Ok(());
        };
        if !before.contains_key(relative) {
            before.insert(relative.to_owned(), read_before(absolute));
        }
        Ok(())
    }

    /// Drops the originals kept on disk (the run ended and its changes are recorded).
    pub fn discard_originals(&self) {
        if let Some(originals) = &self.originals {
            originals.discard();
        }
    }

    fn summary(&self, root: &Path) -> ChangeSummary {
        let before = match self.before.lock() {
            Ok(before) => before.clone(),
            Err(_) => return ChangeSummary::default(),
        };
        let mut texts = Vec::new();
        let mut opaque = Vec::new();
        for (path, before) in before {
            let after = read_before(&root.join(&path));
            match (before, after) {
                (Before::Missing, Before::Missing) => {}
                (Before::Text(a), Before::Text(b)) if a == b => {}
                (
                    before @ (Before::Missing | Before::Text(_)),
                    after @ (Before::Missing | Before::Text(_)),
                ) => {
                    texts.push((path, before.into_text(), after.into_text()));
                }
                (before, after) => {
                    let kind = match (before, after) {
                        (Before::Missing, _) => FileChangeKind::Added,
                        (_, Before::Missing) => FileChangeKind::Deleted,
                        _ => FileChangeKind::Modified,
                    };
                    opaque.push(FileChange {
                        path,
                        kind,
                        old_path: None,
                        insertions: 0,
                        deletions: 0,
                        binary: true,
                    });
                }
            }
        }
        let mut summary = git::diff_texts(&texts, PATCH_MAX_BYTES);
        summary.files_changed += u32::try_from(opaque.len()).unwrap_or(u32::MAX);
        summary.files.extend(opaque);
        summary.files.sort_by(|a, b| a.path.cmp(&b.path));
        summary
    }
}

impl Before {
    fn into_text(self) -> Option<String> {
        match self {
            Before::Text(text) => Some(text),
            Before::Missing | Before::Opaque => None,
        }
    }
}

fn read_before(path: &Path) -> Before {
    match std::fs::read(path) {
        Ok(bytes) => match String::from_utf8(bytes) {
            Ok(text) => Before::Text(text),
            Err(_) => Before::Opaque,
        },
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Before::Missing,
        Err(_) => Before::Opaque,
    }
}

/// Where a run works, captured before it starts.
#[derive(Debug, Clone)]
pub(crate) struct WorkArea {
    /// The directory tools are confined to.
    pub dir: PathBuf,
    /// The worktree (name, branch) for worktree placement.
    pub worktree: Option<(String, String)>,
    /// The work area as a git tree before the run; `None` outside a repository.
    pub baseline: Option<Snapshot>,
    /// The run (this one's parent) whose pending commit the worktree started from.
    pub continues: Option<RunId>,
}

/// Makes the run's work area ready: for worktree placement, creates the worktree or resets
/// it to the workspace's `HEAD` (a `continue` run keeps its branch), or, for a follow-up of
/// a run whose commit still waits for review, to that commit; then captures it.
/// Blocking: call from `spawn_blocking`.
pub(crate) fn prepare(
    automation: &Automation,
    follow_up_of: Option<&RunId>,
) -> Result<WorkArea, GitError> {
    let spec = &automation.spec;
    let workspace = Path::new(&spec.workspace);
    let mut continues = None;
    let (dir, worktree) = match &spec.placement {
        Placement::InPlace => (workspace.to_path_buf(), None),
        Placement::Worktree { name } => {
            let on_parent = match follow_up_of {
                Some(parent) => git::prepare_worktree_on_run(workspace, name, parent.as_str())?
                    .inspect(|_| continues = Some(parent.clone())),
                None => None,
            };
            // A parent with nothing waiting (applied, or it changed nothing) leaves the
            // follow-up to start like any run of its automation.
            let prepared = match on_parent {
                Some(prepared) => prepared,
                None => {
                    let fresh =
                        spec.context == ContextMode::Fresh || automation.session_id.is_none();
                    git::prepare_worktree(workspace, name, fresh)?
                }
            };
            (prepared.path, Some((name.clone(), prepared.branch)))
        }
    };
    let baseline = if git::is_repository(&dir) {
        match git::snapshot(&dir) {
            Ok(snapshot) => Some(snapshot),
            // In place, a repository we cannot read should not stop the run: its changes are
            // then listed from the tools. A worktree we made must be readable.
            Err(e) if worktree.is_none() => {
                tracing::warn!(dir = %dir.display(), error = %e, "cannot capture the work area; changes will come from the tools");
                None
            }
            Err(e) => return Err(e),
        }
    } else {
        None
    };
    Ok(WorkArea {
        dir,
        worktree,
        baseline,
        continues,
    })
}

/// What the run changed, from the baseline (git) or the tools' log; for a worktree run, the
/// changes are committed on its branch first. A follow-up that started on its parent's
/// pending commit and changed something records both runs' changes (its commit holds
/// them); the parent it superseded comes back beside them. Blocking: call from
/// `spawn_blocking`.
pub(crate) fn record(
    area: &WorkArea,
    log: &ChangeLog,
    run_id: &RunId,
    title: &str,
    now: DateTime<Utc>,
) -> Result<(RunChanges, Option<RunId>), GitError> {
    let Some(baseline) = &area.baseline else {
        return Ok((RunChanges {
            run_id: run_id.clone(),
            source: ChangeSource::Tools,
            summary: log.summary(&area.dir),
            worktree: None,
            note: Some(
                "The work area is not a git repository, so files changed by shell commands are not listed."
                    .to_owned(),
            ),
            recorded_at: now,
        }, None));
    };
    let after = git::snapshot(&area.dir)?;
    let mut summary = git::diff_trees(&area.dir, &baseline.tree, &after.tree, PATCH_MAX_BYTES)?;
    let mut superseded = None;
    let worktree = match &area.worktree {
        None => None,
        Some((_, branch)) => {
            let commit = match (&area.continues, summary.files.is_empty()) {
                (_, true) => None,
                (None, false) => {
                    let message = format!("{title}\n\nAutowork run {run_id}\n");
                    git::commit_worktree(&area.dir, run_id.as_str(), &message)?
                }
                (Some(parent), false) => {
                    let message =
                        format!("{title}\n\nAutowork run {run_id}, following up run {parent}\n");
                    let commit = git::commit_follow_up(
                        &area.dir,
                        run_id.as_str(),
                        &message,
                        parent.as_str(),
                    )?;
                    if let Some(commit) = &commit {
                        // The review covers what the commit holds: the parent's changes too.
                        summary = git::diff_trees(
                            &area.dir,
                            &commit.base,
                            &commit.commit,
                            PATCH_MAX_BYTES,
                        )?;
                        superseded = commit.superseded.clone().map(RunId::from_string);
                    }
                    commit
                }
            };
            Some(WorktreeChanges {
                branch: branch.clone(),
                path: area.dir.display().to_string(),
                review: if commit.is_some() {
                    Review::Pending
                } else {
                    Review::Empty
                },
                commit: commit.map(|c| c.commit),
                applied_commit: None,
                superseded_by: None,
            })
        }
    };
    Ok((
        RunChanges {
            run_id: run_id.clone(),
            source: ChangeSource::Git,
            summary,
            worktree,
            note: None,
            recorded_at: now,
        },
        superseded,
    ))
}

/// After a crash: the changes a worktree run left uncommitted in its worktree are committed
/// as that run's (reviewable like any other, and out of the next fresh run's way). `None`
/// when the worktree is missing or clean. A follow-up's are committed as [`record`] would
/// (with its parent's, which it then supersedes). Blocking: call from `spawn_blocking`.
pub(crate) fn recover(
    automation: &Automation,
    run_id: &RunId,
    follow_up_of: Option<&RunId>,
    now: DateTime<Utc>,
) -> Result<Option<(RunChanges, Option<RunId>)>, GitError> {
    let Placement::Worktree { name } = &automation.spec.placement else {
        return Ok(None);
    };
    let dir = git::worktree_path(Path::new(&automation.spec.workspace), name);
    if !dir.is_dir() {
        return Ok(None);
    }
    let message = format!(
        "{} (recovered)\n\nAutowork run {run_id}, left unfinished when its process stopped\n",
        automation.spec.title
    );
    let commit = match follow_up_of {
        Some(parent) => git::commit_follow_up(&dir, run_id.as_str(), &message, parent.as_str())?,
        None => git::commit_worktree(&dir, run_id.as_str(), &message)?,
    };
    let Some(commit) = commit else {
        return Ok(None);
    };
    let summary = git::diff_trees(&dir, &commit.base, &commit.commit, PATCH_MAX_BYTES)?;
    let superseded = commit.superseded.clone().map(RunId::from_string);
    let changes = RunChanges {
        run_id: run_id.clone(),
        source: ChangeSource::Git,
        summary,
        worktree: Some(WorktreeChanges {
            branch: git::worktree_branch(name),
            path: dir.display().to_string(),
            commit: Some(commit.commit),
            review: Review::Pending,
            applied_commit: None,
            superseded_by: None,
        }),
        note: Some(
            "The run's process stopped before the run ended; these are the changes it had made \
             by then, recovered from its worktree."
                .to_owned(),
        ),
        recorded_at: now,
    };
    Ok(Some((changes, superseded)))
}
