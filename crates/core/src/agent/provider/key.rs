//! Where a provider's API key comes from, in order: the OS keychain, the key file, the
//! environment variable. Every key read here is registered as a secret at once, so no text
//! derived from it can carry it out.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::keychain::Keychain;
use super::keyfile::{self, KeyFileError};
use super::ProviderConfig;

/// Where a provider's key was found.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KeySource {
    Keychain,
    File,
    Env,
    /// The provider takes no key (a local server).
    NotNeeded,
    /// The provider takes a key and none is available.
    Missing,
}

/// Why a provider cannot be used (yet), for the UI to pick a label by.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProblemCode {
    /// No key stored and its variable is not set.
    NoKey,
    /// The keychain holds the key but cannot be reached.
    KeychainUnavailable,
    /// The settings say the keychain holds a key; it holds none.
    KeychainEmpty,
    KeyFileMissing,
    /// Other users could read the key file: refused until it is made private.
    KeyFileExposed,
    KeyFileUnreadable,
    /// A built-in provider that takes no key but that the user has not set up.
    NotSetUp,
}

/// A problem in plain words; `details` carries the platform's own text, when there is any.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyProblem {
    pub code: ProblemCode,
    pub message: String,
    #[serde(default)]
    pub details: Option<String>,
}

impl KeyProblem {
    pub fn new(code: ProblemCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            details: None,
        }
    }
}

/// Where `store_key` put a key.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum KeyStorage {
    /// In the OS keychain.
    Keychain,
    /// In a file only the user can read, because the keychain could not take it:
    /// `reason` says why in plain words ("No keychain service is running"), `details` is
    /// the keychain's own error.
    File {
        path: PathBuf,
        reason: String,
        details: String,
    },
}

impl KeyStorage {
    /// One sentence for people: where the key went.
    pub fn describe(&self) -> String {
        match self {
            Self::Keychain => "Saved in the system keychain.".into(),
            Self::File { path, reason, .. } => format!(
                "{reason}, so the key is saved in {}, readable only by you.",
                path.display()
            ),
        }
    }
}

/// The outcome of looking for a provider's key.
#[derive(Debug, Clone)]
pub struct Resolved {
    /// The key, trimmed; `None` unless `source` is keychain, file or env.
    pub key: Option<String>,
    pub source: KeySource,
    /// What went wrong on the way, in the order looked at (a key may still have been found
    /// further on).
    pub problems: Vec<KeyProblem>,
}

/// Looks for `config`'s key: keychain (when the settings say it holds one), key file,
/// environment variable. Blocking when the keychain is asked.
pub fn resolve(config: &ProviderConfig, keychain: &dyn Keychain) -> Resolved {
    let mut problems = Vec::new();
    let found = |key: String, source| {
        crate::secrets::register(&key);
        Resolved {
            key: Some(key),
            source,
            problems: Vec::new(),
        }
    };
    if config.api_key_in_keychain {
        match keychain.load(&config.id) {
            Ok(Some(key)) if !key.trim().is_empty() => {
                return found(key.trim().to_owned(), KeySource::Keychain)
            }
            Ok(_) => problems.push(KeyProblem::new(
                ProblemCode::KeychainEmpty,
                "The system keychain holds no key for it",
            )),
            Err(e) => problems.push(KeyProblem {
                code: ProblemCode::KeychainUnavailable,
                message: format!(
                    "Its key is in the system keychain, which cannot be reached: {}",
                    lower_first(&e.reason)
                ),
                details: Some(e.details),
            }),
        }
    }
    if let Some(path) = &config.api_key_file {
        match keyfile::read(path) {
            Ok(key) => {
                let mut resolved = found(key, KeySource::File);
                resolved.problems = problems;
                return resolved;
            }
            Err(e) => problems.push(file_problem(e)),
        }
    }
    if let Some(var) = &config.api_key_env {
        if let Ok(key) = std::env::var(var) {
            if !key.trim().is_empty() {
                let mut resolved = found(key.trim().to_owned(), KeySource::Env);
                resolved.problems = problems;
                return resolved;
            }
        }
    }
    let needs_key =
        config.api_key_in_keychain || config.api_key_file.is_some() || config.api_key_env.is_some();
    if !needs_key {
        return Resolved {
            key: None,
            source: KeySource::NotNeeded,
            problems,
        };
    }
    if problems.is_empty() {
        let mut message = "No API key yet: paste one under Settings -> Providers".to_owned();
        if let Some(var) = &config.api_key_env {
            message.push_str(&format!(" or set ${var}"));
        }
        problems.push(KeyProblem::new(ProblemCode::NoKey, message));
    }
    Resolved {
        key: None,
        source: KeySource::Missing,
        problems,
    }
}

fn file_problem(e: KeyFileError) -> KeyProblem {
    let code = match &e {
        KeyFileError::Missing { .. } | KeyFileError::Empty { .. } => ProblemCode::KeyFileMissing,
        KeyFileError::Exposed { .. } => ProblemCode::KeyFileExposed,
        KeyFileError::NotOwned { .. } | KeyFileError::Io { .. } => ProblemCode::KeyFileUnreadable,
    };
    KeyProblem::new(code, e.to_string())
}

fn lower_first(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// The error a run (or a connection test) gets when `config` has no usable key: every
/// problem found, then what to do.
pub fn missing_key_message(config: &ProviderConfig, problems: &[KeyProblem]) -> String {
    let mut message = format!("provider `{}` has no usable API key", config.id);
    let reasons: Vec<String> = problems
        .iter()
        .filter(|p| p.code != ProblemCode::NoKey)
        .map(|p| lower_first(&p.message))
        .collect();
    if !reasons.is_empty() {
        message.push_str(&format!(": {}", reasons.join("; ")));
    }
    if let Some(var) = &config.api_key_env {
        message.push_str(&format!(" and ${var} is not set"));
    }
    message.push_str(&format!(
        "; paste a key under Settings -> Providers (or run `autowork provider set-key {}`)",
        config.id
    ));
    if config.api_key_env.is_some() {
        message.push_str(", or set the variable in the environment Autowork starts from");
    }
    message
}
