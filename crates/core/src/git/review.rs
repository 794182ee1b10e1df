//! Change review: what a run changed, as a file list with line counts and a capped patch.

use std::path::Path;

use git2::{Delta, DiffFindOptions, DiffOptions, Oid, Patch, Repository};
use serde::{Deserialize, Serialize};
use similar::{ChangeTag, TextDiff};

use super::patch::CappedPatch;
use super::{fail, open, stage_all, GitError};
pub use crate::model::changes::{ChangeSummary, FileChange, FileChangeKind};

/// The content of a work directory at one moment, stored as a git tree.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Snapshot {
    /// The commit HEAD pointed at; None before the first commit.
    pub head: Option<String>,
    /// The tree of the files on disk (tracked and untracked, ignored ones left out).
    pub tree: String,
}

/// Records the current content of `work_dir`'s repository, untracked files included,
/// `.gitignore`d files and `.autowork/` left out, as a tree in the object database.
///
/// The real index and the working tree are not touched: the on-disk index is loaded into
/// memory, updated there (its stat cache means only changed files are read and hashed) and
/// never written back.
pub fn snapshot(work_dir: &Path) -> Result<Snapshot, GitError> {
    let repo = open(work_dir)?;
    let head = match repo.head() {
        Ok(head) => head
            .peel_to_commit()
            .ok()
            .map(|commit| commit.id().to_string()),
        Err(_) => None,
    };
    let mut index = repo.index().map_err(fail(&repo, "read the index"))?;
    stage_all(&repo, &mut index)?;
    let tree = index
        .write_tree_to(&repo)
        .map_err(fail(&repo, "write the snapshot tree"))?;
    Ok(Snapshot {
        head,
        tree: tree.to_string(),
    })
}

/// The changes from tree `before` to tree `after` (ids from [`snapshot`], or commit ids) in
/// the repository
/// containing `work_dir`, with renames detected and the patch cut at `max_patch_bytes`.
pub fn diff_trees(
    work_dir: &Path,
    before: &str,
    after: &str,
    max_patch_bytes: usize,
) -> Result<ChangeSummary, GitError> {
    let repo = open(work_dir)?;
    let before = find_tree(&repo, before)?;
    let after = find_tree(&repo, after)?;
    let mut options = DiffOptions::new();
    options.context_lines(3);
    let mut diff = repo
        .diff_tree_to_tree(Some(&before), Some(&after), Some(&mut options))
        .map_err(fail(&repo, "diff the snapshots"))?;
    let mut find = DiffFindOptions::new();
    find.renames(true);
    diff.find_similar(Some(&mut find))
        .map_err(fail(&repo, "detect renames"))?;

    let mut summary = Summary::new(max_patch_bytes);
    for index in 0..diff.deltas().len() {
        let Some(mut patch) =
            Patch::from_diff(&diff, index).map_err(fail(&repo, "compute a file's patch"))?
        else {
            continue;
        };
        let delta = patch.delta();
        let kind = match delta.status() {
            Delta::Added | Delta::Copied => FileChangeKind::Added,
            Delta::Deleted => FileChangeKind::Deleted,
            Delta::Renamed => FileChangeKind::Renamed,
            _ => FileChangeKind::Modified,
        };
        let file = match kind {
            FileChangeKind::Deleted => delta.old_file(),
            _ => delta.new_file(),
        };
        let path = lossy(file.path_bytes());
        let old_path =
            (kind == FileChangeKind::Renamed).then(|| lossy(delta.old_file().path_bytes()));
        let binary = delta.flags().is_binary();
        let (_, insertions, deletions) = patch
            .line_stats()
            .map_err(fail(&repo, "count changed lines"))?;
        let text = patch
            .to_buf()
            .map_err(fail(&repo, "print a file's patch"))?;
        summary.add(
            FileChange {
                path,
                kind,
                old_path,
                insertions: saturate(insertions),
                deletions: saturate(deletions),
                binary,
            },
            &String::from_utf8_lossy(&text),
        );
    }
    Ok(summary.finish())
}

