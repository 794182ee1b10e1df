//! The script: what the mock answers, one turn per completion request.

use std::path::Path;

use serde::Deserialize;
use serde_json::Value;

/// Model id used when the script names none.
pub const DEFAULT_MODEL: &str = "mock-coder";

/// A script could not be read or does not describe valid turns.
#[derive(Debug, thiserror::Error)]
pub enum ScriptError {
    #[error("cannot read mock script {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("mock script is not valid: {0} (see the autowork_mock_llm crate docs for the format)")]
    Invalid(#[from] serde_json::Error),
}

/// The whole script: `{"model"?: "...", "turns": [Turn, ...]}`.
///
/// Each completion request, on either endpoint, consumes the next turn in order.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Script {
    /// The model id listed by `GET /v1/models` (default `mock-coder`).
    #[serde(default = "default_model")]
    pub model: String,
    pub turns: Vec<Turn>,
}

fn default_model() -> String {
    DEFAULT_MODEL.to_owned()
}

impl Script {
    pub fn from_json_str(text: &str) -> Result<Script, ScriptError> {
        Ok(serde_json::from_str(text)?)
    }

    pub fn from_file(path: impl AsRef<Path>) -> Result<Script, ScriptError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|source| ScriptError::Read {
            path: path.display().to_string(),
            source,
        })?;
        Script::from_json_str(&text)
    }

    pub fn from_value(value: Value) -> Result<Script, ScriptError> {
        Ok(serde_json::from_value(value)?)
    }
}

/// One scripted answer, plus an optional expectation on the request that consumes it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(try_from = "RawTurn")]
pub struct Turn {
    pub expect: Option<Expect>,
    pub action: Action,
    /// Milliseconds to wait before the first byte of the answer.
    pub delay_ms: u64,
}

/// What the mock does with the request that consumes a turn.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// A normal assistant reply.
    Reply(Reply),
    /// A provider error with this HTTP status.
    Error(ErrorFault),
    /// Start the reply, send `after_chunks` stream events, then drop the connection (or,
    /// with `close`, end the body normally, so only the missing final event tells).
    CutStream {
        after_chunks: usize,
        close: bool,
        reply: Reply,
    },
    /// The reply ends with a call to `tool_name` whose arguments are not valid JSON.
    MalformedToolJson { tool_name: String, reply: Reply },
    /// Accept the request and never answer (until the client goes away or the server stops).
    Hang,
}

/// An assistant reply: reasoning, then text, then tool calls.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Reply {
    pub text: Option<String>,
    pub reasoning: Option<String>,
    pub tool_calls: Vec<ToolCall>,
    /// Token counts to report; by default a rough count from the request and reply sizes.
    pub usage: Option<Usage>,
    /// Milliseconds between stream events.
    pub chunk_delay_ms: u64,
    /// The reply stops at the model's output limit: OpenAI's `finish_reason: "length"`,
    /// Anthropic's `stop_reason: "max_tokens"`.
    pub truncated: bool,
    /// Sent verbatim as the format's usage object instead of `usage` (any JSON: negative,
    /// huge or fractional counts), in that format's field names.
    pub raw_usage: Option<Value>,
    /// At most this many bytes per write of a stream, so one event may arrive in many pieces
    /// as it does over a real network; by default one write per event.
    pub write_bytes: Option<usize>,
    /// How many stream events each tool call's arguments take (by default 3; 1 sends
    /// them whole in one event).
    pub argument_pieces: Option<usize>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ToolCall {
    pub name: String,
    #[serde(default = "empty_object")]
    pub arguments: Value,
    /// Call id to send; by default `call_mock_<turn>_<i>` (OpenAI) or `toolu_mock_<turn>_<i>`.
    #[serde(default)]
    pub id: Option<String>,
}

