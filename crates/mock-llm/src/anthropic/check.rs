//! The invariants Anthropic enforces on a messages request.

use serde_json::Value;

use crate::wire::{describe, text_of};

/// Checks what the real Messages API would reject; the error says what is wrong and where.
pub(crate) fn check_request(body: &Value) -> Result<(), String> {
    let Some(request) = body.as_object() else {
        return Err(format!(
            "request body must be a JSON object, got {}",
            describe(body)
        ));
    };
    match request.get("model") {
        Some(Value::String(model)) if !model.is_empty() => {}
        _ => return Err("model: field required (a non-empty string)".to_owned()),
    }
    match request.get("max_tokens").and_then(Value::as_u64) {
        Some(n) if n > 0 => {}
        _ => return Err("max_tokens: field required (a positive integer)".to_owned()),
    }
    match request.get("stream") {
        None | Some(Value::Null | Value::Bool(_)) => {}
        Some(other) => {
            return Err(format!(
                "stream: must be a boolean, got {}",
                describe(other)
            ))
        }
    }
    if let Some(system) = request.get("system") {
        check_system(system)?;
    }
    if let Some(tools) = request.get("tools") {
        check_tools(tools)?;
    }
    match request.get("messages") {
        Some(Value::Array(messages)) if !messages.is_empty() => check_messages(messages),
        _ => Err("messages: field required (a non-empty array)".to_owned()),
    }
}

fn check_system(system: &Value) -> Result<(), String> {
    match system {
        Value::String(_) => Ok(()),
        Value::Array(blocks) => {
            for (i, block) in blocks.iter().enumerate() {
                if block.get("type").and_then(Value::as_str) != Some("text") {
                    return Err(format!("system.{i}: system blocks must have type \"text\""));
                }
            }
            Ok(())
        }
        other => Err(format!(
            "system: must be a string or an array of text blocks, got {}",
            describe(other)
        )),
    }
}

fn check_tools(tools: &Value) -> Result<(), String> {
    let Some(tools) = tools.as_array() else {
        return Err(format!("tools: must be an array, got {}", describe(tools)));
    };
    for (i, tool) in tools.iter().enumerate() {
        if tool
            .get("name")
            .and_then(Value::as_str)
            .is_none_or(str::is_empty)
        {
            return Err(format!("tools.{i}.name: field required"));
        }
        // Server tools (`type: "web_search_..."`) have no schema; custom tools must.
        let custom = matches!(
            tool.get("type").and_then(Value::as_str),
            None | Some("custom")
        );
        if custom && !tool.get("input_schema").is_some_and(Value::is_object) {
            return Err(format!(
                "tools.{i}.input_schema: field required (a JSON Schema object)"
            ));
        }
    }
    Ok(())
}

/// The content blocks of a message (a string is one text block, with no tool blocks).
fn blocks(message: &Value, i: usize) -> Result<&[Value], String> {
    match message.get("content") {
        Some(Value::String(_)) => Ok(&[]),
        Some(Value::Array(blocks)) => {
            if let Some(k) = blocks
                .iter()
                .position(|b| b.get("type").and_then(Value::as_str).is_none())
            {
                return Err(format!("messages.{i}.content.{k}.type: field required"));
            }
            Ok(blocks)
        }
        _ => Err(format!(
            "messages.{i}.content: field required (a string or an array of blocks)"
        )),
    }
}

fn ids_of<'a>(blocks: &'a [Value], kind: &str, id_field: &str) -> Vec<&'a str> {
    blocks
        .iter()
        .filter(|b| b.get("type").and_then(Value::as_str) == Some(kind))
        .map(|b| b.get(id_field).and_then(Value::as_str).unwrap_or(""))
        .collect()
}

fn check_messages(messages: &[Value]) -> Result<(), String> {
    let mut called: Vec<&str> = Vec::new();
    let mut previous_role = "";
    for (i, message) in messages.iter().enumerate() {
        let role = message.get("role").and_then(Value::as_str).unwrap_or("");
        match role {
            "user" | "assistant" => {}
            "system" => {
                return Err(format!(
                    "messages.{i}.role: \"system\" is not a message role; put the system \
                     prompt in the top-level `system` field"
                ))
            }
            other => {
                return Err(format!(
                    "messages.{i}.role: must be \"user\" or \"assistant\", got {other:?}"
                ))
            }
        }
        if i == 0 && role != "user" {
            return Err("messages.0.role: the first message must use the \"user\" role".to_owned());
        }
        if role == previous_role {
            return Err(format!(
                "messages.{i}: roles must alternate between \"user\" and \"assistant\", but \
                 messages.{} and messages.{i} are both {role:?}",
                i - 1
            ));
        }
        let blocks = blocks(message, i)?;
        if role == "user" {
            let answered = ids_of(blocks, "tool_result", "tool_use_id");
            if let Some(stray) = answered.iter().find(|id| !called.contains(id)) {
                return Err(format!(
                    "messages.{i}: unexpected `tool_use_id` found in `tool_result` blocks: \
                     {stray}. Each `tool_result` block must have a corresponding `tool_use` \
                     block in the previous message."
                ));
            }
            if let Some(missing) = called.iter().find(|id| !answered.contains(id)) {
                return Err(format!(
                    "messages.{i}: `tool_use` ids were found without `tool_result` blocks \
                     immediately after: {missing}. Each `tool_use` block in messages.{} must \
                     have a corresponding `tool_result` block in this message.",
                    i - 1
                ));
            }
            called.clear();
        } else {
            called = ids_of(blocks, "tool_use", "id");
            if let Some(k) = called.iter().position(|id| id.is_empty()) {
                return Err(format!("messages.{i}: tool_use block {k} needs an `id`"));
            }
        }
        previous_role = role;
    }
    if let Some(missing) = called.first() {
        return Err(format!(
            "messages.{}: `tool_use` ids were found without `tool_result` blocks immediately \
             after: {missing}. Send the results in a following user message.",
            messages.len() - 1
        ));
    }
    Ok(())
}

