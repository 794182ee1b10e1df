//! Wire-level tests: a raw HTTP client against the mock on 127.0.0.1.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use autowork_mock_llm::{MockServer, Script};
use pretty_assertions::assert_eq;
use serde_json::{json, Value};

async fn serve(script: Value) -> MockServer {
    MockServer::start(Script::from_value(script).unwrap())
        .await
        .unwrap()
}

async fn post(server: &MockServer, path: &str, body: &Value) -> reqwest::Response {
    reqwest::Client::new()
        .post(format!("{}{path}", server.base_url()))
        .header("authorization", "Bearer sk-test-openai")
        .json(body)
        .send()
        .await
        .unwrap()
}

/// One server-sent event: its `event:` name (Anthropic only) and `data:` text.
#[derive(Debug, Clone, PartialEq)]
struct Event {
    name: Option<String>,
    data: String,
}

impl Event {
    fn json(&self) -> Value {
        serde_json::from_str(&self.data).unwrap()
    }
}

/// Reads the whole body as events; `ended_cleanly` is false when the connection dropped.
struct Sse {
    events: Vec<Event>,
    ended_cleanly: bool,
}

async fn read_sse(mut response: reqwest::Response) -> Sse {
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-type"],
        "text/event-stream",
        "a stream is answered as server-sent events"
    );
    let mut raw = Vec::new();
    let ended_cleanly = loop {
        match response.chunk().await {
            Ok(Some(bytes)) => raw.extend_from_slice(&bytes),
            Ok(None) => break true,
            Err(_) => break false,
        }
    };
    let text = String::from_utf8(raw).unwrap();
    let events = text
        .split("\n\n")
        .filter(|frame| !frame.trim().is_empty())
        .map(|frame| {
            let mut event = Event {
                name: None,
                data: String::new(),
            };
            for line in frame.lines() {
                if let Some(name) = line.strip_prefix("event: ") {
                    event.name = Some(name.to_owned());
                } else if let Some(data) = line.strip_prefix("data: ") {
                    event.data = data.to_owned();
                } else {
                    panic!("unexpected SSE line {line:?}");
                }
            }
            event
        })
        .collect();
    Sse {
        events,
        ended_cleanly,
    }
}

fn openai_request(stream: bool) -> Value {
    let mut body = json!({
        "model": "gpt-mock",
        "messages": [{"role": "system", "content": "be brief"}, {"role": "user", "content": "hi"}],
        "tools": [{"type": "function", "function": {"name": "read", "parameters": {"type": "object"}}}],
    });
    if stream {
        body["stream"] = json!(true);
        body["stream_options"] = json!({"include_usage": true});
    }
    body
}

fn anthropic_request(stream: bool) -> Value {
    json!({
        "model": "claude-mock",
        "max_tokens": 1024,
        "system": "be brief",
        "stream": stream,
        "messages": [{"role": "user", "content": "hi"}],
        "tools": [{"name": "read", "input_schema": {"type": "object"}}],
    })
}

fn reply_turn() -> Value {
    json!({
        "reasoning": "Need the file.",
        "text": "Let me read the file.",
        "tool_calls": [{"name": "read", "arguments": {"path": "src/main.rs", "limit": 20}}],
        "usage": {"input_tokens": 30, "output_tokens": 12},
    })
}

/// Concatenates the OpenAI deltas: (reasoning, content, [(id, name, arguments)]).
fn reassemble_openai(chunks: &[Value]) -> (String, String, Vec<(String, String, String)>) {
    let (mut reasoning, mut content, mut calls) = (String::new(), String::new(), Vec::new());
    for chunk in chunks {
        let Some(delta) = chunk.pointer("/choices/0/delta") else {
            continue;
        };
        reasoning += delta["reasoning_content"].as_str().unwrap_or("");
        content += delta["content"].as_str().unwrap_or("");
        for call in delta["tool_calls"].as_array().into_iter().flatten() {
            let index = call["index"].as_u64().unwrap() as usize;
            if calls.len() <= index {
                calls.push((String::new(), String::new(), String::new()));
            }
            let entry: &mut (String, String, String) = &mut calls[index];
            entry.0 += call["id"].as_str().unwrap_or("");
            entry.1 += call
                .pointer("/function/name")
                .and_then(Value::as_str)
                .unwrap_or("");
            entry.2 += call
                .pointer("/function/arguments")
                .and_then(Value::as_str)
                .unwrap_or("");
        }
    }
    (reasoning, content, calls)
}

