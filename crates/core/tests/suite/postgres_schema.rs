//! The team database's schema (`migrations_postgres/`) against SQLite's (`migrations/`): the
//! same tables, columns, keys, indexes and triggers, and the same rules refused by the
//! database itself. Each test migrates a database of its own on the PostgreSQL server named
//! by AUTOWORK_TEST_POSTGRES_URL (`scripts/with-postgres.sh` starts one; `make test` runs
//! the tests through it), so they run in parallel.

use std::collections::{BTreeMap, BTreeSet};

use autowork_core::store::{Store, POSTGRES_MIGRATOR};
use pretty_assertions::assert_eq;
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{PgPool, Row, SqlitePool};

/// The SQLite INTEGER columns that are BOOLEAN on PostgreSQL: the engine reads and writes
/// them as Rust `bool`, which sqlx stores as 0/1 on SQLite and as a boolean on PostgreSQL.
const FLAGS: &[(&str, &str)] = &[
    ("automations", "wait_for_input_when_unattended"),
    ("automations", "paused"),
    ("automations", "sandbox_network"),
    ("automations", "paused_by_all"),
    ("permission_rules", "exact"),
    ("parts", "is_error"),
    ("run_changes", "truncated"),
];

#[path = "../../src/store/test_database.rs"]
mod test_database;
use test_database::TestDatabase;

/// A freshly migrated database of its own on the test server; `None` (the test returns
/// early) only when AUTOWORK_SKIP_POSTGRES=1 says to skip.
async fn fresh_pg() -> Option<TestDatabase> {
    TestDatabase::fresh(
        "autowork_test",
        2,
        &POSTGRES_MIGRATOR,
        "the PostgreSQL schema checks",
    )
    .await
}

/// A SQLite file migrated by the engine itself, opened again with foreign keys on.
async fn fresh_sqlite(dir: &tempfile::TempDir) -> SqlitePool {
    let path = dir.path().join("autowork.db");
    drop(Store::open(&path).await.unwrap());
    let options = SqliteConnectOptions::new()
        .filename(&path)
        .foreign_keys(true);
    sqlx::sqlite::SqlitePoolOptions::new()
        .max_connections(1)
        .connect_with(options)
        .await
        .unwrap()
}

/// A column as both schemas can say it: its type as PostgreSQL would spell SQLite's, whether
/// it may be NULL, whether it has a default.
#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Column {
    table: String,
    name: String,
    pg_type: String,
    nullable: bool,
    has_default: bool,
}

async fn sqlite_tables(db: &SqlitePool) -> Vec<String> {
    sqlx::query_scalar(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'
           AND name <> '_sqlx_migrations' ORDER BY name",
    )
    .fetch_all(db)
    .await
    .unwrap()
}

async fn sqlite_columns(db: &SqlitePool) -> BTreeSet<Column> {
    let flags: BTreeSet<(&str, &str)> = FLAGS.iter().copied().collect();
    let mut columns = BTreeSet::new();
    for table in sqlite_tables(db).await {
        let rows = sqlx::query(
            "SELECT name, type, \"notnull\", dflt_value IS NOT NULL, pk FROM pragma_table_info(?)",
        )
        .bind(&table)
        .fetch_all(db)
        .await
        .unwrap();
        for row in rows {
            let name: String = row.get(0);
            let declared: String = row.get(1);
            let pg_type = match declared.as_str() {
                "TEXT" => "text",
                "REAL" => "double precision",
                "INTEGER" if flags.contains(&(table.as_str(), name.as_str())) => "boolean",
                "INTEGER" => "bigint",
                other => panic!("{table}.{name}: no PostgreSQL type for SQLite's `{other}`"),
            };
            // A primary key column is never NULL on PostgreSQL; on SQLite an INTEGER PRIMARY
            // KEY (the rowid) is not either, though it is not declared NOT NULL.
            let pk: i64 = row.get(4);
            columns.insert(Column {
                table: table.clone(),
                name,
                pg_type: pg_type.to_owned(),
                nullable: !row.get::<bool, _>(2) && pk == 0,
                has_default: row.get(3),
            });
        }
    }
    columns
}

