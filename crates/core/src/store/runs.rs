//! Runs: insertion, guarded state changes, lookups and keyset pages.

use chrono::{DateTime, Utc};
use sqlx::{FromRow, QueryBuilder};

use super::backend::on_both_backends;

use super::{parse_column, to_i64, to_u64};
use crate::error::{Error, Result};
use crate::ids::{AutomationId, BlockerId, InstanceId, RunId, SessionId};
use crate::model::run::*;
use crate::model::time::{from_millis, to_millis};

#[derive(FromRow)]
pub(super) struct RunRow {
    id: String,
    automation_id: String,
    definition_revision: i64,
    revision: i64,
    trigger: String,
    attendance: String,
    writer_key: String,
    state: String,
    blocker: Option<String>,
    result: Option<String>,
    error_code: Option<String>,
    error_message: Option<String>,
    stop_reason: Option<String>,
    session_id: Option<String>,
    cost_usd: f64,
    tokens_in: i64,
    tokens_out: i64,
    steps: i64,
    queued_at: i64,
    started_at: Option<i64>,
    finished_at: Option<i64>,
    follow_up_of: Option<String>,
    follow_up_message: Option<String>,
    worker: Option<String>,
}

pub(super) const COLUMNS: &str =
    "id, automation_id, definition_revision, revision, trigger, attendance,
    writer_key, state, blocker, result, error_code, error_message, stop_reason, session_id,
    cost_usd, tokens_in, tokens_out, steps, queued_at, started_at, finished_at, follow_up_of,
    follow_up_message, worker";

impl RunRow {
    pub(super) fn into_run(self) -> Result<Run> {
        let blocker = self
            .blocker
            .map(|json| {
                serde_json::from_str::<Blocker>(&json).map_err(|e| {
                    Error::Corrupt(format!("run {} has an unreadable blocker: {e}", self.id))
                })
            })
            .transpose()?;
        let error = match (self.error_code, self.error_message) {
            (Some(code), message) => Some(RunError {
                code: parse_column("error code", &code, ErrorCode::parse)?,
                message: message.unwrap_or_default(),
            }),
            (None, _) => None,
        };
        Ok(Run {
            id: RunId::from_string(self.id),
            automation_id: AutomationId::from_string(self.automation_id),
            definition_revision: to_u64("definition_revision", self.definition_revision)?,
            revision: to_u64("revision", self.revision)?,
            trigger: parse_column("trigger", &self.trigger, RunTrigger::parse)?,
            attendance: parse_column("attendance", &self.attendance, Attendance::parse)?,
            writer_key: self.writer_key,
            state: parse_column("state", &self.state, RunState::parse)?,
            blocker,
            result: self.result,
            error,
            stop_reason: self
                .stop_reason
                .map(|r| parse_column("stop reason", &r, StopReason::parse))
                .transpose()?,
            session_id: self.session_id.map(SessionId::from_string),
            cost_usd: self.cost_usd,
            tokens_in: to_u64("tokens_in", self.tokens_in)?,
            tokens_out: to_u64("tokens_out", self.tokens_out)?,
            steps: u32::try_from(self.steps)
                .map_err(|_| Error::Corrupt("steps out of range".into()))?,
            queued_at: from_millis(self.queued_at),
            started_at: self.started_at.map(from_millis),
            finished_at: self.finished_at.map(from_millis),
            follow_up: match (self.follow_up_of, self.follow_up_message) {
                (Some(of), Some(message)) => Some(FollowUp {
                    of: RunId::from_string(of),
                    message,
                }),
                _ => None,
            },
            worker: self.worker,
        })
    }
}

/// What applying a transition did.
pub(crate) enum Applied {
    Changed(Box<Run>),
    /// The run's state did not allow it (or the run or blocker is gone).
    Refused,
    /// `Start` found another active run holding the work area's writer key.
    WriterBusy,
}

#[derive(FromRow)]
struct HolderRow {
    #[sqlx(flatten)]
    run: RunRow,
    automation_title: String,
}

