//! The run queue: the limits hold across engines on one database (checked from the ledger's
//! start and end times), a person's Run now goes first, queued runs can be cancelled, and a
//! queued run says where it stands.

use std::collections::BTreeMap;
use std::time::Duration;

use autowork_core::executor::Outcome;
use autowork_core::ledger::{Attendance, Run, RunState, RunTrigger, StopReason};
use autowork_core::queue::QueueLimits;
use autowork_core::Error;
use pretty_assertions::assert_eq;

use super::support::*;

fn limit(max: u32) -> QueueLimits {
    QueueLimits {
        max_concurrent_runs: max,
        per_provider: BTreeMap::new(),
    }
}

fn work_for(executor: &ScriptedExecutor, millis: u64) {
    executor.script(move |_, _| async move {
        tokio::time::sleep(Duration::from_millis(millis)).await;
        Outcome::Succeeded {
            result: "done".into(),
        }
    });
}

/// The most runs that held a slot at one time, from their start and end times (an end at the
/// same millisecond as a start comes first: the slot was free by then).
fn most_at_once(runs: &[Run]) -> usize {
    let mut marks: Vec<(i64, i32)> = Vec::new();
    for run in runs {
        let started = run.started_at.expect("every run started");
        let finished = run.finished_at.expect("every run finished");
        marks.push((started.timestamp_micros(), 1));
        marks.push((finished.timestamp_micros(), -1));
    }
    marks.sort();
    let (mut now, mut most) = (0i32, 0i32);
    for (_, step) in marks {
        now += step;
        most = most.max(now);
    }
    most as usize
}

#[tokio::test]
async fn the_limit_holds_with_two_engines_on_one_database() {
    let env = TestEnv::new().await;
    work_for(&env.executor, 120);
    env.engine.set_queue_limits(limit(2)).await.unwrap();
    let other_executor = ScriptedExecutor::new();
    work_for(&other_executor, 120);
    let other = env.second_engine(other_executor).await;

    let mut automations = Vec::new();
    for i in 0..8 {
        automations.push(env.automation_in(&format!("w{i}")).await);
    }
    let mut queued = Vec::new();
    for (i, automation) in automations.iter().enumerate() {
        let engine = if i % 2 == 0 { &env.engine } else { &other };
        queued.push(
            engine
                .run_now(&automation.id, Attendance::Attended)
                .await
                .unwrap(),
        );
    }
    let mut finished = Vec::new();
    for run in &queued {
        finished.push(wait_for_state(&env.engine, &run.id, RunState::Succeeded).await);
    }
    assert_eq!(most_at_once(&finished), 2, "{finished:#?}");
    other.shutdown().await;
}

#[tokio::test]
async fn a_persons_run_now_goes_ahead_of_scheduled_fires_and_the_rest_keep_due_order() {
    let env = TestEnv::new().await;
    hold_until_released(&env.executor);
    env.engine.set_queue_limits(limit(1)).await.unwrap();
    let holder = env.automation_in("holder").await;
    let holding = env
        .engine
        .run_now(&holder.id, Attendance::Attended)
        .await
        .unwrap();
    env.executor.checkpoints.reached("working").await;

    let early = env.automation_in("early").await;
    let late = env.automation_in("late").await;
    let person = env.automation_in("person").await;
    let early = env
        .engine
        .start_run(&early.id, RunTrigger::Schedule, Attendance::Unattended)
        .await
        .unwrap();
    let late = env
        .engine
        .start_run(&late.id, RunTrigger::CatchUp, Attendance::Unattended)
        .await
        .unwrap();
    let person = env
        .engine
        .run_now(&person.id, Attendance::Attended)
        .await
        .unwrap();
    settle().await;

    let place = env.engine.queue_place(&late.id).await.unwrap().unwrap();
    assert_eq!(
        (place.ahead, place.running, place.max_concurrent_runs),
        (2, 1, 1)
    );
    assert_eq!(
        place.describe(),
        "waiting for a free slot (2 ahead; 1 of 1 running)"
    );
    assert_eq!(
        env.engine
            .queue_place(&person.id)
            .await
            .unwrap()
            .unwrap()
            .ahead,
        0
    );
    assert_eq!(env.engine.queue_place(&holding.id).await.unwrap(), None);

    // Each run starts only when the one before has ended.
    let mut order = Vec::new();
    let mut current = holding.id.clone();
    for _ in 0..3 {
        env.executor.checkpoints.release();
        wait_for_state(&env.engine, &current, RunState::Succeeded).await;
        env.executor.checkpoints.reached("working").await;
        let page = env
            .engine
            .list_runs(&Default::default(), None, None)
            .await
            .unwrap();
        let running: Vec<_> = page
            .runs
            .iter()
            .filter(|r| r.state == RunState::Running)
            .map(|r| r.id.clone())
            .collect();
        assert_eq!(running.len(), 1, "one run at a time under a limit of 1");
        current = running[0].clone();
        order.push(current.clone());
    }
    assert_eq!(
        order,
        [person.id.clone(), early.id.clone(), late.id.clone()]
    );
    env.executor.checkpoints.release();
    wait_for_state(&env.engine, &late.id, RunState::Succeeded).await;
}

