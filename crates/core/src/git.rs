//! Git for automations: worktree placement, change review, and keeping or discarding what a
//! worktree run changed.
//!
//! A `worktree { name }` automation runs in a linked worktree of the workspace's repository at
//! `<workspace>/.autowork/worktrees/<name>`, on branch `autowork/<name>` ([`prepare_worktree`]).
//! At the end of such a run [`commit_worktree`] records its changes as one commit, named by
//! `refs/autowork/runs/<run id>` so a later fresh reset cannot lose it; the user then keeps
//! it ([`apply_run`], a cherry-pick onto the workspace's branch) or drops it
//! ([`discard_run`]). A follow-up of a worktree run whose commit still waits starts on top
//! of it ([`prepare_worktree_on_run`]) and ends with one commit holding both runs' changes
//! ([`commit_follow_up`]). Every run, in place or in a worktree, gets a change review:
//! [`snapshot`] before and after, then [`diff_trees`]; [`diff_texts`] does the same for a
//! workspace that is not a repository.
//!
//! Everything goes through libgit2 (`git2`); the `git` binary is never run, so nothing here
//! depends on the user's git installation, hooks or aliases. All functions block: call them
//! from `spawn_blocking`.
//!
//! Refs this module owns (all under the workspace repository's common dir):
//! - `refs/heads/autowork/<name>`: the worktree's branch.
//! - `refs/autowork/runs/<run id>`: a worktree run's commit, not yet applied or discarded.
//! - `refs/autowork/applied/<run id>`: a run's commit after [`apply_run`] kept it; lets a
//!   second apply answer [`ApplyOutcome::AlreadyApplied`]. Deleted by [`remove_worktree`].

use std::path::{Path, PathBuf};

use git2::{ErrorCode, Repository, Status, StatusOptions};

mod patch;
mod review;
mod runs;
mod worktree;

pub use crate::error::GitError;
pub use review::{
    diff_texts, diff_trees, snapshot, ChangeSummary, FileChange, FileChangeKind, Snapshot,
};
pub use runs::{
    apply_run, commit_follow_up, commit_worktree, discard_run, pending_commit, unapplied_runs,
    ApplyOutcome, RunCommit,
};
pub use worktree::{
    prepare_worktree, prepare_worktree_on_run, remove_worktree, worktree_branch, worktree_path,
    PreparedWorktree, RemoveOutcome,
};

/// The directory inside a workspace where Autowork keeps its worktrees; git is told to
/// ignore it (through `info/exclude`, never the user's `.gitignore`).
pub const AUTOWORK_DIR: &str = ".autowork";

const RUN_REFS: &str = "refs/autowork/runs/";
const APPLIED_REFS: &str = "refs/autowork/applied/";

impl GitError {
    fn git(operation: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Git {
            operation: operation.into(),
            message: message.into(),
        }
    }

    fn io(operation: impl Into<String>, path: &Path, error: std::io::Error) -> Self {
        Self::git(operation, format!("`{}`: {error}", path.display()))
    }
}

/// Maps a libgit2 error of `operation` on `repo` to a [`GitError`], recognising a held lock.
fn fail<'r>(repo: &'r Repository, operation: &'r str) -> impl Fn(git2::Error) -> GitError + 'r {
    move |error| {
        if error.code() == ErrorCode::Locked {
            // libgit2 names the lock file in quotes: "failed to create locked file '…': …".
            let lock_file = error
                .message()
                .split('\'')
                .nth(1)
                .map(PathBuf::from)
                .unwrap_or_else(|| repo.path().join("index.lock"));
            return GitError::Locked {
                path: display_root(repo),
                lock_file,
            };
        }
        GitError::git(operation, error.message())
    }
}

/// Refuses early when git's index lock is held: libgit2 takes it only when it writes the
/// index, after a checkout has already changed files.
fn ensure_unlocked(repo: &Repository) -> Result<(), GitError> {
    let lock_file = repo.path().join("index.lock");
    if lock_file.exists() {
        return Err(GitError::Locked {
            path: display_root(repo),
            lock_file,
        });
    }
    Ok(())
}