async fn pg_columns(db: &PgPool) -> BTreeSet<Column> {
    let rows = sqlx::query(
        "SELECT table_name::text, column_name::text, data_type::text, is_nullable = 'YES',
                column_default IS NOT NULL
         FROM information_schema.columns
         WHERE table_schema = current_schema() AND table_name <> '_sqlx_migrations'",
    )
    .fetch_all(db)
    .await
    .unwrap();
    rows.into_iter()
        .map(|row| Column {
            table: row.get(0),
            name: row.get(1),
            pg_type: row.get(2),
            nullable: row.get(3),
            has_default: row.get(4),
        })
        .collect()
}

#[tokio::test]
async fn postgres_has_every_table_and_column_of_sqlite() {
    let Some(pg) = fresh_pg().await else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let sqlite = fresh_sqlite(&dir).await;

    let pg_tables: Vec<String> = sqlx::query_scalar(
        "SELECT table_name::text FROM information_schema.tables
         WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'
           AND table_name <> '_sqlx_migrations' ORDER BY table_name",
    )
    .fetch_all(&pg.pool)
    .await
    .unwrap();
    assert_eq!(pg_tables, sqlite_tables(&sqlite).await, "the same tables");

    // The outbox's sequence number is SQLite's AUTOINCREMENT rowid, PostgreSQL's identity
    // column: both number an event inserted without one, which counts as a default.
    let identity: Vec<String> = sqlx::query_scalar(
        "SELECT table_name || '.' || column_name FROM information_schema.columns
         WHERE table_schema = current_schema() AND is_identity = 'YES'",
    )
    .fetch_all(&pg.pool)
    .await
    .unwrap();
    assert_eq!(
        identity,
        ["events.seq"],
        "the outbox numbers its events itself"
    );
    let numbered = |c: Column| Column {
        has_default: c.has_default || (c.table == "events" && c.name == "seq"),
        ..c
    };
    let sqlite_columns: BTreeSet<Column> = sqlite_columns(&sqlite)
        .await
        .into_iter()
        .map(numbered)
        .collect();
    let pg_columns: BTreeSet<Column> = pg_columns(&pg.pool)
        .await
        .into_iter()
        .map(numbered)
        .collect();
    assert_eq!(
        pg_columns, sqlite_columns,
        "every column with a compatible type, the same nullability and defaults"
    );
    pg.drop_db().await;
}

