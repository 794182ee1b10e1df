//! The scheduler: one task that sleeps until the earliest fire, wakes early when an
//! automation changes, and fires due automations as unattended runs. Only the process holding
//! the database's scheduler lease fires, so two processes never fire the same schedule.

use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use tokio_util::sync::CancellationToken;

use super::runs::{queued_run, Launcher};
use crate::definition::{Automation, CatchUp, StopCondition, Trigger};
use crate::error::Result;
use crate::events::Event;
use crate::ledger::{Attendance, Run, RunState, RunTrigger, StopReason};
use crate::{schedule, store};

/// A fire this late or more runs as a catch-up (the app was closed or the machine slept).
const ON_TIME: TimeDelta = TimeDelta::seconds(120);
/// At most this many missed fires are recorded per catch-up.
const MISSED_RECORDS_MAX: usize = 100;

/// Runs until `stop`: takes (or renews) the scheduler lease every `lease_period / 3` and,
/// while holding it, fires what is due.
pub(crate) async fn run(launcher: Launcher, lease_period: Duration, stop: CancellationToken) {
    let shared = launcher.shared.clone();
    let lease = TimeDelta::from_std(lease_period).unwrap_or(TimeDelta::seconds(30));
    loop {
        let now = shared.clock.now();
        let mut wake = now + lease / 3;
        match take_lease(&launcher, now, now + lease).await {
            Ok(true) => match plan(&launcher, now).await {
                Ok((due, next)) => {
                    for automation in due {
                        if let Err(e) = fire(&launcher, &automation, now).await {
                            tracing::warn!(automation = %automation.id, error = %e, "could not fire an automation");
                        }
                    }
                    if let Some(next) = next {
                        wake = wake.min(next);
                    }
                }
                Err(e) => tracing::warn!(error = %e, "could not plan the schedule"),
            },
            Ok(false) => {} // another process schedules this database
            Err(e) => tracing::warn!(error = %e, "could not take the scheduler lease"),
        }
        let slept_from = (std::time::Instant::now(), shared.clock.now());
        tokio::select! {
            _ = stop.cancelled() => break,
            _ = shared.schedule_changed.notified() => {}
            _ = shared.clock.sleep_until(wake) => {}
        }
        // Suspend or a clock change moves the wall clock against the monotonic one: the
        // next pass re-plans from the new time (and catches up what was missed).
        let wall = (shared.clock.now() - slept_from.1).num_milliseconds();
        let mono = i64::try_from(slept_from.0.elapsed().as_millis()).unwrap_or(i64::MAX);
        if (wall - mono).abs() > 5_000 {
            tracing::info!(
                wall_ms = wall,
                monotonic_ms = mono,
                "the clock jumped; re-planning"
            );
        }
    }
    let released = async {
        let mut conn = shared.store.pool().acquire().await?;
        store::schedule::release_lease(&mut conn, &shared.instance).await
    };
    if let Err(e) = released.await {
        tracing::warn!(error = %e, "could not release the scheduler lease");
    }
}

async fn take_lease(
    launcher: &Launcher,
    now: DateTime<Utc>,
    expires: DateTime<Utc>,
) -> Result<bool> {
    let shared = &launcher.shared;
    let mut conn = shared.store.pool().acquire().await?;
    store::schedule::take_lease(&mut conn, &shared.instance, now, expires).await
}

/// Where an automation's schedule stands: its next fire after its anchor, if any.
fn next_fire(automation: &Automation, runs_done: u32) -> Option<DateTime<Utc>> {
    let spec = &automation.spec;
    if spec.paused || spec.trigger == Trigger::Manual {
        return None;
    }
    if let StopCondition::AfterRuns { count } = spec.stop {
        if runs_done >= count {
            return None;
        }
    }
    let anchor = automation.schedule_anchor.unwrap_or(automation.created_at);
    let next = schedule::next_fire(&spec.trigger, anchor, anchor)
        .ok()
        .flatten()?;
    match spec.stop {
        StopCondition::Until { at } if next > at => None,
        _ => Some(next),
    }
}

