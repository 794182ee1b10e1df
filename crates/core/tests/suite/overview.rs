//! What the app's Overview, Runs view and Inbox read: figures per day, upcoming fires, the
//! history strip, filtered pages, missed fires grouped, and pausing every schedule at once.

use std::sync::Arc;

use autowork_core::clock::ManualClock;
use autowork_core::definition::PausedReason;
use autowork_core::engine::{InboxFilter, InboxItem};
use autowork_core::ids::RunId;
use autowork_core::ledger::{RunState, RunTrigger};
use autowork_core::RunFilter;
use chrono::{DateTime, TimeZone, Utc};
use pretty_assertions::assert_eq;
use serde_json::json;

use super::support::*;

/// One run as the tests seed it.
struct Seed<'a> {
    automation_id: &'a str,
    state: &'a str,
    trigger: &'a str,
    stop_reason: Option<&'a str>,
    queued_at: DateTime<Utc>,
    cost_usd: f64,
    seen: bool,
}

impl<'a> Seed<'a> {
    fn new(automation_id: &'a str, state: &'a str, queued_at: DateTime<Utc>) -> Self {
        Self {
            automation_id,
            state,
            trigger: "schedule",
            stop_reason: None,
            queued_at,
            cost_usd: 0.0,
            seen: false,
        }
    }
}

async fn seed(data_dir: &std::path::Path, runs: &[Seed<'_>]) -> Vec<RunId> {
    let db = RawDb::open(data_dir).await;
    let mut ids = Vec::new();
    let mut statements = Vec::new();
    for run in runs {
        let id = RunId::new();
        let at = run.queued_at.timestamp_millis();
        let waiting = run.state == "awaiting_input";
        let blocker_id = format!("blk_{}", id.as_str());
        let stop_reason = match (run.state, run.stop_reason) {
            ("stopped", None) => Some("cancelled"),
            (_, reason) => reason,
        };
        statements.push((
            "INSERT INTO runs (id, automation_id, definition_revision, revision, trigger, attendance,
                writer_key, state, result, error_code, error_message, stop_reason, cost_usd,
                queued_at, started_at, finished_at, seen_at, blocker_id, blocker)
             VALUES ($1, $2, 1, 3, $3, 'unattended', '/w', $4, $5, $6, $7, $8, $9, $10, $11, $12,
                $13, $14, $15)",
            crate::args![
                id.as_str(),
                run.automation_id,
                run.trigger,
                run.state,
                (run.state == "succeeded").then_some("ok"),
                (run.state == "failed").then_some("step_cap"),
                (run.state == "failed").then_some("too many steps"),
                stop_reason,
                run.cost_usd,
                at,
                at,
                (run.state != "awaiting_input").then_some(at + 1000),
                run.seen.then_some(at + 2000),
                waiting.then(|| blocker_id.clone()),
                waiting.then(|| {
                    json!({ "kind": "question", "call_id": blocker_id,
                            "questions": [{ "question": "Proceed?", "choices": [] }] })
                    .to_string()
                }),
            ],
        ));
        ids.push(id);
    }
    db.execute_all(statements).await;
    db.close().await;
    ids
}

fn at(day: u32, hour: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2027, 3, day, hour, 0, 0).unwrap()
}

async fn env_at(now: DateTime<Utc>) -> (TestEnv, ManualClock) {
    let clock = ManualClock::new(now);
    let env = TestEnv::with_clock(Some(Arc::new(clock.clone()))).await;
    (env, clock)
}

