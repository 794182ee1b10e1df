//! Worktree placement: one linked worktree per name, created, reset and removed here.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use git2::{BranchType, Oid, Repository, WorktreeAddOptions, WorktreePruneOptions};
use serde::{Deserialize, Serialize};

use super::{
    applied_ref, check_name, fail, head_commit, open, ref_target, reset_hard, run_ref,
    uncommitted_paths, workdir, GitError, AUTOWORK_DIR,
};

/// A worktree ready for a run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PreparedWorktree {
    /// `<workspace>/.autowork/worktrees/<name>`: where the run works.
    pub path: PathBuf,
    /// `autowork/<name>`, checked out in the worktree.
    pub branch: String,
    /// The commit the worktree's HEAD is at, after any reset.
    pub base: String,
    /// Whether the worktree was (re)created by this call.
    pub created: bool,
}

/// What [`remove_worktree`] did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum RemoveOutcome {
    Removed,
    /// Nothing was removed, so nothing is lost: runs still wait to be applied or
    /// discarded, or the worktree holds uncommitted changes.
    Kept {
        unapplied: Vec<String>,
        message: String,
    },
}

/// Where the worktree named `name` of `workspace` lives.
pub fn worktree_path(workspace: &Path, name: &str) -> PathBuf {
    workspace.join(AUTOWORK_DIR).join("worktrees").join(name)
}

/// The branch checked out in the worktree named `name`.
pub fn worktree_branch(name: &str) -> String {
    format!("autowork/{name}")
}

/// The name git registers the worktree under (`.git/worktrees/<it>`); prefixed so it does
/// not collide with the user's own worktrees, which git names after their directory.
fn registration(name: &str) -> String {
    format!("autowork-{name}")
}

/// Makes the worktree `name` ready for a run, creating it on first use.
///
/// - Creates `<workspace>/.autowork/worktrees/<name>` on branch `autowork/<name>` (made at
///   the workspace's HEAD commit unless it exists from earlier). A worktree whose directory
///   was deleted by hand is pruned and created again.
/// - Adds `/.autowork/` to the repository's `info/exclude` (once) so the workspace's status
///   stays clean; the user's `.gitignore` is never edited.
/// - `fresh`: resets the branch and the worktree to the workspace's current HEAD commit.
///   Uncommitted changes there (left by a run the app crashed in, or made by hand) are
///   refused with [`GitError::DirtyWorktree`], never reset away. Otherwise the branch stays
///   where the previous run left it.
pub fn prepare_worktree(
    workspace: &Path,
    name: &str,
    fresh: bool,
) -> Result<PreparedWorktree, GitError> {
    prepare(
        workspace,
        name,
        if fresh { Start::Head } else { Start::Keep },
    )
}

/// Makes the worktree `name` ready for a follow-up of run `run_id`: like
/// [`prepare_worktree`], but the branch and the worktree are reset to that run's pending
/// commit, so the follow-up works on top of the changes nobody has applied yet.
/// None, touching nothing, when the run has no commit waiting (it changed nothing, or
/// was applied, discarded or already continued).
pub fn prepare_worktree_on_run(
    workspace: &Path,
    name: &str,
    run_id: &str,
) -> Result<Option<PreparedWorktree>, GitError> {
    check_name(run_id)?;
    let repo = open(workspace)?;
    let Some(commit) = ref_target(&repo, &run_ref(run_id))? else {
        return Ok(None);
    };
    prepare(workspace, name, Start::Commit(commit)).map(Some)
}

/// Where [`prepare`] leaves the worktree's branch.
enum Start {
    /// Where the previous run left it.
    Keep,
    /// At the workspace's HEAD commit.
    Head,
    /// At this commit.
    Commit(Oid),
}

