//! The shareable automation file: what `automation export` writes and `automation import`
//! reads, so automations can be shared and kept in git, and its published JSON Schema.
//!
//! # Format (version 1)
//!
//! One JSON object: the definition fields of an [`AutomationSpec`] (the same keys and values
//! a create takes), preceded by two header keys:
//!
//! * `"$schema"`: the URL of the schema ([`SCHEMA_URL`]), so editors offer completion and
//!   checks. Optional on import; any string is accepted and then dropped.
//! * `"format_version"`: [`FORMAT_VERSION`] (`1`). Optional on import (absent means 1);
//!   any other value is refused as `unsupported_format_version`, then dropped.
//!
//! Nothing the engine owns is written: no id, revision, session, timestamps or derived
//! status (next fires, failure streak, last run, ...). An import validates the rest exactly
//! like a create and reports every problem at once.
//!
//! The types below mirror [`AutomationSpec`] field for field, so that the schema
//! (`schemars`, behind the `schema` feature) documents every field with its rule. The
//! conversion destructures the spec without `..`: a field added to the definition stops the
//! build here until the file format (and its schema) has it too.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use crate::definition::{
    parse_spec, AutomationSpec, CatchUp, ContextMode, ModelRef, Overlap, PermissionAction,
    PermissionRule, Placement, RuleExamples, SandboxMode, StopCondition, Trigger,
    ValidationContext, Variant,
};
use crate::error::ValidationDetail;

/// Where the schema of version 1 is published; exported files name it in `$schema`.
pub const SCHEMA_URL: &str = "https://autowork.dev/schema/automation-v1.json";
/// The file format this build writes and reads.
pub const FORMAT_VERSION: u32 = 1;

