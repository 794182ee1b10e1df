//! Worktree placement and change review through the engine, on real git repositories:
//! where runs work, what they changed, apply, discard, and cleanup on delete.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use autowork_core::changes::{ChangeSource, Review, RunChanges};
use autowork_core::definition::Automation;
use autowork_core::executor::Outcome;
use autowork_core::git::{ApplyOutcome, FileChangeKind};
use autowork_core::ledger::{Attendance, Run, RunState, StopReason};
use autowork_core::{ApiError, Error};
use pretty_assertions::assert_eq;
use serde_json::{json, Value};

use super::agent::AgentEnv;
use super::support::*;

/// A workspace that is a git repository with `a.txt` and `b.txt` committed.
async fn repo_env() -> TestEnv {
    let env = TestEnv::new().await;
    std::fs::write(env.workspace.join("a.txt"), "one\ntwo\nthree\n").unwrap();
    std::fs::write(env.workspace.join("b.txt"), "bee\n").unwrap();
    git_init(&env.workspace);
    env
}

async fn automation(env: &TestEnv, changes: Value) -> Automation {
    let mut definition = env.definition();
    for (key, value) in changes.as_object().unwrap() {
        definition[key] = value.clone();
    }
    env.engine.create_automation(&definition).await.unwrap()
}

fn in_worktree(name: &str) -> Value {
    json!({"placement": {"kind": "worktree", "name": name}})
}

async fn run_to_end(env: &TestEnv, automation: &Automation) -> Run {
    let run = env
        .engine
        .run_now(&automation.id, Attendance::Attended)
        .await
        .unwrap();
    wait_for_state(&env.engine, &run.id, RunState::Succeeded).await
}

/// Each run writes `files` (path, content) into its work directory and remembers where it
/// worked.
fn writes(
    env: &TestEnv,
    files: &'static [(&'static str, &'static str)],
) -> Arc<Mutex<Vec<PathBuf>>> {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    env.executor.script(move |ctx, _| {
        let log = log.clone();
        async move {
            log.lock().unwrap().push(ctx.work_dir.clone());
            for (path, content) in files {
                std::fs::write(ctx.work_dir.join(path), content).unwrap();
            }
            Outcome::Succeeded {
                result: "done".into(),
            }
        }
    });
    seen
}

fn read(dir: &Path, path: &str) -> String {
    std::fs::read_to_string(dir.join(path)).unwrap()
}

/// Paths that are not clean in the repository at `dir`.
fn dirty(dir: &Path) -> Vec<String> {
    let repo = git2::Repository::open(dir).unwrap();
    let mut options = git2::StatusOptions::new();
    options.include_untracked(true);
    let statuses = repo.statuses(Some(&mut options)).unwrap();
    statuses
        .iter()
        .filter_map(|s| s.path().ok().map(str::to_owned))
        .collect()
}

/// The changed files with their kinds.
fn file_kinds(changes: &RunChanges) -> Vec<(&str, FileChangeKind)> {
    changes
        .summary
        .files
        .iter()
        .map(|f| (f.path.as_str(), f.kind))
        .collect()
}

fn branch_exists(dir: &Path, name: &str) -> bool {
    let repo = git2::Repository::open(dir).unwrap();
    let found = repo.find_branch(name, git2::BranchType::Local).is_ok();
    found
}

#[tokio::test]
async fn a_worktree_run_works_apart_and_its_changes_wait_for_review() {
    let env = repo_env().await;
    let automation = automation(&env, in_worktree("fix")).await;
    let seen = writes(
        &env,
        &[("a.txt", "one\nTWO\nthree\n"), ("new.txt", "fresh\n")],
    );
    let run = run_to_end(&env, &automation).await;

    let worktree = env.workspace.join(".autowork/worktrees/fix");
    let worktree = worktree.canonicalize().unwrap();
    assert_eq!(seen.lock().unwrap().clone(), vec![worktree.clone()]);
    assert_eq!(run.writer_key, automation.writer_key());
    assert_eq!(
        read(&env.workspace, "a.txt"),
        "one\ntwo\nthree\n",
        "the workspace is untouched"
    );
    assert_eq!(
        dirty(&env.workspace),
        Vec::<String>::new(),
        ".autowork is ignored"
    );
    assert!(branch_exists(&env.workspace, "autowork/fix"));

    let changes = env.engine.run_changes(&run.id).await.unwrap().unwrap();
    assert_eq!(changes.source, ChangeSource::Git);
    assert_eq!(
        file_kinds(&changes),
        vec![
            ("a.txt", FileChangeKind::Modified),
            ("new.txt", FileChangeKind::Added)
        ]
    );
    assert_eq!(
        (changes.summary.insertions, changes.summary.deletions),
        (2, 1)
    );
    assert!(
        changes.summary.patch.contains("+TWO"),
        "{}",
        changes.summary.patch
    );
    let review = changes.worktree.unwrap();
    assert_eq!(review.branch, "autowork/fix");
    assert_eq!(review.review, Review::Pending);
    assert!(review.commit.is_some());
}

