//! The store's functions on both backends: each test runs one scenario on a fresh SQLite
//! file and on a fresh PostgreSQL database and checks that both give the same results (and
//! the expected ones). PostgreSQL is the server named by AUTOWORK_TEST_POSTGRES_URL
//! (`scripts/with-postgres.sh` starts one); each test creates a database of its own there,
//! as `tests/suite/postgres_schema.rs` does, so they run in parallel. Without the URL the
//! tests fail, unless AUTOWORK_SKIP_POSTGRES=1 says to run the SQLite half only.

use chrono::{DateTime, TimeZone, Utc};
use sqlx::pool::PoolConnection;
use sqlx::{Postgres, Sqlite};

use super::backend::{AnyConn, AsConn};
use super::test_database::TestDatabase;
use super::*;
use crate::ids::{AutomationId, InstanceId, RunId};

/// A fresh database of its own on the test server, and the connection the test uses.
struct PgDb {
    db: TestDatabase,
    conn: Option<PoolConnection<Postgres>>,
}

impl PgDb {
    async fn fresh() -> Option<PgDb> {
        let db = TestDatabase::fresh(
            "autowork_store",
            1,
            &POSTGRES_MIGRATOR,
            "the PostgreSQL half of the store's tests",
        )
        .await?;
        let conn = Some(db.pool.acquire().await.unwrap());
        Some(PgDb { db, conn })
    }

    async fn drop_db(mut self) {
        drop(self.conn.take());
        self.db.drop_db().await;
    }
}

/// One test's two databases.
pub(super) struct Both {
    _dir: tempfile::TempDir,
    store: Store,
    pub sqlite: PoolConnection<Sqlite>,
    pg: Option<PgDb>,
}

impl Both {
    pub async fn fresh() -> Both {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("autowork.db")).await.unwrap();
        let sqlite = store.sqlite_pool().acquire().await.unwrap();
        let pg = PgDb::fresh().await;
        Both {
            _dir: dir,
            store,
            sqlite,
            pg,
        }
    }

    /// The PostgreSQL connection, when the test runs on PostgreSQL.
    pub fn pg(&mut self) -> Option<&mut PoolConnection<Postgres>> {
        self.pg.as_mut().and_then(|pg| pg.conn.as_mut())
    }

    pub async fn finish(self) {
        drop(self.sqlite);
        self.store.close().await;
        if let Some(pg) = self.pg {
            pg.drop_db().await;
        }
    }
}

/// Runs `$body` (an expression using the connection `$conn`) on SQLite, then on PostgreSQL
/// when the test has it, checks that both gave the same value, and is the SQLite one.
macro_rules! on_both {
    ($both:expr, |$conn:ident| $body:expr) => {{
        let sqlite = {
            let $conn = &mut $both.sqlite;
            $body
        };
        if let Some($conn) = $both.pg() {
            let postgres = $body;
            pretty_assertions::assert_eq!(sqlite, postgres, "SQLite and PostgreSQL disagree");
        }
        sqlite
    }};
}

/// Runs plain SQL (literals only, written to work on both) for a test's set-up.
pub(super) async fn exec(conn: &mut impl AsConn, sql: &str) {
    match conn.as_conn() {
        AnyConn::Sqlite(conn) => {
            sqlx::raw_sql(sql).execute(conn).await.unwrap();
        }
        AnyConn::Postgres(conn) => {
            sqlx::raw_sql(sql).execute(conn).await.unwrap();
        }
    }
}

/// A number read with plain SQL, for checking what a function wrote.
pub(super) async fn scalar(conn: &mut impl AsConn, sql: &str) -> Option<i64> {
    match conn.as_conn() {
        AnyConn::Sqlite(conn) => sqlx::query_scalar(sql).fetch_optional(conn).await.unwrap(),
        AnyConn::Postgres(conn) => sqlx::query_scalar(sql).fetch_optional(conn).await.unwrap(),
    }
}

/// A text read with plain SQL.
pub(super) async fn text(conn: &mut impl AsConn, sql: &str) -> Option<String> {
    match conn.as_conn() {
        AnyConn::Sqlite(conn) => sqlx::query_scalar(sql).fetch_optional(conn).await.unwrap(),
        AnyConn::Postgres(conn) => sqlx::query_scalar(sql).fetch_optional(conn).await.unwrap(),
    }
}

/// Milliseconds since the epoch as a time.
pub(super) fn at(millis: i64) -> DateTime<Utc> {
    Utc.timestamp_millis_opt(millis).unwrap()
}

/// A manual automation `id` of provider `provider`, with `extra` column assignments
/// (`, stop_kind = ...` style is not possible in an insert, so `extra` is a trailing
/// `UPDATE` for the rare test that needs more).
pub(super) async fn automation(conn: &mut impl AsConn, id: &str, provider: &str) {
    exec(
        conn,
        &format!(
            "INSERT INTO automations (id, title, prompt, workspace, provider_id, model_id,
                trigger_kind, stop_kind, context, placement_kind, step_cap, revision,
                created_at, updated_at)
             VALUES ('{id}', 'Title {id}', 'p', '/w/{id}', '{provider}', 'm', 'manual',
                'never', 'fresh', 'in_place', 10, 1, 0, 0)"
        ),
    )
    .await;
}

/// A run row in `state` (with the columns that state requires), queued at `queued_at`.
pub(super) async fn run(
    conn: &mut impl AsConn,
    id: &str,
    automation: &str,
    trigger: &str,
    state: &str,
    queued_at: i64,
) {
    let (extra_columns, extra_values) = match state {
        "queued" => ("", String::new()),
        "running" => (", started_at", format!(", {queued_at}")),
        "awaiting_input" => (
            ", started_at, blocker_id, blocker",
            format!(
                ", {queued_at}, 'b-{id}', '{{\"kind\": \"question\", \"call_id\": \"b-{id}\", \"questions\": []}}'"
            ),
        ),
        "succeeded" => (
            ", started_at, finished_at, result",
            format!(", {queued_at}, {queued_at}, 'done'"),
        ),
        "failed" => (
            ", finished_at, error_code, error_message",
            format!(", {queued_at}, 'execution_failed', 'broke'"),
        ),
        "stopped" => (
            ", finished_at, stop_reason",
            format!(", {queued_at}, 'cancelled'"),
        ),
        "missed" => (
            ", finished_at, stop_reason",
            format!(", {queued_at}, 'missed_schedule'"),
        ),
        other => panic!("no such state {other}"),
    };
    let state = if state == "missed" { "stopped" } else { state };
    exec(
        conn,
        &format!(
            "INSERT INTO runs (id, automation_id, definition_revision, revision, trigger,
                attendance, writer_key, state, queued_at{extra_columns})
             VALUES ('{id}', '{automation}', 1, 1, '{trigger}', 'unattended', 'w-{id}',
                '{state}', {queued_at}{extra_values})"
        ),
    )
    .await;
}

mod instances_and_schedule {
    use super::*;
    use crate::model::run::{Attendance, Run, RunState, RunTrigger, StopReason};
    use crate::store::{instances, schedule};

