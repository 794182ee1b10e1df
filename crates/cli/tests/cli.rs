//! The real `autowork` binary against a temporary data directory and workspace: exit codes,
//! JSON on stdout, messages on stderr, as a user or a script sees them.

// `allow-unwrap-in-tests` covers `#[test]` bodies only; the helpers below are test code too,
// and a failed setup should stop the test where it happens.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use pretty_assertions::assert_eq;
use serde_json::{json, Value};
use tempfile::TempDir;

/// A data directory and a workspace of their own for each test.
struct Sandbox {
    data: TempDir,
    workspace: TempDir,
}

/// What one invocation left behind.
struct Outcome {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Outcome {
    fn json(&self) -> Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| {
            panic!("stdout is not JSON ({e}): {}\n{}", self.stdout, self.stderr)
        })
    }
}

/// Splits a command line on spaces, keeping 'single-quoted' parts together, so tests read
/// like what a user types.
fn words(line: &str) -> Vec<String> {
    let mut words = Vec::new();
    for (i, part) in line.split('\'').enumerate() {
        if i % 2 == 1 {
            words.push(part.to_owned());
        } else {
            words.extend(part.split_whitespace().map(str::to_owned));
        }
    }
    words
}

impl Sandbox {
    fn new() -> Self {
        Self {
            data: TempDir::new().unwrap(),
            workspace: TempDir::new().unwrap(),
        }
    }

    fn workspace(&self) -> String {
        self.workspace.path().display().to_string()
    }

    /// The workspace as the engine stores it (canonical).
    fn canonical_workspace(&self) -> String {
        let path = std::fs::canonicalize(self.workspace.path()).unwrap();
        path.display().to_string()
    }

    /// `autowork <line>` against this sandbox's data directory, in UTC.
    fn command(&self, line: &str) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_autowork"));
        command
            .args(words(line))
            .env("AUTOWORK_DATA_DIR", self.data.path())
            .env("TZ", "UTC")
            .env_remove("AUTOWORK_LOG");
        command
    }

    fn run_with(&self, mut command: Command, stdin: &str) -> Outcome {
        command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = command.spawn().unwrap();
        let mut input = child.stdin.take().unwrap();
        input.write_all(stdin.as_bytes()).unwrap();
        drop(input);
        let output = child.wait_with_output().unwrap();
        Outcome {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8(output.stdout).unwrap(),
            stderr: String::from_utf8(output.stderr).unwrap(),
        }
    }

    fn run(&self, line: &str) -> Outcome {
        self.run_with(self.command(line), "")
    }

    /// Runs a command that must succeed, and parses its JSON stdout.
    fn ok_json(&self, line: &str) -> Value {
        let outcome = self.run(line);
        assert_eq!(
            outcome.code, 0,
            "`{line}` should succeed; stderr: {}\nstdout: {}",
            outcome.stderr, outcome.stdout
        );
        outcome.json()
    }

    /// Creates a weekday-morning automation by flags and returns it.
    fn create(&self, title: &str) -> Value {
        self.ok_json(&format!(
            "automation create --json --title '{title}' --prompt 'Triage new issues' \
             --workspace {} --model openai/gpt-5 --cron '0 9 * * 1-5' --timezone Europe/Berlin",
            self.workspace()
        ))
    }
}

fn id_of(value: &Value) -> String {
    value["id"].as_str().unwrap().to_owned()
}

#[test]
fn create_by_flags_stores_the_automation_that_list_and_show_return() {
    let sandbox = Sandbox::new();
    let created = sandbox.create("Daily triage");

    assert!(id_of(&created).starts_with("aut_"), "{created}");
    assert_eq!(created["revision"], 1);
    assert_eq!(created["title"], "Daily triage");
    assert_eq!(created["workspace"], sandbox.canonical_workspace());
    assert_eq!(
        created["model"],
        json!({ "provider_id": "openai", "model_id": "gpt-5" })
    );
    assert_eq!(
        created["trigger"],
        json!({ "kind": "cron", "expression": "0 9 * * 1-5", "timezone": "Europe/Berlin" })
    );

    let listed = sandbox.ok_json("automation list --json");
    assert_eq!(
        listed,
        json!([created]),
        "list holds exactly the new automation"
    );

    let shown = sandbox.ok_json(&format!("--json automation show {}", id_of(&created)));
    assert_eq!(shown, created, "show returns what create returned");
}

