//! Whether each provider can be used now, worked out without the network: is a key
//! available, and from where; and if not, why, in plain words. What the first-run step,
//! Settings -> Providers and the model picker show.

use serde::{Deserialize, Serialize};

use super::key::{self, KeyProblem, KeySource, ProblemCode};
use super::settings::{presets, ProviderConfig, ProviderSettings};

/// Where a provider's settings come from.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProviderSource {
    /// Built in, untouched.
    Preset,
    /// Added by the user.
    User,
    /// A preset the user changed or confirmed.
    UserOverride,
}

/// A provider and whether it is ready.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProviderStatus {
    pub config: ProviderConfig,
    /// For people: "OpenAI", "Ollama (on this computer)"; the id for the user's own.
    pub name: String,
    pub source: ProviderSource,
    /// Where its key comes from now.
    pub key: KeySource,
    /// A key is available; or the provider takes none and the user set it up (a built-in
    /// local server alone does not count: nothing says it runs).
    pub ready: bool,
    /// What stops it (or, when ready, what went wrong on the way to the key that was used).
    pub problem: Option<KeyProblem>,
}

/// The name people know a provider by.
pub fn display_name(id: &str) -> String {
    match id {
        "openai" => "OpenAI".into(),
        "anthropic" => "Anthropic".into(),
        "openrouter" => "OpenRouter".into(),
        "ollama" => "Ollama (on this computer)".into(),
        other => other.into(),
    }
}

impl ProviderSettings {
    /// Where `id`'s settings come from; `None` for an unknown provider.
    pub fn source(&self, id: &str) -> Option<ProviderSource> {
        let preset = presets().iter().any(|p| p.id == id);
        match (self.is_user(id), preset) {
            (true, true) => Some(ProviderSource::UserOverride),
            (true, false) => Some(ProviderSource::User),
            (false, true) => Some(ProviderSource::Preset),
            (false, false) => None,
        }
    }

    /// The status of provider `id`, `None` when there is no such provider. Blocking (it may
    /// ask the keychain), never the network.
    pub fn status(&self, id: &str) -> Option<ProviderStatus> {
        let config = self.find(id)?;
        let source = self.source(id)?;
        Some(self.status_of(config, source))
    }

    /// Every provider's status, in [`ProviderSettings::all`]'s order. Blocking.
    pub fn statuses(&self) -> Vec<ProviderStatus> {
        self.all()
            .into_iter()
            .filter_map(|config| {
                let source = self.source(&config.id)?;
                Some(self.status_of(config, source))
            })
            .collect()
    }

    fn status_of(&self, config: ProviderConfig, source: ProviderSource) -> ProviderStatus {
        let resolved = key::resolve(&config, self.keychain().as_ref());
        let (ready, problem) = match resolved.source {
            KeySource::Keychain | KeySource::File | KeySource::Env => {
                (true, resolved.problems.into_iter().next())
            }
            KeySource::NotNeeded if source == ProviderSource::Preset => (
                false,
                Some(KeyProblem::new(
                    ProblemCode::NotSetUp,
                    "Not set up yet: check that the server runs, then confirm its address",
                )),
            ),
            KeySource::NotNeeded => (true, None),
            KeySource::Missing => (false, resolved.problems.into_iter().next()),
        };
        ProviderStatus {
            name: display_name(&config.id),
            config,
            source,
            key: resolved.source,
            ready,
            problem,
        }
    }
}
