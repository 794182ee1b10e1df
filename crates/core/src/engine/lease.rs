//! Liveness across processes: this process's lease, closing runs of dead processes, and
//! following other processes' changes through the outbox.
//!
//! A process is dead when its lease runs out, or sooner when it visibly is: registered from
//! this machine (same boot and pid namespace) and its pid is gone, a zombie, or names a
//! process started at another time (the pid was reused).

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use chrono::TimeDelta;
use sqlx::postgres::PgListener;
use tokio_util::sync::CancellationToken;

use super::health::{self, Health};
use super::{EngineConfig, Shared};
use crate::error::{Error, Result};
use crate::events::Event;
use crate::ids::InstanceId;
use crate::ledger::recorder::changes_slots;
use crate::ledger::{RunState, StopReason, Transition};
use crate::{changes, store};

/// Outbox events older than this are dropped at start-up; the ledger keeps the history.
const OUTBOX_RETENTION_DAYS: i64 = 7;

fn expiry(shared: &Shared, ttl: Duration) -> chrono::DateTime<chrono::Utc> {
    shared.clock.now() + TimeDelta::from_std(ttl).unwrap_or(TimeDelta::seconds(30))
}

/// Names the machine in the ledger instead of its boot and pid namespace: for workers whose
/// boot ids are alike (containers) yet see different processes, and for tests that play
/// several machines on one. Processes with the same host id check each other's pids.
pub const HOST_ID_ENV: &str = "AUTOWORK_HOST_ID";

/// This process as other processes on this machine can check it; the same for its life.
struct ProcessStamp {
    pid: u32,
    started: Option<i64>,
    host: Option<String>,
}

fn this_process() -> &'static ProcessStamp {
    static STAMP: OnceLock<ProcessStamp> = OnceLock::new();
    STAMP.get_or_init(|| {
        let pid = std::process::id();
        ProcessStamp {
            pid,
            started: proc_info::stat(pid).map(|(_, started)| started),
            host: std::env::var(HOST_ID_ENV)
                .ok()
                .filter(|id| !id.trim().is_empty())
                .or_else(proc_info::host),
        }
    })
}

fn registration<'a>(shared: &'a Shared, label: &'a str) -> store::instances::Registration<'a> {
    let me = this_process();
    store::instances::Registration {
        label,
        pid: me.pid,
        pid_started: me.started,
        host: me.host.as_deref(),
        name: &shared.worker.host_name,
        serves: shared.worker.registered(),
    }
}

/// The machine as people know it: the host id when one is given (it names the machine for
/// the ledger), else the host name.
pub(super) fn host_name() -> String {
    if let Some(id) = std::env::var(HOST_ID_ENV)
        .ok()
        .filter(|id| !id.trim().is_empty())
    {
        return id.trim().to_owned();
    }
    nix::unistd::gethostname()
        .ok()
        .and_then(|name| name.into_string().ok())
        .filter(|name| !name.is_empty())
        .unwrap_or_else(|| "this computer".to_owned())
}

/// What can be told about a process from here: only `Dead` closes its runs early.
#[derive(Debug, PartialEq)]
enum Liveness {
    Dead,
    AliveOrUnknown,
}

fn liveness(pid: i64, started: Option<i64>) -> Liveness {
    let Ok(pid) = u32::try_from(pid) else {
        return Liveness::AliveOrUnknown;
    };
    if !proc_info::exists(pid) {
        return Liveness::Dead;
    }
    match proc_info::stat(pid) {
        Some(('Z' | 'X', _)) => Liveness::Dead,
        Some((_, now_started)) if started.is_some_and(|s| s != now_started) => Liveness::Dead,
        // Unreadable (another user's process under `hidepid`): the lease decides.
        _ => Liveness::AliveOrUnknown,
    }
}

#[cfg(target_os = "linux")]
mod proc_info {
    use nix::errno::Errno;
    use nix::sys::signal::kill;
    use nix::unistd::Pid;

