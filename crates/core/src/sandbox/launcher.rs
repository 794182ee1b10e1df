//! Starting a command through the launcher, and the launcher's own entry point.

use std::ffi::{OsStr, OsString};
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};

use super::{LaunchError, SandboxPolicy, LAUNCHER_ARG};

/// Exit status when the sandbox could not be set up (nothing ran).
const EXIT_SETUP_FAILED: i32 = 125;
/// Exit statuses when the command could not be executed, as a shell reports them.
const EXIT_NOT_EXECUTABLE: i32 = 126;
const EXIT_NOT_FOUND: i32 = 127;

/// Set once [`run_launcher_if_requested`] has returned in this process: its executable can
/// serve as the launcher.
static DISPATCHES: AtomicBool = AtomicBool::new(false);

/// How to start the launcher.
#[derive(Debug, Clone)]
pub struct Launcher {
    program: PathBuf,
}

impl Launcher {
    /// A launcher that runs `program LAUNCHER_ARG <policy-json> -- <cmd> <args...>`.
    pub fn new(program: impl Into<PathBuf>) -> Self {
        Self {
            program: program.into(),
        }
    }

    /// This executable, for binaries whose `main` calls [`run_launcher_if_requested`].
    pub fn current_exe() -> std::io::Result<Self> {
        std::env::current_exe().map(Self::new)
    }

    /// The launcher this process can use: its own executable when `main` called
    /// [`run_launcher_if_requested`], else an `autowork-sandbox` binary beside it or one
    /// directory up (where cargo puts binaries for tests and benches).
    pub fn for_this_process() -> Option<Self> {
        let exe = std::env::current_exe().ok()?;
        if DISPATCHES.load(Ordering::Relaxed) {
            return Some(Self::new(exe));
        }
        let name = format!("autowork-sandbox{}", std::env::consts::EXE_SUFFIX);
        exe.ancestors()
            .skip(1)
            .take(2)
            .map(|dir| dir.join(&name))
            .find(|candidate| candidate.is_file())
            .map(Self::new)
    }

    /// The program this launcher runs.
    pub fn program(&self) -> &std::path::Path {
        &self.program
    }

    /// A command that runs `program args` under `policy`. The caller sets the working
    /// directory, environment, stdio, process group and kill-on-drop. A policy that cannot
    /// be encoded (a path that is not UTF-8) gives a command that exits 125 saying why.
    pub fn command(
        &self,
        policy: &SandboxPolicy,
        program: &OsStr,
        args: &[OsString],
    ) -> tokio::process::Command {
        #[cfg(target_os = "macos")]
        {
            let mut command = tokio::process::Command::new("/usr/bin/sandbox-exec");
            command
                .arg("-p")
                .arg(super::seatbelt_profile(policy))
                .arg("--")
                .arg(program)
                .args(args);
            command
        }
        #[cfg(not(target_os = "macos"))]
        {
            let encoded = serde_json::to_string(policy).unwrap_or_else(|e| format!("!{e}"));
            let mut command = tokio::process::Command::new(&self.program);
            command
                .arg(LAUNCHER_ARG)
                .arg(encoded)
                .arg("--")
                .arg(program)
                .args(args);
            command
        }
    }

    /// The arguments that make the launcher probe what it can enforce (see `probe`).
    pub(super) fn probe_command(&self, policy: &SandboxPolicy) -> std::process::Command {
        let mut command = std::process::Command::new(&self.program);
        command
            .arg(LAUNCHER_ARG)
            .arg(super::probe::PROBE_ARG)
            .arg(serde_json::to_string(policy).unwrap_or_default());
        command
    }
}

/// When this process was started as the launcher (`argv[1] == LAUNCHER_ARG`): apply the
/// policy and `exec` the command, never returning. If the sandbox cannot be set up it
/// prints `autowork sandbox: <why>` and exits 125; if the command cannot be executed, 127
/// (not found) or 126 (anything else), as a shell does. Otherwise it returns at once.
///
/// Call it first thing in `main`, before any thread starts: a multi-threaded process cannot
/// enter a user namespace, so `.git` would stay writable for non-root users.
pub fn run_launcher_if_requested() {
    let mut args = std::env::args_os().skip(1);
    if args.next().as_deref() != Some(OsStr::new(LAUNCHER_ARG)) {
        DISPATCHES.store(true, Ordering::Relaxed);
        return;
    }
    let args: Vec<OsString> = args.collect();
    let code = if args.first().map(OsString::as_os_str) == Some(OsStr::new(super::probe::PROBE_ARG))
    {
        super::probe::run_probe(&args[1..])
    } else {
        match launch(&args) {
            Ok(never) => match never {},
            Err(Failure::Setup(e)) => {
                eprintln!("autowork sandbox: {e}");
                EXIT_SETUP_FAILED
            }
            Err(Failure::Exec { program, error }) => {
                eprintln!(
                    "autowork sandbox: cannot run `{}`: {error}",
                    program.to_string_lossy()
                );
                match error.kind() {
                    std::io::ErrorKind::NotFound => EXIT_NOT_FOUND,
                    _ => EXIT_NOT_EXECUTABLE,
                }
            }
        }
    };
    std::process::exit(code)
}

enum Failure {
    Setup(LaunchError),
    Exec {
        program: OsString,
        error: std::io::Error,
    },
}

impl From<LaunchError> for Failure {
    fn from(e: LaunchError) -> Self {
        Self::Setup(e)
    }
}

/// `<policy-json> -- <command> [args...]`
fn launch(args: &[OsString]) -> Result<std::convert::Infallible, Failure> {
    let [policy, separator, program, rest @ ..] = args else {
        return Err(LaunchError::Usage.into());
    };
    if separator != "--" {
        return Err(LaunchError::Usage.into());
    }
    let policy = parse_policy(policy)?;
    apply(&policy)?;
    let error = exec_command(&policy, program, rest);
    Err(Failure::Exec {
        program: program.clone(),
        error,
    })
}

pub(super) fn parse_policy(arg: &OsStr) -> Result<SandboxPolicy, LaunchError> {
    let text = arg.to_str().ok_or(LaunchError::Usage)?;
    if let Some(why) = text.strip_prefix('!') {
        return Err(LaunchError::Unencodable(why.to_owned()));
    }
    Ok(serde_json::from_str(text)?)
}

/// Applies the policy to this process. What got enforced is reported by the probe.
#[cfg(target_os = "linux")]
pub(super) fn apply(policy: &SandboxPolicy) -> Result<super::linux::Applied, LaunchError> {
    super::linux::apply(policy)
}

/// Nothing to apply here: macOS confines through `sandbox-exec` (below), other systems not
/// at all.
#[cfg(not(target_os = "linux"))]
pub(super) fn apply(_policy: &SandboxPolicy) -> Result<(), LaunchError> {
    Ok(())
}

/// Replaces this process with the command; returns only on failure. `Command::exec`
/// searches `PATH` like `execvp`.
#[cfg(not(target_os = "macos"))]
fn exec_command(_policy: &SandboxPolicy, program: &OsStr, args: &[OsString]) -> std::io::Error {
    std::process::Command::new(program).args(args).exec()
}

/// On macOS the launcher hands over to `sandbox-exec` (only reached when something runs
/// the launcher directly rather than through [`Launcher::command`]).
#[cfg(target_os = "macos")]
fn exec_command(policy: &SandboxPolicy, program: &OsStr, args: &[OsString]) -> std::io::Error {
    std::process::Command::new("/usr/bin/sandbox-exec")
        .arg("-p")
        .arg(super::seatbelt_profile(policy))
        .arg("--")
        .arg(program)
        .args(args)
        .exec()
}
