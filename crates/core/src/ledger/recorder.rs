//! Writes ledger changes: each in one transaction with its events in the outbox, then
//! publishes the events in this process.

use std::sync::Arc;

use super::{Run, RunState, StopReason, Transition};
use crate::clock::Clock;
use crate::definition::status::Upcoming;
use crate::definition::{Automation, PausedReason, Trigger};
use crate::error::{Error, Result};
use crate::events::{Event, EventBus, EventRecord};
use crate::ids::{InstanceId, RunId};
use crate::notify::{Notification, Notifier};
use crate::store::transcripts::Staged;
use crate::store::{self, runs::Applied, Store};
use crate::store::{BlindWrite, Tx};

#[derive(Clone)]
pub(crate) struct Recorder {
    pub store: Store,
    pub bus: Arc<EventBus>,
    pub clock: Arc<dyn Clock>,
    pub origin: InstanceId,
    pub notifier: Arc<dyn Notifier>,
    /// Told about automation changes (the scheduler re-plans).
    pub schedule_changed: Arc<tokio::sync::Notify>,
    /// Told when a run is queued or ends (the run queue's dispatcher looks again).
    pub slots_changed: Arc<tokio::sync::Notify>,
}

impl Recorder {
    /// Appends `events` to the outbox inside `tx`, commits, then publishes them. Changed or
    /// deleted automations wake the scheduler.
    pub async fn commit(&self, tx: Tx, events: Vec<Event>) -> Result<()> {
        self.commit_events(tx, events, true).await
    }

    /// [`Recorder::commit`] for changes that leave every schedule as planned (a run's end
    /// refreshing its automation's status, the scheduler moving an anchor it fired): waking
    /// the scheduler for each would re-plan every automation once per run in a burst.
    pub async fn commit_schedule_unchanged(&self, tx: Tx, events: Vec<Event>) -> Result<()> {
        self.commit_events(tx, events, false).await
    }

    /// [`Recorder::commit_schedule_unchanged`], then tells the user about the automations
    /// the committed runs' ends paused (from [`Recorder::apply_in`]).
    pub async fn commit_telling_paused(
        &self,
        tx: Tx,
        events: Vec<Event>,
        paused: Vec<Automation>,
    ) -> Result<()> {
        self.commit_schedule_unchanged(tx, events).await?;
        for automation in paused {
            self.notifier.notify(Notification::AutomationPaused {
                automation: Box::new(automation),
            });
        }
        Ok(())
    }

    /// [`Recorder::commit_schedule_unchanged`], running `before` (statements of the write
    /// not run yet) together with the outbox insert.
    pub async fn commit_after(&self, tx: Tx, before: Staged, events: Vec<Event>) -> Result<()> {
        self.commit_events_after(tx, before, events, false).await
    }

