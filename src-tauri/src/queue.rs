//! The run queue in the app: the limits Settings edits, the queue as a whole, and where a
//! queued run stands (shown while it waits).

use autowork_core::ids::RunId;
use autowork_core::model::worker::WorkerInfo;
use autowork_core::queue::{QueueLimits, QueuePlace, QueueView};
use autowork_core::ApiError;
use tauri::State;

use crate::state::AppState;

type Reply<T> = Result<T, ApiError>;

#[tauri::command]
#[specta::specta]
pub async fn queue_limits(state: State<'_, AppState>) -> Reply<QueueLimits> {
    Ok(state.engine.queue_limits().await?)
}

/// Saves the limits for every process sharing the database.
#[tauri::command]
#[specta::specta]
pub async fn set_queue_limits(
    state: State<'_, AppState>,
    limits: QueueLimits,
) -> Reply<QueueLimits> {
    Ok(state.engine.set_queue_limits(limits).await?)
}

/// The limits, what holds a slot and the first `limit` (default 50) queued runs in start order.
#[tauri::command]
#[specta::specta]
pub async fn queue_view(state: State<'_, AppState>, limit: Option<u32>) -> Reply<QueueView> {
    Ok(state.engine.queue_view(limit.unwrap_or(50)).await?)
}

/// Where a queued run stands; `null` once it is no longer queued.
#[tauri::command]
#[specta::specta]
pub async fn queue_place(state: State<'_, AppState>, run_id: String) -> Reply<Option<QueuePlace>> {
    Ok(state
        .engine
        .queue_place(&RunId::from(run_id.as_str()))
        .await?)
}

/// The apps and daemons connected to the database that take queued runs, with their folders
/// (Settings → Database lists them for a team database).
#[tauri::command]
#[specta::specta]
pub async fn workers(state: State<'_, AppState>) -> Reply<Vec<WorkerInfo>> {
    Ok(state.engine.workers().await?)
}
