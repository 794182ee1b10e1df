//! The engine: one value that opens the database, owns the background tasks, and offers
//! every operation the desktop shell and the CLI call.

pub(crate) mod automations;
mod changes;
mod health;
mod inbox;
mod lease;
mod listing;
mod overview;
mod queue;
mod remote;
mod retention;
mod runs;
mod scheduler;
mod threads;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{broadcast, Notify};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::agent::provider::ProviderSettings;
use crate::catalog::{Catalog, CatalogModel};
use crate::clock::{Clock, SystemClock};
use crate::error::{Error, Result};
use crate::events::{EventBus, EventRecord};
use crate::executor::Executor;
use crate::ids::{AutomationId, InstanceId, RunId};
use crate::ledger::recorder::Recorder;
use crate::notify::{Notifier, SilentNotifier};
use crate::store::location::StoreLocation;
use crate::store::{self, Store};

pub use changes::{Deleted, KeptWorktree};
pub use health::StoreHealth;
pub use inbox::{Inbox, InboxCounts, InboxFilter, InboxItem, INBOX_FINISHED_MAX};
pub use overview::{DayStats, RunStats, Upcoming, UpcomingFire};
pub use retention::GC_INTERVAL;
pub use runs::{RunPage, WorkAreaHolder};
pub use threads::{thread_order, ThreadRow, THREAD_MAX};

/// File names inside the data directory.
pub const DATABASE_FILE: &str = "autowork.db";
pub const CATALOG_FILE: &str = "models.json";

/// How an engine is opened.
pub struct EngineConfig {
    /// Where the database and the model catalog file live.
    pub data_dir: PathBuf,
    /// Names this process in the lease table (`app`, `cli`, `daemon`, ...).
    pub label: String,
    /// How long this process's lease lasts without renewal; runs of a process silent for
    /// longer are closed by the others. Renewed every third of it.
    pub lease_ttl: Duration,
    /// How often other processes' changes are read from the outbox.
    pub follow_interval: Duration,
    pub clock: Arc<dyn Clock>,
    /// Does the work of runs; without one, `run_now` is refused.
    pub executor: Option<Arc<dyn Executor>>,
    pub notifier: Arc<dyn Notifier>,
    /// Whether this process fires automations on their schedules (the app, the daemon);
    /// one process per database does, through a lease.
    pub scheduler: bool,
    /// How often the scheduling process removes runs past the retention policy.
    pub gc_interval: Duration,
    /// Where the ledger lives: SQLite in `data_dir` unless a team database is named.
    pub store: StoreLocation,
    /// The folders whose runs this process drives (a run's workspace must lie in one). `None`:
    /// every folder. On a team database, whose workers are on several machines, a run's
    /// folder must also exist on this one.
    pub serve: Option<Vec<PathBuf>>,
    /// Whether this process takes queued runs no one drives yet (a long-lived worker: the app,
    /// a daemon), or drives only the runs it queues itself (a CLI command).
    pub takes_queued_runs: bool,
}

impl EngineConfig {
    pub fn new(data_dir: impl Into<PathBuf>) -> Self {
        Self {
            data_dir: data_dir.into(),
            label: "engine".into(),
            lease_ttl: Duration::from_secs(30),
            follow_interval: Duration::from_millis(250),
            clock: Arc::new(SystemClock),
            executor: None,
            notifier: Arc::new(SilentNotifier),
            scheduler: false,
            gc_interval: GC_INTERVAL,
            store: StoreLocation::ThisComputer,
            serve: None,
            takes_queued_runs: false,
        }
    }

    /// Drive only runs whose work area lies in one of `folders`.
    pub fn serve(mut self, folders: Vec<PathBuf>) -> Self {
        self.serve = Some(folders);
        self
    }

    /// Take queued runs that no process drives yet, from the folders this one serves.
    pub fn takes_queued_runs(mut self, on: bool) -> Self {
        self.takes_queued_runs = on;
        self
    }

    /// Fire automations on their schedules from this process.
    pub fn scheduler(mut self, on: bool) -> Self {
        self.scheduler = on;
        self
    }

    pub fn label(mut self, label: impl Into<String>) -> Self {
        self.label = label.into();
        self
    }

    pub fn executor(mut self, executor: Arc<dyn Executor>) -> Self {
        self.executor = Some(executor);
        self
    }

    pub fn notifier(mut self, notifier: Arc<dyn Notifier>) -> Self {
        self.notifier = notifier;
        self
    }

    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    pub fn lease_ttl(mut self, ttl: Duration) -> Self {
        self.lease_ttl = ttl;
        self
    }