    #[tokio::test]
    async fn instances_register_renew_list_and_expire() {
        let mut both = Both::fresh().await;
        let seen = on_both!(both, |conn| {
            let me = InstanceId::from_string("i-me");
            let other = InstanceId::from_string("i-other");
            let far = InstanceId::from_string("i-far");
            let served = ["/srv/repos".to_owned(), "/home/ada".to_owned()];
            for (id, host, pid, started, serves) in [
                (&me, Some("h1"), 10, Some(100), &served[..]),
                (&other, Some("h1"), 11, None, &[][..]),
                (&far, Some("h2"), 12, Some(7), &served[..1]),
            ] {
                let process = instances::Registration {
                    label: "test",
                    pid,
                    pid_started: started,
                    host,
                    name: "box",
                    serves,
                };
                instances::register(conn, id, &process, at(1_000), at(5_000))
                    .await
                    .unwrap();
            }
            let neighbours: Vec<_> = instances::on_host(conn, "h1", &me)
                .await
                .unwrap()
                .into_iter()
                .map(|n| (n.id, n.pid, n.pid_started))
                .collect();
            // Only the workers that take queued runs, with their folders; none once expired.
            let workers: Vec<_> = instances::live_workers(conn, at(2_000))
                .await
                .unwrap()
                .into_iter()
                .map(|w| (w.id, w.name, w.serves))
                .collect();
            assert_eq!(
                workers,
                vec![
                    (
                        "i-far".to_owned(),
                        "box".to_owned(),
                        vec!["/srv/repos".to_owned()]
                    ),
                    (
                        "i-me".to_owned(),
                        "box".to_owned(),
                        vec!["/home/ada".to_owned(), "/srv/repos".to_owned()]
                    ),
                ]
            );
            assert!(instances::live_workers(conn, at(5_000))
                .await
                .unwrap()
                .is_empty());
            let renewed = instances::renew(conn, &me, at(9_000)).await.unwrap();
            let gone = InstanceId::from_string("i-gone");
            let renewed_gone = instances::renew(conn, &gone, at(9_000)).await.unwrap();
            let expired = instances::delete_expired(conn, at(5_000)).await.unwrap();
            let left = scalar(conn, "SELECT COUNT(*) FROM engine_instances").await;
            instances::release(conn, &me).await.unwrap();
            let after_release = scalar(conn, "SELECT COUNT(*) FROM engine_instances").await;
            // A released or expired worker's folders go with it.
            assert_eq!(
                scalar(conn, "SELECT COUNT(*) FROM worker_workspaces").await,
                Some(0)
            );
            (
                neighbours,
                renewed,
                renewed_gone,
                expired,
                left,
                after_release,
            )
        });
        assert_eq!(
            seen,
            (
                vec![("i-other".to_owned(), 11, None)],
                true,
                false,
                2,
                Some(1),
                Some(0)
            )
        );
        both.finish().await;
    }

    #[tokio::test]
    async fn the_scheduler_lease_is_taken_renewed_refused_and_released() {
        let mut both = Both::fresh().await;
        let seen = on_both!(both, |conn| {
            let a = InstanceId::from_string("i-a");
            let b = InstanceId::from_string("i-b");
            let steps = [
                schedule::take_lease(conn, &a, at(0), at(100))
                    .await
                    .unwrap(),
                // A renews; B is refused while A's lease runs.
                schedule::take_lease(conn, &a, at(50), at(150))
                    .await
                    .unwrap(),
                schedule::take_lease(conn, &b, at(100), at(200))
                    .await
                    .unwrap(),
                // Once it ran out, B takes it.
                schedule::take_lease(conn, &b, at(150), at(250))
                    .await
                    .unwrap(),
            ];
            let holder = text(conn, "SELECT holder FROM scheduler_lease").await;
            // Releasing as A (no longer the holder) leaves B's lease.
            schedule::release_lease(conn, &a).await.unwrap();
            let kept = text(conn, "SELECT holder FROM scheduler_lease").await;
            schedule::release_lease(conn, &b).await.unwrap();
            let released = text(conn, "SELECT holder FROM scheduler_lease").await;
            (steps, holder, kept, released)
        });
        assert_eq!(
            seen,
            (
                [true, true, false, true],
                Some("i-b".to_owned()),
                Some("i-b".to_owned()),
                None
            )
        );
        both.finish().await;
    }

    #[tokio::test]
    async fn a_missed_fire_is_recorded_as_a_stopped_run() {
        let mut both = Both::fresh().await;
        let missed = Run {
            id: RunId::from_string("r-1"),
            automation_id: AutomationId::from_string("a-1"),
            definition_revision: 3,
            revision: 1,
            trigger: RunTrigger::Schedule,
            attendance: Attendance::Unattended,
            writer_key: "w".into(),
            state: RunState::Stopped,
            blocker: None,
            result: None,
            error: None,
            stop_reason: Some(StopReason::MissedSchedule),
            session_id: None,
            cost_usd: 0.0,
            tokens_in: 0,
            tokens_out: 0,
            steps: 0,
            queued_at: at(1_000),
            started_at: None,
            finished_at: Some(at(2_000)),
            follow_up: None,
            worker: None,
        };
        let seen = on_both!(both, |conn| {
            automation(conn, "a-1", "p").await;
            schedule::insert_missed(conn, &missed).await.unwrap();
            (
                text(
                    conn,
                    "SELECT trigger || ' ' || state || ' ' || stop_reason || ' ' || writer_key
                     FROM runs WHERE id = 'r-1'",
                )
                .await,
                scalar(
                    conn,
                    "SELECT definition_revision FROM runs WHERE id = 'r-1'",
                )
                .await,
                scalar(conn, "SELECT queued_at FROM runs WHERE id = 'r-1'").await,
                scalar(conn, "SELECT finished_at FROM runs WHERE id = 'r-1'").await,
            )
        });
        assert_eq!(
            seen,
            (
                Some("schedule stopped missed_schedule w".to_owned()),
                Some(3),
                Some(1_000),
                Some(2_000)
            )
        );
        both.finish().await;
    }
}

mod queue {
    use std::collections::BTreeMap;

    use super::*;
    use crate::model::queue::QueueLimits;
    use crate::store::queue;

    #[tokio::test]
    async fn the_limits_are_the_defaults_until_set() {
        let mut both = Both::fresh().await;
        let limits = QueueLimits {
            max_concurrent_runs: 2,
            per_provider: BTreeMap::from([("p".to_owned(), 1)]),
        };
        let seen = on_both!(both, |conn| {
            let before = queue::limits(conn).await.unwrap();
            queue::set_limits(conn, &limits).await.unwrap();
            let after = queue::limits(conn).await.unwrap();
            (before, after)
        });
        assert_eq!(seen, (QueueLimits::default(), limits));
        both.finish().await;
    }

    /// Two providers' automations with runs in every state the queue looks at.
    async fn runs(conn: &mut impl AsConn) {
        automation(conn, "a-1", "p").await;
        automation(conn, "a-2", "q").await;
        run(conn, "r-01", "a-1", "schedule", "queued", 100).await;
        run(conn, "r-02", "a-2", "manual", "queued", 300).await;
        run(conn, "r-03", "a-1", "catch_up", "queued", 100).await;
        run(conn, "r-04", "a-2", "schedule", "queued", 50).await;
        run(conn, "r-05", "a-1", "manual", "queued", 400).await;
        run(conn, "r-06", "a-1", "manual", "running", 10).await;
        run(conn, "r-07", "a-2", "manual", "awaiting_input", 10).await;
        run(conn, "r-08", "a-2", "manual", "running", 20).await;
        run(conn, "r-09", "a-2", "manual", "succeeded", 20).await;
    }

