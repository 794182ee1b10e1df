//! Test fixtures: an engine on a temp data dir, executors scripted by the test, and helpers
//! to watch events.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use autowork_core::definition::Automation;
use autowork_core::events::{Event, EventRecord};
use autowork_core::executor::{BoxFuture, Executor, Outcome, RunContext};
use autowork_core::ids::RunId;
use autowork_core::ledger::{Run, RunState};
use autowork_core::store::location::StoreLocation;
use autowork_core::{Engine, EngineConfig};
use serde_json::{json, Value};
use tokio::sync::{broadcast, mpsc, Semaphore};

type Script = Arc<dyn Fn(RunContext, Checkpoints) -> BoxFuture<'static, Outcome> + Send + Sync>;

/// An executor whose behaviour each test writes as a closure.
pub struct ScriptedExecutor {
    script: Mutex<Script>,
    pub checkpoints: Checkpoints,
}

impl ScriptedExecutor {
    pub fn new() -> Arc<Self> {
        Arc::new(Self {
            script: Mutex::new(Arc::new(|_, _| {
                Box::pin(async {
                    Outcome::Succeeded {
                        result: "done".into(),
                    }
                })
            })),
            checkpoints: Checkpoints::new(),
        })
    }

    pub fn script<F, Fut>(&self, script: F)
    where
        F: Fn(RunContext, Checkpoints) -> Fut + Send + Sync + 'static,
        Fut: std::future::Future<Output = Outcome> + Send + 'static,
    {
        *self.script.lock().unwrap() = Arc::new(move |ctx, cp| Box::pin(script(ctx, cp)));
    }
}

impl Executor for ScriptedExecutor {
    fn execute(&self, ctx: RunContext) -> BoxFuture<'static, Outcome> {
        let script = self.script.lock().unwrap().clone();
        script(ctx, self.checkpoints.clone())
    }
}

/// Scripts `executor` to stop at the checkpoint `working` until the test releases it, then
/// succeed.
pub fn hold_until_released(executor: &ScriptedExecutor) {
    executor.script(|_, checkpoints| async move {
        checkpoints.pass("working").await;
        Outcome::Succeeded {
            result: "done".into(),
        }
    });
}

/// Named points an executor stops at until the test lets it go on.
#[derive(Clone)]
pub struct Checkpoints {
    reached_tx: mpsc::UnboundedSender<&'static str>,
    reached_rx: Arc<tokio::sync::Mutex<mpsc::UnboundedReceiver<&'static str>>>,
    release: Arc<Semaphore>,
}

impl Checkpoints {
    fn new() -> Self {
        let (reached_tx, reached_rx) = mpsc::unbounded_channel();
        Self {
            reached_tx,
            reached_rx: Arc::new(tokio::sync::Mutex::new(reached_rx)),
            release: Arc::new(Semaphore::new(0)),
        }
    }

    /// Called by the executor: announces `name` and waits to be released.
    pub async fn pass(&self, name: &'static str) {
        let _ = self.reached_tx.send(name);
        if let Ok(permit) = self.release.acquire().await {
            permit.forget();
        }
    }

    /// Called by the test: waits until the executor is at `name`.
    pub async fn reached(&self, name: &'static str) {
        let mut rx = self.reached_rx.lock().await;
        let got = tokio::time::timeout(Duration::from_secs(20), rx.recv())
            .await
            .expect("the executor should reach a checkpoint")
            .expect("checkpoint channel open");
        assert_eq!(got, name, "the executor reached another checkpoint");
    }

    pub fn release(&self) {
        self.release.add_permits(1);
    }
}

pub struct TestEnv {
    pub dir: tempfile::TempDir,
    pub workspace: PathBuf,
    pub engine: Engine,
    pub executor: Arc<ScriptedExecutor>,
}

impl TestEnv {
    pub async fn new() -> Self {
        Self::with_clock(None).await
    }