/// Primary keys, unique constraints and foreign keys, per table, in one comparable shape.
#[tokio::test]
async fn postgres_has_the_same_keys_indexes_and_triggers() {
    let Some(pg) = fresh_pg().await else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let sqlite = fresh_sqlite(&dir).await;

    // Keys: `table pk|unique (columns)` and `table fk (column) -> table (column) ON DELETE x`.
    let mut sqlite_keys = BTreeSet::new();
    for table in sqlite_tables(&sqlite).await {
        let pk: Vec<String> =
            sqlx::query_scalar("SELECT name FROM pragma_table_info(?) WHERE pk > 0 ORDER BY pk")
                .bind(&table)
                .fetch_all(&sqlite)
                .await
                .unwrap();
        if !pk.is_empty() {
            sqlite_keys.insert(format!("{table} pk ({})", pk.join(", ")));
        }
        let uniques: Vec<String> = sqlx::query_scalar(
            "SELECT (SELECT group_concat(name, ', ') FROM
                        (SELECT name FROM pragma_index_info(l.name) ORDER BY seqno))
             FROM pragma_index_list(?) l WHERE l.origin = 'u'",
        )
        .bind(&table)
        .fetch_all(&sqlite)
        .await
        .unwrap();
        for columns in uniques {
            sqlite_keys.insert(format!("{table} unique ({columns})"));
        }
        let fks = sqlx::query(
            "SELECT \"from\", \"table\", \"to\", on_delete FROM pragma_foreign_key_list(?)",
        )
        .bind(&table)
        .fetch_all(&sqlite)
        .await
        .unwrap();
        for fk in fks {
            sqlite_keys.insert(format!(
                "{table} fk ({}) -> {} ({}) ON DELETE {}",
                fk.get::<String, _>(0),
                fk.get::<String, _>(1),
                fk.get::<String, _>(2),
                fk.get::<String, _>(3),
            ));
        }
    }
    let pg_keys: BTreeSet<String> = sqlx::query_scalar(
        "SELECT c.conrelid::regclass::text || ' ' ||
                CASE c.contype WHEN 'p' THEN 'pk' WHEN 'u' THEN 'unique' ELSE 'fk' END || ' (' ||
                (SELECT string_agg(a.attname, ', ' ORDER BY k.ord)
                   FROM unnest(c.conkey) WITH ORDINALITY k(attnum, ord)
                   JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.attnum) || ')' ||
                CASE WHEN c.contype = 'f' THEN
                  ' -> ' || c.confrelid::regclass::text || ' (' ||
                  (SELECT a.attname FROM pg_attribute a
                    WHERE a.attrelid = c.confrelid AND a.attnum = c.confkey[1]) || ') ON DELETE ' ||
                  CASE c.confdeltype WHEN 'a' THEN 'NO ACTION' WHEN 'c' THEN 'CASCADE'
                    WHEN 'r' THEN 'RESTRICT' WHEN 'n' THEN 'SET NULL' ELSE 'SET DEFAULT' END
                ELSE '' END
         FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace
         WHERE n.nspname = current_schema() AND c.contype IN ('p', 'u', 'f')
           AND c.conrelid::regclass::text <> '_sqlx_migrations'",
    )
    .fetch_all(&pg.pool)
    .await
    .unwrap()
    .into_iter()
    .collect();
    assert_eq!(
        pg_keys, sqlite_keys,
        "the same primary, unique and foreign keys"
    );

    // Indexes made by CREATE INDEX: `name unique? partial? (columns)`, an expression as `<expr>`.
    let mut sqlite_indexes = BTreeSet::new();
    for table in sqlite_tables(&sqlite).await {
        let indexes = sqlx::query(
            "SELECT name, \"unique\", partial FROM pragma_index_list(?) WHERE origin = 'c'",
        )
        .bind(&table)
        .fetch_all(&sqlite)
        .await
        .unwrap();
        for index in indexes {
            let name: String = index.get(0);
            let columns: Vec<Option<String>> = sqlx::query_scalar(
                "SELECT name FROM pragma_index_xinfo(?) WHERE key = 1 ORDER BY seqno",
            )
            .bind(&name)
            .fetch_all(&sqlite)
            .await
            .unwrap();
            let columns: Vec<String> = columns
                .into_iter()
                .map(|c| c.unwrap_or_else(|| "<expr>".to_owned()))
                .collect();
            sqlite_indexes.insert(format!(
                "{table}.{name} unique={} partial={} ({})",
                index.get::<bool, _>(1),
                index.get::<bool, _>(2),
                columns.join(", ")
            ));
        }
    }
    let pg_indexes: BTreeSet<String> = sqlx::query_scalar(
        "SELECT t.relname || '.' || i.relname || ' unique=' || x.indisunique ||
                ' partial=' || (x.indpred IS NOT NULL) || ' (' ||
                (SELECT string_agg(COALESCE(a.attname::text, '<expr>'), ', ' ORDER BY k.ord)
                   FROM unnest(x.indkey::int2[]) WITH ORDINALITY k(attnum, ord)
                   LEFT JOIN pg_attribute a ON a.attrelid = x.indrelid AND a.attnum = k.attnum)
                || ')'
         FROM pg_index x
         JOIN pg_class i ON i.oid = x.indexrelid
         JOIN pg_class t ON t.oid = x.indrelid
         JOIN pg_namespace n ON n.oid = t.relnamespace
         WHERE n.nspname = current_schema() AND t.relname <> '_sqlx_migrations'
           AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)",
    )
    .fetch_all(&pg.pool)
    .await
    .unwrap()
    .into_iter()
    .collect();
    assert_eq!(pg_indexes, sqlite_indexes, "the same indexes");

    let sqlite_triggers: BTreeSet<String> = sqlx::query_scalar(
        "SELECT tbl_name || '.' || name FROM sqlite_master WHERE type = 'trigger'",
    )
    .fetch_all(&sqlite)
    .await
    .unwrap()
    .into_iter()
    .collect();
    let pg_triggers: BTreeSet<String> = sqlx::query_scalar(
        "SELECT DISTINCT event_object_table::text || '.' || trigger_name::text
         FROM information_schema.triggers WHERE trigger_schema = current_schema()",
    )
    .fetch_all(&pg.pool)
    .await
    .unwrap()
    .into_iter()
    .collect();
    // The one trigger only the team database has: it wakes the workers listening for events.
    let pg_triggers: BTreeSet<String> = pg_triggers
        .into_iter()
        .filter(|name| name != "events.events_notify")
        .collect();
    assert_eq!(pg_triggers, sqlite_triggers, "the same triggers");
    pg.drop_db().await;
}

