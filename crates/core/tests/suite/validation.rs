//! Every rule of the automation definition, all problems reported together, and updates
//! with optimistic concurrency.

use autowork_core::definition::{
    CatchUp, ContextMode, Overlap, PermissionAction, Placement, StopCondition, Trigger,
};
use autowork_core::{ApiError, Error, ValidationDetail};
use pretty_assertions::assert_eq;
use serde_json::{json, Value};

use super::support::*;

/// The (field, message) pairs a create of `definition` is refused with.
async fn problems(env: &TestEnv, definition: Value) -> Vec<(String, String)> {
    match env.engine.create_automation(&definition).await {
        Err(Error::InvalidAutomation(details)) => details
            .into_iter()
            .map(|d: ValidationDetail| (d.field, d.message))
            .collect(),
        other => panic!("expected invalid_automation, got {other:?}"),
    }
}

fn pair(field: &str, message: &str) -> (String, String) {
    (field.to_owned(), message.to_owned())
}

/// The env's valid definition with `changes` applied at the top level.
fn with(env: &TestEnv, changes: Value) -> Value {
    let mut definition = env.definition();
    for (key, value) in changes.as_object().unwrap() {
        definition[key] = value.clone();
    }
    definition
}

#[tokio::test]
async fn a_valid_definition_gets_defaults_an_id_and_revision_one() {
    let env = TestEnv::new().await;
    let automation = env.automation().await;
    assert!(automation.id.as_str().starts_with("aut_"));
    assert_eq!(automation.revision, 1);
    let spec = &automation.spec;
    assert_eq!(spec.trigger, Trigger::Manual);
    assert_eq!(spec.stop, StopCondition::Never);
    assert_eq!(spec.context, ContextMode::Fresh);
    assert_eq!(spec.placement, Placement::InPlace);
    assert_eq!(spec.step_cap, 50);
    assert!(!spec.paused);
    assert_eq!(spec.catch_up, CatchUp::Once);
    assert_eq!(spec.catch_up_max_age_hours, 168, "a week");
    assert_eq!(spec.overlap, Overlap::Skip);
    assert_eq!(
        spec.workspace,
        std::fs::canonicalize(&env.workspace)
            .unwrap()
            .to_str()
            .unwrap()
    );
    assert_eq!(
        env.engine.get_automation(&automation.id).await.unwrap(),
        automation
    );
}

#[tokio::test]
async fn every_field_round_trips_through_the_store() {
    let env = TestEnv::new().await;
    std::fs::create_dir_all(env.workspace.join(".git")).unwrap();
    let definition = with(
        &env,
        json!({
            "variant": "high",
            "trigger": {"kind": "cron", "expression": "0 9 * * 1-5", "timezone": "Europe/Berlin"},
            "stop": {"kind": "after_runs", "count": 10},
            "context": "continue",
            "placement": {"kind": "worktree", "name": "nightly-fix"},
            "permissions": [
                {"tool": "bash", "pattern": "cargo test*", "action": "allow"},
                {"tool": "*", "pattern": "*.env", "action": "deny"}
            ],
            "step_cap": 120,
            "timeout_minutes": 30,
            "budget_usd": 2.5,
            "daily_budget_usd": 10.0,
            "wait_for_input_when_unattended": true,
            "paused": true,
            "catch_up": "skip",
            "catch_up_max_age_hours": 48,
            "overlap": "queue"
        }),
    );
    let created = env.engine.create_automation(&definition).await.unwrap();
    let stored = env.engine.get_automation(&created.id).await.unwrap();
    assert_eq!(stored, created);
    assert_eq!(stored.spec.permissions[1].action, PermissionAction::Deny);
    assert!(stored
        .writer_key()
        .ends_with(".autowork/worktrees/nightly-fix"));
    let listed = env.engine.list_automations().await.unwrap();
    assert_eq!(listed, vec![created]);
}