/// Which runs a page holds.
#[derive(Debug, Clone, Default)]
pub struct RunFilter {
    pub automation_id: Option<AutomationId>,
    /// Only runs in these states; all when empty.
    pub states: Vec<RunState>,
    /// Only runs started this way; all when empty.
    pub triggers: Vec<RunTrigger>,
    /// Only runs queued at or after this time.
    pub since: Option<DateTime<Utc>>,
    /// Only runs queued before this time.
    pub until: Option<DateTime<Utc>>,
}

on_both_backends! {
    /// Inserts a queued run; `owner` drives it, or no one yet when a worker that serves its
    /// workspace is to take it.
    pub(crate) async fn insert(
        conn: &mut Conn,
        run: &Run,
        owner: Option<&InstanceId>,
    ) -> Result<()> {
        insert_many(conn, &[run], owner).await
    }

    /// Inserts queued runs, many to a statement: each statement crosses to SQLite's worker
    /// thread and back, which is most of what a run's insert costs in a burst of fires.
    pub(crate) async fn insert_many(
        conn: &mut Conn,
        runs: &[&Run],
        owner: Option<&InstanceId>,
    ) -> Result<()> {
        // Fourteen binds a row, under SQLite's limit of 32 766 a statement.
        for chunk in runs.chunks(1000) {
            let mut sql = sqlx::QueryBuilder::new(
                "INSERT INTO runs (id, automation_id, definition_revision, revision, trigger,
                    attendance, writer_key, state, queued_at, owner_id, session_id, follow_up_of,
                    follow_up_message, worker) ",
            );
            sql.push_values(chunk, |mut row, run| {
                row.push_bind(run.id.as_str())
                    .push_bind(run.automation_id.as_str())
                    .push_bind(to_i64(run.definition_revision))
                    .push_bind(to_i64(run.revision))
                    .push_bind(run.trigger.as_str())
                    .push_bind(run.attendance.as_str())
                    .push_bind(run.writer_key.as_str())
                    .push_bind(run.state.as_str())
                    .push_bind(to_millis(run.queued_at))
                    .push_bind(owner.map(InstanceId::as_str))
                    .push_bind(run.session_id.as_ref().map(SessionId::as_str))
                    .push_bind(run.follow_up.as_ref().map(|f| f.of.as_str()))
                    .push_bind(run.follow_up.as_ref().map(|f| f.message.as_str()))
                    .push_bind(run.worker.as_deref());
            });
            sql.build().execute(&mut *conn).await?;
        }
        Ok(())
    }

    pub(crate) async fn get(conn: &mut Conn, id: &RunId) -> Result<Option<Run>> {
        let row: Option<RunRow> = sqlx::query_as(&format!("SELECT {COLUMNS} FROM runs WHERE id = $1"))
            .bind(id.as_str())
            .fetch_optional(conn)
            .await?;
        row.map(RunRow::into_run).transpose()
    }

    /// Applies `transition` if the run's state (and, for `Resume`, its blocker) still allows it.
    pub(crate) async fn apply(
        conn: &mut Conn,
        id: &RunId,
        transition: &Transition,
        now: DateTime<Utc>,
    ) -> Result<Applied> {
        let now = to_millis(now);
        let mut sql: QueryBuilder<'_, Db> =
            QueryBuilder::new("UPDATE runs SET revision = revision + 1, ");
        match transition {
            Transition::Start => {
                // SQLite's two-argument MAX is PostgreSQL's GREATEST (neither argument is NULL).
                sql.push(if POSTGRES {
                    "state = 'running', started_at = GREATEST(queued_at, "
                } else {
                    "state = 'running', started_at = MAX(queued_at, "
                });
                sql.push_bind(now).push(")");
            }
            Transition::Block(blocker) => {
                let json = serde_json::to_string(blocker)
                    .map_err(|e| Error::Corrupt(format!("blocker is not serializable: {e}")))?;
                sql.push("state = 'awaiting_input', blocker_id = ");
                sql.push_bind(blocker.id().as_str().to_owned());
                sql.push(", blocker = ").push_bind(json);
            }
            Transition::Resume { .. } => {
                sql.push("state = 'running', blocker_id = NULL, blocker = NULL");
            }
            Transition::Succeed { result } => {
                sql.push("state = 'succeeded', result = ")
                    .push_bind(result.clone());
            }
            Transition::Fail { code, message } => {
                sql.push("state = 'failed', error_code = ")
                    .push_bind(code.as_str());
                sql.push(", error_message = ").push_bind(message.clone());
            }
            Transition::Stop(reason) => {
                sql.push("state = 'stopped', stop_reason = ")
                    .push_bind(reason.as_str());
                if *reason == StopReason::WriterBusy {
                    // Remember who held the work area, so the user learns what to cancel.
                    sql.push(
                        ", busy_holder_id = (SELECT holder.id FROM runs AS holder
                            WHERE holder.writer_key = runs.writer_key AND holder.id <> runs.id
                              AND holder.state IN ('running', 'awaiting_input'))",
                    );
                }
            }
            Transition::Account(usage) => {
                sql.push("cost_usd = cost_usd + ")
                    .push_bind(usage.cost_usd.max(0.0));
                sql.push(", tokens_in = tokens_in + ")
                    .push_bind(to_i64(usage.tokens_in));
                sql.push(", tokens_out = tokens_out + ")
                    .push_bind(to_i64(usage.tokens_out));
                sql.push(", steps = steps + ")
                    .push_bind(i64::from(usage.steps));
            }
            Transition::AttachSession(session) => {
                sql.push("session_id = ")
                    .push_bind(session.as_str().to_owned());
            }
        }
        if matches!(
            transition,
            Transition::Succeed { .. } | Transition::Fail { .. } | Transition::Stop(_)
        ) {
            // Terminal: clear what only an active run has; never record a finish before the
            // start, even if the wall clock stepped back.
            sql.push(", blocker_id = NULL, blocker = NULL, owner_id = NULL, finished_at = ");
            sql.push(if POSTGRES { "GREATEST" } else { "MAX" });
            sql.push("(COALESCE(started_at, queued_at), ");
            sql.push_bind(now).push(")");
        }
        sql.push(" WHERE id = ").push_bind(id.as_str().to_owned());
        sql.push(" AND state IN (");
        let mut states = sql.separated(", ");
        for state in transition.allowed_from() {
            states.push_bind(state.as_str());
        }
        sql.push(")");
        if let Transition::Resume { blocker_id, .. } = transition {
            // Resume only for the blocker the reply answers.
            sql.push(" AND blocker_id = ")
                .push_bind(blocker_id.as_str().to_owned());
        }
        sql.push(format!(" RETURNING {COLUMNS}"));
        let applied = if POSTGRES && *transition == Transition::Start {
            // A failed statement aborts a whole PostgreSQL transaction, and the caller goes on
            // after `WriterBusy` (it stops the run): the start gets a savepoint of its own
            // (`begin` on a connection already in a transaction makes one).
            let mut savepoint = sqlx::Connection::begin(&mut *conn).await?;
            let applied = sql
                .build_query_as::<RunRow>()
                .fetch_optional(&mut *savepoint)
                .await;
            if applied.is_ok() {
                savepoint.commit().await?;
            } else {
                savepoint.rollback().await?;
            }
            applied
        } else {
            sql.build_query_as::<RunRow>().fetch_optional(conn).await
        };
        match applied {
            Ok(Some(row)) => Ok(Applied::Changed(Box::new(row.into_run()?))),
            Ok(None) => Ok(Applied::Refused),
            Err(sqlx::Error::Database(e))
                if e.is_unique_violation() && *transition == Transition::Start =>
            {
                Ok(Applied::WriterBusy)
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Stores the reply to a blocker, for the run's owner to read when the run resumes.
    pub(crate) async fn insert_reply(
        conn: &mut Conn,
        blocker_id: &BlockerId,
        run_id: &RunId,
        reply: &BlockerReply,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let json = serde_json::to_string(reply)
            .map_err(|e| Error::Corrupt(format!("reply is not serializable: {e}")))?;
        sqlx::query(
            "INSERT INTO blocker_replies (blocker_id, run_id, reply, replied_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(blocker_id.as_str())
        .bind(run_id.as_str())
        .bind(json)
        .bind(to_millis(now))
        .execute(conn)
        .await?;
        Ok(())
    }

    pub(crate) async fn reply(
        conn: &mut Conn,
        blocker_id: &BlockerId,
    ) -> Result<Option<BlockerReply>> {
        let json: Option<String> =
            sqlx::query_scalar("SELECT reply FROM blocker_replies WHERE blocker_id = $1")
                .bind(blocker_id.as_str())
                .fetch_optional(conn)
                .await?;
        json.map(|json| {
            serde_json::from_str(&json).map_err(|e| Error::Corrupt(format!("unreadable reply: {e}")))
        })
        .transpose()
    }

    /// The run waiting on `blocker_id`, if one still is.
    pub(crate) async fn by_blocker(
        conn: &mut Conn,
        blocker_id: &BlockerId,
    ) -> Result<Option<Run>> {
        let row: Option<RunRow> = sqlx::query_as(&format!(
            "SELECT {COLUMNS} FROM runs WHERE blocker_id = $1 AND state = 'awaiting_input'"
        ))
        .bind(blocker_id.as_str())
        .fetch_optional(conn)
        .await?;
        row.map(RunRow::into_run).transpose()
    }

    /// Active runs of an automation.
    pub(crate) async fn active_for_automation(
        conn: &mut Conn,
        id: &AutomationId,
    ) -> Result<Vec<Run>> {
        let rows: Vec<RunRow> = sqlx::query_as(&format!(
            "SELECT {COLUMNS} FROM runs
             WHERE automation_id = $1 AND state IN ('queued', 'running', 'awaiting_input') ORDER BY id"
        ))
        .bind(id.as_str())
        .fetch_all(conn)
        .await?;
        rows.into_iter().map(RunRow::into_run).collect()
    }

    /// The follow-ups of `parent`, oldest first (a handful: served by `runs_by_follow_up_of`).
    pub(crate) async fn follow_ups(conn: &mut Conn, parent: &RunId) -> Result<Vec<Run>> {
        let rows: Vec<RunRow> = sqlx::query_as(&format!(
            "SELECT {COLUMNS} FROM runs WHERE follow_up_of = $1 ORDER BY id"
        ))
        .bind(parent.as_str())
        .fetch_all(conn)
        .await?;
        rows.into_iter().map(RunRow::into_run).collect()
    }

    /// The thread of run `id`, oldest first: from the earliest ancestor still kept (at most
    /// `max` links up) down through every follow-up (at most `max` runs). Both walks use the
    /// primary key and `runs_by_follow_up_of`.
    pub(crate) async fn thread(conn: &mut Conn, id: &RunId, max: u32) -> Result<Vec<Run>> {
        let root: Option<String> = sqlx::query_scalar(
            "WITH RECURSIVE up(id, of, n) AS (
                 SELECT id, follow_up_of, 0 FROM runs WHERE id = $1
                 UNION ALL
                 SELECT r.id, r.follow_up_of, up.n + 1 FROM runs r JOIN up ON r.id = up.of
                 WHERE up.n < $2)
             SELECT id FROM up ORDER BY n DESC LIMIT 1",
        )
        .bind(id.as_str())
        .bind(i64::from(max))
        .fetch_optional(&mut *conn)
        .await?;
        let Some(root) = root else {
            return Ok(Vec::new());
        };
        let rows: Vec<RunRow> = sqlx::query_as(&format!(
            "WITH RECURSIVE down(id, n) AS (
                 SELECT $1, 0
                 UNION
                 SELECT r.id, down.n + 1 FROM runs r JOIN down ON r.follow_up_of = down.id
                 WHERE down.n < $2)
             SELECT {COLUMNS} FROM runs WHERE id IN (SELECT id FROM down) ORDER BY id LIMIT $2"
        ))
        .bind(root)
        .bind(i64::from(max))
        .fetch_all(conn)
        .await?;
        rows.into_iter().map(RunRow::into_run).collect()
    }

    /// The run holding the writer key of `work_area` (running or waiting for input), if any.
    pub(crate) async fn active_writer(
        conn: &mut Conn,
        work_area: &str,
    ) -> Result<Option<RunId>> {
        let id: Option<(String,)> = sqlx::query_as(
            "SELECT id FROM runs WHERE writer_key = $1 AND state IN ('running', 'awaiting_input')",
        )
        .bind(work_area)
        .fetch_optional(conn)
        .await?;
        Ok(id.map(|(id,)| RunId::from_string(id)))
    }

    /// Whether a run with this id exists.
    pub(crate) async fn exists(conn: &mut Conn, id: &RunId) -> Result<bool> {
        // `1` is an INTEGER (32 bits) on PostgreSQL, which will not decode as an i64.
        let found: Option<i32> = sqlx::query_scalar("SELECT 1 FROM runs WHERE id = $1")
            .bind(id.as_str())
            .fetch_optional(conn)
            .await?;
        Ok(found.is_some())
    }

    /// The run that held the work area when run `id` ended `writer_busy`, with its
    /// automation's title.
    pub(crate) async fn busy_holder(
        conn: &mut Conn,
        id: &RunId,
    ) -> Result<Option<(Run, String)>> {
        let row: Option<HolderRow> = sqlx::query_as(&format!(
            "SELECT {COLUMNS},
                (SELECT title FROM automations WHERE automations.id = runs.automation_id)
                    AS automation_title
             FROM runs
             WHERE id = (SELECT busy_holder_id FROM runs WHERE id = $1 AND stop_reason = 'writer_busy')"
        ))
        .bind(id.as_str())
        .fetch_optional(conn)
        .await?;
        row.map(|row| Ok((row.run.into_run()?, row.automation_title)))
            .transpose()
    }

    /// Takes a queued run no worker drives yet for worker `owner` (named `worker`); `None`
    /// when it is no longer queued or another took it first.
    pub(crate) async fn claim(
        conn: &mut Conn,
        id: &RunId,
        owner: &InstanceId,
        worker: &str,
    ) -> Result<Option<Run>> {
        let row: Option<RunRow> = sqlx::query_as(&format!(
            "UPDATE runs SET owner_id = $1, worker = $2, revision = revision + 1
             WHERE id = $3 AND state = 'queued' AND owner_id IS NULL
             RETURNING {COLUMNS}"
        ))
        .bind(owner.as_str())
        .bind(worker)
        .bind(id.as_str())
        .fetch_optional(conn)
        .await?;
        row.map(RunRow::into_run).transpose()
    }

    /// Active runs whose owner holds no live lease at `now`: their process died. A queued run
    /// that no worker took yet is not an orphan: it waits for a worker that serves it.
    pub(crate) async fn orphaned(conn: &mut Conn, now: DateTime<Utc>) -> Result<Vec<Run>> {
        let rows: Vec<RunRow> = sqlx::query_as(&format!(
            "SELECT {COLUMNS} FROM runs
             WHERE state IN ('queued', 'running', 'awaiting_input')
               AND ((owner_id IS NULL AND state <> 'queued') OR owner_id NOT IN
                    (SELECT id FROM engine_instances WHERE lease_expires_at > $1))
             ORDER BY id"
        ))
        .bind(to_millis(now))
        .fetch_all(conn)
        .await?;
        rows.into_iter().map(RunRow::into_run).collect()
    }

    /// Runs that need the user: waiting for input, or finished and not yet seen; newest first.
    pub(crate) async fn inbox(conn: &mut Conn, limit: u32) -> Result<Vec<Run>> {
        let rows: Vec<RunRow> = sqlx::query_as(&format!(
            "SELECT {COLUMNS} FROM runs
             WHERE state = 'awaiting_input'
                OR (seen_at IS NULL AND state IN ('succeeded', 'failed', 'stopped'))
             ORDER BY id DESC LIMIT $1"
        ))
        .bind(i64::from(limit))
        .fetch_all(conn)
        .await?;
        rows.into_iter().map(RunRow::into_run).collect()
    }

    /// Marks runs as seen; returns how many were not seen before.
    pub(crate) async fn mark_seen(
        conn: &mut Conn,
        ids: &[RunId],
        now: DateTime<Utc>,
    ) -> Result<u64> {
        let mut seen = 0;
        for id in ids {
            let done = sqlx::query("UPDATE runs SET seen_at = $1 WHERE id = $2 AND seen_at IS NULL")
                .bind(to_millis(now))
                .bind(id.as_str())
                .execute(&mut *conn)
                .await?;
            seen += done.rows_affected();
        }
        Ok(seen)
    }

    /// Runs newest first, strictly older than `cursor` when given.
    pub(crate) async fn page(
        conn: &mut Conn,
        filter: &RunFilter,
        cursor: Option<&RunId>,
        limit: u32,
    ) -> Result<Vec<Run>> {
        let mut sql: QueryBuilder<'_, Db> =
            QueryBuilder::new(format!("SELECT {COLUMNS} FROM runs WHERE 1 = 1"));
        if let Some(automation_id) = &filter.automation_id {
            sql.push(" AND automation_id = ")
                .push_bind(automation_id.as_str().to_owned());
        }
        if let Some(cursor) = cursor {
            sql.push(" AND id < ").push_bind(cursor.as_str().to_owned());
        }
        if !filter.states.is_empty() {
            sql.push(" AND state IN (");
            let mut states = sql.separated(", ");
            for state in &filter.states {
                states.push_bind(state.as_str());
            }
            sql.push(")");
        }
        if !filter.triggers.is_empty() {
            sql.push(" AND trigger IN (");
            let mut triggers = sql.separated(", ");
            for trigger in &filter.triggers {
                triggers.push_bind(trigger.as_str());
            }
            sql.push(")");
        }
        if let Some(since) = filter.since {
            sql.push(" AND queued_at >= ").push_bind(to_millis(since));
        }
        if let Some(until) = filter.until {
            sql.push(" AND queued_at < ").push_bind(to_millis(until));
        }
        sql.push(" ORDER BY id DESC LIMIT ")
            .push_bind(i64::from(limit));
        let rows: Vec<RunRow> = sql.build_query_as().fetch_all(conn).await?;
        rows.into_iter().map(RunRow::into_run).collect()
    }
}

