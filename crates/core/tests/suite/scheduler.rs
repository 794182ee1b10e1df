//! The scheduler on a clock the tests drive: fires on time, interval grids, catch-up after a
//! gap, overlap, one-shots, stop conditions, no double fire, one scheduler per database.

use std::sync::Arc;
use std::time::Duration;

use autowork_core::clock::ManualClock;
use autowork_core::definition::{Automation, CatchUp, Finished};
use autowork_core::executor::Outcome;
use autowork_core::ledger::{Attendance, Run, RunState, RunTrigger, StopReason};
use autowork_core::{Engine, RunFilter};
use chrono::{DateTime, TimeZone, Utc};
use pretty_assertions::assert_eq;
use serde_json::{json, Value};

use super::support::*;

fn at(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .unwrap()
        .with_timezone(&Utc)
}

struct Scheduled {
    env: TestEnv,
    clock: ManualClock,
}

impl Scheduled {
    async fn new(start: &str) -> Self {
        let clock = ManualClock::new(at(start));
        let env = TestEnv::with_clock(Some(Arc::new(clock.clone()))).await;
        Self { env, clock }
    }

    /// An engine on the same database that runs the scheduler.
    async fn scheduler(&self, executor: Arc<ScriptedExecutor>) -> Engine {
        // Longer than any jump of the test clock, so a jump alone never hands the scheduler
        // lease to another engine.
        self.scheduler_with_lease(executor, Duration::from_secs(3600))
            .await
    }

    async fn scheduler_with_lease(&self, executor: Arc<ScriptedExecutor>, ttl: Duration) -> Engine {
        Engine::open(
            config(self.env.data_dir(), executor)
                .clock(Arc::new(self.clock.clone()))
                .lease_ttl(ttl)
                .scheduler(true),
        )
        .await
        .unwrap()
    }

    async fn automation(&self, changes: Value) -> Automation {
        let mut definition = self.env.definition();
        for (key, value) in changes.as_object().unwrap() {
            definition[key] = value.clone();
        }
        self.env
            .engine
            .create_automation(&definition)
            .await
            .unwrap()
    }

    fn advance_to(&self, text: &str) {
        self.clock.set(at(text));
    }
}

async fn runs_of(engine: &Engine, automation: &Automation) -> Vec<Run> {
    let filter = RunFilter {
        automation_id: Some(automation.id.clone()),
        states: vec![],
        ..Default::default()
    };
    let mut runs = engine
        .list_runs(&filter, None, Some(500))
        .await
        .unwrap()
        .runs;
    runs.reverse(); // oldest first
    runs
}