#[tokio::test]
async fn openai_stream_reassembles_text_and_tool_call_and_ends_with_usage_then_done() {
    let server = serve(json!({"turns": [reply_turn()]})).await;
    let sse = read_sse(post(&server, "/v1/chat/completions", &openai_request(true)).await).await;
    assert!(sse.ended_cleanly);
    assert_eq!(
        sse.events.last().unwrap().data,
        "[DONE]",
        "[DONE] comes last"
    );
    let chunks: Vec<Value> = sse.events[..sse.events.len() - 1]
        .iter()
        .map(Event::json)
        .collect();

    for chunk in &chunks {
        assert_eq!(chunk["object"], "chat.completion.chunk");
        assert_eq!(chunk["id"], "chatcmpl-mock-1");
        assert_eq!(chunk["model"], "gpt-mock", "the request's model is echoed");
    }
    assert_eq!(
        chunks[0]["choices"][0]["delta"]["role"], "assistant",
        "the first delta names the role"
    );
    let (reasoning, content, calls) = reassemble_openai(&chunks);
    assert_eq!(reasoning, "Need the file.");
    assert_eq!(content, "Let me read the file.");
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0].0, "call_mock_1_0");
    assert_eq!(calls[0].1, "read");
    assert_eq!(
        serde_json::from_str::<Value>(&calls[0].2).unwrap(),
        json!({"path": "src/main.rs", "limit": 20})
    );

    let content_deltas = chunks
        .iter()
        .filter(|c| {
            c.pointer("/choices/0/delta/content")
                .is_some_and(|t| t != "")
        })
        .count();
    assert!(content_deltas > 1, "text is split into several deltas");
    let argument_pieces: Vec<&Value> = chunks
        .iter()
        .filter_map(|c| c.pointer("/choices/0/delta/tool_calls/0"))
        .filter(|call| call.get("id").is_none())
        .collect();
    assert!(argument_pieces.len() >= 2, "arguments arrive in 2+ pieces");
    for piece in argument_pieces {
        assert_eq!(
            piece.as_object().unwrap().keys().collect::<Vec<_>>(),
            ["function", "index"],
            "argument pieces carry only index and function.arguments"
        );
    }

    let finish = &chunks[chunks.len() - 2];
    assert_eq!(finish["choices"][0]["delta"], json!({}));
    assert_eq!(finish["choices"][0]["finish_reason"], "tool_calls");
    let usage = &chunks[chunks.len() - 1];
    assert_eq!(usage["choices"], json!([]));
    assert_eq!(
        usage["usage"],
        json!({"prompt_tokens": 30, "completion_tokens": 12, "total_tokens": 42})
    );
    server.shutdown().await;
}

#[tokio::test]
async fn openai_stream_without_include_usage_sends_no_usage_chunk_and_stops() {
    let server = serve(json!({"turns": [{"text": "Hello there"}]})).await;
    let mut request = openai_request(true);
    request.as_object_mut().unwrap().remove("stream_options");
    let sse = read_sse(post(&server, "/v1/chat/completions", &request).await).await;
    let chunks: Vec<Value> = sse.events[..sse.events.len() - 1]
        .iter()
        .map(Event::json)
        .collect();
    assert!(chunks.iter().all(|c| c.get("usage").is_none()));
    assert_eq!(
        chunks.last().unwrap()["choices"][0]["finish_reason"],
        "stop"
    );
    assert_eq!(reassemble_openai(&chunks).1, "Hello there");
    assert_eq!(sse.events.last().unwrap().data, "[DONE]");
}

