//! The inbox's questions: what waits for the user, what finished unseen, and the missed
//! fires of each automation, grouped.

use super::backend::on_both_backends;
use super::runs::{RunRow, COLUMNS};
use super::to_u64;
use crate::error::Result;
use crate::ids::{AutomationId, RunId};
use crate::model::run::Run;
use crate::model::time::{from_millis, to_millis};
use chrono::{DateTime, Utc};

/// Unseen finished runs that are not missed fires, plus runs waiting for input.
const LISTED: &str = "(state = 'awaiting_input'
     OR (seen_at IS NULL AND state IN ('succeeded', 'failed', 'stopped')
         AND (stop_reason IS NULL OR stop_reason <> 'missed_schedule')))";

/// Unseen missed fires of one automation, in brief.
pub(crate) struct MissedGroup {
    pub automation_id: AutomationId,
    pub count: u32,
    pub first_at: DateTime<Utc>,
    pub last_at: DateTime<Utc>,
    /// The newest catch-up run of the automation queued after the first missed fire.
    pub ran_latest: Option<RunId>,
}

on_both_backends! {
    /// Runs waiting for input, newest first.
    pub(crate) async fn waiting(conn: &mut Conn, limit: u32) -> Result<Vec<Run>> {
        let rows: Vec<RunRow> = sqlx::query_as(&format!(
            "SELECT {COLUMNS} FROM runs WHERE state = 'awaiting_input' ORDER BY id DESC LIMIT $1"
        ))
        .bind(i64::from(limit))
        .fetch_all(conn)
        .await?;
        rows.into_iter().map(RunRow::into_run).collect()
    }

    /// Unseen finished runs other than missed fires (only failed ones when `failed_only`),
    /// newest first.
    pub(crate) async fn unseen_finished(
        conn: &mut Conn,
        failed_only: bool,
        limit: u32,
    ) -> Result<Vec<Run>> {
        let states = if failed_only {
            "('failed')"
        } else {
            "('succeeded', 'failed', 'stopped')"
        };
        let rows: Vec<RunRow> = sqlx::query_as(&format!(
            "SELECT {COLUMNS} FROM runs
             WHERE seen_at IS NULL AND state IN {states}
               AND (stop_reason IS NULL OR stop_reason <> 'missed_schedule')
             ORDER BY id DESC LIMIT $1"
        ))
        .bind(i64::from(limit))
        .fetch_all(conn)
        .await?;
        rows.into_iter().map(RunRow::into_run).collect()
    }

    /// Unseen missed fires grouped per automation, the group with the newest fire first.
    pub(crate) async fn missed_groups(conn: &mut Conn) -> Result<Vec<MissedGroup>> {
        let rows: Vec<(String, i64, i64, i64, Option<String>)> = sqlx::query_as(
            "SELECT m.automation_id, m.n, m.first_at, m.last_at,
                (SELECT c.id FROM runs c
                  WHERE c.automation_id = m.automation_id AND c.trigger = 'catch_up'
                    AND c.queued_at >= m.first_at
                  ORDER BY c.id DESC LIMIT 1)
             FROM (SELECT automation_id, COUNT(*) AS n, MIN(queued_at) AS first_at,
                          MAX(queued_at) AS last_at
                   FROM runs WHERE seen_at IS NULL AND stop_reason = 'missed_schedule'
                   GROUP BY automation_id) m
             ORDER BY m.last_at DESC",
        )
        .fetch_all(conn)
        .await?;
        rows.into_iter()
            .map(|(automation_id, count, first_at, last_at, ran_latest)| {
                Ok(MissedGroup {
                    automation_id: AutomationId::from_string(automation_id),
                    count: u32::try_from(to_u64("count", count)?).unwrap_or(u32::MAX),
                    first_at: from_millis(first_at),
                    last_at: from_millis(last_at),
                    ran_latest: ran_latest.map(RunId::from_string),
                })
            })
            .collect()
    }

    /// How many listed items there are: waiting, unseen failed, all unseen runs (missed fires
    /// excluded: their groups count as one each).
    pub(crate) async fn counts(conn: &mut Conn) -> Result<(u32, u32, u32)> {
        // PostgreSQL cannot sum booleans (and would sum integers to NUMERIC): it counts.
        let sums = if POSTGRES {
            "COUNT(*) FILTER (WHERE state = 'awaiting_input'),
             COUNT(*) FILTER (WHERE state = 'failed' AND seen_at IS NULL)"
        } else {
            "COALESCE(SUM(state = 'awaiting_input'), 0),
             COALESCE(SUM(state = 'failed' AND seen_at IS NULL), 0)"
        };
        let (waiting, failed, listed): (i64, i64, i64) = sqlx::query_as(&format!(
            "SELECT {sums}, COUNT(*) FROM runs WHERE {LISTED}"
        ))
        .fetch_one(conn)
        .await?;
        let count = |name: &str, v: i64| -> Result<u32> {
            Ok(u32::try_from(to_u64(name, v)?).unwrap_or(u32::MAX))
        };
        Ok((
            count("waiting", waiting)?,
            count("failed", failed)?,
            count("listed", listed)?,
        ))
    }

    /// Files every unseen finished run as seen (of one automation's missed fires only, when
    /// `missed_of` is given). Returns how many.
    pub(crate) async fn mark_all_seen(
        conn: &mut Conn,
        missed_of: Option<&AutomationId>,
        now: DateTime<Utc>,
    ) -> Result<u64> {
        let done = match missed_of {
            Some(id) => {
                sqlx::query(
                    "UPDATE runs SET seen_at = $1
                     WHERE seen_at IS NULL AND automation_id = $2 AND stop_reason = 'missed_schedule'",
                )
                .bind(to_millis(now))
                .bind(id.as_str())
                .execute(conn)
                .await?
            }
            None => {
                sqlx::query(
                    "UPDATE runs SET seen_at = $1
                     WHERE seen_at IS NULL AND state IN ('succeeded', 'failed', 'stopped')",
                )
                .bind(to_millis(now))
                .execute(conn)
                .await?
            }
        };
        Ok(done.rows_affected())
    }
}