/// Statements written once, in SQL both dialects accept (literals only, TRUE/FALSE for the
/// flags), so each store is asked exactly the same thing.
fn automation(id: &str) -> String {
    automation_with(id, "'manual'", "", "")
}

fn automation_with(id: &str, trigger: &str, columns: &str, values: &str) -> String {
    format!(
        "INSERT INTO automations (id, title, prompt, workspace, provider_id, model_id,
            trigger_kind, stop_kind, context, placement_kind, step_cap, revision, created_at,
            updated_at{columns})
         VALUES ('{id}', 't', 'p', '/w', 'openai', 'gpt', {trigger}, 'never', 'fresh',
            'in_place', 50, 1, 1000, 1000{values})"
    )
}

fn run(id: &str, writer_key: &str, state_columns: &str, state_values: &str) -> String {
    format!(
        "INSERT INTO runs (id, automation_id, definition_revision, revision, trigger, attendance,
            writer_key, queued_at, state{state_columns})
         VALUES ('{id}', 'aut_a', 1, 1, 'manual', 'attended', '{writer_key}', 1000, {state_values})"
    )
}

/// Runs `sql` on both stores; returns whether each accepted it.
async fn on_both(sqlite: &SqlitePool, pg: &PgPool, sql: &str) -> (bool, bool) {
    let on_sqlite = sqlx::query(sql).execute(sqlite).await;
    let on_pg = sqlx::query(sql).execute(pg).await;
    if let Err(error) = &on_pg {
        // Refused by a rule, not by a typo in the test's SQL.
        let code = error
            .as_database_error()
            .and_then(|e| e.code())
            .map(|c| c.into_owned());
        assert!(
            matches!(code.as_deref(), Some("23505" | "23514" | "23502" | "23503")),
            "PostgreSQL refused `{sql}` for another reason: {error}"
        );
    }
    (on_sqlite.is_ok(), on_pg.is_ok())
}