    /// An env whose engine reads the time from `clock` (the system clock when `None`).
    pub async fn with_clock(clock: Option<Arc<dyn autowork_core::clock::Clock>>) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let workspace = dir.path().join("workspace");
        std::fs::create_dir_all(&workspace).unwrap();
        let executor = ScriptedExecutor::new();
        let mut engine_config = config(dir.path().join("data"), executor.clone());
        if let Some(clock) = clock {
            engine_config = engine_config.clock(clock);
        }
        let engine = Engine::open(engine_config).await.unwrap();
        Self {
            dir,
            workspace,
            engine,
            executor,
        }
    }

    pub fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    /// A second engine (another process, as far as the ledger can tell) on the same file.
    pub async fn second_engine(&self, executor: Arc<ScriptedExecutor>) -> Engine {
        Engine::open(config(self.data_dir(), executor))
            .await
            .unwrap()
    }

    /// A valid definition for this env's workspace.
    pub fn definition(&self) -> Value {
        json!({
            "title": "Nightly tests",
            "prompt": "Run the tests and fix what broke.",
            "workspace": self.workspace,
            "model": { "provider_id": "mock", "model_id": "mock-coder" },
        })
    }

    pub async fn automation(&self) -> Automation {
        self.engine
            .create_automation(&self.definition())
            .await
            .unwrap()
    }

    /// An automation on its own new workspace directory.
    pub async fn automation_in(&self, name: &str) -> Automation {
        let workspace = self.dir.path().join(name);
        std::fs::create_dir_all(&workspace).unwrap();
        let mut definition = self.definition();
        definition["workspace"] = json!(workspace);
        self.engine.create_automation(&definition).await.unwrap()
    }
}

pub fn config(data_dir: PathBuf, executor: Arc<ScriptedExecutor>) -> EngineConfig {
    let store = store_for(&data_dir);
    let mut config = EngineConfig::new(data_dir)
        .label("test")
        .executor(executor)
        .store(store);
    config.follow_interval = Duration::from_millis(50);
    config
}

/// Where engines on `data_dir` keep their ledger: this computer's SQLite file, or with
/// AUTOWORK_TEST_STORE=postgres a database of the data directory's own on the server named by
/// AUTOWORK_TEST_POSTGRES_URL (`make test` runs the suite both ways), created here. Engines
/// opened on the same data directory share it, as they share the SQLite file.
pub fn store_for(data_dir: &std::path::Path) -> StoreLocation {
    if std::env::var("AUTOWORK_TEST_STORE").as_deref() != Ok("postgres") {
        return StoreLocation::ThisComputer;
    }
    let server = std::env::var("AUTOWORK_TEST_POSTGRES_URL").expect(
        "AUTOWORK_TEST_STORE=postgres needs AUTOWORK_TEST_POSTGRES_URL (scripts/with-postgres.sh)",
    );
    let name = format!("aw_{:016x}", {
        use std::hash::{Hash, Hasher};
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        data_dir.hash(&mut hasher);
        hasher.finish()
    });
    let admin: sqlx::postgres::PgConnectOptions = server.parse().expect("a PostgreSQL URL");
    let create = format!("CREATE DATABASE {name}");
    // On a thread of its own: this runs inside the test's runtime, which must not block.
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime");
        runtime.block_on(async {
            use sqlx::{ConnectOptions, Executor};
            let mut conn = admin.connect().await.expect("the test server answers");
            if let Err(e) = conn.execute(create.as_str()).await {
                let exists = e
                    .as_database_error()
                    .and_then(|e| e.code())
                    .is_some_and(|code| code == "42P04");
                assert!(exists, "cannot create the test database: {e}");
            }
        });
    })
    .join()
    .expect("the test database is created");
    let url = match server.split_once('?') {
        Some((base, query)) => format!(
            "{}/{name}?{query}",
            base.rsplit_once('/').map_or(base, |(b, _)| b)
        ),
        None => format!(
            "{}/{name}",
            server.rsplit_once('/').map_or(server.as_str(), |(b, _)| b)
        ),
    };
    StoreLocation::parse(&url).expect("the test database's URL")
}

/// Waits (20 s at most) until the run is in `state`.
pub async fn wait_for_state(engine: &Engine, id: &RunId, state: RunState) -> Run {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let run = engine.get_run(id).await.unwrap();
        if run.state == state {
            return run;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "run {id} stayed {} instead of becoming {state}",
            run.state
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The `run.updated` states of `run_id` among the events received so far, and whether any
/// event about the run came after its terminal one.
pub fn drain_run_events(rx: &mut broadcast::Receiver<EventRecord>, run_id: &RunId) -> Vec<Event> {
    let mut events = Vec::new();
    while let Ok(record) = rx.try_recv() {
        if record.event.subject_id() == run_id.as_str() {
            events.push(record.event);
        }
    }
    events
}

pub fn states(events: &[Event]) -> Vec<RunState> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::RunUpdated(run) => Some(run.state),
            _ => None,
        })
        .collect()
}

