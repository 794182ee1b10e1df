//! Several `autowork daemon`s on one team database (issue 14), each a process of its own
//! playing a machine of its own (its own data directory and `AUTOWORK_HOST_ID`): every due
//! fire is recorded once, and a daemon killed with SIGKILL mid-run has its run closed by the
//! others once its lease has run out, while the schedule goes on. A Run now from one machine
//! is driven by the daemon that serves its folder and answered from a third.
//!
//! They need the PostgreSQL server `scripts/with-postgres.sh` starts (`make test` runs them
//! through it); with AUTOWORK_SKIP_POSTGRES=1 they say so and pass.

use std::process::Child;
use std::time::{Duration, Instant};

use chrono::{SecondsFormat, TimeDelta, Utc};
use serde_json::{json, Value};

use super::{finish, Mock, Sandbox};

/// How long a daemon's lease lasts here: its runs are closed this long after it dies.
const LEASE_SECS: u64 = 3;

/// A fresh database on the test server, as a store URL; `None` when told to skip.
fn team_database(name: &str) -> Option<String> {
    let Ok(server) = std::env::var("AUTOWORK_TEST_POSTGRES_URL") else {
        assert_eq!(
            std::env::var("AUTOWORK_SKIP_POSTGRES").as_deref(),
            Ok("1"),
            "AUTOWORK_TEST_POSTGRES_URL is not set: run through scripts/with-postgres.sh \
             (make test does), or set AUTOWORK_SKIP_POSTGRES=1"
        );
        eprintln!("AUTOWORK_SKIP_POSTGRES=1: {name} skipped");
        return None;
    };
    let database = format!("cli_{name}_{}", std::process::id());
    for sql in [
        format!("DROP DATABASE IF EXISTS {database}"),
        format!("CREATE DATABASE {database}"),
    ] {
        let done = std::process::Command::new("psql")
            .args(["-q", "-v", "ON_ERROR_STOP=1", &server, "-c", &sql])
            .output()
            .unwrap();
        assert!(
            done.status.success(),
            "psql: {}",
            String::from_utf8_lossy(&done.stderr)
        );
    }
    let (base, query) = server.split_once('?').unwrap_or((&server, ""));
    let base = base.rsplit_once('/').map_or(base, |(b, _)| b);
    Some(if query.is_empty() {
        format!("{base}/{database}")
    } else {
        format!("{base}/{database}?{query}")
    })
}

/// One worker: a data directory of its own (its provider settings), the team database, a
/// host id of its own.
struct Worker {
    sandbox: Sandbox,
    store: String,
    host: String,
}

impl Worker {
    fn new(store: &str, host: &str, mock: &Mock) -> Self {
        let worker = Self {
            sandbox: Sandbox::new(),
            store: store.to_owned(),
            host: host.to_owned(),
        };
        worker.json(&format!(
            "provider add --json --id mock --kind openai-compatible --base-url {}/v1",
            mock.server().base_url()
        ));
        worker
    }

    fn command(&self, line: &str) -> std::process::Command {
        let mut command = self.sandbox.command(line);
        command
            .env("AUTOWORK_STORE", &self.store)
            .env("AUTOWORK_HOST_ID", &self.host);
        command
    }

    fn json(&self, line: &str) -> Value {
        let outcome = self.sandbox.run_with(self.command(line), "");
        assert_eq!(
            outcome.code, 0,
            "`{line}` should succeed; stderr: {}",
            outcome.stderr
        );
        outcome.json()
    }

    fn daemon(&self) -> Child {
        self.spawn(self.command(&format!("daemon --lease-ttl {LEASE_SECS}")))
    }

    /// `line` on this machine, driving only runs in `folder` (AUTOWORK_SERVE): every test
    /// "machine" sees every folder of this one, so each is told which are its own.
    fn serving(&self, line: &str, folder: &std::path::Path) -> std::process::Command {
        let mut command = self.command(line);
        command.env("AUTOWORK_SERVE", folder);
        command
    }

