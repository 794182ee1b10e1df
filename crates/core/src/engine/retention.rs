//! Retention: the policy, the clean-up (`gc`) that removes finished runs past it with
//! everything that belongs to them, and the hourly clean-up in the process that schedules.
//! Which runs may go is decided in `store::retention`.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio_util::sync::CancellationToken;

use super::{Engine, Shared, DATABASE_FILE};
use crate::error::{Error, Result, ValidationDetail};
use crate::ids::RunId;
use crate::originals;
use crate::retention::{
    Compaction, DatabaseSpace, GcRemoval, GcReport, RetentionPolicy, REPORT_RUN_IDS_MAX,
};
use crate::store;
use crate::store::retention::{Batch, Belongings, Cutoffs};

/// Runs deleted per write transaction: a batch holds the write lock for milliseconds, so
/// other processes' writes wait no longer than for any other write.
const BATCH: u32 = 500;

/// The first clean-up after start comes this soon (or after the interval, when shorter), so
/// an app that is never open for an hour still cleans up.
const FIRST_LOOK: Duration = Duration::from_secs(300);

/// How often the scheduling process cleans up, by default.
pub const GC_INTERVAL: Duration = Duration::from_secs(3600);

impl Engine {
    /// How long finished runs are kept.
    pub async fn retention(&self) -> Result<RetentionPolicy> {
        let mut conn = self.shared.store.connection().await?;
        store::retention::policy(&mut conn).await
    }

    /// Sets how long finished runs are kept, for every process sharing the database. Nothing
    /// is removed here: the next clean-up (`gc`, or the scheduling process's hourly one)
    /// does that.
    pub async fn set_retention(&self, policy: RetentionPolicy) -> Result<RetentionPolicy> {
        policy.validate()?;
        let mut tx = self.shared.store.begin_write().await?;
        store::retention::set_policy(&mut tx, &policy).await?;
        tx.commit().await?;
        Ok(policy)
    }

    /// Removes the finished runs the policy lets go, with their transcripts, recorded
    /// changes, blocker replies and originals, then gives the freed space back to the file
    /// system. With `dry_run`, removes nothing and reports what would go.
    pub async fn gc(&self, dry_run: bool) -> Result<GcReport> {
        collect(&self.shared, self.shared.clock.now(), dry_run, true).await
    }

    /// [`Engine::gc`] with the cut-offs counted back from `as_of` (not in the future): a
    /// real run with the `as_of` of a dry run's report removes exactly what the dry run
    /// listed, unless runs changed meanwhile.
    pub async fn gc_as_of(&self, as_of: DateTime<Utc>, dry_run: bool) -> Result<GcReport> {
        let now = self.shared.clock.now();
        if as_of > now {
            return Err(Error::InvalidInput(vec![ValidationDetail::new(
                "as_of",
                "as_of_in_future",
            )
            .with_hint(format!(
                "{} is later than now ({}); runs are only removed by time already passed",
                as_of.to_rfc3339(),
                now.to_rfc3339()
            ))]));
        }
        collect(&self.shared, as_of, dry_run, true).await
    }
}

/// One clean-up at `as_of`: the runs that may go, batch after batch, oldest first.
/// `full_vacuum` allows the one full `VACUUM` a file from before incremental vacuum needs:
/// asked for (`gc`), not in the hourly clean-up, where it could hold the write lock past
/// other processes' busy timeout (their freed pages are reused all the same).
async fn collect(
    shared: &Shared,
    as_of: DateTime<Utc>,
    dry_run: bool,
    full_vacuum: bool,
) -> Result<GcReport> {
    let database = shared.data_dir.join(DATABASE_FILE);
    let bytes_before = database_size(shared, &database).await?;
    let policy = {
        let mut conn = shared.store.connection().await?;
        store::retention::policy(&mut conn).await?
    };
    let cutoffs = Cutoffs::of(&policy, as_of);
    let mut removed = GcRemoval::default();
    let mut after: Option<String> = None;
    while !policy.keeps_everything() {
        // Found with a read, so the write lock is held only for the batch's own range.
        let (found, counted) = {
            let mut conn = shared.store.connection().await?;
            let batch =
                store::retention::next_batch(&mut conn, cutoffs, after.as_deref(), None, BATCH)
                    .await?;
            let counted = if dry_run {
                store::retention::belongings(&mut conn, &batch).await?
            } else {
                Belongings::default()
            };
            (batch, counted)
        };
        let Some(through) = found.last().map(str::to_owned) else {
            break;
        };
        let full = found.run_ids.len() >= BATCH as usize;
        let (batch, belongings) = if dry_run {
            (found, counted)
        } else {
            let mut tx = shared.store.begin_write().await?;
            // Decided again under the lock, within the range read: what changed meanwhile
            // (another process cleaning up, a new review) counts.
            let batch = store::retention::next_batch(
                &mut tx,
                cutoffs,
                after.as_deref(),
                Some(&through),
                BATCH,
            )
            .await?;
            let belongings = store::retention::remove(&mut tx, &batch).await?;
            tx.commit().await?;
            (batch, belongings)
        };
        let originals_dirs = originals_of(&shared.data_dir, &batch.run_ids, !dry_run).await;
        add(&mut removed, &batch, belongings, originals_dirs);
        if !full {
            break;
        }
        after = Some(through);
    }
    let database = if dry_run {
        DatabaseSpace {
            bytes_before,
            bytes_after: None,
            compaction: Compaction::None,
        }
    } else {
        let compaction = {
            let mut conn = shared.store.writer_connection().await?;
            match conn.sqlite() {
                Some(conn) => store::retention::reclaim(conn, full_vacuum).await?,
                // The server's (auto)vacuum gives space back.
                None => Compaction::None,
            }
        };
        DatabaseSpace {
            bytes_before,
            bytes_after: Some(database_size(shared, &database).await?),
            compaction,
        }
    };
    Ok(GcReport {
        dry_run,
        as_of,
        policy,
        cutoff: policy.cutoff(as_of),
        failed_cutoff: policy.failed_cutoff(as_of),
        removed,
        database,
    })
}

