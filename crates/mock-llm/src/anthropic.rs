//! Anthropic Messages: `POST /v1/messages`, streamed or whole.

mod check;

pub(crate) use check::{check_request, last_tool_result};

use serde_json::{json, Value};

use crate::reply::{json_pieces, word_pieces, Frames, Planned};

/// Sent with thinking blocks; clients pass it back untouched, the mock never checks it.
const SIGNATURE: &str = "mock-signature";

fn stop_reason(plan: &Planned) -> &'static str {
    if plan.truncated {
        "max_tokens"
    } else if plan.has_tool_calls() {
        "tool_use"
    } else {
        "end_turn"
    }
}

fn frame(event: &Value) -> String {
    let kind = event.get("type").and_then(Value::as_str).unwrap_or("");
    format!("event: {kind}\ndata: {event}\n\n")
}

/// The events of a streamed answer, from `message_start` to `message_stop`.
pub(crate) fn stream(plan: &Planned) -> Frames {
    let (start_usage, final_usage) = match &plan.raw_usage {
        Some(raw) => (
            raw.clone(),
            json!({"output_tokens": raw.get("output_tokens").cloned().unwrap_or(Value::Null)}),
        ),
        None => (
            json!({"input_tokens": plan.usage.input_tokens, "output_tokens": 1}),
            json!({"output_tokens": plan.usage.output_tokens}),
        ),
    };
    let mut events = vec![
        json!({
            "type": "message_start",
            "message": {
                "id": format!("msg_mock_{}", plan.turn_number),
                "type": "message",
                "role": "assistant",
                "model": plan.model,
                "content": [],
                "stop_reason": null,
                "stop_sequence": null,
                "usage": start_usage,
            },
        }),
        json!({"type": "ping"}),
    ];
    let mut index = 0;
    let mut block = |start: Value, deltas: Vec<Value>, events: &mut Vec<Value>| {
        events.push(json!({"type": "content_block_start", "index": index, "content_block": start}));
        for delta in deltas {
            events.push(json!({"type": "content_block_delta", "index": index, "delta": delta}));
        }
        events.push(json!({"type": "content_block_stop", "index": index}));
        index += 1;
    };
    if let Some(reasoning) = &plan.reasoning {
        let mut deltas: Vec<Value> = word_pieces(reasoning)
            .into_iter()
            .map(|piece| json!({"type": "thinking_delta", "thinking": piece}))
            .collect();
        deltas.push(json!({"type": "signature_delta", "signature": SIGNATURE}));
        block(
            json!({"type": "thinking", "thinking": "", "signature": ""}),
            deltas,
            &mut events,
        );
    }
    if let Some(text) = &plan.text {
        let deltas = word_pieces(text)
            .into_iter()
            .map(|piece| json!({"type": "text_delta", "text": piece}))
            .collect();
        block(json!({"type": "text", "text": ""}), deltas, &mut events);
    }
    for (i, call) in plan.calls.iter().enumerate() {
        let deltas = json_pieces(&call.arguments, plan.argument_pieces)
            .into_iter()
            .map(|piece| json!({"type": "input_json_delta", "partial_json": piece}))
            .collect();
        let start = json!({
            "type": "tool_use",
            "id": call.id_or("toolu", plan.turn_number, i),
            "name": call.name,
            "input": {},
        });
        block(start, deltas, &mut events);
    }
    let finish_at = events.len();
    events.push(json!({
        "type": "message_delta",
        "delta": {"stop_reason": stop_reason(plan), "stop_sequence": null},
        "usage": final_usage,
    }));
    events.push(json!({"type": "message_stop"}));
    Frames {
        frames: events.iter().map(frame).collect(),
        finish_at,
    }
}

