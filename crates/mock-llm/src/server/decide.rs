//! Deciding the answer to one request: endpoint, protocol checks, then the next script turn.

use std::borrow::Cow;
use std::sync::{Mutex, PoisonError};

use axum::body::Bytes;
use axum::http::Method;
use serde_json::{json, Value};

use super::Progress;
use crate::answer::{Answer, Cut};
use crate::openai::{self, StreamOptions};
pub(super) use crate::openai::{Known, Quick};
use crate::reply::Planned;
use crate::script::{Action, Expect, Script, Turn};
use crate::wire::{Protocol, ANTHROPIC_PATH, MODELS_PATH, OPENAI_PATH};

/// The answer to one request, and what to record about it.
pub(super) struct Decided {
    pub answer: Answer,
    pub delay_ms: u64,
    pub turn: Option<usize>,
    pub protocol_error: Option<String>,
    pub error: Option<String>,
}

impl Decided {
    fn error(protocol: Protocol, status: u16, message: String) -> Decided {
        Decided {
            answer: Answer::Json {
                status,
                body: protocol.error_body(status, &message),
                retry_after: None,
            },
            delay_ms: 0,
            turn: None,
            protocol_error: None,
            error: Some(message),
        }
    }

    /// A 400 for a request a real provider would refuse: recorded as a protocol error.
    fn refused(protocol: Protocol, status: u16, message: String) -> Decided {
        Decided {
            protocol_error: Some(message.clone()),
            ..Decided::error(protocol, status, message)
        }
    }
}

/// Checks a request and picks its answer; consumes a turn when the script answers it.
pub(super) fn decide(
    script: &Script,
    progress: &mut Progress,
    method: &Method,
    path: &str,
    body: &Value,
    parse_error: Option<String>,
    request_bytes: usize,
) -> Decided {
    let protocol = Protocol::for_path(path);
    let completion = path == OPENAI_PATH || path == ANTHROPIC_PATH;
    if path == MODELS_PATH && method == Method::GET {
        return Decided {
            answer: Answer::Json {
                status: 200,
                body: models_body(&script.model),
                retry_after: None,
            },
            delay_ms: 0,
            turn: None,
            protocol_error: None,
            error: None,
        };
    }
    if !completion && path != MODELS_PATH {
        let message = format!(
            "no such endpoint: {method} {path}; the mock serves POST {OPENAI_PATH}, \
             POST {ANTHROPIC_PATH} and GET {MODELS_PATH}"
        );
        return Decided::error(protocol, 404, message);
    }
    let allowed = if completion {
        Method::POST
    } else {
        Method::GET
    };
    if method != allowed {
        return Decided::refused(
            protocol,
            405,
            format!("{path} only accepts {allowed}, got {method}"),
        );
    }
    if let Some(problem) = parse_error {
        return Decided::refused(protocol, 400, problem);
    }
    if let Err(problem) = protocol.check_request(body) {
        return Decided::refused(protocol, 400, problem);
    }
    next_turn(
        script,
        progress,
        method,
        path,
        Request::Tree(body),
        request_bytes,
    )
}

/// A request as read: its whole tree, or, once the quick check found it well formed, its
/// text and what the quick check read of it.
pub(super) enum Request<'a> {
    Tree(&'a Value),
    Checked { raw: &'a [u8], quick: Quick },
}

impl Request<'_> {
    fn model(&self) -> &str {
        match self {
            Request::Tree(body) => body.get("model").and_then(Value::as_str).unwrap_or(""),
            Request::Checked { quick, .. } => &quick.model,
        }
    }

    fn streamed(&self) -> bool {
        match self {
            Request::Tree(body) => body.get("stream").and_then(Value::as_bool) == Some(true),
            Request::Checked { quick, .. } => quick.streamed,
        }
    }

    fn stream_options(&self) -> StreamOptions {
        match self {
            Request::Tree(body) => StreamOptions::from_request(body),
            Request::Checked { quick, .. } => quick.options,
        }
    }

    /// The tree, for an `expect` clause (built only for a turn that has one).
    fn tree(&self) -> Cow<'_, Value> {
        match self {
            Request::Tree(body) => Cow::Borrowed(body),
            // Checked, so it parses.
            Request::Checked { raw, .. } => {
                Cow::Owned(serde_json::from_slice(raw).unwrap_or_default())
            }
        }
    }
}

/// What the quick check reads of an OpenAI completion request it finds well formed; such a
/// request passes every check of [`decide`] before the turn's. `known`: the last request
/// it passed (taken while checking, so requests at the same time each check in full).
pub(super) fn quick(
    method: &Method,
    path: &str,
    raw: &Bytes,
    known: &Mutex<Option<Known>>,
) -> Option<Quick> {
    if method != Method::POST || path != OPENAI_PATH {
        return None;
    }
    let mut last = known.lock().unwrap_or_else(PoisonError::into_inner).take();
    let quick = openai::quick_check(raw, &mut last);
    *known.lock().unwrap_or_else(PoisonError::into_inner) = last;
    quick
}

