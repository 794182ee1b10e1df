//! Agent benchmark: prints figures beside their targets, asserts nothing.
//! `cargo bench -p autowork-core --bench agent`.
//!
//! - a 50-step run's wall time against a zero-latency mock model (the median of a few runs,
//!   with the range: a shared machine is noisy)
//! - loop overhead per step (wall time per step minus the bare model round trip)
//! - memory with 50 concurrent runs on distinct workspaces
//!
//! `AGENT_BENCH_PROFILE=N` runs N timed runs and nothing else, for an instruction counter
//! (`valgrind --tool=callgrind`): the difference between two counts is that many runs' cost,
//! without the engine's start or the other figures.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use autowork_core::agent::Agent;
use autowork_core::events::{Event, EventRecord};
use autowork_core::ids::RunId;
use autowork_core::ledger::{Attendance, Run, RunState};
use autowork_core::{Engine, EngineConfig};
use autowork_mock_llm::{MockServer, Script};
use serde_json::{json, Value};
use tokio::sync::broadcast::{self, error::RecvError};

/// Steps of the timed run: 49 tool calls and a final answer.
const STEPS: usize = 50;
/// Timed runs, one after another; the figures are their median.
const TIMED_RUNS: usize = 5;
const TARGET_RUN: Duration = Duration::from_millis(70);
const TARGET_OVERHEAD: Duration = Duration::from_millis(1);

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

/// Waits for the run's end on the event stream, as the app does: polling the store would add
/// its interval to the wall time, and its reads to the load.
async fn finished(
    engine: &Engine,
    events: &mut broadcast::Receiver<EventRecord>,
    id: &RunId,
) -> Run {
    loop {
        match events.recv().await {
            Ok(EventRecord {
                event: Event::RunUpdated(run),
                ..
            }) if &run.id == id && run.state.is_terminal() => return run,
            Ok(_) => {}
            Err(RecvError::Lagged(_)) => {
                let run = engine.get_run(id).await.unwrap();
                if run.state.is_terminal() {
                    return run;
                }
            }
            Err(RecvError::Closed) => panic!("the engine's event stream closed"),
        }
    }
}

/// Polls the store until the run ends (for the memory figure, which is not timed).
async fn wait(engine: &Engine, id: &RunId) -> Run {
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

/// The model round trip of the requests a run made, sent again to a fresh mock: what the
/// model side takes for the growing conversation (the mock parses and checks each body),
/// which the bare round trip leaves out.
async fn replayed_round_trip(bodies: &[Vec<u8>], turns: Vec<Value>) -> Duration {
    let mock = MockServer::start(Script::from_value(json!({"turns": turns})).unwrap())
        .await
        .unwrap();
    let http = reqwest::Client::new();
    let url = format!("{}/v1/chat/completions", mock.base_url());
    let start = Instant::now();
    for body in bodies {
        let response = http
            .post(&url)
            .header("content-type", "application/json")
            .body(body.clone())
            .send()
            .await
            .unwrap();
        response.bytes().await.unwrap();
    }
    start.elapsed() / bodies.len() as u32
}

fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1e3
}

/// `(target < 70 ms: met)`.
fn against(value: Duration, target: Duration) -> String {
    let verdict = if value < target { "met" } else { "missed" };
    format!("(target < {} ms: {verdict})", ms(target))
}

#[tokio::main]
async fn main() {
    if let Some(runs) = std::env::var("AGENT_BENCH_PROFILE")
        .ok()
        .and_then(|n| n.parse::<usize>().ok())
    {
        profiled_runs(runs).await;
        return;
    }
    // Memory first, while no timed run has grown the process's heap.
    let memory = memory_with_50_runs().await;
    timed_runs().await;
    println!("{memory}");
}

fn run_turns() -> Vec<Value> {
    let mut turns = reads(STEPS - 1);
    turns.push(json!({"text": "done"}));
    turns
}