#[tokio::test]
async fn all_problems_come_back_together() {
    let env = TestEnv::new().await;
    let definition = json!({
        "title": "x".repeat(161),
        "prompt": "",
        "workspace": "relative/path",
        "model": {"provider_id": "nope", "model_id": "missing"},
        "trigger": {"kind": "cron", "expression": "61 * * * *", "timezone": "Mars/Olympus"},
        "step_cap": 0,
        "colour": "blue"
    });
    assert_eq!(
        problems(&env, definition).await,
        vec![
            pair("colour", "unsupported_field"),
            pair("title", "title_too_long_160"),
            pair("prompt", "must_not_be_empty"),
            pair("workspace", "workspace_must_be_absolute"),
            pair("model", "unknown_model"),
            pair("trigger.expression", "invalid_cron_expression"),
            pair("trigger.timezone", "invalid_timezone"),
            pair("step_cap", "step_cap_out_of_range_1_500"),
        ]
    );
}

#[tokio::test]
async fn each_rule_has_its_own_message() {
    let env = TestEnv::new().await;
    let file = env.workspace.join("file.txt");
    std::fs::write(&file, "x").unwrap();
    let past = "2001-01-01T00:00:00Z";
    let cases: Vec<(Value, (String, String))> = vec![
        (json!({"title": null}), pair("title", "required")),
        (json!({"title": "   "}), pair("title", "must_not_be_empty")),
        (
            json!({"title": "two\nlines"}),
            pair("title", "title_has_control_characters"),
        ),
        (json!({"title": 7}), pair("title", "invalid_type")),
        (
            json!({"prompt": "p".repeat(20_001)}),
            pair("prompt", "prompt_too_long_20000"),
        ),
        (
            json!({"workspace": "/definitely/not/here"}),
            pair("workspace", "workspace_not_found"),
        ),
        (
            json!({"workspace": file}),
            pair("workspace", "workspace_not_a_directory"),
        ),
        (
            json!({"model": {"provider_id": "openai"}}),
            pair("model.model_id", "required"),
        ),
        (
            json!({"model": {"provider_id": "mock", "model_id": "mock-coder", "x": 1}}),
            pair("model.x", "unsupported_field"),
        ),
        (
            json!({"model": {"provider_id": "openai", "model_id": "gpt-4.1"}, "variant": "high"}),
            pair("variant", "variant_not_supported"),
        ),
        (
            json!({"variant": "extreme"}),
            pair("variant", "unknown_variant"),
        ),
        (
            json!({"trigger": {"kind": "hourly"}}),
            pair("trigger.kind", "unknown_kind"),
        ),
        (
            json!({"trigger": {"every_ms": 60000}}),
            pair("trigger.kind", "required"),
        ),
        (
            json!({"trigger": {"kind": "interval", "every_ms": 29_999}}),
            pair("trigger.every_ms", "interval_below_minimum_30000ms"),
        ),
        (
            json!({"trigger": {"kind": "interval"}}),
            pair("trigger.every_ms", "required"),
        ),
        (
            json!({"trigger": {"kind": "once", "fire_at": past}}),
            pair("trigger.fire_at", "fire_at_must_be_future"),
        ),
        (
            json!({"trigger": {"kind": "once", "fire_at": "tomorrow"}}),
            pair("trigger.fire_at", "invalid_timestamp"),
        ),
        (
            json!({"trigger": {"kind": "cron", "expression": "0 9 * *", "timezone": "UTC"}}),
            pair("trigger.expression", "invalid_cron_expression"),
        ),
        (
            json!({"trigger": {"kind": "manual", "every_ms": 1}}),
            pair("trigger.every_ms", "unsupported_field"),
        ),
        (
            json!({"trigger": {"kind": "interval", "every_ms": 60000}, "stop": {"kind": "after_runs", "count": 0}}),
            pair("stop.count", "stop_count_below_minimum_1"),
        ),
        (
            json!({"trigger": {"kind": "interval", "every_ms": 60000}, "stop": {"kind": "until", "at": past}}),
            pair("stop.at", "until_must_be_future"),
        ),
        (
            json!({"stop": {"kind": "after_runs", "count": 3}}),
            pair("stop", "stop_requires_recurring_trigger"),
        ),
        (
            json!({"context": "forever"}),
            pair("context", "unknown_context"),
        ),
        (
            json!({"placement": {"kind": "worktree", "name": "Bad Name"}}),
            pair("placement.name", "invalid_worktree_name"),
        ),
        (
            json!({"placement": {"kind": "worktree", "name": "ok"}}),
            pair("placement", "worktree_requires_git_repository"),
        ),
        (
            json!({"permissions": [{"tool": "rm", "action": "allow"}]}),
            pair("permissions[0].tool", "unknown_tool"),
        ),
        (
            json!({"permissions": [{"tool": "bash", "pattern": "", "action": "allow"}]}),
            pair("permissions[0].pattern", "pattern_length_1_1000"),
        ),
        (
            json!({"permissions": [{"tool": "bash", "command": ["ls"], "action": "maybe"}]}),
            pair("permissions[0].action", "unknown_action"),
        ),
        (
            json!({"permissions": {}}),
            pair("permissions", "invalid_type"),
        ),
        (
            json!({"step_cap": 501}),
            pair("step_cap", "step_cap_out_of_range_1_500"),
        ),
        (
            json!({"timeout_minutes": 0}),
            pair("timeout_minutes", "timeout_minutes_out_of_range_1_10080"),
        ),
        (
            json!({"budget_usd": -1}),
            pair("budget_usd", "budget_usd_must_be_positive"),
        ),
        (
            json!({"daily_budget_usd": 0}),
            pair("daily_budget_usd", "daily_budget_usd_must_be_positive"),
        ),
        (json!({"paused": "yes"}), pair("paused", "invalid_type")),
        (
            json!({"catch_up": "twice"}),
            pair("catch_up", "unknown_catch_up"),
        ),
        (
            json!({"catch_up_max_age_hours": 0}),
            pair(
                "catch_up_max_age_hours",
                "catch_up_max_age_hours_out_of_range_1_8760",
            ),
        ),
        (json!({"overlap": 1}), pair("overlap", "unknown_overlap")),
        (json!({"id": "aut_x"}), pair("id", "read_only_field")),
        (json!({"revision": 4}), pair("revision", "read_only_field")),
    ];
    for (changes, expected) in cases {
        let got = problems(&env, with(&env, changes.clone())).await;
        assert_eq!(got, vec![expected], "for {changes}");
    }
    assert_eq!(
        problems(&env, json!([1, 2])).await,
        vec![pair("", "expected_object")]
    );
}