    #[tokio::test]
    async fn occupancy_counts_the_runs_holding_a_slot() {
        let mut both = Both::fresh().await;
        let seen = on_both!(both, |conn| {
            runs(conn).await;
            let occupancy = queue::occupancy(conn).await.unwrap();
            let mut areas: Vec<_> = occupancy.work_areas.iter().cloned().collect();
            areas.sort();
            (
                occupancy.total,
                occupancy.of_provider("p"),
                occupancy.of_provider("q"),
                areas,
            )
        });
        assert_eq!(
            seen,
            (
                3,
                1,
                2,
                vec!["w-r-06".into(), "w-r-07".into(), "w-r-08".into()]
            )
        );
        both.finish().await;
    }

    #[tokio::test]
    async fn queued_runs_come_in_start_order_page_by_page() {
        let mut both = Both::fresh().await;
        let seen = on_both!(both, |conn| {
            runs(conn).await;
            let mut pages = Vec::new();
            let mut after = None;
            loop {
                let page = queue::queued(conn, after.as_ref(), 2).await.unwrap();
                if page.is_empty() {
                    break;
                }
                pages.push(
                    page.iter()
                        .map(|q| (q.id.clone(), q.provider_id.clone(), q.rank, q.queued_at))
                        .collect::<Vec<_>>(),
                );
                after = page.into_iter().last();
            }
            let ahead = [
                queue::ahead_of(conn, &RunId::from_string("r-05"))
                    .await
                    .unwrap(),
                queue::ahead_of(conn, &RunId::from_string("r-01"))
                    .await
                    .unwrap(),
                queue::ahead_of(conn, &RunId::from_string("r-06"))
                    .await
                    .unwrap(),
            ];
            let provider = queue::provider_of(conn, &RunId::from_string("r-04"))
                .await
                .unwrap();
            let none = queue::provider_of(conn, &RunId::from_string("r-xx"))
                .await
                .unwrap();
            let (first, total) = queue::queued_runs(conn, 3).await.unwrap();
            let first: Vec<String> = first.into_iter().map(|r| r.id.to_string()).collect();
            (pages, ahead, provider, none, first, total)
        });
        let entry = |id: &str, provider: &str, rank: i64, at: i64| {
            (id.to_owned(), provider.to_owned(), rank, at)
        };
        assert_eq!(
            seen,
            (
                vec![
                    vec![entry("r-02", "q", 0, 300), entry("r-05", "p", 0, 400)],
                    vec![entry("r-04", "q", 1, 50), entry("r-01", "p", 1, 100)],
                    vec![entry("r-03", "p", 1, 100)],
                ],
                [Some(1), Some(3), None],
                Some("q".to_owned()),
                None,
                vec!["r-02".to_owned(), "r-05".to_owned(), "r-04".to_owned()],
                5
            )
        );
        both.finish().await;
    }
}

mod inbox {
    use super::*;
    use crate::model::run::Run;
    use crate::store::inbox;

    fn ids(runs: Vec<Run>) -> Vec<String> {
        runs.into_iter().map(|r| r.id.to_string()).collect()
    }

    #[tokio::test]
    async fn the_inbox_lists_counts_groups_and_files_runs() {
        let mut both = Both::fresh().await;
        let seen = on_both!(both, |conn| {
            automation(conn, "a-1", "p").await;
            automation(conn, "a-2", "p").await;
            run(conn, "r-01", "a-1", "manual", "awaiting_input", 10).await;
            run(conn, "r-02", "a-1", "manual", "succeeded", 20).await;
            run(conn, "r-03", "a-1", "manual", "failed", 30).await;
            run(conn, "r-04", "a-2", "schedule", "stopped", 40).await;
            run(conn, "r-05", "a-2", "schedule", "missed", 50).await;
            run(conn, "r-06", "a-2", "schedule", "missed", 70).await;
            run(conn, "r-07", "a-2", "catch_up", "succeeded", 80).await;
            run(conn, "r-08", "a-1", "schedule", "missed", 60).await;
            run(conn, "r-09", "a-1", "manual", "queued", 90).await;
            run(conn, "r-10", "a-1", "manual", "failed", 95).await;
            exec(conn, "UPDATE runs SET seen_at = 1 WHERE id = 'r-10'").await;
            let waiting = ids(inbox::waiting(conn, 10).await.unwrap());
            let finished = ids(inbox::unseen_finished(conn, false, 3).await.unwrap());
            let failed = ids(inbox::unseen_finished(conn, true, 10).await.unwrap());
            let groups: Vec<_> = inbox::missed_groups(conn)
                .await
                .unwrap()
                .into_iter()
                .map(|g| {
                    (
                        g.automation_id.to_string(),
                        g.count,
                        g.first_at.timestamp_millis(),
                        g.last_at.timestamp_millis(),
                        g.ran_latest.map(|id| id.to_string()),
                    )
                })
                .collect();
            let counts = inbox::counts(conn).await.unwrap();
            let a2 = AutomationId::from_string("a-2");
            let missed_seen = inbox::mark_all_seen(conn, Some(&a2), at(1_000))
                .await
                .unwrap();
            let all_seen = inbox::mark_all_seen(conn, None, at(1_000)).await.unwrap();
            let counts_after = inbox::counts(conn).await.unwrap();
            (
                waiting,
                finished,
                failed,
                groups,
                counts,
                missed_seen,
                all_seen,
                counts_after,
            )
        });
        assert_eq!(
            seen,
            (
                vec!["r-01".to_owned()],
                vec!["r-07".to_owned(), "r-04".to_owned(), "r-03".to_owned()],
                vec!["r-03".to_owned()],
                vec![
                    ("a-2".to_owned(), 2, 50, 70, Some("r-07".to_owned())),
                    ("a-1".to_owned(), 1, 60, 60, None),
                ],
                (1, 1, 5),
                2,
                // r-02, r-03, r-04, r-07 and a-1's missed fire.
                5,
                (1, 0, 1),
            )
        );
        both.finish().await;
    }
}

mod status_and_overview {
    use std::collections::{BTreeMap, HashMap};

    use super::*;
    use crate::model::definition::status::{RunMark, RunSummary};
    use crate::store::overview::{self, RangeCounts};
    use crate::store::status::{self, Selection};

