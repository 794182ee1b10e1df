//! The event outbox.

use chrono::{DateTime, Utc};
use sqlx::{QueryBuilder, Sqlite, SqliteConnection};

use crate::error::{Error, Result};
use crate::ids::InstanceId;
use crate::model::event::{Event, EventRecord};
use crate::model::time::{from_millis, to_millis};

/// Events per `INSERT`: five bound values each keeps a statement well inside SQLite's
/// limit on bound values (32766), even for a scheduler pass that records many missed fires.
const APPEND_BATCH: usize = 1000;

/// Appends events, a batch per statement; returns their records (with their sequence
/// numbers), in order.
pub(crate) async fn append(
    conn: &mut SqliteConnection,
    origin: &InstanceId,
    events: Vec<Event>,
    now: DateTime<Utc>,
) -> Result<Vec<EventRecord>> {
    let mut seqs = Vec::with_capacity(events.len());
    for batch in events.chunks(APPEND_BATCH) {
        seqs.extend(append_batch(conn, origin, batch, now).await?);
    }
    Ok(records(seqs, events, now))
}

fn records(seqs: Vec<i64>, events: Vec<Event>, now: DateTime<Utc>) -> Vec<EventRecord> {
    seqs.into_iter()
        .zip(events)
        .map(|(seq, event)| EventRecord {
            seq,
            at: now,
            event,
        })
        .collect()
}

/// Inserts one batch; returns the sequence numbers it took, in the batch's order.
async fn append_batch(
    conn: &mut SqliteConnection,
    origin: &InstanceId,
    events: &[Event],
    now: DateTime<Utc>,
) -> Result<Vec<i64>> {
    append_batch_after(conn, Statements::default(), origin, events, now).await
}

/// Statements to run before an outbox insert, in the same round trip to the connection's
/// thread: each ends with `;` and together they change `rows` rows (checked).
pub(crate) struct Statements<'a> {
    pub sql: QueryBuilder<'a, Sqlite>,
    pub rows: u64,
}

impl Default for Statements<'_> {
    fn default() -> Self {
        Statements {
            sql: QueryBuilder::new(""),
            rows: 0,
        }
    }
}

/// [`append`] after `before`: one round trip for a write's rows and its events (each is a
/// hop to the connection's thread and back, the most of a small write's cost).
pub(crate) async fn append_after(
    conn: &mut SqliteConnection,
    before: Statements<'_>,
    origin: &InstanceId,
    events: Vec<Event>,
    now: DateTime<Utc>,
) -> Result<Vec<EventRecord>> {
    if events.is_empty() || events.len() > APPEND_BATCH {
        if before.rows > 0 {
            execute(conn, before).await?;
        }
        return append(conn, origin, events, now).await;
    }
    let seqs = append_batch_after(conn, before, origin, &events, now).await?;
    Ok(records(seqs, events, now))
}

async fn execute(conn: &mut SqliteConnection, mut before: Statements<'_>) -> Result<()> {
    let done = before.sql.build().execute(conn).await?;
    if done.rows_affected() != before.rows {
        return Err(Error::Corrupt(format!(
            "{} rows were to be written but {} were",
            before.rows,
            done.rows_affected()
        )));
    }
    Ok(())
}

async fn append_batch_after(
    conn: &mut SqliteConnection,
    before: Statements<'_>,
    origin: &InstanceId,
    events: &[Event],
    now: DateTime<Utc>,
) -> Result<Vec<i64>> {
    let Statements { mut sql, rows } = before;
    let payloads = events
        .iter()
        .map(|event| {
            serde_json::to_string(event)
                .map_err(|e| Error::Corrupt(format!("event is not serializable: {e}")))
        })
        .collect::<Result<Vec<_>>>()?;
    sql.push("INSERT INTO events (origin, kind, subject_id, payload, created_at) ");
    sql.push_values(events.iter().zip(payloads), |mut row, (event, payload)| {
        row.push_bind(origin.as_str().to_owned())
            .push_bind(event.kind())
            .push_bind(event.subject_id().to_owned())
            .push_bind(payload)
            .push_bind(to_millis(now));
    });
    let done = sql.build().execute(conn).await?;
    let count = events.len() as i64;
    if done.rows_affected() != rows + events.len() as u64 {
        return Err(Error::Corrupt(format!(
            "{count} events after {rows} rows were to be written but {} rows were",
            done.rows_affected()
        )));
    }
    // One statement on an AUTOINCREMENT key that no trigger writes to: its rows take
    // consecutive numbers in the order listed, the last one reported by SQLite (of the
    // batch's last statement, this one). Cheaper than `RETURNING`, which hands each number
    // back as a row of its own.
    let last = done.last_insert_rowid();
    Ok((last - count + 1..=last).collect())
}

/// Events after `seq`, oldest first, at most `limit`.
pub(crate) async fn since(
    conn: &mut SqliteConnection,
    seq: i64,
    limit: u32,
) -> Result<Vec<EventRecord>> {
    let rows: Vec<(i64, String, i64)> = sqlx::query_as(
        "SELECT seq, payload, created_at FROM events WHERE seq > ? ORDER BY seq LIMIT ?",
    )
    .bind(seq)
    .bind(i64::from(limit))
    .fetch_all(conn)
    .await?;
    rows.into_iter()
        .map(|(seq, payload, created_at)| record(seq, &payload, created_at))
        .collect()
}

fn record(seq: i64, payload: &str, created_at: i64) -> Result<EventRecord> {
    let event: Event = serde_json::from_str(payload)
        .map_err(|e| Error::Corrupt(format!("event {seq} is unreadable: {e}")))?;
    Ok(EventRecord {
        seq,
        at: from_millis(created_at),
        event,
    })
}

/// Events after `seq` written by processes other than `own`, oldest first, from at most
/// `limit` rows; with the last sequence number read (own events included), `None` when
/// there was none. Own events come without their payloads, which would only be parsed to
/// be skipped (most events of a busy engine are its own).
pub(crate) async fn others_since(
    conn: &mut SqliteConnection,
    seq: i64,
    limit: u32,
    own: &InstanceId,
) -> Result<(Vec<EventRecord>, Option<i64>)> {
    let rows: Vec<(i64, Option<String>, i64)> = sqlx::query_as(
        "SELECT seq, CASE WHEN origin = ? THEN NULL ELSE payload END, created_at
         FROM events WHERE seq > ? ORDER BY seq LIMIT ?",
    )
    .bind(own.as_str())
    .bind(seq)
    .bind(i64::from(limit))
    .fetch_all(conn)
    .await?;
    let last = rows.last().map(|(seq, ..)| *seq);
    let others = rows
        .into_iter()
        .filter_map(|(seq, payload, created_at)| Some(record(seq, &payload?, created_at)))
        .collect::<Result<_>>()?;
    Ok((others, last))
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