/// The same summary for a workspace that is not a git repository, from the contents the
/// tools saw: `(path, before, after)` with None for a file that did not exist. Patches are
/// git-style (`--- a/path`, `+++ b/path`, `/dev/null` for a missing side, 3 context lines).
pub fn diff_texts(
    changes: &[(String, Option<String>, Option<String>)],
    max_patch_bytes: usize,
) -> ChangeSummary {
    let mut summary = Summary::new(max_patch_bytes);
    for (path, before, after) in changes {
        let kind = match (before, after) {
            (None, Some(_)) => FileChangeKind::Added,
            (Some(_), None) => FileChangeKind::Deleted,
            (Some(before), Some(after)) if before != after => FileChangeKind::Modified,
            _ => continue,
        };
        let old = before.as_deref().unwrap_or("");
        let new = after.as_deref().unwrap_or("");
        let mut text = format!("diff --git a/{path} b/{path}\n");
        match kind {
            FileChangeKind::Added => text.push_str("new file mode 100644\n"),
            FileChangeKind::Deleted => text.push_str("deleted file mode 100644\n"),
            _ => {}
        }
        let binary = old.contains('\0') || new.contains('\0');
        let (mut insertions, mut deletions) = (0, 0);
        if binary {
            text.push_str(&format!("Binary files a/{path} and b/{path} differ\n"));
        } else {
            let diff = TextDiff::from_lines(old, new);
            for change in diff.iter_all_changes() {
                match change.tag() {
                    ChangeTag::Insert => insertions += 1,
                    ChangeTag::Delete => deletions += 1,
                    ChangeTag::Equal => {}
                }
            }
            let from = match kind {
                FileChangeKind::Added => "/dev/null".to_owned(),
                _ => format!("a/{path}"),
            };
            let to = match kind {
                FileChangeKind::Deleted => "/dev/null".to_owned(),
                _ => format!("b/{path}"),
            };
            text.push_str(
                &diff
                    .unified_diff()
                    .context_radius(3)
                    .header(&from, &to)
                    .to_string(),
            );
        }
        summary.add(
            FileChange {
                path: path.clone(),
                kind,
                old_path: None,
                insertions,
                deletions,
                binary,
            },
            &text,
        );
    }
    summary.finish()
}

/// Adds up files and their patches; both diff functions build their summary through it.
struct Summary {
    files: Vec<FileChange>,
    patch: CappedPatch,
}

impl Summary {
    fn new(max_patch_bytes: usize) -> Self {
        Self {
            files: Vec::new(),
            patch: CappedPatch::new(max_patch_bytes),
        }
    }

    fn add(&mut self, file: FileChange, patch: &str) {
        self.patch.push(patch);
        self.files.push(file);
    }

    fn finish(self) -> ChangeSummary {
        let (patch, truncated) = self.patch.finish();
        let sum = |count: fn(&FileChange) -> u32| {
            self.files
                .iter()
                .fold(0u32, |total, file| total.saturating_add(count(file)))
        };
        ChangeSummary {
            files_changed: saturate(self.files.len()),
            insertions: sum(|file| file.insertions),
            deletions: sum(|file| file.deletions),
            files: self.files,
            patch,
            truncated,
        }
    }
}

/// A tree by its id, or the tree of a commit by the commit's id.
fn find_tree<'r>(repo: &'r Repository, id: &str) -> Result<git2::Tree<'r>, GitError> {
    let oid = Oid::from_str(id)
        .map_err(|_| GitError::git("read a snapshot", format!("`{id}` is not an object id")))?;
    repo.find_object(oid, None)
        .and_then(|object| object.peel_to_tree())
        .map_err(fail(repo, "read a snapshot tree"))
}

fn lossy(bytes: Option<&[u8]>) -> String {
    String::from_utf8_lossy(bytes.unwrap_or_default()).into_owned()
}

fn saturate(count: usize) -> u32 {
    u32::try_from(count).unwrap_or(u32::MAX)
}
