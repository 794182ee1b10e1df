//! A worktree run's changes: recorded as one commit, then kept (applied to the workspace's
//! branch) or discarded.

use std::path::Path;

use git2::build::CheckoutBuilder;
use git2::{CheckoutNotificationType, ErrorCode, Oid, Repository, Signature};
use serde::{Deserialize, Serialize};

use super::worktree::{delete_ref, worktree_branch, worktree_path};
use super::{
    applied_ref, check_name, ensure_unlocked, fail, head_commit, open, ref_target, reset_hard,
    run_ref, stage_all, uncommitted_paths, GitError, RUN_REFS,
};

/// The commit that holds a worktree run's changes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunCommit {
    /// Named by `refs/autowork/runs/<run id>`.
    pub commit: String,
    /// Its parent: what the run started from (for a follow-up that continued another
    /// run's commit, what that run started from).
    pub base: String,
    /// The run whose pending commit this one now holds too (see [`commit_follow_up`]); its
    /// ref is gone and it is no longer applied on its own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub superseded: Option<String>,
}

/// What [`apply_run`] did. Only `Applied` changed anything.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ApplyOutcome {
    /// A new commit on the workspace's current branch holds the run's changes.
    Applied { commit: String, files: Vec<String> },
    /// The run's changes conflict with the workspace's branch; nothing was touched.
    Conflict { paths: Vec<String>, message: String },
    /// Uncommitted changes in the workspace touch files the run changed; nothing was touched.
    LocalChanges { paths: Vec<String>, message: String },
    /// The workspace's branch already has the run's changes.
    AlreadyApplied,
}

/// Commits everything in `worktree` (changes, deletions and untracked files; ignored files
/// left out) on its branch and names the commit `refs/autowork/runs/<run_id>`, so a later
/// fresh reset cannot lose it. Author and committer are the repository's configured
/// identity, else `Autowork <autowork@localhost>`.
///
/// Returns None when the run changed nothing. Called again for the same run (a resumed run)
/// while its commit is still the branch tip, the commit is amended: a run has one commit.
pub fn commit_worktree(
    worktree: &Path,
    run_id: &str,
    message: &str,
) -> Result<Option<RunCommit>, GitError> {
    commit_run(worktree, run_id, message, None)
}

/// [`commit_worktree`] for a follow-up of run `parent_run_id`. When the worktree's HEAD is
/// still the parent's pending commit (the follow-up started on top of it), the follow-up's
/// commit holds both: it is made on the parent's base with the tree as it is now, so
/// applying it (a cherry-pick against its parent) brings the parent's changes and the
/// follow-up's at once, and the parent's ref is deleted so it cannot be applied a second
/// time ([`RunCommit::superseded`] names it). One commit rather than two keeps "a run is
/// one commit" true for apply, discard and review. Otherwise it is a plain
/// [`commit_worktree`].
pub fn commit_follow_up(
    worktree: &Path,
    run_id: &str,
    message: &str,
    parent_run_id: &str,
) -> Result<Option<RunCommit>, GitError> {
    check_name(parent_run_id)?;
    commit_run(worktree, run_id, message, Some(parent_run_id))
}

/// The commit holding a run's changes while they wait to be applied or discarded; None
/// when the run has none waiting (it changed nothing, or was applied, discarded or
/// continued by a follow-up).
pub fn pending_commit(workspace: &Path, run_id: &str) -> Result<Option<RunCommit>, GitError> {
    check_name(run_id)?;
    let repo = open(workspace)?;
    let Some(commit) = ref_target(&repo, &run_ref(run_id))? else {
        return Ok(None);
    };
    let base = repo
        .find_commit(commit)
        .and_then(|commit| commit.parent_id(0))
        .map_err(fail(&repo, "read the run's base"))?;
    Ok(Some(RunCommit {
        commit: commit.to_string(),
        base: base.to_string(),
        superseded: None,
    }))
}