#[tokio::test]
async fn the_wire_error_names_the_code_and_each_detail() {
    let env = TestEnv::new().await;
    let error = env
        .engine
        .create_automation(&with(&env, json!({"step_cap": 0})))
        .await
        .unwrap_err();
    let wire = serde_json::to_value(ApiError::from(error)).unwrap();
    assert_eq!(wire["kind"], "validation");
    assert_eq!(wire["error"], "invalid_automation");
    assert_eq!(
        wire["details"],
        json!([{"field": "step_cap", "message": "step_cap_out_of_range_1_500"}])
    );
}

#[tokio::test]
async fn update_applies_a_patch_and_bumps_the_revision() {
    let env = TestEnv::new().await;
    let automation = env.automation().await;
    let updated = env
        .engine
        .update_automation(
            &automation.id,
            &json!({"title": "Weekly bump", "trigger": {"kind": "interval", "every_ms": 60000}, "variant": "low"}),
            1,
        )
        .await
        .unwrap();
    assert_eq!(updated.revision, 2);
    assert_eq!(updated.spec.title, "Weekly bump");
    assert_eq!(updated.spec.trigger, Trigger::Interval { every_ms: 60000 });
    assert_eq!(
        updated.spec.prompt, automation.spec.prompt,
        "untouched fields stay"
    );
    let cleared = env
        .engine
        .update_automation(&automation.id, &json!({"variant": null}), 2)
        .await
        .unwrap();
    assert_eq!(cleared.spec.variant, None, "null clears an optional field");
    assert_eq!(
        env.engine.get_automation(&automation.id).await.unwrap(),
        cleared
    );
}

