//! The OS sandbox around a run's commands, through the real agent, the scripted model
//! server and real processes: what a command may write, read and connect to.

use std::net::TcpListener;
use std::path::Path;
use std::time::Duration;

use autowork_core::ledger::{Attendance, Run, RunState};
use autowork_core::sandbox;
use autowork_core::transcript::Part;
use serde_json::{json, Value};

use super::agent::AgentEnv;
use super::support::*;

/// A run that calls bash with each command in turn, then says it is done.
fn bash_script(commands: &[&str]) -> Value {
    let mut turns: Vec<Value> = commands
        .iter()
        .map(|c| json!({"tool_calls": [{"name": "bash", "arguments": {"command": c}}]}))
        .collect();
    turns.push(json!({"text": "done"}));
    Value::Array(turns)
}

fn allow(commands: &[&[&str]]) -> Value {
    Value::Array(
        commands
            .iter()
            .map(|words| json!({"tool": "bash", "command": words, "action": "allow"}))
            .collect(),
    )
}

/// The parts of the run's transcript that `pick` keeps, in order.
async fn parts<T>(t: &AgentEnv, run: &Run, pick: impl Fn(Part) -> Option<T>) -> Vec<T> {
    t.env
        .engine
        .run_transcript(&run.id)
        .await
        .unwrap()
        .into_iter()
        .flat_map(|m| m.parts)
        .filter_map(pick)
        .collect()
}

/// The bash results of the run, in order: (content, is_error).
async fn bash_results(t: &AgentEnv, run: &Run) -> Vec<(String, bool)> {
    parts(t, run, |p| match p {
        Part::ToolResult {
            content, is_error, ..
        } => Some((content, is_error)),
        _ => None,
    })
    .await
}

async fn notices(t: &AgentEnv, run: &Run) -> Vec<String> {
    parts(t, run, |p| match p {
        Part::Notice { text } => Some(text),
        _ => None,
    })
    .await
}

fn files_enforced() -> bool {
    let enforced = sandbox::support().enforces_files();
    assert!(
        enforced || !cfg!(target_os = "linux"),
        "these tests expect Landlock on Linux; this kernel has none: {:?}",
        sandbox::support()
    );
    enforced
}

#[tokio::test]
async fn a_command_cannot_write_outside_the_work_area() {
    let outside = tempfile::tempdir().unwrap();
    let target = outside.path().join("escaped.txt");
    let target_text = target.display().to_string();
    let t = AgentEnv::new(
        "openai_compatible",
        bash_script(&[&format!("touch {target_text}"), "touch inside.txt"]),
    )
    .await;
    let automation = t
        .automation(json!({"permissions": allow(&[&["touch"]])}))
        .await;
    let run = t.run(&automation, Attendance::Unattended).await;
    assert_eq!(t.finish(&run).await.state, RunState::Succeeded);
    if files_enforced() {
        assert!(!target.exists(), "the write outside was refused");
        let results = bash_results(&t, &run).await;
        assert!(results[0].1, "the outside write failed: {results:?}");
        assert!(results[0].0.contains("Permission denied"), "{results:?}");
    }
    assert!(
        t.env.workspace.join("inside.txt").exists(),
        "writes inside work"
    );
}

#[tokio::test]
async fn a_command_cannot_read_ssh_keys() {
    let home = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(home.path().join(".ssh")).unwrap();
    std::fs::write(home.path().join(".ssh/id_rsa"), "PRIVATE KEY 1234").unwrap();
    std::fs::write(home.path().join("notes.txt"), "public notes").unwrap();
    let key = home.path().join(".ssh/id_rsa").display().to_string();
    let notes = home.path().join("notes.txt").display().to_string();
    let home_dir = home.path().to_path_buf();
    let t = AgentEnv::configured(
        "openai_compatible",
        bash_script(&[&format!("cat {key}"), &format!("cat {notes}")]),
        None,
        None,
        move |agent| agent.sandbox_home(home_dir),
    )
    .await;
    let automation = t
        .automation(json!({"permissions": allow(&[&["cat"]])}))
        .await;
    let run = t.run(&automation, Attendance::Unattended).await;
    assert_eq!(t.finish(&run).await.state, RunState::Succeeded);
    let results = bash_results(&t, &run).await;
    assert!(results[1].0.contains("public notes"), "{results:?}");
    if files_enforced() {
        assert!(
            results[0].1 && !results[0].0.contains("PRIVATE KEY"),
            "{results:?}"
        );
    }
}

