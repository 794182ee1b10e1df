//! Which wire format a request speaks, and what both formats share.

use serde_json::Value;

use crate::reply::{Frames, Planned};
use crate::{anthropic, openai};

pub(crate) const OPENAI_PATH: &str = "/v1/chat/completions";
pub(crate) const ANTHROPIC_PATH: &str = "/v1/messages";
pub(crate) const MODELS_PATH: &str = "/v1/models";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Protocol {
    OpenAi,
    Anthropic,
}

impl Protocol {
    /// The format whose error shape a path gets: Anthropic's under `/v1/messages`, else OpenAI's.
    pub fn for_path(path: &str) -> Protocol {
        if path.starts_with(ANTHROPIC_PATH) {
            Protocol::Anthropic
        } else {
            Protocol::OpenAi
        }
    }

    pub fn check_request(self, body: &Value) -> Result<(), String> {
        match self {
            Protocol::OpenAi => openai::check_request(body),
            Protocol::Anthropic => anthropic::check_request(body),
        }
    }

    pub fn last_tool_result(self, body: &Value) -> Option<String> {
        match self {
            Protocol::OpenAi => openai::last_tool_result(body),
            Protocol::Anthropic => anthropic::last_tool_result(body),
        }
    }

    pub fn error_body(self, status: u16, message: &str) -> Value {
        match self {
            Protocol::OpenAi => openai::error_body(status, message),
            Protocol::Anthropic => anthropic::error_body(status, message),
        }
    }

    /// `options`: what an OpenAI request asked of the stream (Anthropic's has no such thing).
    pub fn stream(self, plan: &Planned, options: openai::StreamOptions, created: u64) -> Frames {
        match self {
            Protocol::OpenAi => openai::stream(plan, options, created),
            Protocol::Anthropic => anthropic::stream(plan),
        }
    }

    pub fn body(self, plan: &Planned, created: u64) -> Value {
        match self {
            Protocol::OpenAi => openai::body(plan, created),
            Protocol::Anthropic => anthropic::body(plan),
        }
    }
}

/// A short name for a JSON value's kind, for error messages.
pub(crate) fn describe(value: &Value) -> String {
    match value {
        Value::Null => "null".to_owned(),
        Value::Bool(_) => "a boolean".to_owned(),
        Value::Number(_) => "a number".to_owned(),
        Value::String(_) => "a string".to_owned(),
        Value::Array(_) => "an array".to_owned(),
        Value::Object(_) => "an object".to_owned(),
    }
}

/// The names of the tools a request offers, in either protocol (OpenAI nests them under
/// `function`).
pub(crate) fn offered_tools(body: &Value) -> Vec<String> {
    let Some(tools) = body.get("tools").and_then(Value::as_array) else {
        return Vec::new();
    };
    tools
        .iter()
        .filter_map(|tool| {
            tool.get("function")
                .unwrap_or(tool)
                .get("name")
                .and_then(Value::as_str)
                .map(str::to_owned)
        })
        .collect()
}

/// The text of message content: a string, or the `text` of each block joined.
/// The text of the last message the user wrote (a message of tool results only is not one),
/// in either protocol.
pub(crate) fn last_user_text(body: &Value) -> Option<String> {
    body.get("messages")?
        .as_array()?
        .iter()
        .rev()
        .filter(|m| m.get("role").and_then(Value::as_str) == Some("user"))
        .map(|m| m.get("content").map(text_of).unwrap_or_default())
        .find(|text| !text.is_empty())
}

pub(crate) fn text_of(content: &Value) -> String {
    match content {
        Value::String(text) => text.clone(),
        Value::Array(blocks) => blocks
            .iter()
            .filter_map(|b| b.get("text").and_then(Value::as_str))
            .collect(),
        _ => String::new(),
    }
}