fn prepare(workspace: &Path, name: &str, start: Start) -> Result<PreparedWorktree, GitError> {
    check_name(name)?;
    let workspace = std::path::absolute(workspace)
        .map_err(|error| GitError::io("resolve the workspace", workspace, error))?;
    let repo = open(&workspace)?;
    let head = head_commit(&repo)?.id();
    exclude_autowork_dir(&repo, &workspace)?;

    let path = worktree_path(&workspace, name);
    let branch = worktree_branch(name);
    let (created, branch_created) = ensure_worktree(&repo, name, &path, &branch, head)?;

    let worktree = Repository::open(&path).map_err(fail(&repo, "open the worktree"))?;
    let target = match start {
        Start::Keep => None,
        Start::Head => (!branch_created).then_some(head),
        Start::Commit(commit) => Some(commit),
    };
    if let Some(target) = target {
        // A run commits everything it changed, so anything uncommitted here was left by a
        // run that never finished (the app crashed) or edited by hand: refuse rather than
        // reset it away.
        let dirty = uncommitted_paths(&worktree)?;
        if !dirty.is_empty() {
            return Err(GitError::DirtyWorktree { path, paths: dirty });
        }
        let branch_ref = format!("refs/heads/{branch}");
        worktree
            .set_head(&branch_ref)
            .map_err(fail(&worktree, "check out the worktree's branch"))?;
        reset_hard(&worktree, target)?;
    }
    let base = head_commit(&worktree)?.id().to_string();
    Ok(PreparedWorktree {
        path,
        branch,
        base,
        created,
    })
}

/// Returns (worktree created, branch created).
fn ensure_worktree(
    repo: &Repository,
    name: &str,
    path: &Path,
    branch: &str,
    head: Oid,
) -> Result<(bool, bool), GitError> {
    let registration = registration(name);
    if let Some(existing) = find_registered(repo, &registration)? {
        if existing.validate().is_ok() {
            if same_path(existing.path(), path) {
                return Ok((false, false));
            }
            return Err(GitError::git(
                "prepare the worktree",
                format!(
                    "git already has a worktree `{registration}` at `{}`; remove it with \
                     `git worktree remove {}`",
                    existing.path().display(),
                    existing.path().display()
                ),
            ));
        }
        // Its directory is gone (deleted by hand, or the workspace moved): forget it.
        let mut prune = WorktreePruneOptions::new();
        prune.locked(true);
        existing
            .prune(Some(&mut prune))
            .map_err(fail(repo, "prune the missing worktree"))?;
    }

    if path.exists() {
        // A leftover empty directory is harmless; anything else may be someone's work.
        if std::fs::remove_dir(path).is_err() {
            return Err(GitError::git(
                "create the worktree",
                format!(
                    "`{}` exists but is not a worktree of this repository; move it away or \
                     delete it",
                    path.display()
                ),
            ));
        }
    }
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)
            .map_err(|error| GitError::io("create the worktrees directory", parent, error))?;
    }

    let (branch_ref, branch_created) = match repo.find_branch(branch, BranchType::Local) {
        Ok(existing) => (existing.into_reference(), false),
        Err(error) if error.code() == git2::ErrorCode::NotFound => {
            let commit = repo
                .find_commit(head)
                .map_err(fail(repo, "read the HEAD commit"))?;
            let created = repo
                .branch(branch, &commit, false)
                .map_err(fail(repo, "create the worktree's branch"))?;
            (created.into_reference(), true)
        }
        Err(error) => return Err(fail(repo, "read the worktree's branch")(error)),
    };
    let mut options = WorktreeAddOptions::new();
    options.reference(Some(&branch_ref));
    repo.worktree(&registration, path, Some(&options))
        .map_err(fail(repo, "create the worktree"))?;
    Ok((true, branch_created))
}

fn find_registered(
    repo: &Repository,
    registration: &str,
) -> Result<Option<git2::Worktree>, GitError> {
    match repo.find_worktree(registration) {
        Ok(worktree) => Ok(Some(worktree)),
        Err(error) if error.code() == git2::ErrorCode::NotFound => Ok(None),
        Err(error) => Err(fail(repo, "look up the worktree")(error)),
    }
}

fn same_path(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    }
}

/// Appends `/<workspace relative to the root>/.autowork/` to the common dir's
/// `info/exclude` unless a line already says it.
fn exclude_autowork_dir(repo: &Repository, workspace: &Path) -> Result<(), GitError> {
    let root = workdir(repo)?;
    let relative = match (root.canonicalize(), workspace.canonicalize()) {
        (Ok(root), Ok(workspace)) => workspace
            .strip_prefix(&root)
            .map(Path::to_path_buf)
            .unwrap_or_default(),
        _ => PathBuf::new(),
    };
    let mut pattern = String::from("/");
    for component in relative.components() {
        pattern.push_str(&component.as_os_str().to_string_lossy());
        pattern.push('/');
    }
    pattern.push_str(AUTOWORK_DIR);
    pattern.push('/');

    let info = repo.commondir().join("info");
    let exclude = info.join("exclude");
    let existing = match std::fs::read_to_string(&exclude) {
        Ok(text) => text,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(error) => return Err(GitError::io("read info/exclude", &exclude, error)),
    };
    if existing.lines().any(|line| line.trim() == pattern) {
        return Ok(());
    }
    std::fs::create_dir_all(&info)
        .map_err(|error| GitError::io("create .git/info", &info, error))?;
    let separator = if existing.is_empty() || existing.ends_with('\n') {
        ""
    } else {
        "\n"
    };
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&exclude)
        .and_then(|mut file| {
            write!(
                file,
                "{separator}# Autowork's worktrees (added by Autowork)\n{pattern}\n"
            )
        })
        .map_err(|error| GitError::io("update info/exclude", &exclude, error))
}

