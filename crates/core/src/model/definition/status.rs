//! What the engine derives about an automation, returned with it on every read and event.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::ids::RunId;
use crate::model::run::RunState;

#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AutomationStatus {
    /// The next time the schedule fires; none when manual, paused or finished.
    pub next_fire_at: Option<DateTime<Utc>>,
    /// The next fires: five when one automation is read, only the next in lists and
    /// events (empty when there is no next fire).
    pub next_fires: Vec<DateTime<Utc>>,
    /// Failed runs in a row, newest first, up to the last that succeeded.
    pub failure_streak: u32,
    pub last_run: Option<LastRun>,
    /// The newest runs (at most [`RECENT_RUNS`]), newest first: the list's history strip.
    #[serde(default)]
    pub recent_runs: Vec<RunMark>,
    /// Why the schedule will not fire again, when it will not.
    pub finished: Option<Finished>,
    /// Why the automation is paused, when the engine paused it.
    pub paused_reason: Option<PausedReason>,
}

/// The newest run of an automation, in brief.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LastRun {
    pub run_id: RunId,
    pub state: RunState,
    pub finished_at: Option<DateTime<Utc>>,
    pub cost_usd: f64,
}

/// One run in an automation's history strip.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunMark {
    pub run_id: RunId,
    pub state: RunState,
    pub queued_at: DateTime<Utc>,
}

/// How many runs the history strip shows.
pub const RECENT_RUNS: u32 = 20;

#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Finished {
    /// `stop: after_runs` reached its count of finished runs.
    AfterRuns,
    /// `stop: until` has passed.
    UntilPassed,
    /// A one-shot automation has fired.
    FiredOnce,
}

#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PausedReason {
    /// The automation failed `failure_streak_limit` times in a row.
    FailureStreak,
    /// "Pause all schedules" (the tray, the CLI): "Resume all" resumes exactly these.
    AllPaused,
}

impl PausedReason {
    pub fn as_str(self) -> &'static str {
        match self {
            PausedReason::FailureStreak => "failure_streak",
            PausedReason::AllPaused => "all_paused",
        }
    }
}

/// What the ledger says about an automation's runs.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct RunSummary {
    pub last_run: Option<LastRun>,
    pub failure_streak: u32,
    /// Finished runs (succeeded or failed), for `stop: after_runs`.
    pub runs_done: u32,
    pub recent_runs: Vec<RunMark>,
}

impl RunSummary {
    /// The summary once `run`, just inserted `queued` or `stopped`, is in the ledger too, as
    /// the status queries would read it (`store::status::run_summaries`): the newest run by
    /// id is the last, the newest [`RECENT_RUNS`] by id are the strip. Neither state counts
    /// toward or breaks a failure streak, nor is a finished run for `after_runs`.
    pub(crate) fn add_inserted(&mut self, run: &crate::model::run::Run) {
        debug_assert!(matches!(run.state, RunState::Queued | RunState::Stopped));
        if self
            .last_run
            .as_ref()
            .is_none_or(|last| run.id > last.run_id)
        {
            self.last_run = Some(LastRun {
                run_id: run.id.clone(),
                state: run.state,
                finished_at: run.finished_at,
                cost_usd: run.cost_usd,
            });
        }
        let at = self
            .recent_runs
            .partition_point(|mark| mark.run_id > run.id);
        self.recent_runs.insert(
            at,
            RunMark {
                run_id: run.id.clone(),
                state: run.state,
                queued_at: run.queued_at,
            },
        );
        self.recent_runs.truncate(RECENT_RUNS as usize);
    }
}

/// How many fires `next_fires` lists when one automation is read.
const NEXT_FIRES: usize = 5;

/// How far ahead a status read looks. Computing fires costs microseconds each in a time
/// zone: at 10,000 automations the five next fires of each were most of a list's time, and
/// no list shows them.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Upcoming<'a> {
    /// The next five fires: one automation read on its own.
    Five,
    /// Only the next fire: the automations an event carries.
    Next,
    /// Only the next fire, taken from each automation's stored plan (parallel to the
    /// automations) when that is still ahead of now: the list of all of them.
    AllPlanned(&'a [Option<DateTime<Utc>>]),
}

impl Upcoming<'_> {
    /// How many fires to list for the `i`th automation, and its stored plan if known.
    pub(crate) fn at(self, i: usize) -> (usize, Option<DateTime<Utc>>) {
        match self {
            Upcoming::Five => (NEXT_FIRES, None),
            Upcoming::Next => (1, None),
            Upcoming::AllPlanned(planned) => (1, planned.get(i).copied().flatten()),
        }
    }
}

impl AutomationStatus {
    /// The status of `automation` at `now`, given its runs, with `upcoming.0` next fires;
    /// `upcoming.1` is its stored plan (the next fire after its anchor), used instead of
    /// computing when it is still ahead.
    pub(crate) fn derive(
        automation: &super::Automation,
        runs: RunSummary,
        now: DateTime<Utc>,
        (count, planned): (usize, Option<DateTime<Utc>>),
    ) -> Self {
        use super::{StopCondition, Trigger};
        let spec = &automation.spec;
        let mut finished = match &spec.stop {
            StopCondition::AfterRuns { count } if runs.runs_done >= *count => {
                Some(Finished::AfterRuns)
            }
            StopCondition::Until { at } if *at <= now => Some(Finished::UntilPassed),
            _ => None,
        };
        if let Trigger::Once { fire_at } = &spec.trigger {
            if *fire_at <= now {
                finished = Some(Finished::FiredOnce);
            }
        }
        let mut next_fires = Vec::new();
        if !spec.paused && finished.is_none() && spec.trigger != Trigger::Manual {
            match planned {
                // The first fire after the anchor, still ahead: the first after now too
                // (the plan already honours `until`; `after_runs` was checked above).
                Some(planned) if count == 1 && planned > now => next_fires.push(planned),
                _ => {
                    // Fires count from the last planned one (intervals stay on their grid).
                    let anchor = automation.schedule_anchor.unwrap_or(automation.created_at);
                    next_fires = crate::model::schedule::next_fires(
                        &spec.trigger,
                        &spec.stop,
                        anchor,
                        now.max(anchor),
                        runs.runs_done,
                        count,
                    )
                    .unwrap_or_default();
                }
            }
            if next_fires.is_empty() {
                if let StopCondition::Until { .. } = spec.stop {
                    finished = Some(Finished::UntilPassed);
                }
            }
        }
        Self {
            next_fire_at: next_fires.first().copied(),
            next_fires,
            failure_streak: runs.failure_streak,
            last_run: runs.last_run,
            recent_runs: runs.recent_runs,
            finished,
            paused_reason: automation.status.paused_reason,
        }
    }
}
