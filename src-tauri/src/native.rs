//! What the desktop offers beyond the engine: the system folder picker, a hint about the
//! folder picked, and whether a tray host exists to keep the app in.

use std::path::{Path, PathBuf};

use autowork_core::{ApiError, Error};
use serde::{Deserialize, Serialize};
use specta::Type;
use tauri_plugin_dialog::DialogExt;

type Reply<T> = Result<T, ApiError>;

/// What the editor says under the work directory field.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type)]
pub struct FolderHint {
    /// The path as given, made absolute and canonical when it exists.
    pub path: String,
    pub exists: bool,
    pub is_dir: bool,
    /// The top of the git working tree the folder is in, if any.
    pub git_root: Option<String>,
}

/// Describes `path` for the work directory field.
pub fn folder_hint(path: &Path) -> FolderHint {
    let canonical = path.canonicalize().ok();
    let shown = canonical.clone().unwrap_or_else(|| path.to_path_buf());
    let is_dir = canonical.as_deref().is_some_and(Path::is_dir);
    let git_root = is_dir
        .then(|| autowork_core::git::repository_root(&shown).ok())
        .flatten()
        .map(|root| root.display().to_string());
    FolderHint {
        path: shown.display().to_string(),
        exists: canonical.is_some(),
        is_dir,
        git_root,
    }
}

/// Opens the system's folder picker; `None` when the user cancels.
#[tauri::command]
#[specta::specta]
pub async fn pick_folder(
    app: tauri::AppHandle,
    start: Option<String>,
) -> Reply<Option<FolderHint>> {
    let mut dialog = app.dialog().file().set_title("Choose the work directory");
    if let Some(start) = start.map(PathBuf::from).filter(|p| p.is_dir()) {
        dialog = dialog.set_directory(start);
    }
    // The picker blocks until answered: keep it off the async runtime's threads.
    let picked = tauri::async_runtime::spawn_blocking(move || dialog.blocking_pick_folder())
        .await
        .map_err(|e| ApiError::from(Error::Corrupt(format!("the folder picker failed: {e}"))))?;
    Ok(picked
        .and_then(|p| p.into_path().ok())
        .map(|p| folder_hint(&p)))
}

/// Whether `path` exists, is a folder and is in a git repository.
#[tauri::command]
#[specta::specta]
pub async fn describe_folder(path: String) -> Reply<FolderHint> {
    tauri::async_runtime::spawn_blocking(move || folder_hint(Path::new(&path)))
        .await
        .map_err(|e| ApiError::from(Error::Corrupt(format!("a background task failed: {e}"))))
}

/// Whether a tray host shows our icon. On Linux the icon is a StatusNotifierItem, which
/// needs a watcher on the session bus (GNOME without the AppIndicator extension has none):
/// without one, hiding the window would lose it.
pub fn tray_host_available() -> bool {
    #[cfg(target_os = "linux")]
    {
        linux_tray_watcher().unwrap_or(false)
    }
    #[cfg(not(target_os = "linux"))]
    {
        true
    }
}

#[cfg(target_os = "linux")]
fn linux_tray_watcher() -> Result<bool, dbus::Error> {
    use std::time::Duration;
    let conn = dbus::blocking::Connection::new_session()?;
    let bus = conn.with_proxy(
        "org.freedesktop.DBus",
        "/org/freedesktop/DBus",
        Duration::from_millis(500),
    );
    let (owned,): (bool,) = bus.method_call(
        "org.freedesktop.DBus",
        "NameHasOwner",
        ("org.kde.StatusNotifierWatcher",),
    )?;
    Ok(owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_folder_in_a_repository_names_its_root() {
        let dir = tempfile::tempdir().unwrap();
        std::process::Command::new("git")
            .args(["init", "-q"])
            .current_dir(dir.path())
            .status()
            .unwrap();
        let inner = dir.path().join("src");
        std::fs::create_dir(&inner).unwrap();
        let hint = folder_hint(&inner);
        assert!(hint.exists && hint.is_dir);
        let root = dir.path().canonicalize().unwrap();
        assert_eq!(hint.git_root.as_deref(), Some(root.to_str().unwrap()));
    }

    #[test]
    fn a_missing_folder_is_said_so() {
        let dir = tempfile::tempdir().unwrap();
        let hint = folder_hint(&dir.path().join("nope"));
        assert!(!hint.exists && !hint.is_dir);
        assert_eq!(hint.git_root, None);
    }

    #[test]
    fn a_plain_folder_has_no_repository() {
        let dir = tempfile::tempdir().unwrap();
        let hint = folder_hint(dir.path());
        assert!(hint.is_dir);
        assert_eq!(hint.git_root, None);
    }
}
