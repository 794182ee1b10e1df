//! The event outbox.

use chrono::{DateTime, Utc};
use sqlx::QueryBuilder;

use super::backend::{on_both_backends, LastInsertRowid};
use super::transcripts::Staged;
use super::{BlindWrite, Tx};

use crate::error::{Error, Result};
use crate::ids::InstanceId;
use crate::model::event::{Event, EventRecord};
use crate::model::time::{from_millis, to_millis};

/// Events per `INSERT`: five bound values each keeps a statement well inside SQLite's
/// limit on bound values (32766) and PostgreSQL's (65535), even for a scheduler pass that
/// records many missed fires.
const APPEND_BATCH: usize = 1000;

/// The records of `events` committed with the sequence numbers `seqs`.
pub(crate) fn records(seqs: Vec<i64>, events: Vec<Event>, now: DateTime<Utc>) -> Vec<EventRecord> {
    seqs.into_iter()
        .zip(events)
        .map(|(seq, event)| EventRecord {
            seq,
            at: now,
            event,
        })
        .collect()
}

fn payloads(events: &[Event]) -> Result<Vec<String>> {
    events
        .iter()
        .map(|event| {
            serde_json::to_string(event)
                .map_err(|e| Error::Corrupt(format!("event is not serializable: {e}")))
        })
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

fn wrote(expected: u64, written: u64, what: &str) -> Result<()> {
    if expected == written {
        return Ok(());
    }
    Err(Error::Corrupt(format!(
        "{expected} rows ({what}) were to be written but {written} were"
    )))
}

on_both_backends! {
    shared {
        /// Adds the outbox insert of `events` to `sql`.
        pub(super) fn push_insert<'a>(
            sql: &mut QueryBuilder<'a, Db>,
            origin: &InstanceId,
            events: &[Event],
            payloads: Vec<String>,
            now: DateTime<Utc>,
        ) {
            sql.push("INSERT INTO events (origin, kind, subject_id, payload, created_at) ");
            sql.push_values(events.iter().zip(payloads), |mut row, (event, payload)| {
                row.push_bind(origin.as_str().to_owned())
                    .push_bind(event.kind())
                    .push_bind(event.subject_id().to_owned())
                    .push_bind(payload)
                    .push_bind(to_millis(now));
            });
        }

        /// Writes the staged rows, a statement per table.
        async fn write_each(conn: &mut Conn, staged: Staged) -> Result<()> {
            let mut sql = QueryBuilder::new("");
            let rows = staged.push_messages(&mut sql);
            if rows > 0 {
                let done = sql.build().execute(&mut *conn).await?;
                wrote(rows, done.rows_affected(), "messages")?;
            }
            let mut sql = QueryBuilder::new("");
            let rows = staged.push_parts(&mut sql);
            if rows > 0 {
                let done = sql.build().execute(&mut *conn).await?;
                wrote(rows, done.rows_affected(), "parts")?;
            }
            Ok(())
        }

        /// Inserts one batch of events after the rows of `staged`; returns the sequence
        /// numbers the events took, in the batch's order.
        async fn append_batch(
            conn: &mut Conn,
            staged: Staged,
            origin: &InstanceId,
            events: &[Event],
            now: DateTime<Utc>,
        ) -> Result<Vec<i64>> {
            let payloads = payloads(events)?;
            let count = events.len() as i64;
            if POSTGRES {
                // One statement per query on PostgreSQL (a prepared statement holds one).
                write_each(conn, staged).await?;
                let mut sql = QueryBuilder::new("");
                push_insert(&mut sql, origin, events, payloads, now);
                sql.push(" RETURNING seq");
                let seqs: Vec<i64> = sql
                    .build_query_scalar()
                    .fetch_all(&mut *conn)
                    .await?;
                wrote(events.len() as u64, seqs.len() as u64, "events")?;
                return Ok(seqs);
            }
            // SQLite: the staged rows and the events in one round trip to the connection's
            // thread (each is a hop there and back, the most of a small write's cost).
            let mut sql = QueryBuilder::new("");
            let rows = staged.push_messages(&mut sql) + staged.push_parts(&mut sql);
            push_insert(&mut sql, origin, events, payloads, now);
            let done = sql.build().execute(&mut *conn).await?;
            wrote(rows + events.len() as u64, done.rows_affected(), "transcript and events")?;
            // One statement on an AUTOINCREMENT key that no trigger writes to: its rows take
            // consecutive numbers in the order listed, the last one reported by SQLite (of the
            // batch's last statement, this one). Cheaper than `RETURNING`, which hands each
            // number back as a row of its own.
            let last = done.last_insert_rowid();
            Ok((last - count + 1..=last).collect())
        }
    }

    /// Appends events, a batch per statement, after writing the transcript rows of `staged`
    /// (on SQLite in the same round trip as the first batch); returns the events' records
    /// (with their sequence numbers), in order.
    pub(crate) async fn append_after(
        conn: &mut Conn,
        staged: Staged,
        origin: &InstanceId,
        events: Vec<Event>,
        now: DateTime<Utc>,
    ) -> Result<Vec<EventRecord>> {
        let mut seqs = Vec::with_capacity(events.len());
        let mut staged = Some(staged);
        for batch in events.chunks(APPEND_BATCH) {
            let before = staged.take().unwrap_or_default();
            seqs.extend(append_batch(conn, before, origin, batch, now).await?);
        }
        if let Some(staged) = staged {
            // No events: the rows alone.
            write_each(conn, staged).await?;
        }
        Ok(records(seqs, events, now))
    }

    /// Events after `seq`, oldest first, at most `limit`.
    pub(crate) async fn since(conn: &mut Conn, seq: i64, limit: u32) -> Result<Vec<EventRecord>> {
        let rows: Vec<(i64, String, i64)> = sqlx::query_as(
            "SELECT seq, payload, created_at FROM events WHERE seq > $1 ORDER BY seq LIMIT $2",
        )
        .bind(seq)
        .bind(i64::from(limit))
        .fetch_all(conn)
        .await?;
        rows.into_iter()
            .map(|(seq, payload, created_at)| record(seq, &payload, created_at))
            .collect()
    }

    /// Events after `seq` written by processes other than `own`, oldest first, from at most
    /// `limit` rows; with the last sequence number read (own events included), `None` when
    /// there was none. Own events come without their payloads, which would only be parsed to
    /// be skipped (most events of a busy engine are its own).
    pub(crate) async fn others_since(
        conn: &mut Conn,
        seq: i64,
        limit: u32,
        own: &InstanceId,
    ) -> Result<(Vec<EventRecord>, Option<i64>)> {
        let rows: Vec<(i64, Option<String>, i64)> = sqlx::query_as(
            "SELECT seq, CASE WHEN origin = $1 THEN NULL ELSE payload END, created_at
             FROM events WHERE seq > $2 ORDER BY seq LIMIT $3",
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
    pub(crate) async fn last_seq(conn: &mut Conn) -> Result<i64> {
        let seq: Option<i64> = sqlx::query_scalar("SELECT MAX(seq) FROM events")
            .fetch_one(conn)
            .await?;
        Ok(seq.unwrap_or(0))
    }

    /// Drops events older than `before`; the ledger itself keeps the history.
    pub(crate) async fn prune(conn: &mut Conn, before: DateTime<Utc>) -> Result<u64> {
        let done = sqlx::query("DELETE FROM events WHERE created_at < $1")
            .bind(to_millis(before))
            .execute(conn)
            .await?;
        Ok(done.rows_affected())
    }
}

/// [`append_after`] in `tx`, then commits it. On SQLite, the staged rows, the events and the
/// `COMMIT` go to the writer's thread in one round trip (each is a hop there and back, the
/// most of a small write's cost). Their row count is not checked there: the batch holds only
/// `INSERT`s of values, each of which writes all its rows or fails the batch (and the
/// transaction, which then rolls back).
pub(crate) async fn append_and_commit(
    tx: Tx,
    staged: Staged,
    origin: &InstanceId,
    events: Vec<Event>,
    now: DateTime<Utc>,
) -> Result<Vec<EventRecord>> {
    match tx {
        Tx::SqliteWrite(write) if events.len() <= APPEND_BATCH => {
            let mut sql = QueryBuilder::new("");
            staged.push_messages(&mut sql);
            staged.push_parts(&mut sql);
            if !events.is_empty() {
                sqlite::push_insert(&mut sql, origin, &events, payloads(&events)?, now);
                sql.push(";");
            }
            let done = write.commit_with(sql).await?;
            // As in `append_batch`: consecutive numbers, the last one the batch's last insert.
            let count = events.len() as i64;
            let last = done.last_insert_rowid();
            let seqs = if count == 0 {
                Vec::new()
            } else {
                (last - count + 1..=last).collect()
            };
            Ok(records(seqs, events, now))
        }
        mut tx => {
            let records = append_after(&mut tx, staged, origin, events, now).await?;
            tx.commit().await?;
            Ok(records)
        }
    }
}

/// Adds the rows of `staged` and the outbox insert of `events` to `write` and commits it:
/// the whole transaction in one round trip to SQLite's writer. Returns the events' sequence
/// numbers, in order. `staged` and `events` are only read: a caller may write them another
/// way when this write fails.
pub(crate) async fn commit_blind<'a>(
    mut write: BlindWrite<'a>,
    staged: &'a Staged,
    origin: &InstanceId,
    events: &[Event],
    now: DateTime<Utc>,
) -> Result<Vec<i64>> {
    staged.push_messages(write.sql());
    staged.push_parts(write.sql());
    for batch in events.chunks(APPEND_BATCH) {
        sqlite::push_insert(write.sql(), origin, batch, payloads(batch)?, now);
        write.sql().push(";");
    }
    let done = write.commit().await?;
    // The outbox's key is AUTOINCREMENT, no trigger writes to it and this transaction holds
    // the write lock: its events took consecutive numbers in the order listed, the last one
    // the batch's last insert (as in `append_batch`).
    let count = events.len() as i64;
    let last = done.last_insert_rowid();
    Ok(if count == 0 {
        Vec::new()
    } else {
        (last - count + 1..=last).collect()
    })
}
