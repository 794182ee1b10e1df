//! A process on this machine that is visibly dead (its pid gone) loses its runs at once,
//! not when its 30 s lease runs out; a live one keeps them, and a run that finds the work
//! area taken says which run holds it. The owners are real child processes (this test
//! binary, re-run as a helper) killed with SIGKILL.

use std::time::{Duration, Instant};

use autowork_core::engine::WorkAreaHolder;
use autowork_core::ids::AutomationId;
use autowork_core::ledger::{Attendance, RunState, StopReason};
use autowork_core::Engine;
use pretty_assertions::assert_eq;

use super::crash_recovery::spawn_child_with_lease;
use super::support::*;

/// Well below the default 30 s lease the children hold: only the dead pid can explain a
/// recovery this quick.
const RECOVERED_WITHIN: Duration = Duration::from_secs(2);

type Owner = ChildRun;

/// A child process holding a run with the default 30 s lease: only its dead pid can explain
/// a quick recovery.
fn spawn_owner(env: &TestEnv, automation: &AutomationId, mode: &str) -> Owner {
    spawn_child_with_lease(env, automation, mode, Duration::from_secs(30))
}

fn ending(engine_run: &autowork_core::ledger::Run) -> (RunState, Option<StopReason>) {
    (engine_run.state, engine_run.stop_reason)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn runs_of_a_killed_process_are_recovered_at_open_without_waiting_for_its_lease() {
    let env = TestEnv::new().await;
    let running = env.automation_in("running").await;
    let waiting = env.automation_in("waiting").await;
    let mut killed_running = spawn_owner(&env, &running.id, "run");
    let mut killed_waiting = spawn_owner(&env, &waiting.id, "block");
    wait_for_state(&env.engine, &killed_running.run_id, RunState::Running).await;
    wait_for_state(&env.engine, &killed_waiting.run_id, RunState::AwaitingInput).await;

    killed_running.kill();
    killed_waiting.kill();
    let killed_at = Instant::now();
    let restarted = Engine::open(config(env.data_dir(), ScriptedExecutor::new()))
        .await
        .unwrap();

    let closed = (
        ending(&restarted.get_run(&killed_running.run_id).await.unwrap()),
        ending(&restarted.get_run(&killed_waiting.run_id).await.unwrap()),
    );
    let took = killed_at.elapsed();
    assert_eq!(
        closed,
        (
            (RunState::Stopped, Some(StopReason::Expired)),
            (RunState::Stopped, Some(StopReason::BlockerLost)),
        ),
        "closed as lease expiry would close them"
    );
    assert!(
        took < RECOVERED_WITHIN,
        "recovered {took:?} after the kill, not when the 30 s lease ran out"
    );

    // The work area is free: Run now goes ahead.
    let next = restarted
        .run_now(&running.id, Attendance::Attended)
        .await
        .unwrap();
    wait_for_state(&restarted, &next.id, RunState::Succeeded).await;
    restarted.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_now_beside_a_killed_owner_takes_the_work_area_at_once() {
    let env = TestEnv::new().await;
    let automation = env.automation().await;
    let mut owner = spawn_owner(&env, &automation.id, "run");
    wait_for_state(&env.engine, &owner.run_id, RunState::Running).await;

    owner.kill();
    let killed_at = Instant::now();
    // This engine was open all along: the busy work area makes it look at the owner.
    let next = env
        .engine
        .run_now(&automation.id, Attendance::Attended)
        .await
        .unwrap();
    let next = wait_for_state(&env.engine, &next.id, RunState::Succeeded).await;
    let took = killed_at.elapsed();

    assert_eq!(next.stop_reason, None);
    assert_eq!(
        ending(&env.engine.get_run(&owner.run_id).await.unwrap()),
        (RunState::Stopped, Some(StopReason::Expired))
    );
    assert!(
        took < RECOVERED_WITHIN,
        "Run now went ahead {took:?} after the kill"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_stopped_writer_busy_names_the_live_run_holding_the_work_area() {
    let env = TestEnv::new().await;
    let automation = env.automation().await;
    let owner = spawn_owner(&env, &automation.id, "run");
    let holding = wait_for_state(&env.engine, &owner.run_id, RunState::Running).await;

    let busy = env
        .engine
        .run_now(&automation.id, Attendance::Attended)
        .await
        .unwrap();
    let busy = wait_for_state(&env.engine, &busy.id, RunState::Stopped).await;

    assert_eq!(busy.stop_reason, Some(StopReason::WriterBusy));
    assert_eq!(
        ending(&env.engine.get_run(&owner.run_id).await.unwrap()),
        (RunState::Running, None),
        "a live owner keeps its run"
    );
    let holder = env.engine.work_area_holder(&busy.id).await.unwrap();
    let since = holding.started_at.unwrap();
    assert_eq!(
        holder,
        Some(WorkAreaHolder {
            run_id: owner.run_id.clone(),
            automation_id: automation.id.clone(),
            automation_title: "Nightly tests".into(),
            state: RunState::Running,
            since,
            until: None,
        })
    );
    assert_eq!(
        holder.unwrap().to_string(),
        format!(
            "run {} of \"Nightly tests\" (running since {})",
            owner.run_id,
            since.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
        )
    );
    assert_eq!(
        env.engine.work_area_holder(&holding.id).await.unwrap(),
        None,
        "only a run stopped writer_busy has a holder"
    );
}
