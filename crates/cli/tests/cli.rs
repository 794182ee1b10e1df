//! The real `autowork` binary against a temporary data directory and workspace: exit codes,
//! JSON on stdout, messages on stderr, as a user or a script sees them.

// `allow-unwrap-in-tests` covers `#[test]` bodies only; the helpers below are test code too,
// and a failed setup should stop the test where it happens.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{Read, Write};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use pretty_assertions::assert_eq;
use serde_json::{json, Value};
use tempfile::TempDir;

/// A data directory and a workspace of their own for each test.
struct Sandbox {
    data: TempDir,
    workspace: TempDir,
}

/// What one invocation left behind.
#[derive(Debug)]
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
    // A list computes only the next fire of each; a single read, the next five.
    let mut brief = created.clone();
    brief["next_fires"] = json!([created["next_fires"][0]]);
    assert_eq!(
        listed,
        json!([brief]),
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
fn pause_all_pauses_schedules_and_resume_all_leaves_the_hand_paused_alone() {
    let sandbox = Sandbox::new();
    let running = id_of(&sandbox.create("Nightly"));
    let by_hand = id_of(&sandbox.create("Weekly"));
    sandbox.ok_json(&format!("automation pause {by_hand} --json"));

    assert_eq!(
        sandbox.ok_json("automation pause-all --json"),
        json!({ "changed": 1 })
    );
    let shown = sandbox.ok_json(&format!("automation show {running} --json"));
    assert_eq!(
        (&shown["paused"], &shown["paused_reason"]),
        (&json!(true), &json!("all_paused"))
    );
    let human = sandbox.run("automation resume-all");
    assert_eq!(
        (human.code, human.stdout.as_str()),
        (0, "resumed 1 automation\n")
    );
    let by_hand = sandbox.ok_json(&format!("automation show {by_hand} --json"));
    assert_eq!(by_hand["paused"], json!(true));
}

#[test]
fn run_list_refuses_an_unreadable_date_naming_the_flag() {
    let sandbox = Sandbox::new();
    let outcome = sandbox.run("run list --since yesterday");
    assert_eq!(outcome.code, 2);
    assert!(outcome.stderr.contains("--since"), "{}", outcome.stderr);
    let page = sandbox.ok_json("run list --json --since 2027-03-01 --trigger manual");
    assert_eq!(page, json!({ "runs": [], "next_cursor": null }));
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

// ---- providers -------------------------------------------------------------------------

#[test]
fn provider_add_list_and_remove_keep_user_providers_beside_the_presets() {
    let sandbox = Sandbox::new();

    let added = sandbox.ok_json(
        "provider add --json --id local-vllm --kind openai-compatible \
         --base-url http://127.0.0.1:8000/v1 --api-key-env AUTOWORK_TEST_VLLM_KEY \
         --model qwen-coder --model llama-3",
    );
    assert_eq!(
        added,
        json!({
            "id": "local-vllm",
            "kind": "openai_compatible",
            "base_url": "http://127.0.0.1:8000/v1",
            "api_key_env": "AUTOWORK_TEST_VLLM_KEY",
            "api_key_in_keychain": false,
            "models": ["qwen-coder", "llama-3"],
            "source": "user",
            "key_set": false,
        })
    );

    let mut list = sandbox.command("provider list --json");
    list.env("AUTOWORK_TEST_VLLM_KEY", "sk-very-secret");
    let listed = sandbox.run_with(list, "");
    assert_eq!(listed.code, 0, "stderr: {}", listed.stderr);
    assert!(
        !listed.stdout.contains("sk-very-secret"),
        "the key is never printed"
    );
    let providers = listed.json();
    let summary: Vec<(&str, &str)> = providers
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["id"].as_str().unwrap(), p["source"].as_str().unwrap()))
        .collect();
    assert_eq!(
        summary,
        [
            ("local-vllm", "user"),
            ("openai", "preset"),
            ("anthropic", "preset"),
            ("openrouter", "preset"),
            ("ollama", "preset"),
        ]
    );
    assert_eq!(providers[0]["key_set"], true, "the variable is set here");
    assert_eq!(providers[4]["key_set"], Value::Null, "ollama needs no key");

    let human = sandbox.run("provider list");
    assert!(
        human.stdout.contains("$AUTOWORK_TEST_VLLM_KEY (not set)"),
        "{}",
        human.stdout
    );

    let models = sandbox.ok_json("models --json");
    let ids: Vec<String> = models
        .as_array()
        .unwrap()
        .iter()
        .map(|m| format!("{}/{}", m["provider_id"], m["model_id"]).replace('"', ""))
        .collect();
    for expected in ["local-vllm/qwen-coder", "local-vllm/llama-3"] {
        assert!(ids.contains(&expected.to_owned()), "{expected} in {ids:?}");
    }

    let removed = sandbox.run("provider remove local-vllm");
    assert_eq!(
        (removed.code, removed.stdout.as_str()),
        (0, "removed provider local-vllm\n")
    );
    let again = sandbox.run("provider remove local-vllm --json");
    assert_eq!(again.code, 1, "stderr: {}", again.stderr);
    assert_eq!(again.json()["kind"], "not_found");
    let preset = sandbox.run("provider remove openai");
    assert_eq!(preset.code, 1, "presets cannot be removed");
    assert!(preset.stderr.contains("preset"), "{}", preset.stderr);
}

#[test]
fn provider_add_with_a_bad_base_url_exits_2_and_saves_nothing() {
    let sandbox = Sandbox::new();

    let outcome = sandbox
        .run("provider add --json --id broken --kind anthropic --base-url ftp://example.com");

    assert_eq!(outcome.code, 2, "stderr: {}", outcome.stderr);
    let error = outcome.json();
    assert_eq!(error["kind"], "validation");
    assert_eq!(error["details"][0]["field"], "base_url");
    assert_eq!(error["details"][0]["message"], "invalid_base_url");
    let listed = sandbox.ok_json("provider list --json");
    assert!(
        listed
            .as_array()
            .unwrap()
            .iter()
            .all(|p| p["id"] != "broken"),
        "{listed}"
    );

    let bad_kind =
        sandbox.run("provider add --id x --kind gemini --base-url http://127.0.0.1:1/v1");
    assert_eq!(bad_kind.code, 2, "an unknown kind is a usage error");
}

#[test]
fn provider_test_reports_the_model_count_or_the_failure() {
    let sandbox = Sandbox::new();
    let mock = Mock::start(json!({ "turns": [] }));
    sandbox.add_mock_provider(&mock);

    let ok = sandbox.run("provider test mock");
    assert_eq!(
        (ok.code, ok.stdout.as_str()),
        (0, "ok: 1 models\n"),
        "stderr: {}",
        ok.stderr
    );

    let closed = closed_port();
    sandbox.ok_json(&format!(
        "provider add --json --id gone --kind openai-compatible --base-url http://127.0.0.1:{closed}/v1"
    ));
    let failed = sandbox.run("provider test gone");
    assert_eq!(failed.code, 1, "stdout: {}", failed.stdout);
    assert!(
        failed.stderr.contains("could not reach"),
        "{}",
        failed.stderr
    );

    let unknown = sandbox.run("provider test nobody --json");
    assert_eq!(unknown.code, 1);
    assert_eq!(unknown.json()["kind"], "not_found");
}

#[test]
#[cfg(unix)]
fn provider_set_key_without_a_keychain_saves_a_private_file_and_says_where() {
    use std::os::unix::fs::PermissionsExt;
    let sandbox = Sandbox::new();
    let key_file = sandbox.data.path().join("keys/openai.key");

    let mut set = sandbox.command("provider set-key openai");
    set.env("AUTOWORK_NO_KEYCHAIN", "1");
    let stored = sandbox.run_with(set, "sk-cli-file-0123456789\n");
    assert_eq!(stored.code, 0, "stderr: {}", stored.stderr);
    assert!(
        stored.stdout.starts_with(&format!(
            "The system keychain is turned off, so the key is saved in {}, readable only by you.\n",
            key_file.display()
        )),
        "{}",
        stored.stdout
    );
    assert!(!stored.stdout.contains("sk-cli-file"), "never the key");
    let mode = std::fs::metadata(&key_file).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "readable only by the user");

    let forgot = sandbox.run("provider forget-key openai");
    assert_eq!(forgot.code, 0, "stderr: {}", forgot.stderr);
    assert!(!key_file.exists(), "forgetting deletes the file");
}

