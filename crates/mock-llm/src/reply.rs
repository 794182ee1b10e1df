//! A scripted reply made concrete for one request, before either wire format renders it.

use serde_json::Value;

use crate::script::{Reply, Usage};

/// Arguments sent for `malformed_tool_json`: cut off mid-string, so no JSON parser accepts them.
pub(crate) const MALFORMED_ARGUMENTS: &str = r#"{"path": "src/lib.rs", "old_string": "fn main("#;

/// Argument deltas per tool call unless the script says otherwise: enough that a client
/// must join them.
const DEFAULT_ARGUMENT_PIECES: usize = 3;

/// What one answer says, in protocol-neutral terms.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Planned {
    /// 1-based number of the turn being answered; it makes ids unique and predictable.
    pub turn_number: usize,
    /// The model the request asked for, echoed back as real providers do.
    pub model: String,
    pub reasoning: Option<String>,
    pub text: Option<String>,
    pub calls: Vec<PlannedCall>,
    pub usage: Usage,
    /// The usage object to send instead of `usage`, verbatim.
    pub raw_usage: Option<Value>,
    pub chunk_delay_ms: u64,
    /// Stopped by the output limit rather than finished.
    pub truncated: bool,
    /// At most this many bytes per write of a stream.
    pub write_bytes: Option<usize>,
    /// How many events each tool call's arguments are streamed in.
    pub argument_pieces: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct PlannedCall {
    /// Id from the script; when absent each format makes its own (`call_...`, `toolu_...`).
    pub id: Option<String>,
    pub name: String,
    /// The arguments as JSON text, exactly as streamed (invalid for `malformed_tool_json`).
    pub arguments: String,
}

impl PlannedCall {
    pub fn id_or(&self, prefix: &str, turn_number: usize, index: usize) -> String {
        self.id
            .clone()
            .unwrap_or_else(|| format!("{prefix}_mock_{turn_number}_{index}"))
    }
}

impl Planned {
    /// Makes `reply` concrete: arguments as JSON text and a usage count when the script gave none.
    pub fn new(
        reply: &Reply,
        malformed_tool: Option<&str>,
        turn_number: usize,
        model: &str,
        request_bytes: usize,
    ) -> Planned {
        let mut calls: Vec<PlannedCall> = reply
            .tool_calls
            .iter()
            .map(|call| PlannedCall {
                id: call.id.clone(),
                name: call.name.clone(),
                arguments: call.arguments.to_string(),
            })
            .collect();
        if let Some(name) = malformed_tool {
            calls.push(PlannedCall {
                id: None,
                name: name.to_owned(),
                arguments: MALFORMED_ARGUMENTS.to_owned(),
            });
        }
        let reply_bytes = reply.text.as_deref().map_or(0, str::len)
            + reply.reasoning.as_deref().map_or(0, str::len)
            + calls
                .iter()
                .map(|c| c.name.len() + c.arguments.len())
                .sum::<usize>();
        let usage = reply.usage.unwrap_or(Usage {
            input_tokens: rough_tokens(request_bytes),
            output_tokens: rough_tokens(reply_bytes),
        });
        Planned {
            turn_number,
            model: model.to_owned(),
            reasoning: reply.reasoning.clone(),
            text: reply.text.clone(),
            calls,
            usage,
            raw_usage: reply.raw_usage.clone(),
            chunk_delay_ms: reply.chunk_delay_ms,
            truncated: reply.truncated,
            write_bytes: reply.write_bytes,
            argument_pieces: reply.argument_pieces.unwrap_or(DEFAULT_ARGUMENT_PIECES),
        }
    }

    pub fn has_tool_calls(&self) -> bool {
        !self.calls.is_empty()
    }
}

/// About four bytes a token, never zero: close enough for cost displays in tests.
fn rough_tokens(bytes: usize) -> u64 {
    u64::try_from(bytes.div_ceil(4).max(1)).unwrap_or(u64::MAX)
}

/// Splits text into word-sized deltas that concatenate back to `text`
/// (each piece carries the whitespace before its word).
pub(crate) fn word_pieces(text: &str) -> Vec<String> {
    let mut pieces = Vec::new();
    let mut current = String::new();
    let mut in_word = false;
    for ch in text.chars() {
        let is_space = ch.is_whitespace();
        if is_space && in_word {
            pieces.push(std::mem::take(&mut current));
        }
        in_word = !is_space;
        current.push(ch);
    }
    if !current.is_empty() {
        pieces.push(current);
    }
    pieces
}

/// Splits JSON text into about `pieces` pieces (fewer for very short text) on char
/// boundaries, so a client must concatenate argument deltas before parsing them.
pub(crate) fn json_pieces(json: &str, pieces: usize) -> Vec<String> {
    let count = json.chars().count();
    if count < 2 || pieces <= 1 {
        return vec![json.to_owned()];
    }
    let size = count.div_ceil(pieces).max(1);
    let mut out = Vec::with_capacity(pieces);
    let mut start = 0;
    for (n, (at, _)) in json.char_indices().enumerate() {
        if n > 0 && n % size == 0 {
            out.push(json[start..at].to_owned());
            start = at;
        }
    }
    out.push(json[start..].to_owned());
    out
}

/// One server-sent events frame per entry; `finish_at` is where the closing frames begin
/// (those a cut stream never sends).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Frames {
    pub frames: Vec<String>,
    pub finish_at: usize,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::script::ToolCall;
    use pretty_assertions::assert_eq;
    use serde_json::json;

    #[test]
    fn word_pieces_concatenate_back_to_the_text() {
        let text = "Hello  world,\nfriend ";
        let pieces = word_pieces(text);
        assert_eq!(pieces, vec!["Hello", "  world,", "\nfriend", " "]);
        assert_eq!(pieces.concat(), text);
    }

    #[test]
    fn json_pieces_split_into_several_parts_that_concatenate_back() {
        let json = r#"{"path":"é/a.rs"}"#;
        let pieces = json_pieces(json, 3);
        assert_eq!(pieces.len(), 3);
        assert_eq!(pieces.concat(), json);
        assert_eq!(json_pieces("{}", 3), vec!["{", "}"]);
        assert_eq!(json_pieces(json, 1), vec![json]);
    }

    #[test]
    fn usage_defaults_to_a_rough_count_and_script_usage_wins() {
        let reply = Reply {
            text: Some("12345678".into()),
            ..Reply::default()
        };
        let planned = Planned::new(&reply, None, 1, "m", 40);
        assert_eq!(
            planned.usage,
            Usage {
                input_tokens: 10,
                output_tokens: 2
            }
        );
        let scripted = Reply {
            usage: Some(Usage {
                input_tokens: 7,
                output_tokens: 3,
            }),
            ..Reply::default()
        };
        assert_eq!(
            Planned::new(&scripted, None, 1, "m", 40).usage.input_tokens,
            7
        );
    }

    #[test]
    fn malformed_tool_is_appended_with_invalid_arguments() {
        let reply = Reply {
            tool_calls: vec![ToolCall {
                name: "read".into(),
                arguments: json!({"path": "a"}),
                id: None,
            }],
            ..Reply::default()
        };
        let planned = Planned::new(&reply, Some("edit"), 2, "m", 0);
        assert_eq!(planned.calls.len(), 2);
        assert_eq!(planned.calls[0].arguments, r#"{"path":"a"}"#);
        assert_eq!(planned.calls[1].name, "edit");
        assert!(serde_json::from_str::<serde_json::Value>(&planned.calls[1].arguments).is_err());
        assert_eq!(planned.calls[1].id_or("call", 2, 1), "call_mock_2_1");
    }
}