    /// a-1 stops after runs and failed twice since it last succeeded; a-2 has a stopped run
    /// after a failure (which neither counts nor breaks a streak); a-3 is deleted.
    async fn ledger(conn: &mut impl AsConn) {
        for id in ["a-1", "a-2", "a-3", "a-4"] {
            automation(conn, id, "p").await;
        }
        exec(
            conn,
            "UPDATE automations SET stop_kind = 'after_runs', stop_count = 5 WHERE id = 'a-1';
             UPDATE automations SET deleted_at = 1 WHERE id = 'a-3'",
        )
        .await;
        run(conn, "r-01", "a-1", "manual", "failed", 100).await;
        run(conn, "r-02", "a-1", "manual", "succeeded", 200).await;
        run(conn, "r-03", "a-1", "manual", "failed", 300).await;
        run(conn, "r-04", "a-1", "manual", "failed", 400).await;
        run(conn, "r-05", "a-2", "manual", "failed", 150).await;
        run(conn, "r-06", "a-2", "manual", "stopped", 250).await;
        run(conn, "r-07", "a-2", "schedule", "missed", 260).await;
        run(conn, "r-08", "a-3", "manual", "succeeded", 50).await;
        exec(
            conn,
            "UPDATE runs SET cost_usd = 0.25 WHERE id IN ('r-04', 'r-05')",
        )
        .await;
    }

    fn sorted(summaries: HashMap<String, RunSummary>) -> BTreeMap<String, RunSummary> {
        summaries.into_iter().collect()
    }

    #[tokio::test]
    async fn run_summaries_of_live_and_chosen_automations() {
        let mut both = Both::fresh().await;
        let seen = on_both!(both, |conn| {
            ledger(conn).await;
            let live = sorted(status::run_summaries(conn, Selection::Live).await.unwrap());
            let a1 = [AutomationId::from_string("a-1")];
            let one = sorted(
                status::run_summaries(conn, Selection::Only(&a1))
                    .await
                    .unwrap(),
            );
            let some = [
                AutomationId::from_string("a-2"),
                AutomationId::from_string("a-3"),
                AutomationId::from_string("a-9"),
            ];
            let several = sorted(
                status::run_summaries(conn, Selection::Only(&some))
                    .await
                    .unwrap(),
            );
            let marks = overview::recent_marks(conn, Selection::Live, 2)
                .await
                .unwrap()
                .into_iter()
                .collect::<BTreeMap<_, _>>();
            (live, one, several, marks)
        });
        let (live, one, several, marks) = seen;
        let a1 = &live["a-1"];
        assert_eq!(
            (
                a1.last_run
                    .as_ref()
                    .map(|l| (l.run_id.to_string(), l.cost_usd)),
                a1.failure_streak,
                a1.runs_done,
                a1.recent_runs.len()
            ),
            (Some(("r-04".to_owned(), 0.25)), 2, 4, 4)
        );
        let a2 = &live["a-2"];
        assert_eq!(
            (
                a2.last_run.as_ref().map(|l| l.run_id.to_string()),
                a2.failure_streak,
                a2.runs_done,
            ),
            (Some("r-07".to_owned()), 1, 0)
        );
        assert_eq!(
            live.keys().collect::<Vec<_>>(),
            ["a-1", "a-2"],
            "the deleted a-3 and the run-less a-4 have no summary"
        );
        assert_eq!(one.keys().collect::<Vec<_>>(), ["a-1"]);
        assert_eq!(one["a-1"], live["a-1"]);
        assert_eq!(several.keys().collect::<Vec<_>>(), ["a-2", "a-3"]);
        let ids = |marks: &Vec<RunMark>| -> Vec<String> {
            marks.iter().map(|m| m.run_id.to_string()).collect()
        };
        assert_eq!(
            marks
                .iter()
                .map(|(a, m)| (a.as_str(), ids(m)))
                .collect::<Vec<_>>(),
            [
                ("a-1", vec!["r-04".to_owned(), "r-03".to_owned()]),
                ("a-2", vec!["r-07".to_owned(), "r-06".to_owned()]),
            ]
        );
        both.finish().await;
    }

    #[tokio::test]
    async fn counts_per_range_leave_out_missed_fires() {
        let mut both = Both::fresh().await;
        let seen = on_both!(both, |conn| {
            ledger(conn).await;
            let none = overview::counts_per_range(conn, &[]).await.unwrap();
            let ranges = [
                (at(0), at(200)),
                (at(200), at(1_000)),
                (at(5_000), at(6_000)),
            ];
            let counts = overview::counts_per_range(conn, &ranges).await.unwrap();
            (none, counts)
        });
        let counts = |runs, succeeded, failed, stopped, cost_usd| RangeCounts {
            runs,
            succeeded,
            failed,
            stopped,
            cost_usd,
        };
        assert_eq!(
            seen,
            (
                vec![],
                vec![
                    counts(3, 1, 2, 0, 0.25),
                    counts(4, 1, 2, 1, 0.25),
                    RangeCounts::default()
                ]
            )
        );
        both.finish().await;
    }
}

mod changes {
    use super::*;
    use crate::model::changes::{
        ChangeSource, ChangeSummary, FileChange, FileChangeKind, Review, RunChanges,
        WorktreeChanges,
    };
    use crate::store::changes;

    fn worktree_changes(run: &str, commit: Option<&str>) -> RunChanges {
        RunChanges {
            run_id: RunId::from_string(run),
            source: ChangeSource::Git,
            summary: ChangeSummary {
                files: vec![FileChange {
                    path: "src/a.rs".into(),
                    kind: FileChangeKind::Modified,
                    old_path: None,
                    insertions: 3,
                    deletions: 1,
                    binary: false,
                }],
                files_changed: 1,
                insertions: 3,
                deletions: 1,
                patch: "--- a\n+++ b\n".into(),
                truncated: true,
            },
            worktree: Some(WorktreeChanges {
                branch: format!("autowork/{run}"),
                path: format!("/wt/{run}"),
                commit: commit.map(str::to_owned),
                review: if commit.is_some() {
                    Review::Pending
                } else {
                    Review::Empty
                },
                applied_commit: None,
                superseded_by: None,
            }),
            note: Some("a note".into()),
            recorded_at: at(1_000),
        }
    }