#[tokio::test]
async fn a_queued_run_is_cancelled_without_ever_starting() {
    let env = TestEnv::new().await;
    hold_until_released(&env.executor);
    env.engine.set_queue_limits(limit(1)).await.unwrap();
    let holder = env.automation_in("holder").await;
    let waiting = env.automation_in("waiting").await;
    let holding = env
        .engine
        .run_now(&holder.id, Attendance::Attended)
        .await
        .unwrap();
    env.executor.checkpoints.reached("working").await;
    let queued = env
        .engine
        .run_now(&waiting.id, Attendance::Attended)
        .await
        .unwrap();
    settle().await;
    assert_eq!(
        env.engine.get_run(&queued.id).await.unwrap().state,
        RunState::Queued
    );

    let cancelled = env.engine.cancel_run(&queued.id).await.unwrap();
    assert_eq!(cancelled.state, RunState::Stopped);
    assert_eq!(cancelled.stop_reason, Some(StopReason::Cancelled));
    assert_eq!(env.engine.queue_place(&queued.id).await.unwrap(), None);

    env.executor.checkpoints.release();
    wait_for_state(&env.engine, &holding.id, RunState::Succeeded).await;
    settle().await;
    let after = env.engine.get_run(&queued.id).await.unwrap();
    assert_eq!(after.state, RunState::Stopped);
    assert_eq!(
        after.started_at, None,
        "a cancelled queued run never starts"
    );
}

#[tokio::test]
async fn a_provider_limit_holds_below_the_global_one() {
    let env = TestEnv::new().await;
    hold_until_released(&env.executor);
    env.engine
        .set_queue_limits(QueueLimits {
            max_concurrent_runs: 4,
            per_provider: BTreeMap::from([("mock".to_owned(), 1)]),
        })
        .await
        .unwrap();
    let one = env.automation_in("one").await;
    let two = env.automation_in("two").await;
    let first = env
        .engine
        .run_now(&one.id, Attendance::Attended)
        .await
        .unwrap();
    env.executor.checkpoints.reached("working").await;
    let second = env
        .engine
        .run_now(&two.id, Attendance::Attended)
        .await
        .unwrap();
    settle().await;
    let place = env.engine.queue_place(&second.id).await.unwrap().unwrap();
    assert_eq!(
        place.describe(),
        "waiting for a free mock slot (next; 1 of 1 running)"
    );

    env.executor.checkpoints.release();
    wait_for_state(&env.engine, &first.id, RunState::Succeeded).await;
    env.executor.checkpoints.reached("working").await;
    env.executor.checkpoints.release();
    wait_for_state(&env.engine, &second.id, RunState::Succeeded).await;
}

#[tokio::test]
async fn raising_the_limit_starts_waiting_runs_at_once() {
    let env = TestEnv::new().await;
    hold_until_released(&env.executor);
    env.engine.set_queue_limits(limit(1)).await.unwrap();
    let one = env.automation_in("one").await;
    let two = env.automation_in("two").await;
    env.engine
        .run_now(&one.id, Attendance::Attended)
        .await
        .unwrap();
    env.executor.checkpoints.reached("working").await;
    let second = env
        .engine
        .run_now(&two.id, Attendance::Attended)
        .await
        .unwrap();
    settle().await;
    assert_eq!(
        env.engine.get_run(&second.id).await.unwrap().state,
        RunState::Queued
    );
    env.engine.set_queue_limits(limit(2)).await.unwrap();
    env.executor.checkpoints.reached("working").await;
    env.executor.checkpoints.release();
    env.executor.checkpoints.release();
    wait_for_state(&env.engine, &second.id, RunState::Succeeded).await;
}

#[tokio::test]
async fn limits_out_of_range_are_refused_by_field_and_the_stored_ones_stay() {
    let env = TestEnv::new().await;
    assert_eq!(
        env.engine.queue_limits().await.unwrap(),
        QueueLimits::default()
    );
    env.engine.set_queue_limits(limit(3)).await.unwrap();
    let refused = env.engine.set_queue_limits(limit(0)).await.unwrap_err();
    let Error::InvalidInput(details) = refused else {
        panic!("expected invalid input, got {refused:?}");
    };
    assert_eq!(details[0].field, "max_concurrent_runs");
    assert_eq!(env.engine.queue_limits().await.unwrap(), limit(3));
}

/// A process killed while its run holds the only slot: once its lease runs out the others
/// close its run, and the run waiting here starts.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slot_held_by_a_killed_process_frees_when_its_lease_runs_out() {
    let env = TestEnv::new().await;
    env.engine.set_queue_limits(limit(1)).await.unwrap();
    let held = env.automation_in("held").await;
    let waiting = env.automation_in("waiting").await;
    let mut owner = super::crash_recovery::spawn_child_with_lease(
        &env,
        &held.id,
        "run",
        Duration::from_secs(2),
    );
    wait_for_state(&env.engine, &owner.run_id, RunState::Running).await;
    let queued = env
        .engine
        .run_now(&waiting.id, Attendance::Attended)
        .await
        .unwrap();
    settle().await;
    assert_eq!(
        env.engine.get_run(&queued.id).await.unwrap().state,
        RunState::Queued,
        "the live child holds the only slot"
    );

    owner.kill();
    wait_for_state(&env.engine, &queued.id, RunState::Succeeded).await;
    let closed = env.engine.get_run(&owner.run_id).await.unwrap();
    assert_eq!(
        (closed.state, closed.stop_reason),
        (RunState::Stopped, Some(StopReason::Expired))
    );
}
