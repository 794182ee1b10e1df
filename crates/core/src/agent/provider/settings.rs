//! Provider settings: which providers exist (id, wire format, base URL, models, where the
//! API key comes from), kept in `providers.json` in the data directory. API keys are never
//! stored there, nor in the database, logs or events: they live in the OS keychain, in a
//! key file only the user can read (where no keychain runs; see `keyfile`), or in an
//! environment variable named in the settings.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::key::{self, KeySource, KeyStorage};
use super::keychain::{self, Keychain};
use super::{keyfile, ProviderError};
use crate::error::{Error, Result, ValidationDetail};

pub const PROVIDERS_FILE: &str = "providers.json";

/// Which wire format a provider speaks.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProviderKind {
    /// OpenAI Chat Completions (OpenAI, OpenRouter, Ollama, LM Studio, vLLM, ...).
    OpenaiCompatible,
    /// Anthropic Messages.
    Anthropic,
}

impl ProviderKind {
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "openai-compatible" | "openai_compatible" | "openai" => Some(Self::OpenaiCompatible),
            "anthropic" => Some(Self::Anthropic),
            _ => None,
        }
    }
}

/// One configured provider.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProviderConfig {
    pub id: String,
    pub kind: ProviderKind,
    /// For OpenAI-compatible providers, the URL that `/chat/completions` is appended to
    /// (e.g. `https://api.openai.com/v1`); for Anthropic, the API root.
    pub base_url: String,
    /// The environment variable holding the API key; none for local servers.
    #[serde(default)]
    pub api_key_env: Option<String>,
    /// Whether the key is kept in the OS keychain (set by `provider set-key`); it is used
    /// before the key file and the environment variable.
    #[serde(default)]
    pub api_key_in_keychain: bool,
    /// The file holding the key where no keychain could take it (`<data_dir>/keys/<id>.key`,
    /// readable only by the user); used before the environment variable.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_key_file: Option<PathBuf>,
    /// Model ids this provider serves beyond the built-in catalog.
    #[serde(default)]
    pub models: Vec<String>,
}

impl ProviderConfig {
    /// The API key, if the provider uses one: from the OS keychain when it holds one, else
    /// the key file, else the environment variable. Blocking when the keychain is asked.
    pub fn api_key(&self) -> Result<Option<String>, ProviderError> {
        self.api_key_with(keychain::system().as_ref())
    }

    /// [`ProviderConfig::api_key`] with the given keychain.
    pub fn api_key_with(&self, keychain: &dyn Keychain) -> Result<Option<String>, ProviderError> {
        let resolved = key::resolve(self, keychain);
        match resolved.source {
            KeySource::Keychain | KeySource::File | KeySource::Env => Ok(resolved.key),
            KeySource::NotNeeded => Ok(None),
            KeySource::Missing => Err(ProviderError::MissingKey(key::missing_key_message(
                self,
                &resolved.problems,
            ))),
        }
    }
}

#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct SettingsFile {
    providers: Vec<ProviderConfig>,
}

/// The providers: presets (OpenAI, Anthropic, Ollama, OpenRouter) overridden and extended
/// by the user's file.
#[derive(Debug, Clone)]
pub struct ProviderSettings {
    data_dir: PathBuf,
    path: PathBuf,
    user: Vec<ProviderConfig>,
    keychain: Arc<dyn Keychain>,
}

fn preset(id: &str, kind: ProviderKind, base_url: &str, key: Option<&str>) -> ProviderConfig {
    ProviderConfig {
        id: id.into(),
        kind,
        base_url: base_url.into(),
        api_key_env: key.map(str::to_owned),
        api_key_in_keychain: false,
        api_key_file: None,
        models: Vec::new(),
    }
}