/// Removes the worktree `name`, its registration, its branch and the refs of
/// `run_ids_of_this_automation`, unless that would lose work: while any of those runs is
/// still unapplied, or the worktree has uncommitted changes, everything is kept and
/// [`RemoveOutcome::Kept`] says why. A worktree that does not exist is `Removed`.
pub fn remove_worktree(
    workspace: &Path,
    name: &str,
    run_ids_of_this_automation: &[String],
) -> Result<RemoveOutcome, GitError> {
    check_name(name)?;
    for run_id in run_ids_of_this_automation {
        check_name(run_id)?;
    }
    let workspace = std::path::absolute(workspace)
        .map_err(|error| GitError::io("resolve the workspace", workspace, error))?;
    let repo = open(&workspace)?;
    let path = worktree_path(&workspace, name);

    let pending = super::runs::unapplied_runs(&workspace)?;
    let unapplied: Vec<String> = run_ids_of_this_automation
        .iter()
        .filter(|run_id| pending.iter().any(|(pending, _)| pending == *run_id))
        .cloned()
        .collect();
    if !unapplied.is_empty() {
        return Ok(RemoveOutcome::Kept {
            message: format!(
                "{} run(s) of this automation have changes that are neither applied nor \
                 discarded; apply or discard them, then remove the worktree",
                unapplied.len()
            ),
            unapplied,
        });
    }
    if let Ok(worktree) = Repository::open(&path) {
        if worktree.is_worktree() {
            let dirty = uncommitted_paths(&worktree)?;
            if !dirty.is_empty() {
                return Ok(RemoveOutcome::Kept {
                    unapplied,
                    message: format!(
                        "the worktree `{}` has uncommitted changes ({}); commit or delete \
                         them, then remove the worktree",
                        path.display(),
                        dirty.join(", ")
                    ),
                });
            }
        }
    }

    if let Some(registered) = find_registered(&repo, &registration(name))? {
        let mut prune = WorktreePruneOptions::new();
        prune.valid(true).locked(true).working_tree(true);
        registered
            .prune(Some(&mut prune))
            .map_err(fail(&repo, "remove the worktree"))?;
    }
    if path.exists() {
        std::fs::remove_dir_all(&path)
            .map_err(|error| GitError::io("delete the worktree directory", &path, error))?;
    }
    // Leave no empty `.autowork/worktrees` behind; a failure means something else lives there.
    if let Some(worktrees) = path.parent() {
        if std::fs::remove_dir(worktrees).is_ok() {
            if let Some(autowork_dir) = worktrees.parent() {
                let _ = std::fs::remove_dir(autowork_dir);
            }
        }
    }

    match repo.find_branch(&worktree_branch(name), BranchType::Local) {
        Ok(mut branch) => branch
            .delete()
            .map_err(fail(&repo, "delete the worktree's branch"))?,
        Err(error) if error.code() == git2::ErrorCode::NotFound => {}
        Err(error) => return Err(fail(&repo, "read the worktree's branch")(error)),
    }
    for run_id in run_ids_of_this_automation {
        for name in [run_ref(run_id), applied_ref(run_id)] {
            delete_ref(&repo, &name)?;
        }
    }
    Ok(RemoveOutcome::Removed)
}

pub(super) fn delete_ref(repo: &Repository, name: &str) -> Result<(), GitError> {
    match repo.find_reference(name) {
        Ok(mut reference) => reference.delete().map_err(fail(repo, "delete a run's ref")),
        Err(error) if error.code() == git2::ErrorCode::NotFound => Ok(()),
        Err(error) => Err(fail(repo, "read a run's ref")(error)),
    }
}
