//! Where provider keys are kept (the OS keychain, else a private key file), the order they
//! are read in, and each provider's status as the first-run step and Settings show it.

use std::collections::HashMap;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::sync::{Arc, Mutex};

use autowork_core::agent::provider::keychain::{Keychain, KeychainError, NoKeychain};
use autowork_core::agent::provider::{
    http_client, keyfile, test_connection, ConnectionTest, KeySource, KeyStorage, ProblemCode,
    ProviderConfig, ProviderKind, ProviderSettings, ProviderSource,
};
use autowork_core::ledger::{Attendance, RunState};
use autowork_core::sandbox;
use autowork_core::transcript::Part;
use pretty_assertions::assert_eq;
use serde_json::json;

use super::agent::AgentEnv;

/// A keychain in memory that can be switched off, as a D-Bus service that went away.
#[derive(Debug, Default)]
struct MemoryKeychain {
    keys: Mutex<HashMap<String, String>>,
    down: Mutex<bool>,
}

impl MemoryKeychain {
    fn set_down(&self, down: bool) {
        *self.down.lock().unwrap() = down;
    }

    fn check(&self) -> Result<(), KeychainError> {
        if *self.down.lock().unwrap() {
            return Err(KeychainError {
                reason: "No keychain service is running".into(),
                details: "DBus error: org.freedesktop.DBus.Error.ServiceUnknown".into(),
            });
        }
        Ok(())
    }
}

impl Keychain for MemoryKeychain {
    fn store(&self, id: &str, key: &str) -> Result<(), KeychainError> {
        self.check()?;
        self.keys.lock().unwrap().insert(id.into(), key.into());
        Ok(())
    }

    fn load(&self, id: &str) -> Result<Option<String>, KeychainError> {
        self.check()?;
        Ok(self.keys.lock().unwrap().get(id).cloned())
    }

    fn delete(&self, id: &str) -> Result<(), KeychainError> {
        self.check()?;
        self.keys.lock().unwrap().remove(id);
        Ok(())
    }
}

fn settings(dir: &Path, keychain: Arc<dyn Keychain>) -> ProviderSettings {
    ProviderSettings::load(dir).unwrap().with_keychain(keychain)
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o7777
}

fn saved_json(dir: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(dir.join("providers.json")).unwrap()).unwrap()
}

#[test]
fn without_a_keychain_the_key_goes_to_a_private_file_and_is_used_from_there() {
    let dir = tempfile::tempdir().unwrap();
    let mut providers = settings(dir.path(), Arc::new(NoKeychain));
    let stored = providers
        .store_key("openai", "  sk-file-fallback-0123  \n")
        .unwrap();
    let path = dir.path().join("keys/openai.key");
    assert_eq!(
        stored,
        KeyStorage::File {
            path: path.clone(),
            reason: "The system keychain is turned off".into(),
            details: "AUTOWORK_NO_KEYCHAIN is set".into(),
        }
    );
    assert_eq!(
        stored.describe(),
        format!(
            "The system keychain is turned off, so the key is saved in {}, readable only by you.",
            path.display()
        )
    );
    assert_eq!(mode(&path), 0o600, "readable only by the user");
    assert_eq!(mode(&dir.path().join("keys")), 0o700);
    let on_disk = std::fs::read_to_string(dir.path().join("providers.json")).unwrap();
    assert!(
        !on_disk.contains("sk-file"),
        "never the key itself: {on_disk}"
    );
    assert_eq!(
        saved_json(dir.path())["providers"][0]["api_key_file"],
        json!(path),
        "the settings say where the key lives"
    );

    let reloaded = settings(dir.path(), Arc::new(NoKeychain));
    let config = reloaded.find("openai").unwrap();
    assert!(!config.api_key_in_keychain);
    assert_eq!(
        config.api_key_with(&NoKeychain).unwrap(),
        Some("sk-file-fallback-0123".into())
    );
    let status = reloaded.status("openai").unwrap();
    assert_eq!(
        (status.key, status.ready, status.problem),
        (KeySource::File, true, None)
    );
}

#[test]
fn with_a_keychain_the_key_goes_there_and_an_older_key_file_is_deleted() {
    let dir = tempfile::tempdir().unwrap();
    let keychain = Arc::new(MemoryKeychain::default());
    keychain.set_down(true);
    let mut providers = settings(dir.path(), keychain.clone());
    let first = providers
        .store_key("anthropic", "sk-ant-first-0123")
        .unwrap();
    assert!(matches!(first, KeyStorage::File { .. }), "{first:?}");
    let file = dir.path().join("keys/anthropic.key");
    assert!(file.exists());

    keychain.set_down(false);
    let second = providers
        .store_key("anthropic", "sk-ant-second-0123")
        .unwrap();
    assert_eq!(second, KeyStorage::Keychain);
    assert_eq!(second.describe(), "Saved in the system keychain.");
    assert!(!file.exists(), "the file copy is gone");
    let config = providers.find("anthropic").unwrap();
    assert_eq!(
        (config.api_key_in_keychain, config.api_key_file.clone()),
        (true, None)
    );
    assert_eq!(
        config.api_key_with(keychain.as_ref()).unwrap(),
        Some("sk-ant-second-0123".into())
    );
}

