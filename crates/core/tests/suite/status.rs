//! What the engine derives about an automation: next fires, last run, failure streak, why
//! it finished, and the pause after too many failures.

use std::sync::Arc;

use autowork_core::definition::{Finished, PausedReason};
use autowork_core::executor::Outcome;
use autowork_core::ledger::{Attendance, ErrorCode, RunState};
use autowork_core::Engine;
use pretty_assertions::assert_eq;
use serde_json::json;

use super::support::*;

#[tokio::test]
async fn a_cron_automation_lists_its_next_five_fires_and_a_manual_one_none() {
    let env = TestEnv::new().await;
    let mut definition = env.definition();
    definition["trigger"] = json!({"kind": "cron", "expression": "0 9 * * *", "timezone": "UTC"});
    let daily = env.engine.create_automation(&definition).await.unwrap();
    assert_eq!(daily.status.next_fires.len(), 5);
    assert_eq!(
        daily.status.next_fire_at,
        daily.status.next_fires.first().copied()
    );
    assert!(daily
        .status
        .next_fires
        .windows(2)
        .all(|w| (w[1] - w[0]) == chrono::Duration::days(1)));
    let manual = env.automation().await;
    assert_eq!(manual.status.next_fire_at, None);
    let paused = env.engine.set_paused(&daily.id, true).await.unwrap();
    assert_eq!(
        paused.status.next_fire_at, None,
        "paused automations do not fire"
    );
    assert!(env
        .engine
        .list_automations()
        .await
        .unwrap()
        .iter()
        .all(|a| a.status.next_fires.len() <= 5));
}

#[tokio::test]
async fn each_run_end_refreshes_last_run_and_the_failure_streak() {
    let env = TestEnv::new().await;
    let automation = env.automation().await;
    let fail = || Outcome::Failed {
        code: ErrorCode::ExecutionFailed,
        message: "broke".into(),
    };
    env.executor.script(move |_, _| async move { fail() });
    for expected_streak in 1..=2 {
        let run = env
            .engine
            .run_now(&automation.id, Attendance::Attended)
            .await
            .unwrap();
        wait_for_state(&env.engine, &run.id, RunState::Failed).await;
        let now = env.engine.get_automation(&automation.id).await.unwrap();
        assert_eq!(now.status.failure_streak, expected_streak);
        assert_eq!(now.status.last_run.as_ref().unwrap().run_id, run.id);
        assert_eq!(
            now.status.last_run.as_ref().unwrap().state,
            RunState::Failed
        );
    }
    env.executor.script(|_, _| async {
        Outcome::Succeeded {
            result: "ok".into(),
        }
    });
    let run = env
        .engine
        .run_now(&automation.id, Attendance::Attended)
        .await
        .unwrap();
    wait_for_state(&env.engine, &run.id, RunState::Succeeded).await;
    let now = env.engine.get_automation(&automation.id).await.unwrap();
    assert_eq!(now.status.failure_streak, 0, "a success ends the streak");
    assert_eq!(now.revision, 4, "each run's end is a new revision");
    assert!(
        !now.spec.paused,
        "manual automations are never paused by failures"
    );
}

