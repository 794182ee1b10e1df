//! Worktree placement and change review against real repositories in temp dirs.

use std::path::{Path, PathBuf};

use autowork_core::git::{self, ApplyOutcome, FileChange, FileChangeKind, GitError, RemoveOutcome};
use git2::{BranchType, Oid, Repository, StatusOptions};
use pretty_assertions::assert_eq;
use tempfile::TempDir;

/// A workspace repository with one commit (`a.txt`, `b.txt`, a `.gitignore` for `*.log`).
struct Workspace {
    _dir: TempDir,
    root: PathBuf,
    repo: Repository,
}

impl Workspace {
    fn new() -> Self {
        let workspace = Self::empty();
        workspace.write("a.txt", "one\ntwo\nthree\n");
        workspace.write("b.txt", "bee\n");
        workspace.write(".gitignore", "*.log\n");
        workspace.commit_all("initial");
        workspace
    }

    fn empty() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().canonicalize().unwrap();
        let repo = Repository::init(&root).unwrap();
        let mut config = repo.config().unwrap();
        config.set_str("user.name", "Test User").unwrap();
        config.set_str("user.email", "test@example.com").unwrap();
        Self {
            _dir: dir,
            root,
            repo,
        }
    }

    fn write(&self, relative: &str, content: &str) {
        write(&self.root, relative, content);
    }

    fn read(&self, relative: &str) -> String {
        std::fs::read_to_string(self.root.join(relative)).unwrap()
    }

    fn commit_all(&self, message: &str) -> Oid {
        commit_all(&self.repo, message)
    }

    fn head(&self) -> Oid {
        self.repo.head().unwrap().target().unwrap()
    }

    /// `git status --porcelain`, roughly: every path that is not clean.
    fn status(&self) -> Vec<String> {
        status(&self.repo)
    }
}

fn write(root: &Path, relative: &str, content: &str) {
    let path = root.join(relative);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, content).unwrap();
}

fn commit_all(repo: &Repository, message: &str) -> Oid {
    let commit = super::support::git_commit_all(repo.workdir().unwrap(), message);
    Oid::from_str(&commit).unwrap()
}

fn status(repo: &Repository) -> Vec<String> {
    let mut options = StatusOptions::new();
    options.include_untracked(true).recurse_untracked_dirs(true);
    repo.statuses(Some(&mut options))
        .unwrap()
        .iter()
        .map(|entry| {
            let status = format!("{:?}", entry.status());
            let status = status.trim_start_matches("Status(").trim_end_matches(')');
            format!("{status} {}", entry.path().unwrap())
        })
        .collect()
}

fn branch_tip(repo: &Repository, branch: &str) -> Option<Oid> {
    repo.find_branch(branch, BranchType::Local)
        .ok()
        .and_then(|branch| branch.get().target())
}

fn worktree_head(path: &Path) -> Oid {
    Repository::open(path)
        .unwrap()
        .head()
        .unwrap()
        .target()
        .unwrap()
}

/// A worktree `name` with one committed run that rewrites `a.txt` to `content`.
fn run_in_worktree(ws: &Workspace, name: &str, run_id: &str, content: &str) -> git::RunCommit {
    let prepared = git::prepare_worktree(&ws.root, name, false).unwrap();
    write(&prepared.path, "a.txt", content);
    git::commit_worktree(&prepared.path, run_id, &format!("autowork: {run_id}"))
        .unwrap()
        .expect("the run changed a file")
}

#[test]
fn worktree_is_created_on_first_use_at_the_workspace_head() {
    let ws = Workspace::new();
    let prepared = git::prepare_worktree(&ws.root, "docs", true).unwrap();

    assert_eq!(prepared.path, ws.root.join(".autowork/worktrees/docs"));
    assert_eq!(prepared.branch, "autowork/docs");
    assert_eq!(prepared.base, ws.head().to_string());
    assert!(prepared.created);
    assert_eq!(
        std::fs::read_to_string(prepared.path.join("a.txt")).unwrap(),
        "one\ntwo\nthree\n"
    );
    assert_eq!(branch_tip(&ws.repo, "autowork/docs"), Some(ws.head()));
    assert_eq!(worktree_head(&prepared.path), ws.head());
    assert_eq!(
        ws.status(),
        Vec::<String>::new(),
        ".autowork/ is excluded, so the workspace stays clean"
    );
    assert_eq!(
        ws.read(".gitignore"),
        "*.log\n",
        "the user's .gitignore is untouched"
    );

    let again = git::prepare_worktree(&ws.root, "docs", true).unwrap();
    assert!(!again.created, "the second run reuses the worktree");
    let exclude = std::fs::read_to_string(ws.repo.path().join("info/exclude")).unwrap();
    assert_eq!(
        exclude
            .lines()
            .filter(|line| *line == "/.autowork/")
            .count(),
        1,
        "the exclude line is added once: {exclude}"
    );
}