/// `runs` 50-step runs one after another on one engine; their wall times, sorted.
async fn run_series(dir: &std::path::Path, runs: usize) -> (Engine, MockServer, Vec<Duration>) {
    let workspace = dir.join("w");
    std::fs::create_dir_all(&workspace).unwrap();
    std::fs::write(workspace.join("notes.txt"), "a line\n".repeat(100)).unwrap();
    let turns: Vec<Value> = (0..runs).flat_map(|_| run_turns()).collect();
    let (engine, mock) = engine_with(turns, dir).await;
    let automation = engine
        .create_automation(&definition(&workspace))
        .await
        .unwrap();
    let mut walls = Vec::with_capacity(runs);
    for _ in 0..runs {
        let mut events = engine.subscribe();
        let start = Instant::now();
        let run = engine
            .run_now(&automation.id, Attendance::Unattended)
            .await
            .unwrap();
        let done = finished(&engine, &mut events, &run.id).await;
        walls.push(start.elapsed());
        assert_eq!(done.state, RunState::Succeeded, "{done:?}");
        assert_eq!(done.steps as usize, STEPS);
    }
    walls.sort();
    (engine, mock, walls)
}

async fn profiled_runs(runs: usize) {
    let dir = tempfile::tempdir().unwrap();
    let (engine, _mock, walls) = run_series(dir.path(), runs).await;
    let walls: Vec<String> = walls.iter().map(|w| format!("{:.1}", ms(*w))).collect();
    println!("{runs} runs, wall ms: {}", walls.join(" "));
    engine.shutdown().await;
}

/// Times 50-step runs one after another and prints the figures beside their targets.
async fn timed_runs() {
    let dir = tempfile::tempdir().unwrap();
    let (engine, mock, walls) = run_series(dir.path(), TIMED_RUNS).await;
    let wall = walls[walls.len() / 2];
    let per_step = wall / STEPS as u32;
    let model = model_round_trip(50).await;
    let overhead = per_step.saturating_sub(model);
    let last_run: Vec<Vec<u8>> = mock.requests()[(TIMED_RUNS - 1) * STEPS..]
        .iter()
        .map(|request| serde_json::to_vec(&request.body).unwrap())
        .collect();
    let replayed = replayed_round_trip(&last_run, run_turns()).await;
    println!(
        "{:<48} {:>9.1} ms   {}   range {:.1}-{:.1} ms",
        format!("{STEPS}-step run, wall time (median of {TIMED_RUNS})"),
        ms(wall),
        against(wall, TARGET_RUN),
        ms(walls[0]),
        ms(walls[walls.len() - 1]),
    );
    println!(
        "{:<48} {:>9.2} ms",
        "per step (model call + tool + ledger + transcript)",
        ms(per_step)
    );
    println!(
        "{:<48} {:>9.2} ms",
        "bare model round trip (zero-latency mock)",
        ms(model)
    );
    println!(
        "{:<48} {:>9.2} ms",
        "  with a run's own requests, replayed",
        ms(replayed)
    );
    println!(
        "{:<48} {:>9.2} ms   {}",
        "loop overhead per step",
        ms(overhead),
        against(overhead, TARGET_OVERHEAD)
    );
    println!(
        "{:<48} {:>9.2} ms",
        "  beside the replayed round trip",
        ms(per_step.saturating_sub(replayed))
    );
    engine.shutdown().await;
}

/// Memory with 50 concurrent runs on distinct workspaces, each waiting 2 s on its model.
async fn memory_with_50_runs() -> String {
    let turns: Vec<Value> = (0..50)
        .map(|_| json!({"text": "done", "delay_ms": 2000}))
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let (engine, _mock) = engine_with(turns, dir.path()).await;
    let mut automations = Vec::new();
    for i in 0..50 {
        let w = dir.path().join(format!("w{i}"));
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
    engine.shutdown().await;
    format!(
        "{:<48} {:>9.1} MiB before, {:.1} MiB with 50 runs in flight (+{:.0} KiB per run); peak {:.1} MiB",
        "memory (RSS of the engine process)",
        before as f64 / 1024.0,
        during as f64 / 1024.0,
        during.saturating_sub(before) as f64 / 50.0,
        rss_kib("VmHWM:") as f64 / 1024.0
    )
}
