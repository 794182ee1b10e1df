//! Ledger benchmark: prints figures, asserts nothing. Run with `cargo bench -p autowork-core`.
//!
//! - run_now -> `running` latency (p50/p99) with a no-op executor
//! - run_now calls per second (each writes a queued run and its event)
//! - list_runs page latency with 100k runs in the ledger
//! - list_automations latency with 10k automations

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use autowork_core::events::Event;
use autowork_core::executor::{BoxFuture, Executor, Outcome, RunContext};
use autowork_core::ids::RunId;
use autowork_core::ledger::{Attendance, RunState};
use autowork_core::{Engine, EngineConfig, RunFilter};
use serde_json::json;

struct NoOp;

impl Executor for NoOp {
    fn execute(&self, _ctx: RunContext) -> BoxFuture<'static, Outcome> {
        Box::pin(async {
            Outcome::Succeeded {
                result: String::new(),
            }
        })
    }
}

fn percentile(samples: &mut [Duration], p: f64) -> Duration {
    samples.sort();
    let index = ((samples.len() as f64 - 1.0) * p).round() as usize;
    samples[index]
}

fn report(name: &str, samples: &mut [Duration]) {
    let p50 = percentile(samples, 0.50);
    let p99 = percentile(samples, 0.99);
    println!(
        "{name:<44} p50 {:>9.3} ms   p99 {:>9.3} ms   (n = {})",
        p50.as_secs_f64() * 1e3,
        p99.as_secs_f64() * 1e3,
        samples.len()
    );
}

fn definition(workspace: &std::path::Path, i: usize) -> serde_json::Value {
    json!({
        "title": format!("Automation {i}"),
        "prompt": "Run the tests and fix what broke.",
        "workspace": workspace,
        "model": {"provider_id": "mock", "model_id": "mock-coder"},
        "trigger": {"kind": "cron", "expression": "0 9 * * 1-5", "timezone": "Europe/Berlin"},
        "permissions": [{"tool": "bash", "pattern": "cargo test*", "action": "allow"}]
    })
}

async fn seed_runs(data_dir: &std::path::Path, automation_id: &str, count: usize) {
    let url = format!("sqlite:{}", data_dir.join("autowork.db").display());
    let pool = sqlx::SqlitePool::connect(&url).await.unwrap();
    let mut tx = pool.begin().await.unwrap();
    for i in 0..count {
        sqlx::query(
            "INSERT INTO runs (id, automation_id, definition_revision, revision, trigger, attendance,
                writer_key, state, result, queued_at, started_at, finished_at)
             VALUES (?, ?, 1, 3, 'schedule', 'unattended', '/w', 'succeeded', 'ok', ?, ?, ?)",
        )
        .bind(RunId::new().to_string())
        .bind(automation_id)
        .bind(i as i64)
        .bind(i as i64)
        .bind(i as i64 + 1)
        .execute(&mut *tx)
        .await
        .unwrap();
    }
    tx.commit().await.unwrap();
    pool.close().await;
}

