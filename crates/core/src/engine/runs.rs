//! Run operations: Run now, cancel, read, page, and answering blockers.

use std::fmt;
use std::sync::Arc;

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};
use tokio::sync::Notify;

use super::{lease, ActiveRun, Engine, Shared};
use crate::error::{Error, Result, ValidationDetail};
use crate::executor;
use crate::ids::{AutomationId, BlockerId, RunId};
use crate::ledger::*;
use crate::store::{self, runs::RunFilter};

/// Default and largest page of runs.
pub const RUN_PAGE_DEFAULT: u32 = 50;
pub const RUN_PAGE_MAX: u32 = 500;

/// The run that held the work area when another ended `stopped`/`writer_busy`: what to
/// wait for or cancel.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WorkAreaHolder {
    pub run_id: RunId,
    pub automation_id: AutomationId,
    pub automation_title: String,
    /// Its state now.
    pub state: RunState,
    /// When it took the work area.
    pub since: DateTime<Utc>,
    /// When it ended, once it has.
    pub until: Option<DateTime<Utc>>,
}

impl WorkAreaHolder {
    fn from_run(run: Run, automation_title: String) -> Self {
        Self {
            since: run.started_at.unwrap_or(run.queued_at),
            until: run.finished_at,
            run_id: run.id,
            automation_id: run.automation_id,
            automation_title,
            state: run.state,
        }
    }
}

/// `run run_... of "Nightly tests" (running since 2027-03-27T01:30:00Z)`.
impl fmt::Display for WorkAreaHolder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let at = |t: &DateTime<Utc>| t.to_rfc3339_opts(SecondsFormat::Secs, true);
        write!(f, "run {} of \"{}\" ", self.run_id, self.automation_title)?;
        match (self.state, &self.until) {
            (RunState::AwaitingInput, _) => write!(
                f,
                "(running since {}, now waiting for input)",
                at(&self.since)
            ),
            (_, Some(until)) => write!(f, "(from {} to {})", at(&self.since), at(until)),
            _ => write!(f, "(running since {})", at(&self.since)),
        }
    }
}

/// A page of runs, newest first.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunPage {
    pub runs: Vec<Run>,
    /// Pass back as `cursor` for the next page; `None` on the last page.
    pub next_cursor: Option<String>,
}

impl Engine {
    /// Queues a run of the automation and returns it at once; the run goes on in the
    /// background. Works on paused automations (pausing stops the schedule only).
    pub async fn run_now(&self, id: &AutomationId, attendance: Attendance) -> Result<Run> {
        self.start_run(id, RunTrigger::Manual, attendance).await
    }

    /// Queues a run with the given trigger and starts driving it.
    pub async fn start_run(
        &self,
        id: &AutomationId,
        trigger: RunTrigger,
        attendance: Attendance,
    ) -> Result<Run> {
        let launcher = &self.launcher;
        launcher.executor()?;
        let mut tx = self.shared.store.begin_write().await?;
        let automation =
            store::automations::get(&mut tx, id)
                .await?
                .ok_or_else(|| Error::NotFound {
                    entity: "automation",
                    id: id.to_string(),
                })?;
        let run = queued_run(&automation, trigger, attendance, self.shared.clock.now());
        self.queue_and_launch(tx, run, automation).await
    }

