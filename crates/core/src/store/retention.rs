//! Retention's questions: the policy, which finished runs may go, what goes with them, and
//! giving the freed pages back to the file system.
//!
//! A run may go when it ended (succeeded, failed, stopped) before its state's cut-off and
//! none of these keeps it:
//! - it is still unseen in the inbox (`seen_at IS NULL`);
//! - it is a worktree run whose changes wait for review (`run_changes.review = 'pending'`:
//!   its commit is neither applied nor discarded);
//! - it is its automation's newest run (the automation's `last_run`);
//! - of a live (not deleted) automation:
//!   - its session is the one the automation names (`automations.session_id`: the
//!     transcript `context = continue` sends again; switching back from `fresh` continues
//!     it too, so the context mode does not matter);
//!   - it is the newest succeeded run, or a failed run after it (the current failure
//!     streak, which pauses the automation at its limit, stays exact);
//!   - it succeeded or failed and the automation stops `after_runs` (their number decides
//!     when its schedule ends).
//!
//! Active runs never match (they have not ended). With a run go its transcript messages and
//! parts, its change review, its blocker replies and (the engine's part) its originals
//! directory; its session goes once no remaining run names it and its automation (even a
//! deleted one) does not.
//!
//! The runs go in batches, oldest first: the dry run reads the same batches the real run
//! deletes, and each batch is decided and counted by the same SQL, so both report the same.

use std::collections::BTreeMap;

use sqlx::{QueryBuilder, SqliteConnection};

use super::backend::on_both_backends;

use super::to_u64;
use crate::error::{Error, Result};
use crate::ids::InstanceId;
use crate::model::retention::{Compaction, RetentionPolicy};
use crate::model::time::to_millis;

const POLICY_KEY: &str = "retention";

/// Free pages given back per `incremental_vacuum` step (4 MiB at the default page size):
/// each step is a short write of its own, so other processes' writes slip in between.
const VACUUM_STEP_PAGES: i64 = 1024;

/// The cut-offs as stored (milliseconds); `None` keeps that state forever.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Cutoffs {
    /// Succeeded and stopped runs that ended before this may go.
    pub keep: Option<i64>,
    /// Failed runs that ended before this may go.
    pub failed: Option<i64>,
}

impl Cutoffs {
    pub fn of(policy: &RetentionPolicy, now: chrono::DateTime<chrono::Utc>) -> Self {
        Self {
            keep: policy.cutoff(now).map(to_millis),
            failed: policy.failed_cutoff(now).map(to_millis),
        }
    }
}

/// One batch of runs that may go, oldest first, and what goes with them.
#[derive(Debug, Default)]
pub(crate) struct Batch {
    pub run_ids: Vec<String>,
    /// Runs per state (`succeeded`, `failed`, `stopped`).
    pub states: BTreeMap<String, u64>,
    /// Sessions no remaining run or automation names once this batch and the ones before
    /// it are gone.
    pub sessions: Vec<String>,
}

impl Batch {
    /// The newest run of the batch: the next batch starts after it.
    pub fn last(&self) -> Option<&str> {
        self.run_ids.last().map(String::as_str)
    }
}

/// The rows a batch takes with it.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Belongings {
    pub messages: u64,
    pub parts: u64,
    pub changes: u64,
    pub blocker_replies: u64,
}