/// Asserts nothing about the run follows its terminal event.
pub fn assert_nothing_after_terminal(events: &[Event]) {
    if let Some(terminal) = events
        .iter()
        .position(|e| matches!(e, Event::RunUpdated(run) if run.state.is_terminal()))
    {
        assert_eq!(
            terminal,
            events.len() - 1,
            "events followed the terminal one: {:#?}",
            &events[terminal..]
        );
    }
}

/// Gives background tasks a moment to publish anything they still would.
pub async fn settle() {
    tokio::time::sleep(Duration::from_millis(200)).await;
}

/// Makes `dir` a git repository with a test identity and its files as the first commit.
pub fn git_init(dir: &std::path::Path) {
    let repo = git2::Repository::init(dir).unwrap();
    let mut config = repo.config().unwrap();
    config.set_str("user.name", "Test User").unwrap();
    config.set_str("user.email", "test@example.com").unwrap();
    git_commit_all(dir, "initial");
}

/// Commits everything in the repository at `dir` on its current branch.
pub fn git_commit_all(dir: &std::path::Path, message: &str) -> String {
    let repo = git2::Repository::open(dir).unwrap();
    let mut index = repo.index().unwrap();
    index
        .add_all(["*"], git2::IndexAddOption::DEFAULT, None)
        .unwrap();
    index.update_all(["*"], None).unwrap();
    index.write().unwrap();
    let tree = repo.find_tree(index.write_tree().unwrap()).unwrap();
    let signature = git2::Signature::now("Test User", "test@example.com").unwrap();
    let parent = repo.head().ok().map(|head| head.peel_to_commit().unwrap());
    let parents: Vec<&git2::Commit> = parent.iter().collect();
    repo.commit(
        Some("HEAD"),
        &signature,
        &signature,
        message,
        &tree,
        &parents,
    )
    .unwrap()
    .to_string()
}

/// A child process of this test binary holding a run (an ignored test acting as the
/// child), killed when dropped.
pub struct ChildRun {
    pub child: std::process::Child,
    pub run_id: RunId,
}

