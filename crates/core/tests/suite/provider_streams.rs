//! Model streams that are huge, cut, stalled, endless, truncated or badly counted: what a
//! run does with each, through the real agent and the mock model server over HTTP.

use std::time::Duration;

use autowork_core::agent::provider::{
    self, ChatMessage, ChatRequest, ChatResponse, ProviderConfig, ProviderError, ProviderKind,
    MAX_TOKENS_PER_CALL,
};
use autowork_core::agent::{Agent, HttpPolicy};
use autowork_core::ledger::{Attendance, ErrorCode, Run, RunError, RunState};
use autowork_core::transcript::Part;
use autowork_mock_llm::{MockServer, Script};
use pretty_assertions::assert_eq;
use serde_json::{json, Value};

use super::agent::AgentEnv;

const KINDS: [&str; 2] = ["openai_compatible", "anthropic"];

/// The tests' policy: quick backoff, and the given limits.
fn policy(change: impl FnOnce(&mut HttpPolicy)) -> impl FnOnce(Agent) -> Agent {
    let mut policy = HttpPolicy {
        base_backoff: Duration::from_millis(20),
        max_backoff: Duration::from_millis(100),
        ..HttpPolicy::default()
    };
    change(&mut policy);
    move |agent| agent.http_policy(policy)
}

fn allow_all() -> Value {
    json!({"permissions": [{"tool": "*", "pattern": "*", "action": "allow"}]})
}

async fn run_to_end(t: &AgentEnv, changes: Value) -> Run {
    let automation = t.automation(changes).await;
    t.finish(&t.run(&automation, Attendance::Attended).await)
        .await
}

fn error_of(run: &Run) -> RunError {
    run.error
        .clone()
        .unwrap_or_else(|| panic!("the run failed: {run:?}"))
}

async fn parts(t: &AgentEnv, run: &Run) -> Vec<Part> {
    let transcript = t.env.engine.run_transcript(&run.id).await.unwrap();
    transcript.into_iter().flat_map(|m| m.parts).collect()
}

/// The tool calls a run's transcript holds, as (tool, path).
async fn tool_calls(t: &AgentEnv, run: &Run) -> Vec<(String, String)> {
    parts(t, run)
        .await
        .into_iter()
        .filter_map(|p| match p {
            Part::ToolCall {
                tool_name,
                arguments,
                ..
            } => Some((tool_name, arguments["path"].as_str()?.to_owned())),
            _ => None,
        })
        .collect()
}

#[tokio::test]
async fn a_20_mb_tool_call_in_one_event_arrives_whole_through_the_agent() {
    // One event, sent in TCP-segment-sized writes: the reader used to rescan its whole
    // buffer on each read, which took hours for this in a debug build.
    let content = "twenty megabytes of file, line after line\n".repeat(20 * 1024 * 1024 / 42);
    let t = AgentEnv::new(
        "openai_compatible",
        json!([
            {"tool_calls": [{"name": "write", "arguments": {"path": "big.txt", "content": content}}],
             "argument_pieces": 1, "write_bytes": 1400},
            {"text": "Wrote it."}
        ]),
    )
    .await;
    let automation = t.automation(allow_all()).await;
    let run = t.run(&automation, Attendance::Attended).await;
    // No speed target here (that is the `streams` bench); the wait only keeps a
    // regression from hanging the suite.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(600);
    let done = loop {
        let current = t.env.engine.get_run(&run.id).await.unwrap();
        if current.state.is_terminal() {
            break current;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the run never ended"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(
        (done.state, done.result.as_deref()),
        (RunState::Succeeded, Some("Wrote it."))
    );
    let written = t.file("big.txt");
    assert!(
        written == content,
        "the file holds {} bytes of the {} sent",
        written.len(),
        content.len()
    );
    t.assert_protocol_clean();
}

#[tokio::test]
async fn a_cut_then_ok_stream_succeeds_and_nothing_of_the_cut_step_runs() {
    for kind in KINDS {
        for close in [false, true] {
            // The cut reply carries a complete tool call but never its final event.
            let t = AgentEnv::new(
                kind,
                json!([
                    {"cut_stream": {"after_chunks": 1000, "close": close}, "text": "Writing a.",
                     "tool_calls": [{"name": "write", "arguments": {"path": "a.txt", "content": "a"}}]},
                    {"tool_calls": [{"name": "write", "arguments": {"path": "b.txt", "content": "b"}}]},
                    {"text": "Wrote b."}
                ]),
            )
            .await;
            let done = run_to_end(&t, allow_all()).await;
            let what = format!("{kind}, close: {close}");
            assert_eq!(
                (done.state, done.result.as_deref(), done.steps),
                (RunState::Succeeded, Some("Wrote b."), 2),
                "{what}"
            );
            assert_eq!(
                tool_calls(&t, &done).await,
                vec![("write".to_owned(), "b.txt".to_owned())],
                "{what}: only the complete step's call is stored"
            );
            assert!(
                !t.env.workspace.join("a.txt").exists(),
                "{what}: the cut step's call never ran"
            );
            assert_eq!(t.mock.turns_used(), 3, "{what}");
            t.assert_protocol_clean();
        }
    }
}

#[tokio::test]
async fn the_shipped_retry_script_succeeds_through_the_agent() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../mock-llm/scripts/retry.json"
    );
    let script: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let t = AgentEnv::new("anthropic", script["turns"].clone()).await;
    let done = run_to_end(&t, json!({})).await;
    assert_eq!(
        (done.state, done.result.as_deref()),
        (
            RunState::Succeeded,
            Some("Third time lucky: the answer arrived whole.")
        )
    );
    assert_eq!(
        t.mock.turns_used(),
        4,
        "429, 529 and a cut, then the answer"
    );
}