#[tokio::test]
async fn each_fresh_run_starts_from_the_workspace_head() {
    let env = repo_env().await;
    let automation = automation(&env, in_worktree("fix")).await;
    writes(&env, &[("a.txt", "changed by run 1\n")]);
    run_to_end(&env, &automation).await;

    // The user moves on meanwhile; the next run sees their commit, not run 1's edit.
    std::fs::write(env.workspace.join("b.txt"), "bee by the user\n").unwrap();
    git_commit_all(&env.workspace, "user work");
    let observed = Arc::new(Mutex::new(None));
    let log = observed.clone();
    env.executor.script(move |ctx, _| {
        let log = log.clone();
        async move {
            *log.lock().unwrap() =
                Some((read(&ctx.work_dir, "a.txt"), read(&ctx.work_dir, "b.txt")));
            Outcome::Succeeded {
                result: "looked".into(),
            }
        }
    });
    let second = run_to_end(&env, &automation).await;
    assert_eq!(
        observed.lock().unwrap().clone(),
        Some((
            "one\ntwo\nthree\n".to_owned(),
            "bee by the user\n".to_owned()
        ))
    );
    let changes = env.engine.run_changes(&second.id).await.unwrap().unwrap();
    assert_eq!(changes.summary.files_changed, 0);
    assert_eq!(changes.worktree.unwrap().review, Review::Empty);
}

#[tokio::test]
async fn apply_brings_a_run_to_the_workspace_branch_once() {
    let env = repo_env().await;
    let automation = automation(&env, in_worktree("fix")).await;
    writes(&env, &[("a.txt", "one\nTWO\nthree\n")]);
    let run = run_to_end(&env, &automation).await;

    let outcome = env.engine.apply_run(&run.id).await.unwrap();
    let ApplyOutcome::Applied { files, .. } = &outcome else {
        panic!("not applied: {outcome:?}");
    };
    assert_eq!(files, &vec!["a.txt".to_owned()]);
    assert_eq!(read(&env.workspace, "a.txt"), "one\nTWO\nthree\n");
    assert_eq!(
        dirty(&env.workspace),
        Vec::<String>::new(),
        "committed, not left dirty"
    );
    let review = env.engine.run_changes(&run.id).await.unwrap().unwrap();
    assert_eq!(review.worktree.unwrap().review, Review::Applied);

    let again = env.engine.apply_run(&run.id).await.unwrap_err();
    assert!(
        matches!(&again, Error::InvalidInput(d) if d[0].message == "already_applied"),
        "{again:?}"
    );
}

#[tokio::test]
async fn apply_with_a_conflict_changes_nothing_and_names_the_file() {
    let env = repo_env().await;
    let automation = automation(&env, in_worktree("fix")).await;
    writes(&env, &[("a.txt", "one\nrun's two\nthree\n")]);
    let run = run_to_end(&env, &automation).await;
    std::fs::write(env.workspace.join("a.txt"), "one\nuser's two\nthree\n").unwrap();
    let head = git_commit_all(&env.workspace, "user edit");

    let outcome = env.engine.apply_run(&run.id).await.unwrap();
    let ApplyOutcome::Conflict { paths, message } = &outcome else {
        panic!("expected a conflict: {outcome:?}");
    };
    assert_eq!(paths, &vec!["a.txt".to_owned()]);
    assert!(!message.is_empty());
    assert_eq!(read(&env.workspace, "a.txt"), "one\nuser's two\nthree\n");
    let repo = git2::Repository::open(&env.workspace).unwrap();
    assert_eq!(repo.head().unwrap().target().unwrap().to_string(), head);
    let changes = env.engine.run_changes(&run.id).await.unwrap().unwrap();
    assert_eq!(
        changes.worktree.unwrap().review,
        Review::Pending,
        "still there to resolve or discard"
    );
}

