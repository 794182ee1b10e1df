//! Fills a data directory with automations and history, for the end-to-end tests and the
//! desktop benchmark: `cargo run -p autowork-core --example seed -- --data-dir D
//! --workspace W [--model mock/mock-coder] [--automations N] [--runs N] [--missed N]`.
//!
//! Automations are created through the engine (validated like any other); runs are written
//! straight into the ledger, as if they had happened over the last 30 days: mostly
//! succeeded, some failed and stopped, with costs. `--missed N` gives the first automation
//! N missed fires and the catch-up run that ran the latest, all unseen (a weekend away).
//! Prints what it made as JSON.

use std::path::PathBuf;

use autowork_core::ids::RunId;
use autowork_core::{Engine, EngineConfig};
use chrono::{TimeDelta, Utc};
use serde_json::json;

/// One run to write.
struct Row {
    automation: String,
    state: &'static str,
    trigger: &'static str,
    reason: Option<&'static str>,
    at: i64,
    cost: f64,
    seen: bool,
}

struct Args {
    data_dir: PathBuf,
    workspace: PathBuf,
    model: String,
    automations: usize,
    runs: usize,
    missed: usize,
}

fn parse() -> Result<Args, String> {
    let mut args = Args {
        data_dir: PathBuf::new(),
        workspace: PathBuf::new(),
        model: "mock/mock-coder".into(),
        automations: 3,
        runs: 0,
        missed: 0,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it.next().ok_or(format!("{flag} needs a value"))?;
        let count = || value.parse::<usize>().map_err(|e| format!("{flag}: {e}"));
        match flag.as_str() {
            "--data-dir" => args.data_dir = value.into(),
            "--workspace" => args.workspace = value.into(),
            "--model" => args.model = value,
            "--automations" => args.automations = count()?,
            "--runs" => args.runs = count()?,
            "--missed" => args.missed = count()?,
            other => return Err(format!("unknown flag {other}")),
        }
    }
    if args.data_dir.as_os_str().is_empty() || args.workspace.as_os_str().is_empty() {
        return Err("--data-dir and --workspace are required".into());
    }
    if args.automations == 0 {
        return Err("--automations must be at least 1".into());
    }
    Ok(args)
}

#[tokio::main]
async fn main() {
    if let Err(e) = run().await {
        eprintln!("seed: {e}");
        std::process::exit(2);
    }
}

async fn run() -> Result<(), String> {
    let args = parse()?;
    let (provider_id, model_id) = args
        .model
        .split_once('/')
        .ok_or("--model is provider/model")?;
    let engine = Engine::open(EngineConfig::new(&args.data_dir).scheduler(false))
        .await
        .map_err(|e| e.to_string())?;
    let mut ids = Vec::new();
    for i in 0..args.automations {
        let title = if i == 0 && args.missed > 0 {
            "Nightly tests".to_owned()
        } else {
            format!("Automation {i}")
        };
        let definition = json!({
            "title": title,
            "prompt": "Run the tests and report.",
            "workspace": args.workspace,
            "model": { "provider_id": provider_id, "model_id": model_id },
            "trigger": { "kind": "cron", "expression": format!("{} {} * * *", i % 60, 1 + i % 20), "timezone": "UTC" },
        });
        let automation = engine
            .create_automation(&definition)
            .await
            .map_err(|e| e.to_string())?;
        ids.push(automation.id.to_string());
    }
    engine.shutdown().await;
    drop(engine);

    let url = format!("sqlite:{}", args.data_dir.join("autowork.db").display());
    let pool = sqlx::SqlitePool::connect(&url)
        .await
        .map_err(|e| e.to_string())?;
    let mut tx = pool.begin().await.map_err(|e| e.to_string())?;
    let now = Utc::now();
    let span = TimeDelta::days(30).num_milliseconds();
    let mut rows = Vec::new();
    for i in 0..args.runs {
        // Oldest first, so ids (time-ordered) follow queue times.
        let at = now.timestamp_millis() - span + span * i as i64 / args.runs.max(1) as i64;
        let (state, reason) = match i % 10 {
            0 | 5 => ("failed", None),
            7 => ("stopped", Some("cancelled")),
            _ => ("succeeded", None),
        };
        let trigger = if i % 4 == 0 { "manual" } else { "schedule" };
        let cost = 0.002 + (i % 13) as f64 * 0.003;
        rows.push(Row {
            automation: ids[i % ids.len()].clone(),
            state,
            trigger,
            reason,
            at,
            cost,
            seen: true,
        });
    }
    if args.missed > 0 {
        let start = now - TimeDelta::minutes(args.missed as i64 + 5);
        for i in 0..args.missed {
            let at = (start + TimeDelta::minutes(i as i64)).timestamp_millis();
            rows.push(Row {
                automation: ids[0].clone(),
                state: "stopped",
                trigger: "schedule",
                reason: Some("missed_schedule"),
                at,
                cost: 0.0,
                seen: false,
            });
        }
        rows.push(Row {
            automation: ids[0].clone(),
            state: "succeeded",
            trigger: "catch_up",
            reason: None,
            at: now.timestamp_millis() - 300_000,
            cost: 0.01,
            seen: false,
        });
    }
    for row in &rows {
        let state = row.state;
        let missed = row.reason == Some("missed_schedule");
        sqlx::query(
            "INSERT INTO runs (id, automation_id, definition_revision, revision, trigger, attendance,
                writer_key, state, result, error_code, error_message, stop_reason, cost_usd,
                tokens_in, tokens_out, steps, queued_at, started_at, finished_at, seen_at)
             VALUES (?, ?, 1, 3, ?, 'unattended', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(RunId::new().to_string())
        .bind(&row.automation)
        .bind(row.trigger)
        .bind(args.workspace.display().to_string())
        .bind(state)
        .bind((state == "succeeded").then_some("All **42** tests pass."))
        .bind((state == "failed").then_some("step_cap"))
        .bind((state == "failed").then_some("the run reached its step cap of 50"))
        .bind(row.reason)
        .bind(row.cost)
        // A missed fire never ran: no tokens, no steps, no start.
        .bind(if missed { 0 } else { 1200 })
        .bind(if missed { 0 } else { 300 })
        .bind(if missed { 0 } else { 4 })
        .bind(row.at)
        .bind((!missed).then_some(row.at))
        .bind(row.at + if missed { 0 } else { 90_000 })
        .bind(row.seen.then_some(row.at + 100_000))
        .execute(&mut *tx)
        .await
        .map_err(|e| e.to_string())?;
    }
    tx.commit().await.map_err(|e| e.to_string())?;
    pool.close().await;
    println!("{}", json!({ "automations": ids, "runs": rows.len() }));
    Ok(())
}