    pub fn gc_interval(mut self, interval: Duration) -> Self {
        self.gc_interval = interval;
        self
    }

    /// Keep the ledger in `store` instead of this computer's SQLite file.
    pub fn store(mut self, store: StoreLocation) -> Self {
        self.store = store;
        self
    }
}

/// A run this process drives.
pub(crate) struct ActiveRun {
    pub automation_id: AutomationId,
    pub token: CancellationToken,
    pub resumed: Arc<Notify>,
}

/// The catalog file, with the models named in the provider settings added (unpriced unless
/// models.json prices them).
fn load_catalog(data_dir: &Path) -> Result<Catalog> {
    let mut catalog = Catalog::load(&data_dir.join(CATALOG_FILE))?;
    for provider in ProviderSettings::load(data_dir)?.all() {
        for model_id in &provider.models {
            if catalog.find(&provider.id, model_id).is_none() {
                catalog.upsert(CatalogModel {
                    provider_id: provider.id.clone(),
                    model_id: model_id.clone(),
                    display_name: None,
                    variants: Vec::new(),
                    input_usd_per_mtok: 0.0,
                    output_usd_per_mtok: 0.0,
                });
            }
        }
    }
    Ok(catalog)
}

/// This process as a worker: how its runs name it and which runs it drives.
///
/// A run queued for a folder its process does not serve is left for a worker that does (the
/// app or a daemon on the machine that has it); a run no connected worker's folders cover is
/// refused at Run now (`no_worker_serves_workspace`).
pub(crate) struct ThisWorker {
    /// `name (kind)`, as runs record it.
    pub name: String,
    /// The machine's name alone, and the process's kind (`app`, `daemon`, `cli`).
    pub host_name: String,
    pub kind: String,
    /// Absolute folders; a run whose work area lies in one may be driven here.
    pub serves: Vec<String>,
    /// Registered to take queued runs that no one drives yet.
    pub takes_queued_runs: bool,
    /// On a team database the folder must also exist here: workers on other machines may
    /// serve the same paths. One computer's database has only this machine's folders.
    pub team: bool,
}

impl ThisWorker {
    /// Whether runs in `workspace` may be driven here.
    pub fn serves(&self, workspace: &str) -> bool {
        crate::model::worker::serves(&self.serves, workspace)
            && (!self.team || Path::new(workspace).is_dir())
    }

    /// The folders registered for others to see: none for a process that takes no queued runs.
    pub fn registered(&self) -> &[String] {
        if self.takes_queued_runs {
            &self.serves
        } else {
            &[]
        }
    }

    fn new(config: &EngineConfig, team: bool) -> Result<Self> {
        let serves = match &config.serve {
            Some(folders) => folders
                .iter()
                .map(|folder| served_folder(folder))
                .collect::<Result<Vec<_>>>()?,
            // Every folder: on a team database, those that exist on this machine.
            None => vec!["/".to_owned()],
        };
        let host_name = lease::host_name();
        Ok(Self {
            name: crate::model::worker::display_name(&host_name, &config.label),
            host_name,
            kind: config.label.clone(),
            serves,
            takes_queued_runs: config.takes_queued_runs,
            team,
        })
    }
}

/// A folder to serve, absolute and canonical like the workspaces automations name (kept as
/// given when it does not exist here yet).
fn served_folder(folder: &Path) -> Result<String> {
    let absolute = std::path::absolute(folder).map_err(|e| {
        Error::InvalidInput(vec![crate::error::ValidationDetail::new(
            "serve",
            format!("{} cannot be made absolute: {e}", folder.display()),
        )])
    })?;
    let canonical = std::fs::canonicalize(&absolute).unwrap_or(absolute);
    canonical.to_str().map(str::to_owned).ok_or_else(|| {
        Error::InvalidInput(vec![crate::error::ValidationDetail::new(
            "serve",
            format!("{} is not valid UTF-8", folder.display()),
        )])
    })
}