#[tokio::test]
async fn discard_drops_a_run_and_the_worktree_goes_back() {
    let env = repo_env().await;
    let automation = automation(&env, in_worktree("fix")).await;
    writes(&env, &[("a.txt", "discard me\n")]);
    let run = run_to_end(&env, &automation).await;

    let changes = env.engine.discard_run(&run.id).await.unwrap();
    assert_eq!(changes.worktree.as_ref().unwrap().review, Review::Discarded);
    let worktree = env.workspace.join(".autowork/worktrees/fix");
    assert_eq!(read(&worktree, "a.txt"), "one\ntwo\nthree\n");
    assert_eq!(read(&env.workspace, "a.txt"), "one\ntwo\nthree\n");
    let apply = env.engine.apply_run(&run.id).await.unwrap_err();
    assert!(
        matches!(&apply, Error::InvalidInput(d) if d[0].message == "already_discarded"),
        "{apply:?}"
    );
}

#[tokio::test]
async fn in_place_runs_cannot_be_applied() {
    let env = repo_env().await;
    let automation = automation(&env, json!({})).await;
    writes(&env, &[("a.txt", "in place\n")]);
    let run = run_to_end(&env, &automation).await;
    let changes = env.engine.run_changes(&run.id).await.unwrap().unwrap();
    assert_eq!(changes.summary.files[0].path, "a.txt");
    assert_eq!(changes.worktree, None);
    let error = ApiError::from(env.engine.apply_run(&run.id).await.unwrap_err());
    let ApiError::Validation { details, .. } = error else {
        panic!("{error:?}");
    };
    assert_eq!(details[0].message, "not_a_worktree_run");
}

#[tokio::test]
async fn worktrees_and_the_workspace_are_separate_work_areas() {
    let env = repo_env().await;
    let first = automation(&env, in_worktree("first")).await;
    let second = automation(&env, in_worktree("second")).await;
    let in_place = automation(&env, json!({})).await;
    env.executor.script(|_, checkpoints| async move {
        checkpoints.pass("working").await;
        Outcome::Succeeded {
            result: "done".into(),
        }
    });
    let mut runs = Vec::new();
    for automation in [&first, &second, &in_place] {
        runs.push(
            env.engine
                .run_now(&automation.id, Attendance::Attended)
                .await
                .unwrap(),
        );
        env.executor.checkpoints.reached("working").await;
    }
    for run in &runs {
        assert_eq!(
            env.engine.get_run(&run.id).await.unwrap().state,
            RunState::Running,
            "all three run at once"
        );
    }

    // A second run in the same worktree finds it taken.
    let busy = env
        .engine
        .run_now(&first.id, Attendance::Attended)
        .await
        .unwrap();
    let busy = wait_for_state(&env.engine, &busy.id, RunState::Stopped).await;
    assert_eq!(busy.stop_reason, Some(StopReason::WriterBusy));

    for _ in 0..3 {
        env.executor.checkpoints.release();
    }
    for run in &runs {
        wait_for_state(&env.engine, &run.id, RunState::Succeeded).await;
    }
}

#[tokio::test]
async fn deleting_an_automation_keeps_a_worktree_with_unapplied_changes() {
    let env = repo_env().await;
    let automation = automation(&env, in_worktree("keep")).await;
    writes(&env, &[("a.txt", "precious\n")]);
    let run = run_to_end(&env, &automation).await;

    let deleted = env.engine.delete_automation(&automation.id).await.unwrap();
    let kept = deleted.kept_worktree.expect("the worktree is kept");
    assert_eq!(kept.unapplied_runs, vec![run.id.clone()]);
    assert_eq!(kept.branch, "autowork/keep");
    let worktree = env.workspace.join(".autowork/worktrees/keep");
    assert_eq!(read(&worktree, "a.txt"), "precious\n");
    assert!(branch_exists(&env.workspace, "autowork/keep"));

    // The run of the deleted automation can still be applied.
    let outcome = env.engine.apply_run(&run.id).await.unwrap();
    assert!(
        matches!(outcome, ApplyOutcome::Applied { .. }),
        "{outcome:?}"
    );
    assert_eq!(read(&env.workspace, "a.txt"), "precious\n");
}

#[tokio::test]
async fn deleting_an_automation_with_nothing_pending_removes_its_worktree() {
    let env = repo_env().await;
    let automation = automation(&env, in_worktree("gone")).await;
    writes(&env, &[("a.txt", "applied\n")]);
    let run = run_to_end(&env, &automation).await;
    env.engine.apply_run(&run.id).await.unwrap();

    let deleted = env.engine.delete_automation(&automation.id).await.unwrap();
    assert_eq!(deleted.kept_worktree, None);
    assert!(!env.workspace.join(".autowork/worktrees/gone").exists());
    assert!(!branch_exists(&env.workspace, "autowork/gone"));
}

