use autowork_core::events::Event;
use autowork_core::executor::Outcome;
use autowork_core::ledger::{Attendance, ErrorCode, RunState, Usage};
use pretty_assertions::assert_eq;

use super::support::*;

#[tokio::test]
async fn plain_successful_run_publishes_queued_running_succeeded_and_nothing_else() {
    let env = TestEnv::new().await;
    let automation = env.automation().await;
    let mut rx = env.engine.subscribe();

    let queued = env
        .engine
        .run_now(&automation.id, Attendance::Attended)
        .await
        .unwrap();
    assert_eq!(
        queued.state,
        RunState::Queued,
        "run_now returns the queued run at once"
    );
    let done = wait_for_state(&env.engine, &queued.id, RunState::Succeeded).await;
    settle().await;

    let events = drain_run_events(&mut rx, &queued.id);
    assert_eq!(
        states(&events),
        vec![RunState::Queued, RunState::Running, RunState::Succeeded]
    );
    assert_eq!(events.len(), 3, "only run.updated events: {events:#?}");
    let revisions: Vec<u64> = events
        .iter()
        .map(|e| match e {
            Event::RunUpdated(run) => run.revision,
            _ => 0,
        })
        .collect();
    assert_eq!(
        revisions,
        vec![1, 2, 3],
        "each change bumps the revision by one"
    );

    assert_eq!(done.result.as_deref(), Some("done"));
    assert_eq!(done.definition_revision, automation.revision);
    let started = done.started_at.expect("a finished run has started");
    let finished = done.finished_at.expect("a finished run has a finish time");
    assert!(
        done.queued_at <= started && started <= finished,
        "timestamps in order: {done:?}"
    );
}

#[tokio::test]
async fn failed_run_records_code_and_message() {
    let env = TestEnv::new().await;
    env.executor.script(|_, _| async {
        Outcome::Failed {
            code: ErrorCode::StepCap,
            message: "the run passed its step cap of 50".into(),
        }
    });
    let automation = env.automation().await;
    let run = env
        .engine
        .run_now(&automation.id, Attendance::Unattended)
        .await
        .unwrap();
    let failed = wait_for_state(&env.engine, &run.id, RunState::Failed).await;
    let error = failed.error.expect("a failed run carries its error");
    assert_eq!(error.code, ErrorCode::StepCap);
    assert_eq!(error.message, "the run passed its step cap of 50");
    assert_eq!(failed.result, None);
}

#[tokio::test]
async fn usage_accumulates_and_each_change_is_one_event() {
    let env = TestEnv::new().await;
    env.executor.script(|ctx, _| async move {
        for _ in 0..3 {
            ctx.record_usage(Usage {
                tokens_in: 100,
                tokens_out: 10,
                cost_usd: 0.01,
                steps: 1,
            })
            .await
            .unwrap();
        }
        Outcome::Succeeded {
            result: "ok".into(),
        }
    });
    let automation = env.automation().await;
    let mut rx = env.engine.subscribe();
    let run = env
        .engine
        .run_now(&automation.id, Attendance::Attended)
        .await
        .unwrap();
    let done = wait_for_state(&env.engine, &run.id, RunState::Succeeded).await;
    settle().await;
    assert_eq!((done.tokens_in, done.tokens_out, done.steps), (300, 30, 3));
    assert!(
        (done.cost_usd - 0.03).abs() < 1e-9,
        "cost adds up: {}",
        done.cost_usd
    );
    let events = drain_run_events(&mut rx, &run.id);
    assert_eq!(
        events.len(),
        6,
        "queued, running, 3 usage updates, succeeded"
    );
    assert_nothing_after_terminal(&events);
}

