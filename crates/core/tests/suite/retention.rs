//! Retention: a clean-up removes the finished runs past the policy with everything that
//! belongs to them, exactly what its dry run listed, and never a run that must stay; the
//! policy itself; and the scheduling process cleaning up on its own.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use autowork_core::agent::{Agent, HttpPolicy};
use autowork_core::clock::ManualClock;
use autowork_core::definition::Automation;
use autowork_core::executor::{Executor, Outcome};
use autowork_core::ids::{BlockerId, RunId};
use autowork_core::ledger::{Attendance, Blocker, ErrorCode, PermissionDecision, Run, RunState};
use autowork_core::retention::{Compaction, RetentionPolicy};
use autowork_core::{ApiError, Engine, Error};
use autowork_mock_llm::{MockServer, Script};
use chrono::{DateTime, TimeDelta, Utc};
use pretty_assertions::assert_eq;
use serde_json::{json, Value};
use sqlx::sqlite::{SqliteAutoVacuum, SqliteConnectOptions};
use sqlx::SqlitePool;

use super::support::*;

const NOW: &str = "2027-06-01T12:00:00Z";

fn now() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(NOW)
        .unwrap()
        .with_timezone(&Utc)
}

fn days_ago(days: i64) -> DateTime<Utc> {
    now() - TimeDelta::days(days)
}

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

/// An engine on a manual clock whose runs happen days before [`NOW`]: with the real agent
/// against the mock model server (runs with a transcript), or scripted.
struct Ledger {
    env: TestEnv,
    clock: ManualClock,
    agent: Arc<Agent>,
    _mock: MockServer,
}

impl Ledger {
    async fn new() -> Self {
        let clock = ManualClock::new(days_ago(120));
        let env = TestEnv::with_clock(Some(Arc::new(clock.clone()))).await;
        let turns: Vec<Value> = (0..40)
            .map(|i| json!({ "text": format!("Answer {i}.") }))
            .collect();
        let script = Script::from_value(json!({ "model": "mock-coder", "turns": turns })).unwrap();
        let mock = MockServer::start(script).await.unwrap();
        let provider = json!({
            "id": "mock", "kind": "openai_compatible", "base_url": format!("{}/v1", mock.base_url())
        });
        std::fs::write(
            env.data_dir().join("providers.json"),
            json!({ "providers": [provider] }).to_string(),
        )
        .unwrap();
        let agent = Arc::new(Agent::new(env.data_dir()).http_policy(HttpPolicy {
            base_backoff: Duration::from_millis(20),
            max_backoff: Duration::from_millis(100),
            ..HttpPolicy::default()
        }));
        Self {
            env,
            clock,
            agent,
            _mock: mock,
        }
    }

    fn engine(&self) -> &Engine {
        &self.env.engine
    }

    /// An automation on a workspace of its own (so runs of others never wait for it).
    async fn automation(&self, name: &str, changes: Value) -> Automation {
        let workspace = self.env.dir.path().join(name);
        if !workspace.exists() {
            std::fs::create_dir_all(&workspace).unwrap();
        }
        let mut definition = self.env.definition();
        definition["title"] = json!(name);
        definition["workspace"] = json!(workspace);
        for (key, value) in changes.as_object().unwrap() {
            definition[key] = value.clone();
        }
        self.engine().create_automation(&definition).await.unwrap()
    }

    async fn start(&self, automation: &Automation, days: i64) -> Run {
        self.clock.set(days_ago(days));
        self.engine()
            .run_now(&automation.id, Attendance::Attended)
            .await
            .unwrap()
    }

    async fn end(&self, run: &Run, state: RunState, seen: bool) -> Run {
        let done = wait_for_state(self.engine(), &run.id, state).await;
        if seen {
            self.engine()
                .mark_seen(std::slice::from_ref(&run.id))
                .await
                .unwrap();
        }
        done
    }

    /// A run of the agent `days` before now (one model turn: a transcript), filed as seen.
    async fn chat(&self, automation: &Automation, days: i64) -> Run {
        self.chat_seen(automation, days, true).await
    }

    async fn chat_seen(&self, automation: &Automation, days: i64, seen: bool) -> Run {
        let agent = self.agent.clone();
        self.env.executor.script(move |ctx, _| agent.execute(ctx));
        let run = self.start(automation, days).await;
        self.end(&run, RunState::Succeeded, seen).await
    }

