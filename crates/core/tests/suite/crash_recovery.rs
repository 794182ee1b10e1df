//! Crash recovery with real processes: children (this test binary, re-run as a helper) hold
//! runs; some are killed with SIGKILL; the runs of dead processes are closed and their writer
//! keys freed, and a run of a process that is still alive is left alone.

use std::sync::Arc;
use std::time::Duration;

use autowork_core::executor::Outcome;
use autowork_core::ids::{AutomationId, BlockerId};
use autowork_core::ledger::{Attendance, Blocker, Question, RunState, StopReason};
use autowork_core::Engine;
use pretty_assertions::assert_eq;

use super::support::*;

const CHILD_DATA_DIR: &str = "AUTOWORK_TEST_CHILD_DATA_DIR";
const CHILD_AUTOMATION: &str = "AUTOWORK_TEST_CHILD_AUTOMATION";
const CHILD_MODE: &str = "AUTOWORK_TEST_CHILD_MODE";
/// The child's lease in seconds, when not [`CHILD_LEASE`].
const CHILD_LEASE_SECS: &str = "AUTOWORK_TEST_CHILD_LEASE_SECS";
/// Children renew every second; a killed one is judged dead three seconds after its last
/// renewal. The margin keeps a live child on a loaded machine from being judged dead.
const CHILD_LEASE: Duration = Duration::from_secs(3);

/// Not a test of its own: the body of a child process started by the tests below.
#[tokio::test]
#[ignore = "helper process for crash recovery tests"]
async fn crash_child() {
    let (Ok(data_dir), Ok(automation), Ok(mode)) = (
        std::env::var(CHILD_DATA_DIR),
        std::env::var(CHILD_AUTOMATION),
        std::env::var(CHILD_MODE),
    ) else {
        return; // run by hand without a parent: nothing to do
    };
    let executor = ScriptedExecutor::new();
    let blocks = mode == "block";
    let writes = mode == "write";
    let edits = mode == "edit";
    executor.script(move |ctx, _| async move {
        if edits {
            // As the edit tool does: keep the original, then change the file in place.
            let notes = ctx.work_dir.join("notes.txt");
            ctx.changes.before_write("notes.txt", &notes).unwrap();
            std::fs::write(&notes, "half-edited\n").unwrap();
            ctx.changes
                .before_write("made.txt", &ctx.work_dir.join("made.txt"))
                .unwrap();
            std::fs::write(ctx.work_dir.join("made.txt"), "new\n").unwrap();
        }
        if writes {
            std::fs::write(ctx.work_dir.join("half-done.txt"), "unfinished\n").unwrap();
            println!("WROTE");
        }
        if blocks {
            let _ = ctx
                .block(Blocker::Question {
                    call_id: BlockerId::new(),
                    questions: vec![Question {
                        question: "Proceed?".into(),
                        choices: vec![],
                    }],
                })
                .await;
        }
        std::future::pending::<()>().await;
        Outcome::Succeeded {
            result: "never".into(),
        }
    });
    let lease = std::env::var(CHILD_LEASE_SECS)
        .ok()
        .and_then(|secs| secs.parse().ok())
        .map_or(CHILD_LEASE, Duration::from_secs);
    let engine = Engine::open(config(data_dir.into(), executor).lease_ttl(lease))
        .await
        .unwrap();
    let run = engine
        .run_now(
            &AutomationId::from(automation.as_str()),
            Attendance::Attended,
        )
        .await
        .unwrap();
    println!("RUN {}", run.id);
    std::future::pending::<()>().await;
}

fn spawn_child(env: &TestEnv, automation: &AutomationId, mode: &str) -> ChildRun {
    spawn_child_with_lease(env, automation, mode, CHILD_LEASE)
}

