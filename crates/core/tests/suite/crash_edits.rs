//! A process killed while `edit` or `write` replaces a large file leaves the old file or
//! the new one, never a cut one.

use std::process::Command;
use std::time::Duration;

use autowork_core::agent::tools::{ToolCall, ToolContext};
use serde_json::json;
use tokio_util::sync::CancellationToken;

/// Set in the child process: the work directory holding `big.txt`.
const CHILD_DIR: &str = "AUTOWORK_TEST_CRASH_EDIT_DIR";
const OLD_LINE: &str = "the old line of a large file, before the edit\n";
const NEW_LINE: &str = "THE NEW LINE OF A LARGE FILE, AFTER THE EDIT\n";
/// About 45 MB: long enough to write that a kill lands in the middle.
const LINES: usize = 1_000_000;

/// The child's work: one large edit. Ignored in a normal run; the test below starts it
/// in a process of its own and kills it.
#[tokio::test]
#[ignore = "run as a child process by a_process_killed_during_a_large_edit_leaves_the_old_or_the_new_file"]
async fn child_edits_a_large_file() {
    let dir = std::env::var(CHILD_DIR).expect("started by the crash test");
    let ctx = ToolContext::new(dir.into(), CancellationToken::new());
    let call = ToolCall::parse(
        "edit",
        &json!({"path": "big.txt", "old_string": OLD_LINE, "new_string": NEW_LINE, "replace_all": true}),
        &ctx,
    )
    .unwrap();
    let result = call.run(&ctx).await;
    assert!(!result.is_error, "{result:?}");
}

/// Whether the child has started writing: a second file in the directory, or `big.txt`
/// no longer its old size.
fn writing(dir: &std::path::Path, old_len: usize) -> bool {
    let entries = std::fs::read_dir(dir).map(|d| d.count()).unwrap_or(0);
    let len = std::fs::metadata(dir.join("big.txt"))
        .map(|m| m.len())
        .unwrap_or(0);
    entries > 1 || len != old_len as u64
}

#[test]
fn a_process_killed_during_a_large_edit_leaves_the_old_or_the_new_file() {
    let old = OLD_LINE.repeat(LINES);
    let new = NEW_LINE.repeat(LINES);
    let (mut kept_old, mut got_new) = (0, 0);
    for round in 0..20u64 {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("big.txt");
        std::fs::write(&path, &old).unwrap();
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "suite::crash_edits::child_edits_a_large_file",
                "--ignored",
                "--test-threads=1",
            ])
            .env(CHILD_DIR, dir.path())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        // Kill it while it writes: as soon as a temporary file appears beside the file, or
        // the file itself changes size, plus a few milliseconds more each round.
        let deadline = std::time::Instant::now() + Duration::from_secs(60);
        while child.try_wait().unwrap().is_none() && std::time::Instant::now() < deadline {
            if writing(dir.path(), old.len()) {
                std::thread::sleep(Duration::from_millis(round % 7));
                break;
            }
            std::thread::sleep(Duration::from_micros(200));
        }
        let _ = child.kill();
        child.wait().unwrap();
        let content = std::fs::read(&path).unwrap();
        if content == old.as_bytes() {
            kept_old += 1;
        } else if content == new.as_bytes() {
            got_new += 1;
        } else {
            panic!(
                "round {round}: the file was left cut or mixed ({} bytes; old {} bytes, new {})",
                content.len(),
                old.len(),
                new.len()
            );
        }
        let leftovers: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .filter(|name| name != "big.txt")
            .collect();
        // A temporary file may be left by a kill; it never replaces the real one.
        assert!(leftovers.len() <= 1, "round {round}: {leftovers:?}");
    }
    eprintln!("20 kills: {kept_old} left the old file, {got_new} the new one");
}