fn display_root(repo: &Repository) -> PathBuf {
    repo.workdir()
        .map(normalize)
        .unwrap_or_else(|| repo.path().to_path_buf())
}

/// Drops the trailing slash libgit2 puts on directories.
fn normalize(path: &Path) -> PathBuf {
    path.components().collect()
}

/// Whether `path` is inside the working tree of a git repository.
pub fn is_repository(path: &Path) -> bool {
    open(path).is_ok()
}

/// The top directory of the working tree that contains `path`.
pub fn repository_root(path: &Path) -> Result<PathBuf, GitError> {
    let repo = open(path)?;
    workdir(&repo)
}

/// Opens the repository whose working tree contains `path` (not a bare one).
fn open(path: &Path) -> Result<Repository, GitError> {
    if !path.exists() {
        return Err(GitError::git(
            "open repository",
            format!("`{}` does not exist", path.display()),
        ));
    }
    let repo = match Repository::discover(path) {
        Ok(repo) => repo,
        Err(error) if error.code() == ErrorCode::NotFound => {
            return Err(GitError::NotARepository {
                path: path.to_path_buf(),
            })
        }
        Err(error) => return Err(GitError::git("open repository", error.message())),
    };
    if repo.is_bare() {
        return Err(GitError::NotARepository {
            path: path.to_path_buf(),
        });
    }
    Ok(repo)
}

fn workdir(repo: &Repository) -> Result<PathBuf, GitError> {
    repo.workdir()
        .map(normalize)
        .ok_or_else(|| GitError::NotARepository {
            path: repo.path().to_path_buf(),
        })
}

/// The commit HEAD points at; a repository without commits is [`GitError::NoCommits`].
fn head_commit(repo: &Repository) -> Result<git2::Commit<'_>, GitError> {
    match repo.head() {
        Ok(head) => head
            .peel_to_commit()
            .map_err(fail(repo, "read the HEAD commit")),
        Err(error) if matches!(error.code(), ErrorCode::UnbornBranch | ErrorCode::NotFound) => {
            Err(GitError::NoCommits {
                path: display_root(repo),
            })
        }
        Err(error) => Err(fail(repo, "read HEAD")(error)),
    }
}

/// Checks that `value` can be one component of a ref name and a directory name.
fn check_name(value: &str) -> Result<(), GitError> {
    let reason = if value.is_empty() {
        Some("it is empty")
    } else if value.len() > 100 {
        Some("it is longer than 100 characters")
    } else if !value
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
    {
        Some("use only letters, digits, `-`, `_` and `.`")
    } else if value.starts_with(['.', '-']) || value.ends_with('.') {
        Some("it must not start with `.` or `-`, nor end with `.`")
    } else if value.contains("..") || value.ends_with(".lock") {
        Some("it must not contain `..` nor end with `.lock`")
    } else {
        None
    };
    match reason {
        Some(reason) => Err(GitError::InvalidName {
            name: value.to_owned(),
            reason: reason.to_owned(),
        }),
        None => Ok(()),
    }
}

fn run_ref(run_id: &str) -> String {
    format!("{RUN_REFS}{run_id}")
}

fn applied_ref(run_id: &str) -> String {
    format!("{APPLIED_REFS}{run_id}")
}

/// The commit a ref points at, or None when the ref does not exist.
fn ref_target(repo: &Repository, name: &str) -> Result<Option<git2::Oid>, GitError> {
    match repo.find_reference(name) {
        Ok(reference) => Ok(reference.target()),
        Err(error) if error.code() == ErrorCode::NotFound => Ok(None),
        Err(error) => Err(fail(repo, "read a ref")(error)),
    }
}

/// Paths with uncommitted changes (staged, unstaged or untracked; ignored files excluded).
fn uncommitted_paths(repo: &Repository) -> Result<Vec<String>, GitError> {
    let mut options = StatusOptions::new();
    options
        .include_untracked(true)
        .recurse_untracked_dirs(true)
        .include_ignored(false)
        .exclude_submodules(true);
    let statuses = repo
        .statuses(Some(&mut options))
        .map_err(fail(repo, "read the working tree status"))?;
    Ok(statuses
        .iter()
        .filter(|entry| !entry.status().is_empty() && !entry.status().contains(Status::IGNORED))
        .map(|entry| String::from_utf8_lossy(entry.path_bytes()).into_owned())
        .filter(|path| !is_autowork_path(Path::new(path)))
        .collect())
}

