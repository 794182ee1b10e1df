//! A scriptable stand-in for a model provider, **for tests and the offline demo only**.
//!
//! [`MockServer`] listens on 127.0.0.1 and speaks two real wire formats, streamed
//! (server-sent events with the providers' chunk shapes) or whole:
//!
//! - `POST /v1/chat/completions`: OpenAI Chat Completions;
//! - `POST /v1/messages`: Anthropic Messages;
//! - `GET /v1/models`: the script's model id, so a "test connection" has something to call.
//!
//! Anything else is a 404. Errors use each provider's error body shape.
//!
//! Every completion request, on either endpoint, consumes the next turn of a [`Script`].
//! Before that the mock checks the invariants a real provider enforces (tool calls answered,
//! roles alternating, ...) and answers 400 with what is wrong, recorded in
//! [`RecordedRequest::protocol_error`], so a malformed request fails the test where it happens.
//! A request refused this way consumes no turn.
//!
//! # Script format (JSON)
//!
//! ```json
//! {
//!   "model": "mock-coder",
//!   "turns": [
//!     {"reasoning": "Look first.", "text": "Reading the file.",
//!      "tool_calls": [{"name": "read", "arguments": {"path": "README.md"}}]},
//!     {"expect": {"last_tool_result_contains": "Autowork"},
//!      "text": "Done.", "usage": {"input_tokens": 120, "output_tokens": 8}},
//!     {"expect": {"last_user_contains": "also fix the lint"}, "text": "Fixed it too."},
//!     {"expect": {"tool_offered": "propose_automation"},
//!      "tool_calls": [{"name": "propose_automation", "arguments": {"title": "Nightly"}}]},
//!     {"error": {"status": 429, "retry_after": 1, "message": "slow down"}},
//!     {"cut_stream": {"after_chunks": 3}, "text": "this reply breaks off"},
//!     {"cut_stream": {"after_chunks": 3, "close": true}, "text": "this one just stops"},
//!     {"malformed_tool_json": true, "tool_name": "write", "truncated": true},
//!     {"text": "Done.", "raw_usage": {"prompt_tokens": -1, "completion_tokens": 1e30}},
//!     {"hang": true}
//!   ]
//! }
//! ```
//!
//! A turn is a reply (`text`, `reasoning`, `tool_calls`, `usage`, `delay_ms` before the
//! first byte, `chunk_delay_ms` between stream events, `write_bytes` to send each event in
//! writes of at most that many bytes, `argument_pieces` for how many events a tool call's
//! arguments take (default 3), `truncated` to stop at the output limit with
//! `finish_reason: "length"` / `stop_reason: "max_tokens"`, `raw_usage` to send that usage
//! object verbatim in the format's own field names) or one fault: `error`, `cut_stream`
//! (with reply fields: the stream stops after that many events and the connection drops,
//! or with `close: true` the body ends normally without the final events),
//! `malformed_tool_json` (a last tool call whose arguments are not valid JSON) or `hang`
//! (never answer). Any turn may carry `expect`; a request that does not meet it is answered
//! 400 and still consumes the turn. Once the turns run out, requests get a 500 saying
//! "mock script exhausted after N turns". `usage` defaults to about four bytes a token.
//!
//! ```no_run
//! # async fn demo() -> anyhow::Result<()> {
//! use autowork_mock_llm::{MockServer, Script};
//! let script = Script::from_json_str(r#"{"turns": [{"text": "hello"}]}"#)?;
//! let server = MockServer::start(script).await?;
//! let url = format!("{}/v1/chat/completions", server.base_url());
//! // ... point the client under test at `url` ...
//! assert!(server.protocol_errors().is_empty());
//! server.shutdown().await;
//! # Ok(()) }
//! ```

mod answer;
mod anthropic;
mod openai;
mod record;
mod reply;
mod script;
mod server;
mod wire;

pub use record::RecordedRequest;
pub use script::{
    Action, ErrorFault, Expect, Reply, Script, ScriptError, ToolCall, Turn, Usage, DEFAULT_MODEL,
};
pub use server::MockServer;
