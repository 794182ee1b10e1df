//! Executing runs: the [`Executor`] trait the agent implements, the context it gets, and the
//! task that drives one run through the ledger (start, outcome, timeout, cancellation).

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use crate::changes::{self, ChangeLog, ChangeSource, RunChanges, WorkArea};
use crate::definition::{Automation, PermissionRule};
use crate::engine::Shared;
use crate::error::{Error, Result};
use crate::ids::{RunId, SessionId};
use crate::ledger::{
    Attendance, Blocker, BlockerReply, ErrorCode, Run, RunState, Transition, Usage,
};
use crate::notify::Notification;
use crate::originals::Originals;
use crate::store;

pub use crate::future::BoxFuture;

/// How an execution ended, when it was not cancelled.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    Succeeded { result: String },
    Failed { code: ErrorCode, message: String },
}

/// Does the work of a run. The engine drops the returned future at whatever await point it
/// is in when the run is cancelled, deleted or times out, so implementations hold their
/// resources in values that clean up on drop (and watch [`RunContext::cancelled`] for work
/// that outlives a drop, such as child processes).
pub trait Executor: Send + Sync + 'static {
    fn execute(&self, ctx: RunContext) -> BoxFuture<'static, Outcome>;
}

/// Why [`RunContext::block`] returned without a reply.
#[derive(Debug, thiserror::Error)]
pub enum BlockError {
    /// Nobody is there to answer: end the run `failed`/`needs_user_input`.
    #[error("the run is unattended and cannot wait for input")]
    Unattended,
    /// The run ended (cancelled, deleted, or closed by another process) while it waited.
    #[error("the run ended while it waited for input")]
    Ended,
    #[error(transparent)]
    Engine(#[from] Error),
}

/// What an executor gets: the run, the automation as of the run's start, and the means to
/// report back to the ledger.
#[derive(Clone)]
pub struct RunContext {
    pub run: Run,
    pub automation: Automation,
    /// Where the run works: the workspace, or its worktree for worktree placement.
    pub work_dir: PathBuf,
    /// What `write` and `edit` changed, for the change review outside git repositories.
    pub changes: Arc<ChangeLog>,
    pub(crate) shared: Arc<Shared>,
    pub(crate) token: CancellationToken,
    pub(crate) resumed: Arc<Notify>,
}

impl RunContext {
    /// Cancelled when the run is cancelled, deleted or timed out.
    pub fn cancelled(&self) -> CancellationToken {
        self.token.clone()
    }

    /// Moves the run to `awaiting_input` with `blocker`, notifies the user (attended runs),
    /// and waits for the reply. Unattended runs do not wait unless the automation allows it.
    pub async fn block(&self, blocker: Blocker) -> Result<BlockerReply, BlockError> {
        let can_wait = self.run.attendance == Attendance::Attended
            || self.automation.spec.wait_for_input_when_unattended;
        if !can_wait {
            return Err(BlockError::Unattended);
        }
        let blocker_id = blocker.id().clone();
        let run = self
            .shared
            .recorder
            .apply(&self.run.id, Transition::Block(blocker.clone()))
            .await
            .map_err(|e| match e {
                Error::IllegalTransition { .. } => BlockError::Ended,
                e => BlockError::Engine(e),
            })?;
        if self.run.attendance == Attendance::Attended {
            self.shared.notifier.notify(Notification::BlockerRaised {
                automation: Box::new(self.automation.clone()),
                run: Box::new(run),
                blocker,
            });
        }
        loop {
            let mut conn = self.shared.store.connection().await?;
            if let Some(reply) = store::runs::reply(&mut conn, &blocker_id).await? {
                return Ok(reply);
            }
            match store::runs::get(&mut conn, &self.run.id).await? {
                Some(run) if run.state == RunState::AwaitingInput => {}
                _ => {
                    // The answer may have landed between the two reads above.
                    return match store::runs::reply(&mut conn, &blocker_id).await? {
                        Some(reply) => Ok(reply),
                        None => Err(BlockError::Ended),
                    };
                }
            }
            drop(conn);
            tokio::select! {
                _ = self.token.cancelled() => return Err(BlockError::Ended),
                _ = self.resumed.notified() => {}
                // A safety net: replies normally wake us through `resumed`.
                _ = tokio::time::sleep(Duration::from_secs(5)) => {}
            }
        }
    }

    /// Adds tokens, cost and steps to the run.
    pub async fn record_usage(&self, usage: Usage) -> Result<Run> {
        self.shared
            .recorder
            .apply(&self.run.id, Transition::Account(usage))
            .await
    }

    /// The model catalog (prices, variants).
    pub fn catalog(&self) -> Arc<crate::catalog::Catalog> {
        self.shared.catalog()
    }

    /// Adds a permission rule to the automation (an "always" reply), on its latest
    /// revision.
    pub async fn add_permission_rule(&self, rule: PermissionRule) -> Result<Automation> {
        crate::engine::automations::update_latest(&self.shared, &self.automation.id, |current| {
            let mut rules = current.spec.permissions.clone();
            rules.push(rule.clone());
            serde_json::json!({ "permissions": rules })
        })
        .await
    }