fn commit_run(
    worktree: &Path,
    run_id: &str,
    message: &str,
    continues: Option<&str>,
) -> Result<Option<RunCommit>, GitError> {
    check_name(run_id)?;
    let repo = open(worktree)?;
    ensure_unlocked(&repo)?;
    let head = head_commit(&repo)?;
    let mut index = repo.index().map_err(fail(&repo, "read the index"))?;
    stage_all(&repo, &mut index)?;
    index.write().map_err(fail(&repo, "write the index"))?;
    let tree_id = index
        .write_tree()
        .map_err(fail(&repo, "write the run's tree"))?;

    let run_ref = run_ref(run_id);
    let amend = ref_target(&repo, &run_ref)? == Some(head.id());
    // The parent run whose pending commit HEAD still is: this run's commit replaces it.
    let mut superseded = None;
    if let Some(parent_run) = continues.filter(|_| !amend) {
        if ref_target(&repo, &super::run_ref(parent_run))? == Some(head.id()) {
            superseded = Some(parent_run);
        }
    }
    let parent = if amend || superseded.is_some() {
        head.parent(0).map_err(fail(&repo, "read the run's base"))?
    } else {
        head.clone()
    };
    let reflog = format!("autowork: run {run_id}");
    if tree_id == head.tree_id() {
        return Ok(amend.then(|| RunCommit {
            commit: head.id().to_string(),
            base: parent.id().to_string(),
            superseded: None,
        }));
    }
    let mut branch = repo.head().map_err(fail(&repo, "read HEAD"))?;
    if amend && tree_id == parent.tree_id() {
        // The resumed run undid its own changes: it has nothing left to keep.
        branch
            .set_target(parent.id(), &reflog)
            .map_err(fail(&repo, "move the worktree's branch"))?;
        delete_ref(&repo, &run_ref)?;
        return Ok(None);
    }

    let signature = identity(&repo)?;
    let tree = repo
        .find_tree(tree_id)
        .map_err(fail(&repo, "read the run's tree"))?;
    let commit = repo
        .commit(None, &signature, &signature, message, &tree, &[&parent])
        .map_err(fail(&repo, "commit the run's changes"))?;
    branch
        .set_target(commit, &reflog)
        .map_err(fail(&repo, "move the worktree's branch"))?;
    repo.reference(&run_ref, commit, true, &reflog)
        .map_err(fail(&repo, "name the run's commit"))?;
    if let Some(parent_run) = superseded {
        delete_ref(&repo, &super::run_ref(parent_run))?;
    }
    Ok(Some(RunCommit {
        commit: commit.to_string(),
        base: parent.id().to_string(),
        superseded: superseded.map(str::to_owned),
    }))
}

/// The repository's `user.name`/`user.email`, else Autowork's own.
fn identity(repo: &Repository) -> Result<Signature<'static>, GitError> {
    repo.signature()
        .or_else(|_| Signature::now("Autowork", "autowork@localhost"))
        .map_err(fail(repo, "make a commit signature"))
}