/// The `message` body of an answer without streaming.
///
/// Malformed tool arguments cannot be an object, so that `input` is the broken JSON text.
pub(crate) fn body(plan: &Planned) -> Value {
    let mut content = Vec::new();
    if let Some(reasoning) = &plan.reasoning {
        content.push(json!({"type": "thinking", "thinking": reasoning, "signature": SIGNATURE}));
    }
    if let Some(text) = &plan.text {
        content.push(json!({"type": "text", "text": text}));
    }
    for (i, call) in plan.calls.iter().enumerate() {
        let input = serde_json::from_str::<Value>(&call.arguments)
            .unwrap_or_else(|_| Value::String(call.arguments.clone()));
        content.push(json!({
            "type": "tool_use",
            "id": call.id_or("toolu", plan.turn_number, i),
            "name": call.name,
            "input": input,
        }));
    }
    json!({
        "id": format!("msg_mock_{}", plan.turn_number),
        "type": "message",
        "role": "assistant",
        "model": plan.model,
        "content": content,
        "stop_reason": stop_reason(plan),
        "stop_sequence": null,
        "usage": plan.raw_usage.clone().unwrap_or_else(|| json!({
            "input_tokens": plan.usage.input_tokens,
            "output_tokens": plan.usage.output_tokens,
        })),
    })
}

/// Anthropic's error body: `{"type": "error", "error": {"type", "message"}}`.
pub(crate) fn error_body(status: u16, message: &str) -> Value {
    let kind = match status {
        401 => "authentication_error",
        403 => "permission_error",
        404 => "not_found_error",
        413 => "request_too_large",
        429 => "rate_limit_error",
        529 => "overloaded_error",
        400..=499 => "invalid_request_error",
        _ => "api_error",
    };
    json!({"type": "error", "error": {"type": kind, "message": message}})
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reply::PlannedCall;
    use crate::script::Usage;
    use pretty_assertions::assert_eq;

    fn plan() -> Planned {
        Planned {
            turn_number: 1,
            model: "claude-test".into(),
            reasoning: Some("think".into()),
            text: Some("Hi there".into()),
            calls: vec![PlannedCall {
                id: None,
                name: "read".into(),
                arguments: r#"{"path":"a.rs"}"#.into(),
            }],
            usage: Usage {
                input_tokens: 9,
                output_tokens: 5,
            },
            raw_usage: None,
            chunk_delay_ms: 0,
            truncated: false,
            write_bytes: None,
            argument_pieces: 3,
        }
    }

    #[test]
    fn stream_events_come_in_the_real_order() {
        let kinds: Vec<String> = stream(&plan())
            .frames
            .iter()
            .map(|f| {
                f.lines()
                    .next()
                    .unwrap()
                    .trim_start_matches("event: ")
                    .to_owned()
            })
            .collect();
        let expected = [
            "message_start",
            "ping",
            "content_block_start",
            "content_block_delta",
            "content_block_delta",
            "content_block_stop",
            "content_block_start",
            "content_block_delta",
            "content_block_delta",
            "content_block_stop",
            "content_block_start",
            "content_block_delta",
            "content_block_delta",
            "content_block_delta",
            "content_block_stop",
            "message_delta",
            "message_stop",
        ];
        assert_eq!(kinds, expected);
    }

    #[test]
    fn whole_body_orders_thinking_text_tool_use() {
        let body = body(&plan());
        assert_eq!(
            body["content"],
            json!([
                {"type": "thinking", "thinking": "think", "signature": SIGNATURE},
                {"type": "text", "text": "Hi there"},
                {"type": "tool_use", "id": "toolu_mock_1_0", "name": "read", "input": {"path": "a.rs"}},
            ])
        );
        assert_eq!(body["stop_reason"], "tool_use");
    }

    #[test]
    fn truncated_reply_stops_with_max_tokens_and_raw_usage_goes_out_verbatim() {
        let plan = Planned {
            truncated: true,
            raw_usage: Some(json!({"input_tokens": -4, "output_tokens": 7})),
            ..plan()
        };
        let events: Vec<Value> = stream(&plan)
            .frames
            .iter()
            .map(|f| {
                serde_json::from_str(f.lines().nth(1).unwrap().trim_start_matches("data: "))
                    .unwrap()
            })
            .collect();
        assert_eq!(
            events[0]["message"]["usage"],
            json!({"input_tokens": -4, "output_tokens": 7})
        );
        let delta = &events[events.len() - 2];
        assert_eq!(
            (
                delta["delta"]["stop_reason"].clone(),
                delta["usage"].clone()
            ),
            (json!("max_tokens"), json!({"output_tokens": 7}))
        );
    }

    #[test]
    fn overloaded_error_has_anthropic_type() {
        assert_eq!(
            error_body(529, "busy"),
            json!({"type": "error", "error": {"type": "overloaded_error", "message": "busy"}})
        );
    }
}
