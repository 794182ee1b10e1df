//! App preferences (not automations): notifications, defaults for new automations, what the
//! desktop app has already told the user, where the ledger lives. Kept in `settings.json` in
//! the data directory.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::definition::{ModelRef, STEP_CAP_DEFAULT, STEP_CAP_MAX};
use crate::error::{Error, Result, ValidationDetail};
use crate::store::location::StoreLocation;

pub const SETTINGS_FILE: &str = "settings.json";

#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AppSettings {
    /// Native notifications for runs that need input or failed.
    pub notifications: bool,
    /// The model new automations start with.
    pub default_model: Option<ModelRef>,
    /// The step cap new automations start with.
    pub default_step_cap: u32,
    /// Whether the window's first close explained that the app keeps running in the tray.
    pub tray_hint_shown: bool,
    /// The team database's URL (never with a password); none for this computer's SQLite.
    /// Read when the engine opens: a change takes effect on the next start.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub store: Option<String>,
}

impl Default for AppSettings {
    fn default() -> Self {
        Self {
            notifications: true,
            default_model: None,
            default_step_cap: STEP_CAP_DEFAULT,
            tray_hint_shown: false,
            store: None,
        }
    }
}

fn path(data_dir: &Path) -> PathBuf {
    data_dir.join(SETTINGS_FILE)
}

impl AppSettings {
    /// The saved settings, or the defaults when there are none.
    pub fn load(data_dir: &Path) -> Result<Self> {
        let path = path(data_dir);
        match std::fs::read_to_string(&path) {
            Ok(text) => serde_json::from_str(&text).map_err(|e| Error::Catalog {
                path: path.display().to_string(),
                message: e.to_string(),
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Self::default()),
            Err(source) => Err(Error::Io {
                context: format!("cannot read {}", path.display()),
                source,
            }),
        }
    }

    /// Where the ledger lives, as saved (`--store` and `AUTOWORK_STORE` win over it: see
    /// [`StoreLocation::chosen`]).
    pub fn store_location(&self) -> Result<StoreLocation> {
        StoreLocation::chosen(None, self.store.as_deref())
    }

    /// Checks and saves (write, then rename). A store URL is kept as written once it
    /// parses (no password in it); an empty one means this computer.
    pub fn save(&self, data_dir: &Path) -> Result<()> {
        let mut this = self.clone();
        this.store = this.store_location()?.url().map(str::to_owned);
        this.save_checked(data_dir)
    }

    fn save_checked(&self, data_dir: &Path) -> Result<()> {
        if !(1..=STEP_CAP_MAX).contains(&self.default_step_cap) {
            return Err(Error::InvalidInput(vec![ValidationDetail::new(
                "default_step_cap",
                "step_cap_out_of_range_1_500",
            )]));
        }
        let path = path(data_dir);
        let io = |source| Error::Io {
            context: format!("cannot write {}", path.display()),
            source,
        };
        std::fs::create_dir_all(data_dir).map_err(io)?;
        let text = serde_json::to_string_pretty(self)
            .map_err(|e| Error::Corrupt(format!("settings are not serializable: {e}")))?;
        let temp = path.with_extension("json.tmp");
        std::fs::write(&temp, text).map_err(io)?;
        std::fs::rename(&temp, &path).map_err(io)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_round_trip_and_default_when_missing() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(
            AppSettings::load(dir.path()).unwrap(),
            AppSettings::default()
        );
        let settings = AppSettings {
            notifications: false,
            default_step_cap: 80,
            ..AppSettings::default()
        };
        settings.save(dir.path()).unwrap();
        assert_eq!(AppSettings::load(dir.path()).unwrap(), settings);
        let bad = AppSettings {
            default_step_cap: 0,
            ..AppSettings::default()
        };
        assert!(bad.save(dir.path()).is_err());
    }

    #[test]
    fn the_store_is_saved_as_a_url_without_a_password() {
        let dir = tempfile::tempdir().unwrap();
        let team = AppSettings {
            store: Some(" postgres://ann@db.example/autowork ".into()),
            ..AppSettings::default()
        };
        team.save(dir.path()).unwrap();
        let saved = AppSettings::load(dir.path()).unwrap();
        assert_eq!(
            saved.store.as_deref(),
            Some("postgres://ann@db.example/autowork")
        );
        assert_eq!(
            saved.store_location().unwrap().url(),
            Some("postgres://ann@db.example/autowork")
        );

        let with_password = AppSettings {
            store: Some("postgres://ann:hunter2@db.example/autowork".into()),
            ..AppSettings::default()
        };
        match with_password.save(dir.path()) {
            Err(Error::InvalidInput(details)) => assert_eq!(details[0].field, "store"),
            other => panic!("a password in the URL is refused: {other:?}"),
        }
        let text = std::fs::read_to_string(dir.path().join(SETTINGS_FILE)).unwrap();
        assert!(!text.contains("hunter2"), "nothing was written: {text}");

        let this_computer = AppSettings {
            store: Some(String::new()),
            ..AppSettings::default()
        };
        this_computer.save(dir.path()).unwrap();
        let text = std::fs::read_to_string(dir.path().join(SETTINGS_FILE)).unwrap();
        assert!(
            !text.contains("store"),
            "this computer is the default: {text}"
        );
    }
}