#[test]
fn keys_are_read_from_the_keychain_then_the_file_then_the_variable() {
    let dir = tempfile::tempdir().unwrap();
    let keychain = MemoryKeychain::default();
    keychain.store("p", "sk-from-keychain-01").unwrap();
    let file = keyfile::path(dir.path(), "p");
    keyfile::write(&file, "sk-from-file-0123").unwrap();
    std::env::set_var("AUTOWORK_KEYS_ORDER_TEST", "sk-from-env-0123");
    let mut config = ProviderConfig {
        id: "p".into(),
        kind: ProviderKind::OpenaiCompatible,
        base_url: "http://127.0.0.1:9/v1".into(),
        api_key_env: Some("AUTOWORK_KEYS_ORDER_TEST".into()),
        api_key_in_keychain: true,
        api_key_file: Some(file.clone()),
        models: Vec::new(),
    };
    let key = |config: &ProviderConfig| config.api_key_with(&keychain).unwrap();
    assert_eq!(key(&config), Some("sk-from-keychain-01".into()));
    keychain.set_down(true);
    assert_eq!(
        key(&config),
        Some("sk-from-file-0123".into()),
        "the file when the keychain is down"
    );
    config.api_key_file = None;
    assert_eq!(key(&config), Some("sk-from-env-0123".into()));
}

#[test]
fn a_key_file_others_can_read_is_refused_and_the_status_says_how_to_fix_it() {
    let dir = tempfile::tempdir().unwrap();
    let mut providers = settings(dir.path(), Arc::new(NoKeychain));
    providers
        .store_key("openrouter", "sk-or-exposed-0123")
        .unwrap();
    let file = dir.path().join("keys/openrouter.key");
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o640)).unwrap();

    let status = providers.status("openrouter").unwrap();
    assert_eq!((status.key, status.ready), (KeySource::Missing, false));
    let problem = status.problem.unwrap();
    assert_eq!(problem.code, ProblemCode::KeyFileExposed);
    assert!(
        problem
            .message
            .contains(&format!("chmod 600 {}", file.display())),
        "{}",
        problem.message
    );
    let config = providers.find("openrouter").unwrap();
    let error = config.api_key_with(&NoKeychain).unwrap_err().to_string();
    assert!(error.contains(&file.display().to_string()), "{error}");
    assert!(error.contains("chmod 600"), "{error}");
    assert!(!error.contains("sk-or-exposed"), "{error}");
}

#[test]
fn forgetting_a_key_or_removing_its_provider_deletes_the_key_file() {
    let dir = tempfile::tempdir().unwrap();
    let mut providers = settings(dir.path(), Arc::new(NoKeychain));
    providers.store_key("openai", "sk-forget-me-0123").unwrap();
    let file = dir.path().join("keys/openai.key");
    assert!(file.exists());
    providers.forget_key("openai").unwrap();
    assert!(!file.exists(), "forget deletes the file");
    let status = providers.status("openai").unwrap();
    assert_eq!(status.config.api_key_file, None);
    assert_eq!(status.key, KeySource::Missing);

    providers.store_key("openai", "sk-remove-me-0123").unwrap();
    assert!(file.exists());
    assert!(providers.remove("openai").unwrap());
    assert!(!file.exists(), "removing the provider deletes its key file");
    assert_eq!(
        providers.source("openai"),
        Some(ProviderSource::Preset),
        "the preset applies again"
    );
}

#[test]
fn an_old_providers_file_still_loads() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("providers.json"),
        r#"{"providers":[
            {"id":"vllm","kind":"openai_compatible","base_url":"http://127.0.0.1:8000/v1","models":["qwen"]},
            {"id":"openai","kind":"openai_compatible","base_url":"https://api.openai.com/v1","api_key_env":"OPENAI_API_KEY","api_key_in_keychain":true,"models":[]}
        ]}"#,
    )
    .unwrap();
    let providers = settings(dir.path(), Arc::new(NoKeychain));
    let vllm = providers.find("vllm").unwrap();
    assert_eq!(
        (vllm.api_key_file, vllm.models),
        (None, vec!["qwen".into()])
    );
    let openai = providers.find("openai").unwrap();
    assert!(openai.api_key_in_keychain);
    assert_eq!(openai.api_key_file, None);
}