    #[tokio::test]
    async fn changes_are_put_replaced_reviewed_and_superseded() {
        let mut both = Both::fresh().await;
        let first = worktree_changes("r-1", Some("c1"));
        let tools = RunChanges {
            run_id: RunId::from_string("r-3"),
            source: ChangeSource::Tools,
            summary: ChangeSummary::default(),
            worktree: None,
            note: None,
            recorded_at: at(2_000),
        };
        let seen = on_both!(both, |conn| {
            automation(conn, "a-1", "p").await;
            automation(conn, "a-2", "p").await;
            for (id, automation) in [
                ("r-1", "a-1"),
                ("r-2", "a-1"),
                ("r-3", "a-1"),
                ("r-4", "a-2"),
            ] {
                run(conn, id, automation, "manual", "succeeded", 10).await;
            }
            // Recorded again after a resume: the second put replaces the first.
            changes::put(conn, &worktree_changes("r-1", None))
                .await
                .unwrap();
            changes::put(conn, &first).await.unwrap();
            changes::put(conn, &worktree_changes("r-2", Some("c2")))
                .await
                .unwrap();
            changes::put(conn, &tools).await.unwrap();
            changes::put(conn, &worktree_changes("r-4", Some("c4")))
                .await
                .unwrap();
            let r1 = RunId::from_string("r-1");
            let r2 = RunId::from_string("r-2");
            let read = [
                changes::get(conn, &r1).await.unwrap(),
                changes::get(conn, &RunId::from_string("r-3"))
                    .await
                    .unwrap(),
                changes::get(conn, &RunId::from_string("r-9"))
                    .await
                    .unwrap(),
            ];
            let applied = [
                changes::set_review(conn, &r1, Review::Applied, Some("m1"))
                    .await
                    .unwrap(),
                changes::set_review(conn, &r1, Review::Discarded, None)
                    .await
                    .unwrap(),
            ];
            let superseded = [
                changes::supersede(conn, &r2, &r1).await.unwrap(),
                changes::supersede(conn, &r2, &r1).await.unwrap(),
            ];
            let after = [
                changes::get(conn, &r1).await.unwrap(),
                changes::get(conn, &r2).await.unwrap(),
            ];
            let worktree_runs =
                changes::worktree_runs_of_automation(conn, &AutomationId::from_string("a-1"))
                    .await
                    .unwrap();
            (read, applied, superseded, after, worktree_runs)
        });
        let (read, applied, superseded, after, worktree_runs) = seen;
        assert_eq!(read, [Some(first.clone()), Some(tools), None]);
        assert_eq!((applied, superseded), ([true, false], [true, false]));
        let mut r1 = first;
        if let Some(w) = r1.worktree.as_mut() {
            w.review = Review::Applied;
            w.applied_commit = Some("m1".into());
        }
        let mut r2 = worktree_changes("r-2", Some("c2"));
        if let Some(w) = r2.worktree.as_mut() {
            w.review = Review::Superseded;
            w.superseded_by = Some(RunId::from_string("r-1"));
        }
        assert_eq!(after, [Some(r1), Some(r2)]);
        assert_eq!(
            worktree_runs,
            [RunId::from_string("r-1"), RunId::from_string("r-2")]
        );
        both.finish().await;
    }
}

mod runs {
    use super::*;
    use crate::ids::{BlockerId, SessionId};
    use crate::model::run::{
        Attendance, Blocker, BlockerReply, ErrorCode, FollowUp, Question, Run, RunState,
        RunTrigger, StopReason, Transition, Usage,
    };
    use crate::store::runs::{self, Applied, RunFilter};

    fn queued(id: &str, writer_key: &str, queued_at: i64, follow_up_of: Option<&str>) -> Run {
        Run {
            id: RunId::from_string(id),
            automation_id: AutomationId::from_string("a-1"),
            definition_revision: 2,
            revision: 1,
            trigger: RunTrigger::Manual,
            attendance: Attendance::Attended,
            writer_key: writer_key.into(),
            state: RunState::Queued,
            blocker: None,
            result: None,
            error: None,
            stop_reason: None,
            session_id: follow_up_of.map(|_| SessionId::from_string("s-1")),
            cost_usd: 0.0,
            tokens_in: 0,
            tokens_out: 0,
            steps: 0,
            queued_at: at(queued_at),
            started_at: None,
            finished_at: None,
            follow_up: follow_up_of.map(|of| FollowUp {
                of: RunId::from_string(of),
                message: format!("more on {of}"),
            }),
            worker: None,
        }
    }

    /// What applying a transition gave, comparable across backends.
    fn outcome(applied: Applied) -> Option<Run> {
        match applied {
            Applied::Changed(run) => Some(*run),
            Applied::Refused => None,
            Applied::WriterBusy => panic!("writer busy"),
        }
    }

    #[tokio::test]
    async fn a_run_is_inserted_and_moves_through_its_states() {
        let mut both = Both::fresh().await;
        let owner = InstanceId::from_string("i-1");
        let r1 = queued("r-1", "w", 1_000, None);
        let r2 = queued("r-2", "w2", 1_000, Some("r-1"));
        let blocker = Blocker::Question {
            call_id: BlockerId::from_string("b-1"),
            questions: vec![Question {
                question: "which?".into(),
                choices: vec!["a".into(), "b".into()],
            }],
        };
        let reply = BlockerReply::Question {
            answers: vec!["a".into()],
        };
        let seen = on_both!(both, |conn| {
            automation(conn, "a-1", "p").await;
            runs::insert(conn, &r1, Some(&owner)).await.unwrap();
            runs::insert_many(conn, &[&r2], Some(&owner)).await.unwrap();
            let read = [
                runs::get(conn, &r1.id).await.unwrap(),
                runs::get(conn, &r2.id).await.unwrap(),
            ];
            let exists = [
                runs::exists(conn, &r1.id).await.unwrap(),
                runs::exists(conn, &RunId::from_string("r-9"))
                    .await
                    .unwrap(),
            ];
            let mut steps = Vec::new();
            // Started "before" it was queued (the clock stepped back): started when queued.
            for (transition, now) in [
                (
                    Transition::Succeed {
                        result: "early".into(),
                    },
                    2_000,
                ),
                (Transition::Start, 500),
                (
                    Transition::AttachSession(SessionId::from_string("s-9")),
                    2_000,
                ),
                (
                    Transition::Account(Usage {
                        tokens_in: 10,
                        tokens_out: 5,
                        cost_usd: 0.5,
                        steps: 2,
                    }),
                    2_000,
                ),
                (Transition::Block(blocker.clone()), 3_000),
                (
                    Transition::Resume {
                        blocker_id: BlockerId::from_string("b-other"),
                        reply: reply.clone(),
                    },
                    4_000,
                ),
            ] {
                let applied = runs::apply(conn, &r1.id, &transition, at(now))
                    .await
                    .unwrap();
                steps.push(outcome(applied));
            }
            let b1 = BlockerId::from_string("b-1");
            let waiting = runs::by_blocker(conn, &b1).await.unwrap();
            runs::insert_reply(conn, &b1, &r1.id, &reply, at(4_000))
                .await
                .unwrap();
            let stored_reply = runs::reply(conn, &b1).await.unwrap();
            let none_reply = runs::reply(conn, &BlockerId::from_string("b-9"))
                .await
                .unwrap();
            for (transition, now) in [
                (
                    Transition::Resume {
                        blocker_id: b1.clone(),
                        reply: reply.clone(),
                    },
                    4_000,
                ),
                (
                    Transition::Succeed {
                        result: "done".into(),
                    },
                    5_000,
                ),
            ] {
                let applied = runs::apply(conn, &r1.id, &transition, at(now))
                    .await
                    .unwrap();
                steps.push(outcome(applied));
            }
            let failed = runs::apply(
                conn,
                &r2.id,
                &Transition::Fail {
                    code: ErrorCode::ExecutionFailed,
                    message: "no".into(),
                },
                at(100),
            )
            .await
            .unwrap();
            steps.push(outcome(failed));
            let gone_blocker = runs::by_blocker(conn, &b1).await.unwrap();
            (
                read,
                exists,
                steps,
                waiting,
                stored_reply,
                none_reply,
                gone_blocker,
            )
        });
        let (read, exists, steps, waiting, stored_reply, none_reply, gone_blocker) = seen;
        assert_eq!(read, [Some(r1.clone()), Some(r2.clone())]);
        assert_eq!(exists, [true, false]);
        let states: Vec<_> = steps
            .iter()
            .map(|s| s.as_ref().map(|r| (r.state, r.revision)))
            .collect();
        assert_eq!(
            states,
            [
                None,
                Some((RunState::Running, 2)),
                Some((RunState::Running, 3)),
                Some((RunState::Running, 4)),
                Some((RunState::AwaitingInput, 5)),
                None,
                Some((RunState::Running, 6)),
                Some((RunState::Succeeded, 7)),
                Some((RunState::Failed, 2)),
            ]
        );
        let done = steps[7].clone().unwrap();
        assert_eq!(
            (
                done.started_at,
                done.finished_at,
                done.result.as_deref(),
                done.session_id.as_ref().map(SessionId::as_str),
                (done.tokens_in, done.tokens_out, done.cost_usd, done.steps),
                done.blocker,
            ),
            (
                Some(at(1_000)),
                Some(at(5_000)),
                Some("done"),
                Some("s-9"),
                (10, 5, 0.5, 2),
                None
            )
        );
        assert_eq!(steps[4].as_ref().unwrap().blocker, Some(blocker));
        // Failed before it started, "before" it was queued: finished when queued.
        assert_eq!(steps[8].as_ref().unwrap().finished_at, Some(at(1_000)));
        assert_eq!(waiting.map(|r| r.id), Some(r1.id));
        assert_eq!((stored_reply, none_reply), (Some(reply), None));
        assert_eq!(gone_blocker, None);
        both.finish().await;
    }

