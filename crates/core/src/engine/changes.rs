//! Change review operations: what a run changed, and keeping (apply) or discarding a
//! worktree run's changes; the worktree's cleanup when its automation is deleted.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::Engine;
use crate::changes::{Review, RunChanges};
use crate::definition::{Automation, Placement};
use crate::error::{Error, Result, ValidationDetail};
use crate::git::{self, ApplyOutcome, RemoveOutcome};
use crate::ids::{AutomationId, RunId};
use crate::ledger::Run;
use crate::originals::{self, Original};
use crate::store;

/// What deleting an automation did.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Deleted {
    /// The run it stopped, if one was active.
    pub stopped: Option<Run>,
    /// The worktree left in place because it holds changes nobody applied or discarded.
    pub kept_worktree: Option<KeptWorktree>,
}

/// A worktree kept at deletion, so nothing is lost.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KeptWorktree {
    pub path: String,
    pub branch: String,
    /// Runs whose changes still wait: apply or discard them (`autowork run apply|discard`).
    pub unapplied_runs: Vec<RunId>,
    pub message: String,
}

impl Engine {
    /// What the run changed; `None` until the run has ended (or for runs recorded before
    /// change review existed).
    pub async fn run_changes(&self, id: &RunId) -> Result<Option<RunChanges>> {
        let mut conn = self.shared.store.connection().await?;
        if store::runs::get(&mut conn, id).await?.is_none() {
            return Err(Error::NotFound {
                entity: "run",
                id: id.to_string(),
            });
        }
        store::changes::get(&mut conn, id).await
    }

    /// Applies a worktree run's changes to the workspace's current branch (like
    /// `git cherry-pick`). A conflict, or uncommitted changes in the workspace touching the
    /// same files, changes nothing and comes back as the outcome, naming the paths.
    pub async fn apply_run(&self, id: &RunId) -> Result<ApplyOutcome> {
        let (run, _, automation) = self.pending_review(id).await?;
        let workspace = automation.spec.workspace.clone();
        self.ensure_idle(&workspace, &run.id).await?;
        let run_id = id.to_string();
        let path = PathBuf::from(&workspace);
        let outcome = blocking(move || git::apply_run(&path, &run_id)).await?;
        let applied_commit = match &outcome {
            ApplyOutcome::Applied { commit, .. } => Some(commit.as_str()),
            ApplyOutcome::AlreadyApplied => None,
            ApplyOutcome::Conflict { .. } | ApplyOutcome::LocalChanges { .. } => {
                return Ok(outcome)
            }
        };
        let mut conn = self.shared.store.connection().await?;
        store::changes::set_review(&mut conn, id, Review::Applied, applied_commit).await?;
        tracing::info!(run = %id, "applied a worktree run's changes");
        Ok(outcome)
    }

    /// Drops a worktree run's changes: its commit leaves the worktree's branch (when it is
    /// still the tip) and the review is closed. Returns the run's changes as now recorded.
    pub async fn discard_run(&self, id: &RunId) -> Result<RunChanges> {
        let (_, changes, automation) = self.pending_review(id).await?;
        let Placement::Worktree { name } = &automation.spec.placement else {
            return Err(not_reviewable(id, "not_a_worktree_run"));
        };
        let worktree = changes
            .worktree
            .as_ref()
            .map(|w| w.path.clone())
            .unwrap_or_else(|| automation.writer_key());
        self.ensure_idle(&worktree, id).await?;
        let (workspace, name, run_id) = (
            PathBuf::from(&automation.spec.workspace),
            name.clone(),
            id.to_string(),
        );
        blocking(move || git::discard_run(&workspace, &name, &run_id)).await?;
        let mut conn = self.shared.store.connection().await?;
        store::changes::set_review(&mut conn, id, Review::Discarded, None).await?;
        store::changes::get(&mut conn, id)
            .await?
            .ok_or_else(|| not_reviewable(id, "no_changes_recorded"))
    }

    /// The run, its changes and its automation (deleted ones too), when its changes wait
    /// for review.
    async fn pending_review(&self, id: &RunId) -> Result<(Run, RunChanges, Automation)> {
        let mut conn = self.shared.store.connection().await?;
        let run = store::runs::get(&mut conn, id)
            .await?
            .ok_or_else(|| Error::NotFound {
                entity: "run",
                id: id.to_string(),
            })?;
        let changes = store::changes::get(&mut conn, id).await?;
        let Some(changes) = changes else {
            return Err(not_reviewable(
                id,
                if run.state.is_terminal() {
                    "no_changes_recorded"
                } else {
                    "run_not_finished"
                },
            ));
        };
        match changes.worktree.as_ref().map(|w| w.review) {
            None => return Err(not_reviewable(id, "not_a_worktree_run")),
            Some(Review::Empty) => return Err(not_reviewable(id, "no_changes_to_review")),
            Some(Review::Applied) => return Err(not_reviewable(id, "already_applied")),
            Some(Review::Discarded) => return Err(not_reviewable(id, "already_discarded")),
            Some(Review::Superseded) => {
                let by = changes
                    .worktree
                    .as_ref()
                    .and_then(|w| w.superseded_by.as_ref())
                    .map_or_else(|| "a follow-up".to_owned(), |by| format!("run {by}"));
                return Err(Error::InvalidInput(vec![ValidationDetail::new(
                    "run_id",
                    "superseded_by_follow_up",
                )
                .with_hint(format!(
                    "run {id}: its changes are part of {by}, which continued on top of them; apply or discard that run"
                ))]));
            }
            Some(Review::Pending) => {}
        }
        // A follow-up working on top of these changes will take them into its own commit.
        if let Some(active) = store::runs::follow_ups(&mut conn, id)
            .await?
            .into_iter()
            .find(|r| !r.state.is_terminal())
        {
            return Err(Error::InvalidInput(vec![ValidationDetail::new(
                "run_id",
                "follow_up_active",
            )
            .with_hint(format!(
                "run {id}: its follow-up run {} is {}; wait for it to end, then review that run",
                active.id,
                active.state.as_str()
            ))]));
        }
        let automation = store::automations::get_including_deleted(&mut conn, &run.automation_id)
            .await?
            .ok_or_else(|| Error::NotFound {
                entity: "automation",
                id: run.automation_id.to_string(),
            })?;
        Ok((run, changes, automation))
    }