    /// The boot and the pid namespace: a pid from another machine, boot or container means
    /// nothing here and is never checked.
    pub fn host() -> Option<String> {
        let boot = std::fs::read_to_string("/proc/sys/kernel/random/boot_id").ok()?;
        let namespace = std::fs::read_link("/proc/self/ns/pid").ok()?;
        Some(format!("{}/{}", boot.trim(), namespace.display()))
    }

    /// False only when the kernel says no such process (a signal-0 probe; `EPERM` means it
    /// exists and belongs to someone else).
    pub fn exists(pid: u32) -> bool {
        match i32::try_from(pid) {
            Ok(raw) if raw > 0 => kill(Pid::from_raw(raw), None) != Err(Errno::ESRCH),
            _ => true,
        }
    }

    /// The state letter and start time (clock ticks since boot: fields 3 and 22 of
    /// /proc/<pid>/stat).
    pub fn stat(pid: u32) -> Option<(char, i64)> {
        let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
        parse_stat(&text)
    }

    pub(super) fn parse_stat(text: &str) -> Option<(char, i64)> {
        // The command name (field 2) is in parentheses and may hold spaces and parentheses
        // itself: the fields after it start after the last `)`.
        let (_, rest) = text.rsplit_once(')')?;
        let mut fields = rest.split_whitespace();
        let state = fields.next()?.chars().next()?;
        // Field 3 was the state; field 22 is 19 further on.
        let started = fields.nth(18)?.parse().ok()?;
        Some((state, started))
    }
}

/// Elsewhere no identity is known: only the lease decides.
#[cfg(not(target_os = "linux"))]
mod proc_info {
    pub fn host() -> Option<String> {
        None
    }

    pub fn exists(_pid: u32) -> bool {
        true
    }

    pub fn stat(_pid: u32) -> Option<(char, i64)> {
        None
    }
}

pub(super) async fn take(shared: &Shared, config: &EngineConfig) -> Result<()> {
    let mut conn = shared.store.connection().await?;
    store::instances::register(
        &mut conn,
        &shared.instance,
        &registration(shared, &config.label),
        shared.clock.now(),
        expiry(shared, config.lease_ttl),
    )
    .await
}

/// Forgets the instances on this machine whose process is visibly dead, so their runs
/// count as orphans now instead of when their lease runs out.
async fn forget_dead_instances(shared: &Shared) -> Result<usize> {
    let Some(host) = this_process().host.as_deref() else {
        return Ok(0);
    };
    let mut conn = shared.store.connection().await?;
    let neighbours = store::instances::on_host(&mut conn, host, &shared.instance).await?;
    let mut forgotten = 0;
    for neighbour in neighbours {
        if liveness(neighbour.pid, neighbour.pid_started) == Liveness::Dead {
            let id = InstanceId::from_string(neighbour.id);
            tracing::info!(instance = %id, pid = neighbour.pid, "the process of an engine instance is gone; closing its runs now");
            store::instances::release(&mut conn, &id).await?;
            forgotten += 1;
        }
    }
    Ok(forgotten)
}

/// When a run holds `work_area`, closes the runs of dead processes first: a work area whose
/// holder died is free at once, not when the holder's lease runs out.
pub(super) async fn free_work_area_of_dead(shared: &Shared, work_area: &str) -> Result<()> {
    let held = {
        let mut conn = shared.store.connection().await?;
        store::runs::active_writer(&mut conn, work_area).await?
    };
    if held.is_some() {
        recover_orphans(shared).await?;
    }
    Ok(())
}

pub(super) async fn release(shared: &Shared) -> Result<()> {
    let mut conn = shared.store.connection().await?;
    store::instances::release(&mut conn, &shared.instance).await
}

