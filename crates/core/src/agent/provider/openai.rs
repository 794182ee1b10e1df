//! OpenAI-compatible Chat Completions with streaming: OpenAI, OpenRouter, Ollama, LM Studio,
//! vLLM and the like, by base URL.

use std::collections::BTreeMap;
use std::sync::{Mutex, PoisonError};

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use serde_json::Value;

use super::exchange::{stream_call, StreamParser};
use super::loose::{Index, List, Object, Text};
use super::usage::TokenCounts;
use super::wire::{raw, Encoded};
use super::*;

pub(super) struct OpenAi {
    pub base_url: String,
    pub api_key: Option<String>,
    pub http: reqwest::Client,
    pub policy: HttpPolicy,
    /// The wire messages of each conversation message, kept across the run's calls.
    pub encoded: Mutex<Encoded<Vec<Box<RawValue>>>>,
}

impl Provider for OpenAi {
    fn complete<'a>(
        &'a self,
        request: ChatRequest<'a>,
        on_delta: &'a (dyn Fn(Delta) + Send + Sync),
    ) -> BoxFuture<'a, Result<ChatResponse, ProviderError>> {
        Box::pin(async move {
            let url = format!("{}/chat/completions", self.base_url);
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
                    .header(reqwest::header::CONTENT_TYPE, "application/json")
                    .body(body.clone());
                match &self.api_key {
                    Some(key) => builder.bearer_auth(key),
                    None => builder,
                }
            };
            stream_call::<StreamState>(&self.policy, &url, build, on_delta).await
        })
    }
}

/// The request's JSON, written straight from the conversation (no intermediate tree of it),
/// each message from its kept encoding once it has one.
fn request_body(
    request: &ChatRequest<'_>,
    encoded: &mut Encoded<Vec<Box<RawValue>>>,
) -> serde_json::Result<Vec<u8>> {
    let system = raw(&WireMessage::System {
        content: request.system,
    })?;
    let tools = match request.tools {
        [] => None,
        tools => Some(encoded.tools(tools, |tools| raw(&wire_tools(tools)))?),
    };
    let mut messages: Vec<&RawValue> = Vec::with_capacity(request.messages.len() + 1);
    messages.push(&system);
    messages.extend(
        encoded
            .update(request.messages, encode_message)?
            .flatten()
            .map(|message| &**message),
    );
    let body = WireRequest {
        model: request.model,
        messages,
        stream: true,
        stream_options: StreamOptions {
            include_usage: true,
        },
        tools: tools.as_deref(),
        reasoning_effort: request.variant.map(Variant::as_str),
    };
    serde_json::to_vec(&body)
}

fn wire_tools(tools: &[ToolSpec]) -> Vec<WireTool<'_>> {
    tools
        .iter()
        .map(|tool| WireTool {
            kind: "function",
            function: WireToolFunction {
                name: tool.name,
                description: tool.description,
                parameters: &tool.parameters,
            },
        })
        .collect()
}

/// The wire messages of one conversation message (tool results are one message each).
fn encode_message(message: &ChatMessage) -> serde_json::Result<Vec<Box<RawValue>>> {
    match message {
        ChatMessage::User(text) => Ok(vec![raw(&WireMessage::User { content: text })?]),
        ChatMessage::Assistant { text, tool_calls } => Ok(vec![raw(&WireMessage::Assistant {
            content: text,
            tool_calls: tool_calls
                .iter()
                .map(|call| WireToolCall {
                    id: &call.id,
                    kind: "function",
                    function: WireFunction {
                        name: &call.name,
                        arguments: call.arguments.to_string(),
                    },
                })
                .collect(),
        })?]),
        ChatMessage::ToolResults(results) => results
            .iter()
            .map(|result| {
                raw(&WireMessage::Tool {
                    tool_call_id: &result.tool_call_id,
                    content: &result.content,
                })
            })
            .collect(),
    }
}

#[derive(Serialize)]
struct WireRequest<'a> {
    model: &'a str,
    messages: Vec<&'a RawValue>,
    stream: bool,
    stream_options: StreamOptions,
    #[serde(skip_serializing_if = "Option::is_none")]
    tools: Option<&'a RawValue>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reasoning_effort: Option<&'static str>,
}