    #[tokio::test]
    async fn a_second_start_on_a_busy_work_area_is_writer_busy_and_the_transaction_goes_on() {
        let mut both = Both::fresh().await;
        let owner = InstanceId::from_string("i-1");
        let r1 = queued("r-1", "w", 1_000, None);
        let r2 = queued("r-2", "w", 1_100, None);
        let seen = on_both!(both, |conn| {
            automation(conn, "a-1", "p").await;
            runs::insert_many(conn, &[&r1, &r2], Some(&owner))
                .await
                .unwrap();
            let mut tx = sqlx::Connection::begin(&mut **conn).await.unwrap();
            let first = runs::apply(&mut tx, &r1.id, &Transition::Start, at(2_000))
                .await
                .unwrap();
            let second = runs::apply(&mut tx, &r2.id, &Transition::Start, at(2_000))
                .await
                .unwrap();
            let second = matches!(second, Applied::WriterBusy);
            let stop = Transition::Stop(StopReason::WriterBusy);
            let stopped = outcome(
                runs::apply(&mut tx, &r2.id, &stop, at(2_000))
                    .await
                    .unwrap(),
            );
            tx.commit().await.unwrap();
            let holder = runs::busy_holder(conn, &r2.id)
                .await
                .unwrap()
                .map(|(run, title)| (run.id, run.state, title));
            let writer = runs::active_writer(conn, "w").await.unwrap();
            let free = runs::active_writer(conn, "w-free").await.unwrap();
            (
                outcome(first).map(|r| r.state),
                second,
                stopped.map(|r| (r.state, r.stop_reason)),
                holder,
                writer,
                free,
            )
        });
        assert_eq!(
            seen,
            (
                Some(RunState::Running),
                true,
                Some((RunState::Stopped, Some(StopReason::WriterBusy))),
                Some((r1.id.clone(), RunState::Running, "Title a-1".to_owned())),
                Some(r1.id),
                None
            )
        );
        both.finish().await;
    }

    fn ids(runs: Vec<Run>) -> Vec<String> {
        runs.into_iter().map(|r| r.id.to_string()).collect()
    }

    #[tokio::test]
    async fn runs_are_found_by_thread_owner_state_and_page() {
        let mut both = Both::fresh().await;
        let owner = InstanceId::from_string("i-live");
        let dead = InstanceId::from_string("i-dead");
        let seen = on_both!(both, |conn| {
            automation(conn, "a-1", "p").await;
            automation(conn, "a-2", "p").await;
            exec(
                conn,
                "INSERT INTO engine_instances (id, pid, label, started_at, lease_expires_at)
                 VALUES ('i-live', 1, 'x', 0, 10000)",
            )
            .await;
            // A thread: r-1 <- r-2 <- r-3, and r-2 <- r-4.
            let r1 = queued("r-1", "w1", 100, None);
            let r2 = queued("r-2", "w2", 200, Some("r-1"));
            let r3 = queued("r-3", "w3", 300, Some("r-2"));
            let r4 = queued("r-4", "w4", 400, Some("r-2"));
            runs::insert_many(conn, &[&r1, &r2, &r3], Some(&owner))
                .await
                .unwrap();
            runs::insert(conn, &r4, Some(&dead)).await.unwrap();
            run(conn, "r-5", "a-2", "schedule", "succeeded", 500).await;
            run(conn, "r-6", "a-2", "schedule", "awaiting_input", 600).await;
            run(conn, "r-7", "a-2", "manual", "failed", 700).await;
            exec(conn, "UPDATE runs SET state = 'succeeded', started_at = 100, finished_at = 150, result = 'ok', owner_id = NULL WHERE id = 'r-1'").await;
            let r2_id = RunId::from_string("r-2");
            let follow_ups = ids(runs::follow_ups(conn, &r2_id).await.unwrap());
            let thread = ids(runs::thread(conn, &RunId::from_string("r-3"), 10)
                .await
                .unwrap());
            let short = ids(runs::thread(conn, &RunId::from_string("r-3"), 1)
                .await
                .unwrap());
            let none = ids(runs::thread(conn, &RunId::from_string("r-9"), 10)
                .await
                .unwrap());
            let active = ids(
                runs::active_for_automation(conn, &AutomationId::from_string("a-1"))
                    .await
                    .unwrap(),
            );
            let orphaned = ids(runs::orphaned(conn, at(5_000)).await.unwrap());
            let all_orphaned = ids(runs::orphaned(conn, at(20_000)).await.unwrap());
            let inbox = ids(runs::inbox(conn, 10).await.unwrap());
            let marked = runs::mark_seen(
                conn,
                &[
                    RunId::from_string("r-5"),
                    RunId::from_string("r-5"),
                    RunId::from_string("r-1"),
                ],
                at(1),
            )
            .await
            .unwrap();
            let inbox_after = ids(runs::inbox(conn, 10).await.unwrap());
            let all = ids(runs::page(conn, &RunFilter::default(), None, 3)
                .await
                .unwrap());
            let next = ids(runs::page(
                conn,
                &RunFilter::default(),
                Some(&RunId::from_string("r-5")),
                3,
            )
            .await
            .unwrap());
            let filter = RunFilter {
                automation_id: Some(AutomationId::from_string("a-2")),
                states: vec![RunState::Succeeded, RunState::Failed],
                triggers: vec![RunTrigger::Schedule],
                since: Some(at(500)),
                until: Some(at(700)),
            };
            let filtered = ids(runs::page(conn, &filter, None, 10).await.unwrap());
            (
                (
                    follow_ups,
                    thread,
                    short,
                    none,
                    active,
                    orphaned,
                    all_orphaned,
                ),
                (inbox, marked, inbox_after, all, next, filtered),
            )
        });
        let v = |ids: &[&str]| ids.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            seen,
            (
                (
                    v(&["r-3", "r-4"]),
                    v(&["r-1", "r-2", "r-3", "r-4"]),
                    v(&["r-2"]),
                    v(&[]),
                    v(&["r-2", "r-3", "r-4"]),
                    v(&["r-4", "r-6"]),
                    v(&["r-2", "r-3", "r-4", "r-6"]),
                ),
                (
                    v(&["r-7", "r-6", "r-5", "r-1"]),
                    2,
                    v(&["r-7", "r-6"]),
                    v(&["r-7", "r-6", "r-5"]),
                    v(&["r-4", "r-3", "r-2"]),
                    v(&["r-5"]),
                )
            )
        );
        both.finish().await;
    }
}