/// Whether something connects to `listener` within a short wait.
fn connected(listener: &TcpListener) -> bool {
    listener.set_nonblocking(true).unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(2);
    while std::time::Instant::now() < deadline {
        if listener.accept().is_ok() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    false
}

async fn connect_with_network(network: bool) -> (bool, Vec<(String, bool)>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!(
        "http://127.0.0.1:{}/repo.git",
        listener.local_addr().unwrap().port()
    );
    let t = AgentEnv::new(
        "openai_compatible",
        bash_script(&[&format!("git ls-remote {url}")]),
    )
    .await;
    let automation = t
        .automation(json!({
            "permissions": allow(&[&["git", "ls-remote"]]),
            "sandbox": {"network": network},
        }))
        .await;
    let run = t.run(&automation, Attendance::Unattended).await;
    let accepted = tokio::task::spawn_blocking(move || connected(&listener))
        .await
        .unwrap();
    assert_eq!(t.finish(&run).await.state, RunState::Succeeded);
    (accepted, bash_results(&t, &run).await)
}

#[tokio::test]
async fn network_is_off_unless_the_automation_allows_it() {
    let (accepted, results) = connect_with_network(false).await;
    if sandbox::support().network_filter {
        assert!(!accepted, "no connection with the network off: {results:?}");
        assert!(results[0].1, "{results:?}");
    }
    let (accepted, results) = connect_with_network(true).await;
    assert!(
        accepted,
        "the command connected with the network on: {results:?}"
    );
}

fn write_c_project(dir: &Path) {
    std::fs::write(
        dir.join("hello.c"),
        "#include <stdio.h>\nint main(void) { puts(\"hello from the build\"); return 0; }\n",
    )
    .unwrap();
}

#[tokio::test]
async fn a_build_and_test_command_works_inside_a_worktree() {
    let t = AgentEnv::new(
        "openai_compatible",
        bash_script(&[
            "cc -o hello hello.c && ./hello",
            "git status --short",
            "touch .git/hooks/planted",
        ]),
    )
    .await;
    write_c_project(&t.env.workspace);
    git_init(&t.env.workspace);
    let automation = t
        .automation(json!({
            "placement": {"kind": "worktree", "name": "build"},
            "permissions": allow(&[&["cc"], &["./hello"], &["git", "status"], &["touch"]]),
        }))
        .await;
    let run = t.run(&automation, Attendance::Unattended).await;
    let done = t.finish(&run).await;
    assert_eq!(done.state, RunState::Succeeded, "{done:?}");
    let results = bash_results(&t, &run).await;
    assert!(
        !results[0].1 && results[0].0.contains("hello from the build"),
        "{results:?}"
    );
    assert!(
        !results[1].1,
        "git status works in the worktree: {results:?}"
    );
    if sandbox::support().git_read_only {
        assert!(results[2].1, ".git is read-only: {results:?}");
    }
}

#[tokio::test]
async fn an_unattended_run_refuses_commands_when_there_is_no_sandbox() {
    let t = AgentEnv::configured(
        "openai_compatible",
        bash_script(&["touch made.txt"]),
        None,
        None,
        |agent| agent.sandbox_launcher(None),
    )
    .await;
    let automation = t
        .automation(json!({"permissions": allow(&[&["touch"]])}))
        .await;
    let run = t.run(&automation, Attendance::Unattended).await;
    assert_eq!(t.finish(&run).await.state, RunState::Succeeded);
    let results = bash_results(&t, &run).await;
    assert!(
        results[0].1 && results[0].0.contains("sandbox mode to off"),
        "{results:?}"
    );
    assert!(!t.env.workspace.join("made.txt").exists());
    let notices = notices(&t, &run).await;
    assert!(
        notices[0].starts_with("Shell commands refused"),
        "{notices:?}"
    );
}

#[tokio::test]
async fn with_the_sandbox_off_commands_run_and_the_transcript_says_so() {
    let outside = tempfile::tempdir().unwrap();
    let target = outside.path().join("allowed.txt");
    let t = AgentEnv::new(
        "openai_compatible",
        bash_script(&[&format!("touch {}", target.display())]),
    )
    .await;
    let automation = t
        .automation(json!({"permissions": allow(&[&["touch"]]), "sandbox": {"mode": "off"}}))
        .await;
    let run = t.run(&automation, Attendance::Unattended).await;
    assert_eq!(t.finish(&run).await.state, RunState::Succeeded);
    assert!(target.exists(), "no sandbox: the write outside happened");
    let notices = notices(&t, &run).await;
    assert!(notices[0].starts_with("The sandbox is off"), "{notices:?}");
}
