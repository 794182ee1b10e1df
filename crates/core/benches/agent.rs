//! Agent benchmark: prints figures, asserts nothing. `cargo bench -p autowork-core --bench agent`.
//!
//! - loop overhead per step against a zero-latency mock model (wall time per step minus the
//!   bare model round trip)
//! - a 50-step run's wall time
//! - memory with 50 concurrent runs on distinct workspaces

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use autowork_core::agent::Agent;
use autowork_core::ledger::{Attendance, RunState};
use autowork_core::{Engine, EngineConfig};
use autowork_mock_llm::{MockServer, Script};
use serde_json::{json, Value};

fn rss_kib(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

fn reads(count: usize) -> Vec<Value> {
    (0..count)
        .map(|i| json!({"tool_calls": [{"name": "read", "arguments": {"path": "notes.txt", "offset": i + 1}}], "usage": {"input_tokens": 10, "output_tokens": 5}}))
        .collect()
}

async fn engine_with(turns: Vec<Value>, dir: &std::path::Path) -> (Engine, MockServer) {
    let mock = MockServer::start(Script::from_value(json!({"turns": turns})).unwrap())
        .await
        .unwrap();
    let data = dir.join("data");
    std::fs::create_dir_all(&data).unwrap();
    std::fs::write(
        data.join("providers.json"),
        json!({"providers": [{"id": "mock", "kind": "openai_compatible", "base_url": format!("{}/v1", mock.base_url())}]}).to_string(),
    )
    .unwrap();
    let engine = Engine::open(EngineConfig::new(&data).executor(Arc::new(Agent::new(&data))))
        .await
        .unwrap();
    (engine, mock)
}

fn definition(workspace: &std::path::Path) -> Value {
    json!({"title": "bench", "prompt": "Read the notes.", "workspace": workspace,
           "model": {"provider_id": "mock", "model_id": "mock-coder"}, "step_cap": 60})
}

async fn wait(engine: &Engine, id: &autowork_core::ids::RunId) -> autowork_core::ledger::Run {
    loop {
        let run = engine.get_run(id).await.unwrap();
        if run.state.is_terminal() {
            return run;
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
}

/// The bare model round trip: one streamed request straight to the mock.
async fn model_round_trip(samples: usize) -> Duration {
    let mock = MockServer::start(Script::from_value(json!({"turns": reads(samples)})).unwrap())
        .await
        .unwrap();
    let http = reqwest::Client::new();
    let url = format!("{}/v1/chat/completions", mock.base_url());
    let start = Instant::now();
    for _ in 0..samples {
        let body = json!({"model": "mock-coder", "stream": true, "messages": [{"role": "user", "content": "hi"}]});
        let response = http.post(&url).json(&body).send().await.unwrap();
        response.bytes().await.unwrap();
    }
    start.elapsed() / samples as u32
}

#[tokio::main]
async fn main() {
    let dir = tempfile::tempdir().unwrap();
    let workspace = dir.path().join("w");
    std::fs::create_dir_all(&workspace).unwrap();
    std::fs::write(workspace.join("notes.txt"), "a line\n".repeat(100)).unwrap();

    // A 50-step run: 49 tool calls and a final answer.
    let mut turns = reads(49);
    turns.push(json!({"text": "done"}));
    let (engine, _mock) = engine_with(turns, dir.path()).await;
    let automation = engine
        .create_automation(&definition(&workspace))
        .await
        .unwrap();
    let start = Instant::now();
    let run = engine
        .run_now(&automation.id, Attendance::Unattended)
        .await
        .unwrap();
    let done = wait(&engine, &run.id).await;
    let wall = start.elapsed();
    assert_eq!(done.state, RunState::Succeeded, "{done:?}");
    let per_step = wall / done.steps;
    let model = model_round_trip(50).await;
    println!(
        "{:<48} {:>9.1} ms   ({} steps)",
        "50-step run, wall time",
        wall.as_secs_f64() * 1e3,
        done.steps
    );
    println!(
        "{:<48} {:>9.2} ms",
        "per step (model call + tool + ledger + transcript)",
        per_step.as_secs_f64() * 1e3
    );
    println!(
        "{:<48} {:>9.2} ms",
        "bare model round trip (zero-latency mock)",
        model.as_secs_f64() * 1e3
    );
    println!(
        "{:<48} {:>9.2} ms",
        "loop overhead per step",
        per_step.saturating_sub(model).as_secs_f64() * 1e3
    );
    engine.shutdown().await;

    // 50 concurrent runs on distinct workspaces, each waiting 2 s on its model.
    let turns: Vec<Value> = (0..50)
        .map(|_| json!({"text": "done", "delay_ms": 2000}))
        .collect();
    let dir2 = tempfile::tempdir().unwrap();
    let (engine, _mock) = engine_with(turns, dir2.path()).await;
    let mut automations = Vec::new();
    for i in 0..50 {
        let w = dir2.path().join(format!("w{i}"));
        std::fs::create_dir_all(&w).unwrap();
        automations.push(engine.create_automation(&definition(&w)).await.unwrap());
    }
    let before = rss_kib("VmRSS:");
    let mut runs = Vec::new();
    for a in &automations {
        runs.push(engine.run_now(&a.id, Attendance::Unattended).await.unwrap());
    }
    tokio::time::sleep(Duration::from_millis(1000)).await;
    let during = rss_kib("VmRSS:");
    for run in &runs {
        assert_eq!(wait(&engine, &run.id).await.state, RunState::Succeeded);
    }
    println!(
        "{:<48} {:>9.1} MiB before, {:.1} MiB with 50 runs in flight (+{:.0} KiB per run); peak {:.1} MiB",
        "memory (RSS of the engine process)",
        before as f64 / 1024.0,
        during as f64 / 1024.0,
        during.saturating_sub(before) as f64 / 50.0,
        rss_kib("VmHWM:") as f64 / 1024.0
    );
    engine.shutdown().await;
}
