//! The agent's tools against real files in temp dirs and real child processes: what the
//! model reads back, what lands on disk, and that nothing escapes the work directory or
//! outlives a bash call.

use std::fs;
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use autowork_core::agent::tools::{specs, ToolCall, ToolContext, ToolError, ToolResult};
use autowork_core::definition::TOOL_NAMES;
use autowork_core::ledger::Question;
use pretty_assertions::assert_eq;
use serde_json::{json, Value};
use tokio_util::sync::CancellationToken;

/// `<tmp>/work` (the work directory) beside `<tmp>/outside` holding `secret.txt`.
struct Workspace {
    _dir: tempfile::TempDir,
    ctx: ToolContext,
    outside: PathBuf,
}

impl Workspace {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let work = dir.path().join("work");
        let outside = fs::canonicalize(dir.path()).unwrap().join("outside");
        fs::create_dir_all(&work).unwrap();
        fs::create_dir_all(&outside).unwrap();
        fs::write(outside.join("secret.txt"), "secret\n").unwrap();
        let ctx = ToolContext::new(work, CancellationToken::new());
        Self {
            _dir: dir,
            ctx,
            outside,
        }
    }

    fn root(&self) -> &Path {
        &self.ctx.workspace
    }

    fn file(&self, path: &str, content: &str) {
        let path = self.root().join(path);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, content).unwrap();
    }

    fn content(&self, path: &str) -> String {
        fs::read_to_string(self.root().join(path)).unwrap()
    }

    fn parse(&self, tool: &str, args: Value) -> Result<ToolCall, ToolError> {
        ToolCall::parse(tool, &args, &self.ctx)
    }

    async fn run(&self, tool: &str, args: Value) -> ToolResult {
        match self.parse(tool, args) {
            Ok(call) => call.run(&self.ctx).await,
            Err(error) => panic!("{tool} call did not parse: {error}"),
        }
    }
}

fn ok(content: &str) -> ToolResult {
    ToolResult {
        content: content.to_owned(),
        is_error: false,
        changed_paths: vec![],
    }
}

fn err(content: &str) -> ToolResult {
    ToolResult {
        content: content.to_owned(),
        is_error: true,
        changed_paths: vec![],
    }
}

fn numbered(lines: usize) -> String {
    (1..=lines).map(|i| format!("line {i}\n")).collect()
}

// ---- read ----------------------------------------------------------------------------

#[tokio::test]
async fn read_numbers_lines_and_says_how_to_read_on() {
    let ws = Workspace::new();
    ws.file("notes.txt", &numbered(10));
    let result = ws
        .run(
            "read",
            json!({"path": "notes.txt", "offset": 3, "limit": 2}),
        )
        .await;
    assert_eq!(
        result,
        ok("     3\tline 3\n     4\tline 4\n\n(showing lines 3-4 of 10; to read on, call read with offset 5)")
    );
}

#[tokio::test]
async fn read_of_a_whole_file_has_no_notice() {
    let ws = Workspace::new();
    ws.file("a.txt", "one\ntwo\n");
    assert_eq!(
        ws.run("read", json!({"path": "a.txt"})).await,
        ok("     1\tone\n     2\ttwo")
    );
}

#[tokio::test]
async fn read_stops_at_the_output_cap_on_a_line_boundary() {
    let mut ws = Workspace::new();
    ws.ctx.output_cap_bytes = 40;
    ws.file("a.txt", &numbered(10));
    let result = ws.run("read", json!({"path": "a.txt"})).await;
    assert_eq!(
        result,
        ok("     1\tline 1\n     2\tline 2\n\n(showing lines 1-2 of 10; to read on, call read with offset 3)")
    );
}

#[tokio::test]
async fn read_refuses_directories_binary_files_missing_files_and_offsets_past_the_end() {
    let ws = Workspace::new();
    ws.file("dir/x.txt", "x\n");
    fs::write(
        ws.root().join("image.png"),
        [0x89, b'P', b'N', b'G', 0, 0, 1],
    )
    .unwrap();
    assert_eq!(
        ws.run("read", json!({"path": "dir"})).await,
        err("`dir` is a directory; use list to see its entries")
    );
    assert_eq!(
        ws.run("read", json!({"path": "image.png"})).await,
        err("`image.png` is a binary file; read only shows text files")
    );
    assert_eq!(
        ws.run("read", json!({"path": "nope.txt"})).await,
        err("file `nope.txt` does not exist; use glob or list to find the right path")
    );
    assert_eq!(
        ws.run("read", json!({"path": "dir/x.txt", "offset": 5}))
            .await,
        err("offset 5 is past the end of `dir/x.txt`, which has 1 lines")
    );
}