    /// A scripted run that ends with `outcome`, filed as seen.
    async fn scripted(&self, automation: &Automation, days: i64, outcome: Outcome) -> Run {
        let state = match outcome {
            Outcome::Succeeded { .. } => RunState::Succeeded,
            Outcome::Failed { .. } => RunState::Failed,
        };
        self.env.executor.script(move |_, _| {
            let outcome = outcome.clone();
            async move { outcome }
        });
        let run = self.start(automation, days).await;
        self.end(&run, state, true).await
    }

    async fn succeeded(&self, automation: &Automation, days: i64) -> Run {
        let done = Outcome::Succeeded {
            result: "done".into(),
        };
        self.scripted(automation, days, done).await
    }

    async fn failed(&self, automation: &Automation, days: i64) -> Run {
        let broke = Outcome::Failed {
            code: ErrorCode::ExecutionFailed,
            message: "the tests broke".into(),
        };
        self.scripted(automation, days, broke).await
    }

    /// A run cancelled while it works: `stopped`, filed as seen.
    async fn cancelled(&self, automation: &Automation, days: i64) -> Run {
        self.env.executor.script(|_, checkpoints| async move {
            checkpoints.pass("working").await;
            Outcome::Succeeded {
                result: "done".into(),
            }
        });
        let run = self.start(automation, days).await;
        self.env.executor.checkpoints.reached("working").await;
        self.engine().cancel_run(&run.id).await.unwrap();
        self.end(&run, RunState::Stopped, true).await
    }

    /// A run that asks for a permission; `answer` replies (the run then succeeds), else it
    /// keeps waiting.
    async fn asking(&self, automation: &Automation, days: i64, answer: bool) -> Run {
        let request = BlockerId::new();
        let blocker = permission(&request);
        self.env.executor.script(move |ctx, _| {
            let blocker = blocker.clone();
            async move {
                match ctx.block(blocker).await {
                    Ok(_) => Outcome::Succeeded {
                        result: "allowed".into(),
                    },
                    Err(e) => Outcome::Failed {
                        code: ErrorCode::ExecutionFailed,
                        message: e.to_string(),
                    },
                }
            }
        });
        let run = self.start(automation, days).await;
        let waiting = wait_for_state(self.engine(), &run.id, RunState::AwaitingInput).await;
        if !answer {
            return waiting;
        }
        self.engine()
            .reply_permission(&request, PermissionDecision::Once, None)
            .await
            .unwrap();
        self.end(&run, RunState::Succeeded, true).await
    }

    /// A worktree run that writes `file` (nothing when `None`), filed as seen.
    async fn writes(&self, automation: &Automation, days: i64, file: Option<&'static str>) -> Run {
        self.env.executor.script(move |ctx, _| async move {
            if let Some(file) = file {
                std::fs::write(ctx.work_dir.join(file), "written by a run\n").unwrap();
            }
            Outcome::Succeeded {
                result: "done".into(),
            }
        });
        let run = self.start(automation, days).await;
        self.end(&run, RunState::Succeeded, true).await
    }

    /// The database, read beside the engine.
    async fn database(&self) -> RawDb {
        RawDb::open(&self.env.data_dir()).await
    }

    fn originals(&self, run: &Run) -> std::path::PathBuf {
        self.env.data_dir().join("originals").join(run.id.as_str())
    }

    /// What a crash leaves: the run's originals on disk.
    fn leave_originals(&self, run: &Run) {
        let dir = self.originals(run);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("manifest.json"), "[]").unwrap();
    }
}

async fn scalar(db: &RawDb, sql: &str) -> u64 {
    u64::try_from(db.scalar(sql).await).unwrap()
}

/// `(id, id, ...)` for SQL.
fn list(runs: &[&Run]) -> String {
    let ids: Vec<String> = runs.iter().map(|r| format!("'{}'", r.id)).collect();
    format!("({})", ids.join(", "))
}

