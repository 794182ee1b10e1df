//! A draft in plain words: when it runs (the next five fires, in the user's time zone),
//! where, with which model, and what it may do without asking. Parts of a draft that do not
//! validate yet are described as far as they can be read.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{Checked, Input};
use crate::agent::shell;
use crate::definition::{
    ModelRef, PermissionAction, PermissionRule, Placement, SandboxSettings, StopCondition, Trigger,
};
use crate::schedule;

/// How many fires the summary lists.
const FIRES: usize = 5;

/// What the editor and `automation draft` show beside a draft.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DraftSummary {
    /// The schedule in words ("Every weekday at 09:00 (Europe/Berlin)").
    pub schedule: String,
    /// The user's time zone, which `next_fires_local` is written in.
    pub timezone: String,
    /// The next five fires (fewer when the schedule ends sooner; none for manual).
    pub next_fires: Vec<DateTime<Utc>>,
    /// The same fires as the user's wall clock ("Mon 7 Dec 2026 09:00 CET").
    pub next_fires_local: Vec<String>,
    /// The work directory, when the draft names one.
    pub work_dir: Option<String>,
    /// Where in it runs work ("in place", "in its own git worktree `x`").
    pub placement: String,
    /// "Claude Sonnet 4.5 (anthropic/claude-sonnet-4-5)".
    pub model: Option<String>,
    /// What runs may do without asking, one sentence per allow rule, defaults first.
    pub allowed: Vec<String>,
    /// Whether commands may reach the internet.
    pub network: bool,
}

pub(crate) fn describe(checked: &Checked, input: &Input, now: DateTime<Utc>) -> DraftSummary {
    let definition = &checked.definition;
    let field = |key: &str| definition.get(key).filter(|v| !v.is_null()).cloned();
    let (trigger, stop): (Option<Trigger>, StopCondition) = match &checked.spec {
        Some(spec) => (Some(spec.trigger.clone()), spec.stop.clone()),
        // A schedule with a problem has no fires to show.
        None if checked
            .problems
            .iter()
            .any(|p| p.field.starts_with("trigger") || p.field.starts_with("stop")) =>
        {
            (None, StopCondition::Never)
        }
        None => (
            field("trigger").map_or(Some(Trigger::Manual), |v| serde_json::from_value(v).ok()),
            read(definition, "stop").unwrap_or(StopCondition::Never),
        ),
    };
    let fires = trigger
        .as_ref()
        .and_then(|t| schedule::next_fires(t, &stop, now, now, 0, FIRES).ok())
        .unwrap_or_default();
    let schedule = trigger.as_ref().map_or_else(
        || "Not readable yet: see the problems with the trigger".to_owned(),
        |t| schedule::describe(t, &stop),
    );
    let model: Option<ModelRef> = read(definition, "model");
    let placement: Placement = read(definition, "placement").unwrap_or(Placement::InPlace);
    let sandbox: SandboxSettings = read(definition, "sandbox").unwrap_or_default();
    let rules: Vec<PermissionRule> = match field("permissions") {
        Some(Value::Array(rules)) => rules
            .into_iter()
            .filter_map(|r| serde_json::from_value(r).ok())
            .collect(),
        _ => Vec::new(),
    };
    DraftSummary {
        schedule,
        timezone: input.timezone.clone(),
        next_fires_local: fires.iter().map(|f| local(*f, &input.timezone)).collect(),
        next_fires: fires,
        work_dir: field("workspace")
            .and_then(|v| v.as_str().map(str::to_owned))
            .filter(|w| !w.is_empty()),
        placement: match placement {
            Placement::InPlace => "in place".into(),
            Placement::Worktree { name } => format!("in its own git worktree `{name}`"),
        },
        model: model.map(|m| model_words(&m, checked)),
        allowed: allowed(&rules),
        network: sandbox.network,
    }
}

/// A field of the definition as its type, when it reads as one.
fn read<T: serde::de::DeserializeOwned>(definition: &Value, key: &str) -> Option<T> {
    let value = definition.get(key).filter(|v| !v.is_null())?;
    serde_json::from_value(value.clone()).ok()
}

fn local(at: DateTime<Utc>, timezone: &str) -> String {
    match timezone.parse::<chrono_tz::Tz>() {
        Ok(tz) => at
            .with_timezone(&tz)
            .format("%a %-d %b %Y %H:%M %Z")
            .to_string(),
        Err(_) => at.format("%a %-d %b %Y %H:%M UTC").to_string(),
    }
}

fn model_words(model: &ModelRef, checked: &Checked) -> String {
    let id = format!("{}/{}", model.provider_id, model.model_id);
    let unknown = checked
        .problems
        .iter()
        .any(|p| p.field.starts_with("model"));
    if unknown {
        return format!("{id} (not in the catalog)");
    }
    id
}

/// Each allow rule as commands and paths. Read-only tools are allowed by default.
fn allowed(rules: &[PermissionRule]) -> Vec<String> {
    let mut lines = vec!["read, list and search files in the work directory (the default)".into()];
    for rule in rules.iter().filter(|r| r.action == PermissionAction::Allow) {
        let line = match (&rule.command, &rule.pattern) {
            (Some(words), _) if rule.exact => format!("run exactly `{}`", shell::quote(words)),
            (Some(words), _) => {
                format!("run any command that starts with `{}`", shell::quote(words))
            }
            (None, Some(pattern)) => match rule.tool.as_str() {
                "write" => format!("create and overwrite files matching `{pattern}`"),
                "edit" => format!("edit files matching `{pattern}`"),
                "*" => format!("use every tool on paths matching `{pattern}`"),
                tool => format!("use `{tool}` on paths matching `{pattern}`"),
            },
            (None, None) => format!("use `{}` anywhere", rule.tool),
        };
        lines.push(line);
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    #[test]
    fn allow_rules_are_said_as_commands_and_paths() {
        let rules = vec![
            PermissionRule::command(["cargo", "test"], PermissionAction::Allow),
            PermissionRule::path("edit", "NOTES.md", PermissionAction::Allow),
            PermissionRule::path("write", "*", PermissionAction::Deny),
        ];
        assert_eq!(
            allowed(&rules),
            [
                "read, list and search files in the work directory (the default)",
                "run any command that starts with `cargo test`",
                "edit files matching `NOTES.md`",
            ]
        );
    }

    #[test]
    fn local_times_are_in_the_users_zone() {
        let at = "2026-12-07T08:00:00Z".parse().unwrap();
        assert_eq!(local(at, "Europe/Berlin"), "Mon 7 Dec 2026 09:00 CET");
    }
}