// ---- list, glob, grep ----------------------------------------------------------------

#[tokio::test]
async fn list_sorts_entries_marks_directories_and_skips_git() {
    let ws = Workspace::new();
    ws.file("b.txt", "");
    ws.file("a.txt", "");
    ws.file("src/lib.rs", "");
    ws.file(".git/HEAD", "ref: refs/heads/main\n");
    ws.file(".github/ci.yml", "");
    assert_eq!(
        ws.run("list", json!({})).await,
        ok(".github/\na.txt\nb.txt\nsrc/")
    );
    assert_eq!(ws.run("list", json!({"path": "src"})).await, ok("lib.rs"));
}

#[tokio::test]
async fn glob_returns_sorted_workspace_paths_and_respects_gitignore() {
    let ws = Workspace::new();
    ws.file(".gitignore", "target/\n*.log\n");
    ws.file("src/main.rs", "");
    ws.file("src/a/mod.rs", "");
    ws.file("build.rs", "");
    ws.file("target/debug/gen.rs", "");
    ws.file("src/debug.log", "");
    ws.file(".git/hooks/x.rs", "");
    assert_eq!(
        ws.run("glob", json!({"pattern": "**/*.rs"})).await,
        ok("build.rs\nsrc/a/mod.rs\nsrc/main.rs")
    );
    assert_eq!(
        ws.run("glob", json!({"pattern": "*.rs", "path": "src"}))
            .await,
        ok("src/main.rs"),
        "`*` stays in one directory, relative to the search root"
    );
    assert_eq!(
        ws.run("glob", json!({"pattern": "*.py"})).await,
        ok("no files match `*.py` in .")
    );
}

#[tokio::test]
async fn grep_finds_regex_matches_as_path_line_text() {
    let ws = Workspace::new();
    ws.file(
        "src/lib.rs",
        "pub fn alpha() {}\nfn beta() {}\npub fn gamma() {}\n",
    );
    ws.file("README.md", "pub fn in docs\n");
    ws.file(".gitignore", "ignored/\n");
    ws.file("ignored/x.rs", "pub fn hidden() {}\n");
    ws.file(".git/config", "pub fn not_this()\n");
    fs::write(ws.root().join("blob.bin"), b"pub fn \0binary").unwrap();
    assert_eq!(
        ws.run("grep", json!({"pattern": r"pub fn \w+\(\)"})).await,
        ok("src/lib.rs:1:pub fn alpha() {}\nsrc/lib.rs:3:pub fn gamma() {}")
    );
    assert_eq!(
        ws.run("grep", json!({"pattern": "pub fn", "include": "*.md"}))
            .await,
        ok("README.md:1:pub fn in docs")
    );
}

#[tokio::test]
async fn grep_can_ignore_case_and_search_one_file() {
    let ws = Workspace::new();
    ws.file("a.txt", "Hello\nhello\nbye\n");
    ws.file("b.txt", "HELLO\n");
    assert_eq!(
        ws.run(
            "grep",
            json!({"pattern": "hello", "path": "a.txt", "case_insensitive": true})
        )
        .await,
        ok("a.txt:1:Hello\na.txt:2:hello")
    );
    assert_eq!(
        ws.run("grep", json!({"pattern": "nothing"})).await,
        ok("no matches for `nothing` in .")
    );
}

#[tokio::test]
async fn invalid_regex_or_glob_is_a_parse_error_the_model_reads() {
    let ws = Workspace::new();
    let error = ws
        .parse("grep", json!({"pattern": "(unclosed"}))
        .unwrap_err();
    assert!(
        error.to_string().starts_with(
            "invalid arguments for `grep`: `(unclosed` is not a valid regular expression"
        ),
        "{error}"
    );
    assert!(ws.parse("glob", json!({"pattern": "src/[a"})).is_err());
}

// ---- write and edit ------------------------------------------------------------------