    /// Queues a run of `parent`'s automation that continues `parent`'s conversation with
    /// `message` (the transcript so far, then the message as the user's next turn), in the
    /// same work area with the automation's permissions and limits, linked to `parent`, and
    /// starts driving it. `parent` must have ended and have talked to the model. The app's
    /// follow-ups are attended: someone is there to answer.
    pub async fn follow_up(
        &self,
        parent: &RunId,
        message: &str,
        attendance: Attendance,
    ) -> Result<Run> {
        let message = message.trim();
        if message.is_empty() {
            return Err(Error::InvalidInput(vec![ValidationDetail::new(
                "message",
                "is empty; say what the run should do next",
            )]));
        }
        const MESSAGE_MAX: usize = 100_000;
        if message.len() > MESSAGE_MAX {
            return Err(Error::InvalidInput(vec![ValidationDetail::new(
                "message",
                format!("is {} bytes; at most {MESSAGE_MAX}", message.len()),
            )]));
        }
        let launcher = &self.launcher;
        launcher.executor()?;
        let mut tx = self.shared.store.begin_write().await?;
        let earlier = store::runs::get(&mut tx, parent)
            .await?
            .ok_or_else(|| Error::NotFound {
                entity: "run",
                id: parent.to_string(),
            })?;
        if !earlier.state.is_terminal() {
            return Err(Error::InvalidInput(vec![ValidationDetail::new(
                "run_id",
                format!(
                    "run {parent} is {}; follow up once it has ended",
                    earlier.state.as_str()
                ),
            )]));
        }
        let Some(session) = earlier.session_id.clone() else {
            return Err(Error::InvalidInput(vec![ValidationDetail::new(
                "run_id",
                format!("run {parent} ended before it talked to the model: there is no conversation to continue"),
            )
            .with_hint("Run the automation again instead.")]));
        };
        let automation = store::automations::get(&mut tx, &earlier.automation_id)
            .await?
            .ok_or_else(|| Error::NotFound {
                entity: "automation",
                id: earlier.automation_id.to_string(),
            })?;
        if let crate::definition::Placement::Worktree { .. } = automation.spec.placement {
            check_worktree_parent(&mut tx, parent).await?;
        }
        let run = Run {
            session_id: Some(session),
            follow_up: Some(FollowUp {
                of: parent.clone(),
                message: crate::secrets::redact(message).into_owned(),
            }),
            ..queued_run(
                &automation,
                RunTrigger::Manual,
                attendance,
                self.shared.clock.now(),
            )
        };
        self.queue_and_launch(tx, run, automation).await
    }

    /// Inserts `run`, queued, in `tx` and commits, then starts driving it. Registered first,
    /// so a cancel racing the commit finds it.
    async fn queue_and_launch(
        &self,
        mut tx: crate::store::Tx,
        mut run: Run,
        automation: crate::definition::Automation,
    ) -> Result<Run> {
        let workspace = &automation.spec.workspace;
        if !self.shared.worker.serves(workspace) {
            // Another machine's folder (on a team database): a worker that serves it takes the
            // run when it is next in line; if none is connected, the run would wait forever.
            let now = self.shared.clock.now();
            let workers = store::instances::live_workers(&mut tx, now).await?;
            let elsewhere = workers.iter().any(|w| {
                w.id != self.shared.instance.as_str()
                    && crate::model::worker::serves(&w.serves, workspace)
            });
            if elsewhere {
                return self.shared.recorder.insert_queued(tx, run, false).await;
            }
            if !crate::model::worker::serves(&self.shared.worker.serves, workspace) {
                return Err(Error::NoWorkerServesWorkspace {
                    workspace: workspace.clone(),
                });
            }
            // One of this worker's folders, gone from this machine, and no one else serves
            // it: driven here, the run fails saying the folder is gone and what to do.
        }
        run.worker = Some(self.shared.worker.name.clone());
        let pending = self.launcher.register(&run, &automation)?;
        let run = match self
            .shared
            .recorder
            .insert_queued(tx, run.clone(), true)
            .await
        {
            Ok(run) => run,
            Err(e) => {
                forget(&self.shared, &run.id);
                return Err(e);
            }
        };
        self.launcher.launch(pending, run.clone(), automation);
        Ok(run)
    }

    /// Cancels an active run: it ends `stopped`/`cancelled` wherever it was (queued,
    /// running, waiting for input), in this process or another.
    pub async fn cancel_run(&self, id: &RunId) -> Result<Run> {
        self.stop_run(id, StopReason::Cancelled).await
    }

    pub(crate) async fn stop_run(&self, id: &RunId, reason: StopReason) -> Result<Run> {
        if let Some((token, _)) = self.shared.active_run(id) {
            token.cancel();
        }
        // Runs of other processes: they see the terminal state in the outbox and stop.
        self.shared
            .recorder
            .apply(id, Transition::Stop(reason))
            .await
    }