    fn spawn(&self, mut command: std::process::Command) -> Child {
        command
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped());
        command.spawn().unwrap()
    }

    /// A one-shot automation on the mock model due at `at`, in a workspace of its own.
    fn create_once(&self, title: &str, at: chrono::DateTime<Utc>) -> String {
        let workspace = self.sandbox.workspace.path().join(title);
        std::fs::create_dir_all(&workspace).unwrap();
        super::id_of(&self.json(&format!(
            "automation create --json --title {title} --prompt 'Say done' --workspace {} \
             --model mock/mock-coder --at {}",
            workspace.display(),
            at.to_rfc3339_opts(SecondsFormat::Millis, true)
        )))
    }

    /// Every run in the ledger.
    fn runs(&self) -> Vec<Value> {
        let mut runs = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let line = match &cursor {
                Some(cursor) => format!("run list --json --limit 500 --cursor {cursor}"),
                None => "run list --json --limit 500".to_owned(),
            };
            let page = self.json(&line);
            runs.extend(page["runs"].as_array().unwrap().iter().cloned());
            match page["next_cursor"].as_str() {
                Some(next) => cursor = Some(next.to_owned()),
                None => return runs,
            }
        }
    }
}

/// Stops daemons with SIGTERM (as a service manager would) and waits for them.
fn stop(daemons: Vec<Child>) {
    for daemon in &daemons {
        let _ = std::process::Command::new("kill")
            .args(["-TERM", &daemon.id().to_string()])
            .status();
    }
    for daemon in daemons {
        let outcome = finish(daemon);
        assert!(
            outcome.code == 0 || outcome.code == 143,
            "a daemon ended badly: {outcome:?}"
        );
    }
}

fn wait_until<T>(what: &str, limit: Duration, mut check: impl FnMut() -> Option<T>) -> T {
    let start = Instant::now();
    loop {
        if let Some(value) = check() {
            return value;
        }
        assert!(start.elapsed() < limit, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// `count` one-shot automations due at `due`, created in this process (one engine on the
/// team database, as an app would) rather than by a thousand commands.
fn create_many(worker: &Worker, count: usize, due: chrono::DateTime<Utc>) -> Vec<String> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let location = autowork_core::store::location::StoreLocation::parse(&worker.store).unwrap();
        let engine = autowork_core::Engine::open(
            autowork_core::EngineConfig::new(worker.sandbox.data.path()).store(location),
        )
        .await
        .unwrap();
        let mut ids = Vec::with_capacity(count);
        for i in 0..count {
            let workspace = worker.sandbox.workspace.path().join(format!("w{i}"));
            std::fs::create_dir_all(&workspace).unwrap();
            let automation = engine
                .create_automation(&json!({
                    "title": format!("Due together {i}"),
                    "prompt": "Say done",
                    "workspace": workspace,
                    "model": {"provider_id": "mock", "model_id": "mock-coder"},
                    "trigger": {
                        "kind": "once",
                        "fire_at": due.to_rfc3339_opts(SecondsFormat::Millis, true),
                    },
                }))
                .await
                .unwrap();
            ids.push(automation.id.to_string());
        }
        engine.shutdown().await;
        ids
    })
}

fn terminal(run: &Value) -> bool {
    matches!(
        run["state"].as_str(),
        Some("succeeded" | "failed" | "stopped")
    )
}