/// An Autowork automation, as a file to share or keep in git: its definition only (no ids,
/// revisions, timestamps or derived status). `autowork automation import FILE` validates it
/// like a create and reports every problem at once.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(
    feature = "schema",
    schemars(title = "Autowork automation", deny_unknown_fields)
)]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AutomationFile {
    /// The URL of this schema, for editors. Optional; any string is accepted, and dropped on
    /// import.
    #[serde(rename = "$schema", default, skip_serializing_if = "Option::is_none")]
    pub schema: Option<String>,
    /// The version of this file format: 1. Optional (absent means 1); other versions are
    /// refused with `unsupported_format_version`. Dropped on import.
    #[serde(default = "format_version_default")]
    #[cfg_attr(feature = "schema", schemars(range(min = 1, max = 1)))]
    pub format_version: u32,
    /// A single line, 1 to 160 characters, not only spaces, without control characters.
    #[cfg_attr(
        feature = "schema",
        schemars(
            length(min = 1, max = 160),
            regex(pattern = r"^[^\u0000-\u001F\u007F-\u009F]*\S[^\u0000-\u001F\u007F-\u009F]*$")
        )
    )]
    pub title: String,
    /// What the agent is asked to do on every run: 1 to 20 000 characters, not only spaces.
    #[cfg_attr(
        feature = "schema",
        schemars(length(min = 1, max = 20000), regex(pattern = r"\S"))
    )]
    pub prompt: String,
    /// The absolute path of the work directory; it must exist on the machine that imports
    /// the file (it is stored canonical).
    #[cfg_attr(feature = "schema", schemars(length(min = 1)))]
    pub workspace: String,
    /// The model that runs the automation; it must be in the importing machine's catalog
    /// (`autowork models`).
    pub model: FileModel,
    /// Reasoning effort, for models that support it. Absent or null: the model's default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variant: Option<FileVariant>,
    /// When the automation fires by itself. Absent: manual.
    #[serde(default = "trigger_default")]
    pub trigger: FileTrigger,
    /// When a recurring (interval or cron) automation stops firing. Absent: never.
    /// Anything but `never` needs an interval or cron trigger.
    #[serde(default = "stop_default")]
    pub stop: FileStop,
    /// `fresh`: every run starts a new session; `continue`: each run continues the
    /// automation's last session. Absent: fresh.
    #[serde(default = "context_default")]
    pub context: FileContext,
    /// Where runs work: in the workspace itself, or in a git worktree of their own. Absent:
    /// in place.
    #[serde(default = "placement_default")]
    pub placement: FilePlacement,
    /// Permission rules. For file tools the last matching rule wins, so later rules refine
    /// earlier ones; for `bash` the most specific command rule decides each command (the
    /// longest prefix, then exact over prefix, then the strictest), and a script takes the
    /// strictest decision of its commands. Without a matching rule, read-only tools are
    /// allowed and edits and shell commands ask. At most 200.
    #[serde(default)]
    #[cfg_attr(feature = "schema", schemars(length(max = 200)))]
    pub permissions: Vec<FilePermissionRule>,
    /// Most model calls one run may make: 1 to 500.
    #[serde(default = "step_cap_default")]
    #[cfg_attr(feature = "schema", schemars(range(min = 1, max = 500)))]
    pub step_cap: u32,
    /// Wall-clock limit of one run, in minutes: 1 to 10 080 (a week). Absent or null: none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "schema", schemars(range(min = 1, max = 10080)))]
    pub timeout_minutes: Option<u32>,
    /// Most one run may spend, in US dollars (more than 0). Absent or null: no limit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "schema", schemars(extend("exclusiveMinimum" = 0)))]
    pub budget_usd: Option<f64>,
    /// Most the automation's runs may spend per day, in US dollars (more than 0). Absent or
    /// null: no limit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "schema", schemars(extend("exclusiveMinimum" = 0)))]
    pub daily_budget_usd: Option<f64>,
    /// Whether an unattended run that needs an answer waits for one instead of failing with
    /// `needs_user_input`.
    #[serde(default)]
    pub wait_for_input_when_unattended: bool,
    /// Paused automations do not fire on their schedule; Run now still works.
    #[serde(default)]
    pub paused: bool,
    /// After this many failed runs in a row the automation pauses itself: 1 to 100.
    #[serde(default = "failure_streak_limit_default")]
    #[cfg_attr(feature = "schema", schemars(range(min = 1, max = 100)))]
    pub failure_streak_limit: u32,
    /// Fires missed while the app was closed or the machine slept: `once` runs the latest
    /// (if younger than `catch_up_max_age_hours`) and records the others as missed; `skip`
    /// records them all. Absent: once.
    #[serde(default = "catch_up_default")]
    pub catch_up: FileCatchUp,
    /// The oldest missed fire `catch_up = once` still runs, in hours: 1 to 8 760 (a year).
    /// Absent: 168 (a week).
    #[serde(default = "catch_up_max_age_hours_default")]
    #[cfg_attr(feature = "schema", schemars(range(min = 1, max = 8760)))]
    pub catch_up_max_age_hours: u32,
    /// A run whose work area is taken by another active run: `skip` ends it
    /// `stopped`/`writer_busy`; `queue` lets it wait (one at most). Absent: skip.
    #[serde(default = "overlap_default")]
    pub overlap: FileOverlap,
    /// The OS sandbox around the run's processes. Absent: enforced, no network, nothing
    /// writable beyond the work area and a per-run temp dir.
    #[serde(default)]
    pub sandbox: FileSandbox,
}

/// The OS sandbox: writes only in the work area, a per-run temp dir and `writable`;
/// secrets directories unreadable; no internet unless `network`.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "schema", schemars(deny_unknown_fields))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename = "Sandbox")]
pub struct FileSandbox {
    /// `enforce` (default) or `off` (processes run with the user's full access).
    #[serde(default = "sandbox_mode_default")]
    pub mode: FileSandboxMode,
    /// Whether processes may open internet sockets. Absent: false.
    #[serde(default)]
    pub network: bool,
    /// More absolute paths processes may write (existing files or directories).
    #[serde(default)]
    pub writable: Vec<String>,
    /// More environment variable names commands may see (beyond PATH, HOME, locale and
    /// the toolchains' own); `AUTOWORK_*` and provider keys are never passed.
    #[serde(default)]
    pub env: Vec<String>,
}

impl Default for FileSandbox {
    fn default() -> Self {
        Self {
            mode: FileSandboxMode::Enforce,
            network: false,
            writable: Vec::new(),
            env: Vec::new(),
        }
    }
}

/// Whether the sandbox applies.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename = "SandboxMode", rename_all = "snake_case")]
pub enum FileSandboxMode {
    Enforce,
    Off,
}

fn sandbox_mode_default() -> FileSandboxMode {
    FileSandboxMode::Enforce
}

/// A model of the catalog, by provider and model id (`autowork models`).
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "schema", schemars(deny_unknown_fields))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename = "Model")]
pub struct FileModel {
    /// e.g. `openai`, `anthropic`, or a provider you added.
    #[cfg_attr(feature = "schema", schemars(length(min = 1)))]
    pub provider_id: String,
    /// e.g. `gpt-5`.
    #[cfg_attr(feature = "schema", schemars(length(min = 1)))]
    pub model_id: String,
}

