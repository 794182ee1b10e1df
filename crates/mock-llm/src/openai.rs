//! OpenAI Chat Completions: `POST /v1/chat/completions`, streamed or whole.

mod check;
mod quick;

pub(crate) use check::{check_request, last_tool_result};
pub(crate) use quick::{quick_check, Known, Quick};

use serde::Serialize;
use serde_json::{json, Value};

use crate::reply::{json_pieces, word_pieces, Frames, Planned};

/// Options of the request that change the answer's shape.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct StreamOptions {
    pub include_usage: bool,
}

impl StreamOptions {
    pub fn from_request(body: &Value) -> StreamOptions {
        StreamOptions {
            include_usage: body
                .pointer("/stream_options/include_usage")
                .and_then(Value::as_bool)
                .unwrap_or(false),
        }
    }
}

fn finish_reason(plan: &Planned) -> &'static str {
    if plan.truncated {
        "length"
    } else if plan.has_tool_calls() {
        "tool_calls"
    } else {
        "stop"
    }
}

fn usage(plan: &Planned) -> Value {
    if let Some(raw) = &plan.raw_usage {
        return raw.clone();
    }
    json!({
        "prompt_tokens": plan.usage.input_tokens,
        "completion_tokens": plan.usage.output_tokens,
        "total_tokens": plan.usage.input_tokens + plan.usage.output_tokens,
    })
}

/// The `data:` frames of a streamed answer, ending with `data: [DONE]`.
pub(crate) fn stream(plan: &Planned, options: StreamOptions, created: u64) -> Frames {
    let id = format!("chatcmpl-mock-{}", plan.turn_number);
    // Real streams carry `usage: null` on every chunk but the last when usage is asked for.
    let null_usage = options.include_usage.then_some(None);
    let frame = |delta: ChunkDelta<'_>, finish_reason: Option<&str>| {
        let choices = [ChunkChoice {
            index: 0,
            delta,
            logprobs: (),
            finish_reason,
        }];
        data_frame(&Chunk {
            id: &id,
            object: "chat.completion.chunk",
            created,
            model: &plan.model,
            choices: &choices,
            usage: null_usage,
        })
    };

    let mut frames = vec![frame(
        ChunkDelta {
            role: Some("assistant"),
            content: Some(""),
            ..ChunkDelta::default()
        },
        None,
    )];
    for piece in plan
        .reasoning
        .as_deref()
        .map(word_pieces)
        .unwrap_or_default()
    {
        let delta = ChunkDelta {
            reasoning_content: Some(&piece),
            ..ChunkDelta::default()
        };
        frames.push(frame(delta, None));
    }
    for piece in plan.text.as_deref().map(word_pieces).unwrap_or_default() {
        let delta = ChunkDelta {
            content: Some(&piece),
            ..ChunkDelta::default()
        };
        frames.push(frame(delta, None));
    }
    for (index, call) in plan.calls.iter().enumerate() {
        let head = CallDelta {
            index,
            id: Some(call.id_or("call", plan.turn_number, index)),
            kind: Some("function"),
            function: FunctionDelta {
                name: Some(&call.name),
                arguments: "",
            },
        };
        let delta = ChunkDelta {
            tool_calls: vec![head],
            ..ChunkDelta::default()
        };
        frames.push(frame(delta, None));
        for piece in json_pieces(&call.arguments, plan.argument_pieces) {
            let part = CallDelta {
                index,
                id: None,
                kind: None,
                function: FunctionDelta {
                    name: None,
                    arguments: &piece,
                },
            };
            let delta = ChunkDelta {
                tool_calls: vec![part],
                ..ChunkDelta::default()
            };
            frames.push(frame(delta, None));
        }
    }
    let finish_at = frames.len();
    frames.push(frame(ChunkDelta::default(), Some(finish_reason(plan))));
    if options.include_usage {
        let usage = usage(plan);
        frames.push(data_frame(&Chunk {
            id: &id,
            object: "chat.completion.chunk",
            created,
            model: &plan.model,
            choices: &[],
            usage: Some(Some(&usage)),
        }));
    }
    frames.push("data: [DONE]\n\n".to_owned());
    Frames { frames, finish_at }
}

/// `data: {chunk}` and the blank line that ends the event.
fn data_frame(chunk: &Chunk<'_>) -> String {
    let mut frame = b"data: ".to_vec();
    // Writing plain structs of text and numbers into memory cannot fail.
    let _ = serde_json::to_writer(&mut frame, chunk);
    frame.extend_from_slice(b"\n\n");
    String::from_utf8(frame).unwrap_or_default()
}

/// One streamed chunk, written straight from the plan (no `Value` tree per chunk: the
/// mock answers every step of the agent benchmark, beside the loop it measures).
#[derive(Serialize)]
struct Chunk<'a> {
    id: &'a str,
    object: &'static str,
    created: u64,
    model: &'a str,
    choices: &'a [ChunkChoice<'a>],
    /// Absent unless usage was asked for; then `null` but on the last chunk.
    #[serde(skip_serializing_if = "Option::is_none")]
    usage: Option<Option<&'a Value>>,
}

#[derive(Serialize)]
struct ChunkChoice<'a> {
    index: u32,
    delta: ChunkDelta<'a>,
    /// Always `null`.
    logprobs: (),
    finish_reason: Option<&'a str>,
}

