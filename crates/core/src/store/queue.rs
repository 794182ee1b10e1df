//! The run queue's questions: its limits, which runs hold a slot, and the queued runs in the
//! order they start (a person's Run now first, then by the time they were queued).

use std::collections::{HashMap, HashSet};

use sqlx::FromRow;

use super::backend::on_both_backends;

use crate::error::{Error, Result};
use crate::ids::{AutomationId, InstanceId, RunId};
use crate::model::queue::QueueLimits;

const LIMITS_KEY: &str = "queue_limits";

/// The runs holding a slot (running or waiting for input), in all and per provider, and the
/// work areas they hold.
#[derive(Debug, Default)]
pub(crate) struct Occupancy {
    pub total: u32,
    pub by_provider: HashMap<String, u32>,
    pub work_areas: HashSet<String>,
}

impl Occupancy {
    pub fn of_provider(&self, provider: &str) -> u32 {
        self.by_provider.get(provider).copied().unwrap_or(0)
    }

    /// Counts a run that takes a slot.
    pub fn take(&mut self, provider: &str, work_area: &str) {
        self.total += 1;
        *self.by_provider.entry(provider.to_owned()).or_default() += 1;
        self.work_areas.insert(work_area.to_owned());
    }
}

/// A queued run, as the dispatcher needs it.
#[derive(Debug, FromRow)]
pub(crate) struct Queued {
    pub id: String,
    pub automation_id: String,
    pub owner_id: Option<String>,
    pub writer_key: String,
    /// The automation's folder: a worker that serves it may take the run.
    pub workspace: String,
    pub provider_id: String,
    /// 0 for a person's Run now, 1 for a scheduled fire.
    pub rank: i64,
    pub queued_at: i64,
}

impl Queued {
    pub fn run_id(&self) -> RunId {
        RunId::from_string(self.id.clone())
    }

    pub fn automation_id(&self) -> AutomationId {
        AutomationId::from_string(self.automation_id.clone())
    }

    pub fn owned_by(&self, instance: &InstanceId) -> bool {
        self.owner_id.as_deref() == Some(instance.as_str())
    }
}

/// The queue order as an SQL expression list; `queued` and `place` must agree on it.
const ORDER: &str = "(runs.trigger <> 'manual'), runs.queued_at, runs.id";