#[test]
fn create_from_stdin_takes_the_file_as_base_and_flags_override_it() {
    let sandbox = Sandbox::new();
    let base = json!({
        "title": "From the file",
        "prompt": "Run the tests",
        "workspace": sandbox.workspace(),
        "model": { "provider_id": "mock", "model_id": "mock-coder" },
        "variant": "high",
        "trigger": { "kind": "manual" },
        "step_cap": 10,
    });
    let command =
        sandbox.command("automation create --file - --title 'From a flag' --every 2h --json");

    let outcome = sandbox.run_with(command, &base.to_string());

    assert_eq!(outcome.code, 0, "stderr: {}", outcome.stderr);
    let created = outcome.json();
    assert_eq!(
        created["title"], "From a flag",
        "the flag wins over the file"
    );
    assert_eq!(created["prompt"], "Run the tests", "the file's fields stay");
    assert_eq!(created["variant"], "high");
    assert_eq!(created["step_cap"], 10);
    assert_eq!(
        created["trigger"],
        json!({ "kind": "interval", "every_ms": 7_200_000 })
    );
}

#[test]
fn relative_workspace_is_resolved_against_the_current_directory() {
    let sandbox = Sandbox::new();
    std::fs::create_dir(sandbox.workspace.path().join("repo")).unwrap();
    let mut command = sandbox.command(
        "automation create --json --title Relative --prompt p --workspace repo \
         --model mock/mock-coder",
    );
    command.current_dir(sandbox.workspace.path());

    let outcome = sandbox.run_with(command, "");

    assert_eq!(outcome.code, 0, "stderr: {}", outcome.stderr);
    let expected = Path::new(&sandbox.canonical_workspace()).join("repo");
    assert_eq!(outcome.json()["workspace"], expected.display().to_string());
}

#[test]
fn cron_without_timezone_uses_the_local_zone_from_tz() {
    let sandbox = Sandbox::new();
    let mut command = sandbox.command(&format!(
        "automation create --json --title Local --prompt p --workspace {} \
         --model mock/mock-coder --cron '30 7 * * *'",
        sandbox.workspace()
    ));
    command.env("TZ", "Asia/Tokyo");

    let outcome = sandbox.run_with(command, "");

    assert_eq!(outcome.code, 0, "stderr: {}", outcome.stderr);
    assert_eq!(outcome.json()["trigger"]["timezone"], "Asia/Tokyo");
}

#[test]
fn update_at_the_current_revision_applies_the_change_as_revision_2() {
    let sandbox = Sandbox::new();
    let id = id_of(&sandbox.create("Before"));

    let updated = sandbox.ok_json(&format!(
        "automation update {id} --expected-revision 1 --title After --every 30m --json"
    ));

    assert_eq!(updated["revision"], 2);
    assert_eq!(updated["title"], "After");
    assert_eq!(
        updated["trigger"],
        json!({ "kind": "interval", "every_ms": 1_800_000 })
    );
    assert_eq!(
        updated["prompt"], "Triage new issues",
        "untouched fields stay"
    );
}

#[test]
fn update_at_a_stale_revision_exits_1_with_a_revision_conflict() {
    let sandbox = Sandbox::new();
    let id = id_of(&sandbox.create("Contested"));
    sandbox.ok_json(&format!(
        "automation update {id} --expected-revision 1 --title First --json"
    ));

    let stale = sandbox.run(&format!(
        "automation update {id} --expected-revision 1 --title Second --json"
    ));

    assert_eq!(stale.code, 1, "stderr: {}", stale.stderr);
    let error = stale.json();
    assert_eq!(error["kind"], "conflict");
    assert_eq!(error["error"], "revision_conflict");
    assert_eq!(error["current_revision"], 2);
    let shown = sandbox.ok_json(&format!("automation show {id} --json"));
    assert_eq!(shown["title"], "First", "the stale change was not applied");
}

#[test]
fn update_without_any_change_exits_2_and_keeps_the_revision() {
    let sandbox = Sandbox::new();
    let id = id_of(&sandbox.create("Unchanged"));

    let outcome = sandbox.run(&format!("automation update {id} --expected-revision 1"));

    assert_eq!(outcome.code, 2, "stderr: {}", outcome.stderr);
    assert!(outcome.stderr.contains("empty_patch"), "{}", outcome.stderr);
    let shown = sandbox.ok_json(&format!("automation show {id} --json"));
    assert_eq!(shown["revision"], 1);
}