#[derive(Serialize)]
struct StreamOptions {
    include_usage: bool,
}

#[derive(Serialize)]
#[serde(tag = "role", rename_all = "snake_case")]
enum WireMessage<'a> {
    System {
        content: &'a str,
    },
    User {
        content: &'a str,
    },
    Assistant {
        content: &'a str,
        #[serde(skip_serializing_if = "Vec::is_empty")]
        tool_calls: Vec<WireToolCall<'a>>,
    },
    Tool {
        tool_call_id: &'a str,
        content: &'a str,
    },
}

#[derive(Serialize)]
struct WireToolCall<'a> {
    id: &'a str,
    #[serde(rename = "type")]
    kind: &'static str,
    function: WireFunction<'a>,
}

#[derive(Serialize)]
struct WireFunction<'a> {
    name: &'a str,
    /// The arguments as JSON text, as the API takes them.
    arguments: String,
}

#[derive(Serialize)]
struct WireTool<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    function: WireToolFunction<'a>,
}

#[derive(Serialize)]
struct WireToolFunction<'a> {
    name: &'a str,
    description: &'a str,
    parameters: &'a Value,
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

/// One streamed chunk, as far as it is read (see [`super::loose`]).
#[derive(Deserialize, Default)]
#[serde(default)]
struct Chunk<'a> {
    /// Any shape: only `error.message` is read, and errors are rare.
    error: Option<Value>,
    /// `null` on every chunk but the last when usage is asked for.
    usage: Object<ChunkUsage>,
    #[serde(borrow)]
    choices: List<Object<Choice<'a>>>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ChunkUsage {
    prompt_tokens: Value,
    completion_tokens: Value,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Choice<'a> {
    #[serde(borrow)]
    delta: Object<ChoiceDelta<'a>>,
    #[serde(borrow)]
    finish_reason: Text<'a>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ChoiceDelta<'a> {
    #[serde(borrow)]
    content: Text<'a>,
    #[serde(borrow)]
    reasoning_content: Text<'a>,
    #[serde(borrow)]
    reasoning: Text<'a>,
    #[serde(borrow)]
    tool_calls: List<Object<CallDelta<'a>>>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct CallDelta<'a> {
    index: Index,
    #[serde(borrow)]
    id: Text<'a>,
    #[serde(borrow)]
    function: Object<FunctionDelta<'a>>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct FunctionDelta<'a> {
    #[serde(borrow)]
    name: Text<'a>,
    #[serde(borrow)]
    arguments: Text<'a>,
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
        let chunk: Object<Chunk<'_>> = serde_json::from_str(data)
            .map_err(|e| ProviderError::Malformed(format!("a stream chunk is not JSON ({e})")))?;
        let chunk = chunk.0.unwrap_or_default();
        if let Some(message) = chunk
            .error
            .as_ref()
            .and_then(|e| e.pointer("/message"))
            .and_then(Value::as_str)
        {
            return Err(ProviderError::Http {
                status: 200,
                message: message.to_owned(),
            });
        }
        if let Some(usage) = &chunk.usage.0 {
            self.response.tokens_in = self.counts.read("prompt_tokens", &usage.prompt_tokens);
            self.response.tokens_out = self
                .counts
                .read("completion_tokens", &usage.completion_tokens);
        }
        let Some(choice) = chunk.choices.0.into_iter().next() else {
            return Ok(false);
        };
        let Choice {
            delta,
            finish_reason,
        } = choice.0.unwrap_or_default();
        let delta = delta.0.unwrap_or_default();
        if let Some(text) = delta.content.as_deref().filter(|t| !t.is_empty()) {
            self.response.text.push_str(text);
            on_delta(Delta::Text(text.to_owned()));
        }
        let reasoning = delta
            .reasoning_content
            .as_deref()
            .or_else(|| delta.reasoning.as_deref());
        if let Some(text) = reasoning.filter(|t| !t.is_empty()) {
            self.response.reasoning.push_str(text);
            on_delta(Delta::Reasoning(text.to_owned()));
        }
        if let Some(reason) = finish_reason.0 {
            self.finish_reason = Some(reason.into_owned());
        }
        for call in delta.tool_calls.0 {
            let call = call.0.unwrap_or_default();
            let index = call.index.0.unwrap_or(self.calls.len() as u64);
            let pending = self.calls.entry(index).or_default();
            if let Some(id) = call.id.0 {
                pending.id = id.into_owned();
            }
            let function = call.function.0.unwrap_or_default();
            if let Some(name) = function.name.as_deref() {
                pending.name.push_str(name);
            }
            if let Some(arguments) = function.arguments.0 {
                append(&mut pending.arguments, arguments);
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

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;
    use serde_json::json;

    #[test]
    fn the_request_body_has_the_chat_completions_shape() {
        let messages = [
            ChatMessage::User("Fix the test.".into()),
            ChatMessage::Assistant {
                text: String::new(),
                tool_calls: vec![ModelToolCall {
                    id: "call_1".into(),
                    name: "read".into(),
                    arguments: json!({"path": "a.rs"}),
                }],
            },
            ChatMessage::ToolResults(vec![ToolResultMessage {
                tool_call_id: "call_1".into(),
                content: "fn a() {}\n\t\"quoted\"".into(),
                is_error: false,
            }]),
            ChatMessage::Assistant {
                text: "Done.".into(),
                tool_calls: Vec::new(),
            },
        ];
        let tools = [ToolSpec {
            name: "read",
            description: "Read a file.",
            parameters: json!({"type": "object", "properties": {}}),
        }];
        let request = ChatRequest {
            model: "gpt-x",
            system: "Be brief.",
            messages: &messages,
            tools: &tools,
            variant: Some(Variant::High),
            max_tokens: 100,
        };
        let body = request_body(&request, &mut Encoded::default()).unwrap();
        let body: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(
            body,
            json!({
                "model": "gpt-x",
                "messages": [
                    {"role": "system", "content": "Be brief."},
                    {"role": "user", "content": "Fix the test."},
                    {"role": "assistant", "content": "", "tool_calls": [
                        {"id": "call_1", "type": "function",
                         "function": {"name": "read", "arguments": "{\"path\":\"a.rs\"}"}}
                    ]},
                    {"role": "tool", "tool_call_id": "call_1", "content": "fn a() {}\n\t\"quoted\""},
                    {"role": "assistant", "content": "Done."},
                ],
                "stream": true,
                "stream_options": {"include_usage": true},
                "tools": [{"type": "function", "function": {
                    "name": "read", "description": "Read a file.",
                    "parameters": {"type": "object", "properties": {}}
                }}],
                "reasoning_effort": "high",
            })
        );
    }

    #[test]
    fn a_request_without_tools_or_variant_leaves_them_out() {
        let messages = [ChatMessage::User("Hi.".into())];
        let request = ChatRequest {
            model: "gpt-x",
            system: "",
            messages: &messages,
            tools: &[],
            variant: None,
            max_tokens: 100,
        };
        let body = request_body(&request, &mut Encoded::default()).unwrap();
        let body: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(body.get("tools"), None);
        assert_eq!(body.get("reasoning_effort"), None);
    }

    #[test]
    fn a_kept_encoding_gives_the_body_a_fresh_one_would() {
        let mut messages = vec![ChatMessage::User("Fix it.".into())];
        let mut kept = Encoded::default();
        for step in 0..3 {
            messages.push(ChatMessage::Assistant {
                text: String::new(),
                tool_calls: vec![ModelToolCall {
                    id: format!("call_{step}"),
                    name: "read".into(),
                    arguments: json!({"path": "a.rs"}),
                }],
            });
            messages.push(ChatMessage::ToolResults(vec![ToolResultMessage {
                tool_call_id: format!("call_{step}"),
                content: format!("line {step}"),
                is_error: false,
            }]));
            let request = ChatRequest {
                model: "gpt-x",
                system: "Be brief.",
                messages: &messages,
                tools: &[],
                variant: None,
                max_tokens: 100,
            };
            assert_eq!(
                request_body(&request, &mut kept).unwrap(),
                request_body(&request, &mut Encoded::default()).unwrap(),
                "step {step}"
            );
        }
    }
}
