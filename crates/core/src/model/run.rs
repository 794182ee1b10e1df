//! The `Run` record and its state machine. Every change of a run's state goes through
//! [`Transition`]; the rules of which change may follow which live here and nowhere else
//! (the ledger's recorder writes them, and the store applies them guarded by the current
//! state, so a stale writer in another process cannot overwrite a newer state either).

use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::ids::{AutomationId, BlockerId, RunId, SessionId};

/// Where a run is in its life.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunState {
    Queued,
    Running,
    AwaitingInput,
    Succeeded,
    Failed,
    Stopped,
}

impl RunState {
    pub const ALL: [RunState; 6] = [
        RunState::Queued,
        RunState::Running,
        RunState::AwaitingInput,
        RunState::Succeeded,
        RunState::Failed,
        RunState::Stopped,
    ];
    pub const ACTIVE: [RunState; 3] =
        [RunState::Queued, RunState::Running, RunState::AwaitingInput];

    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            RunState::Succeeded | RunState::Failed | RunState::Stopped
        )
    }

    pub fn as_str(self) -> &'static str {
        match self {
            RunState::Queued => "queued",
            RunState::Running => "running",
            RunState::AwaitingInput => "awaiting_input",
            RunState::Succeeded => "succeeded",
            RunState::Failed => "failed",
            RunState::Stopped => "stopped",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == text)
    }
}

impl fmt::Display for RunState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

macro_rules! string_enum {
    ($(#[$doc:meta])* $name:ident { $($variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[cfg_attr(feature = "specta", derive(specta::Type))]
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }

            pub fn parse(text: &str) -> Option<Self> {
                Self::ALL.iter().copied().find(|v| v.as_str() == text)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

string_enum!(
    /// Why a run failed.
    ErrorCode {
        ExecutionFailed => "execution_failed",
        StepCap => "step_cap",
        LoopGate => "loop_gate",
        Timeout => "timeout",
        BudgetCap => "budget_cap",
        ProviderError => "provider_error",
        NeedsUserInput => "needs_user_input",
        OutputTruncated => "output_truncated",
    }
);

string_enum!(
    /// Why a run was stopped before it could finish.
    StopReason {
        WriterBusy => "writer_busy",
        Cancelled => "cancelled",
        Deleted => "deleted",
        MissedSchedule => "missed_schedule",
        Expired => "expired",
        BlockerLost => "blocker_lost",
    }
);

string_enum!(
    /// What started a run.
    RunTrigger {
        Manual => "manual",
        Schedule => "schedule",
        CatchUp => "catch_up",
    }
);

string_enum!(
    /// Whether a person is there to answer (Run now) or not (a schedule).
    Attendance {
        Attended => "attended",
        Unattended => "unattended",
    }
);

/// A failed run's error.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunError {
    pub code: ErrorCode,
    pub message: String,
}

/// One question the agent asks, optionally with choices to pick from.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Question {
    pub question: String,
    /// Always sent (empty for a free-text question), as the generated bindings say.
    #[serde(default)]
    pub choices: Vec<String>,
}

/// What an `awaiting_input` run waits for.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Blocker {
    /// A tool call that needs the user's permission.
    Permission {
        request_id: BlockerId,
        tool: String,
        /// One line: the command, or the path.
        summary: String,
        /// More to look at before deciding, such as the diff of an edit.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        preview: Option<String>,
        /// Why it asks: which commands no rule allows, or why no rule can allow the call.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
        /// The rules "Always allow" would add, for people (`allow exactly: cargo fmt`).
        /// Empty when the call cannot be allowed by a rule (an opaque shell script): only
        /// "Allow once" is offered.
        #[serde(default)]
        always: Vec<String>,
        /// What "Always allow" may add, narrowest first (the first is `always`): the user
        /// picks one. Empty when only "Allow once" is possible.
        #[serde(default)]
        always_options: Vec<crate::model::permission::AlwaysOption>,
    },
    /// Questions for the user.
    Question {
        call_id: BlockerId,
        questions: Vec<Question>,
    },
}