#[tokio::test]
async fn a_stale_revision_is_a_conflict_carrying_the_current_one() {
    let env = TestEnv::new().await;
    let automation = env.automation().await;
    env.engine
        .update_automation(&automation.id, &json!({"title": "First"}), 1)
        .await
        .unwrap();
    let error = env
        .engine
        .update_automation(&automation.id, &json!({"title": "Second"}), 1)
        .await
        .unwrap_err();
    assert_eq!(
        serde_json::to_value(ApiError::from(error)).unwrap()["current_revision"],
        json!(2)
    );
    assert_eq!(
        env.engine
            .get_automation(&automation.id)
            .await
            .unwrap()
            .spec
            .title,
        "First"
    );
}

#[tokio::test]
async fn updates_are_validated_and_refused_whole() {
    let env = TestEnv::new().await;
    let automation = env.automation().await;
    let error = env
        .engine
        .update_automation(
            &automation.id,
            &json!({"title": "", "step_cap": 9000, "owner": "me"}),
            1,
        )
        .await
        .unwrap_err();
    match error {
        Error::InvalidAutomation(details) => assert_eq!(details.len(), 3, "{details:?}"),
        other => panic!("{other:?}"),
    }
    assert_eq!(
        env.engine.get_automation(&automation.id).await.unwrap(),
        automation
    );
}

#[tokio::test]
async fn an_unrelated_edit_does_not_recheck_a_past_one_shot_time() {
    let env = TestEnv::new().await;
    let soon = chrono::Utc::now() + chrono::Duration::milliseconds(300);
    let automation = env
        .engine
        .create_automation(&with(
            &env,
            json!({"trigger": {"kind": "once", "fire_at": soon.to_rfc3339()}}),
        ))
        .await
        .unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(400)).await;
    let renamed = env
        .engine
        .update_automation(&automation.id, &json!({"title": "Renamed"}), 1)
        .await
        .unwrap();
    assert_eq!(renamed.spec.title, "Renamed");
}

#[tokio::test]
async fn pause_and_resume_bump_the_revision_and_deleted_automations_are_gone() {
    let env = TestEnv::new().await;
    let automation = env.automation().await;
    let paused = env.engine.set_paused(&automation.id, true).await.unwrap();
    assert!(paused.spec.paused);
    assert_eq!(paused.revision, 2);
    let again = env.engine.set_paused(&automation.id, true).await.unwrap();
    assert_eq!(
        again.revision, 2,
        "pausing a paused automation changes nothing"
    );
    let resumed = env.engine.set_paused(&automation.id, false).await.unwrap();
    assert_eq!(resumed.revision, 3);

    assert_eq!(
        env.engine.delete_automation(&automation.id).await.unwrap(),
        autowork_core::engine::Deleted {
            stopped: None,
            kept_worktree: None
        }
    );
    assert!(matches!(
        env.engine.get_automation(&automation.id).await,
        Err(Error::NotFound { .. })
    ));
    assert!(matches!(
        env.engine.delete_automation(&automation.id).await,
        Err(Error::NotFound { .. })
    ));
    assert_eq!(env.engine.list_automations().await.unwrap(), vec![]);
}

#[tokio::test]
async fn run_now_works_on_a_paused_automation() {
    let env = TestEnv::new().await;
    let automation = env.automation().await;
    env.engine.set_paused(&automation.id, true).await.unwrap();
    let run = env
        .engine
        .run_now(&automation.id, autowork_core::ledger::Attendance::Attended)
        .await
        .unwrap();
    wait_for_state(
        &env.engine,
        &run.id,
        autowork_core::ledger::RunState::Succeeded,
    )
    .await;
}