    /// Refuses while another run writes in `work_area`.
    /// The originals a run left on disk: the files it changed in place, as they were before.
    /// Only a run ended by a crash leaves any (a run that ends normally drops them once its
    /// changes are recorded).
    pub async fn run_originals(&self, id: &RunId) -> Result<Vec<Original>> {
        self.get_run(id).await?;
        let data_dir = self.shared.data_dir.clone();
        let run_id = id.to_string();
        tokio::task::spawn_blocking(move || originals::list(&data_dir, &run_id))
            .await
            .map_err(std::io::Error::other)
            .and_then(|listed| listed)
            .map_err(|source| Error::Io {
                context: format!("the originals of run {id} cannot be read"),
                source,
            })
    }

    /// Puts the files a crashed run changed back as they were before it, then drops the
    /// originals. Refused while the run is active or another run writes there.
    pub async fn restore_originals(&self, id: &RunId) -> Result<Vec<String>> {
        let run = self.get_run(id).await?;
        if !run.state.is_terminal() {
            return Err(Error::InvalidInput(vec![ValidationDetail::new(
                "run_id",
                "run_still_active",
            )
            .with_hint("cancel the run first, or wait for it to end")]));
        }
        self.ensure_idle(&run.writer_key, id).await?;
        let (data_dir, run_id) = (self.shared.data_dir.clone(), id.to_string());
        let work_area = PathBuf::from(&run.writer_key);
        let restored =
            tokio::task::spawn_blocking(move || originals::restore(&data_dir, &run_id, &work_area))
                .await
                .map_err(std::io::Error::other)
                .and_then(|restored| restored)
                .map_err(|source| Error::Io {
                    context: format!("the originals of run {id} cannot be restored"),
                    source,
                })?;
        tracing::info!(run = %id, files = restored.len(), "restored a run's originals");
        Ok(restored)
    }

    async fn ensure_idle(&self, work_area: &str, except: &RunId) -> Result<()> {
        let mut conn = self.shared.store.connection().await?;
        match store::runs::active_writer(&mut conn, work_area).await? {
            Some(run) if &run != except => Err(Error::WorkAreaBusy {
                path: work_area.to_owned(),
                run_id: run.to_string(),
            }),
            _ => Ok(()),
        }
    }

    /// After an automation's deletion: removes its worktree and branch, unless runs' changes
    /// still wait for review or the worktree holds uncommitted work; then it is kept and
    /// described.
    pub(crate) async fn remove_worktree_of(
        &self,
        automation: &Automation,
    ) -> Result<Option<KeptWorktree>> {
        let Placement::Worktree { name } = &automation.spec.placement else {
            return Ok(None);
        };
        let runs = {
            let mut conn = self.shared.store.connection().await?;
            store::changes::worktree_runs_of_automation(&mut conn, &automation.id).await?
        };
        let workspace = PathBuf::from(&automation.spec.workspace);
        let (name, ids) = (
            name.clone(),
            runs.iter().map(RunId::to_string).collect::<Vec<_>>(),
        );
        let branch = git::worktree_branch(&name);
        let path = git::worktree_path(&workspace, &name).display().to_string();
        let outcome = blocking(move || git::remove_worktree(&workspace, &name, &ids)).await?;
        Ok(match outcome {
            RemoveOutcome::Removed => None,
            RemoveOutcome::Kept { unapplied, message } => Some(KeptWorktree {
                path,
                branch,
                unapplied_runs: unapplied.into_iter().map(RunId::from_string).collect(),
                message,
            }),
        })
    }

    /// Waits (a few seconds at most) until this process no longer drives runs of
    /// `automation`, so their changes are recorded before the worktree is cleaned up.
    pub(crate) async fn settle_runs_of(&self, automation: &AutomationId) {
        let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
        while self.shared.drives_runs_of(automation) && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    }
}

fn not_reviewable(id: &RunId, message: &str) -> Error {
    let hint = match message {
        "not_a_worktree_run" => {
            "only runs of automations with worktree placement can be applied or discarded; in-place runs changed the workspace directly"
        }
        "no_changes_to_review" => "the run changed nothing",
        "already_applied" => "the run's changes are already on the workspace's branch",
        "already_discarded" => "the run's changes were discarded",
        "run_not_finished" => "wait for the run to end",
        _ => "the run recorded no changes",
    };
    Error::InvalidInput(vec![
        ValidationDetail::new("run_id", message).with_hint(format!("run {id}: {hint}"))
    ])
}

async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, git::GitError> + Send + 'static,
) -> Result<T> {
    match tokio::task::spawn_blocking(work).await {
        Ok(result) => Ok(result?),
        Err(e) => Err(Error::Io {
            context: "a git operation stopped".into(),
            source: std::io::Error::other(e),
        }),
    }
}