    pub async fn get_run(&self, id: &RunId) -> Result<Run> {
        let mut conn = self.shared.store.connection().await?;
        store::runs::get(&mut conn, id)
            .await?
            .ok_or_else(|| Error::NotFound {
                entity: "run",
                id: id.to_string(),
            })
    }

    /// What needs the user, newest first: runs waiting for input, and finished runs not yet
    /// seen (at most 200).
    pub async fn inbox(&self) -> Result<Vec<Run>> {
        let mut conn = self.shared.store.connection().await?;
        store::runs::inbox(&mut conn, 200).await
    }

    /// Files finished runs as seen (they leave the inbox). Returns how many were unseen.
    pub async fn mark_seen(&self, ids: &[RunId]) -> Result<u64> {
        let mut conn = self.shared.store.connection().await?;
        store::runs::mark_seen(&mut conn, ids, self.shared.clock.now()).await
    }

    /// The transcript a run wrote: its messages and their parts, in order.
    pub async fn run_transcript(&self, id: &RunId) -> Result<Vec<crate::transcript::Message>> {
        let mut conn = self.shared.store.connection().await?;
        if store::runs::get(&mut conn, id).await?.is_none() {
            return Err(Error::NotFound {
                entity: "run",
                id: id.to_string(),
            });
        }
        store::transcripts::run_messages(&mut conn, id).await
    }

    /// Runs newest first, `limit` (1..=500, default 50) at a time, after `cursor`.
    pub async fn list_runs(
        &self,
        filter: &RunFilter,
        cursor: Option<&str>,
        limit: Option<u32>,
    ) -> Result<RunPage> {
        let limit = limit.unwrap_or(RUN_PAGE_DEFAULT);
        if !(1..=RUN_PAGE_MAX).contains(&limit) {
            return Err(Error::InvalidInput(vec![ValidationDetail::new(
                "limit",
                "limit_out_of_range_1_500",
            )]));
        }
        let cursor = cursor.map(RunId::from);
        let mut conn = self.shared.store.connection().await?;
        if let Some(cursor) = &cursor {
            // Keyset paging from a run that does not exist would silently restart at the
            // newest page.
            if !store::runs::exists(&mut conn, cursor).await? {
                return Err(Error::InvalidInput(vec![ValidationDetail::new(
                    "cursor",
                    "invalid_cursor",
                )
                .with_hint(format!(
                    "`{cursor}` is not a run; pass the next_cursor of a previous page, or no cursor for the first page"
                ))]));
            }
        }
        if let Some(automation_id) = &filter.automation_id {
            // Deleted automations count: their history stays readable.
            if store::automations::get_including_deleted(&mut conn, automation_id)
                .await?
                .is_none()
            {
                return Err(Error::NotFound {
                    entity: "automation",
                    id: automation_id.to_string(),
                });
            }
        }
        let mut runs = store::runs::page(&mut conn, filter, cursor.as_ref(), limit + 1).await?;
        let next_cursor = if runs.len() > limit as usize {
            runs.truncate(limit as usize);
            runs.last().map(|r| r.id.to_string())
        } else {
            None
        };
        Ok(RunPage { runs, next_cursor })
    }

    /// Which run held the work area when run `id` ended `stopped`/`writer_busy`; `None` for
    /// other runs, and when the holder had just ended.
    pub async fn work_area_holder(&self, id: &RunId) -> Result<Option<WorkAreaHolder>> {
        let mut conn = self.shared.store.connection().await?;
        if !store::runs::exists(&mut conn, id).await? {
            return Err(Error::NotFound {
                entity: "run",
                id: id.to_string(),
            });
        }
        let holder = store::runs::busy_holder(&mut conn, id).await?;
        Ok(holder.map(|(run, title)| WorkAreaHolder::from_run(run, title)))
    }

    /// Answers a permission request; the run resumes.
    pub async fn reply_permission(
        &self,
        request_id: &BlockerId,
        decision: PermissionDecision,
        message: Option<String>,
    ) -> Result<Run> {
        let reply = BlockerReply::Permission {
            decision,
            message,
            always_choice: None,
        };
        self.resolve(request_id, reply).await
    }