#[tokio::test]
async fn anthropic_stream_follows_the_event_sequence_and_reassembles() {
    let server = serve(json!({"turns": [reply_turn()]})).await;
    let sse = read_sse(post(&server, "/v1/messages", &anthropic_request(true)).await).await;
    assert!(sse.ended_cleanly);
    for event in &sse.events {
        assert_eq!(
            event.name.as_deref(),
            event.json()["type"].as_str(),
            "each event line names its data's type"
        );
    }
    let events: Vec<Value> = sse.events.iter().map(Event::json).collect();
    assert_eq!(
        events[0],
        json!({"type": "message_start", "message": {
            "id": "msg_mock_1", "type": "message", "role": "assistant", "model": "claude-mock",
            "content": [], "stop_reason": null, "stop_sequence": null,
            "usage": {"input_tokens": 30, "output_tokens": 1}}})
    );
    assert_eq!(events[1], json!({"type": "ping"}));

    let starts: Vec<&Value> = events
        .iter()
        .filter(|e| e["type"] == "content_block_start")
        .map(|e| &e["content_block"])
        .collect();
    assert_eq!(
        starts,
        [
            &json!({"type": "thinking", "thinking": "", "signature": ""}),
            &json!({"type": "text", "text": ""}),
            &json!({"type": "tool_use", "id": "toolu_mock_1_0", "name": "read", "input": {}}),
        ]
    );
    let mut texts = vec![String::new(); 3];
    let mut open: Option<u64> = None;
    for event in &events {
        match event["type"].as_str().unwrap() {
            "content_block_start" => {
                assert_eq!(open, None, "blocks do not overlap");
                open = event["index"].as_u64();
            }
            "content_block_delta" => {
                assert_eq!(
                    open,
                    event["index"].as_u64(),
                    "deltas belong to the open block"
                );
                let delta = &event["delta"];
                let piece = match delta["type"].as_str().unwrap() {
                    "thinking_delta" => &delta["thinking"],
                    "text_delta" => &delta["text"],
                    "input_json_delta" => &delta["partial_json"],
                    "signature_delta" => continue,
                    other => panic!("unexpected delta {other}"),
                };
                texts[event["index"].as_u64().unwrap() as usize] += piece.as_str().unwrap();
            }
            "content_block_stop" => {
                assert_eq!(open, event["index"].as_u64());
                open = None;
            }
            _ => {}
        }
    }
    assert_eq!(texts[0], "Need the file.");
    assert_eq!(texts[1], "Let me read the file.");
    assert_eq!(
        serde_json::from_str::<Value>(&texts[2]).unwrap(),
        json!({"path": "src/main.rs", "limit": 20})
    );
    assert_eq!(
        events[events.len() - 2],
        json!({"type": "message_delta", "delta": {"stop_reason": "tool_use", "stop_sequence": null},
               "usage": {"output_tokens": 12}})
    );
    assert_eq!(events[events.len() - 1], json!({"type": "message_stop"}));
}

#[tokio::test]
async fn non_stream_requests_get_whole_provider_bodies() {
    let server = serve(json!({"turns": [reply_turn(), {"text": "All done."}]})).await;
    let openai: Value = post(&server, "/v1/chat/completions", &openai_request(false))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(openai["object"], "chat.completion");
    assert_eq!(
        openai["choices"][0]["message"]["tool_calls"],
        json!([{"id": "call_mock_1_0", "type": "function",
                "function": {"name": "read", "arguments": "{\"limit\":20,\"path\":\"src/main.rs\"}"}}])
    );
    assert_eq!(
        openai["choices"][0]["message"]["content"],
        "Let me read the file."
    );
    assert_eq!(openai["choices"][0]["finish_reason"], "tool_calls");
    assert_eq!(openai["usage"]["total_tokens"], 42);

    let anthropic: Value = post(&server, "/v1/messages", &anthropic_request(false))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(anthropic["type"], "message");
    assert_eq!(anthropic["id"], "msg_mock_2");
    assert_eq!(
        anthropic["content"],
        json!([{"type": "text", "text": "All done."}])
    );
    assert_eq!(anthropic["stop_reason"], "end_turn");
    assert!(
        anthropic["usage"]["input_tokens"].as_u64().unwrap() > 0,
        "usage defaults to a rough count"
    );
}

#[tokio::test]
async fn scripted_429_carries_retry_after_and_each_provider_error_shape() {
    let server = serve(json!({"turns": [
        {"error": {"status": 429, "retry_after": 7, "message": "slow down"}},
        {"error": {"status": 429, "retry_after": 3}},
    ]}))
    .await;
    let openai = post(&server, "/v1/chat/completions", &openai_request(true)).await;
    assert_eq!(openai.status(), 429);
    assert_eq!(openai.headers()["retry-after"], "7");
    assert_eq!(
        openai.json::<Value>().await.unwrap(),
        json!({"error": {"message": "slow down", "type": "requests", "param": null,
                         "code": "rate_limit_exceeded"}})
    );
    let anthropic = post(&server, "/v1/messages", &anthropic_request(true)).await;
    assert_eq!(anthropic.status(), 429);
    assert_eq!(anthropic.headers()["retry-after"], "3");
    let body: Value = anthropic.json().await.unwrap();
    assert_eq!(body["type"], "error");
    assert_eq!(body["error"]["type"], "rate_limit_error");
    assert_eq!(server.turns_used(), 2);
}

