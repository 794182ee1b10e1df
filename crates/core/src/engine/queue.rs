//! The run queue: a run waits in `queued` until a slot is free under the global limit and its
//! provider's. One dispatcher per process starts this process's runs; it counts the slots and
//! starts runs in one write transaction, so the limits hold across processes sharing the
//! database. A queued run of another process that is next in line keeps its slot: the order
//! is the same for everyone.
//!
//! A run queued for a folder its process does not serve (on a team database, another
//! machine's) is owned by no one: a worker that serves the folder takes it in the same write
//! transaction that counts the slots, then drives it like its own. Writers on the team
//! database go one at a time (see `Store::begin_write`), so two workers never take one run;
//! the take is also guarded (`owner_id IS NULL`) in case that ever changes.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{oneshot, Notify};
use tokio_util::sync::CancellationToken;

use super::runs::Launcher;
use super::Engine;
use crate::definition::{Automation, Overlap};
use crate::error::Result;
use crate::events::Event;
use crate::ids::RunId;
use crate::ledger::{Run, RunState, StopReason, Transition};
use crate::queue::{ProviderSlots, QueueLimits, QueuePlace, QueueView};
use crate::store::{self, queue::Queued};

/// Queued runs read per round trip while the dispatcher looks for runs to start.
const PAGE: u32 = 64;
/// How often the dispatcher looks again while runs wait, in case a change of another process
/// reached it late (the outbox normally wakes it at once).
const RECHECK: Duration = Duration::from_secs(1);
/// How often a worker that takes queued runs looks for runs no one drives, when nothing woke
/// it (a notice missed while reconnecting to the team database).
const UNCLAIMED_RECHECK: Duration = Duration::from_secs(5);

/// What the dispatcher decided for a waiting run.
enum Admission {
    Started(Box<Run>),
    /// Its work area is held and the automation does not queue overlapping runs, or an older
    /// run of the automation already waits for it: the run ended `stopped`/`writer_busy`.
    Busy,
}

/// This process's queued runs that wait for the dispatcher.
#[derive(Default)]
pub(crate) struct RunQueue {
    waiting: Mutex<HashMap<RunId, Waiter>>,
    /// Also notified by the recorder and the outbox follower when a run is queued or ends
    /// (see [`crate::ledger::recorder::changes_slots`]).
    wake: Arc<Notify>,
}

struct Waiter {
    overlap: Overlap,
    reply: oneshot::Sender<Admission>,
}

/// Takes the run out of the waiting set when its wait ends, whichever way.
struct Registered<'a> {
    queue: &'a RunQueue,
    id: RunId,
}

impl Drop for Registered<'_> {
    fn drop(&mut self) {
        if let Ok(mut waiting) = self.queue.waiting.lock() {
            waiting.remove(&self.id);
        }
    }
}

impl RunQueue {
    fn has_waiting(&self) -> bool {
        self.waiting.lock().map(|w| !w.is_empty()).unwrap_or(false)
    }

    /// Asks the dispatcher to look again (limits changed, a run was queued).
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    /// What wakes the dispatcher, for those who learn of runs queued or ended.
    pub fn waker(&self) -> Arc<Notify> {
        self.wake.clone()
    }

    /// Waits until the dispatcher starts the run (`Some`, now `running`) or ends it
    /// `writer_busy` (`None`). Dropping the future leaves the queue.
    pub async fn admit(&self, run: &Run, automation: &Automation) -> Result<Option<Run>> {
        let (reply, decided) = oneshot::channel();
        if let Ok(mut waiting) = self.waiting.lock() {
            waiting.insert(
                run.id.clone(),
                Waiter {
                    overlap: automation.spec.overlap,
                    reply,
                },
            );
        }
        let _registered = Registered {
            queue: self,
            id: run.id.clone(),
        };
        self.wake();
        match decided.await {
            Ok(Admission::Started(run)) => Ok(Some(*run)),
            Ok(Admission::Busy) => Ok(None),
            // The dispatcher stopped (shutdown): the run is closed with the others.
            Err(_) => std::future::pending().await,
        }
    }

