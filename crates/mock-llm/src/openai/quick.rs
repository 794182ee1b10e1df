//! A quick check that a chat completion request is well formed, without building its JSON
//! tree. An agent sends its whole conversation with every request, so building the tree
//! made each request cost more than the one before (most of the mock's time in a long
//! run); this reads the members it checks and only scans the rest (message contents), and
//! skips the messages the request before it already had, byte for byte ([`Known`]).
//!
//! It only ever says yes: anything it does not find plainly well formed (a broken
//! invariant, an odd type, a key written with escapes) goes to the full check on the tree,
//! which finds the problem and words it.

use std::borrow::Cow;
use std::fmt;

use axum::body::Bytes;
use serde::de::{Deserializer, MapAccess, Visitor};
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::Value;

use super::StreamOptions;

/// What answering a request needs of it, read by the quick check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Quick {
    pub model: String,
    pub streamed: bool,
    pub options: StreamOptions,
}

/// The last request the quick check passed, and where its messages lie in it: the next
/// request of the same conversation starts with the same bytes, and a message that is the
/// same text in the same place was checked already.
#[derive(Debug)]
pub(crate) struct Known {
    raw: Bytes,
    /// Where the first message starts.
    first: usize,
    /// Where each message ends, and the tool calls still unanswered after it.
    ends: Vec<(usize, Vec<String>)>,
}

/// A request with its first messages taken out, for they are the known request's.
struct Rest<'k> {
    /// The request's text without them.
    text: Cow<'k, [u8]>,
    /// How many were taken out.
    skipped: usize,
    /// Where the text was cut (`first`), and where in the request it goes on.
    cut: usize,
    resume: usize,
    /// The tool calls unanswered after them.
    pending: Vec<&'k str>,
}

impl Known {
    /// `raw` without the messages it shares with this request, when it shares any.
    fn rest<'k>(&'k self, raw: &'k [u8]) -> Option<Rest<'k>> {
        let same = same_start(&self.raw, raw);
        let skipped = self.ends.partition_point(|(end, _)| *end <= same);
        let (end, pending) = self.ends.get(skipped.checked_sub(1)?)?;
        // After the last shared message: the next one (after a comma) or the array's end.
        let mut at = skip_space(raw, *end);
        if raw.get(at) == Some(&b',') {
            at = skip_space(raw, at + 1);
            if raw.get(at) != Some(&b'{') {
                return None;
            }
        } else if raw.get(at) != Some(&b']') {
            return None;
        }
        let mut text = Vec::with_capacity(raw.len() - (at - self.first));
        text.extend_from_slice(&raw[..self.first]);
        text.extend_from_slice(&raw[at..]);
        Some(Rest {
            text: Cow::Owned(text),
            skipped,
            cut: self.first,
            resume: at,
            pending: pending.iter().map(String::as_str).collect(),
        })
    }
}

/// How many bytes `a` and `b` start with alike; compared a block at a time (a slice
/// comparison is a `memcmp`), for a conversation is tens of kilobytes.
fn same_start(a: &[u8], b: &[u8]) -> usize {
    const BLOCK: usize = 256;
    let len = a.len().min(b.len());
    let mut at = 0;
    while at + BLOCK <= len && a[at..at + BLOCK] == b[at..at + BLOCK] {
        at += BLOCK;
    }
    let end = (at + BLOCK).min(len);
    at + a[at..end]
        .iter()
        .zip(&b[at..end])
        .position(|(x, y)| x != y)
        .unwrap_or(end - at)
}

fn skip_space(raw: &[u8], mut at: usize) -> usize {
    while raw
        .get(at)
        .is_some_and(|b| matches!(b, b' ' | b'\n' | b'\r' | b'\t'))
    {
        at += 1;
    }
    at
}

