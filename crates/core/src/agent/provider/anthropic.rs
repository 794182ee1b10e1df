//! Anthropic Messages with streaming.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::sync::{Mutex, PoisonError};

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use serde_json::Value;

use super::exchange::{stream_call, StreamParser};
use super::loose::{Index, Object, Text};
use super::usage::TokenCounts;
use super::wire::{raw, Encoded};
use super::*;

const API_VERSION: &str = "2023-06-01";

pub(super) struct Anthropic {
    pub base_url: String,
    pub api_key: Option<String>,
    pub http: reqwest::Client,
    pub policy: HttpPolicy,
    /// The role and blocks of each conversation message, kept across the run's calls.
    pub encoded: Mutex<Encoded<EncodedMessage>>,
}

impl Provider for Anthropic {
    fn complete<'a>(
        &'a self,
        request: ChatRequest<'a>,
        on_delta: &'a (dyn Fn(Delta) + Send + Sync),
    ) -> BoxFuture<'a, Result<ChatResponse, ProviderError>> {
        Box::pin(async move {
            let base = self.base_url.trim_end_matches("/v1");
            let url = format!("{base}/v1/messages");
            let body = {
                let mut encoded = self.encoded.lock().unwrap_or_else(PoisonError::into_inner);
                request_body(&request, &mut encoded)
            };
            let body = body.map_err(|e| ProviderError::Connection {
                url: url.clone(),
                message: format!("the request could not be encoded: {e}"),
            })?;
            let build = || {
                let builder = self
                    .http
                    .post(&url)
                    .header("anthropic-version", API_VERSION)
                    .header(reqwest::header::CONTENT_TYPE, "application/json")
                    .body(body.clone());
                match &self.api_key {
                    Some(key) => builder.header("x-api-key", key),
                    None => builder,
                }
            };
            stream_call::<StreamState>(&self.policy, &url, build, on_delta).await
        })
    }
}

/// Reasoning budgets (tokens) for the variants.
fn thinking_budget(variant: Variant) -> u32 {
    match variant {
        Variant::Low => 2_048,
        Variant::Medium => 8_192,
        Variant::High => 24_576,
    }
}

/// One conversation message as Anthropic takes it: its role and its content blocks.
type EncodedMessage = (&'static str, Vec<Box<RawValue>>);

/// The request's JSON, written straight from the conversation (no intermediate tree of it),
/// each message from its kept encoding once it has one.
fn request_body(
    request: &ChatRequest<'_>,
    encoded: &mut Encoded<EncodedMessage>,
) -> serde_json::Result<Vec<u8>> {
    let tools = match request.tools {
        [] => None,
        tools => Some(encoded.tools(tools, |tools| raw(&wire_tools(tools)))?),
    };
    // Anthropic wants strictly alternating roles: merge neighbours of the same role.
    let mut messages: Vec<WireMessage<'_>> = Vec::new();
    for (role, blocks) in encoded.update(request.messages, encode_message)? {
        if blocks.is_empty() {
            continue;
        }
        let blocks = blocks.iter().map(|block| &**block);
        match messages.last_mut() {
            Some(last) if last.role == *role => last.content.extend(blocks),
            _ => messages.push(WireMessage {
                role,
                content: blocks.collect(),
            }),
        }
    }
    let mut max_tokens = request.max_tokens;
    let thinking = request.variant.map(|variant| {
        let budget = thinking_budget(variant);
        max_tokens = max_tokens.max(budget + 4_096);
        Thinking {
            kind: "enabled",
            budget_tokens: budget,
        }
    });
    let body = WireRequest {
        model: request.model,
        system: request.system,
        messages,
        stream: true,
        tools: tools.as_deref(),
        thinking,
        max_tokens,
    };
    serde_json::to_vec(&body)
}

fn wire_tools(tools: &[ToolSpec]) -> Vec<WireTool<'_>> {
    tools
        .iter()
        .map(|t| WireTool {
            name: t.name,
            description: t.description,
            input_schema: &t.parameters,
        })
        .collect()
}