    /// Makes `session` the one the automation continues (`context = continue`).
    pub async fn remember_session(&self, session: &SessionId) -> Result<Automation> {
        crate::engine::automations::set_session(&self.shared, &self.automation.id, session).await
    }

    /// What this automation's runs cost since `since` (this run included).
    pub async fn automation_cost_since(&self, since: chrono::DateTime<chrono::Utc>) -> Result<f64> {
        let mut conn = self.shared.store.connection().await?;
        store::transcripts::automation_cost_since(&mut conn, &self.automation.id, since).await
    }

    /// Files the run as read (it stays out of the inbox): for an unattended run that
    /// changed nothing, so quiet schedules leave a quiet history.
    pub async fn file_as_read(&self) -> Result<()> {
        let mut conn = self.shared.store.connection().await?;
        store::runs::mark_seen(
            &mut conn,
            std::slice::from_ref(&self.run.id),
            self.shared.clock.now(),
        )
        .await?;
        Ok(())
    }

    /// The run as stored now.
    pub async fn current_run(&self) -> Result<Run> {
        let mut conn = self.shared.store.connection().await?;
        store::runs::get(&mut conn, &self.run.id)
            .await?
            .ok_or_else(|| Error::NotFound {
                entity: "run",
                id: self.run.id.to_string(),
            })
    }

