//! The OS sandbox around every process a run starts.
//!
//! Commands do not start directly: they start through a *launcher*, a program that applies
//! a [`SandboxPolicy`] to its own freshly started, single-threaded process and then `exec`s
//! the command (the shape of codex-rs's `codex-linux-sandbox`). Restrictions made that way
//! are inherited by everything the command starts, and need no `unsafe` `pre_exec` hook.
//! The CLI and the desktop app are their own launcher: `main` calls
//! [`run_launcher_if_requested`] first; core's tests use the `autowork-sandbox` binary.
//!
//! On Linux the launcher, in this order:
//! 1. makes `<work_area>/.git` read-only with a bind mount in a private mount namespace
//!    (a user namespace too when not root), when namespaces are available;
//! 2. applies Landlock rules: everything readable except the hidden paths, writable only
//!    beneath the work area, the run's temp dir, the `writable` paths and a few devices;
//! 3. installs a seccomp filter: no internet sockets when the network is off, and never
//!    mounts, namespaces, `ptrace` or `io_uring`;
//! 4. `exec`s the command.
//!
//! Landlock only grants, so a hidden path that lies beneath a write grant (the work area,
//! the temp dir, a `writable` path) stays readable and writable on Linux: write grants win.
//! Directories that contain hidden paths (`/`, `/home`, `$HOME`, ...) cannot be listed,
//! although everything else in them can be opened. [`support`] says what this machine
//! enforces. On macOS the command runs under `sandbox-exec` with [`seatbelt_profile`].
//!
//! Not enforced on Linux: named Unix sockets stay reachable (a `docker.sock` is a way out;
//! Landlock scopes them only from ABI 9); root inside stays root, capabilities included
//! (and on the 6.18 kernel this was tested on, Landlock did not keep a root command out of
//! other processes' `/proc/<pid>/environ`; it did for other users);
//! files reachable through another mount or a hard link of a hidden file are not hidden;
//! x32 system calls are refused and 32-bit (i386) ones kill the process.

mod grants;
mod launcher;
#[cfg(target_os = "linux")]
mod linux;
mod probe;
mod seatbelt;

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

pub use launcher::{run_launcher_if_requested, Launcher};
pub use probe::{init_support, support, Support};
pub use seatbelt::seatbelt_profile;

/// The first argument that turns the CLI, the app or `autowork-sandbox` into the launcher.
pub const LAUNCHER_ARG: &str = "__autowork_sandbox";

/// What a sandboxed process may do. It crosses to the launcher as one JSON argument.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SandboxPolicy {
    /// Readable and writable, except `<work_area>/.git` (read-only where supported).
    pub work_area: PathBuf,
    /// The run's own temp dir: readable and writable.
    pub temp_dir: PathBuf,
    /// More writable paths the automation lists.
    pub writable: Vec<PathBuf>,
    /// Neither readable nor writable (secrets), unless beneath a write grant on Linux.
    pub hidden: Vec<PathBuf>,
    /// `false`: no new internet sockets (Unix sockets still work).
    pub network: bool,
}

/// Secrets under the home directory that no automation needs to read.
const HOME_SECRETS: &[&str] = &[
    ".ssh",
    ".aws",
    ".gnupg",
    ".local/share/keyrings",
    ".password-store",
    ".netrc",
    ".git-credentials",
    ".config/gh",
    ".docker",
    ".kube",
    ".azure",
    ".config/gcloud",
    ".npmrc",
    ".pypirc",
    ".cargo/credentials",
    ".cargo/credentials.toml",
];

impl SandboxPolicy {
    /// The usual secrets under `home`, and `data_dir` (Autowork's own data: the database
    /// and provider settings).
    pub fn default_hidden(home: &Path, data_dir: &Path) -> Vec<PathBuf> {
        HOME_SECRETS
            .iter()
            .map(|secret| home.join(secret))
            .chain(std::iter::once(data_dir.to_path_buf()))
            .collect()
    }

    fn git_path(&self) -> PathBuf {
        self.work_area.join(".git")
    }
}

/// Why the launcher could not start the command.
#[derive(Debug, thiserror::Error)]
enum LaunchError {
    #[error("usage: {LAUNCHER_ARG} <policy-json> -- <command> [args...]")]
    Usage,
    #[error("the policy could not be encoded: {0}")]
    Unencodable(String),
    #[error("the policy is not valid: {0}")]
    Policy(#[from] serde_json::Error),
    #[cfg(target_os = "linux")]
    #[error("could not enter a user namespace: {what}: {source}")]
    UserNamespace {
        what: &'static str,
        source: std::io::Error,
    },
    #[cfg(target_os = "linux")]
    #[error("could not apply the Landlock rules: {0}")]
    Landlock(#[from] landlock::RulesetError),
    #[cfg(target_os = "linux")]
    #[error("could not install the seccomp filter: {0}")]
    Seccomp(String),
    #[error("the working directory is not usable: {0}")]
    CurrentDir(std::io::Error),
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    #[test]
    fn default_hidden_lists_home_secrets_and_the_data_dir() {
        let hidden = SandboxPolicy::default_hidden(Path::new("/h"), Path::new("/d/autowork"));
        assert_eq!(hidden.len(), HOME_SECRETS.len() + 1);
        assert!(hidden.contains(&PathBuf::from("/h/.ssh")));
        assert!(hidden.contains(&PathBuf::from("/h/.cargo/credentials.toml")));
        assert_eq!(hidden.last(), Some(&PathBuf::from("/d/autowork")));
    }

    #[test]
    fn policy_round_trips_through_json() {
        let policy = SandboxPolicy {
            work_area: "/w".into(),
            temp_dir: "/t".into(),
            writable: vec!["/c".into()],
            hidden: vec!["/h/.ssh".into()],
            network: false,
        };
        let json = serde_json::to_string(&policy).unwrap();
        assert_eq!(
            serde_json::from_str::<SandboxPolicy>(&json).unwrap(),
            policy
        );
    }
}