#[test]
fn on_a_fresh_machine_no_provider_is_ready_not_even_the_local_preset() {
    let dir = tempfile::tempdir().unwrap();
    let providers = settings(dir.path(), Arc::new(NoKeychain));
    let statuses = providers.statuses();
    let summary: Vec<(String, String, bool, Option<ProblemCode>)> = statuses
        .iter()
        .filter(|s| s.config.id == "ollama" || s.config.id == "anthropic")
        .map(|s| {
            (
                s.config.id.clone(),
                s.name.clone(),
                s.ready,
                s.problem.as_ref().map(|p| p.code),
            )
        })
        .collect();
    // The hosted presets' variables could be set on a developer's machine: only the ones
    // this test controls are compared, and ollama needs none.
    assert_eq!(
        summary[1],
        (
            "ollama".into(),
            "Ollama (on this computer)".into(),
            false,
            Some(ProblemCode::NotSetUp)
        ),
        "a built-in local server alone is not ready"
    );
    assert_eq!(summary[0].1, "Anthropic");

    let mut providers = providers;
    let preset = providers.find("ollama").unwrap();
    providers.configure(preset).unwrap();
    let ollama = providers.status("ollama").unwrap();
    assert_eq!(
        (ollama.source, ollama.key, ollama.ready, ollama.problem),
        (
            ProviderSource::UserOverride,
            KeySource::NotNeeded,
            true,
            None
        ),
        "confirmed by the user, it is"
    );
}

#[test]
fn a_provider_whose_keychain_is_gone_says_so_in_plain_words() {
    let dir = tempfile::tempdir().unwrap();
    let keychain = Arc::new(MemoryKeychain::default());
    let mut providers = settings(dir.path(), keychain.clone());
    let mut config = providers.find("openai").unwrap();
    config.id = "hosted".into();
    config.api_key_env = Some("AUTOWORK_KEYS_TEST_NEVER_SET".into());
    providers.upsert(config).unwrap();
    assert_eq!(
        providers.store_key("hosted", "sk-keychain-0123").unwrap(),
        KeyStorage::Keychain
    );
    assert!(providers.status("hosted").unwrap().ready);

    keychain.set_down(true);
    let status = providers.status("hosted").unwrap();
    assert_eq!((status.key, status.ready), (KeySource::Missing, false));
    let problem = status.problem.unwrap();
    assert_eq!(problem.code, ProblemCode::KeychainUnavailable);
    assert_eq!(
        problem.message,
        "Its key is in the system keychain, which cannot be reached: no keychain service is running"
    );
    assert_eq!(
        problem.details.as_deref(),
        Some("DBus error: org.freedesktop.DBus.Error.ServiceUnknown"),
        "the platform's text only as details"
    );

    // A person editing the provider does not lose where its key is.
    let mut edited = providers.find("hosted").unwrap();
    edited.api_key_in_keychain = false;
    edited.base_url = "https://example.com/v1".into();
    let saved = providers.configure(edited).unwrap();
    assert!(saved.api_key_in_keychain);
}

#[tokio::test]
async fn a_run_uses_the_key_file_and_its_commands_cannot_read_it() {
    let t = AgentEnv::new(
        "openai_compatible",
        json!([
            // The work area is beside the data directory in the test's folder.
            {"tool_calls": [{"name": "bash", "arguments": {"command": "cat ../data/keys/mock.key"}}]},
            {"text": "done"}
        ]),
    )
    .await;
    let data_dir = t.env.data_dir();
    let mut providers = settings(&data_dir, Arc::new(NoKeychain));
    providers.store_key("mock", "sk-mock-file-0123456").unwrap();
    let key_file = data_dir.join("keys/mock.key");

    // The connection test and the run both send the key from the file.
    let config = providers.find("mock").unwrap();
    assert_eq!(
        test_connection(&config, Arc::new(NoKeychain), &http_client()).await,
        ConnectionTest::Ok { models: 1 }
    );

    assert!(key_file.exists());
    let automation = t
        .automation(json!({
            "permissions": [{"tool": "bash", "command": ["cat"], "action": "allow"}],
        }))
        .await;
    let run = t.run(&automation, Attendance::Unattended).await;
    let run = t.finish(&run).await;
    assert_eq!(run.state, RunState::Succeeded, "{run:?}");
    let sent: Vec<Option<String>> = t
        .mock
        .requests()
        .iter()
        .filter(|r| r.path.ends_with("/chat/completions"))
        .map(|r| r.api_key().map(str::to_owned))
        .collect();
    assert_eq!(
        sent,
        vec![Some("sk-mock-file-0123456".into()); 2],
        "every model call carries the key from the file"
    );
    let results: Vec<(String, bool)> = t
        .env
        .engine
        .run_transcript(&run.id)
        .await
        .unwrap()
        .into_iter()
        .flat_map(|m| m.parts)
        .filter_map(|p| match p {
            Part::ToolResult {
                content, is_error, ..
            } => Some((content, is_error)),
            _ => None,
        })
        .collect();
    assert!(
        !results[0].0.contains("sk-mock-file"),
        "the key never shows: {results:?}"
    );
    if sandbox::support().enforces_files() {
        assert!(
            results[0].1 && results[0].0.contains("Permission denied"),
            "the sandbox hides the data directory, keys and all: {results:?}"
        );
    }
}