#[tokio::test]
async fn postgres_refuses_what_sqlite_refuses() {
    let Some(pg) = fresh_pg().await else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let sqlite = fresh_sqlite(&dir).await;

    let cases: Vec<(&str, String, bool)> = vec![
        ("an automation", automation("aut_a"), true),
        (
            "a running run takes the work area",
            run("run_1", "/w", ", started_at", "'running', 1000"),
            true,
        ),
        (
            "a second running run on the same work area",
            run("run_2", "/w", ", started_at", "'running', 1000"),
            false,
        ),
        (
            "one awaiting input on the same work area",
            run(
                "run_3",
                "/w",
                ", started_at, blocker_id, blocker",
                "'awaiting_input', 1000, 'req_1', '{}'",
            ),
            false,
        ),
        (
            "a queued run on the same work area waits",
            run("run_4", "/w", "", "'queued'"),
            true,
        ),
        (
            "a finished run on the same work area",
            run(
                "run_5",
                "/w",
                ", started_at, finished_at, result",
                "'succeeded', 1000, 2000, 'done'",
            ),
            true,
        ),
        (
            "a running run on another work area",
            run("run_6", "/other", ", started_at", "'running', 1000"),
            true,
        ),
        (
            "a state the ledger does not know",
            run("run_7", "/x", "", "'exploded'"),
            false,
        ),
        (
            "failed without an error",
            run(
                "run_8",
                "/x",
                ", started_at, finished_at",
                "'failed', 1000, 2000",
            ),
            false,
        ),
        (
            "stopped without a reason",
            run("run_9", "/x", ", finished_at", "'stopped', 2000"),
            false,
        ),
        (
            "running without a start",
            run("run_10", "/x", "", "'running'"),
            false,
        ),
        (
            "started before it was queued",
            run("run_11", "/x", ", started_at", "'running', 999"),
            false,
        ),
        (
            "an error code the ledger does not know",
            run(
                "run_12",
                "/x",
                ", started_at, finished_at, error_code, error_message",
                "'failed', 1000, 2000, 'oops', 'm'",
            ),
            false,
        ),
        (
            "a follow-up without its message",
            run("run_13", "/x", ", follow_up_of", "'queued', 'run_1'"),
            false,
        ),
        (
            "an interval under 30 s",
            automation_with("aut_b", "'interval'", ", trigger_every_ms", ", 1000"),
            false,
        ),
        (
            "an interval of 30 s",
            automation_with("aut_c", "'interval'", ", trigger_every_ms", ", 30000"),
            true,
        ),
        (
            "an interval without its period",
            automation_with("aut_d", "'interval'", "", ""),
            false,
        ),
        (
            "paused by Pause all, but not paused",
            "UPDATE automations SET paused_by_all = TRUE WHERE id = 'aut_a'".into(),
            false,
        ),
        (
            "paused by Pause all",
            "UPDATE automations SET paused = TRUE, paused_by_all = TRUE WHERE id = 'aut_a'".into(),
            true,
        ),
        (
            "a rule with neither pattern nor command",
            "INSERT INTO permission_rules (automation_id, position, tool, action)
             VALUES ('aut_a', 0, 'bash', 'allow')"
                .into(),
            false,
        ),
        (
            "a rule for an automation that does not exist",
            "INSERT INTO permission_rules (automation_id, position, tool, pattern, action)
             VALUES ('aut_none', 0, 'read', '*', 'allow')"
                .into(),
            false,
        ),
        (
            "a superseded review that names no follow-up",
            "INSERT INTO run_changes (run_id, source, files_changed, insertions, deletions,
                files, patch, truncated, worktree_branch, worktree_commit, review, recorded_at)
             VALUES ('run_5', 'git', 0, 0, 0, '[]', '', FALSE, 'b', 'c', 'superseded', 1)"
                .into(),
            false,
        ),
        (
            "a second scheduler lease",
            "INSERT INTO scheduler_lease (id, holder, expires_at) VALUES (2, 'x', 1)".into(),
            false,
        ),
    ];
    let mut expected = Vec::new();
    let mut outcome = Vec::new();
    for (what, sql, accepted) in &cases {
        let (on_sqlite, on_pg) = on_both(&sqlite, &pg.pool, sql).await;
        expected.push(format!("{what}: sqlite {accepted}, postgres {accepted}"));
        outcome.push(format!("{what}: sqlite {on_sqlite}, postgres {on_pg}"));
    }
    assert_eq!(outcome, expected, "each store accepts and refuses the same");

    // The partial unique index is what refused the second writer on PostgreSQL.
    let error = sqlx::query(&run("run_14", "/w", ", started_at", "'running', 1000"))
        .execute(&pg.pool)
        .await
        .unwrap_err();
    let error = error.as_database_error().unwrap();
    assert_eq!(
        (error.code().as_deref(), error.constraint()),
        (Some("23505"), Some("runs_one_writer_per_work_area")),
        "one writer per work area: {error}"
    );
    // Once the writer ends, the area is free again.
    for db in [&sqlite as &dyn Exec, &pg.pool] {
        db.exec(
            "UPDATE runs SET state = 'succeeded', finished_at = 3000, result = 'ok'
             WHERE id = 'run_1'",
        )
        .await;
        db.exec("UPDATE runs SET state = 'running', started_at = 3000 WHERE id = 'run_4'")
            .await;
    }
    pg.drop_db().await;
}

