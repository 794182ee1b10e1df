//! `autowork provider ...`: the model providers in `providers.json` (the presets, overridden
//! and extended by the user's). API keys are never printed: only where one is kept and
//! whether the variable that holds one is set.

use std::io::IsTerminal;
use std::path::Path;

use autowork_core::agent::provider::settings::{presets, PROVIDERS_FILE};
use autowork_core::agent::provider::{
    http_client, test_connection, ConnectionTest, KeyStorage, ProviderConfig, ProviderKind,
    ProviderSettings,
};
use autowork_core::{ApiError, Error};
use serde::Serialize;

use crate::args::{ProviderAddArgs, ProviderCommand};
use crate::output::{emit, emit_either, emit_json, print_error, Failure, Outcome, Table};

/// A provider as `list` shows it.
#[derive(Debug, Serialize)]
struct Entry {
    #[serde(flatten)]
    config: ProviderConfig,
    /// `preset`, `user`, or `user_override` (the user's entry replaces a preset).
    source: &'static str,
    /// Whether `api_key_env` is set in this environment; `None` without a variable.
    key_set: Option<bool>,
}

pub async fn run(data_dir: &Path, command: ProviderCommand, json: bool) -> Outcome {
    let mut settings = ProviderSettings::load(data_dir)?;
    match command {
        ProviderCommand::Add(args) => {
            let id = args.id.clone();
            let existed = user_ids(data_dir).contains(&id);
            // A stored key (keychain or key file) stays in use when the rest is replaced.
            settings.configure(config_of(args))?;
            let entry = entry(data_dir, &settings, &id)?;
            emit_either(json, &entry, |e| {
                let verb = if existed { "updated" } else { "added" };
                format!("{verb} provider {}\n{}", e.config.id, table(&[e]))
            })
        }
        ProviderCommand::List => {
            let users = user_ids(data_dir);
            let entries: Vec<Entry> = settings
                .all()
                .into_iter()
                .map(|config| describe(config, &users))
                .collect();
            emit_either(json, &entries, |entries| {
                table(&entries.iter().collect::<Vec<_>>())
            })
        }
        ProviderCommand::Remove { id } => {
            if !settings.remove(&id)? {
                let preset = presets().iter().any(|p| p.id == id);
                let message = if preset {
                    format!(
                        "provider `{id}` is a preset, not one you added; presets cannot be removed"
                    )
                } else {
                    format!("provider `{id}` was not found")
                };
                return Err(ApiError::NotFound {
                    error: "provider_not_found".into(),
                    message,
                }
                .into());
            }
            let restored = settings.find(&id);
            if json {
                return emit_json(&serde_json::json!({ "removed": id, "preset": restored }));
            }
            match restored {
                Some(_) => emit(&format!(
                    "removed provider {id}; the preset applies again\n"
                )),
                None => emit(&format!("removed provider {id}\n")),
            }
        }
        ProviderCommand::SetKey { id } => {
            if std::io::stdin().is_terminal() {
                eprint!("API key for {id} (input is shown; paste and press Enter): ");
            }
            let mut key = String::new();
            std::io::stdin()
                .read_line(&mut key)
                .map_err(|e| Error::Io {
                    context: "cannot read the key from stdin".into(),
                    source: e,
                })?;
            // The keychain blocks (D-Bus); keep it off the async runtime.
            let (settings, result) = tokio::task::spawn_blocking(move || {
                let result = settings.store_key(&id, &key);
                (settings, result.map(|storage| (id, storage)))
            })
            .await
            .map_err(|e| Error::Corrupt(format!("the keychain task failed: {e}")))?;
            let (id, storage) = result?;
            let stored = Stored {
                entry: entry(data_dir, &settings, &id)?,
                storage,
            };
            emit_either(json, &stored, |s| {
                format!("{}\n{}", s.storage.describe(), table(&[&s.entry]))
            })
        }
        ProviderCommand::ForgetKey { id } => {
            let (settings, result) = tokio::task::spawn_blocking(move || {
                let result = settings.forget_key(&id);
                (settings, result.map(|()| id))
            })
            .await
            .map_err(|e| Error::Corrupt(format!("the keychain task failed: {e}")))?;
            let id = result?;
            let entry = entry(data_dir, &settings, &id)?;
            emit_either(json, &entry, |e| {
                format!("forgot the stored key of {}\n", e.config.id)
            })
        }
        ProviderCommand::Test { id } => {
            let Some(config) = settings.find(&id) else {
                return Err(not_found(&id).into());
            };
            match test_connection(&config, settings.keychain(), &http_client()).await {
                ConnectionTest::Ok { models } => emit_either(
                    json,
                    &serde_json::json!({ "id": id, "ok": true, "models": models }),
                    |_| format!("ok: {models} models\n"),
                ),
                ConnectionTest::Failed { message, details } => {
                    let mut message =
                        format!("provider `{id}` failed the test: {}", lower_first(&message));
                    if let Some(details) = details {
                        message.push_str(&format!(" ({details})"));
                    }
                    let error = ApiError::Internal {
                        error: "provider_error".into(),
                        message,
                    };
                    print_error(&error, json);
                    Err(Failure::Exit(1))
                }
            }
        }
    }
}

