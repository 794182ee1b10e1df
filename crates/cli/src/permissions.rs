//! `autowork permissions check`: what an automation's rules decide for a shell command.

use autowork_core::agent::permissions::{BashDecision, CommandDecision};
use autowork_core::agent::shell;
use autowork_core::ids::AutomationId;
use autowork_core::Engine;

use crate::args::PermissionsCommand;
use crate::output::{emit, emit_json, Outcome, Table};

pub async fn run(engine: &Engine, command: PermissionsCommand, json: bool) -> Outcome {
    match command {
        PermissionsCommand::Check { id, command } => {
            let script = command.join(" ");
            let decision = engine
                .check_command(&AutomationId::from(id.as_str()), &script)
                .await?;
            if json {
                emit_json(&decision)
            } else {
                emit(&render(&decision))
            }
        }
    }
}

/// The overall decision and why, then a line per command.
fn render(decision: &BashDecision) -> String {
    let mut text = format!("{}: {}\n", decision.action.as_str(), decision.explain());
    for reason in &decision.opaque {
        text.push_str(&format!("opaque: {reason}\n"));
    }
    for rule in &decision.text_rules {
        text.push_str(&format!(
            "rule {} on the command text: {}\n",
            rule.index + 1,
            rule.rule
        ));
    }
    if !decision.commands.is_empty() {
        let mut table = Table::new(&["DECISION", "COMMAND", "RULE"]);
        for command in &decision.commands {
            table.row(vec![
                command.action.as_str().to_owned(),
                written(command),
                because(command),
            ]);
        }
        text.push('\n');
        text.push_str(&table.render());
    }
    text
}

fn written(command: &CommandDecision) -> String {
    let words = shell::quote(&command.argv);
    if command.via.is_empty() {
        words
    } else {
        format!("{words} (inside {})", command.via.join(", "))
    }
}

fn because(command: &CommandDecision) -> String {
    match &command.rule {
        Some(rule) => {
            let mut line = format!("{}: {}", rule.index + 1, rule.rule);
            if let Some(reason) = &rule.reason {
                line.push_str(&format!(" ({reason})"));
            }
            line
        }
        None => "no rule: shell commands ask by default".to_owned(),
    }
}