#[test]
fn continue_run_keeps_the_branch_where_the_last_run_left_it() {
    let ws = Workspace::new();
    let run = run_in_worktree(&ws, "docs", "run-1", "changed\n");
    ws.write("b.txt", "moved on\n");
    ws.commit_all("workspace moves on");

    let prepared = git::prepare_worktree(&ws.root, "docs", false).unwrap();
    assert!(!prepared.created);
    assert_eq!(prepared.base, run.commit);
    assert_eq!(
        std::fs::read_to_string(prepared.path.join("a.txt")).unwrap(),
        "changed\n"
    );
}

#[test]
fn fresh_run_resets_to_the_workspace_head_but_never_resets_uncommitted_work_away() {
    let ws = Workspace::new();
    let run = run_in_worktree(&ws, "docs", "run-1", "changed\n");
    let path = git::worktree_path(&ws.root, "docs");
    write(&path, "junk.txt", "junk");
    write(&path, "junk/deep/file.txt", "junk");
    write(&path, "junk/kept.log", "ignored files survive");
    write(&path, "b.txt", "uncommitted edit");
    ws.write("b.txt", "moved on\n");
    let moved = ws.commit_all("workspace moves on");

    let refused = git::prepare_worktree(&ws.root, "docs", true).unwrap_err();
    let GitError::DirtyWorktree { paths, .. } = &refused else {
        panic!("expected a dirty worktree: {refused:?}");
    };
    assert_eq!(
        paths,
        &vec![
            "b.txt".to_owned(),
            "junk.txt".to_owned(),
            "junk/deep/file.txt".to_owned()
        ]
    );
    assert!(refused.to_string().contains("did not finish"), "{refused}");
    let read = |relative: &str| std::fs::read_to_string(path.join(relative)).ok();
    assert_eq!(
        read("b.txt").as_deref(),
        Some("uncommitted edit"),
        "nothing lost"
    );

    // Once the user cleaned up, the fresh run starts at the workspace's HEAD.
    std::fs::remove_file(path.join("junk.txt")).unwrap();
    std::fs::remove_dir_all(path.join("junk/deep")).unwrap();
    write(&path, "b.txt", "bee\n");
    let prepared = git::prepare_worktree(&ws.root, "docs", true).unwrap();
    assert_eq!(prepared.base, moved.to_string());
    assert_eq!(branch_tip(&ws.repo, "autowork/docs"), Some(moved));
    assert_eq!(read("a.txt").as_deref(), Some("one\ntwo\nthree\n"));
    assert_eq!(read("b.txt").as_deref(), Some("moved on\n"));
    assert_eq!(
        read("junk/kept.log").as_deref(),
        Some("ignored files survive")
    );
    assert!(
        ws.repo.find_commit(run.commit.parse().unwrap()).is_ok()
            && git::unapplied_runs(&ws.root).unwrap() == vec![("run-1".into(), run.commit)],
        "the earlier run's commit survives the reset"
    );
}

#[test]
fn worktree_deleted_by_hand_is_recreated() {
    let ws = Workspace::new();
    let first = git::prepare_worktree(&ws.root, "docs", false).unwrap();
    std::fs::remove_dir_all(&first.path).unwrap();

    let second = git::prepare_worktree(&ws.root, "docs", false).unwrap();
    assert!(second.created);
    assert_eq!(second.base, ws.head().to_string());
    assert!(second.path.join("a.txt").exists());
    assert_eq!(worktree_head(&second.path), ws.head());
}

