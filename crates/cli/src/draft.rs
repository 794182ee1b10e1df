//! `autowork automation draft "…"`: an automation drafted from a sentence, shown in plain
//! words and written as a file to import. Nothing is saved: creating it is the user's step.

use std::path::{Path, PathBuf};

use autowork_core::automation_file::with_header;
use autowork_core::draft::{Draft, DraftRequest};
use autowork_core::{Engine, Error, ValidationDetail};
use serde_json::json;

use crate::args::DraftArgs;
use crate::output::{emit, emit_json, internal, Failure, Outcome};
use crate::spec::model_ref;

pub async fn run(engine: &Engine, args: DraftArgs, json: bool) -> Outcome {
    let model = match args.model.as_deref().map(model_ref).transpose() {
        Ok(model) => model,
        Err(problem) => return Err(Error::InvalidInput(vec![problem]).into()),
    };
    let workspace = match args.workspace {
        Some(dir) => dir,
        None => std::env::current_dir().map_err(|e| {
            Error::InvalidInput(vec![ValidationDetail::new("--workspace", "no_current_dir")
                .with_hint(format!("pass --workspace DIR ({e})"))])
        })?,
    };
    let draft = engine
        .draft_automation(DraftRequest {
            sentence: args.sentence,
            workspace: Some(workspace),
            timezone: args.timezone,
            model,
        })
        .await?;
    let file = with_header(&draft.definition);
    let text = serde_json::to_string_pretty(&file)
        .map_err(|e| internal(format!("cannot serialize the draft: {e}")))?;
    let written = match args.output.as_deref() {
        Some(path) if path == Path::new("-") => {
            emit(&format!("{text}\n"))?;
            None
        }
        Some(path) => {
            std::fs::write(path, format!("{text}\n")).map_err(|e| {
                Error::InvalidInput(vec![ValidationDetail::new("--output", "unwritable_file")
                    .with_hint(format!("{}: {e}", path.display()))])
            })?;
            Some(path.to_path_buf())
        }
        None => None,
    };
    // `--output -` prints the file alone, for a pipe.
    if args.output.as_deref() == Some(Path::new("-")) {
    } else if json {
        emit_json(&json!({ "draft": draft, "file": file }))?;
    } else {
        emit(&view(&draft, written.as_deref()))?;
    }
    if draft.is_valid() {
        Ok(())
    } else {
        // Like a create of the draft would: the problems are the input's.
        Err(Failure::Exit(2))
    }
}

/// The draft for people: the summary, what was taken out, the problems, the next step.
pub fn view(draft: &Draft, written: Option<&Path>) -> String {
    let s = &draft.summary;
    let title = draft.definition["title"].as_str().unwrap_or("(no title)");
    let mut text = format!("Draft: {title}\n\n");
    text.push_str(&format!("When:   {}\n", s.schedule));
    if !s.next_fires_local.is_empty() {
        text.push_str(&format!(
            "        next: {}\n",
            s.next_fires_local.join("; ")
        ));
    }
    text.push_str(&format!(
        "Where:  {} ({})\n",
        s.work_dir.as_deref().unwrap_or("no work directory yet"),
        s.placement
    ));
    text.push_str(&format!(
        "Model:  {}\n",
        s.model.as_deref().unwrap_or("none yet")
    ));
    text.push_str("May, without asking:\n");
    for line in &s.allowed {
        text.push_str(&format!("  - {line}\n"));
    }
    text.push_str(if s.network {
        "Network: on (commands may reach the internet)\n"
    } else {
        "Network: off (commands cannot reach the internet)\n"
    });
    if !draft.adjustments.is_empty() {
        text.push_str("Least privilege:\n");
        for a in &draft.adjustments {
            text.push_str(&format!(
                "  {}: {} because {}\n",
                a.field, a.change, a.reason
            ));
        }
    }
    if !draft.problems.is_empty() {
        text.push_str(&format!(
            "Problems left after {} model call(s):\n",
            draft.model_calls
        ));
        for p in &draft.problems {
            text.push_str(&format!("  {}: {}", p.field, p.message));
            if let Some(hint) = &p.hint {
                text.push_str(&format!(" ({hint})"));
            }
            text.push('\n');
        }
    }
    text.push_str("\nNothing was saved. ");
    let file = written.map_or_else(|| PathBuf::from("draft.json"), std::path::Path::to_path_buf);
    let file = file.display();
    match (written.is_some(), draft.is_valid()) {
        (true, true) => text.push_str(&format!(
            "Create it with:\n  autowork automation import {file}\n"
        )),
        (true, false) => text.push_str(&format!(
            "Fix the problems in {file}, then create it with:\n  autowork automation import {file}\n"
        )),
        (false, valid) => text.push_str(&format!(
            "Write it to a file with --output {file}, {}then create it with:\n  autowork automation import {file}\n",
            if valid { "" } else { "fix the problems, " }
        )),
    }
    text
}