#[tokio::test]
async fn write_creates_parent_directories_then_updates() {
    let ws = Workspace::new();
    let created = ws
        .run(
            "write",
            json!({"path": "a/b/new.txt", "content": "one\ntwo\n"}),
        )
        .await;
    assert_eq!(
        created,
        ToolResult {
            content: "created a/b/new.txt (2 lines)".into(),
            is_error: false,
            changed_paths: vec!["a/b/new.txt".into()],
        }
    );
    assert_eq!(ws.content("a/b/new.txt"), "one\ntwo\n");
    let updated = ws
        .run(
            "write",
            json!({"path": "a/b/new.txt", "content": "three\n"}),
        )
        .await;
    assert_eq!(updated.content, "updated a/b/new.txt (1 line)");
    assert_eq!(ws.content("a/b/new.txt"), "three\n");
}

#[tokio::test]
async fn edit_replaces_exactly_one_occurrence() {
    let ws = Workspace::new();
    ws.file("src/lib.rs", "fn a() {}\nfn b() {}\n");
    let result = ws
        .run(
            "edit",
            json!({"path": "src/lib.rs", "old_string": "fn b() {}", "new_string": "fn c() {}"}),
        )
        .await;
    assert_eq!(
        result,
        ToolResult {
            content: "edited src/lib.rs: replaced 1 occurrence".into(),
            is_error: false,
            changed_paths: vec!["src/lib.rs".into()],
        }
    );
    assert_eq!(ws.content("src/lib.rs"), "fn a() {}\nfn c() {}\n");
}

#[tokio::test]
async fn edit_that_is_not_found_or_not_unique_changes_nothing_and_says_why() {
    let ws = Workspace::new();
    ws.file("x.txt", "same\nsame\nsame\n");
    assert_eq!(
        ws.run(
            "edit",
            json!({"path": "x.txt", "old_string": "other", "new_string": "y"})
        )
        .await,
        err(
            "`old_string` was not found in `x.txt`; it must match the file exactly, including \
             whitespace and indentation (read the file to copy the text)"
        )
    );
    assert_eq!(
        ws.run(
            "edit",
            json!({"path": "x.txt", "old_string": "same", "new_string": "new"})
        )
        .await,
        err(
            "`old_string` occurs 3 times in `x.txt`; add surrounding lines to make it unique, \
             or set replace_all to replace every occurrence"
        )
    );
    assert_eq!(ws.content("x.txt"), "same\nsame\nsame\n");
    assert_eq!(
        ws.run(
            "edit",
            json!({"path": "gone.txt", "old_string": "a", "new_string": "b"})
        )
        .await,
        err("file `gone.txt` does not exist; use write to create it")
    );
}

#[tokio::test]
async fn edit_with_replace_all_replaces_every_occurrence() {
    let ws = Workspace::new();
    ws.file("x.txt", "same\nsame\nsame\n");
    let result = ws
        .run(
            "edit",
            json!({"path": "x.txt", "old_string": "same", "new_string": "new", "replace_all": true}),
        )
        .await;
    assert_eq!(result.content, "edited x.txt: replaced 3 occurrences");
    assert_eq!(ws.content("x.txt"), "new\nnew\nnew\n");
}

#[tokio::test]
async fn edit_with_identical_or_empty_strings_is_refused_at_parse() {
    let ws = Workspace::new();
    ws.file("x.txt", "a\n");
    assert_eq!(
        ws.parse(
            "edit",
            json!({"path": "x.txt", "old_string": "a", "new_string": "a"})
        )
        .unwrap_err()
        .to_string(),
        "invalid arguments for `edit`: `old_string` and `new_string` are the same, so the edit \
         would change nothing"
    );
    assert!(ws
        .parse(
            "edit",
            json!({"path": "x.txt", "old_string": "", "new_string": "a"})
        )
        .is_err());
}