fn encode_message(message: &ChatMessage) -> serde_json::Result<EncodedMessage> {
    match message {
        ChatMessage::User(text) => Ok(("user", vec![raw(&WireBlock::Text { text })?])),
        ChatMessage::Assistant { text, tool_calls } => {
            let mut blocks = Vec::with_capacity(tool_calls.len() + 1);
            if !text.is_empty() {
                blocks.push(raw(&WireBlock::Text { text })?);
            }
            for call in tool_calls {
                blocks.push(raw(&WireBlock::ToolUse {
                    id: &call.id,
                    name: &call.name,
                    input: &call.arguments,
                })?);
            }
            Ok(("assistant", blocks))
        }
        ChatMessage::ToolResults(results) => Ok((
            "user",
            results
                .iter()
                .map(|r| {
                    raw(&WireBlock::ToolResult {
                        tool_use_id: &r.tool_call_id,
                        content: &r.content,
                        is_error: r.is_error,
                    })
                })
                .collect::<serde_json::Result<_>>()?,
        )),
    }
}

#[derive(Serialize)]
struct WireRequest<'a> {
    model: &'a str,
    system: &'a str,
    messages: Vec<WireMessage<'a>>,
    stream: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    tools: Option<&'a RawValue>,
    #[serde(skip_serializing_if = "Option::is_none")]
    thinking: Option<Thinking>,
    max_tokens: u32,
}

#[derive(Serialize)]
struct WireMessage<'a> {
    role: &'static str,
    content: Vec<&'a RawValue>,
}

#[derive(Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum WireBlock<'a> {
    Text {
        text: &'a str,
    },
    ToolUse {
        id: &'a str,
        name: &'a str,
        input: &'a Value,
    },
    ToolResult {
        tool_use_id: &'a str,
        content: &'a str,
        is_error: bool,
    },
}

#[derive(Serialize)]
struct WireTool<'a> {
    name: &'a str,
    description: &'a str,
    input_schema: &'a Value,
}

#[derive(Serialize)]
struct Thinking {
    #[serde(rename = "type")]
    kind: &'static str,
    budget_tokens: u32,
}

enum Block {
    Text,
    Thinking,
    ToolUse {
        id: String,
        name: String,
        json: String,
    },
}

#[derive(Default)]
struct StreamState {
    response: ChatResponse,
    blocks: BTreeMap<u64, Block>,
    counts: TokenCounts,
    /// `stop_reason` from `message_delta`.
    stop_reason: Option<String>,
    stopped: bool,
}

/// One streamed event, as far as it is read (see [`super::loose`]).
#[derive(Deserialize, Default)]
#[serde(default)]
struct StreamEvent<'a> {
    #[serde(rename = "type", borrow)]
    kind: Text<'a>,
    index: Index,
    /// `message_start`'s message: only its usage is read.
    message: Object<StartedMessage>,
    #[serde(borrow)]
    content_block: Object<StartedBlock<'a>>,
    #[serde(borrow)]
    delta: Object<EventDelta<'a>>,
    /// `message_delta`'s usage.
    usage: Object<EventUsage>,
    /// Any shape: only `error.message` is read, and errors are rare.
    error: Option<Value>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct StartedMessage {
    usage: Object<EventUsage>,
}

