//! Least privilege for drafts, enforced on what the model proposed (the prompt asks for it,
//! but a prompt is no guarantee). The rule is deliberately simple and visible: the
//! sentence's own words decide, never the model's stated reasons.
//!
//! - An `allow` rule for `bash` stays only when the sentence asks for commands: it names
//!   running, a command or script, or a tool people run (tests, build, lint, npm, cargo,
//!   git, commits, make, ...). See [`COMMAND_WORDS`].
//! - An `allow` rule for every tool (`*`) never stays: it would allow commands and edits
//!   anywhere without asking.
//! - `sandbox.network` stays on only when the sentence asks for the internet (a URL,
//!   download, fetch, API, push, install, ...). See [`NETWORK_WORDS`].
//! - `sandbox.mode: off` becomes `enforce` unless the sentence talks about the sandbox.
//! - A workspace the user chose wins over the model's.
//!
//! Each change is recorded, so the editor can say "removed X because ...".

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::Input;
use crate::agent::permissions::describe_rule;
use crate::definition::PermissionRule;

/// One change the engine made to the model's proposal.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Adjustment {
    /// The field changed (`permissions`, `sandbox.network`, ...).
    pub field: String,
    /// What was taken out or changed, in words.
    pub change: String,
    /// Why.
    pub reason: String,
}

/// Words that ask for shell commands. Common English words that name tools ("make", "go",
/// "format") are left out: "make a summary" asks for no command.
pub const COMMAND_WORDS: &[&str] = &[
    "run", "runs", "running", "execute", "command", "commands", "shell", "bash", "script",
    "scripts", "terminal", "test", "tests", "testing", "build", "builds", "compile", "lint",
    "linter", "fmt", "npm", "npx", "pnpm", "yarn", "cargo", "rustc", "python", "pytest", "pip",
    "makefile", "cmake", "git", "commit", "commits", "branch", "diff", "docker", "deploy",
    "install",
];

/// Words that ask for the internet.
pub const NETWORK_WORDS: &[&str] = &[
    "internet", "network", "online", "web", "website", "http", "https", "url", "api", "download",
    "upload", "fetch", "curl", "wget", "push", "pull", "clone", "publish", "deploy", "install",
];

fn words(sentence: &str) -> Vec<String> {
    sentence
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

fn mentions(words: &[String], wanted: &[&str]) -> bool {
    words.iter().any(|w| wanted.contains(&w.as_str()))
}

/// Narrows `definition` (a proposal, not yet validated) in place; returns what changed.
pub(crate) fn narrow(definition: &mut Value, input: &Input) -> Vec<Adjustment> {
    let mut adjustments = Vec::new();
    let Some(object) = definition.as_object_mut() else {
        return adjustments;
    };
    let said = words(&input.sentence);
    if let Some(workspace) = &input.workspace {
        if object.get("workspace").and_then(Value::as_str) != Some(workspace.path.as_str()) {
            if let Some(Value::String(proposed)) = object.get("workspace") {
                if !proposed.is_empty() {
                    adjustments.push(Adjustment {
                        field: "workspace".into(),
                        change: format!("replaced `{proposed}` with `{}`", workspace.path),
                        reason: "you chose this work directory".into(),
                    });
                }
            }
            object.insert("workspace".into(), Value::String(workspace.path.clone()));
        }
    }

    let commands_asked = mentions(&said, COMMAND_WORDS);
    if let Some(Value::Array(rules)) = object.get_mut("permissions") {
        rules.retain(|rule| {
            let action = rule.get("action").and_then(Value::as_str);
            let tool = rule.get("tool").and_then(Value::as_str);
            let reason = match (action, tool) {
                (Some("allow"), Some("*")) => {
                    "a rule for every tool would allow commands and edits anywhere without asking"
                }
                (Some("allow"), Some("bash")) if !commands_asked => {
                    "the sentence does not ask to run commands, so they ask first"
                }
                _ => return true,
            };
            adjustments.push(Adjustment {
                field: "permissions".into(),
                change: format!("removed `{}`", rule_words(rule)),
                reason: reason.into(),
            });
            false
        });
    }

    let network_asked = mentions(&said, NETWORK_WORDS);
    if let Some(Value::Object(sandbox)) = object.get_mut("sandbox") {
        if sandbox.get("network") == Some(&Value::Bool(true)) && !network_asked {
            sandbox.insert("network".into(), Value::Bool(false));
            adjustments.push(Adjustment {
                field: "sandbox.network".into(),
                change: "turned network access off".into(),
                reason: "the sentence does not ask for the internet".into(),
            });
        }
        if sandbox.get("mode").and_then(Value::as_str) == Some("off")
            && !said.iter().any(|w| w == "sandbox")
        {
            sandbox.insert("mode".into(), Value::String("enforce".into()));
            adjustments.push(Adjustment {
                field: "sandbox.mode".into(),
                change: "turned the OS sandbox back on".into(),
                reason: "the sentence does not ask to run outside the sandbox".into(),
            });
        }
    }
    adjustments
}

/// A proposed rule in the words the editor uses, or its JSON when it is not a valid rule.
fn rule_words(rule: &Value) -> String {
    match serde_json::from_value::<PermissionRule>(rule.clone()) {
        Ok(rule) => {
            let text = describe_rule(&rule);
            if rule.tool == "bash" || text.contains(&rule.tool) {
                text
            } else {
                format!("{text} ({})", rule.tool)
            }
        }
        Err(_) => rule.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;
    use serde_json::json;

    fn input(sentence: &str) -> Input {
        Input {
            sentence: sentence.into(),
            workspace: None,
            timezone: "UTC".into(),
        }
    }

    #[test]
    fn commands_and_network_stay_only_when_the_sentence_asks() {
        let proposal = json!({
            "permissions": [
                {"tool": "bash", "command": ["cargo", "test"], "action": "allow"},
                {"tool": "edit", "pattern": "NOTES.md", "action": "allow"},
                {"tool": "*", "pattern": "*", "action": "allow"},
                {"tool": "bash", "command": ["rm"], "action": "deny"},
            ],
            "sandbox": {"network": true},
        });
        let mut quiet = proposal.clone();
        let changes = narrow(&mut quiet, &input("Each morning, summarize NOTES.md"));
        assert_eq!(
            quiet["permissions"],
            json!([
                {"tool": "edit", "pattern": "NOTES.md", "action": "allow"},
                {"tool": "bash", "command": ["rm"], "action": "deny"},
            ]),
            "no command allowed, deny rules kept"
        );
        assert_eq!(quiet["sandbox"]["network"], json!(false));
        let fields: Vec<&str> = changes.iter().map(|a| a.field.as_str()).collect();
        assert_eq!(fields, ["permissions", "permissions", "sandbox.network"]);
        assert_eq!(changes[0].change, "removed `allow cargo test …`");

        let mut asked = proposal;
        let changes = narrow(
            &mut asked,
            &input("Run the tests nightly and download the report from https://ci"),
        );
        assert_eq!(asked["permissions"][0]["command"], json!(["cargo", "test"]));
        assert_eq!(asked["sandbox"]["network"], json!(true));
        assert_eq!(
            changes.len(),
            1,
            "only the every-tool rule goes: {changes:?}"
        );
    }
}
