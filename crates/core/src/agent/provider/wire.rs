//! The conversation's wire form, kept between the model calls of a run: the conversation
//! grows by a few messages a step but goes whole with every call, so each message is
//! encoded once, not once per step.

use serde::Serialize;
use serde_json::value::RawValue;

use super::ChatMessage;
use crate::agent::tools::ToolSpec;

/// Each message as last sent, with its encoding (`T`: what the wire format makes of one
/// message); and the tools as last offered, with theirs.
pub(super) struct Encoded<T> {
    sent: Vec<(ChatMessage, T)>,
    tools: Option<(Vec<ToolSpec>, Box<RawValue>)>,
}

impl<T> Default for Encoded<T> {
    fn default() -> Self {
        Self {
            sent: Vec::new(),
            tools: None,
        }
    }
}

impl<T> Encoded<T> {
    /// The encoding of `tools`, kept while the calls offer the same tools (each call of a
    /// run offers them all, schemas and all). A copy: the messages' encodings are borrowed
    /// beside it.
    pub fn tools(
        &mut self,
        tools: &[ToolSpec],
        encode: impl FnOnce(&[ToolSpec]) -> serde_json::Result<Box<RawValue>>,
    ) -> serde_json::Result<Box<RawValue>> {
        match &self.tools {
            Some((offered, encoded)) if offered.as_slice() == tools => Ok(encoded.clone()),
            _ => {
                let encoded = encode(tools)?;
                self.tools = Some((tools.to_vec(), encoded.clone()));
                Ok(encoded)
            }
        }
    }

    /// The encodings of `messages`, in order. Only messages not sent at their place before
    /// are encoded: comparing a message costs far less than escaping it again, and a
    /// conversation that differs (another run's) is encoded afresh from where it differs.
    pub fn update<'s>(
        &'s mut self,
        messages: &[ChatMessage],
        mut encode: impl FnMut(&ChatMessage) -> serde_json::Result<T>,
    ) -> serde_json::Result<impl Iterator<Item = &'s T>> {
        let same = self
            .sent
            .iter()
            .zip(messages)
            .take_while(|((sent, _), message)| sent == *message)
            .count();
        self.sent.truncate(same);
        for message in &messages[same..] {
            let encoded = encode(message)?;
            self.sent.push((message.clone(), encoded));
        }
        Ok(self.sent.iter().map(|(_, encoded)| encoded))
    }
}

/// `value` as JSON text, to be written into a body as it is.
pub(super) fn raw(value: &impl Serialize) -> serde_json::Result<Box<RawValue>> {
    serde_json::value::to_raw_value(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(text: &str) -> ChatMessage {
        ChatMessage::User(text.to_owned())
    }

    #[test]
    fn only_new_or_changed_messages_are_encoded() {
        let mut encoded = Encoded::default();
        let mut calls = Vec::new();
        let mut encode = |m: &ChatMessage| -> serde_json::Result<String> {
            let ChatMessage::User(text) = m else {
                unreachable!()
            };
            calls.push(text.clone());
            Ok(text.to_uppercase())
        };
        let out: Vec<String> = encoded
            .update(&[user("a"), user("b")], &mut encode)
            .unwrap()
            .cloned()
            .collect();
        assert_eq!(out, ["A", "B"]);
        let out: Vec<String> = encoded
            .update(&[user("a"), user("b"), user("c")], &mut encode)
            .unwrap()
            .cloned()
            .collect();
        assert_eq!(out, ["A", "B", "C"]);
        // Another conversation: encoded again from where it differs.
        let out: Vec<String> = encoded
            .update(&[user("a"), user("x")], &mut encode)
            .unwrap()
            .cloned()
            .collect();
        assert_eq!(out, ["A", "X"]);
        assert_eq!(calls, ["a", "b", "c", "x"], "each message encoded once");
    }

    #[test]
    fn tools_are_encoded_again_only_when_they_change() {
        let mut encoded: Encoded<String> = Encoded::default();
        let tool = |name: &'static str| ToolSpec {
            name,
            description: "d",
            parameters: serde_json::json!({"type": "object"}),
        };
        let mut calls = 0;
        let mut encode = |tools: &[ToolSpec]| {
            calls += 1;
            raw(&tools.iter().map(|t| t.name).collect::<Vec<_>>())
        };
        let first = encoded.tools(&[tool("a")], &mut encode).unwrap();
        let again = encoded.tools(&[tool("a")], &mut encode).unwrap();
        let other = encoded.tools(&[tool("b")], &mut encode).unwrap();
        assert_eq!(
            (first.get(), again.get(), other.get()),
            (r#"["a"]"#, r#"["a"]"#, r#"["b"]"#)
        );
        assert_eq!(calls, 2);
    }
}
