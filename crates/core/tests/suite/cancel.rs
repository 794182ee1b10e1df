//! Cancel and delete at each await point of an execution: the run ends `stopped`, the work
//! after that point never happens, and no event follows the terminal one.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use autowork_core::executor::Outcome;
use autowork_core::ids::BlockerId;
use autowork_core::ledger::{Attendance, Blocker, ErrorCode, Question, Run, RunState, StopReason};
use pretty_assertions::assert_eq;

use super::support::*;

#[derive(Clone, Copy, Debug)]
enum Point {
    Queued,
    Setup,
    Stream,
    Blocked,
}

#[derive(Clone, Copy, Debug)]
enum How {
    Cancel,
    Delete,
}

/// Runs an automation whose executor passes `setup`, then `stream`, then blocks on a
/// question, and stops it with `how` at `point`.
async fn stop_at(point: Point, how: How) {
    let env = TestEnv::new().await;
    let finished_work = Arc::new(AtomicBool::new(false));
    let flag = finished_work.clone();
    env.executor.script(move |ctx, checkpoints| {
        let flag = flag.clone();
        async move {
            checkpoints.pass("setup").await;
            checkpoints.pass("stream").await;
            let asked = ctx
                .block(Blocker::Question {
                    call_id: BlockerId::new(),
                    questions: vec![Question {
                        question: "Which branch?".into(),
                        choices: vec!["main".into(), "dev".into()],
                    }],
                })
                .await;
            flag.store(true, Ordering::SeqCst);
            match asked {
                Ok(_) => Outcome::Succeeded {
                    result: "answered".into(),
                },
                Err(e) => Outcome::Failed {
                    code: ErrorCode::NeedsUserInput,
                    message: e.to_string(),
                },
            }
        }
    });
    let automation = env.automation().await;
    let mut rx = env.engine.subscribe();
    let run = env
        .engine
        .run_now(&automation.id, Attendance::Attended)
        .await
        .unwrap();
    let cp = &env.executor.checkpoints;
    match point {
        Point::Queued => {} // the run task has not been polled yet: still queued
        Point::Setup => cp.reached("setup").await,
        Point::Stream => {
            cp.reached("setup").await;
            cp.release();
            cp.reached("stream").await;
        }
        Point::Blocked => {
            cp.reached("setup").await;
            cp.release();
            cp.reached("stream").await;
            cp.release();
            wait_for_state(&env.engine, &run.id, RunState::AwaitingInput).await;
        }
    }
    let (stopped, reason): (Run, StopReason) = match how {
        How::Cancel => (
            env.engine.cancel_run(&run.id).await.unwrap(),
            StopReason::Cancelled,
        ),
        How::Delete => (
            env.engine
                .delete_automation(&automation.id)
                .await
                .unwrap()
                .stopped
                .expect("delete returns the run it stopped"),
            StopReason::Deleted,
        ),
    };
    // Let anything still in flight try to happen.
    cp.release();
    cp.release();
    settle().await;

    assert_eq!(stopped.state, RunState::Stopped, "{point:?}/{how:?}");
    assert_eq!(stopped.stop_reason, Some(reason), "{point:?}/{how:?}");
    assert_eq!(stopped.blocker, None, "a stopped run has no blocker");
    assert_eq!(
        env.engine.get_run(&run.id).await.unwrap(),
        stopped,
        "the ledger says the same"
    );
    assert!(
        !finished_work.load(Ordering::SeqCst),
        "work after {point:?} never ran"
    );
    if let Point::Queued = point {
        assert_eq!(stopped.started_at, None, "stopped before it started");
    }
    let events = drain_run_events(&mut rx, &run.id);
    assert_nothing_after_terminal(&events);
    assert_eq!(states(&events).last(), Some(&RunState::Stopped));
}

#[tokio::test]
async fn cancel_while_queued_stops_the_run_before_it_starts() {
    stop_at(Point::Queued, How::Cancel).await;
}

#[tokio::test]
async fn cancel_before_setup_work_stops_the_run() {
    stop_at(Point::Setup, How::Cancel).await;
}

#[tokio::test]
async fn cancel_during_the_model_stream_stops_the_run() {
    stop_at(Point::Stream, How::Cancel).await;
}

#[tokio::test]
async fn cancel_while_blocked_stops_the_run_and_drops_the_blocker() {
    stop_at(Point::Blocked, How::Cancel).await;
}

#[tokio::test]
async fn delete_while_queued_stops_the_run_as_deleted() {
    stop_at(Point::Queued, How::Delete).await;
}

#[tokio::test]
async fn delete_before_setup_work_stops_the_run_as_deleted() {
    stop_at(Point::Setup, How::Delete).await;
}

#[tokio::test]
async fn delete_during_the_model_stream_stops_the_run_as_deleted() {
    stop_at(Point::Stream, How::Delete).await;
}

#[tokio::test]
async fn delete_while_blocked_stops_the_run_as_deleted() {
    stop_at(Point::Blocked, How::Delete).await;
}

#[tokio::test]
async fn cancelling_a_finished_run_is_a_conflict_that_changes_nothing() {
    let env = TestEnv::new().await;
    let automation = env.automation().await;
    let run = env
        .engine
        .run_now(&automation.id, Attendance::Attended)
        .await
        .unwrap();
    let done = wait_for_state(&env.engine, &run.id, RunState::Succeeded).await;
    let error = env.engine.cancel_run(&run.id).await.unwrap_err();
    let wire = autowork_core::ApiError::from(error);
    assert!(
        matches!(&wire, autowork_core::ApiError::Conflict { error, current_state: Some(RunState::Succeeded), .. } if error == "illegal_transition"),
        "{wire:?}"
    );
    assert_eq!(env.engine.get_run(&run.id).await.unwrap(), done);
}

#[tokio::test]
async fn a_run_cancelled_from_another_process_stops_its_work() {
    let env = TestEnv::new().await;
    let reached_end = Arc::new(AtomicBool::new(false));
    let flag = reached_end.clone();
    env.executor.script(move |_, checkpoints| {
        let flag = flag.clone();
        async move {
            checkpoints.pass("working").await;
            flag.store(true, Ordering::SeqCst);
            Outcome::Succeeded {
                result: "done".into(),
            }
        }
    });
    let automation = env.automation().await;
    let run = env
        .engine
        .run_now(&automation.id, Attendance::Attended)
        .await
        .unwrap();
    env.executor.checkpoints.reached("working").await;

    let other = env.second_engine(ScriptedExecutor::new()).await;
    let stopped = other.cancel_run(&run.id).await.unwrap();
    assert_eq!(stopped.stop_reason, Some(StopReason::Cancelled));
    settle().await; // the owner reads the outbox and drops the execution
    env.executor.checkpoints.release();
    settle().await;
    assert!(
        !reached_end.load(Ordering::SeqCst),
        "the owner stopped the work"
    );
    assert_eq!(
        env.engine.get_run(&run.id).await.unwrap().state,
        RunState::Stopped
    );
    other.shutdown().await;
}
