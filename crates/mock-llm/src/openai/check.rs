//! The invariants OpenAI enforces on a chat completion request.

use serde_json::Value;

use crate::wire::{describe, text_of};

/// Checks what a real OpenAI endpoint would reject; the error says what is wrong and where.
pub(crate) fn check_request(body: &Value) -> Result<(), String> {
    let Some(request) = body.as_object() else {
        return Err(format!(
            "request body must be a JSON object, got {}",
            describe(body)
        ));
    };
    match request.get("model") {
        Some(Value::String(model)) if !model.is_empty() => {}
        _ => return Err("`model` is required and must be a non-empty string".to_owned()),
    }
    let stream = match request.get("stream") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(stream)) => *stream,
        Some(other) => {
            return Err(format!(
                "`stream` must be a boolean, got {}",
                describe(other)
            ))
        }
    };
    if request.get("stream_options").is_some_and(|o| !o.is_null()) && !stream {
        return Err("`stream_options` is only allowed when `stream` is true".to_owned());
    }
    if let Some(tools) = request.get("tools") {
        check_tools(tools)?;
    }
    match request.get("messages") {
        Some(Value::Array(messages)) if !messages.is_empty() => check_messages(messages),
        _ => Err("`messages` is required and must be a non-empty array".to_owned()),
    }
}

fn check_tools(tools: &Value) -> Result<(), String> {
    let Some(tools) = tools.as_array() else {
        return Err(format!("`tools` must be an array, got {}", describe(tools)));
    };
    for (i, tool) in tools.iter().enumerate() {
        if tool.get("type").and_then(Value::as_str) != Some("function") {
            return Err(format!("tools[{i}].type must be \"function\""));
        }
        let name = tool.pointer("/function/name").and_then(Value::as_str);
        if name.is_none_or(str::is_empty) {
            return Err(format!("tools[{i}].function.name is required"));
        }
        if !tool
            .pointer("/function/parameters")
            .is_some_and(Value::is_object)
        {
            return Err(format!(
                "tools[{i}].function.parameters must be a JSON Schema object"
            ));
        }
    }
    Ok(())
}

/// A tool call id waiting for its `tool` message, and the message that made the call.
struct Pending {
    id: String,
    message: usize,
}

fn check_messages(messages: &[Value]) -> Result<(), String> {
    let mut called: Vec<String> = Vec::new();
    let mut pending: Vec<Pending> = Vec::new();
    for (i, message) in messages.iter().enumerate() {
        let role = message.get("role").and_then(Value::as_str).unwrap_or("");
        match role {
            "system" | "developer" | "user" | "assistant" => {
                if let Some(first) = pending.first() {
                    let ids: Vec<&str> = pending.iter().map(|p| p.id.as_str()).collect();
                    return Err(format!(
                        "messages[{i}] ({role}) comes before tool call(s) {} of messages[{}] \
                         were answered; each assistant tool call needs a `tool` message with \
                         its tool_call_id first",
                        ids.join(", "),
                        first.message
                    ));
                }
                if role == "assistant" {
                    for id in assistant_call_ids(message, i)? {
                        called.push(id.clone());
                        pending.push(Pending { id, message: i });
                    }
                }
            }
            "tool" => {
                let Some(id) = message.get("tool_call_id").and_then(Value::as_str) else {
                    return Err(format!("messages[{i}] (tool) needs a `tool_call_id`"));
                };
                if let Some(at) = pending.iter().position(|p| p.id == id) {
                    pending.remove(at);
                } else if called.iter().any(|c| c == id) {
                    return Err(format!(
                        "messages[{i}] (tool) answers tool call {id}, which was already answered"
                    ));
                } else {
                    return Err(format!(
                        "messages[{i}] (tool) has tool_call_id {id}, which answers no tool call \
                         of an earlier assistant message"
                    ));
                }
            }
            other => {
                return Err(format!(
                    "messages[{i}].role must be system, developer, user, assistant or tool, \
                     got {other:?}"
                ))
            }
        }
    }
    if let Some(first) = pending.first() {
        let ids: Vec<&str> = pending.iter().map(|p| p.id.as_str()).collect();
        return Err(format!(
            "tool call(s) {} of messages[{}] have no `tool` message answering them",
            ids.join(", "),
            first.message
        ));
    }
    Ok(())
}

fn assistant_call_ids(message: &Value, i: usize) -> Result<Vec<String>, String> {
    let calls = match message.get("tool_calls") {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Array(calls)) => calls,
        Some(other) => {
            return Err(format!(
                "messages[{i}].tool_calls must be an array, got {}",
                describe(other)
            ))
        }
    };
    let mut ids = Vec::new();
    for (k, call) in calls.iter().enumerate() {
        let at = format!("messages[{i}].tool_calls[{k}]");
        let id = call.get("id").and_then(Value::as_str).unwrap_or("");
        if id.is_empty() {
            return Err(format!("{at}.id is required"));
        }
        if call.get("type").and_then(Value::as_str) != Some("function") {
            return Err(format!("{at}.type must be \"function\""));
        }
        if call
            .pointer("/function/name")
            .and_then(Value::as_str)
            .is_none_or(str::is_empty)
        {
            return Err(format!("{at}.function.name is required"));
        }
        match call.pointer("/function/arguments") {
            Some(Value::String(_)) => {}
            other => {
                return Err(format!(
                    "{at}.function.arguments must be a string of JSON, got {}",
                    other.map_or("nothing".to_owned(), describe)
                ))
            }
        }
        ids.push(id.to_owned());
    }
    Ok(ids)
}

