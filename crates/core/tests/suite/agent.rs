//! The agent behind Run now, against the scriptable model server over real HTTP, with real
//! files and real processes.

use std::sync::Arc;
use std::time::Duration;

use autowork_core::agent::{Agent, HttpPolicy};
use autowork_core::definition::{Automation, PermissionAction, PermissionRule};
use autowork_core::executor::Executor;
use autowork_core::ledger::{
    Attendance, Blocker, ErrorCode, PermissionDecision, Run, RunState, RunTrigger, StopReason,
};
use autowork_core::transcript::{Part, Role};
use autowork_mock_llm::{MockServer, Script};
use pretty_assertions::assert_eq;
use serde_json::{json, Value};

use super::support::*;

/// An engine whose runs are driven by the real agent, talking to a mock model server.
pub struct AgentEnv {
    pub env: TestEnv,
    pub mock: MockServer,
}

impl AgentEnv {
    pub async fn new(kind: &str, turns: Value) -> Self {
        Self::with_key(kind, turns, None).await
    }

    pub async fn with_key(kind: &str, turns: Value, key_env: Option<&str>) -> Self {
        Self::build(kind, turns, key_env, None).await
    }

    pub async fn build(
        kind: &str,
        turns: Value,
        key_env: Option<&str>,
        clock: Option<Arc<dyn autowork_core::clock::Clock>>,
    ) -> Self {
        Self::configured(kind, turns, key_env, clock, |agent| agent).await
    }

    /// Like [`AgentEnv::build`], with the agent changed by `configure` first.
    pub async fn configured(
        kind: &str,
        turns: Value,
        key_env: Option<&str>,
        clock: Option<Arc<dyn autowork_core::clock::Clock>>,
        configure: impl FnOnce(Agent) -> Agent,
    ) -> Self {
        let env = TestEnv::with_clock(clock).await;
        let script = Script::from_value(json!({ "model": "mock-coder", "turns": turns })).unwrap();
        let mock = MockServer::start(script).await.unwrap();
        let base_url = match kind {
            "anthropic" => mock.base_url(),
            _ => format!("{}/v1", mock.base_url()),
        };
        let mut provider = json!({"id": "mock", "kind": kind, "base_url": base_url});
        if let Some(var) = key_env {
            provider["api_key_env"] = json!(var);
        }
        std::fs::write(
            env.data_dir().join("providers.json"),
            json!({ "providers": [provider] }).to_string(),
        )
        .unwrap();
        let agent = configure(Agent::new(env.data_dir()).http_policy(HttpPolicy {
            base_backoff: Duration::from_millis(20),
            max_backoff: Duration::from_millis(100),
            ..HttpPolicy::default()
        }));
        env.executor.script(move |ctx, _| agent.execute(ctx));
        Self { env, mock }
    }

    pub async fn automation(&self, changes: Value) -> Automation {
        let mut definition = self.env.definition();
        for (key, value) in changes.as_object().unwrap() {
            definition[key] = value.clone();
        }
        self.env
            .engine
            .create_automation(&definition)
            .await
            .unwrap()
    }

    pub async fn run(&self, automation: &Automation, attendance: Attendance) -> Run {
        self.env
            .engine
            .run_now(&automation.id, attendance)
            .await
            .unwrap()
    }

