//! OpenAI-compatible Chat Completions with streaming: OpenAI, OpenRouter, Ollama, LM Studio,
//! vLLM and the like, by base URL.

use std::collections::BTreeMap;

use serde_json::{json, Value};

use super::exchange::{stream_call, StreamParser};
use super::usage::TokenCounts;
use super::*;

pub(super) struct OpenAi {
    pub base_url: String,
    pub api_key: Option<String>,
    pub http: reqwest::Client,
    pub policy: HttpPolicy,
}

impl Provider for OpenAi {
    fn complete<'a>(
        &'a self,
        request: ChatRequest<'a>,
        on_delta: &'a (dyn Fn(Delta) + Send + Sync),
    ) -> BoxFuture<'a, Result<ChatResponse, ProviderError>> {
        Box::pin(async move {
            let url = format!("{}/chat/completions", self.base_url);
            let body = request_body(&request);
            let build = || {
                let builder = self.http.post(&url).json(&body);
                match &self.api_key {
                    Some(key) => builder.bearer_auth(key),
                    None => builder,
                }
            };
            stream_call::<StreamState>(&self.policy, &url, build, on_delta).await
        })
    }
}

fn request_body(request: &ChatRequest<'_>) -> Value {
    let mut messages = vec![json!({"role": "system", "content": request.system})];
    for message in request.messages {
        match message {
            ChatMessage::User(text) => messages.push(json!({"role": "user", "content": text})),
            ChatMessage::Assistant { text, tool_calls } => {
                let mut entry = json!({"role": "assistant", "content": text});
                if !tool_calls.is_empty() {
                    entry["tool_calls"] = tool_calls
                        .iter()
                        .map(|call| {
                            json!({
                                "id": call.id,
                                "type": "function",
                                "function": {"name": call.name, "arguments": call.arguments.to_string()},
                            })
                        })
                        .collect();
                }
                messages.push(entry);
            }
            ChatMessage::ToolResults(results) => {
                for result in results {
                    messages.push(json!({
                        "role": "tool",
                        "tool_call_id": result.tool_call_id,
                        "content": result.content,
                    }));
                }
            }
        }
    }
    let tools: Vec<Value> = request
        .tools
        .iter()
        .map(|tool| {
            json!({
                "type": "function",
                "function": {"name": tool.name, "description": tool.description, "parameters": tool.parameters},
            })
        })
        .collect();
    let mut body = json!({
        "model": request.model,
        "messages": messages,
        "stream": true,
        "stream_options": {"include_usage": true},
    });
    if !tools.is_empty() {
        body["tools"] = Value::Array(tools);
    }
    if let Some(variant) = request.variant {
        body["reasoning_effort"] = json!(variant.as_str());
    }
    body
}

#[derive(Default)]
struct PendingCall {
    id: String,
    name: String,
    arguments: String,
}

#[derive(Default)]
struct StreamState {
    response: ChatResponse,
    calls: BTreeMap<u64, PendingCall>,
    counts: TokenCounts,
    /// The choice's `finish_reason`, once one came.
    finish_reason: Option<String>,
    done: bool,
}

impl StreamParser for StreamState {
    /// Applies one `data:` payload; true once the stream is over.
    fn event(
        &mut self,
        data: &str,
        on_delta: &(dyn Fn(Delta) + Send + Sync),
    ) -> Result<bool, ProviderError> {
        if data.trim() == "[DONE]" {
            self.done = true;
            return Ok(true);
        }
        let mut chunk: Value = serde_json::from_str(data)
            .map_err(|e| ProviderError::Malformed(format!("a stream chunk is not JSON ({e})")))?;
        if let Some(message) = chunk.pointer("/error/message").and_then(Value::as_str) {
            return Err(ProviderError::Http {
                status: 200,
                message: message.to_owned(),
            });
        }
        if let Some(usage) = chunk.get("usage").filter(|u| !u.is_null()) {
            self.response.tokens_in = self.counts.read("prompt_tokens", &usage["prompt_tokens"]);
            self.response.tokens_out = self
                .counts
                .read("completion_tokens", &usage["completion_tokens"]);
        }
        let Some(choice) = chunk.pointer_mut("/choices/0") else {
            return Ok(false);
        };
        let delta = &choice["delta"];
        if let Some(text) = delta["content"].as_str().filter(|t| !t.is_empty()) {
            self.response.text.push_str(text);
            on_delta(Delta::Text(text.to_owned()));
        }
        let reasoning = delta["reasoning_content"]
            .as_str()
            .or_else(|| delta["reasoning"].as_str());
        if let Some(text) = reasoning.filter(|t| !t.is_empty()) {
            self.response.reasoning.push_str(text);
            on_delta(Delta::Reasoning(text.to_owned()));
        }
        if let Some(reason) = choice["finish_reason"].as_str() {
            self.finish_reason = Some(reason.to_owned());
        }
        // Taken, not borrowed: a big call's arguments then move instead of being copied.
        let calls = choice.pointer_mut("/delta/tool_calls").map(Value::take);
        if let Some(Value::Array(calls)) = calls {
            for mut call in calls {
                let index = call["index"].as_u64().unwrap_or(self.calls.len() as u64);
                let pending = self.calls.entry(index).or_default();
                if let Some(id) = call["id"].as_str() {
                    pending.id = id.to_owned();
                }
                if let Some(name) = call.pointer("/function/name").and_then(Value::as_str) {
                    pending.name.push_str(name);
                }
                if let Some(arguments) = call.pointer_mut("/function/arguments") {
                    append(&mut pending.arguments, arguments);
                }
            }
        }
        Ok(false)
    }

    fn finish(self) -> Result<ChatResponse, ProviderError> {
        if self.finish_reason.is_none() && !self.done {
            return Err(ProviderError::Cut(
                "the stream ended without a finish reason".into(),
            ));
        }
        let truncated = self.finish_reason.as_deref() == Some("length");
        let mut calls = Vec::with_capacity(self.calls.len());
        for (index, call) in self.calls {
            if call.name.is_empty() {
                if truncated {
                    return Err(ProviderError::Truncated(
                        "in the middle of a tool call, so it was not run".into(),
                    ));
                }
                return Err(ProviderError::Malformed(format!(
                    "tool call {index} has no name"
                )));
            }
            let id = if call.id.is_empty() {
                format!("call_{index}")
            } else {
                call.id
            };
            calls.push(StreamedCall {
                id,
                name: call.name,
                arguments: call.arguments,
            });
        }
        complete_answer(self.response, calls, truncated, self.counts)
    }
}