// ---- the team database ----------------------------------------------------------------

/// The one validation problem of a failed `--json` command: (field, code, hint).
fn problem(outcome: &Outcome) -> (String, String, String) {
    let error = outcome.json();
    let detail = &error["details"][0];
    (
        detail["field"].as_str().unwrap_or_default().to_owned(),
        detail["message"].as_str().unwrap_or_default().to_owned(),
        detail["hint"].as_str().unwrap_or_default().to_owned(),
    )
}

#[test]
fn a_store_url_with_a_password_is_refused_from_the_flag_or_the_environment() {
    let sandbox = Sandbox::new();
    let refused = sandbox.run("automation list --json --store postgres://ann:hunter2@db/autowork");
    assert_eq!(refused.code, 2, "stderr: {}", refused.stderr);
    let (field, code, hint) = problem(&refused);
    assert_eq!(
        (field.as_str(), code.as_str()),
        ("store", "password_in_url")
    );
    assert!(!hint.contains("hunter2"), "{hint}");

    let mut from_env = sandbox.command("automation list --json");
    from_env.env("AUTOWORK_STORE", "postgres://ann:hunter2@db/autowork");
    let refused = sandbox.run_with(from_env, "");
    assert_eq!(
        refused.code, 2,
        "AUTOWORK_STORE is read too: {}",
        refused.stderr
    );

    let mut flag_wins = sandbox.command("automation list --json --store=");
    flag_wins.env("AUTOWORK_STORE", "postgres://ann:hunter2@db/autowork");
    let listed = sandbox.run_with(flag_wins, "");
    assert_eq!(
        listed.code, 0,
        "an empty --store (this computer) wins over the environment: {}",
        listed.stderr
    );
}

#[test]
fn store_test_names_the_store_field_when_nothing_answers_and_uses_the_saved_choice() {
    let sandbox = Sandbox::new();
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let url = format!("postgres://ann@127.0.0.1:{port}/autowork");
    std::fs::write(
        sandbox.data.path().join("settings.json"),
        json!({ "store": url }).to_string(),
    )
    .unwrap();
    let failed = sandbox.run("store test --json");
    assert_eq!(failed.code, 2, "stderr: {}", failed.stderr);
    let (field, code, hint) = problem(&failed);
    assert_eq!((field.as_str(), code.as_str()), ("store", "unreachable"));
    assert!(hint.contains(&format!("127.0.0.1:{port}")), "{hint}");

    let human = sandbox.run("store test");
    assert_eq!(human.code, 2);
    assert!(
        human
            .stderr
            .starts_with("error: invalid input\n  store: unreachable ("),
        "{}",
        human.stderr
    );

    let none = sandbox.run("store test --json --store=");
    assert_eq!(problem(&none).1, "no_team_database");
}

#[test]
fn store_set_password_without_a_keychain_points_to_the_environment_variable() {
    let sandbox = Sandbox::new();
    let mut set = sandbox.command("store set-password --json postgres://ann@db.example/autowork");
    set.env("AUTOWORK_NO_KEYCHAIN", "1");
    let failed = sandbox.run_with(set, "pg-secret-0123456789\n");
    assert_eq!(failed.code, 2, "stderr: {}", failed.stderr);
    let (field, code, hint) = problem(&failed);
    assert_eq!(
        (field.as_str(), code.as_str()),
        ("password", "keychain_unavailable")
    );
    assert!(hint.contains("AUTOWORK_STORE_PASSWORD"), "{hint}");
    assert!(!failed.stdout.contains("pg-secret"), "never the password");
    let settings = sandbox.data.path().join("settings.json");
    assert!(!settings.exists(), "nothing written to the settings");
}

#[test]
fn store_test_reports_a_real_server_and_its_schema() {
    let Ok(url) = std::env::var("AUTOWORK_TEST_POSTGRES_URL") else {
        assert_eq!(
            std::env::var("AUTOWORK_SKIP_POSTGRES").as_deref(),
            Ok("1"),
            "run through scripts/with-postgres.sh, or set AUTOWORK_SKIP_POSTGRES=1"
        );
        return;
    };
    let sandbox = Sandbox::new();
    let mut test = sandbox.command("store test --json");
    test.env("AUTOWORK_STORE", &url);
    let report = sandbox.run_with(test, "");
    assert_eq!(report.code, 0, "stderr: {}", report.stderr);
    let report = report.json();
    assert_eq!(report["url"], json!(url));
    assert_eq!(report["password"], json!("missing"));
    assert!(report["server_version"]
        .as_str()
        .is_some_and(|v| !v.is_empty()));
    assert!(
        ["absent", "behind", "current"].contains(&report["schema"].as_str().unwrap()),
        "{report}"
    );

    let human = sandbox.run(&format!("store test '{url}'"));
    assert_eq!(human.code, 0, "stderr: {}", human.stderr);
    assert!(
        human
            .stdout
            .starts_with(&format!("connected to {url}\nserver:     PostgreSQL ")),
        "{}",
        human.stdout
    );
}

// ---- answering runs --------------------------------------------------------------------

#[test]
fn reply_and_answer_to_an_unknown_request_exit_1_request_not_pending() {
    let sandbox = Sandbox::new();

    let reply = sandbox.run("reply req_missing once --json");
    assert_eq!(reply.code, 1, "stderr: {}", reply.stderr);
    assert_eq!(reply.json()["error"], "request_not_pending");
    assert_eq!(reply.json()["kind"], "conflict");

    let answer = sandbox.run("answer call_missing yes --json");
    assert_eq!(answer.code, 1, "stderr: {}", answer.stderr);
    assert_eq!(answer.json()["error"], "request_not_pending");

    let human = sandbox.run("reply req_missing reject --message no");
    assert_eq!(human.code, 1);
    assert!(
        human.stderr.contains("no longer pending"),
        "{}",
        human.stderr
    );

    let bad_decision = sandbox.run("reply req_missing maybe");
    assert_eq!(bad_decision.code, 2, "{}", bad_decision.stderr);
    let no_answers = sandbox.run("answer call_missing");
    assert_eq!(no_answers.code, 2, "{}", no_answers.stderr);
}

#[test]
fn run_show_transcript_of_an_unknown_run_exits_1_not_found() {
    let sandbox = Sandbox::new();
    let outcome = sandbox.run("run show run_missing --transcript --json");
    assert_eq!(outcome.code, 1, "stderr: {}", outcome.stderr);
    assert_eq!(outcome.json()["kind"], "not_found");
}

#[test]
fn run_now_of_an_unknown_automation_exits_1_not_found() {
    let sandbox = Sandbox::new();
    let outcome = sandbox.run("run-now aut_missing --json");
    assert_eq!(outcome.code, 1, "stderr: {}", outcome.stderr);
    assert_eq!(outcome.json()["kind"], "not_found");
}

// ---- end to end, against the mock model server ------------------------------------------

/// The scriptable model server, on a runtime of its own while the test runs the binary.
struct Mock {
    runtime: tokio::runtime::Runtime,
    server: Option<autowork_mock_llm::MockServer>,
}

impl Mock {
    fn start(script: Value) -> Self {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let script = autowork_mock_llm::Script::from_value(script).unwrap();
        let server = runtime
            .block_on(autowork_mock_llm::MockServer::start(script))
            .unwrap();
        Self {
            runtime,
            server: Some(server),
        }
    }

    fn server(&self) -> &autowork_mock_llm::MockServer {
        self.server.as_ref().unwrap()
    }

    fn assert_clean(&self) {
        assert_eq!(self.server().protocol_errors(), Vec::<String>::new());
    }
}

impl Drop for Mock {
    fn drop(&mut self) {
        if let Some(server) = self.server.take() {
            self.runtime.block_on(server.shutdown());
        }
    }
}

/// A port nothing listens on (it was free a moment ago).
fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

/// The longest an end-to-end command may take before the test gives up on it.
const DEADLINE: Duration = Duration::from_secs(60);