    fn take_waiter(&self, id: &RunId) -> Option<Waiter> {
        self.waiting.lock().ok()?.remove(id)
    }

    fn overlap_of(&self, id: &RunId) -> Option<Overlap> {
        self.waiting.lock().ok()?.get(id).map(|w| w.overlap)
    }
}

/// Runs until `stop`: starts this process's queued runs as slots free up.
pub(crate) async fn dispatch(launcher: Launcher, stop: CancellationToken) {
    let shared = launcher.shared.clone();
    let takes_queued = shared.worker.takes_queued_runs;
    loop {
        if shared.queue.has_waiting() || takes_queued {
            if let Err(e) = dispatch_once(&launcher).await {
                tracing::warn!(error = %e, "could not start queued runs");
            }
        }
        let recheck = if shared.queue.has_waiting() {
            RECHECK
        } else if takes_queued {
            UNCLAIMED_RECHECK
        } else {
            Duration::from_secs(3600)
        };
        // Woken when a run is queued or ends, here or (through the outbox) in another
        // process; a burst of them is one look, as a notification holds one permit. Not
        // subscribed to the event bus: that would wake the dispatcher for every transcript
        // part of every run.
        tokio::select! {
            _ = stop.cancelled() => break,
            _ = shared.queue.wake.notified() => {}
            _ = tokio::time::sleep(recheck) => {}
        }
    }
}

/// One look at the queue: in one write transaction, counts the slots held and starts this
/// process's runs that are next in line, in queue order, taking those no one drives whose
/// folder this worker serves.
async fn dispatch_once(launcher: &Launcher) -> Result<()> {
    let shared = &launcher.shared;
    // A cheap read first: with every slot taken, or nothing here to start, there is nothing
    // to write.
    {
        let mut conn = shared.store.connection().await?;
        let limits = store::queue::limits(&mut conn).await?;
        let occupancy = store::queue::occupancy(&mut conn).await?;
        if occupancy.total >= limits.max_concurrent_runs {
            return Ok(());
        }
        if !shared.queue.has_waiting() && !store::queue::any_unclaimed(&mut conn).await? {
            return Ok(());
        }
    }
    let mut tx = shared.store.begin_write().await?;
    let now = shared.clock.now();
    let limits = store::queue::limits(&mut tx).await?;
    let mut occupancy = store::queue::occupancy(&mut tx).await?;
    let mut events = Vec::new();
    let mut paused = Vec::new();
    let mut decided: Vec<(RunId, Admission)> = Vec::new();
    let mut claimed: Vec<Run> = Vec::new();
    let mut after: Option<Queued> = None;
    'pages: while occupancy.total < limits.max_concurrent_runs {
        let page = store::queue::queued(&mut tx, after.as_ref(), PAGE).await?;
        let last_page = page.len() < PAGE as usize;
        for queued in page {
            if occupancy.total >= limits.max_concurrent_runs {
                break 'pages;
            }
            let provider_full = limits
                .of_provider(&queued.provider_id)
                .is_some_and(|limit| occupancy.of_provider(&queued.provider_id) >= limit);
            let id = queued.run_id();
            let mine = queued.owned_by(&shared.instance);
            let overlap = if mine {
                shared.queue.overlap_of(&id)
            } else {
                None
            };
            if occupancy.work_areas.contains(&queued.writer_key) {
                // It waits for the run in its work area, not for a slot.
                if let Some(overlap) = overlap {
                    if overlap == Overlap::Skip || older_waits(&mut tx, &queued).await? {
                        let stop = Transition::Stop(StopReason::WriterBusy);
                        let (run, pause) = shared
                            .recorder
                            .apply_in(&mut tx, &id, stop, now, &mut events)
                            .await?;
                        paused.extend(pause);
                        if run.state == RunState::Stopped {
                            decided.push((id, Admission::Busy));
                        }
                    }
                }
            } else if provider_full {
                // Its provider is at its limit: later runs of other providers may go first.
            } else if let Some(_overlap) = overlap {
                match store::runs::apply(&mut tx, &id, &Transition::Start, now).await? {
                    store::runs::Applied::Changed(run) => {
                        occupancy.take(&queued.provider_id, &queued.writer_key);
                        events.push(Event::RunUpdated((*run).clone()));
                        decided.push((id, Admission::Started(run)));
                    }
                    // Taken meanwhile by a run the count did not see; it waits.
                    store::runs::Applied::WriterBusy => {
                        occupancy.work_areas.insert(queued.writer_key.clone());
                    }
                    // Cancelled meanwhile.
                    store::runs::Applied::Refused => {}
                }
            } else if queued.owner_id.is_none() {
                let worker = &shared.worker;
                if worker.takes_queued_runs && worker.serves(&queued.workspace) {
                    let taken =
                        store::runs::claim(&mut tx, &id, &shared.instance, &worker.name).await?;
                    if let Some(run) = taken {
                        // It starts at the next look, once its execution waits here.
                        occupancy.take(&queued.provider_id, &queued.writer_key);
                        events.push(Event::RunUpdated(run.clone()));
                        claimed.push(run);
                    }
                }
                // Else it holds no slot here: a worker that serves it takes it when a slot is
                // free. Keeping one for it would leak the slot for good if no connected worker
                // has its folder.
            } else {
                // Next in line but another process's (or not yet waiting here): its slot is
                // kept for it, so the order holds across processes.
                occupancy.take(&queued.provider_id, &queued.writer_key);
            }
            after = Some(queued);
        }
        if last_page {
            break;
        }
    }
    if events.is_empty() {
        return Ok(());
    }
    shared
        .recorder
        .commit_telling_paused(tx, events, paused)
        .await?;
    for (id, admission) in decided {
        if let Some(waiter) = shared.queue.take_waiter(&id) {
            // A waiter gone meanwhile was cancelled: whoever cancelled it ends the run.
            let _ = waiter.reply.send(admission);
        }
    }
    for run in claimed {
        drive_claimed(launcher, run).await;
    }
    Ok(())
}