/// [`decide`] for a request found well formed by the quick check.
pub(super) fn decide_checked(
    script: &Script,
    progress: &mut Progress,
    method: &Method,
    path: &str,
    raw: &[u8],
    quick: Quick,
) -> Decided {
    let request = Request::Checked { raw, quick };
    next_turn(script, progress, method, path, request, raw.len())
}

/// Answers a well-formed completion request from the next turn, consuming it.
fn next_turn(
    script: &Script,
    progress: &mut Progress,
    method: &Method,
    path: &str,
    body: Request<'_>,
    request_bytes: usize,
) -> Decided {
    let protocol = Protocol::for_path(path);
    let Some(turn) = script.turns.get(progress.turns_used) else {
        let message = format!(
            "mock script exhausted after {} turns: request {} ({method} {path}) has no turn \
             left to answer it; add a turn to the script or stop the agent sooner",
            script.turns.len(),
            progress.requests.len() + 1
        );
        return Decided::error(protocol, 500, message);
    };
    progress.turns_used += 1;
    let turn_number = progress.turns_used;
    let decided = answer_turn(turn, turn_number, protocol, &body, request_bytes);
    Decided {
        turn: Some(turn_number),
        ..decided
    }
}

fn answer_turn(
    turn: &Turn,
    turn_number: usize,
    protocol: Protocol,
    body: &Request<'_>,
    request_bytes: usize,
) -> Decided {
    if let Some(expect) = &turn.expect {
        if let Err(problem) = check_expectation(expect, protocol, &body.tree()) {
            let message =
                format!("request for turn {turn_number} does not meet its `expect`: {problem}");
            return Decided::refused(protocol, 400, message);
        }
    }
    let (reply, cut_after, malformed_tool) = match &turn.action {
        Action::Error(fault) => {
            let message = fault.message.clone().unwrap_or_else(|| {
                format!(
                    "scripted error {} from the mock (turn {turn_number})",
                    fault.status
                )
            });
            return Decided {
                answer: Answer::Json {
                    status: fault.status,
                    body: protocol.error_body(fault.status, &message),
                    retry_after: fault.retry_after,
                },
                delay_ms: turn.delay_ms,
                turn: None,
                protocol_error: None,
                error: Some(message),
            };
        }
        Action::Hang => {
            return Decided {
                answer: Answer::Hang,
                delay_ms: turn.delay_ms,
                turn: None,
                protocol_error: None,
                error: None,
            }
        }
        Action::Reply(reply) => (reply, None, None),
        Action::CutStream {
            after_chunks,
            close,
            reply,
        } => (
            reply,
            Some(Cut {
                after: *after_chunks,
                close: *close,
            }),
            None,
        ),
        Action::MalformedToolJson { tool_name, reply } => (reply, None, Some(tool_name.as_str())),
    };
    let plan = Planned::new(
        reply,
        malformed_tool,
        turn_number,
        body.model(),
        request_bytes,
    );
    let created = unix_now();
    let answer = if body.streamed() {
        let frames = protocol.stream(&plan, body.stream_options(), created);
        Answer::Stream {
            content_type: "text/event-stream",
            cut: cut_after.map(|cut| Cut {
                after: cut.after.min(frames.finish_at),
                ..cut
            }),
            frames: frames.frames,
            chunk_delay_ms: plan.chunk_delay_ms,
            write_bytes: plan.write_bytes,
        }
    } else if let Some(cut) = cut_after {
        // A whole body cannot stop between events: send half of it, then drop the connection.
        let text = protocol.body(&plan, created).to_string();
        let half: String = text.chars().take(text.chars().count() / 2).collect();
        Answer::Stream {
            content_type: "application/json",
            frames: vec![half],
            cut: Some(Cut { after: 1, ..cut }),
            chunk_delay_ms: 0,
            write_bytes: None,
        }
    } else {
        Answer::Json {
            status: 200,
            body: protocol.body(&plan, created),
            retry_after: None,
        }
    };
    Decided {
        answer,
        delay_ms: turn.delay_ms,
        turn: None,
        protocol_error: None,
        error: None,
    }
}

fn check_expectation(expect: &Expect, protocol: Protocol, body: &Value) -> Result<(), String> {
    if let Some(wanted) = &expect.last_tool_result_contains {
        match protocol.last_tool_result(body) {
            None => {
                return Err(format!(
                    "expected the last tool result to contain {wanted:?}, but the request has no tool result"
                ))
            }
            Some(result) if !result.contains(wanted.as_str()) => {
                return Err(format!(
                    "expected the last tool result to contain {wanted:?}, but it was {result:?}"
                ))
            }
            Some(_) => {}
        }
    }
    if let Some(wanted) = &expect.last_user_contains {
        match crate::wire::last_user_text(body) {
            Some(text) if text.contains(wanted.as_str()) => {}
            Some(text) => {
                return Err(format!(
                    "expected the user's last message to contain {wanted:?}, but it was {text:?}"
                ))
            }
            None => {
                return Err(format!(
                "expected the user's last message to contain {wanted:?}, but the user said nothing"
            ))
            }
        }
    }
    if let Some(wanted) = &expect.tool_offered {
        let offered = crate::wire::offered_tools(body);
        if !offered.contains(wanted) {
            return Err(format!(
                "expected the request to offer the tool {wanted:?}, but it offered {offered:?}"
            ));
        }
    }
    Ok(())
}