#[tokio::test]
async fn preview_shows_the_diff_without_writing() {
    let ws = Workspace::new();
    ws.file("src/lib.rs", "fn a() {}\nfn b() {}\n");
    let edit = ws
        .parse(
            "edit",
            json!({"path": "src/lib.rs", "old_string": "fn b() {}", "new_string": "fn c() {}"}),
        )
        .unwrap();
    assert_eq!(
        edit.preview(&ws.ctx).as_deref(),
        Some("--- a/src/lib.rs\n+++ b/src/lib.rs\n@@ -1,2 +1,2 @@\n fn a() {}\n-fn b() {}\n+fn c() {}\n")
    );
    let write = ws
        .parse("write", json!({"path": "new.txt", "content": "hello\n"}))
        .unwrap();
    assert_eq!(
        write.preview(&ws.ctx).as_deref(),
        Some("--- a/new.txt\n+++ b/new.txt\n@@ -0,0 +1 @@\n+hello\n")
    );
    assert_eq!(ws.content("src/lib.rs"), "fn a() {}\nfn b() {}\n");
    assert!(!ws.root().join("new.txt").exists());

    let missing = ws
        .parse(
            "edit",
            json!({"path": "src/lib.rs", "old_string": "nowhere", "new_string": "x"}),
        )
        .unwrap();
    assert_eq!(
        missing.preview(&ws.ctx),
        None,
        "an edit that cannot apply has no diff"
    );
    let read = ws.parse("read", json!({"path": "src/lib.rs"})).unwrap();
    assert_eq!(read.preview(&ws.ctx), None);
}

#[tokio::test]
async fn preview_is_capped() {
    let mut ws = Workspace::new();
    ws.ctx.output_cap_bytes = 50;
    let write = ws
        .parse(
            "write",
            json!({"path": "big.txt", "content": numbered(100)}),
        )
        .unwrap();
    let preview = write.preview(&ws.ctx).unwrap();
    assert!(
        preview.ends_with("more bytes not shown]"),
        "a long diff is cut with a notice: {preview}"
    );
}

// ---- path confinement ----------------------------------------------------------------

fn assert_outside(result: Result<ToolCall, ToolError>, path: &str, ws: &Workspace) {
    assert_eq!(
        result.unwrap_err().to_string(),
        format!(
            "path `{path}` is outside the work directory {}; only files inside it can be used",
            ws.root().display()
        )
    );
}

#[tokio::test]
async fn paths_that_climb_out_or_point_elsewhere_are_refused() {
    let ws = Workspace::new();
    let secret = ws.outside.join("secret.txt");
    let secret = secret.to_str().unwrap();
    assert_outside(
        ws.parse("read", json!({"path": "../outside/secret.txt"})),
        "../outside/secret.txt",
        &ws,
    );
    assert_outside(ws.parse("read", json!({"path": secret})), secret, &ws);
    assert_outside(
        ws.parse("write", json!({"path": "../x.txt", "content": ""})),
        "../x.txt",
        &ws,
    );
    assert_outside(ws.parse("list", json!({"path": ".."})), "..", &ws);
    assert_outside(
        ws.parse("grep", json!({"pattern": "s", "path": "/"})),
        "/",
        &ws,
    );
    assert_outside(
        ws.parse("glob", json!({"pattern": "*", "path": "/etc"})),
        "/etc",
        &ws,
    );
}

#[tokio::test]
async fn symlinks_to_outside_are_refused_for_files_dirs_and_new_files_under_them() {
    let ws = Workspace::new();
    symlink(ws.outside.join("secret.txt"), ws.root().join("secret")).unwrap();
    symlink(&ws.outside, ws.root().join("out")).unwrap();
    assert_outside(ws.parse("read", json!({"path": "secret"})), "secret", &ws);
    assert_outside(
        ws.parse("read", json!({"path": "out/secret.txt"})),
        "out/secret.txt",
        &ws,
    );
    assert_outside(ws.parse("list", json!({"path": "out"})), "out", &ws);
    assert_outside(
        ws.parse("write", json!({"path": "out/new.txt", "content": "x"})),
        "out/new.txt",
        &ws,
    );
    assert_outside(
        ws.parse(
            "edit",
            json!({"path": "secret", "old_string": "secret", "new_string": "x"}),
        ),
        "secret",
        &ws,
    );
    assert!(!ws.outside.join("new.txt").exists());
    assert_eq!(
        fs::read_to_string(ws.outside.join("secret.txt")).unwrap(),
        "secret\n"
    );
}

