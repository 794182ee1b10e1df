//! Provider settings: which providers exist (id, wire format, base URL, models, where the
//! API key comes from), kept in `providers.json` in the data directory. API keys are never
//! stored there, nor in the database, logs or events: they come from an environment
//! variable named in the settings.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::ProviderError;
use crate::error::{Error, Result, ValidationDetail};

pub const PROVIDERS_FILE: &str = "providers.json";

/// Which wire format a provider speaks.
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
    /// Model ids this provider serves beyond the built-in catalog.
    #[serde(default)]
    pub models: Vec<String>,
}

impl ProviderConfig {
    /// The API key, if the provider uses one.
    pub fn api_key(&self) -> Result<Option<String>, ProviderError> {
        let Some(var) = &self.api_key_env else {
            return Ok(None);
        };
        match std::env::var(var) {
            Ok(key) if !key.trim().is_empty() => Ok(Some(key.trim().to_owned())),
            _ => Err(ProviderError::MissingKey(format!(
                "provider `{}` reads its API key from ${var}, which is not set; set it in the environment Autowork starts from",
                self.id
            ))),
        }
    }
}

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

    /// Removes a user-configured provider; false when there was none with that id.
    pub fn remove(&mut self, id: &str) -> Result<bool> {
        let before = self.user.len();
        self.user.retain(|p| p.id != id);
        if self.user.len() == before {
            return Ok(false);
        }
        self.save()?;
        Ok(true)
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
