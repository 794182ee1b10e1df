//! Several engines opening one new data directory at once (the app at login beside the
//! daemon) all succeed: one creates and migrates the database, the others wait for it. The
//! CLI's tests do the same with real processes.

use autowork_core::Engine;
use pretty_assertions::assert_eq;

use super::support::*;

const OPENERS: usize = 8;
const ROUNDS: usize = 4;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn engines_opening_a_new_data_directory_at_once_all_succeed() {
    for round in 0..ROUNDS {
        let dir = tempfile::tempdir().unwrap();
        let data_dir = dir.path().join("data");
        let mut opening = tokio::task::JoinSet::new();
        for _ in 0..OPENERS {
            let config = config(data_dir.clone(), ScriptedExecutor::new());
            opening.spawn(async move { Engine::open(config).await.map_err(|e| e.to_string()) });
        }
        let mut engines = Vec::new();
        let mut failures = Vec::new();
        while let Some(opened) = opening.join_next().await {
            match opened.unwrap() {
                Ok(engine) => engines.push(engine),
                Err(e) => failures.push(e),
            }
        }
        assert_eq!(
            failures,
            Vec::<String>::new(),
            "round {round}: every open succeeds"
        );

        // They share one working database.
        let created = engines[0]
            .create_automation(&serde_json::json!({
                "title": "Shared",
                "prompt": "Look around.",
                "workspace": dir.path(),
                "model": { "provider_id": "mock", "model_id": "mock-coder" },
            }))
            .await
            .unwrap();
        let seen = engines[OPENERS - 1]
            .get_automation(&created.id)
            .await
            .unwrap();
        assert_eq!(seen.id, created.id);
        for engine in engines {
            engine.shutdown().await;
        }
    }
}