#[test]
fn two_worktrees_of_one_repository_live_side_by_side() {
    let ws = Workspace::new();
    let one = run_in_worktree(&ws, "one", "run-1", "from one\n");
    let two = run_in_worktree(&ws, "two", "run-2", "from two\n");

    assert_eq!(
        branch_tip(&ws.repo, "autowork/one"),
        Some(one.commit.parse().unwrap())
    );
    assert_eq!(
        branch_tip(&ws.repo, "autowork/two"),
        Some(two.commit.parse().unwrap())
    );
    let read = |name: &str| {
        std::fs::read_to_string(git::worktree_path(&ws.root, name).join("a.txt")).unwrap()
    };
    assert_eq!(
        (read("one"), read("two")),
        ("from one\n".into(), "from two\n".into())
    );
    assert_eq!(
        git::unapplied_runs(&ws.root).unwrap(),
        vec![("run-1".into(), one.commit), ("run-2".into(), two.commit)]
    );
    assert_eq!(ws.status(), Vec::<String>::new());
}

#[test]
fn repository_without_commits_is_refused_with_advice() {
    let ws = Workspace::empty();
    let error = git::prepare_worktree(&ws.root, "docs", true).unwrap_err();
    assert_eq!(
        error,
        GitError::NoCommits {
            path: ws.root.clone()
        }
    );
    assert!(error
        .to_string()
        .contains("commit once before using worktree placement"));
}

#[test]
fn plain_directories_are_not_repositories() {
    let dir = tempfile::tempdir().unwrap();
    assert!(!git::is_repository(dir.path()));
    assert!(matches!(
        git::prepare_worktree(dir.path(), "docs", true),
        Err(GitError::NotARepository { .. })
    ));

    let ws = Workspace::new();
    ws.write("sub/dir/file.txt", "x");
    assert!(git::is_repository(&ws.root.join("sub/dir")));
    assert_eq!(
        git::repository_root(&ws.root.join("sub/dir")).unwrap(),
        ws.root
    );
}

#[test]
fn snapshot_diff_reports_modified_added_and_deleted_files() {
    let ws = Workspace::new();
    let before = git::snapshot(&ws.root).unwrap();
    ws.write("a.txt", "one\nTWO\nthree\nfour\n");
    ws.write("new/file.txt", "fresh\n");
    ws.write("debug.log", "ignored\n");
    std::fs::remove_file(ws.root.join("b.txt")).unwrap();
    let after = git::snapshot(&ws.root).unwrap();
    assert_eq!(before.head, Some(ws.head().to_string()));

    let summary = git::diff_trees(&ws.root, &before.tree, &after.tree, 100_000).unwrap();
    let file = |path: &str, kind, insertions, deletions| FileChange {
        path: path.into(),
        kind,
        old_path: None,
        insertions,
        deletions,
        binary: false,
    };
    assert_eq!(
        summary.files,
        vec![
            file("a.txt", FileChangeKind::Modified, 2, 1),
            file("b.txt", FileChangeKind::Deleted, 0, 1),
            file("new/file.txt", FileChangeKind::Added, 1, 0),
        ],
        "untracked files count, ignored ones do not"
    );
    assert_eq!(
        (summary.files_changed, summary.insertions, summary.deletions),
        (3, 3, 2)
    );
    assert!(!summary.truncated);
    assert!(
        summary.patch.contains("--- a/a.txt\n+++ b/a.txt\n")
            && summary.patch.contains("-two\n+TWO\n")
            && summary
                .patch
                .contains("+++ b/new/file.txt\n@@ -0,0 +1 @@\n+fresh\n"),
        "{}",
        summary.patch
    );
}

#[test]
fn snapshot_diff_detects_renames() {
    let ws = Workspace::new();
    let text: String = (0..40).map(|line| format!("line {line}\n")).collect();
    ws.write("old_name.txt", &text);
    ws.commit_all("add a file to rename");
    let before = git::snapshot(&ws.root).unwrap();
    std::fs::rename(ws.root.join("old_name.txt"), ws.root.join("new_name.txt")).unwrap();
    let after = git::snapshot(&ws.root).unwrap();

    let summary = git::diff_trees(&ws.root, &before.tree, &after.tree, 100_000).unwrap();
    assert_eq!(
        summary.files,
        vec![FileChange {
            path: "new_name.txt".into(),
            kind: FileChangeKind::Renamed,
            old_path: Some("old_name.txt".into()),
            insertions: 0,
            deletions: 0,
            binary: false,
        }]
    );
    assert!(summary
        .patch
        .contains("rename from old_name.txt\nrename to new_name.txt\n"));
}

