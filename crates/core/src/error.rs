//! The engine's error, and the one wire error every client (CLI `--json`, IPC) renders.

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

    #[error(transparent)]
    Git(#[from] crate::git::GitError),

    #[error(transparent)]
    Draft(#[from] crate::draft::DraftError),
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