/// Drives a run this worker took: its execution waits in the queue like one queued here.
async fn drive_claimed(launcher: &Launcher, run: Run) {
    let shared = &launcher.shared;
    let automation = async {
        let mut conn = shared.store.connection().await?;
        store::automations::get(&mut conn, &run.automation_id).await
    }
    .await;
    let automation = match automation {
        Ok(Some(automation)) => automation,
        outcome => {
            // Taken and then not drivable (its automation deleted meanwhile): end it rather
            // than hold a slot no one will use.
            if let Err(e) = outcome {
                tracing::warn!(run = %run.id, error = %e, "could not read the automation of a run taken from the queue");
            }
            let stop = Transition::Stop(StopReason::Cancelled);
            if let Err(e) = shared.recorder.apply(&run.id, stop).await {
                tracing::warn!(run = %run.id, error = %e, "could not end a run taken from the queue");
            }
            return;
        }
    };
    match launcher.register(&run, &automation) {
        Ok(pending) => {
            tracing::info!(run = %run.id, automation = %automation.id, "took a queued run whose folder this worker serves");
            launcher.launch(pending, run, automation);
        }
        // Shutting down: the run is closed with this worker's others when its lease goes.
        Err(e) => {
            tracing::warn!(run = %run.id, error = %e, "could not drive a run taken from the queue")
        }
    }
}

/// Whether an older queued run of the same automation waits for the work area already (then
/// this one ends `writer_busy`: at most one run of an automation waits).
async fn older_waits(tx: &mut impl crate::store::backend::AsConn, queued: &Queued) -> Result<bool> {
    let id = queued.run_id();
    Ok(
        store::runs::active_for_automation(tx, &queued.automation_id())
            .await?
            .iter()
            .any(|other| other.state == RunState::Queued && other.id < id),
    )
}