/// The request's parts the answer needs, when the quick check finds it well formed;
/// `None` sends it to the full check. `known` is the last request it passed, replaced by
/// this one when it passes.
pub(crate) fn quick_check(raw: &Bytes, known: &mut Option<Known>) -> Option<Quick> {
    let rest = known.as_ref().and_then(|k| k.rest(raw)).unwrap_or(Rest {
        text: Cow::Borrowed(raw),
        skipped: 0,
        cut: 0,
        resume: 0,
        pending: Vec::new(),
    });
    let (skipped, cut, resume) = (rest.skipped, rest.cut, rest.resume);
    let (quick, (first, ends)) = check(&rest)?;
    let mut ends: Vec<(usize, Vec<String>)> = ends
        .into_iter()
        .map(|(end, pending)| {
            let end = end - cut + resume;
            (end, pending.into_iter().map(str::to_owned).collect())
        })
        .collect();
    let first = match known.take() {
        Some(mut before) if skipped > 0 => {
            before.ends.truncate(skipped);
            before.ends.append(&mut ends);
            ends = before.ends;
            before.first
        }
        _ => first,
    };
    *known = Some(Known {
        raw: raw.clone(),
        first,
        ends,
    });
    Some(quick)
}

/// Where the first message of `rest` starts, and where each ends with the calls unanswered
/// after it (offsets in `rest.text`).
type Spans<'a> = (usize, Vec<(usize, Vec<&'a str>)>);

fn check<'a>(rest: &'a Rest<'a>) -> Option<(Quick, Spans<'a>)> {
    let text: &'a [u8] = &rest.text;
    let Request {
        members: request,
        messages,
    } = serde_json::from_slice(text).ok()?;
    let model: &str = parse(request.get("model")?)?;
    if model.is_empty() {
        return None;
    }
    let streamed = match request.get("stream") {
        None => false,
        Some(stream) => parse::<Option<bool>>(stream)?.unwrap_or(false),
    };
    let options = match request.get("stream_options") {
        None => StreamOptions::default(),
        Some(options) => {
            // Small: read as a tree, the way the full check reads it.
            let options: Value = parse(options)?;
            if !options.is_null() && !streamed {
                return None;
            }
            StreamOptions {
                include_usage: options
                    .get("include_usage")
                    .and_then(Value::as_bool)
                    .unwrap_or(false),
            }
        }
    };
    if let Some(tools) = request.get("tools") {
        let tools: Vec<Members<'_>> = parse(tools)?;
        if !tools.iter().all(well_formed_tool) {
            return None;
        }
    }
    let messages = messages?;
    if rest.skipped + messages.len() == 0 {
        return None;
    }
    let spans = answered_in_order(text, &messages, rest.pending.clone())?;
    Some((
        Quick {
            model: model.to_owned(),
            streamed,
            options,
        },
        spans,
    ))
}

/// `check_tools` when it finds nothing wrong with a tool.
fn well_formed_tool(tool: &Members<'_>) -> bool {
    let function = || -> Option<()> {
        let kind: &str = parse(tool.get("type")?)?;
        let function: Members<'_> = parse(tool.get("function")?)?;
        let name: &str = parse(function.get("name")?)?;
        let parameters = function.get("parameters")?;
        (kind == "function" && !name.is_empty() && parameters.get().starts_with('{')).then_some(())
    };
    function().is_some()
}

/// Whether every tool call is answered by a `tool` message before the next other message,
/// and each `tool` message answers one (`check_messages` when it finds nothing wrong),
/// going on from `pending`; with where each message lies in `text` when they are.
fn answered_in_order<'a>(
    text: &'a [u8],
    messages: &[&'a RawValue],
    mut pending: Vec<&'a str>,
) -> Option<Spans<'a>> {
    let offset = |raw: &RawValue| raw.get().as_ptr() as usize - text.as_ptr() as usize;
    let first = messages.first().map_or(0, |m| offset(m));
    let mut ends = Vec::with_capacity(messages.len());
    for raw in messages {
        let message: Members<'a> = parse(raw)?;
        let role: &str = parse(message.get("role")?)?;
        match role {
            "system" | "developer" | "user" | "assistant" => {
                if !pending.is_empty() {
                    return None;
                }
                if role == "assistant" {
                    pending = call_ids(&message)?;
                }
            }
            "tool" => {
                let id: &str = parse(message.get("tool_call_id")?)?;
                let at = pending.iter().position(|p| *p == id)?;
                pending.remove(at);
            }
            _ => return None,
        }
        ends.push((offset(raw) + raw.get().len(), pending.clone()));
    }
    pending.is_empty().then_some((first, ends))
}