#[tokio::test]
async fn a_stream_cut_on_every_attempt_fails_with_provider_error_after_four() {
    for kind in KINDS {
        let cut =
            json!({"cut_stream": {"after_chunks": 2}, "text": "this reply breaks off somewhere"});
        let t = AgentEnv::new(kind, json!([cut, cut, cut, cut, {"text": "too late"}])).await;
        let done = run_to_end(&t, json!({})).await;
        let error = error_of(&done);
        assert_eq!(error.code, ErrorCode::ProviderError, "{kind}");
        assert!(
            error.message.contains("ended before"),
            "{kind}: {}",
            error.message
        );
        assert_eq!(t.mock.turns_used(), 4, "{kind}: four attempts in all");
    }
}

#[tokio::test]
async fn a_stream_that_trickles_past_the_step_limit_fails_with_provider_error() {
    // Bytes keep coming (a word every 50 ms for 10 s), so no idle timeout fires.
    let words = "word ".repeat(200);
    let t = AgentEnv::configured(
        "openai_compatible",
        json!([{"text": words, "chunk_delay_ms": 50}, {"text": "a retry"}]),
        None,
        None,
        policy(|p| p.step_timeout = Duration::from_millis(500)),
    )
    .await;
    let done = run_to_end(&t, json!({})).await;
    let error = error_of(&done);
    assert_eq!(error.code, ErrorCode::ProviderError);
    assert!(
        error
            .message
            .starts_with("the model's answer did not finish within 0.5 s"),
        "{}",
        error.message
    );
    assert_eq!(t.mock.turns_used(), 1, "an endless step is not retried");
}

#[tokio::test]
async fn an_unresponsive_provider_fails_within_the_call_deadline_saying_it_stalled() {
    // No answer at all, and an answer whose stream stops after its first event.
    let silent = json!({"hang": true});
    let stalled = json!({"text": "one two three", "chunk_delay_ms": 600_000});
    for turn in [silent, stalled] {
        let t = AgentEnv::configured(
            "openai_compatible",
            json!([turn, turn, turn, turn]),
            None,
            None,
            policy(|p| p.call_deadline = Duration::from_millis(500)),
        )
        .await;
        let done = run_to_end(&t, json!({})).await;
        let error = error_of(&done);
        assert_eq!(error.code, ErrorCode::ProviderError, "{turn}");
        assert!(
            error
                .message
                .starts_with("the provider stalled: no answer after 1 attempt(s)")
                && error.message.contains("then run again"),
            "{turn}: {}",
            error.message
        );
    }
}

#[tokio::test]
async fn absurd_token_counts_are_clamped_before_the_ledger_and_noted_in_the_transcript() {
    let t = AgentEnv::new(
        "openai_compatible",
        json!([
            {"tool_calls": [{"name": "list", "arguments": {"path": "."}}],
             "raw_usage": {"prompt_tokens": u64::MAX, "completion_tokens": -3}},
            {"text": "Listed.", "raw_usage": {"prompt_tokens": 1e30, "completion_tokens": 7}}
        ]),
    )
    .await;
    let done = run_to_end(&t, allow_all()).await;
    assert_eq!(done.state, RunState::Succeeded, "{done:?}");
    assert_eq!(
        (done.tokens_in, done.tokens_out),
        (2 * MAX_TOKENS_PER_CALL, 7)
    );
    let notes: Vec<String> = parts(&t, &done)
        .await
        .into_iter()
        .filter_map(|p| match p {
            Part::Notice { text } if text.contains("token counts") => Some(text),
            _ => None,
        })
        .collect();
    let note = |odd: &str| {
        format!(
            "the provider reported token counts that cannot be right ({odd}); they were \
             clamped to between 0 and {MAX_TOKENS_PER_CALL} per call, so this step's token \
             count and cost are estimates"
        )
    };
    assert_eq!(
        notes,
        vec![
            note("prompt_tokens = 18446744073709551615, completion_tokens = -3"),
            note("prompt_tokens = 1e+30"),
        ]
    );

    // Anthropic adds three input counts; their sum used to overflow.
    let huge = u64::MAX;
    let t = AgentEnv::new(
        "anthropic",
        json!([{"text": "Hi.", "raw_usage": {"input_tokens": huge, "cache_read_input_tokens": huge, "output_tokens": 2}}]),
    )
    .await;
    let done = run_to_end(&t, json!({})).await;
    assert_eq!(
        (done.state, done.tokens_in, done.tokens_out),
        (RunState::Succeeded, MAX_TOKENS_PER_CALL, 2)
    );
}