/// Waits until the automation has `count` runs, all of them finished.
async fn wait_runs(engine: &Engine, automation: &Automation, count: usize) -> Vec<Run> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let runs = runs_of(engine, automation).await;
        if runs.len() == count && runs.iter().all(|r| r.state.is_terminal()) {
            return runs;
        }
        assert!(
            runs.len() <= count && tokio::time::Instant::now() < deadline,
            "expected {count} finished runs, have {runs:#?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Gives the scheduler a moment to (wrongly) fire more.
async fn quiet() {
    tokio::time::sleep(Duration::from_millis(300)).await;
}

#[tokio::test]
async fn a_cron_automation_fires_on_time_as_an_unattended_scheduled_run() {
    let s = Scheduled::new("2027-03-01T08:59:00Z").await;
    let automation = s
        .automation(
            json!({"trigger": {"kind": "cron", "expression": "0 9 * * *", "timezone": "UTC"}}),
        )
        .await;
    assert_eq!(
        automation.status.next_fire_at,
        Some(at("2027-03-01T09:00:00Z"))
    );
    let engine = s.scheduler(ScriptedExecutor::new()).await;
    quiet().await;
    assert!(
        runs_of(&engine, &automation).await.is_empty(),
        "nothing before 09:00"
    );

    s.advance_to("2027-03-01T09:00:05Z");
    let runs = wait_runs(&engine, &automation, 1).await;
    assert_eq!(
        (runs[0].trigger, runs[0].attendance),
        (RunTrigger::Schedule, Attendance::Unattended)
    );
    assert_eq!(runs[0].state, RunState::Succeeded);
    let after = engine.get_automation(&automation.id).await.unwrap();
    assert_eq!(after.status.next_fire_at, Some(at("2027-03-02T09:00:00Z")));
    quiet().await;
    assert_eq!(
        runs_of(&engine, &automation).await.len(),
        1,
        "one fire, one run"
    );
    engine.shutdown().await;
}

#[tokio::test]
async fn interval_fires_stay_on_the_grid_of_the_anchor() {
    let s = Scheduled::new("2027-03-01T10:00:00Z").await;
    let automation = s
        .automation(json!({"trigger": {"kind": "interval", "every_ms": 60_000}}))
        .await;
    let engine = s.scheduler(ScriptedExecutor::new()).await;
    s.advance_to("2027-03-01T10:01:10Z");
    wait_runs(&engine, &automation, 1).await;
    s.advance_to("2027-03-01T10:01:50Z");
    quiet().await;
    assert_eq!(
        runs_of(&engine, &automation).await.len(),
        1,
        "not before 10:02"
    );
    s.advance_to("2027-03-01T10:02:00Z");
    wait_runs(&engine, &automation, 2).await;
    let now = engine.get_automation(&automation.id).await.unwrap();
    assert_eq!(
        now.status.next_fire_at,
        Some(at("2027-03-01T10:03:00Z")),
        "still on the minute grid"
    );
    engine.shutdown().await;
}

#[tokio::test]
async fn a_three_day_gap_catches_up_once_and_records_the_rest_as_missed() {
    let s = Scheduled::new("2027-03-01T00:30:00Z").await;
    let automation = s
        .automation(
            json!({"trigger": {"kind": "cron", "expression": "0 * * * *", "timezone": "UTC"}}),
        )
        .await;
    // The app was closed for three days.
    s.advance_to("2027-03-04T00:30:00Z");
    let engine = s.scheduler(ScriptedExecutor::new()).await;
    let runs = wait_runs(&engine, &automation, 72).await;
    let catch_up: Vec<&Run> = runs
        .iter()
        .filter(|r| r.trigger == RunTrigger::CatchUp)
        .collect();
    assert_eq!(catch_up.len(), 1, "one catch-up run");
    assert_eq!(catch_up[0].state, RunState::Succeeded);
    let missed: Vec<&Run> = runs
        .iter()
        .filter(|r| r.stop_reason == Some(StopReason::MissedSchedule))
        .collect();
    assert_eq!(missed.len(), 71, "the other fires are recorded as missed");
    assert_eq!(missed[0].queued_at, at("2027-03-01T01:00:00Z"));
    assert_eq!(missed[70].queued_at, at("2027-03-03T23:00:00Z"));
    engine.shutdown().await;
}

#[tokio::test]
async fn catch_up_skip_records_every_missed_fire_and_runs_nothing() {
    let s = Scheduled::new("2027-03-01T00:30:00Z").await;
    let automation = s
        .automation(json!({
            "trigger": {"kind": "cron", "expression": "0 * * * *", "timezone": "UTC"},
            "catch_up": "skip",
        }))
        .await;
    assert_eq!(automation.spec.catch_up, CatchUp::Skip);
    // Another process's list, kept in memory from before the fires.
    let listed = s.env.engine.list_automations().await.unwrap();
    assert_eq!(listed[0].status.last_run, None);
    s.advance_to("2027-03-04T00:30:00Z");
    let engine = s.scheduler(ScriptedExecutor::new()).await;
    let runs = wait_runs(&engine, &automation, 72).await;
    assert!(
        runs.iter()
            .all(|r| r.stop_reason == Some(StopReason::MissedSchedule)),
        "every fire of the gap is recorded as missed, none runs"
    );
    assert_eq!(runs[71].queued_at, at("2027-03-04T00:00:00Z"));
    let after = engine.get_automation(&automation.id).await.unwrap();
    assert_eq!(after.status.next_fire_at, Some(at("2027-03-04T01:00:00Z")));
    // Runs inserted only as records (no state change follows) still refresh that list.
    let listed = s.env.engine.list_automations().await.unwrap();
    let last = listed[0].status.last_run.as_ref().map(|r| &r.run_id);
    assert_eq!(
        last,
        Some(&runs[71].id),
        "the list shows the latest missed fire"
    );
    assert_eq!(listed[0].status.last_run, after.status.last_run);
    assert_eq!(listed[0].status.recent_runs, after.status.recent_runs);

    // The next fire on time runs as usual.
    s.advance_to("2027-03-04T01:00:01Z");
    let runs = wait_runs(&engine, &automation, 73).await;
    assert_eq!(
        (runs[72].trigger, runs[72].state),
        (RunTrigger::Schedule, RunState::Succeeded)
    );
    engine.shutdown().await;
}

#[tokio::test]
async fn a_missed_fire_older_than_catch_up_max_age_is_not_run() {
    let s = Scheduled::new("2027-03-01T08:59:00Z").await;
    let automation = s
        .automation(json!({
            "trigger": {"kind": "cron", "expression": "0 9 * * *", "timezone": "UTC"},
            "catch_up_max_age_hours": 2,
        }))
        .await;
    // Closed from before 09:00 until 11:30: the fire is 2.5 hours old.
    s.advance_to("2027-03-01T11:30:00Z");
    let engine = s.scheduler(ScriptedExecutor::new()).await;
    let runs = wait_runs(&engine, &automation, 1).await;
    assert_eq!(runs[0].stop_reason, Some(StopReason::MissedSchedule));
    assert_eq!(runs[0].queued_at, at("2027-03-01T09:00:00Z"));

    // Younger than the limit: caught up.
    let engine2 = engine;
    s.advance_to("2027-03-02T10:30:00Z");
    let runs = wait_runs(&engine2, &automation, 2).await;
    assert_eq!(
        (runs[1].trigger, runs[1].state),
        (RunTrigger::CatchUp, RunState::Succeeded)
    );
    engine2.shutdown().await;
}

#[tokio::test]
async fn overlap_queue_waits_for_the_active_run_and_keeps_one_waiting_run_at_most() {
    let s = Scheduled::new("2027-03-01T10:00:00Z").await;
    let automation = s
        .automation(json!({
            "trigger": {"kind": "interval", "every_ms": 60_000},
            "overlap": "queue",
        }))
        .await;
    let executor = ScriptedExecutor::new();
    executor.script(|ctx, checkpoints| async move {
        checkpoints.pass("working").await;
        Outcome::Succeeded {
            result: format!("run {}", ctx.run.id),
        }
    });
    let engine = s.scheduler(executor.clone()).await;
    s.advance_to("2027-03-01T10:01:00Z");
    executor.checkpoints.reached("working").await;

    // The next fire waits in `queued` while the first run works.
    s.advance_to("2027-03-01T10:02:00Z");
    let waiting = loop {
        let runs = runs_of(&engine, &automation).await;
        if runs.len() == 2 {
            break runs[1].clone();
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    quiet().await;
    let waiting = engine.get_run(&waiting.id).await.unwrap();
    assert_eq!(
        waiting.state,
        RunState::Queued,
        "it waits, it is not stopped"
    );

    // A third fire finds one run already waiting: recorded as writer_busy.
    s.advance_to("2027-03-01T10:03:00Z");
    let busy = loop {
        let runs = runs_of(&engine, &automation).await;
        if let Some(busy) = runs
            .iter()
            .find(|r| r.stop_reason == Some(StopReason::WriterBusy))
        {
            break busy.clone();
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert_eq!(busy.queued_at, at("2027-03-01T10:03:00Z"));

    // The first run ends; the waiting one starts and finishes.
    executor.checkpoints.release();
    executor.checkpoints.reached("working").await;
    executor.checkpoints.release();
    let runs = wait_runs(&engine, &automation, 3).await;
    let states: Vec<_> = runs.iter().map(|r| (r.state, r.stop_reason)).collect();
    assert_eq!(
        states,
        vec![
            (RunState::Succeeded, None),
            (RunState::Succeeded, None),
            (RunState::Stopped, Some(StopReason::WriterBusy)),
        ]
    );
    assert!(
        runs[1].started_at >= runs[0].finished_at,
        "one writer at a time"
    );
    engine.shutdown().await;
}

#[tokio::test]
async fn a_queued_overlapping_run_can_be_cancelled_while_it_waits() {
    let s = Scheduled::new("2027-03-01T10:00:00Z").await;
    let automation = s.automation(json!({"overlap": "queue"})).await;
    let executor = ScriptedExecutor::new();
    executor.script(|_, checkpoints| async move {
        checkpoints.pass("working").await;
        Outcome::Succeeded {
            result: "done".into(),
        }
    });
    let engine = s.scheduler(executor.clone()).await;
    let first = engine
        .run_now(&automation.id, Attendance::Attended)
        .await
        .unwrap();
    executor.checkpoints.reached("working").await;
    let second = engine
        .run_now(&automation.id, Attendance::Attended)
        .await
        .unwrap();
    quiet().await;
    assert_eq!(
        engine.get_run(&second.id).await.unwrap().state,
        RunState::Queued
    );
    let cancelled = engine.cancel_run(&second.id).await.unwrap();
    assert_eq!(cancelled.stop_reason, Some(StopReason::Cancelled));
    executor.checkpoints.release();
    let first = wait_for_state(&engine, &first.id, RunState::Succeeded).await;
    assert_eq!(first.state, RunState::Succeeded);
    engine.shutdown().await;
}

#[tokio::test]
async fn a_restart_after_a_fire_never_fires_it_twice() {
    let s = Scheduled::new("2027-03-01T08:59:00Z").await;
    let automation = s
        .automation(
            json!({"trigger": {"kind": "cron", "expression": "0 9 * * *", "timezone": "UTC"}}),
        )
        .await;
    let first = s.scheduler(ScriptedExecutor::new()).await;
    s.advance_to("2027-03-01T09:00:01Z");
    wait_runs(&first, &automation, 1).await;
    first.shutdown().await;
    let second = s.scheduler(ScriptedExecutor::new()).await;
    quiet().await;
    assert_eq!(
        runs_of(&second, &automation).await.len(),
        1,
        "the fire is not repeated"
    );
    second.shutdown().await;
}

#[tokio::test]
async fn a_fire_while_the_previous_run_is_active_is_recorded_as_writer_busy() {
    let s = Scheduled::new("2027-03-01T10:00:00Z").await;
    let automation = s
        .automation(json!({"trigger": {"kind": "interval", "every_ms": 60_000}}))
        .await;
    let executor = ScriptedExecutor::new();
    executor.script(|_, checkpoints| async move {
        checkpoints.pass("working").await;
        Outcome::Succeeded {
            result: "done".into(),
        }
    });
    let engine = s.scheduler(executor.clone()).await;
    s.advance_to("2027-03-01T10:01:00Z");
    executor.checkpoints.reached("working").await;
    s.advance_to("2027-03-01T10:02:00Z");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    let busy = loop {
        let runs = runs_of(&engine, &automation).await;
        if let Some(busy) = runs
            .iter()
            .find(|r| r.stop_reason == Some(StopReason::WriterBusy))
        {
            break busy.clone();
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no writer_busy record: {runs:#?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert_eq!(busy.trigger, RunTrigger::Schedule);
    executor.checkpoints.release();
    wait_runs(&engine, &automation, 2).await;
    engine.shutdown().await;
}

#[tokio::test]
async fn a_one_shot_fires_once_and_is_finished() {
    let s = Scheduled::new("2027-03-01T10:00:00Z").await;
    let automation = s
        .automation(json!({"trigger": {"kind": "once", "fire_at": "2027-03-01T12:00:00Z"}}))
        .await;
    let engine = s.scheduler(ScriptedExecutor::new()).await;
    s.advance_to("2027-03-01T12:00:00Z");
    wait_runs(&engine, &automation, 1).await;
    s.advance_to("2027-03-02T12:00:00Z");
    quiet().await;
    assert_eq!(runs_of(&engine, &automation).await.len(), 1);
    let done = engine.get_automation(&automation.id).await.unwrap();
    assert_eq!(
        (done.status.finished, done.status.next_fire_at),
        (Some(Finished::FiredOnce), None)
    );
    engine.shutdown().await;
}

#[tokio::test]
async fn after_runs_stops_scheduling_once_enough_runs_finished() {
    let s = Scheduled::new("2027-03-01T10:00:00Z").await;
    let automation = s
        .automation(json!({
            "trigger": {"kind": "interval", "every_ms": 60_000},
            "stop": {"kind": "after_runs", "count": 2}
        }))
        .await;
    let engine = s.scheduler(ScriptedExecutor::new()).await;
    for (minute, expected) in [("10:01", 1), ("10:02", 2)] {
        s.advance_to(&format!("2027-03-01T{minute}:00Z"));
        wait_runs(&engine, &automation, expected).await;
    }
    s.advance_to("2027-03-01T10:05:00Z");
    quiet().await;
    assert_eq!(runs_of(&engine, &automation).await.len(), 2, "no third run");
    let done = engine.get_automation(&automation.id).await.unwrap();
    assert_eq!(done.status.finished, Some(Finished::AfterRuns));
    engine.shutdown().await;
}

#[tokio::test]
async fn paused_automations_do_not_fire_and_resume_where_the_schedule_is() {
    let s = Scheduled::new("2027-03-01T10:00:00Z").await;
    let automation = s
        .automation(json!({"trigger": {"kind": "interval", "every_ms": 60_000}}))
        .await;
    s.env.engine.set_paused(&automation.id, true).await.unwrap();
    let engine = s.scheduler(ScriptedExecutor::new()).await;
    s.advance_to("2027-03-01T10:01:00Z");
    quiet().await;
    assert!(runs_of(&engine, &automation).await.is_empty());
    engine.set_paused(&automation.id, false).await.unwrap();
    wait_runs(&engine, &automation, 1).await;
    engine.shutdown().await;
}

#[tokio::test]
async fn only_the_lease_holder_fires_and_another_engine_takes_over_when_it_leaves() {
    let s = Scheduled::new("2027-03-01T10:00:00Z").await;
    let automation = s
        .automation(json!({"trigger": {"kind": "interval", "every_ms": 60_000}}))
        .await;
    // A standby tries for the lease every third of it (30 s here): the minute jumps below
    // wake it, and a lease of 90 s outlasts each jump, so only leaving hands it over.
    let lease = Duration::from_secs(90);
    let holder = s.scheduler_with_lease(ScriptedExecutor::new(), lease).await;
    quiet().await; // the first engine takes the lease
    let standby_executor = ScriptedExecutor::new();
    standby_executor.script(|_, _| async {
        Outcome::Succeeded {
            result: "standby".into(),
        }
    });
    let standby = s.scheduler_with_lease(standby_executor, lease).await;
    s.advance_to("2027-03-01T10:01:00Z");
    let runs = wait_runs(&holder, &automation, 1).await;
    assert_eq!(runs[0].result.as_deref(), Some("done"), "the holder ran it");
    holder.shutdown().await; // gives the lease up
    s.advance_to("2027-03-01T10:02:00Z");
    let runs = wait_runs(&standby, &automation, 2).await;
    assert_eq!(
        runs[1].result.as_deref(),
        Some("standby"),
        "the standby took over"
    );
    standby.shutdown().await;
    let _ = Utc.timestamp_opt(0, 0);
}

/// Automations written before the planned-fire column existed (the migration marks them due
/// at once) get their real next fire from the first pass: nothing fires early, and the one
/// really due fires once.
#[tokio::test]
async fn automations_from_before_the_planned_fire_column_fire_only_when_really_due() {
    let s = Scheduled::new("2027-03-01T08:59:00Z").await;
    let later = s
        .automation(
            json!({"trigger": {"kind": "cron", "expression": "0 9 * * *", "timezone": "UTC"}}),
        )
        .await;
    let paused = s
        .automation(json!({
            "trigger": {"kind": "interval", "every_ms": 60000},
            "paused": true,
        }))
        .await;
    s.env.engine.shutdown().await;
    {
        let db = RawDb::open(&s.env.data_dir()).await;
        db.execute(
            "UPDATE automations SET next_fire_at = 0 WHERE paused = FALSE",
            vec![],
        )
        .await;
        db.close().await;
    }

    let engine = s.scheduler(ScriptedExecutor::new()).await;
    quiet().await;
    assert!(
        runs_of(&engine, &later).await.is_empty(),
        "nothing before 09:00"
    );
    assert!(runs_of(&engine, &paused).await.is_empty());
    s.advance_to("2027-03-01T09:00:05Z");
    let runs = wait_runs(&engine, &later, 1).await;
    assert_eq!(runs[0].trigger, RunTrigger::Schedule);
    quiet().await;
    assert_eq!(runs_of(&engine, &later).await.len(), 1, "one fire, one run");
    let after = engine.get_automation(&later.id).await.unwrap();
    assert_eq!(after.status.next_fire_at, Some(at("2027-03-02T09:00:00Z")));
    engine.shutdown().await;
}

/// A fire's event carries the automation's status derived from the runs it read ahead and
/// the ones it recorded: the same as a read of the ledger then says.
#[tokio::test]
async fn the_status_a_fire_announces_is_the_one_the_ledger_says() {
    let s = Scheduled::new("2027-03-01T10:00:00Z").await;
    let automation = s
        .automation(json!({"trigger": {"kind": "interval", "every_ms": 60_000}}))
        .await;
    let executor = ScriptedExecutor::new();
    executor.script(|_, _| async {
        Outcome::Failed {
            code: autowork_core::ledger::ErrorCode::ExecutionFailed,
            message: "broke".into(),
        }
    });
    let engine = s.scheduler(executor.clone()).await;
    s.advance_to("2027-03-01T10:01:00Z");
    wait_runs(&engine, &automation, 1).await;
    // Away long enough for a catch-up with missed fires recorded before it; the run waits.
    hold_until_released(&executor);
    let mut events = engine.subscribe();
    s.advance_to("2027-03-01T10:07:00Z");
    executor.checkpoints.reached("working").await;
    let announced = loop {
        let record = events.recv().await.unwrap();
        if let autowork_core::events::Event::AutomationUpdated(a) = record.event {
            if a.id == automation.id
                && a.status
                    .last_run
                    .as_ref()
                    .is_some_and(|r| r.state == RunState::Queued)
            {
                break a.status;
            }
        }
    };
    let read = engine.get_automation(&automation.id).await.unwrap().status;
    // The run has started since: the same run, one state on.
    let last = announced.last_run.clone().unwrap();
    assert_eq!(
        Some(&last.run_id),
        read.last_run.as_ref().map(|r| &r.run_id)
    );
    assert_eq!(
        read.last_run.as_ref().map(|r| r.state),
        Some(RunState::Running)
    );
    let marks = |status: &autowork_core::definition::AutomationStatus| {
        status
            .recent_runs
            .iter()
            .skip(1)
            .map(|m| (m.run_id.clone(), m.state, m.queued_at))
            .collect::<Vec<_>>()
    };
    assert_eq!(marks(&announced), marks(&read));
    assert_eq!(
        announced.recent_runs.len(),
        7,
        "one failed, five missed, the catch-up"
    );
    assert_eq!(
        (
            announced.failure_streak,
            announced.next_fire_at,
            &announced.finished,
            announced.paused_reason
        ),
        (
            read.failure_streak,
            read.next_fire_at,
            &read.finished,
            read.paused_reason
        )
    );
    assert_eq!(
        announced.failure_streak, 1,
        "missed fires do not break a streak"
    );
    executor.checkpoints.release();
    engine.shutdown().await;
}
