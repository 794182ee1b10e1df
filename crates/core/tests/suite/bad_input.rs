//! Input that used to be accepted silently is refused with an error that says what was
//! wrong: an unknown page cursor, an unknown automation filter, a cron expression that never
//! fires. An update that changes nothing is not a change.

use autowork_core::automation_file::parse_schedule;
use autowork_core::catalog::Catalog;
use autowork_core::definition::ValidationContext;
use autowork_core::events::Event;
use autowork_core::ids::AutomationId;
use autowork_core::ledger::{Attendance, RunState};
use autowork_core::{Error, RunFilter, ValidationDetail};
use pretty_assertions::assert_eq;
use serde_json::json;

use super::support::*;

fn fields_and_messages(details: Vec<ValidationDetail>) -> Vec<(String, String)> {
    details.into_iter().map(|d| (d.field, d.message)).collect()
}

#[tokio::test]
async fn a_malformed_or_unknown_cursor_is_invalid_cursor_not_the_first_page() {
    let env = TestEnv::new().await;
    let automation = env.automation().await;
    let run = env
        .engine
        .run_now(&automation.id, Attendance::Attended)
        .await
        .unwrap();
    wait_for_state(&env.engine, &run.id, RunState::Succeeded).await;

    for cursor in ["zzz", "", "run_0192f0c1a2b37c4d8e9fa0b1c2d3e4f5"] {
        let refused = env
            .engine
            .list_runs(&RunFilter::default(), Some(cursor), None)
            .await;
        match refused {
            Err(Error::InvalidInput(details)) => assert_eq!(
                fields_and_messages(details),
                vec![("cursor".to_owned(), "invalid_cursor".to_owned())],
                "cursor {cursor:?}"
            ),
            other => panic!("cursor {cursor:?}: expected invalid_cursor, got {other:?}"),
        }
    }

    // A cursor the engine handed out still pages on.
    let after_run = env
        .engine
        .list_runs(&RunFilter::default(), Some(run.id.as_str()), None)
        .await
        .unwrap();
    assert_eq!(
        after_run.runs,
        Vec::new(),
        "nothing is older than the only run"
    );
}

#[tokio::test]
async fn runs_of_an_unknown_automation_are_not_found_not_an_empty_list() {
    let env = TestEnv::new().await;
    let filter = RunFilter {
        automation_id: Some(AutomationId::from("aut_missing")),
        states: vec![],
        ..Default::default()
    };
    match env.engine.list_runs(&filter, None, None).await {
        Err(Error::NotFound { entity, id }) => {
            assert_eq!((entity, id.as_str()), ("automation", "aut_missing"))
        }
        other => panic!("expected not_found, got {other:?}"),
    }

    // A deleted automation's history stays readable.
    let automation = env.automation().await;
    let run = env
        .engine
        .run_now(&automation.id, Attendance::Attended)
        .await
        .unwrap();
    let run = wait_for_state(&env.engine, &run.id, RunState::Succeeded).await;
    env.engine.delete_automation(&automation.id).await.unwrap();
    let filter = RunFilter {
        automation_id: Some(automation.id.clone()),
        states: vec![],
        ..Default::default()
    };
    let page = env.engine.list_runs(&filter, None, None).await.unwrap();
    let ids: Vec<_> = page.runs.iter().map(|r| r.id.clone()).collect();
    assert_eq!(ids, vec![run.id]);
}

#[tokio::test]
async fn a_cron_that_never_fires_is_refused_with_cron_never_fires() {
    let env = TestEnv::new().await;
    for expression in ["0 9 31 2 *", "0 0 30 2 *"] {
        let mut definition = env.definition();
        definition["trigger"] =
            json!({"kind": "cron", "expression": expression, "timezone": "Europe/Berlin"});
        match env.engine.create_automation(&definition).await {
            Err(Error::InvalidAutomation(details)) => assert_eq!(
                fields_and_messages(details),
                vec![(
                    "trigger.expression".to_owned(),
                    "cron_never_fires".to_owned()
                )],
                "{expression}"
            ),
            other => panic!("{expression}: expected cron_never_fires, got {other:?}"),
        }

        // The schedule preview goes through the same rules.
        let catalog = Catalog::builtin();
        let ctx = ValidationContext {
            catalog: &catalog,
            now: chrono::Utc::now(),
        };
        let trigger = json!({"kind": "cron", "expression": expression, "timezone": "UTC"});
        let refused = parse_schedule(&trigger, None, &ctx).unwrap_err();
        assert_eq!(
            fields_and_messages(refused),
            vec![(
                "trigger.expression".to_owned(),
                "cron_never_fires".to_owned()
            )],
            "preview of {expression}"
        );
    }

    // Rare is not never: 29 February comes within four years.
    let mut definition = env.definition();
    definition["trigger"] = json!({"kind": "cron", "expression": "0 0 29 2 *", "timezone": "UTC"});
    let leap_day = env.engine.create_automation(&definition).await.unwrap();
    assert_eq!(leap_day.status.next_fires.len(), 5);
}

#[tokio::test]
async fn an_update_to_the_same_values_keeps_the_revision_and_publishes_nothing() {
    let env = TestEnv::new().await;
    let automation = env.automation().await;
    let before = env.engine.get_automation(&automation.id).await.unwrap();
    let mut events = env.engine.subscribe();

    let same = env
        .engine
        .update_automation(
            &automation.id,
            &json!({"title": before.spec.title, "step_cap": before.spec.step_cap}),
            before.revision,
        )
        .await
        .unwrap();

    assert_eq!(same, before, "nothing changed, so nothing is new");
    assert_eq!(
        env.engine.get_automation(&automation.id).await.unwrap(),
        before
    );
    settle().await;
    let mut published = Vec::new();
    while let Ok(record) = events.try_recv() {
        published.push(record.event);
    }
    assert_eq!(published, Vec::<Event>::new(), "no event for a non-change");

    // A window still holding the revision it had can make a real change.
    let changed = env
        .engine
        .update_automation(
            &automation.id,
            &json!({"title": "Renamed"}),
            before.revision,
        )
        .await
        .unwrap();
    assert_eq!(
        (changed.revision, changed.spec.title.as_str()),
        (before.revision + 1, "Renamed")
    );
}
