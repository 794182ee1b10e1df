//! The scheduler: one task that sleeps until the earliest fire, wakes early when an
//! automation changes, and fires due automations as unattended runs. Only the process holding
//! the database's scheduler lease fires, so two processes never fire the same schedule.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use tokio_util::sync::CancellationToken;

use super::runs::{queued_run, Launcher, Pending};
use super::Shared;

use crate::definition::status::{RunSummary, Upcoming};
use crate::definition::{Automation, AutomationStatus, CatchUp, StopCondition, Trigger};
use crate::error::{Error, Result};
use crate::events::Event;
use crate::ids::AutomationId;
use crate::ledger::{Attendance, Run, RunState, RunTrigger, StopReason};
use crate::store::automations::Moved;
use crate::store::status::Selection;
use crate::{schedule, store};

/// A fire this late or more runs as a catch-up (the app was closed or the machine slept).
const ON_TIME: TimeDelta = TimeDelta::seconds(120);
/// At most this many missed fires are recorded per catch-up.
const MISSED_RECORDS_MAX: usize = 100;

/// Runs until `stop`: takes (or renews) the scheduler lease every `lease_period / 3` and,
/// while holding it, fires what is due. It plans (reads every schedule) only when it must:
/// on taking the lease, on an automation change, when the earliest planned fire comes, and
/// after a clock jump; a lease renewal alone costs one small write.
pub(crate) async fn run(launcher: Launcher, lease_period: Duration, stop: CancellationToken) {
    let shared = launcher.shared.clone();
    let lease = TimeDelta::from_std(lease_period).unwrap_or(TimeDelta::seconds(30));
    let mut holding = false;
    let mut replan = true;
    // The earliest fire as last planned (and moved by the fires since).
    let mut next: Option<DateTime<Utc>> = None;
    loop {
        let now = shared.clock.now();
        match take_lease(&launcher, now, now + lease).await {
            Ok(true) => {
                if !holding {
                    holding = true;
                    replan = true; // another process may have scheduled until now
                }
                if replan || next.is_some_and(|at| at <= now) {
                    match pass(&launcher).await {
                        Ok(earliest) => {
                            next = earliest;
                            replan = false;
                        }
                        Err(e) => {
                            tracing::warn!(error = %e, "could not plan the schedule");
                            next = None;
                        }
                    }
                }
            }
            Ok(false) => holding = false, // another process schedules this database
            Err(e) => tracing::warn!(error = %e, "could not take the scheduler lease"),
        }
        let renew = now + lease / 3;
        let wake = next.map_or(renew, |at| at.min(renew));
        let slept_from = (std::time::Instant::now(), shared.clock.now());
        tokio::select! {
            _ = stop.cancelled() => break,
            _ = shared.schedule_changed.notified() => replan = true,
            _ = shared.clock.sleep_until(wake) => {}
        }
        // Suspend or a clock change moves the wall clock against the monotonic one: re-plan
        // from the new time (and catch up what was missed).
        let wall = (shared.clock.now() - slept_from.1).num_milliseconds();
        let mono = i64::try_from(slept_from.0.elapsed().as_millis()).unwrap_or(i64::MAX);
        if (wall - mono).abs() > 5_000 {
            tracing::info!(
                wall_ms = wall,
                monotonic_ms = mono,
                "the clock jumped; re-planning"
            );
            replan = true;
        }
    }
    let released = async {
        let mut conn = shared.store.connection().await?;
        store::schedule::release_lease(&mut conn, &shared.instance).await
    };
    if let Err(e) = released.await {
        tracing::warn!(error = %e, "could not release the scheduler lease");
    }
}

/// Due fires recorded per write transaction: a burst of ten thousand is twenty commits, not
/// ten thousand. Measured on two cores: 256 took 1.15-1.33 s for that burst, 512 1.06-1.16 s,
/// 1024 no better; a transaction of 512 holds the write lock for about 50 ms.
const FIRE_BATCH: usize = 512;
/// At most this many due automations are read per pass; the rest come in the next pass, at
/// once.
const DUE_MAX: u32 = 100_000;