impl Engine {
    /// The connected workers that take queued runs (the apps and daemons), and the folders
    /// each serves.
    pub async fn workers(&self) -> Result<Vec<crate::model::worker::WorkerInfo>> {
        let mut conn = self.shared.store.connection().await?;
        let workers = store::instances::live_workers(&mut conn, self.shared.clock.now()).await?;
        Ok(workers
            .into_iter()
            .map(|w| crate::model::worker::WorkerInfo {
                this_process: w.id == self.shared.instance.as_str(),
                name: w.name,
                kind: w.label,
                serves: w.serves,
            })
            .collect())
    }

    /// How runs queued here name this process, and the folders it serves.
    pub fn this_worker(&self) -> crate::model::worker::WorkerInfo {
        let worker = &self.shared.worker;
        crate::model::worker::WorkerInfo {
            name: worker.host_name.clone(),
            kind: worker.kind.clone(),
            serves: worker.serves.clone(),
            this_process: true,
        }
    }

    /// The limits on runs executing at once.
    pub async fn queue_limits(&self) -> Result<QueueLimits> {
        let mut conn = self.shared.store.connection().await?;
        store::queue::limits(&mut conn).await
    }

    /// Sets the limits for every process sharing the database; waiting runs start at once
    /// where the new limits allow.
    pub async fn set_queue_limits(&self, limits: QueueLimits) -> Result<QueueLimits> {
        limits.validate()?;
        let mut tx = self.shared.store.begin_write().await?;
        store::queue::set_limits(&mut tx, &limits).await?;
        tx.commit().await?;
        self.shared.queue.wake();
        Ok(limits)
    }

    /// The limits, the runs holding a slot, and the first `limit` queued runs in start order.
    pub async fn queue_view(&self, limit: u32) -> Result<QueueView> {
        let mut conn = self.shared.store.connection().await?;
        let limits = store::queue::limits(&mut conn).await?;
        let occupancy = store::queue::occupancy(&mut conn).await?;
        let (queued, total_queued) = store::queue::queued_runs(&mut conn, limit.min(500)).await?;
        Ok(QueueView {
            limits,
            running: occupancy.total,
            running_by_provider: occupancy.by_provider.into_iter().collect(),
            total_queued,
            queued,
        })
    }

    /// Where a queued run stands; `None` when the run is not queued.
    pub async fn queue_place(&self, id: &RunId) -> Result<Option<QueuePlace>> {
        let mut conn = self.shared.store.connection().await?;
        let run = store::runs::get(&mut conn, id).await?.ok_or_else(|| {
            crate::error::Error::NotFound {
                entity: "run",
                id: id.to_string(),
            }
        })?;
        let Some(ahead) = store::queue::ahead_of(&mut conn, id).await? else {
            return Ok(None);
        };
        let limits = store::queue::limits(&mut conn).await?;
        let occupancy = store::queue::occupancy(&mut conn).await?;
        let provider = store::queue::provider_of(&mut conn, id)
            .await?
            .and_then(|provider_id| {
                let limit = limits.of_provider(&provider_id)?;
                Some(ProviderSlots {
                    running: occupancy.of_provider(&provider_id),
                    provider_id,
                    limit,
                })
            });
        // A run no worker drives yet waits for one that serves its folder.
        let waiting_for_worker = match run.worker {
            Some(_) => None,
            None => {
                let workspace =
                    store::automations::get_including_deleted(&mut conn, &run.automation_id)
                        .await?
                        .map_or_else(|| run.writer_key.clone(), |a| a.spec.workspace);
                let workers =
                    store::instances::live_workers(&mut conn, self.shared.clock.now()).await?;
                let served = workers
                    .iter()
                    .any(|w| crate::model::worker::serves(&w.serves, &workspace));
                (!served).then_some(workspace)
            }
        };
        Ok(Some(QueuePlace {
            ahead,
            running: occupancy.total,
            max_concurrent_runs: limits.max_concurrent_runs,
            provider,
            work_area_busy: occupancy.work_areas.contains(&run.writer_key),
            waiting_for_worker,
        }))
    }
}
