//! Keyset pagination over many runs.

use std::collections::HashSet;

use autowork_core::ids::RunId;
use autowork_core::ledger::{Attendance, RunState};
use autowork_core::{Error, RunFilter};
use pretty_assertions::assert_eq;

use super::support::*;

/// Inserts `count` finished runs of the automation straight into the database file, oldest
/// first, and returns their ids.
pub async fn seed_runs(
    data_dir: &std::path::Path,
    automation_id: &str,
    count: usize,
) -> Vec<String> {
    let db = RawDb::open(data_dir).await;
    let mut ids = Vec::with_capacity(count);
    let mut statements = Vec::with_capacity(count);
    for i in 0..count {
        let id = RunId::new().to_string();
        let state = if i % 3 == 0 { "failed" } else { "succeeded" };
        statements.push((
            "INSERT INTO runs (id, automation_id, definition_revision, revision, trigger, attendance,
                writer_key, state, result, error_code, error_message, queued_at, started_at, finished_at)
             VALUES ($1, $2, 1, 3, 'schedule', 'unattended', '/w', $3, $4, $5, $6, $7, $8, $9)",
            crate::args![
                id.clone(),
                automation_id,
                state,
                (state == "succeeded").then_some("ok"),
                (state == "failed").then_some("step_cap"),
                (state == "failed").then_some("too many steps"),
                i as i64,
                i as i64,
                i as i64 + 1,
            ],
        ));
        ids.push(id);
    }
    db.execute_all(statements).await;
    db.close().await;
    ids
}

#[tokio::test]
async fn paging_over_ten_thousand_runs_returns_every_run_once_newest_first() {
    let env = TestEnv::new().await;
    let automation = env.automation().await;
    let mut expected = seed_runs(&env.data_dir(), automation.id.as_str(), 10_000).await;
    expected.reverse();

    let filter = RunFilter {
        automation_id: Some(automation.id.clone()),
        states: vec![],
        ..Default::default()
    };
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let page = env
            .engine
            .list_runs(&filter, cursor.as_deref(), Some(500))
            .await
            .unwrap();
        assert!(page.runs.len() <= 500);
        seen.extend(page.runs.iter().map(|r| r.id.to_string()));
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    assert_eq!(seen.len(), 10_000);
    assert_eq!(
        seen.iter().collect::<HashSet<_>>().len(),
        10_000,
        "no run twice"
    );
    assert_eq!(seen, expected, "newest first");
}

#[tokio::test]
async fn filters_by_state_and_automation_and_checks_the_limit() {
    let env = TestEnv::new().await;
    let one = env.automation().await;
    let two = env.automation_in("other").await;
    seed_runs(&env.data_dir(), one.id.as_str(), 30).await;
    let run = env
        .engine
        .run_now(&two.id, Attendance::Attended)
        .await
        .unwrap();
    wait_for_state(&env.engine, &run.id, RunState::Succeeded).await;

    let failed = env
        .engine
        .list_runs(
            &RunFilter {
                automation_id: Some(one.id.clone()),
                states: vec![RunState::Failed],
                ..Default::default()
            },
            None,
            Some(500),
        )
        .await
        .unwrap();
    assert_eq!(failed.runs.len(), 10);
    assert!(failed.runs.iter().all(|r| r.state == RunState::Failed));
    assert_eq!(failed.next_cursor, None);

    let everything = env
        .engine
        .list_runs(&RunFilter::default(), None, None)
        .await
        .unwrap();
    assert_eq!(everything.runs.len(), 31, "default page of 50 holds all 31");
    assert_eq!(everything.runs[0].id, run.id, "the newest run comes first");

    for bad in [0, 501] {
        assert!(matches!(
            env.engine
                .list_runs(&RunFilter::default(), None, Some(bad))
                .await,
            Err(Error::InvalidInput(_))
        ));
    }
}
