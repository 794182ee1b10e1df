//! The model catalog: which models automations may name, which reasoning variants each
//! supports, and their prices. A built-in table, extended (or overridden per model) by a
//! `models.json` file in the data directory.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::definition::Variant;
use crate::error::{Error, Result};

/// One model a provider serves.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CatalogModel {
    pub provider_id: String,
    pub model_id: String,
    #[serde(default)]
    pub display_name: Option<String>,
    /// Reasoning efforts the model accepts; empty when it has none.
    #[serde(default)]
    pub variants: Vec<Variant>,
    /// US dollars per million input tokens.
    #[serde(default)]
    pub input_usd_per_mtok: f64,
    /// US dollars per million output tokens.
    #[serde(default)]
    pub output_usd_per_mtok: f64,
}

impl CatalogModel {
    /// What `tokens_in` input and `tokens_out` output tokens cost on this model.
    pub fn cost_usd(&self, tokens_in: u64, tokens_out: u64) -> f64 {
        (tokens_in as f64 * self.input_usd_per_mtok + tokens_out as f64 * self.output_usd_per_mtok)
            / 1_000_000.0
    }
}

#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CatalogFile {
    models: Vec<CatalogModel>,
}

/// The models automations may use.
#[derive(Debug, Clone, Default)]
pub struct Catalog {
    models: Vec<CatalogModel>,
}

const EFFORTS: &[Variant] = &[Variant::Low, Variant::Medium, Variant::High];

fn builtin(
    provider_id: &str,
    model_id: &str,
    display_name: &str,
    variants: &[Variant],
    input: f64,
    output: f64,
) -> CatalogModel {
    CatalogModel {
        provider_id: provider_id.into(),
        model_id: model_id.into(),
        display_name: Some(display_name.into()),
        variants: variants.to_vec(),
        input_usd_per_mtok: input,
        output_usd_per_mtok: output,
    }
}

impl Catalog {
    /// The built-in table: common hosted models, a local Ollama model, and the `mock`
    /// provider served by `autowork-mock-llm` for demos and tests.
    pub fn builtin() -> Self {
        Self {
            models: vec![
                builtin("openai", "gpt-5", "GPT-5", EFFORTS, 1.25, 10.0),
                builtin("openai", "gpt-5-mini", "GPT-5 mini", EFFORTS, 0.25, 2.0),
                builtin("openai", "gpt-4.1", "GPT-4.1", &[], 2.0, 8.0),
                builtin(
                    "anthropic",
                    "claude-sonnet-4-5",
                    "Claude Sonnet 4.5",
                    &[],
                    3.0,
                    15.0,
                ),
                builtin(
                    "anthropic",
                    "claude-opus-4-1",
                    "Claude Opus 4.1",
                    &[],
                    15.0,
                    75.0,
                ),
                builtin(
                    "anthropic",
                    "claude-haiku-4-5",
                    "Claude Haiku 4.5",
                    &[],
                    1.0,
                    5.0,
                ),
                builtin(
                    "ollama",
                    "qwen3-coder",
                    "Qwen3 Coder (local)",
                    &[],
                    0.0,
                    0.0,
                ),
                builtin(
                    "mock",
                    "mock-coder",
                    "Mock coder (scripted)",
                    EFFORTS,
                    1.0,
                    2.0,
                ),
            ],
        }
    }

    /// The built-in table merged with `path` when that file exists: a model in the file
    /// replaces the built-in one with the same provider and model id.
    pub fn load(path: &Path) -> Result<Self> {
        let mut catalog = Self::builtin();
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(catalog),
            Err(e) => {
                return Err(Error::Catalog {
                    path: path.display().to_string(),
                    message: e.to_string(),
                })
            }
        };
        let file: CatalogFile = serde_json::from_str(&text).map_err(|e| Error::Catalog {
            path: path.display().to_string(),
            message: e.to_string(),
        })?;
        for model in file.models {
            catalog.upsert(model);
        }
        Ok(catalog)
    }

    /// Adds a model, replacing one with the same provider and model id.
    pub fn upsert(&mut self, model: CatalogModel) {
        match self
            .models
            .iter_mut()
            .find(|m| m.provider_id == model.provider_id && m.model_id == model.model_id)
        {
            Some(existing) => *existing = model,
            None => self.models.push(model),
        }
    }

    pub fn find(&self, provider_id: &str, model_id: &str) -> Option<&CatalogModel> {
        self.models
            .iter()
            .find(|m| m.provider_id == provider_id && m.model_id == model_id)
    }

    pub fn models(&self) -> &[CatalogModel] {
        &self.models
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_models_file_adds_and_overrides_models() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("models.json");
        std::fs::write(
            &path,
            r#"{"models":[
                {"provider_id":"openai","model_id":"gpt-5","variants":[],"input_usd_per_mtok":9.0,"output_usd_per_mtok":9.0},
                {"provider_id":"lmstudio","model_id":"devstral","variants":["high"]}
            ]}"#,
        )
        .unwrap();
        let catalog = Catalog::load(&path).unwrap();
        assert_eq!(
            catalog.find("openai", "gpt-5").unwrap().input_usd_per_mtok,
            9.0
        );
        assert_eq!(
            catalog.find("lmstudio", "devstral").unwrap().variants,
            vec![Variant::High]
        );
        assert!(catalog.find("anthropic", "claude-sonnet-4-5").is_some());
    }

    #[test]
    fn a_broken_models_file_names_itself_in_the_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("models.json");
        std::fs::write(&path, r#"{"models":[{"provider_id":"x"}]}"#).unwrap();
        let error = Catalog::load(&path).unwrap_err().to_string();
        assert!(error.contains("models.json"), "{error}");
        assert!(error.contains("model_id"), "{error}");
    }

    #[test]
    fn cost_is_priced_per_million_tokens() {
        let model = Catalog::builtin();
        let model = model.find("openai", "gpt-5").unwrap();
        assert!((model.cost_usd(1_000_000, 100_000) - 2.25).abs() < 1e-9);
    }
}
