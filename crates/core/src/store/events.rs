//! The event outbox.

use chrono::{DateTime, Utc};
use sqlx::SqliteConnection;

use crate::clock::{from_millis, to_millis};
use crate::error::{Error, Result};
use crate::events::{Event, EventRecord};
use crate::ids::InstanceId;

/// Appends an event; returns its record (with its sequence number).
pub(crate) async fn append(
    conn: &mut SqliteConnection,
    origin: &InstanceId,
    event: Event,
    now: DateTime<Utc>,
) -> Result<EventRecord> {
    let payload = serde_json::to_string(&event)
        .map_err(|e| Error::Corrupt(format!("event is not serializable: {e}")))?;
    let seq: i64 = sqlx::query_scalar(
        "INSERT INTO events (origin, kind, subject_id, payload, created_at)
         VALUES (?, ?, ?, ?, ?) RETURNING seq",
    )
    .bind(origin.as_str())
    .bind(event.kind())
    .bind(event.subject_id())
    .bind(payload)
    .bind(to_millis(now))
    .fetch_one(conn)
    .await?;
    Ok(EventRecord {
        seq,
        at: now,
        event,
    })
}

/// An outbox row read back, with the process that wrote it.
pub(crate) struct StoredEvent {
    pub origin: String,
    pub record: EventRecord,
}

/// Events after `seq`, oldest first, at most `limit`.
pub(crate) async fn since(
    conn: &mut SqliteConnection,
    seq: i64,
    limit: u32,
) -> Result<Vec<StoredEvent>> {
    let rows: Vec<(i64, String, String, i64)> = sqlx::query_as(
        "SELECT seq, origin, payload, created_at FROM events WHERE seq > ? ORDER BY seq LIMIT ?",
    )
    .bind(seq)
    .bind(i64::from(limit))
    .fetch_all(conn)
    .await?;
    rows.into_iter()
        .map(|(seq, origin, payload, created_at)| {
            let event: Event = serde_json::from_str(&payload)
                .map_err(|e| Error::Corrupt(format!("event {seq} is unreadable: {e}")))?;
            Ok(StoredEvent {
                origin,
                record: EventRecord {
                    seq,
                    at: from_millis(created_at),
                    event,
                },
            })
        })
        .collect()
}

/// The newest sequence number, 0 when the outbox is empty.
pub(crate) async fn last_seq(conn: &mut SqliteConnection) -> Result<i64> {
    let seq: Option<i64> = sqlx::query_scalar("SELECT MAX(seq) FROM events")
        .fetch_one(conn)
        .await?;
    Ok(seq.unwrap_or(0))
}

/// Drops events older than `before`; the ledger itself keeps the history.
pub(crate) async fn prune(conn: &mut SqliteConnection, before: DateTime<Utc>) -> Result<u64> {
    let done = sqlx::query("DELETE FROM events WHERE created_at < ?")
        .bind(to_millis(before))
        .execute(conn)
        .await?;
    Ok(done.rows_affected())
}
