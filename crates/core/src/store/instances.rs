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
    /// The machine as people know it (its host name, or `AUTOWORK_HOST_ID`).
    pub name: &'a str,
    /// The folders whose queued runs this worker takes; empty for a process that drives only
    /// the runs it queues itself (a CLI command).
    pub serves: &'a [String],
}

/// A live worker that takes queued runs, and the folders it serves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Worker {
    pub id: String,
    pub name: String,
    pub label: String,
    pub serves: Vec<String>,
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
                (id, pid, label, started_at, lease_expires_at, host, pid_started, name)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(id.as_str())
        .bind(i64::from(process.pid))
        .bind(process.label)
        .bind(to_millis(now))
        .bind(to_millis(expires))
        .bind(process.host)
        .bind(process.pid_started)
        .bind(process.name)
        .execute(&mut *conn)
        .await?;
        if !process.serves.is_empty() {
            let mut sql: sqlx::QueryBuilder<'_, Db> =
                sqlx::QueryBuilder::new("INSERT INTO worker_workspaces (instance_id, workspace) ");
            sql.push_values(process.serves, |mut row, workspace| {
                row.push_bind(id.as_str()).push_bind(workspace.as_str());
            });
            sql.push(" ON CONFLICT DO NOTHING");
            sql.build().execute(conn).await?;
        }
        Ok(())
    }

    /// The workers holding a live lease at `now` that take queued runs, with what they serve.
    pub(crate) async fn live_workers(conn: &mut Conn, now: DateTime<Utc>) -> Result<Vec<Worker>> {
        let rows: Vec<(String, Option<String>, String, String)> = sqlx::query_as(
            "SELECT engine_instances.id, engine_instances.name, engine_instances.label,
                    worker_workspaces.workspace
             FROM engine_instances
             JOIN worker_workspaces ON worker_workspaces.instance_id = engine_instances.id
             WHERE engine_instances.lease_expires_at > $1
             ORDER BY engine_instances.id, worker_workspaces.workspace",
        )
        .bind(to_millis(now))
        .fetch_all(conn)
        .await?;
        let mut workers: Vec<Worker> = Vec::new();
        for (id, name, label, workspace) in rows {
            match workers.last_mut() {
                Some(last) if last.id == id => last.serves.push(workspace),
                _ => workers.push(Worker {
                    id,
                    name: name.unwrap_or_else(|| "unnamed".into()),
                    label,
                    serves: vec![workspace],
                }),
            }
        }
        Ok(workers)
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