#[tokio::test]
async fn searches_do_not_follow_symlinks_out_of_the_work_directory() {
    let ws = Workspace::new();
    ws.file("mine.txt", "secret too\n");
    symlink(&ws.outside, ws.root().join("out")).unwrap();
    symlink(ws.outside.join("secret.txt"), ws.root().join("link.txt")).unwrap();
    assert_eq!(
        ws.run("grep", json!({"pattern": "secret"})).await,
        ok("mine.txt:1:secret too")
    );
    assert_eq!(
        ws.run("glob", json!({"pattern": "**/secret.txt"})).await,
        ok("no files match `**/secret.txt` in .")
    );
}

#[tokio::test]
async fn a_symlink_swapped_in_after_parsing_is_refused_at_run() {
    let ws = Workspace::new();
    fs::create_dir(ws.root().join("docs")).unwrap();
    let call = ws
        .parse("write", json!({"path": "docs/new.txt", "content": "x"}))
        .unwrap();
    fs::remove_dir(ws.root().join("docs")).unwrap();
    symlink(&ws.outside, ws.root().join("docs")).unwrap();
    let result = call.run(&ws.ctx).await;
    assert!(result.is_error, "{result:?}");
    assert!(!ws.outside.join("new.txt").exists());
}

#[tokio::test]
async fn subjects_are_workspace_relative_whatever_the_spelling() {
    let ws = Workspace::new();
    ws.file("src/lib.rs", "");
    symlink(ws.root().join("src"), ws.root().join("code")).unwrap();
    let absolute = ws.root().join("src/lib.rs");
    for spelling in [
        absolute.to_str().unwrap(),
        "./src/../src/lib.rs",
        "code/lib.rs",
    ] {
        let call = ws.parse("read", json!({"path": spelling})).unwrap();
        assert_eq!(call.subject(), "src/lib.rs", "spelled {spelling}");
    }
    let list = ws.parse("list", json!({})).unwrap();
    assert_eq!(
        (list.subject(), list.summary()),
        (".".into(), "list .".into())
    );
    let bash = ws.parse("bash", json!({"command": "cargo test"})).unwrap();
    assert_eq!(
        (bash.name(), bash.subject(), bash.summary()),
        ("bash", "cargo test".into(), "run `cargo test`".into())
    );
    let edit = ws
        .parse(
            "edit",
            json!({"path": "code/lib.rs", "old_string": "a", "new_string": "b"}),
        )
        .unwrap();
    assert_eq!(edit.summary(), "edit src/lib.rs");
}

// ---- bash ----------------------------------------------------------------------------

#[tokio::test]
async fn bash_runs_in_the_work_directory_and_reports_output_and_exit_code() {
    let ws = Workspace::new();
    ws.file("here.txt", "");
    assert_eq!(
        ws.run("bash", json!({"command": "ls; echo oops >&2"}))
            .await,
        ok("here.txt\noops\n\nexit code: 0")
    );
    assert_eq!(
        ws.run("bash", json!({"command": "echo failing; exit 3"}))
            .await,
        err("failing\n\nexit code: 3")
    );
    assert_eq!(
        ws.run("bash", json!({"command": "true"})).await,
        ok("(no output)\n\nexit code: 0")
    );
}

#[tokio::test]
async fn bash_stdin_is_closed() {
    let ws = Workspace::new();
    let started = Instant::now();
    let result = ws.run("bash", json!({"command": "cat; echo done"})).await;
    assert_eq!(result, ok("done\n\nexit code: 0"));
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[tokio::test]
async fn bash_output_over_the_cap_keeps_head_and_tail_with_a_notice() {
    let mut ws = Workspace::new();
    ws.ctx.output_cap_bytes = 1000;
    let result = ws.run("bash", json!({"command": "seq 1 10000"})).await;
    assert!(!result.is_error);
    assert!(
        result.content.starts_with("1\n2\n3\n"),
        "{}",
        result.content
    );
    assert!(
        result.content.ends_with("9999\n10000\n\nexit code: 0"),
        "{}",
        result.content
    );
    // seq 1 10000 prints 48894 bytes; 1000 are kept.
    assert!(
        result
            .content
            .contains("[... 47894 bytes of output cut ...]"),
        "{}",
        result.content
    );
}

/// Whether `pid` is a live process (a zombie waiting to be reaped counts as gone).
fn alive(pid: u32) -> bool {
    match fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => {
            let state = stat.rsplit(')').next().unwrap_or("").trim_start();
            !state.starts_with('Z') && !state.starts_with('X')
        }
        Err(_) => false,
    }
}