#[tokio::test]
async fn three_failed_runs_in_a_row_pause_a_scheduled_automation_and_notify() {
    let env = TestEnv::new().await;
    let notes = Arc::new(Shown::default());
    let executor = ScriptedExecutor::new();
    executor.script(|_, _| async {
        Outcome::Failed {
            code: ErrorCode::ExecutionFailed,
            message: "tests still red".into(),
        }
    });
    let engine =
        Engine::open(config(env.dir.path().join("other-data"), executor).notifier(notes.clone()))
            .await
            .unwrap();
    let mut definition = env.definition();
    definition["trigger"] = json!({"kind": "interval", "every_ms": 3_600_000});
    let automation = engine.create_automation(&definition).await.unwrap();
    for _ in 0..3 {
        let run = engine
            .run_now(&automation.id, Attendance::Unattended)
            .await
            .unwrap();
        wait_for_state(&engine, &run.id, RunState::Failed).await;
    }
    let paused = engine.get_automation(&automation.id).await.unwrap();
    assert!(paused.spec.paused);
    assert_eq!(
        paused.status.paused_reason,
        Some(PausedReason::FailureStreak)
    );
    assert_eq!(paused.status.next_fire_at, None);
    let notes = notes.0.lock().unwrap().clone();
    assert_eq!(
        notes
            .iter()
            .filter(|n| n.contains("failed (execution_failed)"))
            .count(),
        3
    );
    assert!(
        notes
            .iter()
            .any(|n| n.contains("paused after 3 failed runs in a row")),
        "{notes:?}"
    );
    let resumed = engine.set_paused(&automation.id, false).await.unwrap();
    assert_eq!(
        resumed.status.paused_reason, None,
        "resuming clears the reason"
    );
    assert!(resumed.status.next_fire_at.is_some());
    engine.shutdown().await;
}

#[tokio::test]
async fn an_after_runs_automation_finishes_once_its_runs_are_done() {
    let env = TestEnv::new().await;
    let mut definition = env.definition();
    definition["trigger"] = json!({"kind": "interval", "every_ms": 3_600_000});
    definition["stop"] = json!({"kind": "after_runs", "count": 2});
    let automation = env.engine.create_automation(&definition).await.unwrap();
    assert_eq!(automation.status.finished, None);
    for _ in 0..2 {
        let run = env
            .engine
            .run_now(&automation.id, Attendance::Attended)
            .await
            .unwrap();
        wait_for_state(&env.engine, &run.id, RunState::Succeeded).await;
    }
    let done = env.engine.get_automation(&automation.id).await.unwrap();
    assert_eq!(done.status.finished, Some(Finished::AfterRuns));
    assert_eq!(done.status.next_fire_at, None);
}

/// A list reads each automation's next fire from its stored plan instead of computing five:
/// whatever the schedule, the list says what reading the automation alone says.
#[tokio::test]
async fn the_list_shows_the_same_next_fire_and_finish_as_reading_each_automation() {
    use autowork_core::clock::ManualClock;
    use chrono::{TimeZone, Utc};

    let start = Utc.with_ymd_and_hms(2026, 3, 27, 8, 0, 0).unwrap();
    let clock = ManualClock::new(start);
    let dir = tempfile::tempdir().unwrap();
    let workspace = dir.path().join("workspace");
    std::fs::create_dir_all(&workspace).unwrap();
    let executor = ScriptedExecutor::new();
    // No scheduler: planned fires stay where they are when the clock passes them.
    let engine = Engine::open(
        config(dir.path().join("data"), executor.clone())
            .clock(Arc::new(clock.clone()))
            .scheduler(false),
    )
    .await
    .unwrap();
    let at = |hours: i64| (start + chrono::Duration::hours(hours)).to_rfc3339();
    let schedules = [
        json!({"trigger": {"kind": "cron", "expression": "30 9 * * *", "timezone": "Europe/Berlin"}}),
        json!({"trigger": {"kind": "cron", "expression": "0 * * * *", "timezone": "UTC"}}),
        json!({"trigger": {"kind": "interval", "every_ms": 5_400_000}}),
        json!({"trigger": {"kind": "once", "fire_at": at(3)}}),
        json!({"trigger": {"kind": "once", "fire_at": at(30)}}),
        json!({"trigger": {"kind": "cron", "expression": "0 12 * * *", "timezone": "UTC"},
               "stop": {"kind": "until", "at": at(5)}}),
        json!({"trigger": {"kind": "cron", "expression": "0 12 * * *", "timezone": "UTC"},
               "stop": {"kind": "until", "at": at(30)}}),
        json!({"trigger": {"kind": "interval", "every_ms": 3_600_000},
               "stop": {"kind": "after_runs", "count": 1}}),
        json!({"trigger": {"kind": "cron", "expression": "0 9 * * *", "timezone": "UTC"},
               "paused": true}),
        json!({"trigger": {"kind": "manual"}}),
    ];
    let mut ids = Vec::new();
    for (i, schedule) in schedules.iter().enumerate() {
        let mut definition = json!({
            "title": format!("Schedule {i}"),
            "prompt": "Run the tests.",
            "workspace": workspace,
            "model": { "provider_id": "mock", "model_id": "mock-coder" },
        });
        for (key, value) in schedule.as_object().unwrap() {
            definition[key] = value.clone();
        }
        ids.push(engine.create_automation(&definition).await.unwrap().id);
    }
    // The after_runs automation has its one run, so it is finished.
    let run = engine.run_now(&ids[7], Attendance::Attended).await.unwrap();
    wait_for_state(&engine, &run.id, RunState::Succeeded).await;

    // Now, two and a half hours on (some plans passed, unfired), and a day and a half on.
    for hours in [0, 2, 36] {
        clock.set(start + chrono::Duration::minutes(hours * 60 + 30 * i64::from(hours == 2)));
        let listed = engine.list_automations().await.unwrap();
        assert_eq!(listed.len(), ids.len());
        for automation in listed {
            let alone = engine.get_automation(&automation.id).await.unwrap();
            let title = &automation.spec.title;
            assert_eq!(
                automation.status.next_fire_at, alone.status.next_fire_at,
                "{title} at +{hours} h"
            );
            assert_eq!(
                automation.status.finished, alone.status.finished,
                "{title} at +{hours} h"
            );
            assert_eq!(
                automation.status.next_fires,
                alone
                    .status
                    .next_fires
                    .iter()
                    .take(1)
                    .copied()
                    .collect::<Vec<_>>(),
                "{title} at +{hours} h"
            );
        }
    }
    engine.shutdown().await;
}