/// One statement on either store, which must succeed.
trait Exec {
    fn exec<'a>(&'a self, sql: &'a str) -> futures_util::future::BoxFuture<'a, ()>;
    fn versions<'a>(&'a self) -> futures_util::future::BoxFuture<'a, BTreeMap<String, i64>>;
}

impl Exec for SqlitePool {
    fn exec<'a>(&'a self, sql: &'a str) -> futures_util::future::BoxFuture<'a, ()> {
        Box::pin(async move {
            sqlx::query(sql).execute(self).await.unwrap();
        })
    }
    fn versions<'a>(&'a self) -> futures_util::future::BoxFuture<'a, BTreeMap<String, i64>> {
        Box::pin(async move {
            sqlx::query_as("SELECT id, listed_version FROM automations")
                .fetch_all(self)
                .await
                .unwrap()
                .into_iter()
                .collect()
        })
    }
}

impl Exec for PgPool {
    fn exec<'a>(&'a self, sql: &'a str) -> futures_util::future::BoxFuture<'a, ()> {
        Box::pin(async move {
            sqlx::query(sql).execute(self).await.unwrap();
        })
    }
    fn versions<'a>(&'a self) -> futures_util::future::BoxFuture<'a, BTreeMap<String, i64>> {
        Box::pin(async move {
            sqlx::query_as("SELECT id, listed_version FROM automations")
                .fetch_all(self)
                .await
                .unwrap()
                .into_iter()
                .collect()
        })
    }
}

/// Which automations each step stamped with a new listing version (checking that a stamp is
/// always the newest version of all).
async fn stamped_by_each_step(db: &dyn Exec, steps: &[(&str, String)]) -> Vec<String> {
    let mut before = db.versions().await;
    let mut out = Vec::new();
    for (what, sql) in steps {
        db.exec(sql).await;
        let after = db.versions().await;
        let highest_before = before.values().copied().max().unwrap_or(0);
        let stamped: Vec<&str> = after
            .iter()
            .filter(|(id, version)| before.get(*id) != Some(version))
            .map(|(id, version)| {
                assert!(
                    *version > highest_before,
                    "{what}: {id} stamped {version}, not above {highest_before}"
                );
                id.as_str()
            })
            .collect();
        out.push(format!("{what}: {}", stamped.join(" ")));
        before = after;
    }
    out
}