    pub async fn finish(&self, run: &Run) -> Run {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        loop {
            let current = self.env.engine.get_run(&run.id).await.unwrap();
            if current.state.is_terminal() {
                return current;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "run {} did not finish: {current:?}",
                run.id
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// The run's stored transcript.
    pub async fn transcript(&self, run: &Run) -> Vec<autowork_core::transcript::Message> {
        self.env.engine.run_transcript(&run.id).await.unwrap()
    }

    pub fn file(&self, name: &str) -> String {
        std::fs::read_to_string(self.env.workspace.join(name)).unwrap()
    }

    /// No request the agent sent broke the provider's protocol.
    pub fn assert_protocol_clean(&self) {
        let errors: Vec<_> = self
            .mock
            .requests()
            .into_iter()
            .filter_map(|r| r.protocol_error)
            .collect();
        assert!(errors.is_empty(), "protocol errors: {errors:?}");
    }
}

fn allow_all() -> Value {
    json!({"permissions": [{"tool": "*", "pattern": "*", "action": "allow"}]})
}

fn edit_and_test_script() -> Value {
    json!([
        {"text": "Reading the notes.", "tool_calls": [{"name": "read", "arguments": {"path": "notes.txt"}}],
         "usage": {"input_tokens": 1000, "output_tokens": 100}},
        {"expect": {"last_tool_result_contains": "hello world"},
         "tool_calls": [{"name": "edit", "arguments": {"path": "notes.txt", "old_string": "hello world", "new_string": "hello autowork"}}],
         "usage": {"input_tokens": 1200, "output_tokens": 50}},
        {"tool_calls": [{"name": "bash", "arguments": {"command": "grep -c autowork notes.txt"}}],
         "usage": {"input_tokens": 1300, "output_tokens": 40}},
        {"expect": {"last_tool_result_contains": "1"},
         "text": "Changed the greeting and checked it.", "usage": {"input_tokens": 1400, "output_tokens": 20}}
    ])
}

async fn edit_and_test_in(kind: &str) {
    let t = AgentEnv::new(kind, edit_and_test_script()).await;
    std::fs::write(t.env.workspace.join("notes.txt"), "hello world\n").unwrap();
    let automation = t.automation(allow_all()).await;
    let run = t.run(&automation, Attendance::Attended).await;
    let done = t.finish(&run).await;
    assert_eq!(done.state, RunState::Succeeded, "{done:?}");
    assert_eq!(
        done.result.as_deref(),
        Some("Changed the greeting and checked it.")
    );
    assert_eq!(t.file("notes.txt"), "hello autowork\n");
    assert_eq!(done.steps, 4);
    assert_eq!((done.tokens_in, done.tokens_out), (4900, 210));
    // mock/mock-coder costs $1 in and $2 out per million tokens.
    assert!(
        (done.cost_usd - (4900.0 + 420.0) / 1e6).abs() < 1e-9,
        "cost {}",
        done.cost_usd
    );
    t.assert_protocol_clean();

    let transcript = t.transcript(&run).await;
    let roles: Vec<Role> = transcript.iter().map(|m| m.role).collect();
    assert_eq!(
        roles,
        vec![
            Role::User,
            Role::Assistant,
            Role::Tool,
            Role::Assistant,
            Role::Tool,
            Role::Assistant,
            Role::Tool,
            Role::Assistant
        ]
    );
    let tool_results: Vec<&Part> = transcript
        .iter()
        .flat_map(|m| &m.parts)
        .filter(|p| matches!(p, Part::ToolResult { .. }))
        .collect();
    assert_eq!(tool_results.len(), 3);
    assert!(
        matches!(transcript.last().unwrap().parts.last().unwrap(), Part::Text { text } if text == "Changed the greeting and checked it.")
    );
}

#[tokio::test]
async fn a_run_edits_a_file_and_runs_a_command_over_openai_chat_completions() {
    edit_and_test_in("openai_compatible").await;
}

#[tokio::test]
async fn a_run_edits_a_file_and_runs_a_command_over_anthropic_messages() {
    edit_and_test_in("anthropic").await;
}

fn edit_script() -> Value {
    json!([
        {"tool_calls": [{"name": "write", "arguments": {"path": "out.txt", "content": "one\n"}}]},
        {"tool_calls": [{"name": "write", "arguments": {"path": "out.txt", "content": "two\n"}}]},
        {"text": "done"}
    ])
}

async fn wait_blocker(t: &AgentEnv, run: &Run) -> Blocker {
    wait_for_state(&t.env.engine, &run.id, RunState::AwaitingInput)
        .await
        .blocker
        .unwrap()
}

#[tokio::test]
async fn permission_once_allows_one_call_and_asks_again() {
    let t = AgentEnv::new("openai_compatible", edit_script()).await;
    let automation = t.automation(json!({})).await;
    let run = t.run(&automation, Attendance::Attended).await;
    let Blocker::Permission {
        request_id,
        tool,
        summary,
        preview,
        ..
    } = wait_blocker(&t, &run).await
    else {
        panic!("expected a permission blocker")
    };
    assert_eq!(tool, "write");
    assert!(summary.contains("out.txt"), "{summary}");
    assert!(
        preview.unwrap_or_default().contains("+one"),
        "a diff preview of the write"
    );
    t.env
        .engine
        .reply_permission(&request_id, PermissionDecision::Once, None)
        .await
        .unwrap();
    let Blocker::Permission { request_id, .. } = wait_blocker(&t, &run).await else {
        panic!()
    };
    assert_eq!(t.file("out.txt"), "one\n");
    t.env
        .engine
        .reply_permission(&request_id, PermissionDecision::Once, None)
        .await
        .unwrap();
    assert_eq!(t.finish(&run).await.state, RunState::Succeeded);
    assert_eq!(t.file("out.txt"), "two\n");
}

#[tokio::test]
async fn permission_always_adds_a_rule_to_the_automation() {
    let t = AgentEnv::new(
        "openai_compatible",
        json!([
            {"tool_calls": [{"name": "bash", "arguments": {"command": "echo hi"}}]},
            {"tool_calls": [{"name": "bash", "arguments": {"command": "echo hi"}}]},
            {"text": "done"}
        ]),
    )
    .await;
    let automation = t.automation(json!({})).await;
    let run = t.run(&automation, Attendance::Attended).await;
    let Blocker::Permission {
        request_id,
        reason,
        always,
        ..
    } = wait_blocker(&t, &run).await
    else {
        panic!()
    };
    assert_eq!(reason.as_deref(), Some("no rule allows `echo hi`"));
    assert_eq!(always, vec!["allow exactly: echo hi".to_owned()]);
    t.env
        .engine
        .reply_permission(&request_id, PermissionDecision::Always, None)
        .await
        .unwrap();
    // The second identical call is allowed by the new rule: no second blocker.
    assert_eq!(t.finish(&run).await.state, RunState::Succeeded);
    let updated = t.env.engine.get_automation(&automation.id).await.unwrap();
    assert_eq!(updated.revision, 3, "the rule (2), then the run's end (3)");
    let rule = updated.spec.permissions.last().unwrap();
    assert_eq!(
        rule,
        &PermissionRule {
            exact: true,
            ..PermissionRule::command(["echo", "hi"], PermissionAction::Allow)
        },
        "an exact argv rule, never a glob"
    );
}

#[tokio::test]
async fn permission_always_adds_the_wider_prefix_the_user_picked() {
    let t = AgentEnv::new(
        "openai_compatible",
        json!([
            {"tool_calls": [{"name": "bash", "arguments": {"command": "echo hi there"}}]},
            {"tool_calls": [{"name": "bash", "arguments": {"command": "echo something else"}}]},
            {"text": "done"}
        ]),
    )
    .await;
    let automation = t.automation(json!({})).await;
    let run = t.run(&automation, Attendance::Attended).await;
    let Blocker::Permission {
        request_id,
        always_options,
        ..
    } = wait_blocker(&t, &run).await
    else {
        panic!()
    };
    let labels: Vec<&str> = always_options.iter().map(|o| o.label.as_str()).collect();
    assert_eq!(
        labels,
        vec![
            "allow exactly: echo hi there",
            "allow echo hi there …",
            "allow echo hi …",
            "allow echo …"
        ]
    );
    // A choice the request does not offer is refused by field, and the run still waits.
    match t.env.engine.approve_always(&request_id, 9).await {
        Err(autowork_core::Error::InvalidInput(details)) => {
            assert_eq!(details[0].field, "always_choice")
        }
        other => panic!("unexpected {other:?}"),
    }
    t.env.engine.approve_always(&request_id, 3).await.unwrap();
    // `echo something else` is allowed by the picked `echo …`: no second blocker.
    assert_eq!(t.finish(&run).await.state, RunState::Succeeded);
    let updated = t.env.engine.get_automation(&automation.id).await.unwrap();
    assert_eq!(
        updated.spec.permissions.last().unwrap(),
        &PermissionRule::command(["echo"], PermissionAction::Allow)
    );
}

#[tokio::test]
async fn permission_reject_tells_the_model_with_the_message() {
    let t = AgentEnv::new(
        "anthropic",
        json!([
            {"tool_calls": [{"name": "bash", "arguments": {"command": "rm -rf build"}}]},
            {"expect": {"last_tool_result_contains": "keep the build"}, "text": "Understood, left it."}
        ]),
    )
    .await;
    let automation = t.automation(json!({})).await;
    let run = t.run(&automation, Attendance::Attended).await;
    let Blocker::Permission {
        request_id,
        summary,
        ..
    } = wait_blocker(&t, &run).await
    else {
        panic!()
    };
    assert!(summary.contains("rm -rf build"), "{summary}");
    t.env
        .engine
        .reply_permission(
            &request_id,
            PermissionDecision::Reject,
            Some("keep the build".into()),
        )
        .await
        .unwrap();
    let done = t.finish(&run).await;
    assert_eq!(done.state, RunState::Succeeded, "{done:?}");
    t.assert_protocol_clean();
}

#[tokio::test]
async fn a_question_is_answered_and_the_answer_reaches_the_model() {
    let t = AgentEnv::new(
        "openai_compatible",
        json!([
            {"tool_calls": [{"name": "question", "arguments": {"questions": [{"question": "Which branch?", "choices": ["main", "dev"]}]}}]},
            {"expect": {"last_tool_result_contains": "dev"}, "text": "Working on dev."}
        ]),
    )
    .await;
    let automation = t.automation(json!({})).await;
    let run = t.run(&automation, Attendance::Attended).await;
    let Blocker::Question { call_id, questions } = wait_blocker(&t, &run).await else {
        panic!()
    };
    assert_eq!(questions[0].choices, vec!["main", "dev"]);
    t.env
        .engine
        .answer_question(&call_id, vec!["dev".into()])
        .await
        .unwrap();
    let done = t.finish(&run).await;
    assert_eq!(done.result.as_deref(), Some("Working on dev."));
}

#[tokio::test]
async fn an_unattended_run_that_needs_permission_fails_with_needs_user_input() {
    let t = AgentEnv::new("openai_compatible", edit_script()).await;
    let automation = t.automation(json!({})).await;
    let run = t.run(&automation, Attendance::Unattended).await;
    let done = t.finish(&run).await;
    assert_eq!(done.state, RunState::Failed);
    let error = done.error.unwrap();
    assert_eq!(error.code, ErrorCode::NeedsUserInput);
    assert!(error.message.contains("out.txt"), "{}", error.message);
    assert!(
        !t.env.workspace.join("out.txt").exists(),
        "nothing was written"
    );
    let transcript = t.transcript(&run).await;
    assert!(
        transcript
            .iter()
            .flat_map(|m| &m.parts)
            .any(|p| matches!(p, Part::Error { text } if text.contains("needs user input"))),
        "the transcript says what the run wanted"
    );
}

fn distinct_reads(count: usize) -> Value {
    Value::Array(
        (0..count)
            .map(|i| json!({"tool_calls": [{"name": "read", "arguments": {"path": "notes.txt", "offset": i + 1}}]}))
            .collect(),
    )
}

#[tokio::test]
async fn the_step_cap_ends_a_run_at_fifty_model_calls_by_default() {
    let t = AgentEnv::new("openai_compatible", distinct_reads(60)).await;
    std::fs::write(t.env.workspace.join("notes.txt"), "x\n".repeat(100)).unwrap();
    let automation = t.automation(json!({})).await;
    let done = t
        .finish(&t.run(&automation, Attendance::Attended).await)
        .await;
    assert_eq!(done.error.unwrap().code, ErrorCode::StepCap);
    assert_eq!(done.steps, 50);
    assert_eq!(t.mock.turns_used(), 50, "the 51st call was never made");
}

#[tokio::test]
async fn a_custom_step_cap_is_honoured() {
    let t = AgentEnv::new("anthropic", distinct_reads(10)).await;
    std::fs::write(t.env.workspace.join("notes.txt"), "x\n".repeat(100)).unwrap();
    let automation = t.automation(json!({"step_cap": 3})).await;
    let done = t
        .finish(&t.run(&automation, Attendance::Attended).await)
        .await;
    assert_eq!(done.error.unwrap().code, ErrorCode::StepCap);
    assert_eq!((done.steps, t.mock.turns_used()), (3, 3));
}

#[tokio::test]
async fn the_same_call_three_times_in_a_row_trips_the_loop_gate() {
    let same = json!({"tool_calls": [{"name": "list", "arguments": {"path": "."}}]});
    let t = AgentEnv::new(
        "openai_compatible",
        json!([same, same, same, same, {"text": "never"}]),
    )
    .await;
    let automation = t.automation(json!({})).await;
    let done = t
        .finish(&t.run(&automation, Attendance::Attended).await)
        .await;
    assert_eq!(done.error.unwrap().code, ErrorCode::LoopGate);
    assert_eq!(t.mock.turns_used(), 3);
}

#[tokio::test]
async fn the_same_failing_call_three_times_trips_the_loop_gate() {
    let failing = |n: u32| {
        json!({"tool_calls": [
            {"name": "read", "arguments": {"path": "missing.txt"}},
            {"name": "list", "arguments": {"path": format!("dir{n}")}}
        ]})
    };
    let t = AgentEnv::new(
        "openai_compatible",
        json!([failing(1), failing(2), failing(3), {"text": "never"}]),
    )
    .await;
    let automation = t.automation(json!({})).await;
    let done = t
        .finish(&t.run(&automation, Attendance::Attended).await)
        .await;
    assert_eq!(done.error.unwrap().code, ErrorCode::LoopGate);
}

#[tokio::test]
async fn the_per_run_budget_ends_the_run() {
    let big = |n: u32| json!({"tool_calls": [{"name": "list", "arguments": {"path": format!("d{n}")}}], "usage": {"input_tokens": 1_000_000, "output_tokens": 0}});
    let t = AgentEnv::new(
        "openai_compatible",
        json!([big(1), big(2), big(3), {"text": "never"}]),
    )
    .await;
    let automation = t.automation(json!({"budget_usd": 1.5})).await;
    let done = t
        .finish(&t.run(&automation, Attendance::Attended).await)
        .await;
    assert_eq!(done.error.unwrap().code, ErrorCode::BudgetCap);
    assert_eq!(
        t.mock.turns_used(),
        2,
        "stopped once $2 passed the $1.50 budget"
    );
}

#[tokio::test]
async fn the_daily_budget_counts_earlier_runs_of_the_day() {
    let expensive =
        json!({"text": "done", "usage": {"input_tokens": 2_000_000, "output_tokens": 0}});
    let t = AgentEnv::new("openai_compatible", json!([expensive, {"text": "never"}])).await;
    let automation = t.automation(json!({"daily_budget_usd": 1.0})).await;
    let first = t
        .finish(&t.run(&automation, Attendance::Attended).await)
        .await;
    assert_eq!(first.state, RunState::Succeeded);
    let second = t
        .finish(&t.run(&automation, Attendance::Attended).await)
        .await;
    assert_eq!(second.error.unwrap().code, ErrorCode::BudgetCap);
    assert_eq!(t.mock.turns_used(), 1);
}

#[tokio::test]
async fn a_429_with_retry_after_is_retried_then_succeeds() {
    let t = AgentEnv::new(
        "openai_compatible",
        json!([{"error": {"status": 429, "retry_after": 1, "message": "slow down"}}, {"text": "made it"}]),
    )
    .await;
    let automation = t.automation(json!({})).await;
    let started = std::time::Instant::now();
    let done = t
        .finish(&t.run(&automation, Attendance::Attended).await)
        .await;
    assert_eq!(done.result.as_deref(), Some("made it"));
    assert_eq!(t.mock.turns_used(), 2);
    assert!(
        started.elapsed() >= Duration::from_millis(900),
        "retry-after was honoured"
    );
}

#[tokio::test]
async fn persistent_500s_exhaust_the_retries_and_fail_with_provider_error() {
    let err = json!({"error": {"status": 500, "message": "upstream down"}});
    let t = AgentEnv::new("anthropic", json!([err, err, err, err, err])).await;
    let automation = t.automation(json!({})).await;
    let done = t
        .finish(&t.run(&automation, Attendance::Attended).await)
        .await;
    let error = done.error.unwrap();
    assert_eq!(error.code, ErrorCode::ProviderError);
    assert!(error.message.contains("upstream down"), "{}", error.message);
    assert_eq!(t.mock.turns_used(), 4, "four attempts in all");
}

#[tokio::test]
async fn malformed_tool_json_fails_the_run_and_says_what_was_wrong() {
    for kind in ["openai_compatible", "anthropic"] {
        let t = AgentEnv::new(
            kind,
            json!([{"malformed_tool_json": true, "tool_name": "edit"}]),
        )
        .await;
        let automation = t.automation(json!({})).await;
        let done = t
            .finish(&t.run(&automation, Attendance::Attended).await)
            .await;
        let error = done.error.unwrap();
        assert_eq!(error.code, ErrorCode::ProviderError, "{kind}");
        assert!(
            error.message.contains("not valid JSON"),
            "{kind}: {}",
            error.message
        );
    }
}

#[tokio::test]
async fn cancel_during_the_model_stream_stops_the_run() {
    let t = AgentEnv::new("openai_compatible", json!([{"hang": true}])).await;
    let automation = t.automation(json!({})).await;
    let run = t.run(&automation, Attendance::Attended).await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while t.mock.requests().is_empty() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the model was never called"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let stopped = t.env.engine.cancel_run(&run.id).await.unwrap();
    assert_eq!(stopped.stop_reason, Some(StopReason::Cancelled));
    let transcript = t.transcript(&run).await;
    let from_prompt: Vec<(Role, usize)> = transcript
        .iter()
        .skip_while(|m| m.role != Role::User)
        .map(|m| (m.role, m.parts.len()))
        .collect();
    assert_eq!(
        from_prompt,
        vec![(Role::User, 1), (Role::Assistant, 0)],
        "the step the cancel cut off still shows, with nothing in it"
    );
}

#[tokio::test]
async fn a_run_past_its_time_limit_fails_with_timeout() {
    let clock = autowork_core::clock::ManualClock::new(chrono::Utc::now());
    let t = AgentEnv::build(
        "openai_compatible",
        json!([{"hang": true}]),
        None,
        Some(Arc::new(clock.clone())),
    )
    .await;
    let automation = t.automation(json!({"timeout_minutes": 1})).await;
    let run = t.run(&automation, Attendance::Unattended).await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while t.mock.requests().is_empty() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the model was never called"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    clock.advance(chrono::Duration::seconds(59));
    settle().await;
    assert_eq!(
        t.env.engine.get_run(&run.id).await.unwrap().state,
        RunState::Running,
        "still within its minute"
    );
    clock.advance(chrono::Duration::seconds(2));
    let done = t.finish(&run).await;
    let error = done.error.unwrap();
    assert_eq!(error.code, ErrorCode::Timeout);
    assert!(
        error.message.contains("time limit of 1 minute(s)"),
        "{}",
        error.message
    );
}

fn alive(pid: i32) -> bool {
    std::path::Path::new(&format!("/proc/{pid}")).exists()
        && !std::fs::read_to_string(format!("/proc/{pid}/stat"))
            .unwrap_or_default()
            .contains(") Z ")
}

#[tokio::test]
async fn cancel_during_a_long_bash_kills_its_process_group() {
    let t = AgentEnv::new(
        "openai_compatible",
        json!([{"tool_calls": [{"name": "bash", "arguments": {"command": "sleep 300 & echo $! > child.pid; sleep 300"}}]}]),
    )
    .await;
    let automation = t.automation(allow_all()).await;
    let run = t.run(&automation, Attendance::Attended).await;
    // `&` and `$!` make the script opaque: no rule allows it, the person does.
    let Blocker::Permission { request_id, .. } = wait_blocker(&t, &run).await else {
        panic!("an opaque script asks")
    };
    t.env
        .engine
        .reply_permission(&request_id, PermissionDecision::Once, None)
        .await
        .unwrap();
    let pid_file = t.env.workspace.join("child.pid");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    let pid: i32 = loop {
        if let Some(pid) = std::fs::read_to_string(&pid_file)
            .ok()
            .and_then(|p| p.trim().parse().ok())
        {
            break pid;
        }
        assert!(tokio::time::Instant::now() < deadline, "bash never started");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert!(alive(pid));
    t.env.engine.cancel_run(&run.id).await.unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while alive(pid) {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the background process {pid} outlived the cancel"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn cancel_while_blocked_stops_the_run() {
    let t = AgentEnv::new("openai_compatible", edit_script()).await;
    let automation = t.automation(json!({})).await;
    let run = t.run(&automation, Attendance::Attended).await;
    wait_blocker(&t, &run).await;
    let stopped = t.env.engine.cancel_run(&run.id).await.unwrap();
    assert_eq!((stopped.state, stopped.blocker), (RunState::Stopped, None));
    assert!(!t.env.workspace.join("out.txt").exists());
}

/// Cancel or delete once the run is `running` but before the agent made its first request.
async fn stop_before_first_request(delete: bool) {
    let t = AgentEnv::new(
        "openai_compatible",
        json!([{"text": "should never be asked"}]),
    )
    .await;
    let agent = Agent::new(t.env.data_dir());
    t.env.executor.script(move |ctx, checkpoints| {
        let agent = agent.clone();
        async move {
            checkpoints.pass("before the agent").await;
            agent.execute(ctx).await
        }
    });
    let automation = t.automation(json!({})).await;
    let run = t.run(&automation, Attendance::Attended).await;
    t.env.executor.checkpoints.reached("before the agent").await;
    assert_eq!(
        t.env.engine.get_run(&run.id).await.unwrap().state,
        RunState::Running
    );
    let stopped = if delete {
        t.env
            .engine
            .delete_automation(&automation.id)
            .await
            .unwrap()
            .stopped
            .unwrap()
    } else {
        t.env.engine.cancel_run(&run.id).await.unwrap()
    };
    t.env.executor.checkpoints.release();
    settle().await;
    assert_eq!(stopped.state, RunState::Stopped);
    assert!(
        t.mock.requests().is_empty(),
        "the provider was never called"
    );
    let transcript = t.transcript(&run).await;
    assert!(
        transcript.iter().all(|m| m.role != Role::Assistant),
        "no assistant message was written"
    );
}

#[tokio::test]
async fn cancel_after_running_before_the_first_request_never_calls_the_provider() {
    stop_before_first_request(false).await;
}

#[tokio::test]
async fn delete_after_running_before_the_first_request_never_calls_the_provider() {
    stop_before_first_request(true).await;
}

#[tokio::test]
async fn continue_context_reuses_the_session_and_records_it_once() {
    let t = AgentEnv::new(
        "anthropic",
        json!([
            {"text": "First answer."},
            {"text": "Second answer, remembering the first."}
        ]),
    )
    .await;
    let automation = t.automation(json!({"context": "continue"})).await;
    let mut rx = t.env.engine.subscribe();
    let first = t
        .finish(&t.run(&automation, Attendance::Attended).await)
        .await;
    let second = t
        .finish(&t.run(&automation, Attendance::Attended).await)
        .await;
    assert_eq!(second.state, RunState::Succeeded, "{second:?}");
    assert_eq!(first.session_id, second.session_id, "the session is reused");
    let stored = t.env.engine.get_automation(&automation.id).await.unwrap();
    assert_eq!(stored.session_id, first.session_id);
    let mut updates = Vec::new();
    while let Ok(record) = rx.try_recv() {
        if let autowork_core::events::Event::AutomationUpdated(a) = record.event {
            updates.push((a.revision, a.session_id.is_some()));
        }
    }
    // Revision 2 records the session, once; 3 and 4 are the two runs ending.
    assert_eq!(updates, vec![(2, true), (3, true), (4, true)]);
    let second_request = &t.mock.requests()[1].body;
    let messages = second_request["messages"].as_array().unwrap();
    assert_eq!(
        messages.len(),
        3,
        "the first prompt, its answer and the new prompt: {messages:?}"
    );
    t.assert_protocol_clean();
}

#[tokio::test]
async fn path_escapes_are_refused_with_a_readable_error() {
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("secret.txt"), "secret").unwrap();
    let t = AgentEnv::new(
        "openai_compatible",
        json!([
            {"tool_calls": [
                {"name": "read", "arguments": {"path": "../secret.txt"}},
                {"name": "read", "arguments": {"path": outside.path().join("secret.txt")}},
                {"name": "read", "arguments": {"path": "link/secret.txt"}}
            ]},
            {"text": "could not read it"}
        ]),
    )
    .await;
    std::os::unix::fs::symlink(outside.path(), t.env.workspace.join("link")).unwrap();
    let automation = t.automation(allow_all()).await;
    let done = t
        .finish(&t.run(&automation, Attendance::Attended).await)
        .await;
    assert_eq!(done.state, RunState::Succeeded);
    let transcript = t.transcript(&done).await;
    let results: Vec<(String, bool)> = transcript
        .iter()
        .flat_map(|m| &m.parts)
        .filter_map(|p| match p {
            Part::ToolResult {
                content, is_error, ..
            } => Some((content.clone(), *is_error)),
            _ => None,
        })
        .collect();
    assert_eq!(results.len(), 3);
    for (content, is_error) in results {
        assert!(
            is_error && content.contains("outside the work directory"),
            "{content}"
        );
        assert!(!content.contains("secret\n") && content != "secret");
    }
}

#[tokio::test]
async fn the_transcript_streams_as_events_and_replays_from_the_store() {
    let t = AgentEnv::new(
        "openai_compatible",
        json!([{"reasoning": "Think first.", "text": "Hello there, friend."}]),
    )
    .await;
    let automation = t.automation(json!({})).await;
    let mut rx = t.env.engine.subscribe();
    let run = t.run(&automation, Attendance::Attended).await;
    t.finish(&run).await;
    settle().await;
    let mut streamed = String::new();
    let mut completed = Vec::new();
    while let Ok(record) = rx.try_recv() {
        if let autowork_core::events::Event::SessionPart(update) = record.event {
            match update.change {
                autowork_core::transcript::PartChange::Delta { part_kind, text }
                    if part_kind == "text" =>
                {
                    streamed.push_str(&text)
                }
                autowork_core::transcript::PartChange::Complete { part } => completed.push(part),
                _ => {}
            }
        }
    }
    assert_eq!(
        streamed, "Hello there, friend.",
        "deltas add up to the text"
    );
    let replayed: Vec<Part> = t
        .transcript(&run)
        .await
        .into_iter()
        .flat_map(|m| m.parts)
        .collect();
    assert_eq!(replayed, completed, "the store replays what was streamed");
    assert_eq!(
        replayed,
        vec![
            Part::Text {
                text: automation.spec.prompt.clone()
            },
            Part::Reasoning {
                text: "Think first.".into()
            },
            Part::Text {
                text: "Hello there, friend.".into()
            },
        ]
    );
}

/// The write before each model call commits while the call goes out, but what the call
/// streams waits for that write: the event stream shows messages in their stored order.
#[tokio::test]
async fn streamed_text_never_runs_ahead_of_the_message_before_it() {
    let mut turns: Vec<Value> = (0..20)
        .map(|i| {
            json!({"text": format!("Reading part {i}."),
                   "tool_calls": [{"name": "read", "arguments": {"path": "notes.txt", "offset": i + 1}}]})
        })
        .collect();
    turns.push(json!({"text": "All read."}));
    let t = AgentEnv::new("openai_compatible", Value::Array(turns)).await;
    std::fs::write(t.env.workspace.join("notes.txt"), "x\n".repeat(100)).unwrap();
    let automation = t.automation(json!({})).await;
    let mut rx = t.env.engine.subscribe();
    let run = t.run(&automation, Attendance::Attended).await;
    let done = t.finish(&run).await;
    assert_eq!(done.state, RunState::Succeeded, "{done:?}");
    settle().await;
    let mut seen: Vec<String> = Vec::new();
    let mut deltas = 0;
    while let Ok(record) = rx.try_recv() {
        if let autowork_core::events::Event::SessionPart(update) = record.event {
            if matches!(
                update.change,
                autowork_core::transcript::PartChange::Delta { .. }
            ) {
                deltas += 1;
            }
            if update.run_id == run.id && !seen.contains(&update.message_id) {
                seen.push(update.message_id);
            }
        }
    }
    let stored: Vec<String> = t.transcript(&run).await.into_iter().map(|m| m.id).collect();
    assert!(
        deltas >= 21,
        "every answer streamed its text ({deltas} deltas)"
    );
    assert_eq!(
        stored.len(),
        42,
        "the prompt, 21 answers and 20 tool results"
    );
    assert_eq!(
        seen, stored,
        "events name the messages in their stored order"
    );
}

/// A model's answer commits while its tool calls are looked at, but a command runs only
/// once the answer that asked for it is stored: with the database's write lock held by
/// another connection when the answer arrives, the command waits for the lock too, so a
/// crash never leaves an effect the transcript does not show.
#[tokio::test]
async fn a_command_waits_until_the_answer_that_asked_for_it_is_stored() {
    if skipped_on_postgres("holding the write lock from another connection") {
        return;
    }
    let t = AgentEnv::new(
        "openai_compatible",
        json!([
            {"tool_calls": [{"name": "bash", "arguments": {"command": "touch ran.txt"}}], "delay_ms": 1000},
            {"text": "Done."}
        ]),
    )
    .await;
    let automation = t.automation(allow_all()).await;
    let run = t.run(&automation, Attendance::Unattended).await;
    // The first request is out and the prompt's write stored: what commits next is the answer.
    let mut asked = false;
    for _ in 0..400 {
        if t.mock.requests().len() == 1 && !t.transcript(&run).await.is_empty() {
            asked = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert!(asked, "the run asked the model and stored its prompt");
    let database = t.env.data_dir().join("autowork.db");
    let mut holder = <sqlx::SqliteConnection as sqlx::Connection>::connect(&format!(
        "sqlite:{}",
        database.display()
    ))
    .await
    .unwrap();
    sqlx::query("BEGIN IMMEDIATE")
        .execute(&mut holder)
        .await
        .unwrap();
    // On a machine so slow that the answer came before the lock, this run tells nothing.
    let answered_first = t.env.workspace.join("ran.txt").exists();
    // The answer arrives about 1 s after the request and waits for the lock; so must the
    // command.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let ran_early = t.env.workspace.join("ran.txt").exists();
    sqlx::query("COMMIT").execute(&mut holder).await.unwrap();
    if answered_first {
        eprintln!("the answer came before the lock was taken: the order was not tested");
    } else {
        assert!(!ran_early, "the command ran before its answer was stored");
    }
    let done = t.finish(&run).await;
    assert_eq!(done.state, RunState::Succeeded, "{done:?}");
    assert!(t.env.workspace.join("ran.txt").exists(), "the command ran");
    assert_eq!(done.steps, 2);
}

#[tokio::test]
async fn the_api_key_never_reaches_the_database_or_the_events() {
    let logs = captured_logs();
    let key = "sk-test-3b1f0c9e-never-store-me";
    std::env::set_var("AUTOWORK_TEST_KEY_NEVER_STORED", key);
    let t = AgentEnv::with_key(
        "openai_compatible",
        json!([{"error": {"status": 401, "message": "bad key"}}]),
        Some("AUTOWORK_TEST_KEY_NEVER_STORED"),
    )
    .await;
    let automation = t.automation(json!({})).await;
    let done = t
        .finish(&t.run(&automation, Attendance::Attended).await)
        .await;
    assert_eq!(done.error.as_ref().unwrap().code, ErrorCode::ProviderError);
    let sent = &t.mock.requests()[0].headers;
    assert!(
        sent.iter()
            .any(|(name, value)| name == "authorization" && value.contains(key)),
        "the key was sent"
    );
    let events =
        serde_json::to_string(&t.env.engine.events_since(0, 10_000).await.unwrap()).unwrap();
    assert!(events.contains("run.updated"), "the events were read");
    assert!(!events.contains(key), "an event holds the API key");
    t.env.engine.shutdown().await;
    let logged = logs.text();
    let port = t
        .mock
        .base_url()
        .rsplit(':')
        .next()
        .unwrap_or_default()
        .to_owned();
    assert!(
        logged.contains(&format!("127.0.0.1:{port}")),
        "this test's logs were captured"
    );
    assert!(!logged.contains(key), "the logs hold the API key");
    for entry in std::fs::read_dir(t.env.data_dir()).unwrap() {
        let path = entry.unwrap().path();
        let bytes = std::fs::read(&path).unwrap_or_default();
        let text = String::from_utf8_lossy(&bytes);
        assert!(!text.contains(key), "{} holds the API key", path.display());
    }
}

/// The logs of every test in this process, from the first call on: a process-wide
/// subscriber, since a thread-scoped one misses events while other tests log on other
/// threads (tracing caches each call site's interest process-wide).
fn captured_logs() -> &'static LogBuffer {
    static LOGS: std::sync::OnceLock<LogBuffer> = std::sync::OnceLock::new();
    LOGS.get_or_init(|| {
        let logs = LogBuffer::default();
        let subscriber = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::new(
                "autowork_core=trace,hyper_util=debug,reqwest=debug",
            ))
            .with_writer(logs.clone())
            .finish();
        let _ = tracing::subscriber::set_global_default(subscriber);
        logs
    })
}

/// Collects what a tracing subscriber writes.
#[derive(Clone, Default)]
struct LogBuffer(Arc<std::sync::Mutex<Vec<u8>>>);

impl LogBuffer {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

impl std::io::Write for LogBuffer {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for LogBuffer {
    type Writer = LogBuffer;

    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

#[tokio::test]
async fn an_unattended_run_that_changed_nothing_is_filed_as_read() {
    let t = AgentEnv::new(
        "openai_compatible",
        json!([
            {"tool_calls": [{"name": "list", "arguments": {"path": "."}}]},
            {"text": "Nothing to do today."},
            {"tool_calls": [{"name": "write", "arguments": {"path": "report.md", "content": "# Report\n"}}]},
            {"text": "Wrote the report."}
        ]),
    )
    .await;
    let automation = t.automation(allow_all()).await;
    let quiet = t
        .finish(&t.run(&automation, Attendance::Unattended).await)
        .await;
    let busy = t
        .finish(&t.run(&automation, Attendance::Unattended).await)
        .await;
    assert_eq!(
        (quiet.state, busy.state),
        (RunState::Succeeded, RunState::Succeeded)
    );
    let inbox: Vec<_> = t
        .env
        .engine
        .inbox()
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.id)
        .collect();
    assert_eq!(
        inbox,
        vec![busy.id],
        "only the run that changed something waits to be seen"
    );
}

#[tokio::test]
async fn a_bash_call_printing_the_environment_shows_no_key() {
    let key = "sk-test-env-7d2a91c4-not-for-commands";
    std::env::set_var("TEST_PROVIDER_KEY_FOR_ENV", key);
    std::env::set_var("AUTOWORK_TEST_SETTING", "engine-only");
    let t = AgentEnv::with_key(
        "openai_compatible",
        json!([
            {"tool_calls": [{"name": "bash", "arguments": {"command": "env"}}]},
            {"text": "done"}
        ]),
        Some("TEST_PROVIDER_KEY_FOR_ENV"),
    )
    .await;
    // Even listed by the automation, a variable holding a provider key is not passed.
    let automation = t
        .automation(json!({
            "permissions": [{"tool": "bash", "command": ["env"], "action": "allow"}],
            "sandbox": {"env": ["TEST_PROVIDER_KEY_FOR_ENV"]},
        }))
        .await;
    let done = t
        .finish(&t.run(&automation, Attendance::Unattended).await)
        .await;
    assert_eq!(done.state, RunState::Succeeded, "{done:?}");
    let output: String = t
        .transcript(&done)
        .await
        .into_iter()
        .flat_map(|m| m.parts)
        .filter_map(|p| match p {
            Part::ToolResult { content, .. } => Some(content),
            _ => None,
        })
        .collect();
    assert!(output.contains("PATH="), "the command ran: {output}");
    assert!(
        !output.contains(key),
        "the key reached the transcript: {output}"
    );
    assert!(!output.contains("TEST_PROVIDER_KEY_FOR_ENV"), "{output}");
    assert!(
        !output.contains("AUTOWORK_"),
        "Autowork's own settings were passed: {output}"
    );
    let second = serde_json::to_string(&t.mock.requests()[1].body).unwrap();
    assert!(
        second.contains("PATH="),
        "the result went back to the model"
    );
    assert!(!second.contains(key), "the key went back to the model");
}

#[tokio::test]
async fn a_provider_error_quoting_the_key_is_stored_redacted() {
    let key = "sk-test-quoted-5e8b27d0-in-an-error";
    std::env::set_var("TEST_PROVIDER_KEY_QUOTED", key);
    let t = AgentEnv::with_key(
        "openai_compatible",
        json!([{"error": {"status": 401, "message": format!("Incorrect API key provided: {key}.")}}]),
        Some("TEST_PROVIDER_KEY_QUOTED"),
    )
    .await;
    let automation = t.automation(json!({})).await;
    let done = t
        .finish(&t.run(&automation, Attendance::Attended).await)
        .await;
    let error = done.error.unwrap();
    assert_eq!(error.code, ErrorCode::ProviderError);
    assert!(
        error
            .message
            .contains("Incorrect API key provided: [redacted]"),
        "{}",
        error.message
    );
    assert!(!error.message.contains(key), "{}", error.message);
    let events =
        serde_json::to_string(&t.env.engine.events_since(0, 10_000).await.unwrap()).unwrap();
    assert!(!events.contains(key), "an event holds the quoted key");
}

#[tokio::test]
async fn a_follow_up_carries_the_conversation_and_links_its_parent() {
    let t = AgentEnv::new(
        "anthropic",
        json!([
            {"tool_calls": [{"name": "read", "arguments": {"path": "README.md"}}]},
            {"text": "The README says hello."},
            {"text": "Also fixed the lint warning."}
        ]),
    )
    .await;
    std::fs::write(t.env.workspace.join("README.md"), "hello\n").unwrap();
    let automation = t.automation(allow_all()).await;
    let parent = t
        .finish(&t.run(&automation, Attendance::Unattended).await)
        .await;
    assert_eq!(parent.state, RunState::Succeeded, "{parent:?}");

    let engine = &t.env.engine;
    let follow_up = engine
        .follow_up(
            &parent.id,
            "  now also fix the lint warning ",
            Attendance::Attended,
        )
        .await
        .unwrap();
    assert_eq!(
        follow_up.follow_up,
        Some(autowork_core::ledger::FollowUp {
            of: parent.id.clone(),
            message: "now also fix the lint warning".into(),
        })
    );
    assert_eq!(
        (follow_up.attendance, follow_up.trigger),
        (Attendance::Attended, RunTrigger::Manual)
    );
    let done = t.finish(&follow_up).await;
    assert_eq!(done.state, RunState::Succeeded, "{done:?}");
    assert_eq!(done.result.as_deref(), Some("Also fixed the lint warning."));
    assert_eq!(done.session_id, parent.session_id, "one conversation");
    assert_eq!(
        engine.get_run(&done.id).await.unwrap().follow_up,
        done.follow_up
    );

    // The model saw the parent's whole conversation, then the new message.
    let request = &t.mock.requests()[2].body;
    let messages = request["messages"].as_array().unwrap();
    let roles: Vec<&str> = messages
        .iter()
        .map(|m| m["role"].as_str().unwrap())
        .collect();
    assert_eq!(
        roles,
        ["user", "assistant", "user", "assistant", "user"],
        "prompt, tool call, tool result, answer, follow-up: {messages:?}"
    );
    let text = serde_json::to_string(messages).unwrap();
    assert!(text.contains(&automation.spec.prompt), "{text}");
    assert!(text.contains("hello"), "the tool result: {text}");
    assert_eq!(
        messages[4]["content"]
            .to_string()
            .contains("now also fix the lint warning"),
        true,
        "{messages:?}"
    );
    // The follow-up's transcript holds its own turn; the parent's stays as it was.
    let own = engine.run_transcript(&done.id).await.unwrap();
    assert_eq!(own.len(), 2, "the message and the answer: {own:?}");
    t.assert_protocol_clean();
}

#[tokio::test]
async fn a_follow_up_needs_an_ended_run_that_talked_to_the_model_and_words() {
    use autowork_core::Error;
    let t = AgentEnv::new("anthropic", json!([{"text": "Done."}])).await;
    let automation = t.automation(json!({})).await;
    let engine = &t.env.engine;
    let field = |e: Error| match e {
        Error::InvalidInput(details) => details[0].field.clone(),
        other => panic!("not invalid input: {other:?}"),
    };

    let missing = autowork_core::ids::RunId::from("run_missing");
    assert!(matches!(
        engine
            .follow_up(&missing, "more", Attendance::Attended)
            .await,
        Err(Error::NotFound { entity: "run", .. })
    ));

    // Holds the run in its executor: not ended yet.
    hold_until_released(&t.env.executor);
    let active = t.run(&automation, Attendance::Attended).await;
    t.env.executor.checkpoints.reached("working").await;
    let err = engine
        .follow_up(&active.id, "more", Attendance::Attended)
        .await
        .unwrap_err();
    assert_eq!(field(err), "run_id");
    t.env.executor.checkpoints.release();
    let ended = t.finish(&active).await;
    assert_eq!(
        ended.session_id, None,
        "the scripted executor never talked to a model"
    );
    let err = engine
        .follow_up(&ended.id, "more", Attendance::Attended)
        .await
        .unwrap_err();
    assert_eq!(field(err), "run_id");
    let err = engine
        .follow_up(&ended.id, " \n ", Attendance::Attended)
        .await
        .unwrap_err();
    assert_eq!(field(err), "message");
    let runs = engine
        .list_runs(&Default::default(), None, None)
        .await
        .unwrap()
        .runs;
    assert_eq!(runs.len(), 1, "nothing was queued: {runs:?}");
}

#[tokio::test]
async fn a_run_has_no_way_to_make_automations_and_is_told_to_say_so() {
    let t = AgentEnv::new(
        "anthropic",
        json!([{"text": "I cannot create automations; use the Autowork app or `autowork automation create`."}]),
    )
    .await;
    let automation = t
        .automation(json!({"prompt": "Create an automation that runs the tests every night."}))
        .await;
    let run = t
        .finish(&t.run(&automation, Attendance::Attended).await)
        .await;
    assert_eq!(run.state, RunState::Succeeded, "{run:?}");
    let request = &t.mock.requests()[0].body;
    let tools: Vec<&str> = request["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|tool| tool["name"].as_str().unwrap())
        .collect();
    assert!(
        tools.iter().all(|name| !name.contains("automation")),
        "no tool touches automations: {tools:?}"
    );
    let system = request["system"].to_string();
    assert!(
        system.contains("You cannot create, change, delete, pause or start automations"),
        "{system}"
    );
    let before = t.env.engine.list_automations().await.unwrap();
    assert_eq!(before.len(), 1, "still only the one automation");
}