/// The list is kept in memory and refreshed by what changed, whichever process changed it:
/// another engine's new automation, edit, run and deletion all show in this engine's list.
#[tokio::test]
async fn the_list_shows_what_another_process_changed() {
    let env = TestEnv::new().await;
    let kept = env.automation().await;
    let edited = env.automation_in("edited").await;
    let gone = env.automation_in("gone").await;
    assert_eq!(env.engine.list_automations().await.unwrap().len(), 3);

    let other = env.second_engine(ScriptedExecutor::new()).await;
    let added = other.create_automation(&env.definition()).await.unwrap();
    other
        .update_automation(&edited.id, &json!({"title": "Renamed"}), edited.revision)
        .await
        .unwrap();
    other.delete_automation(&gone.id).await.unwrap();
    let run = other.run_now(&kept.id, Attendance::Attended).await.unwrap();
    wait_for_state(&other, &run.id, RunState::Succeeded).await;

    let listed = env.engine.list_automations().await.unwrap();
    let ids: Vec<_> = listed.iter().map(|a| a.id.clone()).collect();
    assert_eq!(
        ids,
        vec![kept.id.clone(), edited.id.clone(), added.id.clone()]
    );
    assert_eq!(listed[1].spec.title, "Renamed");
    let last = listed[0].status.last_run.as_ref().expect("the run shows");
    assert_eq!((&last.run_id, last.state), (&run.id, RunState::Succeeded));
    assert_eq!(listed[0].status.recent_runs.len(), 1);
    // And what a single read says, field for field.
    for automation in &listed {
        let alone = env.engine.get_automation(&automation.id).await.unwrap();
        assert_eq!(automation.spec, alone.spec);
        assert_eq!(automation.revision, alone.revision);
        assert_eq!(automation.status.last_run, alone.status.last_run);
        assert_eq!(automation.status.recent_runs, alone.status.recent_runs);
        assert_eq!(
            automation.status.failure_streak,
            alone.status.failure_streak
        );
    }
    other.shutdown().await;
}