/// Reasoning effort; the model must support it.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename = "Variant", rename_all = "snake_case")]
pub enum FileVariant {
    Low,
    Medium,
    High,
}

/// When an automation fires by itself, by `kind`.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "schema", schemars(deny_unknown_fields))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename = "Trigger", tag = "kind", rename_all = "snake_case")]
pub enum FileTrigger {
    /// Only when a person clicks Run now.
    Manual,
    /// Once, at a future moment.
    Once {
        /// An RFC 3339 time in the future, e.g. `2027-03-27T09:00:00Z`.
        fire_at: DateTime<Utc>,
    },
    /// Repeatedly, anchored to the previous fire (a long run never makes it drift).
    Interval {
        /// Milliseconds between fires: at least 30 000.
        #[cfg_attr(feature = "schema", schemars(range(min = 30000)))]
        every_ms: u64,
    },
    /// On a five-field cron expression in an IANA time zone, correct across DST: a skipped
    /// local time fires once right after the gap, a repeated one fires once.
    Cron {
        /// Five fields: minute hour day-of-month month day-of-week, e.g. `0 9 * * 1-5`.
        #[cfg_attr(
            feature = "schema",
            schemars(regex(pattern = r"^\s*\S+(\s+\S+){4}\s*$"))
        )]
        expression: String,
        /// An IANA time zone such as `Europe/Berlin` or `UTC`.
        #[cfg_attr(feature = "schema", schemars(length(min = 1)))]
        timezone: String,
    },
}

/// When a recurring automation stops firing, by `kind`.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "schema", schemars(deny_unknown_fields))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename = "StopCondition", tag = "kind", rename_all = "snake_case")]
pub enum FileStop {
    /// Keeps firing.
    Never,
    /// Stops once this many runs finished (succeeded or failed).
    AfterRuns {
        /// At least 1.
        #[cfg_attr(feature = "schema", schemars(range(min = 1)))]
        count: u32,
    },
    /// Stops after this moment (a fire exactly at it still happens).
    Until {
        /// An RFC 3339 time in the future.
        at: DateTime<Utc>,
    },
}

/// Whether each run starts a new session or continues the automation's last one.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename = "Context", rename_all = "snake_case")]
pub enum FileContext {
    Fresh,
    Continue,
}

/// What fires missed while the app was closed do.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename = "CatchUp", rename_all = "snake_case")]
pub enum FileCatchUp {
    Once,
    Skip,
}

/// What a run does when its work area is busy.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename = "Overlap", rename_all = "snake_case")]
pub enum FileOverlap {
    Skip,
    Queue,
}

/// Where a run works, by `kind`.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "schema", schemars(deny_unknown_fields))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename = "Placement", tag = "kind", rename_all = "snake_case")]
pub enum FilePlacement {
    /// In the workspace itself.
    InPlace,
    /// In a git worktree of its own, under `.autowork/worktrees/NAME` of the workspace,
    /// which must be inside a git repository.
    Worktree {
        /// 1 to 63 lowercase letters, digits and dashes, starting with a letter or digit.
        #[cfg_attr(
            feature = "schema",
            schemars(regex(pattern = r"^[a-z0-9][a-z0-9-]{0,62}$"))
        )]
        name: String,
    },
}

/// A file tool (or `*`) with a glob `pattern` over the path, or bash with the `command`
/// words it matches, resolves to `action`.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "schema", schemars(deny_unknown_fields))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename = "PermissionRule")]
pub struct FilePermissionRule {
    /// A tool the agent offers, or `*` for all of them.
    #[cfg_attr(feature = "schema", schemars(schema_with = "schema_support::tool"))]
    pub tool: String,
    /// File tools and `*`: a glob over the workspace-relative path, 1 to 1000 bytes.
    /// Absent: `*`. (A bash glob from older files is converted to `command` when it reads
    /// "words *"; otherwise it is kept and matches nothing until edited.)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "schema", schemars(length(min = 1, max = 1000)))]
    pub pattern: Option<String>,
    /// bash: the command as words (1 to 32); matches commands that start with them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub command: Option<Vec<String>>,
    /// bash: match the words exactly, not as a prefix.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub exact: bool,
    pub action: FilePermissionAction,
    /// Why the rule is there (up to 500 characters).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// bash: commands the rule must match and must not match.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub examples: Option<FileRuleExamples>,
}

