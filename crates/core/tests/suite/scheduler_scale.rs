//! The scheduler at scale: ten thousand one-shot automations fall due within a few minutes of
//! one another while the scheduler waits; one jump of the clock past all of them fires each
//! exactly once, earliest due first.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use autowork_core::clock::ManualClock;
use autowork_core::events::Event;
use autowork_core::ids::{AutomationId, RunId};
use autowork_core::ledger::{Attendance, Run, RunState, RunTrigger};
use autowork_core::{Engine, RunFilter};
use chrono::{DateTime, SecondsFormat, TimeDelta, Utc};
use pretty_assertions::assert_eq;
use serde_json::json;

use super::support::*;

const COUNT_SQLITE: usize = 10_000;
/// On the team database, where each of the runs' transactions is a round trip to the server:
/// the same scenario at the size of the multi-daemon test (issue 14); `make bench` measures
/// bursts at scale.
const COUNT_POSTGRES: usize = 2_000;
/// The fire times spread over this much time, evenly: the first 40 % of them are due more
/// than [`ON_TIME`] before the last.
const SPREAD_MS: i64 = 200_000;
/// Creation order visits the fire times in this stride (prime, so coprime with the count):
/// automation ids, which sort by creation, do not follow the fire times.
const STRIDE: usize = 7_919;
/// A fire more than this late runs as a catch-up (the scheduler's `ON_TIME`).
const ON_TIME: TimeDelta = TimeDelta::seconds(120);

fn at(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .unwrap()
        .with_timezone(&Utc)
}

/// Every run in the ledger, oldest first.
async fn all_runs(engine: &Engine) -> Vec<Run> {
    let mut runs = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let page = engine
            .list_runs(&RunFilter::default(), cursor.as_deref(), Some(500))
            .await
            .unwrap();
        runs.extend(page.runs);
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    runs.reverse();
    runs
}

