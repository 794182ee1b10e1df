//! Team database benchmark (issue 14): the same figures side by side for this computer's
//! SQLite and a PostgreSQL team database. Prints, asserts nothing. Takes about two minutes.
//! `scripts/with-postgres.sh cargo bench -p autowork-core --bench team` (`make bench` does);
//! without AUTOWORK_TEST_POSTGRES_URL only SQLite is measured.
//!
//! - Run now → `running`: p50/p99 of the time from the call to the run's start in the
//!   caller's event stream (PostgreSQL target: p99 under 20 ms on this machine)
//! - listing runs with 100 000 in the ledger: the first page and a page deep in
//! - fire lateness of 1 000 one-shot automations due at the same instant, with one engine
//!   scheduling and with three (separate engines on one database, as three daemons; one holds
//!   the scheduler lease and fires, the others stand by)

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use autowork_core::clock::{Clock, SystemClock};
use autowork_core::events::Event;
use autowork_core::executor::{BoxFuture, Executor, Outcome, RunContext};
use autowork_core::ids::{AutomationId, RunId};
use autowork_core::ledger::{Attendance, RunState};
use autowork_core::store::location::StoreLocation;
use autowork_core::{Engine, EngineConfig, RunFilter};
use chrono::{DateTime, SecondsFormat, TimeDelta, Utc};
use serde_json::{json, Value};
use sqlx::{ConnectOptions, Connection, Executor as _};

const RUN_NOW_SAMPLES: usize = 200;
const LISTED_RUNS: usize = 100_000;
const LIST_SAMPLES: usize = 20;
const BURST: usize = 1_000;

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

fn percentile(samples: &mut [f64], p: f64) -> f64 {
    samples.sort_by(f64::total_cmp);
    let index = ((samples.len() as f64 - 1.0) * p).round() as usize;
    samples[index]
}

fn line(store: &str, what: &str, samples: &mut [f64], target: &str) {
    let p50 = percentile(samples, 0.50);
    let p99 = percentile(samples, 0.99);
    println!(
        "{store:<11} {what:<52} p50 {p50:>8.2} ms   p99 {p99:>8.2} ms   (n = {}){target}",
        samples.len()
    );
}

fn ms(delta: TimeDelta) -> f64 {
    delta.num_microseconds().unwrap_or(i64::MAX) as f64 / 1e3
}

/// Where one measurement keeps its ledger: a fresh SQLite data directory, or a fresh database
/// on the PostgreSQL server.
#[derive(Clone, Copy, PartialEq)]
enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "SQLite",
            Backend::Postgres => "PostgreSQL",
        }
    }
}

/// A fresh ledger: the data directory and where its engines keep the ledger.
async fn fresh(backend: Backend, dir: &Path, name: &str) -> StoreLocation {
    if backend == Backend::Sqlite {
        return StoreLocation::ThisComputer;
    }
    let server = std::env::var("AUTOWORK_TEST_POSTGRES_URL").unwrap();
    let database = format!("bench_{name}_{}", std::process::id());
    let mut admin = sqlx::postgres::PgConnectOptions::from_str(&server)
        .unwrap()
        .connect()
        .await
        .unwrap();
    admin
        .execute(format!("DROP DATABASE IF EXISTS {database}").as_str())
        .await
        .unwrap();
    admin
        .execute(format!("CREATE DATABASE {database}").as_str())
        .await
        .unwrap();
    admin.close().await.unwrap();
    let (base, query) = server.split_once('?').unwrap_or((&server, ""));
    let base = base.rsplit_once('/').map_or(base, |(b, _)| b);
    let url = if query.is_empty() {
        format!("{base}/{database}")
    } else {
        format!("{base}/{database}?{query}")
    };
    std::fs::create_dir_all(dir).unwrap();
    StoreLocation::parse(&url).unwrap()
}

async fn open(data_dir: &Path, store: &StoreLocation, scheduler: bool) -> Engine {
    Engine::open(
        EngineConfig::new(data_dir)
            .executor(Arc::new(NoOp))
            .scheduler(scheduler)
            .store(store.clone()),
    )
    .await
    .unwrap()
}

fn definition(workspace: &Path, trigger: Value) -> Value {
    std::fs::create_dir_all(workspace).unwrap();
    json!({
        "title": "Bench",
        "prompt": "Run the tests and fix what broke.",
        "workspace": workspace,
        "model": {"provider_id": "mock", "model_id": "mock-coder"},
        "trigger": trigger,
    })
}

