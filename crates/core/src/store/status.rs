//! What the ledger says about automations' runs: the last run, the failure streak, how many
//! runs finished.

use std::collections::HashMap;

use sqlx::{QueryBuilder, Sqlite, SqliteConnection};

use super::{parse_column, to_u64};
use crate::clock::from_millis;
use crate::definition::status::{LastRun, RunSummary};
use crate::error::Result;
use crate::ids::{AutomationId, RunId};
use crate::ledger::RunState;

/// Run summaries keyed by automation id; of one automation, or of all when `only` is none.
/// `count_done` asks for the finished-run counts too, which scan every finished run: only
/// `stop: after_runs` needs them.
pub(crate) async fn run_summaries(
    conn: &mut SqliteConnection,
    only: Option<&AutomationId>,
    count_done: bool,
) -> Result<HashMap<String, RunSummary>> {
    // One automation (even a deleted one, whose history stays readable), or the live ones.
    let only_or_live = |sql: &mut QueryBuilder<'_, Sqlite>| match only {
        Some(id) => {
            sql.push(" WHERE a.id = ").push_bind(id.as_str().to_owned());
        }
        None => {
            sql.push(" WHERE a.deleted_at IS NULL");
        }
    };
    let mut summaries: HashMap<String, RunSummary> = HashMap::new();

    // Each per automation through the indexes: a GROUP BY over every run read all of
    // them (about 45 ms at 100k runs against 2 ms this way).
    let mut sql = QueryBuilder::new(
        "SELECT r.automation_id, r.id, r.state, r.finished_at, r.cost_usd FROM automations a
         JOIN runs r ON r.id = (SELECT MAX(s.id) FROM runs s WHERE s.automation_id = a.id)",
    );
    only_or_live(&mut sql);
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
    only_or_live(&mut sql);
    sql.push(") WHERE streak > 0");
    let rows: Vec<(String, i64)> = sql.build_query_as().fetch_all(&mut *conn).await?;
    for (automation_id, streak) in rows {
        summaries.entry(automation_id).or_default().failure_streak =
            u32::try_from(to_u64("failure_streak", streak)?).unwrap_or(u32::MAX);
    }

    for (automation_id, marks) in
        super::overview::recent_marks(conn, only, crate::definition::status::RECENT_RUNS).await?
    {
        summaries.entry(automation_id).or_default().recent_runs = marks;
    }

    if count_done {
        for (automation_id, done) in runs_done(conn, only).await? {
            summaries.entry(automation_id).or_default().runs_done = done;
        }
    }
    Ok(summaries)
}

/// Finished (succeeded or failed) runs per automation id; of one automation, or of all.
pub(crate) async fn runs_done(
    conn: &mut SqliteConnection,
    only: Option<&AutomationId>,
) -> Result<HashMap<String, u32>> {
    let mut sql = QueryBuilder::new(
        "SELECT automation_id, COUNT(*) FROM runs WHERE state IN ('succeeded', 'failed')",
    );
    if let Some(id) = only {
        sql.push(" AND automation_id = ")
            .push_bind(id.as_str().to_owned());
    }
    sql.push(" GROUP BY automation_id");
    let rows: Vec<(String, i64)> = sql.build_query_as().fetch_all(&mut *conn).await?;
    rows.into_iter()
        .map(|(automation_id, done)| {
            let done = u32::try_from(to_u64("runs_done", done)?).unwrap_or(u32::MAX);
            Ok((automation_id, done))
        })
        .collect()
}

/// Fills in the derived status of `automations` at `now` (`only` narrows the queries when
/// there is just one).
pub(crate) async fn fill(
    conn: &mut SqliteConnection,
    automations: &mut [crate::definition::Automation],
    now: chrono::DateTime<chrono::Utc>,
) -> Result<()> {
    let only = match automations {
        [one] => Some(one.id.clone()),
        _ => None,
    };
    let count_done = automations.iter().any(|a| {
        matches!(
            a.spec.stop,
            crate::definition::StopCondition::AfterRuns { .. }
        )
    });
    let mut summaries = run_summaries(conn, only.as_ref(), count_done).await?;
    for automation in automations.iter_mut() {
        let runs = summaries.remove(automation.id.as_str()).unwrap_or_default();
        automation.status = crate::definition::AutomationStatus::derive(automation, runs, now);
    }
    Ok(())
}
