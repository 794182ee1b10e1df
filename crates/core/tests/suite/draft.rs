//! Drafting an automation from a sentence, against the scriptable model server: one tool
//! call, validation problems sent back for at most two repairs, least privilege enforced
//! on the answer, nothing saved.

use autowork_core::definition::ModelRef;
use autowork_core::draft::{Draft, DraftRequest, DRAFT_TOOL};
use autowork_core::{ApiError, Error};
use pretty_assertions::assert_eq;
use serde_json::{json, Value};

use super::agent::AgentEnv;

fn request(t: &AgentEnv, sentence: &str) -> DraftRequest {
    DraftRequest {
        sentence: sentence.into(),
        workspace: Some(t.env.workspace.clone()),
        timezone: Some("Europe/Berlin".into()),
        model: Some(ModelRef {
            provider_id: "mock".into(),
            model_id: "mock-coder".into(),
        }),
    }
}

/// A proposal with `changes` applied. Its workspace is left empty: the engine fills in the
/// one the user chose (the env's temp dir, unknown when the script is written).
fn proposal(changes: Value) -> Value {
    let mut definition = json!({
        "title": "Weekday notes",
        "prompt": "Summarize yesterday's changes into NOTES.md.",
        "workspace": "",
        "model": {"provider_id": "mock", "model_id": "mock-coder"},
        "trigger": {"kind": "cron", "expression": "0 9 * * 1-5", "timezone": "Europe/Berlin"},
        "permissions": [{"tool": "edit", "pattern": "NOTES.md", "action": "allow"}],
    });
    for (key, value) in changes.as_object().unwrap() {
        definition[key] = value.clone();
    }
    definition
}

fn propose(arguments: Value) -> Value {
    json!({"tool_calls": [{"name": DRAFT_TOOL, "arguments": arguments}]})
}

async fn draft(t: &AgentEnv, sentence: &str) -> Result<Draft, Error> {
    t.env.engine.draft_automation(request(t, sentence)).await
}

async fn automation_count(t: &AgentEnv) -> usize {
    t.env.engine.list_automations().await.unwrap().len()
}

#[tokio::test]
async fn a_sentence_becomes_a_valid_draft_with_a_summary_and_nothing_is_saved() {
    let arguments = proposal(json!({}));
    let t = AgentEnv::new(
        "openai_compatible",
        json!([{
            "expect": {"tool_offered": DRAFT_TOOL, "last_user_contains": "every weekday at 9"},
            "tool_calls": [{"name": DRAFT_TOOL, "arguments": arguments}],
        }]),
    )
    .await;
    std::fs::write(t.env.workspace.join("NOTES.md"), "notes").unwrap();
    std::fs::write(t.env.workspace.join(".env"), "TOKEN=secret").unwrap();

    let draft = draft(
        &t,
        "every weekday at 9, summarize yesterday's changes into NOTES.md",
    )
    .await
    .unwrap();

    t.assert_protocol_clean();
    assert_eq!(draft.problems, vec![], "the proposal validates");
    assert_eq!(draft.model_calls, 1);
    assert_eq!(draft.adjustments, vec![]);
    assert_eq!(draft.definition["title"], "Weekday notes");
    let summary = &draft.summary;
    assert_eq!(summary.next_fires.len(), 5, "the next five fires");
    assert!(
        summary.next_fires_local[0].contains("09:00 CET"),
        "fires in the user's zone: {:?}",
        summary.next_fires_local
    );
    assert_eq!(summary.model.as_deref(), Some("mock/mock-coder"));
    assert_eq!(
        summary.allowed,
        [
            "read, list and search files in the work directory (the default)",
            "edit files matching `NOTES.md`"
        ]
    );
    assert!(!summary.network);
    assert_eq!(automation_count(&t).await, 0, "drafting saves nothing");

    // What the model was told: the sentence's context, no file contents, no hidden files.
    let body = &t.mock.requests()[0].body;
    let sent = body.to_string();
    assert!(
        sent.contains("NOTES.md") && sent.contains("Europe/Berlin"),
        "{sent}"
    );
    assert!(
        sent.contains("claude-sonnet-4-5"),
        "the catalog is in the prompt"
    );
    assert!(
        !sent.contains(".env") && !sent.contains("TOKEN=secret"),
        "{sent}"
    );
    let tool = &body["tools"][0]["function"];
    assert_eq!(tool["name"], DRAFT_TOOL);
    assert!(tool["parameters"]["properties"]["trigger"].is_object());
    assert!(tool["parameters"]["properties"]
        .get("format_version")
        .is_none());

    // The draft is what a create takes.
    let created = t
        .env
        .engine
        .create_automation(&draft.definition)
        .await
        .unwrap();
    assert_eq!(created.spec.title, "Weekday notes");
}

#[tokio::test]
async fn an_invalid_cron_is_sent_back_and_repaired_once() {
    let bad = proposal(
        json!({"trigger": {"kind": "cron", "expression": "0 25 * * *", "timezone": "Europe/Berlin"}}),
    );
    let good = proposal(json!({}));
    let t = AgentEnv::new(
        "anthropic",
        json!([
            propose(bad),
            {
                "expect": {"last_tool_result_contains": "invalid_cron_expression"},
                "tool_calls": [{"name": DRAFT_TOOL, "arguments": good}],
            },
        ]),
    )
    .await;

    let draft = draft(&t, "every weekday at 9, summarize NOTES.md")
        .await
        .unwrap();

    t.assert_protocol_clean();
    assert_eq!(draft.problems, vec![]);
    assert_eq!(draft.model_calls, 2, "one repair");
    let second = t.mock.requests()[1].body.to_string();
    assert!(
        second.contains("trigger.expression"),
        "the repair request names the field: {second}"
    );
    assert_eq!(
        draft.definition["trigger"]["expression"], "0 9 * * 1-5",
        "the repaired cron"
    );
}