async fn wait_for_pid(file: &Path) -> u32 {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Ok(text) = fs::read_to_string(file) {
            if let Ok(pid) = text.trim().parse() {
                return pid;
            }
        }
        assert!(
            Instant::now() < deadline,
            "the command never wrote its pid file"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn assert_gone(pid: u32) {
    let deadline = Instant::now() + Duration::from_secs(5);
    while alive(pid) {
        assert!(
            Instant::now() < deadline,
            "process {pid} outlived the bash call"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Starts a grandchild in the background, records its pid, and waits in the foreground.
const SLEEPER: &str = "sleep 100 & echo $! > grandchild.pid; sleep 100";

#[tokio::test]
async fn bash_timeout_kills_the_whole_process_group() {
    let ws = Workspace::new();
    let started = Instant::now();
    let result = ws
        .run("bash", json!({"command": SLEEPER, "timeout_ms": 500}))
        .await;
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "took {:?}",
        started.elapsed()
    );
    assert!(result.is_error);
    assert!(
        result
            .content
            .contains("the command timed out after 500ms and was stopped"),
        "{}",
        result.content
    );
    let pid = wait_for_pid(&ws.root().join("grandchild.pid")).await;
    assert_gone(pid).await;
}

#[tokio::test]
async fn bash_default_timeout_comes_from_the_context() {
    let mut ws = Workspace::new();
    ws.ctx.bash_timeout = Duration::from_millis(300);
    let result = ws.run("bash", json!({"command": "sleep 100"})).await;
    assert!(
        result.content.contains("timed out after 300ms"),
        "{}",
        result.content
    );
}

#[tokio::test]
async fn cancelling_the_run_kills_the_whole_process_group_at_once() {
    let ws = Workspace::new();
    let call = ws.parse("bash", json!({"command": SLEEPER})).unwrap();
    let ctx = ws.ctx.clone();
    let running = tokio::spawn(async move { call.run(&ctx).await });
    let pid = wait_for_pid(&ws.root().join("grandchild.pid")).await;
    assert!(alive(pid));
    let cancelled_at = Instant::now();
    ws.ctx.cancel.cancel();
    let result = tokio::time::timeout(Duration::from_secs(5), running)
        .await
        .expect("the call ends promptly on cancel")
        .unwrap();
    assert!(cancelled_at.elapsed() < Duration::from_secs(2));
    assert_eq!(
        result,
        err("(no output)\n\nthe command was stopped because the run was cancelled")
    );
    assert_gone(pid).await;
}

#[tokio::test]
async fn background_processes_do_not_outlive_the_call() {
    let ws = Workspace::new();
    let started = Instant::now();
    let result = ws
        .run(
            "bash",
            json!({"command": "sleep 100 & echo $! > grandchild.pid; echo started"}),
        )
        .await;
    assert_eq!(result, ok("started\n\nexit code: 0"));
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "took {:?}",
        started.elapsed()
    );
    let pid = wait_for_pid(&ws.root().join("grandchild.pid")).await;
    assert_gone(pid).await;
}

#[tokio::test]
async fn dropping_a_running_call_kills_its_process_group() {
    let ws = Workspace::new();
    let call = ws.parse("bash", json!({"command": SLEEPER})).unwrap();
    let ctx = ws.ctx.clone();
    let running = tokio::spawn(async move { call.run(&ctx).await });
    let pid = wait_for_pid(&ws.root().join("grandchild.pid")).await;
    running.abort();
    let _ = running.await;
    assert_gone(pid).await;
}

// ---- parsing and specs ---------------------------------------------------------------

#[tokio::test]
async fn parse_errors_name_the_problem() {
    let ws = Workspace::new();
    assert_eq!(
        ws.parse("read", json!({})).unwrap_err().to_string(),
        "invalid arguments for `read`: `path` is required (a string)"
    );
    assert_eq!(
        ws.parse("bash", json!({"command": 5}))
            .unwrap_err()
            .to_string(),
        "invalid arguments for `bash`: `command` must be a string"
    );
    assert_eq!(
        ws.parse("delete", json!({})).unwrap_err().to_string(),
        "there is no tool `delete`; the tools are read, list, glob, grep, write, edit, bash, question"
    );
    assert_eq!(
        ws.parse("read", json!({"path": "a", "limit": 0}))
            .unwrap_err()
            .to_string(),
        "invalid arguments for `read`: `limit` must be at least 1"
    );
}

#[tokio::test]
async fn questions_parse_but_run_only_through_the_agent_loop() {
    let ws = Workspace::new();
    let call = ws
        .parse(
            "question",
            json!({"questions": [{"question": "Which branch?", "choices": ["main", "dev"]}]}),
        )
        .unwrap();
    assert_eq!(
        call,
        ToolCall::Question {
            questions: vec![Question {
                question: "Which branch?".into(),
                choices: vec!["main".into(), "dev".into()],
            }]
        }
    );
    assert_eq!(call.summary(), "ask: Which branch?");
    let result = call.run(&ws.ctx).await;
    assert!(result.is_error);
    assert!(
        result.content.contains("the agent loop"),
        "{}",
        result.content
    );
    assert!(ws.parse("question", json!({"questions": []})).is_err());
}

#[test]
fn specs_describe_every_tool_with_an_object_schema() {
    let specs = specs();
    let names: Vec<_> = specs.iter().map(|s| s.name).collect();
    assert_eq!(names, TOOL_NAMES);
    for spec in specs {
        assert_eq!(spec.parameters["type"], "object", "{}", spec.name);
        assert!(!spec.description.is_empty());
    }
}

#[tokio::test]
async fn write_and_edit_refuse_paths_inside_git() {
    let ws = Workspace::new();
    ws.file(".git/config", "[core]\n");
    ws.file("sub/.git/HEAD", "ref: x\n");
    for (tool, args) in [
        (
            "write",
            json!({"path": ".git/hooks/pre-commit", "content": "#!/bin/sh\nrm -rf ~\n"}),
        ),
        (
            "edit",
            json!({"path": ".git/config", "old_string": "[core]", "new_string": "[core]\nfsmonitor = evil"}),
        ),
        (
            "write",
            json!({"path": "./sub/../.git/config", "content": "x"}),
        ),
        ("write", json!({"path": "sub/.git/HEAD", "content": "x"})),
    ] {
        let error = ws.parse(tool, args.clone()).unwrap_err();
        assert!(error.to_string().contains("inside .git"), "{args}: {error}");
    }
    assert_eq!(ws.content(".git/config"), "[core]\n");
    assert!(!ws.root().join(".git/hooks/pre-commit").exists());
    let kept = ws
        .run("write", json!({"path": "gitignore.git", "content": "ok"}))
        .await;
    assert!(
        !kept.is_error,
        "a name merely ending in .git is fine: {kept:?}"
    );
}

#[tokio::test]
async fn grep_and_glob_skip_files_a_rule_denies_and_say_so() {
    use autowork_core::definition::{PermissionAction, PermissionRule};
    let mut ws = Workspace::new();
    ws.file("src/main.rs", "let token = load();\n");
    ws.file("private/key.txt", "token = hunter2\n");
    ws.file("prod.env", "TOKEN=abc\n");
    ws.ctx.rules = std::sync::Arc::new(autowork_core::agent::permissions::Rules::new(vec![
        PermissionRule::path("*", "private/*", PermissionAction::Deny),
        PermissionRule::path("read", "*.env", PermissionAction::Deny),
    ]));
    let grep = ws
        .run("grep", json!({"pattern": "(?i)token", "path": "."}))
        .await;
    assert_eq!(
        grep.content,
        "src/main.rs:1:let token = load();\n\n(2 files were skipped: a permission rule of this automation denies them)"
    );
    let glob = ws
        .run("glob", json!({"pattern": "**/*", "path": "."}))
        .await;
    assert_eq!(
        glob.content,
        "src/main.rs\n\n(2 files were skipped: a permission rule of this automation denies them)"
    );
    let nothing = ws.run("grep", json!({"pattern": "hunter2"})).await;
    assert!(
        nothing.content.starts_with("no matches for `hunter2`"),
        "{nothing:?}"
    );
    assert!(!nothing.content.contains("hunter2\n"), "{nothing:?}");
}
