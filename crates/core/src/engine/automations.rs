//! Automation operations: create, read, update with optimistic concurrency, pause, delete.

use serde_json::Value;

use super::Deleted;
use super::{Engine, Shared};
use crate::agent::permissions::{self, BashDecision};
use crate::definition::status::Upcoming;
use crate::definition::{
    merge_patch, parse_spec, Automation, AutomationStatus, PausedReason, ValidationContext,
};
use crate::error::{Error, Result, ValidationDetail};
use crate::events::Event;
use crate::ids::{AutomationId, SessionId};
use crate::ledger::StopReason;
use crate::store;

impl Engine {
    /// Validates `input` (every problem reported at once) and stores it at revision 1.
    pub async fn create_automation(&self, input: &Value) -> Result<Automation> {
        let now = self.shared.clock.now();
        let catalog = self.shared.catalog();
        let ctx = ValidationContext {
            catalog: &catalog,
            now,
        };
        let spec = parse_spec(input, &ctx, &|_| true).map_err(Error::InvalidAutomation)?;
        let mut automation = Automation {
            id: AutomationId::new(),
            spec,
            revision: 1,
            session_id: None,
            created_at: now,
            updated_at: now,
            status: Default::default(),
            schedule_anchor: None,
        };
        automation.status =
            AutomationStatus::derive(&automation, Default::default(), now, Upcoming::Five.at(0));
        let mut tx = self.shared.store.begin_write().await?;
        store::automations::insert(&mut tx, &automation).await?;
        self.shared
            .recorder
            .commit(tx, vec![Event::AutomationUpdated(automation.clone())])
            .await?;
        Ok(automation)
    }

    /// What the automation's rules decide for a bash command, command by command. Nothing
    /// runs.
    pub async fn check_command(&self, id: &AutomationId, command: &str) -> Result<BashDecision> {
        let mut conn = self.shared.store.connection().await?;
        let automation = store::automations::get(&mut conn, id)
            .await?
            .ok_or_else(|| not_found(id))?;
        Ok(permissions::decide_bash(
            &automation.spec.permissions,
            command,
        ))
    }

    pub async fn get_automation(&self, id: &AutomationId) -> Result<Automation> {
        let mut conn = self.shared.store.connection().await?;
        let automation = store::automations::get(&mut conn, id)
            .await?
            .ok_or_else(|| not_found(id))?;
        let mut one = [automation];
        store::status::fill(&mut conn, &mut one, self.shared.clock.now(), Upcoming::Five).await?;
        let [automation] = one;
        Ok(automation)
    }

    /// Applies `patch` (the fields to change) if the automation is still at
    /// `expected_revision`; otherwise fails with `RevisionConflict` carrying the current one.
    pub async fn update_automation(
        &self,
        id: &AutomationId,
        patch: &Value,
        expected_revision: u64,
    ) -> Result<Automation> {
        update(&self.shared, id, patch, expected_revision).await
    }

    /// Pauses or resumes the schedule (Run now works either way). Applies to the latest
    /// revision; a no-op when already so.
    pub async fn set_paused(&self, id: &AutomationId, paused: bool) -> Result<Automation> {
        loop {
            let current = self.get_automation(id).await?;
            if current.spec.paused == paused {
                return Ok(current);
            }
            let patch = serde_json::json!({ "paused": paused });
            match self.update_automation(id, &patch, current.revision).await {
                Err(Error::RevisionConflict { .. }) => continue, // changed meanwhile: retry on the new revision
                other => return other,
            }
        }
    }

    /// "Pause all schedules": pauses every scheduled automation that runs on its own, marked
    /// so that resuming (`paused = false`) resumes exactly those and leaves the ones the user
    /// paused one by one alone. Returns how many changed.
    pub async fn pause_all_schedules(&self, paused: bool) -> Result<u32> {
        let now = self.shared.clock.now();
        let mut tx = self.shared.store.begin_write().await?;
        let mut changed = Vec::new();
        for current in store::automations::list(&mut tx).await? {
            let applies = if paused {
                !current.spec.paused && current.spec.trigger != crate::definition::Trigger::Manual
            } else {
                current.spec.paused && current.status.paused_reason == Some(PausedReason::AllPaused)
            };
            if !applies {
                continue;
            }
            let mut next = Automation {
                revision: current.revision + 1,
                updated_at: now,
                ..current.clone()
            };
            next.spec.paused = paused;
            next.status.paused_reason = paused.then_some(PausedReason::AllPaused);
            if !store::automations::update_engine_owned(&mut tx, &next, current.revision).await? {
                return Err(Error::Corrupt(format!(
                    "automation {} vanished while pausing all schedules",
                    current.id
                )));
            }
            changed.push(next);
        }
        store::status::fill(&mut tx, &mut changed, now, Upcoming::Next).await?;
        let count = u32::try_from(changed.len()).unwrap_or(u32::MAX);
        let events = changed.into_iter().map(Event::AutomationUpdated).collect();
        self.shared.recorder.commit(tx, events).await?;
        Ok(count)
    }

    /// Whether "Pause all schedules" is in effect (some automation is paused by it).
    pub async fn all_schedules_paused(&self) -> Result<bool> {
        let mut conn = self.shared.store.connection().await?;
        store::automations::any_paused_by_all(&mut conn).await
    }

