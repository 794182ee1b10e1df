//! What the ledger says about automations' runs: the last run, the failure streak, how many
//! runs finished.

use std::collections::HashMap;

use sqlx::{Encode, QueryBuilder, Type};

use super::backend::{on_both_backends, Backend};

use super::{parse_column, to_u64};
use crate::error::Result;
use crate::ids::{AutomationId, RunId};
use crate::model::definition::status::{LastRun, RunSummary, Upcoming};
use crate::model::run::RunState;
use crate::model::time::from_millis;

/// Which automations a status read covers.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Selection<'a> {
    /// Every live automation.
    Live,
    /// These, deleted or not (the history of a deleted one stays readable).
    Only(&'a [AutomationId]),
}

impl Selection<'_> {
    /// Appends the `WHERE` clause over `automations a`.
    pub(crate) fn push_where<'args, DB: Backend>(self, sql: &mut QueryBuilder<'args, DB>)
    where
        String: Encode<'args, DB> + Type<DB>,
    {
        match self {
            Selection::Live => {
                sql.push(" WHERE a.deleted_at IS NULL");
            }
            Selection::Only([one]) => {
                sql.push(" WHERE a.id = ")
                    .push_bind(one.as_str().to_owned());
            }
            Selection::Only(ids) => {
                let ids: Vec<&str> = ids.iter().map(AutomationId::as_str).collect();
                let ids = serde_json::json!(ids).to_string();
                if DB::POSTGRES {
                    sql.push(" WHERE a.id IN (SELECT json_array_elements_text(")
                        .push_bind(ids)
                        .push("::json))");
                } else {
                    sql.push(" WHERE a.id IN (SELECT value FROM json_each(")
                        .push_bind(ids)
                        .push("))");
                }
            }
        }
    }
}

on_both_backends! {
    // Called by `run_summaries` only, on its own backend.
    shared {
        /// Finished (succeeded or failed) runs per automation id, of the selected automations with
        /// `stop: after_runs`; each counted through the `(automation_id, state, id)` index.
        pub(crate) async fn runs_done(
            conn: &mut Conn,
            selection: Selection<'_>,
        ) -> Result<HashMap<String, u32>> {
            let mut sql = QueryBuilder::new(
                "SELECT a.id, (SELECT COUNT(*) FROM runs r WHERE r.automation_id = a.id
                                 AND r.state IN ('succeeded', 'failed'))
                 FROM automations a",
            );
            selection.push_where(&mut sql);
            sql.push(" AND a.stop_kind = 'after_runs'");
            let rows: Vec<(String, i64)> = sql.build_query_as().fetch_all(&mut *conn).await?;
            rows.into_iter()
                .map(|(automation_id, done)| {
                    let done = u32::try_from(to_u64("runs_done", done)?).unwrap_or(u32::MAX);
                    Ok((automation_id, done))
                })
                .collect()
        }
    }

    /// Run summaries keyed by automation id. The finished-run counts are read only for
    /// automations with `stop: after_runs`, the one rule that needs them.
    pub(crate) async fn run_summaries(
        conn: &mut Conn,
        selection: Selection<'_>,
    ) -> Result<HashMap<String, RunSummary>> {
        let mut summaries: HashMap<String, RunSummary> = HashMap::new();

        // Each per automation through the indexes: a GROUP BY over every run read all of
        // them (about 45 ms at 100k runs against 2 ms this way).
        let mut sql = QueryBuilder::new(
            "SELECT r.automation_id, r.id, r.state, r.finished_at, r.cost_usd FROM automations a
             JOIN runs r ON r.id = (SELECT MAX(s.id) FROM runs s WHERE s.automation_id = a.id)",
        );
        selection.push_where(&mut sql);
        let rows: Vec<(String, String, String, Option<i64>, f64)> =
            sql.build_query_as().fetch_all(&mut *conn).await?;
        for (automation_id, run_id, state, finished_at, cost_usd) in rows {
            summaries.entry(automation_id).or_default().last_run = Some(LastRun {
                run_id: RunId::from_string(run_id),
                state: parse_column("state", &state, RunState::parse)?,
                finished_at: finished_at.map(from_millis),
                cost_usd,
            });
        }

        // Failed runs since the last success; stopped runs neither count nor break the streak.
        let mut sql = QueryBuilder::new(
            "SELECT id, streak FROM (SELECT a.id,
                (SELECT COUNT(*) FROM runs r WHERE r.automation_id = a.id AND r.state = 'failed'
                   AND r.id > COALESCE((SELECT MAX(s.id) FROM runs s
                                        WHERE s.automation_id = a.id AND s.state = 'succeeded'), ''))
                  AS streak
             FROM automations a",
        );
        selection.push_where(&mut sql);
        // PostgreSQL (before 16) wants a name for the subquery.
        sql.push(if POSTGRES {
            ") AS streaks WHERE streak > 0"
        } else {
            ") WHERE streak > 0"
        });
        let rows: Vec<(String, i64)> = sql.build_query_as().fetch_all(&mut *conn).await?;
        for (automation_id, streak) in rows {
            summaries.entry(automation_id).or_default().failure_streak =
                u32::try_from(to_u64("failure_streak", streak)?).unwrap_or(u32::MAX);
        }

        for (automation_id, marks) in crate::store::overview::recent_marks(
            conn,
            selection,
            crate::model::definition::status::RECENT_RUNS,
        )
        .await?
        {
            summaries.entry(automation_id).or_default().recent_runs = marks;
        }

        for (automation_id, done) in runs_done(conn, selection).await? {
            summaries.entry(automation_id).or_default().runs_done = done;
        }
        Ok(summaries)
    }

    /// Fills in the derived status of `automations` at `now`, each with `upcoming` fires.
    pub(crate) async fn fill(
        conn: &mut Conn,
        automations: &mut [crate::model::definition::Automation],
        now: chrono::DateTime<chrono::Utc>,
        upcoming: Upcoming<'_>,
    ) -> Result<()> {
        let ids: Vec<AutomationId>;
        let selection = match automations {
            [one] => Selection::Only(std::slice::from_ref(&one.id)),
            _ => {
                ids = automations.iter().map(|a| a.id.clone()).collect();
                Selection::Only(&ids)
            }
        };
        let mut summaries = run_summaries(conn, selection).await?;
        for (i, automation) in automations.iter_mut().enumerate() {
            let runs = summaries.remove(automation.id.as_str()).unwrap_or_default();
            automation.status = crate::model::definition::AutomationStatus::derive(
                automation,
                runs,
                now,
                upcoming.at(i),
            );
        }
        Ok(())
    }
}