#[tokio::test]
async fn stats_count_runs_and_cost_per_day_in_the_users_time_zone() {
    let (env, _clock) = env_at(at(10, 12)).await;
    let a = env.automation().await;
    let id = a.id.as_str();
    seed(
        &env.data_dir(),
        &[
            Seed {
                cost_usd: 0.25,
                ..Seed::new(id, "succeeded", at(10, 9))
            },
            Seed {
                cost_usd: 0.5,
                ..Seed::new(id, "failed", at(10, 10))
            },
            // 23:30 UTC on the 8th is already the 9th in Berlin (UTC+1 in March).
            Seed {
                cost_usd: 1.0,
                ..Seed::new(
                    id,
                    "succeeded",
                    Utc.with_ymd_and_hms(2027, 3, 8, 23, 30, 0).unwrap(),
                )
            },
            // A missed fire is not a run that happened.
            Seed {
                stop_reason: Some("missed_schedule"),
                ..Seed::new(id, "stopped", at(10, 8))
            },
            // Outside the window.
            Seed::new(id, "succeeded", at(1, 9)),
        ],
    )
    .await;

    let stats = env.engine.run_stats(3, "Europe/Berlin").await.unwrap();
    let days: Vec<(&str, u32, u32, u32)> = stats
        .days
        .iter()
        .map(|d| (d.day.as_str(), d.runs, d.succeeded, d.failed))
        .collect();
    assert_eq!(
        days,
        vec![
            ("2027-03-08", 0, 0, 0),
            ("2027-03-09", 1, 1, 0),
            ("2027-03-10", 2, 1, 1),
        ]
    );
    assert_eq!(stats.runs, 3);
    assert!((stats.cost_usd - 1.75).abs() < 1e-9);
    assert_eq!(stats.success_rate, Some(2.0 / 3.0));

    // In UTC the late run falls on the 8th.
    let utc = env.engine.run_stats(3, "UTC").await.unwrap();
    assert_eq!(utc.days[0].runs, 1);
    assert_eq!(utc.days[1].runs, 0);
}

#[tokio::test]
async fn stats_refuse_a_bad_zone_or_range_by_field() {
    let env = TestEnv::new().await;
    let field = |e: autowork_core::Error| match e {
        autowork_core::Error::InvalidInput(details) => details[0].field.clone(),
        other => panic!("unexpected {other:?}"),
    };
    assert_eq!(
        field(env.engine.run_stats(30, "Mars/Olympus").await.unwrap_err()),
        "time_zone"
    );
    assert_eq!(
        field(env.engine.run_stats(0, "UTC").await.unwrap_err()),
        "days"
    );
    assert_eq!(
        field(env.engine.upcoming_fires(0).await.unwrap_err()),
        "hours"
    );
    let none = env.engine.run_stats(30, "UTC").await.unwrap();
    assert_eq!(none.days.len(), 30);
    assert_eq!(none.success_rate, None);
}

#[tokio::test]
async fn upcoming_fires_list_every_schedule_soonest_first_within_the_window() {
    let (env, _clock) = env_at(at(10, 12)).await;
    let mut hourly = env.definition();
    hourly["title"] = json!("Hourly");
    hourly["trigger"] = json!({ "kind": "cron", "expression": "30 * * * *", "timezone": "UTC" });
    env.engine.create_automation(&hourly).await.unwrap();
    let mut daily = env.definition();
    daily["title"] = json!("Daily");
    daily["trigger"] = json!({ "kind": "cron", "expression": "0 2 * * *", "timezone": "UTC" });
    env.engine.create_automation(&daily).await.unwrap();
    let mut paused = env.definition();
    paused["title"] = json!("Paused");
    paused["paused"] = json!(true);
    paused["trigger"] = json!({ "kind": "cron", "expression": "0 * * * *", "timezone": "UTC" });
    env.engine.create_automation(&paused).await.unwrap();
    env.automation().await; // manual

    let upcoming = env.engine.upcoming_fires(24).await.unwrap();
    let hourly_fires = upcoming
        .fires
        .iter()
        .filter(|f| f.title == "Hourly")
        .count();
    assert_eq!(hourly_fires, 24);
    let daily: Vec<_> = upcoming
        .fires
        .iter()
        .filter(|f| f.title == "Daily")
        .collect();
    assert_eq!(daily.len(), 1);
    assert_eq!(daily[0].at, at(11, 2));
    assert!(upcoming.fires.iter().all(|f| f.title != "Paused"));
    assert!(upcoming.fires.windows(2).all(|w| w[0].at <= w[1].at));
    assert_eq!(
        upcoming.fires[0].at,
        Utc.with_ymd_and_hms(2027, 3, 10, 12, 30, 0).unwrap()
    );
    assert!(!upcoming.truncated);
}