/// `run` after accounting `usage`, as [`apply`]'s `Transition::Account` leaves it: one
/// revision on, the usage added. For a write that accounts from the run it holds instead of
/// reading the run back ([`push_account`]).
pub(crate) fn accounted(run: &Run, usage: &Usage) -> Run {
    let mut accounted = run.clone();
    accounted.revision += 1;
    accounted.cost_usd += usage.cost_usd.max(0.0);
    accounted.tokens_in = accounted.tokens_in.saturating_add(usage.tokens_in);
    accounted.tokens_out = accounted.tokens_out.saturating_add(usage.tokens_out);
    accounted.steps = accounted.steps.saturating_add(usage.steps);
    accounted
}

/// Adds to a SQLite write the statement storing `accounted` (from [`accounted`]) over `run`,
/// then the check that it changed the run. It does only while the stored run is still at
/// `run`'s revision (so its totals are `run`'s) and in a state that allows accounting;
/// otherwise the write fails with an error for which [`crate::store::no_row_changed`] is
/// true, and stores nothing.
pub(crate) fn push_account<'a>(
    sql: &mut QueryBuilder<'a, sqlx::Sqlite>,
    run: &'a Run,
    accounted: &Run,
) {
    sql.push("UPDATE runs SET revision = ")
        .push_bind(to_i64(accounted.revision));
    sql.push(", cost_usd = ").push_bind(accounted.cost_usd);
    sql.push(", tokens_in = ")
        .push_bind(to_i64(accounted.tokens_in));
    sql.push(", tokens_out = ")
        .push_bind(to_i64(accounted.tokens_out));
    sql.push(", steps = ").push_bind(i64::from(accounted.steps));
    sql.push(" WHERE id = ").push_bind(run.id.as_str());
    sql.push(" AND revision = ").push_bind(to_i64(run.revision));
    sql.push(" AND state IN (");
    let mut states = sql.separated(", ");
    for state in Transition::Account(Usage::default()).allowed_from() {
        states.push_bind(state.as_str());
    }
    sql.push(");");
    super::push_one_row_changed(sql);
}