#[test]
fn three_daemons_fire_a_thousand_automations_due_together_each_exactly_once() {
    const COUNT: usize = 1_000;
    let Some(store) = team_database("fires") else {
        return;
    };
    let turns: Vec<Value> = (0..COUNT + 100).map(|_| json!({"text": "done"})).collect();
    let mock = Mock::start(json!({ "turns": turns }));
    let workers: Vec<Worker> = ["host-a", "host-b", "host-c"]
        .iter()
        .map(|host| Worker::new(&store, host, &mock))
        .collect();
    // Due once all are created (a few milliseconds each; room for a loaded machine).
    let due = Utc::now() + TimeDelta::seconds(10) + TimeDelta::milliseconds(25 * COUNT as i64);
    let automations = create_many(&workers[0], COUNT, due);
    eprintln!(
        "{COUNT} automations created, due in {} s",
        (due - Utc::now()).num_seconds()
    );

    let daemons: Vec<Child> = workers.iter().map(Worker::daemon).collect();
    // Every fire recorded (the runs then drain through the queue, four at a time).
    let runs = wait_until(
        "a run of every automation",
        Duration::from_secs(240),
        || {
            let runs = workers[1].runs();
            (runs.len() >= COUNT).then_some(runs)
        },
    );
    // Time for a wrong second fire to show, and for runs to go through.
    std::thread::sleep(Duration::from_secs(3));
    let runs_after = workers[2].runs();
    stop(daemons);

    assert_eq!(runs_after.len(), runs.len(), "no fire came late");
    let mut fires: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    for run in &runs_after {
        *fires
            .entry(run["automation_id"].as_str().unwrap())
            .or_default() += 1;
    }
    assert_eq!(fires.len(), COUNT, "every automation fired");
    assert!(
        automations
            .iter()
            .all(|id| fires.get(id.as_str()) == Some(&1)),
        "each exactly once"
    );
    assert!(
        runs_after.iter().any(|run| run["state"] == "succeeded"),
        "the runs went on to run"
    );
    mock.assert_clean();
}

/// The pid of the daemon whose engine owns `run`, from the team database.
fn owner_pid(store: &str, run: &str) -> u32 {
    let server_url = store;
    let done = std::process::Command::new("psql")
        .args([
            "-qtA",
            server_url,
            "-c",
            &format!(
                "SELECT i.pid FROM runs r JOIN engine_instances i ON i.id = r.owner_id \
                 WHERE r.id = '{run}'"
            ),
        ])
        .output()
        .unwrap();
    String::from_utf8_lossy(&done.stdout)
        .trim()
        .parse()
        .unwrap_or_else(|_| {
            panic!(
                "no owner of {run}: {}",
                String::from_utf8_lossy(&done.stderr)
            )
        })
}

#[test]
fn a_daemon_killed_mid_run_has_its_run_closed_by_another_after_its_lease_and_fires_go_on() {
    let Some(store) = team_database("killed") else {
        return;
    };
    // The first model call never answers: its run is mid-step when its daemon dies.
    let mock = Mock::start(json!({"turns": [{"hang": true}, {"text": "done"}, {"text": "done"}]}));
    let workers: Vec<Worker> = ["host-a", "host-b", "host-c"]
        .iter()
        .map(|host| Worker::new(&store, host, &mock))
        .collect();
    let mut daemons: Vec<Child> = workers.iter().map(Worker::daemon).collect();
    let stuck = workers[0].create_once("stuck", Utc::now() + TimeDelta::seconds(1));
    let run = wait_until("the run mid-step", Duration::from_secs(60), || {
        workers[0]
            .runs()
            .into_iter()
            .find(|run| run["automation_id"] == stuck.as_str() && run["state"] == "running")
    });
    let run_id = run["id"].as_str().unwrap().to_owned();
    let pid = owner_pid(&store, &run_id);
    let killed = daemons
        .iter()
        .position(|daemon| daemon.id() == pid)
        .expect("the run's owner is one of the daemons");
    let mut victim = daemons.remove(killed);
    victim.kill().unwrap();
    victim.wait().unwrap();
    let killed_at = Instant::now();

    // Watched from another machine: a command on the dead daemon's own host would see its
    // pid gone and close its runs at once, without waiting for the lease (as designed).
    let elsewhere = &workers[(killed + 1) % workers.len()];
    let closed = wait_until(
        "the dead daemon's run closed by another",
        Duration::from_secs(60),
        || {
            let run = elsewhere.json(&format!("run show --json {run_id}"));
            terminal(&run).then_some(run)
        },
    );
    assert_eq!(
        (closed["state"].as_str(), closed["stop_reason"].as_str()),
        (Some("stopped"), Some("expired")),
        "{closed}"
    );
    // The lease, renewed every third of its life, ran out at least two thirds of it after
    // the kill; before, the daemon might only have been slow.
    assert!(
        killed_at.elapsed() >= Duration::from_secs(LEASE_SECS) / 2,
        "closed only once the lease had run out, not while it might still be alive"
    );

    // The schedule goes on without the dead daemon, whether or not it was the one firing.
    let after = elsewhere.create_once("after", Utc::now() + TimeDelta::seconds(1));
    let ran = wait_until(
        "the next fire, run by a live daemon",
        Duration::from_secs(60),
        || {
            elsewhere
                .runs()
                .into_iter()
                .find(|run| run["automation_id"] == after.as_str() && terminal(run))
        },
    );
    assert_eq!(ran["state"], "succeeded", "{ran}");
    let fires_of_after = elsewhere
        .runs()
        .iter()
        .filter(|run| run["automation_id"] == after.as_str())
        .count();
    assert_eq!(fires_of_after, 1);
    stop(daemons);
}

