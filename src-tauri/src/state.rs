//! What every command can reach.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use autowork_core::store::location::StoreLocation;
use autowork_core::Engine;

#[derive(Clone)]
pub struct AppState {
    pub engine: Arc<Engine>,
    pub data_dir: PathBuf,
    pub log_dir: PathBuf,
    /// Where the engine keeps its ledger (read at start: a change applies on restart).
    pub store: StoreLocation,
    /// Why the team database the settings name was not opened at start (this computer's
    /// database is in use instead), for Settings → Database to say.
    pub store_error: Option<String>,
    /// The run the window shows, so a notification about it is not raised while the user
    /// is looking at it.
    pub focused_run: Arc<Mutex<Option<String>>>,
}

/// The data directory shared with the CLI: `$AUTOWORK_DATA_DIR`, else the platform's data
/// directory + `autowork`.
pub fn data_dir() -> Option<PathBuf> {
    std::env::var_os("AUTOWORK_DATA_DIR")
        .map(PathBuf::from)
        .or_else(|| dirs::data_dir().map(|d| d.join("autowork")))
}