/// Counts as sent, whatever their type: [`TokenCounts`] judges them.
#[derive(Deserialize, Default)]
#[serde(default)]
struct EventUsage {
    input_tokens: Value,
    cache_read_input_tokens: Value,
    cache_creation_input_tokens: Value,
    output_tokens: Value,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct StartedBlock<'a> {
    #[serde(rename = "type", borrow)]
    kind: Text<'a>,
    #[serde(borrow)]
    id: Text<'a>,
    #[serde(borrow)]
    name: Text<'a>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct EventDelta<'a> {
    #[serde(rename = "type", borrow)]
    kind: Text<'a>,
    #[serde(borrow)]
    text: Text<'a>,
    #[serde(borrow)]
    thinking: Text<'a>,
    #[serde(borrow)]
    partial_json: Text<'a>,
    #[serde(borrow)]
    stop_reason: Text<'a>,
}

impl StreamParser for StreamState {
    fn event(
        &mut self,
        data: &str,
        on_delta: &(dyn Fn(Delta) + Send + Sync),
    ) -> Result<bool, ProviderError> {
        let event: Object<StreamEvent<'_>> = serde_json::from_str(data)
            .map_err(|e| ProviderError::Malformed(format!("a stream event is not JSON ({e})")))?;
        let event = event.0.unwrap_or_default();
        let index = event.index.0.unwrap_or(0);
        let delta = event.delta.0.unwrap_or_default();
        match event.kind.as_deref().unwrap_or_default() {
            "message_start" => {
                let usage = event
                    .message
                    .0
                    .and_then(|message| message.usage.0)
                    .unwrap_or_default();
                let input = [
                    self.counts.read("input_tokens", &usage.input_tokens),
                    self.counts
                        .read("cache_read_input_tokens", &usage.cache_read_input_tokens),
                    self.counts.read(
                        "cache_creation_input_tokens",
                        &usage.cache_creation_input_tokens,
                    ),
                ];
                self.response.tokens_in = self.counts.sum("input tokens in all", &input);
                self.response.tokens_out = self.counts.read("output_tokens", &usage.output_tokens);
            }
            "content_block_start" => {
                let block = event.content_block.0.unwrap_or_default();
                let started = match block.kind.as_deref().unwrap_or_default() {
                    "tool_use" => Block::ToolUse {
                        id: block.id.0.map(Cow::into_owned).unwrap_or_default(),
                        name: block.name.0.map(Cow::into_owned).unwrap_or_default(),
                        json: String::new(),
                    },
                    "thinking" | "redacted_thinking" => Block::Thinking,
                    _ => Block::Text,
                };
                self.blocks.insert(index, started);
            }
            "content_block_delta" => {
                let kind = delta.kind.as_deref().unwrap_or_default();
                match (kind, self.blocks.get_mut(&index)) {
                    ("text_delta", _) => {
                        let text = delta.text.as_deref().unwrap_or_default();
                        self.response.text.push_str(text);
                        on_delta(Delta::Text(text.to_owned()));
                    }
                    ("thinking_delta", _) => {
                        let text = delta.thinking.as_deref().unwrap_or_default();
                        self.response.reasoning.push_str(text);
                        on_delta(Delta::Reasoning(text.to_owned()));
                    }
                    ("input_json_delta", Some(Block::ToolUse { json, .. })) => {
                        if let Some(fragment) = delta.partial_json.0 {
                            append(json, fragment);
                        }
                    }
                    _ => {}
                }
            }
            "message_delta" => {
                if let Some(reason) = delta.stop_reason.0 {
                    self.stop_reason = Some(reason.into_owned());
                }
                if let Some(usage) = event.usage.0.filter(|u| !u.output_tokens.is_null()) {
                    self.response.tokens_out =
                        self.counts.read("output_tokens", &usage.output_tokens);
                }
            }
            "message_stop" => {
                self.stopped = true;
                return Ok(true);
            }
            "error" => {
                return Err(ProviderError::Http {
                    status: 200,
                    message: event
                        .error
                        .as_ref()
                        .and_then(|e| e.pointer("/message"))
                        .and_then(Value::as_str)
                        .unwrap_or("the stream reported an error")
                        .to_owned(),
                })
            }
            _ => {} // ping, content_block_stop
        }
        Ok(false)
    }