/// A fresh ledger with an engine (no scheduler) and one manual automation on it.
async fn with_manual_automation(
    backend: Backend,
    name: &str,
) -> (
    tempfile::TempDir,
    std::path::PathBuf,
    StoreLocation,
    Engine,
    autowork_core::definition::Automation,
) {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let store = fresh(backend, &data, name).await;
    let engine = open(&data, &store, false).await;
    let automation = engine
        .create_automation(&definition(
            &dir.path().join("w"),
            json!({"kind": "manual"}),
        ))
        .await
        .unwrap();
    (dir, data, store, engine, automation)
}

/// Run now → `running`, as the caller's event stream shows it.
async fn run_now_to_running(backend: Backend) {
    let (_dir, _data, _store, engine, automation) =
        with_manual_automation(backend, "run_now").await;
    let mut events = engine.subscribe();
    let mut samples = Vec::with_capacity(RUN_NOW_SAMPLES);
    for _ in 0..RUN_NOW_SAMPLES {
        let began = Instant::now();
        let run = engine
            .run_now(&automation.id, Attendance::Attended)
            .await
            .unwrap();
        let mut started = None;
        loop {
            let record = events.recv().await.unwrap();
            let Event::RunUpdated(update) = record.event else {
                continue;
            };
            if update.id != run.id {
                continue;
            }
            if update.state == RunState::Running && started.is_none() {
                started = Some(began.elapsed());
            }
            if update.state.is_terminal() {
                break;
            }
        }
        samples.push(started.unwrap().as_secs_f64() * 1e3);
    }
    let target = if backend == Backend::Postgres {
        let p99 = percentile(&mut samples, 0.99);
        format!(
            "   target p99 < 20 ms: {}",
            if p99 < 20.0 { "met" } else { "missed" }
        )
    } else {
        String::new()
    };
    line(backend.name(), "Run now -> running", &mut samples, &target);
    engine.shutdown().await;
}

/// `count` finished runs of one automation written straight into the ledger, a thousand per
/// statement (literal values, which both dialects read alike).
async fn seed_runs(
    backend: Backend,
    data: &Path,
    store: &StoreLocation,
    automation: &AutomationId,
) {
    let mut statements = Vec::new();
    for chunk in (0..LISTED_RUNS).collect::<Vec<_>>().chunks(1000) {
        let values: Vec<String> = chunk
            .iter()
            .map(|&i| {
                format!(
                    "('{}', '{automation}', 1, 3, 'schedule', 'unattended', '/w', 'succeeded', \
                     'ok', {i}, {i}, {})",
                    RunId::new(),
                    i + 1
                )
            })
            .collect();
        statements.push(format!(
            "INSERT INTO runs (id, automation_id, definition_revision, revision, trigger, \
             attendance, writer_key, state, result, queued_at, started_at, finished_at) VALUES {}",
            values.join(", ")
        ));
    }
    match (backend, store) {
        (Backend::Sqlite, _) => {
            let url = format!("sqlite:{}", data.join("autowork.db").display());
            let mut conn = sqlx::SqliteConnection::connect(&url).await.unwrap();
            for statement in &statements {
                conn.execute(statement.as_str()).await.unwrap();
            }
            conn.close().await.unwrap();
        }
        (Backend::Postgres, StoreLocation::Team(team)) => {
            let mut conn = team.connect_options().unwrap().connect().await.unwrap();
            for statement in &statements {
                conn.execute(statement.as_str()).await.unwrap();
            }
            conn.execute("ANALYZE runs").await.unwrap();
            conn.close().await.unwrap();
        }
        (Backend::Postgres, StoreLocation::ThisComputer) => unreachable!(),
    }
}