on_both_backends! {
    // Helpers of the functions below, on their own backend.
    shared {
        /// Pushes "run `r` may go" (never NULL) for the run under alias `r`.
        fn push_removable(sql: &mut QueryBuilder<'_, Db>, r: &str, cutoffs: Cutoffs) {
            // SQLite's booleans are the integers 0 and 1; PostgreSQL's are their own type.
            let no = if POSTGRES { "FALSE" } else { "0" };
            sql.push(format!("COALESCE(({r}.seen_at IS NOT NULL AND ({no}"));
            if let Some(keep) = cutoffs.keep {
                sql.push(format!(
                    " OR ({r}.state IN ('succeeded', 'stopped') AND {r}.finished_at < "
                ))
                .push_bind(keep)
                .push(")");
            }
            if let Some(failed) = cutoffs.failed {
                sql.push(format!(" OR ({r}.state = 'failed' AND {r}.finished_at < "))
                    .push_bind(failed)
                    .push(")");
            }
            sql.push(format!(
                ")
                AND {r}.id <> (SELECT MAX(newest.id) FROM runs newest
                               WHERE newest.automation_id = {r}.automation_id)
                AND NOT EXISTS (SELECT 1 FROM run_changes c
                                WHERE c.run_id = {r}.id AND c.review = 'pending')
                AND NOT EXISTS (SELECT 1 FROM automations a WHERE a.id = {r}.automation_id
                    AND a.deleted_at IS NULL
                    AND (a.session_id = {r}.session_id
                      OR (a.stop_kind = 'after_runs' AND {r}.state IN ('succeeded', 'failed'))
                      OR ({r}.state = 'succeeded' AND {r}.id = (SELECT MAX(s.id) FROM runs s
                             WHERE s.automation_id = a.id AND s.state = 'succeeded'))
                      OR ({r}.state = 'failed' AND {r}.id > COALESCE((SELECT MAX(s.id) FROM runs s
                             WHERE s.automation_id = a.id AND s.state = 'succeeded'), ''))))), {no})"
            ));
        }

        fn push_list<'a>(sql: &mut QueryBuilder<'a, Db>, values: &'a [String]) {
            sql.push("(");
            let mut list = sql.separated(", ");
            for value in values {
                list.push_bind(value.as_str());
            }
            sql.push(")");
        }

        /// The batch's messages: the runs' own, and any left in the sessions that go.
        fn push_messages<'a>(sql: &mut QueryBuilder<'a, Db>, batch: &'a Batch) {
            sql.push("SELECT id FROM messages WHERE run_id IN ");
            push_list(sql, &batch.run_ids);
            if !batch.sessions.is_empty() {
                sql.push(" OR session_id IN ");
                push_list(sql, &batch.sessions);
            }
        }

        async fn count(conn: &mut Conn, mut sql: QueryBuilder<'_, Db>) -> Result<u64> {
            let n: i64 = sql.build_query_scalar().fetch_one(conn).await?;
            to_u64("count", n)
        }

        async fn delete(conn: &mut Conn, mut sql: QueryBuilder<'_, Db>) -> Result<u64> {
            Ok(sql.build().execute(conn).await?.rows_affected())
        }
    }

    /// The policy every process sharing the database obeys; keep everything until someone sets
    /// one.
    pub(crate) async fn policy(conn: &mut Conn) -> Result<RetentionPolicy> {
        let stored: Option<String> =
            sqlx::query_scalar("SELECT value FROM engine_settings WHERE key = $1")
                .bind(POLICY_KEY)
                .fetch_optional(conn)
                .await?;
        match stored {
            Some(json) => serde_json::from_str(&json)
                .map_err(|e| Error::Corrupt(format!("the stored retention policy is unreadable: {e}"))),
            None => Ok(RetentionPolicy::default()),
        }
    }

    pub(crate) async fn set_policy(
        conn: &mut Conn,
        policy: &RetentionPolicy,
    ) -> Result<()> {
        let json = serde_json::to_string(policy)
            .map_err(|e| Error::Corrupt(format!("the retention policy is not serializable: {e}")))?;
        sqlx::query(
            "INSERT INTO engine_settings (key, value) VALUES ($1, $2)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        )
        .bind(POLICY_KEY)
        .bind(json)
        .execute(conn)
        .await?;
        Ok(())
    }

    /// Up to `limit` runs that may go, after run `after` (the previous batch's last) and up to
    /// run `through` (inclusive) when given, oldest first, with the sessions that go with them.
    pub(crate) async fn next_batch(
        conn: &mut Conn,
        cutoffs: Cutoffs,
        after: Option<&str>,
        through: Option<&str>,
        limit: u32,
    ) -> Result<Batch> {
        let mut sql = QueryBuilder::new(
            "SELECT r.id, r.state FROM runs r WHERE r.state IN ('succeeded', 'failed', 'stopped')",
        );
        if let Some(after) = after {
            sql.push(" AND r.id > ").push_bind(after.to_owned());
        }
        if let Some(through) = through {
            sql.push(" AND r.id <= ").push_bind(through.to_owned());
        }
        sql.push(" AND ");
        push_removable(&mut sql, "r", cutoffs);
        sql.push(" ORDER BY r.id LIMIT ")
            .push_bind(i64::from(limit));
        let rows: Vec<(String, String)> = sql.build_query_as().fetch_all(&mut *conn).await?;
        let mut batch = Batch::default();
        for (id, state) in rows {
            *batch.states.entry(state).or_default() += 1;
            batch.run_ids.push(id);
        }
        let Some(last) = batch.last().map(str::to_owned) else {
            return Ok(batch);
        };
        // A session goes with the last of its runs: every run naming it may go and is in this
        // batch or an earlier one (already deleted, or in a dry run still there and counted).
        let sessions: Vec<String> = {
            let mut sql = QueryBuilder::new(
                "SELECT DISTINCT r.session_id FROM runs r WHERE r.session_id IS NOT NULL AND r.id IN ",
            );
            push_list(&mut sql, &batch.run_ids);
            sql.push(
                " AND NOT EXISTS (SELECT 1 FROM automations a
                                  WHERE a.id = r.automation_id AND a.session_id = r.session_id)
                  AND NOT EXISTS (SELECT 1 FROM runs o WHERE o.session_id = r.session_id AND (o.id > ",
            );
            sql.push_bind(last).push(" OR NOT ");
            push_removable(&mut sql, "o", cutoffs);
            sql.push(")) ORDER BY r.session_id");
            sql.build_query_scalar().fetch_all(&mut *conn).await?
        };
        batch.sessions = sessions;
        Ok(batch)
    }

    /// What deleting `batch` would take with it.
    pub(crate) async fn belongings(conn: &mut Conn, batch: &Batch) -> Result<Belongings> {
        if batch.run_ids.is_empty() {
            return Ok(Belongings::default());
        }
        let mut messages = QueryBuilder::new("SELECT COUNT(*) FROM (");
        push_messages(&mut messages, batch);
        // PostgreSQL (before 16) wants a name for the subquery.
        messages.push(if POSTGRES { ") AS batch_messages" } else { ")" });
        let mut parts = QueryBuilder::new("SELECT COUNT(*) FROM parts WHERE message_id IN (");
        push_messages(&mut parts, batch);
        parts.push(")");
        let mut changes = QueryBuilder::new("SELECT COUNT(*) FROM run_changes WHERE run_id IN ");
        push_list(&mut changes, &batch.run_ids);
        let mut replies = QueryBuilder::new("SELECT COUNT(*) FROM blocker_replies WHERE run_id IN ");
        push_list(&mut replies, &batch.run_ids);
        Ok(Belongings {
            messages: count(conn, messages).await?,
            parts: count(conn, parts).await?,
            changes: count(conn, changes).await?,
            blocker_replies: count(conn, replies).await?,
        })
    }

    /// Deletes the batch's runs and everything that belongs to them (in the order the foreign
    /// keys need); returns what went. Call inside the write transaction that read the batch.
    pub(crate) async fn remove(conn: &mut Conn, batch: &Batch) -> Result<Belongings> {
        if batch.run_ids.is_empty() {
            return Ok(Belongings::default());
        }
        let mut parts = QueryBuilder::new("DELETE FROM parts WHERE message_id IN (");
        push_messages(&mut parts, batch);
        parts.push(")");
        let parts = delete(conn, parts).await?;
        let mut messages = QueryBuilder::new("DELETE FROM messages WHERE id IN (");
        push_messages(&mut messages, batch);
        messages.push(")");
        let messages = delete(conn, messages).await?;
        let mut replies = QueryBuilder::new("DELETE FROM blocker_replies WHERE run_id IN ");
        push_list(&mut replies, &batch.run_ids);
        let blocker_replies = delete(conn, replies).await?;
        let mut changes = QueryBuilder::new("DELETE FROM run_changes WHERE run_id IN ");
        push_list(&mut changes, &batch.run_ids);
        let changes = delete(conn, changes).await?;
        let mut runs = QueryBuilder::new("DELETE FROM runs WHERE id IN ");
        push_list(&mut runs, &batch.run_ids);
        delete(conn, runs).await?;
        if !batch.sessions.is_empty() {
            let mut sessions = QueryBuilder::new("DELETE FROM sessions WHERE id IN ");
            push_list(&mut sessions, &batch.sessions);
            delete(conn, sessions).await?;
        }
        Ok(Belongings {
            messages,
            parts,
            changes,
            blocker_replies,
        })
    }

    /// Whether `instance` holds the scheduler lease at `now` (the process that schedules also
    /// cleans up, so one process per database does).
    pub(crate) async fn holds_scheduler_lease(
        conn: &mut Conn,
        instance: &InstanceId,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<bool> {
        // `1` is an INTEGER (32 bits) on PostgreSQL, which will not decode as an i64.
        let held: Option<i32> =
            sqlx::query_scalar("SELECT 1 FROM scheduler_lease WHERE holder = $1 AND expires_at > $2")
                .bind(instance.as_str())
                .bind(to_millis(now))
                .fetch_optional(conn)
                .await?;
        Ok(held.is_some())
    }
}

/// Gives the database's free pages back to the file system. SQLite only: a PostgreSQL
/// server does this with its own (auto)vacuum. Call on a connection outside
/// any transaction (the writer's, so this process's own writes queue behind it).
///
/// `PRAGMA incremental_vacuum` rather than `VACUUM` wherever the file allows it: the hourly
/// clean-up frees a little at a time, and `VACUUM` would rewrite the whole file (through the
/// write-ahead log, so twice its size on disk for a moment) and hold the write lock
/// throughout, where other processes wait at most their busy timeout. Incremental vacuum
/// only moves pages from the end into the free slots and truncates, in short steps. It
/// needs `auto_vacuum = INCREMENTAL`, which `Store::open` asks for on every connection: a
/// new file is created that way; a file created before gets it from one full `VACUUM`, run
/// here the first time there is something to give back and `full_vacuum` allows it.
pub(crate) async fn reclaim(conn: &mut SqliteConnection, full_vacuum: bool) -> Result<Compaction> {
    let free = freelist(conn).await?;
    if free == 0 {
        return Ok(Compaction::None);
    }
    let auto_vacuum: i64 = sqlx::query_scalar("PRAGMA auto_vacuum")
        .fetch_one(&mut *conn)
        .await?;
    let compaction = if auto_vacuum == 2 {
        let mut left = free;
        loop {
            sqlx::query(&format!("PRAGMA incremental_vacuum({VACUUM_STEP_PAGES})"))
                .execute(&mut *conn)
                .await?;
            let now = freelist(conn).await?;
            if now == 0 || now >= left {
                break;
            }
            left = now;
        }
        Compaction::IncrementalVacuum
    } else if full_vacuum {
        sqlx::query("VACUUM").execute(&mut *conn).await?;
        Compaction::Vacuum
    } else {
        // The freed pages stay in the file and are reused by later writes.
        return Ok(Compaction::None);
    };
    // The file shrinks once the log is written back; the log itself is emptied too (a busy
    // reader elsewhere only leaves it for the next checkpoint).
    sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
        .execute(&mut *conn)
        .await?;
    Ok(compaction)
}

async fn freelist(conn: &mut SqliteConnection) -> Result<i64> {
    Ok(sqlx::query_scalar("PRAGMA freelist_count")
        .fetch_one(conn)
        .await?)
}