#[tokio::test]
async fn the_history_strip_holds_the_newest_twenty_runs_newest_first() {
    let (env, _clock) = env_at(at(20, 12)).await;
    let a = env.automation_in("a").await;
    let b = env.automation_in("b").await;
    let runs: Vec<Seed> = (0..25)
        .map(|i| Seed {
            seen: true,
            ..Seed::new(
                a.id.as_str(),
                if i % 2 == 0 { "succeeded" } else { "failed" },
                at(1, 0) + chrono::TimeDelta::minutes(i),
            )
        })
        .chain([Seed {
            seen: true,
            ..Seed::new(b.id.as_str(), "stopped", at(2, 0))
        }])
        .collect();
    let ids = seed(&env.data_dir(), &runs).await;

    let listed = env.engine.list_automations().await.unwrap();
    let strip_a = &listed
        .iter()
        .find(|x| x.id == a.id)
        .unwrap()
        .status
        .recent_runs;
    assert_eq!(strip_a.len(), 20);
    assert_eq!(strip_a[0].run_id, ids[24]);
    assert_eq!(strip_a[0].state, RunState::Succeeded);
    assert_eq!(strip_a[19].run_id, ids[5]);
    let strip_b = &listed
        .iter()
        .find(|x| x.id == b.id)
        .unwrap()
        .status
        .recent_runs;
    assert_eq!(strip_b.len(), 1);
    // One automation read alone carries the same strip.
    let one = env.engine.get_automation(&a.id).await.unwrap();
    assert_eq!(&one.status.recent_runs, strip_a);
}

#[tokio::test]
async fn pages_filter_by_trigger_and_queue_time() {
    let (env, _clock) = env_at(at(20, 12)).await;
    let a = env.automation().await;
    let id = a.id.as_str();
    let ids = seed(
        &env.data_dir(),
        &[
            Seed {
                trigger: "manual",
                ..Seed::new(id, "succeeded", at(3, 9))
            },
            Seed::new(id, "failed", at(4, 9)),
            Seed {
                trigger: "manual",
                ..Seed::new(id, "failed", at(5, 9))
            },
            Seed {
                trigger: "catch_up",
                ..Seed::new(id, "succeeded", at(6, 9))
            },
        ],
    )
    .await;
    let page = |filter: RunFilter| {
        let engine = &env.engine;
        async move {
            let page = engine.list_runs(&filter, None, None).await.unwrap();
            page.runs.into_iter().map(|r| r.id).collect::<Vec<_>>()
        }
    };
    let manual = page(RunFilter {
        triggers: vec![RunTrigger::Manual],
        ..RunFilter::default()
    })
    .await;
    assert_eq!(manual, vec![ids[2].clone(), ids[0].clone()]);
    let window = page(RunFilter {
        since: Some(at(4, 0)),
        until: Some(at(6, 0)),
        ..RunFilter::default()
    })
    .await;
    assert_eq!(window, vec![ids[2].clone(), ids[1].clone()]);
    let failed_manual = page(RunFilter {
        states: vec![RunState::Failed],
        triggers: vec![RunTrigger::Manual],
        ..RunFilter::default()
    })
    .await;
    assert_eq!(failed_manual, vec![ids[2].clone()]);
}

