//! What the drafting model is told: the job, the sentence and its context, the one tool
//! (its parameters are the automation file's published schema), and the problems of a
//! proposal that did not validate.

use std::sync::OnceLock;

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

use super::{Input, DRAFT_TOOL};
use crate::agent::tools::ToolSpec;
use crate::catalog::Catalog;
use crate::error::ValidationDetail;

/// The schema checked in at docs/automation.schema.json; a CLI test keeps it equal to
/// `automation_file::json_schema()`, so the tool takes exactly what an import takes.
const FILE_SCHEMA: &str = include_str!("../../../../docs/automation.schema.json");

/// The file's schema without the file envelope (`$schema`, `format_version`, `$id`): the
/// definition a create takes.
pub(crate) fn definition_schema() -> Value {
    static SCHEMA: OnceLock<Value> = OnceLock::new();
    SCHEMA
        .get_or_init(|| {
            let Ok(Value::Object(mut schema)) = serde_json::from_str::<Value>(FILE_SCHEMA) else {
                // Unreachable while the checked-in file parses (a unit test reads it); an
                // empty object schema still lets the model answer and validation decide.
                return serde_json::json!({ "type": "object" });
            };
            for key in ["$schema", "$id", "title"] {
                schema.remove(key);
            }
            if let Some(Value::Object(properties)) = schema.get_mut("properties") {
                properties.remove("$schema");
                properties.remove("format_version");
            }
            schema.insert(
                "description".into(),
                Value::String(
                    "An Autowork automation's definition: what to run, where, when, with which \
                     model and what it may do without asking."
                        .into(),
                ),
            );
            Value::Object(schema)
        })
        .clone()
}

pub(crate) fn tool() -> ToolSpec {
    ToolSpec {
        name: DRAFT_TOOL,
        description: "Propose the automation the user described. Call it exactly once per \
                      answer, with the whole definition; the engine validates it and tells you \
                      what to fix.",
        parameters: definition_schema(),
    }
}

pub(crate) fn system(input: &Input, catalog: &Catalog, now: DateTime<Utc>) -> String {
    let models: Vec<String> = catalog
        .models()
        .iter()
        .map(|m| {
            let variants: Vec<&str> = m.variants.iter().map(|v| v.as_str()).collect();
            let variants = if variants.is_empty() {
                String::new()
            } else {
                format!(" (variants: {})", variants.join(", "))
            };
            format!(
                "- provider_id `{}`, model_id `{}`{variants}",
                m.provider_id, m.model_id
            )
        })
        .collect();
    format!(
        "You turn one sentence into an Autowork automation: an AI coding agent that runs a \
         prompt in a work directory, by hand or on a schedule. Answer only by calling \
         `{DRAFT_TOOL}` once, with the whole definition. Do not answer in words.\n\
         \n\
         Rules:\n\
         - title: a short name (at most 160 characters).\n\
         - prompt: what the agent does on every run, as clear instructions to the agent, \
           in the user's language.\n\
         - workspace: {workspace}\n\
         - trigger: `manual` unless the sentence says when. A time of day or weekday is a \
           `cron` trigger (5 fields: minute hour day-of-month month day-of-week) in the \
           user's time zone `{timezone}`; \"every N minutes/hours\" is an `interval` \
           (`every_ms`, at least 30000); a single future moment is `once` (`fire_at`, RFC \
           3339 UTC, after {now}).\n\
         - model: one of the catalog below; prefer the one you are, unless the sentence \
           names another.\n\
         - permissions: least privilege. Read tools (read, list, glob, grep) are allowed \
           by default and need no rule. Add an `allow` rule only for what the task needs to \
           do without asking: `edit`/`write` with a path glob for files it must change; \
           `bash` with `command` words (e.g. [\"cargo\", \"test\"]) only for commands the \
           sentence asks for. Never a rule for tool `*`.\n\
         - sandbox: keep the defaults; set `network: true` only if the sentence needs the \
           internet.\n\
         - Leave out fields whose default fits.\n\
         \n\
         Model catalog:\n{}\n\
         \n\
         Today is {} (UTC).",
        models.join("\n"),
        now.format("%A %Y-%m-%d %H:%M"),
        workspace = match &input.workspace {
            Some(w) => format!("exactly `{}` (the user chose it).", w.path),
            None => "the user chose none: use the absolute path the sentence names, \
                     else leave it empty for the user to fill in."
                .to_owned(),
        },
        timezone = input.timezone,
        now = now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
    )
}

pub(crate) fn user(input: &Input) -> String {
    let mut text = format!("{}\n\nMy time zone: {}", input.sentence, input.timezone);
    if let Some(workspace) = &input.workspace {
        text.push_str(&format!(
            "\nWork directory: {} (`{}`)\nIts top-level files: {}",
            workspace.name,
            workspace.path,
            if workspace.files.is_empty() {
                "none".to_owned()
            } else {
                workspace.files.join(", ")
            }
        ));
        if workspace.more > 0 {
            text.push_str(&format!(" and {} more", workspace.more));
        }
    }
    text
}

/// The tool result for a proposal that did not validate: each problem's field, code and
/// hint, as JSON the model can act on.
pub(crate) fn problems(problems: &[ValidationDetail]) -> String {
    let list: Vec<Value> = problems
        .iter()
        .map(|p| {
            let mut entry = Map::new();
            entry.insert("field".into(), Value::String(p.field.clone()));
            entry.insert("code".into(), Value::String(p.message.clone()));
            if let Some(hint) = &p.hint {
                entry.insert("hint".into(), Value::String(hint.clone()));
            }
            Value::Object(entry)
        })
        .collect();
    format!(
        "The proposal is not valid; nothing was saved. Fix these problems and call \
         `{DRAFT_TOOL}` again with the whole definition:\n{}",
        Value::Array(list)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tool_takes_the_definition_without_the_file_envelope() {
        let schema = definition_schema();
        let properties = schema["properties"].as_object().unwrap();
        assert!(properties.contains_key("trigger") && properties.contains_key("permissions"));
        assert!(!properties.contains_key("format_version"));
        assert!(!properties.contains_key("$schema"));
        assert!(schema.get("$id").is_none());
        assert_eq!(
            schema["$defs"]["Trigger"]["oneOf"]
                .as_array()
                .unwrap()
                .len(),
            4
        );
        assert_eq!(
            schema["required"],
            serde_json::json!(["title", "prompt", "workspace", "model"])
        );
    }
}