#[test]
fn invalid_create_exits_2_and_reports_every_problem_at_once() {
    let sandbox = Sandbox::new();
    let line = format!(
        "automation create --title {} --prompt p --workspace {} --model openai/gpt-5 \
         --cron 'every morning' --timezone Mars/Olympus",
        "x".repeat(161),
        sandbox.workspace()
    );

    let outcome = sandbox.run(&format!("{line} --json"));

    assert_eq!(outcome.code, 2, "stderr: {}", outcome.stderr);
    let error = outcome.json();
    assert_eq!(error["kind"], "validation");
    assert_eq!(error["error"], "invalid_automation");
    let problems: Vec<(&str, &str)> = error["details"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| (d["field"].as_str().unwrap(), d["message"].as_str().unwrap()))
        .collect();
    for expected in [
        ("title", "title_too_long_160"),
        ("trigger.expression", "invalid_cron_expression"),
        ("trigger.timezone", "invalid_timezone"),
    ] {
        assert!(
            problems.contains(&expected),
            "{expected:?} missing from {problems:?}"
        );
    }

    let human = sandbox.run(&line);
    assert_eq!(human.code, 2);
    assert_eq!(human.stdout, "", "errors go to stderr without --json");
    assert!(
        human
            .stderr
            .contains("\n  trigger.timezone: invalid_timezone ("),
        "one line per problem, with its hint: {}",
        human.stderr
    );
    let listed = sandbox.ok_json("automation list --json");
    assert_eq!(listed, json!([]), "nothing was created");
}

#[test]
fn malformed_model_and_every_flags_exit_2_as_invalid_input() {
    let sandbox = Sandbox::new();

    let outcome =
        sandbox.run("automation create --json --title t --prompt p --model gpt-5 --every often");

    assert_eq!(outcome.code, 2, "stderr: {}", outcome.stderr);
    let error = outcome.json();
    assert_eq!(error["kind"], "validation");
    assert_eq!(error["error"], "invalid_input");
    let fields: Vec<&str> = error["details"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["field"].as_str().unwrap())
        .collect();
    assert_eq!(
        fields,
        ["--model", "--every"],
        "both problems, in flag order"
    );
}

#[test]
fn usage_errors_exit_2() {
    let sandbox = Sandbox::new();
    let missing_revision = sandbox.run("automation update aut_x --title t");
    assert_eq!(missing_revision.code, 2, "{}", missing_revision.stderr);
    let timezone_alone = sandbox.run("automation create --timezone UTC");
    assert_eq!(timezone_alone.code, 2, "{}", timezone_alone.stderr);
    let two_triggers = sandbox.run("automation create --every 1h --manual");
    assert_eq!(two_triggers.code, 2, "{}", two_triggers.stderr);
}

#[test]
fn pause_and_resume_toggle_paused_with_a_new_revision_each() {
    let sandbox = Sandbox::new();
    let id = id_of(&sandbox.create("Pausable"));

    let paused = sandbox.ok_json(&format!("automation pause {id} --json"));
    assert_eq!(
        (&paused["paused"], &paused["revision"]),
        (&json!(true), &json!(2))
    );

    let resumed = sandbox.ok_json(&format!("automation resume {id} --json"));
    assert_eq!(
        (&resumed["paused"], &resumed["revision"]),
        (&json!(false), &json!(3))
    );
}

#[test]
fn deleted_automation_is_gone_and_show_exits_1_not_found() {
    let sandbox = Sandbox::new();
    let id = id_of(&sandbox.create("Doomed"));

    let deleted = sandbox.run(&format!("automation delete {id}"));
    assert_eq!(deleted.code, 0, "stderr: {}", deleted.stderr);
    assert_eq!(deleted.stdout, format!("deleted {id}\n"));

    let shown = sandbox.run(&format!("automation show {id} --json"));
    assert_eq!(shown.code, 1);
    assert_eq!(shown.json()["kind"], "not_found");
    let human = sandbox.run(&format!("automation show {id}"));
    assert_eq!(human.code, 1);
    assert!(human.stderr.contains("was not found"), "{}", human.stderr);
}

#[test]
fn run_list_on_an_empty_ledger_is_an_empty_last_page() {
    let sandbox = Sandbox::new();

    let page = sandbox.ok_json("run list --json");
    assert_eq!(page, json!({ "runs": [], "next_cursor": null }));

    let human = sandbox.run("run list");
    assert_eq!((human.code, human.stdout.as_str()), (0, "no runs\n"));
}