/// Rows that point at something gone, table by table; all zero in a tidy ledger.
async fn orphans(db: &RawDb) -> Vec<(&'static str, u64)> {
    let mut found = Vec::new();
    for (what, sql) in [
        (
            "messages of no run",
            "SELECT COUNT(*) FROM messages WHERE run_id IS NOT NULL
             AND run_id NOT IN (SELECT id FROM runs)",
        ),
        (
            "messages of no session",
            "SELECT COUNT(*) FROM messages WHERE session_id NOT IN (SELECT id FROM sessions)",
        ),
        (
            "parts of no message",
            "SELECT COUNT(*) FROM parts WHERE message_id NOT IN (SELECT id FROM messages)",
        ),
        (
            "sessions nothing names",
            "SELECT COUNT(*) FROM sessions s
             WHERE NOT EXISTS (SELECT 1 FROM runs r WHERE r.session_id = s.id)
               AND NOT EXISTS (SELECT 1 FROM automations a WHERE a.session_id = s.id)",
        ),
        (
            "runs of no session",
            "SELECT COUNT(*) FROM runs WHERE session_id IS NOT NULL
             AND session_id NOT IN (SELECT id FROM sessions)",
        ),
        (
            "changes of no run",
            "SELECT COUNT(*) FROM run_changes WHERE run_id NOT IN (SELECT id FROM runs)",
        ),
        (
            "replies of no run",
            "SELECT COUNT(*) FROM blocker_replies WHERE run_id NOT IN (SELECT id FROM runs)",
        ),
    ] {
        found.push((what, scalar(db, sql).await));
    }
    // PostgreSQL checks every foreign key as it writes; SQLite is asked.
    if let RawDb::Sqlite(pool) = db {
        let broken: Vec<(String, Option<i64>, String, i64)> =
            sqlx::query_as("PRAGMA foreign_key_check")
                .fetch_all(pool)
                .await
                .unwrap();
        found.push(("foreign keys broken", broken.len() as u64));
    }
    found
}

fn ids(runs: &[&Run]) -> BTreeSet<RunId> {
    runs.iter().map(|r| r.id.clone()).collect()
}

