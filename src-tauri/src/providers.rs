//! The provider commands: which providers are ready, their settings, their keys, a
//! connection test, and the model catalog. The keychain blocks (D-Bus), so everything that
//! may ask it runs off the async runtime.

use autowork_core::agent::provider::{
    self, ConnectionTest, KeyStorage, ProviderConfig, ProviderSettings, ProviderStatus,
};
use autowork_core::catalog::CatalogModel;
use autowork_core::{ApiError, Error};
use tauri::State;

use crate::state::AppState;

type Reply<T> = Result<T, ApiError>;

/// Runs `work` on the provider settings off the async runtime.
async fn with_settings<T: Send + 'static>(
    state: &AppState,
    work: impl FnOnce(&mut ProviderSettings) -> Result<T, Error> + Send + 'static,
) -> Reply<T> {
    let data_dir = state.data_dir.clone();
    tokio::task::spawn_blocking(move || work(&mut ProviderSettings::load(&data_dir)?))
        .await
        .map_err(|e| ApiError::from(Error::Corrupt(format!("a background task failed: {e}"))))?
        .map_err(ApiError::from)
}

fn not_found(id: String) -> Error {
    Error::NotFound {
        entity: "provider",
        id,
    }
}

#[tauri::command]
#[specta::specta]
pub async fn list_models(state: State<'_, AppState>) -> Reply<Vec<CatalogModel>> {
    // The CLI may have added a provider or models.json may have changed meanwhile.
    state.engine.reload_catalog()?;
    Ok(state.engine.catalog().models().to_vec())
}

/// Every provider with whether it is ready and, if not, why; asks no network.
#[tauri::command]
#[specta::specta]
pub async fn list_providers(state: State<'_, AppState>) -> Reply<Vec<ProviderStatus>> {
    with_settings(&state, |settings| Ok(settings.statuses())).await
}

/// Adds or replaces a provider; where its key is stored stays as it was. Models it names
/// join the catalog at once.
#[tauri::command]
#[specta::specta]
pub async fn set_provider(
    state: State<'_, AppState>,
    config: ProviderConfig,
) -> Reply<ProviderStatus> {
    let status = with_settings(&state, move |settings| {
        let saved = settings.configure(config)?;
        settings
            .status(&saved.id)
            .ok_or_else(|| not_found(saved.id))
    })
    .await?;
    state.engine.reload_catalog()?;
    Ok(status)
}

/// Removes a provider the user added (with its stored key); false when there was none.
#[tauri::command]
#[specta::specta]
pub async fn remove_provider(state: State<'_, AppState>, id: String) -> Reply<bool> {
    let removed = with_settings(&state, move |settings| settings.remove(&id)).await?;
    state.engine.reload_catalog()?;
    Ok(removed)
}

/// Stores the provider's API key: in the system keychain, or where none runs, in a file
/// only the user can read. Says which.
#[tauri::command]
#[specta::specta]
pub async fn set_provider_key(
    state: State<'_, AppState>,
    id: String,
    key: String,
) -> Reply<KeyStorage> {
    with_settings(&state, move |settings| settings.store_key(&id, &key)).await
}

/// Forgets the provider's stored key (keychain entry and key file).
#[tauri::command]
#[specta::specta]
pub async fn forget_provider_key(state: State<'_, AppState>, id: String) -> Reply<ProviderStatus> {
    with_settings(&state, move |settings| {
        settings.forget_key(&id)?;
        settings.status(&id).ok_or_else(|| not_found(id))
    })
    .await
}

/// Asks the provider for its models with its key; a failure is the outcome, in plain words.
#[tauri::command]
#[specta::specta]
pub async fn test_provider(state: State<'_, AppState>, id: String) -> Reply<ConnectionTest> {
    let settings = ProviderSettings::load(&state.data_dir)?;
    let config = settings.find(&id).ok_or_else(|| not_found(id))?;
    Ok(provider::test_connection(&config, settings.keychain(), &provider::http_client()).await)
}