    fn finish(self) -> Result<ChatResponse, ProviderError> {
        if !self.stopped {
            return Err(ProviderError::Cut(
                "the stream ended without message_stop".into(),
            ));
        }
        // `model_context_window_exceeded` ends the output for the same reason: no room left.
        let truncated = matches!(
            self.stop_reason.as_deref(),
            Some("max_tokens" | "model_context_window_exceeded")
        );
        let calls = self
            .blocks
            .into_values()
            .filter_map(|block| match block {
                Block::ToolUse { id, name, json } => Some(StreamedCall {
                    id,
                    name,
                    arguments: json,
                }),
                _ => None,
            })
            .collect();
        complete_answer(self.response, calls, truncated, self.counts)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;
    use serde_json::json;

    #[test]
    fn the_request_body_has_the_messages_shape_with_neighbours_merged() {
        let messages = [
            ChatMessage::User("Fix the test.".into()),
            ChatMessage::Assistant {
                text: "Looking.".into(),
                tool_calls: vec![ModelToolCall {
                    id: "toolu_1".into(),
                    name: "read".into(),
                    arguments: json!({"path": "a.rs"}),
                }],
            },
            ChatMessage::ToolResults(vec![ToolResultMessage {
                tool_call_id: "toolu_1".into(),
                content: "no such file".into(),
                is_error: true,
            }]),
            // Same role as the results before it: merged into one user message.
            ChatMessage::User("Go on.".into()),
            // Nothing to send: left out.
            ChatMessage::Assistant {
                text: String::new(),
                tool_calls: Vec::new(),
            },
        ];
        let tools = [ToolSpec {
            name: "read",
            description: "Read a file.",
            parameters: json!({"type": "object"}),
        }];
        let request = ChatRequest {
            model: "claude-x",
            system: "Be brief.",
            messages: &messages,
            tools: &tools,
            variant: Some(Variant::Low),
            max_tokens: 1_000,
        };
        let body = request_body(&request, &mut Encoded::default()).unwrap();
        let body: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(
            body,
            json!({
                "model": "claude-x",
                "system": "Be brief.",
                "messages": [
                    {"role": "user", "content": [{"type": "text", "text": "Fix the test."}]},
                    {"role": "assistant", "content": [
                        {"type": "text", "text": "Looking."},
                        {"type": "tool_use", "id": "toolu_1", "name": "read", "input": {"path": "a.rs"}},
                    ]},
                    {"role": "user", "content": [
                        {"type": "tool_result", "tool_use_id": "toolu_1", "content": "no such file", "is_error": true},
                        {"type": "text", "text": "Go on."},
                    ]},
                ],
                "stream": true,
                "tools": [{"name": "read", "description": "Read a file.", "input_schema": {"type": "object"}}],
                "thinking": {"type": "enabled", "budget_tokens": 2_048},
                "max_tokens": 6_144,
            })
        );
    }

    #[test]
    fn a_kept_encoding_gives_the_body_a_fresh_one_would() {
        let mut messages = vec![ChatMessage::User("Fix it.".into())];
        let mut kept = Encoded::default();
        for step in 0..3 {
            messages.push(ChatMessage::Assistant {
                text: String::new(),
                tool_calls: vec![ModelToolCall {
                    id: format!("toolu_{step}"),
                    name: "read".into(),
                    arguments: json!({"path": "a.rs"}),
                }],
            });
            messages.push(ChatMessage::ToolResults(vec![ToolResultMessage {
                tool_call_id: format!("toolu_{step}"),
                content: format!("line {step}"),
                is_error: false,
            }]));
            let request = ChatRequest {
                model: "claude-x",
                system: "Be brief.",
                messages: &messages,
                tools: &[],
                variant: None,
                max_tokens: 1_000,
            };
            assert_eq!(
                request_body(&request, &mut kept).unwrap(),
                request_body(&request, &mut Encoded::default()).unwrap(),
                "step {step}"
            );
        }
    }
}