/// Providers that work without configuration (given their API key in the environment).
pub fn presets() -> Vec<ProviderConfig> {
    vec![
        preset(
            "openai",
            ProviderKind::OpenaiCompatible,
            "https://api.openai.com/v1",
            Some("OPENAI_API_KEY"),
        ),
        preset(
            "anthropic",
            ProviderKind::Anthropic,
            "https://api.anthropic.com",
            Some("ANTHROPIC_API_KEY"),
        ),
        preset(
            "openrouter",
            ProviderKind::OpenaiCompatible,
            "https://openrouter.ai/api/v1",
            Some("OPENROUTER_API_KEY"),
        ),
        preset(
            "ollama",
            ProviderKind::OpenaiCompatible,
            "http://127.0.0.1:11434/v1",
            None,
        ),
    ]
}

impl ProviderSettings {
    pub fn load(data_dir: &Path) -> Result<Self> {
        let path = data_dir.join(PROVIDERS_FILE);
        let user = match std::fs::read_to_string(&path) {
            Ok(text) => {
                let file: SettingsFile =
                    serde_json::from_str(&text).map_err(|e| Error::Catalog {
                        path: path.display().to_string(),
                        message: e.to_string(),
                    })?;
                file.providers
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
            Err(source) => {
                return Err(Error::Io {
                    context: format!("cannot read {}", path.display()),
                    source,
                })
            }
        };
        Ok(Self {
            data_dir: data_dir.to_owned(),
            path,
            user,
            keychain: keychain::system(),
        })
    }

    /// The same settings with another keychain (tests; a machine without one).
    pub fn with_keychain(mut self, keychain: Arc<dyn Keychain>) -> Self {
        self.keychain = keychain;
        self
    }

    /// The keychain these settings store keys in.
    pub fn keychain(&self) -> Arc<dyn Keychain> {
        self.keychain.clone()
    }

    /// Whether the user's file has provider `id` (added, or a preset changed or confirmed).
    pub fn is_user(&self, id: &str) -> bool {
        self.user.iter().any(|p| p.id == id)
    }

    /// Every provider: the user's, then the presets they do not override.
    pub fn all(&self) -> Vec<ProviderConfig> {
        let mut all = self.user.clone();
        for preset in presets() {
            if !all.iter().any(|p| p.id == preset.id) {
                all.push(preset);
            }
        }
        all
    }

    pub fn find(&self, id: &str) -> Option<ProviderConfig> {
        self.all().into_iter().find(|p| p.id == id)
    }

    /// Adds or replaces a provider and saves the file.
    pub fn upsert(&mut self, config: ProviderConfig) -> Result<()> {
        validate(&config)?;
        match self.user.iter_mut().find(|p| p.id == config.id) {
            Some(existing) => *existing = config,
            None => self.user.push(config),
        }
        self.save()
    }

    /// Adds or replaces a provider as a person edits it: where its key is stored stays as
    /// it was (only [`ProviderSettings::store_key`] and [`ProviderSettings::forget_key`]
    /// change that). Returns the saved provider.
    pub fn configure(&mut self, mut config: ProviderConfig) -> Result<ProviderConfig> {
        let existing = self.find(&config.id);
        config.api_key_in_keychain = existing.as_ref().is_some_and(|c| c.api_key_in_keychain);
        config.api_key_file = existing.and_then(|c| c.api_key_file);
        self.upsert(config.clone())?;
        Ok(config)
    }

    /// Removes a user-configured provider with its stored key (keychain entry, key file);
    /// false when there was none with that id. Blocking when a key is stored.
    pub fn remove(&mut self, id: &str) -> Result<bool> {
        let Some(index) = self.user.iter().position(|p| p.id == id) else {
            return Ok(false);
        };
        let removed = self.user.remove(index);
        self.save()?;
        if removed.api_key_in_keychain {
            if let Err(e) = self.keychain.delete(id) {
                tracing::warn!(provider = id, reason = %e.reason, details = %e.details, "could not remove the key from the keychain");
            }
        }
        self.delete_key_files(&removed)?;
        Ok(true)
    }

    /// Deletes `config`'s key file and the one at the usual place, if any.
    fn delete_key_files(&self, config: &ProviderConfig) -> Result<()> {
        // A hand-edited id could name a path outside the keys folder: only plain ids have
        // a usual place.
        let usual = plain_id(&config.id).then(|| keyfile::path(&self.data_dir, &config.id));
        for path in config.api_key_file.iter().chain(usual.iter()) {
            keyfile::delete(path).map_err(|source| Error::Io {
                context: format!("cannot delete the key file {}", path.display()),
                source,
            })?;
        }
        Ok(())
    }

    /// Stores `key` for provider `id` and makes the provider use it: in the OS keychain,
    /// or, when the keychain cannot take it, in a key file only the user can read. Returns
    /// where it went. Blocking.
    pub fn store_key(&mut self, id: &str, key: &str) -> Result<KeyStorage> {
        let mut config = self.find(id).ok_or_else(|| Error::NotFound {
            entity: "provider",
            id: id.to_owned(),
        })?;
        // The id names the key file: it must be a plain one before anything is written.
        validate(&config)?;
        let key = key.trim();
        if key.is_empty() {
            return Err(Error::InvalidInput(vec![ValidationDetail::new(
                "api_key",
                "must_not_be_empty",
            )]));
        }
        crate::secrets::register(key);
        if key.chars().any(char::is_control) {
            return Err(Error::InvalidInput(vec![ValidationDetail::new(
                "api_key",
                "must_be_one_line",
            )
            .with_hint("paste the key alone, without line breaks")]));
        }
        let stored = match self.keychain.store(id, key) {
            Ok(()) => {
                let old = config.api_key_file.take();
                config.api_key_in_keychain = true;
                self.upsert(config.clone())?;
                // The keychain holds it now: an older copy in a file goes.
                if let Some(old) = old {
                    if let Err(e) = keyfile::delete(&old) {
                        tracing::warn!(provider = id, error = %e, "could not delete the old key file");
                    }
                }
                KeyStorage::Keychain
            }
            Err(e) => {
                let path = keyfile::path(&self.data_dir, id);
                keyfile::write(&path, key).map_err(|source| Error::Io {
                    context: format!(
                        "{} and the key could not be saved in {} either",
                        e.reason,
                        path.display()
                    ),
                    source,
                })?;
                tracing::info!(provider = id, reason = %e.reason, details = %e.details, path = %path.display(), "the keychain is unavailable; the key is in a file");
                // A key left in an unreachable keychain must not win over the new one
                // once the keychain is back.
                config.api_key_in_keychain = false;
                config.api_key_file = Some(path.clone());
                self.upsert(config)?;
                KeyStorage::File {
                    path,
                    reason: e.reason,
                    details: e.details,
                }
            }
        };
        Ok(stored)
    }

    /// Forgets provider `id`'s stored key: its keychain entry and its key file. The
    /// environment variable, if any, still applies. Blocking.
    pub fn forget_key(&mut self, id: &str) -> Result<()> {
        let mut config = self.find(id).ok_or_else(|| Error::NotFound {
            entity: "provider",
            id: id.to_owned(),
        })?;
        if config.api_key_in_keychain {
            self.keychain.delete(id).map_err(|e| Error::Io {
                context: format!(
                    "cannot remove the key from the system keychain ({})",
                    e.reason
                ),
                source: std::io::Error::other(e.details),
            })?;
        }
        self.delete_key_files(&config)?;
        if config.api_key_in_keychain || config.api_key_file.is_some() {
            config.api_key_in_keychain = false;
            config.api_key_file = None;
            self.upsert(config)?;
        }
        Ok(())
    }

    /// Where the key files live.
    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    fn save(&self) -> Result<()> {
        let file = SettingsFile {
            providers: self.user.clone(),
        };
        let text = serde_json::to_string_pretty(&file)
            .map_err(|e| Error::Corrupt(format!("provider settings are not serializable: {e}")))?;
        let io = |source| Error::Io {
            context: format!("cannot write {}", self.path.display()),
            source,
        };
        if let Some(parent) = self.path.parent() {
            std::fs::create_dir_all(parent).map_err(io)?;
        }
        // Write then rename, so a crash never leaves half a file.
        let temp = self.path.with_extension("json.tmp");
        std::fs::write(&temp, text).map_err(io)?;
        std::fs::rename(&temp, &self.path).map_err(io)
    }
}

/// 1 to 64 lowercase letters, digits, dashes and underscores: safe in a file name.
fn plain_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 64
        && id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
}