/// The ids of an assistant message's tool calls, when each call is well formed.
fn call_ids<'a>(message: &Members<'a>) -> Option<Vec<&'a str>> {
    let Some(calls) = message.get("tool_calls") else {
        return Some(Vec::new());
    };
    let calls: Option<Vec<Members<'a>>> = parse(calls)?;
    let mut ids = Vec::new();
    for call in calls.unwrap_or_default() {
        let id: &str = parse(call.get("id")?)?;
        let kind: &str = parse(call.get("type")?)?;
        let function: Members<'a> = parse(call.get("function")?)?;
        let name: &str = parse(function.get("name")?)?;
        // A string of JSON, as the API takes it; what it says is the client's business.
        let arguments = function.get("arguments")?;
        if id.is_empty()
            || kind != "function"
            || name.is_empty()
            || !arguments.get().starts_with('"')
        {
            return None;
        }
        ids.push(id);
    }
    Some(ids)
}

fn parse<'a, T: Deserialize<'a>>(raw: &'a RawValue) -> Option<T> {
    serde_json::from_str(raw.get()).ok()
}

/// A JSON object's members as written, values not parsed. A key given twice counts with
/// its last value, as in the tree.
struct Members<'a>(Vec<(&'a str, &'a RawValue)>);

impl<'a> Members<'a> {
    fn get(&self, key: &str) -> Option<&'a RawValue> {
        self.0
            .iter()
            .rev()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| *v)
    }
}

/// The request's members, with its messages read in the same pass: the conversation is
/// most of the text, and each pass over it costs about as much as building its tree.
struct Request<'a> {
    members: Members<'a>,
    messages: Option<Vec<&'a RawValue>>,
}

impl<'de> Deserialize<'de> for Members<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ok(deserializer
            .deserialize_map(Object { messages: false })?
            .members)
    }
}

impl<'de> Deserialize<'de> for Request<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(Object { messages: true })
    }
}

/// Reads an object (only an object: a struct would also take an array), the value of its
/// `messages` as messages when asked to.
struct Object {
    messages: bool,
}