#[tokio::test]
async fn gc_removes_exactly_what_its_dry_run_listed_and_never_what_must_stay() {
    let l = Ledger::new().await;

    let plain = l.automation("plain", json!({})).await;
    let p1 = l.chat(&plain, 90).await; // goes
    let p2 = l.failed(&plain, 80).await; // goes: failed, past 60 days
    let p3 = l.failed(&plain, 50).await; // stays: failed runs are kept 60 days
    let p4 = l.cancelled(&plain, 45).await; // goes: stopped
    let p5 = l.chat_seen(&plain, 40, false).await; // stays: unseen in the inbox
    let p6 = l.chat(&plain, 35).await; // goes
    let p7 = l.chat(&plain, 10).await; // stays: recent (and the newest)

    let lonely = l.automation("lonely", json!({})).await;
    let only = l.chat(&lonely, 90).await; // stays: its automation's newest run

    let asker = l.automation("asker", json!({})).await;
    let answered = l.asking(&asker, 90, true).await; // goes, with its blocker reply
    let later = l.succeeded(&asker, 5).await;

    let waiting = l.automation("waiting", json!({})).await;
    let last_success = l.succeeded(&waiting, 95).await; // stays: its last success
    let blocked = l.asking(&waiting, 90, false).await; // stays: waiting for input

    let repo = l.env.dir.path().join("tree");
    std::fs::create_dir_all(&repo).unwrap();
    std::fs::write(repo.join("README.md"), "a repository\n").unwrap();
    git_init(&repo);
    let tree = l
        .automation(
            "tree",
            json!({"placement": {"kind": "worktree", "name": "tree"}}),
        )
        .await;
    let pending = l.writes(&tree, 90, Some("a.txt")).await; // stays: waits for review
    let discarded = l.writes(&tree, 85, Some("b.txt")).await; // goes once discarded
    l.engine().discard_run(&discarded.id).await.unwrap();
    let clean = l.writes(&tree, 5, None).await;

    let chat = l.automation("chat", json!({"context": "continue"})).await;
    let c1 = l.chat(&chat, 90).await; // stays: the session the automation continues
    let c2 = l.chat(&chat, 80).await;
    let c3 = l.chat(&chat, 70).await;
    assert_eq!(c1.session_id, c3.session_id, "one continued session");

    let flaky = l.automation("flaky", json!({})).await;
    let f1 = l.succeeded(&flaky, 90).await; // stays: the last success, the streak's start
    let f2 = l.failed(&flaky, 80).await; // stays: part of the current failure streak
    let f3 = l.failed(&flaky, 70).await;

    let counted = l
        .automation(
            "counted",
            json!({
                "trigger": {"kind": "interval", "every_ms": 3_600_000},
                "stop": {"kind": "after_runs", "count": 5}
            }),
        )
        .await;
    let n1 = l.succeeded(&counted, 90).await; // stays: counts towards `after_runs`
    let n2 = l.succeeded(&counted, 80).await;

    let gone = l.automation("gone", json!({})).await;
    let g1 = l.chat(&gone, 90).await; // goes: its automation is deleted, it is not the newest
    let g2 = l.chat(&gone, 80).await;
    l.engine().delete_automation(&gone.id).await.unwrap();

    l.leave_originals(&p1);
    l.leave_originals(&p5);
    l.clock.set(now());

    let removed = [&p1, &p2, &p4, &p6, &answered, &discarded, &g1];
    let kept = [
        &p3,
        &p5,
        &p7,
        &only,
        &later,
        &last_success,
        &blocked,
        &pending,
        &clean,
        &c1,
        &c2,
        &c3,
        &f1,
        &f2,
        &f3,
        &n1,
        &n2,
        &g2,
    ];
    let db = l.database().await;
    let of_removed = list(&removed);
    let expected_messages = scalar(
        &db,
        &format!("SELECT COUNT(*) FROM messages WHERE run_id IN {of_removed}"),
    )
    .await;
    let expected_parts = scalar(
        &db,
        &format!(
            "SELECT COUNT(*) FROM parts WHERE message_id IN
             (SELECT id FROM messages WHERE run_id IN {of_removed})"
        ),
    )
    .await;
    let expected_changes = scalar(
        &db,
        &format!("SELECT COUNT(*) FROM run_changes WHERE run_id IN {of_removed}"),
    )
    .await;
    assert!(expected_messages >= 6 && expected_parts >= 6 && expected_changes >= 1);
    let mut transcripts = Vec::new();
    for run in kept {
        transcripts.push(l.engine().run_transcript(&run.id).await.unwrap());
    }
    let status = |automations: Vec<Automation>| {
        automations
            .into_iter()
            .map(|a| (a.id, a.status.last_run, a.status.failure_streak))
            .collect::<Vec<_>>()
    };
    let status_before = status(l.engine().list_automations().await.unwrap());

    l.engine()
        .set_retention(RetentionPolicy {
            keep_days: Some(30),
            keep_failed_days: Some(60),
        })
        .await
        .unwrap();
    let dry = l.engine().gc(true).await.unwrap();
    assert!(dry.dry_run);
    assert_eq!(dry.as_of, now());
    assert_eq!(dry.cutoff, Some(days_ago(30)));
    assert_eq!(dry.failed_cutoff, Some(days_ago(60)));
    assert_eq!(
        dry.removed.run_ids.iter().cloned().collect::<BTreeSet<_>>(),
        ids(&removed),
        "the dry run lists exactly the runs past the policy that nothing keeps"
    );
    assert_eq!(
        (
            dry.removed.runs,
            dry.removed.succeeded,
            dry.removed.failed,
            dry.removed.stopped
        ),
        (7, 5, 1, 1)
    );
    assert_eq!(
        (
            dry.removed.messages,
            dry.removed.parts,
            dry.removed.changes,
            dry.removed.blocker_replies,
            dry.removed.sessions,
            dry.removed.originals_dirs
        ),
        (expected_messages, expected_parts, expected_changes, 1, 3, 1),
        "a fresh session goes with its run; the continued one stays"
    );
    assert_eq!(dry.database.bytes_after, None);
    for run in removed {
        l.engine()
            .get_run(&run.id)
            .await
            .expect("a dry run removes nothing");
    }
    assert!(l.originals(&p1).exists(), "a dry run removes nothing");

    let real = l.engine().gc(false).await.unwrap();
    assert!(!real.dry_run);
    assert_eq!(
        real.removed, dry.removed,
        "the real run removes what the dry run listed"
    );
    assert!(real.database.bytes_after.is_some());

    for run in removed {
        let gone = l.engine().get_run(&run.id).await.unwrap_err();
        assert!(matches!(gone, Error::NotFound { .. }), "{gone:?}");
    }
    for (run, transcript) in kept.iter().zip(&transcripts) {
        let now = l.engine().get_run(&run.id).await.unwrap();
        assert_eq!(now.state, run.state, "run {} is untouched: {now:?}", run.id);
        assert_eq!(
            &l.engine().run_transcript(&run.id).await.unwrap(),
            transcript,
            "the transcript of run {} is intact",
            run.id
        );
    }
    assert_eq!(
        l.engine().get_run(&blocked.id).await.unwrap().state,
        RunState::AwaitingInput
    );
    assert!(l.engine().run_changes(&pending.id).await.unwrap().is_some());
    assert!(
        !l.originals(&p1).exists(),
        "the removed run's originals are gone"
    );
    assert!(l.originals(&p5).exists(), "a kept run's originals stay");
    assert_eq!(
        status(l.engine().list_automations().await.unwrap()),
        status_before,
        "last runs and failure streaks read as before"
    );
    assert_eq!(
        scalar(
            &db,
            &format!(
                "SELECT (SELECT COUNT(*) FROM messages WHERE run_id IN {of_removed})
                      + (SELECT COUNT(*) FROM run_changes WHERE run_id IN {of_removed})
                      + (SELECT COUNT(*) FROM blocker_replies WHERE run_id IN {of_removed})"
            )
        )
        .await,
        0
    );
    assert!(
        orphans(&db).await.iter().all(|(_, n)| *n == 0),
        "{:?}",
        orphans(&db).await
    );

    let again = l.engine().gc(true).await.unwrap();
    assert_eq!(again.removed.runs, 0, "nothing is left to remove");

    // Failed runs go by their own number of days: at 45, the one from 50 days ago goes too
    // (not the failed run in a streak).
    l.engine()
        .set_retention(RetentionPolicy {
            keep_days: Some(30),
            keep_failed_days: Some(45),
        })
        .await
        .unwrap();
    let shorter = l.engine().gc(true).await.unwrap();
    assert_eq!(shorter.removed.run_ids, vec![p3.id.clone()]);
    db.close().await;
    l.engine().shutdown().await;
}

