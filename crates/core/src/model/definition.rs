//! What an automation is: the definition a user writes once (validated by
//! [`crate::definition`]), and the status the engine derives about it.

pub(crate) mod status;

use std::path::Path;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::ids::{AutomationId, SessionId};

pub use status::{AutomationStatus, Finished, LastRun, PausedReason};

/// Title length limit, in characters.
pub const TITLE_MAX_CHARS: usize = 160;
/// Prompt length limit, in characters.
pub const PROMPT_MAX_CHARS: usize = 20_000;
/// The shortest interval a schedule may repeat at.
pub const INTERVAL_MIN_MS: u64 = 30_000;
/// Default and limits of the step cap.
pub const STEP_CAP_DEFAULT: u32 = 50;
pub const STEP_CAP_MAX: u32 = 500;
/// Longest per-run wall-clock limit: one week.
pub const TIMEOUT_MAX_MINUTES: u32 = 7 * 24 * 60;
/// Most permission rules one automation may carry.
pub const PERMISSION_RULES_MAX: usize = 200;
/// Failed runs in a row that pause an automation, by default and at most.
pub const FAILURE_STREAK_LIMIT_DEFAULT: u32 = 3;
pub const FAILURE_STREAK_LIMIT_MAX: u32 = 100;
/// How old a missed fire may be and still be caught up, by default (a week) and at most
/// (a year), in hours.
pub const CATCH_UP_MAX_AGE_HOURS_DEFAULT: u32 = 7 * 24;
pub const CATCH_UP_MAX_AGE_HOURS_MAX: u32 = 365 * 24;

/// A stored automation: the user's definition plus what the engine keeps about it.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Automation {
    pub id: AutomationId,
    #[serde(flatten)]
    pub spec: AutomationSpec,
    /// Starts at 1 and grows by one on every change.
    pub revision: u64,
    /// The session reused by `context = continue`.
    pub session_id: Option<SessionId>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// What the engine derives: next fires, failure streak, last run.
    #[serde(flatten)]
    pub status: AutomationStatus,
    /// The scheduler's last planned fire (the creation time until the first); later fires
    /// count from it. Engine bookkeeping, not on the wire.
    #[serde(skip)]
    pub schedule_anchor: Option<DateTime<Utc>>,
}

impl Automation {
    /// The work area a run of this automation writes: its worktree, else the workspace.
    pub fn writer_key(&self) -> String {
        self.spec.writer_key()
    }
}

/// Everything a user defines about an automation.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AutomationSpec {
    pub title: String,
    pub prompt: String,
    /// Absolute, canonical path of the work directory.
    pub workspace: String,
    pub model: ModelRef,
    pub variant: Option<Variant>,
    pub trigger: Trigger,
    pub stop: StopCondition,
    pub context: ContextMode,
    pub placement: Placement,
    pub permissions: Vec<PermissionRule>,
    pub step_cap: u32,
    pub timeout_minutes: Option<u32>,
    pub budget_usd: Option<f64>,
    pub daily_budget_usd: Option<f64>,
    /// Whether an unattended run that needs an answer waits for one instead of failing
    /// with `needs_user_input`.
    pub wait_for_input_when_unattended: bool,
    /// Paused automations do not fire on their schedule; Run now still works.
    pub paused: bool,
    /// After this many failed runs in a row the automation pauses itself (1..=100).
    pub failure_streak_limit: u32,
    /// What to do with fires missed while the app was closed or the machine slept.
    pub catch_up: CatchUp,
    /// The oldest missed fire `catch_up = once` still runs, in hours (1..=8760).
    pub catch_up_max_age_hours: u32,
    /// What a fire does while a run of this work area is still active.
    pub overlap: Overlap,
    /// What the OS sandbox lets a run's processes do.
    pub sandbox: SandboxSettings,
}