on_both_backends! {
    /// The limits every process sharing the database obeys; the defaults until someone sets them.
    pub(crate) async fn limits(conn: &mut Conn) -> Result<QueueLimits> {
        let stored: Option<String> =
            sqlx::query_scalar("SELECT value FROM engine_settings WHERE key = $1")
                .bind(LIMITS_KEY)
                .fetch_optional(conn)
                .await?;
        match stored {
            Some(json) => serde_json::from_str(&json)
                .map_err(|e| Error::Corrupt(format!("the stored queue limits are unreadable: {e}"))),
            None => Ok(QueueLimits::default()),
        }
    }

    pub(crate) async fn set_limits(conn: &mut Conn, limits: &QueueLimits) -> Result<()> {
        let json = serde_json::to_string(limits)
            .map_err(|e| Error::Corrupt(format!("queue limits are not serializable: {e}")))?;
        sqlx::query(
            "INSERT INTO engine_settings (key, value) VALUES ($1, $2)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        )
        .bind(LIMITS_KEY)
        .bind(json)
        .execute(conn)
        .await?;
        Ok(())
    }

    pub(crate) async fn occupancy(conn: &mut Conn) -> Result<Occupancy> {
        let rows: Vec<(String, String)> = sqlx::query_as(
            "SELECT automations.provider_id, runs.writer_key
             FROM runs JOIN automations ON automations.id = runs.automation_id
             WHERE runs.state IN ('running', 'awaiting_input')",
        )
        .fetch_all(conn)
        .await?;
        let mut occupancy = Occupancy::default();
        for (provider, work_area) in rows {
            occupancy.take(&provider, &work_area);
        }
        Ok(occupancy)
    }

    /// Up to `limit` queued runs in the order they start, after `after` (a previous page's last).
    pub(crate) async fn queued(
        conn: &mut Conn,
        after: Option<&Queued>,
        limit: u32,
    ) -> Result<Vec<Queued>> {
        let (keyset, limit_at) = if after.is_some() {
            (format!("AND ({ORDER}) > ($1, $2, $3)"), "$4")
        } else {
            (String::new(), "$1")
        };
        // The rank is a boolean on PostgreSQL; the row reads it as a number on both.
        let rank = if POSTGRES {
            "CAST((runs.trigger <> 'manual') AS INTEGER)::BIGINT"
        } else {
            "(runs.trigger <> 'manual')"
        };
        let sql = format!(
            "SELECT runs.id, runs.automation_id, runs.owner_id, runs.writer_key,
                    automations.workspace, automations.provider_id, {rank} AS rank,
                    runs.queued_at
             FROM runs JOIN automations ON automations.id = runs.automation_id
             WHERE runs.state = 'queued' {keyset}
             ORDER BY {ORDER} LIMIT {limit_at}"
        );
        let mut query = sqlx::query_as::<_, Queued>(&sql);
        if let Some(after) = after {
            // Bound as a boolean, which compares with `trigger <> 'manual'` on both (SQLite
            // stores it as the same 0 or 1).
            query = query
                .bind(after.rank != 0)
                .bind(after.queued_at)
                .bind(after.id.clone());
        }
        Ok(query.bind(i64::from(limit)).fetch_all(conn).await?)
    }

    /// Whether a queued run waits for a worker to take it.
    pub(crate) async fn any_unclaimed(conn: &mut Conn) -> Result<bool> {
        let one: Option<String> = sqlx::query_scalar(
            "SELECT id FROM runs WHERE state = 'queued' AND owner_id IS NULL LIMIT 1",
        )
        .fetch_optional(conn)
        .await?;
        Ok(one.is_some())
    }

    /// How many queued runs start before run `id`; `None` when it is not queued.
    pub(crate) async fn ahead_of(conn: &mut Conn, id: &RunId) -> Result<Option<u32>> {
        let sql = format!(
            "SELECT (SELECT COUNT(*) FROM runs WHERE runs.state = 'queued'
                       AND ({ORDER}) < ((me.trigger <> 'manual'), me.queued_at, me.id))
             FROM runs AS me WHERE me.id = $1 AND me.state = 'queued'"
        );
        let ahead: Option<i64> = sqlx::query_scalar(&sql)
            .bind(id.as_str())
            .fetch_optional(conn)
            .await?;
        Ok(ahead.map(|n| u32::try_from(n).unwrap_or(u32::MAX)))
    }

    /// The provider run `id`'s automation uses.
    pub(crate) async fn provider_of(conn: &mut Conn, id: &RunId) -> Result<Option<String>> {
        Ok(sqlx::query_scalar(
            "SELECT automations.provider_id FROM runs
             JOIN automations ON automations.id = runs.automation_id WHERE runs.id = $1",
        )
        .bind(id.as_str())
        .fetch_optional(conn)
        .await?)
    }

    /// The first `limit` queued runs in start order, and how many are queued in all.
    pub(crate) async fn queued_runs(
        conn: &mut Conn,
        limit: u32,
    ) -> Result<(Vec<crate::model::run::Run>, u32)> {
        let columns = crate::store::runs::COLUMNS;
        let rows: Vec<crate::store::runs::RunRow> = sqlx::query_as(&format!(
            "SELECT {columns} FROM runs WHERE runs.state = 'queued' ORDER BY {ORDER} LIMIT $1"
        ))
        .bind(i64::from(limit))
        .fetch_all(&mut *conn)
        .await?;
        let total: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM runs WHERE state = 'queued'")
            .fetch_one(conn)
            .await?;
        let runs = rows
            .into_iter()
            .map(crate::store::runs::RunRow::into_run)
            .collect::<Result<Vec<_>>>()?;
        Ok((runs, u32::try_from(total).unwrap_or(u32::MAX)))
    }
}
