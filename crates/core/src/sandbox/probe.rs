//! What this machine can enforce, found once by running the launcher in probe mode: it
//! applies a sample policy to itself exactly as for a command, then checks the effects
//! instead of `exec`ing.

use std::ffi::OsString;
#[cfg(target_os = "linux")]
use std::path::PathBuf;
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

use super::Launcher;
#[cfg(target_os = "linux")]
use super::SandboxPolicy;

/// The launcher argument (after `LAUNCHER_ARG`) that asks for a probe.
pub(crate) const PROBE_ARG: &str = "--probe";

/// What the sandbox enforces on this machine.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Support {
    /// The kernel's Landlock ABI when file rules are enforced (Linux).
    pub landlock_abi: Option<i32>,
    /// `<work_area>/.git` is read-only inside the sandbox.
    pub git_read_only: bool,
    /// `network: false` really keeps commands off the network.
    pub network_filter: bool,
}

impl Support {
    const NOTHING: Self = Self {
        landlock_abi: None,
        git_read_only: false,
        network_filter: false,
    };

    /// Hidden paths are unreadable and writes are confined to the granted paths.
    pub fn enforces_files(&self) -> bool {
        self.landlock_abi.is_some() || cfg!(target_os = "macos")
    }

    /// A line for the run's transcript naming what is not enforced; `None` when
    /// everything is.
    pub fn note(&self) -> Option<String> {
        let mut gaps = Vec::new();
        if !self.enforces_files() {
            gaps.push("file access is not restricted (no Landlock)");
        }
        if !self.git_read_only {
            gaps.push(".git is writable (no mount namespace)");
        }
        if !self.network_filter {
            gaps.push("the network is not filtered (no seccomp)");
        }
        (!gaps.is_empty()).then(|| format!("sandbox: {}", gaps.join("; ")))
    }
}

static SUPPORT: OnceLock<Support> = OnceLock::new();

/// What this machine enforces, probed on first use with [`Launcher::for_this_process`]
/// (a few milliseconds, once; nothing is enforced when there is no launcher).
pub fn support() -> &'static Support {
    SUPPORT.get_or_init(|| probe(Launcher::for_this_process().as_ref()))
}

/// Probes with `launcher`, unless support was already probed: the first result stays.
pub fn init_support(launcher: &Launcher) -> &'static Support {
    SUPPORT.get_or_init(|| probe(Some(launcher)))
}

#[cfg(target_os = "macos")]
fn probe(_launcher: Option<&Launcher>) -> Support {
    // Seatbelt enforces the whole profile or refuses to start the command.
    Support {
        landlock_abi: None,
        git_read_only: true,
        network_filter: true,
    }
}

#[cfg(not(any(target_os = "linux", target_os = "macos")))]
fn probe(_launcher: Option<&Launcher>) -> Support {
    Support::NOTHING
}

#[cfg(target_os = "linux")]
fn probe(launcher: Option<&Launcher>) -> Support {
    use std::process::Stdio;
    let (Some(launcher), Ok(scratch)) = (launcher, Scratch::new()) else {
        return Support::NOTHING;
    };
    let output = launcher
        .probe_command(&scratch.policy())
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output();
    match output {
        Ok(output) if output.status.success() => {
            serde_json::from_slice(&output.stdout).unwrap_or(Support::NOTHING)
        }
        _ => Support::NOTHING,
    }
}

/// The launcher's side of a probe: `--probe <policy-json>`. Prints [`Support`] as JSON.
pub(super) fn run_probe(args: &[OsString]) -> i32 {
    let [policy] = args else {
        eprintln!("autowork sandbox: usage: {PROBE_ARG} <policy-json>");
        return 125;
    };
    match probe_here(policy) {
        Ok(support) => {
            println!("{}", serde_json::to_string(&support).unwrap_or_default());
            0
        }
        Err(e) => {
            eprintln!("autowork sandbox: {e}");
            125
        }
    }
}

#[cfg(target_os = "linux")]
fn probe_here(policy: &std::ffi::OsStr) -> Result<Support, super::LaunchError> {
    use std::io::ErrorKind;
    let policy = super::launcher::parse_policy(policy)?;
    let applied = super::launcher::apply(&policy)?;
    let refused =
        |result: std::io::Result<()>, kind: ErrorKind| result.is_err_and(|e| e.kind() == kind);
    let files = !policy.hidden.is_empty()
        && policy
            .hidden
            .iter()
            .all(|h| refused(std::fs::read(h).map(drop), ErrorKind::PermissionDenied));
    let git_read_only = applied.git_read_only
        && refused(
            std::fs::write(policy.git_path().join("probe"), "x"),
            ErrorKind::ReadOnlyFilesystem,
        );
    let network_filter = applied.seccomp
        && refused(
            std::net::TcpListener::bind(("127.0.0.1", 0)).map(drop),
            ErrorKind::PermissionDenied,
        );
    Ok(Support {
        landlock_abi: applied.landlock_abi.filter(|_| files),
        git_read_only,
        network_filter,
    })
}

#[cfg(not(target_os = "linux"))]
fn probe_here(_policy: &std::ffi::OsStr) -> Result<Support, super::LaunchError> {
    Ok(Support::NOTHING)
}

/// A throw-away tree for the probe's policy: `work/.git`, `tmp`, and a hidden `secret`.
#[cfg(target_os = "linux")]
struct Scratch(PathBuf);

#[cfg(target_os = "linux")]
impl Scratch {
    fn new() -> std::io::Result<Self> {
        let base = std::env::temp_dir();
        for attempt in 0..100 {
            let dir = base.join(format!(
                "autowork-sandbox-probe-{}-{attempt}",
                std::process::id()
            ));
            match std::fs::create_dir(&dir) {
                Ok(()) => {
                    let scratch = Self(dir);
                    std::fs::create_dir_all(scratch.0.join("work/.git"))?;
                    std::fs::create_dir(scratch.0.join("tmp"))?;
                    std::fs::write(scratch.0.join("secret"), "")?;
                    return Ok(scratch);
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(e),
            }
        }
        Err(std::io::Error::other("no free probe directory"))
    }

    fn policy(&self) -> SandboxPolicy {
        let path = |name: &str| -> PathBuf { self.0.join(name) };
        SandboxPolicy {
            work_area: path("work"),
            temp_dir: path("tmp"),
            writable: Vec::new(),
            hidden: vec![path("secret")],
            network: false,
        }
    }
}

#[cfg(target_os = "linux")]
impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    #[test]
    fn note_names_each_gap_and_nothing_when_all_is_enforced() {
        let all = Support {
            landlock_abi: Some(7),
            git_read_only: true,
            network_filter: true,
        };
        assert_eq!(all.note(), None);
        let gaps = Support {
            git_read_only: false,
            ..all
        };
        assert_eq!(
            gaps.note().as_deref(),
            Some("sandbox: .git is writable (no mount namespace)")
        );
        assert_eq!(
            Support::NOTHING.note().map(|n| n.matches(';').count()),
            Some(2)
        );
    }
}