    /// Commits `write` (a write that has read nothing) with the rows of `staged` and the
    /// outbox insert of `events`, in one round trip to SQLite's writer, then publishes the
    /// events, which it takes from `events`; on an error it leaves them there, for the caller
    /// to write another way. Leaves every schedule as planned, as
    /// [`Recorder::commit_after`] does.
    pub async fn commit_blind<'a>(
        &self,
        write: BlindWrite<'a>,
        staged: &'a Staged,
        events: &mut Vec<Event>,
    ) -> Result<()> {
        let now = self.clock.now();
        let seqs = store::events::commit_blind(write, staged, &self.origin, events, now).await?;
        let records = store::events::records(seqs, std::mem::take(events), now);
        self.publish(records, false);
        Ok(())
    }

    async fn commit_events(&self, tx: Tx, events: Vec<Event>, wake_scheduler: bool) -> Result<()> {
        self.commit_events_after(tx, Staged::default(), events, wake_scheduler)
            .await
    }

    async fn commit_events_after(
        &self,
        tx: Tx,
        before: Staged,
        events: Vec<Event>,
        wake_scheduler: bool,
    ) -> Result<()> {
        let now = self.clock.now();
        let records =
            store::events::append_and_commit(tx, before, &self.origin, events, now).await?;
        self.publish(records, wake_scheduler);
        Ok(())
    }

    /// Publishes committed events in this process, waking the scheduler (when
    /// `wake_scheduler`) and the run queue for those that concern them.
    fn publish(&self, records: Vec<EventRecord>, wake_scheduler: bool) {
        if wake_scheduler
            && records.iter().any(|r| {
                matches!(
                    r.event,
                    Event::AutomationUpdated(_) | Event::AutomationDeleted { .. }
                )
            })
        {
            self.schedule_changed.notify_one();
        }
        if records.iter().any(|r| changes_slots(&r.event)) {
            self.slots_changed.notify_one();
        }
        for record in records {
            self.bus.publish(record);
        }
    }

    /// Records a new `queued` run, driven by this process when `owned`, else left for a
    /// worker that serves its workspace to take.
    pub async fn insert_queued(&self, mut tx: Tx, run: Run, owned: bool) -> Result<Run> {
        debug_assert_eq!(run.state, RunState::Queued);
        let owner = owned.then_some(&self.origin);
        store::runs::insert(&mut tx, &run, owner).await?;
        self.commit(tx, vec![Event::RunUpdated(run.clone())])
            .await?;
        Ok(run)
    }

    /// Applies one change to a run. A `Start` that finds the work area taken ends the run
    /// `stopped`/`writer_busy` instead (returned, not an error).
    pub async fn apply(&self, id: &RunId, transition: Transition) -> Result<Run> {
        let mut tx = self.store.begin_write().await?;
        let now = self.clock.now();
        let mut events = Vec::new();
        let (run, paused) = self
            .apply_in(&mut tx, id, transition, now, &mut events)
            .await?;
        // A run's end changes no schedule the scheduler must fire sooner: a stop condition
        // or a pause only removes fires, and the scheduler re-checks each under its lock.
        self.commit_schedule_unchanged(tx, events).await?;
        if let Some(automation) = paused {
            self.notifier.notify(Notification::AutomationPaused {
                automation: Box::new(automation),
            });
        }
        Ok(run)
    }

    /// [`Recorder::apply`] inside `tx`: adds the events to `events` and returns the run with,
    /// when its end paused its automation (a failure streak), the automation to tell the
    /// user about once `tx` commits.
    pub async fn apply_in(
        &self,
        tx: &mut Tx,
        id: &RunId,
        transition: Transition,
        now: chrono::DateTime<chrono::Utc>,
        events: &mut Vec<Event>,
    ) -> Result<(Run, Option<Automation>)> {
        let applied = store::runs::apply(tx, id, &transition, now).await?;
        let (run, transition) = match applied {
            Applied::Changed(run) => (*run, transition),
            Applied::WriterBusy => {
                let stop = Transition::Stop(StopReason::WriterBusy);
                match store::runs::apply(tx, id, &stop, now).await? {
                    Applied::Changed(run) => (*run, stop),
                    _ => return Err(self.refusal(tx, id, &stop).await),
                }
            }
            Applied::Refused => return Err(self.refusal(tx, id, &transition).await),
        };
        events.push(Event::RunUpdated(run.clone()));
        match transition {
            Transition::Block(blocker) => events.push(Event::BlockerRaised {
                run_id: run.id.clone(),
                automation_id: run.automation_id.clone(),
                run_revision: run.revision,
                blocker,
            }),
            Transition::Resume { blocker_id, reply } => {
                store::runs::insert_reply(tx, &blocker_id, &run.id, &reply, now).await?;
                events.push(Event::BlockerResolved {
                    run_id: run.id.clone(),
                    automation_id: run.automation_id.clone(),
                    run_revision: run.revision,
                    blocker_id,
                    reply,
                });
            }
            _ => {}
        }
        let mut paused = None;
        if run.state.is_terminal() {
            if let Some(automation) = self.after_run(tx, &run, now).await? {
                if automation.status.paused_reason == Some(PausedReason::FailureStreak)
                    && automation.status.failure_streak == automation.spec.failure_streak_limit
                {
                    paused = Some(automation.clone());
                }
                events.push(Event::AutomationUpdated(automation));
            }
        }
        Ok((run, paused))
    }

    /// After a run ends, its automation's status changes (last run, failure streak, next
    /// fires): a new revision of the automation. A failure streak reaching the automation's
    /// limit pauses a scheduled automation. Deleted automations are left alone.
    async fn after_run(
        &self,
        tx: &mut Tx,
        run: &Run,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<Option<Automation>> {
        let Some(current) = store::automations::get(tx, &run.automation_id).await? else {
            return Ok(None);
        };
        let mut one = [Automation {
            revision: current.revision + 1,
            updated_at: now,
            ..current.clone()
        }];
        store::status::fill(tx, &mut one, now, Upcoming::Next).await?;
        let [mut refreshed] = one;
        let scheduled = refreshed.spec.trigger != Trigger::Manual;
        if scheduled
            && !refreshed.spec.paused
            && refreshed.status.failure_streak >= refreshed.spec.failure_streak_limit
        {
            refreshed.spec.paused = true;
            refreshed.status.paused_reason = Some(PausedReason::FailureStreak);
            refreshed.status.next_fire_at = None;
            refreshed.status.next_fires.clear();
        }
        if !store::automations::update_engine_owned(tx, &refreshed, current.revision).await? {
            return Err(Error::Corrupt(format!(
                "automation {} vanished while its run ended",
                run.automation_id
            )));
        }
        Ok(Some(refreshed))
    }

    /// Why a guarded change did not apply.
    async fn refusal(&self, tx: &mut Tx, id: &RunId, transition: &Transition) -> Error {
        match store::runs::get(tx, id).await {
            Ok(None) => Error::NotFound {
                entity: "run",
                id: id.to_string(),
            },
            Ok(Some(run)) => match transition {
                Transition::Resume { blocker_id, .. } if run.state == RunState::AwaitingInput => {
                    Error::RequestNotPending {
                        id: blocker_id.to_string(),
                    }
                }
                _ => Error::IllegalTransition {
                    run_id: id.to_string(),
                    from: run.state,
                    to: transition.target(run.state),
                },
            },
            Err(e) => e,
        }
    }
}

/// Whether `event` may change what the run queue can start: a run queued, or a run that
/// ended and freed its slot.
pub(crate) fn changes_slots(event: &Event) -> bool {
    matches!(event, Event::RunUpdated(run) if run.state.is_terminal() || run.state == RunState::Queued)
}
