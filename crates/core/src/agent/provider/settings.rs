//! Provider settings: which providers exist (id, wire format, base URL, models, where the
//! API key comes from), kept in `providers.json` in the data directory. API keys are never
//! stored there, nor in the database, logs or events: they come from an environment
//! variable named in the settings.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::{keychain, ProviderError};
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
    /// before the environment variable.
    #[serde(default)]
    pub api_key_in_keychain: bool,
    /// Model ids this provider serves beyond the built-in catalog.
    #[serde(default)]
    pub models: Vec<String>,
}

impl ProviderConfig {
    /// The API key, if the provider uses one: from the OS keychain when it holds one, else
    /// from the environment variable. Blocking when the keychain is asked.
    pub fn api_key(&self) -> Result<Option<String>, ProviderError> {
        let mut keychain_problem = None;
        if self.api_key_in_keychain {
            match keychain::load(&self.id) {
                Ok(Some(key)) if !key.trim().is_empty() => {
                    crate::secrets::register(&key);
                    return Ok(Some(key.trim().to_owned()));
                }
                Ok(_) => keychain_problem = Some("the keychain holds no key for it".to_owned()),
                Err(e) => keychain_problem = Some(format!("the keychain is unavailable ({e})")),
            }
        }
        if let Some(var) = &self.api_key_env {
            if let Ok(key) = std::env::var(var) {
                if !key.trim().is_empty() {
                    crate::secrets::register(&key);
                    return Ok(Some(key.trim().to_owned()));
                }
            }
        }
        match (keychain_problem, &self.api_key_env) {
            (None, None) => Ok(None),
            (problem, var) => {
                let mut message = format!("provider `{}` has no API key", self.id);
                if let Some(problem) = problem {
                    message.push_str(&format!(": {problem}"));
                }
                if let Some(var) = var {
                    message.push_str(&format!(" and ${var} is not set"));
                }
                message.push_str("; store one with `autowork provider set-key` (or under Settings -> Providers), or set the variable in the environment Autowork starts from");
                Err(ProviderError::MissingKey(message))
            }
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
#[derive(Debug, Clone, PartialEq)]
pub struct ProviderSettings {
    path: PathBuf,
    user: Vec<ProviderConfig>,
}

fn preset(id: &str, kind: ProviderKind, base_url: &str, key: Option<&str>) -> ProviderConfig {
    ProviderConfig {
        id: id.into(),
        kind,
        base_url: base_url.into(),
        api_key_env: key.map(str::to_owned),
        api_key_in_keychain: false,
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
        Ok(Self { path, user })
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

    /// Removes a user-configured provider (and its keychain entry); false when there was
    /// none with that id. Blocking when a key is stored.
    pub fn remove(&mut self, id: &str) -> Result<bool> {
        let Some(index) = self.user.iter().position(|p| p.id == id) else {
            return Ok(false);
        };
        let removed = self.user.remove(index);
        self.save()?;
        if removed.api_key_in_keychain {
            if let Err(e) = keychain::delete(id) {
                tracing::warn!(provider = id, error = %e, "could not remove the key from the keychain");
            }
        }
        Ok(true)
    }

    /// Stores `key` in the OS keychain for provider `id` and makes the provider use it.
    /// Blocking.
    pub fn store_key(&mut self, id: &str, key: &str) -> Result<()> {
        let mut config = self.find(id).ok_or_else(|| Error::NotFound {
            entity: "provider",
            id: id.to_owned(),
        })?;
        if key.trim().is_empty() {
            return Err(Error::InvalidInput(vec![ValidationDetail::new(
                "api_key",
                "must_not_be_empty",
            )]));
        }
        keychain::store(id, key.trim())?;
        config.api_key_in_keychain = true;
        self.upsert(config)
    }

    /// Removes provider `id`'s key from the keychain. Blocking.
    pub fn forget_key(&mut self, id: &str) -> Result<()> {
        let mut config = self.find(id).ok_or_else(|| Error::NotFound {
            entity: "provider",
            id: id.to_owned(),
        })?;
        keychain::delete(id)?;
        config.api_key_in_keychain = false;
        self.upsert(config)
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

fn validate(config: &ProviderConfig) -> Result<()> {
    let mut details = Vec::new();
    let id_ok = !config.id.is_empty()
        && config.id.len() <= 64
        && config
            .id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_');
    if !id_ok {
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