fn validate(config: &ProviderConfig) -> Result<()> {
    let mut details = Vec::new();
    if !plain_id(&config.id) {
        details.push(
            ValidationDetail::new("id", "invalid_provider_id")
                .with_hint("use 1 to 64 lowercase letters, digits, dashes and underscores"),
        );
    }
    if !(config.base_url.starts_with("http://") || config.base_url.starts_with("https://")) {
        details.push(
            ValidationDetail::new("base_url", "invalid_base_url")
                .with_hint("expected an http:// or https:// URL"),
        );
    }
    if let Some(var) = &config.api_key_env {
        let ok = !var.is_empty() && var.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !ok {
            details.push(ValidationDetail::new("api_key_env", "invalid_env_var_name"));
        }
    }
    if config.models.iter().any(|m| m.trim().is_empty()) {
        details.push(ValidationDetail::new("models", "must_not_be_empty"));
    }
    if details.is_empty() {
        Ok(())
    } else {
        Err(Error::InvalidInput(details))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mock(id: &str, key_env: Option<&str>) -> ProviderConfig {
        ProviderConfig {
            id: id.into(),
            kind: ProviderKind::OpenaiCompatible,
            base_url: "http://127.0.0.1:9/v1".into(),
            api_key_env: key_env.map(str::to_owned),
            api_key_in_keychain: false,
            api_key_file: None,
            models: vec!["tiny".into()],
        }
    }

    #[test]
    fn user_providers_are_saved_and_override_presets() {
        let dir = tempfile::tempdir().unwrap();
        let mut settings = ProviderSettings::load(dir.path()).unwrap();
        assert_eq!(
            settings.find("ollama").unwrap().base_url,
            "http://127.0.0.1:11434/v1"
        );
        settings.upsert(mock("ollama", None)).unwrap();
        settings.upsert(mock("local", None)).unwrap();
        let reloaded = ProviderSettings::load(dir.path()).unwrap();
        assert_eq!(
            reloaded.find("ollama").unwrap().base_url,
            "http://127.0.0.1:9/v1"
        );
        assert_eq!(reloaded.find("local").unwrap().models, vec!["tiny"]);
        assert_eq!(
            reloaded.all().iter().filter(|p| p.id == "ollama").count(),
            1
        );
        let mut reloaded = reloaded;
        assert!(reloaded.remove("local").unwrap());
        assert!(!reloaded.remove("local").unwrap());
    }

    #[test]
    fn invalid_providers_are_refused_with_every_problem() {
        let dir = tempfile::tempdir().unwrap();
        let mut settings = ProviderSettings::load(dir.path()).unwrap();
        let mut bad = mock("Bad Id", Some("NOT-A-VAR"));
        bad.base_url = "ftp://x".into();
        match settings.upsert(bad) {
            Err(Error::InvalidInput(details)) => {
                let fields: Vec<_> = details.iter().map(|d| d.message.as_str()).collect();
                assert_eq!(
                    fields,
                    vec![
                        "invalid_provider_id",
                        "invalid_base_url",
                        "invalid_env_var_name"
                    ]
                );
            }
            other => panic!("{other:?}"),
        }
        assert!(
            !dir.path().join(PROVIDERS_FILE).exists(),
            "nothing was saved"
        );
    }

    #[test]
    fn the_key_comes_from_the_named_variable_and_its_absence_says_what_to_do() {
        std::env::set_var("AUTOWORK_SETTINGS_TEST_KEY", "  sk-123  ");
        assert_eq!(
            mock("p", Some("AUTOWORK_SETTINGS_TEST_KEY"))
                .api_key()
                .unwrap(),
            Some("sk-123".into())
        );
        assert_eq!(
            mock("p", None).api_key().unwrap(),
            None,
            "local servers need no key"
        );
        let error = mock("p", Some("AUTOWORK_SETTINGS_TEST_UNSET"))
            .api_key()
            .unwrap_err()
            .to_string();
        assert!(error.contains("$AUTOWORK_SETTINGS_TEST_UNSET"), "{error}");
        assert!(error.contains("provider set-key"), "{error}");
    }
}