/// Whether a repository-relative path lies inside an `.autowork/` directory.
fn is_autowork_path(path: &Path) -> bool {
    let mut components = path.components().peekable();
    while let Some(component) = components.next() {
        if components.peek().is_some() && component.as_os_str() == AUTOWORK_DIR {
            return true;
        }
    }
    false
}

/// Stages the working tree like `git add -A` (ignores respected, `.autowork/` left out)
/// into `index`, which may be an in-memory copy that is never written back.
fn stage_all(repo: &Repository, index: &mut git2::Index) -> Result<(), GitError> {
    let mut skip_autowork = |path: &Path, _: &[u8]| i32::from(is_autowork_path(path));
    index
        .add_all(
            ["*"],
            git2::IndexAddOption::DEFAULT,
            Some(&mut skip_autowork),
        )
        .map_err(fail(repo, "stage the working tree"))
}

/// Hard-resets the checked-out branch (or detached HEAD) of `repo` to `target` and removes
/// untracked files, keeping ignored ones (`git reset --hard && git clean -fd`).
fn reset_hard(repo: &Repository, target: git2::Oid) -> Result<(), GitError> {
    ensure_unlocked(repo)?;
    let commit = repo
        .find_commit(target)
        .map_err(fail(repo, "find the reset target"))?;
    repo.cleanup_state()
        .map_err(fail(repo, "clear an unfinished merge"))?;
    let mut checkout = git2::build::CheckoutBuilder::new();
    checkout.force();
    repo.reset(
        commit.as_object(),
        git2::ResetType::Hard,
        Some(&mut checkout),
    )
    .map_err(fail(repo, "reset the worktree"))?;
    remove_untracked(repo)
}

/// Deletes untracked, non-ignored files, then the directories that held only them. Nested
/// repositories are left alone, as `git clean -d` does.
fn remove_untracked(repo: &Repository) -> Result<(), GitError> {
    let root = workdir(repo)?;
    let mut options = StatusOptions::new();
    options
        .include_untracked(true)
        .recurse_untracked_dirs(true)
        .include_ignored(false);
    let statuses = repo
        .statuses(Some(&mut options))
        .map_err(fail(repo, "list untracked files"))?;
    for entry in statuses.iter() {
        if !entry.status().contains(Status::WT_NEW) {
            continue;
        }
        let relative = String::from_utf8_lossy(entry.path_bytes()).into_owned();
        let path = root.join(&relative);
        let is_dir = std::fs::symlink_metadata(&path)
            .map(|meta| meta.is_dir())
            .unwrap_or(false);
        if is_dir {
            continue;
        }
        match std::fs::remove_file(&path) {
            Ok(()) => {}
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
            Err(error) => return Err(GitError::io("remove an untracked file", &path, error)),
        }
        let mut dir = path.parent();
        while let Some(current) = dir {
            // Stops at the first directory that still holds something (or is the root).
            if current == root || std::fs::remove_dir(current).is_err() {
                break;
            }
            dir = current.parent();
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_must_be_single_safe_ref_components() {
        assert!(check_name("nightly-docs_2.x").is_ok());
        for bad in [
            "", "a/b", "..", "a..b", ".hidden", "-x", "x.lock", "x.", "a b", "é",
        ] {
            assert!(check_name(bad).is_err(), "`{bad}` should be refused");
        }
    }

    #[test]
    fn autowork_paths_are_recognised_at_any_depth() {
        assert!(is_autowork_path(Path::new(".autowork/worktrees/x/a.rs")));
        assert!(is_autowork_path(Path::new("sub/.autowork/x")));
        assert!(!is_autowork_path(Path::new(".autowork")));
        assert!(!is_autowork_path(Path::new("src/autowork.rs")));
    }
}
