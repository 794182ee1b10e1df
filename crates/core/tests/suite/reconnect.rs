//! A team database that drops away and comes back: the engine says it is reconnecting (with
//! growing attempts), reconnects, renews its lease, follows other engines' events again, and
//! the run it was driving stays one run. The engine reaches PostgreSQL through a TCP proxy
//! written here, which can cut every connection and refuse new ones; a second engine reaches
//! the server directly all along.
//!
//! Needs the server named by AUTOWORK_TEST_POSTGRES_URL (`scripts/with-postgres.sh`); with
//! AUTOWORK_SKIP_POSTGRES=1 it says so and passes, like the other team database tests.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use autowork_core::engine::StoreHealth;
use autowork_core::events::Event;
use autowork_core::executor::Outcome;
use autowork_core::ledger::{Attendance, RunState, StopReason};
use autowork_core::store::location::StoreLocation;
use autowork_core::{Engine, EngineConfig, RunFilter};
use serde_json::json;
use sqlx::postgres::PgConnectOptions;
use sqlx::{ConnectOptions, Executor};
use tokio::net::{TcpListener, TcpStream, UnixStream};
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

use super::support::*;

/// Short, so the other engine closes the cut-off engine's run within seconds.
const LEASE: Duration = Duration::from_secs(3);

/// A TCP front for the test server's Unix socket that can go down and come back.
struct Proxy {
    port: u16,
    up: Arc<AtomicBool>,
    /// Bumped to cut every open connection.
    cuts: watch::Sender<u64>,
    task: tokio::task::JoinHandle<()>,
}

