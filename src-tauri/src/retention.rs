//! Run retention in the app: how long finished runs are kept (Settings), and a clean-up
//! previewed first, then done.

use autowork_core::retention::{GcReport, RetentionPolicy};
use autowork_core::{ApiError, Error, ValidationDetail};
use chrono::{DateTime, Utc};
use tauri::State;

use crate::state::AppState;

type Reply<T> = Result<T, ApiError>;

#[tauri::command]
#[specta::specta]
pub async fn get_retention(state: State<'_, AppState>) -> Reply<RetentionPolicy> {
    Ok(state.engine.retention().await?)
}

/// Saves how long finished runs are kept, for every process sharing the database.
#[tauri::command]
#[specta::specta]
pub async fn set_retention(
    state: State<'_, AppState>,
    policy: RetentionPolicy,
) -> Reply<RetentionPolicy> {
    Ok(state.engine.set_retention(policy).await?)
}

/// What a clean-up now would remove; nothing is removed.
#[tauri::command]
#[specta::specta]
pub async fn gc_preview(state: State<'_, AppState>) -> Reply<GcReport> {
    Ok(state.engine.gc(true).await?)
}

/// Removes the finished runs past the policy and gives the space back. Pass the preview's
/// `as_of` to remove exactly what it listed (runs that changed meanwhile are left alone).
#[tauri::command]
#[specta::specta]
pub async fn gc_now(state: State<'_, AppState>, as_of: Option<String>) -> Reply<GcReport> {
    let report = match as_of {
        Some(text) => state.engine.gc_as_of(instant(&text)?, false).await?,
        None => state.engine.gc(false).await?,
    };
    Ok(report)
}

fn instant(text: &str) -> Result<DateTime<Utc>, ApiError> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| {
            Error::InvalidInput(vec![ValidationDetail::new("as_of", "invalid_datetime")
                .with_hint(format!("`{text}` is not an RFC 3339 date and time"))])
            .into()
        })
}
