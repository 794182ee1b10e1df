//! OpenAI Chat Completions: `POST /v1/chat/completions`, streamed or whole.

mod check;
mod quick;

pub(crate) use check::{check_request, last_tool_result};
pub(crate) use quick::{quick_check, Known, Quick};

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
    let chunk = |delta: Value, finish: Option<&str>| {
        let mut chunk = json!({
            "id": id,
            "object": "chat.completion.chunk",
            "created": created,
            "model": plan.model,
            "choices": [{"index": 0, "delta": delta, "logprobs": null, "finish_reason": finish}],
        });
        if options.include_usage {
            // Real streams carry `usage: null` on every chunk but the last when usage is asked for.
            chunk["usage"] = Value::Null;
        }
        chunk
    };

    let mut chunks = vec![chunk(json!({"role": "assistant", "content": ""}), None)];
    for piece in plan
        .reasoning
        .as_deref()
        .map(word_pieces)
        .unwrap_or_default()
    {
        chunks.push(chunk(json!({"reasoning_content": piece}), None));
    }
    for piece in plan.text.as_deref().map(word_pieces).unwrap_or_default() {
        chunks.push(chunk(json!({"content": piece}), None));
    }
    for (index, call) in plan.calls.iter().enumerate() {
        let head = json!({
            "index": index,
            "id": call.id_or("call", plan.turn_number, index),
            "type": "function",
            "function": {"name": call.name, "arguments": ""},
        });
        chunks.push(chunk(json!({"tool_calls": [head]}), None));
        for piece in json_pieces(&call.arguments, plan.argument_pieces) {
            let part = json!({"index": index, "function": {"arguments": piece}});
            chunks.push(chunk(json!({"tool_calls": [part]}), None));
        }
    }
    let finish_at = chunks.len();
    chunks.push(chunk(json!({}), Some(finish_reason(plan))));
    if options.include_usage {
        chunks.push(json!({
            "id": id,
            "object": "chat.completion.chunk",
            "created": created,
            "model": plan.model,
            "choices": [],
            "usage": usage(plan),
        }));
    }
    let mut frames: Vec<String> = chunks.iter().map(|c| format!("data: {c}\n\n")).collect();
    frames.push("data: [DONE]\n\n".to_owned());
    Frames { frames, finish_at }
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