#[tokio::test]
async fn a_real_run_as_of_a_dry_runs_time_removes_what_it_listed_though_time_moved_on() {
    let l = Ledger::new().await;
    let automation = l.automation("plain", json!({})).await;
    let first = l.succeeded(&automation, 31).await;
    let second = l.succeeded(&automation, 30).await;
    let _newest = l.succeeded(&automation, 1).await;
    l.clock.set(now() - TimeDelta::hours(1));
    l.engine()
        .set_retention(RetentionPolicy {
            keep_days: Some(30),
            keep_failed_days: None,
        })
        .await
        .unwrap();
    let preview = l.engine().gc(true).await.unwrap();
    assert_eq!(preview.removed.run_ids, vec![first.id.clone()]);

    // An hour later `second` is past the policy too; the preview's time still decides.
    l.clock.set(now());
    let done = l.engine().gc_as_of(preview.as_of, false).await.unwrap();
    assert_eq!(done.removed, preview.removed);
    l.engine().get_run(&second.id).await.unwrap();

    let future = l
        .engine()
        .gc_as_of(now() + TimeDelta::days(1), true)
        .await
        .unwrap_err();
    let ApiError::Validation { details, .. } = ApiError::from(future) else {
        panic!("a time in the future was accepted");
    };
    assert_eq!(details[0].field, "as_of");
    l.engine().shutdown().await;
}

#[tokio::test]
async fn the_policy_is_refused_by_field_and_shared_by_every_process() {
    let env = TestEnv::new().await;
    assert_eq!(
        env.engine.retention().await.unwrap(),
        RetentionPolicy::default(),
        "runs are kept forever until a policy is set"
    );
    let refused = env
        .engine
        .set_retention(RetentionPolicy {
            keep_days: Some(0),
            keep_failed_days: Some(40_000),
        })
        .await
        .unwrap_err();
    let ApiError::Validation { details, .. } = ApiError::from(refused) else {
        panic!("days out of range were accepted");
    };
    let fields: Vec<_> = details
        .iter()
        .map(|d| (d.field.as_str(), d.message.as_str()))
        .collect();
    assert_eq!(
        fields,
        [
            ("keep_days", "days_out_of_range_1_36500"),
            ("keep_failed_days", "days_out_of_range_1_36500")
        ]
    );
    let shorter = env
        .engine
        .set_retention(RetentionPolicy {
            keep_days: Some(30),
            keep_failed_days: Some(7),
        })
        .await
        .unwrap_err();
    let ApiError::Validation { details, .. } = ApiError::from(shorter) else {
        panic!("failed runs kept shorter than the others were accepted");
    };
    assert_eq!(
        (details[0].field.as_str(), details[0].message.as_str()),
        ("keep_failed_days", "below_keep_days")
    );
    assert_eq!(
        env.engine.retention().await.unwrap(),
        RetentionPolicy::default(),
        "a refused policy changes nothing"
    );

    let policy = RetentionPolicy {
        keep_days: Some(30),
        keep_failed_days: Some(90),
    };
    assert_eq!(env.engine.set_retention(policy).await.unwrap(), policy);
    let other = env.second_engine(ScriptedExecutor::new()).await;
    assert_eq!(other.retention().await.unwrap(), policy);
    other.shutdown().await;
    env.engine.shutdown().await;
}