/// Fires what is due, earliest first, in batches; returns the earliest fire still to come.
/// Each batch is read on a read connection while the one before it is written, and the runs
/// queued are started once every batch is recorded: a burst is recorded at once, then
/// drains through the run queue, instead of its first runs' writes slowing the rest.
async fn pass(launcher: &Launcher) -> Result<Option<DateTime<Utc>>> {
    let shared = &launcher.shared;
    let now = shared.clock.now();
    let due = {
        let mut conn = shared.store.connection().await?;
        store::automations::due(&mut conn, now, DUE_MAX).await?
    };
    let mut retry: Option<DateTime<Utc>> = None;
    let mut launches: Vec<Launch> = Vec::new();
    let mut batches = due.chunks(FIRE_BATCH);
    let mut next = batches
        .next()
        .map(|first| (first, read_ahead(shared, first)));
    while let Some((batch, reading)) = next.take() {
        let ahead = reading.await.unwrap_or_default();
        // The next batch is read while this one is written.
        next = batches.next().map(|ids| (ids, read_ahead(shared, ids)));
        let fired = fire_batch(launcher, batch, ahead, &mut launches).await;
        if let Err(e) = fired {
            tracing::warn!(error = %e, fires = batch.len(), "could not fire a batch; firing one by one");
            // One by one, so one automation that cannot fire does not hold back the rest.
            for id in batch {
                let one = std::slice::from_ref(id);
                if let Err(e) = fire_batch(launcher, one, ReadAhead::default(), &mut launches).await
                {
                    tracing::warn!(automation = %id, error = %e, "could not fire an automation");
                    // Try again on the next pass rather than forget it.
                    let at = shared.clock.now() + TimeDelta::seconds(5);
                    retry = Some(retry.map_or(at, |r| r.min(at)));
                }
            }
        }
    }
    for (pending, run, automation) in launches {
        tracing::info!(automation = %automation.id, run = %run.id, trigger = %run.trigger, "fired");
        launcher.launch(pending, run, automation);
    }
    let earliest = {
        let mut conn = shared.store.connection().await?;
        store::automations::earliest_after(&mut conn, now).await?
    };
    if due.len() >= DUE_MAX as usize {
        // More were due than one pass reads: the next pass comes at once.
        return Ok(Some(now));
    }
    Ok(match (earliest, retry) {
        (Some(e), Some(r)) => Some(e.min(r)),
        (e, r) => e.or(r),
    })
}

/// Due automations read ahead of their write transaction, each with what its status derives
/// from and the listing version it was read at: every change to either moves that version
/// (see the `listing_version` migration), so under the write lock one small read tells which
/// are still current.
#[derive(Default)]
struct ReadAhead {
    entries: HashMap<String, Ahead>,
}

struct Ahead {
    version: i64,
    automation: Automation,
    runs: RunSummary,
    /// Its fires due as of the read, computed there (on the reading task's core) so that the
    /// write transaction, the burst's critical path, does not parse and walk the schedule.
    due: DueAsOf,
}

type DueResult = std::result::Result<schedule::DueFires, schedule::ScheduleError>;

/// An automation's due fires computed as of `at`: still its due fires at any later time
/// before its next fire, as no fire falls between.
struct DueAsOf {
    at: DateTime<Utc>,
    due: DueResult,
}

impl DueAsOf {
    fn compute(automation: &Automation, at: DateTime<Utc>) -> Self {
        let anchor = automation.schedule_anchor.unwrap_or(automation.created_at);
        Self::of(&automation.spec.trigger, anchor, at)
    }

    fn of(trigger: &Trigger, anchor: DateTime<Utc>, at: DateTime<Utc>) -> Self {
        Self {
            at,
            due: schedule::fires_due(trigger, anchor, at, MISSED_RECORDS_MAX + 1),
        }
    }

    /// The due fires as of `now`, when computing them again would give the same.
    fn holds_at(self, now: DateTime<Utc>) -> Option<DueResult> {
        let same = self.at <= now
            && match &self.due {
                Ok(due) => due.next.is_none_or(|next| next > now),
                Err(_) => true,
            };
        same.then_some(self.due)
    }
}

impl ReadAhead {
    /// Reads `ids` (the live ones) in one snapshot of `conn`, with their fires due at `now`.
    async fn read(
        conn: &mut impl crate::store::backend::AsConn,
        ids: &[AutomationId],
        now: DateTime<Utc>,
    ) -> Result<Self> {
        let mut versions = store::automations::listed_versions(conn, ids).await?;
        let automations = store::automations::get_many(conn, ids).await?;
        let mut summaries = store::status::run_summaries(conn, Selection::Only(ids)).await?;
        let entries = automations
            .into_iter()
            .filter_map(|automation| {
                let id = automation.id.as_str();
                let version = versions.remove(id)?;
                let runs = summaries.remove(id).unwrap_or_default();
                let due = DueAsOf::compute(&automation, now);
                Some((
                    id.to_owned(),
                    Ahead {
                        version,
                        automation,
                        runs,
                        due,
                    },
                ))
            })
            .collect();
        Ok(Self { entries })
    }
}