#[tokio::test]
async fn bash_rules_name_command_words_and_their_examples_are_checked() {
    let env = TestEnv::new().await;
    let cases = [
        (
            json!([{"tool": "bash", "command": ["cargo", "test"], "action": "allow",
                    "examples": {"matching": ["cargo test --all", "cargo testx"],
                                 "not_matching": ["cargo test; rm -rf ~", "cargo test"]}}]),
            vec![
                pair("permissions[0].examples.matching[1]", "example_not_matched"),
                pair("permissions[0].examples.not_matching[1]", "example_matched"),
            ],
        ),
        (
            json!([{"tool": "bash", "action": "allow"}]),
            vec![pair("permissions[0].command", "required")],
        ),
        (
            json!([{"tool": "bash", "command": [], "action": "allow"}]),
            vec![pair("permissions[0].command", "command_words_1_32")],
        ),
        (
            json!([{"tool": "bash", "command": ["ls", ""], "action": "allow"}]),
            vec![pair("permissions[0].command[1]", "word_length_1_1000")],
        ),
        (
            json!([{"tool": "write", "command": ["ls"], "pattern": "src/*", "action": "allow"}]),
            vec![pair("permissions[0].command", "command_only_for_bash")],
        ),
        (
            json!([{"tool": "write", "pattern": "src/*", "action": "allow", "examples": {}}]),
            vec![pair("permissions[0].examples", "examples_only_for_bash")],
        ),
        (
            json!([{"tool": "bash", "command": ["ls"], "pattern": "ls *", "action": "allow"}]),
            vec![pair("permissions[0].pattern", "pattern_or_command")],
        ),
    ];
    for (rules, expected) in cases {
        let got = problems(&env, with(&env, json!({"permissions": rules.clone()}))).await;
        assert_eq!(got, expected, "for {rules}");
    }
}

#[tokio::test]
async fn a_bash_glob_converts_to_command_words_or_is_kept_needing_an_edit() {
    let env = TestEnv::new().await;
    let automation = env
        .engine
        .create_automation(&with(
            &env,
            json!({"permissions": [
                {"tool": "bash", "pattern": "cargo *", "action": "allow", "reason": "builds"},
                {"tool": "bash", "pattern": "git * && ls", "action": "allow"},
            ]}),
        ))
        .await
        .unwrap();
    let rules = &automation.spec.permissions;
    assert_eq!(rules[0].command, Some(vec!["cargo".to_owned()]));
    assert_eq!(rules[0].reason.as_deref(), Some("builds"));
    assert!(!rules[0].needs_edit());
    assert_eq!(rules[1].pattern.as_deref(), Some("git * && ls"));
    assert!(rules[1].needs_edit(), "kept, matching nothing until edited");
    let stored = env.engine.get_automation(&automation.id).await.unwrap();
    assert_eq!(
        &stored.spec.permissions, rules,
        "stored and read back as written"
    );
}

#[tokio::test]
async fn stored_bash_globs_from_before_command_rules_are_migrated_when_read() {
    let env = TestEnv::new().await;
    let automation = env.automation().await;
    // What a database written before command rules holds: bash globs in `pattern`.
    let db = RawDb::open(&env.data_dir()).await;
    for (position, pattern) in ["cargo test *", "git status", "rm -rf *; echo"]
        .iter()
        .enumerate()
    {
        db.execute(
            "INSERT INTO permission_rules (automation_id, position, tool, pattern, action)
             VALUES ($1, $2, 'bash', $3, 'allow')",
            crate::args![automation.id.as_str(), position as i64, *pattern],
        )
        .await;
    }
    db.close().await;
    let read = env.engine.get_automation(&automation.id).await.unwrap();
    let rules = &read.spec.permissions;
    assert_eq!(
        rules
            .iter()
            .map(|r| (r.command.clone(), r.exact, r.needs_edit()))
            .collect::<Vec<_>>(),
        vec![
            (
                Some(vec!["cargo".to_owned(), "test".to_owned()]),
                false,
                false
            ),
            (
                Some(vec!["git".to_owned(), "status".to_owned()]),
                true,
                false
            ),
            (None, false, true),
        ]
    );
}