#[tokio::test]
async fn cut_stream_drops_the_connection_before_done_or_message_stop() {
    let cut = json!({"cut_stream": {"after_chunks": 3}, "text": "one two three four five six"});
    let server = serve(json!({"turns": [cut.clone(), cut]})).await;

    let openai = read_sse(post(&server, "/v1/chat/completions", &openai_request(true)).await).await;
    assert!(!openai.ended_cleanly, "the client sees the connection drop");
    assert_eq!(openai.events.len(), 3);
    assert!(openai.events.iter().all(|e| e.data != "[DONE]"));
    assert!(openai
        .events
        .iter()
        .all(|e| e.json()["choices"][0]["finish_reason"].is_null()));

    let anthropic = read_sse(post(&server, "/v1/messages", &anthropic_request(true)).await).await;
    assert!(!anthropic.ended_cleanly);
    assert_eq!(anthropic.events.len(), 3);
    assert!(anthropic
        .events
        .iter()
        .all(|e| !matches!(e.name.as_deref(), Some("message_stop" | "message_delta"))));
}

#[tokio::test]
async fn cut_stream_with_close_ends_the_body_cleanly_without_the_final_events() {
    let cut =
        json!({"cut_stream": {"after_chunks": 2, "close": true}, "text": "one two three four"});
    let server = serve(json!({"turns": [cut.clone(), cut]})).await;

    let openai = read_sse(post(&server, "/v1/chat/completions", &openai_request(true)).await).await;
    assert!(
        openai.ended_cleanly,
        "the body ends as if the answer were done"
    );
    assert_eq!(openai.events.len(), 2);
    assert!(openai.events.iter().all(|e| e.data != "[DONE]"));

    let anthropic = read_sse(post(&server, "/v1/messages", &anthropic_request(true)).await).await;
    assert!(anthropic.ended_cleanly);
    let names: Vec<Option<String>> = anthropic.events.into_iter().map(|e| e.name).collect();
    assert_eq!(
        names,
        vec![Some("message_start".to_owned()), Some("ping".to_owned())]
    );
}

#[tokio::test]
async fn write_bytes_sends_one_event_in_many_small_pieces() {
    let text = "word ".repeat(200);
    let server = serve(json!({"turns": [
        {"tool_calls": [{"name": "write", "arguments": {"path": "a", "content": text}}], "write_bytes": 7}
    ]}))
    .await;
    let mut response = post(&server, "/v1/chat/completions", &openai_request(true)).await;
    let mut sizes = Vec::new();
    let mut raw = Vec::new();
    while let Some(bytes) = response.chunk().await.unwrap() {
        sizes.push(bytes.len());
        raw.extend_from_slice(&bytes);
    }
    assert!(
        sizes.iter().all(|&n| n <= 7),
        "no piece is over 7 bytes: {sizes:?}"
    );
    let text_back = String::from_utf8(raw).unwrap();
    let chunks: Vec<Value> = text_back
        .split("\n\n")
        .filter_map(|f| f.strip_prefix("data: "))
        .filter(|d| *d != "[DONE]")
        .map(|d| serde_json::from_str(d).unwrap())
        .collect();
    let (_, _, calls) = reassemble_openai(&chunks);
    let arguments: Value = serde_json::from_str(&calls[0].2).unwrap();
    assert_eq!(arguments, json!({"path": "a", "content": text}));
}

