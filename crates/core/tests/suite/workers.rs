//! Where a run runs (issue 14 §3): a run queued for a folder its process does not serve is
//! taken and driven by a worker that serves it; Run now refuses a folder no connected worker
//! serves; a run no one took waits, holding no slot, until a worker that serves it connects.
//! On both stores (the team database adds that the folder must exist on the worker's machine,
//! which every folder here does).

use std::path::PathBuf;
use std::sync::Arc;

use autowork_core::executor::Outcome;
use autowork_core::ids::BlockerId;
use autowork_core::ledger::{Attendance, Blocker, BlockerReply, Question, RunState};
use autowork_core::queue::QueueLimits;
use autowork_core::{ApiError, Engine, Error};
use pretty_assertions::assert_eq;

use super::support::*;

/// An executor that must never be asked to run anything.
fn refuses_to_run() -> Arc<ScriptedExecutor> {
    let executor = ScriptedExecutor::new();
    executor.script(|ctx, _| async move {
        Outcome::Failed {
            code: autowork_core::ledger::ErrorCode::ExecutionFailed,
            message: format!("run {} was driven by the wrong worker", ctx.run.id),
        }
    });
    executor
}

/// A process serving only `folder`, taking queued runs or not, named by `label`.
async fn worker(env: &TestEnv, label: &str, folder: PathBuf, takes: bool) -> Engine {
    std::fs::create_dir_all(&folder).unwrap();
    let executor = if takes {
        ScriptedExecutor::new()
    } else {
        refuses_to_run()
    };
    Engine::open(
        config(env.data_dir(), executor)
            .label(label)
            .serve(vec![folder])
            .takes_queued_runs(takes),
    )
    .await
    .unwrap()
}

#[tokio::test]
async fn a_run_queued_for_a_folder_served_elsewhere_is_driven_by_the_worker_that_serves_it() {
    let env = TestEnv::new().await;
    let served = env.dir.path().join("server-repos");
    let server = worker(&env, "daemon", served.clone(), true).await;
    let laptop = worker(&env, "laptop", env.dir.path().join("laptop-home"), false).await;
    let automation = {
        std::fs::create_dir_all(served.join("api")).unwrap();
        let mut definition = env.definition();
        definition["workspace"] = serde_json::json!(served.join("api"));
        env.engine.create_automation(&definition).await.unwrap()
    };

    let queued = laptop
        .run_now(&automation.id, Attendance::Attended)
        .await
        .unwrap();
    assert_eq!(queued.state, RunState::Queued);
    assert_eq!(queued.worker, None, "no worker took it yet");
    let done = wait_for_state(&laptop, &queued.id, RunState::Succeeded).await;
    let server_name = server.this_worker();
    assert_eq!(
        done.worker.as_deref(),
        Some(format!("{} (daemon)", server_name.name).as_str()),
        "the serving worker drove it"
    );

    // Who takes runs, as the CLI and the app list them.
    let workers = laptop.workers().await.unwrap();
    assert_eq!(
        workers.len(),
        1,
        "only the worker that takes queued runs: {workers:?}"
    );
    assert_eq!(workers[0].kind, "daemon");
    assert_eq!(
        workers[0].serves,
        vec![std::fs::canonicalize(&served)
            .unwrap()
            .display()
            .to_string()]
    );
    assert!(!workers[0].this_process);

    laptop.shutdown().await;
    server.shutdown().await;
}

#[tokio::test]
async fn run_now_is_refused_when_no_connected_worker_serves_the_folder() {
    let env = TestEnv::new().await;
    let laptop = worker(&env, "laptop", env.dir.path().join("laptop-home"), false).await;
    // A worker that serves another folder does not count.
    let server = worker(&env, "daemon", env.dir.path().join("other-repos"), true).await;
    let automation = env.automation().await;

    let refused = laptop
        .run_now(&automation.id, Attendance::Attended)
        .await
        .unwrap_err();
    assert!(
        matches!(&refused, Error::NoWorkerServesWorkspace { workspace } if *workspace == automation.spec.workspace),
        "{refused:?}"
    );
    let ApiError::Validation { error, details, .. } = ApiError::from(refused) else {
        panic!("a validation error")
    };
    assert_eq!(error, "no_worker_serves_workspace");
    assert_eq!(details[0].field, "workspace");
    let runs = env
        .engine
        .list_runs(&Default::default(), None, Some(10))
        .await
        .unwrap();
    assert!(runs.runs.is_empty(), "nothing was queued: {:?}", runs.runs);

    laptop.shutdown().await;
    server.shutdown().await;
}