impl ChildRun {
    /// SIGKILL, then reaped: the pid no longer exists.
    pub fn kill(&mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

impl Drop for ChildRun {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts this test binary again running only `test` (an ignored test) with `envs`, and
/// waits until it prints `RUN <id>`, the run it holds.
pub fn spawn_child_run(test: &str, envs: &[(&str, &std::ffi::OsStr)]) -> ChildRun {
    use std::io::{BufRead, BufReader};
    let mut command = std::process::Command::new(std::env::current_exe().unwrap());
    command
        .args([
            test,
            "--exact",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null());
    for (name, value) in envs {
        command.env(name, value);
    }
    let mut child = command.spawn().unwrap();
    let stdout = child.stdout.take().unwrap();
    let run_id = BufReader::new(stdout)
        .lines()
        .map_while(Result::ok)
        // libtest may print its own words before ours on the same line.
        .find_map(|line| {
            let (_, id) = line.split_once("RUN ")?;
            Some(id.trim().to_owned())
        })
        .expect("the child prints the run it holds");
    ChildRun {
        child,
        run_id: RunId::from(run_id.as_str()),
    }
}

/// The ledger's database opened beside the engine, on whichever backend the suite runs
/// (see [`store_for`]), for tests that seed rows or read them straight. SQL is written in
/// what both dialects accept: `$1` placeholders, `TRUE`/`FALSE`.
pub enum RawDb {
    Sqlite(sqlx::SqlitePool),
    Postgres(sqlx::PgPool),
}

/// A value bound to a [`RawDb`] statement.
#[derive(Clone, Debug)]
pub enum Arg {
    Int(Option<i64>),
    Real(f64),
    Text(Option<String>),
}

impl From<i64> for Arg {
    fn from(value: i64) -> Self {
        Arg::Int(Some(value))
    }
}

impl From<Option<i64>> for Arg {
    fn from(value: Option<i64>) -> Self {
        Arg::Int(value)
    }
}

impl From<f64> for Arg {
    fn from(value: f64) -> Self {
        Arg::Real(value)
    }
}

impl From<&str> for Arg {
    fn from(value: &str) -> Self {
        Arg::Text(Some(value.to_owned()))
    }
}

impl From<String> for Arg {
    fn from(value: String) -> Self {
        Arg::Text(Some(value))
    }
}

impl From<Option<&str>> for Arg {
    fn from(value: Option<&str>) -> Self {
        Arg::Text(value.map(str::to_owned))
    }
}

impl From<Option<String>> for Arg {
    fn from(value: Option<String>) -> Self {
        Arg::Text(value)
    }
}

/// `[a, b, ...]` as bound values.
#[macro_export]
macro_rules! args {
    ($($value:expr),* $(,)?) => { vec![$($crate::suite::support::Arg::from($value)),*] };
}

macro_rules! bind_all {
    ($query:expr, $args:expr) => {{
        let mut query = $query;
        for arg in $args {
            query = match arg {
                Arg::Int(v) => query.bind(v),
                Arg::Real(v) => query.bind(v),
                Arg::Text(v) => query.bind(v),
            };
        }
        query
    }};
}

impl RawDb {
    pub async fn open(data_dir: &std::path::Path) -> Self {
        match store_for(data_dir) {
            StoreLocation::ThisComputer => {
                let url = format!("sqlite:{}", data_dir.join("autowork.db").display());
                RawDb::Sqlite(sqlx::SqlitePool::connect(&url).await.unwrap())
            }
            StoreLocation::Team(team) => RawDb::Postgres(
                sqlx::PgPool::connect_with(team.connect_options().unwrap())
                    .await
                    .unwrap(),
            ),
        }
    }

    /// Runs each statement with its values, all in one transaction; the rows they changed.
    pub async fn execute_all(&self, statements: Vec<(&str, Vec<Arg>)>) -> u64 {
        let mut changed = 0;
        match self {
            RawDb::Sqlite(pool) => {
                let mut tx = pool.begin().await.unwrap();
                for (sql, args) in statements {
                    let done = bind_all!(sqlx::query(sql), args)
                        .execute(&mut *tx)
                        .await
                        .unwrap();
                    changed += done.rows_affected();
                }
                tx.commit().await.unwrap();
            }
            RawDb::Postgres(pool) => {
                let mut tx = pool.begin().await.unwrap();
                for (sql, args) in statements {
                    let done = bind_all!(sqlx::query(sql), args)
                        .execute(&mut *tx)
                        .await
                        .unwrap();
                    changed += done.rows_affected();
                }
                tx.commit().await.unwrap();
            }
        }
        changed
    }

    pub async fn execute(&self, sql: &str, args: Vec<Arg>) -> u64 {
        self.execute_all(vec![(sql, args)]).await
    }

    /// A query's one integer (`COUNT(*)`, `SUM(...)`, cast to a big integer on PostgreSQL).
    pub async fn scalar(&self, sql: &str) -> i64 {
        match self {
            RawDb::Sqlite(pool) => sqlx::query_scalar(sql).fetch_one(pool).await.unwrap(),
            RawDb::Postgres(pool) => sqlx::query_scalar(sql).fetch_one(pool).await.unwrap(),
        }
    }

    pub async fn close(&self) {
        match self {
            RawDb::Sqlite(pool) => pool.close().await,
            RawDb::Postgres(pool) => pool.close().await,
        }
    }
}

/// Whether the suite runs on PostgreSQL; a test of something only SQLite has says so and
/// returns early.
pub fn skipped_on_postgres(what: &str) -> bool {
    let on_postgres = std::env::var("AUTOWORK_TEST_STORE").as_deref() == Ok("postgres");
    if on_postgres {
        eprintln!("AUTOWORK_TEST_STORE=postgres: {what} is SQLite's own; skipped");
    }
    on_postgres
}

/// A notifier that keeps what a desktop shell would have shown, as `title: body` lines.
#[derive(Default)]
pub struct Shown(pub Mutex<Vec<String>>);

impl autowork_core::notify::Notifier for Shown {
    fn notify(&self, notification: autowork_core::notify::Notification) {
        let (title, body) = notification.title_and_body();
        self.0.lock().unwrap().push(format!("{title}: {body}"));
    }
}