impl<'de> Visitor<'de> for Object {
    type Value = Request<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Request<'de>, A::Error> {
        let mut members = Vec::new();
        let mut messages = None;
        while let Some(key) = map.next_key::<&'de str>()? {
            if self.messages && key == "messages" {
                if messages.is_some() {
                    // Given twice: the known request's spans would not say which.
                    return Err(serde::de::Error::duplicate_field("messages"));
                }
                messages = Some(map.next_value::<Vec<&'de RawValue>>()?);
            } else {
                members.push((key, map.next_value::<&'de RawValue>()?));
            }
        }
        Ok(Request {
            members: Members(members),
            messages,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::openai::check::check_request;
    use serde_json::json;

    fn call(id: &str) -> Value {
        json!({"id": id, "type": "function", "function": {"name": "read", "arguments": "{\"a\":1}"}})
    }

    fn quick(body: &Value) -> Option<Quick> {
        quick_check(&Bytes::from(serde_json::to_vec(body).unwrap()), &mut None)
    }

    fn quick_raw(raw: &[u8]) -> Option<Quick> {
        quick_check(&Bytes::copy_from_slice(raw), &mut None)
    }

    #[test]
    fn a_well_formed_request_passes_with_what_the_answer_needs() {
        let body = json!({
            "model": "m", "stream": true, "stream_options": {"include_usage": true},
            "tools": [{"type": "function", "function": {"name": "read", "parameters": {}}}],
            "messages": [
                {"role": "system", "content": "s"},
                {"role": "user", "content": "line\n\"quoted\""},
                {"role": "assistant", "content": "", "tool_calls": [call("a"), call("b")]},
                {"role": "tool", "tool_call_id": "b", "content": "B\n"},
                {"role": "tool", "tool_call_id": "a", "content": [{"type": "text", "text": "A"}]},
                {"role": "assistant", "content": "done", "tool_calls": null},
            ],
        });
        assert_eq!(check_request(&body), Ok(()));
        assert_eq!(
            quick(&body),
            Some(Quick {
                model: "m".into(),
                streamed: true,
                options: StreamOptions {
                    include_usage: true
                },
            })
        );
        let plain = json!({"model": "m", "messages": [{"role": "user", "content": "hi"}]});
        assert_eq!(
            quick(&plain),
            Some(Quick {
                model: "m".into(),
                streamed: false,
                options: StreamOptions::default(),
            })
        );
    }

    /// Everything the full check refuses, and a few odd shapes it takes, go to it.
    #[test]
    fn anything_not_plainly_well_formed_goes_to_the_full_check() {
        let user = json!({"role": "user", "content": "u"});
        let bodies = [
            json!([{"model": "m"}]),
            json!({"messages": [user]}),
            json!({"model": "", "messages": [user]}),
            json!({"model": 1, "messages": [user]}),
            json!({"model": "m", "stream": "yes", "messages": [user]}),
            json!({"model": "m", "stream_options": {"include_usage": true}, "messages": [user]}),
            json!({"model": "m", "tools": null, "messages": [user]}),
            json!({"model": "m", "tools": [{"type": "function", "function": {"name": "r"}}], "messages": [user]}),
            json!({"model": "m", "tools": [{"type": "function", "function": {"name": "r", "parameters": []}}], "messages": [user]}),
            json!({"model": "m", "tools": [{"type": "web", "function": {"name": "r", "parameters": {}}}], "messages": [user]}),
            json!({"model": "m", "tools": [{"type": "function", "function": {"name": "", "parameters": {}}}], "messages": [user]}),
            json!({"model": "m", "tools": {}, "messages": [user]}),
            json!({"model": "m", "messages": []}),
            json!({"model": "m", "messages": null}),
            json!({"model": "m", "messages": [["user", "u"]]}),
            json!({"model": "m", "messages": [{"role": "robot", "content": "u"}]}),
            json!({"model": "m", "messages": [user, {"role": "assistant", "tool_calls": [call("a")]}]}),
            json!({"model": "m", "messages": [user, {"role": "assistant", "tool_calls": [call("a")]}, user]}),
            json!({"model": "m", "messages": [user, {"role": "tool", "tool_call_id": "a", "content": "x"}]}),
            json!({"model": "m", "messages": [user, {"role": "assistant", "tool_calls": [call("a")]},
                {"role": "tool", "tool_call_id": "a", "content": "x"}, {"role": "tool", "tool_call_id": "a", "content": "x"}]}),
            json!({"model": "m", "messages": [user, {"role": "assistant", "tool_calls": [
                {"id": "a", "type": "function", "function": {"name": "read", "arguments": {}}}]},
                {"role": "tool", "tool_call_id": "a", "content": "x"}]}),
            json!({"model": "m", "messages": [user, {"role": "assistant", "tool_calls": {}}]}),
            // Well formed, but with an escaped id: the full check reads it.
            json!({"model": "m", "messages": [user, {"role": "assistant", "tool_calls": [call("a\"b")]},
                {"role": "tool", "tool_call_id": "a\"b", "content": "x"}]}),
        ];
        for body in &bodies {
            assert_eq!(quick(body), None, "{body}");
        }
        assert_eq!(quick_raw(b"{\"model\": \"m\""), None);
        assert_eq!(quick_raw(b""), None);
    }

    #[test]
    fn same_start_counts_the_bytes_alike() {
        let a: Vec<u8> = (0..1000u32).map(|i| (i % 251) as u8).collect();
        for at in [0, 1, 255, 256, 257, 511, 999] {
            let mut b = a.clone();
            b[at] ^= 1;
            assert_eq!(same_start(&a, &b), at);
        }
        assert_eq!(same_start(&a, &a), 1000);
        assert_eq!(same_start(&a, &a[..300]), 300);
        assert_eq!(same_start(&[], &a), 0);
    }

    #[test]
    fn a_repeated_key_counts_with_its_last_value_as_in_the_tree() {
        let raw = br#"{"model": "", "model": "m", "messages": [{"role": "user", "content": "u"}]}"#;
        let tree: Value = serde_json::from_slice(raw).unwrap();
        assert_eq!(check_request(&tree), Ok(()));
        assert_eq!(quick_raw(raw).map(|q| q.model), Some("m".to_owned()));
    }

    /// A request laid out as a client writes one: the messages in the same place each time.
    fn request(messages: &[Value]) -> Bytes {
        let messages: Vec<String> = messages.iter().map(Value::to_string).collect();
        let text = format!(
            r#"{{"model":"m","messages":[{}],"stream":true}}"#,
            messages.join(",")
        );
        Bytes::from(text)
    }

    /// Each request checked after the one before it is judged as when checked alone.
    #[test]
    fn a_request_checked_after_another_is_judged_as_alone() {
        let user = json!({"role": "user", "content": "read\n\"it\""});
        let asks = |id: &str| json!({"role": "assistant", "content": "", "tool_calls": [call(id)]});
        let answer = |id: &str| json!({"role": "tool", "tool_call_id": id, "content": "1\tx\n"});
        let mut conversation = vec![user.clone()];
        let mut sequence = vec![request(&conversation)];
        for id in ["a", "b", "c"] {
            conversation.push(asks(id));
            // Its calls unanswered: refused, whether or not the request before is known.
            sequence.push(request(&conversation));
            conversation.push(answer(id));
            sequence.push(request(&conversation));
        }
        // Known messages, then trouble: an answer to no call, a trailing comma, a message
        // that is not an object, another conversation, an earlier message changed.
        let mut stray = conversation.clone();
        stray.push(answer("zzz"));
        sequence.push(request(&stray));
        let messages: Vec<String> = conversation.iter().map(Value::to_string).collect();
        let comma = format!(
            r#"{{"model":"m","messages":[{},],"stream":true}}"#,
            messages.join(",")
        );
        sequence.push(Bytes::from(comma));
        let mut array = conversation.clone();
        array.push(json!(["user", "u"]));
        sequence.push(request(&array));
        sequence.push(request(&[json!({"role": "user", "content": "other"})]));
        sequence.push(request(&conversation));
        let mut changed = conversation.clone();
        changed[1] = asks("q");
        sequence.push(request(&changed));
        sequence.push(request(&conversation));
        sequence.push(request(&[]));

        let mut known: Option<Known> = None;
        let mut verdicts = Vec::new();
        let mut resumed = 0;
        for raw in &sequence {
            resumed += usize::from(known.as_ref().and_then(|k| k.rest(raw)).is_some());
            let alone = quick_check(raw, &mut None);
            let tree: Value = serde_json::from_slice(raw).unwrap_or_default();
            if alone.is_some() {
                assert_eq!(check_request(&tree), Ok(()), "{tree}");
            }
            let after = quick_check(raw, &mut known);
            assert_eq!(after, alone, "{}", String::from_utf8_lossy(raw));
            verdicts.push(after.is_some());
        }
        let expected = [
            true, false, true, false, true, false, true, // the conversation growing
            false, false, false, true, true, false, true, false,
        ];
        assert_eq!(verdicts, expected);
        assert!(
            resumed >= 8,
            "{resumed} requests went on from the one before"
        );
    }
}