/// Listing runs with 100 000 in the ledger.
async fn list_at_scale(backend: Backend) {
    let (_dir, data, store, engine, automation) = with_manual_automation(backend, "list").await;
    seed_runs(backend, &data, &store, &automation.id).await;
    let filter = RunFilter::default();
    let mut first = Vec::new();
    let mut deep = Vec::new();
    // A cursor about half way down, found once.
    let mut cursor = None;
    for _ in 0..10 {
        let page = engine
            .list_runs(&filter, cursor.as_deref(), Some(500))
            .await
            .unwrap();
        cursor = page.next_cursor;
    }
    for _ in 0..LIST_SAMPLES {
        let began = Instant::now();
        let page = engine.list_runs(&filter, None, Some(50)).await.unwrap();
        first.push(began.elapsed().as_secs_f64() * 1e3);
        assert_eq!(page.runs.len(), 50);
        let began = Instant::now();
        engine
            .list_runs(&filter, cursor.as_deref(), Some(50))
            .await
            .unwrap();
        deep.push(began.elapsed().as_secs_f64() * 1e3);
    }
    line(
        backend.name(),
        "list runs at 100k: first page of 50",
        &mut first,
        "",
    );
    line(
        backend.name(),
        "list runs at 100k: a page 5000 runs deep",
        &mut deep,
        "",
    );
    engine.shutdown().await;
}

/// 1 000 one-shot automations due at one instant, `engines` engines scheduling on the ledger:
/// how late each fire committed, and that each fired once.
async fn burst(backend: Backend, engines: usize) {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let store = fresh(backend, &data, &format!("burst{engines}")).await;
    let creator = open(&data, &store, false).await;
    let margin = TimeDelta::seconds(8) + TimeDelta::milliseconds(BURST as i64 * 6);
    let due = SystemClock.now() + margin;
    let trigger = json!({
        "kind": "once",
        "fire_at": due.to_rfc3339_opts(SecondsFormat::Millis, true),
    });
    for i in 0..BURST {
        creator
            .create_automation(&definition(
                &dir.path().join(format!("w{i}")),
                trigger.clone(),
            ))
            .await
            .unwrap();
    }
    assert!(
        SystemClock.now() < due - TimeDelta::seconds(2),
        "the creation ran past the chosen instant; raise the margin"
    );
    let seq = creator.last_event_seq().await.unwrap();
    let mut schedulers = Vec::new();
    for _ in 0..engines {
        schedulers.push(open(&data, &store, true).await);
    }
    // Every run queued and ended, read from the outbox.
    let mut committed: HashMap<RunId, DateTime<Utc>> = HashMap::new();
    let mut fires_of: HashMap<AutomationId, usize> = HashMap::new();
    let mut ended = 0;
    let mut after = seq;
    let deadline = Instant::now() + Duration::from_secs(300);
    while ended < BURST && Instant::now() < deadline {
        let batch = creator.events_since(after, 1000).await.unwrap();
        if batch.is_empty() {
            tokio::time::sleep(Duration::from_millis(20)).await;
            continue;
        }
        for record in batch {
            after = record.seq;
            let Event::RunUpdated(run) = record.event else {
                continue;
            };
            if run.state == RunState::Queued {
                committed.insert(run.id.clone(), record.at);
                *fires_of.entry(run.automation_id.clone()).or_default() += 1;
            } else if run.state.is_terminal() {
                ended += 1;
            }
        }
    }
    let mut lateness: Vec<f64> = committed.values().map(|at| ms(*at - due)).collect();
    let once = fires_of.len() == BURST && fires_of.values().all(|&n| n == 1);
    let p99 = percentile(&mut lateness, 0.99);
    line(
        backend.name(),
        &format!(
            "1k due together, {engines} engine{}: fire committed - due",
            if engines == 1 { "" } else { "s" }
        ),
        &mut lateness,
        &format!(
            "   each once: {}; p99 < 1 s: {}",
            if once { "yes" } else { "NO" },
            if p99 < 1000.0 { "met" } else { "missed" }
        ),
    );
    for engine in schedulers {
        engine.shutdown().await;
    }
    creator.shutdown().await;
}

#[tokio::main]
async fn main() {
    let mut backends = vec![Backend::Sqlite];
    if std::env::var_os("AUTOWORK_TEST_POSTGRES_URL").is_some() {
        backends.push(Backend::Postgres);
    } else {
        println!("PostgreSQL: not measured (no AUTOWORK_TEST_POSTGRES_URL; make bench starts one)");
    }
    for &backend in &backends {
        run_now_to_running(backend).await;
    }
    for &backend in &backends {
        list_at_scale(backend).await;
    }
    for &backend in &backends {
        burst(backend, 1).await;
        burst(backend, 3).await;
    }
}