/// The text of the last `tool_result` block in the conversation, if any.
pub(crate) fn last_tool_result(body: &Value) -> Option<String> {
    body.get("messages")?
        .as_array()?
        .iter()
        .rev()
        .filter_map(|m| m.get("content").and_then(Value::as_array))
        .flat_map(|blocks| blocks.iter().rev())
        .find(|b| b.get("type").and_then(Value::as_str) == Some("tool_result"))
        .map(|b| b.get("content").map(text_of).unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn request(messages: Value) -> Value {
        json!({"model": "m", "max_tokens": 100, "messages": messages})
    }

    fn tool_use(id: &str) -> Value {
        json!({"type": "tool_use", "id": id, "name": "read", "input": {}})
    }

    fn tool_result(id: &str) -> Value {
        json!({"type": "tool_result", "tool_use_id": id, "content": "ok"})
    }

    #[test]
    fn answered_tool_use_passes() {
        let body = request(json!([
            {"role": "user", "content": "u"},
            {"role": "assistant", "content": [{"type": "text", "text": "t"}, tool_use("a"), tool_use("b")]},
            {"role": "user", "content": [tool_result("b"), tool_result("a")]},
            {"role": "assistant", "content": "done"},
        ]));
        assert_eq!(check_request(&body), Ok(()));
    }

    #[test]
    fn non_alternating_roles_are_rejected() {
        let body = request(json!([
            {"role": "user", "content": "one"},
            {"role": "user", "content": "two"},
        ]));
        let err = check_request(&body).unwrap_err();
        assert!(err.contains("must alternate"), "{err}");
    }

    #[test]
    fn first_message_from_assistant_is_rejected() {
        let body = request(json!([{"role": "assistant", "content": "hi"}]));
        assert!(check_request(&body).unwrap_err().contains("first message"));
    }

    #[test]
    fn system_role_in_messages_is_rejected() {
        let body = request(json!([{"role": "system", "content": "s"}]));
        assert!(check_request(&body)
            .unwrap_err()
            .contains("top-level `system`"));
    }

    #[test]
    fn missing_tool_result_is_rejected() {
        let body = request(json!([
            {"role": "user", "content": "u"},
            {"role": "assistant", "content": [tool_use("a"), tool_use("b")]},
            {"role": "user", "content": [tool_result("a")]},
        ]));
        let err = check_request(&body).unwrap_err();
        assert!(
            err.contains("without `tool_result`") && err.contains(": b."),
            "{err}"
        );
    }

    #[test]
    fn tool_result_for_an_uncalled_id_is_rejected() {
        let body = request(json!([
            {"role": "user", "content": "u"},
            {"role": "assistant", "content": "no tools"},
            {"role": "user", "content": [tool_result("x")]},
        ]));
        assert!(check_request(&body)
            .unwrap_err()
            .contains("unexpected `tool_use_id`"));
    }

    #[test]
    fn trailing_tool_use_is_rejected() {
        let body = request(json!([
            {"role": "user", "content": "u"},
            {"role": "assistant", "content": [tool_use("a")]},
        ]));
        assert!(check_request(&body)
            .unwrap_err()
            .contains("without `tool_result`"));
    }

    #[test]
    fn missing_max_tokens_and_schema_less_tool_are_rejected() {
        let body = json!({"model": "m", "messages": [{"role": "user", "content": "u"}]});
        assert!(check_request(&body).unwrap_err().contains("max_tokens"));
        let mut body = request(json!([{"role": "user", "content": "u"}]));
        body["tools"] = json!([{"name": "read"}]);
        assert!(check_request(&body).unwrap_err().contains("input_schema"));
        body["tools"] = json!([{"type": "web_search_20250305", "name": "web_search"}]);
        assert_eq!(check_request(&body), Ok(()));
    }

    #[test]
    fn last_tool_result_reads_the_latest_block() {
        let body = request(json!([
            {"role": "user", "content": [tool_result("a")]},
            {"role": "assistant", "content": "x"},
            {"role": "user", "content": [
                {"type": "tool_result", "tool_use_id": "b", "content": [{"type": "text", "text": "file body"}]},
                {"type": "text", "text": "go on"}
            ]},
        ]));
        assert_eq!(last_tool_result(&body).as_deref(), Some("file body"));
    }
}