#[test]
fn unknown_run_exits_1_not_found() {
    let sandbox = Sandbox::new();
    let outcome = sandbox.run("run show run_missing --json");
    assert_eq!(outcome.code, 1);
    assert_eq!(outcome.json()["kind"], "not_found");
}

#[test]
fn events_since_0_print_one_json_line_per_change_in_order() {
    let sandbox = Sandbox::new();
    let id = id_of(&sandbox.create("Watched"));
    sandbox.ok_json(&format!(
        "automation update {id} --expected-revision 1 --title Renamed --json"
    ));
    sandbox.ok_json(&format!("automation pause {id} --json"));
    assert_eq!(sandbox.run(&format!("automation delete {id}")).code, 0);

    let outcome = sandbox.run("events --since 0 --no-follow");

    assert_eq!(outcome.code, 0, "stderr: {}", outcome.stderr);
    let events: Vec<Value> = outcome
        .stdout
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    let summary: Vec<(&str, u64)> = events
        .iter()
        .map(|e| {
            let kind = e["kind"].as_str().unwrap();
            (kind, e["payload"]["revision"].as_u64().unwrap())
        })
        .collect();
    assert_eq!(
        summary,
        [
            ("automation.updated", 1),
            ("automation.updated", 2),
            ("automation.updated", 3),
            ("automation.deleted", 4),
        ]
    );
    assert_eq!(events[1]["payload"]["title"], "Renamed");
    assert_eq!(events[3]["payload"]["id"], id.as_str());
    let seqs: Vec<i64> = events.iter().map(|e| e["seq"].as_i64().unwrap()).collect();
    assert!(seqs.windows(2).all(|w| w[0] < w[1]), "seq grows: {seqs:?}");

    let after_first = sandbox.run(&format!("events --since {} --no-follow", seqs[0]));
    assert_eq!(
        after_first.stdout.lines().count(),
        3,
        "--since skips what came before"
    );
    let only_new = sandbox.run("events --no-follow");
    assert_eq!(
        (only_new.code, only_new.stdout.as_str()),
        (0, ""),
        "without --since only events from now on"
    );
}

#[test]
fn human_list_is_a_table_with_triggers_in_short_words() {
    let sandbox = Sandbox::new();
    sandbox.create("Weekday triage");
    sandbox.ok_json(&format!(
        "automation create --json --title Half-hourly --prompt p --workspace {} \
         --model mock/mock-coder --every 30m --paused",
        sandbox.workspace()
    ));

    let outcome = sandbox.run("automation list");

    assert_eq!(outcome.code, 0, "stderr: {}", outcome.stderr);
    let lines: Vec<&str> = outcome.stdout.lines().collect();
    assert_eq!(lines.len(), 3, "a header and two rows: {}", outcome.stdout);
    assert!(lines[0].starts_with("ID "), "{}", lines[0]);
    assert!(
        lines[1].contains("cron 0 9 * * 1-5 (Europe/Berlin)"),
        "{}",
        lines[1]
    );
    assert!(lines[2].contains("every 30m"), "{}", lines[2]);
    assert!(lines[2].contains("paused"), "{}", lines[2]);
    let trigger_column: Vec<Option<usize>> = [("TRIGGER", 0), ("cron", 1), ("every", 2)]
        .iter()
        .map(|(word, line)| lines[*line].find(word))
        .collect();
    assert!(
        trigger_column.windows(2).all(|w| w[0] == w[1]),
        "the trigger column lines up: {}",
        outcome.stdout
    );
}

#[cfg(unix)]
#[test]
fn events_follow_prints_new_changes_until_interrupted() {
    use std::io::{BufRead, BufReader};

    let sandbox = Sandbox::new();
    let id = id_of(&sandbox.create("Followed"));
    // Follow from the creation on, so the test does not race the follower's start.
    let history = sandbox.run("events --since 0 --no-follow");
    let created: Value = serde_json::from_str(history.stdout.trim()).unwrap();
    let mut follower = sandbox.command(&format!("events --since {}", created["seq"]));
    follower.stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = follower.spawn().unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();

    sandbox.ok_json(&format!("automation pause {id} --json"));
    let line = lines.next().unwrap().unwrap();
    let event: Value = serde_json::from_str(&line).unwrap();
    assert_eq!(event["kind"], "automation.updated");
    assert_eq!(event["payload"]["paused"], true);
    assert_eq!(
        event["payload"]["revision"], 2,
        "the creation came before --since"
    );

    let interrupt = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(interrupt.success());
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(0), "Ctrl-C ends the follow cleanly");
}