#[tokio::test]
async fn the_scheduling_process_removes_runs_past_the_policy_on_its_own() {
    let clock = ManualClock::new(days_ago(40));
    let env = TestEnv::with_clock(Some(Arc::new(clock.clone()))).await;
    let automation = env.automation().await;
    let mut runs = Vec::new();
    for days in [40, 1] {
        clock.set(days_ago(days));
        let run = env
            .engine
            .run_now(&automation.id, Attendance::Attended)
            .await
            .unwrap();
        runs.push(wait_for_state(&env.engine, &run.id, RunState::Succeeded).await);
    }
    let ids: Vec<RunId> = runs.iter().map(|r| r.id.clone()).collect();
    env.engine.mark_seen(&ids).await.unwrap();
    clock.set(now());
    env.engine
        .set_retention(RetentionPolicy {
            keep_days: Some(30),
            keep_failed_days: None,
        })
        .await
        .unwrap();

    // This engine does not schedule; a daemon beside it does, and cleans up.
    let daemon = Engine::open(
        config(env.data_dir(), ScriptedExecutor::new())
            .clock(Arc::new(clock.clone()))
            .scheduler(true)
            .gc_interval(Duration::from_millis(100)),
    )
    .await
    .unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while env.engine.get_run(&ids[0]).await.is_ok() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the old run is still there"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    env.engine
        .get_run(&ids[1])
        .await
        .expect("the newest run stays");
    daemon.shutdown().await;
    env.engine.shutdown().await;
}

/// Fills the database with a table of junk and drops it: free pages to give back.
async fn free_some_pages(db: &SqlitePool) {
    sqlx::query("CREATE TABLE junk (x BLOB)")
        .execute(db)
        .await
        .unwrap();
    sqlx::query(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 5000)
         INSERT INTO junk SELECT randomblob(400) FROM n",
    )
    .execute(db)
    .await
    .unwrap();
    sqlx::query("DROP TABLE junk").execute(db).await.unwrap();
}

#[tokio::test]
async fn freed_space_goes_back_with_one_vacuum_then_incremental_steps() {
    if skipped_on_postgres("giving a file's free pages back") {
        return;
    }
    let env = TestEnv::new().await;
    env.engine.shutdown().await;
    let file = env.data_dir().join("autowork.db");
    // A database as made before incremental vacuum: auto_vacuum off.
    let old_style = SqliteConnectOptions::new()
        .filename(&file)
        .auto_vacuum(SqliteAutoVacuum::None);
    let db = SqlitePool::connect_with(old_style).await.unwrap();
    sqlx::query("VACUUM").execute(&db).await.unwrap();
    free_some_pages(&db).await;
    db.close().await;

    let engine = Engine::open(config(env.data_dir(), ScriptedExecutor::new()))
        .await
        .unwrap();
    let first = engine.gc(false).await.unwrap();
    assert_eq!(first.database.compaction, Compaction::Vacuum);
    let after = first.database.bytes_after.unwrap();
    assert!(
        after < first.database.bytes_before,
        "{} bytes before, {after} after",
        first.database.bytes_before
    );

    let db = SqlitePool::connect_with(SqliteConnectOptions::new().filename(&file))
        .await
        .unwrap();
    let mode: i64 = sqlx::query_scalar("PRAGMA auto_vacuum")
        .fetch_one(&db)
        .await
        .unwrap();
    assert_eq!(mode, 2, "the file now vacuums incrementally");
    free_some_pages(&db).await;
    let second = engine.gc(false).await.unwrap();
    assert_eq!(second.database.compaction, Compaction::IncrementalVacuum);
    let free: i64 = sqlx::query_scalar("PRAGMA freelist_count")
        .fetch_one(&db)
        .await
        .unwrap();
    assert_eq!(free, 0, "every free page went back");
    let third = engine.gc(false).await.unwrap();
    assert_eq!(third.database.compaction, Compaction::None);
    db.close().await;
    engine.shutdown().await;
}