#[test]
fn snapshot_diff_marks_binary_files() {
    let ws = Workspace::new();
    let before = git::snapshot(&ws.root).unwrap();
    std::fs::write(ws.root.join("image.bin"), [0u8, 159, 146, 150, 0, 1, 2]).unwrap();
    let after = git::snapshot(&ws.root).unwrap();

    let summary = git::diff_trees(&ws.root, &before.tree, &after.tree, 100_000).unwrap();
    assert_eq!(
        summary.files,
        vec![FileChange {
            path: "image.bin".into(),
            kind: FileChangeKind::Added,
            old_path: None,
            insertions: 0,
            deletions: 0,
            binary: true,
        }]
    );
    assert!(summary.patch.contains("Binary files"), "{}", summary.patch);
}

#[test]
fn long_patches_are_cut_on_a_line_boundary() {
    let ws = Workspace::new();
    let before = git::snapshot(&ws.root).unwrap();
    let text: String = (0..500)
        .map(|line| format!("line number {line}\n"))
        .collect();
    ws.write("big.txt", &text);
    let after = git::snapshot(&ws.root).unwrap();

    let full = git::diff_trees(&ws.root, &before.tree, &after.tree, usize::MAX).unwrap();
    let cut = git::diff_trees(&ws.root, &before.tree, &after.tree, 1000).unwrap();
    assert!(!full.truncated);
    assert!(cut.truncated);
    assert!(
        cut.patch.len() <= 1000 && cut.patch.len() > 900,
        "{}",
        cut.patch.len()
    );
    assert!(cut.patch.ends_with('\n'));
    assert!(full.patch.starts_with(&cut.patch));
    assert_eq!(
        (cut.files, cut.insertions),
        (full.files, 500),
        "counts cover the whole change even when the patch is cut"
    );
}

#[test]
fn snapshot_of_an_unchanged_workspace_is_stable_and_leaves_the_index_alone() {
    let ws = Workspace::new();
    ws.write("untracked.txt", "not added\n");
    ws.write("a.txt", "unstaged edit\n");
    let index_before = std::fs::read(ws.repo.path().join("index")).unwrap();
    let status_before = ws.status();

    let first = git::snapshot(&ws.root).unwrap();
    let second = git::snapshot(&ws.root).unwrap();
    assert_eq!(first, second, "nothing changed, so the same tree");
    assert_eq!(
        std::fs::read(ws.repo.path().join("index")).unwrap(),
        index_before
    );
    assert_eq!(ws.status(), status_before);
    assert_eq!(
        status_before,
        vec![
            "WT_MODIFIED a.txt".to_owned(),
            "WT_NEW untracked.txt".to_owned()
        ]
    );
}

#[test]
fn diff_texts_summarises_changes_outside_git() {
    let changes = vec![
        ("new.txt".to_owned(), None, Some("hello\n".to_owned())),
        (
            "edit.txt".to_owned(),
            Some("a\nb\nc\n".to_owned()),
            Some("a\nB\nc\n".to_owned()),
        ),
        ("gone.txt".to_owned(), Some("bye\n".to_owned()), None),
        (
            "same.txt".to_owned(),
            Some("x\n".to_owned()),
            Some("x\n".to_owned()),
        ),
    ];
    let summary = git::diff_texts(&changes, 100_000);
    let file = |path: &str, kind, insertions, deletions| FileChange {
        path: path.into(),
        kind,
        old_path: None,
        insertions,
        deletions,
        binary: false,
    };
    assert_eq!(
        summary.files,
        vec![
            file("new.txt", FileChangeKind::Added, 1, 0),
            file("edit.txt", FileChangeKind::Modified, 1, 1),
            file("gone.txt", FileChangeKind::Deleted, 0, 1),
        ]
    );
    assert_eq!(
        (summary.files_changed, summary.insertions, summary.deletions),
        (3, 2, 2)
    );
    assert_eq!(
        summary.patch,
        "diff --git a/new.txt b/new.txt\nnew file mode 100644\n--- /dev/null\n+++ b/new.txt\n\
         @@ -0,0 +1 @@\n+hello\n\
         diff --git a/edit.txt b/edit.txt\n--- a/edit.txt\n+++ b/edit.txt\n\
         @@ -1,3 +1,3 @@\n a\n-b\n+B\n c\n\
         diff --git a/gone.txt b/gone.txt\ndeleted file mode 100644\n--- a/gone.txt\n\
         +++ /dev/null\n@@ -1 +0,0 @@\n-bye\n"
    );
    let cut = git::diff_texts(&changes, 60);
    assert!(cut.truncated && cut.patch.len() <= 60 && cut.patch.ends_with('\n'));
}