impl AutomationSpec {
    pub fn writer_key(&self) -> String {
        match &self.placement {
            Placement::InPlace => self.workspace.clone(),
            Placement::Worktree { name } => Path::new(&self.workspace)
                .join(".autowork")
                .join("worktrees")
                .join(name)
                .display()
                .to_string(),
        }
    }
}

/// Which model runs the automation.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModelRef {
    pub provider_id: String,
    pub model_id: String,
}

/// Reasoning effort, for models that support it.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Variant {
    Low,
    Medium,
    High,
}

impl Variant {
    pub fn as_str(self) -> &'static str {
        match self {
            Variant::Low => "low",
            Variant::Medium => "medium",
            Variant::High => "high",
        }
    }
}

/// When an automation fires by itself.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Trigger {
    /// Only when a person clicks Run now.
    Manual,
    /// Once, at a future moment.
    Once { fire_at: DateTime<Utc> },
    /// Every `every_ms` milliseconds (at least 30 000).
    Interval { every_ms: u64 },
    /// A five-field cron expression in an IANA time zone.
    Cron {
        expression: String,
        timezone: String,
    },
}

impl Trigger {
    pub fn is_recurring(&self) -> bool {
        matches!(self, Trigger::Interval { .. } | Trigger::Cron { .. })
    }

    pub fn kind(&self) -> &'static str {
        match self {
            Trigger::Manual => "manual",
            Trigger::Once { .. } => "once",
            Trigger::Interval { .. } => "interval",
            Trigger::Cron { .. } => "cron",
        }
    }
}

/// When a recurring automation stops firing.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum StopCondition {
    Never,
    AfterRuns { count: u32 },
    Until { at: DateTime<Utc> },
}

impl StopCondition {
    pub fn kind(&self) -> &'static str {
        match self {
            StopCondition::Never => "never",
            StopCondition::AfterRuns { .. } => "after_runs",
            StopCondition::Until { .. } => "until",
        }
    }
}

/// Whether each run starts a new session or continues the automation's last one.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ContextMode {
    Fresh,
    Continue,
}

impl ContextMode {
    pub fn as_str(self) -> &'static str {
        match self {
            ContextMode::Fresh => "fresh",
            ContextMode::Continue => "continue",
        }
    }
}

/// Fires missed while the app was closed or the machine slept.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CatchUp {
    /// One run for the latest missed fire (if younger than `catch_up_max_age_hours`); the
    /// others are recorded as missed.
    Once,
    /// Every missed fire is recorded as missed; nothing runs until the next fire.
    Skip,
}

impl CatchUp {
    pub fn as_str(self) -> &'static str {
        match self {
            CatchUp::Once => "once",
            CatchUp::Skip => "skip",
        }
    }
}

/// A run that finds its work area taken by another active run.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Overlap {
    /// Ends `stopped`/`writer_busy` at once.
    Skip,
    /// Waits in `queued` until the work area is free; at most one run of the automation
    /// waits, later ones end `writer_busy`.
    Queue,
}

impl Overlap {
    pub fn as_str(self) -> &'static str {
        match self {
            Overlap::Skip => "skip",
            Overlap::Queue => "queue",
        }
    }
}

/// The OS sandbox around every process a run starts (Landlock and seccomp on Linux,
/// Seatbelt on macOS): writes only in the work area, a per-run temp dir and `writable`;
/// secrets directories unreadable; no internet unless `network`. The model cannot change it.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SandboxSettings {
    pub mode: SandboxMode,
    /// Whether processes may open internet sockets (Unix sockets always work).
    pub network: bool,
    /// More absolute paths processes may write (a cache outside the work area, say).
    pub writable: Vec<String>,
    /// Environment variables commands may see beyond the built-in allow-list (PATH, HOME,
    /// locale, toolchains). Autowork's own and provider keys are never passed.
    pub env: Vec<String>,
}

impl Default for SandboxSettings {
    fn default() -> Self {
        Self {
            mode: SandboxMode::Enforce,
            network: false,
            writable: Vec::new(),
            env: Vec::new(),
        }
    }
}