/// Reads `ids` ahead on a read connection, in a task of its own so that decoding the rows
/// takes another core than the batch being written; on failure nothing is read ahead, and
/// the write transaction reads them itself.
fn read_ahead(shared: &Arc<Shared>, ids: &[AutomationId]) -> tokio::task::JoinHandle<ReadAhead> {
    let shared = shared.clone();
    let ids = ids.to_vec();
    tokio::spawn(async move {
        let read = async {
            // One read transaction: one snapshot for the versions and what they stamp.
            let mut tx = shared.store.begin_read().await?;
            let ahead = ReadAhead::read(&mut tx, &ids, shared.clock.now()).await?;
            tx.commit().await?;
            Ok::<_, Error>(ahead)
        };
        read.await.unwrap_or_else(|e| {
            tracing::warn!(error = %e, "could not read due automations ahead");
            ReadAhead::default()
        })
    })
}

async fn take_lease(
    launcher: &Launcher,
    now: DateTime<Utc>,
    expires: DateTime<Utc>,
) -> Result<bool> {
    let shared = &launcher.shared;
    let mut conn = shared.store.connection().await?;
    store::schedule::take_lease(&mut conn, &shared.instance, now, expires).await
}

/// A run queued by a fire, started once its pass has recorded every fire.
type Launch = (Pending, Run, Automation);

/// What one fire changed: the automation with its anchor moved (its status still to be
/// derived), its runs' summary with the runs it recorded, and the run it queued, if any.
struct Fired {
    moved: Automation,
    /// Its next fire after the ones recorded.
    planned: Option<DateTime<Utc>>,
    previous_revision: u64,
    runs: RunSummary,
    /// The run queued, with its registration when this process drives it.
    queued: Option<(Option<Pending>, Run)>,
}

/// Fires `ids` in one write transaction, from `ahead` where it is still current, and adds the
/// runs it queued to `launches` once it commits.
async fn fire_batch(
    launcher: &Launcher,
    ids: &[AutomationId],
    ahead: ReadAhead,
    launches: &mut Vec<Launch>,
) -> Result<()> {
    let shared = &launcher.shared;
    let mut tx = shared.store.begin_write().await?;
    // The time of the fires is when they hold the write lock, not when the pass began.
    let now = shared.clock.now();
    let mut events = Vec::new();
    let mut fired: Vec<Fired> = Vec::new();
    let mut queued: Vec<Launch> = Vec::new();
    let recorded = record_fires(launcher, &mut tx, ids, ahead, now, &mut events, &mut fired).await;
    let recorded = match recorded {
        Ok(()) => write_moved(&mut tx, now, &mut events, &mut fired, &mut queued).await,
        Err(e) => Err(e),
    };
    if let Err(e) = recorded {
        // Registered runs whose inserts will not commit.
        let runs = fired
            .iter()
            .filter_map(|f| f.queued.as_ref().map(|(_, run)| run));
        for run in runs.chain(queued.iter().map(|(_, run, _)| run)) {
            launcher.abandon(run);
        }
        return Err(e);
    }
    // The scheduler plans from the column just written: no need to wake it.
    if let Err(e) = shared.recorder.commit_schedule_unchanged(tx, events).await {
        for (_, run, _) in &queued {
            launcher.abandon(run);
        }
        return Err(e);
    }
    launches.append(&mut queued);
    Ok(())
}

