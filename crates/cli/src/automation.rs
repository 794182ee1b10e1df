//! `autowork automation ...`: one engine call per command, printed as JSON or for people.

use autowork_core::agent::permissions::describe_rule;
use autowork_core::definition::{
    Automation, Placement, SandboxMode, SandboxSettings, StopCondition, Trigger,
};
use autowork_core::ids::AutomationId;
use autowork_core::Engine;
use serde_json::Value;

use crate::args::AutomationCommand;
use crate::output::{self, clip, emit, emit_either, fields, time, Outcome, Table};
use crate::{draft, preview, runs, share, spec};

pub async fn run(engine: &Engine, command: AutomationCommand, json: bool) -> Outcome {
    match command {
        AutomationCommand::Create(args) => {
            let input = spec::build(&args.spec, args.paused.then_some(true))?;
            let created = engine.create_automation(&Value::Object(input)).await?;
            emit_either(json, &created, view)
        }
        AutomationCommand::List => {
            let automations = engine.list_automations().await?;
            emit_either(json, &automations, |list| table(list))
        }
        AutomationCommand::Show { id } => {
            let automation = engine
                .get_automation(&AutomationId::from(id.as_str()))
                .await?;
            emit_either(json, &automation, view)
        }
        AutomationCommand::Update(args) => {
            let patch = spec::build(&args.spec, None)?;
            let id = AutomationId::from(args.id.as_str());
            let updated = engine
                .update_automation(&id, &Value::Object(patch), args.expected_revision)
                .await?;
            emit_either(json, &updated, view)
        }
        AutomationCommand::Delete { id } => {
            let id = AutomationId::from(id.as_str());
            let deleted = engine.delete_automation(&id).await?;
            if json {
                return output::emit_json(&deleted);
            }
            let mut text = match &deleted.stopped {
                Some(run) => format!(
                    "deleted {id}; its active run was stopped:\n{}",
                    runs::view(run)
                ),
                None => format!("deleted {id}\n"),
            };
            if let Some(kept) = &deleted.kept_worktree {
                text.push_str(&format!(
                    "kept its worktree {} (branch {}): {}\n",
                    kept.path, kept.branch, kept.message
                ));
                for run in &kept.unapplied_runs {
                    text.push_str(&format!(
                        "  autowork run diff {run}   then   autowork run apply {run}  or  autowork run discard {run}\n"
                    ));
                }
            }
            emit(&text)
        }
        AutomationCommand::Pause { id } => set_paused(engine, &id, true, json).await,
        AutomationCommand::Resume { id } => set_paused(engine, &id, false, json).await,
        AutomationCommand::PauseAll => pause_all(engine, true, json).await,
        AutomationCommand::ResumeAll => pause_all(engine, false, json).await,
        AutomationCommand::Export(args) => share::export(engine, args, json).await,
        AutomationCommand::Import(args) => share::import(engine, args, json).await,
        // Answered before the engine is opened; the same here.
        AutomationCommand::Preview(args) => preview::run(&args, json),
        AutomationCommand::Schema => share::schema(),
        AutomationCommand::Draft(args) => draft::run(engine, args, json).await,
    }
}

async fn set_paused(engine: &Engine, id: &str, paused: bool, json: bool) -> Outcome {
    let automation = engine.set_paused(&AutomationId::from(id), paused).await?;
    emit_either(json, &automation, |a| {
        let verb = if paused { "paused" } else { "resumed" };
        format!("{verb} {} (revision {})\n", a.id, a.revision)
    })
}

async fn pause_all(engine: &Engine, paused: bool, json: bool) -> Outcome {
    let changed = engine.pause_all_schedules(paused).await?;
    emit_either(json, &serde_json::json!({ "changed": changed }), |_| {
        let verb = if paused { "paused" } else { "resumed" };
        let noun = if changed == 1 {
            "automation"
        } else {
            "automations"
        };
        format!("{verb} {changed} {noun}\n")
    })
}

fn table(automations: &[Automation]) -> String {
    if automations.is_empty() {
        return "no automations\n".into();
    }
    let mut table = Table::new(&["ID", "TITLE", "TRIGGER", "PAUSED", "REV"]);
    for a in automations {
        table.row(vec![
            a.id.to_string(),
            clip(&a.spec.title, 40),
            trigger(&a.spec.trigger),
            if a.spec.paused { "paused" } else { "-" }.into(),
            a.revision.to_string(),
        ]);
    }
    table.render()
}

