//! `bash`: a shell command in the work directory.
//!
//! What was parsed is what runs: a single plain command is executed directly (no shell
//! reads it again); anything else goes to `bash --noprofile --norc -c` with `BASH_ENV` and
//! `ENV` removed, so no startup file runs first. The command runs in its own process group
//! with stdin closed. When it ends,
//! times out, or the run is cancelled, the whole group is killed (SIGKILL), so nothing it
//! started in the background outlives the call; the same happens if the call's future is
//! dropped. Output (stdout and stderr interleaved as they arrive) keeps its head and tail
//! when it is longer than the cap, with a notice of how much was cut from the middle.

use std::collections::VecDeque;
use std::ffi::{OsStr, OsString};
use std::os::unix::process::ExitStatusExt;
use std::process::{ExitStatus, Stdio};
use std::time::Duration;

use nix::sys::signal::{killpg, Signal};
use nix::unistd::Pid;
use tokio::io::AsyncReadExt;
use tokio::process::{ChildStderr, ChildStdout, Command};

use super::{paths, ToolContext, ToolResult, MAX_BASH_TIMEOUT};
use crate::agent::containment::Containment;
use crate::agent::environment;
use crate::agent::shell;

/// How long to keep reading output after the group is killed. A process that left the
/// group (`setsid`) can hold the pipes open forever; its output is not worth waiting for.
const DRAIN_GRACE: Duration = Duration::from_millis(500);

pub(super) async fn run(ctx: &ToolContext, command: &str, timeout_ms: Option<u64>) -> ToolResult {
    let root = match paths::resolve(&ctx.workspace, ".") {
        Ok(root) => root.absolute,
        Err(error) => return error.into(),
    };
    let timeout = timeout_ms
        .map(Duration::from_millis)
        .unwrap_or(ctx.bash_timeout)
        .min(MAX_BASH_TIMEOUT);

    if let Containment::Refused(why) = &ctx.containment {
        return ToolResult::error(why.clone());
    }
    // What was parsed is what runs: one plain command without a shell, else bash without
    // startup files.
    let (program, args): (String, Vec<String>) = match shell::parse(command).direct {
        Some(mut argv) if !argv.is_empty() => {
            let program = argv.remove(0);
            (program, argv)
        }
        _ => (
            "bash".to_owned(),
            vec![
                "--noprofile".to_owned(),
                "--norc".to_owned(),
                "-c".to_owned(),
                command.to_owned(),
            ],
        ),
    };
    let mut process = match &ctx.containment {
        Containment::Sandboxed { launcher, policy } => {
            let args: Vec<OsString> = args.iter().map(OsString::from).collect();
            launcher.command(policy, OsStr::new(&program), &args)
        }
        _ => {
            let mut process = Command::new(&program);
            process.args(&args);
            process
        }
    };
    // An allow-list, never the engine's whole environment: it holds the provider keys.
    process
        .env_clear()
        .envs(environment::for_commands(&ctx.env));
    if let Some(temp) = &ctx.temp_dir {
        process
            .env("TMPDIR", temp)
            .env("TMP", temp)
            .env("TEMP", temp);
    }
    let mut child = match process
        .env_remove("BASH_ENV")
        .env_remove("ENV")
        .current_dir(&root)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        // Nobody can answer a pager or a password prompt.
        .env("PAGER", "cat")
        .env("GIT_PAGER", "cat")
        .env("GIT_TERMINAL_PROMPT", "0")
        .process_group(0)
        .kill_on_drop(true)
        .spawn()
    {
        Ok(child) => child,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            return ToolResult::error(format!("{program}: command not found\n\nexit code: 127"))
        }
        Err(error) => {
            return ToolResult::error(format!("the command could not be started: {error}"))
        }
    };
    let mut group = ProcessGroup(
        child
            .id()
            .and_then(|pid| i32::try_from(pid).ok())
            .map(Pid::from_raw),
    );

    let mut capture = Capture::new(ctx.output_cap_bytes);
    let mut pump = Box::pin(pump(child.stdout.take(), child.stderr.take(), &mut capture));
    let mut pumped = false;
    let deadline = tokio::time::sleep(timeout);
    tokio::pin!(deadline);
    let (ending, exited) = loop {
        tokio::select! {
            _ = &mut pump, if !pumped => pumped = true,
            status = child.wait() => break (Ending::Exited, Some(status)),
            _ = &mut deadline => break (Ending::TimedOut, None),
            _ = ctx.cancel.cancelled() => break (Ending::Cancelled, None),
        }
    };
    group.kill();
    let status = match exited {
        Some(status) => status,
        // Reap the shell; it is dead or about to be.
        None => child.wait().await,
    };
    if !pumped {
        let _ = tokio::time::timeout(DRAIN_GRACE, &mut pump).await;
    }
    drop(pump);

    let mut output = capture.finish();
    if output.is_empty() {
        output = "(no output)".to_owned();
    }
    match ending {
        Ending::TimedOut => ToolResult::error(format!(
            "{output}\n\nthe command timed out after {timeout:?} and was stopped (its process \
             group was killed); pass a larger timeout_ms (at most 600000) if it needs longer"
        )),
        Ending::Cancelled => ToolResult::error(format!(
            "{output}\n\nthe command was stopped because the run was cancelled"
        )),
        Ending::Exited => match status {
            Ok(status) if status.success() => ToolResult::ok(format!("{output}\n\nexit code: 0")),
            Ok(status) => ToolResult::error(format!("{output}\n\n{}", describe(status))),
            Err(error) => ToolResult::error(format!(
                "{output}\n\nthe command's exit status could not be read: {error}"
            )),
        },
    }
}