impl Blocker {
    pub fn id(&self) -> &BlockerId {
        match self {
            Blocker::Permission { request_id, .. } => request_id,
            Blocker::Question { call_id, .. } => call_id,
        }
    }
}

/// How the user answered a permission request.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PermissionDecision {
    /// Allow this call.
    Once,
    /// Allow this call and add a rule that allows the like of it from now on.
    Always,
    /// Refuse; the model is told (with the message, if any).
    Reject,
}

/// The answer that unblocks a run.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum BlockerReply {
    Permission {
        decision: PermissionDecision,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        message: Option<String>,
        /// With `always`: which of the blocker's `always_options` to add (the first when
        /// absent).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        always_choice: Option<u32>,
    },
    /// One answer per question, in order.
    Question { answers: Vec<String> },
}

/// Token and cost accounting added to a run as it goes.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Usage {
    pub tokens_in: u64,
    pub tokens_out: u64,
    pub cost_usd: f64,
    pub steps: u32,
}

/// One execution of an automation.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Run {
    pub id: RunId,
    pub automation_id: AutomationId,
    /// The automation's revision the run was started from.
    pub definition_revision: u64,
    /// Grows by one on every change of the run.
    pub revision: u64,
    pub trigger: RunTrigger,
    pub attendance: Attendance,
    /// The work area the run writes; at most one active run holds a key.
    pub writer_key: String,
    pub state: RunState,
    /// Only while `awaiting_input`.
    pub blocker: Option<Blocker>,
    /// The final assistant text, when `succeeded`.
    pub result: Option<String>,
    /// Only when `failed`.
    pub error: Option<RunError>,
    /// Only when `stopped`.
    pub stop_reason: Option<StopReason>,
    pub session_id: Option<SessionId>,
    pub cost_usd: f64,
    pub tokens_in: u64,
    pub tokens_out: u64,
    pub steps: u32,
    pub queued_at: DateTime<Utc>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
    /// Set when the run continues an earlier run's conversation.
    #[serde(default)]
    pub follow_up: Option<FollowUp>,
    /// The worker that drives the run, as `name (kind)`: `build-server (daemon)`. `None`
    /// while a queued run waits for a worker that serves its workspace to take it.
    #[serde(default)]
    pub worker: Option<String>,
}

/// What a follow-up run continues: a finished run's conversation, with a new message from
/// the user (stored with known secrets redacted, as the transcript stores it).
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FollowUp {
    /// The run followed up (which may itself be a follow-up: a thread).
    pub of: RunId,
    pub message: String,
}

/// A change to a run. [`Transition::check`] says whether it may follow a state.
#[derive(Debug, Clone, PartialEq)]
pub enum Transition {
    /// `queued -> running`: the run takes its work area's writer key.
    Start,
    /// `running -> awaiting_input`.
    Block(Blocker),
    /// `awaiting_input -> running`, with the user's reply to `blocker_id` stored for the run.
    Resume {
        blocker_id: BlockerId,
        reply: BlockerReply,
    },
    /// `running -> succeeded`.
    Succeed { result: String },
    /// Any active state `-> failed` (also before the run started: setup can fail).
    Fail { code: ErrorCode, message: String },
    /// Any active state `-> stopped`.
    Stop(StopReason),
    /// Adds tokens, cost and steps; the state stays.
    Account(Usage),
    /// Records the transcript session the run writes; the state stays.
    AttachSession(SessionId),
}