/// The automations due at `now`, and the earliest fire after it.
async fn plan(
    launcher: &Launcher,
    now: DateTime<Utc>,
) -> Result<(Vec<Automation>, Option<DateTime<Utc>>)> {
    let mut conn = launcher.shared.store.pool().acquire().await?;
    let automations = store::automations::list(&mut conn).await?;
    let count_done = automations
        .iter()
        .any(|a| matches!(a.spec.stop, StopCondition::AfterRuns { .. }));
    let mut summaries = store::status::run_summaries(&mut conn, None, count_done).await?;
    let mut due = Vec::new();
    let mut earliest: Option<DateTime<Utc>> = None;
    for automation in automations {
        let runs_done = summaries
            .remove(automation.id.as_str())
            .map_or(0, |s| s.runs_done);
        match next_fire(&automation, runs_done) {
            Some(at) if at <= now => due.push((at, automation)),
            Some(at) => earliest = Some(earliest.map_or(at, |e| e.min(at))),
            None => {}
        }
    }
    // Earliest due first (ties by id, the order of creation), so a backlog fires in order.
    due.sort_by(|(a, x), (b, y)| a.cmp(b).then_with(|| x.id.cmp(&y.id)));
    Ok((due.into_iter().map(|(_, a)| a).collect(), earliest))
}

/// Fires one automation: in one transaction, records the missed fires, queues the run for the
/// latest one (a catch-up when it is late) and moves the anchor past them, so a fire is
/// never lost and never repeated; then drives the run.
async fn fire(launcher: &Launcher, automation: &Automation, now: DateTime<Utc>) -> Result<()> {
    let shared = &launcher.shared;
    let mut tx = shared.store.begin_write().await?;
    // Read again under the write lock: another process may have fired it, or it changed.
    let Some(current) = store::automations::get(&mut tx, &automation.id).await? else {
        return Ok(());
    };
    let after_runs = matches!(current.spec.stop, StopCondition::AfterRuns { .. });
    let runs_done = store::status::run_summaries(&mut tx, Some(&current.id), after_runs)
        .await?
        .remove(current.id.as_str())
        .map_or(0, |s| s.runs_done);
    if next_fire(&current, runs_done).is_none_or(|at| at > now) {
        return Ok(());
    }
    let spec = &current.spec;
    let anchor = current.schedule_anchor.unwrap_or(current.created_at);
    let (mut fires, total) =
        schedule::fires_between(&spec.trigger, anchor, anchor, now, MISSED_RECORDS_MAX + 1)
            .map_err(|e| {
                crate::error::Error::Corrupt(format!("a stored schedule is invalid: {e}"))
            })?;
    if let StopCondition::Until { at } = spec.stop {
        fires.retain(|fire| *fire <= at);
    }
    let Some(&latest) = fires.last() else {
        return Ok(());
    };
    let late = now - latest > ON_TIME;
    let runnable = match spec.stop {
        StopCondition::AfterRuns { count } => count > runs_done,
        _ => true,
    };
    let catch_up_max_age = TimeDelta::hours(i64::from(spec.catch_up_max_age_hours));
    let runs_latest = runnable
        && match spec.catch_up {
            _ if !late => true,
            CatchUp::Once => now - latest <= catch_up_max_age,
            CatchUp::Skip => false,
        };
    let missed_count = fires.len() - usize::from(runs_latest);
    if total > fires.len() {
        tracing::info!(automation = %current.id, skipped = total - fires.len(), "older missed fires were not recorded");
    }

    let mut events = Vec::new();
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
        store::schedule::insert_missed(&mut tx, &missed).await?;
        events.push(Event::RunUpdated(missed));
    }
    let mut queued = None;
    if runs_latest {
        let trigger = if late {
            RunTrigger::CatchUp
        } else {
            RunTrigger::Schedule
        };
        let run = queued_run(&current, trigger, Attendance::Unattended, now);
        let pending = launcher.register(&run, &current)?;
        store::runs::insert(&mut tx, &run, &shared.instance).await?;
        events.push(Event::RunUpdated(run.clone()));
        queued = Some((pending, run));
    }
    // The anchor moves in the same transaction that records the fires.
    let mut one = [Automation {
        schedule_anchor: Some(latest),
        revision: current.revision + 1,
        updated_at: now,
        ..current.clone()
    }];
    store::status::fill(&mut tx, &mut one, now).await?;
    let [moved] = one;
    store::automations::update(&mut tx, &moved, current.revision).await?;
    events.push(Event::AutomationUpdated(moved.clone()));
    if let Err(e) = shared.recorder.commit(tx, events).await {
        if let Some((_, run)) = &queued {
            launcher.abandon(run);
        }
        return Err(e);
    }
    if let Some((pending, run)) = queued {
        tracing::info!(automation = %moved.id, run = %run.id, trigger = %run.trigger, "fired");
        launcher.launch(pending, run, moved);
    }
    Ok(())
}