/// State shared by the engine, its background tasks and the runs it drives.
pub(crate) struct Shared {
    pub store: Store,
    pub recorder: Recorder,
    pub bus: Arc<EventBus>,
    pub clock: Arc<dyn Clock>,
    /// Replaced whole when providers change (see [`Engine::reload_catalog`]).
    pub catalog: std::sync::RwLock<Arc<Catalog>>,
    pub instance: InstanceId,
    pub notifier: Arc<dyn Notifier>,
    pub active: Mutex<HashMap<RunId, ActiveRun>>,
    /// Woken when automations change, so the scheduler re-plans at once.
    pub schedule_changed: Arc<Notify>,
    /// Where runs keep the originals of files they change (`originals/`).
    pub data_dir: PathBuf,
    /// This process's runs waiting for a slot.
    pub queue: queue::RunQueue,
    /// The automations last listed, refreshed by what changed.
    pub listing: tokio::sync::Mutex<listing::Listing>,
    pub worker: ThisWorker,
}

impl Shared {
    /// The current catalog (a poisoned lock still holds a whole catalog: use it).
    pub fn catalog(&self) -> Arc<Catalog> {
        match self.catalog.read() {
            Ok(catalog) => catalog.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    pub fn active_run(&self, id: &RunId) -> Option<(CancellationToken, Arc<Notify>)> {
        let active = self.active.lock().ok()?;
        active.get(id).map(|a| (a.token.clone(), a.resumed.clone()))
    }

    /// Whether this process still drives a run of the automation.
    pub fn drives_runs_of(&self, automation_id: &AutomationId) -> bool {
        self.active
            .lock()
            .map(|active| active.values().any(|a| &a.automation_id == automation_id))
            .unwrap_or(false)
    }

    /// Cancels the executions of an automation's runs in this process, at once.
    pub fn cancel_local_runs_of(&self, automation_id: &AutomationId) {
        if let Ok(active) = self.active.lock() {
            for run in active
                .values()
                .filter(|a| &a.automation_id == automation_id)
            {
                run.token.cancel();
            }
        }
    }
}

/// The Autowork engine. Open one per process; it is cheap to share behind an `Arc`.
pub struct Engine {
    pub(crate) shared: Arc<Shared>,
    launcher: runs::Launcher,
    data_dir: PathBuf,
    /// Runs this process drives.
    runs: TaskTracker,
    /// Lease renewal and outbox following.
    background: TaskTracker,
    shutdown: CancellationToken,
    /// Whether the store is reachable; the background loops report losses into it.
    health: health::Health,
}

impl Engine {
    /// Opens the database in `config.data_dir` (creating and migrating it), takes a lease,
    /// closes runs left active by dead processes, and starts following other processes'
    /// changes.
    pub async fn open(config: EngineConfig) -> Result<Self> {
        // The catalog, the providers and runs' originals live here whichever store holds the
        // ledger.
        std::fs::create_dir_all(&config.data_dir).map_err(|source| Error::Io {
            context: format!(
                "cannot create the data directory {}",
                config.data_dir.display()
            ),
            source,
        })?;
        let store = Store::open_at(&config.store, &config.data_dir.join(DATABASE_FILE)).await?;
        let worker = ThisWorker::new(&config, store.is_team())?;
        let catalog = load_catalog(&config.data_dir)?;
        let bus = Arc::new(EventBus::new(1024));
        let instance = InstanceId::new();
        let schedule_changed = Arc::new(Notify::new());
        let queue = queue::RunQueue::default();
        let recorder = Recorder {
            schedule_changed: schedule_changed.clone(),
            slots_changed: queue.waker(),
            store: store.clone(),
            bus: bus.clone(),
            clock: config.clock.clone(),
            origin: instance.clone(),
            notifier: config.notifier.clone(),
        };
        let shared = Arc::new(Shared {
            store,
            recorder,
            bus,
            clock: config.clock.clone(),
            catalog: std::sync::RwLock::new(Arc::new(catalog)),
            instance,
            notifier: config.notifier.clone(),
            active: Mutex::new(HashMap::new()),
            schedule_changed,
            data_dir: config.data_dir.clone(),
            queue,
            listing: Default::default(),
            worker,
        });
        let runs = TaskTracker::new();
        let shutdown = CancellationToken::new();
        let launcher = runs::Launcher {
            shared: shared.clone(),
            runs: runs.clone(),
            executor: config.executor.clone(),
            shutdown: shutdown.clone(),
        };
        let engine = Self {
            shared,
            launcher,
            data_dir: config.data_dir.clone(),
            runs,
            background: TaskTracker::new(),
            shutdown,
            health: health::Health::new(),
        };
        lease::take(&engine.shared, &config).await?;
        lease::recover_orphans(&engine.shared).await?;
        lease::prune_outbox(&engine.shared).await?;
        // Listening before the outbox's end is read: no event commits unseen in between.
        let listener = match engine.shared.store.listen_for_events().await {
            Ok(listener) => listener,
            Err(e) => {
                tracing::warn!(error = %e, "cannot listen for the team database's events: polling");
                None
            }
        };
        let follow_from = {
            let mut conn = engine.shared.store.connection().await?;
            store::events::last_seq(&mut conn).await?
        };
        engine.background.spawn(health::probe(
            engine.shared.clone(),
            engine.health.clone(),
            engine.shutdown.clone(),
        ));
        engine.background.spawn(lease::keep(
            engine.shared.clone(),
            engine.health.clone(),
            config.lease_ttl,
            config.label.clone(),
            engine.shutdown.clone(),
        ));
        if config.executor.is_some() {
            engine.background.spawn(queue::dispatch(
                engine.launcher.clone(),
                engine.shutdown.clone(),
            ));
        }
        if config.scheduler {
            engine.background.spawn(scheduler::run(
                engine.launcher.clone(),
                config.lease_ttl,
                engine.shutdown.clone(),
            ));
            // Cleans up only while this process holds the scheduler lease.
            engine.background.spawn(retention::keep_tidy(
                engine.shared.clone(),
                config.gc_interval,
                engine.shutdown.clone(),
            ));
        }
        engine.background.spawn(keep_checkpointed(
            engine.shared.store.clone(),
            engine.shutdown.clone(),
        ));
        engine.background.spawn(lease::follow(
            engine.shared.clone(),
            engine.health.clone(),
            follow_from,
            listener,
            config.follow_interval,
            engine.shutdown.clone(),
        ));
        Ok(engine)
    }

    /// Every event published from now on, this process's and (within the follow interval)
    /// other processes'.
    pub fn subscribe(&self) -> broadcast::Receiver<EventRecord> {
        self.shared.bus.subscribe()
    }

    /// The models automations may use.
    pub fn catalog(&self) -> Arc<Catalog> {
        self.shared.catalog()
    }

    /// Whether the store is reachable, now and at each change (a lost team database, each
    /// failed try to reach it again, the reconnection).
    pub fn store_health(&self) -> tokio::sync::watch::Receiver<StoreHealth> {
        self.health.subscribe()
    }

    /// Tries to reach a lost store at once instead of at the next try's time.
    pub fn retry_store_now(&self) {
        self.health.retry_now();
    }

    /// Reads the catalog and the providers' models again (after a provider was added or
    /// changed), so new models validate without a restart.
    pub fn reload_catalog(&self) -> Result<()> {
        let catalog = Arc::new(load_catalog(&self.data_dir)?);
        if let Ok(mut current) = self.shared.catalog.write() {
            *current = catalog;
        }
        Ok(())
    }

    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// Outbox events after `seq`, oldest first (at most `limit`).
    pub async fn events_since(&self, seq: i64, limit: u32) -> Result<Vec<EventRecord>> {
        let mut conn = self.shared.store.connection().await?;
        store::events::since(&mut conn, seq, limit).await
    }

    /// The newest outbox sequence number (0 when empty).
    pub async fn last_event_seq(&self) -> Result<i64> {
        let mut conn = self.shared.store.connection().await?;
        store::events::last_seq(&mut conn).await
    }

    /// Stops this process's runs (`stopped`: `expired`, or `blocker_lost` when waiting for
    /// input, as a crash would), the background tasks, and gives up the lease.
    pub async fn shutdown(&self) {
        // Close the runs before cancelling the rest: a cancelled run forgets itself.
        runs::stop_all_for_shutdown(&self.shared).await;
        self.shutdown.cancel();
        self.runs.close();
        self.background.close();
        let grace = Duration::from_secs(5);
        if tokio::time::timeout(grace, self.runs.wait()).await.is_err() {
            tracing::warn!("runs did not stop within {grace:?}");
        }
        let _ = tokio::time::timeout(grace, self.background.wait()).await;
        if let Err(e) = lease::release(&self.shared).await {
            tracing::warn!(error = %e, "could not release the lease");
        }
        self.shared.store.close().await;
    }
}

/// Checkpoints the write-ahead log in the background whenever enough was written, so the
/// commits of runs do not stall on it (see [`Store::checkpoint`]).
async fn keep_checkpointed(store: Store, stop: CancellationToken) {
    loop {
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = store.checkpoint_due() => {}
        }
        if let Err(e) = store.checkpoint().await {
            tracing::warn!(error = %e, "could not checkpoint the database");
        }
    }
}