/// Records the fires of `ids` in `tx`: their missed fires and queued runs, and each
/// automation with its anchor moved in `fired`. Each is taken from `ahead` when its listing
/// version shows it unchanged since, and read again under the write lock otherwise: another
/// process may have fired it, or it changed (a deleted one is not fired).
async fn record_fires(
    launcher: &Launcher,
    tx: &mut crate::store::Tx,
    ids: &[AutomationId],
    mut ahead: ReadAhead,
    now: DateTime<Utc>,
    events: &mut Vec<Event>,
    fired: &mut Vec<Fired>,
) -> Result<()> {
    let versions = store::automations::listed_versions(tx, ids).await?;
    let stale: Vec<AutomationId> = ids
        .iter()
        .filter(|id| {
            let read = ahead.entries.get(id.as_str()).map(|a| a.version);
            versions.get(id.as_str()).is_some_and(|v| read != Some(*v))
        })
        .cloned()
        .collect();
    if !stale.is_empty() {
        ahead
            .entries
            .extend(ReadAhead::read(tx, &stale, now).await?.entries);
    }
    for id in ids {
        if !versions.contains_key(id.as_str()) {
            continue; // deleted meanwhile
        }
        let Some(current) = ahead.entries.remove(id.as_str()) else {
            continue;
        };
        if let Some(one) = fire(launcher, tx, current, now, events).await? {
            fired.push(one);
        }
    }
    let (driven_here, left): (Vec<_>, Vec<_>) = fired
        .iter()
        .filter_map(|f| f.queued.as_ref())
        .partition(|(pending, _)| pending.is_some());
    let driven_here: Vec<&Run> = driven_here.into_iter().map(|(_, run)| run).collect();
    let left: Vec<&Run> = left.into_iter().map(|(_, run)| run).collect();
    store::runs::insert_many(tx, &driven_here, Some(&launcher.shared.instance)).await?;
    store::runs::insert_many(tx, &left, None).await?;
    Ok(())
}

/// Writes the moved automations of `fired`, in one statement, with their status derived
/// from their runs' summaries, and moves their queued runs to `launches`, to start once `tx`
/// commits.
async fn write_moved(
    tx: &mut crate::store::Tx,
    now: DateTime<Utc>,
    events: &mut Vec<Event>,
    fired: &mut Vec<Fired>,
    launches: &mut Vec<Launch>,
) -> Result<()> {
    let mut moved: Vec<(Automation, u64, Option<DateTime<Utc>>)> = Vec::with_capacity(fired.len());
    for one in fired.drain(..) {
        let mut automation = one.moved;
        // The status shows its next fire while it is ahead, as a list does from the stored
        // plan, and the column stores it.
        let planned = one.planned;
        automation.status = AutomationStatus::derive(
            &automation,
            one.runs,
            now,
            Upcoming::AllPlanned(&[planned]).at(0),
        );
        if let Some((Some(pending), run)) = one.queued {
            launches.push((pending, run, automation.clone()));
        }
        moved.push((automation, one.previous_revision, planned));
    }
    let written: Vec<Moved<'_>> = moved
        .iter()
        .map(|(automation, expected_revision, planned)| Moved {
            automation,
            expected_revision: *expected_revision,
            planned: *planned,
        })
        .collect();
    let changed = store::automations::update_engine_owned_many(tx, &written).await?;
    if changed != written.len() as u64 {
        // Read under this write lock, they cannot have changed: the database says otherwise.
        return Err(Error::Corrupt(format!(
            "{} of {} fired automations could not be moved",
            written.len() as u64 - changed,
            written.len()
        )));
    }
    drop(written);
    events.extend(
        moved
            .into_iter()
            .map(|(automation, _, _)| Event::AutomationUpdated(automation)),
    );
    Ok(())
}

