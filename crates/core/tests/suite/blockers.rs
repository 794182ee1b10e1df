//! Blocking for input: attended runs wait and resume on the answer; unattended runs do not
//! wait; answers are checked against what is pending.

use autowork_core::events::Event;
use autowork_core::executor::{BlockError, Outcome};
use autowork_core::ids::BlockerId;
use autowork_core::ledger::{
    Attendance, Blocker, BlockerReply, ErrorCode, PermissionDecision, Question, RunState,
};
use autowork_core::ApiError;
use pretty_assertions::assert_eq;

use super::support::*;

fn permission(id: &BlockerId) -> Blocker {
    Blocker::Permission {
        request_id: id.clone(),
        tool: "bash".into(),
        summary: "run `cargo test`".into(),
        preview: None,
        reason: None,
        always: vec!["allow exactly: cargo test".into()],
        always_options: autowork_core::agent::permissions::always_options(
            "bash",
            "cargo test",
            Some(&autowork_core::agent::permissions::decide_bash(
                &[],
                "cargo test",
            )),
        ),
    }
}

/// An executor that asks for the given blocker and reports the reply as its result.
fn ask(env: &TestEnv, blocker: Blocker) {
    env.executor.script(move |ctx, _| {
        let blocker = blocker.clone();
        async move {
            match ctx.block(blocker).await {
                Ok(reply) => Outcome::Succeeded {
                    result: serde_json::to_string(&reply).unwrap(),
                },
                Err(BlockError::Unattended) => Outcome::Failed {
                    code: ErrorCode::NeedsUserInput,
                    message: "wanted to run `cargo test`".into(),
                },
                Err(e) => Outcome::Failed {
                    code: ErrorCode::ExecutionFailed,
                    message: e.to_string(),
                },
            }
        }
    });
}

#[tokio::test]
async fn attended_permission_blocks_then_resumes_on_the_reply() {
    let env = TestEnv::new().await;
    let request = BlockerId::new();
    ask(&env, permission(&request));
    let automation = env.automation().await;
    let mut rx = env.engine.subscribe();
    let run = env
        .engine
        .run_now(&automation.id, Attendance::Attended)
        .await
        .unwrap();

    let waiting = wait_for_state(&env.engine, &run.id, RunState::AwaitingInput).await;
    assert_eq!(waiting.blocker, Some(permission(&request)));

    let resumed = env
        .engine
        .reply_permission(&request, PermissionDecision::Once, Some("go".into()))
        .await
        .unwrap();
    assert_eq!(resumed.state, RunState::Running);
    assert_eq!(resumed.blocker, None);
    let done = wait_for_state(&env.engine, &run.id, RunState::Succeeded).await;
    let reply: BlockerReply = serde_json::from_str(done.result.as_deref().unwrap()).unwrap();
    assert_eq!(
        reply,
        BlockerReply::Permission {
            decision: PermissionDecision::Once,
            message: Some("go".into()),
            always_choice: None,
        }
    );
    settle().await;
    let events = drain_run_events(&mut rx, &run.id);
    let kinds: Vec<&str> = events.iter().map(Event::kind).collect();
    assert_eq!(
        kinds,
        vec![
            "run.updated",
            "run.updated",
            "run.updated",
            "blocker.raised",
            "run.updated",
            "blocker.resolved",
            "run.updated"
        ]
    );
    assert_eq!(
        states(&events),
        vec![
            RunState::Queued,
            RunState::Running,
            RunState::AwaitingInput,
            RunState::Running,
            RunState::Succeeded
        ]
    );
}

