//! `autowork run ...`: list, show and cancel runs.

use autowork_core::ids::{AutomationId, RunId};
use autowork_core::ledger::{Blocker, Run};
use autowork_core::{Engine, RunFilter, RunPage};
use serde_json::json;

use crate::args::{RunCommand, RunListArgs};
use crate::output::{clip, emit_either, fields, opt_time, time, Outcome, Table};

pub async fn run(engine: &Engine, command: RunCommand, json: bool) -> Outcome {
    match command {
        RunCommand::List(args) => list(engine, args, json).await,
        RunCommand::Show { id, transcript } => {
            let id = RunId::from(id.as_str());
            let run = engine.get_run(&id).await?;
            if !transcript {
                return emit_either(json, &run, view);
            }
            let transcript = engine.run_transcript(&id).await?;
            let shown = json!({ "run": run, "transcript": transcript });
            emit_either(json, &shown, |_| {
                let said = if transcript.is_empty() {
                    "(nothing yet)\n".to_owned()
                } else {
                    crate::transcript::render(&transcript)
                };
                format!("{}\ntranscript:\n{said}", view(&run))
            })
        }
        RunCommand::Cancel { id } => {
            let run = engine.cancel_run(&RunId::from(id.as_str())).await?;
            emit_either(json, &run, view)
        }
    }
}

async fn list(engine: &Engine, args: RunListArgs, json: bool) -> Outcome {
    let filter = RunFilter {
        automation_id: args.automation.as_deref().map(AutomationId::from),
        states: args.states,
    };
    let page = engine
        .list_runs(&filter, args.cursor.as_deref(), args.limit)
        .await?;
    emit_either(json, &page, table)
}

fn table(page: &RunPage) -> String {
    if page.runs.is_empty() {
        return "no runs\n".into();
    }
    let mut table = Table::new(&[
        "ID",
        "AUTOMATION",
        "STATE",
        "TRIGGER",
        "STEPS",
        "COST",
        "QUEUED",
    ]);
    for run in &page.runs {
        table.row(vec![
            run.id.to_string(),
            run.automation_id.to_string(),
            state(run),
            run.trigger.as_str().into(),
            run.steps.to_string(),
            format!("${:.4}", run.cost_usd),
            time(&run.queued_at),
        ]);
    }
    let mut text = table.render();
    if let Some(cursor) = &page.next_cursor {
        text.push_str(&format!("more: --cursor {cursor}\n"));
    }
    text
}

/// The state with why it ended, where it says: `failed (step_cap)`, `stopped (cancelled)`.
fn state(run: &Run) -> String {
    let why = match (&run.error, run.stop_reason) {
        (Some(error), _) => Some(error.code.as_str()),
        (None, Some(reason)) => Some(reason.as_str()),
        (None, None) => None,
    };
    match why {
        Some(why) => format!("{} ({why})", run.state),
        None => run.state.to_string(),
    }
}

pub fn view(run: &Run) -> String {
    let mut pairs = vec![
        ("id", run.id.to_string()),
        ("automation", run.automation_id.to_string()),
        ("state", state(run)),
        ("trigger", run.trigger.as_str().into()),
        ("attendance", run.attendance.as_str().into()),
        ("definition_rev", run.definition_revision.to_string()),
        ("revision", run.revision.to_string()),
        ("writer_key", run.writer_key.clone()),
        ("steps", run.steps.to_string()),
        (
            "tokens",
            format!("{} in, {} out", run.tokens_in, run.tokens_out),
        ),
        ("cost", format!("${:.4}", run.cost_usd)),
        ("queued_at", time(&run.queued_at)),
        ("started_at", opt_time(run.started_at.as_ref())),
        ("finished_at", opt_time(run.finished_at.as_ref())),
        (
            "session",
            run.session_id
                .as_ref()
                .map_or("-".into(), |s| s.to_string()),
        ),
    ];
    if let Some(blocker) = &run.blocker {
        pairs.push(("waiting_for", blocker_line(blocker)));
    }
    if let Some(error) = &run.error {
        pairs.push(("error", error.message.clone()));
    }
    if let Some(result) = &run.result {
        pairs.push(("result", result.clone()));
    }
    fields(&pairs)
}

fn blocker_line(blocker: &Blocker) -> String {
    match blocker {
        Blocker::Permission {
            request_id,
            tool,
            summary,
            ..
        } => format!("permission {request_id}: {tool} {}", clip(summary, 80)),
        Blocker::Question {
            call_id, questions, ..
        } => {
            let asked: Vec<&str> = questions.iter().map(|q| q.question.as_str()).collect();
            format!("answers {call_id}:\n{}", asked.join("\n"))
        }
    }
}
