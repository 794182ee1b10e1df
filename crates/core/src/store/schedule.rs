//! The scheduler's lease and its records of missed fires.

use super::backend::on_both_backends;
use super::to_i64;
use chrono::{DateTime, Utc};

use crate::error::Result;
use crate::ids::InstanceId;
use crate::model::run::Run;
use crate::model::time::to_millis;

on_both_backends! {
    /// Takes the scheduler lease, or renews it when `holder` has it. False when another live
    /// process holds it.
    pub(crate) async fn take_lease(
        conn: &mut Conn,
        holder: &InstanceId,
        now: DateTime<Utc>,
        expires: DateTime<Utc>,
    ) -> Result<bool> {
        let done = sqlx::query(
            "INSERT INTO scheduler_lease (id, holder, expires_at) VALUES (1, $1, $2)
             ON CONFLICT (id) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
             WHERE scheduler_lease.holder = excluded.holder OR scheduler_lease.expires_at <= $3",
        )
        .bind(holder.as_str())
        .bind(to_millis(expires))
        .bind(to_millis(now))
        .execute(conn)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    pub(crate) async fn release_lease(conn: &mut Conn, holder: &InstanceId) -> Result<()> {
        sqlx::query("DELETE FROM scheduler_lease WHERE holder = $1")
            .bind(holder.as_str())
            .execute(conn)
            .await?;
        Ok(())
    }

    /// Records a fire that did not run (`stopped`/`missed_schedule`), as one row.
    pub(crate) async fn insert_missed(conn: &mut Conn, run: &Run) -> Result<()> {
        sqlx::query(
            "INSERT INTO runs (id, automation_id, definition_revision, revision, trigger, attendance,
                writer_key, state, stop_reason, queued_at, finished_at)
             VALUES ($1, $2, $3, 1, $4, $5, $6, 'stopped', 'missed_schedule', $7, $8)",
        )
        .bind(run.id.as_str())
        .bind(run.automation_id.as_str())
        .bind(to_i64(run.definition_revision))
        .bind(run.trigger.as_str())
        .bind(run.attendance.as_str())
        .bind(&run.writer_key)
        .bind(to_millis(run.queued_at))
        .bind(run.finished_at.map(to_millis))
        .execute(conn)
        .await?;
        Ok(())
    }
}