#[derive(Serialize, Default)]
struct ChunkDelta<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    role: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    content: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reasoning_content: Option<&'a str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    tool_calls: Vec<CallDelta<'a>>,
}

#[derive(Serialize)]
struct CallDelta<'a> {
    index: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<String>,
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    kind: Option<&'static str>,
    function: FunctionDelta<'a>,
}

#[derive(Serialize)]
struct FunctionDelta<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<&'a str>,
    arguments: &'a str,
}

/// The `chat.completion` body of an answer without streaming.
pub(crate) fn body(plan: &Planned, created: u64) -> Value {
    let mut message = json!({"role": "assistant", "content": plan.text, "refusal": null});
    if let Some(reasoning) = &plan.reasoning {
        message["reasoning_content"] = json!(reasoning);
    }
    if plan.has_tool_calls() {
        let calls: Vec<Value> = plan
            .calls
            .iter()
            .enumerate()
            .map(|(index, call)| {
                json!({
                    "id": call.id_or("call", plan.turn_number, index),
                    "type": "function",
                    "function": {"name": call.name, "arguments": call.arguments},
                })
            })
            .collect();
        message["tool_calls"] = Value::Array(calls);
    }
    json!({
        "id": format!("chatcmpl-mock-{}", plan.turn_number),
        "object": "chat.completion",
        "created": created,
        "model": plan.model,
        "choices": [{
            "index": 0,
            "message": message,
            "logprobs": null,
            "finish_reason": finish_reason(plan),
        }],
        "usage": usage(plan),
    })
}

/// OpenAI's error body: `{"error": {"message", "type", "param", "code"}}`.
pub(crate) fn error_body(status: u16, message: &str) -> Value {
    let (kind, code) = match status {
        401 => ("invalid_request_error", Some("invalid_api_key")),
        404 => ("invalid_request_error", Some("not_found")),
        429 => ("requests", Some("rate_limit_exceeded")),
        400..=499 => ("invalid_request_error", None),
        _ => ("server_error", None),
    };
    json!({"error": {"message": message, "type": kind, "param": null, "code": code}})
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reply::PlannedCall;
    use crate::script::Usage;
    use pretty_assertions::assert_eq;

    fn plan() -> Planned {
        Planned {
            turn_number: 3,
            model: "gpt-test".into(),
            reasoning: None,
            text: Some("Reading it".into()),
            calls: vec![PlannedCall {
                id: None,
                name: "read".into(),
                arguments: r#"{"path":"a.rs"}"#.into(),
            }],
            usage: Usage {
                input_tokens: 10,
                output_tokens: 4,
            },
            raw_usage: None,
            chunk_delay_ms: 0,
            truncated: false,
            write_bytes: None,
            argument_pieces: 3,
        }
    }

    fn data(frame: &str) -> Value {
        serde_json::from_str(frame.trim().trim_start_matches("data: ")).unwrap()
    }

    #[test]
    fn stream_without_usage_option_ends_with_finish_chunk_then_done() {
        let frames = stream(&plan(), StreamOptions::default(), 1).frames;
        let last_chunk = data(&frames[frames.len() - 2]);
        assert_eq!(
            last_chunk["choices"][0],
            json!({"index": 0, "delta": {}, "logprobs": null, "finish_reason": "tool_calls"})
        );
        assert!(last_chunk.get("usage").is_none());
        assert_eq!(frames.last().unwrap(), "data: [DONE]\n\n");
    }

    #[test]
    fn truncated_reply_finishes_with_length_and_raw_usage_goes_out_verbatim() {
        let plan = Planned {
            truncated: true,
            raw_usage: Some(json!({"prompt_tokens": -1, "completion_tokens": 1e30})),
            ..plan()
        };
        let frames = stream(
            &plan,
            StreamOptions {
                include_usage: true,
            },
            1,
        )
        .frames;
        let finish = data(&frames[frames.len() - 3]);
        assert_eq!(finish["choices"][0]["finish_reason"], "length");
        let usage = data(&frames[frames.len() - 2]);
        assert_eq!(
            usage["usage"],
            json!({"prompt_tokens": -1, "completion_tokens": 1e30})
        );
    }

    #[test]
    fn tool_call_head_carries_id_and_name_and_empty_arguments() {
        let frames = stream(&plan(), StreamOptions::default(), 1).frames;
        let head = frames
            .iter()
            .map(|f| data(f))
            .find(|c| c["choices"][0]["delta"].get("tool_calls").is_some())
            .unwrap();
        assert_eq!(
            head["choices"][0]["delta"]["tool_calls"][0],
            json!({"index": 0, "id": "call_mock_3_0", "type": "function",
                   "function": {"name": "read", "arguments": ""}})
        );
    }

    #[test]
    fn whole_body_has_message_tool_calls_and_usage() {
        let body = body(&plan(), 5);
        assert_eq!(body["choices"][0]["finish_reason"], "tool_calls");
        assert_eq!(body["choices"][0]["message"]["content"], "Reading it");
        assert_eq!(
            body["choices"][0]["message"]["tool_calls"][0]["function"]["arguments"],
            r#"{"path":"a.rs"}"#
        );
        assert_eq!(body["usage"]["total_tokens"], 14);
    }

    #[test]
    fn rate_limit_error_has_openai_code() {
        assert_eq!(
            error_body(429, "slow down"),
            json!({"error": {"message": "slow down", "type": "requests", "param": null,
                             "code": "rate_limit_exceeded"}})
        );
    }
}