fn add(removed: &mut GcRemoval, batch: &Batch, belongings: Belongings, originals_dirs: u64) {
    let runs = batch.run_ids.len() as u64;
    let of = |state: &str| batch.states.get(state).copied().unwrap_or(0);
    removed.runs += runs;
    removed.succeeded += of("succeeded");
    removed.failed += of("failed");
    removed.stopped += of("stopped");
    let room = REPORT_RUN_IDS_MAX.saturating_sub(removed.run_ids.len());
    removed.run_ids.extend(
        batch
            .run_ids
            .iter()
            .take(room)
            .map(|id| RunId::from_string(id.clone())),
    );
    removed.messages += belongings.messages;
    removed.parts += belongings.parts;
    removed.sessions += batch.sessions.len() as u64;
    removed.changes += belongings.changes;
    removed.blocker_replies += belongings.blocker_replies;
    removed.originals_dirs += originals_dirs;
}

/// How many of the runs kept originals on disk; with `remove`, drops them (after their rows
/// are gone: a failure here leaves a directory, never a run without its files).
async fn originals_of(data_dir: &Path, run_ids: &[String], remove: bool) -> u64 {
    let (data_dir, run_ids) = (data_dir.to_path_buf(), run_ids.to_vec());
    let counted = tokio::task::spawn_blocking(move || {
        let mut found = 0;
        for id in &run_ids {
            if originals::kept(&data_dir, id) {
                found += 1;
                if remove {
                    originals::forget(&data_dir, id);
                }
            }
        }
        found
    })
    .await;
    counted.unwrap_or_else(|e| {
        tracing::warn!(error = %e, "could not look for removed runs' originals");
        0
    })
}

/// The database file and its write-ahead log, in bytes.
/// The database's size on disk: the SQLite file with its log, or the team database's
/// (`pg_database_size`).
async fn database_size(shared: &Shared, database: &Path) -> Result<u64> {
    match shared.store.connection().await? {
        store::Conn::Sqlite(_) | store::Conn::SqliteWriter(_) => Ok(disk_size(database)),
        store::Conn::Postgres(mut conn) => {
            let bytes: i64 = sqlx::query_scalar("SELECT pg_database_size(current_database())")
                .fetch_one(&mut *conn)
                .await?;
            Ok(u64::try_from(bytes).unwrap_or(0))
        }
    }
}

fn disk_size(database: &Path) -> u64 {
    let size = |path: PathBuf| std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    let mut wal = database.as_os_str().to_owned();
    wal.push("-wal");
    size(database.to_path_buf()) + size(PathBuf::from(wal))
}

/// Runs until `stop`: every `interval` (the first time sooner), while this process holds
/// the scheduler lease, drops old outbox events and, when a policy is set, removes the runs
/// past it.
pub(crate) async fn keep_tidy(shared: Arc<Shared>, interval: Duration, stop: CancellationToken) {
    let mut wait = interval.min(FIRST_LOOK);
    loop {
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = tokio::time::sleep(wait) => {}
        }
        wait = interval;
        tokio::select! {
            _ = stop.cancelled() => return,
            done = tidy(&shared) => {
                if let Err(e) = done {
                    tracing::warn!(error = %e, "could not remove runs past the retention policy");
                }
            }
        }
    }
}

async fn tidy(shared: &Shared) -> Result<()> {
    let now = shared.clock.now();
    let policy = {
        let mut conn = shared.store.connection().await?;
        if !store::retention::holds_scheduler_lease(&mut conn, &shared.instance, now).await? {
            return Ok(());
        }
        store::retention::policy(&mut conn).await?
    };
    // A daemon runs for months: the outbox is trimmed here too, not only at start-up.
    super::lease::prune_outbox(shared).await?;
    if policy.keeps_everything() {
        return Ok(());
    }
    let report = collect(shared, now, false, false).await?;
    let removed = &report.removed;
    if removed.runs > 0 || report.database.compaction != Compaction::None {
        tracing::info!(
            runs = removed.runs,
            succeeded = removed.succeeded,
            failed = removed.failed,
            stopped = removed.stopped,
            messages = removed.messages,
            parts = removed.parts,
            sessions = removed.sessions,
            changes = removed.changes,
            blocker_replies = removed.blocker_replies,
            originals_dirs = removed.originals_dirs,
            bytes_before = report.database.bytes_before,
            bytes_after = report.database.bytes_after,
            compaction = ?report.database.compaction,
            "removed runs past the retention policy"
        );
    }
    Ok(())
}
