//! The inbox: runs that need the user until they are seen.

use autowork_core::executor::Outcome;
use autowork_core::ids::BlockerId;
use autowork_core::ledger::{Attendance, Blocker, Question, RunState};
use pretty_assertions::assert_eq;

use super::support::*;

#[tokio::test]
async fn finished_runs_stay_in_the_inbox_until_seen_and_waiting_runs_always_are() {
    let env = TestEnv::new().await;
    let one = env.automation_in("one").await;
    let two = env.automation_in("two").await;
    let finished = env
        .engine
        .run_now(&one.id, Attendance::Attended)
        .await
        .unwrap();
    wait_for_state(&env.engine, &finished.id, RunState::Succeeded).await;

    env.executor.script(|ctx, _| async move {
        let _ = ctx
            .block(Blocker::Question {
                call_id: BlockerId::new(),
                questions: vec![Question {
                    question: "Proceed?".into(),
                    choices: vec![],
                }],
            })
            .await;
        Outcome::Succeeded {
            result: "ok".into(),
        }
    });
    let waiting = env
        .engine
        .run_now(&two.id, Attendance::Attended)
        .await
        .unwrap();
    wait_for_state(&env.engine, &waiting.id, RunState::AwaitingInput).await;

    let ids =
        |runs: Vec<autowork_core::ledger::Run>| runs.into_iter().map(|r| r.id).collect::<Vec<_>>();
    assert_eq!(
        ids(env.engine.inbox().await.unwrap()),
        vec![waiting.id.clone(), finished.id.clone()],
        "newest first"
    );
    assert_eq!(
        env.engine
            .mark_seen(&[finished.id.clone(), waiting.id.clone()])
            .await
            .unwrap(),
        2
    );
    assert_eq!(
        ids(env.engine.inbox().await.unwrap()),
        vec![waiting.id.clone()],
        "a waiting run stays until it is answered"
    );
    assert_eq!(
        env.engine
            .mark_seen(std::slice::from_ref(&finished.id))
            .await
            .unwrap(),
        0,
        "already seen"
    );
}