/// Keeps what a closed orphan changed in its worktree (see [`changes::recover`]).
async fn recover_changes(shared: &Shared, run: &crate::ledger::Run) {
    let recovered = async {
        let automation = {
            let mut conn = shared.store.connection().await?;
            store::automations::get_including_deleted(&mut conn, &run.automation_id).await?
        };
        let Some(automation) = automation else {
            return Ok(None);
        };
        let (id, now) = (run.id.clone(), shared.clock.now());
        let parent = run.follow_up.as_ref().map(|f| f.of.clone());
        let recovered = tokio::task::spawn_blocking(move || {
            changes::recover(&automation, &id, parent.as_ref(), now)
        })
        .await
        .map_err(|e| Error::Io {
            context: "recovering a worktree's changes stopped".into(),
            source: std::io::Error::other(e),
        })??;
        let Some((changes, superseded)) = recovered else {
            return Ok(None);
        };
        let mut tx = shared.store.begin_write().await?;
        store::changes::put(&mut tx, &changes).await?;
        if let Some(parent) = &superseded {
            store::changes::supersede(&mut tx, parent, &changes.run_id).await?;
        }
        tx.commit().await?;
        Ok::<_, Error>(Some(changes))
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

/// Closes active runs whose owning process holds no live lease or is visibly dead:
/// `queued`/`running` become `stopped`/`expired`, `awaiting_input` becomes
/// `stopped`/`blocker_lost`. Their writer keys are freed with them.
pub(super) async fn recover_orphans(shared: &Shared) -> Result<usize> {
    forget_dead_instances(shared).await?;
    let orphans = {
        let mut conn = shared.store.connection().await?;
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
    let mut conn = shared.store.connection().await?;
    store::instances::delete_expired(&mut conn, shared.clock.now()).await?;
    Ok(closed)
}

pub(super) async fn prune_outbox(shared: &Shared) -> Result<()> {
    let mut conn = shared.store.connection().await?;
    let before = shared.clock.now() - TimeDelta::days(OUTBOX_RETENTION_DAYS);
    store::events::prune(&mut conn, before).await?;
    Ok(())
}

/// Renews the lease every third of its life and closes other processes' orphans; at once
/// when the store comes back after an outage (the lease may have run out meanwhile).
pub(super) async fn keep(
    shared: Arc<Shared>,
    health: Health,
    ttl: Duration,
    label: String,
    stop: CancellationToken,
) {
    let period = ttl / 3;
    let mut reconnections = health.reconnections();
    loop {
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = tokio::time::sleep(period) => {}
            _ = health::reconnected(&mut reconnections) => {}
        }
        // While the store is lost the prober tries it: a renewal now would only fail again.
        if !health.is_connected() && !health.wait_connected(&stop).await {
            return;
        }
        reconnections.borrow_and_update();
        let renewed = async {
            let mut conn = shared.store.connection().await?;
            let alive =
                store::instances::renew(&mut conn, &shared.instance, expiry(&shared, ttl)).await?;
            if !alive {
                // Another process judged us dead (we were suspended past the lease) and may
                // have closed our runs; those see it through the outbox. Take a new lease.
                tracing::warn!("this process's lease had expired; taking a new one");
                store::instances::register(
                    &mut conn,
                    &shared.instance,
                    &registration(&shared, &label),
                    shared.clock.now(),
                    expiry(&shared, ttl),
                )
                .await?;
            }
            Ok::<_, Error>(())
        }
        .await;
        if let Err(e) = renewed {
            if health.report(&e, shared.clock.now()) {
                continue; // the store is gone: closing others' runs would fail too
            }
            tracing::warn!(error = %e, "could not renew the lease");
        }
        if let Err(e) = recover_orphans(&shared).await {
            if !health.report(&e, shared.clock.now()) {
                tracing::warn!(error = %e, "could not close runs of dead processes");
            }
        }
    }
}

/// How long a worker listening on a team database goes without a notice before it reads the
/// outbox anyway: a notice sent while the listener was reconnecting is lost.
const LISTENING_SAFETY_NET: Duration = Duration::from_secs(5);

/// Returns when the outbox is worth reading again: when a team database notifies that
/// another process committed events (or the listener lost its connection, which it re-opens:
/// notices may have been missed), or after the safety net; on SQLite after `interval`.
/// A lost connection that the listener could not re-open is reported to `health` (the
/// follower then waits for the prober).
async fn next_look(
    listener: Option<&mut PgListener>,
    shared: &Shared,
    health: &Health,
    interval: Duration,
) {
    let Some(listener) = listener else {
        return tokio::time::sleep(interval).await;
    };
    let own = &shared.instance;
    let notice_from_others = async {
        loop {
            match listener.try_recv().await {
                Ok(Some(notice)) if notice.payload() == own.as_str() => continue,
                Ok(_) => return,
                Err(e) => {
                    let e = Error::from(e);
                    if !health.report(&e, shared.clock.now()) {
                        // Reconnecting failed: wait before the next try rather than spin.
                        tracing::warn!(error = %e, "lost the team database's event notices");
                        tokio::time::sleep(interval).await;
                    }
                    return;
                }
            }
        }
    };
    tokio::select! {
        _ = notice_from_others => {}
        _ = tokio::time::sleep(LISTENING_SAFETY_NET) => {}
    }
}

/// Reads other processes' events from the outbox, publishes them here, and reacts to the
/// ones about runs this process drives (stopped elsewhere, answered elsewhere). While the
/// store is lost it waits for the prober, then reads on at once.
pub(super) async fn follow(
    shared: Arc<Shared>,
    health: Health,
    mut after: i64,
    mut listener: Option<PgListener>,
    interval: Duration,
    stop: CancellationToken,
) {
    // After a read that found events, the next read goes at once: a notice may stand for
    // more than one batch.
    let mut found = false;
    let mut reconnections = health.reconnections();
    loop {
        if stop.is_cancelled() {
            return;
        }
        if !health.is_connected() {
            if !health.wait_connected(&stop).await {
                return;
            }
            // The listener's connection may have been left broken: a new one listens again
            // (the old one drops). Notices sent meanwhile are lost: read now.
            if listener.is_some() {
                match shared.store.listen_for_events().await {
                    Ok(fresh) => listener = fresh,
                    Err(e) => {
                        health.report(&e, shared.clock.now());
                    }
                }
            }
            found = true;
        }
        if !found {
            tokio::select! {
                _ = stop.cancelled() => return,
                _ = next_look(listener.as_mut(), &shared, &health, interval) => {}
                // Back after an outage noticed elsewhere: read what was missed at once.
                _ = health::reconnected(&mut reconnections) => {}
            }
        }
        reconnections.borrow_and_update();
        let batch = async {
            let mut conn = shared.store.connection().await?;
            store::events::others_since(&mut conn, after, 500, &shared.instance).await
        }
        .await;
        let batch = match batch {
            Ok((batch, last)) => {
                found = last.is_some();
                after = last.unwrap_or(after);
                batch
            }
            Err(e) => {
                found = false;
                if !health.report(&e, shared.clock.now()) {
                    tracing::warn!(error = %e, "could not read the event outbox");
                }
                continue;
            }
        };
        for record in batch {
            match &record.event {
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
                Event::BlockerRaised {
                    run_id,
                    automation_id,
                    blocker,
                    ..
                } => {
                    super::remote::blocker_raised_elsewhere(&shared, run_id, automation_id, blocker)
                }
                _ => {}
            }
            if changes_slots(&record.event) {
                shared.queue.wake();
            }
            shared.bus.publish(record);
        }
    }
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    #[test]
    fn stat_fields_are_read_after_a_command_name_with_spaces_and_parentheses() {
        let text = "4242 (tokio (rt) x) S 1 4242 4242 0 -1 4194560 1 0 0 0 0 0 0 0 20 0 2 0 \
                    987654 12345 67 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0";
        assert_eq!(proc_info::parse_stat(text), Some(('S', 987654)));
    }

    #[test]
    fn this_process_is_alive_and_a_reused_pid_or_a_gone_one_is_dead() {
        let me = this_process();
        let pid = i64::from(me.pid);
        assert!(
            me.started.is_some() && me.host.is_some(),
            "Linux says who we are"
        );
        assert_eq!(liveness(pid, me.started), Liveness::AliveOrUnknown);
        assert_eq!(
            liveness(pid, me.started.map(|s| s + 1)),
            Liveness::Dead,
            "same pid, another start: the pid was reused"
        );
        // Above the kernel's pid limit (at most 2^22): no such process.
        assert_eq!(liveness(1 << 23, None), Liveness::Dead);
    }
}