fn empty_object() -> Value {
    Value::Object(serde_json::Map::new())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Usage {
    pub input_tokens: u64,
    pub output_tokens: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ErrorFault {
    pub status: u16,
    /// Seconds, sent as the `retry-after` header.
    #[serde(default)]
    pub retry_after: Option<u64>,
    #[serde(default)]
    pub message: Option<String>,
}

/// What the request consuming a turn must contain; a mismatch is answered with 400.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expect {
    /// The last tool result in the conversation contains this text.
    #[serde(default)]
    pub last_tool_result_contains: Option<String>,
    /// The last message the user wrote (not a tool result) contains this text.
    #[serde(default)]
    pub last_user_contains: Option<String>,
    /// The request offers a tool of this name (e.g. the draft's `propose_automation`).
    #[serde(default)]
    pub tool_offered: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
struct CutStream {
    after_chunks: usize,
    #[serde(default)]
    close: bool,
}

/// The turn as written; [`Turn`] is what it means once the fields are checked together.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTurn {
    text: Option<String>,
    reasoning: Option<String>,
    #[serde(default)]
    tool_calls: Vec<ToolCall>,
    usage: Option<Usage>,
    #[serde(default)]
    delay_ms: u64,
    #[serde(default)]
    chunk_delay_ms: u64,
    #[serde(default)]
    truncated: bool,
    raw_usage: Option<Value>,
    write_bytes: Option<usize>,
    argument_pieces: Option<usize>,
    expect: Option<Expect>,
    error: Option<ErrorFault>,
    cut_stream: Option<CutStream>,
    #[serde(default)]
    malformed_tool_json: bool,
    tool_name: Option<String>,
    #[serde(default)]
    hang: bool,
}

impl TryFrom<RawTurn> for Turn {
    type Error = String;

    fn try_from(raw: RawTurn) -> Result<Turn, String> {
        let faults: Vec<&str> = [
            ("error", raw.error.is_some()),
            ("cut_stream", raw.cut_stream.is_some()),
            ("malformed_tool_json", raw.malformed_tool_json),
            ("hang", raw.hang),
        ]
        .into_iter()
        .filter_map(|(name, set)| set.then_some(name))
        .collect();
        if faults.len() > 1 {
            return Err(format!(
                "a turn has at most one fault, this one has {}",
                faults.join(" and ")
            ));
        }
        if raw.tool_name.is_some() && !raw.malformed_tool_json {
            return Err("`tool_name` only goes with `malformed_tool_json: true`".to_owned());
        }
        let has_reply_fields = raw.text.is_some()
            || raw.reasoning.is_some()
            || !raw.tool_calls.is_empty()
            || raw.usage.is_some()
            || raw.chunk_delay_ms > 0
            || raw.truncated
            || raw.raw_usage.is_some()
            || raw.write_bytes.is_some()
            || raw.argument_pieces.is_some();
        if (raw.error.is_some() || raw.hang) && has_reply_fields {
            return Err(format!(
                "a `{}` turn sends no reply: remove the reply fields (text, tool_calls, usage, ...)",
                faults.join("")
            ));
        }
        if raw.usage.is_some() && raw.raw_usage.is_some() {
            return Err("a turn has `usage` or `raw_usage`, not both".to_owned());
        }
        if raw.raw_usage.as_ref().is_some_and(|u| !u.is_object()) {
            return Err(
                "`raw_usage` is the usage object to send, e.g. {\"prompt_tokens\": -1}".to_owned(),
            );
        }
        if raw.write_bytes == Some(0) || raw.argument_pieces == Some(0) {
            return Err("`write_bytes` and `argument_pieces` must be at least 1".to_owned());
        }
        let reply = Reply {
            text: raw.text,
            reasoning: raw.reasoning,
            tool_calls: raw.tool_calls,
            usage: raw.usage,
            chunk_delay_ms: raw.chunk_delay_ms,
            truncated: raw.truncated,
            raw_usage: raw.raw_usage,
            write_bytes: raw.write_bytes,
            argument_pieces: raw.argument_pieces,
        };
        let action = if let Some(error) = raw.error {
            if !(400..=599).contains(&error.status) {
                return Err(format!(
                    "error status {} is not an HTTP error status (400-599)",
                    error.status
                ));
            }
            Action::Error(error)
        } else if let Some(cut) = raw.cut_stream {
            Action::CutStream {
                after_chunks: cut.after_chunks,
                close: cut.close,
                reply,
            }
        } else if raw.malformed_tool_json {
            Action::MalformedToolJson {
                tool_name: raw.tool_name.unwrap_or_else(|| "edit".to_owned()),
                reply,
            }
        } else if raw.hang {
            Action::Hang
        } else {
            Action::Reply(reply)
        };
        Ok(Turn {
            expect: raw.expect,
            action,
            delay_ms: raw.delay_ms,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;
    use serde_json::json;

    #[test]
    fn reply_turn_reads_text_tool_calls_and_defaults() {
        let script = Script::from_value(json!({
            "turns": [{"text": "hi", "tool_calls": [{"name": "read", "arguments": {"path": "a"}}]}]
        }))
        .unwrap();
        assert_eq!(script.model, "mock-coder");
        assert_eq!(
            script.turns,
            vec![Turn {
                expect: None,
                delay_ms: 0,
                action: Action::Reply(Reply {
                    text: Some("hi".into()),
                    tool_calls: vec![ToolCall {
                        name: "read".into(),
                        arguments: json!({"path": "a"}),
                        id: None
                    }],
                    ..Reply::default()
                }),
            }]
        );
    }

    #[test]
    fn fault_turns_parse_into_their_actions() {
        let script = Script::from_json_str(
            r#"{"model": "m", "turns": [
                {"error": {"status": 429, "retry_after": 2}},
                {"cut_stream": {"after_chunks": 3}, "text": "partial"},
                {"cut_stream": {"after_chunks": 1, "close": true}},
                {"malformed_tool_json": true, "truncated": true},
                {"hang": true, "delay_ms": 5}
            ]}"#,
        )
        .unwrap();
        let actions: Vec<Action> = script.turns.into_iter().map(|t| t.action).collect();
        assert_eq!(
            actions,
            vec![
                Action::Error(ErrorFault {
                    status: 429,
                    retry_after: Some(2),
                    message: None
                }),
                Action::CutStream {
                    after_chunks: 3,
                    close: false,
                    reply: Reply {
                        text: Some("partial".into()),
                        ..Reply::default()
                    }
                },
                Action::CutStream {
                    after_chunks: 1,
                    close: true,
                    reply: Reply::default()
                },
                Action::MalformedToolJson {
                    tool_name: "edit".into(),
                    reply: Reply {
                        truncated: true,
                        ..Reply::default()
                    }
                },
                Action::Hang,
            ]
        );
    }

    #[test]
    fn unknown_turn_field_is_rejected_with_its_name() {
        let err = Script::from_json_str(r#"{"turns": [{"txt": "typo"}]}"#).unwrap_err();
        assert!(err.to_string().contains("txt"), "{err}");
    }

    #[test]
    fn two_faults_in_one_turn_are_rejected() {
        let err = Script::from_json_str(r#"{"turns": [{"hang": true, "error": {"status": 500}}]}"#)
            .unwrap_err();
        assert!(err.to_string().contains("at most one fault"), "{err}");
    }

    #[test]
    fn error_turn_with_text_is_rejected() {
        let err = Script::from_json_str(r#"{"turns": [{"error": {"status": 500}, "text": "x"}]}"#)
            .unwrap_err();
        assert!(err.to_string().contains("sends no reply"), "{err}");
    }

    #[test]
    fn raw_usage_must_be_an_object_and_excludes_usage() {
        let err = Script::from_json_str(r#"{"turns": [{"raw_usage": 5}]}"#).unwrap_err();
        assert!(err.to_string().contains("usage object"), "{err}");
        let err = Script::from_json_str(
            r#"{"turns": [{"raw_usage": {}, "usage": {"input_tokens": 1, "output_tokens": 1}}]}"#,
        )
        .unwrap_err();
        assert!(err.to_string().contains("not both"), "{err}");
    }

    #[test]
    fn non_error_status_is_rejected() {
        let err = Script::from_json_str(r#"{"turns": [{"error": {"status": 200}}]}"#).unwrap_err();
        assert!(err.to_string().contains("400-599"), "{err}");
    }

    #[test]
    fn missing_file_names_the_path() {
        let err = Script::from_file("/nonexistent/mock.json").unwrap_err();
        assert!(err.to_string().contains("/nonexistent/mock.json"), "{err}");
    }
}
