//! Aggregates for the Overview: runs and cost per day, and each automation's newest runs.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sqlx::QueryBuilder;

use super::backend::on_both_backends;

use super::{parse_column, to_u64};
use crate::error::Result;
use crate::ids::RunId;
use crate::model::definition::status::RunMark;
use crate::model::run::RunState;
use crate::model::time::{from_millis, to_millis};

/// Counts and cost of the runs queued in one `[start, end)` range.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct RangeCounts {
    pub runs: u32,
    pub succeeded: u32,
    pub failed: u32,
    pub stopped: u32,
    pub cost_usd: f64,
}

on_both_backends! {
    /// Runs per range (queued in it), one query over the queue-time index. Missed fires are not
    /// runs that happened, so they are left out.
    pub(crate) async fn counts_per_range(
        conn: &mut Conn,
        ranges: &[(DateTime<Utc>, DateTime<Utc>)],
    ) -> Result<Vec<RangeCounts>> {
        let mut counts = vec![RangeCounts::default(); ranges.len()];
        if ranges.is_empty() {
            return Ok(counts);
        }
        let mut sql: QueryBuilder<'_, Db> = QueryBuilder::new("WITH ranges (i, lo, hi) AS (");
        for (i, (start, end)) in ranges.iter().enumerate() {
            sql.push(if i == 0 {
                "SELECT "
            } else {
                " UNION ALL SELECT "
            });
            sql.push_bind(i as i64)
                .push(", ")
                .push_bind(to_millis(*start))
                .push(", ")
                .push_bind(to_millis(*end));
        }
        // PostgreSQL cannot sum booleans (and would sum integers to NUMERIC): it counts.
        sql.push(if POSTGRES {
            ") SELECT ranges.i, COUNT(*),
                COUNT(*) FILTER (WHERE r.state = 'succeeded'),
                COUNT(*) FILTER (WHERE r.state = 'failed'),
                COUNT(*) FILTER (WHERE r.state = 'stopped'),"
        } else {
            ") SELECT ranges.i, COUNT(*),
                SUM(r.state = 'succeeded'), SUM(r.state = 'failed'), SUM(r.state = 'stopped'),"
        });
        sql.push(
            "
                COALESCE(SUM(r.cost_usd), 0.0)
             FROM ranges JOIN runs r ON r.queued_at >= ranges.lo AND r.queued_at < ranges.hi
             WHERE r.stop_reason IS NULL OR r.stop_reason <> 'missed_schedule'
             GROUP BY ranges.i",
        );
        let rows: Vec<(i64, i64, i64, i64, i64, f64)> =
            sql.build_query_as().fetch_all(&mut *conn).await?;
        let count = |name: &str, value: i64| -> Result<u32> {
            Ok(u32::try_from(to_u64(name, value)?).unwrap_or(u32::MAX))
        };
        for (i, runs, succeeded, failed, stopped, cost_usd) in rows {
            if let Some(slot) = usize::try_from(i).ok().and_then(|i| counts.get_mut(i)) {
                *slot = RangeCounts {
                    runs: count("runs", runs)?,
                    succeeded: count("succeeded", succeeded)?,
                    failed: count("failed", failed)?,
                    stopped: count("stopped", stopped)?,
                    cost_usd,
                };
            }
        }
        Ok(counts)
    }

    /// The newest `per_automation` runs of each selected automation, newest first.
    pub(crate) async fn recent_marks(
        conn: &mut Conn,
        selection: crate::store::status::Selection<'_>,
        per_automation: u32,
    ) -> Result<HashMap<String, Vec<RunMark>>> {
        // Per automation through the (automation_id, id) index: a window over every run read
        // all of them (447 ms at 100k runs against 4 ms this way).
        let mut sql: QueryBuilder<'_, Db> = QueryBuilder::new(
            "SELECT r.automation_id, r.id, r.state, r.queued_at FROM automations a
             JOIN runs r ON r.id IN (SELECT s.id FROM runs s WHERE s.automation_id = a.id
                                     ORDER BY s.id DESC LIMIT ",
        );
        sql.push_bind(i64::from(per_automation)).push(")");
        selection.push_where(&mut sql);
        sql.push(" ORDER BY r.automation_id, r.id DESC");
        let rows: Vec<(String, String, String, i64)> =
            sql.build_query_as().fetch_all(&mut *conn).await?;
        let mut marks: HashMap<String, Vec<RunMark>> = HashMap::new();
        for (automation_id, run_id, state, queued_at) in rows {
            marks.entry(automation_id).or_default().push(RunMark {
                run_id: RunId::from_string(run_id),
                state: parse_column("state", &state, RunState::parse)?,
                queued_at: from_millis(queued_at),
            });
        }
        Ok(marks)
    }
}