pub fn view(a: &Automation) -> String {
    let spec = &a.spec;
    let model = match spec.variant {
        Some(variant) => format!(
            "{}/{} ({})",
            spec.model.provider_id,
            spec.model.model_id,
            variant.as_str()
        ),
        None => format!("{}/{}", spec.model.provider_id, spec.model.model_id),
    };
    let placement = match &spec.placement {
        Placement::InPlace => "in place".to_owned(),
        Placement::Worktree { name } => format!("worktree {name}"),
    };
    let money = |usd: Option<f64>| usd.map_or_else(|| "-".to_owned(), |usd| format!("${usd:.2}"));
    let permissions: Vec<String> = spec
        .permissions
        .iter()
        .map(|rule| {
            let mut line = describe_rule(rule);
            if let Some(reason) = &rule.reason {
                line.push_str(&format!(" ({reason})"));
            }
            if rule.needs_edit() {
                line = format!("NEEDS EDIT: {line}");
            }
            line
        })
        .collect();
    fields(&[
        ("id", a.id.to_string()),
        ("title", spec.title.clone()),
        ("revision", a.revision.to_string()),
        ("paused", spec.paused.to_string()),
        ("trigger", trigger(&spec.trigger)),
        ("stop", stop(&spec.stop)),
        ("workspace", spec.workspace.clone()),
        ("placement", placement),
        ("model", model),
        ("context", spec.context.as_str().to_owned()),
        ("step_cap", spec.step_cap.to_string()),
        (
            "timeout",
            spec.timeout_minutes
                .map_or_else(|| "-".to_owned(), |m| format!("{m} min")),
        ),
        ("budget", money(spec.budget_usd)),
        ("daily_budget", money(spec.daily_budget_usd)),
        (
            "unattended_waits",
            spec.wait_for_input_when_unattended.to_string(),
        ),
        (
            "permissions",
            if permissions.is_empty() {
                "defaults".to_owned()
            } else {
                permissions.join("\n")
            },
        ),
        ("sandbox", sandbox(&spec.sandbox)),
        (
            "session",
            a.session_id.as_ref().map_or("-".into(), |s| s.to_string()),
        ),
        ("created_at", time(&a.created_at)),
        ("updated_at", time(&a.updated_at)),
        ("prompt", spec.prompt.clone()),
    ])
}

/// The sandbox in words; off is said loudly.
fn sandbox(sandbox: &SandboxSettings) -> String {
    if sandbox.mode == SandboxMode::Off {
        return "OFF: shell commands run with your full access".to_owned();
    }
    let mut text = format!(
        "enforced, {}",
        if sandbox.network {
            "network on"
        } else {
            "no network"
        }
    );
    if !sandbox.writable.is_empty() {
        text.push_str(&format!(", also writable: {}", sandbox.writable.join(", ")));
    }
    text
}

/// In short words: `manual`, `once at ...`, `every 30m`, `cron 0 9 * * 1-5 (Europe/Berlin)`.
pub fn trigger(trigger: &Trigger) -> String {
    match trigger {
        Trigger::Manual => "manual".into(),
        Trigger::Once { fire_at } => format!("once at {}", time(fire_at)),
        Trigger::Interval { every_ms } => format!("every {}", duration(*every_ms)),
        Trigger::Cron {
            expression,
            timezone,
        } => format!("cron {expression} ({timezone})"),
    }
}

fn stop(stop: &StopCondition) -> String {
    match stop {
        StopCondition::Never => "never".into(),
        StopCondition::AfterRuns { count } => format!("after {count} runs"),
        StopCondition::Until { at } => format!("until {}", time(at)),
    }
}

/// The largest unit that states `ms` exactly: `1d`, `2h`, `30m`, `45s`, `1500ms`.
fn duration(ms: u64) -> String {
    const UNITS: [(u64, &str); 4] = [
        (86_400_000, "d"),
        (3_600_000, "h"),
        (60_000, "m"),
        (1_000, "s"),
    ];
    UNITS
        .iter()
        .find(|(size, _)| ms >= *size && ms % size == 0)
        .map_or_else(
            || format!("{ms}ms"),
            |(size, unit)| format!("{}{unit}", ms / size),
        )
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    #[test]
    fn intervals_read_in_the_largest_exact_unit() {
        assert_eq!(duration(1_800_000), "30m");
        assert_eq!(duration(7_200_000), "2h");
        assert_eq!(duration(86_400_000), "1d");
        assert_eq!(duration(45_000), "45s");
        assert_eq!(duration(90_500), "90500ms");
    }
}