/// OpenAI's list shape, with Anthropic's fields beside it so either client can read it.
fn models_body(model: &str) -> Value {
    json!({
        "object": "list",
        "data": [{
            "id": model,
            "object": "model",
            "created": 0,
            "owned_by": "autowork-mock",
            "type": "model",
            "display_name": model,
            "created_at": "2025-01-01T00:00:00Z",
        }],
        "has_more": false,
        "first_id": model,
        "last_id": model,
    })
}

fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn expect(text: &str) -> Expect {
        Expect {
            last_tool_result_contains: Some(text.to_owned()),
            ..Expect::default()
        }
    }

    #[test]
    fn the_users_last_words_skip_tool_results_in_both_protocols() {
        let wanted = Expect {
            last_user_contains: Some("lint".into()),
            ..Expect::default()
        };
        let anthropic = json!({"messages": [
            {"role": "user", "content": "fix the tests"},
            {"role": "assistant", "content": [{"type": "text", "text": "done"}]},
            {"role": "user", "content": [{"type": "text", "text": "now the lint warning"}]},
            {"role": "assistant", "content": [{"type": "tool_use", "id": "a", "name": "read", "input": {}}]},
            {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "a", "content": "x"}]},
        ]});
        assert_eq!(
            check_expectation(&wanted, Protocol::Anthropic, &anthropic),
            Ok(())
        );
        let openai = json!({"messages": [
            {"role": "user", "content": "fix the tests"},
            {"role": "tool", "tool_call_id": "a", "content": "lint"},
        ]});
        let err = check_expectation(&wanted, Protocol::OpenAi, &openai).unwrap_err();
        assert!(err.contains("\"fix the tests\""), "{err}");
        let silent = json!({"messages": []});
        let err = check_expectation(&wanted, Protocol::OpenAi, &silent).unwrap_err();
        assert!(err.contains("said nothing"), "{err}");
    }

    #[test]
    fn an_offered_tool_is_found_in_both_protocols() {
        let wanted = Expect {
            tool_offered: Some("propose_automation".into()),
            ..Expect::default()
        };
        let openai = json!({"messages": [], "tools": [
            {"type": "function", "function": {"name": "propose_automation", "parameters": {}}},
        ]});
        assert_eq!(
            check_expectation(&wanted, Protocol::OpenAi, &openai),
            Ok(())
        );
        let anthropic = json!({"messages": [], "tools": [{"name": "read", "input_schema": {}}]});
        let err = check_expectation(&wanted, Protocol::Anthropic, &anthropic).unwrap_err();
        assert!(err.contains(r#"offered ["read"]"#), "{err}");
    }

    #[test]
    fn expectation_without_any_tool_result_says_so() {
        let body = json!({"messages": [{"role": "user", "content": "hi"}]});
        let err = check_expectation(&expect("ok"), Protocol::OpenAi, &body).unwrap_err();
        assert!(err.contains("has no tool result"), "{err}");
    }

    #[test]
    fn expectation_met_by_the_last_openai_tool_message() {
        let body = json!({"messages": [
            {"role": "tool", "tool_call_id": "a", "content": "old"},
            {"role": "tool", "tool_call_id": "b", "content": "3 tests passed"},
        ]});
        assert_eq!(
            check_expectation(&expect("passed"), Protocol::OpenAi, &body),
            Ok(())
        );
        assert!(check_expectation(&expect("old"), Protocol::OpenAi, &body).is_err());
    }

    #[test]
    fn refused_request_consumes_no_turn_and_exhaustion_is_recorded_as_error() {
        let script = Script::from_value(json!({"turns": [{"text": "a"}]})).unwrap();
        let mut progress = Progress::default();
        let bad = json!({"model": "m", "messages": []});
        let refused = decide(
            &script,
            &mut progress,
            &Method::POST,
            OPENAI_PATH,
            &bad,
            None,
            10,
        );
        assert_eq!(refused.answer.status(), 400);
        assert!(refused.protocol_error.is_some());
        assert_eq!(progress.turns_used, 0);

        let good = json!({"model": "m", "messages": [{"role": "user", "content": "hi"}]});
        let answered = decide(
            &script,
            &mut progress,
            &Method::POST,
            OPENAI_PATH,
            &good,
            None,
            10,
        );
        assert_eq!((answered.answer.status(), answered.turn), (200, Some(1)));
        let exhausted = decide(
            &script,
            &mut progress,
            &Method::POST,
            OPENAI_PATH,
            &good,
            None,
            10,
        );
        assert_eq!(exhausted.answer.status(), 500);
        assert_eq!(exhausted.protocol_error, None);
        assert!(exhausted
            .error
            .unwrap()
            .starts_with("mock script exhausted after 1 turns"));
        assert_eq!(progress.turns_used, 1);
    }
}