/// Whether the sandbox applies.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SandboxMode {
    /// Every process runs sandboxed; where the OS cannot sandbox, unattended runs refuse
    /// shell commands.
    Enforce,
    /// Processes run with the user's full access. Shown clearly wherever the automation is.
    Off,
}

impl SandboxMode {
    pub fn as_str(self) -> &'static str {
        match self {
            SandboxMode::Enforce => "enforce",
            SandboxMode::Off => "off",
        }
    }
}

/// Where a run works: in the workspace itself, or in a git worktree of its own.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Placement {
    InPlace,
    Worktree { name: String },
}

impl Placement {
    pub fn kind(&self) -> &'static str {
        match self {
            Placement::InPlace => "in_place",
            Placement::Worktree { .. } => "worktree",
        }
    }
}

/// Tools the agent offers; permission rules name one of these or `*`.
pub const TOOL_NAMES: &[&str] = &[
    "read", "list", "glob", "grep", "write", "edit", "bash", "question",
];

/// What happens when a tool call matches a rule.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PermissionAction {
    Allow,
    Ask,
    Deny,
}

impl PermissionAction {
    pub fn as_str(self) -> &'static str {
        match self {
            PermissionAction::Allow => "allow",
            PermissionAction::Ask => "ask",
            PermissionAction::Deny => "deny",
        }
    }
}

/// A permission rule. File tools (and `*`) match a glob over the workspace-relative path;
/// bash matches each plain command of a call by its words (see
/// [`crate::agent::permissions`]). Without a matching rule, read-only tools are allowed and
/// edits and shell commands ask.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PermissionRule {
    pub tool: String,
    /// File tools and `*`: the path glob. bash: `None`, except a glob kept from before
    /// command rules that could not be converted: such a rule matches nothing until it is
    /// edited ([`PermissionRule::needs_edit`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pattern: Option<String>,
    /// bash: the command as words; matches commands whose words start with these
    /// (`["cargo", "test"]` matches `cargo test --all`, not `cargo testx`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub command: Option<Vec<String>>,
    /// bash: match the words exactly instead of as a prefix (what "Always allow" writes).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub exact: bool,
    pub action: PermissionAction,
    /// Why the rule is there, shown when it decides a call.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// bash: commands the rule must and must not match, checked when the automation is
    /// validated.
    #[serde(default, skip_serializing_if = "RuleExamples::is_empty")]
    pub examples: RuleExamples,
}

impl PermissionRule {
    /// A glob rule for a file tool (or `*`).
    pub fn path(tool: &str, pattern: &str, action: PermissionAction) -> Self {
        Self {
            tool: tool.to_owned(),
            pattern: Some(pattern.to_owned()),
            command: None,
            exact: false,
            action,
            reason: None,
            examples: RuleExamples::default(),
        }
    }

    /// A bash rule over a command prefix.
    pub fn command<S: Into<String>>(
        words: impl IntoIterator<Item = S>,
        action: PermissionAction,
    ) -> Self {
        Self {
            tool: "bash".to_owned(),
            pattern: None,
            command: Some(words.into_iter().map(Into::into).collect()),
            exact: false,
            action,
            reason: None,
            examples: RuleExamples::default(),
        }
    }

    /// A bash rule that still holds a glob from before command rules: it matches nothing
    /// and the editor and `automation show` ask for an edit.
    pub fn needs_edit(&self) -> bool {
        self.tool == "bash" && self.command.is_none()
    }
}

/// Commands a bash rule must match and must not match.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleExamples {
    #[serde(default)]
    pub matching: Vec<String>,
    #[serde(default)]
    pub not_matching: Vec<String>,
}

impl RuleExamples {
    pub fn is_empty(&self) -> bool {
        self.matching.is_empty() && self.not_matching.is_empty()
    }
}