/// Reads the outbox after `seq` until `count` runs have finished (300 s at most), and
/// returns the runs in the order their queued records committed.
async fn wait_finished(engine: &Engine, mut seq: i64, count: usize) -> Vec<RunId> {
    let deadline = Instant::now() + Duration::from_secs(300);
    let mut queued = Vec::new();
    let mut finished = 0;
    while finished < count {
        let batch = engine.events_since(seq, 500).await.unwrap();
        if batch.is_empty() {
            assert!(
                Instant::now() < deadline,
                "{finished} of {count} runs finished ({} queued) after 300 s",
                queued.len()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
            continue;
        }
        for record in batch {
            seq = record.seq;
            if let Event::RunUpdated(run) = record.event {
                if run.state == RunState::Queued {
                    queued.push(run.id);
                } else if run.state.is_terminal() {
                    finished += 1;
                }
            }
        }
    }
    queued
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_automations_scheduled_at_once_fire_once_each_in_due_order() {
    let count = if std::env::var("AUTOWORK_TEST_STORE").as_deref() == Ok("postgres") {
        COUNT_POSTGRES
    } else {
        COUNT_SQLITE
    };
    let start = at("2027-03-01T10:00:00Z");
    let clock = ManualClock::new(start);
    let env = TestEnv::with_clock(Some(Arc::new(clock.clone()))).await;
    let first_fire = start + TimeDelta::seconds(60);
    let spacing_ms = SPREAD_MS / count as i64;
    let fire_time = |k: usize| first_fire + TimeDelta::milliseconds(k as i64 * spacing_ms);

    // One workspace each: runs of one work area would wait for one another.
    let began = Instant::now();
    let workspaces = env.dir.path().join("workspaces");
    let definitions: Vec<(usize, serde_json::Value)> = (0..count)
        .map(|i| {
            let k = i * STRIDE % count;
            let workspace = workspaces.join(k.to_string());
            std::fs::create_dir_all(&workspace).unwrap();
            let mut definition = env.definition();
            definition["title"] = json!(format!("Due #{k}"));
            definition["workspace"] = json!(workspace);
            definition["trigger"] = json!({
                "kind": "once",
                "fire_at": fire_time(k).to_rfc3339_opts(SecondsFormat::Millis, true),
            });
            (k, definition)
        })
        .collect();
    // Through the engine API, one at a time: concurrent creates only contend for SQLite's
    // write lock, whose busy handler sleeps (eight in flight took 6 ms each, one 1 ms).
    let mut due_of: HashMap<AutomationId, usize> = HashMap::new();
    for (k, definition) in definitions {
        let automation = env.engine.create_automation(&definition).await.unwrap();
        assert_eq!(automation.status.next_fire_at, Some(fire_time(k)));
        due_of.insert(automation.id, k);
    }
    assert_eq!(due_of.len(), count);
    eprintln!(
        "{count} automations created in {:.1} s",
        began.elapsed().as_secs_f64()
    );

    // The app opens with the scheduler, plans all of them, then the clock passes the last
    // fire by 20 ms: one pass finds all ten thousand due.
    env.engine.shutdown().await;
    let scheduler = Engine::open(
        config(env.data_dir(), ScriptedExecutor::new())
            .clock(Arc::new(clock.clone()))
            .lease_ttl(Duration::from_secs(3600))
            .scheduler(true),
    )
    .await
    .unwrap();
    let seq = scheduler.last_event_seq().await.unwrap();
    let now = fire_time(count - 1) + TimeDelta::milliseconds(20);
    let began = Instant::now();
    clock.set(now);
    let commit_order = wait_finished(&scheduler, seq, count).await;
    eprintln!(
        "fired and finished in {:.1} s",
        began.elapsed().as_secs_f64()
    );

    // A barrier: a canary due after all of them fires in a pass that planned all ten
    // thousand again, so a wrong second fire would be in the ledger by the canary's run.
    let canary_workspace = env.dir.path().join("canary");
    std::fs::create_dir_all(&canary_workspace).unwrap();
    let mut canary = env.definition();
    canary["workspace"] = json!(canary_workspace);
    canary["trigger"] = json!({
        "kind": "once",
        "fire_at": (now + TimeDelta::seconds(1)).to_rfc3339_opts(SecondsFormat::Millis, true),
    });
    let canary = scheduler.create_automation(&canary).await.unwrap();
    let seq = scheduler.last_event_seq().await.unwrap();
    clock.set(now + TimeDelta::seconds(2));
    wait_finished(&scheduler, seq, 1).await;

    let mut runs = all_runs(&scheduler).await;
    runs.retain(|r| r.automation_id != canary.id);
    assert_eq!(runs.len(), count, "one run per automation, no more");
    let mut runs_of: HashMap<&AutomationId, usize> = HashMap::new();
    for run in &runs {
        *runs_of.entry(&run.automation_id).or_default() += 1;
    }
    assert!(
        runs_of.len() == count && runs_of.values().all(|&n| n == 1),
        "every automation fired exactly once"
    );
    for run in &runs {
        let due = fire_time(due_of[&run.automation_id]);
        let trigger = if run.queued_at - due > ON_TIME {
            RunTrigger::CatchUp
        } else {
            RunTrigger::Schedule
        };
        assert_eq!(
            (run.state, run.attendance, run.trigger),
            (RunState::Succeeded, Attendance::Unattended, trigger),
            "run {} of the automation due at {due}, queued at {}",
            run.id,
            run.queued_at
        );
    }
    let catch_ups = runs
        .iter()
        .filter(|r| r.trigger == RunTrigger::CatchUp)
        .count();
    assert_eq!(
        catch_ups,
        count * 2 / 5,
        "the fires more than two minutes late"
    );

    // Ledger order (queued_at, then run id) and the order the fires committed both follow
    // the fire times: earliest due first.
    let mut ledger_order: Vec<&Run> = runs.iter().collect();
    ledger_order.sort_by(|a, b| (a.queued_at, &a.id).cmp(&(b.queued_at, &b.id)));
    let ledger_order: Vec<usize> = ledger_order
        .iter()
        .map(|r| due_of[&r.automation_id])
        .collect();
    let automation_of: HashMap<&RunId, &AutomationId> =
        runs.iter().map(|r| (&r.id, &r.automation_id)).collect();
    let commit_order: Vec<usize> = commit_order
        .iter()
        .map(|id| due_of[automation_of[id]])
        .collect();
    for (name, order) in [("ledger", &ledger_order), ("commit", &commit_order)] {
        let inversions = order.windows(2).filter(|w| w[0] > w[1]).count();
        assert!(
            inversions == 0,
            "{name} order: {inversions} of {count} fires came right after a later-due one \
             (earliest due should fire first); due indexes in fire order: {:?}...",
            &order[..10]
        );
    }
    scheduler.shutdown().await;
}