/// Commands a bash rule must and must not match; checked on import.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "schema", schemars(deny_unknown_fields))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename = "RuleExamples")]
pub struct FileRuleExamples {
    #[serde(default)]
    pub matching: Vec<String>,
    #[serde(default)]
    pub not_matching: Vec<String>,
}

/// What happens when a tool call matches the rule.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename = "PermissionAction", rename_all = "snake_case")]
pub enum FilePermissionAction {
    Allow,
    Ask,
    Deny,
}

fn format_version_default() -> u32 {
    FORMAT_VERSION
}

fn trigger_default() -> FileTrigger {
    FileTrigger::Manual
}

fn stop_default() -> FileStop {
    FileStop::Never
}

fn context_default() -> FileContext {
    FileContext::Fresh
}

fn placement_default() -> FilePlacement {
    FilePlacement::InPlace
}

fn step_cap_default() -> u32 {
    crate::definition::STEP_CAP_DEFAULT
}

fn failure_streak_limit_default() -> u32 {
    crate::definition::FAILURE_STREAK_LIMIT_DEFAULT
}

fn catch_up_default() -> FileCatchUp {
    FileCatchUp::Once
}

fn catch_up_max_age_hours_default() -> u32 {
    crate::definition::CATCH_UP_MAX_AGE_HOURS_DEFAULT
}

fn overlap_default() -> FileOverlap {
    FileOverlap::Skip
}

impl From<&AutomationSpec> for AutomationFile {
    fn from(spec: &AutomationSpec) -> Self {
        // No `..`: a new definition field must be added to the file format too.
        let AutomationSpec {
            title,
            prompt,
            workspace,
            model,
            variant,
            trigger,
            stop,
            context,
            placement,
            permissions,
            step_cap,
            timeout_minutes,
            budget_usd,
            daily_budget_usd,
            wait_for_input_when_unattended,
            paused,
            failure_streak_limit,
            catch_up,
            catch_up_max_age_hours,
            overlap,
            sandbox,
        } = spec.clone();
        let ModelRef {
            provider_id,
            model_id,
        } = model;
        AutomationFile {
            schema: Some(SCHEMA_URL.to_owned()),
            format_version: FORMAT_VERSION,
            title,
            prompt,
            workspace,
            model: FileModel {
                provider_id,
                model_id,
            },
            variant: variant.map(|v| match v {
                Variant::Low => FileVariant::Low,
                Variant::Medium => FileVariant::Medium,
                Variant::High => FileVariant::High,
            }),
            trigger: match trigger {
                Trigger::Manual => FileTrigger::Manual,
                Trigger::Once { fire_at } => FileTrigger::Once { fire_at },
                Trigger::Interval { every_ms } => FileTrigger::Interval { every_ms },
                Trigger::Cron {
                    expression,
                    timezone,
                } => FileTrigger::Cron {
                    expression,
                    timezone,
                },
            },
            stop: match stop {
                StopCondition::Never => FileStop::Never,
                StopCondition::AfterRuns { count } => FileStop::AfterRuns { count },
                StopCondition::Until { at } => FileStop::Until { at },
            },
            context: match context {
                ContextMode::Fresh => FileContext::Fresh,
                ContextMode::Continue => FileContext::Continue,
            },
            placement: match placement {
                Placement::InPlace => FilePlacement::InPlace,
                Placement::Worktree { name } => FilePlacement::Worktree { name },
            },
            permissions: permissions
                .into_iter()
                .map(
                    |PermissionRule {
                         tool,
                         pattern,
                         command,
                         exact,
                         action,
                         reason,
                         examples,
                     }| FilePermissionRule {
                        tool,
                        pattern,
                        command,
                        exact,
                        action: match action {
                            PermissionAction::Allow => FilePermissionAction::Allow,
                            PermissionAction::Ask => FilePermissionAction::Ask,
                            PermissionAction::Deny => FilePermissionAction::Deny,
                        },
                        reason,
                        examples: (examples != RuleExamples::default()).then_some(
                            FileRuleExamples {
                                matching: examples.matching,
                                not_matching: examples.not_matching,
                            },
                        ),
                    },
                )
                .collect(),
            step_cap,
            timeout_minutes,
            budget_usd,
            daily_budget_usd,
            wait_for_input_when_unattended,
            paused,
            failure_streak_limit,
            catch_up: match catch_up {
                CatchUp::Once => FileCatchUp::Once,
                CatchUp::Skip => FileCatchUp::Skip,
            },
            catch_up_max_age_hours,
            overlap: match overlap {
                Overlap::Skip => FileOverlap::Skip,
                Overlap::Queue => FileOverlap::Queue,
            },
            sandbox: FileSandbox {
                mode: match sandbox.mode {
                    SandboxMode::Enforce => FileSandboxMode::Enforce,
                    SandboxMode::Off => FileSandboxMode::Off,
                },
                network: sandbox.network,
                writable: sandbox.writable,
                env: sandbox.env,
            },
        }
    }
}