/// Applies a worktree run's commit to the workspace's current branch, like
/// `git cherry-pick`: exactly the run's own changes (its diff against its parent), in a new
/// commit with the run commit's message and author.
///
/// The result is computed in memory first: on conflicts, or when the workspace's
/// uncommitted changes touch a file the run changed, nothing is touched and the outcome
/// says which paths. Otherwise only the changed files are checked out (safely: never over
/// uncommitted edits), then the branch moves. The run is then no longer unapplied
/// (its ref moves to `refs/autowork/applied/<run_id>`).
pub fn apply_run(workspace: &Path, run_id: &str) -> Result<ApplyOutcome, GitError> {
    check_name(run_id)?;
    let repo = open(workspace)?;
    let Some(run_id_oid) = ref_target(&repo, &run_ref(run_id))? else {
        if ref_target(&repo, &applied_ref(run_id))?.is_some() {
            return Ok(ApplyOutcome::AlreadyApplied);
        }
        return Err(GitError::RunNotFound {
            run_id: run_id.to_owned(),
        });
    };
    let operation = "apply the run";
    if repo.state() != git2::RepositoryState::Clean {
        return Err(GitError::git(
            operation,
            format!(
                "the workspace is in the middle of a {:?}; finish or abort it, then apply again",
                repo.state()
            ),
        ));
    }
    ensure_unlocked(&repo)?;
    let ours = head_commit(&repo)?;
    if repo.head_detached().map_err(fail(&repo, "read HEAD"))? {
        return Err(GitError::git(
            operation,
            "the workspace is not on a branch (detached HEAD); check out a branch, then apply again",
        ));
    }
    let branch = repo
        .head()
        .map_err(fail(&repo, "read HEAD"))?
        .name()
        .map(str::to_owned)
        .map_err(|_| GitError::git(operation, "the current branch's name is not UTF-8"))?;
    let run = repo
        .find_commit(run_id_oid)
        .map_err(fail(&repo, "read the run's commit"))?;

    let mut merged = repo
        .cherrypick_commit(&run, &ours, 0, None)
        .map_err(fail(&repo, operation))?;
    if merged.has_conflicts() {
        let mut paths = Vec::new();
        for conflict in merged.conflicts().map_err(fail(&repo, operation))? {
            let conflict = conflict.map_err(fail(&repo, operation))?;
            if let Some(entry) = conflict.our.or(conflict.their).or(conflict.ancestor) {
                paths.push(String::from_utf8_lossy(&entry.path).into_owned());
            }
        }
        return Ok(ApplyOutcome::Conflict {
            message: format!(
                "the run's changes conflict with the workspace's branch in {}; nothing was \
                 changed. Resolve by hand (for example `git cherry-pick {run_id_oid}`) or \
                 discard the run",
                paths.join(", ")
            ),
            paths,
        });
    }
    let tree_id = merged
        .write_tree_to(&repo)
        .map_err(fail(&repo, operation))?;
    if tree_id == ours.tree_id() {
        mark_applied(&repo, run_id)?;
        return Ok(ApplyOutcome::AlreadyApplied);
    }
    let tree = repo.find_tree(tree_id).map_err(fail(&repo, operation))?;
    let ours_tree = ours.tree().map_err(fail(&repo, operation))?;
    let (touched, files) = changed_paths(&repo, &ours_tree, &tree)?;

    let local: Vec<String> = uncommitted_paths(&repo)?
        .into_iter()
        .filter(|path| touched.iter().any(|changed| overlaps(path, changed)))
        .collect();
    if !local.is_empty() {
        return Ok(local_changes(local));
    }

    let mut blocked = Vec::new();
    let checkout = {
        let mut checkout = CheckoutBuilder::new();
        checkout
            .safe()
            .disable_pathspec_match(true)
            .notify_on(CheckoutNotificationType::CONFLICT)
            .notify(|_, path, _, _, _| {
                if let Some(path) = path {
                    blocked.push(path.to_string_lossy().into_owned());
                }
                true
            });
        for path in &touched {
            checkout.path(path.as_str());
        }
        repo.checkout_tree(tree.as_object(), Some(&mut checkout))
    };
    match checkout {
        Ok(()) => {}
        Err(error) if error.code() == ErrorCode::Conflict => return Ok(local_changes(blocked)),
        Err(error) => return Err(fail(&repo, "update the workspace's files")(error)),
    }

    let committer = identity(&repo)?;
    let message = String::from_utf8_lossy(run.message_raw_bytes());
    let commit = repo
        .commit(None, &run.author(), &committer, &message, &tree, &[&ours])
        .map_err(fail(&repo, "commit the run's changes"))?;
    repo.reference_matching(
        &branch,
        commit,
        true,
        ours.id(),
        &format!("autowork: apply run {run_id}"),
    )
    .map_err(fail(&repo, "move the workspace's branch"))?;
    mark_applied(&repo, run_id)?;
    Ok(ApplyOutcome::Applied {
        commit: commit.to_string(),
        files,
    })
}

fn local_changes(paths: Vec<String>) -> ApplyOutcome {
    ApplyOutcome::LocalChanges {
        message: format!(
            "you have uncommitted changes in {} that the run also changed; commit or stash \
             them, then apply again (nothing was changed)",
            paths.join(", ")
        ),
        paths,
    }
}

/// Every path a tree-to-tree change touches (old and new sides), and the changed files as
/// a user would list them (the new path, or the old one for a deletion).
fn changed_paths(
    repo: &Repository,
    before: &git2::Tree<'_>,
    after: &git2::Tree<'_>,
) -> Result<(Vec<String>, Vec<String>), GitError> {
    let diff = repo
        .diff_tree_to_tree(Some(before), Some(after), None)
        .map_err(fail(repo, "list the run's files"))?;
    let mut touched = Vec::new();
    let mut files = Vec::new();
    for delta in diff.deltas() {
        let old = delta.old_file().path_bytes().map(String::from_utf8_lossy);
        let new = delta.new_file().path_bytes().map(String::from_utf8_lossy);
        if let Some(file) = new.clone().or(old.clone()) {
            files.push(file.into_owned());
        }
        for path in [old, new].into_iter().flatten() {
            let path = path.into_owned();
            if !touched.contains(&path) {
                touched.push(path);
            }
        }
    }
    Ok((touched, files))
}

