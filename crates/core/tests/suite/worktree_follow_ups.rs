//! Following up a worktree run, on real git repositories: the follow-up works in the
//! parent's worktree on top of its unapplied commit, its review covers both runs, applying
//! it applies both, and the parent is superseded rather than appliable twice.

use std::path::Path;
use std::sync::{Arc, Mutex};

use autowork_core::changes::{Review, RunChanges};
use autowork_core::definition::Automation;
use autowork_core::executor::Outcome;
use autowork_core::git::{ApplyOutcome, FileChangeKind};
use autowork_core::ids::{RunId, SessionId};
use autowork_core::ledger::{Attendance, Run, RunState};
use autowork_core::Error;
use pretty_assertions::assert_eq;
use serde_json::json;

use super::support::*;

type Files = &'static [(&'static str, &'static str)];

/// A repository workspace (`a.txt`, `b.txt` committed) and a worktree automation whose runs
/// talk to the "model" (they get a session, so they can be followed up).
async fn setup() -> (TestEnv, Automation) {
    let env = TestEnv::new().await;
    std::fs::write(env.workspace.join("a.txt"), "one\ntwo\nthree\n").unwrap();
    std::fs::write(env.workspace.join("b.txt"), "bee\n").unwrap();
    git_init(&env.workspace);
    let mut definition = env.definition();
    definition["placement"] = json!({"kind": "worktree", "name": "fix"});
    let automation = env.engine.create_automation(&definition).await.unwrap();
    (env, automation)
}