/// A child process holding a run of `automation` (mode `run`, `block`, `write` or `edit`)
/// with its lease lasting `lease`.
pub(super) fn spawn_child_with_lease(
    env: &TestEnv,
    automation: &AutomationId,
    mode: &str,
    lease: Duration,
) -> ChildRun {
    let lease = lease.as_secs().to_string();
    spawn_child_run(
        "suite::crash_recovery::crash_child",
        &[
            (CHILD_DATA_DIR, env.data_dir().as_os_str()),
            (CHILD_AUTOMATION, automation.as_str().as_ref()),
            (CHILD_MODE, mode.as_ref()),
            (CHILD_LEASE_SECS, lease.as_ref()),
        ],
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn runs_of_killed_processes_are_closed_and_live_ones_left_alone() {
    let env = TestEnv::new().await;
    let running = env.automation_in("running").await;
    let waiting = env.automation_in("waiting").await;
    let alive = env.automation_in("alive").await;

    let mut killed_running = spawn_child(&env, &running.id, "run");
    let mut killed_waiting = spawn_child(&env, &waiting.id, "block");
    let live = spawn_child(&env, &alive.id, "run");
    wait_for_state(&env.engine, &killed_running.run_id, RunState::Running).await;
    wait_for_state(&env.engine, &killed_waiting.run_id, RunState::AwaitingInput).await;
    wait_for_state(&env.engine, &live.run_id, RunState::Running).await;

    killed_running.child.kill().unwrap(); // SIGKILL: no chance to clean up
    killed_waiting.child.kill().unwrap();
    killed_running.child.wait().unwrap();
    killed_waiting.child.wait().unwrap();

    // The app starts again (a new engine on the same file) and closes what the dead left.
    let executor = ScriptedExecutor::new();
    let restarted = Engine::open(config(env.data_dir(), executor.clone()).lease_ttl(CHILD_LEASE))
        .await
        .unwrap();
    let expired = wait_for_state(&restarted, &killed_running.run_id, RunState::Stopped).await;
    assert_eq!(expired.stop_reason, Some(StopReason::Expired));
    let lost = wait_for_state(&restarted, &killed_waiting.run_id, RunState::Stopped).await;
    assert_eq!(lost.stop_reason, Some(StopReason::BlockerLost));
    assert_eq!(lost.blocker, None);

    assert_eq!(
        restarted.get_run(&live.run_id).await.unwrap().state,
        RunState::Running,
        "a run of a live process is left alone"
    );

    // The writer keys of the closed runs are free again.
    for automation in [&running, &waiting] {
        let run = restarted
            .run_now(&automation.id, Attendance::Attended)
            .await
            .unwrap();
        wait_for_state(&restarted, &run.id, RunState::Succeeded).await;
    }
    // The live child still holds its work area.
    let busy = restarted
        .run_now(&alive.id, Attendance::Attended)
        .await
        .unwrap();
    let busy = wait_for_state(&restarted, &busy.id, RunState::Stopped).await;
    assert_eq!(busy.stop_reason, Some(StopReason::WriterBusy));

    drop(live);
    restarted.shutdown().await;
    let _ = Arc::strong_count(&executor);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_worktree_runs_changes_are_recovered_for_review() {
    let env = TestEnv::new().await;
    std::fs::write(env.workspace.join("a.txt"), "one\n").unwrap();
    git_init(&env.workspace);
    let mut definition = env.definition();
    definition["placement"] = serde_json::json!({"kind": "worktree", "name": "crashy"});
    let automation = env.engine.create_automation(&definition).await.unwrap();
    let worktree = env.workspace.join(".autowork/worktrees/crashy");

    let mut killed = spawn_child(&env, &automation.id, "write");
    wait_for_state(&env.engine, &killed.run_id, RunState::Running).await;
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while !worktree.join("half-done.txt").exists() {
        assert!(
            std::time::Instant::now() < deadline,
            "the child never wrote"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    killed.child.kill().unwrap();
    killed.child.wait().unwrap();

    let executor = ScriptedExecutor::new();
    let restarted = Engine::open(config(env.data_dir(), executor.clone()).lease_ttl(CHILD_LEASE))
        .await
        .unwrap();
    wait_for_state(&restarted, &killed.run_id, RunState::Stopped).await;
    let changes = loop {
        if let Some(changes) = restarted.run_changes(&killed.run_id).await.unwrap() {
            break changes;
        }
        assert!(
            std::time::Instant::now() < deadline + Duration::from_secs(20),
            "no changes recovered"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert_eq!(changes.summary.files[0].path, "half-done.txt");
    assert!(changes
        .note
        .unwrap()
        .contains("stopped before the run ended"));
    assert_eq!(
        changes.worktree.unwrap().review,
        autowork_core::changes::Review::Pending
    );

    // The worktree is clean again, so the next fresh run goes ahead.
    let next = restarted
        .run_now(&automation.id, Attendance::Attended)
        .await
        .unwrap();
    wait_for_state(&restarted, &next.id, RunState::Succeeded).await;
    assert!(
        !worktree.join("half-done.txt").exists(),
        "the fresh run starts at the workspace's HEAD"
    );
    restarted.apply_run(&killed.run_id).await.unwrap();
    assert_eq!(
        std::fs::read_to_string(env.workspace.join("half-done.txt")).unwrap(),
        "unfinished\n"
    );
    restarted.shutdown().await;
}

#[tokio::test]
async fn shutdown_closes_this_processs_runs_like_a_crash_would() {
    let env = TestEnv::new().await;
    env.executor.script(|ctx, _| async move {
        let _ = ctx
            .block(Blocker::Question {
                call_id: BlockerId::new(),
                questions: vec![Question {
                    question: "Proceed?".into(),
                    choices: vec![],
                }],
            })
            .await;
        std::future::pending::<()>().await;
        Outcome::Succeeded {
            result: "never".into(),
        }
    });
    let automation = env.automation().await;
    let run = env
        .engine
        .run_now(&automation.id, Attendance::Attended)
        .await
        .unwrap();
    wait_for_state(&env.engine, &run.id, RunState::AwaitingInput).await;
    env.engine.shutdown().await;

    let reopened = Engine::open(config(env.data_dir(), ScriptedExecutor::new()))
        .await
        .unwrap();
    let closed = reopened.get_run(&run.id).await.unwrap();
    assert_eq!(closed.state, RunState::Stopped);
    assert_eq!(closed.stop_reason, Some(StopReason::BlockerLost));
    reopened.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_in_place_runs_originals_are_kept_and_can_be_restored() {
    let env = TestEnv::new().await;
    std::fs::write(env.workspace.join("notes.txt"), "the user's notes\n").unwrap();
    let automation = env.automation().await;
    let workspace = std::fs::canonicalize(&env.workspace).unwrap();

    let mut killed = spawn_child(&env, &automation.id, "edit");
    wait_for_state(&env.engine, &killed.run_id, RunState::Running).await;
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while !workspace.join("made.txt").exists() {
        assert!(
            std::time::Instant::now() < deadline,
            "the child never edited"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    killed.child.kill().unwrap();
    killed.child.wait().unwrap();

    let executor = ScriptedExecutor::new();
    let restarted = Engine::open(config(env.data_dir(), executor.clone()).lease_ttl(CHILD_LEASE))
        .await
        .unwrap();
    wait_for_state(&restarted, &killed.run_id, RunState::Stopped).await;
    let kept: Vec<(String, bool)> = restarted
        .run_originals(&killed.run_id)
        .await
        .unwrap()
        .into_iter()
        .map(|o| (o.path, o.blob.is_some()))
        .collect();
    assert_eq!(
        kept,
        vec![
            ("notes.txt".to_owned(), true),
            ("made.txt".to_owned(), false)
        ],
        "the original of the edited file, and the file the run created"
    );
    let restored = restarted.restore_originals(&killed.run_id).await.unwrap();
    assert_eq!(
        restored,
        vec!["notes.txt".to_owned(), "made.txt".to_owned()]
    );
    assert_eq!(
        std::fs::read_to_string(workspace.join("notes.txt")).unwrap(),
        "the user's notes\n"
    );
    assert!(!workspace.join("made.txt").exists());
    assert_eq!(
        restarted.run_originals(&killed.run_id).await.unwrap(),
        vec![]
    );
    restarted.shutdown().await;
}

#[tokio::test]
async fn a_run_that_ends_normally_leaves_no_originals() {
    let env = TestEnv::new().await;
    std::fs::write(env.workspace.join("notes.txt"), "before\n").unwrap();
    env.executor.script(|ctx, _| async move {
        let notes = ctx.work_dir.join("notes.txt");
        ctx.changes.before_write("notes.txt", &notes).unwrap();
        std::fs::write(&notes, "after\n").unwrap();
        Outcome::Succeeded {
            result: "edited".into(),
        }
    });
    let automation = env.automation().await;
    let run = env
        .engine
        .run_now(&automation.id, Attendance::Attended)
        .await
        .unwrap();
    wait_for_state(&env.engine, &run.id, RunState::Succeeded).await;
    assert_eq!(env.engine.run_originals(&run.id).await.unwrap(), vec![]);
    assert!(
        !env.data_dir()
            .join("originals")
            .join(run.id.as_str())
            .exists(),
        "nothing is left in the data directory"
    );
}