#[test]
fn commit_worktree_returns_none_when_nothing_changed() {
    let ws = Workspace::new();
    let prepared = git::prepare_worktree(&ws.root, "docs", true).unwrap();
    assert_eq!(
        git::commit_worktree(&prepared.path, "run-1", "nothing").unwrap(),
        None
    );
    assert_eq!(git::unapplied_runs(&ws.root).unwrap(), vec![]);
    assert_eq!(worktree_head(&prepared.path), ws.head());
}

#[test]
fn commit_worktree_records_deletions_and_untracked_files() {
    let ws = Workspace::new();
    let prepared = git::prepare_worktree(&ws.root, "docs", true).unwrap();
    std::fs::remove_file(prepared.path.join("b.txt")).unwrap();
    write(&prepared.path, "notes/new.md", "new\n");
    write(&prepared.path, "trace.log", "ignored\n");
    let run = git::commit_worktree(&prepared.path, "run-1", "docs run")
        .unwrap()
        .unwrap();

    assert_eq!(run.base, ws.head().to_string());
    let commit = ws.repo.find_commit(run.commit.parse().unwrap()).unwrap();
    assert_eq!(
        commit.author().name().unwrap(),
        "Test User",
        "the repository's identity"
    );
    let tree = commit.tree().unwrap();
    assert!(tree.get_path(Path::new("notes/new.md")).is_ok());
    assert!(tree.get_path(Path::new("b.txt")).is_err());
    assert!(tree.get_path(Path::new("trace.log")).is_err());
    assert_eq!(
        ws.repo
            .find_reference("refs/autowork/runs/run-1")
            .unwrap()
            .target(),
        Some(commit.id())
    );
    assert_eq!(
        status(&Repository::open(&prepared.path).unwrap()),
        Vec::<String>::new(),
        "the worktree is clean after the commit"
    );
}

#[test]
fn apply_run_cherry_picks_onto_the_workspace_branch() {
    let ws = Workspace::new();
    let run = run_in_worktree(&ws, "docs", "run-1", "one\ntwo\nthree\nfour\n");
    // The workspace moved on meanwhile, elsewhere; and the user has an unrelated edit.
    ws.write("b.txt", "moved on\n");
    let moved = ws.commit_all("workspace moves on");
    ws.write(".gitignore", "*.log\n*.tmp\n");
    let branch = ws.repo.head().unwrap().name().unwrap().to_owned();

    let outcome = git::apply_run(&ws.root, "run-1").unwrap();
    let ApplyOutcome::Applied { commit, files } = outcome else {
        panic!("expected Applied, got {outcome:?}");
    };
    assert_eq!(files, vec!["a.txt".to_owned()]);
    assert_eq!(ws.read("a.txt"), "one\ntwo\nthree\nfour\n");
    assert_eq!(
        ws.read(".gitignore"),
        "*.log\n*.tmp\n",
        "the unrelated edit stays"
    );
    assert_eq!(ws.repo.head().unwrap().name().unwrap(), branch);
    assert_eq!(ws.head().to_string(), commit);
    let applied = ws.repo.find_commit(ws.head()).unwrap();
    assert_eq!(applied.parent_id(0).unwrap(), moved);
    assert_eq!(applied.message().unwrap(), "autowork: run-1");
    assert_ne!(
        commit, run.commit,
        "a new commit on top of the workspace's branch"
    );
    assert_eq!(ws.status(), vec!["WT_MODIFIED .gitignore".to_owned()]);
    assert_eq!(git::unapplied_runs(&ws.root).unwrap(), vec![]);
    assert_eq!(
        git::apply_run(&ws.root, "run-1").unwrap(),
        ApplyOutcome::AlreadyApplied
    );
}