    /// "Always allow" with the rules of the blocker's `always_options[choice]` (a wider
    /// prefix or folder the user picked); the run resumes.
    pub async fn approve_always(&self, request_id: &BlockerId, choice: u32) -> Result<Run> {
        let reply = BlockerReply::Permission {
            decision: PermissionDecision::Always,
            message: None,
            always_choice: Some(choice),
        };
        self.resolve(request_id, reply).await
    }

    /// Answers a question blocker, one answer per question; the run resumes.
    pub async fn answer_question(&self, call_id: &BlockerId, answers: Vec<String>) -> Result<Run> {
        self.resolve(call_id, BlockerReply::Question { answers })
            .await
    }

    async fn resolve(&self, blocker_id: &BlockerId, reply: BlockerReply) -> Result<Run> {
        let run = {
            let mut conn = self.shared.store.connection().await?;
            store::runs::by_blocker(&mut conn, blocker_id).await?
        };
        let not_pending = || Error::RequestNotPending {
            id: blocker_id.to_string(),
        };
        let run = run.ok_or_else(not_pending)?;
        match (&run.blocker, &reply) {
            (
                Some(Blocker::Permission { always_options, .. }),
                BlockerReply::Permission { always_choice, .. },
            ) => {
                if let Some(choice) = always_choice {
                    if *choice as usize >= always_options.len() {
                        return Err(Error::InvalidInput(vec![ValidationDetail::new(
                            "always_choice",
                            "no_such_option",
                        )
                        .with_hint(format!(
                            "the request offers {} way(s) to always allow it",
                            always_options.len()
                        ))]));
                    }
                }
            }
            (Some(Blocker::Question { questions, .. }), BlockerReply::Question { answers }) => {
                if answers.len() != questions.len() {
                    return Err(Error::InvalidInput(vec![ValidationDetail::new(
                        "answers",
                        "answer_count_mismatch",
                    )
                    .with_hint(format!(
                        "{} question(s) were asked, {} answer(s) given",
                        questions.len(),
                        answers.len()
                    ))]));
                }
            }
            (Some(Blocker::Permission { .. }), _) => {
                return Err(Error::InvalidInput(vec![ValidationDetail::new(
                    "request_id",
                    "not_a_question",
                )
                .with_hint(
                    "this request asks for a permission: reply once, always or reject",
                )]))
            }
            _ => {
                return Err(Error::InvalidInput(vec![ValidationDetail::new(
                    "request_id",
                    "not_a_permission_request",
                )
                .with_hint("this request asks questions: answer them")]))
            }
        }
        let transition = Transition::Resume {
            blocker_id: blocker_id.clone(),
            reply,
        };
        let run = match self.shared.recorder.apply(&run.id, transition).await {
            Ok(run) => run,
            Err(Error::IllegalTransition { .. } | Error::RequestNotPending { .. }) => {
                return Err(not_pending())
            }
            Err(e) => return Err(e),
        };
        if let Some((_, resumed)) = self.shared.active_run(&run.id) {
            resumed.notify_one();
        }
        Ok(run)
    }
}