#[tokio::test]
async fn a_draft_still_invalid_after_two_repairs_returns_its_problems_and_saves_nothing() {
    let bad =
        proposal(json!({"trigger": {"kind": "interval", "every_ms": 1000}, "step_cap": 9000}));
    let t = AgentEnv::new(
        "openai_compatible",
        json!([propose(bad.clone()), propose(bad.clone()), propose(bad)]),
    )
    .await;

    let draft = draft(&t, "every second, look at NOTES.md").await.unwrap();

    t.assert_protocol_clean();
    assert_eq!(draft.model_calls, 3, "two repairs at most");
    assert_eq!(t.mock.turns_used(), 3);
    let problems: Vec<(&str, &str)> = draft
        .problems
        .iter()
        .map(|p| (p.field.as_str(), p.message.as_str()))
        .collect();
    assert_eq!(
        problems,
        [
            ("trigger.every_ms", "interval_below_minimum_30000ms"),
            ("step_cap", "step_cap_out_of_range_1_500"),
        ]
    );
    assert_eq!(automation_count(&t).await, 0, "nothing saved");
    assert!(
        draft.summary.next_fires.is_empty(),
        "no fires for an invalid trigger"
    );
}

#[tokio::test]
async fn drafts_keep_least_privilege_whatever_the_model_proposed() {
    let greedy = proposal(json!({
        "workspace": "/",
        "permissions": [
            {"tool": "bash", "command": ["cargo", "test"], "action": "allow"},
            {"tool": "edit", "pattern": "NOTES.md", "action": "allow"},
        ],
        "sandbox": {"network": true},
    }));
    let t = AgentEnv::new(
        "openai_compatible",
        json!([propose(greedy.clone()), propose(greedy)]),
    )
    .await;

    let quiet = draft(&t, "every weekday at 9, summarize NOTES.md")
        .await
        .unwrap();
    assert_eq!(quiet.problems, vec![]);
    assert_eq!(
        quiet.definition["permissions"],
        json!([{"tool": "edit", "pattern": "NOTES.md", "action": "allow"}]),
        "no command runs without asking"
    );
    assert_eq!(quiet.definition["sandbox"]["network"], json!(false));
    assert_eq!(
        quiet.definition["workspace"],
        json!(t.env.workspace.canonicalize().unwrap()),
        "the workspace the user chose"
    );
    let said: Vec<(&str, &str)> = quiet
        .adjustments
        .iter()
        .map(|a| (a.field.as_str(), a.reason.as_str()))
        .collect();
    assert_eq!(
        said,
        [
            ("workspace", "you chose this work directory"),
            (
                "permissions",
                "the sentence does not ask to run commands, so they ask first"
            ),
            (
                "sandbox.network",
                "the sentence does not ask for the internet"
            ),
        ]
    );

    let asked = draft(
        &t,
        "every night, run cargo test and note failures in NOTES.md",
    )
    .await
    .unwrap();
    assert_eq!(
        asked.definition["permissions"][0]["command"],
        json!(["cargo", "test"]),
        "asked for: kept"
    );
    assert!(asked
        .summary
        .allowed
        .contains(&"run any command that starts with `cargo test`".to_owned()));
    assert_eq!(
        asked.definition["sandbox"]["network"],
        json!(false),
        "commands, not the internet"
    );
}

#[tokio::test]
async fn a_model_that_answers_in_words_is_a_structured_error() {
    let t = AgentEnv::new(
        "openai_compatible",
        json!([{"text": "Sure! I would run it every weekday."}]),
    )
    .await;

    let error = draft(&t, "every weekday at 9, summarize NOTES.md")
        .await
        .unwrap_err();

    let api = ApiError::from(error);
    let ApiError::Internal { error, message } = &api else {
        panic!("expected an internal error, got {api:?}");
    };
    assert_eq!(error, "no_proposal");
    assert!(
        message.contains("I would run it every weekday"),
        "{message}"
    );
    assert_eq!(automation_count(&t).await, 0);
}

#[tokio::test]
async fn a_provider_that_fails_is_a_structured_error_not_a_draft() {
    let t = AgentEnv::new(
        "openai_compatible",
        json!([{"error": {"status": 401, "message": "invalid api key"}}]),
    )
    .await;

    let api = ApiError::from(draft(&t, "summarize NOTES.md").await.unwrap_err());

    let ApiError::Internal { error, message } = &api else {
        panic!("expected an internal error, got {api:?}");
    };
    assert_eq!(error, "provider_error");
    assert!(message.contains("401"), "{message}");
    assert_eq!(automation_count(&t).await, 0);
}

#[tokio::test]
async fn a_missing_key_or_an_empty_sentence_is_a_structured_error() {
    let t = AgentEnv::with_key(
        "openai_compatible",
        json!([]),
        Some("AUTOWORK_TEST_DRAFT_KEY_NEVER_SET"),
    )
    .await;
    let api = ApiError::from(draft(&t, "summarize NOTES.md").await.unwrap_err());
    assert!(
        matches!(&api, ApiError::Internal { error, .. } if error == "missing_api_key"),
        "{api:?}"
    );
    assert_eq!(t.mock.requests().len(), 0, "nothing was sent");

    let api = ApiError::from(draft(&t, "   ").await.unwrap_err());
    let ApiError::Validation { details, .. } = &api else {
        panic!("expected a validation error, got {api:?}");
    };
    assert_eq!(details[0].field, "sentence");
}