fn write_edit_bash_script() -> Value {
    json!([
        {"tool_calls": [{"name": "write", "arguments": {"path": "written.txt", "content": "by write\n"}}]},
        {"tool_calls": [{"name": "edit", "arguments": {"path": "notes.txt", "old_string": "hello", "new_string": "hello edit"}}]},
        {"tool_calls": [{"name": "bash", "arguments": {"command": "cp notes.txt bashed.txt"}}]},
        {"text": "Done."}
    ])
}

#[tokio::test]
async fn changes_made_by_write_edit_and_bash_are_recorded_in_a_repository() {
    let t = AgentEnv::new("openai_compatible", write_edit_bash_script()).await;
    std::fs::write(t.env.workspace.join("notes.txt"), "hello\n").unwrap();
    git_init(&t.env.workspace);
    let automation = t
        .automation(json!({"permissions": [{"tool": "*", "pattern": "*", "action": "allow"}]}))
        .await;
    let run = t.run(&automation, Attendance::Attended).await;
    let done = t.finish(&run).await;
    assert_eq!(done.state, RunState::Succeeded, "{done:?}");
    let changes = t.env.engine.run_changes(&run.id).await.unwrap().unwrap();
    assert_eq!(changes.source, ChangeSource::Git);
    let files: Vec<&str> = changes
        .summary
        .files
        .iter()
        .map(|f| f.path.as_str())
        .collect();
    assert_eq!(files, vec!["bashed.txt", "notes.txt", "written.txt"]);
    assert_eq!(
        (
            changes.summary.files_changed,
            changes.summary.insertions,
            changes.summary.deletions
        ),
        (3, 3, 1)
    );
    assert!(changes.summary.patch.contains("+hello edit"));
}

#[tokio::test]
async fn outside_git_the_changes_come_from_write_and_edit() {
    let t = AgentEnv::new("openai_compatible", write_edit_bash_script()).await;
    std::fs::write(t.env.workspace.join("notes.txt"), "hello\n").unwrap();
    let automation = t
        .automation(json!({"permissions": [{"tool": "*", "pattern": "*", "action": "allow"}]}))
        .await;
    let run = t.run(&automation, Attendance::Attended).await;
    assert_eq!(t.finish(&run).await.state, RunState::Succeeded);
    let changes = t.env.engine.run_changes(&run.id).await.unwrap().unwrap();
    assert_eq!(changes.source, ChangeSource::Tools);
    assert_eq!(
        file_kinds(&changes),
        vec![
            ("notes.txt", FileChangeKind::Modified),
            ("written.txt", FileChangeKind::Added)
        ]
    );
    assert!(changes.summary.patch.contains("+hello edit"));
    assert!(changes.note.unwrap().contains("shell commands"));
}

#[tokio::test]
async fn git_trouble_fails_the_run_with_what_to_do() {
    let env = repo_env().await;
    let automation = automation(&env, in_worktree("fix")).await;
    writes(&env, &[("a.txt", "run one\n")]);
    run_to_end(&env, &automation).await;

    // Work left uncommitted in the worktree (a crash mid-run, or a hand edit) is not reset away.
    let worktree = env.workspace.join(".autowork/worktrees/fix");
    std::fs::write(worktree.join("b.txt"), "by hand\n").unwrap();
    let run = env
        .engine
        .run_now(&automation.id, Attendance::Attended)
        .await
        .unwrap();
    let failed = wait_for_state(&env.engine, &run.id, RunState::Failed).await;
    let message = failed.error.unwrap().message;
    assert!(
        message.contains("uncommitted changes (b.txt)") && message.contains("did not finish"),
        "{message}"
    );
    assert_eq!(read(&worktree, "b.txt"), "by hand\n", "nothing lost");
    std::fs::remove_file(worktree.join("b.txt")).unwrap();
    git_commit_all(&worktree, "hand-made, committed");

    // Another git process holding the worktree's index.
    std::fs::write(
        env.workspace.join(".git/worktrees/autowork-fix/index.lock"),
        "",
    )
    .unwrap();
    let run = env
        .engine
        .run_now(&automation.id, Attendance::Attended)
        .await
        .unwrap();
    let failed = wait_for_state(&env.engine, &run.id, RunState::Failed).await;
    let message = failed.error.unwrap().message;
    assert!(message.contains("index.lock"), "{message}");
}
