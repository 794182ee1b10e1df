//! The team database's health in the window: the state now, each change as an event, and
//! Retry now. The engine does the work (`Engine::store_health`); this only carries it.

use std::sync::Arc;

use autowork_core::engine::StoreHealth;
use autowork_core::{ApiError, Engine};
use serde::{Deserialize, Serialize};
use specta::Type;
use tauri::{AppHandle, State};
use tauri_specta::Event;

use crate::state::AppState;

type Reply<T> = Result<T, ApiError>;

/// The store's health changed: lost, another failed try, or reconnected.
#[derive(Debug, Clone, Serialize, Deserialize, Type, Event)]
pub struct StoreHealthChanged(pub StoreHealth);

/// Whether the engine reaches its store now (the window's first look; changes come as
/// [`StoreHealthChanged`]).
#[tauri::command]
#[specta::specta]
pub async fn store_health(state: State<'_, AppState>) -> Reply<StoreHealth> {
    let health = state.engine.store_health().borrow().clone();
    Ok(health)
}

/// Tries to reach a lost store at once (the banner's Retry now).
#[tauri::command]
#[specta::specta]
pub async fn retry_store(state: State<'_, AppState>) -> Reply<()> {
    state.engine.retry_store_now();
    Ok(())
}

/// Forwards each change of the store's health to the window, for the life of the engine.
pub async fn forward(app: AppHandle, engine: Arc<Engine>) {
    let mut health = engine.store_health();
    while health.changed().await.is_ok() {
        let now = health.borrow_and_update().clone();
        if let Err(e) = StoreHealthChanged(now).emit(&app) {
            tracing::warn!(error = %e, "cannot tell the window about the database's health");
        }
    }
}