impl Proxy {
    async fn start(socket: PathBuf) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let up = Arc::new(AtomicBool::new(true));
        let (cuts, _) = watch::channel(0u64);
        let task = tokio::spawn({
            let up = up.clone();
            let cuts = cuts.clone();
            async move {
                loop {
                    let Ok((client, _)) = listener.accept().await else {
                        return;
                    };
                    if !up.load(Ordering::SeqCst) {
                        drop(client); // refused: closed before a byte is read
                        continue;
                    }
                    tokio::spawn(forward(client, socket.clone(), cuts.subscribe()));
                }
            }
        });
        Self {
            port,
            up,
            cuts,
            task,
        }
    }

    /// Every connection cut, and new ones closed at once.
    fn cut(&self) {
        self.up.store(false, Ordering::SeqCst);
        self.cuts.send_modify(|n| *n += 1);
    }

    fn restore(&self) {
        self.up.store(true, Ordering::SeqCst);
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn forward(mut client: TcpStream, socket: PathBuf, mut cut: watch::Receiver<u64>) {
    let Ok(mut server) = UnixStream::connect(&socket).await else {
        return;
    };
    tokio::select! {
        _ = tokio::io::copy_bidirectional(&mut client, &mut server) => {}
        _ = cut.changed() => {} // both ends dropped: the client sees the connection close
    }
}

/// The test server, a fresh database on it, and its socket; `None` when told to skip.
async fn fresh_database() -> Option<(PgConnectOptions, String, PathBuf)> {
    let Ok(url) = std::env::var("AUTOWORK_TEST_POSTGRES_URL") else {
        assert_eq!(
            std::env::var("AUTOWORK_SKIP_POSTGRES").as_deref(),
            Ok("1"),
            "AUTOWORK_TEST_POSTGRES_URL is not set: run through scripts/with-postgres.sh \
             (make test does), or set AUTOWORK_SKIP_POSTGRES=1"
        );
        eprintln!("AUTOWORK_SKIP_POSTGRES=1: the reconnection test skipped");
        return None;
    };
    let admin: PgConnectOptions = url.parse().unwrap();
    let socket_dir = admin
        .get_socket()
        .expect("the test server listens on a Unix socket (scripts/with-postgres.sh)")
        .clone();
    let socket = socket_dir.join(format!(".s.PGSQL.{}", admin.get_port()));
    let name = format!("aw_reconnect_{}", uuid::Uuid::now_v7().simple());
    let mut conn = admin.connect().await.unwrap();
    conn.execute(format!("CREATE DATABASE {name}").as_str())
        .await
        .unwrap();
    Some((admin, name, socket))
}

fn engine_config(
    data_dir: &Path,
    store: &str,
    label: &str,
    executor: Arc<ScriptedExecutor>,
) -> EngineConfig {
    let mut config = EngineConfig::new(data_dir)
        .label(label)
        .executor(executor)
        .lease_ttl(LEASE)
        .store(StoreLocation::parse(store).unwrap());
    config.follow_interval = Duration::from_millis(50);
    config
}

/// Waits (`within` at most) until the health satisfies `ok`; returns it.
async fn wait_health(
    health: &mut watch::Receiver<StoreHealth>,
    within: Duration,
    ok: impl FnMut(&StoreHealth) -> bool,
) -> StoreHealth {
    let last = format!("{:?}", *health.borrow());
    tokio::time::timeout(within, health.wait_for(ok))
        .await
        .unwrap_or_else(|_| panic!("the store's health did not change as expected from {last}"))
        .unwrap()
        .clone()
}

fn attempt(health: &StoreHealth) -> u32 {
    match health {
        StoreHealth::Reconnecting { attempt, .. } => *attempt,
        StoreHealth::Connected => 0,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cut_team_database_is_retried_and_the_run_stays_one_run() {
    let Some((admin, name, socket)) = fresh_database().await else {
        return;
    };
    let proxy = Proxy::start(socket.clone()).await;
    let dir = tempfile::tempdir().unwrap();
    let workspace = dir.path().join("workspace");
    std::fs::create_dir_all(&workspace).unwrap();
    let proxied = format!(
        "postgres://postgres@127.0.0.1:{}/{name}?sslmode=disable",
        proxy.port
    );
    let direct = format!(
        "postgres://postgres@localhost/{name}?host={}",
        socket.parent().unwrap().display()
    );

    // The cut-off engine's executor counts its executions and hands out its run's token.
    let executions = Arc::new(AtomicUsize::new(0));
    let token: Arc<Mutex<Option<CancellationToken>>> = Arc::default();
    let executor = ScriptedExecutor::new();
    executor.script({
        let executions = executions.clone();
        let token = token.clone();
        move |ctx, checkpoints| {
            executions.fetch_add(1, Ordering::SeqCst);
            *token.lock().unwrap() = Some(ctx.cancelled());
            async move {
                checkpoints.pass("working").await;
                Outcome::Succeeded {
                    result: "done".into(),
                }
            }
        }
    });
    let cut_off = Engine::open(engine_config(
        &dir.path().join("a"),
        &proxied,
        "cut",
        executor.clone(),
    ))
    .await
    .unwrap();
    let other_executor = ScriptedExecutor::new();
    let other = Engine::open(engine_config(
        &dir.path().join("b"),
        &direct,
        "other",
        other_executor.clone(),
    ))
    .await
    .unwrap();
    let mut health = cut_off.store_health();
    assert_eq!(*health.borrow(), StoreHealth::Connected);

    let automation = cut_off
        .create_automation(&json!({
            "title": "Nightly tests",
            "prompt": "Run the tests and fix what broke.",
            "workspace": workspace,
            "model": { "provider_id": "mock", "model_id": "mock-coder" },
        }))
        .await
        .unwrap();
    let run = cut_off
        .run_now(&automation.id, Attendance::Unattended)
        .await
        .unwrap();
    executor.checkpoints.reached("working").await;
    wait_for_state(&other, &run.id, RunState::Running).await;
    let mut events = cut_off.subscribe();

    // Down: the engine notices, and tries again and again.
    proxy.cut();
    let lost = wait_health(&mut health, Duration::from_secs(20), |h| !h.is_connected()).await;
    let StoreHealth::Reconnecting { error, .. } = &lost else {
        unreachable!()
    };
    assert!(!error.is_empty(), "the reason is told");
    let first = attempt(&lost);
    let later = wait_health(&mut health, Duration::from_secs(20), |h| attempt(h) >= 3).await;
    assert!(
        attempt(&later) > first,
        "attempts grow: {lost:?} then {later:?}"
    );

    // Meanwhile its lease runs out, and the other engine closes its run.
    let closed = wait_for_state(&other, &run.id, RunState::Stopped).await;
    assert_eq!(closed.stop_reason, Some(StopReason::Expired));

    // Back, with the app's Retry now. How soon it reconnects is not asserted (timings belong
    // in benchmarks; the backoff's next try would reconnect too), only that it does.
    proxy.restore();
    cut_off.retry_store_now();
    wait_health(
        &mut health,
        Duration::from_secs(40),
        StoreHealth::is_connected,
    )
    .await;

    // Its execution of the closed run stops: it read the other engine's close.
    let run_token = token.lock().unwrap().clone().expect("the run was executed");
    tokio::time::timeout(Duration::from_secs(10), run_token.cancelled())
        .await
        .expect("the execution of the run closed elsewhere is cancelled");

    // The lease is renewed: the engine is registered and live again.
    let raw = sqlx::PgPool::connect_with(admin.clone().database(&name))
        .await
        .unwrap();
    let now_ms = chrono::Utc::now().timestamp_millis();
    let live: i64 = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            let live: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM engine_instances WHERE label = 'cut' AND lease_expires_at > $1",
            )
            .bind(now_ms)
            .fetch_one(&raw)
            .await
            .unwrap();
            if live == 1 {
                return live;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    })
    .await
    .expect("the cut-off engine renews its lease after reconnecting");
    assert_eq!(live, 1);

    // Events from the other engine arrive again.
    other.set_paused(&automation.id, true).await.unwrap();
    tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            let record = events.recv().await.unwrap();
            if matches!(&record.event, Event::AutomationUpdated(a) if a.id == automation.id && a.spec.paused)
            {
                return;
            }
        }
    })
    .await
    .expect("the other engine's change arrives after the reconnection");

    // One run, closed once, executed once.
    settle().await;
    let page = other
        .list_runs(
            &RunFilter {
                automation_id: Some(automation.id.clone()),
                ..Default::default()
            },
            None,
            None,
        )
        .await
        .unwrap();
    assert_eq!(page.runs.len(), 1, "no second run: {:?}", page.runs);
    let final_run = cut_off.get_run(&run.id).await.unwrap();
    assert_eq!(
        (final_run.state, final_run.stop_reason),
        (RunState::Stopped, Some(StopReason::Expired)),
        "one terminal state, the other engine's"
    );
    let terminal_updates: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM events WHERE kind = 'run.updated' AND subject_id = $1 \
         AND payload::jsonb -> 'payload' ->> 'state' IN ('succeeded', 'failed', 'stopped')",
    )
    .bind(run.id.as_str())
    .fetch_one(&raw)
    .await
    .unwrap();
    assert_eq!(terminal_updates, 1, "the run ended once");
    assert_eq!(executions.load(Ordering::SeqCst), 1, "executed once");

    cut_off.shutdown().await;
    other.shutdown().await;
    raw.close().await;
    let mut conn = admin.connect().await.unwrap();
    conn.execute(format!("DROP DATABASE {name} WITH (FORCE)").as_str())
        .await
        .unwrap();
}