#[test]
fn apply_run_with_a_conflict_changes_nothing() {
    let ws = Workspace::new();
    let run = run_in_worktree(&ws, "docs", "run-1", "ONE from the run\ntwo\nthree\n");
    ws.write("a.txt", "one from the user\ntwo\nthree\n");
    let head = ws.commit_all("user edits the same line");

    let outcome = git::apply_run(&ws.root, "run-1").unwrap();
    let ApplyOutcome::Conflict { paths, message } = outcome else {
        panic!("expected Conflict, got {outcome:?}");
    };
    assert_eq!(paths, vec!["a.txt".to_owned()]);
    assert!(message.contains("nothing was changed"), "{message}");
    assert_eq!(ws.head(), head);
    assert_eq!(ws.read("a.txt"), "one from the user\ntwo\nthree\n");
    assert_eq!(ws.status(), Vec::<String>::new());
    assert_eq!(
        git::unapplied_runs(&ws.root).unwrap(),
        vec![("run-1".into(), run.commit)],
        "the run still waits"
    );
}

#[test]
fn apply_run_over_uncommitted_edits_to_the_same_file_changes_nothing() {
    let ws = Workspace::new();
    run_in_worktree(&ws, "docs", "run-1", "one\ntwo\nthree\nfour\n");
    ws.write("a.txt", "the user's unsaved work\n");
    let head = ws.head();

    let outcome = git::apply_run(&ws.root, "run-1").unwrap();
    let ApplyOutcome::LocalChanges { paths, message } = outcome else {
        panic!("expected LocalChanges, got {outcome:?}");
    };
    assert_eq!(paths, vec!["a.txt".to_owned()]);
    assert!(message.contains("commit or stash"), "{message}");
    assert_eq!(ws.read("a.txt"), "the user's unsaved work\n");
    assert_eq!(ws.head(), head);
    assert_eq!(git::unapplied_runs(&ws.root).unwrap().len(), 1);
}

#[test]
fn apply_run_refuses_while_another_git_process_holds_the_index() {
    let ws = Workspace::new();
    run_in_worktree(&ws, "docs", "run-1", "changed\n");
    let lock = ws.repo.path().join("index.lock");
    std::fs::write(&lock, "").unwrap();

    let error = git::apply_run(&ws.root, "run-1").unwrap_err();
    assert_eq!(
        error,
        GitError::Locked {
            path: ws.root.clone(),
            lock_file: lock.clone()
        }
    );
    assert!(error.to_string().contains("index.lock"), "{error}");
    assert_eq!(ws.read("a.txt"), "one\ntwo\nthree\n");
}

#[test]
fn discard_run_drops_its_changes_from_the_worktree() {
    let ws = Workspace::new();
    let run = run_in_worktree(&ws, "docs", "run-1", "changed\n");
    let path = git::worktree_path(&ws.root, "docs");

    git::discard_run(&ws.root, "docs", "run-1").unwrap();
    assert_eq!(git::unapplied_runs(&ws.root).unwrap(), vec![]);
    assert_eq!(
        branch_tip(&ws.repo, "autowork/docs"),
        Some(run.base.parse().unwrap())
    );
    assert_eq!(
        std::fs::read_to_string(path.join("a.txt")).unwrap(),
        "one\ntwo\nthree\n"
    );
    assert_eq!(
        git::apply_run(&ws.root, "run-1").unwrap_err(),
        GitError::RunNotFound {
            run_id: "run-1".into()
        }
    );
    git::discard_run(&ws.root, "docs", "run-1").unwrap();
}

