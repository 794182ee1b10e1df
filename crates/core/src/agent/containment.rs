//! What contains a run's shell commands: the OS sandbox built from the automation's
//! settings, the run's own temp dir, and what the transcript and the model are told.

use std::path::{Path, PathBuf};

use crate::definition::{SandboxMode, SandboxSettings};
use crate::ledger::Attendance;
use crate::sandbox::{self, Launcher, SandboxPolicy, Support};

/// How a run's bash calls start.
#[derive(Debug, Clone)]
pub enum Containment {
    /// Through the launcher, under the policy.
    Sandboxed {
        launcher: Launcher,
        policy: SandboxPolicy,
    },
    /// Directly, with the user's full access (sandbox off, or attended on a system that
    /// cannot sandbox).
    Unsandboxed,
    /// Not at all: the sandbox is required but this system cannot provide it and nobody is
    /// watching. The text is the tool result the model reads.
    Refused(String),
}

/// The run's containment, plus the notice its transcript shows (`None` when everything
/// the settings ask for is enforced).
pub struct Plan {
    pub containment: Containment,
    pub notice: Option<String>,
    /// A sentence for the system prompt, so the model does not waste steps finding out.
    pub for_model: String,
}

/// Decides how a run's commands are contained. `temp_dir` is the run's own temp dir
/// (writable inside the sandbox); `data_dir` is hidden from commands.
pub fn plan(
    settings: &SandboxSettings,
    attendance: Attendance,
    launcher: Option<&Launcher>,
    home: Option<&Path>,
    work_area: &Path,
    temp_dir: &Path,
    data_dir: &Path,
) -> Plan {
    if settings.mode == SandboxMode::Off {
        return Plan {
            containment: Containment::Unsandboxed,
            notice: Some(
                "The sandbox is off for this automation: shell commands run with your full \
                 access (any file you can write, your credentials, the network)."
                    .to_owned(),
            ),
            for_model: String::new(),
        };
    }
    let support = match launcher {
        Some(launcher) => sandbox::init_support(launcher),
        None => sandbox::support(),
    };
    let (Some(launcher), true) = (launcher, support.enforces_files()) else {
        let why = "this system cannot sandbox shell commands (no Landlock in the kernel, or \
                   the sandbox launcher is missing)";
        return match attendance {
            Attendance::Attended => Plan {
                containment: Containment::Unsandboxed,
                notice: Some(format!(
                    "Not sandboxed: {why}, so they run with your full access. Approve \
                     commands with care, or set the automation's sandbox to off to silence \
                     this notice."
                )),
                for_model: String::new(),
            },
            Attendance::Unattended => {
                let refusal = format!(
                    "shell commands are refused: {why}, and nobody is watching this run. To run \
                     them unsandboxed, set the automation's sandbox mode to off."
                );
                Plan {
                    containment: Containment::Refused(refusal.clone()),
                    notice: Some(format!("Shell commands refused: {why}.")),
                    for_model: format!("The bash tool is unavailable in this run: {refusal}"),
                }
            }
        };
    };
    let policy = SandboxPolicy {
        work_area: work_area.to_path_buf(),
        temp_dir: temp_dir.to_path_buf(),
        writable: settings.writable.iter().map(PathBuf::from).collect(),
        hidden: home
            .map(|home| SandboxPolicy::default_hidden(home, data_dir))
            .unwrap_or_else(|| vec![data_dir.to_path_buf()]),
        network: settings.network,
    };
    Plan {
        containment: Containment::Sandboxed {
            launcher: launcher.clone(),
            policy,
        },
        notice: gaps(support, settings.network),
        for_model: format!(
            "Shell commands run in a sandbox: they can write only inside the work directory \
             and $TMPDIR, cannot read credentials (~/.ssh, ~/.aws, ...){}.",
            if settings.network {
                ""
            } else {
                ", and have no network access"
            }
        ),
    }
}

/// What the sandbox does not enforce here, for the transcript.
fn gaps(support: &Support, network: bool) -> Option<String> {
    let mut gaps = Vec::new();
    if !support.git_read_only {
        gaps.push(".git in the work area stays writable (no mount namespace on this system)");
    }
    if !network && !support.network_filter {
        gaps.push("the network is not filtered (no seccomp on this system)");
    }
    (!gaps.is_empty()).then(|| format!("Sandbox limits here: {}.", gaps.join("; ")))
}

/// The run's own temp dir (`$TMPDIR` for its commands), removed when the run ends.
pub struct RunTempDir(PathBuf);

impl RunTempDir {
    pub fn create(run_id: &str) -> std::io::Result<Self> {
        let dir = std::env::temp_dir().join(format!("autowork-{run_id}"));
        std::fs::create_dir_all(&dir)?;
        Ok(Self(dir))
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for RunTempDir {
    fn drop(&mut self) {
        if let Err(error) = std::fs::remove_dir_all(&self.0) {
            if error.kind() != std::io::ErrorKind::NotFound {
                tracing::warn!(%error, dir = %self.0.display(), "could not remove a run's temp dir");
            }
        }
    }
}