    /// Deletes an automation. A run of it that was active is stopped (`deleted`) and
    /// returned. Its run history stays readable.
    pub async fn delete_automation(&self, id: &AutomationId) -> Result<Deleted> {
        // Stop this process's executions before the first await, so none gets further.
        self.shared.cancel_local_runs_of(id);
        // Mark it deleted first: run_now checks this in its own transaction, so no new
        // run can start once the active ones below are stopped.
        let mut tx = self.shared.store.begin_write().await?;
        let Some(automation) = store::automations::get(&mut tx, id).await? else {
            return Err(not_found(id));
        };
        let revision = automation.revision + 1;
        store::automations::mark_deleted(&mut tx, id, revision, self.shared.clock.now()).await?;
        let active = store::runs::active_for_automation(&mut tx, id).await?;
        self.shared
            .recorder
            .commit(
                tx,
                vec![Event::AutomationDeleted {
                    id: id.clone(),
                    revision,
                }],
            )
            .await?;
        let mut stopped = None;
        for run in active {
            match self.stop_run(&run.id, StopReason::Deleted).await {
                Ok(run) => {
                    stopped.get_or_insert(run);
                }
                Err(Error::IllegalTransition { .. }) => {} // it finished meanwhile
                Err(e) => return Err(e),
            }
        }
        // The stopped runs record their changes as they end; then the worktree can go,
        // unless it holds changes nobody reviewed.
        self.settle_runs_of(id).await;
        let kept_worktree = match self.remove_worktree_of(&automation).await {
            Ok(kept) => kept,
            Err(e) => {
                tracing::warn!(automation = %id, error = %e, "could not remove the worktree of a deleted automation");
                None
            }
        };
        Ok(Deleted {
            stopped,
            kept_worktree,
        })
    }
}

/// The update behind [`Engine::update_automation`], also used by runs (an "always" reply
/// adds a permission rule).
pub(crate) async fn update(
    shared: &Shared,
    id: &AutomationId,
    patch: &Value,
    expected_revision: u64,
) -> Result<Automation> {
    if patch.as_object().is_some_and(|p| p.is_empty()) {
        // Nothing to change: refuse rather than make an empty revision.
        return Err(Error::InvalidInput(vec![ValidationDetail::new(
            "",
            "empty_patch",
        )
        .with_hint("give at least one field to change")]));
    }
    let mut tx = shared.store.begin_write().await?;
    let current = store::automations::get(&mut tx, id)
        .await?
        .ok_or_else(|| not_found(id))?;
    if current.revision != expected_revision {
        return Err(Error::RevisionConflict {
            id: id.to_string(),
            expected_revision,
            current_revision: current.revision,
        });
    }
    let now = shared.clock.now();
    let (merged, changed) = merge_patch(&current.spec, patch).map_err(Error::InvalidAutomation)?;
    let catalog = shared.catalog();
    let ctx = ValidationContext {
        catalog: &catalog,
        now,
    };
    let is_changed = |field: &str| changed.iter().any(|c| c == field);
    let spec = parse_spec(&merged, &ctx, &is_changed).map_err(Error::InvalidAutomation)?;
    if spec == current.spec {
        // The same values again: no new revision, so no other window holding this one gets
        // a conflict for nothing, and no event. The transaction wrote nothing; it rolls back.
        let mut one = [current];
        store::status::fill(&mut tx, &mut one, now, Upcoming::Five).await?;
        let [current] = one;
        return Ok(current);
    }
    let mut updated = Automation {
        spec,
        revision: current.revision + 1,
        updated_at: now,
        ..current
    };
    if !updated.spec.paused {
        // Resuming clears why the engine paused it.
        updated.status.paused_reason = None;
    }
    if !store::automations::update(&mut tx, &updated, expected_revision).await? {
        return Err(Error::Corrupt(format!(
            "automation {id} vanished during an update"
        )));
    }
    let mut one = [updated];
    store::status::fill(&mut tx, &mut one, now, Upcoming::Five).await?;
    let [updated] = one;
    shared
        .recorder
        .commit(tx, vec![Event::AutomationUpdated(updated.clone())])
        .await?;
    Ok(updated)
}

/// Applies `patch` to the latest revision, retrying when another change lands meanwhile.
pub(crate) async fn update_latest(
    shared: &Shared,
    id: &AutomationId,
    patch: impl Fn(&Automation) -> Value,
) -> Result<Automation> {
    loop {
        let current = {
            let mut conn = shared.store.connection().await?;
            store::automations::get(&mut conn, id)
                .await?
                .ok_or_else(|| not_found(id))?
        };
        match update(shared, id, &patch(&current), current.revision).await {
            Err(Error::RevisionConflict { .. }) => continue,
            other => return other,
        }
    }
}

/// Records the session that `context = continue` reuses (a new revision and one
/// `automation.updated`).
pub(crate) async fn set_session(
    shared: &Shared,
    id: &AutomationId,
    session: &SessionId,
) -> Result<Automation> {
    let mut tx = shared.store.begin_write().await?;
    let current = store::automations::get(&mut tx, id)
        .await?
        .ok_or_else(|| not_found(id))?;
    let updated = Automation {
        session_id: Some(session.clone()),
        revision: current.revision + 1,
        updated_at: shared.clock.now(),
        ..current.clone()
    };
    if !store::automations::update(&mut tx, &updated, current.revision).await? {
        return Err(Error::Corrupt(format!(
            "automation {id} vanished during an update"
        )));
    }
    let mut one = [updated];
    store::status::fill(&mut tx, &mut one, shared.clock.now(), Upcoming::Next).await?;
    let [updated] = one;
    shared
        .recorder
        .commit(tx, vec![Event::AutomationUpdated(updated.clone())])
        .await?;
    Ok(updated)
}

fn not_found(id: &AutomationId) -> Error {
    Error::NotFound {
        entity: "automation",
        id: id.to_string(),
    }
}