/// Fires one automation inside `tx`: records the missed fires and queues the run for the
/// latest one (a catch-up when it is late), and returns it with its anchor moved past them,
/// for the caller to write in the transaction that commits them all, so a fire is never
/// lost and never repeated. An automation found not due (it changed, or another process
/// fired it) gets its planned fire corrected instead and returns nothing.
async fn fire(
    launcher: &Launcher,
    tx: &mut crate::store::Tx,
    current: Ahead,
    now: DateTime<Utc>,
    events: &mut Vec<Event>,
) -> Result<Option<Fired>> {
    let Ahead {
        automation: current,
        mut runs,
        due: due_as_read,
        ..
    } = current;
    let runs_done = runs.runs_done;
    let id = &current.id;
    let spec = &current.spec;
    let until = match spec.stop {
        StopCondition::Until { at } => Some(at),
        _ => None,
    };
    let within = |fire: &DateTime<Utc>| until.is_none_or(|at| *fire <= at);
    let done = matches!(spec.stop, StopCondition::AfterRuns { count } if runs_done >= count);
    let anchor = current.schedule_anchor.unwrap_or(current.created_at);
    // One look at the schedule gives the fires due and the one to plan after them.
    let due = if spec.paused || spec.trigger == Trigger::Manual || done {
        None
    } else {
        due_as_read
            .holds_at(now)
            .unwrap_or_else(|| {
                schedule::fires_due(&spec.trigger, anchor, now, MISSED_RECORDS_MAX + 1)
            })
            .inspect_err(
                |e| tracing::warn!(automation = %id, error = %e, "a stored schedule is invalid"),
            )
            .ok()
    };
    let Some(due) = due else {
        store::automations::set_next_fire(tx, id, None).await?;
        return Ok(None);
    };
    let planned = due.next.filter(within);
    let (mut fires, total) = (due.fires, due.total);
    fires.retain(within);
    let Some(&latest) = fires.last() else {
        // Not due (it changed, or another process fired it): its planned fire is corrected.
        let not_due = if due.total == 0 { planned } else { None };
        store::automations::set_next_fire(tx, id, not_due).await?;
        return Ok(None);
    };
    let late = now - latest > ON_TIME;
    let catch_up_max_age = TimeDelta::hours(i64::from(spec.catch_up_max_age_hours));
    let runs_latest = match spec.catch_up {
        _ if !late => true,
        CatchUp::Once => now - latest <= catch_up_max_age,
        CatchUp::Skip => false,
    };
    let missed_count = fires.len() - usize::from(runs_latest);
    if total > fires.len() {
        tracing::info!(automation = %current.id, skipped = total - fires.len(), "older missed fires were not recorded");
    }

    // Oldest first, so the ledger's order is the fires' order; at most the latest hundred.
    let first_recorded = missed_count.saturating_sub(MISSED_RECORDS_MAX);
    for fire in &fires[first_recorded..missed_count] {
        let missed = Run {
            state: RunState::Stopped,
            stop_reason: Some(StopReason::MissedSchedule),
            finished_at: Some(now),
            ..queued_run(
                &current,
                RunTrigger::Schedule,
                Attendance::Unattended,
                *fire,
            )
        };
        store::schedule::insert_missed(tx, &missed).await?;
        runs.add_inserted(&missed);
        events.push(Event::RunUpdated(missed));
    }
    let mut queued = None;
    if runs_latest {
        let trigger = if late {
            RunTrigger::CatchUp
        } else {
            RunTrigger::Schedule
        };
        // Inserted with the rest of the batch's (see `record_fires`); registered now and
        // abandoned if the batch does not commit.
        // Driven here when this worker serves its workspace, else left queued for one that
        // does (on a team database, another machine's).
        let mut run = queued_run(&current, trigger, Attendance::Unattended, now);
        let pending = if launcher.shared.worker.serves(&current.spec.workspace) {
            run.worker = Some(launcher.shared.worker.name.clone());
            Some(launcher.register(&run, &current)?)
        } else {
            None
        };
        runs.add_inserted(&run);
        events.push(Event::RunUpdated(run.clone()));
        queued = Some((pending, run));
    }
    // The anchor moves in the same transaction that records the fires.
    Ok(Some(Fired {
        planned,
        previous_revision: current.revision,
        moved: Automation {
            schedule_anchor: Some(latest),
            revision: current.revision + 1,
            updated_at: now,
            ..current
        },
        runs,
        queued,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Due fires computed ahead are used only when computing them at the write gives the same.
    #[test]
    fn due_fires_read_ahead_hold_until_the_next_fire() {
        let anchor: DateTime<Utc> = "2026-12-04T08:59:30Z".parse().unwrap();
        let triggers = [
            Trigger::Cron {
                expression: "* * * * *".into(),
                timezone: "Europe/Berlin".into(),
            },
            Trigger::Interval { every_ms: 120_000 },
            Trigger::Once {
                fire_at: anchor + TimeDelta::seconds(45),
            },
            Trigger::Manual,
        ];
        for trigger in &triggers {
            for read_after in [0, 29, 30, 31, 95, 200] {
                let read_at = anchor + TimeDelta::seconds(read_after);
                for write_after in [-1, 0, 1, 29, 30, 31, 60, 61, 150] {
                    let now = read_at + TimeDelta::seconds(write_after);
                    let fresh = DueAsOf::of(trigger, anchor, now).due;
                    match DueAsOf::of(trigger, anchor, read_at).holds_at(now) {
                        Some(ahead) => assert_eq!(
                            ahead, fresh,
                            "{trigger:?} read at +{read_after}s, written at +{write_after}s"
                        ),
                        None => {
                            // Refused only when a fire fell between, or the clock went back.
                            let between = DueAsOf::of(trigger, anchor, read_at)
                                .due
                                .ok()
                                .and_then(|d| d.next)
                                .is_some_and(|next| next <= now);
                            assert!(
                                between || now < read_at,
                                "{trigger:?} +{read_after}s +{write_after}s"
                            );
                        }
                    }
                }
            }
        }
    }
}
