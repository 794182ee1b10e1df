use autowork_core::ledger::{Attendance, RunState, StopReason};
use pretty_assertions::assert_eq;

use super::support::*;

#[tokio::test]
async fn second_run_on_same_workspace_stops_writer_busy() {
    let env = TestEnv::new().await;
    hold_until_released(&env.executor);
    let automation = env.automation().await;
    let first = env
        .engine
        .run_now(&automation.id, Attendance::Attended)
        .await
        .unwrap();
    env.executor.checkpoints.reached("working").await;

    let second = env
        .engine
        .run_now(&automation.id, Attendance::Attended)
        .await
        .unwrap();
    let busy = wait_for_state(&env.engine, &second.id, RunState::Stopped).await;
    assert_eq!(busy.stop_reason, Some(StopReason::WriterBusy));
    assert_eq!(busy.started_at, None, "a busy run never starts");

    env.executor.checkpoints.release();
    wait_for_state(&env.engine, &first.id, RunState::Succeeded).await;

    // Once the first run is done the key is free again.
    let third = env
        .engine
        .run_now(&automation.id, Attendance::Attended)
        .await
        .unwrap();
    env.executor.checkpoints.reached("working").await;
    env.executor.checkpoints.release();
    wait_for_state(&env.engine, &third.id, RunState::Succeeded).await;
}

#[tokio::test]
async fn two_automations_on_one_workspace_share_its_writer_key() {
    let env = TestEnv::new().await;
    hold_until_released(&env.executor);
    let one = env.automation().await;
    let two = env.automation().await;
    let first = env
        .engine
        .run_now(&one.id, Attendance::Attended)
        .await
        .unwrap();
    env.executor.checkpoints.reached("working").await;
    let second = env
        .engine
        .run_now(&two.id, Attendance::Unattended)
        .await
        .unwrap();
    let busy = wait_for_state(&env.engine, &second.id, RunState::Stopped).await;
    assert_eq!(busy.stop_reason, Some(StopReason::WriterBusy));
    env.executor.checkpoints.release();
    wait_for_state(&env.engine, &first.id, RunState::Succeeded).await;
}

#[tokio::test]
async fn runs_on_different_workspaces_proceed_together() {
    let env = TestEnv::new().await;
    hold_until_released(&env.executor);
    let one = env.automation_in("one").await;
    let two = env.automation_in("two").await;
    let a = env
        .engine
        .run_now(&one.id, Attendance::Attended)
        .await
        .unwrap();
    env.executor.checkpoints.reached("working").await;
    let b = env
        .engine
        .run_now(&two.id, Attendance::Attended)
        .await
        .unwrap();
    env.executor.checkpoints.reached("working").await;
    assert_eq!(
        env.engine.get_run(&a.id).await.unwrap().state,
        RunState::Running
    );
    assert_eq!(
        env.engine.get_run(&b.id).await.unwrap().state,
        RunState::Running
    );
    env.executor.checkpoints.release();
    env.executor.checkpoints.release();
    wait_for_state(&env.engine, &a.id, RunState::Succeeded).await;
    wait_for_state(&env.engine, &b.id, RunState::Succeeded).await;
}

#[tokio::test]
async fn writer_key_holds_across_two_engines_on_one_database_file() {
    let env = TestEnv::new().await;
    hold_until_released(&env.executor);
    let automation = env.automation().await;
    let other_executor = ScriptedExecutor::new();
    let other = env.second_engine(other_executor.clone()).await;

    let first = env
        .engine
        .run_now(&automation.id, Attendance::Attended)
        .await
        .unwrap();
    env.executor.checkpoints.reached("working").await;
    let second = other
        .run_now(&automation.id, Attendance::Attended)
        .await
        .unwrap();
    let busy = wait_for_state(&other, &second.id, RunState::Stopped).await;
    assert_eq!(busy.stop_reason, Some(StopReason::WriterBusy));

    env.executor.checkpoints.release();
    wait_for_state(&env.engine, &first.id, RunState::Succeeded).await;
    let third = other
        .run_now(&automation.id, Attendance::Attended)
        .await
        .unwrap();
    wait_for_state(&other, &third.id, RunState::Succeeded).await;
    other.shutdown().await;
}
