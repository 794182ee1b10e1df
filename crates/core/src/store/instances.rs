//! Engine instance leases: which processes are alive and may own runs.

use chrono::{DateTime, Utc};
use sqlx::SqliteConnection;

use crate::clock::to_millis;
use crate::error::Result;
use crate::ids::InstanceId;

pub(crate) async fn register(
    conn: &mut SqliteConnection,
    id: &InstanceId,
    label: &str,
    now: DateTime<Utc>,
    expires: DateTime<Utc>,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO engine_instances (id, pid, label, started_at, lease_expires_at)
         VALUES (?, ?, ?, ?, ?)",
    )
    .bind(id.as_str())
    .bind(i64::from(std::process::id()))
    .bind(label)
    .bind(to_millis(now))
    .bind(to_millis(expires))
    .execute(conn)
    .await?;
    Ok(())
}

/// Extends the lease; false when the row is gone (another process judged this one dead).
pub(crate) async fn renew(
    conn: &mut SqliteConnection,
    id: &InstanceId,
    expires: DateTime<Utc>,
) -> Result<bool> {
    let done = sqlx::query("UPDATE engine_instances SET lease_expires_at = ? WHERE id = ?")
        .bind(to_millis(expires))
        .bind(id.as_str())
        .execute(conn)
        .await?;
    Ok(done.rows_affected() == 1)
}

pub(crate) async fn release(conn: &mut SqliteConnection, id: &InstanceId) -> Result<()> {
    sqlx::query("DELETE FROM engine_instances WHERE id = ?")
        .bind(id.as_str())
        .execute(conn)
        .await?;
    Ok(())
}

/// Forgets instances whose lease ran out before `now`.
pub(crate) async fn delete_expired(conn: &mut SqliteConnection, now: DateTime<Utc>) -> Result<u64> {
    let done = sqlx::query("DELETE FROM engine_instances WHERE lease_expires_at <= ?")
        .bind(to_millis(now))
        .execute(conn)
        .await?;
    Ok(done.rows_affected())
}