#[tokio::test]
async fn questions_are_answered_one_answer_per_question() {
    let env = TestEnv::new().await;
    let call = BlockerId::new();
    ask(
        &env,
        Blocker::Question {
            call_id: call.clone(),
            questions: vec![
                Question {
                    question: "Which branch?".into(),
                    choices: vec!["main".into(), "dev".into()],
                },
                Question {
                    question: "Commit message?".into(),
                    choices: vec![],
                },
            ],
        },
    );
    let automation = env.automation().await;
    let run = env
        .engine
        .run_now(&automation.id, Attendance::Attended)
        .await
        .unwrap();
    wait_for_state(&env.engine, &run.id, RunState::AwaitingInput).await;

    let wrong_count = env
        .engine
        .answer_question(&call, vec!["main".into()])
        .await
        .unwrap_err();
    assert!(
        matches!(ApiError::from(wrong_count), ApiError::Validation { details, .. } if details[0].message == "answer_count_mismatch")
    );
    let not_permission = env
        .engine
        .reply_permission(&call, PermissionDecision::Once, None)
        .await
        .unwrap_err();
    assert!(
        matches!(ApiError::from(not_permission), ApiError::Validation { details, .. } if details[0].message == "not_a_permission_request")
    );
    assert_eq!(
        env.engine.get_run(&run.id).await.unwrap().state,
        RunState::AwaitingInput
    );

    env.engine
        .answer_question(&call, vec!["dev".into(), "fix: tests".into()])
        .await
        .unwrap();
    let done = wait_for_state(&env.engine, &run.id, RunState::Succeeded).await;
    assert!(done.result.unwrap().contains("fix: tests"));
}

#[tokio::test]
async fn a_reply_to_a_request_no_longer_pending_is_a_clear_error() {
    let env = TestEnv::new().await;
    let request = BlockerId::new();
    ask(&env, permission(&request));
    let automation = env.automation().await;
    let run = env
        .engine
        .run_now(&automation.id, Attendance::Attended)
        .await
        .unwrap();
    wait_for_state(&env.engine, &run.id, RunState::AwaitingInput).await;
    env.engine
        .reply_permission(&request, PermissionDecision::Reject, None)
        .await
        .unwrap();
    let twice = env
        .engine
        .reply_permission(&request, PermissionDecision::Once, None)
        .await
        .unwrap_err();
    assert!(
        matches!(ApiError::from(twice), ApiError::Conflict { ref error, .. } if error == "request_not_pending")
    );
    let unknown = env
        .engine
        .reply_permission(&BlockerId::new(), PermissionDecision::Once, None)
        .await
        .unwrap_err();
    assert!(matches!(ApiError::from(unknown), ApiError::Conflict { .. }));
}

#[tokio::test]
async fn unattended_run_that_needs_input_fails_without_waiting() {
    let env = TestEnv::new().await;
    ask(&env, permission(&BlockerId::new()));
    let automation = env.automation().await;
    let run = env
        .engine
        .run_now(&automation.id, Attendance::Unattended)
        .await
        .unwrap();
    let failed = wait_for_state(&env.engine, &run.id, RunState::Failed).await;
    assert_eq!(failed.error.unwrap().code, ErrorCode::NeedsUserInput);
}

#[tokio::test]
async fn unattended_run_waits_when_the_automation_allows_it() {
    let env = TestEnv::new().await;
    let request = BlockerId::new();
    ask(&env, permission(&request));
    let mut definition = env.definition();
    definition["wait_for_input_when_unattended"] = serde_json::json!(true);
    let automation = env.engine.create_automation(&definition).await.unwrap();
    let run = env
        .engine
        .run_now(&automation.id, Attendance::Unattended)
        .await
        .unwrap();
    wait_for_state(&env.engine, &run.id, RunState::AwaitingInput).await;
    env.engine
        .reply_permission(&request, PermissionDecision::Once, None)
        .await
        .unwrap();
    wait_for_state(&env.engine, &run.id, RunState::Succeeded).await;
}

#[tokio::test]
async fn an_answer_given_in_another_process_resumes_the_run() {
    let env = TestEnv::new().await;
    let request = BlockerId::new();
    ask(&env, permission(&request));
    let automation = env.automation().await;
    let run = env
        .engine
        .run_now(&automation.id, Attendance::Attended)
        .await
        .unwrap();
    wait_for_state(&env.engine, &run.id, RunState::AwaitingInput).await;
    let other = env.second_engine(ScriptedExecutor::new()).await;
    other
        .reply_permission(&request, PermissionDecision::Always, None)
        .await
        .unwrap();
    wait_for_state(&env.engine, &run.id, RunState::Succeeded).await;
    other.shutdown().await;
}