    /// Records the transcript session the run writes.
    pub async fn attach_session(&self, session: SessionId) -> Result<Run> {
        self.shared
            .recorder
            .apply(&self.run.id, Transition::AttachSession(session))
            .await
    }
}

/// Moves a queued run to `running` once the run queue has a slot for it (see
/// [`crate::queue`]). When another run holds the work area, the run ends
/// `stopped`/`writer_busy` (`None`), unless the automation queues overlapping runs: then the
/// oldest waiting run of the automation stays `queued` until the work area is free, and any
/// younger one ends `writer_busy`.
async fn start(shared: &Arc<Shared>, run: &Run, automation: &Automation) -> Result<Option<Run>> {
    let started = shared.queue.admit(run, automation).await?;
    if started.is_none() {
        log_work_area_holder(shared, run).await;
    }
    Ok(started)
}

/// Says in the log (the daemon's, for scheduled fires) which run kept `run` out.
async fn log_work_area_holder(shared: &Shared, run: &Run) {
    let holder = async {
        let mut conn = shared.store.connection().await?;
        store::runs::busy_holder(&mut conn, &run.id).await
    };
    if let Ok(Some((holder, title))) = holder.await {
        tracing::info!(
            run = %run.id,
            holder = %holder.id,
            holder_automation = %title,
            "the run stopped writer_busy: another run holds its work area"
        );
    }
}

/// Drives one run from `queued` to a terminal state. Cancellation (the token) may strike at
/// any await point; whoever cancels writes the terminal state, so this task then just ends.
pub(crate) async fn drive(
    shared: Arc<Shared>,
    executor: Arc<dyn Executor>,
    run: Run,
    automation: Automation,
    token: CancellationToken,
    resumed: Arc<Notify>,
) {
    let run_id = run.id.clone();
    let for_notice = automation.clone();
    let finish = |transition: Transition| {
        let shared = shared.clone();
        let run_id = run_id.clone();
        let automation = for_notice.clone();
        async move {
            match shared.recorder.apply(&run_id, transition).await {
                Ok(run) => {
                    // Nobody watched it fail: say so.
                    if run.state == RunState::Failed && run.attendance == Attendance::Unattended {
                        shared.notifier.notify(Notification::RunFailed {
                            automation: Box::new(automation),
                            run: Box::new(run),
                        });
                    }
                }
                Err(Error::IllegalTransition { .. }) => {}
                Err(e) => {
                    tracing::error!(run = %run_id, error = %e, "could not record the end of a run")
                }
            }
        }
    };

    if !std::path::Path::new(&automation.spec.workspace).is_dir() {
        let message = format!(
            "the workspace {} no longer exists; restore it or point the automation at another directory",
            automation.spec.workspace
        );
        tokio::select! {
            biased;
            _ = token.cancelled() => {}
            _ = finish(Transition::Fail { code: ErrorCode::ExecutionFailed, message }) => {}
        }
        return;
    }

    let started = tokio::select! {
        biased;
        _ = token.cancelled() => return,
        started = start(&shared, &run, &automation) => started,
    };
    let run = match started {
        Ok(Some(run)) => run,
        Ok(None) => return, // the work area was busy: the run is already stopped
        Err(Error::IllegalTransition { .. }) => return,
        Err(e) => {
            tracing::error!(run = %run_id, error = %e, "could not start a run");
            finish(Transition::Fail {
                code: ErrorCode::ExecutionFailed,
                message: format!("the run could not start: {e}"),
            })
            .await;
            return;
        }
    };

    let prepared = tokio::select! {
        biased;
        _ = token.cancelled() => return,
        prepared = prepare_work_area(&automation, run.follow_up.as_ref().map(|f| f.of.clone())) => prepared,
    };
    let area = match prepared {
        Ok(area) => area,
        Err(message) => {
            finish(Transition::Fail {
                code: ErrorCode::ExecutionFailed,
                message,
            })
            .await;
            return;
        }
    };

    // The time limit runs on the engine's clock from the moment the run started.
    let timeout_minutes = automation.spec.timeout_minutes;
    let deadline = timeout_minutes
        .zip(run.started_at)
        .map(|(minutes, started)| {
            (
                started + chrono::Duration::minutes(i64::from(minutes)),
                minutes,
            )
        });
    let change_log = Arc::new(ChangeLog::keeping(Originals::for_run(
        &shared.data_dir,
        run_id.as_str(),
    )));
    let title = automation.spec.title.clone();
    let ctx = RunContext {
        run,
        automation,
        work_dir: area.dir.clone(),
        changes: change_log.clone(),
        shared: shared.clone(),
        token: token.clone(),
        resumed,
    };
    let work = executor.execute(ctx);
    let limit = async {
        match deadline {
            Some((at, _)) => shared.clock.sleep_until(at).await,
            None => std::future::pending().await,
        }
    };
    let outcome = tokio::select! {
        biased;
        _ = token.cancelled() => None,
        outcome = work => Some(Some(outcome)),
        _ = limit => Some(None),
    };
    if outcome.as_ref().is_some_and(Option::is_none) {
        token.cancel(); // tell what outlives the dropped future (child processes) to stop
    }
    // Recorded before the run's end, so whoever sees it ended finds its changes; a
    // cancelled run (already ended by whoever cancelled it) is recorded all the same.
    record_changes(&shared, area, change_log.clone(), &run_id, title).await;
    // Recorded: the originals are no longer needed. (A crash before this point leaves
    // them for `restore_originals`.)
    change_log.discard_originals();
    let Some(outcome) = outcome else {
        return;
    };
    let transition = match outcome {
        // A provider error may quote the key it was sent; no secret reaches the ledger.
        Some(Outcome::Succeeded { result }) => Transition::Succeed {
            result: crate::secrets::redact(&result).into_owned(),
        },
        Some(Outcome::Failed { code, message }) => Transition::Fail {
            code,
            message: crate::secrets::redact(&message).into_owned(),
        },
        None => Transition::Fail {
            code: ErrorCode::Timeout,
            message: format!(
                "the run passed its time limit of {} minute(s); raise timeout_minutes or narrow the prompt",
                timeout_minutes.unwrap_or_default()
            ),
        },
    };
    finish(transition).await;
}

/// Creates or resets the worktree (worktree placement) and captures the work area.
async fn prepare_work_area(
    automation: &Automation,
    follow_up_of: Option<RunId>,
) -> std::result::Result<WorkArea, String> {
    let automation = automation.clone();
    match tokio::task::spawn_blocking(move || changes::prepare(&automation, follow_up_of.as_ref()))
        .await
    {
        Ok(Ok(area)) => Ok(area),
        Ok(Err(e)) => Err(format!("the work area could not be prepared: {e}")),
        Err(e) => Err(format!("the work area could not be prepared: {e}")),
    }
}

/// Stores what the run changed; a failure to tell is stored as the note, so the run's
/// review says why it is empty.
async fn record_changes(
    shared: &Arc<Shared>,
    area: WorkArea,
    log: Arc<ChangeLog>,
    run_id: &RunId,
    title: String,
) {
    let now = shared.clock.now();
    let id = run_id.clone();
    let recorded =
        tokio::task::spawn_blocking(move || changes::record(&area, &log, &id, &title, now)).await;
    let (changes, superseded) = match recorded {
        Ok(Ok(recorded)) => recorded,
        failed => {
            let error = match failed {
                Ok(Err(e)) => e.to_string(),
                Err(e) => e.to_string(),
                Ok(Ok(_)) => return,
            };
            tracing::warn!(run = %run_id, error = %error, "could not record what a run changed");
            let changes = RunChanges {
                run_id: run_id.clone(),
                source: ChangeSource::Git,
                summary: Default::default(),
                worktree: None,
                note: Some(format!("the run's changes could not be recorded: {error}")),
                recorded_at: now,
            };
            (changes, None)
        }
    };
    // One transaction: a parent is superseded exactly when its follow-up's review exists.
    let stored = async {
        let mut tx = shared.store.begin_write().await?;
        store::changes::put(&mut tx, &changes).await?;
        if let Some(parent) = &superseded {
            store::changes::supersede(&mut tx, parent, run_id).await?;
        }
        tx.commit().await?;
        Ok::<_, Error>(())
    };
    if let Err(e) = stored.await {
        tracing::error!(run = %run_id, error = %e, "could not store what a run changed");
    }
}