mod retention {
    use super::*;
    use crate::model::retention::RetentionPolicy;
    use crate::store::retention::{self, Batch, Belongings, Cutoffs};

    /// a-1 (live) has runs that may go, the newest success that stays, an unseen run and
    /// its newest run; a-2 (deleted) has two that may go with their session, messages,
    /// parts and a reply, and its newest run.
    async fn ledger(conn: &mut impl AsConn) {
        automation(conn, "a-1", "p").await;
        automation(conn, "a-2", "p").await;
        for (id, automation, state, at) in [
            ("r-01", "a-1", "succeeded", 10),
            ("r-02", "a-1", "failed", 20),
            ("r-03", "a-1", "succeeded", 30),
            ("r-04", "a-1", "stopped", 40),
            ("r-05", "a-1", "stopped", 50),
            ("r-06", "a-2", "succeeded", 10),
            ("r-07", "a-2", "failed", 20),
            ("r-08", "a-2", "stopped", 30),
        ] {
            run(conn, id, automation, "manual", state, at).await;
        }
        exec(
            conn,
            "UPDATE runs SET seen_at = 1 WHERE id <> 'r-04';
             UPDATE automations SET deleted_at = 1 WHERE id = 'a-2';
             INSERT INTO sessions (id, automation_id, created_at) VALUES ('s-2', 'a-2', 0);
             UPDATE runs SET session_id = 's-2' WHERE id IN ('r-06', 'r-07');
             INSERT INTO messages (id, session_id, run_id, seq, role, created_at)
                VALUES ('m-1', 's-2', 'r-06', 1, 'user', 0), ('m-2', 's-2', 'r-07', 2, 'user', 0);
             INSERT INTO parts (id, message_id, seq, kind, text, created_at)
                VALUES ('p-1', 'm-1', 1, 'text', 'hi', 0), ('p-2', 'm-2', 1, 'text', 'hi', 0);
             INSERT INTO blocker_replies (blocker_id, run_id, reply, replied_at)
                VALUES ('b-1', 'r-06', '{}', 0);
             INSERT INTO run_changes (run_id, source, files_changed, insertions, deletions,
                files, patch, truncated, recorded_at)
                VALUES ('r-01', 'tools', 0, 0, 0, '[]', '', FALSE, 0)",
        )
        .await;
    }

    fn brief(batch: &Batch) -> (Vec<String>, Vec<(String, u64)>, Vec<String>) {
        (
            batch.run_ids.clone(),
            batch.states.clone().into_iter().collect(),
            batch.sessions.clone(),
        )
    }

    #[tokio::test]
    async fn old_runs_go_in_batches_with_what_belongs_to_them() {
        let mut both = Both::fresh().await;
        let cutoffs = Cutoffs {
            keep: Some(1_000),
            failed: Some(1_000),
        };
        let seen = on_both!(both, |conn| {
            ledger(conn).await;
            let first = retention::next_batch(conn, cutoffs, None, None, 2)
                .await
                .unwrap();
            let second = retention::next_batch(conn, cutoffs, first.last(), None, 2)
                .await
                .unwrap();
            let through = retention::next_batch(conn, cutoffs, None, Some("r-01"), 10)
                .await
                .unwrap();
            let failed_kept = Cutoffs {
                keep: Some(1_000),
                failed: None,
            };
            let only_succeeded = retention::next_batch(conn, failed_kept, None, None, 10)
                .await
                .unwrap();
            let counted = [
                retention::belongings(conn, &first).await.unwrap(),
                retention::belongings(conn, &second).await.unwrap(),
                retention::belongings(conn, &Batch::default())
                    .await
                    .unwrap(),
            ];
            let removed = [
                retention::remove(conn, &first).await.unwrap(),
                retention::remove(conn, &second).await.unwrap(),
            ];
            let third = retention::next_batch(conn, cutoffs, None, None, 10)
                .await
                .unwrap();
            let left = [
                scalar(conn, "SELECT COUNT(*) FROM runs").await,
                scalar(conn, "SELECT COUNT(*) FROM sessions").await,
                scalar(conn, "SELECT COUNT(*) FROM messages").await,
                scalar(conn, "SELECT COUNT(*) FROM parts").await,
            ];
            (
                [
                    brief(&first),
                    brief(&second),
                    brief(&through),
                    brief(&only_succeeded),
                ],
                counted,
                removed,
                brief(&third),
                left,
            )
        });
        let ids = |ids: &[&str]| ids.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let states = |states: &[(&str, u64)]| {
            states
                .iter()
                .map(|(s, n)| (s.to_string(), *n))
                .collect::<Vec<_>>()
        };
        let belongings = |messages, parts, changes, blocker_replies| Belongings {
            messages,
            parts,
            changes,
            blocker_replies,
        };
        assert_eq!(
            seen,
            (
                [
                    (
                        ids(&["r-01", "r-02"]),
                        states(&[("failed", 1), ("succeeded", 1)]),
                        ids(&[])
                    ),
                    (
                        ids(&["r-06", "r-07"]),
                        states(&[("failed", 1), ("succeeded", 1)]),
                        ids(&["s-2"])
                    ),
                    (ids(&["r-01"]), states(&[("succeeded", 1)]), ids(&[])),
                    (
                        ids(&["r-01", "r-06"]),
                        states(&[("succeeded", 2)]),
                        ids(&[])
                    ),
                ],
                [
                    belongings(0, 0, 1, 0),
                    belongings(2, 2, 0, 1),
                    Belongings::default()
                ],
                [belongings(0, 0, 1, 0), belongings(2, 2, 0, 1)],
                (ids(&[]), states(&[]), ids(&[])),
                [Some(4), Some(0), Some(0), Some(0)],
            )
        );
        both.finish().await;
    }

    #[tokio::test]
    async fn the_policy_and_the_lease_holder_are_read_alike() {
        let mut both = Both::fresh().await;
        let policy = RetentionPolicy {
            keep_days: Some(30),
            keep_failed_days: Some(90),
        };
        let seen = on_both!(both, |conn| {
            let before = retention::policy(conn).await.unwrap();
            retention::set_policy(conn, &policy).await.unwrap();
            let after = retention::policy(conn).await.unwrap();
            exec(
                conn,
                "INSERT INTO scheduler_lease (id, holder, expires_at) VALUES (1, 'i-1', 1000)",
            )
            .await;
            let holds = [
                retention::holds_scheduler_lease(conn, &InstanceId::from_string("i-1"), at(500))
                    .await
                    .unwrap(),
                retention::holds_scheduler_lease(conn, &InstanceId::from_string("i-1"), at(1_000))
                    .await
                    .unwrap(),
                retention::holds_scheduler_lease(conn, &InstanceId::from_string("i-2"), at(500))
                    .await
                    .unwrap(),
            ];
            (before, after, holds)
        });
        assert_eq!(
            seen,
            (RetentionPolicy::default(), policy, [true, false, false])
        );
        both.finish().await;
    }
}