/// Whether a follow-up of worktree run `parent` can start. One whose commit waits for review
/// is continued on top of that commit (the executor resets the worktree there); one that
/// changed nothing, or whose changes were applied, leaves nothing to build on, so the
/// follow-up starts like any run of its automation (after an apply, the workspace's branch
/// holds the parent's changes). Refused: a parent whose changes were discarded (the
/// conversation speaks of changes that are gone), or superseded by an earlier follow-up
/// (that one holds them: continue the thread from it), or whose commit is no longer in the
/// repository.
async fn check_worktree_parent(
    conn: &mut impl crate::store::backend::AsConn,
    parent: &RunId,
) -> Result<()> {
    use crate::changes::Review;
    let refuse = |message: String, hint: String| {
        Err(Error::InvalidInput(vec![ValidationDetail::new(
            "run_id", message,
        )
        .with_hint(hint)]))
    };
    let changes = store::changes::get(conn, parent).await?;
    let Some(worktree) = changes.and_then(|c| c.worktree) else {
        return Ok(());
    };
    match worktree.review {
        Review::Empty | Review::Applied => Ok(()),
        Review::Pending => {
            // A second follow-up would find the changes already taken by the first.
            let follow_ups = store::runs::follow_ups(conn, parent).await?;
            if let Some(active) = follow_ups.iter().find(|r| !r.state.is_terminal()) {
                return refuse(
                    format!(
                        "run {parent} is already being followed up by run {}",
                        active.id
                    ),
                    format!(
                        "Wait for run {} to end, then follow up on it to build on both.",
                        active.id
                    ),
                );
            }
            let (Some(commit), Ok(path)) = (worktree.commit, std::path::absolute(&worktree.path))
            else {
                return Ok(());
            };
            // The worktree (and with it the commit's ref) goes when its automation is deleted
            // or by hand: then there is nothing to continue on top of.
            let id = parent.to_string();
            let waiting = tokio::task::spawn_blocking(move || {
                crate::git::pending_commit(&path, &id).map(|c| c.map(|c| c.commit))
            })
            .await
            .map_err(|e| Error::Io {
                context: "reading the run's commit stopped".into(),
                source: std::io::Error::other(e),
            })?;
            match waiting {
                Ok(Some(found)) if found == commit => Ok(()),
                _ => refuse(
                    format!(
                        "run {parent}'s changes (commit {commit}) are no longer in its worktree"
                    ),
                    "Its worktree or branch was removed; run the automation again.".into(),
                ),
            }
        }
        Review::Discarded => refuse(
            format!("run {parent}'s changes were discarded: there is nothing to follow up on"),
            "Run the automation again to start over.".into(),
        ),
        Review::Superseded => {
            let by = worktree
                .superseded_by
                .map(|by| by.to_string())
                .unwrap_or_else(|| "a later run".into());
            refuse(
                format!(
                    "run {parent} was already followed up by run {by}, whose changes hold its own"
                ),
                format!("Follow up on run {by} instead, to continue on top of both."),
            )
        }
    }
}

/// A new `queued` run of `automation`.
pub(crate) fn queued_run(
    automation: &crate::definition::Automation,
    trigger: RunTrigger,
    attendance: Attendance,
    now: chrono::DateTime<chrono::Utc>,
) -> Run {
    Run {
        id: RunId::new(),
        automation_id: automation.id.clone(),
        definition_revision: automation.revision,
        revision: 1,
        trigger,
        attendance,
        writer_key: automation.writer_key(),
        state: RunState::Queued,
        blocker: None,
        result: None,
        error: None,
        stop_reason: None,
        session_id: None,
        cost_usd: 0.0,
        tokens_in: 0,
        tokens_out: 0,
        steps: 0,
        queued_at: now,
        started_at: None,
        finished_at: None,
        follow_up: None,
        worker: None,
    }
}

/// Starts runs: registers them (before their insert commits, so a racing cancel finds
/// them) and drives them in tasks this engine owns.
#[derive(Clone)]
pub(crate) struct Launcher {
    pub shared: Arc<Shared>,
    pub runs: tokio_util::task::TaskTracker,
    pub executor: Option<Arc<dyn crate::executor::Executor>>,
    pub shutdown: tokio_util::sync::CancellationToken,
}

/// A registered run waiting for its insert to commit.
pub(crate) struct Pending {
    token: tokio_util::sync::CancellationToken,
    resumed: Arc<Notify>,
    executor: Arc<dyn crate::executor::Executor>,
}

impl Launcher {
    pub fn executor(&self) -> Result<Arc<dyn crate::executor::Executor>> {
        if self.shutdown.is_cancelled() {
            return Err(Error::ShuttingDown);
        }
        self.executor.clone().ok_or_else(|| {
            Error::InvalidInput(vec![ValidationDetail::new("executor", "no_executor")
                .with_hint("this process was opened without an agent to run automations")])
        })
    }

