//! Liveness across processes: this process's lease, closing runs of dead processes, and
//! following other processes' changes through the outbox.

use std::sync::Arc;
use std::time::Duration;

use chrono::TimeDelta;
use tokio_util::sync::CancellationToken;

use super::{EngineConfig, Shared};
use crate::error::{Error, Result};
use crate::events::Event;
use crate::ledger::{RunState, StopReason, Transition};
use crate::{changes, store};

/// Outbox events older than this are dropped at start-up; the ledger keeps the history.
const OUTBOX_RETENTION_DAYS: i64 = 7;

fn expiry(shared: &Shared, ttl: Duration) -> chrono::DateTime<chrono::Utc> {
    shared.clock.now() + TimeDelta::from_std(ttl).unwrap_or(TimeDelta::seconds(30))
}

pub(super) async fn take(shared: &Shared, config: &EngineConfig) -> Result<()> {
    let mut conn = shared.store.pool().acquire().await?;
    store::instances::register(
        &mut conn,
        &shared.instance,
        &config.label,
        shared.clock.now(),
        expiry(shared, config.lease_ttl),
    )
    .await
}

pub(super) async fn release(shared: &Shared) -> Result<()> {
    let mut conn = shared.store.pool().acquire().await?;
    store::instances::release(&mut conn, &shared.instance).await
}

/// Keeps what a closed orphan changed in its worktree (see [`changes::recover`]).
async fn recover_changes(shared: &Shared, run: &crate::ledger::Run) {
    let recovered = async {
        let automation = {
            let mut conn = shared.store.pool().acquire().await?;
            store::automations::get_including_deleted(&mut conn, &run.automation_id).await?
        };
        let Some(automation) = automation else {
            return Ok(None);
        };
        let (id, now) = (run.id.clone(), shared.clock.now());
        let changes = tokio::task::spawn_blocking(move || changes::recover(&automation, &id, now))
            .await
            .map_err(|e| Error::Io {
                context: "recovering a worktree's changes stopped".into(),
                source: std::io::Error::other(e),
            })??;
        if let Some(changes) = &changes {
            let mut conn = shared.store.pool().acquire().await?;
            store::changes::put(&mut conn, changes).await?;
        }
        Ok::<_, Error>(changes)
    };
    match recovered.await {
        Ok(Some(changes)) => {
            tracing::info!(run = %run.id, files = changes.summary.files_changed, "recovered the changes of a run left by a dead process")
        }
        Ok(None) => {}
        Err(e) => {
            tracing::warn!(run = %run.id, error = %e, "could not recover the changes of a run left by a dead process")
        }
    }
}

/// Closes active runs whose owning process holds no live lease: `queued`/`running` become
/// `stopped`/`expired`, `awaiting_input` becomes `stopped`/`blocker_lost`. Their writer keys
/// are freed with them.
pub(super) async fn recover_orphans(shared: &Shared) -> Result<usize> {
    let orphans = {
        let mut conn = shared.store.pool().acquire().await?;
        store::runs::orphaned(&mut conn, shared.clock.now()).await?
    };
    let mut closed = 0;
    for run in orphans {
        let reason = if run.state == RunState::AwaitingInput {
            StopReason::BlockerLost
        } else {
            StopReason::Expired
        };
        match shared
            .recorder
            .apply(&run.id, Transition::Stop(reason))
            .await
        {
            Ok(_) => {
                closed += 1;
                tracing::info!(run = %run.id, reason = %reason, "closed a run left by a dead process");
                if run.started_at.is_some() {
                    recover_changes(shared, &run).await;
                }
            }
            Err(Error::IllegalTransition { .. }) => {} // closed meanwhile by someone else
            Err(e) => return Err(e),
        }
    }
    let mut conn = shared.store.pool().acquire().await?;
    store::instances::delete_expired(&mut conn, shared.clock.now()).await?;
    Ok(closed)
}

pub(super) async fn prune_outbox(shared: &Shared) -> Result<()> {
    let mut conn = shared.store.pool().acquire().await?;
    let before = shared.clock.now() - TimeDelta::days(OUTBOX_RETENTION_DAYS);
    store::events::prune(&mut conn, before).await?;
    Ok(())
}

/// Renews the lease every third of its life and closes other processes' orphans.
pub(super) async fn keep(
    shared: Arc<Shared>,
    ttl: Duration,
    label: String,
    stop: CancellationToken,
) {
    let period = ttl / 3;
    loop {
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = tokio::time::sleep(period) => {}
        }
        let renewed = async {
            let mut conn = shared.store.pool().acquire().await?;
            let alive =
                store::instances::renew(&mut conn, &shared.instance, expiry(&shared, ttl)).await?;
            if !alive {
                // Another process judged us dead (we were suspended past the lease) and may
                // have closed our runs; those see it through the outbox. Take a new lease.
                tracing::warn!("this process's lease had expired; taking a new one");
                store::instances::register(
                    &mut conn,
                    &shared.instance,
                    &label,
                    shared.clock.now(),
                    expiry(&shared, ttl),
                )
                .await?;
            }
            Ok::<_, Error>(())
        }
        .await;
        if let Err(e) = renewed {
            tracing::warn!(error = %e, "could not renew the lease");
        }
        if let Err(e) = recover_orphans(&shared).await {
            tracing::warn!(error = %e, "could not close runs of dead processes");
        }
    }
}

/// Reads other processes' events from the outbox, publishes them here, and reacts to the
/// ones about runs this process drives (stopped elsewhere, answered elsewhere).
pub(super) async fn follow(
    shared: Arc<Shared>,
    mut after: i64,
    interval: Duration,
    stop: CancellationToken,
) {
    loop {
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = tokio::time::sleep(interval) => {}
        }
        let batch = async {
            let mut conn = shared.store.pool().acquire().await?;
            store::events::since(&mut conn, after, 500).await
        }
        .await;
        let batch = match batch {
            Ok(batch) => batch,
            Err(e) => {
                tracing::warn!(error = %e, "could not read the event outbox");
                continue;
            }
        };
        for stored in batch {
            after = stored.record.seq;
            if stored.origin == shared.instance.as_str() {
                continue;
            }
            match &stored.record.event {
                Event::RunUpdated(run) if run.state.is_terminal() => {
                    if let Some((token, _)) = shared.active_run(&run.id) {
                        token.cancel();
                    }
                }
                Event::AutomationUpdated(_) | Event::AutomationDeleted { .. } => {
                    shared.schedule_changed.notify_one();
                }
                Event::BlockerResolved { run_id, .. } => {
                    if let Some((_, resumed)) = shared.active_run(run_id) {
                        resumed.notify_one();
                    }
                }
                _ => {}
            }
            shared.bus.publish(stored.record);
        }
    }
}