/// `set-key`'s answer: the provider and where its key went.
#[derive(Debug, Serialize)]
struct Stored {
    #[serde(flatten)]
    entry: Entry,
    storage: KeyStorage,
}

/// The provider as given; where its key is stored is kept by `configure`.
fn config_of(args: ProviderAddArgs) -> ProviderConfig {
    ProviderConfig {
        id: args.id,
        kind: args.kind,
        base_url: args.base_url,
        api_key_env: args.api_key_env,
        api_key_in_keychain: false,
        api_key_file: None,
        models: args.models,
    }
}

/// "Could not reach ..." continues a sentence as "could not reach ...".
fn lower_first(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

fn not_found(id: &str) -> ApiError {
    ApiError::NotFound {
        error: "provider_not_found".into(),
        message: format!("provider `{id}` was not found; see `autowork provider list`"),
    }
}

fn entry(data_dir: &Path, settings: &ProviderSettings, id: &str) -> Result<Entry, Error> {
    let config = settings.find(id).ok_or_else(|| Error::NotFound {
        entity: "provider",
        id: id.to_owned(),
    })?;
    Ok(describe(config, &user_ids(data_dir)))
}

fn describe(config: ProviderConfig, users: &[String]) -> Entry {
    let preset = presets().iter().any(|p| p.id == config.id);
    let source = match (users.contains(&config.id), preset) {
        (true, true) => "user_override",
        (true, false) => "user",
        (false, _) => "preset",
    };
    let key_set = config.api_key_env.as_ref().map(|var| {
        std::env::var(var)
            .map(|key| !key.trim().is_empty())
            .unwrap_or(false)
    });
    Entry {
        config,
        source,
        key_set,
    }
}

/// The ids in the user's `providers.json` (the settings API merges them with the presets).
fn user_ids(data_dir: &Path) -> Vec<String> {
    let Ok(text) = std::fs::read_to_string(data_dir.join(PROVIDERS_FILE)) else {
        return Vec::new();
    };
    let Ok(file) = serde_json::from_str::<serde_json::Value>(&text) else {
        return Vec::new();
    };
    file["providers"]
        .as_array()
        .map(|providers| {
            providers
                .iter()
                .filter_map(|p| p["id"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

fn table(entries: &[&Entry]) -> String {
    let mut table = Table::new(&["ID", "KIND", "BASE URL", "API KEY", "SOURCE", "MODELS"]);
    for e in entries {
        let variable = match (&e.config.api_key_env, e.key_set) {
            (Some(var), Some(true)) => Some(format!("${var} (set)")),
            (Some(var), _) => Some(format!("${var} (not set)")),
            (None, _) => None,
        };
        // The keychain is not asked here (it may block or prompt): the settings say enough.
        let mut stored: Vec<String> = Vec::new();
        if e.config.api_key_in_keychain {
            stored.push("keychain".into());
        }
        if let Some(path) = &e.config.api_key_file {
            stored.push(format!("file {}", path.display()));
        }
        let key = match (stored.is_empty(), variable) {
            (false, Some(variable)) => format!("{}, else {variable}", stored.join(", else ")),
            (false, None) => stored.join(", else "),
            (true, Some(variable)) => variable,
            (true, None) => "-".into(),
        };
        let source = match e.source {
            "user_override" => "user (overrides preset)",
            other => other,
        };
        table.row(vec![
            e.config.id.clone(),
            kind(e.config.kind).into(),
            e.config.base_url.clone(),
            key,
            source.into(),
            if e.config.models.is_empty() {
                "-".into()
            } else {
                e.config.models.join(",")
            },
        ]);
    }
    table.render()
}

fn kind(kind: ProviderKind) -> &'static str {
    match kind {
        ProviderKind::OpenaiCompatible => "openai-compatible",
        ProviderKind::Anthropic => "anthropic",
    }
}
