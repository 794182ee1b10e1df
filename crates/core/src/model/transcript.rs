//! Transcripts: what was said in a session. A session holds messages (user, assistant,
//! tool), a message holds parts (text, reasoning, tool calls and results, errors).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::ids::{RunId, SessionId};

#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    User,
    Assistant,
    /// Tool results sent back to the model.
    Tool,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::User => "user",
            Role::Assistant => "assistant",
            Role::Tool => "tool",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "user" => Some(Role::User),
            "assistant" => Some(Role::Assistant),
            "tool" => Some(Role::Tool),
            _ => None,
        }
    }
}

/// One piece of a message.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Part {
    Text {
        text: String,
    },
    Reasoning {
        text: String,
    },
    ToolCall {
        tool_call_id: String,
        tool_name: String,
        arguments: serde_json::Value,
    },
    ToolResult {
        tool_call_id: String,
        tool_name: String,
        content: String,
        is_error: bool,
    },
    /// Something that went wrong outside a tool (a provider failure, a refused request).
    Error {
        text: String,
    },
    /// What the run's owner should know that is not an error: the sandbox is off, or not
    /// fully enforced on this system. For people only; never sent to the model.
    Notice {
        text: String,
    },
}

impl Part {
    pub fn kind(&self) -> &'static str {
        match self {
            Part::Text { .. } => "text",
            Part::Reasoning { .. } => "reasoning",
            Part::ToolCall { .. } => "tool_call",
            Part::ToolResult { .. } => "tool_result",
            Part::Error { .. } => "error",
            Part::Notice { .. } => "notice",
        }
    }
}

/// A message with its parts, in order.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Message {
    pub id: String,
    pub session_id: SessionId,
    /// The run that wrote it.
    pub run_id: Option<RunId>,
    pub seq: u32,
    pub role: Role,
    pub parts: Vec<Part>,
    pub created_at: DateTime<Utc>,
}

/// What `session.part` events carry: a streaming delta, or a part that is complete (and
/// stored).
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PartUpdate {
    pub run_id: RunId,
    pub session_id: SessionId,
    pub message_id: String,
    pub role: Role,
    /// Position of the part in its message.
    pub part_index: u32,
    #[serde(flatten)]
    pub change: PartChange,
}

#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "change", rename_all = "snake_case")]
pub enum PartChange {
    /// More streamed text for a text or reasoning part (not stored until complete).
    Delta { part_kind: String, text: String },
    /// The finished part, as stored.
    Complete { part: Part },
    /// The model call failed and is tried again at `retry_at` (not stored; the next delta or
    /// part replaces it).
    Retrying {
        attempt: u32,
        max_attempts: u32,
        /// A few plain words: "rate limited", "the provider is overloaded (503)".
        reason: String,
        retry_at: chrono::DateTime<chrono::Utc>,
    },
}