#[tokio::test]
async fn malformed_tool_json_streams_arguments_that_do_not_parse() {
    let server = serve(json!({"turns": [
        {"malformed_tool_json": true, "text": "Editing."},
        {"malformed_tool_json": true, "tool_name": "write"},
    ]}))
    .await;
    let sse = read_sse(post(&server, "/v1/chat/completions", &openai_request(true)).await).await;
    let chunks: Vec<Value> = sse.events[..sse.events.len() - 1]
        .iter()
        .map(Event::json)
        .collect();
    let (_, content, calls) = reassemble_openai(&chunks);
    assert_eq!(content, "Editing.");
    assert_eq!(calls[0].1, "edit", "the default tool name is edit");
    assert!(
        serde_json::from_str::<Value>(&calls[0].2).is_err(),
        "{}",
        calls[0].2
    );

    let sse = read_sse(post(&server, "/v1/messages", &anthropic_request(true)).await).await;
    let partial: String = sse
        .events
        .iter()
        .map(Event::json)
        .filter(|e| e["delta"]["type"] == "input_json_delta")
        .map(|e| e["delta"]["partial_json"].as_str().unwrap().to_owned())
        .collect();
    assert!(sse
        .events
        .iter()
        .any(|e| e.data.contains(r#""name":"write""#)));
    assert!(
        serde_json::from_str::<Value>(&partial).is_err(),
        "{partial}"
    );
}

#[tokio::test]
async fn exhausted_script_answers_500_and_records_it() {
    let server = serve(json!({"turns": [{"text": "only one"}]})).await;
    assert_eq!(
        post(&server, "/v1/chat/completions", &openai_request(false))
            .await
            .status(),
        200
    );
    let response = post(&server, "/v1/chat/completions", &openai_request(false)).await;
    assert_eq!(response.status(), 500);
    let body: Value = response.json().await.unwrap();
    let message = body["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("mock script exhausted after 1 turns"),
        "{message}"
    );
    let recorded = server.requests();
    assert_eq!(recorded[1].response_status, 500);
    assert_eq!(recorded[1].turn, None);
    assert!(recorded[1].error.as_deref().unwrap().contains("exhausted"));
    assert_eq!(server.turns_used(), 1);
}

#[tokio::test]
async fn unanswered_openai_tool_call_is_refused_with_400_without_using_a_turn() {
    let server = serve(json!({"turns": [{"text": "never sent"}]})).await;
    let request = json!({"model": "gpt-mock", "messages": [
        {"role": "user", "content": "hi"},
        {"role": "assistant", "content": null, "tool_calls": [
            {"id": "call_1", "type": "function", "function": {"name": "read", "arguments": "{}"}}]},
        {"role": "user", "content": "and?"},
    ]});
    let response = post(&server, "/v1/chat/completions", &request).await;
    assert_eq!(response.status(), 400);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["type"], "invalid_request_error");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("call_1"),
        "the message names the unanswered call: {message}"
    );
    assert_eq!(server.protocol_errors(), vec![message.to_owned()]);
    assert_eq!(server.turns_used(), 0, "a refused request consumes no turn");
}

#[tokio::test]
async fn anthropic_non_alternating_roles_are_refused_with_400() {
    let server = serve(json!({"turns": [{"text": "never sent"}]})).await;
    let mut request = anthropic_request(false);
    request["messages"] = json!([
        {"role": "user", "content": "one"},
        {"role": "user", "content": "two"},
    ]);
    let response = post(&server, "/v1/messages", &request).await;
    assert_eq!(response.status(), 400);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["type"], "error");
    assert_eq!(body["error"]["type"], "invalid_request_error");
    assert!(body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("alternate"));
    assert!(server.requests()[0].protocol_error.is_some());
}

#[tokio::test]
async fn unmet_expectation_answers_400_saying_what_was_expected_and_what_came() {
    let server = serve(json!({"turns": [
        {"expect": {"last_tool_result_contains": "fn main"}, "text": "ok"},
    ]}))
    .await;
    let mut request = anthropic_request(false);
    request["messages"] = json!([
        {"role": "user", "content": "read it"},
        {"role": "assistant", "content": [{"type": "tool_use", "id": "t1", "name": "read", "input": {}}]},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "t1", "content": "no such file"}]},
    ]);
    let response = post(&server, "/v1/messages", &request).await;
    assert_eq!(response.status(), 400);
    let message = response.json::<Value>().await.unwrap()["error"]["message"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        message.contains("\"fn main\"") && message.contains("\"no such file\""),
        "{message}"
    );
    assert_eq!(
        server.turns_used(),
        1,
        "the turn whose expectation failed is used up"
    );
}