#[tokio::test]
async fn missed_fires_of_one_automation_are_one_inbox_line_and_never_crowd_out_a_waiting_run() {
    let (env, _clock) = env_at(at(20, 12)).await;
    let nightly = env.automation_in("nightly").await;
    let other = env.automation_in("other").await;
    let mut runs: Vec<Seed> = (0..250)
        .map(|i| Seed {
            stop_reason: Some("missed_schedule"),
            ..Seed::new(
                nightly.id.as_str(),
                "stopped",
                at(10, 0) + chrono::TimeDelta::minutes(i),
            )
        })
        .collect();
    runs.push(Seed {
        trigger: "catch_up",
        ..Seed::new(nightly.id.as_str(), "succeeded", at(15, 0))
    });
    runs.extend((0..300).map(|i| {
        Seed::new(
            other.id.as_str(),
            "succeeded",
            at(11, 0) + chrono::TimeDelta::minutes(i),
        )
    }));
    runs.push(Seed::new(other.id.as_str(), "failed", at(16, 0)));
    // A run waiting for an answer, older than everything else.
    runs.push(Seed::new(other.id.as_str(), "awaiting_input", at(1, 0)));
    let ids = seed(&env.data_dir(), &runs).await;
    let catch_up = ids[250].clone();
    let waiting = ids.last().unwrap().clone();

    let inbox = env.engine.inbox_view(InboxFilter::All).await.unwrap();
    assert!(matches!(&inbox.items[0], InboxItem::Run { run } if run.id == waiting));
    let groups: Vec<_> = inbox
        .items
        .iter()
        .filter_map(|item| match item {
            InboxItem::MissedFires {
                automation_id,
                count,
                ran_latest,
                ..
            } => Some((automation_id.clone(), *count, ran_latest.clone())),
            InboxItem::Run { .. } => None,
        })
        .collect();
    assert_eq!(
        groups,
        vec![(nightly.id.clone(), 250, Some(catch_up.clone()))]
    );
    assert!(inbox.truncated);
    assert_eq!(inbox.counts.needs_me, 1);
    assert_eq!(inbox.counts.failed, 1);
    // Waiting + catch-up + 300 + failed, and one line for the missed fires.
    assert_eq!(inbox.counts.total, 1 + 1 + 300 + 1 + 1);

    let needs_me = env.engine.inbox_view(InboxFilter::NeedsMe).await.unwrap();
    assert_eq!(needs_me.items.len(), 1);
    let failed = env.engine.inbox_view(InboxFilter::Failed).await.unwrap();
    assert!(matches!(&failed.items[..], [InboxItem::Run { run }] if run.state == RunState::Failed));

    // Reading the group files its fires only.
    assert_eq!(
        env.engine.mark_all_seen(Some(&nightly.id)).await.unwrap(),
        250
    );
    let after = env.engine.inbox_view(InboxFilter::All).await.unwrap();
    assert!(after
        .items
        .iter()
        .all(|i| matches!(i, InboxItem::Run { .. })));
    assert_eq!(after.counts.total, 303);
    // Mark all read leaves only what waits for an answer.
    assert_eq!(env.engine.mark_all_seen(None).await.unwrap(), 302);
    let last = env.engine.inbox_view(InboxFilter::All).await.unwrap();
    assert_eq!(last.items.len(), 1);
    assert_eq!(last.counts.total, 1);
}

#[tokio::test]
async fn pause_all_resumes_only_what_it_paused() {
    let env = TestEnv::new().await;
    let scheduled = |title: &str, paused: bool| {
        let mut d = env.definition();
        d["title"] = json!(title);
        d["paused"] = json!(paused);
        d["trigger"] = json!({ "kind": "cron", "expression": "0 9 * * *", "timezone": "UTC" });
        d
    };
    let running = env
        .engine
        .create_automation(&scheduled("Running", false))
        .await
        .unwrap();
    let by_hand = env
        .engine
        .create_automation(&scheduled("Paused by hand", true))
        .await
        .unwrap();
    let manual = env.automation().await;

    assert_eq!(env.engine.pause_all_schedules(true).await.unwrap(), 1);
    assert!(env.engine.all_schedules_paused().await.unwrap());
    let paused = env.engine.get_automation(&running.id).await.unwrap();
    assert!(paused.spec.paused);
    assert_eq!(paused.status.paused_reason, Some(PausedReason::AllPaused));
    assert_eq!(paused.status.next_fire_at, None);
    assert!(
        !env.engine
            .get_automation(&manual.id)
            .await
            .unwrap()
            .spec
            .paused
    );

    assert_eq!(env.engine.pause_all_schedules(false).await.unwrap(), 1);
    assert!(!env.engine.all_schedules_paused().await.unwrap());
    let resumed = env.engine.get_automation(&running.id).await.unwrap();
    assert!(!resumed.spec.paused);
    assert!(resumed.status.next_fire_at.is_some());
    assert!(
        env.engine
            .get_automation(&by_hand.id)
            .await
            .unwrap()
            .spec
            .paused
    );
}