/// The content of the last `tool` message, if any.
pub(crate) fn last_tool_result(body: &Value) -> Option<String> {
    body.get("messages")?
        .as_array()?
        .iter()
        .rev()
        .find(|m| m.get("role").and_then(Value::as_str) == Some("tool"))
        .map(|m| m.get("content").map(text_of).unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn request(messages: Value) -> Value {
        json!({"model": "m", "messages": messages})
    }

    fn call(id: &str) -> Value {
        json!({"id": id, "type": "function", "function": {"name": "read", "arguments": "{}"}})
    }

    #[test]
    fn answered_tool_calls_pass() {
        let body = request(json!([
            {"role": "system", "content": "s"},
            {"role": "user", "content": "u"},
            {"role": "assistant", "content": null, "tool_calls": [call("a"), call("b")]},
            {"role": "tool", "tool_call_id": "b", "content": "B"},
            {"role": "tool", "tool_call_id": "a", "content": "A"},
            {"role": "assistant", "content": "done"},
            {"role": "user", "content": "more"},
        ]));
        assert_eq!(check_request(&body), Ok(()));
    }

    #[test]
    fn user_message_before_tool_answer_is_rejected() {
        let body = request(json!([
            {"role": "user", "content": "u"},
            {"role": "assistant", "tool_calls": [call("a")]},
            {"role": "user", "content": "again"},
        ]));
        let err = check_request(&body).unwrap_err();
        assert!(
            err.contains("messages[2] (user)") && err.contains("a of messages[1]"),
            "{err}"
        );
    }

    #[test]
    fn trailing_unanswered_tool_call_is_rejected() {
        let body = request(json!([
            {"role": "user", "content": "u"},
            {"role": "assistant", "tool_calls": [call("a")]},
        ]));
        let err = check_request(&body).unwrap_err();
        assert!(err.contains("no `tool` message"), "{err}");
    }

    #[test]
    fn tool_message_for_unknown_or_repeated_id_is_rejected() {
        let unknown = request(json!([
            {"role": "user", "content": "u"},
            {"role": "tool", "tool_call_id": "zzz", "content": "x"},
        ]));
        assert!(check_request(&unknown)
            .unwrap_err()
            .contains("answers no tool call"));
        let twice = request(json!([
            {"role": "user", "content": "u"},
            {"role": "assistant", "tool_calls": [call("a")]},
            {"role": "tool", "tool_call_id": "a", "content": "x"},
            {"role": "tool", "tool_call_id": "a", "content": "x"},
        ]));
        assert!(check_request(&twice)
            .unwrap_err()
            .contains("already answered"));
    }

    #[test]
    fn arguments_sent_as_object_are_rejected() {
        let body = request(json!([
            {"role": "user", "content": "u"},
            {"role": "assistant", "tool_calls": [
                {"id": "a", "type": "function", "function": {"name": "read", "arguments": {}}}
            ]},
            {"role": "tool", "tool_call_id": "a", "content": "x"},
        ]));
        assert!(check_request(&body)
            .unwrap_err()
            .contains("arguments must be a string"));
    }

    #[test]
    fn missing_model_empty_messages_and_bad_tools_are_rejected() {
        assert!(
            check_request(&json!({"messages": [{"role": "user", "content": "u"}]}))
                .unwrap_err()
                .contains("`model`")
        );
        assert!(check_request(&request(json!([])))
            .unwrap_err()
            .contains("`messages`"));
        let mut body = request(json!([{"role": "user", "content": "u"}]));
        body["tools"] = json!([{"type": "function", "function": {"name": "read"}}]);
        assert!(check_request(&body)
            .unwrap_err()
            .contains("tools[0].function.parameters"));
        body["tools"] = json!([{"type": "web", "function": {"name": "read", "parameters": {}}}]);
        assert!(check_request(&body).unwrap_err().contains("tools[0].type"));
    }

    #[test]
    fn stream_options_without_stream_is_rejected() {
        let mut body = request(json!([{"role": "user", "content": "u"}]));
        body["stream_options"] = json!({"include_usage": true});
        assert!(check_request(&body).unwrap_err().contains("stream_options"));
    }

    #[test]
    fn last_tool_result_reads_string_or_text_parts() {
        let body = request(json!([
            {"role": "tool", "tool_call_id": "a", "content": "first"},
            {"role": "tool", "tool_call_id": "b", "content": [{"type": "text", "text": "sec"}, {"type": "text", "text": "ond"}]},
            {"role": "user", "content": "u"},
        ]));
        assert_eq!(last_tool_result(&body).as_deref(), Some("second"));
        assert_eq!(last_tool_result(&request(json!([]))), None);
    }
}
