//! Anthropic Messages with streaming.

use std::collections::BTreeMap;

use serde_json::{json, Value};

use super::exchange::{stream_call, StreamParser};
use super::usage::TokenCounts;
use super::*;

const API_VERSION: &str = "2023-06-01";

pub(super) struct Anthropic {
    pub base_url: String,
    pub api_key: Option<String>,
    pub http: reqwest::Client,
    pub policy: HttpPolicy,
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
            let body = request_body(&request);
            let build = || {
                let builder = self
                    .http
                    .post(&url)
                    .header("anthropic-version", API_VERSION)
                    .json(&body);
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

fn request_body(request: &ChatRequest<'_>) -> Value {
    // Anthropic wants strictly alternating roles: merge neighbours of the same role.
    let mut messages: Vec<(&str, Vec<Value>)> = Vec::new();
    for message in request.messages {
        let (role, blocks) = match message {
            ChatMessage::User(text) => ("user", vec![json!({"type": "text", "text": text})]),
            ChatMessage::Assistant { text, tool_calls } => {
                let mut blocks = Vec::new();
                if !text.is_empty() {
                    blocks.push(json!({"type": "text", "text": text}));
                }
                for call in tool_calls {
                    blocks.push(json!({"type": "tool_use", "id": call.id, "name": call.name, "input": call.arguments}));
                }
                ("assistant", blocks)
            }
            ChatMessage::ToolResults(results) => (
                "user",
                results
                    .iter()
                    .map(|r| {
                        json!({"type": "tool_result", "tool_use_id": r.tool_call_id, "content": r.content, "is_error": r.is_error})
                    })
                    .collect(),
            ),
        };
        if blocks.is_empty() {
            continue;
        }
        match messages.last_mut() {
            Some((last_role, last_blocks)) if *last_role == role => last_blocks.extend(blocks),
            _ => messages.push((role, blocks)),
        }
    }
    let messages: Vec<Value> = messages
        .into_iter()
        .map(|(role, content)| json!({"role": role, "content": content}))
        .collect();
    let tools: Vec<Value> = request
        .tools
        .iter()
        .map(
            |t| json!({"name": t.name, "description": t.description, "input_schema": t.parameters}),
        )
        .collect();
    let mut max_tokens = request.max_tokens;
    let mut body = json!({
        "model": request.model,
        "system": request.system,
        "messages": messages,
        "stream": true,
    });
    if !tools.is_empty() {
        body["tools"] = Value::Array(tools);
    }
    if let Some(variant) = request.variant {
        let budget = thinking_budget(variant);
        max_tokens = max_tokens.max(budget + 4_096);
        body["thinking"] = json!({"type": "enabled", "budget_tokens": budget});
    }
    body["max_tokens"] = json!(max_tokens);
    body
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

impl StreamParser for StreamState {
    fn event(
        &mut self,
        data: &str,
        on_delta: &(dyn Fn(Delta) + Send + Sync),
    ) -> Result<bool, ProviderError> {
        let mut event: Value = serde_json::from_str(data)
            .map_err(|e| ProviderError::Malformed(format!("a stream event is not JSON ({e})")))?;
        let index = event["index"].as_u64().unwrap_or(0);
        match event["type"].as_str().unwrap_or_default() {
            "message_start" => {
                let usage = &event["message"]["usage"];
                let input = [
                    self.counts.read("input_tokens", &usage["input_tokens"]),
                    self.counts
                        .read("cache_read_input_tokens", &usage["cache_read_input_tokens"]),
                    self.counts.read(
                        "cache_creation_input_tokens",
                        &usage["cache_creation_input_tokens"],
                    ),
                ];
                self.response.tokens_in = self.counts.sum("input tokens in all", &input);
                self.response.tokens_out =
                    self.counts.read("output_tokens", &usage["output_tokens"]);
            }
            "content_block_start" => {
                let block = &event["content_block"];
                let started = match block["type"].as_str().unwrap_or_default() {
                    "tool_use" => Block::ToolUse {
                        id: block["id"].as_str().unwrap_or_default().to_owned(),
                        name: block["name"].as_str().unwrap_or_default().to_owned(),
                        json: String::new(),
                    },
                    "thinking" | "redacted_thinking" => Block::Thinking,
                    _ => Block::Text,
                };
                self.blocks.insert(index, started);
            }
            "content_block_delta" => {
                let kind = event["delta"]["type"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned();
                match (kind.as_str(), self.blocks.get_mut(&index)) {
                    ("text_delta", _) => {
                        let text = event["delta"]["text"].as_str().unwrap_or_default();
                        self.response.text.push_str(text);
                        on_delta(Delta::Text(text.to_owned()));
                    }
                    ("thinking_delta", _) => {
                        let text = event["delta"]["thinking"].as_str().unwrap_or_default();
                        self.response.reasoning.push_str(text);
                        on_delta(Delta::Reasoning(text.to_owned()));
                    }
                    ("input_json_delta", Some(Block::ToolUse { json, .. })) => {
                        if let Some(fragment) = event.pointer_mut("/delta/partial_json") {
                            append(json, fragment);
                        }
                    }
                    _ => {}
                }
            }
            "message_delta" => {
                if let Some(reason) = event.pointer("/delta/stop_reason").and_then(Value::as_str) {
                    self.stop_reason = Some(reason.to_owned());
                }
                if let Some(out) = event
                    .pointer("/usage/output_tokens")
                    .filter(|v| !v.is_null())
                {
                    self.response.tokens_out = self.counts.read("output_tokens", out);
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
                        .pointer("/error/message")
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