#[test]
fn run_now_from_one_machine_is_driven_by_the_daemon_that_serves_its_folder_and_answered_from_a_third(
) {
    let Some(store) = team_database("serve") else {
        return;
    };
    let mock = Mock::start(json!({ "turns": [
        { "tool_calls": [{ "name": "bash", "arguments": { "command": "echo approved" } }] },
        { "expect": { "last_tool_result_contains": "approved" }, "text": "Finished." },
    ]}));
    let server = Worker::new(&store, "build-server", &mock);
    let laptop = Worker::new(&store, "laptop", &mock);
    let third = Worker::new(&store, "third", &mock);
    let served = server.sandbox.workspace.path().to_owned();
    let folder = served.join("api");
    std::fs::create_dir_all(&folder).unwrap();
    let id = super::id_of(&server.json(&format!(
        "automation create --json --title api --prompt 'Check it' --workspace {} \
         --model mock/mock-coder --manual",
        folder.display()
    )));
    let laptop_home = laptop.sandbox.workspace.path().to_owned();

    // No connected worker serves the folder: Run now says so, and nothing is queued.
    let refused = laptop.sandbox.run_with(
        laptop.serving(&format!("run-now {id} --unattended --json"), &laptop_home),
        "",
    );
    assert_eq!(refused.code, 2, "stderr: {}", refused.stderr);
    let error = refused.json();
    assert_eq!(error["error"], "no_worker_serves_workspace", "{error}");
    assert_eq!(error["details"][0]["field"], "workspace", "{error}");
    assert!(laptop.runs().is_empty());

    let daemon = server.spawn(server.serving(&format!("daemon --lease-ttl {LEASE_SECS}"), &served));
    wait_until(
        "the server's daemon to connect",
        Duration::from_secs(60),
        || {
            let workers = laptop.json("workers --json");
            let names: Vec<&str> = workers
                .as_array()?
                .iter()
                .filter_map(|w| w["name"].as_str())
                .collect();
            names.contains(&"build-server").then_some(())
        },
    );

    // Run now on the laptop, attended, its terminal silent: the daemon drives the run, the
    // laptop follows it, a third machine answers its permission request.
    let mut run_now = laptop.serving(&format!("run-now {id} --attended --json"), &laptop_home);
    run_now
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let following = run_now.spawn().unwrap();
    let request = wait_until("the permission request", Duration::from_secs(60), || {
        let page = third.json("run list --json --state awaiting_input");
        let request = page["runs"][0]["blocker"]["request_id"].as_str()?;
        Some(request.to_owned())
    });
    let resumed = third.json(&format!("reply {request} once --json"));
    assert_eq!(resumed["state"], "running", "{resumed}");

    let outcome = finish(following);
    assert_eq!(outcome.code, 0, "stderr: {}", outcome.stderr);
    let run = outcome.json();
    assert_eq!(run["state"], "succeeded", "{run}");
    assert_eq!(run["worker"], "build-server (daemon)", "{run}");
    assert!(
        outcome
            .stderr
            .contains("a worker that serves its folder runs it"),
        "{}",
        outcome.stderr
    );
    stop(vec![daemon]);
    mock.assert_clean();
}