#[tokio::test]
async fn a_vanished_workspace_fails_the_run_before_it_starts_and_says_what_to_fix() {
    let env = TestEnv::new().await;
    let automation = env.automation().await;
    std::fs::remove_dir_all(&env.workspace).unwrap();
    let run = env
        .engine
        .run_now(&automation.id, Attendance::Attended)
        .await
        .unwrap();
    let failed = wait_for_state(&env.engine, &run.id, RunState::Failed).await;
    let error = failed.error.unwrap();
    assert_eq!(error.code, ErrorCode::ExecutionFailed);
    assert!(
        error.message.contains("no longer exists"),
        "{}",
        error.message
    );
    assert_eq!(failed.started_at, None, "it never started");

    // The writer key was released: a new workspace at the same path runs fine.
    std::fs::create_dir_all(&env.workspace).unwrap();
    let again = env
        .engine
        .run_now(&automation.id, Attendance::Attended)
        .await
        .unwrap();
    wait_for_state(&env.engine, &again.id, RunState::Succeeded).await;
}

#[tokio::test]
async fn automation_changes_are_published_with_their_revision() {
    let env = TestEnv::new().await;
    let mut rx = env.engine.subscribe();
    let automation = env.automation().await;
    let updated = env
        .engine
        .update_automation(&automation.id, &serde_json::json!({"title": "Renamed"}), 1)
        .await
        .unwrap();
    env.engine.delete_automation(&automation.id).await.unwrap();
    let mut seen = Vec::new();
    while let Ok(record) = rx.try_recv() {
        seen.push(record.event);
    }
    assert_eq!(
        seen,
        vec![
            Event::AutomationUpdated(automation.clone()),
            Event::AutomationUpdated(updated),
            Event::AutomationDeleted {
                id: automation.id.clone(),
                revision: 3
            },
        ]
    );
}

#[tokio::test]
async fn the_outbox_replays_every_change_in_order() {
    let env = TestEnv::new().await;
    let automation = env.automation().await;
    let run = env
        .engine
        .run_now(&automation.id, Attendance::Attended)
        .await
        .unwrap();
    wait_for_state(&env.engine, &run.id, RunState::Succeeded).await;
    let records = env.engine.events_since(0, 100).await.unwrap();
    let kinds: Vec<&str> = records.iter().map(|r| r.event.kind()).collect();
    assert_eq!(
        kinds,
        vec![
            "automation.updated",
            "run.updated",
            "run.updated",
            "run.updated",
            "automation.updated"
        ],
        "the run's end refreshes the automation's status"
    );
    assert!(
        records.windows(2).all(|w| w[0].seq < w[1].seq),
        "sequence increases"
    );
    assert_eq!(env.engine.last_event_seq().await.unwrap(), records[4].seq);
}

/// On a team database another process's events arrive when they commit (LISTEN/NOTIFY), not
/// at the next poll: with a follow interval of a minute, an automation created by one engine
/// reaches the other's subscribers within seconds, while the engine's own writes do not wake
/// its follower.
#[tokio::test]
async fn on_a_team_database_another_process_events_arrive_at_their_commit() {
    if std::env::var("AUTOWORK_TEST_STORE").as_deref() != Ok("postgres") {
        eprintln!("LISTEN/NOTIFY is the team database's: run with AUTOWORK_TEST_STORE=postgres");
        return;
    }
    let env = TestEnv::new().await;
    let mut slow = config(env.data_dir(), ScriptedExecutor::new());
    slow.follow_interval = std::time::Duration::from_secs(60);
    let other = autowork_core::Engine::open(slow).await.unwrap();
    let mut rx = other.subscribe();
    let created = env.automation().await;
    let arrived = tokio::time::timeout(std::time::Duration::from_secs(4), async {
        loop {
            match rx.recv().await.unwrap().event {
                Event::AutomationUpdated(automation) if automation.id == created.id => {
                    return automation;
                }
                _ => {}
            }
        }
    })
    .await
    .expect("the other process's event arrives without waiting for a poll");
    assert_eq!(arrived, created);
    other.shutdown().await;
    env.engine.shutdown().await;
}
