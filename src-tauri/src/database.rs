//! Settings → Database: where the ledger lives (this computer or a team database), the team
//! database's password in the keychain, Test connection, and the restart that applies a
//! change. The password goes from the window to the keychain only; it is never sent back.

use autowork_core::settings::AppSettings;
use autowork_core::store::location::{StoreLocation, TeamDatabase};
use autowork_core::team_database::{self, system_keychain, ConnectionReport, PasswordState};
use autowork_core::{ApiError, Error};
use serde::{Deserialize, Serialize};
use specta::Type;
use tauri::State;

use crate::state::AppState;

type Reply<T> = Result<T, ApiError>;

/// The store as the settings name it and as this app opened it.
#[derive(Debug, Clone, Serialize, Deserialize, Type)]
pub struct StoreChoice {
    /// The saved team database's URL; none for this computer.
    pub url: Option<String>,
    /// The URL the running engine opened (none: this computer). Differs from `url` until the
    /// app restarts.
    pub in_use: Option<String>,
    /// Whether the saved team database has a password at hand, and from where.
    pub password: Option<PasswordState>,
    /// Why the saved team database could not be opened when the app started (this
    /// computer's database is in use instead).
    pub unreachable: Option<String>,
}

async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, Error> + Send + 'static,
) -> Reply<T> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| ApiError::from(Error::Corrupt(format!("a background task failed: {e}"))))?
        .map_err(ApiError::from)
}

fn choice(state: &AppState) -> Result<StoreChoice, Error> {
    let url = AppSettings::load(&state.data_dir)?.store;
    let password = url
        .as_deref()
        .map(TeamDatabase::parse)
        .transpose()?
        .map(|team| team_database::password_state(&team, system_keychain().as_ref()));
    Ok(StoreChoice {
        url,
        in_use: state.store.url().map(str::to_owned),
        password,
        unreachable: state.store_error.clone(),
    })
}

/// The saved choice, the one in use, and the password's state (asks the keychain).
#[tauri::command]
#[specta::specta]
pub async fn get_store(state: State<'_, AppState>) -> Reply<StoreChoice> {
    let state = state.inner().clone();
    blocking(move || choice(&state)).await
}

/// Connects to `url` (5 s at most) with `password` when typed, else the saved one, and
/// reports the server and its schema; a failure names the field `store` or `password`.
#[tauri::command]
#[specta::specta]
pub async fn test_store(url: String, password: Option<String>) -> Reply<ConnectionReport> {
    let team = TeamDatabase::parse(&url)?;
    let report = match password.filter(|p| !p.is_empty()) {
        Some(password) => team_database::test_connection_typed(&team, &password).await,
        None => team_database::test_connection(&team).await,
    };
    Ok(report?)
}

/// Saves the choice: `url` (none or empty: this computer) and, when typed, the password in
/// the keychain (first: without a keychain nothing is saved and the error says to use
/// AUTOWORK_STORE_PASSWORD). Takes effect when the app restarts.
#[tauri::command]
#[specta::specta]
pub async fn set_store(
    state: State<'_, AppState>,
    url: Option<String>,
    password: Option<String>,
) -> Reply<StoreChoice> {
    let state = state.inner().clone();
    blocking(move || {
        let location = StoreLocation::parse(url.as_deref().unwrap_or_default())?;
        if let (StoreLocation::Team(team), Some(password)) =
            (&location, password.filter(|p| !p.is_empty()))
        {
            team_database::save_password(team, &password, system_keychain().as_ref())?;
        }
        let mut settings = AppSettings::load(&state.data_dir)?;
        settings.store = location.url().map(str::to_owned);
        settings.save(&state.data_dir)?;
        choice(&state)
    })
    .await
}

/// Removes the saved team database's password from the keychain.
#[tauri::command]
#[specta::specta]
pub async fn forget_store_password(state: State<'_, AppState>) -> Reply<StoreChoice> {
    let state = state.inner().clone();
    blocking(move || {
        if let Some(url) = AppSettings::load(&state.data_dir)?.store {
            let team = TeamDatabase::parse(&url)?;
            team_database::forget_password(&team, system_keychain().as_ref())?;
        }
        choice(&state)
    })
    .await
}

/// Restarts the app, so a changed store takes effect: the engine shuts down first (runs in
/// flight are closed as a quit closes them).
#[tauri::command]
#[specta::specta]
pub async fn restart_app(app: tauri::AppHandle) -> Reply<()> {
    use tauri::Manager;
    if let Some(state) = app.try_state::<AppState>() {
        state.engine.shutdown().await;
    }
    app.restart()
}