impl Transition {
    /// The states this change may be applied in.
    pub fn allowed_from(&self) -> &'static [RunState] {
        use RunState::*;
        match self {
            Transition::Start => &[Queued],
            Transition::Block(_) => &[Running],
            Transition::Resume { .. } => &[AwaitingInput],
            Transition::Succeed { .. } => &[Running],
            Transition::Fail { .. } | Transition::Stop(_) => &[Queued, Running, AwaitingInput],
            Transition::Account(_) | Transition::AttachSession(_) => &[Running, AwaitingInput],
        }
    }

    /// The state after this change, given the state before it.
    pub fn target(&self, from: RunState) -> RunState {
        match self {
            Transition::Start | Transition::Resume { .. } => RunState::Running,
            Transition::Block(_) => RunState::AwaitingInput,
            Transition::Succeed { .. } => RunState::Succeeded,
            Transition::Fail { .. } => RunState::Failed,
            Transition::Stop(_) => RunState::Stopped,
            Transition::Account(_) | Transition::AttachSession(_) => from,
        }
    }

    /// The state after this change, or an [`Error::IllegalTransition`] when it may not
    /// follow `from`.
    pub fn check(&self, run_id: &RunId, from: RunState) -> Result<RunState> {
        let to = self.target(from);
        if self.allowed_from().contains(&from) {
            Ok(to)
        } else {
            Err(Error::IllegalTransition {
                run_id: run_id.to_string(),
                from,
                to,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn every_transition() -> Vec<Transition> {
        vec![
            Transition::Start,
            Transition::Block(Blocker::Question {
                call_id: BlockerId::new(),
                questions: vec![],
            }),
            Transition::Resume {
                blocker_id: BlockerId::new(),
                reply: BlockerReply::Question { answers: vec![] },
            },
            Transition::Succeed {
                result: "ok".into(),
            },
            Transition::Fail {
                code: ErrorCode::ExecutionFailed,
                message: "x".into(),
            },
            Transition::Stop(StopReason::Cancelled),
            Transition::Account(Usage::default()),
            Transition::AttachSession(SessionId::new()),
        ]
    }

    #[test]
    fn only_the_architectures_transitions_are_legal() {
        use RunState::*;
        // The architecture's diagram, written out per change: (change, from, to).
        let legal: Vec<(&str, RunState, RunState)> = vec![
            ("Start", Queued, Running),
            ("Block", Running, AwaitingInput),
            ("Resume", AwaitingInput, Running),
            ("Succeed", Running, Succeeded),
            ("Fail", Queued, Failed),
            ("Fail", Running, Failed),
            ("Fail", AwaitingInput, Failed),
            ("Stop", Queued, Stopped),
            ("Stop", Running, Stopped),
            ("Stop", AwaitingInput, Stopped),
            ("Account", Running, Running),
            ("Account", AwaitingInput, AwaitingInput),
            ("AttachSession", Running, Running),
            ("AttachSession", AwaitingInput, AwaitingInput),
        ];
        let id = RunId::new();
        for from in RunState::ALL {
            for transition in every_transition() {
                let name = format!("{transition:?}");
                let name = name
                    .split([' ', '(', '{'])
                    .next()
                    .unwrap_or_default()
                    .to_owned();
                let expected = legal
                    .iter()
                    .find(|(n, f, _)| *n == name && *f == from)
                    .map(|(_, _, to)| *to);
                let got = transition.check(&id, from).ok();
                assert_eq!(got, expected, "{name} from {from}");
            }
        }
    }

    #[test]
    fn nothing_leaves_a_terminal_state() {
        let id = RunId::new();
        for from in [RunState::Succeeded, RunState::Failed, RunState::Stopped] {
            for transition in every_transition() {
                assert!(
                    matches!(
                        transition.check(&id, from),
                        Err(Error::IllegalTransition { .. })
                    ),
                    "{transition:?} must not apply to a {from} run"
                );
            }
        }
    }

    #[test]
    fn wire_names_are_snake_case() {
        assert_eq!(
            serde_json::to_value(RunState::AwaitingInput).unwrap(),
            "awaiting_input"
        );
        assert_eq!(
            serde_json::to_value(StopReason::WriterBusy).unwrap(),
            "writer_busy"
        );
        assert_eq!(
            serde_json::to_value(RunTrigger::CatchUp).unwrap(),
            "catch_up"
        );
        for code in ErrorCode::ALL {
            assert_eq!(ErrorCode::parse(code.as_str()), Some(*code));
        }
    }
}