/// The file for an automation's definition, with its `$schema` and `format_version`.
pub fn export(spec: &AutomationSpec) -> AutomationFile {
    AutomationFile::from(spec)
}

/// A definition (as a create takes it) as a file to import: `$schema` and `format_version`
/// first, then its fields. A non-object is returned as it is, for the import to refuse.
pub fn with_header(definition: &Value) -> Value {
    let Some(fields) = definition.as_object() else {
        return definition.clone();
    };
    let mut file = Map::new();
    file.insert("$schema".into(), json!(SCHEMA_URL));
    file.insert("format_version".into(), json!(FORMAT_VERSION));
    for (key, value) in fields {
        file.insert(key.clone(), value.clone());
    }
    Value::Object(file)
}

/// Splits an imported file into the definition to validate (the header keys `$schema` and
/// `format_version` removed) and the problems with those header keys. A non-object is
/// returned as it is, for validation to refuse.
pub fn split_header(file: &Value) -> (Value, Vec<ValidationDetail>) {
    let Some(object) = file.as_object() else {
        return (file.clone(), Vec::new());
    };
    let mut definition = object.clone();
    let mut problems = Vec::new();
    match definition.remove("$schema") {
        None | Some(Value::Null | Value::String(_)) => {}
        Some(_) => problems.push(
            ValidationDetail::new("$schema", "invalid_type")
                .with_hint(format!("expected a string such as {SCHEMA_URL}")),
        ),
    }
    match definition.remove("format_version") {
        None | Some(Value::Null) => {}
        Some(version) if version.as_u64() == Some(FORMAT_VERSION.into()) => {}
        Some(version) => problems.push(
            ValidationDetail::new("format_version", "unsupported_format_version").with_hint(
                format!(
                    "this autowork reads format_version {FORMAT_VERSION}, the file has {version}"
                ),
            ),
        ),
    }
    (Value::Object(definition), problems)
}

/// Checks an imported file like a create would, reporting every problem at once (the
/// header's and the definition's), and returns the definition to create.
pub fn check_import(
    file: &Value,
    ctx: &ValidationContext<'_>,
) -> Result<Value, Vec<ValidationDetail>> {
    let (definition, mut problems) = split_header(file);
    if let Err(more) = parse_spec(&definition, ctx, &|_| true) {
        problems.extend(more);
    }
    if problems.is_empty() {
        Ok(definition)
    } else {
        Err(problems)
    }
}