#[test]
fn remove_worktree_keeps_unapplied_work_and_removes_the_rest() {
    let ws = Workspace::new();
    run_in_worktree(&ws, "docs", "run-1", "changed\n");
    let path = git::worktree_path(&ws.root, "docs");
    let runs = vec!["run-1".to_owned()];

    let kept = git::remove_worktree(&ws.root, "docs", &runs).unwrap();
    assert!(
        matches!(&kept, RemoveOutcome::Kept { unapplied, .. } if *unapplied == runs),
        "{kept:?}"
    );
    assert!(path.exists());
    assert!(branch_tip(&ws.repo, "autowork/docs").is_some());

    assert!(matches!(
        git::apply_run(&ws.root, "run-1").unwrap(),
        ApplyOutcome::Applied { .. }
    ));
    assert_eq!(
        git::remove_worktree(&ws.root, "docs", &runs).unwrap(),
        RemoveOutcome::Removed
    );
    assert!(!path.exists());
    assert!(
        !ws.root.join(".autowork").exists(),
        "no empty directories left behind"
    );
    assert_eq!(branch_tip(&ws.repo, "autowork/docs"), None);
    assert_eq!(ws.repo.worktrees().unwrap().len(), 0);
    assert_eq!(
        ws.repo.references_glob("refs/autowork/*").unwrap().count(),
        0
    );
    assert_eq!(ws.read("a.txt"), "changed\n", "the applied change stays");
    assert_eq!(
        git::remove_worktree(&ws.root, "docs", &runs).unwrap(),
        RemoveOutcome::Removed,
        "removing twice is fine"
    );
}

#[test]
fn remove_worktree_keeps_a_worktree_with_uncommitted_changes() {
    let ws = Workspace::new();
    let prepared = git::prepare_worktree(&ws.root, "docs", true).unwrap();
    write(&prepared.path, "draft.md", "half done\n");

    let kept = git::remove_worktree(&ws.root, "docs", &[]).unwrap();
    assert!(
        matches!(&kept, RemoveOutcome::Kept { unapplied, message }
            if unapplied.is_empty() && message.contains("draft.md")),
        "{kept:?}"
    );
    assert!(prepared.path.join("draft.md").exists());
}

#[test]
fn a_follow_up_on_a_pending_run_commits_both_on_its_base_and_takes_its_place() {
    let ws = Workspace::new();
    let parent = run_in_worktree(&ws, "docs", "run-1", "parent\n");
    // Another run moved the branch meanwhile; the follow-up still starts on run-1's commit.
    let prepared = git::prepare_worktree(&ws.root, "docs", true).unwrap();
    assert_eq!(prepared.base, ws.head().to_string());
    let on_parent = git::prepare_worktree_on_run(&ws.root, "docs", "run-1")
        .unwrap()
        .expect("run-1's commit waits");
    assert_eq!(on_parent.base, parent.commit);
    assert_eq!(
        std::fs::read_to_string(on_parent.path.join("a.txt")).unwrap(),
        "parent\n"
    );

    write(&on_parent.path, "c.txt", "follow-up\n");
    let follow_up = git::commit_follow_up(&on_parent.path, "run-2", "more", "run-1")
        .unwrap()
        .expect("the follow-up changed a file");
    assert_eq!(follow_up.base, parent.base, "made on the parent's base");
    assert_eq!(follow_up.superseded.as_deref(), Some("run-1"));
    let pending: Vec<String> = git::unapplied_runs(&ws.root)
        .unwrap()
        .into_iter()
        .map(|(run, _)| run)
        .collect();
    assert_eq!(pending, vec!["run-2"], "run-1 is held by run-2 now");
    assert_eq!(
        git::prepare_worktree_on_run(&ws.root, "docs", "run-1").unwrap(),
        None,
        "nothing of run-1 is left to continue on its own"
    );

    let ApplyOutcome::Applied { files, .. } = git::apply_run(&ws.root, "run-2").unwrap() else {
        panic!("not applied");
    };
    assert_eq!(files, vec!["a.txt", "c.txt"]);
}

#[test]
fn a_follow_up_that_started_elsewhere_commits_on_its_own() {
    let ws = Workspace::new();
    run_in_worktree(&ws, "docs", "run-1", "parent\n");
    // The worktree was reset to HEAD (the parent applied, say): HEAD is not run-1's commit.
    let prepared = git::prepare_worktree(&ws.root, "docs", true).unwrap();
    write(&prepared.path, "c.txt", "follow-up\n");
    let follow_up = git::commit_follow_up(&prepared.path, "run-2", "more", "run-1")
        .unwrap()
        .unwrap();
    assert_eq!(follow_up.base, ws.head().to_string());
    assert_eq!(follow_up.superseded, None);
    assert_eq!(git::unapplied_runs(&ws.root).unwrap().len(), 2);
}
