//! The agent behind a run: the prompt loop, the model providers, the tools the model may
//! call, and the permission rules that guard them.

mod containment;
mod environment;
pub mod permissions;
pub mod provider;
mod session;
pub mod shell;
pub mod tools;
mod turn;

use std::path::PathBuf;
use std::time::Duration;

use crate::executor::{BoxFuture, Executor, Outcome, RunContext};
use crate::sandbox::Launcher;

pub use provider::HttpPolicy;

/// The real executor: runs each automation's prompt loop against its model provider.
#[derive(Clone)]
pub struct Agent {
    data_dir: PathBuf,
    http: reqwest::Client,
    policy: HttpPolicy,
    bash_timeout: Duration,
    /// Starts shell commands inside the OS sandbox; `None` when this process has none.
    launcher: Option<Launcher>,
    /// The home directory whose secrets (`.ssh`, `.aws`, ...) commands cannot read.
    home: Option<PathBuf>,
}

impl Agent {
    /// An agent reading provider settings from `data_dir` (`providers.json`).
    pub fn new(data_dir: impl Into<PathBuf>) -> Self {
        Self {
            data_dir: data_dir.into(),
            http: provider::http_client(),
            policy: HttpPolicy::default(),
            bash_timeout: tools::DEFAULT_BASH_TIMEOUT,
            launcher: Launcher::for_this_process(),
            home: std::env::var_os("HOME").map(PathBuf::from),
        }
    }

    /// The home directory whose secrets the sandbox hides (default `$HOME`).
    pub fn sandbox_home(mut self, home: impl Into<PathBuf>) -> Self {
        self.home = Some(home.into());
        self
    }

    /// The sandbox launcher for shell commands (by default this executable, when its `main`
    /// dispatches to the launcher, or an `autowork-sandbox` beside it).
    pub fn sandbox_launcher(mut self, launcher: Option<Launcher>) -> Self {
        self.launcher = launcher;
        self
    }

    /// Retries and timeouts of model calls.
    pub fn http_policy(mut self, policy: HttpPolicy) -> Self {
        self.policy = policy;
        self
    }

    /// How long a bash call may run when it does not say.
    pub fn bash_timeout(mut self, timeout: Duration) -> Self {
        self.bash_timeout = timeout;
        self
    }
}

impl Executor for Agent {
    fn execute(&self, ctx: RunContext) -> BoxFuture<'static, Outcome> {
        let agent = self.clone();
        Box::pin(turn::run(agent, ctx))
    }
}
