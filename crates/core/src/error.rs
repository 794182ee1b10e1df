//! The engine's error, and the one wire error every client (CLI `--json`, IPC) renders.
//!
//! The errors it wraps (git's, the model providers', drafting's) are defined here too and
//! re-exported where they are raised, so this module imports only [`crate::model`] and sits
//! below the store with it.

use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::model::run::RunState;

/// One problem with an input: which field (a dotted path such as `trigger.timezone` or
/// `permissions[2].action`) and a machine-readable message such as `title_too_long_160`.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ValidationDetail {
    pub field: String,
    pub message: String,
    /// A sentence for people, where the message alone does not say enough.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
}

impl ValidationDetail {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
            hint: None,
        }
    }

    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }
}

/// Everything the engine can fail with.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("invalid automation: {}", summarize(.0))]
    InvalidAutomation(Vec<ValidationDetail>),

    #[error("invalid input: {}", summarize(.0))]
    InvalidInput(Vec<ValidationDetail>),

    #[error("{entity} `{id}` was not found")]
    NotFound { entity: &'static str, id: String },

    #[error("automation `{id}` changed meanwhile: it is at revision {current_revision}, the change expected {expected_revision}; reload it and apply the change again")]
    RevisionConflict {
        id: String,
        expected_revision: u64,
        current_revision: u64,
    },

    #[error("run `{run_id}` cannot go from {from} to {to}")]
    IllegalTransition {
        run_id: String,
        from: RunState,
        to: RunState,
    },

    #[error("request `{id}` is no longer pending: it was answered, or its run ended")]
    RequestNotPending { id: String },

    #[error("the model catalog at {path} is unreadable: {message}")]
    Catalog { path: String, message: String },

    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),

    #[error("database migration failed: {0}")]
    Migration(#[from] sqlx::migrate::MigrateError),

    #[error("stored data is corrupt: {0}")]
    Corrupt(String),

    #[error("{context}: {source}")]
    Io {
        context: String,
        #[source]
        source: std::io::Error,
    },

    #[error("the engine is shutting down")]
    ShuttingDown,

    #[error(
        "run `{run_id}` is writing in {path}; wait for it to end or cancel it, then try again"
    )]
    WorkAreaBusy { path: String, run_id: String },

    /// On a team database, no connected worker runs automations in the workspace: a run
    /// queued now would wait for one forever.
    #[error(
        "no worker serves {workspace}: no app or daemon connected to the team database runs automations in it"
    )]
    NoWorkerServesWorkspace { workspace: String },

    #[error(transparent)]
    Git(#[from] GitError),

    #[error(transparent)]
    Draft(#[from] DraftError),
}

impl Error {
    /// Whether the database could not be reached: the connection dropped, was refused or
    /// broke (I/O, TLS, a garbled protocol), no connection came free in time, or the server
    /// said so (SQLSTATE class 08, or 57P01-57P03: shutting down, crashed, starting up).
    /// Other errors (a constraint, a wrong query, corrupt data) are not connection losses.
    pub fn is_connection_loss(&self) -> bool {
        let Error::Database(error) = self else {
            return false;
        };
        match error {
            sqlx::Error::Io(_)
            | sqlx::Error::PoolTimedOut
            | sqlx::Error::Tls(_)
            | sqlx::Error::Protocol(_) => true,
            sqlx::Error::Database(db) => db.code().is_some_and(|code| {
                code.starts_with("08") || matches!(&*code, "57P01" | "57P02" | "57P03")
            }),
            _ => false,
        }
    }
}

/// What can go wrong with git ([`crate::git`]); every message says what to do about it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum GitError {
    #[error(
        "`{}` is not inside a git repository; run `git init` there and commit once, or run \
         the automation in place",
        .path.display()
    )]
    NotARepository { path: PathBuf },

    #[error(
        "the repository at `{}` has no commits yet; commit once before using worktree placement",
        .path.display()
    )]
    NoCommits { path: PathBuf },

    #[error(
        "the worktree `{}` has uncommitted changes ({}), left by a run that did not finish or \
         made by hand; commit them there (then apply or merge that commit yourself) or remove \
         them, and run again",
        .path.display(),
        .paths.join(", ")
    )]
    DirtyWorktree { path: PathBuf, paths: Vec<String> },

    #[error(
        "another git process is running in `{}`; wait for it or remove `{}`",
        .path.display(),
        .lock_file.display()
    )]
    Locked { path: PathBuf, lock_file: PathBuf },

    #[error("`{name}` cannot be used as a git name: {reason}")]
    InvalidName { name: String, reason: String },

    #[error(
        "run `{run_id}` has no changes waiting: it changed nothing, or its changes were \
         discarded or its worktree removed"
    )]
    RunNotFound { run_id: String },

    #[error("{operation} failed: {message}")]
    Git { operation: String, message: String },
}