#[tokio::test]
async fn listing_version_moves_on_the_same_changes_as_on_sqlite() {
    let Some(pg) = fresh_pg().await else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let sqlite = fresh_sqlite(&dir).await;

    let steps: Vec<(&str, String)> = vec![
        ("automation a created", automation("aut_a")),
        ("automation b created", automation("aut_b")),
        (
            "a renamed",
            "UPDATE automations SET title = 'x' WHERE id = 'aut_a'".into(),
        ),
        (
            "a rule added to a",
            "INSERT INTO permission_rules (automation_id, position, tool, pattern, action)
             VALUES ('aut_a', 0, 'read', '*', 'allow')"
                .into(),
        ),
        (
            "a rule of a removed",
            "DELETE FROM permission_rules WHERE automation_id = 'aut_a'".into(),
        ),
        ("a run of a queued", run("run_1", "/w", "", "'queued'")),
        // The scheduler's runs are stamped by the anchor move in their transaction.
        (
            "a fire of a queued",
            "INSERT INTO runs (id, automation_id, definition_revision, revision, trigger,
                attendance, writer_key, queued_at, state)
             VALUES ('run_2', 'aut_a', 1, 1, 'catch_up', 'unattended', '/w', 1000, 'queued')"
                .into(),
        ),
        (
            "a missed fire of a recorded",
            "INSERT INTO runs (id, automation_id, definition_revision, revision, trigger,
                attendance, writer_key, queued_at, state, stop_reason, finished_at)
             VALUES ('run_3', 'aut_a', 1, 1, 'schedule', 'unattended', '/w', 1000, 'stopped',
                'missed_schedule', 1000)"
                .into(),
        ),
        (
            "a moved by the fires",
            "UPDATE automations SET schedule_anchor = 1000, revision = 3 WHERE id = 'aut_a'".into(),
        ),
        (
            "the run counts a step",
            "UPDATE runs SET steps = 1, tokens_in = 10 WHERE id = 'run_1'".into(),
        ),
        (
            "the run starts",
            "UPDATE runs SET state = 'running', started_at = 1000 WHERE id = 'run_1'".into(),
        ),
        (
            "the run costs more",
            "UPDATE runs SET cost_usd = 0.5 WHERE id = 'run_1'".into(),
        ),
        (
            "the run costs the same",
            "UPDATE runs SET cost_usd = 0.5 WHERE id = 'run_1'".into(),
        ),
        (
            "the run succeeds",
            "UPDATE runs SET state = 'succeeded', finished_at = 2000, result = 'ok'
             WHERE id = 'run_1'"
                .into(),
        ),
        (
            "the run is seen",
            "UPDATE runs SET seen_at = 3000 WHERE id = 'run_1'".into(),
        ),
        (
            "the run is removed",
            "DELETE FROM runs WHERE id = 'run_1'".into(),
        ),
        (
            "b deleted (soft)",
            "UPDATE automations SET deleted_at = 4000 WHERE id = 'aut_b'".into(),
        ),
        (
            "a rule added to b",
            "INSERT INTO permission_rules (automation_id, position, tool, pattern, action)
             VALUES ('aut_b', 0, 'read', '*', 'allow')"
                .into(),
        ),
        // Its rules cascade away, and their trigger finds no automation left to stamp.
        (
            "b removed for good",
            "DELETE FROM automations WHERE id = 'aut_b'".into(),
        ),
    ];
    let expected = vec![
        "automation a created: aut_a",
        "automation b created: aut_b",
        "a renamed: aut_a",
        "a rule added to a: aut_a",
        "a rule of a removed: aut_a",
        "a run of a queued: aut_a",
        "a fire of a queued: ",
        "a missed fire of a recorded: ",
        "a moved by the fires: aut_a",
        "the run counts a step: ",
        "the run starts: aut_a",
        "the run costs more: aut_a",
        "the run costs the same: ",
        "the run succeeds: aut_a",
        "the run is seen: ",
        "the run is removed: aut_a",
        "b deleted (soft): aut_b",
        "a rule added to b: aut_b",
        "b removed for good: ",
    ];
    assert_eq!(
        stamped_by_each_step(&sqlite, &steps).await,
        expected,
        "SQLite's listing version (the reference)"
    );
    assert_eq!(
        stamped_by_each_step(&pg.pool, &steps).await,
        expected,
        "PostgreSQL's listing version moves on the same changes"
    );
    pg.drop_db().await;
}