#[tokio::main]
async fn main() {
    let dir = tempfile::tempdir().unwrap();
    let workspace = dir.path().join("workspace");
    std::fs::create_dir_all(&workspace).unwrap();
    let data_dir = dir.path().join("data");
    let engine = Engine::open(EngineConfig::new(&data_dir).executor(Arc::new(NoOp)))
        .await
        .unwrap();
    let automation = engine
        .create_automation(&definition(&workspace, 0))
        .await
        .unwrap();

    // run_now -> running, one run at a time (the work area is free for each).
    let mut events = engine.subscribe();
    let mut latencies = Vec::new();
    for _ in 0..500 {
        let start = Instant::now();
        let run = engine
            .run_now(&automation.id, Attendance::Attended)
            .await
            .unwrap();
        let mut running_at = None;
        loop {
            let record = events.recv().await.unwrap();
            if let Event::RunUpdated(update) = record.event {
                if update.id != run.id {
                    continue;
                }
                if update.state == RunState::Running {
                    running_at = Some(start.elapsed());
                }
                if update.state.is_terminal() {
                    break;
                }
            }
        }
        latencies.push(running_at.expect("each run passes through running"));
    }
    report("run_now -> running (no-op executor)", &mut latencies);

    // run_now throughput: the calls alone, runs proceeding in the background.
    let count = 2000;
    let start = Instant::now();
    for _ in 0..count {
        engine
            .run_now(&automation.id, Attendance::Unattended)
            .await
            .unwrap();
    }
    let elapsed = start.elapsed();
    println!(
        "{:<44} {:>9.0} runs/s   ({count} runs in {:.2} s)",
        "run_now (queued run written + event)",
        count as f64 / elapsed.as_secs_f64(),
        elapsed.as_secs_f64()
    );
    tokio::time::sleep(Duration::from_secs(2)).await;

    // list_runs at 100k runs.
    seed_runs(&data_dir, automation.id.as_str(), 100_000).await;
    let filter = RunFilter {
        automation_id: Some(automation.id.clone()),
        states: vec![],
        ..Default::default()
    };
    let mut first_pages = Vec::new();
    let mut deep_pages = Vec::new();
    let mut cursor = None;
    for _ in 0..200 {
        let start = Instant::now();
        engine.list_runs(&filter, None, Some(50)).await.unwrap();
        first_pages.push(start.elapsed());
        let start = Instant::now();
        let page = engine
            .list_runs(&filter, cursor.as_deref(), Some(50))
            .await
            .unwrap();
        deep_pages.push(start.elapsed());
        // Walk 250 runs deeper each time: pages from the newest to ~50k deep.
        cursor = page.runs.get(49).map(|r| r.id.to_string());
        for _ in 0..4 {
            let page = engine
                .list_runs(&filter, cursor.as_deref(), Some(50))
                .await
                .unwrap();
            cursor = page.next_cursor.or(cursor);
        }
    }
    report("list_runs first page of 50 at 100k runs", &mut first_pages);
    report(
        "list_runs page of 50 by cursor at 100k runs",
        &mut deep_pages,
    );
    let mut all_states = Vec::new();
    for _ in 0..50 {
        let start = Instant::now();
        engine
            .list_runs(&RunFilter::default(), None, Some(50))
            .await
            .unwrap();
        all_states.push(start.elapsed());
    }
    report("list_runs first page, all automations", &mut all_states);

    // list_automations at 10k automations.
    let start = Instant::now();
    for i in 1..10_000 {
        engine
            .create_automation(&definition(&workspace, i))
            .await
            .unwrap();
    }
    let elapsed = start.elapsed();
    println!(
        "{:<44} {:>9.0} automations/s",
        "create_automation (validated, stored)",
        9_999.0 / elapsed.as_secs_f64()
    );
    // The first list reads every row; later ones only what changed since (see
    // engine/listing.rs): nothing, or one automation whose run just ended.
    let start = Instant::now();
    assert_eq!(engine.list_automations().await.unwrap().len(), 10_000);
    println!(
        "{:<44} {:>9.3} ms",
        "list_automations at 10k, first (cold)",
        start.elapsed().as_secs_f64() * 1e3
    );
    let mut listing = Vec::new();
    for _ in 0..30 {
        let start = Instant::now();
        let all = engine.list_automations().await.unwrap();
        listing.push(start.elapsed());
        assert_eq!(all.len(), 10_000);
    }
    report("list_automations at 10k automations", &mut listing);
    println!("{:<44} target p50 < 20 ms (issue 13)", "");
    let mut after_change = Vec::new();
    for _ in 0..30 {
        let run = engine
            .run_now(&automation.id, Attendance::Unattended)
            .await
            .unwrap();
        loop {
            let now = engine.get_run(&run.id).await.unwrap();
            if now.state.is_terminal() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        let start = Instant::now();
        engine.list_automations().await.unwrap();
        after_change.push(start.elapsed());
    }
    report("list_automations at 10k, one just ran", &mut after_change);
    engine.shutdown().await;
}