    pub fn register(
        &self,
        run: &Run,
        automation: &crate::definition::Automation,
    ) -> Result<Pending> {
        let executor = self.executor()?;
        let token = self.shutdown.child_token();
        let resumed = Arc::new(Notify::new());
        if let Ok(mut active) = self.shared.active.lock() {
            active.insert(
                run.id.clone(),
                ActiveRun {
                    automation_id: automation.id.clone(),
                    token: token.clone(),
                    resumed: resumed.clone(),
                },
            );
        }
        Ok(Pending {
            token,
            resumed,
            executor,
        })
    }

    /// Drives a run whose insert has committed.
    pub fn launch(&self, pending: Pending, run: Run, automation: crate::definition::Automation) {
        let shared = self.shared.clone();
        self.runs.spawn(async move {
            let run_id = run.id.clone();
            // A work area held by a run of a process that has died is freed first, so this
            // run does not end writer_busy until that process's lease runs out.
            if let Err(e) = lease::free_work_area_of_dead(&shared, &run.writer_key).await {
                tracing::warn!(run = %run_id, error = %e, "could not check whether the work area's holder is alive");
            }
            executor::drive(
                shared.clone(),
                pending.executor,
                run,
                automation,
                pending.token,
                pending.resumed,
            )
            .await;
            forget(&shared, &run_id);
        });
    }

    /// Forgets a registered run whose insert did not commit.
    pub fn abandon(&self, run: &Run) {
        forget(&self.shared, &run.id);
    }
}

fn forget(shared: &Shared, id: &RunId) {
    if let Ok(mut active) = shared.active.lock() {
        active.remove(id);
    }
}

/// Closes every run this process drives, as a crash would have: in one write transaction,
/// so a daemon with a thousand runs queued stops in one commit, not a thousand.
pub(crate) async fn stop_all_for_shutdown(shared: &Arc<Shared>) {
    let active: Vec<(RunId, ActiveRunTokens)> = match shared.active.lock() {
        Ok(active) => active
            .iter()
            .map(|(id, a)| (id.clone(), a.token.clone()))
            .collect(),
        Err(_) => Vec::new(),
    };
    if active.is_empty() {
        return;
    }
    for (_, token) in &active {
        token.cancel();
    }
    let ids: Vec<RunId> = active.into_iter().map(|(id, _)| id).collect();
    if let Err(e) = stop_in_one_write(shared, &ids).await {
        // Whatever the one write could not do, one run at a time.
        tracing::warn!(error = %e, "could not close this process's runs together; closing them one by one");
        for id in &ids {
            let reason = shutdown_reason(shared, id).await;
            match shared.recorder.apply(id, Transition::Stop(reason)).await {
                Ok(_) | Err(Error::IllegalTransition { .. }) => {}
                Err(e) => {
                    tracing::warn!(run = %id, error = %e, "could not close a run at shutdown")
                }
            }
        }
    }
}

/// `expired`, or `blocker_lost` for a run waiting for input.
async fn shutdown_reason(shared: &Shared, id: &RunId) -> StopReason {
    let state = match shared.store.connection().await {
        Ok(mut conn) => store::runs::get(&mut conn, id)
            .await
            .ok()
            .flatten()
            .map(|r| r.state),
        Err(_) => None,
    };
    match state {
        Some(RunState::AwaitingInput) => StopReason::BlockerLost,
        _ => StopReason::Expired,
    }
}

async fn stop_in_one_write(shared: &Shared, ids: &[RunId]) -> Result<()> {
    let mut tx = shared.store.begin_write().await?;
    let now = shared.clock.now();
    let mut events = Vec::new();
    let mut paused = Vec::new();
    for id in ids {
        let Some(run) = store::runs::get(&mut tx, id).await? else {
            continue;
        };
        let reason = match run.state {
            RunState::AwaitingInput => StopReason::BlockerLost,
            _ => StopReason::Expired,
        };
        match shared
            .recorder
            .apply_in(&mut tx, id, Transition::Stop(reason), now, &mut events)
            .await
        {
            Ok((_, pause)) => paused.extend(pause),
            Err(Error::IllegalTransition { .. }) => {} // ended meanwhile
            Err(e) => return Err(e),
        }
    }
    shared
        .recorder
        .commit_telling_paused(tx, events, paused)
        .await?;
    Ok(())
}

type ActiveRunTokens = tokio_util::sync::CancellationToken;