/// One model call straight through a provider client against a one-turn mock.
async fn provider_call(kind: ProviderKind, turn: Value) -> Result<ChatResponse, ProviderError> {
    let mock = MockServer::start(Script::from_value(json!({"turns": [turn]})).unwrap())
        .await
        .unwrap();
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
    let messages = [ChatMessage::User("go".into())];
    let request = ChatRequest {
        model: "mock-coder",
        system: "test",
        messages: &messages,
        tools: &[],
        variant: None,
        max_tokens: 1024,
    };
    let answer = client.complete(request, &|_| {}).await;
    mock.shutdown().await;
    answer
}

#[tokio::test]
async fn both_providers_report_a_length_cut_without_a_usable_answer_as_output_truncated() {
    let advice = "; ask for smaller steps (write a big file in parts, for example) or choose a \
                  model with a larger output limit";
    let cases = [
        (
            json!({"reasoning": "Thinking at length", "truncated": true}),
            "before it gave an answer or called a tool",
        ),
        (
            json!({"text": "Writing it.", "malformed_tool_json": true, "tool_name": "write", "truncated": true}),
            "in the middle of the arguments of tool call `write`, so it was not run",
        ),
    ];
    for kind in [ProviderKind::OpenaiCompatible, ProviderKind::Anthropic] {
        for (turn, why) in &cases {
            let error = provider_call(kind, turn.clone()).await.unwrap_err();
            assert_eq!(
                (error.error_code(), error.to_string()),
                (
                    ErrorCode::OutputTruncated,
                    format!("the model stopped at its output length limit {why}{advice}")
                ),
                "{kind:?}"
            );
        }
    }
}

#[tokio::test]
async fn a_length_cut_answer_with_nothing_usable_fails_with_output_truncated() {
    for kind in KINDS {
        let t = AgentEnv::new(
            kind,
            json!([{"reasoning": "Thinking about it at length", "truncated": true}]),
        )
        .await;
        let done = run_to_end(&t, json!({})).await;
        assert_eq!(
            error_of(&done),
            RunError {
                code: ErrorCode::OutputTruncated,
                message: "the model stopped at its output length limit before it gave an \
                          answer or called a tool; ask for smaller steps (write a big file in \
                          parts, for example) or choose a model with a larger output limit"
                    .into(),
            },
            "{kind}"
        );
    }
}

#[tokio::test]
async fn a_length_cut_tool_call_with_incomplete_arguments_is_not_run() {
    for kind in KINDS {
        let t = AgentEnv::new(
            kind,
            json!([{"text": "Writing it.", "malformed_tool_json": true, "tool_name": "write", "truncated": true}]),
        )
        .await;
        let done = run_to_end(&t, allow_all()).await;
        let error = error_of(&done);
        assert_eq!(error.code, ErrorCode::OutputTruncated, "{kind}");
        assert!(
            error
                .message
                .contains("in the middle of the arguments of tool call `write`, so it was not run"),
            "{kind}: {}",
            error.message
        );
        assert_eq!(tool_calls(&t, &done).await, vec![], "{kind}");
        assert!(
            !t.env.workspace.join("src/lib.rs").exists(),
            "{kind}: nothing was written"
        );
    }
}

#[tokio::test]
async fn a_length_cut_answer_with_text_succeeds_with_that_text() {
    for kind in KINDS {
        let t = AgentEnv::new(kind, json!([{"text": "Half a summary", "truncated": true}])).await;
        let done = run_to_end(&t, json!({})).await;
        assert_eq!(
            (done.state, done.result.as_deref()),
            (RunState::Succeeded, Some("Half a summary")),
            "{kind}"
        );
    }
}