/// Why a model call failed (after retries).
#[derive(Debug, thiserror::Error)]
pub enum ProviderError {
    #[error("the provider answered {status}: {message}")]
    Http { status: u16, message: String },
    #[error("could not reach the provider at {url}: {message}")]
    Connection { url: String, message: String },
    #[error("the provider did not answer within {0:?}")]
    Timeout(Duration),
    #[error("the provider sent something malformed: {0}")]
    Malformed(String),
    #[error("the stream ended before the model finished: {0}")]
    Cut(String),
    #[error("no API key: {0}")]
    MissingKey(String),
    #[error(
        "the provider stalled: no answer after {attempts} attempt(s) and {} of waiting{last}; \
         check that it is up (its status page) and reachable at the base URL under \
         Settings -> Providers, then run again",
        seconds(.waited)
    )]
    Stalled {
        waited: Duration,
        attempts: u32,
        /// The last attempt's error, as ` (the last: ...)`, or empty.
        last: String,
    },
    #[error(
        "the model's answer did not finish within {}: data kept arriving but the step never \
         ended; the provider may be stuck repeating itself, so run again or give the model a \
         smaller task",
        seconds(.0)
    )]
    StepTimeout(Duration),
    #[error(
        "the model stopped at its output length limit {0}; ask for smaller steps (write a big \
         file in parts, for example) or choose a model with a larger output limit"
    )]
    Truncated(String),
}

fn seconds(duration: &Duration) -> String {
    format!("{:.1} s", duration.as_secs_f64())
}

/// Why no draft came back.
#[derive(Debug, thiserror::Error)]
pub enum DraftError {
    #[error(
        "no model to draft with: choose a default model under Settings -> Default model (or \
         pass one), then try again"
    )]
    NoModel,
    #[error(
        "provider `{0}` is not configured; add it with `autowork provider add --id {0} ...` or \
         under Settings -> Providers"
    )]
    ProviderNotConfigured(String),
    #[error("the model could not be asked: {0}")]
    Provider(#[from] ProviderError),
    #[error(
        "the model did not propose an automation{}; try again, say more in the sentence, or \
         draft with another model",
        answered(.0)
    )]
    NoProposal(String),
}

/// What the model said instead, cut short: ` (it answered: "...")`, or nothing.
fn answered(text: &str) -> String {
    let text = text.trim();
    if text.is_empty() {
        return String::new();
    }
    let short: String = text.chars().take(200).collect();
    let more = if short.len() < text.len() { "…" } else { "" };
    format!(" (it answered: \"{short}{more}\")")
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

fn summarize(details: &[ValidationDetail]) -> String {
    details
        .iter()
        .map(|d| format!("{}: {}", d.field, d.message))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The error as clients see it: one tagged value the UI and scripts can switch on.
/// `error` is the specific code (`invalid_automation`, `revision_conflict`, ...), `message`
/// a sentence for people.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ApiError {
    Validation {
        error: String,
        message: String,
        details: Vec<ValidationDetail>,
    },
    NotFound {
        error: String,
        message: String,
    },
    Conflict {
        error: String,
        message: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        current_revision: Option<u64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        current_state: Option<RunState>,
    },
    Internal {
        error: String,
        message: String,
    },
}

impl ApiError {
    /// True for errors caused by the input (the CLI exits 2 for these).
    pub fn is_invalid_input(&self) -> bool {
        matches!(self, ApiError::Validation { .. })
    }

    pub fn message(&self) -> &str {
        match self {
            ApiError::Validation { message, .. }
            | ApiError::NotFound { message, .. }
            | ApiError::Conflict { message, .. }
            | ApiError::Internal { message, .. } => message,
        }
    }
}

impl From<Error> for ApiError {
    fn from(error: Error) -> Self {
        let message = error.to_string();
        match error {
            Error::InvalidAutomation(details) => ApiError::Validation {
                error: "invalid_automation".into(),
                message,
                details,
            },
            Error::InvalidInput(details) => ApiError::Validation {
                error: "invalid_input".into(),
                message,
                details,
            },
            Error::NotFound { .. } => ApiError::NotFound {
                error: "not_found".into(),
                message,
            },
            Error::RevisionConflict {
                current_revision, ..
            } => ApiError::Conflict {
                error: "revision_conflict".into(),
                message,
                current_revision: Some(current_revision),
                current_state: None,
            },
            Error::IllegalTransition { from, .. } => ApiError::Conflict {
                error: "illegal_transition".into(),
                message,
                current_revision: None,
                current_state: Some(from),
            },
            Error::RequestNotPending { .. } => ApiError::Conflict {
                error: "request_not_pending".into(),
                message,
                current_revision: None,
                current_state: None,
            },
            Error::WorkAreaBusy { .. } => ApiError::Conflict {
                error: "work_area_busy".into(),
                message,
                current_revision: None,
                current_state: None,
            },
            Error::NoWorkerServesWorkspace { workspace } => ApiError::Validation {
                error: "no_worker_serves_workspace".into(),
                message,
                details: vec![ValidationDetail::new(
                    "workspace",
                    format!("no connected worker serves {workspace}"),
                )
                .with_hint(format!(
                    "Start `autowork daemon --serve {workspace}` on the computer that has this folder, or open the app there."
                ))],
            },
            Error::Git(_) => ApiError::Conflict {
                error: "git_failed".into(),
                message,
                current_revision: None,
                current_state: None,
            },
            // Configuration or the model's answer: the message says what to do; the code
            // lets a client point at the right setting.
            Error::Draft(ref draft) => ApiError::Internal {
                error: draft.code().into(),
                message,
            },
            Error::Catalog { .. }
            | Error::Database(_)
            | Error::Migration(_)
            | Error::Corrupt(_)
            | Error::Io { .. }
            | Error::ShuttingDown => ApiError::Internal {
                error: "internal".into(),
                message,
            },
        }
    }
}