/// Whether two repository paths are the same file or one is a directory holding the other.
fn overlaps(a: &str, b: &str) -> bool {
    let inside = |inner: &str, outer: &str| {
        inner
            .strip_prefix(outer)
            .is_some_and(|rest| rest.starts_with('/'))
    };
    a == b || inside(a, b) || inside(b, a)
}

fn mark_applied(repo: &Repository, run_id: &str) -> Result<(), GitError> {
    let mut reference = repo
        .find_reference(&run_ref(run_id))
        .map_err(fail(repo, "read the run's ref"))?;
    reference
        .rename(
            &applied_ref(run_id),
            true,
            &format!("autowork: run {run_id} applied"),
        )
        .map_err(fail(repo, "mark the run applied"))?;
    Ok(())
}

/// Drops a worktree run's changes: deletes `refs/autowork/runs/<run_id>`, and when the run's
/// commit is still the tip of `autowork/<worktree_name>`, moves the branch back to the
/// commit's parent and resets the worktree there (uncommitted changes in it are refused
/// with [`GitError::DirtyWorktree`] rather than lost). A later run built on top of it is left
/// alone. Discarding a run with no ref (already discarded or applied) does nothing.
pub fn discard_run(workspace: &Path, worktree_name: &str, run_id: &str) -> Result<(), GitError> {
    check_name(worktree_name)?;
    check_name(run_id)?;
    let workspace = std::path::absolute(workspace)
        .map_err(|error| GitError::io("resolve the workspace", workspace, error))?;
    let repo = open(&workspace)?;
    let run_ref = run_ref(run_id);
    let Some(commit_id) = ref_target(&repo, &run_ref)? else {
        return Ok(());
    };
    let branch_ref = format!("refs/heads/{}", worktree_branch(worktree_name));
    if ref_target(&repo, &branch_ref)? == Some(commit_id) {
        let parent = repo
            .find_commit(commit_id)
            .and_then(|commit| commit.parent_id(0))
            .map_err(fail(&repo, "read the run's base"))?;
        let path = worktree_path(&workspace, worktree_name);
        let checked_out = Repository::open(&path).ok().filter(|worktree| {
            worktree.is_worktree()
                && worktree
                    .head()
                    .is_ok_and(|head| head.name_bytes() == branch_ref.as_bytes())
        });
        match checked_out {
            Some(worktree) => {
                let dirty = uncommitted_paths(&worktree)?;
                if !dirty.is_empty() {
                    return Err(GitError::DirtyWorktree { path, paths: dirty });
                }
                reset_hard(&worktree, parent)?;
            }
            None => {
                repo.reference(
                    &branch_ref,
                    parent,
                    true,
                    &format!("autowork: discard run {run_id}"),
                )
                .map_err(fail(&repo, "move the worktree's branch"))?;
            }
        }
    }
    delete_ref(&repo, &run_ref)
}

/// Runs whose changes wait to be applied or discarded: `(run id, commit)`, by run id.
/// A run whose commit the workspace's HEAD already contains (merged by hand) is left out.
pub fn unapplied_runs(workspace: &Path) -> Result<Vec<(String, String)>, GitError> {
    let repo = open(workspace)?;
    let head: Option<Oid> = repo.head().ok().and_then(|head| head.target());
    let mut runs = Vec::new();
    let references = repo
        .references_glob(&format!("{RUN_REFS}*"))
        .map_err(fail(&repo, "list run refs"))?;
    for reference in references {
        let reference = reference.map_err(fail(&repo, "list run refs"))?;
        let (Ok(name), Some(commit)) = (reference.name(), reference.target()) else {
            continue;
        };
        let Some(run_id) = name.strip_prefix(RUN_REFS) else {
            continue;
        };
        if let Some(head) = head {
            let contained = head == commit
                || repo
                    .graph_descendant_of(head, commit)
                    .map_err(fail(&repo, "compare a run with HEAD"))?;
            if contained {
                continue;
            }
        }
        runs.push((run_id.to_owned(), commit.to_string()));
    }
    runs.sort();
    Ok(runs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_overlap_when_equal_or_nested() {
        assert!(overlaps("a/b.rs", "a/b.rs"));
        assert!(overlaps("a", "a/b.rs"));
        assert!(overlaps("a/b.rs", "a"));
        assert!(!overlaps("a/b.rs", "a/b.rsx"));
        assert!(!overlaps("ab", "a"));
    }
}