#[tokio::test]
async fn requests_are_recorded_in_order_with_auth_headers_as_sent() {
    let server = serve(json!({"turns": [{"text": "a"}, {"text": "b"}]})).await;
    post(&server, "/v1/chat/completions", &openai_request(false)).await;
    reqwest::Client::new()
        .post(format!("{}/v1/messages", server.base_url()))
        .header("x-api-key", "sk-ant-test")
        .header("anthropic-version", "2023-06-01")
        .json(&anthropic_request(false))
        .send()
        .await
        .unwrap();
    reqwest::get(format!("{}/v1/nothing", server.base_url()))
        .await
        .unwrap();

    let recorded = server.requests();
    let summary: Vec<_> = recorded
        .iter()
        .map(|r| {
            (
                r.method.as_str(),
                r.path.as_str(),
                r.response_status,
                r.turn,
                r.api_key(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        vec![
            (
                "POST",
                "/v1/chat/completions",
                200,
                Some(1),
                Some("sk-test-openai")
            ),
            ("POST", "/v1/messages", 200, Some(2), Some("sk-ant-test")),
            ("GET", "/v1/nothing", 404, None, None),
        ]
    );
    assert_eq!(
        recorded[0].header("Authorization"),
        Some("Bearer sk-test-openai")
    );
    assert_eq!(recorded[1].header("anthropic-version"), Some("2023-06-01"));
    assert_eq!(recorded[1].body, anthropic_request(false));
    assert!(recorded.iter().all(|r| r.protocol_error.is_none()));
}

#[tokio::test]
async fn models_endpoint_lists_the_script_model_and_unknown_paths_are_404() {
    let server = serve(json!({"model": "mock-coder-2", "turns": []})).await;
    let models: Value = reqwest::get(format!("{}/v1/models", server.base_url()))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(models["object"], "list");
    assert_eq!(models["data"][0]["id"], "mock-coder-2");
    assert_eq!(models["data"][0]["object"], "model");
    let missing = reqwest::get(format!("{}/v2/else", server.base_url()))
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
    assert!(missing.json::<Value>().await.unwrap()["error"]["message"]
        .as_str()
        .unwrap()
        .contains("/v1/chat/completions"));
    assert_eq!(server.turns_used(), 0, "listing models consumes no turn");
}

#[tokio::test]
async fn hang_never_answers_and_shutdown_still_finishes() {
    let server = serve(json!({"turns": [{"hang": true}]})).await;
    let client = reqwest::Client::builder()
        .timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    let result = client
        .post(format!("{}/v1/chat/completions", server.base_url()))
        .json(&openai_request(true))
        .send()
        .await;
    assert!(result.unwrap_err().is_timeout(), "no answer ever comes");
    assert_eq!(server.requests()[0].response_status, 0);
    tokio::time::timeout(Duration::from_secs(3), server.shutdown())
        .await
        .expect("shutdown does not wait for the hanging request");
}

#[tokio::test]
async fn delay_ms_holds_the_first_byte_back() {
    let server = serve(json!({"turns": [{"text": "late", "delay_ms": 200}]})).await;
    let started = std::time::Instant::now();
    let response = post(&server, "/v1/chat/completions", &openai_request(false)).await;
    assert_eq!(response.status(), 200);
    assert!(started.elapsed() >= Duration::from_millis(200));
}

#[test]
fn shipped_scripts_parse() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts");
    let mut count = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let script = Script::from_file(&path).unwrap_or_else(|e| panic!("{e}"));
        assert!(!script.turns.is_empty(), "{} has turns", path.display());
        count += 1;
    }
    assert!(count >= 1);
}

#[tokio::test]
async fn binary_prints_its_address_and_serves_the_script() {
    use tokio::io::AsyncBufReadExt as _;

    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_autowork-mock-llm"))
        .arg("--script")
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/hello.json"))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut line = String::new();
    tokio::time::timeout(
        Duration::from_secs(10),
        tokio::io::BufReader::new(stdout).read_line(&mut line),
    )
    .await
    .unwrap()
    .unwrap();
    let base_url = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("first line names the address: {line:?}"))
        .to_owned();
    assert!(base_url.starts_with("http://127.0.0.1:"), "{base_url}");

    let models: Value = reqwest::get(format!("{base_url}/v1/models"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(models["data"][0]["id"], "mock-coder");

    child.start_kill().unwrap();
    let output = child.wait_with_output().await.unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("GET /v1/models -> 200"),
        "requests are logged: {stderr}"
    );
}
