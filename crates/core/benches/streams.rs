//! Stream benchmark: prints figures, asserts nothing.
//! `cargo bench -p autowork-core --bench streams [-- MB ...]` (default sizes 2 and 20).
//!
//! - one tool call whose arguments are N MB in one stream event, sent in TCP-segment-sized
//!   writes, from the mock model's stream to a parsed call,
//!   for each wire format (the SSE reader and the argument accumulation)
//! - the same answer read as bytes only (the mock's and HTTP's share of the above)
//! - the same call through a whole run: model call, the `write` tool, transcript, ledger

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use autowork_core::agent::provider::{
    self, ChatMessage, ChatRequest, ProviderConfig, ProviderKind,
};
use autowork_core::agent::{Agent, HttpPolicy};
use autowork_core::ledger::{Attendance, RunState};
use autowork_core::{Engine, EngineConfig};
use autowork_mock_llm::{MockServer, Script};
use serde_json::{json, Value};

/// Bytes per network write: about a TCP segment, so one event arrives in many reads as
/// from a hosted provider.
const WRITE_BYTES: usize = 1400;

/// `size` bytes of text with newlines, so the JSON carries escapes as real files do.
fn content(size: usize) -> String {
    "0123456789 abcdefghijklmnopqrstuvwxyz ABCDEFGHIJKLMNOPQRSTUVWXY\n"
        .repeat(size / 64 + 1)
        .chars()
        .take(size)
        .collect()
}

fn write_turn(size: usize) -> Value {
    json!({"tool_calls": [{"name": "write", "arguments": {"path": "big.txt", "content": content(size)}}],
           "usage": {"input_tokens": 10, "output_tokens": 10}, "write_bytes": WRITE_BYTES, "argument_pieces": 1})
}

/// One model call straight through the provider client: stream in, parsed call out.
async fn provider_call(kind: ProviderKind, size: usize) -> Duration {
    let script = Script::from_value(json!({"turns": [write_turn(size)]})).unwrap();
    let mock = MockServer::start(script).await.unwrap();
    let base_url = match kind {
        ProviderKind::Anthropic => mock.base_url(),
        ProviderKind::OpenaiCompatible => format!("{}/v1", mock.base_url()),
    };
    let config = ProviderConfig {
        id: "mock".into(),
        kind,
        base_url,
        api_key_env: None,
        api_key_in_keychain: false,
        api_key_file: None,
        models: Vec::new(),
    };
    let client = provider::connect(&config, provider::http_client(), HttpPolicy::default())
        .await
        .unwrap();
    let messages = [ChatMessage::User("write the big file".into())];
    let request = ChatRequest {
        model: "mock-coder",
        system: "bench",
        messages: &messages,
        tools: &[],
        variant: None,
        max_tokens: 1024,
    };
    let start = Instant::now();
    let response = client.complete(request, &|_| {}).await.unwrap();
    let elapsed = start.elapsed();
    let written = response.tool_calls[0].arguments["content"]
        .as_str()
        .unwrap();
    assert_eq!(written.len(), size, "the call arrived whole");
    mock.shutdown().await;
    elapsed
}

/// The same answer read as bytes and thrown away: what the mock and HTTP cost alone.
async fn bare_transfer(size: usize) -> Duration {
    let script = Script::from_value(json!({"turns": [write_turn(size)]})).unwrap();
    let mock = MockServer::start(script).await.unwrap();
    let body = json!({"model": "mock-coder", "stream": true,
                      "messages": [{"role": "user", "content": "write the big file"}]});
    let start = Instant::now();
    let response = reqwest::Client::new()
        .post(format!("{}/v1/chat/completions", mock.base_url()))
        .json(&body)
        .send()
        .await
        .unwrap();
    let bytes = response.bytes().await.unwrap();
    let elapsed = start.elapsed();
    assert!(bytes.len() > size, "the answer arrived");
    mock.shutdown().await;
    elapsed
}

/// A whole run whose first step writes the file and whose second step answers.
async fn run_with_write(size: usize) -> Duration {
    let dir = tempfile::tempdir().unwrap();
    let workspace = dir.path().join("w");
    let data = dir.path().join("data");
    std::fs::create_dir_all(&workspace).unwrap();
    std::fs::create_dir_all(&data).unwrap();
    let script =
        Script::from_value(json!({"turns": [write_turn(size), {"text": "done"}]})).unwrap();
    let mock = MockServer::start(script).await.unwrap();
    std::fs::write(
        data.join("providers.json"),
        json!({"providers": [{"id": "mock", "kind": "openai_compatible", "base_url": format!("{}/v1", mock.base_url())}]}).to_string(),
    )
    .unwrap();
    let engine = Engine::open(EngineConfig::new(&data).executor(Arc::new(Agent::new(&data))))
        .await
        .unwrap();
    let automation = engine
        .create_automation(&json!({"title": "bench", "prompt": "Write the big file.",
            "workspace": workspace, "model": {"provider_id": "mock", "model_id": "mock-coder"},
            "permissions": [{"tool": "*", "pattern": "*", "action": "allow"}]}))
        .await
        .unwrap();
    let start = Instant::now();
    let run = engine
        .run_now(&automation.id, Attendance::Unattended)
        .await
        .unwrap();
    let done = loop {
        let current = engine.get_run(&run.id).await.unwrap();
        if current.state.is_terminal() {
            break current;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    };
    let elapsed = start.elapsed();
    assert_eq!(done.state, RunState::Succeeded, "{done:?}");
    let written = std::fs::metadata(workspace.join("big.txt")).unwrap().len();
    assert_eq!(written, size as u64, "the file was written whole");
    engine.shutdown().await;
    mock.shutdown().await;
    elapsed
}

#[tokio::main]
async fn main() {
    let sizes: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse::<usize>().ok())
        .collect();
    let sizes = if sizes.is_empty() { vec![2, 20] } else { sizes };
    for mb in sizes {
        let size = mb * 1024 * 1024;
        let took = bare_transfer(size).await;
        println!(
            "{:<52} {:>9.1} ms",
            format!("{mb} MB tool call, bare transfer (openai, no parsing)"),
            took.as_secs_f64() * 1e3
        );
        for (name, kind) in [
            ("openai", ProviderKind::OpenaiCompatible),
            ("anthropic", ProviderKind::Anthropic),
        ] {
            let took = provider_call(kind, size).await;
            println!(
                "{:<52} {:>9.1} ms",
                format!("{mb} MB tool call, stream to parsed call ({name})"),
                took.as_secs_f64() * 1e3
            );
        }
        let took = run_with_write(size).await;
        println!(
            "{:<52} {:>9.1} ms",
            format!("{mb} MB tool call, whole run (write + answer)"),
            took.as_secs_f64() * 1e3
        );
    }
}
