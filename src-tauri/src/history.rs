//! What the Runs view, the Inbox and the Overview read: filtered pages of runs, the inbox
//! with its groups, and figures computed by the engine.

use autowork_core::engine::{Inbox, InboxFilter, RunStats, Upcoming};
use autowork_core::ids::AutomationId;
use autowork_core::ledger::{RunState, RunTrigger};
use autowork_core::{ApiError, Error, RunFilter, RunPage, ValidationDetail};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use specta::Type;
use tauri::State;

use crate::state::AppState;

type Reply<T> = Result<T, ApiError>;

/// Which runs a page of the Runs view holds; every field narrows it, none is required.
#[derive(Debug, Clone, Default, Serialize, Deserialize, Type)]
pub struct RunQuery {
    #[serde(default)]
    pub automation_id: Option<String>,
    #[serde(default)]
    pub states: Vec<RunState>,
    #[serde(default)]
    pub triggers: Vec<RunTrigger>,
    /// Queued at or after (RFC 3339).
    #[serde(default)]
    pub since: Option<String>,
    /// Queued before (RFC 3339).
    #[serde(default)]
    pub until: Option<String>,
}

fn instant(field: &str, value: Option<String>) -> Result<Option<DateTime<Utc>>, ApiError> {
    value
        .map(|text| {
            DateTime::parse_from_rfc3339(&text)
                .map(|t| t.with_timezone(&Utc))
                .map_err(|_| {
                    ApiError::from(Error::InvalidInput(vec![ValidationDetail::new(
                        field,
                        "invalid_datetime",
                    )
                    .with_hint(format!("`{text}` is not an RFC 3339 date and time"))]))
                })
        })
        .transpose()
}

#[tauri::command]
#[specta::specta]
pub async fn list_runs(
    state: State<'_, AppState>,
    automation_id: Option<String>,
    states: Vec<RunState>,
    cursor: Option<String>,
    limit: Option<u32>,
) -> Reply<RunPage> {
    let query = RunQuery {
        automation_id,
        states,
        ..RunQuery::default()
    };
    query_runs(state, query, cursor, limit).await
}

/// A page of runs matching `query`, newest first (keyset paging by `cursor`).
#[tauri::command]
#[specta::specta]
pub async fn query_runs(
    state: State<'_, AppState>,
    query: RunQuery,
    cursor: Option<String>,
    limit: Option<u32>,
) -> Reply<RunPage> {
    let filter = RunFilter {
        automation_id: query
            .automation_id
            .map(|id| AutomationId::from(id.as_str())),
        states: query.states,
        triggers: query.triggers,
        since: instant("since", query.since)?,
        until: instant("until", query.until)?,
    };
    Ok(state
        .engine
        .list_runs(&filter, cursor.as_deref(), limit)
        .await?)
}

/// The inbox: waiting runs first, unseen finished runs, missed fires grouped.
#[tauri::command]
#[specta::specta]
pub async fn inbox_view(state: State<'_, AppState>, filter: Option<InboxFilter>) -> Reply<Inbox> {
    Ok(state.engine.inbox_view(filter.unwrap_or_default()).await?)
}

/// Mark all read: every unseen finished run, or one automation's missed fires.
#[tauri::command]
#[specta::specta]
pub async fn mark_all_seen(state: State<'_, AppState>, missed_of: Option<String>) -> Reply<u32> {
    let missed_of = missed_of.map(|id| AutomationId::from(id.as_str()));
    let seen = state.engine.mark_all_seen(missed_of.as_ref()).await?;
    Ok(u32::try_from(seen).unwrap_or(u32::MAX))
}

/// Runs and cost per day for the last `days` days in `time_zone` (an IANA name).
#[tauri::command]
#[specta::specta]
pub async fn run_stats(
    state: State<'_, AppState>,
    days: u32,
    time_zone: String,
) -> Reply<RunStats> {
    Ok(state.engine.run_stats(days, &time_zone).await?)
}

/// Every schedule's fires in the next `hours` hours.
#[tauri::command]
#[specta::specta]
pub async fn upcoming_fires(state: State<'_, AppState>, hours: u32) -> Reply<Upcoming> {
    Ok(state.engine.upcoming_fires(hours).await?)
}