mod automations {
    use super::*;
    use crate::model::definition::{
        Automation, PausedReason, PermissionAction, PermissionRule, RuleExamples, Trigger,
    };
    use crate::store::automations::{self, Moved};

    fn ids(automations: &[Automation]) -> Vec<String> {
        automations.iter().map(|a| a.id.to_string()).collect()
    }

    /// a-2: a copy of the plain-SQL a-1 with an interval, rules, and a later creation.
    fn second(a1: &Automation) -> Automation {
        let mut a2 = a1.clone();
        a2.id = AutomationId::from_string("a-2");
        a2.created_at = at(1_000);
        a2.updated_at = at(1_000);
        a2.spec.trigger = Trigger::Interval { every_ms: 60_000 };
        a2.spec.permissions = vec![
            PermissionRule::path("read", "src/**", PermissionAction::Allow),
            PermissionRule {
                tool: "bash".into(),
                pattern: None,
                command: Some(vec!["cargo".into(), "fmt".into()]),
                exact: true,
                action: PermissionAction::Ask,
                reason: Some("why".into()),
                examples: RuleExamples::default(),
            },
        ];
        a2
    }

    #[tokio::test]
    async fn automations_are_written_read_moved_listed_and_deleted() {
        let mut both = Both::fresh().await;
        let seen = on_both!(both, |conn| {
            automation(conn, "a-1", "p").await;
            let a1_id = AutomationId::from_string("a-1");
            let a2_id = AutomationId::from_string("a-2");
            let a1 = automations::get(conn, &a1_id).await.unwrap().unwrap();
            let a2 = second(&a1);
            automations::insert(conn, &a2).await.unwrap();
            let read = automations::get(conn, &a2_id).await.unwrap();
            let mut edited = a2.clone();
            edited.spec.title = "Edited".into();
            edited.spec.permissions.pop();
            edited.revision = 2;
            let updated = [
                automations::update(conn, &edited, 1).await.unwrap(),
                automations::update(conn, &edited, 1).await.unwrap(),
            ];
            let after_update = automations::get(conn, &a2_id).await.unwrap();
            let many = ids(&automations::get_many(
                conn,
                &[
                    a2_id.clone(),
                    AutomationId::from_string("a-9"),
                    a1_id.clone(),
                ],
            )
            .await
            .unwrap());
            let listed = ids(&automations::list(conn).await.unwrap());
            let mut anchored = edited.clone();
            anchored.schedule_anchor = Some(at(120_000));
            anchored.revision = 3;
            let owned = automations::update_engine_owned(conn, &anchored, 2)
                .await
                .unwrap();
            let due = automations::due(conn, at(200_000), 10).await.unwrap();
            let earliest = automations::earliest_after(conn, at(0)).await.unwrap();
            automations::set_next_fire(conn, &a1_id, Some(at(7)))
                .await
                .unwrap();
            let due_first = automations::due(conn, at(200_000), 1).await.unwrap();
            let paused_before = automations::any_paused_by_all(conn).await.unwrap();
            let version = automations::listing_version(conn).await.unwrap();
            let mut paused = a1.clone();
            paused.spec.paused = true;
            paused.status.paused_reason = Some(PausedReason::AllPaused);
            paused.revision = 2;
            let mut moved = anchored.clone();
            moved.revision = 4;
            let moved_rows = automations::update_engine_owned_many(
                conn,
                &[
                    Moved {
                        automation: &paused,
                        expected_revision: 1,
                        planned: None,
                    },
                    Moved {
                        automation: &moved,
                        expected_revision: 3,
                        planned: Some(at(180_000)),
                    },
                    // Stale: moved meanwhile, so not written.
                    Moved {
                        automation: &moved,
                        expected_revision: 1,
                        planned: None,
                    },
                ],
            )
            .await
            .unwrap();
            let paused_after = automations::any_paused_by_all(conn).await.unwrap();
            let (live, gone) = automations::listed_since(conn, version).await.unwrap();
            let mut live: Vec<_> = live
                .into_iter()
                .map(|(a, next)| (a.id.to_string(), a.revision, next))
                .collect();
            live.sort();
            let versions = automations::listed_versions(conn, &[a1_id.clone(), a2_id.clone()])
                .await
                .unwrap();
            let stamped = versions.len() == 2 && versions.values().all(|v| *v > version);
            let version = automations::listing_version(conn).await.unwrap();
            let deleted = [
                automations::mark_deleted(conn, &a1_id, 3, at(9_000))
                    .await
                    .unwrap(),
                automations::mark_deleted(conn, &a1_id, 4, at(9_000))
                    .await
                    .unwrap(),
            ];
            let (live_after, gone_after) = automations::listed_since(conn, version).await.unwrap();
            let deleted_reads = (
                automations::get(conn, &a1_id)
                    .await
                    .unwrap()
                    .map(|a| a.revision),
                automations::get_including_deleted(conn, &a1_id)
                    .await
                    .unwrap()
                    .map(|a| a.revision),
            );
            (
                (read, updated, after_update, many, listed, owned),
                (
                    due,
                    earliest,
                    due_first,
                    paused_before,
                    moved_rows,
                    paused_after,
                ),
                (live, gone, stamped),
                (deleted, live_after.len(), gone_after, deleted_reads),
            )
        });
        let a2_read = seen.0 .0.clone().unwrap();
        assert_eq!(
            (
                a2_read.spec.trigger.clone(),
                a2_read.spec.permissions.len(),
                a2_read.spec.permissions[1].exact
            ),
            (Trigger::Interval { every_ms: 60_000 }, 2, true)
        );
        let (read, updated, after_update, many, listed, owned) = seen.0;
        assert_eq!(
            read.map(|a| a.spec.permissions),
            Some(a2_read.spec.permissions)
        );
        assert_eq!(updated, [true, false]);
        let after_update = after_update.unwrap();
        assert_eq!(
            (
                after_update.spec.title.as_str(),
                after_update.spec.permissions.len()
            ),
            ("Edited", 1)
        );
        assert_eq!(
            (many, listed, owned),
            (
                vec!["a-2".to_owned(), "a-1".to_owned()],
                vec!["a-1".to_owned(), "a-2".to_owned()],
                true
            )
        );
        let a2 = AutomationId::from_string("a-2");
        let a1 = AutomationId::from_string("a-1");
        assert_eq!(
            seen.1,
            (
                vec![a2.clone()],
                Some(at(180_000)),
                vec![a1.clone()],
                false,
                2,
                true
            )
        );
        assert_eq!(
            seen.2,
            (
                vec![
                    ("a-1".to_owned(), 2, None),
                    ("a-2".to_owned(), 4, Some(at(180_000)))
                ],
                vec![],
                true
            )
        );
        assert_eq!(seen.3, ([true, false], 0, vec![a1], (None, Some(3))));
        both.finish().await;
    }
}
