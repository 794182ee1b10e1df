//! Engine instance leases: which processes are alive and may own runs.

use chrono::{DateTime, Utc};
use sqlx::FromRow;

use super::backend::on_both_backends;

use crate::error::Result;
use crate::ids::InstanceId;
use crate::model::time::to_millis;

/// The process registering, as other processes on the same machine can check it.
pub(crate) struct Registration<'a> {
    pub label: &'a str,
    pub pid: u32,
    /// When the process started (clock ticks since boot), where the platform says.
    pub pid_started: Option<i64>,
    /// The machine, boot and pid namespace the pid means something in; `None` where unknown.
    pub host: Option<&'a str>,
}

/// Another instance whose pid can be checked from here.
#[derive(FromRow)]
pub(crate) struct Neighbour {
    pub id: String,
    pub pid: i64,
    pub pid_started: Option<i64>,
}

on_both_backends! {
    pub(crate) async fn register(
        conn: &mut Conn,
        id: &InstanceId,
        process: &Registration<'_>,
        now: DateTime<Utc>,
        expires: DateTime<Utc>,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO engine_instances
                (id, pid, label, started_at, lease_expires_at, host, pid_started)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(id.as_str())
        .bind(i64::from(process.pid))
        .bind(process.label)
        .bind(to_millis(now))
        .bind(to_millis(expires))
        .bind(process.host)
        .bind(process.pid_started)
        .execute(conn)
        .await?;
        Ok(())
    }

    /// Extends the lease; false when the row is gone (another process judged this one dead).
    pub(crate) async fn renew(
        conn: &mut Conn,
        id: &InstanceId,
        expires: DateTime<Utc>,
    ) -> Result<bool> {
        let done = sqlx::query("UPDATE engine_instances SET lease_expires_at = $1 WHERE id = $2")
            .bind(to_millis(expires))
            .bind(id.as_str())
            .execute(conn)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    pub(crate) async fn release(conn: &mut Conn, id: &InstanceId) -> Result<()> {
        sqlx::query("DELETE FROM engine_instances WHERE id = $1")
            .bind(id.as_str())
            .execute(conn)
            .await?;
        Ok(())
    }

    /// Forgets instances whose lease ran out before `now`.
    pub(crate) async fn delete_expired(conn: &mut Conn, now: DateTime<Utc>) -> Result<u64> {
        let done = sqlx::query("DELETE FROM engine_instances WHERE lease_expires_at <= $1")
            .bind(to_millis(now))
            .execute(conn)
            .await?;
        Ok(done.rows_affected())
    }

    /// The other instances registered from `host` (this machine, boot and pid namespace).
    pub(crate) async fn on_host(
        conn: &mut Conn,
        host: &str,
        except: &InstanceId,
    ) -> Result<Vec<Neighbour>> {
        Ok(sqlx::query_as(
            "SELECT id, pid, pid_started FROM engine_instances WHERE host = $1 AND id <> $2 ORDER BY id",
        )
        .bind(host)
        .bind(except.as_str())
        .fetch_all(conn)
        .await?)
    }
}