/// Parses a trigger (and a stop condition, `never` when absent) with the rules of a create,
/// as of `ctx.now`, for a schedule preview: nothing else about an automation is needed or
/// checked. The problems carry the same fields and messages a create reports
/// (`trigger.expression` / `invalid_cron_expression`, ...).
pub fn parse_schedule(
    trigger: &Value,
    stop: Option<&Value>,
    ctx: &ValidationContext<'_>,
) -> Result<(Trigger, StopCondition), Vec<ValidationDetail>> {
    // A placeholder automation around the schedule; only `trigger` and `stop` count as
    // changed, so the placeholders are never checked against the disk or the catalog.
    let mut probe = Map::new();
    probe.insert("title".into(), json!("schedule preview"));
    probe.insert("prompt".into(), json!("schedule preview"));
    probe.insert("workspace".into(), json!("/"));
    probe.insert(
        "model".into(),
        json!({ "provider_id": "preview", "model_id": "preview" }),
    );
    probe.insert("trigger".into(), trigger.clone());
    if let Some(stop) = stop {
        probe.insert("stop".into(), stop.clone());
    }
    let schedule_field = |field: &str| field == "trigger" || field == "stop";
    let problems = match parse_spec(&Value::Object(probe), ctx, &schedule_field) {
        Ok(spec) => return Ok((spec.trigger, spec.stop)),
        Err(problems) => problems,
    };
    let about_schedule = |field: &str| {
        ["trigger", "stop"]
            .iter()
            .any(|key| field == *key || field.starts_with(&format!("{key}.")))
    };
    let schedule_problems: Vec<ValidationDetail> = problems
        .iter()
        .filter(|d| about_schedule(&d.field))
        .cloned()
        .collect();
    if !schedule_problems.is_empty() {
        return Err(schedule_problems);
    }
    // The schedule itself is fine (a placeholder tripped a rule): read it as validated.
    let trigger = serde_json::from_value::<Trigger>(trigger.clone());
    let stop = match stop.filter(|s| !s.is_null()) {
        None => Ok(StopCondition::Never),
        Some(stop) => serde_json::from_value::<StopCondition>(stop.clone()),
    };
    match (trigger, stop) {
        (Ok(trigger), Ok(stop)) => Ok((trigger, stop)),
        (Err(e), _) => Err(vec![
            ValidationDetail::new("trigger", "invalid_trigger").with_hint(e.to_string())
        ]),
        (_, Err(e)) => Err(vec![
            ValidationDetail::new("stop", "invalid_stop").with_hint(e.to_string())
        ]),
    }
}

/// The JSON Schema (2020-12) of [`AutomationFile`], with its `$id` at [`SCHEMA_URL`].
#[cfg(feature = "schema")]
pub fn json_schema() -> Value {
    let mut schema = schemars::SchemaGenerator::default().into_root_schema_for::<AutomationFile>();
    schema.insert("$id".into(), json!(SCHEMA_URL));
    schema.to_value()
}

#[cfg(feature = "schema")]
mod schema_support {
    use schemars::{json_schema, Schema, SchemaGenerator};

    use crate::definition::TOOL_NAMES;