enum Ending {
    Exited,
    TimedOut,
    Cancelled,
}

fn describe(status: ExitStatus) -> String {
    match (status.code(), status.signal()) {
        (Some(code), _) => format!("exit code: {code}"),
        (None, Some(signal)) => match Signal::try_from(signal) {
            Ok(signal) => format!("killed by signal {signal}"),
            Err(_) => format!("killed by signal {signal}"),
        },
        (None, None) => "the command ended without an exit code".to_owned(),
    }
}

/// The command's process group, killed once: explicitly when the call ends, or on drop if
/// the call's future is dropped first.
struct ProcessGroup(Option<Pid>);

impl ProcessGroup {
    fn kill(&mut self) {
        if let Some(pgid) = self.0.take() {
            // ESRCH (nothing left in the group) is the usual, fine outcome.
            if let Err(error) = killpg(pgid, Signal::SIGKILL) {
                if error != nix::errno::Errno::ESRCH {
                    tracing::warn!(%error, %pgid, "could not kill the bash process group");
                }
            }
        }
    }
}

impl Drop for ProcessGroup {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Reads both pipes until both close, into one capture, in arrival order.
async fn pump(stdout: Option<ChildStdout>, stderr: Option<ChildStderr>, capture: &mut Capture) {
    let (mut stdout, mut stderr) = (stdout, stderr);
    let mut out_buf = vec![0u8; 8192];
    let mut err_buf = vec![0u8; 8192];
    while stdout.is_some() || stderr.is_some() {
        tokio::select! {
            // When both pipes have data, stdout's was written first (or at the same time):
            // a random pick would put `ls; echo oops >&2`'s error before the listing.
            biased;
            read = async { stdout.as_mut()?.read(&mut out_buf).await.ok() }, if stdout.is_some() => {
                match read {
                    Some(n) if n > 0 => capture.push(&out_buf[..n]),
                    _ => stdout = None,
                }
            }
            read = async { stderr.as_mut()?.read(&mut err_buf).await.ok() }, if stderr.is_some() => {
                match read {
                    Some(n) if n > 0 => capture.push(&err_buf[..n]),
                    _ => stderr = None,
                }
            }
        }
    }
}

/// Output kept within a cap: the first half and the last half of the allowance, and a
/// count of what fell between.
struct Capture {
    head: Vec<u8>,
    tail: VecDeque<u8>,
    head_cap: usize,
    tail_cap: usize,
    total: usize,
}

impl Capture {
    fn new(cap: usize) -> Self {
        let head_cap = cap / 2;
        Self {
            head: Vec::new(),
            tail: VecDeque::new(),
            head_cap,
            tail_cap: cap - head_cap,
            total: 0,
        }
    }

    fn push(&mut self, mut bytes: &[u8]) {
        self.total += bytes.len();
        let room = self.head_cap.saturating_sub(self.head.len());
        let (to_head, rest) = bytes.split_at(room.min(bytes.len()));
        self.head.extend_from_slice(to_head);
        bytes = rest;
        if bytes.len() >= self.tail_cap {
            self.tail.clear();
            bytes = &bytes[bytes.len() - self.tail_cap..];
        }
        let overflow = (self.tail.len() + bytes.len()).saturating_sub(self.tail_cap);
        self.tail.drain(..overflow);
        self.tail.extend(bytes);
    }

    fn finish(self) -> String {
        let cut = self.total - self.head.len() - self.tail.len();
        let head = String::from_utf8_lossy(&self.head);
        let tail: Vec<u8> = self.tail.into_iter().collect();
        let tail = String::from_utf8_lossy(&tail);
        let text = if cut == 0 {
            format!("{head}{tail}")
        } else {
            format!("{head}\n\n[... {cut} bytes of output cut ...]\n\n{tail}")
        };
        text.trim_end().to_owned()
    }
}

#[cfg(test)]
mod tests {
    use pretty_assertions::assert_eq;

    use super::*;

    fn captured(cap: usize, chunks: &[&str]) -> String {
        let mut capture = Capture::new(cap);
        for chunk in chunks {
            capture.push(chunk.as_bytes());
        }
        capture.finish()
    }

    #[test]
    fn capture_within_the_cap_is_whole() {
        assert_eq!(captured(10, &["abc", "def"]), "abcdef");
        assert_eq!(captured(6, &["abc", "def"]), "abcdef");
    }

    #[test]
    fn capture_keeps_head_and_tail_and_counts_the_cut() {
        assert_eq!(
            captured(6, &["abc", "defgh", "ij"]),
            "abc\n\n[... 4 bytes of output cut ...]\n\nhij"
        );
        assert_eq!(
            captured(4, &["0123456789"]),
            "01\n\n[... 6 bytes of output cut ...]\n\n89"
        );
    }

    #[test]
    fn describe_names_exit_codes_and_signals() {
        assert_eq!(describe(ExitStatus::from_raw(3 << 8)), "exit code: 3");
        assert_eq!(
            describe(ExitStatus::from_raw(9)),
            "killed by signal SIGKILL"
        );
    }
}