#[tokio::test]
async fn a_run_no_one_took_waits_without_a_slot_until_a_worker_that_serves_it_connects() {
    let env = TestEnv::new().await;
    env.engine
        .set_queue_limits(QueueLimits {
            max_concurrent_runs: 1,
            per_provider: Default::default(),
        })
        .await
        .unwrap();
    let served = env.dir.path().join("server-repos");
    let laptop = worker(&env, "laptop", env.dir.path().join("laptop-home"), false).await;
    let first_server = worker(&env, "daemon", served.clone(), true).await;
    let remote = {
        std::fs::create_dir_all(served.join("api")).unwrap();
        let mut definition = env.definition();
        definition["workspace"] = serde_json::json!(served.join("api"));
        env.engine.create_automation(&definition).await.unwrap()
    };
    // The one slot is held by a run of this machine's.
    hold_until_released(&env.executor);
    let local = env.automation().await;
    let holding = env
        .engine
        .run_now(&local.id, Attendance::Attended)
        .await
        .unwrap();
    env.executor.checkpoints.reached("working").await;

    let waiting = laptop
        .run_now(&remote.id, Attendance::Attended)
        .await
        .unwrap();
    first_server.shutdown().await;
    // No worker serves it now: it says so, and the lease sweep of a new process leaves it be.
    let place = laptop.queue_place(&waiting.id).await.unwrap().unwrap();
    assert_eq!(
        place.waiting_for_worker.as_deref(),
        Some(remote.spec.workspace.as_str()),
        "{place:?}"
    );
    assert!(place.must_wait());
    assert!(place
        .describe()
        .contains("waiting for a worker that serves"));

    // A local run queued after it starts when the slot frees: the waiting run holds none.
    let local_next = env.automation_in("second").await;
    let next = env
        .engine
        .run_now(&local_next.id, Attendance::Attended)
        .await
        .unwrap();
    env.executor.checkpoints.release();
    wait_for_state(&env.engine, &holding.id, RunState::Succeeded).await;
    env.executor.checkpoints.reached("working").await;
    assert_eq!(
        env.engine.get_run(&waiting.id).await.unwrap().state,
        RunState::Queued,
        "still waiting for its worker, not closed as an orphan"
    );
    env.executor.checkpoints.release();
    wait_for_state(&env.engine, &next.id, RunState::Succeeded).await;

    // A worker that serves it connects and takes it.
    let second_server = worker(&env, "daemon", served, true).await;
    let done = wait_for_state(&laptop, &waiting.id, RunState::Succeeded).await;
    assert!(done.worker.is_some_and(|w| w.ends_with("(daemon)")));

    laptop.shutdown().await;
    second_server.shutdown().await;
}

#[tokio::test]
async fn a_question_asked_by_a_run_on_another_machine_is_notified_here_and_answered_here() {
    let env = TestEnv::new().await;
    let served = env.dir.path().join("server-repos");
    std::fs::create_dir_all(served.join("api")).unwrap();
    let executor = ScriptedExecutor::new();
    let call = BlockerId::new();
    let asked = Blocker::Question {
        call_id: call.clone(),
        questions: vec![Question {
            question: "Which branch?".into(),
            choices: vec!["main".into(), "dev".into()],
        }],
    };
    executor.script(move |ctx, _| {
        let asked = asked.clone();
        async move {
            match ctx.block(asked).await {
                Ok(BlockerReply::Question { answers }) => Outcome::Succeeded {
                    result: answers.join(","),
                },
                other => Outcome::Failed {
                    code: autowork_core::ledger::ErrorCode::ExecutionFailed,
                    message: format!("{other:?}"),
                },
            }
        }
    });
    let server = Engine::open(
        config(env.data_dir(), executor)
            .label("daemon")
            .serve(vec![served.clone()])
            .takes_queued_runs(true),
    )
    .await
    .unwrap();
    let shown = Arc::new(Shown::default());
    let laptop_home = env.dir.path().join("laptop-home");
    std::fs::create_dir_all(&laptop_home).unwrap();
    let laptop = Engine::open(
        config(env.data_dir(), refuses_to_run())
            .label("app")
            .serve(vec![laptop_home])
            .notifier(shown.clone()),
    )
    .await
    .unwrap();
    let mut definition = env.definition();
    definition["title"] = serde_json::json!("API triage");
    definition["workspace"] = serde_json::json!(served.join("api"));
    let automation = env.engine.create_automation(&definition).await.unwrap();

    let run = laptop
        .run_now(&automation.id, Attendance::Attended)
        .await
        .unwrap();
    wait_for_state(&laptop, &run.id, RunState::AwaitingInput).await;
    let team = std::env::var("AUTOWORK_TEST_STORE").as_deref() == Ok("postgres");
    if team {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        while shown.0.lock().unwrap().is_empty() {
            assert!(std::time::Instant::now() < deadline, "no notification here");
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        assert_eq!(
            *shown.0.lock().unwrap(),
            vec!["API triage: asks: Which branch?".to_owned()]
        );
    }
    laptop
        .answer_question(&call, vec!["dev".into()])
        .await
        .unwrap();
    let done = wait_for_state(&laptop, &run.id, RunState::Succeeded).await;
    assert_eq!(done.result.as_deref(), Some("dev"));
    if !team {
        // On one computer the run's own process tells its person: no second notification.
        assert!(shown.0.lock().unwrap().is_empty());
    }
    laptop.shutdown().await;
    server.shutdown().await;
}