    /// `*` or one of the agent's tools.
    pub fn tool(_: &mut SchemaGenerator) -> Schema {
        let mut names = vec!["*"];
        names.extend_from_slice(TOOL_NAMES);
        json_schema!({ "type": "string", "enum": names })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::Catalog;
    use crate::definition::SandboxSettings;
    use pretty_assertions::assert_eq;

    fn full_spec() -> AutomationSpec {
        AutomationSpec {
            title: "Nightly".into(),
            prompt: "Run the tests".into(),
            workspace: "/tmp".into(),
            model: ModelRef {
                provider_id: "openai".into(),
                model_id: "gpt-5".into(),
            },
            variant: Some(Variant::High),
            trigger: Trigger::Cron {
                expression: "0 9 * * 1-5".into(),
                timezone: "Europe/Berlin".into(),
            },
            stop: StopCondition::AfterRuns { count: 10 },
            context: ContextMode::Continue,
            placement: Placement::Worktree {
                name: "nightly".into(),
            },
            permissions: vec![PermissionRule {
                reason: Some("builds and tests".into()),
                examples: RuleExamples {
                    matching: vec!["cargo test --all".into()],
                    not_matching: vec!["cargo-audit".into()],
                },
                ..PermissionRule::command(["cargo"], PermissionAction::Allow)
            }],
            step_cap: 80,
            timeout_minutes: Some(30),
            budget_usd: Some(1.5),
            daily_budget_usd: Some(5.0),
            wait_for_input_when_unattended: true,
            paused: true,
            failure_streak_limit: 4,
            catch_up: CatchUp::Skip,
            catch_up_max_age_hours: 48,
            overlap: Overlap::Queue,
            sandbox: SandboxSettings {
                mode: SandboxMode::Off,
                network: true,
                writable: vec!["/tmp".into()],
                env: vec!["GITHUB_REPOSITORY".into()],
            },
        }
    }

    fn without_nulls(value: Value) -> Value {
        match value {
            Value::Object(map) => Value::Object(
                map.into_iter()
                    .filter(|(_, v)| !v.is_null())
                    .map(|(k, v)| (k, without_nulls(v)))
                    .collect(),
            ),
            other => other,
        }
    }

    #[test]
    fn the_file_is_the_spec_as_json_plus_the_header() {
        for spec in [full_spec(), {
            let mut bare = full_spec();
            bare.variant = None;
            bare.timeout_minutes = None;
            bare.budget_usd = None;
            bare.daily_budget_usd = None;
            bare.trigger = Trigger::Manual;
            bare.stop = StopCondition::Never;
            bare.placement = Placement::InPlace;
            bare
        }] {
            let file = serde_json::to_value(export(&spec)).unwrap();
            assert_eq!(file["$schema"], SCHEMA_URL);
            assert_eq!(file["format_version"], 1);
            let (definition, problems) = split_header(&file);
            assert_eq!(problems, vec![]);
            let spec_json = without_nulls(serde_json::to_value(&spec).unwrap());
            assert_eq!(definition, spec_json, "the file mirrors the definition");
            let read: AutomationFile = serde_json::from_value(file).unwrap();
            assert_eq!(read, export(&spec), "the file reads back as written");
        }
    }

    #[test]
    fn header_keys_are_dropped_and_only_version_1_is_read() {
        let (definition, problems) = split_header(&json!({
            "$schema": "./automation.schema.json", "format_version": 1, "title": "t",
        }));
        assert_eq!(definition, json!({ "title": "t" }));
        assert_eq!(problems, vec![]);

        let (_, problems) = split_header(&json!({ "$schema": 3, "format_version": 2 }));
        let fields: Vec<(&str, &str)> = problems
            .iter()
            .map(|d| (d.field.as_str(), d.message.as_str()))
            .collect();
        assert_eq!(
            fields,
            [
                ("$schema", "invalid_type"),
                ("format_version", "unsupported_format_version")
            ]
        );
    }

    #[test]
    fn schedule_problems_carry_the_fields_of_a_create() {
        let catalog = Catalog::builtin();
        let ctx = ValidationContext {
            catalog: &catalog,
            now: Utc::now(),
        };
        let bad = json!({ "kind": "cron", "expression": "61 9 * * *", "timezone": "Mars/Base" });
        let problems = parse_schedule(&bad, None, &ctx).unwrap_err();
        let fields: Vec<(&str, &str)> = problems
            .iter()
            .map(|d| (d.field.as_str(), d.message.as_str()))
            .collect();
        assert_eq!(
            fields,
            [
                ("trigger.expression", "invalid_cron_expression"),
                ("trigger.timezone", "invalid_timezone")
            ]
        );

        let good = json!({ "kind": "interval", "every_ms": 60_000 });
        let stop = json!({ "kind": "after_runs", "count": 3 });
        assert_eq!(
            parse_schedule(&good, Some(&stop), &ctx).unwrap(),
            (
                Trigger::Interval { every_ms: 60_000 },
                StopCondition::AfterRuns { count: 3 }
            )
        );
    }

    #[cfg(feature = "schema")]
    #[test]
    fn the_schema_states_the_limits_of_validation() {
        use crate::definition::{
            FAILURE_STREAK_LIMIT_DEFAULT, FAILURE_STREAK_LIMIT_MAX, INTERVAL_MIN_MS,
            PERMISSION_RULES_MAX, PROMPT_MAX_CHARS, STEP_CAP_DEFAULT, STEP_CAP_MAX,
            TIMEOUT_MAX_MINUTES, TITLE_MAX_CHARS,
        };

        let schema = json_schema();
        assert_eq!(schema["$id"], SCHEMA_URL);
        let properties = &schema["properties"];
        assert_eq!(properties["title"]["maxLength"], json!(TITLE_MAX_CHARS));
        assert_eq!(properties["prompt"]["maxLength"], json!(PROMPT_MAX_CHARS));
        assert_eq!(properties["step_cap"]["maximum"], STEP_CAP_MAX);
        assert_eq!(properties["step_cap"]["default"], STEP_CAP_DEFAULT);
        assert_eq!(
            properties["failure_streak_limit"]["maximum"],
            FAILURE_STREAK_LIMIT_MAX
        );
        assert_eq!(
            properties["failure_streak_limit"]["default"],
            FAILURE_STREAK_LIMIT_DEFAULT
        );
        let interval = &schema["$defs"]["Trigger"]["oneOf"][2];
        assert_eq!(
            interval["properties"]["every_ms"]["minimum"],
            INTERVAL_MIN_MS
        );
        assert_eq!(
            properties["timeout_minutes"]["maximum"],
            TIMEOUT_MAX_MINUTES
        );
        assert_eq!(
            properties["permissions"]["maxItems"],
            json!(PERMISSION_RULES_MAX)
        );
        assert_eq!(
            schema["required"],
            json!(["title", "prompt", "workspace", "model"])
        );
    }
}