/// Runs write `parent` files, follow-ups write `follow_up` files (after noting what `a.txt`
/// held when they began); a follow-up waits at checkpoint `working` when `hold` is set.
fn script(
    env: &TestEnv,
    parent: Files,
    follow_up: Files,
    hold: bool,
) -> Arc<Mutex<Option<String>>> {
    let seen = Arc::new(Mutex::new(None));
    let log = seen.clone();
    env.executor.script(move |ctx, checkpoints| {
        let log = log.clone();
        async move {
            let files = if ctx.run.follow_up.is_some() {
                *log.lock().unwrap() = std::fs::read_to_string(ctx.work_dir.join("a.txt")).ok();
                if hold {
                    checkpoints.pass("working").await;
                }
                follow_up
            } else {
                ctx.attach_session(SessionId::new()).await.unwrap();
                parent
            };
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

async fn run_parent(env: &TestEnv, automation: &Automation) -> Run {
    let run = env
        .engine
        .run_now(&automation.id, Attendance::Attended)
        .await
        .unwrap();
    wait_for_state(&env.engine, &run.id, RunState::Succeeded).await
}

async fn follow_up(env: &TestEnv, parent: &RunId) -> Run {
    let run = env
        .engine
        .follow_up(parent, "now add a note", Attendance::Attended)
        .await
        .unwrap();
    wait_for_state(&env.engine, &run.id, RunState::Succeeded).await
}

async fn changes(env: &TestEnv, run: &RunId) -> RunChanges {
    env.engine.run_changes(run).await.unwrap().unwrap()
}

fn file_kinds(changes: &RunChanges) -> Vec<(String, FileChangeKind)> {
    let files = &changes.summary.files;
    files.iter().map(|f| (f.path.clone(), f.kind)).collect()
}

fn refusal(error: &Error) -> (String, String) {
    match error {
        Error::InvalidInput(details) => (
            details[0].field.clone(),
            format!(
                "{} {}",
                details[0].message,
                details[0].hint.clone().unwrap_or_default()
            ),
        ),
        other => panic!("expected a validation error, got {other:?}"),
    }
}

fn read(dir: &Path, path: &str) -> String {
    std::fs::read_to_string(dir.join(path)).unwrap()
}

const PARENT: Files = &[("a.txt", "one\nTWO\nthree\n")];
const FOLLOW: Files = &[("note.txt", "a note\n")];

#[tokio::test]
async fn a_worktree_follow_up_builds_on_the_unapplied_commit_and_reviews_both() {
    let (env, automation) = setup().await;
    let seen = script(&env, PARENT, FOLLOW, false);
    let parent = run_parent(&env, &automation).await;
    let parent_commit = changes(&env, &parent.id).await.worktree.unwrap().commit;

    let child = follow_up(&env, &parent.id).await;
    assert_eq!(
        seen.lock().unwrap().clone().as_deref(),
        Some("one\nTWO\nthree\n"),
        "the follow-up starts from the parent's unapplied change"
    );
    assert_eq!(child.writer_key, parent.writer_key, "same worktree");

    let review = changes(&env, &child.id).await;
    assert_eq!(
        file_kinds(&review),
        vec![
            ("a.txt".to_owned(), FileChangeKind::Modified),
            ("note.txt".to_owned(), FileChangeKind::Added)
        ],
        "the follow-up's review covers the parent's changes and its own"
    );
    let worktree = review.worktree.unwrap();
    assert_eq!(worktree.review, Review::Pending);

    // One commit holding both, made on the commit the parent started from.
    let repo = git2::Repository::open(&env.workspace).unwrap();
    let commit = repo
        .find_commit(git2::Oid::from_str(worktree.commit.as_deref().unwrap()).unwrap())
        .unwrap();
    let parent_commit = repo
        .find_commit(git2::Oid::from_str(parent_commit.as_deref().unwrap()).unwrap())
        .unwrap();
    assert_eq!(
        commit.parent_id(0).unwrap(),
        parent_commit.parent_id(0).unwrap()
    );

    let superseded = changes(&env, &parent.id).await.worktree.unwrap();
    assert_eq!(
        (superseded.review, superseded.superseded_by),
        (Review::Superseded, Some(child.id.clone())),
        "the parent's review is taken over by the follow-up"
    );
    let apply_parent = env.engine.apply_run(&parent.id).await.unwrap_err();
    let (field, message) = refusal(&apply_parent);
    assert_eq!(field, "run_id");
    assert!(
        message.contains("superseded_by_follow_up") && message.contains(child.id.as_str()),
        "{message}"
    );

    let outcome = env.engine.apply_run(&child.id).await.unwrap();
    let ApplyOutcome::Applied { files, .. } = &outcome else {
        panic!("not applied: {outcome:?}");
    };
    assert_eq!(files, &vec!["a.txt".to_owned(), "note.txt".to_owned()]);
    assert_eq!(read(&env.workspace, "a.txt"), "one\nTWO\nthree\n");
    assert_eq!(read(&env.workspace, "note.txt"), "a note\n");
    assert_eq!(
        git::unapplied(&env.workspace),
        Vec::<String>::new(),
        "nothing of the thread is left to apply"
    );
}

#[tokio::test]
async fn a_follow_up_of_a_follow_up_still_reviews_the_whole_thread() {
    let (env, automation) = setup().await;
    script(&env, PARENT, FOLLOW, false);
    let parent = run_parent(&env, &automation).await;
    let first = follow_up(&env, &parent.id).await;
    script(&env, PARENT, &[("b.txt", "BEE\n")], false);
    let second = follow_up(&env, &first.id).await;

    let review = changes(&env, &second.id).await;
    let paths: Vec<String> = file_kinds(&review).into_iter().map(|(p, _)| p).collect();
    assert_eq!(paths, vec!["a.txt", "b.txt", "note.txt"]);
    assert_eq!(
        changes(&env, &first.id)
            .await
            .worktree
            .unwrap()
            .superseded_by,
        Some(second.id.clone())
    );
    assert!(matches!(
        env.engine.apply_run(&second.id).await.unwrap(),
        ApplyOutcome::Applied { .. }
    ));
    assert_eq!(read(&env.workspace, "b.txt"), "BEE\n");
}

#[tokio::test]
async fn a_follow_up_that_changes_nothing_leaves_the_parent_to_review() {
    let (env, automation) = setup().await;
    script(&env, PARENT, &[], false);
    let parent = run_parent(&env, &automation).await;
    let child = follow_up(&env, &parent.id).await;

    let review = changes(&env, &child.id).await;
    assert_eq!(review.summary.files_changed, 0);
    assert_eq!(review.worktree.unwrap().review, Review::Empty);
    assert_eq!(
        changes(&env, &parent.id).await.worktree.unwrap().review,
        Review::Pending
    );
    assert!(matches!(
        env.engine.apply_run(&parent.id).await.unwrap(),
        ApplyOutcome::Applied { .. }
    ));
}

#[tokio::test]
async fn discarding_a_follow_up_drops_the_thread_it_holds() {
    let (env, automation) = setup().await;
    script(&env, PARENT, FOLLOW, false);
    let parent = run_parent(&env, &automation).await;
    let child = follow_up(&env, &parent.id).await;

    env.engine.discard_run(&child.id).await.unwrap();
    let worktree = env.workspace.join(".autowork/worktrees/fix");
    assert_eq!(read(&worktree, "a.txt"), "one\ntwo\nthree\n");
    assert!(!worktree.join("note.txt").exists());
    assert_eq!(git::unapplied(&env.workspace), Vec::<String>::new());
}

#[tokio::test]
async fn the_parent_cannot_be_applied_nor_followed_up_again_while_its_follow_up_works_on_it() {
    let (env, automation) = setup().await;
    script(&env, PARENT, FOLLOW, true);
    let parent = run_parent(&env, &automation).await;
    let child = env
        .engine
        .follow_up(&parent.id, "more", Attendance::Attended)
        .await
        .unwrap();
    env.executor.checkpoints.reached("working").await;

    let refused = env.engine.apply_run(&parent.id).await.unwrap_err();
    let (field, message) = refusal(&refused);
    assert_eq!(field, "run_id");
    assert!(message.contains("follow_up_active"), "{message}");
    let second = env
        .engine
        .follow_up(&parent.id, "also", Attendance::Attended)
        .await
        .unwrap_err();
    let (field, message) = refusal(&second);
    assert_eq!(field, "run_id");
    assert!(
        message.contains(&format!("already being followed up by run {}", child.id)),
        "one follow-up at a time takes the changes: {message}"
    );

    env.executor.checkpoints.release();
    wait_for_state(&env.engine, &child.id, RunState::Succeeded).await;
}

#[tokio::test]
async fn following_up_a_discarded_or_superseded_worktree_run_is_refused_with_a_hint() {
    let (env, automation) = setup().await;
    script(&env, PARENT, FOLLOW, false);
    let discarded = run_parent(&env, &automation).await;
    env.engine.discard_run(&discarded.id).await.unwrap();
    let error = env
        .engine
        .follow_up(&discarded.id, "more", Attendance::Attended)
        .await
        .unwrap_err();
    let (field, message) = refusal(&error);
    assert_eq!(field, "run_id");
    assert!(message.contains("discarded"), "{message}");

    let parent = run_parent(&env, &automation).await;
    let child = follow_up(&env, &parent.id).await;
    let error = env
        .engine
        .follow_up(&parent.id, "again", Attendance::Attended)
        .await
        .unwrap_err();
    let (field, message) = refusal(&error);
    assert_eq!(field, "run_id");
    assert!(
        message.contains(&format!("Follow up on run {}", child.id)),
        "points at the run that holds the changes now: {message}"
    );
}

#[tokio::test]
async fn following_up_a_run_whose_commit_is_gone_is_refused() {
    let (env, automation) = setup().await;
    script(&env, PARENT, FOLLOW, false);
    let parent = run_parent(&env, &automation).await;
    // Removed by hand, as `git update-ref -d` would.
    let repo = git2::Repository::open(&env.workspace).unwrap();
    repo.find_reference(&format!("refs/autowork/runs/{}", parent.id))
        .unwrap()
        .delete()
        .unwrap();

    let error = env
        .engine
        .follow_up(&parent.id, "more", Attendance::Attended)
        .await
        .unwrap_err();
    let (field, message) = refusal(&error);
    assert_eq!(field, "run_id");
    assert!(message.contains("no longer in its worktree"), "{message}");
}

#[tokio::test]
async fn following_up_a_run_whose_worktree_is_gone_is_refused() {
    let (env, automation) = setup().await;
    script(&env, PARENT, FOLLOW, false);
    let parent = run_parent(&env, &automation).await;
    std::fs::remove_dir_all(env.workspace.join(".autowork/worktrees/fix")).unwrap();

    let error = env
        .engine
        .follow_up(&parent.id, "more", Attendance::Attended)
        .await
        .unwrap_err();
    let (field, message) = refusal(&error);
    assert_eq!(field, "run_id");
    assert!(
        message.contains("worktree or branch was removed"),
        "{message}"
    );
}

#[tokio::test]
async fn a_follow_up_of_an_applied_worktree_run_starts_from_the_workspace_branch() {
    let (env, automation) = setup().await;
    let seen = script(&env, PARENT, FOLLOW, false);
    let parent = run_parent(&env, &automation).await;
    env.engine.apply_run(&parent.id).await.unwrap();

    let child = follow_up(&env, &parent.id).await;
    assert_eq!(
        seen.lock().unwrap().clone().as_deref(),
        Some("one\nTWO\nthree\n"),
        "the applied change is on the branch the follow-up starts from"
    );
    let review = changes(&env, &child.id).await;
    assert_eq!(
        file_kinds(&review),
        vec![("note.txt".to_owned(), FileChangeKind::Added)],
        "only its own change waits: the parent's is applied"
    );
    assert_eq!(
        changes(&env, &parent.id).await.worktree.unwrap().review,
        Review::Applied
    );
}

mod git {
    /// Run ids whose changes wait for review in the repository at `dir`.
    pub fn unapplied(dir: &std::path::Path) -> Vec<String> {
        autowork_core::git::unapplied_runs(dir)
            .unwrap()
            .into_iter()
            .map(|(run, _)| run)
            .collect()
    }
}

#[tokio::test]
async fn the_thread_of_any_of_its_runs_is_the_parent_then_its_follow_ups_in_order() {
    let (env, automation) = setup().await;
    script(&env, PARENT, FOLLOW, false);
    let parent = run_parent(&env, &automation).await;
    let first = follow_up(&env, &parent.id).await;
    script(&env, PARENT, &[("b.txt", "BEE\n")], false);
    let second = follow_up(&env, &first.id).await;
    let other = run_parent(&env, &automation).await;

    let ids = |runs: Vec<Run>| runs.into_iter().map(|r| r.id).collect::<Vec<_>>();
    let expected = vec![parent.id.clone(), first.id.clone(), second.id.clone()];
    for member in [&parent.id, &first.id, &second.id] {
        assert_eq!(
            ids(env.engine.run_thread(member).await.unwrap()),
            expected,
            "the same thread from {member}"
        );
    }
    assert_eq!(
        ids(env.engine.run_thread(&other.id).await.unwrap()),
        vec![other.id.clone()],
        "a run nobody followed up is a thread of one"
    );
    let missing = env.engine.run_thread(&RunId::from("run_nope")).await;
    assert!(
        matches!(missing, Err(Error::NotFound { .. })),
        "{missing:?}"
    );
}