impl Sandbox {
    fn add_mock_provider(&self, mock: &Mock) {
        self.ok_json(&format!(
            "provider add --json --id mock --kind openai-compatible --base-url {}/v1",
            mock.server().base_url()
        ));
    }

    /// A manual automation on the mock model, with a README in its workspace.
    fn mock_automation(&self, mock: &Mock) -> String {
        std::fs::write(
            self.workspace.path().join("README.md"),
            "# Autowork\nRuns agents.\n",
        )
        .unwrap();
        self.add_mock_provider(mock);
        id_of(&self.ok_json(&format!(
            "automation create --json --title 'Mock run' --prompt 'Look around' \
             --workspace {} --model mock/mock-coder --manual",
            self.workspace()
        )))
    }

    /// Starts a command with piped stdio; the caller writes stdin and finishes it.
    fn spawn(&self, line: &str) -> Child {
        let mut command = self.command(line);
        command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        command.spawn().unwrap()
    }

    /// Polls `check` every 100 ms until it gives a value, failing after [`DEADLINE`].
    fn eventually<T>(&self, what: &str, mut check: impl FnMut() -> Option<T>) -> T {
        let start = Instant::now();
        loop {
            if let Some(value) = check() {
                return value;
            }
            assert!(start.elapsed() < DEADLINE, "timed out waiting for {what}");
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

/// Waits for a child (killing it after [`DEADLINE`]) while reading its output.
fn finish(mut child: Child) -> Outcome {
    fn reader(mut pipe: impl Read + Send + 'static) -> std::thread::JoinHandle<String> {
        std::thread::spawn(move || {
            let mut text = String::new();
            pipe.read_to_string(&mut text).unwrap();
            text
        })
    }
    let stdout = reader(child.stdout.take().unwrap());
    let stderr = reader(child.stderr.take().unwrap());
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if start.elapsed() > DEADLINE {
            child.kill().unwrap();
            let stderr = stderr.join().unwrap();
            panic!("the command did not end within {DEADLINE:?}; stderr: {stderr}");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    Outcome {
        code: status.code().unwrap_or(-1),
        stdout: stdout.join().unwrap(),
        stderr: stderr.join().unwrap(),
    }
}

#[test]
fn run_follow_up_continues_a_finished_run_and_shows_the_link() {
    let sandbox = Sandbox::new();
    let mock = Mock::start(json!({ "turns": [
        { "text": "First answer." },
        { "expect": { "last_user_contains": "now the second part" }, "text": "Second answer." },
    ]}));
    let id = sandbox.mock_automation(&mock);
    let parent = sandbox.run(&format!("run-now {id} --json")).json();
    assert_eq!(parent["state"], "succeeded");

    let outcome = sandbox.run(&format!(
        "run follow-up {} 'now the second part' --json",
        id_of(&parent)
    ));

    assert_eq!(outcome.code, 0, "stderr: {}", outcome.stderr);
    let run = outcome.json();
    assert_eq!(run["state"], "succeeded");
    assert_eq!(run["result"], "Second answer.");
    assert_eq!(run["follow_up"]["of"], parent["id"]);
    assert_eq!(run["follow_up"]["message"], "now the second part");
    assert_eq!(run["session_id"], parent["session_id"]);
    assert!(
        outcome
            .stderr
            .contains(&format!("following up {}", id_of(&parent))),
        "{}",
        outcome.stderr
    );
    mock.assert_clean();
    let shown = sandbox.run(&format!("run show {}", id_of(&run)));
    assert!(
        shown.stdout.contains("follow_up_of") && shown.stdout.contains(&id_of(&parent)),
        "{}",
        shown.stdout
    );

    let blank = sandbox.run(&format!("run follow-up {} '  ' --json", id_of(&parent)));
    assert_eq!(blank.code, 2, "stderr: {}", blank.stderr);
    let error = blank.json();
    assert_eq!(error["details"][0]["field"], "message", "{error}");
}

#[test]
fn run_now_json_streams_to_stderr_and_prints_only_the_final_run_on_stdout() {
    let sandbox = Sandbox::new();
    let mock = Mock::start(json!({ "turns": [
        { "reasoning": "Read first.", "text": "Looking.",
          "tool_calls": [{ "name": "read", "arguments": { "path": "README.md" } }] },
        { "expect": { "last_tool_result_contains": "Runs agents." }, "text": "All done." },
    ]}));
    let id = sandbox.mock_automation(&mock);

    let outcome = sandbox.run(&format!("run-now {id} --wait --json"));

    assert_eq!(outcome.code, 0, "stderr: {}", outcome.stderr);
    let run = outcome.json();
    assert_eq!(run["state"], "succeeded");
    assert_eq!(run["attendance"], "unattended", "stdin is not a terminal");
    assert_eq!(run["result"], "All done.");
    assert_eq!(run["steps"], 2);
    for expected in [
        "┊ Read first.",
        "Looking.",
        "→ read README.md",
        "  ✓ ",
        "All done.",
    ] {
        assert!(
            outcome.stderr.contains(expected),
            "{expected:?} missing from stderr:\n{}",
            outcome.stderr
        );
    }
    assert_eq!(
        outcome.stderr.matches("Looking.").count(),
        1,
        "streamed text is not printed again when complete:\n{}",
        outcome.stderr
    );
    mock.assert_clean();

    let shown = sandbox.ok_json(&format!("run show {} --transcript --json", id_of(&run)));
    assert_eq!(shown["run"], run);
    let roles: Vec<&str> = shown["transcript"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["role"].as_str().unwrap())
        .collect();
    assert_eq!(roles, ["user", "assistant", "tool", "assistant"]);
    assert_eq!(shown["transcript"][1]["parts"][2]["kind"], "tool_call");

    let human = sandbox.run(&format!("run show {} --transcript", id_of(&run)));
    assert_eq!(human.code, 0, "stderr: {}", human.stderr);
    assert!(
        human.stdout.contains(
            "── assistant ──\n┊ Read first.\nLooking.\n→ read {\"path\":\"README.md\"}\n"
        ),
        "{}",
        human.stdout
    );
}

#[test]
fn attended_run_now_asks_on_stdin_for_permissions_and_answers() {
    let sandbox = Sandbox::new();
    let mock = Mock::start(json!({ "turns": [
        { "text": "Checking.", "tool_calls": [
            { "name": "bash", "arguments": { "command": "echo from-bash" } }] },
        { "expect": { "last_tool_result_contains": "from-bash" }, "tool_calls": [
            { "name": "question", "arguments": { "questions": [
                { "question": "Which branch?", "choices": ["main", "dev"] },
                { "question": "Anything else?" }] } }] },
        { "expect": { "last_tool_result_contains": "dev" }, "text": "Done." },
    ]}));
    let id = sandbox.mock_automation(&mock);
    let command = sandbox.command(&format!("run-now {id} --attended"));

    let outcome = sandbox.run_with(command, "o\n2\nship it\n");

    assert_eq!(
        outcome.code, 0,
        "stdout: {}\nstderr: {}",
        outcome.stdout, outcome.stderr
    );
    for expected in [
        "→ bash: echo from-bash\n",
        "? permission needed (bash): run `echo from-bash`\n",
        "allow? [o]nce / [a]lways / [r]eject: o\n",
        "  ✓ from-bash\n",
        "(1/2) Which branch?\n  1) main\n  2) dev\n",
        "(2/2) Anything else?\n",
        "state:           succeeded\n",
        "attendance:      attended\n",
    ] {
        assert!(
            outcome.stdout.contains(expected),
            "{expected:?} missing from stdout:\n{}",
            outcome.stdout
        );
    }
    mock.assert_clean();
    let answers = mock.server().requests();
    let last = answers.last().unwrap();
    assert!(
        last.body.to_string().contains("ship it"),
        "the free-text answer reached the model"
    );
}

#[test]
fn unattended_run_that_needs_a_permission_fails_and_exits_1() {
    let sandbox = Sandbox::new();
    let mock = Mock::start(json!({ "turns": [
        { "tool_calls": [{ "name": "bash", "arguments": { "command": "rm -rf build" } }] },
    ]}));
    let id = sandbox.mock_automation(&mock);

    let outcome = sandbox.run(&format!("run-now {id} --unattended --json"));

    assert_eq!(outcome.code, 1, "stderr: {}", outcome.stderr);
    let run = outcome.json();
    assert_eq!(run["state"], "failed");
    assert_eq!(run["error"]["code"], "needs_user_input");
    assert!(
        outcome.stderr.contains("failed (needs_user_input)"),
        "{}",
        outcome.stderr
    );
}

#[test]
fn reply_from_another_process_resumes_a_waiting_run_now() {
    let sandbox = Sandbox::new();
    let mock = Mock::start(json!({ "turns": [
        { "tool_calls": [{ "name": "bash", "arguments": { "command": "echo approved" } }] },
        { "expect": { "last_tool_result_contains": "approved" }, "text": "Finished." },
    ]}));
    let id = sandbox.mock_automation(&mock);
    // Attended, with stdin open but silent: the prompt waits, another process answers.
    let child = sandbox.spawn(&format!("run-now {id} --attended --json"));

    let request = sandbox.eventually("the permission request", || {
        let page = sandbox.ok_json("run list --json --state awaiting_input");
        let request = page["runs"][0]["blocker"]["request_id"].as_str()?;
        Some(request.to_owned())
    });
    let resumed = sandbox.ok_json(&format!("reply {request} once --json"));
    assert_eq!(resumed["state"], "running");
    let twice = sandbox.run(&format!("reply {request} once --json"));
    assert_eq!(twice.code, 1, "an answered request is no longer pending");
    assert_eq!(twice.json()["error"], "request_not_pending");

    let outcome = finish(child);
    assert_eq!(outcome.code, 0, "stderr: {}", outcome.stderr);
    assert_eq!(outcome.json()["state"], "succeeded");
    assert!(
        outcome.stderr.contains("(answered elsewhere)"),
        "{}",
        outcome.stderr
    );
    mock.assert_clean();
}

#[cfg(unix)]
#[test]
fn ctrl_c_cancels_the_run_and_exits_130() {
    let sandbox = Sandbox::new();
    let mock = Mock::start(json!({ "turns": [{ "hang": true }] }));
    let id = sandbox.mock_automation(&mock);
    let child = sandbox.spawn(&format!("run-now {id} --json"));

    // The model call is in flight: the run is running and the handler is in place.
    sandbox.eventually("the model call", || {
        (!mock.server().requests().is_empty()).then_some(())
    });
    let interrupt = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(interrupt.success());

    let outcome = finish(child);
    assert_eq!(outcome.code, 130, "stderr: {}", outcome.stderr);
    let run = outcome.json();
    assert_eq!(run["state"], "stopped");
    assert_eq!(run["stop_reason"], "cancelled");
}

// ---------------------------------------------------------------------------------------
// Schedule preview, export, import and the file's schema

const BERLIN_WEEKDAYS: &str =
    r#"{"kind":"cron","expression":"0 9 * * 1-5","timezone":"Europe/Berlin"}"#;

/// The files a command left in the data directory: none for commands that need no database.
fn data_files(sandbox: &Sandbox) -> Vec<String> {
    std::fs::read_dir(sandbox.data.path())
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect()
}

#[test]
fn preview_lists_the_next_fires_in_utc_across_the_dst_change_and_saves_nothing() {
    let sandbox = Sandbox::new();
    // Thursday noon before Europe/Berlin springs forward (Sunday 2026-03-29): 09:00 is
    // 08:00 UTC on Friday and 07:00 UTC from Monday on.
    let line = format!(
        "automation preview --trigger '{BERLIN_WEEKDAYS}' --from 2026-03-26T12:00:00Z --count 4"
    );

    let preview = sandbox.ok_json(&format!("{line} --json"));

    assert_eq!(
        preview,
        json!({
            "fires": [
                "2026-03-27T08:00:00Z",
                "2026-03-30T07:00:00Z",
                "2026-03-31T07:00:00Z",
                "2026-04-01T07:00:00Z",
            ],
            "description": "Every weekday at 09:00 (Europe/Berlin)",
        })
    );
    let human = sandbox.run(&line);
    assert_eq!(human.code, 0, "stderr: {}", human.stderr);
    assert_eq!(
        human.stdout,
        "Every weekday at 09:00 (Europe/Berlin)\n2026-03-27T08:00:00Z\n\
         2026-03-30T07:00:00Z\n2026-03-31T07:00:00Z\n2026-04-01T07:00:00Z\n"
    );
    assert_eq!(
        data_files(&sandbox),
        Vec::<String>::new(),
        "no database was opened"
    );
}

#[test]
fn preview_reads_the_trigger_from_stdin_and_honours_the_stop_condition() {
    let sandbox = Sandbox::new();
    let command = sandbox.command(
        "automation preview --json --trigger - --stop '{\"kind\":\"after_runs\",\"count\":2}' \
         --from 2026-01-01T00:00:00+01:00",
    );

    let outcome = sandbox.run_with(command, r#"{"kind":"interval","every_ms":3600000}"#);

    assert_eq!(outcome.code, 0, "stderr: {}", outcome.stderr);
    assert_eq!(
        outcome.json(),
        json!({
            "fires": ["2026-01-01T00:00:00Z", "2026-01-01T01:00:00Z"],
            "description": "Every hour, 2 runs in all",
        })
    );
}

#[test]
fn preview_of_an_invalid_trigger_exits_2_with_the_structured_error() {
    let sandbox = Sandbox::new();
    let cases = [
        (
            r#"{"kind":"cron","expression":"0 9 * *","timezone":"Europe/Berlin"}"#,
            "trigger.expression",
            "invalid_cron_expression",
        ),
        (
            r#"{"kind":"cron","expression":"0 9 * * *","timezone":"Mars/Olympus"}"#,
            "trigger.timezone",
            "invalid_timezone",
        ),
        (
            r#"{"kind":"interval","every_ms":1000}"#,
            "trigger.every_ms",
            "interval_below_minimum_30000ms",
        ),
        (r#"{"kind":"weekly"}"#, "trigger.kind", "unknown_kind"),
        (r#"{"kind":"cron","#, "trigger", "invalid_json"),
    ];
    for (trigger, field, message) in cases {
        let outcome = sandbox.run(&format!("automation preview --json --trigger '{trigger}'"));

        assert_eq!(outcome.code, 2, "{trigger}: {}", outcome.stderr);
        let error = outcome.json();
        assert_eq!(error["kind"], "validation", "{error}");
        assert_eq!(error["error"], "invalid_trigger", "{error}");
        let details = error["details"].as_array().unwrap();
        assert_eq!(details.len(), 1, "{error}");
        assert_eq!(
            (details[0]["field"].as_str(), details[0]["message"].as_str()),
            (Some(field), Some(message)),
            "{trigger}"
        );
    }

    let human =
        sandbox.run("automation preview --trigger '{\"kind\":\"interval\",\"every_ms\":5}'");
    assert_eq!(human.code, 2);
    assert_eq!(human.stdout, "");
    assert_eq!(
        human.stderr,
        "error: invalid trigger\n  trigger.every_ms: interval_below_minimum_30000ms\n"
    );
    assert_eq!(data_files(&sandbox), Vec::<String>::new());
}

/// The fields the engine owns; everything else of an automation is its definition.
const ENGINE_FIELDS: &[&str] = &[
    "id",
    "revision",
    "session_id",
    "created_at",
    "updated_at",
    "next_fire_at",
    "next_fires",
    "failure_streak",
    "last_run",
    "recent_runs",
    "finished",
    "paused_reason",
];

fn definition_of(automation: &Value) -> Value {
    let mut fields = automation.as_object().unwrap().clone();
    fields.retain(|key, _| !ENGINE_FIELDS.contains(&key.as_str()));
    Value::Object(fields)
}

#[test]
fn export_then_import_round_trips_the_whole_definition() {
    let sandbox = Sandbox::new();
    let definition = json!({
        "title": "Weekly dependency bump",
        "prompt": "Update the dependencies and run the tests",
        "workspace": sandbox.workspace(),
        "model": { "provider_id": "mock", "model_id": "mock-coder" },
        "variant": "high",
        "trigger": { "kind": "cron", "expression": "30 6 * * 1", "timezone": "America/New_York" },
        "stop": { "kind": "after_runs", "count": 12 },
        "context": "continue",
        "permissions": [
            { "tool": "bash", "pattern": "cargo *", "action": "allow" },
            { "tool": "*", "pattern": "/etc/**", "action": "deny" },
        ],
        "step_cap": 120,
        "timeout_minutes": 45,
        "budget_usd": 2.5,
        "daily_budget_usd": 10.0,
        "wait_for_input_when_unattended": true,
        "paused": true,
        "failure_streak_limit": 5,
    });
    let command = sandbox.command("automation create --json --file -");
    let created = sandbox.run_with(command, &definition.to_string());
    assert_eq!(created.code, 0, "stderr: {}", created.stderr);
    let original = created.json();
    let id = id_of(&original);

    let export = sandbox.run(&format!("automation export {id}"));
    assert_eq!(export.code, 0, "stderr: {}", export.stderr);
    let file = export.json();
    assert_eq!(
        file["$schema"],
        "https://autowork.dev/schema/automation-v1.json"
    );
    assert_eq!(file["format_version"], 1);
    let mut expected = definition_of(&original);
    expected
        .as_object_mut()
        .unwrap()
        .retain(|_, value| !value.is_null());
    let mut body = file.as_object().unwrap().clone();
    body.remove("$schema");
    body.remove("format_version");
    assert_eq!(
        Value::Object(body),
        expected,
        "the file holds the definition and nothing the engine owns"
    );

    let command = sandbox.command("automation import - --json");
    let imported = sandbox.run_with(command, &export.stdout);
    assert_eq!(imported.code, 0, "stderr: {}", imported.stderr);
    let imported = imported.json();
    assert_ne!(id_of(&imported), id, "a new automation");
    assert_eq!(imported["revision"], 1);
    assert_eq!(
        definition_of(&imported),
        definition_of(&original),
        "the imported definition equals the original's"
    );

    // Through a file too, and the export of the copy is the same file.
    let path = sandbox.data.path().join("shared.json");
    let written = sandbox.run(&format!(
        "automation export {id} --output {}",
        path.display()
    ));
    assert_eq!(written.code, 0, "stderr: {}", written.stderr);
    assert_eq!(
        written.stdout,
        format!("exported {id} to {}\n", path.display())
    );
    assert_eq!(std::fs::read_to_string(&path).unwrap(), export.stdout);
    let again = sandbox.ok_json(&format!("automation import {} --json", path.display()));
    assert_eq!(definition_of(&again), definition_of(&original));
    let copy_export = sandbox.run(&format!("automation export {}", id_of(&again)));
    assert_eq!(copy_export.stdout, export.stdout);
}

#[test]
fn import_reports_every_problem_at_once_exits_2_and_creates_nothing() {
    let sandbox = Sandbox::new();
    let file = json!({
        "$schema": "https://autowork.dev/schema/automation-v1.json",
        "format_version": 2,
        "title": "Broken",
        "prompt": "p",
        "workspace": sandbox.workspace(),
        "model": { "provider_id": "mock", "model_id": "mock-coder" },
        "trigger": { "kind": "interval", "every_ms": 1000 },
        "step_cap": 0,
    });
    let path = sandbox.workspace.path().join("broken.json");
    std::fs::write(&path, file.to_string()).unwrap();

    let outcome = sandbox.run(&format!("automation import {} --json", path.display()));

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
    assert_eq!(
        problems,
        [
            ("format_version", "unsupported_format_version"),
            ("trigger.every_ms", "interval_below_minimum_30000ms"),
            ("step_cap", "step_cap_out_of_range_1_500"),
        ]
    );
    assert_eq!(sandbox.ok_json("automation list --json"), json!([]));

    let not_json = sandbox.command("automation import -");
    let outcome = sandbox.run_with(not_json, "title: yaml?");
    assert_eq!(outcome.code, 2);
    assert!(
        outcome.stderr.contains("(input): invalid_json"),
        "{}",
        outcome.stderr
    );
}

#[test]
fn exporting_an_unknown_automation_exits_1_not_found() {
    let sandbox = Sandbox::new();
    let outcome = sandbox.run("automation export aut_missing --json");
    assert_eq!(outcome.code, 1);
    assert_eq!(outcome.json()["kind"], "not_found");
}

#[test]
fn the_checked_in_schema_is_the_one_the_cli_prints() {
    let sandbox = Sandbox::new();
    let printed = sandbox.run("automation schema");
    assert_eq!(printed.code, 0, "stderr: {}", printed.stderr);
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/automation.schema.json");
    let checked_in = std::fs::read_to_string(&path).unwrap_or_default();

    assert!(
        printed.stdout == checked_in,
        "docs/automation.schema.json is stale; regenerate it with\n  \
         cargo run -p autowork-cli -- automation schema > docs/automation.schema.json"
    );
    let schema = printed.json();
    assert_eq!(
        schema["$id"],
        "https://autowork.dev/schema/automation-v1.json"
    );
    // One truth about rule order: the engine and the editor apply the last matching rule.
    let text = printed.stdout.to_lowercase();
    assert!(
        !text.contains("first match"),
        "the schema says first match wins"
    );
    assert!(text.contains("the last matching rule wins"));
    assert_eq!(data_files(&sandbox), Vec::<String>::new());
}

// ---------------------------------------------------------------------------------------
// The daemon

#[test]
fn the_daemon_fires_a_due_automation_and_stops_on_sigterm() {
    let sandbox = Sandbox::new();
    let mock = Mock::start(json!({ "turns": [{ "text": "Fired by the daemon." }] }));
    sandbox.add_mock_provider(&mock);
    let soon = (chrono::Utc::now() + chrono::Duration::seconds(2)).to_rfc3339();
    let id = id_of(&sandbox.ok_json(&format!(
        "automation create --json --title 'Soon' --prompt 'Say something' \
         --workspace {} --model mock/mock-coder --at {soon}",
        sandbox.workspace()
    )));
    let daemon = sandbox.spawn("daemon");

    let run = sandbox.eventually("the scheduled run to succeed", || {
        let page = sandbox.ok_json(&format!("run list --automation {id} --json"));
        let run = page["runs"].get(0)?.clone();
        (run["state"] == "succeeded").then_some(run)
    });
    assert_eq!(run["trigger"], "schedule");
    assert_eq!(run["attendance"], "unattended");
    assert_eq!(run["result"], "Fired by the daemon.");

    let terminate = Command::new("kill")
        .args(["-TERM", &daemon.id().to_string()])
        .status()
        .unwrap();
    assert!(terminate.success());
    let outcome = finish(daemon);
    assert_eq!(outcome.code, 0, "stderr: {}", outcome.stderr);
    assert!(
        outcome.stderr.contains("firing automations"),
        "{}",
        outcome.stderr
    );
}

/// `git` in `dir`, which must succeed.
fn git(dir: &std::path::Path, args: &[&str]) -> String {
    let output = Command::new("git")
        .args(["-c", "user.name=Test", "-c", "user.email=test@example.com"])
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(output.status.success(), "git {args:?}: {output:?}");
    String::from_utf8(output.stdout).unwrap()
}

#[test]
fn a_worktree_run_is_reviewed_with_run_diff_then_applied_or_refused_on_a_conflict() {
    let sandbox = Sandbox::new();
    let mock = Mock::start(json!({ "turns": [
        { "tool_calls": [{ "name": "edit", "arguments": {
            "path": "README.md", "old_string": "Runs agents.", "new_string": "Runs agents, reviewed." } }] },
        { "text": "Edited." },
        { "tool_calls": [{ "name": "edit", "arguments": {
            "path": "README.md", "old_string": "reviewed", "new_string": "reviewed twice" } }] },
        { "text": "Edited again." },
    ]}));
    let workspace = sandbox.workspace.path();
    std::fs::write(workspace.join("README.md"), "# Autowork\nRuns agents.\n").unwrap();
    git(workspace, &["init", "-q", "-b", "main"]);
    git(workspace, &["add", "."]);
    git(workspace, &["commit", "-q", "-m", "initial"]);
    sandbox.add_mock_provider(&mock);
    let definition = json!({
        "title": "Docs", "prompt": "Polish the README", "workspace": sandbox.workspace(),
        "model": { "provider_id": "mock", "model_id": "mock-coder" },
        "placement": { "kind": "worktree", "name": "docs" },
        "permissions": [{ "tool": "*", "pattern": "*", "action": "allow" }],
    });
    let created = sandbox.run_with(
        sandbox.command("automation create --file - --json"),
        &definition.to_string(),
    );
    assert_eq!(created.code, 0, "stderr: {}", created.stderr);
    let id = id_of(&created.json());

    let run = sandbox.ok_json(&format!("run-now {id} --wait --json"));
    assert_eq!(run["state"], "succeeded", "{run}");
    let run_id = id_of(&run);
    assert_eq!(
        std::fs::read_to_string(workspace.join("README.md")).unwrap(),
        "# Autowork\nRuns agents.\n",
        "the run worked in its worktree"
    );

    let diff = sandbox.run(&format!("run diff {run_id}"));
    assert_eq!(diff.code, 0, "stderr: {}", diff.stderr);
    for expected in [
        "M README.md  +1 -1\n",
        "1 file(s) changed, 1 insertion(s)(+), 1 deletion(s)(-)\n",
        "(branch autowork/docs): waiting for review",
        "-Runs agents.\n+Runs agents, reviewed.\n",
    ] {
        assert!(
            diff.stdout.contains(expected),
            "{expected:?} in:\n{}",
            diff.stdout
        );
    }
    let shown = sandbox.run(&format!("run show {run_id}"));
    assert!(
        shown.stdout.contains(&format!(
            "1 file(s), +1 -1 (waiting for review: autowork run diff {run_id})"
        )),
        "{}",
        shown.stdout
    );
    let stat = sandbox.run(&format!("run diff {run_id} --stat"));
    assert!(!stat.stdout.contains("+Runs agents"), "{}", stat.stdout);

    let applied = sandbox.ok_json(&format!("run apply {run_id} --json"));
    assert_eq!(applied["kind"], "applied");
    assert_eq!(
        std::fs::read_to_string(workspace.join("README.md")).unwrap(),
        "# Autowork\nRuns agents, reviewed.\n"
    );
    assert!(git(workspace, &["log", "--format=%s"]).starts_with("Docs\n"));

    // The next run starts from the applied README; meanwhile the user edits the same line.
    let second = sandbox.ok_json(&format!("run-now {id} --wait --json"));
    assert_eq!(second["state"], "succeeded", "{second}");
    std::fs::write(
        workspace.join("README.md"),
        "# Autowork\nRuns agents, by hand.\n",
    )
    .unwrap();
    git(workspace, &["commit", "-q", "-am", "by hand"]);
    let conflicting = sandbox.run(&format!("run apply {}", id_of(&second)));
    assert_eq!(conflicting.code, 1, "{conflicting:?}");
    assert!(
        conflicting.stdout.contains("conflicting files: README.md"),
        "{}",
        conflicting.stdout
    );
    assert_eq!(
        std::fs::read_to_string(workspace.join("README.md")).unwrap(),
        "# Autowork\nRuns agents, by hand.\n",
        "nothing changed"
    );
    let discarded = sandbox.run(&format!("run discard {}", id_of(&second)));
    assert_eq!(discarded.code, 0, "{discarded:?}");
    let deleted = sandbox.run(&format!("automation delete {id}"));
    assert_eq!(deleted.code, 0, "{deleted:?}");
    assert!(
        !workspace.join(".autowork/worktrees/docs").exists(),
        "nothing left to keep"
    );
    mock.assert_clean();
}

#[test]
fn a_worktree_run_is_followed_up_in_its_worktree_and_listed_as_a_thread() {
    let sandbox = Sandbox::new();
    let mock = Mock::start(json!({ "turns": [
        { "tool_calls": [{ "name": "edit", "arguments": {
            "path": "README.md", "old_string": "Runs agents.", "new_string": "Runs agents, reviewed." } }] },
        { "text": "Edited." },
        { "expect": { "last_user_contains": "also add a changelog" },
          "tool_calls": [{ "name": "write", "arguments": {
            "path": "CHANGELOG.md", "content": "# Changes\n" } }] },
        { "text": "Added." },
    ]}));
    let workspace = sandbox.workspace.path();
    std::fs::write(workspace.join("README.md"), "# Autowork\nRuns agents.\n").unwrap();
    git(workspace, &["init", "-q", "-b", "main"]);
    git(workspace, &["add", "."]);
    git(workspace, &["commit", "-q", "-m", "initial"]);
    sandbox.add_mock_provider(&mock);
    let definition = json!({
        "title": "Docs", "prompt": "Polish the README", "workspace": sandbox.workspace(),
        "model": { "provider_id": "mock", "model_id": "mock-coder" },
        "placement": { "kind": "worktree", "name": "docs" },
        "permissions": [{ "tool": "*", "pattern": "*", "action": "allow" }],
    });
    let created = sandbox.run_with(
        sandbox.command("automation create --file - --json"),
        &definition.to_string(),
    );
    assert_eq!(created.code, 0, "stderr: {}", created.stderr);
    let id = id_of(&created.json());
    let parent = sandbox.ok_json(&format!("run-now {id} --wait --json"));
    assert_eq!(parent["state"], "succeeded", "{parent}");
    let parent_id = id_of(&parent);

    let child = sandbox.ok_json(&format!(
        "run follow-up {parent_id} 'also add a changelog' --json"
    ));
    assert_eq!(child["state"], "succeeded", "{child}");
    let child_id = id_of(&child);
    mock.assert_clean();

    let diff = sandbox.run(&format!("run diff {child_id}"));
    for expected in ["M README.md", "A CHANGELOG.md", "2 file(s) changed"] {
        assert!(
            diff.stdout.contains(expected),
            "{expected:?} in:\n{}",
            diff.stdout
        );
    }
    let parent_diff = sandbox.run(&format!("run diff {parent_id}"));
    assert!(
        parent_diff
            .stdout
            .contains(&format!("continued by follow-up {child_id}")),
        "{}",
        parent_diff.stdout
    );
    let refused = sandbox.run(&format!("run apply {parent_id} --json"));
    assert_eq!(refused.code, 2, "{refused:?}");
    assert_eq!(
        refused.json()["details"][0]["message"],
        "superseded_by_follow_up"
    );

    let listed = sandbox.run("run list");
    assert_eq!(listed.code, 0, "{listed:?}");
    let lines: Vec<&str> = listed.stdout.lines().collect();
    assert!(lines[0].contains("FOLLOWS"), "{}", listed.stdout);
    assert!(
        lines[1].starts_with(&parent_id) && lines[2].starts_with(&format!("↳ {child_id}")),
        "the follow-up sits under its parent:\n{}",
        listed.stdout
    );
    assert!(
        lines[2].trim_end().ends_with(&parent_id),
        "{}",
        listed.stdout
    );
    let shown = sandbox.run(&format!("run show {parent_id}"));
    assert!(
        shown.stdout.contains(&format!(
            "follow_ups:        {child_id} succeeded \"also add a changelog\""
        )),
        "{}",
        shown.stdout
    );
    assert!(
        shown.stdout.contains(&format!(
            "  * {parent_id} succeeded\n    ↳ {child_id} succeeded\n"
        )),
        "{}",
        shown.stdout
    );

    let applied = sandbox.ok_json(&format!("run apply {child_id} --json"));
    assert_eq!(applied["kind"], "applied", "{applied}");
    assert_eq!(
        std::fs::read_to_string(workspace.join("README.md")).unwrap(),
        "# Autowork\nRuns agents, reviewed.\n"
    );
    assert_eq!(
        std::fs::read_to_string(workspace.join("CHANGELOG.md")).unwrap(),
        "# Changes\n"
    );
}

#[test]
fn permissions_check_prints_each_command_with_its_decision_and_rule() {
    let sandbox = Sandbox::new();
    let base = json!({
        "title": "Checked",
        "prompt": "p",
        "workspace": sandbox.workspace(),
        "model": { "provider_id": "openai", "model_id": "gpt-5" },
        "trigger": { "kind": "manual" },
        "permissions": [
            { "tool": "bash", "command": ["git", "status"], "action": "allow" },
            { "tool": "bash", "command": ["rm"], "action": "deny", "reason": "never delete" },
            { "tool": "bash", "pattern": "npm * && ls", "action": "allow" },
        ],
    });
    let created = sandbox
        .run_with(
            sandbox.command("automation create --file - --json"),
            &base.to_string(),
        )
        .json();
    let id = id_of(&created);

    let mut command = sandbox.command(&format!("permissions check {id}"));
    command.args(["--", "git status; rm -rf ~"]);
    let text = sandbox.run_with(command, "");
    assert_eq!(text.code, 0, "stderr: {}", text.stderr);
    assert!(
        text.stdout
            .starts_with("deny: `rm -rf ~` is denied by rule 2: never delete\n"),
        "{}",
        text.stdout
    );
    assert!(
        text.stdout.contains("allow     git status"),
        "{}",
        text.stdout
    );

    let mut command = sandbox.command(&format!("permissions check --json {id}"));
    command.args(["--", "echo $(id)"]);
    let decision = sandbox.run_with(command, "").json();
    assert_eq!(decision["action"], "ask");
    assert_eq!(
        decision["opaque"],
        json!(["command substitution (`$(...)` or backticks)"])
    );

    let shown = sandbox.run(&format!("automation show {id}")).stdout;
    assert!(
        shown.contains("NEEDS EDIT: allow bash `npm * && ls`"),
        "{shown}"
    );
    assert!(
        shown.contains("sandbox:           enforced, no network"),
        "{shown}"
    );
}

// ---------------------------------------------------------------------------------------
// Nothing lost, nothing leaked: concurrent first opens, dead owners, bad input refused

/// The (field, message) pairs of a validation error.
fn detail_pairs(error: &Value) -> Vec<(String, String)> {
    error["details"]
        .as_array()
        .unwrap_or_else(|| panic!("no details in {error}"))
        .iter()
        .map(|d| {
            (
                d["field"].as_str().unwrap().to_owned(),
                d["message"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[test]
fn processes_opening_a_new_data_directory_at_once_all_succeed() {
    const PROCESSES: usize = 8;
    for round in 0..4 {
        let sandbox = Sandbox::new();
        let children: Vec<Child> = (0..PROCESSES)
            .map(|_| sandbox.spawn("automation list --json"))
            .collect();
        let outcomes: Vec<(i32, String, String)> = children
            .into_iter()
            .map(|child| {
                let outcome = finish(child);
                (outcome.code, outcome.stdout, outcome.stderr)
            })
            .collect();
        let expected = vec![(0, "[]\n".to_owned(), String::new()); PROCESSES];
        assert_eq!(
            outcomes, expected,
            "round {round}: every process opens the new database"
        );
    }
}

#[test]
fn run_list_with_an_unknown_or_malformed_cursor_exits_2_invalid_cursor() {
    let sandbox = Sandbox::new();
    for cursor in ["zzz", "run_0192f0c1a2b37c4d8e9fa0b1c2d3e4f5"] {
        let outcome = sandbox.run(&format!("run list --json --cursor {cursor}"));

        assert_eq!(outcome.code, 2, "{cursor}: {}", outcome.stderr);
        let error = outcome.json();
        assert_eq!(error["kind"], "validation", "{error}");
        assert_eq!(
            detail_pairs(&error),
            vec![("cursor".to_owned(), "invalid_cursor".to_owned())]
        );
    }
}

#[test]
fn run_list_of_an_unknown_automation_exits_1_not_found() {
    let sandbox = Sandbox::new();
    let outcome = sandbox.run("run list --json --automation aut_missing");

    assert_eq!(outcome.code, 1, "stderr: {}", outcome.stderr);
    let error = outcome.json();
    assert_eq!(
        (error["kind"].as_str(), error["error"].as_str()),
        (Some("not_found"), Some("not_found")),
        "{error}"
    );
}

#[test]
fn a_cron_that_never_fires_exits_2_in_preview_and_create() {
    let sandbox = Sandbox::new();
    let trigger = r#"{"kind":"cron","expression":"0 9 31 2 *","timezone":"Europe/Berlin"}"#;
    let preview = sandbox.run(&format!("automation preview --json --trigger '{trigger}'"));
    assert_eq!(preview.code, 2, "stderr: {}", preview.stderr);
    assert_eq!(
        detail_pairs(&preview.json()),
        vec![(
            "trigger.expression".to_owned(),
            "cron_never_fires".to_owned()
        )]
    );

    let create = sandbox.run(&format!(
        "automation create --json --title 'Never' --prompt 'Nothing' --workspace {} \
         --model openai/gpt-5 --cron '0 0 30 2 *' --timezone UTC",
        sandbox.workspace()
    ));
    assert_eq!(create.code, 2, "stderr: {}", create.stderr);
    assert_eq!(
        detail_pairs(&create.json()),
        vec![(
            "trigger.expression".to_owned(),
            "cron_never_fires".to_owned()
        )]
    );
    assert_eq!(sandbox.ok_json("automation list --json"), json!([]));
}

#[test]
fn an_update_to_the_same_title_keeps_revision_1() {
    let sandbox = Sandbox::new();
    let created = sandbox.create("Same");
    let id = id_of(&created);

    let updated = sandbox.ok_json(&format!(
        "automation update {id} --expected-revision 1 --title Same --json"
    ));

    assert_eq!(updated, created, "nothing changed, so nothing is new");
    let events = sandbox.run("events --since 0 --no-follow");
    assert_eq!(
        events.stdout.lines().count(),
        1,
        "only the create's event: {}",
        events.stdout
    );
}

#[test]
fn run_now_on_a_busy_work_area_says_which_run_holds_it() {
    let sandbox = Sandbox::new();
    let mock = Mock::start(json!({ "turns": [{ "hang": true }] }));
    let id = sandbox.mock_automation(&mock);
    let mut holder = sandbox.spawn(&format!("run-now {id} --json"));
    sandbox.eventually("the model call", || {
        (!mock.server().requests().is_empty()).then_some(())
    });
    let holding = sandbox.ok_json("run list --json --state running");
    let holding_id = holding["runs"][0]["id"].as_str().unwrap().to_owned();
    let since =
        chrono::DateTime::parse_from_rfc3339(holding["runs"][0]["started_at"].as_str().unwrap())
            .unwrap()
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);

    let busy = sandbox.run(&format!("run-now {id} --json"));

    let _ = holder.kill();
    let _ = holder.wait();
    assert_eq!(busy.code, 1, "stderr: {}", busy.stderr);
    assert_eq!(busy.json()["stop_reason"], "writer_busy");
    let expected = format!(
        "stopped (writer_busy): the work area is held by run {holding_id} of \"Mock run\" \
         (running since {since}); cancel it (autowork run cancel {holding_id}) or wait for it to end"
    );
    assert!(
        busy.stderr.contains(&expected),
        "{expected:?} missing from stderr:\n{}",
        busy.stderr
    );
}

#[cfg(unix)]
#[test]
fn a_killed_run_now_is_closed_by_the_next_command_at_once() {
    let sandbox = Sandbox::new();
    let mock = Mock::start(json!({ "turns": [{ "hang": true }, { "text": "Done." }] }));
    let id = sandbox.mock_automation(&mock);
    let mut owner = sandbox.spawn(&format!("run-now {id} --json"));
    sandbox.eventually("the model call", || {
        (!mock.server().requests().is_empty()).then_some(())
    });

    owner.kill().unwrap(); // SIGKILL: no chance to close its run
    owner.wait().unwrap();
    let killed_at = Instant::now();
    let page = sandbox.ok_json("run list --json");
    let took = killed_at.elapsed();

    let run = &page["runs"][0];
    assert_eq!(
        (run["state"].as_str(), run["stop_reason"].as_str()),
        (Some("stopped"), Some("expired")),
        "{run}"
    );
    assert!(
        took < Duration::from_secs(2),
        "closed {took:?} after the kill, not when its 30 s lease ran out"
    );
    let next = sandbox.run(&format!("run-now {id} --json"));
    assert_eq!(next.code, 0, "stderr: {}", next.stderr);
    assert_eq!(next.json()["result"], "Done.");
}

#[test]
fn queue_set_changes_the_limits_every_process_obeys_and_refuses_bad_ones_by_field() {
    let sandbox = Sandbox::new();
    let shown = sandbox.ok_json("queue --json");
    assert_eq!(shown["limits"]["max_concurrent_runs"], json!(4));
    assert_eq!(
        (&shown["running"], &shown["total_queued"]),
        (&json!(0), &json!(0))
    );

    let set = sandbox.ok_json("queue set --max-concurrent-runs 2 --provider mock=1 --json");
    assert_eq!(
        set,
        json!({ "max_concurrent_runs": 2, "per_provider": { "mock": 1 } })
    );
    let human = sandbox.run("queue");
    assert_eq!(human.code, 0);
    assert!(
        human.stdout.contains("running:           0 of 2 at once")
            && human.stdout.contains("mock             0 of 1 at once")
            && human.stdout.contains("queued:            none"),
        "{}",
        human.stdout
    );

    let refused = sandbox.run("queue set --max-concurrent-runs 0 --json");
    assert_eq!(refused.code, 2);
    let error: Value = serde_json::from_str(&refused.stdout).unwrap();
    assert_eq!(error["details"][0]["field"], json!("max_concurrent_runs"));
    let unreadable = sandbox.run("queue set --provider mock");
    assert_eq!(unreadable.code, 2);
    assert!(
        unreadable.stderr.contains("PROVIDER=N"),
        "{}",
        unreadable.stderr
    );

    let cleared = sandbox.ok_json("queue set --no-provider-limit mock --json");
    assert_eq!(cleared["per_provider"], json!({}));
    assert_eq!(cleared["max_concurrent_runs"], json!(2));
}

#[test]
fn gc_set_show_and_dry_run_say_what_is_kept_and_refuse_bad_days_by_field() {
    let sandbox = Sandbox::new();
    assert_eq!(
        sandbox.ok_json("gc show --json"),
        json!({ "keep_days": null, "keep_failed_days": null })
    );
    let forever = sandbox.run("gc --dry-run");
    assert_eq!(forever.code, 0, "stderr: {}", forever.stderr);
    assert!(
        forever
            .stdout
            .contains("runs are kept forever: nothing to remove"),
        "{}",
        forever.stdout
    );

    let set = sandbox.ok_json("gc set --keep-days 30 --keep-failed-days 90 --json");
    assert_eq!(set, json!({ "keep_days": 30, "keep_failed_days": 90 }));
    let shown = sandbox.run("gc show");
    assert!(
        shown
            .stdout
            .contains("succeeded and stopped runs:  kept 30 days after they end")
            && shown
                .stdout
                .contains("failed runs:                 kept 90 days after they end"),
        "{}",
        shown.stdout
    );

    let dry = sandbox.ok_json("gc --dry-run --json");
    assert_eq!(dry["dry_run"], json!(true));
    assert_eq!(dry["removed"]["runs"], json!(0));
    assert_eq!(dry["removed"]["run_ids"], json!([]));
    assert!(dry["cutoff"].is_string() && dry["failed_cutoff"].is_string());
    assert_eq!(dry["database"]["bytes_after"], Value::Null);
    let human = sandbox.run("gc --dry-run");
    assert!(
        human
            .stdout
            .contains("nothing to remove: no finished run is past the policy"),
        "{}",
        human.stdout
    );
    let real = sandbox.ok_json("gc --json");
    assert_eq!(real["dry_run"], json!(false));
    assert!(real["database"]["bytes_after"].is_u64(), "{real}");

    let shorter = sandbox.run("gc set --keep-failed-days 7 --json");
    assert_eq!(shorter.code, 2);
    let error = shorter.json();
    assert_eq!(
        (
            &error["details"][0]["field"],
            &error["details"][0]["message"]
        ),
        (&json!("keep_failed_days"), &json!("below_keep_days"))
    );
    let zero = sandbox.run("gc set --keep-days 0 --json");
    assert_eq!(zero.code, 2);
    assert_eq!(zero.json()["details"][0]["field"], json!("keep_days"));
    let unreadable = sandbox.run("gc set --keep-days soon");
    assert_eq!(unreadable.code, 2);
    assert!(
        unreadable.stderr.contains("forever"),
        "{}",
        unreadable.stderr
    );
    assert_eq!(
        sandbox.ok_json("gc set --keep-days forever --keep-failed-days forever --json"),
        json!({ "keep_days": null, "keep_failed_days": null })
    );
}

// ---- automation draft ---------------------------------------------------------------------

/// A proposal of the draft tool; its workspace is filled in from --workspace.
fn proposal(cron: &str, permissions: Value) -> Value {
    json!({"tool_calls": [{"name": "propose_automation", "arguments": {
        "title": "Weekday notes",
        "prompt": "Summarize yesterday's changes into NOTES.md.",
        "workspace": "",
        "model": {"provider_id": "mock", "model_id": "mock-coder"},
        "trigger": {"kind": "cron", "expression": cron, "timezone": "Europe/Berlin"},
        "permissions": permissions,
    }}]})
}

#[test]
fn draft_prints_the_summary_writes_a_file_and_saves_nothing_until_import() {
    let sandbox = Sandbox::new();
    let mock = Mock::start(json!({"turns": [proposal(
        "0 9 * * 1-5",
        json!([
            {"tool": "edit", "pattern": "NOTES.md", "action": "allow"},
            {"tool": "bash", "command": ["git", "push"], "action": "allow"},
        ]),
    )]}));
    sandbox.add_mock_provider(&mock);
    let file = sandbox.data.path().join("draft.json");
    let outcome = sandbox.run(&format!(
        "automation draft 'every weekday at 9, summarize NOTES.md' --workspace {} \
         --model mock/mock-coder --timezone Europe/Berlin --output {}",
        sandbox.workspace(),
        file.display()
    ));
    mock.assert_clean();
    assert_eq!(outcome.code, 0, "stderr: {}", outcome.stderr);
    for wanted in [
        "Draft: Weekday notes",
        "Every weekday at 09:00 (Europe/Berlin)",
        "09:00 CET",
        "edit files matching `NOTES.md`",
        "permissions: removed `allow git push …` because the sentence does not ask to run commands",
        "Nothing was saved. Create it with:\n  autowork automation import",
    ] {
        assert!(
            outcome.stdout.contains(wanted),
            "missing {wanted:?} in:\n{}",
            outcome.stdout
        );
    }
    assert_eq!(sandbox.ok_json("automation list --json"), json!([]));

    let created = sandbox.ok_json(&format!("automation import {} --json", file.display()));
    assert_eq!(created["workspace"], json!(sandbox.canonical_workspace()));
    assert_eq!(created["permissions"].as_array().unwrap().len(), 1);
}

#[test]
fn a_draft_with_problems_left_exits_2_with_them_per_field() {
    let sandbox = Sandbox::new();
    let bad = proposal("0 25 * * *", json!([]));
    let mock = Mock::start(json!({"turns": [bad.clone(), bad.clone(), bad]}));
    sandbox.add_mock_provider(&mock);
    let outcome = sandbox.run(&format!(
        "automation draft 'daily, summarize NOTES.md' --workspace {} --model mock/mock-coder --json",
        sandbox.workspace()
    ));
    assert_eq!(outcome.code, 2, "stderr: {}", outcome.stderr);
    let out = outcome.json();
    assert_eq!(out["draft"]["model_calls"], json!(3));
    assert_eq!(
        out["draft"]["problems"][0]["field"],
        json!("trigger.expression")
    );
    assert_eq!(out["file"]["format_version"], json!(1));
    assert_eq!(sandbox.ok_json("automation list --json"), json!([]));
}

#[test]
fn a_draft_without_a_default_model_says_how_to_choose_one() {
    let sandbox = Sandbox::new();
    let outcome = sandbox.run(&format!(
        "automation draft 'summarize NOTES.md' --workspace {}",
        sandbox.workspace()
    ));
    assert_eq!(outcome.code, 1);
    assert!(
        outcome.stderr.contains("Settings -> Default model"),
        "{}",
        outcome.stderr
    );
    let json = sandbox.run(&format!(
        "automation draft 'summarize NOTES.md' --workspace {} --json",
        sandbox.workspace()
    ));
    assert_eq!(json.json()["error"], json!("no_default_model"));
}

/// Several daemons on one team database (PostgreSQL).
#[path = "team/daemons.rs"]
mod team_daemons;
